//! Token boundaries found 64 bytes at a time.
//!
//! The character-by-character scanner asks, for every character, whether it is ASCII and then
//! whether it is a letter: in Vietnamese, where letters with and without diacritics alternate
//! within syllables, the processor mispredicted those branches about four times per token, and
//! finding boundaries cost most of the text analysis. Here every byte of a 64-byte window is
//! classified by table, without a branch, into three bit masks (bytes of letters and digits,
//! continuation bytes, bytes the tables cannot decide), and tokens are read off the masks as runs
//! of set bits. Windows holding a character the tables do not decide (combining marks, other
//! scripts, most symbols outside the common blocks) hand that stretch to the scalar scanner, so
//! the tokens are exactly those of [`crate::tokens::Tokens`]; a test compares them for every
//! character.

use std::sync::LazyLock;

use crate::fold::is_combining_mark;
use crate::glyph::glyphs;
use crate::tokens::{is_word_char, past_invisibles, skip_separators, token_end};

/// What a byte is, given the byte after it: ends or continues no token, starts or continues one
/// (a letter or digit that is not a combining mark), is a UTF-8 continuation byte (as its lead
/// byte is), or cannot be decided here. One bit each, so that eight answers side by side in a
/// word turn into eight mask bits at once (see [`lane_bits`]).
const SEPARATOR: u8 = 0;
const WORD: u8 = 1;
const CONTINUATION: u8 = 2;
const UNDECIDED: u8 = 4;

/// Rows of 64 answers, chosen by the low six bits of the next byte; at most 64 rows, so that an
/// index masked to the table's size needs no bounds check.
const ROWS: usize = 64;

/// The row of [`Tables::rows`] for each byte value.
struct Tables {
    row_of: [u8; 256],
    rows: Box<[u8; ROWS * 64]>,
}

static TABLES: LazyLock<Tables> = LazyLock::new(build);

/// How a character decides: as a separator, as a token character, or not here.
fn decide(c: char) -> u8 {
    if is_combining_mark(c) {
        UNDECIDED
    } else if is_word_char(c) {
        WORD
    } else {
        SEPARATOR
    }
}

/// One decision for a whole block of characters, if they all agree.
fn uniform(codes: impl Iterator<Item = u32>) -> u8 {
    let mut seen = None;
    for code in codes {
        let d = char::from_u32(code).map_or(UNDECIDED, decide);
        match seen {
            None => seen = Some(d),
            Some(s) if s != d => return UNDECIDED,
            Some(_) => {}
        }
    }
    seen.unwrap_or(UNDECIDED)
}

fn build() -> Tables {
    // Rows 0..4: a constant answer whatever the next byte.
    let constant = [SEPARATOR, WORD, CONTINUATION, UNDECIDED];
    let mut rows: Vec<u8> = constant.iter().flat_map(|&v| [v; 64]).collect();
    let [separator_row, word_row, continuation_row, undecided_row] = [0, 1, 2, 3];
    let mut row_of = [undecided_row; 256];
    for b in 0..=255u8 {
        row_of[usize::from(b)] = match b {
            0..0x80 if b.is_ascii_alphanumeric() => word_row,
            0..0x80 => separator_row,
            0x80..0xC0 => continuation_row,
            // Two-byte characters: decided one by one, by the second byte.
            0xC2..0xE0 => {
                let row = (rows.len() / 64) as u8;
                let base = u32::from(b & 0x1F) << 6;
                rows.extend((0..64).map(|low| char::from_u32(base | low).map_or(UNDECIDED, decide)));
                row
            }
            // Three-byte characters: by blocks of 64 that all decide alike.
            0xE0..0xF0 => {
                let row = (rows.len() / 64) as u8;
                let base = u32::from(b & 0x0F) << 12;
                rows.extend((0..64).map(|second| {
                    let block = base | second << 6;
                    uniform(block..block + 64)
                }));
                row
            }
            _ => undecided_row,
        };
    }
    let mut table = Box::new([UNDECIDED; ROWS * 64]);
    // 4 constant rows, 30 for two-byte and 16 for three-byte leads: 50.
    table[..rows.len()].copy_from_slice(&rows);
    Tables { row_of, rows: table }
}

/// Bytes per window.
const WINDOW: usize = 64;

/// The masks of one window: bit `i` for the window's byte `i`.
struct Window {
    /// Bytes of token characters (lead and continuation bytes).
    word: u64,
    /// How many leading bytes the masks decide (up to the first undecided character).
    decided: usize,
}

/// Classifies the bytes of `w[..len]` (`w[len]` is the byte after, or 0).
#[inline]
fn classify(tables: &Tables, w: &[u8; WINDOW + 1], len: usize) -> Window {
    let (mut lead, mut cont, mut undecided) = (0u64, 0u64, 0u64);
    for chunk in 0..WINDOW / 8 {
        let mut lanes = 0u64;
        for j in 0..8 {
            let i = chunk * 8 + j;
            let row = usize::from(tables.row_of[usize::from(w[i])]);
            let answer = tables.rows[(row << 6 | usize::from(w[i + 1] & 0x3F)) & (ROWS * 64 - 1)];
            lanes |= u64::from(answer) << (8 * j);
        }
        let at = 8 * chunk;
        lead |= lane_bits(lanes, WORD) << at;
        cont |= lane_bits(lanes, CONTINUATION) << at;
        undecided |= lane_bits(lanes, UNDECIDED) << at;
    }
    // A continuation byte belongs to a token when its lead byte does: characters have at most
    // three continuation bytes.
    let mut word = lead;
    for _ in 0..3 {
        word |= cont & (word << 1);
    }
    let decided = (undecided.trailing_zeros() as usize).min(len);
    let keep = if decided >= WINDOW { u64::MAX } else { (1u64 << decided) - 1 };
    Window { word: word & keep, decided }
}

/// Bit `j` set when byte `j` of `lanes` has the bit `flag`: one multiplication gathers the eight
/// lane bits into the top byte.
#[inline(always)]
fn lane_bits(lanes: u64, flag: u8) -> u64 {
    let ones = (lanes >> flag.trailing_zeros()) & 0x0101_0101_0101_0101;
    ones.wrapping_mul(0x0102_0408_1020_4080) >> 56
}

/// Byte ranges of the tokens of a text, as [`crate::tokens::tokens`] defines them.
pub(crate) struct BlockTokens<'a> {
    text: &'a str,
    /// Where the current window starts.
    base: usize,
    /// Token bytes of the current window not yet returned.
    mask: u64,
    /// How many bytes of the current window the mask decides.
    decided: usize,
    /// Where the next window starts once the mask is used up.
    next: usize,
    tables: &'static Tables,
}

impl<'a> BlockTokens<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        BlockTokens { text, base: 0, mask: 0, decided: 0, next: 0, tables: &TABLES }
    }

    /// Loads the window starting at `self.next`; `false` at the end of the text.
    fn load(&mut self) -> bool {
        let bytes = self.text.as_bytes();
        let pos = self.next;
        if pos >= bytes.len() {
            return false;
        }
        let len = (bytes.len() - pos).min(WINDOW);
        let window = match bytes.get(pos..pos + WINDOW + 1).and_then(|w| <&[u8; WINDOW + 1]>::try_from(w).ok()) {
            Some(w) => classify(self.tables, w, len),
            None => {
                let mut padded = [0u8; WINDOW + 1];
                padded[..bytes.len() - pos].copy_from_slice(&bytes[pos..]);
                classify(self.tables, &padded, len)
            }
        };
        self.base = pos;
        self.mask = window.word;
        self.decided = window.decided;
        // Past the decided bytes, on a character boundary (a window may end inside one).
        let mut next = pos + window.decided;
        while !self.text.is_char_boundary(next) {
            next -= 1;
        }
        self.next = next;
        true
    }

    /// The next token by the character scanner, from `pos` on.
    fn scalar(&mut self, pos: usize) -> Option<(usize, usize)> {
        let glyphs = glyphs();
        let start = skip_separators(self.text, pos, glyphs)?;
        let end = token_end(self.text, start, glyphs);
        self.mask = 0;
        self.next = end;
        Some((start, end))
    }
}

impl Iterator for BlockTokens<'_> {
    type Item = (usize, usize);

    #[inline]
    fn next(&mut self) -> Option<(usize, usize)> {
        let (start, end) = self.next_by_masks()?;
        // The masks take an invisible character for a separator; between two letters it is
        // none (see `past_invisibles`), and the character scanner reads such a word whole.
        if past_invisibles(self.text, end).is_some() {
            return self.scalar(start);
        }
        Some((start, end))
    }
}

impl BlockTokens<'_> {
    #[inline]
    fn next_by_masks(&mut self) -> Option<(usize, usize)> {
        loop {
            if self.mask != 0 {
                let start = self.mask.trailing_zeros() as usize;
                let end = start + (!(self.mask >> start)).trailing_zeros() as usize;
                // A run up to the last decided byte may go on past it.
                if end >= self.decided && self.base + end < self.text.len() {
                    if start == 0 {
                        return self.scalar(self.base);
                    }
                    self.mask = 0;
                    self.next = self.base + start;
                    continue;
                }
                self.mask &= u64::MAX.checked_shl(end as u32).unwrap_or(0);
                return Some((self.base + start, self.base + end));
            }
            let at = self.next;
            if !self.load() {
                return None;
            }
            if self.decided == 0 {
                return self.scalar(at);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tokens::Tokens;

    type Spans = Vec<(usize, usize)>;

    fn both(text: &str) -> (Spans, Spans) {
        (BlockTokens::new(text).collect(), Tokens::new(text).collect())
    }

    #[test]
    fn agrees_with_the_character_scanner_for_every_character() {
        let mut text = String::new();
        // Every character of one to three bytes; of four bytes (all handed to the character
        // scanner) emoji, letters and digits of the supplementary planes, and the last one.
        let four = [0x1_0000, 0x1_0400, 0x1_D400, 0x1_D7CE, 0x1_F100, 0x1_F600, 0x2_0000, 0x10_FFFF];
        for code in (0..0x1_0000).chain(four) {
            let Some(c) = char::from_u32(code) else { continue };
            text.clear();
            // The character alone, inside a token, after one, and across a window's end.
            for (i, pad) in ["", "ab", "x ", &"y".repeat(62), &"z ".repeat(31)].iter().enumerate() {
                text.push_str(pad);
                text.push(c);
                text.push(if i % 2 == 0 { 'b' } else { ' ' });
                text.push(c);
            }
            let (fast, slow) = both(&text);
            assert_eq!(fast, slow, "U+{code:04X} in {text:?}");
        }
    }

    #[test]
    fn long_tokens_and_window_ends() {
        for text in [
            "",
            " ",
            "a",
            &"a".repeat(64),
            &"á".repeat(40),
            &format!("{} ở đây", "nghiêng".repeat(20)),
            &"Người dân Hà Nội – “sốt” giá, 100% ".repeat(9),
            "xin chào\u{0301}x ̀a bạn",
        ] {
            let (fast, slow) = both(text);
            assert_eq!(fast, slow, "{text:?}");
        }
    }
}
