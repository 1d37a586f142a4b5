//! The crawler against a local site: every source type, conditional GET, robots.txt and
//! Crawl-delay, per-host pacing, redirects, canonical URLs, syndicated copies, link following.

use std::time::Duration;

use axum::Router;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;

use crate::support::{Harness, article_page, hits, serve, source};

const BODY: &str = "Sau đợt mưa lũ kéo dài, giá rau xanh tại các chợ trong thành phố tăng gấp đôi so với tuần trước, nhiều tiểu thương cho biết nguồn hàng từ các tỉnh lân cận giảm mạnh.\n\nBà Lan, tiểu thương chợ Tân Định, nói rau muống đã lên 30.000 đồng một bó và vẫn khan hàng, người mua phải chuyển sang rau củ nhập từ nơi khác.";

fn html(body: String) -> Response {
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response()
}

/// The number at the end of a slug such as `bai-so-12.html`.
fn number(slug: &str) -> usize {
    slug.trim_end_matches(".html").rsplit('-').next().and_then(|n| n.parse().ok()).unwrap_or(0)
}

fn page(n: usize) -> String {
    article_page(&format!("Bài số {n} về giá cả thị trường"), &format!("Đây là bài số {n}. {BODY}"), None)
}

/// A feed with ETag support, the other feed formats (Atom, JSON Feed, RSS 1.0/RDF), a sitemap
/// reachable from robots.txt (index + gzip'd child), a listing page, and social endpoints.
fn site() -> Router {
    let feed = |headers: HeaderMap| async move {
        if headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) == Some("\"feed-v1\"") {
            return StatusCode::NOT_MODIFIED.into_response();
        }
        let items: String = (1..=3)
            .map(|n| format!("<item><title>Bài số {n}</title><link>/bai/bai-so-{n}.html?utm_source=rss</link><pubDate>Wed, 18 Nov 2026 07:4{n}:00 +0700</pubDate></item>"))
            .collect();
        (
            [(header::CONTENT_TYPE, "application/rss+xml"), (header::ETAG, "\"feed-v1\"")],
            format!("<rss version=\"2.0\"><channel><title>T</title>{items}</channel></rss>"),
        )
            .into_response()
    };
    let gz = {
        let xml = "<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\"><url><loc>/bai/bai-so-4.html</loc></url><url><loc>/bai/bai-so-5.html</loc></url></urlset>";
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        std::io::Write::write_all(&mut e, xml.as_bytes()).expect("gzip");
        e.finish().expect("gzip")
    };
    Router::new()
        .route("/robots.txt", get(|headers: HeaderMap| async move {
            let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or_default().to_string();
            format!("User-agent: *\nDisallow: /rieng/\n\nSitemap: http://{host}/sitemap-index.xml\n")
        }))
        .route("/feed.xml", get(feed))
        .route("/sitemap-index.xml", get(|| async { "<sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\"><sitemap><loc>/sitemap-1.xml.gz</loc></sitemap><sitemap><loc>/sitemap-index.xml</loc></sitemap></sitemapindex>" }))
        .route("/sitemap-1.xml.gz", get(move || async move { ([(header::CONTENT_TYPE, "application/x-gzip")], gz.clone()) }))
        .route("/kinh-te/", get(|| async { html("<html><body><h1>Kinh tế</h1><ul><li><a href=\"/bai/bai-so-6.html\">Bài 6 về giá cả thị trường</a></li><li><a href=\"/rieng/bai-mat-khong-duoc-lay.html\">Bài riêng</a></li></ul></body></html>".into()) }))
        .route("/atom.xml", get(|| async {
            ([(header::CONTENT_TYPE, "application/atom+xml")], r#"<feed xmlns="http://www.w3.org/2005/Atom"><title>A</title><id>urn:a</id><updated>2026-11-18T00:00:00Z</updated><entry><title>Bài số 7</title><id>urn:a:7</id><link href="/bai/bai-so-7.html"/><updated>2026-11-18T00:00:00Z</updated></entry></feed>"#)
        }))
        .route("/feed.json", get(|| async {
            ([(header::CONTENT_TYPE, "application/feed+json")], r#"{"version":"https://jsonfeed.org/version/1.1","title":"J","items":[{"id":"8","url":"/bai/bai-so-8.html","title":"Bài số 8"}]}"#)
        }))
        .route("/rdf.xml", get(|| async {
            ([(header::CONTENT_TYPE, "application/rdf+xml")], r#"<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"><channel rdf:about="/rdf.xml"><title>R</title><link>/</link><description>R</description></channel><item rdf:about="/bai/bai-so-9.html"><title>Bài số 9</title><link>/bai/bai-so-9.html</link></item></rdf:RDF>"#)
        }))
        .route("/feeds/videos.xml", get(|| async {
            ([(header::CONTENT_TYPE, "application/atom+xml")], r#"<feed xmlns:yt="http://www.youtube.com/xml/schemas/2015" xmlns:media="http://search.yahoo.com/mrss/" xmlns="http://www.w3.org/2005/Atom"><title>Kênh</title><id>yt:channel:x</id><updated>2026-11-20T00:00:00+00:00</updated><entry><id>yt:video:abc</id><yt:videoId>abc</yt:videoId><title>Bản tin sáng</title><link rel="alternate" href="https://www.youtube.com/watch?v=abc"/><published>2026-11-20T00:00:00+00:00</published><updated>2026-11-20T00:00:00+00:00</updated><media:group><media:title>Bản tin sáng</media:title><media:description>Ngập sâu ở đường Nguyễn Hữu Cảnh sau mưa lớn</media:description></media:group></entry></feed>"#)
        }))
        .route("/bai/{slug}", get(|axum::extract::Path(slug): axum::extract::Path<String>| async move { html(page(number(&slug))) }))
        .route("/rieng/bai-mat-khong-duoc-lay.html", get(|| async { html(page(99)) }))
        .route("/api/v1/timelines/tag/hanoi", get(|| async {
            ([(header::CONTENT_TYPE, "application/json")], r#"[{"id":"1","url":"https://social.example/@a/1","created_at":"2026-11-20T03:00:00Z","content":"<p>Tắc đường kinh khủng ở cầu Chương Dương sáng nay</p>","spoiler_text":"","language":"vi","reblog":null}]"#)
        }))
        .route("/s/kenh", get(|| async {
            html(r#"<div class="tgme_widget_message" data-post="kenh/7"><div class="tgme_widget_message_text">Thông báo cắt nước khu vực phường 5 ngày mai</div><time datetime="2026-11-20T01:00:00+00:00">08:00</time></div>"#.into())
        }))
        .route("/r/vn/new.json", get(|| async {
            ([(header::CONTENT_TYPE, "application/json")], r#"{"data":{"children":[{"data":{"title":"Giá xăng hôm nay có giảm không?","selftext":"","permalink":"/r/vn/comments/1/gia_xang/","created_utc":1763600000.0}}]}}"#)
        }))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_source_type_conditional_get_robots_and_seen_set() {
    let (base, log) = serve(site(), "127.0.0.1").await;
    let h = Harness::new(|_| {}).await;
    let sources = vec![
        source("feed", "feed", &format!("{base}/feed.xml")),
        source("atom", "feed", &format!("{base}/atom.xml")),
        source("json", "feed", &format!("{base}/feed.json")),
        source("rdf", "feed", &format!("{base}/rdf.xml")),
        source("sitemap", "sitemap", &format!("{base}/robots.txt")),
        source("listing", "listing", &format!("{base}/kinh-te/")),
        source("masto", "mastodon", &format!("{base}/api/v1/timelines/tag/hanoi")),
        source("tg", "telegram", &format!("{base}/s/kenh")),
        source("reddit", "reddit", &format!("{base}/r/vn/new.json")),
        source("yt", "youtube", &format!("{base}/feeds/videos.xml?channel_id=x")),
    ];
    let crawler = h.crawler(sources.clone());
    let report = crawler.run_once(true).await.expect("crawl");
    h.flush().await;
    assert_eq!(report.sources_failed, 0, "{report:?}");
    assert_eq!(report.posts_stored, 4, "one post each from Mastodon, Telegram, Reddit, YouTube");
    let store = &h.pipeline.store;
    let counts = store.counts().await.expect("counts");
    assert_eq!(counts.items, 9 + 4, "articles 1-9 (RSS, sitemap, listing, Atom, JSON Feed, RDF) and four posts");
    for n in 1..=9 {
        assert_eq!(hits(&log, &format!("/bai/bai-so-{n}.html")), 1, "article {n} fetched once");
    }
    assert_eq!(hits(&log, "/bai/bai-so-1.html?utm_source=rss"), 0, "tracking parameters are stripped before fetching");
    assert_eq!(hits(&log, "/rieng/bai-mat-khong-duoc-lay.html"), 0, "robots.txt is obeyed");
    assert_eq!(hits(&log, "/robots.txt"), 2, "robots.txt once for politeness (cached), once as the sitemap source");
    let failures = store.failures(10).await.expect("failures");
    assert!(
        failures.iter().any(|f| f.url.ends_with("/rieng/bai-mat-khong-duoc-lay.html")
            && f.error.as_deref() == Some("disallowed by robots.txt")),
        "{failures:?}"
    );
    // Feed hints reach the item when the page is silent on its date.
    let search = h
        .pipeline
        .index
        .search(&duluan_index::Query { text: "\"bài số 1\"".into(), limit: 5, ..Default::default() })
        .expect("search");
    assert_eq!(search.total, 1);
    let posts = h
        .pipeline
        .index
        .search(&duluan_index::Query { text: "tac duong".into(), limit: 5, ..Default::default() })
        .expect("search");
    assert_eq!(posts.hits[0].url, "https://social.example/@a/1");
    let video = h
        .pipeline
        .index
        .search(&duluan_index::Query { text: "\"nguyễn hữu cảnh\"".into(), limit: 5, ..Default::default() })
        .expect("search");
    assert_eq!(video.hits[0].url, "https://www.youtube.com/watch?v=abc", "the video's description is its text");

    // A second pass: the feed answers 304, nothing already seen is fetched again.
    let feed_requests = hits(&log, "/feed.xml");
    let again = crawler.run_once(true).await.expect("crawl again");
    assert_eq!((again.urls_queued, again.posts_stored), (0, 0), "{again:?}");
    assert_eq!(hits(&log, "/feed.xml"), feed_requests + 1);
    let conditional = log
        .lock()
        .unwrap()
        .iter()
        .filter(|(p, h, _)| p == "/feed.xml" && h.contains_key(header::IF_NONE_MATCH))
        .count();
    assert_eq!(conditional, 1, "the second poll sends the validator");
    for n in 1..=9 {
        assert_eq!(hits(&log, &format!("/bai/bai-so-{n}.html")), 1, "article {n} is not fetched twice");
    }
    let state = store.source_state("feed").await.expect("state");
    assert_eq!((state.polls, state.error_streak), (2, 0));
    assert!(state.interval_secs.is_some());
    h.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crawl_delay_and_per_host_pacing_space_requests() {
    let app = Router::new()
        .route("/robots.txt", get(|| async { "User-agent: *\nCrawl-delay: 1\n" }))
        .route(
            "/feed.xml",
            get(|| async {
                let items: String =
                    (1..=3).map(|n| format!("<item><link>/bai/bai-so-{n}.html</link></item>")).collect();
                format!("<rss version=\"2.0\"><channel><title>T</title>{items}</channel></rss>")
            }),
        )
        .route("/bai/{n}", get(|| async { html(page(1)) }));
    let (base, log) = serve(app, "127.0.0.1").await;
    let h = Harness::new(|c| c.crawl.workers = 3).await;
    h.crawler(vec![source("feed", "feed", &format!("{base}/feed.xml"))]).run_once(true).await.expect("crawl");
    let times: Vec<_> = log.lock().unwrap().iter().map(|(_, _, t)| *t).collect();
    assert_eq!(times.len(), 5, "robots, feed, three pages");
    for pair in times.windows(2).skip(1) {
        let gap = pair[1] - pair[0];
        assert!(gap >= Duration::from_millis(950), "requests to one host must honour Crawl-delay: 1 ({gap:?})");
    }
    h.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirects_canonical_urls_and_syndicated_copies() {
    let copy = |canonical: &'static str| {
        move || async move { html(article_page("Giá rau tăng mạnh sau mưa lũ", BODY, Some(canonical))) }
    };
    let app = Router::new()
        .route("/feed.xml", get(|| async {
            "<rss version=\"2.0\"><channel><title>T</title><item><link>/cu.html</link></item><item><link>/ban-sao-1.html</link></item><item><link>/ban-sao-2.html</link></item></channel></rss>"
        }))
        .route("/cu.html", get(|| async { Redirect::permanent("/moi.html") }))
        .route("/moi.html", get(|| async { html(article_page("Đường mới thông xe", &format!("Tuyến đường mới đã thông xe sáng nay. {BODY}"), Some("/moi.html?utm_campaign=home"))) }))
        .route("/ban-sao-1.html", get(copy("/ban-sao-1.html")))
        .route("/ban-sao-2.html", get(copy("/ban-sao-2.html")));
    let (base, _log) = serve(app, "127.0.0.1").await;
    let h = Harness::new(|_| {}).await;
    h.crawler(vec![source("feed", "feed", &format!("{base}/feed.xml"))]).run_once(true).await.expect("crawl");
    h.flush().await;
    let store = &h.pipeline.store;
    let moved = store
        .item(&duluan_model::item_id_for_url(&format!("{base}/moi.html")))
        .await
        .expect("get")
        .expect("the redirect target is stored under its canonical URL");
    assert_eq!(moved.url, format!("{base}/moi.html"));
    let one = store
        .item(&duluan_model::item_id_for_url(&format!("{base}/ban-sao-1.html")))
        .await
        .expect("get")
        .expect("copy 1");
    let two = store
        .item(&duluan_model::item_id_for_url(&format!("{base}/ban-sao-2.html")))
        .await
        .expect("get")
        .expect("copy 2");
    assert_ne!(one.id, two.id);
    assert_eq!(one.story_id, two.story_id, "syndicated copies are one story");
    assert_ne!(one.story_id, moved.story_id);
    h.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn link_following_is_bounded_by_depth() {
    // A chain of pages, each linking to the next: with max_depth 2 only three levels are read.
    let app = Router::new().route(
        "/chuoi/{slug}",
        get(|axum::extract::Path(slug): axum::extract::Path<String>| async move {
            let n = number(&slug);
            let next = format!("<a href=\"/chuoi/bai-so-{}.html\">tiếp</a>", n + 1);
            html(article_page(&format!("Trang số {n} trong chuỗi bài"), &format!("{BODY} {next}"), None))
        }),
    );
    let (base, log) = serve(app, "127.0.0.1").await;
    let h = Harness::new(|_| {}).await;
    let mut s = source("site", "listing", &format!("{base}/chuoi/bai-so-0.html"));
    s.follow_links = true;
    s.max_depth = Some(2);
    h.crawler(vec![s]).run_once(true).await.expect("crawl");
    let fetched: Vec<String> =
        log.lock().unwrap().iter().map(|(p, _, _)| p.clone()).filter(|p| p.starts_with("/chuoi/")).collect();
    assert!(fetched.contains(&"/chuoi/bai-so-3.html".to_string()), "{fetched:?}");
    assert!(!fetched.contains(&"/chuoi/bai-so-4.html".to_string()), "depth is bounded: {fetched:?}");
    h.close().await;
}
