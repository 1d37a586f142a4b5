use chrono::{DateTime, Utc};
use duluan_model::{AlertLabels, AlertState, Item, NotificationState, Severity, SilenceMatchers};
use serde_json::Value;

/// The alert an alerting flag raises or joins.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertRequest {
    /// Rule id.
    pub rule: String,
    /// Severity.
    pub severity: Severity,
    /// Team queue (from routing).
    pub team: String,
    /// Items join an open alert of the same (rule, story) whose last item is at most this old.
    pub group_window_hours: i64,
    /// Rule tags, source, receivers: stored with the alert for silences and notifications.
    pub labels: AlertLabels,
    /// An alert that gains items is notified again when its last notification is this old.
    pub renotify_hours: i64,
}

/// What storing an item did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StoreOutcome {
    /// The item was not in the store before.
    pub inserted: bool,
    /// The item existed and its content or flags changed.
    pub updated: bool,
    /// Alerts created by this item.
    pub alerts_raised: Vec<i64>,
    /// Existing alerts this item joined.
    pub alerts_joined: Vec<i64>,
}

impl StoreOutcome {
    /// Whether anything was written.
    pub fn changed(&self) -> bool {
        self.inserted || self.updated
    }
}

/// Totals across the store.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Counts {
    /// Items stored.
    pub items: i64,
    /// Items with at least one flag.
    pub flagged_items: i64,
    /// Alerts.
    pub alerts: i64,
    /// Stories.
    pub stories: i64,
}

/// Crawl state of one source.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct SourceState {
    /// Source id.
    pub source_id: String,
    /// When the next poll is due.
    pub next_due_at: Option<DateTime<Utc>>,
    /// Last poll attempt.
    pub last_polled_at: Option<DateTime<Utc>>,
    /// Last successful poll.
    pub last_success_at: Option<DateTime<Utc>>,
    /// Last error, if the last poll failed.
    pub last_error: Option<String>,
    /// Consecutive failed polls.
    pub error_streak: i64,
    /// New article URLs found over all polls.
    pub items_found: i64,
    /// Polls made.
    pub polls: i64,
    /// `ETag` of the last successful response (conditional GET).
    pub etag: Option<String>,
    /// `Last-Modified` of the last successful response.
    pub last_modified: Option<String>,
    /// Current (adaptive) poll interval, in seconds, once one has been chosen.
    pub interval_secs: Option<i64>,
}

/// The result of polling a source.
#[derive(Debug, Clone, PartialEq)]
pub struct PollRecord {
    /// When.
    pub at: DateTime<Utc>,
    /// When the source is due again.
    pub next_due_at: DateTime<Utc>,
    /// `None` on success, else the reason.
    pub error: Option<String>,
    /// New URLs found.
    pub new_items: i64,
    /// Validators to send next time (kept when `None`).
    pub etag: Option<String>,
    /// Validators to send next time.
    pub last_modified: Option<String>,
    /// The poll interval chosen for the next polls, in seconds.
    pub interval_secs: i64,
}

/// A URL to queue, with what its source said about it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NewUrl {
    /// Canonical URL.
    pub url: String,
    /// Link-following depth (0: listed by the source itself).
    pub depth: i64,
    /// Title as the source gave it.
    pub title: Option<String>,
    /// Publication time as the source gave it.
    pub published: Option<DateTime<Utc>>,
    /// Already stored as this item (posts that arrive with their content): recorded as done,
    /// never fetched.
    pub done_item: Option<String>,
}

impl NewUrl {
    /// A URL listed by a source, without hints.
    pub fn listed(url: impl Into<String>) -> NewUrl {
        NewUrl { url: url.into(), ..NewUrl::default() }
    }
}

/// State of a URL in the frontier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum UrlState {
    /// Waiting to be fetched.
    Queued,
    /// Taken by a worker.
    Leased,
    /// Fetched and stored (or deliberately skipped as a non-article).
    Done,
    /// Gave up; the reason is recorded.
    Failed,
}

impl UrlState {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            UrlState::Queued => "queued",
            UrlState::Leased => "leased",
            UrlState::Done => "done",
            UrlState::Failed => "failed",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<UrlState> {
        Some(match s {
            "queued" => UrlState::Queued,
            "leased" => UrlState::Leased,
            "done" => UrlState::Done,
            "failed" => UrlState::Failed,
            _ => return None,
        })
    }
}

/// One frontier URL.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct FrontierEntry {
    /// URL.
    pub url: String,
    /// Source that found it.
    pub source_id: String,
    /// State.
    pub state: UrlState,
    /// Fetch attempts so far.
    pub attempts: i64,
    /// HTTP status of the last attempt.
    pub http_status: Option<i64>,
    /// Reason of the last failure (or skip).
    pub error: Option<String>,
    /// Item stored from it.
    pub item_id: Option<String>,
    /// When it was finished.
    pub finished_at: Option<DateTime<Utc>>,
    /// Link-following depth.
    pub depth: i64,
    /// Title the source gave.
    pub hint_title: Option<String>,
    /// Publication time the source gave.
    pub hint_published: Option<DateTime<Utc>>,
}

/// How fetching a URL ended.
#[derive(Debug, Clone, PartialEq)]
pub enum FetchOutcome {
    /// Stored as an item.
    Stored {
        /// The item.
        item_id: String,
        /// HTTP status.
        status: Option<i64>,
    },
    /// Fetched but deliberately not stored (not an article, duplicate URL, ...); reason recorded.
    Skipped {
        /// Why.
        reason: String,
        /// HTTP status.
        status: Option<i64>,
    },
    /// Failed; retried at `retry_at` if given, else final.
    Failed {
        /// Why.
        reason: String,
        /// HTTP status.
        status: Option<i64>,
        /// When to try again (`None`: give up).
        retry_at: Option<DateTime<Utc>>,
    },
}

/// Frontier totals.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct FrontierCounts {
    /// Waiting.
    pub queued: i64,
    /// Being fetched.
    pub leased: i64,
    /// Finished.
    pub done: i64,
    /// Failed.
    pub failed: i64,
}

/// URLs a source brought to light per day (its publishing rate, for health checks).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct DiscoveryDay {
    /// Source id.
    pub source_id: String,
    /// Day (UTC midnight).
    pub day: DateTime<Utc>,
    /// New URLs discovered that day.
    pub count: i64,
}

/// An alert not raised by a rule on an item (source health, spikes), grouped by `key`.
#[derive(Debug, Clone, PartialEq)]
pub struct SystemAlert {
    /// Kind, used as the rule id (e.g. `source_health`).
    pub kind: String,
    /// Grouping key, used as the story id (e.g. `source:vnexpress`).
    pub key: String,
    /// Severity.
    pub severity: Severity,
    /// Team queue.
    pub team: String,
    /// What happened, shown as the title.
    pub title: String,
    /// Explanation recorded in the audit trail.
    pub detail: String,
    /// One alert per key for good: a decided alert takes later sightings (in its audit trail)
    /// instead of a new alert being raised. Spikes are keyed by their window, so a spike that was
    /// dismissed stays dismissed; a source that breaks again after a verdict raises anew.
    pub once: bool,
}

/// Whether a listing shows alerts muted by a live silence.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Muted {
    /// Hide them (the queue).
    #[default]
    Hide,
    /// Only them.
    Only,
    /// Show everything.
    Include,
}

/// A silence to create.
#[derive(Debug, Clone, PartialEq)]
pub struct NewSilence {
    /// What it mutes.
    pub matchers: SilenceMatchers,
    /// From when.
    pub starts_at: DateTime<Utc>,
    /// Until when.
    pub ends_at: DateTime<Utc>,
    /// Also ends once a muted story has been quiet this long and speaks again.
    pub quiet_hours: Option<i64>,
    /// Who.
    pub creator: String,
    /// Why.
    pub reason: String,
}

/// How a delivery attempt went.
#[derive(Debug, Clone, PartialEq)]
pub enum DeliveryOutcome {
    /// Delivered.
    Sent,
    /// Failed; try again at this time.
    Retry {
        /// When.
        at: DateTime<Utc>,
        /// Why it failed.
        error: String,
    },
    /// Failed for good.
    GaveUp {
        /// Why.
        error: String,
    },
    /// Not sent, on purpose (silenced or decided meanwhile).
    Skipped {
        /// Why.
        reason: String,
    },
}

/// Delivery figures of one receiver.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct ReceiverStats {
    /// Receiver name.
    pub receiver: String,
    /// Waiting for delivery.
    pub pending: i64,
    /// Delivered.
    pub sent: i64,
    /// Given up.
    pub failed: i64,
    /// Not sent on purpose (silenced or decided meanwhile).
    pub skipped: i64,
    /// Last delivery.
    pub last_sent_at: Option<DateTime<Utc>>,
    /// Last error seen.
    pub last_error: Option<String>,
}

/// How a rule's alerts were judged: its precision as collaborators see it.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct RuleStats {
    /// Rule id.
    pub rule: String,
    /// Alerts raised.
    pub alerts: i64,
    /// Items grouped into them.
    pub items: i64,
    /// Confirmed.
    pub confirmed: i64,
    /// Escalated.
    pub escalated: i64,
    /// Dismissed.
    pub dismissed: i64,
    /// Still open.
    pub open: i64,
    /// Confirmed and escalated over all decided, when any were decided.
    pub precision: Option<f64>,
    /// Alerts decided recently (since the time the caller asked about).
    pub recent_decided: i64,
    /// Precision among the recently decided, when any were.
    pub recent_precision: Option<f64>,
    /// Latest alert activity.
    pub last_hit: Option<DateTime<Utc>>,
}

/// When an alert was raised, first claimed and decided: the raw figures behind triage
/// statistics.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AlertTiming {
    /// Rule id (or system alert kind).
    pub rule: String,
    /// Team queue.
    pub team: String,
    /// State now.
    pub state: String,
    /// Verdict, once given.
    pub verdict: Option<String>,
    /// Raised.
    pub created_at: DateTime<Utc>,
    /// First claimed.
    pub first_claimed_at: Option<DateTime<Utc>>,
    /// Verdict given.
    pub decided_at: Option<DateTime<Utc>>,
}

/// Which alerts to list.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AlertFilter {
    /// Only these states (empty: all).
    pub states: Vec<AlertState>,
    /// Only this team's queue.
    pub team: Option<String>,
    /// Only alerts held by this user.
    pub claimed_by: Option<String>,
    /// Only this rule.
    pub rule: Option<String>,
    /// Page size.
    pub limit: i64,
    /// Only ids below this (cursor).
    pub before_id: Option<i64>,
    /// Muted alerts: hidden by default.
    pub muted: Muted,
    /// Only these ids (bulk actions).
    pub ids: Vec<i64>,
    /// The time silences are judged at (default: the clock).
    pub now: Option<DateTime<Utc>>,
}

/// What a token is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum TokenKind {
    /// API access (Bearer).
    Api,
    /// Read-only queue feed (in a URL).
    Feed,
}

impl TokenKind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            TokenKind::Api => "api",
            TokenKind::Feed => "feed",
        }
    }
}

/// A token as listed (never the secret itself).
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct TokenInfo {
    /// Id (for revoking).
    pub id: i64,
    /// Owner.
    pub user_id: i64,
    /// Label.
    pub name: String,
    /// Kind.
    pub kind: TokenKind,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last used.
    pub last_used_at: Option<DateTime<Utc>>,
    /// Revoked.
    pub revoked_at: Option<DateTime<Utc>>,
}

pub(crate) fn millis(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

pub(crate) fn from_millis(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or(DateTime::UNIX_EPOCH)
}

pub(crate) fn json_or_default<T: serde::de::DeserializeOwned + Default>(s: &str) -> T {
    serde_json::from_str(s).unwrap_or_default()
}

#[allow(dead_code)]
pub(crate) fn json_value(s: &str) -> Value {
    serde_json::from_str(s).unwrap_or(Value::Null)
}

/// A scheduled report run about to start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewReportRun {
    /// Schedule id from `[[reports.schedule]]`.
    pub schedule_id: String,
    /// The scheduled time this run is for.
    pub due_at: DateTime<Utc>,
    /// Period label (`2021-12`, …).
    pub label: String,
    /// First day of the period (`YYYY-MM-DD`).
    pub period_from: String,
    /// Last day of the period (`YYYY-MM-DD`).
    pub period_to: String,
}

/// What a finished report run produced.
#[derive(Debug, Clone, Copy)]
pub struct ReportOutput<'a> {
    /// Items the report covers.
    pub items: i64,
    /// Stored outputs, format → text.
    pub files: &'a [(String, String)],
    /// Receivers to deliver it to (queued in the same transaction).
    pub receivers: &'a [String],
}

/// The delivery of a report run to one receiver.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct ReportDelivery {
    /// Delivery id.
    pub id: i64,
    /// The run delivered.
    pub run_id: i64,
    /// Receiver name (from `[[alerts.receiver]]`).
    pub receiver: String,
    /// `pending`, `sent`, `failed` or `skipped`.
    pub state: NotificationState,
    /// Attempts so far.
    pub attempts: i64,
    /// Next attempt (while pending).
    pub next_attempt_at: DateTime<Utc>,
    /// Error of the last failed attempt.
    pub last_error: Option<String>,
    /// Queued.
    pub created_at: DateTime<Utc>,
    /// Delivered.
    pub sent_at: Option<DateTime<Utc>>,
}

/// A recorded report run.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct ReportRun {
    /// Run id.
    pub id: i64,
    /// Schedule id.
    pub schedule_id: String,
    /// The scheduled time it ran for.
    pub due_at: DateTime<Utc>,
    /// Period label.
    pub label: String,
    /// First day of the period.
    pub period_from: String,
    /// Last day of the period.
    pub period_to: String,
    /// `running`, `done` or `failed`.
    pub status: String,
    /// Why it failed.
    pub error: Option<String>,
    /// Items the report covers.
    pub items: Option<i64>,
    /// Started.
    pub started_at: DateTime<Utc>,
    /// Finished.
    pub finished_at: Option<DateTime<Utc>>,
    /// Formats stored for download.
    pub formats: Vec<String>,
}

/// A known claim kept in the store: the text of a rumour a collaborator confirmed as
/// misinformation (recorded with the verdict), or one added by hand. The rules engine matches
/// every new item against these, as against the claims file.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct KnownClaim {
    /// Unique id (`story-<story id>` for claims made from a verdict).
    pub id: String,
    /// The claim's text: what items are compared with.
    pub text: String,
    /// Short title for lists.
    pub title: Option<String>,
    /// `false`, `misleading`, `true` or `unverified`.
    pub verdict: String,
    /// Severity of its flags.
    pub severity: Severity,
    /// Team queue of its alerts.
    pub route: Option<String>,
    /// Tags of its flags.
    pub tags: Vec<String>,
    /// The story it was taken from.
    pub story_id: Option<String>,
    /// The alert whose verdict made it.
    pub alert_id: Option<i64>,
    /// Who gave that verdict (or added it).
    pub created_by: String,
    /// When it was recorded.
    pub added_at: DateTime<Utc>,
}

/// A known claim to record.
#[derive(Debug, Clone, PartialEq)]
pub struct NewKnownClaim {
    /// Unique id.
    pub id: String,
    /// The claim's text.
    pub text: String,
    /// Short title.
    pub title: Option<String>,
    /// `false`, `misleading`, `true` or `unverified`.
    pub verdict: String,
    /// Severity of its flags.
    pub severity: Severity,
    /// Team queue of its alerts.
    pub route: Option<String>,
    /// Tags of its flags.
    pub tags: Vec<String>,
    /// The story it was taken from.
    pub story_id: Option<String>,
    /// The alert whose verdict made it.
    pub alert_id: Option<i64>,
    /// Who recorded it.
    pub created_by: String,
}

/// Changes whenever a known claim is added or removed, so a process can tell cheaply whether the
/// claims it matches with are current.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KnownClaimsStamp {
    /// Claims stored.
    pub count: i64,
    /// The highest sequence number of the stored claims. Numbers are never reused, so any
    /// addition raises it past every earlier value, and removals alone lower `count`.
    pub last_seq: i64,
}

/// Most characters of an item's text a claim made from a verdict keeps (after its title): enough
/// to recognise the rumour, short enough that the item's own boilerplate does not dominate.
pub const VERDICT_CLAIM_TEXT_CHARS: usize = 600;

/// The text of a claim made from a confirmed item: its title, then the start of its text cut at a
/// word boundary.
pub fn verdict_claim_text(title: &str, text: &str) -> String {
    let mut cut = text.char_indices().nth(VERDICT_CLAIM_TEXT_CHARS).map_or(text.len(), |(i, _)| i);
    if cut < text.len()
        && let Some(space) = text[..cut].rfind(char::is_whitespace)
    {
        cut = space;
    }
    let body = text[..cut].trim();
    match (title.trim(), body) {
        ("", body) => body.to_string(),
        (title, "") => title.to_string(),
        (title, body) => format!("{title}\n{body}"),
    }
}

/// The claim id for a confirmed story: `story-` and the story id, with anything but ASCII letters,
/// digits, `-`, `_` and `.` replaced, at most 100 bytes.
pub fn verdict_claim_id(story_id: &str) -> String {
    let clean: String = story_id
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') { c } else { '-' })
        .take(94)
        .collect();
    format!("story-{clean}")
}

/// Everything one fetched page leaves behind, committed together by [`crate::Store::finish_pages`]:
/// the item (if the page was an article), the links it queues and the outcome of its URL.
#[derive(Debug, Clone, PartialEq)]
pub struct PageCommit {
    /// The leased frontier URL this page was fetched for.
    pub url: String,
    /// How the fetch ended (recorded with [`crate::Store::finish_url`]'s semantics).
    pub outcome: FetchOutcome,
    /// The item to store and the alert to raise or join for each of its alerting flags.
    pub item: Option<(Item, Vec<AlertRequest>)>,
    /// Source the links are queued for.
    pub source_id: String,
    /// Links found on the page to queue (seen URLs are skipped, as in [`crate::Store::enqueue`]).
    pub links: Vec<NewUrl>,
}

/// What committing one [`PageCommit`] did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PageStored {
    /// The item's store outcome (default when the page had no item).
    pub item: StoreOutcome,
    /// How many of its links were new.
    pub queued: usize,
}
