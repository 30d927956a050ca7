//! Addresses as health checks write them: URLs (`http://localhost:3000/health`), bare
//! `host:port` pairs (`-addr=:50051`, `--bootstrap-server kafka:9092`), httpie shorthands
//! (`:3000/health`) and bash's `/dev/tcp/host/port`. Nothing here resolves names; a port that is
//! still a variable (`${PORT}`) is kept as text so rules can say so instead of guessing.

use super::Target;

/// Parses `scheme://[user@]host[:port][/path]`. Without a scheme, `default_scheme` applies
/// (curl and wget assume `http`); without either, the text is not a URL.
pub fn parse_url(text: &str, default_scheme: Option<&str>) -> Option<Target> {
    let text = text.trim();
    if text.is_empty() || text.chars().any(char::is_whitespace) {
        return None;
    }
    let (scheme, rest) = match text.find("://") {
        Some(i) => {
            let scheme = &text[..i];
            if scheme.is_empty()
                || !scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
            {
                return None;
            }
            (scheme.to_ascii_lowercase(), &text[i + 3..])
        }
        None => (default_scheme?.to_owned(), text),
    };
    let split = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(split);
    let authority = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let mut target = parse_host_port(authority)?;
    if target.host.is_empty() && !text.contains("://") && !authority.starts_with(':') {
        return None;
    }
    if target.host.is_empty() && authority.starts_with(':') {
        // httpie's `:3000/health` and curl's lenient parsing both mean localhost.
        target.host = "localhost".to_owned();
    }
    if !looks_like_host(&target.host) {
        return None;
    }
    target.scheme = Some(scheme);
    target.path = (!path.is_empty()).then(|| path.to_owned());
    Some(target)
}

/// Parses `host:port`, `:port`, `[v6]:port`, `host,port` (sqlcmd) or a bare `host`.
pub fn parse_host_port(text: &str) -> Option<Target> {
    let text = text.trim();
    let text = text.strip_prefix("tcp:").unwrap_or(text);
    if text.chars().any(char::is_whitespace) {
        return None;
    }
    let (host, port) = if let Some(rest) = text.strip_prefix('[') {
        let close = rest.find(']')?;
        let host = &text[..close + 2];
        let after = &rest[close + 1..];
        (host, after.strip_prefix(':'))
    } else if text.matches(':').count() > 1 && !text.contains('$') {
        // An unbracketed IPv6 literal has no port.
        (text, None)
    } else if let Some((h, p)) = split_port(text) {
        (h, Some(p))
    } else {
        (text, None)
    };
    let mut target = Target {
        host: host.to_owned(),
        ..Target::default()
    };
    if let Some(port) = port {
        set_port(&mut target, port);
    }
    Some(target)
}

/// Splits `host:port` at the last colon that is not inside `${...}`.
fn split_port(text: &str) -> Option<(&str, &str)> {
    let mut depth = 0usize;
    let mut last = None;
    for (i, c) in text.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth = depth.saturating_sub(1),
            ':' if depth == 0 => last = Some(i),
            ',' if depth == 0 && last.is_none() => last = Some(i),
            _ => {}
        }
    }
    last.map(|i| (&text[..i], &text[i + 1..]))
}

/// Records a port: a number when it is one, the text otherwise (`${PORT}`, `3000-3005`).
pub fn set_port(target: &mut Target, port: &str) {
    if port.is_empty() {
        return;
    }
    match port.parse::<u16>() {
        Ok(p) => target.port = Some(p),
        Err(_) => target.port_text = Some(port.to_owned()),
    }
}

/// bash's pseudo-device `/dev/tcp/host/port` (also `/dev/udp`).
pub fn parse_dev_tcp(path: &str) -> Option<Target> {
    let rest = path
        .strip_prefix("/dev/tcp/")
        .or_else(|| path.strip_prefix("/dev/udp/"))?;
    let (host, port) = rest.split_once('/')?;
    let mut target = Target {
        scheme: Some(
            if path.starts_with("/dev/udp/") {
                "udp"
            } else {
                "tcp"
            }
            .to_owned(),
        ),
        host: host.to_owned(),
        ..Target::default()
    };
    set_port(&mut target, port);
    Some(target)
}

/// Rejects things that merely contain `://`-free text, like flags or JSON, as hosts.
fn looks_like_host(host: &str) -> bool {
    !host.is_empty()
        && !host.starts_with('-')
        && host.chars().all(|c| {
            c.is_ascii_alphanumeric()
                || matches!(c, '.' | '-' | '_' | '[' | ']' | ':' | '$' | '{' | '}' | '%')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_with_everything() {
        let t = parse_url("https://user:pw@api.local:8443/v1/health?x=1", None).unwrap();
        assert_eq!(t.scheme.as_deref(), Some("https"));
        assert_eq!(t.host, "api.local");
        assert_eq!(t.port, Some(8443));
        assert_eq!(t.path.as_deref(), Some("/v1/health?x=1"));
    }

    #[test]
    fn url_defaults_and_shorthands() {
        let t = parse_url("localhost:80/health-check", Some("http")).unwrap();
        assert_eq!((t.host.as_str(), t.port), ("localhost", Some(80)));
        assert_eq!(t.scheme.as_deref(), Some("http"));
        let t = parse_url(":3000/health", Some("http")).unwrap();
        assert_eq!((t.host.as_str(), t.port), ("localhost", Some(3000)));
        assert!(parse_url("localhost", None).is_none());
        assert!(parse_url("-f", Some("http")).is_none());
        assert!(parse_url("{\"a\": 1}", Some("http")).is_none());
    }

    #[test]
    fn ipv6_and_variables() {
        let t = parse_url("http://[::1]:8080/", None).unwrap();
        assert_eq!((t.host.as_str(), t.port), ("[::1]", Some(8080)));
        let t = parse_url("http://localhost:${PORT}/x", None).unwrap();
        assert_eq!(t.port, None);
        assert_eq!(t.port_text.as_deref(), Some("${PORT}"));
        let t = parse_host_port("::1").unwrap();
        assert_eq!((t.host.as_str(), t.port), ("::1", None));
    }

    #[test]
    fn host_port_forms() {
        let t = parse_host_port(":50051").unwrap();
        assert_eq!((t.host.as_str(), t.port), ("", Some(50051)));
        let t = parse_host_port("kafka:9092").unwrap();
        assert_eq!((t.host.as_str(), t.port), ("kafka", Some(9092)));
        let t = parse_host_port("tcp:db,1433").unwrap();
        assert_eq!((t.host.as_str(), t.port), ("db", Some(1433)));
        let t = parse_dev_tcp("/dev/tcp/127.0.0.1/8194").unwrap();
        assert_eq!((t.host.as_str(), t.port), ("127.0.0.1", Some(8194)));
    }
}
