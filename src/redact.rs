//! Keeps secrets out of every report. healthlint runs in CI on untrusted pull requests and its
//! output lands in logs, so the rendered report passes through one filter before it is
//! written: the values of secret-looking variables it saw (compose `environment`, the process
//! environment it interpolated from), passwords in URLs, and tokens of well-known shapes are
//! replaced by `********`. Filtering the rendered text, rather than each field, covers every
//! format and every field at once, including ones added later.

use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, MatchKind};
use regex::Regex;

use crate::model::Project;

pub const MASK: &str = "********";

/// Key fragments that mark a variable as secret.
const SECRET_KEYS: &[&str] = &[
    "PASSWORD",
    "PASSWD",
    "PASS",
    "SECRET",
    "TOKEN",
    "KEY",
    "CREDENTIAL",
    "AUTH",
    "PRIVATE",
    "CERT",
    "SALT",
    "DSN",
    "COOKIE",
    "SESSION",
];

/// Values shorter than this are not masked on their own: masking `1` or `true` everywhere
/// would garble the report and protect nothing.
const MIN_LEN: usize = 4;

pub fn is_secret_key(key: &str) -> bool {
    let upper = key.to_ascii_uppercase();
    SECRET_KEYS.iter().any(|k| upper.contains(k))
}

/// The secret values a report of this project could contain.
pub fn secret_values<'a>(
    projects: impl IntoIterator<Item = &'a Project>,
    env: &[(String, String)],
) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for project in projects {
        for service in &project.services {
            let envs = service
                .environment
                .iter()
                .chain(service.dockerfile.iter().flat_map(|d| d.env.iter()));
            for var in envs {
                if let Some(value) = var.value.as_ref().filter(|_| is_secret_key(&var.key)) {
                    out.push(value.clone());
                }
            }
        }
    }
    out.extend(
        env.iter()
            .filter(|(k, _)| is_secret_key(k))
            .map(|(_, v)| v.clone()),
    );
    out.retain(|v| is_maskable(v));
    // Longest first, so a secret that contains another is masked whole.
    out.sort_by_key(|v| std::cmp::Reverse(v.len()));
    out.dedup();
    out
}

fn patterns() -> &'static [(Regex, &'static str)] {
    static P: OnceLock<Vec<(Regex, &'static str)>> = OnceLock::new();
    P.get_or_init(|| {
        [
            // scheme://user:password@host
            (r"(?P<keep>[A-Za-z][A-Za-z0-9+.-]*://[^\s:/@]*:)[^\s@/]+@", "${keep}********@"),
            // Authorization headers
            (r"(?i)(?P<keep>\bbearer\s+)[A-Za-z0-9._~+/=-]{8,}", "${keep}********"),
            // GitHub, Slack, Stripe/OpenAI style and AWS access key ids
            (r"\b(?:gh[pousr]_[A-Za-z0-9]{20,}|xox[abpr]-[A-Za-z0-9-]{10,}|sk-[A-Za-z0-9_-]{16,}|AKIA[0-9A-Z]{16})\b", "********"),
            // mysqladmin -pSECRET (a value starting with a digit is a port: pg_isready -p5432)
            (r"(?P<keep>\s-p)[^\s\d$'\x22][^\s'\x22]{3,}", "${keep}********"),
            (r"(?P<keep>--password[= ])[^\s$'\x22]{4,}", "${keep}********"),
        ]
        .into_iter()
        .map(|(re, rep)| (Regex::new(re).expect("redaction pattern"), rep))
        .collect()
    })
}

/// Whether a secret-keyed value is worth masking everywhere it appears: flags, numbers and
/// very short values (`AUTH_ENABLED=false`, `SESSION_TTL=3600`) are not secrets, and masking
/// them would garble every `false` and `3600` in the report.
fn is_maskable(value: &str) -> bool {
    let v = value.trim();
    const FLAGS: &[&str] = &[
        "true", "false", "yes", "no", "on", "off", "null", "none", "enabled", "disabled",
    ];
    v.len() >= MIN_LEN
        && !FLAGS.iter().any(|f| v.eq_ignore_ascii_case(f))
        && v.parse::<f64>().is_err()
}

/// Masks secrets in every string of a JSON document (JSON and SARIF reports), so the
/// document stays valid whatever the secret looks like.
pub fn redact_json(value: &mut serde_json::Value, redactor: &Redactor) {
    match value {
        serde_json::Value::String(s) => {
            if let Some(masked) = redactor.masked(s) {
                *s = masked;
            }
        }
        serde_json::Value::Array(items) => {
            for v in items {
                redact_json(v, redactor);
            }
        }
        serde_json::Value::Object(map) => {
            for v in map.values_mut() {
                redact_json(v, redactor);
            }
        }
        _ => {}
    }
}

/// Masks every known secret value (raw, and as JSON would escape it) and every secret of a
/// well-known shape in `text`.
pub fn redact(text: &str, secrets: &[String]) -> String {
    Redactor::new(secrets).redact(text)
}

/// The secrets of one report, searched together: one automaton over every value (raw and
/// JSON-escaped), so masking a report costs one pass per string, not one per secret.
pub struct Redactor {
    finder: Option<AhoCorasick>,
}

impl Redactor {
    pub fn new(secrets: &[String]) -> Self {
        let mut needles: Vec<String> = Vec::with_capacity(secrets.len() * 2);
        for secret in secrets.iter().filter(|s| !s.is_empty()) {
            needles.push(secret.clone());
            let escaped = serde_json::to_string(secret).unwrap_or_default();
            let escaped = escaped.trim_matches('"');
            if escaped != secret {
                needles.push(escaped.to_string());
            }
        }
        let finder = (!needles.is_empty())
            .then(|| {
                AhoCorasick::builder()
                    .match_kind(MatchKind::LeftmostLongest)
                    .build(&needles)
                    .ok()
            })
            .flatten();
        Redactor { finder }
    }

    pub fn redact(&self, text: &str) -> String {
        self.masked(text).unwrap_or_else(|| text.to_string())
    }

    /// `None` when nothing in `text` needs masking.
    pub fn masked(&self, text: &str) -> Option<String> {
        let mut out: Option<String> = None;
        if let Some(finder) = &self.finder {
            out = mask_all(finder, text);
        }
        for (re, rep) in patterns() {
            let current = out.as_deref().unwrap_or(text);
            if re.is_match(current) {
                out = Some(re.replace_all(current, *rep).into_owned());
            }
        }
        out
    }
}

/// Secrets at least this long are masked wherever they appear; shorter ones only as a whole
/// token, so `ELASTIC_PASSWORD=elastic` masks the password but not every `elasticsearch`.
const ANYWHERE_LEN: usize = 12;

fn mask_all(finder: &AhoCorasick, text: &str) -> Option<String> {
    let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
    let mut out = String::new();
    let mut last = 0;
    for m in finder.find_iter(text) {
        if m.end() - m.start() < ANYWHERE_LEN {
            let before = text[..m.start()].chars().next_back();
            let after = text[m.end()..].chars().next();
            if word(before) || word(after) {
                continue;
            }
        }
        out.push_str(&text[last..m.start()]);
        out.push_str(MASK);
        last = m.end();
    }
    if last == 0 {
        return None;
    }
    out.push_str(&text[last..]);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_secrets_are_masked_only_as_whole_tokens() {
        let s = vec!["elastic".to_string()];
        assert_eq!(redact("elasticsearch", &s), "elasticsearch");
        assert_eq!(
            redact("-u elastic:elastic", &s),
            format!("-u {MASK}:{MASK}")
        );
        let long = vec!["0123456789abcdef".to_string()];
        assert_eq!(redact("key0123456789abcdefx", &long), format!("key{MASK}x"));
    }

    #[test]
    fn flags_and_numbers_are_not_masked_and_json_stays_valid() {
        assert!(!is_maskable("false") && !is_maskable("3600") && !is_maskable("abc"));
        assert!(is_maskable("hunter2-but-longer"));
        let mut doc = serde_json::json!({"disabled": false, "msg": "token s3cr3t-value here"});
        redact_json(&mut doc, &Redactor::new(&["s3cr3t-value".to_string()]));
        assert_eq!(doc["disabled"], false);
        assert_eq!(doc["msg"], format!("token {MASK} here"));
    }

    #[test]
    fn masks_known_values_and_well_known_shapes() {
        let secrets = vec!["hunter2-long".to_string()];
        let text = "pw hunter2-long url postgres://app:s3cret@db:5432/x auth Bearer abcdefghijkl \
                    gh ghp_0123456789abcdefghijABCDEFGHIJ mysqladmin -pRootPass1 ok";
        let out = redact(text, &secrets);
        for leaked in [
            "hunter2-long",
            "s3cret",
            "abcdefghijkl",
            "ghp_0123",
            "RootPass1",
        ] {
            assert!(!out.contains(leaked), "{leaked} in {out}");
        }
        assert!(out.contains("postgres://app:********@db:5432/x"), "{out}");
        assert!(out.contains("ok"));
        assert_eq!(redact("pg_isready -p5432", &[]), "pg_isready -p5432");
    }

    #[test]
    fn masks_json_escaped_values() {
        let secrets = vec!["a\"quoted\"secret".to_string()];
        let json = serde_json::to_string(&secrets[0]).unwrap();
        assert!(!redact(&json, &secrets).contains("quoted"));
    }

    #[test]
    fn leaves_plain_text_and_short_values_alone() {
        assert_eq!(
            redact("curl -f http://localhost:80/", &[]),
            "curl -f http://localhost:80/"
        );
        let values = secret_values(
            [],
            &[("TOKEN".into(), "1".into()), ("PATH".into(), "/bin".into())],
        );
        assert!(values.is_empty());
        assert!(is_secret_key("db_password") && !is_secret_key("PORT"));
    }
}
