//! The OpenAPI 3.1 document, generated from the handlers' `#[utoipa::path]` annotations and
//! their request/response types, so it cannot drift from the code; plus the offline docs page.
//!
//! Responses every operation can give (400 for malformed input, 401 and 429 for secured
//! operations, 413 and 415 for operations with a body) are added here, in one place, rather
//! than repeated on every handler.

use askama::Template;
use axum::response::{Html, IntoResponse, Response};
use serde_json::{Value, json};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::{AppState, api, metrics};

/// Every documented API route. Only routes registered here are served under `/api/`.
pub(crate) fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::default()
        .routes(routes!(api::search))
        .routes(routes!(api::search_histogram))
        .routes(routes!(api::search_export))
        .routes(routes!(api::saved_searches, api::create_saved_search))
        .routes(routes!(api::delete_saved_search))
        .routes(routes!(api::saved_search_rule))
        .routes(routes!(api::item))
        .routes(routes!(api::alerts))
        .routes(routes!(api::alert))
        .routes(routes!(api::claim))
        .routes(routes!(api::release))
        .routes(routes!(api::reopen))
        .routes(routes!(api::handoff))
        .routes(routes!(api::verdict))
        .routes(routes!(api::assign))
        .routes(routes!(api::close))
        .routes(routes!(api::priority))
        .routes(routes!(api::bulk))
        .routes(routes!(api::silences, api::create_silence))
        .routes(routes!(api::expire_silence))
        .routes(routes!(api::receivers))
        .routes(routes!(api::notifications))
        .routes(routes!(api::rule_stats))
        .routes(routes!(api::sources))
        .routes(routes!(api::reports))
        .routes(routes!(api::report))
        .routes(routes!(api::report_file))
        .routes(routes!(api::audit_log))
        .routes(routes!(api::tokens, api::create_token))
        .routes(routes!(api::revoke_token))
        .routes(routes!(api::healthz))
        .routes(routes!(api::readyz))
        .routes(routes!(metrics::metrics))
}

fn error_response(description: &str) -> Value {
    json!({
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
    })
}

/// Finish the generated document: info, security schemes, shared responses, the two routes that
/// serve the document itself.
pub(crate) fn document(api: utoipa::openapi::OpenApi) -> Value {
    let mut doc = serde_json::to_value(&api).unwrap_or_else(|_| json!({"paths": {}}));
    doc["openapi"] = json!("3.1.0");
    doc["info"] = json!({
        "title": "duluan API",
        "version": env!("CARGO_PKG_VERSION"),
        "description": "Public-opinion monitoring: search collected items, work the alert queue, read sources' health. \
            Authenticate with `Authorization: Bearer TOKEN` (from `duluan user token NAME` or `POST /api/tokens`), or \
            with the login session cookie plus its CSRF token in `X-CSRF-Token` for state changes. Errors always have \
            the body `{\"error\": {\"code\": \"…\", \"message\": \"…\"}}`. Lists are paged with a `next` cursor.",
        "license": {"name": "Apache-2.0", "identifier": "Apache-2.0"}
    });
    let components = &mut doc["components"];
    components["securitySchemes"] = json!({
        "bearer": {"type": "http", "scheme": "bearer", "description": "An API token."},
        "session": {"type": "apiKey", "in": "cookie", "name": crate::auth::SESSION_COOKIE,
                    "description": "The login session; state changes also need the `X-CSRF-Token` header."}
    });
    components["responses"] = json!({
        "BadRequest": error_response("The request is malformed: bad parameter, bad JSON, unknown field, bad query."),
        "Unauthorized": error_response("No valid token or session."),
        "Forbidden": error_response("Signed in, but the role is too small or the CSRF token is missing."),
        "TooLarge": error_response("The request body is over the limit."),
        "UnsupportedMediaType": error_response("The body must be `application/json`."),
        "RateLimited": {
            "description": "Too many requests: wait the number of seconds in `Retry-After`.",
            "headers": {"Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}}},
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
        }
    });
    if let Some(paths) = doc["paths"].as_object_mut() {
        for item in paths.values_mut() {
            let Some(item) = item.as_object_mut() else { continue };
            for (method, op) in item.iter_mut() {
                if !matches!(method.as_str(), "get" | "post" | "put" | "patch" | "delete") {
                    continue;
                }
                add_common_responses(op);
            }
        }
        add_links(paths);
        paths.insert(
            "/api/openapi.json".into(),
            public_get("This document.", "application/json", json!({"type": "object"})),
        );
        paths.insert("/api/docs".into(), public_get("The API reference page.", "text/html", json!({"type": "string"})));
    }
    crate::access::document_roles(&mut doc);
    doc
}

/// OpenAPI links, so clients and stateful fuzzers can follow ids from one response into the
/// next request (a listed alert → its page, its claim, its verdict).
fn add_links(paths: &mut serde_json::Map<String, Value>) {
    let id = json!({"id": "$response.body#/alerts/0/id"});
    let from_list = json!({
        "GetAlert": {"operationId": "alert", "parameters": id},
        "ClaimAlert": {"operationId": "claim", "parameters": id},
        "ReleaseAlert": {"operationId": "release", "parameters": id},
        "DecideAlert": {"operationId": "verdict", "parameters": id},
        "ReopenAlert": {"operationId": "reopen", "parameters": id}
    });
    if let Some(ok) = paths
        .get_mut("/api/alerts")
        .and_then(|p| p.get_mut("get"))
        .and_then(|o| o.get_mut("responses"))
        .and_then(|r| r.get_mut("200"))
    {
        ok["links"] = from_list;
    }
    let own = json!({"id": "$response.body#/id"});
    for (path, op) in [("/api/alerts/{id}/claim", "post")] {
        if let Some(ok) = paths
            .get_mut(path)
            .and_then(|p| p.get_mut(op))
            .and_then(|o| o.get_mut("responses"))
            .and_then(|r| r.get_mut("200"))
        {
            ok["links"] = json!({
                "DecideClaimed": {"operationId": "verdict", "parameters": own},
                "ReleaseClaimed": {"operationId": "release", "parameters": own},
                "HandOffClaimed": {"operationId": "handoff", "parameters": own, "requestBody": {"to": "demo"}}
            });
        }
    }
    if let Some(ok) = paths
        .get_mut("/api/search")
        .and_then(|p| p.get_mut("get"))
        .and_then(|o| o.get_mut("responses"))
        .and_then(|r| r.get_mut("200"))
    {
        ok["links"] = json!({"GetItem": {"operationId": "item", "parameters": {"id": "$response.body#/hits/0/id"}}});
    }
    if let Some(ok) = paths
        .get_mut("/api/reports")
        .and_then(|p| p.get_mut("get"))
        .and_then(|o| o.get_mut("responses"))
        .and_then(|r| r.get_mut("200"))
    {
        let id = json!("$response.body#/reports/0/id");
        ok["links"] = json!({
            "GetReport": {"operationId": "report", "parameters": {"id": id}},
            "DownloadReport": {"operationId": "report_file", "parameters": {"id": id, "format": "html"}}
        });
    }
    if let Some(ok) = paths
        .get_mut("/api/saved-searches")
        .and_then(|p| p.get_mut("post"))
        .and_then(|o| o.get_mut("responses"))
        .and_then(|r| r.get_mut("201"))
    {
        let id = json!({"id": "$response.body#/id"});
        ok["links"] = json!({
            "DraftRule": {"operationId": "saved_search_rule", "parameters": id},
            "DeleteSavedSearch": {"operationId": "delete_saved_search", "parameters": id}
        });
    }
    if let Some(ok) = paths
        .get_mut("/api/tokens")
        .and_then(|p| p.get_mut("post"))
        .and_then(|o| o.get_mut("responses"))
        .and_then(|r| r.get_mut("201"))
    {
        ok["links"] =
            json!({"RevokeToken": {"operationId": "revoke_token", "parameters": {"id": "$response.body#/id"}}});
    }
}

fn add_common_responses(op: &mut Value) {
    let secured =
        op["security"].as_array().is_some_and(|s| s.iter().any(|r| r.as_object().is_some_and(|o| !o.is_empty())));
    let has_body = op.get("requestBody").is_some();
    let responses = &mut op["responses"];
    let mut add = |status: &str, name: &str| {
        if responses.get(status).is_none() {
            responses[status] = json!({"$ref": format!("#/components/responses/{name}")});
        }
    };
    add("400", "BadRequest");
    if secured {
        add("401", "Unauthorized");
        add("429", "RateLimited");
    }
    if has_body {
        add("413", "TooLarge");
        add("415", "UnsupportedMediaType");
    }
}

fn public_get(description: &str, content_type: &str, schema: Value) -> Value {
    json!({"get": {
        "tags": ["operations"],
        "summary": description,
        "operationId": description.to_lowercase().replace(' ', "_").trim_end_matches('.').to_string(),
        "responses": {
            "200": {"description": description, "content": {content_type: {"schema": schema}}},
            "400": {"$ref": "#/components/responses/BadRequest"}
        },
        "security": [{}]
    }})
}

/// One documented operation, for the docs page.
struct OperationView {
    method: String,
    path: String,
    summary: String,
    description: String,
    auth: bool,
    params: Vec<(String, String, String, bool)>,
    body: Option<String>,
    responses: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "api_docs.html")]
struct DocsPage {
    title: String,
    version: String,
    description: String,
    groups: Vec<(String, Vec<OperationView>)>,
    schemas: Vec<(String, String)>,
}

fn schema_name(v: &Value) -> String {
    if let Some(r) = v.get("$ref").and_then(Value::as_str) {
        return r.rsplit('/').next().unwrap_or(r).to_string();
    }
    match v.get("type") {
        Some(Value::String(t)) if t == "array" => format!("array of {}", schema_name(&v["items"])),
        Some(Value::String(t)) => t.clone(),
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(" | "),
        _ => v.get("oneOf").map(|_| "one of several".to_string()).unwrap_or_else(|| "object".into()),
    }
}

/// The reference page: rendered on the server from the document, no scripts, no CDN.
pub(crate) fn docs_page(doc: &Value) -> Response {
    let mut groups: Vec<(String, Vec<OperationView>)> = Vec::new();
    if let Some(paths) = doc["paths"].as_object() {
        for (path, item) in paths {
            let Some(item) = item.as_object() else { continue };
            for (method, op) in item {
                let tag = op["tags"][0].as_str().unwrap_or("other").to_string();
                let params = op["parameters"]
                    .as_array()
                    .map(|ps| {
                        ps.iter()
                            .map(|p| {
                                (
                                    p["name"].as_str().unwrap_or("").to_string(),
                                    p["in"].as_str().unwrap_or("").to_string(),
                                    format!(
                                        "{} — {}",
                                        schema_name(&p["schema"]),
                                        p["description"].as_str().unwrap_or("")
                                    ),
                                    p["required"].as_bool().unwrap_or(false),
                                )
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                let responses = op["responses"]
                    .as_object()
                    .map(|rs| {
                        rs.iter()
                            .map(|(status, r)| {
                                let text = match r.get("$ref").and_then(Value::as_str) {
                                    Some(name) => name.rsplit('/').next().unwrap_or(name).to_string(),
                                    None => {
                                        let body = r["content"]
                                            .as_object()
                                            .and_then(|c| c.values().next())
                                            .map(|c| schema_name(&c["schema"]));
                                        format!(
                                            "{}{}",
                                            r["description"].as_str().unwrap_or(""),
                                            body.map(|b| format!(" ({b})")).unwrap_or_default()
                                        )
                                    }
                                };
                                (status.clone(), text)
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                let view = OperationView {
                    method: method.to_uppercase(),
                    path: path.clone(),
                    summary: op["summary"].as_str().unwrap_or("").to_string(),
                    description: op["description"].as_str().unwrap_or("").to_string(),
                    auth: op["security"]
                        .as_array()
                        .is_some_and(|s| s.iter().any(|r| r.as_object().is_some_and(|o| !o.is_empty()))),
                    params,
                    body: op["requestBody"]["content"]["application/json"].get("schema").map(schema_name),
                    responses,
                };
                match groups.iter_mut().find(|(t, _)| *t == tag) {
                    Some((_, ops)) => ops.push(view),
                    None => groups.push((tag, vec![view])),
                }
            }
        }
    }
    let schemas = doc["components"]["schemas"]
        .as_object()
        .map(|s| {
            s.iter()
                .map(|(name, schema)| (name.clone(), serde_json::to_string_pretty(schema).unwrap_or_default()))
                .collect()
        })
        .unwrap_or_default();
    let page = DocsPage {
        title: doc["info"]["title"].as_str().unwrap_or("API").to_string(),
        version: doc["info"]["version"].as_str().unwrap_or("").to_string(),
        description: doc["info"]["description"].as_str().unwrap_or("").to_string(),
        groups,
        schemas,
    };
    match page.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => crate::error::ApiError::internal(e).into_response(),
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn document_is_openapi_3_1_with_security_and_shared_responses() {
        let doc = crate::openapi_document();
        assert_eq!(doc["openapi"], "3.1.0");
        let paths = doc["paths"].as_object().expect("paths");
        for (path, item) in paths {
            for (method, op) in item.as_object().expect("item") {
                assert!(
                    op["responses"]["200"].is_object()
                        || op["responses"]["201"].is_object()
                        || op["responses"]["204"].is_object(),
                    "{method} {path} has no success response"
                );
                assert!(op["responses"]["400"].is_object(), "{method} {path} lacks 400");
                assert!(op["security"].is_array(), "{method} {path} declares no security");
                assert!(op["operationId"].is_string(), "{method} {path} has no operationId");
            }
        }
        let claim = &doc["paths"]["/api/alerts/{id}/claim"]["post"];
        for status in ["200", "401", "403", "404", "409", "429"] {
            assert!(claim["responses"][status].is_object(), "claim lacks {status}");
        }
        assert_eq!(doc["paths"]["/healthz"]["get"]["security"], serde_json::json!([{}]));
        assert!(doc["components"]["schemas"]["Alert"].is_object());
        assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
    }
}
