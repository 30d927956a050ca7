//! Each command read the way its own tool reads its arguments: which flag names the host, which
//! one takes a value (so the value is not mistaken for the URL), whether `-f` hides in `-fsS`.
//! The facts per tool live in `rules/probe-tools.toml`; the code here holds only the logic the
//! data cannot express (curl's fail flags, `ps | grep` self-matches, one-liner scripts).

use std::collections::HashMap;
use std::sync::OnceLock;

use regex::{Regex, RegexBuilder};
use serde::Deserialize;

use super::shell::SimpleCmd;
use super::target::{self, parse_dev_tcp, parse_host_port, parse_url};
use super::{ProbeKind, ProbeStep, Target, WHOLE_COMMAND_LINE};

const DATA: &str = include_str!("../../rules/probe-tools.toml");

#[derive(Debug, Deserialize)]
struct Data {
    schemes: HashMap<String, u16>,
    shell: ShellData,
    wrapper: Vec<Wrapper>,
    url_kinds: HashMap<String, ProbeKind>,
    tool: Vec<Tool>,
    interpreter: InterpreterData,
}

#[derive(Debug, Deserialize)]
struct ShellData {
    posix: Vec<String>,
    builtins: Vec<String>,
    always_succeeds: Vec<String>,
    always_succeeds_in_pipe: Vec<String>,
    filters: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct Wrapper {
    names: Vec<String>,
    skip: usize,
    #[serde(default)]
    values: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Tool {
    names: Vec<String>,
    kind: ProbeKind,
    #[serde(default)]
    handler: Option<String>,
    #[serde(default)]
    scheme: Option<String>,
    #[serde(default)]
    host: Vec<String>,
    #[serde(default)]
    port: Vec<String>,
    #[serde(default)]
    addr: Vec<String>,
    #[serde(default)]
    url: Vec<String>,
    #[serde(default)]
    values: Vec<String>,
    #[serde(default)]
    value_short: String,
    #[serde(default)]
    positional: Option<String>,
    #[serde(default)]
    fail_flags: Vec<String>,
    #[serde(default)]
    fail_short: String,
    #[serde(default)]
    fails_on_http_error: Option<bool>,
    #[serde(default)]
    code: Vec<String>,
    #[serde(default)]
    attached: Vec<String>,
    #[serde(default)]
    long_single_dash: bool,
}

#[derive(Debug, Deserialize)]
struct InterpreterData {
    http: Vec<String>,
    tcp: Vec<String>,
    file: Vec<String>,
    file_freshness: Vec<String>,
    status_checks: Vec<String>,
}

/// `rules/probe-tools.toml`, parsed once, with its regexes compiled.
#[derive(Debug)]
pub(crate) struct Knowledge {
    data: Data,
    by_name: HashMap<String, usize>,
    http: Regexes,
    tcp: Regexes,
    file: Regexes,
    file_freshness: Regexes,
    status_checks: Regexes,
}

/// Interpreter one-liner patterns, compiled the first time a `node -e`/`python -c` check is
/// read: most projects have none, and compiling them up front cost every lint.
#[derive(Debug)]
struct Regexes {
    patterns: Vec<String>,
    compiled: OnceLock<Vec<Regex>>,
}

impl Regexes {
    fn new(patterns: &[String]) -> Self {
        Regexes {
            patterns: patterns.to_vec(),
            compiled: OnceLock::new(),
        }
    }

    fn get(&self) -> &[Regex] {
        self.compiled.get_or_init(|| {
            self.patterns
                .iter()
                .map(|p| Regex::new(p).expect("regexes in rules/probe-tools.toml compile"))
                .collect()
        })
    }
}

impl Knowledge {
    fn tool(&self, name: &str) -> Option<&Tool> {
        let i = self
            .by_name
            .get(name)
            .or_else(|| self.by_name.get(name.strip_suffix(".sh")?))?;
        self.data.tool.get(*i)
    }
}

pub(crate) fn knowledge() -> &'static Knowledge {
    static K: OnceLock<Knowledge> = OnceLock::new();
    K.get_or_init(|| {
        // The file is embedded at build time and a unit test parses it, so a failure here is a
        // broken build, not bad input.
        let data: Data = toml::from_str(DATA).expect("rules/probe-tools.toml is valid");
        let mut by_name = HashMap::new();
        for (i, t) in data.tool.iter().enumerate() {
            for n in &t.names {
                by_name.entry(n.clone()).or_insert(i);
            }
        }
        Knowledge {
            http: Regexes::new(&data.interpreter.http),
            tcp: Regexes::new(&data.interpreter.tcp),
            file: Regexes::new(&data.interpreter.file),
            file_freshness: Regexes::new(&data.interpreter.file_freshness),
            status_checks: Regexes::new(&data.interpreter.status_checks),
            by_name,
            data,
        }
    })
}

pub(crate) fn default_port(scheme: &str) -> Option<u16> {
    knowledge()
        .data
        .schemes
        .get(&scheme.to_ascii_lowercase())
        .copied()
}

pub(crate) fn basename(program: &str) -> &str {
    program.rsplit('/').next().unwrap_or(program)
}

fn contains(list: &[String], name: &str) -> bool {
    list.iter().any(|n| n == name)
}

pub(crate) fn is_posix_shell(program: &str, know: &Knowledge) -> bool {
    contains(&know.data.shell.posix, basename(program))
}

pub(crate) fn is_builtin(name: &str, know: &Knowledge) -> bool {
    contains(&know.data.shell.builtins, name)
}

pub(crate) fn always_succeeds(name: &str, know: &Knowledge) -> bool {
    contains(&know.data.shell.always_succeeds, name)
}

/// Redirections that cannot make a command fail.
pub(crate) fn harmless_redirect(target: &str) -> bool {
    matches!(
        target,
        "/dev/null" | "/dev/stdout" | "/dev/stderr" | "/proc/1/fd/1" | "/proc/1/fd/2" | "-"
    ) || target.starts_with('&')
        || (!target.is_empty() && target.chars().all(|c| c.is_ascii_digit()))
}

/// The last command of a pipeline that exits 0 whatever it reads (`| cat`, `| tee log`).
pub(crate) fn sink_always_succeeds(cmd: &SimpleCmd, know: &Knowledge) -> bool {
    let argv = cmd.tool_argv();
    let Some(first) = argv.first() else {
        return false;
    };
    let name = basename(first);
    if !contains(&know.data.shell.always_succeeds_in_pipe, name) {
        return false;
    }
    if matches!(name, "tr" | "cut" | "tee") {
        return true;
    }
    // With file operands the command can fail on a missing file.
    argv[1..]
        .iter()
        .all(|a| a.starts_with('-') || a.chars().all(|c| c.is_ascii_digit()))
}

/// Options a shell was started with that change exit statuses.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct ShellOpts {
    pub pipefail: bool,
    pub errexit: bool,
}

pub(crate) fn shell_options(argv: &[String]) -> ShellOpts {
    let mut opts = ShellOpts::default();
    for (i, a) in argv.iter().enumerate().skip(1) {
        if a == "-o" && argv.get(i + 1).map(String::as_str) == Some("pipefail") {
            opts.pipefail = true;
        }
        if a.starts_with('-') && !a.starts_with("--") && a.contains('e') {
            opts.errexit = true;
        }
    }
    opts
}

/// For `sh -c 'script'` (also `bash -lc`, `busybox sh -c`, `su user -c`): the index of the
/// script in `argv` and the options the shell gets.
pub(crate) fn shell_script_arg(argv: &[String], know: &Knowledge) -> Option<(usize, ShellOpts)> {
    let name = basename(argv.first()?);
    let mut start = 0;
    if name == "su" || name == "runuser" {
        let i = argv
            .iter()
            .position(|a| a == "-c" || a == "--command" || a == "-lc")?;
        return (i + 1 < argv.len()).then_some((i + 1, ShellOpts::default()));
    }
    if name == "busybox" {
        if !is_posix_shell(argv.get(1)?, know) {
            return None;
        }
        start = 1;
    } else if !is_posix_shell(name, know) {
        return None;
    }
    let mut opts = ShellOpts::default();
    let mut has_c = false;
    let mut j = start + 1;
    while j < argv.len() {
        let a = argv[j].as_str();
        if a == "-o" || a == "+o" {
            if argv.get(j + 1).map(String::as_str) == Some("pipefail") {
                opts.pipefail = a == "-o";
            }
            j += 2;
            continue;
        }
        if a == "--" {
            j += 1;
            break;
        }
        if a.starts_with("--") {
            j += if matches!(a, "--rcfile" | "--init-file") {
                2
            } else {
                1
            };
            continue;
        }
        if (a.starts_with('-') || a.starts_with('+')) && a.len() > 1 {
            has_c |= a.contains('c');
            if a.starts_with('-') && a.contains('e') {
                opts.errexit = true;
            }
            if a.ends_with('o') {
                if argv.get(j + 1).map(String::as_str) == Some("pipefail") {
                    opts.pipefail = a.starts_with('-');
                }
                j += 2;
                continue;
            }
            j += 1;
            continue;
        }
        break;
    }
    (has_c && j < argv.len()).then_some((j, opts))
}

/// Index in `argv` of the command a chain of wrappers (`timeout 5`, `gosu user`, `env A=b`,
/// `exec`) finally runs.
pub(crate) fn unwrap_wrappers(argv: &[String], know: &Knowledge) -> usize {
    wrapper_chain(argv, know).last().copied().unwrap_or(0)
}

/// Indexes in `argv` of each program run: the wrappers, then the command they run.
pub(crate) fn wrapper_chain(argv: &[String], know: &Knowledge) -> Vec<usize> {
    let mut chain = vec![0];
    let mut i = 0;
    while i < argv.len() {
        let name = basename(&argv[i]);
        let Some(w) = know.data.wrapper.iter().find(|w| contains(&w.names, name)) else {
            break;
        };
        if name == "command" && argv.get(i + 1).is_some_and(|a| a == "-v" || a == "-V") {
            break;
        }
        let mut j = i + 1;
        let mut skipped = 0;
        while j < argv.len() {
            let a = argv[j].as_str();
            if a == "--" {
                j += 1;
                break;
            }
            if a.starts_with('-') && a.len() > 1 {
                j += if contains(&w.values, a) { 2 } else { 1 };
                continue;
            }
            if name == "env" && a.contains('=') {
                j += 1;
                continue;
            }
            if skipped < w.skip {
                skipped += 1;
                j += 1;
                continue;
            }
            break;
        }
        if j >= argv.len() {
            break;
        }
        i = j;
        chain.push(i);
    }
    chain
}

/// Arguments split the way a getopt-style tool splits them.
#[derive(Debug, Default)]
struct Parsed {
    /// (flag as written without `=value`, value, index of the value's argument).
    flags: Vec<(String, Option<String>)>,
    /// Indexes into the argument list.
    positionals: Vec<usize>,
}

impl Parsed {
    fn has(&self, names: &[&str]) -> bool {
        self.flags.iter().any(|(f, _)| names.contains(&f.as_str()))
    }

    fn value(&self, names: &[String]) -> Option<&str> {
        self.flags
            .iter()
            .find(|(f, v)| v.is_some() && contains(names, f))
            .and_then(|(_, v)| v.as_deref())
    }

    fn values_of<'a>(&'a self, names: &'a [&str]) -> impl Iterator<Item = &'a str> + 'a {
        self.flags
            .iter()
            .filter(move |(f, _)| names.contains(&f.as_str()))
            .filter_map(|(_, v)| v.as_deref())
    }
}

/// Splits `args` (without the program). `takes_value` names flags that consume the next
/// argument; `value_short` lists letters that do so inside a bundle; `attached` flags take only
/// an attached value (mysql's `-pSECRET`).
fn parse_args(args: &[String], tool: &Tool) -> Parsed {
    let takes_value = |f: &str| {
        contains(&tool.values, f)
            || contains(&tool.host, f)
            || contains(&tool.port, f)
            || contains(&tool.addr, f)
            || contains(&tool.url, f)
            || contains(&tool.code, f)
    };
    let mut p = Parsed::default();
    let mut i = 0;
    while i < args.len() {
        let a = args[i].as_str();
        if a == "--" {
            p.positionals.extend(i + 1..args.len());
            break;
        }
        if contains(&tool.attached, a) {
            p.flags.push((a.to_owned(), None));
            i += 1;
            continue;
        }
        if takes_value(a) {
            p.flags.push((a.to_owned(), args.get(i + 1).cloned()));
            i += 2;
            continue;
        }
        if a.starts_with('-') && a.len() > 1 {
            if let Some((name, value)) = a.split_once('=') {
                p.flags.push((name.to_owned(), Some(value.to_owned())));
                i += 1;
                continue;
            }
            if a.starts_with("--") || tool.long_single_dash {
                p.flags.push((a.to_owned(), None));
                i += 1;
                continue;
            }
            // A bundle of single-letter flags; the first one taking a value ends it.
            let letters: Vec<(usize, char)> = a.char_indices().skip(1).collect();
            let mut consumed_next = false;
            for (pos, c) in letters {
                let flag = format!("-{c}");
                let rest = &a[pos + c.len_utf8()..];
                if contains(&tool.attached, &flag) {
                    p.flags.push((flag, Some(rest.to_owned())));
                    break;
                }
                if takes_value(&flag) || tool.value_short.contains(c) {
                    if rest.is_empty() {
                        p.flags.push((flag, args.get(i + 1).cloned()));
                        consumed_next = true;
                    } else {
                        p.flags.push((flag, Some(rest.to_owned())));
                    }
                    break;
                }
                p.flags.push((flag, None));
            }
            i += if consumed_next { 2 } else { 1 };
            continue;
        }
        p.positionals.push(i);
        i += 1;
    }
    p
}

fn kind_of_scheme(scheme: Option<&str>, know: &Knowledge) -> Option<ProbeKind> {
    know.data.url_kinds.get(scheme?).copied()
}

/// What one command of a pipeline probes, if anything.
pub(crate) fn classify(pipeline: &[SimpleCmd], i: usize, know: &Knowledge) -> Option<ProbeStep> {
    let cmd = pipeline.get(i)?;
    let argv = cmd.tool_argv();
    let mut step = ProbeStep {
        tool: argv.first().cloned().unwrap_or_default(),
        argv: argv.to_vec(),
        range: cmd.range,
        arg_ranges: cmd.tool_ranges().to_vec(),
        ..ProbeStep::default()
    };
    if let Some(t) = cmd.redirects.iter().find_map(|r| parse_dev_tcp(r)) {
        // bash opens the connection for the redirection; the command itself hardly matters,
        // and may be missing (`</dev/tcp/localhost/80`).
        if step.tool.is_empty() {
            step.tool = "/dev/tcp".to_owned();
        }
        step.kind = ProbeKind::Tcp;
        step.target = Some(t);
        return Some(step);
    }
    let first = argv.first()?;
    let name = basename(first);
    if cmd.inner_walked {
        return None;
    }
    if argv.iter().any(|a| a.starts_with("/proc/net/tcp")) {
        step.kind = ProbeKind::PeerConnection;
        step.pattern = greps_after(pipeline, i).first().map(|g| g.pattern.clone());
        return Some(step);
    }
    if is_posix_shell(name, know) {
        // A shell running a script file, or a `-c` script too deep or broken to read.
        step.kind = ProbeKind::Script;
        return Some(step);
    }
    let last_in_pipe = i + 1 == pipeline.len();
    let trivial = match name {
        "true" | ":" => true,
        "exit" => argv.get(1).is_some_and(|c| c.trim() == "0"),
        "echo" | "printf" => last_in_pipe && cmd.redirects.iter().all(|r| harmless_redirect(r)),
        _ => false,
    };
    if trivial {
        step.kind = ProbeKind::Trivial;
        return Some(step);
    }
    if let Some(tool) = know.tool(name) {
        return classify_tool(tool, step, pipeline, i, know);
    }
    if contains(&know.data.shell.filters, name) {
        return None;
    }
    // A program we do not know: if it is handed a URL, it is most likely probing that URL.
    for a in &argv[1..] {
        let candidate = a.split_once('=').map_or(a.as_str(), |(_, v)| v);
        if let Some(t) = parse_url(candidate, None)
            && let Some(kind) = kind_of_scheme(t.scheme.as_deref(), know)
        {
            step.kind = kind;
            step.target = Some(t);
            return Some(step);
        }
    }
    step.kind = ProbeKind::Script;
    Some(step)
}

fn classify_tool(
    tool: &Tool,
    mut step: ProbeStep,
    pipeline: &[SimpleCmd],
    i: usize,
    know: &Knowledge,
) -> Option<ProbeStep> {
    let cmd = &pipeline[i];
    let argv = cmd.tool_argv();
    let args = &argv[1..];
    let parsed = parse_args(args, tool);
    step.kind = tool.kind;
    match tool.handler.as_deref() {
        Some("http") => http_tool(tool, &mut step, args, &parsed, know),
        Some("interpreter") => interpreter(tool, &mut step, args, &parsed, know),
        Some("pgrep") => {
            let full = parsed.has(&["-f", "--full"]);
            let exact = parsed.has(&["-x", "--exact"]);
            let icase = parsed.has(&["-i", "--ignore-case"]);
            let pattern = parsed.positionals.first().map(|&p| args[p].clone())?;
            let mut re_text = pattern.clone();
            if exact {
                re_text = format!("^(?:{pattern})$");
            }
            let re = posix_regex(&re_text, Dialect::Extended, icase);
            step.matches_own_shell = own_process_lines(cmd, full)
                .iter()
                .any(|line| re.is_match(line));
            step.pattern = Some(pattern);
            step.full_command_line = full;
        }
        Some("pidof") => {
            let names: Vec<&str> = parsed
                .positionals
                .iter()
                .map(|&p| args[p].as_str())
                .collect();
            if names.is_empty() {
                return None;
            }
            step.matches_own_shell = own_process_lines(cmd, false)
                .iter()
                .any(|line| names.contains(&line.as_str()));
            step.pattern = Some(names.join(" "));
        }
        Some("ps") => ps(&mut step, &parsed, pipeline, i),
        Some("service") => {
            // `service nginx status`: the init script looks for the daemon's pid.
            let [name, action, ..] = parsed.positionals.as_slice() else {
                return None;
            };
            if args[*action] != "status" {
                return None;
            }
            step.pattern = Some(args[*name].clone());
        }
        Some("kill") => {
            if !(parsed.has(&["-0"]) || parsed.values_of(&["-s", "-n"]).any(|v| v == "0")) {
                return None;
            }
            step.pattern = parsed
                .positionals
                .iter()
                .map(|&p| args[p].clone())
                .find(|a| a != "-0");
        }
        Some("netstat") => {
            let greps = greps_after(pipeline, i);
            let pattern = greps.iter().find(|g| !g.invert).map(|g| g.pattern.clone());
            step.pattern = pattern.or_else(|| {
                args.iter()
                    .any(|a| a.eq_ignore_ascii_case("established"))
                    .then(|| "state established".to_owned())
            });
        }
        Some("test") => {
            let file_ops = [
                "-e", "-f", "-d", "-s", "-r", "-w", "-x", "-L", "-h", "-p", "-S", "-b", "-c", "-g",
                "-u", "-k", "-O", "-G", "-N",
            ];
            let at = args
                .iter()
                .position(|a| file_ops.contains(&a.as_str()))
                .filter(|&p| p + 1 < args.len() && args[p + 1] != "]")?;
            step.file_path = Some(args[at + 1].clone());
            step.checks_freshness = args
                .iter()
                .any(|a| matches!(a.as_str(), "-nt" | "-ot" | "-N"));
        }
        Some("find") => {
            let end = args
                .iter()
                .position(|a| a.starts_with('-') || a == "(" || a == "!")
                .unwrap_or(args.len());
            step.file_path = args[..end].first().cloned();
            step.checks_freshness = args.iter().any(|a| {
                matches!(
                    a.as_str(),
                    "-mmin"
                        | "-mtime"
                        | "-amin"
                        | "-atime"
                        | "-cmin"
                        | "-ctime"
                        | "-newer"
                        | "-newermt"
                        | "-newerct"
                )
            });
        }
        Some("stat") => {
            step.file_path = parsed.positionals.last().map(|&p| args[p].clone());
            step.file_path.as_ref()?;
            let format = parsed
                .values_of(&["-c", "--format", "--printf"])
                .collect::<String>();
            step.checks_freshness = ["%Y", "%Z", "%X", "%y", "%z", "%W", "%w"]
                .iter()
                .any(|f| format.contains(f));
        }
        Some("date") => {
            let file = parsed.values_of(&["-r", "--reference"]).next()?;
            step.file_path = Some(file.to_owned());
            step.checks_freshness = true;
        }
        _ => generic_target(tool, &mut step, args, &parsed),
    }
    Some(step)
}

fn http_tool(
    tool: &Tool,
    step: &mut ProbeStep,
    args: &[String],
    parsed: &Parsed,
    know: &Knowledge,
) {
    let fail = parsed.flags.iter().any(|(f, _)| {
        contains(&tool.fail_flags, f)
            || (f.len() == 2
                && !f.starts_with("--")
                && f[1..].chars().all(|c| tool.fail_short.contains(c)))
    });
    step.fails_on_http_error = Some(tool.fails_on_http_error.unwrap_or(false) || fail);
    let scheme = tool.scheme.as_deref();
    let from_flag = parsed.value(&tool.url).and_then(|u| parse_url(u, scheme));
    let positionals: Vec<&str> = parsed
        .positionals
        .iter()
        .map(|&p| args[p].as_str())
        .filter(|a| !is_http_method(a))
        .collect();
    let url = from_flag
        .or_else(|| {
            positionals
                .iter()
                .filter(|a| a.contains("://"))
                .find_map(|a| parse_url(a, scheme))
        })
        .or_else(|| positionals.iter().find_map(|a| parse_url(a, scheme)));
    if let Some(t) = &url
        && let Some(kind) = kind_of_scheme(t.scheme.as_deref(), know)
    {
        step.kind = kind;
    }
    step.target = url;
}

fn is_http_method(a: &str) -> bool {
    matches!(
        a,
        "GET" | "HEAD" | "POST" | "PUT" | "DELETE" | "PATCH" | "OPTIONS"
    )
}

/// `node -e`, `python -c`, `ruby -e`, `php -r`, `perl -e` one-liners.
fn interpreter(
    tool: &Tool,
    step: &mut ProbeStep,
    args: &[String],
    parsed: &Parsed,
    know: &Knowledge,
) {
    let code = parsed
        .flags
        .iter()
        .find(|(f, v)| v.is_some() && contains(&tool.code, f))
        .and_then(|(_, v)| v.clone())
        .or_else(|| {
            // `deno eval 'code'`
            let first = *parsed.positionals.first()?;
            (args[first] == "eval").then(|| args.get(first + 1).cloned())?
        });
    let Some(code) = code else {
        step.kind = ProbeKind::Script;
        return;
    };
    if let Some(m) = know.http.get().iter().find_map(|r| r.find(&code)) {
        step.kind = ProbeKind::Http;
        step.fails_on_http_error = Some(know.status_checks.get().iter().any(|r| r.is_match(&code)));
        step.target = url_in_code(&code)
            .or_else(|| object_target(&code))
            .or_else(|| host_port_in_code(&code[m.start()..]));
        if let Some(t) = &step.target
            && let Some(kind) = kind_of_scheme(t.scheme.as_deref(), know)
        {
            step.kind = kind;
        }
    } else if let Some(m) = know.tcp.get().iter().find_map(|r| r.find(&code)) {
        step.kind = ProbeKind::Tcp;
        step.target = host_port_in_code(&code[m.start()..]).map(|mut t| {
            t.scheme = Some("tcp".to_owned());
            t
        });
    } else if know.file.get().iter().any(|r| r.is_match(&code)) {
        static PATH: OnceLock<Regex> = OnceLock::new();
        let path =
            PATH.get_or_init(|| Regex::new(r#"['"](/[^'"\s]+)['"]"#).expect("constant regex"));
        step.kind = ProbeKind::File;
        step.file_path = path
            .captures(&code)
            .and_then(|c| Some(c.get(1)?.as_str().to_owned()));
        step.checks_freshness = know.file_freshness.get().iter().any(|r| r.is_match(&code));
    } else {
        step.kind = ProbeKind::Script;
    }
}

fn url_in_code(code: &str) -> Option<Target> {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re =
        RE.get_or_init(|| Regex::new(r#"(?:https?|wss?)://[^\s'"`)\\]+"#).expect("constant regex"));
    let m = re.find(code)?;
    parse_url(m.as_str().trim_end_matches([',', ';', '.']), None)
}

/// `http.get({host: 'localhost', port: 3000, path: '/health'})`.
fn object_target(code: &str) -> Option<Target> {
    static RE: OnceLock<[Regex; 3]> = OnceLock::new();
    let [port, host, path] = RE.get_or_init(|| {
        [
            Regex::new(r"\bport\s*:\s*(\d{1,5})").expect("constant regex"),
            Regex::new(r#"\bhost(?:name)?\s*:\s*['"]([^'"]+)['"]"#).expect("constant regex"),
            Regex::new(r#"\bpath\s*:\s*['"]([^'"]+)['"]"#).expect("constant regex"),
        ]
    });
    let port = port.captures(code)?.get(1)?.as_str();
    let mut t = Target {
        scheme: Some("http".to_owned()),
        host: host
            .captures(code)
            .and_then(|c| c.get(1))
            .map_or("localhost", |m| m.as_str())
            .to_owned(),
        path: path
            .captures(code)
            .and_then(|c| Some(c.get(1)?.as_str().to_owned())),
        ..Target::default()
    };
    target::set_port(&mut t, port);
    Some(t)
}

/// The first host-like string and port number after a connect call.
fn host_port_in_code(code: &str) -> Option<Target> {
    static RE: OnceLock<(Regex, Regex)> = OnceLock::new();
    let (host_re, port_re) = RE.get_or_init(|| {
        (
            Regex::new(r#"['"]([A-Za-z0-9_.\-]+|\[[0-9A-Fa-f:]+\])['"]"#).expect("constant regex"),
            Regex::new(r"(?:^|[^\w.$])(\d{2,5})\b").expect("constant regex"),
        )
    });
    const MODULES: [&str; 10] = [
        "os",
        "net",
        "http",
        "https",
        "socket",
        "url",
        "dns",
        "tls",
        "urllib",
        "child_process",
    ];
    let host = if code.contains("hostname()") || code.contains("gethostname()") {
        Some("$(hostname)".to_owned())
    } else {
        host_re
            .captures_iter(code)
            .filter_map(|c| c.get(1))
            .map(|m| m.as_str())
            .find(|h| !MODULES.contains(h))
            .map(str::to_owned)
    };
    let port = port_re
        .captures_iter(code)
        .filter_map(|c| c.get(1)?.as_str().parse::<u16>().ok())
        .find(|p| *p > 0);
    if host.is_none() && port.is_none() {
        return None;
    }
    Some(Target {
        host: host.unwrap_or_else(|| "localhost".to_owned()),
        port,
        ..Target::default()
    })
}

/// Host, port, address and URL flags, and positionals, per the tool's data.
fn generic_target(tool: &Tool, step: &mut ProbeStep, args: &[String], parsed: &Parsed) {
    let scheme = tool.scheme.as_deref();
    let positionals: Vec<&str> = parsed
        .positionals
        .iter()
        .map(|&p| args[p].as_str())
        .collect();
    let mut target = parsed
        .value(&tool.url)
        .and_then(|u| parse_url(u, None).or_else(|| parse_host_port(u).filter(|_| u.contains(':'))))
        .or_else(|| parsed.value(&tool.addr).and_then(parse_host_port));
    if target.is_none() {
        target = match tool.positional.as_deref() {
            Some("url") => positionals.iter().find_map(|a| parse_url(a, scheme)),
            Some("addr") => positionals
                .iter()
                .filter(|a| a.contains(':'))
                .find_map(|a| parse_host_port(a)),
            Some("host-port") => match positionals.as_slice() {
                [] => None,
                [one] => parse_host_port(one),
                [host, port, ..] => {
                    let mut t = Target {
                        host: (*host).to_owned(),
                        ..Target::default()
                    };
                    target::set_port(&mut t, port);
                    Some(t)
                }
            },
            _ => None,
        };
    }
    let host = parsed.value(&tool.host);
    let port = parsed.value(&tool.port);
    let knows_target = !(tool.host.is_empty()
        && tool.port.is_empty()
        && tool.addr.is_empty()
        && tool.url.is_empty()
        && tool.positional.is_none());
    if target.is_none() && (knows_target || host.is_some() || port.is_some()) {
        target = Some(Target {
            host: "localhost".to_owned(),
            ..Target::default()
        });
    }
    if let Some(t) = &mut target {
        if let Some(h) = host {
            t.host = h.to_owned();
        }
        if let Some(p) = port {
            t.port = None;
            t.port_text = None;
            target::set_port(t, p);
        }
        if t.scheme.is_none() {
            t.scheme = scheme.map(str::to_owned);
        }
    }
    step.target = target;
}

/// The text lines a process lookup sees of processes the check itself runs: the shells
/// around the command (full command lines, or only their names).
fn own_process_lines(cmd: &SimpleCmd, full: bool) -> Vec<String> {
    cmd.shells
        .iter()
        .map(|line| {
            if full {
                line.clone()
            } else {
                let argv0 = line.split_whitespace().next().unwrap_or("");
                basename(argv0).to_owned()
            }
        })
        .collect()
}

/// One `grep` filtering a pipeline.
struct Grep {
    pattern: String,
    invert: bool,
    re: Regex,
    /// The grep process's own command line, as `ps` shows it.
    line: String,
}

fn greps_after(pipeline: &[SimpleCmd], i: usize) -> Vec<Grep> {
    let mut out = Vec::new();
    for cmd in pipeline.iter().skip(i + 1) {
        let argv = cmd.tool_argv();
        let Some(first) = argv.first() else { break };
        let name = basename(first);
        let dialect = match name {
            "grep" => Dialect::Basic,
            "egrep" => Dialect::Extended,
            "fgrep" => Dialect::Fixed,
            _ => continue,
        };
        let spec = Tool {
            values: [
                "-e",
                "--regexp",
                "-f",
                "--file",
                "-m",
                "--max-count",
                "-A",
                "-B",
                "-C",
            ]
            .iter()
            .map(|s| (*s).to_owned())
            .collect(),
            ..Tool::default()
        };
        let args = &argv[1..];
        let parsed = parse_args(args, &spec);
        let dialect = if parsed.has(&["-E", "--extended-regexp"]) {
            Dialect::Extended
        } else if parsed.has(&["-F", "--fixed-strings"]) {
            Dialect::Fixed
        } else if parsed.has(&["-G", "--basic-regexp"]) {
            Dialect::Basic
        } else {
            dialect
        };
        let pattern = parsed
            .values_of(&["-e", "--regexp"])
            .next()
            .map(str::to_owned)
            .or_else(|| parsed.positionals.first().map(|&p| args[p].clone()));
        let Some(pattern) = pattern else { continue };
        let icase = parsed.has(&["-i", "--ignore-case", "-y"]);
        let mut re = translate(&pattern, dialect);
        if parsed.has(&["-w", "--word-regexp"]) {
            re = format!(r"\b(?:{re})\b");
        }
        if parsed.has(&["-x", "--line-regexp"]) {
            re = format!("^(?:{re})$");
        }
        out.push(Grep {
            invert: parsed.has(&["-v", "--invert-match"]),
            re: build_regex(&re, &pattern, icase),
            pattern,
            line: argv.join(" "),
        });
    }
    out
}

/// `ps ... | grep PATTERN`: `ps` lists the `grep` itself and the shell running the pipeline,
/// so the check finds them unless a later `grep -v` drops them (`grep -v grep`) or the pattern
/// cannot match its own text (`[n]ode`).
fn ps(step: &mut ProbeStep, parsed: &Parsed, pipeline: &[SimpleCmd], i: usize) {
    let cmd = &pipeline[i];
    let formats: String = parsed.values_of(&["-o", "--format"]).collect();
    let full = formats.is_empty()
        || formats.contains("args")
        || formats.contains("cmd")
        || formats.contains("command");
    if let Some(name) = parsed.values_of(&["-C"]).next() {
        step.pattern = Some(name.to_owned());
        step.full_command_line = false;
        return;
    }
    let greps = greps_after(pipeline, i);
    step.full_command_line = full;
    step.pattern = greps.iter().find(|g| !g.invert).map(|g| g.pattern.clone());
    if step.pattern.is_none() {
        return;
    }
    let mut lines = own_process_lines(cmd, full);
    for g in &greps {
        lines.push(if full {
            g.line.clone()
        } else {
            basename(g.line.split_whitespace().next().unwrap_or("")).to_owned()
        });
    }
    step.matches_own_shell = lines
        .iter()
        .any(|line| greps.iter().all(|g| g.re.is_match(line) != g.invert));
}

/// Regular expression dialects of the POSIX tools.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Dialect {
    /// grep's default: `\(`, `\|`, `\+` are the operators, bare ones are literal.
    Basic,
    /// `grep -E`, `pgrep`.
    Extended,
    /// `grep -F`.
    Fixed,
}

/// Compiles a POSIX pattern for the regex crate. Never fails: a pattern it cannot translate is
/// matched as literal text.
pub(crate) fn posix_regex(pattern: &str, dialect: Dialect, icase: bool) -> Regex {
    build_regex(&translate(pattern, dialect), pattern, icase)
}

fn build_regex(translated: &str, original: &str, icase: bool) -> Regex {
    let build = |p: &str| {
        RegexBuilder::new(p)
            .case_insensitive(icase)
            .size_limit(1 << 20)
            .build()
    };
    build(translated)
        .or_else(|_| build(&regex::escape(original)))
        .unwrap_or_else(|_| Regex::new(r"\b\B").expect("constant regex"))
}

fn translate(p: &str, dialect: Dialect) -> String {
    if dialect == Dialect::Fixed {
        return regex::escape(p);
    }
    let chars: Vec<char> = p.chars().collect();
    let mut out = String::with_capacity(p.len() + 8);
    let mut i = 0;
    // Where a `*` has nothing to repeat and is literal.
    let mut at_start = true;
    while i < chars.len() {
        let c = chars[i];
        if c == '\\' && i + 1 < chars.len() {
            let d = chars[i + 1];
            i += 2;
            match d {
                '<' | '>' => out.push_str(r"\b"),
                '(' | ')' | '{' | '}' | '|' | '+' | '?' if dialect == Dialect::Basic => {
                    out.push(d);
                    at_start = matches!(d, '(' | '|');
                    continue;
                }
                'w' | 'W' | 's' | 'S' | 'b' | 'B' => {
                    out.push('\\');
                    out.push(d);
                }
                _ => out.push_str(&regex::escape(&d.to_string())),
            }
            at_start = false;
            continue;
        }
        if c == '[' {
            if let Some((class, next)) = bracket(&chars, i) {
                out.push_str(&class);
                i = next;
            } else {
                out.push_str(r"\[");
                i += 1;
            }
            at_start = false;
            continue;
        }
        match c {
            '(' | ')' | '{' | '}' | '|' | '+' | '?' if dialect == Dialect::Basic => {
                out.push('\\');
                out.push(c);
            }
            '*' if at_start => out.push_str(r"\*"),
            '{' if !chars.get(i + 1).is_some_and(char::is_ascii_digit) => out.push_str(r"\{"),
            '}' => {
                // Closes an interval only when one is open.
                if out
                    .rfind('{')
                    .is_some_and(|o| !out[o..].contains('}') && !out[..o].ends_with('\\'))
                {
                    out.push('}');
                } else {
                    out.push_str(r"\}");
                }
            }
            _ => out.push(c),
        }
        at_start = dialect == Dialect::Extended && matches!(c, '(' | '|');
        i += 1;
    }
    out
}

/// A POSIX bracket expression starting at `chars[i] == '['`, as a regex-crate class.
fn bracket(chars: &[char], i: usize) -> Option<(String, usize)> {
    let mut j = i + 1;
    let mut out = String::from("[");
    if chars.get(j) == Some(&'^') {
        out.push('^');
        j += 1;
    }
    if chars.get(j) == Some(&']') {
        out.push_str(r"\]");
        j += 1;
    }
    while j < chars.len() {
        let c = chars[j];
        match c {
            ']' => {
                out.push(']');
                return Some((out, j + 1));
            }
            '[' if matches!(chars.get(j + 1), Some(':' | '.' | '=')) => {
                let kind = chars[j + 1];
                let close = (j + 2..chars.len().saturating_sub(1))
                    .find(|&k| chars[k] == kind && chars[k + 1] == ']')?;
                if kind == ':' {
                    out.extend(&chars[j..close + 2]);
                } else {
                    for ch in &chars[j + 2..close] {
                        out.push_str(&regex::escape(&ch.to_string()));
                    }
                }
                j = close + 2;
            }
            '\\' | '[' | '&' | '~' => {
                out.push('\\');
                out.push(c);
                j += 1;
            }
            '-' if chars.get(j + 1) == Some(&'-') => {
                out.push_str(r"\-");
                j += 1;
            }
            _ => {
                out.push(c);
                j += 1;
            }
        }
    }
    None
}

/// Shell syntax in an exec-form argv, where no shell will read it.
pub(crate) fn exec_shell_syntax(argv: &[String], know: &Knowledge) -> Vec<(usize, String)> {
    static VAR: OnceLock<Regex> = OnceLock::new();
    let var = VAR.get_or_init(|| {
        Regex::new(r"\$\{[A-Za-z_][A-Za-z0-9_]*[^}]*\}|\$[A-Za-z_][A-Za-z0-9_]*")
            .expect("constant regex")
    });
    let mut out = Vec::new();
    let Some(first) = argv.first() else {
        return out;
    };
    if first.trim().contains(char::is_whitespace) {
        out.push((0, WHOLE_COMMAND_LINE.to_owned()));
    }
    // Arguments other programs interpret: a shell's script, a one-liner's code, SQL.
    let mut opaque = vec![false; argv.len()];
    let tool_at = unwrap_wrappers(argv, know);
    if let Some((script, _)) = shell_script_arg(&argv[tool_at..], know) {
        opaque[tool_at + script] = true;
    }
    const CODE_FLAGS: [&str; 11] = [
        "-c",
        "-e",
        "-E",
        "-r",
        "--eval",
        "--execute",
        "-Q",
        "-q",
        "--query",
        "--command",
        "-p",
    ];
    for (i, a) in argv.iter().enumerate().skip(1) {
        if CODE_FLAGS.contains(&a.as_str()) && i + 1 < argv.len() {
            opaque[i + 1] = true;
        }
        if let Some((flag, _)) = a.split_once('=')
            && CODE_FLAGS.contains(&flag)
        {
            opaque[i] = true;
        }
    }
    for (i, a) in argv.iter().enumerate() {
        if opaque[i] || (i == 0 && !out.is_empty()) {
            continue;
        }
        let t = a.trim();
        match t {
            "||" | "&&" | "|" | ";" | "&" | ";;" => out.push((i, t.to_owned())),
            _ if t.len() > 1 && t.ends_with(';') => out.push((i, ";".to_owned())),
            _ if t.starts_with('>')
                || t.starts_with("1>")
                || t.starts_with("2>")
                || t.starts_with("&>") =>
            {
                out.push((i, ">".to_owned()));
            }
            _ if t.starts_with('<') => out.push((i, "<".to_owned())),
            _ => {}
        }
        if a.contains("$(") {
            out.push((i, "$(".to_owned()));
        }
        if a.contains('`') {
            out.push((i, "`".to_owned()));
        }
        for m in var.find_iter(a) {
            out.push((i, m.as_str().to_owned()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| (*x).to_owned()).collect()
    }

    #[test]
    fn data_parses_and_names_are_unique() {
        let know = knowledge();
        let mut seen = std::collections::HashSet::new();
        for t in &know.data.tool {
            for n in &t.names {
                assert!(
                    seen.insert(n.clone()),
                    "{n} is listed twice in probe-tools.toml"
                );
            }
            if let Some(h) = &t.handler {
                assert!(
                    [
                        "http",
                        "interpreter",
                        "pgrep",
                        "pidof",
                        "ps",
                        "service",
                        "kill",
                        "netstat",
                        "test",
                        "find",
                        "stat",
                        "date"
                    ]
                    .contains(&h.as_str()),
                    "unknown handler {h}"
                );
            }
        }
        assert_eq!(default_port("https"), Some(443));
        assert_eq!(default_port("postgres"), Some(5432));
    }

    #[test]
    fn bundled_short_flags() {
        let know = knowledge();
        let curl = know.tool("curl").unwrap();
        let p = parse_args(&s(&["-sfo", "/dev/null", "http://x"]), curl);
        assert!(p.has(&["-f"]));
        assert_eq!(p.positionals, vec![2]);
        let p = parse_args(&s(&["-H", "X: -f", "http://x"]), curl);
        assert!(!p.has(&["-f"]));
        let mysql = know.tool("mysqladmin").unwrap();
        let p = parse_args(&s(&["-pPassw0rd", "-h127.0.0.1", "ping"]), mysql);
        assert_eq!(p.value(&s(&["-h"])), Some("127.0.0.1"));
        assert_eq!(p.value(&s(&["-P"])), None);
    }

    #[test]
    fn wrappers_are_skipped() {
        let know = knowledge();
        assert_eq!(unwrap_wrappers(&s(&["timeout", "5", "curl", "x"]), know), 2);
        assert_eq!(
            unwrap_wrappers(&s(&["timeout", "-s", "KILL", "5s", "nc"]), know),
            4
        );
        assert_eq!(
            wrapper_chain(&s(&["timeout", "5", "gosu", "u", "pg_isready"]), know),
            [0, 2, 4]
        );
        assert_eq!(
            unwrap_wrappers(&s(&["gosu", "postgres", "pg_isready"]), know),
            2
        );
        assert_eq!(
            unwrap_wrappers(&s(&["env", "A=1", "exec", "curl"]), know),
            3
        );
        assert_eq!(unwrap_wrappers(&s(&["command", "-v", "curl"]), know), 0);
        assert_eq!(unwrap_wrappers(&s(&["timeout"]), know), 0);
    }

    #[test]
    fn shell_wrapper_script_index() {
        let know = knowledge();
        let (i, o) = shell_script_arg(&s(&["bash", "-o", "pipefail", "-c", "x"]), know).unwrap();
        assert_eq!(i, 4);
        assert!(o.pipefail);
        let (i, o) = shell_script_arg(&s(&["/bin/sh", "-ec", "x"]), know).unwrap();
        assert_eq!(i, 2);
        assert!(o.errexit);
        assert_eq!(
            shell_script_arg(&s(&["busybox", "sh", "-c", "x"]), know)
                .unwrap()
                .0,
            3
        );
        assert!(shell_script_arg(&s(&["sh", "/healthcheck.sh"]), know).is_none());
        assert_eq!(
            shell_script_arg(&s(&["su", "postgres", "-c", "x"]), know)
                .unwrap()
                .0,
            3
        );
    }

    #[test]
    fn posix_dialects() {
        let re = posix_regex("node.*bot.js", Dialect::Extended, false);
        assert!(re.is_match("/bin/sh -c pgrep -f 'node.*bot.js' && x"));
        let bre = build_regex(&translate(r"a\(b\|c\)+", Dialect::Basic), "", false);
        assert!(bre.is_match("ab+"));
        assert!(!bre.is_match("abb"));
        let ere = posix_regex("[n]ode", Dialect::Extended, false);
        assert!(ere.is_match("node server.js"));
        assert!(!ere.is_match("grep [n]ode"));
        assert!(posix_regex("*{x", Dialect::Extended, false).is_match("*{x"));
        assert!(posix_regex(r"\<word\>", Dialect::Basic, false).is_match("a word b"));
        assert!(posix_regex("[[:digit:]]+", Dialect::Extended, false).is_match("a1"));
        assert!(posix_regex("a.b", Dialect::Fixed, false).is_match("a.b"));
        assert!(!posix_regex("a.b", Dialect::Fixed, false).is_match("axb"));
        // Unbalanced input never panics.
        let _ = posix_regex("(((", Dialect::Extended, true);
        let _ = posix_regex("[abc", Dialect::Basic, false);
        let _ = posix_regex("\\", Dialect::Basic, false);
    }
}

#[cfg(test)]
mod knowledge_tests {
    use super::knowledge;

    /// The interpreter patterns compile lazily in use; force them here so a bad one fails CI.
    #[test]
    fn interpreter_patterns_compile() {
        let k = knowledge();
        for set in [
            &k.http,
            &k.tcp,
            &k.file,
            &k.file_freshness,
            &k.status_checks,
        ] {
            assert_eq!(set.get().len(), set.patterns.len());
        }
        assert!(!k.http.get().is_empty());
    }
}
