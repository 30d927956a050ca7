//! What a health check really does: the test (exec form, CMD-SHELL, Dockerfile shell form,
//! `sh -c` wrappers, `&&`/`||`/`;`/pipes) parsed into probe steps with their targets, and
//! whether the whole command can fail at all.
//!
//! Shell text goes through brush-parser; the walk in [`shell`] evaluates the exit status
//! abstractly (which codes each path can end with) while it collects every simple command.
//! [`tools`] then reads each command's arguments the way the tool itself would, using the data
//! in `rules/probe-tools.toml`.

use serde::{Deserialize, Serialize};

use crate::model::{HealthTest, TestForm};

mod shell;
mod target;
mod tools;

#[cfg(test)]
mod tests;

pub use target::{parse_host_port, parse_url};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
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

impl ProbeKind {
    /// How much a kind proves about the service, highest first: the probe's overall kind is the
    /// strongest of its steps (`pgrep && netstat ESTABLISHED` is a peer-connection check).
    fn strength(self) -> u8 {
        match self {
            ProbeKind::Http => 10,
            ProbeKind::Ws => 9,
            ProbeKind::Grpc => 8,
            ProbeKind::DbNative => 7,
            ProbeKind::Tcp => 6,
            ProbeKind::PeerConnection => 5,
            ProbeKind::File => 4,
            ProbeKind::Process => 3,
            ProbeKind::Script => 2,
            ProbeKind::Trivial => 1,
            ProbeKind::None => 0,
        }
    }
}

/// Where a network probe goes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Target {
    pub scheme: Option<String>,
    pub host: String,
    pub port: Option<u16>,
    pub path: Option<String>,
    /// The port as written when it is not a number: a variable the shell expands at run time
    /// (`${PORT}`), or a range (`3000-3005`).
    pub port_text: Option<String>,
}

impl Target {
    /// True for hosts that mean "this container". An empty host (`-addr=:50051`) binds or
    /// connects locally, and the container's own hostname resolves to itself.
    pub fn is_local(&self) -> bool {
        let host = self.host.as_str();
        matches!(
            host,
            "" | "localhost"
                | "127.0.0.1"
                | "0.0.0.0"
                | "::1"
                | "[::1]"
                | "::"
                | "[::]"
                | "ip6-localhost"
                | "ip6-loopback"
                | "localhost.localdomain"
                | "$HOSTNAME"
                | "${HOSTNAME}"
                | "$(hostname)"
                | "`hostname`"
        ) || host.starts_with("127.")
    }

    /// The port the probe connects to: the explicit one, else the scheme's default (http 80,
    /// https 443, ws 80, wss 443, and the database protocols of `rules/probe-tools.toml`).
    pub fn effective_port(&self) -> Option<u16> {
        self.port
            .or_else(|| tools::default_port(self.scheme.as_deref()?))
            .filter(|_| self.port_text.is_none())
    }

    /// True when the host is written as an IPv6 literal.
    pub fn is_ipv6_literal(&self) -> bool {
        self.host.starts_with('[') || self.host.matches(':').count() > 1
    }
}

/// One command of the check that probes something.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ProbeStep {
    pub kind: ProbeKind,
    /// The program as called (`curl`, `wget`, `pg_isready`, `/usr/bin/curl`...), after wrappers
    /// such as `timeout 5` or `gosu postgres`.
    pub tool: String,
    /// The tool's argv, starting with the tool, quotes removed.
    pub argv: Vec<String>,
    pub target: Option<Target>,
    /// For HTTP probes: does an HTTP error status make the command fail? `None` when unknown
    /// (a custom binary taking a URL).
    pub fails_on_http_error: Option<bool>,
    /// For process probes: the pattern searched and whether it matches the full command line.
    pub pattern: Option<String>,
    pub full_command_line: bool,
    /// For process probes: the pattern also matches a process the check itself starts (the
    /// `sh -c` running the script, or `grep` in `ps | grep`), so it always finds something.
    /// A command in last position of its script does not count the script's own shell: dash,
    /// bash and busybox sh replace themselves with it (`exec`), so nothing is left to match.
    pub matches_own_shell: bool,
    /// For file probes: the path tested.
    pub file_path: Option<String>,
    /// For file probes: the check compares the file's age (`find -mmin`, `stat -c %Y`,
    /// `date -r`), not only its presence.
    pub checks_freshness: bool,
    /// Byte range of this command within the test text (for exec form, within the joined argv).
    pub range: (usize, usize),
    /// Byte range of each element of `argv`, in the same coordinates as `range`.
    pub arg_ranges: Vec<(usize, usize)>,
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
    /// Exec form whose arguments hold shell syntax: (index into the exec argv, where 0 is the
    /// program, the syntax seen). The syntax is an operator (`||`, `&&`, `|`, `;`, `>`, `<`),
    /// the variable as written (`$PORT`, `${PORT}`), `$(` or `` ` `` for command substitution,
    /// or [`WHOLE_COMMAND_LINE`] when one element holds a whole command line.
    pub exec_shell_syntax: Vec<(usize, String)>,
    /// Programs the check runs, by basename, in the order they start (a `$(...)` before the
    /// command it feeds), including wrappers (`timeout`, `sh`) and what they run. Shell builtins run under a shell are left out (they need no
    /// binary); the implicit `/bin/sh` of CMD-SHELL is left out too (HL208 covers it).
    pub programs: Vec<String>,
    /// Shell variables the script reads (`$NAME`, `${NAME:-x}`), in order, once each.
    pub variables: Vec<String>,
    /// The shell could not parse the script: the parser's message.
    pub parse_error: Option<String>,
}

/// `exec_shell_syntax` marker for `["CMD", "curl -f http://x"]`: the engine looks for a
/// program named `curl -f http://x`.
pub const WHOLE_COMMAND_LINE: &str = "command line in one argument";

/// Parses a check into what it does. `shell` is the image's `SHELL` (CMD-SHELL runs through
/// it; `None` means `/bin/sh -c`). Compose's `$$` must already be unescaped to `$`.
pub fn analyze(test: &HealthTest, shell: Option<&[String]>) -> Probe {
    match &test.form {
        TestForm::Cmd(argv) => {
            let argv: Vec<String> = argv.iter().map(|a| a.value.clone()).collect();
            analyze_exec(&argv)
        }
        TestForm::CmdShell(script) => analyze_shell(&script.value, shell),
        TestForm::None | TestForm::Invalid(_) => Probe {
            kind: ProbeKind::None,
            can_fail: true,
            ..Probe::default()
        },
    }
}

/// Exec form: `argv` runs as is, no shell, unless it is itself a shell wrapper.
pub fn analyze_exec(argv: &[String]) -> Probe {
    let know = tools::knowledge();
    let mut probe = Probe {
        exec_shell_syntax: tools::exec_shell_syntax(argv, know),
        ..Probe::default()
    };
    if argv.is_empty() {
        // `["CMD"]` alone: the engine records "has no command" as a failure.
        probe.can_fail = true;
        return probe;
    }
    let whole_line = probe
        .exec_shell_syntax
        .iter()
        .any(|(_, s)| s == WHOLE_COMMAND_LINE);
    let walked = if whole_line {
        // Nothing by that name exists, so every probe fails; still read what the author
        // meant, so the other rules can speak about it.
        let joined = argv.join(" ");
        let mut walked = shell::walk_script(&joined, shell::ShellSetup::unshelled(), know);
        walked.outcomes = shell::Outcomes::always_fails();
        walked
    } else {
        shell::walk_exec(argv, know)
    };
    finish(&mut probe, walked, know);
    snap_ranges(&mut probe, &argv.join(" "));
    probe
}

/// CMD-SHELL and Dockerfile shell form: `script` runs as `<shell...> <script>`.
pub fn analyze_shell(script: &str, shell: Option<&[String]>) -> Probe {
    let know = tools::knowledge();
    let default_shell = ["/bin/sh".to_owned(), "-c".to_owned()];
    let shell_argv = shell.filter(|s| !s.is_empty()).unwrap_or(&default_shell);
    let mut probe = Probe {
        shell: true,
        script: Some(script.to_owned()),
        ..Probe::default()
    };
    if !tools::is_posix_shell(&shell_argv[0], know) {
        // `SHELL ["powershell", "-Command"]` and the like: not a grammar we read.
        probe.kind = ProbeKind::Script;
        probe.can_fail = true;
        return probe;
    }
    let setup = shell::ShellSetup::from_shell_argv(shell_argv, script);
    let walked = shell::walk_script(script, setup, know);
    finish(&mut probe, walked, know);
    snap_ranges(&mut probe, script);
    probe
}

/// Keeps every range inside the text and on character boundaries, so rules can always slice.
fn snap_ranges(probe: &mut Probe, text: &str) {
    let down = |mut i: usize| {
        i = i.min(text.len());
        while !text.is_char_boundary(i) {
            i -= 1;
        }
        i
    };
    let up = |mut i: usize| {
        i = i.min(text.len());
        while !text.is_char_boundary(i) {
            i += 1;
        }
        i
    };
    let fix = |r: &mut (usize, usize)| {
        let s = down(r.0);
        *r = (s, up(r.1).max(s));
    };
    for step in &mut probe.steps {
        fix(&mut step.range);
        step.arg_ranges.iter_mut().for_each(fix);
    }
}

/// Turns the walk into the public shape: steps, kind, exit status facts.
fn finish(probe: &mut Probe, walked: shell::Walked, know: &tools::Knowledge) {
    let mut steps = Vec::new();
    for pipeline in &walked.pipelines {
        for i in 0..pipeline.len() {
            if let Some(step) = tools::classify(pipeline, i, know) {
                steps.push(step);
            }
        }
    }
    steps.sort_by_key(|s| s.range);
    probe.parse_error = walked.parse_error;
    probe.programs = walked.programs;
    probe.variables = walked.variables;
    if probe.script.is_none() {
        probe.script = walked.first_inner_script;
    }
    probe.shell |= walked.saw_shell;

    if probe.parse_error.is_some() {
        probe.kind = ProbeKind::Script;
        probe.can_fail = true;
        probe.steps = steps;
        return;
    }

    let outcomes = &walked.outcomes;
    probe.can_fail = outcomes.can_fail();
    if !probe.can_fail {
        probe.cannot_fail_reason = Some(outcomes.reason());
    }
    probe.explicit_exit_codes = outcomes.explicit_codes();

    probe.kind = steps
        .iter()
        .map(|s| s.kind)
        .max_by_key(|k| k.strength())
        .unwrap_or(if probe.can_fail {
            ProbeKind::Script
        } else {
            ProbeKind::Trivial
        });
    probe.steps = steps;
}

/// Under CMD-SHELL the engine runs `/bin/sh -c "<script>"`; that shell's command line holds
/// the whole script, so `pgrep -f PATTERN` finds the shell itself whenever the extended regex
/// PATTERN matches the script text.
pub fn pattern_matches_own_shell(pattern: &str, script: &str) -> bool {
    let line = format!("/bin/sh -c {script}");
    tools::posix_regex(pattern, tools::Dialect::Extended, false).is_match(&line)
}
