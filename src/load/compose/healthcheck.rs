//! A service's `healthcheck:` block, and the check the engine will run: compose fields merged
//! field by field over the image's HEALTHCHECK (moby `daemon/commit.go`), so
//! `healthcheck: {interval: 5s}` keeps the image's test.

use std::time::Duration;

use super::{Ctx, parse_duration};
use crate::load::LoadResult;
use crate::load::yaml::{Node, Value};
use crate::model::{HealthCheck, HealthTest, HostVar, ImageFacts, Origin, TestForm};
use crate::span::{Span, Spanned};

/// What the compose file says, before merging with the image.
#[derive(Debug, Default)]
pub(super) struct ComposeCheck {
    pub test: Option<HealthTest>,
    pub disable: Option<bool>,
    pub interval: Option<Spanned<Duration>>,
    pub timeout: Option<Spanned<Duration>>,
    pub start_period: Option<Spanned<Duration>>,
    pub start_interval: Option<Spanned<Duration>>,
    pub retries: Option<Spanned<u32>>,
    pub invalid_durations: Vec<(String, Spanned<String>)>,
    pub span: Span,
}

fn host_vars(ctx: &Ctx<'_>, nodes: &[&Node]) -> Vec<HostVar> {
    nodes
        .iter()
        .filter_map(|n| ctx.host_vars.get(&(n.span.file, n.span.start)))
        .flatten()
        .cloned()
        .collect()
}

fn parse_test(ctx: &Ctx<'_>, node: &Node) -> LoadResult<HealthTest> {
    let spanned = |n: &Node| Spanned::new(n.as_str().unwrap_or_default().to_string(), n.span);
    match &node.value {
        Value::Scalar(s) => Ok(HealthTest {
            form: if s.text.trim().is_empty() {
                TestForm::Invalid(vec![Spanned::new(s.text.clone(), node.span)])
            } else {
                TestForm::CmdShell(Spanned::new(s.text.clone(), node.span))
            },
            span: node.span,
            from_string: true,
            host_vars: host_vars(ctx, &[node]),
        }),
        Value::Seq(items) => {
            for i in items {
                if i.as_str().is_none() {
                    return Err(ctx.error_at(
                        i.span,
                        format!(
                            "healthcheck.test entries must be strings, found {}",
                            i.type_name()
                        ),
                    ));
                }
            }
            let all: Vec<&Node> = items.iter().collect();
            let form = match items.first().and_then(Node::as_str) {
                Some("NONE") if items.len() == 1 => TestForm::None,
                Some("CMD") if items.len() > 1 => {
                    TestForm::Cmd(items[1..].iter().map(spanned).collect())
                }
                Some("CMD-SHELL") if items.len() == 2 => TestForm::CmdShell(spanned(&items[1])),
                _ => TestForm::Invalid(items.iter().map(spanned).collect()),
            };
            Ok(HealthTest {
                form,
                span: node.span,
                from_string: false,
                host_vars: host_vars(ctx, &all),
            })
        }
        _ => Err(ctx.error_at(
            node.span,
            format!(
                "healthcheck.test must be a string or a list, found {}",
                node.type_name()
            ),
        )),
    }
}

pub(super) fn parse_bool(ctx: &Ctx<'_>, node: &Node, what: &str) -> LoadResult<bool> {
    match node.as_str().map(str::to_ascii_lowercase).as_deref() {
        Some("true") | Some("yes") | Some("on") => Ok(true),
        Some("false") | Some("no") | Some("off") | Some("") => Ok(false),
        _ => Err(ctx.error_at(node.span, format!("{what} must be a boolean"))),
    }
}

/// Reads the `healthcheck:` mapping of a service.
pub(super) fn parse(ctx: &mut Ctx<'_>, node: &Node) -> LoadResult<ComposeCheck> {
    let mut out = ComposeCheck {
        span: node.span,
        ..Default::default()
    };
    if node.is_null() {
        return Ok(out);
    }
    let Some(entries) = node.as_map() else {
        return Err(ctx.error_at(
            node.span,
            format!("healthcheck must be a mapping, found {}", node.type_name()),
        ));
    };
    for (k, v) in entries {
        let key = k.as_str().unwrap_or_default();
        if v.is_null() {
            continue;
        }
        match key {
            "test" => out.test = Some(parse_test(ctx, v)?),
            "disable" => match parse_bool(ctx, v, "healthcheck.disable") {
                Ok(b) => out.disable = Some(b),
                Err(e) => ctx.soften(v, e)?,
            },
            "interval" | "timeout" | "start_period" | "start_interval" => {
                let Some(text) = v.as_str() else {
                    return Err(ctx.error_at(
                        v.span,
                        format!(
                            "healthcheck.{key} must be a duration, found {}",
                            v.type_name()
                        ),
                    ));
                };
                let slot = match key {
                    "interval" => &mut out.interval,
                    "timeout" => &mut out.timeout,
                    "start_period" => &mut out.start_period,
                    _ => &mut out.start_interval,
                };
                match parse_duration(text) {
                    Some(d) => *slot = Some(Spanned::new(d, v.span)),
                    None => {
                        let err = ctx.error_at(
                            v.span,
                            format!("healthcheck.{key}: invalid duration {text:?}"),
                        );
                        if ctx.soften(v, err).is_err() {
                            out.invalid_durations
                                .push((key.to_string(), Spanned::new(text.to_string(), v.span)));
                        }
                    }
                }
            }
            "retries" => {
                let text = v.as_str().unwrap_or_default().trim();
                match text.parse::<u32>() {
                    Ok(n) => out.retries = Some(Spanned::new(n, v.span)),
                    Err(_) => {
                        let err = ctx.error_at(
                            v.span,
                            format!(
                                "healthcheck.retries must be a non-negative integer, found {text:?}"
                            ),
                        );
                        ctx.soften(v, err)?;
                    }
                }
            }
            k if k.starts_with("x-") => {}
            other => {
                return Err(ctx.error_at(
                    k.span,
                    format!(
                        "additional property {other:?} is not allowed in healthcheck (expected \
                         test, interval, timeout, retries, start_period, start_interval, disable)"
                    ),
                ));
            }
        }
    }
    Ok(out)
}

/// The effective check. `facts` is the Dockerfile we read (if any); `image_unknown` is true when
/// the image comes from a registry or a build we could not read, so its own check is unknown.
pub(super) fn effective(
    compose: Option<ComposeCheck>,
    facts: Option<&ImageFacts>,
    image_unknown: bool,
) -> HealthCheck {
    let inherited = facts.and_then(|f| f.healthcheck.clone());
    let mut hc = match &inherited {
        Some(h) => HealthCheck {
            origin: Origin::Dockerfile,
            ..h.clone()
        },
        None => HealthCheck {
            origin: if image_unknown {
                Origin::Image
            } else {
                Origin::None
            },
            ..HealthCheck::default()
        },
    };
    let Some(c) = compose else {
        return hc;
    };
    if c.interval.is_some() {
        hc.interval = c.interval;
    }
    if c.timeout.is_some() {
        hc.timeout = c.timeout;
    }
    if c.start_period.is_some() {
        hc.start_period = c.start_period;
    }
    if c.start_interval.is_some() {
        hc.start_interval = c.start_interval;
    }
    if c.retries.is_some() {
        hc.retries = c.retries;
    }
    hc.invalid_durations.extend(c.invalid_durations);
    if let Some(test) = c.test {
        hc.disabled = matches!(test.form, TestForm::None);
        hc.test = Some(test);
        hc.origin = Origin::Compose;
        hc.span = Some(c.span);
    }
    if c.disable == Some(true) {
        hc.disabled = true;
        hc.origin = Origin::Compose;
        hc.span = Some(c.span);
    }
    if hc.span.is_none() {
        hc.span = Some(c.span);
    }
    hc
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(n: u64, line: u32) -> Spanned<Duration> {
        Spanned::new(
            Duration::from_secs(n),
            Span {
                line,
                ..Span::default()
            },
        )
    }

    fn image_check() -> ImageFacts {
        ImageFacts {
            healthcheck: Some(HealthCheck {
                origin: Origin::Dockerfile,
                test: Some(HealthTest {
                    form: TestForm::CmdShell(Spanned::new(
                        "curl -f localhost".into(),
                        Span::default(),
                    )),
                    ..Default::default()
                }),
                interval: Some(secs(30, 1)),
                timeout: Some(secs(3, 1)),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn timings_only_keep_the_image_test() {
        let compose = ComposeCheck {
            interval: Some(secs(5, 9)),
            ..Default::default()
        };
        let hc = effective(Some(compose), Some(&image_check()), false);
        assert_eq!(hc.origin, Origin::Dockerfile);
        assert!(
            matches!(&hc.test.as_ref().unwrap().form, TestForm::CmdShell(s) if s.value.starts_with("curl"))
        );
        assert_eq!(hc.interval.as_ref().unwrap().value, Duration::from_secs(5));
        assert_eq!(hc.interval.as_ref().unwrap().span.line, 9);
        assert_eq!(hc.timeout.as_ref().unwrap().value, Duration::from_secs(3));
        assert!(hc.is_active());
    }

    #[test]
    fn compose_test_wins_and_inherits_unset_timings() {
        let compose = ComposeCheck {
            test: Some(HealthTest {
                form: TestForm::Cmd(vec![Spanned::new("true".into(), Span::default())]),
                ..Default::default()
            }),
            ..Default::default()
        };
        let hc = effective(Some(compose), Some(&image_check()), false);
        assert_eq!(hc.origin, Origin::Compose);
        assert!(matches!(hc.test.as_ref().unwrap().form, TestForm::Cmd(_)));
        assert_eq!(hc.timeout.as_ref().unwrap().value, Duration::from_secs(3));
    }

    #[test]
    fn disable_turns_off_the_image_check() {
        let compose = ComposeCheck {
            disable: Some(true),
            ..Default::default()
        };
        let hc = effective(Some(compose), Some(&image_check()), false);
        assert!(hc.disabled);
        assert!(!hc.is_active());
        assert_eq!(hc.origin, Origin::Compose);
        let none = ComposeCheck {
            test: Some(HealthTest::default()),
            ..Default::default()
        };
        let hc = effective(Some(none), Some(&image_check()), false);
        assert!(hc.disabled && !hc.is_active());
    }

    #[test]
    fn origins_without_a_compose_test() {
        assert_eq!(
            effective(None, Some(&image_check()), false).origin,
            Origin::Dockerfile
        );
        assert_eq!(effective(None, None, true).origin, Origin::Image);
        assert_eq!(
            effective(None, Some(&ImageFacts::default()), false).origin,
            Origin::None
        );
        assert_eq!(effective(None, None, false).origin, Origin::None);
        let timings = ComposeCheck {
            retries: Some(Spanned::new(2, Span::default())),
            ..Default::default()
        };
        let hc = effective(Some(timings), None, true);
        assert_eq!(hc.origin, Origin::Image);
        assert_eq!(hc.retries.as_ref().unwrap().value, 2);
    }
}
