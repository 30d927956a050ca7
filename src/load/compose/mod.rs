//! The compose half of the load stage, following docker compose v2 (compose-go): discovery,
//! `.env`, interpolation per file, `extends`, `include`, multi-file merge with `!reset` and
//! `!override`, then the typed model with a span for every field.
//!
//! Merging works on the spanned YAML tree rather than on typed structs, as compose-go does on
//! its `map[string]any`: the merge rules are defined per YAML path, and a node keeps its span
//! through every merge, so a finding on a merged field still points at the file that wrote it.

mod build;
mod discover;
mod duration;
mod healthcheck;
mod interp;
mod merge;
mod paths;
mod ports;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use crate::model::{HostVar, LoadWarning, Project, WarningKind};
use crate::span::{FileId, Sources, Span};

use super::yaml::{self, Budget, Node, Value};
use super::{LoadError, LoadOptions, LoadResult};

pub use duration::{parse_duration, parse_go_duration};

/// The project and, for each service, its final merged YAML mapping (interpolated, paths
/// resolved, tags applied). The tree answers questions about fields the model does not keep.
#[derive(Debug)]
pub struct Loaded {
    pub project: Project,
    pub services: Vec<(String, Node)>,
}

/// Checks compose runs after loading that a caller may turn off, as compose-go's API allows.
#[derive(Clone, Copy, Debug)]
pub struct Checks {
    /// `depends_on` must name defined services and must not form a cycle.
    pub consistency: bool,
}

impl Default for Checks {
    fn default() -> Self {
        Checks { consistency: true }
    }
}

/// Loads a compose project.
pub fn load(opts: &LoadOptions) -> LoadResult<Project> {
    load_detailed(opts, Checks::default()).map(|l| l.project)
}

/// Loads a compose project and keeps each service's merged tree.
pub fn load_detailed(opts: &LoadOptions, checks: Checks) -> LoadResult<Loaded> {
    let mut ctx = Ctx::new(opts);
    // `COMPOSE_FILE` may come from the `.env` of the working (or given project) directory,
    // read before the files are known, as compose-go's `WithDotEnv` does.
    let mut discovery_env = ctx.process_env.clone();
    if opts.files.is_empty() && opts.env_files.is_empty() {
        let base = opts.project_directory.as_deref().unwrap_or(&opts.cwd);
        let dotenv = paths::absolute(&opts.cwd, &base.join(".env"));
        if dotenv.is_file() {
            for (k, v) in ctx.dotenv_pairs(&dotenv)? {
                discovery_env.set_if_absent(k, v);
            }
        }
    }
    let files = discover::compose_files(opts, &discovery_env)?;
    let project_dir = match &opts.project_directory {
        Some(d) => paths::absolute(&opts.cwd, d),
        None => files
            .first()
            .and_then(|f| f.parent())
            .map(Path::to_path_buf)
            .unwrap_or_else(|| opts.cwd.clone()),
    };
    let env = ctx.project_env(&project_dir)?;
    let mut stack = Vec::new();
    let merged = ctx.load_files(&files, &env, &project_dir, &mut stack)?;
    if merged.as_map().is_none_or(|m| m.is_empty()) {
        let first = files.first().cloned().unwrap_or_default();
        return Err(Box::new(LoadError::file(
            &first,
            format!("{}: empty compose file", first.display()),
        )));
    }
    let name = ctx.project_name(&merged, &env, &project_dir)?;
    let services = build::services(&mut ctx, &merged, &env, checks, &project_dir)?;
    let Ctx {
        sources,
        warnings,
        compose_files,
        ..
    } = ctx;
    // `-f` files first, in order; then the files they pulled in, in the order read.
    let mut ordered: Vec<FileId> = files.iter().filter_map(|f| sources.find(f)).collect();
    for id in compose_files {
        if !ordered.contains(&id) {
            ordered.push(id);
        }
    }
    let compose_files = ordered;
    let raw = services.1;
    Ok(Loaded {
        project: Project {
            name,
            dir: project_dir,
            compose_files,
            services: services.0,
            warnings,
            sources,
            ..Default::default()
        },
        services: raw,
    })
}

/// Variables for interpolation, in precedence order already applied.
#[derive(Clone, Debug, Default)]
pub(crate) struct Env {
    vars: HashMap<String, String>,
}

impl Env {
    pub(crate) fn get(&self, key: &str) -> Option<String> {
        self.vars.get(key).cloned()
    }

    fn set(&mut self, key: String, value: String) {
        self.vars.insert(key, value);
    }

    fn set_if_absent(&mut self, key: String, value: String) {
        self.vars.entry(key).or_insert(value);
    }
}

/// State shared by every file of one load.
pub(crate) struct Ctx<'a> {
    pub(crate) opts: &'a LoadOptions,
    pub(crate) sources: Sources,
    pub(crate) warnings: Vec<LoadWarning>,
    pub(crate) compose_files: Vec<FileId>,
    /// Host variables substituted into each scalar, keyed by the scalar's file and start.
    pub(crate) host_vars: HashMap<(FileId, u32), Vec<HostVar>>,
    /// Scalars into which an unset variable was substituted. A value such a scalar makes
    /// invalid (`ports: ["${PORT}:80"]` without `.env`) is skipped with a warning: CI rarely
    /// has the deploy's variables, and the rest of the file is still worth linting.
    pub(crate) unset_scalars: HashSet<(FileId, u32)>,
    /// Warnings already given (kind and message), so each is given once.
    warned: HashSet<String>,
    process_env: Env,
    budget: Budget,
}

impl<'a> Ctx<'a> {
    fn new(opts: &'a LoadOptions) -> Self {
        let mut process_env = Env::default();
        for (k, v) in &opts.env {
            process_env.set(k.clone(), v.clone());
        }
        Ctx {
            opts,
            sources: Sources::new(),
            warnings: Vec::new(),
            compose_files: Vec::new(),
            host_vars: HashMap::new(),
            unset_scalars: HashSet::new(),
            warned: HashSet::new(),
            process_env,
            budget: Budget::default(),
        }
    }

    pub(crate) fn warn(&mut self, kind: WarningKind, message: String, span: Option<Span>) {
        if self.warned.insert(format!("{kind:?}\0{message}")) {
            self.warnings.push(LoadWarning {
                kind,
                message,
                span,
            });
        }
    }

    /// Turns an error about `node` into a warning when an unset variable made the value
    /// invalid; the caller then skips the value.
    pub(crate) fn soften(&mut self, node: &Node, err: Box<LoadError>) -> LoadResult<()> {
        if self
            .unset_scalars
            .contains(&(node.span.file, node.span.start))
        {
            self.warn(
                WarningKind::UnsetVariable,
                format!(
                    "{} (an unset variable made this value empty or invalid; it is ignored)",
                    err.message
                ),
                Some(node.span),
            );
            Ok(())
        } else {
            Err(err)
        }
    }

    /// An error pointing into a file we read.
    pub(crate) fn error_at(&self, span: Span, message: impl Into<String>) -> Box<LoadError> {
        error_at(&self.sources, span, message.into())
    }

    /// The interpolation environment of the project: `--env-file` files (or the project's
    /// `.env`), overridden by the process environment.
    fn project_env(&mut self, project_dir: &Path) -> LoadResult<Env> {
        let explicit: Vec<PathBuf> = self
            .opts
            .env_files
            .iter()
            .map(|p| paths::absolute(&self.opts.cwd, p))
            .collect();
        let mut env = Env::default();
        if explicit.is_empty() {
            let dotenv = project_dir.join(".env");
            if dotenv.is_file() {
                self.read_env_file(&dotenv, &mut env, None)?;
            }
        } else {
            for path in explicit {
                if path.is_file() {
                    self.read_env_file(&path, &mut env, None)?;
                } else {
                    self.warn(
                        WarningKind::MissingDotEnv,
                        format!("env file {} not found", path.display()),
                        None,
                    );
                }
            }
        }
        for (k, v) in &self.process_env.vars {
            env.set(k.clone(), v.clone());
        }
        Ok(env)
    }

    /// Reads a dotenv file into `into` (later keys win, or only new keys with
    /// `only_absent`).
    pub(crate) fn read_env_file(
        &mut self,
        path: &Path,
        into: &mut Env,
        only_absent: Option<()>,
    ) -> LoadResult<()> {
        for (k, v) in self.dotenv_pairs(path)? {
            if only_absent.is_some() {
                into.set_if_absent(k, v);
            } else {
                into.set(k, v);
            }
        }
        Ok(())
    }

    /// The pairs of a dotenv file, in order. Values may refer to the process environment and
    /// to keys read before them.
    pub(crate) fn dotenv_pairs(&mut self, path: &Path) -> LoadResult<Vec<(String, String)>> {
        let (id, text) = self.read_text(path)?;
        let process = self.process_env.clone();
        let lookup = move |k: &str| process.get(k);
        super::dotenv::parse(&text, &lookup).map_err(|e| {
            let offset = offset_of(&text, e.line, e.col);
            let span = crate::span::span_of(id, &text, offset, offset);
            self.error_at(span, e.message.clone())
        })
    }

    /// Reads a file as UTF-8 text and records it in the sources.
    pub(crate) fn read_text(&mut self, path: &Path) -> LoadResult<(FileId, std::sync::Arc<str>)> {
        if let Some(id) = self.sources.find(path) {
            return Ok((id, self.sources.get(id).text.clone()));
        }
        let text = crate::load::read_source(path)?;
        let id = self.sources.add(path, text);
        Ok((id, self.sources.get(id).text.clone()))
    }

    /// Reads, parses and interpolates one compose file and resolves its relative paths against
    /// `wd`. Returns one mapping per non-empty document.
    pub(crate) fn read_compose(
        &mut self,
        path: &Path,
        env: &Env,
        wd: &Path,
        validate_top: bool,
    ) -> LoadResult<Vec<Node>> {
        let (id, text) = self.read_text(path)?;
        if !self.compose_files.contains(&id) {
            self.compose_files.push(id);
        }
        let docs = yaml::parse(&text, id, self.budget).map_err(|e| {
            let mut message = e.message.clone();
            if let Some((span, what)) = &e.related {
                message.push_str(&format!(" ({what} at line {})", span.line));
            }
            error_at(&self.sources, e.span, message)
        })?;
        let mut out = Vec::new();
        for mut doc in docs {
            if doc.is_null() {
                continue;
            }
            if doc.as_map().is_none() {
                return Err(self.error_at(
                    doc.span,
                    format!(
                        "a compose file must be a mapping at the top level, found {}",
                        doc.type_name()
                    ),
                ));
            }
            if validate_top {
                self.check_top_level(&doc)?;
            }
            interp::interpolate_tree(self, &mut doc, env, &text)?;
            paths::resolve(&mut doc, wd);
            interp::resolve_bare_environment(&mut doc, env);
            out.push(doc);
        }
        Ok(out)
    }

    fn check_top_level(&self, doc: &Node) -> LoadResult<()> {
        const KNOWN: &[&str] = &[
            "version", "name", "include", "services", "networks", "volumes", "secrets", "configs",
            "models",
        ];
        for (k, v) in doc.as_map().unwrap_or_default() {
            let Some(key) = k.as_str() else {
                return Err(self.error_at(k.span, "top-level keys must be strings"));
            };
            if key.starts_with("x-") {
                continue;
            }
            if !KNOWN.contains(&key) {
                return Err(self.error_at(
                    k.span,
                    format!("additional property {key:?} is not allowed at the top level"),
                ));
            }
            if key == "services" && !(v.is_null() || v.as_map().is_some()) {
                return Err(self.error_at(
                    v.span,
                    format!("services must be a mapping, found {}", v.type_name()),
                ));
            }
        }
        Ok(())
    }

    /// Loads a set of files as one (sub-)project: each document gets its `extends` and
    /// `include` applied, then is merged over the ones before it.
    pub(crate) fn load_files(
        &mut self,
        files: &[PathBuf],
        env: &Env,
        wd: &Path,
        include_stack: &mut Vec<PathBuf>,
    ) -> LoadResult<Node> {
        let mut acc: Option<Node> = None;
        for file in files {
            include_stack.push(file.clone());
            let docs = self.read_compose(file, env, wd, true)?;
            for mut doc in docs {
                merge::apply_extends(self, &mut doc, file, wd, env)?;
                merge::apply_includes(self, &mut doc, wd, env, include_stack)?;
                acc = Some(match acc {
                    None => merge::strip_resets(doc),
                    Some(base) => merge::merge_top(base, doc),
                });
            }
            include_stack.pop();
        }
        Ok(merge::finish(acc.unwrap_or_else(|| Node {
            value: Value::Map(Vec::new()),
            span: Span::default(),
            via: None,
            tag: None,
        })))
    }

    fn project_name(&self, merged: &Node, env: &Env, project_dir: &Path) -> LoadResult<String> {
        let (raw, span) = if let Some(n) = &self.opts.project_name {
            (n.clone(), None)
        } else if let Some(n) = env.get("COMPOSE_PROJECT_NAME").filter(|n| !n.is_empty()) {
            (n, None)
        } else if let Some(n) = merged
            .get("name")
            .filter(|n| n.as_str().is_some_and(|s| !s.is_empty()))
        {
            (n.as_str().unwrap_or_default().to_string(), Some(n.span))
        } else {
            let base = project_dir
                .file_name()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            (base, None)
        };
        let name = normalize_project_name(&raw);
        if name.is_empty() {
            let message = format!("project name {raw:?} must not be empty after normalization");
            return Err(match span {
                Some(s) => self.error_at(s, message),
                None => Box::new(LoadError::file(project_dir, message)),
            });
        }
        Ok(name)
    }
}

/// compose's normalization: lower case, only `[a-z0-9_-]`, starting with a letter or digit.
pub fn normalize_project_name(name: &str) -> String {
    let kept: String = name
        .to_lowercase()
        .chars()
        .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_' || *c == '-')
        .collect();
    kept.trim_start_matches(['_', '-']).to_string()
}

/// Byte offset of a 1-based line and column (column in characters).
fn offset_of(text: &str, line: usize, col: usize) -> usize {
    let mut offset = 0;
    for (i, l) in text.split_inclusive('\n').enumerate() {
        if i + 1 == line {
            let within: usize = l
                .chars()
                .take(col.saturating_sub(1))
                .map(char::len_utf8)
                .sum();
            return offset + within;
        }
        offset += l.len();
    }
    text.len()
}

/// A load error at `span`, with `file:line:col` in the message and the snippet attached.
pub(crate) fn error_at(sources: &Sources, span: Span, message: String) -> Box<LoadError> {
    if (span.file as usize) >= sources.len() {
        return Box::new(LoadError {
            message,
            src: None,
            at: None,
            label: String::new(),
            span: None,
            path: None,
        });
    }
    let path = sources.path(span.file).to_path_buf();
    Box::new(LoadError {
        message: format!("{}:{}:{}: {message}", path.display(), span.line, span.col),
        src: Some(sources.named_source(span.file)),
        at: Some(span.to_source_span()),
        label: message,
        span: Some(span),
        path: Some(path),
    })
}
