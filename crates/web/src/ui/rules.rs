//! The rules review page: every rule with its hits, verdicts and precision, and the ones that
//! need a look, in the words of the visitor's language. Titles and descriptions come from rule
//! files anyone with access to the rules directory may write: the template escapes them.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use duluan_rules::review::ReviewFlag;
use serde::Deserialize;

use super::{PageBase, Visitor, encode, error_page, render};
use crate::AppState;
use crate::api::{RuleProvenance, RuleReview, RuleSort, review_list};
use crate::i18n::{Tr, label, text};
use crate::views::local_time;

struct RuleRow {
    id: String,
    title: String,
    other_title: String,
    description: String,
    pack: String,
    owner: String,
    severity: String,
    severity_label: &'static str,
    enabled: &'static str,
    tag_only: bool,
    hits: String,
    hits_30d: String,
    alerts: i64,
    last_hit: String,
    confirmed: i64,
    dismissed: i64,
    decided: i64,
    precision: String,
    reasons: Vec<String>,
    search_href: String,
}

#[derive(Template)]
#[template(path = "rules.html")]
struct RulesPage {
    page: PageBase,
    rows: Vec<RuleRow>,
    sort: &'static str,
    needs_review: bool,
    /// The orders offered: (key, name).
    sorts: Vec<(&'static str, &'static str)>,
    flagged: usize,
    total: usize,
    /// The rule files changed into something that does not load: when, and each problem.
    reload_failure: Option<(String, Vec<String>)>,
}

impl RulesPage {
    /// This page in another order, keeping the filter.
    fn sort_link(&self, key: &str) -> String {
        let filter = if self.needs_review { "&needs_review=true" } else { "" };
        format!("/rules?sort={key}{filter}")
    }
}

/// Lenient on purpose: a hand-edited address shows the default list rather than an error.
#[derive(Deserialize, Default)]
pub(super) struct RulesQuery {
    sort: Option<String>,
    needs_review: Option<String>,
}

fn sort_of(key: Option<&str>) -> RuleSort {
    match key {
        Some("precision") => RuleSort::Precision,
        Some("hits") => RuleSort::Hits,
        Some("last_hit") => RuleSort::LastHit,
        _ => RuleSort::Review,
    }
}

fn sort_key(sort: RuleSort) -> &'static str {
    match sort {
        RuleSort::Review => "review",
        RuleSort::Precision => "precision",
        RuleSort::Hits => "hits",
        RuleSort::LastHit => "last_hit",
    }
}

/// `/rules`: any signed-in user, as `GET /api/rules/stats`.
pub(super) async fn rules_page(
    State(state): State<AppState>,
    visitor: Visitor,
    Query(q): Query<RulesQuery>,
) -> Response {
    let tr = visitor.tr;
    let sort = sort_of(q.sort.as_deref());
    let needs_review = matches!(q.needs_review.as_deref(), Some("true" | "1" | "on"));
    let all = match review_list(&state, sort, false).await {
        Ok(rows) => rows,
        Err(e) => return error_page(tr, Some(&visitor.caller), e),
    };
    let total = all.len();
    let flagged = all.iter().filter(|r| !r.flags.is_empty()).count();
    let rows = all.into_iter().filter(|r| !needs_review || !r.flags.is_empty()).map(|r| row(tr, r)).collect();
    let sorts = [
        (RuleSort::Review, "sort_review"),
        (RuleSort::Precision, "col_precision"),
        (RuleSort::Hits, "col_hits"),
        (RuleSort::LastHit, "col_last_hit"),
    ]
    .into_iter()
    .map(|(s, name)| (sort_key(s), text(tr, name)))
    .collect();
    let reload_failure = state.rules.failure().map(|f| (local_time(f.at), f.errors));
    render(RulesPage {
        page: visitor.page("rules"),
        rows,
        sort: sort_key(sort),
        needs_review,
        sorts,
        flagged,
        total,
        reload_failure,
    })
}

fn row(tr: &'static Tr, r: RuleReview) -> RuleRow {
    let (title, other_title) = titles(tr, &r);
    let count = |n: Option<u64>| n.map_or_else(|| "–".to_string(), |n| n.to_string());
    RuleRow {
        title,
        other_title,
        description: r.description,
        owner: r.owner.unwrap_or_default(),
        pack: match r.provenance {
            RuleProvenance::Pack => r.pack.unwrap_or_default(),
            RuleProvenance::Removed => text(tr, "rule_removed").to_string(),
            RuleProvenance::Builtin => text(tr, "rule_builtin").to_string(),
        },
        severity: r.severity.map(|s| s.to_string()).unwrap_or_default(),
        severity_label: r.severity.map_or("", |s| label(tr, s.as_str())),
        enabled: match (r.provenance, r.enabled) {
            (RuleProvenance::Pack, true) => text(tr, "yes"),
            (RuleProvenance::Pack, false) => text(tr, "no"),
            _ => "–",
        },
        tag_only: r.tag_only,
        hits: count(r.hits),
        hits_30d: count(r.hits_30d),
        alerts: r.stats.alerts,
        last_hit: r.stats.last_hit.map(local_time).unwrap_or_else(|| tr.never.to_string()),
        confirmed: r.stats.confirmed + r.stats.escalated,
        dismissed: r.stats.dismissed,
        decided: r.decided,
        precision: r.stats.precision.map_or_else(|| "–".to_string(), |p| format!("{:.0}%", p * 100.0)),
        reasons: r.flags.iter().map(|f| reason(tr, f)).collect(),
        search_href: format!("/search?q={}", encode(&search_query(&r.stats.rule))),
        id: r.stats.rule,
    }
}

/// The title in the page's language and the other one, each falling back to the other, then
/// to the id.
fn titles(tr: &Tr, r: &RuleReview) -> (String, String) {
    let (vi, en) = (r.title.vi.trim(), r.title.en.trim());
    let (first, second) = if tr.code == "en" { (en, vi) } else { (vi, en) };
    match (first.is_empty(), second.is_empty()) {
        (false, _) => (first.to_string(), if second == first { String::new() } else { second.to_string() }),
        (true, false) => (second.to_string(), String::new()),
        (true, true) => (r.stats.rule.clone(), String::new()),
    }
}

/// The search for a rule's hits, quoting ids the query language would otherwise split.
fn search_query(rule: &str) -> String {
    if rule.chars().all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | ':')) {
        format!("rule:{rule}")
    } else {
        format!("rule:\"{}\"", rule.replace('"', ""))
    }
}

/// A review flag in words.
fn reason(tr: &Tr, flag: &ReviewFlag) -> String {
    match flag {
        ReviewFlag::Removed => text(tr, "review_removed").to_string(),
        ReviewFlag::NeverFired => text(tr, "review_never_fired").to_string(),
        ReviewFlag::LowPrecision { precision, decided } => text(tr, "review_low_precision")
            .replace("{precision}", &format!("{:.0}", precision * 100.0))
            .replace("{decided}", &decided.to_string()),
        ReviewFlag::PrecisionFell { before, recent, decided } => text(tr, "review_precision_fell")
            .replace("{before}", &format!("{:.0}", before * 100.0))
            .replace("{recent}", &format!("{:.0}", recent * 100.0))
            .replace("{decided}", &decided.to_string()),
        ReviewFlag::Quiet { days } => text(tr, "review_quiet").replace("{days}", &days.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::{EN, VI};

    #[test]
    fn every_flag_has_words_in_both_languages() {
        let flags = [
            ReviewFlag::Removed,
            ReviewFlag::NeverFired,
            ReviewFlag::LowPrecision { precision: 0.4, decided: 5 },
            ReviewFlag::Quiet { days: 31 },
            ReviewFlag::PrecisionFell { before: 0.95, recent: 0.2, decided: 10 },
        ];
        for tr in [&VI, &EN] {
            for flag in &flags {
                let words = reason(tr, flag);
                assert!(!words.is_empty() && !words.contains('{'), "{}: {flag:?} → {words:?}", tr.code);
            }
        }
        assert_eq!(reason(&EN, &flags[2]), "Precision 40% over 5 decisions");
        assert_eq!(reason(&VI, &flags[3]), "Không khớp tin nào trong 31 ngày");
        assert_eq!(reason(&VI, &flags[4]), "Độ chính xác giảm từ 95% xuống 20% trong 10 kết luận gần đây");
    }

    #[test]
    fn rule_ids_become_searches_that_read_back() {
        use duluan_index::syntax::{Expr, Filter, parse};
        assert_eq!(search_query("health.vaccine_harm_rumor"), "rule:health.vaccine_harm_rumor");
        for id in ["health.vaccine_harm_rumor", "claim:gia-xang", "a-b_c.d", "tên có dấu"] {
            let read = parse(&search_query(id), chrono::Utc::now()).expect("a valid query");
            assert_eq!(read, Expr::Filter { filter: Filter::Rule, value: id.to_string() }, "{id}");
        }
    }

    #[test]
    fn unknown_sorts_fall_back_to_the_review_order() {
        assert_eq!(sort_of(Some("precision")), RuleSort::Precision);
        assert_eq!(sort_of(Some("<script>")), RuleSort::Review);
        assert_eq!(sort_key(sort_of(Some("last_hit"))), "last_hit");
    }
}
