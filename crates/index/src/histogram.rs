//! Coverage over time: how many items a query matched per day, week or month, next to how many
//! items the collection held in the same buckets (the same filters without the words), so a
//! chart can show volume and share of coverage, and several queries can be compared on one axis.

use std::collections::BTreeMap;

use chrono::{Datelike, Months, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::search::check_length;
use crate::stats::daily_counts;
use crate::syntax;
use crate::{Query, Result, SearchIndex};

/// Width of a histogram bucket.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Interval {
    /// Calendar days.
    #[default]
    Day,
    /// Weeks starting on Monday.
    Week,
    /// Calendar months.
    Month,
}

/// One bucket of a histogram.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Bucket {
    /// First local day of the bucket.
    pub start: NaiveDate,
    /// Items the query matched.
    pub items: u64,
    /// Items of the collection the query was measured against.
    pub all: u64,
}

impl Bucket {
    /// Matching items as a share of the collection (0 when the bucket is empty).
    pub fn share(&self) -> f64 {
        if self.all == 0 { 0.0 } else { self.items as f64 / self.all as f64 }
    }
}

/// Longest run of buckets filled with zeros between the first and last: beyond it (an item dated
/// 1970 by a broken page, say) only buckets holding items are returned.
const MAX_FILLED_BUCKETS: usize = 5000;

/// 1970-01-01 in days from 0001-01-01 (chrono's day count).
const UNIX_EPOCH_CE_DAYS: i64 = 719_163;

impl SearchIndex {
    /// Items matching `q` (its words and filters) and items of its collection (its filters
    /// only: the request's, plus the query's top-level `source:`, `date:`, ... clauses), per
    /// bucket of local time `utc_offset_secs` east of UTC. Buckets run from the collection's
    /// first to its last, empty ones included.
    pub fn histogram(&self, q: &Query, interval: Interval, utc_offset_secs: i32) -> Result<Vec<Bucket>> {
        check_length(q)?;
        let expr = syntax::parse(q.text.trim(), Utc::now())?;
        let base = expr.filters_only();
        let searcher = self.reader.searcher();
        let matched = daily_counts(&searcher, self.build(&expr, q)?.as_ref(), utc_offset_secs)?;
        let all = if base == expr {
            matched.clone()
        } else {
            daily_counts(&searcher, self.build(&base, q)?.as_ref(), utc_offset_secs)?
        };
        let mut buckets: BTreeMap<NaiveDate, Bucket> = BTreeMap::new();
        let mut add = |day: i64, n: u64, into_items: bool| {
            let Some(start) = bucket_start(day, interval) else { return };
            let b = buckets.entry(start).or_insert(Bucket { start, items: 0, all: 0 });
            if into_items { b.items += n } else { b.all += n }
        };
        for (&day, counts) in &all.days {
            add(day, counts.items, false);
        }
        for (&day, counts) in &matched.days {
            add(day, counts.items, true);
        }
        Ok(fill(buckets, interval))
    }
}

fn bucket_start(day: i64, interval: Interval) -> Option<NaiveDate> {
    let date = NaiveDate::from_num_days_from_ce_opt(i32::try_from(day + UNIX_EPOCH_CE_DAYS).ok()?)?;
    Some(match interval {
        Interval::Day => date,
        Interval::Week => date - chrono::Duration::days(i64::from(date.weekday().num_days_from_monday())),
        Interval::Month => date.with_day(1)?,
    })
}

fn next_start(start: NaiveDate, interval: Interval) -> Option<NaiveDate> {
    match interval {
        Interval::Day => start.succ_opt(),
        Interval::Week => start.checked_add_days(chrono::Days::new(7)),
        Interval::Month => start.checked_add_months(Months::new(1)),
    }
}

/// The buckets in order with the empty ones between them added.
fn fill(buckets: BTreeMap<NaiveDate, Bucket>, interval: Interval) -> Vec<Bucket> {
    let (Some(&first), Some(&last)) = (buckets.keys().next(), buckets.keys().next_back()) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut at = Some(first);
    while let Some(start) = at.filter(|s| *s <= last) {
        if out.len() > MAX_FILLED_BUCKETS {
            return buckets.into_values().collect();
        }
        out.push(buckets.get(&start).copied().unwrap_or(Bucket { start, items: 0, all: 0 }));
        at = next_start(start, interval);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> i64 {
        NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .signed_duration_since(NaiveDate::from_ymd_opt(1970, 1, 1).unwrap())
            .num_days()
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn buckets_start_on_the_day_the_monday_and_the_first() {
        // 2021-12-24 was a Friday.
        assert_eq!(bucket_start(day(2021, 12, 24), Interval::Day), Some(date(2021, 12, 24)));
        assert_eq!(bucket_start(day(2021, 12, 24), Interval::Week), Some(date(2021, 12, 20)));
        assert_eq!(bucket_start(day(2021, 12, 20), Interval::Week), Some(date(2021, 12, 20)));
        assert_eq!(bucket_start(day(2021, 12, 19), Interval::Week), Some(date(2021, 12, 13)));
        assert_eq!(bucket_start(day(2021, 12, 24), Interval::Month), Some(date(2021, 12, 1)));
        assert_eq!(bucket_start(day(1969, 12, 31), Interval::Day), Some(date(1969, 12, 31)));
    }

    #[test]
    fn gaps_are_filled_with_empty_buckets() {
        let b = |start, items, all| (start, Bucket { start, items, all });
        let buckets = BTreeMap::from([b(date(2021, 11, 1), 2, 5), b(date(2022, 1, 1), 1, 1)]);
        let filled = fill(buckets, Interval::Month);
        let starts: Vec<_> = filled.iter().map(|b| (b.start, b.items, b.all)).collect();
        assert_eq!(starts, [(date(2021, 11, 1), 2, 5), (date(2021, 12, 1), 0, 0), (date(2022, 1, 1), 1, 1)]);
        assert_eq!(filled[0].share(), 0.4);
        assert_eq!(filled[1].share(), 0.0);
        let far = BTreeMap::from([b(date(1970, 1, 1), 1, 1), b(date(2021, 1, 1), 1, 1)]);
        assert_eq!(fill(far, Interval::Day).len(), 2, "a bogus date does not make 18,000 buckets");
    }
}
