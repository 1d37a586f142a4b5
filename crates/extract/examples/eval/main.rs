//! Evaluation harness for `duluan-extract`: token-level precision / recall / F1 of the extracted
//! text against ground truth, date accuracy, and documents per second on one core.
//!
//! ```text
//! cargo run -p duluan-extract --release --example eval -- DIR [DIR...] [options]
//!   --worst N          list the N pages with the lowest F1
//!   --page SUBSTR      print the extracted text of matching pages with the tokens missed and added
//!   --groups           one row per group (country) too
//!   --repeat N         extract every page N times for the speed figure (default 3)
//!   --dump FILE        write {id, text, published_at, title} JSONL of our output
//!   --export-pages FILE
//!                      write the pages as loaded ({id, url, html, expected_text, expected_date}
//!                      JSONL, decoded) for other tools
//!   --score-jsonl FILE --name NAME
//!                      score another extractor's output ({id, text, date, seconds} per line)
//!                      against the same ground truth, for bench-compare and Python trafilatura
//! ```
//! DIR holds `index.jsonl` (see `score::load`); `score.rs` documents the tokenisation.

mod score;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use chrono::{DateTime, Utc};
use score::{Page, Summary};

struct Args {
    dirs: Vec<PathBuf>,
    worst: usize,
    page: Option<String>,
    groups: bool,
    repeat: usize,
    dump: Option<PathBuf>,
    export_pages: Option<PathBuf>,
    score_jsonl: Option<PathBuf>,
    name: String,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        dirs: Vec::new(),
        worst: 0,
        page: None,
        groups: false,
        repeat: 3,
        dump: None,
        export_pages: None,
        score_jsonl: None,
        name: "duluan-extract".into(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--worst" => a.worst = value()?.parse().map_err(|e| format!("--worst: {e}"))?,
            "--page" => a.page = Some(value()?),
            "--groups" => a.groups = true,
            "--repeat" => a.repeat = value()?.parse().map_err(|e| format!("--repeat: {e}"))?,
            "--dump" => a.dump = Some(value()?.into()),
            "--export-pages" => a.export_pages = Some(value()?.into()),
            "--score-jsonl" => a.score_jsonl = Some(value()?.into()),
            "--name" => a.name = value()?,
            "eval" => {}
            s if s.starts_with("--") => return Err(format!("unknown option {s}")),
            s => a.dirs.push(s.into()),
        }
    }
    if a.dirs.is_empty() {
        return Err("usage: eval DIR [DIR...] [--worst N] [--page S] [--groups] [--repeat N] [--dump F] \
                    [--score-jsonl F --name N]"
            .into());
    }
    Ok(a)
}

struct Outcome {
    text: String,
    date: Option<DateTime<Utc>>,
    title: String,
}

fn main() {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let mut pages: Vec<Page> = Vec::new();
    for dir in &args.dirs {
        match score::load(dir) {
            Ok(mut p) => {
                let prefix = dir.file_name().and_then(|n| n.to_str()).unwrap_or("").to_string();
                for page in &mut p {
                    if page.group.is_empty() {
                        page.group.clone_from(&prefix);
                    }
                }
                pages.extend(p);
            }
            Err(e) => {
                eprintln!("{e}");
                std::process::exit(1);
            }
        }
    }
    eprintln!(
        "{} pages, {:.1} MB of HTML",
        pages.len(),
        pages.iter().map(|p| p.html.len()).sum::<usize>() as f64 / 1e6
    );

    if let Some(file) = &args.export_pages {
        let mut out = std::io::BufWriter::new(std::fs::File::create(file).unwrap_or_else(|e| {
            eprintln!("{}: {e}", file.display());
            std::process::exit(1)
        }));
        for page in &pages {
            let line = serde_json::json!({"id": page.id, "url": page.url, "html": page.html,
                "expected_text": page.expected_text, "expected_date": page.expected_date.map(|d| d.to_rfc3339())});
            let _ = writeln!(out, "{line}");
        }
    }
    if std::env::var_os("EVAL_PARSE_ONLY").is_some() {
        let start = Instant::now();
        for page in &pages {
            std::hint::black_box(scraper::Html::parse_document(&page.html));
        }
        let s = start.elapsed().as_secs_f64();
        println!("parse only: {:.1} docs/s", pages.len() as f64 / s);
        let start = Instant::now();
        for page in &pages {
            std::hint::black_box(duluan_extract::parse_only(&page.html));
        }
        let s = start.elapsed().as_secs_f64();
        println!("prefilter + parse: {:.1} docs/s", pages.len() as f64 / s);
    }
    let (outcomes, seconds) = match &args.score_jsonl {
        Some(file) => read_external(file, &pages),
        None => run_ours(&pages, args.repeat),
    };

    let mut total = Summary { seconds, ..Summary::default() };
    let mut groups: BTreeMap<String, Summary> = BTreeMap::new();
    let mut rows: Vec<(f64, &Page, score::Counts)> = Vec::new();
    for (page, out) in pages.iter().zip(&outcomes) {
        let c = score::score(&page.expected_text, &out.text);
        total.add(c);
        total.add_date(page.expected_date.as_ref(), out.date.as_ref());
        let g = groups.entry(page.group.clone()).or_default();
        g.add(c);
        g.add_date(page.expected_date.as_ref(), out.date.as_ref());
        if std::env::var_os("EVAL_DATES").is_some()
            && let Some(e) = &page.expected_date
            && !out.date.is_some_and(|g| score::same_day(e, &g))
        {
            println!("date miss {}: got {:?} want {}", page.id, out.date.map(|d| d.to_rfc3339()), e.to_rfc3339());
        }
        rows.push((c.f1(), page, c));
    }
    if let Ok(file) = std::env::var("EVAL_ROWS") {
        let mut out = String::new();
        for (f, page, c) in &rows {
            out.push_str(&format!("{}\t{:.4}\t{:.4}\t{f:.4}\n", page.id, c.precision(), c.recall()));
        }
        let _ = std::fs::write(file, out);
    }
    if let Some(sub) = &args.page {
        for ((_, page, c), out) in rows.iter().zip(&outcomes).filter(|((_, p, _), _)| p.id.contains(sub.as_str())) {
            show_page(page, out, *c);
        }
    }
    if args.worst > 0 {
        let mut sorted: Vec<_> = rows.iter().collect();
        sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
        println!("{:<48} {:>6} {:>6} {:>6} {:>7} {:>7}", "worst pages", "P", "R", "F1", "want", "got");
        for (f, page, c) in sorted.into_iter().take(args.worst) {
            println!(
                "{:<48} {:>6.3} {:>6.3} {:>6.3} {:>7} {:>7}",
                page.id,
                c.precision(),
                c.recall(),
                f,
                c.tp + c.fn_,
                c.tp + c.fp
            );
        }
        println!();
    }
    println!("{}", Summary::header());
    if args.groups {
        for (name, g) in &groups {
            println!("{}", g.row(&format!("  {name}")));
        }
    }
    println!("{}", total.row(&args.name));
    println!(
        "dates: {} of {} pages with an expected date found a date, {} on the right day ({:.1} %)",
        total.date_found,
        total.dated,
        total.date_right,
        100.0 * total.date_right as f64 / total.dated.max(1) as f64
    );
    if let Some(file) = &args.dump {
        let mut out = std::io::BufWriter::new(std::fs::File::create(file).unwrap_or_else(|e| {
            eprintln!("{}: {e}", file.display());
            std::process::exit(1)
        }));
        for (page, o) in pages.iter().zip(&outcomes) {
            let line = serde_json::json!({"id": page.id, "title": o.title, "text": o.text,
                "published_at": o.date.map(|d| d.to_rfc3339())});
            let _ = writeln!(out, "{line}");
        }
    }
}

fn run_ours(pages: &[Page], repeat: usize) -> (Vec<Outcome>, f64) {
    let options = duluan_extract::Options::default();
    let mut outcomes = Vec::with_capacity(pages.len());
    // Warm-up pass, which also produces the outcomes scored.
    for page in pages {
        let a = duluan_extract::extract(&page.html, page.url.as_deref(), &options);
        outcomes.push(Outcome { text: a.text, date: a.published_at, title: a.title });
    }
    let start = Instant::now();
    let mut sink = 0usize;
    for _ in 0..repeat.max(1) {
        for page in pages {
            let a = duluan_extract::extract(&page.html, page.url.as_deref(), &options);
            sink = sink.wrapping_add(a.text.len());
        }
    }
    let seconds = start.elapsed().as_secs_f64() / repeat.max(1) as f64;
    std::hint::black_box(sink);
    if std::env::var_os("EVAL_STAGES").is_some() {
        let mut laps = [0f64; 6];
        for page in pages {
            duluan_extract::extract_timed(&page.html, page.url.as_deref(), &options, &mut laps);
        }
        let names = ["prefilter", "parse", "meta", "text", "lang+date", "links"];
        for (name, t) in names.iter().zip(laps) {
            eprintln!("{name:>10}: {:>7.3} ms/doc", 1000.0 * t / pages.len() as f64);
        }
    }
    (outcomes, seconds)
}

fn read_external(file: &PathBuf, pages: &[Page]) -> (Vec<Outcome>, f64) {
    let text = std::fs::read_to_string(file).unwrap_or_else(|e| {
        eprintln!("{}: {e}", file.display());
        std::process::exit(1)
    });
    let mut by_id: std::collections::HashMap<String, (String, Option<DateTime<Utc>>)> = Default::default();
    let mut seconds = 0.0;
    for line in text.lines() {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else { continue };
        let Some(id) = v["id"].as_str() else { continue };
        seconds += v["seconds"].as_f64().unwrap_or(0.0);
        let date = v["date"].as_str().and_then(|d| {
            DateTime::parse_from_rfc3339(d)
                .map(|d| d.with_timezone(&Utc))
                .ok()
                .or_else(|| score::parse_expected_date(d).map(|d| d.with_timezone(&Utc)))
        });
        by_id.insert(id.to_string(), (v["text"].as_str().unwrap_or("").to_string(), date));
    }
    let outcomes = pages
        .iter()
        .map(|p| {
            let (text, date) = by_id.remove(&p.id).unwrap_or_default();
            Outcome { text, date, title: String::new() }
        })
        .collect();
    (outcomes, seconds)
}

fn show_page(page: &Page, out: &Outcome, c: score::Counts) {
    if std::env::var_os("EVAL_EXPLAIN").is_some() {
        println!("{}", duluan_extract::explain(&page.html));
    }
    println!(
        "=== {} ({}) P {:.3} R {:.3} F1 {:.3}",
        page.id,
        page.url.as_deref().unwrap_or(""),
        c.precision(),
        c.recall(),
        c.f1()
    );
    println!("title: {}", out.title);
    println!("date: got {:?} want {:?}", out.date.map(|d| d.to_rfc3339()), page.expected_date.map(|d| d.to_rfc3339()));
    let expected: std::collections::HashSet<&str> = score::tokens(&page.expected_text).into_iter().collect();
    println!("--- text (percent of each line's tokens found in the expected text)");
    for line in out.text.lines() {
        let t = score::tokens(line);
        let found = t.iter().filter(|x| expected.contains(*x)).count();
        let pct = if t.is_empty() { 100 } else { 100 * found / t.len() };
        let short: String = line.chars().take(160).collect();
        println!("{}{pct:>3} {short}", if pct < 60 { "✗" } else { " " });
    }
    println!("---");
    let mut want: std::collections::HashMap<&str, i64> = Default::default();
    for t in score::tokens(&page.expected_text) {
        *want.entry(t).or_default() += 1;
    }
    let mut extra = Vec::new();
    for t in score::tokens(&out.text) {
        match want.get_mut(t) {
            Some(n) if *n > 0 => *n -= 1,
            _ => extra.push(t),
        }
    }
    let missed: Vec<&str> = score::tokens(&page.expected_text)
        .into_iter()
        .filter(|t| {
            let n = want.get_mut(t);
            match n {
                Some(n) if *n > 0 => {
                    *n -= 1;
                    true
                }
                _ => false,
            }
        })
        .collect();
    println!("missed ({}): {}", missed.len(), missed.join(" "));
    println!("extra ({}): {}", extra.len(), extra.join(" "));
    println!();
}
