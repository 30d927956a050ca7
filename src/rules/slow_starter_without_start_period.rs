//! Fires when inference marks the service a slow starter and its active check has no
//! start_period.

use super::helpers::{insert_sibling_key, test_span};
use super::{Finding, Rule, ServiceCtx};

pub struct SlowStarterWithoutStartPeriod;

impl Rule for SlowStarterWithoutStartPeriod {
    fn id(&self) -> &'static str {
        "HL302"
    }

    fn check_service(&self, cx: &ServiceCtx<'_>, out: &mut Vec<Finding>) {
        let hc = &cx.service.healthcheck;
        let Some(why) = &cx.kind.slow_starter else {
            return;
        };
        if !hc.is_active() || !hc.start_period_or_default().is_zero() {
            return;
        }
        let window = hc.interval_or_default() * hc.retries_or_default();
        let anchor = hc
            .interval
            .as_ref()
            .map(|d| d.span)
            .or(hc.timeout.as_ref().map(|d| d.span))
            .or(hc.retries.as_ref().map(|d| d.span))
            .unwrap_or_else(|| test_span(cx.service));
        let fix = insert_sibling_key(
            cx.project,
            anchor,
            "start_period: 60s",
            "give it a start period so startup failures do not count",
        );
        let name = &cx.service.name;
        out.push(
            Finding::new(
                self.id(),
                test_span(cx.service),
                format!(
                    "`{name}` ({why}) can take longer than the {} of failed probes it is allowed, so it is marked unhealthy while it is still starting and `service_healthy` dependents fail",
                    super::helpers::fmt_duration(window)
                ),
            )
            .with_service(name)
            .with_fix(fix),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::*;

    const SRC: &str =
        "services:\n  db:\n    healthcheck:\n      test: pg_isready\n      interval: 5s\n";

    fn db(slow: Option<&str>, start_period: bool) -> Vec<crate::rules::Finding> {
        let src = Src::new(SRC);
        let mut b = svc("db")
            .test_shell(&src, "pg_isready")
            .interval(5, src.span("5s"));
        b.kind.slow_starter = slow.map(String::from);
        if start_period {
            b.service.healthcheck.start_period = Some(crate::span::Spanned::new(
                std::time::Duration::from_secs(30),
                src.span("5s"),
            ));
        }
        run_one(&SlowStarterWithoutStartPeriod, &src, b)
    }

    #[test]
    fn fires_with_an_insertion_fix() {
        let f = db(Some("postgres"), false);
        assert_eq!(f.len(), 1);
        assert!(
            f[0].message.contains("than the 15s of failed probes"),
            "{}",
            f[0].message
        );
        let fix = f[0].fix.as_ref().unwrap();
        assert_eq!(fix.replacement, "start_period: 60s\n      ");
        assert_eq!((fix.span.line, fix.span.col, fix.span.len()), (5, 7, 0));
    }

    #[test]
    fn silent_for_fast_starters_or_with_start_period() {
        assert!(db(None, false).is_empty());
        assert!(db(Some("postgres"), true).is_empty());
    }
}
