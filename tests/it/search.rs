//! Search through the HTTP API: stable cursors, coverage histograms comparing queries, and
//! streamed exports in CSV (with BOM), JSON and NDJSON.

use chrono::{TimeZone, Utc};
use duluan_model::Role;
use duluan_pipeline::IngestRecord;
use reqwest::StatusCode;
use serde_json::Value;

use crate::api::{Api, api};

/// The three rumour items of the API harness plus twelve items on fuel prices over three months.
pub(crate) async fn with_fuel_news() -> Api {
    let a = api(|_| {}).await;
    let records = (0..12).map(|n| IngestRecord::Text {
        label: format!("x{n}"),
        url: format!("https://bao.example/gia-xang-{n}.html"),
        title: format!("Giá xăng điều chỉnh kỳ {n}"),
        text: format!("Liên bộ điều chỉnh giá xăng dầu kỳ thứ {n}, giá xăng RON95 tăng nhẹ."),
        published_at: Utc.with_ymd_and_hms(2021, 10 + (n % 3), 5 + n, 3, 0, 0).single(),
        lang: None,
    });
    duluan_pipeline::ingest(a.harness.pipeline.clone(), records, "test", 2, |_, _| {}).await.expect("ingest");
    a.harness.flush().await;
    a
}

async fn get(a: &Api, token: &str, path: &str) -> reqwest::Response {
    a.http.get(a.url(path)).bearer_auth(token).send().await.expect("request")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cursors_page_through_a_search_and_bad_queries_say_where() {
    let a = with_fuel_news().await;
    let viewer = a.user("analyst", Role::Viewer).await;
    let first: Value = get(&a, &viewer, "/api/search?q=gia%20xang&sort=date&limit=5").await.json().await.unwrap();
    assert_eq!(first["total"], 12);
    let mut seen: Vec<String> =
        first["hits"].as_array().unwrap().iter().map(|h| h["id"].as_str().unwrap().into()).collect();
    let mut next = first["next"].as_str().map(str::to_string);
    while let Some(cursor) = next {
        let page: Value = get(&a, &viewer, &format!("/api/search?q=gia%20xang&sort=date&limit=5&cursor={cursor}"))
            .await
            .json()
            .await
            .unwrap();
        seen.extend(page["hits"].as_array().unwrap().iter().map(|h| h["id"].as_str().unwrap().to_string()));
        next = page["next"].as_str().map(str::to_string);
    }
    let distinct: std::collections::HashSet<&String> = seen.iter().collect();
    assert_eq!((seen.len(), distinct.len()), (12, 12), "every item once");
    // A cursor is bound to its search.
    let cursor = first["next"].as_str().unwrap();
    let wrong = get(&a, &viewer, &format!("/api/search?q=vac%20xin&sort=date&limit=5&cursor={cursor}")).await;
    assert_eq!(wrong.status(), StatusCode::BAD_REQUEST);
    // Errors name the column.
    let bad = get(&a, &viewer, "/api/search?q=x%20foo:bar").await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    let body: Value = bad.json().await.unwrap();
    assert_eq!(body["error"]["code"], "bad_query");
    assert!(body["error"]["message"].as_str().unwrap().starts_with("column 3: unknown field `foo:`"), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn histograms_compare_queries_on_the_same_buckets() {
    let a = with_fuel_news().await;
    let viewer = a.user("analyst", Role::Viewer).await;
    let h: Value = get(
        &a,
        &viewer,
        "/api/search/histogram?q=xang&q2=RON95%20k%E1%BB%B3%201&interval=month&from=2021-10-01&to=2021-12-31",
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(h["interval"], "month");
    let series = h["series"].as_array().unwrap();
    assert_eq!(series.len(), 2);
    assert_eq!(series[0]["query"], "xang");
    assert_eq!(series[0]["total"], 12);
    let starts = |s: &Value| {
        s["buckets"].as_array().unwrap().iter().map(|b| b["start"].as_str().unwrap().to_string()).collect::<Vec<_>>()
    };
    assert_eq!(starts(&series[0]), ["2021-10-01", "2021-11-01", "2021-12-01"]);
    assert_eq!(starts(&series[1]), starts(&series[0]), "compared series share buckets");
    for b in series[0]["buckets"].as_array().unwrap() {
        assert_eq!(b["items"], 4, "{b}");
        assert_eq!(b["all"], 4, "the date range holds only fuel news: {b}");
        assert_eq!(b["share"], 1.0);
    }
    // "RON95 kỳ 1": item 1 only (published in November; "10" is another token than "1").
    let second: Vec<u64> =
        series[1]["buckets"].as_array().unwrap().iter().map(|b| b["items"].as_u64().unwrap()).collect();
    assert_eq!(second, [0, 1, 0]);
    let too_long = get(&a, &viewer, &format!("/api/search/histogram?q2={}", "a".repeat(2001))).await;
    assert_eq!(too_long.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exports_stream_csv_with_a_bom_json_and_ndjson() {
    let a = with_fuel_news().await;
    let viewer = a.user("analyst", Role::Viewer).await;
    let csv = get(&a, &viewer, "/api/search/export?q=gia%20xang&format=csv").await;
    assert_eq!(csv.status(), StatusCode::OK);
    assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
    assert!(
        csv.headers()["content-disposition"].to_str().unwrap().starts_with("attachment; filename=\"duluan-search-")
    );
    let body = csv.text().await.unwrap();
    assert!(body.starts_with("\u{FEFF}id,published_at,source,"), "{body}");
    let lines: Vec<&str> = body.lines().collect();
    assert_eq!(lines.len(), 13, "a header and twelve rows");
    assert!(lines.iter().skip(1).all(|l| l.contains("Giá xăng điều chỉnh kỳ")), "{body}");

    let nd = get(&a, &viewer, "/api/search/export?q=gia%20xang&format=ndjson").await;
    assert_eq!(nd.headers()["content-type"], "application/x-ndjson");
    let text = nd.text().await.unwrap();
    let rows: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(rows.len(), 12);
    assert!(rows.iter().all(|r| r["url"].as_str().unwrap().starts_with("https://bao.example/gia-xang-")));

    let json: Value = get(&a, &viewer, "/api/search/export?q=vac%20xin&format=json").await.json().await.unwrap();
    assert_eq!(json.as_array().map(Vec::len), Some(3));

    let bad = get(&a, &viewer, "/api/search/export?q=%22open").await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST, "a bad query is refused before the download starts");
    // Exports are audited: who took which result set.
    let admin = a.user("admin", Role::Admin).await;
    let audit: Value = get(&a, &admin, "/api/audit?action=export").await.json().await.unwrap();
    let details: Vec<&str> =
        audit["entries"].as_array().unwrap().iter().map(|e| e["detail"].as_str().unwrap()).collect();
    assert_eq!(details.len(), 3, "{audit}");
    assert!(details.contains(&"csv: gia xang"), "{details:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn saved_searches_are_shared_within_the_team_and_become_rule_drafts() {
    let a = with_fuel_news().await;
    let north = a.user_in("bac-1", Role::Viewer, Some("bac")).await;
    let north_2 = a.user_in("bac-2", Role::Viewer, Some("bac")).await;
    let south = a.user_in("nam-1", Role::Viewer, Some("nam")).await;
    let lead = a.user("lead", Role::Lead).await;
    let post = |token: &str, body: Value| {
        a.http.post(a.url("/api/saved-searches")).bearer_auth(token.to_string()).json(&body).send()
    };
    let created =
        post(&north, serde_json::json!({"name": "Giá xăng", "q": "gia xang -\"RON92\"", "lang": "vi"})).await.unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let saved: Value = created.json().await.unwrap();
    assert_eq!(saved["team"], "bac");
    assert_eq!(saved["filters"]["lang"], "vi");
    let id = saved["id"].as_i64().unwrap();
    let again = post(&north_2, serde_json::json!({"name": "Giá xăng", "q": "xang"})).await.unwrap();
    assert_eq!(again.status(), StatusCode::CONFLICT, "one name per team");
    let shared = post(&south, serde_json::json!({"name": "Vắc xin", "q": "vac xin", "shared": true})).await.unwrap();
    assert_eq!(shared.status(), StatusCode::CREATED);
    let bad = post(&south, serde_json::json!({"name": "Hỏng", "q": "(vac"})).await.unwrap();
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST, "the query is checked when saved");

    let names = |v: Value| -> Vec<String> {
        v["searches"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap().to_string()).collect()
    };
    assert_eq!(names(get(&a, &north_2, "/api/saved-searches").await.json().await.unwrap()), ["Giá xăng", "Vắc xin"]);
    assert_eq!(names(get(&a, &south, "/api/saved-searches").await.json().await.unwrap()), ["Vắc xin"]);
    assert_eq!(names(get(&a, &lead, "/api/saved-searches").await.json().await.unwrap()), ["Giá xăng", "Vắc xin"]);
    assert_eq!(get(&a, &south, &format!("/api/saved-searches/{id}/rule")).await.status(), StatusCode::NOT_FOUND);

    let draft: Value = get(&a, &north_2, &format!("/api/saved-searches/{id}/rule")).await.json().await.unwrap();
    let toml = draft["toml"].as_str().unwrap();
    assert!(
        toml.contains("[[rule]]") && toml.contains("enabled = false") && toml.contains("langs = [\"vi\"]"),
        "{toml}"
    );
    assert!(draft["query"].as_str().unwrap().contains("NOT"), "{draft}");

    let delete =
        |token: &str| a.http.delete(a.url(&format!("/api/saved-searches/{id}"))).bearer_auth(token.to_string()).send();
    assert_eq!(delete(&north_2).await.unwrap().status(), StatusCode::FORBIDDEN, "not its author");
    assert_eq!(delete(&north).await.unwrap().status(), StatusCode::NO_CONTENT);
    assert_eq!(delete(&north).await.unwrap().status(), StatusCode::NOT_FOUND);
}
