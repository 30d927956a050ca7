//! `--fix` on every fixture with a fixable finding: the fixed project still loads, the fixed
//! findings are gone, nothing outside the health check blocks changed, and a second `--fix`
//! is a no-op.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

fn healthlint(dir: &Path, args: &[&str]) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_healthlint"))
        .current_dir(dir)
        .args(args)
        .output()
        .expect("run healthlint");
    (
        out.status.code(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// (rule, service) of every finding that carries a fix.
fn fixable(dir: &Path, target: &str) -> Vec<(String, String)> {
    let (code, out) = healthlint(dir, &["--format", "json", "--fail-on", "never", target]);
    assert_eq!(code, Some(0), "{target}: {out}");
    let doc: serde_json::Value = serde_json::from_str(&out).expect("JSON report");
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| !f["fix"].is_null())
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["service"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// Line numbers (0-based) that belong to a health check: a compose `healthcheck:` block (the
/// key and everything indented under it) or a Dockerfile HEALTHCHECK with its continuations.
fn check_lines(text: &str) -> Vec<usize> {
    let lines: Vec<&str> = text.lines().collect();
    let indent = |l: &str| l.len() - l.trim_start().len();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let l = lines[i];
        if l.trim_start().starts_with("healthcheck:") {
            let base = indent(l);
            out.push(i);
            i += 1;
            while i < lines.len() && (lines[i].trim().is_empty() || indent(lines[i]) > base) {
                out.push(i);
                i += 1;
            }
            continue;
        }
        if l.trim_start()
            .to_ascii_uppercase()
            .starts_with("HEALTHCHECK")
        {
            out.push(i);
            while lines[i].trim_end().ends_with('\\') && i + 1 < lines.len() {
                i += 1;
                out.push(i);
            }
        }
        i += 1;
    }
    out
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.path().is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), dest).unwrap();
        }
    }
}

/// Every fixture that is a lint target: rule fixtures (files and folders) and the scenarios.
fn targets() -> Vec<(PathBuf, String)> {
    let root = common::fixtures_dir();
    let mut out = Vec::new();
    let mut rules: Vec<_> = std::fs::read_dir(root.join("rules"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    rules.sort();
    for dir in rules {
        let mut entries: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for e in entries {
            let name = e.file_name().unwrap().to_string_lossy().into_owned();
            if e.is_dir() {
                let target = if e.join("compose.yml").is_file() {
                    "compose.yml"
                } else {
                    "Dockerfile"
                };
                out.push((e.clone(), target.to_string()));
            } else if name.ends_with(".yml") {
                out.push((dir.clone(), name));
            }
        }
    }
    for scenario in ["incident", "incident-fixed", "ws-health-port"] {
        out.push((root.join(scenario), "compose.yml".to_string()));
    }
    out
}

#[test]
fn fix_round_trips_on_every_fixable_fixture() {
    let scratch = std::env::temp_dir().join(format!("healthlint-fix-{}", std::process::id()));
    let mut fixed_any = 0;
    let mut failures = Vec::new();
    for (i, (dir, target)) in targets().into_iter().enumerate() {
        let before = fixable(&dir, &target);
        if before.is_empty() {
            continue;
        }
        let work = scratch.join(i.to_string());
        copy_dir(&dir, &work);
        // A fix may land in the compose file or in the Dockerfile a build points to.
        let snapshot = |dir: &Path| -> Vec<(PathBuf, String)> {
            let mut files: Vec<_> = std::fs::read_dir(dir)
                .unwrap()
                .map(|e| e.unwrap().path())
                .filter(|p| p.is_file())
                .map(|p| {
                    let text = std::fs::read_to_string(&p).unwrap_or_default();
                    (p, text)
                })
                .collect();
            files.sort();
            files
        };
        let original = snapshot(&work);
        let label = format!("{}/{target}", dir.display());

        let (code, diff) = healthlint(&work, &["--diff", &target]);
        if code != Some(1) || !diff.contains("@@") {
            failures.push(format!("{label}: --diff exit {code:?}:\n{diff}"));
            continue;
        }
        let (code, out) = healthlint(&work, &["--fix", &target]);
        if code != Some(0) {
            failures.push(format!("{label}: --fix exit {code:?}: {out}"));
            continue;
        }
        let fixed = snapshot(&work);
        if fixed == original {
            failures.push(format!("{label}: --fix changed nothing"));
            continue;
        }
        fixed_any += 1;

        // Only health check lines changed (compared line by line outside the blocks).
        let keep = |text: &str| -> Vec<String> {
            let skip = check_lines(text);
            text.lines()
                .enumerate()
                .filter(|(n, _)| !skip.contains(n))
                .map(|(_, l)| l.to_string())
                .collect()
        };
        for ((path, before), (_, after)) in original.iter().zip(&fixed) {
            if keep(before) != keep(after) {
                failures.push(format!(
                    "{label}: bytes outside the health checks of {} changed:\n{before}\n---\n{after}",
                    path.display()
                ));
            }
        }
        // The fixed findings are gone and the file still loads (exit 0 with --fail-on never).
        let after = fixable(&work, &target);
        for f in &before {
            if after.contains(f) {
                failures.push(format!("{label}: {f:?} still fires after --fix"));
            }
        }
        // A second --fix is a no-op.
        let (code, out) = healthlint(&work, &["--diff", &target]);
        if code != Some(0) || !out.trim().is_empty() {
            failures.push(format!("{label}: a second --diff still proposes:\n{out}"));
        }
    }
    let _ = std::fs::remove_dir_all(&scratch);
    assert!(failures.is_empty(), "\n{}", failures.join("\n\n"));
    assert!(fixed_any >= 5, "only {fixed_any} fixtures had a fix");
}
