#![no_main]
//! The Dockerfile parser, its dump, and the image facts it derives, for the last stage and for
//! a named target.

use healthlint::load::dockerfile::{image_facts_from_text, parse};
use healthlint::span::Sources;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(file) = parse::parse(text) {
        let _ = parse::dump(&file);
    }
    let mut sources = Sources::new();
    let id = sources.add("Dockerfile", text.to_string());
    let _ = image_facts_from_text(&sources, id, None, &[]);
    let _ = image_facts_from_text(&sources, id, Some("build"), &[]);
});
