//! Fires on a curl step the probe stage found not to fail on HTTP errors (no `-f`,
//! `--fail`, `--fail-with-body`).

use crate::model::TestForm;

use super::helpers::{replace_once, test_span, tool};
use super::{Finding, Fix, Rule, ServiceCtx};

pub struct CurlWithoutFail;

impl Rule for CurlWithoutFail {
    fn id(&self) -> &'static str {
        "HL202"
    }

    fn check_service(&self, cx: &ServiceCtx<'_>, out: &mut Vec<Finding>) {
        let Some(probe) = cx.probe else { return };
        let Some(step) = probe
            .steps
            .iter()
            .find(|s| tool(s) == "curl" && s.fails_on_http_error == Some(false))
        else {
            return;
        };
        let span = test_span(cx.service);
        let fix = self.fix(cx, span, &step.tool);
        out.push(
            Finding::new(
                self.id(),
                span,
                format!(
                    "curl exits 0 on HTTP 500 or 503, so `{}` is counted healthy while it returns errors",
                    cx.service.name
                ),
            )
            .with_service(&cx.service.name)
            .with_fix(fix),
        );
    }
}

impl CurlWithoutFail {
    fn fix(&self, cx: &ServiceCtx<'_>, span: crate::span::Span, curl: &str) -> Option<Fix> {
        let test = cx.service.healthcheck.test.as_ref()?;
        let description = "make curl fail on HTTP errors with -f";
        match &test.form {
            TestForm::Cmd(_) => replace_once(
                cx.project,
                span,
                &format!("\"{curl}\","),
                &format!("\"{curl}\", \"-f\","),
                description,
            ),
            _ => replace_once(
                cx.project,
                span,
                &format!("{curl} "),
                &format!("{curl} -f "),
                description,
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::*;

    const SRC: &str =
        "services:\n  web:\n    healthcheck:\n      test: curl http://localhost:8080/health\n";

    #[test]
    fn fires_and_adds_fail_flag() {
        let src = Src::new(SRC);
        let b = svc("web")
            .test_shell(&src, "curl http://localhost:8080/health")
            .probe(probe(vec![http_step(
                "curl",
                "curl http://localhost:8080/health",
                Some(false),
            )]));
        let f = run_one(&CurlWithoutFail, &src, b);
        assert_eq!(f.len(), 1);
        assert_eq!(
            f[0].message,
            "curl exits 0 on HTTP 500 or 503, so `web` is counted healthy while it returns errors"
        );
        let fix = f[0].fix.as_ref().unwrap();
        assert_eq!(fix.replacement, "curl -f ");
        assert_eq!((fix.span.line, fix.span.col), (4, 13));
    }

    #[test]
    fn fix_in_exec_form() {
        let src =
            Src::new("services:\n  web:\n    test: [\"CMD\", \"curl\", \"http://localhost/\"]\n");
        let b = svc("web")
            .test_cmd(
                &["curl", "http://localhost/"],
                src.span("[\"CMD\", \"curl\", \"http://localhost/\"]"),
            )
            .probe(probe(vec![http_step(
                "curl",
                "curl http://localhost/",
                Some(false),
            )]));
        let f = run_one(&CurlWithoutFail, &src, b);
        assert_eq!(f[0].fix.as_ref().unwrap().replacement, "\"curl\", \"-f\",");
    }

    #[test]
    fn silent_with_fail_flag_or_other_tools() {
        let src = Src::new(SRC);
        let b = svc("web")
            .test_shell(&src, "curl http://localhost:8080/health")
            .probe(probe(vec![http_step(
                "curl",
                "curl -f http://localhost:8080/health",
                Some(true),
            )]));
        assert!(run_one(&CurlWithoutFail, &src, b).is_empty());
        let b = svc("web")
            .test_shell(&src, "curl http://localhost:8080/health")
            .probe(probe(vec![http_step(
                "wget",
                "wget -q http://localhost:8080/health",
                Some(false),
            )]));
        assert!(run_one(&CurlWithoutFail, &src, b).is_empty());
    }
}
