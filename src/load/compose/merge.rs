//! compose's merge rules on the spanned tree (compose-go `override/merge.go`,
//! `override/uncity.go`, `loader/extends.go`, `loader/include.go`): mappings merge by key,
//! sequences append, a few paths have their own rule, `!reset` removes and `!override`
//! replaces. Duplicates left by appending are removed per field afterwards.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::{Ctx, Env, paths};
use crate::load::LoadResult;
use crate::load::yaml::{Node, Scalar, Value};
use crate::span::Span;

fn scalar(text: impl Into<String>, span: Span) -> Node {
    Node {
        value: Value::Scalar(Scalar {
            text: text.into(),
            quoted: true,
        }),
        span,
        via: None,
        tag: None,
    }
}

fn map_node(entries: Vec<(Node, Node)>, span: Span) -> Node {
    Node {
        value: Value::Map(entries),
        span,
        via: None,
        tag: None,
    }
}

fn is_reset(n: &Node) -> bool {
    n.tag.as_deref() == Some("reset")
}

fn is_override(n: &Node) -> bool {
    n.tag.as_deref() == Some("override")
}

/// Removes every `!reset` entry and clears `!override` tags: what is left after merging is
/// plain data.
pub(crate) fn strip_resets(mut node: Node) -> Node {
    if is_override(&node) {
        node.tag = None;
    }
    node.value = match node.value {
        Value::Map(m) => Value::Map(
            m.into_iter()
                .filter(|(_, v)| !is_reset(v))
                .map(|(k, v)| (k, strip_resets(v)))
                .collect(),
        ),
        Value::Seq(s) => Value::Seq(
            s.into_iter()
                .filter(|v| !is_reset(v))
                .map(strip_resets)
                .collect(),
        ),
        other => other,
    };
    node
}

/// How a field of a service merges.
#[derive(PartialEq, Eq, Clone, Copy)]
enum Rule {
    /// Deep merge for mappings, append for sequences, replace otherwise.
    Default,
    /// The later value replaces the earlier one.
    Replace,
    /// Both sides become `KEY: value` mappings, merged by key.
    KeyValue,
    /// Both sides become mappings keyed by the list items (depends_on, networks).
    NamedMap,
    /// `build: ctx` is `build: {context: ctx}`.
    Build,
}

fn rule_for(rel: &[String]) -> Rule {
    let r: Vec<&str> = rel.iter().map(String::as_str).collect();
    match r.as_slice() {
        ["command"] | ["entrypoint"] | ["healthcheck", "test"] => Rule::Replace,
        ["environment"]
        | ["labels"]
        | ["annotations"]
        | ["sysctls"]
        | ["build", "args"]
        | ["build", "labels"]
        | ["build", "additional_contexts"]
        | ["deploy", "labels"] => Rule::KeyValue,
        ["depends_on"] | ["networks"] => Rule::NamedMap,
        ["build"] => Rule::Build,
        _ => Rule::Default,
    }
}

/// `KEY=VALUE` list (or mapping) as a mapping; a bare `KEY` maps to null.
fn key_value_map(node: Node) -> Node {
    match node.value {
        Value::Seq(items) => {
            let mut entries: Vec<(Node, Node)> = Vec::new();
            let mut index: HashMap<String, usize> = HashMap::new();
            for item in items {
                let span = item.span;
                let tag = item.tag.clone();
                let (k, v) = match item.as_str() {
                    Some(t) => match t.split_once('=') {
                        Some((k, v)) => (k.to_string(), Some(v.to_string())),
                        None => (t.to_string(), None),
                    },
                    None => continue,
                };
                let mut value = match v {
                    Some(v) => scalar(v, span),
                    None => Node {
                        value: Value::Null,
                        span,
                        via: None,
                        tag: None,
                    },
                };
                value.tag = tag;
                match index.get(&k) {
                    Some(&i) => entries[i].1 = value,
                    None => {
                        index.insert(k.clone(), entries.len());
                        entries.push((scalar(k, span), value));
                    }
                }
            }
            map_node(entries, node.span)
        }
        value => Node { value, ..node },
    }
}

/// A list of names (`- db`) as a mapping of names to defaults.
fn named_map(node: Node, depends_on: bool) -> Node {
    match node.value {
        Value::Seq(items) => {
            let entries = items
                .into_iter()
                .filter_map(|item| {
                    let name = item.as_str()?.to_string();
                    let span = item.span;
                    let value = if depends_on {
                        map_node(
                            vec![
                                (scalar("condition", span), scalar("service_started", span)),
                                (scalar("required", span), scalar("true", span)),
                            ],
                            span,
                        )
                    } else {
                        Node {
                            value: Value::Null,
                            span,
                            via: None,
                            tag: None,
                        }
                    };
                    Some((scalar(name, span), value))
                })
                .collect();
            map_node(entries, node.span)
        }
        value => Node { value, ..node },
    }
}

fn build_map(node: Node) -> Node {
    match &node.value {
        Value::Scalar(_) => {
            let span = node.span;
            map_node(vec![(scalar("context", span), node)], span)
        }
        _ => node,
    }
}

/// Merges `over` onto `base` at `rel` (the path inside a service). `None` means the key is
/// removed (`!reset`).
fn merge_at(base: Node, over: Node, rel: &mut Vec<String>) -> Option<Node> {
    if is_reset(&over) {
        return None;
    }
    if is_override(&over) {
        return Some(strip_resets(over));
    }
    if over.is_null() {
        return Some(base);
    }
    let (base, over) = match rule_for(rel) {
        Rule::Replace => return Some(strip_resets(over)),
        Rule::KeyValue => (key_value_map(base), key_value_map(over)),
        Rule::NamedMap => {
            let dep = rel.len() == 1 && rel[0] == "depends_on";
            (named_map(base, dep), named_map(over, dep))
        }
        Rule::Build => (build_map(base), build_map(over)),
        Rule::Default => (base, over),
    };
    match (base.value, over.value) {
        (Value::Map(b), Value::Map(o)) => Some(map_node(merge_maps(b, o, rel), over.span)),
        (Value::Seq(mut b), Value::Seq(o)) => {
            b.extend(o.into_iter().filter(|v| !is_reset(v)).map(strip_resets));
            Some(Node {
                value: Value::Seq(b),
                span: over.span,
                via: over.via,
                tag: None,
            })
        }
        (_, value) => Some(strip_resets(Node { value, ..over })),
    }
}

fn merge_maps(
    base: Vec<(Node, Node)>,
    over: Vec<(Node, Node)>,
    rel: &mut Vec<String>,
) -> Vec<(Node, Node)> {
    merge_keyed(
        base,
        over,
        |key, old, new| {
            if new.tag.as_deref() == Some(paths::DEFAULT_TAG) {
                // A value the loader filled in (build context) never replaces a written one.
                Some(old)
            } else if key.starts_with("x-") {
                Some(strip_resets(new))
            } else {
                rel.push(key.to_string());
                let merged = merge_at(old, new, rel);
                rel.pop();
                merged
            }
        },
        |_, new| (!is_reset(&new)).then(|| strip_resets(new)),
    )
}

/// Merges two mappings by key in linear time (files can be large; merging must not be
/// quadratic). `merge` combines a key present on both sides (`None` drops it); `add` takes a
/// key only `over` has (`None` skips it). Keys keep their first position.
fn merge_keyed(
    base: Vec<(Node, Node)>,
    over: Vec<(Node, Node)>,
    mut merge: impl FnMut(&str, Node, Node) -> Option<Node>,
    mut add: impl FnMut(&str, Node) -> Option<Node>,
) -> Vec<(Node, Node)> {
    let mut index: HashMap<String, usize> = HashMap::with_capacity(base.len() + over.len());
    let mut slots: Vec<Option<(Node, Node)>> = Vec::with_capacity(base.len() + over.len());
    for (k, v) in base {
        let key = k.as_str().unwrap_or_default().to_string();
        match index.get(&key) {
            Some(&i) => slots[i] = Some((k, v)),
            None => {
                index.insert(key, slots.len());
                slots.push(Some((k, v)));
            }
        }
    }
    for (k, v) in over {
        let key = k.as_str().unwrap_or_default().to_string();
        match index.get(&key).copied() {
            Some(i) => {
                slots[i] = match slots[i].take() {
                    Some((_, old)) => merge(&key, old, v).map(|m| (k, m)),
                    None => add(&key, v).map(|n| (k, n)),
                };
            }
            None => {
                if let Some(n) = add(&key, v) {
                    index.insert(key, slots.len());
                    slots.push(Some((k, n)));
                }
            }
        }
    }
    slots.into_iter().flatten().collect()
}

/// One service merged over another (later `-f` file, or `extends`).
pub(crate) fn merge_service(base: Node, over: Node) -> Option<Node> {
    let base = if base.is_null() {
        map_node(Vec::new(), base.span)
    } else {
        base
    };
    let over = if over.is_null() && over.tag.is_none() {
        map_node(Vec::new(), over.span)
    } else {
        over
    };
    merge_at(base, over, &mut Vec::new()).map(unique_service)
}

/// Merges a document over the project merged so far.
pub(crate) fn merge_top(base: Node, over: Node) -> Node {
    let span = base.span;
    let Value::Map(acc) = base.value else {
        return strip_resets(over);
    };
    let Value::Map(entries) = over.value else {
        return map_node(acc, span);
    };
    let merged = merge_keyed(
        acc,
        entries,
        |key, old, new| {
            if key == "services" {
                Some(merge_services(old, new))
            } else {
                merge_at(old, new, &mut vec![format!("/{key}")])
            }
        },
        |key, new| {
            if key == "services" {
                Some(merge_services(map_node(Vec::new(), new.span), new))
            } else {
                (!is_reset(&new)).then(|| strip_resets(new))
            }
        },
    );
    map_node(merged, span)
}

fn merge_services(base: Node, over: Node) -> Node {
    let span = base.span;
    let acc = match base.value {
        Value::Map(m) => m,
        _ => Vec::new(),
    };
    let Value::Map(entries) = over.value else {
        return map_node(acc, span);
    };
    let merged = merge_keyed(
        acc,
        entries,
        |_, old, new| merge_service(old, new),
        |_, new| {
            if is_reset(&new) {
                return None;
            }
            let new = if new.is_null() {
                map_node(Vec::new(), new.span)
            } else {
                new
            };
            Some(unique_service(strip_resets(new)))
        },
    );
    map_node(merged, span)
}

/// Applies the per-field de-duplication to every service of a merged project.
pub(crate) fn finish(mut doc: Node) -> Node {
    if let Some(services) = services_mut(&mut doc) {
        for (_, svc) in services.iter_mut() {
            let taken = std::mem::replace(svc, map_node(Vec::new(), Span::default()));
            *svc = unique_service(strip_resets(taken));
        }
    }
    doc
}

/// compose-go `EnforceUnicity`: the later of two entries with the same key replaces the
/// earlier one in place.
fn unique_service(mut svc: Node) -> Node {
    let Value::Map(fields) = &mut svc.value else {
        return svc;
    };
    for (k, v) in fields.iter_mut() {
        let indexer: fn(&Node) -> String = match k.as_str() {
            Some("ports") => port_key,
            Some("volumes") | Some("devices") => volume_key,
            Some("env_file") => env_file_key,
            Some("expose") | Some("profiles") | Some("dns") | Some("dns_search")
            | Some("dns_opt") | Some("cap_add") | Some("cap_drop") | Some("links")
            | Some("tmpfs") => plain_key,
            _ => continue,
        };
        if let Value::Seq(items) = &mut v.value {
            let mut out: Vec<Node> = Vec::new();
            let mut keys: HashMap<String, usize> = HashMap::new();
            for item in items.drain(..) {
                let key = indexer(&item);
                match keys.get(&key) {
                    Some(&j) => out[j] = item,
                    None => {
                        keys.insert(key, out.len());
                        out.push(item);
                    }
                }
            }
            *items = out;
        }
    }
    svc
}

fn plain_key(n: &Node) -> String {
    n.as_str()
        .map_or_else(|| format!("{:?}", n.span), str::to_string)
}

fn port_key(n: &Node) -> String {
    match &n.value {
        Value::Scalar(s) => s.text.clone(),
        Value::Map(_) => {
            let get = |k: &str| n.get(k).and_then(Node::as_str).map(str::to_string);
            let target = get("target").unwrap_or_default();
            let published = get("published").unwrap_or_else(|| target.clone());
            let proto = get("protocol").unwrap_or_else(|| "tcp".to_string());
            format!("{published}:{target}/{proto}")
        }
        _ => format!("{:?}", n.span),
    }
}

fn volume_key(n: &Node) -> String {
    match &n.value {
        Value::Scalar(s) => {
            let parts: Vec<&str> = s.text.split(':').collect();
            match parts.len() {
                1 => parts[0].to_string(),
                _ => parts[1].to_string(),
            }
        }
        Value::Map(_) => n
            .get("target")
            .and_then(Node::as_str)
            .unwrap_or_default()
            .to_string(),
        _ => format!("{:?}", n.span),
    }
}

fn env_file_key(n: &Node) -> String {
    match &n.value {
        Value::Scalar(s) => s.text.clone(),
        Value::Map(_) => n
            .get("path")
            .and_then(Node::as_str)
            .unwrap_or_default()
            .to_string(),
        _ => format!("{:?}", n.span),
    }
}

fn services_mut(doc: &mut Node) -> Option<&mut Vec<(Node, Node)>> {
    let Value::Map(top) = &mut doc.value else {
        return None;
    };
    let (_, s) = top
        .iter_mut()
        .find(|(k, _)| k.as_str() == Some("services"))?;
    if s.is_null() {
        s.value = Value::Map(Vec::new());
    }
    match &mut s.value {
        Value::Map(m) => Some(m),
        _ => None,
    }
}

/// Resolves `extends` for every service of a document.
pub(crate) fn apply_extends(
    ctx: &mut Ctx<'_>,
    doc: &mut Node,
    file: &Path,
    wd: &Path,
    env: &Env,
) -> LoadResult<()> {
    let Some(services) = services_mut(doc) else {
        return Ok(());
    };
    let index = name_index(services);
    let extending: Vec<String> = services
        .iter()
        .filter(|(_, v)| v.get("extends").is_some())
        .filter_map(|(k, _)| k.as_str().map(str::to_string))
        .collect();
    let mut chain = Vec::new();
    let mut cache = HashMap::new();
    for name in extending {
        resolve_extends(
            ctx, services, &index, &name, file, env, &mut chain, wd, &mut cache,
        )?;
    }
    Ok(())
}

/// Longest `extends` chain followed; deeper chains are refused rather than recursed into.
const MAX_EXTENDS_DEPTH: usize = 64;

/// Service name to position. Resolving `extends` replaces values in place, so it stays valid.
fn name_index(services: &[(Node, Node)]) -> HashMap<String, usize> {
    services
        .iter()
        .enumerate()
        .filter_map(|(i, (k, _))| k.as_str().map(|n| (n.to_string(), i)))
        .collect()
}

fn find<'n>(
    services: &'n [(Node, Node)],
    index: &HashMap<String, usize>,
    name: &str,
) -> Option<&'n Node> {
    index
        .get(name)
        .and_then(|&i| services.get(i))
        .map(|(_, v)| v)
}

#[allow(clippy::too_many_arguments)]
fn resolve_extends(
    ctx: &mut Ctx<'_>,
    services: &mut Vec<(Node, Node)>,
    index: &HashMap<String, usize>,
    name: &str,
    file: &Path,
    env: &Env,
    chain: &mut Vec<(PathBuf, String)>,
    wd: &Path,
    cache: &mut HashMap<PathBuf, Node>,
) -> LoadResult<Node> {
    let Some(svc) = find(services, index, name).cloned() else {
        return Ok(map_node(Vec::new(), Span::default()));
    };
    let Some(ext) = svc.get("extends").cloned() else {
        return Ok(svc);
    };
    if chain.len() >= MAX_EXTENDS_DEPTH {
        return Err(ctx.error_at(
            ext.span,
            format!("extends chain is deeper than {MAX_EXTENDS_DEPTH} services"),
        ));
    }
    let here = (file.to_path_buf(), name.to_string());
    if chain.contains(&here) {
        let mut path: Vec<String> = chain.iter().map(|(_, n)| n.clone()).collect();
        path.push(name.to_string());
        return Err(ctx.error_at(
            ext.span,
            format!("extends cycle detected: {}", path.join(" -> ")),
        ));
    }
    let (base_name, base_name_span, other_file) = match &ext.value {
        Value::Scalar(s) => (s.text.clone(), ext.span, None),
        Value::Map(_) => {
            for (k, _) in ext.as_map().unwrap_or_default() {
                if !matches!(k.as_str(), Some("service") | Some("file")) {
                    return Err(ctx.error_at(
                        k.span,
                        format!(
                            "additional property {:?} is not allowed in extends",
                            k.as_str().unwrap_or_default()
                        ),
                    ));
                }
            }
            let Some(service) = ext.get("service") else {
                return Err(ctx.error_at(ext.span, format!("extends.{name}.service is required")));
            };
            let Some(s) = service.as_str() else {
                return Err(ctx.error_at(service.span, "extends.service must be a string"));
            };
            let other = match ext.get("file") {
                None => None,
                Some(f) => match f.as_str() {
                    Some(p) => Some((PathBuf::from(p), f.span)),
                    None => {
                        return Err(ctx.error_at(f.span, "extends.file must be a string"));
                    }
                },
            };
            (s.to_string(), service.span, other)
        }
        _ => {
            return Err(ctx.error_at(
                ext.span,
                format!(
                    "extends must be a string or a mapping, found {}",
                    ext.type_name()
                ),
            ));
        }
    };
    chain.push(here);
    let base = match other_file {
        Some((path, span)) => {
            let path = paths::absolute(wd, &path);
            if !path.is_file() {
                chain.pop();
                return Err(ctx.error_at(
                    span,
                    format!(
                        "cannot extend service {name:?}: {} not found",
                        path.display()
                    ),
                ));
            }
            let other_wd = path.parent().map(Path::to_path_buf).unwrap_or_default();
            // Each extended file is read once per document; the entry is taken out while in
            // use and put back with the services it resolved.
            let mut doc = match cache.remove(&path) {
                Some(doc) => doc,
                None => {
                    let docs = ctx.read_compose(&path, env, &other_wd, false)?;
                    // Tags stay until this file's own `extends` are applied.
                    let mut merged: Option<Node> = None;
                    for doc in docs {
                        merged = Some(match merged {
                            None => doc,
                            Some(b) => merge_top(b, doc),
                        });
                    }
                    merged.unwrap_or_else(|| map_node(Vec::new(), Span::default()))
                }
            };
            let not_found = || {
                format!(
                    "cannot extend service {name:?}: service {base_name:?} not found in {}",
                    path.display()
                )
            };
            let Some(others) = services_mut(&mut doc) else {
                chain.pop();
                return Err(ctx.error_at(base_name_span, not_found()));
            };
            let other_index = name_index(others);
            if find(others, &other_index, &base_name).is_none() {
                chain.pop();
                return Err(ctx.error_at(base_name_span, not_found()));
            }
            let resolved = resolve_extends(
                ctx,
                others,
                &other_index,
                &base_name,
                &path,
                env,
                chain,
                &other_wd,
                cache,
            );
            cache.insert(path.clone(), doc);
            resolved?
        }
        None => {
            if find(services, index, &base_name).is_none() {
                chain.pop();
                return Err(ctx.error_at(
                    base_name_span,
                    format!("cannot extend service {name:?}: service {base_name:?} not found"),
                ));
            }
            resolve_extends(
                ctx, services, index, &base_name, file, env, chain, wd, cache,
            )?
        }
    };
    chain.pop();
    let mut own = svc;
    if let Value::Map(m) = &mut own.value {
        m.retain(|(k, _)| k.as_str() != Some("extends"));
    }
    let mut merged = merge_service(strip_resets(base), own)
        .unwrap_or_else(|| map_node(Vec::new(), Span::default()));
    if let Value::Map(m) = &mut merged.value {
        m.retain(|(k, _)| k.as_str() != Some("extends"));
    }
    if let Some(slot) = services.iter_mut().find(|(k, _)| k.as_str() == Some(name)) {
        slot.1 = merged.clone();
    }
    Ok(merged)
}

/// Loads each `include` entry as its own project and puts its services under the document's
/// own, which may then override them.
pub(crate) fn apply_includes(
    ctx: &mut Ctx<'_>,
    doc: &mut Node,
    wd: &Path,
    env: &Env,
    stack: &mut Vec<PathBuf>,
) -> LoadResult<()> {
    let Value::Map(top) = &mut doc.value else {
        return Ok(());
    };
    let Some(pos) = top.iter().position(|(k, _)| k.as_str() == Some("include")) else {
        return Ok(());
    };
    let (_, include) = top.remove(pos);
    let items: Vec<Node> = match include.value {
        Value::Seq(items) => items,
        Value::Null => Vec::new(),
        _ => {
            return Err(ctx.error_at(
                include.span,
                format!("include must be a list, found {}", include.type_name()),
            ));
        }
    };
    let mut imported: Vec<(Node, Node)> = Vec::new();
    let mut imported_index: HashMap<String, usize> = HashMap::new();
    for item in items {
        let (paths_nodes, project_dir, env_files) = match &item.value {
            Value::Scalar(_) => (vec![item.clone()], None, Vec::new()),
            Value::Map(entries) => {
                let mut paths_nodes = Vec::new();
                let mut project_dir = None;
                let mut env_files = Vec::new();
                for (k, v) in entries {
                    match k.as_str() {
                        Some("path") => paths_nodes = string_list(ctx, v, "include.path")?,
                        Some("project_directory") => project_dir = Some(v.clone()),
                        Some("env_file") => env_files = string_list(ctx, v, "include.env_file")?,
                        Some(other) if other.starts_with("x-") => {}
                        Some(other) => {
                            return Err(ctx.error_at(
                                k.span,
                                format!("additional property {other:?} is not allowed in include"),
                            ));
                        }
                        None => return Err(ctx.error_at(k.span, "include keys must be strings")),
                    }
                }
                if paths_nodes.is_empty() {
                    return Err(ctx.error_at(item.span, "include.path is required"));
                }
                (paths_nodes, project_dir, env_files)
            }
            _ => {
                return Err(ctx.error_at(
                    item.span,
                    format!(
                        "an include entry must be a string or a mapping, found {}",
                        item.type_name()
                    ),
                ));
            }
        };
        let mut files = Vec::new();
        for p in &paths_nodes {
            let text = p.as_str().unwrap_or_default();
            let abs = paths::absolute(wd, Path::new(text));
            if stack.contains(&abs) {
                let mut cycle: Vec<String> =
                    stack.iter().map(|s| s.display().to_string()).collect();
                cycle.push(abs.display().to_string());
                return Err(ctx.error_at(
                    p.span,
                    format!("include cycle detected: {}", cycle.join(" -> ")),
                ));
            }
            if !abs.exists() {
                return Err(
                    ctx.error_at(p.span, format!("included file {} not found", abs.display()))
                );
            }
            files.push(abs);
        }
        let sub_wd = match &project_dir {
            Some(d) => paths::absolute(wd, Path::new(d.as_str().unwrap_or("."))),
            None => files[0]
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_else(|| wd.to_path_buf()),
        };
        let mut sub_env = env.clone();
        if env_files.is_empty() {
            let dotenv = sub_wd.join(".env");
            if dotenv.is_file() {
                ctx.read_env_file(&dotenv, &mut sub_env, Some(()))?;
            }
        } else {
            for f in &env_files {
                let abs = paths::absolute(wd, Path::new(f.as_str().unwrap_or_default()));
                if abs.is_file() {
                    ctx.read_env_file(&abs, &mut sub_env, Some(()))?;
                } else {
                    ctx.warn(
                        crate::model::WarningKind::MissingEnvFile,
                        format!("include env_file {} not found", abs.display()),
                        Some(f.span),
                    );
                }
            }
        }
        let sub = ctx.load_files(&files, &sub_env, &sub_wd, stack)?;
        let Some(sub_services) = sub.get("services").and_then(Node::as_map) else {
            continue;
        };
        for (k, v) in sub_services {
            let name = k.as_str().unwrap_or_default().to_string();
            match imported_index.get(&name) {
                Some(&i) if !same(&imported[i].1, v) => {
                    return Err(ctx.error_at(
                        k.span,
                        format!(
                            "imported service {name:?} conflicts with a service of the same name \
                             imported by another include"
                        ),
                    ));
                }
                Some(_) => {}
                None => {
                    imported_index.insert(name, imported.len());
                    imported.push((k.clone(), v.clone()));
                }
            }
        }
    }
    if imported.is_empty() {
        return Ok(());
    }
    let span = doc.span;
    let own = std::mem::replace(doc, map_node(Vec::new(), span));
    let base = map_node(
        vec![(scalar("services", span), map_node(imported, span))],
        span,
    );
    *doc = merge_top(base, own);
    Ok(())
}

fn string_list(ctx: &Ctx<'_>, node: &Node, what: &str) -> LoadResult<Vec<Node>> {
    match &node.value {
        Value::Scalar(_) => Ok(vec![node.clone()]),
        Value::Seq(items) => {
            for i in items {
                if i.as_str().is_none() {
                    return Err(ctx.error_at(i.span, format!("{what} entries must be strings")));
                }
            }
            Ok(items.clone())
        }
        _ => Err(ctx.error_at(
            node.span,
            format!(
                "{what} must be a string or a list, found {}",
                node.type_name()
            ),
        )),
    }
}

/// Equal content, wherever it was written.
fn same(a: &Node, b: &Node) -> bool {
    match (&a.value, &b.value) {
        (Value::Null, Value::Null) => true,
        (Value::Scalar(x), Value::Scalar(y)) => x.text == y.text,
        (Value::Seq(x), Value::Seq(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(p, q))
        }
        (Value::Map(x), Value::Map(y)) => {
            let by_key: HashMap<Option<&str>, &Node> =
                y.iter().map(|(k, v)| (k.as_str(), v)).collect();
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| by_key.get(&k.as_str()).is_some_and(|v2| same(v, v2)))
        }
        _ => false,
    }
}
