//! Typed, layered configuration.
//!
//! Takes the built-in defaults (`config/default.toml`, compiled in), an optional file that holds only
//! the keys it changes, and `DULUAN__SECTION__KEY` environment variables, in that order of
//! precedence, and produces one validated [`Config`]. Unknown keys are errors, so a typo never
//! silently falls back to a default. Also loads the `[[source]]` list. Never touches the network.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use duluan_model::Source;
use serde::Deserialize;

mod alerts;
mod reports;
pub use alerts::{AlertsConfig, NotifyConfig, Receiver, ReceiverKind, Route, Secret, SlaConfig};
pub use reports::{ReportsConfig, Schedule, SchedulePeriod, Topic};

/// The built-in defaults: the text of `config/default.toml`.
pub const DEFAULT_TOML: &str = include_str!("../../../config/default.toml");

/// Errors while reading configuration.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The file could not be read.
    #[error("cannot read {path}")]
    Read {
        /// File.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// The file is not valid TOML or has wrong keys/values.
    #[error("{origin}: {message}")]
    Invalid {
        /// File or layer that failed.
        origin: String,
        /// What is wrong, with line and column when known.
        message: String,
    },
}

/// `Result` with this crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

/// The whole configuration. See `config/default.toml` for the meaning of every key.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct Config {
    pub data_dir: PathBuf,
    pub store: StoreConfig,
    pub index: IndexConfig,
    pub crawl: CrawlConfig,
    pub extract: ExtractConfig,
    pub rules: RulesConfig,
    pub alerts: AlertsConfig,
    pub reports: ReportsConfig,
    pub server: ServerConfig,
    pub log: LogConfig,
}

/// `[store]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct StoreConfig {
    pub url: String,
    pub max_connections: u32,
}

/// `[index]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct IndexConfig {
    pub dir: String,
    pub writer_memory_mb: usize,
    pub max_segment_docs: u32,
    pub commit_every_items: usize,
    pub commit_every_ms: u64,
}

/// `[crawl]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct CrawlConfig {
    pub sources: PathBuf,
    pub user_agent: String,
    pub workers: usize,
    pub per_host_concurrency: usize,
    pub per_host_delay_ms: u64,
    pub max_crawl_delay_secs: u64,
    pub connect_timeout_secs: u64,
    pub timeout_secs: u64,
    pub max_body_bytes: usize,
    pub max_redirects: usize,
    pub max_retries: u32,
    pub retry_base_ms: u64,
    pub max_url_length: usize,
    pub default_interval_minutes: u32,
    pub min_interval_minutes: u32,
    pub max_interval_minutes: u32,
    pub health_error_streak: i64,
    pub health_min_ratio: f64,
    pub max_items_per_poll: usize,
    pub robots_cache_hours: u64,
    pub robots_max_bytes: usize,
    pub lease_secs: u64,
    pub allow_loopback: bool,
}

/// `[extract]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct ExtractConfig {
    pub min_article_chars: usize,
    pub max_nodes: usize,
}

/// `[rules]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct RulesConfig {
    pub dir: PathBuf,
    pub reload_secs: u64,
    pub claims: ClaimsConfig,
}

/// `[rules.claims]`: matching items against known claims.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct ClaimsConfig {
    pub shingle: usize,
    pub threshold: f32,
    pub min_shared: usize,
    pub max_age_days: u32,
    pub from_verdicts: bool,
    pub refresh_secs: u64,
}

/// `[server]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct ServerConfig {
    pub listen: String,
    pub max_body_bytes: usize,
    pub request_timeout_secs: u64,
    pub session_hours: i64,
    pub secure_cookies: bool,
    pub rate_limit_per_second: f64,
    pub rate_limit_burst: f64,
    pub public_url: String,
}

/// `[log]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct LogConfig {
    pub level: String,
}

impl Config {
    /// The built-in defaults alone.
    pub fn defaults() -> Config {
        // The embedded file is checked by a unit test, so this cannot fail at run time.
        Config::from_layers(None, std::iter::empty())
            .unwrap_or_else(|e| unreachable!("built-in config/default.toml is invalid: {e}"))
    }

    /// Defaults, then `file` (if any), then `DULUAN__…` variables from the process environment.
    pub fn load(file: Option<&Path>) -> Result<Config> {
        let overlay = match file {
            Some(path) => {
                let text =
                    std::fs::read_to_string(path).map_err(|source| Error::Read { path: path.to_path_buf(), source })?;
                Some((path.display().to_string(), text))
            }
            None => None,
        };
        Config::from_layers(overlay, std::env::vars())
    }

    /// Merge the layers: defaults, an optional `(origin, toml text)`, then environment pairs.
    pub fn from_layers(file: Option<(String, String)>, env: impl Iterator<Item = (String, String)>) -> Result<Config> {
        let mut merged = parse_table("built-in defaults", DEFAULT_TOML)?;
        if let Some((origin, text)) = file {
            let overlay = parse_table(&origin, &text)?;
            merge(&mut merged, overlay);
        }
        let env: Vec<(String, String)> = env.collect();
        for (key, value) in &env {
            if let Some(path) = key.strip_prefix("DULUAN__") {
                apply_env(&mut merged, path, value)?;
            }
        }
        let mut config: Config = toml::Value::Table(merged).try_into().map_err(|e: toml::de::Error| {
            Error::Invalid { origin: "configuration".into(), message: e.message().to_string() }
        })?;
        let lookup = |name: &str| env.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
        config
            .alerts
            .resolve_secrets(&lookup)
            .map_err(|message| Error::Invalid { origin: "configuration".into(), message })?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<()> {
        let invalid = |message: &str| Error::Invalid { origin: "configuration".into(), message: message.to_string() };
        if self.index.writer_memory_mb < 15 {
            return Err(invalid("index.writer_memory_mb must be at least 15"));
        }
        if self.index.max_segment_docs < 1_000 {
            return Err(invalid("index.max_segment_docs must be at least 1000"));
        }
        if self.crawl.workers == 0 || self.crawl.per_host_concurrency == 0 {
            return Err(invalid("crawl.workers and crawl.per_host_concurrency must be at least 1"));
        }
        if self.crawl.min_interval_minutes == 0 || self.crawl.min_interval_minutes > self.crawl.max_interval_minutes {
            return Err(invalid(
                "crawl.min_interval_minutes must be at least 1 and at most crawl.max_interval_minutes",
            ));
        }
        let claims = &self.rules.claims;
        if !(1..=8).contains(&claims.shingle) {
            return Err(invalid("rules.claims.shingle must be between 1 and 8"));
        }
        if !(claims.threshold > 0.0 && claims.threshold <= 1.0) {
            return Err(invalid("rules.claims.threshold must be above 0 and at most 1"));
        }
        if claims.min_shared == 0 || claims.refresh_secs == 0 {
            return Err(invalid("rules.claims.min_shared and rules.claims.refresh_secs must be at least 1"));
        }
        self.alerts.validate().map_err(|m| invalid(&m))?;
        self.reports.validate().map_err(|m| invalid(&m))?;
        for s in &self.reports.schedule {
            if let Some(r) = s.receivers.iter().find(|r| self.alerts.receiver(r).is_none()) {
                return Err(invalid(&format!("reports.schedule `{}`: unknown receiver `{r}`", s.id)));
            }
        }
        if !self.server.public_url.is_empty() && !self.server.public_url.starts_with("http") {
            return Err(invalid("server.public_url must be empty or an http(s) URL"));
        }
        Ok(())
    }

    /// The database URL, with the embedded SQLite default filled in.
    pub fn store_url(&self) -> String {
        if self.store.url.is_empty() {
            format!("sqlite://{}?mode=rwc", self.data_dir.join("duluan.db").display())
        } else {
            self.store.url.clone()
        }
    }

    /// The index directory, with the default filled in.
    pub fn index_dir(&self) -> PathBuf {
        if self.index.dir.is_empty() { self.data_dir.join("index") } else { PathBuf::from(&self.index.dir) }
    }
}

fn parse_table(origin: &str, text: &str) -> Result<toml::Table> {
    text.parse::<toml::Table>()
        .map_err(|e| Error::Invalid { origin: origin.to_string(), message: describe_toml_error(text, &e) })
}

/// A TOML error as "line L, column C: message".
pub fn describe_toml_error(text: &str, error: &toml::de::Error) -> String {
    match error.span() {
        Some(span) => {
            let (line, column) = duluan_text::line_column(text, span.start);
            format!("line {line}, column {column}: {}", error.message())
        }
        None => error.message().to_string(),
    }
}

fn merge(base: &mut toml::Table, overlay: toml::Table) {
    for (key, value) in overlay {
        match (base.get_mut(&key), value) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge(b, o),
            (_, value) => {
                base.insert(key, value);
            }
        }
    }
}

fn apply_env(table: &mut toml::Table, path: &str, raw: &str) -> Result<()> {
    let keys: Vec<String> = path.split("__").map(|k| k.to_ascii_lowercase()).collect();
    let Some((last, parents)) = keys.split_last() else {
        return Ok(());
    };
    let mut current = table;
    for key in parents {
        let entry = current.entry(key.clone()).or_insert_with(|| toml::Value::Table(toml::Table::new()));
        current = match entry {
            toml::Value::Table(t) => t,
            _ => {
                return Err(Error::Invalid {
                    origin: format!("DULUAN__{path}"),
                    message: format!("`{key}` is not a section"),
                });
            }
        };
    }
    current.insert(last.clone(), env_value(raw));
    Ok(())
}

/// Environment values are TOML scalars when they parse as one (`8`, `true`, `["a"]`), else strings.
fn env_value(raw: &str) -> toml::Value {
    let doc = format!("v = {raw}");
    match doc.parse::<toml::Table>() {
        Ok(mut t) => t.remove("v").unwrap_or_else(|| toml::Value::String(raw.to_string())),
        Err(_) => toml::Value::String(raw.to_string()),
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SourcesFile {
    #[serde(default)]
    source: Vec<Source>,
}

/// Read and validate a sources file (`[[source]]` tables).
pub fn load_sources(path: &Path) -> Result<Vec<Source>> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Read { path: path.to_path_buf(), source })?;
    parse_sources(&path.display().to_string(), &text)
}

/// Parse and validate the text of a sources file.
pub fn parse_sources(origin: &str, text: &str) -> Result<Vec<Source>> {
    let file: SourcesFile = toml::from_str(text)
        .map_err(|e| Error::Invalid { origin: origin.to_string(), message: describe_toml_error(text, &e) })?;
    let mut seen = BTreeMap::new();
    for source in &file.source {
        let invalid = |message: String| Error::Invalid { origin: origin.to_string(), message };
        if source.id.is_empty() || !source.id.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)) {
            return Err(invalid(format!(
                "source id `{}` must be non-empty ascii letters, digits, '-', '_' or '.'",
                source.id
            )));
        }
        if seen.insert(source.id.clone(), ()).is_some() {
            return Err(invalid(format!("source id `{}` appears twice", source.id)));
        }
        if !(source.url.starts_with("http://") || source.url.starts_with("https://")) {
            return Err(invalid(format!("source `{}`: url must be http(s)", source.id)));
        }
    }
    Ok(file.source)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_defaults_parse() {
        let c = Config::defaults();
        assert_eq!(c.crawl.max_redirects, 10);
        assert_eq!(c.crawl.max_body_bytes, 10 * 1024 * 1024);
        assert_eq!(c.crawl.connect_timeout_secs, 10);
        assert_eq!(c.crawl.timeout_secs, 30);
        assert!(!c.crawl.allow_loopback);
        assert_eq!(c.alerts.default_team, "chung");
        let claims = &c.rules.claims;
        assert_eq!((claims.shingle, claims.threshold, claims.min_shared, claims.max_age_days), (3, 0.5, 3, 180));
        assert!(claims.from_verdicts);
    }

    #[test]
    fn claim_settings_out_of_range_are_refused() {
        for bad in
            ["threshold = 0.0", "threshold = 1.5", "shingle = 0", "shingle = 9", "min_shared = 0", "refresh_secs = 0"]
        {
            let file = ("c.toml".to_string(), format!("[rules.claims]\n{bad}\n"));
            let err = Config::from_layers(Some(file), std::iter::empty()).expect_err(bad);
            assert!(err.to_string().contains("rules.claims."), "{bad}: {err}");
        }
    }

    #[test]
    fn index_settings_out_of_range_are_refused() {
        assert_eq!(Config::defaults().index.max_segment_docs, 100_000);
        for bad in ["writer_memory_mb = 14", "max_segment_docs = 999"] {
            let file = ("c.toml".to_string(), format!("[index]\n{bad}\n"));
            let err = Config::from_layers(Some(file), std::iter::empty()).expect_err(bad);
            assert!(err.to_string().contains("index."), "{bad}: {err}");
        }
    }

    #[test]
    fn every_key_in_default_toml_has_a_comment() {
        let mut previous_is_comment = false;
        for line in DEFAULT_TOML.lines() {
            let trimmed = line.trim();
            let is_key =
                !trimmed.is_empty() && !trimmed.starts_with('#') && !trimmed.starts_with('[') && trimmed.contains('=');
            if is_key {
                assert!(previous_is_comment, "key without a comment above it: {trimmed}");
            }
            previous_is_comment = trimmed.starts_with('#') || (is_key && previous_is_comment);
            if trimmed.is_empty() {
                previous_is_comment = false;
            }
        }
    }

    #[test]
    fn file_overrides_only_its_keys_and_env_wins() {
        let file = ("test.toml".to_string(), "[crawl]\nworkers = 3\n".to_string());
        let env = vec![
            ("DULUAN__SERVER__LISTEN".to_string(), "0.0.0.0:9999".to_string()),
            ("DULUAN__CRAWL__ALLOW_LOOPBACK".to_string(), "true".to_string()),
            ("UNRELATED".to_string(), "x".to_string()),
        ];
        let c = Config::from_layers(Some(file), env.into_iter()).expect("valid");
        assert_eq!(c.crawl.workers, 3);
        assert_eq!(c.crawl.per_host_concurrency, 2);
        assert_eq!(c.server.listen, "0.0.0.0:9999");
        assert!(c.crawl.allow_loopback);
    }

    #[test]
    fn unknown_keys_and_bad_toml_are_reported_with_position() {
        let bad = ("x.toml".to_string(), "[crawl]\nworkerz = 3\n".to_string());
        let err = Config::from_layers(Some(bad), std::iter::empty()).unwrap_err();
        assert!(err.to_string().contains("workerz"), "{err}");
        let broken = ("y.toml".to_string(), "[crawl\nworkers = 3\n".to_string());
        let err = Config::from_layers(Some(broken), std::iter::empty()).unwrap_err();
        assert!(err.to_string().starts_with("y.toml: line 1"), "{err}");
    }

    #[test]
    fn shipped_sources_parse() {
        let text = include_str!("../../../config/sources.toml");
        let sources = parse_sources("config/sources.toml", text).expect("valid sources");
        assert!(sources.len() >= 10);
    }

    #[test]
    fn duplicate_source_ids_are_rejected() {
        let text = r#"
[[source]]
id = "a"
type = "feed"
url = "https://example.org/rss"
[[source]]
id = "a"
type = "feed"
url = "https://example.org/rss2"
"#;
        assert!(parse_sources("s.toml", text).is_err());
    }
}
