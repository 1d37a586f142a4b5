//! The `duluan` binary: the command line over the library crates.
//!
//! stdout carries only results (JSON, tables, tokens); logs, progress bars and warnings go to
//! stderr. Exit codes: 0 when the command did its job (failed inputs are reported and recorded),
//! 1 for a fatal error (bad configuration, unreadable data directory, the lock held elsewhere),
//! 2 for usage errors.

mod app;
mod cli;
mod commands;
mod run;

use std::process::ExitCode;

use clap::Parser;
use tracing_subscriber::EnvFilter;

use crate::cli::{Cli, Command};

/// Many threads (runtime, blocking pool, SQLite, tantivy) allocate and free page-sized buffers;
/// glibc gives each its arena and keeps their free memory, mimalloc hands it back.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay`, 15 in the option enum of mimalloc 2 and 3 (`mimalloc.h`; the bindings leave
/// this one out). Freed pages go back to the OS at once instead of after 10 ms: the delay let a
/// long crawl's memory grow from 140 to 185 MB between 20,000 and 100,000 pages; at once it stays
/// near 110 MB and costs no measurable time.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

fn main() -> ExitCode {
    // SAFETY: `mi_option_set` takes any option id and value; this runs before any other thread.
    #[allow(unsafe_code)]
    unsafe {
        libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 0)
    };
    let cli = Cli::parse();
    init_logging(&cli);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(commands::run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging(cli: &Cli) {
    // Long-running commands log progress at info; one-shot tools stay quiet unless asked.
    let chatty = matches!(cli.command, Command::Serve(_) | Command::Demo(_) | Command::Crawl(_));
    let base = match cli.verbose {
        0 if chatty => "info,tantivy=warn,sqlx=warn,hyper=warn,reqwest=warn,html5ever=error,selectors=error",
        0 => "warn,tantivy=warn,html5ever=error,selectors=error",
        1 => "debug,tantivy=info,sqlx=info,hyper=info,html5ever=error,selectors=error",
        _ => "trace",
    };
    let configured =
        duluan_config::Config::load(cli.config.as_deref()).ok().map(|c| c.log.level).filter(|l| l != "info");
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| match (&configured, cli.verbose) {
            (Some(level), 0) => EnvFilter::try_new(level),
            _ => EnvFilter::try_new(base),
        })
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(ansi)
        .with_target(false)
        .init();
}
