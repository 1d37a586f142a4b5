//! The query language against a small hand-made corpus: which items each construct finds, with
//! and without diacritics; facets and histograms against counts worked out by hand; story
//! collapse; cursors that stay stable while items are added; exports.

mod common;

use common::{december, flag, index_of, item};
use duluan_index::{Error, Interval, Query, SearchIndex, Sort};
use duluan_model::{Item, Label, Sentiment, Severity};

fn corpus() -> Vec<Item> {
    let negative = Sentiment { score: -0.6, label: Label::Negative, terms: vec![] };
    let mut a = item("a", "Dân đổ xô mua khẩu trang", "Giá khẩu trang tăng mạnh tại Hà Nội.", "vnexpress", 1);
    a.sentiment = negative.clone();
    let b = item("b", "Khau trang het hang", "nghe noi khau trang het roi", "forum", 2);
    let c = item("c", "Bé bị sốt cao", "Bệnh viện tiếp nhận bé sốt cao.", "vnexpress", 3);
    let d = item("d", "Sót thuốc trong kho", "Kho thuốc bị sót lại.", "tuoitre", 3);
    let mut e = item("e", "Vắc xin cho trẻ em", "Tiêm vắc xin mũi hai cho học sinh.", "tuoitre", 10);
    e.story_id = "s1".into();
    e.sentiment = Sentiment { score: 0.5, label: Label::Positive, terms: vec![] };
    flag(&mut e, "vaccine", Severity::High);
    let mut f = item("f", "Tiêm vắc-xin mũi hai", "Học sinh tiêm vắc xin.", "thanhnien", 11);
    f.story_id = "s1".into();
    flag(&mut f, "vaccine", Severity::High);
    let mut g = item("g", "Vaccine rollout in Hanoi", "The vaccine campaign continues.", "vnexpress-en", 11);
    g.lang = "en".into();
    let mut h = item("h", "Lũ lớn ở miền Trung", "Mưa lũ gây ngập nặng.", "vnexpress", 20);
    h.region = Some("mien-trung".into());
    h.sentiment = negative.clone();
    flag(&mut h, "flood", Severity::Medium);
    let mut i = item("i", "Ngập lụt ở Huế", "lũ về, nhiều nhà bị ngập", "forum", 27);
    i.sentiment = negative;
    vec![a, b, c, d, e, f, g, h, i]
}

fn ids(index: &SearchIndex, text: &str) -> String {
    let q = Query { text: text.into(), limit: 100, ..Query::default() };
    let mut ids: Vec<String> =
        index.search(&q).unwrap_or_else(|e| panic!("{text}: {e}")).hits.into_iter().map(|h| h.id).collect();
    ids.sort();
    ids.join(",")
}

#[test]
fn every_construct_finds_what_it_says() {
    let index = index_of(&corpus());
    let cases = [
        // Folding: without diacritics matches both spellings; with them, only the exact one.
        ("khau trang", "a,b"),
        ("\"khau trang\"", "a,b"),
        ("\"khẩu trang\"", "a"),
        ("khẩu trang", "a"),
        ("sốt", "c"),
        ("sót", "d"),
        ("sot", "c,d"),
        ("hà nội", "a"),
        ("ha noi", "a"),
        ("Hà noi", "a"),
        // Phrases, multi-syllable words, wildcards, scopes.
        ("vắc xin", "e,f"),
        ("\"vắc xin\"", "e,f"),
        ("vắc-xin", "e,f"),
        ("\"xin vắc\"", ""),
        ("vắc*", "e,f"),
        ("vac*", "e,f,g"),
        ("\"tiêm vắc\"*", "e,f"),
        ("title:vắc", "e,f"),
        ("text:mũi", "e"),
        ("title:(lũ OR lụt)", "h,i"),
        // Boolean operators in English and Vietnamese.
        ("vaccine OR lũ", "g,h,i"),
        ("vaccine HOẶC lũ", "g,h,i"),
        ("vaccine || lũ", "g,h,i"),
        ("lũ AND ngập", "h,i"),
        ("lũ VÀ miền", "h"),
        ("lũ NOT source:forum", "h"),
        ("lũ KHÔNG source:forum", "h"),
        ("lũ -source:forum", "h"),
        ("tiêm -title:mũi", "e"),
        ("(sốt OR sót) source:vnexpress", "c"),
        ("(sot OR lu) -(sot source:tuoitre)", "c,h,i"),
        // Only exclusions: everything else.
        ("-source:vnexpress", "b,d,e,f,g,i"),
        // Filters.
        ("source:tuoitre", "d,e"),
        ("source:(forum OR tuoitre)", "b,d,e,i"),
        ("lang:en", "g"),
        ("lang:EN", "g"),
        ("sentiment:negative", "a,h,i"),
        ("sentiment:tieu-cuc", "a,h,i"),
        ("sentiment:positive", "e"),
        ("rule:vaccine", "e,f"),
        ("severity:high", "e,f"),
        ("severity:medium", "h"),
        ("story:s1", "e,f"),
        ("region:mien-trung", "h"),
        ("tag:news", "a,b,c,d,e,f,g,h,i"),
        // Dates are Vietnam days.
        ("date:2021-12-03", "c,d"),
        ("date:03/12/2021", "c,d"),
        ("date:2021-12-10..2021-12-11", "e,f,g"),
        ("date:..2021-12-02", "a,b"),
        ("date:20/12/2021..", "h,i"),
        ("date:2021-11", ""),
        ("date:2021-12", "a,b,c,d,e,f,g,h,i"),
        ("lũ date:2021-12-27", "i"),
        // Punctuation-only words constrain nothing.
        ("lũ —", "h,i"),
    ];
    let mut failures = Vec::new();
    for (query, want) in cases {
        let got = ids(&index, query);
        if got != want {
            failures.push(format!("{query:?}: want [{want}], got [{got}]"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn errors_are_query_errors_with_a_position() {
    let index = index_of(&corpus());
    for (query, offset) in [("(lũ", 0), ("lũ \"ngập", 4), ("lũ foo:bar", 4), ("date:2021-13", 5)] {
        match index.search(&Query { text: query.into(), limit: 10, ..Query::default() }) {
            Err(Error::Query { offset: Some(o), message }) => {
                assert_eq!(o, offset, "{query}: {message}");
                assert!(message.starts_with("column "), "{message}");
            }
            other => panic!("{query}: {other:?}"),
        }
    }
}

#[test]
fn facets_count_what_matched() {
    let index = index_of(&corpus());
    let r = index.search(&Query { limit: 1, facets: true, ..Query::default() }).expect("search");
    assert_eq!(r.total, 9);
    let facet = |name: &str| -> Vec<(String, u64)> {
        let mut v: Vec<(String, u64)> = r
            .facets
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, f)| f.iter().map(|x| (x.value.clone(), x.count)).collect())
            .unwrap_or_default();
        v.sort();
        v
    };
    let pairs = |v: &[(&str, u64)]| v.iter().map(|(a, n)| (a.to_string(), *n)).collect::<Vec<_>>();
    assert_eq!(
        facet("source"),
        pairs(&[("forum", 2), ("thanhnien", 1), ("tuoitre", 2), ("vnexpress", 3), ("vnexpress-en", 1)])
    );
    assert_eq!(facet("lang"), pairs(&[("en", 1), ("vi", 8)]));
    assert_eq!(facet("sentiment"), pairs(&[("negative", 3), ("neutral", 5), ("positive", 1)]));
    assert_eq!(facet("rule"), pairs(&[("flood", 1), ("vaccine", 2)]));
    let days: Vec<(u32, u64)> =
        r.histogram.iter().filter(|(_, n)| *n > 0).map(|(day, n)| (chrono::Datelike::day(day), *n)).collect();
    assert_eq!(days, [(1, 1), (2, 1), (3, 2), (10, 1), (11, 2), (20, 1), (27, 1)]);

    let lu = index.search(&Query { text: "lu".into(), limit: 1, facets: true, ..Query::default() }).expect("search");
    assert_eq!(lu.total, 2, "lũ and lụt: h, i");
}

fn buckets(index: &SearchIndex, text: &str, interval: Interval) -> Vec<(String, u64, u64)> {
    let q = Query { text: text.into(), ..Query::default() };
    index
        .histogram(&q, interval, 7 * 3600)
        .expect("histogram")
        .into_iter()
        .map(|b| (b.start.to_string(), b.items, b.all))
        .collect()
}

#[test]
fn histograms_count_matches_and_their_collection_per_bucket() {
    let index = index_of(&corpus());
    let t = |s: &str, items, all| (s.to_string(), items, all);
    // Weeks start on Monday; 2021-12-01 was a Wednesday.
    assert_eq!(
        buckets(&index, "lũ", Interval::Week),
        [
            t("2021-11-29", 0, 4),
            t("2021-12-06", 0, 3),
            t("2021-12-13", 0, 0),
            t("2021-12-20", 1, 1),
            t("2021-12-27", 1, 1)
        ]
    );
    // A source filter in the query limits the collection too: the share is within vnexpress.
    assert_eq!(
        buckets(&index, "lũ source:vnexpress", Interval::Week),
        [t("2021-11-29", 0, 2), t("2021-12-06", 0, 0), t("2021-12-13", 0, 0), t("2021-12-20", 1, 1)]
    );
    assert_eq!(buckets(&index, "vắc xin", Interval::Month), [t("2021-12-01", 2, 9)]);
    let days = buckets(&index, "", Interval::Day);
    assert_eq!(days.len(), 27, "1 to 27 December, empty days included");
    assert_eq!(days[2], t("2021-12-03", 2, 2));
    assert_eq!(days[3], t("2021-12-04", 0, 0));
    assert_eq!(days.iter().map(|b| b.1).sum::<u64>(), 9);
    // Request filters apply to both counts.
    let q = Query { text: "lũ".into(), sources: vec!["forum".into()], ..Query::default() };
    let forum: Vec<(String, u64, u64)> = index
        .histogram(&q, Interval::Month, 7 * 3600)
        .expect("histogram")
        .into_iter()
        .map(|b| (b.start.to_string(), b.items, b.all))
        .collect();
    assert_eq!(forum, [t("2021-12-01", 1, 2)]);
}

#[test]
fn collapse_shows_one_row_per_story_with_its_similar_count() {
    let index = index_of(&corpus());
    let q = Query { text: "vắc xin OR vaccine".into(), limit: 10, collapse: true, ..Query::default() };
    let r = index.search(&q).expect("search");
    assert_eq!(r.total, 3, "the total counts items");
    let rows: Vec<(String, u64)> = r.hits.iter().map(|h| (h.story.clone(), h.similar)).collect();
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert!(rows.contains(&("s1".to_string(), 1)), "{rows:?}");
    assert!(rows.contains(&("g".to_string(), 0)), "{rows:?}");
    let page2 = index.search(&Query { offset: 1, limit: 1, ..q.clone() }).expect("search");
    assert_eq!(page2.hits.len(), 1);
    assert!(page2.next.is_none());
    assert_ne!(page2.hits[0].story, r.hits[0].story, "offsets count rows, not items");
}

fn numbered(n: usize, day: u32) -> Item {
    let mut it = item(&format!("n{n:03}"), &format!("Bản tin số {n}"), "tin tức trong ngày", "wire", day);
    it.published_at = Some(december(day) + chrono::Duration::minutes(n as i64));
    it
}

#[test]
fn cursors_keep_their_snapshot_while_items_arrive() {
    let items: Vec<Item> = (0..30).map(|n| numbered(n, 5)).collect();
    let index = index_of(&items);
    let q = Query { text: "tin tức".into(), sort: Sort::Date, limit: 10, ..Query::default() };
    let first = index.search(&q).expect("search");
    let page = |r: &duluan_index::SearchResults| r.hits.iter().map(|h| h.id.clone()).collect::<Vec<_>>();
    assert_eq!(page(&first)[0], "n029", "newest first");
    let cursor = first.next.clone().expect("a next page");
    // Five newer items arrive between the pages.
    let mut w = index.writer(20_000_000).expect("writer");
    for n in 30..35 {
        w.upsert(&numbered(n, 6)).expect("add");
    }
    w.commit(2).expect("commit");
    let second = index.search(&Query { cursor: Some(cursor), ..q.clone() }).expect("page 2");
    let want: Vec<String> = (10..20).rev().map(|n| format!("n{n:03}")).collect();
    assert_eq!(page(&second), want, "page 2 continues page 1, not shifted by the new items");
    assert_eq!(second.total, 30, "counted in the same snapshot");
    let third = index.search(&Query { cursor: second.next.clone(), ..q.clone() }).expect("page 3");
    assert_eq!(page(&third).last().map(String::as_str), Some("n000"));
    assert!(third.next.is_none(), "the last page has no cursor");
    // A new search sees the new items.
    assert_eq!(index.search(&q).expect("search").total, 35);
    // A cursor only continues its own search.
    let other = Query { text: "bản tin".into(), cursor: first.next.clone(), ..q.clone() };
    assert!(matches!(index.search(&other), Err(Error::Query { .. })));
    let forged = Query { cursor: Some("x-1-zz".into()), ..q.clone() };
    assert!(matches!(index.search(&forged), Err(Error::Query { .. })));
    // A cursor (or offset) past the paging limit is refused, not allocated for.
    let genuine = first.next.clone().unwrap();
    let far = genuine.replacen("-10-", "-1000000000000-", 1);
    assert_ne!(far, genuine);
    assert!(matches!(index.search(&Query { cursor: Some(far), ..q.clone() }), Err(Error::Query { .. })));
    assert!(matches!(index.search(&Query { offset: 10_001, ..q }), Err(Error::Query { .. })));
}

#[test]
fn export_hands_on_every_match_and_stops_when_asked() {
    let index = index_of(&corpus());
    let mut rows = Vec::new();
    let n = index.export(&Query { text: "lũ".into(), ..Query::default() }, |r| {
        rows.push(r);
        true
    });
    assert_eq!(n.expect("export"), 2);
    rows.sort_by(|a, b| a.id.cmp(&b.id));
    assert_eq!(rows[0].id, "h");
    assert_eq!(rows[0].source, "vnexpress");
    assert_eq!(rows[0].rules, ["flood"]);
    assert_eq!(rows[0].sentiment, "negative");
    assert_eq!(rows[0].published_at, Some(december(20)));
    assert_eq!(rows[0].lead, "Mưa lũ gây ngập nặng.");
    let mut seen = 0;
    let n = index.export(&Query::default(), |_| {
        seen += 1;
        seen < 3
    });
    assert_eq!(n.expect("export"), 2, "the third row was refused: two handed on");
}
