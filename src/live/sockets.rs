//! The socket table of a container, read from `/proc/net/{tcp,tcp6,udp,udp6}` of its network
//! namespace. It answers two questions a failing probe raises: what does the container really
//! listen on, and whom is it talking to.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use serde::Serialize;

/// The files read, in the order they are concatenated by the survey exec.
pub const PROC_NET_FILES: [&str; 4] = [
    "/proc/net/tcp",
    "/proc/net/tcp6",
    "/proc/net/udp",
    "/proc/net/udp6",
];

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Proto {
    Tcp,
    Udp,
}

/// One row of a `/proc/net/*` table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SocketEntry {
    pub proto: Proto,
    pub local: (IpAddr, u16),
    pub remote: (IpAddr, u16),
    /// The kernel's state number (`0A` LISTEN, `01` ESTABLISHED for TCP; `07` unconnected UDP).
    pub state: u8,
}

const TCP_ESTABLISHED: u8 = 0x01;
const TCP_LISTEN: u8 = 0x0A;
const UDP_UNCONNECTED: u8 = 0x07;

/// A port the container accepts traffic on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Listener {
    pub proto: Proto,
    pub address: String,
    pub port: u16,
}

/// An open TCP connection, with the peer resolved to a container of the project when possible.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Connection {
    pub local_port: u16,
    pub peer_address: String,
    pub peer_port: u16,
    /// False when the local side is one of the container's listening ports (someone connected
    /// to us); true for connections the container opened.
    pub outbound: bool,
    /// `service` (container) of the project owning the peer address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub peer: Option<String>,
}

/// What the container listens on and what it is connected to.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SocketTable {
    pub listen: Vec<Listener>,
    pub established: Vec<Connection>,
    /// `exec` (read inside the container) or `host-proc` (read from the host's `/proc/<pid>`).
    pub source: String,
}

impl SocketTable {
    pub fn listens_on(&self, port: u16) -> bool {
        self.listen
            .iter()
            .any(|l| l.proto == Proto::Tcp && l.port == port)
    }

    /// Distinct TCP ports in LISTEN, sorted.
    pub fn tcp_ports(&self) -> Vec<u16> {
        let mut v: Vec<u16> = self
            .listen
            .iter()
            .filter(|l| l.proto == Proto::Tcp)
            .map(|l| l.port)
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    }

    /// What the table says the container is: `server` (listens on TCP), `client` (only
    /// outbound connections), `idle` (neither).
    pub fn role(&self) -> &'static str {
        if !self.tcp_ports().is_empty() {
            "server"
        } else if self.outbound().next().is_some() {
            "client"
        } else {
            "idle"
        }
    }

    pub fn outbound(&self) -> impl Iterator<Item = &Connection> {
        self.established.iter().filter(|c| c.outbound)
    }
}

/// Parses the concatenation of any of the four tables. Each table starts with its header line;
/// UDP headers end in `drops`, and IPv6 rows have 32-digit addresses, so the rows carry enough
/// to tell the tables apart. Lines that are not rows (error messages from `cat`) are skipped.
pub fn parse(text: &str) -> Vec<SocketEntry> {
    let mut proto = Proto::Tcp;
    let mut out = Vec::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with("sl ") {
            proto = if trimmed.contains("drops") {
                Proto::Udp
            } else {
                Proto::Tcp
            };
            continue;
        }
        if let Some(entry) = parse_row(trimmed, proto) {
            out.push(entry);
        }
    }
    out
}

fn parse_row(line: &str, proto: Proto) -> Option<SocketEntry> {
    let mut fields = line.split_whitespace();
    let sl = fields.next()?;
    if !sl.ends_with(':') || sl[..sl.len() - 1].parse::<u32>().is_err() {
        return None;
    }
    let local = parse_endpoint(fields.next()?)?;
    let remote = parse_endpoint(fields.next()?)?;
    let state = u8::from_str_radix(fields.next()?, 16).ok()?;
    Some(SocketEntry {
        proto,
        local,
        remote,
        state,
    })
}

/// `0100007F:0BB8` → 127.0.0.1:3000. Addresses are the kernel's in-memory words printed in
/// hex, so each 32-bit group is little-endian on the hosts Docker runs on; the port is plain.
fn parse_endpoint(s: &str) -> Option<(IpAddr, u16)> {
    let (addr, port) = s.split_once(':')?;
    let port = u16::from_str_radix(port, 16).ok()?;
    let ip = match addr.len() {
        8 => IpAddr::V4(Ipv4Addr::from(
            u32::from_str_radix(addr, 16).ok()?.to_le_bytes(),
        )),
        32 => {
            let mut bytes = [0u8; 16];
            for i in 0..4 {
                let word = u32::from_str_radix(addr.get(i * 8..i * 8 + 8)?, 16).ok()?;
                bytes[i * 4..i * 4 + 4].copy_from_slice(&word.to_le_bytes());
            }
            let v6 = Ipv6Addr::from(bytes);
            // A v4 socket accepted on a dual-stack listener shows as ::ffff:a.b.c.d.
            match v6.to_ipv4_mapped() {
                Some(v4) => IpAddr::V4(v4),
                None => IpAddr::V6(v6),
            }
        }
        _ => return None,
    };
    Some((ip, port))
}

/// The engine's embedded DNS resolver listens on 127.0.0.11 inside every container on a
/// user-defined network; it is not the application.
fn is_embedded_dns(ip: &IpAddr) -> bool {
    *ip == IpAddr::V4(Ipv4Addr::new(127, 0, 0, 11))
}

/// Reduces raw rows to listeners and connections. `resolve` names the owner of a peer address
/// (another container of the project), when known.
pub fn summarize(
    entries: &[SocketEntry],
    source: &str,
    resolve: impl Fn(&IpAddr) -> Option<String>,
) -> SocketTable {
    let mut listen: Vec<Listener> = Vec::new();
    for e in entries {
        let listening = match e.proto {
            Proto::Tcp => e.state == TCP_LISTEN,
            Proto::Udp => e.state == UDP_UNCONNECTED && e.local.1 != 0,
        };
        if !listening || is_embedded_dns(&e.local.0) {
            continue;
        }
        let l = Listener {
            proto: e.proto,
            address: e.local.0.to_string(),
            port: e.local.1,
        };
        if !listen.contains(&l) {
            listen.push(l);
        }
    }
    let listen_ports: Vec<u16> = listen
        .iter()
        .filter(|l| l.proto == Proto::Tcp)
        .map(|l| l.port)
        .collect();
    let mut established = Vec::new();
    for e in entries {
        if e.proto != Proto::Tcp || e.state != TCP_ESTABLISHED {
            continue;
        }
        // Loopback traffic is the container talking to itself (often the probe being run
        // right now), not a peer.
        if e.remote.0.is_loopback() || is_embedded_dns(&e.local.0) {
            continue;
        }
        let c = Connection {
            local_port: e.local.1,
            peer_address: e.remote.0.to_string(),
            peer_port: e.remote.1,
            outbound: !listen_ports.contains(&e.local.1),
            peer: resolve(&e.remote.0),
        };
        if !established.contains(&c) {
            established.push(c);
        }
    }
    SocketTable {
        listen,
        established,
        source: source.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Captured inside a busybox container on a user-defined bridge network: the engine's DNS
    // resolver on 127.0.0.11, a client connection to a peer on 18789, and an httpd on :80.
    const TCP: &str = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0B00007F:A5C3 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1520043 1 0000000000000000 100 0 0 10 0
   1: 00000000:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1520100 1 0000000000000000 100 0 0 10 0
   2: 030014AC:B7A2 020014AC:4965 01 00000000:00000000 00:00000000 00000000     0        0 1520120 1 0000000000000000 20 4 30 10 -1
   3: 030014AC:0050 040014AC:D2F0 01 00000000:00000000 00:00000000 00000000     0        0 1520130 1 0000000000000000 20 4 30 10 -1
";
    const TCP6: &str = "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000000000000:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 23861 1 0000000000000000 100 0 0 10 0
   1: 0000000000000000FFFF00000100007F:1F90 0000000000000000FFFF00000100007F:C1A4 01 00000000:00000000 00:00000000 00000000     0        0 23870 1 0000000000000000 20 4 30 10 -1
";
    const UDP: &str = "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
  254: 0B00007F:8D0B 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 1520042 2 0000000000000000 0
  255: 00000000:14E9 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 1520050 2 0000000000000000 0
";

    #[test]
    fn parses_ipv4_rows_little_endian_addresses_big_endian_ports() {
        let rows = parse(TCP);
        assert_eq!(rows.len(), 4);
        assert_eq!(rows[0].local, ("127.0.0.11".parse().unwrap(), 0xA5C3));
        assert_eq!(rows[2].remote, ("172.20.0.2".parse().unwrap(), 18789));
        assert_eq!(rows[2].state, TCP_ESTABLISHED);
        assert!(rows.iter().all(|r| r.proto == Proto::Tcp));
    }

    #[test]
    fn parses_ipv6_rows_and_unmaps_v4() {
        let rows = parse(TCP6);
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].local, ("::".parse().unwrap(), 8080));
        assert_eq!(rows[1].local, ("127.0.0.1".parse().unwrap(), 8080));
    }

    #[test]
    fn concatenated_tables_keep_their_protocol() {
        let text = format!("{TCP}{TCP6}cat: can't open '/proc/net/udp6': No such file\n{UDP}");
        let rows = parse(&text);
        assert_eq!(rows.len(), 8);
        assert_eq!(rows.iter().filter(|r| r.proto == Proto::Udp).count(), 2);
    }

    #[test]
    fn summary_ignores_embedded_dns_and_marks_outbound() {
        let rows = parse(&format!("{TCP}{UDP}"));
        let peer_ip: IpAddr = "172.20.0.2".parse().unwrap();
        let t = summarize(&rows, "exec", |ip| (*ip == peer_ip).then(|| "peer".into()));
        assert_eq!(t.tcp_ports(), vec![80]);
        assert_eq!(
            t.listen
                .iter()
                .filter(|l| l.proto == Proto::Udp)
                .map(|l| l.port)
                .collect::<Vec<_>>(),
            vec![5353]
        );
        assert_eq!(t.established.len(), 2);
        let out: Vec<_> = t.outbound().collect();
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].peer_port, 18789);
        assert_eq!(out[0].peer.as_deref(), Some("peer"));
        assert!(!t.established[1].outbound, "inbound to :80");
        assert_eq!(t.role(), "server");
        let client = summarize(&parse(TCP), "exec", |_| None);
        let client = SocketTable {
            listen: vec![],
            ..client
        };
        assert_eq!(client.role(), "client");
        assert_eq!(SocketTable::default().role(), "idle");
    }

    #[test]
    fn loopback_connections_are_not_peers() {
        let t = summarize(&parse(TCP6), "exec", |_| None);
        assert_eq!(t.tcp_ports(), vec![8080]);
        assert!(t.established.is_empty(), "{t:?}");
    }

    #[test]
    fn garbage_never_panics() {
        // 32 bytes whose 8-byte groups split a multi-byte character.
        let wide = format!("0: {}ab:0050 0:0 0A", "€".repeat(10));
        for s in [
            "",
            "sl",
            "0: zz:zz",
            "  0: 0100007F 0 0A",
            "1: 0100007F:GGGG 0:0 0A",
            wide.as_str(),
        ] {
            assert!(parse(s).is_empty(), "{s}");
        }
    }
}
