//! Every compose file of the real-world corpus and of the compose-go loader cases must load
//! through our YAML layer; the one case compose-go rejects for a duplicate key must fail the
//! same way.

mod common;

use std::path::{Path, PathBuf};

use healthlint::load::yaml::{self, Budget};

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            yaml_files(&path, out);
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yml" | "yaml")
        ) {
            out.push(path);
        }
    }
}

fn parse_file(path: &Path) -> Result<Vec<yaml::Node>, yaml::YamlError> {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    yaml::parse(&text, 0, Budget::default())
}

fn check_dir(sub: &str, expected_failures: &[&str]) -> usize {
    let Some(corpus) = common::corpus_dir() else {
        return 0;
    };
    let mut files = Vec::new();
    yaml_files(&corpus.join(sub), &mut files);
    assert!(!files.is_empty(), "no YAML files under {sub}");
    let mut unexpected = Vec::new();
    for path in &files {
        let name = path.strip_prefix(&corpus).unwrap().display().to_string();
        let expected_fail = expected_failures.iter().any(|f| name.contains(f));
        match (parse_file(path), expected_fail) {
            (Ok(_), false) | (Err(_), true) => {}
            (Ok(_), true) => unexpected.push(format!("{name}: parsed but should fail")),
            (Err(e), false) => unexpected.push(format!(
                "{name}:{}:{}: {}",
                e.span.line, e.span.col, e.message
            )),
        }
    }
    assert!(unexpected.is_empty(), "{}", unexpected.join("\n"));
    files.len()
}

#[test]
fn every_real_world_compose_file_parses() {
    let n = check_dir("compose", &[]);
    if n > 0 {
        assert!(
            n >= 100,
            "expected the full compose corpus, found {n} files"
        );
    }
}

#[test]
fn every_compose_go_case_parses_except_the_duplicate_key_one() {
    check_dir("compose-go", &["32-duplicate-key-error/duplicate.yml"]);
}

#[test]
fn compose_go_duplicate_key_case_points_at_both_keys() {
    let Some(corpus) = common::corpus_dir() else {
        return;
    };
    let err = parse_file(&corpus.join("compose-go/32-duplicate-key-error/duplicate.yml"))
        .expect_err("a duplicate key must be an error");
    assert!(
        err.message.contains("duplicate key `command`"),
        "{}",
        err.message
    );
    // Every line of that file is indented by one space. compose-go: "line 6: mapping key "command" already defined at line 5".
    assert_eq!((err.span.line, err.span.col), (6, 6));
    let (first, _) = err.related.expect("the first definition");
    assert_eq!((first.line, first.col), (5, 6));
}

#[test]
fn merge_keys_of_a_real_file_resolve() {
    // getsentry/self-hosted: many `<<: *anchor` services, 142 aliases for 10 anchors.
    let Some(corpus) = common::corpus_dir() else {
        return;
    };
    let docs = parse_file(&corpus.join("compose/getsentry__self-hosted__docker-compose.yml"))
        .expect("getsentry parses");
    let services = docs[0].get("services").expect("services");
    let mut merged = 0;
    for (_, svc) in services.as_map().unwrap() {
        for (k, v) in svc.as_map().unwrap_or(&[]) {
            assert_ne!(k.as_str(), Some("<<"), "merge keys must be resolved");
            if v.via.is_some() {
                merged += 1;
            }
        }
    }
    assert!(merged > 50, "only {merged} merged entries");
}

fn env_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("readable corpus directory") {
        let path = entry.expect("directory entry").path();
        let name = path.file_name().unwrap().to_string_lossy();
        if path.is_dir() {
            env_files(&path, out);
        } else if name == ".env" || name.ends_with(".env") {
            out.push(path);
        }
    }
}

#[test]
fn every_compose_go_env_file_parses() {
    let Some(corpus) = common::corpus_dir() else {
        return;
    };
    let mut files = Vec::new();
    env_files(&corpus.join("compose-go"), &mut files);
    assert!(files.len() >= 5, "only {} .env files", files.len());
    for path in files {
        let text = std::fs::read_to_string(&path).expect("UTF-8 .env file");
        let vars = healthlint::load::dotenv::parse(&text, &|_| None)
            .unwrap_or_else(|e| panic!("{}:{e}", path.display()));
        assert!(!vars.is_empty(), "{} has no variables", path.display());
        assert!(vars.iter().all(|(k, _)| !k.is_empty()));
    }
}
