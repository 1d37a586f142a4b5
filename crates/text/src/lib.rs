//! Vietnamese-aware text layer shared by extraction, rules, search and reports.
//!
//! Takes raw bytes or strings and produces: decoded Unicode ([`decode`], including pages in the
//! pre-Unicode TCVN3 and VNI encodings, [`detect_legacy`]), a cleaned form for storage ([`clean`]:
//! NFC, no zero-width or control characters, plain spaces), a normalised form ([`normalize`]: one
//! canonical tone-mark placement, so `hoà` and `hòa` are the same word, and unified punctuation), a
//! folded form ([`fold`]: no diacritics, `đ` → `d`), syllable tokens with byte offsets into the
//! original and four matching views of them ([`tokens`], [`Analysis`], [`View`]: exact, folded,
//! and informal with teencode expanded, [`teencode`]), tantivy analyzers built from the same
//! functions ([`analyzer`]), stopwords for trend statistics ([`stopwords`]), language
//! identification that knows unaccented Vietnamese ([`detect_language`]) and date parsing
//! ([`parse_date`]). It never rewrites stored text beyond [`clean`], never touches the network and
//! never panics on any input. Measured figures and how to reproduce them are in `README.md`.

pub mod analyzer;
mod blocks;
mod date;
mod decode;
mod fold;
mod glyph;
mod informal;
mod lang;
mod legacy;
mod normalize;
pub mod stopwords;
mod syllable;
mod tokens;
mod tone;

pub use date::{parse_date, parse_date_at, vietnam};
pub use decode::{Decoded, decode, looks_binary, sniff_meta_charset};
pub use fold::{fold, fold_char, fold_into};
pub use informal::{TEENCODE, marks_informal, teencode};
pub use lang::{Language, detect_language, item_language, language_code};
pub use legacy::{Legacy, decode_legacy, detect_legacy};
pub use normalize::{clean, normalize, normalize_token_into};
pub use tokens::{Analysis, View, short_key, tokens};
pub use tone::{canonical_tone_placement, stem_begins};

/// 1-based line and column (in characters) of a byte offset in `text`, for error messages. For
/// many lookups in one text use [`LineIndex`]: this one reads the text from its start every time.
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    LineIndex::new(text).line_column(offset)
}

/// Where the lines of a text start, so that files with many entries (rule packs and claims files
/// of 100,000 entries) get every entry's position in linear time, not quadratic.
#[derive(Debug, Clone)]
pub struct LineIndex<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    /// One pass over `text`.
    pub fn new(text: &'a str) -> LineIndex<'a> {
        let starts = std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1)).collect();
        LineIndex { text, starts }
    }

    /// 1-based line and column (in characters) of a byte offset (clamped into the text).
    pub fn line_column(&self, offset: usize) -> (usize, usize) {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.starts.partition_point(|&s| s <= offset).max(1);
        let start = self.starts.get(line - 1).copied().unwrap_or(0);
        // Characters are the bytes that are not continuation bytes: a count that vectorises, so
        // even one very long line stays cheap.
        let column = self.text.as_bytes()[start..offset].iter().filter(|&&b| b & 0xC0 != 0x80).count() + 1;
        (line, column)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_index_agrees_with_a_plain_count() {
        let text = "a = 1\nquery = \"khẩu trang\"\n\nđ\r\nend";
        let index = LineIndex::new(text);
        for offset in 0..=text.len() + 2 {
            let mut o = offset.min(text.len());
            while !text.is_char_boundary(o) {
                o -= 1;
            }
            let before = &text[..o];
            let expected =
                (before.matches('\n').count() + 1, before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1);
            assert_eq!(index.line_column(offset), expected, "offset {offset}");
        }
        assert_eq!(LineIndex::new("").line_column(5), (1, 1));
    }
}
