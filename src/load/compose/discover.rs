//! Which files make the project: `-f`, then `COMPOSE_FILE`, then the default names searched
//! from the working directory upwards (compose-go `cli/options.go`).

use std::path::{Path, PathBuf};

use super::{Env, paths};
use crate::load::{LoadError, LoadOptions, LoadResult};

const DEFAULT_NAMES: [&str; 4] = [
    "compose.yaml",
    "compose.yml",
    "docker-compose.yml",
    "docker-compose.yaml",
];

const OVERRIDE_NAMES: [&str; 4] = [
    "compose.override.yml",
    "compose.override.yaml",
    "docker-compose.override.yml",
    "docker-compose.override.yaml",
];

/// The compose files of the project, absolute, in load order.
pub(super) fn compose_files(opts: &LoadOptions, env: &Env) -> LoadResult<Vec<PathBuf>> {
    if !opts.files.is_empty() {
        return Ok(opts
            .files
            .iter()
            .map(|f| paths::absolute(&opts.cwd, f))
            .collect());
    }
    if let Some(list) = env.get("COMPOSE_FILE").filter(|s| !s.is_empty()) {
        let sep = env
            .get("COMPOSE_PATH_SEPARATOR")
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| ":".to_string());
        return Ok(list
            .split(sep.as_str())
            .filter(|s| !s.is_empty())
            .map(|f| paths::absolute(&opts.cwd, Path::new(f)))
            .collect());
    }
    let start = paths::absolute(&opts.cwd, Path::new("."));
    let mut dir = Some(start.as_path());
    while let Some(d) = dir {
        if let Some(main) = DEFAULT_NAMES
            .iter()
            .map(|n| d.join(n))
            .find(|p| p.is_file())
        {
            let mut files = vec![main];
            if let Some(over) = OVERRIDE_NAMES
                .iter()
                .map(|n| d.join(n))
                .find(|p| p.is_file())
            {
                files.push(over);
            }
            return Ok(files);
        }
        dir = d.parent();
    }
    Err(Box::new(LoadError::file(
        &start,
        format!(
            "no compose file (compose.yaml, compose.yml, docker-compose.yml, docker-compose.yaml) \
             in {} or any parent directory",
            start.display()
        ),
    )))
}
