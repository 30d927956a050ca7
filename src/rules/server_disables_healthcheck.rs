//! Fires when an assertive long-running server disables its check (`HEALTHCHECK NONE`,
//! `disable: true`, `test: ["NONE"]`).

use crate::model::TestForm;

use super::helpers::{kind_phrase, test_span};
use super::{Finding, Rule, ServiceCtx};

pub struct ServerDisablesHealthcheck;

impl Rule for ServerDisablesHealthcheck {
    fn id(&self) -> &'static str {
        "HL603"
    }

    fn check_service(&self, cx: &ServiceCtx<'_>, out: &mut Vec<Finding>) {
        let hc = &cx.service.healthcheck;
        let disabled = hc.disabled || hc.test.as_ref().is_some_and(|t| t.form == TestForm::None);
        if !disabled || !cx.kind.is_assertive() || cx.kind.kind.listens() != Some(true) {
            return;
        }
        let name = &cx.service.name;
        out.push(
            Finding::new(
                self.id(),
                test_span(cx.service),
                format!(
                    "`{name}` ({}) is never checked, so nothing reports it when it stops serving and `service_healthy` dependents cannot wait for it",
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

    const SRC: &str = "FROM nginx\nEXPOSE 80\nHEALTHCHECK NONE\n";

    fn web(kind: ServiceKind) -> Vec<crate::rules::Finding> {
        let src = Src::new(SRC);
        let b =
            svc("web")
                .kind(kind, 0.9)
                .test(TestForm::None, src.span("HEALTHCHECK NONE"), false);
        run_one(&ServerDisablesHealthcheck, &src, b)
    }

    #[test]
    fn fires_on_server() {
        let f = web(ServiceKind::HttpServer);
        assert_eq!(f.len(), 1);
        assert_eq!((f[0].span.line, f[0].span.col), (3, 1));
    }

    #[test]
    fn silent_on_jobs() {
        assert!(web(ServiceKind::Oneshot).is_empty());
        assert!(web(ServiceKind::Unknown).is_empty());
    }
}
