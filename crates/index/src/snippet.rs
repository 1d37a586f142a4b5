//! Snippets with highlights, computed from the stored text with the same tokenisation the index
//! uses, so a folded query (`khau trang`) highlights `khẩu trang` in the text. Fragments are plain
//! text: the caller escapes them when rendering.

use std::collections::HashSet;

use chrono::Utc;
use duluan_text::{Analysis, View};

use crate::syntax::{self, Expr};
use serde::Serialize;

/// The words of a query, normalised for highlighting: each in the view its spelling chose.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QueryTerms {
    exact: HashSet<String>,
    folded: HashSet<String>,
    prefixes: Vec<(View, String)>,
}

impl QueryTerms {
    /// The positive words of a query: operators, filters and excluded words are left out; a
    /// query that cannot be parsed highlights nothing.
    pub fn from_query(query: &str) -> QueryTerms {
        syntax::parse(query, Utc::now()).map(|e| QueryTerms::from_expr(&e)).unwrap_or_default()
    }

    /// The positive words of a parsed query.
    pub fn from_expr(expr: &Expr) -> QueryTerms {
        let mut terms = QueryTerms::default();
        terms.collect(expr);
        terms
    }

    fn collect(&mut self, expr: &Expr) {
        match expr {
            Expr::Text { text, prefix, .. } => {
                let view = syntax::view_of(text);
                let a = Analysis::new(text);
                for i in 0..a.len() {
                    let token = a.token(view, i).to_string();
                    if *prefix && i + 1 == a.len() {
                        self.prefixes.push((view, token));
                    } else if view == View::Exact {
                        self.exact.insert(token);
                    } else {
                        self.folded.insert(token);
                    }
                }
            }
            Expr::And(items) | Expr::Or(items) => items.iter().for_each(|e| self.collect(e)),
            Expr::All | Expr::Not(_) | Expr::Filter { .. } | Expr::Date { .. } => {}
        }
    }

    fn matches(&self, a: &Analysis, i: usize) -> bool {
        (!self.exact.is_empty() && self.exact.contains(a.token(View::Exact, i)))
            || (!self.folded.is_empty() && self.folded.contains(a.token(View::Folded, i)))
            || self.prefixes.iter().any(|(view, p)| a.token(*view, i).starts_with(p.as_str()))
    }

    /// Whether there is nothing to highlight.
    pub fn is_empty(&self) -> bool {
        self.exact.is_empty() && self.folded.is_empty() && self.prefixes.is_empty()
    }
}

/// A piece of a snippet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Fragment {
    /// Text as written in the item.
    pub text: String,
    /// Whether it matched the query.
    pub highlight: bool,
}

/// A window of about `max_chars` characters of `text` around the densest run of query words,
/// cut into plain and highlighted fragments.
pub fn snippet(text: &str, terms: &QueryTerms, max_chars: usize) -> Vec<Fragment> {
    let a = Analysis::new(text);
    let marked: Vec<usize> =
        if terms.is_empty() { Vec::new() } else { (0..a.len()).filter(|&i| terms.matches(&a, i)).collect() };
    let max_bytes = max_chars.max(20) * 3;
    let (start, end) = match best_window(&a, &marked, max_bytes) {
        Some((s, e)) => (s, e.min(text.len())),
        None => (0, cut(text, 0, max_bytes)),
    };
    let mut out = Vec::new();
    if start > 0 {
        out.push(Fragment { text: "…".into(), highlight: false });
    }
    let mut pos = start;
    for &i in &marked {
        let (s, e) = a.spans[i];
        if s < start || e > end {
            continue;
        }
        if s > pos {
            let gap = &text[pos..s];
            // Join "khẩu" + " " + "trang" into one highlight.
            let joins = gap.trim().is_empty() && out.last().is_some_and(|f: &Fragment| f.highlight);
            push(&mut out, gap, joins);
        }
        push(&mut out, &text[s..e], true);
        pos = e;
    }
    if end > pos {
        push(&mut out, &text[pos..end], false);
    }
    if end < text.len() {
        out.push(Fragment { text: "…".into(), highlight: false });
    }
    out
}

fn push(out: &mut Vec<Fragment>, piece: &str, highlight: bool) {
    if let Some(last) = out.last_mut()
        && last.highlight == highlight
    {
        last.text.push_str(piece);
        return;
    }
    out.push(Fragment { text: piece.to_string(), highlight });
}

/// Byte window starting a little before the marked token with the most marks after it.
fn best_window(a: &Analysis, marked: &[usize], max_bytes: usize) -> Option<(usize, usize)> {
    if marked.is_empty() {
        return None;
    }
    // A text that fits is shown whole, from before its first word to after its last.
    if a.spans.last().is_some_and(|&(_, end)| end <= max_bytes) {
        return Some((0, usize::MAX));
    }
    let mut best = (0usize, marked[0]);
    for (k, &i) in marked.iter().enumerate() {
        let start = a.spans[i].0;
        let count = marked[k..].iter().take_while(|&&j| a.spans[j].1 <= start + max_bytes).count();
        if count > best.0 {
            best = (count, i);
        }
    }
    let first = best.1;
    // Begin up to six tokens earlier so the reader sees the context.
    let lead = first.saturating_sub(6);
    // From the first word on, the text is shown from its very start (an opening quote or bracket).
    let start = if lead == 0 { 0 } else { a.spans[lead].0 };
    let start = if a.spans[first].0 - start > max_bytes / 3 { a.spans[first].0 } else { start };
    let last = (first..a.len()).take_while(|&j| a.spans[j].1 <= start + max_bytes).last().unwrap_or(first);
    // The window reaching the last word takes the closing punctuation with it.
    let end = if last + 1 == a.len() { usize::MAX } else { a.spans[last].1 };
    Some((start, end))
}

/// A char-boundary cut near `from + max_bytes`, at the end of a word when possible.
fn cut(text: &str, from: usize, max_bytes: usize) -> usize {
    if text.len() <= from + max_bytes {
        return text.len();
    }
    let mut end = from + max_bytes;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].rfind(' ').filter(|&s| s > from).unwrap_or(end)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(f: &[Fragment]) -> String {
        f.iter().map(|x| if x.highlight { format!("[{}]", x.text) } else { x.text.clone() }).collect()
    }

    #[test]
    fn folded_query_highlights_accented_text() {
        let t = QueryTerms::from_query("khau trang source:x -gia");
        let s = snippet("Người dân đổ xô mua khẩu trang, giá tăng.", &t, 200);
        assert_eq!(render(&s), "Người dân đổ xô mua [khẩu trang], giá tăng.");
    }

    #[test]
    fn exact_query_is_exact() {
        let t = QueryTerms::from_query("\"sốt\"");
        let s = snippet("Bé bị sốt, không sót thuốc.", &t, 200);
        assert_eq!(render(&s), "Bé bị [sốt], không sót thuốc.");
    }

    #[test]
    fn long_text_is_windowed() {
        let text = format!("{} vắc xin {}", "chữ ".repeat(200), "đuôi ".repeat(200));
        let s = snippet(&text, &QueryTerms::from_query("vắc xin"), 100);
        let r = render(&s);
        assert!(r.starts_with('…') && r.ends_with('…') && r.contains("[vắc xin]"), "{r}");
        assert!(r.len() < 400);
        let none = snippet(&text, &QueryTerms::from_query("không có"), 50);
        assert!(!none.iter().any(|f| f.highlight));
    }

    /// Nothing is cut from a text that fits, nor from before the first word of a long one.
    #[test]
    fn what_is_not_cut_is_shown_whole() {
        let t = QueryTerms::from_query("tiêm");
        assert_eq!(render(&snippet("(Tiêm) là gì?", &t, 200)), "([Tiêm]) là gì?");
        let short = "Một hai ba bốn năm sáu bảy tám chín tiêm.";
        assert_eq!(render(&snippet(short, &t, 200)), "Một hai ba bốn năm sáu bảy tám chín [tiêm].");
        let long = format!("“Tiêm” {}", "chữ ".repeat(300));
        let r = render(&snippet(&long, &t, 100));
        assert!(r.starts_with("“[Tiêm]” chữ") && r.ends_with('…'), "{r}");
        // Far into a long text the window still starts a few words before the first mark.
        let far = format!("{}tiêm {}", "chữ ".repeat(300), "đuôi ".repeat(300));
        let r = render(&snippet(&far, &t, 100));
        assert!(r.starts_with("…chữ chữ") && r.contains("[tiêm]"), "{r}");
    }
}
