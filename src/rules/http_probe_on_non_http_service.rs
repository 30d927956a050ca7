//! Fires on a local HTTP/WS/TCP/gRPC probe of a service whose assertive kind listens on
//! nothing, and on an HTTP probe aimed at a well-known non-HTTP port of a database, broker,
//! gRPC or TCP server.

use crate::infer::{KindInfo, ServiceKind};
use crate::probe::ProbeKind;

use super::helpers::{kind_labels, kind_phrase, local_network_steps, non_http_protocol, test_span};
use super::{Finding, Rule, ServiceCtx};

pub struct HttpProbeOnNonHttpService;

impl Rule for HttpProbeOnNonHttpService {
    fn id(&self) -> &'static str {
        "HL101"
    }

    fn check_service(&self, cx: &ServiceCtx<'_>, out: &mut Vec<Finding>) {
        let (Some(probe), true) = (cx.probe, cx.kind.is_assertive()) else {
            return;
        };
        let name = &cx.service.name;
        let span = test_span(cx.service);
        for (step, port) in local_network_steps(probe) {
            if step.kind == ProbeKind::DbNative {
                continue;
            }
            let served = |p: u16| {
                cx.kind
                    .served_ports
                    .iter()
                    .any(|s| (s.port..=s.port_end.max(s.port)).contains(&p))
            };
            // A client that still declares the probed port (metrics, a health endpoint)
            // does listen there: the kind is about its main job, not every socket.
            if cx.kind.kind.listens() == Some(false) && !port.is_some_and(served) {
                let what = listener_less(cx.kind);
                let port = port.map_or(String::new(), |p| format!(" on port {p}"));
                let mut f = Finding::new(
                    self.id(),
                    span,
                    format!(
                        "every probe fails with connection refused{port}: `{name}` listens on no port ({what}), so it is marked unhealthy while it works"
                    ),
                )
                .with_service(name)
                .with_labels(kind_labels(cx.kind, 2));
                for peer in &cx.kind.peers {
                    f = f.with_label(
                        peer.span,
                        format!("`{name}` connects out to {}", peer_text(peer)),
                    );
                }
                out.push(f);
                return;
            }
            if step.kind != ProbeKind::Http {
                continue;
            }
            let talks_other = matches!(
                cx.kind.kind,
                ServiceKind::Database
                    | ServiceKind::Broker
                    | ServiceKind::GrpcServer
                    | ServiceKind::TcpServer
            );
            let declared_grpc = |p: u16| {
                cx.service.ports.iter().any(|d| {
                    (d.target..=d.target_end.max(d.target)).contains(&p)
                        && d.app_protocol
                            .iter()
                            .chain(&d.name)
                            .any(|t| t.eq_ignore_ascii_case("grpc"))
                })
            };
            let protocol =
                |p: u16| non_http_protocol(p).or_else(|| declared_grpc(p).then_some("gRPC"));
            let Some((p, proto)) = port.and_then(|p| Some((p, protocol(p)?))) else {
                continue;
            };
            if !talks_other {
                continue;
            }
            out.push(
                Finding::new(
                    self.id(),
                    span,
                    format!(
                        "every probe fails: `{name}` is {} speaking {proto} on port {p}, not HTTP, so it is marked unhealthy while it works",
                        kind_phrase(cx.kind.kind)
                    ),
                )
                .with_service(name)
                .with_labels(kind_labels(cx.kind, 2)),
            );
            return;
        }
    }
}

fn peer_text(peer: &crate::infer::Peer) -> String {
    let scheme = peer
        .scheme
        .as_deref()
        .map_or(String::new(), |s| format!("{s}://"));
    match peer.port {
        Some(p) => format!("{scheme}{}:{p}", peer.host),
        None => format!("{scheme}{}", peer.host),
    }
}

fn listener_less(kind: &KindInfo) -> String {
    let ws_peer = kind
        .peers
        .iter()
        .find(|p| matches!(p.scheme.as_deref(), Some("ws" | "wss")));
    match (kind.kind, ws_peer.or(kind.peers.first())) {
        (ServiceKind::WsClient, Some(p)) => {
            let at = p
                .port
                .map_or(p.host.clone(), |port| format!("{}:{port}", p.host));
            format!("it is a WebSocket client of {at}")
        }
        (k, _) => format!("it is {}", kind_phrase(k)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::*;

    const SRC: &str = "services:\n  bot:\n    environment:\n      GATEWAY_URL: ws://gateway:18789\n    healthcheck:\n      test: curl -f http://localhost:3000/health\n";

    fn bot(kind: ServiceKind, confidence: f32) -> SvcBuilder {
        let src = Src::new(SRC);
        svc("bot")
            .kind(kind, confidence)
            .evidence(
                "environment",
                "GATEWAY_URL=ws://gateway:18789",
                src.span("GATEWAY_URL"),
            )
            .peer("ws", "gateway", 18789, src.span("ws://gateway:18789"))
            .test_shell(&src, "curl -f http://localhost:3000/health")
            .probe(probe(vec![http_step(
                "curl",
                "curl -f http://localhost:3000/health",
                Some(true),
            )]))
    }

    #[test]
    fn fires_on_http_probe_of_ws_client() {
        let f = run_one(
            &HttpProbeOnNonHttpService,
            &Src::new(SRC),
            bot(ServiceKind::WsClient, 0.9),
        );
        assert_eq!(f.len(), 1);
        assert_eq!((f[0].span.line, f[0].span.col), (6, 13));
        assert_eq!(
            f[0].message,
            "every probe fails with connection refused on port 3000: `bot` listens on no port (it is a WebSocket client of gateway:18789), so it is marked unhealthy while it works"
        );
        assert_eq!(f[0].labels.len(), 2);
        assert_eq!(f[0].labels[1].span.line, 4);
    }

    #[test]
    fn silent_when_kind_is_unsure_or_listens() {
        let src = Src::new(SRC);
        assert!(
            run_one(
                &HttpProbeOnNonHttpService,
                &src,
                bot(ServiceKind::WsClient, 0.4)
            )
            .is_empty()
        );
        assert!(
            run_one(
                &HttpProbeOnNonHttpService,
                &src,
                bot(ServiceKind::Unknown, 1.0)
            )
            .is_empty()
        );
        assert!(
            run_one(
                &HttpProbeOnNonHttpService,
                &src,
                bot(ServiceKind::HttpServer, 0.9)
            )
            .is_empty()
        );
    }

    #[test]
    fn silent_when_the_client_declares_the_probed_port() {
        let src = Src::new(SRC);
        let b = bot(ServiceKind::WsClient, 0.9).served(3000, src.span("GATEWAY_URL"));
        assert!(run_one(&HttpProbeOnNonHttpService, &src, b).is_empty());
    }

    #[test]
    fn fires_on_http_probe_of_database_port() {
        let src = Src::new("services:\n  db:\n    test: curl -f http://localhost:5432/\n");
        let b = svc("db")
            .kind(ServiceKind::Database, 0.9)
            .test_shell(&src, "curl -f http://localhost:5432/")
            .probe(probe(vec![http_step(
                "curl",
                "curl -f http://localhost:5432/",
                Some(true),
            )]));
        let f = run_one(&HttpProbeOnNonHttpService, &src, b);
        assert_eq!(f.len(), 1);
        assert!(
            f[0].message.contains("PostgreSQL protocol on port 5432"),
            "{}",
            f[0].message
        );
    }

    #[test]
    fn silent_on_http_port_of_a_database() {
        let src =
            Src::new("services:\n  es:\n    test: curl -f http://localhost:9200/_cluster/health\n");
        let b = svc("es")
            .kind(ServiceKind::Database, 0.9)
            .test_shell(&src, "curl -f http://localhost:9200/_cluster/health")
            .probe(probe(vec![http_step(
                "curl",
                "curl -f http://localhost:9200/_cluster/health",
                Some(true),
            )]));
        assert!(run_one(&HttpProbeOnNonHttpService, &src, b).is_empty());
    }
}
