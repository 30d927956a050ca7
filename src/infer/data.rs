//! The kind knowledge of `rules/kinds.toml`, embedded at build time and compiled on first use:
//! a lint of a single file pays for the regexes once, `--version` never.

use std::collections::HashMap;
use std::sync::OnceLock;

use regex::{Regex, RegexBuilder, RegexSet, RegexSetBuilder};
use serde::Deserialize;

use super::ServiceKind;

pub(crate) const SOURCE: &str = include_str!("../../rules/kinds.toml");

/// Compiled knowledge; built once per process by [`knowledge`].
#[derive(Debug)]
pub(crate) struct Knowledge {
    pub scoring: Scoring,
    pub images: Vec<ImageRule>,
    /// Last path component of an image → indices into `images`.
    pub image_names: HashMap<String, Vec<usize>>,
    /// Image rules with a `regex`, compiled, with their index into `images`.
    pub image_regexes: Vec<(Regex, usize)>,
    pub commands: Patterns<CommandRule>,
    pub names: Patterns<Hint>,
    pub urls: Vec<UrlRule>,
    pub env_ports: Patterns<PortHint>,
    pub env_keys: Patterns<EnvKeyRule>,
    pub peers: PeerRules,
    /// Flag as written (`--port`, `-b`) → what it sets.
    pub port_flags: HashMap<String, PortHint>,
    pub app_protocols: HashMap<String, PortHint>,
    pub ports: HashMap<u16, Hint>,
    pub restart: HashMap<String, Hint>,
    pub completed_successfully: f32,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Scoring {
    pub label: String,
    pub damping: f32,
    pub min_total: f32,
    pub min_confidence: f32,
    pub assertive: f32,
    pub listen_weight: f32,
    pub listen_cap: f32,
    pub env_listen_weight: f32,
    pub declared_ports_scale_non_listening: f32,
    #[serde(default)]
    pub compatible: HashMap<ServiceKind, Vec<ServiceKind>>,
}

impl Scoring {
    /// Whether evidence for `other` leaves a `winner` verdict uncontested.
    pub fn compatible(&self, winner: ServiceKind, other: ServiceKind) -> bool {
        self.compatible
            .get(&winner)
            .is_some_and(|v| v.contains(&other))
    }
}

/// A set of regexes tried together (one pass of a `RegexSet`), each with its payload.
#[derive(Debug)]
pub(crate) struct Patterns<T> {
    pub set: RegexSet,
    pub rules: Vec<(LazyRegex, T)>,
}

/// A rule's own regex, compiled the first time the set says it matched: most rules never
/// match a given project, and compiling all of them up front was most of a small lint's time.
#[derive(Debug)]
pub(crate) struct LazyRegex {
    pattern: String,
    compiled: OnceLock<Regex>,
}

impl std::ops::Deref for LazyRegex {
    type Target = Regex;
    fn deref(&self) -> &Regex {
        self.compiled.get_or_init(|| {
            // The set was built from the same pattern with the same flags, so it compiles.
            compile(&self.pattern).unwrap_or_else(|e| panic!("rules/kinds.toml: {e}"))
        })
    }
}

impl<T> Patterns<T> {
    fn build(items: Vec<(String, T)>) -> Result<Self, String> {
        let set = RegexSetBuilder::new(items.iter().map(|(r, _)| r))
            .case_insensitive(true)
            .build()
            .map_err(|e| e.to_string())?;
        let rules = items
            .into_iter()
            .map(|(pattern, t)| {
                (
                    LazyRegex {
                        pattern,
                        compiled: OnceLock::new(),
                    },
                    t,
                )
            })
            .collect();
        Ok(Patterns { set, rules })
    }

    /// Rules whose regex matches `text`, in file order.
    pub fn matching<'a>(&'a self, text: &str) -> impl Iterator<Item = &'a (LazyRegex, T)> + 'a {
        self.set
            .matches(text)
            .into_iter()
            .map(move |i| &self.rules[i])
    }
}

fn compile(re: &str) -> Result<Regex, String> {
    RegexBuilder::new(re)
        .case_insensitive(true)
        .build()
        .map_err(|e| format!("{re}: {e}"))
}

/// A kind and the weight of the evidence for it; `kind: None` carries no kind (a slow-start
/// or protocol hint only).
#[derive(Clone, Debug, Default, Deserialize)]
pub(crate) struct Hint {
    pub kind: Option<ServiceKind>,
    #[serde(default)]
    pub weight: f32,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct PortHint {
    pub hint: Hint,
    pub protocol: Option<String>,
}

#[derive(Debug)]
pub(crate) struct CommandRule {
    pub hint: Hint,
    pub slow: Option<String>,
    pub protocol: Option<String>,
}

#[derive(Debug)]
pub(crate) struct EnvKeyRule {
    pub hint: Hint,
    pub slow: Option<String>,
    pub ws_path: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ImageRule {
    #[serde(default)]
    pub names: Vec<String>,
    #[serde(default)]
    pub paths: Vec<String>,
    /// Matched against the whole repository path, for families (`*-exporter`).
    pub regex: Option<String>,
    pub kind: Option<ServiceKind>,
    #[serde(default)]
    pub weight: f32,
    pub protocol: Option<String>,
    #[serde(default)]
    pub ports: Vec<u16>,
    #[serde(default)]
    pub http_ports: Vec<u16>,
    /// The main port answers plain HTTP.
    #[serde(default)]
    pub http: bool,
    pub slow: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Target {
    Service,
    #[serde(rename = "self")]
    Itself,
    Local,
    Bind,
    External,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct UrlRule {
    pub schemes: Vec<String>,
    pub target: Target,
    pub kind: ServiceKind,
    pub weight: f32,
}

#[derive(Debug)]
pub(crate) struct PeerRules {
    pub keys: Regex,
    pub not_keys: Regex,
    pub local: Vec<String>,
    pub bind: Vec<String>,
}

impl Knowledge {
    pub fn url_rule(&self, scheme: &str, target: Target) -> Option<&UrlRule> {
        self.urls.iter().find(|r| {
            r.target == target && r.schemes.iter().any(|s| s.eq_ignore_ascii_case(scheme))
        })
    }

    /// Image rules for a normalized image name (see [`super::net::image_path`]), each once.
    pub fn image_rules(&self, path: &str) -> Vec<&ImageRule> {
        let last = path.rsplit('/').next().unwrap_or(path);
        let mut out: Vec<&ImageRule> = self
            .image_names
            .get(last)
            .into_iter()
            .flatten()
            .map(|&i| &self.images[i])
            .collect();
        for &(ref re, i) in &self.image_regexes {
            let r = &self.images[i];
            if re.is_match(path) && !out.iter().any(|o| std::ptr::eq(*o, r)) {
                out.push(r);
            }
        }
        for r in &self.images {
            let hit = r.paths.iter().any(|p| {
                path == p
                    || path
                        .strip_suffix(p.as_str())
                        .is_some_and(|rest| rest.ends_with('/'))
            });
            if hit && !out.iter().any(|o| std::ptr::eq(*o, r)) {
                out.push(r);
            }
        }
        out
    }
}

// --- the file as written -------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    scoring: Scoring,
    image: Vec<ImageRule>,
    command: Vec<RawCommand>,
    name: Vec<RawHint>,
    url: Vec<UrlRule>,
    env_port: Vec<RawPortKey>,
    env_key: Vec<RawEnvKey>,
    peers: RawPeers,
    port_flag: Vec<RawPortFlag>,
    app_protocol: Vec<RawAppProtocol>,
    port: Vec<RawPorts>,
    restart: Vec<RawRestart>,
    dependents: RawDependents,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCommand {
    regex: String,
    kind: Option<ServiceKind>,
    #[serde(default)]
    weight: f32,
    slow: Option<String>,
    protocol: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHint {
    regex: String,
    kind: ServiceKind,
    weight: f32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPortKey {
    key: String,
    kind: Option<ServiceKind>,
    #[serde(default)]
    weight: f32,
    protocol: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEnvKey {
    key: String,
    kind: Option<ServiceKind>,
    #[serde(default)]
    weight: f32,
    slow: Option<String>,
    #[serde(default)]
    ws_path: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPeers {
    keys: String,
    not_keys: String,
    local: Vec<String>,
    bind: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPortFlag {
    flags: Vec<String>,
    kind: Option<ServiceKind>,
    #[serde(default)]
    weight: f32,
    protocol: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAppProtocol {
    names: Vec<String>,
    kind: ServiceKind,
    weight: f32,
    protocol: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPorts {
    ports: Vec<u16>,
    kind: ServiceKind,
    weight: f32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRestart {
    policies: Vec<String>,
    kind: ServiceKind,
    weight: f32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDependents {
    completed_successfully: f32,
}

/// Parses and compiles `text` (the content of `rules/kinds.toml`).
pub(crate) fn parse(text: &str) -> Result<Knowledge, String> {
    let f: File = toml::from_str(text).map_err(|e| e.to_string())?;

    let mut image_names: HashMap<String, Vec<usize>> = HashMap::new();
    let mut image_regexes = Vec::new();
    for (i, r) in f.image.iter().enumerate() {
        if let Some(re) = &r.regex {
            image_regexes.push((compile(re)?, i));
        }
        if r.names.is_empty() && r.paths.is_empty() && r.regex.is_none() {
            return Err(format!("image rule {} names no image", i + 1));
        }
        for n in &r.names {
            image_names
                .entry(n.to_ascii_lowercase())
                .or_default()
                .push(i);
        }
    }

    let commands = Patterns::build(
        f.command
            .into_iter()
            .map(|c| {
                (
                    c.regex,
                    CommandRule {
                        hint: Hint {
                            kind: c.kind,
                            weight: c.weight,
                        },
                        slow: c.slow,
                        protocol: c.protocol,
                    },
                )
            })
            .collect(),
    )?;
    let names = Patterns::build(
        f.name
            .into_iter()
            .map(|n| {
                (
                    n.regex,
                    Hint {
                        kind: Some(n.kind),
                        weight: n.weight,
                    },
                )
            })
            .collect(),
    )?;
    let env_ports = Patterns::build(
        f.env_port
            .into_iter()
            .map(|p| {
                (
                    p.key,
                    PortHint {
                        hint: Hint {
                            kind: p.kind,
                            weight: p.weight,
                        },
                        protocol: p.protocol,
                    },
                )
            })
            .collect(),
    )?;
    let env_keys = Patterns::build(
        f.env_key
            .into_iter()
            .map(|k| {
                (
                    k.key,
                    EnvKeyRule {
                        hint: Hint {
                            kind: k.kind,
                            weight: k.weight,
                        },
                        slow: k.slow,
                        ws_path: k.ws_path,
                    },
                )
            })
            .collect(),
    )?;

    let mut port_flags = HashMap::new();
    for pf in f.port_flag {
        for flag in pf.flags {
            let hint = PortHint {
                hint: Hint {
                    kind: pf.kind,
                    weight: pf.weight,
                },
                protocol: pf.protocol.clone(),
            };
            if port_flags.insert(flag.clone(), hint).is_some() {
                return Err(format!("port flag {flag} listed twice"));
            }
        }
    }
    let mut app_protocols = HashMap::new();
    for ap in f.app_protocol {
        for n in ap.names {
            app_protocols.insert(
                n.to_ascii_lowercase(),
                PortHint {
                    hint: Hint {
                        kind: Some(ap.kind),
                        weight: ap.weight,
                    },
                    protocol: Some(ap.protocol.clone()),
                },
            );
        }
    }
    let mut ports = HashMap::new();
    for p in f.port {
        for port in p.ports {
            let hint = Hint {
                kind: Some(p.kind),
                weight: p.weight,
            };
            if ports.insert(port, hint).is_some() {
                return Err(format!("well-known port {port} listed twice"));
            }
        }
    }
    let mut restart = HashMap::new();
    for r in f.restart {
        for p in r.policies {
            restart.insert(
                p,
                Hint {
                    kind: Some(r.kind),
                    weight: r.weight,
                },
            );
        }
    }

    Ok(Knowledge {
        scoring: f.scoring,
        images: f.image,
        image_names,
        image_regexes,
        commands,
        names,
        urls: f.url,
        env_ports,
        env_keys,
        peers: PeerRules {
            keys: compile(&f.peers.keys)?,
            not_keys: compile(&f.peers.not_keys)?,
            local: f.peers.local,
            bind: f.peers.bind,
        },
        port_flags,
        app_protocols,
        ports,
        restart,
        completed_successfully: f.dependents.completed_successfully,
    })
}

/// The embedded knowledge. Its validity is a test of the suite, so a broken file never ships.
pub(crate) fn knowledge() -> &'static Knowledge {
    static K: OnceLock<Knowledge> = OnceLock::new();
    K.get_or_init(|| match parse(SOURCE) {
        Ok(k) => k,
        Err(e) => panic!("rules/kinds.toml is checked by the test suite: {e}"),
    })
}
