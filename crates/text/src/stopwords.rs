//! Stopwords for trend statistics (rising terms, syllable n-grams), never for search or rules.
//!
//! Vietnamese: the MIT-licensed `vietnamese-stopwords` list (1,942 entries, many of them several
//! syllables, e.g. `bao giờ`); English: a short list written for this project. Origins are in
//! `data/README.md`. Entries and queries are compared in the exact view (lower case, canonical
//! tone placement), so `Hoà` and `hòa`, `THẾ NÀO` and `thế nào` are looked up alike.

use std::collections::HashSet;
use std::sync::LazyLock;

use crate::tokens::{Analysis, View};

static VIETNAMESE: LazyLock<HashSet<String>> = LazyLock::new(|| load(include_str!("../data/vietnamese-stopwords.txt")));
static ENGLISH: LazyLock<HashSet<String>> = LazyLock::new(|| load(include_str!("../data/english-stopwords.txt")));
/// Both lists in the folded view (no diacritics), for text that may be typed without marks.
static FOLDED: LazyLock<HashSet<String>> = LazyLock::new(|| {
    let lists = [include_str!("../data/vietnamese-stopwords.txt"), include_str!("../data/english-stopwords.txt")];
    let folded = |w: &str| Analysis::new(w).joined(View::Folded).to_string();
    lists.iter().flat_map(|list| list.lines()).map(folded).filter(|w| !w.is_empty()).collect()
});

fn load(list: &str) -> HashSet<String> {
    list.lines().map(exact).filter(|w| !w.is_empty()).collect()
}

/// The exact view of a word or phrase: normalised tokens joined by single spaces.
fn exact(phrase: &str) -> String {
    Analysis::new(phrase).joined(View::Exact).to_string()
}

/// Whether `phrase` (one or more syllables, any case or tone placement) is a Vietnamese stopword.
pub fn is_vietnamese_stopword(phrase: &str) -> bool {
    VIETNAMESE.contains(&exact(phrase))
}

/// Whether `word` is an English stopword.
pub fn is_english_stopword(word: &str) -> bool {
    ENGLISH.contains(&exact(word))
}

/// Whether `phrase` is a stopword in the language `lang` (ISO 639-1 code; `vi`, `en`), or in
/// either when the language is unknown.
pub fn is_stopword(phrase: &str, lang: &str) -> bool {
    match lang {
        "vi" => is_vietnamese_stopword(phrase),
        "en" => is_english_stopword(phrase),
        _ => is_vietnamese_stopword(phrase) || is_english_stopword(phrase),
    }
}

/// Whether a phrase already in the exact view (as [`Analysis::joined`] gives it: lower case,
/// canonical tones, single spaces) is a stopword in either language; no allocation, for counting
/// n-grams over many documents.
pub fn is_stopword_exact(phrase: &str) -> bool {
    VIETNAMESE.contains(phrase) || ENGLISH.contains(phrase)
}

/// Whether a phrase already in the folded view ([`View::Folded`]: lower case, no diacritics,
/// single spaces) is, written with or without its marks, a stopword in either language: `va`,
/// `da` and `co` as well as `và`, `đã` and `có`. Folding merges a few content words into them
/// (`cờ` is `co`); for comparing a text with its unaccented twin, that is the price of reading
/// both alike.
pub fn is_stopword_folded(phrase: &str) -> bool {
    FOLDED.contains(phrase)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vietnamese_and_english() {
        assert!(is_vietnamese_stopword("bao giờ"));
        assert!(is_vietnamese_stopword("Bao  Giờ"));
        assert!(is_vietnamese_stopword("những"));
        assert!(is_vietnamese_stopword("thì"));
        assert!(!is_vietnamese_stopword("khẩu trang"));
        assert!(!is_vietnamese_stopword("vắc xin"));
        assert!(is_english_stopword("The"));
        assert!(!is_english_stopword("vaccine"));
        assert!(is_stopword("của", "vi"));
        assert!(is_stopword("the", "und"));
        assert!(!is_stopword("the", "vi"));
        assert!(is_stopword_exact("bao giờ"));
        for word in ["va", "da", "co", "nhung", "bao gio", "the"] {
            assert!(is_stopword_folded(word), "{word}");
        }
        assert!(!is_stopword_folded("và") && !is_stopword_folded("vac xin"));
        assert!(VIETNAMESE.len() > 1900, "{}", VIETNAMESE.len());
    }
}
