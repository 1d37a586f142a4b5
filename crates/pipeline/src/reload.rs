//! Rules reloaded while the process runs. Every `[rules] reload_secs` the rules directory's
//! files are looked at (size and modification time: see [`duluan_rules::fingerprint`]); when
//! they changed and have stopped changing, they are loaded and compiled off the async workers
//! and put in force for the next item. Files that do not load leave the rules in force as they
//! were: the problems go to the log, to the rules page and `GET /api/rules/stats`, and are
//! counted in `duluan_rules_reloads_total{outcome="failed"}`.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use duluan_rules::ClaimOptions;
use duluan_rules::review::{ReloadFailure, RuleCatalog, RulesInForce};
use tokio::sync::watch;
use tracing::Instrument;

use crate::Pipeline;

/// How long files must stay unchanged before they are read: an editor or `git pull` writing
/// several files is not caught half way.
const SETTLE: Duration = Duration::from_millis(300);

/// How long files may go on changing before they are read all the same: a file rewritten more
/// often than every [`SETTLE`] (a generator, a sync tool) must not hold off reloads for good. A
/// file caught half written fails to load and leaves the rules in force, or loads and is read
/// again at the next look.
const MAX_UNSETTLED: Duration = Duration::from_secs(30);

impl Pipeline {
    /// Watches the rules directory `dir` until `stop` changes, putting its rules in force (with
    /// known claims matched per `options`) whenever its files change; `in_force` follows what is
    /// in force for the UI. `loaded` is the directory's [`duluan_rules::fingerprint`] taken before
    /// the rules in force were read: files changed while the process started (an index rebuild
    /// can take minutes) are reloaded at the first look, where a fingerprint taken when watching
    /// began took them for the rules in force. Nothing if `[rules] reload_secs` is 0.
    pub fn spawn_rules_watcher(
        self: &Arc<Self>,
        dir: PathBuf,
        loaded: u64,
        options: ClaimOptions,
        in_force: Arc<RulesInForce>,
        stop: watch::Receiver<bool>,
    ) -> Option<tokio::task::JoinHandle<()>> {
        let every = Duration::from_secs(self.config.rules.reload_secs);
        if every.is_zero() {
            return None;
        }
        Some(tokio::spawn(watch_dir(dir, loaded, every, options, self.clone(), in_force, stop)))
    }
}

async fn watch_dir(
    dir: PathBuf,
    loaded: u64,
    every: Duration,
    options: ClaimOptions,
    pipeline: Arc<Pipeline>,
    in_force: Arc<RulesInForce>,
    mut stop: watch::Receiver<bool>,
) {
    let mut seen = loaded;
    // Since when the files have been seen changing without a pause of `SETTLE`.
    let mut unsettled_since = None;
    loop {
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = stop.changed() => return,
        }
        let now = fingerprint(&dir).await;
        if now == seen {
            continue;
        }
        tokio::select! {
            _ = tokio::time::sleep(SETTLE) => {}
            _ = stop.changed() => return,
        }
        let latest = fingerprint(&dir).await;
        if !settled(latest == now, &mut unsettled_since, std::time::Instant::now()) {
            // Still being written: looked at again next time.
            continue;
        }
        if latest != now {
            tracing::warn!(dir = %dir.display(), "rule files have kept changing for {}s: read all the same", MAX_UNSETTLED.as_secs());
        }
        seen = latest;
        let span = tracing::info_span!("rules_reload", dir = %dir.display());
        reload(&dir, options, &pipeline, &in_force).instrument(span).await;
    }
}

/// Whether files seen changing are read now: when they stayed `unchanged` for [`SETTLE`], or
/// have not stopped changing for [`MAX_UNSETTLED`]. `unsettled_since` carries the start of a
/// stretch of changes from one look to the next.
fn settled(unchanged: bool, unsettled_since: &mut Option<std::time::Instant>, now: std::time::Instant) -> bool {
    if unchanged {
        *unsettled_since = None;
        return true;
    }
    let since = *unsettled_since.get_or_insert(now);
    if now.duration_since(since) >= MAX_UNSETTLED {
        *unsettled_since = None;
        return true;
    }
    false
}

async fn fingerprint(dir: &Path) -> u64 {
    let dir = dir.to_path_buf();
    tokio::task::spawn_blocking(move || duluan_rules::fingerprint(&dir)).await.unwrap_or_default()
}

/// Problems of one reload shown and logged: a file generated wrong can hold thousands.
const MAX_SHOWN: usize = 50;

/// The first [`MAX_SHOWN`] problems, and how many more there are.
fn shown(mut errors: Vec<String>) -> Vec<String> {
    if errors.len() > MAX_SHOWN {
        let more = errors.len() - MAX_SHOWN;
        errors.truncate(MAX_SHOWN);
        errors.push(format!("… and {more} more problems (`duluan rules check` lists them all)"));
    }
    errors
}

/// Loads the rules directory and puts it in force, or reports why it does not load.
async fn reload(dir: &Path, options: ClaimOptions, pipeline: &Pipeline, in_force: &RulesInForce) {
    let path = dir.to_path_buf();
    let loaded = tokio::task::spawn_blocking(move || duluan_rules::Engine::load_with(&path, &options)).await;
    let errors = match loaded {
        Ok(Ok(engine)) => {
            let catalog = RuleCatalog::new(engine.rules.rules());
            tracing::info!(rules = catalog.rules().len(), "rule files changed: reloaded, the new rules are in force");
            for warning in &engine.warnings {
                tracing::warn!(%warning, "reloaded rules with a warning");
            }
            pipeline.set_engine(engine);
            in_force.loaded(catalog);
            metrics::counter!("duluan_rules_reloads_total", "outcome" => "loaded").increment(1);
            return;
        }
        Ok(Err(errors)) => shown(errors.iter().map(ToString::to_string).collect()),
        Err(e) => vec![format!("loading the rules stopped: {e}")],
    };
    for error in &errors {
        tracing::warn!(%error, "rule files changed but do not load; the rules in force stay");
    }
    in_force.failed(ReloadFailure { at: Utc::now(), errors });
    metrics::counter!("duluan_rules_reloads_total", "outcome" => "failed").increment(1);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_that_never_stop_changing_are_read_after_a_while() {
        let start = std::time::Instant::now();
        let mut since = None;
        assert!(settled(true, &mut since, start), "a pause of SETTLE: read");
        // Changing at every look: held off, then read once MAX_UNSETTLED has passed.
        assert!(!settled(false, &mut since, start));
        assert!(!settled(false, &mut since, start + MAX_UNSETTLED / 2));
        assert!(settled(false, &mut since, start + MAX_UNSETTLED));
        assert_eq!(since, None, "the next stretch of changes starts afresh");
        assert!(!settled(false, &mut since, start + MAX_UNSETTLED + SETTLE));
        // A pause ends the stretch.
        assert!(settled(true, &mut since, start + MAX_UNSETTLED * 2));
        assert!(!settled(false, &mut since, start + MAX_UNSETTLED * 3));
    }

    #[test]
    fn a_thousand_problems_are_shown_as_fifty_and_a_count() {
        let errors = shown((0..1000).map(|n| format!("r.toml:{n}:1: bad")).collect());
        assert_eq!(errors.len(), MAX_SHOWN + 1);
        assert_eq!(errors[0], "r.toml:0:1: bad");
        assert!(errors[MAX_SHOWN].starts_with("… and 950 more problems"), "{errors:?}");
        assert_eq!(shown(vec!["one".into()]), ["one"]);
    }
}
