//! Pre-Unicode Vietnamese 8-bit encodings: TCVN3 (ABC) and VNI.
//!
//! Old Vietnamese pages and documents were written in font encodings that put Vietnamese letters
//! on the upper half of an 8-bit code page. Such pages are almost always declared (or detected)
//! as windows-1252/ISO-8859-1, and read that way they turn into `ViÖt Nam`, `Hµ Néi` (TCVN3) or
//! `Vieät Nam`, `Haø Noäi` (VNI). [`detect_legacy`] recognises them from the bytes, and
//! [`decode_legacy`] converts them by table.
//!
//! Sources of the tables:
//! - TCVN3: bytes 0xA0..0xFF are the `TCVN5712-1` table of glibc iconv (TCVN 5712:1993, the VN3
//!   letters of which are what ABC fonts use), dumped with `iconv -f TCVN5712-1 -t UTF-32BE` one
//!   byte at a time. Bytes 0x80..0x9F are not Vietnamese letters in ABC fonts (they hold uppercase
//!   letters only in the VN1 variant); in Windows documents they are Windows-1252 punctuation, so
//!   they are decoded as such.
//! - VNI (VNI-Windows fonts): a letter byte is followed by a modifier byte that adds a quality
//!   mark and/or a tone, and a few letters have bytes of their own. The scheme is the one of the
//!   VNI-Windows fonts as published by VNI Software and reproduced by every Vietnamese converter
//!   (UniKey's `vnconv` tables; the MIT-licensed npm package `vietnamese-conversion` by duydev,
//!   `src/charsets.ts`, was used to check every one of the 134 letters). The modifiers are applied
//!   as Unicode combining marks and composed with NFC, which is exactly what the glyphs do.
//!
//! The confidence check: a conversion is accepted only when at least three words change, nine in
//! ten of the words with non-ASCII letters become valid Vietnamese syllables, and clearly more of
//! them do than in the windows-1252 reading. French, German or Spanish text fails it: their
//! accented words (`café`, `für`, `año`) never become Vietnamese syllables.

use unicode_normalization::UnicodeNormalization;

use crate::syllable::is_syllable;
use crate::tokens::tokens;

/// A legacy Vietnamese 8-bit encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Legacy {
    /// TCVN 5712:1993 VN3, the ABC fonts (`.VnTime`).
    Tcvn3,
    /// VNI-Windows fonts (`VNI-Times`).
    Vni,
}

impl Legacy {
    /// The name reported in [`crate::Decoded::encoding`].
    pub fn name(self) -> &'static str {
        match self {
            Legacy::Tcvn3 => "TCVN3",
            Legacy::Vni => "VNI",
        }
    }
}

/// TCVN3 bytes 0xA0..=0xFF (glibc iconv `TCVN5712-1`). 0xB0..0xB4 are combining tone marks.
const TCVN3_HIGH: [char; 96] = [
    '\u{00A0}', '\u{0102}', '\u{00C2}', '\u{00CA}', '\u{00D4}', '\u{01A0}', '\u{01AF}', '\u{0110}', // 0xA0
    '\u{0103}', '\u{00E2}', '\u{00EA}', '\u{00F4}', '\u{01A1}', '\u{01B0}', '\u{0111}', '\u{1EB0}', // 0xA8
    '\u{0300}', '\u{0309}', '\u{0303}', '\u{0301}', '\u{0323}', '\u{00E0}', '\u{1EA3}', '\u{00E3}', // 0xB0
    '\u{00E1}', '\u{1EA1}', '\u{1EB2}', '\u{1EB1}', '\u{1EB3}', '\u{1EB5}', '\u{1EAF}', '\u{1EB4}', // 0xB8
    '\u{1EAE}', '\u{1EA6}', '\u{1EA8}', '\u{1EAA}', '\u{1EA4}', '\u{1EC0}', '\u{1EB7}', '\u{1EA7}', // 0xC0
    '\u{1EA9}', '\u{1EAB}', '\u{1EA5}', '\u{1EAD}', '\u{00E8}', '\u{1EC2}', '\u{1EBB}', '\u{1EBD}', // 0xC8
    '\u{00E9}', '\u{1EB9}', '\u{1EC1}', '\u{1EC3}', '\u{1EC5}', '\u{1EBF}', '\u{1EC7}', '\u{00EC}', // 0xD0
    '\u{1EC9}', '\u{1EC4}', '\u{1EBE}', '\u{1ED2}', '\u{0129}', '\u{00ED}', '\u{1ECB}', '\u{00F2}', // 0xD8
    '\u{1ED4}', '\u{1ECF}', '\u{00F5}', '\u{00F3}', '\u{1ECD}', '\u{1ED3}', '\u{1ED5}', '\u{1ED7}', // 0xE0
    '\u{1ED1}', '\u{1ED9}', '\u{1EDD}', '\u{1EDF}', '\u{1EE1}', '\u{1EDB}', '\u{1EE3}', '\u{00F9}', // 0xE8
    '\u{1ED6}', '\u{1EE7}', '\u{0169}', '\u{00FA}', '\u{1EE5}', '\u{1EEB}', '\u{1EED}', '\u{1EEF}', // 0xF0
    '\u{1EE9}', '\u{1EF1}', '\u{1EF3}', '\u{1EF7}', '\u{1EF9}', '\u{00FD}', '\u{1EF5}', '\u{1ED0}', // 0xF8
];

/// How much of a document the detector reads: enough words to decide, bounded cost.
const SAMPLE_BYTES: usize = 32 * 1024;

/// Decode `bytes` from a legacy encoding into NFC text.
pub fn decode_legacy(bytes: &[u8], legacy: Legacy) -> String {
    let raw: String = match legacy {
        Legacy::Tcvn3 => bytes.iter().map(|&b| tcvn3_char(b)).collect(),
        Legacy::Vni => vni_to_marks(&windows_1252(bytes)),
    };
    raw.nfc().collect()
}

/// Whether `bytes`, which a declaration or a detector calls windows-1252/ISO-8859-1, are really
/// TCVN3 or VNI Vietnamese (see the module documentation for the confidence check).
pub fn detect_legacy(bytes: &[u8]) -> Option<Legacy> {
    let sample = &bytes[..bytes.len().min(SAMPLE_BYTES)];
    if sample.iter().filter(|&&b| b >= 0xA0).count() < 3 {
        return None;
    }
    let latin = score(&windows_1252(sample));
    [Legacy::Tcvn3, Legacy::Vni]
        .into_iter()
        .map(|legacy| (legacy, score(&decode_legacy(sample, legacy))))
        .filter(|(_, s)| s.changed >= 3 && s.valid * 10 >= s.changed * 9 && s.share() > latin.share() + 0.3)
        .max_by(|a, b| a.1.share().total_cmp(&b.1.share()))
        .map(|(legacy, _)| legacy)
}

/// Words with non-ASCII letters, and how many of them are Vietnamese syllables.
#[derive(Debug, Clone, Copy)]
struct Score {
    changed: usize,
    valid: usize,
}

impl Score {
    fn share(self) -> f32 {
        if self.changed == 0 { 0.0 } else { self.valid as f32 / self.changed as f32 }
    }
}

fn score(text: &str) -> Score {
    let mut s = Score { changed: 0, valid: 0 };
    for (start, end) in tokens(text) {
        let word = &text[start..end];
        if word.is_ascii() {
            continue;
        }
        s.changed += 1;
        s.valid += usize::from(is_syllable(word));
    }
    s
}

fn tcvn3_char(b: u8) -> char {
    match b {
        0..0x80 => char::from(b),
        0x80..0xA0 => windows_1252_char(b),
        _ => TCVN3_HIGH.get(usize::from(b - 0xA0)).copied().unwrap_or('\u{FFFD}'),
    }
}

fn windows_1252(bytes: &[u8]) -> String {
    encoding_rs::WINDOWS_1252.decode_without_bom_handling(bytes).0.into_owned()
}

fn windows_1252_char(b: u8) -> char {
    windows_1252(&[b]).chars().next().unwrap_or('\u{FFFD}')
}

/// VNI text read as windows-1252, with its modifier characters turned into combining marks and
/// its letters of their own into Unicode letters (not yet composed).
fn vni_to_marks(latin: &str) -> String {
    let mut out = String::with_capacity(latin.len() + latin.len() / 4);
    let mut after_vowel = false;
    for c in latin.chars() {
        if after_vowel && let Some(marks) = vni_modifier(c) {
            out.extend(marks.iter().copied().flatten());
            after_vowel = false;
            continue;
        }
        let letter = vni_letter(c).unwrap_or(c);
        out.push(letter);
        after_vowel = matches!(letter.to_ascii_lowercase(), 'a' | 'e' | 'i' | 'o' | 'u' | 'y')
            || matches!(letter, 'ơ' | 'Ơ' | 'ư' | 'Ư');
    }
    out
}

const GRAVE: char = '\u{0300}';
const ACUTE: char = '\u{0301}';
const CIRCUMFLEX: char = '\u{0302}';
const TILDE: char = '\u{0303}';
const BREVE: char = '\u{0306}';
const HOOK: char = '\u{0309}';
const DOT: char = '\u{0323}';

/// The marks a VNI modifier byte (as its windows-1252 character, either case) adds to the vowel
/// before it: a quality mark (circumflex, breve), a tone, or both.
fn vni_modifier(c: char) -> Option<[Option<char>; 2]> {
    let (quality, tone) = match c.to_lowercase().next()? {
        'ø' => (None, GRAVE),
        'ù' => (None, ACUTE),
        'û' => (None, HOOK),
        'õ' => (None, TILDE),
        'ï' => (None, DOT),
        'â' => return Some([Some(CIRCUMFLEX), None]),
        'ê' => return Some([Some(BREVE), None]),
        'à' => (Some(CIRCUMFLEX), GRAVE),
        'á' => (Some(CIRCUMFLEX), ACUTE),
        'å' => (Some(CIRCUMFLEX), HOOK),
        'ã' => (Some(CIRCUMFLEX), TILDE),
        'ä' => (Some(CIRCUMFLEX), DOT),
        'è' => (Some(BREVE), GRAVE),
        'é' => (Some(BREVE), ACUTE),
        'ú' => (Some(BREVE), HOOK),
        'ü' => (Some(BREVE), TILDE),
        'ë' => (Some(BREVE), DOT),
        _ => return None,
    };
    Some([quality, Some(tone)])
}

/// VNI letters that have a byte of their own.
fn vni_letter(c: char) -> Option<char> {
    Some(match c {
        'ñ' => 'đ',
        'Ñ' => 'Đ',
        'ô' => 'ơ',
        'Ô' => 'Ơ',
        'ö' => 'ư',
        'Ö' => 'Ư',
        'æ' => 'ỉ',
        'Æ' => 'Ỉ',
        'ò' => 'ị',
        'Ò' => 'Ị',
        'ó' => 'ĩ',
        'Ó' => 'Ĩ',
        'î' => 'ỵ',
        'Î' => 'Ỵ',
        // ì, í, Ì, Í are the same letters in VNI and windows-1252.
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tcvn3(text: &str) -> Vec<u8> {
        text.chars()
            .map(|c| {
                if c.is_ascii() {
                    return c as u8;
                }
                let found = TCVN3_HIGH.iter().position(|&t| t == c);
                found.and_then(|i| u8::try_from(i + 0xA0).ok()).unwrap_or(b'?')
            })
            .collect()
    }

    #[test]
    fn tcvn3_mojibake_examples() {
        assert_eq!(decode_legacy(b"Vi\xd6t Nam, H\xb5 N\xe9i", Legacy::Tcvn3), "Việt Nam, Hà Nội");
        assert_eq!(tcvn3("Việt Nam"), b"Vi\xd6t Nam");
    }

    #[test]
    fn vni_mojibake_examples() {
        let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode("Vieät Nam, Haø Noäi, ñöôïc, Ñaø Naüng, quyù");
        assert_eq!(decode_legacy(&bytes, Legacy::Vni), "Việt Nam, Hà Nội, được, Đà Nẵng, quý");
    }

    #[test]
    fn latin1_is_not_legacy() {
        for text in [
            "Le café est déjà prêt, à côté de l'hôtel où nous étions. Noël à Paris, naïf et ému.",
            "Müller fährt über die Brücke, schön und groß; Grüße aus Köln für Jürgen.",
            "El niño comió más piñas en España; sí, está aquí después de la reunión.",
            "À été très ému, où êtes-vous? Ça va, merci à tous.",
        ] {
            let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode(text);
            assert_eq!(detect_legacy(&bytes), None, "{text}");
        }
    }
}
