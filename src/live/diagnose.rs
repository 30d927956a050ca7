//! Turns what was observed in a container (the check's result, its socket table, the watched
//! health cycles, its state) into findings, each one sentence with the evidence that proves it.
//! Pure functions: no engine, no clock.

use std::sync::OnceLock;
use std::time::Duration;

use regex::Regex;

use super::exec::ExecOutcome;
use super::sockets::SocketTable;
use super::watch::WatchSummary;
use crate::infer::{KindInfo, ServiceKind};
use crate::probe::Probe;
use crate::rules::Severity;

/// A finding before it is tied to a span.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnosis {
    pub rule: &'static str,
    pub severity: Severity,
    pub message: String,
}

impl Diagnosis {
    fn new(rule: &'static str, severity: Severity, message: String) -> Self {
        Diagnosis {
            rule,
            severity,
            message,
        }
    }
}

/// What is known about the check itself.
pub struct CheckFacts<'a> {
    /// The check as the engine runs it, for display and port extraction (script or argv).
    pub text: &'a str,
    pub timeout: Duration,
    pub probe: Option<&'a Probe>,
    pub kind: &'a KindInfo,
}

/// Why a check failed, read from its exit code and output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cause {
    Timeout,
    ToolNotFound(Option<String>),
    Refused,
    Dns(Option<String>),
    HttpStatus(u16),
    ProbeTimedOut,
    Other,
}

fn re(cell: &'static OnceLock<Regex>, pat: &str) -> &'static Regex {
    cell.get_or_init(|| Regex::new(pat).expect("static pattern"))
}

pub fn classify(outcome: &ExecOutcome) -> Cause {
    static NOT_FOUND: OnceLock<Regex> = OnceLock::new();
    static EXEC_NOT_FOUND: OnceLock<Regex> = OnceLock::new();
    static DNS_HOST: OnceLock<Regex> = OnceLock::new();
    static HTTP: OnceLock<Regex> = OnceLock::new();
    let out = outcome.output.as_str();
    let lower = out.to_ascii_lowercase();
    if outcome.timed_out || out.starts_with("Health check exceeded timeout") {
        return Cause::Timeout;
    }
    let not_found = re(
        &NOT_FOUND,
        r"(?m)(?:^|: )([^\s:]+): (?:command |applet )?not found",
    );
    let exec_nf = re(
        &EXEC_NOT_FOUND,
        r#"exec: "([^"]+)": (?:executable file not found|stat [^:]+: no such file)"#,
    );
    if let Some(c) = exec_nf.captures(out) {
        return Cause::ToolNotFound(Some(c[1].to_string()));
    }
    if let Some(c) = not_found.captures(out) {
        return Cause::ToolNotFound(Some(c[1].to_string()));
    }
    if matches!(outcome.exit_code, Some(126 | 127))
        || lower.contains("executable file not found")
        || lower.contains("no such file or directory") && lower.contains("exec")
    {
        return Cause::ToolNotFound(None);
    }
    if lower.contains("connection refused") || lower.contains("econnrefused") {
        return Cause::Refused;
    }
    const DNS: [&str; 7] = [
        "bad address",
        "could not resolve host",
        "name or service not known",
        "temporary failure in name resolution",
        "nodename nor servname",
        "no such host",
        "unknown host",
    ];
    if DNS.iter().any(|p| lower.contains(p)) {
        let host = re(
            &DNS_HOST,
            r#"(?i)(?:bad address '([^']+)'|resolve host:? '?([^'\s]+)|lookup ([^\s:]+))"#,
        )
        .captures(out)
        .and_then(|c| {
            c.iter()
                .skip(1)
                .flatten()
                .next()
                .map(|m| m.as_str().to_string())
        })
        .map(|h| match h.rsplit_once(':') {
            // busybox prints `host:port`
            Some((host, port)) if port.bytes().all(|b| b.is_ascii_digit()) => host.to_string(),
            _ => h,
        });
        return Cause::Dns(host);
    }
    let http = re(
        &HTTP,
        r"(?i)(?:HTTP/\d(?:\.\d)?\s+|returned error:?\s*|ERROR\s+|status(?: code)?:?\s*)([1-5]\d\d)\b",
    );
    if let Some(c) = http.captures(out)
        && let Ok(code) = c[1].parse::<u16>()
        && code >= 400
    {
        return Cause::HttpStatus(code);
    }
    if lower.contains("timed out") {
        return Cause::ProbeTimedOut;
    }
    Cause::Other
}

/// The local port the check probes: from the parsed probe when it has a target, otherwise
/// from a URL or `host port` pair in the text.
pub fn probed_local_port(probe: Option<&Probe>, text: &str) -> Option<u16> {
    if let Some(p) = probe {
        for step in &p.steps {
            if let Some(t) = &step.target
                && t.is_local()
            {
                if let Some(port) = t.port {
                    return Some(port);
                }
                match t.scheme.as_deref() {
                    Some("http" | "ws") => return Some(80),
                    Some("https" | "wss") => return Some(443),
                    _ => {}
                }
            }
        }
    }
    static URL: OnceLock<Regex> = OnceLock::new();
    static NC: OnceLock<Regex> = OnceLock::new();
    let url = re(
        &URL,
        r"(?i)\b(https?|wss?|grpc|tcp)://(?:localhost|127\.0\.0\.1|0\.0\.0\.0|\[::1\])(?::(\d{1,5}))?",
    );
    if let Some(c) = url.captures(text) {
        if let Some(p) = c.get(2) {
            return p.as_str().parse().ok();
        }
        return match c[1].to_ascii_lowercase().as_str() {
            "http" | "ws" => Some(80),
            "https" | "wss" => Some(443),
            _ => None,
        };
    }
    let nc = re(
        &NC,
        r"(?:^|[\s;&|(])(?:nc|netcat|ncat)\s+(?:-\S+\s+)*(?:localhost|127\.0\.0\.1)\s+(\d{1,5})\b",
    );
    nc.captures(text).and_then(|c| c[1].parse().ok())
}

fn fmt_ms(d: Duration) -> String {
    if d >= Duration::from_secs(10) {
        format!("{:.0} s", d.as_secs_f64())
    } else if d >= Duration::from_secs(1) {
        format!("{:.1} s", d.as_secs_f64())
    } else {
        format!("{} ms", d.as_millis())
    }
}

fn list_ports(ports: &[u16]) -> String {
    ports
        .iter()
        .map(u16::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

fn describe_peers(sockets: &SocketTable) -> Option<String> {
    let peers: Vec<String> = sockets
        .outbound()
        .map(|c| match &c.peer {
            Some(name) => format!("{name} ({}:{})", c.peer_address, c.peer_port),
            None => format!("{}:{}", c.peer_address, c.peer_port),
        })
        .collect();
    if peers.is_empty() {
        None
    } else {
        let mut uniq: Vec<String> = Vec::new();
        for p in peers {
            if !uniq.contains(&p) {
                uniq.push(p);
            }
        }
        Some(uniq.join(", "))
    }
}

/// What the socket table says about listening, as a clause.
fn listening_clause(sockets: &SocketTable) -> String {
    let ports = sockets.tcp_ports();
    if ports.is_empty() {
        match describe_peers(sockets) {
            Some(peers) => format!("the container listens on no port and is connected to {peers}"),
            None => "the container listens on no port".to_string(),
        }
    } else {
        format!("the container listens on {}", list_ports(&ports))
    }
}

fn first_line(s: &str) -> &str {
    s.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("")
}

/// Findings from executing the check now: HLV01, HLV02, HLV03, HLV04.
pub fn exec(
    outcome: &ExecOutcome,
    sockets: Option<&SocketTable>,
    facts: &CheckFacts<'_>,
) -> Vec<Diagnosis> {
    let mut out = Vec::new();
    if outcome.passed() {
        return out;
    }
    let took = fmt_ms(outcome.duration);
    let cause = classify(outcome);
    let port = probed_local_port(facts.probe, facts.text);
    if cause == Cause::Timeout {
        out.push(Diagnosis::new(
            "HLV04",
            Severity::Error,
            format!(
                "the check ran past its {} timeout (stopped waiting after {took}); the engine kills it and counts a failure with exit -1",
                fmt_ms(facts.timeout)
            ),
        ));
        return out;
    }
    let code = outcome
        .exit_code
        .map_or_else(|| "without an exit code".to_string(), |c| format!("{c}"));
    let reason = match &cause {
        Cause::ToolNotFound(tool) => {
            let tool = tool
                .as_deref()
                .map_or("a program it calls".to_string(), |t| format!("`{t}`"));
            out.push(Diagnosis::new(
                "HLV02",
                Severity::Error,
                format!("{tool} is not found in the container, so the check can never pass (exit {code})"),
            ));
            format!("{tool} is not found")
        }
        Cause::Refused => {
            let port_text = port.map_or("the probed port".to_string(), |p| format!("port {p}"));
            let listening = sockets.map(listening_clause);
            let msg = match &listening {
                Some(l) => format!("connection refused on {port_text}: nothing listens there, {l}"),
                None => format!(
                    "connection refused on {port_text}: nothing listens there (the socket table could not be read)"
                ),
            };
            out.push(Diagnosis::new("HLV03", Severity::Error, msg));
            match listening {
                Some(l) => format!("connection refused on {port_text} while {l}"),
                None => format!("connection refused on {port_text}"),
            }
        }
        Cause::Dns(host) => match host {
            Some(h) => format!("DNS lookup of `{h}` failed"),
            None => "a DNS lookup failed".to_string(),
        },
        Cause::HttpStatus(s) => format!("the server answered HTTP {s}"),
        Cause::ProbeTimedOut => format!("the probe timed out: {}", first_line(&outcome.output)),
        Cause::Other => match first_line(&outcome.output) {
            "" => match &outcome.error {
                Some(e) => e.clone(),
                None => "it printed nothing".to_string(),
            },
            l => format!("output: {l}"),
        },
        Cause::Timeout => "it timed out".to_string(),
    };
    out.insert(
        0,
        Diagnosis::new(
            "HLV01",
            Severity::Error,
            format!("the check fails now: exit {code} after {took}; {reason}"),
        ),
    );
    out
}

fn kind_name(kind: ServiceKind) -> String {
    serde_json::to_value(kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_else(|| "unknown".into())
}

/// HLV05: the socket table contradicts what the service was taken for. A check that probes a
/// local port assumes a server even when inference had no opinion.
pub fn runtime_kind(sockets: &SocketTable, facts: &CheckFacts<'_>) -> Option<Diagnosis> {
    let expects_server = match facts.kind.kind.listens() {
        Some(v) => Some(v),
        None => probed_local_port(facts.probe, facts.text).map(|_| true),
    };
    let ports = sockets.tcp_ports();
    match expects_server {
        Some(true) if ports.is_empty() => {
            let taken_for = if facts.kind.kind == ServiceKind::Unknown {
                "a server (its check probes a local port)".to_string()
            } else {
                format!("a {}", kind_name(facts.kind.kind))
            };
            let msg = match describe_peers(sockets) {
                Some(peers) => format!(
                    "the container listens on no port but holds connections to {peers}: it behaves as a client, not {taken_for}"
                ),
                None => format!(
                    "the container listens on no port at all, yet it is treated as {taken_for}"
                ),
            };
            Some(Diagnosis::new("HLV05", Severity::Warning, msg))
        }
        Some(false) if !ports.is_empty() => Some(Diagnosis::new(
            "HLV05",
            Severity::Warning,
            format!(
                "the container listens on {} although it was inferred to be a {}",
                list_ports(&ports),
                kind_name(facts.kind.kind)
            ),
        )),
        _ => None,
    }
}

/// HLV06 and HLV07 from the watched cycles.
pub fn watch(w: &WatchSummary) -> Vec<Diagnosis> {
    let mut out = Vec::new();
    if w.status != "healthy" && w.status != "none" {
        let last = w
            .last_output
            .as_deref()
            .map(first_line)
            .filter(|l| !l.is_empty())
            .map(|l| format!("; last output: {l}"))
            .unwrap_or_default();
        out.push(Diagnosis::new(
            "HLV06",
            Severity::Error,
            format!(
                "not healthy after {} of watching and {} check cycle{} (status {}, failing streak {}){last}",
                fmt_ms(w.elapsed),
                w.cycles,
                if w.cycles == 1 { "" } else { "s" },
                w.status,
                w.failing_streak
            ),
        ));
    }
    if w.flapping {
        out.push(Diagnosis::new(
            "HLV07",
            Severity::Warning,
            format!(
                "check results alternated {} times within {} cycles ({}); the check or the service is unstable",
                w.alternations,
                w.results.len(),
                w.results
                    .iter()
                    .map(|ok| if *ok { "pass" } else { "fail" })
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    out
}

/// The container states that stop a health check from meaning anything.
#[derive(Clone, Debug, Default)]
pub struct StateFacts {
    pub status: String,
    pub exit_code: Option<i64>,
    pub oom_killed: bool,
    pub restart_count: i64,
    pub error: Option<String>,
}

/// HLV08 for a container that is not running.
pub fn state(s: &StateFacts) -> Option<Diagnosis> {
    let msg = if s.oom_killed {
        format!(
            "the container was OOM-killed (state {}, exit {})",
            s.status,
            s.exit_code.unwrap_or(137)
        )
    } else {
        match s.status.as_str() {
            "running" => return None,
            "restarting" => format!(
                "the container is restarting (restarted {} times, last exit {})",
                s.restart_count,
                s.exit_code.unwrap_or(0)
            ),
            "exited" | "dead" => {
                let err = s
                    .error
                    .as_deref()
                    .filter(|e| !e.is_empty())
                    .map(|e| format!(": {e}"))
                    .unwrap_or_default();
                format!(
                    "the container {} with code {}{err}",
                    if s.status == "dead" {
                        "is dead"
                    } else {
                        "exited"
                    },
                    s.exit_code.unwrap_or(0)
                )
            }
            "paused" => "the container is paused; the engine reports it unhealthy".to_string(),
            "created" => "the container was created but never started".to_string(),
            "removed" => "the container was removed while it was being verified".to_string(),
            other => format!("the container is {other}, not running"),
        }
    };
    Some(Diagnosis::new("HLV08", Severity::Error, msg))
}

pub fn missing(service: &str, project: &str) -> Diagnosis {
    Diagnosis::new(
        "HLV08",
        Severity::Error,
        format!(
            "no container of service `{service}` in compose project `{project}`: it is not running"
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::sockets::{Connection, Listener, Proto};

    fn outcome(code: i64, output: &str) -> ExecOutcome {
        ExecOutcome {
            exit_code: Some(code),
            output: output.into(),
            duration: Duration::from_millis(40),
            ..Default::default()
        }
    }

    fn facts<'a>(text: &'a str, kind: &'a KindInfo) -> CheckFacts<'a> {
        CheckFacts {
            text,
            timeout: Duration::from_secs(3),
            probe: None,
            kind,
        }
    }

    fn client_sockets() -> SocketTable {
        SocketTable {
            listen: vec![],
            established: vec![Connection {
                local_port: 40000,
                peer_address: "172.20.0.2".into(),
                peer_port: 18789,
                outbound: true,
                peer: Some("gateway/hl-gw-1".into()),
            }],
            source: "exec".into(),
        }
    }

    fn rules(d: &[Diagnosis]) -> Vec<&str> {
        d.iter().map(|d| d.rule).collect()
    }

    #[test]
    fn passing_check_gives_nothing() {
        let k = KindInfo::default();
        assert!(exec(&outcome(0, "ok"), None, &facts("true", &k)).is_empty());
    }

    #[test]
    fn founding_incident_names_the_peer() {
        let k = KindInfo {
            kind: ServiceKind::HttpServer,
            ..Default::default()
        };
        let text = "wget -q -O- http://localhost:3000/health";
        let o = outcome(
            1,
            "wget: can't connect to remote host (127.0.0.1): Connection refused",
        );
        let s = client_sockets();
        let d = exec(&o, Some(&s), &facts(text, &k));
        assert_eq!(rules(&d), ["HLV01", "HLV03"]);
        assert!(d[1].message.contains("port 3000"), "{}", d[1].message);
        assert!(d[1].message.contains("listens on no port"));
        assert!(d[1].message.contains("gateway/hl-gw-1 (172.20.0.2:18789)"));
        let k5 = runtime_kind(&s, &facts(text, &k)).unwrap();
        assert_eq!(k5.rule, "HLV05");
        assert!(
            k5.message.contains("client, not a http-server"),
            "{}",
            k5.message
        );
    }

    #[test]
    fn unknown_kind_with_local_probe_is_treated_as_server() {
        let k = KindInfo::default();
        let d = runtime_kind(
            &client_sockets(),
            &facts("curl -f http://127.0.0.1:8080/", &k),
        );
        assert!(d.unwrap().message.contains("its check probes a local port"));
    }

    #[test]
    fn worker_that_listens_contradicts_kind() {
        let k = KindInfo {
            kind: ServiceKind::Worker,
            ..Default::default()
        };
        let s = SocketTable {
            listen: vec![Listener {
                proto: Proto::Tcp,
                address: "0.0.0.0".into(),
                port: 8080,
            }],
            ..Default::default()
        };
        let d = runtime_kind(&s, &facts("pgrep worker", &k)).unwrap();
        assert!(d.message.contains("listens on 8080"));
        let server = KindInfo {
            kind: ServiceKind::HttpServer,
            ..Default::default()
        };
        assert!(runtime_kind(&s, &facts("pgrep worker", &server)).is_none());
    }

    #[test]
    fn refused_lists_what_it_listens_on() {
        let k = KindInfo::default();
        let s = SocketTable {
            listen: vec![
                Listener {
                    proto: Proto::Tcp,
                    address: "0.0.0.0".into(),
                    port: 8080,
                },
                Listener {
                    proto: Proto::Tcp,
                    address: "::".into(),
                    port: 80,
                },
            ],
            ..Default::default()
        };
        let d = exec(
            &outcome(
                7,
                "curl: (7) Failed to connect to localhost port 3000: Connection refused",
            ),
            Some(&s),
            &facts("curl -f http://localhost:3000/", &k),
        );
        assert!(
            d[1].message.contains("listens on 80, 8080"),
            "{}",
            d[1].message
        );
    }

    #[test]
    fn missing_tool_in_shell_and_exec_form() {
        let k = KindInfo::default();
        let d = exec(
            &outcome(127, "/bin/sh: curl: not found"),
            None,
            &facts("curl -f http://localhost/", &k),
        );
        assert_eq!(rules(&d), ["HLV01", "HLV02"]);
        assert!(d[1].message.contains("`curl`"));
        let o = outcome(
            126,
            "OCI runtime exec failed: exec failed: container_linux.go:380: starting container process caused: exec: \"curl\": executable file not found in $PATH: unknown",
        );
        assert_eq!(classify(&o), Cause::ToolNotFound(Some("curl".into())));
    }

    #[test]
    fn timeout_is_hlv04_only() {
        let k = KindInfo::default();
        let mut o = outcome(-1, "");
        o.timed_out = true;
        o.duration = Duration::from_secs(3);
        let d = exec(&o, None, &facts("sleep 10", &k));
        assert_eq!(rules(&d), ["HLV04"]);
        assert!(d[0].message.contains("3.0 s timeout"), "{}", d[0].message);
    }

    #[test]
    fn dns_and_http_status() {
        assert_eq!(
            classify(&outcome(1, "wget: bad address 'db'")),
            Cause::Dns(Some("db".into()))
        );
        assert_eq!(
            classify(&outcome(1, "wget: bad address 'api:8080'")),
            Cause::Dns(Some("api".into()))
        );
        assert_eq!(
            classify(&outcome(
                22,
                "curl: (22) The requested URL returned error: 503"
            )),
            Cause::HttpStatus(503)
        );
        assert_eq!(
            classify(&outcome(
                1,
                "wget: server returned error: HTTP/1.1 404 Not Found"
            )),
            Cause::HttpStatus(404)
        );
        assert_eq!(classify(&outcome(1, "")), Cause::Other);
        assert_eq!(
            classify(&outcome(
                28,
                "curl: (28) Operation timed out after 2001 milliseconds"
            )),
            Cause::ProbeTimedOut
        );
        assert_eq!(
            classify(&outcome(
                1,
                "nc: invalid option -- 'z'\n\t-w SEC\tTimeout for connects"
            )),
            Cause::Other
        );
    }

    #[test]
    fn probed_port_from_text() {
        assert_eq!(
            probed_local_port(None, "wget -q -O- http://localhost/"),
            Some(80)
        );
        assert_eq!(
            probed_local_port(None, "curl https://127.0.0.1:8443/x"),
            Some(8443)
        );
        assert_eq!(probed_local_port(None, "nc -z localhost 5432"), Some(5432));
        assert_eq!(probed_local_port(None, "curl http://api:3000/"), None);
    }

    #[test]
    fn container_states() {
        let running = StateFacts {
            status: "running".into(),
            ..Default::default()
        };
        assert!(state(&running).is_none());
        let exited = StateFacts {
            status: "exited".into(),
            exit_code: Some(3),
            ..Default::default()
        };
        assert!(
            state(&exited)
                .unwrap()
                .message
                .contains("exited with code 3")
        );
        let oom = StateFacts {
            status: "exited".into(),
            oom_killed: true,
            exit_code: Some(137),
            ..Default::default()
        };
        assert!(state(&oom).unwrap().message.contains("OOM-killed"));
    }

    #[test]
    fn watch_findings() {
        let w = WatchSummary {
            status: "unhealthy".into(),
            engine_status: "unhealthy".into(),
            cycles: 3,
            elapsed: Duration::from_secs(4),
            failing_streak: 3,
            flapping: false,
            alternations: 0,
            results: vec![false, false, false],
            time_to_healthy: None,
            last_output: Some("boom\n".into()),
            events: 1,
            settled: true,
            container_state: "running".into(),
            exit_code: None,
            oom_killed: false,
        };
        let d = watch(&w);
        assert_eq!(rules(&d), ["HLV06"]);
        assert!(d[0].message.contains("3 check cycles"));
        assert!(d[0].message.contains("last output: boom"));
        let f = WatchSummary {
            status: "healthy".into(),
            flapping: true,
            alternations: 3,
            results: vec![true, false, true, false],
            ..w
        };
        assert_eq!(rules(&watch(&f)), ["HLV07"]);
    }
}
