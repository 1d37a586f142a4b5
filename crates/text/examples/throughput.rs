//! Per-core throughput of the text layer, measured in CPU time of this process so other load on
//! the machine does not skew it (criterion's wall-clock figures in `benches/text.rs` do suffer from
//! it on a shared machine).
//!
//! ```sh
//! cargo run --release -p duluan-text --example throughput [JSONL] [MB]
//! ```
//! JSONL defaults to `../shared/data/vi-news/vntc-train-sample.jsonl` (field `text`); MB (default
//! 8) is how much text to use. Each function runs over the whole input repeatedly for at least one
//! CPU second; the figure is bytes of input per CPU second.

use std::hint::black_box;
use std::time::Instant;

use duluan_text::analyzer::SyllableTokenizer;
use duluan_text::{Analysis, clean, fold, normalize, tokens};
use tantivy_tokenizer_api::{TokenStream, Tokenizer};

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().unwrap_or_else(|| {
        concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data/vi-news/vntc-train-sample.jsonl").to_string()
    });
    let megabytes: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(8);
    let docs = read_docs(&path, megabytes << 20);
    let bytes: usize = docs.iter().map(String::len).sum();
    println!("input: {path}: {} documents, {:.1} MB", docs.len(), bytes as f64 / 1e6);
    println!("{:<24} {:>12} {:>12}", "function", "MB/s (CPU)", "MB/s (wall)");
    let run = |name: &str, f: &dyn Fn(&str) -> usize| measure(name, &docs, bytes, f);
    run("clean", &|d| clean(d).len());
    run("normalize", &|d| normalize(d).len());
    run("fold", &|d| fold(d).len());
    run("tokens", &|d| tokens(d).count());
    run("analysis (exact+folded)", &|d| Analysis::new(d).len());
    run("clean+analysis", &|d| Analysis::new(&clean(d)).len());
    run("normalize+analysis", &|d| Analysis::new(&normalize(d)).len());
    run("analyzer exact", &|d| analyzer(SyllableTokenizer::exact(), d));
    run("analyzer folded", &|d| analyzer(SyllableTokenizer::folded(), d));
}

fn analyzer(mut tokenizer: SyllableTokenizer, text: &str) -> usize {
    let mut stream = tokenizer.token_stream(text);
    let mut n = 0;
    while stream.advance() {
        n += stream.token().text.len();
    }
    n
}

fn measure(name: &str, docs: &[String], bytes: usize, f: &dyn Fn(&str) -> usize) {
    let (cpu0, wall0) = (cpu_seconds(), Instant::now());
    let mut rounds = 0;
    while cpu_seconds() - cpu0 < 1.0 || rounds < 2 {
        for d in docs {
            black_box(f(black_box(d)));
        }
        rounds += 1;
    }
    let cpu = cpu_seconds() - cpu0;
    let wall = wall0.elapsed().as_secs_f64();
    let total = (bytes * rounds) as f64 / 1e6;
    println!("{name:<24} {:>12.1} {:>12.1}", total / cpu, total / wall);
}

/// User + system CPU time of this process, from /proc (Linux), in seconds; falls back to 0 so
/// the wall-clock column still works elsewhere.
fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else { return 0.0 };
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

fn read_docs(path: &str, limit: usize) -> Vec<String> {
    let Ok(jsonl) = std::fs::read_to_string(path) else {
        eprintln!("cannot read {path}; using generated text");
        return vec![
            "Người dân thành phố đã được thông tin về dịch bệnh, khẩu trang hoà thuỷ khoẻ quý giữa. "
                .repeat(40);
            2000
        ];
    };
    let mut docs = Vec::new();
    let mut total = 0;
    for line in jsonl.lines() {
        if let Ok(doc) = serde_json::from_str::<serde_json::Value>(line)
            && let Some(text) = doc.get("text").and_then(|t| t.as_str())
        {
            total += text.len();
            docs.push(text.to_string());
        }
        if total >= limit {
            break;
        }
    }
    docs
}
