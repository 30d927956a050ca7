//! Fires when the script can exit explicitly with a code other than 0 and 1.

use super::helpers::test_span;
use super::{Finding, Rule, ServiceCtx};

pub struct ReservedExitCode;

impl Rule for ReservedExitCode {
    fn id(&self) -> &'static str {
        "HL206"
    }

    fn check_service(&self, cx: &ServiceCtx<'_>, out: &mut Vec<Finding>) {
        let Some(probe) = cx.probe else { return };
        let mut codes: Vec<i32> = probe
            .explicit_exit_codes
            .iter()
            .copied()
            .filter(|c| !matches!(c, 0 | 1))
            .collect();
        codes.sort_unstable();
        codes.dedup();
        let Some(&first) = codes.first() else { return };
        let list = codes
            .iter()
            .map(i32::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        let what = if first == 2 && codes.len() == 1 {
            "2, which the engine reserves".to_string()
        } else {
            format!("{list}, outside the engine's 0 (healthy) / 1 (unhealthy) contract")
        };
        out.push(
            Finding::new(
                self.id(),
                test_span(cx.service),
                format!(
                    "the check can exit with {what}; it counts as unhealthy and reads like a tooling error (126, 127) or kill (137) in `docker inspect`"
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

    const SRC: &str = "services:\n  web:\n    test: curl -f http://localhost/ || exit 2\n";

    fn web(codes: Vec<i32>) -> SvcBuilder {
        let src = Src::new(SRC);
        let mut p = probe(vec![http_step(
            "curl",
            "curl -f http://localhost/",
            Some(true),
        )]);
        p.explicit_exit_codes = codes;
        svc("web")
            .test_shell(&src, "curl -f http://localhost/ || exit 2")
            .probe(p)
    }

    #[test]
    fn fires_on_exit_2() {
        let f = run_one(&ReservedExitCode, &Src::new(SRC), web(vec![2]));
        assert_eq!(f.len(), 1);
        assert!(
            f[0].message
                .starts_with("the check can exit with 2, which the engine reserves")
        );
    }

    #[test]
    fn silent_on_exit_1() {
        assert!(run_one(&ReservedExitCode, &Src::new(SRC), web(vec![1, 0])).is_empty());
    }
}
