//! Every real-world compose file of the corpus loads on its own (`-f FILE`, empty
//! environment), except the files listed in [`INVALID_FOR_COMPOSE`], which docker compose
//! rejects too.

mod common;

use healthlint::load::{LoadOptions, load};

/// Files docker compose itself refuses when loaded alone, with the reason, and a substring our
/// error must show. Most are parts of a larger project whose other files the corpus does not
/// hold.
const INVALID_FOR_COMPOSE: &[(&str, &str, &str)] = &[
    (
        "docker__compose__pkg__e2e__testdata__TestSecretFromInclude__compose.yaml",
        "includes child/compose.yaml, which is not in the corpus",
        "included file",
    ),
    (
        "compose-spec__compose-go__loader__testdata__compose-include.yaml",
        "includes subdir/compose-test-extends-imported.yaml, which is not in the corpus",
        "included file",
    ),
    (
        "compose-spec__compose-go__loader__testdata__extends__base.yaml",
        "extends sibling.yaml, which is not in the corpus",
        "cannot extend service \"with-build\"",
    ),
    (
        "compose-spec__compose-go__loader__testdata__compose-test-extends.yaml",
        "extends subdir/compose-test-extends-imported.yaml, which is not in the corpus",
        "cannot extend service \"importer\"",
    ),
    (
        "wger-project__docker__docker-compose.yml",
        "includes services/postgres.yaml, which is not in the corpus",
        "included file",
    ),
    (
        "wger-project__docker__dev-postgres__docker-compose.yml",
        "includes ../services/postgres.yaml, which is not in the corpus",
        "included file",
    ),
    (
        "jaegertracing__jaeger__docker-compose__kafka__docker-compose.yml",
        "includes v3/docker-compose.yml, which is not in the corpus",
        "included file",
    ),
    (
        "zabbix__zabbix-docker__docker-compose_v3_alpine_pgsql_local.yaml",
        "extends compose_zabbix_components.yaml, which is not in the corpus",
        "cannot extend service \"zabbix-server\"",
    ),
    (
        "frappe__frappe_docker__overrides__compose.migrator.yaml",
        "an override file: depends on configurator, defined in the base file",
        "depends on undefined service \"configurator\"",
    ),
    (
        "authelia__authelia__internal__suites__ActiveDirectory__compose.yml",
        "a suite fragment: depends on sambaldap, defined in another file of the suite",
        "depends on undefined service \"sambaldap\"",
    ),
    (
        "taigaio__taiga-docker__docker-compose-inits.yml",
        "used with docker-compose.yml: depends on taiga-db, defined there",
        "depends on undefined service \"taiga-db\"",
    ),
    (
        "open-telemetry__opentelemetry-demo__compose.agent.yaml",
        "an add-on to compose.yaml: depends on otel-collector, defined there",
        "depends on undefined service \"otel-collector\"",
    ),
    (
        "coollabsio__coolify__templates__compose__supabase.yaml",
        "a Coolify template: `exclude_from_hc` is Coolify's key, not a compose one",
        "\"exclude_from_hc\" is not allowed",
    ),
    (
        "coollabsio__coolify__templates__compose__hatchet.yaml",
        "a Coolify template: `exclude_from_hc` is Coolify's key, not a compose one",
        "\"exclude_from_hc\" is not allowed",
    ),
    (
        "coollabsio__coolify__templates__compose__dify.yaml",
        "a Coolify template: an awk script in a command holds `${[A-Za-z_]...}`, which compose's \
         interpolation refuses (\"Invalid template\"); it needs `$${`",
        "invalid interpolation",
    ),
    (
        "coollabsio__coolify__templates__compose__forgejo-with-runner.yaml",
        "`environment` is a multi-line plain string, which the schema rejects",
        "environment must be a mapping or a list",
    ),
];

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
    assert!(
        files.len() > 100,
        "only {} compose files listed",
        files.len()
    );
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
