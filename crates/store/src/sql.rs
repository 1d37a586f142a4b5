//! [`Store`] on SQLite or PostgreSQL through sqlx's `Any` driver: one SQL text for both.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use duluan_model::{
    Alert, AlertState, AuditEntry, AuditEvent, Item, NewSavedSearch, Notification, NotificationState, Priority,
    ReasonCode, Role, SavedSearch, Sentiment, Severity, Silence, User, Verdict,
};
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, AssertSqlSafe, Row};
use tokio::sync::Mutex;

use crate::types::{from_millis, json_or_default, millis};
use crate::{
    AlertFilter, AlertRequest, AlertTiming, Counts, DeliveryOutcome, DiscoveryDay, Error, FetchOutcome, FrontierCounts,
    FrontierEntry, KnownClaim, KnownClaimsStamp, Muted, NewKnownClaim, NewReportRun, NewSilence, NewUrl, PageCommit,
    PageStored, PollRecord, ReceiverStats, ReportDelivery, ReportOutput, ReportRun, Result, RuleStats, SourceState,
    Store, StoreOutcome, SystemAlert, TokenInfo, TokenKind, UrlState,
};

const ITEM_COLS: &str = "id, url, canonical_url, source_id, source_tags, region, title, text, lang, published_at, \
     fetched_at, content_hash, simhash, story_id, sentiment, flags";
const ALERT_COLS: &str = "id, rule_id, story_id, team, severity, state, title, item_count, created_at, last_seen_at, \
     claimed_by, lease_expires_at, verdict, reason, note, version, priority, labels, silence_id, first_claimed_at, decided_at";
const SAVED_SEARCH_COLS: &str = "id, team, name, query, filters, created_by, created_at";
const KNOWN_CLAIM_COLS: &str =
    "id, text, title, verdict, severity, route, tags, story_id, alert_id, created_by, added_at";
const SILENCE_COLS: &str = "id, matchers, starts_at, ends_at, quiet_hours, creator, reason, created_at, expired_at";
const NOTIFICATION_COLS: &str =
    "id, alert_id, receiver, event, state, attempts, next_attempt_at, last_error, created_at, sent_at";
const DELIVERY_COLS: &str = "id, run_id, receiver, state, attempts, next_attempt_at, last_error, created_at, sent_at";
/// Most frontier rows queued in one statement (a JSON array of them).
const ENQUEUE_CHUNK: usize = 2_000;
const FRONTIER_COLS: &str =
    "url, source_id, state, attempts, http_status, error, item_id, finished_at, depth, hint_title, hint_published";

/// What decides whether a new version of a stored item changes it: its content and flags, and
/// where it comes from and its language (a source's new tags or region, a corrected language),
/// which filters, routes and search read. Not its dates: a page that says "2 giờ trước" gets a
/// new publication time at every fetch, and every fetch would be a change.
#[derive(Debug, PartialEq)]
struct StoredVersion {
    hash: String,
    flags: String,
    title: String,
    source_id: String,
    source_tags: String,
    region: Option<String>,
    lang: String,
}

impl StoredVersion {
    fn of(item: &Item) -> StoredVersion {
        StoredVersion {
            hash: item.content_hash.clone(),
            flags: serde_json::to_string(&item.flags).unwrap_or_else(|_| "[]".into()),
            title: item.title.clone(),
            source_id: item.source_id.clone(),
            source_tags: serde_json::to_string(&item.source_tags).unwrap_or_else(|_| "[]".into()),
            region: item.region.clone(),
            lang: item.lang.clone(),
        }
    }

    /// Whether `new` leaves this stored version as it is. The same page reached through another
    /// of its site's sources (its feed, then its sitemap) stays with the source that stored it
    /// first unless its content changed: otherwise it would move between them, and be indexed
    /// again, at every crawl.
    fn unchanged_by(&self, new: &StoredVersion) -> bool {
        if self.source_id != new.source_id {
            return self.hash == new.hash && self.title == new.title;
        }
        self == new
    }
}

/// The SQL store.
#[derive(Debug, Clone)]
pub struct SqlStore {
    pool: AnyPool,
    postgres: bool,
    /// SQLite allows one writer: multi-statement write transactions take this lock so they never
    /// fail with SQLITE_BUSY on upgrade. PostgreSQL does not need it.
    write_lock: Arc<Mutex<()>>,
}

impl SqlStore {
    /// Lease up to `limit` pending rows of an outbox table (`notifications`, `report_deliveries`)
    /// that are due at `now`, by moving their next attempt to `lease_until`; a crashed sender's
    /// lease runs out and the rows come due again.
    async fn lease_due(
        &self,
        table: &'static str,
        cols: &'static str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<AnyRow>> {
        let _guard = self.write_guard().await;
        let skip_locked = if self.postgres { " FOR UPDATE SKIP LOCKED" } else { "" };
        let sql = format!(
            "UPDATE {table} SET next_attempt_at = $2 WHERE id IN (SELECT id FROM {table} \
             WHERE state = 'pending' AND next_attempt_at <= $1 ORDER BY next_attempt_at, id LIMIT $3{skip_locked}) \
             RETURNING {cols}"
        );
        Ok(sqlx::query(AssertSqlSafe(sql))
            .bind(millis(now))
            .bind(millis(lease_until))
            .bind(limit)
            .fetch_all(&self.pool)
            .await?)
    }

    /// Connect, set up the connection (WAL, busy timeout, foreign keys on SQLite) and migrate.
    pub async fn connect(url: &str, max_connections: u32) -> Result<SqlStore> {
        sqlx::any::install_default_drivers();
        let postgres = url.starts_with("postgres://") || url.starts_with("postgresql://");
        let sqlite = url.starts_with("sqlite:");
        if !postgres && !sqlite {
            return Err(Error::UnsupportedUrl(url.to_string()));
        }
        let pool = AnyPoolOptions::new()
            .max_connections(max_connections.max(1))
            .acquire_timeout(std::time::Duration::from_secs(30))
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if sqlite {
                        sqlx::raw_sql(
                            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=15000; PRAGMA foreign_keys=ON;",
                        )
                        .execute(&mut *conn)
                        .await?;
                    }
                    Ok(())
                })
            })
            .connect(url)
            .await?;
        crate::migrate::run(&pool, postgres).await?;
        Ok(SqlStore { pool, postgres, write_lock: Arc::new(Mutex::new(())) })
    }

    async fn write_guard(&self) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        if self.postgres { None } else { Some(self.write_lock.lock().await) }
    }

    /// A write transaction. On SQLite it is `BEGIN IMMEDIATE`: the write lock is taken up front
    /// (waiting under the busy timeout), so a transaction never has to upgrade a read lock and
    /// fail with SQLITE_BUSY when another connection wrote in between.
    async fn write_tx(&self) -> Result<Tx<'static>> {
        let begin = if self.postgres { "BEGIN" } else { "BEGIN IMMEDIATE" };
        Ok(self.pool.begin_with(begin).await?)
    }

    /// Whether this store runs on PostgreSQL.
    pub fn is_postgres(&self) -> bool {
        self.postgres
    }
}

fn corrupt(what: &'static str, detail: impl ToString) -> Error {
    Error::Corrupt { what, detail: detail.to_string() }
}

fn item_from_row(row: &AnyRow) -> Result<Item> {
    let sentiment: String = row.try_get("sentiment")?;
    let flags: String = row.try_get("flags")?;
    let tags: String = row.try_get("source_tags")?;
    Ok(Item {
        id: row.try_get("id")?,
        url: row.try_get("url")?,
        canonical_url: row.try_get("canonical_url")?,
        source_id: row.try_get("source_id")?,
        source_tags: json_or_default(&tags),
        region: row.try_get("region")?,
        title: row.try_get("title")?,
        text: row.try_get("text")?,
        lang: row.try_get("lang")?,
        published_at: row.try_get::<Option<i64>, _>("published_at")?.map(from_millis),
        fetched_at: from_millis(row.try_get("fetched_at")?),
        content_hash: row.try_get("content_hash")?,
        simhash: row.try_get::<i64, _>("simhash")? as u64,
        story_id: row.try_get("story_id")?,
        sentiment: serde_json::from_str::<Sentiment>(&sentiment).map_err(|e| corrupt("item sentiment", e))?,
        flags: serde_json::from_str(&flags).map_err(|e| corrupt("item flags", e))?,
    })
}

fn alert_from_row(row: &AnyRow) -> Result<Alert> {
    let parse = |what: &'static str, v: String| -> Result<_> { Ok((what, v)) };
    let (_, severity) = parse("severity", row.try_get("severity")?)?;
    let state: String = row.try_get("state")?;
    let verdict: Option<String> = row.try_get("verdict")?;
    let reason: Option<String> = row.try_get("reason")?;
    Ok(Alert {
        id: row.try_get("id")?,
        state: AlertState::from_str(&state).map_err(|e| corrupt("alert state", e))?,
        rule: row.try_get("rule_id")?,
        severity: Severity::from_str(&severity).map_err(|e| corrupt("alert severity", e))?,
        story: row.try_get("story_id")?,
        team: row.try_get("team")?,
        title: row.try_get("title")?,
        item_count: row.try_get("item_count")?,
        created_at: from_millis(row.try_get("created_at")?),
        last_seen_at: from_millis(row.try_get("last_seen_at")?),
        claimed_by: row.try_get("claimed_by")?,
        lease_expires_at: row.try_get::<Option<i64>, _>("lease_expires_at")?.map(from_millis),
        verdict: verdict.map(|v| Verdict::from_str(&v)).transpose().map_err(|e| corrupt("alert verdict", e))?,
        reason: reason.map(|r| ReasonCode::from_str(&r)).transpose().map_err(|e| corrupt("alert reason", e))?,
        note: row.try_get("note")?,
        version: row.try_get("version")?,
        priority: Priority::from_rank(row.try_get("priority")?),
        labels: json_or_default(&row.try_get::<String, _>("labels")?),
        silence_id: row.try_get("silence_id")?,
        first_claimed_at: row.try_get::<Option<i64>, _>("first_claimed_at")?.map(from_millis),
        decided_at: row.try_get::<Option<i64>, _>("decided_at")?.map(from_millis),
    })
}

fn saved_search_from_row(row: &AnyRow) -> Result<SavedSearch> {
    let team: String = row.try_get("team")?;
    let filters: String = row.try_get("filters")?;
    Ok(SavedSearch {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        team: Some(team).filter(|t| !t.is_empty()),
        query: row.try_get("query")?,
        filters: serde_json::from_str(&filters).map_err(|e| corrupt("saved search filters", e))?,
        created_by: row.try_get("created_by")?,
        created_at: from_millis(row.try_get("created_at")?),
    })
}

fn known_claim_from_row(row: &AnyRow) -> Result<KnownClaim> {
    let severity: String = row.try_get("severity")?;
    Ok(KnownClaim {
        id: row.try_get("id")?,
        text: row.try_get("text")?,
        title: row.try_get("title")?,
        verdict: row.try_get("verdict")?,
        severity: Severity::from_str(&severity).map_err(|e| corrupt("known claim severity", e))?,
        route: row.try_get("route")?,
        tags: json_or_default(&row.try_get::<String, _>("tags")?),
        story_id: row.try_get("story_id")?,
        alert_id: row.try_get("alert_id")?,
        created_by: row.try_get("created_by")?,
        added_at: from_millis(row.try_get("added_at")?),
    })
}

/// Insert a known claim unless its id is taken; returns whether it was inserted.
async fn insert_known_claim(tx: &mut Tx<'_>, claim: &NewKnownClaim, now: DateTime<Utc>) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO known_claims (id, text, title, verdict, severity, route, tags, story_id, alert_id, created_by, added_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (id) DO NOTHING",
    )
    .bind(&claim.id)
    .bind(&claim.text)
    .bind(claim.title.clone())
    .bind(&claim.verdict)
    .bind(claim.severity.as_str())
    .bind(claim.route.clone())
    .bind(serde_json::to_string(&claim.tags).unwrap_or_else(|_| "[]".into()))
    .bind(claim.story_id.clone())
    .bind(claim.alert_id)
    .bind(&claim.created_by)
    .bind(millis(now))
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Record the first item of an alert confirmed as misinformation as a known claim of its story.
/// Alerts raised by a known claim add nothing: their rumour is known already.
async fn record_verdict_claim(tx: &mut Tx<'_>, alert: &Alert, by: &str, now: DateTime<Utc>) -> Result<()> {
    if alert.rule.starts_with("claim:") {
        return Ok(());
    }
    let first = sqlx::query(
        "SELECT i.title, i.text FROM alert_items ai JOIN items i ON i.id = ai.item_id \
         WHERE ai.alert_id = $1 ORDER BY ai.added_at, ai.item_id LIMIT 1",
    )
    .bind(alert.id)
    .fetch_optional(&mut **tx)
    .await?;
    // System alerts (source health, spikes) have no item to take a claim from.
    let Some(first) = first else { return Ok(()) };
    let (title, text): (String, String) = (first.try_get("title")?, first.try_get("text")?);
    let claim = NewKnownClaim {
        id: crate::verdict_claim_id(&alert.story),
        text: crate::verdict_claim_text(&title, &text),
        title: Some(title).filter(|t| !t.trim().is_empty()),
        verdict: "false".into(),
        severity: alert.severity,
        route: Some(alert.team.clone()),
        tags: alert.labels.tags.clone(),
        story_id: Some(alert.story.clone()),
        alert_id: Some(alert.id),
        created_by: by.to_string(),
    };
    if insert_known_claim(tx, &claim, now).await? {
        tracing::info!(claim = %claim.id, alert = alert.id, "known claim recorded from a verdict");
    }
    Ok(())
}

/// Withdraw the known claim a reopened alert had made; another alert of the story still confirmed
/// as misinformation makes it again.
async fn withdraw_verdict_claim(tx: &mut Tx<'_>, alert: &Alert, by: &str, now: DateTime<Utc>) -> Result<()> {
    let removed = sqlx::query("DELETE FROM known_claims WHERE alert_id = $1")
        .bind(alert.id)
        .execute(&mut **tx)
        .await?
        .rows_affected();
    if removed == 0 {
        return Ok(());
    }
    tracing::info!(alert = alert.id, "known claim withdrawn with its verdict");
    let sql = format!(
        "SELECT {ALERT_COLS} FROM alerts WHERE story_id = $1 AND id <> $2 AND verdict = 'confirmed' \
         AND reason = 'misinformation' AND rule_id NOT LIKE 'claim:%' ORDER BY id LIMIT 1"
    );
    let other = sqlx::query(AssertSqlSafe(sql)).bind(&alert.story).bind(alert.id).fetch_optional(&mut **tx).await?;
    if let Some(row) = other {
        record_verdict_claim(tx, &alert_from_row(&row)?, by, now).await?;
    }
    Ok(())
}

/// What a triage move changes besides the alert, in its transaction.
enum Followup {
    None,
    /// A confirmed misinformation verdict: the item becomes a known claim.
    RecordClaim {
        by: String,
        at: DateTime<Utc>,
    },
    /// A reopened alert: the known claim it made is withdrawn.
    WithdrawClaim {
        by: String,
        at: DateTime<Utc>,
    },
}

fn silence_from_row(row: &AnyRow, now: DateTime<Utc>) -> Result<Silence> {
    let matchers: String = row.try_get("matchers")?;
    let starts_at = from_millis(row.try_get("starts_at")?);
    let ends_at = from_millis(row.try_get("ends_at")?);
    let expired_at = row.try_get::<Option<i64>, _>("expired_at")?.map(from_millis);
    Ok(Silence {
        id: row.try_get("id")?,
        matchers: serde_json::from_str(&matchers).map_err(|e| corrupt("silence matchers", e))?,
        starts_at,
        ends_at,
        quiet_hours: row.try_get("quiet_hours")?,
        creator: row.try_get("creator")?,
        reason: row.try_get("reason")?,
        created_at: from_millis(row.try_get("created_at")?),
        active: expired_at.is_none() && starts_at <= now && now < ends_at,
        expired_at,
    })
}

/// The update that records a delivery attempt's outcome in `table` (`notifications` or
/// `report_deliveries`, which share their delivery columns).
fn outcome_update(
    table: &'static str,
    id: i64,
    outcome: &DeliveryOutcome,
    now: DateTime<Utc>,
) -> sqlx::query::Query<'static, sqlx::Any, sqlx::any::AnyArguments> {
    let update = |set: &str| sqlx::query(AssertSqlSafe(format!("UPDATE {table} SET {set} WHERE id = $1"))).bind(id);
    match outcome {
        DeliveryOutcome::Sent => {
            update("state = 'sent', attempts = attempts + 1, sent_at = $2, last_error = NULL").bind(millis(now))
        }
        DeliveryOutcome::Retry { at, error } => {
            update("attempts = attempts + 1, next_attempt_at = $2, last_error = $3")
                .bind(millis(*at))
                .bind(error.clone())
        }
        DeliveryOutcome::GaveUp { error } => {
            update("state = 'failed', attempts = attempts + 1, last_error = $2").bind(error.clone())
        }
        DeliveryOutcome::Skipped { reason } => update("state = 'skipped', last_error = $2").bind(reason.clone()),
    }
}

fn delivery_from_row(row: &AnyRow) -> Result<ReportDelivery> {
    let state: String = row.try_get("state")?;
    Ok(ReportDelivery {
        id: row.try_get("id")?,
        run_id: row.try_get("run_id")?,
        receiver: row.try_get("receiver")?,
        state: NotificationState::from_str(&state).map_err(|e| corrupt("delivery state", e))?,
        attempts: row.try_get("attempts")?,
        next_attempt_at: from_millis(row.try_get("next_attempt_at")?),
        last_error: row.try_get("last_error")?,
        created_at: from_millis(row.try_get("created_at")?),
        sent_at: row.try_get::<Option<i64>, _>("sent_at")?.map(from_millis),
    })
}

fn notification_from_row(row: &AnyRow) -> Result<Notification> {
    let state: String = row.try_get("state")?;
    Ok(Notification {
        id: row.try_get("id")?,
        alert_id: row.try_get("alert_id")?,
        receiver: row.try_get("receiver")?,
        event: row.try_get("event")?,
        state: NotificationState::from_str(&state).map_err(|e| corrupt("notification state", e))?,
        attempts: row.try_get("attempts")?,
        next_attempt_at: from_millis(row.try_get("next_attempt_at")?),
        last_error: row.try_get("last_error")?,
        created_at: from_millis(row.try_get("created_at")?),
        sent_at: row.try_get::<Option<i64>, _>("sent_at")?.map(from_millis),
    })
}

/// Like [`muted_condition`], but false (not NULL) for alerts without a silence, so `NOT (…)`
/// keeps them.
fn muted_condition_or_null(now: DateTime<Utc>) -> String {
    format!("silence_id IS NOT NULL AND {}", muted_condition(now))
}

/// The SQL condition (on `alerts`) that an alert is muted by a live silence at `now`.
fn muted_condition(now: DateTime<Utc>) -> String {
    let now = millis(now);
    format!(
        "silence_id IN (SELECT id FROM silences WHERE expired_at IS NULL AND starts_at <= {now} AND ends_at > {now})"
    )
}

fn user_from_row(row: &AnyRow) -> Result<User> {
    let role: String = row.try_get("role")?;
    Ok(User {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        role: Role::from_str(&role).map_err(|e| corrupt("user role", e))?,
        team: row.try_get("team")?,
    })
}

fn frontier_from_row(row: &AnyRow) -> Result<FrontierEntry> {
    let state: String = row.try_get("state")?;
    Ok(FrontierEntry {
        url: row.try_get("url")?,
        source_id: row.try_get("source_id")?,
        state: UrlState::parse(&state).ok_or_else(|| corrupt("frontier state", &state))?,
        attempts: row.try_get("attempts")?,
        http_status: row.try_get("http_status")?,
        error: row.try_get("error")?,
        item_id: row.try_get("item_id")?,
        finished_at: row.try_get::<Option<i64>, _>("finished_at")?.map(from_millis),
        depth: row.try_get("depth")?,
        hint_title: row.try_get("hint_title")?,
        hint_published: row.try_get::<Option<i64>, _>("hint_published")?.map(from_millis),
    })
}

fn source_state_from_row(row: &AnyRow) -> Result<SourceState> {
    Ok(SourceState {
        source_id: row.try_get("source_id")?,
        next_due_at: Some(from_millis(row.try_get("next_due_at")?)),
        last_polled_at: row.try_get::<Option<i64>, _>("last_polled_at")?.map(from_millis),
        last_success_at: row.try_get::<Option<i64>, _>("last_success_at")?.map(from_millis),
        last_error: row.try_get("last_error")?,
        error_streak: row.try_get("error_streak")?,
        items_found: row.try_get("items_found")?,
        polls: row.try_get("polls")?,
        etag: row.try_get("etag")?,
        last_modified: row.try_get("last_modified")?,
        interval_secs: row.try_get("interval_secs")?,
    })
}

/// The four 16-bit bands of a SimHash: two signatures within Hamming distance 3 share at least one.
fn bands(simhash: u64) -> [i64; 4] {
    [0, 16, 32, 48].map(|shift| ((simhash >> shift) & 0xFFFF) as i64)
}

type Tx<'a> = sqlx::Transaction<'a, sqlx::Any>;

fn audit_from_row(r: &AnyRow) -> Result<AuditEvent> {
    Ok(AuditEvent {
        who: r.try_get("who")?,
        at: from_millis(r.try_get("at")?),
        action: r.try_get("action")?,
        before: r.try_get("before_state")?,
        after: r.try_get("after_state")?,
        detail: r.try_get("detail")?,
    })
}

async fn audit_in(tx: &mut Tx<'_>, alert_id: Option<i64>, e: &AuditEvent) -> Result<()> {
    sqlx::query("INSERT INTO audit (alert_id, who, at, action, before_state, after_state, detail) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(alert_id)
        .bind(&e.who)
        .bind(millis(e.at))
        .bind(&e.action)
        .bind(e.before.as_deref())
        .bind(e.after.as_deref())
        .bind(e.detail.as_deref())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

fn event(
    who: &str,
    at: DateTime<Utc>,
    action: &str,
    before: Option<AlertState>,
    after: Option<AlertState>,
    detail: Option<String>,
) -> AuditEvent {
    AuditEvent {
        who: who.to_string(),
        at,
        action: action.to_string(),
        before: before.map(|s| s.as_str().to_string()),
        after: after.map(|s| s.as_str().to_string()),
        detail,
    }
}

impl SqlStore {
    async fn report_run_from_row(&self, r: &sqlx::any::AnyRow) -> Result<ReportRun> {
        let id: i64 = r.try_get("id")?;
        let formats: Vec<(String,)> =
            sqlx::query_as("SELECT format FROM report_files WHERE run_id = $1 ORDER BY format")
                .bind(id)
                .fetch_all(&self.pool)
                .await?;
        Ok(ReportRun {
            id,
            schedule_id: r.try_get("schedule_id")?,
            due_at: from_millis(r.try_get("due_at")?),
            label: r.try_get("label")?,
            period_from: r.try_get("period_from")?,
            period_to: r.try_get("period_to")?,
            status: r.try_get("status")?,
            error: r.try_get("error")?,
            items: r.try_get("items")?,
            started_at: from_millis(r.try_get("started_at")?),
            finished_at: r.try_get::<Option<i64>, _>("finished_at")?.map(from_millis),
            formats: formats.into_iter().map(|(f,)| f).collect(),
        })
    }

    /// [`Store::store_item`] inside a transaction: unchanged items write nothing.
    async fn store_item_in(
        &self,
        tx: &mut Tx<'_>,
        item: &Item,
        alerts: &[AlertRequest],
        now: DateTime<Utc>,
    ) -> Result<StoreOutcome> {
        let mut stored = self.stored_versions(tx, &[item.id.as_str()]).await?;
        let outcome = self.write_item_in(tx, item, alerts, &mut stored, now).await?;
        if outcome.changed() {
            self.queue_for_index(tx, &[item.id.as_str()]).await?;
        }
        Ok(outcome)
    }

    /// Rows of the strings of a JSON array bound as parameter `$n`, in a column `value`.
    fn json_strings(&self, n: usize) -> String {
        if self.postgres {
            format!(
                "SELECT value FROM jsonb_array_elements_text(${n}::jsonb) WITH ORDINALITY AS j(value, i) ORDER BY i"
            )
        } else {
            format!("SELECT value FROM json_each(${n}) ORDER BY key")
        }
    }

    /// A table `u` of the objects of a JSON array bound as parameter `$n`, one column per
    /// `(name, PostgreSQL type)`: how a batch's rows reach the database in one statement.
    fn json_rows(&self, n: usize, columns: &[(&str, &str)]) -> String {
        if self.postgres {
            let typed: Vec<String> = columns.iter().map(|(name, ty)| format!("{name} {ty}")).collect();
            format!("jsonb_to_recordset(${n}::jsonb) AS u({})", typed.join(", "))
        } else {
            let picked: Vec<String> = columns.iter().map(|(name, _)| format!("value ->> '{name}' AS {name}")).collect();
            format!("(SELECT {} FROM json_each(${n})) AS u", picked.join(", "))
        }
    }

    /// What the store holds of the items `ids` that decides whether a new version changes them.
    /// The ids travel as one JSON array: one SQL text for any number of them.
    async fn stored_versions(&self, tx: &mut Tx<'_>, ids: &[&str]) -> Result<HashMap<String, StoredVersion>> {
        let sql = format!(
            "SELECT id, content_hash, flags, title, source_id, source_tags, region, lang FROM items WHERE id IN ({})",
            self.json_strings(1)
        );
        let rows =
            sqlx::query(AssertSqlSafe(sql)).bind(serde_json::json!(ids).to_string()).fetch_all(&mut **tx).await?;
        let mut versions = HashMap::with_capacity(ids.len());
        for row in rows {
            let version = StoredVersion {
                hash: row.try_get("content_hash")?,
                flags: row.try_get("flags")?,
                title: row.try_get("title")?,
                source_id: row.try_get("source_id")?,
                source_tags: row.try_get("source_tags")?,
                region: row.try_get("region")?,
                lang: row.try_get("lang")?,
            };
            versions.insert(row.try_get("id")?, version);
        }
        Ok(versions)
    }

    /// Insert or update an item unless `stored` says it is unchanged (then nothing is written),
    /// and group its alerts; `stored` is kept up to date for later items of the same batch.
    async fn write_item_in(
        &self,
        tx: &mut Tx<'_>,
        item: &Item,
        alerts: &[AlertRequest],
        stored: &mut HashMap<String, StoredVersion>,
        now: DateTime<Utc>,
    ) -> Result<StoreOutcome> {
        let version = StoredVersion::of(item);
        let mut outcome = StoreOutcome::default();
        match stored.get(&item.id) {
            Some(old) if old.unchanged_by(&version) => return Ok(outcome),
            Some(_) => outcome.updated = true,
            None => outcome.inserted = true,
        }
        self.insert_or_update_item(tx, item, outcome.updated, &version.flags, now).await?;
        stored.insert(item.id.clone(), version);
        for req in alerts {
            // A stored item comes back when its page is edited or its flags change (a rule's
            // severity or route after a reload): what it raised then was seen, and maybe decided.
            if outcome.updated && SqlStore::in_alert_of(tx, &item.id, &req.rule).await? {
                continue;
            }
            if let Some((id, raised)) = self.group_alert(tx, item, req, now).await? {
                if raised {
                    outcome.alerts_raised.push(id);
                } else {
                    outcome.alerts_joined.push(id);
                }
            }
        }
        Ok(outcome)
    }

    /// Queue changed items for the indexer, in order, in one statement.
    async fn queue_for_index(&self, tx: &mut Tx<'_>, ids: &[&str]) -> Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        let sql = format!("INSERT INTO index_outbox (item_id) {}", self.json_strings(1));
        sqlx::query(AssertSqlSafe(sql)).bind(serde_json::json!(ids).to_string()).execute(&mut **tx).await?;
        Ok(())
    }

    /// [`Store::enqueue`] inside a transaction.
    async fn enqueue_in(&self, tx: &mut Tx<'_>, source_id: &str, urls: &[NewUrl], now: DateTime<Utc>) -> Result<usize> {
        Ok(self.enqueue_returning(tx, source_id, urls, now).await?.len())
    }

    /// Queue `urls` of a source; the URLs that were new. The rows travel as one JSON array in one
    /// statement: a batch's hundreds of links are one round trip to the database, and one SQL text
    /// (multi-row `VALUES` lists had a text per row count, each prepared anew).
    async fn enqueue_returning(
        &self,
        tx: &mut Tx<'_>,
        source_id: &str,
        urls: &[NewUrl],
        now: DateTime<Utc>,
    ) -> Result<Vec<String>> {
        let rows = self.json_rows(
            3,
            &[("url", "text"), ("depth", "bigint"), ("title", "text"), ("published", "bigint"), ("item", "text")],
        );
        // `WHERE true`: SQLite needs it to tell the upsert clause from a join's `ON`.
        let sql = format!(
            "INSERT INTO frontier (url, source_id, state, due_at, discovered_at, depth, hint_title, hint_published, item_id, finished_at) \
             SELECT u.url, $1, CASE WHEN u.item IS NULL THEN 'queued' ELSE 'done' END, $2, $2, u.depth, u.title, u.published, \
             u.item, CASE WHEN u.item IS NULL THEN NULL ELSE $2 END FROM {rows} WHERE true \
             ON CONFLICT (url) DO NOTHING RETURNING url"
        );
        let mut added = Vec::new();
        for chunk in urls.chunks(ENQUEUE_CHUNK) {
            let json: Vec<serde_json::Value> = chunk
                .iter()
                .map(|u| {
                    serde_json::json!({
                        "url": u.url, "depth": u.depth, "title": u.title,
                        "published": u.published.map(millis), "item": u.done_item,
                    })
                })
                .collect();
            let json = serde_json::Value::Array(json).to_string();
            let query = sqlx::query(AssertSqlSafe(sql.clone())).bind(source_id).bind(millis(now)).bind(json);
            for row in query.fetch_all(&mut **tx).await? {
                added.push(row.try_get("url")?);
            }
        }
        Ok(added)
    }

    /// The links of a batch of pages, each URL once (with the first page that has it), queued per
    /// source in one statement each; how many each page added.
    async fn enqueue_links_in(&self, tx: &mut Tx<'_>, pages: &[PageCommit], now: DateTime<Utc>) -> Result<Vec<usize>> {
        let mut owner: HashMap<&str, usize> = HashMap::new();
        let mut by_source: Vec<(&str, Vec<NewUrl>)> = Vec::new();
        for (i, page) in pages.iter().enumerate() {
            for link in &page.links {
                if owner.contains_key(link.url.as_str()) {
                    continue;
                }
                owner.insert(link.url.as_str(), i);
                match by_source.iter_mut().find(|(s, _)| *s == page.source_id) {
                    Some((_, urls)) => urls.push(link.clone()),
                    None => by_source.push((page.source_id.as_str(), vec![link.clone()])),
                }
            }
        }
        let mut added = vec![0; pages.len()];
        for (source, urls) in &by_source {
            for url in self.enqueue_returning(tx, source, urls, now).await? {
                if let Some(&page) = owner.get(url.as_str()) {
                    added[page] += 1;
                }
            }
        }
        Ok(added)
    }

    /// The outcomes of URLs, in one statement (rows as a JSON array), on a connection or inside a
    /// transaction.
    async fn finish_urls_on<'e, E>(
        &self,
        executor: E,
        outcomes: &[(&str, &FetchOutcome)],
        now: DateTime<Utc>,
    ) -> Result<()>
    where
        E: sqlx::Executor<'e, Database = sqlx::Any>,
    {
        let rows: Vec<serde_json::Value> = outcomes
            .iter()
            .map(|(url, outcome)| {
                let (state, due, status, error, item) = outcome_columns(outcome);
                serde_json::json!({
                    "url": url, "state": state.as_str(), "due": due, "status": status, "error": error, "item": item,
                })
            })
            .collect();
        let rows_sql = self.json_rows(
            1,
            &[
                ("url", "text"),
                ("state", "text"),
                ("due", "bigint"),
                ("status", "bigint"),
                ("error", "text"),
                ("item", "text"),
            ],
        );
        let sql = format!(
            "UPDATE frontier SET state = u.state, due_at = COALESCE(u.due, frontier.due_at), http_status = u.status, \
             error = u.error, item_id = COALESCE(u.item, frontier.item_id), finished_at = $2, lease_owner = NULL, \
             lease_until = NULL FROM {rows_sql} WHERE frontier.url = u.url"
        );
        let json = serde_json::Value::Array(rows).to_string();
        sqlx::query(AssertSqlSafe(sql)).bind(json).bind(millis(now)).execute(executor).await?;
        Ok(())
    }

    async fn insert_or_update_item(
        &self,
        tx: &mut Tx<'_>,
        item: &Item,
        exists: bool,
        flags_json: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let b = bands(item.simhash);
        let sql = if exists {
            "UPDATE items SET url=$2, canonical_url=$3, source_id=$4, source_tags=$5, region=$6, title=$7, text=$8, lang=$9, \
             published_at=$10, fetched_at=$11, content_hash=$12, simhash=$13, sim_b0=$14, sim_b1=$15, sim_b2=$16, sim_b3=$17, \
             story_id=$18, sentiment_score=$19, sentiment_label=$20, sentiment=$21, flags=$22, updated_at=$23 WHERE id=$1"
        } else {
            "INSERT INTO items (id, url, canonical_url, source_id, source_tags, region, title, text, lang, published_at, \
             fetched_at, content_hash, simhash, sim_b0, sim_b1, sim_b2, sim_b3, story_id, sentiment_score, sentiment_label, \
             sentiment, flags, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, \
             $18, $19, $20, $21, $22, $23)"
        };
        sqlx::query(sql)
            .bind(&item.id)
            .bind(&item.url)
            .bind(&item.canonical_url)
            .bind(&item.source_id)
            .bind(serde_json::to_string(&item.source_tags).unwrap_or_else(|_| "[]".into()))
            .bind(item.region.as_deref())
            .bind(&item.title)
            .bind(&item.text)
            .bind(&item.lang)
            .bind(item.published_at.map(millis))
            .bind(millis(item.fetched_at))
            .bind(&item.content_hash)
            .bind(item.simhash as i64)
            .bind(b[0])
            .bind(b[1])
            .bind(b[2])
            .bind(b[3])
            .bind(&item.story_id)
            .bind(f64::from(item.sentiment.score))
            .bind(item.sentiment.label.as_str())
            .bind(serde_json::to_string(&item.sentiment).unwrap_or_else(|_| "{}".into()))
            .bind(flags_json)
            .bind(millis(now))
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    /// Live silences at `now`.
    async fn live_silences(tx: &mut Tx<'_>, now: DateTime<Utc>) -> Result<Vec<Silence>> {
        let sql = format!(
            "SELECT {SILENCE_COLS} FROM silences WHERE expired_at IS NULL AND starts_at <= $1 AND ends_at > $1 ORDER BY id"
        );
        let rows = sqlx::query(AssertSqlSafe(sql)).bind(millis(now)).fetch_all(&mut **tx).await?;
        rows.iter().map(|r| silence_from_row(r, now)).collect()
    }

    async fn queue_notifications(
        tx: &mut Tx<'_>,
        alert_id: i64,
        receivers: &[String],
        event: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        for receiver in receivers {
            sqlx::query(
                "INSERT INTO notifications (alert_id, receiver, event, state, next_attempt_at, created_at) VALUES ($1, $2, $3, 'pending', $4, $4)",
            )
            .bind(alert_id)
            .bind(receiver)
            .bind(event)
            .bind(millis(now))
            .execute(&mut **tx)
            .await?;
        }
        if !receivers.is_empty() {
            sqlx::query("UPDATE alerts SET notified_at = $2 WHERE id = $1")
                .bind(alert_id)
                .bind(millis(now))
                .execute(&mut **tx)
                .await?;
        }
        Ok(())
    }

    /// Whether the item is in an alert of the rule already, whatever that alert's state.
    async fn in_alert_of(tx: &mut Tx<'_>, item_id: &str, rule: &str) -> Result<bool> {
        let row = sqlx::query(
            "SELECT 1 FROM alert_items ai JOIN alerts a ON a.id = ai.alert_id WHERE ai.item_id = $1 AND a.rule_id = $2 LIMIT 1",
        )
        .bind(item_id)
        .bind(rule)
        .fetch_optional(&mut **tx)
        .await?;
        Ok(row.is_some())
    }

    /// Raise an alert for (rule, story) or join the item to the existing one. Returns (id, raised).
    async fn group_alert(
        &self,
        tx: &mut Tx<'_>,
        item: &Item,
        req: &AlertRequest,
        now: DateTime<Utc>,
    ) -> Result<Option<(i64, bool)>> {
        let latest = sqlx::query(
            "SELECT id, state, last_seen_at, silence_id, notified_at FROM alerts WHERE rule_id = $1 AND story_id = $2 ORDER BY id DESC LIMIT 1",
        )
        .bind(&req.rule)
        .bind(&item.story_id)
        .fetch_optional(&mut **tx)
        .await?;
        let silences = SqlStore::live_silences(tx, now).await?;
        if let Some(row) = latest {
            let id: i64 = row.try_get("id")?;
            let state: String = row.try_get("state")?;
            let state = AlertState::from_str(&state).map_err(|e| corrupt("alert state", e))?;
            let last_seen = from_millis(row.try_get("last_seen_at")?);
            let recent = now - last_seen <= Duration::hours(req.group_window_hours);
            // Open alerts gather their story; a confirmed story never pages again (inhibition);
            // a decided one gathers copies for the group window.
            if state.is_open() || state == AlertState::Confirmed || recent {
                let added = sqlx::query(
                    "INSERT INTO alert_items (alert_id, item_id, added_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                )
                .bind(id)
                .bind(&item.id)
                .bind(millis(now))
                .execute(&mut **tx)
                .await?
                .rows_affected();
                if added == 0 {
                    return Ok(None);
                }
                let mut silence_id: Option<i64> = row.try_get("silence_id")?;
                // "Until the story has been quiet for N hours": a muted story that speaks again
                // after that long ends its silence and is heard.
                if let Some(s) = silence_id.and_then(|sid| silences.iter().find(|s| s.id == sid)) {
                    // Only this alert is heard again; a silence made for this one story ends.
                    if s.quiet_hours.is_some_and(|h| now - last_seen >= Duration::hours(h)) {
                        if s.matchers.story.as_deref() == Some(item.story_id.as_str()) {
                            sqlx::query("UPDATE silences SET expired_at = $2 WHERE id = $1")
                                .bind(s.id)
                                .bind(millis(now))
                                .execute(&mut **tx)
                                .await?;
                        }
                        let why = format!(
                            "silence {}: the story spoke again after {} quiet hours",
                            s.id,
                            s.quiet_hours.unwrap_or(0)
                        );
                        audit_in(
                            tx,
                            Some(id),
                            &event("system", now, "unsilenced", Some(state), Some(state), Some(why)),
                        )
                        .await?;
                        silence_id = None;
                    }
                } else {
                    silence_id = None;
                }
                sqlx::query("UPDATE alerts SET item_count = item_count + 1, last_seen_at = $2, version = version + 1, silence_id = $3 WHERE id = $1")
                    .bind(id)
                    .bind(millis(now))
                    .bind(silence_id)
                    .execute(&mut **tx)
                    .await?;
                audit_in(
                    tx,
                    Some(id),
                    &event("system", now, "grouped", Some(state), Some(state), Some(format!("item {}", item.id))),
                )
                .await?;
                let notified_at = row.try_get::<Option<i64>, _>("notified_at")?.map(from_millis);
                let stale = notified_at.is_none_or(|t| now - t >= Duration::hours(req.renotify_hours.max(1)));
                if silence_id.is_none() && state.is_open() && stale {
                    SqlStore::queue_notifications(tx, id, &req.labels.receivers, "renotify", now).await?;
                }
                return Ok(Some((id, false)));
            }
        }
        let silence = silences.iter().find(|s| s.matchers.matches(&req.rule, &item.story_id, &req.team, &req.labels));
        let row = sqlx::query(
            "INSERT INTO alerts (rule_id, story_id, team, severity, state, title, item_count, created_at, last_seen_at, version, labels, silence_id) \
             VALUES ($1, $2, $3, $4, 'new', $5, 1, $6, $6, 1, $7, $8) RETURNING id",
        )
        .bind(&req.rule)
        .bind(&item.story_id)
        .bind(&req.team)
        .bind(req.severity.as_str())
        .bind(&item.title)
        .bind(millis(now))
        .bind(serde_json::to_string(&req.labels).unwrap_or_else(|_| "{}".into()))
        .bind(silence.map(|s| s.id))
        .fetch_one(&mut **tx)
        .await?;
        let id: i64 = row.try_get("id")?;
        sqlx::query("INSERT INTO alert_items (alert_id, item_id, added_at) VALUES ($1, $2, $3)")
            .bind(id)
            .bind(&item.id)
            .bind(millis(now))
            .execute(&mut **tx)
            .await?;
        audit_in(
            tx,
            Some(id),
            &event(
                "system",
                now,
                "raised",
                None,
                Some(AlertState::New),
                Some(format!("item {}, team {}", item.id, req.team)),
            ),
        )
        .await?;
        match silence {
            Some(s) => {
                audit_in(
                    tx,
                    Some(id),
                    &event(
                        "system",
                        now,
                        "silenced",
                        None,
                        None,
                        Some(format!("silence {} by {}: {}", s.id, s.creator, s.reason)),
                    ),
                )
                .await?;
            }
            None => SqlStore::queue_notifications(tx, id, &req.labels.receivers, "raised", now).await?,
        }
        Ok(Some((id, true)))
    }

    async fn fetch_alert_in(tx: &mut Tx<'_>, id: i64) -> Result<Option<Alert>> {
        let sql = format!("SELECT {ALERT_COLS} FROM alerts WHERE id = $1");
        let row = sqlx::query(AssertSqlSafe(sql)).bind(id).fetch_optional(&mut **tx).await?;
        row.as_ref().map(alert_from_row).transpose()
    }

    /// Explain why a conditional triage update touched nothing.
    async fn refusal(tx: &mut Tx<'_>, id: i64, what: &str) -> Error {
        match SqlStore::fetch_alert_in(tx, id).await {
            Ok(None) => Error::NotFound(format!("alert {id}")),
            Ok(Some(a)) => match (&a.state, &a.claimed_by) {
                (AlertState::Claimed, Some(holder)) => {
                    Error::Conflict(format!("alert {id} is held by {holder}; cannot {what}"))
                }
                (state, _) => Error::Conflict(format!("alert {id} is {state}; cannot {what}")),
            },
            Err(e) => e,
        }
    }

    /// Run a conditional `UPDATE alerts ... RETURNING` and audit it, in one transaction.
    async fn triage_update(
        &self,
        id: i64,
        sql: &str,
        binds: Vec<Bind>,
        audit: impl FnOnce(&Alert, &Alert) -> AuditEvent + Send,
        what: &str,
    ) -> Result<Alert> {
        self.triage_update_then(id, sql, binds, audit, what, Followup::None).await
    }

    /// [`SqlStore::triage_update`], with `followup` in the same transaction once the update held.
    async fn triage_update_then(
        &self,
        id: i64,
        sql: &str,
        binds: Vec<Bind>,
        audit: impl FnOnce(&Alert, &Alert) -> AuditEvent + Send,
        what: &str,
        followup: Followup,
    ) -> Result<Alert> {
        let _guard = self.write_guard().await;
        let mut tx = self.write_tx().await?;
        let before =
            SqlStore::fetch_alert_in(&mut tx, id).await?.ok_or_else(|| Error::NotFound(format!("alert {id}")))?;
        let mut query = sqlx::query(AssertSqlSafe(sql.to_string())).bind(id);
        for b in binds {
            query = match b {
                Bind::Text(t) => query.bind(t),
                Bind::Int(i) => query.bind(i),
            };
        }
        let row = query.fetch_optional(&mut *tx).await?;
        let Some(row) = row else {
            let err = SqlStore::refusal(&mut tx, id, what).await;
            tx.rollback().await?;
            return Err(err);
        };
        let after = alert_from_row(&row)?;
        audit_in(&mut tx, Some(id), &audit(&before, &after)).await?;
        match followup {
            Followup::None => {}
            Followup::RecordClaim { by, at } => record_verdict_claim(&mut tx, &after, &by, at).await?,
            Followup::WithdrawClaim { by, at } => withdraw_verdict_claim(&mut tx, &after, &by, at).await?,
        }
        tx.commit().await?;
        Ok(after)
    }
}

/// A typed value bound into a triage statement.
enum Bind {
    Text(Option<String>),
    Int(i64),
}

fn text(s: &str) -> Bind {
    Bind::Text(Some(s.to_string()))
}

/// A fetch outcome as frontier columns: state, next due time, HTTP status, error, item.
fn outcome_columns(outcome: &FetchOutcome) -> (UrlState, Option<i64>, Option<i64>, Option<&str>, Option<&str>) {
    match outcome {
        FetchOutcome::Stored { item_id, status } => (UrlState::Done, None, *status, None, Some(item_id.as_str())),
        FetchOutcome::Skipped { reason, status } => (UrlState::Done, None, *status, Some(reason.as_str()), None),
        FetchOutcome::Failed { reason, status, retry_at: Some(at) } => {
            (UrlState::Queued, Some(millis(*at)), *status, Some(reason.as_str()), None)
        }
        FetchOutcome::Failed { reason, status, retry_at: None } => {
            (UrlState::Failed, None, *status, Some(reason.as_str()), None)
        }
    }
}

fn ms(t: DateTime<Utc>) -> Bind {
    Bind::Int(millis(t))
}

#[async_trait]
impl Store for SqlStore {
    async fn store_item(&self, item: &Item, alerts: &[AlertRequest], now: DateTime<Utc>) -> Result<StoreOutcome> {
        let _guard = self.write_guard().await;
        let mut tx = self.write_tx().await?;
        let outcome = self.store_item_in(&mut tx, item, alerts, now).await?;
        if outcome.changed() {
            tx.commit().await?;
        } else {
            tx.rollback().await?;
        }
        Ok(outcome)
    }

    async fn item(&self, id: &str) -> Result<Option<Item>> {
        let sql = format!("SELECT {ITEM_COLS} FROM items WHERE id = $1");
        let row = sqlx::query(AssertSqlSafe(sql)).bind(id).fetch_optional(&self.pool).await?;
        row.as_ref().map(item_from_row).transpose()
    }

    async fn story_items(&self, story_id: &str, limit: i64) -> Result<Vec<Item>> {
        let sql = format!("SELECT {ITEM_COLS} FROM items WHERE story_id = $1 ORDER BY fetched_at DESC, id LIMIT $2");
        let rows = sqlx::query(AssertSqlSafe(sql)).bind(story_id).bind(limit).fetch_all(&self.pool).await?;
        rows.iter().map(item_from_row).collect()
    }

    async fn find_story(&self, content_hash: &str, simhash: u64, max_distance: u32) -> Result<Option<String>> {
        let exact = sqlx::query("SELECT story_id FROM items WHERE content_hash = $1 LIMIT 1")
            .bind(content_hash)
            .fetch_optional(&self.pool)
            .await?;
        if let Some(row) = exact {
            return Ok(Some(row.try_get("story_id")?));
        }
        let b = bands(simhash);
        let rows = sqlx::query(
            "SELECT story_id, simhash FROM items WHERE sim_b0 = $1 OR sim_b1 = $2 OR sim_b2 = $3 OR sim_b3 = $4 LIMIT 500",
        )
        .bind(b[0])
        .bind(b[1])
        .bind(b[2])
        .bind(b[3])
        .fetch_all(&self.pool)
        .await?;
        let mut best: Option<(u32, String)> = None;
        for row in rows {
            let other = row.try_get::<i64, _>("simhash")? as u64;
            let distance = (other ^ simhash).count_ones();
            if distance <= max_distance && best.as_ref().is_none_or(|(d, _)| distance < *d) {
                best = Some((distance, row.try_get("story_id")?));
            }
        }
        Ok(best.map(|(_, s)| s))
    }

    async fn outbox_after(&self, seq: i64, limit: i64) -> Result<Vec<(i64, Item)>> {
        let sql = format!(
            "SELECT o.seq AS seq, {} FROM index_outbox o JOIN items i ON i.id = o.item_id WHERE o.seq > $1 ORDER BY o.seq LIMIT $2",
            ITEM_COLS.split(", ").map(|c| format!("i.{c} AS {c}")).collect::<Vec<_>>().join(", ")
        );
        let rows = sqlx::query(AssertSqlSafe(sql)).bind(seq).bind(limit).fetch_all(&self.pool).await?;
        rows.iter().map(|r| Ok((r.try_get("seq")?, item_from_row(r)?))).collect()
    }

    async fn outbox_prune(&self, seq: i64) -> Result<()> {
        let _guard = self.write_guard().await;
        sqlx::query("DELETE FROM index_outbox WHERE seq <= $1").bind(seq).execute(&self.pool).await?;
        Ok(())
    }

    async fn outbox_head(&self) -> Result<i64> {
        let row = sqlx::query("SELECT COALESCE(MAX(seq), 0) AS head FROM index_outbox").fetch_one(&self.pool).await?;
        Ok(row.try_get("head")?)
    }

    async fn items_page(&self, after_id: &str, limit: i64) -> Result<Vec<Item>> {
        let sql = format!("SELECT {ITEM_COLS} FROM items WHERE id > $1 ORDER BY id LIMIT $2");
        let rows = sqlx::query(AssertSqlSafe(sql)).bind(after_id).bind(limit).fetch_all(&self.pool).await?;
        rows.iter().map(item_from_row).collect()
    }

    async fn counts(&self) -> Result<Counts> {
        let row = sqlx::query(
            "SELECT (SELECT COUNT(*) FROM items) AS items, (SELECT COUNT(*) FROM items WHERE flags <> '[]') AS flagged, \
             (SELECT COUNT(*) FROM alerts) AS alerts, (SELECT COUNT(DISTINCT story_id) FROM items) AS stories",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(Counts {
            items: row.try_get("items")?,
            flagged_items: row.try_get("flagged")?,
            alerts: row.try_get("alerts")?,
            stories: row.try_get("stories")?,
        })
    }

    async fn source_state(&self, source_id: &str) -> Result<SourceState> {
        let row = sqlx::query("SELECT * FROM source_state WHERE source_id = $1")
            .bind(source_id)
            .fetch_optional(&self.pool)
            .await?;
        match row {
            Some(r) => source_state_from_row(&r),
            None => Ok(SourceState { source_id: source_id.to_string(), ..SourceState::default() }),
        }
    }

    async fn source_states(&self) -> Result<Vec<SourceState>> {
        let rows = sqlx::query("SELECT * FROM source_state ORDER BY source_id").fetch_all(&self.pool).await?;
        rows.iter().map(source_state_from_row).collect()
    }

    async fn record_poll(&self, source_id: &str, poll: &PollRecord) -> Result<()> {
        let _guard = self.write_guard().await;
        let ok = poll.error.is_none();
        sqlx::query(
            "INSERT INTO source_state (source_id, next_due_at, last_polled_at, last_success_at, last_error, error_streak, items_found, polls, etag, last_modified, interval_secs) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8, $9, $10) \
             ON CONFLICT (source_id) DO UPDATE SET next_due_at = $2, last_polled_at = $3, \
               last_success_at = COALESCE($4, source_state.last_success_at), last_error = $5, \
               error_streak = CASE WHEN $5 IS NULL THEN 0 ELSE source_state.error_streak + 1 END, \
               items_found = source_state.items_found + $7, polls = source_state.polls + 1, \
               etag = COALESCE($8, source_state.etag), last_modified = COALESCE($9, source_state.last_modified), \
               interval_secs = $10",
        )
        .bind(source_id)
        .bind(millis(poll.next_due_at))
        .bind(millis(poll.at))
        .bind(ok.then(|| millis(poll.at)))
        .bind(poll.error.as_deref())
        .bind(i64::from(!ok))
        .bind(poll.new_items)
        .bind(poll.etag.as_deref())
        .bind(poll.last_modified.as_deref())
        .bind(poll.interval_secs)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn enqueue(&self, source_id: &str, urls: &[NewUrl], now: DateTime<Utc>) -> Result<usize> {
        if urls.is_empty() {
            return Ok(0);
        }
        let _guard = self.write_guard().await;
        let mut tx = self.write_tx().await?;
        let added = self.enqueue_in(&mut tx, source_id, urls, now).await?;
        tx.commit().await?;
        Ok(added)
    }

    async fn discovery_days(&self, since: DateTime<Utc>) -> Result<Vec<DiscoveryDay>> {
        // Integer division by the day length buckets by UTC day on both backends.
        let rows = sqlx::query(
            "SELECT source_id, (discovered_at / 86400000) AS day, COUNT(*) AS n FROM frontier \
             WHERE discovered_at >= $1 GROUP BY source_id, (discovered_at / 86400000) ORDER BY source_id, day",
        )
        .bind(millis(since))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let day: i64 = r.try_get("day")?;
                Ok(DiscoveryDay {
                    source_id: r.try_get("source_id")?,
                    day: from_millis(day * 86_400_000),
                    count: r.try_get("n")?,
                })
            })
            .collect()
    }

    async fn lease_urls(
        &self,
        owner: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<FrontierEntry>> {
        let _guard = self.write_guard().await;
        let skip_locked = if self.postgres { " FOR UPDATE SKIP LOCKED" } else { "" };
        // Each branch walks the (state, due_at, url) index in order and stops at the limit; one
        // query with `OR` between the states made the database sort every queued URL per lease.
        let sql = format!(
            "UPDATE frontier SET state = 'leased', lease_owner = $1, lease_until = $2, attempts = attempts + 1 \
             WHERE url IN (SELECT url FROM ( \
               SELECT url, due_at FROM (SELECT url, due_at FROM frontier WHERE state = 'queued' AND due_at <= $3 \
                 ORDER BY due_at, url LIMIT $4{skip_locked}) queued \
               UNION ALL \
               SELECT url, due_at FROM (SELECT url, due_at FROM frontier WHERE state = 'leased' AND lease_until < $3 \
                 ORDER BY due_at, url LIMIT $4{skip_locked}) expired \
             ) due ORDER BY due_at, url LIMIT $4) RETURNING {FRONTIER_COLS}"
        );
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(owner)
            .bind(millis(lease_until))
            .bind(millis(now))
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(frontier_from_row).collect()
    }

    async fn requeue_abandoned(&self, owner_prefix: &str) -> Result<u64> {
        let _guard = self.write_guard().await;
        // LIKE wildcards in the prefix are escaped so a name can never widen the match.
        let pattern = format!("{}%", owner_prefix.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
        let n = sqlx::query(
            "UPDATE frontier SET state = 'queued', lease_owner = NULL, lease_until = NULL WHERE state = 'leased' AND lease_owner LIKE $1 ESCAPE '\\'",
        )
        .bind(pattern)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(n)
    }

    async fn finish_url(&self, url: &str, outcome: &FetchOutcome, now: DateTime<Utc>) -> Result<()> {
        let _guard = self.write_guard().await;
        self.finish_urls_on(&self.pool, &[(url, outcome)], now).await
    }

    async fn finish_pages(&self, pages: &[PageCommit], now: DateTime<Utc>) -> Result<Vec<PageStored>> {
        if pages.is_empty() {
            return Ok(Vec::new());
        }
        let _guard = self.write_guard().await;
        let mut tx = self.write_tx().await?;
        // One read for the batch's items, one write for their index queue and one for all their
        // links: a statement costs far more here than the rows it carries.
        let ids: Vec<&str> = pages.iter().filter_map(|p| p.item.as_ref()).map(|(item, _)| item.id.as_str()).collect();
        let mut stored = self.stored_versions(&mut tx, &ids).await?;
        let mut done = Vec::with_capacity(pages.len());
        let mut changed = Vec::new();
        for page in pages {
            let item = match &page.item {
                Some((item, alerts)) => {
                    let outcome = self.write_item_in(&mut tx, item, alerts, &mut stored, now).await?;
                    if outcome.changed() {
                        changed.push(item.id.as_str());
                    }
                    outcome
                }
                None => StoreOutcome::default(),
            };
            done.push(PageStored { item, queued: 0 });
        }
        let outcomes: Vec<(&str, &FetchOutcome)> = pages.iter().map(|p| (p.url.as_str(), &p.outcome)).collect();
        self.finish_urls_on(&mut *tx, &outcomes, now).await?;
        self.queue_for_index(&mut tx, &changed).await?;
        for (page, queued) in done.iter_mut().zip(self.enqueue_links_in(&mut tx, pages, now).await?) {
            page.queued = queued;
        }
        tx.commit().await?;
        Ok(done)
    }

    async fn frontier_counts(&self, source_id: Option<&str>) -> Result<FrontierCounts> {
        let rows = sqlx::query(
            "SELECT state, COUNT(*) AS n FROM frontier WHERE ($1 IS NULL OR source_id = $1) GROUP BY state",
        )
        .bind(source_id)
        .fetch_all(&self.pool)
        .await?;
        let mut counts = FrontierCounts::default();
        for row in rows {
            let state: String = row.try_get("state")?;
            let n: i64 = row.try_get("n")?;
            match UrlState::parse(&state) {
                Some(UrlState::Queued) => counts.queued = n,
                Some(UrlState::Leased) => counts.leased = n,
                Some(UrlState::Done) => counts.done = n,
                Some(UrlState::Failed) => counts.failed = n,
                None => {}
            }
        }
        Ok(counts)
    }

    async fn failures(&self, limit: i64) -> Result<Vec<FrontierEntry>> {
        let sql =
            format!("SELECT {FRONTIER_COLS} FROM frontier WHERE error IS NOT NULL ORDER BY finished_at DESC LIMIT $1");
        let rows = sqlx::query(AssertSqlSafe(sql)).bind(limit).fetch_all(&self.pool).await?;
        rows.iter().map(frontier_from_row).collect()
    }

    async fn alerts(&self, f: &AlertFilter) -> Result<Vec<Alert>> {
        let mut clauses: Vec<String> = Vec::new();
        let mut binds: Vec<String> = Vec::new();
        let mut placeholder = |value: String| {
            binds.push(value);
            format!("${}", binds.len())
        };
        if !f.states.is_empty() {
            let list: Vec<String> = f.states.iter().map(|s| placeholder(s.as_str().to_string())).collect();
            clauses.push(format!("state IN ({})", list.join(", ")));
        }
        if let Some(team) = &f.team {
            clauses.push(format!("team = {}", placeholder(team.clone())));
        }
        if let Some(user) = &f.claimed_by {
            clauses.push(format!("claimed_by = {}", placeholder(user.clone())));
        }
        if let Some(rule) = &f.rule {
            clauses.push(format!("rule_id = {}", placeholder(rule.clone())));
        }
        // Integers are formatted, not bound: they are typed values, not text from a client.
        if let Some(before) = f.before_id {
            clauses.push(format!("id < {before}"));
        }
        if !f.ids.is_empty() {
            let ids: Vec<String> = f.ids.iter().map(i64::to_string).collect();
            clauses.push(format!("id IN ({})", ids.join(", ")));
        }
        let now = f.now.unwrap_or_else(Utc::now);
        match f.muted {
            Muted::Hide => clauses.push(format!("NOT ({})", muted_condition_or_null(now))),
            Muted::Only => clauses.push(muted_condition(now)),
            Muted::Include => {}
        }
        let filter = if clauses.is_empty() { String::new() } else { format!(" WHERE {}", clauses.join(" AND ")) };
        let sql = format!("SELECT {ALERT_COLS} FROM alerts{filter} ORDER BY id DESC LIMIT {}", f.limit.clamp(1, 1000));
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for b in &binds {
            query = query.bind(b);
        }
        let rows = query.fetch_all(&self.pool).await?;
        rows.iter().map(alert_from_row).collect()
    }

    async fn alert(&self, id: i64) -> Result<Option<Alert>> {
        let sql = format!("SELECT {ALERT_COLS} FROM alerts WHERE id = $1");
        let row = sqlx::query(AssertSqlSafe(sql)).bind(id).fetch_optional(&self.pool).await?;
        row.as_ref().map(alert_from_row).transpose()
    }

    async fn alert_item_ids(&self, id: i64) -> Result<Vec<String>> {
        let rows = sqlx::query("SELECT item_id FROM alert_items WHERE alert_id = $1 ORDER BY added_at DESC, item_id")
            .bind(id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|r| Ok(r.try_get("item_id")?)).collect()
    }

    async fn alerts_for_item(&self, item_id: &str) -> Result<Vec<Alert>> {
        let sql = format!(
            "SELECT {ALERT_COLS} FROM alerts WHERE id IN (SELECT alert_id FROM alert_items WHERE item_id = $1) ORDER BY id"
        );
        let rows = sqlx::query(AssertSqlSafe(sql)).bind(item_id).fetch_all(&self.pool).await?;
        rows.iter().map(alert_from_row).collect()
    }

    async fn audit(&self, alert_id: i64) -> Result<Vec<AuditEvent>> {
        let rows = sqlx::query(
            "SELECT who, at, action, before_state, after_state, detail FROM audit WHERE alert_id = $1 ORDER BY id",
        )
        .bind(alert_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(audit_from_row).collect()
    }

    async fn claim(&self, id: i64, user: &str, now: DateTime<Utc>, lease_until: DateTime<Utc>) -> Result<Alert> {
        let sql = format!(
            "UPDATE alerts SET state = 'claimed', claimed_by = $2, lease_expires_at = $3, version = version + 1, \
             first_claimed_at = COALESCE(first_claimed_at, $4) WHERE id = $1 AND (state = 'new' OR (state = 'claimed' AND (claimed_by = $2 OR lease_expires_at < $4))) \
             RETURNING {ALERT_COLS}"
        );
        let who = user.to_string();
        let until = lease_until;
        self.triage_update(
            id,
            &sql,
            vec![text(user), ms(lease_until), ms(now)],
            move |before, after| {
                let action = if before.claimed_by.as_deref() == Some(&who) { "renew" } else { "claim" };
                event(
                    &who,
                    now,
                    action,
                    Some(before.state),
                    Some(after.state),
                    Some(format!("lease until {}", until.to_rfc3339())),
                )
            },
            "claim it",
        )
        .await
    }

    async fn release(&self, id: i64, user: &str, now: DateTime<Utc>) -> Result<Alert> {
        let sql = format!(
            "UPDATE alerts SET state = 'new', claimed_by = NULL, lease_expires_at = NULL, version = version + 1 \
             WHERE id = $1 AND state = 'claimed' AND claimed_by = $2 RETURNING {ALERT_COLS}"
        );
        let who = user.to_string();
        self.triage_update(
            id,
            &sql,
            vec![text(user)],
            move |b, a| event(&who, now, "release", Some(b.state), Some(a.state), None),
            "release it",
        )
        .await
    }

    async fn handoff(
        &self,
        id: i64,
        from: &str,
        to: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<Alert> {
        let sql = format!(
            "UPDATE alerts SET claimed_by = $3, lease_expires_at = $4, version = version + 1 \
             WHERE id = $1 AND state = 'claimed' AND claimed_by = $2 AND lease_expires_at >= $5 RETURNING {ALERT_COLS}"
        );
        let who = from.to_string();
        let target = to.to_string();
        self.triage_update(
            id,
            &sql,
            vec![text(from), text(to), ms(lease_until), ms(now)],
            move |b, a| event(&who, now, "handoff", Some(b.state), Some(a.state), Some(format!("to {target}"))),
            "hand it off",
        )
        .await
    }

    async fn verdict(
        &self,
        id: i64,
        user: &str,
        verdict: Verdict,
        reason: ReasonCode,
        note: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Alert> {
        let sql = format!(
            "UPDATE alerts SET state = $3, verdict = $3, reason = $4, note = $5, lease_expires_at = NULL, version = version + 1, \
             decided_at = $6 WHERE id = $1 AND state = 'claimed' AND claimed_by = $2 AND lease_expires_at >= $6 RETURNING {ALERT_COLS}"
        );
        let who = user.to_string();
        let detail = match note {
            Some(n) if !n.is_empty() => format!("{}: {n}", reason.as_str()),
            _ => reason.as_str().to_string(),
        };
        let followup = if verdict == Verdict::Confirmed && reason == ReasonCode::Misinformation {
            Followup::RecordClaim { by: user.to_string(), at: now }
        } else {
            Followup::None
        };
        self.triage_update_then(
            id,
            &sql,
            vec![
                text(user),
                text(verdict.state().as_str()),
                text(reason.as_str()),
                Bind::Text(note.map(str::to_string)),
                ms(now),
            ],
            move |b, a| event(&who, now, "verdict", Some(b.state), Some(a.state), Some(detail)),
            "give a verdict without holding its lease",
            followup,
        )
        .await
    }

    async fn reopen(&self, id: i64, user: &str, now: DateTime<Utc>) -> Result<Alert> {
        let sql = format!(
            "UPDATE alerts SET state = 'new', verdict = NULL, reason = NULL, claimed_by = NULL, lease_expires_at = NULL, version = version + 1, \
             decided_at = NULL WHERE id = $1 AND state IN ('confirmed', 'dismissed', 'escalated', 'closed') AND $2 IS NOT NULL RETURNING {ALERT_COLS}"
        );
        let who = user.to_string();
        self.triage_update_then(
            id,
            &sql,
            vec![text(user)],
            move |b, a| event(&who, now, "reopen", Some(b.state), Some(a.state), None),
            "reopen it",
            Followup::WithdrawClaim { by: user.to_string(), at: now },
        )
        .await
    }

    async fn expire_leases(&self, now: DateTime<Utc>) -> Result<u64> {
        let _guard = self.write_guard().await;
        let mut tx = self.write_tx().await?;
        let rows = sqlx::query("SELECT id, claimed_by FROM alerts WHERE state = 'claimed' AND lease_expires_at < $1")
            .bind(millis(now))
            .fetch_all(&mut *tx)
            .await?;
        let mut expired = 0;
        for row in rows {
            let id: i64 = row.try_get("id")?;
            let holder: Option<String> = row.try_get("claimed_by")?;
            let n = sqlx::query(
                "UPDATE alerts SET state = 'new', claimed_by = NULL, lease_expires_at = NULL, version = version + 1 \
                 WHERE id = $1 AND state = 'claimed' AND lease_expires_at < $2",
            )
            .bind(id)
            .bind(millis(now))
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n == 1 {
                expired += 1;
                let detail = holder.map(|h| format!("lease of {h} expired"));
                audit_in(
                    &mut tx,
                    Some(id),
                    &event("system", now, "lease_expired", Some(AlertState::Claimed), Some(AlertState::New), detail),
                )
                .await?;
            }
        }
        tx.commit().await?;
        Ok(expired)
    }

    async fn assign(
        &self,
        id: i64,
        by: &str,
        to: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<Alert> {
        let sql = format!(
            "UPDATE alerts SET state = 'claimed', claimed_by = $2, lease_expires_at = $3, version = version + 1, \
             first_claimed_at = COALESCE(first_claimed_at, $4) WHERE id = $1 AND state IN ('new', 'claimed') RETURNING {ALERT_COLS}"
        );
        let who = by.to_string();
        let target = to.to_string();
        self.triage_update(
            id,
            &sql,
            vec![text(to), ms(lease_until), ms(now)],
            move |b, a| event(&who, now, "assign", Some(b.state), Some(a.state), Some(format!("to {target}"))),
            "assign it",
        )
        .await
    }

    async fn close(&self, id: i64, user: &str, now: DateTime<Utc>) -> Result<Alert> {
        let sql = format!(
            "UPDATE alerts SET state = 'closed', lease_expires_at = NULL, version = version + 1 \
             WHERE id = $1 AND state IN ('confirmed', 'dismissed', 'escalated') AND $2 IS NOT NULL RETURNING {ALERT_COLS}"
        );
        let who = user.to_string();
        self.triage_update(
            id,
            &sql,
            vec![text(user)],
            move |b, a| event(&who, now, "close", Some(b.state), Some(a.state), None),
            "close it",
        )
        .await
    }

    async fn set_priority(&self, id: i64, user: &str, priority: Priority, now: DateTime<Utc>) -> Result<Alert> {
        let sql =
            format!("UPDATE alerts SET priority = $2, version = version + 1 WHERE id = $1 RETURNING {ALERT_COLS}");
        let who = user.to_string();
        self.triage_update(
            id,
            &sql,
            vec![Bind::Int(priority.rank())],
            move |b, a| {
                event(
                    &who,
                    now,
                    "priority",
                    Some(b.state),
                    Some(a.state),
                    Some(format!("{} → {}", b.priority, a.priority)),
                )
            },
            "change its priority",
        )
        .await
    }

    async fn create_silence(&self, s: &NewSilence, now: DateTime<Utc>) -> Result<Silence> {
        if s.matchers.is_empty() {
            return Err(Error::Invalid("a silence needs at least one matcher".into()));
        }
        if s.reason.trim().is_empty() || s.creator.trim().is_empty() {
            return Err(Error::Invalid("a silence needs a creator and a reason".into()));
        }
        if s.ends_at <= s.starts_at {
            return Err(Error::Invalid("a silence must end after it starts".into()));
        }
        let _guard = self.write_guard().await;
        let mut tx = self.write_tx().await?;
        let sql = format!(
            "INSERT INTO silences (matchers, starts_at, ends_at, quiet_hours, creator, reason, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {SILENCE_COLS}"
        );
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(serde_json::to_string(&s.matchers).unwrap_or_else(|_| "{}".into()))
            .bind(millis(s.starts_at))
            .bind(millis(s.ends_at))
            .bind(s.quiet_hours)
            .bind(&s.creator)
            .bind(&s.reason)
            .bind(millis(now))
            .fetch_one(&mut *tx)
            .await?;
        let silence = silence_from_row(&row, now)?;
        if silence.active {
            let open = sqlx::query(
                "SELECT id, rule_id, story_id, team, state, labels FROM alerts WHERE state IN ('new', 'claimed')",
            )
            .fetch_all(&mut *tx)
            .await?;
            for a in open {
                let labels: duluan_model::AlertLabels = json_or_default(&a.try_get::<String, _>("labels")?);
                let (rule, story, team): (String, String, String) =
                    (a.try_get("rule_id")?, a.try_get("story_id")?, a.try_get("team")?);
                if !silence.matchers.matches(&rule, &story, &team, &labels) {
                    continue;
                }
                let id: i64 = a.try_get("id")?;
                let state =
                    AlertState::from_str(&a.try_get::<String, _>("state")?).map_err(|e| corrupt("alert state", e))?;
                sqlx::query("UPDATE alerts SET silence_id = $2, version = version + 1 WHERE id = $1")
                    .bind(id)
                    .bind(silence.id)
                    .execute(&mut *tx)
                    .await?;
                let detail = format!("silence {} by {}: {}", silence.id, silence.creator, silence.reason);
                audit_in(
                    &mut tx,
                    Some(id),
                    &event(&silence.creator, now, "silenced", Some(state), Some(state), Some(detail)),
                )
                .await?;
            }
        }
        tx.commit().await?;
        Ok(silence)
    }

    async fn silences(&self, include_ended: bool, now: DateTime<Utc>) -> Result<Vec<Silence>> {
        let filter = if include_ended {
            String::new()
        } else {
            format!(" WHERE expired_at IS NULL AND ends_at > {}", millis(now))
        };
        let sql = format!("SELECT {SILENCE_COLS} FROM silences{filter} ORDER BY id DESC LIMIT 1000");
        let rows = sqlx::query(AssertSqlSafe(sql)).fetch_all(&self.pool).await?;
        rows.iter().map(|r| silence_from_row(r, now)).collect()
    }

    async fn expire_silence(&self, id: i64, user: &str, now: DateTime<Utc>) -> Result<Silence> {
        let _guard = self.write_guard().await;
        let mut tx = self.write_tx().await?;
        let sql = format!(
            "UPDATE silences SET expired_at = $2 WHERE id = $1 AND expired_at IS NULL AND ends_at > $2 RETURNING {SILENCE_COLS}"
        );
        let row = sqlx::query(AssertSqlSafe(sql)).bind(id).bind(millis(now)).fetch_optional(&mut *tx).await?;
        let Some(row) = row else {
            tx.rollback().await?;
            let exists =
                sqlx::query("SELECT id FROM silences WHERE id = $1").bind(id).fetch_optional(&self.pool).await?;
            return Err(match exists {
                Some(_) => Error::Conflict(format!("silence {id} has already ended")),
                None => Error::NotFound(format!("silence {id}")),
            });
        };
        let muted = sqlx::query("SELECT id, state FROM alerts WHERE silence_id = $1 AND state IN ('new', 'claimed')")
            .bind(id)
            .fetch_all(&mut *tx)
            .await?;
        for a in muted {
            let alert_id: i64 = a.try_get("id")?;
            let state =
                AlertState::from_str(&a.try_get::<String, _>("state")?).map_err(|e| corrupt("alert state", e))?;
            audit_in(
                &mut tx,
                Some(alert_id),
                &event(
                    user,
                    now,
                    "unsilenced",
                    Some(state),
                    Some(state),
                    Some(format!("silence {id} ended by {user}")),
                ),
            )
            .await?;
        }
        tx.commit().await?;
        silence_from_row(&row, now)
    }

    async fn lease_notifications(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<Notification>> {
        let rows = self.lease_due("notifications", NOTIFICATION_COLS, now, lease_until, limit).await?;
        let mut out: Vec<Notification> = rows.iter().map(notification_from_row).collect::<Result<_>>()?;
        out.sort_by_key(|n| n.id);
        Ok(out)
    }

    async fn finish_notification(&self, id: i64, outcome: &DeliveryOutcome, now: DateTime<Utc>) -> Result<()> {
        let _guard = self.write_guard().await;
        outcome_update("notifications", id, outcome, now).execute(&self.pool).await?;
        Ok(())
    }

    async fn notifications(
        &self,
        state: Option<NotificationState>,
        limit: i64,
        before_id: Option<i64>,
    ) -> Result<Vec<Notification>> {
        let mut clauses = Vec::new();
        if let Some(s) = state {
            clauses.push(format!("state = '{}'", s.as_str()));
        }
        if let Some(b) = before_id {
            clauses.push(format!("id < {b}"));
        }
        let filter = if clauses.is_empty() { String::new() } else { format!(" WHERE {}", clauses.join(" AND ")) };
        let sql = format!(
            "SELECT {NOTIFICATION_COLS} FROM notifications{filter} ORDER BY id DESC LIMIT {}",
            limit.clamp(1, 1000)
        );
        let rows = sqlx::query(AssertSqlSafe(sql)).fetch_all(&self.pool).await?;
        rows.iter().map(notification_from_row).collect()
    }

    async fn receiver_stats(&self) -> Result<Vec<ReceiverStats>> {
        let rows = sqlx::query(
            "SELECT receiver, \
               CAST(SUM(CASE WHEN state = 'pending' THEN 1 ELSE 0 END) AS BIGINT) AS pending, \
               CAST(SUM(CASE WHEN state = 'sent' THEN 1 ELSE 0 END) AS BIGINT) AS sent, \
               CAST(SUM(CASE WHEN state = 'failed' THEN 1 ELSE 0 END) AS BIGINT) AS failed, \
               CAST(SUM(CASE WHEN state = 'skipped' THEN 1 ELSE 0 END) AS BIGINT) AS skipped, \
               MAX(sent_at) AS last_sent_at \
             FROM notifications GROUP BY receiver ORDER BY receiver",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::new();
        for r in rows {
            let receiver: String = r.try_get("receiver")?;
            let last_error = sqlx::query("SELECT last_error FROM notifications WHERE receiver = $1 AND last_error IS NOT NULL AND state <> 'skipped' ORDER BY id DESC LIMIT 1")
                .bind(&receiver)
                .fetch_optional(&self.pool)
                .await?
                .map(|row| row.try_get::<String, _>("last_error"))
                .transpose()?;
            out.push(ReceiverStats {
                receiver,
                pending: r.try_get("pending")?,
                sent: r.try_get("sent")?,
                failed: r.try_get("failed")?,
                skipped: r.try_get("skipped")?,
                last_sent_at: r.try_get::<Option<i64>, _>("last_sent_at")?.map(from_millis),
                last_error,
            });
        }
        Ok(out)
    }

    async fn notify_overdue(&self, now: DateTime<Utc>, targets: &[(duluan_model::Severity, i64)]) -> Result<Vec<i64>> {
        let _guard = self.write_guard().await;
        let mut tx = self.write_tx().await?;
        let mut concerned = Vec::new();
        for (severity, minutes) in targets.iter().filter(|(_, m)| *m > 0) {
            let deadline = millis(now - Duration::minutes(*minutes));
            let sql = format!(
                "SELECT id, labels FROM alerts WHERE state = 'new' AND severity = $1 AND created_at < $2 AND overdue_notified = 0 \
                 AND NOT ({})",
                muted_condition_or_null(now)
            );
            let rows =
                sqlx::query(AssertSqlSafe(sql)).bind(severity.as_str()).bind(deadline).fetch_all(&mut *tx).await?;
            for row in rows {
                let id: i64 = row.try_get("id")?;
                let labels: duluan_model::AlertLabels = json_or_default(&row.try_get::<String, _>("labels")?);
                sqlx::query("UPDATE alerts SET overdue_notified = 1 WHERE id = $1").bind(id).execute(&mut *tx).await?;
                SqlStore::queue_notifications(&mut tx, id, &labels.receivers, "overdue", now).await?;
                audit_in(
                    &mut tx,
                    Some(id),
                    &event(
                        "system",
                        now,
                        "overdue",
                        Some(AlertState::New),
                        Some(AlertState::New),
                        Some(format!("unclaimed after {minutes} minutes")),
                    ),
                )
                .await?;
                concerned.push(id);
            }
        }
        tx.commit().await?;
        Ok(concerned)
    }

    async fn rule_stats(&self, recent_since: DateTime<Utc>) -> Result<Vec<RuleStats>> {
        let rows = sqlx::query(
            "SELECT rule_id, COUNT(*) AS alerts, CAST(SUM(item_count) AS BIGINT) AS items, \
               CAST(SUM(CASE WHEN verdict = 'confirmed' THEN 1 ELSE 0 END) AS BIGINT) AS confirmed, \
               CAST(SUM(CASE WHEN verdict = 'escalated' THEN 1 ELSE 0 END) AS BIGINT) AS escalated, \
               CAST(SUM(CASE WHEN verdict = 'dismissed' THEN 1 ELSE 0 END) AS BIGINT) AS dismissed, \
               CAST(SUM(CASE WHEN state IN ('new', 'claimed') THEN 1 ELSE 0 END) AS BIGINT) AS open, \
               CAST(SUM(CASE WHEN decided_at >= $1 AND verdict IN ('confirmed', 'escalated', 'dismissed') \
                 THEN 1 ELSE 0 END) AS BIGINT) AS recent_decided, \
               CAST(SUM(CASE WHEN decided_at >= $1 AND verdict IN ('confirmed', 'escalated') \
                 THEN 1 ELSE 0 END) AS BIGINT) AS recent_kept, \
               MAX(last_seen_at) AS last_hit \
             FROM alerts GROUP BY rule_id ORDER BY rule_id",
        )
        .bind(millis(recent_since))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let (confirmed, escalated, dismissed): (i64, i64, i64) =
                    (r.try_get("confirmed")?, r.try_get("escalated")?, r.try_get("dismissed")?);
                let decided = confirmed + escalated + dismissed;
                let (recent_decided, recent_kept): (i64, i64) =
                    (r.try_get("recent_decided")?, r.try_get("recent_kept")?);
                Ok(RuleStats {
                    rule: r.try_get("rule_id")?,
                    alerts: r.try_get("alerts")?,
                    items: r.try_get("items")?,
                    confirmed,
                    escalated,
                    dismissed,
                    open: r.try_get("open")?,
                    precision: (decided > 0).then(|| (confirmed + escalated) as f64 / decided as f64),
                    recent_decided,
                    recent_precision: (recent_decided > 0).then(|| recent_kept as f64 / recent_decided as f64),
                    last_hit: r.try_get::<Option<i64>, _>("last_hit")?.map(from_millis),
                })
            })
            .collect()
    }

    async fn start_report_run(&self, run: &NewReportRun, now: DateTime<Utc>) -> Result<Option<i64>> {
        let _guard = self.write_guard().await;
        let mut tx = self.write_tx().await?;
        let exists = sqlx::query("SELECT id FROM report_runs WHERE schedule_id = $1 AND due_at = $2")
            .bind(&run.schedule_id)
            .bind(millis(run.due_at))
            .fetch_optional(&mut *tx)
            .await?;
        if exists.is_some() {
            return Ok(None);
        }
        let row = sqlx::query(
            "INSERT INTO report_runs (schedule_id, due_at, label, period_from, period_to, status, started_at) \
             VALUES ($1, $2, $3, $4, $5, 'running', $6) RETURNING id",
        )
        .bind(&run.schedule_id)
        .bind(millis(run.due_at))
        .bind(&run.label)
        .bind(&run.period_from)
        .bind(&run.period_to)
        .bind(millis(now))
        .fetch_one(&mut *tx)
        .await?;
        let id: i64 = row.try_get("id")?;
        tx.commit().await?;
        Ok(Some(id))
    }

    async fn finish_report_run(
        &self,
        id: i64,
        outcome: std::result::Result<ReportOutput<'_>, &str>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let _guard = self.write_guard().await;
        let mut tx = self.write_tx().await?;
        match outcome {
            Ok(output) => {
                for (format, content) in output.files {
                    sqlx::query("INSERT INTO report_files (run_id, format, content) VALUES ($1, $2, $3)")
                        .bind(id)
                        .bind(format)
                        .bind(content)
                        .execute(&mut *tx)
                        .await?;
                }
                for receiver in output.receivers {
                    sqlx::query(
                        "INSERT INTO report_deliveries (run_id, receiver, state, attempts, next_attempt_at, created_at) \
                         VALUES ($1, $2, 'pending', 0, $3, $3)",
                    )
                    .bind(id)
                    .bind(receiver)
                    .bind(millis(now))
                    .execute(&mut *tx)
                    .await?;
                }
                sqlx::query("UPDATE report_runs SET status = 'done', items = $1, finished_at = $2 WHERE id = $3")
                    .bind(output.items)
                    .bind(millis(now))
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
            Err(error) => {
                sqlx::query("UPDATE report_runs SET status = 'failed', error = $1, finished_at = $2 WHERE id = $3")
                    .bind(error)
                    .bind(millis(now))
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    async fn lease_report_deliveries(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<ReportDelivery>> {
        let rows = self.lease_due("report_deliveries", DELIVERY_COLS, now, lease_until, limit).await?;
        let mut out: Vec<ReportDelivery> = rows.iter().map(delivery_from_row).collect::<Result<_>>()?;
        out.sort_by_key(|d| d.id);
        Ok(out)
    }

    async fn finish_report_delivery(&self, id: i64, outcome: &DeliveryOutcome, now: DateTime<Utc>) -> Result<()> {
        let _guard = self.write_guard().await;
        outcome_update("report_deliveries", id, outcome, now).execute(&self.pool).await?;
        Ok(())
    }

    async fn report_deliveries(&self, run_id: i64) -> Result<Vec<ReportDelivery>> {
        let sql = format!("SELECT {DELIVERY_COLS} FROM report_deliveries WHERE run_id = $1 ORDER BY id");
        let rows = sqlx::query(AssertSqlSafe(sql)).bind(run_id).fetch_all(&self.pool).await?;
        rows.iter().map(delivery_from_row).collect()
    }

    async fn clear_interrupted_report_runs(&self) -> Result<u64> {
        let _guard = self.write_guard().await;
        let mut tx = self.write_tx().await?;
        sqlx::query("DELETE FROM report_files WHERE run_id IN (SELECT id FROM report_runs WHERE status = 'running')")
            .execute(&mut *tx)
            .await?;
        let done = sqlx::query("DELETE FROM report_runs WHERE status = 'running'").execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(done.rows_affected())
    }

    async fn report_runs(&self, limit: i64, before_id: Option<i64>) -> Result<Vec<ReportRun>> {
        let rows = sqlx::query(
            "SELECT id, schedule_id, due_at, label, period_from, period_to, status, error, items, started_at, finished_at \
             FROM report_runs WHERE id < $1 ORDER BY id DESC LIMIT $2",
        )
        .bind(before_id.unwrap_or(i64::MAX))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        let mut runs = Vec::with_capacity(rows.len());
        for row in &rows {
            runs.push(self.report_run_from_row(row).await?);
        }
        Ok(runs)
    }

    async fn report_run(&self, id: i64) -> Result<Option<ReportRun>> {
        let row = sqlx::query(
            "SELECT id, schedule_id, due_at, label, period_from, period_to, status, error, items, started_at, finished_at \
             FROM report_runs WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        match row {
            Some(row) => Ok(Some(self.report_run_from_row(&row).await?)),
            None => Ok(None),
        }
    }

    async fn last_report_run(&self, schedule_id: &str) -> Result<Option<ReportRun>> {
        let row =
            sqlx::query("SELECT id FROM report_runs WHERE schedule_id = $1 ORDER BY due_at DESC, id DESC LIMIT 1")
                .bind(schedule_id)
                .fetch_optional(&self.pool)
                .await?;
        match row {
            Some(row) => self.report_run(row.try_get("id")?).await,
            None => Ok(None),
        }
    }

    async fn report_file(&self, id: i64, format: &str) -> Result<Option<String>> {
        let row = sqlx::query("SELECT content FROM report_files WHERE run_id = $1 AND format = $2")
            .bind(id)
            .bind(format)
            .fetch_optional(&self.pool)
            .await?;
        Ok(match row {
            Some(row) => Some(row.try_get("content")?),
            None => None,
        })
    }

    async fn alert_timings(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<AlertTiming>> {
        let rows = sqlx::query(
            "SELECT rule_id, team, state, verdict, created_at, first_claimed_at, decided_at FROM alerts \
             WHERE created_at >= $1 AND created_at < $2 ORDER BY created_at, id",
        )
        .bind(millis(from))
        .bind(millis(to))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(AlertTiming {
                    rule: r.try_get("rule_id")?,
                    team: r.try_get("team")?,
                    state: r.try_get("state")?,
                    verdict: r.try_get("verdict")?,
                    created_at: from_millis(r.try_get("created_at")?),
                    first_claimed_at: r.try_get::<Option<i64>, _>("first_claimed_at")?.map(from_millis),
                    decided_at: r.try_get::<Option<i64>, _>("decided_at")?.map(from_millis),
                })
            })
            .collect()
    }

    async fn raise_system_alert(&self, alert: &SystemAlert, now: DateTime<Utc>) -> Result<(i64, bool)> {
        let _guard = self.write_guard().await;
        let mut tx = self.write_tx().await?;
        let open = sqlx::query(
            "SELECT id, state FROM alerts WHERE rule_id = $1 AND story_id = $2 \
             AND ($3 = 1 OR state IN ('new', 'claimed')) ORDER BY id DESC LIMIT 1",
        )
        .bind(&alert.kind)
        .bind(&alert.key)
        .bind(i64::from(alert.once))
        .fetch_optional(&mut *tx)
        .await?;
        let result = match open {
            Some(row) => {
                let id: i64 = row.try_get("id")?;
                let state: String = row.try_get("state")?;
                let state = AlertState::from_str(&state).map_err(|e| corrupt("alert state", e))?;
                sqlx::query("UPDATE alerts SET last_seen_at = $2, title = $3, version = version + 1 WHERE id = $1")
                    .bind(id)
                    .bind(millis(now))
                    .bind(&alert.title)
                    .execute(&mut *tx)
                    .await?;
                audit_in(
                    &mut tx,
                    Some(id),
                    &event("system", now, "grouped", Some(state), Some(state), Some(alert.detail.clone())),
                )
                .await?;
                (id, false)
            }
            None => {
                let row = sqlx::query(
                    "INSERT INTO alerts (rule_id, story_id, team, severity, state, title, item_count, created_at, last_seen_at, version) \
                     VALUES ($1, $2, $3, $4, 'new', $5, 0, $6, $6, 1) RETURNING id",
                )
                .bind(&alert.kind)
                .bind(&alert.key)
                .bind(&alert.team)
                .bind(alert.severity.as_str())
                .bind(&alert.title)
                .bind(millis(now))
                .fetch_one(&mut *tx)
                .await?;
                let id: i64 = row.try_get("id")?;
                audit_in(
                    &mut tx,
                    Some(id),
                    &event("system", now, "raised", None, Some(AlertState::New), Some(alert.detail.clone())),
                )
                .await?;
                (id, true)
            }
        };
        tx.commit().await?;
        Ok(result)
    }

    async fn alert_counts(&self) -> Result<Vec<(AlertState, i64)>> {
        let rows = sqlx::query("SELECT state, COUNT(*) AS n FROM alerts GROUP BY state").fetch_all(&self.pool).await?;
        let mut out = Vec::new();
        for row in rows {
            let state: String = row.try_get("state")?;
            let state = AlertState::from_str(&state).map_err(|e| corrupt("alert state", e))?;
            out.push((state, row.try_get("n")?));
        }
        Ok(out)
    }

    async fn create_user(
        &self,
        name: &str,
        password_hash: &str,
        role: Role,
        team: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<User> {
        let _guard = self.write_guard().await;
        let taken = sqlx::query("SELECT id FROM users WHERE name = $1").bind(name).fetch_optional(&self.pool).await?;
        if taken.is_some() {
            return Err(Error::Invalid(format!("user `{name}` already exists")));
        }
        let row = sqlx::query("INSERT INTO users (name, password_hash, role, team, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id, name, role, team")
            .bind(name)
            .bind(password_hash)
            .bind(role.as_str())
            .bind(team)
            .bind(millis(now))
            .fetch_one(&self.pool)
            .await?;
        user_from_row(&row)
    }

    async fn user_by_name(&self, name: &str) -> Result<Option<(User, String)>> {
        let row = sqlx::query("SELECT id, name, role, team, password_hash FROM users WHERE name = $1 AND disabled = 0")
            .bind(name)
            .fetch_optional(&self.pool)
            .await?;
        match row {
            Some(r) => Ok(Some((user_from_row(&r)?, r.try_get("password_hash")?))),
            None => Ok(None),
        }
    }

    async fn users(&self) -> Result<Vec<User>> {
        let rows = sqlx::query("SELECT id, name, role, team FROM users ORDER BY name").fetch_all(&self.pool).await?;
        rows.iter().map(user_from_row).collect()
    }

    async fn set_password(&self, name: &str, password_hash: &str) -> Result<()> {
        let _guard = self.write_guard().await;
        let n = sqlx::query("UPDATE users SET password_hash = $2 WHERE name = $1")
            .bind(name)
            .bind(password_hash)
            .execute(&self.pool)
            .await?
            .rows_affected();
        if n == 0 {
            return Err(Error::NotFound(format!("user `{name}`")));
        }
        Ok(())
    }

    async fn create_token(
        &self,
        user_id: i64,
        name: &str,
        kind: TokenKind,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        let _guard = self.write_guard().await;
        let row = sqlx::query(
            "INSERT INTO tokens (user_id, name, kind, token_hash, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(user_id)
        .bind(name)
        .bind(kind.as_str())
        .bind(token_hash)
        .bind(millis(now))
        .fetch_one(&self.pool)
        .await?;
        Ok(row.try_get("id")?)
    }

    async fn token_user(&self, token_hash: &str, kind: TokenKind, now: DateTime<Utc>) -> Result<Option<(User, i64)>> {
        let row = sqlx::query(
            "SELECT u.id AS id, u.name AS name, u.role AS role, u.team AS team, t.id AS token_id, t.last_used_at AS last_used_at FROM tokens t \
             JOIN users u ON u.id = t.user_id WHERE t.token_hash = $1 AND t.kind = $2 AND t.revoked_at IS NULL AND u.disabled = 0",
        )
        .bind(token_hash)
        .bind(kind.as_str())
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let user = user_from_row(&row)?;
        let token_id: i64 = row.try_get("token_id")?;
        // Record use at most once a minute: a write per request would serialise every API call.
        let last: Option<i64> = row.try_get("last_used_at")?;
        if last.is_none_or(|l| millis(now) - l > 60_000) {
            let _guard = self.write_guard().await;
            sqlx::query("UPDATE tokens SET last_used_at = $2 WHERE id = $1")
                .bind(token_id)
                .bind(millis(now))
                .execute(&self.pool)
                .await?;
        }
        Ok(Some((user, token_id)))
    }

    async fn tokens(&self, user_id: Option<i64>) -> Result<Vec<TokenInfo>> {
        let rows = sqlx::query("SELECT id, user_id, name, kind, created_at, last_used_at, revoked_at FROM tokens WHERE ($1 IS NULL OR user_id = $1) ORDER BY id")
            .bind(user_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                let kind: String = r.try_get("kind")?;
                Ok(TokenInfo {
                    id: r.try_get("id")?,
                    user_id: r.try_get("user_id")?,
                    name: r.try_get("name")?,
                    kind: if kind == "feed" { TokenKind::Feed } else { TokenKind::Api },
                    created_at: from_millis(r.try_get("created_at")?),
                    last_used_at: r.try_get::<Option<i64>, _>("last_used_at")?.map(from_millis),
                    revoked_at: r.try_get::<Option<i64>, _>("revoked_at")?.map(from_millis),
                })
            })
            .collect()
    }

    async fn revoke_token(&self, id: i64, user_id: Option<i64>, now: DateTime<Utc>) -> Result<()> {
        let _guard = self.write_guard().await;
        let n = sqlx::query(
            "UPDATE tokens SET revoked_at = $3 WHERE id = $1 AND ($2 IS NULL OR user_id = $2) AND revoked_at IS NULL",
        )
        .bind(id)
        .bind(user_id)
        .bind(millis(now))
        .execute(&self.pool)
        .await?
        .rows_affected();
        if n == 0 {
            return Err(Error::NotFound(format!("token {id}")));
        }
        Ok(())
    }

    async fn create_session(
        &self,
        id_hash: &str,
        user_id: i64,
        csrf: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<()> {
        let _guard = self.write_guard().await;
        sqlx::query("DELETE FROM sessions WHERE expires_at < $1").bind(millis(now)).execute(&self.pool).await?;
        sqlx::query(
            "INSERT INTO sessions (id_hash, user_id, csrf, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id_hash)
        .bind(user_id)
        .bind(csrf)
        .bind(millis(now))
        .bind(millis(expires_at))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn session(&self, id_hash: &str, now: DateTime<Utc>) -> Result<Option<(User, String)>> {
        let row = sqlx::query(
            "SELECT u.id AS id, u.name AS name, u.role AS role, u.team AS team, s.csrf AS csrf FROM sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.id_hash = $1 AND s.expires_at > $2 AND u.disabled = 0",
        )
        .bind(id_hash)
        .bind(millis(now))
        .fetch_optional(&self.pool)
        .await?;
        match row {
            Some(r) => Ok(Some((user_from_row(&r)?, r.try_get("csrf")?))),
            None => Ok(None),
        }
    }

    async fn delete_session(&self, id_hash: &str) -> Result<()> {
        let _guard = self.write_guard().await;
        sqlx::query("DELETE FROM sessions WHERE id_hash = $1").bind(id_hash).execute(&self.pool).await?;
        Ok(())
    }

    async fn audit_event(&self, alert_id: Option<i64>, event: &AuditEvent) -> Result<()> {
        let _guard = self.write_guard().await;
        let mut tx = self.write_tx().await?;
        audit_in(&mut tx, alert_id, event).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn audit_log(&self, before: Option<i64>, action: Option<&str>, limit: u32) -> Result<Vec<AuditEntry>> {
        // The optional filters are bound as values and compared in SQL, so the statement is fixed.
        let rows = sqlx::query(
            "SELECT id, alert_id, who, at, action, before_state, after_state, detail FROM audit \
             WHERE ($1 < 0 OR id < $1) AND ($2 = '' OR action = $2) ORDER BY id DESC LIMIT $3",
        )
        .bind(before.unwrap_or(-1))
        .bind(action.unwrap_or(""))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(AuditEntry { id: r.try_get("id")?, alert_id: r.try_get("alert_id")?, event: audit_from_row(r)? })
            })
            .collect()
    }

    async fn create_saved_search(&self, search: &NewSavedSearch, now: DateTime<Utc>) -> Result<SavedSearch> {
        if search.name.trim().is_empty() || search.created_by.trim().is_empty() {
            return Err(Error::Invalid("a saved search needs a name and its author".into()));
        }
        let team = search.team.clone().unwrap_or_default();
        let _guard = self.write_guard().await;
        let taken = sqlx::query("SELECT id FROM saved_searches WHERE team = $1 AND name = $2")
            .bind(&team)
            .bind(&search.name)
            .fetch_optional(&self.pool)
            .await?;
        if taken.is_some() {
            return Err(Error::Conflict(format!("a saved search named `{}` already exists", search.name)));
        }
        let sql = format!(
            "INSERT INTO saved_searches (team, name, query, filters, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING {SAVED_SEARCH_COLS}"
        );
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(&team)
            .bind(&search.name)
            .bind(&search.query)
            .bind(serde_json::to_string(&search.filters).unwrap_or_else(|_| "{}".into()))
            .bind(&search.created_by)
            .bind(millis(now))
            .fetch_one(&self.pool)
            .await?;
        saved_search_from_row(&row)
    }

    async fn saved_searches(&self, team: Option<&str>) -> Result<Vec<SavedSearch>> {
        let rows = match team {
            Some(team) => {
                let sql = format!(
                    "SELECT {SAVED_SEARCH_COLS} FROM saved_searches WHERE team = '' OR team = $1 ORDER BY name, id LIMIT 1000"
                );
                sqlx::query(AssertSqlSafe(sql)).bind(team).fetch_all(&self.pool).await?
            }
            None => {
                let sql = format!("SELECT {SAVED_SEARCH_COLS} FROM saved_searches ORDER BY name, id LIMIT 1000");
                sqlx::query(AssertSqlSafe(sql)).fetch_all(&self.pool).await?
            }
        };
        rows.iter().map(saved_search_from_row).collect()
    }

    async fn saved_search(&self, id: i64) -> Result<Option<SavedSearch>> {
        let sql = format!("SELECT {SAVED_SEARCH_COLS} FROM saved_searches WHERE id = $1");
        let row = sqlx::query(AssertSqlSafe(sql)).bind(id).fetch_optional(&self.pool).await?;
        row.as_ref().map(saved_search_from_row).transpose()
    }

    async fn delete_saved_search(&self, id: i64) -> Result<()> {
        let _guard = self.write_guard().await;
        let done = sqlx::query("DELETE FROM saved_searches WHERE id = $1").bind(id).execute(&self.pool).await?;
        if done.rows_affected() == 0 {
            return Err(Error::NotFound(format!("saved search {id}")));
        }
        Ok(())
    }

    async fn add_known_claim(&self, claim: &NewKnownClaim, now: DateTime<Utc>) -> Result<KnownClaim> {
        if claim.id.trim().is_empty() || claim.text.trim().is_empty() {
            return Err(Error::Invalid("a known claim needs an id and a text".into()));
        }
        let _guard = self.write_guard().await;
        let mut tx = self.write_tx().await?;
        if !insert_known_claim(&mut tx, claim, now).await? {
            tx.rollback().await?;
            return Err(Error::Conflict(format!("a known claim `{}` already exists", claim.id)));
        }
        let sql = format!("SELECT {KNOWN_CLAIM_COLS} FROM known_claims WHERE id = $1");
        let row = sqlx::query(AssertSqlSafe(sql)).bind(&claim.id).fetch_one(&mut *tx).await?;
        tx.commit().await?;
        known_claim_from_row(&row)
    }

    async fn known_claims(&self, limit: i64) -> Result<Vec<KnownClaim>> {
        let sql = format!("SELECT {KNOWN_CLAIM_COLS} FROM known_claims ORDER BY seq DESC LIMIT $1");
        let rows = sqlx::query(AssertSqlSafe(sql)).bind(limit.max(0)).fetch_all(&self.pool).await?;
        rows.iter().map(known_claim_from_row).collect()
    }

    async fn remove_known_claim(&self, id: &str) -> Result<()> {
        let _guard = self.write_guard().await;
        let done = sqlx::query("DELETE FROM known_claims WHERE id = $1").bind(id).execute(&self.pool).await?;
        if done.rows_affected() == 0 {
            return Err(Error::NotFound(format!("known claim {id}")));
        }
        Ok(())
    }

    async fn known_claims_stamp(&self) -> Result<KnownClaimsStamp> {
        let row = sqlx::query("SELECT COUNT(*) AS n, COALESCE(MAX(seq), 0) AS last FROM known_claims")
            .fetch_one(&self.pool)
            .await?;
        Ok(KnownClaimsStamp { count: row.try_get("n")?, last_seq: row.try_get("last")? })
    }

    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conformance;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite_passes_the_conformance_suite() {
        let dir = tempfile::tempdir().expect("tempdir");
        let counter = std::sync::atomic::AtomicUsize::new(0);
        conformance::run_all(async || {
            let n = counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let url = format!("sqlite://{}?mode=rwc", dir.path().join(format!("db{n}.sqlite")).display());
            Arc::new(SqlStore::connect(&url, 4).await.expect("connect")) as Arc<dyn Store>
        })
        .await;
    }

    /// Runs when `DULUAN_TEST_PG_URL` points at a PostgreSQL server (as `.ci/run` arranges);
    /// each store gets a fresh database.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres_passes_the_conformance_suite() {
        let Ok(base) = std::env::var("DULUAN_TEST_PG_URL") else {
            eprintln!("DULUAN_TEST_PG_URL not set: skipping the PostgreSQL conformance run");
            return;
        };
        sqlx::any::install_default_drivers();
        let admin = sqlx::AnyPool::connect(&base).await.expect("connect to postgres");
        let counter = std::sync::atomic::AtomicUsize::new(0);
        let run = std::process::id();
        conformance::run_all(async || {
            let n = counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let name = format!("duluan_test_{run}_{n}");
            sqlx::raw_sql(AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name}")))
                .execute(&admin)
                .await
                .expect("drop");
            sqlx::raw_sql(AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&admin).await.expect("create");
            let url = match base.rfind('/') {
                Some(i) if base[..i].contains("//") && i > base.find("//").map_or(0, |j| j + 1) => {
                    format!("{}/{name}", &base[..i])
                }
                _ => format!("{base}/{name}"),
            };
            Arc::new(SqlStore::connect(&url, 8).await.expect("connect")) as Arc<dyn Store>
        })
        .await;
    }
}
