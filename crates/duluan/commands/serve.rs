//! `duluan serve`: crawler, pipeline, scheduler and web server in one process.

use std::process::ExitCode;

use anyhow::{Context, Result};
use duluan_config::Config;
use duluan_pipeline::Crawler;
use tokio::sync::watch;

use crate::cli::ServeArgs;
use crate::run::{self, Running};

pub(crate) async fn run(config: Config, args: &ServeArgs) -> Result<ExitCode> {
    let sources = duluan_config::load_sources(&config.crawl.sources).with_context(|| {
        format!("cannot load sources from {} (set `[crawl] sources`)", config.crawl.sources.display())
    })?;
    let listen = args.listen.clone().unwrap_or_else(|| config.server.listen.clone());
    let running = Running::start(config).await?;
    let listener =
        tokio::net::TcpListener::bind(&listen).await.with_context(|| format!("cannot listen on {listen}"))?;
    tracing::info!(address = %listen, sources = sources.len(), "duluan is serving");
    eprintln!("duluan: web UI and API on http://{listen}/ — {} sources; Ctrl-C stops", sources.len());

    let (stop_tx, stop) = watch::channel(false);
    let crawler = Crawler::new(running.pipeline.clone(), running.fetcher()?, sources.clone());
    let notifier = run::spawn_notifier(&running, stop.clone())?;
    let spikes = run::spawn_spike_monitor(&running, stop.clone())?;
    let reports = run::spawn_report_scheduler(&running, stop.clone()).await?;
    let crawl_task = tokio::spawn(async move { crawler.run(stop).await });
    let sweeper = run::spawn_lease_sweeper(running.pipeline.store.clone());
    let state = running.web_state(sources);
    duluan_web::serve(state, listener, run::shutdown_signal()).await.context("web server failed")?;

    let _ = stop_tx.send(true);
    sweeper.abort();
    for task in [spikes, reports].into_iter().flatten() {
        task.abort();
    }
    if let Err(e) = notifier.await {
        tracing::error!(error = %e, "notifier task failed");
    }
    match crawl_task.await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::error!(error = %e, "crawler stopped with an error"),
        Err(e) => tracing::error!(error = %e, "crawler task failed"),
    }
    running.shutdown().await?;
    Ok(ExitCode::SUCCESS)
}
