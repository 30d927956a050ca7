//! The rules. Each rule is one small file holding a unit struct that implements [`Rule`]; its
//! metadata (name, severity, summary, rationale, examples) lives in `rules/rules.toml`. Rules
//! see the model, the inferred kind and the parsed probe, never raw YAML, and do no I/O.

pub mod meta;
pub mod netstat_not_portable;
pub mod probe_tool_missing_in_image;
pub mod shell_form_on_shell_less_image;
mod testing;

use serde::{Deserialize, Serialize};

use crate::infer::KindInfo;
use crate::model::{Project, Service};
use crate::probe::Probe;
use crate::span::Span;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

/// A secondary location worth showing with the finding (the port declaration, the env var
/// that made the service a client).
#[derive(Clone, Debug, Serialize)]
pub struct Label {
    pub span: Span,
    pub message: String,
}

/// A proposed replacement: the text to put at `span`.
#[derive(Clone, Debug, Serialize)]
pub struct Fix {
    pub description: String,
    #[serde(skip)]
    pub span: Span,
    pub replacement: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct Finding {
    pub rule: &'static str,
    pub severity: Severity,
    pub service: Option<String>,
    pub span: Span,
    /// What will happen at run time, one sentence, no trailing period.
    pub message: String,
    pub labels: Vec<Label>,
    pub fix: Option<Fix>,
}

/// Everything a rule may look at for one service.
pub struct ServiceCtx<'a> {
    pub project: &'a Project,
    pub service: &'a Service,
    pub kind: &'a KindInfo,
    /// `None` when the service has no active check.
    pub probe: Option<&'a Probe>,
}

pub trait Rule: Sync {
    /// The catalog id, e.g. `HL101`.
    fn id(&self) -> &'static str;
    fn check_service(&self, _cx: &ServiceCtx<'_>, _out: &mut Vec<Finding>) {}
    fn check_project(&self, _project: &Project, _out: &mut Vec<Finding>) {}
}
