//! Language-identification accuracy and speed on real text, against plain whatlang.
//!
//! ```sh
//! cargo run --release -p duluan-text --example lang_eval
//! ```
//! Data (read-only, never copied into the repository):
//! - Vietnamese: sentences of `../shared/data/vi-news/vntc-train-sample.jsonl` (VNTC news), as
//!   written, folded (no diacritics, as much social text is typed), and short snippets of 3–10
//!   syllables cut from them.
//! - Other languages: sentences from the expected article bodies of
//!   `../shared/data/extraction-dev/fundus/index.jsonl` (every country but `vn`), and translated
//!   messages from the gettext catalogues in `/usr/share/locale/*/LC_MESSAGES/*.mo` (every language
//!   but Vietnamese; dozens of Latin-script languages, including Indonesian, Malay and Tagalog),
//!   keeping only Latin-script text. None of them may be called Vietnamese.
//!
//! Options: `--limit N` sentences per set (default 5000), `--shared DIR` (default `../shared`
//! relative to the workspace), `--show N` misclassified examples per set.

use std::collections::BTreeMap;
use std::time::Instant;

use duluan_text::{detect_language, fold, tokens};

struct Options {
    limit: usize,
    shared: String,
    show: usize,
}

fn main() {
    let options = parse_args();
    let vi = vietnamese_sentences(&options);
    let folded: Vec<String> = vi.iter().map(|s| fold(s)).collect();
    let short: Vec<String> = snippets(&vi, options.limit);
    let short_folded: Vec<String> = short.iter().map(|s| fold(s)).collect();
    let (others, other_langs) = other_sentences(&options);
    let others_short = snippets(&others, options.limit * 4);
    println!(
        "Vietnamese sentences: {}; other-language sentences: {} ({} catalogues' languages + fundus pages)",
        vi.len(),
        others.len(),
        other_langs
    );
    println!();
    println!("{:<34} {:>7} {:>10} {:>10}", "set", "n", "duluan", "whatlang");
    report("vi sentences, with diacritics", &vi, true, &options);
    report("vi sentences, folded", &folded, true, &options);
    report("vi short (<=10 syll.), diacritics", &short, true, &options);
    report("vi short (<=10 syll.), folded", &short_folded, true, &options);
    report("other Latin-script: false vi", &others, false, &options);
    report("other Latin-script short: false vi", &others_short, false, &options);
    println!();
    speed(&[&vi, &folded, &short, &others]);
}

fn parse_args() -> Options {
    let mut options =
        Options { limit: 5000, shared: concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared").to_string(), show: 0 };
    let args: Vec<String> = std::env::args().skip(1).collect();
    for pair in args.chunks(2) {
        match (pair[0].as_str(), pair.get(1)) {
            ("--limit", Some(v)) => options.limit = v.parse().unwrap_or(options.limit),
            ("--shared", Some(v)) => options.shared = v.clone(),
            ("--show", Some(v)) => options.show = v.parse().unwrap_or(0),
            _ => {
                eprintln!("usage: lang_eval [--limit N] [--shared DIR] [--show N]");
                std::process::exit(2);
            }
        }
    }
    options
}

/// For Vietnamese sets: share called `vi`. For the others: share called `vi` (lower is better).
fn report(name: &str, texts: &[String], vietnamese: bool, options: &Options) {
    let mut ours = 0;
    let mut theirs = 0;
    let mut shown = 0;
    for text in texts {
        let is_vi = detect_language(text, None).code == "vi";
        ours += usize::from(is_vi);
        theirs += usize::from(whatlang::detect_lang(text) == Some(whatlang::Lang::Vie));
        if is_vi != vietnamese && shown < options.show {
            eprintln!("  [{name}] {:?} -> {:?}", text, detect_language(text, None));
            shown += 1;
        }
    }
    let pct = |n: usize| 100.0 * n as f64 / texts.len().max(1) as f64;
    println!("{name:<34} {:>7} {:>9.2}% {:>9.2}%", texts.len(), pct(ours), pct(theirs));
}

fn speed(sets: &[&Vec<String>]) {
    let texts: Vec<&String> = sets.iter().flat_map(|s| s.iter()).collect();
    let bytes: usize = texts.iter().map(|t| t.len()).sum();
    let time = |f: &dyn Fn(&str) -> usize| {
        let mut best = f64::MAX;
        for _ in 0..3 {
            let start = Instant::now();
            let n: usize = texts.iter().map(|t| f(t)).sum();
            std::hint::black_box(n);
            best = best.min(start.elapsed().as_secs_f64());
        }
        best
    };
    let ours = time(&|t| detect_language(t, None).code.len());
    let theirs = time(&|t| whatlang::detect(t).map_or(0, |i| i.lang().code().len()));
    println!(
        "speed over {} texts ({:.1} MB), best of 3: duluan {:.0} texts/s ({:.1} MB/s), whatlang {:.0} texts/s ({:.1} MB/s)",
        texts.len(),
        bytes as f64 / 1e6,
        texts.len() as f64 / ours,
        bytes as f64 / 1e6 / ours,
        texts.len() as f64 / theirs,
        bytes as f64 / 1e6 / theirs
    );
}

/// Sentences of 6–60 words, spread over the whole corpus.
fn vietnamese_sentences(options: &Options) -> Vec<String> {
    let path = format!("{}/data/vi-news/vntc-train-sample.jsonl", options.shared);
    let jsonl = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        eprintln!("cannot read {path}: {e}");
        std::process::exit(1);
    });
    let mut all = Vec::new();
    for line in jsonl.lines() {
        if let Ok(doc) = serde_json::from_str::<serde_json::Value>(line)
            && let Some(text) = doc.get("text").and_then(|t| t.as_str())
        {
            all.extend(sentences(text).into_iter().filter(|s| (6..=60).contains(&s.split_whitespace().count())));
        }
    }
    spread(all, options.limit)
}

fn sentences(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for c in text.chars() {
        current.push(c);
        if matches!(c, '.' | '!' | '?' | '\n') {
            let s = current.trim().to_string();
            if !s.is_empty() {
                out.push(s);
            }
            current.clear();
        }
    }
    if !current.trim().is_empty() {
        out.push(current.trim().to_string());
    }
    out
}

/// Every k-th item, so the sample covers the whole source.
fn spread(all: Vec<String>, limit: usize) -> Vec<String> {
    let step = (all.len() / limit.max(1)).max(1);
    all.into_iter().step_by(step).take(limit).collect()
}

/// Deterministic snippets of 3–10 tokens (syllables) cut from sentences.
fn snippets(texts: &[String], limit: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    for text in texts {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let spans: Vec<(usize, usize)> = tokens(text).collect();
        if spans.len() < 3 {
            continue;
        }
        let len = 3 + (state % 8) as usize;
        let len = len.min(spans.len());
        let first = (state >> 8) as usize % (spans.len() - len + 1);
        out.push(text[spans[first].0..spans[first + len - 1].1].to_string());
        if out.len() >= limit {
            break;
        }
    }
    out
}

fn other_sentences(options: &Options) -> (Vec<String>, usize) {
    let mut all = Vec::new();
    let path = format!("{}/data/extraction-dev/fundus/index.jsonl", options.shared);
    if let Ok(jsonl) = std::fs::read_to_string(&path) {
        for line in jsonl.lines() {
            let Ok(doc) = serde_json::from_str::<serde_json::Value>(line) else { continue };
            if doc.get("country").and_then(|c| c.as_str()) == Some("vn") {
                continue;
            }
            let mut texts = Vec::new();
            collect_strings(doc.get("expected").and_then(|e| e.get("body")), &mut texts);
            for t in texts {
                all.extend(sentences(&t).into_iter().filter(|s| s.split_whitespace().count() >= 4 && is_latin(s)));
            }
        }
    } else {
        eprintln!("cannot read {path}; other languages from gettext catalogues only");
    }
    let mut langs = BTreeMap::new();
    for (lang, messages) in gettext_messages() {
        let keep: Vec<String> =
            messages.into_iter().filter(|m| m.split_whitespace().count() >= 3 && is_latin(m)).collect();
        if !keep.is_empty() {
            langs.insert(lang, keep);
        }
    }
    // The same number of messages per language, so no one language dominates.
    let per_lang = (options.limit * 2 / langs.len().max(1)).max(20);
    let count = langs.len();
    for (_, messages) in langs {
        all.extend(spread(messages, per_lang));
    }
    (all, count)
}

fn collect_strings(value: Option<&serde_json::Value>, out: &mut Vec<String>) {
    match value {
        Some(serde_json::Value::String(s)) => out.push(s.clone()),
        Some(serde_json::Value::Array(items)) => items.iter().for_each(|v| collect_strings(Some(v), out)),
        Some(serde_json::Value::Object(map)) => map.values().for_each(|v| collect_strings(Some(v), out)),
        _ => {}
    }
}

/// Mostly letters of the Latin script (Basic Latin up to Latin Extended Additional).
fn is_latin(text: &str) -> bool {
    let letters: Vec<char> = text.chars().filter(|c| c.is_alphabetic()).collect();
    let latin = letters.iter().filter(|&&c| (c as u32) < 0x250 || (0x1E00..0x1F00).contains(&(c as u32))).count();
    letters.len() >= 8 && latin * 10 >= letters.len() * 9
}

/// Translated strings of every `.mo` catalogue under /usr/share/locale, by language, except
/// Vietnamese and English variants.
fn gettext_messages() -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let Ok(dirs) = std::fs::read_dir("/usr/share/locale") else { return out };
    for dir in dirs.flatten() {
        let lang = dir.file_name().to_string_lossy().to_string();
        let base = lang.split(['_', '@']).next().unwrap_or("").to_string();
        if base == "vi" || base == "en" {
            continue;
        }
        let Ok(files) = std::fs::read_dir(dir.path().join("LC_MESSAGES")) else { continue };
        for file in files.flatten() {
            if let Ok(bytes) = std::fs::read(file.path()) {
                out.entry(base.clone()).or_default().extend(mo_translations(&bytes));
            }
        }
    }
    out
}

/// The translations in a GNU `.mo` file (little- or big-endian), without the header entry.
fn mo_translations(bytes: &[u8]) -> Vec<String> {
    let le = match bytes.get(..4) {
        Some([0xde, 0x12, 0x04, 0x95]) => true,
        Some([0x95, 0x04, 0x12, 0xde]) => false,
        _ => return Vec::new(),
    };
    let word = |at: usize| -> Option<usize> {
        let b: [u8; 4] = bytes.get(at..at + 4)?.try_into().ok()?;
        Some(if le { u32::from_le_bytes(b) } else { u32::from_be_bytes(b) } as usize)
    };
    let (Some(count), Some(table)) = (word(8), word(16)) else { return Vec::new() };
    let mut out = Vec::new();
    for i in 0..count.min(100_000) {
        let (Some(len), Some(offset)) = (word(table + 8 * i), word(table + 8 * i + 4)) else { break };
        let Some(raw) = bytes.get(offset..offset + len) else { continue };
        let Ok(text) = std::str::from_utf8(raw) else { continue };
        // Plural forms are NUL-separated; markup and format strings are cleaned a little.
        for t in text.split('\0') {
            let t: String = t.replace(['_', '&', '%'], " ").split_whitespace().collect::<Vec<_>>().join(" ");
            if !t.is_empty() && !t.contains("Content-Type:") {
                out.push(t);
            }
        }
    }
    out
}
