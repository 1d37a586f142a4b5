//! The CPU stage: bytes or text in, a finished [`Item`] out (decode, extract, clean, language,
//! signatures, rules and sentiment). Pure and synchronous: callers run it off the async runtime.

use chrono::{DateTime, Utc};
use duluan_crawl::canon::canonicalize;
use duluan_crawl::dedup::simhash_of;
use duluan_extract::Options;
use duluan_model::{Item, Source, SourceKind, content_hash, item_id_for_url};
use duluan_rules::{Doc, Engine, Register};
use duluan_text::Analysis;
use url::Url;

/// What the stage needs to know about where a page came from.
#[derive(Debug, Clone, Default)]
pub struct Origin {
    /// Source id.
    pub source_id: String,
    /// Source tags.
    pub tags: Vec<String>,
    /// Source region.
    pub region: Option<String>,
    /// Language hint.
    pub lang: Option<String>,
    /// Honour cross-host canonical links.
    pub trust_canonical: bool,
    /// What kind of text its items are, for sentiment.
    pub register: Register,
}

impl Origin {
    /// The origin of items from a configured source.
    pub fn of(source: &Source) -> Origin {
        Origin {
            source_id: source.id.clone(),
            tags: source.tags.clone(),
            region: source.region.clone(),
            lang: source.lang.clone(),
            trust_canonical: source.trust_canonical,
            register: register_of(source.kind),
        }
    }

    /// The origin of manually ingested items: pages and article records, read as news.
    pub fn ingest(source_id: &str) -> Origin {
        Origin {
            source_id: source_id.to_string(),
            trust_canonical: true,
            register: Register::News,
            ..Origin::default()
        }
    }
}

/// Sites read through feeds, sitemaps and section pages publish news; social sources carry
/// posts and comments, which voice opinions.
fn register_of(kind: SourceKind) -> Register {
    match kind {
        SourceKind::Feed | SourceKind::Sitemap | SourceKind::Listing => Register::News,
        SourceKind::Mastodon | SourceKind::Telegram | SourceKind::Reddit | SourceKind::Youtube => Register::Opinion,
    }
}

/// What a feed or sitemap said about the page, used where the page itself is silent.
#[derive(Debug, Clone, Default)]
pub struct Hints {
    /// Title from the feed.
    pub title: Option<String>,
    /// Publication time from the feed.
    pub published: Option<DateTime<Utc>>,
}

/// The outcome of processing one page.
#[derive(Debug, Clone)]
pub enum Processed {
    /// An article, ready to store (its story is assigned by the store stage), and the links on
    /// its page.
    Item(Box<Item>, Vec<String>),
    /// Not an article; its links may still be worth following.
    NotArticle {
        /// Why.
        reason: String,
        /// Links found on the page.
        links: Vec<String>,
    },
}

/// Turn a fetched HTML page into an item.
#[allow(clippy::too_many_arguments)]
pub fn process_html(
    engine: &Engine,
    extract: &Options,
    url: &Url,
    body: &[u8],
    charset: Option<&str>,
    origin: &Origin,
    hints: &Hints,
    fetched_at: DateTime<Utc>,
) -> Processed {
    if duluan_text::looks_binary(body) {
        return Processed::NotArticle { reason: "binary content, not HTML".into(), links: Vec::new() };
    }
    let tld = url.host_str().and_then(|h| h.rsplit('.').next());
    let decoded = duluan_text::decode(body, charset, tld);
    let mut options = extract.clone();
    options.lang_hint = origin.lang.clone();
    let article = duluan_extract::extract(&decoded.text, Some(url.as_str()), &options);
    if !article.is_article {
        let reason = if article.text.is_empty() {
            "no article text found".to_string()
        } else {
            format!("not an article ({} characters of main text)", article.text.chars().count())
        };
        return Processed::NotArticle { reason, links: article.links };
    }
    let canonical = choose_canonical(url, article.canonical_url.as_deref(), origin.trust_canonical);
    let title = if article.title.is_empty() { hints.title.clone().unwrap_or_default() } else { article.title };
    let published = article.published_at.or(hints.published);
    let item = build_item(
        engine,
        url.as_str(),
        &canonical,
        &title,
        &article.text,
        Some(&article.lang),
        published,
        origin,
        fetched_at,
    );
    Processed::Item(Box::new(item), article.links)
}

/// Build an item from text that needs no extraction (JSONL records, API posts).
#[allow(clippy::too_many_arguments)]
pub fn build_item(
    engine: &Engine,
    url: &str,
    canonical: &str,
    title: &str,
    text: &str,
    lang: Option<&str>,
    published: Option<DateTime<Utc>>,
    origin: &Origin,
    fetched_at: DateTime<Utc>,
) -> Item {
    let title = duluan_text::clean(title).replace('\n', " ");
    let text = duluan_text::clean(text);
    // `vi-VN` and `EN` stored as `vi` and `en`, as rule filters and search ask.
    let lang = duluan_text::item_language(lang, &title, &text, origin.lang.as_deref());
    let normalized = duluan_text::normalize(&text).to_lowercase();
    // A date in the future is a parsing or site error: file the item under its fetch time.
    let published = published.filter(|p| *p <= fetched_at + chrono::Duration::hours(24));
    let doc = Doc {
        title: &title,
        text: &text,
        lang: &lang,
        source: &origin.source_id,
        source_tags: &origin.tags,
        region: origin.region.as_deref(),
        at: Some(published.unwrap_or(fetched_at)),
        register: origin.register,
    };
    let (title_analysis, text_analysis) = (Analysis::new(&title), Analysis::new(&text));
    let (flags, sentiment) = engine.analyze_analyzed(&doc, &title_analysis, &text_analysis);
    let id = item_id_for_url(canonical);
    Item {
        story_id: id.clone(),
        id,
        url: url.to_string(),
        canonical_url: canonical.to_string(),
        source_id: origin.source_id.clone(),
        source_tags: origin.tags.clone(),
        region: origin.region.clone(),
        content_hash: content_hash(&normalized),
        simhash: simhash_of(&text_analysis),
        title,
        text,
        lang,
        published_at: published,
        fetched_at,
        sentiment,
        flags,
    }
}

/// The page's canonical URL if it may be trusted, else the fetched URL canonicalised.
fn choose_canonical(fetched: &Url, declared: Option<&str>, trust_any_host: bool) -> String {
    let own = canonicalize(fetched);
    let Some(declared) = declared.and_then(|d| Url::parse(d).ok()) else {
        return own.to_string();
    };
    let declared = canonicalize(&declared);
    let same_site = match (own.host_str(), declared.host_str()) {
        (Some(a), Some(b)) => registrable(a) == registrable(b),
        _ => false,
    };
    if same_site || trust_any_host { declared.to_string() } else { own.to_string() }
}

/// The registrable part of a host name (`m.vnexpress.net` → `vnexpress.net`,
/// `tuoitre.com.vn` → `tuoitre.com.vn`), close enough for canonical-link checks.
fn registrable(host: &str) -> String {
    let labels: Vec<&str> = host.trim_end_matches('.').split('.').collect();
    if labels.len() <= 2 || host.parse::<std::net::IpAddr>().is_ok() {
        return host.to_string();
    }
    let second = labels[labels.len() - 2];
    let keep =
        if matches!(second, "com" | "net" | "org" | "gov" | "edu" | "co" | "ac" | "info" | "int") { 3 } else { 2 };
    labels[labels.len().saturating_sub(keep)..].join(".")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_links_are_trusted_only_on_the_same_site() {
        let page = Url::parse("https://m.vnexpress.net/a.html?utm_source=x").unwrap_or_else(|_| unreachable!());
        assert_eq!(
            choose_canonical(&page, Some("https://vnexpress.net/a.html"), false),
            "https://vnexpress.net/a.html"
        );
        assert_eq!(
            choose_canonical(&page, Some("https://evil.example/a.html"), false),
            "https://m.vnexpress.net/a.html"
        );
        assert_eq!(choose_canonical(&page, Some("https://evil.example/a.html"), true), "https://evil.example/a.html");
        assert_eq!(choose_canonical(&page, None, false), "https://m.vnexpress.net/a.html");
        assert_eq!(registrable("news.tuoitre.com.vn"), "tuoitre.com.vn");
    }

    /// News sites' items are scored as news, social posts as opinions: `chưa ghi nhận ca mắc
    /// mới` ("no new case recorded") reports good news, not a complaint.
    #[test]
    fn sources_give_their_items_a_register() {
        assert_eq!(register_of(SourceKind::Feed), Register::News);
        assert_eq!(register_of(SourceKind::Listing), Register::News);
        assert_eq!(register_of(SourceKind::Reddit), Register::Opinion);
        assert_eq!(register_of(SourceKind::Telegram), Register::Opinion);
        assert_eq!(Origin::ingest("x").register, Register::News);
        let rules = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../rules"));
        let engine = Engine::load(rules).unwrap_or_else(|e| panic!("{e:?}"));
        let item = |register| {
            let origin = Origin { register, ..Origin::ingest("x") };
            let text = "Chưa ghi nhận ca mắc mới tại thành phố";
            build_item(&engine, "https://a.vn/1", "https://a.vn/1", "", text, Some("vi"), None, &origin, Utc::now())
        };
        assert_eq!(item(Register::News).sentiment.label, duluan_model::Label::Neutral);
        assert_eq!(item(Register::Opinion).sentiment.label, duluan_model::Label::Negative);
    }
}
