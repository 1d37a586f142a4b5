//! Assembling a report from the index (counts, samples) and the store (stories, triage).

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Datelike, Days, FixedOffset, NaiveDate, Utc};
use duluan_config::{ReportsConfig, Topic};
use duluan_index::{Aggregate, DayCounts, Query, SearchIndex};
use duluan_store::{AlertTiming, Store};
use tracing::info_span;

use crate::period::{Period, parse_timezone, start_of};
use crate::report::*;
use crate::stats::{SpikeRule, change, check_spike, median, share, weekday_factors};
use crate::terms::{RisingRule, TermCounts, rising_terms};
use crate::{Error, Result};

/// Days of all-item history the weekday rhythm is learnt from.
const RHYTHM_DAYS: u64 = 56;
/// Spikes explained in full per section.
const SPIKES_EXPLAINED: usize = 5;

/// How reports are made (from `[reports]` and `[server] public_url`).
#[derive(Debug, Clone)]
pub struct Settings {
    /// Time zone of days.
    pub tz: FixedOffset,
    /// Its name as configured.
    pub tz_name: String,
    /// Report language.
    pub lang: String,
    /// Most items read for terms per period.
    pub sample_size: usize,
    /// Rows in top lists.
    pub top: usize,
    /// Rising-term thresholds.
    pub rising: RisingRule,
    /// Spike thresholds.
    pub spike: SpikeRule,
    /// Days of baseline for a spike.
    pub spike_baseline_days: u32,
    /// Prefix of search links (the UI's public address, or empty for relative links).
    pub link_base: String,
    /// Chromium for PDF output (`[reports] chromium`; empty searches `PATH`).
    pub chromium: String,
}

impl Settings {
    /// From the configuration.
    pub fn from_config(config: &ReportsConfig, public_url: &str) -> Result<Settings> {
        Ok(Settings {
            tz: parse_timezone(&config.timezone)?,
            tz_name: config.timezone.clone(),
            lang: config.language.clone(),
            sample_size: config.sample_size,
            top: config.top,
            rising: RisingRule { min_count: config.rising_min_count, min_llr: config.rising_min_llr, limit: 25 },
            spike: SpikeRule {
                min_volume: config.spike_min_volume,
                min_ratio: config.spike_min_ratio,
                min_z: config.spike_min_z,
            },
            spike_baseline_days: config.spike_baseline_days,
            link_base: public_url.trim_end_matches('/').to_string(),
            chromium: config.chromium.clone(),
        })
    }
}

/// Make the report for `period` over all items and each of `topics`.
pub async fn build(
    index: &SearchIndex,
    store: &dyn Store,
    settings: &Settings,
    topics: &[Topic],
    period: Period,
    now: DateTime<Utc>,
) -> Result<Report> {
    let span = info_span!("report", period = %period.label());
    let _enter = span.enter();
    let builder = Builder::new(index, settings, period)?;
    let all = builder.section(&Query::default(), &Link::default()).await?;
    let mut topic_reports = Vec::with_capacity(topics.len());
    for topic in topics {
        let _topic = info_span!("topic", topic = %topic.id).entered();
        let query = topic_query(topic);
        let link = Link::for_topic(topic);
        topic_reports.push(TopicReport {
            id: topic.id.clone(),
            name: topic.name.clone(),
            query: topic.query.clone(),
            section: builder.section(&query, &link).await?,
        });
    }
    let (from, to) = period.bounds(settings.tz);
    let triage = triage(&store.alert_timings(from, to).await?);
    let baseline = period.previous();
    let title = match settings.lang.as_str() {
        "en" => format!("Opinion trends {}", period.label()),
        _ => format!("Báo cáo xu hướng dư luận {}", period.label()),
    };
    Ok(Report {
        title,
        lang: settings.lang.clone(),
        period: PeriodInfo {
            label: period.label(),
            from: period.from,
            to: last_day(period),
            timezone: settings.tz_name.clone(),
            baseline_from: baseline.from,
            baseline_to: last_day(baseline),
        },
        generated_at: now,
        all,
        triage,
        topics: topic_reports,
    })
}

/// The search a topic stands for.
pub fn topic_query(topic: &Topic) -> Query {
    Query {
        text: topic.query.clone(),
        rules: topic.rules.clone(),
        sources: topic.sources.clone(),
        tags: topic.tags.clone(),
        regions: topic.regions.clone(),
        ..Query::default()
    }
}

fn last_day(period: Period) -> NaiveDate {
    period.to.pred_opt().unwrap_or(period.to)
}

fn day_number(day: NaiveDate) -> i64 {
    (day - NaiveDate::default()).num_days()
}

struct Builder<'a> {
    index: &'a SearchIndex,
    settings: &'a Settings,
    period: Period,
    baseline: Period,
    /// First day counted for spikes and the weekday rhythm.
    history_from: NaiveDate,
    /// All items per day over the history and the period.
    all_days: BTreeMap<i64, DayCounts>,
    factors: [f64; 7],
}

impl<'a> Builder<'a> {
    fn new(index: &'a SearchIndex, settings: &'a Settings, period: Period) -> Result<Self> {
        let baseline = period.previous();
        let back = RHYTHM_DAYS.max(u64::from(settings.spike_baseline_days));
        let history_from = period.from.checked_sub_days(Days::new(back)).unwrap_or(period.from).min(baseline.from);
        let mut builder =
            Builder { index, settings, period, baseline, history_from, all_days: BTreeMap::new(), factors: [1.0; 7] };
        builder.all_days = builder.days(&Query::default(), history_from, period.to)?.days;
        let rhythm_from = period.from.checked_sub_days(Days::new(RHYTHM_DAYS)).unwrap_or(period.from);
        let rhythm: Vec<(NaiveDate, u64)> =
            Period { from: rhythm_from, to: period.from, unit: crate::period::Unit::Days }
                .each_day()
                .map(|d| (d, builder.all_on(d)))
                .collect();
        // Before anything was collected there is no rhythm to learn.
        let first_collected = rhythm.iter().position(|(_, n)| *n > 0).unwrap_or(rhythm.len());
        builder.factors = weekday_factors(&rhythm[first_collected..]);
        Ok(builder)
    }

    fn ranged(&self, base: &Query, from: NaiveDate, to: NaiveDate) -> Query {
        Query { from: Some(start_of(from, self.settings.tz)), to: Some(start_of(to, self.settings.tz)), ..base.clone() }
    }

    fn detail(&self, base: &Query, from: NaiveDate, to: NaiveDate) -> Result<Aggregate> {
        Ok(self.index.aggregate(&self.ranged(base, from, to), self.settings.tz.local_minus_utc())?)
    }

    fn days(&self, base: &Query, from: NaiveDate, to: NaiveDate) -> Result<Aggregate> {
        Ok(self.index.daily(&self.ranged(base, from, to), self.settings.tz.local_minus_utc())?)
    }

    fn all_on(&self, day: NaiveDate) -> u64 {
        self.all_days.get(&day_number(day)).map_or(0, |c| c.items)
    }

    fn factor(&self, day: NaiveDate) -> f64 {
        self.factors[day.weekday().num_days_from_monday() as usize]
    }

    async fn section(&self, base: &Query, link: &Link) -> Result<Section> {
        let history = self.days(base, self.history_from, self.period.to)?.days;
        let detail = self.detail(base, self.period.from, self.period.to)?;
        let on = |day: NaiveDate| history.get(&day_number(day)).copied().unwrap_or_default();
        let volume = self.volume(&detail, &on, link);
        let (period_terms, negative_terms, rising_terms) = self.rising(base, link)?;
        let sentiment = self.sentiment(&on, &period_terms, &negative_terms, link);
        let top_sources = self.top_counts(&detail.sources, detail.total, |k| link.with("source", k));
        let top_stories = self.stories(&detail)?;
        let spikes = self.spikes(base, &on, link).await?;
        Ok(Section { volume, sentiment, rising_terms, top_sources, top_stories, spikes })
    }

    fn volume(&self, detail: &Aggregate, on: &dyn Fn(NaiveDate) -> DayCounts, link: &Link) -> Volume {
        let baseline_total: u64 = self.baseline.each_day().map(|d| on(d).items).sum();
        let all_items: u64 = self.period.each_day().map(|d| self.all_on(d)).sum();
        let days = self
            .period
            .each_day()
            .map(|d| {
                let items = on(d).items;
                let all = self.all_on(d);
                VolumeDay { date: d, items, all_items: all, share: share(items, all), search: link.dated(self, d, d) }
            })
            .collect();
        Volume {
            total: detail.total,
            baseline_total,
            change: change(detail.total, baseline_total),
            all_items,
            share: share(detail.total, all_items),
            days,
            by_lang: self.top_counts(&detail.langs, detail.total, |k| link.with("lang", k)),
            search: link.dated(self, self.period.from, last_day(self.period)),
        }
    }

    fn sentiment(
        &self,
        on: &dyn Fn(NaiveDate) -> DayCounts,
        period_terms: &TermCounts,
        negative_terms: &TermCounts,
        link: &Link,
    ) -> SentimentSummary {
        let mut sum = DayCounts::default();
        let days: Vec<SentimentDay> = self
            .period
            .each_day()
            .map(|d| {
                let c = on(d);
                sum.items += c.items;
                sum.negative += c.negative;
                sum.neutral += c.neutral;
                sum.positive += c.positive;
                sum.score_sum += c.score_sum;
                SentimentDay {
                    date: d,
                    negative: c.negative,
                    neutral: c.neutral,
                    positive: c.positive,
                    mean_score: if c.items > 0 { c.score_sum / c.items as f64 } else { 0.0 },
                }
            })
            .collect();
        let (base_neg, base_all) =
            self.baseline.each_day().map(on).fold((0, 0), |(n, a), c| (n + c.negative, a + c.items));
        let negative_link = link.with("sentiment", "negative");
        let negative_terms =
            self.term_rows(rising_terms(negative_terms, period_terms, &self.settings.rising), &negative_link);
        SentimentSummary {
            negative: sum.negative,
            neutral: sum.neutral,
            positive: sum.positive,
            negative_share: share(sum.negative, sum.items),
            neutral_share: share(sum.neutral, sum.items),
            positive_share: share(sum.positive, sum.items),
            mean_score: if sum.items > 0 { sum.score_sum / sum.items as f64 } else { 0.0 },
            baseline_negative_share: share(base_neg, base_all),
            days,
            negative_terms,
            search_negative: negative_link.dated(self, self.period.from, last_day(self.period)),
        }
    }

    /// Term counts of a sample of the items in `[from, to)`: all of them, and the negative ones
    /// alone (from the same sample); plus how many matched and how many were read.
    fn count_terms(
        &self,
        base: &Query,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<(TermCounts, TermCounts, usize, usize)> {
        let sample = self.index.sample(&self.ranged(base, from, to), self.settings.sample_size)?;
        let (mut all, mut negative) = (TermCounts::default(), TermCounts::default());
        let mut text = String::new();
        for t in &sample.texts {
            text.clear();
            text.push_str(&t.title);
            text.push('\n');
            text.push_str(&t.lead);
            all.add(&text);
            if t.sentiment == "negative" {
                negative.add(&text);
            }
        }
        Ok((all, negative, sample.matched, sample.texts.len()))
    }

    fn rising(&self, base: &Query, link: &Link) -> Result<(TermCounts, TermCounts, RisingSection)> {
        let (period, negative, matched, sample_size) = self.count_terms(base, self.period.from, self.period.to)?;
        let (baseline, _, baseline_matched, baseline_sample_size) =
            self.count_terms(base, self.baseline.from, self.baseline.to)?;
        let terms = self.term_rows(rising_terms(&period, &baseline, &self.settings.rising), link);
        Ok((period, negative, RisingSection { matched, sample_size, baseline_matched, baseline_sample_size, terms }))
    }

    fn term_rows(&self, terms: Vec<crate::terms::RisingTerm>, link: &Link) -> Vec<TermRow> {
        terms
            .into_iter()
            .map(|term| {
                let search =
                    link.and_text(&format!("\"{}\"", term.term)).dated(self, self.period.from, last_day(self.period));
                TermRow { term, search }
            })
            .collect()
    }

    fn top_counts(&self, counts: &HashMap<String, u64>, total: u64, link: impl Fn(&str) -> Link) -> Vec<Count> {
        let mut rows: Vec<(&String, &u64)> = counts.iter().collect();
        rows.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
        rows.into_iter()
            .take(self.settings.top)
            .map(|(key, &count)| Count {
                key: key.clone(),
                count,
                share: share(count, total),
                search: link(key).dated(self, self.period.from, last_day(self.period)),
            })
            .collect()
    }

    fn stories(&self, detail: &Aggregate) -> Result<Vec<StoryRow>> {
        let mut ranked: Vec<(&String, &duluan_index::StoryCount)> = detail.stories.iter().collect();
        ranked.sort_by(|a, b| {
            b.1.items.cmp(&a.1.items).then_with(|| a.1.first_ms.cmp(&b.1.first_ms)).then_with(|| a.0.cmp(b.0))
        });
        let mut rows = Vec::new();
        for (story, count) in ranked.into_iter().take(self.settings.top) {
            let summary = self.index.story_summary(story, 500)?;
            let at = |ms: i64| DateTime::from_timestamp_millis(ms).unwrap_or_default();
            rows.push(StoryRow {
                story: story.clone(),
                title: summary.as_ref().map(|s| s.title.clone()).unwrap_or_default(),
                url: summary.as_ref().map(|s| s.url.clone()).unwrap_or_default(),
                items: count.items,
                sources: summary.map_or(0, |s| s.sources),
                first_seen: at(count.first_ms),
                last_seen: at(count.last_ms),
            });
        }
        Ok(rows)
    }

    async fn spikes(&self, base: &Query, on: &dyn Fn(NaiveDate) -> DayCounts, link: &Link) -> Result<Vec<Spike>> {
        let window = u64::from(self.settings.spike_baseline_days);
        let mut found = Vec::new();
        for day in self.period.each_day() {
            let Some(first) = day.checked_sub_days(Days::new(window)) else { continue };
            let baseline: Vec<(u64, f64)> =
                first.iter_days().take_while(|d| *d < day).map(|d| (on(d).items, self.factor(d))).collect();
            let check = check_spike(on(day).items, self.factor(day), &baseline, &self.settings.spike);
            if check.spike {
                found.push((day, first, check));
            }
        }
        found.sort_by(|a, b| b.2.z.total_cmp(&a.2.z));
        let mut spikes = Vec::new();
        for (day, first, check) in found.into_iter().take(SPIKES_EXPLAINED) {
            spikes.push(self.explain_spike(base, on, link, day, first, check).await?);
        }
        spikes.sort_by_key(|s| s.date);
        Ok(spikes)
    }

    async fn explain_spike(
        &self,
        base: &Query,
        on: &dyn Fn(NaiveDate) -> DayCounts,
        link: &Link,
        day: NaiveDate,
        first: NaiveDate,
        check: crate::stats::SpikeCheck,
    ) -> Result<Spike> {
        let next = day.succ_opt().unwrap_or(day);
        let detail = self.detail(base, day, next)?;
        let (today, ..) = self.count_terms(base, day, next)?;
        let (before, ..) = self.count_terms(base, first, day)?;
        let top_terms = rising_terms(&today, &before, &self.settings.rising)
            .into_iter()
            .take(10)
            .map(|term| {
                let search = link.and_text(&format!("\"{}\"", term.term)).dated(self, day, day);
                TermRow { term, search }
            })
            .collect();
        let mut top_sources = self.top_counts(&detail.sources, detail.total, |k| link.with("source", k));
        for row in &mut top_sources {
            row.search = link.with("source", &row.key).dated(self, day, day);
        }
        let mut top_stories = self.stories(&detail)?;
        top_stories.truncate(5);
        let (neg, all) =
            first.iter_days().take_while(|d| *d < day).map(on).fold((0, 0), |(n, a), c| (n + c.negative, a + c.items));
        let today_counts = on(day);
        Ok(Spike {
            date: day,
            check,
            top_terms,
            top_sources,
            top_stories,
            negative_share: share(today_counts.negative, today_counts.items),
            baseline_negative_share: share(neg, all),
            search: link.dated(self, day, day),
        })
    }
}

/// The search page parameters that reproduce a figure.
#[derive(Debug, Clone, Default)]
struct Link {
    params: Vec<(&'static str, String)>,
}

impl Link {
    fn for_topic(topic: &Topic) -> Link {
        let mut link = Link::default();
        if !topic.query.trim().is_empty() {
            link.params.push(("q", topic.query.clone()));
        }
        for (name, values) in
            [("rule", &topic.rules), ("source", &topic.sources), ("tag", &topic.tags), ("region", &topic.regions)]
        {
            if !values.is_empty() {
                link.params.push((name, values.join(",")));
            }
        }
        link
    }

    fn with(&self, name: &'static str, value: &str) -> Link {
        let mut link = self.clone();
        link.params.retain(|(n, _)| *n != name);
        link.params.push((name, value.to_string()));
        link
    }

    fn and_text(&self, text: &str) -> Link {
        let q = match self.params.iter().find(|(n, _)| *n == "q") {
            Some((_, existing)) => format!("({existing}) AND {text}"),
            None => text.to_string(),
        };
        self.with("q", &q)
    }

    /// The URL of the search over days `from` to `to` (inclusive).
    fn dated(&self, builder: &Builder<'_>, from: NaiveDate, to: NaiveDate) -> String {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        for (name, value) in &self.params {
            query.append_pair(name, value);
        }
        query.append_pair("from", &from.to_string());
        query.append_pair("to", &to.to_string());
        format!("{}/search?{}", builder.settings.link_base, query.finish())
    }
}

/// Triage figures of alerts raised in the period.
pub fn triage(timings: &[AlertTiming]) -> Triage {
    let group = |key: &dyn Fn(&AlertTiming) -> &str| -> Vec<TriageRow> {
        let mut groups: BTreeMap<&str, Vec<&AlertTiming>> = BTreeMap::new();
        for t in timings {
            groups.entry(key(t)).or_default().push(t);
        }
        groups.into_iter().map(|(k, ts)| triage_row(k, &ts)).collect()
    };
    let all: Vec<&AlertTiming> = timings.iter().collect();
    Triage { all: triage_row("", &all), by_team: group(&|t| t.team.as_str()), by_rule: group(&|t| t.rule.as_str()) }
}

fn triage_row(key: &str, timings: &[&AlertTiming]) -> TriageRow {
    let verdict = |v: &str| timings.iter().filter(|t| t.verdict.as_deref() == Some(v)).count() as u64;
    let minutes = |end: &dyn Fn(&AlertTiming) -> Option<DateTime<Utc>>| -> Option<f64> {
        let mut values: Vec<f64> =
            timings.iter().filter_map(|t| end(t).map(|e| (e - t.created_at).num_seconds() as f64 / 60.0)).collect();
        median(&mut values)
    };
    TriageRow {
        key: key.to_string(),
        raised: timings.len() as u64,
        confirmed: verdict("confirmed"),
        escalated: verdict("escalated"),
        dismissed: verdict("dismissed"),
        open: timings.iter().filter(|t| t.verdict.is_none()).count() as u64,
        median_minutes_to_claim: minutes(&|t| t.first_claimed_at),
        median_minutes_to_verdict: minutes(&|t| t.decided_at),
    }
}

impl From<duluan_index::Error> for Error {
    fn from(e: duluan_index::Error) -> Error {
        Error::Index(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn timing(team: &str, rule: &str, verdict: Option<&str>, claim: Option<i64>, decide: Option<i64>) -> AlertTiming {
        let created = Utc.with_ymd_and_hms(2021, 12, 1, 8, 0, 0).single().unwrap_or_default();
        AlertTiming {
            rule: rule.into(),
            team: team.into(),
            state: if verdict.is_some() { "confirmed".into() } else { "new".into() },
            verdict: verdict.map(str::to_string),
            created_at: created,
            first_claimed_at: claim.map(|m| created + chrono::Duration::minutes(m)),
            decided_at: decide.map(|m| created + chrono::Duration::minutes(m)),
        }
    }

    #[test]
    fn triage_counts_and_medians() {
        let t = triage(&[
            timing("a", "r1", Some("confirmed"), Some(10), Some(30)),
            timing("a", "r2", Some("dismissed"), Some(20), Some(60)),
            timing("b", "r1", None, Some(40), None),
            timing("b", "r1", None, None, None),
        ]);
        assert_eq!((t.all.raised, t.all.confirmed, t.all.dismissed, t.all.open), (4, 1, 1, 2));
        assert_eq!(t.all.median_minutes_to_claim, Some(20.0));
        assert_eq!(t.all.median_minutes_to_verdict, Some(45.0));
        let r1 = t.by_rule.iter().find(|r| r.key == "r1").expect("r1");
        assert_eq!((r1.raised, r1.median_minutes_to_claim), (3, Some(25.0)));
        assert_eq!(t.by_team.len(), 2);
        assert_eq!(triage(&[]).all.median_minutes_to_claim, None);
    }

    #[test]
    fn links_reproduce_the_figures() {
        let topic = Topic {
            id: "gia".into(),
            name: "Giá cả".into(),
            query: "giá xăng".into(),
            rules: vec!["r1".into(), "r2".into()],
            sources: vec![],
            tags: vec![],
            regions: vec![],
        };
        let link = Link::for_topic(&topic).and_text("\"tăng giá\"").with("source", "vnexpress");
        let pairs: Vec<(&str, &str)> = link.params.iter().map(|(n, v)| (*n, v.as_str())).collect();
        assert_eq!(pairs, [("rule", "r1,r2"), ("q", "(giá xăng) AND \"tăng giá\""), ("source", "vnexpress")]);
    }
}
