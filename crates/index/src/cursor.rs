//! Stable page cursors. A cursor names the index snapshot (searcher generation) its first page was
//! read from, so later pages come from the same snapshot even while the crawler keeps indexing:
//! no hit is shown twice or skipped because new items pushed the list down. Snapshots are kept for
//! [`PIN_TTL`] after their last use (at most [`MAX_PINS`]); a cursor whose snapshot has gone
//! reads the current index at the same position.

use std::hash::{Hash, Hasher};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use tantivy::{IndexReader, Searcher};

use crate::{Error, Query, Result};

/// How long an unused snapshot is kept.
const PIN_TTL: Duration = Duration::from_secs(15 * 60);
/// Most snapshots kept at once (each holds its segment files open).
const MAX_PINS: usize = 16;

#[derive(Default)]
pub(crate) struct Pins {
    pinned: Mutex<Vec<(Searcher, Instant)>>,
}

impl Pins {
    /// A cursor for the page starting at `offset` of `q` in `searcher`'s snapshot.
    pub(crate) fn cursor(&self, searcher: &Searcher, offset: usize, q: &Query) -> String {
        let generation = searcher.generation().generation_id();
        let mut pinned = self.pinned.lock().unwrap_or_else(|e| e.into_inner());
        pinned.retain(|(_, used)| used.elapsed() < PIN_TTL);
        match pinned.iter_mut().find(|(s, _)| s.generation().generation_id() == generation) {
            Some(pin) => pin.1 = Instant::now(),
            None => {
                if pinned.len() >= MAX_PINS
                    && let Some(oldest) = pinned.iter().enumerate().min_by_key(|(_, (_, used))| *used).map(|(i, _)| i)
                {
                    pinned.swap_remove(oldest);
                }
                pinned.push((searcher.clone(), Instant::now()));
            }
        }
        format!("{generation}-{offset}-{:016x}", fingerprint(q))
    }

    /// The snapshot and offset a cursor points at.
    pub(crate) fn resume(&self, cursor: &str, q: &Query, reader: &IndexReader) -> Result<(Searcher, usize)> {
        let invalid =
            || Error::Query { offset: None, message: "invalid cursor; start again from the first page".into() };
        let mut parts = cursor.splitn(3, '-');
        let generation: u64 = parts.next().and_then(|p| p.parse().ok()).ok_or_else(invalid)?;
        let offset: usize = parts.next().and_then(|p| p.parse().ok()).ok_or_else(invalid)?;
        let print = parts.next().and_then(|p| u64::from_str_radix(p, 16).ok()).ok_or_else(invalid)?;
        if print != fingerprint(q) {
            return Err(Error::Query {
                offset: None,
                message: "this cursor belongs to another search; start again from the first page".into(),
            });
        }
        let mut pinned = self.pinned.lock().unwrap_or_else(|e| e.into_inner());
        let searcher = match pinned.iter_mut().find(|(s, _)| s.generation().generation_id() == generation) {
            Some(pin) => {
                pin.1 = Instant::now();
                pin.0.clone()
            }
            None => reader.searcher(),
        };
        Ok((searcher, offset))
    }
}

/// What makes two requests the same search (everything but the page).
fn fingerprint(q: &Query) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    q.text.trim().hash(&mut h);
    (&q.sources, &q.langs, &q.rules, &q.tags, &q.regions, &q.sentiment).hash(&mut h);
    (q.from.map(|t| t.timestamp_millis()), q.to.map(|t| t.timestamp_millis())).hash(&mut h);
    (q.sort as u8, q.collapse, q.limit).hash(&mut h);
    h.finish()
}
