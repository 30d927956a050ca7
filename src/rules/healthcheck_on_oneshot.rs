//! Fires when an assertive one-shot job has an active check.

use crate::infer::ServiceKind;
use crate::model::Condition;

use super::helpers::test_span;
use super::{Finding, ProjectCtx, Rule};

pub struct HealthcheckOnOneshot;

impl Rule for HealthcheckOnOneshot {
    fn id(&self) -> &'static str {
        "HL404"
    }

    fn check_analysis(&self, cx: &ProjectCtx<'_>, out: &mut Vec<Finding>) {
        for (service, analysis) in cx.iter() {
            let kind = &analysis.kind;
            if kind.kind != ServiceKind::Oneshot
                || !kind.is_assertive()
                || !service.healthcheck.is_active()
            {
                continue;
            }
            let mut f = Finding::new(
                self.id(),
                test_span(service),
                format!(
                    "`{}` exits when its job is done and then reads unhealthy, so dependents waiting for service_healthy fail; they should wait for service_completed_successfully",
                    service.name
                ),
            )
            .with_service(&service.name);
            for (other, _) in cx.iter() {
                for dep in other
                    .depends_on
                    .iter()
                    .filter(|d| d.service == service.name)
                {
                    if dep.condition == Condition::ServiceHealthy {
                        f = f.with_label(
                            Some(dep.span),
                            format!("`{}` waits for it to be healthy", other.name),
                        );
                    }
                }
            }
            out.push(f);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::*;

    const SRC: &str = "services:\n  migrate:\n    healthcheck:\n      test: test -f /tmp/done\n  web:\n    depends_on:\n      migrate:\n        condition: service_healthy\n";

    fn fx(kind: ServiceKind) -> Fixture {
        let src = Src::new(SRC);
        let migrate = svc("migrate")
            .kind(kind, 0.9)
            .test_shell(&src, "test -f /tmp/done");
        let web = svc("web").depends_on(
            "migrate",
            Condition::ServiceHealthy,
            src.span("migrate:\n        condition"),
        );
        project(&src, vec![migrate, web])
    }

    #[test]
    fn fires_on_oneshot_with_check() {
        let f = run(&HealthcheckOnOneshot, &fx(ServiceKind::Oneshot));
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].span.line, 4);
        assert_eq!(f[0].labels[0].span.line, 7);
    }

    #[test]
    fn silent_on_servers() {
        assert!(run(&HealthcheckOnOneshot, &fx(ServiceKind::HttpServer)).is_empty());
    }
}
