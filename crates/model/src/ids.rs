use sha2::{Digest, Sha256};

/// Stable item identifier: 16 hex digits of SHA-256 over the canonical URL.
///
/// The same canonical URL always yields the same id, so re-crawling or re-ingesting a page
/// updates the item instead of duplicating it.
pub type ItemId = String;

/// Story (near-duplicate cluster) identifier; the id of the first item seen in the cluster.
pub type StoryId = String;

/// The item id for a canonical URL.
pub fn item_id_for_url(canonical_url: &str) -> ItemId {
    short_hash(canonical_url.as_bytes())
}

/// Hash of an item's normalised text, used to recognise exact copies.
pub fn content_hash(text: &str) -> String {
    short_hash(text.as_bytes())
}

fn short_hash(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    hex::encode(&digest[..8])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_stable_and_short() {
        let a = item_id_for_url("https://tinthanhpho.example/a");
        assert_eq!(a, item_id_for_url("https://tinthanhpho.example/a"));
        assert_ne!(a, item_id_for_url("https://tinthanhpho.example/b"));
        assert_eq!(a.len(), 16);
        // Pinned: ids are persisted, so the derivation must never change silently.
        assert_eq!(item_id_for_url(""), "e3b0c44298fc1c14");
    }
}
