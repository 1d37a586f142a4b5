//! Opening the parts a command needs: configuration, the data-directory lock, store, index, rules.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use duluan_config::Config;
use duluan_index::{OpenState, SearchIndex};
use duluan_rules::Engine;
use duluan_store::{SqlStore, Store};
use indicatif::{ProgressBar, ProgressStyle};

use crate::cli::Cli;

/// The default rule pack and lexicons, compiled in so the binary works from any directory.
pub(crate) const EMBEDDED_RULES: &[(&str, &str)] = &[
    ("health.toml", include_str!("../../rules/health.toml")),
    ("prices.toml", include_str!("../../rules/prices.toml")),
    ("claims.toml", include_str!("../../rules/claims.toml")),
    ("lexicons/README.md", include_str!("../../rules/lexicons/README.md")),
    ("lexicons/vi.tsv", include_str!("../../rules/lexicons/vi.tsv")),
    ("lexicons/en.tsv", include_str!("../../rules/lexicons/en.tsv")),
    ("lexicons/modifiers.tsv", include_str!("../../rules/lexicons/modifiers.tsv")),
    ("lexicons/emoji.tsv", include_str!("../../rules/lexicons/emoji.tsv")),
];

/// Configuration with the command line applied.
pub(crate) fn load_config(cli: &Cli) -> Result<Config> {
    // Config errors name their file or layer themselves.
    let mut config = Config::load(cli.config.as_deref())?;
    if let Some(dir) = &cli.data_dir {
        config.data_dir = dir.clone();
    }
    Ok(config)
}

/// Holds the exclusive lock on a data directory; released when dropped or when the process dies.
#[derive(Debug)]
pub(crate) struct DataLock {
    _file: File,
}

/// Create the data directory if needed and take its lock, or explain who holds it.
pub(crate) fn lock_data_dir(dir: &Path) -> Result<DataLock> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create the data directory {}", dir.display()))?;
    let path = dir.join("duluan.lock");
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("cannot open the lock file {}", path.display()))?;
    match file.try_lock() {
        Ok(()) => {
            use std::io::Write;
            let mut f = &file;
            let _ = f.set_len(0);
            let _ = writeln!(f, "{}", std::process::id());
            Ok(DataLock { _file: file })
        }
        Err(std::fs::TryLockError::WouldBlock) => {
            let holder = std::fs::read_to_string(&path).unwrap_or_default();
            bail!(
                "the data directory {} is in use by another duluan process (pid {}); stop it or use --data-dir",
                dir.display(),
                holder.trim()
            )
        }
        Err(std::fs::TryLockError::Error(e)) => Err(e).with_context(|| format!("cannot lock {}", path.display())),
    }
}

/// Connect to the store (creating the SQLite file when needed).
pub(crate) async fn open_store(config: &Config) -> Result<Arc<dyn Store>> {
    if config.store.url.is_empty() {
        std::fs::create_dir_all(&config.data_dir)
            .with_context(|| format!("cannot create the data directory {}", config.data_dir.display()))?;
    }
    let url = config.store_url();
    let store = SqlStore::connect(&url, config.store.max_connections)
        .await
        .with_context(|| format!("cannot open the store at {}", redact(&url)))?;
    Ok(Arc::new(store))
}

/// Hide a password in a database URL for messages.
fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_string(),
    }
}

/// Open (or create, or reset) the index for writing.
pub(crate) fn open_index(config: &Config) -> Result<(SearchIndex, OpenState)> {
    let dir = config.index_dir();
    let (index, state) =
        SearchIndex::open(&dir).with_context(|| format!("cannot open the index at {}", dir.display()))?;
    if let OpenState::Reset(reason) = &state {
        tracing::warn!(%reason, "search index reset; it will be rebuilt from the store");
    }
    Ok((index, state))
}

/// The index writer's memory budget and merge cap from the configuration.
pub(crate) fn writer_options(config: &Config) -> duluan_index::WriterOptions {
    duluan_index::WriterOptions {
        memory_bytes: config.index.writer_memory_mb * 1024 * 1024,
        max_segment_docs: config.index.max_segment_docs,
    }
}

/// The rules directory to use: the configured one, or the embedded default pack unpacked into
/// the data directory when the configured one does not exist (where the service can be pointed
/// at it and its files edited).
pub(crate) fn rules_dir(config: &Config, explicit: Option<&Path>) -> Result<PathBuf> {
    if let Some(dir) = given_rules_dir(config, explicit) {
        return Ok(dir);
    }
    let target = config.data_dir.join("rules-default");
    unpack_embedded_rules(&target)?;
    tracing::warn!(configured = %config.rules.dir.display(), using = %target.display(), "rules directory not found; using the built-in default pack");
    Ok(target)
}

/// A rules directory for a command that only reads rules (`sentiment`, `rules match`, `rules
/// check`…): as [`rules_dir`], but the embedded pack, when needed, is unpacked into a temporary
/// directory that goes with the value, not into the data directory (the current directory's
/// `data/`, by default) of someone who only piped text through.
pub(crate) struct RulesToRead {
    pub(crate) path: PathBuf,
    _unpacked: Option<tempfile::TempDir>,
}

pub(crate) fn rules_to_read(config: &Config, explicit: Option<&Path>) -> Result<RulesToRead> {
    if let Some(path) = given_rules_dir(config, explicit) {
        return Ok(RulesToRead { path, _unpacked: None });
    }
    let unpacked =
        tempfile::Builder::new().prefix("duluan-rules-").tempdir().context("cannot make a temporary directory")?;
    unpack_embedded_rules(unpacked.path())?;
    tracing::warn!(configured = %config.rules.dir.display(), "rules directory not found; using the built-in default pack");
    Ok(RulesToRead { path: unpacked.path().to_path_buf(), _unpacked: Some(unpacked) })
}

/// The rules directory given on the command line, else the configured one if it exists.
fn given_rules_dir(config: &Config, explicit: Option<&Path>) -> Option<PathBuf> {
    explicit.map(Path::to_path_buf).or_else(|| config.rules.dir.exists().then(|| config.rules.dir.clone()))
}

fn unpack_embedded_rules(target: &Path) -> Result<()> {
    for (name, text) in EMBEDDED_RULES {
        let path = target.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
        }
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}

/// How known claims are matched, from `[rules.claims]`.
pub(crate) fn claim_options(config: &Config) -> duluan_rules::ClaimOptions {
    let c = &config.rules.claims;
    duluan_rules::ClaimOptions {
        shingle: c.shingle,
        threshold: c.threshold,
        min_shared: c.min_shared,
        max_age_days: c.max_age_days,
    }
}

/// Load and compile rules and known claims, with every problem in the error.
pub(crate) fn load_engine(config: &Config, dir: &Path) -> Result<Engine> {
    let engine = Engine::load_with(dir, &claim_options(config)).map_err(|errors| {
        let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
        anyhow::anyhow!("invalid rules:\n  {}", lines.join("\n  "))
    })?;
    for warning in &engine.warnings {
        tracing::warn!(%warning, "rules loaded with a warning");
    }
    Ok(engine)
}

/// A progress bar on stderr, hidden when stderr is not a terminal.
pub(crate) fn progress(len: Option<u64>, what: &str) -> ProgressBar {
    let bar = match len {
        Some(n) => ProgressBar::new(n),
        None => ProgressBar::new_spinner(),
    };
    let template = if len.is_some() {
        "{spinner} {msg} [{bar:30}] {pos}/{len} ({per_sec}, {eta} left)"
    } else {
        "{spinner} {msg} {pos} ({per_sec})"
    };
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(what.to_string());
    if !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    bar
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_rule_file_is_embedded() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
        let mut on_disk = Vec::new();
        let mut stack = vec![root.clone()];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).expect("rules dir") {
                let path = entry.expect("entry").path();
                if path.is_dir() {
                    stack.push(path);
                } else {
                    on_disk.push(path.strip_prefix(&root).expect("prefix").display().to_string());
                }
            }
        }
        on_disk.sort();
        let mut embedded: Vec<String> = EMBEDDED_RULES.iter().map(|(n, _)| n.to_string()).collect();
        embedded.sort();
        let readme = "README.md".to_string();
        on_disk.retain(|f| *f != readme);
        assert_eq!(on_disk, embedded);
    }

    #[test]
    fn the_lock_is_exclusive() {
        let dir = tempfile::tempdir().expect("tempdir");
        let first = lock_data_dir(dir.path()).expect("first lock");
        let second = lock_data_dir(dir.path()).expect_err("second lock must fail");
        assert!(second.to_string().contains("in use by another duluan process"), "{second}");
        drop(first);
        lock_data_dir(dir.path()).expect("lock again after release");
    }
}
