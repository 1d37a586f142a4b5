//! Known claims on any input: matching never panics, similarities stay in [0, 1], spans fall on
//! char boundaries inside their field, a claim always matches its own text, and the claims-file
//! parser rejects garbage with a message instead of a crash.

use std::path::Path;

use chrono::{NaiveDate, TimeZone, Utc};
use duluan_model::Field;
use duluan_rules::{Claim, ClaimOptions, ClaimVerdict, KnownClaims, parse_claims};
use proptest::prelude::*;

fn claim(id: usize, text: String) -> Claim {
    let added = NaiveDate::from_ymd_opt(2026, 11, 1).unwrap_or_default();
    Claim::new(format!("c{id}"), text, ClaimVerdict::False, added, "test".into())
}

/// Vietnamese-looking text: syllables with and without marks, digits, punctuation, emoji, odd
/// Unicode (combining marks alone, zero-width joiners).
fn text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        prop::sample::select(vec![
            "giá", "gia", "xăng", "xang", "tăng", "tang", "HOÀ", "hòa", "đập", "dap", "vỡ", "vo", "tin", "đồn", "và",
            "của", "những", "50.000", "RON95", "😱", "\u{301}", "\u{200d}", "ở", "o", "!!!", "\n",
        ])
        .prop_map(str::to_string),
        "\\PC{0,6}",
    ];
    prop::collection::vec(piece, 0..60).prop_map(|v| v.join(" "))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn matching_never_panics_and_stays_in_bounds(
        claims in prop::collection::vec(text(), 0..6),
        title in text(),
        body in text(),
        shingle in 1usize..5,
        days in -400i64..400,
    ) {
        let options = ClaimOptions { shingle, min_shared: 1, ..ClaimOptions::default() };
        let known = KnownClaims::new(Vec::new(), options);
        known.set_stored(claims.into_iter().enumerate().map(|(i, t)| claim(i, t)).collect());
        let at = Utc.with_ymd_and_hms(2026, 11, 1, 12, 0, 0).single().unwrap_or_default() + chrono::Duration::days(days);
        for flag in known.matches_text(&title, &body, at) {
            let m = flag.claim.as_ref().expect("claim flags carry their claim");
            prop_assert!((0.0..=1.0).contains(&m.similarity), "{m:?}");
            for span in &flag.spans {
                let field = if span.field == Field::Title { &title } else { &body };
                prop_assert!(span.start <= span.end && span.end <= field.len());
                prop_assert!(field.is_char_boundary(span.start) && field.is_char_boundary(span.end));
            }
        }
    }

    #[test]
    fn a_claim_matches_its_own_text(body in text()) {
        let options = ClaimOptions::default();
        prop_assume!(duluan_rules::check_claim_text(&body, &options).is_ok());
        let known = KnownClaims::new(vec![claim(0, body.clone())], options);
        let at = Utc.with_ymd_and_hms(2026, 11, 1, 12, 0, 0).single().unwrap_or_default();
        let flags = known.matches_text("", &body, at);
        prop_assert_eq!(flags.len(), 1);
        prop_assert_eq!(flags[0].claim.as_ref().map(|m| m.similarity), Some(1.0));
    }

    #[test]
    fn the_claims_file_parser_never_panics(source in "\\PC{0,300}") {
        let _ = parse_claims(Path::new("claims.toml"), &source, &ClaimOptions::default());
    }

    #[test]
    fn claims_files_with_any_field_values_are_accepted_or_refused_cleanly(
        id in "\\PC{0,12}",
        body in text(),
        verdict in prop::sample::select(vec!["false", "true", "misleading", "unverified", "maybe"]),
        added in "\\PC{0,12}",
    ) {
        let source = format!(
            "[[claim]]\nid = {id:?}\ntext = {body:?}\nverdict = {verdict:?}\nadded = {added:?}\n"
        );
        if let Err(errors) = parse_claims(Path::new("claims.toml"), &source, &ClaimOptions::default()) {
            prop_assert!(!errors.is_empty());
            prop_assert!(errors.iter().all(|e| e.to_string().starts_with("claims.toml")));
        }
    }
}
