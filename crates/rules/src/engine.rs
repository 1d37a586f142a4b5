//! All rules compiled into one matcher.
//!
//! Every term of every rule becomes a pattern over a joined token view (exact or folded, see
//! `duluan_text::Analysis`). One syllable matcher over the folded view (the token-level equivalent
//! of an Aho-Corasick automaton, see `matcher`) finds them all in a single pass: an exact term
//! occurs only where its folded form does, so exact terms are looked for by their folded form and
//! then checked against the exact view at the same tokens. Only rules whose required terms
//! occurred are then evaluated (the presearch idea of Lucene Monitor / Luwak, see `presearch`),
//! and of those only the ones that can hold given which terms occurred have their terms'
//! occurrences collected (see `program`), so matching cost grows far slower than the number of
//! rules. Evaluation collects the spans as it goes; flags are made from compact per-rule data
//! (see `flags`).

mod checks;
mod flags;
mod matcher;
mod presearch;
mod program;

use std::collections::HashMap;

use duluan_model::{Field, Flag};
use duluan_text::{Analysis, View};

use crate::Error;
use crate::expr::{Expr, Mode, Scope, Term};
use crate::pack::{Packs, RuleSpec};
use checks::Checks;
use flags::{FlagMaker, Texts};
use matcher::{Hit, Matcher};
use presearch::Presearch;
use program::Programs;

/// Most distinct patterns one rule set may compile (memory cap for hostile rule files).
pub const MAX_PATTERNS: usize = 2_000_000;

/// Most terms and operators one rule set may compile once its lists are written out: every
/// `@list` a rule names is a copy of the list's terms, so a 22 KB file naming one 1,000-term list
/// 2,000 times is two million of them (memory cap for hostile rule files).
pub const MAX_NODES: usize = 4_000_000;

type PatternId = usize;

#[derive(Debug, Clone)]
struct Pattern {
    /// For an exact-mode term, its exact form, checked where its folded form occurred.
    exact: Option<Box<str>>,
    prefix: bool,
    /// How likely the term is to occur in a text, roughly (see [`presearch::probability`]).
    p: f32,
    /// The syllables (by index, the first 64) a break comes before where the term is written
    /// across the end of a sentence or clause (`"TP. HCM"`): it matches across one there.
    breaks: u64,
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

/// One occurrence of a pattern in an item field: token range `first..=last`. Indexes are `u32`
/// (see [`token_index`]): a long item with many rules has hundreds of these to sort and copy, and
/// half the size is half the memory traffic. The byte range in the original field is looked up
/// only for the spans of flags: most occurrences make no flag, and reading the analysis's token
/// offsets for each cost a cache miss where the analysis was made long before the match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Occ {
    first: u32,
    last: u32,
    term: u32,
    field: Field,
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
    /// What kind of text it is, for sentiment (news sources report what opinions voice).
    pub register: crate::Register,
}

/// Compiled rules, ready to match.
#[derive(Debug)]
pub struct RuleSet {
    specs: Vec<RuleSpec>,
    /// Each rule's expression, as evaluated.
    programs: Programs,
    patterns: Vec<Pattern>,
    /// Finds every pattern's folded form.
    matcher: Matcher,
    /// Which rules to evaluate for a text.
    presearch: Presearch,
    /// Per group, its length and its terms' checks, read for each needed hit.
    checks: Checks,
    /// What each rule's flags are made of.
    flags: FlagMaker,
}

struct Compiler<'p> {
    packs: &'p Packs,
    keys: HashMap<(View, String, bool, u64), PatternId>,
    patterns: Vec<Pattern>,
    /// Folded form of each pattern (what the automaton looks for).
    pattern_texts: Vec<String>,
    /// Rule ids and term texts as written, each rule's id followed by the terms it is the first
    /// to use (see [`Texts`]).
    texts: Texts,
    /// Each term text's place in `texts`, which occurrences and leaves carry as its id.
    term_ids: HashMap<String, u32>,
    /// The `at least` operators of the rule being compiled met so far, and the index of one that
    /// can never hold (see [`RuleSpec::at_least`]).
    at_least: usize,
    failed_at_least: Option<usize>,
}

/// The text mode a part of a query is compiled in, and where it comes from.
#[derive(Debug, Clone, Copy)]
enum Moding {
    /// The rule's mode: a list's own mode wins over it.
    Rule(Mode),
    /// Written in the query (`folded:@fever`): it wins over the list's.
    Query(Mode),
}

impl Moding {
    fn mode(self) -> Mode {
        match self {
            Moding::Rule(m) | Moding::Query(m) => m,
        }
    }
}

impl Compiler<'_> {
    fn term(&mut self, term: &Term, mode: Moding) -> Result<Node, String> {
        let mode = term.mode.unwrap_or(mode.mode());
        // The parser and the list reader refuse these with their place; an expression built
        // otherwise too.
        if let Some(problem) = crate::expr::term_problem(&term.text) {
            return Err(problem);
        }
        let analysis = Analysis::new(&term.text);
        let view = match mode {
            Mode::Exact => View::Exact,
            Mode::Folded => View::Folded,
        };
        // Terms that read alike but for a break are patterns of their own (`"tin giả"` must not
        // cross the break of `"tin. giả"`), found as one group.
        let breaks = analysis.phrase_breaks().filter(|&t| t < 64).fold(0u64, |bits, t| bits | 1 << t);
        let key = (view, analysis.joined(view).to_string(), term.prefix, breaks);
        let id = match self.keys.get(&key) {
            Some(&id) => id,
            None => {
                if self.patterns.len() >= MAX_PATTERNS {
                    return Err(format!("more than {MAX_PATTERNS} distinct terms"));
                }
                let id = self.patterns.len();
                let exact = (view == View::Exact).then(|| key.1.clone().into_boxed_str());
                let p = presearch::probability(&analysis, view, term.prefix);
                self.patterns.push(Pattern { exact, prefix: term.prefix, p, breaks });
                self.pattern_texts.push(analysis.joined(View::Folded).to_string());
                self.keys.insert(key, id);
                id
            }
        };
        let shown = if term.prefix { format!("{}*", term.text) } else { term.text.clone() };
        let term_id = match self.term_ids.get(&shown) {
            Some(&t) => t,
            None => {
                let t = self.texts.push(&shown)?;
                self.term_ids.insert(shown, t);
                t
            }
        };
        Ok(Node::Leaf(id, term_id))
    }

    fn list_terms(&mut self, name: &str, mode: Moding) -> Result<Vec<Node>, String> {
        let list = self.packs.lists.get(name).ok_or_else(|| format!("unknown list `@{name}`"))?;
        // A mode written in the query at the reference wins over the list's, which wins over the rule's.
        let mode = match mode {
            Moding::Query(m) => m,
            Moding::Rule(m) => list.mode.unwrap_or(m),
        };
        let terms: Vec<Term> = list
            .terms
            .iter()
            .map(|t| {
                let prefix = t.ends_with('*');
                Term { text: t.trim_end_matches('*').to_string(), prefix, mode: None }
            })
            .collect();
        terms.iter().map(|t| self.term(t, Moding::Query(mode))).collect()
    }

    fn node(&mut self, expr: &Expr, mode: Moding) -> Result<Node, String> {
        Ok(match expr {
            Expr::Term(t) => self.term(t, mode)?,
            Expr::List(name) => Node::Or(self.list_terms(name, mode)?),
            Expr::And(parts) => Node::And(parts.iter().map(|p| self.node(p, mode)).collect::<Result<_, _>>()?),
            Expr::Or(parts) => Node::Or(parts.iter().map(|p| self.node(p, mode)).collect::<Result<_, _>>()?),
            // `NOT (NOT x)` is `x`, and shows where `x` is (a `NOT` keeps no spans).
            Expr::Not(e) => match self.node(e, mode)? {
                Node::Not(inner) => *inner,
                inner => Node::Not(Box::new(inner)),
            },
            Expr::Near { left, right, distance, ordered } => {
                // The parser refuses these with their place; an expression built otherwise too.
                if let Some(problem) = crate::expr::near_problem(left, right) {
                    return Err(problem.into());
                }
                Node::Near {
                    left: Box::new(self.node(left, mode)?),
                    right: Box::new(self.node(right, mode)?),
                    distance: *distance,
                    ordered: *ordered,
                }
            }
            Expr::Scoped(scope, e) => Node::Scoped(*scope, Box::new(self.node(e, mode)?)),
            Expr::Moded(m, e) => self.node(e, Moding::Query(*m))?,
            Expr::AtLeast { min, of } => {
                let index = self.at_least;
                self.at_least += 1;
                let mut alternatives = Vec::new();
                for e in of {
                    self.alternatives(e, mode, &mut alternatives)?;
                }
                // List terms that name one pattern (`vắc xin` and `vac xin` folded, a term listed
                // twice) in one scope are one alternative: a single mention must not count twice.
                let mut seen = std::collections::HashSet::new();
                alternatives.retain(|n| leaf_key(n).is_none_or(|key| seen.insert(key)));
                if alternatives.len() < *min {
                    self.failed_at_least = Some(index);
                    return Err(crate::expr::at_least_problem(*min, alternatives.len()));
                }
                Node::AtLeast { min: *min, of: alternatives }
            }
        })
    }
}

impl Compiler<'_> {
    /// The alternatives `e` gives `at least`: each term of a list on its own, under the modes and
    /// scopes around the list (`at least 2 of title:@harm`), anything else as one.
    fn alternatives(&mut self, e: &Expr, mode: Moding, out: &mut Vec<Node>) -> Result<(), String> {
        match e {
            Expr::List(name) => out.extend(self.list_terms(name, mode)?),
            Expr::Moded(m, inner) if inner.is_wrapped_list() => self.alternatives(inner, Moding::Query(*m), out)?,
            Expr::Scoped(scope, inner) if inner.is_wrapped_list() => {
                let from = out.len();
                self.alternatives(inner, mode, out)?;
                for n in &mut out[from..] {
                    *n = Node::Scoped(*scope, Box::new(std::mem::replace(n, Node::Never)));
                }
            }
            other => out.push(self.node(other, mode)?),
        }
        Ok(())
    }
}

/// A term alternative's pattern and scope (`None` for anything else), by which `at least`
/// counts one mention once.
fn leaf_key(node: &Node) -> Option<(Option<Scope>, PatternId)> {
    match node {
        Node::Leaf(id, _) => Some((None, *id)),
        Node::Scoped(scope, inner) => match &**inner {
            Node::Leaf(id, _) => Some((Some(*scope), *id)),
            _ => None,
        },
        _ => None,
    }
}

/// Why a rule set past [`MAX_NODES`] is refused, and what to do.
pub(crate) fn too_many_nodes() -> String {
    format!(
        "the rules so far come to more than {MAX_NODES} terms and operators once their lists are written out \
         (each @list a rule names counts all its terms): name big lists in fewer rules"
    )
}

/// The number of nodes `e` compiles to, each list it names counting all its terms.
pub(crate) fn expanded_size(e: &Expr, packs: &Packs) -> usize {
    match e {
        Expr::Term(_) => 1,
        Expr::List(name) => packs.lists.get(name).map_or(1, |l| l.terms.len().max(1)),
        Expr::And(parts) | Expr::Or(parts) | Expr::AtLeast { of: parts, .. } => {
            parts.iter().fold(1usize, |n, p| n.saturating_add(expanded_size(p, packs)))
        }
        Expr::Not(inner) | Expr::Scoped(_, inner) | Expr::Moded(_, inner) => {
            1usize.saturating_add(expanded_size(inner, packs))
        }
        Expr::Near { left, right, .. } => {
            1usize.saturating_add(expanded_size(left, packs)).saturating_add(expanded_size(right, packs))
        }
    }
}

/// Calls `visit(pattern, negated)` for every pattern a node refers to, `negated` when it is under
/// an odd number of `NOT`s.
fn each_pattern(node: &Node, negated: bool, visit: &mut impl FnMut(PatternId, bool)) {
    match node {
        Node::Leaf(p, _) => visit(*p, negated),
        Node::Never => {}
        Node::And(parts) | Node::Or(parts) | Node::AtLeast { of: parts, .. } => {
            parts.iter().for_each(|p| each_pattern(p, negated, visit))
        }
        Node::Not(inner) => each_pattern(inner, !negated, visit),
        Node::Scoped(_, inner) => each_pattern(inner, negated, visit),
        Node::Near { left, right, .. } => {
            each_pattern(left, negated, visit);
            each_pattern(right, negated, visit);
        }
    }
}

/// Pattern ids a node references positively (under an even number of NOTs).
fn positive_patterns(node: &Node) -> Vec<PatternId> {
    let mut out = Vec::new();
    each_pattern(node, false, &mut |p, negated| {
        if !negated {
            out.push(p);
        }
    });
    out
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

/// Lists of `u32` stored end to end (compressed sparse rows): one allocation for all.
#[derive(Debug, Default)]
struct Csr {
    starts: Vec<u32>,
    items: Vec<u32>,
}

impl Csr {
    /// Each list as it is.
    fn rows(lists: impl Iterator<Item = Vec<u32>>) -> Csr {
        let mut csr = Csr { starts: vec![0], items: Vec::new() };
        for list in lists {
            csr.items.extend(list);
            csr.starts.push(csr.items.len() as u32);
        }
        csr
    }

    /// Number of lists.
    fn len(&self) -> usize {
        self.starts.len().saturating_sub(1)
    }

    fn get(&self, i: usize) -> &[u32] {
        match (self.starts.get(i), self.starts.get(i + 1)) {
            (Some(&from), Some(&to)) => &self.items[from as usize..to as usize],
            _ => &[],
        }
    }
}

/// Pattern occurrences in one item, grouped by pattern.
#[derive(Debug, Clone, Copy)]
struct Hits<'s> {
    /// The occurrences by pattern, ascending, and in text order within one pattern. Here an
    /// occurrence's `term` is its pattern (the term as written is filled in by [`eval`]).
    occs: &'s [Occ],
    /// One bit per pattern: whether it occurred (in any field).
    present: &'s [u64],
}

impl<'s> Hits<'s> {
    fn of(&self, pid: PatternId) -> &'s [Occ] {
        let (occs, pid) = (self.occs, pid as u32);
        let from = occs.partition_point(|o| o.term < pid);
        let to = from + occs[from..].partition_point(|o| o.term == pid);
        &occs[from..to]
    }
}

/// Buffers matching keeps from one item to the next on a thread. The bit sets span every group,
/// pattern or rule of the rule set (kilobytes with 10,000 rules): allocating and zeroing them,
/// and the lists, for every item took a tenth of the instructions Callgrind counted for a match
/// with 10,000 rules.
#[derive(Debug, Default)]
struct Scratch {
    /// Syllable ids of a field's tokens.
    ids: Vec<u32>,
    /// The matcher's open walks.
    open: Vec<(u32, u32)>,
    raw: Vec<Hit>,
    /// How many of `raw` are in the title (they come first).
    title_hits: usize,
    /// Groups that occurred.
    present: Vec<u64>,
    /// Rules to evaluate.
    candidates: Vec<u64>,
    /// Groups whose occurrences the candidates need.
    needed: Vec<u64>,
    /// Indexes of the needed raw hits.
    kept: Vec<u32>,
    /// See [`Hits`].
    occs: Vec<Occ>,
    /// Patterns that occurred.
    patterns: Vec<u64>,
    /// The occurrences that made one rule hold.
    spans: Vec<Occ>,
}

thread_local! {
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::default();
}

impl Scratch {
    /// Lists longer than this many entries are given back after the item: one huge item must not
    /// keep its buffers (hundreds of megabytes for a 64 MiB text) for the life of the thread.
    const KEEP: usize = 1 << 16;

    fn give_back_large(&mut self) {
        fn trim<T>(list: &mut Vec<T>) {
            if list.capacity() > Scratch::KEEP {
                *list = Vec::new();
            }
        }
        trim(&mut self.ids);
        trim(&mut self.open);
        trim(&mut self.raw);
        trim(&mut self.kept);
        trim(&mut self.occs);
        trim(&mut self.spans);
    }
}

/// Clears a bit set and sizes it for `bits` bits, keeping its allocation.
fn zeroed(words: &mut Vec<u64>, bits: usize) {
    words.clear();
    words.resize(bits.div_ceil(64), 0);
}

impl RuleSet {
    /// Compile rule packs. Disabled rules are kept (for listing) but never evaluated. The first
    /// problem only; [`RuleSet::compile_all`] gives every rule's.
    pub fn compile(packs: Packs) -> Result<RuleSet, Error> {
        RuleSet::compile_all(packs).map_err(|mut errors| errors.swap_remove(0))
    }

    /// [`RuleSet::compile`], with the problem of every rule that has one (never an empty list):
    /// an analyst mends them all in one go, where one at a time took a check per rule.
    pub fn compile_all(packs: Packs) -> Result<RuleSet, Vec<Error>> {
        let mut errors = Vec::new();
        let mut compiler = Compiler {
            packs: &packs,
            keys: HashMap::new(),
            patterns: Vec::new(),
            pattern_texts: Vec::new(),
            texts: Texts::default(),
            term_ids: HashMap::new(),
            at_least: 0,
            failed_at_least: None,
        };
        let mut programs = Vec::with_capacity(packs.rules.len());
        let mut rule_ids = Vec::with_capacity(packs.rules.len());
        let mut nodes = 0usize;
        for spec in &packs.rules {
            let rule_error = |message: String| Error::Rule {
                origin: spec.origin.clone(),
                message: format!("rule `{}`: {message}", spec.id),
            };
            match compiler.texts.push(&spec.id) {
                Ok(at) => rule_ids.push(at),
                Err(message) => {
                    errors.push(rule_error(message));
                    return Err(errors);
                }
            }
            // Counted before anything is built, so that a hostile file is refused at once.
            nodes = nodes.saturating_add(expanded_size(&spec.expr, &packs));
            if nodes > MAX_NODES {
                errors.push(rule_error(too_many_nodes()));
                return Err(errors);
            }
            (compiler.at_least, compiler.failed_at_least) = (0, None);
            match compiler.node(&spec.expr, Moding::Rule(spec.mode)) {
                Ok(node) => programs.push(node),
                // An `at least` that can never hold is shown where it is written.
                Err(message) => match compiler.failed_at_least.and_then(|i| spec.at_least.get(i)) {
                    Some(&place) => errors.push(Error::At {
                        path: crate::origin_file(&spec.origin).into(),
                        position: Some(place),
                        message: format!("rule `{}`: {message}", spec.id),
                    }),
                    None => errors.push(rule_error(message)),
                },
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let Compiler { patterns, pattern_texts, texts, .. } = compiler;
        let terms: Vec<matcher::Term<'_>> = patterns
            .iter()
            .zip(&pattern_texts)
            .enumerate()
            .map(|(id, (p, text))| matcher::Term {
                syllables: text.split(' ').collect(),
                prefix: p.prefix,
                breaks: p.breaks,
                id,
            })
            .collect();
        let to_error = |message: String| vec![Error::Rule { origin: "rules".into(), message }];
        let matcher = Matcher::new(&terms).map_err(to_error)?;
        drop(terms);
        let presearch = Presearch::new(&programs, |i| packs.rules[i].enabled, &patterns, &matcher).map_err(to_error)?;
        let pattern_group = matcher.pattern_groups(patterns.len());
        let checks = Checks::new(&matcher, &patterns).map_err(to_error)?;
        let programs = Programs::new(&programs, &patterns, &pattern_group, matcher.crossing()).map_err(to_error)?;
        let flags = FlagMaker::new(&packs.rules, texts, &rule_ids);
        Ok(RuleSet { specs: packs.rules, programs, patterns, matcher, presearch, checks, flags })
    }

    /// The compiled rules' specifications, in file order.
    pub fn rules(&self) -> &[RuleSpec] {
        &self.specs
    }

    /// Number of distinct patterns compiled.
    pub fn pattern_count(&self) -> usize {
        self.patterns.len()
    }

    /// Match every enabled rule against a document (its title read on one line, see
    /// [`title_line`]).
    pub fn matches(&self, doc: &Doc<'_>) -> Vec<Flag> {
        let title = Analysis::new(&title_line(doc.title));
        let text = Analysis::new(doc.text);
        self.matches_analyzed(doc, &title, &text)
    }

    /// Whether one rule's expression holds for a document, ignoring its filters and `enabled`
    /// (used to run a rule's embedded examples).
    pub fn matches_rule_ignoring_filters(&self, rule_id: &str, doc: &Doc<'_>) -> bool {
        let Some(i) = self.specs.iter().position(|s| s.id == rule_id) else { return false };
        let (title, text) = (Analysis::new(&title_line(doc.title)), Analysis::new(doc.text));
        let s = &mut Scratch::default();
        self.raw_hits(s, &title, &text);
        zeroed(&mut s.candidates, self.specs.len());
        set_bit(&mut s.candidates, i);
        self.occurrences(s, &title, &text);
        self.programs.eval(i, &Hits { occs: &s.occs, present: &s.patterns }, &mut s.spans)
    }

    /// Every occurrence of every group in the title and the text (`s.raw`), and which groups
    /// occurred (`s.present`).
    fn raw_hits(&self, s: &mut Scratch, title: &Analysis, text: &Analysis) {
        // Up to one and a half hits per token with large rule sets (terms nest: a word and the
        // phrases starting with it): sized once, not grown and copied as it fills.
        let tokens = title.len() + text.len();
        s.raw.clear();
        s.raw.reserve(tokens + tokens / 2 + 16);
        zeroed(&mut s.present, self.matcher.group_count());
        let Scratch { ids, open, raw, present, title_hits, .. } = s;
        for (field, analysis) in [(Field::Title, title), (Field::Text, text)] {
            let from = raw.len();
            self.matcher.find(analysis, ids, open, raw);
            raw[from..].iter().for_each(|hit| set_bit(present, hit.group as usize));
            if field == Field::Title {
                *title_hits = raw.len();
            }
        }
    }

    /// The occurrences of the patterns the candidate rules refer to (exact ones checked), grouped
    /// by pattern (`s.occs`, `s.patterns`). Other patterns' occurrences are dropped unread: most
    /// of a text's hits are of common words that only narrow some rule down.
    fn occurrences(&self, s: &mut Scratch, title: &Analysis, text: &Analysis) {
        zeroed(&mut s.needed, self.matcher.group_count());
        for rule in set_bits(&s.candidates) {
            self.programs.groups(rule).for_each(|g| set_bit(&mut s.needed, g as usize));
        }
        needed_hits(&s.raw, &s.needed, &mut s.kept);
        s.occs.clear();
        for &i in &s.kept {
            let hit = s.raw[i as usize];
            let (field, analysis) =
                if (i as usize) < s.title_hits { (Field::Title, title) } else { (Field::Text, text) };
            let (length, crossing, terms) = self.checks.group(hit.group);
            let last = hit.first + length.saturating_sub(1);
            let (first, last) = (hit.first as usize, last as usize);
            // Only a group reached along a term written across a break may have crossed one
            // (see `checks`): then each term holds only across the breaks it is written across.
            let crossed = if crossing { analysis.breaks_within(first, last) } else { 0 };
            // Where a group has several patterns they are mostly exact forms of one folded text
            // (`bán`, `bạn`, `bàn`): the exact text there is read once for all of them.
            let mut there = None;
            for (pid, check, breaks) in terms {
                if crossed & !breaks != 0
                    || !check.holds(|| *there.get_or_insert_with(|| analysis.joined_tokens(View::Exact, first, last)))
                {
                    continue;
                }
                s.occs.push(Occ { first: hit.first, last: token_index(last), term: pid, field });
            }
        }
        // Stable: each pattern's occurrences stay in text order.
        s.occs.sort_by_key(|o| o.term);
        zeroed(&mut s.patterns, self.patterns.len());
        s.occs.iter().for_each(|o| set_bit(&mut s.patterns, o.term as usize));
    }

    /// Drops the candidate rules that cannot hold given which groups occurred (see
    /// [`Programs::possible`]).
    fn drop_impossible(&self, s: &mut Scratch) {
        for (w, word) in s.candidates.iter_mut().enumerate() {
            let impossible =
                set_bits_of(std::iter::once(*word)).filter(|&b| !self.programs.possible(w * 64 + b, &s.present));
            *word &= !impossible.fold(0u64, |bits, b| bits | 1 << b);
        }
    }

    /// Match with analyses computed by the caller (sentiment and rules can share them).
    pub fn matches_analyzed(&self, doc: &Doc<'_>, title: &Analysis, text: &Analysis) -> Vec<Flag> {
        SCRATCH.with(|cell| match cell.try_borrow_mut() {
            Ok(mut s) => {
                let flags = self.matches_with(&mut s, doc, title, text);
                s.give_back_large();
                flags
            }
            // Only if a match on this thread were under way already.
            Err(_) => self.matches_with(&mut Scratch::default(), doc, title, text),
        })
    }

    fn matches_with(&self, s: &mut Scratch, doc: &Doc<'_>, title: &Analysis, text: &Analysis) -> Vec<Flag> {
        self.raw_hits(s, title, text);
        // Candidate rules as a bit set: deduplicated and in file order without sorting.
        self.presearch.candidates(&s.present, &mut s.candidates);
        self.drop_impossible(s);
        self.occurrences(s, title, text);

        let Scratch { candidates, occs, patterns, spans, .. } = s;
        let hits = Hits { occs, present: patterns };
        let mut flags = Vec::new();
        for rule in set_bits(candidates) {
            spans.clear();
            if !self.programs.eval(rule, &hits, spans) {
                continue;
            }
            // After the expression: the rule's compact data is read for the flag next, and a
            // candidate that does not hold (a third of them with 10,000 rules) no longer costs
            // its read. The specification is read only for what the compact data does not say.
            if self.flags.filtered(rule) && !passes_filters(&self.specs[rule], doc) {
                continue;
            }
            // Tokens are in text order and do not overlap: token order is byte order.
            spans.sort_by_key(|o| (o.field == Field::Text, o.first, o.last));
            spans.dedup_by_key(|o| (o.field, o.first, o.last));
            // Sized at the first flag for the candidates, up to a limit: with 10,000 rules a text
            // raises about ten flags, and growing the list from four to eight to sixteen moved
            // the first ones once or twice. The limit keeps what a list holds unused small where
            // many candidates raise few flags (the list lives as long as its item).
            if flags.capacity() == 0 {
                let candidates: usize = candidates.iter().map(|w| w.count_ones() as usize).sum();
                flags.reserve(candidates.min(FLAGS_RESERVED));
            }
            flags.push(self.flags.flag(rule, &self.specs[rule], spans, [title, text]));
        }
        flags
    }
}

/// Most flags a text's list is first made for (see [`RuleSet::matches_with`]).
const FLAGS_RESERVED: usize = 16;

/// A title as the pipeline stores it, on one line, so that a phrase goes on across its line
/// breaks: each line break becomes a space of the same length in UTF-8, so that spans still index
/// the title as given. Whoever matches a title that was not stored (`rules match`, rule examples)
/// reads it through this.
pub fn title_line(title: &str) -> std::borrow::Cow<'_, str> {
    if !title.contains(['\n', '\r', '\u{2028}', '\u{2029}']) {
        return title.into();
    }
    title
        .chars()
        .map(|c| match c {
            '\n' | '\r' => ' ',
            // En and em space: three bytes each, as the separators.
            '\u{2028}' => '\u{2002}',
            '\u{2029}' => '\u{2003}',
            c => c,
        })
        .collect::<String>()
        .into()
}

/// Indexes of the hits of the `needed` groups (a bit set), in order, into `kept`. With many
/// rules about one hit in ten is needed, at random: selected without a branch per hit, which the
/// processor would mispredict at every tenth.
fn needed_hits(raw: &[Hit], needed: &[u64], kept: &mut Vec<u32>) {
    kept.clear();
    kept.resize(raw.len(), 0);
    // A slice, not the vector: written through the vector, its pointer and length were read
    // from memory again for every hit.
    let out = kept.as_mut_slice();
    let mut n = 0;
    for (i, hit) in raw.iter().enumerate() {
        // Fits: 2^32 hits of 8 bytes would take 32 GiB.
        out[n] = i as u32;
        n += usize::from(bit(needed, hit.group as usize));
    }
    kept.truncate(n);
}

/// A token index or byte offset as hits and occurrences store it (saturating: no text the
/// crawler or `rules match` accepts comes close).
fn token_index(i: usize) -> u32 {
    u32::try_from(i).unwrap_or(u32::MAX)
}

fn set_bit(words: &mut [u64], i: usize) {
    words[i / 64] |= 1 << (i % 64);
}

fn bit(words: &[u64], i: usize) -> bool {
    words[i / 64] & (1 << (i % 64)) != 0
}

/// Indexes of the set bits, ascending.
fn set_bits(words: &[u64]) -> impl Iterator<Item = usize> + '_ {
    set_bits_of(words.iter().copied())
}

/// Indexes of the set bits of a bit set given word by word, ascending.
fn set_bits_of(words: impl Iterator<Item = u64>) -> impl Iterator<Item = usize> {
    words.enumerate().flat_map(|(w, bits)| {
        let mut rest = bits;
        std::iter::from_fn(move || {
            (rest != 0).then(|| {
                let bit = rest.trailing_zeros() as usize;
                rest &= rest - 1;
                w * 64 + bit
            })
        })
    })
}

fn passes_filters(spec: &RuleSpec, doc: &Doc<'_>) -> bool {
    let f = &spec.filters;
    (f.langs.is_empty() || f.langs.iter().any(|l| l == doc.lang))
        && (f.sources.is_empty() || f.sources.iter().any(|s| same_name(s, doc.source)))
        && (f.source_tags.is_empty() || f.source_tags.iter().any(|t| doc.source_tags.iter().any(|d| same_name(t, d))))
        && (f.regions.is_empty() || doc.region.is_some_and(|r| f.regions.iter().any(|x| same_name(x, r))))
}

/// Whether a filter's name and an item's are the same name in any case: sources are configured
/// as `VnExpress` and written in rules as `vnexpress`, and a filter that silently never matched
/// hid a rule from every item. (Language codes are already lower case, see `pack::code`.)
fn same_name(filter: &str, value: &str) -> bool {
    filter == value || filter.chars().flat_map(char::to_lowercase).eq(value.chars().flat_map(char::to_lowercase))
}

#[cfg(test)]
mod tests {
    use super::*;
    use duluan_model::Severity;
    use proptest::prelude::Strategy;
    use std::path::Path;

    fn set(toml: &str) -> RuleSet {
        let mut packs = Packs::default();
        let mut errors = Vec::new();
        crate::pack::read_pack(Path::new("test.toml"), toml, &mut packs, &mut errors);
        assert!(errors.is_empty(), "{errors:?}");
        RuleSet::compile(packs).expect("compiles")
    }

    fn fired(rs: &RuleSet, title: &str, text: &str) -> Vec<String> {
        rs.matches(&Doc { title, text, lang: "vi", ..Doc::default() }).into_iter().map(|f| f.rule.to_string()).collect()
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
    fn phrases_stop_where_a_sentence_or_clause_ends() {
        let query = r#""tin giả" OR "tp hcm" OR "1,5 triệu" OR "vac xin*""#;
        let rs = set(&format!("[[rule]]\nid = \"fake\"\nseverity = \"low\"\nmode = \"folded\"\nquery = '{query}'\n"));
        for text in
            ["Cảnh báo tin giả", "TIN GIẢ lan truyền", "tin “giả”", "TP.HCM", "1,5 triệu", "vac xin?", "vắc xinh"]
        {
            assert_eq!(fired(&rs, "", text), ["fake"], "{text}");
        }
        for text in ["Đã nhận được tin. Giả sử có", "tin, giả vờ", "tin\ngiả", "TP. HCM", "1, 5 triệu", "vắc. Xinh"]
        {
            assert!(fired(&rs, "", text).is_empty(), "{text}");
        }
    }

    /// A term written across a break matches across one, in either mode and as a wildcard.
    #[test]
    fn a_term_written_across_a_break_matches_across_one() {
        let rule = |id: &str, mode: &str, query: &str| {
            format!("[[rule]]\nid = \"{id}\"\nseverity = \"low\"\nmode = \"{mode}\"\nquery = '{query}'\n")
        };
        let pack = [
            rule("city", "exact", r#""TP. HCM""#),
            rule("army", "folded", r#""u.s. army""#),
            rule("fake", "folded", r#""tin, gia*""#),
            rule("plain", "folded", r#""ba dinh""#),
            // Shares the first syllable of `TP. HCM`, written without a break.
            rule("new", "folded", r#""tp moi""#),
        ];
        let rs = set(&pack.concat());
        assert_eq!(fired(&rs, "", "Công an TP. HCM cho biết"), ["city"]);
        assert_eq!(fired(&rs, "", "Công an TP.HCM cho biết"), ["city"]);
        assert_eq!(fired(&rs, "", "The U.S. Army said"), ["army"]);
        assert_eq!(fired(&rs, "", "tin, giả"), ["fake"]);
        assert_eq!(fired(&rs, "", "tin giả mạo"), ["fake"]);
        // Other terms still stop at a break, even those that share a crossing term's path.
        assert!(fired(&rs, "", "quận Ba. Đình").is_empty());
        assert!(fired(&rs, "", "về TP. Mới đây").is_empty());
        assert_eq!(fired(&rs, "", "về tp mới"), ["new"]);
        assert!(fired(&rs, "", "tin, ai").is_empty());
    }

    /// Terms that read alike but for a break stay apart: one rule's `"tin. giả"` does not let
    /// another's `"tin giả"` cross a sentence end, in either mode; and a term crosses only the
    /// breaks it is written across.
    #[test]
    fn a_crossing_term_does_not_lend_its_break_to_a_like_term() {
        let rule = |id: &str, mode: &str, query: &str| {
            format!("[[rule]]\nid = \"{id}\"\nseverity = \"low\"\nmode = \"{mode}\"\nquery = '{query}'\n")
        };
        for mode in ["exact", "folded"] {
            let pack = [
                rule("plain", mode, r#""tin giả""#),
                rule("quoted", mode, r#""tin. giả""#),
                rule("later", mode, r#""tin giả. mạo""#),
                rule("both", mode, r#""tin. giả. mạo*""#),
                // Unsure where the group reached across a break: `NOT` still holds.
                rule("not", mode, r#"đây AND NOT "tin giả""#),
            ];
            let rs = set(&pack.concat());
            assert_eq!(fired(&rs, "", "Đây là tin giả"), ["plain", "quoted"], "{mode}");
            assert_eq!(fired(&rs, "", "Đây là tin. Giả sử"), ["quoted", "not"], "{mode}");
            assert_eq!(fired(&rs, "", "tin, giả"), ["quoted"], "{mode}");
            assert_eq!(fired(&rs, "", "tin giả. Mạo danh"), ["plain", "quoted", "later", "both"], "{mode}");
            assert_eq!(fired(&rs, "", "tin. Giả. Mạo danh"), ["quoted", "both"], "{mode}");
            assert_eq!(fired(&rs, "", "tin. Giả mạo"), ["quoted", "both"], "{mode}");
        }
    }

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
        // Terms that are one pattern in the rule's mode count once.
        let twice = set(r#"
[[list]]
id = "vx"
terms = ["vắc xin", "vac xin", "vắc xin", "tiêm chủng"]

[[rule]]
id = "two"
severity = "low"
mode = "folded"
query = "at least 2 of @vx"
"#);
        assert!(fired(&twice, "", "tiêm vắc xin").is_empty());
        assert_eq!(fired(&twice, "", "tiêm chủng vắc xin"), ["two"]);
        assert_eq!(fired(&rs, "", "hỏa hoạn"), ["wild"]);
        assert_eq!(fired(&rs, "", "hoả tốc"), ["wild"]);
        // In exact mode a stem's tone may sit on another vowel of the word it begins.
        let stems = set("[[rule]]\nid = \"hoa\"\nseverity = \"low\"\nquery = \"hoà*\"\n");
        assert_eq!(fired(&stems, "", "ông Hoàng"), ["hoa"]);
        assert_eq!(fired(&stems, "", "hòa bình"), ["hoa"]);
        assert!(fired(&stems, "", "hoang mang").is_empty());
        assert!(fired(&stems, "", "hóa đơn").is_empty());
    }

    #[test]
    fn modes_per_term_and_per_list_override_the_rule() {
        let rs = set(r#"
[[list]]
id = "fever"
mode = "exact"
terms = ["sốt"]

[[rule]]
id = "folded_rule_exact_term"
severity = "low"
mode = "folded"
query = "\"vac xin\" AND exact:sốt"

[[rule]]
id = "exact_rule_folded_term"
severity = "low"
query = "\"sốt cao\" AND folded:\"tre em\""

[[rule]]
id = "folded_rule_exact_list"
severity = "low"
mode = "folded"
query = "@fever AND \"benh vien\""

[[rule]]
id = "query_mode_beats_the_list"
severity = "low"
query = "folded:@fever AND \"bệnh nhi\""
"#);
        assert_eq!(fired(&rs, "", "tiêm vắc xin bị sốt"), ["folded_rule_exact_term"]);
        assert!(fired(&rs, "", "tiêm vắc xin bỏ sót").is_empty());
        assert!(fired(&rs, "", "tiem vac xin bi sot").is_empty());
        assert_eq!(fired(&rs, "", "sốt cao ở tre em"), ["exact_rule_folded_term"]);
        assert!(fired(&rs, "", "sot cao o tre em").is_empty());
        assert_eq!(fired(&rs, "", "bệnh viện báo sốt"), ["folded_rule_exact_list"]);
        assert_eq!(fired(&rs, "", "benh vien báo sốt"), ["folded_rule_exact_list"]);
        assert!(fired(&rs, "", "benh vien bao sot").is_empty());
        // A mode written at the reference wins over the list's own.
        assert_eq!(fired(&rs, "", "bệnh nhi bị sot"), ["query_mode_beats_the_list"]);
        assert!(fired(&rs, "", "benh nhi bị sốt").is_empty());
    }

    #[test]
    fn filters_and_what_a_flag_carries() {
        let rs = set(r#"
[[rule]]
id = "plain"
severity = "medium"
query = "ngập"

[[rule]]
id = "routed"
severity = "high"
action = "tag"
route = "phong-chong-thien-tai"
tags = ["lũ", "ngập"]
langs = ["vi"]
source_tags = ["bao-chi"]
regions = ["ha-noi"]
query = "ngập OR lụt"

[[rule]]
id = "one_source"
severity = "low"
sources = ["vnexpress"]
query = "ngập"
"#);
        let tags = vec!["bao-chi".to_string()];
        let doc = Doc {
            text: "Phố ngập sâu",
            lang: "vi",
            source: "tuoitre",
            source_tags: &tags,
            region: Some("ha-noi"),
            ..Doc::default()
        };
        let flags = rs.matches(&doc);
        let summary: Vec<_> =
            flags.iter().map(|f| (f.rule.as_str(), f.severity, f.alert, f.route.as_deref(), f.tags.len())).collect();
        assert_eq!(
            summary,
            [
                ("plain", Severity::Medium, true, None, 0),
                ("routed", Severity::High, false, Some("phong-chong-thien-tai"), 2),
            ]
        );
        assert_eq!(flags[1].tags, ["lũ", "ngập"]);
        let spans: Vec<_> = flags[1].spans.iter().map(|s| (s.start, s.end, s.term.as_str())).collect();
        assert_eq!(spans, [(6, 12, "ngập")]);
        // Each filter on its own keeps the rule out.
        let other_lang = Doc { lang: "en", ..doc };
        assert_eq!(rs.matches(&other_lang).len(), 1);
        let other_region = Doc { region: Some("hue"), ..doc };
        assert_eq!(rs.matches(&other_region).len(), 1);
        let no_region = Doc { region: None, ..doc };
        assert_eq!(rs.matches(&no_region).len(), 1);
        let untagged = Doc { source_tags: &[], ..doc };
        assert_eq!(rs.matches(&untagged).len(), 1);
        let named_source = Doc { source: "vnexpress", ..doc };
        let fired: Vec<_> = rs.matches(&named_source).into_iter().map(|f| f.rule.to_string()).collect();
        assert_eq!(fired, ["plain", "routed", "one_source"]);
        // Names are the same in any case: a source configured as `VnExpress`, a region as `Hà Nội`.
        let tags = vec!["Bao-Chi".to_string()];
        let cased = Doc { source: "VnExpress", source_tags: &tags, region: Some("HA-NOI"), ..doc };
        let fired: Vec<_> = rs.matches(&cased).into_iter().map(|f| f.rule.to_string()).collect();
        assert_eq!(fired, ["plain", "routed", "one_source"]);
        assert!(same_name("hà nội", "HÀ NỘI") && !same_name("ha-noi", "ha-noi-2") && !same_name("huế", "hue"));
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

    /// The spans of a flag are the occurrences that made each operator hold: only the pairs
    /// close enough for `NEAR`, every alternative of `OR` that occurred, nothing under `NOT`.
    #[test]
    fn spans_follow_the_operators() {
        let rs = set(concat!(
            "[[rule]]\nid = \"near\"\nseverity = \"low\"\nquery = \"giá ONEAR/2 tăng\"\n",
            "[[rule]]\nid = \"fuel\"\nseverity = \"low\"\nquery = \"(xăng OR dầu OR \\\"khí đốt\\\") AND NOT rẻ\"\n",
        ));
        let spans = |text: &str| -> Vec<(String, Vec<String>)> {
            rs.matches(&Doc { text, ..Doc::default() })
                .into_iter()
                .map(|f| {
                    (
                        f.rule.to_string(),
                        f.spans.iter().map(|s| format!("{}@{}", &text[s.start..s.end], s.start)).collect(),
                    )
                })
                .collect()
        };
        // `giá` at 0 and the first `tăng` are two syllables apart; the second `tăng` and the
        // last `giá` are no pair.
        assert_eq!(
            spans("giá rau lại tăng tăng giá"),
            [("near".to_string(), vec!["giá@0".to_string(), "tăng@15".into()])]
        );
        assert_eq!(spans("giá xăng và dầu"), [("fuel".to_string(), vec!["xăng@5".to_string(), "dầu@15".into()])]);
        assert!(spans("xăng rẻ").is_empty());
        // A negated negation is its term, and shows it.
        let rs = set("[[rule]]\nid = \"twice\"\nseverity = \"low\"\nquery = \"NOT (NOT tin) AND -(-giả)\"\n");
        let flags = rs.matches(&Doc { text: "tin giả", ..Doc::default() });
        assert_eq!(flags.len(), 1);
        assert_eq!(flags[0].spans.iter().map(|s| s.term.as_str()).collect::<Vec<_>>(), ["tin", "giả"]);
        assert!(rs.matches(&Doc { text: "tin thật", ..Doc::default() }).is_empty());
    }

    /// A huge item's buffers are not kept for the next: the thread's scratch stays small, and
    /// the items after it still match.
    #[test]
    fn a_huge_item_leaves_no_huge_buffers() {
        let rs = set(PACK);
        let huge = "giá rau lại tăng ".repeat(20_000);
        assert_eq!(fired(&rs, "", &huge), ["near"]);
        let kept = SCRATCH.with(|s| {
            let s = s.borrow();
            [s.ids.capacity(), s.raw.capacity(), s.kept.capacity(), s.occs.capacity(), s.spans.capacity()]
        });
        assert!(kept.iter().all(|&c| c <= Scratch::KEEP), "{kept:?}");
        assert_eq!(fired(&rs, "", "Nghe nói tiêm vắc xin bị vô sinh"), ["vaccine_harm"]);
    }

    /// `a NEAR b`, or where a side may hold with no place in the text or needs several terms at
    /// once (which rules may not write), `a AND b`.
    fn near(a: &str, op: &str, b: &str) -> String {
        let placed =
            |q: &str| crate::expr::parse(q).is_ok_and(|e| e.has_place() && !e.needs_several() && !e.has_near());
        if placed(a) && placed(b) { format!("({a} {op} {b})") } else { format!("({a} AND {b})") }
    }

    /// Queries over a few overlapping words, in every operator.
    fn query() -> impl Strategy<Value = String> {
        let word =
            proptest::sample::select(&["giá", "gia", "tăng", "tang", "xăng", "giá xăng", "tă*", "title:giá"][..])
                .prop_map(|w| if w.contains(' ') { format!("\"{w}\"") } else { w.to_string() });
        word.prop_recursive(3, 12, 3, |inner| {
            proptest::prop_oneof![
                (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} AND {b})")),
                (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} OR {b})")),
                (inner.clone(), inner.clone()).prop_map(|(a, b)| near(&a, "NEAR/1", &b)),
                (inner.clone(), inner.clone()).prop_map(|(a, b)| near(&a, "ONEAR/2", &b)),
                inner.clone().prop_map(|a| format!("(NOT {a})")),
                (inner.clone(), inner.clone(), inner).prop_map(|(a, b, c)| format!("at least 2 of ({a}, {b}, {c})")),
            ]
        })
    }

    proptest::proptest! {
        /// The presearch never skips a rule that holds: every rule fires on its own exactly when
        /// it fires among all the others.
        #[test]
        fn presearch_skips_no_rule_that_holds(
            queries in proptest::collection::vec(query(), 1..8),
            title in proptest::collection::vec(proptest::sample::select(&["giá", "Gia", "tăng", "xăng", "tầng", "x"][..]), 0..4),
            text in proptest::collection::vec(proptest::sample::select(&["giá", "gia", "tăng", "tang", "xăng", "tầng", "x"][..]), 0..12),
        ) {
            let pack: String = queries
                .iter()
                .enumerate()
                .map(|(i, q)| {
                    let mode = if i % 2 == 0 { "exact" } else { "folded" };
                    format!("[[rule]]\nid = \"r{i}\"\nseverity = \"low\"\nmode = \"{mode}\"\nquery = {q:?}\n")
                })
                .collect();
            let mut packs = Packs::default();
            let mut errors = Vec::new();
            crate::pack::read_pack(Path::new("test.toml"), &pack, &mut packs, &mut errors);
            proptest::prop_assert!(errors.is_empty(), "{:?}", errors);
            // `at least 2 of (giá, gia, giá)` in folded mode names one term: refused.
            let compiled = RuleSet::compile(packs);
            proptest::prop_assume!(!compiled.as_ref().is_err_and(|e| e.to_string().contains("can never hold")));
            let rs = compiled.expect("compiles");
            let (title, text) = (title.join(" "), text.join(" "));
            let doc = Doc { title: &title, text: &text, ..Doc::default() };
            let fired: Vec<String> = rs.matches(&doc).into_iter().map(|f| f.rule.to_string()).collect();
            let alone: Vec<String> = rs
                .rules()
                .iter()
                .filter(|r| rs.matches_rule_ignoring_filters(&r.id, &doc))
                .map(|r| r.id.clone())
                .collect();
            proptest::prop_assert_eq!(fired, alone);
        }
    }

    proptest::proptest! {
        /// A rule fires among others exactly when it fires alone, however the others' terms
        /// cross breaks: phrases written with and without a break inside, sharing their paths,
        /// and some under NOT.
        #[test]
        fn other_rules_lend_no_break_to_a_phrase(
            phrases in proptest::collection::vec(proptest::collection::vec((0..3usize, 0..3usize), 1..4), 1..6),
            words in proptest::collection::vec((0..3usize, 0..3usize), 0..12),
            wildcard in proptest::prelude::any::<bool>(),
        ) {
            const WORDS: [&str; 3] = ["giá", "xăng", "tăng"];
            const GAPS: [&str; 3] = [" ", ". ", ", "];
            let written = |syllables: &[(usize, usize)]| -> String {
                syllables.iter().enumerate().map(|(i, &(w, g))| if i == 0 { WORDS[w].to_string() } else { format!("{}{}", GAPS[g], WORDS[w]) }).collect()
            };
            let rules: Vec<String> = phrases
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    let star = if wildcard && i % 2 == 1 { "*" } else { "" };
                    let mode = if i % 3 == 0 { "exact" } else { "folded" };
                    // Some phrases under NOT: a rule that holds for their absence.
                    let query = match i % 4 {
                        2 => format!("tăng AND NOT \"{}{star}\"", written(p)),
                        _ => format!("\"{}{star}\"", written(p)),
                    };
                    format!("[[rule]]\nid = \"r{i}\"\nseverity = \"low\"\nmode = \"{mode}\"\nquery = '{query}'\n")
                })
                .collect();
            let text = written(&words);
            let all = set(&rules.concat());
            let fired_among_all = fired(&all, "", &text);
            let fired_alone: Vec<String> =
                rules.iter().flat_map(|r| fired(&set(r), "", &text)).collect();
            proptest::prop_assert_eq!(fired_among_all, fired_alone, "{}", text);
        }
    }

    /// Two long lists of rare phrases near each other (so the rule is indexed by the pair): the
    /// index grows with their sum, not their product.
    #[test]
    fn a_clause_of_two_long_lists_is_indexed_in_linear_space() {
        const TAIL: &str = "một hai ba bốn năm sáu bảy tám chín mười";
        let list = |id: &str, prefix: &str| {
            let terms: Vec<String> = (0..3_000).map(|n| format!("\"{prefix} {n} {TAIL}\"")).collect();
            format!("[[list]]\nid = \"{id}\"\nterms = [{}]\n", terms.join(","))
        };
        let pack = format!(
            "{}{}[[rule]]\nid = \"pair\"\nseverity = \"low\"\nquery = \"@a NEAR/3 @b\"\n",
            list("a", "alpha"),
            list("b", "beta")
        );
        let rs = set(&pack);
        assert!(rs.presearch.size() < 20_000, "index of {} entries", rs.presearch.size());
        assert_eq!(fired(&rs, "", &format!("alpha 17 {TAIL} rồi beta 2999 {TAIL}")), ["pair"]);
        assert!(fired(&rs, "", &format!("alpha 17 {TAIL} và không gì khác")).is_empty());
    }

    fn rule(id: &str, query: &str) -> String {
        format!("[[rule]]\nid = \"{id}\"\nseverity = \"low\"\nquery = {query:?}\n")
    }

    /// `pack` (whose last line is `query = …`, its rule `r`) is refused when read, with `reason`,
    /// at the place in the query where `at` is written.
    fn refused_at(pack: &str, query: &str, at: &str, reason: &str) {
        let mut packs = Packs::default();
        let mut errors = Vec::new();
        crate::pack::read_pack(Path::new("t.toml"), pack, &mut packs, &mut errors);
        let written = format!("{query:?}");
        let line = pack.lines().count();
        let column = 9 + written.find(at).map_or(0, |i| written[..i].chars().count());
        let place = format!("t.toml:{line}:{column}:");
        assert!(
            errors.iter().any(|e| {
                let e = e.to_string();
                e.starts_with(&place) && e.contains("rule `r`") && e.contains(reason)
            }),
            "{query}: expected {place} {reason}, got {errors:?}"
        );
    }

    /// `at least` counts each term of a list on its own under the modes and scopes around it.
    #[test]
    fn at_least_counts_list_terms_under_modes_and_scopes() {
        let harm = "[[list]]\nid = \"harm\"\nterms = [\"vô sinh\", \"tử vong\", \"biến chứng\"]\n";
        let rules = [
            rule("plain", "at least 2 of @harm"),
            rule("folded", "at least 2 of (folded:@harm)"),
            rule("folded_bare", "at least 2 of folded:@harm"),
            rule("exact", "at least 2 of (exact:@harm)"),
            rule("title", "at least 2 of title:@harm"),
        ];
        let rs = set(&format!("{harm}{}", rules.concat()));
        assert_eq!(fired(&rs, "", "biến chứng và tử vong"), ["plain", "folded", "folded_bare", "exact"]);
        assert_eq!(fired(&rs, "", "bien chung va tu vong"), ["folded", "folded_bare"]);
        assert_eq!(fired(&rs, "biến chứng và tử vong", ""), ["plain", "folded", "folded_bare", "exact", "title"]);
        // One mention in the title and one in the text: two of the list, but not two in the title.
        assert_eq!(fired(&rs, "biến chứng", "tử vong"), ["plain", "folded", "folded_bare", "exact"]);
        assert!(fired(&rs, "", "tử vong và tử vong").is_empty());
    }

    /// `at least` counts mentions: a term found only inside a longer term of the list, or at the
    /// very place of an earlier term, is part of that mention, not one more.
    #[test]
    fn at_least_counts_a_mention_once() {
        let list = "[[list]]\nid = \"l\"\nterms = [\"vắc xin\", \"vắc xin covid\", \"tiêm\", \"covid\", \"covid*\"]\n";
        let rules = [
            rule("two", "at least 2 of @l"),
            rule("three", "at least 3 of @l"),
            rule("spans", "at least 2 of (\"vắc xin\", \"vắc xin covid\", tiêm)"),
        ];
        let rs = set(&format!("{list}{}", rules.concat()));
        // `vắc xin` and `covid` lie inside `vắc xin covid`: one mention.
        assert!(fired(&rs, "", "vắc xin covid").is_empty());
        // `covid` and `covid*` at the same place: one mention.
        assert!(fired(&rs, "", "covid").is_empty());
        assert_eq!(fired(&rs, "", "vắc xin covid và tiêm"), ["two", "spans"]);
        // A mention of its own elsewhere counts.
        assert_eq!(fired(&rs, "", "vắc xin covid rồi vắc xin"), ["two", "spans"]);
        assert_eq!(fired(&rs, "", "covid rồi covidvax"), ["two"]);
        assert_eq!(fired(&rs, "", "vắc xin covid, tiêm và covid"), ["two", "three", "spans"]);
        // `NOT tiêm` holds with no mention: nothing covers it.
        let not = set(&rule("not", "at least 2 of (\"vắc xin covid\", covid, NOT tiêm)"));
        assert_eq!(fired(&not, "", "vắc xin covid"), ["not"]);
        assert!(fired(&not, "", "vắc xin covid tiêm").is_empty());
        let flags = rs.matches(&Doc { text: "vắc xin covid và tiêm", ..Doc::default() });
        let spans = flags.iter().find(|f| f.rule == "spans").map(|f| &f.spans[..]).unwrap_or_default();
        let terms: Vec<&str> = spans.iter().map(|s| s.term.as_str()).collect();
        assert_eq!(terms, ["vắc xin covid", "tiêm"], "the covered mention is not shown");
    }

    /// `NEAR` pairs two mentions: never one with itself or with one it overlaps.
    #[test]
    fn near_needs_two_mentions() {
        let rs = set(&[rule("twice", "tăng NEAR/3 tăng"), rule("inside", "giá NEAR/0 \"giá xăng\"")].concat());
        assert!(fired(&rs, "", "giá tăng").is_empty());
        assert_eq!(fired(&rs, "", "giá tăng rồi lại tăng"), ["twice"]);
        assert!(fired(&rs, "", "giá xăng").is_empty());
        assert_eq!(fired(&rs, "", "giá giá xăng"), ["inside"]);
    }

    /// A side of `NEAR` that may hold through `NOT` alone has no place: such a rule is refused
    /// with a message, not left to never fire. `NOT` beside a term inside `NEAR` is fine.
    #[test]
    fn near_refuses_a_side_without_a_place() {
        for (query, at, reason) in [
            ("sốt NEAR/3 (NOT \"bác bỏ\")", "NEAR", "NOT"),
            ("(NOT x) ONEAR/2 sốt", "ONEAR", "NOT"),
            ("sốt NEAR/3 (cao OR NOT x)", "NEAR", "NOT"),
            ("(giá AND xăng) NEAR/1 tăng", "NEAR", "several terms"),
            ("tăng ONEAR/2 (at least 2 of (giá, xăng))", "ONEAR", "several terms"),
            ("title:(giá xăng) NEAR/3 tăng", "NEAR", "several terms"),
            ("a NEAR/3 b NEAR/3 c", "NEAR/3 c", "NEAR of its own"),
            ("a ONEAR/3 b ONEAR/3 c", "ONEAR/3 c", "NEAR of its own"),
            ("a NEAR/3 (b NEAR/2 c)", "NEAR/3", "NEAR of its own"),
            ("x NEAR/2 (y OR title:(b NEAR/2 c))", "NEAR/2 (", "NEAR of its own"),
        ] {
            refused_at(&rule("r", query), query, at, reason);
        }
        let rs = set(&rule("pairs", "(a NEAR/3 b) AND (b NEAR/3 c) AND NOT (x NEAR/1 y)"));
        assert_eq!(fired(&rs, "", "a x x b x c"), ["pairs"]);
        let rs = set(&rule("ok", "sốt NEAR/3 (cao AND NOT \"bác bỏ\")"));
        assert_eq!(fired(&rs, "", "bé bị sốt cao"), ["ok"]);
        assert!(fired(&rs, "", "bác bỏ tin bé bị sốt cao").is_empty());
        // A negated negation is its term, with a place.
        let rs = set(&rule("twice", "sốt NEAR/2 (NOT (NOT cao))"));
        assert_eq!(fired(&rs, "", "bé bị sốt rất cao"), ["twice"]);
        assert!(fired(&rs, "", "sốt nhẹ thôi, không hề cao").is_empty());
    }

    /// Rules that could never fire as written are refused with a reason, not compiled to a
    /// rule that stays silent.
    #[test]
    fn rules_that_can_never_fire_are_refused() {
        let list = "[[list]]\nid = \"harm\"\nterms = [\"vô sinh\", \"tử vong\", \"vo sinh\"]\n";
        for (query, at) in [("tức AND \"😡\"", "\\\"😡"), ("\"!!!\" OR tức", "\\\"!!!"), ("tức OR !!", "!!")]
        {
            refused_at(&format!("{list}{}", rule("r", query)), query, at, "no letter or digit");
        }
        refused_at(&format!("{list}{}", rule("r", "tức OR &&")), "tức OR &&", "&&", "not an operator");
        let long = format!("\"{}\"", "ab ".repeat(100));
        refused_at(&format!("{list}{}", rule("r", &long)), &long, "\\\"ab", "longer than 200 bytes");
        // Alternatives as written, too few for the count: refused at the count.
        for query in ["at least 2 of (sốt OR ho OR \"khó thở\")", "at least 2 of (sốt ho \"khó thở\")"] {
            refused_at(&format!("{list}{}", rule("r", query)), query, "2 of", "1 distinct alternative");
        }
        for (query, at, reason) in [
            // Folded, `vo sinh` is `vô sinh` again: two alternatives, not three.
            ("at least 3 of folded:@harm", "at least", "2 distinct alternative"),
            // The same term twice is one alternative.
            ("at least 2 of (sốt, Sốt)", "at least", "1 distinct alternative"),
            // Shown at the `at least` that asks too much, past a quoted phrase and another one.
            ("\"tin đồn\" AND at least 1 of @harm AND (ho OR at least 4 of @harm)", "at least 4", "3 distinct"),
            ("at least 2 of (at least 5 of @harm, sốt)", "at least 5", "3 distinct"),
        ] {
            let pack = format!("{list}{}", rule("r", query));
            let mut packs = Packs::default();
            let mut errors = Vec::new();
            crate::pack::read_pack(Path::new("t.toml"), &pack, &mut packs, &mut errors);
            assert!(errors.is_empty(), "{errors:?}");
            let err = RuleSet::compile(packs).expect_err(query).to_string();
            assert!(err.contains("rule `r`") && err.contains(reason), "{query}: {err}");
            // Line and column of the `at least`, in the query as written in the file.
            let written = format!("{query:?}");
            let column = 9 + written.find(at).map_or(0, |i| written[..i].chars().count());
            let place = format!("t.toml:{}:{column}:", pack.lines().count());
            assert!(err.starts_with(&place), "{query}: expected {place}, got {err}");
        }
        let rs = set(&rule("commas", "at least 2 of (sốt, ho, \"khó thở\")"));
        assert_eq!(fired(&rs, "", "bé bị sốt, ho và khó thở"), ["commas"]);
        // Every rule's problem at once, in file order.
        let mut packs = Packs::default();
        let text = format!(
            "{list}{}{}{}",
            rule("a", "at least 3 of folded:@harm"),
            rule("ok", "sốt"),
            rule("b", "at least 2 of (sốt, Sốt)")
        );
        crate::pack::read_pack(Path::new("t.toml"), &text, &mut packs, &mut Vec::new());
        let Err(errors) = RuleSet::compile_all(packs) else { panic!("two rules cannot hold") };
        let errors: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert!(errors.len() == 2 && errors[0].contains("rule `a`") && errors[1].contains("rule `b`"), "{errors:?}");
    }

    /// A wildcard ends a quoted phrase as it ends a list term.
    #[test]
    fn a_phrase_may_end_in_a_wildcard() {
        let list = "[[list]]\nid = \"l\"\nterms = [\"giá tă*\"]\n";
        let rs = set(&format!("{list}{}{}", rule("phrase", "\"giá tă*\""), rule("list", "@l")));
        assert_eq!(fired(&rs, "", "giá tăng"), ["phrase", "list"]);
        assert!(fired(&rs, "", "giá giảm").is_empty());
    }

    /// Every `@list` a rule names is a copy of the list: a file naming a long list thousands of
    /// times is refused before anything is built, naming the rule.
    #[test]
    fn lists_named_too_often_are_refused() {
        let terms: Vec<String> = (0..1_000).map(|i| format!("\"từ {i}\"")).collect();
        let list = format!("[[list]]\nid = \"l\"\nterms = [{}]\n", terms.join(","));
        let query = vec!["@l"; MAX_NODES / 1_000 + 1].join(" OR ");
        // Counted as the rule is read, when its list came first...
        let mut packs = Packs::default();
        let mut errors = Vec::new();
        crate::pack::read_pack(
            Path::new("t.toml"),
            &format!("{list}{}", rule("many", &query)),
            &mut packs,
            &mut errors,
        );
        let err = errors.iter().map(ToString::to_string).collect::<String>();
        assert!(err.contains("t.toml:") && err.contains("rule `many`") && err.contains("fewer rules"), "{err}");
        // ... and when the rules are compiled, when it came in a later file.
        let mut packs = Packs::default();
        let mut errors = Vec::new();
        crate::pack::read_pack(Path::new("a.toml"), &rule("many", &query), &mut packs, &mut errors);
        crate::pack::read_pack(Path::new("b.toml"), &list, &mut packs, &mut errors);
        assert!(errors.is_empty(), "{errors:?}");
        let err = RuleSet::compile(packs).expect_err("too many").to_string();
        assert!(err.contains("rule `many`") && err.contains("fewer rules"), "{err}");
        // The same list named a few times compiles.
        let rs = set(&format!("{list}{}", rule("few", "@l OR @l OR @l")));
        assert_eq!(fired(&rs, "", "một từ 7 thôi"), ["few"]);
    }

    #[test]
    fn unconditional_rules_are_evaluated() {
        let rs = set("[[rule]]\nid = \"n\"\nseverity = \"info\"\nquery = \"NOT spam\"\n");
        assert_eq!(fired(&rs, "", "hello"), ["n"]);
        assert!(fired(&rs, "", "spam").is_empty());
    }
}
