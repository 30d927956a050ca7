//! Fires wherever start_interval is set: engines before 25.0 (API 1.44) drop it.

use super::{Finding, Rule, ServiceCtx};

pub struct StartIntervalUnsupported;

impl Rule for StartIntervalUnsupported {
    fn id(&self) -> &'static str {
        "HL305"
    }

    fn check_service(&self, cx: &ServiceCtx<'_>, out: &mut Vec<Finding>) {
        let hc = &cx.service.healthcheck;
        let Some(si) = hc.start_interval.as_ref().filter(|_| hc.is_active()) else {
            return;
        };
        out.push(
            Finding::new(
                self.id(),
                si.span,
                format!(
                    "engines older than Docker 25.0 (API 1.44) ignore start_interval, so there `{}` is probed every {} from the start",
                    cx.service.name,
                    super::helpers::fmt_duration(hc.interval_or_default())
                ),
            )
            .with_service(&cx.service.name),
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

    #[test]
    fn fires_when_set() {
        let src = Src::new(SRC);
        let mut b = svc("web").test_shell(&src, "curl -f http://localhost/");
        b.service.healthcheck.start_interval =
            Some(Spanned::new(Duration::from_secs(2), src.span("2s")));
        let f = run_one(&StartIntervalUnsupported, &src, b);
        assert_eq!(f.len(), 1);
        assert_eq!((f[0].span.line, f[0].span.col), (5, 23));
    }

    #[test]
    fn silent_when_unset() {
        let src = Src::new(SRC);
        assert!(
            run_one(
                &StartIntervalUnsupported,
                &src,
                svc("web").test_shell(&src, "curl -f http://localhost/")
            )
            .is_empty()
        );
    }
}
