//! Time to a verdict with `verify --no-watch`: how long after `docker compose up -d` the user
//! learns that a check fails, when the engine itself would take its 30 s default interval
//! before even the first probe. Target: under 2 s for one container, and 20 containers at
//! once not 20 times slower. Needs a Docker engine; prints why and exits when there is none.

#[path = "../tests/live_support/mod.rs"]
mod live_support;

use std::time::{Duration, Instant};

use healthlint::infer::ServiceKind;
use healthlint::live;
use live_support::*;

const ROUNDS: usize = 5;

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(bench());
}

fn report(name: &str, mut times: Vec<Duration>) {
    times.sort();
    let median = times[times.len() / 2];
    println!(
        "{name}: median {:.0} ms, min {:.0} ms, max {:.0} ms over {} rounds",
        median.as_secs_f64() * 1e3,
        times[0].as_secs_f64() * 1e3,
        times[times.len() - 1].as_secs_f64() * 1e3,
        times.len()
    );
}

async fn bench() {
    let Some(engine) = engine_or_skip().await else {
        return;
    };
    let fx = Fixture::new(&engine);
    let image = fx.image(true).await;
    // The founding incident's check with the engine's default timings (30 s interval).
    let test = ["CMD-SHELL", "wget -q -O- http://localhost:3000/health"];
    let hc = health(&test, 30_000, 30_000, 3, 0);

    let mut one = Spec::new("one", &image, &["sleep", "600"]).health(hc.clone());
    one.number = 1;
    fx.run(one).await;
    let mut many_args = args(&fx.prefix, None, true);
    many_args.output.quiet = true;
    let mut one_args = many_args.clone();
    one_args.services = vec!["one".into()];
    let a = analysis(
        &fx.prefix,
        vec![
            (service("one", Some(&test)), kind(ServiceKind::HttpServer)),
            (service("many", Some(&test)), kind(ServiceKind::HttpServer)),
        ],
    );

    let mut times = Vec::new();
    for _ in 0..ROUNDS {
        let t = Instant::now();
        let r = live::verify(&engine, &one_args, &a).await.expect("verify");
        times.push(t.elapsed());
        assert!(
            r.findings.iter().any(|f| f.rule == "HLV01"),
            "{:#?}",
            r.findings
        );
    }
    report("verdict, 1 failing container (30 s interval)", times);

    for n in 1..=20 {
        let mut s = Spec::new("many", &image, &["sleep", "600"]).health(hc.clone());
        s.number = n;
        fx.run(s).await;
    }
    let mut many_only = many_args.clone();
    many_only.services = vec!["many".into()];
    let mut times = Vec::new();
    for _ in 0..ROUNDS {
        let t = Instant::now();
        let r = live::verify(&engine, &many_only, &a).await.expect("verify");
        times.push(t.elapsed());
        let failing = r.findings.iter().filter(|f| f.rule == "HLV01").count();
        assert_eq!(failing, 20, "{:#?}", r.findings);
    }
    report("verdict, 20 failing containers at once", times);
}
