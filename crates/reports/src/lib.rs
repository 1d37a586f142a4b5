//! Opinion-trend reports.
//!
//! Takes the index (counts over fast fields, sampled titles and leads) and the store (stories,
//! alert triage) and produces a [`Report`] for a calendar [`Period`]: volume and share of
//! coverage per day, sentiment shares and the terms behind the negative share, rising terms
//! (log-likelihood against the previous period), top sources and stories, spikes against a
//! weekday-adjusted baseline, and triage figures — for all items and for each configured topic.
//! Every figure carries the search that reproduces it. [`render`] writes it as JSON, Markdown or a
//! self-contained HTML page with SVG charts.

mod build;
pub mod monitor;
mod period;
pub mod render;
mod report;
pub mod schedule;
pub mod stats;
pub mod terms;

pub use build::{Settings, build, topic_query, triage};
pub use period::{Period, Unit, parse_timezone, start_of};
pub use report::*;

/// Errors while making a report.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Bad period, time zone or topic.
    #[error("{0}")]
    Input(String),
    /// The index failed.
    #[error(transparent)]
    Index(duluan_index::Error),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] duluan_store::Error),
    /// Printing to PDF failed.
    #[error("{0}")]
    Print(String),
}

/// `Result` with this crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;
