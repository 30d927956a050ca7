//! Fires on each host-interpolated `$NAME` in a compose test that is unset at lint time or
//! set in the service's own `environment` (the author meant the container's value).

use super::{Finding, Fix, Rule, ServiceCtx};

pub struct UnescapedDollarInComposeTest;

impl Rule for UnescapedDollarInComposeTest {
    fn id(&self) -> &'static str {
        "HL209"
    }

    fn check_service(&self, cx: &ServiceCtx<'_>, out: &mut Vec<Finding>) {
        let Some(test) = &cx.service.healthcheck.test else {
            return;
        };
        let name = &cx.service.name;
        for var in &test.host_vars {
            let own = cx.service.env(&var.name);
            let message = match (var.set, own) {
                (_, Some(_)) => format!(
                    "compose substitutes `{}` from the host when it loads the file, not from `{name}`'s environment, so the check runs with the host's value",
                    var.name
                ),
                (false, None) => format!(
                    "compose substitutes `{}` from the host, where it is unset, so the check runs with an empty string",
                    var.name
                ),
                (true, None) => continue,
            };
            let span = if var.span.is_dummy() {
                test.span
            } else {
                var.span
            };
            let fix = (!var.span.is_dummy()).then(|| Fix {
                description: format!("write `$${}` so the container's shell expands it", var.name),
                span: crate::span::Span {
                    end: var.span.start,
                    ..var.span
                },
                replacement: "$".into(),
            });
            out.push(
                Finding::new(self.id(), span, message)
                    .with_service(name)
                    .with_label(
                        own.map(|e| e.span),
                        format!("`{}` is set for the container here", var.name),
                    )
                    .with_fix(fix),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::HostVar;
    use crate::rules::testing::*;

    const SRC: &str = "services:\n  db:\n    environment:\n      POSTGRES_USER: app\n    healthcheck:\n      test: pg_isready -U $POSTGRES_USER -d $DB\n";

    fn db(set: bool) -> Vec<crate::rules::Finding> {
        let src = Src::new(SRC);
        let mut b = svc("db")
            .env("POSTGRES_USER", "app", src.span("POSTGRES_USER"))
            .test_shell(&src, "pg_isready -U $POSTGRES_USER -d $DB");
        let t = b.service.healthcheck.test.as_mut().unwrap();
        t.host_vars = vec![
            HostVar {
                name: "POSTGRES_USER".into(),
                set,
                span: src.span("$POSTGRES_USER"),
            },
            HostVar {
                name: "DB".into(),
                set,
                span: src.span("$DB"),
            },
        ];
        run_one(&UnescapedDollarInComposeTest, &src, b)
    }

    #[test]
    fn fires_on_own_env_and_unset_vars() {
        let f = db(false);
        assert_eq!(f.len(), 2);
        assert_eq!((f[0].span.line, f[0].span.col), (6, 27));
        assert!(f[0].message.contains("not from `db`'s environment"));
        assert_eq!(f[0].labels[0].span.line, 4);
        assert!(f[1].message.contains("where it is unset"));
        let fix = f[1].fix.as_ref().unwrap();
        assert_eq!(
            (fix.span.start, fix.span.end, fix.replacement.as_str()),
            (f[1].span.start, f[1].span.start, "$")
        );
    }

    #[test]
    fn silent_on_host_vars_meant_for_the_host() {
        let f = db(true);
        assert_eq!(f.len(), 1, "only the one shadowing the container env");
    }
}
