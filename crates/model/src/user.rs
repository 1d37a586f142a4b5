use serde::{Deserialize, Serialize};

use crate::string_enum;

string_enum!(
    /// What a person may do; each role includes the rights of those below it.
    Role, "role", {
        /// Read and search.
        Viewer => "viewer",
        /// Triage alerts.
        Collaborator => "collaborator",
        /// Assign, silence, manage rules.
        Lead => "lead",
        /// Configure sources, users and teams.
        Admin => "admin",
    }
);

impl Role {
    /// Whether this role has at least the rights of `other`.
    pub fn at_least(self, other: Role) -> bool {
        self >= other
    }
}

/// An account (a member of the team, never a monitored person).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct User {
    /// Store id.
    pub id: i64,
    /// Login name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// Team queue the user works; `None` means the default team.
    pub team: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_ordered() {
        assert!(Role::Admin.at_least(Role::Lead));
        assert!(Role::Collaborator.at_least(Role::Viewer));
        assert!(!Role::Viewer.at_least(Role::Collaborator));
        assert_eq!("lead".parse::<Role>(), Ok(Role::Lead));
        assert!("boss".parse::<Role>().is_err());
    }
}
