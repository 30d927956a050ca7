//! Rule metadata, read from `rules/rules.toml` (embedded at build time, parsed on first use so
//! `--version` pays nothing for it).

use std::sync::OnceLock;

use serde::Deserialize;

use super::Severity;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleMeta {
    pub id: String,
    pub name: String,
    pub severity: Severity,
    /// When the rule fires, one sentence.
    pub summary: String,
    /// Why it matters: what happens at run time.
    pub rationale: String,
    /// A check that fires the rule, and the same check fixed.
    pub bad: String,
    pub good: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    rule: Vec<RuleMeta>,
}

/// Every rule of the catalog, in catalog order.
pub fn all() -> &'static [RuleMeta] {
    static ALL: OnceLock<Vec<RuleMeta>> = OnceLock::new();
    ALL.get_or_init(|| {
        toml::from_str::<File>(include_str!("../../rules/rules.toml"))
            .expect("rules/rules.toml is checked by the test suite")
            .rule
    })
}

pub fn get(id: &str) -> Option<&'static RuleMeta> {
    all().iter().find(|r| r.id == id)
}

#[cfg(test)]
mod tests {
    #[test]
    fn metadata_parses_and_ids_are_unique() {
        let all = super::all();
        assert!(all.len() >= 30, "{} rules", all.len());
        let mut ids: Vec<_> = all.iter().map(|r| r.id.as_str()).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), all.len());
        assert_eq!(
            super::get("HL101").unwrap().name,
            "http-probe-on-non-http-service"
        );
    }
}
