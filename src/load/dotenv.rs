//! `.env` files as compose-go's dotenv package reads them. The format has no spec; these are
//! the rules compose applies, so a value we lint is the value compose would have used.

use super::interpolate::interpolate;
use crate::span::line_col;

/// A malformed `.env` file. `line` and `col` are 1-based, `col` in characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DotenvError {
    pub message: String,
    pub line: usize,
    pub col: usize,
}

impl std::fmt::Display for DotenvError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.col, self.message)
    }
}

impl std::error::Error for DotenvError {}

/// Parses a `.env` file into its variables in the order they first appear; a key given again
/// keeps its first position and takes the later value, as compose's map does.
///
/// `lookup` is the environment outside the file: it fills `KEY` lines without `=` and is
/// consulted by `${VAR}` after the file's earlier keys.
pub fn parse(
    text: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<(String, String)>, DotenvError> {
    Parser {
        text,
        pos: text.len() - text.trim_start_matches('\u{feff}').len(),
        lookup,
        out: Vec::new(),
    }
    .run()
}

struct Parser<'a> {
    text: &'a str,
    pos: usize,
    lookup: &'a dyn Fn(&str) -> Option<String>,
    out: Vec<(String, String)>,
}

fn is_blank(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\x0b' | b'\x0c')
}

impl Parser<'_> {
    fn error(&self, offset: usize, message: impl Into<String>) -> DotenvError {
        let (line, col) = line_col(self.text, offset);
        DotenvError {
            message: message.into(),
            line,
            col,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn skip_blanks(&mut self) {
        while self.peek().is_some_and(is_blank) {
            self.pos += 1;
        }
    }

    fn skip_line(&mut self) {
        match self.text[self.pos..].find('\n') {
            Some(i) => self.pos += i,
            None => self.pos = self.text.len(),
        }
    }

    fn run(mut self) -> Result<Vec<(String, String)>, DotenvError> {
        loop {
            while self.peek().is_some_and(|b| is_blank(b) || b == b'\n') {
                self.pos += 1;
            }
            match self.peek() {
                None => return Ok(self.out),
                Some(b'#') => self.skip_line(),
                Some(_) => self.statement()?,
            }
        }
    }

    fn statement(&mut self) -> Result<(), DotenvError> {
        let rest = &self.text[self.pos..];
        if let Some(after) = rest.strip_prefix("export")
            && after.starts_with([' ', '\t'])
        {
            self.pos += "export".len();
            self.skip_blanks();
        }
        let key_start = self.pos;
        while let Some(b) = self.peek() {
            if matches!(b, b'=' | b':' | b'\n') {
                break;
            }
            self.pos += 1;
        }
        let key =
            self.text[key_start..self.pos].trim_end_matches([' ', '\t', '\r', '\x0b', '\x0c']);
        self.check_key(key, key_start)?;
        let key = key.to_string();
        if matches!(self.peek(), None | Some(b'\n')) {
            // `KEY` alone passes a variable through from the environment, if it is there.
            if let Some(value) = (self.lookup)(&key) {
                self.set(key, value);
            }
            return Ok(());
        }
        self.pos += 1;
        self.skip_blanks();
        let value = match self.peek() {
            Some(b'\'') => self.single_quoted()?,
            Some(b'"') => self.double_quoted()?,
            _ => self.unquoted()?,
        };
        self.set(key, value);
        Ok(())
    }

    fn check_key(&self, key: &str, start: usize) -> Result<(), DotenvError> {
        if key.is_empty() {
            return Err(self.error(start, "a variable name is missing before `=`"));
        }
        for (i, c) in key.char_indices() {
            if c.is_whitespace() {
                return Err(self.error(
                    start + i,
                    format!("variable name `{key}` cannot contain a space"),
                ));
            }
            if !(c.is_alphanumeric() || matches!(c, '_' | '.' | '-')) {
                return Err(self.error(
                    start + i,
                    format!("unexpected character `{c}` in variable name `{key}`"),
                ));
            }
        }
        Ok(())
    }

    fn set(&mut self, key: String, value: String) {
        match self.out.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => self.out.push((key, value)),
        }
    }

    fn single_quoted(&mut self) -> Result<String, DotenvError> {
        let open = self.pos;
        let Some(len) = self.text[open + 1..].find('\'') else {
            return Err(self.error(open, "unterminated single-quoted value"));
        };
        let value = self.text[open + 1..open + 1 + len].to_string();
        self.pos = open + 1 + len + 1;
        self.after_quote()?;
        Ok(value)
    }

    fn double_quoted(&mut self) -> Result<String, DotenvError> {
        let open = self.pos;
        // Escapes are resolved first; `\$` becomes `$$` so interpolation keeps it a dollar.
        let mut source = String::new();
        let mut chars = self.text[open + 1..].char_indices();
        let close = loop {
            let Some((i, c)) = chars.next() else {
                return Err(self.error(open, "unterminated double-quoted value"));
            };
            match c {
                '"' => break open + 1 + i,
                '\\' => match chars.next() {
                    Some((_, 'n')) => source.push('\n'),
                    Some((_, 'r')) => source.push('\r'),
                    Some((_, 't')) => source.push('\t'),
                    Some((_, '"')) => source.push('"'),
                    Some((_, '\\')) => source.push('\\'),
                    Some((_, '$')) => source.push_str("$$"),
                    Some((_, other)) => {
                        source.push('\\');
                        source.push(other);
                    }
                    None => return Err(self.error(open, "unterminated double-quoted value")),
                },
                c => source.push(c),
            }
        };
        self.pos = close + 1;
        let value = self.expand(&source, open + 1)?;
        self.after_quote()?;
        Ok(value)
    }

    /// After a closing quote only blanks and a comment may follow on the line.
    fn after_quote(&mut self) -> Result<(), DotenvError> {
        self.skip_blanks();
        match self.peek() {
            None | Some(b'\n') => Ok(()),
            Some(b'#') => {
                self.skip_line();
                Ok(())
            }
            Some(_) => Err(self.error(
                self.pos,
                "unexpected text after the closing quote (quote the whole value)",
            )),
        }
    }

    fn unquoted(&mut self) -> Result<String, DotenvError> {
        let start = self.pos;
        self.skip_line();
        let mut raw = &self.text[start..self.pos];
        if let Some(comment) = raw.find(" #") {
            raw = &raw[..comment];
        }
        self.expand(raw.trim_end(), start)
    }

    /// Interpolates against the file's earlier keys, then the outside environment.
    fn expand(&self, source: &str, at: usize) -> Result<String, DotenvError> {
        let lookup = |name: &str| {
            self.out
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
                .or_else(|| (self.lookup)(name))
        };
        let result = interpolate(source, &lookup)
            .map_err(|e| self.error((at + e.offset).min(self.text.len()), e.message))?;
        if let Some((name, message)) = result.required_missing.first() {
            return Err(self.error(
                at,
                format!("required variable {name} is missing a value: {message}"),
            ));
        }
        Ok(result.value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outside(name: &str) -> Option<String> {
        match name {
            "HOME" => Some("/root".to_string()),
            "EMPTY" => Some(String::new()),
            _ => None,
        }
    }

    fn vars(text: &str) -> Vec<(String, String)> {
        parse(text, &outside).unwrap_or_else(|e| panic!("{text:?}: {e}"))
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn error(text: &str) -> DotenvError {
        parse(text, &outside).expect_err(text)
    }

    #[test]
    fn key_value_lines_comments_and_blanks() {
        let text = "# database\nA=1\n\n   \nB = two words \n  # indented comment\nC=\n";
        assert_eq!(
            vars(text),
            pairs(&[("A", "1"), ("B", "two words"), ("C", "")])
        );
    }

    #[test]
    fn export_prefix() {
        assert_eq!(
            vars("export A=1\nexport\tB=2\n"),
            pairs(&[("A", "1"), ("B", "2")])
        );
        // Only a separate word is the keyword.
        assert_eq!(vars("exported=1\n"), pairs(&[("exported", "1")]));
    }

    #[test]
    fn unquoted_values_lose_space_hash_comments() {
        assert_eq!(
            vars("A=value # note\nB=a#b\nC=#x\nD=x #\n"),
            pairs(&[("A", "value"), ("B", "a#b"), ("C", "#x"), ("D", "x")])
        );
    }

    #[test]
    fn single_quotes_are_literal() {
        assert_eq!(
            vars("A='$HOME \\n # x'\nB='multi\nline' # c\n"),
            pairs(&[("A", "$HOME \\n # x"), ("B", "multi\nline")])
        );
    }

    #[test]
    fn double_quotes_escape_and_span_lines() {
        let text =
            "A=\"a\\nb \\\"q\\\" back\\\\slash\"\nB=\"line1\nline2\" # c\nC=\"\\$HOME $HOME\"\n";
        assert_eq!(
            vars(text),
            pairs(&[
                ("A", "a\nb \"q\" back\\slash"),
                ("B", "line1\nline2"),
                ("C", "$HOME /root"),
            ])
        );
    }

    #[test]
    fn key_alone_inherits_from_the_environment() {
        assert_eq!(
            vars("HOME\nMISSING\nEMPTY\n  HOME  \n"),
            pairs(&[("HOME", "/root"), ("EMPTY", "")])
        );
        assert_eq!(vars("HOME"), pairs(&[("HOME", "/root")]));
    }

    #[test]
    fn interpolation_uses_earlier_keys_then_environment() {
        let text = "BASE=/srv\nDATA=${BASE}/data\nH=$HOME/x\nD=${NOPE:-fallback}\nQ=\"${BASE}-q\"\nS='${BASE}'\nL=${LATER}\nLATER=1\n";
        assert_eq!(
            vars(text),
            pairs(&[
                ("BASE", "/srv"),
                ("DATA", "/srv/data"),
                ("H", "/root/x"),
                ("D", "fallback"),
                ("Q", "/srv-q"),
                ("S", "${BASE}"),
                ("L", ""),
                ("LATER", "1"),
            ])
        );
    }

    #[test]
    fn file_keys_shadow_the_environment_in_interpolation() {
        assert_eq!(
            vars("HOME=/home/app\nP=$HOME/bin\n"),
            pairs(&[("HOME", "/home/app"), ("P", "/home/app/bin")])
        );
    }

    #[test]
    fn a_repeated_key_keeps_its_place_and_takes_the_last_value() {
        assert_eq!(vars("A=1\nB=2\nA=3\n"), pairs(&[("A", "3"), ("B", "2")]));
    }

    #[test]
    fn yaml_style_colon_separator() {
        assert_eq!(vars("A: 1\n"), pairs(&[("A", "1")]));
    }

    #[test]
    fn crlf_and_bom() {
        assert_eq!(
            vars("\u{feff}A=1\r\nB=\"x\"\r\nC='y'\r\n"),
            pairs(&[("A", "1"), ("B", "x"), ("C", "y")])
        );
    }

    #[test]
    fn errors_have_line_and_column() {
        let e = error("A=1\nMY KEY=2\n");
        assert_eq!((e.line, e.col), (2, 3));
        assert!(e.message.contains("space"), "{}", e.message);
        let e = error("A=1\nB=\"open\nC=3\n");
        assert_eq!((e.line, e.col), (2, 3));
        assert!(e.message.contains("unterminated"));
        let e = error("X='open");
        assert_eq!((e.line, e.col), (1, 3));
        let e = error("K$Y=1");
        assert_eq!((e.line, e.col), (1, 2));
        let e = error("=1");
        assert_eq!((e.line, e.col), (1, 1));
        let e = error("A=\"x\" y\n");
        assert_eq!((e.line, e.col), (1, 7));
        let e = error("A=1\nB=${OOPS\n");
        assert_eq!((e.line, e.col), (2, 3));
        let e = error("A=${NEED:?set NEED}\n");
        assert!(e.message.contains("set NEED"), "{}", e.message);
    }
}
