//! Cleaning for storage and normalisation for matching.
//!
//! Both run on every crawled text, so they work byte-wise with ASCII fast paths and never allocate
//! per word: throughput here is the budget of the whole ingest pipeline.

use std::borrow::Cow;

use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfc_quick};

use crate::fold::is_combining_mark;
use crate::glyph::{ASCII_CLASS, ASCII_VOWEL, Glyph, Kind, glyph_at, glyphs};
use crate::tokens::{char_at, is_word_char, tone_moves};
use crate::tone::{MAX_SYLLABLE, place_tone, vowel_lower};

/// Whether `text` needs composing or reordering. Scans bytes: every lead byte below U+0300
/// (ASCII, Latin-1, Latin Extended-A/B), precomposed Latin Extended Additional (all of
/// Vietnamese, U+1E00..U+1EFF) and general punctuation (U+2000..U+207F) are characters NFC never
/// changes whatever surrounds them; only other text goes through the general quick check.
pub(crate) fn needs_nfc(text: &str) -> bool {
    // Removing a control or invisible character can bring combining marks together in the wrong
    // order (a fuzzer find): then compose whatever the quick check says.
    !surely_nfc(text) && (text.chars().any(is_dropped) || is_nfc_quick(text.chars()) != IsNormalized::Yes)
}

/// Whether every character of `text` is one NFC leaves alone whatever surrounds it (see
/// [`needs_nfc`]); `false` means "look closer", not "not NFC".
fn surely_nfc(text: &str) -> bool {
    // No early exit: the fold vectorises, and most texts are read to the end anyway.
    // The last byte of valid UTF-8 is never a lead byte, so pairs cover every lead byte.
    !text.as_bytes().windows(2).fold(false, |other, pair| {
        let (b, next) = (pair[0], pair[1]);
        let composed_vietnamese = b == 0xE1 && (0xB8..=0xBB).contains(&next);
        let punctuation = b == 0xE2 && next <= 0x81;
        other | (b >= 0xCC && !composed_vietnamese && !punctuation)
    })
}

/// `text` in NFC. Composes only text the byte check cannot clear and the quick check does not
/// find normalised: decoding runs this on every fetched page, nearly all of them NFC already.
pub(crate) fn to_nfc(text: Cow<'_, str>) -> String {
    if surely_nfc(&text) || is_nfc_quick(text.chars()) == IsNormalized::Yes {
        text.into_owned()
    } else {
        text.nfc().collect()
    }
}

/// Characters that carry nothing and only break matching: zero-width spaces and joiners, BOM,
/// word joiner, soft hyphen, bidi controls (the embeddings and overrides, and the isolates that
/// `<bdi>` and pasted user names bring, U+2066–U+2069).
pub(crate) fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}'
            | '\u{FEFF}'
            | '\u{00AD}'
    )
}

/// Removed by [`clean`]: invisible characters.
fn is_dropped(c: char) -> bool {
    is_invisible(c)
}

/// Characters that end a line, as the tokenizer reads them (a phrase stops there): [`clean`]
/// writes each as `\n`, so that stored text breaks phrases where the item did.
fn is_line_break(c: char) -> bool {
    matches!(c, '\n' | '\r' | '\u{2028}' | '\u{2029}')
}

/// The form stored for display and offsets: NFC; invisible characters removed; every kind of
/// space (NBSP, thin space, tabs) and every other control character a plain space (a control
/// parts words, as it does for the tokenizer), runs collapsed; every kind of line break (CR, LF,
/// line and paragraph separators) a line feed; lines trimmed; empty lines dropped, so paragraphs
/// are one per line. Letters, quotes and tone-mark placement are kept as written.
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
        if is_line_break(c) {
            if out.len() > line_start {
                out.push('\n');
                line_start = out.len();
            }
            pending_space = false;
        } else if c.is_whitespace() || c.is_control() {
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
    let glyphs = glyphs();
    let mut out = String::with_capacity(text.len());
    // `text[copied..]` is what has not been written to `out` yet: unchanged stretches are copied
    // in bulk. Only three things change text: a tone that sits on the wrong vowel (which needs a
    // toned vowel next to another vowel), a combining mark NFC could not attach, and typographic
    // punctuation; everything else is stepped over without a second look.
    let mut copied = 0;
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b < 0x80 {
            if b == b'`' {
                out.push_str(&text[copied..i]);
                out.push('\'');
                copied = i + 1;
            }
            i += 1;
            continue;
        }
        let (c, len, tone_may_move, stray_mark) = match glyph_at(glyphs, bytes, i) {
            Some(glyph) => {
                let len = usize::from(glyph.len);
                // A tone on a vowel with a quality mark stays unless a later vowel has one too
                // (`người`, `được`: both styles agree); any other tone can only be misplaced
                // inside a vowel cluster, or next to the `u` of `qu` and the `i` of `gi`.
                let tone_may_move = glyph.toned
                    && if glyph.marked {
                        marked_vowel_after(text, glyphs, i + len)
                    } else {
                        vowel_next_to(text, glyphs, i, len)
                    };
                // Only « and » in the table's range are punctuation that changes.
                let c = if b == 0xC2 { char_at(text, i) } else { 'a' };
                (c, len, tone_may_move, false)
            }
            None => {
                let c = char_at(text, i);
                (c, c.len_utf8(), false, is_combining_mark(c))
            }
        };
        if tone_may_move || stray_mark {
            let (start, end) = word_around(text, glyphs, i, len);
            let word = &text[start..end];
            if stray_mark || has_mark(word) || tone_moves(word) {
                out.push_str(&text[copied..start]);
                push_word(word, &mut out);
                copied = end;
            }
            i = end;
            continue;
        }
        let unified = unify_punctuation(c);
        if unified != c {
            out.push_str(&text[copied..i]);
            out.push(unified);
            copied = i + len;
        }
        i += len;
    }
    out.push_str(&text[copied..]);
    // A dropped stray mark can leave a space at a line end or two in a row; clean once more
    // (rare) so that normalising twice changes nothing.
    if out.len() < text.len() && needs_reclean(&out) { clean(&out) } else { out }
}

/// Whether `word` holds a combining mark, judged from the bytes that can start one: U+0300..U+036F
/// (CC, CD), U+1AB0..U+1AFF (E1 AA, E1 AB), U+1DC0..U+1DFF (E1 B7) and U+20D0..U+20FF (E2 83).
/// The byte test only decides whether the characters are worth decoding: it is run once, not once
/// per likely byte pair (a word of thousands of Greek letters, `CD B1`…, was quadratic).
fn has_mark(word: &str) -> bool {
    let may_have_one = word
        .as_bytes()
        .windows(2)
        .any(|pair| matches!(pair, [0xCC | 0xCD, _] | [0xE1, 0xAA | 0xAB | 0xB7] | [0xE2, 0x83]));
    may_have_one && word.chars().any(is_combining_mark)
}

/// Whether the character before `text[at..]` or the one at `text[at + len..]` is a vowel.
fn vowel_next_to(text: &str, glyphs: &[Glyph], at: usize, len: usize) -> bool {
    let before = text.get(..at).and_then(|t| t.char_indices().next_back());
    before.is_some_and(|(p, _)| is_vowel_at(text, glyphs, p)) || is_vowel_at(text, glyphs, at + len)
}

/// Whether a vowel with a quality mark follows in the word that goes on at `text[from..]`.
fn marked_vowel_after(text: &str, glyphs: &[Glyph], mut from: usize) -> bool {
    while let Some(c) = text.get(from..).and_then(|t| t.chars().next()) {
        if !is_word_part(text, glyphs, from, c) {
            return false;
        }
        if !c.is_ascii() && glyph_at(glyphs, text.as_bytes(), from).is_some_and(|g| g.marked) {
            return true;
        }
        from += c.len_utf8();
    }
    false
}

fn is_vowel_at(text: &str, glyphs: &[Glyph], pos: usize) -> bool {
    let bytes = text.as_bytes();
    match bytes.get(pos) {
        Some(&b) if b < 0x80 => ASCII_CLASS[usize::from(b)] & ASCII_VOWEL != 0,
        Some(_) => glyph_at(glyphs, bytes, pos).is_some_and(|g| g.vowel),
        None => false,
    }
}

/// The word (letters, digits and marks) containing the character at `text[at..at + len]`.
fn word_around(text: &str, glyphs: &[Glyph], at: usize, len: usize) -> (usize, usize) {
    let mut start = at;
    while let Some((p, c)) = text.get(..start).and_then(|t| t.char_indices().next_back()) {
        if !is_word_part(text, glyphs, p, c) {
            break;
        }
        start = p;
    }
    let mut end = at + len;
    while let Some(c) = text.get(end..).and_then(|t| t.chars().next()) {
        if !is_word_part(text, glyphs, end, c) {
            break;
        }
        end += c.len_utf8();
    }
    (start, end)
}

/// Whether `c`, at `text[pos..]`, belongs to a word.
fn is_word_part(text: &str, glyphs: &[Glyph], pos: usize, c: char) -> bool {
    if c.is_ascii() {
        return ASCII_CLASS[c as usize] != 0;
    }
    match glyph_at(glyphs, text.as_bytes(), pos) {
        Some(glyph) => glyph.kind != Kind::Separator,
        None => is_word_char(c) || is_combining_mark(c),
    }
}

fn needs_reclean(text: &str) -> bool {
    text.starts_with([' ', '\n'])
        || text.ends_with([' ', '\n'])
        || ["  ", " \n", "\n ", "\n\n"].iter().any(|pair| text.contains(pair))
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
    if token.chars().any(|c| is_combining_mark(c) || is_invisible(c)) {
        // A zero-width character inside a word (see `tokens::past_invisibles`) is dropped, as
        // `clean` drops it, before composing.
        let composed: String =
            token.chars().filter(|&c| !is_invisible(c)).nfc().filter(|&c| !is_combining_mark(c)).collect();
        // Marks that do not compose (unusual input) are dropped rather than kept loose.
        return normalize_token_into(&composed, out);
    }
    let mut chars = ['\0'; MAX_SYLLABLE];
    let mut n = 0;
    for c in token.chars() {
        let lower = match vowel_lower(c) {
            Some(l) => l,
            None if c.is_ascii() => c.to_ascii_lowercase(),
            None if c == 'Đ' || c == 'đ' || c == 'Ð' => 'đ',
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
    // `Ð` is read as the `Đ` it stands for, as the scanners' table reads it.
    let lower = |c: char| if c == 'Ð' { 'đ'.to_lowercase() } else { c.to_lowercase() };
    if needs_nfc(token) {
        let composed: String = token.nfc().collect();
        out.extend(composed.chars().flat_map(lower));
    } else {
        out.extend(token.chars().flat_map(lower));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_keeps_text_but_fixes_spaces_and_invisibles() {
        assert_eq!(clean("  Hà\u{00A0}Nội \u{200B}\n\n  mưa\tto  "), "Hà Nội\nmưa to");
        assert_eq!(clean("Vie\u{0323}\u{0302}t"), "Việt");
        // A control character parts words, as it does for the tokenizer.
        assert_eq!(clean("a\u{0007}b vắc\u{0000}xin"), "a b vắc xin");
        // Every kind of line break ends a line, as it ends a phrase for the tokenizer.
        assert_eq!(clean("tin\rgiả\r\nmạo\u{2028}danh\u{2029}x\u{85}y"), "tin\ngiả\nmạo\ndanh\nx y");
        assert_eq!(clean("“hoà”"), "“hoà”");
    }

    #[test]
    fn normalize_places_tones_and_unifies_punctuation() {
        assert_eq!(normalize("“Hoà bình” — thuỷ lợi…"), "\"Hòa bình\" - thủy lợi.");
        assert_eq!(normalize("HOÀ"), "HÒA");
        assert_eq!(normalize("Hoà"), normalize("Hòa"));
    }

    #[test]
    fn a_long_word_with_a_tone_to_check_is_read_once() {
        // Each Greek letter (`CD B1`) looks like the start of a combining mark: the word was
        // searched for marks once per letter.
        let word = format!("hoà{}", "ͱ".repeat(100_000));
        assert_eq!(normalize(&word), word);
    }

    #[test]
    fn token_normalisation_lowercases() {
        let mut s = String::new();
        normalize_token_into("HOÀ", &mut s);
        assert_eq!(s, "hòa");
        s.clear();
        normalize_token_into("COVID", &mut s);
        assert_eq!(s, "covid");
        // With a đ, as the tokenizer does it: rule terms and text must agree.
        s.clear();
        normalize_token_into("đoá", &mut s);
        assert_eq!(s, "đóa");
        assert_eq!(crate::Analysis::new("đoá").token(crate::View::Exact, 0), "đóa");
    }
}
