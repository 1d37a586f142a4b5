//! kill -9 `duluan serve` while 1,000 items flow in and scripted collaborators claim and decide
//! alerts: after restarts no alert is lost or duplicated and every acknowledged verdict is kept.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use duluan_store::{AlertFilter, Muted, Store};
use serde_json::{Value, json};

use crate::support::{Duluan, article_page, serve, stderr, stdout};

const PAGES: usize = 1000;
const COLLABORATORS: usize = 3;

/// Three sentences chosen by the digits of `n`, so pages differ enough to be separate stories.
fn body(n: usize) -> String {
    const A: [&str; 10] = [
        "Người dân phường Bến Nghé xếp hàng từ sáng sớm",
        "Tổ dân phố số bảy họp khẩn tối qua",
        "Nhóm phụ huynh trường tiểu học chia sẻ tin nhắn",
        "Chợ đầu mối ghi nhận lượng khách giảm mạnh",
        "Hội người cao tuổi đề nghị chính quyền giải thích",
        "Trạm y tế xã tiếp nhận nhiều cuộc gọi hỏi han",
        "Tài xế xe ôm công nghệ truyền tai nhau",
        "Một tài khoản mạng xã hội đăng video ngắn",
        "Ban quản lý chung cư dán thông báo ở sảnh",
        "Tiểu thương chợ Bình Tây than phiền",
    ];
    const B: [&str; 10] = [
        "về chuyện nước máy có mùi lạ suốt ba ngày liền",
        "rằng giá điện sẽ tăng gấp đôi từ tháng sau",
        "về việc đường Nguyễn Huệ bị cấm xe cả tuần",
        "rằng trường học sẽ cho học sinh nghỉ đột xuất",
        "về kế hoạch giải tỏa khu dân cư ven kênh",
        "rằng bệnh viện quận đang quá tải giường bệnh",
        "về đợt triều cường dự báo cao kỷ lục",
        "rằng xe buýt số mười chín sẽ ngừng chạy",
        "về chuyện cây xanh bị chặt hàng loạt",
        "rằng phí gửi xe sẽ tăng mạnh",
    ];
    const C: [&str; 10] = [
        "Cơ quan chức năng đang xác minh.",
        "Phóng viên đã liên hệ ủy ban để hỏi.",
        "Nhiều người bình luận tỏ ra lo lắng.",
        "Chưa có thông báo chính thức nào.",
        "Một số người đã chia sẻ lại hàng trăm lần.",
        "Người dân mong sớm có câu trả lời.",
        "Đại diện phường hứa sẽ trả lời bằng văn bản.",
        "Các nhóm cư dân đang bàn tán sôi nổi.",
        "Sở ngành liên quan chưa lên tiếng.",
        "Câu chuyện lan nhanh trên mạng xã hội.",
    ];
    let (a, b, c) = (A[n % 10], B[(n / 10) % 10], C[(n / 100) % 10]);
    let rumor = if n.is_multiple_of(4) {
        " Kèm theo là lời đồn tiêm vắc xin mũi nhắc lại gây vô sinh ở trẻ em, khiến nhiều phụ huynh hoang mang."
    } else {
        ""
    };
    format!(
        "{a} {b}.{rumor}\n\n{c} Bài số {n} của chuyên mục đời sống đô thị. Theo ghi nhận của phóng viên, \
         câu chuyện {b} vẫn đang được bàn tán và người dân chờ cơ quan chức năng thông tin chính thức."
    )
}

fn site() -> Router {
    Router::new()
        .route(
            "/sitemap.xml",
            get(|| async {
                let urls: String =
                    (0..PAGES).map(|n| format!("<url><loc>/doi-song/bai-{n}.html</loc></url>")).collect();
                format!("<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">{urls}</urlset>")
            }),
        )
        .route(
            "/doi-song/{slug}",
            get(|axum::extract::Path(slug): axum::extract::Path<String>| async move {
                let n: usize = slug.trim_end_matches(".html").trim_start_matches("bai-").parse().unwrap_or(0);
                // A slow site, so the kills land while items are still flowing in.
                tokio::time::sleep(Duration::from_millis(20)).await;
                let page = article_page(&format!("Đời sống đô thị số {n}"), &body(n), None);
                ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], page).into_response()
            }),
        )
}

fn command(d: &Duluan, sources: &std::path::Path) -> std::process::Command {
    let mut c = d.cmd();
    c.env("DULUAN__CRAWL__SOURCES", sources)
        .env("DULUAN__CRAWL__ALLOW_LOOPBACK", "true")
        .env("DULUAN__CRAWL__PER_HOST_DELAY_MS", "0")
        .env("DULUAN__CRAWL__PER_HOST_CONCURRENCY", "2")
        .env("DULUAN__CRAWL__WORKERS", "2")
        .env("DULUAN__CRAWL__MAX_ITEMS_PER_POLL", "10000")
        .env("DULUAN__INDEX__COMMIT_EVERY_MS", "200")
        .env("DULUAN__SERVER__RATE_LIMIT_PER_SECOND", "10000")
        .env("DULUAN__SERVER__RATE_LIMIT_BURST", "10000");
    c
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// One collaborator's loop: take a new alert, claim it, decide it; record what the server
/// acknowledged. Errors (the server is being killed) just mean "try again".
async fn collaborator(base: String, token: String, n: usize, acked: Arc<Mutex<Vec<(i64, String)>>>) {
    let http = reqwest::Client::builder().timeout(Duration::from_secs(5)).build().unwrap();
    let verdicts = ["confirmed", "dismissed", "escalated"];
    let mut round = 0usize;
    loop {
        round += 1;
        let Ok(r) = http.get(format!("{base}/api/alerts?state=new&limit=10")).bearer_auth(&token).send().await else {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let Ok(list) = r.json::<Value>().await else { continue };
        let Some(alerts) = list["alerts"].as_array().filter(|a| !a.is_empty()) else {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let id = alerts[(n + round) % alerts.len()]["id"].as_i64().unwrap();
        let claimed = http.post(format!("{base}/api/alerts/{id}/claim")).bearer_auth(&token).send().await;
        if !claimed.is_ok_and(|r| r.status() == 200) {
            continue;
        }
        let verdict = verdicts[(n + round) % 3];
        let body = json!({"verdict": verdict, "reason": "needs_response", "note": format!("ctv{n} vòng {round}")});
        let decided = http.post(format!("{base}/api/alerts/{id}/verdict")).bearer_auth(&token).json(&body).send().await;
        if decided.is_ok_and(|r| r.status() == 200) {
            acked.lock().unwrap().push((id, verdict.to_string()));
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_during_triage_loses_no_alert_and_no_acknowledged_verdict() {
    let (site_base, log) = serve(site(), "127.0.0.1").await;
    let d = Duluan::new();
    let sources = d.dir.path().join("sources.toml");
    std::fs::write(
        &sources,
        format!("[[source]]\nid = \"doi-song\"\ntype = \"sitemap\"\nurl = \"{site_base}/sitemap.xml\"\n"),
    )
    .unwrap();
    let mut tokens = Vec::new();
    for n in 0..COLLABORATORS {
        let name = format!("ctv{n}");
        let added = d.run(&["user", "add", &name, "--role", "collaborator"], Some("mat-khau-dai-du\n"));
        assert!(added.status.success(), "{}", stderr(&added));
        let token = d.run(&["user", "token", &name], None);
        tokens.push(stdout(&token).lines().last().unwrap().trim().to_string());
    }

    let acked: Arc<Mutex<Vec<(i64, String)>>> = Default::default();
    for (run, wait_ms) in [2500u64, 3500, 3000, 6000].into_iter().enumerate() {
        let port = free_port();
        let mut child = command(&d, &sources)
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let base = format!("http://127.0.0.1:{port}");
        let clients: Vec<_> = tokens
            .iter()
            .enumerate()
            .map(|(n, t)| tokio::spawn(collaborator(base.clone(), t.clone(), n, acked.clone())))
            .collect();
        tokio::time::sleep(Duration::from_millis(wait_ms)).await;
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        clients.iter().for_each(|c| c.abort());
        let fetched = log.lock().unwrap().iter().filter(|(p, _, _)| p.starts_with("/doi-song/")).count();
        let verdicts = acked.lock().unwrap().len();
        eprintln!("run {run}: killed after {wait_ms} ms, {fetched} pages fetched, {verdicts} verdicts acknowledged");
        if run < 3 {
            assert!(fetched < PAGES, "kill {run} must land while items still flow in ({fetched} fetched)");
        }
    }

    // Finish the crawl, then look at the store.
    let done = command(&d, &sources).args(["crawl", "--once"]).output().unwrap();
    assert!(done.status.success(), "{}", stderr(&done));
    let url = format!("sqlite://{}?mode=rwc", d.data_dir().join("duluan.db").display());
    let store = duluan_store::SqlStore::connect(&url, 2).await.unwrap();
    let frontier = store.frontier_counts(Some("doi-song")).await.unwrap();
    let failures = store.failures(5).await.unwrap();
    assert_eq!(store.counts().await.unwrap().items, PAGES as i64, "every page stored once: {frontier:?} {failures:?}");

    let alerts =
        store.alerts(&AlertFilter { limit: 100_000, muted: Muted::Include, ..AlertFilter::default() }).await.unwrap();
    let mut per_story: HashMap<(String, String), usize> = HashMap::new();
    for a in &alerts {
        *per_story.entry((a.rule.clone(), a.story.to_string())).or_default() += 1;
    }
    let duplicated: Vec<_> = per_story.iter().filter(|(_, n)| **n > 1).collect();
    assert!(duplicated.is_empty(), "duplicated alerts: {duplicated:?}");

    // Every flagged rumour page is in exactly one alert of its rule.
    let rule = "health.vaccine_harm_rumor";
    let mut flagged = 0;
    let mut after = String::new();
    loop {
        let page = store.items_page(&after, 500).await.unwrap();
        let Some(last) = page.last() else { break };
        after = last.id.to_string();
        for item in &page {
            if item.flags.iter().any(|f| f.rule == rule) {
                flagged += 1;
                let holding = store.alerts_for_item(&item.id).await.unwrap();
                let of_rule = holding.iter().filter(|a| a.rule == rule).count();
                assert_eq!(of_rule, 1, "item {} ({}) is in {of_rule} alerts of {rule}", item.id, item.url);
            }
        }
    }
    assert_eq!(flagged, PAGES / 4, "every rumour page was flagged");

    // Every verdict the server acknowledged is still there.
    let acked = acked.lock().unwrap().clone();
    assert!(acked.len() >= 10, "the collaborators got work done ({} verdicts)", acked.len());
    let by_id: HashMap<i64, &duluan_model::Alert> = alerts.iter().map(|a| (a.id, a)).collect();
    for (id, verdict) in &acked {
        let a = by_id.get(id).unwrap_or_else(|| panic!("alert {id} lost"));
        assert_eq!(a.verdict.map(|v| v.to_string()).as_deref(), Some(verdict.as_str()), "alert {id}");
        assert_eq!(a.state.to_string(), *verdict, "alert {id}");
    }
    // Leases held by the killed runs run out and return their alerts to the queue.
    store.expire_leases(chrono::Utc::now() + chrono::Duration::hours(24)).await.unwrap();
    let claimed = AlertFilter {
        states: vec![duluan_model::AlertState::Claimed],
        limit: 100_000,
        muted: Muted::Include,
        ..AlertFilter::default()
    };
    assert!(store.alerts(&claimed).await.unwrap().is_empty(), "no alert stays held by a dead session");
    eprintln!(
        "kill -9 ×4 during triage: {} alerts, {flagged} flagged items, {} acknowledged verdicts kept",
        alerts.len(),
        acked.len()
    );
}
