//! Fires on an exec-form (`CMD`) test whose arguments hold shell syntax (as the probe stage
//! reports it), or whose first element is a whole command line.

use crate::model::TestForm;

use super::helpers::test_span;
use super::{Finding, Fix, Rule, ServiceCtx};

pub struct ExecFormWithShellSyntax;

impl Rule for ExecFormWithShellSyntax {
    fn id(&self) -> &'static str {
        "HL201"
    }

    fn check_service(&self, cx: &ServiceCtx<'_>, out: &mut Vec<Finding>) {
        let Some(test) = &cx.service.healthcheck.test else {
            return;
        };
        let TestForm::Cmd(args) = &test.form else {
            return;
        };
        let Some(first) = args.first() else { return };
        let span = test_span(cx.service);
        let argv: Vec<&str> = args.iter().map(|a| a.value.as_str()).collect();
        let message = if first.value.trim().contains(char::is_whitespace) {
            format!(
                "no shell splits the exec form, so the engine looks for a program literally named `{}` and every probe fails",
                first.value.trim()
            )
        } else if let Some((_, syntax)) = cx.probe.and_then(|p| p.exec_shell_syntax.first()) {
            format!(
                "no shell runs the exec form, so `{syntax}` reaches `{}` as a literal argument instead of doing what it says",
                first.value
            )
        } else {
            return;
        };
        let fix = (!span.is_dummy()
            && cx.service.healthcheck.origin == crate::model::Origin::Compose)
            .then(|| Fix {
                description: "run it through the shell with CMD-SHELL".into(),
                span,
                replacement: format!(
                    "[\"CMD-SHELL\", {}]",
                    serde_json::Value::String(shell_join(&argv))
                ),
            });
        out.push(
            Finding::new(self.id(), span, message)
                .with_service(&cx.service.name)
                .with_fix(fix),
        );
    }
}

/// Joins argv into a script that keeps the author's intent: operators and `$VAR` stay live,
/// single arguments with spaces stay single.
fn shell_join(argv: &[&str]) -> String {
    if argv.len() == 1 {
        return argv[0].trim().to_string();
    }
    argv.iter()
        .map(|a| {
            let operator = matches!(
                *a,
                "&&" | "||" | "|" | ";" | ">" | "<" | "2>&1" | ">/dev/null"
            );
            if operator || a.contains('$') || !a.contains(char::is_whitespace) {
                a.to_string()
            } else {
                format!("'{}'", a.replace('\'', r"'\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::*;

    const SRC: &str = "services:\n  web:\n    healthcheck:\n      test: [\"CMD\", \"curl\", \"-f\", \"http://localhost/\", \"||\", \"exit\", \"1\"]\n";

    #[test]
    fn fires_on_operators_in_exec_form() {
        let src = Src::new(SRC);
        let mut p = probe(vec![]);
        p.exec_shell_syntax = vec![(4, "||".into())];
        let b = svc("web")
            .test_cmd(
                &["curl", "-f", "http://localhost/", "||", "exit", "1"],
                src.span("[\"CMD\""),
            )
            .probe(p);
        let f = run_one(&ExecFormWithShellSyntax, &src, b);
        assert_eq!(f.len(), 1);
        assert_eq!((f[0].span.line, f[0].span.col), (4, 13));
        assert_eq!(
            f[0].fix.as_ref().unwrap().replacement,
            r#"["CMD-SHELL", "curl -f http://localhost/ || exit 1"]"#
        );
    }

    #[test]
    fn fires_on_whole_command_in_one_element() {
        let src =
            Src::new("services:\n  web:\n    test: [\"CMD\", \"curl -f http://localhost/\"]\n");
        let b = svc("web")
            .test_cmd(&["curl -f http://localhost/"], src.span("[\"CMD\""))
            .probe(probe(vec![]));
        let f = run_one(&ExecFormWithShellSyntax, &src, b);
        assert_eq!(f.len(), 1);
        assert!(
            f[0].message
                .contains("literally named `curl -f http://localhost/`")
        );
    }

    #[test]
    fn silent_on_clean_exec_form() {
        let src = Src::new(SRC);
        let b = svc("web")
            .test_cmd(&["curl", "-f", "http://localhost/"], src.span("[\"CMD\""))
            .probe(probe(vec![]));
        assert!(run_one(&ExecFormWithShellSyntax, &src, b).is_empty());
    }
}
