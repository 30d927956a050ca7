//! Fires when the probe stage found the check's exit status constant.

use crate::probe::ProbeKind;

use super::helpers::test_span;
use super::{Finding, Rule, ServiceCtx};

pub struct ProbeCannotFail;

impl Rule for ProbeCannotFail {
    fn id(&self) -> &'static str {
        "HL203"
    }

    fn check_service(&self, cx: &ServiceCtx<'_>, out: &mut Vec<Finding>) {
        let Some(probe) = cx.probe else { return };
        if probe.can_fail || probe.kind == ProbeKind::None {
            return;
        }
        let why = probe
            .cannot_fail_reason
            .as_deref()
            .map_or(String::new(), |r| format!(" ({r})"));
        let name = &cx.service.name;
        out.push(
            Finding::new(
                self.id(),
                test_span(cx.service),
                format!(
                    "the check always exits 0{why}, so `{name}` is reported healthy even when it is down"
                ),
            )
            .with_service(name),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::*;

    const SRC: &str = "services:\n  web:\n    test: curl -f http://localhost/ || true\n";

    fn web(can_fail: bool) -> SvcBuilder {
        let src = Src::new(SRC);
        let mut p = probe(vec![http_step(
            "curl",
            "curl -f http://localhost/",
            Some(true),
        )]);
        p.can_fail = can_fail;
        p.cannot_fail_reason =
            (!can_fail).then(|| "`|| true` turns every failure into success".into());
        svc("web")
            .test_shell(&src, "curl -f http://localhost/ || true")
            .probe(p)
    }

    #[test]
    fn fires_when_constant() {
        let f = run_one(&ProbeCannotFail, &Src::new(SRC), web(false));
        assert_eq!(f.len(), 1);
        assert_eq!(
            f[0].message,
            "the check always exits 0 (`|| true` turns every failure into success), so `web` is reported healthy even when it is down"
        );
    }

    #[test]
    fn silent_when_it_can_fail() {
        assert!(run_one(&ProbeCannotFail, &Src::new(SRC), web(true)).is_empty());
    }
}
