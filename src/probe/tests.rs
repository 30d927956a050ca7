use super::*;
use crate::span::{Span, Spanned};

fn sh(script: &str) -> Probe {
    analyze_shell(script, None)
}

fn exec(argv: &[&str]) -> Probe {
    let argv: Vec<String> = argv.iter().map(|a| (*a).to_owned()).collect();
    analyze_exec(&argv)
}

fn step(p: &Probe, kind: ProbeKind) -> &ProbeStep {
    p.steps
        .iter()
        .find(|s| s.kind == kind)
        .unwrap_or_else(|| panic!("no {kind:?} step in {p:#?}"))
}

fn only(p: &Probe) -> &ProbeStep {
    assert_eq!(p.steps.len(), 1, "expected one step: {p:#?}");
    &p.steps[0]
}

fn target(p: &Probe) -> &Target {
    only(p).target.as_ref().expect("a target")
}

fn hp(t: &Target) -> (&str, Option<u16>) {
    (t.host.as_str(), t.port)
}

fn slice(text: &str, r: (usize, usize)) -> &str {
    &text[r.0..r.1]
}

// --- the founding incident -------------------------------------------------------------------

#[test]
fn incident_http_check_on_localhost_3000() {
    let script = "curl -f http://localhost:3000/health";
    let p = sh(script);
    assert_eq!(p.kind, ProbeKind::Http);
    assert!(p.shell);
    assert_eq!(p.script.as_deref(), Some(script));
    let s = only(&p);
    assert_eq!(s.tool, "curl");
    assert_eq!(s.fails_on_http_error, Some(true));
    let t = s.target.as_ref().unwrap();
    assert_eq!(hp(t), ("localhost", Some(3000)));
    assert_eq!(t.scheme.as_deref(), Some("http"));
    assert_eq!(t.path.as_deref(), Some("/health"));
    assert!(t.is_local());
    assert_eq!(slice(script, s.range), script);
    assert!(p.can_fail);
}

#[test]
fn incident_fixed_check_finds_its_own_shell() {
    let script = "pgrep -f 'node.*bot.js' && netstat -tn | grep -q ':18789.*ESTABLISHED'";
    let p = sh(script);
    assert_eq!(p.kind, ProbeKind::PeerConnection);
    let pgrep = step(&p, ProbeKind::Process);
    assert_eq!(pgrep.pattern.as_deref(), Some("node.*bot.js"));
    assert!(pgrep.full_command_line);
    assert!(pgrep.matches_own_shell);
    assert_eq!(slice(script, pgrep.range), "pgrep -f 'node.*bot.js'");
    assert_eq!(slice(script, pgrep.arg_ranges[2]), "'node.*bot.js'");
    let netstat = step(&p, ProbeKind::PeerConnection);
    assert_eq!(netstat.pattern.as_deref(), Some(":18789.*ESTABLISHED"));
    assert_eq!(slice(script, netstat.range), "netstat -tn");
    assert_eq!(p.programs, ["pgrep", "netstat", "grep"]);
    assert!(pattern_matches_own_shell("node.*bot.js", script));
}

#[test]
fn own_shell_match_needs_the_text() {
    let script = "pgrep -f '[n]ode.*bot.js' && true";
    assert!(!pattern_matches_own_shell("[n]ode.*bot.js", script));
    let p = sh(script);
    assert!(!step(&p, ProbeKind::Process).matches_own_shell);
    // Anchored patterns still see the shell's own command line.
    assert!(pattern_matches_own_shell("^/bin/sh", "pgrep -f x"));
    assert!(!pattern_matches_own_shell("^node", "pgrep -f node"));
}

#[test]
fn pgrep_as_last_command_is_execed_by_the_shell() {
    // dash, bash and busybox sh exec the final simple command: no shell left to match.
    let p = sh("pgrep -f 'node server.js'");
    assert!(!only(&p).matches_own_shell);
    let p = sh("netstat -tn | grep -q ESTABLISHED && pgrep -f 'node'");
    assert!(!step(&p, ProbeKind::Process).matches_own_shell);
    // Not last: the shell waits for it and is there to be found.
    let p = sh("pgrep -f node || exit 1");
    assert!(step(&p, ProbeKind::Process).matches_own_shell);
}

#[test]
fn pgrep_without_a_shell_or_without_f() {
    let p = exec(&["pgrep", "-f", "node"]);
    assert!(!only(&p).matches_own_shell);
    assert!(!p.shell);
    // Without -f pgrep sees process names only: the shell is `sh`.
    let p = sh("pgrep node && true");
    let s = step(&p, ProbeKind::Process);
    assert!(!s.full_command_line);
    assert!(!s.matches_own_shell);
    let p = sh("pgrep -x sh && true");
    assert!(step(&p, ProbeKind::Process).matches_own_shell);
    // The exec-form wrapper's own command line holds the pattern.
    let p = exec(&["sh", "-c", "pgrep -f worker.py && echo ok"]);
    assert!(step(&p, ProbeKind::Process).matches_own_shell);
}

#[test]
fn ps_grep_finds_grep_itself() {
    let p = sh("ps aux | grep node");
    let s = only(&p);
    assert_eq!(s.kind, ProbeKind::Process);
    assert_eq!(s.pattern.as_deref(), Some("node"));
    assert!(s.full_command_line);
    assert!(s.matches_own_shell);
    let p = sh("ps aux | grep node | grep -v grep");
    assert!(!only(&p).matches_own_shell);
    let p = sh("ps aux | grep '[n]ode'");
    assert!(!only(&p).matches_own_shell);
    let p = exec(&["sh", "-c", "ps -ef | grep -q celery"]);
    assert!(only(&p).matches_own_shell);
}

// --- exec form ---------------------------------------------------------------------------------

#[test]
fn exec_form_runs_without_shell() {
    let p = exec(&["curl", "-f", "http://localhost:3000"]);
    assert!(!p.shell);
    assert_eq!(p.script, None);
    assert_eq!(p.programs, ["curl"]);
    assert!(p.exec_shell_syntax.is_empty());
    let s = only(&p);
    assert_eq!(s.range, (0, "curl -f http://localhost:3000".len()));
    assert_eq!(
        slice("curl -f http://localhost:3000", s.arg_ranges[2]),
        "http://localhost:3000"
    );
}

#[test]
fn exec_form_shell_syntax() {
    let p = exec(&["curl", "-f", "http://x", "||", "exit", "1"]);
    assert_eq!(p.exec_shell_syntax, vec![(3, "||".to_owned())]);
    // curl gets `||`, `exit` and `1` as more URLs; it is still the one command run.
    assert_eq!(p.programs, ["curl"]);

    let p = exec(&["redis-cli", "-a", "$REDIS_PASSWORD", "ping"]);
    assert_eq!(p.exec_shell_syntax, vec![(2, "$REDIS_PASSWORD".to_owned())]);

    let p = exec(&[
        "curl",
        "-s",
        "http://x",
        ">",
        "/dev/null",
        "&&",
        "echo",
        "ok",
    ]);
    assert_eq!(
        p.exec_shell_syntax,
        vec![(3, ">".to_owned()), (5, "&&".to_owned())]
    );

    let p = exec(&["cat", "$(ls /tmp)", "|", "wc", "`x`", "a;", "${PORT:-80}"]);
    assert_eq!(
        p.exec_shell_syntax,
        vec![
            (1, "$(".to_owned()),
            (2, "|".to_owned()),
            (4, "`".to_owned()),
            (5, ";".to_owned()),
            (6, "${PORT:-80}".to_owned()),
        ]
    );

    // Scripts and code handed to another interpreter are theirs to read.
    assert!(
        exec(&["sh", "-c", "curl -f x || exit 1"])
            .exec_shell_syntax
            .is_empty()
    );
    assert!(
        exec(&["node", "-e", "a || b; $x"])
            .exec_shell_syntax
            .is_empty()
    );
}

#[test]
fn exec_form_whole_command_line_in_one_element() {
    let p = exec(&["curl -f http://localhost:8080/health"]);
    assert_eq!(
        p.exec_shell_syntax,
        vec![(0, WHOLE_COMMAND_LINE.to_owned())]
    );
    // No program has that name: the check always fails, but what was meant is still read.
    assert!(p.can_fail);
    assert!(!p.shell);
    assert_eq!(p.kind, ProbeKind::Http);
    assert_eq!(hp(target(&p)), ("localhost", Some(8080)));
}

#[test]
fn exec_form_shell_wrappers() {
    let argv = ["sh", "-c", "curl -f http://localhost:8080/ || exit 1"];
    let p = exec(&argv);
    assert!(p.shell);
    assert_eq!(p.script.as_deref(), Some(argv[2]));
    assert_eq!(p.programs, ["sh", "curl"]);
    let joined = argv.join(" ");
    let s = only(&p);
    assert_eq!(slice(&joined, s.range), "curl -f http://localhost:8080/");
    assert_eq!(s.fails_on_http_error, Some(true));

    let p = exec(&["/bin/bash", "-c", "echo > /dev/tcp/localhost/${ENVOY_PORT}"]);
    assert_eq!(p.kind, ProbeKind::Tcp);
    assert_eq!(target(&p).port_text.as_deref(), Some("${ENVOY_PORT}"));

    let p = exec(&["bash", "-o", "pipefail", "-c", "curl -sf http://x | cat"]);
    assert!(p.can_fail, "pipefail given to the wrapper");
}

#[test]
fn analyze_reads_the_model() {
    let cmd = HealthTest {
        form: TestForm::Cmd(
            ["pg_isready", "-U", "postgres"]
                .iter()
                .map(|a| Spanned::new((*a).to_owned(), Span::default()))
                .collect(),
        ),
        span: Span::default(),
        from_string: false,
        ..Default::default()
    };
    let p = analyze(&cmd, None);
    assert_eq!(p.kind, ProbeKind::DbNative);
    assert!(!p.shell);

    let shell_test = HealthTest {
        form: TestForm::CmdShell(Spanned::new(
            "pgrep -f 'x y' && true".to_owned(),
            Span::default(),
        )),
        span: Span::default(),
        from_string: true,
        ..Default::default()
    };
    let bash = ["/bin/bash".to_owned(), "-c".to_owned()];
    let p = analyze(&shell_test, Some(&bash));
    assert!(p.shell);
    assert!(step(&p, ProbeKind::Process).matches_own_shell);

    let none = HealthTest {
        form: TestForm::None,
        span: Span::default(),
        from_string: false,
        ..Default::default()
    };
    assert_eq!(analyze(&none, None).kind, ProbeKind::None);
}

#[test]
fn non_posix_shell_is_not_read() {
    let ps = ["powershell".to_owned(), "-Command".to_owned()];
    let p = analyze_shell("try { exit 0 } catch { exit 1 }", Some(&ps));
    assert_eq!(p.kind, ProbeKind::Script);
    assert!(p.can_fail);
    assert!(p.steps.is_empty());
}

// --- http ----------------------------------------------------------------------------------------

#[test]
fn curl_fail_flags() {
    for (script, fails) in [
        ("curl -f http://x", true),
        ("curl --fail http://x", true),
        ("curl --fail-with-body http://x", true),
        ("curl -fsS http://x", true),
        ("curl -sf http://x", true),
        ("curl -sSfL -o /dev/null http://x", true),
        ("curl -s http://x", false),
        ("curl http://x", false),
        ("curl -s -o /dev/null -w '%{http_code}' http://x", false),
        ("curl -H 'X-Check: -f' http://x", false),
        ("curl -sofile http://x", false),
    ] {
        let p = sh(script);
        assert_eq!(only(&p).fails_on_http_error, Some(fails), "{script}");
        assert_eq!(hp(target(&p)), ("x", None), "{script}");
    }
}

#[test]
fn curl_targets() {
    let p = sh("curl --silent --fail localhost:80/health-check || exit 1");
    assert_eq!(hp(target(&p)), ("localhost", Some(80)));
    assert_eq!(target(&p).scheme.as_deref(), Some("http"));
    let p = sh("curl -ks ${BASE_URL:-https://localhost}/users/heartbeat > /dev/null || exit 1");
    assert_eq!(target(&p).scheme.as_deref(), Some("https"));
    assert_eq!(target(&p).effective_port(), Some(443));
    let p = sh("curl -X GET --max-time 5 -H 'Accept: */*' http://127.0.0.1:8080/healthz");
    assert_eq!(hp(target(&p)), ("127.0.0.1", Some(8080)));
    let p = sh("curl -fsS http://[::1]:9000/ready");
    assert_eq!(hp(target(&p)), ("[::1]", Some(9000)));
    assert!(target(&p).is_ipv6_literal());
    let p = sh("timeout 5 curl -f http://localhost:${PORT}/health");
    assert_eq!(only(&p).tool, "curl");
    assert_eq!(target(&p).port, None);
    assert_eq!(target(&p).port_text.as_deref(), Some("${PORT}"));
    assert_eq!(p.variables, ["PORT"]);
}

#[test]
fn wget_fails_on_http_errors() {
    let p = sh("wget -q --spider http://localhost:8080/");
    assert_eq!(only(&p).kind, ProbeKind::Http);
    assert_eq!(only(&p).fails_on_http_error, Some(true));
    assert_eq!(hp(target(&p)), ("localhost", Some(8080)));
    let p = exec(&["wget", "-qO-", "http://127.0.0.1:9001/health"]);
    assert_eq!(hp(target(&p)), ("127.0.0.1", Some(9001)));
    let p = sh("wget --no-verbose --tries=1 --spider http://localhost:13133/status || exit 1");
    assert_eq!(hp(target(&p)), ("localhost", Some(13133)));
    let p = sh("busybox wget -q -O /dev/null http://web:3000");
    assert_eq!(only(&p).tool, "wget");
    assert_eq!(hp(target(&p)), ("web", Some(3000)));
    assert!(!target(&p).is_local());
}

#[test]
fn node_one_liners() {
    let p = exec(&[
        "node",
        "-e",
        "require('http').get('http://localhost:3000/health', r => process.exit(r.statusCode === 200 ? 0 : 1)).on('error', () => process.exit(1))",
    ]);
    assert_eq!(only(&p).kind, ProbeKind::Http);
    assert_eq!(only(&p).fails_on_http_error, Some(true));
    assert_eq!(hp(target(&p)), ("localhost", Some(3000)));

    let p = sh(r#"node -e "require('http').get('http://localhost:3000/')""#);
    assert_eq!(only(&p).fails_on_http_error, Some(false));

    let p = sh(
        r#"node -e "fetch('http://127.0.0.1:8080/health').then(r => process.exit(r.ok ? 0 : 1))""#,
    );
    assert_eq!(only(&p).fails_on_http_error, Some(true));
    assert_eq!(hp(target(&p)), ("127.0.0.1", Some(8080)));

    let p = sh(
        r#"node -e "require('http').get({host:'localhost',port:4000,path:'/h'}, r => process.exit(r.statusCode == 200 ? 0 : 1))""#,
    );
    assert_eq!(hp(target(&p)), ("localhost", Some(4000)));
    assert_eq!(target(&p).path.as_deref(), Some("/h"));

    let p = exec(&[
        "/nodejs/bin/node",
        "-e",
        "require('net').connect(8080,require('os').hostname(),function(){process.exit(0)}).on('error',function(){process.exit(1)})",
    ]);
    assert_eq!(only(&p).kind, ProbeKind::Tcp);
    assert_eq!(hp(target(&p)), ("$(hostname)", Some(8080)));
    assert!(target(&p).is_local());

    // A script file: nothing to read.
    assert_eq!(
        only(&exec(&["node", "/app/healthcheck.js"])).kind,
        ProbeKind::Script
    );
}

#[test]
fn python_ruby_php_one_liners() {
    let p = exec(&[
        "python3",
        "-c",
        "import urllib.request; urllib.request.urlopen('http://localhost:8000')",
    ]);
    assert_eq!(only(&p).kind, ProbeKind::Http);
    // urlopen raises on a status >= 400.
    assert_eq!(only(&p).fails_on_http_error, Some(true));
    assert_eq!(hp(target(&p)), ("localhost", Some(8000)));

    let p = sh(r#"python -c "import requests; requests.get('http://localhost:5000/health')""#);
    assert_eq!(only(&p).fails_on_http_error, Some(false));
    let p = sh(
        r#"python -c "import requests,sys; sys.exit(0 if requests.get('http://localhost:5000/health').status_code == 200 else 1)""#,
    );
    assert_eq!(only(&p).fails_on_http_error, Some(true));

    let p = sh(r#"python3 -c "import socket; socket.create_connection(('localhost', 6379), 2)""#);
    assert_eq!(only(&p).kind, ProbeKind::Tcp);
    assert_eq!(hp(target(&p)), ("localhost", Some(6379)));

    let p = exec(&[
        "ruby",
        "-e",
        "require 'socket'; TCPSocket.new('localhost', 25).close",
    ]);
    assert_eq!(only(&p).kind, ProbeKind::Tcp);
    assert_eq!(hp(target(&p)), ("localhost", Some(25)));

    let p = sh(
        r#"php -r "exit(json_decode(file_get_contents('http://localhost/v1/health'))->status === 'ok' ? 0 : 1);""#,
    );
    assert_eq!(only(&p).kind, ProbeKind::Http);
    assert_eq!(only(&p).fails_on_http_error, Some(true));
    assert_eq!(target(&p).effective_port(), Some(80));

    let p = exec(&["php", "-r", "fsockopen('localhost', 9000) or die('fail');"]);
    assert_eq!(only(&p).kind, ProbeKind::Tcp);
    assert_eq!(hp(target(&p)), ("localhost", Some(9000)));
}

#[test]
fn httpie_and_custom_binaries() {
    let p = sh("http --check-status --timeout 2 :8080/health");
    assert_eq!(only(&p).fails_on_http_error, Some(true));
    assert_eq!(hp(target(&p)), ("localhost", Some(8080)));
    let p = sh("http GET localhost:8080/health");
    assert_eq!(only(&p).fails_on_http_error, Some(false));
    assert_eq!(target(&p).path.as_deref(), Some("/health"));

    let p = exec(&["/app/healthcheck", "--url=http://localhost:8080/health"]);
    assert_eq!(only(&p).kind, ProbeKind::Http);
    assert_eq!(only(&p).fails_on_http_error, None);
    assert_eq!(hp(target(&p)), ("localhost", Some(8080)));
}

// --- ws, tcp, grpc ---------------------------------------------------------------------------------

#[test]
fn websocket_tools() {
    let p = sh("websocat -q -1 ws://localhost:8080/ws");
    assert_eq!(only(&p).kind, ProbeKind::Ws);
    assert_eq!(hp(target(&p)), ("localhost", Some(8080)));
    let p = sh("wscat -c wss://chat.local/socket -x ping");
    assert_eq!(only(&p).kind, ProbeKind::Ws);
    assert_eq!(target(&p).effective_port(), Some(443));
    // curl speaking to a ws:// URL is a WebSocket probe too.
    assert_eq!(
        only(&sh("curl -f ws://localhost:9000/")).kind,
        ProbeKind::Ws
    );
}

#[test]
fn tcp_probes() {
    let p = sh("nc -z localhost 5432");
    assert_eq!(only(&p).kind, ProbeKind::Tcp);
    assert_eq!(hp(target(&p)), ("localhost", Some(5432)));
    let p = exec(&["nc", "-zv", "-w", "10", "localhost", "9090"]);
    assert_eq!(hp(target(&p)), ("localhost", Some(9090)));
    let p = sh("echo | nc -w 5 localhost:80");
    assert_eq!(
        hp(step(&p, ProbeKind::Tcp).target.as_ref().unwrap()),
        ("localhost", Some(80))
    );
    assert_eq!(p.kind, ProbeKind::Tcp);
    let p = sh("nc -z kafka 9092");
    assert!(!target(&p).is_local());
    let p = sh("bash -c ':> /dev/tcp/127.0.0.1/8194' || exit 1");
    assert_eq!(p.kind, ProbeKind::Tcp);
    assert_eq!(hp(target(&p)), ("127.0.0.1", Some(8194)));
    let p = sh("/bin/bash -c '</dev/tcp/localhost/${GUARD_PORT:-8888}'");
    assert_eq!(hp(target(&p)), ("localhost", Some(8888)));
}

#[test]
fn grpc_probes() {
    let p = exec(&["/bin/grpc_health_probe", "-addr=:50051"]);
    assert_eq!(only(&p).kind, ProbeKind::Grpc);
    assert_eq!(hp(target(&p)), ("", Some(50051)));
    assert!(target(&p).is_local());
    let p = sh("grpc_health_probe -addr localhost:9090 -service api -connect-timeout 2s");
    assert_eq!(hp(target(&p)), ("localhost", Some(9090)));
    let p = sh("grpcurl -plaintext -d '{}' localhost:50052 grpc.health.v1.Health/Check");
    assert_eq!(only(&p).kind, ProbeKind::Grpc);
    assert_eq!(hp(target(&p)), ("localhost", Some(50052)));
}

// --- db-native -----------------------------------------------------------------------------------

#[test]
fn database_tools() {
    let cases: &[(&str, &str, Option<&str>, Option<u16>)] = &[
        (
            "pg_isready -U postgres",
            "pg_isready",
            Some("localhost"),
            Some(5432),
        ),
        (
            "pg_isready -h db -p 5433 -U app",
            "pg_isready",
            Some("db"),
            Some(5433),
        ),
        (
            "psql -U postgres -p 5432 -h 127.0.0.1 -tA -c 'select 1;'",
            "psql",
            Some("127.0.0.1"),
            Some(5432),
        ),
        (
            "mysqladmin ping -h 127.0.0.1 -P 3307 -pSecretP --silent",
            "mysqladmin",
            Some("127.0.0.1"),
            Some(3307),
        ),
        (
            "mariadb-admin ping --host=db --port=3306",
            "mariadb-admin",
            Some("db"),
            Some(3306),
        ),
        (
            "redis-cli -h redis -p 6380 ping",
            "redis-cli",
            Some("redis"),
            Some(6380),
        ),
        (
            "valkey-cli ping",
            "valkey-cli",
            Some("localhost"),
            Some(6379),
        ),
        (
            "redis-cli -u redis://cache:6390 ping",
            "redis-cli",
            Some("cache"),
            Some(6390),
        ),
        (
            "mongosh --eval \"db.adminCommand('ping')\"",
            "mongosh",
            Some("localhost"),
            Some(27017),
        ),
        (
            "mongosh mongodb://localhost:27018/test --quiet",
            "mongosh",
            Some("localhost"),
            Some(27018),
        ),
        (
            "mongo --host m1 --port 27019 --eval 'db.runCommand(\"ping\").ok'",
            "mongo",
            Some("m1"),
            Some(27019),
        ),
        (
            "rabbitmq-diagnostics -q ping",
            "rabbitmq-diagnostics",
            None,
            None,
        ),
        ("rabbitmqctl status", "rabbitmqctl", None, None),
        (
            "cqlsh -u cassandra -p cassandra -e 'describe keyspaces'",
            "cqlsh",
            Some("localhost"),
            Some(9042),
        ),
        (
            "kafka-broker-api-versions.sh --bootstrap-server localhost:9092",
            "kafka-broker-api-versions.sh",
            Some("localhost"),
            Some(9092),
        ),
        (
            "nats --server nats://localhost:4222 server check connection",
            "nats",
            Some("localhost"),
            Some(4222),
        ),
        (
            "clickhouse-client --query='SELECT 1'",
            "clickhouse-client",
            Some("localhost"),
            Some(9000),
        ),
        (
            "/opt/mssql-tools/bin/sqlcmd -S localhost,1434 -U sa -P x -Q 'SELECT 1'",
            "/opt/mssql-tools/bin/sqlcmd",
            Some("localhost"),
            Some(1434),
        ),
        (
            "su postgres -c 'pg_isready -q'",
            "pg_isready",
            Some("localhost"),
            Some(5432),
        ),
        (
            "gosu postgres pg_isready",
            "pg_isready",
            Some("localhost"),
            Some(5432),
        ),
    ];
    for (script, tool, host, port) in cases {
        let p = sh(script);
        let s = step(&p, ProbeKind::DbNative);
        assert_eq!(p.kind, ProbeKind::DbNative, "{script}");
        assert_eq!(s.tool, *tool, "{script}");
        assert_eq!(
            s.target.as_ref().map(|t| t.host.as_str()),
            *host,
            "{script}: {s:#?}"
        );
        assert_eq!(
            s.target.as_ref().and_then(Target::effective_port),
            *port,
            "{script}"
        );
    }
    // Official images' own scripts stay scripts.
    let p = exec(&["healthcheck.sh", "--connect", "--innodb_initialized"]);
    assert_eq!(p.kind, ProbeKind::Script);
}

// --- process, peer connection, file ------------------------------------------------------------

#[test]
fn process_probes() {
    let p = exec(&["pidof", "nginx"]);
    assert_eq!(only(&p).kind, ProbeKind::Process);
    assert_eq!(only(&p).pattern.as_deref(), Some("nginx"));
    let p = sh("kill -0 $(cat /var/run/app.pid)");
    assert_eq!(p.kind, ProbeKind::Process);
    assert_eq!(
        step(&p, ProbeKind::Process).pattern.as_deref(),
        Some("$(cat /var/run/app.pid)")
    );
    let p = sh("kill -s 0 1");
    assert_eq!(p.kind, ProbeKind::Process);
    // Sending a real signal is no probe.
    assert!(sh("kill -TERM 1").steps.is_empty());
    let p = exec(&["pgrep", "dockerd"]);
    assert_eq!(only(&p).pattern.as_deref(), Some("dockerd"));
    assert!(!only(&p).full_command_line);
}

#[test]
fn peer_connection_probes() {
    let p = sh("netstat -tn | grep ESTABLISHED");
    assert_eq!(only(&p).kind, ProbeKind::PeerConnection);
    assert_eq!(only(&p).pattern.as_deref(), Some("ESTABLISHED"));
    let p = sh("ss -tn state established | grep -q :443");
    assert_eq!(only(&p).kind, ProbeKind::PeerConnection);
    let p = sh("ss -Htn state established");
    assert_eq!(only(&p).pattern.as_deref(), Some("state established"));
    let p = sh("cat /proc/net/tcp | grep -q ':0050'");
    assert_eq!(only(&p).kind, ProbeKind::PeerConnection);
    assert_eq!(only(&p).pattern.as_deref(), Some(":0050"));
    let p = sh("grep -q ' 01 ' /proc/net/tcp6");
    assert_eq!(only(&p).kind, ProbeKind::PeerConnection);
}

#[test]
fn file_probes() {
    for script in [
        "test -f /tmp/healthy",
        "[ -f /tmp/healthy ]",
        "[[ -e /tmp/healthy ]]",
    ] {
        let p = sh(script);
        assert_eq!(p.kind, ProbeKind::File, "{script}");
        let s = step(&p, ProbeKind::File);
        assert_eq!(s.file_path.as_deref(), Some("/tmp/healthy"), "{script}");
        assert!(!s.checks_freshness);
        assert!(p.can_fail);
    }
    let p = sh("find /tmp/heartbeat -mmin -1 | grep -q .");
    let s = only(&p);
    assert_eq!(s.kind, ProbeKind::File);
    assert_eq!(s.file_path.as_deref(), Some("/tmp/heartbeat"));
    assert!(s.checks_freshness);

    let script = "[ $(( $(date +%s) - $(stat -c %Y /tmp/hb) )) -lt 60 ]";
    let p = sh(script);
    assert_eq!(p.kind, ProbeKind::File);
    let s = step(&p, ProbeKind::File);
    assert_eq!(s.tool, "stat");
    assert_eq!(s.file_path.as_deref(), Some("/tmp/hb"));
    assert!(s.checks_freshness);
    assert_eq!(slice(script, s.range), "stat -c %Y /tmp/hb");

    let p = sh("test $(( $(date +%s) - $(date -r /run/beat +%s) )) -lt 120");
    assert!(step(&p, ProbeKind::File).checks_freshness);
    // String tests are no file probes.
    assert!(sh("[ \"$MODE\" = prod ]").steps.is_empty());
}

// --- trivial and constant exit status --------------------------------------------------------------

#[test]
fn trivial_checks() {
    for script in ["true", ":", "exit 0", "echo ok", "/bin/true"] {
        let p = sh(script);
        assert_eq!(p.kind, ProbeKind::Trivial, "{script}");
        assert!(!p.can_fail, "{script}");
        assert!(
            p.cannot_fail_reason
                .as_deref()
                .unwrap()
                .contains("always exits 0"),
            "{script}"
        );
    }
    let p = exec(&["echo", "Edge Functions is healthy"]);
    assert_eq!(p.kind, ProbeKind::Trivial);
    assert!(!p.can_fail);
    assert_eq!(p.programs, ["echo"]);
    let p = exec(&["/bin/true"]);
    assert_eq!(p.kind, ProbeKind::Trivial);
    assert!(!p.can_fail);
    // `false` cannot succeed, which is a different problem.
    let p = sh("false");
    assert!(p.can_fail);
    assert_eq!(p.kind, ProbeKind::Script);
}

#[test]
fn checks_that_cannot_fail() {
    let cases = [
        ("curl http://x || true", "`|| true`"),
        ("curl -f http://x; exit 0", "`exit 0` runs last"),
        ("curl -f http://x || exit 0", "`|| exit 0`"),
        ("curl -f http://x; echo ok", "`echo ok` runs last"),
        ("curl -f http://x | cat", "`cat`"),
        ("curl -f http://x | tee /tmp/log", "`tee`"),
        ("curl -f http://x &", "background"),
        ("if curl -f http://x; then echo up; fi", "without `else`"),
        ("curl -f http://x && exit 0 || exit 0", "`|| exit 0`"),
        ("! false", "`!`"),
        ("", "empty"),
        ("   # only a comment", "empty"),
    ];
    for (script, reason) in cases {
        let p = sh(script);
        assert!(!p.can_fail, "{script}: {p:#?}");
        let why = p.cannot_fail_reason.as_deref().unwrap();
        assert!(why.contains(reason), "{script}: {why}");
    }
    assert_eq!(sh("curl http://x || true").kind, ProbeKind::Http);
    assert_eq!(sh("").kind, ProbeKind::Trivial);
}

#[test]
fn checks_that_can_fail() {
    for script in [
        "curl -f http://x || exit 1",
        "curl -f http://x | grep -q ok",
        "curl -f http://x && echo ok",
        "curl -f http://x; curl -f http://y",
        "if curl -f http://x; then exit 0; else exit 1; fi",
        "echo ok; false",
        "curl -f http://x | cat /tmp/missing",
        "[ \"$(curl -s http://localhost/health)\" = ok ]",
        "set -e; curl -f http://x; echo ok",
        "while ! false; do exit 3; done",
    ] {
        let p = sh(script);
        assert!(p.can_fail, "{script}: {p:#?}");
        assert!(p.cannot_fail_reason.is_none());
    }
}

#[test]
fn pipefail_from_shell_or_set() {
    assert!(!sh("curl -f http://x | cat").can_fail);
    let bash = [
        "/bin/bash".to_owned(),
        "-o".to_owned(),
        "pipefail".to_owned(),
        "-c".to_owned(),
    ];
    assert!(analyze_shell("curl -f http://x | cat", Some(&bash)).can_fail);
    assert!(sh("set -o pipefail; curl -f http://x | cat").can_fail);
    assert!(sh("set -eo pipefail\ncurl -f http://x | cat").can_fail);
}

#[test]
fn explicit_exit_codes() {
    assert_eq!(sh("curl -f http://x || exit 2").explicit_exit_codes, [2]);
    assert_eq!(
        sh("if curl -f http://x; then exit 0; elif nc -z x 1; then exit 3; else exit 2; fi")
            .explicit_exit_codes,
        [2, 3]
    );
    assert!(
        sh("curl -f http://x || exit 1")
            .explicit_exit_codes
            .is_empty()
    );
    assert_eq!(sh("exit 256").explicit_exit_codes, Vec::<i32>::new());
    assert!(!sh("exit 256").can_fail);
    assert_eq!(sh("exit -1").explicit_exit_codes, [255]);
    assert_eq!(
        exec(&["sh", "-c", "pg_isready || exit 2"]).explicit_exit_codes,
        [2]
    );
    // An `exit` inside `( )` or `$( )` ends only the subshell.
    assert_eq!(
        sh("(exit 4) || exit 1").explicit_exit_codes,
        Vec::<i32>::new()
    );
    let p = sh("curl -f http://x | (exit 5)");
    assert_eq!(p.explicit_exit_codes, [5]);
}

// --- programs, structure ---------------------------------------------------------------------------

#[test]
fn programs_in_order_through_wrappers() {
    let p = sh("timeout 5 sh -c 'pg_isready -h db && curl -f http://x/$(hostname)' || exit 1");
    assert_eq!(
        p.programs,
        ["timeout", "sh", "pg_isready", "hostname", "curl"]
    );
    assert_eq!(exec(&["sh", "-c", "echo ok"]).programs, ["sh"]);
    assert_eq!(sh("[ -f /x ] && echo ok").programs, Vec::<String>::new());
    assert_eq!(
        sh("ps aux | grep -v grep | grep -q node").programs,
        ["ps", "grep", "grep"]
    );
}

#[test]
fn shell_structures_are_walked() {
    let p = sh("if [ -f /ready ]; then curl -f http://localhost/h; else exit 1; fi");
    assert_eq!(p.kind, ProbeKind::Http);
    assert_eq!(p.steps.len(), 2);
    let p = sh("(pg_isready -q) && { redis-cli ping | grep -q PONG; }");
    assert_eq!(p.steps.len(), 2);
    let p = sh("for i in 1 2 3; do nc -z localhost 80 && exit 0; sleep 1; done; exit 1");
    assert_eq!(p.kind, ProbeKind::Tcp);
    assert!(p.can_fail);
    let p = sh("case \"$ROLE\" in web) curl -f http://localhost/ ;; *) pgrep -f worker ;; esac");
    assert_eq!(p.steps.len(), 2);
    let p = sh(
        "STATUS=`curl -s http://localhost:9200/_cluster/health`; echo \"$STATUS\" | grep -q green",
    );
    assert_eq!(p.kind, ProbeKind::Http);
    assert_eq!(
        hp(step(&p, ProbeKind::Http).target.as_ref().unwrap()),
        ("localhost", Some(9200))
    );
    let p = sh("curl -f http://x > /dev/null 2>&1 < /dev/null");
    assert_eq!(
        slice(
            "curl -f http://x > /dev/null 2>&1 < /dev/null",
            only(&p).range
        )
        .split(' ')
        .next(),
        Some("curl")
    );
}

#[test]
fn nested_wrapper_ranges_point_into_the_text() {
    let script = r#"sh -c "bash -c 'curl -f http://localhost:1234/x'""#;
    let p = sh(script);
    let s = only(&p);
    assert_eq!(slice(script, s.range), "curl -f http://localhost:1234/x");
    assert_eq!(slice(script, s.arg_ranges[2]), "http://localhost:1234/x");
    assert_eq!(p.programs, ["sh", "bash", "curl"]);

    let script = r#"sh -c "curl -f \"http://x:1/\"""#;
    let p = sh(script);
    let s = only(&p);
    assert!(
        slice(script, s.arg_ranges[2]).contains("http://x:1/"),
        "{:?}",
        s.arg_ranges
    );
    assert!(slice(script, s.range).starts_with("curl"));
}

#[test]
fn deeply_nested_wrappers_stop_without_panicking() {
    let mut script = "curl -f http://localhost:1/".to_owned();
    for _ in 0..8 {
        script = format!("sh -c {}", shell_quote(&script));
    }
    let p = sh(&script);
    assert_eq!(p.kind, ProbeKind::Http);
    assert_eq!(
        slice(&script, only(&p).range),
        "curl -f http://localhost:1/"
    );
    assert_eq!(p.programs.len(), 9);

    // Past the depth we follow, the innermost command stays unread.
    let mut deep = "curl -f http://localhost:1/".to_owned();
    for _ in 0..30 {
        deep = format!("echo $({deep})");
    }
    let p = sh(&deep);
    assert!(!p.steps.iter().any(|s| s.kind == ProbeKind::Http));
    assert!(p.steps.iter().all(|s| s.range.1 <= deep.len()));
    assert!(p.programs.len() < 30);
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

// --- bad input -------------------------------------------------------------------------------------

#[test]
fn unparseable_scripts_are_opaque() {
    for script in [
        "curl 'unterminated",
        "if then fi",
        "curl -f x &&",
        "echo $(",
        "(((",
        "done",
    ] {
        let p = sh(script);
        assert_eq!(p.kind, ProbeKind::Script, "{script}");
        assert!(p.can_fail, "{script}");
        assert!(p.parse_error.is_some(), "{script}");
    }
    // A broken `sh -c` inside a good script: the wrapper is the opaque part.
    let p = sh("sh -c 'curl \"x' || exit 1");
    assert!(p.parse_error.is_none());
    assert_eq!(only(&p).kind, ProbeKind::Script);
    assert_eq!(only(&p).tool, "sh");
}

#[test]
fn hostile_input_never_panics() {
    let deep_parens = format!("{}true{}", "(".repeat(5000), ")".repeat(5000));
    let deep_subst = format!("{}x{}", "$(".repeat(3000), ")".repeat(3000));
    let long = "curl -f http://x && ".repeat(5000) + "true";
    let inputs = [
        deep_parens.as_str(),
        deep_subst.as_str(),
        long.as_str(),
        "\0\u{1}\u{7f}",
        "é€😀 | ü",
        "${",
        "${x:-${y:-${z",
        "$((1+",
        "`",
        "[[ -f ]]",
        "[ -f",
        "<<EOF\nx",
        "cat <<EOF\nhello\nEOF",
        "a=$(curl -s http://x)",
        ">/dev/tcp/",
        "exec 3<>/dev/tcp/localhost/80",
        "function f { curl -f http://x; }; f",
        "coproc nc -z localhost 1",
        "x() { :; }",
        "\\",
        "'",
        "\"",
        "pgrep -f '('",
        "ps aux | grep '[' ",
        "curl -f ''",
        "nc -z '' ''",
        "grpc_health_probe -addr=",
        "mysqladmin -P",
        "curl --url",
        "wget -O",
        "node -e",
        "stat",
        "find",
        "kill -0",
    ];
    for script in inputs {
        let p = sh(script);
        for s in &p.steps {
            assert!(
                s.range.0 <= s.range.1 && s.range.1 <= script.len(),
                "{script:?}: {s:?}"
            );
        }
        let _ = exec(&[script]);
        let _ = exec(&["sh", "-c", script]);
        let _ = exec(&["curl", script]);
    }
    let _ = exec(&[]);
    assert!(exec(&[]).can_fail);
    let _ = exec(&[""]);
}

#[test]
fn effective_ports() {
    let t = |scheme: &str, port: Option<u16>| Target {
        scheme: Some(scheme.to_owned()),
        host: "h".to_owned(),
        port,
        ..Target::default()
    };
    assert_eq!(t("http", None).effective_port(), Some(80));
    assert_eq!(t("https", None).effective_port(), Some(443));
    assert_eq!(t("ws", None).effective_port(), Some(80));
    assert_eq!(t("wss", None).effective_port(), Some(443));
    assert_eq!(t("http", Some(8080)).effective_port(), Some(8080));
    assert_eq!(t("gopher", None).effective_port(), None);
    let var = Target {
        port_text: Some("${PORT}".to_owned()),
        ..t("http", None)
    };
    assert_eq!(var.effective_port(), None);
}

#[test]
fn variables_are_listed_once() {
    let p =
        sh("pg_isready -U $POSTGRES_USER -d ${POSTGRES_DB} -h \"$PGHOST\" && echo $POSTGRES_USER");
    assert_eq!(p.variables, ["POSTGRES_USER", "POSTGRES_DB", "PGHOST"]);
}

#[test]
fn one_liners_reading_heartbeat_files() {
    let code = "import os, sys\ntry:\n    os.remove('/tmp/health.txt')\nexcept FileNotFoundError:\n    sys.exit(1)\n";
    let p = exec(&["python3", "-c", code]);
    let s = only(&p);
    assert_eq!(s.kind, ProbeKind::File);
    assert_eq!(s.file_path.as_deref(), Some("/tmp/health.txt"));
    assert!(s.checks_freshness);
    let p = sh(r#"node -e "process.exit(require('fs').existsSync('/tmp/ready') ? 0 : 1)""#);
    assert_eq!(only(&p).kind, ProbeKind::File);
    assert!(!only(&p).checks_freshness);
}

#[test]
fn wait_tools_and_init_scripts() {
    let p = exec(&["wait-for-it", "redis-queue:6379"]);
    assert_eq!(only(&p).kind, ProbeKind::Tcp);
    assert_eq!(hp(target(&p)), ("redis-queue", Some(6379)));
    let p =
        sh("SCRIPT_NAME=/ping REQUEST_METHOD=GET cgi-fcgi -bind -connect 127.0.0.1:9000 || exit 1");
    assert_eq!(only(&p).kind, ProbeKind::Tcp);
    assert_eq!(hp(target(&p)), ("127.0.0.1", Some(9000)));
    let p = exec(&["service", "nginx", "status"]);
    assert_eq!(only(&p).kind, ProbeKind::Process);
    assert_eq!(only(&p).pattern.as_deref(), Some("nginx"));
    assert!(exec(&["service", "nginx", "reload"]).steps.is_empty());
}

/// Found by fuzzing: brush-parser panics on a redirection fd number that overflows. The check
/// is read as an unknown script, and the panic is neither propagated nor printed.
#[test]
fn overflowing_fd_number_is_an_unknown_script() {
    let p = sh("77777777777777777777777777777777<x");
    assert_eq!(p.kind, ProbeKind::Script, "{p:?}");
    assert!(p.steps.is_empty(), "{p:?}");
}

/// Found by fuzzing: unbalanced `((` runs made the shell grammar backtrack exponentially.
/// Scripts nested that deep are not parsed at all and read as unknown.
#[test]
fn deep_unbalanced_parens_are_not_parsed() {
    let script = format!("{}2{}", "(".repeat(16), "(".repeat(16));
    let started = std::time::Instant::now();
    let p = sh(&script);
    assert_eq!(p.kind, ProbeKind::Script);
    assert!(started.elapsed() < std::time::Duration::from_secs(2));
}
