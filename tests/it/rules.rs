//! The rules review list: verdicts given through the API move a rule's precision, and the API
//! and the `/rules` page agree on which rules need review, with rule authors' text escaped.

use duluan_model::Role;
use duluan_pipeline::IngestRecord;
use serde_json::{Value, json};

use crate::api::{Api, api};

/// A pack whose titles and description try to inject markup: a rumour rule that fires on every
/// test item, one that never fires, and a tag-only rule that flags without raising alerts.
const PACK: &str = r#"
[[rule]]
id = "thu.vo_sinh"
title = { vi = "Tin đồn vô sinh <script>alert(1)</script>", en = "Infertility rumour <b>bold</b>" }
description = "Tin nói tiêm chủng gây vô sinh <img src=x onerror=alert(2)>"
severity = "high"
mode = "folded"
owner = "ban-y-te <i>"
query = '"vo sinh"'

[[rule]]
id = "thu.im_lang"
title = { vi = "Không bao giờ khớp", en = "Never matches" }
severity = "low"
query = '"chuỗi không thể xuất hiện"'

[[rule]]
id = "thu.phu_huynh"
title = { vi = "Nhắc tới phụ huynh", en = "Mentions parents" }
severity = "info"
action = "tag"
query = '"phụ huynh"'
"#;

/// Distinct stories, so each raises an alert of its own.
const STORIES: &[&str] = &[
    "Hội phụ huynh trường Lê Lợi chia sẻ tin tiêm chủng gây vô sinh cho trẻ lớp một",
    "Chợ Bến Thành xôn xao chuyện thuốc lạ làm đàn ông vô sinh sau ba tháng",
    "Bài đăng về nước giếng khoan ở Củ Chi gây vô sinh lan nhanh trên mạng xã hội",
    "Người bán hàng rong đồn rằng sóng điện thoại 5G gây vô sinh ở khu chung cư",
    "Video cắt ghép nói thực phẩm chức năng ngoại nhập làm phụ nữ vô sinh",
    "Tin nhắn chuyển tiếp khẳng định khói nhang trong đền chùa gây vô sinh",
];

async fn get(a: &Api, token: &str, path: &str) -> (u16, String) {
    let r = a.http.get(a.url(path)).bearer_auth(token).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

async fn rule_rows(a: &Api, token: &str, query: &str) -> Vec<Value> {
    let (status, body) = get(a, token, &format!("/api/rules/stats{query}")).await;
    assert_eq!(status, 200, "{body}");
    let list: Value = serde_json::from_str(&body).unwrap();
    list["rules"].as_array().unwrap().clone()
}

fn row<'a>(rows: &'a [Value], id: &str) -> &'a Value {
    rows.iter().find(|r| r["rule"] == id).unwrap_or_else(|| panic!("{id} missing: {rows:?}"))
}

/// Claim an alert and give it a verdict.
async fn decide(a: &Api, token: &str, id: i64, verdict: &str, reason: &str) {
    let claim = a.http.post(a.url(&format!("/api/alerts/{id}/claim"))).bearer_auth(token).send().await.unwrap();
    assert_eq!(claim.status(), 200, "claim {id}");
    let body = json!({"verdict": verdict, "reason": reason});
    let decided =
        a.http.post(a.url(&format!("/api/alerts/{id}/verdict"))).bearer_auth(token).json(&body).send().await.unwrap();
    assert_eq!(decided.status(), 200, "verdict on {id}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verdicts_move_precision_and_review_flags_in_the_api_and_on_the_page() {
    let rules = tempfile::tempdir().unwrap();
    std::fs::write(rules.path().join("thu.toml"), PACK).unwrap();
    let dir = rules.path().to_path_buf();
    let a = api(move |c| c.rules.dir = dir).await;
    let records = STORIES.iter().enumerate().map(|(n, text)| IngestRecord::Text {
        label: format!("s{n}"),
        url: format!("https://tin.example/chuyen-{n}.html"),
        title: format!("Chuyện số {n}"),
        text: text.to_string(),
        published_at: None,
        lang: Some("vi".into()),
    });
    duluan_pipeline::ingest(a.harness.pipeline.clone(), records, "test", 2, |_, _| {}).await.unwrap();
    a.harness.flush().await;
    let viewer = a.user("xem", Role::Viewer).await;
    let ctv = a.user("lan", Role::Collaborator).await;

    // Nothing decided yet: no precision, and only the rule that never fires needs review.
    let rows = rule_rows(&a, &viewer, "").await;
    let rumour = row(&rows, "thu.vo_sinh");
    let alerts = rumour["alerts"].as_i64().unwrap();
    assert!(alerts >= 6, "{rumour}");
    assert_eq!((rumour["precision"].clone(), rumour["review"].clone()), (Value::Null, Value::Null));
    assert_eq!(rumour["title"]["vi"], "Tin đồn vô sinh <script>alert(1)</script>", "JSON keeps the text as written");
    assert_eq!((rumour["severity"].as_str(), rumour["enabled"].as_bool()), (Some("high"), Some(true)));
    assert_eq!((rumour["pack"].as_str(), rumour["provenance"].as_str()), (Some("thu"), Some("pack")));
    assert_eq!(
        (rumour["owner"].as_str(), row(&rows, "thu.im_lang")["owner"].clone()),
        (Some("ban-y-te <i>"), Value::Null)
    );
    assert!(rumour["hits"].as_u64().unwrap() >= 6 && rumour["hits_30d"] == rumour["hits"], "{rumour}");
    let silent = row(&rows, "thu.im_lang");
    assert_eq!((silent["alerts"].as_i64(), silent["review"].as_str()), (Some(0), Some("never fired")));
    assert_eq!(silent["review_flags"], json!([{"code": "never_fired", "reason": "never fired"}]));
    let tag = row(&rows, "thu.phu_huynh");
    assert_eq!((tag["alerts"].as_i64(), tag["tag_only"].as_bool()), (Some(0), Some(true)));
    assert!(tag["hits"].as_u64().unwrap() >= 2 && tag["review"].is_null(), "flagged items count as firing: {tag}");
    let last_hit = tag["last_hit"].as_str().and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok());
    let ago = last_hit.map(|t| chrono::Utc::now() - t.to_utc());
    assert!(
        ago.is_some_and(|ago| ago >= chrono::Duration::zero() && ago < chrono::Duration::minutes(10)),
        "the index gives tag-only rules the time of their last hit (the items were fetched just now): {tag}"
    );

    // Two confirmed, four dismissed: 33% over 6 decisions is under half.
    let (status, body) = get(&a, &ctv, "/api/alerts?rule=thu.vo_sinh&state=new&limit=50").await;
    assert_eq!(status, 200, "{body}");
    let ids: Vec<i64> = serde_json::from_str::<Value>(&body).unwrap()["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["id"].as_i64().unwrap())
        .collect();
    assert!(ids.len() >= 6, "{body}");
    for (n, id) in ids.iter().take(6).enumerate() {
        let (verdict, reason) = if n < 2 { ("confirmed", "misinformation") } else { ("dismissed", "false_positive") };
        decide(&a, &ctv, *id, verdict, reason).await;
        // Four decisions are too few to judge; the fifth makes 2 of 5 = 40%.
        let rows = rule_rows(&a, &viewer, "").await;
        let rumour = row(&rows, "thu.vo_sinh");
        let expected = if n < 4 { Value::Null } else { json!("low_precision") };
        assert_eq!(rumour["review_flags"][0]["code"], expected, "after {} decisions: {rumour}", n + 1);
    }
    let rows = rule_rows(&a, &viewer, "").await;
    let rumour = row(&rows, "thu.vo_sinh");
    assert_eq!(
        (rumour["confirmed"].as_i64(), rumour["dismissed"].as_i64(), rumour["decided"].as_i64()),
        (Some(2), Some(4), Some(6))
    );
    assert!((rumour["precision"].as_f64().unwrap() - 1.0 / 3.0).abs() < 1e-9, "{rumour}");
    assert_eq!(rumour["review"], "precision 33% over 6 decisions");
    assert_eq!(rows[0]["rule"], "thu.vo_sinh", "the default order puts the least precise rule to review first");

    let flagged = rule_rows(&a, &viewer, "?needs_review=true").await;
    let flagged: Vec<&str> = flagged.iter().map(|r| r["rule"].as_str().unwrap()).collect();
    assert_eq!(flagged, ["thu.vo_sinh", "thu.im_lang"]);
    let by_hits = rule_rows(&a, &viewer, "?sort=hits").await;
    assert_eq!(by_hits.last().unwrap()["rule"], "thu.im_lang");
    assert_eq!(get(&a, &viewer, "/api/rules/stats?sort=nonsense").await.0, 400);
    assert_eq!(a.http.get(a.url("/api/rules/stats")).send().await.unwrap().status(), 401);

    // The page: every rule, the flags in words, author text escaped, each rule linked to its hits.
    let page = a.http.get(a.url("/rules")).bearer_auth(&viewer).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.headers()["content-security-policy"].to_str().unwrap().contains("script-src 'self'"));
    let html = page.text().await.unwrap();
    assert!(html.contains("Tin đồn vô sinh &#60;script&#62;alert(1)&#60;/script&#62;"), "{html}");
    assert!(!html.contains("<script>alert") && !html.contains("<img src=x") && !html.contains("<b>bold"), "{html}");
    assert!(html.contains("&#60;img src=x onerror=alert(2)&#62;"), "the description is shown, escaped");
    assert!(html.contains("Phụ trách: ban-y-te &#60;i&#62;"), "the owner is shown, escaped: {html}");
    assert!(html.contains("Độ chính xác 33% trên 6 kết luận") && html.contains("Chưa từng khớp"), "{html}");
    assert!(html.contains("href=\"/search?q=rule%3Athu.vo_sinh\""), "{html}");
    assert!(html.contains("Nhắc tới phụ huynh") && html.contains("href=\"/rules\" class=\"active\""), "{html}");
    let (_, only) = get(&a, &viewer, "/rules?needs_review=true&sort=precision&lang=en").await;
    assert!(only.contains("Precision 33% over 6 decisions") && only.contains("Never fired"), "{only}");
    assert!(only.contains("Infertility rumour &#60;b&#62;bold&#60;/b&#62;"), "{only}");
    assert!(!only.contains("Mentions parents"), "the filter leaves out rules that are fine: {only}");
    assert!(only.find("thu.vo_sinh") < only.find("thu.im_lang"), "lowest precision first");
    assert_eq!(
        a.http.get(a.url("/rules")).send().await.unwrap().status(),
        303,
        "signed-out visitors go to the login page"
    );

    // The link leads to the rule's hits.
    let (status, body) = get(&a, &viewer, "/api/search?q=rule:thu.vo_sinh&limit=1").await;
    assert_eq!(status, 200, "{body}");
    assert!(serde_json::from_str::<Value>(&body).unwrap()["total"].as_u64().unwrap() >= 6, "{body}");
    a.harness.close().await;
}

/// One item through the pipeline; the rules that flagged it.
async fn flagged_by(a: &Api, n: usize, text: &str) -> Vec<String> {
    let url = format!("https://tin.example/gia-xang-{n}.html");
    let record = IngestRecord::Text {
        label: url.clone(),
        url: url.clone(),
        title: format!("Tin số {n}"),
        text: text.to_string(),
        published_at: None,
        lang: Some("vi".into()),
    };
    duluan_pipeline::ingest(a.harness.pipeline.clone(), std::iter::once(record), "test", 1, |_, _| {}).await.unwrap();
    let item = a.harness.pipeline.store.item(&duluan_model::item_id_for_url(&url)).await.unwrap().expect("stored");
    item.flags.iter().map(|f| f.rule.to_string()).collect()
}

/// Polls `done` for up to ten seconds (a reload takes one `reload_secs` and the settling time).
async fn eventually(what: &str, done: impl Fn() -> bool) {
    for _ in 0..100 {
        if done() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("not within ten seconds: {what}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changed_rule_files_are_reloaded_and_broken_ones_keep_the_rules_in_force() {
    let rules = tempfile::tempdir().unwrap();
    std::fs::write(rules.path().join("thu.toml"), PACK).unwrap();
    let dir = rules.path().to_path_buf();
    let loaded = duluan_rules::fingerprint(&dir);
    let a = api(move |c| {
        c.rules.dir = dir;
        c.rules.reload_secs = 1;
    })
    .await;
    // A pack written after the rules were read and before the watching began is not missed.
    let early = "[[rule]]\nid = \"early\"\nseverity = \"low\"\nquery = 'sớm'\n";
    std::fs::write(rules.path().join("early.toml"), early).unwrap();
    let (stop_tx, stop) = tokio::sync::watch::channel(false);
    let options = duluan_rules::ClaimOptions::default();
    let watcher =
        a.harness.pipeline.spawn_rules_watcher(rules.path().to_path_buf(), loaded, options, a.rules.clone(), stop);
    assert!(watcher.is_some());
    eventually("the pack written while starting loaded", || a.rules.catalog().get("early").is_some()).await;
    let viewer = a.user("xem", Role::Viewer).await;
    let text = "Giá xăng tăng mạnh từ chiều nay, người dân xếp hàng ở cây xăng";
    assert!(!flagged_by(&a, 1, text).await.iter().any(|r| r == "gia.xang"));

    // A new pack: its rule is in force for the next item, and listed, without a restart.
    let pack = "[[rule]]\nid = \"gia.xang\"\nseverity = \"medium\"\nmode = \"folded\"\nquery = '\"gia xang\"'\n";
    std::fs::write(rules.path().join("gia.toml"), pack).unwrap();
    eventually("the new rule loaded", || a.rules.catalog().get("gia.xang").is_some()).await;
    assert!(flagged_by(&a, 2, text).await.iter().any(|r| r == "gia.xang"));
    let rows = rule_rows(&a, &viewer, "").await;
    assert_eq!(row(&rows, "gia.xang")["provenance"], "pack");

    // Broken: the rules in force stay, and the API and the page say what is wrong and where.
    std::fs::write(rules.path().join("gia.toml"), pack.replace("'\"gia xang\"'", "'(\"gia xang\" OR'")).unwrap();
    eventually("the broken file reported", || a.rules.failure().is_some()).await;
    let failure = a.rules.failure().unwrap();
    assert!(failure.errors.iter().any(|e| e.contains("gia.toml:5:")), "{failure:?}");
    assert!(flagged_by(&a, 3, text).await.iter().any(|r| r == "gia.xang"), "the old rules stay in force");
    let (status, body) = get(&a, &viewer, "/api/rules/stats").await;
    assert_eq!(status, 200);
    let list: Value = serde_json::from_str(&body).unwrap();
    assert!(list["reload_failure"]["errors"][0].as_str().is_some_and(|e| e.contains("gia.toml:5:")), "{list}");
    assert!(list["reload_failure"]["at"].is_string(), "{list}");
    row(list["rules"].as_array().unwrap(), "gia.xang");
    let page = a.http.get(a.url("/rules")).bearer_auth(&viewer).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("class=\"reload-failure\"") && page.contains("gia.toml:5:"), "{page}");

    // Fixed, with another query: in force, and the failure is gone.
    std::fs::write(rules.path().join("gia.toml"), pack.replace("gia xang", "cay xang")).unwrap();
    eventually("the fixed file loaded", || a.rules.failure().is_none()).await;
    let flags = flagged_by(&a, 4, "Cây xăng đầu hẻm đóng cửa").await;
    assert!(flags.iter().any(|r| r == "gia.xang"), "{flags:?}");
    let (_, body) = get(&a, &viewer, "/api/rules/stats").await;
    assert!(!body.contains("reload_failure"), "{body}");

    // Removed: the rule leaves the list of rules in force.
    std::fs::remove_file(rules.path().join("gia.toml")).unwrap();
    eventually("the removed pack unloaded", || a.rules.catalog().get("gia.xang").is_none()).await;
    assert!(!flagged_by(&a, 5, text).await.iter().any(|r| r == "gia.xang"));
    stop_tx.send(true).unwrap();
    tokio::time::timeout(std::time::Duration::from_secs(5), watcher.unwrap()).await.unwrap().unwrap();
}
