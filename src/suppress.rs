//! In-source suppressions: the label `healthlint.ignore: "HL101,HL202"` on a service (or
//! `LABEL` in its Dockerfile), and a `# healthlint-ignore HL101[,HL202]` comment directly above
//! the finding's line or above the service's `healthcheck:` key / `HEALTHCHECK` instruction.
//! `all` stands for every rule. Comments are read from the source text the loader kept.

use crate::model::{Project, Service};
use crate::pipeline::Analysis;
use crate::rules::Finding;
use crate::span::{FileId, Span};

pub const LABEL: &str = "healthlint.ignore";
pub const DIRECTIVE: &str = "healthlint-ignore";

/// Drops every finding a label or comment suppresses.
pub fn apply(analysis: &mut Analysis) {
    let project = &analysis.project;
    analysis.findings.retain(|f| !is_suppressed(project, f));
}

/// Rule ids in a suppression list (`HL101, hl202 all`), upper-cased; parsing stops at the
/// first word that is neither, so a trailing reason is allowed.
pub fn parse_ids(list: &str) -> Vec<String> {
    list.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|t| !t.is_empty())
        .map(str::to_ascii_uppercase)
        .take_while(|t| t == "ALL" || is_rule_id(t))
        .collect()
}

fn is_rule_id(t: &str) -> bool {
    t.len() > 2 && t.starts_with("HL") && t[2..].bytes().all(|b| b.is_ascii_alphanumeric())
}

fn covers(ids: &[String], rule: &str) -> bool {
    ids.iter().any(|i| i == "ALL" || i == rule)
}

pub fn is_suppressed(project: &Project, f: &Finding) -> bool {
    if !f.span.is_dummy() && covers(&comment_above(project, f.span.file, f.span.line), f.rule) {
        return true;
    }
    let Some(service) = f.service.as_deref().and_then(|n| project.service(n)) else {
        return false;
    };
    if covers(&label_ids(service), f.rule) {
        return true;
    }
    healthcheck_anchors(service)
        .into_iter()
        .any(|s| covers(&anchor_comment(project, s), f.rule))
}

fn label_ids(service: &Service) -> Vec<String> {
    let compose = service.labels.iter().filter(|l| l.key == LABEL);
    let image = service
        .dockerfile
        .iter()
        .flat_map(|d| d.labels.iter())
        .filter(|l| l.key == LABEL);
    compose
        .chain(image)
        .flat_map(|l| parse_ids(&l.value))
        .collect()
}

/// Where the service's check is written: the `healthcheck:` block, its `test`, and the
/// Dockerfile's HEALTHCHECK.
fn healthcheck_anchors(service: &Service) -> Vec<Span> {
    let hc = &service.healthcheck;
    let mut spans: Vec<Span> = hc.span.into_iter().collect();
    spans.extend(hc.test.as_ref().map(|t| t.span));
    if let Some(d) = &service.dockerfile
        && let Some(h) = &d.healthcheck
    {
        spans.extend(h.span);
        spans.extend(h.test.as_ref().map(|t| t.span));
    }
    spans.retain(|s| !s.is_dummy());
    spans
}

/// Comment ids above an anchor. A span that starts at the value of `healthcheck:` (the line
/// after the key) also counts the comment above the key.
fn anchor_comment(project: &Project, span: Span) -> Vec<String> {
    let mut ids = comment_above(project, span.file, span.line);
    if file_text(project, span.file).is_some()
        && span.line >= 2
        && let Some(prev) = project.sources.get(span.file).line(span.line as usize - 1)
    {
        let key = prev.trim_start().trim_start_matches("- ");
        if key.starts_with("healthcheck:") {
            ids.extend(comment_above(project, span.file, span.line - 1));
        }
    }
    ids
}

fn file_text(project: &Project, file: FileId) -> Option<&str> {
    crate::report::source_path(&project.sources, file)?;
    Some(&project.sources.get(file).text)
}

/// Ids from `# healthlint-ignore` directives in the block of comment lines directly above
/// `line` (1-based). A blank or code line ends the block: a directive further up belongs to
/// something else.
fn comment_above(project: &Project, file: FileId, line: u32) -> Vec<String> {
    if file_text(project, file).is_none() {
        return Vec::new();
    }
    let src = project.sources.get(file);
    let mut ids = Vec::new();
    let mut i = line as usize;
    while i > 1 {
        i -= 1;
        let Some(comment) = src.line(i).and_then(|l| l.trim_start().strip_prefix('#')) else {
            break;
        };
        ids.extend(directive_ids(comment));
    }
    ids
}

/// The ids of one comment's directive (`healthlint-ignore HL101`, `healthlint-ignore=HL101`).
fn directive_ids(comment: &str) -> Vec<String> {
    let c = comment.trim_start();
    let Some(rest) = c.strip_prefix(DIRECTIVE) else {
        return Vec::new();
    };
    match rest.chars().next() {
        Some(ch) if ch.is_whitespace() || ch == '=' || ch == ':' => parse_ids(&rest[1..]),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_parse_with_separators_and_a_trailing_reason() {
        assert_eq!(parse_ids("HL101,HL202"), ["HL101", "HL202"]);
        assert_eq!(parse_ids(" hl101 , all"), ["HL101", "ALL"]);
        assert_eq!(parse_ids("HLV01"), ["HLV01"]);
        assert_eq!(parse_ids("HL105 -- the bot listens on nothing"), ["HL105"]);
        assert!(parse_ids("nothing").is_empty());
    }

    #[test]
    fn directives_need_the_exact_word() {
        assert_eq!(directive_ids(" healthlint-ignore HL101"), ["HL101"]);
        assert_eq!(
            directive_ids("healthlint-ignore=HL101,HL102"),
            ["HL101", "HL102"]
        );
        assert!(directive_ids(" healthlint-ignored HL101").is_empty());
        assert!(directive_ids(" see healthlint-ignore HL101").is_empty());
    }
}
