//! Scoring shared by the `eval` example and the `bench-compare` crate, so every extractor is
//! measured the same way.
//!
//! Text is compared as a bag of words over the whole document, the way the public extraction
//! benchmarks do (ScrapingHub's article-extraction-benchmark, trafilatura's evaluation):
//! - a token is a maximal run of letters, digits, `_` and combining marks (Python's `\w+`), except
//!   that every Han, Hiragana and Katakana character is a token of its own (those scripts do not
//!   separate words with spaces, so a run would be a whole sentence);
//! - tokens are compared exactly (case kept, no normalisation);
//! - per document, true positives are the multiset intersection of expected and extracted tokens;
//!   precision = tp / extracted tokens, recall = tp / expected tokens, F1 their harmonic mean;
//! - `mean` is the average of the per-document figures; `micro` sums tp/fp/fn over all documents.
//!
//! Dates count as right when the extracted instant falls on the expected calendar day in the
//! expected value's own UTC offset.

#![allow(dead_code, unreachable_pub)]

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset, Utc};

/// One evaluation page.
#[derive(Debug, Clone)]
pub struct Page {
    /// Path of the HTML file relative to the data set root (the page's id).
    pub id: String,
    pub group: String,
    pub url: Option<String>,
    pub html: String,
    pub expected_text: String,
    pub expected_date: Option<DateTime<FixedOffset>>,
}

/// Load a data set: `DIR/index.jsonl`, one page per line, either in the layout of
/// `extraction-dev/fundus/index.jsonl` (`{html, url, country, expected: {body: {summary,
/// sections: [{headline, paragraphs}]}, publishing_date}}`) or the flat layout
/// `{html, url, group, text, published_date}`. HTML files may be gzip'd (`.gz`).
pub fn load(dir: &Path) -> Result<Vec<Page>, String> {
    let index = dir.join("index.jsonl");
    let listing = std::fs::read_to_string(&index).map_err(|e| format!("{}: {e}", index.display()))?;
    let mut pages = Vec::new();
    let mut keys = Vec::new();
    for (n, line) in listing.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let v: serde_json::Value =
            serde_json::from_str(line).map_err(|e| format!("{}:{}: {e}", index.display(), n + 1))?;
        let Some(rel) = v["html"].as_str() else { continue };
        let path: PathBuf = dir.join(rel);
        let bytes = read_maybe_gz(&path)?;
        let tld = v["url"]
            .as_str()
            .and_then(|u| u.rsplit_once("://"))
            .and_then(|(_, rest)| rest.split('/').next().and_then(|host| host.rsplit('.').next()).map(str::to_string));
        let html = duluan_text::decode(&bytes, None, tld.as_deref()).text;
        let expected = &v["expected"];
        let expected_text = if let Some(t) = v["text"].as_str() { t.to_string() } else { fundus_body(expected) };
        let date = v["published_date"].as_str().or_else(|| expected["publishing_date"].as_str());
        pages.push(Page {
            id: rel.to_string(),
            group: v["group"].as_str().or_else(|| v["country"].as_str()).unwrap_or("").to_string(),
            url: v["url"].as_str().map(str::to_string),
            html,
            expected_text,
            expected_date: date.and_then(parse_expected_date),
        });
        keys.push(v["publisher"].as_str().map(|p| format!("{}/{p}", v["country"].as_str().unwrap_or(""))));
    }
    repair_pairing(&mut pages, &keys);
    Ok(pages)
}

/// `extraction-dev/fundus/index.jsonl` pairs some pages with the expected output of another page
/// of the same publisher (95 of 252 pages: the HTML does not contain the expected text). Within each
/// publisher, give every page the expected record whose words it contains best, then drop pages
/// that still contain less than 80 % of their expected words (the text is not in the HTML at all).
fn repair_pairing(pages: &mut Vec<Page>, keys: &[Option<String>]) {
    let oracle = |page: &Page, text: &str| -> f64 { score(text, &strip_tags(&page.html)).recall() };
    let mut groups: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, k) in keys.iter().enumerate() {
        if let Some(k) = k {
            groups.entry(k.as_str()).or_default().push(i);
        }
    }
    let mut repaired = 0;
    for idx in groups.values() {
        if idx.len() < 2 || idx.len() > 6 {
            continue;
        }
        let truths: Vec<(String, Option<DateTime<FixedOffset>>)> =
            idx.iter().map(|&i| (pages[i].expected_text.clone(), pages[i].expected_date)).collect();
        // Greedy: best (page, truth) pair first.
        let mut pairs: Vec<(f64, usize, usize)> = Vec::new();
        for (a, &i) in idx.iter().enumerate() {
            for (b, t) in truths.iter().enumerate() {
                pairs.push((oracle(&pages[i], &t.0), a, b));
            }
        }
        pairs.sort_by(|x, y| y.0.total_cmp(&x.0));
        let (mut used_a, mut used_b) = (vec![false; idx.len()], vec![false; idx.len()]);
        for (_, a, b) in pairs {
            if used_a[a] || used_b[b] {
                continue;
            }
            used_a[a] = true;
            used_b[b] = true;
            if a != b {
                repaired += 1;
            }
            pages[idx[a]].expected_text.clone_from(&truths[b].0);
            pages[idx[a]].expected_date = truths[b].1;
        }
    }
    let before = pages.len();
    pages.retain(|p| p.expected_text.is_empty() || oracle(p, &p.expected_text) >= 0.8);
    if repaired > 0 || before != pages.len() {
        eprintln!(
            "ground truth: {repaired} pages re-paired with their publisher's other record, {} dropped (text not in the HTML)",
            before - pages.len()
        );
    }
}

/// Every character outside tags (entities left as written): what a page could possibly yield.
fn strip_tags(html: &str) -> String {
    let mut out = String::with_capacity(html.len() / 2);
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

fn read_maybe_gz(path: &Path) -> Result<Vec<u8>, String> {
    let raw = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if raw.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(raw.as_slice())
            .read_to_end(&mut out)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(out)
    } else {
        Ok(raw)
    }
}

/// The article body of a fundus record: summary, then each section's headline and paragraphs.
pub fn fundus_body(expected: &serde_json::Value) -> String {
    let mut parts: Vec<&str> = Vec::new();
    let body = &expected["body"];
    let strings = |v: &'_ serde_json::Value| -> Vec<String> {
        v.as_array().map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect()).unwrap_or_default()
    };
    let summary = strings(&body["summary"]);
    let mut owned: Vec<String> = summary;
    if let Some(sections) = body["sections"].as_array() {
        for s in sections {
            owned.extend(strings(&s["headline"]));
            owned.extend(strings(&s["paragraphs"]));
        }
    }
    parts.extend(owned.iter().map(String::as_str));
    parts.join("\n")
}

/// `2024-05-03 15:47:42.389000+00:00`, RFC 3339, or a bare date (taken as UTC midnight).
pub fn parse_expected_date(s: &str) -> Option<DateTime<FixedOffset>> {
    let s = s.trim();
    for f in ["%Y-%m-%d %H:%M:%S%.f%:z", "%Y-%m-%d %H:%M:%S%:z", "%Y-%m-%dT%H:%M:%S%.f%:z"] {
        if let Ok(d) = DateTime::parse_from_str(s, f) {
            return Some(d);
        }
    }
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return Some(d);
    }
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(12, 0, 0))
        .map(|d| d.and_utc().fixed_offset())
}

/// Whether `got` falls on the expected day (in the expected value's offset).
pub fn same_day(expected: &DateTime<FixedOffset>, got: &DateTime<Utc>) -> bool {
    got.with_timezone(&expected.timezone()).date_naive() == expected.date_naive()
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || ('\u{0300}'..='\u{036f}').contains(&c) || is_mark_like(c)
}

fn is_mark_like(c: char) -> bool {
    // Combining marks of Indic, Thai and Arabic scripts are not alphanumeric but belong to words.
    matches!(c, '\u{0610}'..='\u{061a}' | '\u{064b}'..='\u{065f}' | '\u{0900}'..='\u{0dff}' | '\u{0e31}'..='\u{0e4e}')
}

fn is_cjk(c: char) -> bool {
    matches!(c, '\u{3040}'..='\u{30ff}' | '\u{3400}'..='\u{4dbf}' | '\u{4e00}'..='\u{9fff}' | '\u{f900}'..='\u{faff}')
}

/// Tokens of `text` (see the module comment).
pub fn tokens(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    for (i, c) in text.char_indices() {
        if is_cjk(c) {
            if let Some(s) = start.take() {
                out.push(&text[s..i]);
            }
            out.push(&text[i..i + c.len_utf8()]);
        } else if is_word_char(c) {
            if start.is_none() {
                start = Some(i);
            }
        } else if let Some(s) = start.take() {
            out.push(&text[s..i]);
        }
    }
    if let Some(s) = start {
        out.push(&text[s..]);
    }
    out
}

/// True positives, false positives and false negatives of one document.
#[derive(Debug, Clone, Copy, Default)]
pub struct Counts {
    pub tp: u64,
    pub fp: u64,
    pub fn_: u64,
}

impl Counts {
    pub fn add(&mut self, o: Counts) {
        self.tp += o.tp;
        self.fp += o.fp;
        self.fn_ += o.fn_;
    }
    pub fn precision(&self) -> f64 {
        if self.tp + self.fp == 0 {
            if self.fn_ == 0 { 1.0 } else { 0.0 }
        } else {
            self.tp as f64 / (self.tp + self.fp) as f64
        }
    }
    pub fn recall(&self) -> f64 {
        if self.tp + self.fn_ == 0 { 1.0 } else { self.tp as f64 / (self.tp + self.fn_) as f64 }
    }
    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 { 0.0 } else { 2.0 * p * r / (p + r) }
    }
}

/// Bag-of-words comparison of extracted text against the expected text.
pub fn score(expected: &str, got: &str) -> Counts {
    let mut want: HashMap<&str, i64> = HashMap::new();
    for t in tokens(expected) {
        *want.entry(t).or_default() += 1;
    }
    let mut c = Counts::default();
    for t in tokens(got) {
        match want.get_mut(t) {
            Some(n) if *n > 0 => {
                *n -= 1;
                c.tp += 1;
            }
            _ => c.fp += 1,
        }
    }
    c.fn_ = want.values().map(|&n| n.max(0) as u64).sum();
    c
}

/// Aggregate of many documents.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    pub docs: usize,
    pub micro: Counts,
    pub sum_p: f64,
    pub sum_r: f64,
    pub sum_f: f64,
    pub dated: usize,
    pub date_found: usize,
    pub date_right: usize,
    pub seconds: f64,
}

impl Summary {
    pub fn add(&mut self, c: Counts) {
        self.docs += 1;
        self.micro.add(c);
        self.sum_p += c.precision();
        self.sum_r += c.recall();
        self.sum_f += c.f1();
    }
    pub fn add_date(&mut self, expected: Option<&DateTime<FixedOffset>>, got: Option<&DateTime<Utc>>) {
        if let Some(e) = expected {
            self.dated += 1;
            if let Some(g) = got {
                self.date_found += 1;
                if same_day(e, g) {
                    self.date_right += 1;
                }
            }
        }
    }
    pub fn mean_p(&self) -> f64 {
        self.sum_p / self.docs.max(1) as f64
    }
    pub fn mean_r(&self) -> f64 {
        self.sum_r / self.docs.max(1) as f64
    }
    pub fn mean_f(&self) -> f64 {
        self.sum_f / self.docs.max(1) as f64
    }
    pub fn docs_per_sec(&self) -> f64 {
        if self.seconds > 0.0 { self.docs as f64 / self.seconds } else { 0.0 }
    }
    pub fn header() -> String {
        format!(
            "{:<18} {:>5} {:>7} {:>7} {:>7} {:>8} {:>8} {:>9} {:>9}",
            "extractor", "docs", "P", "R", "F1", "microF1", "date%", "docs/s", "ms/doc"
        )
    }
    pub fn row(&self, name: &str) -> String {
        let date = if self.dated == 0 { f64::NAN } else { 100.0 * self.date_right as f64 / self.dated as f64 };
        format!(
            "{:<18} {:>5} {:>7.4} {:>7.4} {:>7.4} {:>8.4} {:>8.1} {:>9.1} {:>9.2}",
            name,
            self.docs,
            self.mean_p(),
            self.mean_r(),
            self.mean_f(),
            self.micro.f1(),
            date,
            self.docs_per_sec(),
            if self.docs == 0 { 0.0 } else { 1000.0 * self.seconds / self.docs as f64 }
        )
    }
}
