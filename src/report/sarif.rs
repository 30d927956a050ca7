//! SARIF 2.1.0 through serde-sarif's generated types, so the output follows the schema rather
//! than hand-built JSON. Every catalog rule is a `reportingDescriptor`; results point at it by
//! id and index. Columns are counted in characters, which the run declares.

use std::io::{self, Write};
use std::path::Path;

use serde_json::json;
use serde_sarif::sarif::{
    ArtifactChange, ArtifactContent, ArtifactLocation, Fix, Invocation, Location, Message,
    MultiformatMessageString, Notification, PhysicalLocation, Region, Replacement,
    ReportingConfiguration, ReportingDescriptor, Result as SarifResult, ResultLevel, Run, Sarif,
    Tool, ToolComponent,
};

use super::{RenderOptions, Resolved, resolve, sorted_findings};
use crate::load::LoadError;
use crate::pipeline::Analysis;
use crate::rules::meta::{self, RuleMeta};
use crate::rules::{Finding, Severity};
use crate::span::Span;

pub const SCHEMA_URI: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";
pub const INFORMATION_URI: &str = "https://github.com/healthlint/healthlint";

pub(crate) fn help_uri(id: &str) -> String {
    format!("{INFORMATION_URI}/blob/main/docs/rules/{id}.md")
}

fn level(s: Severity) -> ResultLevel {
    match s {
        Severity::Error => ResultLevel::Error,
        Severity::Warning => ResultLevel::Warning,
        Severity::Info => ResultLevel::Note,
    }
}

fn level_value(s: Severity) -> serde_json::Value {
    json!(match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    })
}

fn text(s: impl Into<String>) -> Message {
    Message::builder().text(s.into()).build()
}

fn multiformat(text: &str, markdown: Option<String>) -> MultiformatMessageString {
    match markdown {
        Some(md) => MultiformatMessageString::builder()
            .text(text)
            .markdown(md)
            .build(),
        None => MultiformatMessageString::builder().text(text).build(),
    }
}

fn descriptor(m: &RuleMeta) -> ReportingDescriptor {
    let mut help = m.summary.clone();
    let mut md = format!("**{}** ({}): {}", m.id, m.name, m.summary);
    if !m.rationale.is_empty() {
        help.push_str("\n\n");
        help.push_str(&m.rationale);
        md.push_str("\n\n");
        md.push_str(&m.rationale);
    }
    if !m.bad.is_empty() {
        help.push_str("\n\nFires on:\n");
        help.push_str(&m.bad);
        md.push_str(&format!(
            "\n\nFires on:\n\n```yaml\n{}\n```",
            m.bad.trim_end()
        ));
    }
    if !m.good.is_empty() {
        help.push_str("\n\nInstead:\n");
        help.push_str(&m.good);
        md.push_str(&format!(
            "\n\nInstead:\n\n```yaml\n{}\n```",
            m.good.trim_end()
        ));
    }
    md.push_str(&format!("\n\n[Documentation]({})", help_uri(&m.id)));
    let full = if m.rationale.is_empty() {
        &m.summary
    } else {
        &m.rationale
    };
    ReportingDescriptor::builder()
        .id(m.id.clone())
        .name(m.name.clone())
        .short_description(multiformat(&m.summary, None))
        .full_description(multiformat(full, None))
        .help(multiformat(&help, Some(md)))
        .help_uri(help_uri(&m.id))
        .default_configuration(
            ReportingConfiguration::builder()
                .level(level_value(m.severity))
                .build(),
        )
        .build()
}

fn tool() -> Tool {
    Tool::builder()
        .driver(
            ToolComponent::builder()
                .name("healthlint")
                .version(env!("CARGO_PKG_VERSION"))
                .semantic_version(env!("CARGO_PKG_VERSION"))
                .information_uri(INFORMATION_URI)
                .rules(meta::all().iter().map(descriptor).collect::<Vec<_>>())
                .build(),
        )
        .build()
}

/// A URI reference for `path`: relative (percent-encoded, `/`-separated) when under `cwd`, a
/// `file://` URI otherwise.
pub(crate) fn uri(path: &Path, cwd: &Path) -> String {
    let rel = if cwd.as_os_str().is_empty() {
        Some(path)
    } else {
        path.strip_prefix(cwd).ok()
    };
    match rel {
        Some(r) if !r.is_absolute() => encode(&r.to_string_lossy().replace('\\', "/")),
        _ => {
            let abs = path.to_string_lossy().replace('\\', "/");
            let abs = if abs.starts_with('/') {
                abs
            } else {
                format!("/{abs}")
            };
            format!("file://{}", encode(&abs))
        }
    }
}

fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn region(r: &Resolved) -> Region {
    Region::builder()
        .start_line(i64::from(r.line))
        .start_column(i64::from(r.column))
        .end_line(i64::from(r.end_line))
        .end_column(i64::from(r.end_column))
        .build()
}

fn location(analysis: &Analysis, span: &Span, cwd: &Path) -> Option<PhysicalLocation> {
    let r = resolve(&analysis.project.sources, span);
    let path = r.path.as_deref()?;
    let artifact = ArtifactLocation::builder().uri(uri(path, cwd)).build();
    Some(if r.line == 0 {
        PhysicalLocation::builder()
            .artifact_location(artifact)
            .build()
    } else {
        PhysicalLocation::builder()
            .artifact_location(artifact)
            .region(region(&r))
            .build()
    })
}

fn result(analysis: &Analysis, f: &Finding, cwd: &Path) -> SarifResult {
    let rule_index = meta::all().iter().position(|m| m.id == f.rule);
    let locations: Vec<Location> = location(analysis, &f.span, cwd)
        .map(|p| Location::builder().physical_location(p).build())
        .into_iter()
        .collect();
    let related: Vec<Location> = f
        .labels
        .iter()
        .enumerate()
        .filter_map(|(i, l)| {
            location(analysis, &l.span, cwd).map(|p| {
                Location::builder()
                    .id(i as i64)
                    .physical_location(p)
                    .message(text(l.message.clone()))
                    .build()
            })
        })
        .collect();
    let fixes: Vec<Fix> = f
        .fix
        .as_ref()
        .and_then(|x| {
            let r = resolve(&analysis.project.sources, &x.span);
            let path = r.path.as_deref().filter(|_| r.line > 0)?;
            Some(
                Fix::builder()
                    .description(text(x.description.clone()))
                    .artifact_changes(vec![
                        ArtifactChange::builder()
                            .artifact_location(
                                ArtifactLocation::builder().uri(uri(path, cwd)).build(),
                            )
                            .replacements(vec![
                                Replacement::builder()
                                    .deleted_region(region(&r))
                                    .inserted_content(
                                        ArtifactContent::builder()
                                            .text(x.replacement.clone())
                                            .build(),
                                    )
                                    .build(),
                            ])
                            .build(),
                    ])
                    .build(),
            )
        })
        .into_iter()
        .collect();

    let mut b = SarifResult::builder()
        .rule_id(f.rule)
        .level(level(f.severity))
        .message(text(f.message.clone()))
        .locations(locations)
        .build();
    b.rule_index = rule_index.map(|i| i as i64);
    if !related.is_empty() {
        b.related_locations = Some(related);
    }
    if !fixes.is_empty() {
        b.fixes = Some(fixes);
    }
    b
}

fn write(doc: &Sarif, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, doc)?;
    writeln!(out)
}

fn sarif(run: Run) -> Sarif {
    Sarif::builder()
        .schema(SCHEMA_URI)
        .version(json!("2.1.0"))
        .runs(vec![run])
        .build()
}

/// The SARIF document for an analysis.
pub fn build(analysis: &Analysis, cwd: &Path) -> Sarif {
    let results: Vec<SarifResult> = sorted_findings(analysis, cwd)
        .into_iter()
        .map(|f| result(analysis, f, cwd))
        .collect();
    let notifications: Vec<Notification> = analysis
        .project
        .warnings
        .iter()
        .map(|w| {
            let mut n = Notification::builder()
                .level(json!("warning"))
                .message(text(w.message.clone()))
                .build();
            if let Some(p) = w.span.and_then(|s| location(analysis, &s, cwd)) {
                n.locations = Some(vec![Location::builder().physical_location(p).build()]);
            }
            n
        })
        .collect();
    let mut invocation = Invocation::builder().execution_successful(true).build();
    if !notifications.is_empty() {
        invocation.tool_execution_notifications = Some(notifications);
    }
    let run = Run::builder()
        .tool(tool())
        .results(results)
        .invocations(vec![invocation])
        .column_kind(json!("unicodeCodePoints"))
        .build();
    sarif(run)
}

pub(super) fn render(
    analysis: &Analysis,
    opts: &RenderOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    write(&build(analysis, &opts.cwd), out)
}

/// Several inputs make one SARIF log with one run each: code scanning uploads one file.
pub(super) fn render_many(
    analyses: &[Analysis],
    opts: &RenderOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    let runs: Vec<Run> = analyses
        .iter()
        .flat_map(|a| build(a, &opts.cwd).runs)
        .collect();
    if runs.is_empty() {
        return Ok(());
    }
    let doc = Sarif::builder()
        .schema(SCHEMA_URI)
        .version(json!("2.1.0"))
        .runs(runs)
        .build();
    write(&doc, out)
}

pub(super) fn render_load_error(
    err: &LoadError,
    cwd: &Path,
    out: &mut dyn Write,
) -> io::Result<()> {
    let mut n = Notification::builder()
        .level(json!("error"))
        .message(text(err.message.clone()))
        .build();
    if let Some(path) = &err.path {
        let artifact = ArtifactLocation::builder().uri(uri(path, cwd)).build();
        let phys = match err.span.filter(|s| !s.is_dummy()) {
            Some(s) => PhysicalLocation::builder()
                .artifact_location(artifact)
                .region(
                    Region::builder()
                        .start_line(i64::from(s.line))
                        .start_column(i64::from(s.col))
                        .build(),
                )
                .build(),
            None => PhysicalLocation::builder()
                .artifact_location(artifact)
                .build(),
        };
        n.locations = Some(vec![Location::builder().physical_location(phys).build()]);
    }
    let invocation = Invocation::builder()
        .execution_successful(false)
        .exit_code(2)
        .tool_execution_notifications(vec![n])
        .build();
    let run = Run::builder()
        .tool(tool())
        .results(Vec::<SarifResult>::new())
        .invocations(vec![invocation])
        .column_kind(json!("unicodeCodePoints"))
        .build();
    write(&sarif(run), out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_relative_and_encoded() {
        let cwd = Path::new("/repo");
        assert_eq!(
            uri(Path::new("/repo/a b/compose.yml"), cwd),
            "a%20b/compose.yml"
        );
        assert_eq!(uri(Path::new("/other/x.yml"), cwd), "file:///other/x.yml");
    }
}
