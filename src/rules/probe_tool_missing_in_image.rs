//! HL501: a program the check calls that the image is known not to have. Presence comes from
//! `rules/images.toml` and the Dockerfile's own installs (`crate::images`); unknown images and
//! tools stay silent.

use crate::images::{self, Basis, Presence};
use crate::model::TestForm;
use crate::rules::{Finding, Label, Rule, ServiceCtx, Severity};

pub struct ProbeToolMissingInImage;

/// Shell builtins: they exist wherever the shell does.
const BUILTINS: &[&str] = &[
    "test", "[", "echo", "printf", "kill", "exit", "true", "false", ":", "cd", "read", "command",
    "type", "set", "sh", "eval", "exec",
];

impl Rule for ProbeToolMissingInImage {
    fn id(&self) -> &'static str {
        "HL501"
    }

    fn check_service(&self, cx: &ServiceCtx<'_>, out: &mut Vec<Finding>) {
        let (Some(probe), Some(test)) = (cx.probe, cx.service.healthcheck.test.as_ref()) else {
            return;
        };
        let shell = matches!(test.form, TestForm::CmdShell(_));
        if shell && images::tool_fact(cx.service, "sh").presence == Presence::Absent {
            return; // HL208: nothing runs at all.
        }
        let mut seen: Vec<&str> = Vec::new();
        for program in &probe.programs {
            let name = program.rsplit('/').next().unwrap_or(program);
            if seen.contains(&name) || (shell && BUILTINS.contains(&name)) {
                continue;
            }
            seen.push(name);
            let fact = images::tool_fact(cx.service, name);
            if fact.presence != Presence::Absent {
                continue;
            }
            let Basis::Image { image, source } = fact.basis else {
                continue;
            };
            let mut labels = Vec::new();
            let image_span = cx
                .service
                .dockerfile
                .as_ref()
                .and_then(|d| d.base_image.as_ref().map(|b| b.span))
                .or_else(|| cx.service.image.as_ref().map(|i| i.span));
            if let Some(span) = image_span.filter(|s| !s.is_dummy()) {
                labels.push(Label {
                    span,
                    message: format!("{image} has no `{name}` ({source})"),
                });
            }
            out.push(Finding {
                rule: "HL501",
                severity: Severity::Error,
                service: Some(cx.service.name.clone()),
                span: test.span,
                message: format!(
                    "`{name}` is not in {image}: every probe exits 127 (command not found), so `{}` is marked unhealthy while it works",
                    cx.service.name
                ),
                labels,
                fix: None,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::{ctx_parts, run_rule};

    #[test]
    fn fires_for_curl_in_node_slim() {
        let (project, kind, probe) =
            ctx_parts("node:20-slim", "curl -f http://localhost:3000/", &["curl"]);
        let f = run_rule(&ProbeToolMissingInImage, &project, &kind, Some(&probe));
        assert_eq!(f.len(), 1, "{f:?}");
        assert!(f[0].message.contains("`curl` is not in node:20-slim"));
    }

    #[test]
    fn silent_when_the_image_has_it_or_is_unknown() {
        for image in ["node:20", "acme/app:1"] {
            let (project, kind, probe) =
                ctx_parts(image, "curl -f http://localhost:3000/", &["curl"]);
            assert!(run_rule(&ProbeToolMissingInImage, &project, &kind, Some(&probe)).is_empty());
        }
    }
}
