//! Bad compose input fails to load with a clean error naming the file, line and column, and
//! never panics.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use healthlint::load::{LoadError, LoadOptions, load};

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A fresh directory with the given files.
fn scratch(files: &[(&str, &[u8])]) -> PathBuf {
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let dir =
        std::env::temp_dir().join(format!("healthlint-load-errors-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for (name, content) in files {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }
    dir
}

fn load_in(dir: &Path, files: &[&str]) -> Result<healthlint::model::Project, Box<LoadError>> {
    let opts = LoadOptions {
        files: files.iter().map(|f| dir.join(f)).collect(),
        cwd: dir.to_path_buf(),
        ..Default::default()
    };
    std::panic::catch_unwind(|| load(&opts)).expect("the loader panicked")
}

/// Loads `compose.yaml` with `text` and expects an error at `line:col` in `file` whose message
/// contains `needle`.
fn expect_error_in(files: &[(&str, &str)], file: &str, line: u32, col: u32, needle: &str) {
    let owned: Vec<(&str, &[u8])> = files.iter().map(|(n, t)| (*n, t.as_bytes())).collect();
    let dir = scratch(&owned);
    let err = match load_in(&dir, &["compose.yaml"]) {
        Ok(_) => panic!("expected an error containing {needle:?}, loaded fine"),
        Err(e) => e,
    };
    let span = err
        .span
        .unwrap_or_else(|| panic!("no span on error {:?}", err.message));
    let path = err.path.clone().expect("the error names a file");
    assert!(path.ends_with(file), "{:?} is not in {file}", err.message);
    assert_eq!(
        (span.line, span.col),
        (line, col),
        "wrong position for {:?}",
        err.message
    );
    assert!(err.src.is_some(), "the error carries the source");
    assert!(
        err.message.contains(needle),
        "{:?} does not contain {needle:?}",
        err.message
    );
    let prefix = format!("{}:{line}:{col}: ", path.display());
    assert!(
        err.message.starts_with(&prefix),
        "{:?} does not start with {prefix:?}",
        err.message
    );
}

fn expect_error(text: &str, line: u32, col: u32, needle: &str) {
    expect_error_in(&[("compose.yaml", text)], "compose.yaml", line, col, needle);
}

#[test]
fn malformed_yaml() {
    expect_error("services:\n  web:\n    image: [nginx\n", 3, 12, "");
}

#[test]
fn top_level_not_a_mapping() {
    expect_error("- a\n- b\n", 1, 1, "must be a mapping at the top level");
}

#[test]
fn unknown_top_level_key() {
    expect_error(
        "servics:\n  web:\n    image: x\n",
        1,
        1,
        "\"servics\" is not allowed",
    );
}

#[test]
fn unknown_service_key() {
    expect_error(
        "services:\n  web:\n    imgae: nginx\n",
        3,
        5,
        "\"imgae\" is not allowed in service \"web\"",
    );
}

#[test]
fn services_not_a_mapping() {
    expect_error("services: web\n", 1, 11, "services must be a mapping");
}

#[test]
fn service_not_a_mapping() {
    expect_error(
        "services:\n  web: [a]\n",
        2,
        8,
        "service \"web\" must be a mapping",
    );
}

#[test]
fn image_not_a_string() {
    expect_error(
        "services:\n  web:\n    image: [nginx]\n",
        3,
        12,
        "services.web.image must be a string",
    );
}

#[test]
fn ports_not_a_list() {
    expect_error(
        "services:\n  web:\n    image: x\n    ports: \"80\"\n",
        4,
        12,
        "services.web.ports must be a list",
    );
}

#[test]
fn port_with_a_name_for_a_number() {
    expect_error(
        "services:\n  web:\n    image: x\n    ports:\n      - \"80:http\"\n",
        5,
        9,
        "invalid port",
    );
}

#[test]
fn port_with_unknown_protocol() {
    expect_error(
        "services:\n  web:\n    image: x\n    ports:\n      - 80/xyz\n",
        5,
        9,
        "invalid protocol",
    );
}

#[test]
fn port_out_of_range() {
    expect_error(
        "services:\n  web:\n    image: x\n    ports:\n      - 70000\n",
        5,
        9,
        "out of range",
    );
}

#[test]
fn port_ranges_of_different_length() {
    expect_error(
        "services:\n  web:\n    image: x\n    ports:\n      - \"9090-9092:8080-8081\"\n",
        5,
        9,
        "differ in length",
    );
}

#[test]
fn long_port_without_target() {
    expect_error(
        "services:\n  web:\n    image: x\n    ports:\n      - published: \"80\"\n",
        5,
        9,
        "needs a target",
    );
}

#[test]
fn long_port_unknown_key() {
    expect_error(
        "services:\n  web:\n    image: x\n    ports:\n      - target: 80\n        hostport: 1\n",
        6,
        9,
        "\"hostport\" is not allowed",
    );
}

#[test]
fn bad_expose() {
    expect_error(
        "services:\n  web:\n    image: x\n    expose:\n      - http\n",
        5,
        9,
        "invalid expose",
    );
}

#[test]
fn command_as_mapping() {
    expect_error(
        "services:\n  web:\n    image: x\n    command:\n      run: x\n",
        5,
        7,
        "must be a string or a list",
    );
}

#[test]
fn environment_as_string() {
    expect_error(
        "services:\n  web:\n    image: x\n    environment: A=1\n",
        4,
        18,
        "must be a mapping or a list",
    );
}

#[test]
fn labels_as_string() {
    expect_error(
        "services:\n  web:\n    image: x\n    labels: a=1\n",
        4,
        13,
        "must be a mapping or a list",
    );
}

#[test]
fn bad_depends_on_condition() {
    expect_error(
        "services:\n  web:\n    image: x\n    depends_on:\n      db:\n        condition: service_ready\n  db:\n    image: y\n",
        6,
        20,
        "invalid depends_on condition \"service_ready\"",
    );
}

#[test]
fn depends_on_required_not_a_boolean() {
    expect_error(
        "services:\n  web:\n    image: x\n    depends_on:\n      db:\n        condition: service_started\n        required: maybe\n  db:\n    image: y\n",
        7,
        19,
        "must be a boolean",
    );
}

#[test]
fn depends_on_undefined_service() {
    expect_error(
        "services:\n  web:\n    image: x\n    depends_on:\n      - db\n",
        5,
        9,
        "service \"web\" depends on undefined service \"db\"",
    );
}

#[test]
fn depends_on_cycle() {
    expect_error(
        "services:\n  a:\n    image: x\n    depends_on: [b]\n  b:\n    image: x\n    depends_on: [a]\n",
        7,
        18,
        "dependency cycle detected: a -> b -> a",
    );
}

#[test]
fn healthcheck_not_a_mapping() {
    expect_error(
        "services:\n  web:\n    image: x\n    healthcheck: curl localhost\n",
        4,
        18,
        "healthcheck must be a mapping",
    );
}

#[test]
fn healthcheck_unknown_key() {
    expect_error(
        "services:\n  web:\n    image: x\n    healthcheck:\n      test: [\"CMD\", \"true\"]\n      period: 5s\n",
        6,
        7,
        "\"period\" is not allowed in healthcheck",
    );
}

#[test]
fn healthcheck_retries_not_a_number() {
    expect_error(
        "services:\n  web:\n    image: x\n    healthcheck:\n      retries: three\n",
        5,
        16,
        "retries must be a non-negative integer",
    );
}

#[test]
fn healthcheck_test_as_mapping() {
    expect_error(
        "services:\n  web:\n    image: x\n    healthcheck:\n      test:\n        cmd: x\n",
        6,
        9,
        "healthcheck.test must be a string or a list",
    );
}

#[test]
fn healthcheck_disable_not_a_boolean() {
    expect_error(
        "services:\n  web:\n    image: x\n    healthcheck:\n      disable: maybe\n",
        5,
        16,
        "healthcheck.disable must be a boolean",
    );
}

#[test]
fn build_as_list() {
    expect_error(
        "services:\n  web:\n    build: [.]\n",
        3,
        12,
        "build must be a string or a mapping",
    );
}

#[test]
fn build_unknown_key() {
    expect_error(
        "services:\n  web:\n    build:\n      context: .\n      file: Dockerfile\n",
        5,
        7,
        "\"file\" is not allowed",
    );
}

#[test]
fn profiles_not_a_list() {
    expect_error(
        "services:\n  web:\n    image: x\n    profiles: debug\n",
        4,
        15,
        "profiles must be a list",
    );
}

#[test]
fn env_file_entry_without_path() {
    expect_error(
        "services:\n  web:\n    image: x\n    env_file:\n      - required: false\n",
        5,
        9,
        "needs a path",
    );
}

#[test]
fn duplicate_keys() {
    expect_error(
        "services:\n  web:\n    image: a\n    image: b\n",
        4,
        5,
        "image",
    );
}

#[test]
fn bad_interpolation() {
    expect_error(
        "services:\n  web:\n    image: \"nginx:${TAG\"\n",
        3,
        19,
        "invalid interpolation",
    );
}

#[test]
fn extends_cycle() {
    expect_error(
        "services:\n  a:\n    extends: b\n  b:\n    extends: a\n",
        3,
        14,
        "extends cycle detected",
    );
}

#[test]
fn extends_missing_service() {
    expect_error(
        "services:\n  a:\n    image: x\n    extends: nothere\n",
        4,
        14,
        "service \"nothere\" not found",
    );
}

#[test]
fn extends_without_service_key() {
    expect_error(
        "services:\n  a:\n    image: x\n    extends:\n      file: other.yaml\n",
        5,
        7,
        "extends.a.service is required",
    );
}

#[test]
fn extends_missing_file() {
    expect_error(
        "services:\n  a:\n    extends:\n      file: other.yaml\n      service: b\n",
        4,
        13,
        "not found",
    );
}

#[test]
fn extends_missing_service_in_other_file() {
    expect_error_in(
        &[
            (
                "compose.yaml",
                "services:\n  a:\n    extends:\n      file: other.yaml\n      service: b\n",
            ),
            ("other.yaml", "services:\n  c:\n    image: x\n"),
        ],
        "compose.yaml",
        5,
        16,
        "service \"b\" not found",
    );
}

#[test]
fn include_not_a_list() {
    expect_error(
        "include: other.yaml\nservices: {}\n",
        1,
        10,
        "include must be a list",
    );
}

#[test]
fn include_cycle() {
    expect_error_in(
        &[
            (
                "compose.yaml",
                "include:\n  - sub/a.yaml\nservices:\n  x:\n    image: x\n",
            ),
            (
                "sub/a.yaml",
                "include:\n  - ../compose.yaml\nservices:\n  y:\n    image: y\n",
            ),
        ],
        "sub/a.yaml",
        2,
        5,
        "include cycle detected",
    );
}

#[test]
fn include_missing_file() {
    expect_error("include:\n  - nothere.yaml\n", 2, 5, "not found");
}

#[test]
fn error_inside_an_included_file_points_there() {
    expect_error_in(
        &[
            ("compose.yaml", "include:\n  - sub/a.yaml\n"),
            (
                "sub/a.yaml",
                "services:\n  y:\n    image: y\n    bogus: 1\n",
            ),
        ],
        "sub/a.yaml",
        4,
        5,
        "\"bogus\" is not allowed",
    );
}

#[test]
fn alias_bomb_is_bounded() {
    let mut text = String::from(
        "x-a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    let names = ["b", "c", "d", "e", "f", "g", "h", "i"];
    let mut prev = "a";
    for n in names {
        text.push_str(&format!(
            "x-{n}: &{n} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n"
        ));
        prev = n;
    }
    text.push_str("services:\n  web:\n    image: x\n");
    let dir = scratch(&[("compose.yaml", text.as_bytes())]);
    let start = std::time::Instant::now();
    let err = load_in(&dir, &["compose.yaml"]).expect_err("an alias bomb must not load");
    assert!(start.elapsed() < std::time::Duration::from_secs(10));
    let span = err.span.expect("the error has a position");
    assert!(span.line >= 1 && span.line <= 10, "{:?}", err.message);
    assert!(err.path.unwrap().ends_with("compose.yaml"));
}

#[test]
fn huge_file_is_refused() {
    // A sparse file past the 64 MiB limit: refused from its size, before any byte is read.
    let dir = scratch(&[("compose.yaml", b"services:\n  web:\n    image: x\n")]);
    std::fs::OpenOptions::new()
        .write(true)
        .open(dir.join("compose.yaml"))
        .unwrap()
        .set_len(65 * 1024 * 1024)
        .unwrap();
    let err = load_in(&dir, &["compose.yaml"]).expect_err("a 65 MiB file must be refused");
    assert!(err.message.contains("too large"), "{}", err.message);
    assert!(err.path.unwrap().ends_with("compose.yaml"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn non_utf8_file() {
    let dir = scratch(&[("compose.yaml", b"services:\n  web:\n    image: caf\xe9\n")]);
    let err = load_in(&dir, &["compose.yaml"]).expect_err("non-UTF-8 must fail");
    assert!(
        err.message.contains("compose.yaml:3:15: "),
        "{}",
        err.message
    );
    assert!(err.message.contains("not valid UTF-8"), "{}", err.message);
}

#[test]
fn missing_file() {
    let dir = scratch(&[]);
    let err = load_in(&dir, &["nothere.yaml"]).expect_err("missing -f file");
    assert!(
        err.message.contains("nothere.yaml: no such file"),
        "{}",
        err.message
    );
    assert!(err.path.unwrap().ends_with("nothere.yaml"));
}

#[test]
fn directory_as_file() {
    let dir = scratch(&[("sub/compose.yaml", b"services: {}\n")]);
    let err = load_in(&dir, &["sub"]).expect_err("a directory is not a compose file");
    assert!(err.message.contains("is a directory"), "{}", err.message);
}

#[test]
fn empty_file() {
    let dir = scratch(&[("compose.yaml", b"# nothing here\n")]);
    let err = load_in(&dir, &["compose.yaml"]).expect_err("empty file");
    assert!(
        err.message.contains("empty compose file"),
        "{}",
        err.message
    );
    assert!(err.path.unwrap().ends_with("compose.yaml"));
}

#[test]
fn no_compose_file_found() {
    let dir = scratch(&[]);
    let opts = LoadOptions {
        cwd: dir.clone(),
        ..Default::default()
    };
    // Discovery climbs to the filesystem root; a temp dir normally has no compose file above.
    if let Err(err) = load(&opts) {
        assert!(err.message.contains("no compose file"), "{}", err.message);
    }
}

#[test]
fn second_file_errors_point_at_the_second_file() {
    let dir = scratch(&[
        ("compose.yaml", b"services:\n  web:\n    image: x\n"),
        (
            "override.yaml",
            b"services:\n  web:\n    ports:\n      - \"abc\"\n",
        ),
    ]);
    let err = load_in(&dir, &["compose.yaml", "override.yaml"]).expect_err("bad port");
    let span = err.span.unwrap();
    assert!(err.path.unwrap().ends_with("override.yaml"));
    assert_eq!((span.line, span.col), (4, 9));
}

#[test]
fn two_includes_defining_one_service_differently() {
    expect_error_in(
        &[
            ("compose.yaml", "include:\n  - a.yaml\n  - b.yaml\n"),
            ("a.yaml", "services:\n  db:\n    image: postgres:15\n"),
            ("b.yaml", "services:\n  db:\n    image: postgres:16\n"),
        ],
        "b.yaml",
        2,
        3,
        "conflicts",
    );
}

#[test]
fn project_name_that_normalizes_to_nothing() {
    expect_error(
        "name: \"--__\"\nservices:\n  web:\n    image: x\n",
        1,
        7,
        "must not be empty",
    );
}

/// Loads `text` and returns how long it took; the loader must stay near-linear.
fn timed_load(
    text: &str,
) -> (
    Result<healthlint::model::Project, Box<LoadError>>,
    std::time::Duration,
) {
    let dir = scratch(&[("compose.yaml", text.as_bytes())]);
    let start = std::time::Instant::now();
    let r = load_in(&dir, &["compose.yaml"]);
    (r, start.elapsed())
}

#[test]
fn many_services_and_a_long_dependency_chain_stay_fast() {
    let n = 20_000;
    let mut text = String::from("services:\n");
    for i in 0..n {
        text.push_str(&format!(
            "  s{i}:\n    image: x\n    depends_on: [s{}]\n",
            i + 1
        ));
    }
    text.push_str(&format!("  s{n}:\n    image: x\n"));
    let (r, took) = timed_load(&text);
    let p = r.unwrap_or_else(|e| panic!("{}", e.message));
    assert_eq!(p.services.len(), n + 1);
    assert!(took < std::time::Duration::from_secs(20), "took {took:?}");
    // Closing the chain into a loop is found, without exhausting the stack.
    let looped = text.replace(
        &format!("  s{n}:\n    image: x\n"),
        &format!("  s{n}:\n    image: x\n    depends_on: [s0]\n"),
    );
    let (r, _) = timed_load(&looped);
    let Err(err) = r else {
        panic!("a dependency cycle loaded");
    };
    assert!(
        err.message
            .contains("dependency cycle detected: s0 -> s1 -> s2"),
        "{}",
        &err.message[..200.min(err.message.len())]
    );
}

#[test]
fn long_lists_are_deduplicated_in_linear_time() {
    let n = 50_000;
    let mut text = String::from("services:\n  web:\n    image: x\n    ports:\n");
    for i in 0..n {
        text.push_str(&format!("      - \"{}:80\"\n", 1 + i % 60_000));
    }
    text.push_str("    environment:\n");
    for i in 0..n {
        text.push_str(&format!("      - K{}={i}\n", i % 1000));
    }
    let (r, took) = timed_load(&text);
    let p = r.unwrap_or_else(|e| panic!("{}", e.message));
    let web = p.service("web").unwrap();
    assert_eq!(web.ports.len(), n);
    assert_eq!(web.environment.len(), 1000);
    assert_eq!(web.env("K0").unwrap().value.as_deref(), Some("49000"));
    assert!(took < std::time::Duration::from_secs(20), "took {took:?}");
}

#[test]
fn extends_chain_depth_is_bounded() {
    // Listed from the end of the chain, so resolving the first service walks all of it.
    let mut text = String::from("services:\n");
    for i in (1..200).rev() {
        text.push_str(&format!("  s{i}:\n    extends: s{}\n", i - 1));
    }
    text.push_str("  s0:\n    image: x\n");
    let (r, _) = timed_load(&text);
    let Err(err) = r else {
        panic!("a chain of 200 extends loaded");
    };
    assert!(
        err.message.contains("extends chain is deeper than"),
        "{}",
        err.message
    );
    assert!(err.span.is_some());
}

#[test]
fn errors_render_with_their_snippet() {
    let dir = scratch(&[(
        "compose.yaml",
        b"services:\n  web:\n    image: x\n    ports:\n      - \"80:http\"\n",
    )]);
    let err = load_in(&dir, &["compose.yaml"]).expect_err("bad port");
    let mut out = String::new();
    miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor())
        .render_report(&mut out, err.as_ref())
        .unwrap();
    assert!(out.contains("compose.yaml:5:9"), "{out}");
    assert!(out.contains("- \"80:http\""), "{out}");
    assert!(out.contains("invalid port"), "{out}");
}
