//! A user's role in one organization.

use serde::{Deserialize, Serialize};
use std::fmt;

/// What a user may do in an organization they belong to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Manages the organization and every organization below it: users, passes and settings.
    Administrator,
    /// Charges with their own passes and may see them; administers nothing.
    Cardholder,
}

impl Role {
    /// Every role, in the order the UI offers them.
    pub const ALL: [Role; 2] = [Role::Administrator, Role::Cardholder];

    /// The stored name: "administrator" or "cardholder" (the same as the serde representation).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Administrator => "administrator",
            Self::Cardholder => "cardholder",
        }
    }

    /// The role with the given stored name ([`Role::as_str`]), if any.
    pub fn parse(s: &str) -> Option<Role> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// The name the UI shows: "Administrator" or "Cardholder".
    pub fn label(self) -> &'static str {
        match self {
            Self::Administrator => "Administrator",
            Self::Cardholder => "Cardholder",
        }
    }
}

/// Shows the label.
impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_through_their_stored_names() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
            let json = serde_json::to_string(&role).unwrap();
            assert_eq!(json, format!("\"{}\"", role.as_str()));
            assert_eq!(serde_json::from_str::<Role>(&json).unwrap(), role);
        }
    }

    #[test]
    fn names_and_labels() {
        let table = [
            (Role::Administrator, "administrator", "Administrator"),
            (Role::Cardholder, "cardholder", "Cardholder"),
        ];
        for (role, name, label) in table {
            assert_eq!(role.as_str(), name);
            assert_eq!(role.label(), label);
            assert_eq!(role.to_string(), label);
        }
        for unknown in ["", "Administrator", "admin", " cardholder"] {
            assert_eq!(Role::parse(unknown), None, "{unknown:?}");
        }
    }
}
