//! The triage UI in headless Chromium, in Vietnamese and English: log in, the queue with its
//! keyboard shortcuts, the alert page (highlighted spans, the story's other items, the audit
//! trail, claiming), the silences and receivers pages; and crawled markup never runs.
//!
//! Chromium is driven through ChromeDriver's W3C WebDriver HTTP API with a few calls of our own
//! (no client crate needed). `scripts/test` provides ChromeDriver in `DULUAN_TEST_CHROMEDRIVER`;
//! without it the test says so and passes.

use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use duluan_model::Role;
use duluan_pipeline::IngestRecord;
use serde_json::{Value, json};

use crate::api::api;

/// W3C WebDriver's key for element references.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

pub(crate) struct Driver {
    process: Child,
    base: String,
    http: reqwest::Client,
}

impl Drop for Driver {
    fn drop(&mut self) {
        // ChromeDriver runs in its own process group with the browsers it started: end them
        // all, so a failed test leaves no Chromium behind.
        let group = format!("-{}", self.process.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

pub(crate) struct Browser {
    url: String,
    http: reqwest::Client,
}

impl Driver {
    pub(crate) async fn start(path: &str) -> Driver {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let process = Command::new(path)
            .arg(format!("--port={port}"))
            .process_group(0)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let base = format!("http://127.0.0.1:{port}");
        // Owned by the driver at once: dropping it (also on a failed start) kills and reaps it.
        let driver = Driver { process, base, http: reqwest::Client::new() };
        for _ in 0..100 {
            if let Ok(r) = driver.http.get(format!("{}/status", driver.base)).send().await
                && r.status().is_success()
            {
                return driver;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("chromedriver did not start");
    }

    pub(crate) async fn browser(&self) -> Browser {
        let chromium = std::env::var("DULUAN_TEST_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
        let caps = json!({"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": {
            "binary": chromium,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,900"]
        }}}});
        let r: Value =
            self.http.post(format!("{}/session", self.base)).json(&caps).send().await.unwrap().json().await.unwrap();
        let id = r["value"]["sessionId"].as_str().unwrap_or_else(|| panic!("no session: {r}"));
        Browser { url: format!("{}/session/{id}", self.base), http: self.http.clone() }
    }
}

impl Browser {
    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let v = self.try_call(method, path, body).await;
        assert!(v["error"].is_null(), "WebDriver {path}: {v}");
        v
    }

    /// The call's `value`, which holds `error` when WebDriver refused.
    async fn try_call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut req = self.http.request(method, format!("{}{path}", self.url));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let v: Value = req.send().await.unwrap().json().await.unwrap();
        v["value"].clone()
    }

    pub(crate) async fn goto(&self, url: &str) {
        self.call(reqwest::Method::POST, "/url", Some(json!({"url": url}))).await;
    }

    async fn current_url(&self) -> String {
        self.call(reqwest::Method::GET, "/url", None).await.as_str().unwrap().to_string()
    }

    async fn find(&self, css: &str) -> String {
        let v =
            self.call(reqwest::Method::POST, "/element", Some(json!({"using": "css selector", "value": css}))).await;
        v[ELEMENT].as_str().unwrap().to_string()
    }

    pub(crate) async fn count(&self, css: &str) -> usize {
        let v =
            self.call(reqwest::Method::POST, "/elements", Some(json!({"using": "css selector", "value": css}))).await;
        v.as_array().map(Vec::len).unwrap_or(0)
    }

    /// Text of the first element matching `css`; a page that is still loading is waited for.
    async fn text(&self, css: &str) -> String {
        for _ in 0..50 {
            let found = self
                .try_call(reqwest::Method::POST, "/element", Some(json!({"using": "css selector", "value": css})))
                .await;
            if let Some(e) = found[ELEMENT].as_str() {
                let text = self.try_call(reqwest::Method::GET, &format!("/element/{e}/text"), None).await;
                if let Some(t) = text.as_str() {
                    return t.to_string();
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("no stable element {css} at {}", self.current_url().await);
    }

    async fn type_into(&self, css: &str, text: &str) {
        let e = self.find(css).await;
        self.call(reqwest::Method::POST, &format!("/element/{e}/value"), Some(json!({"text": text}))).await;
    }

    async fn click(&self, css: &str) {
        let e = self.find(css).await;
        self.call(reqwest::Method::POST, &format!("/element/{e}/click"), Some(json!({}))).await;
    }

    /// Press keys on the page, as a person at the keyboard would.
    async fn keys(&self, keys: &str) {
        let actions: Vec<Value> = keys
            .chars()
            .flat_map(|k| [json!({"type": "keyDown", "value": k}), json!({"type": "keyUp", "value": k})])
            .collect();
        let body = json!({"actions": [{"type": "key", "id": "keyboard", "actions": actions}]});
        self.call(reqwest::Method::POST, "/actions", Some(body)).await;
    }

    pub(crate) async fn script(&self, js: &str) -> Value {
        self.call(reqwest::Method::POST, "/execute/sync", Some(json!({"script": js, "args": []}))).await
    }

    /// The text of the element `css` once it holds `needle`: after a form posts back to the page
    /// it was on, the URL says nothing of whether the new page has loaded.
    async fn wait_for_text(&self, css: &str, needle: &str) -> String {
        for _ in 0..50 {
            let text = self.text(css).await;
            if text.contains(needle) {
                return text;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        self.text(css).await
    }

    async fn wait_for_url(&self, part: &str) -> String {
        for _ in 0..50 {
            let url = self.current_url().await;
            if url.contains(part) {
                return url;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("never reached a URL with {part}; at {}", self.current_url().await);
    }

    /// Resize the window (a tall one screenshots a whole page).
    pub(crate) async fn resize(&self, width: u32, height: u32) {
        self.call(reqwest::Method::POST, "/window/rect", Some(json!({"width": width, "height": height}))).await;
    }

    /// A PNG of the window.
    pub(crate) async fn screenshot(&self) -> Vec<u8> {
        let v = self.call(reqwest::Method::GET, "/screenshot", None).await;
        base64_decode(v.as_str().expect("base64 screenshot"))
    }

    pub(crate) async fn quit(&self) {
        let _ = self.http.delete(&self.url).send().await;
    }
}

/// Standard base64 (as WebDriver sends screenshots) to bytes; a test helper, so no crate.
fn base64_decode(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => panic!("not base64: {c}"),
    };
    let digits: Vec<u8> = text.bytes().filter(|c| !c.is_ascii_whitespace() && *c != b'=').map(value).collect();
    let mut out = Vec::with_capacity(digits.len() * 3 / 4);
    for chunk in digits.chunks(4) {
        let n = chunk.iter().enumerate().fold(0u32, |acc, (i, d)| acc | (u32::from(*d) << (18 - 6 * i)));
        out.extend_from_slice(&n.to_be_bytes()[1..chunk.len()]);
    }
    out
}

/// What each language shows.
struct Words {
    lang: &'static str,
    queue: &'static str,
    claimed: &'static str,
    story: &'static str,
    audit: &'static str,
    silences: &'static str,
    receivers: &'static str,
}

const VI: Words = Words {
    lang: "vi",
    queue: "Hàng đợi cảnh báo",
    claimed: "Đang xử lý",
    story: "Tin khác cùng câu chuyện",
    audit: "Nhật ký xử lý",
    silences: "Tạm tắt cảnh báo",
    receivers: "Kênh nhận thông báo",
};
const EN: Words = Words {
    lang: "en",
    queue: "Alert queue",
    claimed: "Claimed",
    story: "Other items of this story",
    audit: "Audit trail",
    silences: "Silences",
    receivers: "Notification receivers",
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_triage_ui_works_in_headless_chromium_in_both_languages() {
    let Ok(path) = std::env::var("DULUAN_TEST_CHROMEDRIVER") else {
        eprintln!("DULUAN_TEST_CHROMEDRIVER not set (scripts/test sets it): browser test skipped");
        return;
    };
    let a = api(|c| {
        #[derive(serde::Deserialize)]
        struct W {
            receiver: Vec<duluan_config::Receiver>,
        }
        let t = "[[receiver]]\nname = \"nhom-y-te\"\nkind = \"webhook\"\nurl = \"https://hooks.example/duluan\"\n";
        c.alerts.receiver = toml::from_str::<W>(t).unwrap().receiver;
    })
    .await;
    a.user("lead", Role::Lead).await;
    // Hostile markup in a crawled title and body: it must show as text and never run.
    let hostile = IngestRecord::Text {
        label: "xss".into(),
        url: "https://bao.example/xss.html".into(),
        title: "Tin đồn <img src=x onerror=\"window.__xss=1\"><script>window.__xss=2</script>".into(),
        text: "Nghe nói tiêm vắc xin gây vô sinh <svg onload=\"window.__xss=3\"></svg> <a href=\"javascript:window.__xss=4\">xem</a> ở trẻ em.".into(),
        published_at: None,
        lang: None,
    };
    duluan_pipeline::ingest(a.harness.pipeline.clone(), std::iter::once(hostile), "test", 1, |_, _| {}).await.unwrap();
    a.harness.flush().await;

    let driver = Driver::start(&path).await;
    for words in [VI, EN] {
        let b = driver.browser().await;
        b.goto(&a.url(&format!("/login?lang={}", words.lang))).await;
        b.type_into("input[name=username]", "lead").await;
        b.type_into("input[name=password]", "mat-khau-dai-du").await;
        b.click("form button[type=submit]").await;
        b.wait_for_url("/alerts").await;
        b.goto(&a.url(&format!("/lang/{}", words.lang))).await;
        b.goto(&a.url("/alerts")).await;
        assert!(b.text("h1").await.starts_with(words.queue), "{}", words.lang);
        assert!(b.count("#queue tbody tr").await >= 3);
        assert_eq!(b.script("return window.__xss === undefined").await, json!(true), "crawled markup ran");

        // Keyboard: j selects the first row (the shortcut script runs under the CSP), Enter opens it.
        b.keys("j").await;
        assert_eq!(b.count("#queue tbody tr.current").await, 1, "j selects a row");
        b.keys("\u{E007}").await;
        let alert_url = b.wait_for_url("/alerts/").await;
        assert!(b.count("section.item mark").await > 0, "matched spans are highlighted");
        let page = b.text("article.alert-detail").await;
        assert!(page.contains(words.story) && page.contains(words.audit), "{page}");
        // c claims.
        b.keys("c").await;
        for _ in 0..50 {
            if b.text("p.meta").await.contains(words.claimed) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(b.text("p.meta").await.contains(words.claimed), "c claims the alert");
        assert!(b.count("table.audit tbody tr").await >= 2, "claim is in the audit trail");
        assert!(b.current_url().await.starts_with(&alert_url));

        // The hostile item's page: shown as text, nothing ran.
        b.goto(&a.url("/alerts?view=all")).await;
        assert_eq!(b.script("return window.__xss === undefined").await, json!(true));
        let hostile_row = b
            .script("return Array.from(document.querySelectorAll('#queue a')).filter(a => a.textContent.includes('<script>')).length")
            .await;
        assert_eq!(hostile_row, json!(1), "the title shows its markup as text");

        // Silences: create one with a reason; it is listed.
        b.goto(&a.url("/silences")).await;
        assert_eq!(b.text("h1").await, words.silences);
        let reason = format!("Đã có thông cáo ({})", words.lang);
        b.type_into("form.new-silence input[name=rule]", "prices.hoarding_gouging").await;
        b.type_into("form.new-silence input[name=reason]", &reason).await;
        b.click("form.new-silence button[type=submit]").await;
        let table = b.wait_for_text("table.silences", &reason).await;
        assert!(table.contains(&reason) && table.contains("lead"), "{table}");

        // Receivers.
        b.goto(&a.url("/receivers")).await;
        assert_eq!(b.text("h1").await, words.receivers);
        assert!(b.text("table.receivers").await.contains("nhom-y-te"));

        // Dashboard: this week's charts are drawn under the CSP, and the hostile title stays text.
        b.goto(&a.url("/dashboard")).await;
        let sizes = b
            .script(
                "return Array.from(document.querySelectorAll('svg.chart')).map(s => { const r = s.getBoundingClientRect(); \
                 return [r.width, r.height, s.querySelectorAll('polyline,polygon,rect').length]; });",
            )
            .await;
        let sizes = sizes.as_array().unwrap();
        assert!(sizes.len() >= 3, "{} charts on the dashboard", sizes.len());
        for size in sizes {
            let (w, h, marks) = (size[0].as_f64().unwrap(), size[1].as_f64().unwrap(), size[2].as_u64().unwrap());
            assert!(w > 200.0 && h > 50.0 && marks > 0, "dashboard chart not visible: {size}");
        }
        assert_eq!(b.script("return window.__xss === undefined").await, json!(true), "crawled markup ran");
        b.quit().await;
    }
    a.harness.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_search_page_types_highlights_filters_and_exports_in_chromium() {
    let Ok(path) = std::env::var("DULUAN_TEST_CHROMEDRIVER") else {
        eprintln!("DULUAN_TEST_CHROMEDRIVER not set (scripts/test sets it): browser test skipped");
        return;
    };
    let a = crate::search::with_fuel_news().await;
    a.user("analyst", Role::Viewer).await;
    let driver = Driver::start(&path).await;
    let b = driver.browser().await;
    b.goto(&a.url("/login?lang=vi")).await;
    b.type_into("input[name=username]", "analyst").await;
    b.type_into("input[name=password]", "mat-khau-dai-du").await;
    b.click("form button[type=submit]").await;
    b.wait_for_url("/alerts").await;
    b.goto(&a.url("/search")).await;

    // Typed without diacritics, the query finds and highlights the accented text.
    b.type_into("form.searchbox input[name=q]", "gia xang OR vac xin").await;
    b.click("form.searchbox button[type=submit]").await;
    b.wait_for_url("q=gia+xang").await;
    assert!(b.text("p.total").await.starts_with("15 "), "{}", b.text("p.total").await);
    let marks =
        b.script("return Array.from(document.querySelectorAll('article.hit mark')).map(m => m.textContent)").await;
    let marks: Vec<String> = marks.as_array().unwrap().iter().map(|m| m.as_str().unwrap().to_lowercase()).collect();
    assert!(marks.iter().any(|m| m == "giá xăng"), "{marks:?}");
    assert!(marks.iter().any(|m| m == "vắc xin"), "{marks:?}");
    // The coverage chart is drawn.
    assert!(b.count("details.coverage svg.chart polyline").await >= 2, "items and share charts");

    // A facet narrows the results: the rule that flagged the three rumours.
    let rule_link = b
        .script("return Array.from(document.querySelectorAll('aside.facets a')).map(a => a.getAttribute('href')).find(h => h.includes('rule='))")
        .await;
    let rule_link = rule_link.as_str().expect("a rule facet").to_string();
    b.goto(&a.url(&rule_link)).await;
    b.wait_for_url("rule=").await;
    assert!(b.text("p.total").await.starts_with("3 "), "{}", b.text("p.total").await);
    assert_eq!(b.count("article.hit").await, 3);

    // Export CSV: the link carries the query and the filter, and downloads with the page's own
    // session (fetched outside the page: its CSP allows no script connections).
    let href = b.script("return document.querySelector('a.export').getAttribute('href')").await;
    let href = href.as_str().expect("an export link").to_string();
    assert!(href.starts_with("/api/search/export?") && href.contains("rule=") && href.contains("format=csv"), "{href}");
    let cookies = b.call(reqwest::Method::GET, "/cookie", None).await;
    let cookie: Vec<String> = cookies
        .as_array()
        .unwrap()
        .iter()
        .map(|c| format!("{}={}", c["name"].as_str().unwrap(), c["value"].as_str().unwrap()))
        .collect();
    // Downloads with the page's session, as the browser would.
    let download = |path: &str| reqwest::Client::new().get(a.url(path)).header("cookie", cookie.join("; ")).send();
    let response = download(&href).await.unwrap();
    assert_eq!(response.status(), reqwest::StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "text/csv; charset=utf-8");
    let bytes = response.bytes().await.unwrap();
    assert_eq!(&bytes[..3], b"\xEF\xBB\xBF", "a UTF-8 BOM for Excel");
    let csv = String::from_utf8(bytes[3..].to_vec()).unwrap();
    assert_eq!(csv.lines().count(), 4, "a header and the three filtered rows: {csv}");
    assert!(csv.contains("Tin đồn số"), "{csv}");

    // Save the filtered search for the team; it is listed, and it drafts as a rule.
    b.type_into("form.save-search input[name=name]", "Tin đồn vắc xin").await;
    b.click("form.save-search button[type=submit]").await;
    b.wait_for_url("/search?q=").await;
    assert!(b.text("ul.saved").await.contains("Tin đồn vắc xin"));
    let draft = b.script("return document.querySelector('ul.saved a.rule-draft').getAttribute('href')").await;
    let draft = download(draft.as_str().unwrap()).await.unwrap().text().await.unwrap();
    assert!(draft.contains("[[rule]]") && draft.contains("enabled = false"), "{draft}");
    b.quit().await;
    a.harness.close().await;
}
