//! The analysts' query language, parsed into an [`Expr`] before it meets tantivy, so that every
//! error names its column and how to fix it, and so that each word decides for itself whether it
//! is matched exactly (written with diacritics) or folded (written without).
//!
//! ```text
//! khẩu trang                     both words (AND is implied)
//! "khẩu trang"                   the phrase
//! vaccine OR "vắc xin"           either; HOẶC / HOAC / || mean OR, VÀ / VA / && mean AND
//! sốt -"sốt xuất huyết"          NOT / KHÔNG / KHONG / a leading - exclude
//! (a OR b) c                     parentheses; NOT binds tighter than AND, AND than OR
//! title:lũ  text:"ngập lụt"      scope a word, phrase or group to the title or the text
//! vắc*                           a trailing wildcard (two letters at least)
//! source:vnexpress lang:vi rule:R tag:T region:R sentiment:negative severity:high story:S
//! date:2021-12-01..2021-12-31  date:2021-12  date:24/12/2021  date:..2021-12-31  date:7d
//! ```
//!
//! Operators are recognised in upper case only, so the everyday words `và`, `hoặc` and `không`
//! stay words. Calendar dates are days in Vietnam time (UTC+7).

use std::fmt;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use duluan_text::{View, vietnam};

/// Deepest nesting of parentheses accepted.
pub const MAX_DEPTH: usize = 32;

/// Where a word is looked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Title and text (title matches weigh more).
    Any,
    /// Title only.
    Title,
    /// Text only.
    Body,
}

/// A keyword field an item can be filtered on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Filter {
    /// Source id.
    Source,
    /// Language code.
    Lang,
    /// A rule that flagged the item.
    Rule,
    /// A tag of its source.
    Tag,
    /// Region of its source.
    Region,
    /// Sentiment label.
    Sentiment,
    /// Highest severity among its flags.
    Severity,
    /// Story id.
    Story,
}

/// A parsed query.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// Everything (the empty query).
    All,
    /// A word or phrase. A word of several syllables (`covid-19`) is matched as a phrase.
    Text {
        /// As written, without quotes and wildcard.
        text: String,
        /// Where to look.
        scope: Scope,
        /// The last syllable is a prefix.
        prefix: bool,
    },
    /// A keyword filter.
    Filter {
        /// Which field.
        filter: Filter,
        /// The value, canonical (sentiment and severity in English, lower case).
        value: String,
    },
    /// Published within `[from, to)`.
    Date {
        /// Inclusive start.
        from: Option<DateTime<Utc>>,
        /// Exclusive end.
        to: Option<DateTime<Utc>>,
    },
    /// All of these.
    And(Vec<Expr>),
    /// Any of these.
    Or(Vec<Expr>),
    /// Not this.
    Not(Box<Expr>),
}

/// Why a query cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    /// Byte offset in the query.
    pub offset: usize,
    /// Column (characters, from 1).
    pub column: usize,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub hint: String,
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "column {}: {}; {}", self.column, self.message, self.hint)
    }
}

impl std::error::Error for SyntaxError {}

/// The view a word is matched in: written with diacritics (`sốt`), exactly; without (`sot`),
/// folded, so it also finds `sốt`, `sót` and `sợt`.
pub fn view_of(text: &str) -> View {
    if text.chars().any(|c| c.is_alphabetic() && !c.is_ascii()) { View::Exact } else { View::Folded }
}

/// Parse a query; relative dates (`date:7d`) count back from `now`.
pub fn parse(query: &str, now: DateTime<Utc>) -> Result<Expr, SyntaxError> {
    let tokens = lex(query)?;
    if tokens.is_empty() {
        return Ok(Expr::All);
    }
    let mut p = Parser { query, tokens, pos: 0, now };
    let expr = p.or(0, Context::Text(Scope::Any))?;
    match p.tokens.get(p.pos) {
        None => Ok(expr),
        Some(t) if t.kind == Kind::Close => Err(p.error(t.at, "unexpected `)`", "remove it or add the `(` it closes")),
        Some(t) => Err(p.error(t.at, "unexpected text", "check the parentheses")),
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Kind<'a> {
    Open,
    Close,
    And,
    Or,
    Not,
    Word(&'a str),
    Phrase {
        text: &'a str,
        prefix: bool,
    },
    /// `name:` followed directly by a phrase or a group.
    Field(&'a str),
    /// `name:value`.
    FieldWord(&'a str, &'a str),
}

impl Expr {
    /// The filters the whole query is limited by (top-level `source:`, `date:`, ... clauses and
    /// their exclusions), without its words: the collection a query's share of coverage is
    /// measured against.
    pub fn filters_only(&self) -> Expr {
        let is_filter = |e: &Expr| match e {
            Expr::Filter { .. } | Expr::Date { .. } => true,
            Expr::Not(inner) => matches!(inner.as_ref(), Expr::Filter { .. } | Expr::Date { .. }),
            _ => false,
        };
        match self {
            Expr::And(items) => {
                let kept: Vec<Expr> = items.iter().filter(|e| is_filter(e)).cloned().collect();
                if kept.is_empty() { Expr::All } else { Expr::And(kept) }
            }
            e if is_filter(e) => e.clone(),
            _ => Expr::All,
        }
    }
}

/// Prints the query back in the language, canonical: relative dates become absolute, aliases
/// become `OR`/`NOT`, and parsing the text gives the same [`Expr`].
impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::All => Ok(()),
            Expr::Text { text, scope, prefix } => {
                match scope {
                    Scope::Any => {}
                    Scope::Title => f.write_str("title:")?,
                    Scope::Body => f.write_str("text:")?,
                }
                let wild = if *prefix { "*" } else { "" };
                if needs_quotes(text) { write!(f, "\"{text}\"{wild}") } else { write!(f, "{text}{wild}") }
            }
            Expr::Filter { filter, value } => {
                let name = filter.name();
                if needs_quotes(value) || value.contains(['*', '?']) {
                    write!(f, "{name}:\"{value}\"")
                } else {
                    write!(f, "{name}:{value}")
                }
            }
            Expr::Date { from, to } => {
                let side = |t: &Option<DateTime<Utc>>| t.map(|t| t.to_rfc3339()).unwrap_or_default();
                write!(f, "date:{}..{}", side(from), side(to))
            }
            Expr::And(items) => {
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" ")?;
                    }
                    write_grouped(f, item, matches!(item, Expr::And(_) | Expr::Or(_)))?;
                }
                Ok(())
            }
            Expr::Or(items) => {
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" OR ")?;
                    }
                    write_grouped(f, item, matches!(item, Expr::Or(_)))?;
                }
                Ok(())
            }
            Expr::Not(inner) => {
                f.write_str("-")?;
                write_grouped(f, inner, matches!(inner.as_ref(), Expr::And(_) | Expr::Or(_)))
            }
        }
    }
}

fn write_grouped(f: &mut fmt::Formatter<'_>, e: &Expr, group: bool) -> fmt::Result {
    if group { write!(f, "({e})") } else { write!(f, "{e}") }
}

/// Whether a word must be quoted to be read back as the same word.
fn needs_quotes(text: &str) -> bool {
    text.is_empty()
        || text.starts_with(['-', '+'])
        || text.chars().any(|c| ends_word(c) || c == ':' || c == '*' || c == '?')
        || matches!(word_kind(text, 0, text.len()), Kind::And | Kind::Or | Kind::Not)
}

impl Filter {
    /// The field name in the query language.
    pub fn name(self) -> &'static str {
        match self {
            Filter::Source => "source",
            Filter::Lang => "lang",
            Filter::Rule => "rule",
            Filter::Tag => "tag",
            Filter::Region => "region",
            Filter::Sentiment => "sentiment",
            Filter::Severity => "severity",
            Filter::Story => "story",
        }
    }
}

#[derive(Debug, Clone)]
struct Token<'a> {
    kind: Kind<'a>,
    at: usize,
}

fn is_quote(c: char) -> bool {
    matches!(c, '"' | '“' | '”')
}

fn ends_word(c: char) -> bool {
    c.is_whitespace() || c == '(' || c == ')' || is_quote(c)
}

fn lex(query: &str) -> Result<Vec<Token<'_>>, SyntaxError> {
    let mut out = Vec::new();
    let mut rest = query.char_indices().peekable();
    while let Some(&(at, c)) = rest.peek() {
        if c.is_whitespace() {
            rest.next();
            continue;
        }
        if c == '(' || c == ')' {
            rest.next();
            out.push(Token { kind: if c == '(' { Kind::Open } else { Kind::Close }, at });
            continue;
        }
        if is_quote(c) {
            rest.next();
            let start = at + c.len_utf8();
            let end = loop {
                match rest.next() {
                    Some((i, q)) if is_quote(q) => break i,
                    Some(_) => {}
                    None => {
                        return Err(error(
                            query,
                            at,
                            "unclosed quote",
                            "add the closing `\"` or remove the opening one",
                        ));
                    }
                }
            };
            let prefix = rest.next_if(|&(_, c)| c == '*').is_some();
            out.push(Token { kind: Kind::Phrase { text: &query[start..end], prefix }, at });
            continue;
        }
        if (c == '-' || c == '+') && query[at + 1..].starts_with(|n: char| !ends_word(n) || n == '(' || is_quote(n)) {
            rest.next();
            if c == '-' {
                out.push(Token { kind: Kind::Not, at });
            }
            continue;
        }
        let mut end = query.len();
        while let Some(&(i, c)) = rest.peek() {
            if ends_word(c) {
                end = i;
                break;
            }
            rest.next();
        }
        out.push(Token { kind: word_kind(query, at, end), at });
    }
    Ok(out)
}

fn word_kind(query: &str, at: usize, end: usize) -> Kind<'_> {
    let word = &query[at..end];
    match word {
        "AND" | "&&" | "VÀ" | "VA" => return Kind::And,
        "OR" | "||" | "HOẶC" | "HOAC" => return Kind::Or,
        "NOT" | "KHÔNG" | "KHONG" => return Kind::Not,
        _ => {}
    }
    // `name:value` only when `name` is made of letters: `10:30` and `covid:19`-like noise that
    // starts with a digit stay words.
    if let Some(colon) = word.find(':')
        && colon > 0
        && word[..colon].chars().all(|c| c.is_ascii_alphabetic())
    {
        let (name, value) = (&word[..colon], &word[colon + 1..]);
        let next = query[end..].chars().next();
        if value.is_empty() && next.is_some_and(|c| c == '(' || is_quote(c)) {
            return Kind::Field(name);
        }
        return Kind::FieldWord(name, value);
    }
    Kind::Word(word)
}

fn error(query: &str, at: usize, message: &str, hint: &str) -> SyntaxError {
    let column = query.get(..at).map_or(at, |s| s.chars().count()) + 1;
    SyntaxError { offset: at, column, message: message.to_string(), hint: hint.to_string() }
}

/// What the words being parsed mean: text in a scope, or values of a filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Context {
    Text(Scope),
    Filter(Filter),
    Date,
}

struct Parser<'a> {
    query: &'a str,
    tokens: Vec<Token<'a>>,
    pos: usize,
    now: DateTime<Utc>,
}

const FIELDS_HINT: &str = "use title:, text:, source:, lang:, rule:, tag:, region:, sentiment:, severity:, story: or \
                           date:, or put the word in quotes to search for it as written";

impl<'a> Parser<'a> {
    fn error(&self, at: usize, message: &str, hint: &str) -> SyntaxError {
        error(self.query, at, message, hint)
    }

    fn peek(&self) -> Option<&Kind<'a>> {
        self.tokens.get(self.pos).map(|t| &t.kind)
    }

    fn at(&self) -> usize {
        self.tokens.get(self.pos).map_or(self.query.len(), |t| t.at)
    }

    /// An operator needs an operand after it: not the end, `)`, or another AND/OR.
    fn operand_follows(&self, op: &str, at: usize) -> Result<(), SyntaxError> {
        match self.peek() {
            None | Some(Kind::Close | Kind::And | Kind::Or) => {
                Err(self.error(at, &format!("`{op}` has nothing after it"), "add a word after it or remove it"))
            }
            _ => Ok(()),
        }
    }

    fn or(&mut self, depth: usize, ctx: Context) -> Result<Expr, SyntaxError> {
        let mut items = vec![self.and(depth, ctx)?];
        while let Some(Kind::Or) = self.peek() {
            let at = self.at();
            self.pos += 1;
            self.operand_follows("OR", at)?;
            items.push(self.and(depth, ctx)?);
        }
        Ok(if items.len() == 1 { items.remove(0) } else { Expr::Or(items) })
    }

    fn and(&mut self, depth: usize, ctx: Context) -> Result<Expr, SyntaxError> {
        if let Some(Kind::And | Kind::Or) = self.peek() {
            return Err(self.error(
                self.at(),
                "an operator has nothing before it",
                "add a word before it or remove it",
            ));
        }
        let mut items = vec![self.unary(depth, ctx)?];
        loop {
            match self.peek() {
                None | Some(Kind::Close | Kind::Or) => break,
                Some(Kind::And) => {
                    let at = self.at();
                    self.pos += 1;
                    self.operand_follows("AND", at)?;
                }
                Some(_) => {}
            }
            items.push(self.unary(depth, ctx)?);
        }
        Ok(if items.len() == 1 { items.remove(0) } else { Expr::And(items) })
    }

    fn unary(&mut self, depth: usize, ctx: Context) -> Result<Expr, SyntaxError> {
        if let Some(Kind::Not) = self.peek() {
            let at = self.at();
            self.pos += 1;
            self.operand_follows("NOT", at)?;
            return Ok(Expr::Not(Box::new(self.unary(depth, ctx)?)));
        }
        self.primary(depth, ctx)
    }

    fn primary(&mut self, depth: usize, ctx: Context) -> Result<Expr, SyntaxError> {
        let at = self.at();
        let Some(kind) = self.peek().cloned() else {
            return Err(self.error(at, "the query ends too early", "add a word"));
        };
        self.pos += 1;
        match kind {
            Kind::Open => self.group(at, depth, ctx),
            Kind::Close => Err(self.error(at, "unexpected `)`", "remove it or add the `(` it closes")),
            Kind::And | Kind::Or | Kind::Not => Err(self.error(at, "an operator is out of place", "remove it")),
            Kind::Phrase { text, prefix } => self.phrase(text, prefix, at, ctx),
            Kind::Word(word) => self.word(word, at, ctx),
            Kind::FieldWord(name, value) => {
                let ctx = self.field(name, at)?;
                if value.is_empty() {
                    return Err(self.error(at, &format!("`{name}:` needs a value"), "write it right after the colon"));
                }
                self.word(value, at + name.len() + 1, ctx)
            }
            Kind::Field(name) => {
                let ctx = self.field(name, at)?;
                if ctx == Context::Date && self.peek() == Some(&Kind::Open) {
                    return Err(self.error(at, "`date:` takes one range", "write date:FROM..TO"));
                }
                self.primary(depth, ctx)
            }
        }
    }

    fn group(&mut self, at: usize, depth: usize, ctx: Context) -> Result<Expr, SyntaxError> {
        if depth >= MAX_DEPTH {
            return Err(self.error(at, "parentheses nested too deeply", &format!("use at most {MAX_DEPTH} levels")));
        }
        if self.peek() == Some(&Kind::Close) {
            return Err(self.error(at, "empty parentheses", "put words inside or remove them"));
        }
        let inner = self.or(depth + 1, ctx)?;
        if self.peek() != Some(&Kind::Close) {
            return Err(self.error(at, "unclosed parenthesis", "add the `)` that closes it"));
        }
        self.pos += 1;
        Ok(inner)
    }

    fn field(&self, name: &str, at: usize) -> Result<Context, SyntaxError> {
        let ctx = match name.to_ascii_lowercase().as_str() {
            "title" | "tieude" => Context::Text(Scope::Title),
            "text" | "body" | "noidung" => Context::Text(Scope::Body),
            "source" | "nguon" => Context::Filter(Filter::Source),
            "lang" | "language" => Context::Filter(Filter::Lang),
            "rule" => Context::Filter(Filter::Rule),
            "tag" => Context::Filter(Filter::Tag),
            "region" => Context::Filter(Filter::Region),
            "sentiment" => Context::Filter(Filter::Sentiment),
            "severity" => Context::Filter(Filter::Severity),
            "story" => Context::Filter(Filter::Story),
            "date" | "ngay" => Context::Date,
            _ => return Err(self.error(at, &format!("unknown field `{name}:`"), FIELDS_HINT)),
        };
        Ok(ctx)
    }

    fn phrase(&self, text: &str, prefix: bool, at: usize, ctx: Context) -> Result<Expr, SyntaxError> {
        if text.trim().is_empty() {
            return Err(self.error(at, "empty quotes", "put words between them or remove them"));
        }
        if prefix && text.chars().filter(|c| c.is_alphanumeric()).count() < 2 {
            return Err(self.error(at, "a wildcard needs two letters before it", "write more of the word"));
        }
        match ctx {
            Context::Text(scope) => Ok(Expr::Text { text: text.to_string(), scope, prefix }),
            Context::Filter(filter) => self.filter(filter, text, at),
            Context::Date => self.date(text.trim(), at),
        }
    }

    fn word(&self, word: &str, at: usize, ctx: Context) -> Result<Expr, SyntaxError> {
        let wildcard = word.find(['*', '?']);
        match ctx {
            Context::Date => self.date(word, at),
            Context::Filter(filter) => {
                if wildcard.is_some() {
                    return Err(self.error(at, "filters take exact values", "remove the wildcard"));
                }
                self.filter(filter, word, at)
            }
            Context::Text(scope) => {
                let Some(star) = wildcard else {
                    return Ok(Expr::Text { text: word.to_string(), scope, prefix: false });
                };
                if star + 1 != word.len() || word.ends_with('?') {
                    return Err(self.error(
                        at + star,
                        "a wildcard can only end a word",
                        "write the start of the word followed by `*`, as in vắc*",
                    ));
                }
                let stem = &word[..star];
                if stem.chars().filter(|c| c.is_alphanumeric()).count() < 2 {
                    return Err(self.error(at, "a wildcard needs two letters before it", "write more of the word"));
                }
                Ok(Expr::Text { text: stem.to_string(), scope, prefix: true })
            }
        }
    }

    fn filter(&self, filter: Filter, value: &str, at: usize) -> Result<Expr, SyntaxError> {
        let value = match filter {
            Filter::Sentiment => sentiment(value).ok_or_else(|| {
                self.error(at, &format!("unknown sentiment `{value}`"), "use negative, neutral or positive")
            })?,
            Filter::Severity => severity(value).ok_or_else(|| {
                self.error(at, &format!("unknown severity `{value}`"), "use info, low, medium, high or critical")
            })?,
            Filter::Lang => value.to_ascii_lowercase(),
            _ => value.to_string(),
        };
        Ok(Expr::Filter { filter, value })
    }

    fn date(&self, value: &str, at: usize) -> Result<Expr, SyntaxError> {
        let bad = || {
            self.error(
                at,
                &format!("cannot read the date `{value}`"),
                "write date:2021-12-01..2021-12-31, date:2021-12, date:24/12/2021, date:..2021-12-31 or date:7d",
            )
        };
        if let Some(since) = relative(value) {
            let since = since.ok_or_else(bad)?;
            return Ok(Expr::Date { from: self.now.checked_sub_signed(since), to: None });
        }
        let (from, to) = match value.split_once("..") {
            Some((a, b)) => {
                let from = if a.is_empty() { None } else { Some(period(a).ok_or_else(bad)?.0) };
                let to = if b.is_empty() { None } else { Some(period(b).ok_or_else(bad)?.1) };
                if from.is_none() && to.is_none() {
                    return Err(bad());
                }
                (from, to)
            }
            None => {
                let (from, to) = period(value).ok_or_else(bad)?;
                if from == to {
                    return Err(self.error(at, "an exact time needs a range", "write date:TIME1..TIME2"));
                }
                (Some(from), Some(to))
            }
        };
        if let (Some(f), Some(t)) = (from, to)
            && f >= t
        {
            return Err(self.error(at, "the date range ends before it starts", "swap the two dates"));
        }
        Ok(Expr::Date { from, to })
    }
}

fn sentiment(value: &str) -> Option<String> {
    let v = duluan_text::fold(&value.to_lowercase()).replace(['-', '_', ' '], "");
    let label = match v.as_str() {
        "negative" | "neg" | "tieucuc" => "negative",
        "neutral" | "trungtinh" | "trunglap" => "neutral",
        "positive" | "pos" | "tichcuc" => "positive",
        _ => return None,
    };
    Some(label.to_string())
}

fn severity(value: &str) -> Option<String> {
    let v = value.to_ascii_lowercase();
    matches!(v.as_str(), "info" | "low" | "medium" | "high" | "critical").then_some(v)
}

/// `7d`, `24h`, `2w`: `Some(None)` when it has that shape but overflows.
fn relative(value: &str) -> Option<Option<Duration>> {
    let unit = value.chars().last()?;
    let digits = &value[..value.len() - unit.len_utf8()];
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: i64 = match digits.parse() {
        Ok(n) if n <= 1_000_000 => n,
        _ => return Some(None),
    };
    let d = match unit {
        'h' | 'H' => Duration::try_hours(n),
        'd' | 'D' => Duration::try_days(n),
        'w' | 'W' => Duration::try_weeks(n),
        _ => return None,
    };
    Some(d)
}

/// The span `[start, end)` a date names: a day, a month or a year in Vietnam time, or an instant.
fn period(s: &str) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        let t = t.with_timezone(&Utc);
        return Some((t, t));
    }
    let nums: Vec<&str> = s.split(['-', '/', '.']).collect();
    if nums.iter().any(|n| n.is_empty() || n.len() > 4 || !n.bytes().all(|b| b.is_ascii_digit())) {
        return None;
    }
    let n = |i: usize| nums.get(i).and_then(|x| x.parse::<u32>().ok());
    let iso = nums.first().is_some_and(|y| y.len() == 4);
    let (start, end) = match (nums.len(), iso) {
        (1, true) => year_span(n(0)? as i32)?,
        (2, true) => month_span(n(0)? as i32, n(1)?)?,
        (3, true) => day_span(NaiveDate::from_ymd_opt(n(0)? as i32, n(1)?, n(2)?)?)?,
        (2, false) => month_span(n(1)? as i32, n(0)?)?,
        (3, false) => day_span(NaiveDate::from_ymd_opt(n(2)? as i32, n(1)?, n(0)?)?)?,
        _ => return None,
    };
    Some((start, end))
}

fn local_midnight(d: NaiveDate) -> Option<DateTime<Utc>> {
    vietnam().from_local_datetime(&d.and_hms_opt(0, 0, 0)?).single().map(|t| t.with_timezone(&Utc))
}

fn day_span(d: NaiveDate) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    Some((local_midnight(d)?, local_midnight(d.succ_opt()?)?))
}

fn month_span(year: i32, month: u32) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let first = NaiveDate::from_ymd_opt(year, month, 1)?;
    let next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)?
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)?
    };
    Some((local_midnight(first)?, local_midnight(next)?))
}

fn year_span(year: i32) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    Some((
        local_midnight(NaiveDate::from_ymd_opt(year, 1, 1)?)?,
        local_midnight(NaiveDate::from_ymd_opt(year + 1, 1, 1)?)?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2021-12-24T03:30:00Z").unwrap().with_timezone(&Utc)
    }

    fn p(q: &str) -> Expr {
        parse(q, now()).unwrap_or_else(|e| panic!("{q}: {e}"))
    }

    fn w(text: &str) -> Expr {
        Expr::Text { text: text.into(), scope: Scope::Any, prefix: false }
    }

    fn scoped(text: &str, scope: Scope) -> Expr {
        Expr::Text { text: text.into(), scope, prefix: false }
    }

    fn f(filter: Filter, value: &str) -> Expr {
        Expr::Filter { filter, value: value.into() }
    }

    fn not(e: Expr) -> Expr {
        Expr::Not(Box::new(e))
    }

    fn utc(s: &str) -> Option<DateTime<Utc>> {
        Some(DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc))
    }

    /// Error column for `q`, and that the message and hint are not empty.
    fn column(q: &str) -> usize {
        let e = parse(q, now()).expect_err(q);
        assert!(!e.message.is_empty() && !e.hint.is_empty(), "{q}: {e:?}");
        assert!(q.is_char_boundary(e.offset), "{q}: {e:?}");
        e.column
    }

    #[test]
    fn words_phrases_and_implicit_and() {
        assert_eq!(p(""), Expr::All);
        assert_eq!(p("   "), Expr::All);
        assert_eq!(p("lũ"), w("lũ"));
        assert_eq!(p("khẩu trang"), Expr::And(vec![w("khẩu"), w("trang")]));
        assert_eq!(p("\"khẩu trang\""), w("khẩu trang"));
        assert_eq!(p("“khẩu trang”"), w("khẩu trang"), "typographic quotes from phones");
        assert_eq!(p("covid-19 +vaccine"), Expr::And(vec![w("covid-19"), w("vaccine")]));
        assert_eq!(p("10:30"), w("10:30"), "a time is a word, not a field");
    }

    #[test]
    fn operators_in_english_and_vietnamese_with_precedence() {
        let a_or_bc = Expr::Or(vec![w("a"), Expr::And(vec![w("b"), w("c")])]);
        assert_eq!(p("a OR b AND c"), a_or_bc);
        assert_eq!(p("a HOẶC b VÀ c"), a_or_bc);
        assert_eq!(p("a HOAC b VA c"), a_or_bc);
        assert_eq!(p("a || b && c"), a_or_bc);
        assert_eq!(p("(a OR b) c"), Expr::And(vec![Expr::Or(vec![w("a"), w("b")]), w("c")]));
        assert_eq!(p("a NOT b"), Expr::And(vec![w("a"), not(w("b"))]));
        assert_eq!(p("a KHÔNG b"), Expr::And(vec![w("a"), not(w("b"))]));
        assert_eq!(p("a KHONG b"), Expr::And(vec![w("a"), not(w("b"))]));
        assert_eq!(p("a -b"), Expr::And(vec![w("a"), not(w("b"))]));
        assert_eq!(p("-\"a b\""), not(w("a b")));
        assert_eq!(p("a -(b OR c)"), Expr::And(vec![w("a"), not(Expr::Or(vec![w("b"), w("c")]))]));
        assert_eq!(p("NOT NOT a"), not(not(w("a"))));
        // Lower-case operators are words: "và", "hoặc", "không" are common Vietnamese words.
        assert_eq!(p("không và hoặc or"), Expr::And(vec![w("không"), w("và"), w("hoặc"), w("or")]));
        assert_eq!(p("a - b"), Expr::And(vec![w("a"), w("-"), w("b")]), "a lone dash is punctuation");
    }

    #[test]
    fn scopes_filters_and_wildcards() {
        assert_eq!(p("title:lũ"), scoped("lũ", Scope::Title));
        assert_eq!(p("text:\"ngập lụt\""), scoped("ngập lụt", Scope::Body));
        assert_eq!(p("title:(lũ OR bão)"), Expr::Or(vec![scoped("lũ", Scope::Title), scoped("bão", Scope::Title)]));
        assert_eq!(p("vắc*"), Expr::Text { text: "vắc".into(), scope: Scope::Any, prefix: true });
        assert_eq!(p("\"khẩu tr\"*"), Expr::Text { text: "khẩu tr".into(), scope: Scope::Any, prefix: true });
        assert_eq!(
            p("source:vnexpress lang:VI rule:vaccine-death tag:news region:hn story:s1"),
            Expr::And(vec![
                f(Filter::Source, "vnexpress"),
                f(Filter::Lang, "vi"),
                f(Filter::Rule, "vaccine-death"),
                f(Filter::Tag, "news"),
                f(Filter::Region, "hn"),
                f(Filter::Story, "s1"),
            ])
        );
        assert_eq!(p("source:(a OR b)"), Expr::Or(vec![f(Filter::Source, "a"), f(Filter::Source, "b")]));
        assert_eq!(p("sentiment:NEGATIVE"), f(Filter::Sentiment, "negative"));
        assert_eq!(p("sentiment:tiêu-cực"), f(Filter::Sentiment, "negative"));
        assert_eq!(p("sentiment:tich-cuc"), f(Filter::Sentiment, "positive"));
        assert_eq!(p("sentiment:trung_tính"), f(Filter::Sentiment, "neutral"));
        assert_eq!(p("severity:High"), f(Filter::Severity, "high"));
        assert_eq!(p("-source:x"), not(f(Filter::Source, "x")));
    }

    #[test]
    fn dates_are_vietnam_days_months_years_and_relative() {
        let day = Expr::Date { from: utc("2021-12-23T17:00:00Z"), to: utc("2021-12-24T17:00:00Z") };
        assert_eq!(p("date:2021-12-24"), day);
        assert_eq!(p("date:24/12/2021"), day, "day first, as Vietnamese write it");
        assert_eq!(p("date:24.12.2021"), day);
        assert_eq!(p("ngay:24/12/2021"), day);
        assert_eq!(
            p("date:2021-12"),
            Expr::Date { from: utc("2021-11-30T17:00:00Z"), to: utc("2021-12-31T17:00:00Z") }
        );
        assert_eq!(p("date:12/2021"), p("date:2021-12"));
        assert_eq!(p("date:2021"), Expr::Date { from: utc("2020-12-31T17:00:00Z"), to: utc("2021-12-31T17:00:00Z") });
        assert_eq!(
            p("date:2021-12-01..2021-12-31"),
            Expr::Date { from: utc("2021-11-30T17:00:00Z"), to: utc("2021-12-31T17:00:00Z") }
        );
        assert_eq!(p("date:..2021-12-31"), Expr::Date { from: None, to: utc("2021-12-31T17:00:00Z") });
        assert_eq!(p("date:2021-12-01.."), Expr::Date { from: utc("2021-11-30T17:00:00Z"), to: None });
        assert_eq!(
            p("date:2021-12-01T08:00:00+07:00..2021-12-01T09:00:00+07:00"),
            Expr::Date { from: utc("2021-12-01T01:00:00Z"), to: utc("2021-12-01T02:00:00Z") }
        );
        assert_eq!(p("date:7d"), Expr::Date { from: utc("2021-12-17T03:30:00Z"), to: None });
        assert_eq!(p("date:24h"), Expr::Date { from: utc("2021-12-23T03:30:00Z"), to: None });
        assert_eq!(p("date:2w"), Expr::Date { from: utc("2021-12-10T03:30:00Z"), to: None });
        assert_eq!(p("date:\"2021-12-24\""), day);
    }

    #[test]
    fn filters_only_keeps_the_top_level_limits() {
        assert_eq!(
            p("lũ source:a -lang:en").filters_only(),
            Expr::And(vec![f(Filter::Source, "a"), not(f(Filter::Lang, "en"))])
        );
        assert_eq!(p("source:a").filters_only(), f(Filter::Source, "a"));
        assert_eq!(p("lũ OR source:a").filters_only(), Expr::All);
        assert_eq!(p("lũ").filters_only(), Expr::All);
    }

    #[test]
    fn printing_gives_back_the_same_query() {
        for q in [
            "khẩu trang",
            "\"khẩu trang\" OR vaccine",
            "a b OR c",
            "(a OR b) c",
            "a OR (b OR c)",
            "a (b c)",
            "-(a OR b) -c NOT NOT d",
            "title:(lũ OR bão) text:\"ngập lụt\"* vắc*",
            "source:\"Tuổi Trẻ\" lang:EN sentiment:tiêu-cực severity:HIGH",
            "date:2021-12 date:7d date:..2021-12-31",
            "\"OR\" \"a:b\" \"-x\" \"a*\"",
        ] {
            let e = p(q);
            let printed = e.to_string();
            assert_eq!(p(&printed), e, "{q} printed as {printed}");
        }
        assert_eq!(p("a HOẶC b VÀ KHÔNG c").to_string(), "a OR b -c");
    }

    #[test]
    fn errors_name_their_column() {
        assert_eq!(column("khẩu \"trang"), 6);
        assert_eq!(column("(a OR b"), 1);
        assert_eq!(column("a OR b)"), 7);
        assert_eq!(column("a OR"), 3);
        assert_eq!(column("OR a"), 1);
        assert_eq!(column("a AND OR b"), 3);
        assert_eq!(column("a NOT"), 3);
        assert_eq!(column("a ()"), 3);
        assert_eq!(column("lũ foo:bar"), 4);
        assert_eq!(column("https://x.vn"), 1);
        assert_eq!(column("source:"), 1);
        assert_eq!(column("x source:vn*"), 10);
        assert_eq!(column("sentiment:angry"), 11);
        assert_eq!(column("severity:urgent"), 10);
        assert_eq!(column("a *b"), 3);
        assert_eq!(column("a v*x"), 4);
        assert_eq!(column("a v*"), 3);
        assert_eq!(column("đ?"), 2);
        assert_eq!(column("a \"\""), 3);
        assert_eq!(column("a \"@\"*"), 3, "found by the fuzzer: a quoted prefix needs two letters too");
        assert_eq!(column("date:2021-13-01"), 6);
        assert_eq!(column("date:31/02/2021"), 6);
        assert_eq!(column("date:2021-12-31..2021-12-01"), 6);
        assert_eq!(column("date:.."), 6);
        assert_eq!(column("date:9999999999d"), 6);
        assert_eq!(column("date:2021-12-01T08:00:00Z"), 6);
        assert_eq!(column("date:(a)"), 1);
        assert_eq!(column(&"(".repeat(MAX_DEPTH + 1)), MAX_DEPTH + 1);
        let e = parse("bão lụt foo:x", now()).unwrap_err();
        assert!(e.to_string().starts_with("column 9: unknown field `foo:`; use title:"), "{e}");
    }
}
