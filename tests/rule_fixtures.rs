//! Runs the built binary on every fixture under `fixtures/rules/<ID>/` and on the scenario
//! folders, and compares the findings with the expectations written beside them.
//!
//! - `bad*.yml` (or a `bad*/` folder holding `compose.yml` or a `Dockerfile`) must give
//!   exactly the `<ID>` findings listed in the sibling `bad*.out`, one `file:line:col: ID` a line.
//! - `good*.yml` (or `good*/`) must give no finding of that id.
//! - `fixtures/{incident,incident-fixed,ws-health-port}/compose.yml` must give exactly the
//!   findings of every rule listed in `expected.out` (empty: none at all).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct At {
    file: String,
    line: u64,
    col: u64,
    rule: String,
}

impl std::fmt::Display for At {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}: {}", self.file, self.line, self.col, self.rule)
    }
}

/// The file to hand the binary for a fixture entry: the file itself, or a folder's
/// `compose.yml`, else its `Dockerfile`.
fn target_of(entry: &Path) -> PathBuf {
    if entry.is_dir() {
        let compose = entry.join("compose.yml");
        if compose.is_file() {
            compose
        } else {
            entry.join("Dockerfile")
        }
    } else {
        entry.to_path_buf()
    }
}

fn lint(target: &Path) -> Result<Vec<At>, String> {
    let out = Command::new(env!("CARGO_BIN_EXE_healthlint"))
        .args(["--format", "json"])
        .arg(target)
        .current_dir(target.parent().unwrap())
        .env_remove("HEALTHLINT_FIXTURE_UNSET_DB")
        .env("NO_COLOR", "1")
        .output()
        .map_err(|e| format!("cannot run healthlint: {e}"))?;
    if !matches!(out.status.code(), Some(0 | 1)) {
        return Err(format!(
            "{}: healthlint exited {:?}: {}",
            target.display(),
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).map_err(|e| {
        format!(
            "{}: output is not JSON ({e}): {}",
            target.display(),
            String::from_utf8_lossy(&out.stdout)
        )
    })?;
    let findings = report["findings"]
        .as_array()
        .ok_or_else(|| format!("{}: no findings array", target.display()))?;
    let mut found: Vec<At> = findings
        .iter()
        .map(|f| At {
            file: f["file"]
                .as_str()
                .and_then(|p| Path::new(p).file_name())
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            line: f["line"].as_u64().unwrap_or(0),
            col: f["column"].as_u64().unwrap_or(0),
            rule: f["rule"].as_str().unwrap_or_default().to_string(),
        })
        .collect();
    found.sort();
    Ok(found)
}

/// Reads `file:line:col: ID [message]` lines; blank lines and `#` comments are skipped.
fn expectations(out_file: &Path) -> Vec<At> {
    let text =
        std::fs::read_to_string(out_file).unwrap_or_else(|e| panic!("{}: {e}", out_file.display()));
    let mut v: Vec<At> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (pos, rest) = l
                .split_once(": ")
                .unwrap_or_else(|| panic!("{}: bad line `{l}`", out_file.display()));
            let mut p = pos.rsplitn(3, ':');
            let col = p.next().and_then(|c| c.parse().ok());
            let line = p.next().and_then(|c| c.parse().ok());
            let file = p.next();
            let (Some(col), Some(line), Some(file)) = (col, line, file) else {
                panic!("{}: bad position in `{l}`", out_file.display());
            };
            At {
                file: file.to_string(),
                line,
                col,
                rule: rest
                    .split_whitespace()
                    .next()
                    .unwrap_or_default()
                    .to_string(),
            }
        })
        .collect();
    v.sort();
    v
}

fn rule_dirs() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(common::fixtures_dir().join("rules"))
        .expect("fixtures/rules exists")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

/// Fixture entries of one rule whose names start with `prefix` (`bad`, `good`).
fn entries(dir: &Path, prefix: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            name.starts_with(prefix)
                && (p.is_dir() || name.ends_with(".yml") || name.ends_with(".yaml"))
        })
        .collect();
    v.sort();
    v
}

fn dir_id(dir: &Path) -> String {
    dir.file_name().unwrap().to_string_lossy().into_owned()
}

fn diff(expected: &[At], found: &[At]) -> Option<String> {
    if expected == found {
        return None;
    }
    let show = |v: &[At]| v.iter().map(|a| format!("\n    {a}")).collect::<String>();
    Some(format!(
        "expected:{}\n  found:{}",
        show(expected),
        show(found)
    ))
}

#[test]
fn every_rule_has_bad_and_good_fixtures() {
    for rule in healthlint::rules::all() {
        let dir = common::fixtures_dir().join("rules").join(rule.id());
        assert!(dir.is_dir(), "no fixtures for {}", rule.id());
        let bad = entries(&dir, "bad");
        assert!(!bad.is_empty(), "{} has no bad fixture", rule.id());
        assert!(
            !entries(&dir, "good").is_empty(),
            "{} has no good fixture",
            rule.id()
        );
        for b in bad {
            let out = b.with_extension("out");
            let out = if b.is_dir() {
                PathBuf::from(format!("{}.out", b.display()))
            } else {
                out
            };
            let exp = expectations(&out);
            assert!(!exp.is_empty(), "{} lists no finding", out.display());
            assert!(
                exp.iter().all(|a| a.rule == rule.id()),
                "{} lists other rules than {}",
                out.display(),
                rule.id()
            );
        }
    }
}

#[test]
fn bad_fixtures_fire_where_expected() {
    let mut failures = Vec::new();
    for dir in rule_dirs() {
        let id = dir_id(&dir);
        for entry in entries(&dir, "bad") {
            let out = if entry.is_dir() {
                PathBuf::from(format!("{}.out", entry.display()))
            } else {
                entry.with_extension("out")
            };
            let expected = expectations(&out);
            match lint(&target_of(&entry)) {
                Err(e) => failures.push(e),
                Ok(found) => {
                    let found: Vec<At> = found.into_iter().filter(|a| a.rule == id).collect();
                    if let Some(d) = diff(&expected, &found) {
                        failures.push(format!("{}:\n  {d}", entry.display()));
                    }
                }
            }
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn good_fixtures_stay_silent() {
    let mut failures = Vec::new();
    for dir in rule_dirs() {
        let id = dir_id(&dir);
        for entry in entries(&dir, "good") {
            match lint(&target_of(&entry)) {
                Err(e) => failures.push(e),
                Ok(found) => {
                    let hits: Vec<String> = found
                        .iter()
                        .filter(|a| a.rule == id)
                        .map(ToString::to_string)
                        .collect();
                    if !hits.is_empty() {
                        failures.push(format!("{}: {}", entry.display(), hits.join(", ")));
                    }
                }
            }
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

fn scenario(name: &str) {
    let dir = common::fixtures_dir().join(name);
    let expected = expectations(&dir.join("expected.out"));
    let found = lint(&dir.join("compose.yml")).unwrap_or_else(|e| panic!("{e}"));
    if let Some(d) = diff(&expected, &found) {
        panic!("{name}:\n  {d}");
    }
}

/// The bot that listens on nothing, checked over HTTP: HL101.
#[test]
fn incident() {
    scenario("incident");
}

/// The "fixed" check: pgrep matches its own shell (HL204) and ESTABLISHED cannot see a stale
/// connection (HL106).
#[test]
fn incident_fixed() {
    scenario("incident-fixed");
}

/// WebSocket on 8080, HTTP health on 8081, checked on 8081: nothing to report.
#[test]
fn ws_health_port() {
    scenario("ws-health-port");
}

/// The `bad` example of each implemented rule's metadata fires it and the `good` one does
/// not, so the documentation cannot show a case the rule gets wrong. Examples whose point is
/// a Dockerfile (written as comments beside `build: .`) are covered by the fixture folders.
#[test]
fn metadata_examples_fire_and_stay_silent() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("rule-examples");
    std::fs::create_dir_all(&dir).unwrap();
    let mut failures = Vec::new();
    for rule in healthlint::rules::all() {
        let meta = healthlint::rules::meta::get(rule.id()).unwrap();
        if meta.bad.contains("build:") {
            continue;
        }
        for (which, text, should_fire) in [("bad", &meta.bad, true), ("good", &meta.good, false)] {
            let path = dir.join(format!("{}-{which}.yml", meta.id));
            std::fs::write(&path, text).unwrap();
            match lint(&path) {
                Err(e) => failures.push(e),
                Ok(found) => {
                    let fired = found.iter().any(|a| a.rule == meta.id);
                    if fired != should_fire {
                        failures.push(format!(
                            "{} {which} example {}",
                            meta.id,
                            if fired { "fires" } else { "does not fire" }
                        ));
                    }
                }
            }
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}
