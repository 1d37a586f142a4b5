//! Ingesting pages and texts that were collected elsewhere (files, JSONL, archives).

use std::sync::Arc;

use chrono::{DateTime, Utc};
use futures::StreamExt;
use url::Url;

use crate::process::{Hints, Origin, Processed, build_item, process_html};
use crate::{Pipeline, Result, Stats};

/// One input document.
#[derive(Debug, Clone)]
pub enum IngestRecord {
    /// A page to extract.
    Html {
        /// Where it was found (file path or line), for messages.
        label: String,
        /// Its URL.
        url: String,
        /// The HTML bytes.
        html: Vec<u8>,
    },
    /// Text that needs no extraction.
    Text {
        /// Where it was found, for messages.
        label: String,
        /// Its URL.
        url: String,
        /// Title.
        title: String,
        /// Text.
        text: String,
        /// Publication time.
        published_at: Option<DateTime<Utc>>,
        /// Language, if known.
        lang: Option<String>,
    },
}

impl IngestRecord {
    fn label(&self) -> &str {
        match self {
            IngestRecord::Html { label, .. } | IngestRecord::Text { label, .. } => label,
        }
    }
}

/// What an ingest run did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct IngestSummary {
    /// Records read.
    pub records: u64,
    /// New items stored.
    pub stored: u64,
    /// Items already stored and unchanged.
    pub unchanged: u64,
    /// Existing items updated.
    pub updated: u64,
    /// Pages that were not articles.
    pub not_articles: u64,
    /// Records that failed, with the reason (`label: reason`).
    pub failures: Vec<String>,
}

/// Process records on up to `parallelism` CPU workers and store them one by one; the bounded
/// number of records in flight is the back-pressure. `on_done` is called after each record.
/// The items are recorded as of the source `source_id`, without its tags or region (see
/// [`ingest_from`] for a configured source).
pub async fn ingest(
    pipeline: Arc<Pipeline>,
    records: impl Iterator<Item = IngestRecord>,
    source_id: &str,
    parallelism: usize,
    on_done: impl FnMut(&str, Option<&str>),
) -> Result<IngestSummary> {
    ingest_from(pipeline, records, Origin::ingest(source_id), parallelism, on_done).await
}

/// [`ingest`] with the items' origin given whole: a configured source's tags, region and language,
/// which rule filters, alert routes and search read.
pub async fn ingest_from(
    pipeline: Arc<Pipeline>,
    records: impl Iterator<Item = IngestRecord>,
    origin: Origin,
    parallelism: usize,
    mut on_done: impl FnMut(&str, Option<&str>),
) -> Result<IngestSummary> {
    let mut summary = IngestSummary::default();
    let processed = futures::stream::iter(records)
        .map(|record| {
            let engine = pipeline.engine();
            let options = pipeline.extract_options();
            let origin = origin.clone();
            tokio::task::spawn_blocking(move || {
                let label = record.label().to_string();
                (label, process_record(&engine, &options, record, &origin))
            })
        })
        .buffer_unordered(parallelism.max(1));
    futures::pin_mut!(processed);
    while let Some(joined) = processed.next().await {
        summary.records += 1;
        let (label, result) = match joined {
            Ok(pair) => pair,
            Err(e) => ("?".to_string(), Err(format!("processing panicked: {e}"))),
        };
        match result {
            Ok(Processed::Item(item, _)) => {
                let outcome = pipeline.store_item(*item).await?;
                if outcome.inserted {
                    summary.stored += 1;
                } else if outcome.updated {
                    summary.updated += 1;
                } else {
                    summary.unchanged += 1;
                }
                on_done(&label, None);
            }
            Ok(Processed::NotArticle { reason, .. }) => {
                Stats::add(&pipeline.stats.not_articles, 1);
                summary.not_articles += 1;
                on_done(&label, Some(&reason));
            }
            Err(reason) => {
                Stats::add(&pipeline.stats.failed, 1);
                on_done(&label, Some(&reason));
                summary.failures.push(format!("{label}: {reason}"));
            }
        }
    }
    Ok(summary)
}

fn process_record(
    engine: &duluan_rules::Engine,
    options: &duluan_extract::Options,
    record: IngestRecord,
    origin: &Origin,
) -> std::result::Result<Processed, String> {
    let now = Utc::now();
    match record {
        IngestRecord::Html { url, html, .. } => {
            let parsed = Url::parse(&url).map_err(|e| format!("invalid url `{url}`: {e}"))?;
            Ok(process_html(engine, options, &parsed, &html, None, origin, &Hints::default(), now))
        }
        IngestRecord::Text { url, title, text, published_at, lang, .. } => {
            let parsed = Url::parse(&url).map_err(|e| format!("invalid url `{url}`: {e}"))?;
            if title.trim().is_empty() && text.trim().is_empty() {
                return Err("record has neither title nor text".into());
            }
            let canonical = duluan_crawl::canon::canonicalize(&parsed).to_string();
            let item = build_item(engine, &url, &canonical, &title, &text, lang.as_deref(), published_at, origin, now);
            Ok(Processed::Item(Box::new(item), Vec::new()))
        }
    }
}
