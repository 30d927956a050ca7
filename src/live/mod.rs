//! `healthlint verify`: the checks of a deployed compose project, executed now inside their
//! containers exactly as the engine executes them, the containers' sockets surveyed, and the
//! engine's first health cycles watched. Everything observed feeds the same findings and report
//! as the static lint. Nothing here changes a container: it only execs the container's own
//! check (and `cat` of `/proc/net/*`) and reads.

pub mod diagnose;
pub mod discover;
pub mod engine;
pub mod exec;
pub mod render;
pub mod sockets;
pub mod watch;

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::Duration;

use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use serde_json::{Value, json};

use crate::cli::VerifyArgs;
use crate::infer::KindInfo;
use crate::model::Service;
use crate::pipeline::Analysis;
use crate::probe::Probe;
use crate::rules::Finding;
use crate::span::Span;

use diagnose::{CheckFacts, Diagnosis, StateFacts};
use discover::Found;
pub use engine::Engine;
use exec::{CheckCommand, ExecOutcome};
use render::Progress;
use sockets::SocketTable;
use watch::{HealthSpec, WatchOptions, WatchSummary};

/// Why `verify` could not do its job at all (as opposed to findings about the containers).
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum LiveError {
    #[error("cannot reach the Docker engine at {host}: {reason}")]
    #[diagnostic(
        code(healthlint::verify::unreachable),
        help(
            "start the Docker daemon, or point DOCKER_HOST at a running engine (unix:///var/run/docker.sock, tcp://HOST:2375)"
        )
    )]
    Unreachable { host: String, reason: String },

    #[error("permission denied on the Docker socket {socket}")]
    #[diagnostic(
        code(healthlint::verify::permission),
        help("add your user to the `docker` group (then log in again), or run with sudo")
    )]
    PermissionDenied { socket: String },

    #[error("unsupported DOCKER_HOST `{host}`")]
    #[diagnostic(
        code(healthlint::verify::host),
        help("healthlint verify connects through unix:///path/to/docker.sock or tcp://HOST:PORT")
    )]
    UnsupportedHost { host: String },

    #[error("the Docker engine at {host} speaks API {version}, older than 1.41 (Docker 20.10)")]
    #[diagnostic(
        code(healthlint::verify::api_version),
        help("upgrade the engine to Docker 20.10 or newer")
    )]
    ApiTooOld { host: String, version: String },

    #[error("{message}")]
    #[diagnostic(code(healthlint::verify::engine))]
    Engine { message: String },

    #[error("{message}")]
    #[diagnostic(code(healthlint::verify::input))]
    BadInput { message: String },
}

impl LiveError {
    /// Every `verify` error means "could not verify": exit 2.
    pub fn exit_code(&self) -> u8 {
        2
    }
}

/// What `verify` found: findings in the same shape as the lint's, and the raw observations
/// (one JSON object per container, plus one per service without a container) for the `live`
/// member of the JSON report.
#[derive(Debug)]
pub struct LiveReport {
    pub findings: Vec<Finding>,
    pub observations: Value,
}

/// Connects to the engine (`DOCKER_HOST` or the local socket), verifies the project and
/// returns. Builds its own runtime.
pub fn run(args: &VerifyArgs, analysis: &Analysis) -> Result<LiveReport, LiveError> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| LiveError::Engine {
            message: format!("cannot start the I/O runtime: {e}"),
        })?;
    rt.block_on(async {
        let engine = Engine::connect().await?;
        verify(&engine, args, analysis).await
    })
}

/// Go-style durations as `--timeout` takes them: `90s`, `5m`, `1m30s`, `500ms`; a bare
/// number is seconds.
pub fn parse_duration(text: &str) -> Option<Duration> {
    let s = text.trim();
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        return s.parse::<u64>().ok().map(Duration::from_secs);
    }
    crate::load::compose::parse_go_duration(s)
}

/// Masks credentials a check may carry on its command line or print (`-pSECRET` for MySQL
/// tools, `--password=`, `user:pass@` in URLs, `Authorization:` headers, `*_PASSWORD=`),
/// so reports can be pasted into tickets. `--show-secrets` turns this off.
pub fn redact(text: &str) -> String {
    use std::sync::OnceLock;
    static PATTERNS: OnceLock<Vec<regex::Regex>> = OnceLock::new();
    let patterns = PATTERNS.get_or_init(|| {
        [
            r"(?i)(--?(?:password|passwd|pass|token|secret|api-?key)[= ])(\S+)",
            r"(?i)(\b[a-z0-9_]*(?:password|passwd|token|secret|api_?key)[a-z0-9_]*[=:]\s*)([^\s&'\x22]+)",
            r"(://[^/\s:@]+:)([^@\s/]+)(@)",
            r"(?i)(authorization:\s*(?:bearer|basic|token)\s+)([^\s'\x22]+)",
        ]
        .iter()
        .map(|p| regex::Regex::new(p).expect("static pattern"))
        .collect()
    });
    let mut out = text.to_string();
    for re in patterns {
        out = re.replace_all(&out, "${1}****${3}").into_owned();
    }
    let lower = out.to_ascii_lowercase();
    if lower.contains("mysql") || lower.contains("mariadb") {
        static MYSQL_P: OnceLock<regex::Regex> = OnceLock::new();
        let re = MYSQL_P.get_or_init(|| {
            regex::Regex::new(r"(^|\s)(-p)([^\s*][^\s]*)").expect("static pattern")
        });
        out = re.replace_all(&out, "${1}${2}****").into_owned();
    }
    out
}

/// Compose's rule for project names: lower case, only `a-z0-9_-`.
fn normalize_project(name: &str) -> String {
    name.to_lowercase()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .collect()
}

/// Everything about one container, gathered before findings are made.
struct Inspected {
    found: Found,
    service_index: Option<usize>,
    replicas: usize,
    state: StateFacts,
    check: Option<CheckCommand>,
    spec: HealthSpec,
    exec: Option<ExecOutcome>,
    sockets: Result<SocketTable, String>,
    in_start_period: bool,
    diagnoses: Vec<Diagnosis>,
    watch: Option<WatchSummary>,
}

/// Verifies the project on an already connected engine.
pub async fn verify(
    engine: &Engine,
    args: &VerifyArgs,
    analysis: &Analysis,
) -> Result<LiveReport, LiveError> {
    let progress = Progress::new(args.output.quiet);
    let project_name = normalize_project(
        args.project
            .project_name
            .as_deref()
            .unwrap_or(&analysis.project.name),
    );
    if project_name.is_empty() {
        return Err(LiveError::BadInput {
            message: "no compose project name: pass -p NAME".into(),
        });
    }
    let watch_timeout = match &args.timeout {
        Some(t) => Some(parse_duration(t).ok_or_else(|| LiveError::BadInput {
            message: format!("--timeout `{t}` is not a duration (e.g. 90s, 5m, 1m30s)"),
        })?),
        None => None,
    };
    let project = &analysis.project;
    for s in &args.services {
        if project.service(s).is_none() {
            return Err(LiveError::BadInput {
                message: format!("no service `{s}` in project `{project_name}`"),
            });
        }
    }
    let wanted = |name: &str| args.services.is_empty() || args.services.iter().any(|s| s == name);

    let all = discover::discover(engine, &project_name).await?;
    // Peers are named from every container of the project, selected or not.
    let owners = discover::address_owners(&all);
    let found: Vec<Found> = all.into_iter().filter(|f| wanted(&f.service)).collect();
    let mut per_service: HashMap<String, usize> = HashMap::new();
    for f in &found {
        *per_service.entry(f.service.clone()).or_default() += 1;
    }

    let mut observations: Vec<Value> = Vec::new();
    let mut findings: Vec<Finding> = Vec::new();

    for (i, s) in project.services.iter().enumerate() {
        if s.active && wanted(&s.name) && !per_service.contains_key(&s.name) {
            let d = diagnose::missing(&s.name, &project_name);
            findings.push(to_finding(&d, Some(s), &s.name, None));
            observations.push(json!({
                "service": s.name,
                "container": null,
                "id": null,
                "state": "missing",
                "kind": analysis.services.get(i).map(|a| a.kind.kind),
                "findings": ["HLV08"],
            }));
        }
    }

    // Every container at once; each verdict is printed as soon as it is known.
    let mut pending: FuturesUnordered<_> = found
        .into_iter()
        .map(|f| {
            let idx = project.services.iter().position(|s| s.name == f.service);
            let replicas = per_service.get(&f.service).copied().unwrap_or(1);
            inspect_one(engine, f, idx, replicas, analysis, &owners, &progress)
        })
        .collect();
    let mut inspected: Vec<Inspected> = Vec::new();
    while let Some(one) = pending.next().await {
        inspected.push(one);
    }
    drop(pending);
    inspected.sort_by(|a, b| {
        (
            a.found.service.as_str(),
            a.found.number,
            a.found.name.as_str(),
        )
            .cmp(&(
                b.found.service.as_str(),
                b.found.number,
                b.found.name.as_str(),
            ))
    });

    // Then the engine's own cycles.
    if !args.no_watch {
        let targets: Vec<(usize, watch::Target)> = inspected
            .iter()
            .enumerate()
            .filter(|(_, x)| x.check.is_some() && x.state.status == "running")
            .map(|(i, x)| {
                (
                    i,
                    watch::Target {
                        id: x.found.id.clone(),
                        label: x.found.label(),
                        spec: x.spec,
                        inspect: x.found.inspect.clone(),
                    },
                )
            })
            .collect();
        if !targets.is_empty() {
            let only: Vec<watch::Target> = targets.iter().map(|(_, t)| t.clone()).collect();
            let opts = WatchOptions {
                cycles: args.cycles,
                timeout: watch_timeout,
            };
            let summaries = watch::watch(engine, &project_name, &only, opts, &progress).await;
            for ((i, _), s) in targets.iter().zip(summaries) {
                inspected[*i].watch = Some(s);
            }
        }
    }

    for x in &mut inspected {
        finish_diagnoses(x);
    }

    for x in &inspected {
        let service = x.service_index.and_then(|i| project.services.get(i));
        let container = (x.replicas > 1).then_some(x.found.name.as_str());
        for d in &x.diagnoses {
            let mut f = to_finding(d, service, &x.found.service, container);
            if !args.show_secrets {
                f.message = redact(&f.message);
            }
            findings.push(f);
        }
        observations.push(observation(x, analysis, args.show_secrets));
    }

    Ok(LiveReport {
        findings,
        observations: Value::Array(observations),
    })
}

fn nanos(v: Option<i64>) -> Option<Duration> {
    v.filter(|n| *n > 0).map(|n| Duration::from_nanos(n as u64))
}

/// The timings the engine applies to this container: its own config first (what the engine
/// runs), then the model's, then the engine's defaults.
fn effective_spec(f: &Found, service: Option<&Service>) -> HealthSpec {
    let hc = f
        .inspect
        .config
        .as_ref()
        .and_then(|c| c.healthcheck.as_ref());
    let model = service.map(|s| &s.healthcheck);
    let d = HealthSpec::default();
    HealthSpec {
        interval: nanos(hc.and_then(|h| h.interval))
            .or_else(|| model.and_then(|m| m.interval.as_ref().map(|v| v.value)))
            .unwrap_or(d.interval),
        timeout: nanos(hc.and_then(|h| h.timeout))
            .or_else(|| model.and_then(|m| m.timeout.as_ref().map(|v| v.value)))
            .unwrap_or(d.timeout),
        start_period: nanos(hc.and_then(|h| h.start_period))
            .or_else(|| model.and_then(|m| m.start_period.as_ref().map(|v| v.value)))
            .unwrap_or(d.start_period),
        start_interval: nanos(hc.and_then(|h| h.start_interval))
            .or_else(|| model.and_then(|m| m.start_interval.as_ref().map(|v| v.value)))
            .unwrap_or(d.start_interval),
        retries: hc
            .and_then(|h| h.retries)
            .filter(|r| *r > 0)
            .map(|r| r as u32)
            .or_else(|| model.map(|m| m.retries_or_default()))
            .unwrap_or(d.retries),
    }
}

/// The check as the engine will run it: the container's configured test, or the model's
/// when the container has none recorded; `None` when no probe runs.
fn effective_check(f: &Found, service: Option<&Service>) -> Option<CheckCommand> {
    let config = f.inspect.config.as_ref();
    let shell = config.and_then(|c| c.shell.as_deref());
    let test = config
        .and_then(|c| c.healthcheck.as_ref())
        .and_then(|h| h.test.as_ref())
        .filter(|t| !t.is_empty());
    match test {
        Some(t) => exec::command_from_test(t, shell),
        None => {
            let s = service?;
            if !s.healthcheck.is_active() {
                return None;
            }
            let model_shell = s.dockerfile.as_ref().and_then(|d| d.shell.as_deref());
            exec::command_from_model(s.healthcheck.test.as_ref()?, shell.or(model_shell))
        }
    }
}

/// Whether the deployed check is the one the compose files describe: `false` means the
/// containers run a stale configuration (not recreated since the file changed) and the lint
/// and the live results talk about different checks. `None` when the model has no test.
fn matches_model(c: &CheckCommand, service: Option<&Service>) -> Option<bool> {
    let test = service?.healthcheck.test.as_ref()?;
    let model = exec::command_from_model(test, c.shell.as_deref())?;
    Some(model.argv == c.argv)
}

fn state_facts(f: &Found) -> StateFacts {
    let st = f.inspect.state.as_ref();
    StateFacts {
        status: st
            .and_then(|s| s.status.as_ref())
            .map_or_else(|| "unknown".into(), |s| s.to_string()),
        exit_code: st.and_then(|s| s.exit_code),
        oom_killed: st.and_then(|s| s.oom_killed).unwrap_or(false),
        restart_count: f.inspect.restart_count.unwrap_or(0),
        error: st.and_then(|s| s.error.clone()),
    }
}

async fn inspect_one(
    engine: &Engine,
    found: Found,
    service_index: Option<usize>,
    replicas: usize,
    analysis: &Analysis,
    owners: &HashMap<IpAddr, String>,
    progress: &Progress,
) -> Inspected {
    let service = service_index.and_then(|i| analysis.project.services.get(i));
    let state = state_facts(&found);
    let check = effective_check(&found, service);
    let spec = effective_spec(&found, service);
    let mut x = Inspected {
        service_index,
        replicas,
        check,
        spec,
        exec: None,
        sockets: Err("the container is not running".into()),
        in_start_period: false,
        diagnoses: Vec::new(),
        watch: None,
        state,
        found,
    };
    let label = x.found.label();
    if let Some(d) = diagnose::state(&x.state) {
        progress.verdict(&label, false, Duration::ZERO, &d.message);
        x.diagnoses.push(d);
        return x;
    }
    let started = x
        .found
        .inspect
        .state
        .as_ref()
        .and_then(|s| s.started_at.as_deref())
        .and_then(watch::parse_time);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i128);
    x.in_start_period = started.is_some_and(|s| now - s < x.spec.start_period.as_nanos() as i128);
    let cfg = x.found.inspect.config.as_ref();
    let user = cfg.and_then(|c| c.user.clone());
    let workdir = cfg.and_then(|c| c.working_dir.clone());
    let run_check = async {
        match &x.check {
            Some(c) => Some(
                exec::run(
                    &engine.docker,
                    &x.found.id,
                    &c.argv,
                    user.as_deref(),
                    workdir.as_deref(),
                    x.spec.timeout,
                )
                .await,
            ),
            None => None,
        }
    };
    let (outcome, table) = tokio::join!(run_check, survey(engine, &x.found, owners));
    x.sockets = table;
    match (&outcome, &x.check) {
        (Some(o), Some(c)) => {
            let (kind, probe) = model_facts(analysis, service_index);
            let facts = CheckFacts {
                text: &c.text(),
                timeout: x.spec.timeout,
                probe,
                kind: &kind,
            };
            let mut ds = diagnose::exec(o, x.sockets.as_ref().ok(), &facts);
            let detail = ds.first().map(|d| d.message.clone()).unwrap_or_default();
            progress.verdict(&label, o.passed(), o.duration, &detail);
            if let Ok(t) = &x.sockets
                && let Some(d) = diagnose::runtime_kind(t, &facts)
            {
                ds.push(d);
            }
            x.diagnoses = ds;
        }
        _ => {
            progress.note(&format!("skip {label}: no health check configured"));
            if let Ok(t) = &x.sockets {
                let (kind, probe) = model_facts(analysis, service_index);
                let facts = CheckFacts {
                    text: "",
                    timeout: x.spec.timeout,
                    probe,
                    kind: &kind,
                };
                x.diagnoses.extend(diagnose::runtime_kind(t, &facts));
            }
        }
    }
    x.exec = outcome;
    x
}

fn model_facts(analysis: &Analysis, index: Option<usize>) -> (KindInfo, Option<&Probe>) {
    match index.and_then(|i| analysis.services.get(i)) {
        Some(a) => (a.kind.clone(), a.probe.as_ref()),
        None => (KindInfo::default(), None),
    }
}

/// Adjusts the first verdict with what the watch showed, and adds the watch's own findings.
fn finish_diagnoses(x: &mut Inspected) {
    let Some(w) = &x.watch else {
        if x.in_start_period
            && let Some(d) = x.diagnoses.iter_mut().find(|d| d.rule == "HLV01")
        {
            d.message.push_str(&format!(
                " (the container is still within its {} s start period)",
                x.spec.start_period.as_secs_f64()
            ));
        }
        return;
    };
    // A check that fails during the start period and then passes did what the start
    // period is for.
    if x.in_start_period && w.status == "healthy" {
        x.diagnoses
            .retain(|d| !matches!(d.rule, "HLV01" | "HLV02" | "HLV03"));
    }
    // A container that stopped is reported as such (HLV08), not as slow to become healthy.
    let stopped = w.container_state != "running";
    x.diagnoses.extend(
        diagnose::watch(w)
            .into_iter()
            .filter(|d| !(stopped && d.rule == "HLV06")),
    );
    // Stopped, restarted, killed or removed while being watched.
    let during = diagnose::state(&StateFacts {
        status: w.container_state.clone(),
        exit_code: w.exit_code,
        oom_killed: w.oom_killed,
        restart_count: x.found.inspect.restart_count.unwrap_or(0),
        error: None,
    });
    if let Some(mut d) = during {
        if w.container_state != "removed" {
            d.message.push_str(" during the watch");
        }
        x.diagnoses.push(d);
    }
}

/// The span a live finding points at: the service's test when the model has it, otherwise
/// the service key.
fn finding_span(service: Option<&Service>) -> Span {
    match service {
        Some(s) => s
            .healthcheck
            .test
            .as_ref()
            .map(|t| t.span)
            .filter(|sp| !sp.is_dummy())
            .unwrap_or(s.span),
        None => Span::default(),
    }
}

fn to_finding(
    d: &Diagnosis,
    service: Option<&Service>,
    name: &str,
    container: Option<&str>,
) -> Finding {
    let message = match container {
        Some(c) => format!("{c}: {}", d.message),
        None => d.message.clone(),
    };
    Finding {
        rule: d.rule,
        severity: d.severity,
        service: Some(name.to_string()),
        span: finding_span(service),
        message,
        labels: Vec::new(),
        fix: None,
    }
}

fn observation(x: &Inspected, analysis: &Analysis, show_secrets: bool) -> Value {
    let clean = |s: &str| -> String {
        let t = s.trim();
        if show_secrets {
            t.to_string()
        } else {
            redact(t)
        }
    };
    let kind = x
        .service_index
        .and_then(|i| analysis.services.get(i))
        .map(|a| a.kind.kind);
    let health_status = x
        .watch
        .as_ref()
        .map(|w| w.engine_status.clone())
        .unwrap_or_else(|| {
            watch::status_text(
                x.found
                    .inspect
                    .state
                    .as_ref()
                    .and_then(|s| s.health.as_ref())
                    .and_then(|h| h.status.as_ref()),
            )
        });
    json!({
        "service": x.found.service,
        "container": x.found.name,
        "id": x.found.id,
        "state": x.state.status,
        "exit_code": if x.state.status == "running" { None } else { x.state.exit_code },
        "oom_killed": x.state.oom_killed,
        "kind": kind,
        "engine_status": health_status,
        "check": x.check.as_ref().map(|c| json!({
            "argv": c.argv.iter().map(|a| clean(a)).collect::<Vec<_>>(),
            "shell": c.shell,
            "source": c.source,
            "timing": x.spec,
            "matches_model": matches_model(c, x.service_index.and_then(|i| analysis.project.services.get(i))),
        })),
        "exec": x.exec.as_ref().map(|o| json!({
            "exit_code": o.exit_code,
            "duration_ms": o.duration.as_millis() as u64,
            "stdout": clean(&o.stdout),
            "stderr": clean(&o.stderr),
            "timed_out": o.timed_out,
            "error": o.error,
            "in_start_period": x.in_start_period,
        })),
        "sockets": match &x.sockets {
            Ok(t) => {
                let mut v = serde_json::to_value(t).unwrap_or(Value::Null);
                if let Some(m) = v.as_object_mut() {
                    m.insert("role".into(), t.role().into());
                }
                v
            }
            Err(e) => json!({ "error": e }),
        },
        "watch": x.watch.as_ref().map(|w| serde_json::to_value(w).unwrap_or(Value::Null)),
        "findings": x.diagnoses.iter().map(|d| d.rule).collect::<Vec<_>>(),
    })
}

/// Reads the container's socket tables: through `cat` inside it when the image has one,
/// otherwise (distroless, scratch) from `/proc/<pid>/net` of its main process on this host,
/// when the engine is local and the pid provably belongs to the container.
async fn survey(
    engine: &Engine,
    f: &Found,
    owners: &HashMap<IpAddr, String>,
) -> Result<SocketTable, String> {
    let resolve = |ip: &IpAddr| owners.get(ip).cloned();
    let mut argv = vec!["cat".to_string()];
    argv.extend(sockets::PROC_NET_FILES.iter().map(|s| s.to_string()));
    let out = exec::run(
        &engine.docker,
        &f.id,
        &argv,
        None,
        None,
        Duration::from_secs(5),
    )
    .await;
    if out
        .stdout
        .lines()
        .any(|l| l.trim_start().starts_with("sl "))
    {
        // `cat` output may exceed the probe cap; read the whole table when it was cut.
        if !out.stdout.ends_with("...") {
            return Ok(sockets::summarize(
                &sockets::parse(&out.stdout),
                "exec",
                resolve,
            ));
        }
    }
    let exec_reason = out
        .error
        .clone()
        .or_else(|| {
            let e = out.output.trim();
            (!e.is_empty()).then(|| e.lines().next().unwrap_or(e).to_string())
        })
        .unwrap_or_else(|| "no socket table from `cat`".into());
    if !engine.local {
        return Err(format!(
            "cannot read the socket table: {exec_reason}; the engine is remote, so /proc of the container is not reachable"
        ));
    }
    let pid = f
        .inspect
        .state
        .as_ref()
        .and_then(|s| s.pid)
        .filter(|p| *p > 0)
        .ok_or_else(|| format!("cannot read the socket table: {exec_reason}; no pid"))?;
    let id = f.id.clone();
    let text = tokio::task::spawn_blocking(move || read_host_proc(pid, &id))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| format!("cannot read the socket table: {exec_reason}; {e}"))?;
    Ok(sockets::summarize(
        &sockets::parse(&text),
        "host-proc",
        resolve,
    ))
}

/// `/proc/<pid>/net/*` of the container's main process, after checking through its cgroup
/// that the pid is the container's on this host (not a pid of a VM or another namespace).
pub fn read_host_proc(pid: i64, container_id: &str) -> Result<String, String> {
    let base = format!("/proc/{pid}");
    let cgroup = std::fs::read_to_string(format!("{base}/cgroup"))
        .map_err(|e| format!("{base}/cgroup: {e}"))?;
    if !cgroup.contains(container_id) {
        return Err(format!(
            "pid {pid} on this host does not belong to the container (the engine runs elsewhere)"
        ));
    }
    let mut text = String::new();
    for name in ["tcp", "tcp6", "udp", "udp6"] {
        if let Ok(t) = std::fs::read_to_string(format!("{base}/net/{name}")) {
            text.push_str(&t);
        }
    }
    if text.is_empty() {
        return Err(format!("{base}/net is not readable"));
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90s"), Some(Duration::from_secs(90)));
        assert_eq!(parse_duration("1m30s"), Some(Duration::from_secs(90)));
        assert_eq!(parse_duration("500ms"), Some(Duration::from_millis(500)));
        assert_eq!(parse_duration("2"), Some(Duration::from_secs(2)));
        assert_eq!(parse_duration("1.5h"), Some(Duration::from_secs(5400)));
        for bad in ["", "s", "5d", "abc", "5 s"] {
            assert_eq!(parse_duration(bad), None, "{bad}");
        }
    }

    #[test]
    fn secrets_are_masked() {
        assert_eq!(
            redact("mysqladmin ping -h localhost -uroot -pS3cret"),
            "mysqladmin ping -h localhost -uroot -p****"
        );
        assert_eq!(redact("nc -l -p 18789"), "nc -l -p 18789");
        assert_eq!(
            redact("curl -f http://admin:hunter2@localhost:8080/"),
            "curl -f http://admin:****@localhost:8080/"
        );
        assert_eq!(
            redact("curl -H 'Authorization: Bearer abc.def' x"),
            "curl -H 'Authorization: Bearer ****' x"
        );
        assert_eq!(redact("PGPASSWORD=pw psql"), "PGPASSWORD=**** psql");
        assert_eq!(
            redact("redis-cli --pass s3 ping"),
            "redis-cli --pass **** ping"
        );
        assert_eq!(
            redact("wget -q -O- http://localhost/"),
            "wget -q -O- http://localhost/"
        );
    }

    #[test]
    fn stale_deployments_are_noticed() {
        use crate::model::{HealthCheck, HealthTest, TestForm};
        use crate::span::Spanned;
        let svc = Service {
            healthcheck: HealthCheck {
                test: Some(HealthTest {
                    form: TestForm::CmdShell(Spanned::new(
                        "wget -q -O- http://localhost/".into(),
                        Span::default(),
                    )),
                    span: Span::default(),
                    from_string: true,
                    ..Default::default()
                }),
                ..Default::default()
            },
            ..Default::default()
        };
        let deployed = |script: &str| {
            exec::command_from_test(&["CMD-SHELL".into(), script.into()], None).unwrap()
        };
        assert_eq!(
            matches_model(&deployed("wget -q -O- http://localhost/"), Some(&svc)),
            Some(true)
        );
        assert_eq!(
            matches_model(&deployed("curl -f http://localhost/"), Some(&svc)),
            Some(false)
        );
        assert_eq!(matches_model(&deployed("true"), None), None);
    }

    #[test]
    fn project_names_normalize_like_compose() {
        assert_eq!(normalize_project("My App.v2"), "myappv2");
        assert_eq!(normalize_project("hl-test_1"), "hl-test_1");
    }

    #[test]
    fn host_proc_refuses_a_foreign_pid() {
        let me = std::process::id() as i64;
        let err = read_host_proc(me, "0123456789abcdef0123456789abcdef").unwrap_err();
        assert!(err.contains("does not belong"), "{err}");
    }

    #[test]
    fn live_errors_exit_2_and_explain() {
        let e = LiveError::PermissionDenied {
            socket: "/var/run/docker.sock".into(),
        };
        assert_eq!(e.exit_code(), 2);
        assert!(e.to_string().contains("/var/run/docker.sock"));
    }
}
