//! `verify` against the real Docker Engine: each scenario runs containers built from the
//! static busybox, labelled as a compose project, and compares healthlint's verdict after the
//! watched cycles with the engine's own `State.Health.Status`.

mod live_support;

use std::time::{Duration, Instant};

use healthlint::infer::ServiceKind;
use healthlint::live::{self, Engine, LiveReport};
use live_support::*;
use serde_json::Value;

/// The verdict healthlint reached and the engine's status, read together at the end.
fn verdicts(o: &Value) -> (String, String) {
    let w = &o["watch"];
    (
        w["status"].as_str().unwrap_or("?").to_string(),
        w["engine_status"].as_str().unwrap_or("?").to_string(),
    )
}

fn message<'a>(r: &'a LiveReport, rule: &str) -> &'a str {
    r.findings
        .iter()
        .find(|f| f.rule == rule)
        .map(|f| f.message.as_str())
        .unwrap_or_else(|| panic!("no {rule} in {:#?}", r.findings))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthy_http_server_replicas_and_one_off() {
    let Some(engine) = engine_or_skip().await else {
        return;
    };
    let fx = Fixture::new(&engine);
    let image = fx.image(true).await;
    let test = ["CMD-SHELL", "wget -q -O- http://localhost:80/"];
    let hc = health(&test, 1000, 2000, 2, 0);
    let mut names = Vec::new();
    for n in 1..=2 {
        let mut spec =
            Spec::new("web", &image, &["httpd", "-f", "-p", "80", "-h", "/www"]).health(hc.clone());
        spec.number = n;
        let name = fx.run(spec).await;
        fx.wait_socket(&name, 80, true).await;
        names.push(name);
    }
    // `docker compose run` containers are not part of the deployment.
    let mut oneoff = Spec::new("web", &image, &["sleep", "600"]);
    oneoff.oneoff = true;
    let oneoff = fx.run(oneoff).await;

    let a = analysis(
        &fx.prefix,
        vec![(service("web", Some(&test)), kind(ServiceKind::HttpServer))],
    );
    let r = live::verify(&engine, &args(&fx.prefix, None, false), &a)
        .await
        .expect("verify");
    assert!(r.findings.is_empty(), "{:#?}", r.findings);
    let obs = r.observations.as_array().unwrap();
    assert_eq!(obs.len(), 2, "two replicas, one-off excluded: {obs:#?}");
    assert!(obs.iter().all(|o| o["container"] != oneoff.as_str()));
    for name in &names {
        let o = observation(&r.observations, name);
        assert_eq!(o["exec"]["exit_code"], 0);
        assert!(o["exec"]["stdout"].as_str().unwrap().contains("ok"));
        assert_eq!(o["check"]["argv"][0], "/bin/sh");
        assert_eq!(o["check"]["matches_model"], true);
        let ports: Vec<u64> = o["sockets"]["listen"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|l| l["port"].as_u64())
            .collect();
        assert!(ports.contains(&80), "{o:#}");
        let (ours, engine_status) = verdicts(o);
        assert_eq!(ours, "healthy");
        assert_eq!(ours, engine_status);
        assert!(o["watch"]["time_to_healthy_ms"].as_u64().is_some(), "{o:#}");
        assert_eq!(fx.health_status(name).await, "healthy");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn founding_incident_client_with_http_check() {
    let Some(engine) = engine_or_skip().await else {
        return;
    };
    let fx = Fixture::new(&engine);
    let image = fx.image(true).await;
    let net = fx.network("net").await;
    let gateway = fx
        .run(
            Spec::new(
                "gateway",
                &image,
                &["nc", "-ll", "-p", "18789", "-e", "cat"],
            )
            .network(&net),
        )
        .await;
    fx.wait_socket(&gateway, 18789, true).await;
    let test = ["CMD-SHELL", "wget -q -O- http://localhost:3000/health"];
    let bot = fx
        .run(
            Spec::new(
                "bot",
                &image,
                &["sh", "-c", "sleep 999999 | nc gateway 18789"],
            )
            .network(&net)
            .health(health(&test, 1000, 2000, 2, 0)),
        )
        .await;
    fx.wait_socket(&bot, 18789, false).await;
    let a = analysis(
        &fx.prefix,
        vec![
            (service("bot", Some(&test)), kind(ServiceKind::HttpServer)),
            (service("gateway", None), kind(ServiceKind::TcpServer)),
        ],
    );
    let r = live::verify(&engine, &args(&fx.prefix, None, false), &a)
        .await
        .expect("verify");
    let rules = rules_for(&r, "bot");
    for rule in ["HLV01", "HLV03", "HLV05", "HLV06"] {
        assert!(rules.contains(&rule), "{rule} missing: {:#?}", r.findings);
    }
    let refused = message(&r, "HLV03");
    assert!(refused.contains("port 3000"), "{refused}");
    assert!(refused.contains("listens on no port"), "{refused}");
    assert!(refused.contains(&gateway), "the peer is named: {refused}");
    assert!(refused.contains(":18789"), "{refused}");
    assert!(message(&r, "HLV05").contains("client"));
    assert!(rules_for(&r, "gateway").is_empty(), "{:#?}", r.findings);

    let o = observation(&r.observations, &bot);
    assert_eq!(o["exec"]["exit_code"], 1);
    assert!(
        o["exec"]["stderr"]
            .as_str()
            .unwrap()
            .contains("Connection refused"),
        "{o:#}"
    );
    assert_eq!(o["sockets"]["listen"].as_array().unwrap().len(), 0, "{o:#}");
    let est = &o["sockets"]["established"][0];
    assert_eq!(est["peer_port"], 18789);
    assert_eq!(o["sockets"]["role"], "client");
    assert_eq!(est["peer"], format!("gateway/{gateway}"));
    let (ours, engine_status) = verdicts(o);
    assert_eq!(ours, "unhealthy");
    assert_eq!(ours, engine_status);

    // `--service bot` looks at that service alone, and still names its peer.
    let mut only = args(&fx.prefix, None, true);
    only.services = vec!["bot".into()];
    let r = live::verify(&engine, &only, &a).await.expect("verify");
    let obs = r.observations.as_array().unwrap();
    assert_eq!(obs.len(), 1, "{obs:#?}");
    assert_eq!(obs[0]["service"], "bot");
    assert_eq!(
        obs[0]["sockets"]["established"][0]["peer"],
        format!("gateway/{gateway}")
    );
    assert!(rules_for(&r, "gateway").is_empty(), "{:#?}", r.findings);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_tool_is_hlv02() {
    let Some(engine) = engine_or_skip().await else {
        return;
    };
    let fx = Fixture::new(&engine);
    let image = fx.image(true).await;
    let test = ["CMD-SHELL", "curl -fsS http://localhost:80/"];
    let web = fx
        .run(
            Spec::new("web", &image, &["httpd", "-f", "-p", "80", "-h", "/www"])
                .health(health(&test, 1000, 2000, 2, 0)),
        )
        .await;
    let a = analysis(
        &fx.prefix,
        vec![(service("web", Some(&test)), kind(ServiceKind::HttpServer))],
    );
    let r = live::verify(&engine, &args(&fx.prefix, None, false), &a)
        .await
        .expect("verify");
    let rules = rules_for(&r, "web");
    assert!(rules.contains(&"HLV02"), "{:#?}", r.findings);
    assert!(!rules.contains(&"HLV03"), "{:#?}", r.findings);
    assert!(message(&r, "HLV02").contains("`curl`"));
    let o = observation(&r.observations, &web);
    assert_eq!(o["exec"]["exit_code"], 127);
    let (ours, engine_status) = verdicts(o);
    assert_eq!(ours, "unhealthy");
    assert_eq!(ours, engine_status);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_past_its_timeout_is_hlv04_and_bounded() {
    let Some(engine) = engine_or_skip().await else {
        return;
    };
    let fx = Fixture::new(&engine);
    let image = fx.image(true).await;
    let test = ["CMD-SHELL", "sleep 30"];
    let c = fx
        .run(Spec::new("slow", &image, &["sleep", "600"]).health(health(&test, 1000, 1000, 1, 0)))
        .await;
    let a = analysis(
        &fx.prefix,
        vec![(service("slow", Some(&test)), kind(ServiceKind::Worker))],
    );
    let began = Instant::now();
    let r = live::verify(&engine, &args(&fx.prefix, None, true), &a)
        .await
        .expect("verify");
    assert!(
        began.elapsed() < Duration::from_secs(15),
        "the 30 s check was abandoned, not awaited: {:?}",
        began.elapsed()
    );
    assert_eq!(rules_for(&r, "slow"), ["HLV04"], "{:#?}", r.findings);
    let o = observation(&r.observations, &c);
    assert_eq!(o["exec"]["timed_out"], true);
    let ms = o["exec"]["duration_ms"].as_u64().unwrap();
    let bound = (Duration::from_secs(1) + live::exec::MARGIN).as_millis() as u64;
    assert!(
        (1000..=bound).contains(&ms),
        "cut off at its 1 s timeout: {ms} ms"
    );
    assert!(
        o["watch"].is_null(),
        "--no-watch stops after the first verdict"
    );

    let r = live::verify(&engine, &args(&fx.prefix, None, false), &a)
        .await
        .expect("verify");
    let o = observation(&r.observations, &c);
    let (ours, engine_status) = verdicts(o);
    assert_eq!(ours, "unhealthy");
    assert_eq!(ours, engine_status);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alternating_check_flaps() {
    let Some(engine) = engine_or_skip().await else {
        return;
    };
    let fx = Fixture::new(&engine);
    let image = fx.image(true).await;
    let test = [
        "CMD-SHELL",
        "n=$(cat /tmp/n 2>/dev/null || echo 0); n=$((n+1)); echo $n > /tmp/n; [ $((n % 2)) -eq 0 ]",
    ];
    let c = fx
        .run(Spec::new("flappy", &image, &["sleep", "600"]).health(health(&test, 1000, 2000, 1, 0)))
        .await;
    let a = analysis(
        &fx.prefix,
        vec![(service("flappy", Some(&test)), kind(ServiceKind::Worker))],
    );
    let r = live::verify(&engine, &args(&fx.prefix, Some(5), false), &a)
        .await
        .expect("verify");
    assert!(
        rules_for(&r, "flappy").contains(&"HLV07"),
        "{:#?}",
        r.findings
    );
    let o = observation(&r.observations, &c);
    assert!(o["watch"]["cycles"].as_u64().unwrap() >= 5, "{o:#}");
    assert_eq!(o["watch"]["flapping"], true);
    let (ours, engine_status) = verdicts(o);
    assert_eq!(ours, engine_status);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exited_and_missing_containers_are_hlv08() {
    let Some(engine) = engine_or_skip().await else {
        return;
    };
    let fx = Fixture::new(&engine);
    let image = fx.image(true).await;
    let test = ["CMD", "true"];
    let c = fx
        .run(
            Spec::new("job", &image, &["sh", "-c", "exit 3"])
                .health(health(&test, 1000, 1000, 1, 0)),
        )
        .await;
    let inspect = fx
        .wait_for(&c, Duration::from_secs(10), |i| {
            i.state.as_ref().and_then(|s| s.running) == Some(false)
        })
        .await;
    let a = analysis(
        &fx.prefix,
        vec![
            (service("job", Some(&test)), kind(ServiceKind::Oneshot)),
            (service("ghost", None), kind(ServiceKind::Worker)),
        ],
    );
    let r = live::verify(&engine, &args(&fx.prefix, None, false), &a)
        .await
        .expect("verify");
    assert_eq!(rules_for(&r, "job"), ["HLV08"], "{:#?}", r.findings);
    assert_eq!(rules_for(&r, "ghost"), ["HLV08"], "{:#?}", r.findings);
    assert!(
        r.findings
            .iter()
            .any(|f| f.message.contains("exited with code 3")),
        "{:#?}",
        r.findings
    );
    let o = observation(&r.observations, &c);
    assert_eq!(o["state"], "exited");
    assert_eq!(o["exit_code"], 3);
    let engine_status = healthlint::live::watch::status_text(
        inspect
            .state
            .as_ref()
            .and_then(|s| s.health.as_ref())
            .and_then(|h| h.status.as_ref()),
    );
    assert_eq!(o["engine_status"], engine_status.as_str());
    assert!(o["exec"].is_null(), "no exec into a stopped container");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passes_only_after_start_period() {
    let Some(engine) = engine_or_skip().await else {
        return;
    };
    let fx = Fixture::new(&engine);
    let image = fx.image(true).await;
    let test = ["CMD-SHELL", "test -f /tmp/ready"];
    let c = fx
        .run(
            Spec::new(
                "slowstart",
                &image,
                &["sh", "-c", "sleep 3; touch /tmp/ready; exec sleep 600"],
            )
            .health(health(&test, 1000, 1000, 1, 8000)),
        )
        .await;
    let a = analysis(
        &fx.prefix,
        vec![(service("slowstart", Some(&test)), kind(ServiceKind::Worker))],
    );
    let r = live::verify(&engine, &args(&fx.prefix, None, false), &a)
        .await
        .expect("verify");
    assert!(rules_for(&r, "slowstart").is_empty(), "{:#?}", r.findings);
    let o = observation(&r.observations, &c);
    assert_eq!(
        o["exec"]["exit_code"], 1,
        "fails now, inside the start period"
    );
    assert_eq!(o["exec"]["in_start_period"], true);
    let (ours, engine_status) = verdicts(o);
    assert_eq!(ours, "healthy");
    assert_eq!(ours, engine_status);
    let tth = o["watch"]["time_to_healthy_ms"].as_u64().unwrap();
    assert!(tth >= 3000, "healthy only after the file appears: {tth} ms");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn image_without_tools_is_surveyed_through_host_proc() {
    let Some(engine) = engine_or_skip().await else {
        return;
    };
    if !engine.local {
        eprintln!("skipping: the engine is remote, /proc of its containers is not here");
        return;
    }
    let fx = Fixture::new(&engine);
    let image = fx.image(false).await;
    let test = [
        "CMD",
        "/busybox",
        "wget",
        "-q",
        "-O",
        "/dev/null",
        "http://127.0.0.1:8080/busybox",
    ];
    let c = fx
        .run(
            Spec::new(
                "bare",
                &image,
                &["/busybox", "httpd", "-f", "-p", "8080", "-h", "/"],
            )
            .health(health(&test, 1000, 2000, 2, 0)),
        )
        .await;
    fx.wait_socket_with(&["/busybox", "cat"], &c, 8080, true)
        .await;
    let a = analysis(
        &fx.prefix,
        vec![(service("bare", Some(&test)), kind(ServiceKind::HttpServer))],
    );
    let r = live::verify(&engine, &args(&fx.prefix, None, false), &a)
        .await
        .expect("verify");
    assert!(r.findings.is_empty(), "{:#?}", r.findings);
    let o = observation(&r.observations, &c);
    assert_eq!(o["sockets"]["source"], "host-proc", "{o:#}");
    assert_eq!(o["sockets"]["listen"][0]["port"], 8080);
    let (ours, engine_status) = verdicts(o);
    assert_eq!(ours, "healthy");
    assert_eq!(ours, engine_status);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn container_removed_during_watch_is_reported_not_awaited() {
    let Some(engine) = engine_or_skip().await else {
        return;
    };
    let fx = Fixture::new(&engine);
    let image = fx.image(true).await;
    let test = ["CMD-SHELL", "exit 1"];
    let c = fx
        .run(
            Spec::new("doomed", &image, &["sleep", "600"]).health(health(&test, 1000, 1000, 30, 0)),
        )
        .await;
    let a = analysis(
        &fx.prefix,
        vec![(service("doomed", Some(&test)), kind(ServiceKind::Worker))],
    );
    let docker = fx.docker.clone();
    let victim = c.clone();
    let remover = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(2)).await;
        docker
            .remove_container(
                &victim,
                Some(
                    bollard::query_parameters::RemoveContainerOptionsBuilder::default()
                        .force(true)
                        .build(),
                ),
            )
            .await
    });
    let began = Instant::now();
    let r = live::verify(&engine, &args(&fx.prefix, Some(20), false), &a)
        .await
        .expect("verify");
    remover.await.unwrap().expect("removed");
    assert!(
        began.elapsed() < Duration::from_secs(20),
        "{:?}",
        began.elapsed()
    );
    assert!(
        rules_for(&r, "doomed").contains(&"HLV08"),
        "{:#?}",
        r.findings
    );
    // A forced removal kills first: depending on which inspect wins the race the watch sees
    // the container exited (137), being removed, or gone. Each is reported, none is awaited.
    let o = observation(&r.observations, &c);
    let state = o["watch"]["container_state"].as_str().unwrap_or_default();
    assert!(
        ["removed", "removing", "exited", "dead"].contains(&state),
        "{o:#}"
    );
    assert!(
        r.findings.iter().any(|f| f.message.contains("removed")
            || f.message.contains("exited")
            || f.message.contains("dead")),
        "{:#?}",
        r.findings
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pinned_api_1_41_runs_a_scenario() {
    let Some(probe) = engine_or_skip().await else {
        return;
    };
    let engine = Engine::connect_to(&probe.host, Some("1.41"))
        .await
        .expect("connect with API 1.41");
    assert_eq!(engine.api_version, "1.41");
    let fx = Fixture::new(&engine);
    let image = fx.image(true).await;
    let test = ["CMD", "wget", "-q", "-O-", "http://127.0.0.1:80/nope"];
    let c = fx
        .run(
            Spec::new("web", &image, &["httpd", "-f", "-p", "80", "-h", "/www"])
                .health(health(&test, 1000, 2000, 1, 0)),
        )
        .await;
    fx.wait_socket(&c, 80, true).await;
    let a = analysis(
        &fx.prefix,
        vec![(service("web", Some(&test)), kind(ServiceKind::HttpServer))],
    );
    let r = live::verify(&engine, &args(&fx.prefix, None, false), &a)
        .await
        .expect("verify");
    let msg = message(&r, "HLV01");
    assert!(msg.contains("HTTP 404"), "{msg}");
    let o = observation(&r.observations, &c);
    assert_eq!(
        o["check"]["shell"],
        Value::Null,
        "exec form runs without a shell"
    );
    let (ours, engine_status) = verdicts(o);
    assert_eq!(ours, "unhealthy");
    assert_eq!(ours, engine_status);
}

/// `run` reads DOCKER_HOST; the variable is set for a child copy of this test binary only, so
/// parallel tests never see it.
#[test]
fn unreachable_engine_is_an_error_with_exit_2() {
    if std::env::var("HL_LIVE_CHILD").is_ok() {
        let a = analysis("nothing", vec![]);
        let err = live::run(&args("nothing", None, true), &a).expect_err("no engine there");
        assert_eq!(err.exit_code(), 2);
        let text = err.to_string();
        assert!(text.contains("/nonexistent"), "{text}");
        assert!(text.contains("cannot reach the Docker engine"), "{text}");
        return;
    }
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "unreachable_engine_is_an_error_with_exit_2",
            "--exact",
            "--nocapture",
        ])
        .env("HL_LIVE_CHILD", "1")
        .env("DOCKER_HOST", "unix:///nonexistent/docker.sock")
        .output()
        .expect("run child");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("1 passed"), "{stdout}");
}

#[tokio::test]
async fn bad_timeout_and_unknown_service_are_input_errors() {
    let Some(engine) = engine_or_skip().await else {
        return;
    };
    let a = analysis(
        "hl-none",
        vec![(service("web", None), kind(ServiceKind::Unknown))],
    );
    let mut bad = args("hl-none", None, true);
    bad.timeout = Some("soon".into());
    let e = live::verify(&engine, &bad, &a).await.unwrap_err();
    assert!(e.to_string().contains("--timeout"), "{e}");
    assert_eq!(e.exit_code(), 2);
    let mut unknown = args("hl-none", None, true);
    unknown.services = vec!["db".into()];
    let e = live::verify(&engine, &unknown, &a).await.unwrap_err();
    assert!(e.to_string().contains("`db`"), "{e}");
}

/// Forwards a loopback TCP port to the local engine socket, so the `tcp://` transport is
/// exercised against the real engine. Threads end with the test process.
fn tcp_to_unix_proxy(socket: &str) -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().unwrap().port();
    let socket = socket.to_string();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(tcp) = conn else { continue };
            let Ok(unix) = std::os::unix::net::UnixStream::connect(&socket) else {
                continue;
            };
            let (mut t1, mut u1) = (tcp.try_clone().unwrap(), unix.try_clone().unwrap());
            let (mut t2, mut u2) = (tcp, unix);
            std::thread::spawn(move || {
                let _ = std::io::copy(&mut t1, &mut u1);
                let _ = u1.shutdown(std::net::Shutdown::Write);
            });
            std::thread::spawn(move || {
                let _ = std::io::copy(&mut u2, &mut t2);
                let _ = t2.shutdown(std::net::Shutdown::Write);
            });
        }
    });
    port
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tcp_docker_host_reaches_the_same_engine() {
    let Some(local) = engine_or_skip().await else {
        return;
    };
    let Some(socket) = local.host.strip_prefix("unix://") else {
        eprintln!("skipping: the engine is not on a unix socket here");
        return;
    };
    let port = tcp_to_unix_proxy(socket);
    let engine = Engine::connect_to(&format!("tcp://127.0.0.1:{port}"), None)
        .await
        .expect("connect over tcp://");
    assert_eq!(
        engine.api_version, local.api_version,
        "negotiated the same way"
    );
    let fx = Fixture::new(&engine);
    let image = fx.image(true).await;
    let test = ["CMD-SHELL", "wget -q -O- http://localhost:80/"];
    let c = fx
        .run(
            Spec::new("web", &image, &["httpd", "-f", "-p", "80", "-h", "/www"])
                .health(health(&test, 1000, 2000, 2, 0)),
        )
        .await;
    fx.wait_socket(&c, 80, true).await;
    let a = analysis(
        &fx.prefix,
        vec![(service("web", Some(&test)), kind(ServiceKind::HttpServer))],
    );
    let r = live::verify(&engine, &args(&fx.prefix, None, false), &a)
        .await
        .expect("verify");
    assert!(r.findings.is_empty(), "{:#?}", r.findings);
    let (ours, engine_status) = verdicts(observation(&r.observations, &c));
    assert_eq!(ours, "healthy");
    assert_eq!(ours, engine_status);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn container_exiting_during_watch_is_hlv08() {
    let Some(engine) = engine_or_skip().await else {
        return;
    };
    let fx = Fixture::new(&engine);
    let image = fx.image(true).await;
    let test = ["CMD-SHELL", "true"];
    let c = fx
        .run(
            Spec::new("crashy", &image, &["sh", "-c", "sleep 3; exit 4"])
                .health(health(&test, 1000, 1000, 3, 0)),
        )
        .await;
    let a = analysis(
        &fx.prefix,
        vec![(service("crashy", Some(&test)), kind(ServiceKind::Worker))],
    );
    let began = Instant::now();
    let r = live::verify(&engine, &args(&fx.prefix, Some(30), false), &a)
        .await
        .expect("verify");
    assert!(
        began.elapsed() < Duration::from_secs(20),
        "{:?}",
        began.elapsed()
    );
    let msg = message(&r, "HLV08");
    assert!(msg.contains("exited with code 4 during the watch"), "{msg}");
    assert_eq!(rules_for(&r, "crashy"), ["HLV08"], "{:#?}", r.findings);
    let o = observation(&r.observations, &c);
    assert_eq!(
        o["exec"]["exit_code"], 0,
        "the check itself passed at first"
    );
    assert_eq!(o["watch"]["container_state"], "exited");
    assert_eq!(
        o["watch"]["engine_status"],
        fx.health_status(&c).await.as_str()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dns_failure_is_diagnosed() {
    let Some(engine) = engine_or_skip().await else {
        return;
    };
    let fx = Fixture::new(&engine);
    let image = fx.image(true).await;
    let test = ["CMD-SHELL", "wget -q -O- http://no-such-peer-hl:8080/"];
    let c = fx
        .run(Spec::new("client", &image, &["sleep", "600"]).health(health(&test, 1000, 5000, 2, 0)))
        .await;
    let a = analysis(
        &fx.prefix,
        vec![(service("client", Some(&test)), kind(ServiceKind::Worker))],
    );
    let r = live::verify(&engine, &args(&fx.prefix, None, true), &a)
        .await
        .expect("verify");
    let msg = message(&r, "HLV01");
    assert!(
        msg.contains("DNS lookup of `no-such-peer-hl` failed"),
        "{msg}"
    );
    assert_eq!(rules_for(&r, "client"), ["HLV01"], "{:#?}", r.findings);
    assert!(observation(&r.observations, &c)["watch"].is_null());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paused_container_is_hlv08_without_an_exec() {
    let Some(engine) = engine_or_skip().await else {
        return;
    };
    let fx = Fixture::new(&engine);
    let image = fx.image(true).await;
    let test = ["CMD-SHELL", "true"];
    let c = fx
        .run(Spec::new("frozen", &image, &["sleep", "600"]).health(health(&test, 1000, 1000, 3, 0)))
        .await;
    fx.docker.pause_container(&c).await.expect("pause");
    let a = analysis(
        &fx.prefix,
        vec![(service("frozen", Some(&test)), kind(ServiceKind::Worker))],
    );
    let r = live::verify(&engine, &args(&fx.prefix, None, false), &a).await;
    let _ = fx.docker.unpause_container(&c).await;
    let r = r.expect("verify");
    assert_eq!(rules_for(&r, "frozen"), ["HLV08"], "{:#?}", r.findings);
    assert!(message(&r, "HLV08").contains("paused"));
    let o = observation(&r.observations, &c);
    assert_eq!(o["state"], "paused");
    assert!(o["exec"].is_null());
}

/// Runs `docker-compose down` for a real compose project, even when the test panics.
struct ComposeDown {
    dir: std::path::PathBuf,
    project: String,
}

impl Drop for ComposeDown {
    fn drop(&mut self) {
        let _ = std::process::Command::new("docker-compose")
            .args([
                "-p",
                &self.project,
                "down",
                "-t",
                "0",
                "-v",
                "--remove-orphans",
            ])
            .current_dir(&self.dir)
            .output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn project_started_by_docker_compose_is_found_by_its_labels() {
    let Some(engine) = engine_or_skip().await else {
        return;
    };
    let has_compose = std::process::Command::new("docker-compose")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_compose {
        eprintln!("skipping: docker-compose is not installed");
        return;
    }
    // The image comes from the fixture so compose only has to create containers. Declared
    // first, so it is dropped last: compose removes its containers before the image goes.
    let fx = Fixture::new(&engine);
    let image = fx.image(true).await;
    let project = format!("{}-compose", fx.prefix);
    let dir = std::env::temp_dir().join(&project);
    std::fs::create_dir_all(&dir).unwrap();
    let _down = ComposeDown {
        dir: dir.clone(),
        project: project.clone(),
    };
    let test = ["CMD-SHELL", "wget -q -O- http://localhost:80/"];
    std::fs::write(
        dir.join("docker-compose.yml"),
        format!(
            "services:\n  web:\n    image: {image}\n    command: [\"httpd\", \"-f\", \"-p\", \"80\", \"-h\", \"/www\"]\n    healthcheck:\n      test: [\"CMD-SHELL\", \"wget -q -O- http://localhost:80/\"]\n      interval: 1s\n      timeout: 2s\n      retries: 2\n  bot:\n    image: {image}\n    command: [\"sleep\", \"600\"]\n    depends_on: [web]\n    healthcheck:\n      test: [\"CMD\", \"curl\", \"-f\", \"http://localhost:3000/\"]\n      interval: 1s\n      timeout: 2s\n      retries: 2\n"
        ),
    )
    .unwrap();
    let up = std::process::Command::new("docker-compose")
        .args(["-p", &project, "up", "-d"])
        .current_dir(&dir)
        .output()
        .expect("docker-compose up");
    assert!(
        up.status.success(),
        "docker-compose up failed: {}",
        String::from_utf8_lossy(&up.stderr)
    );
    let a = analysis(
        &project,
        vec![
            (service("web", Some(&test)), kind(ServiceKind::HttpServer)),
            (
                service(
                    "bot",
                    Some(&["CMD", "curl", "-f", "http://localhost:3000/"]),
                ),
                kind(ServiceKind::WsClient),
            ),
        ],
    );
    let r = live::verify(&engine, &args(&project, None, false), &a)
        .await
        .expect("verify");
    let obs = r.observations.as_array().unwrap();
    assert_eq!(obs.len(), 2, "{obs:#?}");
    let web = obs.iter().find(|o| o["service"] == "web").unwrap();
    let bot = obs.iter().find(|o| o["service"] == "bot").unwrap();
    assert_eq!(web["watch"]["status"], "healthy", "{web:#}");
    assert_eq!(web["watch"]["status"], web["watch"]["engine_status"]);
    assert!(rules_for(&r, "web").is_empty(), "{:#?}", r.findings);
    // Exec form: the OCI runtime cannot find `curl` at all.
    assert!(rules_for(&r, "bot").contains(&"HLV02"), "{:#?}", r.findings);
    assert_eq!(bot["watch"]["status"], "unhealthy", "{bot:#}");
    assert_eq!(bot["watch"]["status"], bot["watch"]["engine_status"]);

    // The command line does the same from the compose file: load, lint, verify, one report.
    let cli = std::process::Command::new(env!("CARGO_BIN_EXE_healthlint"))
        .args(["verify", "--format", "json", "--no-watch", "-p", &project])
        .arg(dir.join("docker-compose.yml"))
        .output()
        .expect("healthlint verify");
    let stdout = String::from_utf8_lossy(&cli.stdout);
    assert_eq!(
        cli.status.code(),
        Some(1),
        "{stdout}\n{}",
        String::from_utf8_lossy(&cli.stderr)
    );
    let report: serde_json::Value = serde_json::from_str(&stdout).expect("one JSON document");
    let rules: Vec<(&str, &str)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["service"].as_str().unwrap_or(""),
                f["rule"].as_str().unwrap(),
            )
        })
        .collect();
    assert!(rules.contains(&("bot", "HLV02")), "{rules:?}");
    assert!(
        !rules
            .iter()
            .any(|(s, r)| *s == "web" && r.starts_with("HLV")),
        "{rules:?}"
    );
    assert!(
        report["live"].is_array() || report["live"].is_object(),
        "{report:#}"
    );
}

/// `run` is what the command line calls from synchronous code: it brings its own runtime.
#[test]
fn run_builds_its_own_runtime() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let Some(engine) = rt.block_on(engine_or_skip()) else {
        return;
    };
    let fx = Fixture::new(&engine);
    let image = rt.block_on(fx.image(true));
    let test = ["CMD", "true"];
    let c = rt.block_on(
        fx.run(Spec::new("job", &image, &["sleep", "600"]).health(health(&test, 1000, 1000, 1, 0))),
    );
    let a = analysis(
        &fx.prefix,
        vec![(service("job", Some(&test)), kind(ServiceKind::Worker))],
    );
    let r = live::run(&args(&fx.prefix, None, true), &a).expect("run");
    assert!(r.findings.is_empty(), "{:#?}", r.findings);
    let o = observation(&r.observations, &c);
    assert_eq!(o["exec"]["exit_code"], 0);
    assert_eq!(o["check"]["argv"][0], "true");
}

/// A socket the user may not open gives its own error, not a transport failure. Only
/// provable as root (the child drops to `nobody`) with a socket closed to others.
#[test]
fn socket_without_permission_is_a_clear_error() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    use std::os::unix::process::CommandExt;
    const SOCKET: &str = "/var/run/docker.sock";
    if std::env::var("HL_LIVE_PERM_CHILD").is_ok() {
        let rt = tokio::runtime::Runtime::new().expect("runtime");
        let err = rt
            .block_on(Engine::connect_to(&format!("unix://{SOCKET}"), None))
            .expect_err("nobody may not open the socket");
        assert!(
            matches!(err, live::LiveError::PermissionDenied { .. }),
            "{err:?}"
        );
        assert_eq!(err.exit_code(), 2);
        assert!(err.to_string().contains(SOCKET), "{err}");
        return;
    }
    let me = std::fs::metadata("/proc/self")
        .map(|m| m.uid())
        .unwrap_or(u32::MAX);
    let Ok(sock) = std::fs::metadata(SOCKET) else {
        eprintln!("skipping: no {SOCKET}");
        return;
    };
    if me != 0 || sock.permissions().mode() & 0o006 != 0 {
        eprintln!("skipping: needs root and a socket closed to other users");
        return;
    }
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "socket_without_permission_is_a_clear_error",
            "--exact",
            "--nocapture",
        ])
        .env("HL_LIVE_PERM_CHILD", "1")
        .env_remove("DOCKER_HOST")
        .uid(65534)
        .gid(65534)
        .output()
        .expect("run child as nobody");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("1 passed"), "{stdout}");
}
