use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{Severity, StoryId, string_enum};

string_enum!(
    /// Where an alert is in triage.
    AlertState, "alert state", {
        /// Waiting in a team queue.
        New => "new",
        /// Held by one collaborator under a lease.
        Claimed => "claimed",
        /// Verdict: real misinformation or opinion worth a response.
        Confirmed => "confirmed",
        /// Verdict: not worth a response (false positive, duplicate, out of scope).
        Dismissed => "dismissed",
        /// Verdict: needs the board.
        Escalated => "escalated",
        /// Finished.
        Closed => "closed",
    }
);

impl AlertState {
    /// States in which an alert still needs a person.
    pub fn is_open(self) -> bool {
        matches!(self, AlertState::New | AlertState::Claimed)
    }
}

string_enum!(
    /// A collaborator's decision on a claimed alert.
    Verdict, "verdict", {
        /// Real misinformation or strongly negative opinion worth a response.
        Confirmed => "confirmed",
        /// Not worth a response.
        Dismissed => "dismissed",
        /// Needs the board.
        Escalated => "escalated",
    }
);

impl Verdict {
    /// The alert state a verdict moves to.
    pub fn state(self) -> AlertState {
        match self {
            Verdict::Confirmed => AlertState::Confirmed,
            Verdict::Dismissed => AlertState::Dismissed,
            Verdict::Escalated => AlertState::Escalated,
        }
    }
}

string_enum!(
    /// Why a verdict was given.
    ReasonCode, "reason", {
        /// The item spreads false information.
        Misinformation => "misinformation",
        /// Strongly negative public opinion.
        NegativeOpinion => "negative_opinion",
        /// The authorities should respond.
        NeedsResponse => "needs_response",
        /// The rule fired on something harmless.
        FalsePositive => "false_positive",
        /// Already handled under another alert.
        Duplicate => "duplicate",
        /// Not the team's business.
        OutOfScope => "out_of_scope",
    }
);

string_enum!(
    /// How urgently a lead wants an alert handled (the rule's severity is separate).
    Priority, "priority", {
        /// Whenever there is time.
        Low => "low",
        /// The default.
        Normal => "normal",
        /// Before normal ones.
        High => "high",
        /// Drop everything.
        Urgent => "urgent",
    }
);

impl Priority {
    /// Rank stored in the database (higher is more urgent).
    pub fn rank(self) -> i64 {
        match self {
            Priority::Low => -1,
            Priority::Normal => 0,
            Priority::High => 1,
            Priority::Urgent => 2,
        }
    }

    /// The priority of a stored rank.
    pub fn from_rank(rank: i64) -> Priority {
        match rank {
            i64::MIN..=-1 => Priority::Low,
            0 => Priority::Normal,
            1 => Priority::High,
            _ => Priority::Urgent,
        }
    }
}

#[allow(clippy::derivable_impls)]
impl Default for Priority {
    fn default() -> Self {
        Priority::Normal
    }
}

/// What an alert is about, for routing, silences and notifications: copied from the rule and the
/// first item when the alert is raised.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AlertLabels {
    /// Tags of the rule.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Source of the first item.
    #[serde(default)]
    pub source: Option<String>,
    /// Tags of that source.
    #[serde(default)]
    pub source_tags: Vec<String>,
    /// Region of that source.
    #[serde(default)]
    pub region: Option<String>,
    /// Receivers notified for this alert (from its route).
    #[serde(default)]
    pub receivers: Vec<String>,
}

/// A group of flagged items: one per (rule, story), moving through triage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Alert {
    /// Store-assigned id.
    pub id: i64,
    /// Triage state.
    pub state: AlertState,
    /// Rule that raised it.
    pub rule: String,
    /// Severity of the rule.
    pub severity: Severity,
    /// Story the grouped items belong to.
    pub story: StoryId,
    /// Team queue.
    pub team: String,
    /// Title of the first item, for lists.
    pub title: String,
    /// Items grouped into this alert.
    pub item_count: i64,
    /// When it was raised.
    pub created_at: DateTime<Utc>,
    /// When the latest item joined.
    pub last_seen_at: DateTime<Utc>,
    /// Collaborator holding the lease, if claimed.
    pub claimed_by: Option<String>,
    /// When the lease runs out.
    pub lease_expires_at: Option<DateTime<Utc>>,
    /// Verdict, once given.
    pub verdict: Option<Verdict>,
    /// Reason code of the verdict.
    pub reason: Option<ReasonCode>,
    /// Free note from the collaborator.
    pub note: Option<String>,
    /// Optimistic-concurrency version, bumped on every change.
    pub version: i64,
    /// Priority set by a lead.
    #[serde(default)]
    pub priority: Priority,
    /// Rule tags, source and receivers of the alert.
    #[serde(default)]
    pub labels: AlertLabels,
    /// The silence that muted it when it was raised or joined, if any.
    #[serde(default)]
    pub silence_id: Option<i64>,
    /// When it was first claimed (time to first claim, SLA).
    #[serde(default)]
    pub first_claimed_at: Option<DateTime<Utc>>,
    /// When it got its verdict.
    #[serde(default)]
    pub decided_at: Option<DateTime<Utc>>,
}

/// What a silence mutes: every matcher given must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SilenceMatchers {
    /// Rule id.
    #[serde(default)]
    pub rule: Option<String>,
    /// A rule tag.
    #[serde(default)]
    pub tag: Option<String>,
    /// Source id (of the alert's first item) or one of its source tags.
    #[serde(default)]
    pub source: Option<String>,
    /// Story id.
    #[serde(default)]
    pub story: Option<String>,
    /// Team queue.
    #[serde(default)]
    pub team: Option<String>,
}

impl SilenceMatchers {
    /// Whether at least one matcher is set (an empty silence would mute everything).
    pub fn is_empty(&self) -> bool {
        self.rule.is_none()
            && self.tag.is_none()
            && self.source.is_none()
            && self.story.is_none()
            && self.team.is_none()
    }

    /// Whether these matchers mute an alert with this rule, story, team and labels.
    pub fn matches(&self, rule: &str, story: &str, team: &str, labels: &AlertLabels) -> bool {
        let eq = |want: &Option<String>, have: &str| want.as_deref().is_none_or(|w| w == have);
        eq(&self.rule, rule)
            && eq(&self.story, story)
            && eq(&self.team, team)
            && self.tag.as_ref().is_none_or(|t| labels.tags.contains(t))
            && self.source.as_ref().is_none_or(|s| labels.source.as_ref() == Some(s) || labels.source_tags.contains(s))
    }
}

/// A period during which matching alerts are recorded but neither queued nor notified.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Silence {
    /// Store id.
    pub id: i64,
    /// What it mutes.
    pub matchers: SilenceMatchers,
    /// From when.
    pub starts_at: DateTime<Utc>,
    /// Until when.
    pub ends_at: DateTime<Utc>,
    /// Also ends once a muted story has been quiet this many hours and speaks again.
    pub quiet_hours: Option<i64>,
    /// Who created it.
    pub creator: String,
    /// Why (mandatory).
    pub reason: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it was ended early, if it was.
    pub expired_at: Option<DateTime<Utc>>,
    /// Whether it mutes now.
    pub active: bool,
}

string_enum!(
    /// Delivery state of a notification.
    NotificationState, "notification state", {
        /// Waiting for (another) attempt.
        Pending => "pending",
        /// Delivered.
        Sent => "sent",
        /// Given up after the last attempt; the error is recorded.
        Failed => "failed",
        /// Not sent: the alert was silenced or decided before delivery; the reason is recorded.
        Skipped => "skipped",
    }
);

/// One message to one receiver about one alert.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Notification {
    /// Store id.
    pub id: i64,
    /// The alert.
    pub alert_id: i64,
    /// Receiver name (from the configuration).
    pub receiver: String,
    /// `raised`, `renotify` or `overdue`.
    pub event: String,
    /// Delivery state.
    pub state: NotificationState,
    /// Attempts so far.
    pub attempts: i64,
    /// When the next attempt is due.
    pub next_attempt_at: DateTime<Utc>,
    /// Error of the last failed attempt.
    pub last_error: Option<String>,
    /// When it was queued.
    pub created_at: DateTime<Utc>,
    /// When it was delivered.
    pub sent_at: Option<DateTime<Utc>>,
}

/// One entry of an alert's append-only audit trail.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AuditEvent {
    /// Who did it (user name, or `system`).
    pub who: String,
    /// When.
    pub at: DateTime<Utc>,
    /// What: `raised`, `grouped`, `claim`, `release`, `verdict`, `lease_expired`, ...
    pub action: String,
    /// State before.
    pub before: Option<String>,
    /// State after.
    pub after: Option<String>,
    /// Extra detail (reason, note, item id).
    pub detail: Option<String>,
}

/// An audit event with its place in the whole log (for the log of every action, refused ones
/// included).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AuditEntry {
    /// Position in the log; newer entries have larger ids.
    pub id: i64,
    /// The alert it concerns, if any.
    pub alert_id: Option<i64>,
    /// The event.
    #[serde(flatten)]
    pub event: AuditEvent,
}
