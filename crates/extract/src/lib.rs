//! Article extraction: one HTML page in, its main text and metadata out.
//!
//! Takes decoded HTML (see `duluan_text::decode`) and the page URL and produces an [`Article`]:
//! the main text with boilerplate removed (navigation, share bars, ads, related links, comments,
//! subscription offers), one paragraph per line with headings and list items kept; the title,
//! canonical URL, published and modified dates (JSON-LD, `<meta>`, `<time>`, Vietnamese visible
//! dates, URL patterns), byline, site name, description and language; the page's outgoing links
//! for discovery; and whether the page is an article at all (a listing or an empty shell is not).
//!
//! A byte-level prefilter drops scripts, styles, comments, graphics and unread attributes, then
//! html5ever parses the page once; one iterative walk cuts it into text blocks, and the article is
//! the element whose blocks weigh most (prose for, link lists against). The text is returned as
//! the page wrote it — entities resolved, whitespace collapsed, nothing normalised — so offsets and
//! benchmarks match the page. Bounded on hostile input: linear prefilter, nesting capped before
//! parsing, no recursion, at most `max_nodes` elements examined. `README.md` beside this crate
//! describes the heuristics and their measured quality and speed.

mod boilerplate;
mod content;
mod meta;
mod prefilter;
pub mod warc;

use chrono::{DateTime, Utc};
use scraper::Html;
use serde::Serialize;
use url::Url;

/// Extraction settings.
#[derive(Debug, Clone)]
pub struct Options {
    /// Pages with less main text than this are not articles.
    pub min_article_chars: usize,
    /// Elements examined at most; the rest of a huge DOM is ignored.
    pub max_nodes: usize,
    /// Language hint from the source configuration.
    pub lang_hint: Option<String>,
}

impl Default for Options {
    fn default() -> Self {
        Options { min_article_chars: 150, max_nodes: 200_000, lang_hint: None }
    }
}

/// What extraction found on a page.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Article {
    /// The URL the page was fetched from, if known.
    pub url: Option<String>,
    /// `<link rel=canonical>` or `og:url`, resolved against the page URL.
    pub canonical_url: Option<String>,
    /// Title without the site-name suffix.
    pub title: String,
    /// Main text, one paragraph per line, as written on the page.
    pub text: String,
    /// Publication time, if the page states one.
    pub published_at: Option<DateTime<Utc>>,
    /// Last modification time, if stated.
    pub modified_at: Option<DateTime<Utc>>,
    /// Byline as published (text only).
    pub byline: Option<String>,
    /// Site name (`og:site_name`).
    pub site_name: Option<String>,
    /// Description (`og:description` / meta description).
    pub description: Option<String>,
    /// ISO 639-1 language code or `und`.
    pub lang: String,
    /// Whether this page is an article (false for listing pages and empty shells).
    pub is_article: bool,
    /// Absolute http(s) links found on the page, in order, without duplicates or fragments.
    #[serde(skip)]
    pub links: Vec<String>,
}

/// Extract an article from decoded HTML. Never panics; a page without content yields an empty,
/// non-article result.
pub fn extract(html: &str, url: Option<&str>, options: &Options) -> Article {
    extract_inner(html, url, options, &mut None)
}

/// Time spent in each stage of `extract` (prefilter, parse, meta, text, lang, links), in
/// seconds, added to `laps`; for benchmarks.
#[doc(hidden)]
pub fn extract_timed(html: &str, url: Option<&str>, options: &Options, laps: &mut [f64; 6]) -> Article {
    let mut clock = Some((std::time::Instant::now(), *laps));
    let article = extract_inner(html, url, options, &mut clock);
    if let Some((_, l)) = clock {
        *laps = l;
    }
    article
}

type Clock = Option<(std::time::Instant, [f64; 6])>;

fn lap(clock: &mut Clock, stage: usize) {
    if let Some((start, laps)) = clock {
        let now = std::time::Instant::now();
        laps[stage] += (now - *start).as_secs_f64();
        *start = now;
    }
}

fn extract_inner(html: &str, url: Option<&str>, options: &Options, clock: &mut Clock) -> Article {
    let base = url.and_then(|u| Url::parse(u).ok());
    let pre = prefilter::prefilter(html, MAX_DEPTH);
    lap(clock, 0);
    let document = Html::parse_document(&pre.html);
    lap(clock, 1);
    let meta = meta::Meta::read(&document, base.as_ref(), &pre.json_ld);
    lap(clock, 2);
    let settings = content::TextSettings::default();
    let content = content::main_text(&document, options.max_nodes, &meta.title_candidates(), settings);
    let title = meta.title(content.h1.as_deref());
    let text = content.text;
    lap(clock, 3);
    let lang_hint = meta.html_lang.as_deref().or(options.lang_hint.as_deref());
    let sample = if text.is_empty() { title.as_str() } else { language_sample(&text) };
    let lang = duluan_text::detect_language(sample, lang_hint).code.to_string();
    let visible_date = || content.date_texts.iter().find_map(|t| meta::parse_date(t));
    let published_at = meta.published.or_else(visible_date).or_else(|| base.as_ref().and_then(meta::date_from_url));
    // A listing (section, tag or home page) has many headline links and little prose of its own.
    // `og:type=website` alone is not enough: forums and small sites declare it on every page.
    let listing =
        (meta.is_listing_type() && content.paragraphs < 3) || (content.teaser_links >= 15 && content.paragraphs < 2);
    let is_article = text.chars().count() >= options.min_article_chars
        && content.link_density < 0.4
        && content.longest_block >= 60
        && !listing;
    lap(clock, 4);
    let links = content::links(&document, base.as_ref(), meta.base_href.as_ref());
    lap(clock, 5);
    Article {
        url: base.as_ref().map(|u| u.to_string()),
        canonical_url: meta.canonical,
        title,
        text,
        published_at,
        modified_at: meta.modified,
        byline: meta.byline.or(content.byline),
        site_name: meta.site_name,
        description: meta.description,
        lang,
        is_article,
        links,
    }
}

/// The first few kilobytes of the text, cut at a line end: enough for language identification,
/// which otherwise reads the whole article.
fn language_sample(text: &str) -> &str {
    const SAMPLE: usize = 4096;
    if text.len() <= SAMPLE {
        return text;
    }
    let mut cut = SAMPLE;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    let head = &text[..cut];
    match head.rfind('\n') {
        Some(p) if p > SAMPLE / 2 => &head[..p],
        _ => head,
    }
}

/// A trace of the main-text decisions for one page (blocks, weights, the chosen container), for
/// tuning the heuristics; not a stable format.
#[doc(hidden)]
pub fn explain(html: &str) -> String {
    let pre = prefilter::prefilter(html, MAX_DEPTH);
    let document = Html::parse_document(&pre.html);
    let settings = content::TextSettings { explain: true, ..Default::default() };
    content::main_text(&document, Options::default().max_nodes, &[], settings).explanation
}

/// The prefilter and the parse alone, for benchmarks: the floor under `extract`'s cost.
#[doc(hidden)]
pub fn parse_only(html: &str) -> usize {
    let pre = prefilter::prefilter(html, MAX_DEPTH);
    Html::parse_document(&pre.html).tree.nodes().count()
}

/// Deepest tag nesting handed to the parser. Real pages stay under ~60; html5ever's scope checks
/// walk the open-element stack, so a hostile page with 50,000 nested tags would cost quadratic time.
const MAX_DEPTH: usize = 1000;

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = r##"<!doctype html><html lang="vi"><head>
<title>Giá rau tăng mạnh sau mưa lũ - Tin Thành Phố</title>
<meta property="og:site_name" content="Tin Thành Phố">
<meta property="article:published_time" content="2026-11-18T07:45:00+07:00">
<link rel="canonical" href="/kinh-te/gia-rau-tang.html">
</head><body>
<header><nav><a href="/">Trang chủ</a> <a href="/kinh-te">Kinh tế</a> <a href="/the-thao">Thể thao</a></nav></header>
<div class="ads-top">Quảng cáo: mua nhà giá rẻ</div>
<main><article class="article-detail">
<h1>Giá rau tăng mạnh sau mưa lũ</h1>
<p class="byline">Minh Anh</p>
<p>Sau đợt mưa lũ kéo dài, giá rau xanh tại các chợ trong thành phố tăng gấp đôi so với tuần trước, nhiều tiểu thương cho biết nguồn hàng từ các tỉnh lân cận giảm mạnh.</p>
<p>Bà Lan, tiểu thương chợ Tân Định, nói rau muống đã lên 30.000 đồng một bó &amp; vẫn khan hàng.</p>
<div class="share-bar"><a href="#">Chia sẻ</a> <a href="#">Facebook</a></div>
</article>
<section class="related-news"><h3>Tin liên quan</h3><ul><li><a href="/a">Bài khác một</a></li><li><a href="/b">Bài khác hai</a></li></ul></section>
<div id="comments"><p>Bình luận: ko tin dc</p></div>
</main>
<footer>© Tin Thành Phố</footer></body></html>"##;

    #[test]
    fn extracts_main_text_and_metadata() {
        let a = extract(
            PAGE,
            Some("https://tinthanhpho.example/kinh-te/gia-rau-tang.html?utm_source=x"),
            &Options::default(),
        );
        assert_eq!(a.title, "Giá rau tăng mạnh sau mưa lũ");
        assert!(a.text.starts_with("Sau đợt mưa lũ"), "{}", a.text);
        assert!(a.text.contains("30.000 đồng một bó & vẫn khan hàng."));
        assert!(!a.text.contains("Quảng cáo"));
        assert!(!a.text.contains("Bình luận"));
        assert!(!a.text.contains("Tin liên quan"));
        assert!(!a.text.contains("Chia sẻ"));
        assert_eq!(a.text.lines().count(), 2, "{}", a.text);
        assert_eq!(a.canonical_url.as_deref(), Some("https://tinthanhpho.example/kinh-te/gia-rau-tang.html"));
        assert_eq!(a.site_name.as_deref(), Some("Tin Thành Phố"));
        assert_eq!(a.lang, "vi");
        assert!(a.is_article);
        assert_eq!(a.published_at.map(|d| d.to_rfc3339()), Some("2026-11-18T00:45:00+00:00".to_string()));
        assert!(a.links.iter().any(|l| l == "https://tinthanhpho.example/the-thao"));
    }

    #[test]
    fn listing_page_is_not_an_article() {
        let mut html = String::from("<html><body><h1>Kinh tế</h1><ul>");
        for i in 0..30 {
            html.push_str(&format!(
                "<li><a href=\"/kinh-te/bai-{i}.html\">Tiêu đề bài viết số {i} về giá cả thị trường</a></li>"
            ));
        }
        html.push_str("</ul></body></html>");
        let a = extract(&html, Some("https://tinthanhpho.example/kinh-te"), &Options::default());
        assert!(!a.is_article);
        assert_eq!(a.links.len(), 30);
    }

    #[test]
    fn huge_flat_pages_are_bounded_by_max_nodes() {
        let html: String = (0..20_000)
            .map(|i| format!("<p>Giá rau tăng mạnh sau mưa lũ lần thứ {i}, người dân cho biết.</p>"))
            .collect();
        let a = extract(&html, None, &Options { max_nodes: 500, ..Options::default() });
        assert!(a.text.lines().count() <= 500);
        let a = extract(&html, None, &Options::default());
        assert!(a.text.lines().count() > 1000);
    }

    #[test]
    fn amp_pages_and_listings() {
        let p = "Sau đợt mưa lũ kéo dài, giá rau xanh tại các chợ trong thành phố tăng gấp đôi so với tuần trước.";
        let amp = format!(
            "<html amp lang=\"vi\"><head><link rel=\"canonical\" href=\"https://e.vn/a.html\">\
             <style amp-custom>p{{}}</style></head><body><amp-ad type=\"x\"><div placeholder>Quảng cáo</div></amp-ad>\
             <article><h1>Giá rau</h1><p>{p}</p><amp-img src=\"a.jpg\" layout=\"responsive\"></amp-img><p>{p} (2)</p></article></body></html>"
        );
        let a = extract(&amp, Some("https://e.vn/amp/a.html"), &Options::default());
        assert_eq!(a.canonical_url.as_deref(), Some("https://e.vn/a.html"));
        assert_eq!(a.text, format!("{p}\n{p} (2)"));
        assert!(a.is_article);
        // Headline links and no prose of its own: a listing, whatever its size.
        let teasers: String = (0..20)
            .map(|i| format!("<div class=\"item\"><h3><a href=\"/bai-{i}.html\">Tiêu đề bài viết số {i} về giá cả thị trường</a></h3></div>"))
            .collect();
        let a = extract(&format!("<body><div>{teasers}</div><p>{p}</p></body>"), None, &Options::default());
        assert!(!a.is_article);
    }

    #[test]
    fn deep_and_broken_html_do_not_crash() {
        let deep = "<div>".repeat(50_000) + "chữ" + &"</div>".repeat(10);
        let a = extract(&deep, None, &Options { max_nodes: 10_000, ..Options::default() });
        assert!(!a.is_article);
        let broken = "<html><body><p>Mở <b>thẻ <i>không đóng<p>đoạn hai <script>alert(1)</script>";
        let a = extract(broken, None, &Options::default());
        assert!(!a.text.contains("alert"));
    }
}
