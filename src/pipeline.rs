//! Runs the analysis stages in order over a loaded project: infer, probe, rules. The result
//! is what every report format renders.

use crate::infer::KindInfo;
use crate::model::Project;
use crate::probe::Probe;
use crate::rules::Finding;

/// One service as the later stages see it.
#[derive(Debug)]
pub struct ServiceAnalysis {
    pub kind: KindInfo,
    /// The parsed effective check; `None` when the service has no active check.
    pub probe: Option<Probe>,
}

/// A whole lint result: the model, what was inferred for each service (index-aligned with
/// `project.services`), and the findings, sorted by file and position.
#[derive(Debug)]
pub struct Analysis {
    pub project: Project,
    pub services: Vec<ServiceAnalysis>,
    pub findings: Vec<Finding>,
    /// What `verify` observed in the running containers (the `live` member of the JSON report).
    pub live: Option<serde_json::Value>,
}

pub fn analyze(mut project: Project) -> Analysis {
    project.index_services();
    let kinds = crate::infer::infer_all(&project);
    let services = project
        .services
        .iter()
        .zip(kinds)
        .map(|(s, kind)| ServiceAnalysis {
            kind,
            probe: s
                .healthcheck
                .test
                .as_ref()
                .filter(|_| s.healthcheck.is_active())
                .map(|t| {
                    crate::probe::analyze(t, s.dockerfile.as_ref().and_then(|d| d.shell.as_deref()))
                }),
        })
        .collect::<Vec<_>>();
    let findings = crate::rules::check(&project, &services);
    Analysis {
        project,
        services,
        findings,
        live: None,
    }
}
