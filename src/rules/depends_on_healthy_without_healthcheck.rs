//! Fires on a required `service_healthy` dependency whose target certainly has no check.

use crate::model::Condition;

use super::helpers::known_without_check;
use super::{Finding, ProjectCtx, Rule};

pub struct DependsOnHealthyWithoutHealthcheck;

impl Rule for DependsOnHealthyWithoutHealthcheck {
    fn id(&self) -> &'static str {
        "HL401"
    }

    fn check_analysis(&self, cx: &ProjectCtx<'_>, out: &mut Vec<Finding>) {
        for (service, dep, target, _) in cx.dependencies(Condition::ServiceHealthy) {
            if !dep.required || !known_without_check(target) {
                continue;
            }
            out.push(
                Finding::new(
                    self.id(),
                    dep.span,
                    format!(
                        "`docker compose up` fails with \"container {} has no healthcheck configured\": `{}` waits for `{}` to be healthy but it has no health check",
                        target.name, service.name, target.name
                    ),
                )
                .with_service(&service.name)
                .with_label(Some(target.span), format!("`{}` defines no healthcheck", target.name)),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::*;

    const SRC: &str = "services:\n  web:\n    depends_on:\n      db:\n        condition: service_healthy\n  db:\n    image: postgres:16\n";

    fn fx(db_image: &str, with_check: bool) -> Fixture {
        let src = Src::new(SRC);
        let web = svc("web").depends_on("db", Condition::ServiceHealthy, src.span("db:"));
        let mut db = svc("db").image(db_image);
        db.service.span = src.nth("db", 1);
        if with_check {
            db = db.test_shell(&src, "postgres:16");
        }
        project(&src, vec![web, db])
    }

    #[test]
    fn fires_on_official_image_without_check() {
        let f = run(
            &DependsOnHealthyWithoutHealthcheck,
            &fx("postgres:16", false),
        );
        assert_eq!(f.len(), 1);
        assert_eq!((f[0].span.line, f[0].span.col), (4, 7));
        assert_eq!(f[0].labels[0].span.line, 6);
    }

    #[test]
    fn silent_with_check_or_unknown_image() {
        assert!(
            run(
                &DependsOnHealthyWithoutHealthcheck,
                &fx("postgres:16", true)
            )
            .is_empty()
        );
        assert!(
            run(
                &DependsOnHealthyWithoutHealthcheck,
                &fx("ghcr.io/acme/db:1", false)
            )
            .is_empty()
        );
    }
}
