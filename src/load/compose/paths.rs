//! Relative paths in a compose file are relative to its working directory (the project
//! directory, an include's `project_directory`, or an extended file's own directory). They are
//! made absolute as each file is read, before merging mixes files from different directories.

use std::path::{Component, Path, PathBuf};

use crate::load::yaml::{Node, Scalar, Value};

/// `base.join(p)`, lexically normalized (`.` and `..` removed), as compose does.
pub(crate) fn absolute(base: &Path, p: &Path) -> PathBuf {
    let joined = if p.is_absolute() {
        p.to_path_buf()
    } else {
        base.join(p)
    };
    let mut out = PathBuf::new();
    for c in joined.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// A build context that is not a local directory (git or HTTP URL).
pub(crate) fn is_remote(s: &str) -> bool {
    s.contains("://") || s.starts_with("git@") || s.starts_with("github.com/")
}

/// Tag of a value the loader supplied (a build's default context): merging never lets it
/// replace a value a file wrote.
pub(crate) const DEFAULT_TAG: &str = "~default";

fn set_path(node: &mut Node, wd: &Path) {
    if let Value::Scalar(s) = &mut node.value
        && !s.text.is_empty()
        && !is_remote(&s.text)
    {
        s.text = absolute(wd, Path::new(&s.text)).display().to_string();
    }
}

fn map_entry<'a>(node: &'a mut Node, key: &str) -> Option<&'a mut Node> {
    match &mut node.value {
        Value::Map(m) => m
            .iter_mut()
            .find(|(k, _)| k.as_str() == Some(key))
            .map(|(_, v)| v),
        _ => None,
    }
}

/// Resolves the path fields of every service of one document.
pub(super) fn resolve(doc: &mut Node, wd: &Path) {
    let Some(services) = map_entry(doc, "services") else {
        return;
    };
    let Value::Map(services) = &mut services.value else {
        return;
    };
    for (_, svc) in services.iter_mut() {
        resolve_service(svc, wd);
    }
}

fn resolve_service(svc: &mut Node, wd: &Path) {
    if let Some(build) = map_entry(svc, "build") {
        match &mut build.value {
            Value::Scalar(_) => set_path(build, wd),
            Value::Map(entries) => {
                if !entries.iter().any(|(k, _)| k.as_str() == Some("context")) {
                    let span = build.span;
                    let key = Node {
                        value: Value::Scalar(Scalar {
                            text: "context".into(),
                            quoted: false,
                        }),
                        span,
                        via: None,
                        tag: None,
                    };
                    let value = Node {
                        value: Value::Scalar(Scalar {
                            text: wd.display().to_string(),
                            quoted: true,
                        }),
                        span,
                        via: None,
                        tag: Some(DEFAULT_TAG.to_string()),
                    };
                    entries.push((key, value));
                } else if let Some(ctx) = map_entry(build, "context") {
                    set_path(ctx, wd);
                }
            }
            _ => {}
        }
    }
    if let Some(ext) = map_entry(svc, "extends")
        && let Some(file) = map_entry(ext, "file")
    {
        set_path(file, wd);
    }
    for key in ["env_file", "label_file"] {
        if let Some(ef) = map_entry(svc, key) {
            match &mut ef.value {
                Value::Scalar(_) => set_path(ef, wd),
                Value::Seq(items) => {
                    for item in items {
                        match &item.value {
                            Value::Scalar(_) => set_path(item, wd),
                            Value::Map(_) => {
                                if let Some(p) = map_entry(item, "path") {
                                    set_path(p, wd);
                                }
                            }
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
        }
    }
    if let Some(vols) = map_entry(svc, "volumes")
        && let Value::Seq(items) = &mut vols.value
    {
        for item in items {
            match &mut item.value {
                Value::Scalar(s) => {
                    // `./data:/data` is a bind mount; `data:/data` names a volume; `~` is the
                    // user's home, which compose expands and we leave as written.
                    if let Some((src, rest)) = s.text.split_once(':')
                        && src.starts_with('.')
                    {
                        let abs = absolute(wd, Path::new(src));
                        s.text = format!("{}:{rest}", abs.display());
                    }
                }
                Value::Map(_) => {
                    let is_bind = item.get("type").and_then(Node::as_str) == Some("bind");
                    if is_bind && let Some(src) = map_entry(item, "source") {
                        set_path(src, wd);
                    }
                }
                _ => {}
            }
        }
    }
}
