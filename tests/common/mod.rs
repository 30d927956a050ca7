//! Shared helpers for integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

/// The real-world corpus beside the repository (`../shared/corpus`). Returns `None` with a
/// printed reason when it is absent (a user's fresh clone); panics instead when
/// `HEALTHLINT_REQUIRE_CORPUS=1`, so CI can never skip silently.
pub fn corpus_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    if dir.is_dir() {
        return Some(dir);
    }
    if std::env::var("HEALTHLINT_REQUIRE_CORPUS").as_deref() == Ok("1") {
        panic!(
            "HEALTHLINT_REQUIRE_CORPUS=1 but the corpus is missing at {}",
            dir.display()
        );
    }
    eprintln!(
        "skipping: the corpus is not at {} (set HEALTHLINT_REQUIRE_CORPUS=1 to make this fail)",
        dir.display()
    );
    None
}

/// The repository's `fixtures/` folder.
pub fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}
