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
        Ok(())
    }
}
