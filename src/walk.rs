//! Turns the paths on the command line into lint inputs. A directory is walked the way ripgrep
//! walks it (`.gitignore`, `.ignore` and hidden files honoured, through the `ignore` crate), and
//! every compose project in it is linted once: `compose.yaml` and its `compose.override.yaml`
//! belong together, other `docker-compose.*.yml` variants stand alone.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// What a file is, judged by its name the way `docker compose` and `docker build` name them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    /// `compose.yaml` and friends: the files `docker compose` picks up by default.
    ComposeDefault,
    /// `compose.override.yaml` and friends: merged over the default file of the same folder.
    ComposeOverride,
    /// Another compose file (`docker-compose.prod.yml`): linted on its own.
    ComposeVariant,
    Dockerfile,
    Other,
}

/// One unit of linting work.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    /// The files of one compose project, merged in order like repeated `-f`.
    Compose(Vec<PathBuf>),
    Dockerfile(PathBuf),
}

/// The default names in `docker compose`'s order of preference.
pub const COMPOSE_DEFAULT_NAMES: [&str; 4] = [
    "compose.yaml",
    "compose.yml",
    "docker-compose.yaml",
    "docker-compose.yml",
];

pub fn classify(path: &Path) -> FileKind {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return FileKind::Other;
    };
    if COMPOSE_DEFAULT_NAMES.contains(&name) {
        return FileKind::ComposeDefault;
    }
    let lower = name.to_ascii_lowercase();
    let ext = lower.rsplit_once('.').map_or("", |(_, e)| e);
    if matches!(ext, "yml" | "yaml") {
        let stem = lower.trim_end_matches(".yaml").trim_end_matches(".yml");
        // `compose.prod.yaml`, `docker-compose.ci.yml`, `prod-docker-compose.yml`.
        if stem.contains("compose") {
            return if stem.ends_with(".override") {
                FileKind::ComposeOverride
            } else {
                FileKind::ComposeVariant
            };
        }
        return FileKind::Other;
    }
    // `Dockerfile`, `Dockerfile.dev`, `api.Dockerfile`, `Containerfile`, but not the
    // `Dockerfile.dockerignore` or notes beside them.
    let named = lower.contains("dockerfile") || lower.contains("containerfile");
    let not_a_dockerfile = matches!(
        ext,
        "dockerignore" | "md" | "txt" | "json" | "sh" | "py" | "rs" | "go" | "js" | "ts" | "toml"
    );
    if named && !not_a_dockerfile {
        return FileKind::Dockerfile;
    }
    FileKind::Other
}

/// Finds every compose project and Dockerfile under `root`, in a stable order.
pub fn discover(root: &Path) -> Vec<Input> {
    let mut by_dir: BTreeMap<PathBuf, Vec<(FileKind, PathBuf)>> = BTreeMap::new();
    for entry in ignore::WalkBuilder::new(root).build().flatten() {
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        let path = entry.into_path();
        let kind = classify(&path);
        if kind == FileKind::Other {
            continue;
        }
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        by_dir.entry(dir).or_default().push((kind, path));
    }
    let mut inputs = Vec::new();
    for files in by_dir.into_values() {
        inputs.extend(group_folder(files));
    }
    inputs
}

/// Groups one folder's files the way `docker compose` would read them from that folder.
fn group_folder(mut files: Vec<(FileKind, PathBuf)>) -> Vec<Input> {
    files.sort_by(|a, b| a.1.cmp(&b.1));
    let mut out = Vec::new();
    // Only the first default name counts, as for `docker compose`; the others are variants.
    let default = COMPOSE_DEFAULT_NAMES.iter().find_map(|name| {
        files
            .iter()
            .find(|(k, p)| *k == FileKind::ComposeDefault && p.file_name() == Some(name.as_ref()))
            .map(|(_, p)| p.clone())
    });
    if let Some(default) = &default {
        let mut project = vec![default.clone()];
        let stem = default
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.split('.').next())
            .unwrap_or("compose")
            .to_string();
        if let Some((_, o)) = files.iter().find(|(k, p)| {
            *k == FileKind::ComposeOverride
                && p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with(&format!("{stem}.override.")))
        }) {
            project.push(o.clone());
        }
        out.push(Input::Compose(project));
    }
    for (kind, path) in &files {
        let taken = matches!(out.first(), Some(Input::Compose(p)) if p.contains(path));
        match kind {
            _ if taken => {}
            FileKind::ComposeDefault | FileKind::ComposeVariant | FileKind::ComposeOverride => {
                // An override without its base is still a compose file someone runs with -f.
                out.push(Input::Compose(vec![path.clone()]))
            }
            FileKind::Dockerfile => out.push(Input::Dockerfile(path.clone())),
            FileKind::Other => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn classifies_by_name() {
        assert_eq!(
            classify(Path::new("a/compose.yaml")),
            FileKind::ComposeDefault
        );
        assert_eq!(
            classify(Path::new("docker-compose.override.yml")),
            FileKind::ComposeOverride
        );
        assert_eq!(
            classify(Path::new("docker-compose.prod.yml")),
            FileKind::ComposeVariant
        );
        assert_eq!(classify(Path::new("Dockerfile")), FileKind::Dockerfile);
        assert_eq!(classify(Path::new("api.Dockerfile")), FileKind::Dockerfile);
        assert_eq!(classify(Path::new("Dockerfile.dev")), FileKind::Dockerfile);
        assert_eq!(classify(Path::new("Containerfile")), FileKind::Dockerfile);
        assert_eq!(classify(Path::new("values.yaml")), FileKind::Other);
        assert_eq!(
            classify(Path::new("acme__app__docker-compose.yml")),
            FileKind::ComposeVariant
        );
        assert_eq!(
            classify(Path::new("Dockerfile.dockerignore")),
            FileKind::Other
        );
        assert_eq!(classify(Path::new("dockerfile.md")), FileKind::Other);
        assert_eq!(classify(Path::new("compose.json")), FileKind::Other);
    }

    #[test]
    fn walks_a_repository_once_per_project_and_honours_gitignore() {
        let root = std::env::temp_dir().join(format!("healthlint-walk-{}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        for (path, text) in [
            ("compose.yaml", "services: {}\n"),
            ("compose.override.yaml", "services: {}\n"),
            ("docker-compose.yml", "services: {}\n"),
            ("docker-compose.prod.yml", "services: {}\n"),
            ("api/Dockerfile", "FROM scratch\n"),
            ("vendor/compose.yml", "services: {}\n"),
            ("README.md", "x\n"),
            (".gitignore", "vendor/\n"),
        ] {
            let p = root.join(path);
            fs::create_dir_all(p.parent().unwrap()).unwrap();
            fs::write(p, text).unwrap();
        }
        // The ignore crate honours .gitignore only inside a git repository.
        fs::create_dir_all(root.join(".git")).unwrap();
        let inputs = discover(&root);
        let _ = fs::remove_dir_all(&root);
        assert_eq!(
            inputs,
            vec![
                Input::Compose(vec![
                    root.join("compose.yaml"),
                    root.join("compose.override.yaml")
                ]),
                Input::Compose(vec![root.join("docker-compose.prod.yml")]),
                Input::Compose(vec![root.join("docker-compose.yml")]),
                Input::Dockerfile(root.join("api/Dockerfile")),
            ]
        );
    }
}
