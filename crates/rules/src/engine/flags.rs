//! How a rule that holds becomes a flag, from data laid out for it.
//!
//! With 10,000 rules a text has a few dozen candidate rules and half of them fire. Reading what a
//! flag needs from the rule's specification (a few hundred bytes, its id and each term in
//! allocations of their own) cost cache misses for every one; here a rule's severity, action and
//! whether it has filters are four bytes in one array, and rule ids and term texts lie end to end.

use duluan_model::{Field, Flag, Severity, Span};
use duluan_text::Analysis;

use super::Occ;
use crate::pack::{Action, RuleSpec};

/// Strings end to end in one allocation, by index.
#[derive(Debug)]
pub(super) struct Texts {
    bytes: String,
    /// Where each string starts in `bytes`, and where the last ends.
    starts: Vec<u32>,
}

impl Default for Texts {
    fn default() -> Texts {
        Texts { bytes: String::new(), starts: vec![0] }
    }
}

impl Texts {
    /// Fails only past 4 GiB of text, which the limits on rule files rule out.
    pub(super) fn new<'a>(texts: impl Iterator<Item = &'a str>) -> Result<Texts, String> {
        let mut all = Texts::default();
        for text in texts {
            all.bytes.push_str(text);
            let end = u32::try_from(all.bytes.len()).map_err(|_| "rule texts too large to compile".to_string())?;
            all.starts.push(end);
        }
        Ok(all)
    }

    /// String `i` (empty past the last).
    pub(super) fn get(&self, i: usize) -> &str {
        match (self.starts.get(i), self.starts.get(i + 1)) {
            (Some(&from), Some(&to)) => self.bytes.get(from as usize..to as usize).unwrap_or_default(),
            _ => "",
        }
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
}

/// Per rule, what its flags are made of.
#[derive(Debug, Default)]
pub(super) struct FlagMaker {
    heads: Vec<Head>,
    ids: Texts,
    /// Term texts as written, indexed by an occurrence's `term`.
    terms: Texts,
}

impl Head {
    fn of(spec: &RuleSpec) -> Head {
        let f = &spec.filters;
        Head {
            severity: spec.severity,
            alert: spec.action == Action::Alert,
            filtered: !(f.langs.is_empty() && f.sources.is_empty() && f.source_tags.is_empty() && f.regions.is_empty()),
            routed: spec.route.is_some() || !spec.tags.is_empty(),
        }
    }
}

impl FlagMaker {
    /// `terms`: term texts as written, by the index occurrences carry.
    pub(super) fn new(specs: &[RuleSpec], terms: &[String]) -> Result<FlagMaker, String> {
        let heads = specs.iter().map(Head::of).collect();
        let ids = Texts::new(specs.iter().map(|s| s.id.as_str()))?;
        let terms = Texts::new(terms.iter().map(String::as_str))?;
        Ok(FlagMaker { heads, ids, terms })
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
            Some(&head) => (head, self.ids.get(rule)),
            None => (Head::of(spec), spec.id.as_str()),
        };
        let (route, tags) = if head.routed { (spec.route.clone(), spec.tags.clone()) } else { (None, Vec::new()) };
        Flag {
            rule: id.to_string(),
            severity: head.severity,
            alert: head.alert,
            route,
            tags,
            spans: spans
                .iter()
                .map(|o| {
                    let analysis = if o.field == Field::Title { fields[0] } else { fields[1] };
                    let (start, end) = analysis.original_range(o.first as usize, o.last as usize);
                    Span { field: o.field, start, end, term: self.terms.get(o.term as usize).to_string() }
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
        let texts = Texts::new(["vắc xin", "", "giá xăng"].into_iter()).expect("fits");
        assert_eq!(texts.get(0), "vắc xin");
        assert_eq!(texts.get(1), "");
        assert_eq!(texts.get(2), "giá xăng");
        assert_eq!(texts.get(3), "");
        assert_eq!(Texts::default().get(0), "");
    }
}
