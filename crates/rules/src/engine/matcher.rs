//! Finds every rule term in a text's folded view, one syllable at a time.
//!
//! Terms are whole syllables (the text layer tokenises rules and texts alike), so instead of
//! running a byte automaton over the joined view, each token is looked up once in a table of the
//! syllables that rules use, and a syllable trie is walked from each token that starts a term,
//! all walks one syllable at a time (see [`Matcher::first_syllables`]). The table stays small
//! enough for the cache however many rules there are (a byte automaton over 16,000 terms does
//! not: it ran at a quarter of this speed), and most tokens cost one probe.
//!
//! A term ending in a wildcard (`hoả*`) is a path of whole syllables and a prefix of the next one:
//! the stems after the trie node where the whole syllables end, and the one-syllable ones at every
//! token, are looked up for the token at each stem length that occurs (see [`Stems`]).

use std::collections::HashMap;

use duluan_text::{Analysis, View, short_key};

use super::{Csr, PatternId, token_index};

const NONE: u32 = u32::MAX;

/// The syllable id of a token no term has. Below [`AFTER_BREAK`], so that one comparison
/// (`id < UNKNOWN`) says whether a walk may go on to a token.
const UNKNOWN: u32 = AFTER_BREAK - 1;

/// Set on the syllable id of a token a phrase cannot reach (a sentence or clause ends before it,
/// see [`Analysis::phrase_breaks`]): terms may start there, none goes on into it.
const AFTER_BREAK: u32 = 1 << 31;

/// A term as the matcher sees it: folded syllables, the last one a prefix when `prefix`.
pub(super) struct Term<'a> {
    pub syllables: Vec<&'a str>,
    pub prefix: bool,
    /// The syllables (by index, the first 64) a phrase break comes before where the term is
    /// written across one (`"TP. HCM"`): walks along it go on past a break there, and only there.
    pub breaks: u64,
    pub id: PatternId,
}

/// An open-addressing table from a key of 32 or 64 bits to a small value, probed linearly. Key 0
/// marks an empty slot: syllable keys are never 0 (a token has at least one byte and no NUL
/// bytes) and edge keys have a syllable id + 1 in their low bits.
#[derive(Debug, Default)]
struct Table<K = u64, V = u32> {
    slots: Vec<(K, V)>,
    shift: u32,
}

impl<K: Copy + Default + Eq + Into<u64>, V: Copy + Default> Table<K, V> {
    /// Filled to between a quarter and a half: fuller, the syllable table's probes (most of keys
    /// it does not hold, which run on to an empty slot) and the edge table's took longer than
    /// its smaller size saved.
    fn with_entries(entries: &[(K, V)]) -> Table<K, V> {
        let capacity = (entries.len() * 2).next_power_of_two().max(16);
        let mut table =
            Table { slots: vec![(K::default(), V::default()); capacity], shift: 64 - capacity.trailing_zeros() };
        for &(key, value) in entries {
            table.insert(key, value);
        }
        table
    }

    fn slot(&self, key: K) -> usize {
        (key.into().wrapping_mul(0x9E37_79B9_7F4A_7C15) >> self.shift) as usize
    }

    fn insert(&mut self, key: K, value: V) {
        let mask = self.slots.len() - 1;
        let mut i = self.slot(key);
        while self.slots[i].0 != K::default() && self.slots[i].0 != key {
            i = (i + 1) & mask;
        }
        self.slots[i] = (key, value);
    }

    #[inline]
    fn get(&self, key: K) -> Option<V> {
        let mask = self.slots.len().checked_sub(1)?;
        let mut i = self.slot(key);
        loop {
            let (k, v) = self.slots[i];
            if k == key {
                return Some(v);
            }
            if k == K::default() {
                return None;
            }
            i = (i + 1) & mask;
        }
    }
}

/// A table of fixed keys in which each key has one slot, found with no probing (hash and
/// displace: a key's bucket has a displacement that sends all its keys to free slots, chosen
/// when the table is built). A lookup reads a small array of displacements and then one slot;
/// the slots are as many as the keys and a few more, a quarter of what a probed table at the
/// load that keeps its probes short takes, and a probe's varying length no longer costs a
/// mispredicted branch.
#[derive(Debug, Default)]
struct Perfect<K = u32, V = u32> {
    displacements: Vec<u16>,
    bucket_shift: u32,
    slots: Vec<(K, V)>,
}

impl<K: Copy + Default + Eq + Into<u64>, V: Copy + Default> Perfect<K, V> {
    /// `None` where no displacement fits some bucket (never seen; the caller falls back to a
    /// probed table). Keys are distinct and never 0.
    fn new(entries: &[(K, V)]) -> Option<Perfect<K, V>> {
        // About four keys a bucket, a power of two of buckets.
        let bucket_bits = bits(entries.len() / 4).max(1);
        let mut table = Perfect {
            displacements: vec![0; 1 << bucket_bits],
            bucket_shift: 64 - bucket_bits,
            slots: vec![(K::default(), V::default()); entries.len() + entries.len() / 16 + 1],
        };
        // The entries by bucket, end to end, and the buckets largest first: the large ones are
        // placed while most slots are free.
        let mut members: Vec<(usize, usize)> =
            entries.iter().enumerate().map(|(i, e)| (table.bucket(e.0), i)).collect();
        members.sort_unstable();
        let mut buckets: Vec<&[(usize, usize)]> = members.chunk_by(|a, b| a.0 == b.0).collect();
        buckets.sort_by_key(|b| std::cmp::Reverse(b.len()));
        let mut taken = vec![false; table.slots.len()];
        let mut places = Vec::new();
        for bucket in buckets {
            let found = (0..=u16::MAX).find(|&d| {
                places.clear();
                bucket.iter().all(|&(_, i)| {
                    let place = table.place(entries[i].0, d);
                    let free = !taken[place] && !places.contains(&place);
                    places.push(place);
                    free
                })
            })?;
            table.displacements[bucket[0].0] = found;
            for (&(_, i), &place) in bucket.iter().zip(&places) {
                taken[place] = true;
                table.slots[place] = entries[i];
            }
        }
        Some(table)
    }

    #[inline(always)]
    fn bucket(&self, key: K) -> usize {
        (key.into().wrapping_mul(0x9E37_79B9_7F4A_7C15) >> self.bucket_shift) as usize
    }

    /// The slot of `key` under displacement `d`: a second hash of the key mixed with the
    /// displacement before multiplying (mixed after, keys whose hashes share their top bits
    /// shared a slot under every displacement), scaled to the number of slots.
    #[inline(always)]
    fn place(&self, key: K, d: u16) -> usize {
        let mixed = key.into() ^ u64::from(d).wrapping_mul(0x85EB_CA6B_0000_0001);
        let hash = mixed.wrapping_mul(0xD6E8_FEB8_6659_FD93) >> 32;
        ((hash * self.slots.len() as u64) >> 32) as usize
    }

    #[inline]
    fn get(&self, key: K) -> Option<V> {
        let d = self.displacements.get(self.bucket(key)).copied()?;
        let (k, v) = self.slots.get(self.place(key, d)).copied()?;
        (k == key).then_some(v)
    }

    /// The value of `key`, or `absent`, chosen without a branch: whether a text's syllable, or
    /// a pair of them, is in the table depends on the text, and the processor mispredicted that
    /// branch for a good share of the tokens (with 100 rules, matching ran at two thirds of the
    /// speed).
    #[inline(always)]
    fn get_or(&self, key: K, absent: V) -> V {
        let Some(&d) = self.displacements.get(self.bucket(key)) else { return absent };
        let Some(&(k, v)) = self.slots.get(self.place(key, d)) else { return absent };
        std::hint::select_unpredictable(k == key, v, absent)
    }
}

/// A [`Perfect`] table, or where none could be built, a probed one.
#[derive(Debug)]
enum Lookup<K, V> {
    Perfect(Perfect<K, V>),
    Probed(Table<K, V>),
}

impl<K: Copy + Default + Eq + Into<u64>, V: Copy + Default> Lookup<K, V> {
    fn new(entries: &[(K, V)]) -> Lookup<K, V> {
        match Perfect::new(entries) {
            Some(table) => Lookup::Perfect(table),
            None => Lookup::Probed(Table::with_entries(entries)),
        }
    }

    #[inline]
    fn get(&self, key: K) -> Option<V> {
        match self {
            Lookup::Perfect(table) => table.get(key),
            Lookup::Probed(table) => table.get(key),
        }
    }
}

impl<K: Default, V: Default> Default for Lookup<K, V> {
    fn default() -> Self {
        Lookup::Perfect(Perfect::default())
    }
}

/// One bit per hashed key of a table: says cheaply, from the cache, that most keys are absent.
/// Of a fixed size ([`EDGE_FILTER_BITS`]), so that a bit's word needs no bounds check and its
/// shift is a constant: a step of the walks tests it for every open walk.
#[derive(Debug)]
struct Filter {
    words: Box<[u64; FILTER_WORDS]>,
}

const FILTER_WORDS: usize = 1 << (EDGE_FILTER_BITS - 6);

impl Default for Filter {
    fn default() -> Self {
        Filter { words: Box::new([0; FILTER_WORDS]) }
    }
}

impl Filter {
    /// A filter holding `keys`.
    fn new(keys: impl Iterator<Item = u64>) -> Filter {
        let mut filter = Filter::default();
        for key in keys {
            let bit = Filter::bit(key);
            filter.words[bit / 64] |= 1 << (bit % 64);
        }
        filter
    }

    #[inline(always)]
    fn bit(key: u64) -> usize {
        (key.wrapping_mul(0xD6E8_FEB8_6659_FD93) >> (64 - EDGE_FILTER_BITS)) as usize
    }

    /// Whether `key` may be in the table (`false`: it is not).
    #[inline]
    fn may_hold(&self, key: u64) -> bool {
        let bit = Filter::bit(key);
        self.words[bit / 64] & (1 << (bit % 64)) != 0
    }
}

/// A syllable's dense id and the trie node of the terms starting with it ([`NO_NODE`] for none),
/// side by side: a token's lookup gives both, where the node was one more read from an array by
/// id for most tokens with large rule sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Known {
    id: u32,
    root: NodeRef,
}

impl Default for Known {
    fn default() -> Self {
        Known { id: UNKNOWN, root: NO_NODE }
    }
}

/// Syllable strings to [`Known`]: short ones through a table, long ones through a map.
#[derive(Debug, Default)]
struct Syllables {
    short: Lookup<u64, Known>,
    long: HashMap<Box<[u8]>, Known>,
    count: u32,
}

impl Syllables {
    #[inline]
    fn get(&self, bytes: &[u8]) -> Known {
        match short_key(bytes) {
            Some(key) => self.short(key),
            None => self.long(bytes),
        }
    }

    /// A syllable of more than eight bytes: rare, and kept out of the loops over tokens, where
    /// its hashing took registers.
    #[cold]
    #[inline(never)]
    fn long(&self, bytes: &[u8]) -> Known {
        self.long.get(bytes).copied().unwrap_or_default()
    }

    /// A short key's syllable: two reads and no branch on whether the text's token is known
    /// (with 10,000 rules four tokens in five are, with 100 few are: a filter in front, which
    /// kept a probed table's runs short, cost more than it saved once the table took no probing).
    #[inline]
    fn short(&self, key: u64) -> Known {
        self.short.get(key).unwrap_or_default()
    }
}

/// Interns syllables while the matcher is built.
#[derive(Default)]
struct Interner<'a> {
    ids: HashMap<&'a str, u32>,
}

impl<'a> Interner<'a> {
    fn id(&mut self, syllable: &'a str) -> u32 {
        let next = self.ids.len() as u32;
        *self.ids.entry(syllable).or_insert(next)
    }

    /// The table of the syllables, each with its root node (by id).
    fn finish(self, roots: &[NodeRef]) -> Syllables {
        let mut short = Vec::new();
        let mut long = HashMap::new();
        for (s, &id) in &self.ids {
            let known = Known { id, root: roots.get(id as usize).copied().unwrap_or(NO_NODE) };
            match short_key(s.as_bytes()) {
                Some(key) => short.push((key, known)),
                None => {
                    long.insert(s.as_bytes().into(), known);
                }
            }
        }
        Syllables { short: Lookup::new(&short), long, count: self.ids.len() as u32 }
    }
}

/// A node reference as the trie stores it: the node's index, with flag bits saying whether the
/// node has anything to report, so that the node itself is read only when it has, and whether a
/// walk goes on from it.
type NodeRef = u32;
const HAS_ENDS: u32 = 1 << 31;
const HAS_PREFIXES: u32 = 1 << 30;
const HAS_CHILDREN: u32 = 1 << 29;
/// Walks from this node go on past a phrase break: an edge from it is keyed with one, for a term
/// written across a break there (a walk that finds no such edge ends).
const CROSSES: u32 = 1 << 28;
const INDEX: u32 = CROSSES - 1;

/// The bits to clear from the next token's syllable id before asking whether a walk at `node`
/// goes on into it: [`AFTER_BREAK`] where the node crosses breaks, else none.
#[inline(always)]
fn crossing(node: NodeRef) -> u32 {
    ((node & CROSSES) >> 28) << 31
}

/// No node: no node has index [`INDEX`] (see [`Matcher::new`]), and this one has no flags.
const NO_NODE: NodeRef = INDEX;

/// Bits in the edge filter: most pairs of adjacent syllables in a text are no edge of the trie,
/// and this bit set (32 KB, it stays in the cache) says so without probing the edge table.
const EDGE_FILTER_BITS: u32 = 18;

/// The terms that share one text (a folded text and whether it ends in a wildcard), reported
/// together: an index into [`Matcher::group`]. The terms that end at a trie node are the group of
/// the node's index, so that the node reached names them and no lookup does; those nodes are
/// numbered first, the wildcard stems' groups after them (see [`Matcher::new`]).
pub(super) type Group = u32;

/// A trie node while the matcher is built.
#[derive(Debug)]
struct Node {
    /// The terms (pattern ids) that end with this node's syllable.
    ends: Vec<u32>,
    /// The number of syllables from a root to here.
    depth: u32,
    /// Wildcard terms that continue from here with a prefix of the next syllable, by stem, and
    /// their place among the stems.
    prefixes: Vec<(Box<str>, u32)>,
    /// See [`CROSSES`].
    crosses: bool,
    /// The node before it on its path (`NONE` for a root): always of a lower index.
    parent: u32,
}

/// Every term of a rule set, ready to be found in texts.
#[derive(Debug, Default)]
pub(super) struct Matcher {
    /// Each syllable's id and root node.
    syllables: Syllables,
    edges: Edges,
    /// The wildcard terms that continue from a node, for the nodes that have any, by index.
    node_stems: HashMap<u32, Stems>,
    /// One-syllable wildcard terms.
    root_stems: Stems,
    /// See [`Matcher::may_cross`], by group.
    crossing: Vec<bool>,
    /// Each group's number of syllables (the tokens an occurrence covers) and terms, end to end:
    /// one allocation and one read, where a vector per group cost one more cache miss for every
    /// occurrence a candidate rule needs.
    groups: Csr,
}

/// What one step of the walks reads besides the open walks: the tokens' syllable ids, how far
/// the walks have gone, the text, and how many of the open walks the edge filter let through.
#[derive(Clone, Copy)]
struct Walks<'a> {
    ids: &'a [u32],
    depth: usize,
    analysis: &'a Analysis,
    n: usize,
}

/// `syllable` may carry [`AFTER_BREAK`]; it is a known syllable's id, below [`UNKNOWN`], so the
/// sum does not overflow.
fn edge_key(node: NodeRef, syllable: u32) -> u64 {
    (u64::from(node & INDEX) << 32) | u64::from(syllable.wrapping_add(1))
}

/// Bits it takes to write `n`.
fn bits(n: usize) -> u32 {
    usize::BITS - n.leading_zeros()
}

/// The child nodes by [`edge_key`], in a [`Perfect`] table. Where every node index, syllable id
/// and the break bit fit in 32 bits (they do for tens of thousands of rules), keys are packed
/// into that and a slot is 8 bytes: the 19,000 edges of 10,000 rules' terms take 160 KB and stay
/// in the second-level cache, where in a probed table of 16-byte slots (1 MB) most steps of a
/// walk missed it.
#[derive(Debug, Default)]
struct Edges {
    children: Children,
    /// The keys, see [`EDGE_FILTER_BITS`].
    filter: Filter,
}

/// The child nodes by packed or by whole [`edge_key`].
#[derive(Debug)]
enum Children {
    /// Keys packed by [`narrow_key`] with this shift.
    Narrow(u32, Lookup<u32, NodeRef>),
    Wide(Lookup<u64, NodeRef>),
}

impl Default for Children {
    fn default() -> Self {
        Children::Wide(Lookup::default())
    }
}

impl Edges {
    fn new(edges: &[(u64, NodeRef)], nodes: usize, syllables: u32) -> Edges {
        // Syllable ids + 1 below the break bit, the node index above it.
        let node_shift = bits(syllables as usize) + 1;
        Edges::with_shift(edges, Some(node_shift).filter(|&shift| shift < 32 && bits(nodes) + shift <= 32))
    }

    fn with_shift(edges: &[(u64, NodeRef)], node_shift: Option<u32>) -> Edges {
        let filter = Filter::new(edges.iter().map(|&(key, _)| key));
        let children = match node_shift {
            Some(shift) => {
                let narrow: Vec<(u32, NodeRef)> =
                    edges.iter().map(|&(key, node)| (narrow_key(key, shift), node)).collect();
                Children::Narrow(shift, Lookup::new(&narrow))
            }
            None => Children::Wide(Lookup::new(edges)),
        };
        Edges { children, filter }
    }

    /// Whether the trie may have the edge `key` (`false`: it has not), from the cache.
    #[inline]
    fn may_hold(&self, key: u64) -> bool {
        self.filter.may_hold(key)
    }

    #[cfg(test)]
    fn get(&self, key: u64) -> Option<NodeRef> {
        match &self.children {
            Children::Narrow(shift, table) => table.get(narrow_key(key, *shift)),
            Children::Wide(table) => table.get(key),
        }
    }
}

/// An [`edge_key`] packed into 32 bits: the node index shifted up by `shift`, the break bit below
/// it and the syllable id + 1 below that (see [`Edges::new`] for when it fits).
#[inline(always)]
fn narrow_key(key: u64, shift: u32) -> u32 {
    let (node, syllable) = ((key >> 32) as u32, key as u32);
    (node << shift) | ((syllable >> 31) << (shift - 1)) | (syllable & !AFTER_BREAK)
}

impl Matcher {
    /// Fails only past 2^28 trie nodes (a syllable each), far beyond what a rule file can hold.
    pub(super) fn new(terms: &[Term<'_>]) -> Result<Matcher, String> {
        let mut interner = Interner::default();
        let mut roots: HashMap<u32, u32> = HashMap::new();
        let mut edges: HashMap<u64, u32> = HashMap::new();
        let mut nodes: Vec<Node> = Vec::new();
        let mut root_prefixes: HashMap<&str, u32> = HashMap::new();
        // The place of each wildcard stem after each node among the stems (a search of the
        // node's list per term was quadratic in a rule file of many stems after one word).
        let mut stem_places: HashMap<(u32, &str), u32> = HashMap::new();
        // Each stem's row: its number of syllables, then its terms.
        let mut stems: Vec<Vec<u32>> = Vec::new();
        let mut join_stem = |place: &mut u32, term: &Term<'_>| {
            if *place == NONE {
                *place = stems.len() as u32;
                stems.push(vec![u32::try_from(term.syllables.len()).unwrap_or(u32::MAX)]);
            }
            // Pattern ids fit: there are at most `MAX_PATTERNS`.
            stems[*place as usize].push(term.id as u32);
        };
        for term in terms {
            let (whole, last) = match (term.prefix, term.syllables.split_last()) {
                (_, None) => continue,
                (true, Some((last, whole))) => (whole, Some(*last)),
                (false, Some(_)) => (&term.syllables[..], None),
            };
            if let Some(stem) = last.filter(|stem| stem.len() > MAX_STEM) {
                // The stem comes from a rule file: shown in part, however long it is.
                let shown: String = stem.chars().take(24).collect();
                return Err(format!(
                    "a wildcard stem longer than {MAX_STEM} bytes (`{shown}…*`): no syllable is that long"
                ));
            }
            let Some((head, rest)) = whole.split_first() else {
                if let Some(prefix) = last {
                    join_stem(root_prefixes.entry(prefix).or_insert(NONE), term);
                }
                continue;
            };
            let mut node = *roots.entry(interner.id(head)).or_insert_with(|| new_node(&mut nodes, NONE));
            for (i, syllable) in (1..).zip(rest) {
                let syllable = interner.id(syllable);
                let child = *edges.entry(edge_key(node, syllable)).or_insert_with(|| new_node(&mut nodes, node));
                // Across a break the edge is keyed by the syllable as a token after a break
                // reads (with `AFTER_BREAK`): a term that shares the path without the break does
                // not cross it (`"tp mới"` beside `"TP. HCM"` is not in `TP. Mới đây`).
                if i < 64 && term.breaks & 1 << i != 0 {
                    nodes[node as usize].crosses = true;
                    edges.insert(edge_key(node, syllable | AFTER_BREAK), child);
                }
                node = child;
            }
            // The stem of a wildcard continues from the last node.
            let stem_at = whole.len();
            nodes[node as usize].crosses |= last.is_some() && stem_at < 64 && term.breaks & 1 << stem_at != 0;
            match last {
                // Pattern ids fit: there are at most `MAX_PATTERNS`.
                None => nodes[node as usize].ends.push(term.id as u32),
                Some(stem) => {
                    let place = stem_places.entry((node, stem)).or_insert(NONE);
                    let new = *place == NONE;
                    join_stem(place, term);
                    if new {
                        nodes[node as usize].prefixes.push((stem.into(), *place));
                    }
                }
            }
        }
        if nodes.len() >= INDEX as usize {
            return Err(format!("more than {INDEX} syllables in rule terms"));
        }
        // The nodes that terms end at come first, in order, so that their indexes are their
        // groups, and the stems' groups follow. A node only on the way to longer terms has no
        // group: numbered among the others, it widened every bit set over groups that a match
        // clears and scans (a rule set of 40-syllable phrases matched fifteen times slower).
        // They are numbered shortest first: short terms occur most often, and their groups'
        // bits, presearch rows and checks, read for most tokens of a text, lie together in
        // a few cache lines rather than spread among those of the rare long phrases.
        let mut groups_order: Vec<usize> = (0..nodes.len()).filter(|&i| !nodes[i].ends.is_empty()).collect();
        groups_order.sort_by_key(|&i| nodes[i].depth);
        let ending = groups_order.len() as u32;
        let mut renumbered = vec![0; nodes.len()];
        for (group, &i) in (0..).zip(&groups_order) {
            renumbered[i] = group;
        }
        let passing = (0..nodes.len()).filter(|&i| nodes[i].ends.is_empty());
        for (index, i) in (ending..).zip(passing) {
            renumbered[i] = index;
        }
        let first_stem = ending;
        let crossing = {
            let by_node = crossing_groups(&nodes, stems.len());
            let ends = groups_order.iter().map(|&i| by_node[i]);
            ends.chain(by_node[nodes.len()..].iter().copied()).collect()
        };
        let mut parents = vec![false; nodes.len()];
        edges.keys().for_each(|key| parents[(key >> 32) as usize] = true);
        let flagged = |node: u32| {
            let n = &nodes[node as usize];
            let ends = if n.ends.is_empty() { 0 } else { HAS_ENDS };
            let prefixes = if n.prefixes.is_empty() { 0 } else { HAS_PREFIXES };
            let children = if parents[node as usize] { HAS_CHILDREN } else { 0 };
            let crosses = if n.crosses { CROSSES } else { 0 };
            renumbered[node as usize] | ends | prefixes | children | crosses
        };
        let mut root_table = vec![NO_NODE; interner.ids.len()];
        for (syllable, node) in roots {
            root_table[syllable as usize] = flagged(node);
        }
        let syllables = interner.finish(&root_table);
        let edges: Vec<(u64, NodeRef)> = edges
            .into_iter()
            .map(|(key, node)| (u64::from(renumbered[(key >> 32) as usize]) << 32 | (key & 0xFFFF_FFFF), flagged(node)))
            .collect();
        let stems_of = |prefixes: &[(Box<str>, u32)]| {
            Stems::new(prefixes.iter().map(|(stem, place)| (&**stem, first_stem + place)))
        };
        let node_stems = (renumbered.iter())
            .zip(&nodes)
            .filter(|(_, n)| !n.prefixes.is_empty())
            .map(|(&i, n)| (i, stems_of(&n.prefixes)))
            .collect();
        let root_stems = Stems::new(root_prefixes.into_iter().map(|(stem, place)| (stem, first_stem + place)));
        let rows = groups_order
            .iter()
            .map(|&i| std::iter::once(nodes[i].depth).chain(nodes[i].ends.iter().copied()).collect());
        Ok(Matcher {
            edges: Edges::new(&edges, nodes.len(), syllables.count),
            syllables,
            node_stems,
            root_stems,
            groups: Csr::rows(rows.chain(stems)),
            crossing,
        })
    }

    /// Whether a walk may reach group `group` across a phrase break: one of the terms whose path
    /// it shares is written across one there (see [`CROSSES`]). Its own terms may not be: where an
    /// occurrence of such a group crossed a break, each term must be checked (see `checks`).
    pub(super) fn may_cross(&self, group: Group) -> bool {
        self.crossing.get(group as usize).is_some_and(|&c| c)
    }

    /// [`Matcher::may_cross`] of every group, by group.
    pub(super) fn crossing(&self) -> &[bool] {
        &self.crossing
    }

    /// Number of groups.
    pub(super) fn group_count(&self) -> usize {
        self.groups.len()
    }

    /// The terms (pattern ids) of a group.
    pub(super) fn group(&self, group: Group) -> &[u32] {
        self.groups.get(group as usize).get(1..).unwrap_or_default()
    }

    /// How many tokens an occurrence of a group covers.
    pub(super) fn group_length(&self, group: Group) -> u32 {
        self.groups.get(group as usize).first().copied().unwrap_or(1)
    }

    /// The group of each of `patterns` pattern ids (0 for a pattern with no syllable).
    pub(super) fn pattern_groups(&self, patterns: usize) -> Vec<Group> {
        let mut out = vec![0; patterns];
        for g in 0..self.group_count() {
            let ids = self.group(g as Group);
            ids.iter().map(|&p| p as PatternId).filter(|&p| p < patterns).for_each(|p| out[p] = g as Group);
        }
        out
    }

    /// Appends to `hits` every occurrence of a group's text in the folded view; the occurrences
    /// of one group come in text order. `ids` and `open` are buffers.
    pub(super) fn find(
        &self,
        analysis: &Analysis,
        ids: &mut Vec<u32>,
        open: &mut Vec<(u32, NodeRef)>,
        hits: &mut Vec<Hit>,
    ) {
        self.syllable_ids(analysis, ids, open);
        // One-syllable wildcard terms in a loop of their own.
        if !self.root_stems.is_empty() {
            for first in 0..analysis.len() {
                self.root_stems.each_beginning(analysis.token(View::Folded, first).as_bytes(), |group| {
                    hits.push(Hit { group, first: token_index(first) });
                });
            }
        }
        self.first_syllables(ids, analysis, open, hits);
        let mut depth = 1;
        while !open.is_empty() {
            self.next_syllables(ids, depth, analysis, open, hits);
            depth += 1;
        }
    }

    /// Reports the terms that start and end at each token, and leaves in `open` the walks that
    /// go on: where a term starts and the node its first syllable reached. `open` holds each
    /// token's root node on entry (see [`Matcher::syllable_ids`]).
    ///
    /// The trie is walked one syllable of all open walks at a time, not one walk at a time:
    /// whether a walk goes on, or a term ends, depends on the text, and the processor
    /// mispredicted those branches for half the walks. Here they are counts that advance or not,
    /// and the lookups of one step are independent of each other.
    #[inline(never)]
    fn first_syllables(&self, ids: &[u32], analysis: &Analysis, open: &mut Vec<(u32, NodeRef)>, hits: &mut Vec<Hit>) {
        let mut wildcards = Vec::new();
        self.stems_after(open, 1, ids, analysis, &mut wildcards);
        report_and_keep(open, 1, ids, hits);
        hits.append(&mut wildcards);
    }

    /// Reports the wildcard terms that continue from the node of each walk, which covers
    /// `syllables` tokens from its first, with a prefix of the token after. Kept out of the loops
    /// that advance the walks: a call there, however rare, took their registers, and they kept
    /// their state on the stack.
    #[inline(never)]
    fn stems_after(
        &self,
        walks: &[(u32, NodeRef)],
        syllables: usize,
        ids: &[u32],
        analysis: &Analysis,
        hits: &mut Vec<Hit>,
    ) {
        if self.node_stems.is_empty() {
            return;
        }
        for &(first, node) in walks {
            let next = first as usize + syllables;
            let after = ids.get(next).map_or(AFTER_BREAK, |&id| id & !crossing(node));
            if node & HAS_PREFIXES != 0 && after & AFTER_BREAK == 0 {
                self.prefixes_at(node, first as usize, next, analysis, hits);
            }
        }
    }

    /// Takes each open walk one syllable further (`depth` syllables from where it started),
    /// reporting the terms that end there; the walks that go on stay in `open`.
    #[inline(never)]
    fn next_syllables(
        &self,
        ids: &[u32],
        depth: usize,
        analysis: &Analysis,
        open: &mut Vec<(u32, NodeRef)>,
        hits: &mut Vec<Hit>,
    ) {
        // The pairs the edge filter lets through.
        let mut n = 0;
        for i in 0..open.len() {
            let (first, node) = open[i];
            // A walk reaches a token after a break only from a node that crosses breaks, and
            // goes on only along an edge keyed with the break.
            let key = edge_key(node, ids[first as usize + depth]);
            open[n] = (first, node);
            n += usize::from(self.edges.may_hold(key));
        }
        // The table's kind is matched once, not for each pair: matched in the loop, it took
        // branches and registers of its own at every step, and the loop spilled its state to
        // the stack.
        let walks = Walks { ids, depth, analysis, n };
        match &self.edges.children {
            Children::Narrow(shift, Lookup::Perfect(t)) => {
                self.follow(|k| t.get_or(narrow_key(k, *shift), NO_NODE), walks, open, hits)
            }
            Children::Narrow(shift, Lookup::Probed(t)) => {
                self.follow(|k| t.get(narrow_key(k, *shift)).unwrap_or(NO_NODE), walks, open, hits)
            }
            Children::Wide(Lookup::Perfect(t)) => self.follow(|k| t.get_or(k, NO_NODE), walks, open, hits),
            Children::Wide(Lookup::Probed(t)) => self.follow(|k| t.get(k).unwrap_or(NO_NODE), walks, open, hits),
        }
    }

    /// Takes the first `walks.n` open walks one syllable further along the edges `child_of`
    /// finds (see [`Matcher::next_syllables`]).
    #[inline(always)]
    fn follow(
        &self,
        child_of: impl Fn(u64) -> NodeRef,
        walks: Walks<'_>,
        open: &mut Vec<(u32, NodeRef)>,
        hits: &mut Vec<Hit>,
    ) {
        let Walks { ids, depth, analysis, n } = walks;
        // Each walk's next node first, in a loop of lookups alone (independent of each other).
        for walk in &mut open[..n] {
            // No edge: a node with no flags, which reports nothing and ends the walk. Not a
            // branch (with a perfect table): about one pair in fourteen the filter lets through
            // is no edge, at random.
            walk.1 = child_of(edge_key(walk.1, ids[walk.0 as usize + depth]));
        }
        open.truncate(n);
        let mut wildcards = Vec::new();
        self.stems_after(open, depth + 1, ids, analysis, &mut wildcards);
        report_and_keep(open, depth + 1, ids, hits);
        hits.append(&mut wildcards);
    }

    /// The syllable id of each token of the folded view ([`UNKNOWN`]: no term has it; with
    /// [`AFTER_BREAK`] where a phrase stops), and one more `UNKNOWN` after the last, so that the
    /// next token's id can be read at every token; in `open`, each token's root node. Not
    /// inlined, so that its loop has the registers to itself; ids are written in place, where
    /// pushing them read and wrote the vector's length in memory for each token.
    #[inline(never)]
    fn syllable_ids(&self, analysis: &Analysis, ids: &mut Vec<u32>, open: &mut Vec<(u32, NodeRef)>) {
        // The table's kind is matched once, not for each token (see `next_syllables`).
        match &self.syllables.short {
            Lookup::Perfect(table) => self.look_up(|key| table.get_or(key, Known::default()), analysis, ids, open),
            Lookup::Probed(table) => self.look_up(|key| table.get(key).unwrap_or_default(), analysis, ids, open),
        }
        for token in analysis.phrase_breaks() {
            if let Some(id) = ids.get_mut(token) {
                *id |= AFTER_BREAK;
            }
        }
    }

    /// [`Matcher::syllable_ids`] with `short` to look up short keys.
    #[inline(always)]
    fn look_up(
        &self,
        short: impl Fn(u64) -> Known,
        analysis: &Analysis,
        ids: &mut Vec<u32>,
        open: &mut Vec<(u32, NodeRef)>,
    ) {
        let keys = analysis.folded_keys();
        ids.clear();
        ids.resize(keys.len() + 1, UNKNOWN);
        open.clear();
        open.resize(keys.len(), (0, NO_NODE));
        for ((i, &key), (slot, root)) in keys.iter().enumerate().zip(ids.iter_mut().zip(open.iter_mut())) {
            // The analysis gives most syllables' short keys; longer ones are read from the view.
            let known =
                if key != 0 { short(key) } else { self.syllables.get(analysis.token(View::Folded, i).as_bytes()) };
            *slot = known.id;
            *root = (token_index(i), known.root);
        }
    }

    /// Reports the wildcard terms that continue from `node` (reached at a term's token `first`)
    /// with a prefix of token `next`.
    #[cold]
    #[inline(never)]
    fn prefixes_at(&self, node: NodeRef, first: usize, next: usize, analysis: &Analysis, hits: &mut Vec<Hit>) {
        if next >= analysis.len() {
            return;
        }
        let token = analysis.token(View::Folded, next);
        if let Some(stems) = self.node_stems.get(&(node & INDEX)) {
            stems.each_beginning(token.as_bytes(), |group| hits.push(Hit { group, first: token_index(first) }));
        }
    }
}

/// Reports the terms that end at each walk's node, and keeps in `open` the walks that go on;
/// each node covers `syllables` tokens from its walk's first.
#[inline(always)]
fn report_and_keep(open: &mut Vec<(u32, NodeRef)>, syllables: usize, ids: &[u32], hits: &mut Vec<Hit>) {
    let n = open.len();
    let base = hits.len();
    hits.resize(base + n, Hit::default());
    // Slices, not the vectors: written through the vectors, their pointers and lengths were read
    // from memory again for every walk.
    let (walks, out) = (open.as_mut_slice(), &mut hits[base..]);
    let (mut found, mut kept) = (0, 0);
    for i in 0..n {
        // Walks kept are written at or before the one read: `kept <= i`.
        let walk @ (first, node) = walks[i];
        out[found] = Hit { group: node & INDEX, first };
        found += usize::from(node & HAS_ENDS != 0);
        let after = ids[first as usize + syllables] & !crossing(node);
        walks[kept] = walk;
        kept += usize::from((node & HAS_CHILDREN != 0) & (after < UNKNOWN));
    }
    hits.truncate(base + found);
    open.truncate(kept);
}

/// Longest wildcard stem, in bytes: every stem length has a bit in a `u64`, and a token is looked
/// up once per length, never compared with every stem.
const MAX_STEM: usize = 62;

/// Wildcard stems (the one-syllable wildcard terms, or those that continue from one trie node)
/// and their groups: short stems through a table, long ones through a map, and a bit per stem
/// length.
#[derive(Debug, Default)]
struct Stems {
    lengths: u64,
    short: Table,
    long: HashMap<Box<[u8]>, u32>,
    /// `groups[i]`: the group of stem `i`, the value of both maps.
    groups: Vec<Group>,
}

impl Stems {
    fn new<'s>(stems: impl Iterator<Item = (&'s str, Group)>) -> Stems {
        let mut all = Stems::default();
        let mut short = Vec::new();
        for (stem, group) in stems {
            let index = all.groups.len() as u32;
            all.groups.push(group);
            all.lengths |= 1u64 << stem.len().min(MAX_STEM);
            match short_key(stem.as_bytes()) {
                Some(key) => short.push((key, index)),
                None => {
                    all.long.insert(stem.as_bytes().into(), index);
                }
            }
        }
        if !short.is_empty() {
            all.short = Table::with_entries(&short);
        }
        all
    }

    fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    /// Calls `found` with the group of each stem `token` begins with: one lookup per stem length,
    /// however many stems there are (a rule file may put thousands after one word).
    fn each_beginning(&self, token: &[u8], mut found: impl FnMut(Group)) {
        let mut lengths = self.lengths;
        while lengths != 0 {
            let len = lengths.trailing_zeros() as usize;
            lengths &= lengths - 1;
            let Some(head) = token.get(..len) else { break };
            let index = match short_key(head) {
                Some(key) => self.short.get(key),
                None => self.long.get(head).copied(),
            };
            if let Some(&group) = index.and_then(|i| self.groups.get(i as usize)) {
                found(group);
            }
        }
    }
}

/// One occurrence of a group's text, from token `first` on (over [`Matcher::group_length`]
/// tokens). Eight bytes: with many rules a text has more of these than tokens, written once and
/// read once, and half the size is half that memory traffic.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Hit {
    pub(super) group: Group,
    pub(super) first: u32,
}

/// Per group, whether a walk may reach it across a break (see [`Matcher::may_cross`]): a node
/// before it on its path crosses breaks, through another term's edge or its own; for the stems
/// after a node, that node too. By node index as built (before the nodes that terms end at are
/// numbered first), then `stems` stems.
fn crossing_groups(nodes: &[Node], stems: usize) -> Vec<bool> {
    // Parents come before their children: one pass in order carries the answer down the paths.
    let mut crossing = vec![false; nodes.len() + stems];
    for i in 0..nodes.len() {
        let parent = nodes[i].parent as usize;
        crossing[i] = nodes.get(parent).is_some_and(|p| p.crosses || crossing[parent]);
    }
    for (node, i) in nodes.iter().zip(0..) {
        let across = crossing[i] || node.crosses;
        for &(_, place) in &node.prefixes {
            if let Some(c) = crossing.get_mut(nodes.len() + place as usize) {
                *c = across;
            }
        }
    }
    crossing
}

fn new_node(nodes: &mut Vec<Node>, parent: u32) -> u32 {
    let depth = nodes.get(parent as usize).map_or(1, |p| p.depth + 1);
    nodes.push(Node { ends: Vec::new(), depth, prefixes: Vec::new(), crosses: false, parent });
    (nodes.len() - 1) as u32
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Every occurrence by brute force: each term compared at each token.
    fn naive(terms: &[Term<'_>], analysis: &Analysis) -> Vec<(PatternId, usize, usize)> {
        let tokens: Vec<&str> = analysis.view_tokens(View::Folded).collect();
        let breaks: Vec<usize> = analysis.phrase_breaks().collect();
        let mut out = Vec::new();
        for term in terms {
            let n = term.syllables.len();
            for first in 0..tokens.len() {
                let Some(window) = tokens.get(first..first + n) else { break };
                let whole = n - usize::from(term.prefix);
                let matches = window[..whole] == term.syllables[..whole]
                    && (!term.prefix || window[n - 1].starts_with(term.syllables[n - 1]))
                    && !breaks.iter().any(|b| (first + 1..first + n).contains(b));
                if matches {
                    out.push((term.id, first, first + n - 1));
                }
            }
        }
        out.sort_unstable();
        out
    }

    fn found(matcher: &Matcher, analysis: &Analysis) -> Vec<(PatternId, usize, usize)> {
        let mut out = Vec::new();
        let (mut ids, mut open, mut hits) = (Vec::new(), Vec::new(), Vec::new());
        matcher.find(analysis, &mut ids, &mut open, &mut hits);
        for Hit { group, first } in hits {
            let (first, last) = (first as usize, (first + matcher.group_length(group) - 1) as usize);
            out.extend(matcher.group(group).iter().map(|&id| (id as PatternId, first, last)));
        }
        out.sort_unstable();
        out
    }

    /// Few and overlapping syllables, so terms share prefixes, repeat and nest; one long syllable
    /// takes the path for keys past eight bytes.
    const SYLLABLES: [&str; 7] = ["a", "an", "anh", "b", "ba", "ban", "nghieengs"];

    fn syllable() -> impl Strategy<Value = &'static str> {
        proptest::sample::select(&SYLLABLES[..])
    }

    /// Mostly spaces; some end a clause or sentence, some are punctuation inside a word.
    fn separator() -> impl Strategy<Value = &'static str> {
        proptest::sample::select(&[" ", " ", " ", ", ", ". ", "\n", ",", ".", " - "][..])
    }

    proptest! {
        #[test]
        fn finds_exactly_what_a_scan_finds(
            text in proptest::collection::vec((syllable(), separator()), 0..40),
            terms in proptest::collection::vec((proptest::collection::vec(syllable(), 1..4), any::<bool>()), 1..12),
        ) {
            let terms: Vec<Term<'_>> = terms
                .iter()
                .enumerate()
                .map(|(id, (syllables, prefix))| Term { syllables: syllables.clone(), prefix: *prefix, breaks: 0, id })
                .collect();
            let matcher = Matcher::new(&terms).expect("builds");
            let text: String = text.iter().flat_map(|(syllable, separator)| [*syllable, *separator]).collect();
            let analysis = Analysis::new(&text);
            prop_assert_eq!(found(&matcher, &analysis), naive(&terms, &analysis));
        }
    }

    proptest! {
        /// The masked loads read each token's id as a lookup of its own bytes would, wherever the
        /// token sits (near the view's end too) and whatever its length or script.
        #[test]
        fn syllable_ids_are_the_ids_of_the_tokens(
            words in proptest::collection::vec("[a-cđ]{1,10}|[0-9]{1,3}|[ăâ北京]{1,3}", 0..30),
            known in proptest::collection::vec("[a-c]{1,10}|[0-9]{1,3}", 1..20),
        ) {
            let terms: Vec<Term<'_>> =
                known.iter().enumerate().map(|(id, w)| Term { syllables: vec![w], prefix: false, breaks: 0, id }).collect();
            let matcher = Matcher::new(&terms).expect("builds");
            let analysis = Analysis::new(&words.join(" "));
            let (mut ids, mut roots) = (Vec::new(), Vec::new());
            matcher.syllable_ids(&analysis, &mut ids, &mut roots);
            let known: Vec<Known> = analysis.view_tokens(View::Folded).map(|t| matcher.syllables.get(t.as_bytes())).collect();
            let mut expected: Vec<u32> = known.iter().map(|k| k.id).collect();
            expected.push(UNKNOWN);
            prop_assert_eq!(ids, expected);
            let roots: Vec<NodeRef> = roots.iter().map(|r| r.1).collect();
            prop_assert_eq!(roots, known.iter().map(|k| k.root).collect::<Vec<_>>());
        }
    }

    proptest! {
        /// Lookups agree with a map, long probe runs included (a few hundred keys over small
        /// tables, drawn from a narrow range so that many collide).
        #[test]
        fn tables_find_what_was_inserted_and_nothing_else(
            entries in proptest::collection::hash_map(1u64..2_000, any::<u32>(), 0..300),
            probes in proptest::collection::vec(1u64..2_000, 0..100),
        ) {
            let pairs: Vec<(u64, u32)> = entries.iter().map(|(&k, &v)| (k, v)).collect();
            let table = Table::with_entries(&pairs);
            for key in probes.iter().chain(entries.keys()) {
                prop_assert_eq!(table.get(*key), entries.get(key).copied());
            }
        }
    }

    proptest! {
        /// Packed keys find what wide ones do: the edges, and nothing for other pairs of a node
        /// and a syllable, after a break or not.
        #[test]
        fn narrow_edges_are_the_wide_ones(
            edges in proptest::collection::hash_map((0u32..3_000, 0u32..700, any::<bool>()), 0u32..5_000, 0..400),
            probes in proptest::collection::vec((0u32..3_000, 0u32..700, any::<bool>()), 0..200),
        ) {
            let key = |&(node, syllable, broken): &(u32, u32, bool)| {
                edge_key(node, if broken { syllable | AFTER_BREAK } else { syllable })
            };
            let pairs: Vec<(u64, NodeRef)> = edges.iter().map(|(edge, &child)| (key(edge), child)).collect();
            let narrow = Edges::new(&pairs, 3_000, 700);
            prop_assert!(matches!(narrow.children, Children::Narrow(..)));
            let wide = Edges::with_shift(&pairs, None);
            // Past 32 bits the keys stay wide.
            prop_assert!(matches!(Edges::new(&pairs, 1 << 20, 1 << 14).children, Children::Wide(_)));
            for probe in probes.iter().chain(edges.keys()) {
                prop_assert_eq!(narrow.get(key(probe)), edges.get(probe).copied());
                prop_assert_eq!(wide.get(key(probe)), edges.get(probe).copied());
            }
        }
    }

    proptest! {
        /// Every key finds its value in one slot and other keys find nothing, for tables of a
        /// few keys (where buckets are few) as of thousands.
        #[test]
        fn perfect_tables_find_what_was_put_in_them(
            keys in proptest::collection::hash_set(1u32.., 0..3_000),
            probes in proptest::collection::vec(1u32.., 0..200),
        ) {
            let entries: Vec<(u32, u32)> = keys.iter().map(|&k| (k, k.wrapping_mul(3))).collect();
            let table = Perfect::new(&entries).expect("a displacement fits every bucket");
            prop_assert!(table.slots.len() <= entries.len() + entries.len() / 16 + 1);
            for &(key, value) in &entries {
                prop_assert_eq!(table.get(key), Some(value));
            }
            for probe in probes.iter().filter(|p| !keys.contains(p)) {
                prop_assert_eq!(table.get(*probe), None);
            }
        }
    }

    /// A node only on the way to longer terms is no group: a rule set of long phrases has as
    /// many groups as phrases, not as syllables, and its bit sets over groups stay that small.
    #[test]
    fn only_nodes_that_terms_end_at_are_groups() {
        let long: Vec<&str> = "mot hai ba bon nam sau bay tam chin muoi".split(' ').collect();
        let terms = [
            Term { syllables: long.clone(), prefix: false, breaks: 0, id: 0 },
            Term { syllables: long[..3].to_vec(), prefix: false, breaks: 0, id: 1 },
            Term { syllables: vec!["mot", "hai", "b"], prefix: true, breaks: 0, id: 2 },
        ];
        let matcher = Matcher::new(&terms).expect("builds");
        assert_eq!(matcher.group_count(), 3);
        let analysis = Analysis::new("một hai ba bốn năm sáu bảy tám chín mười");
        assert_eq!(found(&matcher, &analysis), [(0, 0, 9), (1, 0, 2), (2, 0, 2)]);
    }

    /// Stems after one word are found by length, each that the next token begins with, and a
    /// stem longer than any syllable is refused.
    #[test]
    fn many_stems_after_one_word() {
        let stems: Vec<String> = (0..2_000).map(|i| format!("t{i}")).chain(["t".into(), "ta".into()]).collect();
        let mut terms: Vec<Term<'_>> = stems
            .iter()
            .enumerate()
            .map(|(id, s)| Term { syllables: vec!["gia", s], prefix: true, breaks: 0, id })
            .collect();
        let matcher = Matcher::new(&terms).expect("builds");
        let analysis = Analysis::new("giá tăng, giá t17x");
        let mut found: Vec<_> =
            found(&matcher, &analysis).into_iter().map(|(id, first, _)| (stems[id].as_str(), first)).collect();
        found.sort_unstable();
        assert_eq!(found, [("t", 0), ("t", 2), ("t1", 2), ("t17", 2), ("ta", 0)]);
        let long = "a".repeat(MAX_STEM + 1);
        terms.push(Term { syllables: vec![&long], prefix: true, breaks: 0, id: 9_999 });
        let err = Matcher::new(&terms).expect_err("too long");
        assert!(err.contains("wildcard stem longer"), "{err}");
    }

    #[test]
    fn wildcards_at_the_root_and_after_whole_syllables() {
        let terms = [
            Term { syllables: vec!["hoa"], prefix: true, breaks: 0, id: 0 },
            Term { syllables: vec!["gia", "ta"], prefix: true, breaks: 0, id: 1 },
            Term { syllables: vec!["gia", "tang"], prefix: false, breaks: 0, id: 2 },
        ];
        let matcher = Matcher::new(&terms).expect("builds");
        let analysis = Analysis::new("Hoàng hoa gia tăng giá tàu");
        assert_eq!(found(&matcher, &analysis), [(0, 0, 0), (0, 1, 1), (1, 2, 3), (1, 4, 5), (2, 2, 3)]);
    }
}
