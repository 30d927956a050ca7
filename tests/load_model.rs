//! The model the loader builds from the scenarios under `fixtures/load/`.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use healthlint::load::{LoadOptions, load};
use healthlint::model::{
    CommandForm, Condition, Origin, Project, Protocol, Service, TestForm, WarningKind,
};

fn dir(scenario: &str) -> PathBuf {
    common::fixtures_dir().join("load").join(scenario)
}

fn opts(scenario: &str, files: &[&str], env: &[(&str, &str)]) -> LoadOptions {
    let d = dir(scenario);
    LoadOptions {
        files: files.iter().map(|f| d.join(f)).collect(),
        env: env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        cwd: d,
        ..Default::default()
    }
}

fn load_ok(o: &LoadOptions) -> Project {
    match load(o) {
        Ok(p) => p,
        Err(e) => panic!("load failed: {}", e.message),
    }
}

fn svc<'p>(p: &'p Project, name: &str) -> &'p Service {
    p.service(name)
        .unwrap_or_else(|| panic!("no service {name}"))
}

/// The text a span covers.
fn text_at(p: &Project, span: healthlint::span::Span) -> String {
    let f = p.sources.get(span.file);
    f.text[span.start as usize..span.end as usize].to_string()
}

fn env_value<'s>(s: &'s Service, key: &str) -> Option<&'s str> {
    s.env(key).and_then(|e| e.value.as_deref())
}

#[test]
fn anchors_and_merge_keys() {
    let p = load_ok(&opts("anchors", &["compose.yaml"], &[]));
    let api = svc(&p, "api");
    assert_eq!(api.image.as_ref().unwrap().value, "busybox:1.36");
    assert_eq!(api.restart.as_ref().unwrap().value, "unless-stopped");
    assert_eq!(api.label("team").unwrap().value, "core");
    let hc = &api.healthcheck;
    assert_eq!(hc.origin, Origin::Compose);
    assert_eq!(hc.interval.as_ref().unwrap().value, Duration::from_secs(10));
    assert_eq!(hc.retries.as_ref().unwrap().value, 5);
    assert!(matches!(&hc.test.as_ref().unwrap().form, TestForm::Cmd(a) if a[0].value == "wget"));
    let worker = svc(&p, "worker");
    assert_eq!(worker.restart.as_ref().unwrap().value, "no");
    // An alias without a test: timings only over an unknown image.
    assert_eq!(worker.healthcheck.origin, Origin::Image);
    assert_eq!(
        worker.healthcheck.timeout.as_ref().unwrap().value,
        Duration::from_secs(3)
    );
    // The merged value points at where the anchor wrote it.
    let span = api.image.as_ref().unwrap().span;
    assert_eq!(text_at(&p, span), "busybox:1.36");
    assert_eq!(span.line, 7);
}

#[test]
fn interpolation_operators() {
    let env = [
        ("TAG", "1.27"),
        ("NAME", "world"),
        ("EMPTY", ""),
        ("PORT", "9090"),
        ("RETRIES", "7"),
    ];
    let p = load_ok(&opts("interpolation", &["compose.yaml"], &env));
    let web = svc(&p, "web");
    assert_eq!(web.image.as_ref().unwrap().value, "nginx:1.27");
    assert_eq!(env_value(web, "PLAIN"), Some("world"));
    assert_eq!(env_value(web, "BRACED"), Some("world"));
    assert_eq!(env_value(web, "DEFAULT_UNSET_OR_EMPTY"), Some("fallback"));
    assert_eq!(env_value(web, "DEFAULT_UNSET"), Some(""));
    assert_eq!(env_value(web, "DEFAULT_MISSING"), Some("fallback"));
    assert_eq!(env_value(web, "ALT_SET"), Some("alternate"));
    assert_eq!(env_value(web, "ALT_EMPTY"), Some(""));
    assert_eq!(env_value(web, "ALT_SET_EVEN_EMPTY"), Some("alternate"));
    assert_eq!(env_value(web, "REQUIRED"), Some(""));
    assert_eq!(env_value(web, "ESCAPED"), Some("$HOME"));
    assert!(
        p.warnings
            .iter()
            .any(|w| w.kind == WarningKind::RequiredVariableUnset && w.message.contains("SECRET")),
        "{:?}",
        p.warnings
    );
    let hc = &web.healthcheck;
    assert_eq!(hc.interval.as_ref().unwrap().value, Duration::from_secs(15));
    assert_eq!(hc.retries.as_ref().unwrap().value, 7);
    let test = hc.test.as_ref().unwrap();
    assert!(test.from_string);
    match &test.form {
        TestForm::CmdShell(s) => {
            assert_eq!(s.value, "curl -fsS http://127.0.0.1:9090/health || exit 1")
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(test.host_vars.len(), 1, "{:?}", test.host_vars);
    let var = &test.host_vars[0];
    assert_eq!(var.name, "PORT");
    assert!(var.set);
    assert_eq!(text_at(&p, var.span), "$PORT");
    assert_eq!(var.span.line, 16);
}

#[test]
fn unset_variable_in_test_is_recorded_unset() {
    let p = load_ok(&opts(
        "interpolation",
        &["compose.yaml"],
        &[("RETRIES", "1")],
    ));
    let test = svc(&p, "web").healthcheck.test.clone().unwrap();
    assert_eq!(test.host_vars[0].name, "PORT");
    assert!(!test.host_vars[0].set);
    let unset: Vec<_> = p
        .warnings
        .iter()
        .filter(|w| w.kind == WarningKind::UnsetVariable)
        .map(|w| w.message.as_str())
        .collect();
    assert!(
        unset.iter().any(|m| m.contains("variable PORT ")),
        "{unset:?}"
    );
    // A default stands in for the value: nothing to warn about.
    assert!(!unset.iter().any(|m| m.contains("MISSING")), "{unset:?}");
    assert!(!unset.iter().any(|m| m.contains("INTERVAL")), "{unset:?}");
}

#[test]
fn values_an_unset_variable_made_invalid_are_skipped_with_a_warning() {
    let p = load_ok(&opts("unset-vars", &["compose.yaml"], &[]));
    let web = svc(&p, "web");
    assert_eq!(web.ports.len(), 1);
    assert_eq!(web.ports[0].target, 80);
    assert!(web.expose.is_empty());
    assert!(web.healthcheck.retries.is_none());
    assert!(web.healthcheck.interval.is_none());
    // A duration written wrong, not caused by a variable, is kept for the rules.
    assert_eq!(web.healthcheck.invalid_durations.len(), 1);
    assert_eq!(web.healthcheck.invalid_durations[0].1.value, "10 sec");
    let unset = p
        .warnings
        .iter()
        .filter(|w| w.kind == WarningKind::UnsetVariable)
        .count();
    assert!(unset >= 4, "{:?}", p.warnings);
    // With the variables set, the same file has them all.
    let env = [
        ("PORT", "9000"),
        ("EXPOSE", "53"),
        ("RETRIES", "2"),
        ("INTERVAL", "5s"),
    ];
    let p = load_ok(&opts("unset-vars", &["compose.yaml"], &env));
    let web = svc(&p, "web");
    assert_eq!(web.ports.len(), 2);
    assert_eq!(web.expose.len(), 1);
    assert_eq!(web.healthcheck.retries.as_ref().unwrap().value, 2);
}

#[test]
fn dotenv_feeds_interpolation_and_process_env_wins() {
    let p = load_ok(&opts("dotenv", &["compose.yaml"], &[]));
    let web = svc(&p, "web");
    assert_eq!(web.image.as_ref().unwrap().value, "nginx:1.25");
    assert_eq!(web.ports[0].published.as_deref(), Some("8080"));
    let p = load_ok(&opts("dotenv", &["compose.yaml"], &[("PORT", "7000")]));
    assert_eq!(svc(&p, "web").ports[0].published.as_deref(), Some("7000"));
    assert!(p.sources.iter().any(|(_, f)| f.path.ends_with(".env")));
}

#[test]
fn explicit_missing_env_file_is_a_warning() {
    let mut o = opts("dotenv", &["compose.yaml"], &[("TAG", "x"), ("PORT", "1")]);
    o.env_files = vec![dir("dotenv").join("nope.env")];
    let p = load_ok(&o);
    assert!(
        p.warnings
            .iter()
            .any(|w| w.kind == WarningKind::MissingDotEnv)
    );
}

#[test]
fn several_files_merge_by_compose_rules() {
    let p = load_ok(&opts("multi-file", &["compose.yaml", "override.yaml"], &[]));
    assert_eq!(p.name, "multi_file");
    assert_eq!(p.compose_files.len(), 2);
    assert!(
        p.sources
            .path(p.compose_files[0])
            .ends_with("multi-file/compose.yaml")
    );
    assert!(
        p.sources
            .path(p.compose_files[1])
            .ends_with("multi-file/override.yaml")
    );
    let web = svc(&p, "web");
    assert_eq!(web.image.as_ref().unwrap().value, "nginx:1.27");
    // command is replaced, and a string becomes the shell form.
    assert_eq!(
        web.command.as_ref().unwrap().form,
        CommandForm::Shell("nginx-debug -g 'daemon off;'".into())
    );
    // ports append, the exact duplicate is dropped.
    let published: Vec<_> = web
        .ports
        .iter()
        .map(|p| p.published.clone().unwrap())
        .collect();
    assert_eq!(published, ["8080", "8443"]);
    assert_eq!(env_value(web, "LEVEL"), Some("debug"));
    assert_eq!(env_value(web, "KEEP"), Some("yes"));
    assert_eq!(web.label("a").unwrap().value, "1");
    assert_eq!(web.label("b").unwrap().value, "2");
    let hc = &web.healthcheck;
    assert!(
        matches!(&hc.test.as_ref().unwrap().form, TestForm::CmdShell(s) if s.value.starts_with("curl -f"))
    );
    assert_eq!(hc.interval.as_ref().unwrap().value, Duration::from_secs(30));
    assert_eq!(hc.timeout.as_ref().unwrap().value, Duration::from_secs(2));
    // The timeout's span is in the override file.
    let timeout_file = p.sources.path(hc.timeout.as_ref().unwrap().span.file);
    assert!(timeout_file.ends_with("override.yaml"));
    assert!(p.service("cache").is_some());
}

#[test]
fn extends_same_file_and_other_file() {
    let p = load_ok(&opts("extends", &["compose.yaml"], &[]));
    let local = svc(&p, "local");
    assert_eq!(local.image.as_ref().unwrap().value, "python:3.12-slim");
    assert_eq!(env_value(local, "MODE"), Some("local"));
    assert_eq!(local.healthcheck.origin, Origin::Compose);
    let remote = svc(&p, "remote");
    assert_eq!(remote.image.as_ref().unwrap().value, "node:22-slim");
    assert_eq!(remote.ports.len(), 2);
    // env_file is relative to the extended file.
    assert!(remote.env_files[0].value.ends_with("common/app.env"));
    assert_eq!(env_value(remote, "FROM_ENV_FILE"), Some("yes"));
    assert_eq!(remote.image.as_ref().unwrap().span.line, 3);
    assert!(
        p.sources
            .path(remote.image.as_ref().unwrap().span.file)
            .ends_with("common/base.yaml")
    );
}

#[test]
fn include_imports_services_with_their_env_file() {
    let p = load_ok(&opts("include", &["compose.yaml"], &[]));
    assert_eq!(p.compose_files.len(), 3);
    assert!(
        p.sources
            .path(p.compose_files[0])
            .ends_with("include/compose.yaml")
    );
    let names: Vec<_> = p.services.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names.len(), 3, "{names:?}");
    assert_eq!(
        svc(&p, "cache").image.as_ref().unwrap().value,
        "redis:7-alpine"
    );
    let db = svc(&p, "db");
    assert_eq!(
        db.healthcheck.start_period.as_ref().unwrap().value,
        Duration::from_secs(30)
    );
    let app = svc(&p, "app");
    let db_dep = app.depends_on.iter().find(|d| d.service == "db").unwrap();
    assert_eq!(db_dep.condition, Condition::ServiceHealthy);
    assert!(db_dep.required);
}

#[test]
fn profiles_select_active_services() {
    let p = load_ok(&opts("profiles", &["compose.yaml"], &[]));
    let active: Vec<_> = p
        .services
        .iter()
        .filter(|s| s.active)
        .map(|s| s.name.as_str())
        .collect();
    assert_eq!(active, ["app"]);
    let mut o = opts("profiles", &["compose.yaml"], &[]);
    o.profiles = vec!["debug".into()];
    let p = load_ok(&o);
    assert!(p.services.iter().all(|s| s.active));
    let o = opts(
        "profiles",
        &["compose.yaml"],
        &[("COMPOSE_PROFILES", "tools")],
    );
    let p = load_ok(&o);
    assert!(svc(&p, "tools").active);
    assert!(!svc(&p, "debug").active);
}

#[test]
fn reset_and_override_tags() {
    let p = load_ok(&opts(
        "reset-override",
        &["compose.yaml", "override.yaml"],
        &[],
    ));
    let web = svc(&p, "web");
    assert!(web.command.is_none());
    assert_eq!(web.ports.len(), 1);
    assert_eq!(web.ports[0].published.as_deref(), Some("8080"));
    assert_eq!(env_value(web, "A"), Some("1"));
    assert!(web.env("B").is_none());
    let hc = &web.healthcheck;
    assert!(matches!(&hc.test.as_ref().unwrap().form, TestForm::Cmd(a) if a[0].value == "false"));
    assert!(hc.interval.is_none(), "!override drops the base interval");
}

#[test]
fn healthcheck_over_dockerfile() {
    let p = load_ok(&opts("dockerfile-merge", &["compose.yaml"], &[]));
    let app = svc(&p, "app");
    assert!(app.dockerfile.is_some(), "the Dockerfile was read");
    let facts = app.dockerfile.as_ref().unwrap();
    assert!(p.sources.path(facts.dockerfile).ends_with("app/Dockerfile"));
    assert_eq!(
        app.build.as_ref().unwrap().args,
        [("VERSION".to_string(), Some("1.0".to_string()))]
    );
    // The compose part: its interval wins, whatever the Dockerfile says.
    assert_eq!(
        app.healthcheck.interval.as_ref().unwrap().value,
        Duration::from_secs(5)
    );
    // The Dockerfile's HEALTHCHECK supplies the test and the timeout compose did not set.
    assert_eq!(app.healthcheck.origin, Origin::Dockerfile);
    assert!(matches!(
        &app.healthcheck.test.as_ref().unwrap().form,
        TestForm::CmdShell(s) if s.value == "node -e \"process.exit(0)\""
    ));
    assert_eq!(
        app.healthcheck.timeout.as_ref().unwrap().value,
        Duration::from_secs(3)
    );
    assert_eq!(facts.expose[0].port, 3000);
    assert_eq!(facts.base_image.as_ref().unwrap().value, "node:22-slim");
    let inline = svc(&p, "inline");
    assert!(inline.dockerfile.is_some());
    assert!(inline.build.as_ref().unwrap().dockerfile_inline);
    let image = svc(&p, "image-only");
    assert_eq!(image.healthcheck.origin, Origin::Image);
    assert!(image.dockerfile.is_none());
    let nothing = svc(&p, "nothing");
    assert_eq!(nothing.healthcheck.origin, Origin::Dockerfile);
    assert_eq!(
        nothing.healthcheck.interval.as_ref().unwrap().value,
        Duration::from_secs(30)
    );
    assert_eq!(inline.healthcheck.origin, Origin::Dockerfile);
}

#[test]
fn ports_short_and_long() {
    let p = load_ok(&opts("ports", &["compose.yaml"], &[]));
    let web = svc(&p, "web");
    let ports = &web.ports;
    assert_eq!(ports.len(), 7);
    assert_eq!(
        (ports[0].target, ports[0].published.as_deref()),
        (80, Some("8080"))
    );
    assert_eq!(ports[1].host_ip.as_deref(), Some("127.0.0.1"));
    assert_eq!(ports[1].target, 443);
    assert_eq!((ports[2].target, ports[2].target_end), (3000, 3005));
    assert_eq!(
        (ports[3].target, ports[3].published.as_deref()),
        (9000, None)
    );
    assert_eq!(ports[4].host_ip.as_deref(), Some("::1"));
    assert_eq!(ports[5].protocol, Protocol::Udp);
    let long = &ports[6];
    assert_eq!(long.target, 8081);
    assert_eq!(long.published.as_deref(), Some("18081"));
    assert_eq!(long.app_protocol.as_deref(), Some("http"));
    assert_eq!(long.name.as_deref(), Some("web-alt"));
    assert_eq!(long.span.line, 11);
    assert_eq!(text_at(&p, ports[0].span), "\"8080:80\"");
    let expose: Vec<_> = web
        .expose
        .iter()
        .map(|e| (e.port, e.port_end, e.protocol))
        .collect();
    assert_eq!(
        expose,
        [
            (7000, 7000, Protocol::Tcp),
            (7001, 7001, Protocol::Tcp),
            (7100, 7105, Protocol::Udp)
        ]
    );
}

#[test]
fn discovery_walks_up_and_reads_the_override() {
    let d = dir("discovery").join("Weird_Project.Name");
    let o = LoadOptions {
        cwd: d.join("nested"),
        ..Default::default()
    };
    let p = load_ok(&o);
    assert_eq!(p.name, "weird_projectname");
    assert_eq!(p.dir, d);
    assert_eq!(p.compose_files.len(), 2);
    assert_eq!(svc(&p, "app").image.as_ref().unwrap().value, "app:override");
    // COMPOSE_FILE names the files instead.
    let o = LoadOptions {
        cwd: d.clone(),
        env: vec![("COMPOSE_FILE".into(), "compose.yaml".into())],
        project_name: Some("Given".into()),
        ..Default::default()
    };
    let p = load_ok(&o);
    assert_eq!(p.name, "given");
    assert_eq!(svc(&p, "app").image.as_ref().unwrap().value, "app");
}

#[test]
fn healthcheck_forms() {
    let p = load_ok(&opts("healthcheck-forms", &["compose.yaml"], &[]));
    let s = svc(&p, "string");
    assert!(
        matches!(&s.healthcheck.test.as_ref().unwrap().form, TestForm::CmdShell(t) if t.value.starts_with("wget"))
    );
    let c = &svc(&p, "cmd").healthcheck;
    assert_eq!(c.interval.as_ref().unwrap().value, Duration::from_secs(90));
    assert_eq!(
        c.timeout.as_ref().unwrap().value,
        Duration::from_millis(500)
    );
    assert_eq!(
        c.start_period.as_ref().unwrap().value,
        Duration::from_millis(2500)
    );
    assert_eq!(
        c.start_interval.as_ref().unwrap().value,
        Duration::from_secs(1)
    );
    assert_eq!(c.retries.as_ref().unwrap().value, 4);
    assert!(c.is_active());
    let none = &svc(&p, "none").healthcheck;
    assert!(none.disabled && !none.is_active());
    let disabled = &svc(&p, "disabled").healthcheck;
    assert!(disabled.disabled);
    assert_eq!(disabled.origin, Origin::Compose);
    let invalid = &svc(&p, "invalid").healthcheck;
    assert!(matches!(&invalid.test.as_ref().unwrap().form, TestForm::Invalid(a) if a.len() == 3));
    assert_eq!(invalid.invalid_durations.len(), 1);
    assert_eq!(invalid.invalid_durations[0].0, "interval");
    assert_eq!(invalid.invalid_durations[0].1.value, "10 seconds");
    assert_eq!(svc(&p, "timings-only").healthcheck.origin, Origin::Image);
    assert_eq!(svc(&p, "absent").healthcheck.origin, Origin::Image);
    assert!(svc(&p, "absent").healthcheck.test.is_none());
}

#[test]
fn missing_side_files_are_warnings() {
    let p = load_ok(&opts("missing-side-files", &["compose.yaml"], &[]));
    let kinds: Vec<_> = p.warnings.iter().map(|w| w.kind.clone()).collect();
    assert!(
        kinds.contains(&WarningKind::MissingBuildContext),
        "{kinds:?}"
    );
    assert!(kinds.contains(&WarningKind::MissingDockerfile), "{kinds:?}");
    let env_warnings = kinds
        .iter()
        .filter(|k| **k == WarningKind::MissingEnvFile)
        .count();
    assert_eq!(env_warnings, 1, "an optional env_file is not warned about");
    assert_eq!(svc(&p, "app").healthcheck.origin, Origin::Image);
    assert_eq!(svc(&p, "other").healthcheck.origin, Origin::Image);
}

#[test]
fn every_read_file_is_in_the_sources() {
    let p = load_ok(&opts("extends", &["compose.yaml"], &[]));
    let paths: Vec<&Path> = p.sources.iter().map(|(_, f)| f.path.as_path()).collect();
    assert!(paths.iter().any(|p| p.ends_with("extends/compose.yaml")));
    assert!(paths.iter().any(|p| p.ends_with("common/base.yaml")));
    assert!(paths.iter().any(|p| p.ends_with("common/app.env")));
}

#[test]
fn project_name_sources_in_order() {
    let mut o = opts(
        "multi-file",
        &["compose.yaml"],
        &[("COMPOSE_PROJECT_NAME", "From_Env")],
    );
    assert_eq!(load_ok(&o).name, "from_env");
    o.project_name = Some("Cli.Name".into());
    assert_eq!(load_ok(&o).name, "cliname");
    let o = opts("profiles", &["compose.yaml"], &[]);
    assert_eq!(load_ok(&o).name, "profiles");
}

#[test]
fn project_directory_option_moves_the_dotenv() {
    let mut o = opts("dotenv", &["compose.yaml"], &[]);
    o.project_directory = Some(dir("profiles"));
    let p = load_ok(&o);
    assert_eq!(p.dir, dir("profiles"));
    // No `.env` there: TAG is unset.
    assert_eq!(svc(&p, "web").image.as_ref().unwrap().value, "nginx:");
    assert!(
        p.warnings
            .iter()
            .any(|w| w.kind == WarningKind::UnsetVariable)
    );
}

#[test]
fn each_use_of_a_variable_has_its_own_span() {
    let p = load_ok(&opts("interpolation", &["compose.yaml"], &[("PORT", "81")]));
    let test = svc(&p, "twice").healthcheck.test.clone().unwrap();
    match &test.form {
        TestForm::CmdShell(s) => {
            assert_eq!(
                s.value,
                "nc -z 127.0.0.1 81 && nc -z 127.0.0.1 81 && echo $HOME"
            )
        }
        other => panic!("{other:?}"),
    }
    let texts: Vec<String> = test.host_vars.iter().map(|v| text_at(&p, v.span)).collect();
    assert_eq!(texts, ["$PORT", "${PORT:-80}"]);
    assert!(test.host_vars[0].span.start < test.host_vars[1].span.start);
    assert_eq!(test.host_vars[0].span.line, 22);
}

#[test]
fn compose_file_from_the_dotenv() {
    let o = LoadOptions {
        cwd: dir("compose-file-env"),
        ..Default::default()
    };
    let p = load_ok(&o);
    assert_eq!(p.compose_files.len(), 2);
    let app = svc(&p, "app");
    assert_eq!(app.image.as_ref().unwrap().value, "app:3");
    assert_eq!(app.user.as_ref().unwrap().value, "1000");
}

#[test]
fn optional_and_profile_disabled_dependencies_are_warnings() {
    let p = load_ok(&opts("dependencies", &["compose.yaml"], &[]));
    let web = svc(&p, "web");
    let conds: Vec<_> = web
        .depends_on
        .iter()
        .map(|d| (d.service.as_str(), d.condition, d.required))
        .collect();
    assert_eq!(
        conds,
        [
            ("db", Condition::ServiceHealthy, true),
            ("metrics", Condition::ServiceStarted, false),
            ("mailer", Condition::ServiceStarted, true),
        ]
    );
    let messages: Vec<_> = p.warnings.iter().map(|w| w.message.as_str()).collect();
    assert!(
        messages
            .iter()
            .any(|m| m.contains("optional dependency on undefined service \"metrics\"")),
        "{messages:?}"
    );
    assert!(
        messages
            .iter()
            .any(|m| m.contains("\"mailer\", which the selected profiles leave out")),
        "{messages:?}"
    );
    let mut o = opts("dependencies", &["compose.yaml"], &[]);
    o.profiles = vec!["mail".into()];
    let p = load_ok(&o);
    assert!(!p.warnings.iter().any(|w| w.message.contains("leave out")));
}
