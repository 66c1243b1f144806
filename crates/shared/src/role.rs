//! Roles of a merchant's team members, from most to least powerful.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Read-only access to the dashboard.
    Viewer,
    /// Works the conversations inbox.
    Agent,
    /// Manages integrations, keys, templates and the team (but not owners).
    Admin,
    /// Created the merchant; everything.
    Owner,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::Agent => "agent",
            Role::Viewer => "viewer",
        }
    }

    /// True when this role has at least the rights of `other`.
    pub fn at_least(self, other: Role) -> bool {
        self >= other
    }
}

impl std::str::FromStr for Role {
    type Err = crate::Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "owner" => Ok(Role::Owner),
            "admin" => Ok(Role::Admin),
            "agent" => Ok(Role::Agent),
            "viewer" => Ok(Role::Viewer),
            other => Err(crate::Error::Corrupt(format!("unknown role {other:?}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordering_matches_privilege() {
        assert!(Role::Owner.at_least(Role::Admin));
        assert!(Role::Admin.at_least(Role::Agent));
        assert!(!Role::Viewer.at_least(Role::Agent));
        assert_eq!("agent".parse::<Role>().ok(), Some(Role::Agent));
        assert!("root".parse::<Role>().is_err());
    }
}
