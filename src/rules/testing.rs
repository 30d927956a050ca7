//! Builders for rule unit tests: a compose text whose spans the tests point into, services
//! with their inferred kind and parsed probe, and a runner for one rule.

use std::time::Duration;

use crate::infer::{Evidence, KindInfo, Peer, ServedPort, ServiceKind};
use crate::model::{
    CommandForm, CommandLine, Condition, Dependency, EnvVar, HealthCheck, HealthTest, Origin,
    Project, Service, TestForm,
};
use crate::pipeline::ServiceAnalysis;
use crate::probe::{Probe, ProbeKind, ProbeStep, Target};
use crate::span::{Span, Spanned, span_of};

use super::{Finding, ProjectCtx, Rule, ServiceCtx};

/// The source text of file 0, `compose.yml`.
pub struct Src {
    pub text: String,
}

impl Src {
    pub fn new(text: &str) -> Self {
        Src { text: text.into() }
    }

    /// The span of the first occurrence of `needle`.
    pub fn span(&self, needle: &str) -> Span {
        self.nth(needle, 0)
    }

    pub fn nth(&self, needle: &str, n: usize) -> Span {
        let at = self
            .text
            .match_indices(needle)
            .nth(n)
            .unwrap_or_else(|| panic!("`{needle}` not in the test source"))
            .0;
        span_of(0, &self.text, at, at + needle.len())
    }
}

pub struct SvcBuilder {
    pub service: Service,
    pub kind: KindInfo,
    pub probe: Option<Probe>,
}

pub fn svc(name: &str) -> SvcBuilder {
    SvcBuilder {
        service: Service {
            name: name.into(),
            span: Span::new(0, 0, name.len(), 1, 1),
            active: true,
            ..Default::default()
        },
        kind: KindInfo::default(),
        probe: None,
    }
}

impl SvcBuilder {
    pub fn kind(mut self, kind: ServiceKind, confidence: f32) -> Self {
        self.kind.kind = kind;
        self.kind.confidence = confidence;
        self
    }

    pub fn evidence(mut self, signal: &str, value: &str, span: Span) -> Self {
        self.kind.evidence.push(Evidence {
            signal: signal.into(),
            value: value.into(),
            supports: self.kind.kind,
            weight: 1.0,
            span: Some(span),
        });
        self
    }

    pub fn served(mut self, port: u16, span: Span) -> Self {
        self.kind.served_ports.push(ServedPort {
            port,
            port_end: port,
            source: "ports".into(),
            span: Some(span),
            ..Default::default()
        });
        self
    }

    pub fn peer(mut self, scheme: &str, host: &str, port: u16, span: Span) -> Self {
        self.kind.peers.push(Peer {
            scheme: Some(scheme.into()),
            host: host.into(),
            port: Some(port),
            span: Some(span),
            ..Default::default()
        });
        self
    }

    pub fn image(mut self, image: &str) -> Self {
        self.service.image = Some(Spanned::new(image.into(), Span::default()));
        self
    }

    pub fn command(mut self, cmd: &str) -> Self {
        self.service.command = Some(CommandLine {
            form: CommandForm::Shell(cmd.into()),
            span: Span::default(),
        });
        self
    }

    pub fn env(mut self, key: &str, value: &str, span: Span) -> Self {
        self.service.environment.push(EnvVar {
            key: key.into(),
            value: Some(value.into()),
            span,
        });
        self
    }

    pub fn depends_on(mut self, on: &str, condition: Condition, span: Span) -> Self {
        self.service.depends_on.push(Dependency {
            service: on.into(),
            condition,
            required: true,
            restart: false,
            span,
        });
        self
    }

    /// A CMD-SHELL test whose text is `needle` in the source.
    pub fn test_shell(self, src: &Src, needle: &str) -> Self {
        let span = src.span(needle);
        self.test(
            TestForm::CmdShell(Spanned::new(needle.into(), span)),
            span,
            true,
        )
    }

    /// An exec-form test; `span` is the whole list.
    pub fn test_cmd(self, argv: &[&str], span: Span) -> Self {
        let args = argv
            .iter()
            .map(|a| Spanned::new(a.to_string(), span))
            .collect();
        self.test(TestForm::Cmd(args), span, false)
    }

    pub fn test(mut self, form: TestForm, span: Span, from_string: bool) -> Self {
        let hc = &mut self.service.healthcheck;
        hc.origin = Origin::Compose;
        hc.disabled = matches!(form, TestForm::None);
        hc.test = Some(HealthTest {
            form,
            span,
            from_string,
            host_vars: Vec::new(),
        });
        hc.span = Some(span);
        self
    }

    pub fn interval(mut self, secs: u64, span: Span) -> Self {
        self.service.healthcheck.interval = Some(Spanned::new(Duration::from_secs(secs), span));
        self
    }

    pub fn timeout(mut self, secs: u64, span: Span) -> Self {
        self.service.healthcheck.timeout = Some(Spanned::new(Duration::from_secs(secs), span));
        self
    }

    pub fn probe(mut self, probe: Probe) -> Self {
        self.probe = Some(probe);
        self
    }
}

pub struct Fixture {
    pub project: Project,
    pub services: Vec<ServiceAnalysis>,
}

/// A project of these services over `src` as its one compose file.
pub fn project(src: &Src, services: Vec<SvcBuilder>) -> Fixture {
    let mut project = Project {
        name: "test".into(),
        ..Default::default()
    };
    let file = project.sources.add("compose.yml", src.text.as_str());
    project.compose_files.push(file);
    let mut analyses = Vec::new();
    for b in services {
        project.services.push(b.service);
        analyses.push(ServiceAnalysis {
            kind: b.kind,
            probe: b.probe,
        });
    }
    Fixture {
        project,
        services: analyses,
    }
}

/// Runs one rule over every service of the fixture, the way `rules::check` does.
pub fn run(rule: &dyn Rule, fx: &Fixture) -> Vec<Finding> {
    let mut out = Vec::new();
    for (service, a) in fx.project.services.iter().zip(&fx.services) {
        let cx = ServiceCtx {
            project: &fx.project,
            service,
            kind: &a.kind,
            probe: a.probe.as_ref(),
        };
        rule.check_service(&cx, &mut out);
    }
    rule.check_project(&fx.project, &mut out);
    rule.check_analysis(
        &ProjectCtx {
            project: &fx.project,
            services: &fx.services,
        },
        &mut out,
    );
    out
}

/// Shorthand for one service over `src`, checked by one rule.
pub fn run_one(rule: &dyn Rule, src: &Src, b: SvcBuilder) -> Vec<Finding> {
    run(rule, &project(src, vec![b]))
}

pub fn probe(steps: Vec<ProbeStep>) -> Probe {
    Probe {
        kind: steps.first().map_or(ProbeKind::None, |s| s.kind),
        steps,
        can_fail: true,
        ..Default::default()
    }
}

/// An HTTP step from a command line whose last `scheme://` word is the URL.
pub fn http_step(tool: &str, cmdline: &str, fails_on_http_error: Option<bool>) -> ProbeStep {
    let url = cmdline
        .split_whitespace()
        .find(|w| w.contains("://"))
        .unwrap_or("http://localhost/")
        .trim_matches(|c| c == '\'' || c == '"');
    ProbeStep {
        kind: ProbeKind::Http,
        tool: tool.into(),
        argv: cmdline.split_whitespace().map(String::from).collect(),
        target: Some(parse_url(url)),
        fails_on_http_error,
        ..Default::default()
    }
}

pub fn step(kind: ProbeKind, cmdline: &str) -> ProbeStep {
    let argv: Vec<String> = cmdline.split_whitespace().map(String::from).collect();
    ProbeStep {
        kind,
        tool: argv.first().cloned().unwrap_or_default(),
        argv,
        ..Default::default()
    }
}

pub fn tcp_step(cmdline: &str, host: &str, port: u16) -> ProbeStep {
    ProbeStep {
        target: Some(Target {
            scheme: None,
            host: host.into(),
            port: Some(port),
            path: None,
            ..Default::default()
        }),
        ..step(ProbeKind::Tcp, cmdline)
    }
}

pub fn parse_url(url: &str) -> Target {
    let (scheme, rest) = url.split_once("://").unwrap_or(("http", url));
    let (hostport, path) = match rest.find('/') {
        Some(i) => (&rest[..i], Some(rest[i..].to_string())),
        None => (rest, None),
    };
    let (host, port) = match hostport.rsplit_once(':') {
        Some((h, p)) if p.parse::<u16>().is_ok() => (h, p.parse().ok()),
        _ => (hostport, None),
    };
    Target {
        scheme: Some(scheme.into()),
        host: host.into(),
        port,
        path,
        ..Default::default()
    }
}
/// A project of one service `svc` running `image` with the CMD-SHELL check `script`, and a
/// probe that calls `programs`.
pub fn ctx_parts(image: &str, script: &str, programs: &[&str]) -> (Project, KindInfo, Probe) {
    let span = Span::new(0, 0, script.len(), 1, 1);
    let service = Service {
        name: "svc".into(),
        image: Some(Spanned::new(image.into(), span)),
        active: true,
        healthcheck: HealthCheck {
            origin: Origin::Compose,
            test: Some(HealthTest {
                form: TestForm::CmdShell(Spanned::new(script.into(), span)),
                span,
                from_string: false,
                ..Default::default()
            }),
            ..Default::default()
        },
        ..Default::default()
    };
    let probe = Probe {
        shell: true,
        script: Some(script.into()),
        can_fail: true,
        programs: programs.iter().map(|p| p.to_string()).collect(),
        ..Default::default()
    };
    let project = Project {
        services: vec![service],
        ..Default::default()
    };
    (project, KindInfo::default(), probe)
}

/// Runs one rule on the first service of `project`.
pub fn run_rule(
    rule: &dyn Rule,
    project: &Project,
    kind: &KindInfo,
    probe: Option<&Probe>,
) -> Vec<Finding> {
    let cx = ServiceCtx {
        project,
        service: &project.services[0],
        kind,
        probe,
    };
    let mut out = Vec::new();
    rule.check_service(&cx, &mut out);
    out
}
