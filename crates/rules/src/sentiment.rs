//! Lexicon sentiment that shows its work.
//!
//! Each lexicon term found in the text contributes its weight, flipped and damped when a negator
//! (`không`, `chẳng`, `chưa`, `not`) precedes it in the same clause, scaled up by intensifiers
//! (`rất`, `quá`, `lắm`, `very`) and down by diminishers (`hơi`, `khá`). Emoji and emoticons count
//! too. Sentence-level cues from `modifiers.tsv` then apply:
//!
//! - a *suggestion* (`nên`, `cần`, `mong`, `đề nghị`) asks for what is missing: it adds its own
//!   (negative) weight once per sentence, and a positive term after it in the sentence is what the
//!   writer wishes for, so it counts as negated (`mong thầy dạy chi tiết hơn` is a complaint);
//!   a *keep* word right after it (`tiếp tục`, `luôn`, `giữ`) makes it a wish to keep things as
//!   they are, and a negator right before it (`không cần`) cancels it;
//! - a *contrast* (`nhưng`, `tuy nhiên`) makes the part of the sentence before it count half;
//! - a *concession* (`tuy`, `mặc dù`) makes its own clause count half.
//!
//! Lexicon terms may carry a second weight that applies only when they are negated or wished for
//! (`hướng dẫn<TAB>0<TAB>-1.5`: giving guidance is unremarkable, not giving it is a complaint).
//!
//! The sum is squashed into [-1, 1] (`s / sqrt(s² + 15)`, as VADER does) and every contribution,
//! cues included, is returned, so a reader can see exactly why an item is negative. In news the
//! headline, lead and body of an item are weighed apart first (see [`NewsParts`]).

use std::collections::HashMap;
use std::path::Path;

use duluan_model::{Label, Sentiment, SentimentTerm};
use duluan_text::{Analysis, View};

use crate::Error;

/// Longest lexicon phrase, in syllables.
const MAX_PHRASE: usize = 4;
/// Longest modifier or cue phrase, in syllables.
const MAX_CUE: usize = 2;
/// Most tokens scored together (see [`SentimentAnalyzer::score_field`]): far more than a sentence.
const MAX_STRETCH: usize = 256;
/// How far back (in syllables) a negator reaches.
const NEGATION_WINDOW: usize = 5;
/// How far a word acting against a trouble reaches (`ngăn chặn kịp thời vụ cháy`): its object.
const COUNTER_REACH: usize = 2;
/// A negated term keeps this share of its weight, with the sign flipped.
const NEGATION_FACTOR: f32 = -0.74;
/// Share of its weight a term keeps before a contrast or inside a concession (VADER's `but` rule).
const CONTRAST_FACTOR: f32 = 0.5;
/// Weight of a bare comparative that ends a clause after no term (`nhiều hơn .`).
const BARE_COMPARATIVE: f32 = -0.5;
/// Factor for a term that falls steeply (`tăng trưởng giảm mạnh`, see [`decreased_after`]).
const STEEP_FALL: f32 = 1.5;
/// Factor for a term after a contrast in its sentence (VADER's `but` rule).
const AFTER_CONTRAST_FACTOR: f32 = 1.5;
/// How far after a suggestion (in syllables) a keep word turns it into a wish to keep things.
const KEEP_WINDOW: usize = 3;
/// Scores beyond ±this are labelled negative/positive in an opinion. Low: one weak term decides
/// a short text. Chosen on the train split of UIT-VSFC (accuracy there 0.872 at 0.1, 0.877 at
/// 0.02).
pub const LABEL_THRESHOLD: f32 = 0.02;
/// [`LABEL_THRESHOLD`] of news: an article is neutral unless its headline, or its lead and body
/// together, lean clearly one way (one weak word in a headline does not, `giảm` or `đạt`). See
/// [`NewsParts`] for how the parts are weighed and where these numbers come from.
pub const NEWS_LABEL_THRESHOLD: f32 = 0.4;

/// Role of a modifier word.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Modifier {
    /// Flips the term it governs, up to the second number of syllables on; its own weight counts
    /// when it governs none. `true`: it acts against a trouble (`ngăn chặn`, `khắc phục`) and
    /// flips only negative terms (`ngăn chặn kịp thời` is done in time, not late).
    Negator(f32, usize, bool),
    /// Multiplies the weight of the term it modifies.
    Scale(f32),
    /// A diminisher that scales nothing still voices a reservation (`hơi ồn ào` needs no term for
    /// `ồn ào` to be one): factor, and own weight when it modifies no term.
    Hedge(f32, f32),
    /// A wish, request or piece of advice: what follows in its sentence is missing. Carries the
    /// cue's own weight.
    Suggestion(f32),
    /// A verb of improvement (`cải thiện`, `bổ sung`): a suggestion when it opens a sentence.
    Request(f32),
    /// Right after a suggestion: the wish is to keep things as they are.
    Keep,
    /// What comes before it in the sentence counts less.
    Contrast,
    /// Its own clause counts less.
    Concession,
}

/// A weighted lexicon term.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Entry {
    weight: f32,
    /// Weight when negated or wished for, if not the usual flip of `weight`.
    negated: Option<f32>,
}

impl Entry {
    fn strength(&self) -> f32 {
        self.weight.abs().max(self.negated.map_or(0.0, f32::abs))
    }
}

/// Sentiment lexicons: weighted terms, modifiers and emoji.
#[derive(Debug, Clone, Default)]
pub struct Lexicon {
    exact: HashMap<String, Entry>,
    folded: HashMap<String, Entry>,
    modifiers: HashMap<String, Modifier>,
    folded_modifiers: HashMap<String, Modifier>,
    emoji: Vec<(String, f32)>,
}

/// Largest lexicon file read, in bytes (the shipped ones are tens of kilobytes).
const MAX_LEXICON_BYTES: usize = 16 * 1024 * 1024;

impl Lexicon {
    /// Read every `*.tsv` in `dir`: `term<TAB>weight[<TAB>negated-weight]` lines for terms and
    /// `emoji<TAB>weight` for emoji (files named `emoji*.tsv`); in `modifiers*.tsv`,
    /// `term<TAB>negator`, `term<TAB>scale<TAB>factor`, `term<TAB>suggestion<TAB>weight`,
    /// `term<TAB>keep`, `term<TAB>contrast` or `term<TAB>concession`.
    /// A missing directory yields an empty lexicon (every text neutral).
    pub fn load_dir(dir: &Path) -> Result<Lexicon, Error> {
        let mut lexicon = Lexicon::default();
        let Ok(entries) = std::fs::read_dir(dir) else {
            return Ok(lexicon);
        };
        let mut files: Vec<_> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
        files.sort();
        for path in files {
            let name = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
            // Hidden files are an editor's locks and swap files, or macOS metadata, as for packs.
            if !name.ends_with(".tsv") || name.starts_with('.') {
                continue;
            }
            let text = crate::pack::read_text(&path, MAX_LEXICON_BYTES, "lexicon file")?;
            lexicon.add_file(&path, &name, &text)?;
        }
        Ok(lexicon)
    }

    fn add_file(&mut self, path: &Path, name: &str, text: &str) -> Result<(), Error> {
        for (n, line) in text.lines().enumerate() {
            let line = line.trim_end_matches('\r');
            if line.trim().is_empty() || line.trim_start().starts_with('#') {
                continue;
            }
            let cols: Vec<&str> = line.split('\t').map(str::trim).collect();
            // Errors point at the column in question (its place in `line`, which it is part of).
            let bad = |column: &str, msg: &str| {
                let at = (column.as_ptr() as usize).saturating_sub(line.as_ptr() as usize);
                let col = line.get(..at).map_or(1, |before| before.chars().count() + 1);
                Error::at(path, Some((n + 1, col)), msg.to_string())
            };
            let weight = |w: &str| -> Result<f32, Error> {
                let weight: f32 = w.parse().map_err(|_| bad(w, "weight must be a number"))?;
                if !(-3.0..=3.0).contains(&weight) {
                    return Err(bad(w, "weight must be between -3 and 3"));
                }
                Ok(weight)
            };
            // NaN passes a range check by failing every comparison: it would make every score NaN.
            let factor = |f: &str| -> Result<f32, Error> {
                let factor: f32 = f.parse().map_err(|_| bad(f, "scale factor must be a number"))?;
                if !(factor > 0.0 && factor <= 10.0) {
                    return Err(bad(f, "scale factor must be above 0 and at most 10"));
                }
                Ok(factor)
            };
            // How far an ambiguous negator reaches: unaccented `chang` is `chẳng`, or `chàng`.
            let reach_of = |r: &str| -> Result<usize, Error> {
                r.parse().ok().filter(|r| (1..=NEGATION_WINDOW).contains(r)).ok_or_else(|| {
                    bad(r, &format!("a negator's reach must be a number of syllables from 1 to {NEGATION_WINDOW}"))
                })
            };
            if name.starts_with("modifiers") {
                let modifier = match cols.as_slice() {
                    [_, "negator"] => Modifier::Negator(0.0, NEGATION_WINDOW, false),
                    [_, "negator", w] => Modifier::Negator(weight(w)?, NEGATION_WINDOW, false),
                    [_, "negator", w, reach, ..] => Modifier::Negator(weight(w)?, reach_of(reach)?, false),
                    [_, "counter", ..] => Modifier::Negator(0.0, COUNTER_REACH, true),
                    [_, "scale", f] => Modifier::Scale(factor(f)?),
                    // A diminisher whose own voice weighs nothing is a plain scale: it must not
                    // be reported as a term that contributed 0.
                    [_, "scale", f, w, ..] => {
                        let (f, w) = (factor(f)?, weight(w)?);
                        if w == 0.0 { Modifier::Scale(f) } else { Modifier::Hedge(f, w) }
                    }
                    [_, "suggestion", w, ..] => Modifier::Suggestion(weight(w)?),
                    [_, "request", w, ..] => Modifier::Request(weight(w)?),
                    [_, "keep", ..] => Modifier::Keep,
                    [_, "contrast", ..] => Modifier::Contrast,
                    [_, "concession", ..] => Modifier::Concession,
                    _ => {
                        return Err(bad(
                            cols.get(1).copied().unwrap_or(line),
                            "expected `term<TAB>negator[<TAB>weight[<TAB>reach]]`, `term<TAB>scale<TAB>factor`, \
                             `term<TAB>suggestion<TAB>weight`, `term<TAB>request<TAB>weight`, `term<TAB>keep`, `term<TAB>contrast` \
                             or `term<TAB>concession`",
                        ));
                    }
                };
                if cols[0].split_whitespace().count() > MAX_CUE {
                    return Err(bad(cols[0], "modifiers are at most two syllables"));
                }
                let (term, reading) = reading(cols[0]);
                if let Some(problem) = unaccented_problem(term, reading) {
                    return Err(bad(cols[0], problem));
                }
                self.add_modifier(term, modifier, reading)
                    .map_err(|n| bad(cols[0], &never_counts(cols[0], n, MAX_CUE)))?;
            } else {
                let (term, w, negated) = match cols.as_slice() {
                    [term, w] => (*term, weight(w)?, None),
                    [term, w, negated, ..] => (*term, weight(w)?, Some(weight(negated)?)),
                    _ => return Err(bad(cols.get(1).copied().unwrap_or(line), "expected `term<TAB>weight`")),
                };
                if name.starts_with("emoji") {
                    self.emoji.push((term.to_string(), w));
                } else {
                    // Dropped quietly, a term that can never count hid the mistake.
                    let written = term;
                    let (term, reading) = reading(written);
                    if let Some(problem) = unaccented_problem(term, reading) {
                        return Err(bad(written, problem));
                    }
                    self.add_entry(term, Entry { weight: w, negated }, reading)
                        .map_err(|n| bad(written, &never_counts(written, n, MAX_PHRASE)))?;
                }
            }
        }
        Ok(())
    }

    /// Add a weighted term.
    pub fn add_term(&mut self, term: &str, weight: f32) {
        // A term that can never count is left out, as a lexicon file would refuse it.
        let _ = self.add_entry(term, Entry { weight, negated: None }, Reading::Both);
    }

    /// `reading`: in which texts the term is read (see [`reading`]).
    /// Fails with the term's number of syllables when it can never be found (none, or more
    /// than a term may have).
    fn add_entry(&mut self, term: &str, entry: Entry, reading: Reading) -> Result<(), usize> {
        let a = Analysis::new(term);
        if a.is_empty() || a.len() > MAX_PHRASE {
            return Err(a.len());
        }
        if reading != Reading::Unaccented {
            self.exact.insert(a.joined(View::Exact).to_string(), entry);
        }
        if reading == Reading::Accented || !foldable(&a) {
            return Ok(());
        }
        // Folding can merge words of opposite meaning; keep the stronger reading.
        let folded = a.joined(View::Folded).to_string();
        let slot = self.folded.entry(folded).or_insert(entry);
        if entry.strength() > slot.strength() {
            *slot = entry;
        }
        Ok(())
    }

    /// Fails with the modifier's number of syllables when it can never be found.
    fn add_modifier(&mut self, term: &str, modifier: Modifier, reading: Reading) -> Result<(), usize> {
        let a = Analysis::new(term);
        if a.is_empty() || a.len() > MAX_CUE {
            return Err(a.len());
        }
        if reading != Reading::Unaccented {
            self.modifiers.insert(a.joined(View::Exact).to_string(), modifier);
        }
        if reading != Reading::Accented && foldable(&a) {
            self.folded_modifiers.insert(a.joined(View::Folded).to_string(), modifier);
        }
        Ok(())
    }

    /// Number of weighted terms.
    pub fn len(&self) -> usize {
        self.exact.len()
    }

    /// Whether no terms are loaded.
    pub fn is_empty(&self) -> bool {
        self.exact.is_empty()
    }
}

/// In which texts a lexicon entry is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reading {
    Both,
    /// Written `=term`: only in text written with diacritics, as unaccented its spelling is
    /// mostly another word (`=ngu`, stupid, is `ngủ`, to sleep, in posts typed without marks;
    /// `=thay`, a request, is `thầy` or `thấy`).
    Accented,
    /// Written `~term`: only in text written without diacritics, as the unaccented spelling of
    /// a word is another word in text with them (`~qua` is `quá`, "too", in a post typed without
    /// marks, but `qua`, "via", in `lừa đảo qua mạng`).
    Unaccented,
}

/// Why a `~` entry could never count: one syllable with marks is never found in text typed
/// without them (longer terms are matched there by their folded form).
fn unaccented_problem(term: &str, reading: Reading) -> Option<&'static str> {
    (reading == Reading::Unaccented && !term.is_ascii() && term.split_whitespace().count() == 1)
        .then_some("a `~` entry is read only in text typed without marks: write its one syllable without them (`~qua`)")
}

/// The term of a lexicon entry as written, and in which texts it is read.
fn reading(written: &str) -> (&str, Reading) {
    if let Some(term) = written.strip_prefix('=') {
        (term.trim_start(), Reading::Accented)
    } else if let Some(term) = written.strip_prefix('~') {
        (term.trim_start(), Reading::Unaccented)
    } else {
        (written, Reading::Both)
    }
}

/// Why a lexicon term of `syllables` syllables (`written` as in the file) could never be found
/// in a text: no letter or digit, or more syllables than a term may have (`most`).
fn never_counts(written: &str, syllables: usize, most: usize) -> String {
    if syllables == 0 {
        format!("`{written}` has no letter or digit: it would never be found")
    } else {
        format!("`{written}` has {syllables} syllables: a term counts at most {most}")
    }
}

/// Whether a term or modifier also matches unaccented text by its folded form. One accented
/// syllable without its marks is too often another word (`tồi`/`tôi`, `bẩn`/`bạn`, `rối`/`rồi`):
/// it matches unaccented text only where the lexicon lists the unaccented spelling itself (`tot`).
fn foldable(a: &Analysis) -> bool {
    a.len() > 1 || a.joined(View::Folded) == a.joined(View::Exact)
}

/// What kind of text is scored. The cues of a writer's own voice (a request or wish, which
/// criticises what is: `mong thầy giảng chậm hơn`; a bare comparative, `giảng chi tiết hơn .`; a
/// negation with no term after it, `thầy không check mail`) count only in an opinion: news reports
/// requests and wishes (`Thủ tướng yêu cầu đảm bảo an toàn`), opens headlines with a verb (`Tăng
/// lương cơ sở …`) and states facts with a negator (`chưa ghi nhận ca mắc mới`). A news item's
/// headline, lead and body are weighed apart ([`NewsParts`]) and it is labelled at
/// [`NEWS_LABEL_THRESHOLD`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Register {
    /// Comments, reviews, social posts, feedback.
    #[default]
    Opinion,
    /// News articles and their headlines.
    News,
}

impl std::str::FromStr for Register {
    type Err = String;

    fn from_str(s: &str) -> Result<Register, String> {
        match s {
            "opinion" => Ok(Register::Opinion),
            "news" => Ok(Register::News),
            other => Err(format!("unknown register `{other}`: expected `opinion` or `news`")),
        }
    }
}

/// Scores texts with a [`Lexicon`].
#[derive(Debug, Clone, Default)]
pub struct SentimentAnalyzer {
    lexicon: Lexicon,
}

/// A lexicon term found in a text, by token range.
struct Found {
    first: usize,
    last: usize,
    entry: Entry,
    term: String,
}

/// A sentence-level cue found in a text, by token range.
struct Cue {
    first: usize,
    last: usize,
    kind: Modifier,
}

/// Where tokens sit: sentence and clause numbers, by token.
struct Layout {
    sentence: Vec<usize>,
    clause: Vec<usize>,
    /// See [`Analysis::phrase_breaks`].
    breaks: Vec<usize>,
}

impl SentimentAnalyzer {
    /// An analyzer over `lexicon`.
    pub fn new(lexicon: Lexicon) -> Self {
        SentimentAnalyzer { lexicon }
    }

    /// Number of weighted terms in the lexicon.
    pub fn lexicon_len(&self) -> usize {
        self.lexicon.len()
    }

    /// Score one text as an opinion (a comment, review or post).
    pub fn score(&self, text: &str) -> Sentiment {
        self.score_as(text, Register::Opinion)
    }

    /// Score one text in a register.
    pub fn score_as(&self, text: &str, register: Register) -> Sentiment {
        let a = Analysis::new(text);
        self.score_analyzed(&[(text, &a)], register)
    }

    /// Score several fields (e.g. title and body) together.
    pub fn score_analyzed(&self, fields: &[(&str, &Analysis)], register: Register) -> Sentiment {
        let mut terms = Vec::new();
        // Emoji counted so far, over all the fields: the cap is per item.
        let mut counted = HashMap::new();
        let threshold = match register {
            Register::Opinion => {
                for (text, analysis) in fields {
                    self.score_field(text, analysis, register, &mut terms);
                    self.score_emoji(text, &mut counted, &mut terms);
                }
                LABEL_THRESHOLD
            }
            Register::News => {
                self.score_news(fields, &mut counted, &mut terms);
                NEWS_LABEL_THRESHOLD
            }
        };
        let sum: f32 = terms.iter().map(|t| t.weight).sum();
        let score = if sum == 0.0 { 0.0 } else { sum / (sum * sum + 15.0).sqrt() };
        let label = if score <= -threshold {
            Label::Negative
        } else if score >= threshold {
            Label::Positive
        } else {
            Label::Neutral
        };
        Sentiment { score: (score * 1000.0).round() / 1000.0, label, terms }
    }

    /// Scores a news item part by part (see [`NewsParts`]); each term's weight is what it adds
    /// to the item's, its part's factor included, so that the terms still sum to the score.
    fn score_news(
        &self,
        fields: &[(&str, &Analysis)],
        counted: &mut HashMap<String, u8>,
        out: &mut Vec<SentimentTerm>,
    ) {
        let mut parts: [Vec<SentimentTerm>; 3] = Default::default();
        // Sentences of the item before the field; a title is one however it is punctuated.
        let mut before = 0;
        for (i, (text, a)) in fields.iter().enumerate() {
            let emoji = self.emoji_in(text, counted);
            if i == 0 && fields.len() > 1 {
                self.score_field(text, a, Register::News, &mut parts[0]);
                parts[0].extend(emoji.into_iter().map(|(_, term)| term));
                before = usize::from(!parts[0].is_empty() || !a.is_empty());
                continue;
            }
            let layout = Layout::of(text, a);
            let part_of = |k: usize| NewsParts::part(before + layout.sentence[k]);
            self.score_runs(text, a, &layout, Register::News, part_of, &mut parts);
            // An emoji counts with the sentence it ends (`Tin buồn. T_T`): that of the last word
            // before it, or the first where none is.
            for (at, term) in emoji {
                let words_before = a.spans.partition_point(|&(_, end)| end <= at);
                let sentence = layout.sentence.get(words_before.saturating_sub(1)).copied().unwrap_or(0);
                parts[NewsParts::part(before + sentence)].push(term);
            }
            before += layout.sentence.last().map_or(0, |s| s + 1);
        }
        let body = parts[2].len().max(1) as f32;
        let factors = [NewsParts::HEADLINE, NewsParts::LEAD, NewsParts::BODY / body.sqrt()];
        for (terms, factor) in parts.into_iter().zip(factors) {
            out.extend(terms.into_iter().map(|t| SentimentTerm { weight: t.weight * factor, ..t }));
        }
    }

    /// Scores a field. Nothing in the scoring reaches across a sentence, while its look-ups of
    /// cues and terms run over the whole text given: a long field is scored a stretch of whole
    /// sentences at a time (a sentence longer than a stretch is cut), so its cost stays linear,
    /// where a long text without full stops (`tốt hơn tốt hơn …`, 352 KB) took minutes.
    fn score_field(&self, text: &str, a: &Analysis, register: Register, out: &mut Vec<SentimentTerm>) {
        if a.len() <= MAX_STRETCH {
            return self.score_stretch(text, a, register, out);
        }
        self.score_runs(text, a, &Layout::of(text, a), register, |_| 0, std::slice::from_mut(out));
    }

    /// Scores a field a run of tokens at a time, each run's terms into `parts[part_of(token)]`: a
    /// run ends where the part changes or, past [`MAX_STRETCH`] tokens, at the last sentence start
    /// before that (a sentence longer than a stretch is cut). A run's text reaches to the next
    /// run's first token, so the punctuation that ends its last sentence is read with it; a field
    /// that is one run is scored with its own analysis, the others are analysed run by run.
    fn score_runs(
        &self,
        text: &str,
        a: &Analysis,
        layout: &Layout,
        register: Register,
        part_of: impl Fn(usize) -> usize,
        parts: &mut [Vec<SentimentTerm>],
    ) {
        let mut from = 0;
        while from < a.len() {
            let part = part_of(from);
            let longest = (from + MAX_STRETCH).min(a.len());
            let mut to = (from + 1..longest).find(|&k| part_of(k) != part).unwrap_or(longest);
            // Cut for length: back to the last sentence start in the run, if there is one after `from`.
            if to < a.len()
                && part_of(to) == part
                && let Some(start) = (from + 1..to).rev().find(|&k| layout.sentence[k] != layout.sentence[k - 1])
            {
                to = start;
            }
            let Some(out) = parts.get_mut(part) else { return };
            if from == 0 && to == a.len() {
                self.score_stretch(text, a, register, out);
            } else {
                let start = if from == 0 { 0 } else { a.spans[from].0 };
                let end = a.spans.get(to).map_or(text.len(), |span| span.0);
                if let Some(piece) = text.get(start..end) {
                    self.score_stretch(piece, &Analysis::new(piece), register, out);
                }
            }
            from = to;
        }
    }

    fn score_stretch(&self, text: &str, a: &Analysis, register: Register, out: &mut Vec<SentimentTerm>) {
        // Unaccented text (social posts) is looked up in the folded lexicon; text with teencode
        // or stretched words in the informal view, where `ko` is `không` and `quáaaa` is `quá`.
        // Only the words decide: an emoji, `…` or a curly quote does not make a text accented.
        let unaccented = a.len() >= 2 && a.view_tokens(View::Exact).all(str::is_ascii);
        let informal = a.view_tokens(View::Exact).any(duluan_text::marks_informal);
        let (view, lexicon, modifiers) = match (unaccented, informal) {
            (true, false) => (View::Folded, &self.lexicon.folded, &self.lexicon.folded_modifiers),
            (true, true) => (View::InformalFolded, &self.lexicon.folded, &self.lexicon.folded_modifiers),
            (false, false) => (View::Exact, &self.lexicon.exact, &self.lexicon.modifiers),
            (false, true) => (View::Informal, &self.lexicon.exact, &self.lexicon.modifiers),
        };
        let layout = Layout::of(text, a);
        // Requests and wishes voice the writer's own criticism only in an opinion: news reports
        // them (`Thủ tướng yêu cầu …`) or opens headlines with a verb (`Đầu tư 2.000 tỷ …`).
        let voiced = register == Register::Opinion;
        let found = find_terms(text, a, (view, voiced), lexicon, modifiers, &layout);
        let marks = Marks::of(a, &found);
        let cues = find_cues(text, a, (view, voiced), modifiers, &marks.in_term, &layout);
        let suggestions = if voiced { self.suggestions(a, view, &cues, &found, &layout) } else { Vec::new() };
        // Contributions by the token they start at, reported in text order.
        let mut terms: Vec<(usize, SentimentTerm)> = Vec::new();
        for s in &suggestions {
            let cue = &cues[s.cue];
            if s.weight != 0.0 {
                terms.push((cue.first, cue_term(text, a, cue, s.weight)));
            }
        }
        for cue in &cues {
            if let Modifier::Negator(w, ..) = cue.kind
                && w != 0.0
                && voiced
                && self.bare_negation(a, view, cue, &cues, &found, &layout)
            {
                terms.push((cue.first, cue_term(text, a, cue, w)));
            }
            if let Modifier::Hedge(_, w) = cue.kind
                && bare_hedge(cue, &found, &layout)
            {
                terms.push((cue.first, cue_term(text, a, cue, w)));
            }
        }
        // A bare comparative that follows no term still asks for more (`giải bài tập nhiều hơn .`).
        for j in (1..a.len()).filter(|_| voiced) {
            if bare_comparative(a, view, j - 1, j - 1, &layout)
                && !found.iter().any(|f| f.last + 1 == j)
                && !suggestions.iter().any(|s| s.covers(j, &cues, &layout))
            {
                terms.push((j, cue_term(text, a, &Cue { first: j, last: j, kind: Modifier::Keep }, BARE_COMPARATIVE)));
            }
        }
        for f in found {
            let (scale, mut negated) = self.modify(text, a, view, modifiers, &marks, &f);
            let value = |negated: bool| {
                scale
                    * if negated { f.entry.negated.unwrap_or(f.entry.weight * NEGATION_FACTOR) } else { f.entry.weight }
            };
            let mut weight = value(negated);
            if suggestions.iter().any(|s| s.covers(f.first, &cues, &layout))
                || (voiced && bare_comparative(a, view, f.first, f.last, &layout))
            {
                // What is wished for is missing; what is wished away is there.
                if !negated && (weight > 0.0 || f.entry.negated.is_some()) {
                    negated = true;
                    weight = value(true);
                } else if weight > 0.0 {
                    negated = false;
                    weight *= NEGATION_FACTOR;
                }
            }
            if damped(f.first, f.last, &cues, &layout) {
                weight *= CONTRAST_FACTOR;
            } else if after_contrast(f.first, &cues, &layout) {
                weight *= AFTER_CONTRAST_FACTOR;
            }
            if weight != 0.0 {
                terms
                    .push((f.first, SentimentTerm { term: f.term, weight: (weight * 100.0).round() / 100.0, negated }));
            }
        }
        // A contrast whose own part holds no term still turns against what came before it
        // (`dạy hay nhưng hay cho nghỉ`): it counts as that part, mirrored.
        for cue in cues.iter().filter(|c| c.kind == Modifier::Contrast) {
            let sentence = layout.sentence[cue.first];
            let in_sentence = |at: usize| at < a.len() && layout.sentence[at] == sentence;
            let before: f32 =
                terms.iter().filter(|(at, _)| *at < cue.first && in_sentence(*at)).map(|(_, t)| t.weight).sum();
            let after = terms.iter().any(|(at, _)| *at > cue.last && in_sentence(*at));
            // Judged once rounded: terms that cancel out (`-0.74 + 0.75 - 0.01`) leave a float
            // residue, not zero, which would be reported as a contribution of 0.
            let weight = (-before * AFTER_CONTRAST_FACTOR * 100.0).round() / 100.0;
            if weight != 0.0 && !after && in_sentence(cue.last + 1) {
                terms.push((cue.first, cue_term(text, a, cue, weight)));
            }
        }
        terms.sort_by_key(|(at, _)| *at);
        out.extend(terms.into_iter().map(|(_, t)| t));
    }

    /// Whether a negator negates no lexicon term: something follows it in its clause, that is not
    /// a term within reach nor a suggestion (`không cần`), and it does not end a question (see
    /// [`asks`]). Negation in a review or a complaint is itself a sign of something missing
    /// (`thầy không check mail`).
    fn bare_negation(
        &self,
        a: &Analysis,
        view: View,
        cue: &Cue,
        cues: &[Cue],
        found: &[Found],
        layout: &Layout,
    ) -> bool {
        let clause = layout.clause[cue.last];
        let next = cue.last + 1;
        let continues = layout.clause.get(next) == Some(&clause);
        let negates_term = found
            .iter()
            .any(|f| f.first > cue.last && f.first <= cue.last + NEGATION_WINDOW && layout.clause[f.first] == clause);
        let before_cue = cues.iter().any(|c| {
            c.first == next
                && matches!(
                    c.kind,
                    Modifier::Suggestion(_) | Modifier::Negator(..) | Modifier::Scale(_) | Modifier::Hedge(..)
                )
        });
        continues && !negates_term && !before_cue && !asks(a, view, cue, layout)
    }

    /// The suggestions that criticise: not cancelled by a negator before them, not a conjunction
    /// ("so", after a cause or a predicate), not a wish to keep things; the first per sentence.
    fn suggestions(&self, a: &Analysis, view: View, cues: &[Cue], found: &[Found], layout: &Layout) -> Vec<Suggestion> {
        let mut out: Vec<Suggestion> = Vec::new();
        for (i, cue) in cues.iter().enumerate() {
            let Modifier::Suggestion(weight) = cue.kind else {
                continue;
            };
            let sentence = layout.sentence[cue.first];
            if out.iter().any(|s| s.weight != 0.0 && layout.sentence[cues[s.cue].first] == sentence) {
                continue;
            }
            let negated = cues.iter().any(|c| matches!(c.kind, Modifier::Negator(..)) && c.last + 1 == cue.first)
                && layout.clause[cue.first - 1] == layout.clause[cue.first];
            let after_cause = (0..cue.first).any(|k| layout.sentence[k] == sentence && is_cause_word(a.token(view, k)));
            let after_predicate = found.iter().any(|f| {
                f.last < cue.first
                    && layout.clause[f.last] == layout.clause[cue.first]
                    && !cues.iter().any(|c| {
                        matches!(c.kind, Modifier::Contrast | Modifier::Concession)
                            && c.first > f.last
                            && c.last < cue.first
                    })
                    && !(f.last + 1..cue.first).any(|k| is_clause_word(a.token(view, k)))
            });
            // `nên mua thêm máy chiếu` asks for more: no keep word before `thêm`.
            let more = |c: &Cue| c.last + 1 < a.len() && matches!(a.token(view, c.last + 1), "thêm" | "them");
            let keep = cues.iter().any(|c| {
                c.kind == Modifier::Keep
                    && c.first > cue.last
                    && c.first <= cue.last + KEEP_WINDOW
                    && layout.sentence[c.first] == sentence
                    && !more(c)
            });
            if !(negated || after_cause || after_predicate || keep) {
                out.push(Suggestion { cue: i, weight });
            }
        }
        out
    }

    /// Negators and intensifiers around a found term: the factor its weight is scaled by, and
    /// whether it is negated.
    fn modify(
        &self,
        text: &str,
        a: &Analysis,
        view: View,
        modifiers: &HashMap<String, Modifier>,
        Marks { inside, opens, in_term, weighted }: &Marks,
        f: &Found,
    ) -> (f32, bool) {
        let mut scale = 1.0;
        let mut negated = false;
        // Look back within the clause.
        let mut k = f.first;
        let mut steps = 0;
        // Words between a negator and the term that only name the thing (`giảm tình trạng ùn
        // tắc`): a negator's reach does not count them.
        let mut fillers = 0;
        let mut joined = false;
        // A second negator further back negates again only across words that link a double
        // negation (`không phải là không tốt`, `không có gì không tốt`); across others it
        // belongs to a predicate of its own (`không đẹp không tốt` is neither, not `tốt`).
        let mut flipped = false;
        let mut only_links = true;
        while k > 0 && steps < NEGATION_WINDOW {
            if clause_break(text, a, k - 1, k) {
                break;
            }
            k -= 1;
            steps += 1;
            let one = a.token(view, k);
            // `chưa được một năm đã hỏng` ("not a year old and already broken"): what follows
            // `đã` is said of its own, not negated from before it; but `chưa chắc đã tốt` and
            // `không hẳn đã` are "not necessarily".
            let necessarily = || k > 0 && matches!(a.token(view, k - 1), "chắc" | "hẳn" | "gì" | "phải");
            if one == "đã" && !inside[k] && !necessarily() {
                break;
            }
            let two = (k > 0).then(|| format!("{} {}", a.token(view, k - 1), one));
            // A word inside a longer lexicon phrase belongs to it (`không khí` is air, not `không`),
            // unless the phrase opens with a negator (`hạn chế ô nhiễm`, `khắc phục sự cố`; in `ở
            // đâu có` the `đâu có` asks where).
            let pair = two.as_deref().and_then(|t| modifiers.get(t)).filter(|m| {
                (!inside[k] && !inside[k - 1]) || (inside[k] && opens[k - 1] && matches!(m, Modifier::Negator(..)))
            });
            let single = (!unit_k(text, a, k)).then(|| modifiers.get(one)).flatten();
            let modifier = pair.or(if inside[k] { None } else { single });
            // A two-word modifier (`không hề`, `cực kỳ`) is one cue: its first word is not read
            // again on its own, where `không` would undo the negation and `cực` scale twice.
            if pair.is_some() {
                k -= 1;
                steps += 1;
            }
            // Another term joined to this one by `và`, `lại`…: the negator before it negates
            // that term, not this one (`không ngon lại đắt`: `đắt` is not negated). Without a
            // conjunction the negation governs the whole predicate (`chưa đạt hiệu quả tốt`). A
            // term that is a modifier too counts as one (`hạn chế ô nhiễm`).
            if modifier.is_none() && in_term[k] && joined {
                break;
            }
            joined |= is_conjunction(one);
            match modifier {
                Some(Modifier::Negator(..)) if never_so(text, a, k, f.last) => {}
                Some(Modifier::Negator(_, reach, counters)) if steps - fillers <= *reach => {
                    if flipped && !only_links {
                        break;
                    }
                    if !*counters || f.entry.weight < 0.0 {
                        negated = !negated;
                        flipped = true;
                        only_links = true;
                    }
                }
                // Only an intensifier right before the term scales it.
                Some(Modifier::Scale(s) | Modifier::Hedge(s, _)) if steps <= 2 => scale *= s,
                // A negator does not reach across a contrast, a concession or a suggestion.
                Some(Modifier::Contrast | Modifier::Concession | Modifier::Suggestion(_)) => break,
                _ => {}
            }
            if is_clause_word(one) {
                break;
            }
            if flipped && modifier.is_none() && !links_double_negation(one) {
                only_links = false;
            }
            // The words of another term of the same object (`chống lãng phí tham nhũng`) count no
            // more than fillers: the negation governs the whole object.
            if modifier.is_none() && (is_filler(a, k) || in_term[k]) {
                fillers += 1;
            }
        }
        // Post-modifiers: "đẹp quá", "tốt lắm", "đẹp vô cùng" (two words read first).
        let after = |n: usize| {
            let last = f.last + n;
            let apart = || (f.last..last).any(|k| clause_break(text, a, k, k + 1) || inside[k + 1]);
            (last < a.len() && !apart()).then(|| modifiers.get(a.joined_tokens(view, f.last + 1, last))).flatten()
        };
        if let Some(Modifier::Scale(s) | Modifier::Hedge(s, _)) = after(2).or_else(|| after(1)) {
            scale *= s;
        }
        // After a negator `đâu` only stresses it (`không tốt đâu`, `không phải là không tốt đâu`).
        if !flipped && denied_after(text, a, view, f.last) {
            negated = true;
        }
        if let Some(strength) = decreased_after(text, a, view, weighted, f.last) {
            negated = !negated;
            scale *= strength;
        }
        (scale, negated)
    }

    /// Each emoji or emoticon once where it stands, the longest entry where several start at one
    /// place: `:((` is not also `:(`, nor `❤️` also `❤`. Three of one entry at most count.
    /// `counted`: how often each emoji counted already, by its form without variation selectors
    /// (`❤️` and `❤` are one emoji).
    fn score_emoji(&self, text: &str, counted: &mut HashMap<String, u8>, out: &mut Vec<SentimentTerm>) {
        out.extend(self.emoji_in(text, counted).into_iter().map(|(_, term)| term));
    }

    /// [`SentimentAnalyzer::score_emoji`], each with the byte offset where it starts.
    fn emoji_in(&self, text: &str, counted: &mut HashMap<String, u8>) -> Vec<(usize, SentimentTerm)> {
        let mut out = Vec::new();
        // (start, end, entry); a few per entry are enough to count three where they overlap others.
        let mut found: Vec<(usize, usize, usize)> = Vec::new();
        for (i, (emoji, _)) in self.lexicon.emoji.iter().enumerate() {
            // An emoticon runs into what follows it in formal text (`ĐT:(028)`, `Lưu ý:Dân cư`):
            // one followed by a letter or digit is not one.
            let emoticon = emoji.is_ascii();
            let standalone = |end: usize| !(emoticon && text[end..].chars().next().is_some_and(char::is_alphanumeric));
            found.extend(
                text.match_indices(emoji.as_str())
                    .map(|(at, m)| (at, at + m.len(), i))
                    .filter(|&(_, end, _)| standalone(end))
                    .take(EMOJI_SEEN),
            );
        }
        found.sort_unstable_by_key(|&(start, end, _)| (start, std::cmp::Reverse(end)));
        let mut taken_to = 0;
        for (start, end, i) in found {
            if start < taken_to {
                continue;
            }
            taken_to = end;
            let (emoji, weight) = &self.lexicon.emoji[i];
            let count = counted.entry(emoji.replace('\u{FE0F}', "")).or_insert(0);
            if *count < 3 {
                *count += 1;
                out.push((start, SentimentTerm { term: emoji.clone(), weight: *weight, negated: false }));
            }
        }
        out
    }
}

/// Occurrences of one emoji entry looked at: bounds the work on a text made of emoji.
const EMOJI_SEEN: usize = 64;

/// A suggestion that criticises, by index into the cues.
struct Suggestion {
    cue: usize,
    weight: f32,
}

impl Suggestion {
    /// Whether the term starting at token `first` is wished for: after the cue in its sentence,
    /// with no contrast in between.
    fn covers(&self, first: usize, cues: &[Cue], layout: &Layout) -> bool {
        let cue = &cues[self.cue];
        cue.last < first
            && layout.sentence[cue.last] == layout.sentence[first]
            && !cues.iter().any(|c| c.kind == Modifier::Contrast && c.first > cue.last && c.last < first)
    }
}

/// A cue's own contribution.
fn cue_term(text: &str, a: &Analysis, cue: &Cue, weight: f32) -> SentimentTerm {
    let (start, end) = a.original_range(cue.first, cue.last);
    SentimentTerm { term: text[start..end].to_string(), weight, negated: false }
}

/// Lexicon terms in `a`, longest match first, left to right.
/// A cue longer than the term at the same place wins (`yêu cầu` is a request, not `yêu`), and so
/// does a request opening a sentence (`cải thiện tốc độ mạng`).
/// `voiced`: see [`cue_at`].
fn find_terms(
    text: &str,
    a: &Analysis,
    (view, voiced): (View, bool),
    lexicon: &HashMap<String, Entry>,
    modifiers: &HashMap<String, Modifier>,
    layout: &Layout,
) -> Vec<Found> {
    let longest = |i: usize| {
        (1..=MAX_PHRASE.min(a.len().saturating_sub(i)))
            .rev()
            .filter(|&n| layout.within_phrase(i, n))
            .find_map(|n| lexicon.get(a.joined_tokens(view, i, i + n - 1)).map(|&entry| (n, entry)))
    };
    let mut found = Vec::new();
    // Which sentences are written in title case, worked out at the first title-case term.
    let titled = std::cell::OnceCell::new();
    let mut i = 0;
    while i < a.len() {
        let matched = longest(i);
        // A term that opens with an intensifier or diminisher (`quá đáng`, `hơi nhanh`) gives way
        // to a term right after the modifier that reaches further: `quá đáng yêu` is `quá` and
        // `đáng yêu`, `quá nhanh gọn` is `quá` and `nhanh gọn`.
        if let Some((n, _)) = matched
            && n > 1
            && matches!(modifiers.get(a.token(view, i)), Some(Modifier::Scale(_) | Modifier::Hedge(..)))
            && longest(i + 1).is_some_and(|(m, _)| m + 1 > n)
        {
            i += 1;
            continue;
        }
        if matched.is_some_and(|(n, _)| n == 1)
            && often(text, a, view, modifiers, i)
            && !longest(i + 1).is_some_and(|(_, next)| next.weight > 0.0)
        {
            i += 1;
            continue;
        }
        let cue = cue_at(text, a, (view, voiced), modifiers, layout, i);
        if let Some((n, kind, request)) = cue
            && !matches!(kind, Modifier::Negator(..) | Modifier::Scale(_) | Modifier::Hedge(..))
            && matched.is_none_or(|(m, _)| m < n || (request && m == n))
        {
            i += n;
            continue;
        }
        // Unaccented, a negator of several syllables spelled as a term is the negator: `dau co
        // tot` is `đâu có tốt`, not `đầu cơ` (speculation) and `tốt`. A negator longer than the
        // term at its place is the negator in text with marks, and a contraction in any text
        // (`won't` is no `won`); unaccented, `dep bo xu` is `đẹp bỏ xừ`, not `dẹp bỏ`.
        let folded = matches!(view, View::Folded | View::InformalFolded);
        let contraction = |i: usize| gap_after(text, a, i).contains(['\'', '’']);
        if let Some((n, Modifier::Negator(..), _)) = cue
            && n > 1
            && matched.is_some_and(|(m, _)| (m < n && (!folded || contraction(i))) || (m == n && folded))
        {
            i += n;
            continue;
        }
        // A phrase in title case inside a sentence is a name (`tỉnh Hòa Bình`, `phường Thành
        // Công`, `khu đô thị Phát Đạt`), not the words it is made of; so is one word in title
        // case right after another (`HLV Nguyễn Hữu Thắng`, `phường Quyết Thắng`; not `Ông Tuấn:
        // Tốt`). Not in a sentence written in title case throughout (`Sản Phẩm Tốt`, `Very Bad
        // Service`), where every word looks like a name.
        if let Some((n, _)) = matched
            && i > 0
            && layout.sentence[i] == layout.sentence[i - 1]
            && (n > 1 || (title_case(text, a, i - 1) && gap_after(text, a, i - 1).trim().is_empty()))
            && (i..i + n).all(|k| title_case(text, a, k))
            && !titled.get_or_init(|| titled_sentences(text, a, layout)).get(layout.sentence[i]).is_some_and(|&t| t)
        {
            i += n;
            continue;
        }
        match matched {
            Some((n, entry)) => {
                let (start, end) = a.original_range(i, i + n - 1);
                found.push(Found { first: i, last: i + n - 1, entry, term: text[start..end].to_string() });
                i += n;
            }
            None => i += 1,
        }
    }
    found
}

/// Whether the negator at token `k` opens `chưa bao giờ … như vậy` ("never has it been so …")
/// around the term ending at `last`: an emphasis, not a negation (`chưa bao giờ thấy đường sạch
/// đẹp như vậy`). `như vậy` must follow the term (an intensifier may come between): in `chưa bao
/// giờ hài lòng với dịch vụ như vậy` it qualifies the service, and `hài lòng` is negated. Read
/// folded.
fn never_so(text: &str, a: &Analysis, k: usize, last: usize) -> bool {
    let folded = |i: usize| folded_at(a, Some(i));
    if !(folded(k) == "chua" && folded(k + 1) == "bao" && folded(k + 2) == "gio") {
        return false;
    }
    let so = |i: usize| {
        i + 1 < a.len()
            && !clause_break(text, a, i - 1, i)
            && !clause_break(text, a, i, i + 1)
            && matches!((folded(i), folded(i + 1)), ("nhu" | "den", "vay" | "the"))
    };
    so(last + 1) || (matches!(folded(last + 1), "qua" | "lam" | "den") && so(last + 2))
}

/// Whether a word of falling follows the term ending at `last` in its clause, before any other
/// weighted term (`tai nạn giao thông giảm mạnh`, `tỷ lệ thất nghiệp giảm còn 2,3%`, `tăng trưởng
/// kinh tế sụt giảm`): less of a trouble is good news, less of a good thing bad. Only with marks:
/// unaccented `giam` is as often `giam` (to detain). `Some` with the factor of the fall:
/// [`STEEP_FALL`] for a steep one (`giảm mạnh`, `sụt giảm mạnh`; not `giảm sâu`, where `sâu` is
/// as often the pest of `giảm sâu bệnh`).
fn decreased_after(text: &str, a: &Analysis, view: View, weighted: &[bool], last: usize) -> Option<f32> {
    if !matches!(view, View::Exact | View::Informal) {
        return None;
    }
    let falling = |k: usize| matches!(a.token(view, k), "giảm" | "sụt");
    let after = weighted.iter().enumerate().skip(last + 1).take(3);
    for (k, &weighs) in after {
        if clause_break(text, a, k - 1, k) {
            return None;
        }
        if falling(k) {
            // `giảm mạnh`, `sụt giảm mạnh`: a steep fall says more.
            let next = (k + 1..a.len()).find(|&j| !falling(j) || clause_break(text, a, j - 1, j));
            // Not `mạnh mẽ`, a term of its own.
            let steep = next.is_some_and(|j| {
                !clause_break(text, a, j - 1, j)
                    && a.token(view, j) == "mạnh"
                    && (j + 1 >= a.len() || a.token(view, j + 1) != "mẽ")
            });
            return Some(if steep { STEEP_FALL } else { 1.0 });
        }
        if weighs {
            return None;
        }
    }
    None
}

/// Per sentence of `layout`, whether it is written in title case: three words or more, and more
/// than half of them title case (`Giá Xăng Giảm Mạnh`, `Very Bad Service`).
fn titled_sentences(text: &str, a: &Analysis, layout: &Layout) -> Vec<bool> {
    let sentences = layout.sentence.last().map_or(0, |s| s + 1);
    let (mut titled, mut words) = (vec![0usize; sentences], vec![0usize; sentences]);
    for k in 0..a.len() {
        let s = layout.sentence[k];
        words[s] += 1;
        titled[s] += usize::from(title_case(text, a, k));
    }
    titled.iter().zip(&words).map(|(&t, &w)| w >= 3 && 2 * t > w).collect()
}

/// Whether token `k` is written with a capital and then small letters (`Bình`), as names are.
fn title_case(text: &str, a: &Analysis, k: usize) -> bool {
    let mut chars = written(text, a, k).chars();
    chars.next().is_some_and(char::is_uppercase) && {
        let rest = chars.as_str();
        !rest.is_empty() && rest.chars().all(|c| !c.is_uppercase()) && rest.chars().any(char::is_lowercase)
    }
}

/// Whether a clause-final `đâu` after the term ending at `last` denies it (`có ngon đâu`, `tốt gì
/// đâu`: "not good at all"); a question (`ngon đâu?`) asks where instead. Only with marks:
/// unaccented `dau` is as often `đau` or `dầu`.
fn denied_after(text: &str, a: &Analysis, view: View, last: usize) -> bool {
    if !matches!(view, View::Exact | View::Informal) {
        return false;
    }
    let at = |k: usize| (k < a.len() && !clause_break(text, a, k - 1, k)).then(|| a.token(view, k));
    let dau = match (at(last + 1), at(last + 2)) {
        (Some("đâu"), _) => last + 1,
        (Some("gì" | "lắm"), Some("đâu")) => last + 2,
        _ => return false,
    };
    let ends_clause = dau + 1 >= a.len() || clause_break(text, a, dau, dau + 1);
    let rest = a.spans.get(dau).and_then(|&(_, end)| text.get(end..)).unwrap_or_default();
    ends_clause && !rest.trim_start().starts_with(['?', '？'])
}

/// Whether token `i` is `hay` as "often" or "or" (`cán bộ hay vắng mặt`, `tăng hay giảm`), not
/// "good": "good" ends its clause or comes before an intensifier, a particle or a conjunction
/// (`dạy hay`, `hay quá`, `hay và bổ ích`), or before another word of praise (`hay dễ hiểu`,
/// which the caller checks).
fn often(text: &str, a: &Analysis, view: View, modifiers: &HashMap<String, Modifier>, i: usize) -> bool {
    if a.token(View::Folded, i) != "hay" || i + 1 >= a.len() || clause_break(text, a, i, i + 1) {
        return false;
    }
    let next = a.token(view, i + 1);
    // `hay còn gọi là` is "also called".
    if matches!(next, "còn" | "con") {
        return true;
    }
    let two = (i + 2 < a.len() && !clause_break(text, a, i + 1, i + 2)).then(|| a.joined_tokens(view, i + 1, i + 2));
    let modifier = two.and_then(|two| modifiers.get(two)).or_else(|| modifiers.get(next));
    let qualifies = matches!(modifier, Some(Modifier::Scale(_) | Modifier::Hedge(..) | Modifier::Contrast));
    !(qualifies
        || is_particle(next)
        || is_conjunction(next)
        || matches!(next, "thật" | "that" | "ghê" | "ghe" | "nhất" | "nhat" | "đấy" | "day" | "mà" | "ma"))
}

/// The longest modifier or cue starting at token `i`: its length, its role, and whether it is a
/// request opening a sentence (which then acts as a suggestion, in a `voiced` text, an opinion;
/// elsewhere a request is no cue).
fn cue_at(
    text: &str,
    a: &Analysis,
    (view, voiced): (View, bool),
    modifiers: &HashMap<String, Modifier>,
    layout: &Layout,
    i: usize,
) -> Option<(usize, Modifier, bool)> {
    let opens = i == 0 || layout.sentence[i] != layout.sentence[i - 1];
    let unit = unit_k(text, a, i);
    (1..=MAX_CUE.min(a.len() - i)).rev().filter(|&n| !(unit && n == 1) && layout.within_phrase(i, n)).find_map(|n| {
        match modifiers.get(a.joined_tokens(view, i, i + n - 1))? {
            Modifier::Request(w) if opens && voiced => Some((n, Modifier::Suggestion(*w), true)),
            Modifier::Request(_) => None,
            &kind => Some((n, kind, false)),
        }
    })
}

/// Whether token `k` is the letter `k` as a unit or a name (`30 k`, `vitamin K`), or `HK` as a
/// name (`giá vàng HK`), not the informal `không` (`k tốt`, `K thích` opening a sentence, `hk
/// hài lòng`).
fn unit_k(text: &str, a: &Analysis, k: usize) -> bool {
    let word_at = |i: usize| written(text, a, i);
    let before = k.checked_sub(1).map(word_at);
    // Beside lower case a capital letter is a name; in a post in capitals (`DỊCH VỤ K TỐT`,
    // `HK TỐT`) it is the informal `không` still.
    let lower_around =
        || [before.unwrap_or_default(), word_at(k + 1)].iter().any(|w| w.chars().any(char::is_lowercase));
    let word = word_at(k);
    // `HK` is Hong Kong or a school term (`học kỳ`), with or without a word before it.
    if word == "HK" {
        return lower_around();
    }
    let (Some(&(start, _)), Some(before), Some(&(_, before_end))) =
        (a.spans.get(k), before, k.checked_sub(1).and_then(|p| a.spans.get(p)))
    else {
        return false;
    };
    let gap = text.get(before_end..start).unwrap_or_default();
    match word {
        "k" => before.bytes().all(|b| b.is_ascii_digit()),
        "K" => before.bytes().all(|b| b.is_ascii_digit()) || (!gap.contains(SENTENCE_END) && lower_around()),
        _ => false,
    }
}

/// Where the found terms lie, token by token.
struct Marks {
    /// Inside a phrase of two or more syllables.
    inside: Vec<bool>,
    /// Opening a phrase of two or more syllables.
    opens: Vec<bool>,
    /// In a term, of one syllable or more.
    in_term: Vec<bool>,
    /// In a term that weighs something (not `kinh tế`, `không khí`).
    weighted: Vec<bool>,
}

impl Marks {
    fn of(a: &Analysis, found: &[Found]) -> Marks {
        let mut m = Marks {
            inside: vec![false; a.len()],
            opens: vec![false; a.len()],
            in_term: vec![false; a.len()],
            weighted: vec![false; a.len()],
        };
        for f in found {
            let tokens = f.first..=f.last;
            m.in_term[tokens.clone()].fill(true);
            if f.last > f.first {
                m.inside[tokens.clone()].fill(true);
                m.opens[f.first] = true;
            }
            if f.entry.weight != 0.0 || f.entry.negated.is_some() {
                m.weighted[tokens].fill(true);
            }
        }
        m
    }
}

/// Modifiers and cues on tokens that are not part of a found term, longest first.
fn find_cues(
    text: &str,
    a: &Analysis,
    (view, voiced): (View, bool),
    modifiers: &HashMap<String, Modifier>,
    covered: &[bool],
    layout: &Layout,
) -> Vec<Cue> {
    let mut cues = Vec::new();
    let mut i = 0;
    while i < a.len() {
        match cue_at(text, a, (view, voiced), modifiers, layout, i)
            .filter(|&(n, _, _)| !covered[i..i + n].iter().any(|&c| c))
        {
            Some((n, kind, _)) => {
                cues.push(Cue { first: i, last: i + n - 1, kind });
                i += n;
            }
            None => i += 1,
        }
    }
    cues
}

/// Whether the term ends its clause with a comparative that names no standard (`dạy chậm hơn .`,
/// `hợp lý hơn nữa`): a wish for change, unless a trend word says it happened (`ngày càng tốt
/// hơn`, see [`TREND_WORDS`]).
fn bare_comparative(a: &Analysis, view: View, first: usize, last: usize, layout: &Layout) -> bool {
    // The Vietnamese words compared here fold to plain ASCII.
    let folded = matches!(view, View::Folded | View::InformalFolded);
    let is = |k: usize, exact: &str, plain: &str| a.token(view, k) == if folded { plain } else { exact };
    let ends_clause = |k: usize| k >= a.len() || layout.clause[k] != layout.clause[last];
    let j = last + 1;
    if j >= a.len() || !is(j, "hơn", "hon") || layout.clause[j] != layout.clause[last] {
        return false;
    }
    let bare = ends_clause(j + 1) || (is(j + 1, "nữa", "nua") && ends_clause(j + 2));
    // Read back only through the clause, and only when it matters: reading from the text's start
    // for every token made long texts quadratic.
    // Unaccented, a word counts only where its spelling is mostly that word (`thay` is mostly
    // `thầy`, `dan` the `dân` of `người dân`).
    let trend = |k: usize, (exact, plain): (&str, Option<&str>)| match plain {
        Some(plain) => is(k, exact, plain),
        None => !folded && a.token(view, k) == exact,
    };
    bare && !(0..first).rev().take_while(|&k| layout.clause[k] == layout.clause[first]).any(|k| {
        TREND_WORDS.iter().any(|&w| trend(k, w))
            || (is(k, "một", "mot") && k > 0 && is(k - 1, "ngày", "ngay"))
            // The speakers of themselves, as the subject right before it: `tôi vui hơn`, not
            // `theo mình bài giảng chi tiết hơn`.
            || (k + 1 == first && !folded && matches!(a.token(view, k), "tôi" | "mình"))
    })
}

/// Words before a comparative that say a change happened, is happening or is seen (`ngày càng
/// tốt hơn`, `đã nhanh hơn`, `sẽ tốt hơn`, `giờ rẻ hơn`, `tôi thấy khỏe hơn`): a statement, not a
/// wish. Exact, and unaccented where that spelling is mostly the word.
const TREND_WORDS: [(&str, Option<&str>); 9] = [
    ("càng", Some("cang")),
    ("đã", Some("da")),
    ("đang", Some("dang")),
    ("sẽ", Some("se")),
    ("dần", None),
    ("rồi", Some("roi")),
    ("giờ", None),
    ("thấy", None),
    ("trước", Some("truoc")),
];

/// Whether a diminisher scales no term: none starts within two syllables after it in its clause,
/// and none ends right before it (`tốt hơi` is not Vietnamese, but `tốt lắm` is).
fn bare_hedge(cue: &Cue, found: &[Found], layout: &Layout) -> bool {
    let clause = layout.clause[cue.last];
    let continues = layout.clause.get(cue.last + 1) == Some(&clause);
    let scales = found.iter().any(|f| {
        (f.first > cue.last && f.first <= cue.last + 2 && layout.clause[f.first] == clause) || f.last + 1 == cue.first
    });
    continues && !scales
}

/// Whether a contrast comes before token `first` in its sentence.
fn after_contrast(first: usize, cues: &[Cue], layout: &Layout) -> bool {
    cues.iter()
        .any(|c| c.kind == Modifier::Contrast && c.last < first && layout.sentence[c.last] == layout.sentence[first])
}

/// Whether the term at tokens `first..=last` counts less: a contrast follows it in its sentence,
/// or it sits in a concession's clause.
fn damped(first: usize, last: usize, cues: &[Cue], layout: &Layout) -> bool {
    cues.iter().any(|c| match c.kind {
        Modifier::Contrast => c.first > last && layout.sentence[c.first] == layout.sentence[last],
        Modifier::Concession => {
            c.last < first
                && layout.clause[c.last] == layout.clause[first]
                && !cues.iter().any(|d| d.kind == Modifier::Contrast && d.first > c.last && d.last < first)
        }
        _ => false,
    })
}

impl Layout {
    fn of(text: &str, a: &Analysis) -> Layout {
        let mut sentence = Vec::with_capacity(a.len());
        let mut clause = Vec::with_capacity(a.len());
        let (mut s, mut c) = (0, 0);
        for k in 0..a.len() {
            if k > 0 {
                let gap = text.get(a.spans[k - 1].1..a.spans[k].0).unwrap_or("");
                if ends_sentence(gap) {
                    s += 1;
                }
                if gap.contains(CLAUSE_END) {
                    c += 1;
                }
            }
            sentence.push(s);
            clause.push(c);
        }
        Layout { sentence, clause, breaks: a.phrase_breaks().collect() }
    }

    /// Whether tokens `i..i + n` lie within one phrase: a term or cue of several syllables
    /// does not run across the end of a sentence or clause (`tin. Giả sử` holds no `tin giả`),
    /// as in the rules.
    fn within_phrase(&self, i: usize, n: usize) -> bool {
        let from = self.breaks.partition_point(|&b| b <= i);
        self.breaks.get(from).is_none_or(|&b| b >= i + n)
    }
}

/// The parts of a news item, weighed apart: news is written as an inverted pyramid, its
/// headline and lead saying what the story is and the body adding detail, quotes and
/// background, whose words (`tốt`, `chết`, `thành công` in a quote or an aside) outnumber the
/// headline's and, summed, made nearly every article positive or negative (1 neutral of 80
/// hand-labelled articles, of which 31 neutral). The headline (the title, or the first sentence
/// where there is none) counts double, the next [`NewsParts::LEAD_SENTENCES`] sentences half,
/// and the body a quarter of its sum over the square root of its number of terms: a body that
/// leans one way throughout still counts, a long one of mixed words little. Chosen on 80
/// hand-labelled VNTC articles and checked on 60 others (`benches/news-tone.tsv`).
struct NewsParts;

impl NewsParts {
    const HEADLINE: f32 = 2.0;
    const LEAD: f32 = 0.5;
    const BODY: f32 = 0.25;
    const LEAD_SENTENCES: usize = 2;

    /// The part of the item's sentence `sentence` (from 0): 0 headline, 1 lead, 2 body.
    fn part(sentence: usize) -> usize {
        match sentence {
            0 => 0,
            s if s <= NewsParts::LEAD_SENTENCES => 1,
            _ => 2,
        }
    }
}

/// Whether the text between two tokens ends a sentence: a full stop does only before a space or
/// line break, as in the text layer's phrase breaks (`TP.HCM`, `1.500`, `PGS.TS` are inside one).
fn ends_sentence(gap: &str) -> bool {
    gap.contains(|c: char| c != '.' && SENTENCE_END.contains(&c))
        || (gap.contains('.') && gap.contains(char::is_whitespace))
}

/// Punctuation that ends a sentence (`…` too: `Tôi không… Dịch vụ tốt`).
const SENTENCE_END: [char; 9] = ['.', ';', '!', '?', '\n', '\r', '…', '！', '？'];
/// Punctuation that ends a clause.
const CLAUSE_END: [char; 12] = ['.', ',', ';', ':', '!', '?', '\n', '\r', '…', '！', '？', '，'];

/// Words that may stand between the two negators of a double negation (`không phải là không`,
/// `không có gì không`, `không ai không`, `không một ai không`, `không người nào không`, `không
/// thể không`), accented or not.
fn links_double_negation(token: &str) -> bool {
    matches!(
        token,
        "phải"
            | "phai"
            | "là"
            | "la"
            | "thể"
            | "the"
            | "ai"
            | "gì"
            | "gi"
            | "có"
            | "co"
            | "hề"
            | "he"
            | "nào"
            | "nao"
            | "một"
            | "mot"
            | "người"
            | "nguoi"
    )
}

fn is_clause_word(token: &str) -> bool {
    matches!(token, "nhưng" | "nhung" | "mà" | "ma" | "tuy" | "but" | "however")
}

/// Whether a negator ends a yes/no question: `có` or `được` (or `đã`, before `chưa`) comes before
/// it in its clause, and only particles and forms of address follow it (`có cúp nước ko mn`,
/// `được không ạ`, `đã tiêm mũi 3 chưa ạ`), where it asks and negates nothing. `vẫn chưa mn ạ`
/// ("still not, folks") is no question.
fn asks(a: &Analysis, view: View, cue: &Cue, layout: &Layout) -> bool {
    let clause = layout.clause[cue.last];
    let not_yet = a.token(View::Folded, cue.first) == "chua";
    let before = || (0..cue.first).rev().take_while(|&k| layout.clause[k] == clause);
    // `đã báo rồi vẫn chưa` ("reported, and still not") states.
    let still = before().any(|k| matches!(a.token(View::Folded, k), "van" | "roi"));
    let opens = before().any(|k| {
        matches!(a.token(view, k), "có" | "co" | "được" | "duoc")
            || (not_yet && !still && matches!(a.token(view, k), "đã" | "da"))
    });
    opens && (cue.last + 1..a.len()).take_while(|&k| layout.clause[k] == clause).all(|k| is_particle(a.token(view, k)))
}

/// The folded form of token `i`, empty where there is none (before the first, past the last).
fn folded_at(a: &Analysis, i: Option<usize>) -> &str {
    i.filter(|&i| i < a.len()).map_or("", |i| a.token(View::Folded, i))
}

/// Whether token `k` only names the thing a negator governs (`các`, `những`, `việc`, `nạn`,
/// `tình trạng`, `hiện tượng`; in crime news `vụ`, `ổ`, `băng`, `đường dây`, `hành vi`), read folded, so that unaccented text counts them too (but for
/// `nhung`, which may be `nhưng` there and ends the negator's clause first).
fn is_filler(a: &Analysis, k: usize) -> bool {
    let at = |i: Option<usize>| folded_at(a, i);
    match at(Some(k)) {
        "cac" | "nhung" | "viec" | "nan" => true,
        "tinh" => at(Some(k + 1)) == "trang",
        "trang" => at(k.checked_sub(1)) == "tinh",
        "hien" => at(Some(k + 1)) == "tuong",
        "tuong" => at(k.checked_sub(1)) == "hien",
        // Only with marks: unaccented, `o` is `ở` and `vu` `vũ` as often.
        _ => {
            let exact = |i: Option<usize>| i.filter(|&i| i < a.len()).map_or("", |i| a.token(View::Exact, i));
            match exact(Some(k)) {
                "vụ" | "ổ" | "băng" => true,
                "đường" => exact(Some(k + 1)) == "dây",
                "dây" => exact(k.checked_sub(1)) == "đường",
                "hành" => exact(Some(k + 1)) == "vi",
                "vi" => exact(k.checked_sub(1)) == "hành",
                _ => false,
            }
        }
    }
}

/// Sentence-final particles and forms of address (`mn` reads `mọi người` in the informal view),
/// accented and not; `ban` (`bán`) and `chi` (`chỉ`) are left out. Only read after a yes/no
/// opener (see [`asks`]), where `the` and `a` are `thế` and `ạ`.
fn is_particle(token: &str) -> bool {
    const PARTICLES: &[&str] = &[
        "ạ", "à", "a", "nhỉ", "nhi", "nhé", "nhe", "nha", "hả", "ha", "hở", "vậy", "vay", "thế", "the", "ta", "mn",
        "mọi", "moi", "người", "nguoi", "ae", "anh", "chị", "em", "bạn", "các", "cac", "ơi", "oi",
    ];
    // An informal token may read as several words: `mn` as `mọi người`.
    token.split(' ').all(|word| PARTICLES.contains(&word))
}

/// Words that join two predicates of one clause (`không ngon lại đắt`, `not tasty and dear`).
fn is_conjunction(token: &str) -> bool {
    matches!(token, "và" | "va" | "lại" | "còn" | "cũng" | "cung" | "with" | "and" | "or")
}

/// Words that open a cause: a `nên` after them means "so", not "should".
fn is_cause_word(token: &str) -> bool {
    matches!(token, "vì" | "vi" | "bởi" | "boi" | "do" | "tại" | "because" | "since")
}

/// Whether punctuation that ends a clause lies between token `a` and token `b`.
fn clause_break(text: &str, analysis: &Analysis, a: usize, b: usize) -> bool {
    let end = analysis.spans[a].1;
    let start = analysis.spans[b].0;
    text.get(end..start).is_some_and(|gap| gap.contains(CLAUSE_END))
}

/// Token `k` as written in the text (empty past the end).
fn written<'t>(text: &'t str, a: &Analysis, k: usize) -> &'t str {
    a.spans.get(k).and_then(|&(s, e)| text.get(s..e)).unwrap_or_default()
}

/// The text between token `k` and the next one (empty after the last).
fn gap_after<'t>(text: &'t str, a: &Analysis, k: usize) -> &'t str {
    a.spans.get(k).zip(a.spans.get(k + 1)).and_then(|(x, y)| text.get(x.1..y.0)).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn analyzer() -> SentimentAnalyzer {
        let mut lex = Lexicon::default();
        lex.add_file(
            Path::new("t.tsv"),
            "vi.tsv",
            "tốt\t2\nhài lòng\t2\ntệ\t-2\nlo lắng\t-2\nvui\t2\nchi tiết\t1\t-1.5\nhướng dẫn\t0\t-1.5\n\
             không khí\t0\nthiếu\t-1\nchuyên nghiệp\t1.5\n",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        lex.add_file(
            Path::new("m.tsv"),
            "modifiers.tsv",
            "không\tnegator\t-0.5\nchẳng\tnegator\nthiếu\tnegator\nrất\tscale\t1.5\nquá\tscale\t1.5\n\
             hơi\tscale\t0.5\t-0.5\nnếu\tsuggestion\t0\nnên\tsuggestion\t-1\nmong\tsuggestion\t-1\ncần\tsuggestion\t-1\n\
             tiếp tục\tkeep\nnhưng\tcontrast\nmặc dù\tconcession\ncải thiện\trequest\t-1\n\
             không hề\tnegator\ncực\tscale\t1.6\ncực kỳ\tscale\t1.7\n",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        lex.add_file(Path::new("u.tsv"), "vi.tsv", "tot\t2\n").unwrap_or_else(|e| panic!("{e}"));
        lex.add_file(Path::new("u.tsv"), "modifiers.tsv", "khong\tnegator\n").unwrap_or_else(|e| panic!("{e}"));
        lex.add_file(Path::new("e.tsv"), "emoji.tsv", "😡\t-2\n:)\t1\n:(\t-2\n:((\t-3\n❤\t2\n❤️\t2\n")
            .unwrap_or_else(|e| panic!("{e}"));
        SentimentAnalyzer::new(lex)
    }

    fn terms(s: &Sentiment) -> Vec<(&str, f32, bool)> {
        s.terms.iter().map(|t| (t.term.as_str(), t.weight, t.negated)).collect()
    }

    #[test]
    fn lexicon_negation_and_intensity() {
        let s = analyzer();
        assert_eq!(s.score("Dịch vụ rất tốt").label, Label::Positive);
        assert_eq!(s.score("Dịch vụ không tốt").label, Label::Negative);
        assert_eq!(s.score("Dịch vụ tệ quá 😡").label, Label::Negative);
        assert_eq!(s.score("Hôm nay trời mưa").label, Label::Neutral);
        let r = s.score("rất tốt");
        let h = s.score("hơi tốt");
        assert!(r.score > h.score);
        // Negation does not cross a clause boundary.
        let t = s.score("không, dịch vụ tốt");
        assert_eq!(t.label, Label::Positive);
        assert!(!t.terms[0].negated);
        // Unaccented text uses the folded lexicon: phrases by their folded form, one syllable
        // only where its unaccented spelling is listed (`tot`; not `te`, which is also `tê`, `tế`).
        assert_eq!(s.score("dich vu khong tot").label, Label::Negative);
        assert_eq!(terms(&s.score("dich vu hai long")), [("hai long", 2.0, false)]);
        assert!(s.score("dich vu te").terms.is_empty());
    }

    #[test]
    fn negation_scope() {
        let s = analyzer();
        // Up to five syllables back, not six.
        assert!(s.score("không phải là tốt").terms[0].negated);
        assert!(s.score("không phải là rất tốt").terms.iter().any(|t| t.term == "tốt" && t.negated));
        assert!(s.score("không phải là cái bàn tốt").terms.iter().any(|t| t.term == "tốt" && t.negated));
        assert!(!s.score("không phải là cái bàn đó tốt").terms.iter().any(|t| t.term == "tốt" && t.negated));
        // Not across a contrast: `vui` stays positive.
        let t = s.score("không tốt nhưng vui");
        assert_eq!(terms(&t), [("tốt", -0.74, true), ("vui", 3.0, false)]);
        // A negator inside a longer lexicon phrase is part of it: `không khí` is air.
        let t = s.score("không khí vui");
        assert_eq!(terms(&t), [("vui", 2.0, false)]);
        // A word that lacks negates what it lacks, and counts itself.
        let t = s.score("thiếu chuyên nghiệp");
        assert_eq!(terms(&t), [("thiếu", -1.0, false), ("chuyên nghiệp", -1.11, true)]);
        // A negator negates the next term, not a term joined to it by a conjunction...
        assert_eq!(terms(&s.score("không tốt lại tệ")), [("tốt", -1.48, true), ("tệ", -2.0, false)]);
        let t = s.score("không hài lòng và rất tệ");
        assert_eq!(terms(&t), [("hài lòng", -1.48, true), ("tệ", -3.0, false)]);
        assert_eq!(t.label, Label::Negative);
        // ...while it governs the whole predicate (`chưa đạt hiệu quả tốt`).
        let t = s.score("không hướng dẫn chi tiết");
        assert_eq!(terms(&t), [("hướng dẫn", -1.5, true), ("chi tiết", -1.5, true)]);
        // An ambiguous negator reaches as far as its entry says.
        let mut lex = Lexicon::default();
        lex.add_file(Path::new("u.tsv"), "vi.tsv", "dep\t2\n").unwrap_or_else(|e| panic!("{e}"));
        lex.add_file(Path::new("m.tsv"), "modifiers.tsv", "chang\tnegator\t0\t1\n").unwrap_or_else(|e| panic!("{e}"));
        let s = SentimentAnalyzer::new(lex);
        assert_eq!(terms(&s.score("hang chang dep")), [("dep", -1.48, true)]);
        assert_eq!(terms(&s.score("chang trai nay dep")), [("dep", 2.0, false)]);
        let mut lex = Lexicon::default();
        let err = lex.add_file(Path::new("m.tsv"), "modifiers.tsv", "x\tnegator\t0\t9\n").expect_err("reach 9");
        assert!(err.to_string().contains("reach"), "{err}");
        // Errors point at the column at fault, counted in characters.
        assert!(err.to_string().starts_with("m.tsv:1:13:"), "{err}");
        let err =
            lex.add_file(Path::new("v.tsv"), "vi.tsv", "# ok\nhài lòng\t2\nbực  \t nhiều\n").expect_err("no weight");
        assert!(err.to_string().starts_with("v.tsv:3:8: weight must be a number"), "{err}");
        let err = lex.add_file(Path::new("m.tsv"), "modifiers.tsv", "rất\tscal\t2\n").expect_err("no kind");
        assert!(err.to_string().starts_with("m.tsv:1:5: expected"), "{err}");
        // Terms that could never count, and weights past the documented range, are refused.
        for (line, at) in [("một hai ba bốn năm\t2", "v.tsv:1:1:"), ("!!!\t-1", "v.tsv:1:1:"), ("tốt\t5", "v.tsv:1:5:")]
        {
            let err = lex.add_file(Path::new("v.tsv"), "vi.tsv", line).expect_err(line);
            assert!(err.to_string().starts_with(at), "{line}: {err}");
        }
        let err = lex.add_file(Path::new("m.tsv"), "modifiers.tsv", "...\tnegator\n").expect_err("no letters");
        assert!(err.to_string().contains("no letter"), "{err}");
    }

    #[test]
    fn negation_stops_at_da_unless_it_reads_not_necessarily() {
        let s = analyzer();
        // "Not a year old and already bad": `tệ` is said of its own.
        assert_eq!(terms(&s.score("không được một năm đã tệ")), [("tệ", -2.0, false)]);
        // "Cheap is not necessarily good".
        assert_eq!(terms(&s.score("giá rẻ không chắc đã tốt")), [("tốt", -1.48, true)]);
        assert_eq!(terms(&s.score("không hẳn đã tốt")), [("tốt", -1.48, true)]);
    }

    #[test]
    fn two_word_modifiers_count_once() {
        let s = analyzer();
        // `không hề` negates once: its `không` is not read again as a second negator.
        let t = s.score("dịch vụ không hề tốt");
        assert_eq!(terms(&t), [("tốt", -1.48, true)]);
        assert_eq!(t.label, Label::Negative);
        // `cực kỳ` scales once, not as `cực kỳ` and then `cực`.
        assert_eq!(terms(&s.score("cực kỳ tốt")), [("tốt", 3.4, false)]);
        assert_eq!(terms(&s.score("cực tốt")), [("tốt", 3.2, false)]);
    }

    #[test]
    fn teencode_and_stretched_words_read_as_the_words_they_stand_for() {
        let s = analyzer();
        // `ko` is `không`, with or without accents elsewhere in the text.
        let t = s.score("dịch vụ ko tốt");
        assert_eq!(terms(&t), [("tốt", -1.48, true)]);
        assert_eq!(t.label, Label::Negative);
        assert_eq!(terms(&s.score("dich vu ko tot")), [("tot", -1.48, true)]);
        // `quáaaa` is `quá`, and scales what it follows; the term is reported as written.
        assert_eq!(terms(&s.score("vui quáaaa")), [("vui", 3.0, false)]);
        // A unit in formal text is no teencode: `kg` is not `không` here.
        assert_eq!(terms(&s.score("20 kg gạo tốt")), [("tốt", 2.0, false)]);
    }

    #[test]
    fn emoji_count_once_where_they_stand() {
        let s = analyzer();
        // The longest entry where several start at one place: `❤️` is not also `❤`.
        assert_eq!(terms(&s.score("❤️")), [("❤️", 2.0, false)]);
        assert_eq!(terms(&s.score("❤ ❤️")), [("❤", 2.0, false), ("❤️", 2.0, false)]);
        assert_eq!(terms(&s.score("hôm nay :((")), [(":((", -3.0, false)]);
        // In text order, three of one entry at most.
        let t = s.score(":) :( :( :( :( :)");
        assert_eq!(
            terms(&t),
            [(":)", 1.0, false), (":(", -2.0, false), (":(", -2.0, false), (":(", -2.0, false), (":)", 1.0, false)]
        );
        assert_eq!(t.label, Label::Negative);
        // With or without its variation selector, one emoji; and three per item, not per field.
        assert_eq!(s.score("❤️ ❤ ❤️ ❤ ❤️ ❤").terms.len(), 3);
        let (title, text) = (":( :( :(", ":( :( :(");
        let (a, b) = (Analysis::new(title), Analysis::new(text));
        assert_eq!(s.score_analyzed(&[(title, &a), (text, &b)], Register::Opinion).terms.len(), 3);
    }

    #[test]
    fn bare_negation_counts_its_own_weight() {
        let s = analyzer();
        let t = s.score("thầy không check mail");
        assert_eq!(terms(&t), [("không", -0.5, false)]);
        assert_eq!(t.label, Label::Negative);
        // A negator without weight, or one that negates a term, adds nothing itself.
        assert!(s.score("thầy chẳng check mail").terms.is_empty());
        assert_eq!(terms(&s.score("không tốt")), [("tốt", -1.48, true)]);
        // A question particle at the end of a clause is no negation, nor before particles and
        // forms of address only (`có cúp nước ko mn`).
        assert!(s.score("có check mail không ?").terms.is_empty());
        assert!(s.score("mai có check mail không mọi người").terms.is_empty());
        assert!(s.score("thầy có check mail không ạ").terms.is_empty());
        assert_eq!(terms(&s.score("thầy không check mail ạ")), [("không", -0.5, false)]);
        assert!(s.score("thay co check mail khong a").terms.is_empty(), "unaccented too");
        // Without `có` or `được` before it, it is a statement: "still not, folks".
        assert_eq!(terms(&s.score("đến giờ vẫn không mọi người ạ")), [("không", -0.5, false)]);
    }

    #[test]
    fn terms_that_count_only_when_missing() {
        let s = analyzer();
        let t = s.score("giảng viên hướng dẫn bài tập");
        assert!(t.terms.is_empty());
        assert_eq!(t.label, Label::Neutral);
        let t = s.score("giảng viên không hướng dẫn bài tập");
        assert_eq!(terms(&t), [("hướng dẫn", -1.5, true)]);
        assert_eq!(t.label, Label::Negative);
    }

    #[test]
    fn suggestions_ask_for_what_is_missing() {
        let s = analyzer();
        let t = s.score("giảng viên nên giảng chi tiết hơn , cho thêm ví dụ");
        assert_eq!(terms(&t), [("nên", -1.0, false), ("chi tiết", -1.5, true)]);
        assert_eq!(t.label, Label::Negative);
        // A complaint without any term is still one.
        assert_eq!(terms(&s.score("mong thầy cho thêm bài tập .")), [("mong", -1.0, false)]);
        // The suggestion reaches the end of its sentence only.
        let t = s.score("mong thầy cho thêm bài tập . thầy dạy tốt");
        assert_eq!(terms(&t), [("mong", -1.0, false), ("tốt", 2.0, false)]);
        // A wish to keep things as they are is praise.
        let t = s.score("mong thầy tiếp tục dạy tốt");
        assert_eq!(terms(&t), [("tốt", 2.0, false)]);
        // `không cần` (no need) cancels it; after a cause `nên` means "so".
        assert!(s.score("không cần mang máy").terms.iter().all(|t| t.term != "cần"));
        let t = s.score("vì thầy dạy tốt nên em hài lòng");
        assert_eq!(t.label, Label::Positive);
        assert!(t.terms.iter().all(|t| t.term != "nên" && !t.negated));
        // A predicate before it in its clause makes it "so" too.
        assert!(s.score("thầy dạy tốt nên em học được").terms.iter().all(|t| t.term != "nên"));
    }

    #[test]
    fn hedges_and_conditionals() {
        let s = analyzer();
        // A diminisher that scales no term voices a reservation; one that scales a term does not.
        assert_eq!(terms(&s.score("phòng hơi ồn")), [("hơi", -0.5, false)]);
        assert_eq!(terms(&s.score("phòng hơi tốt")), [("tốt", 1.0, false)]);
        // What a conditional supposes is not so; a weightless cue is not reported and does not
        // stop a later suggestion in the sentence from counting.
        let t = s.score("nếu thầy giảng chi tiết thì tốt");
        assert_eq!(terms(&t), [("chi tiết", -1.5, true), ("tốt", -1.48, true)]);
        let t = s.score("nếu được thì thầy nên cho thêm bài tập");
        assert_eq!(terms(&t), [("nên", -1.0, false)]);
    }

    #[test]
    fn requests_open_sentences() {
        let s = analyzer();
        let t = s.score("cải thiện tốc độ mạng .");
        assert_eq!(terms(&t), [("cải thiện", -1.0, false)]);
        // Elsewhere the request verb is no cue.
        assert!(s.score("tốc độ mạng được cải thiện").terms.is_empty());
    }

    #[test]
    fn contrast_and_concession() {
        let s = analyzer();
        // Before `nhưng` counts half, after it one and a half.
        let t = s.score("dịch vụ tốt nhưng tệ");
        assert_eq!(terms(&t), [("tốt", 1.0, false), ("tệ", -3.0, false)]);
        assert_eq!(t.label, Label::Negative);
        // A contrast whose part has no term turns against what came before.
        let t = s.score("thầy dạy tốt nhưng hay cho nghỉ");
        assert_eq!(terms(&t), [("tốt", 1.0, false), ("nhưng", -1.5, false)]);
        assert_eq!(t.label, Label::Negative);
        // A concession's clause counts half.
        let t = s.score("mặc dù tệ , em vẫn hài lòng");
        assert_eq!(terms(&t), [("tệ", -1.0, false), ("hài lòng", 2.0, false)]);
        assert_eq!(t.label, Label::Positive);
    }

    #[test]
    fn a_contrast_after_terms_that_cancel_out_adds_nothing() {
        let mut lex = Lexicon::default();
        lex.add_file(Path::new("v.tsv"), "vi.tsv", "tốt\t2\nhay\t1.5\n").unwrap_or_else(|e| panic!("{e}"));
        lex.add_file(Path::new("m.tsv"), "modifiers.tsv", "không\tnegator\nnhưng\tcontrast\n")
            .unwrap_or_else(|e| panic!("{e}"));
        // Found by fuzzing: the second `nhưng` follows -0.74 + 0.75 - 0.01, which is not 0 in f32.
        let t = SentimentAnalyzer::new(lex).score("không tốt , hay nhưng nhưng thầy");
        assert_eq!(terms(&t), [("tốt", -0.74, true), ("hay", 0.75, false), ("nhưng", -0.01, false)]);
    }

    #[test]
    fn bare_comparatives_wish_for_change() {
        let s = analyzer();
        let t = s.score("giảng chi tiết hơn .");
        assert_eq!(terms(&t), [("chi tiết", -1.5, true)]);
        assert_eq!(terms(&s.score("giải bài tập nhiều hơn nữa")), [("hơn", -0.5, false)]);
        // With a standard of comparison, or a trend, it is a plain comparison.
        assert_eq!(terms(&s.score("giảng chi tiết hơn thầy khác")), [("chi tiết", 1.0, false)]);
        assert_eq!(terms(&s.score("dịch vụ ngày càng tốt hơn")), [("tốt", 2.0, false)]);
        // The same without diacritics, also where teencode puts the text in the informal view.
        assert_eq!(terms(&s.score("giang chi tiet hon .")), [("chi tiet", -1.5, true)]);
        assert_eq!(terms(&s.score("mn oi giang chi tiet hon .")), [("chi tiet", -1.5, true)]);
        assert_eq!(terms(&s.score("mn oi dich vu ngay cang tot hon")), [("tot", 2.0, false)]);
    }

    #[test]
    fn bad_lines_are_rejected() {
        let mut lex = Lexicon::default();
        let m = Path::new("m.tsv");
        assert!(lex.add_file(m, "modifiers.tsv", "nên\tsuggestion\n").is_err());
        assert!(lex.add_file(m, "modifiers.tsv", "nên\twish\t-1\n").is_err());
        assert!(lex.add_file(m, "modifiers.tsv", "một hai ba\tcontrast\n").is_err());
        assert!(lex.add_file(Path::new("v.tsv"), "vi.tsv", "tốt\t2\tx\n").is_err());
        assert!(lex.add_file(Path::new("v.tsv"), "vi.tsv", "tốt\t9\n").is_err());
        // A `~` entry of one syllable with marks would never be found.
        let err = lex.add_file(Path::new("v.tsv"), "vi.tsv", "~zzá\t2\n").expect_err("never counts").to_string();
        assert!(err.contains("without marks") || err.contains("without them"), "{err}");
        assert!(lex.add_file(m, "modifiers.tsv", "~qụa\tscale\t1.5\n").is_err());
        assert!(lex.add_file(Path::new("v.tsv"), "vi.tsv", "~zzb\t2\n~hàng xịn\t2\n").is_ok());
        for factor in ["NaN", "inf", "0", "-1.5", "x"] {
            assert!(lex.add_file(m, "modifiers.tsv", &format!("rất\tscale\t{factor}\n")).is_err(), "{factor}");
            assert!(lex.add_file(m, "modifiers.tsv", &format!("hơi\tscale\t{factor}\t-0.5\n")).is_err(), "{factor}");
        }
    }

    #[test]
    fn a_diminisher_voicing_nothing_is_not_reported() {
        let mut lex = Lexicon::default();
        lex.add_file(Path::new("v.tsv"), "vi.tsv", "tốt\t2\n").unwrap_or_else(|e| panic!("{e}"));
        lex.add_file(Path::new("m.tsv"), "modifiers.tsv", "hơi\tscale\t0.5\t0\n").unwrap_or_else(|e| panic!("{e}"));
        let s = SentimentAnalyzer::new(lex);
        assert!(terms(&s.score("phòng hơi ồn")).is_empty());
        assert_eq!(terms(&s.score("phòng hơi tốt")), [("tốt", 1.0, false)]);
    }

    #[test]
    fn terms_do_not_run_across_a_sentence_end() {
        let a = analyzer();
        // `hài lòng` (satisfied) is one term.
        assert!(terms(&a.score("Tôi rất hài. Lòng tôi buồn")).is_empty());
        assert_eq!(terms(&a.score("Tôi rất hài lòng")).len(), 1);
    }

    #[test]
    fn terms_are_reported() {
        let s = analyzer().score("Người dân hài lòng nhưng vẫn lo lắng");
        let terms: Vec<&str> = s.terms.iter().map(|t| t.term.as_str()).collect();
        assert_eq!(terms, ["hài lòng", "lo lắng"]);
    }

    #[test]
    fn emoticons_run_into_words_are_not_emoticons() {
        let s = analyzer();
        assert!(s.score("Liên hệ ĐT:(028) 38 123 456").terms.is_empty());
        assert_eq!(s.score("buồn quá:(").terms.len(), 1);
        assert_eq!(s.score("hết vé :( mai đi").terms.len(), 1);
    }

    #[test]
    fn an_ellipsis_ends_a_sentence_and_symbols_do_not_accent_a_text() {
        let s = analyzer();
        assert_eq!(s.score("Tôi không… Dịch vụ tốt").label, Label::Positive);
        assert_eq!(s.score("Tôi không\rtốt").label, Label::Positive);
        assert_eq!(s.score("Tôi không tốt").label, Label::Negative);
        // Unaccented words with an emoji or `…`: still read in the folded lexicon.
        assert_eq!(s.score("dich vu tot…").label, Label::Positive);
        assert_eq!(s.score("dich vu khong tot 😡").terms.iter().filter(|t| t.negated).count(), 1);
    }

    /// A long field is scored a stretch of sentences at a time: the same as its sentences
    /// scored one by one, however long it is.
    #[test]
    fn a_long_field_scores_as_its_sentences_do() {
        let s = analyzer();
        let sentence = "Thầy dạy rất tốt nhưng phòng học thiếu quạt nên rất lo lắng. ";
        let one = s.score(sentence);
        let long = s.score(&sentence.repeat(400));
        assert_eq!(long.terms.len(), one.terms.len() * 400);
        for (t, u) in long.terms.iter().zip(one.terms.iter().cycle()) {
            assert_eq!((t.term.as_str(), t.weight, t.negated), (u.term.as_str(), u.weight, u.negated));
        }
        // Without any full stop: cut into stretches, every term still found.
        let run = s.score(&"tốt hơn ".repeat(2_000));
        assert_eq!(run.terms.iter().filter(|t| t.term == "tốt").count(), 2_000);
    }
}
