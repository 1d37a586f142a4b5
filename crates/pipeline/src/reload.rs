//! Rules reloaded while the process runs. Every `[rules] reload_secs` the rules directory's
//! files are looked at (size and modification time: see [`duluan_rules::fingerprint`]); when
//! they changed and have stopped changing, they are loaded and compiled off the async workers
//! and put in force for the next item. Files that do not load leave the rules in force as they
//! were: the problems go to the log, to the rules page and `GET /api/rules/stats`, and are
//! counted in `duluan_rules_reloads_total{outcome="failed"}`.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

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
/// again once its writes settle (or after the next such stretch).
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
    let mut files = Settling::new(loaded);
    loop {
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = stop.changed() => return,
        }
        let now = fingerprint(&dir).await;
        if !files.changed(now) {
            continue;
        }
        tokio::select! {
            _ = tokio::time::sleep(SETTLE) => {}
            _ = stop.changed() => return,
        }
        let latest = fingerprint(&dir).await;
        match files.settled(now, latest, Instant::now()) {
            Settled::No => continue,
            Settled::Forced => tracing::warn!(
                dir = %dir.display(),
                "rule files have kept changing for {}s: read all the same",
                MAX_UNSETTLED.as_secs()
            ),
            Settled::Yes => {}
        }
        let span = tracing::info_span!("rules_reload", dir = %dir.display());
        reload(&dir, options, &pipeline, &in_force).instrument(span).await;
    }
}

/// What the watcher knows of the rule files between looks.
struct Settling {
    /// The fingerprint of the files last read.
    seen: u64,
    /// Since when the files have been seen changing without a pause of [`SETTLE`].
    unsettled_since: Option<Instant>,
}

/// Whether files seen changing are read now.
#[derive(Debug, PartialEq)]
enum Settled {
    /// They stayed unchanged for [`SETTLE`].
    Yes,
    /// They have not stopped changing for [`MAX_UNSETTLED`].
    Forced,
    /// Still being written: looked at again next time.
    No,
}

impl Settling {
    fn new(loaded: u64) -> Settling {
        Settling { seen: loaded, unsettled_since: None }
    }

    /// Whether the files' fingerprint `now` differs from the files last read. When it does not
    /// (a temporary file come and gone), a stretch of changes ends: else a later save caught half
    /// way would be read at once, as if it had never settled.
    fn changed(&mut self, now: u64) -> bool {
        if now == self.seen {
            self.unsettled_since = None;
        }
        now != self.seen
    }

    /// Whether files that changed to `before` and, [`SETTLE`] later, read `latest` are read now
    /// (at `at`); if so, `latest` is taken as read.
    fn settled(&mut self, before: u64, latest: u64, at: Instant) -> Settled {
        let answer = if before == latest {
            Settled::Yes
        } else if at.duration_since(*self.unsettled_since.get_or_insert(at)) >= MAX_UNSETTLED {
            Settled::Forced
        } else {
            return Settled::No;
        };
        self.unsettled_since = None;
        self.seen = latest;
        answer
    }
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
        let t = Instant::now();
        let mut files = Settling::new(1);
        assert!(!files.changed(1));
        // A save that settles is read at once.
        assert!(files.changed(2));
        assert_eq!(files.settled(2, 2, t), Settled::Yes);
        assert!(!files.changed(2), "read: no change any more");
        // Changing at every look: held off, then read once MAX_UNSETTLED has passed.
        assert_eq!(files.settled(3, 4, t), Settled::No);
        assert_eq!(files.settled(5, 6, t + MAX_UNSETTLED / 2), Settled::No);
        assert_eq!(files.settled(7, 8, t + MAX_UNSETTLED), Settled::Forced);
        assert!(!files.changed(8), "the files as last read");
        // The next stretch of changes starts afresh.
        assert_eq!(files.settled(9, 10, t + MAX_UNSETTLED + SETTLE), Settled::No);
        assert_eq!(files.settled(10, 10, t + MAX_UNSETTLED * 2), Settled::Yes);
    }

    #[test]
    fn a_change_that_comes_and_goes_ends_a_stretch_of_changes() {
        let t = Instant::now();
        let mut files = Settling::new(1);
        // A temporary file, gone again by the next look.
        assert!(files.changed(2));
        assert_eq!(files.settled(2, 1, t), Settled::No);
        assert!(!files.changed(1));
        // A minute later a save is caught half way: it waits to settle, it is not forced.
        assert!(files.changed(3));
        assert_eq!(files.settled(3, 4, t + MAX_UNSETTLED * 2), Settled::No);
        assert_eq!(files.settled(4, 4, t + MAX_UNSETTLED * 2 + SETTLE), Settled::Yes);
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
