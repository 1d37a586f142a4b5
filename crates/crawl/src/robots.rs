//! robots.txt per RFC 9309, cached per origin.
//!
//! 2xx: the rules (at most `max_bytes` read). 4xx: no rules — everything allowed. 5xx, network
//! failure or a refused address: the site counts as fully disallowed, and is asked again after a
//! short time instead of the full cache period.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use robotxt::Robots;
use tokio::sync::Mutex;
use tokio::time::Instant;
use url::Url;

use crate::fetch::Fetcher;

/// The product token matched against `User-agent:` lines.
pub const ROBOTS_AGENT: &str = "duluan";

/// How long a failed robots.txt fetch blocks the site before it is asked again.
const UNREACHABLE_TTL: Duration = Duration::from_secs(600);

#[derive(Debug)]
struct Entry {
    robots: Arc<Robots>,
    expires: Instant,
}

/// Cached robots.txt answers.
#[derive(Debug)]
pub(crate) struct RobotsCache {
    origins: Mutex<HashMap<String, Arc<Mutex<Option<Entry>>>>>,
    ttl: Duration,
    max_bytes: usize,
}

impl RobotsCache {
    pub(crate) fn new(ttl: Duration, max_bytes: usize) -> RobotsCache {
        RobotsCache { origins: Mutex::new(HashMap::new()), ttl, max_bytes: max_bytes.max(1) }
    }

    pub(crate) fn max_bytes(&self) -> usize {
        self.max_bytes
    }

    /// The rules for `url`'s origin, fetching them when absent or expired. Concurrent callers for
    /// one origin wait for a single fetch.
    pub(crate) async fn get(&self, fetcher: &Fetcher, url: &Url) -> Arc<Robots> {
        let origin = url.origin().ascii_serialization();
        let slot = {
            let mut origins = self.origins.lock().await;
            origins.entry(origin.clone()).or_default().clone()
        };
        let mut entry = slot.lock().await;
        if let Some(e) = entry.as_ref()
            && e.expires > Instant::now()
        {
            return e.robots.clone();
        }
        let (robots, ttl) = self.fetch(fetcher, &origin).await;
        let robots = Arc::new(robots);
        *entry = Some(Entry { robots: robots.clone(), expires: Instant::now() + ttl });
        robots
    }

    async fn fetch(&self, fetcher: &Fetcher, origin: &str) -> (Robots, Duration) {
        let Ok(url) = Url::parse(&format!("{origin}/robots.txt")) else {
            return (Robots::disallow_all(), UNREACHABLE_TTL);
        };
        match fetcher.fetch_robots(&url).await {
            Ok((status, body)) if (200..300).contains(&status) => (Robots::parse(&body, ROBOTS_AGENT), self.ttl),
            Ok((status, _)) if (400..500).contains(&status) && status != 429 => (Robots::allow_all(), self.ttl),
            Ok((status, _)) => {
                tracing::warn!(%url, status, "robots.txt unavailable, treating the site as disallowed for now");
                (Robots::disallow_all(), UNREACHABLE_TTL)
            }
            Err(e) => {
                tracing::warn!(%url, error = %e, "robots.txt unreachable, treating the site as disallowed for now");
                (Robots::disallow_all(), UNREACHABLE_TTL)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agent_groups_and_delay() {
        let txt = b"User-agent: *\nDisallow: /private\n\nUser-agent: duluan\nDisallow: /no-duluan\nCrawl-delay: 3\n";
        let r = Robots::parse(txt, ROBOTS_AGENT);
        assert!(!r.is_allowed("/no-duluan/x"));
        assert!(r.is_allowed("/private/x"), "the specific group replaces the * group");
        assert_eq!(r.crawl_delay(), Some(Duration::from_secs(3)));
    }
}
