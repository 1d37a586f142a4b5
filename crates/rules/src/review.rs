//! Which rules need a look. A rule that never fires is a blind spot or dead weight, one whose
//! alerts collaborators mostly dismiss drowns them, and one that went quiet may have stopped
//! matching how people write. `duluan rules stats`, the API and the UI all ask [`review`], so
//! the three never disagree about which rules to revisit.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, PoisonError, RwLock};

use chrono::{DateTime, Utc};
use duluan_model::Severity;

use crate::{Action, RuleSpec, Titles};

/// Fewest decided alerts before a low precision counts: two dismissals out of three say little.
pub const MIN_DECIDED: i64 = 5;
/// Precision under which a rule is flagged.
pub const LOW_PRECISION: f64 = 0.5;
/// Days without a hit after which an enabled rule is flagged as quiet.
pub const QUIET_DAYS: i64 = 30;
/// Days of decisions that make a rule's recent precision.
pub const RECENT_DAYS: i64 = 30;
/// Fall in precision, from the decisions before the recent ones to the recent ones, that flags a
/// rule: people started writing its terms about something else, or a list grew too wide.
pub const PRECISION_DROP: f64 = 0.25;
/// Alert kinds duluan raises itself (source health, volume spikes). They share the queue with
/// rules' alerts, but no pack defines them.
pub const SYSTEM_KINDS: &[&str] = &["source_health", "spike"];

/// Where a rule id seen in the alerts or the packs comes from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Provenance {
    /// A rule of the loaded packs.
    #[default]
    Pack,
    /// A rule no loaded pack defines any more; its alerts remain.
    Removed,
    /// Raised by duluan itself: a [system kind](SYSTEM_KINDS) or a known-claim match. Not a rule
    /// anyone wrote, so not one to review.
    Builtin,
}

impl Provenance {
    /// A stable machine name: `pack`, `removed` or `builtin`.
    pub fn code(self) -> &'static str {
        match self {
            Provenance::Pack => "pack",
            Provenance::Removed => "removed",
            Provenance::Builtin => "builtin",
        }
    }
}

/// What review looks at in a rule's record, wherever it was read from.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Record {
    /// Where the rule comes from.
    pub provenance: Provenance,
    /// Enabled in its pack.
    pub enabled: bool,
    /// Alerts raised.
    pub alerts: i64,
    /// Items the rule flagged, when the search index could be read. Tag-only rules flag items
    /// without ever raising an alert, so alerts alone would call them silent.
    pub hits: Option<u64>,
    /// Alerts confirmed, escalated or dismissed.
    pub decided: i64,
    /// Confirmed and escalated over decided, once any were decided.
    pub precision: Option<f64>,
    /// Alerts decided in the last [`RECENT_DAYS`] (part of `decided`).
    pub recent_decided: i64,
    /// Precision among those, once any were decided.
    pub recent_precision: Option<f64>,
    /// Latest hit.
    pub last_hit: Option<DateTime<Utc>>,
}

/// Why a rule is listed for review.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ReviewFlag {
    /// Alerts remain of a rule no pack defines any more.
    Removed,
    /// Enabled, yet no alert and no flagged item.
    NeverFired,
    /// Collaborators dismissed most of its decided alerts.
    LowPrecision {
        /// Confirmed and escalated over decided.
        precision: f64,
        /// Alerts decided.
        decided: i64,
    },
    /// Its recent precision fell by [`PRECISION_DROP`] or more from what it was before.
    PrecisionFell {
        /// Precision of the decisions before the last [`RECENT_DAYS`].
        before: f64,
        /// Precision of the recent decisions.
        recent: f64,
        /// Alerts decided recently.
        decided: i64,
    },
    /// No hit for more than [`QUIET_DAYS`].
    Quiet {
        /// Whole days since the last hit.
        days: i64,
    },
}

impl ReviewFlag {
    /// A stable machine name: `removed`, `never_fired`, `low_precision`, `precision_fell` or
    /// `quiet`.
    pub fn code(&self) -> &'static str {
        match self {
            ReviewFlag::Removed => "removed",
            ReviewFlag::NeverFired => "never_fired",
            ReviewFlag::LowPrecision { .. } => "low_precision",
            ReviewFlag::PrecisionFell { .. } => "precision_fell",
            ReviewFlag::Quiet { .. } => "quiet",
        }
    }
}

/// English words, as `duluan rules stats` prints them.
impl std::fmt::Display for ReviewFlag {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReviewFlag::Removed => f.write_str("no longer in the rules"),
            ReviewFlag::NeverFired => f.write_str("never fired"),
            ReviewFlag::LowPrecision { precision, decided } => {
                write!(f, "precision {:.0}% over {decided} decisions", precision * 100.0)
            }
            ReviewFlag::PrecisionFell { before, recent, decided } => write!(
                f,
                "precision fell from {:.0}% to {:.0}% over the last {decided} decisions",
                before * 100.0,
                recent * 100.0
            ),
            ReviewFlag::Quiet { days } => write!(f, "no hit for {days} days"),
        }
    }
}

/// Every reason to review a rule, the most pressing first; empty when it is fine. A disabled
/// rule is never flagged (turning it off was the review), a removed one only as removed.
pub fn review(record: &Record, now: DateTime<Utc>) -> Vec<ReviewFlag> {
    match record.provenance {
        Provenance::Removed => return vec![ReviewFlag::Removed],
        Provenance::Builtin => return Vec::new(),
        Provenance::Pack if !record.enabled => return Vec::new(),
        Provenance::Pack => {}
    }
    if record.alerts == 0 && record.hits.unwrap_or(0) == 0 {
        return vec![ReviewFlag::NeverFired];
    }
    low_precision(record).into_iter().chain(precision_fell(record)).chain(quiet(record, now)).collect()
}

/// Enough decisions on both sides of the recent window, and a fall of [`PRECISION_DROP`] or
/// more between them. Precision counts kept alerts over decided ones, so the earlier figure is
/// what the totals leave once the recent ones are taken out.
fn precision_fell(record: &Record) -> Option<ReviewFlag> {
    let (all, recent) = (record.precision?, record.recent_precision?);
    let earlier = record.decided - record.recent_decided;
    if record.recent_decided < MIN_DECIDED || earlier < MIN_DECIDED {
        return None;
    }
    let kept_earlier = all * record.decided as f64 - recent * record.recent_decided as f64;
    let before = (kept_earlier / earlier as f64).clamp(0.0, 1.0);
    // The figures are ratios of counts, rebuilt in floating point: a fall of exactly 25 points
    // (70 % to 45 %) came out a hair under. No two ratios of real counts are this close apart.
    (before - recent >= PRECISION_DROP - 1e-9).then_some(ReviewFlag::PrecisionFell {
        before,
        recent,
        decided: record.recent_decided,
    })
}

fn low_precision(record: &Record) -> Option<ReviewFlag> {
    let precision = record.precision.filter(|p| *p < LOW_PRECISION && record.decided >= MIN_DECIDED)?;
    Some(ReviewFlag::LowPrecision { precision, decided: record.decided })
}

fn quiet(record: &Record, now: DateTime<Utc>) -> Option<ReviewFlag> {
    let idle = now - record.last_hit?;
    (idle > chrono::Duration::days(QUIET_DAYS)).then(|| ReviewFlag::Quiet { days: idle.num_days() })
}

/// What lists of rules show of a rule defined in the packs.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleInfo {
    /// Rule id.
    pub id: String,
    /// Titles.
    pub title: Titles,
    /// Description, as its author wrote it.
    pub description: String,
    /// Severity.
    pub severity: Severity,
    /// Enabled.
    pub enabled: bool,
    /// Alert or tag only.
    pub action: Action,
    /// The pack (file name without `.toml`) that defines it.
    pub pack: String,
    /// Who looks after it (a team or role, as its pack says).
    pub owner: Option<String>,
}

impl RuleInfo {
    /// The listed parts of a parsed rule.
    pub fn of(spec: &RuleSpec) -> RuleInfo {
        RuleInfo {
            id: spec.id.clone(),
            title: spec.title.clone(),
            description: spec.description.clone(),
            severity: spec.severity,
            enabled: spec.enabled,
            action: spec.action,
            pack: pack_of(&spec.origin),
            owner: spec.owner.clone(),
        }
    }
}

/// The pack named by a rule's origin (`rules/health.toml:12` → `health`).
pub fn pack_of(origin: &str) -> String {
    let file = crate::origin_file(origin);
    Path::new(file).file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default()
}

/// The loaded rules' metadata, in pack order, found by id.
#[derive(Debug, Clone, Default)]
pub struct RuleCatalog {
    rules: Vec<RuleInfo>,
    by_id: HashMap<String, usize>,
}

impl RuleCatalog {
    /// The catalog of parsed rules.
    pub fn new(specs: &[RuleSpec]) -> RuleCatalog {
        let rules: Vec<RuleInfo> = specs.iter().map(RuleInfo::of).collect();
        let by_id = rules.iter().enumerate().map(|(n, r)| (r.id.clone(), n)).collect();
        RuleCatalog { rules, by_id }
    }

    /// A rule by id.
    pub fn get(&self, id: &str) -> Option<&RuleInfo> {
        self.by_id.get(id).map(|&n| &self.rules[n])
    }

    /// Every rule, in pack order.
    pub fn rules(&self) -> &[RuleInfo] {
        &self.rules
    }

    /// Where an id found in the alerts comes from.
    pub fn provenance(&self, id: &str) -> Provenance {
        if self.by_id.contains_key(id) {
            Provenance::Pack
        } else if SYSTEM_KINDS.contains(&id) || id.starts_with(crate::CLAIM_RULE_PREFIX) {
            Provenance::Builtin
        } else {
            Provenance::Removed
        }
    }
}

/// The rules in force as the UI and the API show them: the catalog of the rules last loaded, and
/// whether the files changed since into something that does not load. A running process
/// replaces both when it reloads the rules directory; readers take the catalog whole.
#[derive(Debug, Default)]
pub struct RulesInForce {
    catalog: RwLock<Arc<RuleCatalog>>,
    failure: RwLock<Option<ReloadFailure>>,
}

/// A reload of the rules directory that failed: the rules loaded before stay in force.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReloadFailure {
    /// When the changed files were read.
    pub at: DateTime<Utc>,
    /// Each problem, with file, line and column where there is one.
    pub errors: Vec<String>,
}

impl RulesInForce {
    /// The rules loaded at start.
    pub fn new(catalog: RuleCatalog) -> RulesInForce {
        RulesInForce { catalog: RwLock::new(Arc::new(catalog)), failure: RwLock::new(None) }
    }

    /// The catalog of the rules in force.
    pub fn catalog(&self) -> Arc<RuleCatalog> {
        self.catalog.read().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// The files loaded: their rules are now in force.
    pub fn loaded(&self, catalog: RuleCatalog) {
        *self.catalog.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(catalog);
        *self.failure.write().unwrap_or_else(PoisonError::into_inner) = None;
    }

    /// The files changed but do not load; the rules in force stay.
    pub fn failed(&self, failure: ReloadFailure) {
        *self.failure.write().unwrap_or_else(PoisonError::into_inner) = Some(failure);
    }

    /// The last reload's problems, unless the files loaded since.
    pub fn failure(&self) -> Option<ReloadFailure> {
        self.failure.read().unwrap_or_else(PoisonError::into_inner).clone()
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 6, 30, 12, 0, 0).single().expect("valid time")
    }

    /// An enabled rule that fired recently with nothing decided.
    fn busy() -> Record {
        Record {
            provenance: Provenance::Pack,
            enabled: true,
            alerts: 3,
            hits: Some(4),
            decided: 0,
            precision: None,
            recent_decided: 0,
            recent_precision: None,
            last_hit: Some(now() - chrono::Duration::days(1)),
        }
    }

    /// Decided alerts before the recent window and in it, each as (kept, dismissed).
    fn history(earlier: (i64, i64), recent: (i64, i64)) -> Record {
        let decided = earlier.0 + earlier.1 + recent.0 + recent.1;
        let recent_decided = recent.0 + recent.1;
        Record {
            decided,
            precision: Some((earlier.0 + recent.0) as f64 / decided as f64),
            recent_decided,
            recent_precision: (recent_decided > 0).then(|| recent.0 as f64 / recent_decided as f64),
            ..busy()
        }
    }

    #[test]
    fn a_rule_whose_precision_fell_is_flagged_though_its_total_is_still_high() {
        // 95 % over 200 decisions, then 2 of the last 10 kept: still 91 % in all.
        let fell = history((190, 10), (2, 8));
        assert!(fell.precision.is_some_and(|p| p > 0.9));
        let flags = review(&fell, now());
        assert_eq!(flags.iter().map(ReviewFlag::code).collect::<Vec<_>>(), ["precision_fell"]);
        assert_eq!(flags[0].to_string(), "precision fell from 95% to 20% over the last 10 decisions");
        // Too few recent decisions, or a small fall, or nothing before to compare with: no flag.
        assert!(review(&history((190, 10), (0, 4)), now()).is_empty());
        assert!(review(&history((80, 20), (6, 4)), now()).is_empty());
        assert_eq!(codes(&history((0, 0), (1, 9))), ["low_precision"]);
        // A fall of exactly 25 points counts, whatever rounding does to the figures.
        for (earlier, recent) in [((7, 3), (9, 11)), ((6, 2), (9, 9)), ((14, 6), (9, 11))] {
            assert_eq!(codes(&history(earlier, recent)), ["precision_fell"], "{earlier:?} then {recent:?}");
        }
        assert!(codes(&history((7, 3), (10, 10))).is_empty());
    }

    fn decided(confirmed: i64, dismissed: i64) -> Record {
        let decided = confirmed + dismissed;
        Record { decided, precision: Some(confirmed as f64 / decided as f64), ..busy() }
    }

    fn codes(record: &Record) -> Vec<&'static str> {
        review(record, now()).iter().map(ReviewFlag::code).collect()
    }

    #[test]
    fn a_busy_rule_with_nothing_decided_is_fine() {
        assert!(review(&busy(), now()).is_empty());
    }

    #[test]
    fn a_rule_gone_from_the_packs_is_flagged_removed_whatever_its_record() {
        let gone = Record { provenance: Provenance::Removed, ..decided(0, 9) };
        assert_eq!(review(&gone, now()), vec![ReviewFlag::Removed]);
        assert_eq!(ReviewFlag::Removed.to_string(), "no longer in the rules");
    }

    #[test]
    fn alerts_duluan_raises_itself_are_not_reviewed() {
        let spikes = Record { provenance: Provenance::Builtin, last_hit: None, ..decided(0, 9) };
        assert!(review(&spikes, now()).is_empty());
    }

    #[test]
    fn a_disabled_rule_is_never_flagged() {
        let off = Record { enabled: false, alerts: 0, hits: Some(0), ..decided(0, 9) };
        assert!(review(&off, now()).is_empty());
    }

    #[test]
    fn never_fired_needs_neither_alerts_nor_flagged_items() {
        let silent = Record { alerts: 0, hits: None, last_hit: None, ..busy() };
        assert_eq!(review(&silent, now()), vec![ReviewFlag::NeverFired]);
        assert_eq!(ReviewFlag::NeverFired.to_string(), "never fired");
        let counted_silent = Record { hits: Some(0), ..silent.clone() };
        assert_eq!(codes(&counted_silent), ["never_fired"]);
        let tag_only = Record { hits: Some(2), last_hit: Some(now()), ..silent };
        assert!(review(&tag_only, now()).is_empty(), "flagged items count as firing");
    }

    #[test]
    fn low_precision_counts_from_exactly_five_decisions() {
        assert!(review(&decided(1, 3), now()).is_empty(), "4 decisions are too few");
        let flags = review(&decided(2, 3), now());
        assert_eq!(flags, vec![ReviewFlag::LowPrecision { precision: 0.4, decided: 5 }]);
        assert_eq!(flags[0].to_string(), "precision 40% over 5 decisions");
    }

    #[test]
    fn exactly_half_is_not_low() {
        assert!(review(&decided(3, 3), now()).is_empty());
        assert_eq!(codes(&decided(3, 4)), ["low_precision"]);
    }

    #[test]
    fn quiet_means_more_than_thirty_days() {
        let at = |age| Record { last_hit: Some(now() - age), ..busy() };
        assert!(review(&at(chrono::Duration::days(30)), now()).is_empty(), "exactly 30 days");
        let flags = review(&at(chrono::Duration::days(30) + chrono::Duration::seconds(1)), now());
        assert_eq!(flags, vec![ReviewFlag::Quiet { days: 30 }]);
        assert_eq!(review(&at(chrono::Duration::days(45)), now())[0].to_string(), "no hit for 45 days");
        let unknown = Record { last_hit: None, ..busy() };
        assert!(review(&unknown, now()).is_empty(), "no date, no claim that it went quiet");
    }

    #[test]
    fn low_precision_comes_before_quiet() {
        let both = Record { last_hit: Some(now() - chrono::Duration::days(60)), ..decided(1, 5) };
        assert_eq!(codes(&both), ["low_precision", "quiet"]);
    }

    #[test]
    fn the_catalog_finds_rules_and_names_their_pack() {
        assert_eq!(pack_of("rules/health.toml:12"), "health");
        assert_eq!(pack_of("/srv/duluan/rules/sub/gia-ca.toml:3"), "gia-ca");
        assert_eq!(pack_of("rules/health.toml:12:9"), "health");
        assert_eq!(pack_of("C:/rules/y-te.toml:4:1"), "y-te");
        let mut packs = crate::Packs::default();
        let mut errors = Vec::new();
        let text = "[[rule]]\nid = \"a.b\"\ntitle = { vi = \"Tiêu đề\", en = \"Title\" }\n\
                    description = \"Mô tả\"\nseverity = \"high\"\nquery = \"x\"\naction = \"tag\"\nenabled = false\n";
        crate::read_pack(Path::new("rules/gia.toml"), text, &mut packs, &mut errors);
        assert!(errors.is_empty(), "{errors:?}");
        let catalog = RuleCatalog::new(&packs.rules);
        let rule = catalog.get("a.b").expect("rule a.b");
        assert_eq!((rule.pack.as_str(), rule.title.en.as_str(), rule.description.as_str()), ("gia", "Title", "Mô tả"));
        assert_eq!((rule.severity, rule.enabled, rule.action), (Severity::High, false, Action::Tag));
        assert!(catalog.get("nope").is_none());
        assert_eq!(catalog.rules().len(), 1);
        let origins: Vec<Provenance> =
            ["a.b", "spike", "source_health", "claim:gia-xang", "old.rule"].map(|id| catalog.provenance(id)).into();
        assert_eq!(
            origins,
            [Provenance::Pack, Provenance::Builtin, Provenance::Builtin, Provenance::Builtin, Provenance::Removed]
        );
    }
}
