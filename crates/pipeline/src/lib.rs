//! The pipeline: the stages of duluan wired together.
//!
//! Sources are polled for article links, which go into the frontier (a store table); crawl
//! workers lease URLs from it, fetch them politely, and hand the bytes to the CPU stage
//! (decode → extract → clean → language → signatures → rules and sentiment, off the async
//! runtime); the store stage assigns the story, routes alerts and commits item, outbox entry and
//! alerts in one transaction; the indexer tails the outbox and commits the index with the outbox
//! position it covers. Every arrow is a bounded channel or a store table, so a slow stage pushes
//! back instead of filling memory, and a crash loses nothing that was committed.

mod claims;
mod crawler;
mod indexer;
mod ingest;
mod process;
mod reload;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use chrono::Utc;
use duluan_config::Config;
use duluan_index::SearchIndex;
use duluan_model::Item;
use duluan_rules::Engine;
use duluan_store::{AlertRequest, Store, StoreOutcome};
use tokio::sync::Notify;

pub use claims::claim_from_store;
pub use crawler::{CrawlReport, Crawler};
pub use indexer::{CommitPolicy, Indexer, IndexerProgress};
pub use ingest::{IngestRecord, IngestSummary, ingest, ingest_from};
pub use process::{Hints, Origin, Processed, build_item, process_html};

/// Errors that stop a stage.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] duluan_store::Error),
    /// The index failed.
    #[error(transparent)]
    Index(#[from] duluan_index::Error),
    /// A stage stopped unexpectedly.
    #[error("{0}")]
    Stopped(String),
    /// The fetcher could not be built.
    #[error("crawler: {0}")]
    Fetch(#[from] duluan_crawl::FetchError),
}

/// `Result` with this crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

/// Counters of one run, for summaries and metrics.
#[derive(Debug, Default)]
pub struct Stats {
    /// Pages fetched (2xx with a body).
    pub fetched: AtomicU64,
    /// New items stored.
    pub stored: AtomicU64,
    /// Existing items whose content or flags changed.
    pub updated: AtomicU64,
    /// Items seen again unchanged.
    pub unchanged: AtomicU64,
    /// Pages that were not articles.
    pub not_articles: AtomicU64,
    /// URLs that failed (final or to be retried).
    pub failed: AtomicU64,
    /// Stored or updated items with at least one flag.
    pub flagged: AtomicU64,
    /// Alerts created.
    pub alerts_raised: AtomicU64,
    /// Alerts that gained an item.
    pub alerts_joined: AtomicU64,
}

/// A point-in-time copy of [`Stats`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
#[allow(missing_docs)]
pub struct StatsSnapshot {
    pub fetched: u64,
    pub stored: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub not_articles: u64,
    pub failed: u64,
    pub flagged: u64,
    pub alerts_raised: u64,
    pub alerts_joined: u64,
}

impl Stats {
    /// Copy the counters.
    pub fn snapshot(&self) -> StatsSnapshot {
        let g = |c: &AtomicU64| c.load(Ordering::Relaxed);
        StatsSnapshot {
            fetched: g(&self.fetched),
            stored: g(&self.stored),
            updated: g(&self.updated),
            unchanged: g(&self.unchanged),
            not_articles: g(&self.not_articles),
            failed: g(&self.failed),
            flagged: g(&self.flagged),
            alerts_raised: g(&self.alerts_raised),
            alerts_joined: g(&self.alerts_joined),
        }
    }

    pub(crate) fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    /// Count in the run's stats and in the process-wide Prometheus metric `name`.
    pub(crate) fn bump(counter: &AtomicU64, name: &'static str, n: u64) {
        Stats::add(counter, n);
        if n > 0 {
            metrics::counter!(name).increment(n);
        }
    }
}

/// The shared parts every stage uses.
#[derive(Debug)]
pub struct Pipeline {
    /// Configuration.
    pub config: Arc<Config>,
    /// The store.
    pub store: Arc<dyn Store>,
    /// The search index (read side).
    pub index: SearchIndex,
    /// Counters.
    pub stats: Arc<Stats>,
    engine: RwLock<Arc<Engine>>,
    indexer_wake: Arc<Notify>,
    claims_loaded: std::sync::Mutex<claims::Loaded>,
    /// One permit per core for the CPU stage: sixteen crawl workers each handing a page to the
    /// blocking pool would run sixteen threads on two cores, switching between them and keeping
    /// a malloc arena each.
    cpu_slots: Arc<tokio::sync::Semaphore>,
}

impl Pipeline {
    /// Assemble a pipeline. `indexer_wake` is the running indexer's waker.
    pub fn new(
        config: Arc<Config>,
        store: Arc<dyn Store>,
        index: SearchIndex,
        engine: Engine,
        indexer_wake: Arc<Notify>,
    ) -> Pipeline {
        Pipeline {
            config,
            store,
            index,
            stats: Arc::new(Stats::default()),
            engine: RwLock::new(Arc::new(engine)),
            indexer_wake,
            claims_loaded: Default::default(),
            cpu_slots: Arc::new(tokio::sync::Semaphore::new(
                std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get),
            )),
        }
    }

    /// Run CPU-bound work `f` off the async runtime, at most one task per core at a time.
    pub(crate) async fn on_cpu<T: Send + 'static>(&self, f: impl FnOnce() -> T + Send + 'static) -> Result<T> {
        let stopped = |e: &dyn std::fmt::Display| Error::Stopped(format!("processing task failed: {e}"));
        let permit = self.cpu_slots.clone().acquire_owned().await.map_err(|e| stopped(&e))?;
        let done = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            f()
        });
        done.await.map_err(|e| stopped(&e))
    }

    /// The rules and sentiment in force.
    pub fn engine(&self) -> Arc<Engine> {
        self.engine.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Replace the rules (hot reload); items in flight finish with the old ones. The known claims
    /// from the store carry over to the new engine.
    pub fn set_engine(&self, engine: Engine) {
        let stored = self.engine().claims.stored_claims();
        if !stored.is_empty() {
            engine.claims.set_stored(stored);
        }
        *self.engine.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(engine);
    }

    /// The store stage: assign the story, route alerts, commit, wake the indexer, count.
    pub async fn store_item(&self, item: Item) -> Result<StoreOutcome> {
        let (item, requests) = self.prepare_item(item).await?;
        let outcome = self.store.store_item(&item, &requests, Utc::now()).await?;
        self.record_stored(&item, &outcome);
        Ok(outcome)
    }

    /// The first half of the store stage, before the write: assign the story and route alerts.
    /// The crawler commits the result with the page's links and URL outcome in one batch.
    pub(crate) async fn prepare_item(&self, mut item: Item) -> Result<(Item, Vec<AlertRequest>)> {
        if let Some(story) =
            self.store.find_story(&item.content_hash, item.simhash, duluan_crawl::dedup::STORY_DISTANCE).await?
        {
            item.story_id = story;
        }
        let requests = self.route_item(&mut item);
        Ok((item, requests))
    }

    /// The alerts an item raises or joins, once its story is settled.
    pub(crate) fn route_item(&self, item: &mut Item) -> Vec<AlertRequest> {
        // A copy of a story collaborators confirmed joins that story's alert already: its match
        // with the claim made from the verdict is recorded, but does not page a second time.
        for flag in &mut item.flags {
            if flag.claim.as_ref().and_then(|c| c.story.as_deref()) == Some(item.story_id.as_str()) {
                flag.alert = false;
            }
        }
        duluan_alerts::alert_requests(&self.config.alerts, item)
    }

    /// The second half of the store stage, after the commit: wake the indexer, count, log.
    pub(crate) fn record_stored(&self, item: &Item, outcome: &StoreOutcome) {
        if outcome.changed() {
            self.indexer_wake.notify_one();
            if !item.flags.is_empty() {
                Stats::bump(&self.stats.flagged, "duluan_items_flagged_total", 1);
                for flag in &item.flags {
                    metrics::counter!("duluan_flags_total", "rule" => flag.rule.to_string()).increment(1);
                }
            }
        }
        if outcome.inserted {
            Stats::bump(&self.stats.stored, "duluan_items_stored_total", 1);
        } else if outcome.updated {
            Stats::bump(&self.stats.updated, "duluan_items_updated_total", 1);
        } else {
            Stats::add(&self.stats.unchanged, 1);
        }
        Stats::bump(&self.stats.alerts_raised, "duluan_alerts_raised_total", outcome.alerts_raised.len() as u64);
        Stats::add(&self.stats.alerts_joined, outcome.alerts_joined.len() as u64);
        if !outcome.alerts_raised.is_empty() {
            tracing::info!(alerts = ?outcome.alerts_raised, item = %item.id, title = %item.title, "alert raised");
        }
    }

    /// Extraction settings from the configuration.
    pub fn extract_options(&self) -> duluan_extract::Options {
        duluan_extract::Options {
            min_article_chars: self.config.extract.min_article_chars,
            max_nodes: self.config.extract.max_nodes,
            lang_hint: None,
        }
    }
}
