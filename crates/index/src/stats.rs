//! Aggregates for trend reports: one pass over the fast fields of every matching item gives the
//! daily volume and sentiment, the sources, languages and stories; a second, sampled pass reads
//! the stored title and lead for term statistics.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use tantivy::collector::{Collector, DocSetCollector, SegmentCollector};
use tantivy::columnar::{Column, StrColumn};
use tantivy::schema::Value;
use tantivy::{DocAddress, DocId, Score, SegmentOrdinal, SegmentReader, TantivyDocument};

use crate::search::check_length;
use crate::{Query, Result, SearchIndex};

const MILLIS_PER_DAY: i64 = 86_400_000;

/// Items of one local day.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct DayCounts {
    /// Items published that day.
    pub items: u64,
    /// Of them, labelled negative.
    pub negative: u64,
    /// Labelled neutral.
    pub neutral: u64,
    /// Labelled positive.
    pub positive: u64,
    /// Sum of sentiment scores (for the mean).
    pub score_sum: f64,
}

impl DayCounts {
    fn add(&mut self, other: &DayCounts) {
        self.items += other.items;
        self.negative += other.negative;
        self.neutral += other.neutral;
        self.positive += other.positive;
        self.score_sum += other.score_sum;
    }
}

/// A story's items within the scanned range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct StoryCount {
    /// Items.
    pub items: u64,
    /// Earliest publication (Unix milliseconds).
    pub first_ms: i64,
    /// Latest publication (Unix milliseconds).
    pub last_ms: i64,
}

impl StoryCount {
    fn merge(&mut self, other: &StoryCount) {
        self.items += other.items;
        self.first_ms = self.first_ms.min(other.first_ms);
        self.last_ms = self.last_ms.max(other.last_ms);
    }
}

/// Counts over every item a query matches.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Aggregate {
    /// Matching items.
    pub total: u64,
    /// Local day (days since 1970-01-01 in the requested UTC offset) → counts.
    pub days: BTreeMap<i64, DayCounts>,
    /// Source id → items.
    pub sources: HashMap<String, u64>,
    /// Language → items.
    pub langs: HashMap<String, u64>,
    /// Story id → items and time span: the [`STORIES_PER_SEGMENT`] largest stories of each
    /// index segment (exact counts for any story that is among them in every segment holding it;
    /// enough for "top stories" lists, which are all that use them).
    pub stories: HashMap<String, StoryCount>,
}

/// The stored opening of one matching item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SampleText {
    /// Title.
    pub title: String,
    /// First few hundred characters of the text.
    pub lead: String,
    /// Language.
    pub lang: String,
    /// Sentiment label (`negative`, `neutral`, `positive`).
    pub sentiment: String,
    /// Published (Unix milliseconds).
    pub published_ms: i64,
}

/// Texts of a sample of the matching items, and how many matched in all.
#[derive(Debug, Clone, Default)]
pub struct Sample {
    /// Items matching the query.
    pub matched: usize,
    /// The sampled items' texts (all of them when `matched` ≤ the requested size).
    pub texts: Vec<SampleText>,
}

impl SearchIndex {
    /// Aggregate every item `q` matches (its text and filters; paging, sort and facets are
    /// ignored). Days are counted in the time zone `utc_offset_secs` east of UTC.
    pub fn aggregate(&self, q: &Query, utc_offset_secs: i32) -> Result<Aggregate> {
        check_length(q)?;
        let query = self.build_query(q)?;
        let collector = AggregateCollector { offset_ms: i64::from(utc_offset_secs) * 1000, detail: true };
        Ok(self.reader.searcher().search(&query, &collector)?)
    }

    /// Like [`SearchIndex::aggregate`], but only the total and the days (sources, languages and
    /// stories are left empty), which is cheaper over long ranges.
    pub fn daily(&self, q: &Query, utc_offset_secs: i32) -> Result<Aggregate> {
        check_length(q)?;
        let query = self.build_query(q)?;
        let collector = AggregateCollector { offset_ms: i64::from(utc_offset_secs) * 1000, detail: false };
        Ok(self.reader.searcher().search(&query, &collector)?)
    }

    /// Up to `max` items `q` matches, spread evenly over the matches (in index order, which
    /// follows ingestion), with their stored title and lead.
    pub fn sample(&self, q: &Query, max: usize) -> Result<Sample> {
        check_length(q)?;
        let query = self.build_query(q)?;
        let searcher = self.reader.searcher();
        let mut addresses: Vec<DocAddress> = searcher.search(&query, &DocSetCollector)?.into_iter().collect();
        addresses.sort_unstable();
        let matched = addresses.len();
        let picked = spread(&addresses, max);
        let f = &self.fields;
        let mut texts = Vec::with_capacity(picked.len());
        for address in picked {
            let doc: TantivyDocument = searcher.doc(address)?;
            let text = |field| doc.get_first(field).and_then(|v| v.as_str()).unwrap_or_default().to_string();
            texts.push(SampleText {
                title: text(f.title_exact),
                lead: text(f.lead),
                lang: text(f.lang),
                sentiment: text(f.sentiment),
                published_ms: doc
                    .get_first(f.published)
                    .and_then(|v| v.as_datetime())
                    .map(|d| d.into_timestamp_millis())
                    .unwrap_or_default(),
            });
        }
        Ok(Sample { matched, texts })
    }
}

/// A story as the index knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorySummary {
    /// Title of its earliest item.
    pub title: String,
    /// URL of its earliest item.
    pub url: String,
    /// Distinct sources among its first `max_items` items.
    pub sources: usize,
}

impl SearchIndex {
    /// Title, URL and sources of a story (its earliest `max_items` items are read).
    pub fn story_summary(&self, story: &str, max_items: usize) -> Result<Option<StorySummary>> {
        let searcher = self.reader.searcher();
        let query = tantivy::query::TermQuery::new(
            tantivy::Term::from_field_text(self.fields.story, story),
            tantivy::schema::IndexRecordOption::Basic,
        );
        let top = tantivy::collector::TopDocs::with_limit(max_items.max(1))
            .order_by_fast_field::<tantivy::DateTime>("published", tantivy::Order::Asc);
        let mut summary: Option<StorySummary> = None;
        let mut sources = std::collections::HashSet::new();
        for (_, address) in searcher.search(&query, &top)? {
            let doc: TantivyDocument = searcher.doc(address)?;
            let text = |field| doc.get_first(field).and_then(|v| v.as_str()).unwrap_or_default().to_string();
            sources.insert(text(self.fields.source));
            if summary.is_none() {
                summary =
                    Some(StorySummary { title: text(self.fields.title_exact), url: text(self.fields.url), sources: 0 });
            }
        }
        Ok(summary.map(|s| StorySummary { sources: sources.len(), ..s }))
    }
}

/// `max` elements taken at even steps through `all` (all of them when there are few enough).
fn spread<T: Copy>(all: &[T], max: usize) -> Vec<T> {
    if all.len() <= max {
        return all.to_vec();
    }
    (0..max).map(|i| all[i * all.len() / max]).collect()
}

struct AggregateCollector {
    offset_ms: i64,
    detail: bool,
}

/// Totals and days (as [`SearchIndex::daily`]) of a prepared query in a given snapshot.
pub(crate) fn daily_counts(
    searcher: &tantivy::Searcher,
    query: &dyn tantivy::query::Query,
    utc_offset_secs: i32,
) -> Result<Aggregate> {
    let collector = AggregateCollector { offset_ms: i64::from(utc_offset_secs) * 1000, detail: false };
    Ok(searcher.search(query, &collector)?)
}

/// What a segment counted, by the segment's own term ordinals.
struct SegmentAggregate {
    total: u64,
    days: BTreeMap<i64, DayCounts>,
    sources: HashMap<String, u64>,
    langs: HashMap<String, u64>,
    stories: HashMap<String, StoryCount>,
}

struct AggregateSegment {
    offset_ms: i64,
    published: Column<tantivy::DateTime>,
    score: Column<f64>,
    /// Sentiment ordinal → 0 negative, 1 neutral, 2 positive.
    labels: Vec<u8>,
    sentiment: Option<StrColumn>,
    /// Columns read only for a detailed aggregate.
    source: Option<StrColumn>,
    lang: Option<StrColumn>,
    story: Option<StrColumn>,
    total: u64,
    days: BTreeMap<i64, DayCounts>,
    /// Items arrive roughly in time order: the current day is counted here and moved into
    /// `days` when another day comes.
    day: Option<(i64, DayCounts)>,
    /// Counts by term ordinal (dense: ordinals run from 0 to the dictionary size).
    source_counts: Vec<u64>,
    lang_counts: Vec<u64>,
    story_counts: Vec<StoryCount>,
}

impl AggregateSegment {
    fn flush_day(&mut self) {
        if let Some((day, counts)) = self.day.take() {
            self.days.entry(day).or_default().add(&counts);
        }
    }
}

/// Stories kept per index segment in [`Aggregate::stories`], largest first.
pub const STORIES_PER_SEGMENT: usize = 2000;

const NO_STORY: StoryCount = StoryCount { items: 0, first_ms: i64::MAX, last_ms: i64::MIN };

impl Collector for AggregateCollector {
    type Fruit = Aggregate;
    type Child = AggregateSegment;

    fn for_segment(&self, _: SegmentOrdinal, segment: &SegmentReader) -> tantivy::Result<AggregateSegment> {
        let fast = segment.fast_fields();
        let sentiment = fast.str("sentiment")?;
        let labels = match &sentiment {
            Some(column) => (0..column.num_terms() as u64).map(|ord| label_code(&term(column, ord))).collect(),
            None => Vec::new(),
        };
        let column =
            |name: &str| -> tantivy::Result<Option<StrColumn>> { if self.detail { fast.str(name) } else { Ok(None) } };
        let (source, lang, story) = (column("source")?, column("lang")?, column("story")?);
        let size = |c: &Option<StrColumn>| c.as_ref().map_or(0, |c| c.num_terms());
        Ok(AggregateSegment {
            offset_ms: self.offset_ms,
            published: fast.date("published")?,
            score: fast.f64("sentiment_score")?,
            labels,
            sentiment,
            source_counts: vec![0; size(&source)],
            lang_counts: vec![0; size(&lang)],
            story_counts: vec![NO_STORY; size(&story)],
            source,
            lang,
            story,
            total: 0,
            days: BTreeMap::new(),
            day: None,
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, segments: Vec<SegmentAggregate>) -> tantivy::Result<Aggregate> {
        let mut all = Aggregate::default();
        for segment in segments {
            all.total += segment.total;
            for (day, counts) in segment.days {
                all.days.entry(day).or_default().add(&counts);
            }
            for (source, n) in segment.sources {
                *all.sources.entry(source).or_default() += n;
            }
            for (lang, n) in segment.langs {
                *all.langs.entry(lang).or_default() += n;
            }
            for (story, count) in segment.stories {
                all.stories.entry(story).and_modify(|c| c.merge(&count)).or_insert(count);
            }
        }
        Ok(all)
    }
}

fn term(column: &StrColumn, ord: u64) -> String {
    let mut out = String::new();
    // A dictionary that cannot be read yields an empty name rather than failing the report.
    let _ = column.ord_to_str(ord, &mut out);
    out
}

fn label_code(label: &str) -> u8 {
    match label {
        "negative" => 0,
        "positive" => 2,
        _ => 1,
    }
}

fn first_ord(column: &Option<StrColumn>, doc: DocId) -> Option<u64> {
    column.as_ref().and_then(|c| c.ords().first(doc))
}

impl SegmentCollector for AggregateSegment {
    type Fruit = SegmentAggregate;

    fn collect(&mut self, doc: DocId, _: Score) {
        self.total += 1;
        let ms = self.published.first(doc).map(|d| d.into_timestamp_millis()).unwrap_or_default();
        let day = (ms + self.offset_ms).div_euclid(MILLIS_PER_DAY);
        if self.day.as_ref().is_none_or(|(d, _)| *d != day) {
            self.flush_day();
            self.day = Some((day, DayCounts::default()));
        }
        let label = first_ord(&self.sentiment, doc).and_then(|o| self.labels.get(o as usize).copied()).unwrap_or(1);
        let score = self.score.first(doc).unwrap_or_default();
        if let Some((_, counts)) = self.day.as_mut() {
            counts.items += 1;
            counts.score_sum += score;
            match label {
                0 => counts.negative += 1,
                2 => counts.positive += 1,
                _ => counts.neutral += 1,
            }
        }
        if let Some(n) = first_ord(&self.source, doc).and_then(|o| self.source_counts.get_mut(o as usize)) {
            *n += 1;
        }
        if let Some(n) = first_ord(&self.lang, doc).and_then(|o| self.lang_counts.get_mut(o as usize)) {
            *n += 1;
        }
        if let Some(s) = first_ord(&self.story, doc).and_then(|o| self.story_counts.get_mut(o as usize)) {
            s.merge(&StoryCount { items: 1, first_ms: ms, last_ms: ms });
        }
    }

    fn harvest(mut self) -> SegmentAggregate {
        self.flush_day();
        let named = |column: &Option<StrColumn>, counts: &[u64]| -> HashMap<String, u64> {
            let Some(c) = column else { return HashMap::new() };
            counts.iter().enumerate().filter(|(_, n)| **n > 0).map(|(ord, n)| (term(c, ord as u64), *n)).collect()
        };
        let stories = match &self.story {
            Some(c) => {
                let mut found: Vec<(usize, StoryCount)> =
                    self.story_counts.iter().copied().enumerate().filter(|(_, s)| s.items > 0).collect();
                // Naming a story reads the term dictionary, the costly part at a million items:
                // only the largest stories of each segment are named.
                if found.len() > STORIES_PER_SEGMENT {
                    found.select_nth_unstable_by(STORIES_PER_SEGMENT, |a, b| b.1.items.cmp(&a.1.items));
                    found.truncate(STORIES_PER_SEGMENT);
                }
                found.into_iter().map(|(ord, s)| (term(c, ord as u64), s)).collect()
            }
            None => HashMap::new(),
        };
        SegmentAggregate {
            total: self.total,
            sources: named(&self.source, &self.source_counts),
            langs: named(&self.lang, &self.lang_counts),
            days: self.days,
            stories,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spread_takes_even_steps() {
        let all: Vec<u32> = (0..10).collect();
        assert_eq!(spread(&all, 20), all);
        assert_eq!(spread(&all, 5), vec![0, 2, 4, 6, 8]);
        assert_eq!(spread(&all, 0), Vec::<u32>::new());
    }
}
