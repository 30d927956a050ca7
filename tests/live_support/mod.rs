//! Shared pieces of the live tests: an engine (or a printed reason to skip), FROM-scratch
//! busybox images built through the engine's build API, containers labelled as a compose
//! project, and a guard that removes everything it created even when a test panics.
#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use bollard::Docker;
use bollard::models::{
    ContainerCreateBody, EndpointSettings, HealthConfig, HostConfig, NetworkCreateRequest,
    NetworkingConfig,
};
use bollard::query_parameters::{
    BuildImageOptionsBuilder, CreateContainerOptionsBuilder, RemoveContainerOptionsBuilder,
    RemoveImageOptionsBuilder,
};
use futures_util::StreamExt;
use healthlint::cli::{OutputArgs, ProjectArgs, VerifyArgs};
use healthlint::infer::{KindInfo, ServiceKind};
use healthlint::live::Engine;
use healthlint::model::{HealthCheck, HealthTest, Origin, Project, Service, TestForm};
use healthlint::pipeline::{Analysis, ServiceAnalysis};
use healthlint::span::{Span, Spanned};

pub const BUSYBOX: &str = "/bin/busybox";

/// The engine, or `None` with a printed reason; panics when `HEALTHLINT_REQUIRE_DOCKER=1` so
/// CI cannot skip silently.
pub async fn engine_or_skip() -> Option<Engine> {
    let reason = match Engine::connect().await {
        Ok(e) => {
            if std::path::Path::new(BUSYBOX).is_file() {
                return Some(e);
            }
            format!("no static busybox at {BUSYBOX} to build test images from")
        }
        Err(e) => format!("no Docker engine answers: {e}"),
    };
    if std::env::var("HEALTHLINT_REQUIRE_DOCKER").as_deref() == Ok("1") {
        panic!("HEALTHLINT_REQUIRE_DOCKER=1 but {reason}");
    }
    eprintln!("skipping: {reason} (set HEALTHLINT_REQUIRE_DOCKER=1 to make this fail)");
    None
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// Everything one test creates, removed on drop (containers, then networks, then images).
pub struct Fixture {
    pub docker: Docker,
    /// `hl-test-<pid>-<n>`: unique per test, also the compose project name.
    pub prefix: String,
    containers: Mutex<Vec<String>>,
    networks: Mutex<Vec<String>>,
    images: Mutex<Vec<String>>,
}

/// What a test container runs and how it is labelled.
pub struct Spec<'a> {
    pub service: &'a str,
    pub image: &'a str,
    pub cmd: Vec<String>,
    pub health: Option<HealthConfig>,
    pub network: Option<&'a str>,
    pub number: u32,
    pub oneoff: bool,
}

impl<'a> Spec<'a> {
    pub fn new(service: &'a str, image: &'a str, cmd: &[&str]) -> Self {
        Spec {
            service,
            image,
            cmd: cmd.iter().map(|s| s.to_string()).collect(),
            health: None,
            network: None,
            number: 1,
            oneoff: false,
        }
    }
    pub fn health(mut self, h: HealthConfig) -> Self {
        self.health = Some(h);
        self
    }
    pub fn network(mut self, n: &'a str) -> Self {
        self.network = Some(n);
        self
    }
}

/// A health check in the engine's terms, durations in milliseconds.
pub fn health(
    test: &[&str],
    interval_ms: u64,
    timeout_ms: u64,
    retries: i64,
    start_period_ms: u64,
) -> HealthConfig {
    HealthConfig {
        test: Some(test.iter().map(|s| s.to_string()).collect()),
        interval: Some(interval_ms as i64 * 1_000_000),
        timeout: Some(timeout_ms as i64 * 1_000_000),
        retries: Some(retries),
        start_period: Some(start_period_ms as i64 * 1_000_000),
        start_interval: None,
    }
}

impl Fixture {
    pub fn new(engine: &Engine) -> Fixture {
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        Fixture {
            docker: engine.docker.clone(),
            prefix: format!("hl-test-{}-{n}", std::process::id()),
            containers: Mutex::new(Vec::new()),
            networks: Mutex::new(Vec::new()),
            images: Mutex::new(Vec::new()),
        }
    }

    pub fn name(&self, suffix: &str) -> String {
        format!("{}-{suffix}", self.prefix)
    }

    /// Builds `FROM scratch` with the static busybox. `install` adds the applet links
    /// (`sh`, `wget`, `nc`, `httpd`, `cat`...) plus `/tmp` and a `/www/index.html`; without
    /// it the image holds `/busybox` alone, like a distroless image with one binary.
    pub async fn image(&self, install: bool) -> String {
        let tag = format!("{}:{}", self.prefix, if install { "bb" } else { "bare" });
        let dockerfile = if install {
            "FROM scratch\nCOPY busybox /bin/busybox\nRUN [\"/bin/busybox\", \"--install\", \"-s\", \"/bin\"]\nRUN mkdir -p /tmp /www && chmod 1777 /tmp && echo ok > /www/index.html\n"
        } else {
            "FROM scratch\nCOPY busybox /busybox\n"
        };
        let bb = std::fs::read(BUSYBOX).expect("read busybox");
        let mut tar = tar::Builder::new(Vec::new());
        let mut add = |path: &str, data: &[u8], mode: u32| {
            let mut h = tar::Header::new_gnu();
            h.set_size(data.len() as u64);
            h.set_mode(mode);
            h.set_cksum();
            tar.append_data(&mut h, path, data).expect("tar entry");
        };
        add("Dockerfile", dockerfile.as_bytes(), 0o644);
        add("busybox", &bb, 0o755);
        let body = tar.into_inner().expect("tar");
        self.images.lock().unwrap().push(tag.clone());
        let opts = BuildImageOptionsBuilder::default()
            .dockerfile("Dockerfile")
            .t(&tag)
            .rm(true)
            .forcerm(true)
            .build();
        let mut stream = Box::pin(self.docker.build_image(
            opts,
            None,
            Some(bollard::body_full(body.into())),
        ));
        let mut log = String::new();
        while let Some(item) = stream.next().await {
            match item {
                Ok(info) => {
                    if let Some(s) = info.stream {
                        log.push_str(&s);
                    }
                    if let Some(e) = info.error_detail {
                        panic!("image build failed: {e:?}\n{log}");
                    }
                }
                Err(e) => panic!("image build failed: {e}\n{log}"),
            }
        }
        tag
    }

    pub async fn network(&self, suffix: &str) -> String {
        let name = self.name(suffix);
        self.docker
            .create_network(NetworkCreateRequest {
                name: name.clone(),
                driver: Some("bridge".into()),
                ..Default::default()
            })
            .await
            .expect("create network");
        self.networks.lock().unwrap().push(name.clone());
        name
    }

    /// Creates and starts a container labelled as service `spec.service` of this project.
    /// Returns its name.
    pub async fn run(&self, spec: Spec<'_>) -> String {
        let name = self.name(&format!(
            "{}-{}{}",
            spec.service,
            spec.number,
            if spec.oneoff { "-run" } else { "" }
        ));
        let labels = HashMap::from([
            (
                "com.docker.compose.project".to_string(),
                self.prefix.clone(),
            ),
            (
                "com.docker.compose.service".to_string(),
                spec.service.to_string(),
            ),
            (
                "com.docker.compose.oneoff".to_string(),
                if spec.oneoff { "True" } else { "False" }.to_string(),
            ),
            (
                "com.docker.compose.container-number".to_string(),
                spec.number.to_string(),
            ),
        ]);
        let networking_config = spec.network.map(|n| NetworkingConfig {
            endpoints_config: Some(HashMap::from([(
                n.to_string(),
                EndpointSettings {
                    aliases: Some(vec![spec.service.to_string()]),
                    ..Default::default()
                },
            )])),
        });
        let body = ContainerCreateBody {
            image: Some(spec.image.to_string()),
            cmd: Some(spec.cmd),
            healthcheck: spec.health,
            labels: Some(labels),
            host_config: Some(HostConfig {
                network_mode: spec.network.map(str::to_string),
                ..Default::default()
            }),
            networking_config,
            ..Default::default()
        };
        self.containers.lock().unwrap().push(name.clone());
        self.docker
            .create_container(
                Some(CreateContainerOptionsBuilder::default().name(&name).build()),
                body,
            )
            .await
            .expect("create container");
        self.docker
            .start_container(&name, None)
            .await
            .expect("start container");
        name
    }

    /// Waits until `cond` holds for the container's inspect, or panics after `limit`.
    pub async fn wait_for(
        &self,
        name: &str,
        limit: Duration,
        cond: impl Fn(&bollard::models::ContainerInspectResponse) -> bool,
    ) -> bollard::models::ContainerInspectResponse {
        let start = std::time::Instant::now();
        loop {
            let i = self
                .docker
                .inspect_container(name, None)
                .await
                .expect("inspect");
            if cond(&i) {
                return i;
            }
            assert!(start.elapsed() < limit, "{name} never reached the state");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until the container's socket table shows `port` in LISTEN (`listen`) or an
    /// ESTABLISHED connection to a remote `port`, so scenarios never race their own start-up.
    pub async fn wait_socket(&self, name: &str, port: u16, listen: bool) {
        self.wait_socket_with(&["cat"], name, port, listen).await;
    }

    /// [`Fixture::wait_socket`] for images whose `cat` is called differently.
    pub async fn wait_socket_with(&self, cat: &[&str], name: &str, port: u16, listen: bool) {
        let argv: Vec<String> = cat
            .iter()
            .chain(&["/proc/net/tcp", "/proc/net/tcp6"])
            .map(|s| s.to_string())
            .collect();
        let start = std::time::Instant::now();
        loop {
            let out = healthlint::live::exec::run(
                &self.docker,
                name,
                &argv,
                None,
                None,
                Duration::from_secs(5),
            )
            .await;
            let rows = healthlint::live::sockets::parse(&out.stdout);
            let ready = rows.iter().any(|r| {
                if listen {
                    r.state == 0x0A && r.local.1 == port
                } else {
                    r.state == 0x01 && r.remote.1 == port
                }
            });
            if ready {
                return;
            }
            assert!(
                start.elapsed() < Duration::from_secs(15),
                "{name}: port {port} never showed up: {}",
                out.output
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn health_status(&self, name: &str) -> String {
        let i = self
            .docker
            .inspect_container(name, None)
            .await
            .expect("inspect");
        healthlint::live::watch::status_text(
            i.state
                .as_ref()
                .and_then(|s| s.health.as_ref())
                .and_then(|h| h.status.as_ref()),
        )
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let docker = self.docker.clone();
        let containers =
            std::mem::take(&mut *self.containers.lock().unwrap_or_else(|e| e.into_inner()));
        let networks =
            std::mem::take(&mut *self.networks.lock().unwrap_or_else(|e| e.into_inner()));
        let images = std::mem::take(&mut *self.images.lock().unwrap_or_else(|e| e.into_inner()));
        // Drop may run inside the test's runtime (or while unwinding from a panic in it):
        // clean up on a thread of our own with its own runtime.
        let cleanup = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async {
                for c in &containers {
                    let _ = docker
                        .remove_container(
                            c,
                            Some(
                                RemoveContainerOptionsBuilder::default()
                                    .force(true)
                                    .v(true)
                                    .build(),
                            ),
                        )
                        .await;
                }
                for n in &networks {
                    let _ = docker.remove_network(n).await;
                }
                for i in &images {
                    let _ = docker
                        .remove_image(
                            i,
                            Some(RemoveImageOptionsBuilder::default().force(true).build()),
                            None,
                        )
                        .await;
                }
            });
        });
        let _ = cleanup.join();
    }
}

/// A model service whose check matches what the container runs.
pub fn service(name: &str, test: Option<&[&str]>) -> Service {
    let form = test.map(|t| match t.first().copied() {
        Some("CMD-SHELL") => TestForm::CmdShell(Spanned::new(t[1..].join(" "), Span::default())),
        Some("CMD") => TestForm::Cmd(
            t[1..]
                .iter()
                .map(|a| Spanned::new(a.to_string(), Span::default()))
                .collect(),
        ),
        _ => TestForm::None,
    });
    Service {
        name: name.to_string(),
        active: true,
        healthcheck: HealthCheck {
            origin: if form.is_some() {
                Origin::Compose
            } else {
                Origin::None
            },
            test: form.map(|form| HealthTest {
                form,
                span: Span::default(),
                from_string: false,
                ..Default::default()
            }),
            ..Default::default()
        },
        ..Default::default()
    }
}

pub fn kind(kind: ServiceKind) -> KindInfo {
    KindInfo {
        kind,
        confidence: 0.9,
        ..Default::default()
    }
}

pub fn analysis(project: &str, services: Vec<(Service, KindInfo)>) -> Analysis {
    let (svcs, kinds): (Vec<Service>, Vec<KindInfo>) = services.into_iter().unzip();
    Analysis {
        project: Project {
            name: project.to_string(),
            services: svcs,
            ..Default::default()
        },
        services: kinds
            .into_iter()
            .map(|kind| ServiceAnalysis { kind, probe: None })
            .collect(),
        findings: Vec::new(),
        live: None,
    }
}

pub fn args(project: &str, cycles: Option<u32>, no_watch: bool) -> VerifyArgs {
    VerifyArgs {
        paths: Vec::new(),
        project: ProjectArgs {
            project_name: Some(project.to_string()),
            ..Default::default()
        },
        output: OutputArgs::default(),
        cycles,
        timeout: Some("40s".into()),
        services: Vec::new(),
        no_watch,
        show_secrets: false,
    }
}

/// The observation of container `name` in a report.
pub fn observation<'a>(obs: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    obs.as_array()
        .expect("observations are an array")
        .iter()
        .find(|o| o["container"] == name)
        .unwrap_or_else(|| panic!("no observation for {name} in {obs:#}"))
}

pub fn rules_for(report: &healthlint::live::LiveReport, service: &str) -> Vec<&'static str> {
    let mut v: Vec<&'static str> = report
        .findings
        .iter()
        .filter(|f| f.service.as_deref() == Some(service))
        .map(|f| f.rule)
        .collect();
    v.sort_unstable();
    v.dedup();
    v
}
