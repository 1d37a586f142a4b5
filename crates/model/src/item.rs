use chrono::{DateTime, Utc};
pub use compact_str::CompactString;
use serde::{Deserialize, Serialize};

use crate::{ItemId, StoryId, string_enum};

/// One collected piece of content: a news article, a feed entry, a public post.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Item {
    /// Stable id derived from the canonical URL.
    pub id: ItemId,
    /// The URL the content was fetched from (or given at ingest).
    pub url: String,
    /// The canonical URL (from `<link rel=canonical>` or URL normalisation).
    pub canonical_url: String,
    /// The configured source this item came from (`ingest` for manual input).
    pub source_id: String,
    /// Tags of the source at the time of collection.
    #[serde(default)]
    pub source_tags: Vec<String>,
    /// Region tag of the source, if any.
    #[serde(default)]
    pub region: Option<String>,
    /// Title, cleaned (NFC, whitespace collapsed).
    pub title: String,
    /// Main text, cleaned (NFC, whitespace collapsed, one paragraph per line).
    pub text: String,
    /// ISO 639-1 code (`vi`, `en`) or `und`.
    pub lang: String,
    /// When the item was published, if known.
    pub published_at: Option<DateTime<Utc>>,
    /// When duluan fetched it.
    pub fetched_at: DateTime<Utc>,
    /// Hash of the normalised text: equal for exact copies.
    pub content_hash: String,
    /// 64-bit SimHash of the normalised text's syllable shingles (near-duplicate signature).
    pub simhash: u64,
    /// The story (cluster of near-duplicates) this item belongs to.
    pub story_id: StoryId,
    /// Lexicon sentiment with the terms behind it.
    pub sentiment: Sentiment,
    /// Rule matches, each with its spans.
    #[serde(default)]
    pub flags: Vec<Flag>,
}

impl Item {
    /// The text of one field, for resolving spans.
    pub fn field(&self, field: Field) -> &str {
        match field {
            Field::Title => &self.title,
            Field::Text => &self.text,
        }
    }

    /// Published time when known, otherwise the fetch time: the time an item is filed under.
    pub fn effective_time(&self) -> DateTime<Utc> {
        self.published_at.unwrap_or(self.fetched_at)
    }

    /// The most severe flag's severity, if flagged at all.
    pub fn max_severity(&self) -> Option<Severity> {
        self.flags.iter().map(|f| f.severity).max()
    }
}

string_enum!(
    /// Which text field of an item a span points into.
    Field, "field", {
        /// The item's title.
        Title => "title",
        /// The item's main text.
        Text => "text",
    }
);

string_enum!(
    /// How urgent a rule's hit is; ordered from least to most severe.
    Severity, "severity", {
        /// Worth recording, not worth a person's time.
        Info => "info",
        /// Low priority.
        Low => "low",
        /// Normal priority.
        Medium => "medium",
        /// Should be looked at today.
        High => "high",
        /// Needs a response now.
        Critical => "critical",
    }
);

string_enum!(
    /// Sentiment class.
    Label, "sentiment label", {
        /// Score below the negative threshold.
        Negative => "negative",
        /// Score near zero or no sentiment terms.
        Neutral => "neutral",
        /// Score above the positive threshold.
        Positive => "positive",
    }
);

/// A matched region of an item's field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Span {
    /// Field the offsets point into.
    pub field: Field,
    /// UTF-8 byte offset of the first matched byte.
    pub start: usize,
    /// UTF-8 byte offset one past the last matched byte.
    pub end: usize,
    /// The rule term that matched (as written in the rule). Kept inline when short, as rule
    /// terms are: every matched item's flags are made of these.
    #[schema(value_type = String)]
    pub term: CompactString,
}

/// One rule's hit on an item: which rule, how severe, and exactly where.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Flag {
    /// Rule id (inline when short, as [`Span::term`]).
    #[schema(value_type = String)]
    pub rule: CompactString,
    /// Rule severity at match time.
    pub severity: Severity,
    /// Whether the rule raises an alert (`false`: tag only).
    #[serde(default = "default_true")]
    pub alert: bool,
    /// Team queue the rule routes to, if it names one.
    #[serde(default)]
    pub route: Option<String>,
    /// Rule tags (used for routing and search).
    #[serde(default)]
    pub tags: Vec<String>,
    /// Matched spans, in field then offset order.
    pub spans: Vec<Span>,
    /// For a known-claim match (rule `claim:<id>`): which claim and how close the item is to it.
    /// Absent for rule flags, and in items stored before known claims existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claim: Option<ClaimMatch>,
}

/// How an item matched a known claim (a debunked or confirmed rumour).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ClaimMatch {
    /// Claim id.
    pub id: String,
    /// Share of the claim's syllable shingles found in the item, in [0, 1], to three decimals.
    pub similarity: f64,
    /// The claim's verdict: `false`, `misleading`, `true` or `unverified`.
    pub verdict: String,
    /// Shingles of the claim found in the item (the numerator of `similarity`).
    #[serde(default)]
    pub shared: u32,
    /// Where the claim was debunked or confirmed (a URL), if recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// The story a collaborator confirmed as misinformation, for claims that came from a verdict.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub story: Option<String>,
}

fn default_true() -> bool {
    true
}

/// A sentiment score with the terms that produced it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Sentiment {
    /// Score in [-1, 1].
    pub score: f32,
    /// Class derived from the score.
    pub label: Label,
    /// Contributing terms, in text order.
    pub terms: Vec<SentimentTerm>,
}

impl Default for Sentiment {
    fn default() -> Self {
        Sentiment { score: 0.0, label: Label::Neutral, terms: Vec::new() }
    }
}

/// One lexicon term's contribution to a sentiment score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SentimentTerm {
    /// The lexicon term.
    pub term: String,
    /// Signed contribution after negation and intensity.
    pub weight: f32,
    /// Whether a negator flipped it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub negated: bool,
}
