//! Embedded rule examples: every `match` text must fire its rule, every `no_match` text must not.

use crate::engine::{Doc, RuleSet};

/// One example that did not behave as its rule says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExampleFailure {
    /// Rule id.
    pub rule: String,
    /// Where the rule is defined.
    pub origin: String,
    /// The example text.
    pub example: String,
    /// `true`: it should have matched and did not; `false`: it matched and should not have.
    pub expected_match: bool,
}

impl std::fmt::Display for ExampleFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let what = if self.expected_match { "does not match" } else { "matches, but must not" };
        write!(f, "{}: rule `{}` {what}: {:?}", self.origin, self.rule, self.example)
    }
}

/// Run every rule's examples (as body text, with an empty title) and report each failure.
/// Returns the number of examples run and the failures.
pub fn check_examples(rules: &RuleSet) -> (usize, Vec<ExampleFailure>) {
    let mut failures = Vec::new();
    let mut run = 0;
    for spec in rules.rules() {
        let cases =
            spec.examples.must_match.iter().map(|e| (e, true)).chain(spec.examples.no_match.iter().map(|e| (e, false)));
        for (example, expected) in cases {
            run += 1;
            let doc = Doc { text: example, lang: "vi", ..Doc::default() };
            // Examples test the expression, so filters and `enabled` are ignored here.
            let fired = rules.matches_rule_ignoring_filters(&spec.id, &doc);
            if fired != expected {
                failures.push(ExampleFailure {
                    rule: spec.id.clone(),
                    origin: spec.origin.clone(),
                    example: example.clone(),
                    expected_match: expected,
                });
            }
        }
    }
    (run, failures)
}
