//! The human report: findings grouped by file and service, each a `file:line:col` header and a
//! miette diagnostic with the source snippet, the primary and secondary labels and the fix.

use std::fmt;
use std::io::{self, Write};
use std::path::Path;
use std::time::Duration;

use miette::{Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan};

use super::{
    RenderOptions, counts, display_path, load_error_position, rule_name, severity_str,
    sorted_findings, source_of,
};
use crate::load::LoadError;
use crate::model::{HealthCheck, Origin, Project, TestForm};
use crate::pipeline::Analysis;
use crate::rules::{Finding, Severity};
use crate::span::{FileId, Sources, Span};

/// A finding, a load warning, or a secondary label in another file, shaped for miette.
#[derive(Debug)]
struct Diag {
    message: String,
    severity: miette::Severity,
    help: Option<String>,
    src: Option<Snippet>,
    labels: Vec<LabeledSpan>,
    related: Vec<Diag>,
}

/// The lines of a file a snippet shows, with their place in the file. miette reads a source
/// from its first byte to every label; handing it a window instead of the whole file keeps a
/// report linear in the number of findings on large files.
#[derive(Debug)]
struct Snippet {
    name: String,
    text: String,
    /// Byte offset of `text` in the file.
    base: usize,
    /// 0-based line number of `text`'s first line.
    first_line: usize,
}

impl miette::SourceCode for Snippet {
    fn read_span<'a>(
        &'a self,
        span: &miette::SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn miette::SpanContents<'a> + 'a>, miette::MietteError> {
        let start = span.offset().saturating_sub(self.base).min(self.text.len());
        let len = span.len().min(self.text.len() - start);
        let inner = self.text.as_str().read_span(
            &miette::SourceSpan::new(start.into(), len),
            before,
            after,
        )?;
        Ok(Box::new(miette::MietteSpanContents::new_named(
            self.name.clone(),
            inner.data(),
            miette::SourceSpan::new(
                (inner.span().offset() + self.base).into(),
                inner.span().len(),
            ),
            inner.line() + self.first_line,
            inner.column(),
            inner.line_count(),
        )))
    }
}

impl fmt::Display for Diag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Diag {}

impl Diagnostic for Diag {
    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.src.as_ref().map(|s| s as &dyn miette::SourceCode)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if self.labels.is_empty() || self.src.is_none() {
            return None;
        }
        Some(Box::new(self.labels.iter().cloned()))
    }
    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn Diagnostic> + 'a>> {
        if self.related.is_empty() {
            return None;
        }
        Some(Box::new(self.related.iter().map(|d| d as &dyn Diagnostic)))
    }
}

struct Style {
    color: bool,
}

impl Style {
    fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }
    fn severity(&self, s: Severity) -> String {
        let code = match s {
            Severity::Error => "1;31",
            Severity::Warning => "1;33",
            Severity::Info => "1;36",
        };
        self.paint(code, severity_str(s))
    }
    fn bold(&self, text: &str) -> String {
        self.paint("1", text)
    }
    fn dim(&self, text: &str) -> String {
        self.paint("2", text)
    }
}

fn handler(color: bool, width: usize) -> GraphicalReportHandler {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    GraphicalReportHandler::new_themed(theme)
        .with_width(width.max(40))
        .with_links(false)
        .with_urls(false)
        .without_syntax_highlighting()
}

fn write_diag(h: &GraphicalReportHandler, diag: &Diag, out: &mut dyn Write) -> io::Result<()> {
    let mut s = String::new();
    if has_huge_line(diag) || h.render_report(&mut s, diag).is_err() {
        // miette refuses spans it cannot read; the header already says where.
        s = format!("  {}\n", diag.message);
    }
    out.write_all(s.as_bytes())
}

/// miette pads its snippet to the column of a label and panics when that column does not fit
/// its formatter (lines of ~65k characters, minified or hostile files): such snippets would be
/// unreadable anyway, so the header alone is shown.
fn has_huge_line(diag: &Diag) -> bool {
    const MAX_LINE: usize = 4096;
    let Some(src) = &diag.src else {
        return false;
    };
    let text = src.text.as_str();
    diag.labels.iter().any(|l| {
        let at = l.offset().saturating_sub(src.base).min(text.len());
        let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
        let end = text[at..].find('\n').map_or(text.len(), |i| at + i);
        end - start > MAX_LINE
    }) || diag.related.iter().any(has_huge_line)
}

/// A miette span for `span`, clamped to the file so a stale span never aborts rendering.
fn source_span(text: &str, span: &Span) -> miette::SourceSpan {
    let start = (span.start as usize).min(text.len());
    let end = (span.end as usize).clamp(start, text.len());
    miette::SourceSpan::new(start.into(), end - start)
}

/// Byte ranges of secret-looking environment values in each file, found once per report so
/// snippets can mask them byte for byte (every span still lines up).
type Masks = std::collections::HashMap<FileId, Vec<(usize, usize)>>;

fn secret_masks(project: &Project) -> Masks {
    let mut masks = Masks::new();
    let vars = project
        .services
        .iter()
        .flat_map(|s| {
            let image_env = s.dockerfile.iter().flat_map(|d| d.env.iter());
            s.environment.iter().chain(image_env)
        })
        .filter(|e| !e.span.is_dummy() && crate::redact::is_secret_key(&e.key));
    for var in vars {
        let Some(value) = var.value.as_deref().filter(|v| !v.is_empty()) else {
            continue;
        };
        let text = &project.sources.get(var.span.file).text;
        let start = var.span.start as usize;
        let Some(rest) = text.get(start..) else {
            continue;
        };
        let line = rest.split('\n').next().unwrap_or_default();
        let after_key = line.find(var.key.as_str()).map_or(0, |i| i + var.key.len());
        if let Some(i) = line[after_key..].find(value) {
            let from = start + after_key + i;
            masks
                .entry(var.span.file)
                .or_default()
                .push((from, from + value.len()));
        }
    }
    masks
}

/// The lines around `spans` of a file, named as the report names it, secrets masked.
fn snippet_source(
    project: &Project,
    file: FileId,
    cwd: &Path,
    masks: &Masks,
    spans: &[miette::SourceSpan],
) -> Snippet {
    let src = project.sources.get(file);
    let lo = spans.iter().map(|s| s.offset()).min().unwrap_or(0);
    let hi = spans
        .iter()
        .map(|s| s.offset() + s.len())
        .max()
        .unwrap_or(0);
    let (from, to, first_line) = src.window(lo, hi, 4);
    let mut bytes = src.text.as_bytes()[from..to].to_vec();
    for &(a, b) in masks.get(&file).into_iter().flatten() {
        if a >= from && b <= to {
            bytes[a - from..b - from].fill(b'*');
        }
    }
    let text = String::from_utf8(bytes).unwrap_or_else(|_| src.text[from..to].to_string());
    Snippet {
        name: display_path(&src.path, cwd),
        text,
        base: from,
        first_line,
    }
}

fn finding_diag(f: &Finding, project: &Project, cwd: &Path, masks: &Masks) -> Diag {
    let sources = &project.sources;
    let mut labels = Vec::new();
    let mut related = Vec::new();
    let src = source_of(sources, f.span.file).filter(|_| !f.span.is_dummy());
    if let Some(file) = src {
        labels.push(LabeledSpan::new_primary_with_span(
            None,
            source_span(&file.text, &f.span),
        ));
    }
    for l in &f.labels {
        if l.span.is_dummy() {
            continue;
        }
        let Some(lf) = source_of(sources, l.span.file) else {
            continue;
        };
        let ls = source_span(&lf.text, &l.span);
        if src.is_some() && l.span.file == f.span.file {
            labels.push(LabeledSpan::new_with_span(Some(l.message.clone()), ls));
        } else {
            related.push(Diag {
                message: l.message.clone(),
                severity: miette::Severity::Advice,
                help: None,
                src: Some(snippet_source(project, l.span.file, cwd, masks, &[ls])),
                labels: vec![LabeledSpan::new_primary_with_span(None, ls)],
                related: Vec::new(),
            });
        }
    }
    Diag {
        message: f.message.clone(),
        severity: match f.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
            Severity::Info => miette::Severity::Advice,
        },
        help: f.fix.as_ref().map(|x| format!("fix: {}", x.description)),
        src: src.map(|_| {
            let spans: Vec<_> = labels.iter().map(|l| *l.inner()).collect();
            snippet_source(project, f.span.file, cwd, masks, &spans)
        }),
        labels,
        related,
    }
}

fn position(sources: &Sources, span: &Span, cwd: &Path) -> String {
    match source_of(sources, span.file) {
        Some(f) if !span.is_dummy() => {
            format!("{}:{}:{}", display_path(&f.path, cwd), span.line, span.col)
        }
        Some(f) => display_path(&f.path, cwd),
        None => "<unknown>".to_owned(),
    }
}

pub(super) fn render(
    analysis: &Analysis,
    opts: &RenderOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    let style = Style { color: opts.color };
    let h = handler(opts.color, opts.width);
    let project = &analysis.project;
    let sources = &project.sources;

    // Quiet means findings only: load warnings are context, not results.
    let warnings = if opts.quiet {
        &[][..]
    } else {
        &project.warnings[..]
    };
    for w in warnings {
        let at = w.span.filter(|s| !s.is_dummy());
        match at {
            Some(s) => writeln!(
                out,
                "{}: {}: {}",
                style.bold(&position(sources, &s, &opts.cwd)),
                style.severity(Severity::Warning),
                w.message
            )?,
            None => writeln!(out, "{}: {}", style.severity(Severity::Warning), w.message)?,
        }
    }
    if !warnings.is_empty() {
        writeln!(out)?;
    }

    let masks = secret_masks(project);
    let findings = sorted_findings(analysis, &opts.cwd);
    let mut group: Option<(Option<&Path>, Option<&str>)> = None;
    for f in &findings {
        let path = source_of(sources, f.span.file).map(|s| s.path.as_path());
        let key = (path, f.service.as_deref());
        if group != Some(key) {
            let file = path.map_or_else(|| "<unknown>".to_owned(), |p| display_path(p, &opts.cwd));
            let heading = match key.1 {
                Some(svc) => format!("{file} — service {svc}"),
                None => file,
            };
            writeln!(out, "{}", style.bold(&format!("── {heading}")))?;
            group = Some(key);
        }
        writeln!(
            out,
            "{}: {}[{}] {}",
            style.bold(&position(sources, &f.span, &opts.cwd)),
            style.severity(f.severity),
            f.rule,
            rule_name(f.rule)
        )?;
        write_diag(&h, &finding_diag(f, project, &opts.cwd, &masks), out)?;
        writeln!(out)?;
    }

    if opts.quiet {
        return Ok(());
    }
    if findings.is_empty() {
        writeln!(out, "No findings. Effective health checks:")?;
        for (i, s) in project.services.iter().enumerate() {
            let kind = analysis.services.get(i).map(|a| &a.kind);
            let kind_text = kind.map_or_else(
                || "unknown".to_owned(),
                |k| {
                    format!(
                        "{} ({:.0}%)",
                        super::json::kind_name(k.kind),
                        k.confidence * 100.0
                    )
                },
            );
            let inactive = if s.active { "" } else { " [inactive profile]" };
            writeln!(
                out,
                "  {}{}  {}  check: {}",
                style.bold(&s.name),
                inactive,
                style.dim(&kind_text),
                check_summary(&s.healthcheck)
            )?;
        }
        writeln!(out)?;
    }
    let c = counts(&analysis.findings);
    writeln!(
        out,
        "{}, {}, {} in {}; {} checked",
        plural(c.errors, "error"),
        plural(c.warnings, "warning"),
        plural(c.infos, "info"),
        plural(sources.len(), "file"),
        plural(project.services.len(), "service"),
    )
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

fn duration(d: Duration) -> String {
    let ms = d.as_millis();
    if !ms.is_multiple_of(1000) {
        format!("{ms}ms")
    } else if ms >= 60_000 && ms.is_multiple_of(60_000) {
        format!("{}m", ms / 60_000)
    } else {
        format!("{}s", ms / 1000)
    }
}

/// One line saying what the engine will run and how often.
pub(crate) fn check_summary(h: &HealthCheck) -> String {
    let origin = match h.origin {
        Origin::Compose => "compose",
        Origin::Dockerfile => "Dockerfile",
        Origin::Image => "image",
        Origin::None => "none",
    };
    if h.disabled || matches!(h.test.as_ref().map(|t| &t.form), Some(TestForm::None)) {
        return format!("disabled [{origin}]");
    }
    let Some(test) = &h.test else {
        return match h.origin {
            Origin::Image => "whatever the image defines (not visible here)".to_owned(),
            _ => "none".to_owned(),
        };
    };
    let test = match &test.form {
        TestForm::Cmd(args) => format!(
            "CMD {}",
            args.iter()
                .map(|a| a.value.as_str())
                .collect::<Vec<_>>()
                .join(" ")
        ),
        TestForm::CmdShell(s) => format!("CMD-SHELL {}", s.value),
        TestForm::None => "NONE".to_owned(),
        TestForm::Invalid(args) => format!(
            "invalid {}",
            args.iter()
                .map(|a| a.value.as_str())
                .collect::<Vec<_>>()
                .join(" ")
        ),
    };
    format!(
        "{test} (every {}, timeout {}, retries {}, start period {}) [{origin}]",
        duration(h.interval_or_default()),
        duration(h.timeout_or_default()),
        h.retries_or_default(),
        duration(h.start_period_or_default()),
    )
}

pub(super) fn render_load_error(
    err: &LoadError,
    color: bool,
    cwd: &Path,
    out: &mut dyn Write,
) -> io::Result<()> {
    let style = Style { color };
    let (path, line, col) = load_error_position(err, cwd);
    let at = match (path, line) {
        (Some(p), 0) => format!("{p}: "),
        (Some(p), _) => format!("{p}:{line}:{col}: "),
        (None, _) => String::new(),
    };
    writeln!(
        out,
        "{}{}: {}",
        style.bold(&at),
        style.severity(Severity::Error),
        err.message
    )?;
    if let (Some(src), Some(at)) = (&err.src, err.at) {
        let name = err
            .path
            .as_deref()
            .map_or_else(|| src.name().to_owned(), |p| display_path(p, cwd));
        let text = src.inner().clone();
        let start = at.offset().min(text.len());
        let len = at.len().min(text.len() - start);
        let label = Some(err.label.clone()).filter(|l| !l.is_empty());
        let diag = Diag {
            message: err.message.clone(),
            severity: miette::Severity::Error,
            help: None,
            src: Some(Snippet {
                name,
                text,
                base: 0,
                first_line: 0,
            }),
            labels: vec![LabeledSpan::new_primary_with_span(label, (start, len))],
            related: Vec::new(),
        };
        write_diag(&handler(color, 100), &diag, out)?;
    }
    Ok(())
}
