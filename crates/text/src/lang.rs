//! Language identification with a Vietnamese-aware front end.
//!
//! Statistical detectors recognise accented Vietnamese well but miss a quarter of unaccented
//! social text, and call short texts in languages they know little of (Kashubian, Navajo,
//! Icelandic) Vietnamese. So Vietnamese is decided here, from per-word evidence, and whatlang only
//! names the other languages:
//! - letters only Vietnamese uses (ă, đ, ơ, ư, ĩ, ũ and the toned vowels of Latin Extended
//!   Additional), and letters Vietnamese never uses (ç, ñ, ü, ß, ł, ...);
//! - whether each word is a possible Vietnamese syllable (closed syllable shape, at most one tone,
//!   Vietnamese spelling rules such as `k` only before e/i/y);
//! - whether its folded form is an attested Vietnamese syllable (`data/vi-folded-syllables.txt`,
//!   1,400 syllables; see `data/README.md`) and how many are frequent function words.
//!
//! A text is Vietnamese when most of its words are (majority, so a Vietnamese page quoting some
//! English stays Vietnamese and the other way round); shorter texts need stronger evidence.

use std::sync::LazyLock;

use unicode_normalization::UnicodeNormalization;

use crate::syllable::{is_distinctive, is_folded_syllable, syllable_folded};
use crate::tokens::tokens;
use crate::tone::is_vowel;

/// A detected language.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Language {
    /// ISO 639-1 code (`vi`, `en`, ...) or `und` when unknown.
    pub code: &'static str,
    /// Confidence in [0, 1].
    pub confidence: f32,
}

impl Language {
    const UNKNOWN: Language = Language { code: "und", confidence: 0.0 };
}

/// Detect the language of `text`; `hint` (e.g. the page's `lang` attribute) breaks ties on short
/// or ambiguous text.
pub fn detect_language(text: &str, hint: Option<&str>) -> Language {
    let sample = sample(text);
    // Decomposed text (`e` + U+0302): its marks are not letters, and every accented word would
    // be passed over as not a word.
    let composed: String;
    let sample = if crate::normalize::needs_nfc(sample) {
        composed = sample.nfc().collect();
        composed.as_str()
    } else {
        sample
    };
    let mut evidence = Evidence::of(sample, false);
    // A text in capitals (`CẢNH BÁO KHẨN CẤP`) is not a text of acronyms: its words count.
    if evidence.acronyms > evidence.words + evidence.names {
        evidence = Evidence::of(sample, true);
    }
    if let Some(vi) = evidence.vietnamese() {
        return vi;
    }
    if evidence.words < 3 {
        return hinted(hint).unwrap_or(Language::UNKNOWN);
    }
    // Vietnamese was decided above; whatlang's Vietnamese on what fell through is a guess on
    // unfamiliar text (Yoruba, Kashubian, Navajo), so it names the best other language.
    let Some(info) = NOT_VIETNAMESE.detect(sample) else {
        return hinted(hint).unwrap_or(Language::UNKNOWN);
    };
    let code = iso639_1(info.lang());
    if code == "und" || (!info.is_reliable() && hint.is_some()) {
        return hinted(hint).unwrap_or(Language { code, confidence: info.confidence() as f32 });
    }
    Language { code, confidence: info.confidence() as f32 }
}

/// The ISO 639 code of a language tag as pages, feeds and clients write it (`vi-VN`, `EN`,
/// `en_US`, `vie`): its primary subtag in lower case, two letters where ISO 639-1 has them for
/// the languages [`detect_language`] names; `None` for anything else (`und`, empty, `*`,
/// `x-private`), which callers treat as unknown.
pub fn language_code(tag: &str) -> Option<String> {
    let primary = tag.trim().split(['-', '_']).next()?;
    let code = primary.to_ascii_lowercase();
    if !(2..=3).contains(&code.len()) || !code.bytes().all(|b| b.is_ascii_lowercase()) || code == "und" {
        return None;
    }
    let two_letters = THREE_LETTER_CODES.iter().find(|(three, _)| *three == code).map(|(_, two)| two.to_string());
    Some(two_letters.unwrap_or(code))
}

/// ISO 639-2 codes (terminology and bibliographic) of the languages named here, with their
/// ISO 639-1 code.
const THREE_LETTER_CODES: &[(&str, &str)] = &[
    ("vie", "vi"),
    ("eng", "en"),
    ("fra", "fr"),
    ("fre", "fr"),
    ("deu", "de"),
    ("ger", "de"),
    ("spa", "es"),
    ("por", "pt"),
    ("ita", "it"),
    ("nld", "nl"),
    ("dut", "nl"),
    ("rus", "ru"),
    ("zho", "zh"),
    ("chi", "zh"),
    ("jpn", "ja"),
    ("kor", "ko"),
    ("tha", "th"),
    ("ind", "id"),
    ("msa", "ms"),
    ("may", "ms"),
    ("tgl", "tl"),
    ("khm", "km"),
    ("pol", "pl"),
    ("tur", "tr"),
    ("swe", "sv"),
    ("dan", "da"),
    ("fin", "fi"),
    ("ces", "cs"),
    ("cze", "cs"),
    ("hun", "hu"),
    ("ron", "ro"),
    ("rum", "ro"),
    ("ukr", "uk"),
    ("ara", "ar"),
    ("hin", "hi"),
    ("lao", "lo"),
];

/// The language of an item: the tag it came with when that is a language code, else detected from
/// its text, or from its title when it has no text; `hint` as for [`detect_language`].
pub fn item_language(given: Option<&str>, title: &str, text: &str, hint: Option<&str>) -> String {
    given.and_then(language_code).unwrap_or_else(|| {
        let sample = if text.trim().is_empty() { title } else { text };
        detect_language(sample, hint).code.to_string()
    })
}

static NOT_VIETNAMESE: LazyLock<whatlang::Detector> =
    LazyLock::new(|| whatlang::Detector::with_denylist(vec![whatlang::Lang::Vie]));

/// Counts over the alphabetic words of a text. Acronyms (`UBND`, `COVID`) and capitalised words
/// that are not syllables (`Chelsea`, `Stenbeck`) are names in any language and are not counted.
#[derive(Debug, Default)]
struct Evidence {
    words: usize,
    /// Syllables with a letter only Vietnamese uses.
    vi_only: usize,
    /// Syllables with Vietnamese diacritics of any kind.
    marked: usize,
    /// Words with a letter Vietnamese never uses (names included).
    foreign: usize,
    /// Capitalised words that are not syllables, left out of `words`.
    names: usize,
    /// Words in capitals, left out unless the whole text is written so.
    acronyms: usize,
    /// Possible Vietnamese syllables (letters, tone and shape).
    valid: usize,
    /// Valid words whose folded form is an attested Vietnamese syllable.
    attested: usize,
    /// Attested syllables spelled as only Vietnamese spells (`nguoi`, `khong`, `truong`).
    distinctive: usize,
    /// Attested words that are frequent function words.
    function: usize,
}

impl Evidence {
    /// The evidence of `text`'s words; words in capitals count only when `shouting`.
    fn of(text: &str, shouting: bool) -> Evidence {
        let mut e = Evidence::default();
        for (start, end) in tokens(text) {
            let word = &text[start..end];
            if !word.chars().all(char::is_alphabetic) {
                continue;
            }
            if !shouting && is_acronym(word) {
                e.acronyms += 1;
                continue;
            }
            if !word.is_ascii() {
                e.foreign += usize::from(word.chars().any(|c| !is_vietnamese_letter(c)));
            }
            let syllable = syllable_folded(word);
            if syllable.is_none() && word.chars().next().is_some_and(char::is_uppercase) {
                e.names += 1;
                continue;
            }
            e.words += 1;
            let Some(folded) = syllable else { continue };
            let folded = folded.as_str();
            e.valid += 1;
            if !word.is_ascii() {
                e.marked += 1;
                e.vi_only += usize::from(word.chars().any(is_vietnamese_only));
            }
            if is_attested(folded) {
                e.attested += 1;
                e.distinctive += usize::from(is_distinctive(folded));
                e.function += usize::from(is_function_word(folded));
            }
        }
        e
    }

    fn share(&self, n: usize) -> f32 {
        n as f32 / self.words.max(1) as f32
    }

    /// `vi` with a confidence, when the words say so.
    fn vietnamese(&self) -> Option<Language> {
        if self.words == 0 || self.foreign * 10 > self.words + self.names {
            return None;
        }
        let valid = self.share(self.valid);
        let attested = self.share(self.attested);
        let vi = |confidence: f32| Some(Language { code: "vi", confidence: confidence.min(1.0) });
        // Written with diacritics: syllables with Vietnamese letters in a text that is mostly
        // syllables; or tone-marked syllables and little else.
        if self.vi_only > 0 && self.share(self.vi_only) >= 0.08 && valid >= 0.6 {
            return vi(0.5 + valid / 2.0);
        }
        let few_names = self.names <= self.words;
        if self.words >= 3 && few_names && self.share(self.marked) >= 0.25 && valid >= 0.8 && attested >= 0.8 {
            return vi(0.4 + valid / 2.0);
        }
        // Without diacritics: nearly every word an attested syllable, and words that only
        // Vietnamese writes that way. Short texts need all of them, because a few English or
        // Tagalog words can look the part.
        let needed = match self.words {
            0..=2 => return None,
            3..=5 => 1.0,
            6..=9 => 0.85,
            _ => 0.75,
        };
        let typical = if self.words > 5 {
            self.function + self.distinctive > 0
        } else {
            self.distinctive > 0 || self.share(self.function) >= 0.25
        };
        // Mostly names around a few short words is not enough to call a text Vietnamese.
        if attested >= needed && valid >= needed && typical && few_names {
            return vi(attested * 0.6 + self.share(self.function));
        }
        None
    }
}

/// `UBND`, `COVID`: upper case throughout, two letters or more.
fn is_acronym(word: &str) -> bool {
    word.chars().nth(1).is_some() && word.chars().all(|c| !c.is_lowercase())
}

/// Whether a folded, lower-case word is one of the attested Vietnamese syllables.
fn is_attested(folded: &str) -> bool {
    static ATTESTED: LazyLock<Vec<&'static str>> = LazyLock::new(|| {
        let mut words: Vec<&str> = include_str!("../data/vi-folded-syllables.txt")
            .lines()
            .map(str::trim)
            .filter(|w| is_folded_syllable(w))
            .collect();
        words.sort_unstable();
        words
    });
    ATTESTED.binary_search(&folded).is_ok()
}

/// At most ~2000 bytes from the start (on a char boundary): enough to decide, and keeps detection
/// cost flat for long articles.
fn sample(text: &str) -> &str {
    if text.len() <= 2000 {
        return text;
    }
    let mut end = 2000;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

fn hinted(hint: Option<&str>) -> Option<Language> {
    let code = hint?.split(['-', '_']).next()?.to_ascii_lowercase();
    let code = KNOWN_CODES.iter().find(|&&c| c == code)?;
    Some(Language { code, confidence: 0.5 })
}

const KNOWN_CODES: &[&str] = &[
    "vi", "en", "fr", "de", "es", "pt", "it", "nl", "ru", "zh", "ja", "ko", "th", "id", "ms", "tl", "km", "pl", "tr",
    "sv", "da", "fi", "cs", "hu", "ro", "uk", "ar", "hi",
];

/// Letters no other Latin-script language writes: ă, đ, ơ, ư, ĩ, ũ and Latin Extended Additional
/// vowels.
fn is_vietnamese_only(c: char) -> bool {
    // `Ð` (U+00D0) is `Đ` as old fonts and keyboards write it.
    matches!(c, 'ă' | 'Ă' | 'đ' | 'Đ' | 'Ð' | 'ơ' | 'Ơ' | 'ư' | 'Ư' | 'ĩ' | 'Ĩ' | 'ũ' | 'Ũ')
        || ('\u{1EA0}'..='\u{1EF9}').contains(&c)
}

/// Letters of the Vietnamese alphabet, with or without tone.
fn is_vietnamese_letter(c: char) -> bool {
    c.is_ascii_alphabetic() || c == 'đ' || c == 'Đ' || c == 'Ð' || is_vowel(c)
}

/// Frequent Vietnamese function words, folded. Forms that are also frequent words of other
/// languages (`la`, `de`, `con`, `da`, `se`, `tu`, `ma`, `vi`, `dan`, `hay`, `den`) are left out,
/// so Spanish, Italian, Swedish or Indonesian is never called Vietnamese for them.
fn is_function_word(folded: &str) -> bool {
    VI_FUNCTION_WORDS.binary_search(&folded).is_ok()
}

/// Sorted, for the binary search.
const VI_FUNCTION_WORDS: &[&str] = &[
    "ay", "bi", "biet", "cac", "cho", "chua", "co", "cua", "cung", "dang", "day", "dc", "duoc", "duong", "gi", "hoac",
    "khi", "khong", "ko", "lai", "lam", "minh", "mot", "nay", "nen", "neu", "ngay", "nguoi", "nhan", "nhat", "nhe",
    "nhieu", "nhu", "nhung", "pho", "qua", "rat", "roi", "sao", "sau", "tai", "thanh", "theo", "thi", "toi", "trong",
    "truoc", "va", "vao", "ve", "viec", "voi",
];

fn iso639_1(lang: whatlang::Lang) -> &'static str {
    use whatlang::Lang::*;
    match lang {
        Vie => "vi",
        Eng => "en",
        Fra => "fr",
        Deu => "de",
        Spa => "es",
        Por => "pt",
        Ita => "it",
        Nld => "nl",
        Rus => "ru",
        Cmn => "zh",
        Jpn => "ja",
        Kor => "ko",
        Tha => "th",
        Ind => "id",
        Tgl => "tl",
        Khm => "km",
        Pol => "pl",
        Tur => "tr",
        Swe => "sv",
        Dan => "da",
        Fin => "fi",
        Ces => "cs",
        Hun => "hu",
        Ron => "ro",
        Ukr => "uk",
        Ara => "ar",
        Hin => "hi",
        _ => "und",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vietnamese_in_capitals_decomposed_or_with_an_eth() {
        for text in [
            "CẢNH BÁO KHẨN CẤP: ĐẬP THỦY ĐIỆN SẮP VỠ, NGƯỜI DÂN HÃY SƠ TÁN NGAY",
            "HÔM NAY TRỜI ĐẸP QUÁ",
            "Tie\u{0302}\u{0301}ng Vie\u{0323}\u{0302}t co\u{0301} da\u{0302}\u{0301}u ra\u{0302}\u{0301}t \u{0111}e\u{0323}\u{0302}p",
            "Ðể làm được việc này",
        ] {
            assert_eq!(detect_language(text, None).code, "vi", "{text}");
        }
        // Acronyms among ordinary words still do not count.
        assert_eq!(detect_language("UBND TP HCM NASA WHO said the report was late", None).code, "en");
    }

    #[test]
    fn language_codes_from_tags() {
        let tags = [
            ("vi", Some("vi")),
            ("vi-VN", Some("vi")),
            ("EN", Some("en")),
            (" en_US ", Some("en")),
            ("vie", Some("vi")),
        ];
        for (tag, code) in tags {
            assert_eq!(language_code(tag).as_deref(), code, "{tag}");
        }
        for tag in ["", "und", "*", "x-private", "english", "v1", "-vi"] {
            assert_eq!(language_code(tag), None, "{tag}");
        }
    }

    #[test]
    fn accented_vietnamese() {
        let l = detect_language("Người dân thành phố đổ xô đi mua khẩu trang sau tin đồn dịch bệnh.", None);
        assert_eq!(l.code, "vi");
    }

    #[test]
    fn unaccented_vietnamese() {
        let l = detect_language("nghe noi tiem vac xin xong bi vo sinh, ko biet co that khong moi nguoi oi", None);
        assert_eq!(l.code, "vi");
    }

    #[test]
    fn function_words_are_sorted() {
        assert!(VI_FUNCTION_WORDS.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn other_languages_are_not_vietnamese() {
        for text in [
            "The city council approved the new budget for public transport on Monday.",
            "Le conseil municipal a approuvé le nouveau budget des transports publics lundi.",
            "El consejo de la ciudad aprobó el nuevo presupuesto para el transporte público.",
            "Der Stadtrat hat am Montag den neuen Haushalt für den öffentlichen Verkehr beschlossen.",
        ] {
            assert_ne!(detect_language(text, None).code, "vi", "{text}");
        }
        assert_eq!(detect_language("The city council approved the new budget for public transport.", None).code, "en");
    }

    #[test]
    fn short_text_uses_hint() {
        assert_eq!(detect_language("OK", Some("vi-VN")).code, "vi");
        assert_eq!(detect_language("", None).code, "und");
    }
}
