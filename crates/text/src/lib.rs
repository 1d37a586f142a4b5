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
pub use informal::{TEENCODE, teencode};
pub use lang::{Language, detect_language};
pub use legacy::{Legacy, decode_legacy, detect_legacy};
pub use normalize::{clean, normalize, normalize_token_into};
pub use tokens::{Analysis, View, tokens};
pub use tone::canonical_tone_placement;

/// 1-based line and column (in characters) of a byte offset in `text`, for error messages.
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}
