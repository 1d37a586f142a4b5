//! Main-text selection.
//!
//! One iterative walk over the DOM cuts the page into text blocks (runs of inline text between
//! block-level boundaries) and records every element in pre-order, so an element's subtree is
//! the index range `[i, end)`. Each block gets a weight: prose counts for its length, link lists
//! (menus, "related" boxes) count against, short lines count nothing. The article is the
//! container whose subtree has the greatest total weight — the tightest element that holds most
//! of the prose and little of the link furniture around it. Its blocks, less any furniture and
//! metadata lines inside it, are the main text.
//!
//! Class and tag hints (`boilerplate.rs`) remove furniture from the count. A furniture mark on an
//! element holding most of the page's prose is overruled: a site that names its article wrapper
//! `share-container` must not lose the article.

use scraper::node::Element;
use scraper::{Html, Node};
use url::Url;

use crate::boilerplate::{Class, Marks, TagKind, classify, is_container_tag, is_furniture_line, tag_kind};

const NONE: u32 = u32::MAX;

/// One element of the walk, in pre-order.
#[derive(Debug)]
struct El<'a> {
    name: &'a str,
    element: &'a Element,
    parent: u32,
    /// One past the index of the last descendant.
    end: u32,
    depth: u16,
    class: Class,
    /// Blocks flushed inside this element: `[first_block, last_block)`.
    first_block: u32,
    last_block: u32,
}

/// How a block of text stands on the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Para,
    Heading(u8),
    Item,
    Quote,
    Caption,
    Cell,
    Pre,
    Other,
}

#[derive(Debug)]
struct Block {
    text: String,
    /// The innermost open element when the block ended.
    el: u32,
    /// Non-space characters (CJK characters count three: they carry a word each).
    chars: u32,
    link_chars: u32,
    kind: Kind,
}

/// What the walk found.
#[derive(Debug, Default)]
pub(crate) struct Content {
    pub(crate) text: String,
    /// Share of the main text that sits in links.
    pub(crate) link_density: f32,
    pub(crate) longest_block: usize,
    /// Blocks of the main text that read as prose (not headings or short lines).
    pub(crate) paragraphs: usize,
    /// Links on the whole page with headline-length anchor text (listing pages have many).
    pub(crate) teaser_links: usize,
    pub(crate) h1: Option<String>,
    /// Visible date texts, best first.
    pub(crate) date_texts: Vec<String>,
    pub(crate) byline: Option<String>,
    /// A trace of the decisions, when asked for (`TextSettings::explain`).
    pub(crate) explanation: String,
}

/// Extraction switches that change the text.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct TextSettings {
    pub(crate) captions: bool,
    pub(crate) explain: bool,
}

struct Walk<'a> {
    els: Vec<El<'a>>,
    blocks: Vec<Block>,
    stack: Vec<u32>,
    current: String,
    current_chars: u32,
    current_links: u32,
    link_depth: u32,
    /// Elements marked as a date or byline, with their text (up to 200 bytes).
    marks: Vec<(u32, Marks, String)>,
    times: Vec<(u32, &'a str)>,
    teaser_links: usize,
    link_text: u32,
}

impl Walk<'_> {
    fn flush(&mut self) {
        if self.current_chars == 0 {
            self.current.clear();
            self.current_links = 0;
            return;
        }
        let text = collapse(&self.current);
        self.current.clear();
        let el = self.stack.last().copied().unwrap_or(NONE);
        let kind = self.kind();
        self.blocks.push(Block {
            text,
            el,
            chars: self.current_chars,
            link_chars: self.current_links.min(self.current_chars),
            kind,
        });
        self.current_chars = 0;
        self.current_links = 0;
    }

    /// The kind of the block being flushed, from the nearest block-level ancestors.
    fn kind(&self) -> Kind {
        let mut kind = None;
        for &i in self.stack.iter().rev().take(12) {
            let Some(el) = self.els.get(i as usize) else { break };
            let k = match el.name {
                "figcaption" | "figure" | "caption" => Some(Kind::Caption),
                "blockquote" => Some(Kind::Quote),
                _ if kind.is_some() => None,
                "p" => Some(Kind::Para),
                "h1" => Some(Kind::Heading(1)),
                "h2" => Some(Kind::Heading(2)),
                "h3" => Some(Kind::Heading(3)),
                "h4" => Some(Kind::Heading(4)),
                "h5" => Some(Kind::Heading(5)),
                "h6" => Some(Kind::Heading(6)),
                "li" | "dd" | "dt" => Some(Kind::Item),
                "td" | "th" => Some(Kind::Cell),
                "pre" => Some(Kind::Pre),
                _ => None,
            };
            match k {
                Some(Kind::Caption) => return Kind::Caption,
                Some(Kind::Quote) if kind.is_none() || kind == Some(Kind::Para) => return Kind::Quote,
                Some(k) if kind.is_none() => kind = Some(k),
                _ => {}
            }
        }
        kind.unwrap_or(Kind::Other)
    }

    fn push_text(&mut self, text: &str) {
        let mut chars = 0u32;
        for c in text.chars() {
            if !c.is_whitespace() {
                chars += if is_cjk(c) { 3 } else { 1 };
            }
        }
        self.current.push_str(text);
        self.current_chars += chars;
        if self.link_depth > 0 {
            self.current_links += chars;
            self.link_text += chars;
        }
    }
}

fn is_cjk(c: char) -> bool {
    matches!(c, '\u{2e80}'..='\u{d7af}' | '\u{f900}'..='\u{faff}' | '\u{ff00}'..='\u{ffef}')
}

/// Inline whitespace collapsed to single spaces, trimmed.
pub(crate) fn collapse(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for word in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// Walk the document, cut it into blocks, and pick the main text.
pub(crate) fn main_text(document: &Html, max_nodes: usize, titles: &[String], settings: TextSettings) -> Content {
    let mut w = Walk {
        els: Vec::with_capacity(2048),
        blocks: Vec::with_capacity(512),
        stack: Vec::with_capacity(64),
        current: String::new(),
        current_chars: 0,
        current_links: 0,
        link_depth: 0,
        marks: Vec::new(),
        times: Vec::new(),
        teaser_links: 0,
        link_text: 0,
    };
    let mut skip_depth = 0usize;
    let mut link_start_chars = 0u32;

    for edge in document.tree.root().traverse() {
        match edge {
            ego_tree::iter::Edge::Open(node) => match node.value() {
                Node::Element(el) => {
                    if skip_depth > 0 {
                        skip_depth += 1;
                        continue;
                    }
                    let name = el.name();
                    let kind = tag_kind(name);
                    if kind == TagKind::Skip {
                        // Whatever is skipped (an icon, a form control) still stands between words.
                        if !w.current.is_empty() && !w.current.ends_with(char::is_whitespace) {
                            w.current.push(' ');
                        }
                        skip_depth = 1;
                        continue;
                    }
                    if w.els.len() >= max_nodes {
                        break;
                    }
                    if kind != TagKind::Inline {
                        w.flush();
                        if kind == TagKind::Break {
                            // A void element: nothing to open.
                            skip_depth = 1;
                            continue;
                        }
                    }
                    open(&mut w, name, el, node);
                    if name == "a" {
                        if w.link_depth == 0 {
                            link_start_chars = w.link_text;
                        }
                        w.link_depth += 1;
                    }
                }
                Node::Text(text) if skip_depth == 0 => w.push_text(text),
                _ => {}
            },
            ego_tree::iter::Edge::Close(node) => {
                let Node::Element(el) = node.value() else { continue };
                if skip_depth > 0 {
                    skip_depth -= 1;
                    continue;
                }
                let name = el.name();
                if tag_kind(name) != TagKind::Inline {
                    w.flush();
                }
                if name == "a" && w.link_depth > 0 {
                    w.link_depth -= 1;
                    if w.link_depth == 0 && w.link_text - link_start_chars >= 35 {
                        w.teaser_links += 1;
                    }
                }
                close(&mut w);
            }
        }
    }
    w.flush();
    while !w.stack.is_empty() {
        close(&mut w);
    }
    select(w, titles, settings)
}

fn open<'a>(w: &mut Walk<'a>, name: &'a str, el: &'a Element, node: ego_tree::NodeRef<'a, Node>) {
    let index = w.els.len() as u32;
    let parent = w.stack.last().copied().unwrap_or(NONE);
    let depth = w.stack.len().min(u16::MAX as usize) as u16;
    let (class, marks) = classify(name, el);
    if (marks.date || marks.author) && w.marks.len() < 64 {
        w.marks.push((index, marks, short_text(node)));
    }
    if w.times.len() < 64 {
        if name == "time"
            && let Some(dt) = el.attr("datetime")
        {
            w.times.push((index, dt));
        } else if let Some(prop) = el.attr("itemprop")
            && prop.eq_ignore_ascii_case("datePublished")
            && let Some(v) = el.attr("content").or_else(|| el.attr("datetime"))
        {
            w.times.push((index, v));
        }
    }
    let first_block = w.blocks.len() as u32;
    w.els.push(El { name, element: el, parent, end: index + 1, depth, class, first_block, last_block: first_block });
    w.stack.push(index);
}

fn close(w: &mut Walk<'_>) {
    let Some(index) = w.stack.pop() else { return };
    let end = w.els.len() as u32;
    let blocks = w.blocks.len() as u32;
    if let Some(el) = w.els.get_mut(index as usize) {
        el.end = end;
        el.last_block = blocks;
    }
}

/// Blocks that are the summary line of a teaser card: the largest element around the block
/// with at most eight blocks holds a link of headline length before it and no more than two
/// prose blocks. Lists of "more stories" read like prose otherwise.
fn teasers(w: &Walk<'_>) -> Vec<bool> {
    let mut out = vec![false; w.blocks.len()];
    let is_prose = |b: &Block| b.link_chars * 2 <= b.chars && b.chars >= 25;
    for (i, b) in w.blocks.iter().enumerate() {
        if !is_prose(b) {
            continue;
        }
        let mut card = None;
        let mut at = b.el as usize;
        for _ in 0..6 {
            let Some(el) = w.els.get(at) else { break };
            if el.last_block - el.first_block > 8 {
                break;
            }
            card = Some(at);
            at = el.parent as usize;
        }
        let Some(el) = card.and_then(|c| w.els.get(c)) else { continue };
        let (first, last) = (el.first_block as usize, el.last_block as usize);
        let headline = w.blocks[first..i].iter().any(|h| h.link_chars >= 15 && h.link_chars * 2 > h.chars);
        if headline && w.blocks[first..last].iter().filter(|b| is_prose(b)).count() <= 2 {
            out[i] = true;
        }
    }
    out
}

/// Characters a prose block must have before it counts for its container: a short promotional
/// sentence ("Subscribe now to read …") adds little, a paragraph of the article a lot.
const PROSE_OFFSET: f32 = 30.0;
/// What each short line (a date, a byline, a label) costs its container: a region of many short
/// lines is a box of furniture, not the article.
const SHORT_LINE_COST: f32 = 10.0;

/// Weight of a block in the container score: prose counts, link lists count against.
fn weight(b: &Block) -> f32 {
    let n = b.chars as f32;
    let links = b.link_chars as f32;
    if links > 0.5 * n {
        return -n;
    }
    let prose = match b.kind {
        Kind::Caption => false,
        Kind::Para | Kind::Quote | Kind::Item | Kind::Pre => b.chars >= 25,
        _ => b.chars >= 50,
    };
    if prose && !is_furniture_line(&b.text) {
        n - links - PROSE_OFFSET
    } else if matches!(b.kind, Kind::Heading(_)) {
        0.0
    } else {
        -SHORT_LINE_COST
    }
}

fn select(w: Walk<'_>, titles: &[String], settings: TextSettings) -> Content {
    let n = w.els.len();
    let teasers = teasers(&w);
    let weights: Vec<f32> =
        w.blocks.iter().zip(&teasers).map(|(b, &teaser)| if teaser { weight(b).min(0.0) } else { weight(b) }).collect();

    // Prose inside every element, to overrule furniture marks on the element holding the article.
    let mut good = vec![0f32; n];
    let mut all_chars = vec![0f32; n];
    for (b, &wt) in w.blocks.iter().zip(&weights) {
        if let Some(g) = good.get_mut(b.el as usize) {
            *g += wt.max(0.0);
            all_chars[b.el as usize] += b.chars as f32;
        }
    }
    for i in (0..n).rev() {
        let p = w.els[i].parent;
        if p != NONE {
            good[p as usize] += good[i];
            all_chars[p as usize] += all_chars[i];
        }
    }
    let roots = || (0..n).filter(|&i| w.els[i].parent == NONE);
    let total_good: f32 = roots().map(|i| good[i]).sum();
    let total_chars: f32 = roots().map(|i| all_chars[i]).sum();

    // Nothing that holds most of the page's text or elements is an ad or a comment box.
    let wrapper = |i: usize| {
        let subtree = (w.els[i].end as usize).saturating_sub(i) as f32;
        good[i] > 0.0 && (all_chars[i] >= 0.5 * total_chars || subtree >= 0.3 * n as f32)
    };
    // Prose outside every furniture mark.
    let mut marked = vec![false; n];
    for i in 0..n {
        let el = &w.els[i];
        marked[i] = (matches!(el.class, Class::Furniture | Class::SoftFurniture) && !wrapper(i))
            || (el.parent != NONE && marked[el.parent as usize]);
    }
    let unmarked_good: f32 = w
        .blocks
        .iter()
        .zip(&weights)
        .filter(|(b, _)| (b.el as usize) < n && !marked[b.el as usize])
        .map(|(_, wt)| wt.max(0.0))
        .sum();
    // Live furniture: marked and not overruled, or inside such an element. A soft mark is overruled
    // on an element that holds half the page's prose or twice the prose of all unmarked elements;
    // a class-word mark only on one that holds nearly all of it.
    let mut furniture = vec![false; n];
    for i in 0..n {
        let el = &w.els[i];
        let inherited = el.parent != NONE && furniture[el.parent as usize];
        let g = good[i];
        let live = !wrapper(i)
            && match el.class {
                Class::SoftFurniture => !(g > 0.0 && (g >= 0.4 * total_good || g > 1.5 * unmarked_good)),
                Class::Furniture => !(g > 0.0 && g >= 0.6 * total_good && g > 3.0 * unmarked_good),
                _ => false,
            };
        furniture[i] = inherited || live;
    }

    // Per element, over live blocks: total weight, prose weight, all characters.
    let mut value = vec![0f32; n];
    let mut prose = vec![0f32; n];
    let mut chars_in = vec![0f32; n];
    for (b, &wt) in w.blocks.iter().zip(&weights) {
        let i = b.el as usize;
        if i < n && !furniture[i] {
            value[i] += wt;
            prose[i] += wt.max(0.0);
            chars_in[i] += b.chars as f32;
        }
    }
    for i in (0..n).rev() {
        let p = w.els[i].parent;
        if p != NONE {
            let p = p as usize;
            value[p] += value[i];
            prose[p] += prose[i];
            chars_in[p] += chars_in[i];
        }
    }
    let mut best: Option<usize> = None;
    for i in 0..n {
        if furniture[i] || !is_container_tag(w.els[i].name) || value[i] <= 0.0 {
            continue;
        }
        let better = match best {
            None => true,
            Some(b) => value[i] > value[b] || (value[i] == value[b] && w.els[i].depth > w.els[b].depth),
        };
        if better {
            best = Some(i);
        }
    }

    let h1 = w.blocks.iter().find(|b| b.kind == Kind::Heading(1)).map(|b| b.text.clone());
    let mut out = Content { h1, teaser_links: w.teaser_links, ..Content::default() };
    let mut lines: Vec<&str> = Vec::new();
    let (mut chars, mut links) = (0u32, 0u32);
    let mut closing_name = None;
    if let Some(best) = best {
        let end = w.els[best].end as usize;
        // Metadata and layout furniture strictly inside the article container is dropped, unless
        // it is mostly prose (a layout wrapper such as `sidebar-grid__container` around a chunk of
        // the article).
        let mut weak = vec![false; end - best];
        for i in best + 1..end {
            let el = &w.els[i];
            let parent_weak = el.parent as usize >= best && weak[el.parent as usize - best];
            let mostly_prose = prose[i] >= 60.0 && prose[i] >= 0.5 * chars_in[i];
            weak[i - best] = parent_weak || el.class == Class::Meta || (el.class == Class::Weak && !mostly_prose);
        }
        let (first, last) = (w.els[best].first_block as usize, w.els[best].last_block as usize);
        let (body_start, body_end) = body_region(&w, &weights, &furniture, best, first, last);
        let mut kept: Vec<&Block> = Vec::new();
        for (index, b) in w.blocks.iter().enumerate().take(last).skip(first) {
            let i = b.el as usize;
            if i < best || i >= end || furniture[i] || weak[i - best] {
                continue;
            }
            if index >= body_end {
                continue;
            }
            // Before the body only prose (the lede) and a long heading (a standfirst) stay.
            let standfirst = matches!(b.kind, Kind::Heading(2..)) && b.chars >= 40;
            if index < body_start && weights[index] <= 0.0 && !standfirst {
                continue;
            }
            if b.link_chars * 2 > b.chars && b.chars < 300 {
                continue;
            }
            if teasers.get(index).copied().unwrap_or(false) {
                continue;
            }
            if b.kind == Kind::Heading(1) || (b.kind == Kind::Caption && !settings.captions) {
                continue;
            }
            if is_furniture_line(&b.text) || titles.iter().any(|t| t == &b.text) {
                continue;
            }
            if !matches!(b.kind, Kind::Heading(_)) && b.chars < 80 && is_metadata_line(&b.text) {
                continue;
            }
            kept.push(b);
        }
        closing_name = drop_repeated_and_edges(&mut kept);
        for b in kept {
            lines.push(&b.text);
            chars += b.chars;
            links += b.link_chars;
            out.longest_block = out.longest_block.max(b.chars as usize);
            if matches!(b.kind, Kind::Para | Kind::Quote | Kind::Other) && b.chars >= 80 {
                out.paragraphs += 1;
            }
        }
        out.date_texts = date_texts(&w, Some(best));
    } else {
        out.date_texts = date_texts(&w, None);
    }
    out.byline = byline(&w).or(closing_name);
    out.text = lines.join("\n");
    if settings.explain {
        out.explanation = explain(&w, &weights, &furniture, &value, best);
    }
    out.link_density = if chars == 0 { 1.0 } else { links as f32 / chars as f32 };
    out
}

/// The article body inside the chosen container: the blocks from the first to the last element
/// that directly holds a good share of the prose (at least a quarter of what the element holding
/// the most holds). What follows it (author boxes, subscription offers, tag lists, comment rules)
/// is left out; what precedes it is kept only if it is prose (the lede).
fn body_region(
    w: &Walk<'_>,
    weights: &[f32],
    furniture: &[bool],
    best: usize,
    first: usize,
    last: usize,
) -> (usize, usize) {
    let end = w.els[best].end as usize;
    let mut direct: std::collections::HashMap<usize, f32> = std::collections::HashMap::new();
    for (index, b) in w.blocks.iter().enumerate().take(last).skip(first) {
        let wt = weights[index];
        let i = b.el as usize;
        if wt <= 0.0 || i < best || i >= end || furniture[i] {
            continue;
        }
        // The paragraph's holder: the nearest container at or above its element.
        let mut at = i;
        for _ in 0..3 {
            if is_container_tag(w.els[at].name) || at == best {
                break;
            }
            at = w.els[at].parent as usize;
        }
        *direct.entry(at).or_default() += wt;
    }
    let top = direct.values().copied().fold(0.0f32, f32::max);
    // Holders of a good share, and their siblings that hold prose too (an article cut into
    // `page-break` or grid chunks).
    let parents: std::collections::HashSet<u32> =
        direct.iter().filter(|(_, v)| **v >= 0.25 * top).map(|(e, _)| w.els[*e].parent).collect();
    let mut region: Option<(usize, usize)> = None;
    for (&e, &v) in &direct {
        if v >= 0.25 * top || (v >= 60.0 && parents.contains(&w.els[e].parent)) {
            let (s, t) = (w.els[e].first_block as usize, w.els[e].last_block as usize);
            region = Some(region.map_or((s, t), |(a, b)| (a.min(s), b.max(t))));
        }
    }
    region.unwrap_or((first, last))
}

/// Short lines that state when, by whom or with whose photo rather than what: dates, "By …"
/// bylines, photo credits, lines without a letter.
fn is_metadata_line(text: &str) -> bool {
    let letters = text.chars().filter(|c| c.is_alphabetic()).count();
    if letters < 2 {
        return text.chars().count() < 16 || duluan_text::parse_date(text).is_some();
    }
    if text.starts_with('©') || text.starts_with("(c)") || text.starts_with("(C)") {
        return true;
    }
    let lower = text.to_lowercase();
    const CREDITS: &[&str] = &[
        "foto:",
        "fotos:",
        "photo:",
        "photos:",
        "bild:",
        "image:",
        "credit:",
        "ảnh:",
        "picture alliance",
        "imago",
        "getty images",
        "/ afp",
        "/afp",
        "/ reuters",
        "/reuters",
        "/ dpa",
        "/dpa",
        "shutterstock",
        "lesezeit",
        "reading time",
        "min read",
        "min. read",
        "min lesezeit",
    ];
    if text.chars().count() <= 60 && CREDITS.iter().any(|c| lower.contains(c)) {
        return true;
    }
    // "3 Min", "5 phút đọc": reading time.
    if let Some((number, unit)) = lower.split_once(' ')
        && number.chars().all(|c| c.is_ascii_digit())
        && matches!(unit.trim_end_matches('.'), "min" | "mins" | "minutes" | "minuten" | "phút" | "phút đọc")
    {
        return true;
    }
    let words: Vec<&str> = text.split_whitespace().collect();
    const BY: &[&str] = &["by", "von", "par", "por", "di", "da", "av", "door", "af", "tekst:", "text:", "de"];
    if words.len() >= 2 && words.len() <= 7 && BY.iter().any(|b| words[0].eq_ignore_ascii_case(b)) {
        let capitalised = words[1..].iter().filter(|w| w.chars().next().is_some_and(char::is_uppercase)).count();
        if capitalised * 2 >= words.len() - 1 && !text.ends_with('.') {
            return true;
        }
    }
    text.chars().count() <= 48 && duluan_text::parse_date(text).is_some() && letters * 2 < text.len() + 20
}

/// Lines that repeat inside the text ("Article content" between every paragraph) are labels, and
/// a name-only line closing the text is a byline ("Lê Phương"): dropped, and returned.
fn drop_repeated_and_edges(kept: &mut Vec<&Block>) -> Option<String> {
    let mut counts: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for b in kept.iter() {
        *counts.entry(b.text.as_str()).or_default() += 1;
    }
    if counts.values().any(|&c| c > 1) {
        // Short repeated lines go altogether; a long one (a caption shown twice) is kept once.
        let mut seen: std::collections::HashSet<&str> = std::collections::HashSet::new();
        kept.retain(|b| {
            let repeated = counts.get(b.text.as_str()).is_some_and(|&c| c > 1);
            !repeated || (b.chars > 40 && seen.insert(b.text.as_str()))
        });
    }
    let mut name = None;
    while let Some(last) = kept.last() {
        if !matches!(last.kind, Kind::Heading(_)) && is_name_line(&last.text) {
            name = Some(last.text.clone());
            kept.pop();
        } else {
            break;
        }
    }
    name
}

/// Two to five capitalised words and nothing else: a name.
fn is_name_line(text: &str) -> bool {
    let words: Vec<&str> = text.split_whitespace().collect();
    (1..=5).contains(&words.len())
        && text.chars().count() <= 40
        && words.iter().all(|w| {
            let mut chars = w.chars();
            chars.next().is_some_and(char::is_uppercase) && chars.all(|c| c.is_alphabetic() || c == '.' || c == '-')
        })
}

fn describe(w: &Walk<'_>, i: usize) -> String {
    let el = &w.els[i];
    let attrs: String = [el.element.attr("id"), el.element.attr("class")]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(".")
        .chars()
        .take(40)
        .collect();
    format!("{}#{}[{}]{:?}", el.name, i, attrs, el.class)
}

fn path(w: &Walk<'_>, mut i: usize) -> String {
    let mut parts = Vec::new();
    while i < w.els.len() && parts.len() < 40 {
        parts.push(describe(w, i));
        let p = w.els[i].parent;
        if p == NONE {
            break;
        }
        i = p as usize;
    }
    parts.reverse();
    parts.join(" > ")
}

fn explain(w: &Walk<'_>, weights: &[f32], furniture: &[bool], value: &[f32], best: Option<usize>) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let mut ranked: Vec<usize> = (0..w.els.len()).filter(|&i| is_container_tag(w.els[i].name)).collect();
    ranked.sort_by(|a, b| value[*b].total_cmp(&value[*a]));
    let _ = writeln!(s, "best: {:?}", best.map(|b| path(w, b)));
    let _ = writeln!(s, "dates: {:?}", date_texts(w, best));
    for &i in ranked.iter().take(8) {
        let _ = writeln!(s, "  {:>8.0} {}", value[i], path(w, i));
    }
    for (b, wt) in w.blocks.iter().zip(weights) {
        let i = b.el as usize;
        let inside = best.is_some_and(|x| i >= x && i < w.els[x].end as usize);
        let text: String = b.text.chars().take(70).collect();
        let _ = writeln!(
            s,
            "{}{} {:>6.0} {:?} {:?} | {} | {}",
            if inside { '*' } else { ' ' },
            if furniture.get(i).copied().unwrap_or(false) { 'F' } else { ' ' },
            wt,
            b.kind,
            (b.chars, b.link_chars),
            text,
            if i < w.els.len() { path(w, i) } else { String::new() }
        );
    }
    s
}

/// Texts that may state the publication date, best first: `itemprop=datePublished` and
/// `<time datetime>`, then elements whose class says date/time; inside the article container
/// before outside it, and nearest the headline first (a site header's "today" line is far away).
fn date_texts(w: &Walk<'_>, best: Option<usize>) -> Vec<String> {
    let inside = |i: u32| best.is_some_and(|b| (i as usize) >= b && (i as usize) < w.els[b].end as usize);
    let h1 = w.blocks.iter().filter(|b| b.kind == Kind::Heading(1)).map(|b| b.el);
    let anchor = h1.clone().find(|&e| inside(e)).or_else(|| h1.clone().next()).or(best.map(|b| b as u32));
    let distance = |i: u32| anchor.map_or(0, |a| i.abs_diff(a));
    let mut candidates: Vec<(bool, u8, u32, &str)> = Vec::new();
    for &(i, dt) in &w.times {
        candidates.push((!inside(i), 0, distance(i), dt));
    }
    for (i, marks, text) in &w.marks {
        if marks.date && !text.is_empty() && text.len() <= 160 {
            candidates.push((!inside(*i), 1, distance(*i), text));
        }
    }
    candidates.sort_by_key(|&(outside, kind, distance, _)| (outside, distance, kind));
    candidates.into_iter().take(16).map(|(_, _, _, t)| t.to_string()).collect()
}

/// The first short text of an element marked as author / byline.
fn byline(w: &Walk<'_>) -> Option<String> {
    let mut candidates = w
        .marks
        .iter()
        .filter(|(_, marks, text)| marks.author && !text.is_empty() && text.chars().count() <= 80)
        .map(|(_, _, text)| text);
    // An author box often holds the date too: prefer a line without digits (the name alone).
    let first = candidates.clone().next();
    candidates.find(|t| !t.chars().any(|c| c.is_ascii_digit())).or(first).cloned()
}

/// The text of a subtree, whitespace collapsed, stopping after about 200 bytes.
fn short_text(node: ego_tree::NodeRef<'_, Node>) -> String {
    let mut s = String::new();
    for d in node.descendants() {
        match d.value() {
            Node::Text(t) => {
                s.push_str(t);
                s.push(' ');
                if s.len() > 200 {
                    break;
                }
            }
            Node::Element(e) if matches!(tag_kind(e.name()), TagKind::Skip) => {}
            _ => {}
        }
    }
    collapse(&s)
}

/// Absolute http(s) links of the page, in order, without fragments or duplicates.
pub(crate) fn links(document: &Html, page: Option<&Url>, base_href: Option<&Url>) -> Vec<String> {
    let base = base_href.or(page);
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for node in document.tree.root().descendants() {
        let Node::Element(el) = node.value() else { continue };
        if el.name() != "a" {
            continue;
        }
        let Some(href) = el.attr("href") else { continue };
        let href = href.trim();
        if href.is_empty() || href.starts_with('#') || href.len() > 4096 {
            continue;
        }
        let resolved = match base {
            Some(b) => b.join(href),
            None => Url::parse(href),
        };
        let Ok(mut url) = resolved else { continue };
        if !matches!(url.scheme(), "http" | "https") {
            continue;
        }
        url.set_fragment(None);
        let s = url.to_string();
        if seen.insert(s.clone()) {
            out.push(s);
        }
        if out.len() >= 5000 {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Options, extract};

    fn text_of(html: &str) -> String {
        extract(html, Some("https://e.vn/a.html"), &Options::default()).text
    }

    const P1: &str = "Sau đợt mưa lũ kéo dài, giá rau xanh tại các chợ trong thành phố tăng gấp đôi so với tuần trước.";
    const P2: &str = "Bà Lan, tiểu thương chợ Tân Định, nói rau muống đã lên 30.000 đồng một bó và vẫn khan hàng.";
    const P3: &str = "Sở Công Thương cho biết sẽ phối hợp với các tỉnh lân cận để bổ sung nguồn hàng trong tuần tới.";

    fn block(text: &str, links: u32, kind: Kind) -> Block {
        let chars = text.chars().filter(|c| !c.is_whitespace()).count() as u32;
        Block { text: text.to_string(), el: 0, chars, link_chars: links.min(chars), kind }
    }

    #[test]
    fn weights_favour_prose_and_punish_link_lists() {
        assert!(weight(&block(P1, 0, Kind::Para)) > 40.0);
        assert!(weight(&block("Thời sự Thế giới Kinh doanh Giải trí Thể thao", 40, Kind::Item)) < -30.0);
        assert_eq!(weight(&block("Ngày 24/12", 0, Kind::Other)), -SHORT_LINE_COST);
        assert_eq!(weight(&block("Tin mới", 0, Kind::Heading(2))), 0.0);
        assert_eq!(weight(&block(P1, 0, Kind::Caption)), -SHORT_LINE_COST);
        assert!(weight(&block("Quảng cáo", 0, Kind::Para)) < 0.0);
    }

    #[test]
    fn teaser_cards_are_not_article_text() {
        let card = |i: usize| {
            format!(
                "<div class=\"card\"><h3><a href=\"/b{i}\">Tiêu đề bài viết liên quan số {i} về giá cả</a></h3>\
                 <p>Tóm tắt bài viết số {i}: giá cả thị trường biến động mạnh trong tuần qua theo ghi nhận.</p></div>"
            )
        };
        let cards: String = (0..6).map(card).collect();
        let html =
            format!("<body><article><p>{P1}</p><p>{P2}</p><p>{P3}</p></article><section>{cards}</section></body>");
        let text = text_of(&html);
        assert!(text.contains(P3) && !text.contains("Tóm tắt"), "{text}");
        // A "read also" link inside the body does not make the next paragraph a teaser.
        let html = format!(
            "<body><div class=\"body\"><p>{P1}</p><p>Xem thêm: <a href=\"/x\">Giá xăng dầu hôm nay tăng mạnh</a></p>\
             <p>{P2}</p><p>{P3}</p></div></body>"
        );
        assert!(text_of(&html).contains(P2));
    }

    #[test]
    fn furniture_marks_are_overruled_on_the_article() {
        // A wrapper named like furniture that holds the whole article.
        let html = format!(
            "<body><div class=\"share-container article-wrap\"><p>{P1}</p><p>{P2}</p><p>{P3}</p></div>\
             <div class=\"comments\"><p>Bình luận: {P1}</p></div></body>"
        );
        let text = text_of(&html);
        assert!(text.contains(P2) && !text.contains("Bình luận"), "{text}");
        // A page-wide layout wrapper whose class happens to contain "ad".
        let menu: String = (0..12).map(|i| format!("<li><a href=\"/m{i}\">Mục {i}</a></li>")).collect();
        let html = format!(
            "<body><div class=\"l-wrapper gate-ad\"><ul>{menu}</ul><main><p>{P1}</p><p>{P2}</p></main></div></body>"
        );
        assert!(text_of(&html).contains(P1));
    }

    #[test]
    fn metadata_inside_the_article_is_dropped_layout_wrappers_are_not() {
        let html = format!(
            "<body><article><div class=\"article-meta\"><span class=\"author\">Minh Anh</span> \
             <span class=\"date\">24/12/2021</span></div><p>{P1}</p>\
             <div class=\"sidebar-grid__container\"><p>{P2}</p><p>{P3}</p></div></article></body>"
        );
        let text = text_of(&html);
        assert!(!text.contains("Minh Anh") && !text.contains("24/12"), "{text}");
        assert!(text.contains(P2) && text.contains(P3), "{text}");
    }

    #[test]
    fn what_follows_the_body_is_left_out_the_lede_before_it_kept() {
        let lede = "Giá rau xanh tăng gấp đôi sau mưa lũ, người tiêu dùng phải thắt chặt chi tiêu hằng ngày.";
        let html = format!(
            "<body><article><p class=\"sapo\">{lede}</p><div class=\"content\"><p>{P1}</p><p>{P2}</p><p>{P3}</p>\
             <p>{P1} {P2}</p></div><div class=\"bio\"><p>Phóng viên Minh Anh viết về kinh tế và đời sống đô thị từ năm 2015.</p></div>\
             <div class=\"promo\"><p>Đăng ký nhận bản tin để đọc những bài viết mới nhất mỗi sáng.</p></div></article></body>"
        );
        let text = text_of(&html);
        assert!(text.starts_with(lede), "{text}");
        assert!(!text.contains("Phóng viên") && !text.contains("Đăng ký"), "{text}");
    }

    #[test]
    fn metadata_lines() {
        for line in [
            "24/12/2021 10:30",
            "Thứ sáu, 24/12/2021",
            "By John Smith",
            "Von Anna Müller",
            "© AFP",
            "5 Min",
            "Foto: dpa",
            "Ảnh: Minh Anh",
            "12",
            "3 phút",
        ] {
            assert!(is_metadata_line(line), "{line}");
        }
        for line in ["By the end of the year prices had doubled.", "Giá rau tăng", "Ông Nguyễn Văn A cho biết."]
        {
            assert!(!is_metadata_line(line), "{line}");
        }
        assert!(is_name_line("Lê Phương") && is_name_line("Minh Anh") && !is_name_line("Giá rau tăng mạnh"));
    }

    #[test]
    fn repeated_labels_and_a_closing_name_go() {
        let html = format!(
            "<body><article><p>{P1}</p><p>Article content</p><p>{P2}</p><p>Article content</p><p>{P3}</p>\
             <p style=\"text-align:right\"><strong>Minh Anh</strong></p></article></body>"
        );
        let text = text_of(&html);
        assert_eq!(text, format!("{P1}\n{P2}\n{P3}"));
    }

    #[test]
    fn the_date_near_the_headline_beats_the_header_clock() {
        let html = format!(
            "<body><header><span class=\"time-now\">Thứ hai, 23/11/2026</span></header>\
             <article><h1>Giá rau tăng mạnh</h1><span class=\"date\">Thứ sáu, 24/12/2021, 10:30 (GMT+7)</span>\
             <p>{P1}</p><p>{P2}</p><p>{P3}</p></article></body>"
        );
        let a = extract(&html, None, &Options::default());
        assert_eq!(a.published_at.map(|d| d.to_rfc3339()).as_deref(), Some("2021-12-24T03:30:00+00:00"));
    }

    #[test]
    fn headings_and_list_items_are_kept_captions_are_not() {
        let html = format!(
            "<body><article><p>{P1}</p><h2>Nguồn hàng khan hiếm</h2><ul><li>{P2}</li><li>{P3}</li></ul>\
             <figure><img src=a.jpg><figcaption>Chợ Tân Định sáng 24/12. Ảnh: Minh Anh</figcaption></figure></article></body>"
        );
        assert_eq!(text_of(&html), format!("{P1}\nNguồn hàng khan hiếm\n{P2}\n{P3}"));
    }
}
