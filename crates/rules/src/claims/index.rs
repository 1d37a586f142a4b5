//! The inverted index from shingle hashes to claims, and matching an item against it.
//!
//! Each claim puts at most [`SAMPLE`] of its shingles in the index: the ones with the smallest
//! hashes, a uniform sample that is the same whichever text it is taken from (bottom-k). An item
//! probes the index with all its shingles, so a claim is looked at only when the item shares one of
//! its sampled shingles, and the share of the sample found estimates the claim's containment.
//! Claims whose estimate comes close to the threshold are verified on their full shingle set,
//! which also gives the spans. Memory and work per item therefore stay bounded as claims grow.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Datelike, Utc};
use duluan_model::{ClaimMatch, Field, Flag, Span};
use duluan_text::Analysis;

use super::shingle::{BuildPassThrough, claim_shingles, shingles};
use super::{Claim, ClaimOptions, RULE_PREFIX, TAG};
use crate::pack::Action;

/// Shingles per claim kept in the index.
const SAMPLE: usize = 48;
/// A sampled claim is verified when the share of its sample found in the item reaches this part of
/// the threshold: the sample's share is an estimate, and a close miss may still pass exactly.
const SAMPLE_SLACK: f32 = 0.6;
/// Most claim flags one item gets (the closest claims win): a story confirmed many times over must
/// not bury the item's other flags.
pub(crate) const MAX_FLAGS_PER_ITEM: usize = 10;
/// Most spans one claim flag records.
const MAX_SPANS: usize = 200;
/// Longest `term` a claim span carries, in bytes.
const MAX_TERM_BYTES: usize = 200;
/// A shingle found in more claims than this (`của thành phố`, `hồ chí minh`) tells them apart no
/// better than a stopword: it stays out of the index, so the work per item is bounded whatever the
/// claims have in common, except for claims that have no other shingle in it (one rumour confirmed
/// again and again): for up to this many of those, the ones whose window ends last. Verification
/// still counts it for every claim.
const MAX_POSTINGS: usize = 64;
/// Bits of the presence filter per indexed shingle.
const FILTER_BITS_PER_SHINGLE: usize = 8;

thread_local! {
    /// Per-claim counts of shared shingles, kept between items so no item pays for zeroing a
    /// buffer as long as the claim list; every count touched is reset before the next item.
    static HITS: std::cell::RefCell<Vec<u32>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// One claim as the index holds it.
#[derive(Debug)]
struct Entry {
    /// Shared with the list of stored claims, which can hold a hundred thousand of them.
    claim: Arc<Claim>,
    /// Day number (days from the common era) the claim was added.
    added_day: i32,
    /// How many days either side of `added_day` it is matched.
    max_age_days: i32,
    /// Number of shingles in the index for it.
    sampled: u32,
    /// Whether the index holds all its shingles (then the count from the index is exact).
    complete: bool,
}

/// Claims compiled for matching.
#[derive(Default)]
pub(crate) struct ClaimIndex {
    entries: Vec<Entry>,
    /// Shingle hash → range of `postings` holding the entries that sampled it.
    lookup: HashMap<u64, (u32, u32), BuildPassThrough>,
    postings: Vec<u32>,
    /// One bit per hash bucket, set for the indexed shingles: most of an item's shingles are in
    /// no claim, and this small bitmap (it stays in cache) turns them away before the map lookup,
    /// whose cache misses would otherwise grow with the number of claims.
    filter: Vec<u64>,
    options: ClaimOptions,
}

impl std::fmt::Debug for ClaimIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClaimIndex")
            .field("claims", &self.entries.len())
            .field("shingles", &self.lookup.len())
            .finish_non_exhaustive()
    }
}

/// The shingles of an item's two fields.
pub(crate) struct ItemShingles {
    title: Vec<u64>,
    text: Vec<u64>,
    /// Both fields' shingles, sorted, without repeats: made only when a claim is verified, as
    /// sorting every item's shingles would cost more than the look-ups.
    set: std::cell::OnceCell<Vec<u64>>,
}

impl ItemShingles {
    pub(crate) fn new(title: &Analysis, text: &Analysis, k: usize) -> ItemShingles {
        ItemShingles { title: shingles(title, k), text: shingles(text, k), set: std::cell::OnceCell::new() }
    }

    fn all(&self) -> impl Iterator<Item = u64> + '_ {
        self.title.iter().chain(&self.text).copied()
    }

    fn contains(&self, hash: u64) -> bool {
        let set = self.set.get_or_init(|| {
            let mut set: Vec<u64> = self.all().collect();
            set.sort_unstable();
            set.dedup();
            set
        });
        set.binary_search(&hash).is_ok()
    }
}

impl ClaimIndex {
    /// Index the enabled claims; claims without enough shingles to ever match are left out.
    pub(crate) fn build(claims: impl IntoIterator<Item = Arc<Claim>>, options: ClaimOptions) -> ClaimIndex {
        let mut entries = Vec::new();
        let mut pairs: Vec<(u64, u32)> = Vec::new();
        for claim in claims.into_iter().filter(|c| c.enabled) {
            let mut hashes: Vec<u64> = claim_shingles(&claim.text, &Analysis::new(&claim.text), options.shingle)
                .into_iter()
                .map(|(h, _)| h)
                .collect();
            if hashes.len() < options.min_shared {
                continue;
            }
            let Ok(id) = u32::try_from(entries.len()) else { break };
            hashes.sort_unstable();
            let complete = hashes.len() <= SAMPLE;
            hashes.truncate(SAMPLE);
            pairs.extend(hashes.iter().map(|&h| (h, id)));
            let max_age = claim.max_age_days.unwrap_or(options.max_age_days);
            entries.push(Entry {
                added_day: claim.added.num_days_from_ce(),
                max_age_days: i32::try_from(max_age).unwrap_or(i32::MAX),
                sampled: hashes.len() as u32,
                complete,
                claim,
            });
        }
        pairs.sort_unstable();
        let mut lookup = HashMap::with_capacity_and_hasher(pairs.len(), BuildPassThrough::default());
        let mut postings = Vec::with_capacity(pairs.len());
        // The over-shared shingles, as ranges of `pairs`, left out of the index at first.
        let mut over_shared = Vec::new();
        let mut from = 0;
        for group in pairs.chunk_by(|a, b| a.0 == b.0) {
            let range = from..from + group.len();
            from = range.end;
            if group.len() > MAX_POSTINGS {
                for &(_, id) in group {
                    let entry = &mut entries[id as usize];
                    entry.sampled -= 1;
                    entry.complete = false;
                }
                over_shared.push(range);
                continue;
            }
            let start = postings.len() as u32;
            postings.extend(group.iter().map(|&(_, id)| id));
            lookup.insert(group[0].0, (start, group.len() as u32));
        }
        // A claim left with no shingle in the index could never be found: its over-shared ones
        // are indexed for it after all, for those of such claims whose window ends last.
        let orphan: Vec<bool> = entries.iter().map(|e| e.sampled == 0).collect();
        let mut orphans = Vec::new();
        for range in over_shared {
            let group = &pairs[range];
            orphans.clear();
            orphans.extend(group.iter().map(|&(_, id)| id).filter(|&id| orphan[id as usize]));
            if orphans.is_empty() {
                continue;
            }
            let expiry = |id: &u32| {
                let e = &entries[*id as usize];
                std::cmp::Reverse(e.added_day.saturating_add(e.max_age_days))
            };
            orphans.sort_by_key(|id| (expiry(id), *id));
            orphans.truncate(MAX_POSTINGS);
            orphans.sort_unstable();
            let start = postings.len() as u32;
            postings.extend(&orphans);
            lookup.insert(group[0].0, (start, orphans.len() as u32));
            orphans.iter().for_each(|&id| entries[id as usize].sampled += 1);
        }
        lookup.shrink_to_fit();
        let filter = presence_filter(lookup.keys().copied(), lookup.len());
        ClaimIndex { entries, lookup, postings, filter, options }
    }

    /// Whether `hash` may be in the index (false positives, no false negatives).
    fn may_hold(&self, hash: u64) -> bool {
        let bits = self.filter.len() * 64;
        // `bits` is a power of two: the low bits of the hash pick the bit.
        let bit = (hash as usize) & (bits - 1);
        self.filter.get(bit / 64).is_some_and(|word| word & (1 << (bit % 64)) != 0)
    }

    /// Claims in the index.
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// The indexed claims.
    pub(crate) fn claims(&self) -> impl Iterator<Item = &Claim> {
        self.entries.iter().map(|e| e.claim.as_ref())
    }

    /// Flags for the claims an item repeats, closest first.
    pub(crate) fn matches(&self, title: &Analysis, text: &Analysis, at: DateTime<Utc>) -> Vec<Flag> {
        if self.entries.is_empty() {
            return Vec::new();
        }
        let item = ItemShingles::new(title, text, self.options.shingle);
        let day = at.with_timezone(&duluan_text::vietnam()).date_naive().num_days_from_ce();
        // Spans are found only for the claims that make the cut: finding them reads the whole
        // item, and an item repeating thousands of claims made that quadratic.
        let mut shared: Vec<Shared<'_>> = self
            .candidates(&item, day)
            .into_iter()
            .filter_map(|id| self.shared(&self.entries[id as usize], &item))
            .collect();
        // By the similarity as flags show it, then by id: the order flags came in before.
        shared.sort_by(|a, b| {
            rounded(b.similarity).total_cmp(&rounded(a.similarity)).then_with(|| a.claim.id.cmp(&b.claim.id))
        });
        shared.truncate(MAX_FLAGS_PER_ITEM);
        shared.into_iter().map(|s| self.flag_with_spans(s, title, text, &item)).collect()
    }

    /// Claims in their time window whose sampled shingles the item shares enough of, in index order.
    fn candidates(&self, item: &ItemShingles, day: i32) -> Vec<u32> {
        HITS.with_borrow_mut(|hits| {
            if hits.len() < self.entries.len() {
                hits.resize(self.entries.len(), 0);
            }
            // The item's shingles that are in the index, each once (a repeated phrase counts once).
            let mut present: Vec<(u32, u32)> =
                item.all().filter(|&h| self.may_hold(h)).filter_map(|h| self.lookup.get(&h).copied()).collect();
            present.sort_unstable();
            present.dedup();
            let mut touched = Vec::new();
            for (start, len) in present {
                for &id in self.postings.get(start as usize..(start + len) as usize).unwrap_or(&[]) {
                    let Some(count) = hits.get_mut(id as usize) else { continue };
                    if *count == 0 {
                        touched.push(id);
                    }
                    *count += 1;
                }
            }
            let mut out: Vec<u32> = touched
                .into_iter()
                .filter(|&id| {
                    // Read and reset: the counts are zero again for the next item.
                    let found = hits.get_mut(id as usize).map_or(0, std::mem::take);
                    let entry = &self.entries[id as usize];
                    (day - entry.added_day).abs() <= entry.max_age_days && self.worth_verifying(entry, found)
                })
                .collect();
            out.sort_unstable();
            out
        })
    }

    fn worth_verifying(&self, entry: &Entry, found: u32) -> bool {
        // `found` counts only the indexed shingles, so its share is taken of those.
        let share = found as f32 / entry.sampled.max(1) as f32;
        if entry.complete {
            found as usize >= self.options.min_shared && share >= self.options.threshold
        } else {
            share >= self.options.threshold * SAMPLE_SLACK
        }
    }

    /// How much of one claim the item holds, if enough.
    fn shared<'e>(&self, entry: &'e Entry, item: &ItemShingles) -> Option<Shared<'e>> {
        let claim = &entry.claim;
        let analysis = Analysis::new(&claim.text);
        let own = claim_shingles(&claim.text, &analysis, self.options.shingle);
        let shared = own.iter().filter(|(h, _)| item.contains(*h)).count();
        // Decided in the threshold's own precision, so a share equal to it passes here as in the
        // index's estimate.
        if shared < self.options.min_shared || (shared as f32 / own.len().max(1) as f32) < self.options.threshold {
            return None;
        }
        let similarity = shared as f64 / own.len().max(1) as f64;
        Some(Shared { claim, shared, similarity })
    }

    /// The flag of a claim the item holds enough of, with where. The claim is analysed again:
    /// keeping every candidate's analysis until the ten are chosen held thousands of them.
    fn flag_with_spans(&self, found: Shared<'_>, title: &Analysis, text: &Analysis, item: &ItemShingles) -> Flag {
        let Shared { claim, shared, similarity } = found;
        let analysis = Analysis::new(&claim.text);
        let own = claim_shingles(&claim.text, &analysis, self.options.shingle);
        let places = claim_places(&analysis, &own, self.options.shingle);
        let mut spans = Vec::new();
        for (field, analysis_of_field, hashes) in [(Field::Title, title, &item.title), (Field::Text, text, &item.text)]
        {
            for run in runs(hashes, &places, self.options.shingle) {
                let (start, end) = analysis_of_field.original_range(run.first, run.last);
                let (from, to) = analysis.original_range(run.claim_first, run.claim_last);
                let term = clip(claim.text.get(from..to).unwrap_or(""), MAX_TERM_BYTES).to_string();
                spans.push(Span { field, start, end, term: term.into() });
            }
        }
        spans.truncate(MAX_SPANS);
        flag(claim, similarity, shared, spans)
    }
}

/// A claim the item holds enough of.
struct Shared<'e> {
    claim: &'e Claim,
    shared: usize,
    similarity: f64,
}

/// A bitmap of `FILTER_BITS_PER_SHINGLE` bits per key (rounded up to a power of two, at least 64).
fn presence_filter(keys: impl Iterator<Item = u64>, count: usize) -> Vec<u64> {
    let bits = (count * FILTER_BITS_PER_SHINGLE).next_power_of_two().max(64);
    let mut filter = vec![0u64; bits / 64];
    for hash in keys {
        let bit = (hash as usize) & (bits - 1);
        filter[bit / 64] |= 1 << (bit % 64);
    }
    filter
}

/// Three decimals: enough to rank, and stable in JSON.
fn rounded(similarity: f64) -> f64 {
    (similarity * 1000.0).round() / 1000.0
}

fn flag(claim: &Claim, similarity: f64, shared: usize, spans: Vec<Span>) -> Flag {
    let mut tags = claim.tags.clone();
    if !tags.iter().any(|t| t == TAG) {
        tags.push(TAG.to_string());
    }
    Flag {
        rule: format!("{RULE_PREFIX}{}", claim.id).into(),
        severity: claim.severity,
        alert: claim.action == Action::Alert,
        route: claim.route.clone(),
        tags,
        spans,
        claim: Some(ClaimMatch {
            id: claim.id.clone(),
            similarity: rounded(similarity),
            verdict: claim.verdict.as_str().to_string(),
            shared: u32::try_from(shared).unwrap_or(u32::MAX),
            reference: claim.reference.clone(),
            story: claim.story.clone(),
        }),
    }
}

/// A stretch of item tokens covered by matched shingles, and the claim tokens they came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Run {
    first: usize,
    last: usize,
    claim_first: usize,
    claim_last: usize,
}

/// Where in the claim each of its counted shingles occurs (a phrase may occur more than once, e.g.
/// in a title and again in the text).
fn claim_places(analysis: &Analysis, own: &[(u64, u32)], k: usize) -> HashMap<u64, Vec<usize>, BuildPassThrough> {
    let mut places: HashMap<u64, Vec<usize>, BuildPassThrough> = own.iter().map(|&(h, _)| (h, Vec::new())).collect();
    for (i, hash) in shingles(analysis, k).into_iter().enumerate() {
        if let Some(list) = places.get_mut(&hash) {
            list.push(i);
        }
    }
    places
}

/// Merge the item's matched shingles (`hashes[i]` covers tokens `i..i + k`) into runs of
/// consecutive tokens. Within a run, a phrase that occurs several times in the claim is placed
/// where it continues the previous one, or at the start of a run where the next one continues
/// it, so the run's claim range is the passage it repeats.
fn runs(hashes: &[u64], places: &HashMap<u64, Vec<usize>, BuildPassThrough>, k: usize) -> Vec<Run> {
    let mut out: Vec<Run> = Vec::new();
    // The previous matched shingle of the current run: its item index and claim place.
    let mut previous: Option<(usize, usize)> = None;
    for (i, hash) in hashes.iter().enumerate() {
        let Some(candidates) = places.get(hash) else { continue };
        let adjoins = out.last().is_some_and(|run| i <= run.last + 1);
        let expected = previous.filter(|_| adjoins).map(|(j, p)| p + (i - j));
        // Next to the run in the item, but from another passage of the claim (two parts of it
        // pasted side by side): a run of its own, or the run's claim range would take in the
        // words between the passages, which the item never repeats. A word or two added or
        // dropped still continues it.
        let near = expected
            .and_then(|e| candidates.iter().copied().min_by_key(|p| p.abs_diff(e)).filter(|p| p.abs_diff(e) < k));
        let continues = near.is_some();
        let chosen = near.or_else(|| anchor(candidates, hashes, i, places, k));
        let Some(at) = chosen else { continue };
        previous = Some((i, at));
        // The item's words the run already covers stay with it.
        let first = out.last().filter(|_| adjoins && !continues).map_or(i, |run| i.max(run.last + 1));
        let next = Run { first, last: i + k - 1, claim_first: at + (first - i), claim_last: at + k - 1 };
        match out.last_mut() {
            Some(run) if continues => {
                run.last = next.last;
                run.claim_first = run.claim_first.min(next.claim_first);
                run.claim_last = run.claim_last.max(next.claim_last);
            }
            _ => out.push(next),
        }
    }
    out
}

/// Where in the claim the shingle starting a run at `i` (with claim places `candidates`) belongs,
/// if it has several (`học sinh nghỉ học` in a title and again in the text): the place that most
/// of the run's following shingles continue, else the one nearest to where the next one is, the
/// first one on a tie. A phrase longer than a shingle repeats several shingles, so one look
/// ahead is not enough.
fn anchor(
    candidates: &[usize],
    hashes: &[u64],
    i: usize,
    places: &HashMap<u64, Vec<usize>, BuildPassThrough>,
    k: usize,
) -> Option<usize> {
    if candidates.len() < 2 {
        return candidates.first().copied();
    }
    // The run's following matched shingles: each overlaps or touches the one before.
    let mut following = Vec::new();
    let mut last = i;
    for (j, hash) in hashes.iter().enumerate().skip(i + 1) {
        if j > last + k {
            break;
        }
        if let Some(list) = places.get(hash) {
            following.push((j, list));
            last = j;
        }
    }
    let agreeing = |p: usize| following.iter().filter(|(j, list)| list.contains(&(p + (j - i)))).count();
    // Where none continues it exactly (the item differs for a word or two), the nearest.
    let nearest = |p: usize| {
        following.first().map_or(0, |(j, list)| list.iter().map(|&q| (p + (j - i)).abs_diff(q)).min().unwrap_or(0))
    };
    // `max_by_key` keeps the last of equals: reversed, the first candidate wins a tie.
    candidates.iter().rev().copied().max_by_key(|&p| (agreeing(p), std::cmp::Reverse(nearest(p))))
}

/// `s` cut to at most `max` bytes, at a space when there is one (else at a char boundary).
fn clip(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    let cut = s[..end].rfind(char::is_whitespace).unwrap_or(end);
    s[..cut].trim_end()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_merge_overlapping_and_adjacent_shingles() {
        let places: HashMap<u64, Vec<usize>, BuildPassThrough> =
            [(10, vec![0]), (11, vec![1]), (13, vec![5])].into_iter().collect();
        // Shingles 0 and 1 overlap; 4 is adjacent to the run ending at token 3; 7 starts anew.
        let hashes = [10, 11, 99, 99, 13, 99, 99, 99, 10];
        let got = runs(&hashes, &places, 3);
        assert_eq!(
            got,
            [
                Run { first: 0, last: 6, claim_first: 0, claim_last: 7 },
                Run { first: 8, last: 10, claim_first: 0, claim_last: 2 },
            ]
        );
    }

    #[test]
    fn a_phrase_repeated_in_the_claim_is_placed_where_it_continues_the_run() {
        // Claim phrase 20 occurs at 0 (a title) and at 9 (the text); the run 8, 9 → 20 belongs at 9.
        let places: HashMap<u64, Vec<usize>, BuildPassThrough> =
            [(19, vec![8]), (20, vec![0, 9]), (21, vec![10])].into_iter().collect();
        let got = runs(&[19, 20, 21], &places, 3);
        assert_eq!(got, [Run { first: 0, last: 4, claim_first: 8, claim_last: 12 }]);
        // Alone, it takes its first place.
        assert_eq!(runs(&[20], &places, 3), [Run { first: 0, last: 2, claim_first: 0, claim_last: 2 }]);
        // Starting a run, it takes the place where the run goes on: 9, before 21 at 10 (it took 0,
        // and the run's passage was the claim from its title on).
        let got = runs(&[20, 21], &places, 3);
        assert_eq!(got, [Run { first: 0, last: 3, claim_first: 9, claim_last: 12 }]);
        // Also when the run goes on after a gap of less than a shingle (`21` touching it).
        let got = runs(&[20, 99, 99, 21], &places, 3);
        assert_eq!(got, [Run { first: 0, last: 5, claim_first: 9, claim_last: 12 }]);
        // A phrase repeated whole (two shingles, 20 and 21 at 0, 1 and at 9, 10) then going on as
        // the text does (22 at 11): the run follows the text, however far the repeat goes.
        let places: HashMap<u64, Vec<usize>, BuildPassThrough> =
            [(20, vec![0, 9]), (21, vec![1, 10]), (22, vec![11])].into_iter().collect();
        let got = runs(&[20, 21, 22], &places, 3);
        assert_eq!(got, [Run { first: 0, last: 4, claim_first: 9, claim_last: 13 }]);
        // The title alone: its first place.
        assert_eq!(runs(&[20, 21], &places, 3), [Run { first: 0, last: 3, claim_first: 0, claim_last: 3 }]);
    }

    #[test]
    fn clip_respects_char_boundaries_and_words() {
        assert_eq!(clip("tiếng Việt", 3), "ti");
        assert_eq!(clip("tiếng Việt", 9), "tiếng");
        assert_eq!(clip("abc", 10), "abc");
    }
}
