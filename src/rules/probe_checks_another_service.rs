//! Fires when a probe step's target host is the name of another service of the project.

use super::helpers::{is_network, test_span};
use super::{Finding, Rule, ServiceCtx};

pub struct ProbeChecksAnotherService;

impl Rule for ProbeChecksAnotherService {
    fn id(&self) -> &'static str {
        "HL104"
    }

    fn check_service(&self, cx: &ServiceCtx<'_>, out: &mut Vec<Finding>) {
        let Some(probe) = cx.probe else { return };
        let name = &cx.service.name;
        for step in &probe.steps {
            let Some(target) = step.target.as_ref().filter(|_| is_network(step.kind)) else {
                continue;
            };
            if target.host == *name {
                continue;
            }
            let Some(other) = cx.project.service(&target.host) else {
                continue;
            };
            let at = target
                .port
                .map_or(target.host.clone(), |p| format!("{}:{p}", target.host));
            out.push(
                Finding::new(
                    self.id(),
                    test_span(cx.service),
                    format!(
                        "the check probes `{at}` instead of this container, so `{name}` is marked unhealthy whenever `{}` is down and healthy while `{name}` itself is broken",
                        other.name
                    ),
                )
                .with_service(name)
                .with_label(Some(other.span), format!("`{}` is another service", other.name)),
            );
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::*;

    const SRC: &str =
        "services:\n  web:\n    test: curl -f http://api:8080/health\n  api:\n    image: api\n";

    fn fx(url: &str) -> Fixture {
        let src = Src::new(&SRC.replace("http://api:8080/health", url));
        let cmd = format!("curl -f {url}");
        let web = svc("web")
            .test_shell(&src, &cmd)
            .probe(probe(vec![http_step("curl", &cmd, Some(true))]));
        let mut api = svc("api");
        api.service.span = src.span("api:\n");
        project(&src, vec![web, api])
    }

    #[test]
    fn fires_on_a_peer_host() {
        let f = run(&ProbeChecksAnotherService, &fx("http://api:8080/health"));
        assert_eq!(f.len(), 1);
        assert!(
            f[0].message.starts_with("the check probes `api:8080`"),
            "{}",
            f[0].message
        );
        assert_eq!(f[0].labels[0].span.line, 4);
    }

    #[test]
    fn silent_on_localhost_and_own_name() {
        assert!(
            run(
                &ProbeChecksAnotherService,
                &fx("http://localhost:8080/health")
            )
            .is_empty()
        );
        assert!(run(&ProbeChecksAnotherService, &fx("http://web:8080/health")).is_empty());
    }
}
