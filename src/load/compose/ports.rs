//! `ports:` and `expose:` entries, short and long syntax (docker/go-connections
//! `nat.ParsePortSpec`, compose-spec `05-services.md`).

use crate::model::{Expose, Port, Protocol};
use crate::span::Span;

fn protocol(text: &str) -> Result<Protocol, String> {
    match text.to_ascii_lowercase().as_str() {
        "tcp" | "" => Ok(Protocol::Tcp),
        "udp" => Ok(Protocol::Udp),
        "sctp" => Ok(Protocol::Sctp),
        other => Err(format!(
            "invalid protocol {other:?} (expected tcp, udp or sctp)"
        )),
    }
}

fn port_number(text: &str) -> Result<u16, String> {
    match text.trim().parse::<u32>() {
        Ok(n) if (1..=65535).contains(&n) => Ok(n as u16),
        Ok(0) => Err("port 0 is not a valid container port".to_string()),
        Ok(n) => Err(format!("port {n} is out of range (1-65535)")),
        Err(_) => Err(format!("invalid port {text:?}")),
    }
}

/// `"80"` or `"3000-3005"`.
pub(super) fn port_range(text: &str) -> Result<(u16, u16), String> {
    match text.split_once('-') {
        Some((a, b)) => {
            let (a, b) = (port_number(a)?, port_number(b)?);
            if b < a {
                return Err(format!("invalid port range {text:?}: end before start"));
            }
            Ok((a, b))
        }
        None => {
            let p = port_number(text)?;
            Ok((p, p))
        }
    }
}

/// Short syntax: `[[IP:]HOST:]CONTAINER[/PROTO]`.
pub(super) fn parse_short(text: &str, span: Span) -> Result<Port, String> {
    let text = text.trim();
    let (spec, proto) = match text.rsplit_once('/') {
        Some((s, p)) => (s, protocol(p)?),
        None => (text, Protocol::Tcp),
    };
    // An IPv6 host address is bracketed: `[::1]:6001:6001`.
    let (ip, rest) = if let Some(after) = spec.strip_prefix('[') {
        let (ip, rest) = after
            .split_once(']')
            .ok_or_else(|| format!("invalid port {text:?}: unclosed '['"))?;
        let rest = rest
            .strip_prefix(':')
            .ok_or_else(|| format!("invalid port {text:?}"))?;
        (Some(ip.to_string()), rest)
    } else {
        (None, spec)
    };
    let parts: Vec<&str> = rest.split(':').collect();
    let (ip, host, container) = match (ip, parts.as_slice()) {
        (None, [c]) => (None, None, *c),
        (None, [h, c]) => (None, Some(*h), *c),
        (None, [i, h, c]) => (Some(i.to_string()), Some(*h), *c),
        (Some(ip), [h, c]) => (Some(ip), Some(*h), *c),
        (Some(ip), [c]) => (Some(ip), None, *c),
        _ => {
            // IPv6 without brackets: everything before the last two parts.
            let n = parts.len();
            (
                Some(parts[..n - 2].join(":")),
                Some(parts[n - 2]),
                parts[n - 1],
            )
        }
    };
    let (target, target_end) =
        port_range(container).map_err(|e| format!("invalid port {text:?}: {e}"))?;
    let published = match host {
        Some("") | None => None,
        Some(h) => {
            let (a, b) = port_range(h).map_err(|e| format!("invalid port {text:?}: {e}"))?;
            if a != b && target != target_end && (b - a) != (target_end - target) {
                return Err(format!(
                    "invalid port {text:?}: host and container port ranges differ in length"
                ));
            }
            Some(h.to_string())
        }
    };
    Ok(Port {
        target,
        target_end,
        published,
        host_ip: ip.filter(|i| !i.is_empty()),
        protocol: proto,
        app_protocol: None,
        name: None,
        span,
    })
}

/// `expose:` entry: `"3000"`, `"8080-8085/tcp"`.
pub(super) fn parse_expose(text: &str, span: Span) -> Result<Expose, String> {
    let (spec, proto) = match text.trim().rsplit_once('/') {
        Some((s, p)) => (s, protocol(p)?),
        None => (text.trim(), Protocol::Tcp),
    };
    let (port, port_end) = port_range(spec).map_err(|e| format!("invalid expose {text:?}: {e}"))?;
    Ok(Expose {
        port,
        port_end,
        protocol: proto,
        span,
    })
}

pub(super) fn parse_protocol(text: &str) -> Result<Protocol, String> {
    protocol(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Port {
        parse_short(s, Span::default()).unwrap()
    }

    #[test]
    fn short_syntax() {
        let x = p("8080:80");
        assert_eq!((x.target, x.published.as_deref()), (80, Some("8080")));
        let x = p("127.0.0.1:8080:80/udp");
        assert_eq!(x.host_ip.as_deref(), Some("127.0.0.1"));
        assert_eq!(x.protocol, Protocol::Udp);
        let x = p("3000-3005");
        assert_eq!((x.target, x.target_end, x.published), (3000, 3005, None));
        let x = p("[::1]:6001:6001");
        assert_eq!(x.host_ip.as_deref(), Some("::1"));
        assert_eq!(x.target, 6001);
        let x = p("9090-9091:8080-8081");
        assert_eq!((x.target, x.target_end), (8080, 8081));
        assert!(parse_short("9090-9092:8080-8081", Span::default()).is_err());
        assert!(parse_short("80:http", Span::default()).is_err());
        assert!(parse_short("80/xyz", Span::default()).is_err());
        assert!(parse_short("70000", Span::default()).is_err());
    }

    #[test]
    fn expose_syntax() {
        let e = parse_expose("8080-8085/tcp", Span::default()).unwrap();
        assert_eq!((e.port, e.port_end), (8080, 8085));
        assert!(parse_expose("abc", Span::default()).is_err());
    }
}
