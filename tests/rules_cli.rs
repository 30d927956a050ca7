//! `healthlint rules` and `healthlint explain`, end to end through the binary.

use std::process::Command;

fn run(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_healthlint"))
        .args(args)
        .output()
        .expect("run healthlint")
}

#[test]
fn rules_lists_every_rule_with_severity() {
    let out = run(&["rules"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        text.lines().count(),
        healthlint::rules::meta::all().len() + 1
    );
    let line = text.lines().find(|l| l.starts_with("HL202 ")).unwrap();
    assert!(
        line.contains("curl-without-fail") && line.contains("error"),
        "{line}"
    );
}

#[test]
fn explain_prints_the_rule_page_case_insensitively() {
    let out = run(&["explain", "hl204"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let meta = healthlint::rules::meta::get("HL204").unwrap();
    assert_eq!(text, healthlint::rules::docs::render_rule_page(meta));
}

#[test]
fn explain_unknown_rule_is_a_usage_error() {
    let out = run(&["explain", "HL999"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("HL999"));
    assert!(out.stdout.is_empty());
}
