//! Tone-mark placement: every vowel cluster × tone × old/new style (or misplacement) × case.

use duluan_text::{Analysis, View, canonical_tone_placement, normalize, normalize_token_into};

/// For each syllable family: the canonical (old-style) forms with grave, acute, hook, tilde and dot
/// below, and the same syllables written the other way (new style, or a common misplacement).
const FAMILIES: &[([&str; 5], [&str; 5])] = &[
    // oa, oe, uy open: old style on the first vowel, new style on the second.
    (["hòa", "hóa", "hỏa", "hõa", "họa"], ["hoà", "hoá", "hoả", "hoã", "hoạ"]),
    (["tòa", "tóa", "tỏa", "tõa", "tọa"], ["toà", "toá", "toả", "toã", "toạ"]),
    (["xòa", "xóa", "xỏa", "xõa", "xọa"], ["xoà", "xoá", "xoả", "xoã", "xoạ"]),
    (["khòe", "khóe", "khỏe", "khõe", "khọe"], ["khoè", "khoé", "khoẻ", "khoẽ", "khoẹ"]),
    (["xòe", "xóe", "xỏe", "xõe", "xọe"], ["xoè", "xoé", "xoẻ", "xoẽ", "xoẹ"]),
    (["thùy", "thúy", "thủy", "thũy", "thụy"], ["thuỳ", "thuý", "thuỷ", "thuỹ", "thuỵ"]),
    (["lùy", "lúy", "lủy", "lũy", "lụy"], ["luỳ", "luý", "luỷ", "luỹ", "luỵ"]),
    (["tùy", "túy", "tủy", "tũy", "tụy"], ["tuỳ", "tuý", "tuỷ", "tuỹ", "tuỵ"]),
    // qu is a consonant: the tone goes on the vowel after it; on the u it is a typing error.
    (["quỳ", "quý", "quỷ", "quỹ", "quỵ"], ["qùy", "qúy", "qủy", "qũy", "qụy"]),
    (["quà", "quá", "quả", "quã", "quạ"], ["qùa", "qúa", "qủa", "qũa", "qụa"]),
    // gi is a consonant before a vowel; ư carries the tone.
    (["giừa", "giứa", "giửa", "giữa", "giựa"], ["giưà", "giưá", "giưả", "giưã", "giưạ"]),
    // Closed syllables: the last vowel of the nucleus (hòang is a misplacement).
    (["hoàng", "hoáng", "hoảng", "hoãng", "hoạng"], ["hòang", "hóang", "hỏang", "hõang", "họang"]),
    (["toàn", "toán", "toản", "toãn", "toạn"], ["tòan", "tóan", "tỏan", "tõan", "tọan"]),
    (["huỳnh", "huýnh", "huỷnh", "huỹnh", "huỵnh"], ["hùynh", "húynh", "hủynh", "hũynh", "hụynh"]),
    // Quality marks take the tone: ươ on ơ, uô on ô.
    (["người", "ngưới", "ngưởi", "ngưỡi", "ngượi"], ["ngừơi", "ngứơi", "ngửơi", "ngữơi", "ngựơi"]),
    (["muồi", "muối", "muổi", "muỗi", "muội"], ["mùôi", "múôi", "mủôi", "mũôi", "mụôi"]),
    // Triphthongs oai, oay, uyu: the middle vowel.
    (["ngoài", "ngoái", "ngoải", "ngoãi", "ngoại"], ["ngoaì", "ngoaí", "ngoaỉ", "ngoaĩ", "ngoaị"]),
    (["xoày", "xoáy", "xoảy", "xoãy", "xoạy"], ["xoaỳ", "xoaý", "xoaỷ", "xoaỹ", "xoaỵ"]),
    (["khuỳu", "khuýu", "khuỷu", "khuỹu", "khuỵu"], ["khùyu", "khúyu", "khủyu", "khũyu", "khụyu"]),
    // Falling diphthongs: the first vowel.
    (["mìa", "mía", "mỉa", "mĩa", "mịa"], ["mià", "miá", "miả", "miã", "miạ"]),
    (["mùa", "múa", "mủa", "mũa", "mụa"], ["muà", "muá", "muả", "muã", "muạ"]),
    (["hài", "hái", "hải", "hãi", "hại"], ["haì", "haí", "haỉ", "haĩ", "haị"]),
    (["tùi", "túi", "tủi", "tũi", "tụi"], ["tuì", "tuí", "tuỉ", "tuĩ", "tuị"]),
    (["chèo", "chéo", "chẻo", "chẽo", "chẹo"], ["cheò", "cheó", "cheỏ", "cheõ", "cheọ"]),
];

fn title(s: &str) -> String {
    let mut chars = s.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

fn cases(s: &str) -> [String; 3] {
    [s.to_string(), title(s), s.to_uppercase()]
}

/// Every (written, canonical) pair of the table, in lower, title and upper case.
fn pairs() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (canonical, other) in FAMILIES {
        for (c, o) in canonical.iter().zip(other) {
            for (written, want) in cases(o).into_iter().zip(cases(c)) {
                out.push((written, want.clone()));
                out.push((want.clone(), want));
            }
        }
    }
    out
}

#[test]
fn table_has_enough_pairs() {
    assert!(pairs().len() >= 600, "{}", pairs().len());
}

#[test]
fn old_and_new_style_normalise_to_one_form() {
    let mut failures = Vec::new();
    for (written, want) in pairs() {
        if normalize(&written) != want {
            failures.push(format!("{written} -> {} (want {want})", normalize(&written)));
        }
        // In a sentence, through the token path, and through the public one-syllable function.
        let sentence = format!("Hôm nay {written}, rồi");
        if normalize(&sentence) != format!("Hôm nay {want}, rồi") {
            failures.push(format!("sentence with {written}"));
        }
        let mut token = String::new();
        normalize_token_into(&written, &mut token);
        if token != want.to_lowercase() {
            failures.push(format!("token {written} -> {token}"));
        }
        if canonical_tone_placement(&written).unwrap_or_else(|| written.clone()) != want {
            failures.push(format!("canonical_tone_placement({written})"));
        }
    }
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn tones_stay_distinct() {
    for (canonical, _) in FAMILIES {
        for (i, a) in canonical.iter().enumerate() {
            for b in &canonical[i + 1..] {
                assert_ne!(normalize(a), normalize(b));
            }
        }
    }
    for (a, b) in [
        ("hòa", "hỏa"),
        ("sốt", "sót"),
        ("ma", "má"),
        ("ma", "mà"),
        ("má", "mả"),
        ("mả", "mã"),
        ("mã", "mạ"),
        ("tin giả", "tin già"),
        ("dịch", "địch"),
        ("thủy", "thùy"),
    ] {
        let (x, y) = (Analysis::new(a), Analysis::new(b));
        assert_ne!(x.joined(View::Exact), y.joined(View::Exact), "{a} / {b}");
    }
}

#[test]
fn spec_pairs() {
    for (a, b) in [
        ("hòa", "hoà"),
        ("Hòa", "Hoà"),
        ("HÒA", "HOÀ"),
        ("khỏe", "khoẻ"),
        ("thủy", "thuỷ"),
        ("lũy", "luỹ"),
        ("tùy", "tuỳ"),
        ("hủy", "huỷ"),
        ("thúy", "thuý"),
        ("họa", "hoạ"),
        ("tỏa", "toả"),
        ("xòe", "xoè"),
        ("qúy", "quý"),
        ("hòang", "hoàng"),
        ("Vie\u{0323}\u{0302}t", "Việt"),
        ("Vie\u{0302}\u{0323}t", "Việt"),
        ("ho\u{0300}a", "hòa"),
        ("hoa\u{0300}", "hòa"),
    ] {
        assert_eq!(normalize(a), normalize(b), "{a} / {b}");
    }
}

#[test]
fn rules_that_hold_in_both_styles_are_kept() {
    for word in [
        "người", "muốn", "tiếng", "chuyện", "mưa", "cửa", "hữu", "gửi", "thuở", "hoàng", "toán", "khuếch", "thuyết",
        "quý", "quả", "quốc", "già", "giữa", "giếng", "gì", "gìn", "hái", "cháo", "máy", "kéo", "mía", "chịu", "gói",
        "túi", "múa", "của", "ngoài", "xoáy", "muối", "hiếu", "yếu", "khuỷu", "khuya",
    ] {
        assert_eq!(normalize(word), word);
        assert_eq!(canonical_tone_placement(word), None, "{word}");
    }
}

#[test]
fn cleaning_and_punctuation() {
    for (raw, want) in [
        ("a\u{200B}b", "ab"),
        ("\u{FEFF}Hà Nội", "Hà Nội"),
        ("Hà\u{00A0}Nội", "Hà Nội"),
        ("Hà\u{2009}\u{202F}Nội", "Hà Nội"),
        ("  Hà   Nội  ", "Hà Nội"),
        ("a\u{00AD}b", "ab"),
        ("a\u{0007}b", "a b"),
        ("dòng 1\r\n\r\n  dòng 2", "dòng 1\ndòng 2"),
        ("“tin giả”", "\"tin giả\""),
        ("‘Hoà’", "'Hòa'"),
        ("«hoà bình»", "\"hòa bình\""),
        ("2020–2021", "2020-2021"),
        ("Covid — dịch", "Covid - dịch"),
        ("chờ…", "chờ."),
        ("x\u{2212}1", "x-1"),
    ] {
        assert_eq!(normalize(raw), want, "{raw:?}");
    }
    // Storage form keeps quotes and tone placement as written.
    assert_eq!(duluan_text::clean("“Hoà”\u{00A0} bình"), "“Hoà” bình");
}

#[test]
fn foreign_words_and_names_are_left_alone() {
    for word in ["Facebook", "café", "naïve", "München", "COVID", "iPhone", "Nguyễn", "Đắk", "Lắk", "Pleiku"]
    {
        assert_eq!(normalize(word), word);
    }
}
