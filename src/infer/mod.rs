//! Infers what kind of service each one is, from ports, commands, labels, environment and
//! image, and keeps the evidence so a finding can say *why* healthlint believes it.

use serde::Serialize;

use crate::span::Span;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
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
    /// 0.0..=1.0
    pub confidence: f32,
    pub evidence: Vec<Evidence>,
    /// Container ports the service serves: ports (target side), expose, EXPOSE, command flags.
    pub served_ports: Vec<ServedPort>,
    /// Other services or hosts it talks to (from URLs in env or command): host, port, scheme.
    pub peers: Vec<Peer>,
    /// Why the service needs a long start period (`postgres`, `jvm`, `migrations`...), when it
    /// is a known slow starter.
    pub slow_starter: Option<String>,
}

impl KindInfo {
    /// Confident enough for rules that depend on the kind to speak.
    pub fn is_assertive(&self) -> bool {
        self.kind != ServiceKind::Unknown && self.confidence >= 0.6
    }
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct ServedPort {
    pub port: u16,
    pub port_end: u16,
    /// `ports`, `expose`, `EXPOSE`, `command`.
    pub source: String,
    #[serde(skip)]
    pub span: Option<Span>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Peer {
    pub scheme: Option<String>,
    pub host: String,
    pub port: Option<u16>,
    #[serde(skip)]
    pub span: Option<Span>,
}

/// Infers every service of the project; the result is index-aligned with `project.services`.
pub fn infer_all(project: &crate::model::Project) -> Vec<KindInfo> {
    project
        .services
        .iter()
        .map(|_| KindInfo {
            kind: ServiceKind::Unknown,
            confidence: 0.0,
            evidence: Vec::new(),
            served_ports: Vec::new(),
            peers: Vec::new(),
            slow_starter: None,
        })
        .collect()
}
