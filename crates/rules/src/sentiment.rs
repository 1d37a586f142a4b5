//! Lexicon sentiment that shows its work.
//!
//! Each lexicon term found in the text contributes its weight, flipped and damped when a negator
//! (`không`, `chẳng`, `chưa`, `not`) precedes it in the same clause, scaled up by intensifiers
//! (`rất`, `quá`, `lắm`, `very`) and down by diminishers (`hơi`, `khá`). Emoji and emoticons count
//! too. The sum is squashed into [-1, 1] (`s / sqrt(s² + 15)`, as VADER does) and every
//! contribution is returned, so a reader can see exactly why an item is negative.

use std::collections::HashMap;
use std::path::Path;

use duluan_model::{Label, Sentiment, SentimentTerm};
use duluan_text::{Analysis, View};

use crate::Error;

/// Longest lexicon phrase, in syllables.
const MAX_PHRASE: usize = 4;
/// How far back (in syllables) a negator reaches.
const NEGATION_WINDOW: usize = 3;
/// A negated term keeps this share of its weight, with the sign flipped.
const NEGATION_FACTOR: f32 = -0.74;
/// Scores beyond ±this are labelled negative/positive.
const LABEL_THRESHOLD: f32 = 0.1;

/// Role of a modifier word.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Modifier {
    Negator,
    /// Multiplies the weight of the term it modifies.
    Scale(f32),
}

/// Sentiment lexicons: weighted terms, modifiers and emoji.
#[derive(Debug, Clone, Default)]
pub struct Lexicon {
    exact: HashMap<String, f32>,
    folded: HashMap<String, f32>,
    modifiers: HashMap<String, Modifier>,
    folded_modifiers: HashMap<String, Modifier>,
    emoji: Vec<(String, f32)>,
}

impl Lexicon {
    /// Read every `*.tsv` in `dir`: `term<TAB>weight` lines for terms and emoji (files named
    /// `emoji*.tsv`), `term<TAB>negator` / `term<TAB>scale<TAB>factor` in `modifiers*.tsv`.
    /// A missing directory yields an empty lexicon (every text neutral).
    pub fn load_dir(dir: &Path) -> Result<Lexicon, Error> {
        let mut lexicon = Lexicon::default();
        let Ok(entries) = std::fs::read_dir(dir) else {
            return Ok(lexicon);
        };
        let mut files: Vec<_> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
        files.sort();
        for path in files {
            let name = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
            if !name.ends_with(".tsv") {
                continue;
            }
            let text = std::fs::read_to_string(&path).map_err(|e| Error::Io { path: path.clone(), source: e })?;
            lexicon.add_file(&path, &name, &text)?;
        }
        Ok(lexicon)
    }

    fn add_file(&mut self, path: &Path, name: &str, text: &str) -> Result<(), Error> {
        for (n, line) in text.lines().enumerate() {
            let line = line.trim_end_matches('\r');
            if line.trim().is_empty() || line.trim_start().starts_with('#') {
                continue;
            }
            let cols: Vec<&str> = line.split('\t').map(str::trim).collect();
            let bad = |msg: &str| Error::at(path, Some((n + 1, 1)), msg.to_string());
            if name.starts_with("modifiers") {
                let modifier = match cols.as_slice() {
                    [_, "negator", ..] => Modifier::Negator,
                    [_, "scale", factor, ..] => {
                        Modifier::Scale(factor.parse::<f32>().map_err(|_| bad("scale factor must be a number"))?)
                    }
                    _ => return Err(bad("expected `term<TAB>negator` or `term<TAB>scale<TAB>factor`")),
                };
                self.add_modifier(cols[0], modifier);
            } else {
                let [term, weight, ..] = cols.as_slice() else {
                    return Err(bad("expected `term<TAB>weight`"));
                };
                let weight: f32 = weight.parse().map_err(|_| bad("weight must be a number"))?;
                if !(-5.0..=5.0).contains(&weight) {
                    return Err(bad("weight must be between -5 and 5"));
                }
                if name.starts_with("emoji") {
                    self.emoji.push((term.to_string(), weight));
                } else {
                    self.add_term(term, weight);
                }
            }
        }
        Ok(())
    }

    /// Add a weighted term.
    pub fn add_term(&mut self, term: &str, weight: f32) {
        let a = Analysis::new(term);
        if a.is_empty() || a.len() > MAX_PHRASE {
            return;
        }
        self.exact.insert(a.joined(View::Exact).to_string(), weight);
        // Folding can merge words of opposite meaning; keep the stronger reading.
        let folded = a.joined(View::Folded).to_string();
        let entry = self.folded.entry(folded).or_insert(weight);
        if weight.abs() > entry.abs() {
            *entry = weight;
        }
    }

    fn add_modifier(&mut self, term: &str, modifier: Modifier) {
        let a = Analysis::new(term);
        if a.is_empty() {
            return;
        }
        self.modifiers.insert(a.joined(View::Exact).to_string(), modifier);
        self.folded_modifiers.insert(a.joined(View::Folded).to_string(), modifier);
    }

    /// Number of weighted terms.
    pub fn len(&self) -> usize {
        self.exact.len()
    }

    /// Whether no terms are loaded.
    pub fn is_empty(&self) -> bool {
        self.exact.is_empty()
    }
}

/// Scores texts with a [`Lexicon`].
#[derive(Debug, Clone, Default)]
pub struct SentimentAnalyzer {
    lexicon: Lexicon,
}

struct Found {
    first: usize,
    last: usize,
    weight: f32,
    term: String,
}

impl SentimentAnalyzer {
    /// An analyzer over `lexicon`.
    pub fn new(lexicon: Lexicon) -> Self {
        SentimentAnalyzer { lexicon }
    }

    /// Number of weighted terms in the lexicon.
    pub fn lexicon_len(&self) -> usize {
        self.lexicon.len()
    }

    /// Score one text.
    pub fn score(&self, text: &str) -> Sentiment {
        let a = Analysis::new(text);
        self.score_analyzed(&[(text, &a)])
    }

    /// Score several fields (e.g. title and body) together.
    pub fn score_analyzed(&self, fields: &[(&str, &Analysis)]) -> Sentiment {
        let mut terms = Vec::new();
        for (text, analysis) in fields {
            self.score_field(text, analysis, &mut terms);
            self.score_emoji(text, &mut terms);
        }
        let sum: f32 = terms.iter().map(|t| t.weight).sum();
        let score = if sum == 0.0 { 0.0 } else { sum / (sum * sum + 15.0).sqrt() };
        let label = if score <= -LABEL_THRESHOLD {
            Label::Negative
        } else if score >= LABEL_THRESHOLD {
            Label::Positive
        } else {
            Label::Neutral
        };
        Sentiment { score: (score * 1000.0).round() / 1000.0, label, terms }
    }

    fn score_field(&self, text: &str, a: &Analysis, out: &mut Vec<SentimentTerm>) {
        // Unaccented text (social posts) is looked up in the folded lexicon.
        let unaccented = text.is_ascii() && a.len() >= 2;
        let (view, lexicon, modifiers) = if unaccented {
            (View::Folded, &self.lexicon.folded, &self.lexicon.folded_modifiers)
        } else {
            (View::Exact, &self.lexicon.exact, &self.lexicon.modifiers)
        };
        let mut found: Vec<Found> = Vec::new();
        let mut i = 0;
        let mut phrase = String::new();
        while i < a.len() {
            let mut matched = None;
            for n in (1..=MAX_PHRASE.min(a.len() - i)).rev() {
                phrase.clear();
                for k in i..i + n {
                    if k > i {
                        phrase.push(' ');
                    }
                    phrase.push_str(a.token(view, k));
                }
                if let Some(&w) = lexicon.get(&phrase) {
                    matched = Some((n, w));
                    break;
                }
            }
            match matched {
                Some((n, weight)) => {
                    found.push(Found {
                        first: i,
                        last: i + n - 1,
                        weight,
                        term: text[a.original_range(i, i + n - 1).0..a.original_range(i, i + n - 1).1].to_string(),
                    });
                    i += n;
                }
                None => i += 1,
            }
        }
        for f in found {
            let (weight, negated) = self.modify(text, a, view, modifiers, &f);
            out.push(SentimentTerm { term: f.term, weight: (weight * 100.0).round() / 100.0, negated });
        }
    }

    /// Apply negators and intensifiers around a found term.
    fn modify(
        &self,
        text: &str,
        a: &Analysis,
        view: View,
        modifiers: &HashMap<String, Modifier>,
        f: &Found,
    ) -> (f32, bool) {
        let mut weight = f.weight;
        let mut negated = false;
        // Look back within the clause.
        let mut k = f.first;
        let mut steps = 0;
        while k > 0 && steps < NEGATION_WINDOW {
            if clause_break(text, a, k - 1, k) {
                break;
            }
            k -= 1;
            steps += 1;
            let one = a.token(view, k);
            let two = (k > 0).then(|| format!("{} {}", a.token(view, k - 1), one));
            let modifier = two.as_deref().and_then(|t| modifiers.get(t)).or_else(|| modifiers.get(one));
            match modifier {
                Some(Modifier::Negator) => negated = !negated,
                // Only an intensifier right before the term scales it.
                Some(Modifier::Scale(s)) if steps <= 2 => weight *= s,
                _ => {}
            }
            if is_clause_word(one) {
                break;
            }
        }
        // Post-modifiers: "đẹp quá", "tốt lắm".
        if f.last + 1 < a.len()
            && !clause_break(text, a, f.last, f.last + 1)
            && let Some(Modifier::Scale(s)) = modifiers.get(a.token(view, f.last + 1))
        {
            weight *= s;
        }
        if negated {
            weight *= NEGATION_FACTOR;
        }
        (weight, negated)
    }

    fn score_emoji(&self, text: &str, out: &mut Vec<SentimentTerm>) {
        for (emoji, weight) in &self.lexicon.emoji {
            let count = text.matches(emoji.as_str()).count().min(3);
            for _ in 0..count {
                out.push(SentimentTerm { term: emoji.clone(), weight: *weight, negated: false });
            }
        }
    }
}

fn is_clause_word(token: &str) -> bool {
    matches!(token, "nhưng" | "nhung" | "mà" | "ma" | "tuy" | "but" | "however")
}

/// Whether punctuation that ends a clause lies between token `a` and token `b`.
fn clause_break(text: &str, analysis: &Analysis, a: usize, b: usize) -> bool {
    let end = analysis.spans[a].1;
    let start = analysis.spans[b].0;
    text.get(end..start).is_some_and(|gap| gap.contains(['.', ',', ';', ':', '!', '?', '\n']))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn analyzer() -> SentimentAnalyzer {
        let mut lex = Lexicon::default();
        lex.add_file(Path::new("t.tsv"), "vi.tsv", "tốt\t2\nhài lòng\t2\ntệ\t-2\nlo lắng\t-2\n")
            .unwrap_or_else(|e| panic!("{e}"));
        lex.add_file(
            Path::new("m.tsv"),
            "modifiers.tsv",
            "không\tnegator\nchẳng\tnegator\nrất\tscale\t1.5\nquá\tscale\t1.5\nhơi\tscale\t0.5\n",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        lex.add_file(Path::new("e.tsv"), "emoji.tsv", "😡\t-2\n:)\t1\n").unwrap_or_else(|e| panic!("{e}"));
        SentimentAnalyzer::new(lex)
    }

    #[test]
    fn lexicon_negation_and_intensity() {
        let s = analyzer();
        assert_eq!(s.score("Dịch vụ rất tốt").label, Label::Positive);
        assert_eq!(s.score("Dịch vụ không tốt").label, Label::Negative);
        assert_eq!(s.score("Dịch vụ tệ quá 😡").label, Label::Negative);
        assert_eq!(s.score("Hôm nay trời mưa").label, Label::Neutral);
        let r = s.score("rất tốt");
        let h = s.score("hơi tốt");
        assert!(r.score > h.score);
        // Negation does not cross a clause boundary.
        let t = s.score("không, dịch vụ tốt");
        assert_eq!(t.label, Label::Positive);
        assert!(!t.terms[0].negated);
        // Unaccented text uses the folded lexicon.
        assert_eq!(s.score("dich vu khong tot").label, Label::Negative);
    }

    #[test]
    fn terms_are_reported() {
        let s = analyzer().score("Người dân hài lòng nhưng vẫn lo lắng");
        let terms: Vec<&str> = s.terms.iter().map(|t| t.term.as_str()).collect();
        assert_eq!(terms, ["hài lòng", "lo lắng"]);
    }
}
