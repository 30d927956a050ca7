//! The YAML layer: granit-parser events (through serde-saphyr's re-export) into our own
//! spanned, tagged node tree. We do aliases, `<<` merges and duplicate-key detection here
//! rather than in a serde layer because serde loses spans inside untagged enums and drops the
//! compose tags `!reset` / `!override`.

use std::collections::{HashMap, HashSet};

use serde_saphyr::granit_parser as gp;

use crate::span::{FileId, Span};

/// One YAML node. Scalars stay text: compose interpolates strings before it casts them, so the
/// model decides types after interpolation.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub value: Value,
    /// Where the value is written (for an alias: at the anchor's definition).
    pub span: Span,
    /// For a value reached through an alias or a merge key: the `*alias` token.
    pub via: Option<Span>,
    /// A local tag such as `!reset` or `!override`, without the `!`.
    pub tag: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// `~`, `null`, or nothing.
    Null,
    Scalar(Scalar),
    Seq(Vec<Node>),
    /// Keys in document order; merges already applied (explicit keys win, then the first merge).
    Map(Vec<(Node, Node)>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Scalar {
    pub text: String,
    /// Quoted scalars are always strings; plain ones may be numbers or booleans.
    pub quoted: bool,
}

/// A YAML error with the place it happened.
#[derive(Clone, Debug, PartialEq)]
pub struct YamlError {
    pub message: String,
    pub span: Span,
    /// A second place worth showing (the first definition of a duplicate key, an anchor).
    pub related: Option<(Span, String)>,
}

impl std::fmt::Display for YamlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}", self.span.line, self.span.col, self.message)
    }
}

impl std::error::Error for YamlError {}

/// Limits that keep hostile input bounded in time and memory.
#[derive(Clone, Copy, Debug)]
pub struct Budget {
    /// Nodes that aliases copy (plus one per 64 bytes of scalar text they copy, so long aliased
    /// strings are bounded too). Nodes written out in the text are not counted: their memory is
    /// bounded by the file size limit, and only aliases can amplify it.
    pub max_nodes: usize,
    pub max_depth: usize,
}

impl Default for Budget {
    fn default() -> Self {
        Budget {
            max_nodes: 1_000_000,
            max_depth: 128,
        }
    }
}

impl Node {
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Scalar(s) => Some(&s.text),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&[(Node, Node)]> {
        match &self.value {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Seq(s) => Some(s),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self.value, Value::Null)
    }

    /// Looks up a key of a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.as_map()?
            .iter()
            .find(|(k, _)| k.as_str() == Some(key))
            .map(|(_, v)| v)
    }

    /// A short word for error messages: "a mapping", "a string", ...
    pub fn type_name(&self) -> &'static str {
        match &self.value {
            Value::Null => "null",
            Value::Scalar(_) => "a scalar",
            Value::Seq(_) => "a sequence",
            Value::Map(_) => "a mapping",
        }
    }
}

/// Every this many bytes of scalar text copied by an alias count as one more node, so a long
/// string aliased many times is bounded like a deep tree is.
const ALIAS_BYTES_PER_NODE: usize = 64;

/// Parses every document of a YAML stream. An empty stream yields no documents.
pub fn parse(text: &str, file: FileId, budget: Budget) -> Result<Vec<Node>, YamlError> {
    let (src, base) = match text.strip_prefix('\u{feff}') {
        Some(rest) => (rest, text.len() - rest.len()),
        None => (text, 0),
    };
    let mut options = gp::Options::default();
    options.set_emit_comments(false);
    let parser = gp::Parser::new_from_str_with_options(src, options);
    let mut builder = Builder {
        src,
        base,
        file,
        budget,
        nodes: 0,
        frames: Vec::new(),
        anchors: HashMap::new(),
        root: None,
        docs: Vec::new(),
    };
    for event in parser {
        match event {
            Ok((event, span)) => builder.event(event, &span)?,
            Err(e) => return Err(builder.scan_error(&e)),
        }
    }
    Ok(builder.docs)
}

/// A finished node with what alias expansion needs to know about it before copying it.
#[derive(Clone)]
struct Built {
    node: Node,
    /// Nodes in this subtree, itself included.
    size: usize,
    /// Collection levels in this subtree (0 for a scalar).
    height: usize,
    /// Scalar text bytes in this subtree.
    bytes: usize,
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Seq,
    Map,
}

/// An open collection: its children so far (a mapping keeps keys and values alternating).
struct Frame {
    kind: Kind,
    span: Span,
    flow: bool,
    anchor: usize,
    tag: Option<String>,
    items: Vec<Node>,
    size: usize,
    height: usize,
    bytes: usize,
    /// End offset of the last child as written here (an alias ends at its `*name` token).
    end: usize,
}

struct Builder<'a> {
    src: &'a str,
    base: usize,
    file: FileId,
    budget: Budget,
    nodes: usize,
    frames: Vec<Frame>,
    anchors: HashMap<usize, Built>,
    root: Option<Node>,
    docs: Vec<Node>,
}

impl Builder<'_> {
    fn span(&self, s: &gp::Span) -> Span {
        let start = s.start.byte_offset().unwrap_or(0) + self.base;
        let end = s.end.byte_offset().map_or(start, |e| e + self.base);
        Span::new(
            self.file,
            start,
            end,
            s.start.line().max(1),
            s.start.col() + 1,
        )
    }

    fn error(&self, span: Span, message: impl Into<String>) -> YamlError {
        YamlError {
            message: message.into(),
            span,
            related: None,
        }
    }

    fn scan_error(&self, e: &gp::ScanError) -> YamlError {
        let m = e.marker();
        let start = m
            .byte_offset()
            .unwrap_or_else(|| char_to_byte(self.src, m.index()))
            .min(self.src.len());
        // One character wide, so a snippet renderer has something to underline.
        let width = self
            .src
            .get(start..)
            .and_then(|rest| rest.chars().next())
            .map_or(0, char::len_utf8);
        let mut message = e.info();
        if message.is_empty() {
            message = "invalid YAML".to_string();
        }
        let span = Span::new(
            self.file,
            start + self.base,
            start + self.base + width,
            m.line().max(1),
            m.col() + 1,
        );
        self.error(span, message)
    }

    fn count(&mut self, n: usize, span: Span) -> Result<(), YamlError> {
        self.nodes = self.nodes.saturating_add(n);
        if self.nodes > self.budget.max_nodes {
            return Err(self.error(
                span,
                format!(
                    "the document expands to more than {} nodes (aliases are copied in full); \
                     refusing to build it",
                    self.budget.max_nodes
                ),
            ));
        }
        Ok(())
    }

    fn event(&mut self, event: gp::Event<'_>, gspan: &gp::Span) -> Result<(), YamlError> {
        use gp::Event;
        let span = self.span(gspan);
        match event {
            Event::DocumentStart(..) => {
                self.root = None;
                self.anchors.clear();
            }
            Event::DocumentEnd => {
                // An empty document (`---` alone) still is a document: it holds null.
                let root = self.root.take().unwrap_or(Node {
                    value: Value::Null,
                    span: Span {
                        end: span.start,
                        ..span
                    },
                    via: None,
                    tag: None,
                });
                self.docs.push(root);
            }
            Event::Scalar(text, style, anchor, tag) => {
                let (tag, forced_str, forced_null) = match tag.as_deref() {
                    Some(t) => tag_name(t),
                    None => (None, false, false),
                };
                let plain = matches!(style, gp::ScalarStyle::Plain);
                let value = if forced_null
                    || (plain
                        && !forced_str
                        && matches!(&*text, "" | "~" | "null" | "Null" | "NULL"))
                {
                    Value::Null
                } else {
                    Value::Scalar(Scalar {
                        text: text.into_owned(),
                        quoted: !plain || forced_str,
                    })
                };
                let bytes = match &value {
                    Value::Scalar(s) => s.text.len(),
                    _ => 0,
                };
                // `key: !reset` has nothing to point at but its tag.
                let span = match gspan.tag_span() {
                    Some(tag_span) if span.is_empty() && tag.is_some() => self.span(&tag_span),
                    _ => span,
                };
                let built = Built {
                    node: Node {
                        value,
                        span,
                        via: None,
                        tag,
                    },
                    size: 1,
                    height: 0,
                    bytes,
                };
                self.finish(built, anchor, span.end as usize)?;
            }
            Event::SequenceStart(style, anchor, tag) => {
                self.open(Kind::Seq, style, anchor, tag.as_deref(), span)?;
            }
            Event::MappingStart(style, anchor, tag) => {
                self.open(Kind::Map, style, anchor, tag.as_deref(), span)?;
            }
            Event::SequenceEnd | Event::MappingEnd => self.close(span)?,
            Event::Alias(id) => self.alias(id, span)?,
            _ => {}
        }
        Ok(())
    }

    fn open(
        &mut self,
        kind: Kind,
        style: gp::StructureStyle,
        anchor: usize,
        tag: Option<&gp::Tag>,
        span: Span,
    ) -> Result<(), YamlError> {
        if self.frames.len() >= self.budget.max_depth {
            return Err(self.error(
                span,
                format!(
                    "nesting is deeper than {} levels; refusing to build it",
                    self.budget.max_depth
                ),
            ));
        }
        self.frames.push(Frame {
            kind,
            span,
            flow: style == gp::StructureStyle::Flow,
            anchor,
            tag: tag.and_then(|t| tag_name(t).0),
            items: Vec::new(),
            size: 1,
            height: 1,
            bytes: 0,
            end: span.end as usize,
        });
        Ok(())
    }

    fn close(&mut self, end_span: Span) -> Result<(), YamlError> {
        let Some(frame) = self.frames.pop() else {
            return Err(self.error(end_span, "unbalanced collection end"));
        };
        let end = if frame.flow {
            end_span.end as usize
        } else {
            frame.end
        };
        let mut span = frame.span;
        span.end = (end as u32).max(span.start);
        let value = match frame.kind {
            Kind::Seq => Value::Seq(frame.items),
            Kind::Map => Value::Map(resolve_map(frame.items)?),
        };
        let built = Built {
            node: Node {
                value,
                span,
                via: None,
                tag: frame.tag,
            },
            size: frame.size,
            height: frame.height,
            bytes: frame.bytes,
        };
        self.finish(built, frame.anchor, end)
    }

    fn alias(&mut self, id: usize, span: Span) -> Result<(), YamlError> {
        let name = self
            .src
            .get(span.start as usize - self.base..span.end as usize - self.base)
            .unwrap_or("*")
            .to_string();
        let Some(target) = self.anchors.get(&id) else {
            let open = self.frames.iter().find(|f| f.anchor == id);
            let mut err = self.error(
                span,
                match open {
                    Some(_) => format!("alias {name} refers to a node that contains it"),
                    None => format!("alias {name} has no anchor before it"),
                },
            );
            if let Some(f) = open {
                err.related = Some((f.span, "the anchored node starts here".to_string()));
            }
            return Err(err);
        };
        let (size, height, bytes, def) =
            (target.size, target.height, target.bytes, target.node.span);
        if self.frames.len() + height > self.budget.max_depth {
            let mut err = self.error(
                span,
                format!(
                    "alias {name} nests deeper than {} levels; refusing to build it",
                    self.budget.max_depth
                ),
            );
            err.related = Some((def, "anchored here".to_string()));
            return Err(err);
        }
        let cost = size.saturating_add(bytes / ALIAS_BYTES_PER_NODE);
        if let Err(mut err) = self.count(cost, span) {
            err.related = Some((def, "anchored here".to_string()));
            return Err(err);
        }
        let mut node = self.anchors[&id].node.clone();
        set_via(&mut node, span);
        let built = Built {
            node,
            size,
            height,
            bytes,
        };
        // An alias can't define an anchor, and re-registering would be a no-op anyway.
        self.finish(built, 0, span.end as usize)
    }

    /// Hands a finished node to its parent (or makes it the document root).
    fn finish(&mut self, built: Built, anchor: usize, end: usize) -> Result<(), YamlError> {
        if anchor != 0 {
            self.anchors.insert(anchor, built.clone());
        }
        match self.frames.last_mut() {
            Some(f) => {
                f.size = f.size.saturating_add(built.size);
                f.height = f.height.max(built.height + 1);
                f.bytes = f.bytes.saturating_add(built.bytes);
                f.end = f.end.max(end);
                f.items.push(built.node);
            }
            None => self.root = Some(built.node),
        }
        Ok(())
    }
}

/// Marks a copied subtree with the alias that copied it. The outermost alias wins: it is the
/// one written where the value is used.
fn set_via(node: &mut Node, via: Span) {
    let mut stack = vec![node];
    while let Some(n) = stack.pop() {
        n.via = Some(via);
        match &mut n.value {
            Value::Seq(items) => stack.extend(items.iter_mut()),
            Value::Map(entries) => {
                for (k, v) in entries.iter_mut() {
                    stack.push(k);
                    stack.push(v);
                }
            }
            Value::Null | Value::Scalar(_) => {}
        }
    }
}

/// Our name for a tag, and whether it forces a string (`!!str`, `!`) or null (`!!null`).
fn tag_name(tag: &gp::Tag) -> (Option<String>, bool, bool) {
    match tag.handle() {
        "!" if tag.suffix().is_empty() => (None, true, false),
        "!" => (Some(tag.suffix().to_string()), false, false),
        "tag:yaml.org,2002:" => {
            let s = tag.suffix();
            (Some(format!("!!{s}")), s == "str", s == "null")
        }
        h => (Some(format!("{h}{}", tag.suffix())), false, false),
    }
}

/// What makes two keys the same key. Only scalar and null keys are compared.
fn key_id(node: &Node) -> Option<&str> {
    match &node.value {
        Value::Scalar(s) => Some(&s.text),
        Value::Null => Some("~"),
        _ => None,
    }
}

fn is_merge_key(node: &Node) -> bool {
    matches!(&node.value, Value::Scalar(s) if !s.quoted && s.text == "<<") && node.tag.is_none()
}

/// Pairs up a mapping's children, rejects explicit duplicate keys and applies `<<` merges:
/// explicit keys win over merged ones, and among merged mappings the first wins. Merged
/// entries take the place of their `<<` key.
fn resolve_map(items: Vec<Node>) -> Result<Vec<(Node, Node)>, YamlError> {
    let mut entries = Vec::with_capacity(items.len() / 2);
    let mut it = items.into_iter();
    while let (Some(k), Some(v)) = (it.next(), it.next()) {
        entries.push((k, v));
    }
    let mut explicit: HashMap<&str, Span> = HashMap::new();
    let mut has_merge = false;
    for (k, _) in &entries {
        if is_merge_key(k) {
            has_merge = true;
            continue;
        }
        // Keys copied in by an alias of the whole key are as explicit as written ones.
        let Some(id) = key_id(k) else { continue };
        if let Some(first) = explicit.get(id) {
            return Err(YamlError {
                message: format!("duplicate key `{id}` in this mapping"),
                span: k.span,
                related: Some((*first, "first defined here".to_string())),
            });
        }
        explicit.insert(id, k.span);
    }
    if !has_merge {
        return Ok(entries);
    }
    let explicit: HashSet<String> = explicit.into_keys().map(str::to_string).collect();
    let mut merged: HashSet<String> = std::collections::HashSet::new();
    let mut out = Vec::with_capacity(entries.len());
    for (k, v) in entries {
        if !is_merge_key(&k) {
            out.push((k, v));
            continue;
        }
        let sources = match v.value {
            Value::Map(_) => vec![v],
            Value::Seq(items) => items,
            _ => {
                return Err(YamlError {
                    message: format!(
                        "a merge key `<<` takes a mapping or a list of mappings, not {}",
                        v.type_name()
                    ),
                    span: v.via.unwrap_or(v.span),
                    related: None,
                });
            }
        };
        for source in sources {
            let via = source.via.unwrap_or(k.span);
            let Value::Map(source_entries) = source.value else {
                return Err(YamlError {
                    message: format!(
                        "a merge key `<<` takes a mapping or a list of mappings; this item is {}",
                        source_type_name(&source.value)
                    ),
                    span: source.via.unwrap_or(source.span),
                    related: None,
                });
            };
            for (mut mk, mut mv) in source_entries {
                if let Some(id) = key_id(&mk)
                    && (explicit.contains(id) || !merged.insert(id.to_string()))
                {
                    continue;
                }
                mk.via.get_or_insert(via);
                mv.via.get_or_insert(via);
                out.push((mk, mv));
            }
        }
    }
    Ok(out)
}

fn source_type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Scalar(_) => "a scalar",
        Value::Seq(_) => "a sequence",
        Value::Map(_) => "a mapping",
    }
}

fn char_to_byte(s: &str, chars: usize) -> usize {
    s.char_indices().nth(chars).map_or(s.len(), |(i, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(text: &str) -> Node {
        let mut docs = parse(text, 7, Budget::default()).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(docs.len(), 1);
        docs.remove(0)
    }

    fn err(text: &str) -> YamlError {
        parse(text, 7, Budget::default()).expect_err("should fail")
    }

    fn keys(node: &Node) -> Vec<&str> {
        node.as_map()
            .unwrap()
            .iter()
            .map(|(k, _)| k.as_str().unwrap())
            .collect()
    }

    #[test]
    fn nested_scalar_has_line_column_and_byte_range() {
        let text = "services:\n  wéb:\n    image: \"nginx:1\"\n";
        let root = doc(text);
        let image = root
            .get("services")
            .unwrap()
            .get("wéb")
            .unwrap()
            .get("image")
            .unwrap();
        assert_eq!(image.as_str(), Some("nginx:1"));
        assert_eq!((image.span.line, image.span.col), (3, 12));
        assert_eq!(image.span.file, 7);
        assert_eq!(
            &text[image.span.start as usize..image.span.end as usize],
            "\"nginx:1\""
        );
        let key = &root.get("services").unwrap().as_map().unwrap()[0].0;
        assert_eq!((key.span.line, key.span.col), (2, 3));
        assert_eq!(&text[key.span.start as usize..key.span.end as usize], "wéb");
    }

    #[test]
    fn column_counts_characters_not_bytes() {
        let root = doc("é: {ü: [x]}\n");
        let x = &root.get("é").unwrap().get("ü").unwrap().as_seq().unwrap()[0];
        assert_eq!((x.span.line, x.span.col), (1, 9));
        assert_eq!(x.span.start, 10);
    }

    #[test]
    fn collection_spans_cover_their_content() {
        let text = "a:\n  b: 1\n  c: [2, 3]\nd: 4\n";
        let root = doc(text);
        let a = root.get("a").unwrap();
        assert_eq!(
            &text[a.span.start as usize..a.span.end as usize],
            "b: 1\n  c: [2, 3]"
        );
        let c = a.get("c").unwrap();
        assert_eq!(&text[c.span.start as usize..c.span.end as usize], "[2, 3]");
    }

    #[test]
    fn quoting_and_nulls() {
        let root = doc(
            "a: 1\nb: '1'\nc: \"x\"\nd: |\n  lit\ne: >\n  fold\nf:\ng: ~\nh: null\ni: 'null'\n",
        );
        let scalar = |k: &str| match &root.get(k).unwrap().value {
            Value::Scalar(s) => s.clone(),
            v => panic!("{k}: {v:?}"),
        };
        assert!(!scalar("a").quoted);
        assert!(scalar("b").quoted);
        assert!(scalar("c").quoted);
        assert_eq!(scalar("d").text, "lit\n");
        assert!(scalar("d").quoted);
        assert!(scalar("e").quoted);
        for k in ["f", "g", "h"] {
            assert!(root.get(k).unwrap().is_null(), "{k}");
        }
        assert_eq!(scalar("i").text, "null");
    }

    #[test]
    fn local_tags_are_kept_without_the_bang() {
        let root = doc("a: !reset []\nb: !override\n  x: 1\nc: !reset\nd: !!str 5\n");
        assert_eq!(root.get("a").unwrap().tag.as_deref(), Some("reset"));
        assert_eq!(root.get("a").unwrap().as_seq().map(<[_]>::len), Some(0));
        assert_eq!(root.get("b").unwrap().tag.as_deref(), Some("override"));
        let c = root.get("c").unwrap();
        assert!(c.is_null());
        assert_eq!(c.tag.as_deref(), Some("reset"));
        // An empty tagged value is located at its tag.
        assert_eq!((c.span.line, c.span.col, c.span.len()), (4, 4, 6));
        let d = root.get("d").unwrap();
        assert_eq!(
            d.value,
            Value::Scalar(Scalar {
                text: "5".into(),
                quoted: true
            })
        );
    }

    #[test]
    fn alias_copies_the_anchor_and_remembers_the_alias() {
        let text = "x: &hc\n  test: [CMD, true]\ny: *hc\n";
        let root = doc(text);
        let x = root.get("x").unwrap();
        let y = root.get("y").unwrap();
        assert_eq!(x.via, None);
        assert_eq!(y.span, x.span);
        let via = y.via.expect("via");
        assert_eq!(&text[via.start as usize..via.end as usize], "*hc");
        assert_eq!((via.line, via.col), (3, 4));
        // Everything inside the copy was reached through the alias too.
        let test = y.get("test").unwrap();
        assert_eq!(test.via, Some(via));
        assert_eq!(test.span, x.get("test").unwrap().span);
    }

    #[test]
    fn single_merge_explicit_keys_win() {
        let text = "base: &b\n  a: 1\n  b: 2\nsvc:\n  b: 20\n  <<: *b\n  c: 3\n";
        let root = doc(text);
        let svc = root.get("svc").unwrap();
        assert_eq!(keys(svc), ["b", "a", "c"]);
        assert_eq!(svc.get("b").unwrap().as_str(), Some("20"));
        assert_eq!(svc.get("b").unwrap().via, None);
        let a = svc.get("a").unwrap();
        assert_eq!((a.span.line, a.span.col), (2, 6));
        let via = a.via.unwrap();
        assert_eq!(&text[via.start as usize..via.end as usize], "*b");
    }

    #[test]
    fn merge_list_first_wins() {
        let text = "p: &p {a: 1, b: 1}\nq: &q {b: 2, c: 2}\ns:\n  <<: [*p, *q, {c: 3, d: 3}]\n";
        let root = doc(text);
        let s = root.get("s").unwrap();
        assert_eq!(keys(s), ["a", "b", "c", "d"]);
        assert_eq!(s.get("b").unwrap().as_str(), Some("1"));
        assert_eq!(s.get("c").unwrap().as_str(), Some("2"));
        let cv = s.get("c").unwrap().via.unwrap();
        assert_eq!(&text[cv.start as usize..cv.end as usize], "*q");
        // An inline mapping was not aliased: its entries point back at the `<<` key.
        let d = s.get("d").unwrap();
        assert_eq!(d.as_str(), Some("3"));
        let dv = d.via.unwrap();
        assert_eq!(&text[dv.start as usize..dv.end as usize], "<<");
    }

    #[test]
    fn merge_of_a_scalar_is_an_error() {
        let e = err("a: &a 1\nb:\n  <<: *a\n");
        assert!(e.message.contains("merge key"), "{}", e.message);
        assert_eq!((e.span.line, e.span.col), (3, 7));
    }

    #[test]
    fn quoted_merge_key_is_an_ordinary_key() {
        let root = doc("a: {'<<': {x: 1}}\n");
        assert_eq!(keys(root.get("a").unwrap()), ["<<"]);
    }

    #[test]
    fn duplicate_key_points_at_second_with_first_related() {
        let e = err("svc:\n  image: a\n  ports: []\n  image: b\n");
        assert!(e.message.contains("duplicate key `image`"), "{}", e.message);
        assert_eq!((e.span.line, e.span.col), (4, 3));
        let (first, label) = e.related.unwrap();
        assert_eq!((first.line, first.col), (2, 3));
        assert!(!label.is_empty());
    }

    #[test]
    fn merged_keys_are_not_duplicates() {
        let root = doc("b: &b {image: x}\ns:\n  <<: *b\n  image: y\n");
        assert_eq!(
            root.get("s").unwrap().get("image").unwrap().as_str(),
            Some("y")
        );
    }

    #[test]
    fn bom_and_crlf() {
        let text = "\u{feff}a: 1\r\nb: |\r\n  x\r\n  y\r\nc: z\r\n";
        let root = doc(text);
        assert_eq!(root.get("a").unwrap().as_str(), Some("1"));
        assert_eq!(root.get("b").unwrap().as_str(), Some("x\ny\n"));
        let c = root.get("c").unwrap();
        assert_eq!((c.span.line, c.span.col), (5, 4));
        // Offsets index the text as given, BOM included.
        assert_eq!(&text[c.span.start as usize..c.span.end as usize], "z");
    }

    #[test]
    fn documents_and_empty_streams() {
        assert!(parse("", 0, Budget::default()).unwrap().is_empty());
        assert!(
            parse("# only a comment\n", 0, Budget::default())
                .unwrap()
                .is_empty()
        );
        let docs = parse("a: 1\n---\nb: 2\n---\n", 0, Budget::default()).unwrap();
        assert_eq!(docs.len(), 3);
        assert!(docs[1].get("b").is_some());
        assert!(docs[2].is_null());
    }

    #[test]
    fn anchors_do_not_cross_documents() {
        let e = err("a: &x 1\n---\nb: *x\n");
        assert_eq!(e.span.line, 3);
    }

    #[test]
    fn syntax_error_has_parser_location() {
        let e = err("a: [1, 2\nb: 3\n");
        assert!(e.span.line >= 2, "{e:?}");
        assert!(!e.message.is_empty());
    }

    #[test]
    fn budget_counts_alias_copies() {
        let text = "a: &a [1, 2, 3, 4]\nb: [*a, *a, *a]\n";
        let budget = Budget {
            max_nodes: 14,
            max_depth: 10,
        };
        let e = parse(text, 0, budget).expect_err("over budget");
        assert!(e.message.contains("14 nodes"), "{}", e.message);
        assert_eq!(e.span.line, 2);
        assert!(e.related.is_some());
        assert!(
            parse(
                text,
                0,
                Budget {
                    max_nodes: 100,
                    max_depth: 10
                }
            )
            .is_ok()
        );
    }

    #[test]
    fn depth_counts_alias_copies() {
        let text = "a: &a [[[1]]]\nb: [[*a]]\n";
        let tight = Budget {
            max_nodes: 100,
            max_depth: 4,
        };
        let e = parse(text, 0, tight).expect_err("too deep");
        assert_eq!(e.span.line, 2);
        let loose = Budget {
            max_nodes: 100,
            max_depth: 6,
        };
        assert!(parse(text, 0, loose).is_ok());
    }
}
