//! Per-host pacing: at most N requests in flight and at least a delay between request starts.
//!
//! Each host gets its own semaphore and its own "next allowed start" instant, so one host's
//! Crawl-delay never slows another host (a single keyed rate limiter cannot do per-key quotas).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;
use url::Url;

#[derive(Debug)]
struct Host {
    slots: Arc<Semaphore>,
    next_start: Mutex<Instant>,
    delay: Mutex<Duration>,
}

/// Pacing state for every host seen.
#[derive(Debug)]
pub struct HostLimiter {
    hosts: Mutex<HashMap<String, Arc<Host>>>,
    delay: Duration,
    concurrency: usize,
}

/// Held while a request to a host is in flight.
#[derive(Debug)]
pub struct HostPermit {
    _slot: OwnedSemaphorePermit,
}

fn host_key(url: &Url) -> String {
    format!("{}:{}", url.host_str().unwrap_or(""), url.port_or_known_default().unwrap_or(0))
}

impl HostLimiter {
    /// A limiter with a default delay and concurrency per host.
    pub fn new(delay: Duration, concurrency: usize) -> HostLimiter {
        HostLimiter { hosts: Mutex::new(HashMap::new()), delay, concurrency: concurrency.max(1) }
    }

    fn host(&self, url: &Url) -> Arc<Host> {
        let mut hosts = self.hosts.lock().unwrap_or_else(|p| p.into_inner());
        hosts
            .entry(host_key(url))
            .or_insert_with(|| {
                Arc::new(Host {
                    slots: Arc::new(Semaphore::new(self.concurrency)),
                    next_start: Mutex::new(Instant::now()),
                    delay: Mutex::new(self.delay),
                })
            })
            .clone()
    }

    /// Raise a host's delay (robots.txt Crawl-delay); never lowers it below the configured one.
    pub fn set_min_delay(&self, url: &Url, delay: Duration) {
        let host = self.host(url);
        let mut d = host.delay.lock().unwrap_or_else(|p| p.into_inner());
        *d = delay.max(self.delay);
    }

    /// Wait for a slot and for the host's next allowed start time.
    pub async fn acquire(&self, url: &Url) -> HostPermit {
        let host = self.host(url);
        let slot = match host.slots.clone().acquire_owned().await {
            Ok(p) => p,
            // The semaphore is never closed; if it were, proceed without a slot rather than hang.
            Err(_) => {
                Arc::new(Semaphore::new(1)).try_acquire_owned().unwrap_or_else(|_| unreachable!("fresh semaphore"))
            }
        };
        let start = {
            let delay = *host.delay.lock().unwrap_or_else(|p| p.into_inner());
            let mut next = host.next_start.lock().unwrap_or_else(|p| p.into_inner());
            let start = (*next).max(Instant::now());
            *next = start + delay;
            start
        };
        tokio::time::sleep_until(start).await;
        HostPermit { _slot: slot }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn requests_to_one_host_are_spaced() {
        let limiter = Arc::new(HostLimiter::new(Duration::from_millis(500), 4));
        let a = Url::parse("http://a.example/").unwrap_or_else(|_| unreachable!());
        let b = Url::parse("http://b.example/").unwrap_or_else(|_| unreachable!());
        let t0 = Instant::now();
        let mut starts = Vec::new();
        for _ in 0..3 {
            let _p = limiter.acquire(&a).await;
            starts.push(Instant::now() - t0);
        }
        assert_eq!(starts, [Duration::ZERO, Duration::from_millis(500), Duration::from_millis(1000)]);
        // Another host is not held back.
        let before = Instant::now();
        let _p = limiter.acquire(&b).await;
        assert_eq!(Instant::now() - before, Duration::ZERO);
        // Crawl-delay raises the gap.
        limiter.set_min_delay(&a, Duration::from_secs(2));
        let _p = limiter.acquire(&a).await;
        let t1 = Instant::now();
        let _p = limiter.acquire(&a).await;
        assert_eq!(Instant::now() - t1, Duration::from_secs(2));
    }
}
