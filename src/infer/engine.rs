//! Scoring: gathers every signal of one service as weighted [`Evidence`], adds the weights up
//! per kind, and turns the margin over the strongest competitor into a confidence.
//!
//! Ports feed a shared "listens" pool rather than one kind: a port says the service accepts
//! connections, and the other signals say which protocol. Declared ports also count against
//! the kinds that listen on nothing, because claiming "this listens on nothing" about a server
//! is the worst mistake inference can make.

use crate::model::{CommandLine, Dependency, Project, Service};
use crate::span::Span;

use super::data::{Hint, ImageRule, Knowledge, PortHint, Target, UrlRule, knowledge};
use super::net;
use super::{Evidence, KindInfo, Peer, ServedPort, ServiceKind};

const N: usize = ServiceKind::ALL.len();

/// Preference among equal totals: the more specific kind first.
const TIE_ORDER: [ServiceKind; 10] = [
    ServiceKind::Database,
    ServiceKind::Broker,
    ServiceKind::GrpcServer,
    ServiceKind::WsServer,
    ServiceKind::HttpServer,
    ServiceKind::WsClient,
    ServiceKind::Oneshot,
    ServiceKind::Cron,
    ServiceKind::Worker,
    ServiceKind::TcpServer,
];

/// A port the service serves, before ports declared in several places are merged.
struct Candidate {
    port: u16,
    port_end: u16,
    source: &'static str,
    span: Option<Span>,
    protocol: Option<String>,
    /// Declared in `ports`, `expose`, `EXPOSE` or a command flag, not merely a variable.
    declared: bool,
}

/// One part of the effective command line.
struct Segment<'a> {
    line: &'a CommandLine,
    text: String,
    /// `command`/`entrypoint` for compose, `dockerfile` for CMD/ENTRYPOINT.
    signal: &'static str,
    /// Served-port and peer source: `command`, `entrypoint`, `CMD`, `ENTRYPOINT`.
    source: &'static str,
    /// Offset of this segment in the joined line.
    start: usize,
}

/// One variable of the effective environment (Dockerfile `ENV` overlaid by compose).
struct Var<'a> {
    key: &'a str,
    value: &'a str,
    span: Span,
    dockerfile: bool,
}

struct Infer<'a> {
    k: &'static Knowledge,
    project: &'a Project,
    service: &'a Service,
    evidence: Vec<Evidence>,
    scores: [f32; N],
    candidates: Vec<Candidate>,
    peers: Vec<Peer>,
    slow: Option<(String, Option<Span>)>,
    speaks_http: bool,
    ws_paths: Vec<String>,
    /// URL rules already counted, so ten `ws://` variables count once.
    urls_seen: Vec<&'static UrlRule>,
    /// Default ports of the image, used only when nothing else names a port.
    image_ports: Vec<Candidate>,
}

pub(crate) fn infer_service(
    project: &Project,
    service: &Service,
    awaited_by: &[(&str, &Dependency)],
) -> KindInfo {
    let mut cx = Infer {
        k: knowledge(),
        project,
        service,
        evidence: Vec::new(),
        scores: [0.0; N],
        candidates: Vec::new(),
        peers: Vec::new(),
        slow: None,
        speaks_http: false,
        ws_paths: Vec::new(),
        urls_seen: Vec::new(),
        image_ports: Vec::new(),
    };
    let label = cx.label();
    let env = cx.effective_env();
    cx.images();
    cx.declared_ports();
    cx.environment(&env);
    cx.commands(&env);
    cx.lifecycle(awaited_by);
    cx.name();
    cx.finish(label)
}

impl<'a> Infer<'a> {
    fn add(&mut self, signal: &str, value: String, hint: &Hint, span: Option<Span>) {
        let Some(kind) = hint.kind else { return };
        if hint.weight <= 0.0 || kind == ServiceKind::Unknown {
            return;
        }
        self.scores[kind as usize] += hint.weight;
        self.evidence.push(Evidence {
            signal: signal.to_string(),
            value,
            supports: kind,
            weight: hint.weight,
            span,
        });
    }

    fn slow(&mut self, reason: &Option<String>, span: Option<Span>) {
        if self.slow.is_none()
            && let Some(r) = reason
        {
            self.slow = Some((r.clone(), span));
        }
    }

    /// `healthlint.kind` from compose, else from the Dockerfile's LABEL.
    fn label(&mut self) -> Option<(ServiceKind, Evidence)> {
        let key = self.k.scoring.label.as_str();
        let (label, signal) = match self.service.label(key) {
            Some(l) => (l, "label"),
            None => (
                self.service
                    .dockerfile
                    .as_ref()?
                    .labels
                    .iter()
                    .rev()
                    .find(|l| l.key == key)?,
                "dockerfile",
            ),
        };
        match label.value.parse::<ServiceKind>() {
            Ok(kind) if kind != ServiceKind::Unknown => Some((
                kind,
                Evidence {
                    signal: signal.to_string(),
                    value: format!("{key}={}", label.value),
                    supports: kind,
                    weight: 1.0,
                    span: Some(label.span),
                },
            )),
            _ => {
                self.evidence.push(Evidence {
                    signal: signal.to_string(),
                    value: format!(
                        "{key}={} is not a service kind; ignored (expected one of {})",
                        label.value,
                        ServiceKind::ALL[..N - 1]
                            .iter()
                            .map(|k| k.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    supports: ServiceKind::Unknown,
                    weight: 0.0,
                    span: Some(label.span),
                });
                None
            }
        }
    }

    fn effective_env(&self) -> Vec<Var<'a>> {
        let s = self.service;
        let mut vars: Vec<Var<'a>> = Vec::new();
        let from_df = s.dockerfile.iter().flat_map(|d| d.env.iter());
        for (e, dockerfile) in from_df
            .map(|e| (e, true))
            .chain(s.environment.iter().map(|e| (e, false)))
        {
            vars.retain(|v| v.key != e.key);
            if let Some(value) = e.value.as_deref() {
                vars.push(Var {
                    key: &e.key,
                    value,
                    span: e.span,
                    dockerfile,
                });
            }
        }
        vars
    }

    fn images(&mut self) {
        let s = self.service;
        let image = s.image.as_ref().map(|i| (i, "image", ""));
        let base = s
            .dockerfile
            .as_ref()
            .and_then(|d| d.base_image.as_ref())
            .map(|i| (i, "dockerfile", "FROM "));
        let mut seen: Vec<&'static ImageRule> = Vec::new();
        for (img, signal, prefix) in image.into_iter().chain(base) {
            let Some(path) = net::image_path(&img.value) else {
                continue;
            };
            for rule in self.k.image_rules(&path) {
                if seen.iter().any(|r| std::ptr::eq(*r, rule)) {
                    continue;
                }
                seen.push(rule);
                let span = Some(img.span);
                let hint = Hint {
                    kind: rule.kind,
                    weight: rule.weight,
                };
                self.add(signal, format!("{prefix}{}", img.value), &hint, span);
                self.slow(&rule.slow, span);
                self.speaks_http |= rule.http || !rule.http_ports.is_empty();
                for &port in rule.ports.iter().chain(&rule.http_ports) {
                    if self.image_ports.iter().any(|c| c.port == port) {
                        continue;
                    }
                    let protocol = if rule.http_ports.contains(&port) {
                        Some("http".to_string())
                    } else {
                        rule.protocol.clone()
                    };
                    self.image_ports.push(Candidate {
                        port,
                        port_end: port,
                        source: "image",
                        span,
                        protocol,
                        declared: false,
                    });
                }
            }
        }
    }

    /// The effective entrypoint and command: compose overrides the Dockerfile, and a compose
    /// `entrypoint` also drops the image's CMD, as the engine does.
    fn segments(&self) -> Vec<Segment<'a>> {
        let s = self.service;
        let df = s.dockerfile.as_ref();
        let entrypoint = match &s.entrypoint {
            Some(e) => Some((e, "entrypoint", "entrypoint")),
            None => df
                .and_then(|d| d.entrypoint.as_ref())
                .map(|e| (e, "dockerfile", "ENTRYPOINT")),
        };
        let command = match (&s.command, &s.entrypoint) {
            (Some(c), _) => Some((c, "command", "command")),
            (None, Some(_)) => None,
            (None, None) => df
                .and_then(|d| d.cmd.as_ref())
                .map(|c| (c, "dockerfile", "CMD")),
        };
        entrypoint
            .into_iter()
            .chain(command)
            .map(|(line, signal, source)| Segment {
                line,
                text: line.text(),
                signal,
                source,
                start: 0,
            })
            .collect()
    }

    fn commands(&mut self, env: &[Var<'a>]) {
        let mut segments = self.segments();
        if segments.is_empty() {
            return;
        }
        let mut joined = String::new();
        for seg in &mut segments {
            if !joined.is_empty() {
                joined.push(' ');
            }
            seg.start = joined.len();
            joined.push_str(&seg.text);
        }
        let seg_at = |offset: usize| {
            segments
                .iter()
                .rev()
                .find(|s| s.start <= offset)
                .unwrap_or(&segments[0])
        };
        let value_of = |seg: &Segment<'_>, text: &str| {
            if seg.signal == "dockerfile" {
                format!("{} {text}", seg.source)
            } else {
                text.to_string()
            }
        };

        // Setup steps (migrations, collectstatic) before a long-running process describe that
        // process's start, not a one-shot job.
        let k = self.k;
        let matched: Vec<_> = k.commands.matching(&joined).collect();
        let long_running = matched.iter().any(|(_, r)| {
            r.hint.weight > 0.0
                && r.hint
                    .kind
                    .is_some_and(|k| !matches!(k, ServiceKind::Oneshot | ServiceKind::Unknown))
        });
        for (re, rule) in matched {
            let Some(m) = re.find(&joined) else { continue };
            // A match that spans entrypoint and command (`celery` + `-A app worker`) is told
            // by where it ends.
            let seg = seg_at(m.end().saturating_sub(1).max(m.start()));
            let span = Some(seg.line.span);
            let value = value_of(seg, m.as_str().trim());
            if !(long_running && rule.hint.kind == Some(ServiceKind::Oneshot)) {
                self.add(seg.signal, value, &rule.hint, span);
            }
            self.slow(&rule.slow, span);
            if rule.protocol.is_some() {
                // A protocol named by the command (php-fpm speaks FastCGI) applies to the
                // ports it does not otherwise know.
                self.candidates.push(Candidate {
                    port: 0,
                    port_end: 0,
                    source: seg.source,
                    span,
                    protocol: rule.protocol.clone(),
                    declared: false,
                });
            }
        }

        // URLs on the command line: peers, and what they say about the kind.
        for seg in &segments {
            for url in net::urls(&seg.text) {
                self.url(&url, seg.signal, seg.source, None, Some(seg.line.span));
            }
        }

        // Port flags and inline `PORT=8000` assignments.
        let lookup = |name: &str| {
            env.iter()
                .rev()
                .find(|v| v.key == name)
                .map(|v| v.value.to_string())
        };
        for seg in &segments {
            let words: Vec<&str> = net::words(&seg.text).collect();
            let span = Some(seg.line.span);
            for (i, w) in words.iter().enumerate() {
                let (flag, value) = match w.split_once('=') {
                    Some((f, v)) if f.starts_with('-') => (f, Some(v)),
                    Some((key, v)) => {
                        if let Some((_, hint)) = k.env_ports.matching(key).next()
                            && let Some(port) = net::listen_port(&net::expand(v, &lookup))
                        {
                            self.port_hint(seg, port, &format!("{key}={port}"), hint, span);
                        }
                        continue;
                    }
                    None => (*w, words.get(i + 1).copied()),
                };
                let Some(hint) = k.port_flags.get(flag) else {
                    continue;
                };
                let Some(port) = value.and_then(|v| net::listen_port(&net::expand(v, &lookup)))
                else {
                    continue;
                };
                self.port_hint(seg, port, &format!("{flag} {port}"), hint, span);
            }
        }
    }

    fn port_hint(
        &mut self,
        seg: &Segment<'_>,
        port: u16,
        shown: &str,
        hint: &PortHint,
        span: Option<Span>,
    ) {
        let value = if seg.signal == "dockerfile" {
            format!("{} {shown}", seg.source)
        } else {
            shown.to_string()
        };
        self.add(seg.signal, value, &hint.hint, span);
        self.candidates.push(Candidate {
            port,
            port_end: port,
            source: seg.source,
            span,
            protocol: hint.protocol.clone(),
            declared: true,
        });
    }

    fn target(&self, host: &str) -> (Target, Option<String>) {
        let p = &self.k.peers;
        if host == self.service.name {
            (Target::Itself, None)
        } else if p.local.iter().any(|l| l.eq_ignore_ascii_case(host)) {
            (Target::Local, None)
        } else if p.bind.iter().any(|b| b == host) {
            (Target::Bind, None)
        } else if let Some(s) = self.project.service(host) {
            (Target::Service, Some(s.name.clone()))
        } else {
            (Target::External, None)
        }
    }

    fn url(
        &mut self,
        url: &net::Url<'_>,
        signal: &str,
        source: &'static str,
        key: Option<&str>,
        span: Option<Span>,
    ) {
        let (target, service) = self.target(url.host);
        let shown = match url.port {
            Some(p) => format!("{}://{}:{p}", url.scheme, url.host),
            None => format!("{}://{}", url.scheme, url.host),
        };
        if let Some(rule) = self.k.url_rule(url.scheme, target)
            && !self.urls_seen.iter().any(|r| std::ptr::eq(*r, rule))
        {
            self.urls_seen.push(rule);
            let value = match key {
                Some(k) if source == "ENV" => format!("ENV {k}={shown}"),
                Some(k) => format!("{k}={shown}"),
                None if signal == "dockerfile" => format!("{source} {shown}"),
                None => shown.clone(),
            };
            let hint = Hint {
                kind: Some(rule.kind),
                weight: rule.weight,
            };
            self.add(signal, value, &hint, span);
        }
        let is_ws = url.scheme.eq_ignore_ascii_case("ws") || url.scheme.eq_ignore_ascii_case("wss");
        if is_ws
            && matches!(target, Target::Itself | Target::Bind)
            && let Some(path) = url.path
            && !self.ws_paths.iter().any(|p| p == path)
        {
            self.ws_paths.push(path.to_string());
        }
        // A URL on a wildcard address is where the service itself listens
        // (`KAFKA_LISTENERS=PLAINTEXT://0.0.0.0:9092`).
        if target == Target::Bind
            && let Some(port) = url.port
        {
            self.candidates.push(Candidate {
                port,
                port_end: port,
                source,
                span,
                protocol: None,
                declared: false,
            });
        }
        if matches!(target, Target::Service | Target::External) {
            self.peer(
                Some(url.scheme),
                url.host,
                url.port,
                service,
                source,
                key,
                url.path,
                span,
            );
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn peer(
        &mut self,
        scheme: Option<&str>,
        host: &str,
        port: Option<u16>,
        service: Option<String>,
        source: &str,
        key: Option<&str>,
        path: Option<&str>,
        span: Option<Span>,
    ) {
        let dup = self
            .peers
            .iter()
            .any(|p| p.host == host && p.port == port && p.scheme.as_deref() == scheme);
        if dup {
            return;
        }
        self.peers.push(Peer {
            scheme: scheme.map(str::to_string),
            host: host.to_string(),
            port,
            span,
            service,
            source: source.to_string(),
            key: key.map(str::to_string),
            path: path.map(str::to_string),
        });
    }

    fn environment(&mut self, env: &[Var<'a>]) {
        let k = self.k;
        let lookup = |name: &str| {
            env.iter()
                .rev()
                .find(|v| v.key == name)
                .map(|v| v.value.to_string())
        };
        for var in env {
            let (signal, source) = if var.dockerfile {
                ("dockerfile", "ENV")
            } else {
                ("environment", "environment")
            };
            let span = Some(var.span);
            let shown = |text: String| {
                if var.dockerfile {
                    format!("ENV {text}")
                } else {
                    text
                }
            };

            if let Some((_, hint)) = k.env_ports.matching(var.key).next()
                && let Some(port) = net::listen_port(&net::expand(var.value, &lookup))
            {
                self.add(
                    signal,
                    shown(format!("{}={port}", var.key)),
                    &hint.hint,
                    span,
                );
                self.candidates.push(Candidate {
                    port,
                    port_end: port,
                    source,
                    span,
                    protocol: hint.protocol.clone(),
                    declared: false,
                });
                continue;
            }

            for (_, rule) in k.env_keys.matching(var.key) {
                // Values may be secrets: evidence names the variable only.
                self.add(signal, shown(var.key.to_string()), &rule.hint, span);
                self.slow(&rule.slow, span);
                if rule.ws_path {
                    let path = var.value.trim();
                    if path.starts_with('/') && !self.ws_paths.iter().any(|p| p == path) {
                        self.ws_paths.push(path.to_string());
                    }
                }
            }

            let urls = net::urls(var.value);
            for url in &urls {
                self.url(url, signal, source, Some(var.key), span);
            }
            if !urls.is_empty() {
                continue;
            }
            let named_peer = k.peers.keys.is_match(var.key) && !k.peers.not_keys.is_match(var.key);
            for item in var.value.split([',', ' ', ';']) {
                let Some((host, port)) = net::host_port(item) else {
                    continue;
                };
                let (target, service) = self.target(host);
                let wanted = match target {
                    Target::Service => named_peer || port.is_some(),
                    Target::External => named_peer && host.contains('.'),
                    _ => false,
                };
                if wanted {
                    self.peer(None, host, port, service, source, Some(var.key), None, span);
                }
            }
        }
    }

    fn declared_ports(&mut self) {
        let s = self.service;
        let k = self.k;
        for p in &s.ports {
            let app = p
                .app_protocol
                .as_deref()
                .and_then(|a| k.app_protocols.get(&a.to_ascii_lowercase()));
            if let Some(hint) = app {
                let value = format!(
                    "{} app_protocol {}",
                    p.target,
                    hint.protocol.as_deref().unwrap_or("")
                );
                self.add("port", value, &hint.hint, Some(p.span));
            }
            self.candidates.push(Candidate {
                port: p.target,
                port_end: p.target_end,
                source: "ports",
                span: Some(p.span),
                protocol: app.and_then(|h| h.protocol.clone()),
                declared: true,
            });
        }
        for e in &s.expose {
            self.candidates.push(Candidate {
                port: e.port,
                port_end: e.port_end,
                source: "expose",
                span: Some(e.span),
                protocol: None,
                declared: true,
            });
        }
        if let Some(df) = &s.dockerfile {
            for e in &df.expose {
                self.candidates.push(Candidate {
                    port: e.port,
                    port_end: e.port_end,
                    source: "EXPOSE",
                    span: Some(e.span),
                    protocol: None,
                    declared: true,
                });
            }
        }
    }

    fn lifecycle(&mut self, awaited_by: &[(&str, &Dependency)]) {
        let k = self.k;
        let hint = Hint {
            kind: Some(ServiceKind::Oneshot),
            weight: k.completed_successfully,
        };
        if let Some((who, dep)) = awaited_by.first() {
            let value = if awaited_by.len() == 1 {
                format!("{who} waits for service_completed_successfully")
            } else {
                format!(
                    "{who} and {} more wait for service_completed_successfully",
                    awaited_by.len() - 1
                )
            };
            self.add("depends-on", value, &hint, Some(dep.span));
        }
        if let Some(r) = &self.service.restart
            && let Some(hint) = k.restart.get(r.value.trim())
        {
            self.add(
                "restart",
                format!("restart: {}", r.value),
                hint,
                Some(r.span),
            );
        }
    }

    fn name(&mut self) {
        let name = &self.service.name;
        let span = Some(self.service.span);
        for (_, hint) in self.k.names.matching(name) {
            self.add("name", name.clone(), hint, span);
        }
    }

    /// Merges the served ports, scores, and builds the result.
    fn finish(mut self, label: Option<(ServiceKind, Evidence)>) -> KindInfo {
        let k = self.k;
        let sc = &k.scoring;

        // A protocol named by the command with no port of its own (port 0) applies to ports
        // whose protocol is otherwise unknown.
        let command_protocol = self
            .candidates
            .iter()
            .find(|c| c.port == 0)
            .and_then(|c| c.protocol.clone());
        self.candidates.retain(|c| c.port != 0);
        if self.candidates.is_empty() {
            self.candidates = std::mem::take(&mut self.image_ports);
        } else {
            // Image defaults still name the protocol of the ports they share.
            for ip in &self.image_ports {
                for c in &mut self.candidates {
                    if c.protocol.is_none() && c.port == ip.port {
                        c.protocol = ip.protocol.clone();
                    }
                }
            }
        }

        let mut served: Vec<ServedPort> = Vec::new();
        let mut declared: Vec<bool> = Vec::new();
        for c in &self.candidates {
            let end = c.port_end.max(c.port);
            match served
                .iter()
                .position(|s| s.port == c.port && s.port_end == end)
            {
                Some(i) => {
                    declared[i] |= c.declared;
                    if served[i].protocol.is_none() {
                        served[i].protocol = c.protocol.clone();
                    }
                }
                None => {
                    served.push(ServedPort {
                        port: c.port,
                        port_end: end,
                        source: c.source.to_string(),
                        span: c.span,
                        protocol: c.protocol.clone(),
                    });
                    declared.push(c.declared);
                }
            }
        }
        if let Some(proto) = command_protocol {
            for s in served.iter_mut().filter(|s| s.protocol.is_none()) {
                s.protocol = Some(proto.clone());
            }
        }

        // The listens pool, and well-known ports.
        let mut listen = 0.0f32;
        for (s, &decl) in served.iter().zip(&declared) {
            if s.source == "image" {
                continue;
            }
            let weight = if decl {
                sc.listen_weight
            } else {
                sc.env_listen_weight
            };
            listen += weight;
            let signal = match s.source.as_str() {
                "ports" => "port",
                "expose" => "expose",
                "command" => "command",
                "entrypoint" => "entrypoint",
                "environment" => "environment",
                _ => "dockerfile",
            };
            let range = if s.port_end > s.port {
                format!("{}-{}", s.port, s.port_end)
            } else {
                s.port.to_string()
            };
            self.evidence.push(Evidence {
                signal: signal.to_string(),
                value: format!("serves {range} ({})", s.source),
                supports: ServiceKind::TcpServer,
                weight,
                span: s.span,
            });
            if decl && let Some(hint) = k.ports.get(&s.port) {
                let value = format!(
                    "{} is a well-known {} port",
                    s.port,
                    hint.kind.unwrap_or_default()
                );
                self.add(signal, value, &hint.clone(), s.span);
            }
        }
        let listen = listen.min(sc.listen_cap);
        let any_declared = served
            .iter()
            .zip(&declared)
            .any(|(s, &d)| d && s.source != "image");

        let total = |kind: ServiceKind| {
            let mut t = self.scores[kind as usize];
            match kind.listens() {
                Some(true) => t += listen,
                Some(false) if any_declared => t *= sc.declared_ports_scale_non_listening,
                _ => {}
            }
            t
        };
        let mut winner = ServiceKind::Unknown;
        let mut best = 0.0f32;
        for kind in TIE_ORDER {
            // The listens pool alone makes a tcp-server, never a more specific kind.
            if kind != ServiceKind::TcpServer && self.scores[kind as usize] <= 0.0 {
                continue;
            }
            let t = total(kind);
            if t > best {
                best = t;
                winner = kind;
            }
        }
        // The strongest evidence against the winner. The listens pool supports every listening
        // kind alike, so between two of them only their own evidence competes.
        let runner_up = TIE_ORDER
            .iter()
            .filter(|&&kind| kind != winner && !sc.compatible(winner, kind))
            .map(|&kind| {
                if winner.listens() == Some(true) && kind.listens() == Some(true) {
                    self.scores[kind as usize]
                } else {
                    total(kind)
                }
            })
            .fold(0.0f32, f32::max);
        let mut confidence = if best > 0.0 {
            (best / (best + runner_up + sc.damping)).clamp(0.0, 1.0)
        } else {
            0.0
        };
        if best < sc.min_total || confidence < sc.min_confidence {
            winner = ServiceKind::Unknown;
            confidence = 0.0;
        }

        let mut evidence = self.evidence;
        if let Some((kind, ev)) = label {
            winner = kind;
            confidence = 1.0;
            // The label is the answer; what else was seen stays listed after it.
            evidence.insert(0, ev);
        }

        // A WebSocket server with a separate HTTP (health) port: the other port is the socket.
        if winner == ServiceKind::WsServer
            && served.iter().any(|s| s.protocol.as_deref() == Some("http"))
        {
            let unknown: Vec<usize> = served
                .iter()
                .enumerate()
                .filter(|(_, s)| s.protocol.is_none())
                .map(|(i, _)| i)
                .collect();
            if let [i] = unknown[..] {
                served[i].protocol = Some("ws".to_string());
            }
        }

        let speaks_http = self.speaks_http
            || matches!(winner, ServiceKind::HttpServer | ServiceKind::WsServer)
            || served.iter().any(|s| s.protocol.as_deref() == Some("http"));
        let (slow_starter, slow_starter_span) = match self.slow {
            Some((r, span)) if winner != ServiceKind::Oneshot => (Some(r), span),
            _ => (None, None),
        };

        KindInfo {
            kind: winner,
            confidence,
            evidence,
            served_ports: served,
            peers: self.peers,
            slow_starter,
            slow_starter_span,
            speaks_http,
            ws_paths: self.ws_paths,
        }
    }
}
