//! `duluan rules check|match|stats` and `duluan sentiment`.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use duluan_config::Config;
use duluan_model::{ClaimMatch, Flag, Sentiment, Severity, Span};
use duluan_rules::{Doc, Engine, Register};
use duluan_web::api::{RuleProvenance, RuleSort};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use super::lines::{Line, MAX_LINE, next_line, too_long, without_bom};
use crate::app;
use crate::cli::{RulesOp, StatsSort};

pub(crate) async fn run(config: &Config, op: &RulesOp) -> Result<ExitCode> {
    match op {
        RulesOp::Check { dir } => check(config, dir.clone()),
        RulesOp::Match { rules, register } => match_items(config, rules.clone(), (*register).into()),
        RulesOp::Stats { rules, json, sort, needs_review } => {
            stats(config, rules.clone(), *json, *sort, *needs_review).await
        }
        RulesOp::Backtest(args) => super::backtest::run(config, args).await,
    }
}

/// One rule's line in `duluan rules stats`.
#[derive(serde::Serialize)]
struct StatsRow {
    rule: String,
    title: String,
    /// Whether its pack turns it on; `null` for a rule no pack defines (removed, or built in).
    enabled: Option<bool>,
    provenance: duluan_web::api::RuleProvenance,
    alerts: i64,
    items: i64,
    hits: Option<u64>,
    hits_30d: Option<u64>,
    confirmed: i64,
    escalated: i64,
    dismissed: i64,
    /// Confirmed, escalated or dismissed: what `precision` is over.
    decided: i64,
    open: i64,
    precision: Option<f64>,
    last_hit: Option<chrono::DateTime<chrono::Utc>>,
    review: Option<String>,
    /// The reasons for review by machine name, as `GET /api/rules/stats` gives them.
    review_flags: Vec<duluan_web::api::ReviewNote>,
}

impl StatsRow {
    fn of(r: duluan_web::api::RuleReview) -> StatsRow {
        StatsRow {
            rule: r.stats.rule,
            title: r.title.vi,
            enabled: (r.provenance == RuleProvenance::Pack).then_some(r.enabled),
            provenance: r.provenance,
            alerts: r.stats.alerts,
            items: r.stats.items,
            hits: r.hits,
            hits_30d: r.hits_30d,
            confirmed: r.stats.confirmed,
            escalated: r.stats.escalated,
            dismissed: r.stats.dismissed,
            decided: r.decided,
            open: r.stats.open,
            precision: r.stats.precision,
            last_hit: r.stats.last_hit,
            review: r.review,
            review_flags: r.review_flags,
        }
    }
}

async fn stats(
    config: &Config,
    dir: Option<PathBuf>,
    json: bool,
    sort: StatsSort,
    needs_review: bool,
) -> Result<ExitCode> {
    let engine = app::load_engine(config, &app::rules_to_read(config, dir.as_deref())?.path)?;
    let catalog = duluan_rules::review::RuleCatalog::new(engine.rules.rules());
    let store = app::open_store(config).await?;
    // Hits of tag-only rules live only in the index; without it they would read as never fired.
    let index = match duluan_index::SearchIndex::open_read_only(&config.index_dir()) {
        Ok(index) => Some(index),
        Err(e) => {
            eprintln!("warning: hits not counted, the index cannot be read: {e}");
            None
        }
    };
    let mut reviews = duluan_web::api::rule_reviews(
        &catalog,
        store.rule_stats(chrono::Utc::now() - chrono::Duration::days(duluan_rules::review::RECENT_DAYS)).await?,
        index.as_ref(),
        chrono::Utc::now(),
    );
    if needs_review {
        reviews.retain(|r| !r.flags.is_empty());
    }
    let sort = match sort {
        StatsSort::Review => RuleSort::Review,
        StatsSort::Precision => RuleSort::Precision,
        StatsSort::Hits => RuleSort::Hits,
        StatsSort::LastHit => RuleSort::LastHit,
    };
    duluan_web::api::sort_reviews(&mut reviews, sort);
    let rows: Vec<StatsRow> = reviews.into_iter().map(StatsRow::of).collect();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    if json {
        for r in &rows {
            writeln!(out, "{}", serde_json::to_string(r)?)?;
        }
    } else {
        let header = format!(
            "{:40} {:>7} {:>6} {:>6} {:>6} {:>9} {:>9} {:>10}  review",
            "rule", "alerts", "items", "hits", "open", "kept", "precision", "last hit"
        );
        writeln!(out, "{header}")?;
        for r in &rows {
            let precision = r.precision.map(|p| format!("{:.0}%", p * 100.0)).unwrap_or_else(|| "-".into());
            // The day in Vietnam, as the UI and `rules backtest` show it.
            let last = r
                .last_hit
                .map(|t| t.with_timezone(&duluan_text::vietnam()).format("%Y-%m-%d").to_string())
                .unwrap_or_else(|| "-".into());
            let name = match (r.provenance, r.enabled) {
                (RuleProvenance::Pack, Some(false)) => format!("{} (off)", r.rule),
                (RuleProvenance::Removed, _) => format!("{} (removed)", r.rule),
                (RuleProvenance::Builtin, _) => format!("{} (built-in)", r.rule),
                _ => r.rule.clone(),
            };
            let hits = r.hits.map(|h| h.to_string()).unwrap_or_else(|| "-".into());
            writeln!(
                out,
                "{name:40} {:>7} {:>6} {hits:>6} {:>6} {:>9} {precision:>9} {last:>10}  {}",
                r.alerts,
                r.items,
                r.open,
                r.confirmed + r.escalated,
                r.review.as_deref().unwrap_or("")
            )?;
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn check(config: &Config, dir: Option<PathBuf>) -> Result<ExitCode> {
    let rules = app::rules_to_read(config, dir.as_deref())?;
    let dir = &rules.path;
    let engine = match Engine::load_with(dir, &app::claim_options(config)) {
        Ok(e) => e,
        Err(errors) => {
            for e in &errors {
                eprintln!("error: {e}");
            }
            eprintln!("{} problem(s) in {}", errors.len(), dir.display());
            return Ok(ExitCode::FAILURE);
        }
    };
    let (rule_examples, mut failures) = duluan_rules::check_examples(&engine.rules);
    let (claim_examples, claim_failures) = engine.claims.check_examples();
    failures.extend(claim_failures);
    let run = rule_examples + claim_examples;
    for f in &failures {
        eprintln!("FAIL {f}");
    }
    for warning in &engine.warnings {
        eprintln!("warning: {warning}");
    }
    // Two claims for one rumour flag every copy twice: worth merging, not an error.
    for (a, b, similarity) in engine.claims.near_duplicates() {
        eprintln!("warning: claim `{a}` repeats claim `{b}` (similarity {similarity:.2}); consider merging them");
    }
    let rules = engine.rules.rules().len();
    let enabled = engine.rules.rules().iter().filter(|r| r.enabled).count();
    if failures.is_empty() {
        println!(
            "ok: {rules} rules ({enabled} enabled), {} terms, {run} examples passed, {} sentiment terms, {} known claims",
            engine.rules.pattern_count(),
            engine.sentiment_terms(),
            engine.claims.file_claims().len()
        );
        Ok(ExitCode::SUCCESS)
    } else {
        println!("FAILED: {} of {run} examples failed in {}", failures.len(), dir.display());
        Ok(ExitCode::FAILURE)
    }
}

#[derive(Deserialize)]
struct MatchInput<'a> {
    /// Echoed as written: parsed into a number, `1.5e2` came back as `150.0` and a 23-digit id
    /// rounded.
    #[serde(borrow)]
    id: &'a RawValue,
    #[serde(default)]
    title: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    lang: Option<String>,
    /// When the item was published: known claims are matched within their time window around it
    /// (default: now). Read as `ingest` reads it (RFC 3339, a date alone, Vietnamese forms; empty
    /// is none).
    #[serde(default)]
    published_at: Option<String>,
    /// Where the item comes from, for rules with source, source-tag or region filters.
    #[serde(default)]
    source: String,
    #[serde(default)]
    source_tags: Vec<String>,
    #[serde(default)]
    region: Option<String>,
    /// `opinion` or `news`, for sentiment (default: `--register`).
    #[serde(default)]
    register: Option<String>,
}

fn match_items(config: &Config, dir: Option<PathBuf>, register: Register) -> Result<ExitCode> {
    let rules = app::rules_to_read(config, dir.as_deref())?;
    let engine = app::load_engine(config, &rules.path)?;
    let mut stdin = std::io::stdin().lock();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut buf = Vec::new();
    let mut n = 0;
    while let Some(line) = next_line(&mut stdin, &mut buf, MAX_LINE)? {
        n += 1;
        // Every line is answered in input order, a bad one with its error (and its id, if that
        // much could be read), so that a client can pair answers with items by place or by id.
        let fail = |out: &mut dyn Write, line: &str, message: String| -> std::io::Result<()> {
            eprintln!("stdin:{n}: invalid item: {message}");
            let id = serde_json::from_str::<ItemId<'_>>(line).ok().map(|i| i.id);
            writeln!(out, "{}", serde_json::to_string(&ErrorLine { id, error: &message })?)
        };
        let line = match line {
            Line::TooLong => {
                fail(&mut out, "", format!("line {n}: {}", too_long()))?;
                continue;
            }
            Line::Bytes(bytes) => match std::str::from_utf8(bytes) {
                Ok(line) => line,
                Err(e) => {
                    // The id is echoed if it can be read past the bad bytes.
                    fail(&mut out, &String::from_utf8_lossy(bytes), format!("not UTF-8: {e}"))?;
                    continue;
                }
            },
        };
        let line = without_bom(n, line);
        // A blank line is answered too: skipped, it shifted every answer after it.
        if line.trim().is_empty() {
            fail(&mut out, "", "empty line: expected a JSON item".to_string())?;
            continue;
        }
        let input: MatchInput = match serde_json::from_str(line) {
            Ok(i) => i,
            Err(e) => {
                fail(&mut out, line, e.to_string())?;
                continue;
            }
        };
        let at = match input.published_at.as_deref().filter(|p| !p.trim().is_empty()) {
            None => None,
            Some(p) => match duluan_text::parse_date(p) {
                Some(at) => Some(at),
                None => {
                    let message = format!("cannot read published_at `{p}` as a date (e.g. 2026-10-05T08:30:00+07:00)");
                    fail(&mut out, line, message)?;
                    continue;
                }
            },
        };
        let register = match input.register.as_deref().map(str::parse::<Register>) {
            None => register,
            Some(Ok(r)) => r,
            Some(Err(message)) => {
                fail(&mut out, line, message)?;
                continue;
            }
        };
        // As the pipeline reads it.
        let title = duluan_rules::title_line(&input.title);
        let lang = duluan_text::item_language(input.lang.as_deref(), &title, &input.text, None);
        let doc = Doc {
            title: &title,
            text: &input.text,
            lang: &lang,
            source: &input.source,
            source_tags: &input.source_tags,
            region: input.region.as_deref(),
            at,
            register,
        };
        let (flags, sentiment) = engine.analyze(&doc);
        let flags = flags.iter().map(FlagLine::of).collect();
        writeln!(out, "{}", serde_json::to_string(&MatchLine { id: input.id, flags, sentiment: &sentiment })?)?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// One output line of `rules match`. Typed rather than built as a `serde_json::Value`, which
/// holds numbers as `f64`: an `f32` score of -0.758 printed as -0.7580000162124634.
#[derive(Serialize)]
struct MatchLine<'a> {
    id: &'a RawValue,
    flags: Vec<FlagLine<'a>>,
    sentiment: &'a Sentiment,
}

/// The id of an item that is otherwise wrong.
#[derive(Deserialize)]
struct ItemId<'a> {
    #[serde(borrow)]
    id: &'a RawValue,
}

/// The answer to a line that holds no item `rules match` can read.
#[derive(Serialize)]
struct ErrorLine<'a> {
    id: Option<&'a RawValue>,
    error: &'a str,
}

/// A flag as `rules match` prints it: rule, severity and spans, plus the claim and its similarity
/// for a known-claim match.
#[derive(Serialize)]
struct FlagLine<'a> {
    rule: &'a str,
    severity: Severity,
    spans: &'a [Span],
    #[serde(skip_serializing_if = "Option::is_none")]
    claim: Option<&'a ClaimMatch>,
}

impl<'a> FlagLine<'a> {
    fn of(f: &'a Flag) -> FlagLine<'a> {
        FlagLine { rule: &f.rule, severity: f.severity, spans: &f.spans, claim: f.claim.as_ref() }
    }
}

pub(crate) fn sentiment(config: &Config, register: Register) -> Result<ExitCode> {
    let rules = app::rules_to_read(config, None)?;
    let engine = app::load_engine(config, &rules.path)?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut stdin = std::io::stdin().lock();
    let mut buf = Vec::new();
    let mut n = 0;
    while let Some(line) = next_line(&mut stdin, &mut buf, MAX_LINE)? {
        n += 1;
        let Line::Bytes(bytes) = line else {
            let error = format!("line {n}: {}", too_long());
            eprintln!("stdin:{n}: {error}");
            writeln!(out, "{}", serde_json::json!({ "error": error }))?;
            continue;
        };
        let s = engine.sentiment.score_as(&String::from_utf8_lossy(bytes), register);
        // The model's own type, not a `serde_json::Value` (see [`MatchLine`]).
        writeln!(out, "{}", serde_json::to_string(&s)?)?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
