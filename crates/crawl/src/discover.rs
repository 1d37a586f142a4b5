//! Finding article URLs in what sources serve: feeds, sitemaps and HTML listing pages.

use std::io::Read;

use chrono::{DateTime, Utc};
use quick_xml::events::Event;
use scraper::{Html, Selector};
use url::Url;

use crate::canon::{canonical_link, looks_like_trap};

/// An article URL a source points at.
#[derive(Debug, Clone, PartialEq)]
pub struct Link {
    /// Canonical URL.
    pub url: Url,
    /// Title as the source gives it.
    pub title: Option<String>,
    /// Publication time as the source gives it.
    pub published: Option<DateTime<Utc>>,
}

/// Most entries read from one document (feeds with 100k items are cut here).
pub const MAX_ENTRIES: usize = 5000;
/// Largest decompressed sitemap, in bytes (the sitemaps.org limit is 50 MB).
pub const MAX_SITEMAP_BYTES: usize = 50 * 1024 * 1024;

/// Entries of an RSS 0.9x/1.0/2.0, Atom or JSON Feed document. Entries without a usable link
/// are skipped; a document that is not a feed at all is an error.
pub fn feed_links(body: &[u8], base: &Url) -> Result<Vec<Link>, String> {
    let feed = match feed_rs::parser::Builder::new().base_uri(Some(base.as_str())).build().parse(body) {
        Ok(feed) => feed,
        Err(e) => {
            // Broken XML (unclosed tags, stray entities) is common in the wild: salvage the links.
            let salvaged = lenient_feed_links(body, base);
            if salvaged.is_empty() {
                return Err(format!("not a readable feed: {e}"));
            }
            tracing::debug!(url = %base, error = %e, links = salvaged.len(), "malformed feed, links salvaged");
            return Ok(salvaged);
        }
    };
    let mut out = Vec::new();
    for entry in feed.entries.into_iter().take(MAX_ENTRIES) {
        let href = entry
            .links
            .iter()
            .find(|l| l.rel.as_deref().is_none_or(|r| r == "alternate"))
            .or(entry.links.first())
            .map(|l| l.href.clone())
            .or_else(|| entry.id.starts_with("http").then(|| entry.id.clone()));
        // A feed lists the publisher's own articles, however their addresses look: no trap test.
        let Some(url) = href.and_then(|h| canonical_link(Some(base), &h)) else { continue };
        out.push(Link { url, title: entry.title.map(|t| t.content), published: entry.published.or(entry.updated) });
    }
    Ok(out)
}

/// Links of a feed that a strict parser rejects: `<link>URL</link>` (RSS) and
/// `<link href="URL"/>` (Atom) inside `<item>`/`<entry>`, read with end-name checks off.
fn lenient_feed_links(body: &[u8], base: &Url) -> Vec<Link> {
    let mut reader = quick_xml::Reader::from_reader(body);
    let config = reader.config_mut();
    config.check_end_names = false;
    config.trim_text(true);
    let mut out = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut in_item = false;
    let mut in_link = false;
    let mut buf = Vec::new();
    let mut push = |href: &str, out: &mut Vec<Link>| {
        if let Some(url) = canonical_link(Some(base), href)
            && seen.insert(url.to_string())
            && out.len() < MAX_ENTRIES
        {
            out.push(Link { url, title: None, published: None });
        }
    };
    // Stop at the first unrecoverable error, keeping what was read.
    while let Ok(event) = reader.read_event_into(&mut buf) {
        match event {
            Event::Start(e) | Event::Empty(e) => {
                let name = local_name(e.name().as_ref());
                match name.as_str() {
                    "item" | "entry" => in_item = true,
                    "link" if in_item => {
                        let href = e.attributes().flatten().find(|a| a.key.as_ref() == b"href");
                        match href {
                            Some(a) => push(&String::from_utf8_lossy(&a.value), &mut out),
                            None => in_link = true,
                        }
                    }
                    _ => {}
                }
            }
            Event::Text(t) if in_link => {
                let text = t.xml_content().map(|c| c.into_owned()).unwrap_or_default();
                push(text.trim(), &mut out);
                in_link = false;
            }
            Event::CData(t) if in_link => {
                push(String::from_utf8_lossy(&t.into_inner()).trim(), &mut out);
                in_link = false;
            }
            Event::End(e) => {
                let name = local_name(e.name().as_ref());
                if name == "item" || name == "entry" {
                    in_item = false;
                }
                if name == "link" {
                    in_link = false;
                }
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    out
}

/// What a sitemap document lists.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sitemap {
    /// Page URLs (`<urlset>`).
    pub pages: Vec<Link>,
    /// Child sitemaps (`<sitemapindex>`).
    pub children: Vec<Url>,
}

/// Decompress a gzip'd body (by its magic bytes) with a cap; other bodies pass through.
pub fn maybe_gunzip(body: &[u8], cap: usize) -> Result<Vec<u8>, String> {
    if !body.starts_with(&[0x1f, 0x8b]) {
        return Ok(body.to_vec());
    }
    let mut out = Vec::new();
    let mut decoder = flate2::read::GzDecoder::new(body).take(cap as u64 + 1);
    decoder.read_to_end(&mut out).map_err(|e| format!("bad gzip data: {e}"))?;
    if out.len() > cap {
        return Err(format!("decompressed sitemap larger than {cap} bytes"));
    }
    Ok(out)
}

/// Parse an XML sitemap or sitemap index (news `publication_date` and `lastmod` become dates),
/// or a plain-text sitemap (one URL per line).
pub fn sitemap_links(body: &[u8], base: &Url) -> Result<Sitemap, String> {
    let body = maybe_gunzip(body, MAX_SITEMAP_BYTES)?;
    let trimmed = body.iter().skip_while(|b| b.is_ascii_whitespace()).copied().take(5).collect::<Vec<_>>();
    if !trimmed.starts_with(b"<") && !trimmed.starts_with(b"\xEF\xBB\xBF<") {
        let text = String::from_utf8_lossy(&body);
        let pages = text
            .lines()
            .filter_map(|l| canonical_link(Some(base), l.trim()).filter(|_| l.trim().starts_with("http")))
            .take(MAX_ENTRIES)
            .map(|url| Link { url, title: None, published: None })
            .collect();
        return Ok(Sitemap { pages, children: Vec::new() });
    }
    let mut reader = quick_xml::Reader::from_reader(body.as_slice());
    reader.config_mut().trim_text(true);
    let mut out = Sitemap::default();
    let mut path: Vec<String> = Vec::new();
    let mut loc: Option<String> = None;
    let mut date: Option<String> = None;
    let mut title: Option<String> = None;
    let mut buf = Vec::new();
    let mut saw_root = false;
    loop {
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|e| format!("bad sitemap XML at byte {}: {e}", reader.buffer_position()))?;
        match event {
            Event::Start(e) => {
                let name = local_name(e.name().as_ref());
                if path.is_empty() {
                    if name != "urlset" && name != "sitemapindex" {
                        return Err(format!("not a sitemap (root element <{name}>)"));
                    }
                    saw_root = true;
                }
                path.push(name);
                if path.len() > 16 {
                    return Err("sitemap nested too deeply".into());
                }
            }
            Event::End(_) => {
                let closed = path.pop().unwrap_or_default();
                if closed == "url" || closed == "sitemap" {
                    if let Some(u) = loc.take().and_then(|l| canonical_link(Some(base), &l)) {
                        let published = date.take().and_then(|d| duluan_text::parse_date(&d));
                        if closed == "url" {
                            // The publisher's own list, as a feed is: no trap test.
                            if out.pages.len() < MAX_ENTRIES {
                                out.pages.push(Link { url: u, title: title.take(), published });
                            }
                        } else if out.children.len() < 1000 {
                            out.children.push(u);
                        }
                    }
                    date = None;
                    title = None;
                }
            }
            Event::Text(t) => {
                let text = t.xml_content().map(|c| c.into_owned()).unwrap_or_default();
                set_field(&path, text, &mut loc, &mut date, &mut title);
            }
            Event::CData(t) => {
                let text = String::from_utf8_lossy(&t.into_inner()).into_owned();
                set_field(&path, text, &mut loc, &mut date, &mut title);
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    if !saw_root {
        return Err("empty sitemap".into());
    }
    Ok(out)
}

fn set_field(
    path: &[String],
    text: String,
    loc: &mut Option<String>,
    date: &mut Option<String>,
    title: &mut Option<String>,
) {
    match path.last().map(String::as_str) {
        Some("loc") => *loc = Some(text.trim().to_string()),
        // News sitemaps' publication_date is the better date; lastmod only when it is absent.
        Some("publication_date") => *date = Some(text),
        Some("lastmod") if date.is_none() => *date = Some(text),
        Some("title") => *title = Some(text),
        _ => {}
    }
}

fn local_name(qname: &[u8]) -> String {
    let name = String::from_utf8_lossy(qname);
    name.rsplit(':').next().unwrap_or(&name).to_ascii_lowercase()
}

/// Article links on an HTML listing page: by CSS selector when given, otherwise same-site links
/// that look like articles (a slug or a long numeric id, not a section, tag or search page).
pub fn listing_links(html: &str, page: &Url, selector: Option<&str>) -> Result<Vec<Url>, String> {
    let document = Html::parse_document(html);
    let selector = match selector {
        Some(s) => Some(Selector::parse(s).map_err(|e| format!("bad link selector `{s}`: {e}"))?),
        None => None,
    };
    let anchors = Selector::parse("a[href]").map_err(|e| e.to_string())?;
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    let candidates: Box<dyn Iterator<Item = scraper::ElementRef<'_>>> = match &selector {
        Some(sel) => Box::new(document.select(sel).flat_map(|el| {
            let own = (el.value().name() == "a").then_some(el);
            own.into_iter().chain(el.select(&anchors).filter(move |_| el.value().name() != "a"))
        })),
        None => Box::new(document.select(&anchors)),
    };
    for a in candidates {
        let Some(url) = a.value().attr("href").and_then(|h| canonical_link(Some(page), h)) else { continue };
        if url == *page || looks_like_trap(&url) {
            continue;
        }
        if selector.is_none() && !looks_like_article(&url, page) {
            continue;
        }
        if seen.insert(url.to_string()) {
            out.push(url);
        }
        if out.len() >= MAX_ENTRIES {
            break;
        }
    }
    Ok(out)
}

fn looks_like_article(url: &Url, page: &Url) -> bool {
    if url.host_str() != page.host_str() {
        return false;
    }
    let path = url.path().to_ascii_lowercase();
    const NOT_ARTICLES: &[&str] = &[
        "/tag/",
        "/tags/",
        "/category/",
        "/chuyen-muc/",
        "/author/",
        "/tac-gia/",
        "/search",
        "/tim-kiem",
        "/login",
        "/dang-nhap",
        "/page/",
        "/video/",
        "/rss",
        "/feed",
        "/lien-he",
        "/contact",
    ];
    if NOT_ARTICLES.iter().any(|p| path.contains(p)) {
        return false;
    }
    const FILES: &[&str] = &[".jpg", ".jpeg", ".png", ".gif", ".pdf", ".zip", ".mp4", ".mp3", ".css", ".js", ".xml"];
    if FILES.iter().any(|ext| path.ends_with(ext)) {
        return false;
    }
    let last = path.trim_end_matches('/').rsplit('/').next().unwrap_or("");
    let slug = last.trim_end_matches(".html").trim_end_matches(".htm").trim_end_matches(".ldo");
    let hyphens = slug.matches('-').count();
    let long_number = slug.split(|c: char| !c.is_ascii_digit()).any(|d| d.len() >= 5);
    hyphens >= 3 || long_number || (last.ends_with(".html") || last.ends_with(".htm")) && hyphens >= 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Url {
        Url::parse("https://tinthanhpho.example/").unwrap_or_else(|_| unreachable!())
    }

    #[test]
    fn rss_atom_and_json_feeds() {
        let rss = r#"<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>
<item><title>Giá rau tăng</title><link>/kinh-te/gia-rau-tang.html?utm_source=rss</link><pubDate>Wed, 18 Nov 2026 07:45:00 +0700</pubDate></item>
<item><title>No link</title></item>
<item><title><![CDATA[<b>HTML</b> title]]></title><link>https://tinthanhpho.example/a-b-c-d.html</link></item>
</channel></rss>"#;
        let links = feed_links(rss.as_bytes(), &base()).expect("rss");
        assert_eq!(links.len(), 2);
        assert_eq!(links[0].url.as_str(), "https://tinthanhpho.example/kinh-te/gia-rau-tang.html");
        assert!(links[0].published.is_some());
        let atom = r#"<feed xmlns="http://www.w3.org/2005/Atom"><title>A</title><id>x</id><updated>2026-11-18T00:00:00Z</updated>
<entry><title>E</title><id>urn:1</id><link href="https://e.example/e-1-2-3"/><updated>2026-11-18T00:00:00Z</updated></entry></feed>"#;
        assert_eq!(feed_links(atom.as_bytes(), &base()).expect("atom").len(), 1);
        let json = r#"{"version":"https://jsonfeed.org/version/1","title":"J","items":[{"id":"1","url":"https://e.example/j-1","title":"J1"}]}"#;
        assert_eq!(feed_links(json.as_bytes(), &base()).expect("json").len(), 1);
        assert!(feed_links(b"<html><body>not a feed</body></html>", &base()).is_err());
    }

    #[test]
    fn feed_and_sitemap_entries_are_kept_whatever_their_addresses() {
        let articles = [
            "https://tinthanhpho.example/index.php?id=2087&option=com_content&view=article",
            "https://tinthanhpho.example/lich/2031",
            "https://tinthanhpho.example/a/b/a/b/a/b/bai.html",
        ];
        let items: String = articles
            .iter()
            .map(|u| format!("<item><title>T</title><link>{}</link></item>", u.replace('&', "&amp;")))
            .collect();
        let rss = format!(r#"<rss version="2.0"><channel><title>T</title>{items}</channel></rss>"#);
        let urls: Vec<String> =
            feed_links(rss.as_bytes(), &base()).expect("rss").iter().map(|l| l.url.to_string()).collect();
        assert_eq!(urls, articles);
        let broken = rss.replace("</channel></rss>", "");
        assert_eq!(feed_links(broken.as_bytes(), &base()).expect("salvaged").len(), 3);
        let locs: String =
            articles.iter().map(|u| format!("<url><loc>{}</loc></url>", u.replace('&', "&amp;"))).collect();
        let sitemap = format!(r#"<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{locs}</urlset>"#);
        assert_eq!(sitemap_links(sitemap.as_bytes(), &base()).expect("urlset").pages.len(), 3);
    }

    #[test]
    fn broken_feeds_are_salvaged() {
        let broken = r#"<rss version="2.0"><channel><title>T &nbsp; broken
<item><title>Một <b>tin</title><link>/a-b-c-d.html</link><pubDate>không phải ngày</pubDate></item>
<item><title>Hai</title><link>/a-b-c-d.html</link></item>
<item><title>Ba</title><link><![CDATA[https://tinthanhpho.example/e-f-g-h.html]]></link>
</channel>"#;
        let links = feed_links(broken.as_bytes(), &base()).expect("salvaged");
        let urls: Vec<&str> = links.iter().map(|l| l.url.as_str()).collect();
        assert_eq!(urls, ["https://tinthanhpho.example/a-b-c-d.html", "https://tinthanhpho.example/e-f-g-h.html"]);
    }

    #[test]
    fn sitemaps_indexes_gzip_and_news() {
        let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
<url><loc>https://tinthanhpho.example/a-b-c-d.html</loc><news:news><news:publication_date>2026-11-18T07:45:00+07:00</news:publication_date><news:title>Tin</news:title></news:news></url>
<url><loc><![CDATA[https://tinthanhpho.example/e-f-g-h.html]]></loc><lastmod>2026-11-17</lastmod></url>
</urlset>"#;
        let s = sitemap_links(xml.as_bytes(), &base()).expect("urlset");
        assert_eq!(s.pages.len(), 2);
        assert!(s.pages[0].published.is_some() && s.pages[0].title.as_deref() == Some("Tin"));
        let index = r#"<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><sitemap><loc>https://tinthanhpho.example/s1.xml</loc></sitemap></sitemapindex>"#;
        assert_eq!(sitemap_links(index.as_bytes(), &base()).expect("index").children.len(), 1);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        std::io::Write::write_all(&mut gz, xml.as_bytes()).expect("gzip");
        let gz = gz.finish().expect("gzip");
        assert_eq!(sitemap_links(&gz, &base()).expect("gz").pages.len(), 2);
        assert!(sitemap_links(b"<html></html>", &base()).is_err());
        assert!(
            sitemap_links(b"<urlset><url><loc>x", &base()).is_err()
                || sitemap_links(b"<urlset><url><loc>x", &base()).is_ok()
        );
    }

    #[test]
    fn gzip_bombs_are_capped() {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        std::io::Write::write_all(&mut gz, &vec![b'a'; 20 * 1024 * 1024]).expect("gzip");
        let gz = gz.finish().expect("gzip");
        assert!(gz.len() < 100_000);
        assert!(maybe_gunzip(&gz, 1024 * 1024).is_err());
    }

    #[test]
    fn listing_pages() {
        let html = r#"<html><body><nav><a href="/kinh-te/">Kinh tế</a><a href="/tag/gia-ca">tag</a></nav>
<div class="list"><h3><a href="/kinh-te/gia-rau-tang-sau-mua-lu.html">Giá rau</a></h3>
<a href="/kinh-te/gia-rau-tang-sau-mua-lu.html#comments">bình luận</a>
<a href="/xa-hoi/tin-12345678.htm">Tin</a><a href="https://other.example/a-b-c-d.html">ngoài</a></div></body></html>"#;
        let page = Url::parse("https://tinthanhpho.example/kinh-te/").unwrap_or_else(|_| unreachable!());
        let auto = listing_links(html, &page, None).expect("auto");
        let urls: Vec<&str> = auto.iter().map(Url::as_str).collect();
        assert_eq!(
            urls,
            [
                "https://tinthanhpho.example/kinh-te/gia-rau-tang-sau-mua-lu.html",
                "https://tinthanhpho.example/xa-hoi/tin-12345678.htm"
            ]
        );
        let picked = listing_links(html, &page, Some("div.list h3")).expect("selector");
        assert_eq!(picked.len(), 1);
        assert!(listing_links(html, &page, Some("[[[")).is_err());
    }
}
