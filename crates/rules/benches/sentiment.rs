//! Sentiment accuracy on a real labelled Vietnamese set, against a naive Bayes baseline.
//!
//! Data: `../shared/data/vi-sentiment/uit-vsfc-{train,dev}.jsonl` (UIT-VSFC, research use only:
//! measured here, never shipped; or `DULUAN_SENTIMENT_DIR`). The shipped lexicon analyser
//! (`rules/lexicons`, term by term and explainable) is scored on the dev split; the baseline is a
//! multinomial naive Bayes on syllable unigrams and bigrams trained on the train split.
//!
//! `cargo bench -p duluan-rules --bench sentiment` prints accuracy and macro-F1 for both, and the
//! lexicon's coverage (dev sentences where it found any term). Without the data it says so.

use std::collections::HashMap;
use std::path::Path;

use duluan_model::Label;
use duluan_rules::Engine;

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data/vi-sentiment");
const CLASSES: [&str; 3] = ["negative", "neutral", "positive"];

fn main() {
    let dir = std::env::var("DULUAN_SENTIMENT_DIR").unwrap_or_else(|_| DATA.to_string());
    let (Some(train), Some(dev)) = (read(&dir, "uit-vsfc-train.jsonl"), read(&dir, "uit-vsfc-dev.jsonl")) else {
        eprintln!("sentiment bench: needs {dir}/uit-vsfc-{{train,dev}}.jsonl; skipped");
        return;
    };
    let rules = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../rules"));
    let engine = Engine::load(rules).unwrap_or_else(|e| panic!("shipped rules do not load: {}", e[0]));
    let mut covered = 0;
    let ours: Vec<usize> = dev
        .iter()
        .map(|(text, _)| {
            let s = engine.sentiment.score(text);
            if !s.terms.is_empty() {
                covered += 1;
            }
            match s.label {
                Label::Negative => 0,
                Label::Neutral => 1,
                Label::Positive => 2,
            }
        })
        .collect();
    let model = NaiveBayes::train(&train);
    let baseline: Vec<usize> = dev.iter().map(|(text, _)| model.predict(text)).collect();
    let gold: Vec<usize> = dev.iter().map(|(_, c)| *c).collect();
    println!("dev: {} sentences; train: {} sentences", dev.len(), train.len());
    println!("classifier                         accuracy   macro-F1");
    for (name, predicted) in [("duluan lexicon (explainable)", &ours), ("naive Bayes, uni+bigrams", &baseline)] {
        let (accuracy, f1) = scores(&gold, predicted);
        println!("{name:<34} {accuracy:>8.4}   {f1:>8.4}");
    }
    println!("lexicon found terms in {:.1} % of dev sentences", covered as f64 * 100.0 / dev.len() as f64);
}

fn read(dir: &str, name: &str) -> Option<Vec<(String, usize)>> {
    let text = std::fs::read_to_string(Path::new(dir).join(name)).ok()?;
    let rows = text
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter_map(|v| {
            let class = CLASSES.iter().position(|c| Some(*c) == v["sentiment"].as_str())?;
            Some((v["text"].as_str()?.to_string(), class))
        })
        .collect();
    Some(rows)
}

/// Syllable unigrams and bigrams of a lower-cased, space-tokenised sentence.
fn features(text: &str) -> Vec<String> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let mut out: Vec<String> = words.iter().map(|w| w.to_string()).collect();
    out.extend(words.windows(2).map(|w| format!("{} {}", w[0], w[1])));
    out
}

/// Multinomial naive Bayes with add-one smoothing.
struct NaiveBayes {
    priors: [f64; 3],
    counts: [HashMap<String, f64>; 3],
    totals: [f64; 3],
    vocabulary: f64,
}

impl NaiveBayes {
    fn train(rows: &[(String, usize)]) -> NaiveBayes {
        let mut counts: [HashMap<String, f64>; 3] = Default::default();
        let mut docs = [0f64; 3];
        let mut vocabulary: HashMap<String, ()> = HashMap::new();
        for (text, class) in rows {
            docs[*class] += 1.0;
            for f in features(text) {
                *counts[*class].entry(f.clone()).or_default() += 1.0;
                vocabulary.insert(f, ());
            }
        }
        let n: f64 = docs.iter().sum();
        let totals = [0, 1, 2].map(|c| counts[c].values().sum::<f64>());
        NaiveBayes { priors: docs.map(|d| (d / n).ln()), counts, totals, vocabulary: vocabulary.len() as f64 }
    }

    fn predict(&self, text: &str) -> usize {
        let feats = features(text);
        let score = |c: usize| {
            self.priors[c]
                + feats
                    .iter()
                    .map(|f| {
                        ((self.counts[c].get(f).copied().unwrap_or(0.0) + 1.0) / (self.totals[c] + self.vocabulary))
                            .ln()
                    })
                    .sum::<f64>()
        };
        (0..3).max_by(|&a, &b| score(a).total_cmp(&score(b))).unwrap_or(2)
    }
}

/// Accuracy and macro-averaged F1 over the three classes.
fn scores(gold: &[usize], predicted: &[usize]) -> (f64, f64) {
    let right = gold.iter().zip(predicted).filter(|(g, p)| g == p).count();
    let f1 = |c: usize| {
        let tp = gold.iter().zip(predicted).filter(|&(&g, &p)| g == c && p == c).count() as f64;
        let fp = gold.iter().zip(predicted).filter(|&(&g, &p)| g != c && p == c).count() as f64;
        let fn_ = gold.iter().zip(predicted).filter(|&(&g, &p)| g == c && p != c).count() as f64;
        if tp == 0.0 { 0.0 } else { 2.0 * tp / (2.0 * tp + fp + fn_) }
    };
    (right as f64 / gold.len().max(1) as f64, (f1(0) + f1(1) + f1(2)) / 3.0)
}
