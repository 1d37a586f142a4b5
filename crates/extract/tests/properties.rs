//! Properties of `extract` on generated HTML: it never panics, and it never returns a word that
//! is not in the page's text (scripts, styles, comments and attributes are not text).

use duluan_extract::{Options, extract};
use proptest::prelude::*;
use scraper::{Html, Node};

/// All text of the page: text nodes outside script, style, template and noscript, joined without
/// separators (so a word split across inline elements is still found).
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

fn fragment() -> impl Strategy<Value = String> {
    let words = prop::sample::select(vec![
        "Giá",
        "rau",
        "tăng",
        "mạnh",
        "sau",
        "mưa",
        "lũ,",
        "người",
        "dân",
        "cho",
        "biết.",
        "the",
        "council",
        "said",
        "&amp;",
        "&lt;b&gt;",
        "&nbsp;",
        "30.000",
        "đồng",
        "Tin",
        "liên",
        "quan",
        "Quảng",
        "cáo",
        "©",
    ]);
    let text = prop::collection::vec(words, 1..30).prop_map(|w| w.join(" "));
    let open = prop::sample::select(vec![
        "<p>",
        "<div class=\"article-body\">",
        "<div class=\"related\">",
        "<article>",
        "<span>",
        "<a href=\"/x\">",
        "<h1>",
        "<h2>",
        "<li>",
        "<ul>",
        "<table><tr><td>",
        "<nav>",
        "<footer>",
        "<aside>",
        "<b>",
        "<i>",
        "<br>",
        "<div style=\"display:none\">",
        "<section class=\"comments\">",
        "<figure><figcaption>",
        "<blockquote>",
        "<svg><text>",
        "<pre>",
        "<time datetime=\"2021-12-24T10:30:00+07:00\">",
        "<div class=\"date\">",
    ]);
    let close = prop::sample::select(vec![
        "</p>",
        "</div>",
        "</article>",
        "</span>",
        "</a>",
        "</h1>",
        "</li>",
        "</ul>",
        "</td></tr></table>",
        "</nav>",
        "</b>",
        "</section>",
        "</figcaption></figure>",
        "</svg>",
        "</time>",
        "",
    ]);
    let noise = prop::sample::select(vec![
        "<script>var s='<p>không phải chữ</p>';</script>",
        "<style>p{color:red}</style>",
        "<!-- bình luận <p>ẩn</p> -->",
        "<noscript>Bật JavaScript</noscript>",
        "<template><p>mẫu</p></template>",
        "<img src=x alt=\"ảnh\">",
        "<script type=\"application/ld+json\">{\"@type\":\"NewsArticle\",\"datePublished\":\"2021-12-24\"}</script>",
        "<meta property=\"og:title\" content=\"Tiêu đề\">",
        "<",
        "</",
        "<!",
        "\"'>",
    ]);
    let part = prop_oneof![
        text,
        open.prop_map(str::to_string),
        close.prop_map(str::to_string),
        noise.prop_map(str::to_string)
    ];
    prop::collection::vec(part, 0..120).prop_map(|parts| parts.concat())
}

/// Inputs the fuzzer (`fuzz/fuzz_targets/extract.rs`) found, checked the same way: the first byte
/// picks the options, the rest is the page.
#[test]
fn fuzz_regressions() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz-regressions");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.map(|e| e.path()).unwrap_or_default();
        let data = std::fs::read(&path).unwrap_or_default();
        let Some((&flags, rest)) = data.split_first() else { continue };
        let html = String::from_utf8_lossy(rest);
        let options = Options { max_nodes: if flags & 1 == 1 { 40 } else { 200_000 }, ..Options::default() };
        let url = (flags & 2 == 2).then_some("https://example.vn/thoi-su/2021/12/24/bai-viet.html");
        let a = extract(&html, url, &options);
        let text = page_text(&html);
        for word in a.text.split_whitespace() {
            assert!(text.contains(word), "{}: {word:?} is not page text", path.display());
        }
        seen += 1;
    }
    assert!(seen >= 1);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

    #[test]
    fn extracted_words_are_page_text(body in fragment()) {
        let html = format!("<html><head><title>t</title></head><body>{body}</body></html>");
        let a = extract(&html, Some("https://example.vn/a.html"), &Options::default());
        let text = page_text(&html);
        for word in a.text.split_whitespace() {
            prop_assert!(text.contains(word), "{word:?} is not page text\nhtml: {html}\ntext: {}", a.text);
        }
        // Script and template text never leaks (unless broken markup made it text, as a browser would).
        for hidden in ["khôngphảichữ", "mẫu"] {
            prop_assert!(text.contains(hidden) || !a.text.replace(' ', "").contains(hidden), "{hidden} leaked: {html}");
        }
    }

    #[test]
    fn never_panics_on_any_input(input in ".{0,2000}") {
        let a = extract(&input, None, &Options::default());
        prop_assert!(a.text.len() <= input.len());
    }

    #[test]
    fn never_panics_on_markup_soup(body in fragment(), cap in 1usize..200) {
        let _ = extract(&body, Some("not a url"), &Options { max_nodes: cap, ..Options::default() });
    }
}
