//! Compose variable interpolation (`$VAR`, `${VAR:-default}`, ...), as compose-go's template
//! package does it. Besides the value it reports every variable use with its byte range, so
//! rules can point at `${DB_PASSWORD:?}` inside a health check string.

use std::ops::Range;

/// One `$NAME` or `${...}` expression of the input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VarUse {
    pub name: String,
    /// Byte range of the whole expression in the input string, `$` to `}` inclusive.
    pub range: Range<usize>,
    /// Whether the lookup knew the variable (an empty value is set).
    pub set: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Interpolated {
    pub value: String,
    /// In input order; uses inside defaults and messages are included.
    pub vars: Vec<VarUse>,
    /// `${NAME:?message}` / `${NAME?message}` whose condition failed: compose refuses to run,
    /// we substitute nothing and let a rule report it.
    pub required_missing: Vec<(String, String)>,
    /// Offsets of `$` signs followed by neither a name, `{` nor `$` (as in `$1` or a trailing
    /// `$`). We keep them literal; compose-go rejects the whole string as an invalid template,
    /// so a rule can ask for `$$`.
    pub lone_dollars: Vec<usize>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InterpError {
    pub message: String,
    /// Byte offset in the input where the invalid expression starts (or the bad character).
    pub offset: usize,
}

impl std::fmt::Display for InterpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for InterpError {}

/// Nested defaults (`${A:-${B:-...}}`) deeper than this are refused rather than recursed into.
const MAX_NESTING: usize = 64;

/// Interpolates `input`. `lookup` returns `None` for an unset variable and `Some("")` for one
/// set to the empty string; the operators tell the two apart.
pub fn interpolate(
    input: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Interpolated, InterpError> {
    let mut state = State {
        input,
        lookup,
        out: Interpolated::default(),
    };
    let (value, end) = state.text(0, 0)?;
    debug_assert_eq!(end, input.len());
    state.out.value = value;
    Ok(state.out)
}

struct State<'a> {
    input: &'a str,
    lookup: &'a dyn Fn(&str) -> Option<String>,
    out: Interpolated,
}

fn is_name_start(b: u8) -> bool {
    b == b'_' || b.is_ascii_alphabetic()
}

fn is_name_char(b: u8) -> bool {
    b == b'_' || b.is_ascii_alphanumeric()
}

#[derive(Clone, Copy, PartialEq)]
enum Op {
    /// `-`: default when unset; with `:` also when empty.
    Default,
    /// `?`: required.
    Required,
    /// `+`: alternative when set; with `:` only when non-empty.
    Alternative,
}

impl State<'_> {
    /// Interpolates from `pos` to the end of the input (`depth == 0`) or to the `}` that closes
    /// the enclosing `${...}`. Returns the text and the offset of that `}` (or the input end).
    fn text(&mut self, mut pos: usize, depth: usize) -> Result<(String, usize), InterpError> {
        let bytes = self.input.as_bytes();
        let mut out = String::new();
        let mut literal_start = pos;
        while pos < bytes.len() {
            match bytes[pos] {
                b'}' if depth > 0 => {
                    out.push_str(&self.input[literal_start..pos]);
                    return Ok((out, pos));
                }
                b'$' => {
                    out.push_str(&self.input[literal_start..pos]);
                    pos = self.dollar(pos, depth, &mut out)?;
                    literal_start = pos;
                }
                _ => pos += 1,
            }
        }
        out.push_str(&self.input[literal_start..]);
        Ok((out, pos))
    }

    /// Handles the `$` at `start`, appends its expansion and returns where literal text resumes.
    fn dollar(
        &mut self,
        start: usize,
        depth: usize,
        out: &mut String,
    ) -> Result<usize, InterpError> {
        let bytes = self.input.as_bytes();
        match bytes.get(start + 1) {
            Some(b'$') => {
                out.push('$');
                Ok(start + 2)
            }
            Some(b'{') => self.braced(start, depth, out),
            Some(&b) if is_name_start(b) => {
                let end = self.name_end(start + 1);
                let name = &self.input[start + 1..end];
                let value = (self.lookup)(name);
                self.out.vars.push(VarUse {
                    name: name.to_string(),
                    range: start..end,
                    set: value.is_some(),
                });
                out.push_str(value.as_deref().unwrap_or(""));
                Ok(end)
            }
            // A `$` before anything else (a space, a digit, the end) is just a dollar sign.
            _ => {
                self.out.lone_dollars.push(start);
                out.push('$');
                Ok(start + 1)
            }
        }
    }

    fn name_end(&self, from: usize) -> usize {
        let bytes = self.input.as_bytes();
        let mut end = from;
        while end < bytes.len() && is_name_char(bytes[end]) {
            end += 1;
        }
        end
    }

    fn braced(
        &mut self,
        start: usize,
        depth: usize,
        out: &mut String,
    ) -> Result<usize, InterpError> {
        let bytes = self.input.as_bytes();
        let name_start = start + 2;
        let unterminated = || InterpError {
            message: "unterminated `${`: missing the closing `}`".to_string(),
            offset: start,
        };
        let Some(&first) = bytes.get(name_start) else {
            return Err(unterminated());
        };
        if !is_name_start(first) {
            return Err(InterpError {
                message: if first == b'}' {
                    "`${}` names no variable".to_string()
                } else {
                    format!(
                        "invalid variable name in `${{...}}`: it must start with a letter or `_`, not `{}`",
                        char_at(self.input, name_start)
                    )
                },
                offset: start,
            });
        }
        let name_end = self.name_end(name_start);
        let name = self.input[name_start..name_end].to_string();
        let mut pos = name_end;
        let colon = bytes.get(pos) == Some(&b':');
        if colon {
            pos += 1;
        }
        let op = match bytes.get(pos) {
            None => return Err(unterminated()),
            Some(b'}') if !colon => None,
            Some(b'-') => Some(Op::Default),
            Some(b'?') => Some(Op::Required),
            Some(b'+') => Some(Op::Alternative),
            Some(_) => {
                return Err(InterpError {
                    message: format!(
                        "invalid character `{}` in `${{{name}...}}`: expected `}}`, `:-`, `-`, `:?`, `?`, `:+` or `+`",
                        char_at(self.input, pos)
                    ),
                    offset: pos,
                });
            }
        };
        let value = (self.lookup)(&name);
        let use_index = self.out.vars.len();
        self.out.vars.push(VarUse {
            name: name.clone(),
            range: start..start,
            set: value.is_some(),
        });
        let close = match op {
            None => {
                out.push_str(value.as_deref().unwrap_or(""));
                pos
            }
            Some(op) => {
                if depth + 1 > MAX_NESTING {
                    return Err(InterpError {
                        message: format!(
                            "interpolation nested more than {MAX_NESTING} levels deep"
                        ),
                        offset: start,
                    });
                }
                // Like compose, the word is interpolated whether or not it is used.
                let (word, close) = self.text(pos + 1, depth + 1)?;
                if close >= bytes.len() {
                    return Err(unterminated());
                }
                let empty = value.as_deref().is_none_or(str::is_empty);
                let missing = if colon { empty } else { value.is_none() };
                match op {
                    Op::Default if missing => out.push_str(&word),
                    Op::Default => out.push_str(value.as_deref().unwrap_or("")),
                    Op::Required if missing => {
                        let message = if word.is_empty() {
                            format!("required variable {name} is missing a value")
                        } else {
                            word
                        };
                        self.out.required_missing.push((name.clone(), message));
                    }
                    Op::Required => out.push_str(value.as_deref().unwrap_or("")),
                    Op::Alternative if !missing => out.push_str(&word),
                    Op::Alternative => {}
                }
                close
            }
        };
        self.out.vars[use_index].range = start..close + 1;
        Ok(close + 1)
    }
}

fn char_at(s: &str, offset: usize) -> char {
    s.get(offset..)
        .and_then(|rest| rest.chars().next())
        .unwrap_or('?')
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SET=value, EMPTY="", anything else unset.
    fn env(name: &str) -> Option<String> {
        match name {
            "SET" => Some("value".to_string()),
            "EMPTY" => Some(String::new()),
            "B" => Some("bee".to_string()),
            _ => None,
        }
    }

    fn value(input: &str) -> String {
        interpolate(input, &env)
            .unwrap_or_else(|e| panic!("{input}: {e:?}"))
            .value
    }

    fn error(input: &str) -> InterpError {
        interpolate(input, &env).expect_err(input)
    }

    #[test]
    fn plain_text_is_unchanged() {
        let r = interpolate("curl -f http://localhost/ || exit 1", &env).unwrap();
        assert_eq!(r.value, "curl -f http://localhost/ || exit 1");
        assert!(r.vars.is_empty());
    }

    #[test]
    fn double_dollar_is_a_literal_dollar() {
        assert_eq!(value("$$"), "$");
        assert_eq!(
            value("pg_isready -U $$POSTGRES_USER"),
            "pg_isready -U $POSTGRES_USER"
        );
        assert_eq!(value("$${SET}"), "${SET}");
        assert_eq!(value("$$$SET"), "$value");
        assert!(interpolate("$$SET", &env).unwrap().vars.is_empty());
    }

    #[test]
    fn unbraced_names() {
        let r = interpolate("a $SET-b $UNSET.c $EMPTY", &env).unwrap();
        assert_eq!(r.value, "a value-b .c ");
        let names: Vec<_> = r
            .vars
            .iter()
            .map(|v| (v.name.as_str(), v.range.clone(), v.set))
            .collect();
        assert_eq!(
            names,
            [
                ("SET", 2..6, true),
                ("UNSET", 9..15, false),
                ("EMPTY", 18..24, true)
            ]
        );
        assert_eq!(value("$set_1x"), "");
    }

    #[test]
    fn braced_name() {
        let r = interpolate("x${SET}y", &env).unwrap();
        assert_eq!(r.value, "xvaluey");
        assert_eq!(r.vars[0].range, 1..7);
        assert_eq!(value("${UNSET}"), "");
        assert!(!interpolate("${UNSET}", &env).unwrap().vars[0].set);
    }

    #[test]
    fn lone_dollar_stays_literal() {
        assert_eq!(value("cost: 5$"), "cost: 5$");
        let r = interpolate("$ 1 $1 $-", &env).unwrap();
        assert_eq!(r.value, "$ 1 $1 $-");
        assert_eq!(r.lone_dollars, [0, 4, 7]);
        assert!(r.vars.is_empty());
        let r = interpolate("$$1 ${A:-$}", &env).unwrap();
        assert_eq!(r.value, "$1 $");
        assert_eq!(r.lone_dollars, [9]);
    }

    #[test]
    fn soft_default_covers_unset_and_empty() {
        assert_eq!(value("${SET:-d}"), "value");
        assert_eq!(value("${EMPTY:-d}"), "d");
        assert_eq!(value("${UNSET:-d}"), "d");
        assert_eq!(value("${UNSET:-}"), "");
        assert_eq!(value("${UNSET:-a b:c-d}"), "a b:c-d");
    }

    #[test]
    fn hard_default_covers_unset_only() {
        assert_eq!(value("${SET-d}"), "value");
        assert_eq!(value("${EMPTY-d}"), "");
        assert_eq!(value("${UNSET-d}"), "d");
    }

    #[test]
    fn required_records_and_substitutes_nothing() {
        let r = interpolate("p=${UNSET:?set the password}!", &env).unwrap();
        assert_eq!(r.value, "p=!");
        assert_eq!(
            r.required_missing,
            [("UNSET".to_string(), "set the password".to_string())]
        );
        let r = interpolate("${EMPTY:?}", &env).unwrap();
        assert_eq!(r.required_missing.len(), 1);
        assert!(r.required_missing[0].1.contains("EMPTY"));
        let r = interpolate("${EMPTY?x}", &env).unwrap();
        assert!(r.required_missing.is_empty());
        let r = interpolate("${UNSET?x}", &env).unwrap();
        assert_eq!(r.required_missing, [("UNSET".to_string(), "x".to_string())]);
        let r = interpolate("${SET:?x}", &env).unwrap();
        assert_eq!(r.value, "value");
        assert!(r.required_missing.is_empty());
    }

    #[test]
    fn alternative_value() {
        assert_eq!(value("${SET:+alt}"), "alt");
        assert_eq!(value("${EMPTY:+alt}"), "");
        assert_eq!(value("${UNSET:+alt}"), "");
        assert_eq!(value("${SET+alt}"), "alt");
        assert_eq!(value("${EMPTY+alt}"), "alt");
        assert_eq!(value("${UNSET+alt}"), "");
    }

    #[test]
    fn defaults_nest() {
        assert_eq!(value("${A:-${B:-x}}"), "bee");
        assert_eq!(value("${A:-${C:-x}}"), "x");
        assert_eq!(value("${A:-${C:-${SET}}}/z"), "value/z");
        assert_eq!(value("${A:-$$B}"), "$B");
        assert_eq!(value("${UNSET:-pre $B post}"), "pre bee post");
        let r = interpolate("${A:-${B:-x}}", &env).unwrap();
        let ranges: Vec<_> = r
            .vars
            .iter()
            .map(|v| (v.name.as_str(), v.range.clone()))
            .collect();
        assert_eq!(ranges, [("A", 0..13), ("B", 5..12)]);
    }

    #[test]
    fn a_brace_outside_an_expression_is_literal() {
        assert_eq!(value("{}${SET}}"), "{}value}");
    }

    #[test]
    fn errors_point_at_the_problem() {
        let e = error("ab ${");
        assert_eq!(e.offset, 3);
        assert!(e.message.contains("unterminated"), "{}", e.message);
        assert_eq!(error("x${A").offset, 1);
        assert_eq!(error("x${A:-default").offset, 1);
        assert_eq!(error("x${A:-${B}").offset, 1);
        let e = error("echo ${A B}");
        assert_eq!(e.offset, 8);
        assert!(e.message.contains('`'), "{}", e.message);
        let e = error("${}");
        assert_eq!(e.offset, 0);
        assert!(e.message.contains("names no variable"));
        assert_eq!(error("ok ${1A}").offset, 3);
        assert_eq!(error("${A/x/y}").offset, 3);
        assert_eq!(error("${A:}").offset, 4);
        assert_eq!(error("${A:-${}}").offset, 5);
    }

    #[test]
    fn deep_nesting_is_refused_not_overflowed() {
        let input = format!("{}x{}", "${A:-".repeat(10_000), "}".repeat(10_000));
        let e = error(&input);
        assert!(e.message.contains("nested"), "{}", e.message);
        let ok = format!("{}x{}", "${A:-".repeat(20), "}".repeat(20));
        assert_eq!(value(&ok), "x");
    }

    #[test]
    fn multibyte_text_keeps_byte_ranges() {
        let r = interpolate("é${SET}ü", &env).unwrap();
        assert_eq!(r.value, "évalueü");
        assert_eq!(r.vars[0].range, 2..8);
    }
}
