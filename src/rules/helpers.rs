//! Small shared pieces of the rules: where to point, how to phrase a kind, how to build a
//! textual fix against the source.

use std::time::Duration;

use crate::infer::{KindInfo, ServiceKind};
use crate::model::{Project, Service};
use crate::probe::{Probe, ProbeKind, ProbeStep};
use crate::span::Span;

use super::{Fix, Label};

/// The primary location of a finding about the check itself: the `test` value, else the
/// `healthcheck:` block, else the service key.
pub fn test_span(service: &Service) -> Span {
    let hc = &service.healthcheck;
    hc.test
        .as_ref()
        .map(|t| t.span)
        .filter(|s| !s.is_dummy())
        .or(hc.span.filter(|s| !s.is_dummy()))
        .unwrap_or(service.span)
}

/// The source text a span covers, when the file is known.
pub fn source_text(project: &Project, span: Span) -> Option<&str> {
    if span.is_dummy() || span.file as usize >= project.sources.len() {
        return None;
    }
    project
        .sources
        .get(span.file)
        .text
        .get(span.start as usize..span.end as usize)
}

fn file_text(project: &Project, span: Span) -> Option<&str> {
    if span.is_dummy() || span.file as usize >= project.sources.len() {
        return None;
    }
    Some(&project.sources.get(span.file).text)
}

/// True when `span` lies in a compose file (as opposed to a Dockerfile).
pub fn in_compose_file(project: &Project, span: Span) -> bool {
    project.compose_files.contains(&span.file)
}

/// A fix replacing the only occurrence of `needle` inside `within` with `replacement`. No fix
/// when the text is not found exactly once: a guessed edit is worse than none.
pub fn replace_once(
    project: &Project,
    within: Span,
    needle: &str,
    replacement: &str,
    description: impl Into<String>,
) -> Option<Fix> {
    let text = source_text(project, within)?;
    let mut hits = text.match_indices(needle);
    let (at, _) = hits.next()?;
    if hits.next().is_some() {
        return None;
    }
    file_text(project, within)?;
    let start = within.start as usize + at;
    Some(Fix {
        description: description.into(),
        span: project
            .sources
            .span(within.file, start, start + needle.len()),
        replacement: replacement.to_string(),
    })
}

/// A fix replacing a scalar value, keeping the quotes it was written with.
pub fn replace_value(
    project: &Project,
    value: Span,
    new: &str,
    description: impl Into<String>,
) -> Option<Fix> {
    let text = source_text(project, value)?;
    let quote = text.chars().next().filter(|c| *c == '"' || *c == '\'');
    let replacement = match quote {
        Some(q) => format!("{q}{new}{q}"),
        None => new.to_string(),
    };
    Some(Fix {
        description: description.into(),
        span: value,
        replacement,
    })
}

/// A fix inserting `key: value` as a sibling key on the line before the key whose value is at
/// `sibling_value` (e.g. `start_period:` before `start_interval:`), with the same indentation.
pub fn insert_sibling_key(
    project: &Project,
    sibling_value: Span,
    key_value: &str,
    description: impl Into<String>,
) -> Option<Fix> {
    if !in_compose_file(project, sibling_value) {
        return None;
    }
    let file = file_text(project, sibling_value)?;
    let value_at = sibling_value.start as usize;
    let line_start = file.get(..value_at)?.rfind('\n').map_or(0, |p| p + 1);
    let line = file.get(line_start..value_at)?;
    let indent = line.len() - line.trim_start_matches(' ').len();
    let key = line.get(indent..)?;
    // Only a plain `key:` line; a flow mapping or a list item needs a human.
    let colon = key.find(':')?;
    if colon == 0
        || !key[colon + 1..].trim().is_empty()
        || !key[..colon]
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return None;
    }
    let at = line_start + indent;
    Some(Fix {
        description: description.into(),
        span: project.sources.span(sibling_value.file, at, at),
        replacement: format!("{key_value}\n{}", " ".repeat(indent)),
    })
}

/// A duration the way compose and Dockerfiles write it: `1m30s`, `500ms`.
pub fn fmt_duration(d: Duration) -> String {
    let ms = d.as_millis();
    if ms == 0 {
        return "0s".into();
    }
    if !ms.is_multiple_of(1000) {
        return format!("{ms}ms");
    }
    let mut s = (ms / 1000) as u64;
    let mut out = String::new();
    for (unit, len) in [("h", 3600), ("m", 60)] {
        if s >= len {
            out.push_str(&format!("{}{unit}", s / len));
            s %= len;
        }
    }
    if s > 0 {
        out.push_str(&format!("{s}s"));
    }
    out
}

/// True when the service certainly runs without a health check: none in compose, none in a
/// Dockerfile we read, and no image whose own HEALTHCHECK we cannot see. Official library
/// images (`postgres`, `redis`...) ship none, so they count as known.
pub fn known_without_check(service: &Service) -> bool {
    let hc = &service.healthcheck;
    if hc.test.is_some() || hc.disabled {
        return false;
    }
    if service.dockerfile.is_some() {
        return true;
    }
    // A build whose Dockerfile we could not read may well define a HEALTHCHECK.
    if service.build.is_some() {
        return false;
    }
    match service.image.as_ref() {
        Some(image) => is_official_image(image),
        None => hc.origin == crate::model::Origin::None,
    }
}

/// Docker Official Images: no registry host and no namespace, or the `library/` one.
pub fn is_official_image(image: &str) -> bool {
    let path = image.split(['@']).next().unwrap_or(image);
    let path = path
        .strip_prefix("docker.io/")
        .or_else(|| path.strip_prefix("index.docker.io/"))
        .unwrap_or(path);
    let path = path.strip_prefix("library/").unwrap_or(path);
    !path.contains('/') && !path.contains('$')
}

/// "a WebSocket client", "a database"...
pub fn kind_phrase(kind: ServiceKind) -> &'static str {
    match kind {
        ServiceKind::HttpServer => "an HTTP server",
        ServiceKind::WsServer => "a WebSocket server",
        ServiceKind::WsClient => "a WebSocket client",
        ServiceKind::GrpcServer => "a gRPC server",
        ServiceKind::TcpServer => "a TCP server",
        ServiceKind::Database => "a database",
        ServiceKind::Broker => "a message broker",
        ServiceKind::Worker => "a background worker",
        ServiceKind::Cron => "a scheduled job runner",
        ServiceKind::Oneshot => "a one-shot job",
        ServiceKind::Unknown => "a service of unknown kind",
    }
}

/// Labels at the strongest evidence for the inferred kind, so the reader sees why.
pub fn kind_labels(kind: &KindInfo, max: usize) -> Vec<Label> {
    let mut ev: Vec<_> = kind
        .evidence
        .iter()
        .filter(|e| e.supports == kind.kind && e.span.is_some_and(|s| !s.is_dummy()))
        .collect();
    ev.sort_by(|a, b| b.weight.total_cmp(&a.weight));
    ev.into_iter()
        .take(max)
        .filter_map(|e| {
            Some(Label {
                span: e.span?,
                message: format!(
                    "{} `{}` makes it {}",
                    e.signal,
                    e.value,
                    kind_phrase(kind.kind)
                ),
            })
        })
        .collect()
}

/// The image the service runs on: the base image of the Dockerfile it builds (its `image:`
/// then only names the result), else its `image:`.
pub fn image(service: &Service) -> Option<&str> {
    service
        .dockerfile
        .as_ref()
        .and_then(|d| d.base_image.as_ref())
        .map(|i| i.value.as_str())
        .or_else(|| service.image.as_ref().map(|i| i.value.as_str()))
}

/// The repository's last path component without tag or digest: `bitnami/postgresql:16` →
/// `postgresql`.
pub fn image_repo(image: &str) -> &str {
    let no_digest = image.split('@').next().unwrap_or(image);
    let last = no_digest.rsplit('/').next().unwrap_or(no_digest);
    last.split(':').next().unwrap_or(last)
}

/// The image's tag, if written.
pub fn image_tag(image: &str) -> Option<&str> {
    let no_digest = image.split('@').next().unwrap_or(image);
    let last = no_digest.rsplit('/').next().unwrap_or(no_digest);
    last.split_once(':').map(|(_, t)| t)
}

/// The program name without its directory: `/usr/bin/curl` → `curl`.
pub fn tool(step: &ProbeStep) -> &str {
    step.tool.rsplit('/').next().unwrap_or(&step.tool)
}

/// Steps that open a connection to something.
pub fn is_network(kind: ProbeKind) -> bool {
    matches!(
        kind,
        ProbeKind::Http | ProbeKind::Ws | ProbeKind::Tcp | ProbeKind::Grpc | ProbeKind::DbNative
    )
}

/// Network steps aimed at the container itself, with the port they connect to.
pub fn local_network_steps(probe: &Probe) -> impl Iterator<Item = (&ProbeStep, Option<u16>)> {
    probe.steps.iter().filter_map(|s| {
        let t = s.target.as_ref()?;
        (is_network(s.kind) && t.is_local()).then(|| (s, t.effective_port()))
    })
}

/// Well-known ports of protocols that are not HTTP, for telling an HTTP probe it knocks on
/// the wrong door.
pub fn non_http_protocol(port: u16) -> Option<&'static str> {
    Some(match port {
        22 => "SSH",
        25 | 587 => "SMTP",
        53 => "DNS",
        1433 => "the SQL Server protocol",
        1521 => "the Oracle protocol",
        1883 | 8883 => "MQTT",
        2181 => "the ZooKeeper protocol",
        3306 => "the MySQL protocol",
        4222 => "the NATS protocol",
        5432 => "the PostgreSQL protocol",
        5672 | 5671 => "AMQP",
        6379 => "the Redis protocol",
        9042 => "the Cassandra protocol",
        9092 => "the Kafka protocol",
        11211 => "the memcached protocol",
        27017 => "the MongoDB protocol",
        50051 => "gRPC",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::span::span_of;

    #[test]
    fn durations_print_like_compose() {
        assert_eq!(fmt_duration(Duration::from_secs(90)), "1m30s");
        assert_eq!(fmt_duration(Duration::from_millis(500)), "500ms");
        assert_eq!(fmt_duration(Duration::from_secs(3600)), "1h");
        assert_eq!(fmt_duration(Duration::ZERO), "0s");
    }

    fn project_of(text: &str) -> Project {
        let mut p = Project::default();
        let f = p.sources.add("compose.yml", text);
        p.compose_files.push(f);
        p
    }

    #[test]
    fn replace_once_refuses_ambiguous_text() {
        let text = "test: curl http://localhost:80/ && curl http://localhost:80/x\n";
        let p = project_of(text);
        let all = span_of(0, text, 6, text.len() - 1);
        assert!(replace_once(&p, all, ":80", ":8080", "x").is_none());
        let fix = replace_once(&p, all, "/x", "/y", "x").unwrap();
        assert_eq!(&text[fix.span.start as usize..fix.span.end as usize], "/x");
        assert!(replace_once(&p, Span::default(), "curl", "curl -f", "x").is_none());
    }

    #[test]
    fn sibling_keys_only_on_plain_key_lines() {
        let text = "    healthcheck:\n      start_interval: 2s\n    other: {start_interval: 2s}\n";
        let p = project_of(text);
        let at = text.find("2s").unwrap();
        let fix =
            insert_sibling_key(&p, span_of(0, text, at, at + 2), "start_period: 30s", "x").unwrap();
        assert_eq!(
            (fix.span.line, fix.span.col, fix.replacement.as_str()),
            (2, 7, "start_period: 30s\n      ")
        );
        let flow = text.rfind("2s").unwrap();
        assert!(
            insert_sibling_key(
                &p,
                span_of(0, text, flow, flow + 2),
                "start_period: 30s",
                "x"
            )
            .is_none()
        );
    }

    #[test]
    fn quoted_values_keep_their_quotes() {
        let text = "timeout: \"30s\"\n";
        let p = project_of(text);
        let fix = replace_value(&p, span_of(0, text, 9, 14), "5s", "x").unwrap();
        assert_eq!(fix.replacement, "\"5s\"");
    }

    #[test]
    fn built_images_are_judged_by_their_base() {
        let mut s = Service {
            image: Some(crate::span::Spanned::new(
                "acme/app:latest".into(),
                Span::default(),
            )),
            ..Default::default()
        };
        assert_eq!(image(&s), Some("acme/app:latest"));
        s.dockerfile = Some(crate::model::ImageFacts {
            base_image: Some(crate::span::Spanned::new(
                "python:3.12-alpine".into(),
                Span::default(),
            )),
            ..Default::default()
        });
        assert_eq!(image(&s), Some("python:3.12-alpine"));
    }

    #[test]
    fn official_images() {
        assert!(is_official_image("postgres:16"));
        assert!(is_official_image("docker.io/library/redis:7"));
        assert!(!is_official_image("bitnami/postgresql:16"));
        assert!(!is_official_image("ghcr.io/acme/db"));
    }

    #[test]
    fn image_parts() {
        assert_eq!(
            image_repo("docker.io/bitnami/postgresql:16@sha256:ab"),
            "postgresql"
        );
        assert_eq!(image_repo("postgres"), "postgres");
        assert_eq!(image_tag("node:22-alpine"), Some("22-alpine"));
        assert_eq!(image_tag("localhost:5000/app"), None);
    }
}
