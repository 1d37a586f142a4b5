//! One canonical tone-mark placement per syllable.
//!
//! Vietnamese writes five tone marks on one vowel of a syllable's nucleus, and two conventions
//! coexist: the "old" style (`hòa`, `khỏe`, `thủy`) and the "new" style (`hoà`, `khoẻ`, `thuỷ`). We
//! canonicalise to the old style, which the press uses more, so both spellings are one word in
//! rules and search. Misplacements (`hòang`, `qúy`) are repaired by the same rule. Syllables that do
//! not have Vietnamese shape (foreign words, names like `Facebook`) are left as written.

/// Tone marks in table order: none, grave, acute, hook above, tilde, dot below.
const TONES: usize = 6;

/// Base vowels (with quality marks) and their six toned forms, lower then upper case.
const VOWELS: [[char; TONES]; 24] = [
    ['a', 'à', 'á', 'ả', 'ã', 'ạ'],
    ['ă', 'ằ', 'ắ', 'ẳ', 'ẵ', 'ặ'],
    ['â', 'ầ', 'ấ', 'ẩ', 'ẫ', 'ậ'],
    ['e', 'è', 'é', 'ẻ', 'ẽ', 'ẹ'],
    ['ê', 'ề', 'ế', 'ể', 'ễ', 'ệ'],
    ['i', 'ì', 'í', 'ỉ', 'ĩ', 'ị'],
    ['o', 'ò', 'ó', 'ỏ', 'õ', 'ọ'],
    ['ô', 'ồ', 'ố', 'ổ', 'ỗ', 'ộ'],
    ['ơ', 'ờ', 'ớ', 'ở', 'ỡ', 'ợ'],
    ['u', 'ù', 'ú', 'ủ', 'ũ', 'ụ'],
    ['ư', 'ừ', 'ứ', 'ử', 'ữ', 'ự'],
    ['y', 'ỳ', 'ý', 'ỷ', 'ỹ', 'ỵ'],
    ['A', 'À', 'Á', 'Ả', 'Ã', 'Ạ'],
    ['Ă', 'Ằ', 'Ắ', 'Ẳ', 'Ẵ', 'Ặ'],
    ['Â', 'Ầ', 'Ấ', 'Ẩ', 'Ẫ', 'Ậ'],
    ['E', 'È', 'É', 'Ẻ', 'Ẽ', 'Ẹ'],
    ['Ê', 'Ề', 'Ế', 'Ể', 'Ễ', 'Ệ'],
    ['I', 'Ì', 'Í', 'Ỉ', 'Ĩ', 'Ị'],
    ['O', 'Ò', 'Ó', 'Ỏ', 'Õ', 'Ọ'],
    ['Ô', 'Ồ', 'Ố', 'Ổ', 'Ỗ', 'Ộ'],
    ['Ơ', 'Ờ', 'Ớ', 'Ở', 'Ỡ', 'Ợ'],
    ['U', 'Ù', 'Ú', 'Ủ', 'Ũ', 'Ụ'],
    ['Ư', 'Ừ', 'Ứ', 'Ử', 'Ữ', 'Ự'],
    ['Y', 'Ỳ', 'Ý', 'Ỷ', 'Ỹ', 'Ỵ'],
];

/// A vowel decomposed into its row in [`VOWELS`] and its tone (0 = none).
#[derive(Clone, Copy, Debug)]
struct Vowel {
    row: usize,
    tone: usize,
}

#[inline]
fn vowel(c: char) -> Option<Vowel> {
    let code = c as usize;
    let packed = if code < LOW_RANGE {
        VOWEL_LOW[code]
    } else if (HIGH_START..HIGH_END).contains(&code) {
        VOWEL_HIGH[code - HIGH_START]
    } else {
        0
    };
    (packed != 0).then(|| {
        let i = usize::from(packed - 1);
        Vowel { row: i / TONES, tone: i % TONES }
    })
}

/// Every precomposed Vietnamese vowel lies below U+01B1 or in U+1EA0..U+1EFA (Latin Extended
/// Additional), so two small direct tables, built at compile time, answer "which vowel, which
/// tone" in O(1).
const LOW_RANGE: usize = 0x1B1;
const HIGH_START: usize = 0x1EA0;
const HIGH_END: usize = 0x1EFA;

static VOWEL_LOW: [u8; LOW_RANGE] = vowel_table::<LOW_RANGE>(0);
static VOWEL_HIGH: [u8; HIGH_END - HIGH_START] = vowel_table::<{ HIGH_END - HIGH_START }>(HIGH_START);

/// Packed `row * TONES + tone + 1` for every vowel whose code point lies in `[offset, offset + N)`.
const fn vowel_table<const N: usize>(offset: usize) -> [u8; N] {
    let mut table = [0u8; N];
    let mut row = 0;
    while row < VOWELS.len() {
        let mut tone = 0;
        while tone < TONES {
            let code = VOWELS[row][tone] as usize;
            if code >= offset && code < offset + N {
                // At most 24 * 6 = 144 entries: fits in a u8.
                table[code - offset] = (row * TONES + tone + 1) as u8;
            }
            tone += 1;
        }
        row += 1;
    }
    table
}

/// The toneless base (quality marks kept, case kept) and the tone of a vowel, for folding and
/// normalisation.
#[inline]
pub(crate) fn vowel_parts(c: char) -> Option<(char, usize)> {
    vowel(c).map(|v| (VOWELS[v.row][0], v.tone))
}

/// Whether `c` is one of the 134 Vietnamese vowels (any case, any tone).
#[inline]
pub(crate) fn is_vowel(c: char) -> bool {
    vowel(c).is_some()
}

/// What the scanners need to know about a vowel, from one table lookup.
#[derive(Clone, Copy, Debug)]
pub(crate) struct VowelInfo {
    /// The vowel in lower case, tone kept.
    pub(crate) lower: char,
    /// Lower case, no marks at all.
    pub(crate) folded: char,
    /// Whether it carries a tone mark.
    pub(crate) toned: bool,
    /// Whether it carries a quality mark (ă â ê ô ơ ư).
    pub(crate) marked: bool,
}

#[inline]
pub(crate) fn vowel_info(c: char) -> Option<VowelInfo> {
    vowel(c).map(|v| VowelInfo {
        lower: VOWELS[v.row % 12][v.tone],
        folded: FOLDED[v.row % 12],
        toned: v.tone != 0,
        marked: has_quality_mark(v.row),
    })
}

/// Tracks the vowels of a word as it is scanned, to tell whether [`place_tone`] could move
/// anything: only with exactly one tone, at least two vowels, and the tone not on the last vowel
/// with a quality mark (where both styles put it).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct ToneWatch {
    vowels: u8,
    toned: u8,
    toned_at: u8,
    last_marked: Option<u8>,
}

impl ToneWatch {
    /// A vowel known by its marks alone.
    #[inline]
    pub(crate) fn marked_vowel(&mut self, toned: bool, marked: bool) {
        if toned {
            self.toned = self.toned.saturating_add(1);
            self.toned_at = self.vowels;
        }
        if marked {
            self.last_marked = Some(self.vowels);
        }
        self.vowels = self.vowels.saturating_add(1);
    }

    /// An ASCII vowel: counts, carries nothing.
    #[inline]
    pub(crate) fn plain_vowel(&mut self) {
        self.vowels = self.vowels.saturating_add(1);
    }

    #[inline]
    pub(crate) fn may_move(&self) -> bool {
        self.toned == 1 && self.vowels >= 2 && self.last_marked != Some(self.toned_at)
    }
}

/// Lower case of a Vietnamese vowel, or `None` for other characters.
#[inline]
pub(crate) fn vowel_lower(c: char) -> Option<char> {
    vowel(c).map(|v| VOWELS[v.row % 12][v.tone])
}

/// The folded letter of each row of [`VOWELS`]: no tone, no quality mark, case kept.
const FOLDED: [char; 24] = [
    'a', 'a', 'a', 'e', 'e', 'i', 'o', 'o', 'o', 'u', 'u', 'y', 'A', 'A', 'A', 'E', 'E', 'I', 'O', 'O', 'O', 'U', 'U',
    'Y',
];

/// A Vietnamese vowel without any mark (`ỗ` → `o`, `Ư` → `U`), or `None` for other characters.
#[inline]
pub(crate) fn vowel_folded(c: char) -> Option<char> {
    vowel(c).map(|v| FOLDED[v.row])
}

/// Lower-case base letter of a row, without tone.
fn base_lower(row: usize) -> char {
    VOWELS[row % 12][0]
}

fn has_quality_mark(row: usize) -> bool {
    matches!(base_lower(row), 'ă' | 'â' | 'ê' | 'ô' | 'ơ' | 'ư')
}

/// Longest syllable handled: `nghiêng` has 7 letters; one more leaves room for misspellings.
pub(crate) const MAX_SYLLABLE: usize = 8;

/// Returns the syllable with its tone mark on the canonical vowel, or `None` when the syllable is
/// already canonical, has no tone, or does not have Vietnamese shape.
pub fn canonical_tone_placement(syllable: &str) -> Option<String> {
    let mut chars = ['\0'; MAX_SYLLABLE];
    let mut n = 0;
    for c in syllable.chars() {
        *chars.get_mut(n)? = c;
        n += 1;
    }
    place_tone(&mut chars[..n]).then(|| chars[..n].iter().collect())
}

/// Whether `syllable` begins with `stem`, both lower case with canonical tones (as the exact view
/// writes them), reading a tone mark as the syllable's, wherever the canon puts it: `hòa` (typed
/// `hoà` too) begins `hòa` and `hoàng`, where the tone sits on the `a`; `hò` begins `hòa` but not
/// `hoàng`; a stem without a tone begins only syllables whose tone, if any, falls after it (`ngu`
/// begins `nguyễn`, `hoa` does not begin `hoàng`). For wildcard terms in exact mode.
pub fn stem_begins(stem: &str, syllable: &str) -> bool {
    let (stem_letters, stem_tone) = toneless(stem);
    let (letters, tone) = toneless(syllable);
    if !letters.starts_with(&stem_letters) {
        return false;
    }
    match (stem_tone, tone) {
        (None, None) => true,
        (None, Some((_, at))) => at >= stem_letters.len(),
        (Some((t, _)), Some((u, at))) => t == u && at < stem_letters.len(),
        (Some(_), None) => false,
    }
}

/// The letters of a word without tone marks (quality marks and case kept), and its first tone
/// mark with the index of the letter that carries it.
fn toneless(word: &str) -> (Vec<char>, Option<(usize, usize)>) {
    let mut tone = None;
    let letters = word
        .chars()
        .enumerate()
        .map(|(i, c)| {
            let (base, t) = vowel_parts(c).unwrap_or((c, 0));
            if t != 0 && tone.is_none() {
                tone = Some((t, i));
            }
            base
        })
        .collect();
    (letters, tone)
}

/// Moves the tone mark of a syllable to its canonical vowel in place; returns whether anything
/// moved. Works on any case; allocation-free, because the tokenizer calls it for most words.
pub(crate) fn place_tone(chars: &mut [char]) -> bool {
    let n = chars.len();
    if !(2..=MAX_SYLLABLE).contains(&n) {
        return false;
    }
    let mut vowels = [None; MAX_SYLLABLE];
    let (mut toned, mut toned_at, mut vowel_count, mut last_marked) = (0, 0, 0, None);
    for (i, &c) in chars.iter().enumerate() {
        let Some(v) = vowel(c) else { continue };
        vowels[i] = Some(v);
        vowel_count += 1;
        if v.tone != 0 {
            toned += 1;
            toned_at = i;
        }
        if has_quality_mark(v.row) {
            last_marked = Some(i);
        }
    }
    // One vowel carries its own tone; two tones is not a syllable; a tone on the last vowel with
    // a quality mark is where both styles put it (người, tiếng, được): the common cases, decided
    // before looking for the nucleus.
    if toned != 1 || vowel_count < 2 || last_marked == Some(toned_at) {
        return false;
    }
    let mut base = ['\0'; MAX_SYLLABLE];
    for (slot, (&c, v)) in base.iter_mut().zip(chars.iter().zip(&vowels)) {
        *slot = match v {
            Some(v) => base_lower(v.row),
            // `Ð` (U+00D0) is what old fonts put for `Đ`: the text layer reads it as one.
            None if c == 'Đ' || c == 'Ð' => 'đ',
            None => c.to_ascii_lowercase(),
        };
    }
    let vowels = &vowels[..n];
    let Some((start, end)) = nucleus(&base[..n], vowels) else {
        return false;
    };
    let Some(target) = tone_position(vowels, start, end, end == n) else {
        return false;
    };
    if target == toned_at {
        return false;
    }
    let (Some(from), Some(to)) = (vowels[toned_at], vowels[target]) else {
        return false;
    };
    chars[toned_at] = VOWELS[from.row][0];
    chars[target] = VOWELS[to.row][from.tone];
    true
}

/// Length of the initial consonant of a lower-case, toneless syllable (0 when it starts with a
/// vowel), or `None` when `qu` is not followed by a vowel (not a syllable).
fn initial_len(base: &[char], vowels: &[Option<Vowel>]) -> Option<usize> {
    let vowel_at = |i: usize| vowels.get(i).is_some_and(|v| v.is_some());
    Some(match base {
        ['n', 'g', 'h', ..] => 3,
        ['n', 'g' | 'h', ..] | ['c' | 'g' | 'k' | 'p' | 't', 'h', ..] | ['t', 'r', ..] => 2,
        // `qu` and `gi` are consonants only when another vowel follows: quả, già, giữa; but gì, gìn
        // (g is the initial, i the nucleus).
        ['q', 'u', ..] if vowel_at(2) => 2,
        ['q', ..] => return None,
        ['g', 'i', ..] if vowel_at(2) => 2,
        ['b' | 'c' | 'd' | 'đ' | 'g' | 'h' | 'k' | 'l' | 'm' | 'n' | 'p' | 'r' | 's' | 't' | 'v' | 'x', ..] => 1,
        _ => 0,
    })
}

/// The vowel nucleus `[start, end)` after the initial consonant, or `None` if the syllable does not
/// split into initial + vowels + final the way Vietnamese syllables do. `base` is the lower-case,
/// toneless syllable.
fn nucleus(base: &[char], vowels: &[Option<Vowel>]) -> Option<(usize, usize)> {
    let start = initial_len(base, vowels)?;
    let end = (start..base.len()).find(|&i| vowels[i].is_none()).unwrap_or(base.len());
    if end == start || end - start > 3 {
        return None;
    }
    let valid_final = matches!(&base[end..], [] | ['c' | 'm' | 'n' | 'p' | 't'] | ['c', 'h'] | ['n', 'g'] | ['n', 'h']);
    valid_final.then_some((start, end))
}

/// Index of the vowel that carries the tone in the canonical ("old") style.
fn tone_position(vowels: &[Option<Vowel>], start: usize, end: usize, open: bool) -> Option<usize> {
    let mut rows = [0usize; 3];
    for (slot, v) in rows.iter_mut().zip(&vowels[start..end]) {
        *slot = v.as_ref()?.row;
    }
    let rows = &rows[..end - start];
    // A vowel with a quality mark takes the tone; in `ươ` that is the `ơ` (the last marked one).
    if let Some(last_marked) = rows.iter().rposition(|&r| has_quality_mark(r)) {
        return Some(start + last_marked);
    }
    Some(match (rows.len(), open) {
        (1, _) => start,
        // With a final consonant the tone sits on the last vowel: hoàng, toán, huỳnh.
        (_, false) => end - 1,
        // Open two-vowel clusters: the first vowel (old style hòa, khỏe, thủy; and mía, múa).
        (2, true) => start,
        // Open triphthongs (oai, oay, uya, uyu, oeo): the middle vowel.
        (_, true) => start + 1,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canon(s: &str) -> String {
        canonical_tone_placement(s).unwrap_or_else(|| s.to_string())
    }

    #[test]
    fn stems_begin_syllables_wherever_the_tone_sits() {
        for (stem, syllable, begins) in [
            ("hòa", "hòa", true),
            ("hòa", "hoàng", true),
            ("hòa", "hoàn", true),
            ("hò", "hòa", true),
            ("hò", "hoàng", false),
            ("hoa", "hoàng", false),
            ("hoa", "hoang", true),
            ("ngu", "nguyễn", true),
            ("hỏa", "hòa", false),
            ("ta", "tăng", false),
            ("hòa", "ho", false),
            ("covid", "covid", true),
        ] {
            assert_eq!(stem_begins(stem, syllable), begins, "{stem}* on {syllable}");
        }
    }

    proptest::proptest! {
        /// A canonical syllable begins itself, and a stem without tones on a syllable without
        /// tones is a plain prefix.
        #[test]
        fn stems_agree_with_prefixes(word in "[a-zđăâêôơư]{1,6}[àáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ]?[a-z]{0,2}", cut in 0usize..8) {
            let word = canon(&word);
            proptest::prop_assert!(stem_begins(&word, &word));
            let plain: String = word.chars().filter(|c| vowel(*c).is_none_or(|v| v.tone == 0)).collect();
            let stem: String = plain.chars().take(cut).collect();
            proptest::prop_assert_eq!(stem_begins(&stem, &plain), plain.starts_with(&stem));
        }
    }

    #[test]
    fn old_and_new_style_meet() {
        for (a, b) in [
            ("hòa", "hoà"),
            ("Hòa", "Hoà"),
            ("HÒA", "HOÀ"),
            ("khỏe", "khoẻ"),
            ("thủy", "thuỷ"),
            ("lũy", "luỹ"),
            ("tùy", "tuỳ"),
            ("hủy", "huỷ"),
            ("thúy", "thuý"),
            ("họa", "hoạ"),
            ("tỏa", "toả"),
            ("xòe", "xoè"),
            ("quý", "qúy"),
            ("hoàng", "hòang"),
            ("quả", "qủa"),
            // `Ð` (U+00D0) for `Đ`, as old fonts wrote it.
            ("Ðòa", "Ðoà"),
            ("ÐÒA", "ÐOÀ"),
        ] {
            assert_eq!(canon(a), canon(b), "{a} vs {b}");
        }
    }

    #[test]
    fn canonical_forms_are_old_style() {
        assert_eq!(canon("hoà"), "hòa");
        assert_eq!(canon("thuỷ"), "thủy");
        assert_eq!(canon("hòang"), "hoàng");
        assert_eq!(canon("qúy"), "quý");
        assert_eq!(canon("ngoaì"), "ngoài");
        assert_eq!(canon("ngừơi"), "người");
        assert_eq!(canon("giưã"), "giữa");
        assert_eq!(canon("giũa"), "giũa");
        assert_eq!(canon("gì"), "gì");
        assert_eq!(canon("khuỷu"), "khuỷu");
    }

    #[test]
    fn distinct_words_stay_distinct() {
        for (a, b) in [("hòa", "hỏa"), ("sốt", "sót"), ("ma", "má"), ("già", "giả")] {
            assert_ne!(canon(a), canon(b));
        }
    }

    #[test]
    fn foreign_words_are_left_alone() {
        assert_eq!(canonical_tone_placement("Facebook"), None);
        assert_eq!(canonical_tone_placement("café"), None);
        assert_eq!(canonical_tone_placement("naïve"), None);
    }
}
