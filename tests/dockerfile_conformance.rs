//! The Dockerfile grammar against the reference parser's own conformance cases (every case
//! folder, not a chosen few) and against every real-world Dockerfile of the corpus.

mod common;

use std::fs;

use healthlint::load::dockerfile::{image_facts_from_text, parse};
use healthlint::span::Sources;

#[test]
fn reference_parser_cases_dump_identically() {
    let Some(corpus) = common::corpus_dir() else {
        return;
    };
    let root = corpus.join("buildkit-parser/testfiles");
    let mut cases: Vec<_> = fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    cases.sort();
    assert!(
        cases.len() >= 30,
        "expected the whole case set, found {}",
        cases.len()
    );
    let mut failures = Vec::new();
    for case in &cases {
        let text = fs::read_to_string(case.join("Dockerfile")).unwrap();
        let want = fs::read_to_string(case.join("result")).unwrap();
        match parse::parse(&text) {
            Ok(file) => {
                let got = parse::dump(&file);
                if got.trim_end() != want.trim_end() {
                    failures.push(format!(
                        "{}:\n--- want\n{want}\n--- got\n{got}",
                        case.display()
                    ));
                }
            }
            Err(e) => failures.push(format!("{}: rejected: {e:?}", case.display())),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn reference_parser_negative_cases_are_rejected() {
    let Some(corpus) = common::corpus_dir() else {
        return;
    };
    let root = corpus.join("buildkit-parser/testfiles-negative");
    let mut n = 0;
    for case in fs::read_dir(&root).unwrap() {
        let case = case.unwrap().path();
        let text = fs::read_to_string(case.join("Dockerfile")).unwrap();
        assert!(parse::parse(&text).is_err(), "{} parsed", case.display());
        n += 1;
    }
    assert!(n >= 4, "expected the negative cases, found {n}");
}

#[test]
fn reference_parser_line_numbers() {
    let Some(corpus) = common::corpus_dir() else {
        return;
    };
    let text = fs::read_to_string(corpus.join("buildkit-parser/testfile-line/Dockerfile")).unwrap();
    let file = parse::parse(&text).unwrap();
    let lines: Vec<_> = file
        .instructions
        .iter()
        .map(|i| (i.start_line, i.end_line))
        .collect();
    assert_eq!(lines, vec![(5, 5), (11, 12), (17, 31)]);
}

#[test]
fn every_corpus_dockerfile_loads() {
    let Some(corpus) = common::corpus_dir() else {
        return;
    };
    let mut paths: Vec<_> = fs::read_dir(corpus.join("dockerfile"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    paths.sort();
    assert!(paths.len() >= 100, "found {} Dockerfiles", paths.len());
    let mut failures = Vec::new();
    let mut with_check = 0;
    for path in &paths {
        let text = fs::read_to_string(path).unwrap();
        let mut sources = Sources::new();
        let id = sources.add(path.clone(), text);
        match image_facts_from_text(&sources, id, None, &[]) {
            Ok(f) => {
                with_check += usize::from(f.healthcheck.is_some());
                // `FROM ${BASE}` with no default leaves the base unknown, as it is to a build
                // without `--build-arg`.
                let from_var = sources.get(id).text.lines().any(|l| {
                    l.trim_start().to_ascii_uppercase().starts_with("FROM") && l.contains('$')
                });
                assert!(
                    f.base_image.is_some() || from_var,
                    "{}: no base image",
                    path.display()
                );
            }
            Err(e) => failures.push(format!("{}: {}", path.display(), e.message)),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // The corpus was chosen for its checks: most files carry one.
    assert!(
        with_check >= paths.len() / 3,
        "only {with_check} files with a HEALTHCHECK"
    );
}
