//! Who may call what. The least role of every API operation lives in one table; one middleware
//! enforces it before any handler runs, the OpenAPI document states it from the same table (so
//! the two cannot drift), and every refused attempt — a role check here, or a CSRF or team check
//! in a handler — lands in the audit log with who, what and why.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use duluan_model::{AuditEvent, Role};
use serde_json::Value;

use crate::AppState;
use crate::auth::{self, Caller};
use crate::error::{ApiError, Refusal};

/// Operations that need more than a signed-in viewer, by operation id.
const ROLES: &[(&str, Role)] = &[
    ("claim", Role::Collaborator),
    ("release", Role::Collaborator),
    ("handoff", Role::Collaborator),
    ("verdict", Role::Collaborator),
    // Which bulk actions need a lead depends on the body; the handler checks that part.
    ("bulk", Role::Collaborator),
    ("reopen", Role::Lead),
    ("assign", Role::Lead),
    ("close", Role::Lead),
    ("priority", Role::Lead),
    ("create_silence", Role::Lead),
    ("expire_silence", Role::Lead),
    ("receivers", Role::Lead),
    ("notifications", Role::Lead),
    ("audit_log", Role::Admin),
];

/// Operations anyone may call, signed in or not (probes and the API's own description).
const PUBLIC: &[&str] = &["healthz", "readyz", "this_document", "the_api_reference_page"];

/// The OpenAPI extension that carries an operation's least role.
pub const ROLE_EXTENSION: &str = "x-duluan-role";

/// The least role an operation needs; `None` for public operations.
pub fn least_role(operation_id: &str) -> Option<Role> {
    if PUBLIC.contains(&operation_id) {
        return None;
    }
    Some(ROLES.iter().find(|(id, _)| *id == operation_id).map_or(Role::Viewer, |(_, role)| *role))
}

/// Write each operation's least role into the document, as the `x-duluan-role` extension and a
/// sentence in its description.
pub(crate) fn document_roles(doc: &mut Value) {
    for_each_operation(doc, |_, _, op| {
        let Some(role) = op["operationId"].as_str().and_then(least_role) else { return };
        op[ROLE_EXTENSION] = Value::String(role.to_string());
        if role > Role::Viewer && op["responses"].get("403").is_none() {
            op["responses"]["403"] = serde_json::json!({"$ref": "#/components/responses/Forbidden"});
        }
        let note = format!("Needs the `{role}` role or higher.");
        op["description"] = Value::String(match op["description"].as_str() {
            Some(d) if !d.is_empty() => format!("{d}\n\n{note}"),
            _ => note,
        });
    });
}

fn for_each_operation(doc: &mut Value, mut f: impl FnMut(&str, &str, &mut Value)) {
    let Some(paths) = doc["paths"].as_object_mut() else { return };
    for (path, item) in paths.iter_mut() {
        let Some(item) = item.as_object_mut() else { continue };
        for (method, op) in item.iter_mut() {
            if matches!(method.as_str(), "get" | "post" | "put" | "patch" | "delete") {
                f(path, method, op);
            }
        }
    }
}

/// The least role of each routed operation, keyed by method and route pattern.
#[derive(Clone, Debug, Default)]
pub(crate) struct RouteRoles(Arc<HashMap<(Method, String), Role>>);

impl RouteRoles {
    /// Read the table off the finished document (whose paths are the router's patterns).
    pub(crate) fn from_document(doc: &Value) -> RouteRoles {
        let mut map = HashMap::new();
        let paths = doc["paths"].as_object().into_iter().flatten();
        for (path, item) in paths {
            for (method, op) in item.as_object().into_iter().flatten() {
                let role = op["operationId"].as_str().and_then(least_role);
                if let (Some(role), Ok(method)) = (role, Method::from_bytes(method.to_uppercase().as_bytes())) {
                    map.insert((method, path.to_string()), role);
                }
            }
        }
        RouteRoles(Arc::new(map))
    }
}

/// Identify the caller once, refuse what their role does not allow (401 without a caller, 403
/// with too small a role), hand the caller to the handler, and audit every 403.
pub(crate) async fn guard(
    State((state, roles)): State<(AppState, RouteRoles)>,
    matched: Option<MatchedPath>,
    request: Request,
    next: Next,
) -> Response {
    let route = matched.map(|m| m.as_str().to_string());
    let needed = route.as_ref().and_then(|r| roles.0.get(&(request.method().clone(), r.clone()))).copied();
    let (mut parts, body) = request.into_parts();
    // Pages that only read do not need the caller here; their handlers look it up themselves.
    let caller = if needed.is_some() || parts.method != Method::GET {
        match auth::identify(&parts, &state).await {
            Ok(caller) => caller,
            Err(e) => return e.into_response(),
        }
    } else {
        None
    };
    let attempt = Attempt {
        method: parts.method.clone(),
        route: route.unwrap_or_else(|| parts.uri.path().to_string()),
        path: parts.uri.path().to_string(),
    };
    if let Some(role) = needed {
        let Some(caller) = &caller else { return ApiError::unauthorized().into_response() };
        if let Err(e) = caller.require(role) {
            attempt.audit(&state, caller, &e.message).await;
            return e.into_response();
        }
    }
    if let Some(caller) = &caller {
        parts.extensions.insert(caller.clone());
    }
    let response = next.run(Request::from_parts(parts, body)).await;
    if response.status() == StatusCode::FORBIDDEN
        && let Some(caller) = &caller
    {
        let why = response.extensions().get::<Refusal>().map_or("refused", |r| r.0.as_str());
        attempt.audit(&state, caller, why).await;
    }
    response
}

/// A request that was refused, for the audit log.
struct Attempt {
    method: Method,
    route: String,
    path: String,
}

impl Attempt {
    /// The alert the request was about, for routes under `/alerts/{id}` or `/api/alerts/{id}`.
    fn alert_id(&self) -> Option<i64> {
        let route: Vec<&str> = self.route.split('/').collect();
        let path: Vec<&str> = self.path.split('/').collect();
        let under_alerts = route.iter().take(3).any(|s| *s == "alerts");
        let at = route.iter().position(|s| *s == "{id}")?;
        if !under_alerts || route.len() != path.len() {
            return None;
        }
        path.get(at)?.parse().ok()
    }

    async fn audit(&self, state: &AppState, caller: &Caller, why: &str) {
        let event = AuditEvent {
            who: caller.user.name.clone(),
            at: Utc::now(),
            action: "denied".into(),
            before: None,
            after: None,
            detail: Some(format!("{} {}: {why}", self.method, self.path)),
        };
        // The refusal stands even if the log write fails; the failure itself is logged.
        if let Err(e) = state.store.audit_event(self.alert_id(), &event).await {
            tracing::error!(error = %e, who = %event.who, "could not audit a refused request");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attempt(route: &str, path: &str) -> Attempt {
        Attempt { method: Method::POST, route: route.into(), path: path.into() }
    }

    #[test]
    fn alert_ids_come_from_alert_routes_only() {
        assert_eq!(attempt("/api/alerts/{id}/claim", "/api/alerts/42/claim").alert_id(), Some(42));
        assert_eq!(attempt("/alerts/{id}/{action}", "/alerts/7/close").alert_id(), Some(7));
        assert_eq!(attempt("/api/silences/{id}", "/api/silences/3").alert_id(), None);
        assert_eq!(attempt("/api/alerts/{id}/claim", "/api/alerts/x/claim").alert_id(), None);
        assert_eq!(attempt("/api/alerts/bulk", "/api/alerts/bulk").alert_id(), None);
    }

    #[test]
    fn roles_default_to_viewer_and_public_ones_are_listed() {
        assert_eq!(least_role("search"), Some(Role::Viewer));
        assert_eq!(least_role("close"), Some(Role::Lead));
        assert_eq!(least_role("audit_log"), Some(Role::Admin));
        assert_eq!(least_role("healthz"), None);
    }

    #[test]
    fn documented_roles_key_the_route_table() {
        let mut doc = serde_json::json!({"paths": {
            "/api/alerts/{id}/close": {"post": {"operationId": "close"}},
            "/healthz": {"get": {"operationId": "healthz"}}
        }});
        document_roles(&mut doc);
        assert_eq!(doc["paths"]["/api/alerts/{id}/close"]["post"][ROLE_EXTENSION], "lead");
        assert!(doc["paths"]["/healthz"]["get"].get(ROLE_EXTENSION).is_none());
        let roles = RouteRoles::from_document(&doc);
        assert_eq!(roles.0.get(&(Method::POST, "/api/alerts/{id}/close".into())), Some(&Role::Lead));
        assert_eq!(roles.0.len(), 1);
    }
}
