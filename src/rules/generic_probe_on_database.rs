//! Fires when an assertive database or broker whose image has a known native readiness tool
//! is checked by a bare TCP connect and no native step.

use crate::infer::ServiceKind;
use crate::probe::ProbeKind;

use super::helpers::{image, image_repo, test_span};
use super::{Finding, Rule, ServiceCtx};

pub struct GenericProbeOnDatabase;

/// The readiness command each image family ships.
fn native_tool(repo: &str) -> Option<&'static str> {
    let r = repo.to_ascii_lowercase();
    Some(match r.as_str() {
        "postgres" | "postgresql" | "postgis" | "timescaledb" => "pg_isready",
        "mysql" | "percona-server" => "mysqladmin ping",
        "mariadb" => "healthcheck.sh --connect --innodb_initialized",
        "redis" | "redis-stack-server" => "redis-cli ping",
        "valkey" => "valkey-cli ping",
        "mongo" | "mongodb" => "mongosh --eval 'db.adminCommand(\"ping\")'",
        "rabbitmq" => "rabbitmq-diagnostics -q ping",
        "cassandra" => "cqlsh -e 'describe keyspaces'",
        "kafka" | "cp-kafka" => "kafka-broker-api-versions",
        _ => return None,
    })
}

impl Rule for GenericProbeOnDatabase {
    fn id(&self) -> &'static str {
        "HL107"
    }

    fn check_service(&self, cx: &ServiceCtx<'_>, out: &mut Vec<Finding>) {
        let Some(probe) = cx.probe else { return };
        if !cx.kind.is_assertive()
            || !matches!(cx.kind.kind, ServiceKind::Database | ServiceKind::Broker)
        {
            return;
        }
        let tcp = probe.steps.iter().any(|s| s.kind == ProbeKind::Tcp);
        let native = probe.steps.iter().any(|s| s.kind == ProbeKind::DbNative);
        if !tcp || native {
            return;
        }
        let Some(tool) = image(cx.service).and_then(|i| native_tool(image_repo(i))) else {
            return;
        };
        let name = &cx.service.name;
        out.push(
            Finding::new(
                self.id(),
                test_span(cx.service),
                format!(
                    "the port opens before `{name}` accepts queries, so the check passes during startup and recovery; `{tool}` checks real readiness"
                ),
            )
            .with_service(name),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::*;

    const SRC: &str = "services:\n  db:\n    image: postgres:16\n    healthcheck:\n      test: nc -z localhost 5432\n";

    fn db(image: &str, steps: Vec<crate::probe::ProbeStep>) -> SvcBuilder {
        let src = Src::new(SRC);
        svc("db")
            .image(image)
            .kind(ServiceKind::Database, 0.95)
            .test_shell(&src, "nc -z localhost 5432")
            .probe(probe(steps))
    }

    #[test]
    fn fires_on_nc_against_postgres() {
        let f = run_one(
            &GenericProbeOnDatabase,
            &Src::new(SRC),
            db(
                "postgres:16",
                vec![tcp_step("nc -z localhost 5432", "localhost", 5432)],
            ),
        );
        assert_eq!(f.len(), 1);
        assert!(f[0].message.ends_with("`pg_isready` checks real readiness"));
    }

    #[test]
    fn silent_with_native_tool_or_unknown_image() {
        let src = Src::new(SRC);
        assert!(
            run_one(
                &GenericProbeOnDatabase,
                &src,
                db("postgres:16", vec![step(ProbeKind::DbNative, "pg_isready")])
            )
            .is_empty()
        );
        assert!(
            run_one(
                &GenericProbeOnDatabase,
                &src,
                db(
                    "acme/customdb",
                    vec![tcp_step("nc -z localhost 5432", "localhost", 5432)]
                )
            )
            .is_empty()
        );
    }
}
