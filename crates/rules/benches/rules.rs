//! Rule matching throughput with 100, 1,000 and 10,000 rules, against a naive baseline that
//! evaluates each rule on its own.
//!
//! Text: `../shared/data/vi-news/vntc-train-sample.jsonl` (or `DULUAN_VI_NEWS`), about 4 MB of
//! Vietnamese news. Rules are generated deterministically from that text's own vocabulary
//! (syllables, two-syllable words and three-syllable phrases past the commonest of each) in the
//! shapes real packs use: a phrase AND any of a few words, words NEAR words, words with an
//! exclusion, a phrase OR words AND a syllable; folded and exact modes alternate.
//!
//! `cargo bench -p duluan-rules --bench rules` prints one table: MB per CPU second (one core, the
//! median of many runs; other load on the machine does not count) of the engine (one text analysis,
//! one pass of the syllable matcher for all rules, then only the rules whose required terms
//! occurred), of matching alone (the analysis is shared with sentiment and claims in the pipeline:
//! each text matched right after its analysis, only the match timed, on the monotonic clock), of
//! matching analyses made long before (out of the caches), and of the baseline (every rule compiled and matched separately; run on a slice of the text for
//! the big sets, as it is slow), with the flags raised; above it, the rate of the text analysis
//! alone. `-- quick` skips the baseline and the claims; numbers among the arguments choose the rule
//! counts (`-- quick 10000`); `-- profile 10000` only matches, for five CPU seconds per rule count,
//! to run under `perf record`; `-- once 10000` matches the texts once per rule count and times
//! nothing, for tools that count instructions and simulate caches (`valgrind --tool=cachegrind
//! --toggle-collect='*matches_analyzed*'`), whose figures, unlike times on a shared machine, do not
//! move with other load; `engine` among the arguments of either analyses each text too, as the
//! service does (`-- profile engine 10000`). `-- steady 100 10000` reports each text's fastest
//! of seven runs, summed, which other load on a shared machine hardly moves. Without the data it
//! says so and exits.
//!
//! Then known claims, 1,000 and 10,000 of them: sentences of other articles of the same data (one
//! in fifty taken from the matched articles, half of those typed without diacritics, so there is
//! something to find), matched against the same texts already analysed, against a baseline that
//! compares every claim with every text on its own. `cargo bench -p duluan-rules --bench rules --
//! claims` runs only this part.

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

use cpu_time::ThreadTime;

/// The `duluan` binary's allocator: the engine is measured as the service runs it, without
/// transparent huge pages (`libmimalloc-sys`'s `no_thp`, see `Cargo.toml`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use libmimalloc_sys as _;

use duluan_rules::{Claim, ClaimOptions, ClaimVerdict, Doc, KnownClaims, Packs, RuleSet, read_pack};

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data/vi-news/vntc-train-sample.jsonl");
const TARGET_BYTES: usize = 4 << 20;

fn main() {
    let path = std::env::var("DULUAN_VI_NEWS").unwrap_or_else(|_| DATA.to_string());
    let Ok(jsonl) = std::fs::read_to_string(&path) else {
        eprintln!("rules bench: needs {path}; skipped");
        return;
    };
    let docs = articles(&jsonl);
    let bytes: usize = docs.iter().map(String::len).sum();
    if std::env::args().any(|a| a == "claims") {
        claims_bench(&jsonl, &docs);
        return;
    }
    // `quick`: the engine alone, no baseline and no claims (for profiling).
    let quick = std::env::args().any(|a| a == "quick");
    let profile = std::env::args().any(|a| a == "profile");
    let once = std::env::args().any(|a| a == "once");
    let steady = std::env::args().any(|a| a == "steady");
    // With `profile` or `once`: the text analysis too, as the service runs it.
    let with_analysis = std::env::args().any(|a| a == "engine");
    let vocabulary = vocabulary(&docs);
    let analyzed: Vec<(String, duluan_text::Analysis)> =
        docs.iter().map(|d| (d.clone(), duluan_text::Analysis::new(d))).collect();
    println!(
        "text: {} articles, {:.1} MB; vocabulary {} syllables, {} words, {} phrases",
        docs.len(),
        mb(bytes),
        vocabulary.syllables.len(),
        vocabulary.words.len(),
        vocabulary.phrases.len()
    );
    if steady {
        steady_bench(&docs, &vocabulary);
        return;
    }
    if !profile && !once {
        // The engine analyses each text before matching: its rate can never pass this one.
        let (secs, tokens) = median_of(3, || docs.iter().map(|d| duluan_text::Analysis::new(d).len()).sum());
        println!(
            "text analysis alone: {:.1} MB/s ({tokens} tokens), the ceiling of the engine column",
            mb(bytes) / secs
        );
    }
    println!(
        "rules   patterns   engine MB/s   matching MB/s   (analyses cold)   flags     baseline MB/s   engine/baseline"
    );
    let mut first = None;
    // Numbers among the arguments choose the rule counts.
    let mut sizes: Vec<usize> = std::env::args().filter_map(|a| a.parse().ok()).collect();
    if sizes.is_empty() {
        sizes = vec![100, 1_000, 10_000];
    }
    for n in sizes {
        let specs = generate(n, &vocabulary);
        let engine = compile(&specs);
        if once {
            let flags = if with_analysis { run(&engine, &docs) } else { run_analyzed(&engine, &analyzed) };
            println!("{n:>6}   {:>8}   matched once: {flags} flags", engine.pattern_count());
            continue;
        }
        if profile {
            // Matching alone, long enough for a sampling profiler to see where the time goes.
            let start = ThreadTime::now();
            while start.elapsed() < Duration::from_secs(5) {
                if with_analysis {
                    std::hint::black_box(run(&engine, &docs));
                } else {
                    std::hint::black_box(run_analyzed(&engine, &analyzed));
                }
            }
            continue;
        }
        let (secs, flags) = median_of(3, || run(&engine, &docs));
        let engine_rate = mb(bytes) / secs;
        // In the pipeline the analysis is shared with sentiment and made once per item: matching alone.
        // Matching alone as the pipeline runs it, each text right after its analysis (sentiment
        // and claims read the same analysis): only the matching is timed.
        let (match_secs, _) = median_of_timed(3, || run_after_analysis(&engine, &docs));
        let match_rate = mb(bytes) / match_secs;
        // The same over analyses made long before, out of the caches: what matching costs when
        // it must fetch them from memory.
        let (cold_secs, _) = median_of(3, || run_analyzed(&engine, &analyzed));
        let cold_rate = mb(bytes) / cold_secs;
        let rates = format!("{engine_rate:>11.1}   {match_rate:>13.1}   {cold_rate:>15.1}   {flags:>6}");
        if quick {
            println!("{n:>6}   {:>8}   {rates}", engine.pattern_count());
            continue;
        }
        // The baseline: one rule set per rule, each matched on its own, on a slice of the text.
        let singles: Vec<RuleSet> = specs.iter().map(|s| compile(std::slice::from_ref(s))).collect();
        let share = (20_000 / n).clamp(1, docs.len());
        let sample = &docs[..share.min(docs.len())];
        let sample_bytes: usize = sample.iter().map(String::len).sum();
        let (base_secs, base_flags) = median_of(1, || singles.iter().map(|r| run(r, sample)).sum());
        let base_rate = mb(sample_bytes) / base_secs;
        let (_, engine_sample_flags) = median_of(1, || run(&engine, sample));
        assert_eq!(engine_sample_flags, base_flags, "the engine and the baseline disagree");
        println!(
            "{n:>6}   {:>8}   {rates}   {base_rate:>13.2}   {:>14.0}×",
            engine.pattern_count(),
            engine_rate / base_rate
        );
        first.get_or_insert((secs, match_secs));
        if n == 10_000
            && let Some((all, matching)) = first
        {
            println!(
                "cost of 10,000 rules / cost of 100 rules: {:.2}× with analysis, {:.2}× matching alone",
                secs / all,
                match_secs / matching
            );
        }
    }
    if !quick && !profile && !once {
        claims_bench(&jsonl, &docs);
    }
}

/// `-- steady [N…]`: each figure from every text's fastest of seven runs, summed. Other load on
/// a shared machine only ever slows a run, and here it moved the medians of the other modes by a
/// third from one run of the bench to the next, more than most changes to the engine are worth;
/// the fastest run of each text moves by a few percent.
fn steady_bench(docs: &[String], vocabulary: &Vocabulary) {
    const PASSES: usize = 7;
    let bytes: usize = docs.iter().map(String::len).sum();
    let empty = duluan_text::Analysis::new("");
    let analysis = fastest(docs, PASSES, |text| {
        let start = Instant::now();
        let analysis = std::hint::black_box(duluan_text::Analysis::new(text));
        let secs = start.elapsed().as_secs_f64();
        drop(analysis);
        secs
    });
    println!("steady (each text's fastest of {PASSES} runs): text analysis alone {:.1} MB/s", mb(bytes) / analysis);
    println!("rules   patterns   engine MB/s   matching MB/s   flags");
    let mut sizes: Vec<usize> = std::env::args().filter_map(|a| a.parse().ok()).collect();
    if sizes.is_empty() {
        sizes = vec![100, 1_000, 10_000];
    }
    let mut first: Option<(usize, f64, f64)> = None;
    for n in sizes {
        let engine = compile(&generate(n, vocabulary));
        let mut flags = 0;
        let (mut with_analysis, mut matching) = (vec![f64::INFINITY; docs.len()], vec![f64::INFINITY; docs.len()]);
        for _ in 0..PASSES {
            for ((text, whole), alone) in docs.iter().zip(&mut with_analysis).zip(&mut matching) {
                let doc = Doc { title: "", text, lang: "vi", ..Doc::default() };
                let start = Instant::now();
                let analysis = duluan_text::Analysis::new(text);
                let matched = Instant::now();
                flags += std::hint::black_box(engine.matches_analyzed(&doc, &empty, &analysis)).len();
                let end = Instant::now();
                *whole = whole.min((end - start).as_secs_f64());
                *alone = alone.min((end - matched).as_secs_f64());
            }
        }
        let (whole, alone): (f64, f64) = (with_analysis.iter().sum(), matching.iter().sum());
        println!(
            "{n:>6}   {:>8}   {:>11.1}   {:>13.1}   {:>5}",
            engine.pattern_count(),
            mb(bytes) / whole,
            mb(bytes) / alone,
            flags / PASSES
        );
        match first {
            Some((from, all, matched)) => println!(
                "cost of {n} rules / cost of {from} rules: {:.2}× with analysis, {:.2}× matching alone",
                whole / all,
                alone / matched
            ),
            None => first = Some((n, whole, alone)),
        }
    }
}

/// The sum over `docs` of each one's fastest of `passes` runs of `run` (which returns seconds).
fn fastest(docs: &[String], passes: usize, mut run: impl FnMut(&str) -> f64) -> f64 {
    let mut best = vec![f64::INFINITY; docs.len()];
    for _ in 0..passes {
        for (b, text) in best.iter_mut().zip(docs) {
            *b = b.min(run(text));
        }
    }
    best.iter().sum()
}

/// Known-claim matching with 1,000 and 10,000 claims, and a claim-by-claim baseline.
fn claims_bench(jsonl: &str, docs: &[String]) {
    let bytes: usize = docs.iter().map(String::len).sum();
    let analyzed: Vec<duluan_text::Analysis> = docs.iter().map(|d| duluan_text::Analysis::new(d)).collect();
    let empty = duluan_text::Analysis::new("");
    let at = chrono::Utc::now();
    let unseen = sentences(&articles_after(jsonl, bytes));
    let seen = sentences(docs);
    println!("claims   build ms   matching MB/s   µs/text   flags   baseline MB/s   engine/baseline");
    let mut first = None;
    for n in [1_000, 10_000] {
        let claims = claim_set(n, &unseen, &seen);
        let start = Instant::now();
        let known = KnownClaims::new(claims.clone(), ClaimOptions::default());
        let build_ms = start.elapsed().as_secs_f64() * 1e3;
        let run = |k: &KnownClaims, texts: &[duluan_text::Analysis]| -> usize {
            texts.iter().map(|a| k.matches(&empty, a, at).len()).sum()
        };
        let (secs, flags) = median_of(3, || run(&known, &analyzed));
        // The baseline: one claim set per claim, each matched on its own, on a slice of the texts.
        let singles: Vec<KnownClaims> =
            claims.iter().map(|c| KnownClaims::new(vec![c.clone()], ClaimOptions::default())).collect();
        let share = (20_000 / n).clamp(1, docs.len());
        let sample = &analyzed[..share];
        let sample_bytes: usize = docs[..share].iter().map(String::len).sum();
        let (base_secs, base_flags) = median_of(1, || singles.iter().map(|k| run(k, sample)).sum());
        let (_, engine_sample_flags) = median_of(1, || run(&known, sample));
        assert_eq!(engine_sample_flags, base_flags, "the claim index and the baseline disagree");
        let rate = mb(bytes) / secs;
        let base_rate = mb(sample_bytes) / base_secs;
        println!(
            "{n:>6}   {build_ms:>8.0}   {rate:>13.1}   {:>7.1}   {flags:>5}   {base_rate:>13.2}   {:>14.0}×",
            secs * 1e6 / docs.len() as f64,
            rate / base_rate
        );
        first.get_or_insert(secs);
        if n == 10_000
            && let Some(thousand) = first
        {
            println!("cost of 10,000 claims / cost of 1,000 claims: {:.2}×", secs / thousand);
        }
    }
}

/// Article texts after the first `skip` bytes of texts (those the benchmark matches against).
fn articles_after(jsonl: &str, skip: usize) -> Vec<String> {
    let mut seen = 0;
    let mut out = Vec::new();
    for line in jsonl.lines() {
        let Ok(doc) = serde_json::from_str::<serde_json::Value>(line) else { continue };
        let Some(t) = doc.get("text").and_then(|t| t.as_str()) else { continue };
        if seen >= skip {
            out.push(t.to_string());
        }
        seen += t.len();
    }
    out
}

/// Sentences of 15 to 60 words, as rumours are written.
fn sentences(texts: &[String]) -> Vec<String> {
    texts
        .iter()
        .flat_map(|t| t.split(['.', '!', '?', '\n']))
        .map(str::trim)
        .filter(|s| (15..=60).contains(&s.split_whitespace().count()))
        .map(str::to_string)
        .collect()
}

/// `n` claims, deterministic: mostly unseen sentences; one in fifty from the matched texts, every
/// other one of those without diacritics.
fn claim_set(n: usize, unseen: &[String], seen: &[String]) -> Vec<Claim> {
    let added = chrono::Utc::now().date_naive();
    (0..n)
        .map(|i| {
            let text = if i % 50 == 0 {
                let s = &seen[(i * 7919) % seen.len()];
                if i % 100 == 0 { duluan_text::fold(s) } else { s.clone() }
            } else {
                unseen[(i * 104_729) % unseen.len()].clone()
            };
            Claim::new(format!("c{i}"), text, ClaimVerdict::False, added, "bench".into())
        })
        .collect()
}

/// About 4 MB of article texts.
fn articles(jsonl: &str) -> Vec<String> {
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
    docs
}

/// Rule vocabulary from the text itself, past the commonest of each kind, most frequent first:
/// single syllables, two-syllable words (most Vietnamese words are two syllables) and
/// three-syllable phrases.
struct Vocabulary {
    syllables: Vec<String>,
    words: Vec<String>,
    phrases: Vec<String>,
}

fn vocabulary(docs: &[String]) -> Vocabulary {
    let mut counts: [HashMap<String, u32>; 3] = Default::default();
    for doc in docs {
        let tokens: Vec<String> =
            doc.split(|c: char| !c.is_alphabetic()).filter(|w| w.chars().count() >= 2).map(str::to_lowercase).collect();
        for n in 1..=3 {
            for gram in tokens.windows(n) {
                *counts[n - 1].entry(gram.join(" ")).or_default() += 1;
            }
        }
    }
    let [syllables, words, phrases] = counts.map(|map| {
        let mut v: Vec<(String, u32)> = map.into_iter().collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        v
    });
    let ranked = |v: Vec<(String, u32)>, skip: usize, take: usize| {
        v.into_iter().skip(skip).take(take).map(|(w, _)| w).collect::<Vec<_>>()
    };
    // Rules name what is specific, not the commonest words: skip the head of every ranking.
    Vocabulary {
        syllables: ranked(syllables, 500, 8_000),
        words: ranked(words, 1_000, 30_000),
        phrases: ranked(phrases, 300, 30_000),
    }
}

/// `n` rules in the shapes real packs use, deterministic.
fn generate(n: usize, v: &Vocabulary) -> Vec<String> {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut pick = |list: &[String]| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        list[(state % list.len() as u64) as usize].clone()
    };
    let (s, w, p) = (&v.syllables, &v.words, &v.phrases);
    (0..n)
        .map(|i| {
            let query = match i % 4 {
                0 => format!("\"{}\" AND (\"{}\" OR \"{}\" OR {})", pick(p), pick(w), pick(w), pick(s)),
                1 => format!("\"{}\" NEAR/5 \"{}\"", pick(w), pick(w)),
                2 => format!("\"{}\" \"{}\" -{}", pick(w), pick(w), pick(s)),
                _ => format!("\"{}\" OR (\"{}\" AND {})", pick(p), pick(w), pick(s)),
            };
            let mode = if i % 2 == 0 { "folded" } else { "exact" };
            format!(
                "[[rule]]\nid = \"r{i}\"\nseverity = \"low\"\naction = \"tag\"\nmode = \"{mode}\"\nquery = {}\n",
                toml_string(&query)
            )
        })
        .collect()
}

fn toml_string(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

fn compile(specs: &[String]) -> RuleSet {
    let mut packs = Packs::default();
    let mut errors = Vec::new();
    read_pack(Path::new("bench.toml"), &specs.concat(), &mut packs, &mut errors);
    assert!(errors.is_empty(), "generated rules do not load: {}", errors[0]);
    RuleSet::compile(packs).unwrap_or_else(|e| panic!("generated rules do not compile: {e}"))
}

/// Flags raised over `docs`.
fn run(rules: &RuleSet, docs: &[String]) -> usize {
    docs.iter().map(|text| rules.matches(&Doc { title: "", text, lang: "vi", ..Doc::default() }).len()).sum()
}

/// Seconds spent matching `docs`, each right after its own analysis (not timed), and the flags
/// raised. Timed on the monotonic clock, text by text: the thread's CPU clock is a system call
/// (about 0.5 µs here, a tenth of a 100-rule match) where this one is read in user space.
fn run_after_analysis(rules: &RuleSet, docs: &[String]) -> (f64, usize) {
    let empty = duluan_text::Analysis::new("");
    let (mut secs, mut flags) = (0.0, 0);
    for text in docs {
        let analysis = duluan_text::Analysis::new(text);
        let doc = Doc { title: "", text, lang: "vi", ..Doc::default() };
        let start = Instant::now();
        flags += std::hint::black_box(rules.matches_analyzed(&doc, &empty, &analysis)).len();
        secs += start.elapsed().as_secs_f64();
    }
    (secs, flags)
}

/// Flags raised over texts analysed beforehand.
fn run_analyzed(rules: &RuleSet, docs: &[(String, duluan_text::Analysis)]) -> usize {
    let empty = duluan_text::Analysis::new("");
    docs.iter()
        .map(|(text, analysis)| {
            let doc = Doc { title: "", text, lang: "vi", ..Doc::default() };
            rules.matches_analyzed(&doc, &empty, analysis).len()
        })
        .sum()
}

/// CPU seconds of the median run of `f` and a run's result. Runs go on until there are at least
/// `times` of them and a CPU second in all. Each run is timed on this thread's CPU clock (the
/// kernel's, in nanoseconds), so other load on a shared machine does not count, and the median is
/// kept, so that the few runs slowed by it (caches and memory shared with other work) do not move
/// the figure either. A mean of the process's CPU time in 10 ms ticks, which this replaced, moved
/// by ±5 % from one run of the bench to the next: more than most single changes are worth.
fn median_of(times: usize, mut f: impl FnMut() -> usize) -> (f64, usize) {
    let start = ThreadTime::now();
    let (mut runs, mut out) = (Vec::new(), 0);
    while runs.len() < times || start.elapsed() < Duration::from_secs(1) {
        let run = ThreadTime::now();
        out = std::hint::black_box(f());
        runs.push(run.elapsed().as_secs_f64());
    }
    runs.sort_by(f64::total_cmp);
    (runs[runs.len() / 2], out)
}

/// [`median_of`] for runs that time themselves (`f` gives its seconds and result): the median
/// of at least `times` runs and a second of runs in all.
fn median_of_timed(times: usize, mut f: impl FnMut() -> (f64, usize)) -> (f64, usize) {
    let (mut runs, mut out, mut total) = (Vec::new(), 0, 0.0);
    while runs.len() < times || total < 1.0 {
        let (secs, result) = f();
        (out, total) = (result, total + secs);
        runs.push(secs);
    }
    runs.sort_by(f64::total_cmp);
    (runs[runs.len() / 2], out)
}

fn mb(bytes: usize) -> f64 {
    bytes as f64 / 1e6
}
