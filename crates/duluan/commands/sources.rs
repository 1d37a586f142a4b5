//! `duluan sources`: crawl health per source.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Result;
use duluan_config::Config;

use crate::app;

pub(crate) async fn run(config: &Config) -> Result<ExitCode> {
    let store = app::open_store(config).await?;
    let configured = duluan_config::load_sources(&config.crawl.sources).unwrap_or_else(|e| {
        eprintln!("warning: {e}");
        Vec::new()
    });
    let states = store.source_states().await?;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{:24} {:8} {:7} {:17} {:17} {:>6} {:>6}  last error",
        "source", "type", "enabled", "last poll", "last success", "found", "errors"
    )?;
    let when = |t: Option<chrono::DateTime<chrono::Utc>>| {
        t.map(duluan_web::views::local_time).unwrap_or_else(|| "never".into())
    };
    let mut ids: Vec<String> = configured.iter().map(|s| s.id.clone()).collect();
    ids.extend(states.iter().map(|s| s.source_id.clone()).filter(|id| !configured.iter().any(|c| &c.id == id)));
    for id in ids {
        let source = configured.iter().find(|s| s.id == id);
        let state = states.iter().find(|s| s.source_id == id).cloned().unwrap_or_default();
        writeln!(
            out,
            "{:24} {:8} {:7} {:17} {:17} {:>6} {:>6}  {}",
            id,
            source.map(|s| s.kind.as_str()).unwrap_or("-"),
            source.map(|s| if s.enabled { "yes" } else { "paused" }).unwrap_or("removed"),
            when(state.last_polled_at),
            when(state.last_success_at),
            state.items_found,
            state.error_streak,
            state.last_error.unwrap_or_default()
        )?;
    }
    let frontier = store.frontier_counts(None).await?;
    writeln!(
        out,
        "\nfrontier: {} queued, {} in progress, {} done, {} failed",
        frontier.queued, frontier.leased, frontier.done, frontier.failed
    )?;
    Ok(ExitCode::SUCCESS)
}
