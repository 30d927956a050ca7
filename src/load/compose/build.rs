//! From the merged tree to the model: every field typed, checked and spanned, the Dockerfile
//! of `build:` read, and the effective health check worked out.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::{Checks, Ctx, Env, healthcheck, paths, ports};
use crate::load::LoadResult;
use crate::load::yaml::{Node, Value};
use crate::model::{
    Build, CommandForm, CommandLine, Condition, Dependency, EnvVar, ImageFacts, Label, Port,
    Service, WarningKind,
};
use crate::span::{Span, Spanned};

/// Service keys of the compose specification (`schema/compose-spec.json`); compose rejects
/// any other key that does not start with `x-`.
const SERVICE_KEYS: &[&str] = &[
    "annotations",
    "attach",
    "blkio_config",
    "build",
    "cap_add",
    "cap_drop",
    "cgroup",
    "cgroup_parent",
    "command",
    "configs",
    "container_name",
    "cpu_count",
    "cpu_percent",
    "cpu_shares",
    "cpu_quota",
    "cpu_period",
    "cpu_rt_period",
    "cpu_rt_runtime",
    "cpus",
    "cpuset",
    "credential_spec",
    "depends_on",
    "deploy",
    "develop",
    "device_cgroup_rules",
    "devices",
    "dns",
    "dns_opt",
    "dns_search",
    "domainname",
    "entrypoint",
    "env_file",
    "label_file",
    "environment",
    "expose",
    "extends",
    "external_links",
    "extra_hosts",
    "gpus",
    "group_add",
    "healthcheck",
    "hostname",
    "image",
    "init",
    "ipc",
    "isolation",
    "labels",
    "links",
    "logging",
    "mac_address",
    "mem_limit",
    "mem_reservation",
    "mem_swappiness",
    "memswap_limit",
    "models",
    "network_mode",
    "networks",
    "oom_kill_disable",
    "oom_score_adj",
    "pid",
    "pids_limit",
    "platform",
    "ports",
    "post_start",
    "pre_stop",
    "privileged",
    "profiles",
    "provider",
    "pull_policy",
    "pull_refresh_after",
    "read_only",
    "restart",
    "runtime",
    "scale",
    "secrets",
    "security_opt",
    "shm_size",
    "stdin_open",
    "stop_grace_period",
    "stop_signal",
    "storage_opt",
    "sysctls",
    "tmpfs",
    "tty",
    "ulimits",
    "use_api_socket",
    "user",
    "userns_mode",
    "uts",
    "volumes",
    "volumes_from",
    "working_dir",
];

const BUILD_KEYS: &[&str] = &[
    "context",
    "dockerfile",
    "dockerfile_inline",
    "entitlements",
    "args",
    "ssh",
    "labels",
    "cache_from",
    "cache_to",
    "no_cache",
    "additional_contexts",
    "network",
    "provenance",
    "sbom",
    "pull",
    "target",
    "shm_size",
    "extra_hosts",
    "isolation",
    "privileged",
    "secrets",
    "tags",
    "ulimits",
    "platforms",
];

fn text(ctx: &Ctx<'_>, node: &Node, what: &str) -> LoadResult<Spanned<String>> {
    match node.as_str() {
        Some(s) => Ok(Spanned::new(s.to_string(), node.span)),
        None => Err(ctx.error_at(
            node.span,
            format!("{what} must be a string, found {}", node.type_name()),
        )),
    }
}

fn string_list(ctx: &Ctx<'_>, node: &Node, what: &str) -> LoadResult<Vec<Spanned<String>>> {
    let Some(items) = node.as_seq() else {
        return Err(ctx.error_at(
            node.span,
            format!("{what} must be a list, found {}", node.type_name()),
        ));
    };
    items.iter().map(|i| text(ctx, i, what)).collect()
}

/// `KEY=VALUE` list or mapping: (key, value or none, span).
fn key_values(
    ctx: &Ctx<'_>,
    node: &Node,
    what: &str,
) -> LoadResult<Vec<(String, Option<String>, Span)>> {
    match &node.value {
        Value::Null => Ok(Vec::new()),
        Value::Seq(items) => items
            .iter()
            .map(|i| {
                let t = text(ctx, i, what)?;
                Ok(match t.value.split_once('=') {
                    Some((k, v)) => (k.to_string(), Some(v.to_string()), i.span),
                    None => (t.value.clone(), None, i.span),
                })
            })
            .collect(),
        Value::Map(entries) => entries
            .iter()
            .map(|(k, v)| {
                let key = text(ctx, k, what)?;
                let value = match &v.value {
                    Value::Null => None,
                    Value::Scalar(s) => Some(s.text.clone()),
                    _ => {
                        return Err(ctx.error_at(
                            v.span,
                            format!(
                                "{what}.{} must be a string, a number, a boolean or null",
                                key.value
                            ),
                        ));
                    }
                };
                Ok((key.value, value, k.span))
            })
            .collect(),
        Value::Scalar(_) => Err(ctx.error_at(
            node.span,
            format!("{what} must be a mapping or a list, found a string"),
        )),
    }
}

fn command(ctx: &Ctx<'_>, node: &Node, what: &str) -> LoadResult<Option<CommandLine>> {
    Ok(match &node.value {
        Value::Null => None,
        Value::Scalar(s) => Some(CommandLine {
            form: CommandForm::Shell(s.text.clone()),
            span: node.span,
        }),
        Value::Seq(_) => Some(CommandLine {
            form: CommandForm::Exec(
                string_list(ctx, node, what)?
                    .into_iter()
                    .map(|s| s.value)
                    .collect(),
            ),
            span: node.span,
        }),
        Value::Map(_) => {
            return Err(ctx.error_at(
                node.span,
                format!("{what} must be a string or a list, found a mapping"),
            ));
        }
    })
}

fn port_long(ctx: &Ctx<'_>, node: &Node, svc: &str) -> LoadResult<Port> {
    let mut port = Port {
        target: 0,
        target_end: 0,
        published: None,
        host_ip: None,
        protocol: crate::model::Protocol::Tcp,
        app_protocol: None,
        name: None,
        span: node.span,
    };
    let mut has_target = false;
    for (k, v) in node.as_map().unwrap_or_default() {
        let key = k.as_str().unwrap_or_default();
        if key.starts_with("x-") || v.is_null() {
            continue;
        }
        let val = text(ctx, v, &format!("services.{svc}.ports.{key}"))?;
        match key {
            "target" => {
                let (a, b) = ports::port_range(&val.value)
                    .map_err(|e| ctx.error_at(v.span, format!("ports.target: {e}")))?;
                port.target = a;
                port.target_end = b;
                has_target = true;
            }
            "published" => port.published = Some(val.value),
            "host_ip" => port.host_ip = Some(val.value),
            "protocol" => {
                port.protocol =
                    ports::parse_protocol(&val.value).map_err(|e| ctx.error_at(v.span, e))?;
            }
            "app_protocol" => port.app_protocol = Some(val.value),
            "name" => port.name = Some(val.value),
            "mode" => {
                if val.value != "host" && val.value != "ingress" {
                    return Err(ctx.error_at(
                        v.span,
                        format!("ports.mode must be host or ingress, found {:?}", val.value),
                    ));
                }
            }
            other => {
                return Err(ctx.error_at(
                    k.span,
                    format!("additional property {other:?} is not allowed in a port mapping"),
                ));
            }
        }
    }
    if !has_target {
        return Err(ctx.error_at(node.span, "a port mapping needs a target"));
    }
    Ok(port)
}

fn build_section(
    ctx: &Ctx<'_>,
    node: &Node,
    svc: &str,
) -> LoadResult<Option<(Build, Option<String>)>> {
    let mut b = Build {
        span: node.span,
        ..Default::default()
    };
    let mut inline = None;
    match &node.value {
        Value::Null => return Ok(None),
        Value::Scalar(s) => b.context = Some(PathBuf::from(&s.text)),
        Value::Map(entries) => {
            for (k, v) in entries {
                let key = k.as_str().unwrap_or_default();
                if v.is_null() || key.starts_with("x-") {
                    continue;
                }
                let what = format!("services.{svc}.build.{key}");
                match key {
                    "context" => b.context = Some(PathBuf::from(text(ctx, v, &what)?.value)),
                    "dockerfile" => b.dockerfile = Some(PathBuf::from(text(ctx, v, &what)?.value)),
                    "dockerfile_inline" => {
                        b.dockerfile_inline = true;
                        inline = Some(text(ctx, v, &what)?.value);
                    }
                    "target" => b.target = Some(text(ctx, v, &what)?.value),
                    "args" => {
                        b.args = key_values(ctx, v, &what)?
                            .into_iter()
                            .map(|(k, v, _)| (k, v))
                            .collect();
                    }
                    k if BUILD_KEYS.contains(&k) => {}
                    other => {
                        return Err(ctx.error_at(
                            k.span,
                            format!("additional property {other:?} is not allowed in services.{svc}.build"),
                        ));
                    }
                }
            }
        }
        Value::Seq(_) => {
            return Err(ctx.error_at(
                node.span,
                format!("services.{svc}.build must be a string or a mapping, found a sequence"),
            ));
        }
    }
    Ok(Some((b, inline)))
}

/// Reads the Dockerfile a build points to. `None` when the image's content is unknown.
fn read_dockerfile(
    ctx: &mut Ctx<'_>,
    svc: &str,
    build: &Build,
    inline: Option<String>,
    project_dir: &Path,
) -> LoadResult<Option<ImageFacts>> {
    let context = build
        .context
        .clone()
        .unwrap_or_else(|| project_dir.to_path_buf());
    let context_text = context.display().to_string();
    if paths::is_remote(&context_text) {
        return Ok(None);
    }
    let id = if let Some(text) = inline {
        let name = context.join(format!("<dockerfile_inline of service {svc}>"));
        ctx.sources.add(name, text)
    } else {
        if !context.is_dir() {
            ctx.warn(
                WarningKind::MissingBuildContext,
                format!(
                    "service {svc:?}: build context {} not found; the image's own health check is unknown",
                    context.display()
                ),
                Some(build.span),
            );
            return Ok(None);
        }
        let dockerfile = paths::absolute(
            &context,
            build
                .dockerfile
                .as_deref()
                .unwrap_or(Path::new("Dockerfile")),
        );
        if !dockerfile.is_file() {
            ctx.warn(
                WarningKind::MissingDockerfile,
                format!(
                    "service {svc:?}: Dockerfile {} not found; the image's own health check is unknown",
                    dockerfile.display()
                ),
                Some(build.span),
            );
            return Ok(None);
        }
        match ctx.read_text(&dockerfile) {
            Ok((id, _)) => id,
            Err(e) => {
                ctx.warn(
                    WarningKind::UnreadableDockerfile,
                    e.message,
                    Some(build.span),
                );
                return Ok(None);
            }
        }
    };
    let facts = crate::load::dockerfile::image_facts_from_text(
        &ctx.sources,
        id,
        build.target.as_deref(),
        &build.args,
    )?;
    Ok(Some(facts))
}

fn env_files(ctx: &Ctx<'_>, node: &Node, svc: &str) -> LoadResult<Vec<(Spanned<PathBuf>, bool)>> {
    let entry = |n: &Node| -> LoadResult<(Spanned<PathBuf>, bool)> {
        match &n.value {
            Value::Scalar(s) => Ok((Spanned::new(PathBuf::from(&s.text), n.span), true)),
            Value::Map(_) => {
                let Some(p) = n.get("path") else {
                    return Err(ctx.error_at(
                        n.span,
                        format!("services.{svc}.env_file entry needs a path"),
                    ));
                };
                let p = text(ctx, p, "env_file.path")?;
                let required = match n.get("required") {
                    Some(r) if !r.is_null() => {
                        healthcheck::parse_bool(ctx, r, "env_file.required")?
                    }
                    _ => true,
                };
                Ok((Spanned::new(PathBuf::from(p.value), p.span), required))
            }
            _ => Err(ctx.error_at(
                n.span,
                format!("services.{svc}.env_file entries must be strings or mappings"),
            )),
        }
    };
    match &node.value {
        Value::Null => Ok(Vec::new()),
        Value::Seq(items) => items.iter().map(entry).collect(),
        _ => Ok(vec![entry(node)?]),
    }
}

fn condition(ctx: &Ctx<'_>, node: &Node) -> LoadResult<Condition> {
    match node.as_str() {
        Some("service_started") => Ok(Condition::ServiceStarted),
        Some("service_healthy") => Ok(Condition::ServiceHealthy),
        Some("service_completed_successfully") => Ok(Condition::ServiceCompletedSuccessfully),
        _ => Err(ctx.error_at(
            node.span,
            format!(
                "invalid depends_on condition {:?} (expected service_started, service_healthy or \
                 service_completed_successfully)",
                node.as_str().unwrap_or_default()
            ),
        )),
    }
}

fn depends_on(ctx: &Ctx<'_>, node: &Node, svc: &str) -> LoadResult<Vec<Dependency>> {
    let dep = |name: String, span: Span| Dependency {
        service: name,
        condition: Condition::ServiceStarted,
        required: true,
        restart: false,
        span,
    };
    match &node.value {
        Value::Null => Ok(Vec::new()),
        Value::Seq(_) => Ok(
            string_list(ctx, node, &format!("services.{svc}.depends_on"))?
                .into_iter()
                .map(|s| dep(s.value, s.span))
                .collect(),
        ),
        Value::Map(entries) => {
            let mut out = Vec::new();
            for (k, v) in entries {
                let name = text(ctx, k, "depends_on")?;
                let mut d = dep(name.value.clone(), k.span);
                if let Some(fields) = v.as_map() {
                    for (fk, fv) in fields {
                        match fk.as_str().unwrap_or_default() {
                            "condition" => d.condition = condition(ctx, fv)?,
                            "required" => {
                                d.required =
                                    healthcheck::parse_bool(ctx, fv, "depends_on.required")?
                            }
                            "restart" => {
                                d.restart = healthcheck::parse_bool(ctx, fv, "depends_on.restart")?
                            }
                            x if x.starts_with("x-") => {}
                            other => {
                                return Err(ctx.error_at(
                                    fk.span,
                                    format!("additional property {other:?} is not allowed in depends_on.{}", name.value),
                                ));
                            }
                        }
                    }
                } else if !v.is_null() {
                    return Err(ctx.error_at(
                        v.span,
                        format!(
                            "depends_on.{} must be a mapping, found {}",
                            name.value,
                            v.type_name()
                        ),
                    ));
                }
                out.push(d);
            }
            Ok(out)
        }
        Value::Scalar(_) => Err(ctx.error_at(
            node.span,
            format!("services.{svc}.depends_on must be a list or a mapping, found a string"),
        )),
    }
}

fn one_service(
    ctx: &mut Ctx<'_>,
    name: &str,
    key: &Node,
    node: &Node,
    active_profiles: &[String],
    project_dir: &Path,
) -> LoadResult<Service> {
    let mut s = Service {
        name: name.to_string(),
        span: key.span,
        file: key.span.file,
        ..Default::default()
    };
    let mut compose_check = None;
    let mut build_inline = None;
    let mut env_file_list = Vec::new();
    let mut explicit_env = Vec::new();
    for (k, v) in node.as_map().unwrap_or_default() {
        let Some(field) = k.as_str() else {
            return Err(ctx.error_at(k.span, "service keys must be strings"));
        };
        if field.starts_with("x-") {
            continue;
        }
        if !SERVICE_KEYS.contains(&field) {
            return Err(ctx.error_at(
                k.span,
                format!("additional property {field:?} is not allowed in service {name:?}"),
            ));
        }
        if v.is_null() && field != "healthcheck" {
            continue;
        }
        let what = format!("services.{name}.{field}");
        match field {
            "image" => s.image = Some(text(ctx, v, &what)?),
            "build" => {
                if let Some((b, inline)) = build_section(ctx, v, name)? {
                    s.build = Some(b);
                    build_inline = inline;
                }
            }
            "ports" => {
                let Some(items) = v.as_seq() else {
                    return Err(ctx.error_at(
                        v.span,
                        format!("{what} must be a list, found {}", v.type_name()),
                    ));
                };
                for item in items {
                    match &item.value {
                        Value::Scalar(sc) => match ports::parse_short(&sc.text, item.span) {
                            Ok(p) => s.ports.push(p),
                            Err(e) => {
                                let err = ctx.error_at(item.span, e);
                                ctx.soften(item, err)?;
                            }
                        },
                        Value::Map(_) => match port_long(ctx, item, name) {
                            Ok(p) => s.ports.push(p),
                            Err(err) => {
                                let culprit = err
                                    .span
                                    .and_then(|sp| {
                                        item.as_map()?.iter().map(|(_, v)| v).find(|v| v.span == sp)
                                    })
                                    .unwrap_or(item);
                                ctx.soften(culprit, err)?;
                            }
                        },
                        _ => {
                            return Err(ctx.error_at(
                                item.span,
                                format!("{what} entries must be strings, numbers or mappings"),
                            ));
                        }
                    }
                }
            }
            "expose" => {
                let Some(items) = v.as_seq() else {
                    return Err(ctx.error_at(
                        v.span,
                        format!("{what} must be a list, found {}", v.type_name()),
                    ));
                };
                for item in items {
                    let t = text(ctx, item, &what)?;
                    match ports::parse_expose(&t.value, item.span) {
                        Ok(e) => s.expose.push(e),
                        Err(e) => {
                            let err = ctx.error_at(item.span, e);
                            ctx.soften(item, err)?;
                        }
                    }
                }
            }
            "command" => s.command = command(ctx, v, &what)?,
            "entrypoint" => s.entrypoint = command(ctx, v, &what)?,
            "environment" => explicit_env = key_values(ctx, v, &what)?,
            "env_file" => env_file_list = env_files(ctx, v, name)?,
            "labels" => {
                s.labels = key_values(ctx, v, &what)?
                    .into_iter()
                    .map(|(key, value, span)| Label {
                        key,
                        value: value.unwrap_or_default(),
                        span,
                    })
                    .collect();
            }
            "depends_on" => s.depends_on = depends_on(ctx, v, name)?,
            "restart" => s.restart = Some(text(ctx, v, &what)?),
            "user" => s.user = Some(text(ctx, v, &what)?),
            "profiles" => {
                s.profiles = string_list(ctx, v, &what)?
                    .into_iter()
                    .map(|p| p.value)
                    .collect();
            }
            "healthcheck" => compose_check = Some(healthcheck::parse(ctx, v)?),
            _ => {}
        }
    }
    // env_file values first: `environment` wins over them, a later file over an earlier one.
    let mut env_index: HashMap<String, usize> = HashMap::new();
    let mut set_env = |env: &mut Vec<EnvVar>, var: EnvVar| match env_index.get(&var.key) {
        Some(&i) => env[i] = var,
        None => {
            env_index.insert(var.key.clone(), env.len());
            env.push(var);
        }
    };
    for (path, required) in &env_file_list {
        if !path.value.is_file() {
            if *required {
                ctx.warn(
                    WarningKind::MissingEnvFile,
                    format!(
                        "service {name:?}: env_file {} not found",
                        path.value.display()
                    ),
                    Some(path.span),
                );
            }
            continue;
        }
        for (key, value) in ctx.dotenv_pairs(&path.value)? {
            let var = EnvVar {
                key,
                value: Some(value),
                span: path.span,
            };
            set_env(&mut s.environment, var);
        }
    }
    for (key, value, span) in explicit_env {
        set_env(&mut s.environment, EnvVar { key, value, span });
    }
    s.env_files = env_file_list.into_iter().map(|(p, _)| p).collect();
    s.active = s.profiles.is_empty()
        || active_profiles
            .iter()
            .any(|p| p == "*" || s.profiles.contains(p));
    let facts = match &s.build {
        Some(b) => read_dockerfile(ctx, name, b, build_inline, project_dir)?,
        None => None,
    };
    let image_unknown = facts.is_none() && (s.image.is_some() || s.build.is_some());
    s.healthcheck = healthcheck::effective(compose_check, facts.as_ref(), image_unknown);
    s.dockerfile = facts;
    Ok(s)
}

type Built = (Vec<Service>, Vec<(String, Node)>);

pub(super) fn services(
    ctx: &mut Ctx<'_>,
    merged: &Node,
    env: &Env,
    checks: Checks,
    project_dir: &Path,
) -> LoadResult<Built> {
    let mut active: Vec<String> = ctx.opts.profiles.clone();
    if active.is_empty()
        && let Some(p) = env.get("COMPOSE_PROFILES")
    {
        active = p
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
    }
    let mut out = Vec::new();
    let mut raw = Vec::new();
    let entries = merged
        .get("services")
        .and_then(Node::as_map)
        .unwrap_or_default()
        .to_vec();
    for (k, v) in &entries {
        let name = text(ctx, k, "service name")?.value;
        if !(v.is_null() || v.as_map().is_some()) {
            return Err(ctx.error_at(
                v.span,
                format!(
                    "service {name:?} must be a mapping, found {}",
                    v.type_name()
                ),
            ));
        }
        out.push(one_service(ctx, &name, k, v, &active, project_dir)?);
        raw.push((name, v.clone()));
    }
    if checks.consistency {
        check_dependencies(ctx, &out)?;
    }
    Ok((out, raw))
}

/// compose refuses a dependency on a service that does not exist; `required: false` makes it
/// optional (compose only warns). A dependency switched off by the selected profiles makes
/// `docker compose up` fail for that selection, which is a warning here: the file itself is
/// fine under other profiles.
fn check_dependencies(ctx: &mut Ctx<'_>, services: &[Service]) -> LoadResult<()> {
    let index: HashMap<&str, usize> = services
        .iter()
        .enumerate()
        .map(|(i, s)| (s.name.as_str(), i))
        .collect();
    for s in services {
        for d in &s.depends_on {
            match index.get(d.service.as_str()) {
                None if d.required => {
                    return Err(ctx.error_at(
                        d.span,
                        format!(
                            "service {:?} depends on undefined service {:?}",
                            s.name, d.service
                        ),
                    ));
                }
                None => ctx.warn(
                    WarningKind::Other,
                    format!(
                        "service {:?} has an optional dependency on undefined service {:?}",
                        s.name, d.service
                    ),
                    Some(d.span),
                ),
                Some(&i) if s.active && !services[i].active && d.required => ctx.warn(
                    WarningKind::Other,
                    format!(
                        "service {:?} depends on {:?}, which the selected profiles leave out; \
                         docker compose up refuses this selection",
                        s.name, d.service
                    ),
                    Some(d.span),
                ),
                Some(_) => {}
            }
        }
    }
    // Iterative depth-first search (a chain of thousands of services must not exhaust the
    // stack); the path back to a service still on it is the cycle.
    const NEW: u8 = 0;
    const ON_PATH: u8 = 1;
    const DONE: u8 = 2;
    let mut state = vec![NEW; services.len()];
    for root in 0..services.len() {
        if state[root] != NEW {
            continue;
        }
        // (service, next dependency to look at)
        let mut stack: Vec<(usize, usize)> = vec![(root, 0)];
        state[root] = ON_PATH;
        while let Some(&mut (at, ref mut next)) = stack.last_mut() {
            let deps = &services[at].depends_on;
            if *next == deps.len() {
                state[at] = DONE;
                stack.pop();
                continue;
            }
            let d = &deps[*next];
            *next += 1;
            let Some(&to) = index.get(d.service.as_str()) else {
                continue;
            };
            match state[to] {
                NEW => {
                    state[to] = ON_PATH;
                    stack.push((to, 0));
                }
                ON_PATH => {
                    let from = stack.iter().position(|(s, _)| *s == to).unwrap_or(0);
                    let mut cycle: Vec<&str> = stack[from..]
                        .iter()
                        .map(|(s, _)| services[*s].name.as_str())
                        .collect();
                    cycle.push(&d.service);
                    return Err(ctx.error_at(
                        d.span,
                        format!("dependency cycle detected: {}", cycle.join(" -> ")),
                    ));
                }
                _ => {}
            }
        }
    }
    Ok(())
}
