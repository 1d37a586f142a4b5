//! All rules compiled into one matcher.
//!
//! Every term of every rule becomes a pattern over a joined token view (exact or folded, see
//! `duluan_text::Analysis`); one Aho-Corasick automaton per view finds them all in a single pass.
//! Only rules that reference a pattern that occurred are then evaluated (the presearch idea of
//! Lucene Monitor / Luwak), so matching cost stays nearly flat as rules are added.

use std::collections::HashMap;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use duluan_model::{Field, Flag, Span};
use duluan_text::{Analysis, View};

use crate::Error;
use crate::expr::{Expr, Mode, Scope, Term};
use crate::pack::{Action, Packs, RuleSpec};

/// Most distinct patterns one rule set may compile (memory cap for hostile rule files).
pub const MAX_PATTERNS: usize = 2_000_000;

type PatternId = usize;

#[derive(Debug, Clone)]
struct Pattern {
    view: View,
    prefix: bool,
}

/// A compiled expression node.
#[derive(Debug, Clone)]
enum Node {
    /// A term: its pattern and its text as written (for explanations).
    Leaf(PatternId, u32),
    And(Vec<Node>),
    Or(Vec<Node>),
    Not(Box<Node>),
    Near {
        left: Box<Node>,
        right: Box<Node>,
        distance: usize,
        ordered: bool,
    },
    Scoped(Scope, Box<Node>),
    AtLeast {
        min: usize,
        of: Vec<Node>,
    },
    /// A term that normalises to nothing (only punctuation): never matches.
    Never,
}

/// One occurrence of a pattern in an item field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Occ {
    field: Field,
    first: usize,
    last: usize,
    start: usize,
    end: usize,
    term: u32,
}

/// The text of an item as rules see it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Doc<'a> {
    /// Title.
    pub title: &'a str,
    /// Main text.
    pub text: &'a str,
    /// Language code.
    pub lang: &'a str,
    /// Source id.
    pub source: &'a str,
    /// Source tags.
    pub source_tags: &'a [String],
    /// Region of the source.
    pub region: Option<&'a str>,
    /// When the item was published (else fetched): known claims are matched within their time
    /// window around it. `None`: now.
    pub at: Option<chrono::DateTime<chrono::Utc>>,
}

/// Compiled rules, ready to match.
#[derive(Debug)]
pub struct RuleSet {
    specs: Vec<RuleSpec>,
    programs: Vec<Node>,
    patterns: Vec<Pattern>,
    /// Per view: the automaton and, for each automaton pattern, our pattern ids sharing its text.
    exact: Option<Automaton>,
    folded: Option<Automaton>,
    /// Rules to evaluate when a pattern occurs.
    pattern_rules: Vec<Vec<u32>>,
    /// Rules that can match without any term occurring (e.g. `NOT x`): always evaluated.
    unconditional: Vec<u32>,
    /// Term texts as written, indexed by `Node::Leaf`'s second field.
    term_texts: Vec<String>,
}

struct Compiler<'p> {
    packs: &'p Packs,
    keys: HashMap<(View, String, bool), PatternId>,
    patterns: Vec<Pattern>,
    pattern_texts: Vec<String>,
    term_texts: Vec<String>,
    term_ids: HashMap<String, u32>,
}

impl Compiler<'_> {
    fn term(&mut self, term: &Term, mode: Mode) -> Result<Node, String> {
        let mode = term.mode.unwrap_or(mode);
        let analysis = Analysis::new(&term.text);
        if analysis.is_empty() {
            return Ok(Node::Never);
        }
        let view = match mode {
            Mode::Exact => View::Exact,
            Mode::Folded => View::Folded,
        };
        let text = analysis.joined(view).to_string();
        let key = (view, text.clone(), term.prefix);
        let id = match self.keys.get(&key) {
            Some(&id) => id,
            None => {
                if self.patterns.len() >= MAX_PATTERNS {
                    return Err(format!("more than {MAX_PATTERNS} distinct terms"));
                }
                let id = self.patterns.len();
                self.patterns.push(Pattern { view, prefix: term.prefix });
                self.pattern_texts.push(text);
                self.keys.insert(key, id);
                id
            }
        };
        let shown = if term.prefix { format!("{}*", term.text) } else { term.text.clone() };
        let term_id = match self.term_ids.get(&shown) {
            Some(&t) => t,
            None => {
                let t = u32::try_from(self.term_texts.len()).map_err(|_| "too many terms".to_string())?;
                self.term_texts.push(shown.clone());
                self.term_ids.insert(shown, t);
                t
            }
        };
        Ok(Node::Leaf(id, term_id))
    }

    fn list_terms(&mut self, name: &str, mode: Mode) -> Result<Vec<Node>, String> {
        let list = self.packs.lists.get(name).ok_or_else(|| format!("unknown list `@{name}`"))?;
        let mode = list.mode.unwrap_or(mode);
        let terms: Vec<Term> = list
            .terms
            .iter()
            .map(|t| {
                let prefix = t.ends_with('*');
                Term { text: t.trim_end_matches('*').to_string(), prefix, mode: None }
            })
            .collect();
        terms.iter().map(|t| self.term(t, mode)).collect()
    }

    fn node(&mut self, expr: &Expr, mode: Mode) -> Result<Node, String> {
        Ok(match expr {
            Expr::Term(t) => self.term(t, mode)?,
            Expr::List(name) => Node::Or(self.list_terms(name, mode)?),
            Expr::And(parts) => Node::And(parts.iter().map(|p| self.node(p, mode)).collect::<Result<_, _>>()?),
            Expr::Or(parts) => Node::Or(parts.iter().map(|p| self.node(p, mode)).collect::<Result<_, _>>()?),
            Expr::Not(e) => Node::Not(Box::new(self.node(e, mode)?)),
            Expr::Near { left, right, distance, ordered } => Node::Near {
                left: Box::new(self.node(left, mode)?),
                right: Box::new(self.node(right, mode)?),
                distance: *distance,
                ordered: *ordered,
            },
            Expr::Scoped(scope, e) => Node::Scoped(*scope, Box::new(self.node(e, mode)?)),
            Expr::Moded(m, e) => self.node(e, *m)?,
            Expr::AtLeast { min, of } => {
                let mut alternatives = Vec::new();
                for e in of {
                    match e {
                        // Each list term counts on its own.
                        Expr::List(name) => alternatives.extend(self.list_terms(name, mode)?),
                        other => alternatives.push(self.node(other, mode)?),
                    }
                }
                Node::AtLeast { min: *min, of: alternatives }
            }
        })
    }
}

/// Pattern ids a node references positively (under an even number of NOTs).
fn positive_patterns(node: &Node, negated: bool, out: &mut Vec<PatternId>) {
    match node {
        Node::Leaf(p, _) if !negated => out.push(*p),
        Node::Leaf(..) | Node::Never => {}
        Node::And(parts) | Node::Or(parts) | Node::AtLeast { of: parts, .. } => {
            parts.iter().for_each(|p| positive_patterns(p, negated, out))
        }
        Node::Not(inner) => positive_patterns(inner, !negated, out),
        Node::Scoped(_, inner) => positive_patterns(inner, negated, out),
        Node::Near { left, right, .. } => {
            positive_patterns(left, negated, out);
            positive_patterns(right, negated, out);
        }
    }
}

/// Whether a node can be true when no pattern occurs at all.
fn true_without_hits(node: &Node) -> bool {
    match node {
        Node::Leaf(..) | Node::Never | Node::Near { .. } => false,
        Node::And(parts) => parts.iter().all(true_without_hits),
        Node::Or(parts) => parts.iter().any(true_without_hits),
        Node::Not(inner) => !true_without_hits(inner),
        Node::Scoped(_, inner) => true_without_hits(inner),
        Node::AtLeast { min, of } => of.iter().filter(|n| true_without_hits(n)).count() >= *min,
    }
}

/// One view's automaton and, per automaton pattern, the pattern ids that share its text.
type Automaton = (AhoCorasick, Vec<Vec<PatternId>>);

/// A pattern as the automaton looks for it in a padded view (` joined `, see [`RuleSet::hits`]):
/// with the spaces that separate tokens around it, so it only matches whole tokens (a prefix
/// pattern leaves its end open). `an` then never fires inside `thanh`, which matters for short
/// syllables: most of their substring matches would be thrown away.
fn padded(text: &str, prefix: bool) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push(' ');
    out.push_str(text);
    if !prefix {
        out.push(' ');
    }
    out
}

fn build_automaton(texts: Vec<(String, PatternId)>) -> Result<Option<Automaton>, String> {
    if texts.is_empty() {
        return Ok(None);
    }
    let mut unique: HashMap<String, usize> = HashMap::new();
    let mut strings: Vec<String> = Vec::new();
    let mut owners: Vec<Vec<PatternId>> = Vec::new();
    for (text, id) in texts {
        match unique.get(&text) {
            Some(&i) => owners[i].push(id),
            None => {
                unique.insert(text.clone(), strings.len());
                strings.push(text);
                owners.push(vec![id]);
            }
        }
    }
    let ac = AhoCorasickBuilder::new()
        .match_kind(MatchKind::Standard)
        .build(&strings)
        .map_err(|e| format!("cannot build the matcher: {e}"))?;
    Ok(Some((ac, owners)))
}

impl RuleSet {
    /// Compile rule packs. Disabled rules are kept (for listing) but never evaluated.
    pub fn compile(packs: Packs) -> Result<RuleSet, Error> {
        let mut compiler = Compiler {
            packs: &packs,
            keys: HashMap::new(),
            patterns: Vec::new(),
            pattern_texts: Vec::new(),
            term_texts: Vec::new(),
            term_ids: HashMap::new(),
        };
        let mut programs = Vec::with_capacity(packs.rules.len());
        for spec in &packs.rules {
            let node = compiler.node(&spec.expr, spec.mode).map_err(|message| Error::Rule {
                origin: spec.origin.clone(),
                message: format!("rule `{}`: {message}", spec.id),
            })?;
            programs.push(node);
        }
        let Compiler { patterns, pattern_texts, term_texts, .. } = compiler;
        let mut pattern_rules: Vec<Vec<u32>> = vec![Vec::new(); patterns.len()];
        let mut unconditional = Vec::new();
        for (i, (node, spec)) in programs.iter().zip(&packs.rules).enumerate() {
            if !spec.enabled {
                continue;
            }
            let rule = u32::try_from(i)
                .map_err(|_| Error::Rule { origin: spec.origin.clone(), message: "too many rules".into() })?;
            if true_without_hits(node) {
                unconditional.push(rule);
                continue;
            }
            let mut ps = Vec::new();
            positive_patterns(node, false, &mut ps);
            ps.sort_unstable();
            ps.dedup();
            for p in ps {
                pattern_rules[p].push(rule);
            }
        }
        let split = |view: View| -> Vec<(String, PatternId)> {
            patterns
                .iter()
                .enumerate()
                .filter(|(_, p)| p.view == view)
                .map(|(i, p)| (padded(&pattern_texts[i], p.prefix), i))
                .collect()
        };
        let to_err = |message: String| Error::Rule { origin: "rules".into(), message };
        let exact = build_automaton(split(View::Exact)).map_err(to_err)?;
        let folded = build_automaton(split(View::Folded)).map_err(to_err)?;
        Ok(RuleSet { specs: packs.rules, programs, patterns, exact, folded, pattern_rules, unconditional, term_texts })
    }

    /// The compiled rules' specifications, in file order.
    pub fn rules(&self) -> &[RuleSpec] {
        &self.specs
    }

    /// Number of distinct patterns compiled.
    pub fn pattern_count(&self) -> usize {
        self.patterns.len()
    }

    /// Match every enabled rule against a document.
    pub fn matches(&self, doc: &Doc<'_>) -> Vec<Flag> {
        let title = Analysis::new(doc.title);
        let text = Analysis::new(doc.text);
        self.matches_analyzed(doc, &title, &text)
    }

    /// Whether one rule's expression holds for a document, ignoring its filters and `enabled`
    /// (used to run a rule's embedded examples).
    pub fn matches_rule_ignoring_filters(&self, rule_id: &str, doc: &Doc<'_>) -> bool {
        let Some(i) = self.specs.iter().position(|s| s.id == rule_id) else { return false };
        let hits = self.hits(&Analysis::new(doc.title), &Analysis::new(doc.text));
        eval(&self.programs[i], &hits, Scope::Any).is_some()
    }

    fn hits(&self, title: &Analysis, text: &Analysis) -> HashMap<PatternId, Vec<Occ>> {
        let mut hits: HashMap<PatternId, Vec<Occ>> = HashMap::new();
        for (field, analysis) in [(Field::Title, title), (Field::Text, text)] {
            for (view, automaton) in [(View::Exact, &self.exact), (View::Folded, &self.folded)] {
                let Some((ac, owners)) = automaton else { continue };
                let joined = analysis.joined(view);
                let mut haystack = String::with_capacity(joined.len() + 2);
                haystack.push(' ');
                haystack.push_str(joined);
                haystack.push(' ');
                for m in ac.find_overlapping_iter(&haystack) {
                    for &pid in &owners[m.pattern().as_usize()] {
                        let pattern = &self.patterns[pid];
                        // Back to the view's offsets: drop the leading pad, and the trailing one
                        // of a whole-token pattern.
                        let start = m.start();
                        let end = m.end() - if pattern.prefix { 1 } else { 2 };
                        let Some((first, last)) = analysis.token_range(view, start, end, pattern.prefix) else {
                            continue;
                        };
                        let (start, end) = analysis.original_range(first, last);
                        hits.entry(pid).or_default().push(Occ { field, first, last, start, end, term: 0 });
                    }
                }
            }
        }
        hits
    }

    /// Match with analyses computed by the caller (sentiment and rules can share them).
    pub fn matches_analyzed(&self, doc: &Doc<'_>, title: &Analysis, text: &Analysis) -> Vec<Flag> {
        let hits = self.hits(title, text);
        let mut candidates: Vec<u32> = self.unconditional.clone();
        for pid in hits.keys() {
            candidates.extend_from_slice(&self.pattern_rules[*pid]);
        }
        candidates.sort_unstable();
        candidates.dedup();

        let mut flags = Vec::new();
        for rule in candidates {
            let spec = &self.specs[rule as usize];
            if !passes_filters(spec, doc) {
                continue;
            }
            let Some(mut occs) = eval(&self.programs[rule as usize], &hits, Scope::Any) else { continue };
            occs.sort_by_key(|o| (o.field == Field::Text, o.start, o.end));
            occs.dedup_by_key(|o| (o.field, o.start, o.end));
            flags.push(Flag {
                rule: spec.id.clone(),
                severity: spec.severity,
                alert: spec.action == Action::Alert,
                route: spec.route.clone(),
                tags: spec.tags.clone(),
                spans: occs
                    .iter()
                    .map(|o| Span {
                        field: o.field,
                        start: o.start,
                        end: o.end,
                        term: self.term_texts.get(o.term as usize).cloned().unwrap_or_default(),
                    })
                    .collect(),
                claim: None,
            });
        }
        flags
    }
}

fn passes_filters(spec: &RuleSpec, doc: &Doc<'_>) -> bool {
    let f = &spec.filters;
    (f.langs.is_empty() || f.langs.iter().any(|l| l == doc.lang))
        && (f.sources.is_empty() || f.sources.iter().any(|s| s == doc.source))
        && (f.source_tags.is_empty() || f.source_tags.iter().any(|t| doc.source_tags.contains(t)))
        && (f.regions.is_empty() || doc.region.is_some_and(|r| f.regions.iter().any(|x| x == r)))
}

fn in_scope(occ: &Occ, scope: Scope) -> bool {
    match scope {
        Scope::Any => true,
        Scope::Title => occ.field == Field::Title,
        Scope::Text => occ.field == Field::Text,
    }
}

/// `None`: false. `Some(occurrences)`: true, with the spans that made it so (empty for `NOT`).
fn eval(node: &Node, hits: &HashMap<PatternId, Vec<Occ>>, scope: Scope) -> Option<Vec<Occ>> {
    match node {
        Node::Never => None,
        Node::Leaf(pid, term) => {
            let occs: Vec<Occ> =
                hits.get(pid)?.iter().filter(|o| in_scope(o, scope)).map(|o| Occ { term: *term, ..*o }).collect();
            (!occs.is_empty()).then_some(occs)
        }
        Node::And(parts) => {
            let mut all = Vec::new();
            for p in parts {
                all.extend(eval(p, hits, scope)?);
            }
            Some(all)
        }
        Node::Or(parts) => {
            let mut any = None::<Vec<Occ>>;
            for p in parts {
                if let Some(occs) = eval(p, hits, scope) {
                    any.get_or_insert_with(Vec::new).extend(occs);
                }
            }
            any
        }
        Node::Not(inner) => match eval(inner, hits, scope) {
            Some(_) => None,
            None => Some(Vec::new()),
        },
        Node::Scoped(s, inner) => {
            let narrowed = match (scope, s) {
                (Scope::Any, s) => *s,
                (outer, s) if outer == *s => outer,
                // title:(text:x) can never hold.
                _ => return None,
            };
            eval(inner, hits, narrowed)
        }
        Node::Near { left, right, distance, ordered } => {
            let l = eval(left, hits, scope)?;
            let r = eval(right, hits, scope)?;
            let mut out = Vec::new();
            for a in &l {
                for b in &r {
                    if a.field != b.field {
                        continue;
                    }
                    let close = if *ordered {
                        b.first > a.last && b.first - a.last - 1 <= *distance
                    } else {
                        let gap = a.first.max(b.first).saturating_sub(a.last.min(b.last) + 1);
                        gap <= *distance
                    };
                    if close {
                        out.push(*a);
                        out.push(*b);
                    }
                }
                if out.len() > 10_000 {
                    break;
                }
            }
            (!out.is_empty()).then_some(out)
        }
        Node::AtLeast { min, of } => {
            let mut count = 0;
            let mut all = Vec::new();
            for p in of {
                if let Some(occs) = eval(p, hits, scope) {
                    count += 1;
                    all.extend(occs);
                }
            }
            (count >= *min).then_some(all)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn set(toml: &str) -> RuleSet {
        let mut packs = Packs::default();
        let mut errors = Vec::new();
        crate::pack::read_pack(Path::new("test.toml"), toml, &mut packs, &mut errors);
        assert!(errors.is_empty(), "{errors:?}");
        RuleSet::compile(packs).expect("compiles")
    }

    fn fired(rs: &RuleSet, title: &str, text: &str) -> Vec<String> {
        rs.matches(&Doc { title, text, lang: "vi", ..Doc::default() }).into_iter().map(|f| f.rule).collect()
    }

    const PACK: &str = r#"
[[list]]
id = "vaccine"
terms = ["vắc xin", "vaccine", "tiêm chủng"]

[[list]]
id = "harm"
terms = ["vô sinh", "tử vong", "biến chứng"]

[[rule]]
id = "vaccine_harm"
severity = "high"
mode = "folded"
query = "@vaccine AND @harm AND NOT (\"bác bỏ\" OR \"tin giả\")"

[[rule]]
id = "fever_exact"
severity = "low"
query = "sốt cao"

[[rule]]
id = "near"
severity = "low"
query = "giá ONEAR/2 tăng"

[[rule]]
id = "title_only"
severity = "info"
query = "title:khẩn"

[[rule]]
id = "two_of"
severity = "low"
query = "at least 2 of @harm"

[[rule]]
id = "wild"
severity = "low"
query = "hoả*"
"#;

    #[test]
    fn boolean_lists_and_folding() {
        let rs = set(PACK);
        assert_eq!(fired(&rs, "", "Nghe nói tiêm vắc xin bị vô sinh"), ["vaccine_harm"]);
        assert_eq!(fired(&rs, "", "nghe noi tiem vac xin bi vo sinh"), ["vaccine_harm"]);
        assert!(fired(&rs, "", "Sở Y tế bác bỏ tin vắc xin gây vô sinh").is_empty());
        assert!(fired(&rs, "", "vắc xin an toàn").is_empty());
    }

    #[test]
    fn exact_mode_keeps_tone_distinctions() {
        let rs = set(PACK);
        assert_eq!(fired(&rs, "", "Bé bị sốt cao"), ["fever_exact"]);
        assert!(fired(&rs, "", "bỏ sót cao điểm").is_empty());
        assert!(fired(&rs, "", "be bi sot cao").is_empty());
        // Tone placement and case do not matter in exact mode.
        assert_eq!(fired(&rs, "", "SỐT CAO"), ["fever_exact"]);
    }

    #[test]
    fn near_scopes_counts_and_wildcards() {
        let rs = set(PACK);
        assert_eq!(fired(&rs, "", "giá rau lại tăng"), ["near"]);
        assert!(fired(&rs, "", "tăng giá rau").is_empty());
        assert!(fired(&rs, "", "giá rau củ quả đều tăng").is_empty());
        assert_eq!(fired(&rs, "Tin khẩn", "nội dung"), ["title_only"]);
        assert!(fired(&rs, "Tin", "khẩn").is_empty());
        assert_eq!(fired(&rs, "", "biến chứng và tử vong"), ["two_of"]);
        assert!(fired(&rs, "", "tử vong và tử vong").is_empty());
        assert_eq!(fired(&rs, "", "hỏa hoạn"), ["wild"]);
        assert_eq!(fired(&rs, "", "hoả tốc"), ["wild"]);
    }

    #[test]
    fn spans_point_at_the_words() {
        let rs = set(PACK);
        let text = "Tin đồn: tiêm VẮC-XIN gây vô sinh ở trẻ.";
        let flags = rs.matches(&Doc { text, ..Doc::default() });
        assert_eq!(flags.len(), 1);
        let words: Vec<&str> = flags[0].spans.iter().map(|s| &text[s.start..s.end]).collect();
        assert_eq!(words, ["VẮC-XIN", "vô sinh"]);
        assert_eq!(flags[0].spans[0].term, "vắc xin");
    }

    #[test]
    fn unconditional_rules_are_evaluated() {
        let rs = set("[[rule]]\nid = \"n\"\nseverity = \"info\"\nquery = \"NOT spam\"\n");
        assert_eq!(fired(&rs, "", "hello"), ["n"]);
        assert!(fired(&rs, "", "spam").is_empty());
    }
}
