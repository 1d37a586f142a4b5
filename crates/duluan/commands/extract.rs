//! `duluan extract FILE`: the article extracted from one page.

use std::io::Write;
use std::process::ExitCode;

use anyhow::{Context, Result};

use crate::cli::{ExtractArgs, ExtractFormat};

pub(crate) fn run(args: &ExtractArgs) -> Result<ExitCode> {
    let bytes = std::fs::read(&args.file).with_context(|| format!("cannot read {}", args.file.display()))?;
    let tld = args
        .url
        .as_deref()
        .and_then(|u| url::Url::parse(u).ok())
        .and_then(|u| u.host_str().and_then(|h| h.rsplit('.').next()).map(str::to_string));
    if duluan_text::looks_binary(&bytes) {
        eprintln!("{}: not an article (binary content, not HTML)", args.file.display());
    }
    let bytes = if duluan_text::looks_binary(&bytes) { Vec::new() } else { bytes };
    let decoded = duluan_text::decode(&bytes, None, tld.as_deref());
    let config = duluan_config::Config::defaults();
    let options = duluan_extract::Options {
        min_article_chars: config.extract.min_article_chars,
        max_nodes: config.extract.max_nodes,
        lang_hint: None,
    };
    let article = duluan_extract::extract(&decoded.text, args.url.as_deref(), &options);
    let mut out = std::io::stdout().lock();
    match args.format {
        ExtractFormat::Json => {
            let json = serde_json::json!({
                "url": article.url,
                "canonical_url": article.canonical_url,
                "title": article.title,
                "text": article.text,
                "published_at": article.published_at,
                "modified_at": article.modified_at,
                "lang": article.lang,
                "byline": article.byline,
                "site_name": article.site_name,
                "description": article.description,
                "is_article": article.is_article,
                "encoding": decoded.encoding,
            });
            writeln!(out, "{json}")?;
        }
        ExtractFormat::Text => {
            writeln!(out, "{}\n\n{}", article.title, article.text)?;
        }
    }
    if !article.is_article && !bytes.is_empty() {
        eprintln!("{}: not an article (listing page or too little text)", args.file.display());
    }
    Ok(ExitCode::SUCCESS)
}
