//! Page metadata: `<meta>` tags, `<link rel=canonical>`, JSON-LD, `<title>`, URL date patterns.

use chrono::{DateTime, Utc};
use scraper::{Html, Node};
use url::Url;

#[derive(Debug, Default)]
pub(crate) struct Meta {
    og_title: Option<String>,
    html_title: Option<String>,
    ld_headline: Option<String>,
    og_type: Option<String>,
    pub(crate) canonical: Option<String>,
    pub(crate) base_href: Option<Url>,
    pub(crate) published: Option<DateTime<Utc>>,
    pub(crate) modified: Option<DateTime<Utc>>,
    pub(crate) byline: Option<String>,
    pub(crate) site_name: Option<String>,
    pub(crate) description: Option<String>,
    pub(crate) html_lang: Option<String>,
}

fn clean(s: &str) -> Option<String> {
    let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    (!s.is_empty() && s.len() <= 2000).then_some(s)
}

impl Meta {
    pub(crate) fn read(document: &Html, page: Option<&Url>, json_ld: &[String]) -> Meta {
        let mut meta = Meta::default();
        let mut published_candidates: Vec<String> = Vec::new();
        let mut modified_candidates: Vec<String> = Vec::new();
        let mut json_ld: Vec<&str> = json_ld.iter().map(String::as_str).collect();
        let mut inline_ld: Vec<String> = Vec::new();
        let mut canonical_href: Option<String> = None;
        let mut og_url: Option<String> = None;
        for node in document.tree.root().descendants() {
            let Node::Element(el) = node.value() else { continue };
            match el.name() {
                "html" => meta.html_lang = el.attr("lang").and_then(clean),
                "base" => {
                    if let Some(href) = el.attr("href") {
                        meta.base_href = match page {
                            Some(p) => p.join(href).ok(),
                            None => Url::parse(href).ok(),
                        };
                    }
                }
                "title" if meta.html_title.is_none() => {
                    let text: String =
                        node.children().filter_map(|c| c.value().as_text().map(|t| t.to_string())).collect();
                    meta.html_title = clean(&text);
                }
                "link" => {
                    let rel = el.attr("rel").unwrap_or("").to_ascii_lowercase();
                    if rel.split_whitespace().any(|r| r == "canonical") && canonical_href.is_none() {
                        canonical_href = el.attr("href").map(str::to_string);
                    }
                }
                "script" if el.attr("type").is_some_and(|t| t.eq_ignore_ascii_case("application/ld+json")) => {
                    let text: String =
                        node.children().filter_map(|c| c.value().as_text().map(|t| t.to_string())).collect();
                    if text.len() <= 1_000_000 {
                        inline_ld.push(text);
                    }
                }
                "meta" => {
                    let key = el.attr("property").or_else(|| el.attr("name")).or_else(|| el.attr("itemprop"));
                    let (Some(key), Some(content)) = (key, el.attr("content")) else { continue };
                    let key = key.to_ascii_lowercase();
                    let content = content.trim();
                    match key.as_str() {
                        "og:title" | "twitter:title" if meta.og_title.is_none() => meta.og_title = clean(content),
                        "og:site_name" => meta.site_name = clean(content),
                        "og:type" => meta.og_type = clean(content),
                        "og:url" => og_url = Some(content.to_string()),
                        "og:description" | "description" | "twitter:description" if meta.description.is_none() => {
                            meta.description = clean(content)
                        }
                        "author" | "article:author" | "dc.creator" | "byl" | "sailthru.author" | "parsely-author"
                            if meta.byline.is_none() && !content.starts_with("http") =>
                        {
                            meta.byline = clean(content);
                        }
                        _ => match date_key(&key) {
                            Some(DateKey::Published) => published_candidates.push(content.to_string()),
                            Some(DateKey::Modified) => modified_candidates.push(content.to_string()),
                            None => {}
                        },
                    }
                }
                _ => {}
            }
        }
        json_ld.extend(inline_ld.iter().map(String::as_str));
        for text in json_ld {
            meta.read_json_ld(text, &mut published_candidates, &mut modified_candidates);
        }
        let base = meta.base_href.clone().or_else(|| page.cloned());
        meta.canonical = canonical_href.or(og_url).and_then(|href| resolve(base.as_ref(), &href));
        meta.published = published_candidates.iter().find_map(|t| parse_date(t));
        meta.modified = modified_candidates.iter().find_map(|t| parse_date(t));
        meta
    }

    fn read_json_ld(&mut self, text: &str, published: &mut Vec<String>, modified: &mut Vec<String>) {
        let Ok(value) = serde_json::from_str::<serde_json::Value>(text) else { return };
        let mut stack = vec![&value];
        let mut visited = 0;
        while let Some(v) = stack.pop() {
            visited += 1;
            if visited > 10_000 {
                break;
            }
            match v {
                serde_json::Value::Array(items) => stack.extend(items.iter()),
                serde_json::Value::Object(map) => {
                    let is_article = map.get("@type").is_some_and(|t| {
                        let types = match t {
                            serde_json::Value::String(s) => vec![s.as_str()],
                            serde_json::Value::Array(a) => a.iter().filter_map(|x| x.as_str()).collect(),
                            _ => vec![],
                        };
                        types
                            .iter()
                            .any(|t| t.ends_with("Article") || *t == "BlogPosting" || *t == "Report" || *t == "WebPage")
                    });
                    if is_article {
                        if let Some(d) = map.get("datePublished").and_then(|d| d.as_str()) {
                            // JSON-LD is the most reliable source: put it first.
                            published.insert(0, d.to_string());
                        }
                        if let Some(d) = map.get("dateModified").and_then(|d| d.as_str()) {
                            modified.insert(0, d.to_string());
                        }
                        if self.ld_headline.is_none() {
                            self.ld_headline = map.get("headline").and_then(|h| h.as_str()).and_then(clean);
                        }
                        if self.byline.is_none() {
                            self.byline = author_name(map.get("author"));
                        }
                    }
                    if let Some(graph) = map.get("@graph") {
                        stack.push(graph);
                    }
                }
                _ => {}
            }
        }
    }

    /// Title candidates as the page states them (for dropping the title from the body).
    pub(crate) fn title_candidates(&self) -> Vec<String> {
        [&self.og_title, &self.ld_headline, &self.html_title].into_iter().flatten().cloned().collect()
    }

    /// The best title: og:title, JSON-LD headline, the first h1, then `<title>`; site-name
    /// suffixes (`… - Tin Thành Phố`, `… | VnExpress`) stripped.
    pub(crate) fn title(&self, h1: Option<&str>) -> String {
        let candidate = self
            .og_title
            .as_deref()
            .or(self.ld_headline.as_deref())
            .or(h1)
            .or(self.html_title.as_deref())
            .unwrap_or("");
        strip_site_suffix(candidate, self.site_name.as_deref(), h1)
    }

    /// `og:type` says this is a section or home page.
    pub(crate) fn is_listing_type(&self) -> bool {
        matches!(self.og_type.as_deref(), Some("website" | "section" | "profile")) && self.published.is_none()
    }
}

enum DateKey {
    Published,
    Modified,
}

/// Which date a `<meta>` name or property states, whatever its spelling
/// (`article:published_time`, `article:published:time`, `DC.date.issued`, `pubdate`).
fn date_key(key: &str) -> Option<DateKey> {
    let mut compact = String::with_capacity(key.len());
    compact.extend(key.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_lowercase()));
    match compact.as_str() {
        "articlepublishedtime"
        | "articlepublished"
        | "articlepublisheddate"
        | "datepublished"
        | "pubdate"
        | "publishdate"
        | "publisheddate"
        | "publishedtime"
        | "publicationdate"
        | "dcdateissued"
        | "dcdate"
        | "dctermsissued"
        | "dctermscreated"
        | "date"
        | "ogpublishedtime"
        | "parselypubdate"
        | "sailthrudate"
        | "originalpublicationdate"
        | "displaydate"
        | "itempropdatepublished" => Some(DateKey::Published),
        "articlemodifiedtime"
        | "articlemodified"
        | "datemodified"
        | "ogupdatedtime"
        | "lastmodified"
        | "dcdatemodified"
        | "dctermsmodified"
        | "updatedtime"
        | "articleupdatedtime"
        | "modifiedtime" => Some(DateKey::Modified),
        _ => None,
    }
}

/// `duluan_text::parse_date`, except that a date without a time of day is taken at noon
/// (Asia/Ho_Chi_Minh) rather than midnight, so its calendar day survives conversion to any zone
/// from UTC−5 to UTC+14: `2021-12-24` on a page from anywhere stays the 24th.
pub(crate) fn parse_date(text: &str) -> Option<DateTime<Utc>> {
    let date = duluan_text::parse_date(text)?;
    let has_time = text.contains(':')
        || text.as_bytes().windows(2).any(|w| w[0].is_ascii_digit() && (w[1] == b'h' || w[1] == b'H'))
        || text.contains("giờ");
    let vietnam = chrono::FixedOffset::east_opt(7 * 3600)?;
    let local = date.with_timezone(&vietnam);
    if !has_time && local.time() == chrono::NaiveTime::MIN {
        return Some(date + chrono::Duration::hours(12));
    }
    Some(date)
}

fn author_name(value: Option<&serde_json::Value>) -> Option<String> {
    match value? {
        serde_json::Value::String(s) => clean(s),
        serde_json::Value::Object(map) => map.get("name").and_then(|n| n.as_str()).and_then(clean),
        serde_json::Value::Array(items) => {
            let names: Vec<String> = items.iter().filter_map(|i| author_name(Some(i))).collect();
            (!names.is_empty()).then(|| names.join(", "))
        }
        _ => None,
    }
}

fn strip_site_suffix(title: &str, site: Option<&str>, h1: Option<&str>) -> String {
    let title = title.trim();
    if let Some(h1) = h1 {
        // When the h1 is the title minus a suffix or prefix, the h1 is the clean form.
        if h1.len() >= 10 && title.len() > h1.len() && title.contains(h1) {
            return h1.to_string();
        }
    }
    for sep in [" | ", " - ", " – ", " — ", " :: ", " « ", " » "] {
        if let Some(pos) = title.rfind(sep) {
            let (head, tail) = (&title[..pos], &title[pos + sep.len()..]);
            let tail_is_site = site.is_some_and(|s| tail.trim().eq_ignore_ascii_case(s.trim()))
                || (tail.chars().count() <= 30 && head.chars().count() >= 2 * tail.chars().count());
            if tail_is_site && !head.trim().is_empty() {
                return head.trim().to_string();
            }
        }
    }
    title.to_string()
}

fn resolve(base: Option<&Url>, href: &str) -> Option<String> {
    let url = match base {
        Some(b) => b.join(href.trim()).ok()?,
        None => Url::parse(href.trim()).ok()?,
    };
    matches!(url.scheme(), "http" | "https").then(|| url.to_string())
}

/// A date written in the URL path: `/2021/12/24/`, `/2021-12-24/`, `-20211224…`.
pub(crate) fn date_from_url(url: &Url) -> Option<DateTime<Utc>> {
    let path = url.path();
    let digits: Vec<(usize, &str)> = path
        .match_indices(|c: char| c.is_ascii_digit())
        .map(|(i, _)| i)
        .fold(Vec::<(usize, usize)>::new(), |mut runs, i| {
            match runs.last_mut() {
                Some((_, end)) if *end == i => *end += 1,
                _ => runs.push((i, i + 1)),
            }
            runs
        })
        .into_iter()
        .map(|(s, e)| (s, &path[s..e]))
        .collect();
    for window in digits.windows(3) {
        let [(_, y), (_, m), (_, d)] = window else { continue };
        if y.len() == 4
            && m.len() <= 2
            && d.len() <= 2
            && let Some(date) = parse_date(&format!("{y}-{m:0>2}-{d:0>2}"))
        {
            return Some(date);
        }
    }
    for (_, run) in &digits {
        if run.len() >= 8 {
            let (y, rest) = run.split_at(4);
            let (m, rest) = rest.split_at(2);
            let d = &rest[..2];
            if (y.starts_with("19") || y.starts_with("20"))
                && let Some(date) = parse_date(&format!("{y}-{m}-{d}"))
            {
                return Some(date);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn site_suffixes_are_stripped() {
        assert_eq!(strip_site_suffix("Giá rau tăng - Tin Thành Phố", Some("Tin Thành Phố"), None), "Giá rau tăng");
        assert_eq!(strip_site_suffix("Giá rau tăng mạnh sau lũ | VnExpress", None, None), "Giá rau tăng mạnh sau lũ");
        assert_eq!(strip_site_suffix("Covid-19 - vaccine", None, None), "Covid-19 - vaccine");
    }

    #[test]
    fn url_dates() {
        let u = Url::parse("https://e.example/2021/12/24/story.html").unwrap_or_else(|_| unreachable!());
        assert!(date_from_url(&u).is_some());
        let u = Url::parse("https://e.example/tin-20211224103000.htm").unwrap_or_else(|_| unreachable!());
        assert!(date_from_url(&u).is_some());
        let u = Url::parse("https://e.example/a-123.htm").unwrap_or_else(|_| unreachable!());
        assert!(date_from_url(&u).is_none());
    }

    #[test]
    fn date_meta_names_in_any_spelling() {
        for key in ["article:published_time", "article:published:time", "DC.date.issued", "pubdate", "datePublished"] {
            assert!(matches!(date_key(key), Some(DateKey::Published)), "{key}");
        }
        for key in ["article:modified_time", "og:updated_time", "dateModified"] {
            assert!(matches!(date_key(key), Some(DateKey::Modified)), "{key}");
        }
        assert!(date_key("twitter:misc:Est. reading time").is_none());
    }

    #[test]
    fn dates_without_time_are_noon_in_vietnam() {
        let day = |s: &str| parse_date(s).map(|d| d.to_rfc3339());
        // The calendar day survives in UTC and in zones west of it.
        assert_eq!(day("2021-12-24").as_deref(), Some("2021-12-24T05:00:00+00:00"));
        assert_eq!(day("ngày 24 tháng 12 năm 2021").as_deref(), Some("2021-12-24T05:00:00+00:00"));
        // A stated time is kept as stated, midnight included.
        assert_eq!(day("24/12/2021 00:00").as_deref(), Some("2021-12-23T17:00:00+00:00"));
        assert_eq!(day("2021-12-24T10:30:00+07:00").as_deref(), Some("2021-12-24T03:30:00+00:00"));
    }

    #[test]
    fn meta_tag_dates_and_canonical() {
        let html = r#"<html><head><meta name="article:published:time" content="2024-10-23T15:48:15+00:00">
<meta property="article:modified_time" content="2024-10-24T08:00:00+00:00">
<link rel="canonical" href="/a/b.html"><meta property="og:site_name" content="Báo Mới"></head></html>"#;
        let doc = Html::parse_document(html);
        let base = Url::parse("https://baomoi.example/x?utm_source=y").ok();
        let m = Meta::read(&doc, base.as_ref(), &[]);
        assert_eq!(m.published.map(|d| d.to_rfc3339()).as_deref(), Some("2024-10-23T15:48:15+00:00"));
        assert_eq!(m.modified.map(|d| d.to_rfc3339()).as_deref(), Some("2024-10-24T08:00:00+00:00"));
        assert_eq!(m.canonical.as_deref(), Some("https://baomoi.example/a/b.html"));
        assert_eq!(m.site_name.as_deref(), Some("Báo Mới"));
    }

    #[test]
    fn json_ld_dates_and_authors() {
        let html = r#"<html><head><script type="application/ld+json">{"@context":"https://schema.org","@type":"NewsArticle","headline":"Tiêu đề","datePublished":"2021-12-24T10:30:00+07:00","author":[{"@type":"Person","name":"Minh Anh"}]}</script></head><body></body></html>"#;
        let doc = Html::parse_document(html);
        let m = Meta::read(&doc, None, &[]);
        assert_eq!(m.byline.as_deref(), Some("Minh Anh"));
        assert_eq!(m.published.map(|d| d.to_rfc3339()).as_deref(), Some("2021-12-24T03:30:00+00:00"));
        assert_eq!(m.title(None), "Tiêu đề");
    }
}
