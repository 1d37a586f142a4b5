//! One trait for every kind of source, so more kinds can be added without touching the crawler.

use duluan_model::{Source, SourceKind};
use url::Url;

use crate::discover::{Link, feed_links, listing_links, sitemap_links};
use crate::fetch::Expect;
use crate::robots::ROBOTS_AGENT;
use crate::social::{Post, mastodon_posts, reddit_posts, telegram_posts, youtube_posts};

/// What one source document yields.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Discovery {
    /// Article URLs to fetch.
    pub links: Vec<Link>,
    /// Posts that arrive with their content (social sources).
    pub posts: Vec<Post>,
    /// Further documents of the same source to read (child sitemaps).
    pub children: Vec<Url>,
}

/// Reads one kind of source document.
pub trait SourceAdapter: Send + Sync + std::fmt::Debug {
    /// What to ask the server for.
    fn expect(&self) -> Expect;
    /// Turn a fetched document into links, posts and child documents.
    fn parse(&self, body: &[u8], charset: Option<&str>, url: &Url) -> Result<Discovery, String>;
}

fn links(links: Vec<Link>) -> Discovery {
    Discovery { links, ..Discovery::default() }
}

fn posts(posts: Vec<Post>) -> Discovery {
    Discovery { posts, ..Discovery::default() }
}

fn html_text(body: &[u8], charset: Option<&str>, url: &Url) -> String {
    let tld = url.host_str().and_then(|h| h.rsplit('.').next());
    duluan_text::decode(body, charset, tld).text
}

#[derive(Debug)]
struct Feed;

impl SourceAdapter for Feed {
    fn expect(&self) -> Expect {
        Expect::Data
    }
    fn parse(&self, body: &[u8], _: Option<&str>, url: &Url) -> Result<Discovery, String> {
        feed_links(body, url).map(links)
    }
}

#[derive(Debug)]
struct Sitemap;

impl SourceAdapter for Sitemap {
    fn expect(&self) -> Expect {
        Expect::Data
    }
    fn parse(&self, body: &[u8], _: Option<&str>, url: &Url) -> Result<Discovery, String> {
        // A sitemap source may point at robots.txt: its `Sitemap:` lines are the documents.
        if url.path().ends_with("/robots.txt") {
            let robots = robotxt::Robots::parse(body, ROBOTS_AGENT);
            return Ok(Discovery { children: robots.sitemaps().to_vec(), ..Discovery::default() });
        }
        let sitemap = sitemap_links(body, url)?;
        Ok(Discovery { links: sitemap.pages, children: sitemap.children, posts: Vec::new() })
    }
}

#[derive(Debug)]
struct Listing {
    selector: Option<String>,
}

impl SourceAdapter for Listing {
    fn expect(&self) -> Expect {
        Expect::Html
    }
    fn parse(&self, body: &[u8], charset: Option<&str>, url: &Url) -> Result<Discovery, String> {
        let html = html_text(body, charset, url);
        let found = listing_links(&html, url, self.selector.as_deref())?;
        Ok(links(found.into_iter().map(|url| Link { url, title: None, published: None }).collect()))
    }
}

#[derive(Debug)]
struct Mastodon;

impl SourceAdapter for Mastodon {
    fn expect(&self) -> Expect {
        Expect::Data
    }
    fn parse(&self, body: &[u8], _: Option<&str>, url: &Url) -> Result<Discovery, String> {
        mastodon_posts(body, url).map(posts)
    }
}

#[derive(Debug)]
struct Telegram;

impl SourceAdapter for Telegram {
    fn expect(&self) -> Expect {
        Expect::Html
    }
    fn parse(&self, body: &[u8], charset: Option<&str>, url: &Url) -> Result<Discovery, String> {
        telegram_posts(&html_text(body, charset, url), url).map(posts)
    }
}

#[derive(Debug)]
struct Reddit;

impl SourceAdapter for Reddit {
    fn expect(&self) -> Expect {
        Expect::Data
    }
    fn parse(&self, body: &[u8], _: Option<&str>, url: &Url) -> Result<Discovery, String> {
        reddit_posts(body, url).map(posts)
    }
}

#[derive(Debug)]
struct Youtube;

impl SourceAdapter for Youtube {
    fn expect(&self) -> Expect {
        Expect::Data
    }
    fn parse(&self, body: &[u8], _: Option<&str>, url: &Url) -> Result<Discovery, String> {
        youtube_posts(body, url).map(posts)
    }
}

/// The adapter for a configured source.
pub fn adapter_for(source: &Source) -> Box<dyn SourceAdapter> {
    match source.kind {
        SourceKind::Feed => Box::new(Feed),
        SourceKind::Sitemap => Box::new(Sitemap),
        SourceKind::Listing => Box::new(Listing { selector: source.link_selector.clone() }),
        SourceKind::Mastodon => Box::new(Mastodon),
        SourceKind::Telegram => Box::new(Telegram),
        SourceKind::Reddit => Box::new(Reddit),
        SourceKind::Youtube => Box::new(Youtube),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn robots_sitemap_lines_become_children() {
        let source: Source = toml::from_str("id = \"s\"\ntype = \"sitemap\"\nurl = \"https://e.example/robots.txt\"\n")
            .unwrap_or_else(|e| panic!("{e}"));
        let a = adapter_for(&source);
        let url = Url::parse(&source.url).unwrap_or_else(|_| unreachable!());
        let d =
            a.parse(b"User-agent: *\nDisallow: /x\nSitemap: https://e.example/news.xml\n", None, &url).expect("robots");
        assert_eq!(d.children.len(), 1);
        assert_eq!(d.children[0].as_str(), "https://e.example/news.xml");
    }
}
