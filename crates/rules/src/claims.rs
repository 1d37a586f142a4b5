//! Known claims: rumours already debunked (or confirmed), recognised when they come back in other
//! words, with or without diacritics.
//!
//! Claims come from `claims.toml` in the rules directory and from collaborators' verdicts (kept in
//! the store and handed in with [`KnownClaims::set_stored`]). An item matches a claim when it
//! holds at least [`ClaimOptions::threshold`] of the claim's k-syllable shingles (containment:
//! items are long, claims short), at least [`ClaimOptions::min_shared`] of them, and it was
//! published within the claim's time window. A match is a [`Flag`] with rule id `claim:<id>`, the
//! spans of the item that repeat the claim, and a [`duluan_model::ClaimMatch`] with the similarity.

mod index;
mod shingle;

use std::path::Path;
use std::str::FromStr;
use std::sync::{Arc, RwLock};

use chrono::{DateTime, NaiveDate, Utc};
use duluan_model::{Flag, Severity};
use duluan_text::{Analysis, LineIndex};
use serde::Deserialize;

use crate::Error;
use crate::check::ExampleFailure;
use crate::pack::{Action, Examples};
use index::ClaimIndex;

/// Name of the claims file in a rules directory.
pub const CLAIMS_FILE: &str = "claims.toml";
/// Most claims in force at once (file and store together).
pub const MAX_CLAIMS: usize = 100_000;
/// Longest claim text, in bytes.
pub const MAX_CLAIM_BYTES: usize = 8 * 1024;
/// Largest claims file read, in bytes.
pub const MAX_CLAIMS_FILE_BYTES: usize = 64 * 1024 * 1024;
/// Prefix of the rule id of a claim's flags.
pub const RULE_PREFIX: &str = "claim:";
/// Tag added to every claim flag, for routing and search.
pub const TAG: &str = "known-claim";
/// Longest claim id, in bytes.
const MAX_ID_BYTES: usize = 100;

/// What was established about a claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ClaimVerdict {
    /// Debunked: the claim is false.
    False,
    /// Partly true, presented so as to mislead.
    Misleading,
    /// Confirmed: the rumour turned out to be true (followed, not fought).
    True,
    /// Not yet established either way.
    Unverified,
}

impl ClaimVerdict {
    /// The word used in files, flags and the store.
    pub fn as_str(self) -> &'static str {
        match self {
            ClaimVerdict::False => "false",
            ClaimVerdict::Misleading => "misleading",
            ClaimVerdict::True => "true",
            ClaimVerdict::Unverified => "unverified",
        }
    }

    /// A false or misleading claim coming back needs a person; the others are only tagged.
    pub fn default_action(self) -> Action {
        match self {
            ClaimVerdict::False | ClaimVerdict::Misleading => Action::Alert,
            ClaimVerdict::True | ClaimVerdict::Unverified => Action::Tag,
        }
    }
}

impl FromStr for ClaimVerdict {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "false" => ClaimVerdict::False,
            "misleading" => ClaimVerdict::Misleading,
            "true" => ClaimVerdict::True,
            "unverified" => ClaimVerdict::Unverified,
            other => return Err(format!("unknown claim verdict `{other}` (false, misleading, true, unverified)")),
        })
    }
}

/// A reference claim.
#[derive(Debug, Clone, PartialEq)]
pub struct Claim {
    /// Unique id (ASCII letters, digits, `-`, `_`, `.`); flags carry it as `claim:<id>`.
    pub id: String,
    /// The claim as it circulated: what items are compared with.
    pub text: String,
    /// What was established about it.
    pub verdict: ClaimVerdict,
    /// Short title for lists.
    pub title: Option<String>,
    /// What is actually true, for the collaborator who sees the match.
    pub summary: Option<String>,
    /// When it was recorded; it is matched within its time window around this day.
    pub added: NaiveDate,
    /// Where it was debunked or confirmed (a URL).
    pub reference: Option<String>,
    /// Severity of its flags.
    pub severity: Severity,
    /// Team queue of its alerts (else the `[[alerts.route]]` tree decides).
    pub route: Option<String>,
    /// Tags of its flags (`known-claim` is always added).
    pub tags: Vec<String>,
    /// Alert, or tag only.
    pub action: Action,
    /// Its own time window in days, instead of [`ClaimOptions::max_age_days`].
    pub max_age_days: Option<u32>,
    /// Disabled claims are checked but never matched.
    pub enabled: bool,
    /// The confirmed story it was taken from, for claims made from a verdict.
    pub story: Option<String>,
    /// Example texts that must and must not match it.
    pub examples: Examples,
    /// Where it is defined (file and line, or the verdict it came from).
    pub origin: String,
}

impl Claim {
    /// A claim with what a claims-file entry gets when it names only these: high severity, the
    /// verdict's default action, its own date window, enabled, nothing else.
    pub fn new(id: String, text: String, verdict: ClaimVerdict, added: NaiveDate, origin: String) -> Claim {
        Claim {
            id,
            text,
            verdict,
            title: None,
            summary: None,
            added,
            reference: None,
            severity: high(),
            route: None,
            tags: Vec::new(),
            action: verdict.default_action(),
            max_age_days: None,
            enabled: true,
            story: None,
            examples: Examples::default(),
            origin,
        }
    }
}

/// How claims are matched.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClaimOptions {
    /// Syllables per shingle.
    pub shingle: usize,
    /// Least share of a claim's shingles an item must hold, in (0, 1].
    pub threshold: f32,
    /// Least number of a claim's shingles an item must hold.
    pub min_shared: usize,
    /// Days either side of a claim's `added` day in which items are matched against it.
    pub max_age_days: u32,
}

impl Default for ClaimOptions {
    fn default() -> Self {
        ClaimOptions { shingle: 3, threshold: 0.5, min_shared: 3, max_age_days: 180 }
    }
}

impl ClaimOptions {
    /// The options with out-of-range values brought into range (a zero shingle size would match
    /// nothing useful, a threshold of zero everything).
    fn sane(self) -> ClaimOptions {
        let threshold = if self.threshold.is_finite() { self.threshold.clamp(0.05, 1.0) } else { 0.5 };
        ClaimOptions { shingle: self.shingle.clamp(1, 8), threshold, min_shared: self.min_shared.max(1), ..self }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ClaimsFile {
    #[serde(default)]
    claim: Vec<ClaimDef>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ClaimDef {
    id: toml::Spanned<String>,
    text: toml::Spanned<String>,
    verdict: ClaimVerdict,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    summary: Option<String>,
    added: toml::Spanned<toml::Value>,
    #[serde(default)]
    reference: Option<toml::Spanned<String>>,
    #[serde(default = "high")]
    severity: Severity,
    #[serde(default)]
    route: Option<String>,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    action: Option<Action>,
    #[serde(default)]
    max_age_days: Option<u32>,
    #[serde(default = "yes")]
    enabled: bool,
    #[serde(default)]
    examples: Examples,
}

fn high() -> Severity {
    Severity::High
}

fn yes() -> bool {
    true
}

/// Whether `id` is usable as a claim id (it becomes part of a rule id, a URL and a search term).
pub fn valid_claim_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_ID_BYTES
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// Read `dir/claims.toml`; a directory without one has no file claims.
pub fn read_claims(dir: &Path, options: &ClaimOptions) -> Result<Vec<Claim>, Vec<Error>> {
    let path = dir.join(CLAIMS_FILE);
    match std::fs::metadata(&path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(vec![Error::Io { path, source: e }]),
        Ok(_) => {}
    }
    let text = crate::pack::read_text(&path, MAX_CLAIMS_FILE_BYTES, "claims file").map_err(|e| vec![e])?;
    parse_claims(&path, &text, options)
}

/// Parse the text of a claims file; every problem is returned, each with its line and column.
pub fn parse_claims(path: &Path, text: &str, options: &ClaimOptions) -> Result<Vec<Claim>, Vec<Error>> {
    parse_claims_limited(path, text, options, MAX_CLAIMS)
}

fn parse_claims_limited(
    path: &Path,
    text: &str,
    options: &ClaimOptions,
    max_claims: usize,
) -> Result<Vec<Claim>, Vec<Error>> {
    let _span = tracing::debug_span!("read_claims", path = %path.display()).entered();
    let file: ClaimsFile = toml::from_str(text).map_err(|e| {
        let pos = e.span().map(|s| duluan_text::line_column(text, s.start));
        vec![Error::at(path, pos, e.message().to_string())]
    })?;
    if file.claim.len() > max_claims {
        let message = format!("{} claims; at most {max_claims} are allowed", file.claim.len());
        return Err(vec![Error::at(path, None, message)]);
    }
    let options = options.sane();
    let mut claims: Vec<Claim> = Vec::with_capacity(file.claim.len());
    let mut errors = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let lines = duluan_text::LineIndex::new(text);
    for def in file.claim {
        let at = |offset: usize| Some(lines.line_column(offset));
        let id_at = at(def.id.span().start);
        if !seen.insert(def.id.get_ref().clone()) {
            errors.push(Error::at(path, id_at, format!("claim `{}` is defined twice", def.id.get_ref())));
            continue;
        }
        match claim_from_def(def, &options, path, &lines) {
            Ok(claim) => claims.push(claim),
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() { Ok(claims) } else { Err(errors) }
}

fn claim_from_def(def: ClaimDef, options: &ClaimOptions, path: &Path, lines: &LineIndex) -> Result<Claim, Error> {
    let at = |offset: usize| Some(lines.line_column(offset));
    let id = def.id.get_ref().clone();
    let id_at = at(def.id.span().start);
    if !valid_claim_id(&id) {
        let message = format!("claim id `{id}` must be 1 to {MAX_ID_BYTES} ASCII letters, digits, '-', '_' or '.'");
        return Err(Error::at(path, id_at, message));
    }
    let text_at = at(def.text.span().start);
    let text = def.text.into_inner();
    check_text(&text, options).map_err(|m| Error::at(path, text_at, format!("claim `{id}`: {m}")))?;
    let added_at = at(def.added.span().start);
    let added = date_of(def.added.get_ref())
        .ok_or_else(|| Error::at(path, added_at, format!("claim `{id}`: `added` must be a date such as 2025-03-14")))?;
    let reference = match def.reference {
        Some(r) if !(r.get_ref().starts_with("https://") || r.get_ref().starts_with("http://")) => {
            let message = format!("claim `{id}`: `reference` must be an http(s) URL");
            return Err(Error::at(path, at(r.span().start), message));
        }
        Some(r) => Some(r.into_inner()),
        None => None,
    };
    Ok(Claim {
        origin: format!("{}:{}", path.display(), id_at.map_or(0, |p| p.0)),
        action: def.action.unwrap_or_else(|| def.verdict.default_action()),
        id,
        text,
        verdict: def.verdict,
        title: def.title.filter(|t| !t.trim().is_empty()),
        summary: def.summary.filter(|t| !t.trim().is_empty()),
        added,
        reference,
        severity: def.severity,
        route: def.route.filter(|r| !r.trim().is_empty()),
        tags: def.tags,
        max_age_days: def.max_age_days,
        enabled: def.enabled,
        story: None,
        examples: def.examples,
    })
}

/// Why a claim text can never be matched, if it cannot.
pub fn check_text(text: &str, options: &ClaimOptions) -> Result<(), String> {
    let options = options.sane();
    if text.len() > MAX_CLAIM_BYTES {
        return Err(format!("text is {} bytes; at most {MAX_CLAIM_BYTES} are allowed", text.len()));
    }
    let usable = shingle::claim_shingles(text, &Analysis::new(text), options.shingle).len();
    if usable < options.min_shared {
        return Err(format!(
            "text has {usable} distinct {}-syllable phrases that are not all stopwords; at least {} are needed \
             to match it (write the rumour out as a sentence)",
            options.shingle, options.min_shared
        ));
    }
    Ok(())
}

/// A TOML date (`2025-03-14`, or a date-time whose day is taken) or a `"YYYY-MM-DD"` string.
fn date_of(value: &toml::Value) -> Option<NaiveDate> {
    match value {
        toml::Value::Datetime(dt) => {
            let d = dt.date?;
            NaiveDate::from_ymd_opt(i32::from(d.year), u32::from(d.month), u32::from(d.day))
        }
        toml::Value::String(s) => NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok(),
        _ => None,
    }
}

/// The claims in force: those of the claims file and those from the store, compiled into one
/// index that can be replaced while items are being matched.
#[derive(Debug)]
pub struct KnownClaims {
    options: ClaimOptions,
    file: Vec<Claim>,
    current: RwLock<Arc<Loaded>>,
}

#[derive(Debug, Default)]
struct Loaded {
    index: ClaimIndex,
    stored: Vec<Arc<Claim>>,
}

impl Default for KnownClaims {
    fn default() -> Self {
        KnownClaims::new(Vec::new(), ClaimOptions::default())
    }
}

impl KnownClaims {
    /// Claims from a file (already validated), matched with `options`.
    pub fn new(file: Vec<Claim>, options: ClaimOptions) -> KnownClaims {
        let options = options.sane();
        let index = ClaimIndex::build(file.iter().take(MAX_CLAIMS).cloned().map(Arc::new), options);
        KnownClaims { options, file, current: RwLock::new(Arc::new(Loaded { index, ..Loaded::default() })) }
    }

    fn loaded(&self) -> Arc<Loaded> {
        self.current.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The matching options in force.
    pub fn options(&self) -> ClaimOptions {
        self.options
    }

    /// Claims of the claims file, in file order.
    pub fn file_claims(&self) -> &[Claim] {
        &self.file
    }

    /// Claims handed in from the store, as last set.
    pub fn stored_claims(&self) -> Vec<Claim> {
        self.loaded().stored.iter().map(|c| c.as_ref().clone()).collect()
    }

    /// Number of claims being matched (enabled, long enough, within the cap).
    pub fn len(&self) -> usize {
        self.loaded().index.len()
    }

    /// Whether no claim is being matched.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A claim in force, by id.
    pub fn get(&self, id: &str) -> Option<Claim> {
        self.loaded().index.claims().find(|c| c.id == id).cloned()
    }

    /// Replace the claims from the store (the file's stay); items being matched finish with the
    /// old set. A stored claim whose id the file uses, or past [`MAX_CLAIMS`], is left out.
    /// Returns the number of claims in force.
    pub fn set_stored(&self, stored: Vec<Claim>) -> usize {
        let _span = tracing::info_span!("index_claims", file = self.file.len(), stored = stored.len()).entered();
        let file_ids: std::collections::HashSet<&str> = self.file.iter().map(|c| c.id.as_str()).collect();
        let room = MAX_CLAIMS.saturating_sub(self.file.len());
        let stored: Vec<Arc<Claim>> = stored.into_iter().map(Arc::new).collect();
        let usable: Vec<&Arc<Claim>> = stored.iter().filter(|c| !file_ids.contains(c.id.as_str())).collect();
        if usable.len() > room {
            tracing::warn!(
                stored = usable.len(),
                room,
                "more known claims than {MAX_CLAIMS}; the rest are not matched"
            );
        }
        let file = self.file.iter().take(MAX_CLAIMS).cloned().map(Arc::new);
        let index = ClaimIndex::build(file.chain(usable.into_iter().take(room).cloned()), self.options);
        let count = index.len();
        let loaded = Arc::new(Loaded { index, stored });
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = loaded;
        tracing::info!(claims = count, "known claims in force");
        count
    }

    /// Flags for the claims that an item (its analysed title and text, published or fetched at
    /// `at`) repeats, closest first.
    pub fn matches(&self, title: &Analysis, text: &Analysis, at: DateTime<Utc>) -> Vec<Flag> {
        let loaded = self.loaded();
        if loaded.index.len() == 0 {
            return Vec::new();
        }
        let _span = tracing::debug_span!("claims", claims = loaded.index.len()).entered();
        loaded.index.matches(title, text, at)
    }

    /// Match plain texts (tests, examples, the command line).
    pub fn matches_text(&self, title: &str, text: &str, at: DateTime<Utc>) -> Vec<Flag> {
        self.matches(&Analysis::new(title), &Analysis::new(text), at)
    }

    /// Run every claim's examples on the day it was added: each `match` text must flag the claim,
    /// each `no_match` text must not. Returns the number of examples run and the failures.
    pub fn check_examples(&self) -> (usize, Vec<ExampleFailure>) {
        let mut run = 0;
        let mut failures = Vec::new();
        for claim in &self.file {
            let single = KnownClaims::new(vec![Claim { enabled: true, ..claim.clone() }], self.options);
            let at = claim.added.and_time(chrono::NaiveTime::MIN).and_utc() + chrono::Duration::hours(12);
            for (example, expected) in claim.examples.cases() {
                run += 1;
                if single.matches_text(&example.title, &example.text, at).is_empty() == expected {
                    failures.push(ExampleFailure {
                        rule: format!("{RULE_PREFIX}{}", claim.id),
                        origin: claim.origin.clone(),
                        example: example.to_string(),
                        expected_match: expected,
                    });
                }
            }
        }
        (run, failures)
    }

    /// Pairs of file claims where one's text matches the other (likely the same rumour twice),
    /// with the similarity: worth merging, as each would flag the same items.
    pub fn near_duplicates(&self) -> Vec<(String, String, f64)> {
        let index = ClaimIndex::build(self.file.iter().cloned().map(Arc::new), self.options);
        let mut out = Vec::new();
        for claim in self.file.iter().filter(|c| c.enabled) {
            let at = claim.added.and_time(chrono::NaiveTime::MIN).and_utc() + chrono::Duration::hours(12);
            for flag in index.matches(&Analysis::new(""), &Analysis::new(&claim.text), at) {
                let Some(other) = flag.claim.filter(|m| m.id != claim.id) else { continue };
                out.push((claim.id.clone(), other.id, other.similarity));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests;
