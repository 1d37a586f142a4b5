//! What a report holds. Serialised as is for the JSON format; every figure carries the search
//! that reproduces it.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::stats::SpikeCheck;
use crate::terms::RisingTerm;

/// A whole report.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Heading.
    pub title: String,
    /// Language of the text (`vi` or `en`).
    pub lang: String,
    /// The period and its baseline.
    pub period: PeriodInfo,
    /// When it was made.
    pub generated_at: DateTime<Utc>,
    /// All items of the period.
    #[serde(flatten)]
    pub all: Section,
    /// Alerts raised in the period and how they were triaged.
    pub triage: Triage,
    /// Each configured topic (empty when none are configured).
    pub topics: Vec<TopicReport>,
}

/// The dates a report covers.
#[derive(Debug, Clone, Serialize)]
pub struct PeriodInfo {
    /// `2021-12`, `2021-Q4`, …
    pub label: String,
    /// First day.
    pub from: NaiveDate,
    /// Last day (inclusive).
    pub to: NaiveDate,
    /// Time zone of the days.
    pub timezone: String,
    /// First day of the baseline (the previous period).
    pub baseline_from: NaiveDate,
    /// Last day of the baseline.
    pub baseline_to: NaiveDate,
}

/// The statistics of one set of items (all, or one topic).
#[derive(Debug, Clone, Serialize)]
pub struct Section {
    /// How many, when.
    pub volume: Volume,
    /// In what tone.
    pub sentiment: SentimentSummary,
    /// What is new.
    pub rising_terms: RisingSection,
    /// From where.
    pub top_sources: Vec<Count>,
    /// Largest stories.
    pub top_stories: Vec<StoryRow>,
    /// Days far above their baseline.
    pub spikes: Vec<Spike>,
}

/// Item counts.
#[derive(Debug, Clone, Serialize)]
pub struct Volume {
    /// Items published in the period.
    pub total: u64,
    /// Items published in the baseline period.
    pub baseline_total: u64,
    /// Relative change from the baseline (0.25 = +25 %), absent when the baseline had none.
    pub change: Option<f64>,
    /// All items collected in the period (the denominator of `share`).
    pub all_items: u64,
    /// `total / all_items`: share of coverage, unaffected by how much was collected.
    pub share: f64,
    /// Day by day.
    pub days: Vec<VolumeDay>,
    /// By language.
    pub by_lang: Vec<Count>,
    /// Search listing these items.
    pub search: String,
}

/// One day's items.
#[derive(Debug, Clone, Serialize)]
pub struct VolumeDay {
    /// Day.
    pub date: NaiveDate,
    /// Items.
    pub items: u64,
    /// All items collected that day.
    pub all_items: u64,
    /// `items / all_items`.
    pub share: f64,
    /// Search listing them.
    pub search: String,
}

/// A value and how many items have it.
#[derive(Debug, Clone, Serialize)]
pub struct Count {
    /// Value (source id, language, …).
    pub key: String,
    /// Items.
    pub count: u64,
    /// Share of the section's items.
    pub share: f64,
    /// Search listing them.
    pub search: String,
}

/// Tone of the items.
#[derive(Debug, Clone, Serialize)]
pub struct SentimentSummary {
    /// Items labelled negative.
    pub negative: u64,
    /// Neutral.
    pub neutral: u64,
    /// Positive.
    pub positive: u64,
    /// Share negative.
    pub negative_share: f64,
    /// Share neutral.
    pub neutral_share: f64,
    /// Share positive.
    pub positive_share: f64,
    /// Mean score in [-1, 1].
    pub mean_score: f64,
    /// Share negative in the baseline period.
    pub baseline_negative_share: f64,
    /// Day by day.
    pub days: Vec<SentimentDay>,
    /// Terms that set the negative items apart from the rest (log-likelihood, sampled).
    pub negative_terms: Vec<TermRow>,
    /// Search listing the negative items.
    pub search_negative: String,
}

/// One day's tone.
#[derive(Debug, Clone, Serialize)]
pub struct SentimentDay {
    /// Day.
    pub date: NaiveDate,
    /// Negative items.
    pub negative: u64,
    /// Neutral items.
    pub neutral: u64,
    /// Positive items.
    pub positive: u64,
    /// Mean score (0 on a day without items).
    pub mean_score: f64,
}

/// Rising terms and the samples they were counted on.
#[derive(Debug, Clone, Serialize)]
pub struct RisingSection {
    /// Items of the period.
    pub matched: usize,
    /// Of them, read for terms (all when `matched` ≤ `[reports] sample_size`).
    pub sample_size: usize,
    /// Items of the baseline.
    pub baseline_matched: usize,
    /// Of them, read.
    pub baseline_sample_size: usize,
    /// Strongest first.
    pub terms: Vec<TermRow>,
}

/// A term with its search.
#[derive(Debug, Clone, Serialize)]
pub struct TermRow {
    /// The statistics.
    #[serde(flatten)]
    pub term: RisingTerm,
    /// Search for the term in the period.
    pub search: String,
}

/// A story (items grouped as near-duplicates) of the period.
#[derive(Debug, Clone, Serialize)]
pub struct StoryRow {
    /// Story id.
    pub story: String,
    /// Title of its first item.
    pub title: String,
    /// URL of its first item.
    pub url: String,
    /// Items in the period.
    pub items: u64,
    /// Distinct sources that carried it.
    pub sources: usize,
    /// First item in the period.
    pub first_seen: DateTime<Utc>,
    /// Last item in the period.
    pub last_seen: DateTime<Utc>,
}

/// A day far above its baseline, and what drove it.
#[derive(Debug, Clone, Serialize)]
pub struct Spike {
    /// Day.
    pub date: NaiveDate,
    /// The figures of the decision.
    #[serde(flatten)]
    pub check: SpikeCheck,
    /// Terms that rose that day against the baseline days.
    pub top_terms: Vec<TermRow>,
    /// Sources of the day.
    pub top_sources: Vec<Count>,
    /// Stories of the day.
    pub top_stories: Vec<StoryRow>,
    /// Share negative that day.
    pub negative_share: f64,
    /// Share negative over the baseline days.
    pub baseline_negative_share: f64,
    /// Search listing the day's items.
    pub search: String,
}

/// Alerts raised in the period and how they were handled.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Triage {
    /// All alerts.
    #[serde(flatten)]
    pub all: TriageRow,
    /// Per team.
    pub by_team: Vec<TriageRow>,
    /// Per rule.
    pub by_rule: Vec<TriageRow>,
}

/// Triage figures of a group of alerts.
#[derive(Debug, Clone, Default, Serialize)]
pub struct TriageRow {
    /// Team or rule (empty for all).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub key: String,
    /// Raised.
    pub raised: u64,
    /// Confirmed.
    pub confirmed: u64,
    /// Escalated.
    pub escalated: u64,
    /// Dismissed.
    pub dismissed: u64,
    /// Not yet decided.
    pub open: u64,
    /// Median minutes from raised to first claim.
    pub median_minutes_to_claim: Option<f64>,
    /// Median minutes from raised to verdict.
    pub median_minutes_to_verdict: Option<f64>,
}

/// One topic's section.
#[derive(Debug, Clone, Serialize)]
pub struct TopicReport {
    /// Topic id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Its query.
    pub query: String,
    /// Its statistics.
    #[serde(flatten)]
    pub section: Section,
}
