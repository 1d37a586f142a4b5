//! `duluan crawl` and `duluan reindex`.

use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use duluan_config::Config;
use duluan_pipeline::Crawler;
use tokio::sync::watch;

use crate::app;
use crate::cli::CrawlArgs;
use crate::run::{self, Running};

pub(crate) async fn run(config: Config, args: &CrawlArgs) -> Result<ExitCode> {
    let mut sources = duluan_config::load_sources(&config.crawl.sources)
        .with_context(|| format!("cannot load sources from {}", config.crawl.sources.display()))?;
    if let Some(id) = &args.source {
        sources.retain(|s| &s.id == id);
        if sources.is_empty() {
            bail!("no source with id `{id}` in {}", config.crawl.sources.display());
        }
    }
    let running = Running::start(config).await?;
    let crawler = Crawler::new(running.pipeline.clone(), running.fetcher()?, sources);
    let started = std::time::Instant::now();
    if args.once {
        let report = crawler.run_once(args.source.is_some()).await?;
        running.flush().await?;
        let s = running.pipeline.stats.snapshot();
        eprintln!(
            "crawled {} sources ({} failed), queued {} new URLs; fetched {}, stored {}, flagged {}, alerts {}, failed {} in {:.1}s",
            report.sources_polled,
            report.sources_failed,
            report.urls_queued,
            s.fetched,
            s.stored,
            s.flagged,
            s.alerts_raised,
            s.failed,
            started.elapsed().as_secs_f64()
        );
    } else {
        let (stop_tx, stop) = watch::channel(false);
        let task = tokio::spawn(async move { crawler.run(stop).await });
        run::shutdown_signal().await;
        let _ = stop_tx.send(true);
        task.await.context("crawler task failed")??;
    }
    running.shutdown().await?;
    Ok(ExitCode::SUCCESS)
}

pub(crate) async fn reindex(config: Config) -> Result<ExitCode> {
    let _lock = app::lock_data_dir(&config.data_dir)?;
    let store = app::open_store(&config).await?;
    let dir = config.index_dir();
    if dir.exists() {
        std::fs::remove_dir_all(&dir).with_context(|| format!("cannot remove the old index {}", dir.display()))?;
    }
    let (index, state) = app::open_index(&config)?;
    let total = store.counts().await?.items.max(0) as u64;
    let bar = app::progress(Some(total), "reindexing");
    let policy = duluan_pipeline::CommitPolicy { every_items: 10_000, every: std::time::Duration::from_secs(1) };
    let bar_cb = bar.clone();
    let started = std::time::Instant::now();
    let indexer = duluan_pipeline::Indexer::start(
        store,
        index.clone(),
        &state,
        app::writer_options(&config),
        policy,
        move |done, _| bar_cb.set_position(done),
    )
    .await?;
    indexer.shutdown().await?;
    bar.finish_and_clear();
    index.reload()?;
    eprintln!("reindexed {} items in {:.1}s", index.num_docs(), started.elapsed().as_secs_f64());
    Ok(ExitCode::SUCCESS)
}
