//! Embedded rule examples: every `match` text must fire its rule, every `no_match` text must not.

use crate::engine::{Doc, RuleSet};

/// One example that did not behave as its rule says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExampleFailure {
    /// Rule id.
    pub rule: String,
    /// Where the rule is defined.
    pub origin: String,
    /// The example, quoted (a text, or its title and text).
    pub example: String,
    /// `true`: it should have matched and did not; `false`: it matched and should not have.
    pub expected_match: bool,
}

impl std::fmt::Display for ExampleFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let what = if self.expected_match { "does not match" } else { "matches, but must not" };
        write!(f, "{}: rule `{}` {what}: {}", self.origin, self.rule, self.example)
    }
}

/// Run every rule's examples (a text alone is the body, with an empty title) and report each
/// failure.
/// Returns the number of examples run and the failures.
pub fn check_examples(rules: &RuleSet) -> (usize, Vec<ExampleFailure>) {
    let mut failures = Vec::new();
    let mut run = 0;
    for spec in rules.rules() {
        for (example, expected) in spec.examples.cases() {
            run += 1;
            let doc = Doc { title: &example.title, text: &example.text, lang: "vi", ..Doc::default() };
            // Examples test the expression, so filters and `enabled` are ignored here.
            let fired = rules.matches_rule_ignoring_filters(&spec.id, &doc);
            if fired != expected {
                failures.push(ExampleFailure {
                    rule: spec.id.clone(),
                    origin: spec.origin.clone(),
                    example: example.to_string(),
                    expected_match: expected,
                });
            }
        }
    }
    (run, failures)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::{Packs, read_pack};

    fn rules(pack: &str) -> RuleSet {
        let (mut packs, mut errors) = (Packs::default(), Vec::new());
        read_pack(Path::new("t.toml"), pack, &mut packs, &mut errors);
        assert!(errors.is_empty(), "{errors:?}");
        RuleSet::compile(packs).expect("compiles")
    }

    #[test]
    fn an_example_may_be_an_item_with_a_title() {
        // A title-scoped rule: only an example with a title can show it firing.
        let set = rules(
            "[[rule]]\nid = \"t\"\nseverity = \"low\"\nmode = \"folded\"\nquery = 'title:\"gia xang\" AND chay'\n\
             examples.match = [{ title = \"Giá xăng tăng\", text = \"Cây xăng cháy\" }]\n\
             examples.no_match = [\"Giá xăng tăng, cây xăng cháy\", { title = \"Giá vàng\", text = \"Giá xăng, cháy\" }]\n",
        );
        assert_eq!(check_examples(&set), (3, Vec::new()));
        // The same examples the other way round: each failure quotes the example as written.
        let set = rules(
            "[[rule]]\nid = \"t\"\nseverity = \"low\"\nmode = \"folded\"\nquery = 'title:\"gia xang\" AND chay'\n\
             examples.no_match = [{ title = \"Giá xăng tăng\", text = \"Cây xăng cháy\" }]\n\
             examples.match = [\"Giá xăng tăng, cây xăng cháy\"]\n",
        );
        let (run, failures) = check_examples(&set);
        let messages: Vec<String> = failures.iter().map(ToString::to_string).collect();
        assert_eq!(run, 2);
        assert_eq!(
            messages,
            [
                "t.toml:5:9: rule `t` does not match: \"Giá xăng tăng, cây xăng cháy\"",
                "t.toml:5:9: rule `t` matches, but must not: title \"Giá xăng tăng\", text \"Cây xăng cháy\"",
            ]
        );
    }

    /// The pipeline stores a title on one line: a phrase in an example's title goes on across
    /// its line breaks, as in `rules match` and the pipeline.
    #[test]
    fn an_example_title_is_read_on_one_line() {
        let set = rules(
            "[[rule]]\nid = \"t\"\nseverity = \"low\"\nquery = 'title:\"tin giả\"'\n\
             examples.match = [{ title = \"Cảnh báo tin\\ngiả\", text = \"x\" }, { title = \"tin\\r\\ngiả\", text = \"\" }, \
             { title = \"tin\\u2028giả\", text = \"\" }]\n\
             examples.no_match = [{ title = \"tin.\\ngiả\", text = \"x\" }]\n",
        );
        assert_eq!(check_examples(&set), (4, Vec::new()));
    }

    #[test]
    fn an_example_of_another_shape_is_refused_with_both_forms_named() {
        for (example, message) in [
            ("3", "expected an example text, or a table"),
            ("{ titel = \"x\" }", "unknown field `titel`, expected `title` or `text`"),
        ] {
            let pack =
                format!("[[rule]]\nid = \"t\"\nseverity = \"low\"\nquery = \"a\"\nexamples.match = [{example}]\n");
            let (mut packs, mut errors) = (Packs::default(), Vec::new());
            read_pack(Path::new("t.toml"), &pack, &mut packs, &mut errors);
            let text = errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n");
            assert!(text.contains("t.toml:5:") && text.contains(message), "{example}: {text}");
        }
    }
}
