//! The same article as UTF-8, UTF-8 NFD, Windows-1258, TCVN3 and VNI decodes to the same
//! normalised text; Latin-1 text in other languages is left untouched.

use std::collections::HashMap;

use duluan_text::{Legacy, decode, decode_legacy, detect_legacy, normalize};
use unicode_normalization::UnicodeNormalization;

/// Written for these tests. TCVN3 has no upper-case toned letters (ABC fonts use a separate
/// upper-case font), so the article has none either.
const ARTICLE: &str = "Người dân thành phố Đà Nẵng đổ xô đi mua khẩu trang sau tin đồn về dịch bệnh. \
Ông Nguyễn Văn Đức, chủ tịch phường, cho biết: thông tin này là sai sự thật, người dân không nên hoang mang. \
Thủy lợi, hòa bình, khỏe mạnh, quý giá, giữa trưa, khuya khoắt, nghiêng ngả, ươn ướt, ăn uống, Việt Nam.";

/// Windows-1258 as Vietnamese text is usually written in it: base letters (with their quality
/// mark, when the code page has it) and a combining tone mark.
fn windows_1258(text: &str) -> Vec<u8> {
    let decomposed: String = text
        .nfd()
        .collect::<String>()
        .nfc()
        .flat_map(|c| {
            let d: Vec<char> = std::iter::once(c).nfd().collect();
            // Keep the quality mark composed (â, ê, ô, ă, ơ, ư exist in the code page).
            match d.as_slice() {
                [base, rest @ ..] if !rest.is_empty() => {
                    let tone: Vec<char> = rest
                        .iter()
                        .copied()
                        .filter(|m| matches!(m, '\u{300}' | '\u{301}' | '\u{303}' | '\u{309}' | '\u{323}'))
                        .collect();
                    let quality: String = std::iter::once(*base)
                        .chain(rest.iter().copied().filter(|m| !tone.contains(m)))
                        .collect::<String>()
                        .nfc()
                        .collect();
                    quality.chars().chain(tone).collect::<Vec<_>>()
                }
                _ => vec![c],
            }
        })
        .collect();
    let (bytes, _, unmappable) = encoding_rs::WINDOWS_1258.encode(&decomposed);
    assert!(!unmappable);
    bytes.into_owned()
}

/// Encoder built by inverting the decoder: every single byte and every letter + modifier byte.
fn legacy_encoder(legacy: Legacy) -> HashMap<char, Vec<u8>> {
    let mut map = HashMap::new();
    // VNI writes most letters as a letter and a modifier byte; try those first, because a
    // modifier byte on its own would combine with a vowel before it.
    let mut candidates: Vec<Vec<u8>> = Vec::new();
    if legacy == Legacy::Vni {
        for base in b"aeiouyAEIOUY".iter().copied().chain([0xF4, 0xF6, 0xD4, 0xD6]) {
            candidates.extend((0xC0..=0xFFu8).map(|m| vec![base, m]));
        }
    }
    candidates.extend((0xA0..=0xFFu8).map(|b| vec![b]));
    for bytes in candidates {
        let decoded = decode_legacy(&bytes, legacy);
        let mut chars = decoded.chars();
        if let (Some(c), None) = (chars.next(), chars.next())
            && !c.is_ascii()
        {
            map.entry(c).or_insert(bytes);
        }
    }
    map
}

fn encode_legacy(text: &str, legacy: Legacy) -> Vec<u8> {
    let map = legacy_encoder(legacy);
    text.chars()
        .flat_map(|c| {
            if c.is_ascii() {
                vec![c as u8]
            } else {
                map.get(&c).cloned().unwrap_or_else(|| panic!("{c} has no {legacy:?} code"))
            }
        })
        .collect()
}

#[test]
fn one_article_five_encodings() {
    let want = normalize(ARTICLE);
    let nfd: String = ARTICLE.nfd().collect();
    let tcvn3 = encode_legacy(ARTICLE, Legacy::Tcvn3);
    let vni = encode_legacy(ARTICLE, Legacy::Vni);
    let cases: Vec<(&str, Vec<u8>, Option<&str>)> = vec![
        ("utf-8", ARTICLE.as_bytes().to_vec(), None),
        ("utf-8 declared", ARTICLE.as_bytes().to_vec(), Some("utf-8")),
        ("utf-8 mislabelled latin-1", ARTICLE.as_bytes().to_vec(), Some("iso-8859-1")),
        ("utf-8 nfd", nfd.as_bytes().to_vec(), None),
        ("windows-1258", windows_1258(ARTICLE), Some("windows-1258")),
        ("windows-1258 undeclared", windows_1258(ARTICLE), None),
        ("tcvn3 as windows-1252", tcvn3.clone(), Some("windows-1252")),
        ("tcvn3 as latin-1", tcvn3.clone(), Some("iso-8859-1")),
        ("tcvn3 undeclared", tcvn3, None),
        ("vni as windows-1252", vni.clone(), Some("windows-1252")),
        ("vni undeclared", vni, None),
    ];
    for (name, bytes, charset) in cases {
        let decoded = decode(&bytes, charset, Some("vn"));
        assert_eq!(normalize(&decoded.text), want, "{name} (decoded as {})", decoded.encoding);
    }
    // In an HTML page with a meta declaration, as old sites serve it.
    let page = [
        b"<html><head><meta charset=\"windows-1252\"></head><body>".as_slice(),
        &encode_legacy(ARTICLE, Legacy::Tcvn3),
        b"</body></html>",
    ]
    .concat();
    let decoded = decode(&page, None, None);
    assert_eq!(decoded.encoding, "TCVN3");
    let start: String = ARTICLE.chars().take(30).collect();
    assert!(decoded.text.contains(&start), "{}", decoded.text);
}

#[test]
fn detection_names_the_encoding() {
    assert_eq!(detect_legacy(&windows_1258(ARTICLE)), None);
    assert_eq!(detect_legacy(&encode_legacy(ARTICLE, Legacy::Tcvn3)), Some(Legacy::Tcvn3));
    assert_eq!(detect_legacy(&encode_legacy(ARTICLE, Legacy::Vni)), Some(Legacy::Vni));
    let d = decode(&encode_legacy(ARTICLE, Legacy::Vni), Some("windows-1252"), None);
    assert_eq!((d.encoding, d.decided_by), ("VNI", "legacy"));
}

/// Written for these tests: everyday French, German, Spanish, Portuguese, Italian and Danish with
/// the accented letters each uses.
const LATIN1: &[&str] = &[
    "Le café est déjà prêt, à côté de l'hôtel où nous étions. Noël à Paris, naïf et ému, ça va très bien.",
    "Müller fährt über die Brücke, schön und groß; Grüße aus Köln für Jürgen und Bärbel, täglich.",
    "El niño comió más piñas en España; sí, está aquí después de la reunión del lunes, señor.",
    "Não há razão para isso: a informação é pública, e a decisão já foi tomada pelo município.",
    "Perché la città è così bella? Più turisti arrivano ogni giorno, già da lunedì.",
    "Søren og Åse går på café i København, hvor de får smørrebrød og øl.",
    "Où êtes-vous? À l'école, à côté du théâtre. Très bien, à bientôt.",
];

#[test]
fn latin1_text_is_left_untouched() {
    for text in LATIN1 {
        let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode(text);
        assert_eq!(detect_legacy(&bytes), None, "{text}");
        for charset in [Some("windows-1252"), Some("iso-8859-1"), None] {
            let d = decode(&bytes, charset, None);
            assert_eq!(d.text, *text, "{text} ({charset:?}, {})", d.encoding);
        }
    }
}

#[test]
fn invalid_utf8_is_replaced_not_rejected() {
    let d = decode(b"Vi\xe1\xbb\x87t \xff\xfe Nam", Some("utf-8"), None);
    assert!(d.text.starts_with("Việt"));
    assert!(d.had_errors);
}
