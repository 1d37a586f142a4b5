//! The fetcher against misbehaving local servers: robots.txt, SSRF guard, limits, redirects.

use std::time::Duration;

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect};
use axum::routing::get;
use duluan_crawl::{Expect, FetchConfig, FetchError, Fetcher};
use url::Url;

fn config(allow_loopback: bool) -> FetchConfig {
    let mut c = FetchConfig::from_config(&duluan_config::Config::defaults().crawl);
    c.allow_loopback = allow_loopback;
    c.per_host_delay = Duration::from_millis(1);
    c.timeout = Duration::from_secs(3);
    c.max_body_bytes = 64 * 1024;
    c.max_retries = 1;
    c.retry_base = Duration::from_millis(10);
    c
}

async fn server() -> String {
    let app = Router::new()
        .route("/robots.txt", get(|| async { "User-agent: *\nDisallow: /private/\n" }))
        .route(
            "/ok",
            get(|| async {
                ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], "<html><body><p>xin chào</p></body></html>")
            }),
        )
        .route("/private/page", get(|| async { "secret" }))
        .route("/loop-a", get(|| async { Redirect::temporary("/loop-b") }))
        .route("/loop-b", get(|| async { Redirect::temporary("/loop-a") }))
        .route("/to-metadata", get(|| async { Redirect::temporary("http://169.254.169.254/latest/meta-data/") }))
        .route("/big", get(|| async { ([(header::CONTENT_TYPE, "text/html")], "x".repeat(200 * 1024)) }))
        .route("/pdf", get(|| async { ([(header::CONTENT_TYPE, "text/html")], b"%PDF-1.7 binary".to_vec()) }))
        .route("/gone", get(|| async { StatusCode::NOT_FOUND.into_response() }))
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(10)).await;
                "late"
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fetcher_is_polite_bounded_and_guarded() {
    let base = server().await;
    let url = |p: &str| Url::parse(&format!("{base}{p}")).unwrap();
    let guarded = Fetcher::new(config(false)).unwrap();
    assert!(
        matches!(guarded.fetch(&url("/ok"), Expect::Html, None).await, Err(FetchError::Refused(_))),
        "loopback is refused by default"
    );

    let f = Fetcher::new(config(true)).unwrap();
    let ok = f.fetch(&url("/ok"), Expect::Html, None).await.unwrap();
    assert_eq!(ok.status, 200);
    assert_eq!(ok.charset.as_deref(), Some("utf-8"));
    assert_eq!(f.fetch(&url("/private/page"), Expect::Html, None).await.unwrap_err(), FetchError::RobotsDisallowed);
    assert!(
        matches!(f.fetch(&url("/loop-a"), Expect::Html, None).await, Err(FetchError::Redirect(m)) if m.contains("loop"))
    );
    assert!(
        matches!(f.fetch(&url("/to-metadata"), Expect::Html, None).await, Err(FetchError::Redirect(m)) if m.contains("refused"))
    );
    assert_eq!(f.fetch(&url("/big"), Expect::Html, None).await.unwrap_err(), FetchError::TooLarge(64 * 1024));
    assert!(
        matches!(f.fetch(&url("/pdf"), Expect::Html, None).await, Err(FetchError::Content(m)) if m.contains("PDF"))
    );
    assert_eq!(f.fetch(&url("/gone"), Expect::Html, None).await.unwrap_err(), FetchError::Status(404));
    let started = std::time::Instant::now();
    assert!(matches!(f.fetch(&url("/slow"), Expect::Html, None).await, Err(FetchError::Timeout(_))));
    assert!(started.elapsed() < Duration::from_secs(9), "timeouts fire, with one retry: {:?}", started.elapsed());
}
