//! Fires when every step of the check of an assertive server is a process-presence test.

use crate::probe::ProbeKind;

use super::helpers::{kind_phrase, test_span};
use super::{Finding, Rule, ServiceCtx};

pub struct LivenessOnlyCheckOnServer;

impl Rule for LivenessOnlyCheckOnServer {
    fn id(&self) -> &'static str {
        "HL105"
    }

    fn check_service(&self, cx: &ServiceCtx<'_>, out: &mut Vec<Finding>) {
        let Some(probe) = cx.probe else { return };
        if !cx.kind.is_assertive() || cx.kind.kind.listens() != Some(true) {
            return;
        }
        if probe.steps.is_empty() || !probe.steps.iter().all(|s| s.kind == ProbeKind::Process) {
            return;
        }
        let name = &cx.service.name;
        let port = cx
            .kind
            .served_ports
            .first()
            .map_or(String::new(), |p| format!(" on port {}", p.port));
        out.push(
            Finding::new(
                self.id(),
                test_span(cx.service),
                format!(
                    "the check only proves a process exists, so `{name}` ({}) stays healthy while it hangs or stops answering{port}",
                    kind_phrase(cx.kind.kind)
                ),
            )
            .with_service(name),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::infer::ServiceKind;
    use crate::rules::testing::*;

    const SRC: &str = "services:\n  web:\n    test: pgrep nginx\n";

    fn web(kind: ServiceKind, p: crate::probe::Probe) -> SvcBuilder {
        let src = Src::new(SRC);
        svc("web")
            .kind(kind, 0.9)
            .test_shell(&src, "pgrep nginx")
            .probe(p)
    }

    #[test]
    fn fires_on_process_only_check_of_server() {
        let f = run_one(
            &LivenessOnlyCheckOnServer,
            &Src::new(SRC),
            web(
                ServiceKind::HttpServer,
                probe(vec![step(ProbeKind::Process, "pgrep nginx")]),
            ),
        );
        assert_eq!(f.len(), 1);
        assert_eq!((f[0].span.line, f[0].span.col), (3, 11));
    }

    #[test]
    fn silent_for_workers_and_real_probes() {
        let src = Src::new(SRC);
        assert!(
            run_one(
                &LivenessOnlyCheckOnServer,
                &src,
                web(
                    ServiceKind::Worker,
                    probe(vec![step(ProbeKind::Process, "pgrep nginx")])
                )
            )
            .is_empty()
        );
        let mixed = probe(vec![
            step(ProbeKind::Process, "pgrep nginx"),
            http_step("curl", "curl -f http://localhost/", Some(true)),
        ]);
        assert!(
            run_one(
                &LivenessOnlyCheckOnServer,
                &src,
                web(ServiceKind::HttpServer, mixed)
            )
            .is_empty()
        );
    }
}
