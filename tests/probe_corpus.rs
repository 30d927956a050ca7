//! Every health check of the real-world corpus through the probe stage: none may panic, ranges
//! stay inside the text, and a few well-known checks classify as they should.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use healthlint::probe::{self, Probe, ProbeKind};
use serde_json::Value;

/// One check as the engine receives it.
#[derive(Debug)]
enum Test {
    Exec(Vec<String>),
    Shell(String),
}

impl Test {
    fn text(&self) -> String {
        match self {
            Test::Exec(argv) => argv.join(" "),
            Test::Shell(s) => s.clone(),
        }
    }

    fn analyze(&self) -> Probe {
        match self {
            Test::Exec(argv) => probe::analyze_exec(argv),
            Test::Shell(s) => probe::analyze_shell(s, None),
        }
    }
}

struct Check {
    file: String,
    test: Test,
    probe: Probe,
}

/// Compose's `$$` is a literal `$` once the file is loaded.
fn unescape(s: &str) -> String {
    s.replace("$$", "$")
}

/// A compose `test` value: a string is CMD-SHELL; a list says its form in its first element.
fn compose_test(v: &Value) -> Option<Test> {
    match v {
        Value::String(s) => Some(Test::Shell(unescape(s))),
        Value::Array(items) => {
            let items: Vec<String> = items
                .iter()
                .map(|i| match i {
                    Value::String(s) => unescape(s),
                    other => other.to_string(),
                })
                .collect();
            match items.first().map(String::as_str) {
                Some("CMD") => Some(Test::Exec(items[1..].to_vec())),
                // The engine joins everything after CMD-SHELL with spaces.
                Some("CMD-SHELL") => Some(Test::Shell(items[1..].join(" "))),
                _ => None,
            }
        }
        _ => None,
    }
}

/// Every `healthcheck.test` anywhere in the document (services, `x-` templates).
fn collect_compose(v: &Value, out: &mut Vec<Test>) {
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                if k == "healthcheck"
                    && let Some(test) = child.get("test").and_then(compose_test)
                {
                    out.push(test);
                }
                collect_compose(child, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|i| collect_compose(i, out)),
        _ => {}
    }
}

fn compose_checks(dir: &Path) -> Vec<(String, Test)> {
    let mut files: Vec<_> = fs::read_dir(dir)
        .expect("corpus compose dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("yml" | "yaml")))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for path in files {
        let text = fs::read_to_string(&path).expect("readable compose file");
        let options = serde_saphyr::options! {
            budget: serde_saphyr::budget! { enforce_alias_anchor_ratio: false },
        };
        let Ok(doc) = serde_saphyr::from_str_with_options::<Value>(&text, options) else {
            eprintln!("skipping unparseable {}", path.display());
            continue;
        };
        let mut tests = Vec::new();
        collect_compose(&doc, &mut tests);
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        out.extend(tests.into_iter().map(|t| (name.clone(), t)));
    }
    out
}

/// `HEALTHCHECK [--flags] CMD ...` lines, with `\` continuations and comment lines inside them.
fn dockerfile_checks(dir: &Path) -> Vec<(String, Test)> {
    let mut files: Vec<_> = fs::read_dir(dir)
        .expect("corpus dockerfile dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for path in files {
        let Ok(text) = fs::read_to_string(&path) else {
            continue;
        };
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let mut lines = text.lines();
        while let Some(line) = lines.next() {
            let trimmed = line.trim_start();
            if !trimmed
                .get(..12)
                .is_some_and(|k| k.eq_ignore_ascii_case("HEALTHCHECK "))
            {
                continue;
            }
            let mut instr = trimmed.to_owned();
            while instr.ends_with('\\') {
                instr.pop();
                let Some(next) = lines.by_ref().find(|l| !l.trim_start().starts_with('#')) else {
                    break;
                };
                instr.push(' ');
                instr.push_str(next.trim());
            }
            let mut rest = instr[12..].trim_start();
            while rest.starts_with("--") {
                rest = rest
                    .split_once(char::is_whitespace)
                    .map_or("", |(_, r)| r.trim_start());
            }
            let Some(cmd) = rest
                .get(..4)
                .filter(|k| k.eq_ignore_ascii_case("CMD "))
                .map(|_| rest[4..].trim())
            else {
                continue;
            };
            let test = match serde_json::from_str::<Vec<String>>(cmd) {
                Ok(argv) => Test::Exec(argv),
                Err(_) => Test::Shell(cmd.to_owned()),
            };
            out.push((name.clone(), test));
        }
    }
    out
}

fn find<'a>(checks: &'a [Check], text: &str) -> &'a Check {
    checks
        .iter()
        .find(|c| c.test.text() == text)
        .unwrap_or_else(|| panic!("the corpus has no check `{text}`"))
}

#[test]
fn corpus_checks_classify() {
    let Some(corpus) = common::corpus_dir() else {
        return;
    };
    let mut raw = compose_checks(&corpus.join("compose"));
    let from_compose = raw.len();
    raw.extend(dockerfile_checks(&corpus.join("dockerfile")));
    let from_dockerfiles = raw.len() - from_compose;
    assert!(
        from_compose > 100,
        "only {from_compose} compose checks found"
    );
    assert!(
        from_dockerfiles > 40,
        "only {from_dockerfiles} Dockerfile checks found"
    );

    let checks: Vec<Check> = raw
        .into_iter()
        .map(|(file, test)| {
            let probe = test.analyze();
            Check { file, test, probe }
        })
        .collect();

    let mut kinds: BTreeMap<String, usize> = BTreeMap::new();
    let mut cannot_fail = 0;
    for c in &checks {
        let text = c.test.text();
        for s in &c.probe.steps {
            assert!(
                s.range.0 <= s.range.1 && text.get(s.range.0..s.range.1).is_some(),
                "{}: step range {:?} outside `{text}`",
                c.file,
                s.range
            );
            for r in &s.arg_ranges {
                assert!(
                    text.get(r.0..r.1).is_some(),
                    "{}: {r:?} in `{text}`",
                    c.file
                );
            }
        }
        if let Some(e) = &c.probe.parse_error {
            eprintln!("{}: cannot parse `{text}`: {e}", c.file);
        }
        if !c.probe.can_fail {
            cannot_fail += 1;
            eprintln!(
                "{}: cannot fail: `{text}` ({})",
                c.file,
                c.probe.cannot_fail_reason.as_deref().unwrap_or("")
            );
        }
        *kinds.entry(format!("{:?}", c.probe.kind)).or_default() += 1;
    }
    println!(
        "{} checks ({from_compose} compose, {from_dockerfiles} Dockerfile)",
        checks.len()
    );
    println!("{:<16} {:>5}", "kind", "count");
    for (kind, n) in &kinds {
        println!("{kind:<16} {n:>5}");
    }
    println!("{:<16} {cannot_fail:>5}", "cannot fail");
    let parse_errors = checks
        .iter()
        .filter(|c| c.probe.parse_error.is_some())
        .count();
    assert_eq!(parse_errors, 0, "real checks the shell grammar rejected");

    // Well-known checks of the corpus.
    let c = find(&checks, "pg_isready -U postgres");
    assert_eq!(c.probe.kind, ProbeKind::DbNative);
    assert_eq!(
        c.probe.steps[0].target.as_ref().unwrap().effective_port(),
        Some(5432)
    );

    let c = find(&checks, "curl -f http://localhost:9000/minio/health/live");
    assert_eq!(c.probe.kind, ProbeKind::Http);
    assert!(!c.probe.shell);
    let s = &c.probe.steps[0];
    assert_eq!(s.fails_on_http_error, Some(true));
    let t = s.target.as_ref().unwrap();
    assert_eq!((t.host.as_str(), t.port), ("localhost", Some(9000)));

    let c = find(
        &checks,
        r#"curl -s http://localhost:9200/_cluster/health | grep -vq '"status":"red"'"#,
    );
    assert_eq!(c.probe.kind, ProbeKind::Http);
    assert_eq!(c.probe.steps[0].fails_on_http_error, Some(false));
    assert!(c.probe.can_fail);

    let c = find(&checks, "/bin/grpc_health_probe -addr=:${CHECKOUT_PORT}");
    assert_eq!(c.probe.kind, ProbeKind::Grpc);
    assert!(c.probe.steps[0].target.as_ref().unwrap().is_local());

    let c = find(&checks, r#"echo "ruok" | nc -w 2 localhost 2181"#);
    assert_eq!(c.probe.kind, ProbeKind::Tcp);

    let c = find(&checks, "wget --spider -q http://web:3000");
    assert_eq!(c.probe.kind, ProbeKind::Http);
    assert!(!c.probe.steps[0].target.as_ref().unwrap().is_local());

    let c = find(&checks, "/bin/true");
    assert_eq!(c.probe.kind, ProbeKind::Trivial);
    assert!(!c.probe.can_fail);

    let c = find(&checks, "echo Edge Functions is healthy");
    assert!(!c.probe.can_fail);

    let c = find(
        &checks,
        "mysqladmin ping -h 127.0.0.1 --password=\"$(cat /run/secrets/db-password)\" --silent",
    );
    assert_eq!(c.probe.kind, ProbeKind::DbNative);
    // `$(cat ...)` runs before mysqladmin starts.
    assert_eq!(c.probe.programs, ["cat", "mysqladmin"]);

    let c = find(
        &checks,
        "/var/wazuh-manager/bin/wazuh-manager-control status 2>/dev/null | grep -q 'not running' && exit 1 || exit 0",
    );
    assert_eq!(c.probe.kind, ProbeKind::Script);
    assert!(c.probe.can_fail);

    let c = find(
        &checks,
        r#"wget -qO- "http://localhost:${PORT:-3000}/_health" | grep -q "OK" || exit 1"#,
    );
    assert_eq!(c.probe.kind, ProbeKind::Http);
    let t = c.probe.steps[0].target.as_ref().unwrap();
    assert_eq!((t.host.as_str(), t.port), ("localhost", Some(3000)));

    // Sentry's consumers delete a heartbeat file the service must write again.
    let c = checks
        .iter()
        .find(|c| c.test.text().starts_with("python3 -c import os, sys"))
        .expect("the corpus has sentry's heartbeat check");
    assert_eq!(c.probe.kind, ProbeKind::File);
    assert_eq!(
        c.probe.steps[0].file_path.as_deref(),
        Some("/tmp/health.txt")
    );
    assert!(c.probe.steps[0].checks_freshness);

    let c = find(&checks, "wait-for-it redis-queue:6379");
    assert_eq!(c.probe.kind, ProbeKind::Tcp);

    let c = find(&checks, "! /usr/libexec/postfix/master -t");
    assert!(c.probe.can_fail);
    assert_eq!(c.probe.kind, ProbeKind::Script);
}
