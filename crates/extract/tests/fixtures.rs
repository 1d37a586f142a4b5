//! Every page in `tests/fixtures/index.jsonl` through `extract`: a snapshot of the whole result
//! (insta), and a quality floor over all of them — token F1 against the page's expected text,
//! scored as the `eval` example scores, and the published date to the day.
//!
//! Update snapshots after an intended change with `cargo insta review` (or
//! `INSTA_UPDATE=always cargo test -p duluan-extract --test fixtures`) and read the diff.

#[path = "../examples/eval/score.rs"]
mod score;

use std::path::Path;

use duluan_extract::{Options, extract};

fn fixtures() -> Vec<score::Page> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    score::load(&dir).unwrap_or_else(|e| panic!("{e}"))
}

fn name_of(page: &score::Page) -> String {
    page.id.trim_end_matches(".gz").trim_end_matches(".html").replace('/', "__")
}

#[test]
fn snapshots() {
    let pages = fixtures();
    assert!(pages.len() >= 30, "{} fixtures", pages.len());
    for page in &pages {
        let a = extract(&page.html, page.url.as_deref(), &Options::default());
        let value = serde_json::json!({
            "url": a.url,
            "canonical_url": a.canonical_url,
            "title": a.title,
            "published_at": a.published_at,
            "modified_at": a.modified_at,
            "byline": a.byline,
            "site_name": a.site_name,
            "description": a.description,
            "lang": a.lang,
            "is_article": a.is_article,
            "links": a.links.len(),
            "text": a.text.lines().collect::<Vec<_>>(),
        });
        insta::assert_json_snapshot!(name_of(page), value);
    }
}

#[test]
fn quality_floor() {
    let pages = fixtures();
    let mut total = score::Summary::default();
    let mut articles = 0;
    for page in &pages {
        let a = extract(&page.html, page.url.as_deref(), &Options::default());
        let c = score::score(&page.expected_text, &a.text);
        assert!(c.f1() >= 0.85, "{}: F1 {:.3}\n{}", page.id, c.f1(), a.text);
        total.add(c);
        total.add_date(page.expected_date.as_ref(), a.published_at.as_ref());
        // Pages with expected text are articles; listings and empty shells are not.
        assert_eq!(a.is_article, !page.expected_text.is_empty(), "{}: is_article", page.id);
        articles += usize::from(a.is_article);
    }
    assert!(total.mean_f() >= 0.97, "mean F1 {:.4}", total.mean_f());
    assert_eq!(total.date_right, total.dated, "published dates on the right day");
    assert!(articles >= 30);
}
