//! Near-duplicate signatures: a 64-bit SimHash over folded syllable 3-shingles.
//!
//! Syndicated copies of one article (the same wire story on thirty sites, with different
//! navigation, a changed headline or a trimmed last paragraph) land within a few bits of each
//! other; unrelated texts differ in about half of the bits. Folding first makes copies that lost
//! their diacritics match too.

use duluan_text::{Analysis, View};

/// Hamming distance at or below which two items are one story.
pub const STORY_DISTANCE: u32 = 3;

/// Shingle width in syllables.
const SHINGLE: usize = 3;

/// FNV-1a, 64-bit: stable across versions and platforms (the signature is persisted).
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    // A final mix so neighbouring shingles spread over all bits.
    hash ^= hash >> 33;
    hash = hash.wrapping_mul(0xff51_afd7_ed55_8ccd);
    hash ^ (hash >> 33)
}

/// The SimHash of a text.
pub fn simhash(text: &str) -> u64 {
    simhash_of(&Analysis::new(text))
}

/// The SimHash of an analysed text.
pub fn simhash_of(a: &Analysis) -> u64 {
    if a.is_empty() {
        return 0;
    }
    let mut weights = [0i32; 64];
    let width = SHINGLE.min(a.len());
    for first in 0..=a.len() - width {
        // The folded view joins tokens with single spaces: the shingle is a slice of it.
        let h = fnv1a(a.joined_tokens(View::Folded, first, first + width - 1).as_bytes());
        for (bit, w) in weights.iter_mut().enumerate() {
            *w += if h >> bit & 1 == 1 { 1 } else { -1 };
        }
    }
    weights.iter().enumerate().fold(0u64, |acc, (bit, &w)| if w > 0 { acc | 1 << bit } else { acc })
}

/// Bits in which two signatures differ.
pub fn distance(a: u64, b: u64) -> u32 {
    (a ^ b).count_ones()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARTICLE: &str = "Sau đợt mưa lũ kéo dài, giá rau xanh tại các chợ trong thành phố tăng gấp đôi so với tuần trước. \
        Nhiều tiểu thương cho biết nguồn hàng từ các tỉnh lân cận giảm mạnh vì đường sá bị ngập. \
        Bà Lan, tiểu thương chợ Tân Định, nói rau muống đã lên 30.000 đồng một bó và vẫn khan hàng. \
        Sở Công Thương cho biết sẽ phối hợp với các hợp tác xã để tăng nguồn cung trong tuần tới. \
        Tại chợ Bến Thành, nhiều quầy rau chỉ bán được nửa buổi sáng rồi đóng cửa vì hết hàng. \
        Người tiêu dùng phải chuyển sang mua rau củ nhập từ các tỉnh phía Bắc với giá cao hơn. \
        Theo các chuyên gia, giá rau sẽ dần ổn định khi thời tiết tốt lên và các vùng trồng phục hồi. \
        Ngành nông nghiệp khuyến cáo nông dân gieo trồng lại ngay sau khi nước rút để kịp vụ Tết. \
        Một số siêu thị cam kết giữ giá bán lẻ trong hai tuần tới để hỗ trợ người dân.";

    #[test]
    fn copies_are_near_and_others_far() {
        let copy = format!("{ARTICLE} Theo Tin Thành Phố.");
        let unaccented = duluan_text::fold(ARTICLE);
        let other = "Đội tuyển bóng đá của thành phố đã giành chiến thắng thuyết phục trong trận derby cuối tuần, \
            với hai bàn thắng ở hiệp hai trước hàng nghìn cổ động viên trên sân vận động.";
        assert!(distance(simhash(ARTICLE), simhash(&copy)) <= STORY_DISTANCE);
        assert_eq!(simhash(ARTICLE), simhash(&unaccented));
        assert!(distance(simhash(ARTICLE), simhash(other)) > 10);
        assert_eq!(simhash(""), 0);
    }
}
