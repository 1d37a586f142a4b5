//! The rules review list: every rule of the loaded packs, and every rule or alert kind that
//! raised alerts, with its hits, verdicts and precision, and whether it needs a look. The API,
//! the `/rules` page and `duluan rules stats` all build it here, so they list the same rules
//! with the same flags.

use std::cmp::Ordering;
use std::collections::HashMap;

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use duluan_index::{RuleHits, SearchIndex};
use duluan_model::Severity;
use duluan_rules::review::{Provenance, Record, ReviewFlag, RuleCatalog, RuleInfo, review};
use duluan_store::RuleStats;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::ApiQuery;

/// Days counted as recent, for hits as for decisions.
pub use duluan_rules::review::RECENT_DAYS;

/// Order of the review list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RuleSort {
    /// Rules needing review first, then the least precise, then the busiest.
    #[default]
    Review,
    /// Lowest precision first; rules with nothing decided last.
    Precision,
    /// Most flagged items first.
    Hits,
    /// Latest hit first; rules that never fired last.
    LastHit,
}

/// `GET /api/rules/stats` parameters.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RuleStatsParams {
    /// Order: `review` (default), `precision`, `hits` or `last_hit`.
    #[param(inline)]
    pub sort: Option<RuleSort>,
    /// Only rules flagged for review.
    pub needs_review: Option<bool>,
}

/// A rule's titles.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct RuleTitles {
    /// Vietnamese (empty when the author gave none).
    pub vi: String,
    /// English (empty when the author gave none).
    pub en: String,
}

/// Where a listed rule comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RuleProvenance {
    /// A rule of the loaded packs.
    Pack,
    /// No loaded pack defines it any more; its alerts remain.
    Removed,
    /// Raised by duluan itself (source health, spikes, known claims); never flagged for review.
    Builtin,
}

impl From<Provenance> for RuleProvenance {
    fn from(p: Provenance) -> RuleProvenance {
        match p {
            Provenance::Pack => RuleProvenance::Pack,
            Provenance::Removed => RuleProvenance::Removed,
            Provenance::Builtin => RuleProvenance::Builtin,
        }
    }
}

/// Why a rule is listed for review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReviewCode {
    /// No loaded pack defines it any more.
    Removed,
    /// Enabled, yet no alert and no flagged item.
    NeverFired,
    /// Under 50% precision over at least 5 decided alerts.
    LowPrecision,
    /// Precision of the alerts decided in the last 30 days at least 25 points under that of
    /// the ones before (at least 5 decided on each side).
    PrecisionFell,
    /// No hit for more than 30 days.
    Quiet,
}

impl From<&ReviewFlag> for ReviewCode {
    fn from(flag: &ReviewFlag) -> ReviewCode {
        match flag {
            ReviewFlag::Removed => ReviewCode::Removed,
            ReviewFlag::NeverFired => ReviewCode::NeverFired,
            ReviewFlag::LowPrecision { .. } => ReviewCode::LowPrecision,
            ReviewFlag::PrecisionFell { .. } => ReviewCode::PrecisionFell,
            ReviewFlag::Quiet { .. } => ReviewCode::Quiet,
        }
    }
}

/// One reason for review.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ReviewNote {
    /// Machine name.
    pub code: ReviewCode,
    /// In words (English).
    pub reason: String,
}

/// A rule with its record and review.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct RuleReview {
    /// Verdict counts and precision. `last_hit` is the latest alert activity, or for rules
    /// that raise no alerts, when the latest item they flagged was fetched.
    #[serde(flatten)]
    pub stats: RuleStats,
    /// Titles (empty for rules no pack defines).
    pub title: RuleTitles,
    /// The rule's description, as its author wrote it.
    pub description: String,
    /// Severity (null for rules no pack defines).
    pub severity: Option<Severity>,
    /// Enabled in its pack.
    pub enabled: bool,
    /// Only tags items, never raises alerts.
    pub tag_only: bool,
    /// The pack that defines it (null for rules no pack defines).
    pub pack: Option<String>,
    /// Who looks after it, as its pack says (null when it names no one).
    pub owner: Option<String>,
    /// Where it comes from.
    pub provenance: RuleProvenance,
    /// Alerts confirmed, escalated or dismissed.
    pub decided: i64,
    /// Items it flagged, from the search index (null when the index could not be read).
    pub hits: Option<u64>,
    /// Of them, fetched (and so flagged) in the last 30 days: today and the 29 days before, whole
    /// days in Vietnam.
    pub hits_30d: Option<u64>,
    /// The reasons for review in words, joined with `; `; null when it needs none.
    pub review: Option<String>,
    /// The reasons for review, the most pressing first.
    pub review_flags: Vec<ReviewNote>,
    /// The same reasons with their figures, for pages that word them in another language.
    #[serde(skip)]
    pub flags: Vec<ReviewFlag>,
}

/// `GET /api/rules/stats` response.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RuleStatsList {
    /// One row per rule of the loaded packs and per rule or alert kind that raised alerts.
    pub rules: Vec<RuleReview>,
    /// Always absent: the list fits one page.
    pub next: Option<String>,
    /// Present when the rule files changed into something that does not load: the rules listed
    /// (those in force) are the ones loaded before.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reload_failure: Option<RulesReloadFailure>,
}

/// A reload of the rules directory that failed.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RulesReloadFailure {
    /// When the changed files were read.
    pub at: DateTime<Utc>,
    /// Each problem, with file, line and column where there is one.
    pub errors: Vec<String>,
}

/// Every rule with its hits, verdicts, precision and review flags: rules that never fire, went
/// quiet, or whose alerts collaborators mostly dismiss are flagged.
#[utoipa::path(get, path = "/api/rules/stats", tag = "rules", params(RuleStatsParams),
    responses((status = 200, description = "Rules with their precision and review flags", body = RuleStatsList)),
    security(("bearer" = []), ("session" = [])))]
pub async fn rule_stats(
    State(state): State<AppState>,
    _caller: Caller,
    ApiQuery(params): ApiQuery<RuleStatsParams>,
) -> Result<Json<RuleStatsList>, ApiError> {
    let rules = review_list(&state, params.sort.unwrap_or_default(), params.needs_review.unwrap_or(false)).await?;
    let reload_failure = state.rules.failure().map(|f| RulesReloadFailure { at: f.at, errors: f.errors });
    Ok(Json(RuleStatsList { rules, next: None, reload_failure }))
}

/// The review list as the API and the `/rules` page show it.
pub(crate) async fn review_list(
    state: &AppState,
    sort: RuleSort,
    needs_review: bool,
) -> Result<Vec<RuleReview>, ApiError> {
    let stats = state.store.rule_stats(Utc::now() - chrono::Duration::days(RECENT_DAYS)).await?;
    let (catalog, index) = (state.rules.catalog(), state.index.clone());
    // Counting hits reads the index: off the async workers.
    let mut rows = tokio::task::spawn_blocking(move || rule_reviews(&catalog, stats, Some(&index), Utc::now()))
        .await
        .map_err(ApiError::internal)?;
    if needs_review {
        rows.retain(|r| !r.flags.is_empty());
    }
    sort_reviews(&mut rows, sort);
    Ok(rows)
}

/// Items a rule flagged, as the search index counts them.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct IndexHits {
    total: u64,
    recent: u64,
    /// When the newest item it flagged was fetched.
    latest: Option<DateTime<Utc>>,
}

impl IndexHits {
    fn new(hits: &RuleHits) -> IndexHits {
        let latest = (hits.total > 0).then(|| DateTime::from_timestamp_millis(hits.latest_ms)).flatten();
        IndexHits { total: hits.total, recent: hits.recent, latest }
    }
}

/// Every rule's hits in one pass over the index, recent ones counted from the start of the day
/// `RECENT_DAYS - 1` days before `now`'s, in Vietnam (as the pages and `rules backtest` count days).
fn index_hits(index: &SearchIndex, now: DateTime<Utc>) -> Result<HashMap<String, RuleHits>, duluan_index::Error> {
    index.rule_hits(recent_since(now).timestamp_millis())
}

/// The start, in Vietnam, of the first of the last [`RECENT_DAYS`] days (today the last).
fn recent_since(now: DateTime<Utc>) -> DateTime<Utc> {
    let vietnam = duluan_text::vietnam();
    let first = now.with_timezone(&vietnam).date_naive() - chrono::Days::new((RECENT_DAYS - 1).unsigned_abs());
    duluan_reports::start_of(first, vietnam)
}

/// Every rule of `catalog` (in pack order), then every other rule or alert kind with alerts (by
/// id), each with its review as of `now`. Without an index, hits are unknown and tag-only rules
/// look as if they never fired.
pub fn rule_reviews(
    catalog: &RuleCatalog,
    stats: Vec<RuleStats>,
    index: Option<&SearchIndex>,
    now: DateTime<Utc>,
) -> Vec<RuleReview> {
    let mut stats: HashMap<String, RuleStats> = stats.into_iter().map(|s| (s.rule.clone(), s)).collect();
    let counted = index
        .map(|index| index_hits(index, now))
        .and_then(|c| c.inspect_err(|e| tracing::warn!(error = %e, "cannot count the rules' hits")).ok());
    let hits = |rule: &str| counted.as_ref().map(|c| c.get(rule).map(IndexHits::new).unwrap_or_default());
    let mut rows: Vec<RuleReview> = catalog
        .rules()
        .iter()
        .map(|info| {
            let s =
                stats.remove(&info.id).unwrap_or_else(|| RuleStats { rule: info.id.clone(), ..RuleStats::default() });
            row(Some(info), Provenance::Pack, s, hits(&info.id), now)
        })
        .collect();
    let mut rest: Vec<RuleStats> = stats.into_values().collect();
    rest.sort_by(|a, b| a.rule.cmp(&b.rule));
    rows.extend(rest.into_iter().map(|s| {
        let (provenance, found) = (catalog.provenance(&s.rule), hits(&s.rule));
        row(None, provenance, s, found, now)
    }));
    rows
}

fn row(
    info: Option<&RuleInfo>,
    provenance: Provenance,
    mut stats: RuleStats,
    hits: Option<IndexHits>,
    now: DateTime<Utc>,
) -> RuleReview {
    // A tag-only rule raises no alert: when it last flagged an item, only the index knows.
    stats.last_hit = stats.last_hit.max(hits.and_then(|h| h.latest));
    let decided = stats.confirmed + stats.escalated + stats.dismissed;
    let record = Record {
        provenance,
        enabled: info.is_some_and(|i| i.enabled),
        alerts: stats.alerts,
        hits: hits.map(|h| h.total),
        decided,
        precision: stats.precision,
        recent_decided: stats.recent_decided,
        recent_precision: stats.recent_precision,
        last_hit: stats.last_hit,
    };
    let flags = review(&record, now);
    let reasons: Vec<String> = flags.iter().map(ToString::to_string).collect();
    RuleReview {
        title: RuleTitles {
            vi: info.map(|i| i.title.vi.clone()).unwrap_or_default(),
            en: info.map(|i| i.title.en.clone()).unwrap_or_default(),
        },
        description: info.map(|i| i.description.clone()).unwrap_or_default(),
        severity: info.map(|i| i.severity),
        enabled: record.enabled,
        tag_only: info.is_some_and(|i| i.action == duluan_rules::Action::Tag),
        pack: info.map(|i| i.pack.clone()),
        owner: info.and_then(|i| i.owner.clone()),
        provenance: provenance.into(),
        decided,
        hits: record.hits,
        hits_30d: hits.map(|h| h.recent),
        review: (!reasons.is_empty()).then(|| reasons.join("; ")),
        review_flags: flags
            .iter()
            .zip(reasons)
            .map(|(flag, reason)| ReviewNote { code: flag.into(), reason })
            .collect(),
        flags,
        stats,
    }
}

/// Put rows in `sort` order; ties go by rule id so the order is stable between calls.
pub fn sort_reviews(rows: &mut [RuleReview], sort: RuleSort) {
    rows.sort_by(|a, b| order(a, b, sort).then_with(|| a.stats.rule.cmp(&b.stats.rule)));
}

fn order(a: &RuleReview, b: &RuleReview, sort: RuleSort) -> Ordering {
    // Rules with nothing decided have no precision: after every precise one.
    let precision = |r: &RuleReview| r.stats.precision.unwrap_or(2.0);
    match sort {
        RuleSort::Review => a
            .flags
            .is_empty()
            .cmp(&b.flags.is_empty())
            .then_with(|| precision(a).total_cmp(&precision(b)))
            .then_with(|| b.stats.alerts.cmp(&a.stats.alerts)),
        RuleSort::Precision => precision(a).total_cmp(&precision(b)).then_with(|| b.decided.cmp(&a.decided)),
        RuleSort::Hits => {
            b.hits.unwrap_or(0).cmp(&a.hits.unwrap_or(0)).then_with(|| b.stats.alerts.cmp(&a.stats.alerts))
        }
        RuleSort::LastHit => b.stats.last_hit.cmp(&a.stats.last_hit),
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use duluan_rules::review::RuleCatalog;

    use super::*;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 6, 30, 12, 0, 0).single().expect("valid time")
    }

    /// The last 30 days start at midnight in Vietnam: at 06:00 there on 1 July (23:00 UTC on
    /// 30 June), from 00:00 on 2 June, 17:00 UTC on 1 June.
    #[test]
    fn recent_hits_are_counted_over_whole_days_in_vietnam() {
        let early = Utc.with_ymd_and_hms(2026, 6, 30, 23, 0, 0).single().expect("valid time");
        assert_eq!(recent_since(early).to_rfc3339(), "2026-06-01T17:00:00+00:00");
        assert_eq!(recent_since(now()).to_rfc3339(), "2026-05-31T17:00:00+00:00");
    }

    fn catalog() -> RuleCatalog {
        let text = "[[rule]]\nid = \"a.quiet\"\nseverity = \"low\"\nquery = \"x\"\n\n\
                    [[rule]]\nid = \"a.noisy\"\ntitle = { vi = \"Ồn\", en = \"Noisy\" }\nseverity = \"high\"\nquery = \"y\"\n\n\
                    [[rule]]\nid = \"a.silent\"\nseverity = \"medium\"\nquery = \"z\"\n\n\
                    [[rule]]\nid = \"a.off\"\nseverity = \"info\"\nquery = \"w\"\nenabled = false\n";
        let mut packs = duluan_rules::Packs::default();
        let mut errors = Vec::new();
        duluan_rules::read_pack(std::path::Path::new("rules/a.toml"), text, &mut packs, &mut errors);
        assert!(errors.is_empty(), "{errors:?}");
        RuleCatalog::new(&packs.rules)
    }

    fn stats(rule: &str, confirmed: i64, dismissed: i64, days_ago: i64) -> RuleStats {
        let decided = confirmed + dismissed;
        RuleStats {
            rule: rule.into(),
            alerts: decided + 1,
            items: decided + 1,
            confirmed,
            dismissed,
            open: 1,
            precision: (decided > 0).then(|| confirmed as f64 / decided as f64),
            last_hit: Some(now() - chrono::Duration::days(days_ago)),
            ..RuleStats::default()
        }
    }

    fn reviews() -> Vec<RuleReview> {
        let found = vec![
            stats("a.quiet", 4, 0, 40),
            stats("a.noisy", 1, 5, 1),
            stats("old.rule", 0, 0, 2),
            stats("spike", 0, 3, 2),
        ];
        rule_reviews(&catalog(), found, None, now())
    }

    fn ids(rows: &[RuleReview]) -> Vec<&str> {
        rows.iter().map(|r| r.stats.rule.as_str()).collect()
    }

    #[test]
    fn every_pack_rule_and_every_alerting_id_is_listed_with_its_flags() {
        let rows = reviews();
        assert_eq!(ids(&rows), ["a.quiet", "a.noisy", "a.silent", "a.off", "old.rule", "spike"]);
        let codes: Vec<Vec<ReviewCode>> =
            rows.iter().map(|r| r.review_flags.iter().map(|f| f.code).collect()).collect();
        assert_eq!(
            codes,
            [
                vec![ReviewCode::Quiet],
                vec![ReviewCode::LowPrecision],
                vec![ReviewCode::NeverFired],
                vec![],
                vec![ReviewCode::Removed],
                vec![]
            ]
        );
        let noisy = &rows[1];
        assert_eq!(noisy.review.as_deref(), Some("precision 17% over 6 decisions"));
        assert_eq!(
            (noisy.title.en.as_str(), noisy.severity, noisy.pack.as_deref()),
            ("Noisy", Some(Severity::High), Some("a"))
        );
        assert_eq!((noisy.decided, noisy.provenance), (6, RuleProvenance::Pack));
        assert_eq!((rows[4].provenance, rows[5].provenance), (RuleProvenance::Removed, RuleProvenance::Builtin));
        assert_eq!(rows[2].stats.alerts, 0, "a rule without alerts gets a zero row");
    }

    #[test]
    fn sorts_put_the_asked_for_rules_first() {
        let mut rows = reviews();
        sort_reviews(&mut rows, RuleSort::Review);
        assert_eq!(ids(&rows), ["a.noisy", "a.quiet", "old.rule", "a.silent", "spike", "a.off"]);
        sort_reviews(&mut rows, RuleSort::Precision);
        assert_eq!(ids(&rows), ["spike", "a.noisy", "a.quiet", "a.off", "a.silent", "old.rule"]);
        sort_reviews(&mut rows, RuleSort::LastHit);
        assert_eq!(ids(&rows), ["a.noisy", "old.rule", "spike", "a.quiet", "a.off", "a.silent"]);
        sort_reviews(&mut rows, RuleSort::Hits);
        assert_eq!(ids(&rows)[0], "a.noisy", "no index: busiest by alerts");
    }
}
