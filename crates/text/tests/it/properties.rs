//! Properties over generated text. Cases default to 256 per property (override with
//! `PROPTEST_CASES`), which keeps the suite under a few seconds.

use duluan_text::analyzer::SyllableTokenizer;
use duluan_text::{
    Analysis, Legacy, View, canonical_tone_placement, clean, decode, decode_legacy, detect_language, detect_legacy,
    fold, normalize, normalize_token_into, parse_date_at, tokens,
};
use proptest::prelude::*;
use tantivy_tokenizer_api::{TokenStream, Tokenizer};

/// Vietnamese-heavy text: letters with every tone, decomposed marks, invisible characters,
/// spaces of all kinds, punctuation, digits, and some other scripts.
fn text() -> impl Strategy<Value = String> {
    let pieces = prop_oneof![
        8 => prop::sample::select(vec![
            "hòa", "hoà", "HOÀ", "thuỷ", "khoẻ", "qúy", "giữa", "người", "ngừơi", "Nguyễn", "Đức", "khuỷu", "hòang",
            "ko", "đc", "mn", "quáaaa", "COVID-19", "50k", "café", "naïve", "Ελλάδα", "한국", "日本語", "🙂",
        ]).prop_map(str::to_string),
        4 => "[a-zA-ZàáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđĐÀÁẢÃẠĂÂÈÉÊÌÍÒÓÔƠÙÚƯỲÝ]{1,8}",
        2 => prop::sample::select(vec![
            " ", "  ", "\n", "\n\n", "\t", "\u{00A0}", "\u{200B}", "\u{FEFF}", "\u{00AD}", "\u{2009}", "\r\n",
            "\u{0300}", "\u{0301}", "\u{0302}", "\u{0303}", "\u{0306}", "\u{0309}", "\u{031B}", "\u{0323}", "e\u{0302}\u{0301}",
            "“", "”", "‘", "’", "—", "–", "…", "«", "»", "`", ",", ".", "!", "?", "(", ")", "-", "/", ":", "\u{0007}",
        ]).prop_map(str::to_string),
        1 => any::<char>().prop_map(|c| c.to_string()),
    ];
    prop::collection::vec(pieces, 0..40).prop_map(|p| p.concat())
}

/// Generated text without characters that clean removes (they join tokens once removed).
fn visible_text() -> impl Strategy<Value = String> {
    text().prop_map(|t| t.chars().filter(|&c| !c.is_control() || c == '\n').filter(|c| !matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}' | '\u{00AD}')).collect())
}

fn is_boundaries(text: &str, spans: &[(usize, usize)]) -> bool {
    let mut last = 0;
    spans.iter().all(|&(s, e)| {
        let ok = s >= last && s < e && e <= text.len() && text.is_char_boundary(s) && text.is_char_boundary(e);
        last = e;
        ok
    })
}

proptest! {
    #[test]
    fn normalize_is_idempotent(t in text()) {
        let once = normalize(&t);
        prop_assert_eq!(normalize(&once), once.clone());
        let cleaned = clean(&t);
        prop_assert_eq!(clean(&cleaned), cleaned);
    }

    #[test]
    fn folding_commutes_with_normalisation(t in text()) {
        prop_assert_eq!(fold(&normalize(&t)), normalize(&fold(&t)));
    }

    #[test]
    fn folded_tokens_of_normalised_and_raw_text_agree(t in visible_text()) {
        let raw = Analysis::new(&t);
        let normalised = Analysis::new(&normalize(&t));
        prop_assert_eq!(raw.joined(View::Folded), normalised.joined(View::Folded));
        prop_assert_eq!(raw.joined(View::Exact), normalised.joined(View::Exact));
    }

    /// `rules match` and examples read an item as given, the pipeline as `clean` stores it: both
    /// must find the same words (an invisible character between a letter and its combining mark
    /// once split `ga\u{200B}\u{0306}m`, which is `găm` once cleaned).
    #[test]
    fn raw_and_cleaned_text_have_the_same_tokens(t in text()) {
        let (raw, cleaned) = (Analysis::new(&t), Analysis::new(&clean(&t)));
        prop_assert_eq!(raw.joined(View::Exact), cleaned.joined(View::Exact));
        prop_assert_eq!(raw.phrase_breaks().collect::<Vec<_>>(), cleaned.phrase_breaks().collect::<Vec<_>>());
    }

    #[test]
    fn offsets_fall_on_char_boundaries(t in text()) {
        let spans: Vec<(usize, usize)> = tokens(&t).collect();
        prop_assert!(is_boundaries(&t, &spans));
        let a = Analysis::new(&t);
        prop_assert_eq!(&a.spans, &spans);
        for view in [View::Exact, View::Folded, View::Informal, View::InformalFolded] {
            let joined = a.joined(view);
            for (start, _) in joined.char_indices() {
                for end in [start + 1, joined.len()] {
                    if let Some((first, last)) = a.token_range(view, start, end, true) {
                        let (s, e) = a.original_range(first, last);
                        prop_assert!(s <= e && t.is_char_boundary(s) && t.is_char_boundary(e));
                    }
                }
            }
            for i in 0..a.len() {
                let _ = a.token(view, i);
            }
        }
        for mut tokenizer in [SyllableTokenizer::exact(), SyllableTokenizer::folded()] {
            let mut stream = tokenizer.token_stream(&t);
            let mut spans = Vec::new();
            while stream.advance() {
                let tok = stream.token();
                spans.push((tok.offset_from, tok.offset_to));
            }
            prop_assert!(is_boundaries(&t, &spans));
        }
    }

    /// The scanners copy unchanged stretches whole and remember tone decisions; every view must
    /// still be, token by token, what the one-token definitions give, and the tokenizers must
    /// agree with the views.
    #[test]
    fn views_agree_with_the_token_definitions(t in text()) {
        let a = Analysis::new(&t);
        let mut exact_stream = SyllableTokenizer::exact();
        let mut exact_stream = exact_stream.token_stream(&t);
        let mut folded_stream = SyllableTokenizer::folded();
        let mut folded_stream = folded_stream.token_stream(&t);
        for (i, &(start, end)) in a.spans.iter().enumerate() {
            let mut exact = String::new();
            normalize_token_into(&t[start..end], &mut exact);
            prop_assert_eq!(a.token(View::Exact, i), exact.as_str());
            prop_assert_eq!(a.token(View::Folded, i), fold(&exact));
            let folded = fold(&exact);
            let mut head = [0u8; 8];
            let key = match head.get_mut(..folded.len()) {
                Some(place) if !folded.is_empty() => {
                    place.copy_from_slice(folded.as_bytes());
                    u64::from_le_bytes(head)
                }
                _ => 0,
            };
            prop_assert_eq!(a.folded_keys()[i], key);
            if end - start <= 64 {
                prop_assert!(exact_stream.advance() && folded_stream.advance());
                // The analysis finds boundaries by blocks, the tokenizers character by character.
                let token = exact_stream.token();
                prop_assert_eq!((token.offset_from, token.offset_to), (start, end));
                prop_assert_eq!(&exact_stream.token().text, &exact);
                prop_assert_eq!(&folded_stream.token().text, &fold(&exact));
            }
        }
        prop_assert_eq!(tokens(&t).collect::<Vec<_>>(), a.spans.clone());
        let n = normalize(&t);
        let mut normalised = String::new();
        for (start, end) in tokens(&n) {
            normalize_token_into(&n[start..end], &mut normalised);
            normalised.push(' ');
        }
        let a = Analysis::new(&n);
        prop_assert_eq!(normalised.trim_end(), a.joined(View::Exact));
    }

    #[test]
    fn nothing_panics_on_any_string(t in any::<String>()) {
        let _ = normalize(&t);
        let _ = fold(&t);
        let _ = detect_language(&t, Some("vi"));
        let _ = canonical_tone_placement(&t);
        let now = chrono::Utc::now();
        let _ = parse_date_at(&t, now);
        let a = Analysis::new(&t);
        let _ = a.joined(View::InformalFolded);
    }

    #[test]
    fn nothing_panics_on_any_bytes(bytes in prop::collection::vec(any::<u8>(), 0..512), label in prop::sample::select(vec![None, Some("utf-8"), Some("windows-1252"), Some("windows-1258"), Some("utf-16le"), Some("bogus")])) {
        let d = decode(&bytes, label, Some("vn"));
        let _ = normalize(&d.text);
        let _ = detect_legacy(&bytes);
        let _ = decode_legacy(&bytes, Legacy::Tcvn3);
        let _ = decode_legacy(&bytes, Legacy::Vni);
        let _ = duluan_text::looks_binary(&bytes);
        let _ = duluan_text::sniff_meta_charset(&bytes);
    }
}

/// Inputs the fuzzer (`fuzz/`, target `decode_normalize`) found, kept as regression tests.
#[test]
fn fuzz_regressions() {
    let cases: [&[u8]; 1] = [
        // normalize was not idempotent: removing control characters brought Arabic combining
        // marks together in non-canonical order, and clean had checked NFC before removing them.
        b"\xde\xde\xde\xde\xde\xde\xf2\xf2\xf2\xf2\xf2\x00\x01\x00\x00\xf2\xf2\xf2\xf2\xf0\xde\xde\xde\xde\x00\x00\x07Na\x0c\x01\x00\x1a\xd9 \xe1 sbl",
    ];
    // As the fuzz target reads its input: the first byte picks the charset label.
    const LABELS: [Option<&str>; 6] =
        [None, Some("utf-8"), Some("windows-1252"), Some("iso-8859-1"), Some("windows-1258"), Some("x-bogus")];
    for input in cases {
        let (label, bytes) = match input.split_first() {
            Some((first, rest)) => (LABELS[usize::from(*first) % LABELS.len()], rest),
            None => (None, input),
        };
        let text = decode(bytes, label, Some("vn")).text;
        let once = normalize(&text);
        assert_eq!(normalize(&once), once, "{text:?}");
        assert_eq!(fold(&once), normalize(&fold(&text)), "{text:?}");
    }
}
