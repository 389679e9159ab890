//! Lines and columns of byte offsets in a source text (`graph.toml`,
//! `torc.toml`), for error locations.
//!
//! Readers record the line of every node, edge and dependency they read,
//! so a location is asked for once per item: counting newlines from the
//! start of the text each time made reading quadratic (20,000 nodes took
//! 39 s). [`LineIndex`] finds the line's start once, with a binary search
//! over line starts computed in one pass, then counts characters only
//! within that line.

use std::cell::Cell;

thread_local! {
    /// Bytes this thread has scanned to locate offsets (see [`bytes_examined`]).
    static EXAMINED: Cell<u64> = const { Cell::new(0) };
}

/// How many bytes [`LineIndex`] has scanned on this thread so far: the
/// whole text once per index, then the part of a line before each offset
/// located. Scaling tests compare it with the size of their input (a
/// linear reader scans each byte a bounded number of times).
pub fn bytes_examined() -> u64 {
    EXAMINED.with(Cell::get)
}

fn examine(bytes: usize) {
    EXAMINED.with(|e| e.set(e.get().saturating_add(bytes as u64)));
}

/// Byte offsets at which the lines of a text start.
#[derive(Clone, Debug)]
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    /// Indexes `text` in one pass.
    pub fn new(text: &str) -> LineIndex {
        examine(text.len());
        let mut starts = vec![0];
        starts.extend(text.bytes().enumerate().filter(|&(_, b)| b == b'\n').map(|(i, _)| i + 1));
        LineIndex { starts }
    }

    /// 1-based line and column (in characters) of byte `offset` of `text`
    /// (the text this index was built from). An offset past the end is the
    /// end; one inside a character is that character.
    pub fn line_col(&self, text: &str, offset: usize) -> (usize, usize) {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.starts.partition_point(|&start| start <= offset).max(1);
        let start = self.starts[line - 1].min(offset);
        examine(offset - start);
        (line, text[start..offset].chars().count() + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The definition: count what comes before the offset.
    fn naive(text: &str, offset: usize) -> (usize, usize) {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = &text[..offset];
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        (before.matches('\n').count() + 1, before[line_start..].chars().count() + 1)
    }

    #[test]
    fn lines_and_columns() {
        let text = "ab\n\nçd\r\nx";
        let index = LineIndex::new(text);
        let got: Vec<_> = (0..=text.len() + 2).map(|o| index.line_col(text, o)).collect();
        let want: Vec<_> = (0..=text.len() + 2).map(|o| naive(text, o)).collect();
        assert_eq!(got, want);
        assert_eq!(index.line_col(text, 5), (3, 1));
        assert_eq!(index.line_col(text, 6), (3, 2));
        assert_eq!(index.line_col(text, 10), (4, 2));
        assert_eq!(LineIndex::new("").line_col("", 3), (1, 1));
    }

    #[test]
    fn each_location_scans_only_its_line() {
        let text = "x = 1\n".repeat(10_000);
        let before = bytes_examined();
        let index = LineIndex::new(&text);
        for line in 0..10_000 {
            assert_eq!(index.line_col(&text, line * 6 + 4), (line + 1, 5));
        }
        assert_eq!(bytes_examined() - before, text.len() as u64 + 4 * 10_000);
    }

    proptest! {
        #[test]
        fn agrees_with_counting_from_the_start(text in "[a\n\u{e9}\u{1F600}\r]{0,40}", offset in 0usize..50) {
            prop_assert_eq!(LineIndex::new(&text).line_col(&text, offset), naive(&text, offset));
        }
    }
}
