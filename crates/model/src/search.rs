//! Saved searches: a named query with its filters, shared within a team.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A named search kept for the team.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SavedSearch {
    /// Id.
    pub id: i64,
    /// Name, unique within its team.
    pub name: String,
    /// The team that shares it; `None`: everyone.
    pub team: Option<String>,
    /// The query text.
    pub query: String,
    /// Filters beside the query (`source`, `lang`, `rule`, `tag`, `region`, `sentiment`, `from`,
    /// `to`), as the search API takes them.
    pub filters: BTreeMap<String, String>,
    /// Who saved it.
    pub created_by: String,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// A search to save.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSavedSearch {
    /// Name, unique within its team.
    pub name: String,
    /// The team that shares it; `None`: everyone.
    pub team: Option<String>,
    /// The query text.
    pub query: String,
    /// Filters beside the query.
    pub filters: BTreeMap<String, String>,
    /// Who saves it.
    pub created_by: String,
}
