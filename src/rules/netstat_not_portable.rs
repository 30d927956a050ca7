//! HL502: the check calls `netstat` and healthlint cannot tell whether the image has it (when
//! it knows the image lacks it, HL501 reports that instead).

use crate::images::{self, Presence};
use crate::rules::{Finding, Rule, ServiceCtx, Severity};

pub struct NetstatNotPortable;

impl Rule for NetstatNotPortable {
    fn id(&self) -> &'static str {
        "HL502"
    }

    fn check_service(&self, cx: &ServiceCtx<'_>, out: &mut Vec<Finding>) {
        let (Some(probe), Some(test)) = (cx.probe, cx.service.healthcheck.test.as_ref()) else {
            return;
        };
        let uses_netstat = probe
            .programs
            .iter()
            .any(|p| p.rsplit('/').next() == Some("netstat"));
        if !uses_netstat || images::tool_fact(cx.service, "netstat").presence != Presence::Unknown {
            return;
        }
        out.push(Finding {
            rule: "HL502",
            severity: Severity::Info,
            service: Some(cx.service.name.clone()),
            span: test.span,
            message: "`netstat` comes from net-tools, which most current images no longer ship: where it is missing every probe exits 127; `ss` (iproute2) or reading /proc/net/tcp work without it".to_string(),
            labels: Vec::new(),
            fix: None,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::{ctx_parts, run_rule};

    #[test]
    fn fires_when_presence_is_unknown() {
        let (p, k, probe) = ctx_parts(
            "acme/bot:1",
            "netstat -tn | grep -q ESTABLISHED",
            &["netstat", "grep"],
        );
        assert_eq!(run_rule(&NetstatNotPortable, &p, &k, Some(&probe)).len(), 1);
    }

    #[test]
    fn silent_without_netstat_or_when_hl501_knows_better() {
        let (p, k, probe) = ctx_parts(
            "acme/bot:1",
            "ss -tn | grep -q ESTABLISHED",
            &["ss", "grep"],
        );
        assert!(run_rule(&NetstatNotPortable, &p, &k, Some(&probe)).is_empty());
        let (p, k, probe) = ctx_parts("node:20-slim", "netstat -tn", &["netstat"]);
        assert!(run_rule(&NetstatNotPortable, &p, &k, Some(&probe)).is_empty());
    }
}
