//! Fixes: replacement checks rendered into the file that defines the check, shown as a unified
//! diff (`--diff`) or written in place (`--fix`). Only the check's own text changes, so
//! comments, anchors, key order and formatting elsewhere stay byte for byte.

pub mod templates;

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::model::{Origin, Service};
use crate::pipeline::Analysis;
use crate::rules::{Finding, Fix};
use crate::span::{FileId, Sources, Span};

/// Rules whose finding is best fixed by a whole new check chosen for the service's kind and
/// image, when the rule itself proposes nothing narrower.
const TEMPLATE_FIXED: &[&str] = &[
    "HL101", "HL102", "HL103", "HL105", "HL106", "HL107", "HL204", "HL208", "HL501",
];

/// Gives findings of [`TEMPLATE_FIXED`] rules a replacement check when a template fits.
pub fn attach_template_fixes(analysis: &mut Analysis) {
    let Analysis {
        project,
        services,
        findings,
        ..
    } = analysis;
    for finding in findings.iter_mut() {
        if finding.fix.is_some() || !TEMPLATE_FIXED.contains(&finding.rule) {
            continue;
        }
        let Some(index) = finding
            .service
            .as_deref()
            .and_then(|name| project.services.iter().position(|s| s.name == name))
        else {
            continue;
        };
        let service = &project.services[index];
        let info = &services[index];
        let Some(proposal) = templates::propose(service, &info.kind, info.probe.as_ref()) else {
            continue;
        };
        // A proposal that would fail the same way is no fix.
        if finding.rule == "HL208" && proposal.test.first().is_some_and(|t| t == "CMD-SHELL") {
            continue;
        }
        if let Some(fix) = render_fix(service, &project.sources, &proposal) {
            finding.fix = Some(fix);
        }
    }
}

fn render_fix(service: &Service, sources: &Sources, proposal: &templates::Proposal) -> Option<Fix> {
    let test = service.healthcheck.test.as_ref()?;
    let file = test.span.file;
    let text = &sources.get(file).text;
    let (start, end, replacement) = if service.healthcheck.origin == Origin::Dockerfile {
        let (start, end) = dockerfile_command_region(text, test.span)?;
        (start, end, dockerfile_test(&proposal.test))
    } else {
        let span = test.span;
        (
            span.start as usize,
            span.end as usize,
            compose_test(&proposal.test),
        )
    };
    if text.get(start..end)? == replacement {
        return None;
    }
    Some(Fix {
        description: format!("check with `{}`: {}", shown(&proposal.test), proposal.why),
        span: sources.span(file, start, end),
        replacement,
    })
}

/// The argv as a user would type it in a shell, so the description can be pasted: arguments
/// with shell metacharacters are single-quoted, inner single quotes written `'\''`.
fn shown(test: &[String]) -> String {
    test.iter()
        .skip(1)
        .map(|a| {
            let plain = !a.is_empty()
                && a.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_./:=@%+,".contains(c));
            if plain {
                a.clone()
            } else {
                format!("'{}'", a.replace('\'', "'\\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A compose `test:` value: a flow sequence of JSON strings (valid YAML), `$` doubled so
/// compose passes it to the container instead of interpolating it on the host.
pub fn compose_test(test: &[String]) -> String {
    let items: Vec<String> = test
        .iter()
        .map(|a| serde_json::to_string(&a.replace('$', "$$")).unwrap_or_default())
        .collect();
    format!("[{}]", items.join(", "))
}

/// The command part of a HEALTHCHECK: exec form JSON for `CMD`, the script for `CMD-SHELL`.
pub fn dockerfile_test(test: &[String]) -> String {
    match test.split_first() {
        Some((first, rest)) if first == "CMD-SHELL" => rest.join(" "),
        Some((_, rest)) => {
            let items: Vec<String> = rest
                .iter()
                .map(|a| serde_json::to_string(a).unwrap_or_default())
                .collect();
            format!("[{}]", items.join(", "))
        }
        None => String::new(),
    }
}

/// The byte range of the command after `CMD` in a HEALTHCHECK instruction, so the flags (and
/// the continuation lines that hold them) stay as written.
fn dockerfile_command_region(text: &str, instruction: Span) -> Option<(usize, usize)> {
    let start = instruction.start as usize;
    let end = instruction.end as usize;
    let inst = text.get(start..end)?;
    let upper = inst.to_ascii_uppercase();
    let mut from = "HEALTHCHECK".len();
    loop {
        let at = upper[from..].find("CMD")? + from;
        let before_ok = upper[..at]
            .chars()
            .last()
            .is_some_and(|c| c.is_whitespace() || c == '\\');
        let after_ok = upper[at + 3..]
            .chars()
            .next()
            .is_some_and(|c| c.is_whitespace() || c == '[');
        if before_ok && after_ok {
            let cmd_start = at + 3 + inst[at + 3..].len() - inst[at + 3..].trim_start().len();
            let body_end = inst.trim_end().len();
            return (cmd_start < body_end).then_some((start + cmd_start, start + body_end));
        }
        from = at + 3;
    }
}

/// One change to one file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edit {
    pub file: FileId,
    pub start: usize,
    pub end: usize,
    pub replacement: String,
}

/// The edits the findings propose, one per region: when fixes overlap the widest wins (a new
/// check replaces a flag added to the old one), identical ones from several services (a check
/// shared through an anchor) collapse into one, and differing fixes of one shared region are
/// all dropped, because no single text suits every user of that anchor.
pub fn plan(findings: &[Finding]) -> Vec<Edit> {
    let mut candidates: Vec<Edit> = findings
        .iter()
        .filter_map(|f| f.fix.as_ref())
        .map(|fix| Edit {
            file: fix.span.file,
            start: fix.span.start as usize,
            end: fix.span.end as usize,
            replacement: fix.replacement.clone(),
        })
        .collect();
    candidates.sort_by(|a, b| {
        (b.end - b.start)
            .cmp(&(a.end - a.start))
            .then(a.file.cmp(&b.file))
            .then(a.start.cmp(&b.start))
    });
    candidates.dedup();
    let mut conflicted: Vec<(FileId, usize, usize)> = Vec::new();
    for (i, a) in candidates.iter().enumerate() {
        if candidates[i + 1..].iter().any(|b| {
            a.file == b.file
                && a.start == b.start
                && a.end == b.end
                && a.replacement != b.replacement
        }) {
            conflicted.push((a.file, a.start, a.end));
        }
    }
    let mut accepted: Vec<Edit> = Vec::new();
    for e in candidates {
        if conflicted.contains(&(e.file, e.start, e.end)) {
            continue;
        }
        let overlaps = accepted
            .iter()
            .any(|a| a.file == e.file && e.start < a.end && a.start < e.end);
        if !overlaps {
            accepted.push(e);
        }
    }
    accepted.sort_by_key(|e| (e.file, e.start));
    accepted
}

/// The new text of every file the edits touch.
pub fn apply(sources: &Sources, edits: &[Edit]) -> BTreeMap<FileId, (PathBuf, String)> {
    let mut out = BTreeMap::new();
    for file in edits
        .iter()
        .map(|e| e.file)
        .collect::<std::collections::BTreeSet<_>>()
    {
        let src = sources.get(file);
        let mut text = src.text.to_string();
        let mut mine: Vec<&Edit> = edits.iter().filter(|e| e.file == file).collect();
        mine.sort_by_key(|e| std::cmp::Reverse(e.start));
        for e in mine {
            if e.end <= text.len() && text.is_char_boundary(e.start) && text.is_char_boundary(e.end)
            {
                text.replace_range(e.start..e.end, &e.replacement);
            }
        }
        out.insert(file, (src.path.clone(), text));
    }
    out
}

/// A unified diff of one file, `a/` and `b/` prefixed like `git diff`.
pub fn unified_diff(path: &std::path::Path, old: &str, new: &str) -> String {
    let name = path.display().to_string();
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{name}"), &format!("b/{name}"))
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::Severity;
    use crate::span::span_of;

    #[test]
    fn compose_rendering_escapes_dollars_and_quotes() {
        assert_eq!(
            compose_test(&["CMD-SHELL".into(), "test -n \"$(find /tmp/x)\"".into()]),
            r#"["CMD-SHELL", "test -n \"$$(find /tmp/x)\""]"#
        );
    }

    #[test]
    fn dockerfile_rendering_uses_exec_form() {
        assert_eq!(
            dockerfile_test(&["CMD".into(), "curl".into(), "-f".into(), "http://x".into()]),
            r#"["curl", "-f", "http://x"]"#
        );
        assert_eq!(
            dockerfile_test(&["CMD-SHELL".into(), "a && b".into()]),
            "a && b"
        );
    }

    #[test]
    fn dockerfile_region_keeps_flags_and_continuations() {
        let text =
            "FROM x\nHEALTHCHECK --interval=5s \\\n  --timeout=2s CMD curl http://localhost/\n";
        let start = text.find("HEALTHCHECK").unwrap();
        let span = span_of(0, text, start, text.len());
        let (s, e) = dockerfile_command_region(text, span).unwrap();
        assert_eq!(&text[s..e], "curl http://localhost/");
    }

    fn finding(start: u32, end: u32, replacement: &str) -> Finding {
        Finding {
            rule: "HL202",
            severity: Severity::Error,
            service: None,
            span: Span::default(),
            message: String::new(),
            labels: Vec::new(),
            fix: Some(Fix {
                description: String::new(),
                span: Span {
                    file: 0,
                    start,
                    end,
                    line: 1,
                    col: 1,
                },
                replacement: replacement.into(),
            }),
        }
    }

    #[test]
    fn shown_commands_paste_into_a_shell() {
        let argv: Vec<String> = ["CMD", "node", "-e", "require('fs')", "a b"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(shown(&argv), r#"node -e 'require('\''fs'\'')' 'a b'"#);
    }

    #[test]
    fn widest_fix_wins_and_shared_regions_need_agreement() {
        let plan1 = plan(&[finding(10, 12, "-f"), finding(5, 30, "[new]")]);
        assert_eq!(plan1.len(), 1);
        assert_eq!(plan1[0].replacement, "[new]");
        // The same region (an anchor) with the same fix from two services: one edit.
        assert_eq!(
            plan(&[finding(5, 30, "[a]"), finding(5, 30, "[a]")]).len(),
            1
        );
        // Different fixes for one shared region: none applied.
        assert!(plan(&[finding(5, 30, "[a]"), finding(5, 30, "[b]")]).is_empty());
    }

    #[test]
    fn apply_changes_only_the_regions() {
        let mut sources = Sources::new();
        let text = "a: 1 # keep\nb: [x]\n";
        let id = sources.add("c.yml", text);
        let start = text.find("[x]").unwrap();
        let edits = vec![Edit {
            file: id,
            start,
            end: start + 3,
            replacement: "[y, z]".into(),
        }];
        let out = apply(&sources, &edits);
        assert_eq!(out[&id].1, "a: 1 # keep\nb: [y, z]\n");
        let diff = unified_diff(&out[&id].0, text, &out[&id].1);
        assert!(
            diff.contains("-b: [x]") && diff.contains("+b: [y, z]"),
            "{diff}"
        );
    }
}
