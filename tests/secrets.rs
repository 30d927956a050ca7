//! Secrets planted in a fixture (environment values, an env_file, `.env`, a password in a URL,
//! a bearer token in a check) never appear in any report format.

mod common;

use std::process::Command;

const PLANTED: &[&str] = &[
    "planted-api-token-7f3a9c",
    "planted-db-password-51e2",
    "plantedstripekey0123456789",
    "planted-bearer-token-8841",
    "planted-session-secret-0b77",
    "planted-dotenv-root-pw-93d1",
];

#[test]
fn no_report_format_prints_a_secret() {
    let dir = common::fixtures_dir().join("secrets");
    for format in ["human", "json", "sarif", "github"] {
        let out = Command::new(env!("CARGO_BIN_EXE_healthlint"))
            .current_dir(&dir)
            .args(["--format", format, "--color", "never", "compose.yml"])
            .output()
            .unwrap();
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "{format}: exit {:?}\n{}",
            out.status.code(),
            String::from_utf8_lossy(&out.stderr)
        );
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(all.contains("api"), "{format}: the report is empty:\n{all}");
        for secret in PLANTED {
            assert!(!all.contains(secret), "{format} printed {secret}:\n{all}");
        }
    }
}
