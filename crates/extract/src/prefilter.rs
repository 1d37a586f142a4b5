//! A byte-level pass before the parser: drops what can never be article text and caps nesting.
//!
//! Modern news pages are mostly scripts, styles, inline SVG and comments — often two thirds of the
//! bytes. The HTML parser would tokenise all of it only for the extractor to skip it, so one linear
//! scan (`memchr` for `<`) cuts it out first: comments, `<script>` (JSON-LD bodies are kept aside
//! for the metadata), `<style>`, `<noscript>`, `<template>`, `<iframe>`, `<svg>`, `<math>`.
//! The scan follows the tokeniser's rules where they matter (quoted attribute values, raw-text
//! elements, RCDATA in `<title>`/`<textarea>`), so it never removes text a browser would show
//! outside those elements; when in doubt (an `<svg>` without its end tag) it keeps the bytes.
//!
//! It also stops the document where tag nesting first exceeds `max_depth`: html5ever's scope
//! checks walk the open-element stack, so 50,000 nested tags would cost quadratic time.

use memchr::memmem;

/// The page as handed to the parser, and the JSON-LD blocks found on the way.
#[derive(Debug, Default)]
pub(crate) struct Prefiltered {
    pub(crate) html: String,
    pub(crate) json_ld: Vec<String>,
}

const VOID: &[&[u8]] = &[
    b"area", b"base", b"br", b"col", b"embed", b"hr", b"img", b"input", b"keygen", b"link", b"meta", b"param",
    b"source", b"track", b"wbr",
];

/// Elements dropped with their content.
fn dropped(name: &[u8]) -> Option<Drop> {
    Some(match name {
        b"script" => Drop::RawText,
        b"style" | b"noscript" | b"iframe" | b"noembed" | b"noframes" | b"xmp" => Drop::RawText,
        b"template" | b"svg" | b"math" => Drop::Nested,
        _ => return None,
    })
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Drop {
    /// Content is raw text up to the first matching end tag.
    RawText,
    /// Content is markup; find the matching end tag counting nested starts.
    Nested,
}

/// Most JSON-LD blocks a page may contribute, and the largest one read.
const MAX_JSON_LD: usize = 32;
const MAX_JSON_LD_BYTES: usize = 1 << 20;

pub(crate) fn prefilter(html: &str, max_depth: usize) -> Prefiltered {
    let bytes = html.as_bytes();
    let mut out = String::with_capacity(html.len() / 2);
    let mut json_ld = Vec::new();
    // Bytes [copied_to, i) are pending copy; `i` is the scan position.
    let mut copied_to = 0usize;
    let mut i = 0usize;
    let mut depth = 0usize;
    let mut verbatim = false;
    while let Some(offset) = memchr::memchr(b'<', &bytes[i..]) {
        let start = i + offset;
        i = start + 1;
        match bytes.get(i) {
            Some(b'!') => {
                if bytes[i..].starts_with(b"!--") {
                    let body = i + 3;
                    // `<!-->` and `<!--->` are complete (empty) comments.
                    let end = if bytes[body..].starts_with(b">") {
                        body + 1
                    } else if bytes[body..].starts_with(b"->") {
                        body + 2
                    } else {
                        match memmem::find(&bytes[body..], b"-->") {
                            Some(p) => body + p + 3,
                            None => bytes.len(),
                        }
                    };
                    if !verbatim {
                        cut(&mut out, html, copied_to, start);
                        copied_to = end;
                    }
                    i = end;
                } else {
                    i = bogus_end(bytes, i);
                }
            }
            Some(b'/') => {
                // `</name …>` is an end tag (attributes and all); `</>` is nothing; anything else
                // up to the next `>` is a bogus comment.
                match bytes.get(i + 1) {
                    Some(c) if c.is_ascii_alphabetic() => {
                        depth = depth.saturating_sub(1);
                        let name_end = bytes[i + 1..]
                            .iter()
                            .position(|b| b.is_ascii_whitespace() || *b == b'/' || *b == b'>')
                            .map_or(bytes.len(), |p| i + 1 + p);
                        i = tag_end(bytes, name_end);
                    }
                    _ => i = bogus_end(bytes, i),
                }
            }
            Some(b'?') => i = bogus_end(bytes, i),
            Some(c) if c.is_ascii_alphabetic() => {
                let name_end = bytes[i..]
                    .iter()
                    .position(|b| b.is_ascii_whitespace() || *b == b'/' || *b == b'>')
                    .map_or(bytes.len(), |p| i + p);
                let name = &bytes[i..name_end];
                let mut lower = [0u8; 10];
                let name = if name.len() <= lower.len() {
                    for (l, b) in lower.iter_mut().zip(name) {
                        *l = b.to_ascii_lowercase();
                    }
                    &lower[..name.len()]
                } else {
                    // Longer than any name we look at: never void, dropped or raw.
                    &[][..]
                };
                let (end, self_closing) = scan_attributes(bytes, name_end, |_, _, _| {});
                if let Some(kind) = dropped(name).filter(|_| !verbatim) {
                    let close = match kind {
                        Drop::RawText => raw_text_end(bytes, end, name),
                        Drop::Nested => nested_end(bytes, end, name),
                    };
                    let close = match close {
                        Some(c) => Some(c),
                        // An unclosed script or style swallows the rest of the page in a browser too.
                        None if kind == Drop::RawText => Some((bytes.len(), bytes.len())),
                        None => None,
                    };
                    if self_closing && kind == Drop::Nested {
                        cut(&mut out, html, copied_to, start);
                        out.push(' ');
                        copied_to = end;
                        i = end;
                        continue;
                    }
                    if let Some((content_end, element_end)) = close {
                        if name == b"script"
                            && json_ld.len() < MAX_JSON_LD
                            && is_json_ld(&bytes[name_end..end])
                            && content_end - end <= MAX_JSON_LD_BYTES
                            && let Some(body) = html.get(end..content_end)
                        {
                            json_ld.push(body.to_string());
                        }
                        cut(&mut out, html, copied_to, start);
                        if !matches!(name, b"script" | b"style") {
                            // Graphics, frames and <noscript> stand between words: keep them apart.
                            out.push(' ');
                        }
                        copied_to = element_end;
                        i = element_end;
                        continue;
                    }
                    // Foreign content that HTML breaks out of: from here on the parser decides alone
                    // (its tokeniser state inside SVG differs from ours), so nothing more is removed.
                    verbatim = true;
                } else if verbatim
                    && dropped(name) == Some(Drop::RawText)
                    && let Some((_, element_end)) = raw_text_end(bytes, end, name)
                {
                    i = element_end;
                    continue;
                }
                i = end;
                if matches!(name, b"title" | b"textarea") {
                    // RCDATA: no tags inside; skip to the end tag so a `<` in a title is not a tag.
                    if let Some((_, element_end)) = raw_text_end(bytes, end, name) {
                        i = element_end;
                    }
                    continue;
                }
                if name == b"plaintext" {
                    break;
                }
                if !verbatim {
                    rewrite_start_tag(bytes, start, name_end, end, name, &mut out, html, &mut copied_to);
                }
                if !VOID.contains(&name) && !self_closing {
                    depth += 1;
                    if depth > max_depth {
                        push(&mut out, html, copied_to, start);
                        copied_to = bytes.len();
                        break;
                    }
                }
            }
            _ => {}
        }
        if i >= bytes.len() {
            break;
        }
    }
    push(&mut out, html, copied_to, bytes.len());
    Prefiltered { html: out, json_ld }
}

/// Void elements that never carry text or anything extraction reads: dropped whole.
const DROPPED_VOID: &[&[u8]] = &[b"img", b"source", b"input", b"wbr", b"track", b"param", b"area", b"embed", b"col"];

/// Attributes extraction reads; a start tag with others is written again without them (most of
/// a modern page's markup is `data-*`, `srcset` and tracking attributes the parser would intern).
fn kept_attribute(name: &[u8]) -> bool {
    const KEPT: &[&[u8]] = &[
        b"class",
        b"id",
        b"role",
        b"itemprop",
        b"hidden",
        b"style",
        b"aria-hidden",
        b"href",
        b"rel",
        b"content",
        b"property",
        b"name",
        b"lang",
        b"datetime",
        b"type",
        b"charset",
        b"http-equiv",
    ];
    KEPT.iter().any(|k| k.eq_ignore_ascii_case(name))
}

/// Look at the start tag `bytes[start..end]` (name ends at `name_end`): drop it if it is a void
/// element extraction never reads, write it again without unread attributes if it has any, or
/// leave it to be copied as is. A rewritten tag loses a trailing `/`, which HTML elements ignore.
#[allow(clippy::too_many_arguments)]
fn rewrite_start_tag(
    bytes: &[u8],
    start: usize,
    name_end: usize,
    end: usize,
    name: &[u8],
    out: &mut String,
    html: &str,
    copied_to: &mut usize,
) {
    if DROPPED_VOID.contains(&name)
        || (name == b"link"
            && memmem::find(&bytes[name_end..end], b"canonical").is_none()
            && memmem::find(&bytes[name_end..end], b"amphtml").is_none())
    {
        cut(out, html, *copied_to, start);
        *copied_to = end;
        return;
    }
    // Attribute spans: (start, end) of the kept ones.
    let mut attrs: [(usize, usize); 24] = [(0, 0); 24];
    let mut count = 0usize;
    let mut drop_any = false;
    let mut overflow = false;
    scan_attributes(bytes, name_end, |a, name_stop, z| {
        if kept_attribute(&bytes[a..name_stop]) {
            match attrs.get_mut(count) {
                Some(slot) => {
                    *slot = (a, z);
                    count += 1;
                }
                None => overflow = true,
            }
        } else {
            drop_any = true;
        }
    });
    if overflow {
        // Too many to track: leave the tag as written.
        return;
    }
    if !drop_any {
        return;
    }
    push(out, html, *copied_to, start);
    push(out, html, start, name_end);
    for &(a, z) in &attrs[..count] {
        out.push(' ');
        push(out, html, a, z);
    }
    out.push('>');
    *copied_to = end;
}

/// Append `html[from..to]` before a removed chunk. Joining what came before and after a removed
/// chunk must not make new markup: `a <<script>…</script>b` has a literal `<`, but `a <b` would be
/// a tag, and `&am<!---->p;` is not an entity while `&amp;` is. When the text before ends in a
/// `<` or an unfinished character reference, an empty comment stands in for the chunk.
fn cut(out: &mut String, html: &str, from: usize, to: usize) {
    push(out, html, from, to);
    let bytes = out.as_bytes();
    let tail = &bytes[bytes.len().saturating_sub(40)..];
    let open_reference = tail
        .iter()
        .rposition(|&b| b == b'&')
        .is_some_and(|p| tail[p + 1..].iter().all(|b| b.is_ascii_alphanumeric() || *b == b'#'));
    if bytes.last() == Some(&b'<') || open_reference {
        out.push_str("<!---->");
    }
}

/// Append `html[from..to]`; every bound used is the index of an ASCII byte or the end.
fn push(out: &mut String, html: &str, from: usize, to: usize) {
    if from < to
        && let Some(s) = html.get(from..to)
    {
        out.push_str(s);
    }
}

/// Index just past the first `>` from `from`: the end of a doctype, a bogus comment (`<!x>`,
/// `<?x>`, `</ x>`), where quotes mean nothing.
fn bogus_end(bytes: &[u8], from: usize) -> usize {
    memchr::memchr(b'>', &bytes[from.min(bytes.len())..]).map_or(bytes.len(), |p| from + p + 1)
}

/// Index just past the `>` that ends a tag whose attributes start at `from` (just after the tag
/// name), the end of input if there is none.
fn tag_end(bytes: &[u8], from: usize) -> usize {
    scan_attributes(bytes, from, |_, _, _| {}).0
}

/// Walk a tag's attributes as the tokeniser does (before/after name, quoted and unquoted values:
/// a quote only opens a value right after `=`; inside an unquoted value `"`, `'` and `=` are
/// ordinary), calling `attr(start, name_end, end)` for each. Returns the index just past the
/// closing `>` (or the end of input) and whether the tag is self-closing (`/>`).
fn scan_attributes(bytes: &[u8], from: usize, mut attr: impl FnMut(usize, usize, usize)) -> (usize, bool) {
    let n = bytes.len();
    let ws = |b: u8| matches!(b, b' ' | b'\t' | b'\n' | b'\r' | b'\x0c');
    let mut i = from;
    loop {
        // Before attribute name.
        while i < n && (ws(bytes[i]) || bytes[i] == b'/') {
            if bytes[i] == b'/' && bytes.get(i + 1) == Some(&b'>') {
                return (i + 2, true);
            }
            i += 1;
        }
        if i >= n {
            return (n, false);
        }
        if bytes[i] == b'>' {
            return (i + 1, false);
        }
        // Attribute name (a leading '=' belongs to it).
        let start = i;
        i += 1;
        while i < n && !ws(bytes[i]) && !matches!(bytes[i], b'/' | b'>' | b'=') {
            i += 1;
        }
        let name_end = i;
        // After attribute name.
        let mut j = i;
        while j < n && ws(bytes[j]) {
            j += 1;
        }
        if j >= n || bytes[j] != b'=' {
            attr(start, name_end, name_end);
            i = j;
            continue;
        }
        // Before attribute value.
        j += 1;
        while j < n && ws(bytes[j]) {
            j += 1;
        }
        match bytes.get(j) {
            None => {
                attr(start, name_end, n);
                return (n, false);
            }
            Some(b'>') => {
                attr(start, name_end, j);
                return (j + 1, false);
            }
            Some(&q @ (b'"' | b'\'')) => match memchr::memchr(q, &bytes[j + 1..]) {
                Some(p) => {
                    i = j + 1 + p + 1;
                    attr(start, name_end, i);
                }
                None => {
                    attr(start, name_end, n);
                    return (n, false);
                }
            },
            Some(_) => {
                i = j;
                while i < n && !ws(bytes[i]) && bytes[i] != b'>' {
                    i += 1;
                }
                attr(start, name_end, i);
            }
        }
    }
}

/// For a raw-text element whose content starts at `from`: (content end, element end).
fn raw_text_end(bytes: &[u8], from: usize, name: &[u8]) -> Option<(usize, usize)> {
    let finder = memmem::Finder::new(b"</");
    let mut i = from;
    while let Some(p) = finder.find(&bytes[i..]) {
        let at = i + p;
        let name_start = at + 2;
        let name_end = name_start + name.len();
        if bytes.get(name_start..name_end).is_some_and(|n| n.eq_ignore_ascii_case(name))
            && matches!(bytes.get(name_end), None | Some(b'>' | b'/' | b' ' | b'\t' | b'\n' | b'\r' | b'\x0c'))
        {
            return Some((at, tag_end(bytes, name_end)));
        }
        i = at + 2;
    }
    None
}

/// For an element with markup content (`<svg>`, `<template>`): (content end, element end) of the
/// matching end tag, or `None` when it is missing or when HTML that breaks out of foreign content
/// (`<p>`, `<div>`, …) comes first — then the parser decides and we keep the bytes.
fn nested_end(bytes: &[u8], from: usize, name: &[u8]) -> Option<(usize, usize)> {
    let mut depth = 1usize;
    let mut i = from;
    while let Some(p) = memchr::memchr(b'<', &bytes[i..]) {
        let at = i + p;
        let closing = bytes.get(at + 1) == Some(&b'/');
        let name_start = at + 1 + usize::from(closing);
        let name_end = name_start + name.len();
        let boundary = matches!(bytes.get(name_end), None | Some(b'>' | b'/' | b' ' | b'\t' | b'\n' | b'\r' | b'\x0c'));
        if boundary && bytes.get(name_start..name_end).is_some_and(|n| n.eq_ignore_ascii_case(name)) {
            if closing {
                depth -= 1;
                if depth == 0 {
                    return Some((at, tag_end(bytes, name_end)));
                }
            } else {
                depth += 1;
            }
        } else if name != b"template"
            && (if closing { ends_foreign(&bytes[name_start..]) } else { breaks_out_of_foreign(&bytes[name_start..]) })
        {
            return None;
        }
        i = at + 1;
    }
    None
}

/// `</p>` and `</br>` also end foreign content.
fn ends_foreign(tag: &[u8]) -> bool {
    let end = tag.iter().position(|b| !b.is_ascii_alphanumeric()).unwrap_or(tag.len());
    tag[..end].eq_ignore_ascii_case(b"p") || tag[..end].eq_ignore_ascii_case(b"br")
}

/// HTML start tags that end foreign (SVG/MathML) content in the tree builder.
fn breaks_out_of_foreign(tag: &[u8]) -> bool {
    const BREAKERS: &[&[u8]] = &[
        b"p",
        b"div",
        b"span",
        b"h1",
        b"h2",
        b"h3",
        b"h4",
        b"h5",
        b"h6",
        b"ul",
        b"ol",
        b"li",
        b"table",
        b"body",
        b"br",
        b"b",
        b"i",
        b"em",
        b"strong",
        b"pre",
        b"blockquote",
        b"dl",
        b"dt",
        b"dd",
        b"img",
        b"hr",
        b"meta",
    ];
    let end = tag.iter().position(|b| !b.is_ascii_alphanumeric()).unwrap_or(tag.len());
    let name = &tag[..end];
    BREAKERS.iter().any(|b| b.eq_ignore_ascii_case(name))
}

/// Whether a script's attributes say `type="application/ld+json"`.
fn is_json_ld(attrs: &[u8]) -> bool {
    memmem::find(attrs, b"ld+json").is_some() || memmem::find(attrs, b"LD+JSON").is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(html: &str) -> String {
        prefilter(html, 1000).html
    }

    #[test]
    fn drops_scripts_styles_comments_and_svg() {
        let html = r#"<p>a<!-- c <p>hidden</p> -->b</p><script>if (a<b) document.write("</p>")</script><style>p{}</style><svg><text>x</text></svg><p>c</p>"#;
        assert_eq!(run(html), "<p>ab</p> <p>c</p>");
    }

    #[test]
    fn keeps_json_ld() {
        let p = prefilter(
            r#"<head><script type="application/ld+json">{"@type":"NewsArticle"}</script></head><body>x</body>"#,
            1000,
        );
        assert_eq!(p.json_ld, vec![r#"{"@type":"NewsArticle"}"#.to_string()]);
        assert_eq!(p.html, "<head></head><body>x</body>");
    }

    #[test]
    fn quoted_attributes_and_rcdata_are_not_tags() {
        let html = r#"<a class="<script>">x</a><title>a <script> b</title><p>y</p>"#;
        assert_eq!(run(html), html);
        assert_eq!(run(r#"<a title="<script>">x</a>"#), "<a>x</a>");
    }

    #[test]
    fn end_tags_need_a_boundary_and_case_does_not_matter() {
        assert_eq!(run("<SCRIPT>var s='</scripts>';</Script >x"), "x");
        assert_eq!(run("<script>never closed <p>text"), "");
    }

    #[test]
    fn svg_without_end_or_with_html_inside_is_kept() {
        assert_eq!(run("<svg><path/><p>text</p>"), "<svg><path/><p>text</p>");
        // After such an SVG nothing more is removed: inside it a <script> is not raw text.
        let html = "<svg><script><p>x</p></script></svg><script>y</script><img src=a>";
        assert_eq!(run(html), html);
        assert_eq!(run("<svg><svg></svg></svg>x"), " x");
        assert_eq!(run("a<svg/>b"), "a b");
    }

    #[test]
    fn comments_edge_cases() {
        assert_eq!(run("a<!-->b"), "ab");
        assert_eq!(run("a<!--->b"), "ab");
        assert_eq!(run("a<!-- never closed <p>x"), "a");
        assert_eq!(run("<!doctype html>a"), "<!doctype html>a");
    }

    #[test]
    fn caps_depth() {
        let deep = "<div>".repeat(50) + "x";
        assert_eq!(prefilter(&deep, 10).html, "<div>".repeat(10));
        assert_eq!(run("<br><img src=x><hr><p>a</p>"), "<br><hr><p>a</p>");
    }

    #[test]
    fn unread_attributes_and_images_go() {
        let html = r#"<div data-x='{"a":1}' class="body" srcset="a.jpg 1x">t<img src=x alt="y"><a href=/a/ onclick="f()">l</a></div>"#;
        assert_eq!(run(html), r#"<div class="body">t<a href=/a/>l</a></div>"#);
        let html = r#"<link rel="stylesheet" href="a.css"><link rel="canonical" href="/c"><p id=p>x</p>"#;
        assert_eq!(run(html), r#"<link rel="canonical" href="/c"><p id=p>x</p>"#);
        // Quoted '>' and entities stay as written.
        let html = r#"<p title="a>b" class='c &amp; d'>x</p>"#;
        assert_eq!(run(html), r#"<p class='c &amp; d'>x</p>"#);
    }

    #[test]
    fn quotes_open_values_only_after_equals() {
        // `class=s="x` is one unquoted value; the tag ends at the first '>' after it.
        let html = "<p class=s=\"x y\">a</p><li class=\"z\">b</li>";
        assert_eq!(scan_attributes(html.as_bytes(), 2, |_, _, _| {}).0, html.find('>').map_or(0, |p| p + 1));
        let mut spans = Vec::new();
        let (end, closing) =
            scan_attributes(br#"<a href="x>y" data-a b = 'c' d=e/>"#, 2, |a, n, z| spans.push((a, n, z)));
        assert_eq!((end, closing), (34, false));
        assert_eq!(spans, vec![(3, 7, 13), (14, 20, 20), (21, 22, 28), (29, 30, 33)]);
        assert_eq!(scan_attributes(b"<br/>", 3, |_, _, _| {}), (5, true));
        // A bogus comment ends at the first '>' whatever the quotes.
        assert_eq!(run("</ \"x>\">y"), "</ \"x>\">y");
    }

    #[test]
    fn tags_cut_off_at_the_end_of_input() {
        for html in ["<a x='", "<a x=\"", "<a x=", "<a x", "<a ", "<div data-a='1' b=\"", "<p data-x=1 '"] {
            let _ = run(html);
        }
    }

    #[test]
    fn removal_does_not_make_markup() {
        assert_eq!(run("a <<script>x</script>b"), "a <<!---->b");
        assert_eq!(run("x&am<!-- c -->p; y"), "x&am<!---->p; y");
        assert_eq!(run("<p>a</p><!-- c --><p>b</p>"), "<p>a</p><p>b</p>");
    }

    #[test]
    fn multibyte_text_survives() {
        let html = "<p>Tiếng Việt <!-- bình luận --> có dấu</p><script>đ</script>ở";
        assert_eq!(run(html), "<p>Tiếng Việt  có dấu</p>ở");
        assert_eq!(run("<p>chữ<!-- x -->ký</p>"), "<p>chữký</p>");
    }
}
