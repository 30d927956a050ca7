//! The whole analysis on every real-world compose file and Dockerfile of the corpus: no panic,
//! every finding points inside its file, and the per-rule counts are printed so a change in
//! what the rules say about real projects shows up in the test log
//! (`cargo test --test corpus_findings -- --nocapture`).

mod common;

use std::collections::BTreeMap;
use std::path::PathBuf;

use healthlint::load::{LoadOptions, dockerfile::load_dockerfile, load};
use healthlint::pipeline;

fn files(dir: PathBuf) -> Vec<PathBuf> {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    v.sort();
    v
}

#[test]
fn corpus_findings_per_rule() {
    let Some(corpus) = common::corpus_dir() else {
        return;
    };
    let mut counts: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut problems = Vec::new();
    let mut projects = 0;
    let mut services = 0;
    let inputs = files(corpus.join("compose"))
        .into_iter()
        .map(|p| (p, true))
        .chain(
            files(corpus.join("dockerfile"))
                .into_iter()
                .map(|p| (p, false)),
        );
    for (path, compose) in inputs {
        let opts = LoadOptions {
            files: vec![path.clone()],
            cwd: path.parent().unwrap().to_path_buf(),
            ..Default::default()
        };
        let run = std::panic::catch_unwind(|| {
            let project = if compose {
                load(&opts)
            } else {
                load_dockerfile(&path, &opts)
            };
            project.map(pipeline::analyze)
        });
        let analysis = match run {
            Err(_) => {
                problems.push(format!("{}: panicked", path.display()));
                continue;
            }
            // Load errors are the corpus load tests' business.
            Ok(Err(_)) => continue,
            Ok(Ok(a)) => a,
        };
        projects += 1;
        services += analysis.project.services.len();
        for f in &analysis.findings {
            *counts.entry(f.rule).or_default() += 1;
            if f.span.is_dummy() {
                continue;
            }
            let src = analysis.project.sources.get(f.span.file);
            let lines = src.text.lines().count().max(1) as u32;
            if f.span.line == 0 || f.span.line > lines || f.span.end as usize > src.text.len() {
                problems.push(format!(
                    "{}: {} points outside the file ({}:{})",
                    path.display(),
                    f.rule,
                    f.span.line,
                    f.span.col
                ));
            }
        }
    }
    println!("{projects} projects, {services} services");
    for (rule, n) in &counts {
        println!("{rule} {n}");
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(projects >= 200, "only {projects} inputs analysed");
    // Real projects get findings: a silent run over the whole corpus means the rules broke.
    assert!(counts.values().sum::<usize>() >= 100, "{counts:?}");
}
