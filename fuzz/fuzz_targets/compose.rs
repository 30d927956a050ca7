#![no_main]
//! The compose loader end to end on one file: YAML, merges, interpolation, model building,
//! then the analysis stages on whatever loads. The loader reads from disk (discovery, `.env`,
//! relative paths), so each input is written to a private directory first.

use std::path::PathBuf;
use std::sync::OnceLock;

use healthlint::load::{LoadOptions, load};
use libfuzzer_sys::fuzz_target;

fn dir() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let d = std::env::temp_dir().join(format!("healthlint-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&d).expect("fuzz scratch directory");
        d
    })
}

fuzz_target!(|data: &[u8]| {
    let path = dir().join("compose.yml");
    if std::fs::write(&path, data).is_err() {
        return;
    }
    let opts = LoadOptions {
        files: vec![path],
        cwd: dir().clone(),
        ..LoadOptions::default()
    };
    if let Ok(project) = load(&opts) {
        let _ = healthlint::pipeline::analyze(project);
    }
});
