//! Watches the engine's own health cycles: `health_status` events wake the loop, `State.Health`
//! is read on every wake-up, and each new probe result is replayed through the engine's state
//! machine (start period, failing streak, retries) so the verdict is ours, not a copy of the
//! engine's, and can be compared with it.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use bollard::models::{ContainerInspectResponse, Health, HealthStatusEnum, HealthcheckResult};
use bollard::query_parameters::EventsOptionsBuilder;
use futures_util::StreamExt;
use futures_util::future::join_all;
use serde::Serialize;

use super::discover::LABEL_PROJECT;
use super::engine::{Engine, is_not_found};
use super::render::Progress;
use crate::model::defaults;

/// Slack added to every watch bound for scheduling jitter and exec start-up.
pub const WATCH_MARGIN: Duration = Duration::from_secs(5);
const POLL: Duration = Duration::from_millis(250);

/// The timings the engine applies, defaults filled in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct HealthSpec {
    #[serde(rename = "interval_ms", serialize_with = "ser_ms")]
    pub interval: Duration,
    #[serde(rename = "timeout_ms", serialize_with = "ser_ms")]
    pub timeout: Duration,
    #[serde(rename = "start_period_ms", serialize_with = "ser_ms")]
    pub start_period: Duration,
    #[serde(rename = "start_interval_ms", serialize_with = "ser_ms")]
    pub start_interval: Duration,
    pub retries: u32,
}

fn ser_ms<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(d.as_millis() as u64)
}

impl Default for HealthSpec {
    fn default() -> Self {
        HealthSpec {
            interval: defaults::INTERVAL,
            timeout: defaults::TIMEOUT,
            start_period: defaults::START_PERIOD,
            start_interval: defaults::START_INTERVAL,
            retries: defaults::RETRIES,
        }
    }
}

impl HealthSpec {
    /// The worst case from container start until the engine must have decided: the start
    /// period, then `count` probes each taking up to interval + timeout.
    pub fn bound(&self, count: u32) -> Duration {
        self.start_period + (self.interval + self.timeout) * (count + 1) + WATCH_MARGIN
    }
}

/// Nanoseconds since the epoch from an RFC 3339 timestamp as the engine writes it
/// (`2026-11-25T06:37:36.123456789Z`, or with a numeric offset). `None` for the zero time.
pub fn parse_time(s: &str) -> Option<i128> {
    let b = s.as_bytes();
    if b.len() < 20 {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> { s.get(r)?.parse().ok() };
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if y <= 1 {
        return None;
    }
    let mut i = 19;
    let mut nanos: i64 = 0;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        let frac = &s[start..i];
        let digits = frac.len().min(9);
        nanos = frac[..digits].parse::<i64>().ok()? * 10i64.pow((9 - digits) as u32);
    }
    let offset_s: i64 = match b.get(i) {
        Some(b'Z') | Some(b'z') => 0,
        Some(sign @ (b'+' | b'-')) => {
            let oh = num(i + 1..i + 3)?;
            let om = num(i + 4..i + 6)?;
            let o = oh * 3600 + om * 60;
            if *sign == b'+' { o } else { -o }
        }
        _ => return None,
    };
    // Days from civil (Howard Hinnant's algorithm).
    let y2 = if mo <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let mp = (mo + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days * 86_400 + h * 3600 + mi * 60 + sec - offset_s;
    Some(secs as i128 * 1_000_000_000 + nanos as i128)
}

/// One probe result from `State.Health.Log`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProbeRecord {
    /// The raw `Start` text: unique per probe, used to skip results already applied.
    pub key: String,
    pub start_ns: Option<i128>,
    pub end_ns: Option<i128>,
    pub exit_code: i64,
    pub output: String,
}

impl ProbeRecord {
    pub fn from_engine(r: &HealthcheckResult) -> Option<ProbeRecord> {
        let start = r.start.clone()?;
        Some(ProbeRecord {
            start_ns: parse_time(&start),
            end_ns: r.end.as_deref().and_then(parse_time),
            key: start,
            exit_code: r.exit_code.unwrap_or(-1),
            output: r.output.clone().unwrap_or_default(),
        })
    }

    pub fn ok(&self) -> bool {
        self.exit_code == 0
    }
}

/// The engine's health state machine (moby `daemon/health.go`, `handleProbeResult`), fed with
/// results as they appear.
#[derive(Clone, Debug)]
pub struct Replay {
    pub status: String,
    pub failing_streak: u32,
    spec: HealthSpec,
    started_ns: Option<i128>,
    seen: HashSet<String>,
    /// Pass/fail of every result known, oldest first (the log at seeding included).
    pub history: Vec<bool>,
    /// Results applied since seeding: the cycles watched.
    pub cycles: u32,
    pub time_to_healthy: Option<Duration>,
    pub last_output: Option<String>,
}

impl Replay {
    /// Starts from the engine's state at the first look; the results already in its log are
    /// history, not cycles watched.
    pub fn seed(health: Option<&Health>, started_ns: Option<i128>, spec: HealthSpec) -> Replay {
        let mut r = Replay {
            status: "starting".into(),
            failing_streak: 0,
            spec,
            started_ns,
            seen: HashSet::new(),
            history: Vec::new(),
            cycles: 0,
            time_to_healthy: None,
            last_output: None,
        };
        let Some(h) = health else {
            r.status = "none".into();
            return r;
        };
        r.status = status_text(h.status.as_ref());
        r.failing_streak = h.failing_streak.unwrap_or(0).max(0) as u32;
        let log: Vec<ProbeRecord> = h
            .log
            .iter()
            .flatten()
            .filter_map(ProbeRecord::from_engine)
            .collect();
        // A log shorter than the engine's five entries is the whole history since start.
        let complete = log.len() < 5;
        for rec in &log {
            r.seen.insert(rec.key.clone());
            r.history.push(rec.ok());
            r.last_output = Some(rec.output.clone());
        }
        if r.status == "healthy" && complete {
            r.time_to_healthy = log
                .iter()
                .find(|p| p.ok())
                .and_then(|p| r.since_start(p.end_ns));
        }
        r
    }

    fn since_start(&self, at: Option<i128>) -> Option<Duration> {
        let d = at? - self.started_ns?;
        (d >= 0).then(|| Duration::from_nanos(d as u64))
    }

    /// Applies one result the way the engine does.
    pub fn apply(&mut self, rec: &ProbeRecord) {
        if !self.seen.insert(rec.key.clone()) {
            return;
        }
        self.cycles += 1;
        self.history.push(rec.ok());
        self.last_output = Some(rec.output.clone());
        if rec.ok() {
            self.failing_streak = 0;
            if self.status != "healthy" && self.time_to_healthy.is_none() {
                self.time_to_healthy = self.since_start(rec.end_ns);
            }
            self.status = "healthy".into();
            return;
        }
        let in_start_period = match (rec.start_ns, self.started_ns) {
            (Some(p), Some(s)) => p - s < self.spec.start_period.as_nanos() as i128,
            _ => false,
        };
        if self.status == "starting" && in_start_period {
            return;
        }
        self.failing_streak += 1;
        if self.failing_streak >= self.spec.retries.max(1) {
            self.status = "unhealthy".into();
        }
    }

    /// Applies every result of the log not seen yet, oldest first.
    pub fn observe(&mut self, health: Option<&Health>) {
        let Some(h) = health else { return };
        for r in h.log.iter().flatten() {
            if let Some(rec) = ProbeRecord::from_engine(r) {
                self.apply(&rec);
            }
        }
    }

    /// The engine closes the monitor of a stopped or paused container and sets its status to
    /// `unhealthy` "for compatibility" (moby `CloseMonitorChannel`).
    pub fn stopped(&mut self) {
        if self.status != "none" {
            self.status = "unhealthy".into();
        }
    }

    /// How many times consecutive results switched between pass and fail.
    pub fn alternations(&self) -> u32 {
        self.history.windows(2).filter(|w| w[0] != w[1]).count() as u32
    }

    pub fn flapping(&self) -> bool {
        self.alternations() >= 2
    }
}

pub fn status_text(s: Option<&HealthStatusEnum>) -> String {
    match s {
        Some(HealthStatusEnum::STARTING) => "starting",
        Some(HealthStatusEnum::HEALTHY) => "healthy",
        Some(HealthStatusEnum::UNHEALTHY) => "unhealthy",
        _ => "none",
    }
    .to_string()
}

/// What the watch of one container found.
#[derive(Clone, Debug, Serialize)]
pub struct WatchSummary {
    /// healthlint's verdict, from replaying the results.
    pub status: String,
    /// The engine's own `State.Health.Status` at the end of the watch.
    pub engine_status: String,
    pub cycles: u32,
    #[serde(rename = "elapsed_ms", serialize_with = "ser_ms")]
    pub elapsed: Duration,
    pub failing_streak: u32,
    pub flapping: bool,
    pub alternations: u32,
    /// Pass/fail of each result, oldest first.
    pub results: Vec<bool>,
    #[serde(rename = "time_to_healthy_ms", serialize_with = "ser_opt_ms")]
    pub time_to_healthy: Option<Duration>,
    #[serde(skip)]
    pub last_output: Option<String>,
    /// `health_status` events received for this container.
    pub events: u32,
    /// False when the watch hit its bound before the container settled.
    pub settled: bool,
    /// The container's state at the end (`running`, `exited`, `removed`...).
    pub container_state: String,
    pub exit_code: Option<i64>,
    pub oom_killed: bool,
}

fn ser_opt_ms<S: serde::Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => s.serialize_some(&(d.as_millis() as u64)),
        None => s.serialize_none(),
    }
}

/// One container to watch.
#[derive(Clone, Debug)]
pub struct Target {
    pub id: String,
    pub label: String,
    pub spec: HealthSpec,
    pub inspect: ContainerInspectResponse,
}

/// How long and how much to watch.
#[derive(Clone, Copy, Debug, Default)]
pub struct WatchOptions {
    /// Stop after this many new results per container; `None`: until healthy or unhealthy.
    pub cycles: Option<u32>,
    /// Hard limit for the whole watch.
    pub timeout: Option<Duration>,
}

struct Watched {
    replay: Replay,
    engine_status: String,
    running: bool,
    container_state: String,
    exit_code: Option<i64>,
    oom_killed: bool,
    removed: bool,
    events: u32,
    deadline: Instant,
}

fn started_ns(i: &ContainerInspectResponse) -> Option<i128> {
    i.state
        .as_ref()
        .and_then(|s| s.started_at.as_deref())
        .and_then(parse_time)
}

fn health(i: &ContainerInspectResponse) -> Option<&Health> {
    i.state.as_ref().and_then(|s| s.health.as_ref())
}

fn is_running(i: &ContainerInspectResponse) -> bool {
    i.state.as_ref().and_then(|s| s.running).unwrap_or(false)
}

fn now_ns() -> i128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i128)
}

impl Watched {
    fn settled(&self, opts: &WatchOptions) -> bool {
        if self.removed || !self.running || self.replay.status == "none" {
            return true;
        }
        match opts.cycles {
            Some(n) => self.replay.cycles >= n,
            None => matches!(self.replay.status.as_str(), "healthy" | "unhealthy"),
        }
    }
}

/// Watches every target until each settles or its bound passes. Returns one summary per
/// target, in order. Removed containers end with engine status `removed`.
pub async fn watch(
    engine: &Engine,
    project: &str,
    targets: &[Target],
    opts: WatchOptions,
    progress: &Progress,
) -> Vec<WatchSummary> {
    let begin = Instant::now();
    let now = now_ns();
    let hard = opts.timeout.map(|t| begin + t);
    let mut state: Vec<Watched> = targets
        .iter()
        .map(|t| {
            let started = started_ns(&t.inspect);
            let replay = Replay::seed(health(&t.inspect), started, t.spec);
            let count = opts.cycles.unwrap_or(t.spec.retries);
            // The bound counts from container start; a container up for long gets at least
            // `count` fresh cycles from now.
            let up = started.map_or(Duration::ZERO, |s| {
                Duration::from_nanos((now - s).max(0) as u64)
            });
            let from_start = t.spec.bound(count).saturating_sub(up);
            let fresh = (t.spec.interval + t.spec.timeout) * (count + 1) + WATCH_MARGIN;
            let bound = if opts.cycles.is_some() {
                from_start.max(fresh)
            } else {
                from_start.max(t.spec.interval + t.spec.timeout + WATCH_MARGIN)
            };
            let mut deadline = begin + bound;
            if let Some(h) = hard {
                deadline = deadline.min(h);
            }
            Watched {
                engine_status: replay.status.clone(),
                replay,
                running: is_running(&t.inspect),
                container_state: "running".into(),
                exit_code: None,
                oom_killed: false,
                removed: false,
                events: 0,
                deadline,
            }
        })
        .collect();
    for (t, w) in targets.iter().zip(&state) {
        progress.watch_start(&t.id, &t.label, &w.replay.status);
    }

    let index: HashMap<&str, usize> = targets
        .iter()
        .enumerate()
        .map(|(i, t)| (t.id.as_str(), i))
        .collect();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    let filters: HashMap<String, Vec<String>> = HashMap::from([
        ("type".to_string(), vec!["container".to_string()]),
        ("event".to_string(), vec!["health_status".to_string()]),
        (
            "label".to_string(),
            vec![format!("{LABEL_PROJECT}={project}")],
        ),
    ]);
    let docker = engine.docker.clone();
    let events = tokio::spawn(async move {
        let opts = EventsOptionsBuilder::default().filters(&filters).build();
        let mut stream = Box::pin(docker.events(Some(opts)));
        while let Some(Ok(ev)) = stream.next().await {
            if let Some(id) = ev.actor.and_then(|a| a.id)
                && tx.send(id).is_err()
            {
                break;
            }
        }
    });

    loop {
        let pending: Vec<usize> = (0..targets.len())
            .filter(|&i| !state[i].settled(&opts) && Instant::now() < state[i].deadline)
            .collect();
        if pending.is_empty() {
            break;
        }
        let next_deadline = pending.iter().map(|&i| state[i].deadline).min();
        let sleep = next_deadline
            .map_or(POLL, |d| d.saturating_duration_since(Instant::now()))
            .min(POLL);
        tokio::select! {
            Some(id) = rx.recv() => {
                if let Some(&i) = index.get(id.as_str()) {
                    state[i].events += 1;
                }
                while let Ok(id) = rx.try_recv() {
                    if let Some(&i) = index.get(id.as_str()) {
                        state[i].events += 1;
                    }
                }
            }
            _ = tokio::time::sleep(sleep) => {}
        }
        refresh(engine, targets, &mut state, &pending, progress).await;
    }
    events.abort();

    // One last look at everything, so the verdict and the engine's status are read together.
    let all: Vec<usize> = (0..targets.len()).filter(|&i| !state[i].removed).collect();
    refresh(engine, targets, &mut state, &all, progress).await;
    let elapsed = begin.elapsed();
    let summaries: Vec<WatchSummary> = state
        .into_iter()
        .map(|w| {
            let settled = w.settled(&opts);
            WatchSummary {
                status: w.replay.status.clone(),
                engine_status: w.engine_status,
                cycles: w.replay.cycles,
                elapsed,
                failing_streak: w.replay.failing_streak,
                flapping: w.replay.flapping(),
                alternations: w.replay.alternations(),
                results: w.replay.history.clone(),
                time_to_healthy: w.replay.time_to_healthy,
                last_output: w.replay.last_output.clone(),
                events: w.events,
                settled,
                container_state: w.container_state,
                exit_code: w.exit_code,
                oom_killed: w.oom_killed,
            }
        })
        .collect();
    for (t, s) in targets.iter().zip(&summaries) {
        progress.watch_done(&t.id, &t.label, s);
    }
    summaries
}

async fn refresh(
    engine: &Engine,
    targets: &[Target],
    state: &mut [Watched],
    which: &[usize],
    progress: &Progress,
) {
    let looks = join_all(which.iter().map(|&i| {
        let id = targets[i].id.clone();
        async move {
            let r = tokio::time::timeout(
                Duration::from_secs(10),
                engine.docker.inspect_container(&id, None),
            )
            .await;
            (i, r)
        }
    }))
    .await;
    for (i, r) in looks {
        let w = &mut state[i];
        match r {
            Ok(Ok(inspect)) => {
                w.replay.observe(health(&inspect));
                w.engine_status = status_text(health(&inspect).and_then(|h| h.status.as_ref()));
                w.running = is_running(&inspect);
                let paused = inspect.state.as_ref().and_then(|s| s.paused) == Some(true);
                if !w.running || paused {
                    w.replay.stopped();
                }
                if let Some(st) = inspect.state.as_ref() {
                    if let Some(s) = st.status.as_ref() {
                        w.container_state = s.to_string();
                    }
                    w.exit_code = st.exit_code;
                    w.oom_killed = st.oom_killed.unwrap_or(false);
                }
                progress.watch_update(
                    &targets[i].id,
                    &w.replay.status,
                    w.replay.cycles,
                    w.replay.failing_streak,
                );
            }
            Ok(Err(e)) if is_not_found(&e) => {
                w.removed = true;
                w.running = false;
                w.engine_status = "removed".into();
                w.container_state = "removed".into();
            }
            // A slow or failed inspect is retried on the next tick.
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(key: u32, start_s: i128, ok: bool) -> ProbeRecord {
        ProbeRecord {
            key: key.to_string(),
            start_ns: Some(start_s * 1_000_000_000),
            end_ns: Some(start_s * 1_000_000_000 + 50_000_000),
            exit_code: if ok { 0 } else { 1 },
            output: String::new(),
        }
    }

    fn spec(retries: u32, start_period_s: u64) -> HealthSpec {
        HealthSpec {
            interval: Duration::from_secs(1),
            timeout: Duration::from_secs(1),
            start_period: Duration::from_secs(start_period_s),
            start_interval: Duration::from_secs(5),
            retries,
        }
    }

    fn fresh(s: HealthSpec) -> Replay {
        Replay::seed(
            Some(&Health {
                status: Some(HealthStatusEnum::STARTING),
                failing_streak: Some(0),
                log: Some(vec![]),
            }),
            Some(0),
            s,
        )
    }

    #[test]
    fn parses_engine_timestamps() {
        assert_eq!(parse_time("1970-01-01T00:00:01.5Z"), Some(1_500_000_000));
        assert_eq!(
            parse_time("2026-11-25T06:37:36.123456789Z"),
            Some(1_795_588_656_123_456_789)
        );
        assert_eq!(
            parse_time("2026-11-25T07:37:36+01:00"),
            parse_time("2026-11-25T06:37:36Z")
        );
        assert_eq!(parse_time("0001-01-01T00:00:00Z"), None);
        assert_eq!(parse_time("garbage"), None);
    }

    #[test]
    fn failures_reach_unhealthy_after_retries() {
        let mut r = fresh(spec(3, 0));
        r.apply(&rec(1, 1, false));
        r.apply(&rec(2, 2, false));
        assert_eq!(r.status, "starting");
        r.apply(&rec(3, 3, false));
        assert_eq!(r.status, "unhealthy");
        assert_eq!(r.failing_streak, 3);
        r.apply(&rec(3, 3, false));
        assert_eq!(r.cycles, 3, "a result already seen is not counted twice");
    }

    #[test]
    fn start_period_failures_do_not_count() {
        let mut r = fresh(spec(1, 5));
        for i in 1..=4 {
            r.apply(&rec(i, i as i128, false));
        }
        assert_eq!(r.status, "starting");
        r.apply(&rec(6, 6, true));
        assert_eq!(r.status, "healthy");
        assert_eq!(r.time_to_healthy, Some(Duration::from_millis(6050)));
        assert!(!r.flapping());
    }

    #[test]
    fn alternating_results_flap() {
        let mut r = fresh(spec(1, 0));
        for (i, ok) in [true, false, true, false].into_iter().enumerate() {
            r.apply(&rec(i as u32, i as i128 + 1, ok));
        }
        assert_eq!(r.status, "unhealthy");
        assert_eq!(r.alternations(), 3);
        assert!(r.flapping());
    }

    #[test]
    fn seeding_keeps_engine_state_and_history() {
        let h = Health {
            status: Some(HealthStatusEnum::HEALTHY),
            failing_streak: Some(0),
            log: Some(vec![HealthcheckResult {
                start: Some("1970-01-01T00:00:02Z".into()),
                end: Some("1970-01-01T00:00:02.1Z".into()),
                exit_code: Some(0),
                output: Some("ok".into()),
            }]),
        };
        let mut r = Replay::seed(Some(&h), Some(0), spec(3, 0));
        assert_eq!(r.status, "healthy");
        assert_eq!(r.history, vec![true]);
        assert_eq!(r.cycles, 0);
        assert_eq!(r.time_to_healthy, Some(Duration::from_millis(2100)));
        r.observe(Some(&h));
        assert_eq!(r.cycles, 0);
        r.stopped();
        assert_eq!(r.status, "unhealthy", "a stopped container reads unhealthy");
        assert_eq!(Replay::seed(None, None, spec(3, 0)).status, "none");
    }
}
