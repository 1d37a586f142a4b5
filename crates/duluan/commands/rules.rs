//! `duluan rules check|match` and `duluan sentiment`.

use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use duluan_config::Config;
use duluan_rules::{Doc, Engine};
use serde::Deserialize;

use crate::app;
use crate::cli::RulesOp;

pub(crate) async fn run(config: &Config, op: &RulesOp) -> Result<ExitCode> {
    match op {
        RulesOp::Check { dir } => check(config, dir.clone()),
        RulesOp::Match { rules } => match_items(config, rules.clone()),
        RulesOp::Stats { rules, json } => stats(config, rules.clone(), *json).await,
        RulesOp::Backtest(args) => super::backtest::run(config, args).await,
    }
}

/// Fewest decided alerts before a low precision counts.
const MIN_DECIDED: i64 = 5;
/// Precision under which a rule is marked for review.
const LOW_PRECISION: f64 = 0.5;
/// Days without a hit after which an enabled rule is marked as quiet.
const QUIET_DAYS: i64 = 30;

/// One rule's line in `duluan rules stats`.
#[derive(serde::Serialize)]
struct StatsRow {
    rule: String,
    title: String,
    enabled: bool,
    alerts: i64,
    items: i64,
    confirmed: i64,
    dismissed: i64,
    open: i64,
    precision: Option<f64>,
    last_hit: Option<chrono::DateTime<chrono::Utc>>,
    review: Option<String>,
}

fn review(row: &StatsRow, in_packs: bool, now: chrono::DateTime<chrono::Utc>) -> Option<String> {
    let decided = row.confirmed + row.dismissed;
    if !in_packs {
        return Some("no longer in the rules".into());
    }
    if !row.enabled {
        return None;
    }
    if row.alerts == 0 {
        return Some("never fired".into());
    }
    if let Some(p) = row.precision.filter(|p| *p < LOW_PRECISION && decided >= MIN_DECIDED) {
        return Some(format!("precision {:.0}% over {decided} decisions", p * 100.0));
    }
    match row.last_hit {
        Some(t) if now - t > chrono::Duration::days(QUIET_DAYS) => {
            Some(format!("no hit for {} days", (now - t).num_days()))
        }
        _ => None,
    }
}

async fn stats(config: &Config, dir: Option<PathBuf>, json: bool) -> Result<ExitCode> {
    let engine = app::load_engine(&app::rules_dir(config, dir.as_deref())?)?;
    let store = app::open_store(config).await?;
    let mut stats: std::collections::HashMap<String, duluan_store::RuleStats> =
        store.rule_stats().await?.into_iter().map(|s| (s.rule.clone(), s)).collect();
    let now = chrono::Utc::now();
    let row = |rule: String, title: String, enabled: bool, s: Option<duluan_store::RuleStats>| {
        let s = s.unwrap_or_else(|| duluan_store::RuleStats { rule: rule.clone(), ..Default::default() });
        StatsRow {
            rule,
            title,
            enabled,
            alerts: s.alerts,
            items: s.items,
            confirmed: s.confirmed + s.escalated,
            dismissed: s.dismissed,
            open: s.open,
            precision: s.precision,
            last_hit: s.last_hit,
            review: None,
        }
    };
    let mut rows = Vec::new();
    for r in engine.rules.rules() {
        let mut line = row(r.id.clone(), r.title.vi.clone(), r.enabled, stats.remove(&r.id));
        line.review = review(&line, true, now);
        rows.push(line);
    }
    // Alerts of rules since removed from the packs still have a record worth seeing.
    for (id, s) in stats {
        let mut line = row(id, String::new(), false, Some(s));
        line.review = review(&line, false, now);
        rows.push(line);
    }
    // Rules to review first, then the least precise, then the busiest.
    rows.sort_by(|a, b| {
        (b.review.is_some(), a.precision.unwrap_or(2.0), -a.alerts)
            .partial_cmp(&(a.review.is_some(), b.precision.unwrap_or(2.0), -b.alerts))
            .unwrap_or(std::cmp::Ordering::Equal)
            .then_with(|| a.rule.cmp(&b.rule))
    });
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    if json {
        for r in &rows {
            writeln!(out, "{}", serde_json::to_string(r)?)?;
        }
    } else {
        let header = format!(
            "{:40} {:>7} {:>6} {:>6} {:>9} {:>9} {:>10}  review",
            "rule", "alerts", "items", "open", "confirmed", "precision", "last hit"
        );
        writeln!(out, "{header}")?;
        for r in &rows {
            let precision = r.precision.map(|p| format!("{:.0}%", p * 100.0)).unwrap_or_else(|| "-".into());
            let last = r.last_hit.map(|t| t.format("%Y-%m-%d").to_string()).unwrap_or_else(|| "-".into());
            let name = if r.enabled { r.rule.clone() } else { format!("{} (off)", r.rule) };
            writeln!(
                out,
                "{name:40} {:>7} {:>6} {:>6} {:>9} {precision:>9} {last:>10}  {}",
                r.alerts,
                r.items,
                r.open,
                r.confirmed,
                r.review.as_deref().unwrap_or("")
            )?;
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn check(config: &Config, dir: Option<PathBuf>) -> Result<ExitCode> {
    let dir = dir.unwrap_or_else(|| config.rules.dir.clone());
    let engine = match Engine::load(&dir) {
        Ok(e) => e,
        Err(errors) => {
            for e in &errors {
                eprintln!("error: {e}");
            }
            eprintln!("{} problem(s) in {}", errors.len(), dir.display());
            return Ok(ExitCode::FAILURE);
        }
    };
    let (run, failures) = duluan_rules::check_examples(&engine.rules);
    for f in &failures {
        eprintln!("FAIL {f}");
    }
    let rules = engine.rules.rules().len();
    let enabled = engine.rules.rules().iter().filter(|r| r.enabled).count();
    if failures.is_empty() {
        println!(
            "ok: {rules} rules ({enabled} enabled), {} terms, {run} examples passed, {} sentiment terms",
            engine.rules.pattern_count(),
            engine.sentiment_terms()
        );
        Ok(ExitCode::SUCCESS)
    } else {
        println!("FAILED: {} of {run} examples failed in {}", failures.len(), dir.display());
        Ok(ExitCode::FAILURE)
    }
}

#[derive(Deserialize)]
struct MatchInput {
    id: serde_json::Value,
    #[serde(default)]
    title: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    lang: Option<String>,
}

fn match_items(config: &Config, dir: Option<PathBuf>) -> Result<ExitCode> {
    let dir = app::rules_dir(config, dir.as_deref())?;
    let engine = app::load_engine(&dir)?;
    let stdin = std::io::stdin();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for (n, line) in stdin.lock().lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let input: MatchInput = match serde_json::from_str(&line) {
            Ok(i) => i,
            Err(e) => {
                eprintln!("stdin:{}: invalid item: {e}", n + 1);
                writeln!(out, "{}", serde_json::json!({"id": null, "error": e.to_string()}))?;
                continue;
            }
        };
        let lang =
            input.lang.clone().unwrap_or_else(|| duluan_text::detect_language(&input.text, None).code.to_string());
        let doc = Doc { title: &input.title, text: &input.text, lang: &lang, ..Doc::default() };
        let (flags, sentiment) = engine.analyze(&doc);
        let flags: Vec<serde_json::Value> = flags
            .iter()
            .map(|f| serde_json::json!({"rule": f.rule, "severity": f.severity, "spans": f.spans}))
            .collect();
        writeln!(out, "{}", serde_json::json!({"id": input.id, "flags": flags, "sentiment": sentiment}))?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn sentiment(config: &Config) -> Result<ExitCode> {
    let dir = app::rules_dir(config, None)?;
    let engine = app::load_engine(&dir)?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for line in std::io::stdin().lock().split(b'\n') {
        let bytes = line?;
        let text = String::from_utf8_lossy(&bytes);
        let s = engine.sentiment.score(text.trim_end_matches('\r'));
        writeln!(out, "{}", serde_json::json!({"label": s.label, "score": s.score, "terms": s.terms}))?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
