//! Bytes from anywhere through decoding and every text function: nothing may panic, and the
//! invariants the rest of duluan relies on must hold.
#![no_main]

use duluan_text::{Analysis, Legacy, View, clean, decode, decode_legacy, detect_language, fold, normalize};
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

    let analysis = Analysis::new(text);
    for &(start, end) in &analysis.spans {
        assert!(start < end && text.is_char_boundary(start) && text.is_char_boundary(end));
    }
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
