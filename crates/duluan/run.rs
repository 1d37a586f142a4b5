//! Starting and stopping the pipeline shared by `serve`, `demo`, `crawl` and `ingest`.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use duluan_config::Config;
use duluan_crawl::{FetchConfig, Fetcher};
use duluan_pipeline::{CommitPolicy, Indexer, Pipeline};

use crate::app;

/// A running pipeline: the shared stages plus the indexer task.
pub(crate) struct Running {
    pub(crate) pipeline: Arc<Pipeline>,
    pub(crate) indexer: Indexer,
    pub(crate) catalog: Arc<duluan_rules::review::RulesInForce>,
    /// Stops the tasks that keep the store's known claims and the rule files current in the engine.
    tasks_stop: tokio::sync::watch::Sender<bool>,
    _lock: app::DataLock,
}

impl Running {
    /// Lock the data directory, open store, index and rules, catch the index up with the store
    /// (rebuilding it with a progress bar if it was missing), and start the indexer.
    pub(crate) async fn start(config: Config) -> Result<Running> {
        duluan_web::metrics::install();
        let lock = app::lock_data_dir(&config.data_dir)?;
        let store = app::open_store(&config).await?;
        let (index, state) = app::open_index(&config)?;
        let rules = app::rules_dir(&config, None)?;
        // Before the rules are read: a change made while the process starts is reloaded.
        let loaded = duluan_rules::fingerprint(&rules);
        let engine = app::load_engine(&config, &rules)?;
        let catalog = Arc::new(duluan_rules::review::RulesInForce::new(duluan_rules::review::RuleCatalog::new(
            engine.rules.rules(),
        )));
        let bar = app::progress(None, "rebuilding the index");
        let policy = CommitPolicy {
            every_items: config.index.commit_every_items.max(1),
            every: Duration::from_millis(config.index.commit_every_ms.max(10)),
        };
        let bar_for_rebuild = bar.clone();
        let indexer = Indexer::start(
            store.clone(),
            index.clone(),
            &state,
            app::writer_options(&config),
            policy,
            move |done, total| {
                bar_for_rebuild.set_length(total);
                bar_for_rebuild.set_position(done);
            },
        )
        .await
        .context("cannot start the indexer")?;
        bar.finish_and_clear();
        if config.store.url.is_empty() {
            // The embedded store is ours alone (we hold the data-directory lock): URLs leased by
            // a crashed run on this host go straight back to the queue.
            let requeued = store.requeue_abandoned(&duluan_pipeline::Crawler::worker_prefix()).await?;
            if requeued > 0 {
                tracing::info!(urls = requeued, "requeued URLs left in flight by a previous run");
            }
        }
        let pipeline = Arc::new(Pipeline::new(Arc::new(config), store, index, engine, indexer.waker()));
        // Claims confirmed before this start are matched from the first item on; later ones are
        // picked up by the refresher.
        pipeline.refresh_claims().await.context("cannot load known claims from the store")?;
        let (tasks_stop, stop) = tokio::sync::watch::channel(false);
        pipeline.spawn_claims_refresher(stop.clone());
        pipeline.spawn_rules_watcher(rules, loaded, app::claim_options(&pipeline.config), catalog.clone(), stop);
        Ok(Running { pipeline, indexer, catalog, tasks_stop, _lock: lock })
    }

    /// A fetcher built from the configuration.
    pub(crate) fn fetcher(&self) -> Result<Arc<Fetcher>> {
        let fetcher = Fetcher::new(FetchConfig::from_config(&self.pipeline.config.crawl))
            .context("cannot build the HTTP client")?;
        Ok(Arc::new(fetcher))
    }

    /// Wait until everything committed to the store so far is committed to the index.
    pub(crate) async fn flush(&self) -> Result<()> {
        let head = self.pipeline.store.outbox_head().await?;
        self.indexer.wait_for(head).await.context("indexing did not catch up")?;
        Ok(())
    }

    /// Documents the indexer committed since start.
    pub(crate) fn indexed(&self) -> u64 {
        self.indexer.progress().indexed.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Commit pending index work and stop.
    pub(crate) async fn shutdown(self) -> Result<()> {
        let _ = self.tasks_stop.send(true);
        self.indexer.shutdown().await.context("indexer shutdown")?;
        Ok(())
    }

    /// The web application state for this pipeline.
    pub(crate) fn web_state(&self, sources: Vec<duluan_model::Source>) -> duluan_web::AppState {
        duluan_web::AppState {
            store: self.pipeline.store.clone(),
            index: self.pipeline.index.clone(),
            config: self.pipeline.config.clone(),
            sources: Arc::new(sources),
            rules: self.catalog.clone(),
            throttle: Arc::new(duluan_web::auth::LoginThrottle::default()),
            limiter: Arc::new(duluan_web::limits::RateLimiter::new(
                self.pipeline.config.server.rate_limit_per_second,
                self.pipeline.config.server.rate_limit_burst,
            )),
        }
    }
}

/// Resolves when the process is asked to stop (Ctrl-C or SIGTERM).
pub(crate) async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
    tracing::info!("shutting down");
}

/// Return expired claims to the queue every 30 seconds.
pub(crate) fn spawn_lease_sweeper(store: Arc<dyn duluan_store::Store>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            match store.expire_leases(chrono::Utc::now()).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(alerts = n, "expired claims returned to the queue"),
                Err(e) => tracing::warn!(error = %e, "lease sweep failed"),
            }
            tokio::time::sleep(Duration::from_secs(30)).await;
        }
    })
}

/// Deliver queued alert notifications until `stop` turns true.
pub(crate) fn spawn_notifier(
    running: &Running,
    stop: tokio::sync::watch::Receiver<bool>,
) -> Result<tokio::task::JoinHandle<()>> {
    let notifier = duluan_alerts::Notifier::new(running.pipeline.store.clone(), &running.pipeline.config)
        .context("cannot start the alert notifier")?;
    Ok(tokio::spawn(notifier.run(stop)))
}

/// Check every topic for spikes every `[reports] spike_check_minutes` until `stop`, raising a
/// queue alert for each; `None` when the check is turned off.
pub(crate) fn spawn_spike_monitor(
    running: &Running,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> Result<Option<tokio::task::JoinHandle<()>>> {
    let config = running.pipeline.config.clone();
    if config.reports.spike_check_minutes == 0 {
        return Ok(None);
    }
    let settings = duluan_reports::Settings::from_config(&config.reports, &config.server.public_url)
        .context("invalid [reports] settings")?;
    let (index, store) = (running.pipeline.index.clone(), running.pipeline.store.clone());
    let every = Duration::from_secs(config.reports.spike_check_minutes * 60);
    Ok(Some(tokio::spawn(async move {
        let windows = duluan_reports::monitor::windows(&config.reports);
        loop {
            let now = chrono::Utc::now();
            let (index, settings_c, topics, windows_c) =
                (index.clone(), settings.clone(), config.reports.topic.clone(), windows.clone());
            let found = tokio::task::spawn_blocking(move || {
                duluan_reports::monitor::detect(&index, &settings_c, &topics, &windows_c, now)
            })
            .await;
            match found {
                Ok(Ok(findings)) => {
                    let team = &config.alerts.default_team;
                    if let Err(e) =
                        duluan_reports::monitor::raise(store.as_ref(), &settings, &findings, team, now).await
                    {
                        tracing::warn!(error = %e, "cannot raise spike alerts");
                    }
                }
                Ok(Err(e)) => tracing::warn!(error = %e, "spike check failed"),
                Err(e) => tracing::warn!(error = %e, "spike check task failed"),
            }
            tokio::select! {
                _ = tokio::time::sleep(every) => {}
                _ = stop.changed() => return,
            }
        }
    })))
}

/// Make scheduled reports when due (checked every minute, and at once on start, which catches
/// up a run missed while the server was down) until `stop`.
pub(crate) async fn spawn_report_scheduler(
    running: &Running,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> Result<Option<tokio::task::JoinHandle<()>>> {
    let config = running.pipeline.config.clone();
    if config.reports.schedule.is_empty() {
        return Ok(None);
    }
    let settings = duluan_reports::Settings::from_config(&config.reports, &config.server.public_url)
        .context("invalid [reports] settings")?;
    let (index, store) = (running.pipeline.index.clone(), running.pipeline.store.clone());
    let cleared = store.clear_interrupted_report_runs().await?;
    if cleared > 0 {
        tracing::info!(runs = cleared, "report runs interrupted by a previous stop will run again");
    }
    Ok(Some(tokio::spawn(async move {
        loop {
            let (index, store, settings, config) = (index.clone(), store.clone(), settings.clone(), config.clone());
            // Reports read the whole period from the index: off the async workers.
            let ran = tokio::task::spawn_blocking(move || {
                tokio::runtime::Handle::current().block_on(duluan_reports::schedule::run_due(
                    &index,
                    store.as_ref(),
                    &settings,
                    &config.reports.topic,
                    &config.reports.schedule,
                    chrono::Utc::now(),
                ))
            })
            .await;
            match ran {
                Ok(Ok(_)) => {}
                Ok(Err(e)) => tracing::warn!(error = %e, "report scheduler failed"),
                Err(e) => tracing::warn!(error = %e, "report scheduler task failed"),
            }
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs(60)) => {}
                _ = stop.changed() => return,
            }
        }
    })))
}
