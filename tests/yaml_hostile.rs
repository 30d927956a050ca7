//! Hostile YAML: each input must end in a located error (or a correct parse), never a hang,
//! a stack overflow or unbounded memory.

use healthlint::load::yaml::{Budget, Value, parse};

fn billion_laughs() -> String {
    let mut s = String::from(
        "a0: &a0 [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    for i in 1..=9 {
        let p = format!("*a{}", i - 1);
        let items = [p.as_str(); 9].join(",");
        s.push_str(&format!("a{i}: &a{i} [{items}]\n"));
    }
    s
}

#[test]
fn billion_laughs_is_rejected_at_the_alias_that_breaks_the_budget() {
    let text = billion_laughs();
    let e = parse(&text, 0, Budget::default()).expect_err("must not expand 9^9 nodes");
    assert!(e.message.contains("nodes"), "{}", e.message);
    assert!(e.span.line >= 2 && e.span.line <= 10, "{e:?}");
    assert!(text[e.span.start as usize..].starts_with("*a"), "{e:?}");
    assert!(e.related.is_some());
}

#[test]
fn ten_thousand_open_brackets_fail_without_overflowing_the_stack() {
    let text = "[".repeat(10_000);
    let e = parse(&text, 0, Budget::default()).expect_err("too deep");
    assert_eq!(e.span.line, 1);
    assert!(e.span.col > 1);
}

#[test]
fn ten_thousand_nested_block_mappings_fail() {
    let mut text = String::new();
    for i in 0..10_000 {
        text.push_str(&" ".repeat(i));
        text.push_str("k:\n");
    }
    let e = parse(&text, 0, Budget::default()).expect_err("too deep");
    assert!(e.span.line > 1);
}

#[test]
fn ten_megabyte_scalar_parses() {
    let big = "x".repeat(10 * 1024 * 1024);
    let text = format!("a: {big}\nb: \"{big}\"\n");
    let docs = parse(&text, 0, Budget::default()).expect("large scalars are fine");
    assert_eq!(
        docs[0].get("a").and_then(|n| n.as_str()).map(str::len),
        Some(big.len())
    );
    assert_eq!(
        docs[0].get("b").and_then(|n| n.as_str()).map(str::len),
        Some(big.len())
    );
}

#[test]
fn a_long_string_aliased_many_times_is_bounded() {
    let big = "x".repeat(1024 * 1024);
    let aliases = vec!["*s"; 200].join(", ");
    let text = format!("s: &s {big}\nl: [{aliases}]\n");
    let e = parse(&text, 0, Budget::default()).expect_err("200 MB of copies");
    assert_eq!(e.span.line, 2);
}

#[test]
fn nul_bytes_are_a_located_error() {
    for text in ["a: x\0y\n", "a: \"x\0y\"\n", "\0"] {
        let e = parse(text, 0, Budget::default()).expect_err("NUL is not YAML");
        let nul = text.find('\0').unwrap();
        assert_eq!(e.span.start as usize, nul, "{text:?}: {e:?}");
        assert_eq!(e.span.line, 1);
    }
}

#[test]
fn tab_indentation_is_a_located_error() {
    let e = parse("services:\n\tweb:\n\t\timage: x\n", 0, Budget::default())
        .expect_err("tabs cannot indent");
    assert_eq!((e.span.line, e.span.col), (2, 2), "{e:?}");
    assert!(e.message.contains("tab"), "{}", e.message);
}

#[test]
fn recursive_alias_is_an_error() {
    for text in ["a: &a [*a]\n", "a: &a {b: *a}\n"] {
        let e = parse(text, 0, Budget::default()).expect_err("recursive");
        assert!(text[e.span.start as usize..].starts_with("*a"), "{e:?}");
    }
}

#[test]
fn deep_but_allowed_nesting_builds() {
    let text = format!("{}1{}", "[".repeat(100), "]".repeat(100));
    let docs = parse(&text, 0, Budget::default()).expect("100 levels are fine");
    let mut node = &docs[0];
    let mut depth = 0;
    while let Value::Seq(items) = &node.value {
        node = &items[0];
        depth += 1;
    }
    assert_eq!(depth, 100);
}
