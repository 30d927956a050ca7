//! Per-stage costs: YAML parsing, compose loading, Dockerfile parsing, check parsing, and the
//! analysis (infer, probe, rules), on the real corpus and on a generated 1,000-service file.
//! Whole-process numbers (start-up, walking, peak memory, hadolint ratio) are in bench/run.sh.

use std::path::{Path, PathBuf};

use criterion::{Criterion, criterion_group, criterion_main};
use healthlint::load::{self, LoadOptions};
use healthlint::model::{HealthTest, TestForm};
use healthlint::span::{Span, Spanned};

fn corpus() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    dir.is_dir().then_some(dir)
}

fn files(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .map(|rd| rd.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    v.sort();
    v.into_iter()
        .filter_map(|p| std::fs::read_to_string(&p).ok().map(|t| (p, t)))
        .collect()
}

fn generated(n: usize) -> String {
    let mut s = String::from(
        "x-common: &common\n  restart: unless-stopped\n  environment: &env\n    TZ: ${TZ:-UTC}\n\
         x-check: &check\n  interval: ${HC_INTERVAL:-30s}\n  timeout: 5s\n  retries: 3\nservices:\n",
    );
    for i in 0..n {
        s.push_str(&match i % 3 {
            0 => format!(
                "  web{i}:\n    <<: *common\n    image: nginx:1.27-alpine\n    ports: [\"{}:80\"]\n    healthcheck:\n      <<: *check\n      test: [\"CMD\", \"wget\", \"-q\", \"--spider\", \"http://localhost:80/\"]\n",
                10000 + i
            ),
            1 => format!(
                "  bot{i}:\n    <<: *common\n    image: node:20-slim\n    command: node bot.js\n    environment:\n      GATEWAY_URL: ws://gateway:18789\n    healthcheck:\n      test: [\"CMD-SHELL\", \"curl -f http://localhost:3000/health\"]\n"
            ),
            _ => format!(
                "  db{i}:\n    image: postgres:16\n    healthcheck:\n      test: [\"CMD-SHELL\", \"pg_isready -U postgres\"]\n      interval: 10s\n"
            ),
        });
    }
    s
}

fn opts(file: PathBuf) -> LoadOptions {
    LoadOptions {
        cwd: file.parent().map(Path::to_path_buf).unwrap_or_default(),
        files: vec![file],
        ..Default::default()
    }
}

fn stages(c: &mut Criterion) {
    let tmp = std::env::temp_dir().join(format!("healthlint-bench-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    let big = tmp.join("compose.yml");
    std::fs::write(&big, generated(1000)).unwrap();

    c.bench_function("load/1000-services", |b| {
        b.iter(|| load::load(&opts(big.clone())).unwrap())
    });
    c.bench_function("analyze/1000-services", |b| {
        b.iter_batched(
            || load::load(&opts(big.clone())).unwrap(),
            healthlint::pipeline::analyze,
            criterion::BatchSize::LargeInput,
        )
    });

    let scripts = [
        "curl -f http://localhost:3000/health || exit 1",
        "pgrep -f 'node.*bot.js' && netstat -tn | grep -q ':18789.*ESTABLISHED'",
        "pg_isready -U postgres -h localhost",
        "wget -q --spider http://127.0.0.1:8080/ready",
        "sh -c 'redis-cli -h localhost ping | grep -q PONG'",
    ];
    c.bench_function("probe/5-checks", |b| {
        b.iter(|| {
            for s in scripts {
                let span = Span::default();
                let test = HealthTest {
                    form: TestForm::CmdShell(Spanned::new(s.to_string(), span)),
                    span,
                    from_string: false,
                    ..HealthTest::default()
                };
                std::hint::black_box(healthlint::probe::analyze(&test, None));
            }
        })
    });

    if let Some(corpus) = corpus() {
        let composes = files(&corpus.join("compose"));
        c.bench_function("yaml/corpus", |b| {
            b.iter(|| {
                for (_, text) in &composes {
                    let _ = std::hint::black_box(healthlint::load::yaml::parse(
                        text,
                        0,
                        Default::default(),
                    ));
                }
            })
        });
        c.bench_function("load+analyze/corpus-compose", |b| {
            b.iter(|| {
                for (path, _) in &composes {
                    if let Ok(p) = load::load(&opts(path.clone())) {
                        std::hint::black_box(healthlint::pipeline::analyze(p));
                    }
                }
            })
        });
        let dockerfiles = files(&corpus.join("dockerfile"));
        let mut sources = healthlint::span::Sources::new();
        let ids: Vec<_> = dockerfiles
            .iter()
            .map(|(path, text)| sources.add(path.clone(), text.clone()))
            .collect();
        c.bench_function("dockerfile/corpus", |b| {
            b.iter(|| {
                for &id in &ids {
                    let _ = std::hint::black_box(load::dockerfile::image_facts_from_text(
                        &sources,
                        id,
                        None,
                        &[],
                    ));
                }
            })
        });
    } else {
        eprintln!("corpus benchmarks skipped: ../shared/corpus is absent");
    }
    let _ = std::fs::remove_dir_all(&tmp);
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = stages
}
criterion_main!(benches);
