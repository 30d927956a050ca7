//! Source files and spans. Every value the model holds remembers where it came from, so a
//! finding can point at the exact line and column and miette can render the snippet.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;

/// Index into [`Sources`].
pub type FileId = u32;

/// A region of one source file. Offsets are bytes into the file text; `line` and `col` are
/// 1-based, `col` counted in characters, and describe `start`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Span {
    pub file: FileId,
    pub start: u32,
    pub end: u32,
    pub line: u32,
    pub col: u32,
}

impl Span {
    pub fn new(file: FileId, start: usize, end: usize, line: usize, col: usize) -> Self {
        Span {
            file,
            start: start as u32,
            end: end.max(start) as u32,
            line: line as u32,
            col: col as u32,
        }
    }

    pub fn len(&self) -> usize {
        (self.end - self.start) as usize
    }

    pub fn is_empty(&self) -> bool {
        self.end == self.start
    }

    /// True for spans that were never set (synthesised values).
    pub fn is_dummy(&self) -> bool {
        self.line == 0
    }

    pub fn to_source_span(self) -> miette::SourceSpan {
        miette::SourceSpan::new((self.start as usize).into(), self.len())
    }
}

/// A value and the span it was read from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Spanned<T> {
    pub value: T,
    #[serde(skip)]
    pub span: Span,
}

impl<T> Spanned<T> {
    pub fn new(value: T, span: Span) -> Self {
        Spanned { value, span }
    }
}

impl<T> std::ops::Deref for Spanned<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

/// One loaded file: its path as the user would recognise it and its full text.
#[derive(Clone, Debug)]
pub struct SourceFile {
    pub path: PathBuf,
    pub text: Arc<str>,
    /// Byte offset of the start of every line, so positions resolve by binary search: reports
    /// and suppressions look up a line per finding, and a scan per lookup would make large
    /// files quadratic.
    line_starts: Arc<[u32]>,
}

impl SourceFile {
    pub fn new(path: PathBuf, text: Arc<str>) -> Self {
        let line_starts = std::iter::once(0)
            .chain(
                text.bytes()
                    .enumerate()
                    .filter(|&(_, b)| b == b'\n')
                    .map(|(i, _)| i as u32 + 1),
            )
            .collect();
        SourceFile {
            path,
            text,
            line_starts,
        }
    }

    /// Line and column (1-based, column in characters) of a byte offset, like [`line_col`].
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = self.line_starts.partition_point(|&s| s as usize <= offset);
        let start = self.line_starts[line - 1] as usize;
        let col = self
            .text
            .get(start..offset)
            .map_or(offset - start, |s| s.chars().count());
        (line, col + 1)
    }

    /// Byte range of the lines around `start..end`, `margin` lines either side, and the
    /// 0-based number of its first line: the window a snippet needs, found without a scan.
    pub fn window(&self, start: usize, end: usize, margin: usize) -> (usize, usize, usize) {
        let first = self
            .line_starts
            .partition_point(|&s| s as usize <= start.min(self.text.len()))
            .saturating_sub(1)
            .saturating_sub(margin);
        let last = self
            .line_starts
            .partition_point(|&s| s as usize <= end.min(self.text.len()))
            + margin;
        let from = self.line_starts[first] as usize;
        let to = self
            .line_starts
            .get(last)
            .map_or(self.text.len(), |&e| e as usize);
        (from, to, first)
    }

    /// The text of a 1-based line, without its line break.
    pub fn line(&self, line: usize) -> Option<&str> {
        let start = *self.line_starts.get(line.checked_sub(1)?)? as usize;
        let end = self
            .line_starts
            .get(line)
            .map_or(self.text.len(), |&e| e as usize);
        let l = self.text.get(start..end)?;
        Some(l.strip_suffix('\n').unwrap_or(l).trim_end_matches('\r'))
    }
}

/// All files a run read, so diagnostics can show snippets long after loading.
#[derive(Clone, Debug, Default)]
pub struct Sources {
    files: Vec<SourceFile>,
}

impl Sources {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a file, or returns the id it already has (the same file can be reached twice,
    /// e.g. through `extends` and `include`).
    pub fn add(&mut self, path: impl Into<PathBuf>, text: impl Into<Arc<str>>) -> FileId {
        let path = path.into();
        if let Some(i) = self.files.iter().position(|f| f.path == path) {
            return i as FileId;
        }
        self.files.push(SourceFile::new(path, text.into()));
        (self.files.len() - 1) as FileId
    }

    pub fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id as usize]
    }

    pub fn path(&self, id: FileId) -> &Path {
        &self.files[id as usize].path
    }

    pub fn find(&self, path: &Path) -> Option<FileId> {
        self.files
            .iter()
            .position(|f| f.path == path)
            .map(|i| i as FileId)
    }

    pub fn iter(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files.iter().enumerate().map(|(i, f)| (i as FileId, f))
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// A span for `start..end` of a loaded file, resolved through its line index.
    pub fn span(&self, file: FileId, start: usize, end: usize) -> Span {
        let (line, col) = self.get(file).line_col(start);
        Span::new(file, start, end, line, col)
    }

    /// A miette source for one file, named by its path.
    pub fn named_source(&self, id: FileId) -> miette::NamedSource<String> {
        let f = self.get(id);
        miette::NamedSource::new(f.path.display().to_string(), f.text.to_string())
    }
}

/// Line and column (1-based, column in characters) of a byte offset. Used by parsers that do
/// not track positions themselves.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text.as_bytes()[..offset];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |p| p + 1);
    let col = text
        .get(line_start..offset)
        .map_or(offset - line_start, |s| s.chars().count())
        + 1;
    (line, col)
}

/// A span for `start..end` of `text`, computing line and column.
pub fn span_of(file: FileId, text: &str, start: usize, end: usize) -> Span {
    let (line, col) = line_col(text, start);
    Span::new(file, start, end, line, col)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_from_one() {
        let t = "ab\ncdé\nx";
        assert_eq!(line_col(t, 0), (1, 1));
        assert_eq!(line_col(t, 3), (2, 1));
        assert_eq!(line_col(t, 7), (2, 4));
        assert_eq!(line_col(t, 8), (3, 1));
    }

    #[test]
    fn indexed_lookups_agree_with_scanning() {
        let t = "ab\ncdé\r\nx\n\nlast";
        let f = SourceFile::new("f".into(), t.into());
        for offset in 0..=t.len() + 2 {
            if t.is_char_boundary(offset.min(t.len())) {
                assert_eq!(f.line_col(offset), line_col(t, offset), "offset {offset}");
            }
        }
        assert_eq!(f.line(2), Some("cdé"));
        assert_eq!(f.line(4), Some(""));
        assert_eq!(f.line(5), Some("last"));
        assert_eq!(f.line(0), None);
        assert_eq!(f.line(6), None);
    }
}
