//! Compares the port of each local network step (explicit or the scheme's default) with the
//! ports the service is known to serve; silent when none are known or the service listens on
//! nothing (HL101 covers that).

use super::helpers::{local_network_steps, replace_once, test_span};
use super::{Finding, Rule, ServiceCtx};

pub struct ProbePortNotServed;

impl Rule for ProbePortNotServed {
    fn id(&self) -> &'static str {
        "HL102"
    }

    fn check_service(&self, cx: &ServiceCtx<'_>, out: &mut Vec<Finding>) {
        let Some(probe) = cx.probe else { return };
        let served = &cx.kind.served_ports;
        if served.is_empty() || cx.kind.kind.listens() == Some(false) {
            return;
        }
        let name = &cx.service.name;
        for (step, port) in local_network_steps(probe) {
            let Some(port) = port else { continue };
            if served
                .iter()
                .any(|s| (s.port..=s.port_end.max(s.port)).contains(&port))
            {
                continue;
            }
            let mut list: Vec<String> = served
                .iter()
                .map(|s| {
                    if s.port_end > s.port {
                        format!("{}-{}", s.port, s.port_end)
                    } else {
                        s.port.to_string()
                    }
                })
                .collect();
            list.dedup();
            let span = test_span(cx.service);
            let explicit = step.target.as_ref().and_then(|t| t.port).is_some();
            let fix = match served.as_slice() {
                [only] if explicit && only.port_end <= only.port => replace_once(
                    cx.project,
                    span,
                    &format!(":{port}"),
                    &format!(":{}", only.port),
                    format!("probe port {}, the one `{name}` serves", only.port),
                ),
                _ => None,
            };
            let mut f = Finding::new(
                self.id(),
                span,
                format!(
                    "every probe fails with connection refused: the check connects to port {port} but `{name}` serves {}",
                    list.join(", ")
                ),
            )
            .with_service(name)
            .with_fix(fix);
            for s in served {
                f = f.with_label(s.span, format!("`{name}` serves {} ({})", s.port, s.source));
            }
            out.push(f);
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::infer::ServiceKind;
    use crate::rules::testing::*;

    const SRC: &str = "services:\n  web:\n    ports: [\"8080:8080\"]\n    healthcheck:\n      test: curl -f http://localhost:3000/health\n";

    #[test]
    fn fires_with_a_fix_when_port_is_not_served() {
        let src = Src::new(SRC);
        let b = svc("web")
            .kind(ServiceKind::HttpServer, 0.9)
            .served(8080, src.span("\"8080:8080\""))
            .test_shell(&src, "curl -f http://localhost:3000/health")
            .probe(probe(vec![http_step(
                "curl",
                "curl -f http://localhost:3000/health",
                Some(true),
            )]));
        let f = run_one(&ProbePortNotServed, &src, b);
        assert_eq!(f.len(), 1);
        assert_eq!(
            f[0].message,
            "every probe fails with connection refused: the check connects to port 3000 but `web` serves 8080"
        );
        let fix = f[0].fix.as_ref().unwrap();
        assert_eq!(fix.replacement, ":8080");
        assert_eq!(
            &SRC[fix.span.start as usize..fix.span.end as usize],
            ":3000"
        );
        assert_eq!(f[0].labels[0].span.line, 3);
    }

    #[test]
    fn silent_when_port_is_served_or_unknown() {
        let src = Src::new(SRC);
        let b = svc("web")
            .served(3000, src.span("\"8080:8080\""))
            .test_shell(&src, "curl -f http://localhost:3000/health")
            .probe(probe(vec![http_step(
                "curl",
                "curl -f http://localhost:3000/health",
                Some(true),
            )]));
        assert!(run_one(&ProbePortNotServed, &src, b).is_empty());
        let b = svc("web")
            .test_shell(&src, "curl -f http://localhost:3000/health")
            .probe(probe(vec![http_step(
                "curl",
                "curl -f http://localhost:3000/health",
                Some(true),
            )]));
        assert!(run_one(&ProbePortNotServed, &src, b).is_empty());
    }

    #[test]
    fn scheme_default_port_counts() {
        let src = Src::new("services:\n  web:\n    test: curl -f http://localhost/health\n");
        let b = svc("web")
            .served(80, src.span("web"))
            .test_shell(&src, "curl -f http://localhost/health")
            .probe(probe(vec![http_step(
                "curl",
                "curl -f http://localhost/health",
                Some(true),
            )]));
        assert!(run_one(&ProbePortNotServed, &src, b).is_empty());
    }
}
