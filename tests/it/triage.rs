//! The alert queue through the HTTP API: grouping, routing, silences, inhibition, leases,
//! handoff, assignment, bulk actions, the audit trail, the Atom feed; and notifications
//! delivered to local receivers (signed webhook, Slack, Telegram) with retries and give-ups.

use std::sync::{Arc, Mutex};

use axum::http::HeaderMap;
use chrono::Utc;
use duluan_model::Role;
use duluan_pipeline::IngestRecord;
use serde_json::{Value, json};

use crate::api::{Api, api};

/// Ingest texts as items of the `test` source.
async fn ingest(a: &Api, items: &[(&str, &str, &str)]) {
    let records: Vec<IngestRecord> = items
        .iter()
        .map(|(url, title, text)| IngestRecord::Text {
            label: (*url).to_string(),
            url: (*url).to_string(),
            title: (*title).to_string(),
            text: (*text).to_string(),
            published_at: None,
            lang: None,
        })
        .collect();
    duluan_pipeline::ingest(a.harness.pipeline.clone(), records.into_iter(), "test", 2, |_, _| {}).await.unwrap();
    a.harness.flush().await;
}

const VACCINE: &str = "Tin nhắn lan truyền: tiêm vắc xin mũi nhắc lại gây vô sinh ở trẻ em, phụ huynh hoang mang.";
const HOARDING: &str = "Một số đại lý găm hàng, giá gas tăng giá mạnh sau bão khiến người dân bức xúc.";

fn routes(toml_text: &str) -> Vec<duluan_config::Route> {
    #[derive(serde::Deserialize)]
    struct W {
        route: Vec<duluan_config::Route>,
    }
    toml::from_str::<W>(toml_text).unwrap().route
}

pub(crate) fn receivers(toml_text: &str) -> Vec<duluan_config::Receiver> {
    #[derive(serde::Deserialize)]
    struct W {
        receiver: Vec<duluan_config::Receiver>,
    }
    toml::from_str::<W>(toml_text).unwrap().receiver
}

impl Api {
    async fn get(&self, token: &str, path: &str) -> (u16, Value) {
        let r = self.http.get(self.url(path)).bearer_auth(token).send().await.unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    async fn post(&self, token: &str, path: &str, body: Value) -> (u16, Value) {
        let r = self.http.post(self.url(path)).bearer_auth(token).json(&body).send().await.unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    async fn alerts(&self, token: &str, query: &str) -> Vec<Value> {
        let (status, body) = self.get(token, &format!("/api/alerts?{query}")).await;
        assert_eq!(status, 200, "{body}");
        body["alerts"].as_array().unwrap().clone()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thirty_syndicated_copies_make_one_alert_routed_to_its_team() {
    let a = api(|c| {
        c.alerts.route = routes(
            "[[route]]\nteam = \"y-te\"\nrule_tags = [\"health\"]\n\n[[route]]\nteam = \"thi-truong\"\nrule_tags = [\"prices\"]\n",
        )
    })
    .await;
    let lead = a.user("truong-nhom", Role::Lead).await;
    let health = a.user_in("ctv-y-te", Role::Collaborator, Some("y-te")).await;
    let market = a.user_in("ctv-thi-truong", Role::Collaborator, Some("thi-truong")).await;
    let copies: Vec<(String, &str, &str)> = (0..30)
        .map(|n| (format!("https://bao{n}.example/vac-xin-vo-sinh.html"), "Vắc xin gây vô sinh?", VACCINE))
        .collect();
    let copies: Vec<(&str, &str, &str)> = copies.iter().map(|(u, t, x)| (u.as_str(), *t, *x)).collect();
    ingest(&a, &copies).await;
    ingest(&a, &[("https://cho.example/gas.html", "Găm hàng gas", HOARDING)]).await;

    // The harness raised three alerts of its own; the thirty copies add exactly one.
    let vaccine = a.alerts(&lead, "rule=health.vaccine_harm_rumor").await;
    assert_eq!(vaccine.len(), 4, "{vaccine:?}");
    let vaccine: Vec<Value> = vaccine.into_iter().filter(|x| x["title"] == "Vắc xin gây vô sinh?").collect();
    assert_eq!(vaccine.len(), 1);
    assert_eq!(vaccine[0]["item_count"], 30);
    assert_eq!(vaccine[0]["team"], "y-te");
    let (_, detail) = a.get(&lead, &format!("/api/alerts/{}", vaccine[0]["id"])).await;
    assert_eq!(detail["items"].as_array().unwrap().len(), 30);

    // Each collaborator sees only their team's queue.
    let seen_by_health = a.alerts(&health, "").await;
    assert!(!seen_by_health.is_empty() && seen_by_health.iter().all(|x| x["team"] == "y-te"), "{seen_by_health:?}");
    let seen_by_market = a.alerts(&market, "").await;
    assert!(!seen_by_market.is_empty() && seen_by_market.iter().all(|x| x["team"] == "thi-truong"));
    let (status, _) = a.get(&market, "/api/alerts?team=y-te").await;
    assert_eq!(status, 403);
    let (status, _) = a.get(&market, &format!("/api/alerts/{}", vaccine[0]["id"])).await;
    assert_eq!(status, 404, "another team's alert is invisible");
    a.harness.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silences_need_a_reason_and_confirmed_stories_do_not_page_again() {
    let a = api(|_| {}).await;
    let lead = a.user("lead", Role::Lead).await;
    let ctv = a.user("ctv", Role::Collaborator).await;
    ingest(&a, &[("https://a.example/gas-1.html", "Găm hàng gas", HOARDING)]).await;
    let hoarding = a.alerts(&lead, "rule=prices.hoarding_gouging").await;
    let story = hoarding[0]["story"].as_str().unwrap().to_string();

    // A reason is mandatory, collaborators cannot silence, an empty matcher is refused.
    let no_reason = json!({"matchers": {"rule": "prices.hoarding_gouging"}, "reason": "  "});
    assert_eq!(a.post(&lead, "/api/silences", no_reason).await.0, 400);
    let everything = json!({"matchers": {}, "reason": "tắt hết"});
    assert_eq!(a.post(&lead, "/api/silences", everything).await.0, 400);
    let body = json!({"matchers": {"rule": "prices.hoarding_gouging"}, "reason": "Đã có thông cáo của Sở Công Thương", "hours": 4});
    assert_eq!(a.post(&ctv, "/api/silences", body.clone()).await.0, 403);
    let (status, silence) = a.post(&lead, "/api/silences", body).await;
    assert_eq!(status, 201, "{silence}");
    assert_eq!((silence["creator"].as_str(), silence["active"].as_bool()), (Some("lead"), Some(true)));
    let (_, list) = a.get(&ctv, "/api/silences").await;
    assert_eq!(list["silences"][0]["reason"], "Đã có thông cáo của Sở Công Thương");

    // The open alert is muted: still recorded, out of the working queue.
    assert!(a.alerts(&lead, "rule=prices.hoarding_gouging").await.is_empty());
    let muted = a.alerts(&lead, "rule=prices.hoarding_gouging&muted=only").await;
    assert_eq!(muted.len(), 1);
    ingest(&a, &[("https://b.example/gas-2.html", "Găm hàng gas", HOARDING)]).await;
    let muted = a.alerts(&lead, "rule=prices.hoarding_gouging&muted=only").await;
    assert_eq!(muted[0]["item_count"], 2, "new copies are still recorded");

    // Ending the silence brings it back.
    let id = silence["id"].as_i64().unwrap();
    let r = a.http.delete(a.url(&format!("/api/silences/{id}"))).bearer_auth(&lead).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(a.alerts(&lead, "rule=prices.hoarding_gouging").await.len(), 1);

    // Inhibition: once confirmed, new copies of the story join the confirmed alert.
    let alert = hoarding[0]["id"].as_i64().unwrap();
    assert_eq!(a.post(&ctv, &format!("/api/alerts/{alert}/claim"), json!({})).await.0, 200);
    let verdict = json!({"verdict": "confirmed", "reason": "needs_response", "note": "Đã báo Sở"});
    assert_eq!(a.post(&ctv, &format!("/api/alerts/{alert}/verdict"), verdict).await.0, 200);
    ingest(&a, &[("https://c.example/gas-3.html", "Găm hàng gas", HOARDING)]).await;
    let all = a.alerts(&lead, "rule=prices.hoarding_gouging&muted=include").await;
    assert_eq!(all.len(), 1, "no new alert for a confirmed story: {all:?}");
    assert_eq!((all[0]["state"].as_str(), all[0]["item_count"].as_i64()), (Some("confirmed"), Some(3)));
    assert_eq!(all[0]["story"], story.as_str());
    a.harness.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leases_expire_handoffs_and_assignments_move_the_holder_and_all_is_audited() {
    let a = api(|_| {}).await;
    let lead = a.user("lead", Role::Lead).await;
    let lan = a.user("lan", Role::Collaborator).await;
    let minh = a.user("minh", Role::Collaborator).await;
    let _viewer = a.user("xem", Role::Viewer).await;
    let id = a.first_alert(&lead).await;
    let path = |action: &str| format!("/api/alerts/{id}/{action}");

    assert_eq!(a.post(&lan, &path("claim"), json!({})).await.0, 200);
    assert_eq!(a.post(&minh, &path("claim"), json!({})).await.0, 409, "held by lan");
    assert_eq!(a.post(&lan, &path("handoff"), json!({"to": "xem"})).await.0, 400, "a viewer cannot triage");
    let (status, handed) = a.post(&lan, &path("handoff"), json!({"to": "minh"})).await;
    assert_eq!((status, handed["claimed_by"].as_str()), (200, Some("minh")));

    // The lease runs out: back in the queue.
    let later = Utc::now() + chrono::Duration::hours(3);
    assert_eq!(a.harness.pipeline.store.expire_leases(later).await.unwrap(), 1);
    let (_, back) = a.get(&lead, &format!("/api/alerts/{id}")).await;
    assert_eq!((back["state"].as_str(), back["claimed_by"].as_str()), (Some("new"), None));

    // A late verdict from the old holder, after someone else took the expired lease, is refused.
    assert_eq!(a.post(&lan, &path("claim"), json!({})).await.0, 200);
    let later = Utc::now() + chrono::Duration::hours(6);
    assert_eq!(a.harness.pipeline.store.expire_leases(later).await.unwrap(), 1);
    assert_eq!(a.post(&minh, &path("claim"), json!({})).await.0, 200);
    let late = json!({"verdict": "confirmed", "reason": "misinformation"});
    assert_eq!(a.post(&lan, &path("verdict"), late).await.0, 409);
    assert_eq!(a.post(&lan, &path("release"), json!({})).await.0, 409);
    let (_, held) = a.get(&lead, &format!("/api/alerts/{id}")).await;
    assert_eq!((held["state"].as_str(), held["claimed_by"].as_str()), (Some("claimed"), Some("minh")));
    assert_eq!(a.post(&minh, &path("release"), json!({})).await.0, 200);

    // Only leads assign, set priority and close.
    assert_eq!(a.post(&lan, &path("assign"), json!({"to": "lan"})).await.0, 403);
    let (status, assigned) = a.post(&lead, &path("assign"), json!({"to": "lan"})).await;
    assert_eq!((status, assigned["claimed_by"].as_str()), (200, Some("lan")));
    assert_eq!(a.post(&lan, &path("priority"), json!({"priority": "urgent"})).await.0, 403);
    let (_, urgent) = a.post(&lead, &path("priority"), json!({"priority": "urgent"})).await;
    assert_eq!(urgent["priority"], "urgent");
    assert_eq!(a.post(&lead, &path("close"), json!({})).await.0, 409, "not decided yet");
    let verdict = json!({"verdict": "dismissed", "reason": "false_positive"});
    assert_eq!(a.post(&lan, &path("verdict"), verdict).await.0, 200);
    let (status, closed) = a.post(&lead, &path("close"), json!({})).await;
    assert_eq!((status, closed["state"].as_str()), (200, Some("closed")));

    let (_, detail) = a.get(&lead, &format!("/api/alerts/{id}")).await;
    let audit: Vec<(String, String)> = detail["audit"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["who"].as_str().unwrap().to_string(), e["action"].as_str().unwrap().to_string()))
        .collect();
    for (who, action) in [
        ("lan", "claim"),
        ("lan", "handoff"),
        ("system", "lease_expired"),
        ("lead", "assign"),
        ("lan", "denied"),
        ("lead", "priority"),
        ("lan", "verdict"),
        ("lead", "close"),
    ] {
        assert!(audit.iter().any(|(w, a)| w == who && a == action), "no {who}/{action} in {audit:?}");
    }
    assert!(detail["audit"].as_array().unwrap().iter().all(|e| e["at"].is_string()));
    a.harness.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_actions_apply_to_ids_or_a_filter_and_report_each_alert() {
    let a = api(|_| {}).await;
    let lead = a.user("lead", Role::Lead).await;
    let ctv = a.user("ctv", Role::Collaborator).await;
    ingest(&a, &[("https://a.example/gas.html", "Găm hàng gas", HOARDING)]).await;
    let ids: Vec<i64> = a.alerts(&lead, "state=new").await.iter().map(|x| x["id"].as_i64().unwrap()).collect();
    assert!(ids.len() >= 4, "{ids:?}");

    let (status, claimed) = a.post(&ctv, "/api/alerts/bulk", json!({"action": "claim", "ids": &ids[..2]})).await;
    assert_eq!((status, claimed["done"].as_u64()), (200, Some(2)), "{claimed}");
    // Someone else's claims fail one by one without stopping the rest.
    let (_, mixed) = a.post(&lead, "/api/alerts/bulk", json!({"action": "claim", "ids": &ids[..3]})).await;
    assert_eq!((mixed["done"].as_u64(), mixed["failed"].as_u64()), (Some(1), Some(2)), "{mixed}");
    assert!(mixed["results"][0]["error"].as_str().unwrap().contains("ctv"));

    let (_, dismissed) = a
        .post(&ctv, "/api/alerts/bulk", json!({"action": "dismiss", "filter": {"mine": true}, "reason": "duplicate"}))
        .await;
    assert_eq!(dismissed["done"], 2, "{dismissed}");
    assert!(dismissed["results"].as_array().unwrap().iter().all(|r| r["alert"]["reason"] == "duplicate"));

    assert_eq!(
        a.post(&ctv, "/api/alerts/bulk", json!({"action": "assign", "ids": [ids[3]], "to": "ctv"})).await.0,
        403
    );
    let (_, assigned) =
        a.post(&lead, "/api/alerts/bulk", json!({"action": "assign", "ids": [ids[3]], "to": "ctv"})).await;
    assert_eq!(assigned["results"][0]["alert"]["claimed_by"], "ctv");

    let silence = json!({"action": "silence", "ids": &ids[3..], "hours": 2});
    assert_eq!(a.post(&lead, "/api/alerts/bulk", silence).await.0, 400, "a silence needs a reason");
    let silence = json!({"action": "silence", "ids": &ids[3..], "hours": 2, "note": "Đang xử lý ở cấp phường"});
    let (status, silenced) = a.post(&lead, "/api/alerts/bulk", silence).await;
    assert_eq!(status, 200, "{silenced}");
    assert_eq!(silenced["silences"].as_array().unwrap().len(), ids.len() - 3);
    assert_eq!(a.alerts(&lead, "state=new").await.len(), 0, "the rest are muted");

    let neither = a.post(&lead, "/api/alerts/bulk", json!({"action": "claim"})).await;
    assert_eq!(neither.0, 400);
    let too_many = a.post(&lead, "/api/alerts/bulk", json!({"action": "claim", "ids": vec![1; 501]})).await;
    assert_eq!(too_many.0, 400);
    a.harness.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_feed_token_reads_the_team_queue_as_atom_until_revoked() {
    let a = api(|_| {}).await;
    let ctv = a.user("ctv", Role::Collaborator).await;
    let (status, created) = a.post(&ctv, "/api/tokens", json!({"name": "Feedly", "kind": "feed"})).await;
    assert_eq!(status, 201);
    let feed_token = created["token"].as_str().unwrap().to_string();
    let team = "chung";
    let feed = a.http.get(a.url(&format!("/feeds/{team}?token={feed_token}"))).send().await.unwrap();
    assert_eq!(feed.status(), 200);
    assert!(feed.headers()["content-type"].to_str().unwrap().starts_with("application/atom+xml"));
    let xml = feed.text().await.unwrap();
    assert!(xml.starts_with("<?xml") && xml.contains("<entry>") && xml.contains("Tin đồn số"), "{xml}");
    // The address DESIGN gives, with `.atom`, is the same queue.
    let atom = a.http.get(a.url(&format!("/feeds/{team}.atom?token={feed_token}"))).send().await.unwrap();
    assert_eq!(atom.status(), 200);
    assert_eq!(atom.text().await.unwrap().matches("<entry>").count(), xml.matches("<entry>").count());
    // The API token is not a feed token, and a feed token is not an API token.
    assert_eq!(a.http.get(a.url(&format!("/feeds/{team}?token={ctv}"))).send().await.unwrap().status(), 401);
    assert_eq!(a.get(&feed_token, "/api/alerts").await.0, 401);
    let other = a.http.get(a.url(&format!("/feeds/khac?token={feed_token}"))).send().await.unwrap();
    assert_eq!(other.status(), 403, "a collaborator reads only their own queue");
    let id = created["id"].as_i64().unwrap();
    let r = a.http.delete(a.url(&format!("/api/tokens/{id}"))).bearer_auth(&ctv).send().await.unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(a.http.get(a.url(&format!("/feeds/{team}?token={feed_token}"))).send().await.unwrap().status(), 401);
    a.harness.close().await;
}

/// What local receivers got: (path, headers, body).
pub(crate) type Received = Arc<Mutex<Vec<(String, HeaderMap, String)>>>;

/// A receiver server: `/hook` answers with the statuses in `script` in turn (200 once it runs
/// out), `/down` always 500; everything is recorded.
pub(crate) async fn receiver_server(script: Vec<u16>) -> (String, Received) {
    let received: Received = Default::default();
    let script = Arc::new(Mutex::new(script.into_iter()));
    let log = received.clone();
    let app = axum::Router::new().fallback(move |req: axum::extract::Request| {
        let log = log.clone();
        let script = script.clone();
        async move {
            let path = req.uri().path().to_string();
            let headers = req.headers().clone();
            let body = axum::body::to_bytes(req.into_body(), 1 << 20).await.unwrap();
            log.lock().unwrap().push((path.clone(), headers, String::from_utf8_lossy(&body).into_owned()));
            let status = if path == "/down" {
                500
            } else if path.contains("/sendMessage") {
                return (axum::http::StatusCode::OK, r#"{"ok":true,"result":{}}"#.to_string());
            } else if path == "/hook" {
                script.lock().unwrap().next().unwrap_or(200)
            } else {
                200
            };
            (axum::http::StatusCode::from_u16(status).unwrap(), String::new())
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}"), received)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notifications_reach_local_receivers_signed_retried_and_given_up_visibly() {
    let (base, received) = receiver_server(vec![500, 500]).await;
    let config_receivers = receivers(&format!(
        "[[receiver]]\nname = \"hook\"\nkind = \"webhook\"\nurl = \"{base}/hook\"\nsecret = \"bi-mat\"\nallow_private = true\n\n\
         [[receiver]]\nname = \"chat\"\nkind = \"slack\"\nurl = \"{base}/slack\"\nallow_private = true\n\n\
         [[receiver]]\nname = \"tele\"\nkind = \"telegram\"\nurl = \"{base}\"\nsecret = \"123:abc\"\nchat_id = \"-100\"\nallow_private = true\n\n\
         [[receiver]]\nname = \"hong\"\nkind = \"webhook\"\nurl = \"{base}/down\"\nallow_private = true\n\n\
         [[receiver]]\nname = \"cam\"\nkind = \"webhook\"\nurl = \"http://127.0.0.1:9/blocked\"\n"
    ));
    let a = api(move |c| {
        c.alerts.receiver = config_receivers;
        c.alerts.receivers = ["hook", "chat", "tele", "hong", "cam"].map(String::from).to_vec();
        c.alerts.notify.max_attempts = 3;
        c.alerts.notify.retry_base_secs = 1;
        c.alerts.notify.retry_max_secs = 2;
        c.server.public_url = "https://duluan.example".into();
    })
    .await;
    let lead = a.user("lead", Role::Lead).await;
    let notifier = duluan_alerts::Notifier::new(a.harness.pipeline.store.clone(), &a.harness.pipeline.config).unwrap();
    let mut now = Utc::now();
    let first = notifier.pass(now).await.unwrap();
    // 3 alerts × 5 receivers: slack and telegram delivered, the hook once (it answers 500 to
    // the first two requests: retried); `hong` retries; `cam` is loopback without
    // allow_private: refused for good.
    assert_eq!((first.sent, first.retried, first.failed), (7, 5, 3), "{first:?}");
    for _ in 0..4 {
        now += chrono::Duration::seconds(10);
        notifier.pass(now).await.unwrap();
    }

    let got = received.lock().unwrap().clone();
    let hooks: Vec<&(String, HeaderMap, String)> = got.iter().filter(|(p, _, _)| p == "/hook").collect();
    let (_, log) = a.get(&lead, "/api/notifications?limit=200").await;
    assert_eq!(hooks.len(), 5, "two 500s, then three deliveries: {log}");
    for (_, headers, body) in &hooks {
        let ts = headers["x-duluan-timestamp"].to_str().unwrap();
        let sig = headers["x-duluan-signature"].to_str().unwrap();
        let expected = duluan_alerts::notify::sign(b"bi-mat", ts.parse().unwrap(), body.as_bytes());
        assert_eq!(sig, format!("sha256={expected}"), "bad HMAC");
        let payload: Value = serde_json::from_str(body).unwrap();
        assert_eq!(payload["version"], 1);
        assert_eq!(payload["event"], "raised");
        assert!(payload["alert"]["url"].as_str().unwrap().starts_with("https://duluan.example/alerts/"));
        assert!(payload["alert"]["title"].as_str().unwrap().starts_with("Tin đồn số"));
        assert!(headers.contains_key("idempotency-key"));
    }
    let slack = got.iter().find(|(p, _, _)| p == "/slack").unwrap();
    let slack: Value = serde_json::from_str(&slack.2).unwrap();
    assert!(slack["text"].as_str().unwrap().contains("Cảnh báo mới"));
    let tele = got.iter().find(|(p, _, _)| p == "/bot123:abc/sendMessage").unwrap();
    let tele: Value = serde_json::from_str(&tele.2).unwrap();
    assert_eq!((tele["chat_id"].as_str(), tele["parse_mode"].as_str()), (Some("-100"), Some("HTML")));
    assert_eq!(got.iter().filter(|(p, _, _)| p == "/down").count(), 9, "3 attempts each, then given up");
    assert!(!got.iter().any(|(p, _, _)| p == "/blocked"));

    let (status, list) = a.get(&lead, "/api/receivers").await;
    assert_eq!(status, 200);
    let by_name = |n: &str| list["receivers"].as_array().unwrap().iter().find(|r| r["name"] == n).unwrap().clone();
    assert_eq!((by_name("hook")["stats"]["sent"].as_i64(), by_name("hook")["signed"].as_bool()), (Some(3), Some(true)));
    assert_eq!(by_name("hong")["stats"]["failed"], 3);
    assert!(by_name("hong")["stats"]["last_error"].as_str().unwrap().contains("500"));
    assert!(by_name("cam")["stats"]["last_error"].as_str().unwrap().contains("loopback"));
    let tele = by_name("tele");
    assert_eq!(tele["target"].as_str().unwrap(), "http://127.0.0.1", "no bot token in the target");
    assert!(!list.to_string().contains("123:abc") && !list.to_string().contains("bi-mat"), "secrets leaked: {list}");
    let (_, failed) = a.get(&lead, "/api/notifications?state=failed").await;
    assert_eq!(failed["notifications"].as_array().unwrap().len(), 6);
    let ctv = a.user("ctv", Role::Collaborator).await;
    assert_eq!(a.get(&ctv, "/api/receivers").await.0, 403);
    a.harness.close().await;
}

/// Log in through the form; returns the session cookie.
async fn login(a: &Api, name: &str) -> String {
    let r =
        a.http.post(a.url("/login")).form(&[("username", name), ("password", "mat-khau-dai-du")]).send().await.unwrap();
    assert_eq!(r.status(), 303);
    r.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_string()
}

async fn page(a: &Api, cookie: &str, path: &str) -> (u16, String) {
    let r = a.http.get(a.url(path)).header("cookie", cookie).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

fn csrf_of(html: &str) -> String {
    html.split("name=\"csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queue_alert_silences_and_receivers_pages_work_in_both_languages() {
    let a = api(|c| {
        c.alerts.receiver = receivers(
            "[[receiver]]\nname = \"nhom-y-te\"\nkind = \"slack\"\nurl = \"https://hooks.example/T0/B0/sekret\"\n",
        );
    })
    .await;
    a.user("lead", Role::Lead).await;
    a.user("lan", Role::Collaborator).await;
    ingest(&a, &[("https://a.example/gas.html", "Găm <b>hàng</b> gas", HOARDING)]).await;
    let lead = login(&a, "lead").await;

    let (status, queue) = page(&a, &lead, "/alerts").await;
    assert_eq!(status, 200);
    assert!(
        queue.contains("Hàng đợi cảnh báo") && queue.contains("Ưu tiên") && queue.contains("action=\"/alerts/bulk\"")
    );
    assert!(queue.contains("Găm &#60;b&#62;hàng&#60;/b&#62; gas"), "crawled titles are escaped: {queue}");
    assert!(!queue.contains("<b>hàng"));
    assert!(queue.contains("<option value=\"lan\">lan</option>"), "colleagues to assign to");
    let (_, queue_en) = page(&a, &lead, "/alerts?lang=en").await;
    assert!(queue_en.contains("Alert queue") && queue_en.contains("Priority") && queue_en.contains("With selected"));

    // Bulk from the queue form: set two alerts urgent.
    let ids: Vec<String> =
        queue.split("name=\"ids\" value=\"").skip(1).map(|s| s.split('"').next().unwrap().to_string()).collect();
    assert!(ids.len() >= 2);
    let csrf = csrf_of(&queue);
    let body = format!("csrf={csrf}&action=priority&priority=urgent&ids={}&ids={}&back=%2Falerts", ids[0], ids[1]);
    let r = a
        .http
        .post(a.url("/alerts/bulk"))
        .header("cookie", &lead)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let (_, after) = page(&a, &lead, "/alerts").await;
    assert_eq!(after.matches("prio-urgent").count(), 2, "two urgent rows");
    let forged = body.replace(&csrf, "forged");
    let r = a
        .http
        .post(a.url("/alerts/bulk"))
        .header("cookie", &lead)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(forged)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);

    // The alert page: highlighted spans, lead forms, the story section, the audit trail.
    let (_, alert) = page(&a, &lead, &format!("/alerts/{}", ids[0])).await;
    assert!(alert.contains("<mark>") && alert.contains("/assign") && alert.contains("Tạm tắt câu chuyện này"));
    assert!(alert.contains("Tin khác cùng câu chuyện") && alert.contains("Nhật ký xử lý"));

    // Silence a story from the silences page form; it is listed with creator and reason.
    let (_, silences) = page(&a, &lead, "/silences").await;
    let form = format!(
        "csrf={}&rule=prices.hoarding_gouging&hours=6&reason=%C4%90%C3%A3+c%C3%B3+th%C3%B4ng+c%C3%A1o",
        csrf_of(&silences)
    );
    let r = a
        .http
        .post(a.url("/silences"))
        .header("cookie", &lead)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let (_, silences) = page(&a, &lead, "/silences").await;
    assert!(
        silences.contains("rule=prices.hoarding_gouging")
            && silences.contains("Đã có thông cáo")
            && silences.contains("<td>lead</td>")
    );
    let (_, silences_en) = page(&a, &lead, "/silences?lang=en").await;
    assert!(silences_en.contains("End now") && silences_en.contains("Created by"));

    // Receivers: leads only, no secret URL parts.
    let (status, receivers_page) = page(&a, &lead, "/receivers").await;
    assert_eq!(status, 200);
    assert!(receivers_page.contains("nhom-y-te") && receivers_page.contains("https://hooks.example"));
    assert!(!receivers_page.contains("sekret"));
    let lan = login(&a, "lan").await;
    assert_eq!(page(&a, &lan, "/receivers").await.0, 403);
    let (_, lan_silences) = page(&a, &lan, "/silences").await;
    assert!(!lan_silences.contains("action=\"/silences\""), "collaborators cannot create silences");

    // The shortcut script is ours and the CSP allows nothing else.
    let js = a.http.get(a.url("/static/app.js")).send().await.unwrap();
    let csp = js.headers()["content-security-policy"].to_str().unwrap().to_string();
    assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"));
    assert!(js.text().await.unwrap().contains("keydown"));
    a.harness.close().await;
}

/// A minimal SMTP server on 127.0.0.1 that accepts every message and keeps the DATA parts.
pub(crate) async fn smtp_server() -> (u16, Arc<Mutex<Vec<String>>>) {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let mails: Arc<Mutex<Vec<String>>> = Default::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let store = mails.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let store = store.clone();
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut lines = BufReader::new(read).lines();
                write.write_all(b"220 localhost ESMTP test\r\n").await.unwrap();
                let mut data: Option<String> = None;
                while let Ok(Some(line)) = lines.next_line().await {
                    if let Some(body) = data.as_mut() {
                        if line == "." {
                            store.lock().unwrap().push(std::mem::take(body));
                            data = None;
                            write.write_all(b"250 queued\r\n").await.unwrap();
                        } else {
                            body.push_str(&line);
                            body.push('\n');
                        }
                        continue;
                    }
                    let verb = line.split_whitespace().next().unwrap_or("").to_ascii_uppercase();
                    let reply: &[u8] = match verb.as_str() {
                        "EHLO" | "HELO" => b"250-localhost\r\n250 8BITMIME\r\n",
                        "DATA" => {
                            data = Some(String::new());
                            b"354 go ahead\r\n"
                        }
                        "QUIT" => {
                            let _ = write.write_all(b"221 bye\r\n").await;
                            break;
                        }
                        _ => b"250 ok\r\n",
                    };
                    write.write_all(reply).await.unwrap();
                }
            });
        }
    });
    (port, mails)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn email_notifications_go_through_an_smtp_relay() {
    let (port, mails) = smtp_server().await;
    let config_receivers = receivers(&format!(
        "[[receiver]]\nname = \"thu\"\nkind = \"email\"\nurl = \"smtp://127.0.0.1:{port}?tls=none\"\n\
         from = \"duluan <canh-bao@duluan.example>\"\nto = [\"ban-du-luan@thanhpho.example\"]\nallow_private = true\n"
    ));
    let a = api(move |c| {
        c.alerts.receiver = config_receivers;
        c.alerts.receivers = vec!["thu".into()];
    })
    .await;
    let notifier = duluan_alerts::Notifier::new(a.harness.pipeline.store.clone(), &a.harness.pipeline.config).unwrap();
    let pass = notifier.pass(Utc::now()).await.unwrap();
    assert_eq!((pass.sent, pass.failed, pass.retried), (3, 0, 0), "{pass:?}");
    let mails = mails.lock().unwrap().clone();
    assert_eq!(mails.len(), 3);
    let mail = &mails[0];
    assert!(mail.contains("To: ban-du-luan@thanhpho.example"), "{mail}");
    assert!(mail.to_ascii_lowercase().contains("subject:"), "{mail}");
    a.harness.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_role_can_do_exactly_what_it_should() {
    let a = api(|_| {}).await;
    ingest(&a, &[("https://a.example/gas.html", "Găm hàng gas", HOARDING)]).await;
    let roles = [("xem", Role::Viewer), ("ctv", Role::Collaborator), ("lead", Role::Lead), ("admin", Role::Admin)];
    let mut tokens = Vec::new();
    for (name, role) in roles {
        tokens.push(a.user(name, role).await);
    }
    let ids: Vec<i64> = a.alerts(&tokens[3], "state=new").await.iter().map(|x| x["id"].as_i64().unwrap()).collect();
    assert!(ids.len() >= 4);
    // Rank: 0 viewer, 1 collaborator, 2 lead, 3 admin. Each row: what it takes and what it answers.
    for (rank, token) in tokens.iter().enumerate() {
        let id = ids[rank];
        let at_least = |needed: usize, ok: u16| if rank >= needed { ok } else { 403 };
        let checks: Vec<(&str, u16, u16)> = vec![
            ("GET /api/alerts", a.get(token, "/api/alerts").await.0, 200),
            ("GET /api/search", a.get(token, "/api/search?q=gas").await.0, 200),
            ("GET /api/rules/stats", a.get(token, "/api/rules/stats").await.0, 200),
            ("GET /api/silences", a.get(token, "/api/silences").await.0, 200),
            ("POST claim", a.post(token, &format!("/api/alerts/{id}/claim"), json!({})).await.0, at_least(1, 200)),
            (
                "POST bulk claim",
                a.post(token, "/api/alerts/bulk", json!({"action": "release", "ids": [id]})).await.0,
                at_least(1, 200),
            ),
            (
                "POST assign",
                a.post(token, &format!("/api/alerts/{id}/assign"), json!({"to": "ctv"})).await.0,
                at_least(2, 200),
            ),
            (
                "POST priority",
                a.post(token, &format!("/api/alerts/{id}/priority"), json!({"priority": "high"})).await.0,
                at_least(2, 200),
            ),
            (
                "POST bulk assign",
                a.post(token, "/api/alerts/bulk", json!({"action": "assign", "ids": [id], "to": "ctv"})).await.0,
                at_least(2, 200),
            ),
            (
                "POST silence",
                a.post(token, "/api/silences", json!({"matchers": {"story": "x"}, "reason": "thử"})).await.0,
                at_least(2, 201),
            ),
            ("GET /api/receivers", a.get(token, "/api/receivers").await.0, at_least(2, 200)),
            ("GET /api/notifications", a.get(token, "/api/notifications").await.0, at_least(2, 200)),
        ];
        for (what, got, want) in checks {
            assert_eq!(got, want, "{} → {what}", roles[rank].0);
        }
    }
    a.harness.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notes_reasons_and_queries_with_markup_are_escaped_on_every_page() {
    let a = api(|_| {}).await;
    let lead_token = a.user("lead", Role::Lead).await;
    let id = a.first_alert(&lead_token).await;
    let evil = "<script>window.__x=1</script><img src=x onerror=alert(1)>";
    assert_eq!(a.post(&lead_token, &format!("/api/alerts/{id}/claim"), json!({})).await.0, 200);
    let verdict = json!({"verdict": "escalated", "reason": "needs_response", "note": evil});
    assert_eq!(a.post(&lead_token, &format!("/api/alerts/{id}/verdict"), verdict).await.0, 200);
    let silence = json!({"matchers": {"rule": evil, "story": evil}, "reason": evil});
    assert_eq!(a.post(&lead_token, "/api/silences", silence).await.0, 201);

    let lead = login(&a, "lead").await;
    let query = url::form_urlencoded::byte_serialize(evil.as_bytes()).collect::<String>();
    for path in
        [format!("/alerts/{id}"), "/silences".to_string(), format!("/search?q={query}"), "/alerts?view=all".into()]
    {
        let (status, html) = page(&a, &lead, &path).await;
        assert!(status == 200 || status == 400, "{path}: {status}");
        assert!(!html.contains("<script>window") && !html.contains("<img src=x"), "{path} shows raw markup");
    }
    let (_, alert) = page(&a, &lead, &format!("/alerts/{id}")).await;
    assert!(alert.contains("&#60;script&#62;window.__x=1"), "the note is shown, escaped");
    let (_, silences) = page(&a, &lead, "/silences").await;
    assert!(silences.contains("&#60;img src=x onerror=alert(1)&#62;"), "the reason is shown, escaped");
    a.harness.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edited_item_that_no_longer_matches_stays_listed_in_its_alert() {
    let a = api(|_| {}).await;
    let lead = a.user("lead", Role::Lead).await;
    let url = "https://a.example/vx.html";
    let before = a.alerts(&lead, "").await.len();
    ingest(&a, &[(url, "Tin nhắn về vắc xin", VACCINE)]).await;
    let alerts = a.alerts(&lead, "").await;
    assert_eq!(alerts.len(), before + 1, "{alerts:?}");
    let id = alerts.iter().find(|x| x["title"] == "Tin nhắn về vắc xin").unwrap()["id"].as_i64().unwrap();
    // The page is corrected upstream: it no longer says what the rule looks for.
    ingest(&a, &[(url, "Tin nhắn về vắc xin", "Phụ huynh đưa trẻ đi tiêm vắc xin mũi nhắc lại theo lịch.")]).await;
    let cookie = login(&a, "lead").await;
    let (status, html) = page(&a, &cookie, &format!("/alerts/{id}")).await;
    assert_eq!(status, 200);
    assert!(html.contains("/items/") && html.contains("mũi nhắc lại theo lịch"), "the item is still listed");
    assert!(html.contains("không còn khớp quy tắc"), "with a note that it no longer matches");
    a.harness.close().await;
}
