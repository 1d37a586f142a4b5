//! How a rule that holds becomes a flag, from data laid out for it.
//!
//! With 10,000 rules a text has a few dozen candidate rules and half of them fire. Reading what a
//! flag needs from the rule's specification (a few hundred bytes, its id and each term in
//! allocations of their own) cost cache misses for every one; here a rule's severity, action,
//! whether it has filters and where its id is are eight bytes in one array, and rule ids and term
//! texts lie end to end, each rule's id just before the terms it is the first to use.

use duluan_model::{Field, Flag, Severity, Span};
use duluan_text::Analysis;

use super::Occ;
use crate::pack::{Action, RuleSpec};

/// Strings end to end in one allocation, each after its length, found by where it starts: one
/// read, where a list of where each string starts cost a cache miss more. The length is written
/// in four bytes of seven bits each, which are ASCII, so that the whole stays a `str` and a
/// string is sliced out of it without checking its UTF-8 again.
#[derive(Debug, Default)]
pub(super) struct Texts {
    bytes: String,
}

/// Bytes before each string: its length, seven bits a byte.
const LENGTH: usize = 4;

impl Texts {
    /// Appends `text`; its place (what [`Texts::get`] takes). Fails only for a string of 256 MiB
    /// or one starting past 4 GiB, which the limits on rule files rule out.
    pub(super) fn push(&mut self, text: &str) -> Result<u32, String> {
        let too_large = || "rule texts too large to compile".to_string();
        let at = u32::try_from(self.bytes.len()).map_err(|_| too_large())?;
        let len = u32::try_from(text.len()).ok().filter(|&n| n < 1 << (7 * LENGTH)).ok_or_else(too_large)?;
        for shift in [21, 14, 7, 0] {
            self.bytes.push(char::from((len >> shift) as u8 & 0x7F));
        }
        self.bytes.push_str(text);
        Ok(at)
    }

    /// The string at `at` (empty where none starts).
    pub(super) fn get(&self, at: u32) -> &str {
        let at = at as usize;
        let Some(length) = self.bytes.as_bytes().get(at..at + LENGTH) else { return "" };
        let len = length.iter().fold(0usize, |len, &b| len << 7 | usize::from(b & 0x7F));
        self.bytes.get(at + LENGTH..at + LENGTH + len).unwrap_or_default()
    }
}

/// What a flag of one rule needs besides its id and spans.
#[derive(Debug, Clone, Copy)]
struct Head {
    severity: Severity,
    alert: bool,
    /// The rule has item filters (source, tags, language, region) to check.
    filtered: bool,
    /// The rule has a route or tags, read from its specification.
    routed: bool,
    /// Where its id is in [`FlagMaker::texts`].
    id: u32,
}

/// Per rule, what its flags are made of.
#[derive(Debug, Default)]
pub(super) struct FlagMaker {
    heads: Vec<Head>,
    /// Rule ids and term texts as written; an occurrence's `term` is where its text is.
    texts: Texts,
}

impl Head {
    fn of(spec: &RuleSpec, id: u32) -> Head {
        let f = &spec.filters;
        Head {
            id,
            severity: spec.severity,
            alert: spec.action == Action::Alert,
            filtered: !(f.langs.is_empty() && f.sources.is_empty() && f.source_tags.is_empty() && f.regions.is_empty()),
            routed: spec.route.is_some() || !spec.tags.is_empty(),
        }
    }
}

impl FlagMaker {
    /// `texts`: term texts as written, where occurrences say, and each rule's id, where `ids`
    /// says.
    pub(super) fn new(specs: &[RuleSpec], texts: Texts, ids: &[u32]) -> FlagMaker {
        let heads = specs.iter().zip(ids).map(|(spec, &id)| Head::of(spec, id)).collect();
        FlagMaker { heads, texts }
    }

    /// Whether rule `rule` has item filters to check (in its specification).
    pub(super) fn filtered(&self, rule: usize) -> bool {
        self.heads.get(rule).is_none_or(|h| h.filtered)
    }

    /// The flag of rule `rule` (specification `spec`) with the spans `spans`, in order, whose
    /// byte ranges are read from the analyses of the title and the text (`fields`).
    pub(super) fn flag(&self, rule: usize, spec: &RuleSpec, spans: &[Occ], fields: [&Analysis; 2]) -> Flag {
        // Only a rule of another rule set would have no head here: then all comes from its specification.
        let (head, id) = match self.heads.get(rule) {
            Some(&head) => (head, self.texts.get(head.id)),
            None => (Head::of(spec, 0), spec.id.as_str()),
        };
        let (route, tags) = if head.routed { (spec.route.clone(), spec.tags.clone()) } else { (None, Vec::new()) };
        Flag {
            rule: id.into(),
            severity: head.severity,
            alert: head.alert,
            route,
            tags,
            spans: spans
                .iter()
                .map(|o| {
                    let analysis = if o.field == Field::Title { fields[0] } else { fields[1] };
                    let (start, end) = analysis.original_range(o.first as usize, o.last as usize);
                    Span { field: o.field, start, end, term: self.texts.get(o.term).into() }
                })
                .collect(),
            claim: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_end_to_end_give_back_each_string() {
        let mut texts = Texts::default();
        let long = "ư".repeat(70_000);
        let at: Vec<u32> = ["vắc xin", "", "giá xăng", &long].iter().map(|t| texts.push(t).expect("fits")).collect();
        assert_eq!(texts.get(at[0]), "vắc xin");
        assert_eq!(texts.get(at[1]), "");
        assert_eq!(texts.get(at[2]), "giá xăng");
        assert_eq!(texts.get(at[3]), long);
        // Past the end, or inside a string, is empty or another string, never a panic.
        assert_eq!(texts.get(u32::MAX), "");
        assert_eq!(Texts::default().get(0), "");
        for at in 0..20 {
            let _ = texts.get(at);
        }
    }
}
