//! Network addresses in free text: URLs and `host:port` lists in environment values, listen
//! addresses and port flags in command lines, image references. Lenient on purpose: the text
//! comes from compose files and shell lines, and anything that does not parse is skipped.

use std::borrow::Cow;
use std::sync::OnceLock;

use regex::Regex;

/// One host named by a URL. A URL with several hosts (`mongodb://a:27017,b:27017/db`) yields
/// one `Url` per host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Url<'a> {
    pub scheme: &'a str,
    pub host: &'a str,
    pub port: Option<u16>,
    /// Path, starting with `/`, without query or fragment.
    pub path: Option<&'a str>,
}

fn url_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r#"([A-Za-z][A-Za-z0-9+.-]*)://([^/\s?#"'<>`]*)(/[^\s?#"'<>`;,]*)?"#)
            .expect("static regex")
    })
}

/// Every URL host in `text`.
pub fn urls(text: &str) -> Vec<Url<'_>> {
    let mut out = Vec::new();
    if !text.contains("://") {
        return out;
    }
    for c in url_re().captures_iter(text) {
        let (Some(scheme), Some(authority)) = (c.get(1), c.get(2)) else {
            continue;
        };
        let path = c.get(3).map(|m| m.as_str()).filter(|p| p.len() > 1);
        // Credentials may hold anything but the last `@`.
        let hosts = authority
            .as_str()
            .rsplit_once('@')
            .map_or(authority.as_str(), |(_, h)| h);
        for item in hosts.split(',') {
            if let Some((host, port)) = host_port(item) {
                out.push(Url {
                    scheme: scheme.as_str(),
                    host,
                    port,
                    path,
                });
            }
        }
    }
    out
}

/// Splits `host[:port]` (`[v6]:port` too). `None` when the host is not a plausible name or
/// address, e.g. an unexpanded `${VAR}` or an empty string.
pub fn host_port(item: &str) -> Option<(&str, Option<u16>)> {
    let item = item.trim();
    let (host, port) = if let Some(rest) = item.strip_prefix('[') {
        let (h, after) = rest.split_once(']')?;
        let port = match after.strip_prefix(':') {
            Some(p) => Some(parse_port(p)?),
            None if after.is_empty() => None,
            None => return None,
        };
        (h, port)
    } else {
        match item.rsplit_once(':') {
            // A bare IPv6 address without brackets has several colons and no port.
            Some((h, _)) if h.contains(':') => (item, None),
            Some((h, p)) => (h, Some(parse_port(p)?)),
            None => (item, None),
        }
    };
    is_host(host).then_some((host, port))
}

/// A DNS name, IPv4 or IPv6 address. Pure numbers are ports, not hosts.
pub fn is_host(s: &str) -> bool {
    if s.is_empty() || s.len() > 253 {
        return false;
    }
    if s.contains(':') {
        return s
            .chars()
            .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.');
    }
    s.chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        && !s.chars().all(|c| c.is_ascii_digit())
        && !s.starts_with(['-', '.'])
}

/// A TCP port, 1..=65535.
pub fn parse_port(s: &str) -> Option<u16> {
    let s = s.trim();
    if s.is_empty() || s.len() > 5 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse::<u16>().ok().filter(|&p| p > 0)
}

/// The port of a listen address: `8000`, `:8000`, `0.0.0.0:8000`, `[::]:8000`,
/// `tcp://0.0.0.0:8000`, `http://0.0.0.0:8000/`. Unix sockets and file descriptors have none.
pub fn listen_port(value: &str) -> Option<u16> {
    let v = value.trim().trim_matches(|c| c == '"' || c == '\'');
    if let Some(p) = parse_port(v) {
        return Some(p);
    }
    let v = match v.split_once("://") {
        Some((scheme, _)) if scheme.eq_ignore_ascii_case("unix") => return None,
        Some((_, rest)) => rest.split('/').next().unwrap_or(rest),
        None => v,
    };
    if v.starts_with("unix:") || v.starts_with("fd:") || v.starts_with('/') {
        return None;
    }
    if let Some(p) = v.strip_prefix(':') {
        return parse_port(p);
    }
    match host_port(v) {
        Some((_, port)) => port,
        None => None,
    }
}

/// Splits a command line into words the way a reader would: on whitespace, with quotes,
/// trailing `;` and shell grouping stripped. Operators (`&&`, `|`) stay as their own words, so
/// a flag's value is always the next word.
pub fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| c.is_whitespace() || c == ';')
        .map(|w| w.trim_matches(|c| matches!(c, '"' | '\'' | '`' | '(' | ')' | '{' | '}')))
        .filter(|w| !w.is_empty())
}

/// Expands `$NAME`, `${NAME}`, `${NAME:-default}` and `${NAME-default}` with `lookup`; an
/// unknown name with no default expands to nothing, so what remains fails to parse as a port.
pub fn expand<'a>(word: &'a str, lookup: &dyn Fn(&str) -> Option<String>) -> Cow<'a, str> {
    if !word.contains('$') {
        return Cow::Borrowed(word);
    }
    let mut out = String::with_capacity(word.len());
    let mut rest = word;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        if let Some(inner) = after.strip_prefix('{') {
            let Some(close) = inner.find('}') else {
                return Cow::Owned(out);
            };
            let body = &inner[..close];
            let (name, default) = match body.find([':', '-']) {
                Some(j) => {
                    let d = body[j..]
                        .strip_prefix(":-")
                        .or_else(|| body[j..].strip_prefix('-'));
                    (&body[..j], d)
                }
                None => (body, None),
            };
            match lookup(name).filter(|v| !v.is_empty()) {
                Some(v) => out.push_str(&v),
                None => out.push_str(default.unwrap_or("")),
            }
            rest = &inner[close + 1..];
        } else {
            let end = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            if end == 0 {
                out.push('$');
            } else if let Some(v) = lookup(&after[..end]) {
                out.push_str(&v);
            }
            rest = &after[end..];
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// The repository path of an image reference, lowercased, without registry, tag, digest or
/// the implicit `library/`: `docker.io/library/postgres:16` → `postgres`,
/// `ghcr.io/org/app@sha256:…` → `org/app`. `None` for references with unexpanded variables.
pub fn image_path(reference: &str) -> Option<String> {
    let r = reference.trim();
    if r.is_empty() || r.contains('$') {
        return None;
    }
    let r = r.split('@').next().unwrap_or(r);
    // A tag follows the last `:` after the last `/` (a registry port comes before a `/`).
    let r = match (r.rfind(':'), r.rfind('/')) {
        (Some(c), Some(s)) if c > s => &r[..c],
        (Some(c), None) => &r[..c],
        _ => r,
    };
    let mut parts: Vec<&str> = r.split('/').collect();
    if parts.len() > 1 {
        let first = parts[0];
        if first.contains('.') || first.contains(':') || first == "localhost" {
            parts.remove(0);
        }
    }
    if parts.len() > 1 && parts[0] == "library" {
        parts.remove(0);
    }
    let path = parts.join("/").to_ascii_lowercase();
    (!path.is_empty()).then_some(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_with_credentials_ports_paths_and_host_lists() {
        let u = urls("GATEWAY_URL=ws://gateway:18789/ws?x=1");
        assert_eq!(
            u,
            vec![Url {
                scheme: "ws",
                host: "gateway",
                port: Some(18789),
                path: Some("/ws")
            }]
        );
        let u = urls("postgres://user:p@ss@db:5432/app");
        assert_eq!((u[0].host, u[0].port), ("db", Some(5432)));
        let u = urls("mongodb://a:27017,b:27018/db");
        assert_eq!(u.len(), 2);
        assert_eq!((u[1].host, u[1].port), ("b", Some(27018)));
        assert!(urls("http://${HOST}:80").is_empty());
        let u = urls("http://[::1]:8080/health");
        assert_eq!((u[0].host, u[0].port), ("::1", Some(8080)));
    }

    #[test]
    fn listen_addresses() {
        assert_eq!(listen_port("8000"), Some(8000));
        assert_eq!(listen_port(":8000"), Some(8000));
        assert_eq!(listen_port("0.0.0.0:8000"), Some(8000));
        assert_eq!(listen_port("[::]:9000"), Some(9000));
        assert_eq!(listen_port("tcp://0.0.0.0:7000"), Some(7000));
        assert_eq!(listen_port("unix:/run/app.sock"), None);
        assert_eq!(listen_port("0.0.0.0"), None);
        assert_eq!(listen_port("70000"), None);
        assert_eq!(listen_port("0"), None);
        assert_eq!(listen_port("secret"), None);
    }

    #[test]
    fn expands_variables_with_defaults() {
        let env = |k: &str| (k == "PORT").then(|| "9000".to_string());
        assert_eq!(expand("${PORT:-8000}", &env), "9000");
        assert_eq!(expand("${WS:-8000}", &env), "8000");
        assert_eq!(expand("0.0.0.0:$PORT", &env), "0.0.0.0:9000");
        assert_eq!(expand("$NOPE", &env), "");
        assert_eq!(expand("plain", &env), "plain");
    }

    #[test]
    fn image_paths() {
        assert_eq!(
            image_path("postgres:16-alpine").as_deref(),
            Some("postgres")
        );
        assert_eq!(
            image_path("docker.io/library/redis").as_deref(),
            Some("redis")
        );
        assert_eq!(
            image_path("localhost:5000/team/api:1.2").as_deref(),
            Some("team/api")
        );
        assert_eq!(
            image_path("mcr.microsoft.com/mssql/server:2022-latest").as_deref(),
            Some("mssql/server")
        );
        assert_eq!(
            image_path("ghcr.io/Org/App@sha256:abc").as_deref(),
            Some("org/app")
        );
        assert_eq!(image_path("${REGISTRY}/app"), None);
    }

    #[test]
    fn hosts() {
        assert_eq!(host_port("redis"), Some(("redis", None)));
        assert_eq!(host_port("kafka:9092"), Some(("kafka", Some(9092))));
        assert_eq!(host_port("8080"), None);
        assert_eq!(host_port("a b"), None);
        assert_eq!(host_port("::1"), Some(("::1", None)));
    }
}
