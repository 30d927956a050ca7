//! The report stage: renders an [`Analysis`] as human diagnostics (miette, with source
//! snippets), the versioned JSON document, SARIF 2.1.0 or GitHub workflow annotations, and
//! decides the exit code.

pub mod github;
mod human;
pub mod json;
pub mod sarif;

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::cli::{ColorChoice, FailOn, Format};
use crate::load::LoadError;
use crate::pipeline::Analysis;
use crate::rules::{Finding, Severity};
use crate::span::{FileId, Sources, Span};

pub use json::JsonReport;

/// How to render. `cwd` makes paths relative, so reports from CI read like the repository.
#[derive(Clone, Debug)]
pub struct RenderOptions {
    pub format: Format,
    pub color: bool,
    pub quiet: bool,
    pub cwd: PathBuf,
    /// Terminal width for wrapping the human report.
    pub width: usize,
}

impl Default for RenderOptions {
    fn default() -> Self {
        RenderOptions {
            format: Format::Human,
            color: false,
            quiet: false,
            cwd: PathBuf::new(),
            width: 100,
        }
    }
}

/// Renders several inputs one after another (a walked directory, several path arguments).
pub fn render_all(
    analyses: &[Analysis],
    opts: &RenderOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    match opts.format {
        Format::Json => json::render_many(analyses, opts, out),
        Format::Sarif => sarif::render_many(analyses, opts, out),
        Format::Human | Format::Github => {
            for a in analyses {
                render(a, opts, out)?;
            }
            Ok(())
        }
    }
}

pub fn render(analysis: &Analysis, opts: &RenderOptions, out: &mut dyn Write) -> io::Result<()> {
    match opts.format {
        Format::Human => human::render(analysis, opts, out),
        Format::Json => json::render(analysis, opts, out),
        Format::Sarif => sarif::render(analysis, opts, out),
        Format::Github => github::render(analysis, opts, out),
    }
}

/// Renders a load failure in the requested format, so CI consumers get a document they can
/// parse even when there is nothing to lint.
pub fn render_load_error(
    err: &LoadError,
    format: Format,
    color: bool,
    out: &mut dyn Write,
) -> io::Result<()> {
    let cwd = std::env::current_dir().unwrap_or_default();
    match format {
        Format::Human => human::render_load_error(err, color, &cwd, out),
        Format::Json => json::render_load_error(err, &cwd, out),
        Format::Sarif => sarif::render_load_error(err, &cwd, out),
        Format::Github => github::render_load_error(err, &cwd, out),
    }
}

/// 1 when a finding at or above `fail_on` remains, else 0.
pub fn exit_code(findings: &[Finding], fail_on: FailOn) -> u8 {
    let threshold = match fail_on {
        FailOn::Error => Severity::Error,
        FailOn::Warning => Severity::Warning,
        FailOn::Info => Severity::Info,
        FailOn::Never => return 0,
    };
    u8::from(findings.iter().any(|f| f.severity >= threshold))
}

/// Whether to colour output: `always` wins, `never` wins, and `auto` means a terminal without
/// `NO_COLOR` set (any non-empty value, per no-color.org).
pub fn use_color(choice: ColorChoice, is_tty: bool) -> bool {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    color_decision(choice, is_tty, no_color)
}

fn color_decision(choice: ColorChoice, is_tty: bool, no_color: bool) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => is_tty && !no_color,
    }
}

/// A position resolved against the source text: 1-based lines and columns (characters) of both
/// ends of a span.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Resolved {
    pub path: Option<PathBuf>,
    pub line: u32,
    pub column: u32,
    pub end_line: u32,
    pub end_column: u32,
}

/// The source file of a span, when the span points into a file the run read. Synthesised
/// spans (line 0) and ids outside the table have none.
pub(crate) fn source_of(sources: &Sources, file: FileId) -> Option<&crate::span::SourceFile> {
    ((file as usize) < sources.len()).then(|| sources.get(file))
}

/// The path of a span's file, when the run read it.
pub fn source_path(sources: &Sources, file: FileId) -> Option<&Path> {
    source_of(sources, file).map(|s| s.path.as_path())
}

pub(crate) fn resolve(sources: &Sources, span: &Span) -> Resolved {
    let Some(src) = source_of(sources, span.file) else {
        return Resolved {
            path: None,
            line: span.line,
            column: span.col,
            end_line: span.line,
            end_column: span.col,
        };
    };
    if span.is_dummy() {
        return Resolved {
            path: Some(src.path.clone()),
            line: 0,
            column: 0,
            end_line: 0,
            end_column: 0,
        };
    }
    let (end_line, end_column) = src.line_col(span.end as usize);
    let (end_line, end_column) = (end_line as u32, end_column as u32);
    // A span that outlived its text (or was built by hand) must still read start <= end.
    let (end_line, end_column) = if (end_line, end_column) < (span.line, span.col) {
        (span.line, span.col)
    } else {
        (end_line, end_column)
    };
    Resolved {
        path: Some(src.path.clone()),
        line: span.line,
        column: span.col,
        end_line,
        end_column,
    }
}

/// `path` as the user should read it: relative to `cwd` when under it, else as given.
pub(crate) fn display_path(path: &Path, cwd: &Path) -> String {
    let rel = if cwd.as_os_str().is_empty() {
        path
    } else {
        path.strip_prefix(cwd).unwrap_or(path)
    };
    let s = rel.to_string_lossy();
    if std::path::MAIN_SEPARATOR == '\\' {
        s.replace('\\', "/")
    } else {
        s.into_owned()
    }
}

/// The findings in report order: file, position, rule, then message, whatever order the rules
/// produced them in.
pub(crate) fn sorted_findings<'a>(analysis: &'a Analysis, cwd: &Path) -> Vec<&'a Finding> {
    let mut v: Vec<&Finding> = analysis.findings.iter().collect();
    let key = |f: &Finding| {
        let path = source_of(&analysis.project.sources, f.span.file)
            .map(|s| display_path(&s.path, cwd))
            .unwrap_or_default();
        (path, f.span.line, f.span.col, f.rule, f.message.clone())
    };
    v.sort_by_cached_key(|f| key(f));
    v
}

/// Counts of findings by severity.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Counts {
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
}

pub(crate) fn counts(findings: &[Finding]) -> Counts {
    let mut c = Counts::default();
    for f in findings {
        match f.severity {
            Severity::Error => c.errors += 1,
            Severity::Warning => c.warnings += 1,
            Severity::Info => c.infos += 1,
        }
    }
    c
}

/// The rule's kebab name, or its id for an id the catalog does not know.
pub(crate) fn rule_name(id: &str) -> &str {
    crate::rules::meta::get(id).map_or(id, |m| m.name.as_str())
}

pub(crate) fn severity_str(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "info",
    }
}

/// Where a load error happened: path, line and column when known.
pub(crate) fn load_error_position(err: &LoadError, cwd: &Path) -> (Option<String>, u32, u32) {
    let path = err
        .path
        .as_deref()
        .map(|p| display_path(p, cwd))
        .or_else(|| err.src.as_ref().map(|s| s.name().to_owned()));
    let (line, col) = err
        .span
        .filter(|s| !s.is_dummy())
        .map_or((0, 0), |s| (s.line, s.col));
    (path, line, col)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::span::Span;

    fn finding(sev: Severity) -> Finding {
        Finding {
            rule: "HL101",
            severity: sev,
            service: None,
            span: Span::default(),
            message: String::new(),
            labels: Vec::new(),
            fix: None,
        }
    }

    #[test]
    fn exit_code_follows_the_threshold() {
        let warn = [finding(Severity::Warning)];
        assert_eq!(exit_code(&warn, FailOn::Error), 0);
        assert_eq!(exit_code(&warn, FailOn::Warning), 1);
        assert_eq!(exit_code(&warn, FailOn::Info), 1);
        assert_eq!(exit_code(&warn, FailOn::Never), 0);
        assert_eq!(exit_code(&[finding(Severity::Error)], FailOn::Error), 1);
        assert_eq!(exit_code(&[finding(Severity::Info)], FailOn::Warning), 0);
        assert_eq!(exit_code(&[], FailOn::Info), 0);
    }

    #[test]
    fn auto_colour_needs_a_terminal_and_no_no_color() {
        assert!(color_decision(ColorChoice::Auto, true, false));
        assert!(!color_decision(ColorChoice::Auto, true, true));
        assert!(!color_decision(ColorChoice::Auto, false, false));
        assert!(color_decision(ColorChoice::Always, false, true));
    }

    #[test]
    fn explicit_color_choices_ignore_the_terminal() {
        assert!(use_color(ColorChoice::Always, false));
        assert!(!use_color(ColorChoice::Never, true));
        assert!(!use_color(ColorChoice::Auto, false));
    }

    #[test]
    fn paths_are_shown_relative_to_the_working_directory() {
        let cwd = Path::new("/repo");
        assert_eq!(
            display_path(Path::new("/repo/a/compose.yml"), cwd),
            "a/compose.yml"
        );
        assert_eq!(
            display_path(Path::new("/elsewhere/x.yml"), cwd),
            "/elsewhere/x.yml"
        );
        assert_eq!(display_path(Path::new("rel.yml"), Path::new("")), "rel.yml");
    }

    #[test]
    fn spans_outside_the_source_table_do_not_panic() {
        let sources = Sources::new();
        let r = resolve(&sources, &Span::new(7, 0, 3, 2, 4));
        assert_eq!((r.path, r.line, r.column), (None, 2, 4));
    }
}
