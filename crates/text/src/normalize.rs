//! Cleaning for storage and normalisation for matching.
//!
//! Both run on every crawled text, so they work byte-wise with ASCII fast paths and never allocate
//! per word: throughput here is the budget of the whole ingest pipeline.

use std::borrow::Cow;

use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfc_quick};

use crate::fold::is_combining_mark;
use crate::tokens::{ASCII_WORD, char_at, is_word_char};
use crate::tone::{MAX_SYLLABLE, ToneWatch, VowelInfo, place_tone, vowel_info, vowel_lower};

/// Whether `text` needs composing or reordering. Scans bytes: every lead byte below U+0300
/// (ASCII, Latin-1, Latin Extended-A/B), precomposed Latin Extended Additional (all of
/// Vietnamese, U+1E00..U+1EFF) and general punctuation (U+2000..U+207F) are characters NFC never
/// changes whatever surrounds them; only other text goes through the general quick check.
fn needs_nfc(text: &str) -> bool {
    let bytes = text.as_bytes();
    let surely = bytes.chunks(32).enumerate().all(|(n, chunk)| {
        // One vectorised test per chunk; only chunks with high lead bytes are looked at closely.
        if !chunk.iter().fold(false, |any, &b| any | (b >= 0xCC)) {
            return true;
        }
        let offset = n * 32;
        chunk.iter().enumerate().all(|(i, &b)| {
            b < 0xCC || matches!((b, bytes.get(offset + i + 1)), (0xE1, Some(0xB8..=0xBB)) | (0xE2, Some(0x80..=0x81)))
        })
    });
    // Removing a control or invisible character can bring combining marks together in the wrong
    // order (a fuzzer find): then compose whatever the quick check says.
    !surely && (text.chars().any(is_dropped) || is_nfc_quick(text.chars()) != IsNormalized::Yes)
}

/// Characters that carry nothing and only break matching: zero-width spaces and joiners, BOM,
/// word joiner, soft hyphen, bidi controls.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}' | '\u{00AD}'
    )
}

/// Removed by [`clean`]: invisible characters and controls other than spaces and line feeds.
fn is_dropped(c: char) -> bool {
    is_invisible(c) || (c.is_control() && !c.is_whitespace())
}

/// The form stored for display and offsets: NFC; invisible and control characters removed; every
/// kind of space (NBSP, thin space, tabs) a plain space, runs collapsed; lines trimmed; empty lines
/// dropped, so paragraphs are one per line. Letters, quotes and tone-mark placement are kept as
/// written.
pub fn clean(text: &str) -> String {
    let text: Cow<'_, str> = if needs_nfc(text) {
        // Invisibles go first: one between a letter and its mark would otherwise block composing,
        // and removing it later would leave a decomposed pair behind (clean must be idempotent).
        Cow::Owned(text.chars().filter(|&c| !is_dropped(c)).nfc().collect())
    } else {
        Cow::Borrowed(text)
    };
    let text = text.as_ref();
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut line_start = 0;
    let mut pending_space = false;
    let mut i = 0;
    while i < bytes.len() {
        let run = plain_run(&bytes[i..]);
        if run > 0 {
            if std::mem::take(&mut pending_space) {
                out.push(' ');
            }
            out.push_str(&text[i..i + run]);
            i += run;
            continue;
        }
        let c = char_at(text, i);
        i += c.len_utf8();
        if c == '\n' {
            if out.len() > line_start {
                out.push('\n');
                line_start = out.len();
            }
            pending_space = false;
        } else if c.is_whitespace() {
            pending_space = out.len() > line_start;
        } else if !is_dropped(c) {
            if std::mem::take(&mut pending_space) {
                out.push(' ');
            }
            out.push(c);
        }
    }
    if out.ends_with('\n') {
        out.pop();
    }
    out
}

/// Length of the leading run of bytes that [`clean`] copies unchanged: printable ASCII other than
/// space, and characters whose lead byte cannot start a space, control or invisible character.
/// Those all live behind lead bytes C2 (U+0080..U+00BF), E1 below U+1E00 (U+1680), E2 (U+2000..),
/// E3 (U+3000) and EF (U+FEFF); Vietnamese letters (C3..C6, E1 BA/BB) are plain.
fn plain_run(bytes: &[u8]) -> usize {
    let mut i = 0;
    loop {
        // Whole chunks first: one branch per 32 bytes for the common case (the check has no
        // early exit, so it vectorises). A chunk never starts a run, so its first byte has a
        // visible byte before it.
        while i > 0
            && let Some(window) = bytes.get(i..i + CHUNK + 1)
            && chunk_is_plain(window)
        {
            i += CHUNK;
        }
        while bytes.get(i).is_some_and(|&b| SIMPLE[usize::from(b)]) {
            i += 1;
        }
        let plain = match bytes.get(i) {
            // One space between two visible characters is already what clean writes.
            Some(b' ') => i > 0 && is_plain_at(bytes, i + 1),
            Some(0xE1) => bytes.get(i + 1).is_some_and(|&n| n >= 0xB8),
            _ => false,
        };
        if !plain {
            return i;
        }
        i += 1;
    }
}

const CHUNK: usize = 32;

/// Whether the first [`CHUNK`] bytes of `window` (which has one byte more, to look ahead) are all
/// copied unchanged: no control or invisible-starting lead byte, no E1 below U+1E00, and every
/// space followed by a visible byte.
fn chunk_is_plain(window: &[u8]) -> bool {
    let bad = window.iter().zip(&window[1..]).fold(false, |bad, (&b, &next)| {
        let special = b < 0x20 || b == 0x7F || b == 0xC2 || b == 0xE2 || b == 0xE3 || b == 0xEF;
        let low_e1 = b == 0xE1 && next < 0xB8;
        let loose_space = b == b' ' && (next <= b' ' || matches!(next, 0x7F | 0xC2 | 0xE1 | 0xE2 | 0xE3 | 0xEF));
        bad | special | low_e1 | loose_space
    });
    !bad
}

fn is_plain_at(bytes: &[u8], i: usize) -> bool {
    match bytes.get(i) {
        Some(&b) if SIMPLE[usize::from(b)] => true,
        Some(0xE1) => bytes.get(i + 1).is_some_and(|&n| n >= 0xB8),
        _ => false,
    }
}

/// Bytes copied without a second look: everything but controls, space, and the lead bytes that
/// may start a space or an invisible character (E1 needs its second byte to tell).
static SIMPLE: [bool; 256] = {
    let mut table = [true; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = !matches!(b, 0..=0x20 | 0x7F | 0xC2 | 0xE1 | 0xE2 | 0xE3 | 0xEF);
        b += 1;
    }
    table
};

/// The normalised form of a whole text: [`clean`], then one canonical tone-mark placement per
/// syllable (`hoà` → `hòa`, `HOÀ` → `HÒA`), stray combining marks dropped, and typographic quotes
/// and dashes unified to ASCII. Case is kept.
pub fn normalize(text: &str) -> String {
    let cleaned = clean(text);
    let text = cleaned.as_str();
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    // `text[copied..]` is what has not been written to `out` yet: unchanged stretches are copied
    // in bulk and only words with a tone mark or a stray mark, and typographic punctuation, are
    // rewritten.
    let mut copied = 0;
    let mut word: Option<usize> = None;
    let mut tones = ToneWatch::default();
    let mut stray_mark = false;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let (c, len, class) = if b < 0x80 {
            let class = match b | 0x20 {
                b'a' | b'e' | b'i' | b'o' | b'u' | b'y' => Class::PlainVowel,
                _ if ASCII_WORD[usize::from(b)] => Class::Letter,
                _ => Class::Other,
            };
            (char::from(b), 1, class)
        } else {
            let c = char_at(text, i);
            (c, c.len_utf8(), classify(c))
        };
        if class != Class::Other {
            word.get_or_insert(i);
            match class {
                Class::PlainVowel => tones.plain_vowel(),
                Class::Vowel(info) => tones.vowel(info),
                Class::Mark => stray_mark = true,
                _ => {}
            }
            i += len;
            continue;
        }
        let word_needs_work = std::mem::take(&mut tones).may_move() || std::mem::take(&mut stray_mark);
        if let Some(start) = word.take()
            && word_needs_work
        {
            out.push_str(&text[copied..start]);
            push_word(&text[start..i], &mut out);
            copied = i;
        }
        let unified = unify_punctuation(c);
        if unified != c {
            out.push_str(&text[copied..i]);
            out.push(unified);
            copied = i + len;
        }
        i += len;
    }
    if let Some(start) = word
        && (tones.may_move() || stray_mark)
    {
        out.push_str(&text[copied..start]);
        push_word(&text[start..], &mut out);
        copied = text.len();
    }
    out.push_str(&text[copied..]);
    // A dropped stray mark can leave a space at a line end or two in a row; clean once more
    // (rare) so that normalising twice changes nothing.
    if out.len() < text.len() && needs_reclean(&out) { clean(&out) } else { out }
}

fn needs_reclean(text: &str) -> bool {
    text.starts_with([' ', '\n'])
        || text.ends_with([' ', '\n'])
        || ["  ", " \n", "\n ", "\n\n"].iter().any(|pair| text.contains(pair))
}

#[derive(Clone, Copy)]
enum Class {
    /// Part of a word: a consonant, digit or other letter.
    Letter,
    /// An ASCII vowel.
    PlainVowel,
    /// A Vietnamese vowel with a mark.
    Vowel(VowelInfo),
    /// A combining mark that NFC could not attach: dropped.
    Mark,
    /// Not part of a word.
    Other,
}

impl PartialEq for Class {
    fn eq(&self, other: &Class) -> bool {
        std::mem::discriminant(self) == std::mem::discriminant(other)
    }
}

/// One vowel-table lookup answers most non-ASCII characters of Vietnamese text.
fn classify(c: char) -> Class {
    match vowel_info(c) {
        Some(info) => Class::Vowel(info),
        None if is_combining_mark(c) => Class::Mark,
        None if is_word_char(c) => Class::Letter,
        None => Class::Other,
    }
}

/// One word with its tone on the canonical vowel, case kept; marks that did not compose dropped.
fn push_word(word: &str, out: &mut String) {
    let mut chars = ['\0'; MAX_SYLLABLE];
    let mut n = 0;
    let mut had_marks = false;
    for c in word.chars() {
        if is_combining_mark(c) {
            had_marks = true;
            continue;
        }
        let Some(slot) = chars.get_mut(n) else {
            // Longer than any syllable: not one, keep as written.
            out.extend(word.chars().filter(|&c| !is_combining_mark(c)));
            return;
        };
        *slot = c;
        n += 1;
    }
    if place_tone(&mut chars[..n]) || had_marks {
        out.extend(&chars[..n]);
    } else {
        out.push_str(word);
    }
}

fn unify_punctuation(c: char) -> char {
    match c {
        '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}' | '\u{2032}' | '`' => '\'',
        '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{201F}' | '\u{2033}' | '«' | '»' => '"',
        '\u{2010}'..='\u{2015}' | '\u{2212}' => '-',
        '\u{2026}' => '.',
        other => other,
    }
}

/// Append the matching form of one token (a run of letters and digits): lower case and canonical
/// tone placement. Used by the tokenizer, the analyzers and the rule compiler alike, so every
/// consumer agrees on what a word is.
pub fn normalize_token_into(token: &str, out: &mut String) {
    if token.is_ascii() {
        let start = out.len();
        out.push_str(token);
        // Only ASCII bytes past `start`: lower-casing them in place keeps the string valid UTF-8.
        out[start..].make_ascii_lowercase();
        return;
    }
    if token.chars().any(is_combining_mark) {
        let composed: String = token.nfc().filter(|&c| !is_combining_mark(c)).collect();
        // Marks that do not compose (unusual input) are dropped rather than kept loose.
        return normalize_token_into(&composed, out);
    }
    let mut chars = ['\0'; MAX_SYLLABLE];
    let mut n = 0;
    for c in token.chars() {
        let lower = match vowel_lower(c) {
            Some(l) => l,
            None if c.is_ascii() => c.to_ascii_lowercase(),
            None if c == 'Đ' => 'đ',
            None => return push_lowercase(token, out),
        };
        let Some(slot) = chars.get_mut(n) else {
            return push_lowercase(token, out);
        };
        *slot = lower;
        n += 1;
    }
    place_tone(&mut chars[..n]);
    out.extend(&chars[..n]);
}

/// Lower case without tone repair: tokens that are not Vietnamese syllables. Composed first, like
/// [`clean`] composes whole texts, so a token reads the same before and after cleaning.
fn push_lowercase(token: &str, out: &mut String) {
    if needs_nfc(token) {
        let composed: String = token.nfc().collect();
        out.extend(composed.chars().flat_map(char::to_lowercase));
    } else {
        out.extend(token.chars().flat_map(char::to_lowercase));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_keeps_text_but_fixes_spaces_and_invisibles() {
        assert_eq!(clean("  Hà\u{00A0}Nội \u{200B}\n\n  mưa\tto  "), "Hà Nội\nmưa to");
        assert_eq!(clean("Vie\u{0323}\u{0302}t"), "Việt");
        assert_eq!(clean("a\u{0007}b"), "ab");
        assert_eq!(clean("“hoà”"), "“hoà”");
    }

    #[test]
    fn normalize_places_tones_and_unifies_punctuation() {
        assert_eq!(normalize("“Hoà bình” — thuỷ lợi…"), "\"Hòa bình\" - thủy lợi.");
        assert_eq!(normalize("HOÀ"), "HÒA");
        assert_eq!(normalize("Hoà"), normalize("Hòa"));
    }

    #[test]
    fn token_normalisation_lowercases() {
        let mut s = String::new();
        normalize_token_into("HOÀ", &mut s);
        assert_eq!(s, "hòa");
        s.clear();
        normalize_token_into("COVID", &mut s);
        assert_eq!(s, "covid");
    }
}
