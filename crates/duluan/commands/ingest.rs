//! `duluan ingest PATH...`: HTML files, directories, JSONL and WARC into the store and index.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use anyhow::Result;
use duluan_config::Config;
use duluan_extract::warc::WarcReader;
use duluan_pipeline::{IngestRecord, Origin};
use serde::Deserialize;

use super::lines::{Line, MAX_LINE, next_line, too_long, without_bom};
use crate::app;
use crate::cli::IngestArgs;
use crate::run::Running;

/// Per file, how many bad-line messages are printed before the rest are only counted.
const MAX_LINE_ERRORS: usize = 20;

#[derive(Deserialize)]
struct JsonlRecord {
    url: Option<String>,
    html: Option<String>,
    title: Option<String>,
    text: Option<String>,
    published_at: Option<String>,
    lang: Option<String>,
}

pub(crate) async fn run(config: Config, args: &IngestArgs) -> Result<ExitCode> {
    let started = Instant::now();
    let input_errors = Arc::new(AtomicU64::new(0));
    let files = expand(&args.paths, &input_errors);
    let origin = origin(&config, &args.source);
    let running = Running::start(config).await?;
    let bar = app::progress(None, "ingesting");
    let records = Records::new(files, input_errors.clone());
    let parallelism = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
    let progress = bar.clone();
    let summary = duluan_pipeline::ingest_from(
        running.pipeline.clone(),
        records,
        origin,
        parallelism * 2,
        move |label, problem| {
            progress.inc(1);
            if let Some(problem) = problem {
                progress.suspend(|| eprintln!("{label}: {problem}"));
            }
        },
    )
    .await?;
    running.flush().await?;
    bar.finish_and_clear();
    let seconds = started.elapsed().as_secs_f64();
    let bad_inputs = input_errors.load(Ordering::SeqCst);
    println!(
        "ingested {} records in {:.2}s ({:.0} docs/s): {} new, {} updated, {} unchanged, {} not articles, {} failed, {} unreadable inputs",
        summary.records,
        seconds,
        summary.records as f64 / seconds.max(1e-9),
        summary.stored,
        summary.updated,
        summary.unchanged,
        summary.not_articles,
        summary.failures.len(),
        bad_inputs
    );
    running.shutdown().await?;
    Ok(ExitCode::SUCCESS)
}

/// The items' origin: the configured source of that id (its tags, region and language, which
/// rule filters, routes and search read), else a source known only by its id.
fn origin(config: &Config, source_id: &str) -> Origin {
    let configured = duluan_config::load_sources(&config.crawl.sources)
        .ok()
        .and_then(|sources| sources.into_iter().find(|s| s.id == source_id));
    match configured {
        // Files given by hand are what they say they are: their canonical links are followed.
        Some(source) => Origin { trust_canonical: true, ..Origin::of(&source) },
        None => Origin::ingest(source_id),
    }
}

/// Whether a file is a WARC archive, plain or gzip-compressed, by its name.
fn is_warc(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_ascii_lowercase();
    name.ends_with(".warc") || name.ends_with(".warc.gz")
}

/// Files named on the command line, directories walked (HTML, JSONL and WARC files), sorted.
fn expand(paths: &[PathBuf], errors: &AtomicU64) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for path in paths {
        match std::fs::metadata(path) {
            Ok(m) if m.is_dir() => walk(path, &mut out, errors),
            Ok(_) => out.push(path.clone()),
            Err(e) => {
                errors.fetch_add(1, Ordering::SeqCst);
                eprintln!("{}: cannot read: {e}", path.display());
            }
        }
    }
    out
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>, errors: &AtomicU64) {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries = match std::fs::read_dir(&d) {
            Ok(e) => e,
            Err(e) => {
                errors.fetch_add(1, Ordering::SeqCst);
                eprintln!("{}: cannot read directory: {e}", d.display());
                continue;
            }
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if is_warc(&path)
                || matches!(path.extension().and_then(|e| e.to_str()), Some("html" | "htm" | "jsonl" | "ndjson"))
            {
                found.push(path);
            }
        }
    }
    found.sort();
    out.extend(found);
}

/// Lazily turns files into records, reporting unreadable files and bad lines on stderr.
struct Records {
    files: std::vec::IntoIter<PathBuf>,
    /// The JSONL file being read: its path, reader, lines read and bad lines shown.
    lines: Option<(PathBuf, std::io::BufReader<std::fs::File>, usize, usize)>,
    /// The current line (see [`next_line`]).
    buf: Vec<u8>,
    /// The WARC file being read, and its path.
    warc: Option<(PathBuf, WarcReader<Box<dyn std::io::BufRead + Send>>)>,
    errors: Arc<AtomicU64>,
}

impl Records {
    fn new(files: Vec<PathBuf>, errors: Arc<AtomicU64>) -> Records {
        Records { files: files.into_iter(), lines: None, buf: Vec::new(), warc: None, errors }
    }

    /// The next page of the WARC file being read; its end, or the error that ends it (reported).
    fn next_page(&mut self) -> Option<IngestRecord> {
        let (path, reader) = self.warc.as_mut()?;
        match reader.next() {
            Some(Ok(page)) => {
                let label = format!("{}#{}", path.display(), page.record);
                Some(IngestRecord::Html { label, url: page.url, html: page.html })
            }
            Some(Err(e)) => {
                self.errors.fetch_add(1, Ordering::SeqCst);
                eprintln!("{}: {e}", path.display());
                self.warc = None;
                None
            }
            None => {
                self.warc = None;
                None
            }
        }
    }

    /// Starts reading the WARC file at `path`.
    fn open_warc(&mut self, path: PathBuf) {
        let opened = std::fs::File::open(&path).and_then(|f| WarcReader::open(std::io::BufReader::new(f)));
        match opened {
            Ok(reader) => self.warc = Some((path, reader)),
            Err(e) => {
                self.errors.fetch_add(1, Ordering::SeqCst);
                eprintln!("{}: cannot read: {e}", path.display());
            }
        }
    }

    fn bad(&self, label: &str, reason: &str, shown: &mut usize) {
        self.errors.fetch_add(1, Ordering::SeqCst);
        *shown += 1;
        if *shown <= MAX_LINE_ERRORS {
            eprintln!("{label}: {reason}");
        } else if *shown == MAX_LINE_ERRORS + 1 {
            eprintln!("{label}: more bad lines in this file are counted but not shown");
        }
    }

    fn next_line(&mut self) -> Option<IngestRecord> {
        loop {
            let (path, reader, n, shown) = self.lines.as_mut()?;
            let path = path.clone();
            *n += 1;
            let label = format!("{}:{}", path.display(), n);
            let mut shown_now = *shown;
            let result = match next_line(reader, &mut self.buf, MAX_LINE) {
                Ok(None) => {
                    self.lines = None;
                    return None;
                }
                // The rest of the file cannot be read: reported once, not once per line.
                Err(e) => {
                    self.lines = None;
                    self.bad(&label, &format!("unreadable: {e}"), &mut shown_now);
                    return None;
                }
                Ok(Some(Line::TooLong)) => Err(too_long()),
                Ok(Some(Line::Bytes(bytes))) => match std::str::from_utf8(bytes) {
                    Err(e) => Err(format!("not UTF-8: {e}")),
                    Ok(l) => match without_bom(*n, l) {
                        // A file saved as only a byte-order mark, or with one on a line of its own.
                        l if l.trim().is_empty() => continue,
                        l => parse_line(&label, l),
                    },
                },
            };
            match result {
                Ok(record) => return Some(record),
                Err(reason) => {
                    self.bad(&label, &reason, &mut shown_now);
                    if let Some((_, _, _, shown)) = self.lines.as_mut() {
                        *shown = shown_now;
                    }
                }
            }
        }
    }
}

fn parse_line(label: &str, line: &str) -> std::result::Result<IngestRecord, String> {
    let r: JsonlRecord = serde_json::from_str(line).map_err(|e| format!("invalid JSON: {e}"))?;
    let url = r.url.filter(|u| !u.trim().is_empty()).ok_or("missing \"url\"")?;
    if let Some(html) = r.html {
        return Ok(IngestRecord::Html { label: label.to_string(), url, html: html.into_bytes() });
    }
    if r.title.is_none() && r.text.is_none() {
        return Err("needs \"html\", or \"title\"/\"text\"".into());
    }
    let published_at = match r.published_at.as_deref().filter(|p| !p.trim().is_empty()) {
        Some(p) => Some(duluan_text::parse_date(p).ok_or_else(|| format!("cannot read published_at `{p}`"))?),
        None => None,
    };
    Ok(IngestRecord::Text {
        label: label.to_string(),
        url,
        title: r.title.unwrap_or_default(),
        text: r.text.unwrap_or_default(),
        published_at,
        lang: r.lang,
    })
}

impl Iterator for Records {
    type Item = IngestRecord;

    fn next(&mut self) -> Option<IngestRecord> {
        loop {
            if self.lines.is_some() {
                if let Some(r) = self.next_line() {
                    return Some(r);
                }
                continue;
            }
            if self.warc.is_some() {
                if let Some(r) = self.next_page() {
                    return Some(r);
                }
                continue;
            }
            let path = self.files.next()?;
            if is_warc(&path) {
                self.open_warc(path);
                continue;
            }
            let is_jsonl = matches!(path.extension().and_then(|e| e.to_str()), Some("jsonl" | "ndjson" | "json"));
            if is_jsonl {
                match std::fs::File::open(&path) {
                    Ok(f) => self.lines = Some((path, std::io::BufReader::new(f), 0, 0)),
                    Err(e) => {
                        self.errors.fetch_add(1, Ordering::SeqCst);
                        eprintln!("{}: cannot read: {e}", path.display());
                    }
                }
                continue;
            }
            match std::fs::read(&path) {
                Ok(html) => {
                    let absolute = std::fs::canonicalize(&path).unwrap_or(path.clone());
                    let url = url::Url::from_file_path(&absolute)
                        .map(|u| u.to_string())
                        .unwrap_or_else(|_| format!("file://{}", absolute.display()));
                    return Some(IngestRecord::Html { label: path.display().to_string(), url, html });
                }
                Err(e) => {
                    self.errors.fetch_add(1, Ordering::SeqCst);
                    eprintln!("{}: cannot read: {e}", path.display());
                }
            }
        }
    }
}
