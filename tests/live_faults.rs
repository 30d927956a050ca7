//! `verify` at scale and as a guest: fifty containers checked at once, and a run that leaves
//! every container as it found it (state, config, filesystem).

mod live_support;

use std::time::{Duration, Instant};

use healthlint::infer::ServiceKind;
use healthlint::live;
use live_support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_containers_at_once() {
    let Some(engine) = engine_or_skip().await else {
        return;
    };
    let fx = Fixture::new(&engine);
    let image = fx.image(true).await;
    let test = ["CMD-SHELL", "test -d /tmp"];
    let mut names = Vec::new();
    for n in 1..=50 {
        let mut spec = Spec::new("fleet", &image, &["sleep", "600"])
            .health(health(&test, 30_000, 15_000, 3, 0));
        spec.number = n;
        names.push(fx.run(spec).await);
    }
    let a = analysis(
        &fx.prefix,
        vec![(service("fleet", Some(&test)), kind(ServiceKind::Worker))],
    );
    let began = Instant::now();
    let r = live::verify(&engine, &args(&fx.prefix, None, true), &a)
        .await
        .expect("verify");
    let took = began.elapsed();
    assert!(r.findings.is_empty(), "{:#?}", r.findings);
    for name in &names {
        let o = observation(&r.observations, name);
        assert_eq!(o["exec"]["exit_code"], 0, "{o:#}");
    }
    // Every check answered, none waited for another's timeout: bounded well below fifty
    // sequential timeouts even on a loaded two-core machine.
    assert!(took < Duration::from_secs(60), "fifty checks took {took:?}");
}

/// What a verify run must not change: the container's identity, process, restart count,
/// configuration and filesystem.
async fn snapshot(
    fx: &Fixture,
    name: &str,
) -> (String, String, i64, i64, serde_json::Value, Vec<String>) {
    let i = fx
        .docker
        .inspect_container(name, None)
        .await
        .expect("inspect");
    let state = i.state.clone().unwrap_or_default();
    let changes = fx
        .docker
        .container_changes(name)
        .await
        .expect("changes")
        .unwrap_or_default();
    let mut changes: Vec<String> = changes.into_iter().map(|c| c.path).collect();
    changes.sort();
    (
        i.id.unwrap_or_default(),
        state.started_at.unwrap_or_default(),
        state.pid.unwrap_or_default(),
        i.restart_count.unwrap_or_default(),
        serde_json::to_value(&i.config).unwrap(),
        changes,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_leaves_containers_as_it_found_them() {
    let Some(engine) = engine_or_skip().await else {
        return;
    };
    let fx = Fixture::new(&engine);
    let image = fx.image(true).await;
    // A check that reads the filesystem and the network namespace, as real checks do.
    let test = [
        "CMD-SHELL",
        "cat /www/index.html >/dev/null && wget -q -O /dev/null http://127.0.0.1:80/",
    ];
    let c = fx
        .run(
            Spec::new("web", &image, &["httpd", "-f", "-p", "80", "-h", "/www"])
                .health(health(&test, 1_000, 10_000, 2, 0)),
        )
        .await;
    fx.wait_socket(&c, 80, true).await;
    let before = snapshot(&fx, &c).await;
    let a = analysis(
        &fx.prefix,
        vec![(service("web", Some(&test)), kind(ServiceKind::HttpServer))],
    );
    let r = live::verify(&engine, &args(&fx.prefix, Some(2), false), &a)
        .await
        .expect("verify");
    assert!(r.findings.is_empty(), "{:#?}", r.findings);
    let after = snapshot(&fx, &c).await;
    assert_eq!(before, after, "verify changed the container");
}
