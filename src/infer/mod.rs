//! Infers what kind of service each one is, from ports, commands, labels, environment and
//! image, and keeps the evidence so a finding can say *why* healthlint believes it.
//!
//! What each signal is worth lives in `rules/kinds.toml`; [`engine`] adds it up. Alongside the
//! kind, inference collects what later rules need about the service's network: the ports it
//! serves (HL102), the hosts it talks to (HL104), and whether it is a slow starter (HL302).

mod data;
mod engine;
pub mod net;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::model::{Condition, Dependency, Project};
use crate::span::Span;

#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord,
)]
#[serde(rename_all = "kebab-case")]
pub enum ServiceKind {
    HttpServer,
    WsServer,
    WsClient,
    GrpcServer,
    TcpServer,
    Database,
    Broker,
    Worker,
    Cron,
    Oneshot,
    #[default]
    Unknown,
}

impl ServiceKind {
    /// Every kind, `Unknown` last.
    pub const ALL: [ServiceKind; 11] = [
        ServiceKind::HttpServer,
        ServiceKind::WsServer,
        ServiceKind::WsClient,
        ServiceKind::GrpcServer,
        ServiceKind::TcpServer,
        ServiceKind::Database,
        ServiceKind::Broker,
        ServiceKind::Worker,
        ServiceKind::Cron,
        ServiceKind::Oneshot,
        ServiceKind::Unknown,
    ];

    /// The name used in labels, JSON and `rules/kinds.toml`.
    pub fn as_str(self) -> &'static str {
        use ServiceKind::*;
        match self {
            HttpServer => "http-server",
            WsServer => "ws-server",
            WsClient => "ws-client",
            GrpcServer => "grpc-server",
            TcpServer => "tcp-server",
            Database => "database",
            Broker => "broker",
            Worker => "worker",
            Cron => "cron",
            Oneshot => "oneshot",
            Unknown => "unknown",
        }
    }

    /// Kinds that accept connections.
    pub fn listens(self) -> Option<bool> {
        use ServiceKind::*;
        match self {
            HttpServer | WsServer | GrpcServer | TcpServer | Database | Broker => Some(true),
            WsClient | Worker | Cron | Oneshot => Some(false),
            Unknown => None,
        }
    }
}

impl fmt::Display for ServiceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ServiceKind {
    type Err = ();

    /// Accepts the kebab-case name in any case, with `_` for `-` (`WS_CLIENT`).
    fn from_str(s: &str) -> Result<Self, ()> {
        let s = s.trim().to_ascii_lowercase().replace('_', "-");
        ServiceKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or(())
    }
}

/// One piece of evidence: which signal, which value, where.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Evidence {
    /// `label`, `image`, `command`, `entrypoint`, `environment`, `port`, `expose`, `dockerfile`,
    /// `depends-on`, `restart`, `name`.
    pub signal: String,
    pub value: String,
    /// What the signal points to (kind it supports).
    pub supports: ServiceKind,
    pub weight: f32,
    #[serde(skip)]
    pub span: Option<Span>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct KindInfo {
    pub kind: ServiceKind,
    /// 0.0..=1.0: the winner's total against the strongest incompatible kind. 1.0 for a
    /// `healthlint.kind` label, 0.0 for `Unknown`. See [`KindInfo::is_assertive`].
    pub confidence: f32,
    pub evidence: Vec<Evidence>,
    /// Container ports the service serves: ports (target side), expose, EXPOSE, command flags.
    pub served_ports: Vec<ServedPort>,
    /// Other services or hosts it talks to (from URLs in env or command): host, port, scheme.
    pub peers: Vec<Peer>,
    /// Why the service is slow to start (relational database, JVM, migrations at start), when
    /// it is one (HL302). Never set for one-shot jobs.
    pub slow_starter: Option<String>,
    /// Where the slow-starter knowledge came from (the image, the command, the variable).
    #[serde(skip)]
    pub slow_starter_span: Option<Span>,
    /// Some port of the service answers plain HTTP even when its kind is not a web server
    /// (Elasticsearch, ClickHouse's HTTP interface, a separate health port): an HTTP probe is
    /// not wrong by kind alone.
    pub speaks_http: bool,
    /// WebSocket endpoint paths the service serves (`WS_PATH=/ws`, `ws://self/ws`).
    pub ws_paths: Vec<String>,
}

impl KindInfo {
    /// Confident enough that rules may claim something the kind implies, e.g. "this service
    /// listens on nothing".
    pub fn is_assertive(&self) -> bool {
        self.kind != ServiceKind::Unknown && self.confidence >= data::knowledge().scoring.assertive
    }

    /// Confidently a service that accepts no connections and declares no ports.
    pub fn listens_on_nothing(&self) -> bool {
        self.is_assertive()
            && self.kind.listens() == Some(false)
            && self.served_ports.iter().all(|p| p.source == "image")
    }

    /// The served port range containing `port`, if any.
    pub fn served(&self, port: u16) -> Option<&ServedPort> {
        self.served_ports
            .iter()
            .find(|p| (p.port..=p.port_end.max(p.port)).contains(&port))
    }

    /// Whether the service is known to serve `port`.
    pub fn serves(&self, port: u16) -> bool {
        self.served(port).is_some()
    }

    /// Names of the other services of the project this one talks to, without repeats.
    pub fn peer_services(&self) -> impl Iterator<Item = &str> {
        let mut seen: Vec<&str> = Vec::new();
        self.peers.iter().filter_map(move |p| {
            let s = p.service.as_deref()?;
            (!seen.contains(&s)).then(|| {
                seen.push(s);
                s
            })
        })
    }
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct ServedPort {
    pub port: u16,
    pub port_end: u16,
    /// Where it was declared: compose `ports`, `expose`, `command`, `entrypoint`,
    /// `environment`; Dockerfile `EXPOSE`, `CMD`, `ENTRYPOINT`, `ENV`; or `image`, the default
    /// port of a well-known image (only when nothing else names a port).
    pub source: String,
    #[serde(skip)]
    pub span: Option<Span>,
    /// What speaks on it when known: `http`, `ws`, `grpc`, `fastcgi`, or the image's native
    /// protocol (`postgres`, `redis`, `amqp`...).
    pub protocol: Option<String>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Peer {
    pub scheme: Option<String>,
    pub host: String,
    pub port: Option<u16>,
    #[serde(skip)]
    pub span: Option<Span>,
    /// The service of the project `host` names, when it names one.
    pub service: Option<String>,
    /// `environment`, `command`, `entrypoint`, `ENV`, `CMD`, `ENTRYPOINT`.
    pub source: String,
    /// The variable it was read from, for environment peers.
    pub key: Option<String>,
    /// URL path, when given (`/ws`).
    pub path: Option<String>,
}

/// Infers every service of the project; the result is index-aligned with `project.services`.
pub fn infer_all(project: &Project) -> Vec<KindInfo> {
    // Who waits for whom, computed once: a service's kind depends on how others await it.
    let mut awaited: HashMap<&str, Vec<(&str, &Dependency)>> = HashMap::new();
    for s in &project.services {
        for d in &s.depends_on {
            if d.condition == Condition::ServiceCompletedSuccessfully {
                awaited
                    .entry(d.service.as_str())
                    .or_default()
                    .push((s.name.as_str(), d));
            }
        }
    }
    project
        .services
        .iter()
        .map(|s| {
            let waits = awaited.get(s.name.as_str()).map_or(&[][..], Vec::as_slice);
            engine::infer_service(project, s, waits)
        })
        .collect()
}
