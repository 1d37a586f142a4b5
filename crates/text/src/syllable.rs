//! Whether a token has the shape of a Vietnamese syllable.
//!
//! Vietnamese syllables have a closed shape: (initial consonant)(glide u/o)(vowel)(final among c,
//! ch, m, n, ng, nh, p, t, or a semivowel i/y/o/u), with at most one tone mark. Language
//! identification uses the share of such tokens to recognise Vietnamese written without
//! diacritics; legacy-encoding detection uses it to tell a correct conversion from mojibake.

use crate::fold::fold_char;
use crate::tone::vowel_parts;

const FOLDED_INITIALS: [&str; 26] = [
    "ngh", "ng", "nh", "ch", "gh", "gi", "kh", "ph", "qu", "th", "tr", "b", "c", "d", "g", "h", "k", "l", "m", "n",
    "p", "r", "s", "t", "v", "x",
];
const FOLDED_NUCLEI: [&str; 44] = [
    "a", "e", "i", "o", "u", "y", "ai", "ao", "au", "ay", "eo", "eu", "ia", "ie", "iu", "oa", "oe", "oi", "oo", "ua",
    "ue", "ui", "uo", "uu", "uy", "ye", "oai", "oay", "oeo", "uay", "uoi", "uou", "uya", "uye", "uyu", "ieu", "yeu",
    "uai", "uao", "uau", "uoa", "uee", "aa", "ea",
];
const FOLDED_FINALS: [&str; 9] = ["", "c", "ch", "m", "n", "ng", "nh", "p", "t"];

/// Whether a folded syllable is distinctively Vietnamese: an initial or a vowel cluster that
/// other Latin-script languages rarely write (`ngh`, `nh`, `kh`, `tr`, `qu`, `uo`, `ie`, `uye`, ...).
pub(crate) fn is_distinctive(folded: &str) -> bool {
    const INITIALS: [&str; 8] = ["ngh", "ng", "nh", "kh", "tr", "gi", "qu", "ph"];
    const CLUSTERS: [&str; 9] = ["uo", "ie", "ye", "oa", "oe", "uy", "ua", "ưu", "oi"];
    INITIALS.iter().any(|i| folded.starts_with(i) && folded.len() > i.len())
        || CLUSTERS.iter().any(|c| folded.contains(c))
        || folded.ends_with("nh")
}

/// Whether a folded, lower-case ASCII token has the shape of a Vietnamese syllable.
pub(crate) fn is_folded_syllable(token: &str) -> bool {
    if token.len() > 7 || token.is_empty() || !token.is_ascii() {
        return false;
    }
    let is_vowel = |b: u8| matches!(b, b'a' | b'e' | b'i' | b'o' | b'u' | b'y');
    let mut rest = token;
    let mut initial_used = "";
    for initial in FOLDED_INITIALS {
        if let Some(after) = token.strip_prefix(initial) {
            // `gi`/`qu` as initial only when a vowel follows; otherwise try the shorter `g`.
            if after.bytes().next().is_some_and(is_vowel) || !matches!(initial, "gi" | "qu") {
                rest = after;
                initial_used = initial;
                break;
            }
        }
    }
    let vowel_len = rest.bytes().take_while(|&b| is_vowel(b)).count();
    let (nucleus, final_part) = rest.split_at(vowel_len);
    // iê, yê and uyê are never open (tiền, yên, khuyên; an open /iə/ is written `ia`).
    let open_front_diphthong = final_part.is_empty() && matches!(nucleus, "ie" | "ye" | "uye");
    FOLDED_NUCLEI.contains(&nucleus)
        && FOLDED_FINALS.contains(&final_part)
        && !open_front_diphthong
        && spelled_right(initial_used, nucleus)
}

/// Vietnamese spelling rules for /k/, /ɣ/ and /ŋ/: `k`, `gh`, `ngh` before e, ê, i, y; `c`, `g`,
/// `ng` elsewhere. They rule out many foreign words of syllable shape (`kung`, `ce`, `nge`).
fn spelled_right(initial: &str, nucleus: &str) -> bool {
    let front = nucleus.starts_with(['e', 'i', 'y']);
    match initial {
        "k" => front,
        "gh" | "ngh" => front && !nucleus.starts_with('y'),
        "c" | "ng" => !front,
        "g" => !nucleus.starts_with(['e', 'y']),
        _ => true,
    }
}

/// Whether a token, in any case and with or without diacritics, is a possible Vietnamese
/// syllable: only Vietnamese letters, at most one tone mark, and the folded shape above.
pub(crate) fn is_syllable(token: &str) -> bool {
    syllable_folded(token).is_some()
}

/// A syllable's folded, lower-case form, at most 7 ASCII bytes.
#[derive(Clone, Copy)]
pub(crate) struct Folded {
    bytes: [u8; 8],
    len: usize,
}

impl Folded {
    pub(crate) fn as_str(&self) -> &str {
        // Only ASCII bytes are written; the fallback is never taken.
        std::str::from_utf8(&self.bytes[..self.len]).unwrap_or("")
    }
}

/// [`is_syllable`], returning the folded form of a syllable.
pub(crate) fn syllable_folded(token: &str) -> Option<Folded> {
    let mut folded = [0u8; 8];
    let mut n = 0;
    let mut tones = 0;
    // `ă` and `â` never end a syllable (ăn, ắt, âm, ấy; never `să`).
    let mut needs_more = false;
    for c in token.chars() {
        needs_more = false;
        if let Some((base, tone)) = vowel_parts(c) {
            tones += usize::from(tone != 0);
            needs_more = matches!(base, 'ă' | 'Ă' | 'â' | 'Â');
        } else if !(c.is_ascii_alphabetic() || c == 'đ' || c == 'Đ' || c == 'Ð') {
            return None;
        }
        let f = fold_char(c).to_ascii_lowercase();
        let slot = folded.get_mut(n)?;
        *slot = u8::try_from(f).ok().filter(u8::is_ascii).unwrap_or(b'?');
        n += 1;
    }
    let folded = Folded { bytes: folded, len: n };
    (tones <= 1 && !needs_more && is_folded_syllable(folded.as_str())).then_some(folded)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folded_shape() {
        for s in ["nguoi", "khong", "thuyen", "quoc", "gi", "gin", "uong", "khuya"] {
            assert!(is_folded_syllable(s), "{s}");
        }
        for s in ["with", "from", "and", "street", "budget", "", "kung", "ce", "nge", "ka", "ghu", "die", "sie"] {
            assert!(!is_folded_syllable(s), "{s}");
        }
    }

    #[test]
    fn unicode_syllables() {
        for s in ["Người", "được", "Hà", "Nội", "Việt", "ĐỨC", "khuỷu", "quý"] {
            assert!(is_syllable(s), "{s}");
        }
        // Mojibake and Latin words: wrong letters, two tones or no Vietnamese shape.
        for s in ["café", "déjà", "für", "Müller", "año", "Hµ", "ViÖt", "hóà", "naïve", "să", "uđem", "Àwọn"]
        {
            assert!(!is_syllable(s), "{s}");
        }
    }
}
