//! Shapes shared by the API's JSON and the UI's templates, and text with highlighted spans.
//!
//! Highlights are computed as plain-text segments; templates escape every segment, so crawled
//! text can never inject markup.

use chrono::{DateTime, FixedOffset, Utc};
use duluan_model::{Field, Item};
use serde::Serialize;

/// A piece of text, marked or not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Segment {
    /// The text.
    pub text: String,
    /// Whether it is a match.
    pub mark: bool,
}

/// Cut `text` into segments with the `spans` (byte ranges) marked; overlapping and out-of-range
/// spans are merged or dropped, never trusted.
pub fn segments(text: &str, spans: &[(usize, usize)]) -> Vec<Segment> {
    let mut ranges: Vec<(usize, usize)> = spans
        .iter()
        .copied()
        .filter(|&(s, e)| s < e && e <= text.len() && text.is_char_boundary(s) && text.is_char_boundary(e))
        .collect();
    ranges.sort_unstable();
    let mut merged: Vec<(usize, usize)> = Vec::new();
    for (s, e) in ranges {
        match merged.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => merged.push((s, e)),
        }
    }
    let mut out = Vec::new();
    let mut pos = 0;
    for (s, e) in merged {
        if s > pos {
            out.push(Segment { text: text[pos..s].to_string(), mark: false });
        }
        out.push(Segment { text: text[s..e].to_string(), mark: true });
        pos = e;
    }
    if pos < text.len() {
        out.push(Segment { text: text[pos..].to_string(), mark: false });
    }
    out
}

/// Paragraphs (lines) of a text, each as highlighted segments. A span across a line break (a
/// phrase, a known claim's passage) is marked in each line it covers.
pub fn paragraphs(text: &str, spans: &[(usize, usize)]) -> Vec<Vec<Segment>> {
    let mut out = Vec::new();
    let mut offset = 0;
    for line in text.split('\n') {
        let end = offset + line.len();
        let local: Vec<(usize, usize)> = spans
            .iter()
            .filter(|&&(s, e)| s < e && s < end && e > offset)
            .map(|&(s, e)| (s.max(offset) - offset, e.min(end) - offset))
            .collect();
        if !line.trim().is_empty() {
            out.push(segments(line, &local));
        }
        offset += line.len() + 1;
    }
    out
}

/// All flag spans of an item in one field.
pub fn spans_of(item: &Item, field: Field) -> Vec<(usize, usize)> {
    item.flags.iter().flat_map(|f| f.spans.iter()).filter(|s| s.field == field).map(|s| (s.start, s.end)).collect()
}

/// Vietnam time for display.
pub fn local_time(t: DateTime<Utc>) -> String {
    let offset = FixedOffset::east_opt(7 * 3600).unwrap_or_else(|| unreachable!("+07:00 is valid"));
    t.with_timezone(&offset).format("%d/%m/%Y %H:%M").to_string()
}

/// Only http(s) links are ever rendered as links.
pub fn safe_href(url: &str) -> Option<String> {
    let parsed = url::Url::parse(url).ok()?;
    matches!(parsed.scheme(), "http" | "https").then(|| parsed.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_merge_and_ignore_bad_spans() {
        let s = segments("vắc xin gây vô sinh", &[(0, 9), (5, 9), (15, 23), (100, 200), (1, 2)]);
        let marked: Vec<(&str, bool)> = s.iter().map(|x| (x.text.as_str(), x.mark)).collect();
        assert_eq!(marked, [("vắc xin", true), (" gây ", false), ("vô sinh", true)]);
    }

    #[test]
    fn paragraphs_keep_offsets() {
        let text = "một hai\nba bốn";
        let p = paragraphs(text, &[(10, 12)]);
        assert_eq!(p.len(), 2);
        assert_eq!(p[1][0], Segment { text: "ba".into(), mark: true });
    }

    #[test]
    fn spans_across_lines_are_marked_in_each() {
        let text = "tiêm vắc\nxin rồi\n\nsau đó";
        let at = |word: &str| text.find(word).unwrap_or_default();
        // A phrase across the break, one past the end, one reversed, one inside a character.
        let spans = [(at("vắc"), at("xin") + 3), (at("sau"), 400), (at("rồi"), at("xin")), (3, 5)];
        let marked: Vec<Vec<(String, bool)>> = paragraphs(text, &spans)
            .into_iter()
            .map(|line| line.into_iter().map(|x| (x.text, x.mark)).collect())
            .collect();
        let line = |parts: &[(&str, bool)]| parts.iter().map(|&(t, m)| (t.to_string(), m)).collect::<Vec<_>>();
        assert_eq!(
            marked,
            [
                line(&[("tiêm ", false), ("vắc", true)]),
                line(&[("xin", true), (" rồi", false)]),
                line(&[("sau đó", true)])
            ]
        );
    }

    #[test]
    fn only_web_links() {
        assert!(safe_href("javascript:alert(1)").is_none());
        assert!(safe_href("data:text/html,x").is_none());
        assert_eq!(safe_href("https://e.example/a").as_deref(), Some("https://e.example/a"));
    }
}
