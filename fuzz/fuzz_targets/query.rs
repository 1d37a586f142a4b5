//! The search query language on arbitrary bytes: the parser never panics, its errors point at a
//! char boundary inside the query with the right column, and what parses prints back to text
//! that parses to the same expression.

#![no_main]

use chrono::DateTime;
use duluan_index::syntax::parse;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let now = DateTime::from_timestamp(1_640_000_000, 0).unwrap_or_default();
    match parse(&text, now) {
        Ok(expr) => {
            let printed = expr.to_string();
            match parse(&printed, now) {
                Ok(again) => assert_eq!(expr, again, "{text:?} printed as {printed:?}"),
                Err(e) => panic!("{text:?} printed as {printed:?}, which does not parse: {e}"),
            }
        }
        Err(e) => {
            assert!(e.offset <= text.len() && text.is_char_boundary(e.offset), "{e:?}");
            assert_eq!(e.column, text[..e.offset].chars().count() + 1, "{e:?}");
        }
    }
});
