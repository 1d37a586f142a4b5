//! `duluan demo`: the whole pipeline on the bundled site, then the HTTP API end to end.

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use crate::support::{Duluan, stderr, stdout};

fn summary(out: &str) -> serde_json::Value {
    serde_json::from_str(out.lines().last().expect("a summary line")).expect("JSON summary")
}

#[test]
fn demo_once_indexes_flags_alerts_and_a_second_run_adds_nothing() {
    let d = Duluan::new();
    let first = d.run(&["demo", "--once", "--format", "json"], None);
    assert!(first.status.success(), "{}", stderr(&first));
    let s = summary(&stdout(&first));
    for key in ["items_fetched", "items_stored", "items_indexed", "items_flagged", "alerts_raised", "seconds"] {
        assert!(s.get(key).is_some(), "missing {key} in {s}");
    }
    assert!(s["items_indexed"].as_u64().unwrap() >= 40, "{s}");
    assert_eq!(s["items_stored"], s["items_indexed"]);
    assert!(s["items_flagged"].as_u64().unwrap() > 0 && s["alerts_raised"].as_u64().unwrap() > 0, "{s}");
    let second = d.run(&["demo", "--once", "--format", "json"], None);
    let s2 = summary(&stdout(&second));
    assert_eq!(
        (s2["items_stored"].as_u64(), s2["alerts_raised"].as_u64(), s2["items_indexed"].as_u64()),
        (Some(0), Some(0), Some(0)),
        "{s2}"
    );
    assert_eq!(s2["total_items"], s["total_items"]);
    assert_eq!(s2["total_alerts"], s["total_alerts"]);
}

/// A `duluan demo --port 0` server, killed on drop.
struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_demo(d: &Duluan) -> Server {
    let mut child =
        d.cmd().args(["demo", "--port", "0"]).stdout(Stdio::piped()).stderr(Stdio::null()).spawn().expect("spawn demo");
    let out = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            if let Some(rest) = line.strip_prefix("Open http://") {
                let addr = rest.split('/').next().unwrap_or_default().to_string();
                let _ = tx.send(addr);
            }
        }
    });
    let addr = rx.recv_timeout(Duration::from_secs(120)).expect("demo server address");
    Server { child, base: format!("http://{addr}") }
}

fn token(d: &Duluan, user: &str) -> String {
    let o = d.run(&["user", "token", user], None);
    assert!(o.status.success(), "{}", stderr(&o));
    stdout(&o).lines().last().unwrap().trim().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_server_searches_explains_and_triages_through_the_api() {
    let d = Duluan::new();
    let server = start_demo(&d);
    let admin = token(&d, "demo");
    let add = d.run(&["user", "add", "lan", "--role", "collaborator"], Some("mat-khau-cua-lan\n"));
    assert!(add.status.success(), "{}", stderr(&add));
    let lan = token(&d, "lan");
    let http = reqwest::Client::new();
    let get = |path: &str, token: &str| http.get(format!("{}{path}", server.base)).bearer_auth(token).send();

    // A known article is found by a word from its body, with and without diacritics.
    let site = duluan_demo::DemoSite::load().unwrap();
    let article = site.articles().iter().find(|a| a.slug == "gia-rau-tang-sau-mua-lu").unwrap();
    let want = duluan_model::item_id_for_url(&article.canonical_url());
    for q in ["rau muống", "rau muong"] {
        let r: serde_json::Value = get(&format!("/api/search?q={q}"), &admin).await.unwrap().json().await.unwrap();
        let ids: Vec<&str> = r["hits"].as_array().unwrap().iter().map(|h| h["id"].as_str().unwrap()).collect();
        assert!(ids.contains(&want.as_str()), "{q}: {r}");
    }
    assert_eq!(get("/api/search?q=x", "wrong-token").await.unwrap().status(), 401);
    let bad = get("/api/search?q=(rau", &admin).await.unwrap();
    assert_eq!(bad.status(), 400);
    let body: serde_json::Value = bad.json().await.unwrap();
    assert_eq!(body["error"]["code"], "bad_query");

    // The unaccented rumour post raised an alert whose spans point at the matched words.
    let list: serde_json::Value = get("/api/alerts?state=new&limit=100", &admin).await.unwrap().json().await.unwrap();
    let alert = list["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["title"].as_str().unwrap().starts_with("Nghe noi tiem vac xin"))
        .expect("alert for the unaccented post")
        .clone();
    let id = alert["id"].as_i64().unwrap();
    assert_eq!(alert["rule"], "health.vaccine_harm_rumor");
    let detail: serde_json::Value = get(&format!("/api/alerts/{id}"), &admin).await.unwrap().json().await.unwrap();
    let item = &detail["items"][0];
    let flag = item["flags"].as_array().unwrap().iter().find(|f| f["rule"] == "health.vaccine_harm_rumor").unwrap();
    let mut words: Vec<String> = flag["spans"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let field = item[s["field"].as_str().unwrap()].as_str().unwrap();
            field[s["start"].as_u64().unwrap() as usize..s["end"].as_u64().unwrap() as usize].to_lowercase()
        })
        .collect();
    words.sort();
    words.dedup();
    assert!(words.iter().all(|w| ["vac xin", "vo sinh", "bien chung"].contains(&w.as_str())), "{words:?}");
    assert!(words.contains(&"vac xin".to_string()) && words.contains(&"vo sinh".to_string()), "{words:?}");

    // Claim it; a second collaborator is refused; verdict; the audit trail has every step.
    let post = |path: String, token: String, body: Option<serde_json::Value>| {
        let mut r = http.post(format!("{}{path}", server.base)).bearer_auth(token);
        if let Some(b) = body {
            r = r.json(&b);
        }
        r.send()
    };
    let claimed = post(format!("/api/alerts/{id}/claim"), admin.clone(), None).await.unwrap();
    assert_eq!(claimed.status(), 200);
    let claimed: serde_json::Value = claimed.json().await.unwrap();
    assert_eq!((claimed["state"].as_str(), claimed["claimed_by"].as_str()), (Some("claimed"), Some("demo")));
    assert!(claimed["lease_expires_at"].is_string());
    assert_eq!(post(format!("/api/alerts/{id}/claim"), lan.clone(), None).await.unwrap().status(), 409);
    let early = post(
        format!("/api/alerts/{id}/verdict"),
        lan.clone(),
        Some(serde_json::json!({"verdict": "dismissed", "reason": "false_positive"})),
    )
    .await
    .unwrap();
    assert_eq!(early.status(), 409);
    let done = post(
        format!("/api/alerts/{id}/verdict"),
        admin.clone(),
        Some(serde_json::json!({"verdict": "confirmed", "reason": "misinformation", "note": "đã báo cáo"})),
    )
    .await
    .unwrap();
    assert_eq!(done.status(), 200);
    let done: serde_json::Value = done.json().await.unwrap();
    assert_eq!(
        (done["state"].as_str(), done["verdict"].as_str(), done["reason"].as_str()),
        (Some("confirmed"), Some("confirmed"), Some("misinformation"))
    );
    let detail: serde_json::Value = get(&format!("/api/alerts/{id}"), &admin).await.unwrap().json().await.unwrap();
    let actions: Vec<&str> =
        detail["audit"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["raised", "claim", "verdict"]);
    let malformed =
        post(format!("/api/alerts/{id}/verdict"), admin.clone(), Some(serde_json::json!({"verdict": "maybe"})))
            .await
            .unwrap();
    assert_eq!(malformed.status(), 400);
    assert_eq!(get("/api/alerts/999999", &admin).await.unwrap().status(), 404);

    // The UI pages render for a logged-in user and escape what they show.
    let page = http.get(format!("{}/alerts/{id}", server.base)).send().await.unwrap();
    assert!(page.url().path().starts_with("/login"), "anonymous visitors are sent to the login page");
    assert!(page.headers().get("content-security-policy").is_some());

    // The data directory is locked while the server runs.
    let started = Instant::now();
    let busy = d.run(&["crawl", "--once"], None);
    assert_eq!(busy.status.code(), Some(1));
    assert!(stderr(&busy).contains("in use by another duluan process"), "{}", stderr(&busy));
    assert!(started.elapsed() < Duration::from_secs(30));
    drop(server);
}
