//! Spike monitoring as it runs beside the crawler: for every topic (or all items), the current
//! window against the windows just before it — the last 24 hours against the 14 days before
//! for news (adjusted for weekday), the last hour against the 12 hours before for social sources
//! — and, for each spike, the explanation a collaborator needs: top terms, sources, stories and
//! the shift in tone.

use chrono::{DateTime, Datelike, Duration, Utc};
use duluan_config::Topic;
use duluan_index::{Query, SearchIndex};
use duluan_model::Severity;
use duluan_store::{Store, SystemAlert};
use serde::Serialize;

use crate::stats::{SpikeCheck, check_spike, share, weekday_factors};
use crate::terms::{RisingTerm, TermCounts, rising_terms};
use crate::{Result, Settings, topic_query};

/// One kind of window.
#[derive(Debug, Clone, PartialEq)]
pub struct Window {
    /// `news` or `social`: part of the alert key.
    pub name: &'static str,
    /// Window length.
    pub length: Duration,
    /// Windows before it that form the baseline.
    pub baseline: u32,
    /// Compare a window with what its weekday usually gets.
    pub weekday_adjust: bool,
    /// Only items from sources with this tag (none: every item).
    pub tag: Option<String>,
}

impl Window {
    /// Last 24 hours against the `days` before, weekday-adjusted, every source.
    pub fn news(days: u32) -> Window {
        Window { name: "news", length: Duration::hours(24), baseline: days, weekday_adjust: true, tag: None }
    }

    /// Last hour against the 12 before, sources tagged `tag`.
    pub fn social(tag: &str) -> Window {
        Window {
            name: "social",
            length: Duration::hours(1),
            baseline: 12,
            weekday_adjust: false,
            tag: Some(tag.into()),
        }
    }
}

/// A spike found now, with what drove it.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// Topic id (`all` for all items).
    pub topic: String,
    /// Topic name.
    pub topic_name: String,
    /// `news` or `social`.
    pub window: String,
    /// Window start.
    pub from: DateTime<Utc>,
    /// Window end.
    pub to: DateTime<Utc>,
    /// The figures of the decision.
    #[serde(flatten)]
    pub check: SpikeCheck,
    /// Terms that rose in the window against the baseline windows.
    pub top_terms: Vec<RisingTerm>,
    /// Sources of the window's items, most first.
    pub top_sources: Vec<(String, u64)>,
    /// Titles of the window's largest stories.
    pub top_stories: Vec<(String, u64)>,
    /// Share negative in the window.
    pub negative_share: f64,
    /// Share negative in the baseline.
    pub baseline_negative_share: f64,
}

impl Finding {
    /// Key grouping repeated checks of the same spike into one alert: topic, window kind, day.
    pub fn key(&self, settings: &Settings) -> String {
        let day = self.to.with_timezone(&settings.tz).date_naive();
        format!("spike:{}:{}:{day}", self.topic, self.window)
    }

    /// One-line title (Vietnamese or English).
    pub fn title(&self, lang: &str) -> String {
        let hours = (self.to - self.from).num_hours();
        match lang {
            "en" => format!(
                "Spike: {} — {} items in {hours} h (expected {:.0})",
                self.topic_name, self.check.observed, self.check.expected
            ),
            _ => format!(
                "Đột biến: {} — {} tin trong {hours} giờ (dự kiến {:.0})",
                self.topic_name, self.check.observed, self.check.expected
            ),
        }
    }

    /// The explanation: every figure behind the decision and what drove it.
    pub fn detail(&self) -> String {
        let terms: Vec<String> =
            self.top_terms.iter().take(8).map(|t| format!("{} ({} ← {})", t.term, t.count, t.baseline_count)).collect();
        let sources: Vec<String> = self.top_sources.iter().take(5).map(|(s, n)| format!("{s} ({n})")).collect();
        let stories: Vec<String> = self.top_stories.iter().take(3).map(|(t, n)| format!("{t} ({n})")).collect();
        format!(
            "{} → {}: {} items, expected {:.1} (×{:.1}, z = {:.1}). Terms: {}. Sources: {}. Stories: {}. Negative share {:.0} % → {:.0} %.",
            self.from.to_rfc3339(),
            self.to.to_rfc3339(),
            self.check.observed,
            self.check.expected,
            self.check.ratio,
            self.check.z,
            terms.join(", "),
            sources.join(", "),
            stories.join("; "),
            self.baseline_negative_share * 100.0,
            self.negative_share * 100.0
        )
    }
}

/// Raise (or update) one queue alert per finding: kind `spike`, grouped per topic, window kind
/// and local day, so hourly checks of one spike keep one alert. Returns `(alert id, new)`.
pub async fn raise(
    store: &dyn Store,
    settings: &Settings,
    findings: &[Finding],
    team: &str,
    now: DateTime<Utc>,
) -> Result<Vec<(i64, bool)>> {
    let mut raised = Vec::with_capacity(findings.len());
    for f in findings {
        let alert = SystemAlert {
            kind: "spike".into(),
            key: f.key(settings),
            severity: if f.check.ratio >= 5.0 { Severity::High } else { Severity::Medium },
            team: team.to_string(),
            title: f.title(&settings.lang),
            detail: f.detail(),
            once: true,
        };
        let (id, new) = store.raise_system_alert(&alert, now).await?;
        tracing::info!(alert = id, new, topic = %f.topic, window = %f.window, observed = f.check.observed, "spike");
        raised.push((id, new));
    }
    Ok(raised)
}

/// The windows `[reports]` asks for.
pub fn windows(config: &duluan_config::ReportsConfig) -> Vec<Window> {
    let mut w = vec![Window::news(config.spike_baseline_days)];
    if !config.social_tag.is_empty() {
        w.push(Window::social(&config.social_tag));
    }
    w
}

/// Check every topic (all items when there are none) in every window kind at `now`.
pub fn detect(
    index: &SearchIndex,
    settings: &Settings,
    topics: &[Topic],
    windows: &[Window],
    now: DateTime<Utc>,
) -> Result<Vec<Finding>> {
    let all = Topic {
        id: "all".into(),
        name: if settings.lang == "en" { "All items".into() } else { "Toàn bộ tin bài".into() },
        query: String::new(),
        rules: Vec::new(),
        sources: Vec::new(),
        tags: Vec::new(),
        regions: Vec::new(),
    };
    let subjects: Vec<&Topic> = if topics.is_empty() { vec![&all] } else { topics.iter().collect() };
    let mut findings = Vec::new();
    for topic in subjects {
        for window in windows {
            if let Some(f) = check_topic(index, settings, topic, window, now)? {
                findings.push(f);
            }
        }
    }
    Ok(findings)
}

fn check_topic(
    index: &SearchIndex,
    settings: &Settings,
    topic: &Topic,
    window: &Window,
    now: DateTime<Utc>,
) -> Result<Option<Finding>> {
    let mut base = topic_query(topic);
    if let Some(tag) = &window.tag {
        base.tags.push(tag.clone());
    }
    let range = |from: DateTime<Utc>, to: DateTime<Utc>| Query { from: Some(from), to: Some(to), ..base.clone() };
    let count = |from: DateTime<Utc>, to: DateTime<Utc>| -> Result<duluan_index::Aggregate> {
        Ok(index.aggregate(&range(from, to), settings.tz.local_minus_utc())?)
    };
    let starts: Vec<DateTime<Utc>> = (0..=window.baseline).map(|i| now - window.length * (i as i32 + 1)).collect();
    // Only the current window needs sources and stories; the baseline windows need totals.
    let daily = |from: DateTime<Utc>, to: DateTime<Utc>| -> Result<duluan_index::Aggregate> {
        Ok(index.daily(&range(from, to), settings.tz.local_minus_utc())?)
    };
    let counts: Vec<duluan_index::Aggregate> = starts
        .iter()
        .enumerate()
        .map(|(i, s)| if i == 0 { count(*s, *s + window.length) } else { daily(*s, *s + window.length) })
        .collect::<Result<_>>()?;
    let factors = if window.weekday_adjust { rhythm(index, settings, now)? } else { [1.0; 7] };
    let factor = |start: DateTime<Utc>| {
        let mid = (start + window.length / 2).with_timezone(&settings.tz);
        factors[mid.weekday().num_days_from_monday() as usize]
    };
    let baseline: Vec<(u64, f64)> = counts[1..].iter().zip(&starts[1..]).map(|(c, s)| (c.total, factor(*s))).collect();
    let check = check_spike(counts[0].total, factor(starts[0]), &baseline, &settings.spike);
    if !check.spike {
        return Ok(None);
    }
    let current = &counts[0];
    let baseline_from = starts[window.baseline as usize];
    let texts = |from, to| -> Result<TermCounts> {
        let sample = index.sample(&range(from, to), settings.sample_size)?;
        let mut c = TermCounts::default();
        for t in &sample.texts {
            c.add(&format!("{}\n{}", t.title, t.lead));
        }
        Ok(c)
    };
    let top_terms = rising_terms(&texts(starts[0], now)?, &texts(baseline_from, starts[0])?, &settings.rising);
    let (neg, all) =
        counts[1..].iter().flat_map(|c| c.days.values()).fold((0, 0), |(n, a), d| (n + d.negative, a + d.items));
    let current_neg: u64 = current.days.values().map(|d| d.negative).sum();
    Ok(Some(Finding {
        topic: topic.id.clone(),
        topic_name: topic.name.clone(),
        window: window.name.to_string(),
        from: starts[0],
        to: now,
        check,
        top_terms: top_terms.into_iter().take(10).collect(),
        top_sources: top(&current.sources, settings.top),
        top_stories: story_titles(index, current, settings.top.min(5))?,
        negative_share: share(current_neg, current.total),
        baseline_negative_share: share(neg, all),
    }))
}

/// Weekday factors of all items over the eight weeks before `now`.
fn rhythm(index: &SearchIndex, settings: &Settings, now: DateTime<Utc>) -> Result<[f64; 7]> {
    let from = now - Duration::days(56);
    let agg =
        index.daily(&Query { from: Some(from), to: Some(now), ..Query::default() }, settings.tz.local_minus_utc())?;
    let days: Vec<(chrono::NaiveDate, u64)> = agg
        .days
        .iter()
        .filter_map(|(d, c)| {
            Some((chrono::NaiveDate::default().checked_add_days(chrono::Days::new(u64::try_from(*d).ok()?))?, c.items))
        })
        .collect();
    // Whole days only: the first and last may be partial.
    let inner = if days.len() > 2 { &days[1..days.len() - 1] } else { &days[..0] };
    Ok(weekday_factors(inner))
}

fn top(counts: &std::collections::HashMap<String, u64>, n: usize) -> Vec<(String, u64)> {
    let mut v: Vec<(String, u64)> = counts.iter().map(|(k, c)| (k.clone(), *c)).collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    v.truncate(n);
    v
}

fn story_titles(index: &SearchIndex, agg: &duluan_index::Aggregate, n: usize) -> Result<Vec<(String, u64)>> {
    let mut stories = top(&agg.stories.iter().map(|(k, s)| (k.clone(), s.items)).collect(), n);
    for (story, _) in &mut stories {
        if let Some(summary) = index.story_summary(story, 1)? {
            *story = summary.title;
        }
    }
    Ok(stories)
}
