//! Fires when a probe targets `localhost` on a musl/BusyBox image (alpine, busybox), where
//! `localhost` resolves to `::1` first, while the command binds the port on IPv4 `0.0.0.0`
//! only. Stays silent unless both facts are known.

use std::sync::OnceLock;

use regex::Regex;

use crate::model::Service;

use super::helpers::{image, image_repo, image_tag, local_network_steps, replace_once, test_span};
use super::{Finding, Rule, ServiceCtx};

pub struct LocalhostMayResolveToIpv6;

fn bind_flag() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(
            r"(?:^|\s)(?:--host|--bind|--listen|--address|--addr|-b|-H)(?:=|\s+)(?:tcp://)?0\.0\.0\.0(?::(\d+))?(?:\s|$)",
        )
        .expect("static regex")
    })
}

/// The IPv4 wildcard bind the service's command asks for, with its port when written.
fn ipv4_bind(service: &Service) -> Option<Option<u16>> {
    let commands = [
        service.entrypoint.as_ref(),
        service.command.as_ref(),
        service
            .dockerfile
            .as_ref()
            .and_then(|d| d.entrypoint.as_ref()),
        service.dockerfile.as_ref().and_then(|d| d.cmd.as_ref()),
    ];
    for c in commands.into_iter().flatten() {
        if let Some(m) = bind_flag().captures(&c.text()) {
            return Some(m.get(1).and_then(|p| p.as_str().parse().ok()));
        }
    }
    None
}

fn musl_image(image: &str) -> bool {
    let repo = image_repo(image).to_ascii_lowercase();
    repo == "alpine"
        || repo == "busybox"
        || image_tag(image).is_some_and(|t| t.to_ascii_lowercase().contains("alpine"))
}

impl Rule for LocalhostMayResolveToIpv6 {
    fn id(&self) -> &'static str {
        "HL205"
    }

    fn check_service(&self, cx: &ServiceCtx<'_>, out: &mut Vec<Finding>) {
        let Some(probe) = cx.probe else { return };
        let Some(img) = image(cx.service).filter(|i| musl_image(i)) else {
            return;
        };
        let Some(bound) = ipv4_bind(cx.service) else {
            return;
        };
        for (step, port) in local_network_steps(probe) {
            let on_localhost = step.target.as_ref().is_some_and(|t| t.host == "localhost");
            if !on_localhost || bound.is_some_and(|b| Some(b) != port) {
                continue;
            }
            let span = test_span(cx.service);
            let name = &cx.service.name;
            let fix = replace_once(
                cx.project,
                span,
                "localhost",
                "127.0.0.1",
                "probe 127.0.0.1, the address the service binds",
            );
            out.push(
                Finding::new(
                    self.id(),
                    span,
                    format!(
                        "on `{img}` `localhost` resolves to ::1 first while `{name}` binds only IPv4 0.0.0.0, so the probe can fail with connection refused while the service works"
                    ),
                )
                .with_service(name)
                .with_fix(fix),
            );
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::*;

    const SRC: &str = "services:\n  web:\n    test: wget -qO- http://localhost:8000/health\n";

    fn web(image: &str, command: &str, url_host: &str) -> SvcBuilder {
        let src = Src::new(SRC);
        let cmd = format!("wget -qO- http://{url_host}:8000/health");
        svc("web")
            .image(image)
            .command(command)
            .test_shell(&src, "wget -qO- http://localhost:8000/health")
            .probe(probe(vec![http_step("wget", &cmd, Some(true))]))
    }

    #[test]
    fn fires_on_alpine_with_ipv4_bind() {
        let src = Src::new(SRC);
        let f = run_one(
            &LocalhostMayResolveToIpv6,
            &src,
            web(
                "python:3.12-alpine",
                "uvicorn app:app --host 0.0.0.0 --port 8000",
                "localhost",
            ),
        );
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].fix.as_ref().unwrap().replacement, "127.0.0.1");
    }

    #[test]
    fn silent_without_both_facts() {
        let src = Src::new(SRC);
        assert!(
            run_one(
                &LocalhostMayResolveToIpv6,
                &src,
                web("python:3.12", "uvicorn app:app --host 0.0.0.0", "localhost")
            )
            .is_empty()
        );
        assert!(
            run_one(
                &LocalhostMayResolveToIpv6,
                &src,
                web("python:3.12-alpine", "uvicorn app:app", "localhost")
            )
            .is_empty()
        );
        assert!(
            run_one(
                &LocalhostMayResolveToIpv6,
                &src,
                web(
                    "python:3.12-alpine",
                    "uvicorn app:app --host 0.0.0.0",
                    "127.0.0.1"
                )
            )
            .is_empty()
        );
        assert!(
            run_one(
                &LocalhostMayResolveToIpv6,
                &src,
                web("busybox", "httpd -f -b 0.0.0.0:9000", "localhost")
            )
            .is_empty()
        );
    }
}
