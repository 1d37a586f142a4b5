//! Writing a report: JSON (every number), Markdown, and a self-contained HTML page with SVG
//! charts and a print stylesheet (for PDF).

mod html;
mod markdown;
mod pdf;
mod svg;
mod words;

pub use html::{body, html, stylesheet};
pub use markdown::markdown;
pub use pdf::{find_chromium, pdf};

/// A line chart (inline SVG, no script) of up to five named series over the same `labels`, in
/// the reports' colours; `percent` formats the axis as shares.
pub fn line_chart(label: &str, labels: &[String], series: &[(String, Vec<f64>)], percent: bool) -> String {
    let series: Vec<svg::Series<'_>> = series
        .iter()
        .zip(html::COLORS.iter().cycle())
        .map(|((name, values), color)| svg::Series { name, color, values: values.clone() })
        .collect();
    svg::lines(label, labels, &series, &[], percent)
}

use crate::Report;

/// The report as pretty-printed JSON.
pub fn json(report: &Report) -> String {
    // Every field is a plain number, string or date: serialisation cannot fail.
    serde_json::to_string_pretty(report).unwrap_or_default()
}

/// `0.1234` → `12.3 %`.
pub(crate) fn percent(share: f64) -> String {
    format!("{:.1} %", share * 100.0)
}

/// `0.25` → `+25.0 %`, `None` → `—`.
pub(crate) fn signed_percent(change: Option<f64>) -> String {
    match change {
        Some(c) => format!("{:+.1} %", c * 100.0),
        None => "—".to_string(),
    }
}
