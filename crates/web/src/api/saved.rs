//! Saved searches, shared within a team, and their conversion into rule syntax for back-testing.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use chrono::Utc;
use duluan_index::syntax::{self, Expr, Filter, Scope};
use duluan_model::{Label, NewSavedSearch, Role, SavedSearch};
use duluan_rules::expr::{Expr as RuleExpr, Mode, Scope as RuleScope, Term};
use duluan_text::View;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{MAX_QUERY_BYTES, csrf_header, date_bound};
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath};

/// Longest name of a saved search, in characters.
const MAX_NAME: usize = 100;
/// Longest filter value, in characters.
const MAX_FILTER: usize = 200;

/// `GET /api/saved-searches` response.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SavedSearchList {
    /// By name: those shared with everyone and those of the caller's team.
    pub searches: Vec<SavedSearch>,
    /// Always absent: the list fits one page.
    pub next: Option<String>,
}

/// The team whose saved searches a caller sees: their own; leads and admins without a team see
/// every team's (`None`); others without a team only the shared ones (`Some("")`).
fn visible_team(caller: &Caller) -> Option<String> {
    match &caller.user.team {
        Some(team) => Some(team.clone()),
        None if caller.user.role >= Role::Lead => None,
        None => Some(String::new()),
    }
}

fn visible(caller: &Caller, search: &SavedSearch) -> bool {
    match (visible_team(caller), &search.team) {
        (None, _) | (_, None) => true,
        (Some(mine), Some(theirs)) => mine == *theirs,
    }
}

/// Saved searches the caller can see.
pub async fn visible_searches(state: &AppState, caller: &Caller) -> Result<Vec<SavedSearch>, ApiError> {
    Ok(state.store.saved_searches(visible_team(caller).as_deref()).await?)
}

/// The team's saved searches.
#[utoipa::path(get, path = "/api/saved-searches", tag = "search",
    responses((status = 200, description = "Saved searches", body = SavedSearchList)),
    security(("bearer" = []), ("session" = [])))]
pub async fn saved_searches(State(state): State<AppState>, caller: Caller) -> Result<Json<SavedSearchList>, ApiError> {
    Ok(Json(SavedSearchList { searches: visible_searches(&state, &caller).await?, next: None }))
}

/// `POST /api/saved-searches` body: a name, the query and its filters (as `/api/search` takes them).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SavedSearchBody {
    /// Name, unique within the team.
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// The query.
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub q: String,
    /// Share with everyone rather than with the caller's team only.
    #[serde(default)]
    pub shared: bool,
    /// From date (`YYYY-MM-DD` or RFC 3339).
    #[schema(max_length = 200)]
    pub from: Option<String>,
    /// To date.
    #[schema(max_length = 200)]
    pub to: Option<String>,
    /// Source id(s), comma-separated.
    #[schema(max_length = 200)]
    pub source: Option<String>,
    /// Language code(s).
    #[schema(max_length = 200)]
    pub lang: Option<String>,
    /// Rule id(s).
    #[schema(max_length = 200)]
    pub rule: Option<String>,
    /// Source tag(s).
    #[schema(max_length = 200)]
    pub tag: Option<String>,
    /// Region(s).
    #[schema(max_length = 200)]
    pub region: Option<String>,
    /// Sentiment.
    #[schema(inline)]
    pub sentiment: Option<Label>,
}

/// Check a save request and turn it into the store's form.
pub fn new_saved_search(caller: &Caller, body: SavedSearchBody) -> Result<NewSavedSearch, ApiError> {
    let name = body.name.trim().to_string();
    if name.is_empty() || body.name.chars().count() > MAX_NAME {
        return Err(ApiError::bad_request(format!("a saved search needs a name of 1 to {MAX_NAME} characters")));
    }
    if body.q.len() > MAX_QUERY_BYTES {
        return Err(ApiError::bad_request(format!("the query is longer than {MAX_QUERY_BYTES} bytes")));
    }
    syntax::parse(body.q.trim(), Utc::now()).map_err(duluan_index::Error::from)?;
    let mut filters = BTreeMap::new();
    let text = [
        ("from", body.from),
        ("to", body.to),
        ("source", body.source),
        ("lang", body.lang),
        ("rule", body.rule),
        ("tag", body.tag),
        ("region", body.region),
        ("sentiment", body.sentiment.map(|l| l.as_str().to_string())),
    ];
    for (key, value) in text {
        // The limit applies to the value as sent, as the schema's maxLength does.
        if value.as_ref().is_some_and(|v| v.chars().count() > MAX_FILTER) {
            return Err(ApiError::bad_request(format!("`{key}` is longer than {MAX_FILTER} characters")));
        }
        let Some(value) = value.map(|v| v.trim().to_string()).filter(|v| !v.is_empty()) else { continue };
        if key == "from" || key == "to" {
            date_bound(&value, key == "to")?;
        }
        filters.insert(key.to_string(), value);
    }
    Ok(NewSavedSearch {
        name,
        team: if body.shared { None } else { caller.user.team.clone() },
        query: body.q.trim().to_string(),
        filters,
        created_by: caller.user.name.clone(),
    })
}

/// Save a search for the team (or for everyone with `shared`).
#[utoipa::path(post, path = "/api/saved-searches", tag = "search", request_body = SavedSearchBody,
    responses((status = 201, description = "Saved", body = SavedSearch),
              (status = 403, description = "CSRF check failed", body = ErrorBody),
              (status = 409, description = "The team already has a search of that name", body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn create_saved_search(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    ApiJson(body): ApiJson<SavedSearchBody>,
) -> Result<(StatusCode, Json<SavedSearch>), ApiError> {
    caller.check_csrf(csrf_header(&headers))?;
    let search = new_saved_search(&caller, body)?;
    Ok((StatusCode::CREATED, Json(state.store.create_saved_search(&search, Utc::now()).await?)))
}

/// One saved search the caller can see, or 404.
pub async fn visible_search(state: &AppState, caller: &Caller, id: i64) -> Result<SavedSearch, ApiError> {
    match state.store.saved_search(id).await? {
        Some(s) if visible(caller, &s) => Ok(s),
        _ => Err(ApiError::not_found(format!("saved search {id} not found"))),
    }
}

/// Delete a saved search (its author, or a lead).
#[utoipa::path(delete, path = "/api/saved-searches/{id}", tag = "search",
    params(("id" = i64, Path, description = "Saved search id")),
    responses((status = 204, description = "Deleted"),
              (status = 403, description = "Neither its author nor a lead, or CSRF check failed", body = ErrorBody),
              (status = 404, description = "No such saved search", body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn delete_saved_search(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    caller.check_csrf(csrf_header(&headers))?;
    let search = visible_search(&state, &caller, id).await?;
    if search.created_by != caller.user.name && caller.user.role < Role::Lead {
        return Err(ApiError::forbidden("only its author or a lead may delete a saved search"));
    }
    state.store.delete_saved_search(id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/saved-searches/{id}/rule` response.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RuleDraft {
    /// A `[[rule]]` entry for a pack under `rules/`, disabled and tag-only until back-tested.
    pub toml: String,
    /// The rule expression alone.
    pub query: String,
    /// What of the search a rule cannot hold (dates, filters on rules or sentiment).
    pub notes: Vec<String>,
}

/// The saved search as rule syntax (a disabled, tag-only draft) to back-test before it is turned on.
#[utoipa::path(get, path = "/api/saved-searches/{id}/rule", tag = "search",
    params(("id" = i64, Path, description = "Saved search id")),
    responses((status = 200, description = "The rule draft", body = RuleDraft),
              (status = 404, description = "No such saved search", body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub async fn saved_search_rule(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<RuleDraft>, ApiError> {
    let search = visible_search(&state, &caller, id).await?;
    Ok(Json(rule_draft(&search)?))
}

/// Item filters a rule can hold, gathered from the query and the saved filters.
#[derive(Default)]
struct RuleFilters {
    sources: Vec<String>,
    langs: Vec<String>,
    regions: Vec<String>,
    source_tags: Vec<String>,
    notes: Vec<String>,
}

/// A rule draft for a saved search.
pub fn rule_draft(search: &SavedSearch) -> Result<RuleDraft, ApiError> {
    let expr = syntax::parse(&search.query, Utc::now()).map_err(duluan_index::Error::from)?;
    let mut f = RuleFilters::default();
    for (key, value) in &search.filters {
        let values = value.split(',').map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
        match key.as_str() {
            "source" => f.sources.extend(values),
            "lang" => f.langs.extend(values),
            "region" => f.regions.extend(values),
            "tag" => f.source_tags.extend(values),
            other => f.notes.push(format!("`{other}={value}` has no rule equivalent and was left out")),
        }
    }
    let top: Vec<&Expr> = match &expr {
        Expr::And(items) => items.iter().collect(),
        other => vec![other],
    };
    let mut parts = Vec::new();
    for e in top {
        match e {
            Expr::Filter { filter, value } => top_filter(*filter, value, &mut f),
            Expr::Date { .. } => f.notes.push("dates are left out: a rule looks at every new item".into()),
            other => parts.extend(rule_expr(other)?),
        }
    }
    let rule = match parts.len() {
        0 => return Err(ApiError::bad_request("a rule needs words to look for; this search has only filters")),
        1 => parts.remove(0),
        _ => RuleExpr::And(parts),
    };
    let query = rule.to_string();
    // Words the rule language reads differently (it has its own operators) are refused here
    // rather than handed out as a draft that would not load.
    duluan_rules::expr::parse(&query)
        .map_err(|e| ApiError::bad_request(format!("this search cannot be written as a rule ({e}); rephrase it")))?;
    Ok(RuleDraft { toml: rule_toml(search, &query, &f), query, notes: f.notes })
}

fn top_filter(filter: Filter, value: &str, f: &mut RuleFilters) {
    let value = value.to_string();
    match filter {
        Filter::Source => f.sources.push(value),
        Filter::Lang => f.langs.push(value),
        Filter::Region => f.regions.push(value),
        Filter::Tag => f.source_tags.push(value),
        other => f.notes.push(format!("`{}:{value}` has no rule equivalent and was left out", other.name())),
    }
}

/// The rule expression for a part of a search; filters below the top level cannot be held.
fn rule_expr(e: &Expr) -> Result<Option<RuleExpr>, ApiError> {
    let nested = |what: &str| {
        ApiError::bad_request(format!(
            "{what} inside OR, NOT or parentheses cannot become a rule; keep filters at the top level"
        ))
    };
    Ok(match e {
        Expr::All => None,
        Expr::Text { text, scope, prefix } => {
            let mode = if syntax::view_of(text) == View::Exact { Mode::Exact } else { Mode::Folded };
            let term = RuleExpr::Term(Term { text: text.trim().to_string(), prefix: *prefix, mode: Some(mode) });
            Some(match scope {
                Scope::Any => term,
                Scope::Title => RuleExpr::Scoped(RuleScope::Title, Box::new(term)),
                Scope::Body => RuleExpr::Scoped(RuleScope::Text, Box::new(term)),
            })
        }
        Expr::Filter { filter, .. } => return Err(nested(&format!("`{}:`", filter.name()))),
        Expr::Date { .. } => return Err(nested("`date:`")),
        Expr::And(items) => Some(RuleExpr::And(
            items.iter().map(rule_expr).collect::<Result<Option<Vec<_>>, _>>()?.ok_or_else(|| nested("a part"))?,
        )),
        Expr::Or(items) => Some(RuleExpr::Or(
            items.iter().map(rule_expr).collect::<Result<Option<Vec<_>>, _>>()?.ok_or_else(|| nested("a part"))?,
        )),
        Expr::Not(inner) => rule_expr(inner)?.map(|r| RuleExpr::Not(Box::new(r))),
    })
}

/// A TOML basic string (JSON string escapes are valid TOML).
fn toml_string(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

fn toml_list(values: &[String]) -> String {
    format!("[{}]", values.iter().map(|v| toml_string(v)).collect::<Vec<_>>().join(", "))
}

fn rule_toml(search: &SavedSearch, query: &str, f: &RuleFilters) -> String {
    let slug: String = duluan_text::fold(&search.name.to_lowercase())
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect::<String>()
        .split('_')
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("_");
    let id = if slug.is_empty() { format!("saved.search_{}", search.id) } else { format!("saved.{slug}") };
    let mut out = format!(
        "# From the saved search {} ({}). Back-test it: save as FILE.toml (with a [pack] header) and run `duluan rules backtest FILE.toml --days 30`; then move it into a pack under rules/ and enable it.\n\
         [[rule]]\nid = {}\ntitle = {{ vi = {}, en = {} }}\ndescription = {}\nseverity = \"medium\"\n\
         mode = \"folded\"\nquery = {}\naction = \"tag\"\nenabled = false\n",
        toml_string(&search.name),
        search.id,
        toml_string(&id),
        toml_string(&search.name),
        toml_string(&search.name),
        toml_string(&format!("Saved search: {}", search.query)),
        toml_string(query),
    );
    for (key, values) in
        [("sources", &f.sources), ("langs", &f.langs), ("regions", &f.regions), ("source_tags", &f.source_tags)]
    {
        if !values.is_empty() {
            out.push_str(&format!("{key} = {}\n", toml_list(values)));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn saved(query: &str, filters: &[(&str, &str)]) -> SavedSearch {
        SavedSearch {
            id: 7,
            name: "Vắc xin gây hại?".into(),
            team: Some("y-te".into()),
            query: query.into(),
            filters: filters.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            created_by: "analyst".into(),
            created_at: Utc::now(),
        }
    }

    fn read(draft: &RuleDraft) -> duluan_rules::Packs {
        let mut packs = duluan_rules::Packs::default();
        let mut errors = Vec::new();
        let text = format!("[pack]\nid = \"saved\"\n\n{}", draft.toml);
        duluan_rules::read_pack(std::path::Path::new("saved.toml"), &text, &mut packs, &mut errors);
        assert!(errors.is_empty(), "{errors:?}\n{text}");
        packs
    }

    #[test]
    fn a_search_becomes_a_disabled_tag_only_rule_with_its_filters() {
        let search = saved(
            "(vắc xin OR vaccine) \"vô sinh\" -\"bác bỏ\" title:tin* source:vnexpress date:7d",
            &[("lang", "vi"), ("sentiment", "negative")],
        );
        let draft = rule_draft(&search).expect("draft");
        let packs = read(&draft);
        let rule = &packs.rules[0];
        assert_eq!(rule.id, "saved.vac_xin_gay_hai");
        assert!(!rule.enabled);
        assert_eq!(rule.filters.sources, ["vnexpress"]);
        assert_eq!(rule.filters.langs, ["vi"]);
        // Words with diacritics stay exact, words without are folded, as in search.
        assert!(draft.query.contains("exact:\"vô sinh\""), "{}", draft.query);
        assert!(draft.query.contains("folded:\"vaccine\""), "{}", draft.query);
        assert!(
            draft.query.contains("NOT exact:\"bác bỏ\"") || draft.query.contains("-exact:\"bác bỏ\""),
            "{}",
            draft.query
        );
        assert_eq!(draft.notes.len(), 2, "sentiment and date are noted: {:?}", draft.notes);
    }

    #[test]
    fn searches_a_rule_cannot_hold_are_refused_with_a_reason() {
        for query in ["source:a lang:vi", "lũ OR source:a", "lũ -(lụt source:b)"] {
            let e = rule_draft(&saved(query, &[])).expect_err(query);
            assert_eq!(e.status, StatusCode::BAD_REQUEST, "{query}");
            assert!(!e.message.is_empty());
        }
    }
}
