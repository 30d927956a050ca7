//! Fires when interval × retries (effective values, only when either is set) is under 10 s
//! or over 10 min.

use std::time::Duration;

use super::helpers::fmt_duration;
use super::{Finding, Rule, ServiceCtx};

pub struct DetectionWindowOutOfRange;

const MIN: Duration = Duration::from_secs(10);
const MAX: Duration = Duration::from_secs(600);

impl Rule for DetectionWindowOutOfRange {
    fn id(&self) -> &'static str {
        "HL304"
    }

    fn check_service(&self, cx: &ServiceCtx<'_>, out: &mut Vec<Finding>) {
        let hc = &cx.service.healthcheck;
        if !hc.is_active() {
            return;
        }
        let Some(span) = hc
            .interval
            .as_ref()
            .map(|d| d.span)
            .or(hc.retries.as_ref().map(|r| r.span))
        else {
            return;
        };
        let interval = hc.interval_or_default();
        let retries = hc.retries_or_default();
        let window = interval * retries;
        let name = &cx.service.name;
        let shown = format!(
            "{} × {retries} = {}",
            fmt_duration(interval),
            fmt_duration(window)
        );
        let message = if window < MIN {
            format!(
                "{shown} of failed probes marks `{name}` unhealthy, so a short blip (a GC pause, a slow query) flaps it"
            )
        } else if window > MAX {
            format!("{shown}: an outage of `{name}` goes unnoticed for that long")
        } else {
            return;
        };
        out.push(Finding::new(self.id(), span, message).with_service(name));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::*;

    const SRC: &str = "services:\n  web:\n    healthcheck:\n      test: curl -f http://localhost/\n      interval: 2s\n";

    fn web(secs: u64) -> Vec<crate::rules::Finding> {
        let src = Src::new(SRC);
        let b = svc("web")
            .test_shell(&src, "curl -f http://localhost/")
            .interval(secs, src.span("2s"));
        run_one(&DetectionWindowOutOfRange, &src, b)
    }

    #[test]
    fn fires_on_short_and_long_windows() {
        let f = web(2);
        assert_eq!(f.len(), 1);
        assert!(
            f[0].message.starts_with("2s × 3 = 6s of failed probes"),
            "{}",
            f[0].message
        );
        assert_eq!(
            web(300)[0].message,
            "5m × 3 = 15m: an outage of `web` goes unnoticed for that long"
        );
    }

    #[test]
    fn silent_in_range() {
        assert!(web(10).is_empty());
        assert!(web(200).is_empty());
    }
}
