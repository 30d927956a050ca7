//! Fires when an explicitly set timeout is not below the effective interval. An unset
//! timeout (30s default) with a short interval is left alone, and so is a bare `timeout: 30s`
//! that only restates the defaults: those pairs are everywhere and only matter when a probe
//! hangs.

use super::helpers::{fmt_duration, replace_value};
use super::{Finding, Rule, ServiceCtx};

pub struct TimeoutNotBelowInterval;

impl Rule for TimeoutNotBelowInterval {
    fn id(&self) -> &'static str {
        "HL301"
    }

    fn check_service(&self, cx: &ServiceCtx<'_>, out: &mut Vec<Finding>) {
        let hc = &cx.service.healthcheck;
        if !hc.is_active() {
            return;
        }
        let Some(timeout) = &hc.timeout else { return };
        let interval = hc.interval_or_default();
        if timeout.value < interval || timeout.value.is_zero() {
            return;
        }
        // `timeout: 30s` alone restates the engine's own defaults (30s / 30s).
        if hc.interval.is_none() && timeout.value <= interval {
            return;
        }
        let retries = hc.retries_or_default();
        let worst = (timeout.value + interval) * retries;
        let better = (interval / 2)
            .max(std::time::Duration::from_secs(1))
            .min(interval);
        let fix = (better < interval).then(|| {
            replace_value(
                cx.project,
                timeout.span,
                &fmt_duration(better),
                format!("time out after {}, half the interval", fmt_duration(better)),
            )
        });
        let mut f = Finding::new(
            self.id(),
            timeout.span,
            format!(
                "a hanging probe delays the next one, so the period becomes timeout + interval and a dead `{}` is reported only after up to {} instead of {}",
                cx.service.name,
                fmt_duration(worst),
                fmt_duration(interval * retries)
            ),
        )
        .with_service(&cx.service.name)
        .with_fix(fix.flatten());
        if let Some(i) = &hc.interval {
            f = f.with_label(
                Some(i.span),
                format!("interval is {}", fmt_duration(i.value)),
            );
        }
        out.push(f);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::*;

    const SRC: &str = "services:\n  web:\n    healthcheck:\n      test: curl -f http://localhost/\n      interval: 10s\n      timeout: \"10s\"\n";

    fn web(interval: u64, timeout: u64) -> Vec<crate::rules::Finding> {
        let src = Src::new(SRC);
        let b = svc("web")
            .test_shell(&src, "curl -f http://localhost/")
            .interval(interval, src.span("10s"))
            .timeout(timeout, src.span("\"10s\""));
        run_one(&TimeoutNotBelowInterval, &src, b)
    }

    #[test]
    fn fires_with_a_lower_timeout() {
        let f = web(10, 10);
        assert_eq!(f.len(), 1);
        assert_eq!((f[0].span.line, f[0].span.col), (6, 16));
        assert!(
            f[0].message.contains("up to 1m instead of 30s"),
            "{}",
            f[0].message
        );
        assert_eq!(f[0].fix.as_ref().unwrap().replacement, "\"5s\"");
        assert_eq!(f[0].labels[0].span.line, 5);
    }

    #[test]
    fn silent_when_timeout_is_shorter() {
        assert!(web(10, 5).is_empty());
    }

    #[test]
    fn silent_on_a_timeout_restating_the_defaults() {
        let src = Src::new(SRC);
        let b = svc("web")
            .test_shell(&src, "curl -f http://localhost/")
            .timeout(30, src.span("\"10s\""));
        assert!(run_one(&TimeoutNotBelowInterval, &src, b).is_empty());
        let b = svc("web")
            .test_shell(&src, "curl -f http://localhost/")
            .timeout(60, src.span("\"10s\""));
        assert_eq!(run_one(&TimeoutNotBelowInterval, &src, b).len(), 1);
    }
}
