//! The rule language and rule packs on arbitrary bytes: the expression parser never panics, its
//! errors point inside the source at a char boundary, and what parses prints back to text that
//! parses to the same tree; a pack file (TOML) is read without panicking, whatever it holds.
//! What parses is also compiled as a rule (its terms go through the syllable matcher and the
//! presearch) and matched against the same bytes as title and text (or, after a NUL byte, the
//! bytes that follow): every span lies inside its field on char boundaries, and each rule fires
//! among others exactly as in a set of its own.

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
    // After a NUL byte, the text to match the rules on (else the query itself).
    let (query, text) = src.split_once('\0').unwrap_or((&src, &src));
    if parse(query).is_ok() {
        match_on(query, text);
    }
});

/// `src` as the query of two rules (exact and folded) plus fixed ones, matched on `text` as title
/// and text. The fixed ones share paths with common inputs, one across phrase breaks
/// (`"giá. tăng"`), so that a rule's terms meet others': each rule must fire among the others
/// exactly as in a set of its own.
fn match_on(src: &str, text: &str) {
    // A TOML basic string: quotes, backslashes and control characters escaped.
    let query: String = src
        .chars()
        .map(|c| match c {
            '"' | '\\' => format!("\\{c}"),
            c if c.is_control() => format!("\\u{:04X}", c as u32),
            c => c.to_string(),
        })
        .collect();
    let rules = [
        format!("[[rule]]\nid = \"exact\"\nseverity = \"low\"\nquery = \"{query}\"\n"),
        format!("[[rule]]\nid = \"folded\"\nseverity = \"low\"\nmode = \"folded\"\nquery = \"{query}\"\n"),
        "[[rule]]\nid = \"fixed\"\nseverity = \"low\"\nquery = \"giá AND tăng*\"\n".to_string(),
        "[[rule]]\nid = \"crossing\"\nseverity = \"low\"\nmode = \"folded\"\nquery = '\"giá. tăng\" OR \"a, b*\"'\n"
            .to_string(),
    ];
    let Some(all) = compile(&rules.concat()) else { return };
    let doc = duluan_rules::Doc { title: text, text, ..Default::default() };
    let flags = all.matches(&doc);
    for span in flags.iter().flat_map(|f| &f.spans) {
        assert!(span.start <= span.end && span.end <= text.len(), "{span:?} outside {text:?}");
        assert!(text.is_char_boundary(span.start) && text.is_char_boundary(span.end), "{span:?} in {text:?}");
    }
    for rule in &rules {
        let Some(alone) = compile(rule) else { continue };
        for id in alone.rules().iter().map(|r| r.id.as_str()) {
            let fired_alone = alone.matches(&doc).iter().any(|f| f.rule == id);
            assert_eq!(fired_alone, flags.iter().any(|f| f.rule == id), "rule {id} of {src:?} on {text:?}");
        }
    }
}

fn compile(pack: &str) -> Option<duluan_rules::RuleSet> {
    let mut packs = duluan_rules::Packs::default();
    let mut errors = Vec::new();
    duluan_rules::read_pack(Path::new("fuzz.toml"), pack, &mut packs, &mut errors);
    duluan_rules::RuleSet::compile(packs).ok()
}
