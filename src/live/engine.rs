//! Connecting to the Docker Engine: `DOCKER_HOST` (unix:// or tcp://) or the local socket,
//! API version negotiation, and errors that say what to do instead of a transport stack trace.

use std::path::Path;
use std::time::Duration;

use bollard::{ClientVersion, Docker};

use super::LiveError;

/// The oldest API `verify` speaks: Docker 20.10.
pub const MIN_API: ClientVersion = ClientVersion {
    major_version: 1,
    minor_version: 41,
};

const DEFAULT_SOCKET: &str = "/var/run/docker.sock";
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A connected, version-negotiated engine.
#[derive(Clone, Debug)]
pub struct Engine {
    pub docker: Docker,
    /// The address as the user gave it (`unix:///var/run/docker.sock`, `tcp://host:2375`).
    pub host: String,
    /// The engine runs on this machine, so `/proc/<pid>` of its containers is readable here.
    pub local: bool,
    /// The API version in use after negotiation (`1.41`).
    pub api_version: String,
}

impl Engine {
    /// Connects through `DOCKER_HOST`, or the local socket when unset, and negotiates the API
    /// version down to what the engine supports.
    pub async fn connect() -> Result<Engine, LiveError> {
        let host = std::env::var("DOCKER_HOST")
            .ok()
            .filter(|h| !h.trim().is_empty())
            .unwrap_or_else(|| format!("unix://{DEFAULT_SOCKET}"));
        let tls = std::env::var("DOCKER_TLS_VERIFY").is_ok_and(|v| !v.is_empty() && v != "0");
        if tls && host.starts_with("tcp://") {
            return Err(LiveError::UnsupportedHost {
                host: format!("{host} with DOCKER_TLS_VERIFY (TLS is not supported)"),
            });
        }
        Engine::connect_to(&host, None).await
    }

    /// Connects to `host`. With `version` the client speaks exactly that API version (no
    /// negotiation), which is how older engines are exercised on purpose.
    pub async fn connect_to(host: &str, version: Option<&str>) -> Result<Engine, LiveError> {
        let pinned = match version {
            Some(v) => Some(parse_version(v).ok_or_else(|| LiveError::BadInput {
                message: format!("`{v}` is not an API version (expected e.g. 1.41)"),
            })?),
            None => None,
        };
        let client_version = pinned.unwrap_or(*bollard::API_DEFAULT_VERSION);
        let timeout = CONNECT_TIMEOUT.as_secs();
        let (docker, local) = if let Some(path) = host.strip_prefix("unix://") {
            check_socket(host, path)?;
            let d = Docker::connect_with_unix(host, timeout, &client_version)
                .map_err(|e| unreachable_err(host, &e))?;
            (d, true)
        } else if host.starts_with("tcp://") || host.starts_with("http://") {
            let d = Docker::connect_with_http(host, timeout, &client_version)
                .map_err(|e| unreachable_err(host, &e))?;
            let local = host.contains("://localhost") || host.contains("://127.0.0.1");
            (d, local)
        } else if host.starts_with('/') {
            return Box::pin(Engine::connect_to(&format!("unix://{host}"), version)).await;
        } else {
            return Err(LiveError::UnsupportedHost {
                host: host.to_string(),
            });
        };
        let docker = match pinned {
            Some(_) => {
                tokio::time::timeout(CONNECT_TIMEOUT, docker.ping())
                    .await
                    .map_err(|_| LiveError::Unreachable {
                        host: host.to_string(),
                        reason: "no answer within 10 s".into(),
                    })?
                    .map_err(|e| unreachable_err(host, &e))?;
                docker
            }
            None => tokio::time::timeout(CONNECT_TIMEOUT, docker.negotiate_version())
                .await
                .map_err(|_| LiveError::Unreachable {
                    host: host.to_string(),
                    reason: "no answer within 10 s".into(),
                })?
                .map_err(|e| unreachable_err(host, &e))?,
        };
        let v = docker.client_version();
        if v < MIN_API {
            return Err(LiveError::ApiTooOld {
                host: host.to_string(),
                version: v.to_string(),
            });
        }
        // Requests the engine cannot answer promptly are abandoned by our own timeouts; the
        // client-wide one only guards against a wedged connection.
        let docker = docker.with_timeout(Duration::from_secs(120));
        Ok(Engine {
            docker,
            host: host.to_string(),
            local,
            api_version: v.to_string(),
        })
    }
}

fn parse_version(v: &str) -> Option<ClientVersion> {
    let (a, b) = v.trim().trim_start_matches('v').split_once('.')?;
    Some(ClientVersion {
        major_version: a.parse().ok()?,
        minor_version: b.parse().ok()?,
    })
}

/// A missing or forbidden socket is the most common cause; say which, before any request.
fn check_socket(host: &str, path: &str) -> Result<(), LiveError> {
    if !Path::new(path).exists() {
        return Err(LiveError::Unreachable {
            host: host.to_string(),
            reason: format!("the socket {path} does not exist (is the Docker daemon running?)"),
        });
    }
    match std::os::unix::net::UnixStream::connect(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
            Err(LiveError::PermissionDenied {
                socket: path.to_string(),
            })
        }
        Err(e) => Err(LiveError::Unreachable {
            host: host.to_string(),
            reason: format!("cannot connect to {path}: {e}"),
        }),
    }
}

fn unreachable_err(host: &str, e: &bollard::errors::Error) -> LiveError {
    LiveError::Unreachable {
        host: host.to_string(),
        reason: describe(e),
    }
}

/// One line for an engine error: the server's message when it sent one, the transport's
/// root cause otherwise.
pub fn describe(e: &bollard::errors::Error) -> String {
    use bollard::errors::Error as E;
    match e {
        E::DockerResponseServerError {
            status_code,
            message,
        } => format!("{} (HTTP {status_code})", message.trim()),
        E::RequestTimeoutError => "the engine did not answer in time".to_string(),
        other => {
            let mut text = other.to_string();
            let mut src = std::error::Error::source(other);
            while let Some(s) = src {
                let t = s.to_string();
                if !text.contains(&t) {
                    text = format!("{text}: {t}");
                }
                src = s.source();
            }
            text
        }
    }
}

/// True for "no such container" answers.
pub fn is_not_found(e: &bollard::errors::Error) -> bool {
    matches!(
        e,
        bollard::errors::Error::DockerResponseServerError {
            status_code: 404,
            ..
        }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse() {
        assert_eq!(parse_version("1.41"), Some(MIN_API));
        assert_eq!(parse_version("v1.44").map(|v| v.minor_version), Some(44));
        assert!(parse_version("latest").is_none());
    }

    #[tokio::test(flavor = "current_thread")]
    async fn missing_socket_is_a_clear_error() {
        let err = Engine::connect_to("unix:///nonexistent/docker.sock", None)
            .await
            .unwrap_err();
        assert_eq!(err.exit_code(), 2);
        assert!(
            err.to_string().contains("/nonexistent/docker.sock"),
            "{err}"
        );
    }

    #[tokio::test(flavor = "current_thread")]
    async fn unsupported_scheme_is_rejected() {
        let err = Engine::connect_to("ssh://user@host", None)
            .await
            .unwrap_err();
        assert!(matches!(err, LiveError::UnsupportedHost { .. }));
    }

    #[tokio::test(flavor = "current_thread")]
    async fn closed_tcp_port_is_unreachable_not_a_hang() {
        // Port 1 on loopback is closed on any sane machine: connection refused at once.
        let err = Engine::connect_to("tcp://127.0.0.1:1", None)
            .await
            .unwrap_err();
        assert!(matches!(err, LiveError::Unreachable { .. }), "{err:?}");
    }
}
