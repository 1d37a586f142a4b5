//! Items for the index tests: a builder with plain defaults.

#![allow(dead_code)]

use chrono::{DateTime, TimeZone, Utc};
use duluan_index::SearchIndex;
use duluan_model::{Flag, Item, Label, Sentiment, Severity};

/// 08:00 Vietnam time (01:00 UTC) on a day of December 2021.
pub(crate) fn december(day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2021, 12, day, 1, 0, 0).single().expect("valid date")
}

/// An item published on `day` of December 2021 from `source`.
pub(crate) fn item(id: &str, title: &str, text: &str, source: &str, day: u32) -> Item {
    let at = december(day);
    Item {
        id: id.into(),
        url: format!("https://news.example/{id}"),
        canonical_url: format!("https://news.example/{id}"),
        source_id: source.into(),
        source_tags: vec!["news".into()],
        region: None,
        title: title.into(),
        text: text.into(),
        lang: "vi".into(),
        published_at: Some(at),
        fetched_at: at,
        content_hash: id.into(),
        simhash: 0,
        story_id: id.into(),
        sentiment: Sentiment { score: 0.0, label: Label::Neutral, terms: vec![] },
        flags: vec![],
    }
}

/// Flag `item` by `rule` at `severity`.
pub(crate) fn flag(item: &mut Item, rule: &str, severity: Severity) {
    item.flags.push(Flag {
        rule: rule.into(),
        severity,
        alert: true,
        route: None,
        tags: vec![],
        spans: vec![],
        claim: None,
    });
}

/// An in-memory index holding `items`.
pub(crate) fn index_of(items: &[Item]) -> SearchIndex {
    let index = SearchIndex::in_memory().expect("index");
    let mut w = index.writer(30_000_000).expect("writer");
    for item in items {
        w.upsert(item).expect("add");
    }
    w.commit(1).expect("commit");
    w.finish().expect("finish");
    index
}
