//! Interpolation of every scalar value of one file (keys are left alone, as compose does),
//! before any type is decided: `retries: ${N}` is a number only once `N` is substituted.

use super::{Ctx, Env};
use crate::load::LoadResult;
use crate::load::interpolate::interpolate;
use crate::load::yaml::{Node, Value};
use crate::model::{HostVar, WarningKind};
use crate::span::Span;

pub(super) fn interpolate_tree(
    ctx: &mut Ctx<'_>,
    node: &mut Node,
    env: &Env,
    file_text: &str,
) -> LoadResult<()> {
    match &mut node.value {
        Value::Map(entries) => {
            for (_, v) in entries.iter_mut() {
                interpolate_tree(ctx, v, env, file_text)?;
            }
        }
        Value::Seq(items) => {
            for v in items.iter_mut() {
                interpolate_tree(ctx, v, env, file_text)?;
            }
        }
        Value::Scalar(s) if s.text.contains('$') => {
            let span = node.span;
            let lookup = |k: &str| env.get(k);
            let done = interpolate(&s.text, &lookup).map_err(|e| {
                // Point at the text from the error on (usually the `$`), found in the source.
                let from = s.text.get(e.offset..).unwrap_or_default();
                let piece: String = from.chars().take(2).collect();
                let at = locate(file_text, span, &piece, 0);
                ctx.error_at(at, format!("invalid interpolation: {}", e.message))
            })?;
            let mut vars = Vec::new();
            // Uses come in input order; each is searched after the previous one, so a
            // variable written twice gets two places.
            let mut from = 0;
            for var in &done.vars {
                let piece = s.text.get(var.range.clone()).unwrap_or_default();
                let at = locate(file_text, span, piece, from);
                if at != span {
                    from = (at.start - span.start) as usize + 1;
                }
                // compose warns only when nothing stands in for the value: `$NAME`, `${NAME}`.
                let bare =
                    piece == format!("${}", var.name) || piece == format!("${{{}}}", var.name);
                if !var.set && bare {
                    ctx.warn(
                        WarningKind::UnsetVariable,
                        format!(
                            "variable {} is not set; substituting an empty string",
                            var.name
                        ),
                        Some(at),
                    );
                }
                vars.push(HostVar {
                    name: var.name.clone(),
                    set: var.set,
                    span: at,
                });
            }
            for (name, msg) in &done.required_missing {
                let at = vars
                    .iter()
                    .find(|v| &v.name == name)
                    .map_or(span, |v| v.span);
                let why = if msg.is_empty() {
                    String::new()
                } else {
                    format!(": {msg}")
                };
                ctx.warn(
                    WarningKind::RequiredVariableUnset,
                    format!(
                        "required variable {name} is not set{why}; linting with an empty value"
                    ),
                    Some(at),
                );
            }
            if done.vars.iter().any(|v| !v.set) {
                ctx.unset_scalars.insert((span.file, span.start));
            }
            s.text = done.value;
            if !vars.is_empty() {
                ctx.host_vars.insert((span.file, span.start), vars);
            }
        }
        _ => {}
    }
    Ok(())
}

/// The span of `piece` in the file, searched in the scalar's source: scalars may be quoted or
/// folded, so offsets into the parsed text do not map to the file. Falls back to the scalar.
fn locate(file_text: &str, scalar: Span, piece: &str, from: usize) -> Span {
    let start = scalar.start as usize + from;
    let end = (scalar.end as usize).min(file_text.len());
    let source = file_text.get(start..end).unwrap_or_default();
    match source.find(piece).filter(|_| !piece.is_empty()) {
        Some(rel) => {
            let s = start + rel;
            // Count from the scalar's own position, not the file's start: a file with many
            // `${VAR}` would otherwise be scanned once per variable.
            let between = &file_text[scalar.start as usize..s];
            let (line, col) = match between.rfind('\n') {
                Some(nl) => (
                    scalar.line as usize + between.matches('\n').count(),
                    between[nl + 1..].chars().count() + 1,
                ),
                None => (
                    scalar.line as usize,
                    scalar.col as usize + between.chars().count(),
                ),
            };
            Span::new(scalar.file, s, s + piece.len(), line, col)
        }
        None => scalar,
    }
}

/// Bare `environment` entries (`- KEY`, `KEY:`) take their value from the environment the file
/// was loaded with, so an include's `env_file` fills them only inside the included files.
pub(super) fn resolve_bare_environment(doc: &mut Node, env: &Env) {
    let Value::Map(top) = &mut doc.value else {
        return;
    };
    let Some((_, services)) = top.iter_mut().find(|(k, _)| k.as_str() == Some("services")) else {
        return;
    };
    let Value::Map(services) = &mut services.value else {
        return;
    };
    for (_, svc) in services.iter_mut() {
        let Value::Map(fields) = &mut svc.value else {
            continue;
        };
        let Some((_, envn)) = fields
            .iter_mut()
            .find(|(k, _)| k.as_str() == Some("environment"))
        else {
            continue;
        };
        match &mut envn.value {
            Value::Seq(items) => {
                for item in items {
                    if let Value::Scalar(s) = &mut item.value
                        && !s.text.contains('=')
                        && let Some(v) = env.get(s.text.trim())
                    {
                        s.text = format!("{}={v}", s.text.trim());
                    }
                }
            }
            Value::Map(entries) => {
                for (k, v) in entries.iter_mut() {
                    if v.is_null()
                        && v.tag.is_none()
                        && let Some(key) = k.as_str()
                        && let Some(val) = env.get(key)
                    {
                        v.value = Value::Scalar(crate::load::yaml::Scalar {
                            text: val,
                            quoted: true,
                        });
                    }
                }
            }
            _ => {}
        }
    }
}
