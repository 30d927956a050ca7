//! Fires when start_interval is set and start_period is unset or zero.

use super::helpers::{in_compose_file, insert_sibling_key};
use super::{Finding, Rule, ServiceCtx};

pub struct StartIntervalWithoutStartPeriod;

impl Rule for StartIntervalWithoutStartPeriod {
    fn id(&self) -> &'static str {
        "HL306"
    }

    fn check_service(&self, cx: &ServiceCtx<'_>, out: &mut Vec<Finding>) {
        let hc = &cx.service.healthcheck;
        let Some(si) = &hc.start_interval else { return };
        if !hc.start_period_or_default().is_zero() {
            return;
        }
        let message = if in_compose_file(cx.project, si.span) {
            "docker compose 2.36+ rejects the file (start_interval requires start_period), and older versions pass a start_interval the engine never uses"
        } else {
            "the engine only uses start_interval during the start period, and there is none, so it has no effect"
        };
        let fix = insert_sibling_key(
            cx.project,
            si.span,
            "start_period: 30s",
            "add the start period start_interval applies to",
        );
        out.push(
            Finding::new(self.id(), si.span, message)
                .with_service(&cx.service.name)
                .with_fix(fix),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::*;
    use crate::span::Spanned;
    use std::time::Duration;

    const SRC: &str = "services:\n  web:\n    healthcheck:\n      test: curl -f http://localhost/\n      start_interval: 2s\n";

    fn web(start_period: Option<u64>) -> Vec<crate::rules::Finding> {
        let src = Src::new(SRC);
        let mut b = svc("web").test_shell(&src, "curl -f http://localhost/");
        b.service.healthcheck.start_interval =
            Some(Spanned::new(Duration::from_secs(2), src.span("2s")));
        b.service.healthcheck.start_period =
            start_period.map(|s| Spanned::new(Duration::from_secs(s), src.span("web")));
        run_one(&StartIntervalWithoutStartPeriod, &src, b)
    }

    #[test]
    fn fires_with_an_insertion_fix() {
        let f = web(None);
        assert_eq!(f.len(), 1);
        assert!(
            f[0].message
                .starts_with("docker compose 2.36+ rejects the file")
        );
        let fix = f[0].fix.as_ref().unwrap();
        assert_eq!(fix.replacement, "start_period: 30s\n      ");
        assert_eq!((fix.span.line, fix.span.col), (5, 7));
        assert_eq!(web(Some(0)).len(), 1);
    }

    #[test]
    fn silent_with_a_start_period() {
        assert!(web(Some(30)).is_empty());
    }
}
