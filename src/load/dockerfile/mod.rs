//! Dockerfiles: the reference grammar ([`parse`]) and what the effective stage tells about the
//! image ([`facts`]). A compose `build:` brings its Dockerfile in through
//! [`image_facts_from_text`]; a Dockerfile named on the command line becomes a project of one
//! service through [`load_dockerfile`].

pub mod facts;
pub mod packages;
pub mod parse;

use std::path::Path;

use crate::model::{Build, HealthCheck, ImageFacts, Origin, Project, Service};
use crate::span::{FileId, Sources, Span};

use super::{LoadError, LoadOptions, LoadResult};

/// What the Dockerfile `file` (already in `sources`) tells about the image built from stage
/// `target` (the last stage when `None`), with `build_args` overriding ARG defaults. A file
/// `docker build` would reject is a load error pointing at the instruction.
pub fn image_facts_from_text(
    sources: &Sources,
    file: FileId,
    target: Option<&str>,
    build_args: &[(String, Option<String>)],
) -> LoadResult<ImageFacts> {
    let text = sources.get(file).text.clone();
    let parsed = parse::parse(&text).map_err(|e| {
        let end = text[e.offset..]
            .find('\n')
            .map_or(text.len(), |n| e.offset + n);
        located(sources, sources.span(file, e.offset, end), e.message)
    })?;
    facts::image_facts(&parsed, sources, file, target, build_args)
        .map_err(|e| located(sources, e.span, e.message))
}

fn located(sources: &Sources, span: Span, message: String) -> Box<LoadError> {
    super::compose::error_at(sources, span, message)
}

/// Loads a Dockerfile named on the command line as a project of one service, named after the
/// file, whose check is the image's own.
pub fn load_dockerfile(path: &Path, opts: &LoadOptions) -> LoadResult<Project> {
    let abs = if path.is_absolute() {
        path.to_path_buf()
    } else {
        opts.cwd.join(path)
    };
    let text = super::read_source(&abs)?;
    let mut sources = Sources::new();
    let id = sources.add(path.to_path_buf(), text);
    let facts = image_facts_from_text(&sources, id, None, &[])?;
    let name = path.file_name().map_or_else(
        || "Dockerfile".to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let healthcheck = match &facts.healthcheck {
        Some(h) => h.clone(),
        None => HealthCheck {
            origin: Origin::None,
            ..Default::default()
        },
    };
    let span = facts
        .base_image
        .as_ref()
        .map_or_else(|| sources.span(id, 0, 0), |b| b.span);
    let service = Service {
        name,
        span,
        file: id,
        build: Some(Build {
            context: abs.parent().map(Path::to_path_buf),
            dockerfile: abs.file_name().map(Into::into),
            span,
            ..Default::default()
        }),
        active: true,
        healthcheck,
        dockerfile: Some(facts),
        ..Default::default()
    };
    let mut project = Project {
        name: opts.project_name.clone().unwrap_or_default(),
        dir: abs.parent().map(Path::to_path_buf).unwrap_or_default(),
        services: vec![service],
        sources,
        ..Default::default()
    };
    project.index_services();
    Ok(project)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{CommandForm, IneffectiveReason, TestForm};

    fn facts(text: &str, target: Option<&str>) -> LoadResult<ImageFacts> {
        let mut sources = Sources::new();
        let id = sources.add("Dockerfile", text.to_string());
        image_facts_from_text(&sources, id, target, &[])
    }

    #[test]
    fn final_stage_check_and_ineffective_ones() {
        let f = facts(
            "FROM golang:1.23 AS build\nHEALTHCHECK CMD [\"/x\"]\nRUN go build\n\
             FROM alpine:3.20\nHEALTHCHECK CMD true\nHEALTHCHECK --interval=5s CMD wget -qO- localhost:8080/health\n\
             COPY --from=build /x /x\n",
            None,
        )
        .unwrap();
        let hc = f.healthcheck.unwrap();
        assert!(
            matches!(&hc.test.unwrap().form, TestForm::CmdShell(s) if s.value == "wget -qO- localhost:8080/health")
        );
        assert_eq!(hc.interval.unwrap().value.as_secs(), 5);
        let why: Vec<_> = f
            .ineffective_healthchecks
            .iter()
            .map(|(s, w)| (s.line, *w))
            .collect();
        assert_eq!(
            why,
            vec![
                (2, IneffectiveReason::NonFinalStage),
                (5, IneffectiveReason::Overridden)
            ]
        );
        assert_eq!(f.base_image.unwrap().value, "alpine:3.20");
    }

    #[test]
    fn stage_inheritance_and_target() {
        let text = "ARG BASE=node:22-slim\nFROM ${BASE} AS base\nRUN apt-get update && apt-get install -y curl\nEXPOSE 3000\n\
                    HEALTHCHECK CMD curl -f localhost:3000\nFROM base AS app\nCMD [\"node\", \"app.js\"]\nFROM nginx AS web\n";
        let app = facts(text, Some("app")).unwrap();
        assert_eq!(app.base_image.as_ref().unwrap().value, "node:22-slim");
        assert_eq!(app.installed_packages[0].value, "curl");
        assert_eq!(app.expose[0].port, 3000);
        assert!(app.healthcheck.is_some());
        assert!(matches!(&app.cmd.as_ref().unwrap().form, CommandForm::Exec(v) if v[0] == "node"));
        let web = facts(text, None).unwrap();
        assert!(web.healthcheck.is_none());
        // A FROM picks its base by build argument: which stage runs is not certain without a
        // target, so the check in `base` is not called dead.
        assert!(web.ineffective_healthchecks.is_empty());
        let web = facts(text, Some("web")).unwrap();
        assert_eq!(web.ineffective_healthchecks.len(), 1);
        assert!(facts(text, Some("nope")).is_err());
    }

    #[test]
    fn a_leaf_stage_may_be_a_target() {
        // `prod` is built with --target; nothing builds on it, so its check is not dead.
        let f = facts(
            "FROM alpine AS prod\nHEALTHCHECK CMD true\nFROM alpine AS dev\nCMD sh\n",
            None,
        )
        .unwrap();
        assert!(f.ineffective_healthchecks.is_empty());
    }

    #[test]
    fn bulk_copies_make_absence_unknown() {
        let f = facts(
            "FROM debian AS deps\nFROM python:3.12-slim\nCOPY --from=deps /install/usr /usr\n",
            None,
        )
        .unwrap();
        assert!(f.bulk_copy);
        let f = facts(
            "FROM a AS b\nFROM python:3.12-slim\nCOPY --from=b /bin/grpc_health_probe /bin/\n",
            None,
        )
        .unwrap();
        assert!(!f.bulk_copy);
    }

    #[test]
    fn build_args_override_arg_defaults() {
        let mut sources = Sources::new();
        let id = sources.add(
            "Dockerfile",
            "ARG BASE=alpine:3.20\nFROM ${BASE}\nARG PORT=8080\nEXPOSE ${PORT}\n".to_string(),
        );
        let args = [
            ("BASE".to_string(), Some("debian:12-slim".to_string())),
            ("PORT".to_string(), Some("9000".to_string())),
        ];
        let f = image_facts_from_text(&sources, id, None, &args).unwrap();
        assert_eq!(f.base_image.unwrap().value, "debian:12-slim");
        assert_eq!(f.expose[0].port, 9000);
        // An arg without a value (taken from the host at build time) keeps the default.
        let f = image_facts_from_text(&sources, id, None, &[("BASE".into(), None)]).unwrap();
        assert_eq!(f.base_image.unwrap().value, "alpine:3.20");
    }

    #[test]
    fn healthcheck_errors_are_located() {
        let e = facts("FROM a\nHEALTHCHECK --bogus=1 CMD true\n", None).unwrap_err();
        assert!(e.message.contains("Dockerfile:2:1"), "{}", e.message);
        assert!(facts("FROM a\nHEALTHCHECK CMD\n", None).is_err());
        assert!(facts("FROM a\nHEALTHCHECK CONNECT tcp\n", None).is_err());
        let none = facts("FROM a\nHEALTHCHECK NONE\n", None).unwrap();
        assert!(none.healthcheck.unwrap().disabled);
    }

    #[test]
    fn bad_duration_is_kept_for_the_rule() {
        let f = facts("FROM a\nHEALTHCHECK --interval=1d CMD true\n", None).unwrap();
        let hc = f.healthcheck.unwrap();
        assert_eq!(hc.invalid_durations[0].1.value, "1d");
        assert_eq!(hc.invalid_durations[0].1.span.col, 13);
    }

    #[test]
    fn copies_land_where_they_say() {
        let f = facts(
            "FROM a AS b\nFROM scratch\nWORKDIR /app\nCOPY --from=b /bin/grpc_health_probe /bin/\nCOPY x y ./\n",
            None,
        )
        .unwrap();
        let paths: Vec<_> = f.copied_paths.iter().map(|p| p.value.as_str()).collect();
        assert_eq!(paths, vec!["/bin/grpc_health_probe", "/app/x", "/app/y"]);
    }
}
