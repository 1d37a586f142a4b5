//! Hostile servers (items 1–14 of specs/hostile-inputs.md): the crawler stays up, memory stays
//! bounded, and every URL ends with a recorded outcome.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use bytes::Bytes;
use duluan_store::UrlState;

use crate::support::{Harness, article_page, hits, serve, source};

const TEXT: &str = "Người dân phường Bến Nghé phản ánh tình trạng rác thải tồn đọng nhiều ngày trên vỉa hè, gây mùi hôi và mất mỹ quan đô thị. Công ty môi trường cho biết sẽ tăng chuyến thu gom từ tuần sau.";

fn html(body: impl Into<Body>) -> Response {
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], body.into()).into_response()
}

fn feed_of(paths: &[&str]) -> String {
    let items: String = paths.iter().map(|p| format!("<item><link>{p}</link></item>")).collect();
    format!("<rss version=\"2.0\"><channel><title>T</title>{items}</channel></rss>")
}

/// The outcome recorded for a URL path: (state, reason).
async fn outcome(h: &Harness, base: &str, path: &str) -> (UrlState, String) {
    let failures = h.pipeline.store.failures(1000).await.expect("failures");
    let url = format!("{base}{path}");
    match failures.into_iter().find(|f| f.url == url) {
        Some(f) => (f.state, f.error.unwrap_or_default()),
        None => (UrlState::Done, String::new()),
    }
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    std::io::Write::write_all(&mut e, data).expect("gzip");
    e.finish().expect("gzip")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn misbehaving_pages_end_with_recorded_reasons() {
    let bomb = Bytes::from(gzip(&vec![b'<'; 30 * 1024 * 1024]));
    let deep = Bytes::from(format!("<html><body>{}<p>{TEXT}</p></body></html>", "<div>".repeat(50_000)));
    let huge = Bytes::from(format!(
        "<html><body><article><p>{TEXT}</p><p>{}</p></article></body></html>",
        "chữ ".repeat(2_000_000)
    ));
    let one_line = Bytes::from(format!("<html><body><p>{}</p></body></html>", "x".repeat(1024 * 1024)));
    let hops = (0..30).fold(Router::new(), |r, n| {
        r.route(&format!("/hop/{n}"), get(move || async move { Redirect::temporary(&format!("/hop/{}", n + 1)) }))
    });
    let app = hops
        .route(
            "/feed.xml",
            get(|| async {
                feed_of(&[
                    "/slow.html",
                    "/endless.html",
                    "/bomb.html",
                    "/loop-a.html",
                    "/hop/0",
                    "/to-private.html",
                    "/to-metadata.html",
                    "/to-hex.html",
                    "/to-mapped.html",
                    "/to-file.html",
                    "/deep.html",
                    "/huge.html",
                    "/one-line.html",
                    "/latin1-but-utf8.html",
                    "/pdf.html",
                    "/png.html",
                    "/gone.html",
                ])
            }),
        )
        .route(
            "/slow.html",
            get(|| async {
                let drip = futures::stream::unfold(0u32, |n| async move {
                    tokio::time::sleep(Duration::from_secs(5)).await;
                    (n < 100).then(|| (Ok::<_, Infallible>(Bytes::from_static(b"<")), n + 1))
                });
                html(Body::from_stream(drip))
            }),
        )
        .route(
            "/endless.html",
            get(|| async {
                let endless = futures::stream::repeat_with(|| Ok::<_, Infallible>(Bytes::from(vec![b'a'; 64 * 1024])));
                html(Body::from_stream(endless))
            }),
        )
        .route(
            "/bomb.html",
            get(move || {
                let bomb = bomb.clone();
                async move {
                    ([(header::CONTENT_TYPE, "text/html"), (header::CONTENT_ENCODING, "gzip")], bomb).into_response()
                }
            }),
        )
        .route("/loop-a.html", get(|| async { Redirect::temporary("/loop-b.html") }))
        .route("/loop-b.html", get(|| async { Redirect::temporary("/loop-a.html") }))
        .route("/to-private.html", get(|| async { Redirect::temporary("http://10.0.0.1/") }))
        .route("/to-metadata.html", get(|| async { Redirect::temporary("http://169.254.169.254/latest/meta-data/") }))
        .route("/to-hex.html", get(|| async { Redirect::temporary("http://0x0a000001/") }))
        .route("/to-mapped.html", get(|| async { Redirect::temporary("http://[::ffff:10.0.0.1]/") }))
        .route("/to-file.html", get(|| async { Redirect::temporary("file:///etc/passwd") }))
        .route(
            "/deep.html",
            get(move || {
                let d = deep.clone();
                async move { html(d) }
            }),
        )
        .route(
            "/huge.html",
            get(move || {
                let d = huge.clone();
                async move { html(d) }
            }),
        )
        .route(
            "/one-line.html",
            get(move || {
                let d = one_line.clone();
                async move { html(d) }
            }),
        )
        .route(
            "/latin1-but-utf8.html",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "text/html; charset=iso-8859-1")],
                    article_page("Rác thải tồn đọng trên vỉa hè", TEXT, None),
                )
                    .into_response()
            }),
        )
        .route(
            "/pdf.html",
            get(|| async { html(Bytes::from_static(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj")) }),
        )
        .route(
            "/png.html",
            get(|| async {
                ([(header::CONTENT_TYPE, "image/png")], Bytes::from_static(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"))
                    .into_response()
            }),
        )
        .route("/gone.html", get(|| async { StatusCode::GONE }));
    let (base, _log) = serve(app, "127.0.0.1").await;
    let h = Harness::new(|c| {
        c.crawl.timeout_secs = 2;
        c.crawl.max_body_bytes = 12 * 1024 * 1024;
        c.crawl.workers = 4;
    })
    .await;
    h.crawler(vec![source("feed", "feed", &format!("{base}/feed.xml"))])
        .run_once(true)
        .await
        .expect("the crawler survives");
    let expect = [
        ("/slow.html", "timed out"),
        ("/endless.html", "body larger than"),
        ("/bomb.html", "body larger than"),
        ("/loop-a.html", "redirect loop"),
        ("/hop/0", "more than 10 redirects"),
        ("/to-private.html", "refused"),
        ("/to-metadata.html", "refused"),
        ("/to-hex.html", "refused"),
        ("/to-mapped.html", "refused"),
        ("/to-file.html", "scheme `file` is not allowed"),
        ("/pdf.html", "PDF"),
        ("/png.html", "content type image/png"),
        ("/gone.html", "http status 410"),
    ];
    for (path, reason) in expect {
        let (_, got) = outcome(&h, &base, path).await;
        assert!(got.contains(reason), "{path}: expected a reason containing `{reason}`, got `{got}`");
    }
    h.flush().await;
    // Pages that are only big, deep or mislabelled are still read.
    let store = &h.pipeline.store;
    let counts = store.frontier_counts(Some("feed")).await.expect("counts");
    assert_eq!(counts.leased, 0, "no URL is left half-done: {counts:?}");
    assert_eq!(counts.queued, 1, "only the slow page waits for a later retry: {counts:?}");
    let latin = store
        .item(&duluan_model::item_id_for_url(&format!("{base}/latin1-but-utf8.html")))
        .await
        .expect("get")
        .expect("stored");
    assert_eq!(latin.title, "Rác thải tồn đọng trên vỉa hè", "UTF-8 bytes declared as Latin-1 are read as UTF-8");
    for path in ["/one-line.html", "/huge.html"] {
        assert_eq!(outcome(&h, &base, path).await.0, UrlState::Done, "{path} is read within bounds");
    }
    let deep = store.item(&duluan_model::item_id_for_url(&format!("{base}/deep.html"))).await.expect("get");
    assert!(deep.is_none_or(|i| i.text.len() < 10_000));
    h.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_after_is_honoured_and_a_failing_host_does_not_hold_others() {
    let attempts = Arc::new(AtomicUsize::new(0));
    let counter = attempts.clone();
    let busy = Router::new()
        .route("/feed.xml", get(|| async { feed_of(&["/mot-lan-429.html", "/loi-503-mai.html", "/loi-503-nua.html"]) }))
        .route(
            "/mot-lan-429.html",
            get(move || {
                let counter = counter.clone();
                async move {
                    if counter.fetch_add(1, Ordering::SeqCst) == 0 {
                        return ([(header::RETRY_AFTER, "1")], StatusCode::TOO_MANY_REQUESTS).into_response();
                    }
                    html(article_page("Trang trả lời sau khi bị giới hạn", TEXT, None))
                }
            }),
        )
        .route("/loi-503-mai.html", get(|| async { StatusCode::SERVICE_UNAVAILABLE }))
        .route("/loi-503-nua.html", get(|| async { StatusCode::SERVICE_UNAVAILABLE }));
    let healthy = Router::new()
        .route("/feed.xml", get(|| async { feed_of(&["/tin-mot.html", "/tin-hai.html", "/tin-ba.html"]) }))
        .route("/{page}", get(|| async { html(article_page("Tin bình thường của máy chủ khỏe", TEXT, None)) }));
    let (busy_base, busy_log) = serve(busy, "127.0.0.1").await;
    let (ok_base, _ok_log) = serve(healthy, "127.0.0.2").await;
    let h = Harness::new(|c| {
        c.crawl.max_retries = 2;
        c.crawl.retry_base_ms = 200;
    })
    .await;
    let started = std::time::Instant::now();
    let sources = vec![
        source("busy", "feed", &format!("{busy_base}/feed.xml")),
        source("ok", "feed", &format!("{ok_base}/feed.xml")),
    ];
    h.crawler(sources).run_once(true).await.expect("crawl");
    let store = &h.pipeline.store;
    assert!(started.elapsed() >= Duration::from_secs(1), "Retry-After: 1 was waited for");
    assert_eq!(attempts.load(Ordering::SeqCst), 2, "one 429, then success");
    assert!(
        store
            .item(&duluan_model::item_id_for_url(&format!("{busy_base}/mot-lan-429.html")))
            .await
            .expect("get")
            .is_some()
    );
    assert_eq!(hits(&busy_log, "/loi-503-mai.html"), 3, "a 503 storm gets max_retries + 1 attempts, no more");
    let (state, reason) = outcome(&h, &busy_base, "/loi-503-mai.html").await;
    assert_eq!(state, UrlState::Queued, "transient failures are retried later");
    assert!(reason.contains("503"), "{reason}");
    let healthy_done = store.frontier_counts(Some("ok")).await.expect("counts");
    assert_eq!(healthy_done.done, 3, "the healthy host was crawled meanwhile");
    h.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn robots_txt_status_size_redirect_and_cache() {
    let mut big = String::from("User-agent: *\nDisallow: /dau/\n");
    while big.len() < 2 * 1024 * 1024 {
        big.push_str("# padding padding padding padding padding padding padding padding padding padding\n");
    }
    big.push_str("Disallow: /cuoi/\n");
    let site = |robots: Router| {
        robots
            .route(
                "/feed.xml",
                get(|| async {
                    feed_of(&["/dau/bai-viet-mot.html", "/cuoi/bai-viet-hai.html", "/giua/bai-viet-ba.html"])
                }),
            )
            .route("/{dir}/{page}", get(|| async { html(article_page("Bài viết thử nghiệm về đô thị", TEXT, None)) }))
    };
    let big_site = site(Router::new().route(
        "/robots.txt",
        get(move || {
            let b = big.clone();
            async move { b }
        }),
    ));
    let missing = site(Router::new().route("/robots.txt", get(|| async { StatusCode::NOT_FOUND })));
    let broken = site(Router::new().route("/robots.txt", get(|| async { StatusCode::INTERNAL_SERVER_ERROR })));
    let moved = site(
        Router::new()
            .route("/robots.txt", get(|| async { Redirect::permanent("/that/robots.txt") }))
            .route("/that/robots.txt", get(|| async { "User-agent: *\nDisallow: /giua/\n" })),
    );
    let (big_base, big_log) = serve(big_site, "127.0.0.1").await;
    let (missing_base, _) = serve(missing, "127.0.0.1").await;
    let (broken_base, _) = serve(broken, "127.0.0.1").await;
    let (moved_base, _) = serve(moved, "127.0.0.1").await;
    let h = Harness::new(|_| {}).await;
    let sources = vec![
        source("big", "feed", &format!("{big_base}/feed.xml")),
        source("missing", "feed", &format!("{missing_base}/feed.xml")),
        source("broken", "feed", &format!("{broken_base}/feed.xml")),
        source("moved", "feed", &format!("{moved_base}/feed.xml")),
    ];
    let crawler = h.crawler(sources);
    crawler.run_once(true).await.expect("crawl");
    let disallowed = "disallowed by robots.txt";
    // 2 MB robots.txt: the rule in the first 500 KiB holds, the one beyond the cap is not read.
    assert_eq!(outcome(&h, &big_base, "/dau/bai-viet-mot.html").await.1, disallowed);
    assert_eq!(outcome(&h, &big_base, "/cuoi/bai-viet-hai.html").await.1, "");
    assert_eq!(hits(&big_log, "/robots.txt"), 1, "robots.txt is fetched once and cached");
    // 404: everything allowed.
    for page in ["/dau/bai-viet-mot.html", "/cuoi/bai-viet-hai.html", "/giua/bai-viet-ba.html"] {
        assert_eq!(outcome(&h, &missing_base, page).await.1, "", "{page}");
    }
    // 5xx: the whole site is off limits for now, including its feed.
    let broken_state = h.pipeline.store.source_state("broken").await.expect("state");
    assert_eq!(broken_state.last_error.as_deref(), Some(disallowed));
    // Redirected robots.txt is followed.
    assert_eq!(outcome(&h, &moved_base, "/giua/bai-viet-ba.html").await.1, disallowed);
    assert_eq!(outcome(&h, &moved_base, "/dau/bai-viet-mot.html").await.1, "");
    h.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn traps_malformed_feeds_and_sitemap_loops_are_bounded() {
    let app = Router::new()
        // An endless calendar: every month links to the next one.
        .route("/lich/{year}/{month}", get(|axum::extract::Path((y, m)): axum::extract::Path<(i32, u32)>| async move {
            let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
            html(format!("<html><body><h1>Lịch {m}/{y}</h1><p>{TEXT}</p><a href=\"/lich/{ny}/{nm}\">tháng sau</a><a href=\"/lich/{y}/{m}/a/a/a/a\">x</a></body></html>"))
        }))
        .route("/feed-hong.xml", get(|| async {
            let mut items = String::new();
            for n in 0..100_000 {
                items.push_str(&format!("<item><title>Tin &amp; <b>số {n}</title><link>/tin/bai-so-{n}.html</link><guid>same</guid><pubDate>not a date</pubDate></item>"));
            }
            format!("<rss version=\"2.0\"><channel><title>T &nbsp;{items}</channel>")
        }))
        .route("/tin/{page}", get(|| async { html(article_page("Tin trong nguồn lỗi định dạng", TEXT, None)) }))
        .route("/sitemap-a.xml", get(|| async { "<sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\"><sitemap><loc>/sitemap-b.xml</loc></sitemap></sitemapindex>" }))
        .route("/sitemap-b.xml", get(|| async { "<sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\"><sitemap><loc>/sitemap-a.xml</loc></sitemap></sitemapindex>" }))
        .route("/sitemap-rac.xml", get(|| async { "<urlset><url><loc>/tin/bai-so-1.html</loc></url><url><loc>" }));
    let (base, log) = serve(app, "127.0.0.1").await;
    let h = Harness::new(|c| c.crawl.max_items_per_poll = 50).await;
    let mut calendar = source("lich", "listing", &format!("{base}/lich/2026/1"));
    calendar.link_selector = Some("a".into());
    calendar.follow_links = true;
    calendar.max_depth = Some(50);
    let sources = vec![
        calendar,
        source("hong", "feed", &format!("{base}/feed-hong.xml")),
        source("vong", "sitemap", &format!("{base}/sitemap-a.xml")),
        source("rac", "sitemap", &format!("{base}/sitemap-rac.xml")),
    ];
    h.crawler(sources).run_once(true).await.expect("crawl");
    let calendar_pages = log.lock().unwrap().iter().filter(|(p, _, _)| p.starts_with("/lich/")).count();
    assert!(calendar_pages <= 25, "the calendar trap stops at the end of next year: {calendar_pages} pages");
    let store = &h.pipeline.store;
    let feed = store.frontier_counts(Some("hong")).await.expect("counts");
    let read = feed.done + feed.failed;
    assert!((40..=50).contains(&read), "a 100k-item broken feed is salvaged up to the per-poll cap: {feed:?}");
    assert!(hits(&log, "/sitemap-a.xml") <= 2 && hits(&log, "/sitemap-b.xml") <= 1, "sitemap loops are bounded");
    let rac = store.source_state("rac").await.expect("state");
    assert!(
        rac.last_error.is_some() || rac.items_found <= 1,
        "a truncated sitemap is recorded or read as far as it goes"
    );
    h.close().await;
}
