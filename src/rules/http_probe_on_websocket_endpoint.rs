//! Fires on a plain HTTP step against this container when the path is a WebSocket endpoint
//! (`/ws`, `/websocket`) or the port is declared as the WebSocket port (`WS_PORT`-style
//! variables, ports named or `app_protocol`-tagged `ws`).

use crate::model::Service;
use crate::probe::ProbeKind;
use crate::span::Span;

use super::helpers::{local_network_steps, test_span};
use super::{Finding, Rule, ServiceCtx};

pub struct HttpProbeOnWebsocketEndpoint;

impl Rule for HttpProbeOnWebsocketEndpoint {
    fn id(&self) -> &'static str {
        "HL103"
    }

    fn check_service(&self, cx: &ServiceCtx<'_>, out: &mut Vec<Finding>) {
        let Some(probe) = cx.probe else { return };
        let name = &cx.service.name;
        for (step, port) in local_network_steps(probe) {
            if step.kind != ProbeKind::Http {
                continue;
            }
            let path = step
                .target
                .as_ref()
                .and_then(|t| t.path.as_deref())
                .unwrap_or("/");
            let ws_path = is_ws_path(path);
            let ws_port = port.and_then(|p| ws_port_declaration(cx.service, p));
            if !ws_path && ws_port.is_none() {
                continue;
            }
            let what = if ws_path {
                format!("`{path}` is a WebSocket endpoint")
            } else {
                format!(
                    "port {} is `{name}`'s WebSocket port",
                    port.unwrap_or_default()
                )
            };
            let mut f = Finding::new(
                self.id(),
                test_span(cx.service),
                format!(
                    "{what} that answers a plain HTTP request with 400 or 426 Upgrade Required, so the check fails while `{name}` works"
                ),
            )
            .with_service(name);
            if let Some((span, msg)) = ws_port {
                f = f.with_label(Some(span), msg);
            }
            out.push(f);
            return;
        }
    }
}

fn is_ws_path(path: &str) -> bool {
    let p = path
        .split(['?', '#'])
        .next()
        .unwrap_or(path)
        .trim_end_matches('/');
    let last = p.rsplit('/').next().unwrap_or(p).to_ascii_lowercase();
    matches!(last.as_str(), "ws" | "wss" | "websocket" | "websockets")
}

fn ws_port_declaration(service: &Service, port: u16) -> Option<(Span, String)> {
    for e in &service.environment {
        let key = e.key.to_ascii_uppercase();
        let is_ws_key = key == "WS_PORT"
            || key == "WEBSOCKET_PORT"
            || key.ends_with("_WS_PORT")
            || key.ends_with("_WEBSOCKET_PORT");
        if is_ws_key && e.value.as_deref().and_then(|v| v.trim().parse().ok()) == Some(port) {
            return Some((e.span, format!("`{}` declares the WebSocket port", e.key)));
        }
    }
    service.ports.iter().find_map(|p| {
        let tagged = p
            .app_protocol
            .iter()
            .chain(&p.name)
            .any(|t| matches!(t.to_ascii_lowercase().as_str(), "ws" | "wss" | "websocket"));
        (tagged && (p.target..=p.target_end.max(p.target)).contains(&port))
            .then(|| (p.span, "declared as a WebSocket port".to_string()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::*;

    const SRC: &str = "services:\n  gw:\n    environment:\n      WS_PORT: \"8080\"\n      HEALTH_PORT: \"8081\"\n    healthcheck:\n      test: curl -f http://localhost:8080/\n  gw2:\n    healthcheck:\n      test: curl -f http://localhost:8081/health\n";

    #[test]
    fn fires_on_the_websocket_port() {
        let src = Src::new(SRC);
        let b = svc("gw")
            .env("WS_PORT", "8080", src.span("WS_PORT"))
            .test_shell(&src, "curl -f http://localhost:8080/")
            .probe(probe(vec![http_step(
                "curl",
                "curl -f http://localhost:8080/",
                Some(true),
            )]));
        let f = run_one(&HttpProbeOnWebsocketEndpoint, &src, b);
        assert_eq!(f.len(), 1);
        assert!(
            f[0].message
                .starts_with("port 8080 is `gw`'s WebSocket port"),
            "{}",
            f[0].message
        );
        assert_eq!(f[0].labels[0].span.line, 4);
    }

    #[test]
    fn fires_on_a_ws_path() {
        let src = Src::new("services:\n  gw:\n    test: curl -f http://localhost:3000/ws\n");
        let b = svc("gw")
            .test_shell(&src, "curl -f http://localhost:3000/ws")
            .probe(probe(vec![http_step(
                "curl",
                "curl -f http://localhost:3000/ws",
                Some(true),
            )]));
        assert_eq!(run_one(&HttpProbeOnWebsocketEndpoint, &src, b).len(), 1);
    }

    #[test]
    fn silent_on_the_separate_health_port() {
        let src = Src::new(SRC);
        let b = svc("gw")
            .env("WS_PORT", "8080", src.span("WS_PORT"))
            .test_shell(&src, "curl -f http://localhost:8081/health")
            .probe(probe(vec![http_step(
                "curl",
                "curl -f http://localhost:8081/health",
                Some(true),
            )]));
        assert!(run_one(&HttpProbeOnWebsocketEndpoint, &src, b).is_empty());
    }
}
