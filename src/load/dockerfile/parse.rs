//! The Dockerfile grammar as the reference parser (moby/buildkit `frontend/dockerfile/parser`)
//! reads it: parser directives, the escape token, line continuations (with comment and empty
//! lines inside them), flags, JSON versus shell form, per-instruction argument splitting,
//! `ONBUILD` and heredocs. Its quirks are kept on purpose: a file `docker build` accepts must
//! parse here into the same instructions, which the conformance dump checks byte for byte.

use std::fmt::Write as _;

/// A parse failure with the 1-based line it happened on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub message: String,
    pub line: usize,
    /// Byte offset of the line's first character.
    pub offset: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heredoc {
    pub name: String,
    /// `<<-EOF`: leading tabs are stripped from the body and the terminator.
    pub chomp: bool,
    /// Unquoted terminator: the body's variables are expanded.
    pub expand: bool,
    pub content: String,
}

/// One instruction after continuations are joined.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instruction {
    /// Lowercased keyword (`from`, `healthcheck`, ...); unknown keywords are kept.
    pub keyword: String,
    /// `--name=value` flags in order, as written after unquoting.
    pub flags: Vec<String>,
    /// The arguments as the reference parser's node chain holds them (see the module docs of
    /// each instruction kind in `parse_args`).
    pub args: Vec<String>,
    /// Exec (JSON array) form.
    pub json: bool,
    /// The instruction an `ONBUILD` wraps.
    pub sub: Option<Box<Instruction>>,
    pub heredocs: Vec<Heredoc>,
    /// The joined line (continuations removed), as the parser saw it.
    pub original: String,
    /// 1-based first and last physical line (heredoc bodies included).
    pub start_line: usize,
    pub end_line: usize,
    /// Byte range in the file: from the keyword to the end of the last physical line.
    pub start: usize,
    pub end: usize,
    /// Byte range of the first physical line's content (from the keyword, without newline).
    pub first_line: (usize, usize),
}

#[derive(Debug, Clone, Default)]
pub struct Dockerfile {
    pub instructions: Vec<Instruction>,
    pub escape: char,
    /// Continuations that ran over an empty line (deprecated by the reference parser).
    pub empty_continuation_lines: Vec<usize>,
}

/// Splits `text` into physical lines the way the reference scanner does: on `\n`, keeping a
/// last line without one. Yields (offset, line without its `\r\n`).
fn physical_lines(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start = 0;
    let bytes = text.as_bytes();
    while start < bytes.len() {
        let end = memchr(b'\n', &bytes[start..]).map_or(bytes.len(), |i| start + i);
        let line = text[start..end].trim_end_matches(['\r', '\n']);
        out.push((start, line));
        start = end + 1;
    }
    out
}

fn memchr(needle: u8, hay: &[u8]) -> Option<usize> {
    hay.iter().position(|&b| b == needle)
}

fn is_go_space(c: char) -> bool {
    // Go's unicode.IsSpace.
    matches!(
        c,
        '\t' | '\n' | '\u{0B}' | '\u{0C}' | '\r' | ' ' | '\u{85}' | '\u{A0}'
    ) || (c > '\u{FF}' && c.is_whitespace())
}

fn trim_left_space(s: &str) -> &str {
    s.trim_start_matches(is_go_space)
}

fn is_comment(line: &str) -> bool {
    trim_left_space(line).starts_with('#')
}

/// Parser directives (`# escape=`, `# syntax=`, `# check=`): only before the first line that is
/// not one.
struct Directives {
    escape: char,
    done: bool,
    seen: Vec<String>,
    line: usize,
}

impl Directives {
    fn parse_line(&mut self, line: &str) -> Result<(), String> {
        self.line += 1;
        if self.done {
            return Ok(());
        }
        if self.line == 1 && line.starts_with("#!") {
            return Ok(());
        }
        let Some((key, value)) = directive(line) else {
            self.done = true;
            return Ok(());
        };
        let key = key.to_ascii_lowercase();
        if !matches!(key.as_str(), "escape" | "syntax" | "check") {
            self.done = true;
            return Ok(());
        }
        if self.seen.contains(&key) {
            return Err(format!("only one {key} parser directive can be used"));
        }
        self.seen.push(key.clone());
        if key == "escape" {
            match value {
                "`" => self.escape = '`',
                "\\" => self.escape = '\\',
                other => {
                    return Err(format!(
                        "invalid escape token '{other}' does not match ` or \\"
                    ));
                }
            }
        }
        Ok(())
    }

    /// `line` with its continuation token removed, and whether the instruction goes on.
    fn trim_continuation<'a>(&self, line: &'a str) -> (&'a str, bool) {
        let body = line.trim_end_matches([' ', '\t']);
        let Some(before) = body.strip_suffix(self.escape) else {
            return (line, true);
        };
        // `\\` at the end is an escaped escape token, not a continuation, unless it stands alone.
        if before.is_empty() || !before.ends_with(self.escape) {
            (before, false)
        } else {
            (line, true)
        }
    }
}

/// `#[ \t]*key[ \t]*=[ \t]*value[ \t]*`
fn directive(line: &str) -> Option<(&str, &str)> {
    let rest = line.strip_prefix('#')?.trim_start_matches([' ', '\t']);
    let key_len = rest
        .char_indices()
        .take_while(|&(i, c)| {
            if i == 0 {
                c.is_ascii_alphabetic()
            } else {
                c.is_ascii_alphanumeric()
            }
        })
        .count();
    if key_len == 0 {
        return None;
    }
    let key = &rest[..key_len];
    let rest = rest[key_len..].trim_start_matches([' ', '\t']);
    let value = rest
        .strip_prefix('=')?
        .trim_start_matches([' ', '\t'])
        .trim_end_matches([' ', '\t']);
    if value.is_empty() {
        return None;
    }
    Some((key, value))
}

/// Parses a whole Dockerfile.
pub fn parse(text: &str) -> Result<Dockerfile, ParseError> {
    let text_start = if text.starts_with('\u{FEFF}') { 3 } else { 0 };
    let lines = physical_lines(&text[text_start..]);
    let lines: Vec<(usize, &str)> = lines
        .into_iter()
        .map(|(o, l)| (o + text_start, l))
        .collect();
    let mut d = Directives {
        escape: '\\',
        done: false,
        seen: Vec::new(),
        line: 0,
    };
    let mut out = Dockerfile {
        escape: '\\',
        ..Default::default()
    };
    let err = |message: String, idx: usize| ParseError {
        message,
        line: idx + 1,
        offset: lines.get(idx).map_or(text.len(), |l| l.0),
    };
    let mut i = 0;
    while i < lines.len() {
        let (offset, raw) = lines[i];
        let stripped = trim_left_space(raw);
        d.parse_line(stripped).map_err(|m| err(m, i))?;
        let first = i;
        i += 1;
        let content = if stripped.starts_with('#') {
            ""
        } else {
            stripped
        };
        let (head, mut end_of_line) = d.trim_continuation(content);
        if end_of_line && head.is_empty() {
            continue;
        }
        let keyword_at = offset + (raw.len() - stripped.len());
        let mut line = String::from(head);
        let mut had_empty = false;
        while !end_of_line && i < lines.len() {
            let (_, raw) = lines[i];
            d.parse_line(raw).map_err(|m| err(m, i))?;
            i += 1;
            if is_comment(raw) {
                continue;
            }
            if trim_left_space(raw).is_empty() {
                had_empty = true;
                continue;
            }
            let (part, eol) = d.trim_continuation(raw);
            end_of_line = eol;
            line.push_str(part);
        }
        if had_empty {
            out.empty_continuation_lines.push(first + 1);
        }
        let mut inst = instruction(&line, d.escape).map_err(|m| err(m, first))?;
        if can_contain_heredoc(&inst) && line.contains("<<") {
            for mut doc in heredocs_in(&line) {
                let mut terminated = false;
                while i < lines.len() {
                    let (_, raw) = lines[i];
                    i += 1;
                    let candidate = if doc.chomp {
                        raw.trim_start_matches('\t')
                    } else {
                        raw
                    };
                    if candidate == doc.name {
                        terminated = true;
                        break;
                    }
                    doc.content.push_str(raw);
                    doc.content.push('\n');
                }
                if !terminated {
                    return Err(err(format!("unterminated heredoc `{}`", doc.name), first));
                }
                inst.heredocs.push(doc);
            }
        }
        let (last_offset, last_line) = lines[i - 1];
        inst.start_line = first + 1;
        inst.end_line = i;
        inst.start = keyword_at;
        inst.end = last_offset + last_line.len();
        inst.first_line = (keyword_at, offset + raw.len());
        out.instructions.push(inst);
    }
    out.escape = d.escape;
    if out.instructions.is_empty() {
        return Err(ParseError {
            message: "file with no instructions".into(),
            line: lines.len().max(1),
            offset: 0,
        });
    }
    Ok(out)
}

fn can_contain_heredoc(inst: &Instruction) -> bool {
    let inst = match &inst.sub {
        Some(sub) if inst.keyword == "onbuild" => sub,
        _ => inst,
    };
    matches!(inst.keyword.as_str(), "add" | "copy" | "run") && !inst.json
}

/// Builds one instruction from a joined line: keyword, flags, arguments.
fn instruction(line: &str, escape: char) -> Result<Instruction, String> {
    let trimmed = line.trim_matches(is_go_space);
    let (cmd, rest) = match trimmed.find(['\t', '\u{0B}', '\u{0C}', '\r', ' ']) {
        Some(at) => (
            &trimmed[..at],
            trimmed[at..].trim_start_matches(['\t', '\u{0B}', '\u{0C}', '\r', ' ']),
        ),
        None => (trimmed, ""),
    };
    let keyword = cmd.to_lowercase();
    let (args_text, flags) = if rest.is_empty() {
        (String::new(), Vec::new())
    } else {
        extract_flags(rest)
    };
    let args_text = args_text.trim_matches(is_go_space);
    let mut inst = Instruction {
        keyword,
        flags,
        args: Vec::new(),
        json: false,
        sub: None,
        heredocs: Vec::new(),
        original: line.to_string(),
        start_line: 0,
        end_line: 0,
        start: 0,
        end: 0,
        first_line: (0, 0),
    };
    match inst.keyword.as_str() {
        "add" | "copy" | "volume" => match parse_json(args_text)? {
            Some(v) => {
                inst.args = v;
                inst.json = true;
            }
            None => inst.args = split_whitespace(args_text),
        },
        "cmd" | "entrypoint" | "run" | "shell" => {
            if !args_text.is_empty() {
                match parse_json(args_text)? {
                    Some(v) => {
                        inst.args = v;
                        inst.json = true;
                    }
                    None => inst.args = vec![args_text.to_string()],
                }
            }
        }
        "arg" => inst.args = parse_words(args_text, escape),
        "env" | "label" => {
            inst.args = parse_name_val(args_text, &inst.keyword.to_uppercase(), escape)?
        }
        "expose" | "from" => inst.args = split_whitespace(args_text),
        "maintainer" | "stopsignal" | "user" | "workdir" => {
            if !args_text.is_empty() {
                inst.args = vec![args_text.to_string()];
            }
        }
        "healthcheck" => {
            let sep = args_text
                .bytes()
                .position(|b| (b as char).is_ascii_whitespace() || b == 0x0B)
                .unwrap_or(args_text.len());
            if sep > 0 {
                let typ = &args_text[..sep];
                let cmd = args_text[sep..].trim_start_matches(is_go_space);
                inst.args.push(typ.to_string());
                if !cmd.is_empty() {
                    match parse_json(cmd)? {
                        Some(v) => {
                            inst.args.extend(v);
                            inst.json = true;
                        }
                        None => inst.args.push(cmd.to_string()),
                    }
                }
            }
        }
        "onbuild" => {
            if !args_text.is_empty() {
                inst.sub = Some(Box::new(instruction(args_text, escape)?));
            }
        }
        // Unknown instructions are kept with one empty argument, as the reference parser does;
        // `docker build` rejects them later, at dispatch.
        _ => inst.args = vec![String::new()],
    }
    Ok(inst)
}

fn split_whitespace(s: &str) -> Vec<String> {
    if s.is_empty() {
        return Vec::new();
    }
    s.split(['\t', '\u{0B}', '\u{0C}', '\r', ' '])
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// `Ok(Some)` for a JSON array of strings, `Ok(None)` when the text is not JSON (it is then
/// shell form), `Err` for a JSON array holding anything but strings.
fn parse_json(s: &str) -> Result<Option<Vec<String>>, String> {
    let s = trim_left_space(s);
    if !s.starts_with('[') {
        return Ok(None);
    }
    let Ok(values) = serde_json::from_str::<Vec<serde_json::Value>>(s) else {
        return Ok(None);
    };
    values
        .into_iter()
        .map(|v| match v {
            serde_json::Value::String(s) => Ok(s),
            _ => {
                Err("when using JSON array syntax, arrays must be comprised of strings only".into())
            }
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

/// Leading `--flag[=value]` words; a bare `--` ends them. Returns the rest and the flags.
fn extract_flags(line: &str) -> (String, Vec<String>) {
    #[derive(PartialEq)]
    enum Phase {
        Spaces,
        Word,
        Quote,
    }
    let bytes = line.as_bytes();
    let mut words = Vec::new();
    let mut phase = Phase::Spaces;
    let mut word: Vec<u8> = Vec::new();
    let mut quote = 0u8;
    let mut blank_ok = false;
    let mut pos = 0;
    let finish = |w: &[u8]| String::from_utf8_lossy(w).into_owned();
    while pos <= bytes.len() {
        let ch = bytes.get(pos).copied().unwrap_or(0);
        if phase == Phase::Spaces {
            if pos == bytes.len() {
                break;
            }
            if (ch as char).is_ascii_whitespace() || ch == 0x0B {
                pos += 1;
                continue;
            }
            if ch != b'-' || bytes.get(pos + 1) != Some(&b'-') {
                return (line[pos..].to_string(), words);
            }
            phase = Phase::Word;
        }
        if pos == bytes.len() {
            if word != b"--" && (blank_ok || !word.is_empty()) {
                words.push(finish(&word));
            }
            break;
        }
        if phase == Phase::Word {
            if (ch as char).is_ascii_whitespace() || ch == 0x0B {
                phase = Phase::Spaces;
                if word == b"--" {
                    return (line[pos..].to_string(), words);
                }
                if blank_ok || !word.is_empty() {
                    words.push(finish(&word));
                }
                word.clear();
                blank_ok = false;
                pos += 1;
                continue;
            }
            if ch == b'\'' || ch == b'"' {
                quote = ch;
                blank_ok = true;
                phase = Phase::Quote;
                pos += 1;
                continue;
            }
            if ch == b'\\' {
                if pos + 1 == bytes.len() {
                    pos += 1;
                    continue;
                }
                pos += 1;
            }
            word.push(bytes[pos]);
            pos += 1;
            continue;
        }
        // In quotes.
        if ch == quote {
            phase = Phase::Word;
            pos += 1;
            continue;
        }
        if ch == b'\\' {
            if pos + 1 == bytes.len() {
                phase = Phase::Word;
                pos += 1;
                continue;
            }
            pos += 1;
        }
        word.push(bytes[pos]);
        pos += 1;
    }
    (String::new(), words)
}

/// Words separated by whitespace; quotes and escapes are kept (they are removed later, when the
/// value is used), but they keep a quoted space inside its word.
fn parse_words(rest: &str, escape: char) -> Vec<String> {
    #[derive(PartialEq)]
    enum Phase {
        Spaces,
        Word,
        Quote,
    }
    let mut words = Vec::new();
    let mut phase = Phase::Spaces;
    let mut quote = '\0';
    let mut blank_ok = false;
    let mut word = String::new();
    let mut chars = rest.chars().peekable();
    loop {
        let Some(ch) = chars.next() else {
            if phase != Phase::Spaces && (blank_ok || !word.is_empty()) {
                words.push(std::mem::take(&mut word));
            }
            break;
        };
        if phase == Phase::Spaces {
            if is_go_space(ch) {
                continue;
            }
            phase = Phase::Word;
        }
        if phase == Phase::Word {
            if is_go_space(ch) {
                phase = Phase::Spaces;
                if blank_ok || !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
                blank_ok = false;
                continue;
            }
            if ch == '\'' || ch == '"' {
                quote = ch;
                blank_ok = true;
                phase = Phase::Quote;
            }
            if ch == escape {
                match chars.next() {
                    None => continue,
                    Some(next) => {
                        word.push(ch);
                        word.push(next);
                        continue;
                    }
                }
            }
            word.push(ch);
            continue;
        }
        // In quotes.
        if ch == quote {
            phase = Phase::Word;
        }
        if ch == escape && quote != '\'' {
            match chars.next() {
                None => {
                    phase = Phase::Word;
                    continue;
                }
                Some(next) => {
                    word.push(ch);
                    word.push(next);
                    continue;
                }
            }
        }
        word.push(ch);
    }
    words
}

/// `ENV`/`LABEL`: `key value` (old form) or `key=value ...`; yields (key, value, separator)
/// triples flattened, as the reference parser's node chain.
fn parse_name_val(rest: &str, key: &str, escape: char) -> Result<Vec<String>, String> {
    let words = parse_words(rest, escape);
    if words.is_empty() {
        return Ok(Vec::new());
    }
    if !words[0].contains('=') {
        let mut parts = rest.splitn(2, |c: char| {
            matches!(c, '\t' | '\u{0B}' | '\u{0C}' | '\r' | ' ')
        });
        let name = parts.next().unwrap_or_default();
        let value = parts
            .next()
            .map(|v| v.trim_start_matches(['\t', '\u{0B}', '\u{0C}', '\r', ' ']));
        return match value {
            Some(v) => Ok(vec![name.to_string(), v.to_string(), String::new()]),
            None => Err(format!("{key} must have two arguments")),
        };
    }
    let mut out = Vec::with_capacity(words.len() * 3);
    for word in words {
        let Some((k, v)) = word.split_once('=') else {
            return Err(format!(
                "Syntax error - can't find = in {word:?}. Must be of the form: name=value"
            ));
        };
        out.push(k.to_string());
        out.push(v.to_string());
        out.push("=".to_string());
    }
    Ok(out)
}

/// Heredoc words (`<<EOF`, `<<-EOF`, `<<"EOF"`, `3<<EOF`) on an instruction line.
fn heredocs_in(line: &str) -> Vec<Heredoc> {
    shell_words_raw(line)
        .into_iter()
        .filter_map(|w| {
            let digits = w.bytes().take_while(u8::is_ascii_digit).count();
            let rest = w[digits..].strip_prefix("<<")?;
            let (chomp, rest) = match rest.strip_prefix('-') {
                Some(r) => (true, r),
                None => (false, rest),
            };
            if rest.is_empty() || rest.contains('<') {
                return None;
            }
            let name = unquote(rest, '\\');
            if name.is_empty() {
                return None;
            }
            let expand = !rest.contains(['\'', '"']);
            Some(Heredoc {
                name,
                chomp,
                expand,
                content: String::new(),
            })
        })
        .collect()
}

/// Shell words with their quotes and escapes kept.
fn shell_words_raw(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quote: Option<char> = None;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match quote {
            Some(q) => {
                word.push(c);
                if c == q {
                    quote = None;
                } else if c == '\\'
                    && q == '"'
                    && let Some(n) = chars.next()
                {
                    word.push(n);
                }
            }
            None if c.is_whitespace() => {
                if !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
            }
            None => {
                word.push(c);
                if c == '\'' || c == '"' {
                    quote = Some(c);
                } else if c == '\\'
                    && let Some(n) = chars.next()
                {
                    word.push(n);
                }
            }
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

/// Removes shell quoting from one word: quotes, and escapes outside single quotes.
pub fn unquote(word: &str, escape: char) -> String {
    let mut out = String::with_capacity(word.len());
    let mut quote: Option<char> = None;
    let mut chars = word.chars();
    while let Some(c) = chars.next() {
        match quote {
            Some('\'') if c == '\'' => quote = None,
            Some('\'') => out.push(c),
            Some(q) if c == q => quote = None,
            Some(_) if c == escape => match chars.next() {
                Some(n) if matches!(n, '"' | '$' | '`') || n == escape => out.push(n),
                Some(n) => {
                    out.push(c);
                    out.push(n);
                }
                None => out.push(c),
            },
            Some(_) => out.push(c),
            None if c == '\'' || c == '"' => quote = Some(c),
            None if c == escape => {
                if let Some(n) = chars.next() {
                    out.push(n);
                }
            }
            None => out.push(c),
        }
    }
    out
}

/// The reference parser's dump: one `(keyword ["flags"] "arg" ...)` line per instruction.
pub fn dump(file: &Dockerfile) -> String {
    let mut out = String::new();
    for inst in &file.instructions {
        out.push('(');
        out.push_str(&dump_one(inst));
        out.push_str(")\n");
    }
    out
}

fn dump_one(inst: &Instruction) -> String {
    let mut s = inst.keyword.clone();
    if !inst.flags.is_empty() {
        s.push_str(" [");
        for (i, f) in inst.flags.iter().enumerate() {
            if i > 0 {
                s.push(' ');
            }
            s.push_str(&go_quote(f));
        }
        s.push(']');
    }
    if let Some(sub) = &inst.sub {
        s.push_str(" (");
        s.push_str(&dump_one(sub));
        s.push(')');
    }
    for a in &inst.args {
        s.push(' ');
        s.push_str(&go_quote(a));
    }
    s.trim().to_string()
}

/// Go's `strconv.Quote`.
pub fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{07}' => out.push_str("\\a"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0C}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{0B}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c == '\u{7F}' => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if c.is_control() || c == '\u{FEFF}' => {
                if (c as u32) < 0x10000 {
                    let _ = write!(out, "\\u{:04x}", c as u32);
                } else {
                    let _ = write!(out, "\\U{:08x}", c as u32);
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> String {
        dump(&parse(text).expect("parses"))
    }

    #[test]
    fn continuation_joins_and_counts_lines() {
        let f = parse("FROM a\nRUN echo \\\n  hi \\\n\n  there\n").unwrap();
        let run = &f.instructions[1];
        assert_eq!(run.args, vec!["echo   hi   there"]);
        assert_eq!((run.start_line, run.end_line), (2, 5));
        assert_eq!(f.empty_continuation_lines, vec![2]);
    }

    #[test]
    fn escape_directive_switches_the_token() {
        assert_eq!(
            d("# escape=`\nFROM a\nRUN dir c:\\ `\n  /b\n"),
            "(from \"a\")\n(run \"dir c:\\\\   /b\")\n"
        );
    }

    #[test]
    fn heredoc_bodies_are_not_instructions() {
        let f =
            parse("FROM a\nRUN <<EOF\napt-get install -y curl\nFROM evil\nEOF\nCMD x\n").unwrap();
        assert_eq!(f.instructions.len(), 3);
        assert_eq!(
            f.instructions[1].heredocs[0].content,
            "apt-get install -y curl\nFROM evil\n"
        );
        assert_eq!(f.instructions[1].end_line, 5);
    }

    #[test]
    fn chomped_quoted_heredoc() {
        let f = parse("FROM a\nRUN <<-'END' sh\n\techo $HOME\n\tEND\n").unwrap();
        let h = &f.instructions[1].heredocs[0];
        assert!(h.chomp && !h.expand);
        assert_eq!(h.name, "END");
    }

    #[test]
    fn unterminated_heredoc_is_an_error_on_its_line() {
        let e = parse("FROM a\nRUN <<EOF\necho\n").unwrap_err();
        assert_eq!(e.line, 2);
        assert!(e.message.contains("unterminated heredoc"));
    }

    #[test]
    fn non_string_json_is_an_error_but_invalid_json_is_shell_form() {
        assert!(parse("FROM a\nCMD [\"a\", 1]\n").is_err());
        assert_eq!(
            d("FROM a\nCMD [\"a\", \n"),
            "(from \"a\")\n(cmd \"[\\\"a\\\",\")\n"
        );
    }

    #[test]
    fn onbuild_wraps_its_instruction() {
        assert_eq!(
            d("FROM a\nONBUILD RUN make\n"),
            "(from \"a\")\n(onbuild (run \"make\"))\n"
        );
    }

    #[test]
    fn empty_and_comment_only_files_have_no_instructions() {
        assert!(parse("").is_err());
        assert!(parse("# a\n\n# b\n").is_err());
    }

    #[test]
    fn unquote_handles_both_quotes() {
        assert_eq!(unquote("\"a b\"", '\\'), "a b");
        assert_eq!(unquote("'a\\'", '\\'), "a\\");
        assert_eq!(unquote("a\\ b", '\\'), "a b");
    }
}
