//! Fires on a required `service_healthy` dependency whose target disables its check.

use crate::model::Condition;

use super::helpers::test_span;
use super::{Finding, ProjectCtx, Rule};

pub struct HealthcheckDisabledButAwaited;

impl Rule for HealthcheckDisabledButAwaited {
    fn id(&self) -> &'static str {
        "HL402"
    }

    fn check_analysis(&self, cx: &ProjectCtx<'_>, out: &mut Vec<Finding>) {
        for (service, dep, target, _) in cx.dependencies(Condition::ServiceHealthy) {
            let hc = &target.healthcheck;
            let disabled = hc.disabled
                || hc
                    .test
                    .as_ref()
                    .is_some_and(|t| t.form == crate::model::TestForm::None);
            if !dep.required || !disabled {
                continue;
            }
            out.push(
                Finding::new(
                    self.id(),
                    dep.span,
                    format!(
                        "`docker compose up` fails with \"container {} has no healthcheck configured\": `{}` waits for `{}` to be healthy but its health check is disabled",
                        target.name, service.name, target.name
                    ),
                )
                .with_service(&service.name)
                .with_label(Some(test_span(target)), "the health check is disabled here"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::TestForm;
    use crate::rules::testing::*;

    const SRC: &str = "services:\n  web:\n    depends_on:\n      db:\n        condition: service_healthy\n  db:\n    healthcheck:\n      disable: true\n";

    fn fx(disabled: bool) -> Fixture {
        let src = Src::new(SRC);
        let web = svc("web").depends_on("db", Condition::ServiceHealthy, src.span("db:"));
        let db = if disabled {
            svc("db").test(TestForm::None, src.span("disable: true"), false)
        } else {
            svc("db").test_shell(&src, "disable: true")
        };
        project(&src, vec![web, db])
    }

    #[test]
    fn fires_on_disabled_target() {
        let f = run(&HealthcheckDisabledButAwaited, &fx(true));
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].span.line, 4);
        assert_eq!(f[0].labels[0].span.line, 8);
    }

    #[test]
    fn silent_on_active_target() {
        assert!(run(&HealthcheckDisabledButAwaited, &fx(false)).is_empty());
    }
}
