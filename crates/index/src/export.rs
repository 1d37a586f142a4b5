//! Exports of a whole result set, streamed: matching items are read segment by segment in index
//! order and handed on one at a time, so memory stays flat however many match. [`ExportWriter`]
//! turns rows into CSV (UTF-8 with a BOM, so Excel shows Vietnamese correctly, and with formula
//! cells defused), a JSON array or NDJSON.

use std::io::{self, Write};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tantivy::query::EnableScoring;
use tantivy::schema::Value;
use tantivy::{DocAddress, DocSet, TERMINATED, TantivyDocument};

use crate::search::check_length;
use crate::{Query, Result, SearchIndex};

/// Output format of an export.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    /// Comma-separated values, UTF-8 with BOM, a header row.
    #[default]
    Csv,
    /// One JSON array of objects.
    Json,
    /// One JSON object per line.
    Ndjson,
}

impl ExportFormat {
    /// The HTTP content type.
    pub fn content_type(self) -> &'static str {
        match self {
            ExportFormat::Csv => "text/csv; charset=utf-8",
            ExportFormat::Json => "application/json",
            ExportFormat::Ndjson => "application/x-ndjson",
        }
    }

    /// The file name extension.
    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Csv => "csv",
            ExportFormat::Json => "json",
            ExportFormat::Ndjson => "ndjson",
        }
    }
}

/// One exported item.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ExportRow {
    /// Item id.
    pub id: String,
    /// Published (or fetched) time.
    pub published_at: Option<DateTime<Utc>>,
    /// Source id.
    pub source: String,
    /// Language.
    pub lang: String,
    /// Sentiment label.
    pub sentiment: String,
    /// Sentiment score in [-1, 1].
    pub sentiment_score: f64,
    /// Rules that flagged it.
    pub rules: Vec<String>,
    /// Story id.
    pub story: String,
    /// Title.
    pub title: String,
    /// URL.
    pub url: String,
    /// Opening of the text.
    pub lead: String,
}

const CSV_HEADER: &str = "id,published_at,source,lang,sentiment,sentiment_score,rules,story,title,url,lead";

/// A CSV cell: quoted, and a leading `= + - @` (or tab, CR) neutralised so spreadsheets never
/// run crawled text as a formula. A plain number (`-0.974`) is no formula and stays a number:
/// neutralised, negative sentiment scores were text that sums and sorts left out.
pub fn csv_cell(s: &str) -> String {
    let number =
        s.parse::<f64>().is_ok_and(f64::is_finite) && s.bytes().all(|b| b.is_ascii_digit() || b"+-.eE".contains(&b));
    let risky = s.starts_with(['=', '+', '-', '@', '\t', '\r']) && !number;
    let s = if risky { format!("'{s}") } else { s.to_string() };
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// Writes rows in one format: the opening on creation, one row per call, the closing on
/// [`ExportWriter::finish`].
pub struct ExportWriter<W: Write> {
    out: W,
    format: ExportFormat,
    rows: u64,
}

impl<W: Write> ExportWriter<W> {
    /// Start an export into `out`.
    pub fn new(mut out: W, format: ExportFormat) -> io::Result<ExportWriter<W>> {
        match format {
            ExportFormat::Csv => write!(out, "\u{FEFF}{CSV_HEADER}\r\n")?,
            ExportFormat::Json => out.write_all(b"[")?,
            ExportFormat::Ndjson => {}
        }
        Ok(ExportWriter { out, format, rows: 0 })
    }

    /// Write one row.
    pub fn row(&mut self, row: &ExportRow) -> io::Result<()> {
        match self.format {
            ExportFormat::Csv => {
                let cells = [
                    row.id.clone(),
                    row.published_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
                    row.source.clone(),
                    row.lang.clone(),
                    row.sentiment.clone(),
                    format!("{:.3}", row.sentiment_score),
                    row.rules.join(" "),
                    row.story.clone(),
                    row.title.clone(),
                    row.url.clone(),
                    row.lead.clone(),
                ];
                let line: Vec<String> = cells.iter().map(|c| csv_cell(c)).collect();
                write!(self.out, "{}\r\n", line.join(","))?;
            }
            ExportFormat::Json => {
                if self.rows > 0 {
                    self.out.write_all(b",")?;
                }
                self.out.write_all(b"\n")?;
                serde_json::to_writer(&mut self.out, row)?;
            }
            ExportFormat::Ndjson => {
                serde_json::to_writer(&mut self.out, row)?;
                self.out.write_all(b"\n")?;
            }
        }
        self.rows += 1;
        Ok(())
    }

    /// Rows written so far.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// The output, to flush or hand on part-way (streaming).
    pub fn get_mut(&mut self) -> &mut W {
        &mut self.out
    }

    /// Close the export and return the output.
    pub fn finish(mut self) -> io::Result<W> {
        if self.format == ExportFormat::Json {
            self.out.write_all(b"\n]\n")?;
        }
        self.out.flush()?;
        Ok(self.out)
    }
}

impl SearchIndex {
    /// Hand every item `q` matches (its text and filters; sort, paging and facets are ignored)
    /// to `each`, in index order (about the order of ingestion), until `each` returns `false`.
    /// Returns how many were handed on.
    pub fn export(&self, q: &Query, mut each: impl FnMut(ExportRow) -> bool) -> Result<u64> {
        check_length(q)?;
        let query = self.build_query(q)?;
        let searcher = self.reader.searcher();
        let weight = query.weight(EnableScoring::disabled_from_searcher(&searcher))?;
        let mut sent = 0;
        for (ord, segment) in searcher.segment_readers().iter().enumerate() {
            let alive = segment.alive_bitset();
            let mut docs = weight.scorer(segment, 1.0)?;
            let mut doc = docs.doc();
            while doc != TERMINATED {
                if alive.is_none_or(|a| a.is_alive(doc)) {
                    let stored: TantivyDocument = searcher.doc(DocAddress::new(ord as u32, doc))?;
                    if !each(self.export_row(&stored)) {
                        return Ok(sent);
                    }
                    sent += 1;
                }
                doc = docs.advance();
            }
        }
        Ok(sent)
    }

    fn export_row(&self, doc: &TantivyDocument) -> ExportRow {
        let f = &self.fields;
        let text = |field| doc.get_first(field).and_then(|v| v.as_str()).unwrap_or_default().to_string();
        ExportRow {
            id: text(f.id),
            published_at: doc
                .get_first(f.published)
                .and_then(|v| v.as_datetime())
                .and_then(|d| DateTime::from_timestamp_millis(d.into_timestamp_millis())),
            source: text(f.source),
            lang: text(f.lang),
            sentiment: text(f.sentiment),
            sentiment_score: doc.get_first(f.sentiment_score).and_then(|v| v.as_f64()).unwrap_or_default(),
            rules: doc.get_all(f.rules).filter_map(|v| v.as_str().map(str::to_string)).collect(),
            story: text(f.story),
            title: text(f.title_exact),
            url: text(f.url),
            lead: text(f.lead),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row() -> ExportRow {
        ExportRow {
            id: "a1".into(),
            source: "vnexpress".into(),
            title: "=cmd|' /C calc'!A0 \"giá\"".into(),
            rules: vec!["r1".into(), "r2".into()],
            ..ExportRow::default()
        }
    }

    fn write(format: ExportFormat, rows: usize) -> String {
        let mut w = ExportWriter::new(Vec::new(), format).unwrap();
        for _ in 0..rows {
            w.row(&row()).unwrap();
        }
        String::from_utf8(w.finish().unwrap()).unwrap()
    }

    #[test]
    fn csv_has_a_bom_a_header_and_defused_cells() {
        let csv = write(ExportFormat::Csv, 1);
        assert!(csv.starts_with("\u{FEFF}id,published_at,"), "{csv}");
        let line = csv.lines().nth(1).unwrap();
        assert!(line.starts_with("\"a1\",\"\",\"vnexpress\""), "{line}");
        assert!(line.contains("\"r1 r2\""), "{line}");
        assert!(line.contains("\"'=cmd|' /C calc'!A0 \"\"giá\"\"\""), "{line}");
    }

    #[test]
    fn numbers_stay_numbers_and_formulas_that_look_numeric_do_not() {
        for number in ["-0.974", "+1", "-1e3", "0.5"] {
            assert_eq!(csv_cell(number), format!("\"{number}\""));
        }
        for formula in ["-1+cmd|' /C calc'!A0", "-inf", "-NaN", "+1)", "-", "@SUM(A1)", "=1"] {
            assert!(csv_cell(formula).starts_with("\"'"), "{formula}");
        }
        let mut negative = row();
        negative.sentiment_score = -0.974;
        let mut w = ExportWriter::new(Vec::new(), ExportFormat::Csv).unwrap();
        w.row(&negative).unwrap();
        let csv = String::from_utf8(w.finish().unwrap()).unwrap();
        assert!(csv.contains(",\"-0.974\","), "{csv}");
    }

    #[test]
    fn json_is_one_array_and_ndjson_one_object_per_line() {
        for rows in [0, 1, 3] {
            let json: serde_json::Value = serde_json::from_str(&write(ExportFormat::Json, rows)).unwrap();
            assert_eq!(json.as_array().map(Vec::len), Some(rows));
        }
        let nd = write(ExportFormat::Ndjson, 3);
        assert_eq!(nd.lines().count(), 3);
        for line in nd.lines() {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            assert_eq!(v["rules"][1], "r2");
        }
    }
}
