//! Rule documentation rendered from `rules/rules.toml`: the pages under `docs/rules/`, the
//! `healthlint explain` text and the `healthlint rules` table all come from here, so they
//! cannot drift from each other.

use std::fmt::Write as _;

use super::meta::{self, RuleMeta};

/// The Markdown page of one rule (`docs/rules/<ID>.md`, `healthlint explain <ID>`).
pub fn render_rule_page(m: &RuleMeta) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# {}: {}\n", m.id, m.name);
    let _ = writeln!(s, "Default severity: **{}**\n", m.severity.as_str());
    let _ = writeln!(s, "Fires when {}.\n", m.summary.trim_end_matches('.'));
    if !m.rationale.trim().is_empty() {
        let _ = writeln!(s, "## Why it matters\n\n{}\n", m.rationale.trim());
    }
    if !m.bad.trim().is_empty() {
        let _ = writeln!(s, "## Example\n\n```yaml\n{}\n```\n", m.bad.trim_end());
    }
    if !m.good.trim().is_empty() {
        let _ = writeln!(s, "Use instead:\n\n```yaml\n{}\n```\n", m.good.trim_end());
    }
    let _ = writeln!(
        s,
        "## Suppressing\n\nAdd the label `healthlint.ignore: \"{id}\"` to the service, or the comment \
         `# healthlint-ignore {id}` on the line above the check.",
        id = m.id
    );
    s
}

/// `docs/rules/README.md`: the index of every rule.
pub fn render_index() -> String {
    let mut s = String::from(
        "# healthlint rules\n\nGenerated from `rules/rules.toml`; do not edit by hand \
         (`HEALTHLINT_BLESS=1 cargo test` rewrites these pages).\n\n\
         | id | name | severity | fires when |\n|---|---|---|---|\n",
    );
    for m in meta::all() {
        let _ = writeln!(
            s,
            "| [{id}]({id}.md) | {} | {} | {} |",
            m.name,
            m.severity.as_str(),
            m.summary.replace('|', "\\|"),
            id = m.id
        );
    }
    s
}

/// The `healthlint rules` listing: one aligned line per rule.
pub fn render_table() -> String {
    let all = meta::all();
    let width = all.iter().map(|m| m.name.len()).max().unwrap_or(0);
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{:<6} {:<width$} {:<8} SUMMARY",
        "ID", "NAME", "SEVERITY"
    );
    for m in all {
        let _ = writeln!(
            s,
            "{:<6} {:<width$} {:<8} {}",
            m.id,
            m.name,
            m.severity.as_str(),
            m.summary
        );
    }
    s
}

/// The page of a rule by id, case-insensitively.
pub fn explain(id: &str) -> Option<String> {
    meta::all()
        .iter()
        .find(|m| m.id.eq_ignore_ascii_case(id.trim()))
        .map(render_rule_page)
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    fn docs_dir() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/rules")
    }

    /// Fails on a stale or missing page; `HEALTHLINT_BLESS=1` rewrites them instead.
    #[test]
    fn rule_pages_are_current() {
        let bless = std::env::var("HEALTHLINT_BLESS").as_deref() == Ok("1");
        let dir = docs_dir();
        let mut expected: Vec<(PathBuf, String)> = meta::all()
            .iter()
            .map(|m| (dir.join(format!("{}.md", m.id)), render_rule_page(m)))
            .collect();
        expected.push((dir.join("README.md"), render_index()));
        let mut stale = Vec::new();
        for (path, text) in &expected {
            if std::fs::read_to_string(path).ok().as_deref() == Some(text.as_str()) {
                continue;
            }
            if bless {
                std::fs::create_dir_all(&dir).unwrap();
                std::fs::write(path, text).unwrap();
            } else {
                stale.push(path.display().to_string());
            }
        }
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if !expected.iter().any(|(p, _)| *p == path) {
                if bless {
                    std::fs::remove_file(&path).unwrap();
                } else {
                    stale.push(format!("{} (no such rule)", path.display()));
                }
            }
        }
        assert!(
            stale.is_empty(),
            "stale rule docs, run `HEALTHLINT_BLESS=1 cargo test --lib rules::docs`: {stale:?}"
        );
    }

    #[test]
    fn explain_is_case_insensitive() {
        let page = explain("hl202").unwrap();
        assert!(page.starts_with("# HL202: curl-without-fail\n"));
        assert!(explain("HL999").is_none());
    }

    #[test]
    fn table_lists_every_rule() {
        let t = render_table();
        assert_eq!(t.lines().count(), meta::all().len() + 1);
        assert!(
            t.lines()
                .any(|l| l.starts_with("HL101  http-probe-on-non-http-service"))
        );
    }

    #[test]
    fn every_rule_is_documented() {
        for m in meta::all() {
            assert!(!m.rationale.trim().is_empty(), "{} has no rationale", m.id);
            assert!(!m.bad.trim().is_empty(), "{} has no bad example", m.id);
            assert!(!m.good.trim().is_empty(), "{} has no good example", m.id);
        }
    }

    /// The examples are compose files a reader can paste: YAML with a `services` mapping.
    #[test]
    fn examples_are_compose_snippets() {
        for m in meta::all() {
            for (which, text) in [("bad", &m.bad), ("good", &m.good)] {
                let doc: serde_json::Value = serde_saphyr::from_str(text)
                    .unwrap_or_else(|e| panic!("{} {which} example is not YAML: {e}", m.id));
                let services = doc.get("services").and_then(|s| s.as_object());
                assert!(
                    services.is_some_and(|s| !s.is_empty()),
                    "{} {which} example has no services",
                    m.id
                );
            }
        }
    }
}
