//! Polite, bounded fetching of public sources.
//!
//! Takes URLs and source definitions and produces response bodies and the article links sources
//! point at. It owns everything about talking to other people's servers: the SSRF guard
//! ([`guard`]), robots.txt (RFC 9309, cached), per-host pacing and concurrency, timeouts, a body
//! cap counted after decompression, redirect limits with loop detection, retries with backoff and
//! `Retry-After`, conditional GET validators, URL canonicalisation and trap detection
//! ([`canon`]), feed/sitemap/listing discovery ([`discover`]), public social sources ([`social`])
//! behind one [`SourceAdapter`] trait, and near-duplicate signatures ([`dedup`]). It never parses article content (that is `duluan-extract`) and never stores
//! anything (the pipeline records outcomes in the store).

mod adapter;
pub mod canon;
pub mod dedup;
pub mod discover;
mod fetch;
pub use duluan_net as guard;
mod politeness;
mod robots;
pub mod social;

pub use adapter::{Discovery, SourceAdapter, adapter_for};
pub use fetch::{Expect, FetchConfig, FetchError, Fetcher, Response, Validators};
pub use politeness::HostLimiter;
pub use robots::ROBOTS_AGENT;
