//! Bytes from anywhere through decoding and every text function: nothing may panic, and the
//! invariants the rest of duluan relies on must hold.
#![no_main]

use duluan_text::{
    Analysis, Legacy, View, clean, decode, decode_legacy, detect_language, fold, normalize, normalize_token_into, tokens,
};
use libfuzzer_sys::fuzz_target;

/// Charset labels as HTTP headers and `<meta>` tags give them, chosen by the first byte.
const LABELS: [Option<&str>; 6] =
    [None, Some("utf-8"), Some("windows-1252"), Some("iso-8859-1"), Some("windows-1258"), Some("x-bogus")];

fuzz_target!(|data: &[u8]| {
    let (label, bytes) = match data.split_first() {
        Some((first, rest)) => (LABELS[usize::from(*first) % LABELS.len()], rest),
        None => (None, data),
    };
    let decoded = decode(bytes, label, Some("vn"));
    let text = decoded.text.as_str();

    let normalized = normalize(text);
    assert_eq!(normalize(&normalized), normalized, "normalize is idempotent");
    let cleaned = clean(text);
    assert_eq!(clean(&cleaned), cleaned, "clean is idempotent");
    assert_eq!(fold(&normalized), normalize(&fold(text)), "folding commutes with normalisation");

    // Analysed twice: the second time most tokens' forms come from the thread's cache; both must
    // be what the one-token definitions give.
    for analysis in [Analysis::new(text), Analysis::new(text)] {
        let mut exact = String::new();
        for (i, &(start, end)) in analysis.spans.iter().enumerate() {
            assert!(start < end && text.is_char_boundary(start) && text.is_char_boundary(end));
            exact.clear();
            normalize_token_into(&text[start..end], &mut exact);
            assert_eq!(analysis.token(View::Exact, i), exact, "exact form of token {i}");
            assert_eq!(analysis.token(View::Folded, i), fold(&exact), "folded form of token {i}");
        }
        assert_eq!(tokens(text).collect::<Vec<_>>(), analysis.spans);
    }
    let analysis = Analysis::new(text);
    for view in [View::Exact, View::Folded, View::Informal, View::InformalFolded] {
        let joined = analysis.joined(view);
        if let Some((first, last)) = analysis.token_range(view, 0, joined.len(), false) {
            let (s, e) = analysis.original_range(first, last);
            assert!(text.is_char_boundary(s) && text.is_char_boundary(e));
        }
    }
    let _ = detect_language(text, None);
    let _ = decode_legacy(bytes, Legacy::Tcvn3);
    let _ = decode_legacy(bytes, Legacy::Vni);
});
