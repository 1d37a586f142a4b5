//! Which segments the writer merges: tantivy's log levels, with the size of a merge capped.
//!
//! A merge reads every input segment through memory-mapped files, so with an uncapped log policy
//! the resident size of the largest merge grows with the index (a 200,000-page crawl peaked with
//! 150 MB of mapped index pages during one merge), and so does the heap the merge needs. Capping
//! the documents one merge may produce bounds both, as Lucene's `TieredMergePolicy` does with its
//! largest merged segment. The price is more segments in a large index, each searched in turn.

use std::collections::HashMap;

use tantivy::index::{SegmentId, SegmentMeta};
use tantivy::merge_policy::{LogMergePolicy, MergeCandidate, MergePolicy};

/// Documents one merge may produce when the configuration does not say.
pub(crate) const DEFAULT_MAX_SEGMENT_DOCS: u32 = 100_000;

/// Share of deleted documents (items updated since they were indexed) past which a segment too
/// big to merge with others is rewritten on its own.
const EXPUNGE_RATIO: f32 = 0.3;

/// Log-level merges, none producing more than `max_docs` documents.
#[derive(Debug, Clone)]
pub(crate) struct CappedMergePolicy {
    levels: LogMergePolicy,
    max_docs: u32,
}

impl CappedMergePolicy {
    /// Merges produce at most `max_docs` documents (at least 2).
    pub(crate) fn new(max_docs: u32) -> CappedMergePolicy {
        let max_docs = max_docs.max(2);
        let mut levels = LogMergePolicy::default();
        // Past half the cap a segment is full: any merge with a segment of its level would pass it.
        levels.set_max_docs_before_merge((max_docs / 2) as usize);
        CappedMergePolicy { levels, max_docs }
    }

    /// The smallest segments of a level's candidate, as many as fit under the cap; `None` when
    /// fewer than two do.
    fn fit(&self, candidate: MergeCandidate, metas: &HashMap<SegmentId, &SegmentMeta>) -> Option<MergeCandidate> {
        let mut segments: Vec<&SegmentMeta> = candidate.0.iter().filter_map(|id| metas.get(id).copied()).collect();
        segments.sort_by_key(|s| s.num_docs());
        let mut total = 0u64;
        let kept: Vec<SegmentId> = segments
            .iter()
            .take_while(|s| {
                total += u64::from(s.num_docs());
                total <= u64::from(self.max_docs)
            })
            .map(|s| s.id())
            .collect();
        (kept.len() >= 2).then_some(MergeCandidate(kept))
    }

    fn is_full(&self, segment: &SegmentMeta) -> bool {
        segment.num_docs() > self.max_docs / 2
    }
}

fn deleted_ratio(segment: &SegmentMeta) -> f32 {
    match segment.max_doc() {
        0 => 0.0,
        max => segment.num_deleted_docs() as f32 / max as f32,
    }
}

impl MergePolicy for CappedMergePolicy {
    fn compute_merge_candidates(&self, segments: &[SegmentMeta]) -> Vec<MergeCandidate> {
        let metas: HashMap<SegmentId, &SegmentMeta> = segments.iter().map(|s| (s.id(), s)).collect();
        let mut candidates: Vec<MergeCandidate> =
            self.levels.compute_merge_candidates(segments).into_iter().filter_map(|c| self.fit(c, &metas)).collect();
        candidates.extend(
            segments
                .iter()
                .filter(|s| self.is_full(s) && deleted_ratio(s) > EXPUNGE_RATIO)
                .map(|s| MergeCandidate(vec![s.id()])),
        );
        candidates
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use tantivy::Index;
    use tantivy::schema::Schema;

    fn segments(sizes: &[u32]) -> Vec<SegmentMeta> {
        let index = Index::create_in_ram(Schema::builder().build());
        sizes.iter().map(|&n| index.new_segment_meta(SegmentId::generate_random(), n)).collect()
    }

    fn docs(candidate: &MergeCandidate, segments: &[SegmentMeta]) -> Vec<u32> {
        let mut out: Vec<u32> =
            candidate.0.iter().filter_map(|id| segments.iter().find(|s| s.id() == *id)).map(|s| s.num_docs()).collect();
        out.sort_unstable();
        out
    }

    #[test]
    fn small_segments_of_one_level_merge_together() {
        let segs = segments(&[1_000; 8]);
        let candidates = CappedMergePolicy::new(100_000).compute_merge_candidates(&segs);
        assert_eq!(candidates.len(), 1);
        assert_eq!(docs(&candidates[0], &segs), [1_000; 8]);
    }

    #[test]
    fn a_level_too_big_for_the_cap_merges_only_what_fits() {
        let segs = segments(&[40_000, 41_000, 39_000, 40_500, 40_000, 42_000, 40_000, 39_500]);
        let candidates = CappedMergePolicy::new(100_000).compute_merge_candidates(&segs);
        assert_eq!(candidates.len(), 1);
        assert_eq!(docs(&candidates[0], &segs), [39_000, 39_500]);
    }

    #[test]
    fn full_segments_are_left_alone_unless_mostly_deleted() {
        let mut segs = segments(&[90_000; 9]);
        assert!(CappedMergePolicy::new(100_000).compute_merge_candidates(&segs).is_empty());
        // A third deleted, and still past half the cap.
        segs[3] = segs[3].clone().with_delete_meta(30_000, 1);
        let candidates = CappedMergePolicy::new(100_000).compute_merge_candidates(&segs);
        assert_eq!(candidates.len(), 1);
        assert_eq!(candidates[0].0, [segs[3].id()]);
    }

    proptest! {
        #[test]
        fn no_merge_passes_the_cap(sizes in proptest::collection::vec(1u32..200_000, 0..40), cap in 2u32..300_000) {
            let segs = segments(&sizes);
            let mut seen = std::collections::HashSet::new();
            for candidate in CappedMergePolicy::new(cap).compute_merge_candidates(&segs) {
                let total: u64 = docs(&candidate, &segs).iter().map(|&n| u64::from(n)).sum();
                prop_assert!(candidate.0.len() >= 2 && total <= u64::from(cap));
                prop_assert!(candidate.0.iter().all(|id| seen.insert(*id)), "a segment in two merges");
            }
        }
    }
}
