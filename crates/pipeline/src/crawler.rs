//! Crawling: poll sources for links and posts, then lease frontier URLs and fetch them.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use duluan_crawl::{Discovery, Expect, FetchError, Fetcher, Response, Validators, adapter_for};
use duluan_model::{Item, Severity, Source};
use duluan_store::{
    AlertRequest, FetchOutcome, FrontierEntry, NewUrl, PageCommit, PageStored, PollRecord, SourceState, Store,
    SystemAlert,
};
use tokio::sync::{mpsc, watch};
use tracing::Instrument;
use url::Url;

use crate::process::{Hints, Origin, Processed, build_item, process_html};
use crate::{Pipeline, Result, Stats};

/// URLs a worker leases at once.
const LEASE_BATCH: i64 = 4;
/// Attempts before a URL that keeps failing with transient errors is given up.
const MAX_ATTEMPTS: i64 = 4;
/// Child documents (sitemaps of an index) read per poll.
const MAX_CHILD_DOCUMENTS: usize = 50;
/// Default link-following depth.
const DEFAULT_MAX_DEPTH: u32 = 2;
/// Most fetched pages committed in one store transaction.
const COMMIT_BATCH: usize = 64;

/// What a pass found.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct CrawlReport {
    /// Sources polled.
    pub sources_polled: usize,
    /// Sources whose poll failed.
    pub sources_failed: usize,
    /// New article URLs queued.
    pub urls_queued: usize,
    /// Posts stored straight from social sources.
    pub posts_stored: usize,
}

/// What one poll found.
#[derive(Debug, Default)]
struct PollResult {
    queued: usize,
    posts: usize,
}

/// Crawls the configured sources into the pipeline.
#[derive(Debug, Clone)]
pub struct Crawler {
    pipeline: Arc<Pipeline>,
    fetcher: Arc<Fetcher>,
    sources: Arc<HashMap<String, Source>>,
    order: Arc<Vec<String>>,
    worker_name: String,
}

impl Crawler {
    /// A crawler over `sources`.
    pub fn new(pipeline: Arc<Pipeline>, fetcher: Arc<Fetcher>, sources: Vec<Source>) -> Crawler {
        let order = sources.iter().map(|s| s.id.clone()).collect();
        let sources = sources.into_iter().map(|s| (s.id.clone(), s)).collect();
        let worker_name = format!("{}-{}", hostname(), std::process::id());
        Crawler { pipeline, fetcher, sources: Arc::new(sources), order: Arc::new(order), worker_name }
    }

    /// The prefix of this host's worker names.
    pub fn worker_prefix() -> String {
        format!("{}-", hostname())
    }

    /// The configured sources in file order.
    pub fn sources(&self) -> Vec<&Source> {
        self.order.iter().filter_map(|id| self.sources.get(id)).collect()
    }

    /// Poll every enabled source that is due (all of them with `force`).
    pub async fn poll_sources(&self, force: bool) -> Result<CrawlReport> {
        let now = Utc::now();
        let mut report = CrawlReport::default();
        let mut polls = Vec::new();
        for source in self.sources().into_iter().filter(|s| s.enabled) {
            let state = self.pipeline.store.source_state(&source.id).await?;
            if !force && state.next_due_at.is_some_and(|due| due > now) {
                continue;
            }
            let this = self.clone();
            let source = source.clone();
            let span = tracing::info_span!("poll", source = %source.id);
            polls.push(tokio::spawn(async move { this.poll(&source, state).await }.instrument(span)));
        }
        for poll in polls {
            report.sources_polled += 1;
            match poll.await {
                Ok(Ok(Some(found))) => {
                    report.urls_queued += found.queued;
                    report.posts_stored += found.posts;
                }
                Ok(Ok(None)) => report.sources_failed += 1,
                Ok(Err(e)) => {
                    report.sources_failed += 1;
                    tracing::error!(error = %e, "source poll failed");
                }
                Err(e) => {
                    report.sources_failed += 1;
                    tracing::error!(error = %e, "source poll task failed");
                }
            }
        }
        Ok(report)
    }

    /// Poll one source: fetch it, queue new links, store posts, record the poll, check health.
    /// `None` when the source could not be read (the failure is recorded).
    async fn poll(&self, source: &Source, state: SourceState) -> Result<Option<PollResult>> {
        let now = Utc::now();
        let validators = Validators { etag: state.etag.clone(), last_modified: state.last_modified.clone() };
        let (discovery, fresh, error) = match self.discover(source, &validators).await {
            Ok((d, v)) => (d, v, None),
            Err(reason) => (Discovery::default(), Validators::default(), Some(reason)),
        };
        let limit = source.max_items.unwrap_or(self.pipeline.config.crawl.max_items_per_poll);
        let posts = self.store_posts(source, &discovery, limit, now).await?;
        let urls: Vec<NewUrl> = discovery
            .links
            .into_iter()
            .take(limit)
            .map(|l| NewUrl { url: l.url.to_string(), title: l.title, published: l.published, ..NewUrl::default() })
            .collect();
        let queued = self.pipeline.store.enqueue(&source.id, &urls, now).await?;
        let found = queued + posts;
        let interval = self.next_interval(source, &state, found, error.is_some());
        let record = PollRecord {
            at: now,
            next_due_at: now + chrono::Duration::seconds(interval),
            error: error.clone(),
            new_items: found as i64,
            etag: fresh.etag,
            last_modified: fresh.last_modified,
            interval_secs: interval,
        };
        self.pipeline.store.record_poll(&source.id, &record).await?;
        match &error {
            Some(e) => {
                metrics::counter!("duluan_source_poll_errors_total", "source" => source.id.clone()).increment(1);
                tracing::warn!(error = %e, interval_secs = interval, "source poll failed")
            }
            None => tracing::info!(links = urls.len(), queued, posts, interval_secs = interval, "source polled"),
        }
        self.check_health(source, &state, error.as_deref(), now).await?;
        Ok(error.is_none().then_some(PollResult { queued, posts }))
    }

    /// Sources that publish often are polled more often: shorter after a poll with news, longer
    /// after an empty one, slower again after a failure, within `[min, max]` minutes.
    fn next_interval(&self, source: &Source, state: &SourceState, found: usize, failed: bool) -> i64 {
        let c = &self.pipeline.config.crawl;
        let (min, max) = (i64::from(c.min_interval_minutes) * 60, i64::from(c.max_interval_minutes) * 60);
        let base = i64::from(source.schedule.unwrap_or(c.default_interval_minutes)) * 60;
        let current = state.interval_secs.unwrap_or(base);
        let next = if failed {
            current * 2
        } else if found > 0 {
            current * 2 / 3
        } else {
            current * 3 / 2
        };
        next.clamp(min, max.max(min))
    }

    async fn discover(
        &self,
        source: &Source,
        validators: &Validators,
    ) -> std::result::Result<(Discovery, Validators), String> {
        let url = Url::parse(&source.url).map_err(|e| format!("bad source url: {e}"))?;
        let adapter = adapter_for(source);
        let response = self.fetcher.fetch(&url, adapter.expect(), Some(validators)).await.map_err(|e| e.to_string())?;
        if response.not_modified {
            return Ok((Discovery::default(), response.validators));
        }
        let mut discovery = adapter.parse(&response.body, response.charset.as_deref(), &response.url)?;
        // Child documents: a sitemap index's sitemaps, or robots.txt's sitemap index and its
        // sitemaps. Two levels at most, each document once.
        let mut seen: HashSet<Url> = HashSet::from([response.url.clone()]);
        let mut pending = std::mem::take(&mut discovery.children);
        for _level in 0..2 {
            let mut next = Vec::new();
            for child in pending.into_iter().filter(|c| seen.insert(c.clone())).take(MAX_CHILD_DOCUMENTS) {
                match self.fetcher.fetch(&child, adapter.expect(), None).await {
                    Ok(r) => match adapter.parse(&r.body, r.charset.as_deref(), &r.url) {
                        Ok(d) => {
                            discovery.links.extend(d.links);
                            discovery.posts.extend(d.posts);
                            next.extend(d.children);
                        }
                        Err(e) => tracing::warn!(document = %child, error = %e, "child document skipped"),
                    },
                    Err(e) => tracing::warn!(document = %child, error = %e, "child document skipped"),
                }
            }
            pending = next;
        }
        Ok((discovery, response.validators))
    }

    /// Posts arrive with their content: build and store them now, and record their URLs as done
    /// (after the store commit, so a crash in between only repeats work).
    async fn store_posts(
        &self,
        source: &Source,
        discovery: &Discovery,
        limit: usize,
        now: DateTime<Utc>,
    ) -> Result<usize> {
        if discovery.posts.is_empty() {
            return Ok(0);
        }
        let engine = self.pipeline.engine();
        let origin = Origin::of(source);
        let posts = discovery.posts.iter().take(limit).cloned().collect::<Vec<_>>();
        let items = self
            .pipeline
            .on_cpu(move || {
                posts
                    .iter()
                    .map(|p| {
                        let canonical = p.url.to_string();
                        build_item(
                            &engine,
                            &canonical,
                            &canonical,
                            &p.title,
                            &p.text,
                            p.lang.as_deref(),
                            p.published,
                            &origin,
                            now,
                        )
                    })
                    .collect::<Vec<_>>()
            })
            .await?;
        let mut stored = 0;
        for item in items {
            let marker =
                NewUrl { url: item.canonical_url.clone(), done_item: Some(item.id.clone()), ..NewUrl::default() };
            let outcome = self.pipeline.store_item(item).await?;
            if outcome.inserted {
                stored += 1;
            }
            self.pipeline.store.enqueue(&source.id, &[marker], now).await?;
        }
        Ok(stored)
    }

    /// Raise a source-health alert when polls keep failing or the source went quiet.
    async fn check_health(
        &self,
        source: &Source,
        before: &SourceState,
        error: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let c = &self.pipeline.config.crawl;
        let problem = match error {
            Some(e) if before.error_streak + 1 >= c.health_error_streak => Some(format!(
                "{} lần quét lỗi liên tiếp / {} failed polls in a row: {e}",
                before.error_streak + 1,
                before.error_streak + 1
            )),
            Some(_) => None,
            None => self.quiet_source(source, c.health_min_ratio, now).await?,
        };
        let Some(detail) = problem else { return Ok(()) };
        let alert = SystemAlert {
            kind: "source_health".into(),
            key: format!("source:{}", source.id),
            severity: Severity::Medium,
            team: self.pipeline.config.alerts.default_team.clone(),
            title: format!("Nguồn tin có vấn đề: {}", source.display_name()),
            detail,
            once: false,
        };
        let (id, new) = self.pipeline.store.raise_system_alert(&alert, now).await?;
        if new {
            Stats::bump(&self.pipeline.stats.alerts_raised, "duluan_alerts_raised_total", 1);
            tracing::warn!(alert = id, detail = %alert.detail, "source health alert raised");
        }
        Ok(())
    }

    /// Whether the source brought far fewer new URLs over the last two days than its usual rate
    /// over the twelve days before. Needs a week of history and a usual rate worth watching.
    async fn quiet_source(&self, source: &Source, min_ratio: f64, now: DateTime<Utc>) -> Result<Option<String>> {
        let days = self.pipeline.store.discovery_days(now - chrono::Duration::days(14)).await?;
        let mine: Vec<_> = days.iter().filter(|d| d.source_id == source.id).collect();
        let Some(first) = mine.first() else { return Ok(None) };
        if now - first.day < chrono::Duration::days(7) {
            return Ok(None);
        }
        let split = now - chrono::Duration::days(2);
        let recent: i64 = mine.iter().filter(|d| d.day >= split).map(|d| d.count).sum();
        let older: i64 = mine.iter().filter(|d| d.day < split).map(|d| d.count).sum();
        let older_days = ((split - first.day).num_days()).max(1) as f64;
        let usual = older as f64 / older_days * 2.0;
        if usual >= 4.0 && (recent as f64) < usual * min_ratio {
            return Ok(Some(format!(
                "{recent} bài mới trong 2 ngày, thường {usual:.0} / {recent} new articles in 2 days, usually {usual:.0}"
            )));
        }
        Ok(None)
    }

    /// Work the frontier with `[crawl] workers` workers. With `until_idle`, return when nothing
    /// is due and no worker is busy; otherwise run until `stop` turns true.
    pub async fn work(&self, until_idle: bool, stop: watch::Receiver<bool>) -> Result<()> {
        // Workers busy leasing or fetching, plus pages waiting for their commit: a page's links
        // reach the frontier only with it, so the crawl is idle only when both are none.
        let busy = Arc::new(AtomicUsize::new(0));
        let (committer, pages) = mpsc::channel(COMMIT_BATCH);
        let commits = tokio::spawn(commit_pages(self.pipeline.clone(), pages, busy.clone()));
        let mut workers = Vec::new();
        for n in 0..self.pipeline.config.crawl.workers {
            let this = self.clone();
            let busy = busy.clone();
            let stop = stop.clone();
            let committer = Committer { pages: committer.clone(), busy: busy.clone() };
            let name = format!("{}-w{n}", self.worker_name);
            workers.push(tokio::spawn(async move { this.worker(name, busy, until_idle, stop, committer).await }));
        }
        // The committer stops once the last worker (holding the last sender) is gone.
        drop(committer);
        let mut outcome = Ok(());
        for w in workers {
            let result = match w.await {
                Ok(r) => r,
                Err(e) => Err(crate::Error::Stopped(format!("crawl worker failed: {e}"))),
            };
            if outcome.is_ok() {
                outcome = result;
            }
        }
        // A failed commit stops the committer; the workers then stop on their next page, and the
        // commit's own error says more than theirs.
        match commits.await {
            Ok(Ok(())) => outcome,
            Ok(Err(e)) => Err(e),
            Err(e) => Err(crate::Error::Stopped(format!("page committer failed: {e}"))),
        }
    }

    async fn worker(
        &self,
        name: String,
        busy: Arc<AtomicUsize>,
        until_idle: bool,
        stop: watch::Receiver<bool>,
        committer: Committer,
    ) -> Result<()> {
        let lease = chrono::Duration::seconds(self.pipeline.config.crawl.lease_secs as i64);
        loop {
            if *stop.borrow() {
                return Ok(());
            }
            // A stopped committer (a failed commit) ends the crawl even while the frontier is empty.
            if committer.pages.is_closed() {
                return Err(crate::Error::Stopped("the page committer stopped".into()));
            }
            busy.fetch_add(1, Ordering::SeqCst);
            let now = Utc::now();
            let entries = match self.pipeline.store.lease_urls(&name, now, now + lease, LEASE_BATCH).await {
                Ok(e) => e,
                Err(e) => {
                    busy.fetch_sub(1, Ordering::SeqCst);
                    return Err(e.into());
                }
            };
            let got = !entries.is_empty();
            for entry in entries {
                let span = tracing::info_span!("fetch", source = %entry.source_id, url = %entry.url);
                if let Err(e) = self.fetch_entry(&entry, &committer).instrument(span).await {
                    busy.fetch_sub(1, Ordering::SeqCst);
                    return Err(e);
                }
            }
            let others_busy = busy.fetch_sub(1, Ordering::SeqCst) > 1;
            if got {
                continue;
            }
            if until_idle && !others_busy {
                return Ok(());
            }
            let mut stop = stop.clone();
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_millis(if until_idle { 100 } else { 1000 })) => {}
                _ = stop.changed() => {}
            }
        }
    }

    /// Fetch and process one URL, then hand its item, its links and its outcome to the committer,
    /// which commits them together. The worker does not wait for the commit: the URL stays leased
    /// until it, so a crash before the commit leaves it to be fetched again.
    async fn fetch_entry(&self, entry: &FrontierEntry, committer: &Committer) -> Result<()> {
        let now = Utc::now();
        let stats = &self.pipeline.stats;
        let mut page = PageCommit {
            url: entry.url.clone(),
            outcome: FetchOutcome::Failed { reason: String::new(), status: None, retry_at: None },
            item: None,
            source_id: entry.source_id.clone(),
            links: Vec::new(),
        };
        page.outcome = match Url::parse(&entry.url) {
            Err(e) => FetchOutcome::Failed { reason: format!("invalid url: {e}"), status: None, retry_at: None },
            Ok(url) => match self.fetcher.fetch(&url, Expect::Html, None).await {
                Err(e) => {
                    Stats::add(&stats.failed, 1);
                    metrics::counter!("duluan_crawl_errors_total", "reason" => e.kind()).increment(1);
                    tracing::warn!(error = %e, "fetch failed");
                    failure(&e, entry.attempts, now)
                }
                Ok(response) => {
                    Stats::bump(&stats.fetched, "duluan_items_fetched_total", 1);
                    self.process_response(entry, response, now, &mut page).await?
                }
            },
        };
        committer.send(page).await
    }

    /// Process a fetched page off the runtime; fill in its item and the links to follow.
    async fn process_response(
        &self,
        entry: &FrontierEntry,
        response: Response,
        now: DateTime<Utc>,
        page: &mut PageCommit,
    ) -> Result<FetchOutcome> {
        let status = Some(i64::from(response.status));
        let engine = self.pipeline.engine();
        let options = self.pipeline.extract_options();
        let source = self.sources.get(&entry.source_id);
        let origin = source.map(Origin::of).unwrap_or_else(|| Origin::ingest(&entry.source_id));
        let hints = Hints { title: entry.hint_title.clone(), published: entry.hint_published };
        let page_url = response.url.clone();
        let processed = self.pipeline.on_cpu(move || {
            process_html(
                &engine,
                &options,
                &response.url,
                &response.body,
                response.charset.as_deref(),
                &origin,
                &hints,
                now,
            )
        });
        let (outcome, links) = match processed.await? {
            Processed::Item(item, links) => {
                let (item, requests) = self.pipeline.prepare_item(*item).await?;
                let outcome = FetchOutcome::Stored { item_id: item.id.clone(), status };
                page.item = Some((item, requests));
                (outcome, links)
            }
            Processed::NotArticle { reason, links } => {
                Stats::add(&self.pipeline.stats.not_articles, 1);
                (FetchOutcome::Skipped { reason, status }, links)
            }
        };
        if let Some(source) = source {
            page.links = self.follow(source, entry, &page_url, links);
        }
        Ok(outcome)
    }

    /// Same-site links of a fetched page to queue for sources that follow links, one level
    /// deeper.
    fn follow(&self, source: &Source, entry: &FrontierEntry, page: &Url, links: Vec<String>) -> Vec<NewUrl> {
        let max_depth = i64::from(source.max_depth.unwrap_or(DEFAULT_MAX_DEPTH));
        if !source.follow_links || entry.depth >= max_depth {
            return Vec::new();
        }
        let limit = source.max_items.unwrap_or(self.pipeline.config.crawl.max_items_per_poll);
        let max_len = self.pipeline.config.crawl.max_url_length;
        links
            .iter()
            .filter_map(|l| Url::parse(l).ok())
            .filter(|u| u.host_str() == page.host_str() && u.as_str().len() <= max_len)
            .map(|u| duluan_crawl::canon::canonicalize(&u))
            .filter(|u| !duluan_crawl::canon::looks_like_trap(u))
            .take(limit)
            .map(|u| NewUrl { url: u.to_string(), depth: entry.depth + 1, ..NewUrl::default() })
            .collect()
    }

    /// Poll all sources (or only due ones) and crawl until the frontier is idle.
    pub async fn run_once(&self, force: bool) -> Result<CrawlReport> {
        let report = self.poll_sources(force).await?;
        let (_stop_tx, stop) = watch::channel(false);
        self.work(true, stop).await?;
        Ok(report)
    }

    /// Poll sources when due and crawl continuously until `stop` turns true.
    pub async fn run(&self, stop: watch::Receiver<bool>) -> Result<()> {
        let scheduler = {
            let this = self.clone();
            let mut stop = stop.clone();
            tokio::spawn(async move {
                loop {
                    if let Err(e) = this.poll_sources(false).await {
                        tracing::error!(error = %e, "polling sources failed");
                    }
                    tokio::select! {
                        _ = tokio::time::sleep(Duration::from_secs(30)) => {}
                        _ = stop.changed() => return,
                    }
                }
            })
        };
        let result = self.work(false, stop).await;
        scheduler.abort();
        result
    }
}

/// The crawl workers' way to the page committer.
#[derive(Debug, Clone)]
struct Committer {
    pages: mpsc::Sender<PageCommit>,
    /// Counts the page as busy until the committer has committed it.
    busy: Arc<AtomicUsize>,
}

impl Committer {
    /// Queue a page for the next commit; waits only while the queue is full.
    async fn send(&self, page: PageCommit) -> Result<()> {
        self.busy.fetch_add(1, Ordering::SeqCst);
        if self.pages.send(page).await.is_err() {
            self.busy.fetch_sub(1, Ordering::SeqCst);
            return Err(crate::Error::Stopped("the page committer stopped".into()));
        }
        Ok(())
    }
}

/// Group commit: take every page waiting (up to [`COMMIT_BATCH`]) and commit them in one store
/// transaction; while it runs, the workers go on fetching and the next batch gathers. On a failed
/// batch each page is tried alone; a page that cannot be committed on its own stops the crawl
/// with that error (its URL stays leased and is fetched again on the next run).
async fn commit_pages(
    pipeline: Arc<Pipeline>,
    mut queue: mpsc::Receiver<PageCommit>,
    busy: Arc<AtomicUsize>,
) -> Result<()> {
    let store = pipeline.store.clone();
    let mut batch = Vec::with_capacity(COMMIT_BATCH);
    let mut recent = RecentItems::default();
    while queue.recv_many(&mut batch, COMMIT_BATCH).await > 0 {
        let mut pages = std::mem::take(&mut batch);
        for (item, requests) in pages.iter_mut().filter_map(|p| p.item.as_mut()) {
            recent.join_story(&pipeline, item, requests);
        }
        let count = pages.len();
        let now = Utc::now();
        let stored = match store.finish_pages(&pages, now).await {
            Ok(stored) if stored.len() == count => Ok(stored),
            _ => commit_one_by_one(store.as_ref(), &pages, now).await,
        };
        busy.fetch_sub(count, Ordering::SeqCst);
        let stored = stored?;
        for (page, stored) in pages.iter().zip(stored) {
            if let Some((item, _)) = &page.item {
                pipeline.record_stored(item, &stored.item);
            }
        }
        batch = pages;
        batch.clear();
    }
    Ok(())
}

/// Items the committer handled last, newest at the back: see [`RecentItems::join_story`].
#[derive(Debug, Default)]
struct RecentItems {
    items: VecDeque<(String, u64, String)>,
}

/// How many recent items the committer remembers. A worker looks the story up before it queues
/// its page; what was committed in between is at most the queue, the batch being committed and
/// a page per waiting worker, far fewer than this.
const RECENT_ITEMS: usize = 1024;

impl RecentItems {
    /// A worker's story lookup cannot see the pages queued or being committed at the time, so
    /// two copies fetched at once would each start a story: an item that started its own story
    /// joins the story of a recent copy (same content, else the nearest within the story
    /// distance) instead. Then it is remembered.
    fn join_story(&mut self, pipeline: &Pipeline, item: &mut Item, requests: &mut Vec<AlertRequest>) {
        if item.story_id == item.id
            && let Some(story) = self.story_of(&item.content_hash, item.simhash)
        {
            item.story_id = story;
            *requests = pipeline.route_item(item);
        }
        self.remember(&item.content_hash, item.simhash, &item.story_id);
    }

    fn remember(&mut self, content_hash: &str, simhash: u64, story: &str) {
        if self.items.len() == RECENT_ITEMS {
            self.items.pop_front();
        }
        self.items.push_back((content_hash.to_string(), simhash, story.to_string()));
    }

    fn story_of(&self, content_hash: &str, simhash: u64) -> Option<String> {
        if let Some((_, _, story)) = self.items.iter().rev().find(|(hash, _, _)| hash == content_hash) {
            return Some(story.clone());
        }
        self.items
            .iter()
            .map(|(_, other, story)| (duluan_crawl::dedup::distance(simhash, *other), story))
            .filter(|(d, _)| *d <= duluan_crawl::dedup::STORY_DISTANCE)
            .min_by_key(|(d, _)| *d)
            .map(|(_, story)| story.clone())
    }
}

/// Commit each page alone (after its batch failed), stopping at the first that fails.
async fn commit_one_by_one(store: &dyn Store, pages: &[PageCommit], now: DateTime<Utc>) -> Result<Vec<PageStored>> {
    let mut stored = Vec::with_capacity(pages.len());
    for page in pages {
        match store.finish_pages(std::slice::from_ref(page), now).await {
            Ok(mut s) => stored.push(s.pop().unwrap_or_default()),
            Err(e) => {
                tracing::error!(url = %page.url, error = %e, "page commit failed");
                return Err(e.into());
            }
        }
    }
    Ok(stored)
}

/// A failed fetch: retried later for transient errors (with growing delays), else final.
fn failure(e: &FetchError, attempts: i64, now: DateTime<Utc>) -> FetchOutcome {
    let retry_at =
        (e.retryable() && attempts < MAX_ATTEMPTS).then(|| now + chrono::Duration::minutes(5 * attempts.max(1)));
    FetchOutcome::Failed { reason: e.to_string(), status: e.status().map(i64::from), retry_at }
}

fn hostname() -> String {
    std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "duluan".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recent_items_give_the_story_of_a_copy() {
        let mut recent = RecentItems::default();
        recent.remember("h1", 0xFFFF_0000_FFFF_0000, "s1");
        recent.remember("h2", 0x0000_FFFF_0000_FFFF, "s2");
        assert_eq!(recent.story_of("h2", 0).as_deref(), Some("s2"), "same content");
        assert_eq!(recent.story_of("h3", 0xFFFF_0000_FFFF_0007).as_deref(), Some("s1"), "3 bits apart");
        assert_eq!(recent.story_of("h3", 0xFFFF_0000_FFFF_000F), None, "4 bits apart");
        for i in 0..RECENT_ITEMS {
            recent.remember(&format!("x{i}"), 0x1234_5678_9ABC_DEF0, "other");
        }
        assert_eq!(recent.story_of("h1", 0xFFFF_0000_FFFF_0000), None, "forgotten");
    }
}
