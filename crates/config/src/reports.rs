//! `[reports]`: time zone, statistics thresholds and topics of the opinion-trend reports.

use serde::Deserialize;

/// `[reports]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct ReportsConfig {
    pub timezone: String,
    pub language: String,
    pub sample_size: usize,
    pub top: usize,
    pub rising_min_count: u64,
    pub rising_min_llr: f64,
    pub spike_baseline_days: u32,
    pub spike_min_volume: u64,
    pub spike_min_ratio: f64,
    pub spike_min_z: f64,
    pub spike_check_minutes: u64,
    pub social_tag: String,
    pub chromium: String,
    #[serde(default)]
    pub topic: Vec<Topic>,
    #[serde(default)]
    pub schedule: Vec<Schedule>,
}

/// `[[reports.schedule]]`: a report made on a calendar and kept for download.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct Schedule {
    pub id: String,
    pub cron: String,
    pub period: SchedulePeriod,
    #[serde(default)]
    pub topics: Vec<String>,
    #[serde(default)]
    pub language: Option<String>,
    #[serde(default = "default_formats")]
    pub formats: Vec<String>,
    #[serde(default)]
    pub receivers: Vec<String>,
}

fn default_formats() -> Vec<String> {
    vec!["html".into(), "json".into(), "md".into()]
}

/// What a scheduled report covers, counted back from the day it runs.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum SchedulePeriod {
    /// The ISO week before.
    PreviousWeek,
    /// The calendar month before.
    PreviousMonth,
    /// The quarter before.
    PreviousQuarter,
    /// The year before.
    PreviousYear,
    /// From the previous scheduled day to the day before this one (the 25th to the 24th).
    SincePrevious,
}

/// `[[reports.topic]]`: a named theme the reports follow.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct Topic {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub query: String,
    #[serde(default)]
    pub rules: Vec<String>,
    #[serde(default)]
    pub sources: Vec<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub regions: Vec<String>,
}

impl ReportsConfig {
    pub(crate) fn validate(&self) -> Result<(), String> {
        if !matches!(self.language.as_str(), "vi" | "en") {
            return Err("reports.language must be \"vi\" or \"en\"".into());
        }
        if self.sample_size == 0 || self.top == 0 || self.spike_baseline_days < 2 {
            return Err(
                "reports.sample_size and reports.top must be at least 1, reports.spike_baseline_days at least 2".into(),
            );
        }
        let mut seen = std::collections::BTreeSet::new();
        for topic in &self.topic {
            let id_ok =
                !topic.id.is_empty() && topic.id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
            if !id_ok {
                return Err(format!("reports.topic id `{}`: use letters, digits, - and _", topic.id));
            }
            if !seen.insert(topic.id.as_str()) {
                return Err(format!("reports.topic id `{}` is defined twice", topic.id));
            }
            if topic.query.trim().is_empty()
                && topic.rules.is_empty()
                && topic.sources.is_empty()
                && topic.tags.is_empty()
                && topic.regions.is_empty()
            {
                return Err(format!("reports.topic `{}` needs a query, rules, sources, tags or regions", topic.id));
            }
        }
        self.validate_schedules()
    }

    fn validate_schedules(&self) -> Result<(), String> {
        let mut seen = std::collections::BTreeSet::new();
        for s in &self.schedule {
            if s.id.is_empty() || !s.id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
                return Err(format!("reports.schedule id `{}`: use letters, digits, - and _", s.id));
            }
            if !seen.insert(s.id.as_str()) {
                return Err(format!("reports.schedule id `{}` is defined twice", s.id));
            }
            if let Err(e) = s.cron.parse::<croner::Cron>() {
                return Err(format!("reports.schedule `{}`: cron `{}`: {e}", s.id, s.cron));
            }
            if let Some(t) = s.topics.iter().find(|t| !self.topic.iter().any(|topic| &topic.id == *t)) {
                return Err(format!("reports.schedule `{}`: unknown topic `{t}`", s.id));
            }
            if s.language.as_deref().is_some_and(|l| !matches!(l, "vi" | "en")) {
                return Err(format!("reports.schedule `{}`: language must be \"vi\" or \"en\"", s.id));
            }
            if s.formats.is_empty() || s.formats.iter().any(|f| !matches!(f.as_str(), "html" | "json" | "md" | "pdf")) {
                return Err(format!("reports.schedule `{}`: formats are \"html\", \"json\", \"md\" and \"pdf\"", s.id));
            }
        }
        Ok(())
    }
}
