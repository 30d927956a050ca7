#![no_main]
//! The compose loader end to end on one file: YAML, merges, interpolation, model building,
//! then the analysis stages on whatever loads.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(project) = healthlint::load::load_text("compose.yml", text) {
            let _ = healthlint::pipeline::analyze(project);
        }
    }
});
