//! What the scanners need to know about each character, looked up by its UTF-8 bytes.
//!
//! Decoding every character and then asking the vowel table, the combining-mark ranges and
//! Unicode's alphabetic tables was most of the tokenizer's and normaliser's time. Every letter of
//! Vietnamese lies in U+0000..U+01FF or in U+1E00..U+1EFF (Latin Extended Additional), so one table
//! indexed straight from the lead and continuation bytes answers in one load; characters outside
//! those ranges (other scripts, marks, typographic punctuation) take the general path.

use std::sync::LazyLock;

use crate::fold::is_combining_mark;
use crate::tokens::is_word_char;
use crate::tone::vowel_info;

/// How a scanner treats a character.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Not part of a token.
    Separator,
    /// A Vietnamese letter whose lower-case and folded forms are in the table.
    Letter,
    /// Part of a token, but written by the general path (a foreign letter such as `ñ`).
    Other,
}

/// One character's facts.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Glyph {
    pub(crate) kind: Kind,
    /// Length of the character in the text, in bytes.
    pub(crate) len: u8,
    /// Lower case, tone kept (empty unless [`Kind::Letter`]).
    pub(crate) lower: &'static str,
    /// Lower case without any mark: an ASCII letter.
    pub(crate) folded: u8,
    /// A vowel (with or without marks).
    pub(crate) vowel: bool,
    /// A vowel with a tone mark.
    pub(crate) toned: bool,
    /// A vowel with a quality mark (ă â ê ô ơ ư).
    pub(crate) marked: bool,
    /// An upper-case letter.
    pub(crate) upper: bool,
}

/// U+0080..U+01FF: lead bytes C2..C7.
const LOW_START: u32 = 0x80;
const LOW_LEN: usize = 0x200 - 0x80;
/// U+1E00..U+1EFF: E1 B8 xx .. E1 BB xx.
const HIGH_START: u32 = 0x1E00;
const HIGH_LEN: usize = 0x100;

static GLYPHS: LazyLock<Box<[Glyph]>> = LazyLock::new(build);

/// The table, to be fetched once outside a scanner's inner loop.
#[inline]
pub(crate) fn glyphs() -> &'static [Glyph] {
    &GLYPHS
}

fn build() -> Box<[Glyph]> {
    let codes = (LOW_START..LOW_START + LOW_LEN as u32).chain(HIGH_START..HIGH_START + HIGH_LEN as u32);
    let glyphs: Vec<(Glyph, Option<char>)> = codes.map(glyph_of).collect();
    // The lower-case forms live in one string for the life of the process, so scanners append
    // them with `push_str` and nothing has to be re-validated as UTF-8.
    let mut forms = String::new();
    let mut ranges = Vec::with_capacity(glyphs.len());
    for (_, lower) in &glyphs {
        let start = forms.len();
        forms.extend(lower);
        ranges.push(start..forms.len());
    }
    let forms: &'static str = Box::leak(forms.into_boxed_str());
    glyphs
        .into_iter()
        .zip(ranges)
        .map(|((glyph, _), range)| Glyph { lower: forms.get(range).unwrap_or(""), ..glyph })
        .collect()
}

/// A character's glyph, with its lower-case form when it is a [`Kind::Letter`].
fn glyph_of(code: u32) -> (Glyph, Option<char>) {
    let c = char::from_u32(code).unwrap_or('\0');
    let mut glyph = Glyph {
        kind: Kind::Separator,
        len: c.len_utf8() as u8,
        lower: "",
        folded: 0,
        vowel: false,
        toned: false,
        marked: false,
        upper: c.is_uppercase(),
    };
    let (lower, folded) = match vowel_info(c) {
        Some(info) => {
            glyph.vowel = true;
            glyph.toned = info.toned;
            glyph.marked = info.marked;
            (info.lower, info.folded)
        }
        // `Ð` (U+00D0, the Icelandic eth) is what old fonts and keyboards put for `Đ`.
        None if c == 'đ' || c == 'Đ' || c == 'Ð' => ('đ', 'd'),
        None => {
            if is_word_char(c) || is_combining_mark(c) {
                glyph.kind = Kind::Other;
            }
            return (glyph, None);
        }
    };
    if !folded.is_ascii() {
        glyph.kind = Kind::Other;
        return (glyph, None);
    }
    glyph.kind = Kind::Letter;
    glyph.folded = folded as u8;
    (glyph, Some(lower))
}

/// The glyph of the non-ASCII character starting at byte `i`, if it lies in the table's ranges.
/// `bytes` must be valid UTF-8 and `i` a char boundary.
#[inline]
pub(crate) fn glyph_at<'t>(table: &'t [Glyph], bytes: &[u8], i: usize) -> Option<&'t Glyph> {
    let lead = *bytes.get(i)?;
    let second = *bytes.get(i + 1)?;
    let index = match lead {
        0xC2..=0xC7 => (u32::from(lead & 0x1F) << 6 | u32::from(second & 0x3F)) - LOW_START,
        0xE1 if (0xB8..=0xBB).contains(&second) => {
            let third = u32::from(*bytes.get(i + 2)? & 0x3F);
            LOW_LEN as u32 + (u32::from(second - 0xB8) << 6 | third)
        }
        _ => return None,
    };
    table.get(index as usize)
}

/// ASCII bytes by class, as bits: a letter or digit (0: not part of a token), a vowel, upper case.
pub(crate) const ASCII_SEPARATOR: u8 = 0;
pub(crate) const ASCII_WORD: u8 = 1;
pub(crate) const ASCII_VOWEL: u8 = 2;
pub(crate) const ASCII_UPPER: u8 = 4;

pub(crate) static ASCII_CLASS: [u8; 128] = {
    let mut table = [ASCII_SEPARATOR; 128];
    let mut b = 0;
    while b < 128 {
        let byte = b as u8;
        if byte.is_ascii_alphanumeric() {
            let vowel = matches!(byte.to_ascii_lowercase(), b'a' | b'e' | b'i' | b'o' | b'u' | b'y');
            table[b] = ASCII_WORD
                | if vowel { ASCII_VOWEL } else { 0 }
                | if byte.is_ascii_uppercase() { ASCII_UPPER } else { 0 };
        }
        b += 1;
    }
    table
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fold::fold_char;

    /// Every character of both ranges agrees with the general functions it stands in for.
    #[test]
    fn table_agrees_with_the_general_path() {
        let table = glyphs();
        for code in (0x80..0x200).chain(0x1E00..0x1F00) {
            let Some(c) = char::from_u32(code) else { continue };
            let text = c.to_string();
            let glyph = glyph_at(table, text.as_bytes(), 0).expect("in range");
            assert_eq!(usize::from(glyph.len), c.len_utf8(), "{c}");
            match glyph.kind {
                Kind::Separator => assert!(!is_word_char(c) && !is_combining_mark(c), "{c}"),
                Kind::Other => assert!(is_word_char(c) || is_combining_mark(c), "{c}"),
                Kind::Letter => {
                    // Except `Ð`, read as the `Đ` it stands for.
                    let lower: String = if c == 'Ð' { "đ".into() } else { c.to_lowercase().collect() };
                    assert_eq!(glyph.lower, lower, "{c}");
                    assert_eq!(char::from(glyph.folded), fold_char(lower.chars().next().unwrap_or(c)), "{c}");
                }
            }
        }
        assert!(glyph_at(table, "a".as_bytes(), 0).is_none());
        assert!(glyph_at(table, "€".as_bytes(), 0).is_none());
        assert!(glyph_at(table, "\u{1F00}".as_bytes(), 0).is_none());
    }
}
