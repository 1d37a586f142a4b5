//! Syllable shingles of a text, hashed.
//!
//! Tokens are taken in the folded view (lower case, no diacritics, `đ` → `d`, tone placement
//! irrelevant), so a claim written with marks and a post typed without them share their shingles.
//! Hashes are a fixed function of the bytes (FNV-1a, then a SplitMix64 finaliser): the same text
//! gives the same hashes in every process and on every machine.

use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hasher};

use duluan_text::{Analysis, View};

/// Hash of one normalised token.
fn hash_token(token: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in token.as_bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    finalize(h)
}

/// SplitMix64's finaliser: FNV alone leaves short inputs' high bits poorly mixed, and the index
/// keys on the whole word.
fn finalize(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Hash of a run of token hashes; order matters (`giá tăng` ≠ `tăng giá`): each token is rotated
/// by its place before they are combined, and the length is mixed in.
fn hash_run(tokens: &[u64]) -> u64 {
    let mut h = tokens.len() as u64;
    for (i, &t) in tokens.iter().enumerate() {
        h ^= t.rotate_left((i as u32).wrapping_mul(23) % 64);
    }
    finalize(h)
}

/// Folded-view hash of every token of `analysis`, in order.
fn token_hashes(analysis: &Analysis) -> Vec<u64> {
    let joined = analysis.joined(View::Folded);
    // The joined view is the tokens with one space between them: splitting it is faster than
    // asking for each token, and must give the same tokens (checked, else asked one by one).
    let hashes: Vec<u64> = if joined.is_empty() { Vec::new() } else { joined.split(' ').map(hash_token).collect() };
    if hashes.len() == analysis.len() {
        return hashes;
    }
    (0..analysis.len()).map(|i| hash_token(analysis.token(View::Folded, i))).collect()
}

/// The hash of every `k`-token window of `analysis`, in order: entry `i` covers tokens
/// `i..i + k`. Empty when the text has fewer than `k` tokens.
pub(crate) fn shingles(analysis: &Analysis, k: usize) -> Vec<u64> {
    let k = k.max(1);
    token_hashes(analysis).windows(k).map(hash_run).collect()
}

/// The distinct shingles of a claim (`text`, analysed) that are not made only of stopwords, each
/// with the token it starts at: boilerplate such as `và đã có những` must not make two texts look
/// alike. A claim typed without marks has its stopwords told in the folded view (`va da co nhung`
/// are `và đã có những`), so that it drops the boilerplate its accented twin drops; a claim
/// written with marks has them told as written, where `ho` (cough) and `tranh` are no `họ` and
/// `tránh`. No shingle runs across a line break: a claim made from a verdict is its story's title
/// and text on two lines, which an item holds as two fields, never as one run of words.
pub(crate) fn claim_shingles(text: &str, analysis: &Analysis, k: usize) -> Vec<(u64, u32)> {
    use duluan_text::stopwords::{is_stopword_exact, is_stopword_folded};
    let k = k.max(1);
    let unaccented = (0..analysis.len()).all(|i| analysis.token(View::Exact, i) == analysis.token(View::Folded, i));
    let stop: Vec<bool> = (0..analysis.len())
        .map(|i| {
            if unaccented {
                is_stopword_folded(analysis.token(View::Folded, i))
            } else {
                is_stopword_exact(analysis.token(View::Exact, i))
            }
        })
        .collect();
    // `new_line[t]`: a line ends between tokens `t - 1` and `t`.
    let new_line: Vec<bool> = std::iter::once(false)
        .chain(analysis.spans.windows(2).map(|pair| {
            let gap = text.get(pair[0].1..pair[1].0).unwrap_or_default();
            gap.contains(['\n', '\r', '\u{2028}', '\u{2029}'])
        }))
        .collect();
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for (i, hash) in shingles(analysis, k).into_iter().enumerate() {
        let only_stopwords = stop.get(i..i + k).is_some_and(|window| window.iter().all(|&s| s));
        let across_lines = new_line.get(i + 1..i + k).is_some_and(|gaps| gaps.contains(&true));
        let Ok(first) = u32::try_from(i) else { break };
        if !only_stopwords && !across_lines && seen.insert(hash) {
            out.push((hash, first));
        }
    }
    out
}

/// A hasher for keys that are already good hashes: passes the `u64` through.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct PassThrough(u64);

impl Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only `u64` keys are used; anything else still hashes, just more slowly.
        for &b in bytes {
            self.0 = finalize(self.0.rotate_left(8) ^ u64::from(b));
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// Build-hasher for maps keyed by shingle hashes.
pub(crate) type BuildPassThrough = BuildHasherDefault<PassThrough>;

#[cfg(test)]
mod tests {
    use super::*;

    fn hashes(text: &str) -> Vec<u64> {
        shingles(&Analysis::new(text), 3)
    }

    #[test]
    fn diacritics_case_and_tone_placement_do_not_change_shingles() {
        let marked = hashes("Giá xăng HOÀ BÌNH tăng");
        assert_eq!(marked.len(), 3);
        assert_eq!(marked, hashes("gia xang hoa binh tang"));
        assert_eq!(marked, hashes("giá xăng hòa bình tăng"));
        assert_eq!(marked, hashes("Giá, xăng — hoà bình: tăng!"));
    }

    #[test]
    fn order_and_words_matter() {
        assert_ne!(hashes("giá xăng tăng"), hashes("tăng giá xăng"));
        assert_ne!(hashes("giá xăng tăng"), hashes("giá gạo tăng"));
        assert!(hashes("hai từ").is_empty());
    }

    #[test]
    fn hashes_are_pinned() {
        // Fixed across builds and machines: tests and benchmarks compare figures between runs.
        assert_eq!(hash_token("gia"), hash_token("gia"));
        assert_eq!(hashes("một hai ba"), vec![hash_run(&[hash_token("mot"), hash_token("hai"), hash_token("ba")])]);
        assert_ne!(hash_token("gia"), hash_token("giá"));
    }

    #[test]
    fn stopword_only_shingles_are_dropped_and_repeats_counted_once() {
        // "và đã có những" is all stopwords; every other window has a content word.
        let a = Analysis::new("và đã có những tin đồn tin đồn");
        let kept = claim_shingles("và đã có những tin đồn tin đồn", &a, 3);
        let all = shingles(&a, 3);
        assert!(kept.len() < all.len(), "{kept:?}");
        assert!(kept.iter().all(|(_, first)| *first >= 1));
        let distinct: HashSet<u64> = kept.iter().map(|(h, _)| *h).collect();
        assert_eq!(distinct.len(), kept.len());
    }

    #[test]
    fn a_claim_typed_without_marks_has_its_accented_twin_s_shingles() {
        let marked = "Cây xăng đầu phố đã đóng cửa và có thể là sẽ không mở lại nữa";
        let bare = "Cay xang dau pho da dong cua va co the la se khong mo lai nua";
        let shingles =
            |text: &str| claim_shingles(text, &Analysis::new(text), 3).into_iter().map(|(h, _)| h).collect::<Vec<_>>();
        // The unaccented twin drops the boilerplate its accented one drops (`đã đóng cửa và có thể
        // là sẽ không`), and may drop more: `lai` and `nua` are stopwords as `lại` and `nữa`.
        let (kept_marked, kept_bare) = (shingles(marked), shingles(bare));
        assert!(kept_bare.iter().all(|h| kept_marked.contains(h)), "{kept_bare:?} ⊄ {kept_marked:?}");
        assert!(kept_bare.len() >= 3, "{kept_bare:?}");
        // Written with marks, a word without any (`ho`, cough) is read as written.
        let cough = "Cả nhà ho và sốt cao";
        assert_eq!(claim_shingles(cough, &Analysis::new(cough), 3).len(), 4);
        let boilerplate = "va da co nhung cua cac la";
        assert!(claim_shingles(boilerplate, &Analysis::new(boilerplate), 3).is_empty());
    }
}
