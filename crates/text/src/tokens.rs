//! Syllable tokens with offsets, and the joined matching views built from them.

use crate::fold::{fold_into, is_combining_mark};
use crate::informal::informal_form;
use crate::normalize::normalize_token_into;
use crate::tone::{MAX_SYLLABLE, ToneWatch, is_vowel, place_tone, vowel_info};

/// Byte ranges `[start, end)` of the syllable tokens of `text`: maximal runs of letters and digits
/// (combining marks stay with their letter). Offsets always fall on char boundaries of `text`.
pub fn tokens(text: &str) -> impl Iterator<Item = (usize, usize)> + '_ {
    Tokens::new(text)
}

/// Byte-level scanner: ASCII is classified by table, other characters are decoded once.
pub(crate) struct Tokens<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Tokens<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        Tokens { text, pos: 0 }
    }
}

impl Iterator for Tokens<'_> {
    type Item = (usize, usize);

    fn next(&mut self) -> Option<(usize, usize)> {
        let bytes = self.text.as_bytes();
        let start = loop {
            let &b = bytes.get(self.pos)?;
            if b < 0x80 {
                if ASCII_WORD[usize::from(b)] {
                    break self.pos;
                }
                self.pos += 1;
                continue;
            }
            let c = char_at(self.text, self.pos);
            if starts_token(c) {
                break self.pos;
            }
            self.pos += c.len_utf8();
        };
        while let Some(&b) = bytes.get(self.pos) {
            if b < 0x80 {
                if !ASCII_WORD[usize::from(b)] {
                    break;
                }
                self.pos += 1;
                continue;
            }
            let c = char_at(self.text, self.pos);
            if !(is_word_char(c) || is_combining_mark(c)) {
                break;
            }
            self.pos += c.len_utf8();
        }
        Some((start, self.pos))
    }
}

/// One pass over a text that yields each token's span and writes its exact form (lower case,
/// canonical tone) and, when asked, its folded form. Every character is decoded once: this is the
/// hot path of rules and indexing.
pub(crate) struct ViewScanner<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> ViewScanner<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        ViewScanner { text, pos: 0 }
    }

    /// The next token's byte span, after appending its exact form to `exact` and its folded form
    /// to `folded`.
    pub(crate) fn next_into(&mut self, exact: &mut String, folded: Option<&mut String>) -> Option<(usize, usize)> {
        let bytes = self.text.as_bytes();
        let start = self.skip_separators()?;
        // All-ASCII tokens (numbers, unaccented words, names) need no per-letter work.
        let ascii_end = start + bytes[start..].iter().take_while(|&&b| b < 0x80 && ASCII_WORD[usize::from(b)]).count();
        if bytes.get(ascii_end).is_none_or(|&b| b < 0x80) {
            self.pos = ascii_end;
            let token = &self.text[start..ascii_end];
            push_ascii_lower(token, exact);
            if let Some(folded) = folded {
                push_ascii_lower(token, folded);
            }
            return Some((start, ascii_end));
        }
        // Lower-case letters and their folded forms, for tokens short enough to be syllables.
        let mut chars = ['\0'; MAX_SYLLABLE];
        let mut bases = ['\0'; MAX_SYLLABLE];
        let mut n = 0;
        let mut tones = ToneWatch::default();
        // Anything the fast path cannot write by itself: a letter outside Vietnamese, a mark, more
        // characters than a syllable has.
        let mut general = false;
        let mut ascii = true;
        while let Some(&b) = bytes.get(self.pos) {
            let (lower, base) = if b < 0x80 {
                if !ASCII_WORD[usize::from(b)] {
                    break;
                }
                self.pos += 1;
                let lower = b.to_ascii_lowercase();
                if matches!(lower, b'a' | b'e' | b'i' | b'o' | b'u' | b'y') {
                    tones.plain_vowel();
                }
                (char::from(lower), char::from(lower))
            } else {
                let c = char_at(self.text, self.pos);
                let pair = match vowel_info(c) {
                    Some(info) => {
                        tones.vowel(info);
                        (info.lower, info.folded)
                    }
                    None if c == 'đ' || c == 'Đ' => ('đ', 'd'),
                    None if is_word_char(c) || is_combining_mark(c) => {
                        general = true;
                        (c, c)
                    }
                    None => break,
                };
                self.pos += c.len_utf8();
                ascii = false;
                pair
            };
            match (chars.get_mut(n), bases.get_mut(n)) {
                (Some(slot), Some(base_slot)) => (*slot, *base_slot) = (lower, base),
                _ => general = true,
            }
            n += 1;
        }
        let token = &self.text[start..self.pos];
        if ascii {
            push_ascii_lower(token, exact);
            if let Some(folded) = folded {
                push_ascii_lower(token, folded);
            }
        } else if general {
            let from = exact.len();
            normalize_token_into(token, exact);
            if let Some(folded) = folded {
                fold_into(&exact[from..], folded);
            }
        } else {
            let chars = &mut chars[..n];
            if tones.may_move() {
                place_tone(chars);
            }
            exact.extend(chars.iter());
            // Folding ignores where the tone sits, so the bases need no repair.
            if let Some(folded) = folded {
                folded.extend(&bases[..n]);
            }
        }
        Some((start, self.pos))
    }

    /// Moves past characters that are not part of a token; returns where the next token starts.
    fn skip_separators(&mut self) -> Option<usize> {
        let bytes = self.text.as_bytes();
        loop {
            let &b = bytes.get(self.pos)?;
            if b < 0x80 {
                if ASCII_WORD[usize::from(b)] {
                    return Some(self.pos);
                }
                self.pos += 1;
                continue;
            }
            let c = char_at(self.text, self.pos);
            if starts_token(c) {
                return Some(self.pos);
            }
            self.pos += c.len_utf8();
        }
    }
}

fn push_ascii_lower(token: &str, out: &mut String) {
    let from = out.len();
    out.push_str(token);
    // Only ASCII bytes past `from`: lower-casing them in place keeps the string valid UTF-8.
    out[from..].make_ascii_lowercase();
}

/// ASCII letters and digits, by byte.
pub(crate) static ASCII_WORD: [bool; 128] = {
    let mut table = [false; 128];
    let mut b = 0;
    while b < 128 {
        table[b] = (b as u8).is_ascii_alphanumeric();
        b += 1;
    }
    table
};

/// The char starting at byte `pos` of `text`, decoded by hand: `pos` is always a char boundary
/// here, and skipping the generic checks matters in the scanners' inner loops. Returns U+0000
/// (length 1) for an out-of-range position, which callers treat as a separator.
#[inline]
pub(crate) fn char_at(text: &str, pos: usize) -> char {
    let bytes = text.as_bytes();
    let byte = |i: usize| u32::from(bytes.get(pos + i).copied().unwrap_or(0) & 0x3F);
    let Some(&lead) = bytes.get(pos) else { return '\0' };
    let lead = u32::from(lead);
    let code = match lead {
        0..0x80 => lead,
        0xC0..0xE0 => (lead & 0x1F) << 6 | byte(1),
        0xE0..0xF0 => (lead & 0x0F) << 12 | byte(1) << 6 | byte(2),
        _ => (lead & 0x07) << 18 | byte(1) << 12 | byte(2) << 6 | byte(3),
    };
    char::from_u32(code).unwrap_or('\0')
}

/// A token starts with a letter or digit, never with a combining mark (some are alphabetic):
/// a mark alone normalises to nothing.
#[inline]
fn starts_token(c: char) -> bool {
    is_word_char(c) && !is_combining_mark(c)
}

/// Letters and digits: what a token is made of. Vietnamese letters are answered from the vowel
/// table before the general Unicode lookup.
#[inline]
pub(crate) fn is_word_char(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphanumeric();
    }
    is_vowel(c) || c == 'đ' || c == 'Đ' || c.is_alphanumeric()
}

/// Which matching view of a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum View {
    /// Lower case, canonical tone marks: `hòa` ≠ `hỏa`.
    Exact,
    /// Lower case, no diacritics: `hoa` for both.
    Folded,
    /// [`View::Exact`] with teencode and stretched words in their standard form (`ko` → `không`,
    /// `mn` → `mọi người`, `quáaaa` → `quá`; see [`crate::TEENCODE`]), for rules and sentiment on
    /// social text. One token may become several syllables; matches still map to whole tokens of
    /// the original.
    Informal,
    /// [`View::Informal`], folded.
    InformalFolded,
}

/// A text prepared for matching: its tokens, and for each view the normalised tokens joined by
/// single spaces, with where each token starts in the joined string.
///
/// A pattern found in a joined view is a whole-word match exactly when it starts at a syllable
/// start and ends at a syllable end; [`Analysis::token_range`] checks that and maps the match back
/// to byte offsets of the original text. The informal views are built on first use.
#[derive(Debug, Clone, Default)]
pub struct Analysis {
    /// Token byte ranges in the original text.
    pub spans: Vec<(usize, usize)>,
    exact: String,
    exact_starts: Vec<usize>,
    folded: String,
    folded_starts: Vec<usize>,
    informal: std::sync::OnceLock<Box<InformalViews>>,
}

/// The two informal views; `starts[i]` is where original token `i` begins in each.
#[derive(Debug, Clone, Default)]
struct InformalViews {
    exact: String,
    exact_starts: Vec<usize>,
    folded: String,
    folded_starts: Vec<usize>,
}

impl Analysis {
    /// Tokenise and normalise `text`.
    pub fn new(text: &str) -> Analysis {
        // Vietnamese news averages about five bytes per syllable and its separator.
        let tokens = text.len() / 5 + 4;
        let mut a = Analysis {
            spans: Vec::with_capacity(tokens),
            exact: String::with_capacity(text.len() + 16),
            exact_starts: Vec::with_capacity(tokens),
            folded: String::with_capacity(text.len() + 16),
            folded_starts: Vec::with_capacity(tokens),
            ..Analysis::default()
        };
        let mut scanner = ViewScanner::new(text);
        loop {
            let (exact_len, folded_len) = (a.exact.len(), a.folded.len());
            if exact_len > 0 {
                a.exact.push(' ');
                a.folded.push(' ');
            }
            let Some(span) = scanner.next_into(&mut a.exact, Some(&mut a.folded)) else {
                a.exact.truncate(exact_len);
                a.folded.truncate(folded_len);
                break;
            };
            a.exact_starts.push(if exact_len > 0 { exact_len + 1 } else { 0 });
            a.folded_starts.push(if folded_len > 0 { folded_len + 1 } else { 0 });
            a.spans.push(span);
        }
        a
    }

    fn informal_views(&self) -> &InformalViews {
        self.informal.get_or_init(|| {
            let mut v = InformalViews {
                exact: String::with_capacity(self.exact.len() + 16),
                folded: String::with_capacity(self.exact.len() + 16),
                ..InformalViews::default()
            };
            for i in 0..self.len() {
                if i > 0 {
                    v.exact.push(' ');
                    v.folded.push(' ');
                }
                v.exact_starts.push(v.exact.len());
                v.folded_starts.push(v.folded.len());
                let from = v.exact.len();
                informal_form(self.token(View::Exact, i), &mut v.exact);
                fold_into(&v.exact[from..], &mut v.folded);
            }
            Box::new(v)
        })
    }

    /// The joined normalised tokens of one view.
    pub fn joined(&self, view: View) -> &str {
        match view {
            View::Exact => &self.exact,
            View::Folded => &self.folded,
            View::Informal => &self.informal_views().exact,
            View::InformalFolded => &self.informal_views().folded,
        }
    }

    /// Where each original token starts in the joined view.
    fn starts(&self, view: View) -> &[usize] {
        match view {
            View::Exact => &self.exact_starts,
            View::Folded => &self.folded_starts,
            View::Informal => &self.informal_views().exact_starts,
            View::InformalFolded => &self.informal_views().folded_starts,
        }
    }

    /// Number of tokens.
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// Whether there are no tokens.
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// The normalised token `i` in a view (in the informal views, possibly several syllables).
    pub fn token(&self, view: View, i: usize) -> &str {
        let starts = self.starts(view);
        let joined = self.joined(view);
        let start = starts.get(i).copied().unwrap_or(joined.len());
        let end = starts.get(i + 1).map_or(joined.len(), |&next| next.saturating_sub(1)).max(start);
        joined.get(start..end).unwrap_or("")
    }

    /// The token index range `[first, last]` covered by a match `[start, end)` of the joined view,
    /// or `None` if the match does not start at a syllable start, or (unless `prefix`) does not
    /// end at a syllable end.
    pub fn token_range(&self, view: View, start: usize, end: usize, prefix: bool) -> Option<(usize, usize)> {
        let starts = self.starts(view);
        let bytes = self.joined(view).as_bytes();
        let starts_at_boundary = start < bytes.len() && (start == 0 || bytes.get(start - 1) == Some(&b' '));
        let ends_at_boundary = end == bytes.len() || bytes.get(end) == Some(&b' ');
        if !starts_at_boundary || (!ends_at_boundary && !prefix) || end <= start {
            return None;
        }
        let first = starts.partition_point(|&s| s <= start).checked_sub(1)?;
        let last = starts.partition_point(|&s| s < end).checked_sub(1)?;
        (last >= first).then_some((first, last))
    }

    /// Byte range in the original text covering tokens `first..=last`.
    pub fn original_range(&self, first: usize, last: usize) -> (usize, usize) {
        let start = self.spans.get(first).map_or(0, |s| s.0);
        let end = self.spans.get(last).map_or(start, |s| s.1);
        (start, end.max(start))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_syllables() {
        let text = "Nguyễn Văn Đức, COVID-19 (2021)!";
        let words: Vec<&str> = tokens(text).map(|(s, e)| &text[s..e]).collect();
        assert_eq!(words, ["Nguyễn", "Văn", "Đức", "COVID", "19", "2021"]);
    }

    #[test]
    fn analysis_views_and_mapping() {
        let text = "Giá xăng HOÀ BÌNH tăng";
        let a = Analysis::new(text);
        assert_eq!(a.joined(View::Exact), "giá xăng hòa bình tăng");
        assert_eq!(a.joined(View::Folded), "gia xang hoa binh tang");
        let pos = a.joined(View::Folded).find("hoa binh").expect("found");
        let (first, last) = a.token_range(View::Folded, pos, pos + 8, false).expect("whole words");
        let (s, e) = a.original_range(first, last);
        assert_eq!(&text[s..e], "HOÀ BÌNH");
        // "an" inside "tang" is not a whole word.
        let inner = a.joined(View::Folded).rfind("an").expect("found");
        assert_eq!(a.token_range(View::Folded, inner, inner + 2, false), None);
        assert_eq!(a.token(View::Exact, 2), "hòa");
    }

    #[test]
    fn informal_view_maps_back_to_original_tokens() {
        let text = "mn ơi ko bít j hết, quáaaa đỉnh";
        let a = Analysis::new(text);
        assert_eq!(a.joined(View::Informal), "mọi người ơi không biết gì hết quá đỉnh");
        assert_eq!(a.joined(View::InformalFolded), "moi nguoi oi khong biet gi het qua dinh");
        assert_eq!(a.joined(View::Exact), "mn ơi ko bít j hết quáaaa đỉnh");
        let joined = a.joined(View::InformalFolded);
        let pos = joined.find("khong biet").expect("found");
        let (first, last) = a.token_range(View::InformalFolded, pos, pos + 10, false).expect("whole words");
        let (s, e) = a.original_range(first, last);
        assert_eq!(&text[s..e], "ko bít");
        // A match on the second syllable of an expansion maps to the whole informal token.
        let pos = a.joined(View::Informal).find("người").expect("found");
        let (first, last) = a.token_range(View::Informal, pos, pos + "người".len(), false).expect("syllable");
        assert_eq!(a.original_range(first, last), (0, 2));
        assert_eq!(a.token(View::Informal, 0), "mọi người");
        assert_eq!(a.token_range(View::Informal, 1, 4, false), None);
    }
}
