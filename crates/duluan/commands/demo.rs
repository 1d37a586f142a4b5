//! `duluan demo`: the bundled news site through the whole pipeline, then the UI.

use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result};
use duluan_config::Config;
use duluan_model::{Role, Source, SourceKind};
use duluan_pipeline::Crawler;

use crate::cli::{DemoArgs, SummaryFormat};
use crate::run::{self, Running};

/// The demo's own account; its password is reset and printed on every run.
const DEMO_USER: &str = "demo";

fn demo_sources(base: &str) -> Vec<Source> {
    let source = |id: &str, kind: SourceKind, path: &str| Source {
        id: id.to_string(),
        kind,
        url: format!("{base}{path}"),
        name: Some(format!("Tin Thành Phố ({kind})")),
        schedule: Some(15),
        tags: vec!["news".into(), "demo".into()],
        region: Some("trung-tam".into()),
        lang: Some("vi".into()),
        enabled: true,
        max_items: None,
        link_selector: None,
        // The site serves its pages under a fixed canonical host, whatever port it runs on.
        trust_canonical: true,
        follow_links: false,
        max_depth: None,
    };
    vec![
        source("tinthanhpho-rss", SourceKind::Feed, "/rss.xml"),
        source("tinthanhpho-sitemap", SourceKind::Sitemap, "/sitemap.xml"),
        source("tinthanhpho-home", SourceKind::Listing, "/"),
    ]
}

pub(crate) async fn run(mut config: Config, args: &DemoArgs) -> Result<ExitCode> {
    let started = Instant::now();
    // The demo crawls its own site on loopback: allow it, and pace requests lightly.
    config.crawl.allow_loopback = true;
    config.crawl.per_host_delay_ms = config.crawl.per_host_delay_ms.min(20);
    config.crawl.workers = config.crawl.workers.clamp(1, 4);
    config.crawl.per_host_concurrency = config.crawl.per_host_concurrency.max(2);
    if config.reports.schedule.is_empty() {
        // A monthly report on the 1st, so the Reports page has last month's report at once
        // (the scheduler catches up the latest due run on start).
        config.reports.schedule.push(duluan_config::Schedule {
            id: "demo-monthly".into(),
            cron: "0 7 1 * *".into(),
            period: duluan_config::SchedulePeriod::PreviousMonth,
            topics: Vec::new(),
            language: None,
            formats: vec!["html".into(), "json".into(), "md".into()],
            receivers: vec![],
        });
    }

    let site = duluan_demo::DemoSite::load().map_err(anyhow::Error::msg)?;
    let site_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.context("cannot start the demo site")?;
    let site_addr = site_listener.local_addr()?;
    let site_task = tokio::spawn(duluan_demo::serve(site.clone(), site_listener));
    let base = format!("http://{site_addr}");
    tracing::info!(site = %base, articles = site.articles().len(), "demo news site started");

    let running = Running::start(config).await?;
    let sources = demo_sources(&base);
    let crawler = Crawler::new(running.pipeline.clone(), running.fetcher()?, sources.clone());
    let report = crawler.run_once(true).await?;
    running.flush().await?;
    let stats = running.pipeline.stats.snapshot();
    let totals = running.pipeline.store.counts().await?;
    let seconds = (started.elapsed().as_secs_f64() * 100.0).round() / 100.0;
    let summary = serde_json::json!({
        "items_fetched": stats.fetched,
        "items_stored": stats.stored,
        "items_indexed": running.indexed(),
        "items_flagged": stats.flagged,
        "alerts_raised": stats.alerts_raised,
        "seconds": seconds,
        "urls_queued": report.urls_queued,
        "not_articles": stats.not_articles,
        "failed": stats.failed,
        "total_items": totals.items,
        "total_alerts": totals.alerts,
    });
    let password = demo_password(&running).await?;
    match args.format {
        SummaryFormat::Json => println!("{summary}"),
        SummaryFormat::Text => {
            println!("duluan demo — Tin Thành Phố ({} articles) crawled from {base}", site.articles().len());
            println!("  items fetched  {}", stats.fetched);
            println!("  items stored   {} (new)", stats.stored);
            println!("  items indexed  {}", running.indexed());
            println!("  items flagged  {}", stats.flagged);
            println!("  alerts raised  {}", stats.alerts_raised);
            println!("  not articles   {}   failed {}", stats.not_articles, stats.failed);
            println!("  in store       {} items, {} alerts", totals.items, totals.alerts);
            println!("  time taken     {seconds:.2} s");
        }
    }
    if args.once {
        site_task.abort();
        running.shutdown().await?;
        return Ok(ExitCode::SUCCESS);
    }
    let wanted = format!("127.0.0.1:{}", args.port);
    let listener = tokio::net::TcpListener::bind(&wanted)
        .await
        .with_context(|| format!("cannot listen on {wanted} (try --port)"))?;
    // `--port 0` picks a free port: report the one actually bound.
    let address = listener.local_addr().map(|a| a.to_string()).unwrap_or(wanted);
    let banner = format!(
        "\nOpen http://{address}/ and log in as `{DEMO_USER}` with password `{password}`.\nTry the alert queue, then search for: vac xin  |  \"găm hàng\"  |  lang:en\nCtrl-C stops."
    );
    match args.format {
        SummaryFormat::Text => println!("{banner}"),
        SummaryFormat::Json => eprintln!("{banner}"),
    }
    let sweeper = run::spawn_lease_sweeper(running.pipeline.store.clone());
    let (stop_tx, stop) = tokio::sync::watch::channel(false);
    let notifier = run::spawn_notifier(&running, stop.clone())?;
    let spikes = run::spawn_spike_monitor(&running, stop.clone())?;
    let reports = run::spawn_report_scheduler(&running, stop).await?;
    let state = running.web_state(sources);
    duluan_web::serve(state, listener, run::shutdown_signal()).await.context("web server failed")?;
    sweeper.abort();
    for task in [spikes, reports].into_iter().flatten() {
        task.abort();
    }
    let _ = stop_tx.send(true);
    let _ = notifier.await;
    site_task.abort();
    running.shutdown().await?;
    Ok(ExitCode::SUCCESS)
}

/// Create the demo admin, or give it a fresh password, and return the password.
async fn demo_password(running: &Running) -> Result<String> {
    let password = duluan_web::auth::new_secret("").chars().take(12).collect::<String>();
    let hash = duluan_web::auth::hash_password(&password).map_err(anyhow::Error::msg)?;
    let store = &running.pipeline.store;
    if store.user_by_name(DEMO_USER).await?.is_some() {
        store.set_password(DEMO_USER, &hash).await?;
    } else {
        store.create_user(DEMO_USER, &hash, Role::Admin, None, chrono::Utc::now()).await?;
    }
    Ok(password)
}
