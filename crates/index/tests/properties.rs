//! Property tests of the query language: any text is either read or refused with a position
//! inside it; what is read prints back to text that reads the same; and no query, however
//! hostile, makes a search fail with anything but a query error.

mod common;

use chrono::{DateTime, Utc};
use duluan_index::syntax::parse;
use duluan_index::{Error, Query};
use proptest::prelude::*;

fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_640_000_000, 0).unwrap_or_default()
}

/// Queries built from the pieces the language is made of, glued at random.
fn query() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("khẩu"),
        Just("trang"),
        Just("khau"),
        Just("sốt"),
        Just("Lũ"),
        Just("vac*"),
        Just("vắc*"),
        Just("\""),
        Just("“"),
        Just("”"),
        Just("("),
        Just(")"),
        Just("-"),
        Just("+"),
        Just("*"),
        Just("?"),
        Just("AND"),
        Just("OR"),
        Just("NOT"),
        Just("VÀ"),
        Just("HOẶC"),
        Just("KHÔNG"),
        Just("&&"),
        Just("||"),
        Just("title:"),
        Just("text:"),
        Just("source:"),
        Just("lang:"),
        Just("sentiment:"),
        Just("severity:"),
        Just("date:"),
        Just("foo:"),
        Just("2021-12-01"),
        Just(".."),
        Just("7d"),
        Just("24/12/2021"),
        Just(":"),
        Just("negative"),
        Just("high"),
        Just("10:30"),
        Just("covid-19"),
        Just("—"),
        Just("\u{200b}"),
    ];
    let glue = prop_oneof![Just(""), Just(" "), Just("  ")];
    prop::collection::vec((piece, glue), 0..14)
        .prop_map(|parts| parts.into_iter().map(|(p, g)| format!("{p}{g}")).collect::<String>())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn any_text_is_read_or_refused_at_a_char_boundary(text in any::<String>()) {
        if let Err(e) = parse(&text, now()) {
            prop_assert!(e.offset <= text.len() && text.is_char_boundary(e.offset), "{e:?}");
            prop_assert_eq!(e.column, text[..e.offset].chars().count() + 1);
        }
    }

    #[test]
    fn what_is_read_prints_back_the_same(text in query()) {
        match parse(&text, now()) {
            Ok(expr) => {
                let printed = expr.to_string();
                let again = parse(&printed, now());
                prop_assert_eq!(again.as_ref().ok(), Some(&expr), "{:?} printed as {:?}: {:?}", text, printed, again);
            }
            Err(e) => prop_assert!(text.is_char_boundary(e.offset) && !e.hint.is_empty(), "{e:?}"),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn searches_with_any_query_fail_only_as_query_errors(text in query()) {
        thread_local! {
            static INDEX: duluan_index::SearchIndex = common::index_of(&[
                common::item("a", "Dân đổ xô mua khẩu trang", "Giá khẩu trang tăng mạnh.", "vnexpress", 1),
                common::item("b", "Lũ lớn", "Mưa lũ gây ngập.", "forum", 2),
            ]);
        }
        INDEX.with(|index| {
            let q = Query { text: text.clone(), limit: 5, facets: true, collapse: true, ..Query::default() };
            match index.search(&q) {
                Ok(_) | Err(Error::Query { .. }) => Ok(()),
                Err(e) => Err(TestCaseError::fail(format!("{text:?}: {e}"))),
            }
        })?;
    }
}
