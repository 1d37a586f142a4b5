//! The informal view: teencode and stretched words in their standard form, offsets kept.

use duluan_text::{Analysis, TEENCODE, View, teencode};

const PAIRS: &[(&str, &str)] = &[
    ("ko biết", "không biết"),
    ("k bít", "không biết"),
    ("hok hiểu", "không hiểu"),
    ("hông có", "không có"),
    ("khum sao", "không sao"),
    ("khg thích", "không thích"),
    ("Ko đc đâu", "không được đâu"),
    ("dc không", "được không"),
    ("đc chưa", "được chưa"),
    ("làm j vậy", "làm gì vậy"),
    ("đi vs ai", "đi với ai"),
    ("bt rồi", "biết rồi"),
    ("bik chưa", "biết chưa"),
    ("bit ko", "biết không"),
    ("mn ơi", "mọi người ơi"),
    ("mng ơi", "mọi người ơi"),
    ("ng ta nói", "người ta nói"),
    ("ngta nói", "người ta nói"),
    ("cx được", "cũng được"),
    ("cg vậy", "cũng vậy"),
    ("sao z", "sao vậy"),
    ("thế v", "thế vậy"),
    ("trc khi", "trước khi"),
    ("ntn", "như thế nào"),
    ("xong r", "xong rồi"),
    ("xong rùi", "xong rồi"),
    ("iu lắm", "yêu lắm"),
    ("thik quá", "thích quá"),
    ("nhìu người", "nhiều người"),
    ("cho xin sđt", "cho xin số điện thoại"),
    ("đẹp wá", "đẹp quá"),
    ("vui quáaaa", "vui quá"),
    // Laughter, a unit, a day and an alley are no `không`.
    ("kkkk vui quá", "kkkk vui quá"),
    ("1 kg thịt", "1 kg thịt"),
    ("hum nay", "hum nay"),
    ("trong hem", "trong hem"),
    ("mik đi lm", "mình đi làm"),
    ("bh đi đâu", "bây giờ đi đâu"),
    ("tks bn", "cảm ơn bạn"),
    // Not teencode: numbers with units, real words.
    ("giá 50k thôi", "giá 50k thôi"),
    ("hòa bình", "hòa bình"),
    ("xoong nồi", "xoong nồi"),
];

#[test]
fn teencode_pairs() {
    assert!(PAIRS.len() >= 30);
    for (raw, want) in PAIRS {
        let a = Analysis::new(raw);
        assert_eq!(a.joined(View::Informal), *want, "{raw}");
        assert_eq!(a.joined(View::InformalFolded), duluan_text::fold(want), "{raw}");
        // The exact and folded views keep what was written.
        assert_eq!(a.joined(View::Exact), Analysis::new(raw).joined(View::Exact));
    }
}

#[test]
fn table_is_normalised_and_unambiguous() {
    let mut seen = std::collections::HashSet::new();
    for (informal, standard) in TEENCODE {
        assert!(seen.insert(*informal), "duplicate {informal}");
        let a = Analysis::new(informal);
        assert_eq!(a.len(), 1, "{informal} is one token");
        assert_eq!(a.joined(View::Exact), *informal, "{informal} is in exact form");
        assert_eq!(Analysis::new(standard).joined(View::Exact), *standard, "{standard} is in exact form");
        assert_eq!(teencode(informal), Some(*standard));
    }
    assert_eq!(teencode("không"), None);
    assert_eq!(teencode("50k"), None);
}

#[test]
fn matches_map_back_to_the_original() {
    let text = "Mn ơi, nghe nói tiêm vắc xin xong ko bit có sao hok???";
    let a = Analysis::new(text);
    let joined = a.joined(View::InformalFolded);
    let pos = joined.find("khong biet co sao khong").expect("found");
    let (first, last) = a.token_range(View::InformalFolded, pos, pos + 23, false).expect("whole words");
    let (s, e) = a.original_range(first, last);
    assert_eq!(&text[s..e], "ko bit có sao hok");
}
