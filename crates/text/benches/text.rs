//! Throughput of the text layer on real Vietnamese news.
//!
//! Input: the first articles of `../shared/data/vi-news/vntc-train-sample.jsonl` (set
//! `DULUAN_VI_NEWS` to use another JSONL file with a `text` field); without it a generated
//! Vietnamese-like text is used so the bench still runs. Run with
//! `cargo bench -p duluan-text --bench text`.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use duluan_text::analyzer::SyllableTokenizer;
use duluan_text::{Analysis, clean, fold, normalize, tokens};
use tantivy_tokenizer_api::{TokenStream, Tokenizer};

/// About 4 MB: enough to be representative, small enough for quick iterations.
const TARGET_BYTES: usize = 4 << 20;

fn corpus() -> (Vec<String>, &'static str) {
    let path = std::env::var("DULUAN_VI_NEWS").unwrap_or_else(|_| {
        concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data/vi-news/vntc-train-sample.jsonl").to_string()
    });
    match std::fs::read_to_string(&path) {
        Ok(jsonl) => {
            let mut docs = Vec::new();
            let mut total = 0;
            for line in jsonl.lines() {
                let Ok(doc) = serde_json::from_str::<serde_json::Value>(line) else { continue };
                if let Some(t) = doc.get("text").and_then(|t| t.as_str()) {
                    total += t.len();
                    docs.push(t.to_string());
                }
                if total >= TARGET_BYTES {
                    break;
                }
            }
            (docs, "vi-news")
        }
        Err(_) => {
            let text = generated();
            // Articles of about 3 KB, split at line ends.
            let mut docs = vec![String::new()];
            for line in text.split_inclusive('\n') {
                if docs.last().is_some_and(|d| d.len() > 3000) {
                    docs.push(String::new());
                }
                if let Some(d) = docs.last_mut() {
                    d.push_str(line);
                }
            }
            (docs, "generated")
        }
    }
}

/// A deterministic mix of Vietnamese syllables, punctuation and numbers.
fn generated() -> String {
    const WORDS: &[&str] = &[
        "người", "dân", "thành", "phố", "Hồ", "Chí", "Minh", "đã", "được", "thông", "tin", "về", "dịch", "bệnh",
        "khẩu", "trang", "hoà", "thuỷ", "khoẻ", "quý", "giữa", "năm", "2021,", "UBND", "tỉnh.", "Việt", "Nam", "của",
        "các", "những", "trong", "không", "một", "cho", "với", "này", "COVID-19", "(GMT+7)", "“tin", "giả”",
    ];
    let mut out = String::with_capacity(TARGET_BYTES + 64);
    let mut state: u64 = 0x2545_F491_4F6C_DD1D;
    while out.len() < TARGET_BYTES {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let word = WORDS[(state % WORDS.len() as u64) as usize];
        out.push_str(word);
        out.push(if state.is_multiple_of(97) { '\n' } else { ' ' });
    }
    out
}

fn bench(c: &mut Criterion) {
    let (lines, origin) = corpus();
    let bytes: usize = lines.iter().map(String::len).sum();
    eprintln!("input: {origin}, {bytes} bytes, {} documents", lines.len());
    let mut group = c.benchmark_group(format!("text/{origin}"));
    group.throughput(Throughput::Bytes(bytes as u64));
    group.sample_size(10);
    group.bench_function("clean", |b| b.iter(|| lines.iter().map(|l| clean(l).len()).sum::<usize>()));
    group.bench_function("normalize", |b| b.iter(|| lines.iter().map(|l| normalize(l).len()).sum::<usize>()));
    group.bench_function("fold", |b| b.iter(|| lines.iter().map(|l| fold(l).len()).sum::<usize>()));
    group.bench_function("tokens", |b| b.iter(|| lines.iter().map(|l| tokens(l).count()).sum::<usize>()));
    group.bench_function("analysis", |b| b.iter(|| lines.iter().map(|l| Analysis::new(l).len()).sum::<usize>()));
    // What the pipeline does per item: the storage form, then the exact and folded token views.
    group.bench_function("clean+analysis", |b| {
        b.iter(|| lines.iter().map(|l| Analysis::new(black_box(&clean(l))).len()).sum::<usize>())
    });
    // The same with the whole-text normal form first (the content hash uses it).
    group.bench_function("normalize+analysis", |b| {
        b.iter(|| {
            lines
                .iter()
                .map(|l| {
                    let n = normalize(l);
                    Analysis::new(black_box(&n)).len()
                })
                .sum::<usize>()
        })
    });
    for (name, tokenizer) in
        [("analyzer_exact", SyllableTokenizer::exact()), ("analyzer_folded", SyllableTokenizer::folded())]
    {
        group.bench_function(name, |b| {
            let mut tokenizer = tokenizer;
            b.iter(|| {
                let mut n = 0;
                for l in &lines {
                    let mut stream = tokenizer.token_stream(l);
                    while stream.advance() {
                        n += stream.token().text.len();
                    }
                }
                n
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
