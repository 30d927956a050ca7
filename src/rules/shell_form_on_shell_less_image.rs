//! HL208: a check that needs `/bin/sh` (CMD-SHELL, a compose string, Dockerfile shell form) on
//! an image known to have no shell (distroless, scratch, chainguard). A custom `SHELL` in the
//! Dockerfile is trusted.

use crate::images::{self, Basis, Presence};
use crate::model::TestForm;
use crate::rules::{Finding, Label, Rule, ServiceCtx, Severity};

pub struct ShellFormOnShellLessImage;

impl Rule for ShellFormOnShellLessImage {
    fn id(&self) -> &'static str {
        "HL208"
    }

    fn check_service(&self, cx: &ServiceCtx<'_>, out: &mut Vec<Finding>) {
        let Some(test) = cx.service.healthcheck.test.as_ref() else {
            return;
        };
        if !cx.service.healthcheck.is_active() || !matches!(test.form, TestForm::CmdShell(_)) {
            return;
        }
        if cx
            .service
            .dockerfile
            .as_ref()
            .is_some_and(|d| d.shell.is_some())
        {
            return;
        }
        let fact = images::tool_fact(cx.service, "sh");
        let (Presence::Absent, Basis::Image { image, source }) = (fact.presence, fact.basis) else {
            return;
        };
        let labels = cx
            .service
            .image
            .as_ref()
            .map(|i| i.span)
            .or_else(|| {
                cx.service
                    .dockerfile
                    .as_ref()
                    .and_then(|d| d.base_image.as_ref().map(|b| b.span))
            })
            .filter(|s| !s.is_dummy())
            .map(|span| Label {
                span,
                message: format!("{image} has no /bin/sh ({source})"),
            })
            .into_iter()
            .collect();
        out.push(Finding {
            rule: "HL208",
            severity: Severity::Error,
            service: Some(cx.service.name.clone()),
            span: test.span,
            message: format!(
                "{image} has no /bin/sh, so the engine cannot start this shell-form check: every probe fails and `{}` never becomes healthy; use the exec form (`CMD` with a list)",
                cx.service.name
            ),
            labels,
            fix: None,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::{ctx_parts, run_rule};

    #[test]
    fn fires_on_distroless() {
        let (p, k, probe) = ctx_parts(
            "gcr.io/distroless/static:nonroot",
            "/app/health",
            &["/app/health"],
        );
        let f = run_rule(&ShellFormOnShellLessImage, &p, &k, Some(&probe));
        assert_eq!(f.len(), 1);
        assert!(f[0].message.contains("no /bin/sh"));
    }

    #[test]
    fn silent_on_images_with_a_shell_or_unknown() {
        for image in ["gcr.io/distroless/base:debug", "alpine:3.20", "acme/app"] {
            let (p, k, probe) = ctx_parts(image, "/app/health", &["/app/health"]);
            assert!(run_rule(&ShellFormOnShellLessImage, &p, &k, Some(&probe)).is_empty());
        }
    }
}
