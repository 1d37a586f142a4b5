//! Bytes to text: the WHATWG order (BOM, HTTP charset, `<meta charset>`, detection), then NFC.
//!
//! Pages in the pre-Unicode TCVN3 and VNI font encodings, declared or detected as windows-1252,
//! are recognised and converted (see [`crate::detect_legacy`]).
//!
//! One deliberate deviation from browsers: a page declared as Latin-1/windows-1252 whose bytes are
//! valid UTF-8 with non-ASCII sequences is decoded as UTF-8. That mislabel is common on Vietnamese
//! sites, and reading UTF-8 as Latin-1 yields mojibake that no later stage can match.

use encoding_rs::Encoding;

use crate::legacy::{decode_legacy, detect_legacy};
use crate::normalize::to_nfc;

/// Decoded text and how its encoding was chosen.
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded {
    /// The text, in NFC.
    pub text: String,
    /// WHATWG name of the encoding used (e.g. `UTF-8`, `windows-1258`), or `TCVN3` / `VNI`.
    pub encoding: &'static str,
    /// Where the choice came from: `bom`, `http`, `meta`, `utf8-override`, `detected`, or `legacy`
    /// when bytes declared or detected as windows-1252 were recognised as TCVN3 or VNI.
    pub decided_by: &'static str,
    /// Whether malformed sequences were replaced with U+FFFD.
    pub had_errors: bool,
}

/// Decode `bytes`. `http_charset` is the `charset` parameter of the Content-Type header;
/// `tld` (e.g. `vn`) helps detection.
pub fn decode(bytes: &[u8], http_charset: Option<&str>, tld: Option<&str>) -> Decoded {
    let (encoding, decided_by) = choose_encoding(bytes, http_charset, tld);
    // Legacy font encodings hide behind a Latin declaration or a detector's Latin guess.
    let latin_guess =
        encoding == encoding_rs::WINDOWS_1252 || (decided_by == "detected" && encoding != encoding_rs::UTF_8);
    if latin_guess
        && decided_by != "bom"
        && let Some(legacy) = detect_legacy(bytes)
    {
        let text = decode_legacy(bytes, legacy);
        return Decoded { text, encoding: legacy.name(), decided_by: "legacy", had_errors: false };
    }
    let (text, _, had_errors) = encoding.decode(bytes);
    // Windows-1258 and NFD sources leave combining marks: compose them so tokens stay whole.
    let text = to_nfc(text);
    Decoded { text, encoding: encoding.name(), decided_by, had_errors }
}

fn choose_encoding(bytes: &[u8], http_charset: Option<&str>, tld: Option<&str>) -> (&'static Encoding, &'static str) {
    if let Some((encoding, _)) = Encoding::for_bom(bytes) {
        return (encoding, "bom");
    }
    let declared =
        http_charset.and_then(|label| Encoding::for_label(label.trim().as_bytes())).map(|e| (e, "http")).or_else(
            || sniff_meta_charset(bytes).and_then(|label| Encoding::for_label(label.as_bytes())).map(|e| (e, "meta")),
        );
    if let Some((encoding, how)) = declared {
        let latin = encoding == encoding_rs::WINDOWS_1252 || encoding.name() == "ISO-8859-1";
        if latin && !bytes.is_ascii() && mostly_utf8(bytes) {
            return (encoding_rs::UTF_8, "utf8-override");
        }
        // UTF-16 labels in HTTP/meta without a BOM are almost always wrong for HTML.
        if encoding == encoding_rs::UTF_16LE || encoding == encoding_rs::UTF_16BE {
            return (encoding_rs::UTF_8, how);
        }
        return (encoding, how);
    }
    if mostly_utf8(bytes) {
        return (encoding_rs::UTF_8, "detected");
    }
    let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    detector.feed(bytes, true);
    let tld = tld.map(str::as_bytes);
    (detector.guess(tld, chardetng::Utf8Detection::Allow), "detected")
}

/// Whether `bytes` are UTF-8, or UTF-8 with a few stray bytes (a character cut short, a byte of
/// another encoding pasted in): then the stray bytes become U+FFFD and the rest reads as written,
/// where the detector's single-byte guess turned every Vietnamese letter into mojibake. Text in
/// a single-byte encoding (windows-1252, TCVN3, VNI) forms well-formed multi-byte sequences only
/// by chance, and malformed ones all the time.
fn mostly_utf8(bytes: &[u8]) -> bool {
    let lead_bytes = |valid: &[u8]| valid.iter().filter(|&&b| b >= 0xC0).count();
    let (mut well_formed, mut malformed) = (0, 0);
    let mut rest = bytes;
    loop {
        match std::str::from_utf8(rest) {
            Ok(valid) => {
                well_formed += lead_bytes(valid.as_bytes());
                break;
            }
            Err(e) => {
                let (valid, after) = rest.split_at(e.valid_up_to());
                well_formed += lead_bytes(valid);
                // `None`: a character cut short by the end of the bytes, as a size limit cuts a
                // page; that says nothing of the encoding, unless it is the only character that
                // is not ASCII (`Caf\xE9` is windows-1252).
                let Some(bad) = e.error_len() else {
                    malformed += usize::from(well_formed == 0);
                    break;
                };
                malformed += 1;
                rest = after.get(bad..).unwrap_or_default();
            }
        }
    }
    malformed == 0 || (well_formed >= 3 && well_formed >= 4 * malformed)
}

/// The `charset` named by a `<meta charset>` or `<meta http-equiv content="...; charset=">` in the
/// first 1024 bytes, as HTML's prescan does.
pub fn sniff_meta_charset(bytes: &[u8]) -> Option<String> {
    let head = &bytes[..bytes.len().min(1024)];
    let lower: Vec<u8> = head.iter().map(u8::to_ascii_lowercase).collect();
    let mut from = 0;
    while let Some(pos) = find(&lower[from..], b"<meta") {
        let tag_start = from + pos;
        let tag_end = find(&lower[tag_start..], b">").map_or(lower.len(), |e| tag_start + e);
        let tag = &lower[tag_start..tag_end];
        if let Some(c) = find(tag, b"charset") {
            let mut rest = &tag[c + 7..];
            rest = trim_start(rest);
            if let Some(after_eq) = rest.strip_prefix(b"=") {
                let value = trim_start(after_eq);
                let value = value.strip_prefix(b"\"").or_else(|| value.strip_prefix(b"'")).unwrap_or(value);
                let end = value
                    .iter()
                    .position(|b| matches!(b, b'"' | b'\'' | b';' | b' ' | b'/' | b'>'))
                    .unwrap_or(value.len());
                let label = String::from_utf8_lossy(&value[..end]).trim().to_string();
                if !label.is_empty() {
                    return Some(label);
                }
            }
        }
        from = tag_end.max(tag_start + 5);
        if from >= lower.len() {
            break;
        }
    }
    None
}

fn trim_start(mut s: &[u8]) -> &[u8] {
    while let [first, rest @ ..] = s {
        if first.is_ascii_whitespace() {
            s = rest;
        } else {
            break;
        }
    }
    s
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "Tiếng Việt có dấu: người dân, thủy lợi, Đà Nẵng.";

    #[test]
    fn utf8_with_and_without_declaration() {
        let d = decode(TEXT.as_bytes(), None, None);
        assert_eq!(d.text, TEXT);
        let d = decode(TEXT.as_bytes(), Some("iso-8859-1"), None);
        assert_eq!(d.text, TEXT);
        assert_eq!(d.decided_by, "utf8-override");
    }

    #[test]
    fn utf8_with_a_stray_byte_stays_utf8() {
        let mut bytes = "Người dân Hà Nội ".as_bytes().to_vec();
        bytes.push(0xFF);
        bytes.extend_from_slice(" đang chờ".as_bytes());
        for declared in [None, Some("iso-8859-1")] {
            let d = decode(&bytes, declared, None);
            assert_eq!(d.text, "Người dân Hà Nội \u{FFFD} đang chờ", "{declared:?}");
            assert_eq!(d.encoding, "UTF-8");
            assert!(d.had_errors);
        }
        // A page cut inside its last character by a size limit.
        let cut = &"Thành phố Hồ Chí Minh".as_bytes()[..21];
        assert_eq!(decode(cut, None, None).text, "Thành phố Hồ Ch\u{FFFD}");
        // A single-byte text whose only letter with a mark is its last.
        assert_eq!(decode(b"Caf\xe9", None, None).text, "Café");
        assert_eq!(decode(b"<p>Caf\xe9", Some("iso-8859-1"), None).text, "<p>Café");
    }

    #[test]
    fn windows_1258_composes_to_nfc() {
        // Windows-1258 writes tone marks as separate combining characters.
        let marks = ['\u{0300}', '\u{0301}', '\u{0309}', '\u{0303}', '\u{0323}'];
        let decomposed: String = TEXT
            .chars()
            .flat_map(|c| match crate::tone::vowel_parts(c) {
                Some((base, tone)) if tone > 0 => vec![base, marks[tone - 1]],
                _ => vec![c],
            })
            .collect();
        let (bytes, _, unmappable) = encoding_rs::WINDOWS_1258.encode(&decomposed);
        assert!(!unmappable);
        let d = decode(&bytes, Some("windows-1258"), Some("vn"));
        assert_eq!(d.text, TEXT);
        let meta = [b"<html><head><meta charset=\"windows-1258\"></head><body>".as_slice(), &bytes].concat();
        let d = decode(&meta, None, Some("vn"));
        assert_eq!(d.encoding, "windows-1258");
        assert_eq!(d.decided_by, "meta");
    }

    #[test]
    fn bom_wins_over_header() {
        let bytes = [b"\xEF\xBB\xBF".as_slice(), TEXT.as_bytes()].concat();
        let d = decode(&bytes, Some("windows-1252"), None);
        assert_eq!(d.decided_by, "bom");
        assert_eq!(d.text, TEXT);
    }

    #[test]
    fn latin1_text_is_left_alone() {
        let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode("Le café est déjà prêt, Müller.");
        let d = decode(&bytes, Some("iso-8859-1"), None);
        assert_eq!(d.text, "Le café est déjà prêt, Müller.");
    }

    #[test]
    fn meta_prescan() {
        assert_eq!(
            sniff_meta_charset(b"<meta http-equiv=Content-Type content='text/html; charset=UTF-8'>").as_deref(),
            Some("utf-8")
        );
        assert_eq!(sniff_meta_charset(b"<META CHARSET = 'windows-1258'>").as_deref(), Some("windows-1258"));
        assert_eq!(sniff_meta_charset(b"<meta name=x>"), None);
    }
}

/// Whether bytes look like binary data (an image, a PDF, an archive) rather than text: a NUL
/// byte, or more than 2% control characters, in the first 8 KiB.
pub fn looks_binary(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(8192)];
    if head.is_empty() {
        return false;
    }
    let controls = head.iter().filter(|&&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0c | 0x1b)).count();
    head.contains(&0) || controls * 50 > head.len()
}

#[cfg(test)]
mod binary_tests {
    use super::*;

    #[test]
    fn binary_and_text() {
        assert!(looks_binary(b"%PDF-1.4\x00\x01\x02"));
        assert!(looks_binary(&[0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d]));
        assert!(!looks_binary("<html><body>Tiếng Việt</body></html>".as_bytes()));
        assert!(!looks_binary(b""));
    }
}
