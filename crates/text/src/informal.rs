//! Teencode and informal spelling, for the informal matching view of social text.
//!
//! Social posts write `ko` for `không`, `dc` for `được`, `j` for `gì`, and stretch words
//! (`quáaaa`). [`teencode`] maps one normalised token to its standard form; the informal views of
//! [`crate::Analysis`] (`View::Informal`, `View::InformalFolded`) apply it to every token, so rules
//! and sentiment can match `không biết` in `ko bit`. The stored text is never rewritten.
//!
//! The table was written for this project from common Vietnamese chat usage. It keeps only forms
//! whose standard reading is the usual one in social text; ambiguous ones are documented where
//! they were decided (`k` alone is `không`, while `50k` is one token and is left alone; `bt`
//! follows the common `biết` rather than `bình thường`). Standard words (`a`, `e`, `tr`) are never
//! in the table, because they are also real words or too ambiguous.

/// Informal token (lower case, canonical tone) and its standard form (one or more syllables).
pub const TEENCODE: &[(&str, &str)] = &[
    // không
    ("ko", "không"),
    ("k", "không"),
    ("kh", "không"),
    ("khg", "không"),
    ("kô", "không"),
    ("k0", "không"),
    ("hok", "không"),
    ("hk", "không"),
    ("hông", "không"),
    ("khum", "không"),
    // Not `hum` nor `hem`: in posts they are mostly `hôm` (`hum nay`) and `hẻm` (an alley); nor
    // `kg`, the kilogram of every price post.
    // được
    ("dc", "được"),
    ("đc", "được"),
    ("đươc", "được"),
    // gì
    ("j", "gì"),
    ("ji", "gì"),
    // với
    ("vs", "với"),
    ("vz", "với"),
    // biết
    ("bt", "biết"),
    ("bik", "biết"),
    ("bit", "biết"),
    ("bjk", "biết"),
    ("bít", "biết"),
    // mọi người, người, người ta, người yêu
    ("mn", "mọi người"),
    ("mng", "mọi người"),
    ("ng", "người"),
    ("ngta", "người ta"),
    ("ny", "người yêu"),
    // cũng
    ("cx", "cũng"),
    ("cg", "cũng"),
    ("cug", "cũng"),
    // vậy
    ("z", "vậy"),
    ("v", "vậy"),
    ("zậy", "vậy"),
    ("dzậy", "vậy"),
    // trước, rồi, thôi, luôn
    ("trc", "trước"),
    ("r", "rồi"),
    ("rùi", "rồi"),
    ("gòi", "rồi"),
    ("thui", "thôi"),
    ("lun", "luôn"),
    // như thế nào, bây giờ, giờ
    ("ntn", "như thế nào"),
    ("bh", "bây giờ"),
    ("bjo", "bây giờ"),
    ("h", "giờ"),
    // yêu, thích, nhiều, vui, quá, qua
    ("iu", "yêu"),
    ("iêu", "yêu"),
    ("thik", "thích"),
    ("thix", "thích"),
    ("nhìu", "nhiều"),
    ("zui", "vui"),
    ("dzui", "vui"),
    ("wá", "quá"),
    ("wa", "qua"),
    // mình, bạn, làm, mới, đang, nữa, chồng, vợ
    ("mik", "mình"),
    ("mk", "mình"),
    ("mh", "mình"),
    ("bn", "bạn"),
    ("lm", "làm"),
    ("ms", "mới"),
    ("đag", "đang"),
    ("dag", "đang"),
    ("nx", "nữa"),
    ("ck", "chồng"),
    ("vk", "vợ"),
    // số điện thoại, điện thoại, nhắn tin, cảm ơn
    ("sđt", "số điện thoại"),
    ("đt", "điện thoại"),
    ("nt", "nhắn tin"),
    ("tks", "cảm ơn"),
    ("thanks", "cảm ơn"),
];

/// The standard form of an informal token given in its exact view (lower case, canonical tone),
/// or `None` when it is not teencode. Letters stretched for emphasis are squeezed first
/// (`quáaaa` → `quá`, `khôngggg` → `không`), except a run of `k`, which is laughter (`kkk`), not
/// `k` for `không`.
pub fn teencode(token: &str) -> Option<&'static str> {
    lookup(token).or_else(|| lookup(&squeeze(token)?))
}

fn lookup(token: &str) -> Option<&'static str> {
    static TABLE: std::sync::OnceLock<std::collections::HashMap<&'static str, &'static str>> =
        std::sync::OnceLock::new();
    TABLE.get_or_init(|| TEENCODE.iter().copied().collect()).get(token).copied()
}

/// Bytes of the longest code of [`TEENCODE`] (`đươc`); checked by a test.
const LONGEST_CODE: usize = 7;

/// Codes of the table that formal text writes too, as units, initials, abbreviations or words
/// of their own (`vitamin K`, `8 h`, `Hà Nội vs Huế`, `đau hông`, `bít tất`, `thui
/// rơm`): they do not show that a text is informal.
const FORMAL_LOOKALIKES: &[&str] =
    &["k", "h", "v", "r", "z", "j", "ng", "ms", "nt", "đt", "vs", "bt", "wa", "thanks", "hông", "bít", "bit", "thui"];

/// Whether a token (exact view) shows an informal register: a teencode form that formal text
/// does not also write, or a word stretched for emphasis (`quáaaa`, `đẹpppp`; four letters or
/// more, all letters, so `www` and `1000` are no sign). Sentiment reads such a text in the
/// informal view.
pub fn marks_informal(token: &str) -> bool {
    // Sentiment asks for every token of every item: most are longer than any code.
    if token.len() <= LONGEST_CODE && lookup(token).is_some() {
        return !FORMAL_LOOKALIKES.contains(&token);
    }
    let bytes = token.as_bytes();
    let stretched = bytes.windows(3).any(|w| w[0] == w[1] && w[1] == w[2] && w[0].is_ascii_alphabetic());
    stretched && token.chars().count() >= 4 && token.chars().all(char::is_alphabetic)
}

/// The informal-view form of one exact token, appended to `out`: the teencode expansion, else the
/// squeezed word, else the token itself.
pub(crate) fn informal_form(token: &str, out: &mut String) {
    if let Some(standard) = lookup(token) {
        out.push_str(standard);
        return;
    }
    match squeeze(token) {
        Some(squeezed) => out.push_str(lookup(&squeezed).unwrap_or(&squeezed)),
        None => out.push_str(token),
    }
}

/// `token` with runs of three or more of the same letter cut to the first, as [`squeeze_any`]
/// does, or `None` when nothing was stretched, or when the token is a run of `k` alone: `kkk` is
/// laughter, not a stretched `k` (`không`).
fn squeeze(token: &str) -> Option<String> {
    squeeze_any(token).filter(|squeezed| squeezed != "k")
}

/// `token` with runs of three or more of the same letter (tone ignored) cut to the first, or
/// `None` when nothing was stretched. Two in a row are real spelling (`xoong`, `quốc`). One pass:
/// a hostile text may hold a megabyte-long token of one letter.
fn squeeze_any(token: &str) -> Option<String> {
    // Digits repeat in numbers (`1000`) and letters in Roman numerals (`XIII`): nothing stretched.
    if !token.chars().all(char::is_alphabetic) || is_roman_numeral(token) {
        return None;
    }
    let mut out = String::with_capacity(token.len());
    let mut changed = false;
    let mut chars = token.chars().peekable();
    while let Some(c) = chars.next() {
        let base = crate::fold::fold_char(c);
        let (mut second, mut length) = (None, 1);
        while let Some(d) = chars.next_if(|&d| crate::fold::fold_char(d) == base) {
            second.get_or_insert(d);
            length += 1;
        }
        // A run of three or more keeps only its first letter.
        out.push(c);
        match (second, length) {
            (Some(d), 2) => out.push(d),
            (_, 1 | 2) => {}
            _ => changed = true,
        }
    }
    changed.then_some(out)
}

/// A Roman numeral as written (lower case, as the exact view has it): `xiii`, `mmxxiv`; not
/// `lmmm` or `vvvv`, which are stretched teencode (`làm`, `vậy`).
fn is_roman_numeral(token: &str) -> bool {
    // Thousands, then each decimal place: its one, four, five and nine.
    let mut rest = token.trim_start_matches('m');
    if token.len() - rest.len() > 3 {
        return false;
    }
    for (one, four, five, nine) in [('c', "cd", 'd', "cm"), ('x', "xl", 'l', "xc"), ('i', "iv", 'v', "ix")] {
        rest = roman_place(rest, one, four, five, nine);
    }
    rest.is_empty() && !token.is_empty()
}

/// `rest` past one decimal place of a Roman numeral (`ix`, `iv`, `v`, `viii`, `iii`, or nothing),
/// given that place's numerals for one, four, five and nine.
fn roman_place<'r>(rest: &'r str, one: char, four: &str, five: char, nine: &str) -> &'r str {
    if let Some(after) = rest.strip_prefix(nine).or_else(|| rest.strip_prefix(four)) {
        return after;
    }
    let after_five = rest.strip_prefix(five).unwrap_or(rest);
    let ones = after_five.len() - after_five.trim_start_matches(one).len();
    &after_five[ones.min(3)..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_roman_numerals_are_not_stretched_words() {
        for token in ["1000", "2000", "xiii", "viii", "xxx", "mmxxiv", "mcmxcix", "3ooo"] {
            assert_eq!(squeeze(token), None, "{token}");
        }
        assert_eq!(squeeze("quáaaa").as_deref(), Some("quá"));
        // Teencode stretched from letters that Roman numerals use too.
        for (token, squeezed) in [("lmmm", "lm"), ("vvvv", "v"), ("dcccc", "dc"), ("cxxxx", "cx"), ("iiii", "i")] {
            assert_eq!(squeeze(token).as_deref(), Some(squeezed), "{token}");
        }
    }

    #[test]
    fn no_code_is_longer_than_the_longest() {
        assert_eq!(TEENCODE.iter().map(|(code, _)| code.len()).max(), Some(LONGEST_CODE));
    }

    #[test]
    fn informal_marks() {
        for token in ["ko", "dc", "đc", "hok", "mn", "quáaaa", "đẹpppp", "kkkk"] {
            assert!(marks_informal(token), "{token}");
        }
        for token in ["k", "kg", "hum", "hem", "h", "vs", "hông", "bít", "không", "www", "1000", "xoong", "giá"] {
            assert!(!marks_informal(token), "{token}");
        }
    }

    #[test]
    fn squeezing() {
        assert_eq!(squeeze("quáaaa").as_deref(), Some("quá"));
        assert_eq!(squeeze("đẹpppp").as_deref(), Some("đẹp"));
        assert_eq!(squeeze("xoong"), None);
        // Laughter, not `k` for `không`.
        assert_eq!(squeeze("kkkk"), None);
        assert_eq!(squeeze("kkk"), None);
        assert_eq!(squeeze("khôngggg").as_deref(), Some("không"));
        assert_eq!(squeeze("kk"), None);
        assert_eq!(squeeze("ngoooonnnn").as_deref(), Some("ngon"));
        // Linear: a megabyte of one letter is squeezed at once.
        assert_eq!(squeeze(&"o".repeat(1 << 20)).as_deref(), Some("o"));
    }
}
