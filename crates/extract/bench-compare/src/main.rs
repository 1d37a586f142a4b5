//! Side-by-side quality and speed of `duluan-extract` and the Rust extractors published on
//! crates.io, on the same pages, scored by the same code as the `eval` example.
//!
//! ```text
//! cargo run --release --manifest-path crates/extract/bench-compare/Cargo.toml -- DIR [DIR...]
//!     [--only NAME[,NAME]] [--repeat N] [--dump-dir DIR]
//! ```
//! Each extractor runs single-threaded over every page (`--repeat` passes after one warm-up pass)
//! so docs/s is per core. A panic inside an extractor counts as an empty result for that page.

#[path = "../../examples/eval/score.rs"]
mod score;

use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use chrono::{DateTime, Utc};
use score::{Page, Summary};

struct Out {
    text: String,
    date: Option<DateTime<Utc>>,
}

type Extractor = fn(&Page) -> Out;

fn ours(p: &Page) -> Out {
    let a = duluan_extract::extract(&p.html, p.url.as_deref(), &duluan_extract::Options::default());
    Out { text: a.text, date: a.published_at }
}

fn rs_trafilatura(p: &Page) -> Out {
    let mut options = rs_trafilatura::Options::default();
    options.url = p.url.clone();
    match rs_trafilatura::extract_with_options(&p.html, &options) {
        Ok(r) => Out { text: r.content_text, date: r.metadata.date },
        Err(_) => Out { text: String::new(), date: None },
    }
}

fn trafilatura_rs(p: &Page) -> Out {
    let mut options = trafilatura::Options::default();
    options.original_url = p.url.as_deref().and_then(|u| url::Url::parse(u).ok());
    match trafilatura::extract(&p.html, &options) {
        Ok(r) => Out {
            text: r.content_text,
            date: r.metadata.date.and_then(|d| d.and_hms_opt(12, 0, 0)).map(|d| d.and_utc()),
        },
        Err(_) => Out { text: String::new(), date: None },
    }
}

fn dom_smoothie(p: &Page) -> Out {
    let cfg = dom_smoothie::Config { text_mode: dom_smoothie::TextMode::Formatted, ..Default::default() };
    let Ok(mut r) = dom_smoothie::Readability::new(p.html.as_str(), p.url.as_deref(), Some(cfg)) else {
        return Out { text: String::new(), date: None };
    };
    match r.parse() {
        Ok(a) => Out {
            text: a.text_content.to_string(),
            date: a
                .published_time
                .as_deref()
                .and_then(|d| DateTime::parse_from_rfc3339(d).ok().map(|d| d.with_timezone(&Utc))),
        },
        Err(_) => Out { text: String::new(), date: None },
    }
}

fn readability(p: &Page) -> Out {
    let url = p
        .url
        .as_deref()
        .and_then(|u| url::Url::parse(u).ok())
        .unwrap_or_else(|| url::Url::parse("https://example.com/").unwrap_or_else(|_| unreachable!()));
    match readability::extractor::extract(&mut p.html.as_bytes(), &url) {
        Ok(r) => Out { text: r.text, date: None },
        Err(_) => Out { text: String::new(), date: None },
    }
}

const EXTRACTORS: &[(&str, Extractor)] = &[
    ("duluan-extract", ours),
    ("rs-trafilatura", rs_trafilatura),
    ("trafilatura(rs)", trafilatura_rs),
    ("dom_smoothie", dom_smoothie),
    ("readability", readability),
];

fn main() {
    let mut dirs: Vec<PathBuf> = Vec::new();
    let mut only: Option<Vec<String>> = None;
    let mut repeat = 1usize;
    let mut dump_dir: Option<PathBuf> = None;
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--only" => only = it.next().map(|s| s.split(',').map(str::to_string).collect()),
            "--repeat" => repeat = it.next().and_then(|s| s.parse().ok()).unwrap_or(1),
            "--dump-dir" => dump_dir = it.next().map(PathBuf::from),
            _ => dirs.push(a.into()),
        }
    }
    let mut pages = Vec::new();
    for d in &dirs {
        match score::load(d) {
            Ok(p) => pages.extend(p),
            Err(e) => {
                eprintln!("{e}");
                std::process::exit(1);
            }
        }
    }
    eprintln!("{} pages", pages.len());
    // Quiet the default panic message: a panicking extractor is scored as empty output.
    std::panic::set_hook(Box::new(|_| {}));
    println!("{}", Summary::header());
    for (name, f) in EXTRACTORS {
        if only.as_ref().is_some_and(|o| !o.iter().any(|n| n == name)) {
            continue;
        }
        let mut outs = Vec::with_capacity(pages.len());
        let mut panics = 0;
        for p in &pages {
            match std::panic::catch_unwind(|| f(p)) {
                Ok(o) => outs.push(o),
                Err(_) => {
                    panics += 1;
                    outs.push(Out { text: String::new(), date: None })
                }
            }
        }
        let start = Instant::now();
        for _ in 0..repeat {
            for p in &pages {
                let _ = std::hint::black_box(std::panic::catch_unwind(|| f(p)).map(|o| o.text.len()));
            }
        }
        let mut s = Summary { seconds: start.elapsed().as_secs_f64() / repeat as f64, ..Summary::default() };
        for (p, o) in pages.iter().zip(&outs) {
            s.add(score::score(&p.expected_text, &o.text));
            s.add_date(p.expected_date.as_ref(), o.date.as_ref());
        }
        println!("{}{}", s.row(name), if panics > 0 { format!("  ({panics} panics)") } else { String::new() });
        if let Some(dir) = &dump_dir {
            let _ = std::fs::create_dir_all(dir);
            if let Ok(file) = std::fs::File::create(dir.join(format!("{name}.jsonl"))) {
                let mut w = std::io::BufWriter::new(file);
                for (p, o) in pages.iter().zip(&outs) {
                    let line = serde_json::json!({"id": p.id, "text": o.text, "date": o.date.map(|d| d.to_rfc3339())});
                    let _ = writeln!(w, "{line}");
                }
            }
        }
    }
}
