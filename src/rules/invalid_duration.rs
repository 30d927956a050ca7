//! Reports each duration the loader found unacceptable to compose or the engine.

use super::helpers::in_compose_file;
use super::{Finding, Rule, ServiceCtx};

pub struct InvalidDuration;

impl Rule for InvalidDuration {
    fn id(&self) -> &'static str {
        "HL303"
    }

    fn check_service(&self, cx: &ServiceCtx<'_>, out: &mut Vec<Finding>) {
        for (field, text) in &cx.service.healthcheck.invalid_durations {
            let who = if in_compose_file(cx.project, text.span) {
                "`docker compose` rejects the file"
            } else {
                "the image build fails"
            };
            out.push(
                Finding::new(
                    self.id(),
                    text.span,
                    format!(
                        "{who}: `{}` is not a valid {field} (write a number with a unit such as `30s` or `1m30s`, at least 1ms)",
                        text.value
                    ),
                )
                .with_service(&cx.service.name),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::*;
    use crate::span::Spanned;

    const SRC: &str = "services:\n  web:\n    healthcheck:\n      interval: 30\n";

    #[test]
    fn fires_on_each_invalid_duration() {
        let src = Src::new(SRC);
        let mut b = svc("web");
        b.service.healthcheck.invalid_durations =
            vec![("interval".into(), Spanned::new("30".into(), src.span("30")))];
        let f = run_one(&InvalidDuration, &src, b);
        assert_eq!(f.len(), 1);
        assert_eq!((f[0].span.line, f[0].span.col), (4, 17));
        assert!(
            f[0].message
                .starts_with("`docker compose` rejects the file: `30` is not a valid interval")
        );
    }

    #[test]
    fn silent_without_invalid_durations() {
        let src = Src::new(SRC);
        assert!(
            run_one(
                &InvalidDuration,
                &src,
                svc("web").interval(30, src.span("30"))
            )
            .is_empty()
        );
    }
}
