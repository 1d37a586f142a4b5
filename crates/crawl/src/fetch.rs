//! Fetching one URL politely and within bounds.

use std::net::SocketAddr;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use rand::Rng;
use reqwest::header::{self, HeaderMap};
use reqwest::redirect::{Attempt, Policy};
use url::Url;

use crate::guard::{GuardedResolver, refuse_ip, refuse_url};
use crate::politeness::HostLimiter;
use crate::robots::RobotsCache;

/// Settings of the fetcher (from `[crawl]` in the configuration).
#[derive(Debug, Clone)]
pub struct FetchConfig {
    /// User-Agent header.
    pub user_agent: String,
    /// Connect timeout.
    pub connect_timeout: Duration,
    /// Whole-request timeout.
    pub timeout: Duration,
    /// Body cap after decompression.
    pub max_body_bytes: usize,
    /// Redirects followed at most.
    pub max_redirects: usize,
    /// Retries for 429, 5xx and network errors.
    pub max_retries: u32,
    /// Base of exponential backoff.
    pub retry_base: Duration,
    /// Allow 127.0.0.0/8 and ::1.
    pub allow_loopback: bool,
    /// Minimum gap between requests to one host.
    pub per_host_delay: Duration,
    /// Requests in flight per host.
    pub per_host_concurrency: usize,
    /// Longest Crawl-delay honoured.
    pub max_crawl_delay: Duration,
    /// How long robots.txt answers are cached.
    pub robots_ttl: Duration,
    /// Largest robots.txt read.
    pub robots_max_bytes: usize,
    /// Longest URL fetched.
    pub max_url_length: usize,
}

impl FetchConfig {
    /// The fetch settings of a duluan configuration.
    pub fn from_config(c: &duluan_config::CrawlConfig) -> FetchConfig {
        FetchConfig {
            user_agent: c.user_agent.clone(),
            connect_timeout: Duration::from_secs(c.connect_timeout_secs),
            timeout: Duration::from_secs(c.timeout_secs),
            max_body_bytes: c.max_body_bytes,
            max_redirects: c.max_redirects,
            max_retries: c.max_retries,
            retry_base: Duration::from_millis(c.retry_base_ms),
            allow_loopback: c.allow_loopback,
            per_host_delay: Duration::from_millis(c.per_host_delay_ms),
            per_host_concurrency: c.per_host_concurrency,
            max_crawl_delay: Duration::from_secs(c.max_crawl_delay_secs),
            robots_ttl: Duration::from_secs(c.robots_cache_hours * 3600),
            robots_max_bytes: c.robots_max_bytes,
            max_url_length: c.max_url_length,
        }
    }
}

/// What is expected at a URL: decides which content types are accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// An HTML page.
    Html,
    /// A feed, sitemap or API response (XML, JSON, text, gzip).
    Data,
}

/// Validators for a conditional GET.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    /// `ETag` from the last response.
    pub etag: Option<String>,
    /// `Last-Modified` from the last response.
    pub last_modified: Option<String>,
}

/// A successful response.
#[derive(Debug, Clone)]
pub struct Response {
    /// URL after redirects.
    pub url: Url,
    /// HTTP status.
    pub status: u16,
    /// `304 Not Modified`: `body` is empty and the cached copy is current.
    pub not_modified: bool,
    /// Media type without parameters, lower case.
    pub content_type: Option<String>,
    /// `charset` parameter of the Content-Type.
    pub charset: Option<String>,
    /// Validators to send next time.
    pub validators: Validators,
    /// The body, decompressed, at most `max_body_bytes`.
    pub body: Bytes,
    /// The address actually connected to.
    pub remote: Option<SocketAddr>,
}

/// Why a fetch failed. Every variant has a short, stable reason for the crawl record.
#[derive(Debug, Clone, thiserror::Error, PartialEq)]
#[non_exhaustive]
pub enum FetchError {
    /// Not a fetchable URL.
    #[error("invalid url: {0}")]
    InvalidUrl(String),
    /// Refused by the SSRF guard.
    #[error("{0}")]
    Refused(String),
    /// robots.txt disallows it.
    #[error("disallowed by robots.txt")]
    RobotsDisallowed,
    /// The request took too long.
    #[error("timed out after {0:?}")]
    Timeout(Duration),
    /// The body exceeded the cap.
    #[error("body larger than {0} bytes")]
    TooLarge(usize),
    /// Too many redirects or a loop.
    #[error("{0}")]
    Redirect(String),
    /// HTTP error status.
    #[error("http status {0}")]
    Status(u16),
    /// Connection or protocol failure.
    #[error("network error: {0}")]
    Network(String),
    /// Not the expected kind of content.
    #[error("unexpected content: {0}")]
    Content(String),
}

impl FetchError {
    /// Whether trying again later may help.
    pub fn retryable(&self) -> bool {
        match self {
            FetchError::Status(s) => *s == 429 || *s >= 500,
            FetchError::Network(_) | FetchError::Timeout(_) => true,
            _ => false,
        }
    }

    /// A short category for metrics labels (a bounded set, unlike the messages).
    pub fn kind(&self) -> &'static str {
        match self {
            FetchError::InvalidUrl(_) => "invalid_url",
            FetchError::Refused(_) => "refused",
            FetchError::RobotsDisallowed => "robots",
            FetchError::Timeout(_) => "timeout",
            FetchError::TooLarge(_) => "too_large",
            FetchError::Redirect(_) => "redirect",
            FetchError::Status(s) if *s >= 500 => "status_5xx",
            FetchError::Status(429) => "status_429",
            FetchError::Status(_) => "status_4xx",
            FetchError::Network(_) => "network",
            FetchError::Content(_) => "content",
        }
    }

    /// The HTTP status, if the failure had one.
    pub fn status(&self) -> Option<u16> {
        match self {
            FetchError::Status(s) => Some(*s),
            _ => None,
        }
    }
}

/// Fetches URLs: SSRF guard, robots.txt, per-host pacing, timeouts, body cap, redirects, retries.
#[derive(Debug)]
pub struct Fetcher {
    client: reqwest::Client,
    config: FetchConfig,
    hosts: HostLimiter,
    robots: RobotsCache,
}

/// Longest Retry-After waited in place; longer ones fail the attempt (the URL is retried later).
const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

impl Fetcher {
    /// Build a fetcher.
    pub fn new(config: FetchConfig) -> Result<Fetcher, FetchError> {
        let max_redirects = config.max_redirects;
        let allow_loopback = config.allow_loopback;
        let policy = Policy::custom(move |attempt: Attempt<'_>| {
            if attempt.previous().len() >= max_redirects {
                return attempt.error(format!("more than {max_redirects} redirects"));
            }
            if attempt.previous().iter().any(|u| u == attempt.url()) {
                return attempt.error("redirect loop");
            }
            if let Some(reason) = refuse_url(attempt.url(), allow_loopback) {
                return attempt.error(format!("redirect {reason}"));
            }
            attempt.follow()
        });
        let client = reqwest::Client::builder()
            .user_agent(config.user_agent.clone())
            .connect_timeout(config.connect_timeout)
            .timeout(config.timeout)
            .redirect(policy)
            .dns_resolver(GuardedResolver::new(allow_loopback))
            .pool_max_idle_per_host(config.per_host_concurrency.max(1))
            .build()
            .map_err(|e| FetchError::Network(format!("cannot build the http client: {e}")))?;
        let hosts = HostLimiter::new(config.per_host_delay, config.per_host_concurrency);
        let robots = RobotsCache::new(config.robots_ttl, config.robots_max_bytes);
        Ok(Fetcher { client, config, hosts, robots })
    }

    /// The configuration in use.
    pub fn config(&self) -> &FetchConfig {
        &self.config
    }

    /// Fetch `url` after checking robots.txt, with retries for transient failures.
    pub async fn fetch(
        &self,
        url: &Url,
        expect: Expect,
        validators: Option<&Validators>,
    ) -> Result<Response, FetchError> {
        self.check_url(url)?;
        let robots = self.robots.get(self, url).await;
        if !robots.is_url_allowed(url) {
            return Err(FetchError::RobotsDisallowed);
        }
        if let Some(delay) = robots.crawl_delay() {
            self.hosts.set_min_delay(url, delay.min(self.config.max_crawl_delay));
        }
        self.fetch_with_retries(url, expect, validators).await
    }

    fn check_url(&self, url: &Url) -> Result<(), FetchError> {
        if url.as_str().len() > self.config.max_url_length {
            return Err(FetchError::InvalidUrl(format!("longer than {} bytes", self.config.max_url_length)));
        }
        if let Some(reason) = refuse_url(url, self.config.allow_loopback) {
            return Err(FetchError::Refused(reason));
        }
        Ok(())
    }

    pub(crate) async fn fetch_with_retries(
        &self,
        url: &Url,
        expect: Expect,
        validators: Option<&Validators>,
    ) -> Result<Response, FetchError> {
        let mut attempt = 0;
        loop {
            let result = self.fetch_once(url, expect, validators).await;
            let (error, retry_after) = match result {
                Ok(r) => return Ok(r),
                Err(e) => e,
            };
            if !error.retryable() || attempt >= self.config.max_retries {
                return Err(error);
            }
            let backoff = self.config.retry_base * 2u32.saturating_pow(attempt);
            let jitter = rand::rng().random_range(0..=backoff.as_millis().min(10_000) as u64 / 2);
            let wait = match retry_after {
                Some(ra) if ra > MAX_RETRY_AFTER => return Err(error),
                Some(ra) => ra.max(backoff),
                None => backoff + Duration::from_millis(jitter),
            };
            tracing::debug!(url = %url, attempt, wait_ms = wait.as_millis() as u64, error = %error, "retrying");
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }

    /// One request; on failure also returns the server's Retry-After, if any.
    async fn fetch_once(
        &self,
        url: &Url,
        expect: Expect,
        validators: Option<&Validators>,
    ) -> Result<Response, (FetchError, Option<Duration>)> {
        let _permit = self.hosts.acquire(url).await;
        let mut request = self.client.get(url.clone()).header(header::ACCEPT, accept(expect));
        if let Some(v) = validators {
            if let Some(etag) = &v.etag {
                request = request.header(header::IF_NONE_MATCH, etag);
            }
            if let Some(lm) = &v.last_modified {
                request = request.header(header::IF_MODIFIED_SINCE, lm);
            }
        }
        let response = request.send().await.map_err(|e| (classify(&e, self.config.timeout), None))?;
        if let Some(remote) = response.remote_addr()
            && let Some(reason) = refuse_ip(remote.ip(), self.config.allow_loopback)
        {
            return Err((FetchError::Refused(format!("refused: connected to a {reason} ({})", remote.ip())), None));
        }
        let status = response.status().as_u16();
        let final_url = response.url().clone();
        let headers = response.headers().clone();
        let remote = response.remote_addr();
        if status == 304 {
            return Ok(Response {
                url: final_url,
                status,
                not_modified: true,
                content_type: None,
                charset: None,
                validators: validators_of(&headers),
                body: Bytes::new(),
                remote,
            });
        }
        if (300..400).contains(&status) {
            // The redirect policy follows every http(s) redirect it allows; one left here points
            // elsewhere (another scheme, or nowhere).
            let location = headers.get(header::LOCATION).and_then(|v| v.to_str().ok()).unwrap_or("");
            let scheme = location.split(':').next().unwrap_or("");
            let reason = if location.contains("://") && !matches!(scheme, "http" | "https") {
                format!("redirect refused: scheme `{scheme}` is not allowed")
            } else {
                format!("redirect (status {status}) without a usable location")
            };
            return Err((FetchError::Redirect(reason), None));
        }
        if !(200..300).contains(&status) {
            return Err((FetchError::Status(status), retry_after(&headers)));
        }
        let (content_type, charset) = content_type(&headers);
        if let Some(ct) = &content_type
            && !acceptable(ct, expect)
        {
            return Err((FetchError::Content(format!("content type {ct}")), None));
        }
        if let Some(len) =
            headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<usize>().ok())
        {
            // Only a hint: compressed bodies grow, and the stream below enforces the real cap.
            if len > self.config.max_body_bytes
                && !headers.contains_key(header::CONTENT_ENCODING)
                && expect == Expect::Html
            {
                return Err((FetchError::TooLarge(self.config.max_body_bytes), None));
            }
        }
        // Feeds and sitemaps over the cap are cut and read as far as they go; pages are refused.
        let truncate = expect == Expect::Data;
        let body = read_capped(response, self.config.max_body_bytes, self.config.timeout, truncate)
            .await
            .map_err(|e| (e, None))?;
        if expect == Expect::Html
            && let Some(kind) = sniff_binary(&body)
        {
            return Err((
                FetchError::Content(format!("{kind} served as {}", content_type.as_deref().unwrap_or("unknown type"))),
                None,
            ));
        }
        Ok(Response {
            url: final_url,
            status,
            not_modified: false,
            content_type,
            charset,
            validators: validators_of(&headers),
            body,
            remote,
        })
    }

    /// A plain GET for robots.txt: guard and pacing, no robots check, no retries.
    pub(crate) async fn fetch_robots(&self, url: &Url) -> Result<(u16, Bytes), FetchError> {
        self.check_url(url)?;
        let _permit = self.hosts.acquire(url).await;
        let response = self.client.get(url.clone()).send().await.map_err(|e| classify(&e, self.config.timeout))?;
        let status = response.status().as_u16();
        if !(200..300).contains(&status) {
            return Ok((status, Bytes::new()));
        }
        // RFC 9309: parse at least the first 500 KiB; a longer file is cut there, not rejected.
        let body = read_capped(response, self.robots.max_bytes(), self.config.timeout, true).await?;
        Ok((status, body))
    }
}

fn accept(expect: Expect) -> &'static str {
    match expect {
        Expect::Html => "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1",
        Expect::Data => {
            "application/rss+xml,application/atom+xml,application/xml,text/xml,application/feed+json,application/json;q=0.9,*/*;q=0.5"
        }
    }
}

fn acceptable(content_type: &str, expect: Expect) -> bool {
    let binary = content_type.starts_with("image/")
        || content_type.starts_with("video/")
        || content_type.starts_with("audio/")
        || content_type.starts_with("font/")
        || matches!(
            content_type,
            "application/pdf" | "application/zip" | "application/octet-stream" | "application/msword"
        );
    match expect {
        Expect::Html => {
            !binary
                && !content_type.contains("json")
                && content_type != "text/css"
                && !content_type.contains("javascript")
        }
        Expect::Data => !binary || content_type == "application/octet-stream" || content_type.contains("gzip"),
    }
}

/// Recognise binary formats by their first bytes (servers mislabel them as text/html).
fn sniff_binary(body: &[u8]) -> Option<&'static str> {
    let magic: &[(&[u8], &str)] = &[
        (b"%PDF", "PDF"),
        (b"\x89PNG", "PNG image"),
        (b"GIF8", "GIF image"),
        (b"\xFF\xD8\xFF", "JPEG image"),
        (b"PK\x03\x04", "ZIP archive"),
        (b"\x1F\x8B", "gzip data"),
        (b"RIFF", "RIFF media"),
        (b"\x00\x00\x00", "binary data"),
    ];
    if let Some((_, name)) = magic.iter().find(|(m, _)| body.starts_with(m)) {
        return Some(name);
    }
    let head = &body[..body.len().min(1024)];
    let nuls = head.iter().filter(|&&b| b == 0).count();
    (nuls > 8).then_some("binary data")
}

/// Read the body up to `cap` bytes (after decompression); beyond that, fail or (`truncate`) stop.
async fn read_capped(
    mut response: reqwest::Response,
    cap: usize,
    timeout: Duration,
    truncate: bool,
) -> Result<Bytes, FetchError> {
    let mut body = BytesMut::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if body.len() + chunk.len() > cap {
                    if truncate {
                        let room = cap - body.len();
                        body.extend_from_slice(&chunk[..room]);
                        return Ok(body.freeze());
                    }
                    return Err(FetchError::TooLarge(cap));
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(body.freeze()),
            Err(e) => return Err(classify(&e, timeout)),
        }
    }
}

fn classify(e: &reqwest::Error, timeout: Duration) -> FetchError {
    if e.is_timeout() {
        return FetchError::Timeout(timeout);
    }
    if e.is_redirect() {
        return FetchError::Redirect(root_cause(e));
    }
    let cause = root_cause(e);
    if cause.starts_with("refused:") {
        return FetchError::Refused(cause);
    }
    if e.is_builder() {
        return FetchError::InvalidUrl(cause);
    }
    FetchError::Network(cause)
}

/// The innermost error message (reqwest wraps resolver and policy errors several times).
fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut current: &(dyn std::error::Error + 'static) = e;
    while let Some(source) = current.source() {
        current = source;
    }
    current.to_string()
}

fn content_type(headers: &HeaderMap) -> (Option<String>, Option<String>) {
    let Some(value) = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return (None, None);
    };
    let mut parts = value.split(';');
    let media = parts.next().map(|m| m.trim().to_ascii_lowercase()).filter(|m| !m.is_empty());
    let charset = parts.find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim().eq_ignore_ascii_case("charset").then(|| v.trim().trim_matches('"').to_string())
    });
    (media, charset)
}

fn validators_of(headers: &HeaderMap) -> Validators {
    let get = |name| headers.get(name).and_then(|v: &header::HeaderValue| v.to_str().ok()).map(str::to_string);
    Validators { etag: get(header::ETAG), last_modified: get(header::LAST_MODIFIED) }
}

fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(header::RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let delta = when.with_timezone(&chrono::Utc) - chrono::Utc::now();
    Some(delta.to_std().unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_binary_bodies() {
        assert_eq!(sniff_binary(b"%PDF-1.7 ..."), Some("PDF"));
        assert_eq!(sniff_binary(b"\x89PNG\r\n"), Some("PNG image"));
        assert_eq!(sniff_binary(b"<!doctype html><html>"), None);
    }

    #[test]
    fn content_types() {
        assert!(acceptable("text/html", Expect::Html));
        assert!(!acceptable("application/pdf", Expect::Html));
        assert!(!acceptable("image/png", Expect::Html));
        assert!(acceptable("application/rss+xml", Expect::Data));
        assert!(acceptable("application/x-gzip", Expect::Data));
    }

    #[test]
    fn retry_after_forms() {
        let mut h = HeaderMap::new();
        h.insert(header::RETRY_AFTER, header::HeaderValue::from_static("7"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(7)));
        h.insert(header::RETRY_AFTER, header::HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"));
        assert_eq!(retry_after(&h), Some(Duration::ZERO));
    }
}
