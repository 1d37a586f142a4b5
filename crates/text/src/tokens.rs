//! Syllable tokens with offsets, and the joined matching views built from them.

use arrayvec::ArrayString;

use crate::fold::{fold_into, is_combining_mark};
use crate::glyph::{ASCII_CLASS, ASCII_SEPARATOR, ASCII_UPPER, ASCII_VOWEL, Glyph, Kind, glyph_at, glyphs};
use crate::informal::informal_form;
use crate::normalize::normalize_token_into;
use crate::tone::{MAX_SYLLABLE, ToneWatch, is_vowel, place_tone};

/// Byte ranges `[start, end)` of the syllable tokens of `text`: maximal runs of letters and digits
/// (combining marks stay with their letter). Offsets always fall on char boundaries of `text`.
pub fn tokens(text: &str) -> impl Iterator<Item = (usize, usize)> + '_ {
    crate::blocks::BlockTokens::new(text)
}

/// The character-by-character scanner: ASCII and Vietnamese letters are classified by table,
/// other characters are decoded once. The definition of tokens that [`crate::blocks`] must
/// reproduce, kept for its tests; its two steps also serve the block scanner for stretches it
/// cannot decide.
#[cfg(test)]
pub(crate) struct Tokens<'a> {
    text: &'a str,
    pos: usize,
    glyphs: &'static [Glyph],
}

#[cfg(test)]
impl<'a> Tokens<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        Tokens { text, pos: 0, glyphs: glyphs() }
    }
}

#[cfg(test)]
impl Iterator for Tokens<'_> {
    type Item = (usize, usize);

    fn next(&mut self) -> Option<(usize, usize)> {
        let start = skip_separators(self.text, self.pos, self.glyphs)?;
        self.pos = token_end(self.text, start, self.glyphs);
        Some((start, self.pos))
    }
}

/// Where the next token starts at or after `pos`, if any.
#[inline(always)]
pub(crate) fn skip_separators(text: &str, mut pos: usize, glyphs: &[Glyph]) -> Option<usize> {
    let bytes = text.as_bytes();
    loop {
        let &b = bytes.get(pos)?;
        if b < 0x80 {
            if ASCII_CLASS[usize::from(b)] != ASCII_SEPARATOR {
                return Some(pos);
            }
            pos += 1;
            continue;
        }
        if let Some(glyph) = glyph_at(glyphs, bytes, pos) {
            if glyph.kind != Kind::Separator {
                return Some(pos);
            }
            pos += usize::from(glyph.len);
            continue;
        }
        let c = char_at(text, pos);
        if starts_token(c) {
            return Some(pos);
        }
        pos += c.len_utf8();
    }
}

/// The end of the token starting at `start`.
#[inline]
pub(crate) fn token_end(text: &str, start: usize, glyphs: &[Glyph]) -> usize {
    let bytes = text.as_bytes();
    let mut pos = start;
    while let Some(&b) = bytes.get(pos) {
        if b < 0x80 {
            if ASCII_CLASS[usize::from(b)] == ASCII_SEPARATOR {
                break;
            }
            pos += 1;
            continue;
        }
        if let Some(glyph) = glyph_at(glyphs, bytes, pos) {
            if glyph.kind == Kind::Separator {
                match past_invisibles(text, pos) {
                    Some(next) => pos = next,
                    None => break,
                }
                continue;
            }
            pos += usize::from(glyph.len);
            continue;
        }
        let c = char_at(text, pos);
        if !(is_word_char(c) || is_combining_mark(c)) {
            match past_invisibles(text, pos) {
                Some(next) => pos = next,
                None => break,
            }
            continue;
        }
        pos += c.len_utf8();
    }
    pos
}

/// Where a token goes on past a run of invisible characters at `pos` (zero-width space or
/// joiner, soft hyphen, word joiner, byte-order mark, direction marks) that sits between two of
/// its letters, or a letter and its combining mark: `Việ\u{200B}t` is one word, as
/// [`crate::clean`] makes it, where a post written to slip past filters (`tin g\u{200B}iả`) would
/// otherwise be split past every rule. `None` when no such run is there.
#[inline(always)]
pub(crate) fn past_invisibles(text: &str, pos: usize) -> Option<usize> {
    // Every invisible character starts with one of these bytes (U+00AD; U+200B.., U+202A..,
    // U+2060..; U+FEFF): most separators are turned away by this test, inlined in the scanners.
    if matches!(text.as_bytes().get(pos), Some(0xC2 | 0xE2 | 0xEF)) { invisibles_from(text, pos) } else { None }
}

/// [`past_invisibles`] past its first test.
#[inline(never)]
fn invisibles_from(text: &str, pos: usize) -> Option<usize> {
    let mut at = pos;
    loop {
        let c = char_at(text, at);
        if !crate::normalize::is_invisible(c) {
            break;
        }
        at += c.len_utf8();
    }
    // Inside a word a combining mark goes on with it too (`ga\u{200B}\u{0306}m` is `găm`, as
    // `clean` drops the invisible run before composing).
    let next = char_at(text, at);
    (at > pos && (starts_token(next) || is_combining_mark(next))).then_some(at)
}

/// One pass over a text that yields each token's span and writes its exact form (lower case,
/// canonical tone) and, when asked, its folded form: the hot path of indexing. Boundaries come
/// from the block scanner and forms from the thread's [`FormCache`], as for [`Analysis`].
pub(crate) struct ViewScanner<'a> {
    text: &'a str,
    tokens: crate::blocks::BlockTokens<'a>,
    scratch: Scratch,
    cache: FormCache,
}

impl<'a> ViewScanner<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        let tokens = crate::blocks::BlockTokens::new(text);
        ViewScanner { text, tokens, scratch: Scratch::default(), cache: FormCache::borrow() }
    }

    /// The next token's byte span, after appending its exact form to `exact` and its folded form
    /// to `folded` (each if given).
    #[inline]
    pub(crate) fn next_into(
        &mut self,
        exact: Option<&mut String>,
        folded: Option<&mut String>,
    ) -> Option<(usize, usize)> {
        let (start, end) = self.tokens.next()?;
        let forms = self.cache.forms(self.text, start, end, &mut self.scratch);
        if let Some(exact) = exact {
            exact.push_str(forms.exact.unwrap_or(&self.text[start..end]));
        }
        if let Some(folded) = folded {
            folded.push_str(forms.folded);
        }
        Some((start, end))
    }
}

impl Drop for ViewScanner<'_> {
    fn drop(&mut self) {
        std::mem::replace(&mut self.cache, FormCache::none()).give_back();
    }
}

/// What one scan of a token found out.
#[derive(Clone, Copy)]
struct Scanned {
    start: usize,
    end: usize,
    /// Exact and folded view lengths before the token was written.
    exact_from: usize,
    folded_from: usize,
    letters: usize,
    tones: ToneWatch,
    /// A character the table does not cover: the whole token goes the general way.
    general: bool,
    /// An upper-case letter.
    upper: bool,
}

impl Scanned {
    /// Whether the token's exact form is its own text: nothing to lower-case, no tone to move.
    fn verbatim(&self, text: &str) -> bool {
        let tone_moves =
            || self.letters <= MAX_SYLLABLE && self.tones.may_move() && tone_moves(&text[self.start..self.end]);
        !(self.general || self.upper || tone_moves())
    }

    /// Completes the views for what the table could not write: tokens with other letters or
    /// marks, and the canonical tone.
    fn finish<const FOLD: bool>(&self, text: &str, exact: &mut String, folded: &mut String) {
        if self.general {
            exact.truncate(self.exact_from);
            normalize_token_into(&text[self.start..self.end], exact);
            if FOLD {
                folded.truncate(self.folded_from);
                fold_into(&exact[self.exact_from..], folded);
            }
        } else if self.letters <= MAX_SYLLABLE
            && self.tones.may_move()
            && exact.get(self.exact_from..).is_some_and(tone_moves)
        {
            // Folding ignores where the tone sits: only the exact form needs the repair.
            replace_tone(exact, self.exact_from);
        }
    }
}

/// Scans the token starting at `start`, appending its lower-case letters to `exact` (when
/// `EXACT`) and its folded letters to `folded` (when `FOLD`) as far as the table knows them.
#[inline(always)]
fn scan_token<const EXACT: bool, const FOLD: bool>(
    text: &str,
    start: usize,
    glyphs: &[Glyph],
    exact: &mut String,
    folded: &mut String,
) -> Scanned {
    let bytes = text.as_bytes();
    let mut token = Scanned {
        start,
        end: start,
        exact_from: exact.len(),
        folded_from: folded.len(),
        letters: 0,
        tones: ToneWatch::default(),
        general: false,
        upper: false,
    };
    let mut pos = start;
    while let Some(&b) = bytes.get(pos) {
        if b < 0x80 {
            let class = ASCII_CLASS[usize::from(b)];
            if class == ASCII_SEPARATOR {
                break;
            }
            if class & ASCII_VOWEL != 0 {
                token.tones.plain_vowel();
            }
            token.upper |= class & ASCII_UPPER != 0;
            // Setting bit 5 lower-cases ASCII letters and leaves digits as they are.
            let lower = char::from(b | 0x20);
            if EXACT {
                exact.push(lower);
            }
            if FOLD {
                folded.push(lower);
            }
            pos += 1;
        } else if let Some(glyph) = glyph_at(glyphs, bytes, pos).filter(|g| g.kind != Kind::Other) {
            if glyph.kind == Kind::Separator {
                // A soft hyphen inside a word: the word goes on, written the general way.
                let Some(next) = past_invisibles(text, pos) else { break };
                token.general = true;
                pos = next;
                continue;
            }
            if glyph.vowel {
                token.tones.marked_vowel(glyph.toned, glyph.marked);
            }
            token.upper |= glyph.upper;
            if EXACT {
                exact.push_str(glyph.lower);
            }
            if FOLD {
                // Always ASCII; the mask lets `push` skip its UTF-8 encoding.
                folded.push(char::from(glyph.folded & 0x7F));
            }
            pos += usize::from(glyph.len);
        } else {
            let c = char_at(text, pos);
            if !(is_word_char(c) || is_combining_mark(c)) {
                let Some(next) = past_invisibles(text, pos) else { break };
                token.general = true;
                pos = next;
                continue;
            }
            token.general = true;
            pos += c.len_utf8();
        }
        token.letters += 1;
    }
    token.end = pos;
    token
}

/// Whether [`place_tone`] would move the tone of this syllable (any case). A quarter of the
/// syllables of running text ask (`của`, `giá`, `lại`: one tone, several vowels) and a few hundred
/// distinct ones make up most of them, so answers are remembered per thread.
pub(crate) fn tone_moves(word: &str) -> bool {
    let bytes = word.as_bytes();
    let Some(key) = (bytes.len() <= 16).then(|| {
        let mut padded = [0u8; 16];
        padded[..bytes.len()].copy_from_slice(bytes);
        u128::from_le_bytes(padded)
    }) else {
        return place_tone_of(word);
    };
    // Tokens never contain NUL, so the zero-padded bytes identify the word.
    let slot = ((key as u64 ^ (key >> 64) as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 54) as usize;
    TONE_MEMO.with(|memo| {
        let mut memo = memo.borrow_mut();
        let entry = &mut memo[slot % TONE_MEMO_SIZE];
        if entry.0 == key && entry.1 != 0 {
            return entry.1 == 2;
        }
        let moves = place_tone_of(word);
        *entry = (key, if moves { 2 } else { 1 });
        moves
    })
}

const TONE_MEMO_SIZE: usize = 1024;

thread_local! {
    /// Direct-mapped: syllable bytes, then 1 (stays) or 2 (moves); 0 is an empty slot.
    static TONE_MEMO: std::cell::RefCell<[(u128, u8); TONE_MEMO_SIZE]> =
        const { std::cell::RefCell::new([(0, 0); TONE_MEMO_SIZE]) };
}

fn place_tone_of(word: &str) -> bool {
    let mut chars = ['\0'; MAX_SYLLABLE];
    let mut n = 0;
    for c in word.chars() {
        // Longer than any syllable: not one.
        let Some(slot) = chars.get_mut(n) else { return false };
        *slot = c;
        n += 1;
    }
    place_tone(&mut chars[..n])
}

/// Puts the tone of the lower-case syllable written at `exact[from..]` on its canonical vowel.
fn replace_tone(exact: &mut String, from: usize) {
    let Some(word) = exact.get(from..) else { return };
    let mut chars = ['\0'; MAX_SYLLABLE];
    let mut n = 0;
    for (slot, c) in chars.iter_mut().zip(word.chars()) {
        *slot = c;
        n += 1;
    }
    if place_tone(&mut chars[..n]) {
        exact.truncate(from);
        exact.extend(&chars[..n]);
    }
}

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

/// Longest token, in bytes, whose forms are remembered.
const CACHED_TOKEN: usize = 16;

/// The bytes of a token of up to [`CACHED_TOKEN`] bytes, zero-padded (tokens hold no NUL, so the
/// key identifies the token and is never 0).
#[inline]
fn token_key(text: &str, start: usize, end: usize) -> Option<u128> {
    let bytes = text.as_bytes();
    let len = end.checked_sub(start).filter(|len| (1..=CACHED_TOKEN).contains(len))?;
    let word = match bytes.get(start..start + CACHED_TOKEN) {
        Some(word) => u128::from_le_bytes(word.try_into().ok()?),
        None => {
            let mut padded = [0u8; CACHED_TOKEN];
            padded[..len].copy_from_slice(bytes.get(start..end)?);
            u128::from_le_bytes(padded)
        }
    };
    Some(word & (u128::MAX >> (8 * (CACHED_TOKEN - len))))
}

/// An [`Analysis`] under construction.
struct Builder {
    spans: Vec<(usize, usize)>,
    exact: String,
    exact_starts: Vec<usize>,
    /// Bytes until [`Builder::finish`]: a remembered folded form is copied as one 16-byte block
    /// (then cut to its length), where appending it as a string called `memcpy` for every token.
    folded: Vec<u8>,
    folded_starts: Vec<usize>,
    folded_keys: Vec<u64>,
    /// Most tokens' exact form is their own text (lower case, tone where the canon puts it), and
    /// most separators are one space: such a stretch of the original is the exact view as it is,
    /// and is copied whole once a token breaks it.
    run: std::ops::Range<usize>,
    /// See [`Analysis::phrase_breaks`].
    breaks: Vec<u32>,
}

impl Builder {
    fn new(text: &str) -> Builder {
        // Vietnamese news averages about five bytes per syllable and its separator.
        let tokens = text.len() / 5 + 4;
        Builder {
            spans: Vec::with_capacity(tokens),
            exact: String::with_capacity(text.len() + 16),
            exact_starts: Vec::with_capacity(tokens),
            folded: Vec::with_capacity(text.len() + CACHED_TOKEN + 16),
            folded_starts: Vec::with_capacity(tokens),
            folded_keys: Vec::with_capacity(tokens),
            run: 0..0,
            breaks: Vec::new(),
        }
    }

    #[inline]
    fn begin_token(&mut self) {
        if !self.spans.is_empty() {
            self.folded.push(b' ');
        }
        self.folded_starts.push(self.folded.len());
    }

    /// Writes the forms of the token `start..end`.
    #[inline]
    fn push_forms(&mut self, text: &str, start: usize, end: usize, forms: Forms<'_>) {
        let len = forms.folded.len();
        let key = match forms.folded_block {
            Some(block) => {
                let at = self.folded.len();
                self.folded.extend_from_slice(block);
                self.folded.truncate(at + len);
                // The padding is zeros: the first eight bytes are the key as they are.
                let head = <[u8; 8]>::try_from(&block[..8]).unwrap_or_default();
                if len <= 8 { u64::from_le_bytes(head) } else { 0 }
            }
            None => {
                self.folded.extend_from_slice(forms.folded.as_bytes());
                short_key(forms.folded.as_bytes()).unwrap_or(0)
            }
        };
        self.folded_keys.push(key);
        match forms.exact {
            None => self.push_verbatim(text, start, end),
            Some(exact) => {
                self.start_exact(text, start);
                self.exact.push_str(exact);
                self.end_token(start, end, false);
            }
        }
    }

    /// A token whose exact form is its text: it joins the pending run when one space separates
    /// them, else the run is written out and the token starts a new one.
    #[inline]
    fn push_verbatim(&mut self, text: &str, start: usize, end: usize) {
        let first = self.spans.is_empty();
        let joins = !first && self.one_space_before(text, start);
        if !joins {
            if !first {
                self.gap(text, start);
            }
            self.exact.push_str(text.get(self.run.clone()).unwrap_or_default());
            if !first {
                self.exact.push(' ');
            }
            self.run.start = start;
        }
        self.exact_starts.push(self.exact.len() + (start - self.run.start));
        self.end_token(start, end, true);
    }

    /// Writes out the pending run and the space before a token whose exact form is not its text,
    /// which starts at `start`.
    fn start_exact(&mut self, text: &str, start: usize) {
        if !self.spans.is_empty() && !self.one_space_before(text, start) {
            self.gap(text, start);
        }
        self.exact.push_str(text.get(self.run.clone()).unwrap_or_default());
        if !self.spans.is_empty() {
            self.exact.push(' ');
        }
        self.exact_starts.push(self.exact.len());
    }

    #[inline]
    fn end_token(&mut self, start: usize, end: usize, verbatim: bool) {
        // After a rewritten token, an empty run at its end: a verbatim token after one space
        // joins it.
        if verbatim {
            self.run.end = end;
        } else {
            self.run = end..end;
        }
        self.spans.push((start, end));
    }

    /// Whether one space separates the last token (which ended at `run.end`) from the token at
    /// `start`.
    #[inline]
    fn one_space_before(&self, text: &str, start: usize) -> bool {
        self.run.end + 1 == start && text.as_bytes().get(self.run.end) == Some(&b' ')
    }

    /// Notes a phrase break before the token about to be pushed if the gap before it (which is
    /// not one space) ends a phrase. Called only where the builder tells such gaps apart anyway,
    /// for the exact view: a pass of its own over the tokens cost a tenth of the analysis.
    #[inline(never)]
    fn gap(&mut self, text: &str, start: usize) {
        if ends_a_phrase(text.as_bytes().get(self.run.end..start).unwrap_or_default()) {
            // Fits: a text of 2^32 tokens is past any limit.
            self.breaks.push(u32::try_from(self.spans.len()).unwrap_or(u32::MAX));
        }
    }

    fn finish(mut self, text: &str) -> Analysis {
        self.exact.push_str(text.get(self.run.clone()).unwrap_or_default());
        Analysis {
            spans: self.spans,
            exact: self.exact,
            exact_starts: self.exact_starts,
            // Pieces of valid strings and spaces; mostly ASCII, which is checked fast.
            folded: String::from_utf8(self.folded)
                .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
            folded_starts: self.folded_starts,
            folded_keys: self.folded_keys,
            breaks: self.breaks,
            informal: std::sync::OnceLock::new(),
        }
    }
}

/// The forms of one token.
#[derive(Clone, Copy)]
struct Forms<'f> {
    folded: &'f str,
    /// `folded` followed by NUL bytes, when the form comes from a slot.
    folded_block: Option<&'f [u8; CACHED_TOKEN]>,
    /// `None`: the exact form is the token's own text.
    exact: Option<&'f str>,
}

/// The forms of a token scanned character by character.
#[derive(Default)]
struct Scratch {
    exact: String,
    folded: String,
}

impl Scratch {
    /// Scans the token `start..end` character by character: its folded form, and unless it is its
    /// own text (then `true`), its exact form.
    fn scan(&mut self, text: &str, start: usize, end: usize) -> bool {
        let glyphs = glyphs();
        let (exact, folded) = (&mut self.exact, &mut self.folded);
        exact.clear();
        folded.clear();
        let mut unused = String::new();
        let token = scan_token::<false, true>(text, start, glyphs, &mut unused, folded);
        debug_assert_eq!(token.end, end, "the block scanner and the character scanner agree");
        if token.verbatim(text) {
            return true;
        }
        let exact_token = scan_token::<true, false>(text, start, glyphs, exact, &mut unused);
        exact_token.finish::<false>(text, exact, &mut unused);
        if token.general {
            folded.clear();
            fold_into(exact, folded);
        }
        false
    }
}

/// Whether the text between two tokens ends a sentence or clause: a line break, or punctuation
/// that ends one followed by a space somewhere before the next token. Punctuation inside a
/// word (`TP.HCM`, `1,5`) ends nothing. A control character counts as a space, as stored text
/// has one there (see `clean`).
fn ends_a_phrase(gap: &[u8]) -> bool {
    let mut punctuation = false;
    for (i, &b) in gap.iter().enumerate() {
        match b {
            b'\n' | b'\r' => return true,
            b'.' | b',' | b';' | b':' | b'!' | b'?' => punctuation = true,
            b' ' | 0x00..=0x1F | 0x7F if punctuation => return true,
            // Gaps are short and mostly ASCII: characters from here on are decoded.
            0x80.. => {
                let rest = gap.get(i..).and_then(|rest| std::str::from_utf8(rest).ok());
                return rest.is_some_and(|rest| ends_a_phrase_from(rest, punctuation));
            }
            _ => {}
        }
    }
    false
}

/// [`ends_a_phrase`] for the rest of a gap, from its first non-ASCII character on.
#[cold]
fn ends_a_phrase_from(rest: &str, mut punctuation: bool) -> bool {
    for c in rest.chars() {
        match c {
            '\n' | '\r' | '\u{2028}' | '\u{2029}' => return true,
            '.' | ',' | ';' | ':' | '!' | '?' | '…' | '。' | '，' | '；' | '：' | '！' | '？' => {
                punctuation = true
            }
            c if (c.is_whitespace() || c.is_control()) && punctuation => return true,
            _ => {}
        }
    }
    false
}

/// The bytes of a short string (a syllable, mostly) as a number: little-endian, zero above;
/// `None` when empty or past eight bytes. The key of [`Analysis::folded_keys`], and what matchers
/// key their tables by.
/// Built from two overlapping loads rather than a copy into a buffer, which compiled to a call
/// to `memcpy` for every token of every text.
#[inline]
pub fn short_key(bytes: &[u8]) -> Option<u64> {
    let len = bytes.len();
    let load = |at: usize, n: usize| bytes[at..at + n].iter().rev().fold(0u64, |k, &b| k << 8 | u64::from(b));
    match len {
        0 => None,
        // The two halves overlap where `len < 8`; overlapping bytes are the same bytes at the
        // same place, so or-ing them changes nothing.
        4..=8 => Some(load(0, 4) | load(len - 4, 4) << (8 * (len - 4))),
        1..=3 => Some(
            u64::from(bytes[0])
                | u64::from(bytes[len / 2]) << (8 * (len / 2))
                | u64::from(bytes[len - 1]) << (8 * (len - 1)),
        ),
        _ => None,
    }
}

/// What pads a remembered folded form to its slot's capacity.
const NULS: &str = "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0";

/// Longest exact form remembered, in bytes (a tone moved to another vowel or a lower-cased
/// letter may take more bytes than the token).
const CACHED_EXACT: usize = 20;

/// One remembered token and its forms, in one cache line: a lookup is one read. The forms are
/// strings held in the slot (`ArrayString`), so they are appended without being checked as UTF-8
/// again, which took longer than the scan it saves.
#[derive(Clone, Copy, Default)]
#[repr(align(64))]
struct Slot {
    key: u128,
    /// The folded form, padded with NUL bytes to the full capacity (see [`Builder::folded`]).
    folded: ArrayString<CACHED_TOKEN>,
    folded_len: u8,
    exact: ArrayString<CACHED_EXACT>,
    /// The exact form is the token itself (`exact` is empty).
    verbatim: bool,
}

/// The folded and exact forms of recently seen tokens, per thread, direct-mapped. News and posts
/// repeat a few thousand syllables (8,192 slots keep 93 % of the tokens of 4 MB of news), and
/// looking a token up costs far less than scanning it character by character, where every switch
/// between plain and accented letters was a branch the processor mispredicted.
struct FormCache {
    slots: Vec<Slot>,
}

impl Default for FormCache {
    fn default() -> FormCache {
        FormCache { slots: vec![Slot::default(); FormCache::SLOTS] }
    }
}

impl FormCache {
    /// 8,192 slots of 64 bytes: half a megabyte, within the second-level cache.
    const SLOTS: usize = 1 << 13;

    /// A cache that remembers nothing.
    fn none() -> FormCache {
        FormCache { slots: Vec::new() }
    }

    /// The thread's cache, or one that remembers nothing if it is lent out already (a scan inside
    /// another scan) or the thread is ending.
    fn borrow() -> FormCache {
        FORMS.try_with(std::cell::Cell::take).ok().flatten().unwrap_or_else(FormCache::none)
    }

    /// Gives the thread's cache back.
    fn give_back(self) {
        if !self.slots.is_empty() {
            let _ = FORMS.try_with(|cell| cell.set(Some(self)));
        }
    }

    /// The forms of the token `start..end` of `text`: remembered, or scanned (into `scratch`)
    /// and remembered.
    #[inline]
    fn forms<'f>(&'f mut self, text: &str, start: usize, end: usize, scratch: &'f mut Scratch) -> Forms<'f> {
        let key = token_key(text, start, end);
        let remembered = key.map(FormCache::slot).filter(|&i| self.slots.get(i).is_some_and(|s| Some(s.key) == key));
        if let Some(i) = remembered {
            return self.slots[i].forms();
        }
        let verbatim = scratch.scan(text, start, end);
        let exact = (!verbatim).then_some(scratch.exact.as_str());
        match key.and_then(|key| self.insert(key, &scratch.folded, exact)) {
            Some(slot) => slot.forms(),
            None => Forms { folded: &scratch.folded, folded_block: None, exact },
        }
    }

    fn slot(key: u128) -> usize {
        let mixed = (key as u64) ^ ((key >> 64) as u64).wrapping_mul(0xD6E8_FEB8_6659_FD93);
        (mixed.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - FormCache::SLOTS.trailing_zeros())) as usize
    }

    /// Remembers a token's forms, unless they are too long for a slot.
    fn insert(&mut self, key: u128, folded: &str, exact: Option<&str>) -> Option<&Slot> {
        let mut padded = ArrayString::from(folded).ok()?;
        padded.push_str(NULS.get(folded.len()..).unwrap_or_default());
        let slot = Slot {
            key,
            folded: padded,
            folded_len: folded.len() as u8,
            exact: ArrayString::from(exact.unwrap_or_default()).ok()?,
            verbatim: exact.is_none(),
        };
        let place = self.slots.get_mut(FormCache::slot(key))?;
        *place = slot;
        Some(place)
    }
}

impl Slot {
    fn forms(&self) -> Forms<'_> {
        let block = <&[u8; CACHED_TOKEN]>::try_from(self.folded.as_bytes()).ok();
        Forms {
            folded: self.folded.get(..usize::from(self.folded_len)).unwrap_or_default(),
            folded_block: block,
            exact: (!self.verbatim).then_some(&self.exact),
        }
    }
}

thread_local! {
    /// The thread's cache, lent out whole to whoever scans (`None` while it is): a token stream
    /// holds it for its life, where taking it for every token cost 8 % of indexing's text work.
    static FORMS: std::cell::Cell<Option<FormCache>> = std::cell::Cell::new(Some(FormCache::default()));
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
    /// See [`Analysis::folded_keys`].
    folded_keys: Vec<u64>,
    /// See [`Analysis::phrase_breaks`]: ascending token indexes.
    breaks: Vec<u32>,
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
        let mut cache = FormCache::borrow();
        let analysis = Analysis::build(text, &mut cache);
        cache.give_back();
        analysis
    }

    fn build(text: &str, cache: &mut FormCache) -> Analysis {
        let mut b = Builder::new(text);
        let mut scratch = Scratch::default();
        for (start, end) in crate::blocks::BlockTokens::new(text) {
            b.begin_token();
            let forms = cache.forms(text, start, end, &mut scratch);
            b.push_forms(text, start, end, forms);
        }
        b.finish(text)
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

    /// Where each original token starts in the joined view; token `i` ends one byte (the space)
    /// before token `i + 1` starts, the last one at the end of the view.
    pub fn token_starts(&self, view: View) -> &[usize] {
        match view {
            View::Exact => &self.exact_starts,
            View::Folded => &self.folded_starts,
            View::Informal => &self.informal_views().exact_starts,
            View::InformalFolded => &self.informal_views().folded_starts,
        }
    }

    /// Per token, its folded form as a number when the form has one to eight bytes (most
    /// syllables): the bytes in little-endian order, zero above; 0 for longer forms. Matchers key
    /// tables by it without reading the view again.
    pub fn folded_keys(&self) -> &[u64] {
        &self.folded_keys
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
        self.joined_tokens(view, i, i)
    }

    /// The token index range `[first, last]` covered by a match `[start, end)` of the joined view,
    /// or `None` if the match does not start at a syllable start, or (unless `prefix`) does not
    /// end at a syllable end.
    pub fn token_range(&self, view: View, start: usize, end: usize, prefix: bool) -> Option<(usize, usize)> {
        let starts = self.token_starts(view);
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

    /// The normalised tokens of a view, in order.
    pub fn view_tokens(&self, view: View) -> impl Iterator<Item = &str> + '_ {
        let starts = self.token_starts(view);
        let joined = self.joined(view);
        starts.iter().enumerate().map(move |(i, &start)| {
            let end = starts.get(i + 1).map_or(joined.len(), |&next| next.saturating_sub(1)).max(start);
            joined.get(start..end).unwrap_or("")
        })
    }

    /// The normalised tokens `first..=last` of a view, as joined (single spaces between).
    pub fn joined_tokens(&self, view: View, first: usize, last: usize) -> &str {
        let starts = self.token_starts(view);
        let joined = self.joined(view);
        let start = starts.get(first).copied().unwrap_or(joined.len());
        let end = starts.get(last + 1).map_or(joined.len(), |&next| next.saturating_sub(1)).max(start);
        joined.get(start..end).unwrap_or("")
    }

    /// The tokens before which a phrase cannot go on, ascending: a sentence or clause ends
    /// between them and the token before (`.`, `,`, `;`, `:`, `!`, `?` or `…` then a space, or a
    /// line break). `tin giả` ("fake news") is not in `Đã nhận được tin. Giả sử…`, while
    /// `TP.HCM` and `1,5` stay whole.
    pub fn phrase_breaks(&self) -> impl Iterator<Item = usize> + '_ {
        self.breaks.iter().map(|&token| token as usize)
    }

    /// The phrase breaks inside tokens `first..=last`, as bits by their place from `first` (bit
    /// `t - first` for a break before token `t`, `first < t <= last`): all bits where one lies
    /// 64 tokens or more from `first`.
    pub fn breaks_within(&self, first: usize, last: usize) -> u64 {
        let from = self.breaks.partition_point(|&t| (t as usize) <= first);
        let to = self.breaks.partition_point(|&t| (t as usize) <= last);
        self.breaks.get(from..to).unwrap_or_default().iter().fold(0, |bits, &t| match (t as usize) - first {
            place @ 0..64 => bits | 1 << place,
            _ => u64::MAX,
        })
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
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn short_keys_are_the_bytes_little_endian(bytes in proptest::collection::vec(1u8..=255, 0..12)) {
            let expected = (!bytes.is_empty() && bytes.len() <= 8).then(|| {
                let mut buf = [0u8; 8];
                buf[..bytes.len()].copy_from_slice(&bytes);
                u64::from_le_bytes(buf)
            });
            prop_assert_eq!(short_key(&bytes), expected);
        }
    }

    #[test]
    fn invisible_characters_inside_a_word_leave_it_whole() {
        let text = "Việ\u{200B}t Nam: tin g\u{00AD}iả\u{200D}\u{FEFF}, \u{200B}x\u{200B} sốt\u{2060}cao";
        let a = Analysis::new(text);
        assert_eq!(a.joined(View::Exact), "việt nam tin giả x sốtcao");
        assert_eq!(a.joined(View::Folded), "viet nam tin gia x sotcao");
        // Spans still cover the word as written, invisible characters inside it included.
        let words: Vec<&str> = (0..a.len())
            .map(|i| {
                let (s, e) = a.original_range(i, i);
                &text[s..e]
            })
            .collect();
        assert_eq!(words, ["Việ\u{200B}t", "Nam", "tin", "g\u{00AD}iả", "x", "sốt\u{2060}cao"]);
        // The bidi isolates that `<bdi>` and pasted names bring are invisible too.
        for isolate in '\u{2066}'..='\u{2069}' {
            let a = Analysis::new(&format!("tin g{isolate}iả"));
            assert_eq!(a.joined(View::Exact), "tin giả", "U+{:04X}", u32::from(isolate));
        }
    }

    #[test]
    fn phrases_break_where_sentences_and_clauses_end() {
        let breaks = |text: &str| -> Vec<usize> { Analysis::new(text).phrase_breaks().collect() };
        assert_eq!(breaks("Đã nhận được tin. Giả sử có"), [4]);
        assert_eq!(breaks("tin, giả vờ; rồi: thôi\nhết…  xong! \"Vậy\" ư?\r\nừ"), [1, 3, 4, 5, 6, 7, 9]);
        assert_eq!(breaks("TP.HCM có 1,5 triệu dân - \"tin giả\" (vắc-xin)"), Vec::<usize>::new());
        // A control character after punctuation is a space there, as stored text has it.
        assert_eq!(breaks("tin.\u{7}giả, \u{b}x…\u{90}y;\u{0}z"), [1, 2, 3, 4]);
        assert_eq!(breaks("tin\u{7}.giả"), Vec::<usize>::new());
        let many: String = (0..200).map(|i| format!("câu {i}. ")).collect();
        assert_eq!(breaks(&many).len(), 199);
        // Breaks before `giả`, `rồi` and `thôi` (tokens 1, 3 and 4).
        let a = Analysis::new("tin, giả vờ; rồi: thôi");
        assert_eq!(a.breaks_within(0, 4), 0b11010);
        assert_eq!(a.breaks_within(2, 4), 0b110);
        assert_eq!(a.breaks_within(1, 2), 0);
        assert_eq!(a.breaks_within(4, 9), 0);
        assert_eq!(Analysis::new(&many).breaks_within(0, 199), u64::MAX);
    }

    #[test]
    fn an_eth_for_the_d_with_stroke_reads_as_one() {
        let a = Analysis::new("Ba Ðình ÐANG");
        assert_eq!((a.joined(View::Exact), a.joined(View::Folded)), ("ba đình đang", "ba dinh dang"));
    }

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
        assert_eq!(a.joined_tokens(View::Exact, 2, 3), "hòa bình");
        assert_eq!(a.joined_tokens(View::Folded, 3, 4), "binh tang");
        assert_eq!(a.view_tokens(View::Folded).collect::<Vec<_>>(), ["gia", "xang", "hoa", "binh", "tang"]);
    }

    #[test]
    fn remembered_forms_give_what_scanning_gives() {
        let text = "Người dân HOÀ BÌNH nói: “hoà bình, thuỷ lợi, khoẻ” — Nguyễn Văn Đức, COVID-19, naïve café Ελλάδα \
                    xin chào\u{0301} nghiêngnghiêngnghiêng";
        let cold = Analysis::build(text, &mut FormCache::default());
        let mut cache = FormCache::default();
        // Every token scanned, then every token remembered.
        for _ in 0..2 {
            let warm = Analysis::build(text, &mut cache);
            assert_eq!(warm.spans, cold.spans);
            for view in [View::Exact, View::Folded] {
                assert_eq!(warm.joined(view), cold.joined(view));
                assert_eq!(warm.token_starts(view), cold.token_starts(view));
            }
        }
        assert_eq!(
            cold.joined(View::Exact),
            "người dân hòa bình nói hòa bình thủy lợi khỏe nguyễn văn đức covid 19 naïve café ελλάδα xin chàó nghiêngnghiêngnghiêng"
        );
        // Forms come from the slot of the token's own key, never from another token's.
        let mut one = FormCache::default();
        let mut scratch = Scratch::default();
        let key = token_key("hoà", 0, "hoà".len()).unwrap_or(1);
        assert!(one.insert(key, "planted", Some("planted")).is_some());
        assert_eq!(one.forms("hoà", 0, "hoà".len(), &mut scratch).folded, "planted");
        let other = one.forms("Hoà", 0, "Hoà".len(), &mut scratch);
        assert_eq!((other.folded, other.exact), ("hoa", Some("hòa")));
        let long = "nghiêngnghiêngnghiêng";
        let forms = one.forms(long, 0, long.len(), &mut scratch);
        assert_eq!((forms.folded, forms.exact), ("nghiengnghiengnghieng", None));
    }

    #[test]
    fn a_scan_inside_a_scan_goes_without_the_cache() {
        let text = "Giá xăng HOÀ BÌNH tăng";
        let mut outer = ViewScanner::new(text);
        let mut exact = String::new();
        assert_eq!(outer.next_into(Some(&mut exact), None), Some((0, 4)));
        // The thread's cache is lent to `outer`: this analysis scans every token.
        let inner = Analysis::new(text);
        assert_eq!(inner.joined(View::Exact), "giá xăng hòa bình tăng");
        while outer.next_into(Some(&mut exact), None).is_some() {}
        assert_eq!(exact, "giáxănghòabìnhtăng");
        drop(outer);
        assert_eq!(Analysis::new(text).joined(View::Folded), "gia xang hoa binh tang");
        assert!(FORMS.with(|cell| {
            let cache = cell.take();
            let lent_back = cache.as_ref().is_some_and(|c| !c.slots.is_empty());
            cell.set(cache);
            lent_back
        }));
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
