//! The shell side of a check: brush-parser's AST walked once, collecting every simple command
//! (with its pipeline neighbours, its byte range in the test text and the command lines of the
//! shells running it) and evaluating the exit status abstractly, as the set of codes each path
//! can end with. `sh -c '...'` wrappers and `$(...)` are parsed recursively; offsets of inner
//! scripts are mapped back through the quoting of the word that carried them.

use std::cell::Cell;
use std::io::Cursor;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::rc::Rc;

use brush_parser::ast::{self, SourceLocation};
use brush_parser::word::{self, ParameterExpr, WordPiece, WordPieceWithSource};
use brush_parser::{Parser, ParserOptions, SourceSpan};

use super::tools::{self, Knowledge};

/// `sh -c "sh -c '...'"` nesting we follow; deeper scripts stay opaque.
const MAX_DEPTH: usize = 12;
/// Longer scripts are not health checks; refusing them bounds the work per check.
const MAX_SCRIPT_LEN: usize = 64 * 1024;
/// Bracket nesting the parser is given. brush-parser's arithmetic grammar backtracks
/// exponentially on unbalanced `((` runs (found by fuzzing: 24 levels took half a second, 32
/// never finished); real checks nest a few levels, so deeper scripts stay opaque.
const MAX_NESTING: usize = 16;

/// One exit code a path can end with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Code {
    Exact(i32),
    /// Some non-zero code we cannot name (a command failing).
    Fail,
}

#[derive(Clone, Debug)]
pub(crate) struct Outcome {
    code: Code,
    /// The path ran `exit`: nothing after it in this shell runs.
    exited: bool,
    /// For a constant 0: the construct that forces it, as a sentence for the finding.
    why: Option<Rc<str>>,
}

/// The exit codes a piece of script can end with.
#[derive(Clone, Debug, Default)]
pub(crate) struct Outcomes(Vec<Outcome>);

impl Outcomes {
    fn one(code: Code, exited: bool, why: Option<String>) -> Self {
        Outcomes(vec![Outcome {
            code,
            exited,
            why: why.map(Rc::from),
        }])
    }

    /// A command that may succeed or fail.
    pub(crate) fn unknown() -> Self {
        let mut o = Self::one(Code::Exact(0), false, None);
        o.push(Outcome {
            code: Code::Fail,
            exited: false,
            why: None,
        });
        o
    }

    pub(crate) fn always_fails() -> Self {
        Self::one(Code::Fail, false, None)
    }

    fn zero(why: Option<String>) -> Self {
        Self::one(Code::Exact(0), false, why)
    }

    fn push(&mut self, o: Outcome) {
        if let Some(same) = self
            .0
            .iter_mut()
            .find(|x| x.code == o.code && x.exited == o.exited)
        {
            if same.why.is_none() {
                same.why = o.why;
            }
        } else {
            self.0.push(o);
        }
    }

    fn extend(&mut self, other: Outcomes) {
        for o in other.0 {
            self.push(o);
        }
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub(crate) fn can_fail(&self) -> bool {
        self.0.iter().any(|o| o.code != Code::Exact(0))
    }

    fn all_zero(&self) -> bool {
        !self.0.is_empty() && !self.can_fail()
    }

    fn with_why(mut self, why: &str) -> Self {
        let why: Rc<str> = Rc::from(why);
        for o in &mut self.0 {
            o.why = Some(why.clone());
        }
        self
    }

    /// A subshell or pipeline element: its `exit` ends only itself.
    fn unexit(mut self) -> Self {
        for o in &mut self.0 {
            o.exited = false;
        }
        let mut out = Outcomes::default();
        out.extend(self);
        out
    }

    /// `set -e`: a failing list ends the shell.
    fn errexit(mut self) -> Self {
        for o in &mut self.0 {
            if o.code != Code::Exact(0) {
                o.exited = true;
            }
        }
        self
    }

    fn partition(self, go: impl Fn(&Outcome) -> bool) -> (Outcomes, Outcomes) {
        let (a, b): (Vec<_>, Vec<_>) = self.0.into_iter().partition(|o| !go(o));
        (Outcomes(a), Outcomes(b))
    }

    fn negate(self) -> Self {
        let mut out = Outcomes::default();
        for o in self.0 {
            if o.exited {
                out.push(o);
            } else if o.code == Code::Exact(0) {
                out.push(Outcome {
                    code: Code::Exact(1),
                    exited: false,
                    why: None,
                });
            } else {
                out.push(Outcome {
                    code: Code::Exact(0),
                    exited: false,
                    why: Some(Rc::from("`!` turns every failure into exit 0")),
                });
            }
        }
        out
    }

    pub(crate) fn reason(&self) -> String {
        self.0
            .iter()
            .find_map(|o| o.why.as_deref())
            .unwrap_or("every path through the check exits 0")
            .to_owned()
    }

    pub(crate) fn explicit_codes(&self) -> Vec<i32> {
        let mut codes: Vec<i32> = self
            .0
            .iter()
            .filter_map(|o| match o.code {
                Code::Exact(n) if n != 0 && n != 1 => Some(n),
                _ => None,
            })
            .collect();
        codes.sort_unstable();
        codes.dedup();
        codes
    }
}

/// A simple command as the shell will run it.
#[derive(Clone, Debug, Default)]
pub(crate) struct SimpleCmd {
    /// Words after quote removal; expansions stay as written (`$PORT`), except `${X:-d}`,
    /// which reads as its default.
    pub argv: Vec<String>,
    pub arg_ranges: Vec<(usize, usize)>,
    pub range: (usize, usize),
    /// Redirection targets (`/dev/null`, `/dev/tcp/localhost/80`).
    pub redirects: Vec<String>,
    /// Command lines of the shells running this command, outermost first (what `ps` shows).
    pub shells: Rc<Vec<String>>,
    /// Where the command proper starts in `argv`, after wrappers like `timeout 5`.
    pub tool_index: usize,
    /// A shell wrapper (`sh -c '...'`) whose script was parsed and walked.
    pub inner_walked: bool,
}

impl SimpleCmd {
    pub(crate) fn tool_argv(&self) -> &[String] {
        &self.argv[self.tool_index.min(self.argv.len())..]
    }

    pub(crate) fn tool_ranges(&self) -> &[(usize, usize)] {
        &self.arg_ranges[self.tool_index.min(self.arg_ranges.len())..]
    }
}

/// Everything the walk found.
#[derive(Debug, Default)]
pub(crate) struct Walked {
    pub pipelines: Vec<Vec<SimpleCmd>>,
    pub programs: Vec<String>,
    pub variables: Vec<String>,
    pub parse_error: Option<String>,
    pub outcomes: Outcomes,
    /// The script of the first `sh -c` wrapper met (exec form).
    pub first_inner_script: Option<String>,
    pub saw_shell: bool,
}

/// How the root script is run.
pub(crate) struct ShellSetup {
    cmdline: Option<String>,
    in_shell: bool,
    pipefail: bool,
    errexit: bool,
}

impl ShellSetup {
    /// Text read as a command line that no shell runs (exec form written as one string).
    pub(crate) fn unshelled() -> Self {
        ShellSetup {
            cmdline: None,
            in_shell: false,
            pipefail: false,
            errexit: false,
        }
    }

    /// CMD-SHELL under `shell_argv` (`/bin/sh -c`, or the image's `SHELL`).
    pub(crate) fn from_shell_argv(shell_argv: &[String], script: &str) -> Self {
        let opts = tools::shell_options(shell_argv);
        ShellSetup {
            cmdline: Some(format!("{} {script}", shell_argv.join(" "))),
            in_shell: true,
            pipefail: opts.pipefail,
            errexit: opts.errexit,
        }
    }
}

/// One script being walked: its text and where its bytes sit in the root text.
struct Scope<'s> {
    src: &'s str,
    /// Character index (the parser's positions) to byte offset in `src`.
    c2b: Vec<usize>,
    /// Byte offset in `src` to byte offset in the root text; `src.len() + 1` entries.
    map: Rc<Vec<usize>>,
    shells: Rc<Vec<String>>,
    /// The shells still running once this script's shell has handed its last command over
    /// with `exec` (dash, bash and busybox sh all do that for the final simple command).
    outer: Rc<Vec<String>>,
    in_shell: bool,
    pipefail: Cell<bool>,
    errexit: Cell<bool>,
    cursor: Cell<usize>,
}

impl Scope<'_> {
    fn byte(&self, char_index: usize) -> usize {
        self.c2b.get(char_index).copied().unwrap_or(self.src.len())
    }

    fn root(&self, local: usize) -> usize {
        let i = local.min(self.map.len().saturating_sub(1));
        self.map.get(i).copied().unwrap_or(0)
    }

    fn local_range(&self, span: Option<SourceSpan>) -> Option<(usize, usize)> {
        let span = span?;
        let s = self.byte(span.start.index);
        let e = self.byte(span.end.index).max(s);
        Some((s, e))
    }

    /// Source text of a node, shortened for messages.
    fn text(&self, span: Option<SourceSpan>) -> String {
        let Some((s, e)) = self.local_range(span) else {
            return String::new();
        };
        let text = self.src.get(s..e).unwrap_or("").trim();
        shorten(text)
    }
}

fn shorten(text: &str) -> String {
    const MAX: usize = 60;
    let one_line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= MAX {
        one_line
    } else {
        let cut: String = one_line.chars().take(MAX - 3).collect();
        format!("{cut}...")
    }
}

/// Walks a shell script (CMD-SHELL, shell form, or a command line written as one string).
pub(crate) fn walk_script(src: &str, setup: ShellSetup, know: &Knowledge) -> Walked {
    let mut w = Walker::new(know);
    let map: Rc<Vec<usize>> = Rc::new((0..=src.len()).collect());
    let shells = Rc::new(setup.cmdline.into_iter().collect());
    let state = (setup.pipefail, setup.errexit);
    match w.script(
        src,
        map,
        (shells, Rc::new(Vec::new())),
        setup.in_shell,
        state,
    ) {
        Ok(o) => w.out.outcomes = o,
        Err(e) => {
            w.out.parse_error = Some(e);
            w.out.outcomes = Outcomes::unknown();
        }
    }
    w.out
}

/// Walks an exec-form argv: one command, no shell, unless it is a shell wrapper itself.
pub(crate) fn walk_exec(argv: &[String], know: &Knowledge) -> Walked {
    let mut w = Walker::new(know);
    let mut offset = 0;
    let mut arg_maps = Vec::with_capacity(argv.len());
    let mut arg_ranges = Vec::with_capacity(argv.len());
    for a in argv {
        arg_maps.push((offset..=offset + a.len()).collect::<Vec<_>>());
        arg_ranges.push((offset, offset + a.len()));
        offset += a.len() + 1;
    }
    let cmd = Input {
        argv: argv.to_vec(),
        arg_maps,
        arg_ranges,
        range: (0, offset.saturating_sub(1)),
        redirects: Vec::new(),
    };
    let mut cmds = Vec::new();
    let status = w.simple_command(cmd, Rc::new(Vec::new()), false, None, &mut cmds);
    w.out.pipelines.push(cmds);
    w.out.outcomes = status;
    w.out
}

/// A simple command before it is classified.
struct Input {
    argv: Vec<String>,
    /// For each argument: its bytes' offsets in the root text (one extra for the end).
    arg_maps: Vec<Vec<usize>>,
    arg_ranges: Vec<(usize, usize)>,
    range: (usize, usize),
    redirects: Vec<String>,
}

struct Walker<'k> {
    know: &'k Knowledge,
    out: Walked,
    depth: usize,
}

/// A word after quote removal, with the root offset of every byte.
struct EvalWord {
    text: String,
    map: Vec<usize>,
    range: (usize, usize),
}

impl<'k> Walker<'k> {
    fn new(know: &'k Knowledge) -> Self {
        Walker {
            know,
            out: Walked::default(),
            depth: 0,
        }
    }

    fn script(
        &mut self,
        src: &str,
        map: Rc<Vec<usize>>,
        (shells, outer): (Rc<Vec<String>>, Rc<Vec<String>>),
        in_shell: bool,
        (pipefail, errexit): (bool, bool),
    ) -> Result<Outcomes, String> {
        let program = parse(src)?;
        let mut c2b: Vec<usize> = src.char_indices().map(|(b, _)| b).collect();
        c2b.push(src.len());
        let scope = Scope {
            src,
            c2b,
            map,
            shells,
            outer,
            in_shell,
            pipefail: Cell::new(pipefail),
            errexit: Cell::new(errexit),
            cursor: Cell::new(0),
        };
        let items: Vec<&ast::CompoundListItem> = program
            .complete_commands
            .iter()
            .flat_map(|c| c.0.iter())
            .collect();
        let outcomes = self.items(&scope, items.into_iter(), true);
        Ok(outcomes)
    }

    fn items<'a>(
        &mut self,
        sc: &Scope,
        items: impl ExactSizeIterator<Item = &'a ast::CompoundListItem>,
        tail: bool,
    ) -> Outcomes {
        let mut acc: Option<Outcomes> = None;
        let n = items.len();
        for (k, item) in items.enumerate() {
            let text = sc.text(item.0.location());
            let async_item = matches!(item.1, ast::SeparatorOperator::Async);
            let mut o = self.and_or(sc, &item.0, tail && k + 1 == n && !async_item);
            if async_item {
                o = Outcomes::zero(Some(format!(
                    "`{text} &` runs in the background, so its status is never seen"
                )));
            } else if sc.errexit.get() {
                o = o.errexit();
            }
            acc = Some(match acc {
                None => o,
                Some(prev) => sequence(prev, o, &text),
            });
        }
        acc.unwrap_or_else(|| {
            Outcomes::zero(Some("the script is empty, so the shell exits 0".to_owned()))
        })
    }

    fn list(&mut self, sc: &Scope, list: &ast::CompoundList) -> Outcomes {
        self.items(sc, list.0.iter(), false)
    }

    fn and_or(&mut self, sc: &Scope, ao: &ast::AndOrList, tail: bool) -> Outcomes {
        let mut acc = self.pipeline(sc, &ao.first, tail && ao.additional.is_empty());
        let n = ao.additional.len();
        for (k, next) in ao.additional.iter().enumerate() {
            let (is_and, p) = match next {
                ast::AndOr::And(p) => (true, p),
                ast::AndOr::Or(p) => (false, p),
            };
            let text = sc.text(p.location());
            // Walked even when unreachable, so every command is seen.
            let out = self.pipeline(sc, p, tail && k + 1 == n);
            let (mut res, go) =
                acc.partition(|o| !o.exited && ((o.code == Code::Exact(0)) == is_and));
            if !go.is_empty() {
                if !is_and && out.all_zero() {
                    // Listed first: this is the path that swallows the failure.
                    let mut first =
                        out.with_why(&format!("`|| {text}` turns every failure into exit 0"));
                    first.extend(res);
                    res = first;
                } else {
                    res.extend(out);
                }
            }
            acc = res;
        }
        acc
    }

    fn pipeline(&mut self, sc: &Scope, p: &ast::Pipeline, tail: bool) -> Outcomes {
        let mut cmds = Vec::new();
        let mut outs = Vec::new();
        let tail = tail && p.seq.len() == 1 && !p.bang;
        for c in &p.seq {
            outs.push(self.command(sc, c, &mut cmds, tail));
        }
        let n = outs.len();
        let mut res = outs.pop().unwrap_or_else(|| Outcomes::zero(None));
        if n > 1 {
            res = res.unexit();
            if matches!(p.seq.last(), Some(ast::Command::Simple(_)))
                && let Some(last) = cmds.last()
                && tools::sink_always_succeeds(last, self.know)
            {
                let name = last.tool_argv().first().cloned().unwrap_or_default();
                res = Outcomes::zero(Some(format!(
                    "the pipeline's status is that of `{name}`, which always exits 0"
                )));
            }
            if sc.pipefail.get() && outs.iter().any(Outcomes::can_fail) {
                res.push(Outcome {
                    code: Code::Fail,
                    exited: false,
                    why: None,
                });
            }
        }
        if p.bang {
            res = res.negate();
        }
        self.out.pipelines.push(cmds);
        res
    }

    fn command(
        &mut self,
        sc: &Scope,
        c: &ast::Command,
        cmds: &mut Vec<SimpleCmd>,
        tail: bool,
    ) -> Outcomes {
        match c {
            ast::Command::Simple(s) => self.simple(sc, s, cmds, tail),
            ast::Command::Compound(cc, redirects) => {
                if let Some(list) = redirects {
                    let mut ignored = Vec::new();
                    for r in &list.0 {
                        self.redirect(sc, r, &mut ignored);
                    }
                }
                self.compound(sc, cc)
            }
            ast::Command::Function(f) => {
                self.compound(sc, &f.body.0);
                Outcomes::zero(None)
            }
            ast::Command::ExtendedTest(e, _) => {
                let mut toks = Vec::new();
                flatten_test(&e.expr, &mut toks);
                let mut input = Input {
                    argv: vec!["[[".to_owned()],
                    arg_maps: vec![vec![0, 0, 0]],
                    arg_ranges: vec![(0, 0)],
                    range: (usize::MAX, 0),
                    redirects: Vec::new(),
                };
                if let Some((s, _)) = sc.local_range(e.location()) {
                    let r = sc.root(s);
                    input.arg_maps = vec![vec![r, r + 1, r + 2]];
                    input.arg_ranges = vec![(r, r + 2)];
                    input.range = (r, r + 2);
                }
                for t in toks {
                    match t {
                        TestTok::Lit(l) => {
                            let r = input.range.1;
                            input.arg_maps.push(vec![r; l.len() + 1]);
                            input.arg_ranges.push((r, r));
                            input.argv.push(l);
                        }
                        TestTok::Word(w) => {
                            let ev = self.eval(sc, w);
                            input.range.0 = input.range.0.min(ev.range.0);
                            input.range.1 = input.range.1.max(ev.range.1);
                            input.arg_ranges.push(ev.range);
                            input.arg_maps.push(ev.map);
                            input.argv.push(ev.text);
                        }
                    }
                }
                if input.range.0 == usize::MAX {
                    input.range = (0, 0);
                }
                self.simple_command(input, sc.shells.clone(), sc.in_shell, Some(sc), cmds)
            }
        }
    }

    fn compound(&mut self, sc: &Scope, cc: &ast::CompoundCommand) -> Outcomes {
        use ast::CompoundCommand as C;
        match cc {
            C::BraceGroup(g) => self.list(sc, &g.list),
            C::Subshell(s) => self.list(sc, &s.list).unexit(),
            C::IfClause(i) => {
                let cond = self.list(sc, &i.condition);
                let then = self.list(sc, &i.then);
                let (mut res, live) = cond.partition(|o| !o.exited);
                let (ok, failed) = live.partition(|o| o.code != Code::Exact(0));
                if !ok.is_empty() {
                    res.extend(then);
                }
                let mut pending = !failed.is_empty();
                for e in i.elses.iter().flatten() {
                    match &e.condition {
                        Some(c) => {
                            let cond = self.list(sc, c);
                            let body = self.list(sc, &e.body);
                            if pending {
                                let (exited, live) = cond.partition(|o| !o.exited);
                                res.extend(exited);
                                let (ok, failed) = live.partition(|o| o.code != Code::Exact(0));
                                if !ok.is_empty() {
                                    res.extend(body);
                                }
                                pending = !failed.is_empty();
                            }
                        }
                        None => {
                            let body = self.list(sc, &e.body);
                            if pending {
                                res.extend(body);
                                pending = false;
                            }
                        }
                    }
                }
                if pending {
                    // Listed first: this is the path that swallows the failure.
                    let mut first = Outcomes::zero(Some(
                        "`if` without `else` exits 0 when its condition fails".to_owned(),
                    ));
                    first.extend(res);
                    res = first;
                }
                res
            }
            C::WhileClause(w) | C::UntilClause(w) => {
                let cond = self.list(sc, &w.0);
                let body = self.list(sc, &w.1.list);
                let (mut res, _) = cond.partition(|o| !o.exited);
                res.extend(body);
                res.extend(Outcomes::zero(None));
                res
            }
            C::ForClause(f) => {
                for v in f.values.iter().flatten() {
                    self.eval(sc, v);
                }
                let mut res = self.list(sc, &f.body.list);
                res.extend(Outcomes::zero(None));
                res
            }
            C::ArithmeticForClause(f) => {
                let mut res = self.list(sc, &f.body.list);
                res.extend(Outcomes::zero(None));
                res
            }
            C::CaseClause(c) => {
                self.eval(sc, &c.value);
                let mut res = Outcomes::zero(None);
                for item in &c.cases {
                    if let Some(cmd) = &item.cmd {
                        res.extend(self.list(sc, cmd));
                    }
                }
                res
            }
            C::Arithmetic(_) => {
                let mut res = Outcomes::zero(None);
                res.push(Outcome {
                    code: Code::Exact(1),
                    exited: false,
                    why: None,
                });
                res
            }
            C::Coprocess(c) => {
                let mut ignored = Vec::new();
                self.command(sc, &c.body, &mut ignored, false);
                self.out.pipelines.push(ignored);
                Outcomes::zero(None)
            }
        }
    }

    fn simple(
        &mut self,
        sc: &Scope,
        s: &ast::SimpleCommand,
        cmds: &mut Vec<SimpleCmd>,
        tail: bool,
    ) -> Outcomes {
        use ast::CommandPrefixOrSuffixItem as Item;
        let mut words: Vec<&ast::Word> = Vec::new();
        let mut redirects = Vec::new();
        let mut assigned_substitution = false;
        let mut extent: Option<(usize, usize)> = None;
        for item in s.prefix.iter().flat_map(|p| p.0.iter()) {
            match item {
                Item::IoRedirect(r) => {
                    if let Some(r) = self.redirect(sc, r, &mut redirects) {
                        extent = Some(join(extent, r));
                    }
                }
                Item::AssignmentWord(_, w) => {
                    let ev = self.eval(sc, w);
                    extent = Some(join(extent, ev.range));
                    assigned_substitution |= w.value.contains("$(") || w.value.contains('`');
                }
                Item::Word(w) => words.push(w),
                Item::ProcessSubstitution(_, sub) => {
                    self.list(sc, &sub.list);
                }
            }
        }
        if let Some(w) = &s.word_or_name {
            words.push(w);
        }
        for item in s.suffix.iter().flat_map(|p| p.0.iter()) {
            match item {
                Item::IoRedirect(r) => {
                    if let Some(r) = self.redirect(sc, r, &mut redirects) {
                        extent = Some(join(extent, r));
                    }
                }
                Item::AssignmentWord(_, w) | Item::Word(w) => words.push(w),
                Item::ProcessSubstitution(_, sub) => {
                    self.list(sc, &sub.list);
                }
            }
        }
        let mut input = Input {
            argv: Vec::with_capacity(words.len()),
            arg_maps: Vec::with_capacity(words.len()),
            arg_ranges: Vec::with_capacity(words.len()),
            range: (0, 0),
            redirects,
        };
        for w in words {
            let ev = self.eval(sc, w);
            extent = Some(join(extent, ev.range));
            input.arg_ranges.push(ev.range);
            input.arg_maps.push(ev.map);
            input.argv.push(ev.text);
        }
        input.range = extent.unwrap_or((sc.root(0), sc.root(0)));
        if input.argv.is_empty() {
            if input.redirects.is_empty() {
                return if assigned_substitution {
                    Outcomes::unknown()
                } else {
                    Outcomes::zero(None)
                };
            }
            // `</dev/tcp/localhost/80`: the shell opens the redirection with no command at all.
            cmds.push(SimpleCmd {
                range: input.range,
                redirects: input.redirects,
                ..SimpleCmd::default()
            });
            return Outcomes::unknown();
        }
        let shells = if tail { &sc.outer } else { &sc.shells };
        self.simple_command(input, shells.clone(), sc.in_shell, Some(sc), cmds)
    }

    /// Records a redirection target; returns its root range.
    fn redirect(
        &mut self,
        sc: &Scope,
        r: &ast::IoRedirect,
        targets: &mut Vec<String>,
    ) -> Option<(usize, usize)> {
        match r {
            ast::IoRedirect::File(_, _, target) => match target {
                ast::IoFileRedirectTarget::Filename(w) => {
                    let ev = self.eval(sc, w);
                    targets.push(ev.text);
                    Some(ev.range)
                }
                ast::IoFileRedirectTarget::ProcessSubstitution(_, sub) => {
                    self.list(sc, &sub.list);
                    None
                }
                _ => None,
            },
            ast::IoRedirect::OutputAndError(w, _) => {
                let ev = self.eval(sc, w);
                targets.push(ev.text);
                Some(ev.range)
            }
            ast::IoRedirect::HereString(_, w) => {
                self.eval(sc, w);
                None
            }
            ast::IoRedirect::HereDocument(..) => None,
        }
    }

    /// Removes quotes, walks `$(...)` inside, records variables.
    fn eval(&mut self, sc: &Scope, w: &ast::Word) -> EvalWord {
        let start = match sc.local_range(w.loc.clone()) {
            Some((s, _)) => s,
            None => {
                let from = sc.cursor.get().min(sc.src.len());
                sc.src
                    .get(from..)
                    .and_then(|rest| rest.find(&w.value))
                    .map(|i| i + from)
                    .or_else(|| sc.src.find(&w.value))
                    .unwrap_or(0)
            }
        };
        sc.cursor.set(start + w.value.len());
        let ev = eval_word_text(&w.value);
        for v in &ev.vars {
            if !self.out.variables.contains(v) {
                self.out.variables.push(v.clone());
            }
        }
        let root = |x: usize| sc.root(start + x.min(w.value.len()));
        let map: Vec<usize> = ev.map.iter().map(|&x| root(x)).collect();
        // The end is one past the last character, not wherever the end of an enclosing quoted
        // word maps to.
        let end = w
            .value
            .char_indices()
            .last()
            .map_or(root(0), |(i, c)| root(i) + c.len_utf8());
        let range = (root(0), end.max(root(0)));
        for (inner, off) in ev.subs {
            let inner_map: Rc<Vec<usize>> =
                Rc::new((0..=inner.len()).map(|i| root(off + i)).collect());
            if self.depth < MAX_DEPTH {
                self.depth += 1;
                let state = (sc.pipefail.get(), false);
                // A `$(...)` that does not parse is only an argument we cannot read.
                let shells = (sc.shells.clone(), sc.shells.clone());
                let _ = self.script(&inner, inner_map, shells, sc.in_shell, state);
                self.depth -= 1;
            }
        }
        EvalWord {
            text: ev.text,
            map,
            range,
        }
    }

    /// Wrappers, `set`, `sh -c` recursion, the exit status; records the command.
    fn simple_command(
        &mut self,
        input: Input,
        shells: Rc<Vec<String>>,
        in_shell: bool,
        scope: Option<&Scope>,
        cmds: &mut Vec<SimpleCmd>,
    ) -> Outcomes {
        let know = self.know;
        let chain = tools::wrapper_chain(&input.argv, know);
        let tool_index = chain.last().copied().unwrap_or(0);
        for &i in &chain {
            let name = input.argv.get(i).map_or("", |a| tools::basename(a));
            let builtin = in_shell && tools::is_builtin(name, know);
            if !name.is_empty() && !builtin {
                self.out.programs.push(name.to_owned());
            }
        }
        let tool = &input.argv[tool_index.min(input.argv.len())..];

        if let Some(sc) = scope
            && tool.first().map(String::as_str) == Some("set")
        {
            apply_set(sc, &tool[1..]);
        }

        let mut status = None;
        let mut inner_walked = false;
        if let Some((script_at, opts)) = tools::shell_script_arg(tool, know) {
            self.out.saw_shell = true;
            let script = &tool[script_at];
            if self.out.first_inner_script.is_none() {
                self.out.first_inner_script = Some(script.clone());
            }
            if self.depth < MAX_DEPTH {
                let map = Rc::new(input.arg_maps[tool_index + script_at].clone());
                let mut nested: Vec<String> = shells.as_ref().clone();
                nested.push(tool.join(" "));
                self.depth += 1;
                let walked = self.script(
                    script,
                    map,
                    (Rc::new(nested), shells.clone()),
                    true,
                    (opts.pipefail, opts.errexit),
                );
                self.depth -= 1;
                if let Ok(o) = walked {
                    status = Some(o.unexit());
                    inner_walked = true;
                }
            }
        }
        let status =
            status.unwrap_or_else(|| status_of(tool, &input.redirects, &input.range, scope, know));
        cmds.push(SimpleCmd {
            argv: input.argv,
            arg_ranges: input.arg_ranges,
            range: input.range,
            redirects: input.redirects,
            shells,
            tool_index,
            inner_walked,
        });
        status
    }
}

fn join(acc: Option<(usize, usize)>, r: (usize, usize)) -> (usize, usize) {
    match acc {
        None => r,
        Some((s, e)) => (s.min(r.0), e.max(r.1)),
    }
}

/// `a; b`: b runs after every path of a that did not `exit`.
fn sequence(prev: Outcomes, next: Outcomes, text: &str) -> Outcomes {
    let (mut res, live) = prev.partition(|o| !o.exited);
    if !live.is_empty() {
        if next.all_zero() && live.can_fail() {
            let mut first = next.with_why(&format!(
                "`{text}` runs last and always exits 0, whatever the commands before it returned"
            ));
            first.extend(res);
            res = first;
        } else {
            res.extend(next);
        }
    }
    res
}

/// `set -e`, `set -o pipefail` and their `+` forms, for the rest of the script.
fn apply_set(sc: &Scope, args: &[String]) {
    let mut i = 0;
    while i < args.len() {
        let a = args[i].as_str();
        let on = a.starts_with('-');
        if a == "-o" || a == "+o" {
            if args.get(i + 1).map(String::as_str) == Some("pipefail") {
                sc.pipefail.set(on);
            }
            if args.get(i + 1).map(String::as_str) == Some("errexit") {
                sc.errexit.set(on);
            }
            i += 2;
            continue;
        }
        if (a.starts_with('-') || a.starts_with('+')) && a.len() > 1 && a.contains('e') {
            sc.errexit.set(on);
        }
        if (a.starts_with('-') || a.starts_with('+')) && a.ends_with('o') {
            if args.get(i + 1).map(String::as_str) == Some("pipefail") {
                sc.pipefail.set(on);
            }
            i += 2;
            continue;
        }
        i += 1;
    }
}

/// The exit codes of one simple command that is not a shell wrapper.
fn status_of(
    tool: &[String],
    redirects: &[String],
    range: &(usize, usize),
    scope: Option<&Scope>,
    know: &Knowledge,
) -> Outcomes {
    let _ = range;
    let Some(first) = tool.first() else {
        return Outcomes::zero(None);
    };
    let name = tools::basename(first);
    let text = || {
        let t = tool.join(" ");
        shorten(&t)
    };
    match name {
        "exit" => {
            let code = tool.get(1).map(|a| a.trim().parse::<i64>());
            match code {
                None => Outcomes::one(Code::Fail, true, None).also(Code::Exact(0), true),
                Some(Ok(n)) => {
                    let n = n.rem_euclid(256) as i32;
                    let why = (n == 0).then(|| "`exit 0` always exits 0".to_owned());
                    Outcomes::one(Code::Exact(n), true, why)
                }
                Some(Err(_)) => Outcomes::one(Code::Fail, true, None).also(Code::Exact(0), true),
            }
        }
        "false" => Outcomes::one(Code::Exact(1), false, None),
        "test" | "[" | "[[" => Outcomes::zero(None).also(Code::Exact(1), false),
        _ if tools::always_succeeds(name, know)
            && redirects.iter().all(|r| tools::harmless_redirect(r)) =>
        {
            let _ = scope;
            Outcomes::zero(Some(format!("`{}` always exits 0", text())))
        }
        _ => Outcomes::unknown(),
    }
}

impl Outcomes {
    fn also(mut self, code: Code, exited: bool) -> Self {
        self.push(Outcome {
            code,
            exited,
            why: None,
        });
        self
    }
}

thread_local! {
    /// Set while the shell grammar runs under [`guarded`]: its panics are expected outcomes.
    static GUARDED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs the shell grammar, turning a panic into an error without printing it. brush-parser
/// panics on some inputs (a redirection fd number that overflows, found by fuzzing); a linter
/// says it could not read the check instead of dumping a backtrace into a CI log.
fn guarded<T>(f: impl FnOnce() -> T) -> std::thread::Result<T> {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !GUARDED.with(|g| g.get()) {
                previous(info);
            }
        }));
    });
    GUARDED.with(|g| g.set(true));
    let result = catch_unwind(AssertUnwindSafe(f));
    GUARDED.with(|g| g.set(false));
    result
}

/// Parses a script, refusing input that could exhaust the parser's recursion.
fn parse(src: &str) -> Result<ast::Program, String> {
    if src.len() > MAX_SCRIPT_LEN {
        return Err(format!(
            "the script is {} bytes long; longer than {MAX_SCRIPT_LEN} is not read",
            src.len()
        ));
    }
    if nesting(src) > MAX_NESTING {
        return Err(format!("brackets nest deeper than {MAX_NESTING} levels"));
    }
    let parsed =
        guarded(|| Parser::new(Cursor::new(src), &ParserOptions::default()).parse_program());
    match parsed {
        Ok(Ok(p)) => Ok(p),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err("the shell grammar could not be read".to_owned()),
    }
}

/// Deepest bracket nesting, quotes ignored (an over-estimate is harmless).
fn nesting(src: &str) -> usize {
    let (mut depth, mut max) = (0usize, 0usize);
    for c in src.chars() {
        match c {
            '(' | '{' | '[' | '`' => {
                depth += 1;
                max = max.max(depth);
            }
            ')' | '}' | ']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

enum TestTok<'a> {
    Lit(String),
    Word(&'a ast::Word),
}

fn flatten_test<'a>(e: &'a ast::ExtendedTestExpr, out: &mut Vec<TestTok<'a>>) {
    use ast::ExtendedTestExpr as E;
    match e {
        E::And(a, b) | E::Or(a, b) => {
            flatten_test(a, out);
            out.push(TestTok::Lit(
                if matches!(e, E::And(..)) { "&&" } else { "||" }.to_owned(),
            ));
            flatten_test(b, out);
        }
        E::Not(a) => {
            out.push(TestTok::Lit("!".to_owned()));
            flatten_test(a, out);
        }
        E::Parenthesized(a) => {
            out.push(TestTok::Lit("(".to_owned()));
            flatten_test(a, out);
            out.push(TestTok::Lit(")".to_owned()));
        }
        E::UnaryTest(p, w) => {
            out.push(TestTok::Lit(p.to_string()));
            out.push(TestTok::Word(w));
        }
        E::BinaryTest(p, l, r) => {
            out.push(TestTok::Word(l));
            out.push(TestTok::Lit(p.to_string()));
            out.push(TestTok::Word(r));
        }
    }
}

/// A word after quote removal, in word-local offsets.
#[derive(Default)]
struct Evaled {
    text: String,
    /// Word-local byte offset of each byte of `text`, plus the end.
    map: Vec<usize>,
    /// Command substitutions: inner script and its word-local offset.
    subs: Vec<(String, usize)>,
    vars: Vec<String>,
}

fn eval_word_text(raw: &str) -> Evaled {
    let mut ev = Evaled::default();
    let pieces = guarded(|| word::parse(raw, &ParserOptions::default()));
    match pieces {
        Ok(Ok(pieces)) => {
            for p in &pieces {
                push_piece(raw, p, &mut ev);
            }
        }
        _ => {
            ev.text = raw.to_owned();
            ev.map = (0..raw.len()).collect();
        }
    }
    ev.map.push(raw.len());
    ev
}

fn push_str(ev: &mut Evaled, s: &str, base: usize, end: usize) {
    ev.text.push_str(s);
    ev.map.extend((0..s.len()).map(|i| (base + i).min(end)));
}

fn push_piece(raw: &str, p: &WordPieceWithSource, ev: &mut Evaled) {
    let e = p.end_index.min(raw.len());
    let s = p.start_index.min(e);
    let source = raw.get(s..e).unwrap_or("");
    match &p.piece {
        WordPiece::Text(t) => push_str(ev, t, s, e),
        WordPiece::SingleQuotedText(t) => push_str(ev, t, s + 1, e),
        WordPiece::AnsiCQuotedText(t) => push_str(ev, t, s + 2, e),
        WordPiece::DoubleQuotedSequence(inner) | WordPiece::GettextDoubleQuotedSequence(inner) => {
            for q in inner {
                push_piece(raw, q, ev);
            }
        }
        WordPiece::EscapeSequence(t) => {
            let unescaped = t.strip_prefix('\\').unwrap_or(t);
            if unescaped != "\n" {
                push_str(ev, unescaped, s + 1, e);
            }
        }
        WordPiece::ParameterExpansion(expr) => {
            if let Some(name) = variable_name(source) {
                ev.vars.push(name);
            }
            let default = match expr {
                ParameterExpr::UseDefaultValues {
                    default_value: Some(d),
                    ..
                }
                | ParameterExpr::AssignDefaultValues {
                    default_value: Some(d),
                    ..
                } => Some(unquote(d)),
                _ => None,
            };
            match default {
                Some(d) => {
                    ev.text.push_str(&d);
                    ev.map.extend(std::iter::repeat_n(s, d.len()));
                }
                None => push_str(ev, source, s, e),
            }
        }
        WordPiece::CommandSubstitution(inner) => {
            ev.subs.push((inner.clone(), s + 2));
            push_str(ev, source, s, e);
        }
        WordPiece::BackquotedCommandSubstitution(inner) => {
            ev.subs.push((inner.clone(), s + 1));
            push_str(ev, source, s, e);
        }
        WordPiece::ArithmeticExpression(_) => {
            // `$(( $(date +%s) - $(stat -c %Y f) ))`: the parser keeps the inner `$(...)` as
            // text.
            let body_start = s + source.find("((").map_or(0, |i| i + 2);
            for (inner, off) in find_substitutions(raw.get(body_start..e).unwrap_or("")) {
                ev.subs.push((inner, body_start + off));
            }
            push_str(ev, source, s, e);
        }
        WordPiece::TildeExpansion(_) => push_str(ev, source, s, e),
    }
}

/// Removes one level of quotes from a default value (`${X:-"a b"}`).
fn unquote(d: &str) -> String {
    let ev = eval_word_text(d);
    ev.text
}

fn variable_name(source: &str) -> Option<String> {
    let rest = source.strip_prefix('$')?;
    let rest = rest.strip_prefix('{').unwrap_or(rest);
    let rest = rest.strip_prefix(['#', '!']).unwrap_or(rest);
    let name: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    let first = name.chars().next()?;
    (first.is_ascii_alphabetic() || first == '_').then_some(name)
}

/// `$(...)` inside text the parser leaves alone, with their offsets (quotes ignored).
fn find_substitutions(text: &str) -> Vec<(String, usize)> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i + 1 < bytes.len() {
        if bytes[i] == b'$' && bytes[i + 1] == b'(' && bytes.get(i + 2) != Some(&b'(') {
            let start = i + 2;
            let mut depth = 1usize;
            let mut j = start;
            while j < bytes.len() {
                match bytes[j] {
                    b'(' => depth += 1,
                    b')' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
            if let Some(inner) = text.get(start..j.min(bytes.len())) {
                out.push((inner.to_owned(), start));
            }
            i = j + 1;
        } else {
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_quotes_and_offsets() {
        let ev = eval_word_text(r#"'a b'"c\"d"e\ f"#);
        assert_eq!(ev.text, "a bc\"de f");
        // `a` sits after the opening quote, the escaped quote maps to its own byte.
        assert_eq!(ev.map[0], 1);
        assert_eq!(&r#"'a b'"c\"d"e\ f"#[ev.map[4]..ev.map[4] + 1], "\"");
    }

    #[test]
    fn word_defaults_and_variables() {
        let ev = eval_word_text("http://localhost:${PORT:-3000}/h");
        assert_eq!(ev.text, "http://localhost:3000/h");
        assert_eq!(ev.vars, vec!["PORT".to_owned()]);
        let ev = eval_word_text("$HOST:$PORT");
        assert_eq!(ev.text, "$HOST:$PORT");
        assert_eq!(ev.vars, vec!["HOST".to_owned(), "PORT".to_owned()]);
    }

    #[test]
    fn substitutions_in_arithmetic() {
        let subs = find_substitutions(" $(date +%s) - $(stat -c %Y /tmp/hb) ");
        assert_eq!(subs.len(), 2);
        assert_eq!(subs[1].0, "stat -c %Y /tmp/hb");
    }
}
