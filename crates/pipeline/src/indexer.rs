//! The index follows the store: it tails the outbox, upserts documents and commits with the
//! outbox sequence number it covers; only then are outbox entries pruned. A crash anywhere loses
//! nothing: on restart the tail resumes from the last committed sequence, and upserts make
//! replays harmless.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use duluan_index::{IndexWriterHandle, OpenState, SearchIndex};
use duluan_store::Store;
use tokio::sync::{Notify, watch};

use crate::{Error, Result};

/// Items read from the outbox per step.
const BATCH: i64 = 500;

/// Shared progress of the indexer.
#[derive(Debug, Default)]
pub struct IndexerProgress {
    /// Outbox sequence number of the last index commit.
    pub committed_seq: AtomicI64,
    /// Documents committed since start.
    pub indexed: AtomicU64,
    /// Whether indexing is paused by an error (a full disk, say) and being retried.
    pub failing: AtomicBool,
}

/// Longest wait between attempts while indexing fails.
const MAX_RETRY_WAIT: Duration = Duration::from_secs(30);

/// A running indexer.
#[derive(Debug)]
pub struct Indexer {
    wake: Arc<Notify>,
    progress: Arc<IndexerProgress>,
    committed: watch::Receiver<i64>,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<Result<()>>,
}

/// Commit policy.
#[derive(Debug, Clone, Copy)]
pub struct CommitPolicy {
    /// Commit after this many documents...
    pub every_items: usize,
    /// ...or after this long.
    pub every: Duration,
}

impl Indexer {
    /// Rebuild the index from the store if it is new or was reset, then start tailing.
    pub async fn start(
        store: Arc<dyn Store>,
        index: SearchIndex,
        state: &OpenState,
        writer: duluan_index::WriterOptions,
        policy: CommitPolicy,
        progress_bar: impl Fn(u64, u64) + Send + 'static,
    ) -> Result<Indexer> {
        let mut writer = index.writer_with(writer)?;
        if !matches!(state, OpenState::Existing) {
            writer = rebuild(store.as_ref(), writer, progress_bar).await?;
        }
        let start_seq = index.committed_seq()?;
        let progress = Arc::new(IndexerProgress::default());
        progress.committed_seq.store(start_seq, Ordering::SeqCst);
        let wake = Arc::new(Notify::new());
        let (committed_tx, committed) = watch::channel(start_seq);
        let (stop, stop_rx) = watch::channel(false);
        let task =
            tokio::spawn(tail(store, writer, policy, wake.clone(), progress.clone(), committed_tx, stop_rx, start_seq));
        Ok(Indexer { wake, progress, committed, stop, task })
    }

    /// Tell the indexer new items were committed to the store.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// A handle the store stage uses to wake the indexer.
    pub fn waker(&self) -> Arc<Notify> {
        self.wake.clone()
    }

    /// Progress counters.
    pub fn progress(&self) -> Arc<IndexerProgress> {
        self.progress.clone()
    }

    /// Wait until the index has committed everything up to outbox sequence `seq`.
    pub async fn wait_for(&self, seq: i64) -> Result<()> {
        let mut rx = self.committed.clone();
        self.wake.notify_one();
        while *rx.borrow_and_update() < seq {
            if self.task.is_finished() {
                return Err(Error::Stopped("indexer stopped before catching up".into()));
            }
            if tokio::time::timeout(Duration::from_millis(200), rx.changed()).await.is_ok_and(|r| r.is_err()) {
                return Err(Error::Stopped("indexer stopped before catching up".into()));
            }
            self.wake.notify_one();
        }
        Ok(())
    }

    /// Commit what is pending and stop.
    pub async fn shutdown(self) -> Result<()> {
        let _ = self.stop.send(true);
        self.wake.notify_one();
        match self.task.await {
            Ok(r) => r,
            Err(e) => Err(Error::Stopped(format!("indexer task failed: {e}"))),
        }
    }
}

async fn rebuild(
    store: &dyn Store,
    writer: IndexWriterHandle,
    progress_bar: impl Fn(u64, u64),
) -> Result<IndexWriterHandle> {
    let total = store.counts().await?.items.max(0) as u64;
    // The head is read before the scan: items committed during it are replayed by the tail.
    let head = store.outbox_head().await?;
    if total == 0 {
        let mut writer = writer;
        writer = blocking(move || {
            writer.commit(head)?;
            Ok(writer)
        })
        .await?;
        return Ok(writer);
    }
    tracing::info!(items = total, "rebuilding the search index from the store");
    let mut writer = blocking(move || {
        let mut w = writer;
        w.clear()?;
        Ok(w)
    })
    .await?;
    let mut after = String::new();
    let mut done = 0u64;
    loop {
        let page = store.items_page(&after, 1000).await?;
        let Some(last) = page.last() else { break };
        after = last.id.clone();
        done += page.len() as u64;
        writer = blocking(move || {
            for item in &page {
                writer.upsert(item)?;
            }
            Ok(writer)
        })
        .await?;
        progress_bar(done, total);
    }
    let writer = blocking(move || {
        let mut w = writer;
        w.commit(head)?;
        Ok(w)
    })
    .await?;
    store.outbox_prune(head).await?;
    tracing::info!(items = done, "search index rebuilt");
    Ok(writer)
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f).await.map_err(|e| Error::Stopped(format!("index task panicked: {e}")))?
}

/// Read the outbox, upsert, and commit at most once per `policy.every` (or per
/// `policy.every_items` documents) so bursts are batched and a quiet pipeline is searchable within
/// `policy.every`.
#[allow(clippy::too_many_arguments)]
async fn tail(
    store: Arc<dyn Store>,
    mut writer: IndexWriterHandle,
    policy: CommitPolicy,
    wake: Arc<Notify>,
    progress: Arc<IndexerProgress>,
    committed: watch::Sender<i64>,
    mut stop: watch::Receiver<bool>,
    mut seq: i64,
) -> Result<()> {
    let mut committed_seq = seq;
    let mut pending = 0u64;
    let mut last_commit = Instant::now() - policy.every;
    let mut handle_gone = false;
    let mut retry_wait = Duration::from_millis(250);
    loop {
        let stopping = *stop.borrow() || handle_gone;
        let step = step(&store, writer, &mut seq, &mut pending, committed_seq, stopping, &policy, last_commit).await;
        let drained = match step {
            Ok(Stepped { writer: w, drained, committed: commit }) => {
                writer = w;
                // Healthy again once a commit went through (or nothing waits for one); said before
                // the commit is announced, so whoever waits on it sees indexing healthy.
                let healthy = commit.is_some() || seq == committed_seq;
                if healthy && progress.failing.swap(false, Ordering::SeqCst) {
                    tracing::info!(seq = committed_seq, "indexing resumed");
                }
                if let Some(target) = commit {
                    committed_seq = target;
                    progress.committed_seq.store(target, Ordering::SeqCst);
                    progress.indexed.fetch_add(pending, Ordering::SeqCst);
                    metrics::counter!("duluan_items_indexed_total").increment(pending);
                    let _ = committed.send(target);
                    tracing::debug!(seq = target, documents = pending, "index committed");
                    pending = 0;
                    last_commit = Instant::now();
                }
                retry_wait = Duration::from_millis(250);
                drained
            }
            Err(StepError::Fatal(e)) => return Err(e),
            Err(StepError::Retry(w, e)) => {
                // Pause, not stop: the store still holds every item, so after the cause (a full
                // disk, say) goes away the same items are indexed again from the last commit.
                writer = *w;
                progress.failing.store(true, Ordering::SeqCst);
                metrics::counter!("duluan_index_errors_total").increment(1);
                tracing::error!(error = %e, retry_in = ?retry_wait, "indexing failed; paused, will retry");
                seq = committed_seq;
                pending = 0;
                if stopping {
                    return Err(e);
                }
                tokio::select! {
                    _ = tokio::time::sleep(retry_wait) => {}
                    changed = stop.changed() => handle_gone = changed.is_err(),
                }
                retry_wait = (retry_wait * 2).min(MAX_RETRY_WAIT);
                continue;
            }
        };
        if stopping && drained {
            return blocking(move || writer.finish().map_err(Error::from)).await;
        }
        if !drained {
            continue;
        }
        let wait = if seq > committed_seq { policy.every.saturating_sub(last_commit.elapsed()) } else { policy.every };
        tokio::select! {
            _ = wake.notified(), if seq == committed_seq => {}
            _ = tokio::time::sleep(wait.max(Duration::from_millis(5))) => {}
            changed = stop.changed() => handle_gone = changed.is_err(),
        }
    }
}

/// What one step of the tail did.
struct Stepped {
    writer: IndexWriterHandle,
    drained: bool,
    committed: Option<i64>,
}

/// Why a step failed: most failures leave the writer usable (rolled back to its last commit);
/// a panic in the blocking task loses it.
enum StepError {
    Retry(Box<IndexWriterHandle>, Error),
    Fatal(Error),
}

/// One step of the tail: read the next outbox batch, upsert it, and commit when due.
#[allow(clippy::too_many_arguments)]
async fn step(
    store: &Arc<dyn Store>,
    writer: IndexWriterHandle,
    seq: &mut i64,
    pending: &mut u64,
    committed_seq: i64,
    stopping: bool,
    policy: &CommitPolicy,
    last_commit: Instant,
) -> std::result::Result<Stepped, StepError> {
    let batch = match store.outbox_after(*seq, BATCH).await {
        Ok(b) => b,
        Err(e) => return Err(StepError::Retry(Box::new(writer), e.into())),
    };
    let drained = (batch.len() as i64) < BATCH;
    if let Some((last, _)) = batch.last() {
        *seq = *last;
        *pending += batch.len() as u64;
    }
    let due = *pending as usize >= policy.every_items || last_commit.elapsed() >= policy.every || stopping;
    let target = (*seq > committed_seq && due).then_some(*seq);
    let joined = tokio::task::spawn_blocking(move || {
        let mut writer = writer;
        let result = batch.iter().try_for_each(|(_, item)| writer.upsert(item)).and_then(|()| match target {
            Some(t) => writer.commit(t),
            None => Ok(()),
        });
        if result.is_err() {
            // Back to the last commit; a failed rollback shows up again on the next try.
            let _ = writer.rollback();
        }
        (writer, result)
    })
    .await;
    let writer = match joined {
        Ok((writer, Ok(()))) => writer,
        Ok((writer, Err(e))) => return Err(StepError::Retry(Box::new(writer), e.into())),
        Err(e) => return Err(StepError::Fatal(Error::Stopped(format!("index task panicked: {e}")))),
    };
    if let Some(t) = target
        && let Err(e) = store.outbox_prune(t).await
    {
        // The commit stands; pruning is cleanup, done again with the next commit.
        tracing::warn!(error = %e, "outbox prune failed");
    }
    Ok(Stepped { writer, drained, committed: target })
}
