//! The bundled local news site "Tin Thành Phố" that `duluan demo` and the tests crawl.
//!
//! Serves 46 original articles (41 Vietnamese, 5 English; see `site/README.md`) the way real news
//! sites do: a robots.txt, an RSS feed, a sitemap index with a news sitemap, section listing pages,
//! and article pages in three different layouts with real-world noise — navigation, ad slots,
//! breadcrumbs, share bars, related links and reader comments. Every page carries a canonical link
//! on the fixed host [`CANONICAL_HOST`], so item ids do not depend on the port the site runs on.
//! No network beyond the loopback listener it is given.

mod bench;

use std::fmt::Write as _;
use std::sync::Arc;

pub use bench::bench_site;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, Datelike, FixedOffset, Timelike};
use serde::Deserialize;

include!(concat!(env!("OUT_DIR"), "/articles.rs"));

/// The host name used in canonical links.
pub const CANONICAL_HOST: &str = "tinthanhpho.example";

/// Sections with their display names.
const SECTIONS: &[(&str, &str)] = &[
    ("thoi-su", "Thời sự"),
    ("kinh-te", "Kinh tế"),
    ("suc-khoe", "Sức khỏe"),
    ("giao-duc", "Giáo dục"),
    ("xa-hoi", "Xã hội"),
    ("the-thao", "Thể thao"),
    ("van-hoa", "Văn hóa"),
    ("ban-doc", "Bạn đọc"),
    ("world", "World"),
];

/// A reader comment.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Comment {
    /// Nickname.
    pub name: String,
    /// Text.
    pub text: String,
}

/// One article of the site.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Article {
    /// URL slug.
    pub slug: String,
    /// Section slug.
    pub section: String,
    /// `vi` or `en`.
    pub lang: String,
    /// Headline.
    pub title: String,
    /// Lead paragraph.
    pub summary: String,
    /// Byline.
    pub author: String,
    /// RFC 3339 publication time.
    pub published: String,
    /// Topic tags.
    pub tags: Vec<String>,
    /// Which monitoring category the article was written to exercise.
    pub flag: String,
    /// Paragraphs separated by blank lines.
    pub body: String,
    /// Reader comments.
    pub comments: Vec<Comment>,
}

impl Article {
    /// The article's path on the site.
    pub fn path(&self) -> String {
        format!("/{}/{}.html", self.section, self.slug)
    }

    /// The canonical URL (fixed host).
    pub fn canonical_url(&self) -> String {
        format!("https://{CANONICAL_HOST}{}", self.path())
    }

    /// Body paragraphs.
    pub fn paragraphs(&self) -> impl Iterator<Item = &str> {
        self.body.split("\n\n").map(str::trim).filter(|p| !p.is_empty())
    }

    fn published_at(&self) -> Option<DateTime<FixedOffset>> {
        DateTime::parse_from_rfc3339(&self.published).ok()
    }
}

/// The site's content.
#[derive(Debug, Clone)]
pub struct DemoSite {
    articles: Arc<Vec<Article>>,
}

impl DemoSite {
    /// Load the bundled articles, newest first.
    pub fn load() -> Result<DemoSite, String> {
        let mut articles = Vec::with_capacity(ARTICLE_FILES.len());
        for (name, text) in ARTICLE_FILES {
            let article: Article = toml::from_str(text).map_err(|e| format!("demo article {name}: {e}"))?;
            articles.push(article);
        }
        articles.sort_by(|a, b| b.published.cmp(&a.published).then_with(|| a.slug.cmp(&b.slug)));
        Ok(DemoSite { articles: Arc::new(articles) })
    }

    /// The articles, newest first.
    pub fn articles(&self) -> &[Article] {
        &self.articles
    }

    /// The site as an axum router.
    pub fn router(&self) -> Router {
        Router::new()
            .route("/", get(home))
            .route("/robots.txt", get(robots))
            .route("/rss.xml", get(rss))
            .route("/sitemap.xml", get(sitemap_index))
            .route("/sitemap-news.xml", get(news_sitemap))
            .route("/{section}/", get(section_page))
            .route("/{section}/{page}", get(article_page))
            .fallback(not_found)
            .with_state(self.clone())
    }

    fn find(&self, section: &str, slug: &str) -> Option<&Article> {
        self.articles.iter().find(|a| a.section == section && a.slug == slug)
    }
}

/// Serve the site on a bound listener until the process ends.
pub async fn serve(site: DemoSite, listener: tokio::net::TcpListener) -> std::io::Result<()> {
    axum::serve(listener, site.router()).await
}

fn base_url(headers: &HeaderMap) -> String {
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or(CANONICAL_HOST);
    format!("http://{host}")
}

fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn html(body: String) -> Response {
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response()
}

fn xml(body: String, kind: &'static str) -> Response {
    ([(header::CONTENT_TYPE, kind)], body).into_response()
}

async fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        html(page_shell("Không tìm thấy trang", "vi", "", "<h1>404 — Không tìm thấy trang</h1>".into())),
    )
        .into_response()
}

async fn robots(headers: HeaderMap) -> Response {
    let base = base_url(&headers);
    let body = format!(
        "# Tin Thành Phố — robots.txt\nUser-agent: *\nDisallow: /admin/\nDisallow: /tim-kiem\nAllow: /\n\nUser-agent: BadBot\nDisallow: /\n\nSitemap: {base}/sitemap.xml\n"
    );
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], body).into_response()
}

fn section_name(slug: &str) -> &str {
    SECTIONS.iter().find(|(s, _)| *s == slug).map_or(slug, |(_, n)| n)
}

fn vi_date(a: &Article) -> String {
    let Some(d) = a.published_at() else { return a.published.clone() };
    let weekday = ["Thứ hai", "Thứ ba", "Thứ tư", "Thứ năm", "Thứ sáu", "Thứ bảy", "Chủ nhật"]
        [d.weekday().num_days_from_monday() as usize];
    format!("{weekday}, {:02}/{:02}/{}, {:02}:{:02} (GMT+7)", d.day(), d.month(), d.year(), d.hour(), d.minute())
}

fn en_date(a: &Article) -> String {
    a.published_at().map(|d| d.format("%B %-d, %Y %H:%M ICT").to_string()).unwrap_or_else(|| a.published.clone())
}

/// Navigation, header ad and footer shared by every page: the boilerplate extraction must drop.
fn page_shell(title: &str, lang: &str, head_extra: &str, main: String) -> String {
    let mut nav = String::new();
    for (slug, name) in SECTIONS {
        let _ = write!(nav, "<li><a href=\"/{slug}/\">{}</a></li>", esc(name));
    }
    format!(
        r#"<!DOCTYPE html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} - Tin Thành Phố</title>
<meta property="og:site_name" content="Tin Thành Phố">
{head_extra}
<link rel="stylesheet" href="/static/site.css">
<script>window.dataLayer = window.dataLayer || []; function gtag(){{dataLayer.push(arguments);}} gtag('js', new Date());</script>
</head>
<body>
<div id="cookie-consent" class="cookie-banner">Trang web sử dụng cookie để cải thiện trải nghiệm. <button>Đồng ý</button></div>
<header class="site-header">
  <a class="logo" href="/">Tin Thành Phố</a>
  <nav class="main-menu"><ul>{nav}</ul></nav>
  <form class="search" action="/tim-kiem"><input name="q" placeholder="Tìm kiếm"></form>
</header>
<div class="ads ads-top"><a href="https://quangcao.example/nha-dat" rel="sponsored">QUẢNG CÁO: Căn hộ ven sông, chỉ từ 1,2 tỷ đồng — trả góp 0% lãi suất!</a></div>
<main id="main">
{main}
</main>
<footer class="site-footer">
  <p>© 2026 Tin Thành Phố — Cơ quan chủ quản: Hội Nhà báo Thành phố (dữ liệu minh họa).</p>
  <p><a href="/lien-he">Liên hệ</a> · <a href="/quang-cao">Quảng cáo</a> · <a href="/rss.xml">RSS</a></p>
</footer>
</body>
</html>"#,
        title = esc(title),
    )
}

async fn home(State(site): State<DemoSite>) -> Response {
    let mut main = String::from("<h1 class=\"visually-hidden\">Tin mới nhất</h1><div class=\"news-list\">");
    for a in site.articles.iter().take(30) {
        let _ = write!(
            main,
            "<article class=\"item-news\"><h3 class=\"title-news\"><a href=\"{}\">{}</a></h3><p class=\"description\">{}</p><span class=\"cat\">{}</span></article>",
            a.path(),
            esc(&a.title),
            esc(&a.summary),
            esc(section_name(&a.section))
        );
    }
    main.push_str("</div>");
    html(page_shell("Tin mới nhất", "vi", "<meta property=\"og:type\" content=\"website\">", main))
}

async fn section_page(State(site): State<DemoSite>, Path(section): Path<String>) -> Response {
    if !SECTIONS.iter().any(|(s, _)| *s == section) {
        return not_found().await;
    }
    let name = section_name(&section);
    let mut main = format!("<h1 class=\"cat-title\">{}</h1><ul class=\"list-news\">", esc(name));
    for a in site.articles.iter().filter(|a| a.section == section) {
        let _ =
            write!(main, "<li><a href=\"{}\">{}</a> <time>{}</time></li>", a.path(), esc(&a.title), esc(&vi_date(a)));
    }
    main.push_str("</ul>");
    let head = format!(
        "<meta property=\"og:type\" content=\"website\"><link rel=\"canonical\" href=\"https://{CANONICAL_HOST}/{section}/\">"
    );
    html(page_shell(name, "vi", &head, main))
}

async fn article_page(State(site): State<DemoSite>, Path((section, page)): Path<(String, String)>) -> Response {
    let Some(slug) = page.strip_suffix(".html") else { return not_found().await };
    let Some(article) = site.find(&section, slug) else { return not_found().await };
    let index = site.articles.iter().position(|a| a == article).unwrap_or(0);
    let related: Vec<&Article> =
        site.articles.iter().filter(|a| a.section == article.section && a != &article).take(5).collect();
    let head = format!(
        "<link rel=\"canonical\" href=\"{canonical}\">\n<meta property=\"og:type\" content=\"article\">\n<meta property=\"og:title\" content=\"{title}\">\n<meta property=\"og:description\" content=\"{summary}\">\n<meta property=\"article:published_time\" content=\"{published}\">\n<meta name=\"author\" content=\"{author}\">",
        canonical = article.canonical_url(),
        title = esc(&article.title),
        summary = esc(&article.summary),
        published = esc(&article.published),
        author = esc(&article.author),
    );
    let main = match (article.section.as_str(), index % 3) {
        ("ban-doc", _) => forum_layout(article),
        (_, 0) => classic_layout(article, &related),
        (_, 1) => magazine_layout(article, &related),
        _ => schema_layout(article, &related),
    };
    html(page_shell(&article.title, &article.lang, &head, main))
}

fn comments_html(a: &Article) -> String {
    let mut out =
        format!("<section id=\"box_comment\" class=\"comment-section\"><h3>Ý kiến bạn đọc ({})</h3>", a.comments.len());
    for c in &a.comments {
        let _ = write!(
            out,
            "<div class=\"comment-item\"><b class=\"nickname\">{}</b><p class=\"full_content\">{}</p><a href=\"#\" class=\"like\">Thích</a> <a href=\"#\" class=\"reply\">Trả lời</a></div>",
            esc(&c.name),
            esc(&c.text)
        );
    }
    out.push_str("<form class=\"comment-form\"><textarea placeholder=\"Ý kiến của bạn\"></textarea><button>Gửi</button></form></section>");
    out
}

fn related_html(related: &[&Article], heading: &str) -> String {
    let mut out = format!("<div class=\"box-tinlienquan related-news\"><h3>{}</h3><ul>", esc(heading));
    for r in related {
        let _ = write!(out, "<li><a href=\"{}\">{}</a></li>", r.path(), esc(&r.title));
    }
    out.push_str("</ul></div>");
    out
}

fn share_bar() -> &'static str {
    "<div class=\"social-share\"><a href=\"https://facebook.example/share\">Facebook</a> <a href=\"https://zalo.example/share\">Zalo</a> <a href=\"#\">Sao chép link</a></div>"
}

fn paragraphs_html(a: &Article, class: &str) -> String {
    a.paragraphs().map(|p| format!("<p class=\"{class}\">{}</p>", esc(p))).collect::<Vec<_>>().join("\n")
}

/// Layout 1: a VnExpress-like page (breadcrumb, date line, sapo, fck_detail body).
fn classic_layout(a: &Article, related: &[&Article]) -> String {
    let date = if a.lang == "en" { en_date(a) } else { vi_date(a) };
    format!(
        r#"<ul class="breadcrumb"><li><a href="/">Trang chủ</a></li><li><a href="/{section}/">{section_name}</a></li></ul>
<div class="sidebar-1">
  <span class="date">{date}</span>
  <h1 class="title-detail">{title}</h1>
  <p class="description">{summary}</p>
  <article class="fck_detail">
{body}
  <p class="author_mail"><strong>{author}</strong></p>
  </article>
  {share}
  <div class="banner-ads" id="ads-in-article">Quảng cáo — Vay tiêu dùng giải ngân trong 15 phút</div>
  {related}
  {comments}
</div>
<aside class="sidebar-2"><div class="box-most-read"><h3>Xem nhiều</h3><ol><li><a href="/thoi-su/">Tin nóng trong ngày</a></li></ol></div></aside>"#,
        section = a.section,
        section_name = esc(section_name(&a.section)),
        title = esc(&a.title),
        summary = esc(&a.summary),
        body = paragraphs_html(a, "Normal"),
        author = esc(&a.author),
        share = share_bar(),
        related = related_html(related, "Tin liên quan"),
        comments = comments_html(a),
    )
}

/// Layout 2: a magazine-like page with `<time>` and a div-based body without `<p>` tags.
fn magazine_layout(a: &Article, related: &[&Article]) -> String {
    let body = a.paragraphs().map(esc).collect::<Vec<_>>().join("<br><br>\n");
    format!(
        r#"<div class="detail-container">
  <div class="detail-cate"><a href="/{section}/">{section_name}</a></div>
  <h1 class="detail-title article-title">{title}</h1>
  <div class="detail-info"><div class="detail-author">{author}</div><time datetime="{published}">{date}</time></div>
  <h2 class="detail-sapo">{summary}</h2>
  <div class="detail-content afcbc-body">
{body}
  </div>
  <div class="detail-tab"><span class="tag-title">Từ khóa:</span> {tags}</div>
  {share}
  {related}
  <div class="box-comment">{comments}</div>
</div>"#,
        section = a.section,
        section_name = esc(section_name(&a.section)),
        title = esc(&a.title),
        author = esc(&a.author),
        published = esc(&a.published),
        date = esc(&vi_date(a)),
        summary = esc(&a.summary),
        tags = a
            .tags
            .iter()
            .map(|t| format!("<a class=\"tag-item\" href=\"/tag/{}\">{}</a>", esc(&t.replace(' ', "-")), esc(t)))
            .collect::<Vec<_>>()
            .join(" "),
        share = share_bar(),
        related = related_html(related, "Đọc thêm"),
        comments = comments_html(a),
    )
}

/// Layout 3: JSON-LD metadata and schema.org microdata, related links inside the article.
fn schema_layout(a: &Article, related: &[&Article]) -> String {
    let paragraphs: Vec<String> = a.paragraphs().map(|p| format!("<p>{}</p>", esc(p))).collect();
    let half = paragraphs.len() / 2;
    let json_ld = format!(
        "{{\"@context\":\"https://schema.org\",\"@type\":\"NewsArticle\",\"headline\":{},\"datePublished\":{},\"author\":{{\"@type\":\"Person\",\"name\":{}}}}}",
        json_string(&a.title),
        json_string(&a.published),
        json_string(&a.author)
    );
    format!(
        r#"<script type="application/ld+json">{json_ld}</script>
<article itemscope itemtype="https://schema.org/NewsArticle" class="post">
  <header class="post-header"><h1 itemprop="headline">{title}</h1><div class="post-meta">Đăng bởi <span class="byline">{author}</span> · {date}</div></header>
  <div class="post-lead"><strong>{summary}</strong></div>
  <div itemprop="articleBody" class="post-content entry-content">
{first}
  <div class="inline-related"><strong>Xem thêm:</strong> {inline}</div>
{second}
  </div>
  <footer class="post-footer">{share}</footer>
</article>
{related}
{comments}"#,
        title = esc(&a.title),
        author = esc(&a.author),
        date = esc(&vi_date(a)),
        summary = esc(&a.summary),
        first = paragraphs[..half].join("\n"),
        inline = related.first().map(|r| format!("<a href=\"{}\">{}</a>", r.path(), esc(&r.title))).unwrap_or_default(),
        second = paragraphs[half..].join("\n"),
        share = share_bar(),
        related = related_html(related, "Cùng chuyên mục"),
        comments = comments_html(a),
    )
}

/// Layout 4 (reader posts): a forum thread with the post and replies.
fn forum_layout(a: &Article) -> String {
    let mut replies = String::new();
    for (i, c) in a.comments.iter().enumerate() {
        let _ = write!(
            replies,
            "<div class=\"reply-post\" id=\"reply-{i}\"><div class=\"user-info\">{}</div><div class=\"reply-text\">{}</div></div>",
            esc(&c.name),
            esc(&c.text)
        );
    }
    format!(
        r#"<div class="forum-thread">
  <div class="thread-title"><h1>{title}</h1></div>
  <div class="post first-post">
    <div class="user-info"><span class="username">{author}</span><span class="post-date">{date}</span></div>
    <div class="post-body message-content">
{body}
    </div>
  </div>
  <div class="thread-replies comments">{replies}</div>
</div>"#,
        title = esc(&a.title),
        author = esc(&a.author),
        date = esc(&vi_date(a)),
        body = paragraphs_html(a, "post-paragraph"),
    )
}

fn json_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '<' => out.push_str("\\u003c"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn rfc2822(a: &Article) -> String {
    a.published_at().map(|d| d.to_rfc2822()).unwrap_or_default()
}

async fn rss(State(site): State<DemoSite>, headers: HeaderMap) -> Response {
    let base = base_url(&headers);
    let mut items = String::new();
    for a in site.articles.iter().take(50) {
        let _ = writeln!(
            items,
            "<item><title><![CDATA[{}]]></title><link>{base}{}</link><guid isPermaLink=\"false\">{}</guid><pubDate>{}</pubDate><description><![CDATA[<a href=\"{base}{}\"><img src=\"{base}/img/{}.jpg\"></a></br>{}]]></description></item>",
            a.title.replace("]]>", "]]]]><![CDATA[>"),
            a.path(),
            esc(&a.slug),
            rfc2822(a),
            a.path(),
            esc(&a.slug),
            a.summary.replace("]]>", "]]]]><![CDATA[>"),
        );
    }
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel><title>Tin Thành Phố - Tin mới nhất</title><link>{base}/</link><description>Tin tức thành phố</description><language>vi</language>\n{items}</channel></rss>"
    );
    xml(body, "application/rss+xml; charset=utf-8")
}

async fn sitemap_index(headers: HeaderMap) -> Response {
    let base = base_url(&headers);
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\"><sitemap><loc>{base}/sitemap-news.xml</loc></sitemap></sitemapindex>"
    );
    xml(body, "application/xml; charset=utf-8")
}

async fn news_sitemap(State(site): State<DemoSite>, headers: HeaderMap) -> Response {
    let base = base_url(&headers);
    let mut urls = String::new();
    for a in site.articles.iter() {
        let _ = writeln!(
            urls,
            "<url><loc>{base}{}</loc><news:news><news:publication><news:name>Tin Thành Phố</news:name><news:language>{}</news:language></news:publication><news:publication_date>{}</news:publication_date><news:title>{}</news:title></news:news></url>",
            a.path(),
            esc(&a.lang),
            esc(&a.published),
            esc(&a.title)
        );
    }
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\" xmlns:news=\"http://www.google.com/schemas/sitemap-news/0.9\">\n{urls}</urlset>"
    );
    xml(body, "application/xml; charset=utf-8")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_articles_load() {
        let site = DemoSite::load().unwrap_or_else(|e| panic!("{e}"));
        assert!(site.articles().len() >= 40);
        assert!(site.articles().iter().any(|a| a.lang == "en"));
        assert!(site.articles().iter().filter(|a| a.flag != "none").count() >= 8);
        for a in site.articles() {
            assert!(a.paragraphs().count() >= 2, "{}", a.slug);
            assert!(a.published_at().is_some(), "{}", a.slug);
        }
    }

    #[test]
    fn pages_escape_content() {
        let site = DemoSite::load().unwrap_or_else(|e| panic!("{e}"));
        let a = &site.articles()[0];
        let mut evil = a.clone();
        evil.title = "<script>alert(1)</script>".into();
        let page = classic_layout(&evil, &[]);
        assert!(!page.contains("<script>alert"));
        assert!(json_string("</script>").contains("\\u003c/script>"));
    }
}
