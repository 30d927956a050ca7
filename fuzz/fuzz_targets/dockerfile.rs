#![no_main]
//! The Dockerfile parser and the image facts it derives: any text, any target stage.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = healthlint::load::dockerfile::image_facts_from_text(text, 0, None, &[]);
        let _ = healthlint::load::dockerfile::image_facts_from_text(text, 0, Some("build"), &[]);
    }
});
