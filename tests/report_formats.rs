//! Golden tests of every report format on one small analysis built in code (two services, two
//! findings with labels, one fix), schema validation of JSON and SARIF, the configuration file
//! and in-source suppressions.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use healthlint::cli::{FailOn, Format};
use healthlint::config;
use healthlint::infer::{Evidence, KindInfo, Peer, ServedPort, ServiceKind};
use healthlint::load::LoadError;
use healthlint::model::{
    Build, CommandForm, CommandLine, EnvVar, HealthCheck, HealthTest, Label as ModelLabel,
    LoadWarning, Origin, Port, Project, Protocol, Service, TestForm, WarningKind,
};
use healthlint::pipeline::{Analysis, ServiceAnalysis};
use healthlint::probe::{Probe, ProbeKind, ProbeStep, Target};
use healthlint::report::{self, RenderOptions};
use healthlint::rules::{Finding, Fix, Label, Severity};
use healthlint::span::{FileId, Sources, Span, Spanned, span_of};

const COMPOSE: &str = r#"services:
  bot:
    image: node:20-alpine
    command: node bot.js
    environment:
      TELEGRAM_TOKEN: "123456:secret-token-value"
      GATEWAY_URL: wss://gateway.example:18789
    healthcheck:
      test: ["CMD", "curl", "-f", "http://localhost:3000/health"]
      interval: 10s
  api:
    build: ./api
    ports:
      - "8080:8080"
    labels:
      team: payments
    healthcheck:
      test: curl http://localhost:8080/health
"#;

/// Finds the `nth` occurrence of `needle` in `text` and spans it.
fn find(file: FileId, text: &str, needle: &str, nth: usize) -> Span {
    let start = text
        .match_indices(needle)
        .nth(nth)
        .unwrap_or_else(|| panic!("`{needle}` not in the fixture"))
        .0;
    span_of(file, text, start, start + needle.len())
}

/// The project as the loader would give it for `COMPOSE` at `path`, with `text` as its source
/// (so suppression tests can add comments).
fn project_from(path: &Path, text: &str) -> Project {
    let mut sources = Sources::new();
    let f = sources.add(path, text);
    let s = |needle: &str| find(f, text, needle, 0);

    let bot = Service {
        name: "bot".into(),
        span: s("bot:"),
        file: f,
        image: Some(Spanned::new("node:20-alpine".into(), s("node:20-alpine"))),
        command: Some(CommandLine {
            form: CommandForm::Shell("node bot.js".into()),
            span: s("node bot.js"),
        }),
        environment: vec![
            EnvVar {
                key: "TELEGRAM_TOKEN".into(),
                value: Some("123456:secret-token-value".into()),
                span: s("TELEGRAM_TOKEN"),
            },
            EnvVar {
                key: "GATEWAY_URL".into(),
                value: Some("wss://gateway.example:18789".into()),
                span: s("GATEWAY_URL"),
            },
        ],
        active: true,
        healthcheck: HealthCheck {
            origin: Origin::Compose,
            test: Some(HealthTest {
                form: TestForm::Cmd(
                    ["curl", "-f", "http://localhost:3000/health"]
                        .iter()
                        .map(|a| Spanned::new((*a).to_owned(), s(a)))
                        .collect(),
                ),
                span: s(r#"["CMD", "curl", "-f", "http://localhost:3000/health"]"#),
                from_string: false,
                ..Default::default()
            }),
            interval: Some(Spanned::new(Duration::from_secs(10), s("10s"))),
            span: Some(find(f, text, "healthcheck:", 0)),
            ..HealthCheck::default()
        },
        ..Service::default()
    };
    let api = Service {
        name: "api".into(),
        span: s("api:"),
        file: f,
        build: Some(Build {
            context: Some(PathBuf::from("./api")),
            span: s("./api"),
            ..Build::default()
        }),
        ports: vec![Port {
            target: 8080,
            target_end: 8080,
            published: Some("8080".into()),
            host_ip: None,
            protocol: Protocol::Tcp,
            app_protocol: None,
            name: None,
            span: s(r#""8080:8080""#),
        }],
        labels: vec![ModelLabel {
            key: "team".into(),
            value: "payments".into(),
            span: s("team"),
        }],
        active: true,
        healthcheck: HealthCheck {
            origin: Origin::Compose,
            test: Some(HealthTest {
                form: TestForm::CmdShell(Spanned::new(
                    "curl http://localhost:8080/health".into(),
                    s("curl http://localhost:8080/health"),
                )),
                span: s("curl http://localhost:8080/health"),
                from_string: true,
                ..Default::default()
            }),
            span: Some(find(f, text, "healthcheck:", 1)),
            ..HealthCheck::default()
        },
        ..Service::default()
    };
    Project {
        name: "demo".into(),
        dir: path.parent().unwrap().to_path_buf(),
        compose_files: vec![f],
        services: vec![bot, api],
        warnings: vec![LoadWarning {
            kind: WarningKind::MissingDotEnv,
            message: "no .env file in the project directory; variables come from the environment"
                .into(),
            span: None,
        }],
        sources,
        ..Default::default()
    }
}

fn findings(project: &Project) -> Vec<Finding> {
    let f = project.compose_files[0];
    let text = &*project.sources.get(f).text;
    let s = |needle: &str| find(f, text, needle, 0);
    let test = s(r#"["CMD", "curl", "-f", "http://localhost:3000/health"]"#);
    vec![
        // Deliberately out of order: the report sorts by file and position.
        Finding {
            rule: "HL202",
            severity: Severity::Error,
            service: Some("api".into()),
            span: s("curl http://localhost:8080/health"),
            message: "curl exits 0 on an HTTP 500, so the check passes while the API fails".into(),
            labels: vec![Label {
                span: s(r#""8080:8080""#),
                message: "the API serves 8080".into(),
            }],
            fix: None,
        },
        Finding {
            rule: "HL101",
            severity: Severity::Error,
            service: Some("bot".into()),
            span: test,
            message: "every probe gets ECONNREFUSED: bot is a WebSocket client that listens on \
                      no port, so it is marked unhealthy while it works"
                .into(),
            labels: vec![
                Label {
                    span: s("node bot.js"),
                    message: "opens an outgoing WebSocket connection".into(),
                },
                Label {
                    span: s("GATEWAY_URL"),
                    message: "the peer it connects to".into(),
                },
            ],
            fix: Some(Fix {
                description: "check a heartbeat file the bot touches on every pong".into(),
                span: test,
                replacement: r#"["CMD-SHELL", "find /tmp/heartbeat -mmin -1 | grep -q ."]"#.into(),
            }),
        },
    ]
}

fn kinds(project: &Project) -> Vec<ServiceAnalysis> {
    let f = project.compose_files[0];
    let text = &*project.sources.get(f).text;
    let s = |needle: &str| find(f, text, needle, 0);
    vec![
        ServiceAnalysis {
            kind: KindInfo {
                kind: ServiceKind::WsClient,
                confidence: 0.9,
                evidence: vec![Evidence {
                    signal: "environment".into(),
                    value: "GATEWAY_URL".into(),
                    supports: ServiceKind::WsClient,
                    weight: 0.6,
                    span: Some(s("GATEWAY_URL")),
                }],
                served_ports: Vec::new(),
                peers: vec![Peer {
                    scheme: Some("wss".into()),
                    host: "gateway.example".into(),
                    port: Some(18789),
                    span: None,
                    ..Default::default()
                }],
                ..Default::default()
            },
            probe: Some(Probe {
                kind: ProbeKind::Http,
                steps: vec![ProbeStep {
                    kind: ProbeKind::Http,
                    tool: "curl".into(),
                    argv: vec![
                        "curl".into(),
                        "-f".into(),
                        "http://localhost:3000/health".into(),
                    ],
                    target: Some(Target {
                        scheme: Some("http".into()),
                        host: "localhost".into(),
                        port: Some(3000),
                        path: Some("/health".into()),
                        ..Default::default()
                    }),
                    fails_on_http_error: Some(true),
                    pattern: None,
                    full_command_line: false,
                    range: (0, 41),
                    ..Default::default()
                }],
                shell: false,
                script: None,
                can_fail: true,
                cannot_fail_reason: None,
                explicit_exit_codes: Vec::new(),
                exec_shell_syntax: Vec::new(),
                programs: vec!["curl".into()],
                ..Default::default()
            }),
        },
        ServiceAnalysis {
            kind: KindInfo {
                kind: ServiceKind::HttpServer,
                confidence: 0.8,
                evidence: Vec::new(),
                served_ports: vec![ServedPort {
                    port: 8080,
                    port_end: 8080,
                    source: "ports".into(),
                    span: None,
                    ..Default::default()
                }],
                peers: Vec::new(),
                ..Default::default()
            },
            probe: None,
        },
    ]
}

const ROOT: &str = "/project";

fn analysis_with(text: &str) -> Analysis {
    let project = project_from(&Path::new(ROOT).join("compose.yml"), text);
    Analysis {
        findings: findings(&project),
        services: kinds(&project),
        project,
        live: None,
    }
}

fn analysis() -> Analysis {
    analysis_with(COMPOSE)
}

fn opts(format: Format) -> RenderOptions {
    RenderOptions {
        format,
        color: false,
        quiet: false,
        cwd: PathBuf::from(ROOT),
        width: 100,
    }
}

fn render(a: &Analysis, o: &RenderOptions) -> String {
    let mut out = Vec::new();
    report::render(a, o, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

fn repo(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn read_json(path: &str) -> serde_json::Value {
    let text = std::fs::read_to_string(repo(path)).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap()
}

/// The official SARIF 2.1.0 schema carries one malformed pattern (a stray `]` in the BCP 47
/// pattern of `language`) that a conforming validator refuses to compile. The file stays
/// byte-for-byte official; only that keyword is dropped before compiling.
const BROKEN_LANGUAGE_PATTERN: &str = "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$";

fn drop_broken_patterns(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(map) => {
            if map.get("pattern").and_then(|p| p.as_str()) == Some(BROKEN_LANGUAGE_PATTERN) {
                map.remove("pattern");
            }
            map.values_mut().for_each(drop_broken_patterns);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(drop_broken_patterns),
        _ => {}
    }
}

fn assert_valid(schema: &serde_json::Value, doc: &serde_json::Value) {
    let mut schema = schema.clone();
    drop_broken_patterns(&mut schema);
    let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "schema violations:\n{}",
        errors.join("\n")
    );
}

// ---------------------------------------------------------------------------------------------
// Human

#[test]
fn human_report_snapshot() {
    insta::assert_snapshot!(render(&analysis(), &opts(Format::Human)));
}

#[test]
fn human_report_points_at_file_line_col_with_rule_and_fix() {
    let out = render(&analysis(), &opts(Format::Human));
    assert!(
        out.contains("compose.yml:9:13: error[HL101] http-probe-on-non-http-service"),
        "{out}"
    );
    assert!(
        out.contains("compose.yml:18:13: error[HL202] curl-without-fail"),
        "{out}"
    );
    assert!(out.contains("fix: check a heartbeat file the bot touches on every pong"));
    assert!(out.contains("opens an outgoing WebSocket connection"));
    assert!(out.contains("warning: no .env file in the project directory"));
    // The snippet shows the environment block, but never a secret's value.
    assert!(!out.contains("secret-token-value"), "{out}");
    assert!(
        out.contains("TELEGRAM_TOKEN: \"*************************\""),
        "{out}"
    );
    assert!(out.contains("wss://gateway.example:18789"));
    // Sorted by position although the rules produced HL202 first.
    assert!(out.find("HL101").unwrap() < out.find("HL202").unwrap());
    assert!(
        out.trim_end()
            .ends_with("2 errors, 0 warnings, 0 infos in 1 file; 2 services checked")
    );
}

#[test]
fn quiet_human_report_has_no_summary() {
    let mut o = opts(Format::Human);
    o.quiet = true;
    let out = render(&analysis(), &o);
    assert!(out.contains("HL101"));
    assert!(!out.contains("services checked"), "{out}");
    assert!(!out.contains(".env"), "{out}");
}

#[test]
fn clean_human_report_lists_services_and_effective_checks() {
    let mut a = analysis();
    a.findings.clear();
    let out = render(&a, &opts(Format::Human));
    insta::assert_snapshot!("human_clean", out);
    assert!(out.contains("bot  ws-client (90%)  check: CMD curl -f http://localhost:3000/health (every 10s, timeout 30s, retries 3, start period 0s) [compose]"), "{out}");
    assert!(
        out.contains("api  http-server (80%)  check: CMD-SHELL curl http://localhost:8080/health")
    );
}

#[test]
fn colour_is_only_emitted_when_asked() {
    let mut o = opts(Format::Human);
    assert!(!render(&analysis(), &o).contains('\x1b'));
    o.color = true;
    assert!(render(&analysis(), &o).contains("\x1b["));
}

// ---------------------------------------------------------------------------------------------
// JSON

fn json_doc(a: &Analysis) -> serde_json::Value {
    serde_json::from_str(&render(a, &opts(Format::Json))).unwrap()
}

#[test]
fn json_report_snapshot() {
    insta::assert_json_snapshot!(json_doc(&analysis()));
}

#[test]
fn json_report_matches_the_committed_schema() {
    assert_valid(&read_json("docs/json-schema.json"), &json_doc(&analysis()));
}

#[test]
fn json_report_never_contains_environment_values() {
    let text = render(&analysis(), &opts(Format::Json));
    assert!(!text.contains("secret-token-value"));
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        doc["services"][0]["environment"],
        serde_json::json!(["TELEGRAM_TOKEN", "GATEWAY_URL"])
    );
    assert_eq!(doc["services"][1]["labels"][0]["value"], "payments");
}

#[test]
fn json_findings_carry_positions_labels_and_fix() {
    let doc = json_doc(&analysis());
    let f = &doc["findings"][0];
    assert_eq!(f["rule"], "HL101");
    assert_eq!(f["name"], "http-probe-on-non-http-service");
    assert_eq!(
        (f["line"].as_u64(), f["column"].as_u64()),
        (Some(9), Some(13))
    );
    assert_eq!(
        (f["end_line"].as_u64(), f["end_column"].as_u64()),
        (Some(9), Some(66))
    );
    assert_eq!(f["labels"][0]["line"], 4);
    assert_eq!(
        f["fix"]["description"],
        "check a heartbeat file the bot touches on every pong"
    );
    assert!(doc["findings"][1]["fix"].is_null());
    assert_eq!(doc["summary"]["errors"], 2);
    assert_eq!(doc["warnings"][0]["kind"], "missing-dot-env");
}

#[test]
fn json_load_error_is_a_versioned_document() {
    let text = "services:\n  a: [\n";
    let err = LoadError {
        message: "unclosed flow sequence".into(),
        src: Some(miette::NamedSource::new("compose.yml", text.to_owned())),
        at: Some(miette::SourceSpan::new(14.into(), 1)),
        label: "opened here".into(),
        span: Some(span_of(0, text, 14, 15)),
        path: Some(PathBuf::from("compose.yml")),
    };
    let mut out = Vec::new();
    report::render_load_error(&err, Format::Json, false, &mut out).unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(doc["version"], 1);
    assert_eq!(doc["error"]["message"], "unclosed flow sequence");
    assert_eq!(
        (
            doc["error"]["line"].as_u64(),
            doc["error"]["column"].as_u64()
        ),
        (Some(2), Some(5))
    );
    assert_valid(&read_json("docs/json-schema.json"), &doc);

    let mut human = Vec::new();
    report::render_load_error(&err, Format::Human, false, &mut human).unwrap();
    let human = String::from_utf8(human).unwrap();
    assert!(
        human.starts_with("compose.yml:2:5: error: unclosed flow sequence"),
        "{human}"
    );
    assert!(human.contains("opened here"), "{human}");

    let mut gh = Vec::new();
    report::render_load_error(&err, Format::Github, false, &mut gh).unwrap();
    assert_eq!(
        String::from_utf8(gh).unwrap(),
        "::error file=compose.yml,line=2,col=5,title=healthlint::unclosed flow sequence\n"
    );

    let mut sarif = Vec::new();
    report::render_load_error(&err, Format::Sarif, false, &mut sarif).unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&sarif).unwrap();
    assert_valid(&read_json("tests/sarif-schema-2.1.0.json"), &doc);
    let inv = &doc["runs"][0]["invocations"][0];
    assert_eq!(inv["executionSuccessful"], false);
    assert_eq!(
        inv["toolExecutionNotifications"][0]["message"]["text"],
        "unclosed flow sequence"
    );
}

// ---------------------------------------------------------------------------------------------
// SARIF

fn sarif_doc(a: &Analysis) -> serde_json::Value {
    serde_json::from_str(&render(a, &opts(Format::Sarif))).unwrap()
}

#[test]
fn sarif_report_snapshot() {
    let mut doc = sarif_doc(&analysis());
    // Every catalog rule is a descriptor; the snapshot keeps the results and one descriptor so
    // a metadata edit does not churn it.
    let rules = doc["runs"][0]["tool"]["driver"]["rules"].take();
    let mut first = rules[0].clone();
    for key in ["shortDescription", "fullDescription", "help"] {
        first[key] = serde_json::json!({ "text": "[from rules/rules.toml]" });
    }
    doc["runs"][0]["tool"]["driver"]["rules"] = serde_json::json!([first]);
    doc["runs"][0]["tool"]["driver"]["version"] = "[version]".into();
    doc["runs"][0]["tool"]["driver"]["semanticVersion"] = "[version]".into();
    insta::assert_json_snapshot!(doc);
}

#[test]
fn sarif_report_is_valid_sarif_2_1_0() {
    assert_valid(
        &read_json("tests/sarif-schema-2.1.0.json"),
        &sarif_doc(&analysis()),
    );
}

#[test]
fn sarif_describes_every_rule_and_indexes_results() {
    let doc = sarif_doc(&analysis());
    let run = &doc["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(rules.len(), healthlint::rules::meta::all().len());
    for r in &run["results"].as_array().unwrap()[..] {
        let idx = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[idx]["id"], r["ruleId"]);
    }
    let hl101 = &run["results"][0];
    assert_eq!(hl101["level"], "error");
    let region = &hl101["locations"][0]["physicalLocation"]["region"];
    assert_eq!(
        (region["startLine"].as_u64(), region["startColumn"].as_u64()),
        (Some(9), Some(13))
    );
    assert_eq!(
        hl101["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "compose.yml"
    );
    assert_eq!(hl101["relatedLocations"].as_array().unwrap().len(), 2);
    let change = &hl101["fixes"][0]["artifactChanges"][0];
    assert!(
        change["replacements"][0]["insertedContent"]["text"]
            .as_str()
            .unwrap()
            .contains("heartbeat")
    );
    assert_eq!(
        rules[0]["helpUri"],
        "https://github.com/healthlint/healthlint/blob/main/docs/rules/HL101.md"
    );
    for (descriptor, meta) in rules.iter().zip(healthlint::rules::meta::all()) {
        assert_eq!(descriptor["id"], meta.id.as_str());
        assert_eq!(descriptor["name"], meta.name.as_str());
        assert_eq!(
            descriptor["shortDescription"]["text"],
            meta.summary.as_str()
        );
        let level = match meta.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "note",
        };
        assert_eq!(descriptor["defaultConfiguration"]["level"], level);
        assert!(
            descriptor["help"]["markdown"]
                .as_str()
                .unwrap()
                .contains(&meta.summary)
        );
    }
}

// ---------------------------------------------------------------------------------------------
// GitHub

fn unescape(s: &str) -> String {
    s.replace("%0D", "\r")
        .replace("%0A", "\n")
        .replace("%3A", ":")
        .replace("%2C", ",")
        .replace("%25", "%")
}

/// Parses `::cmd k=v,k=v::message` back into its parts.
fn parse_command(line: &str) -> (String, Vec<(String, String)>, String) {
    let rest = line.strip_prefix("::").expect("a workflow command");
    let (head, message) = rest.split_once("::").expect("command and message");
    let (cmd, props) = head.split_once(' ').unwrap_or((head, ""));
    let props = props
        .split(',')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap();
            (k.to_owned(), unescape(v))
        })
        .collect();
    (cmd.to_owned(), props, unescape(message))
}

#[test]
fn github_annotations_parse_back() {
    let mut a = analysis();
    a.findings[0].severity = Severity::Warning;
    a.findings[0].message = "50% of probes fail: a, b\nsecond line".into();
    let out = render(&a, &opts(Format::Github));
    let lines: Vec<_> = out.lines().collect();
    assert_eq!(lines.len(), 3, "{out}");
    let (cmd, _, msg) = parse_command(lines[0]);
    assert_eq!(
        (cmd.as_str(), msg.as_str()),
        (
            "warning",
            "no .env file in the project directory; variables come from the environment"
        )
    );

    let (cmd, props, msg) = parse_command(lines[1]);
    assert_eq!(cmd, "error");
    let get = |k: &str| props.iter().find(|(p, _)| p == k).map(|(_, v)| v.as_str());
    assert_eq!(get("file"), Some("compose.yml"));
    assert_eq!((get("line"), get("col")), (Some("9"), Some("13")));
    assert_eq!((get("endLine"), get("endColumn")), (Some("9"), Some("66")));
    assert_eq!(get("title"), Some("HL101 http-probe-on-non-http-service"));
    assert!(msg.contains("\nfix: check a heartbeat file"), "{msg}");

    let (cmd, props, msg) = parse_command(lines[2]);
    assert_eq!(cmd, "warning");
    assert!(props.iter().any(|(k, v)| k == "line" && v == "18"));
    assert_eq!(msg, "50% of probes fail: a, b\nsecond line (service api)");
    assert!(lines[2].contains("50%25 of probes fail: a, b%0Asecond line"));
}

#[test]
fn info_findings_are_notices() {
    let mut a = analysis();
    for f in &mut a.findings {
        f.severity = Severity::Info;
    }
    let out = render(&a, &opts(Format::Github));
    assert_eq!(
        out.lines().filter(|l| l.starts_with("::notice ")).count(),
        2
    );
}

// ---------------------------------------------------------------------------------------------
// Exit codes

#[test]
fn load_warnings_never_change_the_exit_code() {
    let mut a = analysis();
    a.findings.clear();
    assert!(!a.project.warnings.is_empty());
    assert_eq!(report::exit_code(&a.findings, FailOn::Info), 0);
    assert_eq!(report::exit_code(&analysis().findings, FailOn::Error), 1);
}

// ---------------------------------------------------------------------------------------------
// Schemas committed under docs/

/// Compares a generated schema with the committed file; `HEALTHLINT_BLESS=1` rewrites it.
fn check_committed(path: &str, generated: &serde_json::Value) {
    let text = serde_json::to_string_pretty(generated).unwrap() + "\n";
    let file = repo(path);
    if std::env::var("HEALTHLINT_BLESS").as_deref() == Ok("1") {
        std::fs::write(&file, &text).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&file).unwrap_or_default();
    assert!(
        committed == text,
        "{path} is stale: regenerate it with `HEALTHLINT_BLESS=1 cargo test --test report_formats`"
    );
}

#[test]
fn json_schema_is_up_to_date() {
    check_committed("docs/json-schema.json", &report::json::schema());
}

#[test]
fn config_schema_is_up_to_date() {
    check_committed("docs/config-schema.json", &config::schema());
}

#[test]
fn config_fixtures_match_the_config_schema() {
    let schema = read_json("docs/config-schema.json");
    for dir in ["nested", "overrides"] {
        let path = repo(&format!("fixtures/config/{dir}/.healthlint.yaml"));
        let text = std::fs::read_to_string(&path).unwrap();
        let value: serde_json::Value = serde_saphyr::from_str(&text).unwrap();
        assert_valid(&schema, &value);
    }
}

// ---------------------------------------------------------------------------------------------
// Configuration

fn config_fixture(name: &str) -> PathBuf {
    common::fixtures_dir().join("config").join(name)
}

#[test]
fn config_is_discovered_upwards() {
    let start = config_fixture("nested/deploy/app");
    let found = config::discover(&start).expect("found from a subdirectory");
    assert_eq!(found, config_fixture("nested/.healthlint.yaml"));
    let cfg = config::load(&found).unwrap();
    assert_eq!(cfg.fail_on(), Some(FailOn::Warning));
}

#[test]
fn explicit_config_wins_over_discovery() {
    let cwd = config_fixture("nested/deploy/app");
    let found = config::resolve(None, &cwd).unwrap().expect("discovered");
    assert_eq!(found.path, config_fixture("nested/.healthlint.yaml"));
    let explicit = config::resolve(Some(Path::new("../../../overrides/.healthlint.yaml")), &cwd)
        .unwrap()
        .expect("loaded");
    assert!(explicit.path.ends_with("overrides/.healthlint.yaml"));
    assert_eq!(explicit.dir, config_fixture("overrides"));
    let mut a = analysis_under(
        &config_fixture("overrides"),
        &[("legacy/compose.yml", "HL102", Severity::Error)],
    );
    explicit.apply(&mut a);
    assert!(
        a.findings.is_empty(),
        "ignore-paths anchored at the real directory"
    );
    assert!(config::resolve(Some(Path::new("missing.yaml")), &cwd).is_err());
}

#[test]
fn unknown_config_key_is_an_error_with_position() {
    let path = config_fixture("unknown-key/.healthlint.yaml");
    let err = config::load(&path).unwrap_err();
    let span = err.span.expect("a position");
    assert_eq!((span.line, span.col), (2, 1), "{}", err.message);
    assert!(err.message.contains("ignore-path"), "{}", err.message);
    assert_eq!(err.path.as_deref(), Some(path.as_path()));
    let mut out = Vec::new();
    report::render_load_error(&err, Format::Human, false, &mut out).unwrap();
    let out = String::from_utf8(out).unwrap();
    assert!(
        out.starts_with(
            "fixtures/config/unknown-key/.healthlint.yaml:2:1: error: invalid configuration: unknown field `ignore-path`"
        ),
        "{out}"
    );
}

#[test]
fn unknown_rule_id_is_an_error_with_position() {
    let err = config::load(&config_fixture("unknown-rule/.healthlint.yaml")).unwrap_err();
    let span = err.span.expect("a position");
    assert_eq!(span.line, 3, "{}", err.message);
    assert!(err.message.contains("HL999"), "{}", err.message);
}

#[test]
fn bad_config_types_are_errors_too() {
    let err = config::parse(Path::new("x.yaml"), "rules:\n  HL101: loud\n").unwrap_err();
    assert_eq!(err.span.map(|s| s.line), Some(2), "{}", err.message);
    let err = config::parse(Path::new("x.yaml"), "fail-on: [\n").unwrap_err();
    assert!(err.span.is_some(), "{}", err.message);
    assert!(config::parse(Path::new("x.yaml"), "").is_ok());
}

/// An analysis whose findings sit in files under the `overrides` fixture directory.
fn analysis_under(dir: &Path, files: &[(&str, &'static str, Severity)]) -> Analysis {
    let mut project = Project::default();
    let mut findings = Vec::new();
    for (rel, rule, sev) in files {
        let id = project.sources.add(dir.join(rel), "services: {}\n");
        findings.push(Finding {
            rule,
            severity: *sev,
            service: None,
            span: Span::new(id, 0, 8, 1, 1),
            message: format!("{rule} in {rel}"),
            labels: Vec::new(),
            fix: None,
        });
    }
    Analysis {
        project,
        services: Vec::new(),
        findings,
        live: None,
    }
}

fn remaining(a: &Analysis) -> Vec<String> {
    a.findings
        .iter()
        .map(|f| format!("{} {}", f.message, report_sev(f.severity)))
        .collect()
}

fn report_sev(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "info",
    }
}

#[test]
fn config_overrides_disables_and_ignores() {
    let dir = config_fixture("overrides");
    let cfg = config::load(&dir.join(".healthlint.yaml")).unwrap();
    assert_eq!(cfg.fail_on(), Some(FailOn::Warning));
    let mut a = analysis_under(
        &dir,
        &[
            ("compose.yml", "HL202", Severity::Error),
            ("compose.yml", "HL105", Severity::Info),
            ("compose.yml", "HL104", Severity::Warning),
            ("compose.yml", "HL101", Severity::Error),
            ("dev/compose.yml", "HL101", Severity::Error),
            ("dev/compose.yml", "HL102", Severity::Error),
            ("legacy/compose.yml", "HL102", Severity::Error),
            ("stack.generated.yml", "HL102", Severity::Error),
            ("deploy/stack.generated.yml", "HL102", Severity::Error),
        ],
    );
    cfg.apply(&mut a);
    assert_eq!(
        remaining(&a),
        [
            "HL202 in compose.yml warning",
            "HL101 in compose.yml error",
            "HL102 in dev/compose.yml error",
        ]
    );
}

#[test]
fn files_outside_the_config_directory_are_not_path_ignored() {
    let dir = config_fixture("overrides");
    let cfg = config::load(&dir.join(".healthlint.yaml")).unwrap();
    let mut a = analysis_under(
        &common::fixtures_dir(),
        &[("legacy/compose.yml", "HL102", Severity::Error)],
    );
    cfg.apply(&mut a);
    assert_eq!(a.findings.len(), 1);
}

// ---------------------------------------------------------------------------------------------
// Suppressions

fn rules_left(a: &Analysis) -> Vec<&'static str> {
    a.findings.iter().map(|f| f.rule).collect()
}

#[test]
fn service_label_suppresses_listed_rules() {
    let mut a = analysis();
    a.project.services[1].labels.push(ModelLabel {
        key: "healthlint.ignore".into(),
        value: "HL202, HL105".into(),
        span: Span::default(),
    });
    healthlint::suppress::apply(&mut a);
    assert_eq!(rules_left(&a), ["HL101"]);
}

#[test]
fn service_label_all_suppresses_every_rule_of_that_service() {
    let mut a = analysis();
    a.project.services[0].labels.push(ModelLabel {
        key: "healthlint.ignore".into(),
        value: "all".into(),
        span: Span::default(),
    });
    healthlint::suppress::apply(&mut a);
    assert_eq!(rules_left(&a), ["HL202"]);
}

#[test]
fn comment_directly_above_the_finding_suppresses_it() {
    let text = COMPOSE.replace(
        "      test: curl http://localhost:8080/health",
        "      # healthlint-ignore HL202 -- the API answers 200 even when degraded\n      test: curl http://localhost:8080/health",
    );
    let mut a = analysis_with(&text);
    healthlint::suppress::apply(&mut a);
    assert_eq!(rules_left(&a), ["HL101"]);
}

#[test]
fn comment_above_the_healthcheck_key_suppresses_the_service_findings() {
    let text = COMPOSE.replacen(
        "    healthcheck:\n      test: [\"CMD\"",
        "    # healthlint-ignore HL101,HL999\n    healthcheck:\n      test: [\"CMD\"",
        1,
    );
    let mut a = analysis_with(&text);
    healthlint::suppress::apply(&mut a);
    assert_eq!(rules_left(&a), ["HL202"]);
}

#[test]
fn comment_elsewhere_or_for_another_rule_does_not_suppress() {
    // Separated from the check by a code line.
    let text = COMPOSE.replace(
        "    command: node bot.js",
        "    # healthlint-ignore HL101\n    command: node bot.js",
    );
    let mut a = analysis_with(&text);
    healthlint::suppress::apply(&mut a);
    assert_eq!(rules_left(&a), ["HL202", "HL101"]);

    // Right place, other rule.
    let text = COMPOSE.replace(
        "      test: curl http://localhost:8080/health",
        "      # healthlint-ignore HL101\n      test: curl http://localhost:8080/health",
    );
    let mut a = analysis_with(&text);
    healthlint::suppress::apply(&mut a);
    assert_eq!(rules_left(&a), ["HL202", "HL101"]);
}

#[test]
fn dockerfile_comment_above_healthcheck_suppresses() {
    let dockerfile = "FROM node:20-alpine\n# healthlint-ignore HL202\nHEALTHCHECK --interval=10s \\\n  CMD curl http://localhost:8080/health\n";
    let build = |anchored: bool| {
        let mut a = analysis();
        let id = a.project.sources.add("/project/api/Dockerfile", dockerfile);
        let api = &mut a.project.services[1];
        api.healthcheck.origin = Origin::Dockerfile;
        api.healthcheck.span = anchored.then(|| find(id, dockerfile, "HEALTHCHECK", 0));
        api.healthcheck.test.as_mut().unwrap().span = Span::default();
        // The finding points into the instruction's second line: only the instruction's own
        // comment can reach it.
        a.findings[0].span = find(id, dockerfile, "curl http://localhost:8080/health", 0);
        assert_eq!(a.findings[0].span.line, 4);
        healthlint::suppress::apply(&mut a);
        rules_left(&a)
    };
    assert_eq!(build(true), ["HL101"]);
    assert_eq!(build(false), ["HL202", "HL101"]);
}

// ---------------------------------------------------------------------------------------------
// Robustness

#[test]
fn labels_in_another_file_show_that_file() {
    let dockerfile = "FROM node:20-alpine\nEXPOSE 9090\n";
    let mut a = analysis();
    let id = a.project.sources.add("/project/api/Dockerfile", dockerfile);
    a.findings[0].labels.push(Label {
        span: find(id, dockerfile, "EXPOSE 9090", 0),
        message: "the image exposes 9090".into(),
    });
    let out = render(&a, &opts(Format::Human));
    assert!(out.contains("[api/Dockerfile:2:1]"), "{out}");
    assert!(out.contains("the image exposes 9090"), "{out}");
    let doc = json_doc(&a);
    assert_eq!(doc["findings"][1]["labels"][1]["file"], "api/Dockerfile");
    assert_eq!(
        doc["files"],
        serde_json::json!(["compose.yml", "api/Dockerfile"])
    );
}

#[test]
fn synthesised_and_stale_spans_render_in_every_format() {
    let mut a = analysis();
    // A span that was never set, and one past the end of its file (a stale offset).
    a.findings[0].span = Span::default();
    a.findings[0].span.file = 0;
    a.findings[1].span = Span::new(0, 10_000, 10_050, 400, 2);
    a.findings[1].labels[0].span = Span::new(42, 0, 1, 1, 1);
    for format in [Format::Human, Format::Json, Format::Sarif, Format::Github] {
        let out = render(&a, &opts(format));
        assert!(
            out.contains("HL101") && out.contains("HL202"),
            "{format:?}: {out}"
        );
    }
    assert_valid(&read_json("tests/sarif-schema-2.1.0.json"), &sarif_doc(&a));
    assert_valid(&read_json("docs/json-schema.json"), &json_doc(&a));
    let stale = &json_doc(&a)["findings"][1];
    assert_eq!(
        (stale["line"].as_u64(), stale["end_line"].as_u64()),
        (Some(400), Some(400))
    );
}

/// Two inputs on one command line make one JSON document and one SARIF log, never two
/// concatenated documents a consumer cannot parse.
#[test]
fn several_inputs_make_one_document() {
    let run = |format: &str| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_healthlint"))
            .current_dir(repo("fixtures"))
            .args([
                "--format",
                format,
                "incident/compose.yml",
                "rules/HL601/bad/Dockerfile",
            ])
            .output()
            .expect("run healthlint");
        assert_eq!(
            out.status.code(),
            Some(1),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice::<serde_json::Value>(&out.stdout).expect("exactly one JSON value")
    };
    let json = run("json");
    let rules: Vec<&str> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert!(
        rules.contains(&"HL101") && rules.contains(&"HL601"),
        "{rules:?}"
    );
    assert_eq!(
        json["summary"]["files"],
        json["files"].as_array().unwrap().len()
    );
    let sarif = run("sarif");
    assert_eq!(sarif["runs"].as_array().unwrap().len(), 2);
}
