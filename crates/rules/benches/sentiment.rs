//! Sentiment accuracy on a real labelled Vietnamese set, against a naive Bayes baseline.
//!
//! Data: `../shared/data/vi-sentiment/uit-vsfc-{train,dev}.jsonl` (UIT-VSFC, research use only:
//! measured here, never shipped; or `DULUAN_SENTIMENT_DIR`). The shipped lexicon analyser
//! (`rules/lexicons`, term by term and explainable) is scored on the dev split; the baseline is a
//! multinomial naive Bayes on syllable unigrams and bigrams trained on the train split.
//!
//! `cargo bench -p duluan-rules --bench sentiment` prints accuracy and macro-F1 for both, and the
//! lexicon's coverage (dev sentences where it found any term). Without the data it says so.
//!
//! Then the tone of whole news articles, which UIT-VSFC's one-sentence opinions say nothing of:
//! 140 articles of `../shared/data/vi-news` (or `DULUAN_VI_NEWS`) labelled by hand in
//! `benches/news-tone.tsv` (80 on which the news register's weighing was chosen, 60 held out),
//! scored in the news register as the pipeline scores a feed's items (title and text), against
//! always answering the commonest label. `-- news` runs only this part; `-- news -v` also prints
//! each article's label, score and strongest terms.

use std::collections::HashMap;
use std::path::Path;

use duluan_model::Label;
use duluan_rules::{Engine, Register};

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data/vi-sentiment");
const CLASSES: [&str; 3] = ["negative", "neutral", "positive"];

const NEWS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data/vi-news/vntc-train-sample.jsonl");
const NEWS_TONE: &str = include_str!("news-tone.tsv");

fn main() {
    let rules = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../rules"));
    let engine = Engine::load(rules).unwrap_or_else(|e| panic!("shipped rules do not load: {}", e[0]));
    if !std::env::args().any(|a| a == "news") {
        opinions(&engine);
    }
    news(&engine, std::env::args().any(|a| a == "-v"));
}

/// UIT-VSFC dev, opinion register, against naive Bayes.
fn opinions(engine: &Engine) {
    let dir = std::env::var("DULUAN_SENTIMENT_DIR").unwrap_or_else(|_| DATA.to_string());
    let (Some(train), Some(dev)) = (read(&dir, "uit-vsfc-train.jsonl"), read(&dir, "uit-vsfc-dev.jsonl")) else {
        eprintln!("sentiment bench: needs {dir}/uit-vsfc-{{train,dev}}.jsonl; skipped");
        return;
    };
    let mut covered = 0;
    let ours: Vec<usize> = dev
        .iter()
        .map(|(text, _)| {
            let s = engine.sentiment.score(text);
            if !s.terms.is_empty() {
                covered += 1;
            }
            class_of(s.label)
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

/// The hand-labelled news articles, news register, against the commonest label.
fn news(engine: &Engine, verbose: bool) {
    let path = std::env::var("DULUAN_VI_NEWS").unwrap_or_else(|_| NEWS.to_string());
    let Ok(jsonl) = std::fs::read_to_string(&path) else {
        eprintln!("sentiment bench: needs {path} for the news tone; skipped");
        return;
    };
    let texts: HashMap<String, String> = jsonl
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter_map(|v| Some((v["id"].as_str()?.to_string(), v["text"].as_str()?.to_string())))
        .collect();
    // Per set (`tuned`, `held-out`): gold and predicted classes.
    let mut sets: Vec<(&str, Vec<usize>, Vec<usize>)> = Vec::new();
    for line in NEWS_TONE.lines().filter(|l| !l.starts_with('#')) {
        let mut columns = line.split('\t');
        let (Some(id), Some(label), Some(set)) = (columns.next(), columns.next(), columns.next()) else { continue };
        let (Some(class), Some(article)) = (CLASSES.iter().position(|c| *c == label), texts.get(id)) else { continue };
        let predicted = news_tone(engine, article, verbose.then_some(class));
        let at = sets.iter().position(|(name, ..)| *name == set).unwrap_or_else(|| {
            sets.push((set, Vec::new(), Vec::new()));
            sets.len() - 1
        });
        sets[at].1.push(class);
        sets[at].2.push(predicted);
    }
    println!("news tone: hand-labelled VNTC articles, news register (headline, lead and body weighed apart)");
    println!("set         articles   accuracy   macro-F1   always the commonest label: accuracy, macro-F1");
    for (set, gold, ours) in &sets {
        let commonest = (0..3).max_by_key(|&c| gold.iter().filter(|&&g| g == c).count()).unwrap_or(1);
        let (accuracy, f1) = scores(gold, ours);
        let (base_accuracy, base_f1) = scores(gold, &vec![commonest; gold.len()]);
        println!("{set:<10} {:>9}   {accuracy:>8.4}   {f1:>8.4}   {base_accuracy:.4}, {base_f1:.4}", gold.len());
        let count = |c: usize| ours.iter().filter(|&&p| p == c).count();
        let given = |c: usize| gold.iter().filter(|&&p| p == c).count();
        println!(
            "           labels given (hand): {} ({}) negative, {} ({}) neutral, {} ({}) positive",
            count(0),
            given(0),
            count(1),
            given(1),
            count(2),
            given(2)
        );
    }
}

/// The predicted class of one article (its first line the title, as a feed gives it apart);
/// with the hand label, the article's line of the `-v` listing is printed.
fn news_tone(engine: &Engine, article: &str, shown: Option<usize>) -> usize {
    let (title, text) = article.split_once('\n').unwrap_or(("", article));
    let (ta, xa) = (duluan_text::Analysis::new(title), duluan_text::Analysis::new(text));
    let s = engine.sentiment.score_analyzed(&[(title, &ta), (text, &xa)], Register::News);
    let predicted = class_of(s.label);
    if let Some(class) = shown {
        let mut terms = s.terms.clone();
        terms.sort_by(|a, b| b.weight.abs().total_cmp(&a.weight.abs()));
        let strongest: Vec<String> = terms.iter().take(6).map(|t| format!("{} {:+.2}", t.term, t.weight)).collect();
        let mark = if predicted == class { ' ' } else { '*' };
        let title: String = title.chars().take(60).collect();
        let (gold, ours) = (CLASSES[class], CLASSES[predicted]);
        println!(
            "{mark} {gold:<8} {ours:<8} {:+.3} {:>3} terms  {title}  | {}",
            s.score,
            s.terms.len(),
            strongest.join(", ")
        );
    }
    predicted
}

fn class_of(label: Label) -> usize {
    match label {
        Label::Negative => 0,
        Label::Neutral => 1,
        Label::Positive => 2,
    }
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
