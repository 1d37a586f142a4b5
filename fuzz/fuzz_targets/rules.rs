//! The rule language and rule packs on arbitrary bytes: the expression parser never panics, its
//! errors point inside the source at a char boundary, and what parses prints back to text that
//! parses to the same tree; a pack file (TOML) is read without panicking, whatever it holds.

#![no_main]

use std::path::Path;

use duluan_rules::expr::parse;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let src = String::from_utf8_lossy(data);
    match parse(&src) {
        Ok(expr) => {
            let printed = expr.to_string();
            match parse(&printed) {
                Ok(again) => assert_eq!(expr, again, "{src:?} printed as {printed:?}"),
                Err(e) => panic!("{src:?} printed as {printed:?}, which does not parse: {e}"),
            }
        }
        Err(e) => assert!(e.offset <= src.len() && src.is_char_boundary(e.offset), "{e}"),
    }
    let mut packs = duluan_rules::Packs::default();
    let mut errors = Vec::new();
    duluan_rules::read_pack(Path::new("fuzz.toml"), &src, &mut packs, &mut errors);
});
