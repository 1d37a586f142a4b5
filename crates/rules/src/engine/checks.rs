//! What it takes to turn a matcher hit into pattern occurrences, one row per group.
//!
//! A hit names a group (the terms that share one folded text); its occurrence covers the group's
//! number of syllables, and each exact-mode term of the group holds only where the exact text
//! there is its own. Read from the matcher's group rows, the patterns and each exact form's own
//! allocation, that took up to four cache misses per needed hit with 10,000 rules. Here it is one
//! row of bytes per group: the number of syllables and whether a walk may reach it across a
//! phrase break, then per term its pattern id, how it is checked, the breaks it is written across
//! (only in such a group) and its exact form inline.
//!
//! A walk crosses a break along the path of a term written across one (`"tin. giả"`), and terms
//! that share the path come with it: `"tin giả"` (the same text, one group) or `"tin giả. mạo"`.
//! Where an occurrence crossed a break, a term holds only if it is written across that break too.

use super::matcher::{Group, Matcher};
use super::{Pattern, PatternId};

/// How a term of a group is checked where the group occurred.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Check<'a> {
    /// A folded term: it holds wherever its group occurred.
    Any,
    /// An exact term: the exact text there must be this one.
    Exact(&'a [u8]),
    /// An exact term ending in a wildcard: the exact text there must start with this.
    Prefix(&'a [u8]),
}

impl Check<'_> {
    /// Whether the term holds where the exact text is `there` (computed only when needed).
    pub(super) fn holds<'t>(self, there: impl FnOnce() -> &'t str) -> bool {
        match self {
            Check::Any => true,
            Check::Exact(exact) => there().as_bytes() == exact,
            Check::Prefix(exact) => {
                let (there, Ok(exact)) = (there(), std::str::from_utf8(exact)) else { return false };
                // Whole syllables compare as they are; the last one is a stem, whose tone may
                // sit elsewhere in the syllable it begins (`hoà*` begins `hoàng`).
                match (exact.rsplit_once(' '), there.rsplit_once(' ')) {
                    (Some((words, stem)), Some((text_words, last))) => {
                        words == text_words && duluan_text::stem_begins(stem, last)
                    }
                    (None, None) => duluan_text::stem_begins(exact, there),
                    _ => false,
                }
            }
        }
    }
}

const ANY: u8 = 0;
const EXACT: u8 = 1;
const PREFIX: u8 = 2;

/// Every group's row, end to end.
#[derive(Debug, Default)]
pub(super) struct Checks {
    /// Where each group's row starts in `bytes`, and where the last ends.
    starts: Vec<u32>,
    bytes: Vec<u8>,
}

impl Checks {
    /// Fails only if the rows pass 4 GiB, which the limits on rule files rule out, or if the
    /// matcher names a pattern that is not there, which would be a bug of the compiler.
    pub(super) fn new(matcher: &Matcher, patterns: &[Pattern]) -> Result<Checks, String> {
        let too_large = || "rule terms too large to index".to_string();
        let mut checks = Checks { starts: Vec::with_capacity(matcher.group_count() + 1), bytes: Vec::new() };
        for group in 0..matcher.group_count() {
            let group = group as Group;
            checks.starts.push(u32::try_from(checks.bytes.len()).map_err(|_| too_large())?);
            let terms = matcher.group(group);
            let pattern_of = |pid: u32| {
                patterns
                    .get(pid as PatternId)
                    .ok_or_else(|| format!("rule terms: group {group} names no pattern {pid}"))
            };
            let crossing = matcher.may_cross(group);
            checks.bytes.extend(matcher.group_length(group).to_le_bytes());
            checks.bytes.extend(u32::try_from(terms.len()).map_err(|_| too_large())?.to_le_bytes());
            checks.bytes.push(u8::from(crossing));
            for &pid in terms {
                let pattern = pattern_of(pid)?;
                checks.bytes.extend(pid.to_le_bytes());
                let exact = pattern.exact.as_deref().map(str::as_bytes);
                let kind = match (exact, pattern.prefix) {
                    (None, _) => ANY,
                    (Some(_), false) => EXACT,
                    (Some(_), true) => PREFIX,
                };
                let exact = exact.unwrap_or_default();
                checks.bytes.push(kind);
                if crossing {
                    checks.bytes.extend(pattern.breaks.to_le_bytes());
                }
                checks.bytes.extend(u32::try_from(exact.len()).map_err(|_| too_large())?.to_le_bytes());
                checks.bytes.extend(exact);
            }
        }
        checks.starts.push(u32::try_from(checks.bytes.len()).map_err(|_| too_large())?);
        Ok(checks)
    }

    /// A group's number of syllables, whether a walk may reach it across a break (see the
    /// module's documentation), and its terms with their checks.
    pub(super) fn group(&self, group: Group) -> (u32, bool, Terms<'_>) {
        let row = match (self.starts.get(group as usize), self.starts.get(group as usize + 1)) {
            (Some(&from), Some(&to)) => self.bytes.get(from as usize..to as usize).unwrap_or_default(),
            _ => &[],
        };
        let mut reader = Reader(row);
        let length = reader.u32().unwrap_or(1);
        let count = reader.u32().unwrap_or(0);
        let crossing = reader.take(1).is_some_and(|c| c == [1]);
        (length, crossing, Terms { reader, left: count, crossing })
    }
}

/// The terms of one group's row.
#[derive(Debug)]
pub(super) struct Terms<'a> {
    reader: Reader<'a>,
    left: u32,
    crossing: bool,
}

impl<'a> Iterator for Terms<'a> {
    /// A term's pattern id, its check, and the breaks it crosses (as
    /// [`super::Pattern::breaks`]; 0 where no walk reaches the group across a break).
    type Item = (u32, Check<'a>, u64);

    fn next(&mut self) -> Option<Self::Item> {
        self.left = self.left.checked_sub(1)?;
        let pid = self.reader.u32()?;
        let kind = self.reader.take(1)?.first().copied()?;
        let breaks = if self.crossing { self.reader.u64()? } else { 0 };
        let len = self.reader.u32()? as usize;
        let exact = self.reader.take(len)?;
        let check = match kind {
            EXACT => Check::Exact(exact),
            PREFIX => Check::Prefix(exact),
            _ => Check::Any,
        };
        Some((pid, check, breaks))
    }
}

#[derive(Debug)]
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let (head, rest) = self.0.split_at_checked(n)?;
        self.0 = rest;
        Some(head)
    }

    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }

    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }
}

#[cfg(test)]
mod tests {
    use super::super::matcher::Term;
    use super::*;

    fn pattern(exact: Option<&str>, prefix: bool) -> Pattern {
        Pattern { exact: exact.map(Into::into), prefix, p: 0.1, breaks: 0 }
    }

    #[test]
    fn rows_give_back_each_groups_length_and_checks() {
        // `ban` folded, `bán` and `bạn` exact (one group), `hoả*` exact with a wildcard, `giá xăng`
        // and `giá. xăng` folded (one group, reached across a break).
        let mut patterns = vec![
            pattern(None, false),
            pattern(Some("bán"), false),
            pattern(Some("bạn"), false),
            pattern(Some("hoả"), true),
            pattern(None, false),
            pattern(None, false),
        ];
        patterns[5].breaks = 0b10;
        let term =
            |syllables: Vec<&'static str>, prefix: bool, breaks: u64, id: usize| Term { syllables, prefix, breaks, id };
        let terms = [
            term(vec!["ban"], false, 0, 0),
            term(vec!["ban"], false, 0, 1),
            term(vec!["ban"], false, 0, 2),
            term(vec!["hoa"], true, 0, 3),
            term(vec!["gia", "xang"], false, 0, 4),
            term(vec!["gia", "xang"], false, 0b10, 5),
        ];
        let matcher = Matcher::new(&terms).expect("builds");
        let checks = Checks::new(&matcher, &patterns).expect("fits");
        let groups = matcher.pattern_groups(patterns.len());
        let row = |pattern: usize| {
            let (length, crossing, terms) = checks.group(groups[pattern]);
            (length, crossing, terms.collect::<Vec<_>>())
        };
        let bán = "bán".as_bytes();
        let bạn = "bạn".as_bytes();
        assert_eq!(row(0), (1, false, vec![(0, Check::Any, 0), (1, Check::Exact(bán), 0), (2, Check::Exact(bạn), 0)]));
        assert_eq!(row(3), (1, false, vec![(3, Check::Prefix("hoả".as_bytes()), 0)]));
        assert_eq!(row(4), (2, true, vec![(4, Check::Any, 0), (5, Check::Any, 0b10)]));
        // A group past the last has no terms.
        assert_eq!(checks.group(u32::MAX).2.count(), 0);
    }

    #[test]
    fn checks_read_the_exact_text_only_when_they_need_it() {
        let unread = || -> &str { unreachable!("a folded term needs no exact text") };
        assert!(Check::Any.holds(unread));
        assert!(Check::Exact("sốt".as_bytes()).holds(|| "sốt"));
        assert!(!Check::Exact("sốt".as_bytes()).holds(|| "sót"));
        assert!(Check::Prefix("hỏa".as_bytes()).holds(|| "hỏa"));
        assert!(!Check::Prefix("hỏa".as_bytes()).holds(|| "hòa"));
        // The tone of a stem may sit on another vowel of the syllable it begins.
        assert!(Check::Prefix("hòa".as_bytes()).holds(|| "hoàng"));
        assert!(!Check::Prefix("hoa".as_bytes()).holds(|| "hoàng"));
        assert!(Check::Prefix("giá tă".as_bytes()).holds(|| "giá tăng"));
        assert!(!Check::Prefix("giá ta".as_bytes()).holds(|| "giá tăng"));
        assert!(!Check::Prefix("giá ta".as_bytes()).holds(|| "già tăng"));
        assert!(!Check::Prefix("giá ta".as_bytes()).holds(|| "giá"));
    }
}
