//! GitHub Actions workflow commands (`::error file=..,line=..::message`), which the runner turns
//! into annotations on the pull request's diff.

use std::io::{self, Write};
use std::path::Path;

use super::{RenderOptions, display_path, resolve, rule_name, sorted_findings};
use crate::load::LoadError;
use crate::pipeline::Analysis;
use crate::rules::Severity;

/// Escapes a command's message the way the runner unescapes it.
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a property value: like data, plus the `:` and `,` that delimit properties.
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

fn command(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "notice",
    }
}

fn line(out: &mut dyn Write, cmd: &str, props: &[(&str, String)], message: &str) -> io::Result<()> {
    let props: Vec<String> = props
        .iter()
        .map(|(k, v)| format!("{k}={}", escape_property(v)))
        .collect();
    if props.is_empty() {
        writeln!(out, "::{cmd}::{}", escape_data(message))
    } else {
        writeln!(out, "::{cmd} {}::{}", props.join(","), escape_data(message))
    }
}

pub(super) fn render(
    analysis: &Analysis,
    opts: &RenderOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    let sources = &analysis.project.sources;
    for w in &analysis.project.warnings {
        let mut props = Vec::new();
        if let Some(r) = w.span.map(|s| resolve(sources, &s))
            && let Some(p) = &r.path
        {
            props.push(("file", display_path(p, &opts.cwd)));
            if r.line > 0 {
                props.push(("line", r.line.to_string()));
                props.push(("col", r.column.to_string()));
            }
        }
        props.push(("title", "healthlint".to_owned()));
        line(out, "warning", &props, &w.message)?;
    }
    for f in sorted_findings(analysis, &opts.cwd) {
        let r = resolve(sources, &f.span);
        let mut props = Vec::new();
        if let Some(p) = &r.path {
            props.push(("file", display_path(p, &opts.cwd)));
            if r.line > 0 {
                props.push(("line", r.line.to_string()));
                props.push(("col", r.column.to_string()));
                props.push(("endLine", r.end_line.to_string()));
                props.push(("endColumn", r.end_column.to_string()));
            }
        }
        props.push(("title", format!("{} {}", f.rule, rule_name(f.rule))));
        let mut message = f.message.clone();
        if let Some(svc) = &f.service {
            message = format!("{message} (service {svc})");
        }
        if let Some(fix) = &f.fix {
            message.push_str("\nfix: ");
            message.push_str(&fix.description);
        }
        line(out, command(f.severity), &props, &message)?;
    }
    Ok(())
}

pub(super) fn render_load_error(
    err: &LoadError,
    cwd: &Path,
    out: &mut dyn Write,
) -> io::Result<()> {
    let (path, l, c) = super::load_error_position(err, cwd);
    let mut props = Vec::new();
    if let Some(p) = path {
        props.push(("file", p));
        if l > 0 {
            props.push(("line", l.to_string()));
            props.push(("col", c.to_string()));
        }
    }
    props.push(("title", "healthlint".to_owned()));
    line(out, "error", &props, &err.message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_matches_the_runner() {
        assert_eq!(escape_data("50% done\r\nnext"), "50%25 done%0D%0Anext");
        assert_eq!(escape_property("a:b,c%"), "a%3Ab%2Cc%25");
    }
}
