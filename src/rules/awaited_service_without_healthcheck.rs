//! Fires on a plain (`service_started`) dependency on an assertive long-running server that
//! certainly has no check.

use crate::model::Condition;

use super::helpers::{kind_phrase, known_without_check};
use super::{Finding, ProjectCtx, Rule};

pub struct AwaitedServiceWithoutHealthcheck;

impl Rule for AwaitedServiceWithoutHealthcheck {
    fn id(&self) -> &'static str {
        "HL403"
    }

    fn check_analysis(&self, cx: &ProjectCtx<'_>, out: &mut Vec<Finding>) {
        for (service, dep, target, analysis) in cx.dependencies(Condition::ServiceStarted) {
            let kind = &analysis.kind;
            if !kind.is_assertive()
                || kind.kind.listens() != Some(true)
                || !known_without_check(target)
            {
                continue;
            }
            out.push(
                Finding::new(
                    self.id(),
                    dep.span,
                    format!(
                        "`{}` starts as soon as the container of `{}` ({}) starts, before it accepts connections, and nothing reports `{}` unhealthy when it stops serving",
                        service.name,
                        target.name,
                        kind_phrase(kind.kind),
                        target.name
                    ),
                )
                .with_service(&service.name)
                .with_label(Some(target.span), format!("`{}` has no healthcheck", target.name)),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::infer::ServiceKind;
    use crate::rules::testing::*;

    const SRC: &str =
        "services:\n  web:\n    depends_on:\n      - db\n  db:\n    image: postgres:16\n";

    fn fx(kind: ServiceKind, conf: f32) -> Fixture {
        let src = Src::new(SRC);
        let web = svc("web").depends_on("db", Condition::ServiceStarted, src.span("db\n"));
        let db = svc("db").image("postgres:16").kind(kind, conf);
        project(&src, vec![web, db])
    }

    #[test]
    fn fires_on_server_dependency_without_check() {
        let f = run(
            &AwaitedServiceWithoutHealthcheck,
            &fx(ServiceKind::Database, 0.95),
        );
        assert_eq!(f.len(), 1);
        assert_eq!((f[0].span.line, f[0].span.col), (4, 9));
    }

    #[test]
    fn silent_when_kind_is_unsure_or_not_a_server() {
        assert!(
            run(
                &AwaitedServiceWithoutHealthcheck,
                &fx(ServiceKind::Database, 0.3)
            )
            .is_empty()
        );
        assert!(
            run(
                &AwaitedServiceWithoutHealthcheck,
                &fx(ServiceKind::Oneshot, 0.9)
            )
            .is_empty()
        );
    }
}
