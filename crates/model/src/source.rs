use serde::{Deserialize, Serialize};

use crate::string_enum;

string_enum!(
    /// How a source is read.
    SourceKind, "source type", {
        /// RSS 0.9x/1.0/2.0, Atom or JSON Feed.
        Feed => "feed",
        /// XML sitemap or sitemap index.
        Sitemap => "sitemap",
        /// An HTML section page whose article links are followed.
        Listing => "listing",
        /// Mastodon public timeline or hashtag.
        Mastodon => "mastodon",
        /// Telegram public channel preview.
        Telegram => "telegram",
        /// Reddit public JSON listing.
        Reddit => "reddit",
        /// YouTube channel feed.
        Youtube => "youtube",
    }
);

/// A configured place to collect from (one `[[source]]` table in `config/sources.toml`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// Unique, stable id (used in item records and search filters).
    pub id: String,
    /// Source type.
    #[serde(rename = "type")]
    pub kind: SourceKind,
    /// Entry URL (feed, sitemap or listing page).
    pub url: String,
    /// Human-readable name; defaults to the id.
    #[serde(default)]
    pub name: Option<String>,
    /// Poll interval in minutes; defaults to `[crawl] default_interval_minutes`.
    #[serde(default)]
    pub schedule: Option<u32>,
    /// Free tags (e.g. `news`, `national`), used in rule filters, routing and search.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Region tag (e.g. a district), used for routing.
    #[serde(default)]
    pub region: Option<String>,
    /// Language hint for the extractor (`vi`, `en`).
    #[serde(default)]
    pub lang: Option<String>,
    /// Paused sources are kept but not crawled.
    #[serde(default = "enabled_default")]
    pub enabled: bool,
    /// Most articles taken from one poll of this source.
    #[serde(default)]
    pub max_items: Option<usize>,
    /// CSS selector for article links on a listing page; automatic detection when absent.
    #[serde(default)]
    pub link_selector: Option<String>,
    /// Honour `<link rel=canonical>` pointing at another host (a site serving its own pages under
    /// a second name). Off by default: a hostile page could otherwise claim another site's URL.
    #[serde(default)]
    pub trust_canonical: bool,
    /// Also follow same-site links found on fetched pages (sites without feeds or sitemaps).
    #[serde(default)]
    pub follow_links: bool,
    /// How many links deep to follow from the source's own pages (with `follow_links`).
    #[serde(default)]
    pub max_depth: Option<u32>,
}

fn enabled_default() -> bool {
    true
}

impl Source {
    /// The display name.
    pub fn display_name(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.id)
    }
}
