//! The rules. Each rule is one small file holding a unit struct that implements [`Rule`]; its
//! metadata (name, severity, summary, rationale, examples) lives in `rules/rules.toml`. Rules
//! see the model, the inferred kind and the parsed probe, never raw YAML, and do no I/O.

pub mod docs;
mod helpers;
pub mod meta;
#[cfg(test)]
pub(crate) mod testing;

mod awaited_service_without_healthcheck;
mod client_check_cannot_see_stale_connection;
mod curl_without_fail;
mod depends_on_healthy_without_healthcheck;
mod detection_window_out_of_range;
mod exec_form_with_shell_syntax;
mod generic_probe_on_database;
mod healthcheck_disabled_but_awaited;
mod healthcheck_in_non_final_stage;
mod healthcheck_on_oneshot;
mod http_probe_on_non_http_service;
mod http_probe_on_websocket_endpoint;
mod invalid_duration;
mod invalid_test_form;
mod liveness_only_check_on_server;
mod localhost_may_resolve_to_ipv6;
mod multiple_healthchecks;
mod netstat_not_portable;
mod pgrep_matches_own_shell;
mod probe_cannot_fail;
mod probe_checks_another_service;
mod probe_port_not_served;
mod probe_tool_missing_in_image;
mod reserved_exit_code;
mod server_disables_healthcheck;
mod shell_form_on_shell_less_image;
mod slow_starter_without_start_period;
mod start_interval_unsupported;
mod start_interval_without_start_period;
mod timeout_not_below_interval;
mod unescaped_dollar_in_compose_test;

pub use awaited_service_without_healthcheck::AwaitedServiceWithoutHealthcheck;
pub use client_check_cannot_see_stale_connection::ClientCheckCannotSeeStaleConnection;
pub use curl_without_fail::CurlWithoutFail;
pub use depends_on_healthy_without_healthcheck::DependsOnHealthyWithoutHealthcheck;
pub use detection_window_out_of_range::DetectionWindowOutOfRange;
pub use exec_form_with_shell_syntax::ExecFormWithShellSyntax;
pub use generic_probe_on_database::GenericProbeOnDatabase;
pub use healthcheck_disabled_but_awaited::HealthcheckDisabledButAwaited;
pub use healthcheck_in_non_final_stage::HealthcheckInNonFinalStage;
pub use healthcheck_on_oneshot::HealthcheckOnOneshot;
pub use http_probe_on_non_http_service::HttpProbeOnNonHttpService;
pub use http_probe_on_websocket_endpoint::HttpProbeOnWebsocketEndpoint;
pub use invalid_duration::InvalidDuration;
pub use invalid_test_form::InvalidTestForm;
pub use liveness_only_check_on_server::LivenessOnlyCheckOnServer;
pub use localhost_may_resolve_to_ipv6::LocalhostMayResolveToIpv6;
pub use multiple_healthchecks::MultipleHealthchecks;
pub use pgrep_matches_own_shell::PgrepMatchesOwnShell;
pub use probe_cannot_fail::ProbeCannotFail;
pub use probe_checks_another_service::ProbeChecksAnotherService;
pub use probe_port_not_served::ProbePortNotServed;
pub use reserved_exit_code::ReservedExitCode;
pub use server_disables_healthcheck::ServerDisablesHealthcheck;
pub use shell_form_on_shell_less_image::ShellFormOnShellLessImage;
pub use slow_starter_without_start_period::SlowStarterWithoutStartPeriod;
pub use start_interval_unsupported::StartIntervalUnsupported;
pub use start_interval_without_start_period::StartIntervalWithoutStartPeriod;
pub use timeout_not_below_interval::TimeoutNotBelowInterval;
pub use unescaped_dollar_in_compose_test::UnescapedDollarInComposeTest;

use serde::{Deserialize, Serialize};

use crate::infer::KindInfo;
use crate::model::{Project, Service};
use crate::pipeline::ServiceAnalysis;
use crate::probe::Probe;
use crate::span::Span;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// A secondary location worth showing with the finding (the port declaration, the env var
/// that made the service a client).
#[derive(Clone, Debug, Serialize)]
pub struct Label {
    pub span: Span,
    pub message: String,
}

/// A proposed replacement: the text to put at `span`.
#[derive(Clone, Debug, Serialize)]
pub struct Fix {
    pub description: String,
    #[serde(skip)]
    pub span: Span,
    pub replacement: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct Finding {
    pub rule: &'static str,
    pub severity: Severity,
    pub service: Option<String>,
    pub span: Span,
    /// What will happen at run time, one sentence, no trailing period.
    pub message: String,
    pub labels: Vec<Label>,
    pub fix: Option<Fix>,
}

impl Finding {
    /// A finding at the rule's default severity (from `rules/rules.toml`).
    pub fn new(rule: &'static str, span: Span, message: impl Into<String>) -> Self {
        Finding {
            rule,
            severity: meta::get(rule).map_or(Severity::Warning, |m| m.severity),
            service: None,
            span,
            message: message.into(),
            labels: Vec::new(),
            fix: None,
        }
    }

    pub fn with_service(mut self, name: &str) -> Self {
        self.service = Some(name.to_string());
        self
    }

    /// Adds a secondary label; labels without a real position, or at a place already shown,
    /// are dropped.
    pub fn with_label(mut self, span: Option<Span>, message: impl Into<String>) -> Self {
        let seen = |s: &Span| self.labels.iter().any(|l| l.span == *s) || *s == self.span;
        if let Some(span) = span.filter(|s| !s.is_dummy() && !seen(s)) {
            self.labels.push(Label {
                span,
                message: message.into(),
            });
        }
        self
    }

    pub fn with_labels(mut self, labels: impl IntoIterator<Item = Label>) -> Self {
        self.labels.extend(labels);
        self
    }

    pub fn with_fix(mut self, fix: Option<Fix>) -> Self {
        self.fix = fix;
        self
    }
}

/// Everything a rule may look at for one service.
pub struct ServiceCtx<'a> {
    pub project: &'a Project,
    pub service: &'a Service,
    pub kind: &'a KindInfo,
    /// `None` when the service has no active check.
    pub probe: Option<&'a Probe>,
}

/// The whole project with what was inferred for each service, for rules about wiring between
/// services (a dependency's kind and check matter to its dependents).
pub struct ProjectCtx<'a> {
    pub project: &'a Project,
    /// Index-aligned with `project.services`.
    pub services: &'a [ServiceAnalysis],
}

impl<'a> ProjectCtx<'a> {
    /// A service of the project and its analysis, by name.
    pub fn service(&self, name: &str) -> Option<(&'a Service, &'a ServiceAnalysis)> {
        let i = self.project.service_position(name)?;
        Some((&self.project.services[i], self.services.get(i)?))
    }

    /// Every dependency of an active service with `condition` whose target is in the project:
    /// (dependent, dependency, target, target's analysis).
    pub fn dependencies(
        &self,
        condition: crate::model::Condition,
    ) -> impl Iterator<
        Item = (
            &'a Service,
            &'a crate::model::Dependency,
            &'a Service,
            &'a ServiceAnalysis,
        ),
    > + '_ {
        self.iter().flat_map(move |(service, _)| {
            service
                .depends_on
                .iter()
                .filter(move |d| d.condition == condition)
                .filter_map(move |d| {
                    let (target, analysis) = self.service(&d.service)?;
                    Some((service, d, target, analysis))
                })
        })
    }

    /// Active services with their analyses.
    pub fn iter(&self) -> impl Iterator<Item = (&'a Service, &'a ServiceAnalysis)> + 'a {
        self.project
            .services
            .iter()
            .zip(self.services)
            .filter(|(s, _)| s.active)
    }
}

pub trait Rule: Sync {
    /// The catalog id, e.g. `HL101`.
    fn id(&self) -> &'static str;
    fn check_service(&self, _cx: &ServiceCtx<'_>, _out: &mut Vec<Finding>) {}
    fn check_project(&self, _project: &Project, _out: &mut Vec<Finding>) {}
    /// For rules that relate services to each other and need their inferred kinds.
    fn check_analysis(&self, _cx: &ProjectCtx<'_>, _out: &mut Vec<Finding>) {}
}

/// Every implemented rule, in id order.
pub fn all() -> &'static [&'static dyn Rule] {
    &[
        &HttpProbeOnNonHttpService,
        &ProbePortNotServed,
        &HttpProbeOnWebsocketEndpoint,
        &ProbeChecksAnotherService,
        &LivenessOnlyCheckOnServer,
        &ClientCheckCannotSeeStaleConnection,
        &GenericProbeOnDatabase,
        &ExecFormWithShellSyntax,
        &CurlWithoutFail,
        &ProbeCannotFail,
        &PgrepMatchesOwnShell,
        &LocalhostMayResolveToIpv6,
        &ReservedExitCode,
        &InvalidTestForm,
        &ShellFormOnShellLessImage,
        &UnescapedDollarInComposeTest,
        &TimeoutNotBelowInterval,
        &SlowStarterWithoutStartPeriod,
        &InvalidDuration,
        &DetectionWindowOutOfRange,
        &StartIntervalUnsupported,
        &StartIntervalWithoutStartPeriod,
        &DependsOnHealthyWithoutHealthcheck,
        &HealthcheckDisabledButAwaited,
        &AwaitedServiceWithoutHealthcheck,
        &HealthcheckOnOneshot,
        &probe_tool_missing_in_image::ProbeToolMissingInImage,
        &netstat_not_portable::NetstatNotPortable,
        &MultipleHealthchecks,
        &HealthcheckInNonFinalStage,
        &ServerDisablesHealthcheck,
    ]
}

/// Runs every rule over the active services of `project` (`services` is index-aligned with
/// `project.services`). Findings come back sorted by file, line, column and rule, without
/// duplicates (a Dockerfile shared by two services yields its findings once).
pub fn check(project: &Project, services: &[ServiceAnalysis]) -> Vec<Finding> {
    let mut out = Vec::new();
    for (service, analysis) in project.services.iter().zip(services) {
        if !service.active {
            continue;
        }
        let cx = ServiceCtx {
            project,
            service,
            kind: &analysis.kind,
            probe: analysis.probe.as_ref(),
        };
        for rule in all() {
            rule.check_service(&cx, &mut out);
        }
    }
    let pcx = ProjectCtx { project, services };
    for rule in all() {
        rule.check_project(project, &mut out);
        rule.check_analysis(&pcx, &mut out);
    }
    out.sort_by(|a, b| {
        (
            a.span.file,
            a.span.line,
            a.span.col,
            a.rule,
            a.span.start,
            &a.message,
        )
            .cmp(&(
                b.span.file,
                b.span.line,
                b.span.col,
                b.rule,
                b.span.start,
                &b.message,
            ))
    });
    out.dedup_by(|a, b| a.rule == b.rule && a.span == b.span && a.message == b.message);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_has_metadata() {
        for rule in all() {
            assert!(
                meta::get(rule.id()).is_some(),
                "{} has no entry in rules/rules.toml",
                rule.id()
            );
        }
    }

    #[test]
    fn every_static_rule_in_metadata_is_implemented() {
        for m in meta::all() {
            if m.id.starts_with("HL5") || m.id.starts_with("HLV") {
                continue;
            }
            assert!(
                all().iter().any(|r| r.id() == m.id),
                "{} ({}) has metadata but no implementation",
                m.id,
                m.name
            );
        }
    }

    #[test]
    fn registry_is_in_id_order_without_duplicates() {
        let ids: Vec<_> = all().iter().map(|r| r.id()).collect();
        let mut sorted = ids.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(ids, sorted);
    }

    #[test]
    fn check_sorts_and_skips_inactive_services() {
        use crate::rules::testing::*;
        let src = Src::new(
            "services:\n  b:\n    test: curl http://localhost/b\n  a:\n    test: curl http://localhost/a\n  off:\n    test: curl http://localhost/c\n",
        );
        let mk = |name: &str, needle: &str| {
            svc(name)
                .test_shell(&src, needle)
                .probe(probe(vec![http_step("curl", needle, Some(false))]))
        };
        let mut off = mk("off", "curl http://localhost/c");
        off.service.active = false;
        let fx = project(
            &src,
            vec![
                mk("b", "curl http://localhost/b"),
                mk("a", "curl http://localhost/a"),
                off,
            ],
        );
        let found = check(&fx.project, &fx.services);
        let at: Vec<_> = found.iter().map(|f| (f.rule, f.span.line)).collect();
        assert_eq!(at, vec![("HL202", 3), ("HL202", 5)]);
    }

    /// The founding incident and its "fix", modelled the way the earlier stages describe them:
    /// the registry as a whole must report exactly what the scenarios promise.
    mod scenarios {
        use crate::infer::ServiceKind;
        use crate::model::Condition;
        use crate::probe::{ProbeKind, ProbeStep, Target};
        use crate::rules::testing::*;

        const TEMPLATE: &str = "services:\n  gateway:\n    image: node:22\n    environment:\n      WS_PORT: \"18789\"\n    expose:\n      - \"18789\"\n    healthcheck:\n      test: [\"CMD\", \"node\", \"-e\", \"net\"]\n  bot:\n    image: node:22\n    command: node bot.js\n    environment:\n      GATEWAY_URL: ws://gateway:18789\n    depends_on:\n      gateway:\n        condition: service_healthy\n    healthcheck:\n      test: @TEST@\n      interval: 30s\n";

        fn ids(test: &str, bot_probe: crate::probe::Probe) -> Vec<(&'static str, u32)> {
            let src = Src::new(&TEMPLATE.replace("@TEST@", test));
            let gateway = svc("gateway")
                .image("node:22")
                .kind(ServiceKind::WsServer, 0.8)
                .env("WS_PORT", "18789", src.span("WS_PORT"))
                .served(18789, src.span("- \"18789\""))
                .test_cmd(&["node", "-e", "net"], src.span("[\"CMD\", \"node\""))
                .probe(probe(vec![ProbeStep {
                    target: Some(Target {
                        host: "127.0.0.1".into(),
                        port: Some(18789),
                        ..Default::default()
                    }),
                    ..step(ProbeKind::Tcp, "node -e net")
                }]));
            let bot = svc("bot")
                .image("node:22")
                .command("node bot.js")
                .kind(ServiceKind::WsClient, 0.85)
                .evidence(
                    "environment",
                    "GATEWAY_URL=ws://gateway:18789",
                    src.span("GATEWAY_URL"),
                )
                .peer("ws", "gateway", 18789, src.span("ws://gateway:18789"))
                .depends_on(
                    "gateway",
                    Condition::ServiceHealthy,
                    src.span("gateway:\n        condition"),
                )
                .test_shell(&src, test)
                .interval(30, src.span("30s"))
                .probe(bot_probe);
            let fx = project(&src, vec![gateway, bot]);
            super::check(&fx.project, &fx.services)
                .iter()
                .map(|f| (f.rule, f.span.line))
                .collect()
        }

        #[test]
        fn incident_reports_the_http_probe_on_a_client() {
            let test = "curl -f http://localhost:3000/health";
            let found = ids(test, probe(vec![http_step("curl", test, Some(true))]));
            assert_eq!(found, vec![("HL101", 19)]);
        }

        #[test]
        fn incident_fix_reports_own_shell_match_and_stale_connection() {
            let test = "pgrep -f 'node.*bot.js' && netstat -tn | grep -q ':18789.*ESTABLISHED'";
            let p = probe(vec![
                ProbeStep {
                    pattern: Some("node.*bot.js".into()),
                    full_command_line: true,
                    matches_own_shell: true,
                    ..step(ProbeKind::Process, "pgrep -f node.*bot.js")
                },
                step(ProbeKind::PeerConnection, "netstat -tn"),
            ]);
            assert_eq!(ids(test, p), vec![("HL106", 19), ("HL204", 19)]);
        }
    }
}
