//! Public social sources that need no account or key: Mastodon public timelines and hashtags,
//! Telegram public channel previews, Reddit public JSON listings, YouTube channel feeds.
//!
//! They arrive with their content, so each yields [`Post`]s rather than links to fetch. Only the
//! public text, its link and its time are kept: duluan records content, never who posted it.

use chrono::{DateTime, Utc};
use scraper::{Html, Selector};
use serde::Deserialize;
use url::Url;

use crate::canon::canonical_link;
use crate::discover::MAX_ENTRIES;

/// A public post with its content.
#[derive(Debug, Clone, PartialEq)]
pub struct Post {
    /// Canonical link to the post.
    pub url: Url,
    /// A title: the post's own, or its first words.
    pub title: String,
    /// The post's text.
    pub text: String,
    /// When it was posted.
    pub published: Option<DateTime<Utc>>,
    /// Language the platform reports, if any.
    pub lang: Option<String>,
}

/// Longest title made from a post's first words, in characters.
const TITLE_CHARS: usize = 100;

/// A title from the first line of a text, cut at a word boundary.
pub fn title_from(text: &str) -> String {
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("").trim();
    if first.chars().count() <= TITLE_CHARS {
        return first.to_string();
    }
    let cut: String = first.chars().take(TITLE_CHARS).collect();
    let cut = cut.rsplit_once(' ').map_or(cut.as_str(), |(head, _)| head);
    format!("{cut}…")
}

/// Plain text of an HTML fragment: paragraphs and line breaks become newlines.
pub fn html_to_text(html: &str) -> String {
    let marked = html.replace("<br>", "\n").replace("<br/>", "\n").replace("<br />", "\n").replace("</p>", "</p>\n");
    let fragment = Html::parse_fragment(&marked);
    let text: String = fragment.root_element().text().collect();
    text.lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

#[derive(Deserialize)]
struct MastodonStatus {
    url: Option<String>,
    uri: Option<String>,
    created_at: Option<String>,
    #[serde(default)]
    content: String,
    #[serde(default)]
    spoiler_text: String,
    language: Option<String>,
    reblog: Option<Box<MastodonStatus>>,
}

/// Statuses of a Mastodon timeline (`/api/v1/timelines/public`, `/api/v1/timelines/tag/NAME`).
pub fn mastodon_posts(body: &[u8], base: &Url) -> Result<Vec<Post>, String> {
    let statuses: Vec<MastodonStatus> =
        serde_json::from_slice(body).map_err(|e| format!("not a Mastodon timeline: {e}"))?;
    let mut out = Vec::new();
    for status in statuses.into_iter().take(MAX_ENTRIES) {
        // A boost carries the original post: index that, once.
        let status = match status.reblog {
            Some(original) => *original,
            None => status,
        };
        let Some(url) = status.url.or(status.uri).and_then(|u| canonical_link(Some(base), &u)) else { continue };
        let text = html_to_text(&status.content);
        let text = if status.spoiler_text.is_empty() { text } else { format!("{}\n{text}", status.spoiler_text) };
        if text.trim().is_empty() {
            continue;
        }
        out.push(Post {
            url,
            title: title_from(&text),
            published: status.created_at.and_then(|d| duluan_text::parse_date(&d)),
            lang: status.language,
            text,
        });
    }
    Ok(out)
}

#[derive(Deserialize)]
struct RedditListing {
    data: RedditData,
}

#[derive(Deserialize)]
struct RedditData {
    #[serde(default)]
    children: Vec<RedditChild>,
}

#[derive(Deserialize)]
struct RedditChild {
    data: RedditPost,
}

#[derive(Deserialize)]
struct RedditPost {
    #[serde(default)]
    title: String,
    #[serde(default)]
    selftext: String,
    permalink: Option<String>,
    created_utc: Option<f64>,
    #[serde(default)]
    over_18: bool,
}

/// Posts of a Reddit public JSON listing (`https://www.reddit.com/r/NAME/new.json`).
pub fn reddit_posts(body: &[u8], base: &Url) -> Result<Vec<Post>, String> {
    let listing: RedditListing = serde_json::from_slice(body).map_err(|e| format!("not a Reddit listing: {e}"))?;
    let mut out = Vec::new();
    for child in listing.data.children.into_iter().take(MAX_ENTRIES) {
        let p = child.data;
        if p.over_18 {
            continue;
        }
        let Some(url) = p.permalink.and_then(|l| canonical_link(Some(base), &l)) else { continue };
        let text = if p.selftext.trim().is_empty() { p.title.clone() } else { p.selftext.clone() };
        out.push(Post {
            url,
            title: if p.title.is_empty() { title_from(&text) } else { p.title },
            published: p.created_utc.and_then(|t| DateTime::from_timestamp(t as i64, 0)),
            lang: None,
            text,
        });
    }
    Ok(out)
}

/// Messages of a Telegram public channel preview (`https://t.me/s/CHANNEL`).
pub fn telegram_posts(html: &str, base: &Url) -> Result<Vec<Post>, String> {
    let document = Html::parse_document(html);
    let message = Selector::parse("div.tgme_widget_message[data-post]").map_err(|e| e.to_string())?;
    let text_sel = Selector::parse("div.tgme_widget_message_text").map_err(|e| e.to_string())?;
    let time_sel = Selector::parse("time[datetime]").map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    for m in document.select(&message).take(MAX_ENTRIES) {
        let Some(post) = m.value().attr("data-post") else { continue };
        let Some(url) = canonical_link(Some(base), &format!("https://t.me/{post}")) else { continue };
        let Some(text_el) = m.select(&text_sel).next() else { continue };
        let text = html_to_text(&text_el.inner_html());
        if text.is_empty() {
            continue;
        }
        let published =
            m.select(&time_sel).next().and_then(|t| t.value().attr("datetime")).and_then(duluan_text::parse_date);
        out.push(Post { url, title: title_from(&text), text, published, lang: None });
    }
    if out.is_empty() && !html.contains("tgme_") {
        return Err("not a Telegram channel preview page".into());
    }
    Ok(out)
}

/// `media:description` of each YouTube feed entry, by its alternate link (feed-rs does not read
/// the `media:group` of YouTube's Atom feeds).
fn youtube_descriptions(body: &[u8]) -> std::collections::HashMap<String, String> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_reader(body);
    reader.config_mut().trim_text(true);
    let mut out = std::collections::HashMap::new();
    let (mut href, mut in_description, mut description) = (None::<String>, false, String::new());
    let mut buf = Vec::new();
    loop {
        match reader.read_event_into(&mut buf) {
            Ok(Event::Start(e)) | Ok(Event::Empty(e)) => match e.name().as_ref() {
                b"entry" => (href, description) = (None, String::new()),
                b"link" => {
                    let attrs: Vec<_> = e.attributes().flatten().collect();
                    let alternate = attrs.iter().all(|a| a.key.as_ref() != b"rel" || a.value.as_ref() == b"alternate");
                    if alternate {
                        href = attrs
                            .iter()
                            .find(|a| a.key.as_ref() == b"href")
                            .map(|a| String::from_utf8_lossy(&a.value).into_owned());
                    }
                }
                b"media:description" => in_description = true,
                _ => {}
            },
            Ok(Event::Text(t)) if in_description => {
                description.push_str(&t.xml_content().map(|c| c.into_owned()).unwrap_or_default());
            }
            Ok(Event::End(e)) => match e.name().as_ref() {
                b"media:description" => in_description = false,
                b"entry" => {
                    if let Some(h) = href.take() {
                        out.insert(h, std::mem::take(&mut description));
                    }
                }
                _ => {}
            },
            Ok(Event::Eof) | Err(_) => break,
            _ => {}
        }
        buf.clear();
    }
    out
}

/// Videos of a YouTube channel feed: title and description (the watch page needs a browser).
pub fn youtube_posts(body: &[u8], base: &Url) -> Result<Vec<Post>, String> {
    let descriptions = youtube_descriptions(body);
    let feed = feed_rs::parser::Builder::new()
        .base_uri(Some(base.as_str()))
        .build()
        .parse(body)
        .map_err(|e| format!("not a readable feed: {e}"))?;
    let mut out = Vec::new();
    for entry in feed.entries.into_iter().take(MAX_ENTRIES) {
        let Some(link) = entry.links.first() else { continue };
        let Some(url) = canonical_link(Some(base), &link.href) else { continue };
        let title = entry.title.map(|t| t.content).unwrap_or_default();
        let description = descriptions
            .get(&link.href)
            .cloned()
            .or_else(|| entry.media.iter().find_map(|m| m.description.as_ref().map(|d| d.content.clone())))
            .or_else(|| entry.summary.map(|s| s.content))
            .unwrap_or_default();
        let text = if description.trim().is_empty() { title.clone() } else { description };
        if text.trim().is_empty() {
            continue;
        }
        out.push(Post {
            url,
            title: if title.is_empty() { title_from(&text) } else { title },
            text,
            published: entry.published.or(entry.updated),
            lang: None,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base(u: &str) -> Url {
        Url::parse(u).unwrap_or_else(|_| unreachable!())
    }

    #[test]
    fn mastodon_statuses_and_boosts() {
        let json = r#"[
          {"id":"1","url":"https://mastodon.example/@a/1","created_at":"2026-11-20T03:00:00.000Z","content":"<p>Giá rau <b>tăng</b> mạnh</p><p>dòng hai</p>","spoiler_text":"","language":"vi","reblog":null},
          {"id":"2","url":"https://mastodon.example/@b/2","created_at":"2026-11-20T04:00:00.000Z","content":"","spoiler_text":"","language":null,
           "reblog":{"id":"3","url":"https://mastodon.example/@c/3","created_at":"2026-11-19T04:00:00.000Z","content":"<p>bài gốc</p>","spoiler_text":"","language":"vi","reblog":null}},
          {"id":"4","url":null,"uri":null,"content":"<p>no link</p>"}
        ]"#;
        let posts = mastodon_posts(json.as_bytes(), &base("https://mastodon.example/")).expect("parse");
        assert_eq!(posts.len(), 2);
        assert_eq!(posts[0].text, "Giá rau tăng mạnh\ndòng hai");
        assert_eq!(posts[0].title, "Giá rau tăng mạnh");
        assert_eq!(posts[1].url.as_str(), "https://mastodon.example/@c/3");
        assert!(mastodon_posts(b"{\"error\":\"x\"}", &base("https://m.example/")).is_err());
    }

    #[test]
    fn reddit_listing() {
        let json = r#"{"kind":"Listing","data":{"children":[
          {"kind":"t3","data":{"title":"Kẹt xe ở cầu","selftext":"","permalink":"/r/vietnam/comments/abc/ket_xe/","created_utc":1763600000.0,"over_18":false}},
          {"kind":"t3","data":{"title":"nsfw","selftext":"x","permalink":"/r/x/1/","created_utc":1763600000.0,"over_18":true}}
        ]}}"#;
        let posts = reddit_posts(json.as_bytes(), &base("https://www.reddit.com/r/vietnam/new.json")).expect("parse");
        assert_eq!(posts.len(), 1);
        assert_eq!(posts[0].url.as_str(), "https://www.reddit.com/r/vietnam/comments/abc/ket_xe/");
        assert_eq!(posts[0].text, "Kẹt xe ở cầu");
        assert!(posts[0].published.is_some());
    }

    #[test]
    fn telegram_preview() {
        let html = r#"<html><body><div class="tgme_widget_message_wrap"><div class="tgme_widget_message" data-post="tintuc/42">
          <div class="tgme_widget_message_text">Thông báo: <b>cắt điện</b> khu vực phường 3<br>từ 8h đến 12h</div>
          <a class="tgme_widget_message_date" href="https://t.me/tintuc/42"><time datetime="2026-11-20T01:00:00+00:00">08:00</time></a>
        </div></div></body></html>"#;
        let posts = telegram_posts(html, &base("https://t.me/s/tintuc")).expect("parse");
        assert_eq!(posts.len(), 1);
        assert_eq!(posts[0].url.as_str(), "https://t.me/tintuc/42");
        assert_eq!(posts[0].text, "Thông báo: cắt điện khu vực phường 3\ntừ 8h đến 12h");
        assert!(telegram_posts("<html>nothing</html>", &base("https://t.me/s/x")).is_err());
    }

    #[test]
    fn youtube_feed_descriptions() {
        let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns:yt="http://www.youtube.com/xml/schemas/2015" xmlns:media="http://search.yahoo.com/mrss/" xmlns="http://www.w3.org/2005/Atom">
 <title>Kênh</title><id>yt:channel:x</id><updated>2026-11-20T00:00:00+00:00</updated>
 <entry><id>yt:video:abc</id><title>Bản tin sáng</title><link rel="alternate" href="https://www.youtube.com/watch?v=abc"/>
  <published>2026-11-20T00:00:00+00:00</published><updated>2026-11-20T00:00:00+00:00</updated>
  <media:group><media:title>Bản tin sáng</media:title><media:description>Giá xăng giảm, kẹt xe ở cửa ngõ.</media:description></media:group>
 </entry></feed>"#;
        let posts = youtube_posts(xml.as_bytes(), &base("https://www.youtube.com/feeds/videos.xml?channel_id=x"))
            .expect("parse");
        assert_eq!(posts.len(), 1);
        assert_eq!(posts[0].text, "Giá xăng giảm, kẹt xe ở cửa ngõ.");
        assert_eq!(posts[0].url.as_str(), "https://www.youtube.com/watch?v=abc");
    }

    #[test]
    fn titles_from_long_text() {
        let long = "một ".repeat(60);
        let t = title_from(&long);
        assert!(t.ends_with('…') && t.chars().count() <= TITLE_CHARS + 1);
    }
}
