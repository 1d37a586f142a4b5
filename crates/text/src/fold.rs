//! Diacritic folding: `Nguyễn Văn Đức` → `Nguyen Van Duc`.
//!
//! Folding keeps case and everything that is not a letter with marks; it removes tone and quality
//! marks (`ơ` → `o`, `ư` → `u`), maps `đ`/`Đ` to `d`/`D`, and strips the marks of other Latin
//! letters (`é` → `e`) so foreign names fold the same way.

use crate::tokens::char_at;
use crate::tone::vowel_folded;

/// Fold one character to its base letter.
pub fn fold_char(c: char) -> char {
    if c.is_ascii() {
        return c;
    }
    match c {
        'đ' => return 'd',
        // U+00D0, written for `Đ` by old fonts and keyboards.
        'Đ' | 'Ð' => return 'D',
        _ => {}
    }
    vowel_folded(c).unwrap_or_else(|| strip_marks(c))
}

/// A letter with marks (`é`, `ñ`, `ö`) to its base letter. Only decompositions into one base and
/// combining marks count: a Hangul syllable also decomposes canonically, into jamo, and must stay.
fn strip_marks(c: char) -> char {
    let mut base = None;
    let mut marks_only = true;
    unicode_normalization::char::decompose_canonical(c, |d| match base {
        None => base = Some(d),
        Some(_) => marks_only &= is_combining_mark(d),
    });
    match base {
        Some(b) if marks_only && !is_combining_mark(b) => b,
        _ => c,
    }
}

/// Append the folded form of `text` to `out`, dropping stray combining marks.
pub fn fold_into(text: &str, out: &mut String) {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        // Copy ASCII runs whole: most of any text, even Vietnamese.
        let run = bytes[i..].iter().position(|&b| b >= 0x80).unwrap_or(bytes.len() - i);
        if run > 0 {
            out.push_str(&text[i..i + run]);
            i += run;
            continue;
        }
        let c = char_at(text, i);
        i += c.len_utf8().max(1);
        if !is_combining_mark(c) {
            out.push(fold_char(c));
        }
    }
}

/// The folded form of `text`.
pub fn fold(text: &str) -> String {
    if text.is_ascii() {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    fold_into(text, &mut out);
    out
}

/// Combining diacritical marks (the blocks NFD and Windows-1258 produce, and their supplements),
/// and any other character that NFC may reorder among them (a nonzero canonical combining
/// class): a musical or Greek combining mark between a letter and a horn made NFC move the horn,
/// so normalised and raw text read as different words.
#[inline]
pub(crate) fn is_combining_mark(c: char) -> bool {
    matches!(c as u32, 0x0300..=0x036F | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x20D0..=0x20FF)
        || (c as u32 > 0x036F && unicode_normalization::char::canonical_combining_class(c) != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_vietnamese_and_latin() {
        assert_eq!(fold("Nguyễn Văn Đức"), "Nguyen Van Duc");
        assert_eq!(fold("khẩu trang"), "khau trang");
        assert_eq!(fold("Ưu tiên"), "Uu tien");
        assert_eq!(fold("ĐÀ NẴNG"), "DA NANG");
        assert_eq!(fold("Ba Ðình"), "Ba Dinh");
        assert_eq!(fold("người"), "nguoi");
        assert_eq!(fold("café naïve Ñandú"), "cafe naive Nandu");
        // NFD input folds the same as NFC.
        assert_eq!(fold("Vie\u{0323}\u{0302}t"), "Viet");
        assert_eq!(fold("50k, 2021!"), "50k, 2021!");
        // Hangul decomposes canonically into jamo, which is not a diacritic to remove.
        assert_eq!(fold("한국 Ελλάδα"), "한국 Ελλαδα");
    }
}
