//! `duluan search QUERY`: table, JSON or CSV on stdout.

use std::io::Write;
use std::process::ExitCode;

use anyhow::{Context, Result};
use duluan_config::Config;
use duluan_index::{Query, SearchIndex, Sort, csv_cell};

use crate::app;
use crate::cli::{SearchArgs, SearchFormat};

fn split(v: &Option<String>) -> Vec<String> {
    v.as_deref()
        .map(|s| s.split(',').map(|x| x.trim().to_string()).filter(|x| !x.is_empty()).collect())
        .unwrap_or_default()
}

pub(crate) async fn run(config: &Config, args: &SearchArgs) -> Result<ExitCode> {
    let dir = config.index_dir();
    let index = SearchIndex::open_read_only(&dir).with_context(|| {
        format!("cannot open the index at {} (run `duluan demo --once` or `duluan ingest` first)", dir.display())
    })?;
    let store = app::open_store(config).await?;
    let bound = |d: &Option<String>, end: bool| -> Result<Option<chrono::DateTime<chrono::Utc>>> {
        d.as_deref().map(|s| duluan_web::api::date_bound(s, end).map_err(|e| anyhow::anyhow!(e.message))).transpose()
    };
    let query = Query {
        text: args.query.clone(),
        sources: split(&args.source),
        langs: split(&args.lang),
        rules: split(&args.rule),
        tags: Vec::new(),
        regions: Vec::new(),
        sentiment: None,
        from: bound(&args.from, false)?,
        to: bound(&args.to, true)?,
        sort: if args.newest { Sort::Date } else { Sort::Relevance },
        limit: args.limit.clamp(1, 10_000),
        collapse: args.collapse,
        ..Query::default()
    };
    let results = match index.search(&query) {
        Ok(r) => r,
        Err(duluan_index::Error::Query { message, .. }) => {
            eprintln!("error: {message}");
            return Ok(ExitCode::from(2));
        }
        Err(e) => return Err(e.into()),
    };
    let mut hits = Vec::new();
    for hit in &results.hits {
        let text = store.item(&hit.id).await?.map(|i| i.text).unwrap_or_default();
        let snippet: String =
            duluan_index::snippet(&text, &results.terms, 200).iter().map(|f| f.text.as_str()).collect();
        hits.push(serde_json::json!({
            "id": hit.id, "url": hit.url, "title": hit.title, "snippet": snippet, "source": hit.source,
            "published_at": hit.published_at, "lang": hit.lang, "sentiment": hit.sentiment, "rules": hit.rules,
            "story": hit.story, "similar": hit.similar,
        }));
    }
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    match args.format {
        SearchFormat::Json => writeln!(out, "{}", serde_json::json!({"total": results.total, "hits": hits}))?,
        SearchFormat::Csv => {
            write!(out, "\u{FEFF}")?;
            writeln!(out, "id,published_at,source,lang,sentiment,rules,title,url,snippet")?;
            for h in &hits {
                let s = |k: &str| h[k].as_str().unwrap_or_default().to_string();
                let rules: Vec<&str> =
                    h["rules"].as_array().map(|a| a.iter().filter_map(|r| r.as_str()).collect()).unwrap_or_default();
                let cells = [
                    s("id"),
                    s("published_at"),
                    s("source"),
                    s("lang"),
                    s("sentiment"),
                    rules.join(" "),
                    s("title"),
                    s("url"),
                    s("snippet"),
                ];
                writeln!(out, "{}", cells.iter().map(|c| csv_cell(c)).collect::<Vec<_>>().join(","))?;
            }
        }
        SearchFormat::Table => {
            writeln!(out, "{} results", results.total)?;
            for h in &hits {
                let date =
                    h["published_at"].as_str().map(|d| d.chars().take(10).collect::<String>()).unwrap_or_default();
                let similar = match h["similar"].as_u64().unwrap_or(0) {
                    0 => String::new(),
                    n => format!("  (+{n} in the story)"),
                };
                writeln!(
                    out,
                    "{}  {:10}  {:18}  {}{similar}",
                    h["id"].as_str().unwrap_or_default(),
                    date,
                    h["source"].as_str().unwrap_or_default(),
                    h["title"].as_str().unwrap_or_default()
                )?;
                writeln!(out, "    {}", h["snippet"].as_str().unwrap_or_default().replace('\n', " "))?;
            }
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
