//! What tools an image has, from `rules/images.toml` (facts about official and common images,
//! each with its source) and from the service's own Dockerfile (packages its RUN lines install,
//! files its COPY lines bring). Presence is three-valued: rules act only on what is known.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::Deserialize;

use crate::model::Service;
use crate::span::Span;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Presence {
    Present,
    Absent,
    Unknown,
}

/// Why healthlint believes what it believes about a tool.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Basis {
    /// A fact about the base image, from the knowledge file.
    Image { image: String, source: String },
    /// The Dockerfile installs a package that brings the tool.
    Installed { package: String, span: Span },
    /// The Dockerfile copies a file of that name into the image.
    Copied { path: String, span: Span },
    /// Nothing known.
    None,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ToolFact {
    pub presence: Presence,
    pub basis: Basis,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Data {
    toolsets: HashMap<String, Vec<String>>,
    image: Vec<Entry>,
    packages: HashMap<String, Vec<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    repos: Vec<String>,
    tags: Vec<String>,
    #[serde(default)]
    toolsets: Vec<String>,
    #[serde(default)]
    has: Vec<String>,
    #[serde(default)]
    lacks: Vec<String>,
    source: String,
}

struct Knowledge {
    data: Data,
    repos: Vec<globset::GlobMatcher>,
    tags: Vec<globset::GlobSet>,
    repo_index: Vec<usize>,
}

fn knowledge() -> &'static Knowledge {
    static K: OnceLock<Knowledge> = OnceLock::new();
    K.get_or_init(|| {
        let data: Data = toml::from_str(include_str!("../rules/images.toml"))
            .expect("rules/images.toml is checked by the test suite");
        let mut repos = Vec::new();
        let mut repo_index = Vec::new();
        let mut tags = Vec::new();
        for (i, e) in data.image.iter().enumerate() {
            for r in &e.repos {
                repos.push(glob(r));
                repo_index.push(i);
            }
            let mut set = globset::GlobSetBuilder::new();
            for t in &e.tags {
                set.add(globset::Glob::new(t).expect("tag pattern"));
            }
            tags.push(set.build().expect("tag patterns"));
        }
        Knowledge {
            data,
            repos,
            tags,
            repo_index,
        }
    })
}

fn glob(pattern: &str) -> globset::GlobMatcher {
    globset::GlobBuilder::new(pattern)
        .literal_separator(false)
        .build()
        .expect("repository pattern")
        .compile_matcher()
}

/// An image reference split into its repository (registry host kept, `docker.io/library/`
/// dropped) and tag (`latest` when none).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageRef {
    pub repo: String,
    pub tag: String,
}

pub fn parse_ref(image: &str) -> ImageRef {
    let image = image.trim();
    let without_digest = image.split('@').next().unwrap_or(image);
    // A colon after the last slash separates the tag; one before it is a registry port.
    let (repo, tag) = match without_digest.rfind(':') {
        Some(i) if !without_digest[i..].contains('/') => {
            (&without_digest[..i], &without_digest[i + 1..])
        }
        _ => (without_digest, "latest"),
    };
    let repo = repo
        .trim_start_matches("docker.io/")
        .trim_start_matches("index.docker.io/")
        .trim_start_matches("library/");
    ImageRef {
        repo: repo.to_ascii_lowercase(),
        tag: if tag.is_empty() { "latest" } else { tag }.to_ascii_lowercase(),
    }
}

/// The knowledge entry for an image, if healthlint knows it. An image whose reference still
/// holds an unresolved variable (`node:${VERSION}`) is unknown.
fn entry_for(image: &str) -> Option<&'static Entry> {
    if image.contains('$') {
        return None;
    }
    let r = parse_ref(image);
    let k = knowledge();
    k.repos
        .iter()
        .zip(&k.repo_index)
        .filter(|(m, _)| m.is_match(&r.repo))
        .map(|(_, &i)| i)
        .find(|&i| k.tags[i].is_match(&r.tag))
        .map(|i| &k.data.image[i])
}

/// What the base image alone tells about `tool`.
pub fn image_tool(image: &str, tool: &str) -> ToolFact {
    let Some(e) = entry_for(image) else {
        return unknown();
    };
    let k = knowledge();
    let has = e.has.iter().any(|t| t == tool)
        || e.toolsets
            .iter()
            .filter_map(|s| k.data.toolsets.get(s))
            .any(|set| set.iter().any(|t| t == tool));
    let presence = if has {
        Presence::Present
    } else if e.lacks.iter().any(|t| t == tool) {
        Presence::Absent
    } else {
        return unknown();
    };
    ToolFact {
        presence,
        basis: Basis::Image {
            image: image.to_string(),
            source: e.source.clone(),
        },
    }
}

fn unknown() -> ToolFact {
    ToolFact {
        presence: Presence::Unknown,
        basis: Basis::None,
    }
}

/// The image a service runs: the base of the Dockerfile it builds, else its `image:`.
pub fn base_image(service: &Service) -> Option<&str> {
    match &service.dockerfile {
        Some(facts) => facts.base_image.as_ref().map(|b| b.value.as_str()),
        None if service.build.is_some() => None,
        None => service.image.as_ref().map(|i| i.value.as_str()),
    }
}

/// Whether `tool` (a program name as called, e.g. `curl` or `/usr/bin/curl`) exists in the
/// image the service runs.
pub fn tool_fact(service: &Service, tool: &str) -> ToolFact {
    let tool = tool.rsplit('/').next().unwrap_or(tool);
    if let Some(facts) = &service.dockerfile {
        let k = knowledge();
        for pkg in &facts.installed_packages {
            let name = pkg.value.as_str();
            let brings = k
                .data
                .packages
                .get(name)
                .is_some_and(|tools| tools.iter().any(|t| t == tool))
                || name == tool;
            if brings {
                return ToolFact {
                    presence: Presence::Present,
                    basis: Basis::Installed {
                        package: name.to_string(),
                        span: pkg.span,
                    },
                };
            }
        }
        for path in &facts.copied_paths {
            if path.value.rsplit('/').next() == Some(tool) {
                return ToolFact {
                    presence: Presence::Present,
                    basis: Basis::Copied {
                        path: path.value.clone(),
                        span: path.span,
                    },
                };
            }
        }
    }
    let from_base = match base_image(service) {
        Some(image) => image_tool(image, tool),
        None => unknown(),
    };
    let bulk = service.dockerfile.as_ref().is_some_and(|d| d.bulk_copy);
    if bulk && from_base.presence == Presence::Absent {
        return unknown();
    }
    from_base
}

/// Package names in the knowledge file, for tests of the Dockerfile side.
pub fn packages_bringing(tool: &str) -> Vec<&'static str> {
    let mut v: Vec<_> = knowledge()
        .data
        .packages
        .iter()
        .filter(|(_, tools)| tools.iter().any(|t| t == tool))
        .map(|(p, _)| p.as_str())
        .collect();
    v.sort_unstable();
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn presence(image: &str, tool: &str) -> Presence {
        image_tool(image, tool).presence
    }

    #[test]
    fn knowledge_parses_and_every_toolset_exists() {
        let k = knowledge();
        assert!(k.data.image.len() >= 40);
        for e in &k.data.image {
            assert!(!e.source.is_empty());
            for s in &e.toolsets {
                assert!(k.data.toolsets.contains_key(s), "unknown toolset {s}");
            }
            for t in &e.has {
                assert!(!e.lacks.contains(t), "{t} both present and absent");
            }
        }
    }

    #[test]
    fn references_are_normalised() {
        assert_eq!(
            parse_ref("docker.io/library/node:20-slim@sha256:abc"),
            ImageRef {
                repo: "node".into(),
                tag: "20-slim".into()
            }
        );
        assert_eq!(parse_ref("registry:5000/team/app").tag, "latest");
        assert_eq!(
            parse_ref("registry:5000/team/app").repo,
            "registry:5000/team/app"
        );
        assert_eq!(parse_ref("gcr.io/distroless/static:nonroot").tag, "nonroot");
    }

    #[test]
    fn variants_matter() {
        assert_eq!(presence("node:20-slim", "curl"), Presence::Absent);
        assert_eq!(presence("node:20", "curl"), Presence::Present);
        assert_eq!(presence("node:20-alpine", "curl"), Presence::Absent);
        assert_eq!(presence("node:20-alpine", "wget"), Presence::Present);
        assert_eq!(
            presence("python:3.12-slim-bookworm", "pgrep"),
            Presence::Absent
        );
        assert_eq!(presence("python:3.12", "pgrep"), Presence::Present);
        assert_eq!(presence("nginx:1.27-alpine", "curl"), Presence::Present);
        assert_eq!(presence("nginx:1.27-alpine-slim", "curl"), Presence::Absent);
        assert_eq!(presence("postgres:16", "pg_isready"), Presence::Present);
        assert_eq!(presence("postgres:16", "curl"), Presence::Absent);
        assert_eq!(presence("redis:7-alpine", "wget"), Presence::Present);
        assert_eq!(presence("gcr.io/distroless/static", "sh"), Presence::Absent);
        assert_eq!(
            presence("gcr.io/distroless/base:debug", "sh"),
            Presence::Present
        );
        assert_eq!(presence("scratch", "sh"), Presence::Absent);
    }

    #[test]
    fn unknown_images_and_tools_stay_unknown() {
        assert_eq!(presence("acme/app:1.0", "curl"), Presence::Unknown);
        assert_eq!(
            presence("node:${NODE_VERSION}-slim", "curl"),
            Presence::Unknown
        );
        assert_eq!(presence("mysql:8", "curl"), Presence::Unknown);
        assert_eq!(
            presence("node:20-slim", "grpc_health_probe"),
            Presence::Unknown
        );
    }

    #[test]
    fn sources_are_named() {
        match image_tool("node:20-slim", "curl").basis {
            Basis::Image { source, .. } => assert!(source.contains("docker-node"), "{source}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn packages_map_to_tools() {
        assert!(packages_bringing("pgrep").contains(&"procps"));
        assert!(packages_bringing("nc").contains(&"netcat-openbsd"));
    }
}
