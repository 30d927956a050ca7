//! The `--format json` document (`version: 1`). The structs here are the contract: the JSON
//! Schema in `docs/json-schema.json` is generated from them, and a test fails when it is stale.
//! Environment values are never written (they hold secrets); labels are public and are.

use std::io::{self, Write};
use std::path::Path;

use schemars::JsonSchema;
use serde::Serialize;

use super::{RenderOptions, display_path, resolve, rule_name, severity_str, sorted_findings};
use crate::infer::KindInfo;
use crate::load::LoadError;
use crate::model::{
    CommandForm, CommandLine, Condition, HealthCheck, Origin, Project, Protocol, Service, TestForm,
};
use crate::pipeline::Analysis;
use crate::probe::{Probe, ProbeKind, ProbeStep};
use crate::rules::Finding;
use crate::span::{Sources, Span};

/// The document version; bumped only on incompatible changes.
pub const VERSION: u32 = 1;

/// Either a report or, when the input could not be loaded, an error document.
#[derive(Serialize, JsonSchema)]
#[serde(untagged)]
#[schemars(title = "healthlint JSON report")]
pub enum JsonDocument {
    Report(JsonReport),
    Error(JsonErrorDocument),
}

#[derive(Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Report")]
pub struct JsonReport {
    /// Always 1 for this layout.
    pub version: u32,
    /// Every file read (compose files, included files, Dockerfiles), relative to the working
    /// directory when under it.
    pub files: Vec<String>,
    pub services: Vec<JsonService>,
    pub findings: Vec<JsonFinding>,
    /// Things the lint could not see (missing `.env`, unset variables); never findings.
    pub warnings: Vec<JsonWarning>,
    /// What `verify` observed in the running containers; null for a static lint.
    pub live: Option<serde_json::Value>,
    pub summary: JsonSummary,
}

#[derive(Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "ErrorDocument")]
pub struct JsonErrorDocument {
    pub version: u32,
    pub error: JsonError,
}

#[derive(Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Error")]
pub struct JsonError {
    pub message: String,
    /// The file at fault, when known.
    pub file: Option<String>,
    /// 1-based; null when the error is about the file as a whole.
    pub line: Option<u32>,
    pub column: Option<u32>,
    /// What is wrong at that position.
    pub label: Option<String>,
}

#[derive(Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Service")]
pub struct JsonService {
    pub name: String,
    pub file: Option<String>,
    pub line: u32,
    pub image: Option<String>,
    pub build: Option<JsonBuild>,
    pub ports: Vec<JsonPort>,
    pub expose: Vec<JsonExpose>,
    pub command: Option<JsonCommand>,
    pub entrypoint: Option<JsonCommand>,
    /// Variable names only: values are never reported.
    pub environment: Vec<String>,
    pub labels: Vec<JsonLabel>,
    pub depends_on: Vec<JsonDependency>,
    pub restart: Option<String>,
    pub profiles: Vec<String>,
    /// Whether the service runs under the selected profiles.
    pub active: bool,
    #[schemars(extend("enum" = ["http-server", "ws-server", "ws-client", "grpc-server", "tcp-server", "database", "broker", "worker", "cron", "oneshot", "unknown"]))]
    pub kind: String,
    /// 0.0 to 1.0.
    pub kind_confidence: f32,
    pub kind_evidence: Vec<JsonEvidence>,
    pub served_ports: Vec<JsonServedPort>,
    pub peers: Vec<JsonPeer>,
    /// The effective check after merging compose over the Dockerfile; null when there is none
    /// from any source.
    pub healthcheck: Option<JsonHealthCheck>,
    /// What the check does; null when no check runs.
    pub probe: Option<JsonProbe>,
}

#[derive(Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Build")]
pub struct JsonBuild {
    pub context: Option<String>,
    pub dockerfile: Option<String>,
    pub target: Option<String>,
}

#[derive(Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Port")]
pub struct JsonPort {
    pub target: u16,
    pub target_end: u16,
    pub published: Option<String>,
    pub host_ip: Option<String>,
    #[schemars(extend("enum" = ["tcp", "udp", "sctp"]))]
    pub protocol: String,
    pub app_protocol: Option<String>,
    pub name: Option<String>,
}

#[derive(Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Expose")]
pub struct JsonExpose {
    pub port: u16,
    pub port_end: u16,
    #[schemars(extend("enum" = ["tcp", "udp", "sctp"]))]
    pub protocol: String,
}

#[derive(Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Command")]
pub struct JsonCommand {
    /// `shell`: one string; `exec`: argv as written.
    #[schemars(extend("enum" = ["shell", "exec"]))]
    pub form: String,
    pub args: Vec<String>,
}

#[derive(Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Label")]
pub struct JsonLabel {
    pub key: String,
    pub value: String,
}

#[derive(Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Dependency")]
pub struct JsonDependency {
    pub service: String,
    #[schemars(extend("enum" = ["service_started", "service_healthy", "service_completed_successfully"]))]
    pub condition: String,
    pub required: bool,
}

#[derive(Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Evidence")]
pub struct JsonEvidence {
    pub signal: String,
    pub value: String,
    /// The kind this evidence points to.
    pub supports: String,
    pub weight: f32,
    pub line: Option<u32>,
    pub column: Option<u32>,
}

#[derive(Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "ServedPort")]
pub struct JsonServedPort {
    pub port: u16,
    pub port_end: u16,
    /// `ports`, `expose`, `EXPOSE` or `command`.
    pub source: String,
}

#[derive(Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Peer")]
pub struct JsonPeer {
    pub scheme: Option<String>,
    pub host: String,
    pub port: Option<u16>,
}

#[derive(Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "HealthCheck")]
pub struct JsonHealthCheck {
    /// Where the test comes from: `compose`, `dockerfile`, `image` (unknown base image) or
    /// `none`.
    #[schemars(extend("enum" = ["compose", "dockerfile", "image", "none"]))]
    pub origin: String,
    pub test: Option<JsonTest>,
    pub disabled: bool,
    pub interval_ms: Option<u64>,
    pub timeout_ms: Option<u64>,
    pub start_period_ms: Option<u64>,
    pub start_interval_ms: Option<u64>,
    pub retries: Option<u32>,
}

#[derive(Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Test")]
pub struct JsonTest {
    /// `cmd` (exec, no shell), `cmd-shell` (one script run by the shell), `none` (disabled) or
    /// `invalid` (rejected by compose or the engine, kept as written).
    #[schemars(extend("enum" = ["cmd", "cmd-shell", "none", "invalid"]))]
    pub form: String,
    pub args: Vec<String>,
}

#[derive(Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Probe")]
pub struct JsonProbe {
    #[schemars(extend("enum" = ["http", "ws", "tcp", "grpc", "db-native", "process", "peer-connection", "file", "script", "trivial", "none"]))]
    pub kind: String,
    pub shell: bool,
    pub script: Option<String>,
    /// False when the exit status is constant (`|| true`, `exit 0`).
    pub can_fail: bool,
    pub cannot_fail_reason: Option<String>,
    pub explicit_exit_codes: Vec<i32>,
    pub programs: Vec<String>,
    pub steps: Vec<JsonProbeStep>,
}

#[derive(Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "ProbeStep")]
pub struct JsonProbeStep {
    pub kind: String,
    pub tool: String,
    pub argv: Vec<String>,
    pub target: Option<JsonTarget>,
    pub fails_on_http_error: Option<bool>,
    pub pattern: Option<String>,
    pub full_command_line: bool,
}

#[derive(Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Target")]
pub struct JsonTarget {
    pub scheme: Option<String>,
    pub host: String,
    pub port: Option<u16>,
    pub path: Option<String>,
}

#[derive(Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Finding")]
pub struct JsonFinding {
    pub rule: String,
    pub name: String,
    #[schemars(extend("enum" = ["error", "warning", "info"]))]
    pub severity: String,
    pub service: Option<String>,
    pub file: Option<String>,
    pub line: u32,
    pub column: u32,
    pub end_line: u32,
    pub end_column: u32,
    /// What will happen at run time.
    pub message: String,
    pub labels: Vec<JsonLabelLocation>,
    pub fix: Option<JsonFix>,
}

#[derive(Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "LabelLocation")]
pub struct JsonLabelLocation {
    pub file: Option<String>,
    pub line: u32,
    pub column: u32,
    pub message: String,
}

#[derive(Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Fix")]
pub struct JsonFix {
    pub description: String,
    /// The text that replaces the finding's health check.
    pub replacement: String,
}

#[derive(Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Warning")]
pub struct JsonWarning {
    #[schemars(extend("enum" = ["missing-env-file", "missing-dot-env", "required-variable-unset", "unset-variable", "missing-build-context", "missing-dockerfile", "unreadable-dockerfile", "other"]))]
    pub kind: String,
    pub message: String,
    pub file: Option<String>,
    pub line: Option<u32>,
    pub column: Option<u32>,
}

#[derive(Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Summary")]
pub struct JsonSummary {
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
    pub services: usize,
    pub files: usize,
}

/// The JSON Schema of the document, as committed in `docs/json-schema.json`.
pub fn schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(JsonDocument))
        .expect("a generated schema is plain JSON")
}

pub(super) fn render(
    analysis: &Analysis,
    opts: &RenderOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    let doc = build(analysis, &opts.cwd);
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}

/// Several inputs (a walk, or `compose.yml Dockerfile`) make one document, so a consumer
/// always parses exactly one JSON value.
pub(super) fn render_many(
    analyses: &[Analysis],
    opts: &RenderOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    let mut docs = analyses.iter().map(|a| build(a, &opts.cwd));
    let Some(mut doc) = docs.next() else {
        return Ok(());
    };
    for d in docs {
        for f in d.files {
            if !doc.files.contains(&f) {
                doc.files.push(f);
            }
        }
        doc.services.extend(d.services);
        doc.findings.extend(d.findings);
        doc.warnings.extend(d.warnings);
        doc.summary.errors += d.summary.errors;
        doc.summary.warnings += d.summary.warnings;
        doc.summary.infos += d.summary.infos;
        doc.summary.services += d.summary.services;
    }
    doc.summary.files = doc.files.len();
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}

pub(super) fn render_load_error(
    err: &LoadError,
    cwd: &Path,
    out: &mut dyn Write,
) -> io::Result<()> {
    let (file, line, col) = super::load_error_position(err, cwd);
    let doc = JsonErrorDocument {
        version: VERSION,
        error: JsonError {
            message: err.message.clone(),
            file,
            line: (line > 0).then_some(line),
            column: (col > 0).then_some(col),
            label: Some(err.label.clone()).filter(|l| !l.is_empty()),
        },
    };
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}

/// Builds the report document.
pub fn build(analysis: &Analysis, cwd: &Path) -> JsonReport {
    let project = &analysis.project;
    let sources = &project.sources;
    let path_of = |file: u32| super::source_of(sources, file).map(|s| display_path(&s.path, cwd));
    let files = sources
        .iter()
        .map(|(_, f)| display_path(&f.path, cwd))
        .collect();
    let services = project
        .services
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let sa = analysis.services.get(i);
            service(
                s,
                sa.map(|a| &a.kind),
                sa.and_then(|a| a.probe.as_ref()),
                sources,
                &path_of,
            )
        })
        .collect();
    let findings = sorted_findings(analysis, cwd)
        .into_iter()
        .map(|f| finding(f, sources, cwd))
        .collect();
    let c = super::counts(&analysis.findings);
    JsonReport {
        version: VERSION,
        files,
        services,
        findings,
        warnings: warnings(project, cwd),
        live: analysis.live.clone(),
        summary: JsonSummary {
            errors: c.errors,
            warnings: c.warnings,
            infos: c.infos,
            services: project.services.len(),
            files: sources.len(),
        },
    }
}

fn warnings(project: &Project, cwd: &Path) -> Vec<JsonWarning> {
    project
        .warnings
        .iter()
        .map(|w| {
            let r = w.span.map(|s| resolve(&project.sources, &s));
            JsonWarning {
                kind: kebab(&w.kind),
                message: w.message.clone(),
                file: r
                    .as_ref()
                    .and_then(|r| r.path.as_deref())
                    .map(|p| display_path(p, cwd)),
                line: r.as_ref().map(|r| r.line).filter(|&l| l > 0),
                column: r.as_ref().map(|r| r.column).filter(|&c| c > 0),
            }
        })
        .collect()
}

/// The serde name of a unit enum value (the model's enums carry their kebab/snake renames).
fn kebab<T: Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

fn protocol(p: Protocol) -> String {
    kebab(&p)
}

fn command(c: &CommandLine) -> JsonCommand {
    match &c.form {
        CommandForm::Shell(s) => JsonCommand {
            form: "shell".into(),
            args: vec![s.clone()],
        },
        CommandForm::Exec(v) => JsonCommand {
            form: "exec".into(),
            args: v.clone(),
        },
    }
}

fn line_of(span: Option<&Span>) -> (Option<u32>, Option<u32>) {
    match span {
        Some(s) if !s.is_dummy() => (Some(s.line), Some(s.col)),
        _ => (None, None),
    }
}

fn service(
    s: &Service,
    kind: Option<&KindInfo>,
    probe: Option<&Probe>,
    _sources: &Sources,
    path_of: &dyn Fn(u32) -> Option<String>,
) -> JsonService {
    let default_kind = KindInfo::default();
    let kind = kind.unwrap_or(&default_kind);
    JsonService {
        name: s.name.clone(),
        file: path_of(s.file),
        line: s.span.line,
        image: s.image.as_ref().map(|i| i.value.clone()),
        build: s.build.as_ref().map(|b| JsonBuild {
            context: b.context.as_ref().map(|p| p.to_string_lossy().into_owned()),
            dockerfile: b
                .dockerfile
                .as_ref()
                .map(|p| p.to_string_lossy().into_owned()),
            target: b.target.clone(),
        }),
        ports: s
            .ports
            .iter()
            .map(|p| JsonPort {
                target: p.target,
                target_end: p.target_end,
                published: p.published.clone(),
                host_ip: p.host_ip.clone(),
                protocol: protocol(p.protocol),
                app_protocol: p.app_protocol.clone(),
                name: p.name.clone(),
            })
            .collect(),
        expose: s
            .expose
            .iter()
            .map(|e| JsonExpose {
                port: e.port,
                port_end: e.port_end,
                protocol: protocol(e.protocol),
            })
            .collect(),
        command: s.command.as_ref().map(command),
        entrypoint: s.entrypoint.as_ref().map(command),
        environment: s.environment.iter().map(|e| e.key.clone()).collect(),
        labels: s
            .labels
            .iter()
            .map(|l| JsonLabel {
                key: l.key.clone(),
                value: l.value.clone(),
            })
            .collect(),
        depends_on: s
            .depends_on
            .iter()
            .map(|d| JsonDependency {
                service: d.service.clone(),
                condition: condition(d.condition),
                required: d.required,
            })
            .collect(),
        restart: s.restart.as_ref().map(|r| r.value.clone()),
        profiles: s.profiles.clone(),
        active: s.active,
        kind: kebab(&kind.kind),
        kind_confidence: kind.confidence,
        kind_evidence: kind
            .evidence
            .iter()
            .map(|e| {
                let (line, column) = line_of(e.span.as_ref());
                JsonEvidence {
                    signal: e.signal.clone(),
                    value: e.value.clone(),
                    supports: kebab(&e.supports),
                    weight: e.weight,
                    line,
                    column,
                }
            })
            .collect(),
        served_ports: kind
            .served_ports
            .iter()
            .map(|p| JsonServedPort {
                port: p.port,
                port_end: p.port_end,
                source: p.source.clone(),
            })
            .collect(),
        peers: kind
            .peers
            .iter()
            .map(|p| JsonPeer {
                scheme: p.scheme.clone(),
                host: p.host.clone(),
                port: p.port,
            })
            .collect(),
        healthcheck: healthcheck(&s.healthcheck),
        probe: probe.map(json_probe),
    }
}

fn condition(c: Condition) -> String {
    kebab(&c)
}

fn ms(d: &Option<crate::span::Spanned<std::time::Duration>>) -> Option<u64> {
    d.as_ref()
        .map(|d| u64::try_from(d.value.as_millis()).unwrap_or(u64::MAX))
}

fn healthcheck(h: &HealthCheck) -> Option<JsonHealthCheck> {
    if h.origin == Origin::None && h.test.is_none() && !h.disabled {
        return None;
    }
    Some(JsonHealthCheck {
        origin: kebab(&h.origin),
        test: h.test.as_ref().map(|t| match &t.form {
            TestForm::Cmd(args) => JsonTest {
                form: "cmd".into(),
                args: args.iter().map(|a| a.value.clone()).collect(),
            },
            TestForm::CmdShell(script) => JsonTest {
                form: "cmd-shell".into(),
                args: vec![script.value.clone()],
            },
            TestForm::None => JsonTest {
                form: "none".into(),
                args: Vec::new(),
            },
            TestForm::Invalid(args) => JsonTest {
                form: "invalid".into(),
                args: args.iter().map(|a| a.value.clone()).collect(),
            },
        }),
        disabled: h.disabled,
        interval_ms: ms(&h.interval),
        timeout_ms: ms(&h.timeout),
        start_period_ms: ms(&h.start_period),
        start_interval_ms: ms(&h.start_interval),
        retries: h.retries.as_ref().map(|r| r.value),
    })
}

fn probe_kind(k: ProbeKind) -> String {
    kebab(&k)
}

fn json_probe(p: &Probe) -> JsonProbe {
    JsonProbe {
        kind: probe_kind(p.kind),
        shell: p.shell,
        script: p.script.clone(),
        can_fail: p.can_fail,
        cannot_fail_reason: p.cannot_fail_reason.clone(),
        explicit_exit_codes: p.explicit_exit_codes.clone(),
        programs: p.programs.clone(),
        steps: p.steps.iter().map(step).collect(),
    }
}

fn step(s: &ProbeStep) -> JsonProbeStep {
    JsonProbeStep {
        kind: probe_kind(s.kind),
        tool: s.tool.clone(),
        argv: s.argv.clone(),
        target: s.target.as_ref().map(|t| JsonTarget {
            scheme: t.scheme.clone(),
            host: t.host.clone(),
            port: t.port,
            path: t.path.clone(),
        }),
        fails_on_http_error: s.fails_on_http_error,
        pattern: s.pattern.clone(),
        full_command_line: s.full_command_line,
    }
}

fn finding(f: &Finding, sources: &Sources, cwd: &Path) -> JsonFinding {
    let r = resolve(sources, &f.span);
    JsonFinding {
        rule: f.rule.to_owned(),
        name: rule_name(f.rule).to_owned(),
        severity: severity_str(f.severity).to_owned(),
        service: f.service.clone(),
        file: r.path.as_deref().map(|p| display_path(p, cwd)),
        line: r.line,
        column: r.column,
        end_line: r.end_line,
        end_column: r.end_column,
        message: f.message.clone(),
        labels: f
            .labels
            .iter()
            .map(|l| {
                let lr = resolve(sources, &l.span);
                JsonLabelLocation {
                    file: lr.path.as_deref().map(|p| display_path(p, cwd)),
                    line: lr.line,
                    column: lr.column,
                    message: l.message.clone(),
                }
            })
            .collect(),
        fix: f.fix.as_ref().map(|x| JsonFix {
            description: x.description.clone(),
            replacement: x.replacement.clone(),
        }),
    }
}

pub(crate) fn kind_name(k: crate::infer::ServiceKind) -> String {
    kebab(&k)
}
