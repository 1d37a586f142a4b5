//! Which elements are page furniture rather than article content, from their tag and their
//! class / id / role / itemprop words. Classification is a hint, not a verdict: `content.rs`
//! overrules a furniture mark on an element that holds most of the page's prose.

use scraper::node::Element;

/// What an element's tag says about its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TagKind {
    /// Never holds readable text (scripts, form controls, media): skipped with its subtree.
    Skip,
    /// A line break: ends the current block.
    Break,
    /// Starts and ends a block of text (paragraphs, headings, list items, containers).
    Block,
    /// Inline: text flows through.
    Inline,
}

pub(crate) fn tag_kind(name: &str) -> TagKind {
    match name {
        "script" | "style" | "noscript" | "template" | "svg" | "math" | "iframe" | "object" | "embed" | "canvas"
        | "video" | "audio" | "button" | "select" | "option" | "optgroup" | "textarea" | "input" | "head" | "title"
        | "map" | "datalist" | "progress" | "meter" | "picture" | "source" | "img" => TagKind::Skip,
        "br" | "hr" => TagKind::Break,
        "p" | "div" | "section" | "article" | "main" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "li" | "ul" | "ol"
        | "dl" | "dt" | "dd" | "blockquote" | "pre" | "table" | "tr" | "td" | "th" | "tbody" | "thead" | "tfoot"
        | "caption" | "figure" | "figcaption" | "header" | "footer" | "nav" | "aside" | "body" | "html" | "center"
        | "address" | "details" | "summary" | "form" | "fieldset" | "legend" | "menu" | "dialog" | "hgroup"
        | "search" | "frameset" | "frame" | "label" => TagKind::Block,
        _ => TagKind::Inline,
    }
}

/// Containers that may hold a whole article.
pub(crate) fn is_container_tag(name: &str) -> bool {
    matches!(name, "div" | "section" | "article" | "main" | "td" | "body" | "center" | "form" | "span" | "font")
}

/// How an element's markup classifies it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Class {
    /// Furniture by its class words: its text is left out (unless it holds nearly all the prose).
    Furniture,
    /// Furniture by its tag or role, or by class words next to content words (`article-share
    /// article-body`): left out unless it holds most of the prose.
    SoftFurniture,
    /// Layout furniture (sidebar, header, form): dropped inside the chosen article container unless
    /// it is mostly prose, harmless when it encloses the article.
    Weak,
    /// A metadata box (byline, date line, credits, caption): dropped inside the article container.
    Meta,
    /// Marked as content.
    Content,
    /// No opinion.
    Neutral,
}

// What a class/id word says, as bit flags.
const STRONG: u8 = 1;
const RISKY: u8 = 2;
const WEAK: u8 = 4;
const META: u8 = 8;
const POSITIVE: u8 = 16;
const DATE: u8 = 32;
const AUTHOR: u8 = 64;

/// Flags of one class/id word, compared case-insensitively.
///
/// - strong furniture: ads, comments, related links, sharing, navigation, consent banners;
/// - risky furniture (soft): words that usually mark furniture but also name layout parts that may
///   wrap an article (`widget-area`, `banner-wrapper`, `tools`);
/// - weak (layout): a "sidebar-1" or "header" that wraps the whole article (VnExpress does this)
///   must not take the article with it; loses to a content word (`article-header` holds the lede);
/// - meta: byline, date line, credits, caption — dropped inside the article even next to a
///   content word (`article-meta`);
/// - positive: content markers (`article-body`, `fck_detail`, `noidung`).
fn word_flags(word: &str) -> u8 {
    let mut buf = [0u8; 40];
    let Some(w) = buf.get_mut(..word.len()) else { return 0 };
    for (b, c) in w.iter_mut().zip(word.bytes()) {
        *b = c.to_ascii_lowercase();
    }
    let w: &[u8] = w;
    let mut f = match w {
        b"ad" | b"ads" | b"adv" | b"adslot" | b"adunit" | b"advert" | b"adverts" | b"advertisement"
        | b"advertising" | b"dfp" | b"qc" | b"quangcao" | b"sponsored" | b"outbrain" | b"taboola" | b"disqus"
        | b"comment" | b"comments" | b"kommentare" | b"binhluan" | b"related" | b"lienquan" | b"tinlienquan"
        | b"tinkhac" | b"xemthem" | b"docthem" | b"readmore" | b"recirc" | b"recirculation" | b"share" | b"shares"
        | b"sharing" | b"sharebar" | b"social" | b"sns" | b"nav" | b"navbar" | b"navigation" | b"breadcrumb"
        | b"breadcrumbs" | b"pagination" | b"cookie" | b"cookies" | b"consent" | b"gdpr" | b"onetrust" | b"didomi"
        | b"usercentrics" | b"newsletter" | b"recommend" | b"recommended" | b"recommendation" | b"recommendations"
        | b"mostread" | b"mostpopular" | b"skiplink" | b"copyright" | b"tweet" | b"twitter" | b"instagram"
        | b"tiktok" | b"socialembed" => STRONG,
        b"banner" | b"sponsor" | b"promo" | b"promotion" | b"noibat" | b"pager" | b"popup" | b"modal" | b"privacy"
        | b"subscribe" | b"subscription" | b"widget" | b"trending" | b"popular" | b"toolbar" | b"tools" | b"login"
        | b"signup" | b"footer" | b"masthead" | b"tags" | b"taglist" | b"tagcloud" | b"keyword" | b"keywords"
        | b"feedback" | b"follow" => RISKY,
        b"sidebar" | b"aside" | b"header" | b"menu" | b"aspnetform" | b"form" | b"topbar" => WEAK,
        b"date" | b"time" | b"timestamp" | b"dateline" | b"published" | b"updated" => META | DATE,
        b"author" | b"authors" | b"byline" => META | AUTHOR,
        b"meta" | b"info" | b"source" | b"credit" | b"credits" | b"caption" | b"toc" => META,
        b"pubdate" | b"publish" | b"posted" | b"datetime" => DATE,
        b"writer" | b"tacgia" => AUTHOR,
        b"article" | b"content" | b"body" | b"post" | b"entry" | b"story" | b"main" | b"detail" | b"text" | b"fck"
        | b"chitiet" | b"noidung" | b"articlebody" | b"maincontent" | b"prose" | b"richtext" | b"paragraph" => POSITIVE,
        _ => 0,
    };
    const STRONG_PREFIXES: &[&[u8]] = &[
        b"comment",
        b"related",
        b"share",
        b"social",
        b"advert",
        b"breadcrumb",
        b"newsletter",
        b"cookie",
        b"recommend",
        b"binhluan",
        b"lienquan",
        b"tinlienquan",
        b"quangcao",
        b"outbrain",
        b"taboola",
    ];
    if f == 0 && w.len() >= 5 {
        if STRONG_PREFIXES.iter().any(|p| w.starts_with(p)) {
            f |= STRONG;
        } else if w.starts_with(b"sidebar") {
            f |= WEAK;
        } else if [&b"article"[..], b"content", b"entry", b"story", b"detail"].iter().any(|p| w.starts_with(p)) {
            f |= POSITIVE;
        }
        if w.len() > 6 && (w.starts_with(b"datepub") || w.starts_with(b"publishe")) {
            f |= DATE;
        }
    }
    f
}

/// The flags of all words of an element's class, id and itemprop: split at non-alphanumerics and
/// at lower→upper case changes (`relatedNews` → `related`, `News`); glued camelCase forms
/// (`articleBody`) count whole too.
fn attribute_flags(el: &Element) -> u8 {
    let mut flags = 0u8;
    for value in [el.attr("class"), el.attr("id"), el.attr("itemprop")].into_iter().flatten() {
        if value.len() > 400 {
            continue;
        }
        for part in value.split(|c: char| !c.is_ascii_alphanumeric()) {
            if part.is_empty() || part.len() > 40 {
                continue;
            }
            let bytes = part.as_bytes();
            let mut start = 0;
            for i in 1..bytes.len() {
                if bytes[i].is_ascii_uppercase() && bytes[i - 1].is_ascii_lowercase() {
                    flags |= word_flags(&part[start..i]);
                    start = i;
                }
            }
            flags |= word_flags(&part[start..]);
            if start > 0 {
                flags |= word_flags(part);
            }
        }
    }
    flags
}

/// What an element's words say it holds besides its class.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Marks {
    /// A date or time line (`post-date`, `timestamp`).
    pub(crate) date: bool,
    /// An author or byline.
    pub(crate) author: bool,
}

/// Classify an element by its tag and attribute words.
pub(crate) fn classify(name: &str, el: &Element) -> (Class, Marks) {
    let has_words = el.attr("class").is_some() || el.attr("id").is_some() || el.attr("itemprop").is_some();
    let flags = if has_words { attribute_flags(el) } else { 0 };
    let mut marks = Marks { date: flags & DATE != 0, author: flags & AUTHOR != 0 };
    if let Some(prop) = el.attr("itemprop") {
        marks.author |= prop.eq_ignore_ascii_case("author");
    }
    (class_of(name, el, flags), marks)
}

fn class_of(name: &str, el: &Element, flags: u8) -> Class {
    match name {
        "nav" | "footer" | "aside" | "menu" | "dialog" => return Class::SoftFurniture,
        "header" | "form" | "address" => return Class::Weak,
        _ => {}
    }
    if el.attr("hidden").is_some() {
        return Class::SoftFurniture;
    }
    if let Some(style) = el.attr("style")
        && style.len() < 400
        && style.contains(':')
    {
        let compact: String = style.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_lowercase();
        if compact.contains("display:none") || compact.contains("visibility:hidden") {
            return Class::SoftFurniture;
        }
    }
    match el.attr("role") {
        Some(
            "navigation" | "contentinfo" | "complementary" | "dialog" | "alertdialog" | "search" | "menu" | "menubar"
            | "toolbar" | "tablist",
        ) => return Class::SoftFurniture,
        Some("banner") => return Class::Weak,
        Some("main" | "article") => return Class::Content,
        _ => {}
    }
    let positive = flags & POSITIVE != 0;
    if flags & STRONG != 0 && !positive {
        Class::Furniture
    } else if flags & (STRONG | RISKY) != 0 {
        Class::SoftFurniture
    } else if flags & META != 0 {
        Class::Meta
    } else if positive {
        Class::Content
    } else if flags & WEAK != 0 {
        Class::Weak
    } else {
        Class::Neutral
    }
}

/// Short lines that are page furniture wherever they stand ("Advertisement", "Quảng cáo").
pub(crate) fn is_furniture_line(text: &str) -> bool {
    if text.len() > 60 {
        return false;
    }
    let t = text.trim_matches(|c: char| !c.is_alphanumeric()).to_lowercase();
    matches!(
        t.as_str(),
        "advertisement"
            | "advertising"
            | "ad"
            | "anzeige"
            | "werbung"
            | "publicité"
            | "publicidad"
            | "pubblicità"
            | "reklame"
            | "annonse"
            | "quảng cáo"
            | "share"
            | "share this article"
            | "share this"
            | "chia sẻ"
            | "read more"
            | "read next"
            | "more"
            | "xem thêm"
            | "đọc thêm"
            | "tin liên quan"
            | "related"
            | "related articles"
            | "related stories"
            | "skip advertisement"
            | "continue reading"
            | "scroll to continue with content"
            | "story continues below advertisement"
            | "article continues below"
            | "artikel lesen sie nach der anzeige"
            | "lesen sie auch"
            | "mehr zum thema"
            | "sponsored"
            | "newsletter"
            | "sign up"
            | "subscribe"
            | "loading"
            | "loading..."
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use scraper::{Html, Selector};

    fn class_of(html: &str) -> Class {
        let doc = Html::parse_fragment(html);
        let sel = Selector::parse("div").unwrap_or_else(|_| unreachable!());
        let el = doc.select(&sel).next().unwrap_or_else(|| unreachable!());
        classify("div", el.value()).0
    }

    #[test]
    fn classifies_common_markup() {
        assert_eq!(class_of(r#"<div class="box-comment">x</div>"#), Class::Furniture);
        assert_eq!(class_of(r#"<div id="relatedNews">x</div>"#), Class::Furniture);
        assert_eq!(class_of(r#"<div class="article-share">x</div>"#), Class::SoftFurniture);
        assert_eq!(class_of(r#"<div class="article-body">x</div>"#), Class::Content);
        assert_eq!(class_of(r#"<div itemprop="articleBody">x</div>"#), Class::Content);
        assert_eq!(class_of(r#"<div class="header">x</div>"#), Class::Weak);
        assert_eq!(class_of(r#"<div class="sidebar-1">x</div>"#), Class::Weak);
        assert_eq!(class_of(r#"<div class="article-header">x</div>"#), Class::Content);
        assert_eq!(class_of(r#"<div class="uploads threads">x</div>"#), Class::Neutral);
        assert_eq!(class_of(r#"<div style="display: none">x</div>"#), Class::SoftFurniture);
        assert_eq!(class_of(r#"<div class="fck_detail">x</div>"#), Class::Content);
        assert_eq!(class_of(r#"<div class="articleComments">x</div>"#), Class::SoftFurniture);
        assert_eq!(class_of(r#"<div class="comments-list">x</div>"#), Class::Furniture);
        // Tailwind's `hidden md:block` is shown on wide screens; WordPress tags posts `tag-…`.
        assert_eq!(class_of(r#"<div class="hidden md:block">x</div>"#), Class::Neutral);
        assert_eq!(class_of(r#"<div class="post type-post tag-politics">x</div>"#), Class::Content);
        assert_eq!(class_of(r#"<div role="navigation">x</div>"#), Class::SoftFurniture);
        assert_eq!(class_of(r#"<div class="article-meta">x</div>"#), Class::Meta);
    }

    #[test]
    fn furniture_lines() {
        assert!(is_furniture_line("Advertisement"));
        assert!(is_furniture_line(" Quảng cáo "));
        assert!(!is_furniture_line("Advertisement revenue fell by a third this year."));
    }

    #[test]
    fn tags() {
        assert_eq!(tag_kind("script"), TagKind::Skip);
        assert_eq!(tag_kind("p"), TagKind::Block);
        assert_eq!(tag_kind("br"), TagKind::Break);
        assert_eq!(tag_kind("strong"), TagKind::Inline);
    }
}
