//! Rising terms: syllable n-grams (1–3, stopwords removed) counted by the number of documents
//! they occur in, compared between the period and its baseline with the log-likelihood ratio.

use std::collections::{HashMap, HashSet};

use duluan_text::stopwords::is_stopword_exact;
use duluan_text::{Analysis, View};
use serde::Serialize;

use crate::stats::{log_likelihood, share};

/// Longest n-gram counted, in syllables.
pub const MAX_GRAM: usize = 3;

/// Document frequencies of n-grams over a set of texts.
#[derive(Debug, Clone, Default)]
pub struct TermCounts {
    /// Documents counted.
    pub docs: u64,
    /// N-gram (exact view: lower case, canonical tones, single spaces) → documents containing it.
    pub counts: HashMap<String, u64>,
}

impl TermCounts {
    /// Count one document (title and lead, or any text).
    pub fn add(&mut self, text: &str) {
        self.docs += 1;
        for gram in document_grams(text) {
            *self.counts.entry(gram).or_default() += 1;
        }
    }

    /// Documents containing `gram`.
    pub fn get(&self, gram: &str) -> u64 {
        self.counts.get(gram).copied().unwrap_or(0)
    }
}

/// The distinct n-grams of one text. N-grams never cross sentence punctuation, never start or
/// end with a stopword, and are not stopwords themselves; tokens without a letter (numbers,
/// dates) are left out.
pub fn document_grams(text: &str) -> HashSet<String> {
    let analysis = Analysis::new(text);
    let mut grams = HashSet::new();
    let mut run_start = 0;
    for i in 0..analysis.len() {
        if i > 0 && breaks(text, analysis.spans[i - 1].1, analysis.spans[i].0) {
            run_start = i;
        }
        let token = analysis.token(View::Exact, i);
        if !token.chars().any(char::is_alphabetic) {
            run_start = i + 1;
            continue;
        }
        // Every n-gram ending at token i, within the current run.
        for n in 1..=MAX_GRAM {
            if n > i + 1 - run_start {
                break;
            }
            let first = i + 1 - n;
            if is_stopword_exact(analysis.token(View::Exact, first)) || is_stopword_exact(token) {
                continue;
            }
            let gram = (first..=i).map(|j| analysis.token(View::Exact, j)).collect::<Vec<_>>().join(" ");
            if !is_stopword_exact(&gram) {
                grams.insert(gram);
            }
        }
    }
    grams
}

/// Whether the text between two tokens ends a phrase.
fn breaks(text: &str, from: usize, to: usize) -> bool {
    text.get(from..to).is_some_and(|gap| gap.chars().any(|c| ".,;:!?()[]{}\"“”«»…|/–—\n\r\t".contains(c)))
}

/// A term more frequent in the period than in the baseline.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RisingTerm {
    /// The n-gram.
    pub term: String,
    /// Documents of the period's sample containing it.
    pub count: u64,
    /// Documents of the baseline's sample containing it.
    pub baseline_count: u64,
    /// `count` over the period's sample size.
    pub share: f64,
    /// `baseline_count` over the baseline's sample size.
    pub baseline_share: f64,
    /// Log-likelihood ratio (G²); above 10.83 means p < 0.001.
    pub llr: f64,
}

/// Settings for [`rising_terms`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RisingRule {
    /// Fewest documents of the period a term must occur in.
    pub min_count: u64,
    /// Least log-likelihood ratio.
    pub min_llr: f64,
    /// Most terms returned.
    pub limit: usize,
}

impl Default for RisingRule {
    fn default() -> Self {
        RisingRule { min_count: 5, min_llr: 10.83, limit: 25 }
    }
}

/// Terms whose share of documents rose significantly from `baseline` to `period`, strongest
/// first. A term is left out when a longer term containing it rose with nearly the same count
/// (`khẩu` and `trang` are shown as `khẩu trang`).
pub fn rising_terms(period: &TermCounts, baseline: &TermCounts, rule: &RisingRule) -> Vec<RisingTerm> {
    let mut rising: Vec<RisingTerm> = period
        .counts
        .iter()
        .filter(|(_, count)| **count >= rule.min_count)
        .filter_map(|(term, &count)| {
            let baseline_count = baseline.get(term);
            let (s, bs) = (share(count, period.docs), share(baseline_count, baseline.docs));
            if s <= bs {
                return None;
            }
            let llr = log_likelihood(count, period.docs, baseline_count, baseline.docs);
            (llr >= rule.min_llr).then(|| RisingTerm {
                term: term.clone(),
                count,
                baseline_count,
                share: s,
                baseline_share: bs,
                llr,
            })
        })
        .collect();
    rising.sort_by(|a, b| b.llr.total_cmp(&a.llr).then_with(|| a.term.cmp(&b.term)));
    let kept = drop_subsumed(&rising);
    kept.into_iter().take(rule.limit).collect()
}

/// Terms of a group (e.g. the negative items) that stand out against the whole, most telling
/// first; the same test as [`rising_terms`].
pub fn distinctive_terms(group: &TermCounts, whole: &TermCounts, rule: &RisingRule) -> Vec<RisingTerm> {
    rising_terms(group, whole, rule)
}

fn drop_subsumed(terms: &[RisingTerm]) -> Vec<RisingTerm> {
    terms
        .iter()
        .filter(|t| {
            !terms.iter().any(|longer| {
                longer.term.len() > t.term.len()
                    && contains_words(&longer.term, &t.term)
                    && longer.count as f64 >= 0.7 * t.count as f64
            })
        })
        .cloned()
        .collect()
}

/// Whether `phrase` occurs in `longer` as whole words.
fn contains_words(longer: &str, phrase: &str) -> bool {
    let padded = format!(" {longer} ");
    padded.contains(&format!(" {phrase} "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grams_skip_stopwords_numbers_and_punctuation() {
        // `tăng`, `mạnh`, `người` and `vì` are on the (broad) Vietnamese stopword list.
        let g = document_grams("Giá khẩu trang tăng mạnh, người dân lo lắng vì 2021");
        for want in ["khẩu trang", "giá khẩu trang", "khẩu", "lo lắng", "dân lo lắng"] {
            assert!(g.contains(want), "{want} missing from {g:?}");
        }
        assert!(!g.iter().any(|t| t.contains("trang dân")), "{g:?}");
        let c = document_grams("khẩu trang, dân lo");
        assert!(!c.contains("trang dân"), "crossed a comma: {c:?}");
        assert!(!g.iter().any(|t| t.contains("2021")), "{g:?}");
        assert!(!g.contains("vì"), "stopword kept: {g:?}");
        assert!(!g.iter().any(|t| t.ends_with(" vì") || t.starts_with("vì ")), "{g:?}");
        // Case and tone placement do not split a term.
        let h = document_grams("KHẨU TRANG hoà bình");
        assert!(h.contains("khẩu trang"));
        assert_eq!(document_grams("Hòa bình").contains("hòa bình"), h.contains("hòa bình"));
    }

    fn counts(docs: u64, terms: &[(&str, u64)]) -> TermCounts {
        TermCounts { docs, counts: terms.iter().map(|(t, n)| (t.to_string(), *n)).collect() }
    }

    #[test]
    fn rising_terms_are_significant_and_not_split() {
        let period = counts(
            1000,
            &[("khẩu trang", 110), ("khẩu", 112), ("trang", 130), ("thời tiết", 50), ("bão", 4), ("giá", 100)],
        );
        let baseline = counts(1000, &[("khẩu trang", 10), ("khẩu", 10), ("trang", 40), ("thời tiết", 55), ("giá", 95)]);
        let r = rising_terms(&period, &baseline, &RisingRule::default());
        let names: Vec<&str> = r.iter().map(|t| t.term.as_str()).collect();
        // `khẩu` is inside `khẩu trang` with nearly the same count; `trang` rose on its own too
        // but mostly as part of `khẩu trang` (110 ≥ 0.7·130); `bão` is under the minimum count;
        // `giá` did not rise significantly; `thời tiết` fell.
        assert_eq!(names, ["khẩu trang"], "{r:?}");
        assert!((r[0].llr - 102.836_347_455_390_41).abs() < 1e-9);
        assert_eq!((r[0].count, r[0].baseline_count), (110, 10));
    }

    #[test]
    fn counting_documents_not_occurrences() {
        let mut c = TermCounts::default();
        c.add("lũ lụt lũ lụt lũ lụt");
        c.add("Lũ lụt ở miền Trung");
        assert_eq!(c.docs, 2);
        assert_eq!(c.get("lũ lụt"), 2);
    }
}
