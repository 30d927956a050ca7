//! Fires on a test compose or the engine rejects or cannot run: not starting with CMD,
//! CMD-SHELL or NONE, `["CMD"]` alone, an empty CMD-SHELL script, NONE with arguments.

use crate::model::TestForm;

use super::helpers::{in_compose_file, test_span};
use super::{Finding, Rule, ServiceCtx};

pub struct InvalidTestForm;

impl Rule for InvalidTestForm {
    fn id(&self) -> &'static str {
        "HL207"
    }

    fn check_service(&self, cx: &ServiceCtx<'_>, out: &mut Vec<Finding>) {
        let Some(test) = &cx.service.healthcheck.test else {
            return;
        };
        let span = test_span(cx.service);
        let message = match &test.form {
            TestForm::Invalid(items) => match items.first().map(|s| s.value.trim()) {
                None | Some("") => "the test is empty, so the engine ignores it and runs the image's own check, if any".to_string(),
                Some("NONE") => "`NONE` takes no arguments, so compose rejects the file".to_string(),
                Some("CMD") if items.len() == 1 => {
                    "`CMD` has no command, so every probe fails with \"has no command\" and the service turns unhealthy".to_string()
                }
                Some("CMD-SHELL") if items.len() == 1 => {
                    "`CMD-SHELL` has no script, so every probe fails and the service turns unhealthy".to_string()
                }
                Some("CMD-SHELL") => {
                    "`CMD-SHELL` takes one script string; the engine joins the extra items with spaces and their quoting is lost".to_string()
                }
                Some(word) => {
                    let who = if in_compose_file(cx.project, span) {
                        "compose rejects the file"
                    } else {
                        "the engine runs no probe"
                    };
                    format!(
                        "the test starts with `{word}` instead of CMD, CMD-SHELL or NONE, so {who}"
                    )
                }
            },
            TestForm::Cmd(args) if args.iter().all(|a| a.value.trim().is_empty()) => {
                "`CMD` has no command, so every probe fails with \"has no command\" and the service turns unhealthy".to_string()
            }
            TestForm::CmdShell(script) if script.value.trim().is_empty() => {
                "the CMD-SHELL script is empty, so the shell exits 0 and the service is always healthy".to_string()
            }
            _ => return,
        };
        out.push(Finding::new(self.id(), span, message).with_service(&cx.service.name));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::*;
    use crate::span::Spanned;

    const SRC: &str = "services:\n  web:\n    healthcheck:\n      test: [\"curl\", \"-f\", \"http://localhost/\"]\n";

    #[test]
    fn fires_on_missing_cmd_word() {
        let src = Src::new(SRC);
        let span = src.span("[\"curl\"");
        let items = ["curl", "-f", "http://localhost/"]
            .iter()
            .map(|s| Spanned::new(s.to_string(), span))
            .collect();
        let b = svc("web").test(TestForm::Invalid(items), span, false);
        let f = run_one(&InvalidTestForm, &src, b);
        assert_eq!(f.len(), 1);
        assert_eq!(
            f[0].message,
            "the test starts with `curl` instead of CMD, CMD-SHELL or NONE, so compose rejects the file"
        );
        assert_eq!((f[0].span.line, f[0].span.col), (4, 13));
    }

    #[test]
    fn fires_on_bare_cmd() {
        let src = Src::new(SRC);
        let b = svc("web").test(TestForm::Cmd(vec![]), src.span("[\"curl\""), false);
        assert_eq!(run_one(&InvalidTestForm, &src, b).len(), 1);
        let span = src.span("[\"curl\"");
        let b = svc("web").test(
            TestForm::Invalid(vec![Spanned::new("CMD".into(), span)]),
            span,
            false,
        );
        let f = run_one(&InvalidTestForm, &src, b);
        assert!(
            f[0].message.starts_with("`CMD` has no command"),
            "{}",
            f[0].message
        );
    }

    #[test]
    fn silent_on_valid_forms() {
        let src = Src::new(SRC);
        let b = svc("web").test_cmd(&["curl", "-f", "http://localhost/"], src.span("[\"curl\""));
        assert!(run_one(&InvalidTestForm, &src, b).is_empty());
        let b = svc("web").test(TestForm::None, src.span("[\"curl\""), false);
        assert!(run_one(&InvalidTestForm, &src, b).is_empty());
    }
}
