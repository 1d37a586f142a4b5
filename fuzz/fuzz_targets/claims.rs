//! The known-claims file (`rules/claims.toml`) on arbitrary bytes: parsing never panics, and the
//! claims that load are matched against the same text as an item without panicking, with every
//! span inside its field and on char boundaries.

#![no_main]

use std::path::Path;

use duluan_model::Field;
use duluan_rules::{ClaimOptions, KnownClaims, parse_claims};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let src = String::from_utf8_lossy(data);
    let Ok(claims) = parse_claims(Path::new("claims.toml"), &src, &ClaimOptions::default()) else { return };
    let known = KnownClaims::new(claims, ClaimOptions::default());
    let (title, text) = src.split_at_checked(src.len() / 2).unwrap_or(("", src.as_ref()));
    let at = chrono::Utc::now();
    for flag in known.matches_text(title, text, at) {
        for span in &flag.spans {
            let field = if span.field == Field::Title { title } else { text };
            assert!(span.start <= span.end && span.end <= field.len(), "{span:?}");
            assert!(field.is_char_boundary(span.start) && field.is_char_boundary(span.end), "{span:?}");
        }
    }
});
