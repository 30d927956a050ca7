//! The load stage: finds the compose files the way `docker compose` does, reads them and the
//! Dockerfiles their `build:` points to, and produces the `Project` model. Missing side files
//! (`.env`, `env_file`, build contexts) become warnings: CI rarely has what a deploy has.

pub mod compose;
pub mod dotenv;
pub mod interpolate;
pub mod yaml;

use std::path::PathBuf;

use crate::span::Span;

/// What the command line and environment say about which project to load.
#[derive(Clone, Debug, Default)]
pub struct LoadOptions {
    /// `-f` files in order; empty means discover.
    pub files: Vec<PathBuf>,
    pub project_directory: Option<PathBuf>,
    pub project_name: Option<String>,
    pub env_files: Vec<PathBuf>,
    pub profiles: Vec<String>,
    /// The environment used for interpolation. Tests pass a fixed map; the CLI passes the
    /// process environment.
    pub env: Vec<(String, String)>,
    /// Working directory for discovery and relative paths.
    pub cwd: PathBuf,
}

/// Load errors are boxed: they carry source text and are rare, results are common.
pub type LoadResult<T> = Result<T, Box<LoadError>>;

/// A load failure: the input is not a valid compose project or Dockerfile.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("{message}")]
#[diagnostic(code(healthlint::load))]
pub struct LoadError {
    pub message: String,
    #[source_code]
    pub src: Option<miette::NamedSource<String>>,
    #[label("{label}")]
    pub at: Option<miette::SourceSpan>,
    pub label: String,
    /// Where it happened, for the `file:line:col` line and JSON.
    pub span: Option<Span>,
    pub path: Option<PathBuf>,
}

impl LoadError {
    /// An error that is about a file as a whole (it does not exist, it is not UTF-8).
    pub fn file(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        LoadError {
            message: message.into(),
            src: None,
            at: None,
            label: String::new(),
            span: None,
            path: Some(path.into()),
        }
    }
}

pub mod dockerfile;

/// Files larger than this are refused before reading: no real compose file or Dockerfile comes
/// near it, and reading one would only burn memory.
const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// Reads a compose file, `.env` or Dockerfile as UTF-8, with errors that name the file (and
/// the line and column of the first invalid byte).
pub fn read_source(path: &std::path::Path) -> LoadResult<String> {
    let meta = std::fs::metadata(path).map_err(|e| {
        let why = if e.kind() == std::io::ErrorKind::NotFound {
            "no such file".to_string()
        } else {
            e.to_string()
        };
        Box::new(LoadError::file(path, format!("{}: {why}", path.display())))
    })?;
    if meta.is_dir() {
        return Err(Box::new(LoadError::file(
            path,
            format!("{}: is a directory, not a file", path.display()),
        )));
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(Box::new(LoadError::file(
            path,
            format!(
                "{}: file is too large ({} bytes, the limit is {MAX_FILE_BYTES})",
                path.display(),
                meta.len()
            ),
        )));
    }
    let bytes = std::fs::read(path)
        .map_err(|e| Box::new(LoadError::file(path, format!("{}: {e}", path.display()))))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let valid = String::from_utf8_lossy(&e.as_bytes()[..at]).into_owned();
        let (line, col) = crate::span::line_col(&valid, at);
        Box::new(LoadError::file(
            path,
            format!(
                "{}:{line}:{col}: the file is not valid UTF-8",
                path.display()
            ),
        ))
    })?;
    Ok(text)
}

/// Loads the compose project the options describe (discovering the files when none are given).
pub fn load(opts: &LoadOptions) -> LoadResult<crate::model::Project> {
    compose::load(opts)
}
