//! What a health check really does: the test (exec form, CMD-SHELL, Dockerfile shell form,
//! `sh -c` wrappers, `&&`/`||`/`;`/pipes) parsed into probe steps with their targets, and
//! whether the whole command can fail at all.

use serde::Serialize;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProbeKind {
    Http,
    Ws,
    Tcp,
    Grpc,
    DbNative,
    Process,
    PeerConnection,
    File,
    Script,
    Trivial,
    #[default]
    None,
}

/// Where a network probe goes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Target {
    pub scheme: Option<String>,
    pub host: String,
    pub port: Option<u16>,
    pub path: Option<String>,
}

impl Target {
    /// True for hosts that mean "this container".
    pub fn is_local(&self) -> bool {
        matches!(
            self.host.as_str(),
            "localhost" | "127.0.0.1" | "0.0.0.0" | "::1" | "[::1]" | "ip6-localhost"
        )
    }

    /// The port the probe connects to: the explicit one, else the scheme's default.
    pub fn effective_port(&self) -> Option<u16> {
        self.port.or_else(
            || match self.scheme.as_deref()?.to_ascii_lowercase().as_str() {
                "http" | "ws" => Some(80),
                "https" | "wss" => Some(443),
                _ => None,
            },
        )
    }
}

/// One command of the check that probes something.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ProbeStep {
    pub kind: ProbeKind,
    /// The program as called (`curl`, `wget`, `pg_isready`, `/usr/bin/curl`...).
    pub tool: String,
    pub argv: Vec<String>,
    pub target: Option<Target>,
    /// For HTTP probes: does an HTTP error status make the command fail?
    pub fails_on_http_error: Option<bool>,
    /// For process probes: the pattern searched and whether it matches the full command line.
    pub pattern: Option<String>,
    pub full_command_line: bool,
    /// For process probes: the pattern also matches the shell that runs the check (`pgrep -f`
    /// under `sh -c "...pattern..."`), so the step always succeeds.
    pub matches_own_shell: bool,
    /// Byte range of this command within the test text (for exec form, within the joined argv).
    pub range: (usize, usize),
}

/// The parsed check.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Probe {
    /// The dominant kind (what the check mostly proves).
    pub kind: ProbeKind,
    pub steps: Vec<ProbeStep>,
    /// Runs through a shell (CMD-SHELL, shell form, or an explicit `sh -c`).
    pub shell: bool,
    /// The full script text the shell sees, for shell forms.
    pub script: Option<String>,
    /// False when the exit status is constant (`|| true`, `; exit 0`, bare `true`).
    pub can_fail: bool,
    /// Why it cannot fail, when it cannot.
    pub cannot_fail_reason: Option<String>,
    /// Exit codes other than 0/1 the script may return explicitly (`exit 2`).
    pub explicit_exit_codes: Vec<i32>,
    /// Exec form whose arguments hold shell syntax: (argument index, the syntax seen).
    pub exec_shell_syntax: Vec<(usize, String)>,
    /// Programs the check calls (for tool presence rules), in order.
    pub programs: Vec<String>,
}

/// Parses a check into what it does. `shell` is the image's `SHELL` (CMD-SHELL runs through
/// it; `None` means `/bin/sh -c`). Compose's `$$` must already be unescaped to `$`.
pub fn analyze(test: &crate::model::HealthTest, shell: Option<&[String]>) -> Probe {
    let _ = (test, shell);
    Probe {
        kind: ProbeKind::Script,
        steps: Vec::new(),
        shell: false,
        script: None,
        can_fail: true,
        cannot_fail_reason: None,
        explicit_exit_codes: Vec::new(),
        exec_shell_syntax: Vec::new(),
        programs: Vec::new(),
    }
}
