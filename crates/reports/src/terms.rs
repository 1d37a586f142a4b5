//! Rising terms: syllable n-grams (1–3, stopwords removed) counted by the number of documents
//! they occur in, compared between the period and its baseline with the log-likelihood ratio.

use std::collections::HashSet;

use duluan_text::normalize_token_into;
use duluan_text::stopwords::is_stopword_exact;
use rustc_hash::FxHashMap;
use serde::Serialize;

use crate::stats::{log_likelihood, share};

/// Longest n-gram counted, in syllables.
pub const MAX_GRAM: usize = 3;

/// An n-gram as token ids, unused places `NONE`.
type Gram = [u32; MAX_GRAM];
const NONE: u32 = u32::MAX;

/// Document frequencies of n-grams over a set of texts.
///
/// Tokens are interned (each distinct normalised syllable gets a number once) and n-grams are
/// counted as arrays of those numbers, so counting allocates nothing per occurrence; n-grams
/// become strings only when they are read out. Whole-phrase stopwords (`bao giờ`) are dropped
/// then too, for the few n-grams frequent enough to be read out.
#[derive(Debug, Clone, Default)]
pub struct TermCounts {
    /// Documents counted.
    pub docs: u64,
    // Fx hashing: these maps see every token and n-gram of every sampled document, and their
    // keys are our own token ids and normalised syllables, not attacker-chosen keys of a server.
    ids: FxHashMap<String, u32>,
    words: Vec<String>,
    stop: Vec<bool>,
    counts: FxHashMap<Gram, u64>,
    doc_grams: Vec<Gram>,
    buf: String,
}

impl TermCounts {
    /// Counts given directly (`"khẩu trang"` → documents), for tests and tools.
    pub fn from_counts(docs: u64, counts: &[(&str, u64)]) -> TermCounts {
        let mut c = TermCounts { docs, ..TermCounts::default() };
        for (term, n) in counts {
            let mut gram = [NONE; MAX_GRAM];
            for (slot, word) in gram.iter_mut().zip(term.split(' ')) {
                *slot = c.intern(word);
            }
            c.counts.insert(gram, *n);
        }
        c
    }

    fn intern(&mut self, word: &str) -> u32 {
        if let Some(&id) = self.ids.get(word) {
            return id;
        }
        let id = u32::try_from(self.words.len()).unwrap_or(NONE - 1);
        self.ids.insert(word.to_string(), id);
        self.words.push(word.to_string());
        self.stop.push(is_stopword_exact(word));
        id
    }

    /// Count one document (title and lead, or any text). N-grams never cross sentence
    /// punctuation, never start or end with a stopword; tokens without a letter (numbers,
    /// dates) break them.
    pub fn add(&mut self, text: &str) {
        self.docs += 1;
        let mut grams = std::mem::take(&mut self.doc_grams);
        grams.clear();
        let mut run: Vec<u32> = Vec::with_capacity(64);
        let mut last_end = 0;
        for (start, end) in duluan_text::tokens(text) {
            if breaks(text, last_end, start) {
                self.flush_run(&mut run, &mut grams);
            }
            last_end = end;
            let token = &text[start..end];
            if !token.chars().any(char::is_alphabetic) {
                self.flush_run(&mut run, &mut grams);
                continue;
            }
            let mut buf = std::mem::take(&mut self.buf);
            buf.clear();
            normalize_token_into(token, &mut buf);
            let id = self.intern(&buf);
            self.buf = buf;
            run.push(id);
        }
        self.flush_run(&mut run, &mut grams);
        grams.sort_unstable();
        grams.dedup();
        for g in &grams {
            *self.counts.entry(*g).or_default() += 1;
        }
        self.doc_grams = grams;
    }

    /// Every n-gram of a run of tokens that neither starts nor ends with a stopword.
    fn flush_run(&self, run: &mut Vec<u32>, grams: &mut Vec<Gram>) {
        for end in 0..run.len() {
            if self.stop[run[end] as usize] {
                continue;
            }
            for n in 1..=MAX_GRAM.min(end + 1) {
                let first = end + 1 - n;
                if self.stop[run[first] as usize] {
                    continue;
                }
                let mut gram = [NONE; MAX_GRAM];
                gram[..n].copy_from_slice(&run[first..=end]);
                grams.push(gram);
            }
        }
        run.clear();
    }

    fn text(&self, gram: &Gram) -> String {
        let words: Vec<&str> =
            gram.iter().take_while(|&&id| id != NONE).map(|&id| self.words[id as usize].as_str()).collect();
        words.join(" ")
    }

    /// Documents containing `gram` (an n-gram in the exact view, words separated by spaces).
    pub fn get(&self, gram: &str) -> u64 {
        let mut key = [NONE; MAX_GRAM];
        for (i, word) in gram.split(' ').enumerate() {
            match (key.get_mut(i), self.ids.get(word)) {
                (Some(slot), Some(&id)) => *slot = id,
                _ => return 0,
            }
        }
        self.counts.get(&key).copied().unwrap_or(0)
    }

    /// N-grams in at least `min_count` documents, as text, without whole-phrase stopwords.
    pub fn frequent(&self, min_count: u64) -> Vec<(String, u64)> {
        self.counts
            .iter()
            .filter(|(_, n)| **n >= min_count)
            .map(|(g, n)| (self.text(g), *n))
            .filter(|(t, _)| !is_stopword_exact(t))
            .collect()
    }
}

/// The distinct n-grams of one text (see [`TermCounts::add`]).
pub fn document_grams(text: &str) -> HashSet<String> {
    let mut c = TermCounts::default();
    c.add(text);
    c.frequent(1).into_iter().map(|(t, _)| t).collect()
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
        .frequent(rule.min_count)
        .into_iter()
        .filter_map(|(term, count)| {
            let baseline_count = baseline.get(&term);
            let (s, bs) = (share(count, period.docs), share(baseline_count, baseline.docs));
            if s <= bs {
                return None;
            }
            let llr = log_likelihood(count, period.docs, baseline_count, baseline.docs);
            (llr >= rule.min_llr).then_some(RisingTerm {
                term,
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
        TermCounts::from_counts(docs, terms)
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
