//! `duluan report`: an opinion-trend report for a period, as JSON, Markdown, HTML or PDF.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use chrono::NaiveDate;
use duluan_config::{Config, Topic};
use duluan_index::SearchIndex;
use duluan_reports::{Period, Settings, render};

use crate::app;
use crate::cli::{ReportArgs, ReportFormat, SpikesArgs};

pub(crate) async fn run(config: &Config, args: &ReportArgs) -> Result<ExitCode> {
    let format = format(args)?;
    let period = period(args)?;
    let topics = topics(&config.reports.topic, args.topics.as_deref())?;
    let mut settings = Settings::from_config(&config.reports, &config.server.public_url)?;
    if let Some(lang) = &args.lang {
        if !matches!(lang.as_str(), "vi" | "en") {
            bail!("--lang must be vi or en");
        }
        settings.lang = lang.clone();
    }
    let dir = config.index_dir();
    let index = SearchIndex::open_read_only(&dir).with_context(|| {
        format!("cannot open the index at {} (run `duluan demo --once` or `duluan ingest` first)", dir.display())
    })?;
    let store = app::open_store(config).await?;
    let report = duluan_reports::build(&index, store.as_ref(), &settings, &topics, period, chrono::Utc::now()).await?;
    let text = match format {
        ReportFormat::Json => render::json(&report),
        ReportFormat::Md => render::markdown(&report),
        ReportFormat::Html | ReportFormat::Pdf => render::html(&report),
    };
    match (&args.out, format) {
        (Some(out), ReportFormat::Pdf) => {
            let pdf = render::pdf(&settings.chromium, &text).await?;
            std::fs::write(out, pdf).with_context(|| format!("cannot write {}", out.display()))?;
        }
        (None, ReportFormat::Pdf) => bail!("--format pdf needs --out FILE"),
        (Some(out), _) => std::fs::write(out, text).with_context(|| format!("cannot write {}", out.display()))?,
        (None, _) => println!("{text}"),
    }
    if let Some(out) = &args.out {
        eprintln!("report {} written to {}", period.label(), out.display());
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) async fn spikes(config: &Config, args: &SpikesArgs) -> Result<ExitCode> {
    let now = match &args.at {
        Some(at) => chrono::DateTime::parse_from_rfc3339(at)
            .with_context(|| format!("`{at}` is not an RFC 3339 time (2021-12-16T00:00:00+07:00)"))?
            .to_utc(),
        None => chrono::Utc::now(),
    };
    let settings = Settings::from_config(&config.reports, &config.server.public_url)?;
    let dir = config.index_dir();
    let index =
        SearchIndex::open_read_only(&dir).with_context(|| format!("cannot open the index at {}", dir.display()))?;
    let windows = duluan_reports::monitor::windows(&config.reports);
    let findings = duluan_reports::monitor::detect(&index, &settings, &config.reports.topic, &windows, now)?;
    if args.raise && !findings.is_empty() {
        let store = app::open_store(config).await?;
        duluan_reports::monitor::raise(store.as_ref(), &settings, &findings, &config.alerts.default_team, now).await?;
    }
    for f in &findings {
        println!("{}", serde_json::to_string(f)?);
    }
    eprintln!("{} spike(s) at {}", findings.len(), now.to_rfc3339());
    Ok(ExitCode::SUCCESS)
}

fn format(args: &ReportArgs) -> Result<ReportFormat> {
    if let Some(f) = args.format {
        return Ok(f);
    }
    let ext = args.out.as_deref().and_then(Path::extension).and_then(|e| e.to_str()).unwrap_or("json");
    Ok(match ext.to_ascii_lowercase().as_str() {
        "html" | "htm" => ReportFormat::Html,
        "md" | "markdown" => ReportFormat::Md,
        "pdf" => ReportFormat::Pdf,
        _ => ReportFormat::Json,
    })
}

fn period(args: &ReportArgs) -> Result<Period> {
    if let Some(p) = &args.period {
        return Ok(Period::parse(p)?);
    }
    let day = |s: &Option<String>| -> Result<NaiveDate> {
        let s = s.as_deref().unwrap_or_default();
        NaiveDate::parse_from_str(s, "%Y-%m-%d").with_context(|| format!("`{s}` is not a date (YYYY-MM-DD)"))
    };
    Ok(Period::days(day(&args.from)?, day(&args.to)?)?)
}

fn topics(configured: &[Topic], wanted: Option<&str>) -> Result<Vec<Topic>> {
    let Some(wanted) = wanted else { return Ok(configured.to_vec()) };
    wanted
        .split(',')
        .map(str::trim)
        .filter(|id| !id.is_empty())
        .map(|id| {
            configured.iter().find(|t| t.id == id).cloned().with_context(|| {
                let known: Vec<&str> = configured.iter().map(|t| t.id.as_str()).collect();
                format!(
                    "unknown topic `{id}` (configured: {})",
                    if known.is_empty() { "none".into() } else { known.join(", ") }
                )
            })
        })
        .collect()
}
