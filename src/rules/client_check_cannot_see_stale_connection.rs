//! Fires when an assertive WebSocket client is checked only by process presence and/or an
//! ESTABLISHED socket: neither sees a connection that went silent.

use crate::infer::ServiceKind;
use crate::probe::ProbeKind;

use super::helpers::test_span;
use super::{Finding, Rule, ServiceCtx};

pub struct ClientCheckCannotSeeStaleConnection;

impl Rule for ClientCheckCannotSeeStaleConnection {
    fn id(&self) -> &'static str {
        "HL106"
    }

    fn check_service(&self, cx: &ServiceCtx<'_>, out: &mut Vec<Finding>) {
        let Some(probe) = cx.probe else { return };
        if cx.kind.kind != ServiceKind::WsClient || !cx.kind.is_assertive() {
            return;
        }
        let only_presence = !probe.steps.is_empty()
            && probe
                .steps
                .iter()
                .all(|s| matches!(s.kind, ProbeKind::Process | ProbeKind::PeerConnection));
        if !only_presence {
            return;
        }
        let name = &cx.service.name;
        let mut f = Finding::new(
            self.id(),
            test_span(cx.service),
            format!(
                "a connection that went silent (no pongs, messages lost after idle) still shows as ESTABLISHED with the process running, so `{name}` stays healthy while it loses messages; check the age of a heartbeat file the client touches on each pong instead"
            ),
        )
        .with_service(name);
        for peer in &cx.kind.peers {
            f = f.with_label(
                peer.span,
                format!("`{name}` holds a connection to {}", peer.host),
            );
        }
        out.push(f);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::*;

    const SRC: &str = "services:\n  bot:\n    environment:\n      GATEWAY_URL: ws://gateway:18789\n    healthcheck:\n      test: pgrep -f bot.js && netstat -tn | grep -q ESTABLISHED\n";

    fn bot(kind: ServiceKind, steps: Vec<crate::probe::ProbeStep>) -> SvcBuilder {
        let src = Src::new(SRC);
        svc("bot")
            .kind(kind, 0.9)
            .peer("ws", "gateway", 18789, src.span("ws://gateway:18789"))
            .test_shell(&src, "pgrep -f bot.js && netstat -tn | grep -q ESTABLISHED")
            .probe(probe(steps))
    }

    #[test]
    fn fires_on_process_and_established_only() {
        let steps = vec![
            step(ProbeKind::Process, "pgrep -f bot.js"),
            step(ProbeKind::PeerConnection, "netstat -tn"),
        ];
        let f = run_one(
            &ClientCheckCannotSeeStaleConnection,
            &Src::new(SRC),
            bot(ServiceKind::WsClient, steps),
        );
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].span.line, 6);
        assert_eq!(f[0].labels[0].span.line, 4);
    }

    #[test]
    fn silent_with_a_heartbeat_file_or_for_other_kinds() {
        let src = Src::new(SRC);
        let steps = vec![
            step(ProbeKind::Process, "pgrep -f bot.js"),
            step(ProbeKind::File, "find /tmp/heartbeat -mmin -1"),
        ];
        assert!(
            run_one(
                &ClientCheckCannotSeeStaleConnection,
                &src,
                bot(ServiceKind::WsClient, steps)
            )
            .is_empty()
        );
        let steps = vec![step(ProbeKind::Process, "pgrep -f bot.js")];
        assert!(
            run_one(
                &ClientCheckCannotSeeStaleConnection,
                &src,
                bot(ServiceKind::Worker, steps)
            )
            .is_empty()
        );
    }
}
