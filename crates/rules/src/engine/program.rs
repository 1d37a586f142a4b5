//! Rule expressions as they are evaluated: every rule's tree written out node after node in one
//! array, each node followed by its children.
//!
//! Evaluating a candidate rule is a handful of node reads. As a tree of boxes and vectors, each
//! node lived in its own allocation: with 10,000 rules over half of evaluation's time went to
//! waiting for the first read of a node. Written out in order, a rule's nodes share one or two
//! cache lines, and rules follow each other in the order candidates are evaluated. A leaf also
//! names its pattern's matcher group, so that the groups whose occurrences a candidate needs are
//! read from the same lines that evaluating it reads next.

use duluan_model::Field;

use super::matcher::Group;
use super::{Hits, Node, Occ, Pattern, PatternId, bit};
use crate::expr::Scope;

/// What a node does; its operands are in [`Op::a`] and [`Op::b`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Code {
    /// Never holds (a term that normalises to nothing).
    Never,
    /// Pattern `a`, shown as term `b`; its `end` field holds the pattern's matcher group
    /// instead (a leaf's subtree ends right after it). `checked`: an exact-mode pattern, which
    /// holds only where the exact text is its own, not wherever its group occurred.
    Leaf {
        checked: bool,
    },
    And,
    Or,
    /// Its one child does not hold.
    Not,
    /// Its one child holds within this scope.
    Scoped(Scope),
    /// Its two children hold within `a` syllables of each other (`ordered`: the second after).
    Near {
        ordered: bool,
    },
    /// At least `a` of its children hold.
    AtLeast,
}

/// One node: its children follow it, and `end` is where its subtree ends (its next sibling), or
/// for a leaf, its group.
#[derive(Debug, Clone, Copy)]
struct Op {
    code: Code,
    a: u32,
    b: u32,
    end: u32,
}

/// Every rule's expression, in rule order.
#[derive(Debug, Default)]
pub(super) struct Programs {
    ops: Vec<Op>,
    /// Where each rule's root node is.
    roots: Vec<u32>,
}

/// Operands past `u32` saturate: a `NEAR` distance or a minimum count that large means the same
/// as `u32::MAX`, as no text has that many syllables nor a rule that many nodes.
fn operand(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl Programs {
    /// `patterns` and each one's matcher group, `pattern_group`; `crossing`, by group, whether a
    /// walk may reach it across a phrase break (see `Matcher::may_cross`): then the group's
    /// presence does not say that a pattern of it occurred, exact or not. Fails only past 2^32
    /// nodes in all, which the limits on rule files rule out.
    pub(super) fn new(
        nodes: &[Node],
        patterns: &[Pattern],
        pattern_group: &[Group],
        crossing: &[bool],
    ) -> Result<Programs, String> {
        let mut programs = Programs { ops: Vec::new(), roots: Vec::with_capacity(nodes.len()) };
        let leaves = Leaves { patterns, pattern_group, crossing };
        for node in nodes {
            programs.roots.push(programs.index()?);
            programs.push(node, &leaves)?;
        }
        Ok(programs)
    }

    fn index(&self) -> Result<u32, String> {
        u32::try_from(self.ops.len()).map_err(|_| "rule expressions too large to compile".to_string())
    }

    /// Writes out `node` and its subtree.
    fn push(&mut self, node: &Node, leaves: &Leaves<'_>) -> Result<(), String> {
        let at = self.ops.len();
        let (code, a, b, children): (Code, u32, u32, &[Node]) = match node {
            Node::Never => (Code::Never, 0, 0, &[]),
            Node::Leaf(pid, term) => {
                let (Some(&group), Some(pattern)) = (leaves.pattern_group.get(*pid), leaves.patterns.get(*pid)) else {
                    return Err("rule term without a pattern or matcher group".into());
                };
                // Where the occurrences are checked, a group's presence is no pattern's.
                let crossing = leaves.crossing.get(group as usize).is_some_and(|&c| c);
                let code = Code::Leaf { checked: pattern.exact.is_some() || crossing };
                self.ops.push(Op { code, a: operand(*pid), b: *term, end: group });
                return Ok(());
            }
            Node::And(parts) => (Code::And, 0, 0, parts),
            Node::Or(parts) => (Code::Or, 0, 0, parts),
            Node::Not(inner) => (Code::Not, 0, 0, std::slice::from_ref(&**inner)),
            Node::Scoped(scope, inner) => (Code::Scoped(*scope), 0, 0, std::slice::from_ref(&**inner)),
            Node::Near { left, right, distance, ordered } => {
                self.ops.push(Op { code: Code::Near { ordered: *ordered }, a: operand(*distance), b: 0, end: 0 });
                self.push(left, leaves)?;
                self.push(right, leaves)?;
                self.ops[at].end = self.index()?;
                return Ok(());
            }
            Node::AtLeast { min, of } => (Code::AtLeast, operand(*min), 0, of),
        };
        self.ops.push(Op { code, a, b, end: 0 });
        for child in children {
            self.push(child, leaves)?;
        }
        self.ops[at].end = self.index()?;
        Ok(())
    }

    /// Whether rule `rule`'s expression holds; if it does, the occurrences that made it so are
    /// appended to `out` (see [`Programs::eval_at`]).
    pub(super) fn eval(&self, rule: usize, hits: &Hits<'_>, out: &mut Vec<Occ>) -> bool {
        self.roots.get(rule).is_some_and(|&root| self.eval_at(root as usize, hits, Scope::Any, out))
    }

    /// The matcher groups of every pattern rule `rule` refers to (some more than once).
    pub(super) fn groups(&self, rule: usize) -> impl Iterator<Item = Group> + '_ {
        let root = self.roots.get(rule).map_or(self.ops.len(), |&r| r as usize);
        let nodes = self.ops.get(root..self.end(root)).unwrap_or_default();
        nodes.iter().filter(|op| matches!(op.code, Code::Leaf { .. })).map(|op| op.end)
    }

    /// Whether rule `rule` can hold, knowing only which matcher groups occurred (`present`, a
    /// bit set): `false` only where it cannot, wherever the occurrences are and whatever their
    /// exact forms. Half the candidate rules with many rules do not hold, many of them for want
    /// of a term (`A AND (B OR C)` indexed by `A`) or because of one (`A AND NOT B`): answered
    /// here, their terms' occurrences are never collected.
    pub(super) fn possible(&self, rule: usize, present: &[u64]) -> bool {
        self.roots.get(rule).is_some_and(|&root| self.bounds(root as usize, present, Scope::Any).0.can)
    }

    /// What the groups that occurred say about the node at `at` within `scope`, and where its
    /// subtree ends: each node is read once, where finding each child's end read it again.
    fn bounds(&self, at: usize, present: &[u64], scope: Scope) -> (Bounds, usize) {
        let Some(&op) = self.ops.get(at) else { return (Bounds::NEVER, at + 1) };
        let bounds = match op.code {
            Code::Never => Bounds::NEVER,
            Code::Leaf { checked } => {
                let occurred = bit(present, op.end as usize);
                // Under a field scope the occurrences may all be in the other field.
                let must = occurred && !checked && scope == Scope::Any;
                return (Bounds { can: occurred, must }, at + 1);
            }
            // A part that cannot hold decides an `AND`, and one that must hold an `OR` (`must`
            // implies `can`): the other parts are not read. Most impossible candidates lack
            // their first part's term.
            Code::And => {
                let mut all = Bounds::ALWAYS;
                let mut child = at + 1;
                while child < op.end as usize && all.can {
                    let (part, next) = self.bounds(child, present, scope);
                    all = Bounds { can: all.can && part.can, must: all.must && part.must };
                    child = next;
                }
                all
            }
            Code::Or => {
                let mut any = Bounds::NEVER;
                let mut child = at + 1;
                while child < op.end as usize && !any.must {
                    let (part, next) = self.bounds(child, present, scope);
                    any = Bounds { can: any.can || part.can, must: any.must || part.must };
                    child = next;
                }
                any
            }
            Code::Not => {
                let inner = self.bounds(at + 1, present, scope).0;
                Bounds { can: !inner.must, must: !inner.can }
            }
            Code::Scoped(s) => narrow(scope, s).map_or(Bounds::NEVER, |s| self.bounds(at + 1, present, s).0),
            // Whether the two sides lie close enough depends on where they occurred.
            Code::Near { .. } => {
                let (left, right) = self.bounds(at + 1, present, scope);
                Bounds { can: left.can && self.bounds(right, present, scope).0.can, must: false }
            }
            // Parts that hold may still not count (see `at_least`), unless one is enough: of the
            // parts that hold, the one with the first and longest mention always counts.
            Code::AtLeast => {
                let (mut can, mut must) = (0, 0);
                let mut child = at + 1;
                while child < op.end as usize {
                    let (b, next) = self.bounds(child, present, scope);
                    can += usize::from(b.can);
                    must += usize::from(b.must);
                    child = next;
                }
                Bounds { can: can >= op.a as usize, must: op.a <= 1 && must >= op.a as usize }
            }
        };
        (bounds, (op.end as usize).max(at + 1))
    }

    /// Where the subtree of the node at `at` ends.
    fn end(&self, at: usize) -> usize {
        match self.ops.get(at) {
            Some(op) if matches!(op.code, Code::Leaf { .. }) => at + 1,
            Some(op) => op.end as usize,
            None => at,
        }
    }

    /// The children of the node at `at`, by index.
    fn children(&self, at: usize) -> impl Iterator<Item = usize> + '_ {
        let end = self.end(at);
        std::iter::successors(Some(at + 1), |&child| Some(self.end(child))).take_while(move |&child| child < end)
    }

    /// Whether the node at `at` holds; if it does, the occurrences that made it so (none for
    /// `NOT`) are appended to `out`, and if it does not, `out` is left as it was. One buffer
    /// serves a whole expression and every rule of an item, where a vector per node cost a
    /// handful of allocations for every flag.
    fn eval_at(&self, at: usize, hits: &Hits<'_>, scope: Scope, out: &mut Vec<Occ>) -> bool {
        let Some(&op) = self.ops.get(at) else { return false };
        let mark = out.len();
        let holds = match op.code {
            Code::Never => false,
            // An absent pattern is answered from its bit, without searching the occurrences: most
            // candidate rules fail on one, and a separate check without spans first cost more
            // than it saved once rules are many.
            Code::Leaf { .. } => {
                let pid = op.a as PatternId;
                bit(hits.present, pid) && {
                    out.extend(in_scope_of(hits, pid, scope).map(|o| Occ { term: op.b, ..*o }));
                    out.len() > mark
                }
            }
            Code::And => self.children(at).all(|c| self.eval_at(c, hits, scope, out)),
            // Every part is tried: the spans of all that hold are shown.
            Code::Or => self.children(at).fold(false, |any, c| self.eval_at(c, hits, scope, out) | any),
            Code::Not => {
                let inner = self.eval_at(at + 1, hits, scope, out);
                out.truncate(mark);
                !inner
            }
            Code::Scoped(s) => narrow(scope, s).is_some_and(|s| self.eval_at(at + 1, hits, s, out)),
            Code::Near { ordered } => {
                let right = self.end(at + 1);
                self.eval_at(at + 1, hits, scope, out) && {
                    let middle = out.len();
                    self.eval_at(right, hits, scope, out) && near_pairs(out, mark, middle, op.a, ordered)
                }
            }
            Code::AtLeast => self.at_least(at, op.a, hits, scope, out),
        };
        if !holds {
            out.truncate(mark);
        }
        holds
    }
}

impl Programs {
    /// Whether at least `min` children of the `at least` node at `at` hold, each with a mention of
    /// its own: a child whose every occurrence lies inside a longer occurrence of another child, or
    /// is the very occurrence of an earlier one, does not count (`vắc xin` found only inside
    /// `vắc xin covid` is one mention of the list, not two). A child that holds without any
    /// occurrence (`NOT x`) counts. The occurrences of the children that count stay in `out`.
    fn at_least(&self, at: usize, min: u32, hits: &Hits<'_>, scope: Scope, out: &mut Vec<Occ>) -> bool {
        let mark = out.len();
        // Each child that holds: its number and where its occurrences start in `out`.
        let mut held: Vec<(u32, usize)> = Vec::new();
        for (n, c) in (0u32..).zip(self.children(at)) {
            let from = out.len();
            if self.eval_at(c, hits, scope, out) {
                held.push((n, from));
            }
        }
        if held.len() < min as usize {
            return false;
        }
        let counts = own_mentions(&out[mark..], mark, &held);
        if counts.iter().filter(|&&c| c).count() < min as usize {
            return false;
        }
        // Only the counted children's occurrences explain the flag.
        let mut kept = mark;
        for (k, &(_, from)) in held.iter().enumerate() {
            let to = held.get(k + 1).map_or(out.len(), |&(_, next)| next);
            if counts[k] {
                out.copy_within(from..to, kept);
                kept += to - from;
            }
        }
        out.truncate(kept);
        true
    }
}

/// Which of the `held` children (number, where its occurrences start, `base` being where
/// `occs` starts) have an occurrence that no other child's occurrence covers: one that starts
/// no later and ends no earlier, in the same field, and is longer or belongs to an earlier child.
///
/// Sorted by place (start, then longest first, then child), an occurrence is covered exactly when
/// an occurrence of another child before it ends no earlier: a sweep that remembers the two
/// latest ends of different children, so that a list of a thousand terms found a thousand times
/// costs a sort, not a comparison of every pair.
fn own_mentions(occs: &[Occ], base: usize, held: &[(u32, usize)]) -> Vec<bool> {
    // A child without occurrences holds through `NOT` alone: nothing can cover it.
    let mut counts: Vec<bool> =
        (0..held.len()).map(|k| held.get(k + 1).map_or(base + occs.len(), |&(_, next)| next) == held[k].1).collect();
    let mut order: Vec<(bool, u32, std::cmp::Reverse<u32>, u32)> = Vec::with_capacity(occs.len());
    for (k, &(_, from)) in held.iter().enumerate() {
        let to = held.get(k + 1).map_or(base + occs.len(), |&(_, next)| next);
        for o in occs.get(from - base..to - base).unwrap_or_default() {
            order.push((o.field == Field::Text, o.first, std::cmp::Reverse(o.last), k as u32));
        }
    }
    order.sort_unstable();
    // The latest end so far and its child, and the latest of any other child, in this field.
    let mut field = None;
    let (mut top, mut second): (Option<(u32, u32)>, Option<u32>) = (None, None);
    for &(in_text, _, std::cmp::Reverse(last), k) in &order {
        if field != Some(in_text) {
            (field, top, second) = (Some(in_text), None, None);
        }
        let other = match top {
            Some((end, child)) if child != k => Some(end),
            _ => second,
        };
        if other.is_none_or(|end| end < last) {
            counts[k as usize] = true;
        }
        top = match top {
            Some((end, child)) if child == k => Some((end.max(last), k)),
            Some((end, child)) if end >= last => {
                second = Some(second.map_or(last, |s| s.max(last)));
                Some((end, child))
            }
            Some((end, _)) => {
                second = Some(second.map_or(end, |s| s.max(end)));
                Some((last, k))
            }
            None => Some((last, k)),
        };
    }
    counts
}

/// Where a leaf's pattern and group are.
struct Leaves<'a> {
    patterns: &'a [Pattern],
    pattern_group: &'a [Group],
    crossing: &'a [bool],
}

/// Whether a node can hold and whether it must, from the groups that occurred alone (`must`
/// implies `can`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Bounds {
    can: bool,
    must: bool,
}

impl Bounds {
    const NEVER: Bounds = Bounds { can: false, must: false };
    const ALWAYS: Bounds = Bounds { can: true, must: true };
}

fn in_scope(occ: &Occ, scope: Scope) -> bool {
    match scope {
        Scope::Any => true,
        Scope::Title => occ.field == Field::Title,
        Scope::Text => occ.field == Field::Text,
    }
}

/// Narrow an outer scope by an inner one; `None` when they exclude each other (`title:(text:x)`).
fn narrow(outer: Scope, inner: Scope) -> Option<Scope> {
    match (outer, inner) {
        (Scope::Any, s) => Some(s),
        (outer, s) if outer == s => Some(outer),
        _ => None,
    }
}

/// The occurrences of pattern `pid` within `scope`.
fn in_scope_of<'h>(hits: &Hits<'h>, pid: PatternId, scope: Scope) -> impl Iterator<Item = &'h Occ> + Clone {
    hits.of(pid).iter().filter(move |o| in_scope(o, scope))
}

/// Whether `b` lies within `distance` syllables of `a` in the same field (`ordered`: after it).
/// The two are two mentions, not one: an occurrence is never near itself nor one it overlaps
/// (`tăng NEAR/3 tăng` needs two of them).
fn close(a: &Occ, b: &Occ, distance: u32, ordered: bool) -> bool {
    if a.field != b.field {
        return false;
    }
    if ordered {
        b.first > a.last && b.first - a.last - 1 <= distance
    } else if b.first > a.last {
        b.first - a.last - 1 <= distance
    } else {
        a.first > b.last && a.first - b.last - 1 <= distance
    }
}

/// Most pairs a `NEAR` keeps to show why it held.
const MAX_PAIRS: usize = 10_000;

/// Replaces the occurrences `out[from..]` of two sides of a `NEAR`, the left side's ending at
/// `middle`, by the pairs that lie close enough (left then right occurrence of each pair);
/// whether there is any.
///
/// The right side is sorted by place, so that each left occurrence is compared only with the
/// right ones that start within reach of it: comparing every pair took minutes on a text of a
/// few hundred kilobytes that repeats both words far apart.
fn near_pairs(out: &mut Vec<Occ>, from: usize, middle: usize, distance: u32, ordered: bool) -> bool {
    let end = out.len();
    let place = |o: &Occ| (o.field == Field::Text, o.first);
    out[middle..end].sort_unstable_by_key(place);
    let longest = out[middle..end].iter().map(|o| o.last.saturating_sub(o.first)).max().unwrap_or(0);
    for i in from..middle {
        let a = out[i];
        let in_text = a.field == Field::Text;
        // A right occurrence close to `a` starts between these tokens.
        let lowest = if ordered {
            a.last.saturating_add(1)
        } else {
            a.first.saturating_sub(distance.saturating_add(longest).saturating_add(1))
        };
        let highest = a.last.saturating_add(distance).saturating_add(1);
        let mut j = middle + out[middle..end].partition_point(|o| place(o) < (in_text, lowest));
        while j < end && place(&out[j]) <= (in_text, highest) {
            let b = out[j];
            if close(&a, &b, distance, ordered) {
                out.push(a);
                out.push(b);
            }
            j += 1;
        }
        // Enough to show why the rule fired.
        if out.len() - end > MAX_PAIRS {
            break;
        }
    }
    out.copy_within(end.., from);
    out.truncate(from + (out.len() - end));
    out.len() > from
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaf(pid: PatternId) -> Node {
        Node::Leaf(pid, pid as u32)
    }

    /// Pattern `i` exact when `exact[i]`.
    fn patterns(exact: &[bool]) -> Vec<Pattern> {
        exact.iter().map(|&e| Pattern { exact: e.then(|| "x".into()), prefix: false, p: 0.1, breaks: 0 }).collect()
    }

    const LEAF: Code = Code::Leaf { checked: false };

    #[test]
    fn nodes_follow_their_parents_and_end_where_their_subtree_does() {
        // (0 OR NOT 1) AND (2 NEAR/3 title:3); then a second rule: 4.
        let first = Node::And(vec![
            Node::Or(vec![leaf(0), Node::Not(Box::new(leaf(1)))]),
            Node::Near {
                left: Box::new(leaf(2)),
                right: Box::new(Node::Scoped(Scope::Title, Box::new(leaf(3)))),
                distance: 3,
                ordered: false,
            },
        ]);
        // Patterns 0 and 1 share group 10 (`bán`, `bạn`), the others have their own.
        let patterns = patterns(&[false; 5]);
        let programs = Programs::new(&[first, leaf(4)], &patterns, &[10, 10, 12, 13, 14], &[]).expect("fits");
        let codes: Vec<(Code, usize)> =
            (0..programs.ops.len()).map(|at| (programs.ops[at].code, programs.end(at))).collect();
        assert_eq!(
            codes,
            [
                (Code::And, 9),
                (Code::Or, 5),
                (LEAF, 3),
                (Code::Not, 5),
                (LEAF, 5),
                (Code::Near { ordered: false }, 9),
                (LEAF, 7),
                (Code::Scoped(Scope::Title), 9),
                (LEAF, 9),
                (LEAF, 10),
            ]
        );
        assert_eq!(programs.roots, [0, 9]);
        assert_eq!(programs.groups(0).collect::<Vec<_>>(), [10, 10, 12, 13]);
        assert_eq!(programs.groups(1).collect::<Vec<_>>(), [14]);
        assert_eq!(programs.groups(2).count(), 0);
        assert_eq!(programs.children(0).collect::<Vec<_>>(), [1, 5]);
        assert_eq!(programs.children(1).collect::<Vec<_>>(), [2, 3]);
        assert_eq!(programs.children(2).count(), 0);
        assert_eq!(programs.ops[5].a, 3);
    }

    fn occ((first, length, title): (u32, u32, bool)) -> Occ {
        let field = if title { Field::Title } else { Field::Text };
        Occ { first, last: first + length, term: 0, field }
    }

    proptest::proptest! {
        /// The pairs `NEAR` keeps are exactly the close pairs of every left and right occurrence.
        #[test]
        fn near_pairs_are_the_close_pairs(
            left in proptest::collection::vec((0u32..40, 0u32..3, proptest::bool::ANY), 0..30),
            right in proptest::collection::vec((0u32..40, 0u32..3, proptest::bool::ANY), 0..30),
            distance in 0u32..6,
            ordered in proptest::bool::ANY,
        ) {
            let (left, right): (Vec<Occ>, Vec<Occ>) = (left.into_iter().map(occ).collect(), right.into_iter().map(occ).collect());
            let key = |(a, b): &(Occ, Occ)| (a.field == Field::Text, a.first, a.last, b.field == Field::Text, b.first, b.last);
            let mut expected: Vec<(Occ, Occ)> = left
                .iter()
                .flat_map(|a| right.iter().map(move |b| (*a, *b)))
                .filter(|(a, b)| close(a, b, distance, ordered))
                .collect();
            expected.sort_by_key(key);
            let mut out = [&left[..], &right[..]].concat();
            let held = near_pairs(&mut out, 0, left.len(), distance, ordered);
            let mut got: Vec<(Occ, Occ)> = out.chunks(2).map(|pair| (pair[0], pair[1])).collect();
            got.sort_by_key(key);
            proptest::prop_assert_eq!(held, !expected.is_empty());
            proptest::prop_assert_eq!(got, expected);
        }
    }

    proptest::proptest! {
        /// The sweep of `own_mentions` agrees with comparing every pair of occurrences.
        #[test]
        fn own_mentions_are_the_uncovered_ones(
            children in proptest::collection::vec(
                proptest::collection::vec((0u32..12, 0u32..3, proptest::bool::ANY), 0..5), 1..6),
            base in 0usize..3,
        ) {
            let mut occs = Vec::new();
            let mut held = Vec::new();
            for (n, child) in (0u32..).zip(&children) {
                held.push((n, base + occs.len()));
                occs.extend(child.iter().copied().map(occ));
            }
            let covers = |p: &Occ, j: usize, o: &Occ, k: usize| {
                let contains = p.field == o.field && p.first <= o.first && p.last >= o.last;
                let longer = p.last - p.first > o.last - o.first;
                let same = (p.first, p.last) == (o.first, o.last);
                j != k && contains && (longer || (same && j < k))
            };
            let of = |k: usize| children[k].iter().copied().map(occ).collect::<Vec<Occ>>();
            let expected: Vec<bool> = (0..children.len())
                .map(|k| {
                    of(k).is_empty()
                        || of(k).iter().any(|o| {
                            !(0..children.len()).any(|j| of(j).iter().any(|p| covers(p, j, o, k)))
                        })
                })
                .collect();
            proptest::prop_assert_eq!(own_mentions(&occs, base, &held), expected);
        }
    }

    #[test]
    fn close_means_two_mentions_within_reach() {
        let text = |first, length| occ((first, length, false));
        // Overlapping or the same: never close.
        assert!(!close(&text(3, 0), &text(3, 0), 5, false));
        assert!(!close(&text(3, 1), &text(4, 0), 5, false));
        // Adjacent: distance 0, either way round unless ordered.
        assert!(close(&text(2, 0), &text(3, 1), 0, false));
        assert!(close(&text(3, 1), &text(2, 0), 0, false));
        assert!(!close(&text(3, 1), &text(2, 0), 0, true));
        assert!(close(&text(0, 0), &text(4, 0), 3, true));
        assert!(!close(&text(0, 0), &text(5, 0), 3, true));
        // Another field: never.
        assert!(!close(&text(0, 0), &occ((1, 0, true)), 3, false));
    }

    #[test]
    fn huge_operands_saturate() {
        assert_eq!(operand(7), 7);
        assert_eq!(operand(usize::MAX), u32::MAX);
        // A rule past the last, or an empty set of rules, holds nowhere.
        let programs = Programs::new(&[], &[], &[], &[]).expect("fits");
        let one = patterns(&[false]);
        assert!(
            Programs::new(&[leaf(1)], &one, &[0], &[]).is_err(),
            "a pattern without a group is a compiler bug, not a panic"
        );
        let hits = Hits { occs: &[], present: &[] };
        assert!(!programs.eval(0, &hits, &mut Vec::new()));
    }

    #[test]
    fn what_the_groups_alone_rule_out() {
        // Patterns 0 (folded) and 1 (exact) in groups 0 and 1.
        let patterns = patterns(&[false, true]);
        let groups = [0, 1];
        let not = |n: Node| Node::Not(Box::new(n));
        let title = |n: Node| Node::Scoped(Scope::Title, Box::new(n));
        let rules = [
            Node::And(vec![leaf(0), leaf(1)]),
            not(leaf(0)),
            // The exact term may not hold where its group occurred: NOT of it may.
            not(leaf(1)),
            // Nor may a scoped term, in the other field.
            not(title(leaf(0))),
            Node::Near { left: Box::new(leaf(0)), right: Box::new(leaf(1)), distance: 1, ordered: false },
            Node::AtLeast { min: 2, of: vec![leaf(0), leaf(1), not(leaf(0))] },
            Node::Scoped(Scope::Title, Box::new(Node::Scoped(Scope::Text, Box::new(leaf(0))))),
            Node::Never,
        ];
        let programs = Programs::new(&rules, &patterns, &groups, &[]).expect("fits");
        let possible = |present: u64| (0..rules.len()).map(|r| programs.possible(r, &[present])).collect::<Vec<_>>();
        // Neither group occurred.
        assert_eq!(possible(0b00), [false, true, true, true, false, false, false, false]);
        // Only the folded one.
        assert_eq!(possible(0b01), [false, false, true, true, false, false, false, false]);
        // Both.
        assert_eq!(possible(0b11), [true, false, true, true, true, true, false, false]);
    }
}
