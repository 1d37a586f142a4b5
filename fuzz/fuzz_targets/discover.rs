//! Feed (RSS/Atom/JSON Feed) and sitemap parsing on arbitrary bytes: no panic, entry counts stay
//! under the caps, and every link is http(s). The first byte picks the parser.

#![no_main]

use duluan_crawl::discover::{MAX_ENTRIES, feed_links, sitemap_links};
use libfuzzer_sys::fuzz_target;
use url::Url;

fuzz_target!(|data: &[u8]| {
    let Some((&which, body)) = data.split_first() else { return };
    let Ok(base) = Url::parse("https://tin.example.vn/rss/thoi-su.rss") else { return };
    if which & 1 == 0 {
        if let Ok(links) = feed_links(body, &base) {
            assert!(links.len() <= MAX_ENTRIES);
            assert!(links.iter().all(|l| matches!(l.url.scheme(), "http" | "https")));
        }
    } else if let Ok(sitemap) = sitemap_links(body, &base) {
        assert!(sitemap.pages.len() <= MAX_ENTRIES);
        assert!(sitemap.pages.iter().all(|l| matches!(l.url.scheme(), "http" | "https")));
    }
});
