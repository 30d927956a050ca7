//! The normalized project every later stage works on. Compose files, `extends`, `include`,
//! several `-f` files and the Dockerfiles `build:` points to all collapse into one `Project`;
//! every field keeps the span it was read from so findings can point at it.

use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;

use crate::span::{FileId, Sources, Span, Spanned};

/// The whole loaded input: one compose project, or one Dockerfile linted on its own.
#[derive(Debug, Default)]
pub struct Project {
    pub name: String,
    pub dir: PathBuf,
    /// Compose files in load order (`-f` order, then included and extended files).
    pub compose_files: Vec<FileId>,
    pub services: Vec<Service>,
    /// Things the deploy has and the lint does not (missing `.env`, unset `${VAR:?}`, missing
    /// build context): reported as warnings, never load failures.
    pub warnings: Vec<LoadWarning>,
    pub sources: Sources,
    /// Service name → index, built by [`Project::index_services`] once loading is done. Rules,
    /// inference and suppressions look services up by name once per dependency, peer and
    /// finding; a scan each time would make a large project quadratic.
    pub service_index: std::collections::HashMap<String, usize>,
}

impl Project {
    pub fn service(&self, name: &str) -> Option<&Service> {
        self.service_position(name).map(|i| &self.services[i])
    }

    /// Index of the service called `name` in [`Project::services`].
    pub fn service_position(&self, name: &str) -> Option<usize> {
        if self.service_index.len() == self.services.len() {
            // An index of the same size was built over these services (they only grow during
            // loading); confirm the hit so a stale index can never return the wrong service.
            return self
                .service_index
                .get(name)
                .copied()
                .filter(|&i| self.services.get(i).is_some_and(|s| s.name == name));
        }
        self.services.iter().position(|s| s.name == name)
    }

    /// Builds the name index; call after the last service is added.
    pub fn index_services(&mut self) {
        self.service_index = self
            .services
            .iter()
            .enumerate()
            .map(|(i, s)| (s.name.clone(), i))
            .collect();
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum WarningKind {
    MissingEnvFile,
    MissingDotEnv,
    RequiredVariableUnset,
    UnsetVariable,
    MissingBuildContext,
    MissingDockerfile,
    UnreadableDockerfile,
    Other,
}

#[derive(Clone, Debug, Serialize)]
pub struct LoadWarning {
    pub kind: WarningKind,
    pub message: String,
    #[serde(skip)]
    pub span: Option<Span>,
}

/// One service after every merge, `extends`, interpolation and Dockerfile lookup.
#[derive(Debug, Clone, Default)]
pub struct Service {
    pub name: String,
    /// The service's key in the compose file (or the Dockerfile's first line when linted alone).
    pub span: Span,
    pub file: FileId,
    pub image: Option<Spanned<String>>,
    pub build: Option<Build>,
    pub ports: Vec<Port>,
    pub expose: Vec<Expose>,
    pub command: Option<CommandLine>,
    pub entrypoint: Option<CommandLine>,
    pub environment: Vec<EnvVar>,
    pub env_files: Vec<Spanned<PathBuf>>,
    pub labels: Vec<Label>,
    pub depends_on: Vec<Dependency>,
    pub restart: Option<Spanned<String>>,
    pub profiles: Vec<String>,
    pub user: Option<Spanned<String>>,
    /// Whether this service is active under the selected profiles.
    pub active: bool,
    /// The health check as the engine will run it: compose fields merged over the image's.
    pub healthcheck: HealthCheck,
    /// What we know of the image from its Dockerfile, when `build:` points at one we read.
    pub dockerfile: Option<ImageFacts>,
}

impl Service {
    pub fn label(&self, key: &str) -> Option<&Label> {
        self.labels.iter().rev().find(|l| l.key == key)
    }

    pub fn env(&self, key: &str) -> Option<&EnvVar> {
        self.environment.iter().rev().find(|e| e.key == key)
    }
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Build {
    pub context: Option<PathBuf>,
    pub dockerfile: Option<PathBuf>,
    pub dockerfile_inline: bool,
    pub target: Option<String>,
    pub args: Vec<(String, Option<String>)>,
    #[serde(skip)]
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    Tcp,
    Udp,
    Sctp,
}

/// A `ports:` entry. Only the container side (`target`) matters to a probe.
#[derive(Debug, Clone, Serialize)]
pub struct Port {
    /// First container port of the range.
    pub target: u16,
    /// Last container port (equal to `target` unless a range).
    pub target_end: u16,
    pub published: Option<String>,
    pub host_ip: Option<String>,
    pub protocol: Protocol,
    pub app_protocol: Option<String>,
    pub name: Option<String>,
    #[serde(skip)]
    pub span: Span,
}

/// `expose:` in compose or `EXPOSE` in a Dockerfile.
#[derive(Debug, Clone, Serialize)]
pub struct Expose {
    pub port: u16,
    pub port_end: u16,
    pub protocol: Protocol,
    #[serde(skip)]
    pub span: Span,
}

/// `command`, `entrypoint`, `CMD` or `ENTRYPOINT`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "form", content = "value", rename_all = "lowercase")]
pub enum CommandForm {
    /// A string, run through the image's shell (Dockerfile) or split like a shell (compose).
    Shell(String),
    /// A list: argv as written.
    Exec(Vec<String>),
}

#[derive(Debug, Clone, Serialize)]
pub struct CommandLine {
    #[serde(flatten)]
    pub form: CommandForm,
    #[serde(skip)]
    pub span: Span,
}

impl CommandLine {
    /// The command as one line of text, for pattern matching.
    pub fn text(&self) -> String {
        match &self.form {
            CommandForm::Shell(s) => s.clone(),
            CommandForm::Exec(v) => v.join(" "),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct EnvVar {
    pub key: String,
    /// `None` for `- KEY` with no value (taken from the host at run time).
    #[serde(skip)]
    pub value: Option<String>,
    #[serde(skip)]
    pub span: Span,
}

#[derive(Debug, Clone, Serialize)]
pub struct Label {
    pub key: String,
    pub value: String,
    #[serde(skip)]
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Condition {
    ServiceStarted,
    ServiceHealthy,
    ServiceCompletedSuccessfully,
}

#[derive(Debug, Clone, Serialize)]
pub struct Dependency {
    pub service: String,
    pub condition: Condition,
    pub required: bool,
    pub restart: bool,
    #[serde(skip)]
    pub span: Span,
}

/// Where the effective health check came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Origin {
    /// The compose file sets the test (possibly over an image's check).
    Compose,
    /// The test comes from the Dockerfile's HEALTHCHECK (compose may set timings).
    Dockerfile,
    /// The image is not built here: its own HEALTHCHECK, if any, is unknown.
    Image,
    /// No check from any source we can see.
    None,
}

/// The `test` of a check, in the engine's terms.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(tag = "form", content = "args", rename_all = "kebab-case")]
pub enum TestForm {
    /// `["CMD", argv...]`: exec, no shell.
    Cmd(Vec<Spanned<String>>),
    /// `["CMD-SHELL", script]` or a string: run through the image's shell.
    CmdShell(Spanned<String>),
    /// `["NONE"]`: disabled.
    #[default]
    None,
    /// Anything else compose or the engine would reject (HL207): kept as written.
    Invalid(Vec<Spanned<String>>),
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct HealthTest {
    #[serde(flatten)]
    pub form: TestForm,
    /// The whole `test` value (compose) or the HEALTHCHECK instruction (Dockerfile).
    #[serde(skip)]
    pub span: Span,
    /// Test text came from a compose string (`test: curl ...`) rather than a list.
    #[serde(skip)]
    pub from_string: bool,
    /// Variables compose substituted from the host into the test text (`$PORT` rather than
    /// `$$PORT`): the container shell never sees them.
    #[serde(skip)]
    pub host_vars: Vec<HostVar>,
}

/// One `$NAME` / `${NAME...}` that compose replaced in a health check test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostVar {
    pub name: String,
    /// Whether the variable had a value when the file was loaded.
    pub set: bool,
    /// The `$NAME` text in the compose file.
    pub span: Span,
}

/// The effective health check after merging compose over the Dockerfile, field by field, the
/// way the engine does.
#[derive(Debug, Clone, Serialize)]
pub struct HealthCheck {
    pub origin: Origin,
    pub test: Option<HealthTest>,
    /// `disable: true` or `test: ["NONE"]` / `HEALTHCHECK NONE`.
    pub disabled: bool,
    #[serde(serialize_with = "ser_opt_ms")]
    pub interval: Option<Spanned<Duration>>,
    #[serde(serialize_with = "ser_opt_ms")]
    pub timeout: Option<Spanned<Duration>>,
    #[serde(serialize_with = "ser_opt_ms")]
    pub start_period: Option<Spanned<Duration>>,
    #[serde(serialize_with = "ser_opt_ms")]
    pub start_interval: Option<Spanned<Duration>>,
    pub retries: Option<Spanned<u32>>,
    /// The `healthcheck:` block or HEALTHCHECK instruction that defines the test.
    #[serde(skip)]
    pub span: Option<Span>,
    /// Durations written in a form the engine or compose rejects (HL303): field and text.
    #[serde(skip)]
    pub invalid_durations: Vec<(String, Spanned<String>)>,
}

impl Default for HealthCheck {
    fn default() -> Self {
        HealthCheck {
            origin: Origin::None,
            test: None,
            disabled: false,
            interval: None,
            timeout: None,
            start_period: None,
            start_interval: None,
            retries: None,
            span: None,
            invalid_durations: Vec::new(),
        }
    }
}

/// Engine defaults (moby `daemon/health.go`).
pub mod defaults {
    use std::time::Duration;
    pub const INTERVAL: Duration = Duration::from_secs(30);
    pub const TIMEOUT: Duration = Duration::from_secs(30);
    pub const START_PERIOD: Duration = Duration::ZERO;
    pub const START_INTERVAL: Duration = Duration::from_secs(5);
    pub const RETRIES: u32 = 3;
}

impl HealthCheck {
    /// True when the engine will run a probe.
    pub fn is_active(&self) -> bool {
        !self.disabled && matches!(&self.test, Some(t) if !matches!(t.form, TestForm::None))
    }

    pub fn interval_or_default(&self) -> Duration {
        self.interval
            .as_ref()
            .map_or(defaults::INTERVAL, |d| d.value)
    }
    pub fn timeout_or_default(&self) -> Duration {
        self.timeout.as_ref().map_or(defaults::TIMEOUT, |d| d.value)
    }
    pub fn start_period_or_default(&self) -> Duration {
        self.start_period
            .as_ref()
            .map_or(defaults::START_PERIOD, |d| d.value)
    }
    pub fn retries_or_default(&self) -> u32 {
        self.retries
            .as_ref()
            .map(|r| r.value)
            .filter(|&r| r > 0)
            .unwrap_or(defaults::RETRIES)
    }
}

fn ser_opt_ms<S: serde::Serializer>(
    d: &Option<Spanned<Duration>>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => s.serialize_some(&(d.value.as_millis() as u64)),
        None => s.serialize_none(),
    }
}

/// What a Dockerfile tells about the image it builds (its effective stage), for inference,
/// tool presence and the inherited health check.
#[derive(Debug, Clone, Default)]
pub struct ImageFacts {
    pub dockerfile: FileId,
    /// The effective stage's name, if it has one.
    pub stage: Option<String>,
    /// The first external base image reached by following `FROM <stage>` links.
    pub base_image: Option<Spanned<String>>,
    pub healthcheck: Option<HealthCheck>,
    pub expose: Vec<Expose>,
    pub cmd: Option<CommandLine>,
    pub entrypoint: Option<CommandLine>,
    /// `SHELL` of the effective stage (CMD-SHELL runs through it).
    pub shell: Option<Vec<String>>,
    pub user: Option<Spanned<String>>,
    pub env: Vec<EnvVar>,
    pub labels: Vec<Label>,
    /// Packages installed by RUN lines (apt-get/apk/dnf/yum/microdnf install), with the span of
    /// the RUN instruction.
    pub installed_packages: Vec<Spanned<String>>,
    /// Destination paths of COPY/ADD (notably `COPY --from=... /bin/grpc_health_probe`).
    pub copied_paths: Vec<Spanned<String>>,
    /// A COPY from another stage or image drops whole directories onto the filesystem
    /// (`COPY --from=deps /install/usr /usr`): any tool may have arrived, so absence is unknown.
    pub bulk_copy: bool,
    /// HEALTHCHECK instructions that have no effect: (span, why).
    pub ineffective_healthchecks: Vec<(Span, IneffectiveReason)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IneffectiveReason {
    /// A later HEALTHCHECK in the same stage overrides it (HL601).
    Overridden,
    /// It sits in a stage that is not exported (HL602).
    NonFinalStage,
}
