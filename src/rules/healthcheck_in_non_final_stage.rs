//! Reports each HEALTHCHECK the Dockerfile loader found in a stage that is not exported.

use crate::model::IneffectiveReason;

use super::{Finding, Rule, ServiceCtx};

pub struct HealthcheckInNonFinalStage;

impl Rule for HealthcheckInNonFinalStage {
    fn id(&self) -> &'static str {
        "HL602"
    }

    fn check_service(&self, cx: &ServiceCtx<'_>, out: &mut Vec<Finding>) {
        let Some(facts) = &cx.service.dockerfile else {
            return;
        };
        for (span, why) in &facts.ineffective_healthchecks {
            if *why == IneffectiveReason::NonFinalStage {
                out.push(Finding::new(
                    self.id(),
                    *span,
                    "this stage is not the image that runs, so the check is dropped and the container runs without it",
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

    const SRC: &str = "FROM golang AS build\nHEALTHCHECK CMD true\nFROM scratch\n";

    fn app(why: IneffectiveReason) -> Vec<Finding> {
        let src = Src::new(SRC);
        let mut b = svc("app");
        b.service.dockerfile = Some(ImageFacts {
            ineffective_healthchecks: vec![(src.span("HEALTHCHECK"), why)],
            ..Default::default()
        });
        run_one(&HealthcheckInNonFinalStage, &src, b)
    }

    #[test]
    fn fires_in_builder_stage() {
        let f = app(IneffectiveReason::NonFinalStage);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].span.line, 2);
    }

    #[test]
    fn silent_on_other_reasons() {
        assert!(app(IneffectiveReason::Overridden).is_empty());
    }
}
