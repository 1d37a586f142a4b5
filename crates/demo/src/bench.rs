//! A generated link-following site for crawl benchmarks: `pages` article pages, each with a few
//! paragraphs of Vietnamese text and links to twenty other pages, reachable from `/`.

use std::fmt::Write as _;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

const WORDS: &[&str] = &[
    "người",
    "dân",
    "thành",
    "phố",
    "giao",
    "thông",
    "giá",
    "cả",
    "thị",
    "trường",
    "y",
    "tế",
    "giáo",
    "dục",
    "bệnh",
    "viện",
    "trường",
    "học",
    "công",
    "an",
    "phường",
    "xã",
    "chợ",
    "rau",
    "xăng",
    "dầu",
    "mưa",
    "lũ",
    "đường",
    "cầu",
    "xe",
    "buýt",
    "nhà",
    "ở",
    "công",
    "nhân",
    "doanh",
    "nghiệp",
    "ngân",
    "hàng",
    "lãi",
    "suất",
    "văn",
    "hóa",
    "lễ",
    "hội",
    "thể",
    "thao",
    "bóng",
    "đá",
    "học",
    "sinh",
    "thầy",
    "cô",
    "điện",
    "nước",
];

/// Links on every page.
const LINKS_PER_PAGE: usize = 20;

fn page(n: usize, pages: usize) -> String {
    let mut text = String::new();
    let mut seed = (n as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    for p in 0..4 {
        text.push_str("<p>");
        for w in 0..45 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let word = WORDS[(seed % WORDS.len() as u64) as usize];
            let _ = write!(text, "{}{word}", if w == 0 { "" } else { " " });
        }
        let _ = write!(text, " (đoạn {p} của bài {n}).</p>");
    }
    let mut links = String::new();
    for k in 0..LINKS_PER_PAGE {
        let target = (n * 7 + k * 131 + 1) % pages;
        let _ = write!(links, "<li><a href=\"/bai/tin-tuc-so-{target}.html\">Tin số {target}</a></li>");
    }
    format!(
        "<!doctype html><html lang=\"vi\"><head><meta charset=\"utf-8\"><title>Tin số {n} - Trang thử tải</title></head><body>\
         <nav><a href=\"/\">Trang chủ</a></nav><article><h1>Tin số {n} về đời sống thành phố</h1>{text}</article>\
         <aside class=\"related\"><ul>{links}</ul></aside><footer>Trang thử tải</footer></body></html>"
    )
}

async fn home(State(pages): State<usize>) -> Response {
    let mut links = String::new();
    for n in 0..pages.min(100) {
        let _ = write!(links, "<li><a href=\"/bai/tin-tuc-so-{n}.html\">Tin số {n}</a></li>");
    }
    let body = format!(
        "<!doctype html><html lang=\"vi\"><head><title>Trang thử tải</title></head><body><ul>{links}</ul></body></html>"
    );
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response()
}

async fn article(State(pages): State<usize>, Path(slug): Path<String>) -> Response {
    let n = slug.trim_end_matches(".html").rsplit('-').next().and_then(|n| n.parse::<usize>().ok()).unwrap_or(0)
        % pages.max(1);
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], page(n, pages)).into_response()
}

/// The benchmark site with `pages` pages.
pub fn bench_site(pages: usize) -> Router {
    Router::new()
        .route("/", get(home))
        .route("/robots.txt", get(|| async { "User-agent: *\nAllow: /\n" }))
        .route("/bai/{slug}", get(article))
        .with_state(pages.max(1))
}
