//! How many items each rule flagged, for every rule at once: one pass over the `rule` fast field
//! (and the fetch time) of the items that carry any rule, instead of one query per rule.
//! The rules review lists thousands of rules; a query each made the page slow.

use std::collections::HashMap;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::{Column, StrColumn};
use tantivy::query::ExistsQuery;
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader};

use crate::{Result, SearchIndex};

/// Items one rule flagged, as the index holds them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RuleHits {
    /// Items.
    pub total: u64,
    /// Items fetched at or after the `since` given to [`SearchIndex::rule_hits`].
    pub recent: u64,
    /// When the latest of them was fetched, and so flagged (Unix milliseconds). Not when it was
    /// published: a rule that flags an old article today is firing today.
    pub latest_ms: i64,
}

impl RuleHits {
    fn add(&mut self, other: &RuleHits) {
        self.total += other.total;
        self.recent += other.recent;
        self.latest_ms = self.latest_ms.max(other.latest_ms);
    }
}

impl SearchIndex {
    /// Rule id → the items it flagged, over the whole index; `recent` counts items fetched at or
    /// after `since_ms`.
    pub fn rule_hits(&self, since_ms: i64) -> Result<HashMap<String, RuleHits>> {
        let query = ExistsQuery::new("rule".to_string(), false);
        Ok(self.reader.searcher().search(&query, &RuleHitsCollector { since_ms })?)
    }
}

struct RuleHitsCollector {
    since_ms: i64,
}

struct RuleHitsSegment {
    since_ms: i64,
    rules: Option<StrColumn>,
    fetched: Column<tantivy::DateTime>,
    /// By the segment's rule ordinal.
    counts: Vec<RuleHits>,
}

impl Collector for RuleHitsCollector {
    type Fruit = HashMap<String, RuleHits>;
    type Child = RuleHitsSegment;

    fn for_segment(&self, _: SegmentOrdinal, segment: &SegmentReader) -> tantivy::Result<RuleHitsSegment> {
        let fast = segment.fast_fields();
        let rules = fast.str("rule")?;
        let counts = vec![RuleHits::default(); rules.as_ref().map_or(0, |c| c.num_terms())];
        Ok(RuleHitsSegment { since_ms: self.since_ms, rules, fetched: fast.date("fetched")?, counts })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, segments: Vec<HashMap<String, RuleHits>>) -> tantivy::Result<Self::Fruit> {
        let mut all: HashMap<String, RuleHits> = HashMap::new();
        for (rule, hits) in segments.into_iter().flatten() {
            all.entry(rule).or_default().add(&hits);
        }
        Ok(all)
    }
}

impl SegmentCollector for RuleHitsSegment {
    type Fruit = HashMap<String, RuleHits>;

    fn collect(&mut self, doc: DocId, _: Score) {
        let Some(rules) = &self.rules else { return };
        let ms = self.fetched.first(doc).map(|d| d.into_timestamp_millis()).unwrap_or_default();
        let one = RuleHits { total: 1, recent: u64::from(ms >= self.since_ms), latest_ms: ms };
        for ord in rules.ords().values_for_doc(doc) {
            if let Some(hits) = self.counts.get_mut(ord as usize) {
                hits.add(&one);
            }
        }
    }

    fn harvest(self) -> Self::Fruit {
        let Some(rules) = &self.rules else { return HashMap::new() };
        self.counts
            .iter()
            .enumerate()
            .filter(|(_, h)| h.total > 0)
            .map(|(ord, hits)| {
                let mut name = String::new();
                // A dictionary that cannot be read yields an empty name rather than failing.
                let _ = rules.ord_to_str(ord as u64, &mut name);
                (name, *hits)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};
    use duluan_model::{Flag, Item, Severity};

    fn item(id: &str, day: u32, rules: &[&str]) -> Item {
        let flag = |rule: &&str| Flag {
            rule: (*rule).into(),
            severity: Severity::Low,
            alert: true,
            route: None,
            tags: vec![],
            spans: vec![],
            claim: None,
        };
        Item { flags: rules.iter().map(flag).collect(), ..crate::tests::item(id, "tin", "nội dung", "s", day) }
    }

    #[test]
    fn every_rule_counted_in_one_pass_as_a_query_per_rule_counts() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (index, _) = SearchIndex::open(&dir.path().join("index")).expect("open");
        let mut w = index.writer(20_000_000).expect("writer");
        w.upsert(&item("a", 1, &["fire", "flood"])).expect("add");
        w.upsert(&item("b", 10, &["fire"])).expect("add");
        w.commit(1).expect("commit");
        // A second segment, an item with no rule, and one rewritten without its rule.
        w.upsert(&item("c", 20, &["fire", "claim:c1"])).expect("add");
        w.upsert(&item("d", 21, &[])).expect("add");
        w.upsert(&item("a", 1, &["flood"])).expect("replace");
        // An article of 2021 flagged today fired today.
        let old = Utc.with_ymd_and_hms(2021, 6, 1, 8, 0, 0).single().expect("date");
        w.upsert(&Item { published_at: Some(old), ..item("e", 25, &["old-news"]) }).expect("add");
        w.commit(2).expect("commit");

        let since = Utc.with_ymd_and_hms(2026, 11, 10, 0, 0, 0).single().expect("date").timestamp_millis();
        let hits = index.rule_hits(since).expect("counts");
        let day = |d: u32| Utc.with_ymd_and_hms(2026, 11, d, 8, 0, 0).single().expect("date").timestamp_millis();
        assert_eq!(hits["fire"], RuleHits { total: 2, recent: 2, latest_ms: day(20) });
        assert_eq!(hits["flood"], RuleHits { total: 1, recent: 0, latest_ms: day(1) });
        assert_eq!(hits["claim:c1"], RuleHits { total: 1, recent: 1, latest_ms: day(20) });
        assert_eq!(hits["old-news"], RuleHits { total: 1, recent: 1, latest_ms: day(25) });
        assert_eq!(hits.len(), 4);
        for (rule, counted) in &hits {
            let q = crate::Query { rules: vec![rule.clone()], ..crate::Query::default() };
            assert_eq!(index.daily(&q, 0).expect("daily").total, counted.total, "{rule}");
        }
    }
}
