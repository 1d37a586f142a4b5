//! The HTTP API as clients see it: the OpenAPI document against the routes, auth and CSRF,
//! role checks, limits, rate limits, metrics, and one winner among a hundred concurrent claims.

use std::sync::Arc;

use chrono::Utc;
use duluan_model::Role;
use duluan_pipeline::IngestRecord;
use duluan_store::TokenKind;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::Harness;

pub(crate) struct Api {
    pub(crate) base: String,
    pub(crate) harness: Harness,
    pub(crate) http: reqwest::Client,
    /// The rules in force as the web app shows them.
    pub(crate) rules: Arc<duluan_rules::review::RulesInForce>,
}

/// A harness with a few alerts, served by the real router on 127.0.0.1.
pub(crate) async fn api(tweak: impl FnOnce(&mut duluan_config::Config)) -> Api {
    let harness = Harness::new(tweak).await;
    let records = (0..3).map(|n| IngestRecord::Text {
        label: format!("r{n}"),
        url: format!("https://bao.example/tin-don-{n}.html"),
        title: format!("Tin đồn số {n}"),
        text: format!("Nghe nói tiêm vắc xin xong bị vô sinh, bản tin số {n} lan truyền trong nhóm phụ huynh."),
        published_at: None,
        lang: None,
    });
    duluan_pipeline::ingest(harness.pipeline.clone(), records, "test", 2, |_, _| {}).await.expect("ingest");
    harness.flush().await;
    duluan_web::metrics::install();
    let p = &harness.pipeline;
    let rules = Arc::new(duluan_rules::review::RulesInForce::new(duluan_rules::review::RuleCatalog::new(
        p.engine().rules.rules(),
    )));
    let state = duluan_web::AppState {
        store: p.store.clone(),
        index: p.index.clone(),
        config: p.config.clone(),
        sources: Arc::new(Vec::new()),
        rules: rules.clone(),
        throttle: Arc::new(duluan_web::auth::LoginThrottle::default()),
        limiter: Arc::new(duluan_web::limits::RateLimiter::new(
            p.config.server.rate_limit_per_second,
            p.config.server.rate_limit_burst,
        )),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let app = duluan_web::router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
        axum::serve(listener, app).await
    });
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    Api { base: format!("http://{addr}"), harness, http, rules }
}

impl Api {
    /// A user with a role and an API token.
    pub(crate) async fn user(&self, name: &str, role: Role) -> String {
        self.user_in(name, role, None).await
    }

    /// A user of a team queue with a role and an API token.
    pub(crate) async fn user_in(&self, name: &str, role: Role, team: Option<&str>) -> String {
        let store = &self.harness.pipeline.store;
        let hash = duluan_web::auth::hash_password("mat-khau-dai-du").expect("hash");
        let user = store.create_user(name, &hash, role, team, Utc::now()).await.expect("user");
        let token = duluan_web::auth::new_secret("dl_");
        store
            .create_token(user.id, "test", TokenKind::Api, &duluan_web::auth::secret_hash(&token), Utc::now())
            .await
            .expect("token");
        token
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub(crate) async fn first_alert(&self, token: &str) -> i64 {
        let list: Value = self
            .http
            .get(self.url("/api/alerts?state=new"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        list["alerts"][0]["id"].as_i64().expect("an alert")
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_matches_the_router() {
    let a = api(|_| {}).await;
    let admin = a.user("admin", Role::Admin).await;
    let doc: Value = a.http.get(a.url("/api/openapi.json")).send().await.unwrap().json().await.unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    assert!(doc["info"]["title"].is_string() && doc["components"]["securitySchemes"]["bearer"].is_object());
    let mut operations = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            operations += 1;
            assert!(op["operationId"].is_string() && op["responses"]["400"].is_object(), "{method} {path}");
            let concrete = path.replace("{id}", "1");
            let req = match method.as_str() {
                "get" => a.http.get(a.url(&concrete)),
                "post" => a.http.post(a.url(&concrete)).json(&json!({})),
                "delete" => a.http.delete(a.url(&concrete)),
                other => panic!("unexpected method {other}"),
            };
            let resp = req.bearer_auth(&admin).send().await.unwrap();
            assert_ne!(resp.status(), StatusCode::METHOD_NOT_ALLOWED, "{method} {path} is documented but not routed");
            let status = resp.status();
            if status == StatusCode::NOT_FOUND {
                let body: Value = resp.json().await.unwrap();
                assert!(
                    !body["error"]["message"].as_str().unwrap_or("").starts_with("no route"),
                    "{method} {path} is documented but not routed"
                );
            }
            let documented = op["responses"].as_object().unwrap().contains_key(status.as_str());
            assert!(documented, "{method} {path} answered {status}, which its operation does not document");
        }
    }
    assert!(operations >= 17, "{operations} operations");
    // Routes that do not exist answer with the error body, not a plain-text 404.
    let missing = a.http.get(a.url("/api/nope")).bearer_auth(&admin).send().await.unwrap();
    assert_eq!(missing.status(), 404);
    assert_eq!(missing.json::<Value>().await.unwrap()["error"]["code"], "not_found");
    let wrong_method = a.http.delete(a.url("/api/search")).bearer_auth(&admin).send().await.unwrap();
    assert_eq!(wrong_method.status(), 405);
    assert_eq!(wrong_method.json::<Value>().await.unwrap()["error"]["code"], "method_not_allowed");
    let docs = a.http.get(a.url("/api/docs")).send().await.unwrap();
    assert_eq!(docs.status(), 200);
    let html = docs.text().await.unwrap();
    assert!(html.contains("/api/alerts/{id}/claim") && html.contains("ErrorBody"));
    a.harness.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auth_csrf_roles_and_login_throttle() {
    let a = api(|_| {}).await;
    let admin = a.user("admin", Role::Admin).await;
    let viewer = a.user("xem", Role::Viewer).await;
    a.user("lan", Role::Collaborator).await;
    let id = a.first_alert(&admin).await;
    // 401: who are you?
    assert_eq!(a.http.get(a.url("/api/alerts")).send().await.unwrap().status(), 401);
    assert_eq!(a.http.get(a.url("/api/alerts")).bearer_auth("dl_wrong").send().await.unwrap().status(), 401);
    assert_eq!(a.http.get(a.url("/metrics")).send().await.unwrap().status(), 401);
    // 403: a viewer may read but not triage, and the attempt is audited.
    assert_eq!(
        a.http.get(a.url(&format!("/api/alerts/{id}"))).bearer_auth(&viewer).send().await.unwrap().status(),
        200
    );
    let denied = a.http.post(a.url(&format!("/api/alerts/{id}/claim"))).bearer_auth(&viewer).send().await.unwrap();
    assert_eq!(denied.status(), 403);
    let detail: Value =
        a.http.get(a.url(&format!("/api/alerts/{id}"))).bearer_auth(&admin).send().await.unwrap().json().await.unwrap();
    assert!(
        detail["audit"].as_array().unwrap().iter().any(|e| e["action"] == "denied" && e["who"] == "xem"),
        "{detail}"
    );
    // Session login: state changes need the CSRF token.
    let login = a
        .http
        .post(a.url("/login"))
        .form(&[("username", "lan"), ("password", "mat-khau-dai-du")])
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 303);
    let cookie = login.headers().get("set-cookie").unwrap().to_str().unwrap().split(';').next().unwrap().to_string();
    assert!(cookie.starts_with("duluan_session="));
    let claim = |csrf: Option<&str>| {
        let mut r = a.http.post(a.url(&format!("/api/alerts/{id}/claim"))).header("cookie", &cookie);
        if let Some(c) = csrf {
            r = r.header("x-csrf-token", c);
        }
        r.send()
    };
    assert_eq!(claim(None).await.unwrap().status(), 403);
    assert_eq!(claim(Some("forged")).await.unwrap().status(), 403);
    let page = a
        .http
        .get(a.url(&format!("/alerts/{id}")))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = page
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("csrf in the page")
        .to_string();
    assert_eq!(claim(Some(&csrf)).await.unwrap().status(), 200);
    // Tokens: create, use, revoke; the token in use cannot revoke itself.
    let created: Value = a
        .http
        .post(a.url("/api/tokens"))
        .bearer_auth(&admin)
        .json(&json!({"name": "script"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let new_token = created["token"].as_str().unwrap().to_string();
    assert_eq!(a.http.get(a.url("/api/tokens")).bearer_auth(&new_token).send().await.unwrap().status(), 200);
    let own =
        a.http.delete(a.url(&format!("/api/tokens/{}", created["id"]))).bearer_auth(&new_token).send().await.unwrap();
    assert_eq!(own.status(), 409);
    let revoked =
        a.http.delete(a.url(&format!("/api/tokens/{}", created["id"]))).bearer_auth(&admin).send().await.unwrap();
    assert_eq!(revoked.status(), 204);
    assert_eq!(a.http.get(a.url("/api/tokens")).bearer_auth(&new_token).send().await.unwrap().status(), 401);
    // Brute force: the account locks after ten failures, with Retry-After.
    for _ in 0..10 {
        let r = a.http.post(a.url("/login")).form(&[("username", "admin"), ("password", "sai")]).send().await.unwrap();
        assert_eq!(r.status(), 401);
    }
    let locked = a
        .http
        .post(a.url("/login"))
        .form(&[("username", "admin"), ("password", "mat-khau-dai-du")])
        .send()
        .await
        .unwrap();
    assert_eq!(locked.status(), 429);
    assert!(locked.headers().get("retry-after").is_some());
    a.harness.close().await;
}

/// Hostile input 24: every role tries every operation the document says it may not do; each
/// try is refused with 403 before the handler runs and lands in the audit log.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_role_is_refused_what_it_may_not_do_and_each_refusal_is_audited() {
    let a = api(|_| {}).await;
    let admin = a.user("admin", Role::Admin).await;
    let id = a.first_alert(&admin).await;
    let mut tokens = Vec::new();
    for role in [Role::Viewer, Role::Collaborator, Role::Lead] {
        tokens.push((role, a.user(&format!("nguoi-{role}"), role).await));
    }
    let doc: Value = a.http.get(a.url("/api/openapi.json")).send().await.unwrap().json().await.unwrap();
    let mut tries = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let secured = op["security"]
                .as_array()
                .is_some_and(|s| s.iter().any(|r| r.as_object().is_some_and(|o| !o.is_empty())));
            let role = op["x-duluan-role"].as_str();
            assert_eq!(secured, role.is_some(), "{method} {path}: secured operations state their role, others none");
            let Some(needed) = role.map(|r| r.parse::<Role>().unwrap()) else { continue };
            for (role, token) in tokens.iter().filter(|(r, _)| *r < needed) {
                let concrete = path.replace("{id}", &id.to_string()).replace("{format}", "html");
                let req = match method.as_str() {
                    "get" => a.http.get(a.url(&concrete)),
                    "post" => a.http.post(a.url(&concrete)).json(&json!({"to": "admin", "action": "close"})),
                    "delete" => a.http.delete(a.url(&concrete)),
                    other => panic!("unexpected method {other}"),
                };
                let resp = req.bearer_auth(token).send().await.unwrap();
                assert_eq!(resp.status(), 403, "{role} {method} {path}");
                let body: Value = resp.json().await.unwrap();
                assert_eq!(body["error"]["code"], "forbidden", "{role} {method} {path}");
                tries.push((format!("nguoi-{role}"), format!("{} {concrete}:", method.to_uppercase())));
            }
        }
    }
    assert!(tries.len() >= 24, "only {} refused tries", tries.len());
    let mut logged = Vec::new();
    let mut cursor = String::new();
    loop {
        let page: Value = a
            .http
            .get(a.url(&format!("/api/audit?action=denied&limit=20{cursor}")))
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        logged.extend(page["entries"].as_array().unwrap().iter().cloned());
        match page["next"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => break,
        }
    }
    assert_eq!(logged.len(), tries.len(), "one audit entry per refusal");
    for (who, what) in &tries {
        let found = logged.iter().any(|e| e["who"] == who.as_str() && e["detail"].as_str().unwrap().starts_with(what));
        assert!(found, "no audit entry for {who} {what}");
    }
    // Refusals of alert actions are also on the alert's own trail.
    let detail: Value =
        a.http.get(a.url(&format!("/api/alerts/{id}"))).bearer_auth(&admin).send().await.unwrap().json().await.unwrap();
    let on_alert = detail["audit"].as_array().unwrap().iter().filter(|e| e["action"] == "denied").count();
    assert!(on_alert >= 12, "{on_alert} refusals on the alert's trail");
    a.harness.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_and_oversized_requests_get_4xx_with_the_error_body() {
    let a = api(|c| c.server.max_body_bytes = 4096).await;
    let admin = a.user("admin", Role::Admin).await;
    let id = a.first_alert(&admin).await;
    let verdict = a.url(&format!("/api/alerts/{id}/verdict"));
    let send = |body: Vec<u8>, content_type: &'static str| {
        a.http.post(&verdict).bearer_auth(&admin).header("content-type", content_type).body(body).send()
    };
    let cases: Vec<(Vec<u8>, &str, u16)> = vec![
        (vec![b'x'; 10_000], "application/json", 413),
        (format!("{}1{}", "[".repeat(100), "]".repeat(100)).into_bytes(), "application/json", 400),
        (
            b"{\"verdict\": \"confirmed\", \"reason\": \"misinformation\", \"note\": \"\xff\xfe\"}".to_vec(),
            "application/json",
            400,
        ),
        (br#"{"verdict": "confirmed", "reason": "misinformation", "extra": 1}"#.to_vec(), "application/json", 400),
        (br#"{"verdict": "maybe", "reason": "misinformation"}"#.to_vec(), "application/json", 400),
        (br#"{"verdict": "confirmed""#.to_vec(), "application/json", 400),
        (br#"verdict=confirmed"#.to_vec(), "application/x-www-form-urlencoded", 415),
    ];
    for (body, ct, want) in cases {
        let r = send(body, ct).await.unwrap();
        assert_eq!(r.status().as_u16(), want);
        let body: Value = r.json().await.unwrap();
        assert!(body["error"]["code"].is_string() && body["error"]["message"].is_string(), "{body}");
    }
    let long_query = a.url(&format!("/api/search?q={}", "a".repeat(9000)));
    assert_eq!(a.http.get(long_query).bearer_auth(&admin).send().await.unwrap().status(), 400);
    for bad in [
        "/api/search?limit=0",
        "/api/search?limit=101",
        "/api/search?offset=-1",
        "/api/search?sort=random",
        "/api/search?from=yesterday",
        "/api/alerts?state=lost",
        "/api/alerts?cursor=x",
        "/api/alerts/abc",
    ] {
        let r = a.http.get(a.url(bad)).bearer_auth(&admin).send().await.unwrap();
        assert_eq!(r.status(), 400, "{bad}");
    }
    a.harness.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limits_answer_429_with_retry_after() {
    let a = api(|c| {
        c.server.rate_limit_per_second = 1.0;
        c.server.rate_limit_burst = 3.0;
    })
    .await;
    let admin = a.user("admin", Role::Admin).await;
    let mut statuses = Vec::new();
    for _ in 0..5 {
        let r = a.http.get(a.url("/api/sources")).bearer_auth(&admin).send().await.unwrap();
        statuses.push(r.status().as_u16());
        if r.status() == 429 {
            assert!(r.headers().get("retry-after").is_some());
            assert_eq!(r.json::<Value>().await.unwrap()["error"]["code"], "rate_limited");
        }
    }
    assert_eq!(&statuses[..3], [200, 200, 200]);
    assert_eq!(statuses[4], 429);
    // Anonymous callers are limited per address, and health checks are never limited.
    for _ in 0..10 {
        assert_eq!(a.http.get(a.url("/healthz")).send().await.unwrap().status(), 200);
    }
    a.harness.close().await;
}

fn metric(text: &str, name: &str) -> f64 {
    text.lines().filter(|l| l.starts_with(name)).filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok()).sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_move_and_a_hundred_claims_have_one_winner() {
    let a = api(|_| {}).await;
    let admin = a.user("admin", Role::Admin).await;
    let before = a.http.get(a.url("/metrics")).bearer_auth(&admin).send().await.unwrap().text().await.unwrap();
    let records = vec![IngestRecord::Text {
        label: "m".into(),
        url: "https://bao.example/gam-hang.html".into(),
        title: "Găm hàng".into(),
        text: "Đại lý găm hàng khiến giá gas tăng giá mạnh sau bão.".into(),
        published_at: None,
        lang: None,
    }];
    duluan_pipeline::ingest(a.harness.pipeline.clone(), records.into_iter(), "test", 1, |_, _| {}).await.unwrap();
    a.harness.flush().await;
    let after = a.http.get(a.url("/metrics")).bearer_auth(&admin).send().await.unwrap().text().await.unwrap();
    for name in
        ["duluan_items_stored_total", "duluan_items_indexed_total", "duluan_flags_total", "duluan_alerts_raised_total"]
    {
        assert!(metric(&after, name) > metric(&before, name), "{name} did not move:\n{after}");
    }
    assert!(after.contains("duluan_http_request_duration_seconds_bucket") && after.contains("route=\"/metrics\""));
    assert!(after.contains("duluan_alerts{state=\"new\"}"));

    let id = a.first_alert(&admin).await;
    let mut tokens = Vec::new();
    for n in 0..100 {
        tokens.push((format!("ctv{n}"), a.user(&format!("ctv{n}"), Role::Lead).await));
    }
    let mut claims = Vec::new();
    for (name, token) in tokens {
        let http = a.http.clone();
        let url = a.url(&format!("/api/alerts/{id}/claim"));
        claims.push(tokio::spawn(async move {
            (name, http.post(url).bearer_auth(token).send().await.map(|r| r.status().as_u16()))
        }));
    }
    let mut winners = Vec::new();
    let mut conflicts = 0;
    for c in claims {
        let (name, status) = c.await.unwrap();
        match status.unwrap() {
            200 => winners.push(name),
            409 => conflicts += 1,
            other => panic!("unexpected status {other}"),
        }
    }
    assert_eq!((winners.len(), conflicts), (1, 99), "{winners:?}");
    let detail: Value =
        a.http.get(a.url(&format!("/api/alerts/{id}"))).bearer_auth(&admin).send().await.unwrap().json().await.unwrap();
    assert_eq!(detail["claimed_by"], winners[0]);
    a.harness.close().await;
}
