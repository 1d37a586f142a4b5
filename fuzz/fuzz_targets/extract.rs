//! `duluan_extract::extract` on arbitrary input: no panic, and no word in the extracted text that
//! is not text of the page (text nodes outside script, style, template and noscript).
//! The first byte picks the options: a tiny or the default node cap, with or without a URL.

#![no_main]

use libfuzzer_sys::fuzz_target;
use scraper::{Html, Node};

fn page_text(html: &str) -> String {
    let doc = Html::parse_document(html);
    let mut out = String::new();
    for node in doc.tree.root().descendants() {
        let Node::Text(t) = node.value() else { continue };
        let hidden = node.ancestors().any(|a| {
            a.value().as_element().is_some_and(|e| {
                matches!(e.name(), "script" | "style" | "template" | "noscript" | "title" | "textarea")
            })
        });
        if !hidden {
            out.push_str(t);
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join("")
}

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else { return };
    let html = String::from_utf8_lossy(rest);
    let options = duluan_extract::Options {
        max_nodes: if flags & 1 == 1 { 40 } else { 200_000 },
        ..duluan_extract::Options::default()
    };
    let url = (flags & 2 == 2).then_some("https://example.vn/thoi-su/2021/12/24/bai-viet.html");
    let article = duluan_extract::extract(&html, url, &options);
    if article.text.is_empty() {
        return;
    }
    let text = page_text(&html);
    for word in article.text.split_whitespace() {
        assert!(text.contains(word), "{word:?} is not page text");
    }
});
