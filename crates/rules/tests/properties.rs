//! The rule language on any input: the parser never panics, its errors point inside the source
//! at a char boundary, and every expression prints back to text that parses to the same tree.
//! Oversized rule files, expressions and lists are refused with a message, never a crash.

use duluan_rules::expr::{Expr, parse};
use proptest::prelude::*;

fn word() -> impl Strategy<Value = String> {
    prop::sample::select(vec!["vắc", "xin", "khẩu", "trang", "tin", "đồn", "hoà", "gas", "COVID-19", "vô", "sinh"])
        .prop_map(str::to_string)
}

/// Source text of an expression, built from the grammar's constructs. Its field scopes name one
/// field (one field's scope inside the other's is refused: that part would hold in no field).
fn source() -> impl Strategy<Value = String> {
    prop::sample::select(vec!["title", "text"]).prop_flat_map(source_in)
}

fn source_in(field: &'static str) -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        word(),
        (word(), word()).prop_map(|(a, b)| format!("\"{a} {b}\"")),
        word().prop_map(|w| format!("{w}*")),
        prop::sample::select(vec!["@vaccine_terms", "@harm"]).prop_map(str::to_string),
    ];
    // A side of NEAR is one place: a term, a list, or either of a few (see `near_problem`).
    let side = prop_oneof![leaf.clone(), (leaf.clone(), leaf.clone()).prop_map(|(a, b)| format!("{a} OR {b}"))].boxed();
    leaf.prop_recursive(4, 24, 3, move |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{a} OR {b}")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{a} AND {b}")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} {b})")),
            inner.clone().prop_map(|a| format!("NOT ({a})")),
            inner.clone().prop_map(|a| format!("-({a})")),
            (side.clone(), 1u32..10, side.clone()).prop_map(|(a, n, b)| format!("({a}) NEAR/{n} ({b})")),
            (side.clone(), 1u32..10, side.clone()).prop_map(|(a, n, b)| format!("({a}) ONEAR/{n} ({b})")),
            (prop::sample::select(vec![field, "exact", "folded"]), inner.clone())
                .prop_map(|(s, a)| format!("{s}:({a})")),
            (1u32..3, inner.clone(), inner).prop_map(|(n, a, b)| format!("at least {n} of ({a}, {b})")),
        ]
    })
}

proptest! {
    #[test]
    fn any_text_parses_or_fails_at_a_char_boundary(src in "\\PC{0,80}") {
        if let Err(e) = parse(&src) {
            prop_assert!(e.offset <= src.len(), "{e}");
            prop_assert!(src.is_char_boundary(e.offset), "{e}");
            prop_assert!(!e.message.is_empty());
        }
    }

    #[test]
    fn operator_soup_never_panics(parts in prop::collection::vec(
        prop::sample::select(vec!["(", ")", "\"", "OR", "AND", "NOT", "-", "NEAR/2", "ONEAR/0", "title:", "@", "*",
                                  "at least", "of", ",", "a", "vắc", "2"]), 0..30)) {
        let src = parts.join(" ");
        if let Err(e) = parse(&src) {
            prop_assert!(e.offset <= src.len());
        }
    }

    #[test]
    fn printed_expressions_parse_to_the_same_tree(src in source()) {
        let expr: Expr = parse(&src).map_err(|e| TestCaseError::fail(format!("{src}: {e}")))?;
        let printed = expr.to_string();
        let again = parse(&printed).map_err(|e| TestCaseError::fail(format!("{printed}: {e}")))?;
        prop_assert_eq!(expr, again, "{} → {}", src, printed);
    }
}

#[test]
fn a_huge_pattern_is_refused_without_parsing_it() {
    let src = "a".repeat(100 << 20);
    let e = parse(&src).expect_err("refused");
    assert!(e.message.contains("longer than"), "{e}");
}

#[test]
fn oversized_rule_files_and_lists_are_refused_with_a_message() {
    let dir = tempfile::tempdir().expect("tempdir");
    // A file over the size limit is refused from its metadata, before it is read.
    let big = dir.path().join("big.toml");
    let file = std::fs::File::create(&big).expect("create");
    file.set_len(100 << 20).expect("sparse 100 MB");
    // A list of a million terms (under the file limit) is refused by count.
    let terms: Vec<String> = (0..1_000_000).map(|n| format!("\"t{n}\"")).collect();
    let many = format!("[[list]]\nid = \"many\"\nterms = [{}]\n", terms.join(","));
    std::fs::write(dir.path().join("many.toml"), many).expect("write");
    // An expression over the length limit is refused with its rule's position.
    let long = format!("[[rule]]\nid = \"long\"\nseverity = \"high\"\nquery = \"{}\"\n", "a ".repeat(40_000));
    std::fs::write(dir.path().join("long.toml"), long).expect("write");
    let errors = duluan_rules::read_dir(dir.path()).expect_err("refused");
    let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
    let has = |needle: &str| text.iter().any(|t| t.contains(needle));
    assert!(has("big.toml") && has("larger than"), "{text:?}");
    assert!(has("more than 200000 terms"), "{text:?}");
    assert!(has("long.toml") && has("longer than"), "{text:?}");
}
