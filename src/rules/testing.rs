//! Builders for rule unit tests.
#![cfg(test)]

use crate::infer::KindInfo;
use crate::model::{HealthCheck, HealthTest, Origin, Project, Service, TestForm};
use crate::probe::Probe;
use crate::rules::{Finding, Rule, ServiceCtx};
use crate::span::{Span, Spanned};

/// A project of one service `svc` running `image` with the CMD-SHELL check `script`, and a
/// probe that calls `programs`.
pub fn ctx_parts(image: &str, script: &str, programs: &[&str]) -> (Project, KindInfo, Probe) {
    let span = Span::new(0, 0, script.len(), 1, 1);
    let service = Service {
        name: "svc".into(),
        image: Some(Spanned::new(image.into(), span)),
        active: true,
        healthcheck: HealthCheck {
            origin: Origin::Compose,
            test: Some(HealthTest {
                form: TestForm::CmdShell(Spanned::new(script.into(), span)),
                span,
                from_string: false,
            }),
            ..Default::default()
        },
        ..Default::default()
    };
    let probe = Probe {
        shell: true,
        script: Some(script.into()),
        can_fail: true,
        programs: programs.iter().map(|p| p.to_string()).collect(),
        ..Default::default()
    };
    let project = Project {
        services: vec![service],
        ..Default::default()
    };
    (project, KindInfo::default(), probe)
}

/// Runs one rule on the first service of `project`.
pub fn run_rule(
    rule: &dyn Rule,
    project: &Project,
    kind: &KindInfo,
    probe: Option<&Probe>,
) -> Vec<Finding> {
    let cx = ServiceCtx {
        project,
        service: &project.services[0],
        kind,
        probe,
    };
    let mut out = Vec::new();
    rule.check_service(&cx, &mut out);
    out
}
