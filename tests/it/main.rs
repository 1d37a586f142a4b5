//! Integration tests: the real binary and the real crates against servers on 127.0.0.1.
//! One test binary (ripgrep's layout) so the workspace links once.

#![allow(clippy::unwrap_used, clippy::expect_used, unreachable_pub)]

mod api;
mod browser;
mod claims;
mod cli;
mod crawl;
mod demo;
mod durability;
mod fetch;
mod hostile;
mod reports;
mod rules;
mod search;
mod support;
mod triage;
mod triage_crash;
