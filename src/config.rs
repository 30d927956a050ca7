//! `.healthlint.yaml`: rule severities, disabled rules, ignored paths and per-path exceptions,
//! in the spirit of `.hadolint.yaml`. Found from the working directory upwards or given with
//! `--config`. Unknown keys and unknown rule ids are errors with a position: a typo that
//! silently disables nothing is worse than a failed run.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use globset::{GlobSet, GlobSetBuilder};
use schemars::JsonSchema;
use serde::{Deserialize, Deserializer};

use crate::cli::FailOn;
use crate::load::{LoadError, LoadResult};
use crate::pipeline::Analysis;
use crate::rules::{Finding, Severity};
use crate::span::Span;

/// File names looked for, in order, in each directory.
pub const FILE_NAMES: &[&str] = &[".healthlint.yaml", ".healthlint.yml"];

/// A rule id the catalog knows, e.g. `HL101`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct RuleId(String);

fn rule_ids() -> Vec<serde_json::Value> {
    crate::rules::meta::all()
        .iter()
        .map(|m| serde_json::Value::String(m.id.clone()))
        .collect()
}

impl JsonSchema for RuleId {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "RuleId".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A rule id of the catalog (`healthlint rules`).",
            "type": "string",
            "enum": rule_ids(),
        })
    }
}

fn rules_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
    let level = generator.subschema_for::<RuleLevel>();
    schemars::json_schema!({
        "type": "object",
        "propertyNames": { "enum": rule_ids() },
        "additionalProperties": level,
    })
}

impl RuleId {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for RuleId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        let id = s.trim().to_ascii_uppercase();
        match crate::rules::meta::get(&id) {
            Some(m) => Ok(RuleId(m.id.clone())),
            None => Err(serde::de::Error::custom(format!(
                "unknown rule id `{s}` (see `healthlint rules`)"
            ))),
        }
    }
}

/// What a rule becomes: off, or reported at this severity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RuleLevel {
    Off,
    Info,
    Warning,
    Error,
}

/// Accepts `false` as `off` too: YAML 1.1 tools (and some editors) read a bare `off` as a
/// boolean, and the file should mean the same to them.
impl<'de> Deserialize<'de> for RuleLevel {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = RuleLevel;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("one of off, info, warning, error")
            }
            fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<RuleLevel, E> {
                if v {
                    Err(E::custom(
                        "`true` is not a level: use info, warning or error",
                    ))
                } else {
                    Ok(RuleLevel::Off)
                }
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<RuleLevel, E> {
                match v {
                    "off" => Ok(RuleLevel::Off),
                    "info" => Ok(RuleLevel::Info),
                    "warning" => Ok(RuleLevel::Warning),
                    "error" => Ok(RuleLevel::Error),
                    _ => Err(E::custom(format!(
                        "unknown level `{v}`, expected off, info, warning or error"
                    ))),
                }
            }
        }
        d.deserialize_any(V)
    }
}

impl JsonSchema for RuleLevel {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "RuleLevel".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "`off` disables the rule; otherwise the severity it reports at.",
            "oneOf": [
                { "type": "string", "enum": ["off", "info", "warning", "error"] },
                { "const": false, "description": "`off` as YAML 1.1 reads it." }
            ]
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ConfigFailOn {
    Error,
    Warning,
    Info,
    Never,
}

/// An exception for some paths: rules that do not apply there.
#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PerPath {
    /// Globs, relative to the directory of the configuration file.
    pub paths: Vec<String>,
    /// Rules disabled for findings in those files.
    #[serde(default)]
    pub disable: Vec<RuleId>,
}

/// The contents of `.healthlint.yaml`.
#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
#[schemars(title = "healthlint configuration (.healthlint.yaml)")]
pub struct ConfigFile {
    /// Exit 1 when a finding at or above this severity remains (`--fail-on` wins).
    #[serde(default)]
    pub fail_on: Option<ConfigFailOn>,
    /// Severity override per rule, or `off` to disable it.
    #[serde(default)]
    #[schemars(schema_with = "rules_schema")]
    pub rules: BTreeMap<RuleId, RuleLevel>,
    /// Rules disabled everywhere.
    #[serde(default)]
    pub disable: Vec<RuleId>,
    /// Files whose findings are dropped: gitignore-style globs relative to the configuration
    /// file's directory (`legacy/**`, `*.dev.yml`, `deploy/old`).
    #[serde(default)]
    pub ignore_paths: Vec<String>,
    /// Rules disabled for some paths only.
    #[serde(default)]
    pub per_path: Vec<PerPath>,
}

/// A loaded configuration, globs compiled and anchored at the file's directory.
#[derive(Clone, Debug)]
pub struct Config {
    pub path: PathBuf,
    /// Globs are relative to this directory (absolute).
    pub dir: PathBuf,
    pub file: ConfigFile,
    ignore: GlobSet,
    per_path: Vec<(GlobSet, Vec<RuleId>)>,
}

/// Finds the configuration file for `cwd`: the first directory from `cwd` up to the
/// filesystem root that holds one.
pub fn discover(cwd: &Path) -> Option<PathBuf> {
    let start = std::path::absolute(cwd).unwrap_or_else(|_| cwd.to_path_buf());
    start
        .ancestors()
        .find_map(|dir| FILE_NAMES.iter().map(|n| dir.join(n)).find(|p| p.is_file()))
}

/// The configuration in effect: `explicit` (`--config`) when given, else the discovered file,
/// else none.
pub fn resolve(explicit: Option<&Path>, cwd: &Path) -> LoadResult<Option<Config>> {
    match explicit {
        Some(path) => load(&cwd.join(path)).map(Some),
        None => discover(cwd).map(|p| load(&p)).transpose(),
    }
}

/// `path` made absolute with `.` and `..` resolved lexically, so `--config ../x.yaml` and the
/// loader's paths compare equal without touching the filesystem (symlinks stay as written).
fn absolute(path: &Path) -> PathBuf {
    use std::path::Component;
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut out = PathBuf::new();
    for c in abs.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// Reads and validates a configuration file.
pub fn load(path: &Path) -> LoadResult<Config> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        Box::new(LoadError::file(
            path,
            format!("cannot read configuration: {e}"),
        ))
    })?;
    parse(path, &text)
}

/// Parses configuration text; `path` names it in errors and anchors its globs.
pub fn parse(path: &Path, text: &str) -> LoadResult<Config> {
    let file: ConfigFile = if text.trim().is_empty() {
        ConfigFile::default()
    } else {
        serde_saphyr::from_str(text).map_err(|e| Box::new(yaml_error(path, text, &e)))?
    };
    let abs = absolute(path);
    let dir = abs.parent().map(Path::to_path_buf).unwrap_or_default();
    let ignore = globs(path, text, &file.ignore_paths)?;
    let per_path = file
        .per_path
        .iter()
        .map(|p| Ok((globs(path, text, &p.paths)?, p.disable.clone())))
        .collect::<LoadResult<Vec<_>>>()?;
    Ok(Config {
        path: path.to_path_buf(),
        dir,
        file,
        ignore,
        per_path,
    })
}

/// A gitignore-like glob set: a pattern without `/` matches a name at any depth, a pattern
/// naming a directory matches everything under it.
fn globs(path: &Path, text: &str, patterns: &[String]) -> LoadResult<GlobSet> {
    let mut b = GlobSetBuilder::new();
    for p in patterns {
        let trimmed = p.trim().trim_start_matches("./");
        let body = trimmed.trim_start_matches('/').trim_end_matches('/');
        let anchored = trimmed.starts_with('/') || body.contains('/');
        let base = if anchored {
            body.to_owned()
        } else {
            format!("**/{body}")
        };
        for pat in [base.clone(), format!("{base}/**")] {
            let g = globset::GlobBuilder::new(&pat)
                .literal_separator(true)
                .build()
                .map_err(|e| {
                    let mut err = LoadError::file(path, format!("invalid glob `{p}`: {e}"));
                    let quoted = [format!("'{p}'"), format!("\"{p}\"")]
                        .iter()
                        .find_map(|q| text.find(q.as_str()))
                        .map(|i| i + 1);
                    if let Some(off) = quoted.or_else(|| text.find(p.as_str())) {
                        let (line, col) = crate::span::line_col(text, off);
                        err.span = Some(Span::new(0, off, off + p.len(), line, col));
                        err.src = Some(miette::NamedSource::new(
                            path.display().to_string(),
                            text.to_owned(),
                        ));
                        err.at = Some(miette::SourceSpan::new(off.into(), p.len()));
                        err.label = "this glob".into();
                    }
                    Box::new(err)
                })?;
            b.add(g);
        }
    }
    b.build()
        .map_err(|e| Box::new(LoadError::file(path, format!("invalid glob set: {e}"))))
}

fn yaml_error(path: &Path, text: &str, e: &serde_saphyr::Error) -> LoadError {
    let loc = e.location();
    let (line, col) = loc.map_or((0, 0), |l| (l.line() as usize, l.column() as usize));
    let message = first_line_message(e);
    let mut err = LoadError::file(path, format!("invalid configuration: {message}"));
    if line > 0 {
        let off = offset_of(text, line, col);
        let len = text[off..]
            .find(['\n', ':'])
            .unwrap_or(text.len() - off)
            .max(1)
            .min(text.len() - off);
        err.span = Some(Span::new(0, off, off + len, line, col));
        err.src = Some(miette::NamedSource::new(
            path.display().to_string(),
            text.to_owned(),
        ));
        err.at = Some(miette::SourceSpan::new(off.into(), len));
        err.label = "here".into();
    }
    err
}

/// serde-saphyr renders its own snippet; ours comes from miette, so keep only the message.
fn first_line_message(e: &serde_saphyr::Error) -> String {
    let full = e.to_string();
    let line = full.lines().next().unwrap_or("").trim();
    let line = line.strip_prefix("error:").unwrap_or(line).trim();
    // The position is reported separately; drop it from the text.
    let line = match line.find(" at line ") {
        Some(i) => &line[..i],
        None => line,
    };
    match line.strip_prefix("line ").and_then(|r| r.split_once(": ")) {
        Some((pos, rest)) if pos.split(" column ").all(|n| n.parse::<u64>().is_ok()) => {
            rest.to_owned()
        }
        _ => line.to_owned(),
    }
}

/// Byte offset of a 1-based line and character column.
fn offset_of(text: &str, line: usize, col: usize) -> usize {
    let start: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    let rest = &text[start.min(text.len())..];
    let within = rest
        .char_indices()
        .nth(col.saturating_sub(1))
        .map_or(rest.len(), |(i, _)| i);
    (start + within).min(text.len())
}

impl Config {
    /// `fail-on` from the file, for when the command line does not set it.
    pub fn fail_on(&self) -> Option<FailOn> {
        self.file.fail_on.map(|f| match f {
            ConfigFailOn::Error => FailOn::Error,
            ConfigFailOn::Warning => FailOn::Warning,
            ConfigFailOn::Info => FailOn::Info,
            ConfigFailOn::Never => FailOn::Never,
        })
    }

    /// The path of `file` relative to the configuration's directory, when under it.
    fn relative(&self, file: &Path) -> Option<PathBuf> {
        absolute(file)
            .strip_prefix(&self.dir)
            .ok()
            .map(Path::to_path_buf)
    }

    /// Whether findings in `file` are dropped by `ignore-paths`.
    pub fn is_ignored(&self, file: &Path) -> bool {
        self.relative(file)
            .is_some_and(|r| self.ignore.is_match(&r))
    }

    /// The level `rule` has in `file`: the catalog's severity unless overridden or disabled.
    pub fn level(&self, rule: &str, file: Option<&Path>, default: Severity) -> RuleLevel {
        let disabled = self.file.disable.iter().any(|r| r.as_str() == rule)
            || file.and_then(|f| self.relative(f)).is_some_and(|rel| {
                self.per_path
                    .iter()
                    .any(|(set, ids)| set.is_match(&rel) && ids.iter().any(|r| r.as_str() == rule))
            });
        if disabled {
            return RuleLevel::Off;
        }
        match self.file.rules.iter().find(|(id, _)| id.as_str() == rule) {
            Some((_, level)) => *level,
            None => match default {
                Severity::Info => RuleLevel::Info,
                Severity::Warning => RuleLevel::Warning,
                Severity::Error => RuleLevel::Error,
            },
        }
    }

    /// Drops findings of disabled rules and ignored paths; applies severity overrides.
    pub fn apply(&self, analysis: &mut Analysis) {
        let sources = &analysis.project.sources;
        let file_of =
            |f: &Finding| crate::report::source_path(sources, f.span.file).map(Path::to_path_buf);
        analysis.findings.retain_mut(|f| {
            let file = file_of(f);
            if file.as_deref().is_some_and(|p| self.is_ignored(p)) {
                return false;
            }
            match self.level(f.rule, file.as_deref(), f.severity) {
                RuleLevel::Off => false,
                RuleLevel::Info => {
                    f.severity = Severity::Info;
                    true
                }
                RuleLevel::Warning => {
                    f.severity = Severity::Warning;
                    true
                }
                RuleLevel::Error => {
                    f.severity = Severity::Error;
                    true
                }
            }
        });
    }
}

/// The JSON Schema of `.healthlint.yaml`, as committed in `docs/config-schema.json`.
pub fn schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(ConfigFile))
        .expect("a generated schema is plain JSON")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(patterns: &[&str]) -> GlobSet {
        let patterns: Vec<String> = patterns.iter().map(|p| (*p).to_owned()).collect();
        globs(Path::new("c.yaml"), "", &patterns).unwrap()
    }

    #[test]
    fn globs_read_like_gitignore() {
        let names = set(&["*.generated.yml"]);
        assert!(names.is_match("a.generated.yml"));
        assert!(names.is_match("deep/er/a.generated.yml"));
        assert!(!names.is_match("a.yml"));

        let dir = set(&["legacy/"]);
        assert!(dir.is_match("legacy/compose.yml"));
        assert!(dir.is_match("apps/legacy/compose.yml"));
        assert!(!dir.is_match("legacy.yml"));

        let anchored = set(&["deploy/dev"]);
        assert!(anchored.is_match("deploy/dev/compose.yml"));
        assert!(!anchored.is_match("x/deploy/dev/compose.yml"));

        let star = set(&["dev/*.yml"]);
        assert!(star.is_match("dev/a.yml"));
        assert!(
            !star.is_match("dev/sub/a.yml"),
            "`*` stays within one directory"
        );
    }

    #[test]
    fn rule_ids_are_case_insensitive_but_must_exist() {
        let cfg = parse(Path::new("c.yaml"), "disable: [hl101]\n").unwrap();
        assert_eq!(cfg.file.disable[0].as_str(), "HL101");
        assert!(parse(Path::new("c.yaml"), "disable: [HL000]\n").is_err());
    }

    #[test]
    fn bare_off_and_false_both_disable() {
        let cfg = parse(
            Path::new("c.yaml"),
            "rules:\n  HL101: off\n  HL102: false\n",
        )
        .unwrap();
        assert_eq!(cfg.level("HL101", None, Severity::Error), RuleLevel::Off);
        assert_eq!(cfg.level("HL102", None, Severity::Error), RuleLevel::Off);
        assert_eq!(
            cfg.level("HL103", None, Severity::Warning),
            RuleLevel::Warning
        );
    }
}
