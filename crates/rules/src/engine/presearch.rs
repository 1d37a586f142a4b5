//! Which rules to evaluate for a text (the presearch idea of Lucene Monitor / Luwak).
//!
//! Each rule is indexed by a condition on its terms that must be met whenever the rule holds: a
//! few *clauses*, one of which is met, each clause one or two *sets* of terms that must both have
//! a term that occurred. `"vắc xin" AND (tiêm OR chích)` is indexed by `{vắc xin}` alone, not by
//! `tiêm`; `"giá xăng" NEAR/5 "tăng mạnh"` by the pair `{giá xăng} & {tăng mạnh}`, so it is
//! evaluated only for texts that have both. Terms are weighed by a rough probability of
//! occurring and the rarest condition is kept, so that the number of rules evaluated per text
//! grows far slower than the number of rules.

use super::matcher::Matcher;
use super::{Csr, Node, Pattern, PatternId, bit, set_bit, set_bits_of};
use duluan_text::{Analysis, View};

/// Patterns of which one must occur, with the rough probability that one does.
#[derive(Debug, Clone)]
struct Set {
    p: f32,
    patterns: Vec<PatternId>,
}

/// Sets that must each have an occurring pattern (one or two of them).
type Clause = Vec<Set>;

/// Clauses of which one must be met; `p` is the rough probability that one is.
#[derive(Debug)]
struct Requirement {
    p: f32,
    clauses: Vec<Clause>,
}

/// A rough probability that a term occurs in a text: stopwords are everywhere, one short
/// syllable is common, a phrase of several is rare; a wildcard widens a term and the exact mode
/// narrows it. Only the order of these numbers matters.
pub(super) fn probability(analysis: &Analysis, view: View, prefix: bool) -> f32 {
    if duluan_text::stopwords::is_stopword_exact(analysis.joined(View::Exact)) {
        return 1.0;
    }
    let syllables = analysis.len() as f32;
    let shortness = (8.0 / analysis.joined(View::Folded).len().max(1) as f32).clamp(0.5, 4.0);
    let wildcard = if prefix { 3.0 } else { 1.0 };
    let mode = if view == View::Exact { 0.7 } else { 1.0 };
    (0.05 * shortness * wildcard * mode / (syllables * syllables)).min(1.0)
}

fn clause_p(clause: &Clause) -> f32 {
    clause.iter().map(|s| s.p).product()
}

fn requirement(node: &Node, patterns: &[Pattern]) -> Option<Requirement> {
    match node {
        Node::Never => Some(Requirement { p: 0.0, clauses: Vec::new() }),
        Node::Leaf(id, _) => {
            let p = patterns[*id].p;
            Some(Requirement { p, clauses: vec![vec![Set { p, patterns: vec![*id] }]] })
        }
        Node::Scoped(_, inner) => requirement(inner, patterns),
        Node::Not(_) => None,
        Node::Or(parts) => any_of(parts.iter().map(|p| requirement(p, patterns))),
        Node::And(parts) => all_of(parts.iter().filter_map(|p| requirement(p, patterns)).collect()),
        Node::Near { left, right, .. } => {
            all_of([requirement(left, patterns), requirement(right, patterns)].into_iter().flatten().collect())
        }
        // When `min` of `n` parts hold, one of any `n - min + 1` parts does: take the rarest ones.
        Node::AtLeast { min, of } => {
            let needed = (of.len() + 1).checked_sub(*min).filter(|_| *min > 0)?;
            let mut parts: Vec<Requirement> = of.iter().map(|p| requirement(p, patterns)).collect::<Option<_>>()?;
            parts.sort_by(|a, b| a.p.total_cmp(&b.p));
            any_of(parts.into_iter().take(needed).map(Some))
        }
    }
}

/// One of the parts holds: any of their clauses. Clauses of one set merge into one set.
fn any_of(parts: impl Iterator<Item = Option<Requirement>>) -> Option<Requirement> {
    let mut single = Set { p: 0.0, patterns: Vec::new() };
    let mut clauses = Vec::new();
    for part in parts {
        for clause in part?.clauses {
            match <[Set; 1]>::try_from(clause) {
                Ok([set]) => {
                    single.p = (single.p + set.p).min(1.0);
                    single.patterns.extend(set.patterns);
                }
                Err(clause) => clauses.push(clause),
            }
        }
    }
    if !single.patterns.is_empty() {
        clauses.push(vec![single]);
    }
    let p = clauses.iter().map(clause_p).sum::<f32>().min(1.0);
    Some(Requirement { p, clauses })
}

/// Every part holds: the rarest part's requirement will do, or, rarer still, a pair of the rarest
/// sets of two parts that have one clause each.
fn all_of(mut parts: Vec<Requirement>) -> Option<Requirement> {
    parts.sort_by(|a, b| a.p.total_cmp(&b.p));
    let mut single_clauses = parts.iter().filter(|r| r.clauses.len() == 1);
    let pair = match (single_clauses.next(), single_clauses.next()) {
        (Some(a), Some(b)) => {
            let mut sets: Vec<Set> = a.clauses[0].iter().chain(&b.clauses[0]).cloned().collect();
            sets.sort_by(|x, y| x.p.total_cmp(&y.p));
            sets.truncate(2);
            Some(Requirement { p: clause_p(&sets), clauses: vec![sets] })
        }
        _ => None,
    };
    let rarest = parts.into_iter().next();
    match (rarest, pair) {
        (Some(r), Some(pair)) if pair.p < r.p => Some(pair),
        (rarest, _) => rarest,
    }
}

/// Second sets of up to this many groups are copied into the row of every group of their clause's
/// first set; larger ones are stored once, as a clause of two long lists (`@a NEAR/5 @b`) would
/// otherwise take the product of their lengths.
const INLINE_SECOND: usize = 8;
/// Marks a row's reference to a shared second set.
const SHARED: u32 = 1 << 31;

/// Marks the slot of a group that indexes no clause.
const EMPTY: u32 = u32::MAX;
/// Marks a slot whose row lies among the long rows.
const LONG: u32 = u32::MAX - 1;
/// A slot's second place where its clause has one set.
const ONE_SET: u32 = u32::MAX;

/// Each group's row. Most groups index one clause or none (with 10,000 rules, 16,500 of 19,900):
/// such a clause lies in the group's 8-byte slot, its rule and the one group of its second set,
/// if it has one; other rows lie among the long rows. One read per group that occurred, from a
/// 160 KB array that mostly stays in the second-level cache: where every row was found through
/// a list of where rows start, that list and the row were two cache misses, and slots of 16 bytes
/// (up to three items of any row) took twice the room.
#[derive(Debug, Default)]
struct Rows {
    /// Per group: [`EMPTY`]; or a rule and the group of its clause's second set ([`ONE_SET`] if
    /// none); or [`LONG`] and the index of the row in `long`.
    slots: Vec<[u32; 2]>,
    long: Csr,
}

/// A group's row as [`Rows`] stores it.
#[derive(Debug, PartialEq, Eq)]
enum Row<'a> {
    /// One clause: its rule and its second set (empty, or one group).
    One(u32, &'a [u32]),
    /// Clauses written out (see [`Presearch::group_clauses`]).
    Many(&'a [u32]),
}

impl Rows {
    fn new(rows: Vec<Vec<u32>>) -> Rows {
        let mut long = Vec::new();
        let slots = rows
            .into_iter()
            .map(|row| match *row.as_slice() {
                [] => [EMPTY, 0],
                [rule, 0] if rule < LONG => [rule, ONE_SET],
                [rule, 1, group] if rule < LONG && group != ONE_SET => [rule, group],
                _ => {
                    long.push(row);
                    [LONG, (long.len() - 1) as u32]
                }
            })
            .collect();
        Rows { slots, long: Csr::rows(long.into_iter()) }
    }

    #[inline]
    fn get(&self, group: usize) -> Row<'_> {
        match self.slots.get(group) {
            None | Some([EMPTY, _]) => Row::Many(&[]),
            Some(&[LONG, i]) => Row::Many(self.long.get(i as usize)),
            Some([rule, ONE_SET]) => Row::One(*rule, &[]),
            Some([rule, second]) => Row::One(*rule, std::slice::from_ref(second)),
        }
    }

    /// A group's row written out as the builder gave it (for tests).
    #[cfg(test)]
    fn written_out(&self, group: usize) -> Vec<u32> {
        match self.get(group) {
            Row::One(rule, second) => [rule, second.len() as u32].into_iter().chain(second.iter().copied()).collect(),
            Row::Many(row) => row.to_vec(),
        }
    }

    /// Items in all rows (for tests of the index's size).
    #[cfg(test)]
    fn items(&self) -> usize {
        (0..self.slots.len()).map(|g| self.written_out(g).len()).sum()
    }
}

/// The rule index: clauses by the matcher groups of their terms.
///
/// A clause is indexed by its first (rarest) set only; when one of those terms occurs, its second
/// set, if any, is checked against the groups that occurred. The second set is usually the common
/// side of a pair (a frequent word `NEAR` a rare one), and indexing it too made every occurrence of
/// a common word visit thousands of clauses.
#[derive(Debug, Default)]
pub(super) struct Presearch {
    /// Per group, the clauses whose first set it belongs to, each written out in a row: its
    /// rule, then the number of groups in its second set (0: it has one set) and those groups, or
    /// for a second set of more than [`INLINE_SECOND`] groups, [`SHARED`] | its index in
    /// `second_sets`. One read per group that occurred (see [`Rows`]), where arrays per clause cost a cache miss
    /// each.
    group_clauses: Rows,
    /// The second sets too large to copy into rows.
    second_sets: Csr,
    /// Groups with any clause, one bit each.
    indexing_groups: Vec<u64>,
    /// Rules that can hold without any term occurring (`NOT x`): always evaluated.
    unconditional: Vec<u32>,
    rules: usize,
}

impl Presearch {
    /// Index the `enabled` rules.
    pub(super) fn new(
        programs: &[Node],
        enabled: impl Fn(usize) -> bool,
        patterns: &[Pattern],
        matcher: &Matcher,
    ) -> Result<Presearch, String> {
        let pattern_group = matcher.pattern_groups(patterns.len());
        let mut index = Presearch { rules: programs.len(), ..Presearch::default() };
        let mut clauses_of: Vec<Vec<u32>> = vec![Vec::new(); matcher.group_count()];
        let mut second_sets: Vec<Vec<u32>> = Vec::new();
        for (rule, node) in programs.iter().enumerate().filter(|(i, _)| enabled(*i)) {
            let rule = u32::try_from(rule).map_err(|_| "too many rules".to_string())?;
            if super::true_without_hits(node) {
                index.unconditional.push(rule);
                continue;
            }
            let clauses = match requirement(node, patterns) {
                Some(r) => r.clauses,
                // Only under a negation of negations (`NOT (NOT x OR NOT y)`): every positive term indexes it.
                None => vec![vec![Set { p: 1.0, patterns: super::positive_patterns(node) }]],
            };
            for clause in clauses {
                let groups = |set: Option<&Set>| -> Vec<u32> {
                    let mut groups: Vec<u32> =
                        set.map(|s| s.patterns.iter().map(|&p| pattern_group[p]).collect()).unwrap_or_default();
                    groups.sort_unstable();
                    groups.dedup();
                    groups
                };
                // What follows the rule in each row: the second set, or where it is.
                let second = groups(clause.get(1));
                let tail: Vec<u32> = if second.len() > INLINE_SECOND {
                    let shared = u32::try_from(second_sets.len()).ok().filter(|&i| i < SHARED);
                    let shared = shared.ok_or_else(|| "too many rule clauses".to_string())?;
                    second_sets.push(second);
                    vec![SHARED | shared]
                } else {
                    std::iter::once(second.len() as u32).chain(second).collect()
                };
                for group in groups(clause.first()) {
                    let row = &mut clauses_of[group as usize];
                    row.push(rule);
                    row.extend(&tail);
                }
            }
        }
        index.indexing_groups = vec![0; clauses_of.len().div_ceil(64)];
        clauses_of
            .iter()
            .enumerate()
            .filter(|(_, c)| !c.is_empty())
            .for_each(|(g, _)| set_bit(&mut index.indexing_groups, g));
        index.group_clauses = Rows::new(clauses_of);
        index.second_sets = Csr::rows(second_sets.into_iter());
        Ok(index)
    }

    /// Entries in the index (for tests of its size).
    #[cfg(test)]
    pub(super) fn size(&self) -> usize {
        self.group_clauses.items() + self.second_sets.items.len()
    }

    /// The rules to evaluate, as a bit set over rules (`candidates`, cleared first), given the
    /// groups that occurred (a bit set).
    pub(super) fn candidates(&self, present: &[u64], candidates: &mut Vec<u64>) {
        super::zeroed(candidates, self.rules);
        self.unconditional.iter().for_each(|&r| set_bit(candidates, r as usize));
        // Each indexing group that occurred once, however often it did.
        let triggered = present.iter().zip(&self.indexing_groups).map(|(p, i)| p & i);
        for group in set_bits_of(triggered) {
            self.add_clauses(group, present, candidates);
        }
    }

    /// Adds the rules of the clauses indexed by `group` whose second set, if any, occurred.
    fn add_clauses(&self, group: usize, present: &[u64], candidates: &mut [u64]) {
        let mut row = match self.group_clauses.get(group) {
            Row::One(rule, second) => return add_clause(rule, second, present, candidates),
            Row::Many(row) => row,
        };
        while let [rule, n, rest @ ..] = row {
            let (second, next) = match *n {
                n if n & SHARED != 0 => (self.second_sets.get((n & !SHARED) as usize), rest),
                n => rest.split_at((n as usize).min(rest.len())),
            };
            row = next;
            add_clause(*rule, second, present, candidates);
        }
    }
}

/// Adds `rule` if its clause's second set is empty or has a group that occurred.
#[inline]
fn add_clause(rule: u32, second: &[u32], present: &[u64], candidates: &mut [u64]) {
    let rule = rule as usize;
    if !bit(candidates, rule) && (second.is_empty() || second.iter().any(|&g| bit(present, g as usize))) {
        set_bit(candidates, rule);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rows of one clause with at most one second group lie in their slots and others elsewhere;
    /// each reads back as it was.
    #[test]
    fn rows_read_back_inline_or_long() {
        let rows: Vec<Vec<u32>> = vec![
            vec![],
            vec![7, 0],
            vec![8, 1, 42],
            vec![9, 2, 42, 43],
            vec![7, 0, 8, 0],
            vec![10, SHARED | 3],
            vec![11, 1, 5, 12, 0],
            vec![LONG, 0],
        ];
        let index = Rows::new(rows.clone());
        for (group, row) in rows.iter().enumerate() {
            assert_eq!(index.written_out(group), *row, "row {group}");
        }
        assert_eq!(index.get(1), Row::One(7, &[]));
        assert_eq!(index.get(2), Row::One(8, &[42]));
        assert_eq!(index.long.len(), 5);
        assert_eq!(index.get(rows.len()), Row::Many(&[]));
        assert_eq!(index.items(), rows.iter().map(Vec::len).sum::<usize>());
    }
}
