//! `duluan rules backtest FILE`: a rule file run over the stored archive before it is enabled —
//! hits per day, the stories they make, and a sample with the terms that fired.

use std::collections::{BTreeMap, HashSet};
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use chrono::{DateTime, NaiveDate, Utc};
use duluan_config::Config;
use duluan_index::{Query, SearchIndex};
use duluan_rules::{Doc, Packs, RuleSet};
use serde::Serialize;

use crate::app;
use crate::cli::BacktestArgs;

/// What one rule would have done over the archive.
#[derive(Serialize)]
struct Outcome {
    rule: String,
    /// The first and last day of the window, whole days in Vietnam (`time_zone`).
    from: NaiveDate,
    to: NaiveDate,
    time_zone: &'static str,
    items_checked: u64,
    hits: u64,
    stories: usize,
    /// Hits by day, every day of the window (0 where none).
    per_day: BTreeMap<NaiveDate, u64>,
    /// The most recent hits, newest first (see [`keep_newest`]).
    sample: Vec<SampleHit>,
}

#[derive(Serialize)]
struct SampleHit {
    id: String,
    url: String,
    title: String,
    published_at: Option<DateTime<Utc>>,
    /// The day the hit counts on in `per_day`.
    day: NaiveDate,
    /// The terms that fired, each once, in text order.
    terms: Vec<String>,
    /// What each term matched in the item, where it reads otherwise than the term (a folded
    /// term finds words with other diacritics: `thuốc` in `quen thuộc`).
    matched: Vec<Matched>,
    /// Publication time, else fetch time: what "most recent" orders by.
    #[serde(skip)]
    at: DateTime<Utc>,
}

#[derive(Serialize)]
struct Matched {
    term: String,
    text: String,
}

/// The offset of Vietnam's time, in which days are counted.
const TIME_ZONE: &str = "+07:00";

/// The window of `days` whole days in Vietnam that ends today: its first and last day, and the
/// instant its first day begins.
fn window(now: DateTime<Utc>, days: u32) -> (NaiveDate, NaiveDate, DateTime<Utc>) {
    let today = local_day(now);
    let first = today - chrono::Days::new(u64::from(days.saturating_sub(1)));
    (first, today, duluan_reports::start_of(first, duluan_text::vietnam()))
}

/// Each term of `spans` once, in order, and what it matched in `item` where that reads otherwise
/// (case aside), each such pair once.
fn terms_and_matches(spans: &[duluan_model::Span], item: &duluan_model::Item) -> (Vec<String>, Vec<Matched>) {
    let (mut terms, mut matched) = (Vec::new(), Vec::new());
    let (mut seen_terms, mut seen_pairs) = (HashSet::new(), HashSet::new());
    for span in spans {
        if seen_terms.insert(span.term.as_str()) {
            terms.push(span.term.to_string());
        }
        let field = if span.field == duluan_model::Field::Title { &item.title } else { &item.text };
        let Some(text) = field.get(span.start..span.end) else { continue };
        // On one line, as the sample shows it: a term may be written across a line break.
        let text = text.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase();
        if text != span.term.to_lowercase() && seen_pairs.insert((span.term.as_str(), text.clone())) {
            matched.push(Matched { term: span.term.to_string(), text });
        }
    }
    (terms, matched)
}

/// Adds the hit of time `at` (made by `hit` only then) to `sample` (at most `size` hits, newest
/// first) if it is among the `size` most recent so far. The archive comes in index order, not by
/// date: a newer hit pushes the oldest kept one out.
fn keep_newest(sample: &mut Vec<SampleHit>, size: usize, at: DateTime<Utc>, hit: impl FnOnce() -> SampleHit) {
    if sample.len() >= size {
        match sample.last() {
            Some(oldest) if oldest.at < at => sample.truncate(size.saturating_sub(1)),
            _ => return,
        }
    }
    let place = sample.partition_point(|s| s.at >= at);
    sample.insert(place, hit());
}

/// The archive's packs (for their lists) with the file's rules added; only the file's rules are
/// evaluated, enabled whatever the file says, with their own filters.
fn rules_under_test(config: &Config, args: &BacktestArgs) -> Result<(RuleSet, Vec<String>)> {
    let rules = app::rules_to_read(config, args.rules.as_deref())?;
    let dir = &rules.path;
    let file = args.file.canonicalize().with_context(|| format!("cannot read {}", args.file.display()))?;
    let mut packs = duluan_rules::read_dir(dir).map_err(|errors| {
        let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
        anyhow::anyhow!("invalid rules in {}:\n  {}", dir.display(), lines.join("\n  "))
    })?;
    // The file may be one of the directory's packs: its rules are replaced, not doubled.
    packs.rules.retain(|r| !same_file(&r.origin, &file));
    let text = std::fs::read_to_string(&file).with_context(|| format!("cannot read {}", file.display()))?;
    let mut own = Packs::default();
    let mut errors = Vec::new();
    duluan_rules::read_pack(&file, &text, &mut own, &mut errors);
    if !errors.is_empty() {
        let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
        bail!("invalid rule file:\n  {}", lines.join("\n  "));
    }
    if own.rules.is_empty() {
        bail!("{} has no [[rule]]", file.display());
    }
    let ids: Vec<String> = own.rules.iter().map(|r| r.id.clone()).collect();
    for rule in &mut packs.rules {
        rule.enabled = false;
    }
    for mut rule in own.rules {
        rule.enabled = true;
        packs.rules.push(rule);
    }
    packs.lists.extend(own.lists);
    let set = RuleSet::compile_all(packs).map_err(|errors| {
        anyhow::anyhow!("{}", errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))
    })?;
    Ok((set, ids))
}

fn same_file(origin: &str, file: &Path) -> bool {
    Path::new(duluan_rules::origin_file(origin)).canonicalize().is_ok_and(|p| p == file)
}

pub(crate) async fn run(config: &Config, args: &BacktestArgs) -> Result<ExitCode> {
    let (rules, ids) = rules_under_test(config, args)?;
    let dir = config.index_dir();
    let index = SearchIndex::open_read_only(&dir).with_context(|| {
        format!("cannot open the index at {} (run `duluan demo --once` or `duluan ingest` first)", dir.display())
    })?;
    let store = app::open_store(config).await?;
    let (from, to, start) = window(Utc::now(), args.days);
    let query = Query { from: Some(start), ..Query::default() };
    let mut item_ids = Vec::new();
    index.export(&query, |row| {
        item_ids.push(row.id);
        true
    })?;
    let mut outcomes: Vec<Outcome> = ids
        .iter()
        .map(|id| Outcome {
            rule: id.clone(),
            from,
            to,
            time_zone: TIME_ZONE,
            items_checked: 0,
            hits: 0,
            stories: 0,
            per_day: from.iter_days().take_while(|day| *day <= to).map(|day| (day, 0)).collect(),
            sample: Vec::new(),
        })
        .collect();
    let mut stories: Vec<HashSet<String>> = vec![HashSet::new(); ids.len()];
    let bar = app::progress(Some(item_ids.len() as u64), "back-testing");
    for id in &item_ids {
        bar.inc(1);
        let Some(item) = store.item(id).await? else { continue };
        let doc = Doc {
            title: &item.title,
            text: &item.text,
            lang: &item.lang,
            source: &item.source_id,
            source_tags: &item.source_tags,
            region: item.region.as_deref(),
            at: Some(item.effective_time()),
            ..Doc::default()
        };
        let flags = rules.matches(&doc);
        for (n, outcome) in outcomes.iter_mut().enumerate() {
            outcome.items_checked += 1;
            let Some(flag) = flags.iter().find(|f| f.rule == outcome.rule) else { continue };
            outcome.hits += 1;
            let at = item.effective_time();
            let day = local_day(at);
            *outcome.per_day.entry(day).or_default() += 1;
            stories[n].insert(item.story_id.to_string());
            keep_newest(&mut outcome.sample, args.sample, at, || {
                let (terms, matched) = terms_and_matches(&flag.spans, &item);
                SampleHit {
                    id: item.id.to_string(),
                    url: item.url.clone(),
                    title: item.title.clone(),
                    published_at: item.published_at,
                    day,
                    terms,
                    matched,
                    at,
                }
            });
        }
    }
    bar.finish_and_clear();
    for (outcome, seen) in outcomes.iter_mut().zip(stories) {
        outcome.stories = seen.len();
    }
    print(&outcomes, args)?;
    Ok(ExitCode::SUCCESS)
}

/// The day a hit counts on: its publication time, else its fetch time, in Vietnam.
fn local_day(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&duluan_text::vietnam()).date_naive()
}

fn print(outcomes: &[Outcome], args: &BacktestArgs) -> Result<()> {
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    if args.json {
        for o in outcomes {
            writeln!(out, "{}", serde_json::to_string(o)?)?;
        }
        out.flush()?;
        return Ok(());
    }
    for o in outcomes {
        writeln!(
            out,
            "{}: {} hits in {} stories among {} items of the last {} days ({} to {}, days in Vietnam)",
            o.rule, o.hits, o.stories, o.items_checked, args.days, o.from, o.to
        )?;
        let most = o.per_day.values().copied().max().unwrap_or(1).max(1);
        for line in day_lines(&o.per_day, most) {
            writeln!(out, "{line}")?;
        }
        for s in &o.sample {
            writeln!(out, "  · {}  {}  [{}]\n    {}", s.day, s.title, shown_terms(s), s.url)?;
        }
    }
    out.flush()?;
    Ok(())
}

/// The text lines of `per_day`, from the first day with a hit to the last: a bar per day, and
/// a run of three days or more without a hit on one line.
fn day_lines(per_day: &BTreeMap<NaiveDate, u64>, most: u64) -> Vec<String> {
    let busy: Vec<&NaiveDate> = per_day.iter().filter(|(_, n)| **n > 0).map(|(day, _)| day).collect();
    let (Some(&&first), Some(&&last)) = (busy.first(), busy.last()) else { return Vec::new() };
    let mut lines = Vec::new();
    let mut quiet: Vec<NaiveDate> = Vec::new();
    let end_quiet = |quiet: &mut Vec<NaiveDate>, lines: &mut Vec<String>| {
        match quiet.as_slice() {
            [from, .., to] if quiet.len() >= 3 => {
                lines.push(format!("  {from} … {to}  {:>6}  ({} days)", 0, quiet.len()))
            }
            days => lines.extend(days.iter().map(|day| format!("  {day}  {:>6}  ", 0))),
        }
        quiet.clear();
    };
    for (&day, &n) in per_day.range(first..=last) {
        if n == 0 {
            quiet.push(day);
            continue;
        }
        end_quiet(&mut quiet, &mut lines);
        lines.push(format!("  {day}  {n:>6}  {}", "█".repeat(((n * 40).div_ceil(most)) as usize)));
    }
    end_quiet(&mut quiet, &mut lines);
    lines
}

/// A sample hit's terms, each followed by what it matched where that reads otherwise:
/// `gas, thuốc «thuộc»`.
fn shown_terms(hit: &SampleHit) -> String {
    let mut shown: Vec<String> = Vec::new();
    for term in &hit.terms {
        let others: Vec<&str> = hit.matched.iter().filter(|m| &m.term == term).map(|m| m.text.as_str()).collect();
        shown.push(if others.is_empty() { term.clone() } else { format!("{term} «{}»", others.join("», «")) });
    }
    shown.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hit(day: u32) -> SampleHit {
        let at =
            chrono::NaiveDate::from_ymd_opt(2026, 11, day).and_then(|d| d.and_hms_opt(8, 0, 0)).map(|t| t.and_utc());
        let at = at.unwrap_or_default();
        SampleHit {
            id: day.to_string(),
            url: String::new(),
            title: String::new(),
            published_at: Some(at),
            day: local_day(at),
            terms: vec![],
            matched: vec![],
            at,
        }
    }

    fn kept(days: &[u32], size: usize) -> Vec<String> {
        let mut sample = Vec::new();
        for &day in days {
            keep_newest(&mut sample, size, hit(day).at, || hit(day));
        }
        sample.into_iter().map(|s| s.id).collect()
    }

    #[test]
    fn the_sample_is_the_most_recent_hits_newest_first() {
        // Archive order is not date order.
        assert_eq!(kept(&[3, 20, 1, 14, 9, 30, 2], 3), ["30", "20", "14"]);
        assert_eq!(kept(&[3, 20, 1], 5), ["20", "3", "1"]);
        assert!(kept(&[3, 20], 0).is_empty());
        // Of two hits at the same time, the first seen stays.
        assert_eq!(kept(&[5, 5], 1), ["5"]);
    }

    /// Days without a hit between two with one are shown, three or more on one line.
    #[test]
    fn quiet_days_between_hits_are_shown_and_long_runs_folded() {
        let day = |d| NaiveDate::from_ymd_opt(2026, 11, d).unwrap_or_default();
        let per_day: BTreeMap<NaiveDate, u64> =
            (1..=20).map(|d| (day(d), u64::from(matches!(d, 3 | 6 | 12)))).collect();
        assert_eq!(
            day_lines(&per_day, 1),
            [
                format!("  2026-11-03       1  {}", "█".repeat(40)),
                "  2026-11-04       0  ".to_string(),
                "  2026-11-05       0  ".to_string(),
                format!("  2026-11-06       1  {}", "█".repeat(40)),
                "  2026-11-07 … 2026-11-11       0  (5 days)".to_string(),
                format!("  2026-11-12       1  {}", "█".repeat(40)),
            ]
        );
        assert!(day_lines(&BTreeMap::new(), 1).is_empty());
    }

    /// The window is whole days in Vietnam, today the last: at 06:00 in Vietnam on the 7th
    /// (23:00 UTC on the 6th), three days are the 5th to the 7th from 00:00 in Vietnam.
    #[test]
    fn the_window_is_whole_days_in_vietnam() {
        let now = DateTime::parse_from_rfc3339("2026-12-06T23:00:00Z").map(|t| t.to_utc()).unwrap_or_default();
        let (from, to, start) = window(now, 3);
        let day = |d| NaiveDate::from_ymd_opt(2026, 12, d).unwrap_or_default();
        assert_eq!((from, to), (day(5), day(7)));
        assert_eq!(start.to_rfc3339(), "2026-12-04T17:00:00+00:00");
        assert_eq!(window(now, 1).0, day(7));
    }

    #[test]
    fn a_hit_counts_on_its_day_in_vietnam() {
        let evening = DateTime::parse_from_rfc3339("2026-11-20T20:30:00Z").map(|t| t.to_utc()).unwrap_or_default();
        assert_eq!(local_day(evening), NaiveDate::from_ymd_opt(2026, 11, 21).unwrap_or_default());
    }
}
