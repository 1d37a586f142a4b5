//! Lexicon sentiment on arbitrary bytes, with the shipped lexicons (`rules/lexicons/`) loaded as
//! `duluan sentiment` loads them: scoring never panics; the score is finite, within [-1, 1] and
//! the squashed sum of the reported contributions (every contribution is reported); the label is
//! the one the register's threshold gives that score; every reported term is non-empty, has a
//! finite non-zero weight and is text of the input. The same holds for the text scored in the
//! informal view (a teencode word in a sentence of its own makes the analyser read the whole text
//! as informal, where `ko` is `không` and `quáaaa` is `quá`), and for the text split into a
//! title and a body scored together, as the pipeline scores items.

#![no_main]

use std::path::Path;
use std::sync::OnceLock;

use duluan_model::{Label, Sentiment};
use duluan_rules::{LABEL_THRESHOLD, Lexicon, NEWS_LABEL_THRESHOLD, Register, SentimentAnalyzer};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let analyzer = analyzer();
    check(&[&text], &analyzer.score(&text), LABEL_THRESHOLD);
    // `ko` marks the text informal without weighing anything itself: nothing follows it.
    let informal = format!("{text}\nko");
    check(&[&informal], &analyzer.score(&informal), LABEL_THRESHOLD);
    let (title, body) = split(&text);
    let (title_a, body_a) = (duluan_text::Analysis::new(title), duluan_text::Analysis::new(body));
    let opinion = analyzer.score_analyzed(&[(title, &title_a), (body, &body_a)], Register::Opinion);
    check(&[title, body], &opinion, LABEL_THRESHOLD);
    // News reads fewer cues and weighs the headline, lead and body apart, labelled at its own
    // threshold, by the same rules; the text alone, its first sentence the headline, too.
    let news = analyzer.score_analyzed(&[(title, &title_a), (body, &body_a)], Register::News);
    check(&[title, body], &news, NEWS_LABEL_THRESHOLD);
    check(&[&text], &analyzer.score_as(&text, Register::News), NEWS_LABEL_THRESHOLD);
});

/// The analyser over the shipped lexicons, as `Engine::load` builds it, loaded once.
fn analyzer() -> &'static SentimentAnalyzer {
    static ANALYZER: OnceLock<SentimentAnalyzer> = OnceLock::new();
    ANALYZER.get_or_init(|| {
        let dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../rules/lexicons"));
        let lexicon = Lexicon::load_dir(dir).unwrap_or_else(|e| panic!("shipped lexicons: {e}"));
        // A missing directory loads as an empty lexicon, under which every text is neutral.
        assert!(!lexicon.is_empty(), "no lexicon terms in {}", dir.display());
        SentimentAnalyzer::new(lexicon)
    })
}

/// The text cut near its middle, on a char boundary.
fn split(text: &str) -> (&str, &str) {
    let mut at = text.len() / 2;
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    text.split_at(at)
}

fn check(fields: &[&str], s: &Sentiment, threshold: f32) {
    assert!(s.score.is_finite() && (-1.0..=1.0).contains(&s.score), "{s:?} for {fields:?}");
    for t in &s.terms {
        assert!(!t.term.is_empty(), "empty term in {s:?} for {fields:?}");
        assert!(t.weight.is_finite() && t.weight != 0.0, "weight of {t:?} in {s:?} for {fields:?}");
        assert!(fields.iter().any(|f| f.contains(t.term.as_str())), "{t:?} is not in {fields:?}");
    }
    // The score is the sum of the contributions squashed as VADER does (`s / sqrt(s² + 15)`),
    // labelled before it is rounded to three decimals.
    let sum: f32 = s.terms.iter().map(|t| t.weight).sum();
    let exact = if sum == 0.0 { 0.0 } else { sum / (sum * sum + 15.0).sqrt() };
    assert!((s.score - exact).abs() <= 0.0005 + 1e-6, "{s:?} should score {exact} for {fields:?}");
    assert_eq!(s.label, label(exact, threshold), "{s:?} for {fields:?}");
    // The reported (rounded) score reads the same, up to rounding onto the threshold.
    let agrees = match s.label {
        Label::Positive => s.score >= threshold,
        Label::Negative => s.score <= -threshold,
        Label::Neutral => s.score.abs() <= threshold,
    };
    assert!(agrees, "{s:?} for {fields:?}");
}

fn label(score: f32, threshold: f32) -> Label {
    if score <= -threshold {
        Label::Negative
    } else if score >= threshold {
        Label::Positive
    } else {
        Label::Neutral
    }
}
