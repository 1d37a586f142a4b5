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

pub(crate) fn run(config: &Config, op: &RulesOp) -> Result<ExitCode> {
    match op {
        RulesOp::Check { dir } => check(config, dir.clone()),
        RulesOp::Match { rules } => match_items(config, rules.clone()),
    }
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
