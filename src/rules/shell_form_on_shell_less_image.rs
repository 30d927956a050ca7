//! Fires when the check needs `/bin/sh` (CMD-SHELL, Dockerfile shell form, an explicit
//! `sh -c`) and the image is `scratch` or distroless without `:debug`, unless the Dockerfile
//! sets its own SHELL or copies a shell in.

use crate::model::TestForm;

use super::helpers::{image, test_span};
use super::{Finding, Rule, ServiceCtx};

pub struct ShellFormOnShellLessImage;

fn shell_less(image: &str) -> bool {
    let i = image.to_ascii_lowercase();
    if i == "scratch" {
        return true;
    }
    let tag = i
        .rsplit('/')
        .next()
        .and_then(|l| l.split_once(':'))
        .map(|(_, t)| t);
    let debug = tag.is_some_and(|t| t.contains("debug"));
    (i.contains("/distroless/") || i.starts_with("cgr.dev/chainguard/static")) && !debug
}

impl Rule for ShellFormOnShellLessImage {
    fn id(&self) -> &'static str {
        "HL208"
    }

    fn check_service(&self, cx: &ServiceCtx<'_>, out: &mut Vec<Finding>) {
        let Some(test) = &cx.service.healthcheck.test else {
            return;
        };
        let needs_shell =
            matches!(test.form, TestForm::CmdShell(_)) || cx.probe.is_some_and(|p| p.shell);
        if !needs_shell || !cx.service.healthcheck.is_active() {
            return;
        }
        let Some(img) = image(cx.service).filter(|i| shell_less(i)) else {
            return;
        };
        if let Some(d) = &cx.service.dockerfile {
            let brings_shell = d.shell.is_some()
                || d.copied_paths
                    .iter()
                    .any(|p| p.value.ends_with("/sh") || p.value.contains("busybox"));
            if brings_shell {
                return;
            }
        }
        let name = &cx.service.name;
        let f = Finding::new(
            self.id(),
            test_span(cx.service),
            format!(
                "`{img}` has no /bin/sh, so every probe fails to start and `{name}` is marked unhealthy; use the exec form with a binary the image ships"
            ),
        )
        .with_service(name);
        let named_at = cx
            .service
            .dockerfile
            .as_ref()
            .and_then(|d| d.base_image.as_ref())
            .or(cx.service.image.as_ref())
            .map(|i| i.span);
        let f = f.with_label(named_at, "this image has no shell");
        out.push(f);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::*;

    const SRC: &str = "services:\n  api:\n    image: gcr.io/distroless/static-debian12\n    healthcheck:\n      test: /app/health || exit 1\n";

    #[test]
    fn fires_on_cmd_shell_with_distroless() {
        let src = Src::new(SRC);
        let b = svc("api")
            .image("gcr.io/distroless/static-debian12")
            .test_shell(&src, "/app/health || exit 1");
        let f = run_one(&ShellFormOnShellLessImage, &src, b);
        assert_eq!(f.len(), 1);
        assert!(
            f[0].message
                .starts_with("`gcr.io/distroless/static-debian12` has no /bin/sh")
        );
    }

    #[test]
    fn silent_on_exec_form_or_debug_image() {
        let src = Src::new(SRC);
        let b = svc("api")
            .image("gcr.io/distroless/static-debian12")
            .test_cmd(&["/app/health"], src.span("/app/health"));
        assert!(run_one(&ShellFormOnShellLessImage, &src, b).is_empty());
        let b = svc("api")
            .image("gcr.io/distroless/base:debug")
            .test_shell(&src, "/app/health || exit 1");
        assert!(run_one(&ShellFormOnShellLessImage, &src, b).is_empty());
        let b = svc("api")
            .image("alpine:3.20")
            .test_shell(&src, "/app/health || exit 1");
        assert!(run_one(&ShellFormOnShellLessImage, &src, b).is_empty());
    }
}
