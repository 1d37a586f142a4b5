//! The conformance suite every [`Store`] backend must pass (quickwit's metastore-suite idea).
//!
//! Each function takes a fresh, empty store and panics with a message on the first violation.
//! Backends call [`run_all`] from their tests; SQLite runs always, PostgreSQL when
//! `DULUAN_TEST_PG_URL` is set (`.ci/run` starts a server and sets it).

use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use duluan_model::{
    AlertLabels, AlertState, AuditEvent, Field, Flag, Item, Label, NotificationState, Priority, ReasonCode, Role,
    Sentiment, Severity, SilenceMatchers, Span, Verdict,
};

use crate::{
    AlertFilter, AlertRequest, DeliveryOutcome, Error, FetchOutcome, KnownClaimsStamp, Muted, NewKnownClaim,
    NewSilence, NewUrl, PageCommit, PollRecord, Store, SystemAlert, TokenKind, UrlState,
};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 8, 0, 0).single().expect("valid fixed time")
}

/// A sample item for tests.
pub fn sample_item(id: &str, story: &str, text: &str) -> Item {
    Item {
        id: id.to_string(),
        url: format!("https://tinthanhpho.example/{id}.html"),
        canonical_url: format!("https://tinthanhpho.example/{id}.html"),
        source_id: "demo".into(),
        source_tags: vec!["news".into()],
        region: Some("quan-1".into()),
        title: format!("Tiêu đề {id}"),
        text: text.to_string(),
        lang: "vi".into(),
        published_at: Some(t0() - Duration::hours(2)),
        fetched_at: t0(),
        content_hash: duluan_model::content_hash(text),
        simhash: 0x0123_4567_89ab_cdef,
        story_id: story.to_string(),
        sentiment: Sentiment { score: -0.5, label: Label::Negative, terms: vec![] },
        flags: vec![Flag {
            rule: "r1".into(),
            severity: Severity::High,
            alert: true,
            route: None,
            tags: vec!["health".into()],
            spans: vec![Span { field: Field::Text, start: 0, end: 3, term: "abc".into() }],
            claim: None,
        }],
    }
}

fn request(rule: &str) -> AlertRequest {
    AlertRequest {
        rule: rule.into(),
        severity: Severity::High,
        team: "chung".into(),
        group_window_hours: 72,
        labels: AlertLabels {
            tags: vec!["health".into()],
            source: Some("demo".into()),
            source_tags: vec!["news".into()],
            region: Some("quan-1".into()),
            receivers: vec!["hook".into()],
        },
        renotify_hours: 24,
    }
}

/// Run every check.
pub async fn run_all(new_store: impl AsyncFn() -> Arc<dyn Store>) {
    items_round_trip_and_idempotence(new_store().await.as_ref()).await;
    grouping_one_alert_per_story(new_store().await.as_ref()).await;
    an_edited_item_does_not_page_again(new_store().await.as_ref()).await;
    outbox_orders_commits(new_store().await.as_ref()).await;
    stories_by_hash_and_simhash(new_store().await.as_ref()).await;
    frontier_seen_set_and_leases(new_store().await.as_ref()).await;
    pages_commit_item_links_and_outcome(new_store().await.as_ref()).await;
    triage_leases_and_verdicts(new_store().await.as_ref()).await;
    concurrent_claims_have_one_winner(new_store().await).await;
    accounts_tokens_sessions(new_store().await.as_ref()).await;
    audit_log_pages_and_filters(new_store().await.as_ref()).await;
    system_alerts_group_by_key(new_store().await.as_ref()).await;
    source_state_records_polls(new_store().await.as_ref()).await;
    silences_mute_and_end(new_store().await.as_ref()).await;
    saved_searches_are_shared_within_a_team(new_store().await.as_ref()).await;
    silence_ends_when_a_quiet_story_speaks(new_store().await.as_ref()).await;
    notifications_outbox(new_store().await.as_ref()).await;
    overdue_alerts_are_notified_once(new_store().await.as_ref()).await;
    assign_close_priority_and_rule_stats(new_store().await.as_ref()).await;
    report_runs_once_per_due_time(new_store().await.as_ref()).await;
    report_deliveries_are_queued_with_the_run(new_store().await.as_ref()).await;
    known_claims_by_hand_and_from_verdicts(new_store().await.as_ref()).await;
}

/// Items come back exactly as stored; storing an unchanged item is a no-op.
pub async fn items_round_trip_and_idempotence(store: &dyn Store) {
    let item = sample_item("a1", "a1", "abc tin đồn");
    let out = store.store_item(&item, &[request("r1")], t0()).await.expect("store");
    assert!(out.inserted && out.alerts_raised.len() == 1, "{out:?}");
    assert_eq!(store.item("a1").await.expect("get").as_ref(), Some(&item));
    let again = store.store_item(&item, &[request("r1")], t0()).await.expect("store again");
    assert!(!again.changed() && again.alerts_raised.is_empty() && again.alerts_joined.is_empty(), "{again:?}");
    let mut changed = item.clone();
    changed.text = "abc tin đồn, cập nhật".into();
    changed.content_hash = duluan_model::content_hash(&changed.text);
    let out = store.store_item(&changed, &[request("r1")], t0()).await.expect("update");
    assert!(out.updated && !out.inserted);
    assert!(out.alerts_joined.is_empty(), "an item joins its alert once: {out:?}");
    // Where an item comes from and its language are corrected too, its text unchanged.
    let mut corrected = changed.clone();
    corrected.lang = "en".into();
    corrected.source_tags = vec!["news".into(), "health".into()];
    let out = store.store_item(&corrected, &[request("r1")], t0()).await.expect("correct");
    assert!(out.updated, "{out:?}");
    assert_eq!(store.item("a1").await.expect("get").as_ref(), Some(&corrected));
    // The same page through another source of its site stays with the first one...
    let mut elsewhere = corrected.clone();
    elsewhere.source_id = "s2".into();
    elsewhere.source_tags = vec!["sitemap".into()];
    elsewhere.region = Some("other".into());
    let out = store.store_item(&elsewhere, &[request("r1")], t0()).await.expect("another source");
    assert!(!out.changed(), "{out:?}");
    assert_eq!(store.item("a1").await.expect("get").as_ref(), Some(&corrected));
    // ...unless its content changed there.
    elsewhere.text = "abc tin đồn, cập nhật lần hai".into();
    elsewhere.content_hash = duluan_model::content_hash(&elsewhere.text);
    let out = store.store_item(&elsewhere, &[request("r1")], t0()).await.expect("edited elsewhere");
    assert!(out.updated, "{out:?}");
    assert_eq!(store.item("a1").await.expect("get").as_ref(), Some(&elsewhere));
    let counts = store.counts().await.expect("counts");
    assert_eq!((counts.items, counts.flagged_items, counts.alerts), (1, 1, 1));
    assert!(store.item("missing").await.expect("get").is_none());
}

/// An item stored again (its page edited, or its flags changed by a rule edit) long after its
/// alert was dismissed raises no second alert; a new copy of the story still does.
pub async fn an_edited_item_does_not_page_again(store: &dyn Store) {
    let item = sample_item("e1", "story-e", "tin đồn");
    store.store_item(&item, &[request("r1")], t0()).await.expect("store");
    let id = store.alerts(&AlertFilter { limit: 1, ..AlertFilter::default() }).await.expect("list")[0].id;
    store.claim(id, "lan", t0(), t0() + Duration::minutes(30)).await.expect("claim");
    store.verdict(id, "lan", Verdict::Dismissed, ReasonCode::FalsePositive, None, t0()).await.expect("verdict");
    let later = t0() + Duration::days(10);
    let mut edited = item.clone();
    edited.text = "tin đồn, đã sửa".into();
    edited.content_hash = duluan_model::content_hash(&edited.text);
    edited.flags[0].severity = Severity::Critical;
    let out = store.store_item(&edited, &[request("r1")], later).await.expect("store edited");
    assert!(out.updated && out.alerts_raised.is_empty() && out.alerts_joined.is_empty(), "{out:?}");
    assert_eq!(store.counts().await.expect("counts").alerts, 1);
    let copy = sample_item("e2", "story-e", "tin đồn lan lại");
    let out = store.store_item(&copy, &[request("r1")], later).await.expect("store copy");
    assert_eq!(out.alerts_raised.len(), 1, "a new copy after the window pages: {out:?}");
}

/// Copies of one story join one alert per rule; another story raises its own.
pub async fn grouping_one_alert_per_story(store: &dyn Store) {
    for i in 0..30 {
        let item = sample_item(&format!("copy{i}"), "story-1", &format!("bản sao {i}"));
        store.store_item(&item, &[request("r1")], t0() + Duration::minutes(i)).await.expect("store");
    }
    let other = sample_item("other", "story-2", "khác");
    store.store_item(&other, &[request("r1"), request("r2")], t0()).await.expect("store");
    let alerts = store.alerts(&AlertFilter { limit: 100, ..AlertFilter::default() }).await.expect("list");
    assert_eq!(alerts.len(), 3, "{alerts:?}");
    let grouped = alerts.iter().find(|a| a.story == "story-1").expect("story-1 alert");
    assert_eq!(grouped.item_count, 30);
    assert_eq!(store.alert_item_ids(grouped.id).await.expect("items").len(), 30);
    let audit = store.audit(grouped.id).await.expect("audit");
    assert_eq!(audit[0].action, "raised");
    assert_eq!(audit.iter().filter(|e| e.action == "grouped").count(), 29);
    // Paging by cursor.
    let first = store.alerts(&AlertFilter { limit: 2, ..AlertFilter::default() }).await.expect("page");
    let rest = store
        .alerts(&AlertFilter { limit: 2, before_id: Some(first[1].id), ..AlertFilter::default() })
        .await
        .expect("page 2");
    assert_eq!(first.len() + rest.len(), 3);
    // Inhibition: a confirmed story does not page again, even after the window.
    let id = grouped.id;
    store.claim(id, "lan", t0(), t0() + Duration::minutes(30)).await.expect("claim");
    store.verdict(id, "lan", Verdict::Confirmed, ReasonCode::Misinformation, None, t0()).await.expect("verdict");
    let late = sample_item("late", "story-1", "muộn");
    let out = store.store_item(&late, &[request("r1")], t0() + Duration::days(30)).await.expect("store");
    assert_eq!(out.alerts_joined, vec![id]);
    assert!(out.alerts_raised.is_empty());
}

/// The outbox lists committed items in commit order and can be pruned.
pub async fn outbox_orders_commits(store: &dyn Store) {
    assert_eq!(store.outbox_head().await.expect("head"), 0);
    for i in 0..5 {
        store.store_item(&sample_item(&format!("o{i}"), "s", &format!("t{i}")), &[], t0()).await.expect("store");
    }
    let all = store.outbox_after(0, 100).await.expect("outbox");
    let ids: Vec<&str> = all.iter().map(|(_, i)| i.id.as_str()).collect();
    assert_eq!(ids, ["o0", "o1", "o2", "o3", "o4"]);
    assert!(all.windows(2).all(|w| w[0].0 < w[1].0));
    let head = store.outbox_head().await.expect("head");
    assert_eq!(head, all[4].0);
    assert_eq!(store.outbox_after(all[2].0, 100).await.expect("after").len(), 2);
    store.outbox_prune(all[2].0).await.expect("prune");
    assert_eq!(store.outbox_after(0, 100).await.expect("after prune").len(), 2);
    let page = store.items_page("", 3).await.expect("page");
    assert_eq!(page.len(), 3);
    let next = store.items_page(&page[2].id, 3).await.expect("page");
    assert_eq!(next.len(), 2);
}

/// Stories are found by exact hash and by near-duplicate SimHash.
pub async fn stories_by_hash_and_simhash(store: &dyn Store) {
    let mut item = sample_item("h1", "story-h", "nội dung gốc");
    item.simhash = 0xFFFF_0000_FFFF_0000;
    store.store_item(&item, &[], t0()).await.expect("store");
    assert_eq!(store.find_story(&item.content_hash, 1, 3).await.expect("find").as_deref(), Some("story-h"));
    let near = 0xFFFF_0000_FFFF_0000 ^ 0b101;
    assert_eq!(store.find_story("nope", near, 3).await.expect("find").as_deref(), Some("story-h"));
    let far = 0xFFFF_0000_FFFF_0000 ^ 0xF0F0;
    assert_eq!(store.find_story("nope", far, 3).await.expect("find"), None);
    assert_eq!(store.story_items("story-h", 10).await.expect("story").len(), 1);
}

/// The frontier is a seen-set; leases expire; outcomes are recorded.
pub async fn frontier_seen_set_and_leases(store: &dyn Store) {
    let urls: Vec<String> = (0..5).map(|i| format!("https://e.example/{i}")).collect();
    let mut new: Vec<NewUrl> = urls.iter().map(NewUrl::listed).collect();
    new[0].title = Some("Tiêu đề từ feed".into());
    new[0].published = Some(t0() - Duration::hours(1));
    new[1].depth = 2;
    assert_eq!(store.enqueue("src", &new, t0()).await.expect("enqueue"), 5);
    assert_eq!(store.enqueue("src", &new, t0()).await.expect("enqueue again"), 0);
    let leased = store.lease_urls("w1", t0(), t0() + Duration::minutes(5), 3).await.expect("lease");
    assert_eq!(leased.len(), 3);
    assert!(leased.iter().all(|e| e.state == UrlState::Leased && e.attempts == 1));
    let more = store.lease_urls("w2", t0(), t0() + Duration::minutes(5), 10).await.expect("lease");
    assert_eq!(more.len(), 2, "leased URLs are not handed out twice");
    let first = leased.iter().chain(&more).find(|e| e.url == urls[0]).expect("first url");
    assert_eq!(
        (first.hint_title.as_deref(), first.hint_published),
        (Some("Tiêu đề từ feed"), Some(t0() - Duration::hours(1)))
    );
    assert_eq!(leased.iter().chain(&more).find(|e| e.url == urls[1]).expect("second").depth, 2);
    let days = store.discovery_days(t0() - Duration::days(1)).await.expect("days");
    assert_eq!(days.iter().map(|d| d.count).sum::<i64>(), 5);
    let post = NewUrl { done_item: Some("post-1".into()), ..NewUrl::listed("https://social.example/p/1") };
    assert_eq!(store.enqueue("social", &[post], t0()).await.expect("enqueue post"), 1);
    assert!(
        store
            .lease_urls("w9", t0(), t0() + Duration::minutes(5), 10)
            .await
            .expect("lease")
            .iter()
            .all(|e| e.source_id != "social")
    );
    // After the lease expires, another worker may take them (a crashed worker's work resumes).
    let resumed =
        store.lease_urls("w3", t0() + Duration::minutes(6), t0() + Duration::minutes(11), 10).await.expect("lease");
    assert_eq!(resumed.len(), 5);
    store
        .finish_url(&urls[0], &FetchOutcome::Stored { item_id: "x".into(), status: Some(200) }, t0())
        .await
        .expect("finish");
    store
        .finish_url(&urls[1], &FetchOutcome::Failed { reason: "timeout".into(), status: None, retry_at: None }, t0())
        .await
        .expect("finish");
    store
        .finish_url(
            &urls[2],
            &FetchOutcome::Failed {
                reason: "503".into(),
                status: Some(503),
                retry_at: Some(t0() + Duration::minutes(1)),
            },
            t0(),
        )
        .await
        .expect("finish");
    let counts = store.frontier_counts(Some("src")).await.expect("counts");
    assert_eq!((counts.done, counts.failed, counts.queued, counts.leased), (1, 1, 1, 2));
    let failures = store.failures(10).await.expect("failures");
    assert!(failures.iter().any(|f| f.url == urls[1] && f.error.as_deref() == Some("timeout")));
}

/// A batch of fetched pages commits each page's item, links and URL outcome; links already seen
/// (earlier, or by a page before in the same batch) are not queued twice; leases come out oldest
/// first, in URL order among equals.
pub async fn pages_commit_item_links_and_outcome(store: &dyn Store) {
    let seeds: Vec<NewUrl> = (0..3).map(|i| NewUrl::listed(format!("https://e.example/{i}"))).collect();
    store.enqueue("src", &seeds, t0()).await.expect("enqueue");
    let leased = store.lease_urls("w1", t0(), t0() + Duration::minutes(5), 10).await.expect("lease");
    let order: Vec<&str> = leased.iter().map(|e| e.url.as_str()).collect();
    assert_eq!(order, ["https://e.example/0", "https://e.example/1", "https://e.example/2"]);
    let link = |n: usize| NewUrl { depth: 1, ..NewUrl::listed(format!("https://e.example/{n}")) };
    // 250 links: more than one multi-row statement.
    let many: Vec<NewUrl> = (3..253).map(link).collect();
    let pages = vec![
        PageCommit {
            url: "https://e.example/0".into(),
            outcome: FetchOutcome::Stored { item_id: "p0".into(), status: Some(200) },
            item: Some((sample_item("p0", "p0", "trang một"), vec![request("r1")])),
            source_id: "src".into(),
            links: vec![link(1), link(3), link(4)],
        },
        PageCommit {
            url: "https://e.example/1".into(),
            outcome: FetchOutcome::Skipped { reason: "not an article".into(), status: Some(200) },
            item: None,
            source_id: "src".into(),
            links: many,
        },
        PageCommit {
            url: "https://e.example/2".into(),
            outcome: FetchOutcome::Stored { item_id: "p0".into(), status: Some(200) },
            item: Some((sample_item("p0", "p0", "trang một"), vec![request("r1")])),
            source_id: "src".into(),
            links: Vec::new(),
        },
    ];
    let done = store.finish_pages(&pages, t0()).await.expect("finish pages");
    assert_eq!(done.len(), 3);
    assert!(done[0].item.inserted && done[0].item.alerts_raised.len() == 1, "{done:?}");
    assert_eq!((done[0].queued, done[1].queued, done[2].queued), (2, 248, 0));
    assert!(!done[2].item.changed(), "the same item again is unchanged: {done:?}");
    assert!(!done[1].item.changed());
    let counts = store.frontier_counts(Some("src")).await.expect("counts");
    assert_eq!((counts.done, counts.queued, counts.leased), (3, 250, 0));
    assert_eq!(store.counts().await.expect("counts").items, 1);
    assert_eq!(store.outbox_after(0, 10).await.expect("outbox").len(), 1);
    let next = store.lease_urls("w2", t0(), t0() + Duration::minutes(5), 2).await.expect("lease");
    let order: Vec<&str> = next.iter().map(|e| e.url.as_str()).collect();
    assert_eq!(order, ["https://e.example/10", "https://e.example/100"]);
    assert!(next.iter().all(|e| e.depth == 1));
    assert!(store.finish_pages(&[], t0()).await.expect("nothing").is_empty());
    // Two versions of one new item in one batch: the second updates what the first inserted, and
    // both reach the index queue, in order.
    let version = |url: &str, title: &str| PageCommit {
        url: url.into(),
        outcome: FetchOutcome::Stored { item_id: "p1".into(), status: Some(200) },
        item: Some((Item { title: title.into(), ..sample_item("p1", "p1", "nội dung") }, Vec::new())),
        source_id: "src".into(),
        links: Vec::new(),
    };
    let retry = PageCommit {
        url: "https://e.example/101".into(),
        outcome: FetchOutcome::Failed {
            reason: "HTTP 503".into(),
            status: Some(503),
            retry_at: Some(t0() + Duration::hours(1)),
        },
        item: None,
        source_id: "src".into(),
        links: Vec::new(),
    };
    let pages = [version("https://e.example/10", "bản đầu"), version("https://e.example/100", "bản sửa"), retry];
    let done = store.finish_pages(&pages, t0()).await.expect("finish pages");
    let failed = store.failures(10).await.expect("failures");
    assert!(failed.iter().any(|f| f.url.ends_with("/101") && f.error.as_deref() == Some("HTTP 503")), "{failed:?}");
    // Due again in an hour, not before.
    let soon =
        store.lease_urls("w3", t0() + Duration::minutes(59), t0() + Duration::hours(2), 500).await.expect("lease");
    assert!(!soon.iter().any(|e| e.url.ends_with("/101")));
    let later =
        store.lease_urls("w3", t0() + Duration::minutes(61), t0() + Duration::hours(2), 500).await.expect("lease");
    assert!(later.iter().any(|e| e.url.ends_with("/101")));
    assert!(done[0].item.inserted && done[1].item.updated, "{done:?}");
    assert_eq!(store.item("p1").await.expect("item").map(|i| i.title).as_deref(), Some("bản sửa"));
    let queued: Vec<String> = store.outbox_after(0, 10).await.expect("outbox").into_iter().map(|(_, i)| i.id).collect();
    assert_eq!(queued, ["p0", "p1", "p1"]);
}

/// Claims are leases; only the holder decides; expired leases return to the queue.
pub async fn triage_leases_and_verdicts(store: &dyn Store) {
    store.store_item(&sample_item("t1", "st", "x"), &[request("r1")], t0()).await.expect("store");
    let id = store.alerts(&AlertFilter { limit: 1, ..AlertFilter::default() }).await.expect("list")[0].id;
    let lease = t0() + Duration::minutes(30);
    let a = store.claim(id, "lan", t0(), lease).await.expect("claim");
    assert_eq!((a.state, a.claimed_by.as_deref()), (AlertState::Claimed, Some("lan")));
    assert!(matches!(store.claim(id, "minh", t0(), lease).await, Err(Error::Conflict(_))));
    assert!(matches!(
        store.verdict(id, "minh", Verdict::Dismissed, ReasonCode::FalsePositive, None, t0()).await,
        Err(Error::Conflict(_))
    ));
    let a = store.handoff(id, "lan", "minh", t0(), lease).await.expect("handoff");
    assert_eq!(a.claimed_by.as_deref(), Some("minh"));
    let a = store.release(id, "minh", t0()).await.expect("release");
    assert_eq!(a.state, AlertState::New);
    // A lease that ran out: another collaborator takes over; the late verdict is refused.
    store.claim(id, "lan", t0(), t0() + Duration::minutes(1)).await.expect("claim");
    let later = t0() + Duration::minutes(2);
    let b = store.claim(id, "minh", later, later + Duration::minutes(30)).await.expect("claim after expiry");
    assert_eq!(b.claimed_by.as_deref(), Some("minh"));
    assert!(store.verdict(id, "lan", Verdict::Confirmed, ReasonCode::Misinformation, None, later).await.is_err());
    let done = store
        .verdict(id, "minh", Verdict::Confirmed, ReasonCode::Misinformation, Some("đã báo cáo"), later)
        .await
        .expect("verdict");
    assert_eq!(
        (done.state, done.verdict, done.reason),
        (AlertState::Confirmed, Some(Verdict::Confirmed), Some(ReasonCode::Misinformation))
    );
    assert!(matches!(store.claim(id, "lan", later, later).await, Err(Error::Conflict(_))));
    let reopened = store.reopen(id, "lead", later).await.expect("reopen");
    assert_eq!(reopened.state, AlertState::New);
    assert!(matches!(store.claim(9999, "lan", t0(), lease).await, Err(Error::NotFound(_))));
    // The sweeper returns expired leases.
    store.claim(id, "lan", later, later + Duration::minutes(1)).await.expect("claim");
    assert_eq!(store.expire_leases(later + Duration::minutes(5)).await.expect("expire"), 1);
    assert_eq!(store.alert(id).await.expect("get").map(|a| a.state), Some(AlertState::New));
    let actions: Vec<String> = store.audit(id).await.expect("audit").into_iter().map(|e| e.action).collect();
    assert_eq!(
        actions,
        ["raised", "claim", "handoff", "release", "claim", "claim", "verdict", "reopen", "claim", "lease_expired"]
    );
    let mine = store
        .alerts(&AlertFilter { claimed_by: Some("lan".into()), limit: 10, ..AlertFilter::default() })
        .await
        .expect("mine");
    assert!(mine.is_empty());
}

/// One hundred simultaneous claims: exactly one wins.
pub async fn concurrent_claims_have_one_winner(store: Arc<dyn Store>) {
    store.store_item(&sample_item("c1", "sc", "x"), &[request("r1")], t0()).await.expect("store");
    let id = store.alerts(&AlertFilter { limit: 1, ..AlertFilter::default() }).await.expect("list")[0].id;
    let mut tasks = Vec::new();
    for i in 0..100 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            store.claim(id, &format!("user{i}"), t0(), t0() + Duration::minutes(30)).await
        }));
    }
    let mut winners = Vec::new();
    for t in tasks {
        match t.await.expect("task") {
            Ok(a) => winners.push(a.claimed_by),
            Err(Error::Conflict(_)) => {}
            Err(e) => panic!("unexpected error: {e}"),
        }
    }
    assert_eq!(winners.len(), 1, "{winners:?}");
    let alert = store.alert(id).await.expect("get").expect("exists");
    assert_eq!(alert.claimed_by, winners[0]);
}

/// Users, hashed tokens with revocation, sessions with expiry.
pub async fn accounts_tokens_sessions(store: &dyn Store) {
    let u = store.create_user("lan", "hash", Role::Collaborator, Some("y-te"), t0()).await.expect("create");
    assert!(matches!(store.create_user("lan", "h", Role::Viewer, None, t0()).await, Err(Error::Invalid(_))));
    let (found, hash) = store.user_by_name("lan").await.expect("get").expect("exists");
    assert_eq!((found.role, found.team.as_deref(), hash.as_str()), (Role::Collaborator, Some("y-te"), "hash"));
    store.set_password("lan", "hash2").await.expect("passwd");
    assert_eq!(store.user_by_name("lan").await.expect("get").map(|(_, h)| h).as_deref(), Some("hash2"));
    let tid = store.create_token(u.id, "script", TokenKind::Api, "tokhash", t0()).await.expect("token");
    assert_eq!(
        store.token_user("tokhash", TokenKind::Api, t0()).await.expect("lookup").map(|(u, id)| (u.name, id)),
        Some(("lan".to_string(), tid))
    );
    assert!(store.token_user("tokhash", TokenKind::Feed, t0()).await.expect("lookup").is_none());
    store.revoke_token(tid, Some(u.id), t0()).await.expect("revoke");
    assert!(store.token_user("tokhash", TokenKind::Api, t0()).await.expect("lookup").is_none());
    assert!(store.revoke_token(tid, Some(u.id), t0()).await.is_err());
    assert_eq!(store.tokens(Some(u.id)).await.expect("list").len(), 1);
    store.create_session("sess", u.id, "csrf1", t0(), t0() + Duration::hours(1)).await.expect("session");
    assert_eq!(store.session("sess", t0()).await.expect("get").map(|(_, c)| c).as_deref(), Some("csrf1"));
    assert!(store.session("sess", t0() + Duration::hours(2)).await.expect("get").is_none());
    store.delete_session("sess").await.expect("delete");
    assert!(store.session("sess", t0()).await.expect("get").is_none());
    assert_eq!(store.users().await.expect("users").len(), 1);
}

/// The whole audit log pages newest first and filters by action; alert-less events are in it.
pub async fn audit_log_pages_and_filters(store: &dyn Store) {
    let event = |action: &str, who: &str| AuditEvent {
        who: who.into(),
        at: t0(),
        action: action.into(),
        before: None,
        after: None,
        detail: Some(format!("{action} by {who}")),
    };
    store.audit_event(None, &event("denied", "xem")).await.expect("audit");
    store.audit_event(Some(7), &event("claim", "lan")).await.expect("audit");
    store.audit_event(None, &event("denied", "lan")).await.expect("audit");
    let all = store.audit_log(None, None, 10).await.expect("log");
    assert_eq!(all.iter().map(|e| e.event.who.as_str()).collect::<Vec<_>>(), ["lan", "lan", "xem"]);
    assert_eq!((all[1].alert_id, all[0].alert_id), (Some(7), None));
    let page = store.audit_log(Some(all[0].id), None, 1).await.expect("page");
    assert_eq!(page.len(), 1);
    assert_eq!(page[0].id, all[1].id);
    let denied = store.audit_log(None, Some("denied"), 10).await.expect("filter");
    assert_eq!(denied.iter().map(|e| e.event.who.as_str()).collect::<Vec<_>>(), ["lan", "xem"]);
    assert!(store.audit_log(Some(all[2].id), None, 10).await.expect("end").is_empty());
}

/// Polls are counted; errors build a streak; success resets it and keeps validators.
pub async fn source_state_records_polls(store: &dyn Store) {
    let ok = PollRecord {
        at: t0(),
        next_due_at: t0() + Duration::minutes(30),
        error: None,
        new_items: 4,
        etag: Some("\"v1\"".into()),
        last_modified: None,
        interval_secs: 1800,
    };
    store.record_poll("vnexpress", &ok).await.expect("poll");
    let fail = PollRecord { error: Some("timeout".into()), new_items: 0, etag: None, ..ok.clone() };
    store.record_poll("vnexpress", &fail).await.expect("poll");
    store.record_poll("vnexpress", &fail).await.expect("poll");
    let s = store.source_state("vnexpress").await.expect("state");
    assert_eq!((s.polls, s.items_found, s.error_streak), (3, 4, 2));
    assert_eq!(s.etag.as_deref(), Some("\"v1\""));
    assert_eq!(s.interval_secs, Some(1800));
    assert_eq!(s.last_error.as_deref(), Some("timeout"));
    store.record_poll("vnexpress", &ok).await.expect("poll");
    let s = store.source_state("vnexpress").await.expect("state");
    assert_eq!((s.error_streak, s.last_error), (0, None));
    assert_eq!(store.source_states().await.expect("all").len(), 1);
    assert_eq!(store.source_state("unknown").await.expect("default").polls, 0);
}

/// Source-health alerts join their open alert and a new one follows once it is decided; a spike
/// stays one alert per window.
pub async fn system_alerts_group_by_key(store: &dyn Store) {
    let alert = SystemAlert {
        kind: "source_health".into(),
        key: "source:vnexpress".into(),
        severity: Severity::Medium,
        team: "chung".into(),
        title: "Nguồn vnexpress lỗi 3 lần liên tiếp".into(),
        detail: "http status 503".into(),
        once: false,
    };
    let (id, new) = store.raise_system_alert(&alert, t0()).await.expect("raise");
    assert!(new);
    let (again, new) = store.raise_system_alert(&alert, t0() + Duration::hours(1)).await.expect("raise again");
    assert_eq!((again, new), (id, false));
    let a = store.alert(id).await.expect("get").expect("exists");
    assert_eq!((a.rule.as_str(), a.story.as_str(), a.item_count), ("source_health", "source:vnexpress", 0));
    store.claim(id, "lan", t0(), t0() + Duration::minutes(30)).await.expect("claim");
    store.verdict(id, "lan", Verdict::Dismissed, ReasonCode::OutOfScope, None, t0()).await.expect("verdict");
    let (third, new) = store.raise_system_alert(&alert, t0() + Duration::hours(2)).await.expect("raise after verdict");
    assert!(new && third != id);
    // A spike is one alert per window for good: after its verdict, sightings join it.
    let spike = SystemAlert {
        kind: "spike".into(),
        key: "spike:all:news:2021-12-24".into(),
        title: "Đột biến".into(),
        once: true,
        ..alert
    };
    let (sid, _) = store.raise_system_alert(&spike, t0()).await.expect("spike");
    store.claim(sid, "lan", t0(), t0() + Duration::minutes(30)).await.expect("claim");
    store.verdict(sid, "lan", Verdict::Dismissed, ReasonCode::OutOfScope, None, t0()).await.expect("verdict");
    let (again, new) = store.raise_system_alert(&spike, t0() + Duration::hours(1)).await.expect("spike again");
    assert_eq!((again, new), (sid, false));
    assert_eq!(store.alert(sid).await.expect("get").expect("exists").state, AlertState::Dismissed);
}

fn listing(muted: Muted, now: DateTime<Utc>) -> AlertFilter {
    AlertFilter { limit: 100, muted, now: Some(now), ..AlertFilter::default() }
}

fn silence(matchers: SilenceMatchers, hours: i64, quiet_hours: Option<i64>) -> NewSilence {
    NewSilence {
        matchers,
        starts_at: t0(),
        ends_at: t0() + Duration::hours(hours),
        quiet_hours,
        creator: "lead".into(),
        reason: "đã xử lý, chờ cơ quan chức năng".into(),
    }
}

async fn actions(store: &dyn Store, id: i64) -> Vec<String> {
    store.audit(id).await.expect("audit").into_iter().map(|e| e.action).collect()
}

/// A silence mutes the open alerts it matches and the ones raised while it lives, without
/// losing them; ending it brings them back. Each muting is in the audit trail.
pub async fn silences_mute_and_end(store: &dyn Store) {
    store.store_item(&sample_item("s1", "st1", "x"), &[request("r1")], t0()).await.expect("store");
    let first = store.alerts(&listing(Muted::Include, t0())).await.expect("list")[0].id;
    let no_matcher = silence(SilenceMatchers::default(), 2, None);
    assert!(matches!(store.create_silence(&no_matcher, t0()).await, Err(Error::Invalid(_))));
    let mut no_reason = silence(SilenceMatchers { tag: Some("health".into()), ..Default::default() }, 2, None);
    no_reason.reason = " ".into();
    assert!(matches!(store.create_silence(&no_reason, t0()).await, Err(Error::Invalid(_))));
    let by_tag = silence(SilenceMatchers { tag: Some("health".into()), ..Default::default() }, 2, None);
    let s = store.create_silence(&by_tag, t0()).await.expect("silence");
    assert!(s.active);
    let soon = t0() + Duration::minutes(10);
    assert!(store.alerts(&listing(Muted::Hide, soon)).await.expect("queue").is_empty());
    assert_eq!(store.alerts(&listing(Muted::Only, soon)).await.expect("muted").len(), 1);
    assert_eq!(actions(store, first).await, ["raised", "silenced"]);
    // Raised while muted: recorded and audited, but not queued nor notified.
    let before = store.notifications(None, 100, None).await.expect("notifications").len();
    store.store_item(&sample_item("s2", "st2", "y"), &[request("r1")], soon).await.expect("store");
    let muted = store.alerts(&listing(Muted::Only, soon)).await.expect("muted");
    assert_eq!(muted.len(), 2);
    assert!(muted.iter().all(|a| a.silence_id == Some(s.id)));
    assert_eq!(store.notifications(None, 100, None).await.expect("notifications").len(), before);
    // A rule the silence does not match is heard.
    let mut other = request("r2");
    other.labels.tags = vec!["traffic".into()];
    store.store_item(&sample_item("s3", "st3", "z"), &[other], soon).await.expect("store");
    assert_eq!(store.alerts(&listing(Muted::Hide, soon)).await.expect("queue").len(), 1);
    assert_eq!(store.silences(false, soon).await.expect("live").len(), 1);
    let later = t0() + Duration::minutes(20);
    let ended = store.expire_silence(s.id, "lead", later).await.expect("expire");
    assert!(!ended.active && ended.expired_at == Some(later));
    assert_eq!(store.alerts(&listing(Muted::Hide, later)).await.expect("queue").len(), 3);
    assert_eq!(actions(store, first).await, ["raised", "silenced", "unsilenced"]);
    assert!(matches!(store.expire_silence(s.id, "lead", later).await, Err(Error::Conflict(_))));
    assert!(matches!(store.expire_silence(9999, "lead", later).await, Err(Error::NotFound(_))));
    assert!(store.silences(false, later).await.expect("live").is_empty());
    assert_eq!(store.silences(true, later).await.expect("all").len(), 1);
    // A silence that simply runs out unmutes too.
    let short = silence(SilenceMatchers { rule: Some("r2".into()), ..Default::default() }, 1, None);
    store.create_silence(&short, later).await.expect("silence");
    assert_eq!(store.alerts(&listing(Muted::Only, later)).await.expect("muted").len(), 1);
    assert!(store.alerts(&listing(Muted::Only, t0() + Duration::hours(2))).await.expect("muted").is_empty());
}

/// "Until the story has been quiet for N hours": when a muted story speaks again after that
/// long, the silence ends and the alert is notified again.
pub async fn silence_ends_when_a_quiet_story_speaks(store: &dyn Store) {
    let quiet = silence(SilenceMatchers { story: Some("loud".into()), ..Default::default() }, 24 * 7, Some(6));
    let s = store.create_silence(&quiet, t0()).await.expect("silence");
    store.store_item(&sample_item("q1", "loud", "x"), &[request("r1")], t0()).await.expect("store");
    store
        .store_item(&sample_item("q2", "loud", "x"), &[request("r1")], t0() + Duration::hours(1))
        .await
        .expect("store");
    let id = store.alerts(&listing(Muted::Only, t0() + Duration::hours(1))).await.expect("muted")[0].id;
    assert!(store.notifications(None, 100, None).await.expect("notifications").is_empty());
    let back = t0() + Duration::hours(8);
    store.store_item(&sample_item("q3", "loud", "x"), &[request("r1")], back).await.expect("store");
    let alert = store.alert(id).await.expect("get").expect("exists");
    assert_eq!((alert.silence_id, alert.item_count), (None, 3));
    assert_eq!(store.alerts(&listing(Muted::Hide, back)).await.expect("queue").len(), 1);
    assert!(store.silences(false, back).await.expect("live").iter().all(|l| l.id != s.id));
    assert!(actions(store, id).await.contains(&"unsilenced".to_string()));
    let queued = store.notifications(None, 100, None).await.expect("notifications");
    assert_eq!(queued.iter().map(|n| n.event.as_str()).collect::<Vec<_>>(), ["renotify"]);
}

/// Notifications are written with the alert, leased, retried, given up visibly, counted.
pub async fn notifications_outbox(store: &dyn Store) {
    store.store_item(&sample_item("n1", "sn", "x"), &[request("r1")], t0()).await.expect("store");
    let queued = store.notifications(Some(NotificationState::Pending), 10, None).await.expect("pending");
    assert_eq!(queued.len(), 1);
    assert_eq!((queued[0].receiver.as_str(), queued[0].event.as_str()), ("hook", "raised"));
    let leased = store.lease_notifications(t0(), t0() + Duration::minutes(1), 10).await.expect("lease");
    assert_eq!(leased.len(), 1);
    assert!(store.lease_notifications(t0(), t0() + Duration::minutes(1), 10).await.expect("lease").is_empty());
    // A crashed notifier: the lease runs out and the notification is due again.
    let n =
        store.lease_notifications(t0() + Duration::minutes(2), t0() + Duration::minutes(3), 10).await.expect("lease");
    assert_eq!(n.len(), 1);
    let retry = DeliveryOutcome::Retry { at: t0() + Duration::minutes(5), error: "HTTP 500".into() };
    store.finish_notification(n[0].id, &retry, t0() + Duration::minutes(2)).await.expect("retry");
    assert!(
        store
            .lease_notifications(t0() + Duration::minutes(4), t0() + Duration::minutes(5), 10)
            .await
            .expect("lease")
            .is_empty()
    );
    let n =
        store.lease_notifications(t0() + Duration::minutes(5), t0() + Duration::minutes(6), 10).await.expect("lease");
    assert_eq!((n.len(), n[0].attempts, n[0].last_error.as_deref()), (1, 1, Some("HTTP 500")));
    let gave_up = DeliveryOutcome::GaveUp { error: "HTTP 500 after 2 attempts".into() };
    store.finish_notification(n[0].id, &gave_up, t0() + Duration::minutes(5)).await.expect("give up");
    let failed = store.notifications(Some(NotificationState::Failed), 10, None).await.expect("failed");
    assert_eq!((failed.len(), failed[0].attempts), (1, 2));
    // Joining items: notified again only once the last notification is renotify_hours old.
    let day = t0() + Duration::hours(25);
    store.store_item(&sample_item("n2", "sn", "x"), &[request("r1")], day).await.expect("store");
    store.store_item(&sample_item("n3", "sn", "x"), &[request("r1")], day + Duration::hours(1)).await.expect("store");
    let pending = store.notifications(Some(NotificationState::Pending), 10, None).await.expect("pending");
    assert_eq!(pending.iter().map(|n| n.event.as_str()).collect::<Vec<_>>(), ["renotify"]);
    let n = store.lease_notifications(day, day + Duration::minutes(1), 10).await.expect("lease");
    store.finish_notification(n[0].id, &DeliveryOutcome::Sent, day).await.expect("sent");
    let stats = store.receiver_stats().await.expect("stats");
    assert_eq!(stats.len(), 1);
    let hook = &stats[0];
    assert_eq!((hook.receiver.as_str(), hook.pending, hook.sent, hook.failed), ("hook", 0, 1, 1));
    assert_eq!((hook.last_sent_at, hook.last_error.as_deref()), (Some(day), Some("HTTP 500 after 2 attempts")));
    store.store_item(&sample_item("n4", "sn2", "x"), &[request("r1")], day).await.expect("store");
    let n = store.lease_notifications(day, day + Duration::minutes(1), 10).await.expect("lease");
    let skip = DeliveryOutcome::Skipped { reason: "silenced before delivery".into() };
    store.finish_notification(n[0].id, &skip, day).await.expect("skip");
    let skipped = store.notifications(Some(NotificationState::Skipped), 10, None).await.expect("skipped");
    assert_eq!(skipped[0].last_error.as_deref(), Some("silenced before delivery"));
    let hook = &store.receiver_stats().await.expect("stats")[0];
    assert_eq!((hook.skipped, hook.last_error.as_deref()), (1, Some("HTTP 500 after 2 attempts")));
    let page = store.notifications(None, 1, None).await.expect("page");
    assert_eq!(store.notifications(None, 10, Some(page[0].id)).await.expect("next").len(), 2);
}

/// An alert nobody claims within its severity's target is notified as overdue, once.
pub async fn overdue_alerts_are_notified_once(store: &dyn Store) {
    store.store_item(&sample_item("o1", "so1", "x"), &[request("r1")], t0()).await.expect("store");
    store.store_item(&sample_item("o2", "so2", "x"), &[request("r1")], t0()).await.expect("store");
    let ids: Vec<i64> =
        store.alerts(&listing(Muted::Include, t0())).await.expect("list").iter().map(|a| a.id).collect();
    store.claim(ids[1], "lan", t0(), t0() + Duration::hours(2)).await.expect("claim");
    let targets = [(Severity::High, 30), (Severity::Low, 0)];
    assert!(store.notify_overdue(t0() + Duration::minutes(10), &targets).await.expect("sweep").is_empty());
    let late = t0() + Duration::minutes(31);
    assert_eq!(store.notify_overdue(late, &targets).await.expect("sweep"), [ids[0]]);
    assert!(store.notify_overdue(late, &targets).await.expect("sweep").is_empty());
    assert!(store.notify_overdue(late, &[(Severity::Medium, 1)]).await.expect("sweep").is_empty());
    let events: Vec<String> =
        store.notifications(None, 10, None).await.expect("list").into_iter().map(|n| n.event).collect();
    assert_eq!(events, ["overdue", "raised", "raised"]);
    assert_eq!(actions(store, ids[0]).await, ["raised", "overdue"]);
}

/// A lead assigns and closes; priorities change; rule figures follow the verdicts.
pub async fn assign_close_priority_and_rule_stats(store: &dyn Store) {
    store.store_item(&sample_item("p1", "sp1", "x"), &[request("r1")], t0()).await.expect("store");
    store.store_item(&sample_item("p2", "sp2", "x"), &[request("r1")], t0()).await.expect("store");
    let ids: Vec<i64> =
        store.alerts(&listing(Muted::Include, t0())).await.expect("list").iter().map(|a| a.id).collect();
    let at = t0() + Duration::minutes(7);
    let a = store.assign(ids[0], "lead", "lan", at, at + Duration::minutes(30)).await.expect("assign");
    assert_eq!((a.state, a.claimed_by.as_deref(), a.first_claimed_at), (AlertState::Claimed, Some("lan"), Some(at)));
    let a = store.set_priority(ids[0], "lead", Priority::Urgent, at).await.expect("priority");
    assert_eq!(a.priority, Priority::Urgent);
    assert!(matches!(store.close(ids[0], "lead", at).await, Err(Error::Conflict(_))));
    let d =
        store.verdict(ids[0], "lan", Verdict::Confirmed, ReasonCode::Misinformation, None, at).await.expect("verdict");
    assert_eq!(d.decided_at, Some(at));
    let c = store.close(ids[0], "lead", at).await.expect("close");
    assert_eq!(c.state, AlertState::Closed);
    assert!(matches!(store.assign(ids[0], "lead", "minh", at, at).await, Err(Error::Conflict(_))));
    assert!(matches!(store.set_priority(9999, "lead", Priority::Low, at).await, Err(Error::NotFound(_))));
    store.claim(ids[1], "minh", at, at + Duration::minutes(30)).await.expect("claim");
    store.verdict(ids[1], "minh", Verdict::Dismissed, ReasonCode::FalsePositive, None, at).await.expect("verdict");
    assert_eq!(actions(store, ids[0]).await, ["raised", "assign", "priority", "verdict", "close"]);
    let stats = store.rule_stats(at - Duration::days(30)).await.expect("stats");
    assert_eq!(stats.len(), 1);
    let r1 = &stats[0];
    assert_eq!((r1.rule.as_str(), r1.alerts, r1.items, r1.confirmed, r1.dismissed, r1.open), ("r1", 2, 2, 1, 1, 0));
    assert_eq!(r1.precision, Some(0.5));
    assert_eq!((r1.recent_decided, r1.recent_precision), (2, Some(0.5)));
    // Decisions before the recent window count in all, not among the recent.
    let later = store.rule_stats(at + Duration::seconds(1)).await.expect("stats");
    assert_eq!((later[0].recent_decided, later[0].recent_precision, later[0].precision), (0, None, Some(0.5)));
    let timings = store.alert_timings(t0(), t0() + Duration::days(1)).await.expect("timings");
    assert_eq!(timings.len(), 2);
    let mut verdicts: Vec<_> =
        timings.iter().map(|t| (t.verdict.as_deref(), t.first_claimed_at, t.decided_at)).collect();
    verdicts.sort();
    assert_eq!(verdicts, [(Some("confirmed"), Some(at), Some(at)), (Some("dismissed"), Some(at), Some(at))]);
    assert!(store.alert_timings(t0() + Duration::days(1), t0() + Duration::days(2)).await.expect("t").is_empty());
}

/// A scheduled report runs once per due time; outputs and failures are kept; interrupted runs
/// are cleared so catch-up runs them again.
pub async fn report_runs_once_per_due_time(store: &dyn Store) {
    let run = |due: DateTime<Utc>| crate::NewReportRun {
        schedule_id: "monthly".into(),
        due_at: due,
        label: "2026-10".into(),
        period_from: "2026-10-01".into(),
        period_to: "2026-10-31".into(),
    };
    let id = store.start_report_run(&run(t0()), t0()).await.expect("start").expect("new run");
    assert_eq!(store.start_report_run(&run(t0()), t0()).await.expect("again"), None, "ran twice");
    let files = vec![("html".to_string(), "<h1>Báo cáo</h1>".to_string()), ("json".to_string(), "{}".to_string())];
    let receivers = vec!["hook".to_string(), "thu".to_string()];
    let output = crate::ReportOutput { items: 42, files: &files, receivers: &receivers };
    store.finish_report_run(id, Ok(output), t0() + Duration::minutes(1)).await.expect("finish");
    let done = store.report_run(id).await.expect("get").expect("run");
    assert_eq!(
        (done.status.as_str(), done.items, done.formats.clone()),
        ("done", Some(42), vec!["html".into(), "json".into()])
    );
    assert_eq!(store.report_file(id, "html").await.expect("file").as_deref(), Some("<h1>Báo cáo</h1>"));
    assert_eq!(store.report_file(id, "pdf").await.expect("file"), None);
    let failed = store.start_report_run(&run(t0() + Duration::days(30)), t0()).await.expect("start").expect("new");
    store.finish_report_run(failed, Err("index unreachable"), t0()).await.expect("finish");
    let interrupted = store.start_report_run(&run(t0() + Duration::days(60)), t0()).await.expect("start").expect("new");
    assert_eq!(store.last_report_run("monthly").await.expect("last").map(|r| r.id), Some(interrupted));
    assert_eq!(store.clear_interrupted_report_runs().await.expect("clear"), 1);
    assert_eq!(store.last_report_run("monthly").await.expect("last").map(|r| r.status), Some("failed".into()));
    let runs = store.report_runs(10, None).await.expect("list");
    assert_eq!(runs.iter().map(|r| r.id).collect::<Vec<_>>(), [failed, id]);
    assert_eq!(runs[0].error.as_deref(), Some("index unreachable"));
    assert_eq!(store.report_runs(10, Some(failed)).await.expect("page").len(), 1);
    assert!(store.start_report_run(&run(t0() + Duration::days(60)), t0()).await.expect("rerun").is_some());
}

/// A finished run queues one delivery per receiver; leases, retries and outcomes are recorded.
pub async fn report_deliveries_are_queued_with_the_run(store: &dyn Store) {
    let run = crate::NewReportRun {
        schedule_id: "weekly".into(),
        due_at: t0(),
        label: "2026-W44".into(),
        period_from: "2026-10-26".into(),
        period_to: "2026-11-01".into(),
    };
    let id = store.start_report_run(&run, t0()).await.expect("start").expect("new");
    let files = vec![("md".to_string(), "# Báo cáo".to_string())];
    let receivers = vec!["hook".to_string(), "thu".to_string()];
    let output = crate::ReportOutput { items: 7, files: &files, receivers: &receivers };
    store.finish_report_run(id, Ok(output), t0()).await.expect("finish");
    let queued = store.report_deliveries(id).await.expect("list");
    assert_eq!(queued.iter().map(|d| d.receiver.as_str()).collect::<Vec<_>>(), ["hook", "thu"]);
    assert!(queued.iter().all(|d| d.state == NotificationState::Pending && d.run_id == id));
    let leased = store.lease_report_deliveries(t0(), t0() + Duration::minutes(5), 10).await.expect("lease");
    assert_eq!(leased.len(), 2);
    assert!(store.lease_report_deliveries(t0(), t0() + Duration::minutes(5), 10).await.expect("again").is_empty());
    let retry = DeliveryOutcome::Retry { at: t0() + Duration::minutes(1), error: "503".into() };
    store.finish_report_delivery(leased[0].id, &retry, t0()).await.expect("retry");
    store.finish_report_delivery(leased[1].id, &DeliveryOutcome::Sent, t0()).await.expect("sent");
    let later = t0() + Duration::minutes(2);
    let again = store.lease_report_deliveries(later, later + Duration::minutes(5), 10).await.expect("lease");
    assert_eq!(again.iter().map(|d| (d.id, d.attempts)).collect::<Vec<_>>(), [(leased[0].id, 1)]);
    let gave_up = DeliveryOutcome::GaveUp { error: "410 gone".into() };
    store.finish_report_delivery(again[0].id, &gave_up, later).await.expect("give up");
    let done = store.report_deliveries(id).await.expect("list");
    assert_eq!(
        done.iter().map(|d| (d.state, d.attempts, d.last_error.clone())).collect::<Vec<_>>(),
        [(NotificationState::Failed, 2, Some("410 gone".into())), (NotificationState::Sent, 1, None)]
    );
    assert_eq!(done[1].sent_at, Some(t0()));
}

/// Saved searches: unique names per team, visible to their team and to everyone when shared.
pub async fn saved_searches_are_shared_within_a_team(store: &dyn Store) {
    let now = Utc::now();
    let new = |name: &str, team: Option<&str>| duluan_model::NewSavedSearch {
        name: name.into(),
        team: team.map(str::to_string),
        query: "khau trang -source:forum".into(),
        filters: [("lang".to_string(), "vi".to_string())].into(),
        created_by: "analyst".into(),
    };
    let shared = store.create_saved_search(&new("Giá khẩu trang", None), now).await.expect("save");
    assert_eq!(shared.team, None);
    assert_eq!(shared.filters.get("lang").map(String::as_str), Some("vi"));
    let north = store.create_saved_search(&new("Lũ", Some("bac")), now).await.expect("save");
    store.create_saved_search(&new("Lũ", Some("nam")), now).await.expect("the same name in another team");
    let taken = store.create_saved_search(&new("Lũ", Some("bac")), now).await;
    assert!(matches!(taken, Err(crate::Error::Conflict(_))), "{taken:?}");
    assert!(matches!(store.create_saved_search(&new(" ", None), now).await, Err(crate::Error::Invalid(_))));
    let names = |v: Vec<duluan_model::SavedSearch>| v.into_iter().map(|s| (s.name, s.team)).collect::<Vec<_>>();
    assert_eq!(
        names(store.saved_searches(Some("bac")).await.expect("list")),
        [("Giá khẩu trang".to_string(), None), ("Lũ".to_string(), Some("bac".to_string()))]
    );
    assert_eq!(store.saved_searches(None).await.expect("list").len(), 3);
    assert_eq!(store.saved_search(north.id).await.expect("get"), Some(north.clone()));
    store.delete_saved_search(north.id).await.expect("delete");
    assert_eq!(store.saved_search(north.id).await.expect("get"), None);
    assert!(matches!(store.delete_saved_search(north.id).await, Err(crate::Error::NotFound(_))));
}

/// Known claims: added by hand, or made by a verdict `confirmed` + `misinformation` from the
/// alert's first item (one per story; none for other verdicts or for alerts a claim raised);
/// withdrawn when the alert is reopened unless another such verdict on the story holds; and a
/// stamp that changes with every change.
pub async fn known_claims_by_hand_and_from_verdicts(store: &dyn Store) {
    let stamp = async || store.known_claims_stamp().await.expect("stamp");
    let ids =
        async || -> Vec<String> { store.known_claims(100).await.expect("list").into_iter().map(|c| c.id).collect() };
    assert_eq!(stamp().await, KnownClaimsStamp::default());
    let manual = NewKnownClaim {
        id: "gia-xang-tang".into(),
        text: "Từ 0 giờ đêm nay giá xăng tăng thêm 5.000 đồng mỗi lít".into(),
        title: Some("Giá xăng tăng".into()),
        verdict: "false".into(),
        severity: Severity::Medium,
        route: None,
        tags: vec!["prices".into()],
        story_id: None,
        alert_id: None,
        created_by: "lead".into(),
    };
    let added = store.add_known_claim(&manual, t0()).await.expect("add");
    assert_eq!(
        (added.tags.as_slice(), added.severity, added.added_at),
        (["prices".to_string()].as_slice(), Severity::Medium, t0())
    );
    assert!(matches!(store.add_known_claim(&manual, t0()).await, Err(Error::Conflict(_))));
    let after_manual = stamp().await;
    assert_eq!(after_manual.count, 1);

    // A long item: the claim keeps its title and the first 600 characters of its text.
    let body = "Nghe nói tiêm vắc xin sởi đợt này làm ba trẻ tử vong ở trạm y tế phường. ".repeat(12);
    let mut item = sample_item("k1", "story-k", &body);
    item.title = "Ba trẻ tử vong sau tiêm vắc xin?".into();
    store.store_item(&item, &[request("r1"), request("r2"), request("claim:old")], t0()).await.expect("store");
    store.store_item(&sample_item("k2", "story-j", "khác"), &[request("r1")], t0()).await.expect("store");
    let alerts = store.alerts(&AlertFilter { limit: 10, ..AlertFilter::default() }).await.expect("list");
    let on = |rule: &str, story: &str| {
        alerts.iter().find(|a| a.rule == rule && a.story == story).map(|a| a.id).expect("alert")
    };
    let decide = async |id: i64, verdict: Verdict, reason: ReasonCode| {
        let at = t0() + Duration::minutes(1);
        store.claim(id, "lan", at, at + Duration::minutes(30)).await.expect("claim");
        store.verdict(id, "lan", verdict, reason, None, at).await.expect("verdict");
    };
    decide(on("r1", "story-j"), Verdict::Confirmed, ReasonCode::NeedsResponse).await;
    decide(on("r2", "story-k"), Verdict::Dismissed, ReasonCode::Misinformation).await;
    decide(on("claim:old", "story-k"), Verdict::Confirmed, ReasonCode::Misinformation).await;
    assert_eq!(ids().await, ["gia-xang-tang"], "only a confirmed misinformation verdict on a rule's alert counts");

    let first = on("r1", "story-k");
    decide(first, Verdict::Confirmed, ReasonCode::Misinformation).await;
    let claims = store.known_claims(100).await.expect("list");
    assert_eq!(claims.len(), 2);
    let made = &claims[0];
    assert_eq!(made.id, "story-story-k", "newest first");
    assert_eq!(made.text, crate::verdict_claim_text(&item.title, &body));
    assert!(made.text.starts_with("Ba trẻ tử vong sau tiêm vắc xin?\nNghe nói tiêm vắc xin sởi"), "{}", made.text);
    assert!(made.text.chars().count() <= item.title.chars().count() + 1 + 600);
    assert!(made.text.ends_with("Nghe nói tiêm"), "cut at a word boundary: {}", made.text);
    assert_eq!(
        (made.verdict.as_str(), made.severity, made.route.as_deref(), made.story_id.as_deref(), made.alert_id),
        ("false", Severity::High, Some("chung"), Some("story-k"), Some(first))
    );
    assert_eq!((made.created_by.as_str(), made.tags.as_slice()), ("lan", ["health".to_string()].as_slice()));
    let with_verdict = stamp().await;
    assert_eq!(with_verdict.count, 2);
    assert!(with_verdict.last_seq > after_manual.last_seq);

    // A second confirmation of the story keeps the one claim; reopening the first hands it over.
    store.store_item(&sample_item("k3", "story-k", "bản sao"), &[request("r3")], t0()).await.expect("store");
    let alerts = store.alerts(&AlertFilter { limit: 10, ..AlertFilter::default() }).await.expect("list");
    let second = alerts.iter().find(|a| a.rule == "r3").map(|a| a.id).expect("r3 alert");
    decide(second, Verdict::Confirmed, ReasonCode::Misinformation).await;
    assert_eq!(stamp().await, with_verdict);
    store.reopen(first, "lead", t0() + Duration::minutes(2)).await.expect("reopen");
    let claims = store.known_claims(100).await.expect("list");
    let kept = claims.iter().find(|c| c.id == "story-story-k").expect("claim kept");
    assert_eq!((kept.alert_id, kept.text.as_str()), (Some(second), "Tiêu đề k3\nbản sao"));
    let handed_over = stamp().await;
    assert_ne!(handed_over, with_verdict);
    store.reopen(second, "lead", t0() + Duration::minutes(2)).await.expect("reopen");
    assert_eq!(ids().await, ["gia-xang-tang"]);

    store.remove_known_claim("gia-xang-tang").await.expect("remove");
    assert!(matches!(store.remove_known_claim("gia-xang-tang").await, Err(Error::NotFound(_))));
    let last = stamp().await;
    assert_eq!(last.count, 0);
    assert_ne!(last, handed_over);
    assert!(store.known_claims(0).await.expect("list").is_empty());
}
