//! Fires on a process step the probe stage found to match the shell running the check.

use super::helpers::{replace_once, test_span};
use super::{Finding, Rule, ServiceCtx};

pub struct PgrepMatchesOwnShell;

impl Rule for PgrepMatchesOwnShell {
    fn id(&self) -> &'static str {
        "HL204"
    }

    fn check_service(&self, cx: &ServiceCtx<'_>, out: &mut Vec<Finding>) {
        let Some(probe) = cx.probe else { return };
        let Some(step) = probe.steps.iter().find(|s| s.matches_own_shell) else {
            return;
        };
        let span = test_span(cx.service);
        let pattern = step.pattern.as_deref().unwrap_or_default();
        // `[n]ode` still matches `node` but no longer matches its own text in `sh -c`.
        let fix = pattern
            .chars()
            .next()
            .filter(|c| c.is_ascii_alphanumeric())
            .and_then(|c| {
                let bracketed = format!("[{c}]{}", &pattern[c.len_utf8()..]);
                replace_once(
                    cx.project,
                    span,
                    pattern,
                    &bracketed,
                    format!("write the pattern as `{bracketed}` so it cannot match its own shell"),
                )
            });
        let name = &cx.service.name;
        let shown = if pattern.is_empty() {
            step.tool.clone()
        } else {
            let flag = if step.full_command_line { " -f" } else { "" };
            format!("{}{flag} '{pattern}'", step.tool)
        };
        out.push(
            Finding::new(
                self.id(),
                span,
                format!(
                    "`{shown}` also matches the `/bin/sh -c` that runs the check, so it always succeeds and `{name}` stays healthy after its process dies"
                ),
            )
            .with_service(name)
            .with_fix(fix),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::{ProbeKind, ProbeStep};
    use crate::rules::testing::*;

    const SRC: &str = "services:\n  bot:\n    test: pgrep -f 'node.*bot.js' && true\n";

    fn pgrep(own: bool) -> ProbeStep {
        ProbeStep {
            pattern: Some("node.*bot.js".into()),
            full_command_line: true,
            matches_own_shell: own,
            ..step(ProbeKind::Process, "pgrep -f node.*bot.js")
        }
    }

    #[test]
    fn fires_with_bracket_fix() {
        let src = Src::new(SRC);
        let b = svc("bot")
            .test_shell(&src, "pgrep -f 'node.*bot.js' && true")
            .probe(probe(vec![pgrep(true)]));
        let f = run_one(&PgrepMatchesOwnShell, &src, b);
        assert_eq!(f.len(), 1);
        assert!(
            f[0].message
                .starts_with("`pgrep -f 'node.*bot.js'` also matches"),
            "{}",
            f[0].message
        );
        assert_eq!(f[0].fix.as_ref().unwrap().replacement, "[n]ode.*bot.js");
    }

    #[test]
    fn silent_when_pattern_cannot_match_itself() {
        let src = Src::new(SRC);
        let b = svc("bot")
            .test_shell(&src, "pgrep -f 'node.*bot.js' && true")
            .probe(probe(vec![pgrep(false)]));
        assert!(run_one(&PgrepMatchesOwnShell, &src, b).is_empty());
    }
}
