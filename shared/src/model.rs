//! The records the server sends to the browser. Built by the server's storage layer, rendered by `app`.

use crate::ids::{OrgId, PassId, UserId};
use crate::mode::PassMode;
use crate::pass_id::PassIdKind;
use crate::role::Role;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// An organization as a tile on the "Organizations" page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgSummary {
    pub id: OrgId,
    pub name: String,
    pub parent_id: Option<OrgId>,
    pub sub_org_count: i64,
    pub user_count: i64,
    pub pass_count: i64,
}

/// One step of the breadcrumb from the caller's own organization down to the one they are working in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgRef {
    pub id: OrgId,
    pub name: String,
}

/// The organization a page works inside, with its breadcrumb (caller's own organization first, this one last).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgContext {
    pub id: OrgId,
    pub name: String,
    pub path: Vec<OrgRef>,
}

/// A user as a member of one organization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserSummary {
    pub id: UserId,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub role: Role,
    pub pass_count: i64,
}

impl UserSummary {
    pub fn full_name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name)
    }
}

/// A pass registered in one organization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PassSummary {
    pub id: PassId,
    pub org_id: OrgId,
    pub user_id: UserId,
    pub user_name: String,
    pub user_email: String,
    pub nickname: String,
    pub id_kind: PassIdKind,
    /// The ID as entered and normalised: the Public Card ID with its hyphens, or the Hidden ID in upper-case hex.
    pub id_value: String,
    /// Set for a Public Card ID recognised as an EMAID or DIN SPEC 91286 contract ID.
    pub contract_id_kind: Option<String>,
    pub mode: PassMode,
    pub created_at: Timestamp,
    pub created_by: String,
}

/// What the audit log records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditAction {
    OrganizationAdded,
    UserAdded,
    PassAdded,
    PassDeleted,
    PassModeChanged,
}

impl AuditAction {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OrganizationAdded => "organization_added",
            Self::UserAdded => "user_added",
            Self::PassAdded => "pass_added",
            Self::PassDeleted => "pass_deleted",
            Self::PassModeChanged => "pass_mode_changed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::OrganizationAdded,
            Self::UserAdded,
            Self::PassAdded,
            Self::PassDeleted,
            Self::PassModeChanged,
        ]
        .into_iter()
        .find(|a| a.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::OrganizationAdded => "Organization added",
            Self::UserAdded => "User added",
            Self::PassAdded => "Pass added",
            Self::PassDeleted => "Pass deleted",
            Self::PassModeChanged => "Pass mode changed",
        }
    }
}

/// One line of an organization's audit log: who did what, when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at: Timestamp,
    pub actor: String,
    pub action: AuditAction,
    pub summary: String,
}

/// The signed-in user, as the browser needs to know them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Me {
    pub user_id: UserId,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    /// The organization the user administers ("My organization"); `None` for a cardholder.
    pub home_org: Option<OrgRef>,
}

impl Me {
    pub fn is_admin(&self) -> bool {
        self.home_org.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audit_actions_round_trip_through_their_stored_names() {
        for a in [
            AuditAction::OrganizationAdded,
            AuditAction::UserAdded,
            AuditAction::PassAdded,
            AuditAction::PassDeleted,
            AuditAction::PassModeChanged,
        ] {
            assert_eq!(AuditAction::parse(a.as_str()), Some(a));
        }
        assert_eq!(AuditAction::parse("nope"), None);
    }
}
