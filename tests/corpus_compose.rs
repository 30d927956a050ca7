//! Every real-world compose file of the corpus loads on its own (`-f FILE`, empty
//! environment), except the files listed in [`INVALID_FOR_COMPOSE`], which docker compose
//! rejects too.

mod common;

use healthlint::load::{LoadOptions, load};

/// Files docker compose itself refuses, with the reason, and a substring our error must show.
const INVALID_FOR_COMPOSE: &[(&str, &str, &str)] = &[];

#[test]
fn corpus_compose_files_load() {
    let Some(corpus) = common::corpus_dir() else {
        return;
    };
    let manifest = std::fs::read_to_string(corpus.join("MANIFEST.tsv")).unwrap();
    let files: Vec<&str> = manifest
        .lines()
        .skip(1)
        .filter_map(|l| l.split('\t').next())
        .filter(|f| f.starts_with("compose/"))
        .collect();
    assert!(files.len() > 100, "only {} compose files listed", files.len());
    let mut failures = Vec::new();
    let mut loaded = 0;
    let mut services = 0;
    for file in &files {
        let path = corpus.join(file);
        let opts = LoadOptions {
            files: vec![path.clone()],
            cwd: path.parent().unwrap().to_path_buf(),
            ..Default::default()
        };
        let name = file.trim_start_matches("compose/");
        let expected = INVALID_FOR_COMPOSE.iter().find(|(f, _, _)| *f == name);
        let result = std::panic::catch_unwind(|| load(&opts));
        match (result, expected) {
            (Err(_), _) => failures.push(format!("{name}: panicked")),
            (Ok(Ok(p)), None) => {
                loaded += 1;
                services += p.services.len();
                if p.services.is_empty() {
                    failures.push(format!("{name}: loaded with no services"));
                }
                for s in &p.services {
                    if s.span.is_dummy() {
                        failures.push(format!("{name}: service {} has no span", s.name));
                    }
                }
            }
            (Ok(Err(e)), None) => failures.push(format!("{name}: {}", e.message)),
            (Ok(Ok(_)), Some((_, why, _))) => {
                failures.push(format!("{name}: loaded, but listed as invalid ({why})"))
            }
            (Ok(Err(e)), Some((_, _, needle))) => {
                if !e.message.contains(needle) {
                    failures.push(format!("{name}: error {:?} lacks {needle:?}", e.message));
                }
            }
        }
    }
    println!(
        "{} files, {loaded} loaded ({services} services), {} known invalid, {} failures",
        files.len(),
        INVALID_FOR_COMPOSE.len(),
        failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
