//! What the built image will hold, read from the instructions the way `docker build` applies
//! them: stages and `FROM <stage>` inheritance, ARG substitution in `FROM`, the HEALTHCHECK
//! that wins (and the ones that never take effect), EXPOSE, CMD/ENTRYPOINT, SHELL, USER, ENV,
//! LABEL, and what RUN, COPY and ADD put on the filesystem.

use std::collections::HashMap;
use std::time::Duration;

use crate::model::{
    CommandForm, CommandLine, EnvVar, Expose, HealthCheck, HealthTest, ImageFacts,
    IneffectiveReason, Label, Origin, Protocol, TestForm,
};
use crate::span::{FileId, Sources, Span, Spanned};

use super::packages;
use super::parse::{Dockerfile, Instruction, unquote};

/// An error `docker build` would stop on, with the instruction it is about.
pub struct FactError {
    pub message: String,
    pub span: Span,
}

struct Stage<'a> {
    name: Option<String>,
    /// The `FROM` argument after ARG substitution.
    base: String,
    from: &'a Instruction,
    body: Vec<&'a Instruction>,
}

/// Reads the facts of stage `target` (the last stage when `None`).
pub fn image_facts(
    file: &Dockerfile,
    sources: &Sources,
    id: FileId,
    target: Option<&str>,
    build_args: &[(String, Option<String>)],
) -> Result<ImageFacts, FactError> {
    let span_of = |start: usize, end: usize| sources.span(id, start, end);
    let inst_span = |i: &Instruction| span_of(i.start, i.first_line.1);

    // Global ARGs (before the first FROM), overridden by the build's args.
    let mut global: HashMap<String, String> = HashMap::new();
    let overrides: HashMap<&str, &str> = build_args
        .iter()
        .filter_map(|(k, v)| v.as_deref().map(|v| (k.as_str(), v)))
        .collect();
    let mut stages: Vec<Stage<'_>> = Vec::new();
    for inst in &file.instructions {
        match inst.keyword.as_str() {
            "from" => {
                let raw = inst.args.first().cloned().unwrap_or_default();
                let base = expand(&raw, &global);
                let name = match inst.args.as_slice() {
                    [_, as_kw, name] if as_kw.eq_ignore_ascii_case("as") => {
                        Some(name.to_ascii_lowercase())
                    }
                    [_] => None,
                    _ => {
                        return Err(FactError {
                            message: "FROM takes an image and an optional `AS name`".into(),
                            span: inst_span(inst),
                        });
                    }
                };
                stages.push(Stage {
                    name,
                    base,
                    from: inst,
                    body: Vec::new(),
                });
            }
            "arg" if stages.is_empty() => {
                for word in &inst.args {
                    let (k, v) = arg_decl(word, file.escape);
                    let value = overrides.get(k).map(|s| s.to_string()).or(v);
                    if let Some(v) = value {
                        global.insert(k.to_string(), v);
                    }
                }
            }
            _ => match stages.last_mut() {
                Some(stage) => stage.body.push(inst),
                None if matches!(inst.keyword.as_str(), "arg") => {}
                None => {
                    return Err(FactError {
                        message: format!(
                            "{} before the first FROM: a Dockerfile must start with FROM (after ARGs and parser directives)",
                            inst.keyword.to_uppercase()
                        ),
                        span: inst_span(inst),
                    });
                }
            },
        }
    }
    if stages.is_empty() {
        let span = file
            .instructions
            .first()
            .map(inst_span)
            .unwrap_or_else(|| span_of(0, 0));
        return Err(FactError {
            message: "the Dockerfile has no FROM".into(),
            span,
        });
    }

    let effective = match target {
        Some(t) => stages
            .iter()
            .position(|s| s.name.as_deref() == Some(&t.to_ascii_lowercase()))
            .ok_or_else(|| FactError {
                message: format!("target stage {t:?} could not be found in the Dockerfile"),
                span: inst_span(stages[0].from),
            })?,
        None => stages.len() - 1,
    };

    // The chain of stages the effective one is built on, oldest first.
    let mut chain = vec![effective];
    let mut cur = effective;
    while let Some(parent) = parent_stage(&stages, cur) {
        if chain.contains(&parent) {
            break;
        }
        chain.push(parent);
        cur = parent;
    }
    chain.reverse();

    let mut facts = ImageFacts {
        dockerfile: id,
        stage: stages[effective].name.clone(),
        ..Default::default()
    };
    let root = &stages[chain[0]];
    if !root.base.is_empty() && !root.base.eq_ignore_ascii_case("scratch") {
        let raw = root.from.args.first().map_or("", String::as_str);
        let at = find_in(sources, id, root.from, raw).unwrap_or_else(|| inst_span(root.from));
        facts.base_image = Some(Spanned::new(root.base.clone(), at));
    } else if root.base.eq_ignore_ascii_case("scratch") {
        facts.base_image = Some(Spanned::new("scratch".into(), inst_span(root.from)));
    }

    // Without a target the last stage is assumed, but a Dockerfile may be built with
    // `--target` or pick stages by build argument: a check in another stage is then only
    // certainly dead when that stage is a pure build stage (something copies from it or
    // builds on it) and no FROM depends on a variable.
    let certain = target.is_some() || {
        let variable_from = stages
            .iter()
            .any(|s| s.from.args.first().is_some_and(|a| a.contains('$')));
        !variable_from
    };
    let mut referenced = vec![false; stages.len()];
    for index in 0..stages.len() {
        if let Some(p) = parent_stage(&stages, index) {
            referenced[p] = true;
        }
        for inst in &stages[index].body {
            let from = inst
                .flags
                .iter()
                .find_map(|f| f.strip_prefix("--from="))
                .map(str::to_ascii_lowercase);
            if let Some(from) = from {
                let hit = stages[..index]
                    .iter()
                    .rposition(|s| s.name.as_deref() == Some(from.as_str()))
                    .or_else(|| from.parse::<usize>().ok().filter(|&i| i < index));
                if let Some(i) = hit {
                    referenced[i] = true;
                }
            }
        }
    }
    for (index, stage) in stages.iter().enumerate() {
        let in_chain = chain.contains(&index);
        if !(in_chain || target.is_some() || certain && referenced[index]) {
            continue;
        }
        let checks: Vec<&&Instruction> = stage
            .body
            .iter()
            .filter(|i| i.keyword == "healthcheck")
            .collect();
        if !in_chain {
            for c in checks {
                facts
                    .ineffective_healthchecks
                    .push((inst_span(c), IneffectiveReason::NonFinalStage));
            }
            continue;
        }
        if let Some((_, earlier)) = checks.split_last() {
            for c in earlier {
                facts
                    .ineffective_healthchecks
                    .push((inst_span(c), IneffectiveReason::Overridden));
            }
        }
    }

    let mut workdir = String::from("/");
    for &index in &chain {
        let stage = &stages[index];
        let mut vars = global.clone();
        let mut cmd_set = false;
        for inst in &stage.body {
            let span = inst_span(inst);
            match inst.keyword.as_str() {
                "arg" => {
                    for word in &inst.args {
                        let (k, v) = arg_decl(word, file.escape);
                        let value = overrides
                            .get(k)
                            .map(|s| s.to_string())
                            .or(v)
                            .or_else(|| global.get(k).cloned());
                        if let Some(v) = value {
                            vars.insert(k.to_string(), v);
                        }
                    }
                }
                "env" => {
                    for kv in inst.args.chunks(3) {
                        let [k, v, sep] = kv else { continue };
                        let value = if sep.is_empty() {
                            v.clone()
                        } else {
                            unquote(v, file.escape)
                        };
                        let value = expand(&value, &vars);
                        vars.insert(k.clone(), value.clone());
                        facts.env.push(EnvVar {
                            key: k.clone(),
                            value: Some(value),
                            span,
                        });
                    }
                }
                "label" => {
                    for kv in inst.args.chunks(3) {
                        let [k, v, _] = kv else { continue };
                        facts.labels.push(Label {
                            key: unquote(k, file.escape),
                            value: expand(&unquote(v, file.escape), &vars),
                            span,
                        });
                    }
                }
                "expose" => {
                    for word in &inst.args {
                        if let Some(e) = parse_expose(&expand(word, &vars), span) {
                            facts.expose.push(e);
                        }
                    }
                }
                "cmd" => {
                    facts.cmd = command(inst, span);
                    cmd_set = true;
                }
                "entrypoint" => {
                    facts.entrypoint = command(inst, span);
                    if !cmd_set {
                        facts.cmd = None;
                    }
                }
                "shell" => {
                    if inst.json && !inst.args.is_empty() {
                        facts.shell = Some(inst.args.clone());
                    } else {
                        return Err(FactError {
                            message: "SHELL requires the arguments to be in JSON form".into(),
                            span,
                        });
                    }
                }
                "user" => {
                    if let Some(u) = inst.args.first() {
                        facts.user = Some(Spanned::new(expand(u, &vars), span));
                    }
                }
                "workdir" => {
                    if let Some(w) = inst.args.first() {
                        let w = expand(&unquote(w, file.escape), &vars);
                        workdir = join_path(&workdir, &w);
                    }
                }
                "run" => {
                    let mut script = inst.args.join(" ");
                    for doc in &inst.heredocs {
                        script.push('\n');
                        script.push_str(&doc.content);
                    }
                    for pkg in packages::installed(&script) {
                        facts.installed_packages.push(Spanned::new(pkg, span));
                    }
                }
                "copy" | "add" => {
                    if let Some((dest, sources_)) = inst.args.split_last() {
                        let dest = expand(&unquote(dest, file.escape), &vars);
                        let dest = join_path(&workdir, &dest);
                        let from_elsewhere = inst.flags.iter().any(|f| f.starts_with("--from="));
                        if from_elsewhere && is_bulk_copy(&dest, sources_) {
                            facts.bulk_copy = true;
                        }
                        let into_dir = dest.ends_with('/') || sources_.len() > 1;
                        for src in sources_ {
                            let path = if into_dir {
                                let base =
                                    src.trim_end_matches('/').rsplit('/').next().unwrap_or(src);
                                format!("{}/{}", dest.trim_end_matches('/'), base)
                            } else {
                                dest.clone()
                            };
                            facts.copied_paths.push(Spanned::new(path, span));
                        }
                    }
                }
                "healthcheck" => {
                    facts.healthcheck = Some(healthcheck(inst, sources, id, span)?);
                }
                _ => {}
            }
        }
    }
    Ok(facts)
}

/// `NAME` or `NAME=default` of an ARG instruction.
fn arg_decl(word: &str, escape: char) -> (&str, Option<String>) {
    match word.split_once('=') {
        Some((k, v)) => (k, Some(unquote(v, escape))),
        None => (word, None),
    }
}

/// A copy whose destination is a system directory, or whose source is a directory tree, can
/// bring any program with it.
fn is_bulk_copy(dest: &str, sources: &[String]) -> bool {
    const SYSTEM: &[&str] = &["/", "/usr", "/usr/local", "/opt", "/install"];
    let dest = dest.trim_end_matches('/');
    let dest = if dest.is_empty() { "/" } else { dest };
    SYSTEM.contains(&dest)
        || sources.iter().any(|s| {
            let s = s.trim_end_matches('/');
            let base = s.rsplit('/').next().unwrap_or(s);
            s.ends_with("/.") || matches!(base, "bin" | "sbin" | "usr" | "local" | "lib" | "" | "*")
        })
}

/// The stage `index` is built `FROM`, when that is an earlier stage (by name or number).
fn parent_stage(stages: &[Stage<'_>], index: usize) -> Option<usize> {
    let base = stages[index].base.to_ascii_lowercase();
    if let Some(i) = stages[..index]
        .iter()
        .rposition(|s| s.name.as_deref() == Some(base.as_str()))
    {
        return Some(i);
    }
    base.parse::<usize>().ok().filter(|&i| i < index)
}

fn command(inst: &Instruction, span: Span) -> Option<CommandLine> {
    let form = if inst.json {
        CommandForm::Exec(inst.args.clone())
    } else {
        CommandForm::Shell(inst.args.first()?.clone())
    };
    Some(CommandLine { form, span })
}

/// `HEALTHCHECK [flags] CMD ...` or `HEALTHCHECK NONE`, checked the way `docker build` checks
/// it. Durations the engine rejects are kept for HL303 rather than failing the load.
fn healthcheck(
    inst: &Instruction,
    sources: &Sources,
    id: FileId,
    span: Span,
) -> Result<HealthCheck, FactError> {
    let fail = |message: String| FactError { message, span };
    let Some(typ) = inst.args.first() else {
        return Err(fail("HEALTHCHECK requires at least one argument".into()));
    };
    let typ = typ.to_ascii_uppercase();
    let mut hc = HealthCheck {
        origin: Origin::Dockerfile,
        span: Some(span),
        ..Default::default()
    };
    if typ == "NONE" {
        if inst.args.len() > 1 {
            return Err(fail("HEALTHCHECK NONE takes no arguments".into()));
        }
        hc.disabled = true;
        hc.test = Some(HealthTest {
            form: TestForm::None,
            span,
            ..Default::default()
        });
        return Ok(hc);
    }
    for flag in &inst.flags {
        let (name, value) = match flag.split_once('=') {
            Some((n, v)) => (n.trim_start_matches('-'), v),
            None => {
                return Err(fail(format!(
                    "Missing a value on flag: {flag} (expected --{}=<value>)",
                    flag.trim_start_matches('-')
                )));
            }
        };
        let at = find_in(sources, id, inst, flag).unwrap_or(span);
        match name {
            "interval" | "timeout" | "start-period" | "start-interval" => {
                let field = name.replace('-', "_");
                match crate::load::compose::parse_go_duration(value) {
                    Some(d) if d.is_zero() || d >= Duration::from_millis(1) => {
                        let slot = match name {
                            "interval" => &mut hc.interval,
                            "timeout" => &mut hc.timeout,
                            "start-period" => &mut hc.start_period,
                            _ => &mut hc.start_interval,
                        };
                        if !d.is_zero() {
                            *slot = Some(Spanned::new(d, at));
                        }
                    }
                    _ => hc
                        .invalid_durations
                        .push((field, Spanned::new(value.to_string(), at))),
                }
            }
            "retries" => match value.parse::<i64>() {
                Ok(n) if n >= 0 => {
                    hc.retries = Some(Spanned::new(n.min(u32::MAX as i64) as u32, at));
                }
                Ok(n) => return Err(fail(format!("--retries cannot be negative ({n})"))),
                Err(_) => return Err(fail(format!("--retries={value} is not a whole number"))),
            },
            other => {
                return Err(fail(format!(
                    "Unknown flag: {other} (HEALTHCHECK takes --interval, --timeout, --start-period, --start-interval and --retries)"
                )));
            }
        }
    }
    if typ != "CMD" {
        return Err(fail(format!(
            "Unknown type {typ:?} in HEALTHCHECK (try CMD)"
        )));
    }
    let args = &inst.args[1..];
    if args.is_empty() {
        return Err(fail("Missing command after HEALTHCHECK CMD".into()));
    }
    let form = if inst.json {
        TestForm::Cmd(args.iter().map(|a| Spanned::new(a.clone(), span)).collect())
    } else {
        let text = args.join(" ");
        let at = find_in(sources, id, inst, &text).unwrap_or(span);
        TestForm::CmdShell(Spanned::new(text, at))
    };
    hc.test = Some(HealthTest {
        form,
        span,
        ..Default::default()
    });
    Ok(hc)
}

/// The span of `needle` on the instruction's first physical line, when it is written there
/// verbatim (continuations and escapes can make it absent; callers fall back to the line).
fn find_in(sources: &Sources, id: FileId, inst: &Instruction, needle: &str) -> Option<Span> {
    if needle.is_empty() {
        return None;
    }
    let text = &sources.get(id).text;
    let (start, end) = inst.first_line;
    let line = text.get(start..end)?;
    let at = line.find(needle)?;
    Some(sources.span(id, start + at, start + at + needle.len()))
}

/// `80`, `80/tcp`, `8000-8010/udp`.
fn parse_expose(word: &str, span: Span) -> Option<Expose> {
    let (ports, proto) = match word.split_once('/') {
        Some((p, proto)) => (p, proto),
        None => (word, "tcp"),
    };
    let protocol = match proto.to_ascii_lowercase().as_str() {
        "tcp" => Protocol::Tcp,
        "udp" => Protocol::Udp,
        "sctp" => Protocol::Sctp,
        _ => return None,
    };
    let (lo, hi) = match ports.split_once('-') {
        Some((a, b)) => (a.parse().ok()?, b.parse().ok()?),
        None => {
            let p = ports.parse().ok()?;
            (p, p)
        }
    };
    Some(Expose {
        port: lo,
        port_end: hi,
        protocol,
        span,
    })
}

/// `path` resolved against the working directory, `.` segments dropped; a trailing `/` (which
/// makes a COPY destination a directory) is kept.
fn join_path(base: &str, path: &str) -> String {
    let joined = if path.starts_with('/') {
        path.to_string()
    } else {
        format!("{}/{}", base.trim_end_matches('/'), path)
    };
    let dir = joined.ends_with('/') || joined.ends_with("/.");
    let mut out = String::new();
    for seg in joined.split('/').filter(|s| !s.is_empty() && *s != ".") {
        out.push('/');
        out.push_str(seg);
    }
    if out.is_empty() || dir {
        out.push('/');
    }
    out
}

/// Dockerfile variable substitution (`$V`, `${V}`, `${V:-d}`, `${V-d}`, `${V:+a}`, `${V+a}`);
/// unknown variables become empty, as in `docker build`.
pub fn expand(text: &str, vars: &HashMap<String, String>) -> String {
    if !text.contains('$') {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        rest = &rest[at + 1..];
        if let Some(body) = rest.strip_prefix('{') {
            let Some(close) = body.find('}') else {
                out.push('$');
                continue;
            };
            let inner = &body[..close];
            rest = &body[close + 1..];
            let name_len = inner
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(inner.len());
            let (name, op) = inner.split_at(name_len);
            let value = vars.get(name);
            let set_nonempty = value.is_some_and(|v| !v.is_empty());
            let piece = if let Some(d) = op.strip_prefix(":-") {
                if set_nonempty {
                    value.cloned()
                } else {
                    Some(d.to_string())
                }
            } else if let Some(d) = op.strip_prefix('-') {
                if value.is_some() {
                    value.cloned()
                } else {
                    Some(d.to_string())
                }
            } else if let Some(a) = op.strip_prefix(":+") {
                set_nonempty.then(|| a.to_string())
            } else if let Some(a) = op.strip_prefix('+') {
                value.is_some().then(|| a.to_string())
            } else {
                value.cloned()
            };
            out.push_str(&piece.unwrap_or_default());
        } else {
            let name_len = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            if name_len == 0 {
                out.push('$');
                continue;
            }
            let (name, after) = rest.split_at(name_len);
            out.push_str(vars.get(name).map_or("", String::as_str));
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expansion_operators() {
        let vars: HashMap<String, String> = [
            ("A".to_string(), "x".to_string()),
            ("E".to_string(), String::new()),
        ]
        .into();
        assert_eq!(
            expand("${A}-$A-${B:-d}-${E:-e}-${E-f}-${A:+p}-${B+q}", &vars),
            "x-x-d-e--p-"
        );
        assert_eq!(expand("node:${TAG:-22}-alpine", &vars), "node:22-alpine");
    }

    #[test]
    fn expose_forms() {
        let s = Span::default();
        let e = parse_expose("8000-8010/udp", s).unwrap();
        assert_eq!(
            (e.port, e.port_end, e.protocol),
            (8000, 8010, Protocol::Udp)
        );
        assert!(parse_expose("http", s).is_none());
    }
}
