//! Reports each HEALTHCHECK the Dockerfile loader found overridden by a later one.

use crate::model::IneffectiveReason;

use super::{Finding, Rule, ServiceCtx};

pub struct MultipleHealthchecks;

impl Rule for MultipleHealthchecks {
    fn id(&self) -> &'static str {
        "HL601"
    }

    fn check_service(&self, cx: &ServiceCtx<'_>, out: &mut Vec<Finding>) {
        let Some(facts) = &cx.service.dockerfile else {
            return;
        };
        for (span, why) in &facts.ineffective_healthchecks {
            if *why == IneffectiveReason::Overridden {
                out.push(Finding::new(
                    self.id(),
                    *span,
                    "a later HEALTHCHECK in the same stage replaces this one, so this check never runs",
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ImageFacts;
    use crate::rules::testing::*;

    const SRC: &str =
        "FROM nginx\nHEALTHCHECK CMD curl -f http://localhost/\nHEALTHCHECK CMD true\n";

    fn web(why: IneffectiveReason) -> Vec<Finding> {
        let src = Src::new(SRC);
        let mut b = svc("web");
        b.service.dockerfile = Some(ImageFacts {
            ineffective_healthchecks: vec![(src.span("HEALTHCHECK CMD curl"), why)],
            ..Default::default()
        });
        run_one(&MultipleHealthchecks, &src, b)
    }

    #[test]
    fn fires_on_overridden_check() {
        let f = web(IneffectiveReason::Overridden);
        assert_eq!(f.len(), 1);
        assert_eq!((f[0].span.line, f[0].span.col), (2, 1));
    }

    #[test]
    fn silent_on_other_reasons() {
        assert!(web(IneffectiveReason::NonFinalStage).is_empty());
    }
}
