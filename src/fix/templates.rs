//! Chooses a replacement check for a service from `rules/fixes.toml`: the first template that
//! fits the service's kind (or image) and whose tools the image is known to have.

use std::sync::OnceLock;

use serde::Deserialize;

use crate::images::{self, Presence};
use crate::infer::{KindInfo, ServiceKind};
use crate::model::{CommandForm, Service};
use crate::probe::Probe;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Data {
    template: Vec<Template>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Template {
    #[serde(default)]
    kinds: Vec<ServiceKind>,
    #[serde(default)]
    images: Vec<String>,
    requires: Vec<String>,
    test: Vec<String>,
    why: String,
}

fn data() -> &'static Data {
    static D: OnceLock<Data> = OnceLock::new();
    D.get_or_init(|| {
        toml::from_str(include_str!("../../rules/fixes.toml"))
            .expect("rules/fixes.toml is checked by the test suite")
    })
}

/// A proposed check: the engine's test list (`CMD ...` or `CMD-SHELL ...`) and why it fits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Proposal {
    pub test: Vec<String>,
    pub why: String,
}

/// What a template may use, gathered from the model.
struct Values {
    port: Option<u16>,
    path: String,
    timeout_s: u64,
    stale_s: u64,
}

/// Proposes a check that fits the service, or `None` when no template fits what is known.
pub fn propose(service: &Service, info: &KindInfo, probe: Option<&Probe>) -> Option<Proposal> {
    let image = images::base_image(service).map(images::parse_ref);
    let values = values(service, info, probe);
    data().template.iter().find_map(|t| {
        let fits = t.kinds.contains(&info.kind)
            || image.as_ref().is_some_and(|r| {
                t.images.iter().any(|p| {
                    globset::Glob::new(p).is_ok_and(|g| g.compile_matcher().is_match(&r.repo))
                })
            });
        if !fits || !t.requires.iter().all(|tool| has_tool(service, tool)) {
            return None;
        }
        let test = t
            .test
            .iter()
            .map(|arg| fill(arg, &values, service))
            .collect::<Option<Vec<_>>>()?;
        Some(Proposal {
            test,
            why: t.why.clone(),
        })
    })
}

/// A tool is usable when the image is known to have it, or when the service's own command runs
/// it (a container whose command is `node bot.js` has node).
fn has_tool(service: &Service, tool: &str) -> bool {
    if images::tool_fact(service, tool).presence == Presence::Present {
        return true;
    }
    let runs = |form: &CommandForm| {
        let first = match form {
            CommandForm::Exec(v) => v.first().map(String::as_str),
            CommandForm::Shell(s) => s.split_whitespace().next(),
        };
        first
            .map(|p| p.rsplit('/').next().unwrap_or(p))
            .is_some_and(|p| p == tool || (tool == "python3" && p == "python"))
    };
    [&service.command, &service.entrypoint]
        .into_iter()
        .flatten()
        .any(|c| runs(&c.form))
        || service.dockerfile.as_ref().is_some_and(|d| {
            [&d.cmd, &d.entrypoint]
                .into_iter()
                .flatten()
                .any(|c| runs(&c.form))
        })
}

fn values(service: &Service, info: &KindInfo, probe: Option<&Probe>) -> Values {
    let target = probe
        .and_then(|p| p.steps.iter().find_map(|s| s.target.as_ref()))
        .filter(|t| t.is_local());
    let served = |p: u16| {
        info.served_ports
            .iter()
            .any(|s| s.port <= p && p <= s.port_end)
    };
    let port = target
        .and_then(|t| t.port)
        .filter(|&p| served(p))
        .or_else(|| info.served_ports.first().map(|s| s.port));
    let path = target
        .and_then(|t| t.path.clone())
        .filter(|p| p.starts_with('/'))
        .unwrap_or_else(|| "/".to_string());
    let hc = &service.healthcheck;
    Values {
        port,
        path,
        timeout_s: hc.timeout_or_default().as_secs().max(1),
        stale_s: (hc.interval_or_default().as_secs() * 3).max(90),
    }
}

/// Fills one template argument; `None` when it needs a value the model does not have (no
/// served port known), so the template is skipped rather than guessed.
fn fill(arg: &str, v: &Values, service: &Service) -> Option<String> {
    let mut out = String::with_capacity(arg.len());
    let mut rest = arg;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let close = rest[open..].find('}')? + open;
        let name = &rest[open + 1..close];
        let value = match name {
            "port" => v.port?.to_string(),
            "path" => v.path.clone(),
            "timeout_s" => v.timeout_s.to_string(),
            "stale_s" => v.stale_s.to_string(),
            "stale_min" => v.stale_s.div_ceil(60).max(2).to_string(),
            _ if name.starts_with("env:") => {
                let mut parts = name[4..].splitn(2, ':');
                let key = parts.next().unwrap_or_default();
                let default = parts.next().unwrap_or_default();
                service
                    .env(key)
                    .and_then(|e| e.value.clone())
                    .filter(|s| !s.is_empty() && !s.contains('$'))
                    .unwrap_or_else(|| default.to_string())
            }
            _ => return None,
        };
        out.push_str(&value);
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::infer::ServedPort;
    use crate::model::{CommandLine, EnvVar};
    use crate::span::{Span, Spanned};

    fn service(image: &str) -> Service {
        Service {
            name: "svc".into(),
            image: Some(Spanned::new(image.into(), Span::default())),
            active: true,
            ..Default::default()
        }
    }

    fn kind(kind: ServiceKind, ports: &[u16]) -> KindInfo {
        KindInfo {
            kind,
            confidence: 0.9,
            served_ports: ports
                .iter()
                .map(|&p| ServedPort {
                    port: p,
                    port_end: p,
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        }
    }

    #[test]
    fn templates_parse() {
        assert!(data().template.len() >= 10);
    }

    #[test]
    fn http_server_gets_the_tool_its_image_has() {
        let p = propose(
            &service("node:20-alpine"),
            &kind(ServiceKind::HttpServer, &[3000]),
            None,
        )
        .unwrap();
        assert_eq!(p.test[..2], ["CMD", "wget"]);
        assert!(
            p.test.last().unwrap().ends_with("localhost:3000/"),
            "{:?}",
            p.test
        );
        let p = propose(
            &service("node:20"),
            &kind(ServiceKind::HttpServer, &[8080]),
            None,
        )
        .unwrap();
        assert_eq!(p.test[..3], ["CMD", "curl", "-fsS"]);
        let p = propose(
            &service("node:20-slim"),
            &kind(ServiceKind::HttpServer, &[8080]),
            None,
        )
        .unwrap();
        assert_eq!(p.test[..2], ["CMD", "node"]);
    }

    #[test]
    fn no_port_known_means_no_http_proposal() {
        assert_eq!(
            propose(
                &service("node:20"),
                &kind(ServiceKind::HttpServer, &[]),
                None
            ),
            None
        );
    }

    #[test]
    fn databases_get_their_native_tool_with_the_services_own_user() {
        let mut s = service("postgres:16-alpine");
        s.environment.push(EnvVar {
            key: "POSTGRES_USER".into(),
            value: Some("app".into()),
            span: Span::default(),
        });
        let p = propose(&s, &kind(ServiceKind::Database, &[5432]), None).unwrap();
        assert_eq!(
            p.test,
            ["CMD", "pg_isready", "-h", "localhost", "-U", "app"]
        );
    }

    #[test]
    fn a_websocket_client_running_node_gets_a_heartbeat_check() {
        let mut s = service("acme/bot:1");
        s.command = Some(CommandLine {
            form: CommandForm::Shell("node bot.js".into()),
            span: Span::default(),
        });
        let p = propose(&s, &kind(ServiceKind::WsClient, &[]), None).unwrap();
        assert_eq!(p.test[..2], ["CMD", "node"]);
        assert!(p.test[3].contains("/tmp/heartbeat") && p.test[3].contains("90000"));
    }

    #[test]
    fn unknown_image_and_runtime_means_no_proposal() {
        assert_eq!(
            propose(
                &service("acme/app:1"),
                &kind(ServiceKind::HttpServer, &[80]),
                None
            ),
            None
        );
    }
}
