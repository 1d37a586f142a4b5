//! Language identification measured on real text: accuracy and speed against whatlang.
//!
//! Vietnamese: sentences of `../shared/data/vi-news/vntc-train-sample.jsonl` (or `DULUAN_VI_NEWS`),
//! as written, folded (no diacritics, đ → d, as much social text is typed), and cut to short
//! snippets of at most 10 syllables. Other languages: the reference article paragraphs of
//! `../shared/data/extraction-dev/fundus/index.jsonl` (or `DULUAN_OTHER_LANGS`), every country but
//! Vietnam, Latin-script paragraphs only; none may be called Vietnamese.
//!
//! `cargo bench -p duluan-text --bench lang` prints one table; `DULUAN_LANG_LIMIT` caps the
//! sentences per set (default 20,000). Without the data it says so and exits.

use std::time::Instant;

use duluan_text::{detect_language, fold};

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data");

fn main() {
    let limit: usize = std::env::var("DULUAN_LANG_LIMIT").ok().and_then(|v| v.parse().ok()).unwrap_or(20_000);
    let vi_path = std::env::var("DULUAN_VI_NEWS").unwrap_or_else(|_| format!("{DATA}/vi-news/vntc-train-sample.jsonl"));
    let other_path =
        std::env::var("DULUAN_OTHER_LANGS").unwrap_or_else(|_| format!("{DATA}/extraction-dev/fundus/index.jsonl"));
    let (Ok(vi_jsonl), Ok(other_jsonl)) = (std::fs::read_to_string(&vi_path), std::fs::read_to_string(&other_path))
    else {
        eprintln!("lang bench: needs {vi_path} and {other_path}; skipped");
        return;
    };
    let sentences = vietnamese_sentences(&vi_jsonl, limit);
    let folded: Vec<String> = sentences.iter().map(|s| fold(s)).collect();
    let short: Vec<String> = sentences.iter().map(|s| first_words(s, 10)).collect();
    let short_folded: Vec<String> = short.iter().map(|s| fold(s)).collect();
    let others = other_paragraphs(&other_jsonl, limit);

    println!("set                         n      duluan vi   whatlang vi");
    for (name, set) in [
        ("vi, with diacritics", &sentences),
        ("vi, folded", &folded),
        ("vi, ≤ 10 syllables", &short),
        ("vi, ≤ 10 syllables folded", &short_folded),
    ] {
        let ours = share(set, |s| detect_language(s, None).code == "vi");
        let theirs = share(set, |s| whatlang::detect_lang(s) == Some(whatlang::Lang::Vie));
        println!("{name:<26} {:>6}   {:>8.2} %   {:>8.2} %", set.len(), ours * 100.0, theirs * 100.0);
    }
    let false_ours = share(&others, |s| detect_language(s, None).code == "vi");
    let false_theirs = share(&others, |s| whatlang::detect_lang(s) == Some(whatlang::Lang::Vie));
    println!(
        "{:<26} {:>6}   {:>8.3} %   {:>8.3} %   (called Vietnamese: lower is better)",
        "other Latin-script",
        others.len(),
        false_ours * 100.0,
        false_theirs * 100.0
    );

    let all: Vec<&String> = sentences.iter().chain(&folded).chain(&others).collect();
    let bytes: usize = all.iter().map(|s| s.len()).sum();
    let ours = timed(&all, |s| detect_language(s, None).code.len());
    let theirs = timed(&all, |s| whatlang::detect_lang(s).map_or(0, |l| l.code().len()));
    println!(
        "speed on {} texts ({:.1} MB): duluan {:.1} MB/s, whatlang {:.1} MB/s (one core)",
        all.len(),
        bytes as f64 / 1e6,
        bytes as f64 / 1e6 / ours,
        bytes as f64 / 1e6 / theirs
    );
}

/// Sentences of at least four words from the articles' text, split at sentence ends and lines.
fn vietnamese_sentences(jsonl: &str, limit: usize) -> Vec<String> {
    let mut out = Vec::new();
    for line in jsonl.lines() {
        let Ok(doc) = serde_json::from_str::<serde_json::Value>(line) else { continue };
        let Some(text) = doc.get("text").and_then(|t| t.as_str()) else { continue };
        for sentence in text.split(['\n', '.', '?', '!']) {
            let sentence = sentence.trim();
            if sentence.split_whitespace().count() >= 4 {
                out.push(sentence.to_string());
                if out.len() >= limit {
                    return out;
                }
            }
        }
    }
    out
}

/// Reference paragraphs of non-Vietnamese articles written in Latin script.
fn other_paragraphs(jsonl: &str, limit: usize) -> Vec<String> {
    let mut out = Vec::new();
    for line in jsonl.lines() {
        let Ok(doc) = serde_json::from_str::<serde_json::Value>(line) else { continue };
        if doc.get("country").and_then(|c| c.as_str()) == Some("vn") {
            continue;
        }
        let body = &doc["expected"]["body"];
        let mut paragraphs: Vec<&str> =
            body["summary"].as_array().into_iter().flatten().filter_map(|p| p.as_str()).collect();
        for section in body["sections"].as_array().into_iter().flatten() {
            paragraphs.extend(section["paragraphs"].as_array().into_iter().flatten().filter_map(|p| p.as_str()));
        }
        for p in paragraphs {
            if p.split_whitespace().count() >= 4 && mostly_latin(p) {
                out.push(p.to_string());
                if out.len() >= limit {
                    return out;
                }
            }
        }
    }
    out
}

fn mostly_latin(text: &str) -> bool {
    let letters: Vec<char> = text.chars().filter(|c| c.is_alphabetic()).collect();
    let latin = letters.iter().filter(|c| c.is_ascii_alphabetic() || ('\u{00C0}'..='\u{024F}').contains(*c)).count();
    !letters.is_empty() && latin * 10 >= letters.len() * 9
}

fn first_words(text: &str, n: usize) -> String {
    text.split_whitespace().take(n).collect::<Vec<_>>().join(" ")
}

fn share(set: &[String], hit: impl Fn(&str) -> bool) -> f64 {
    if set.is_empty() {
        return 0.0;
    }
    set.iter().filter(|s| hit(s)).count() as f64 / set.len() as f64
}

/// Seconds for one pass over `texts` (best of three).
fn timed(texts: &[&String], f: impl Fn(&str) -> usize) -> f64 {
    (0..3)
        .map(|_| {
            let start = Instant::now();
            let mut sink = 0usize;
            for t in texts {
                sink = sink.wrapping_add(f(t));
            }
            std::hint::black_box(sink);
            start.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min)
}
