//! The source of truth.
//!
//! Takes items, crawl state, alerts, triage moves and accounts, and keeps them durable behind one
//! [`Store`] trait. [`SqlStore`] implements it with the same SQL on the embedded default (SQLite in
//! WAL mode) and on PostgreSQL for shared deployments; [`conformance`] is the one test suite every
//! backend must pass. Guarantees: an item, its index-outbox entry and the alerts it raises commit in
//! one transaction; re-storing an unchanged item changes nothing; a claim is a lease checked in the
//! same statement that takes it, so two people never hold one alert; the audit log is append-only.
//! The search index is not kept here: it is derived from the outbox.

pub mod conformance;
mod migrate;
mod sql;
mod types;

pub use sql::SqlStore;
pub use types::*;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use duluan_model::{
    Alert, AlertState, AuditEntry, AuditEvent, Item, NewSavedSearch, Notification, NotificationState, Priority,
    ReasonCode, Role, SavedSearch, Silence, User, Verdict,
};

/// Errors from the store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The database failed or is unreachable.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// A stored value could not be decoded.
    #[error("corrupt stored value in {what}: {detail}")]
    Corrupt {
        /// Which value.
        what: &'static str,
        /// Why.
        detail: String,
    },
    /// The thing asked for does not exist.
    #[error("{0} not found")]
    NotFound(String),
    /// The change conflicts with the current state (e.g. the alert is held by someone else).
    #[error("conflict: {0}")]
    Conflict(String),
    /// The request is invalid (e.g. a user name already taken).
    #[error("invalid: {0}")]
    Invalid(String),
    /// Unsupported database URL.
    #[error("unsupported database url `{0}` (use sqlite://PATH or postgres://...)")]
    UnsupportedUrl(String),
}

/// `Result` with the store's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

/// Everything duluan keeps. One implementation per database; all must pass [`conformance`].
#[async_trait]
pub trait Store: Send + Sync + std::fmt::Debug {
    // ---- items ------------------------------------------------------------------------------

    /// Store an item (insert, or update if its content or flags changed) with its outbox entry,
    /// and group its alerting flags into alerts — all in one transaction. Unchanged items are a
    /// no-op. `alerts` lists the alert to raise or join for each alerting flag.
    async fn store_item(&self, item: &Item, alerts: &[AlertRequest], now: DateTime<Utc>) -> Result<StoreOutcome>;

    /// One item.
    async fn item(&self, id: &str) -> Result<Option<Item>>;

    /// Items of a story, newest first.
    async fn story_items(&self, story_id: &str, limit: i64) -> Result<Vec<Item>>;

    /// The story an item with this exact content hash or a near-duplicate SimHash belongs to.
    async fn find_story(&self, content_hash: &str, simhash: u64, max_distance: u32) -> Result<Option<String>>;

    /// Outbox entries after `seq` (items committed to the store since), oldest first.
    async fn outbox_after(&self, seq: i64, limit: i64) -> Result<Vec<(i64, Item)>>;

    /// Remove outbox entries up to and including `seq` (they are in a committed index).
    async fn outbox_prune(&self, seq: i64) -> Result<()>;

    /// The newest outbox sequence number (0 when empty).
    async fn outbox_head(&self) -> Result<i64>;

    /// All items ordered by id, `limit` after `after_id` (for rebuilding the index).
    async fn items_page(&self, after_id: &str, limit: i64) -> Result<Vec<Item>>;

    /// Counts for summaries and health.
    async fn counts(&self) -> Result<Counts>;

    // ---- crawl state ------------------------------------------------------------------------

    /// Crawl state of a source (created on first use).
    async fn source_state(&self, source_id: &str) -> Result<SourceState>;

    /// All known sources' crawl state.
    async fn source_states(&self) -> Result<Vec<SourceState>>;

    /// Record a poll of a source.
    async fn record_poll(&self, source_id: &str, poll: &PollRecord) -> Result<()>;

    /// Queue article URLs found on a source; returns how many were new (the rest were seen before).
    async fn enqueue(&self, source_id: &str, urls: &[NewUrl], now: DateTime<Utc>) -> Result<usize>;

    /// New URLs per source and day since `since` (publishing rate, for source health).
    async fn discovery_days(&self, since: DateTime<Utc>) -> Result<Vec<DiscoveryDay>>;

    /// Lease up to `limit` due URLs for a worker (queued, or leased by someone whose lease expired).
    async fn lease_urls(
        &self,
        owner: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<FrontierEntry>>;

    /// Put URLs leased by workers whose name starts with `owner_prefix` back in the queue (their
    /// process is known to be gone: the embedded store's data-directory lock is held by us).
    async fn requeue_abandoned(&self, owner_prefix: &str) -> Result<u64>;

    /// Record the outcome of a leased URL.
    async fn finish_url(&self, url: &str, outcome: &FetchOutcome, now: DateTime<Utc>) -> Result<()>;

    /// Commit fetched pages: for each, in order, store its item ([`Store::store_item`]), queue
    /// its links ([`Store::enqueue`]) and record its URL's outcome ([`Store::finish_url`]).
    /// Backends do it in one transaction, so a crawl pays one commit per batch of pages rather
    /// than several per page, and a crash leaves each URL either finished with everything it
    /// found, or still leased and fetched again. This default does it step by step.
    async fn finish_pages(&self, pages: &[PageCommit], now: DateTime<Utc>) -> Result<Vec<PageStored>> {
        let mut done = Vec::with_capacity(pages.len());
        for page in pages {
            let item = match &page.item {
                Some((item, alerts)) => self.store_item(item, alerts, now).await?,
                None => StoreOutcome::default(),
            };
            let queued = self.enqueue(&page.source_id, &page.links, now).await?;
            self.finish_url(&page.url, &page.outcome, now).await?;
            done.push(PageStored { item, queued });
        }
        Ok(done)
    }

    /// Frontier counts by state, optionally for one source.
    async fn frontier_counts(&self, source_id: Option<&str>) -> Result<FrontierCounts>;

    /// Recorded failures, newest first.
    async fn failures(&self, limit: i64) -> Result<Vec<FrontierEntry>>;

    // ---- alerts and triage ------------------------------------------------------------------

    /// Alerts matching a filter, newest first, paged by id.
    async fn alerts(&self, filter: &AlertFilter) -> Result<Vec<Alert>>;

    /// One alert.
    async fn alert(&self, id: i64) -> Result<Option<Alert>>;

    /// Item ids of an alert, newest first.
    async fn alert_item_ids(&self, id: i64) -> Result<Vec<String>>;

    /// Alerts an item belongs to.
    async fn alerts_for_item(&self, item_id: &str) -> Result<Vec<Alert>>;

    /// The audit trail of an alert, oldest first.
    async fn audit(&self, alert_id: i64) -> Result<Vec<AuditEvent>>;

    /// Take the lease on an alert. Fails with [`Error::Conflict`] when someone else holds a live
    /// lease or the alert is decided.
    async fn claim(&self, id: i64, user: &str, now: DateTime<Utc>, lease_until: DateTime<Utc>) -> Result<Alert>;

    /// Give the alert back to the queue (only its holder).
    async fn release(&self, id: i64, user: &str, now: DateTime<Utc>) -> Result<Alert>;

    /// Hand a held alert to another user, who gets a fresh lease.
    async fn handoff(
        &self,
        id: i64,
        from: &str,
        to: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<Alert>;

    /// Decide an alert: only the holder of a live lease may.
    async fn verdict(
        &self,
        id: i64,
        user: &str,
        verdict: Verdict,
        reason: ReasonCode,
        note: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Alert>;

    /// Put a decided alert back into the queue.
    async fn reopen(&self, id: i64, user: &str, now: DateTime<Utc>) -> Result<Alert>;

    /// A lead gives an open alert to a collaborator, who holds it under a fresh lease.
    async fn assign(
        &self,
        id: i64,
        by: &str,
        to: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<Alert>;

    /// Close a decided alert.
    async fn close(&self, id: i64, user: &str, now: DateTime<Utc>) -> Result<Alert>;

    /// Set an alert's priority.
    async fn set_priority(&self, id: i64, user: &str, priority: Priority, now: DateTime<Utc>) -> Result<Alert>;

    /// Return alerts whose lease ran out to the queue; returns how many.
    async fn expire_leases(&self, now: DateTime<Utc>) -> Result<u64>;

    /// Raise an alert that is not about a rule hit (source health, spikes): it joins the open
    /// alert of the same kind and key if there is one. Returns the alert id and whether it is new.
    async fn raise_system_alert(&self, alert: &SystemAlert, now: DateTime<Utc>) -> Result<(i64, bool)>;

    /// Create a silence and mute the open alerts it matches (each muting is audited).
    async fn create_silence(&self, silence: &NewSilence, now: DateTime<Utc>) -> Result<Silence>;

    /// Silences, newest first: live ones only, or all.
    async fn silences(&self, include_ended: bool, now: DateTime<Utc>) -> Result<Vec<Silence>>;

    /// End a silence now; the alerts it muted show in the queue again.
    async fn expire_silence(&self, id: i64, user: &str, now: DateTime<Utc>) -> Result<Silence>;

    /// Lease due notifications for delivery (a crashed notifier's lease runs out and they are
    /// tried again).
    async fn lease_notifications(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<Notification>>;

    /// Record a delivery attempt.
    async fn finish_notification(&self, id: i64, outcome: &DeliveryOutcome, now: DateTime<Utc>) -> Result<()>;

    /// Notifications, newest first, optionally in one state, paged by id.
    async fn notifications(
        &self,
        state: Option<NotificationState>,
        limit: i64,
        before_id: Option<i64>,
    ) -> Result<Vec<Notification>>;

    /// Delivery figures per receiver.
    async fn receiver_stats(&self) -> Result<Vec<ReceiverStats>>;

    /// Queue one `overdue` notification for each unclaimed, unmuted alert older than its
    /// severity's target (minutes; 0 means none); returns the alerts concerned.
    async fn notify_overdue(&self, now: DateTime<Utc>, targets: &[(duluan_model::Severity, i64)]) -> Result<Vec<i64>>;

    /// How each rule's alerts were judged, in all and among those decided since `recent_since`.
    async fn rule_stats(&self, recent_since: DateTime<Utc>) -> Result<Vec<RuleStats>>;

    /// Record the start of a scheduled report run; `None` when a run for the same schedule and
    /// due time exists already (so a report never runs twice).
    async fn start_report_run(&self, run: &NewReportRun, now: DateTime<Utc>) -> Result<Option<i64>>;

    /// Record how a run ended: when it succeeded, its outputs and one pending delivery per
    /// receiver, all in one transaction.
    async fn finish_report_run(
        &self,
        id: i64,
        outcome: std::result::Result<ReportOutput<'_>, &str>,
        now: DateTime<Utc>,
    ) -> Result<()>;

    /// Lease due report deliveries (like [`Store::lease_notifications`]).
    async fn lease_report_deliveries(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<ReportDelivery>>;

    /// Record the outcome of a delivery attempt.
    async fn finish_report_delivery(&self, id: i64, outcome: &DeliveryOutcome, now: DateTime<Utc>) -> Result<()>;

    /// The deliveries of a run, oldest first.
    async fn report_deliveries(&self, run_id: i64) -> Result<Vec<ReportDelivery>>;

    /// Forget runs left `running` by a process that died, so catch-up runs them again.
    async fn clear_interrupted_report_runs(&self) -> Result<u64>;

    /// Report runs, newest first, before run id `before_id` when given.
    async fn report_runs(&self, limit: i64, before_id: Option<i64>) -> Result<Vec<ReportRun>>;

    /// One report run.
    async fn report_run(&self, id: i64) -> Result<Option<ReportRun>>;

    /// The latest run of a schedule.
    async fn last_report_run(&self, schedule_id: &str) -> Result<Option<ReportRun>>;

    /// A stored output of a run.
    async fn report_file(&self, id: i64, format: &str) -> Result<Option<String>>;

    /// Raise, claim and verdict times of the alerts raised in `[from, to)`, oldest first.
    async fn alert_timings(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<AlertTiming>>;

    /// Number of alerts per state.
    async fn alert_counts(&self) -> Result<Vec<(AlertState, i64)>>;

    // ---- accounts ---------------------------------------------------------------------------

    /// Create a user; fails with [`Error::Invalid`] if the name is taken.
    async fn create_user(
        &self,
        name: &str,
        password_hash: &str,
        role: Role,
        team: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<User>;

    /// A user and their password hash, by name.
    async fn user_by_name(&self, name: &str) -> Result<Option<(User, String)>>;

    /// All users.
    async fn users(&self) -> Result<Vec<User>>;

    /// Replace a user's password hash.
    async fn set_password(&self, name: &str, password_hash: &str) -> Result<()>;

    /// Store a token hash for a user; returns its id.
    async fn create_token(
        &self,
        user_id: i64,
        name: &str,
        kind: TokenKind,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<i64>;

    /// The user and token id behind a live token hash of the given kind (and mark it used).
    async fn token_user(&self, token_hash: &str, kind: TokenKind, now: DateTime<Utc>) -> Result<Option<(User, i64)>>;

    /// A user's tokens.
    async fn tokens(&self, user_id: Option<i64>) -> Result<Vec<TokenInfo>>;

    /// Revoke a token (by id; `user_id` restricts to that user's tokens).
    async fn revoke_token(&self, id: i64, user_id: Option<i64>, now: DateTime<Utc>) -> Result<()>;

    /// Start a session.
    async fn create_session(
        &self,
        id_hash: &str,
        user_id: i64,
        csrf: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<()>;

    /// The user and CSRF token of a live session.
    async fn session(&self, id_hash: &str, now: DateTime<Utc>) -> Result<Option<(User, String)>>;

    /// End a session.
    async fn delete_session(&self, id_hash: &str) -> Result<()>;

    /// Append an audit event not tied to an alert (e.g. a refused action).
    async fn audit_event(&self, alert_id: Option<i64>, event: &AuditEvent) -> Result<()>;

    /// The whole audit log, newest first: entries with ids below `before` (all when `None`),
    /// only those with `action` when given, at most `limit`.
    async fn audit_log(&self, before: Option<i64>, action: Option<&str>, limit: u32) -> Result<Vec<AuditEntry>>;

    /// Save a search; a name already used in the same team is a conflict.
    async fn create_saved_search(&self, search: &NewSavedSearch, now: DateTime<Utc>) -> Result<SavedSearch>;

    /// Saved searches by name: those shared with everyone, plus those of `team` (of every team
    /// when `team` is `None`).
    async fn saved_searches(&self, team: Option<&str>) -> Result<Vec<SavedSearch>>;

    /// One saved search.
    async fn saved_search(&self, id: i64) -> Result<Option<SavedSearch>>;

    /// Delete a saved search.
    async fn delete_saved_search(&self, id: i64) -> Result<()>;

    // ---- known claims -----------------------------------------------------------------------
    // A verdict `confirmed` with reason `misinformation` records the alert's first item as a known
    // claim in the verdict's transaction (one claim per story; not for alerts raised by a claim);
    // reopening the alert withdraws it unless another such verdict on the story still holds.

    /// Record a known claim; an id already taken is a conflict.
    async fn add_known_claim(&self, claim: &NewKnownClaim, now: DateTime<Utc>) -> Result<KnownClaim>;

    /// Known claims, newest first, at most `limit`.
    async fn known_claims(&self, limit: i64) -> Result<Vec<KnownClaim>>;

    /// Remove a known claim.
    async fn remove_known_claim(&self, id: &str) -> Result<()>;

    /// A stamp that changes whenever a known claim is added or removed.
    async fn known_claims_stamp(&self) -> Result<KnownClaimsStamp>;

    /// Whether the database answers.
    async fn ping(&self) -> Result<()>;
}
