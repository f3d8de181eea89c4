//! The records the server sends to the browser. Built by the server's storage layer, rendered by `app`.

use crate::decision::{AuthorizationStatus, Billing};
use crate::ids::{MemberId, OrgId, PassId, StationId, TransactionId, UserId};
use crate::mode::PassMode;
use crate::pass_id::PassIdKind;
use crate::role::Role;
use crate::station::AccessMode;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};
use std::fmt;

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
    /// The membership in the listed organization (never the account's [`UserId`]: see [`MemberId`]).
    pub id: MemberId,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub role: Role,
    pub pass_count: i64,
    /// Whether the person has started using their membership (see [`MemberStatus`]).
    pub status: MemberStatus,
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
    /// The holder as the pass's organization names them (no id: see [`MemberId`]).
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
    /// A person was removed from the organization (their passes there were deleted with them).
    UserRemoved,
    PassAdded,
    PassDeleted,
    PassModeChanged,
    /// A charging station was registered.
    StationAdded,
    /// A station's settings other than its access mode changed (e.g. its password was set or removed).
    StationSettingsChanged,
    /// A station's access mode, or an organization's default access mode, changed.
    AccessModeChanged,
    /// A member's invitation was sent again (a new link; the older ones stopped working).
    InvitationResent,
    /// A member's invitation link was revoked.
    InvitationRevoked,
    /// "Require two-factor authentication for administrators" was turned on or off for an organization.
    TwoFactorRequirementChanged,
    /// A command was sent (or queued, or refused as the station was offline) to a station.
    StationCommand,
    /// An organization's or a station's tariff was set, changed or removed, or a station's AC/DC kind changed.
    TariffChanged,
    /// An organization's time zone, reimbursement rates or billing details changed.
    BillingChanged,
    /// A monthly credit statement was issued.
    StatementIssued,
    /// Passes were imported from a file (its counts; every pass it added or deleted has an entry of its own).
    PassesImported,
}

impl AuditAction {
    /// Every action.
    pub const ALL: [AuditAction; 17] = [
        Self::OrganizationAdded,
        Self::UserAdded,
        Self::UserRemoved,
        Self::PassAdded,
        Self::PassDeleted,
        Self::PassModeChanged,
        Self::StationAdded,
        Self::StationSettingsChanged,
        Self::AccessModeChanged,
        Self::InvitationResent,
        Self::InvitationRevoked,
        Self::TwoFactorRequirementChanged,
        Self::StationCommand,
        Self::TariffChanged,
        Self::BillingChanged,
        Self::StatementIssued,
        Self::PassesImported,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::OrganizationAdded => "organization_added",
            Self::UserAdded => "user_added",
            Self::UserRemoved => "user_removed",
            Self::PassAdded => "pass_added",
            Self::PassDeleted => "pass_deleted",
            Self::PassModeChanged => "pass_mode_changed",
            Self::StationAdded => "station_added",
            Self::StationSettingsChanged => "station_settings_changed",
            Self::AccessModeChanged => "access_mode_changed",
            Self::InvitationResent => "invitation_resent",
            Self::InvitationRevoked => "invitation_revoked",
            Self::TwoFactorRequirementChanged => "two_factor_requirement_changed",
            Self::StationCommand => "station_command",
            Self::TariffChanged => "tariff_changed",
            Self::BillingChanged => "billing_changed",
            Self::StatementIssued => "statement_issued",
            Self::PassesImported => "passes_imported",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::OrganizationAdded => "Organization added",
            Self::UserAdded => "User added",
            Self::UserRemoved => "User removed",
            Self::PassAdded => "Pass added",
            Self::PassDeleted => "Pass deleted",
            Self::PassModeChanged => "Pass mode changed",
            Self::StationAdded => "Station added",
            Self::StationSettingsChanged => "Station settings changed",
            Self::AccessModeChanged => "Access mode changed",
            Self::InvitationResent => "Invitation resent",
            Self::InvitationRevoked => "Invitation revoked",
            Self::TwoFactorRequirementChanged => "Two-factor requirement changed",
            Self::StationCommand => "Station command",
            Self::TariffChanged => "Tariff changed",
            Self::BillingChanged => "Billing settings changed",
            Self::StatementIssued => "Credit statement issued",
            Self::PassesImported => "Passes imported",
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
    /// An organization requires two-factor authentication of this administrator and it is not set up yet: every
    /// administrator function refuses until it is (only "My account" works), so the app sends them there.
    pub two_factor_setup_required: bool,
}

impl Me {
    pub fn is_admin(&self) -> bool {
        self.home_org.is_some()
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Charging stations ("Assets"), their OCPP logs, authorization decisions and transactions
// ---------------------------------------------------------------------------------------------------------------

/// The last status a station reported for one connector (OCPP StatusNotification). Connector 0 is the station as
/// a whole.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectorStatus {
    pub connector_id: i64,
    /// The OCPP 1.6 status as reported, e.g. "Available", "Charging", "Faulted".
    pub status: String,
    /// The OCPP 1.6 error code as reported; "NoError" when all is well.
    pub error_code: String,
    /// The station's free-text `info`, if it sent one.
    pub info: Option<String>,
    /// When the status was reported (the station's timestamp, else the time it was received).
    pub updated_at: Timestamp,
}

/// A station as a row of the "Assets" list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StationSummary {
    pub id: StationId,
    /// The organization the station belongs to.
    pub org_id: OrgId,
    pub org_name: String,
    /// Whether the station belongs to a sub-organization of the organization being viewed.
    pub in_sub_org: bool,
    /// The charge point ID as registered (case as entered).
    pub charge_point_id: String,
    pub name: String,
    /// Whether the station is connected over OCPP right now.
    pub online: bool,
    /// When the last OCPP message from the station arrived; `None` if it never connected.
    pub last_message_at: Option<Timestamp>,
    /// The connectors' last reported statuses, by connector id.
    pub connectors: Vec<ConnectorStatus>,
    /// The station's own access mode; `None` when it inherits its organization's default.
    pub access_mode_override: Option<AccessMode>,
    /// The access mode in force: see [`crate::station::effective_access_mode`].
    pub effective_access_mode: AccessMode,
    /// Whether the station has a password (OCPP security profile 1/2).
    pub has_password: bool,
    /// Set when the station may connect without a password (an explicit choice, shown as a warning); `None`
    /// means it must log in with its password.
    pub unauthenticated_allowed: Option<crate::station::UnauthenticatedAllowed>,
}

/// A station as its detail page shows it ("Overview", "Settings").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StationDetail {
    pub summary: StationSummary,
    /// The mode the station would have without its own override (its organization's default, or the nearest
    /// ancestor's, else Whitelisting).
    pub inherited_access_mode: AccessMode,
    /// From the station's last BootNotification.
    pub vendor: Option<String>,
    pub model: Option<String>,
    pub serial_number: Option<String>,
    pub firmware_version: Option<String>,
    /// When the station last sent a BootNotification.
    pub last_boot_at: Option<Timestamp>,
    /// Since when the current OCPP connection is open; `None` when offline.
    pub connected_since: Option<Timestamp>,
    pub created_at: Timestamp,
}

/// The access-mode default of an organization, as its "Organization settings" show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessModeSettings {
    /// The organization's own default; `None` when it inherits.
    pub own: Option<AccessMode>,
    /// What it would inherit without its own default: the nearest ancestor's default, else Whitelisting.
    pub inherited: AccessMode,
    /// The default its stations get unless they override it: `own`, else `inherited`.
    pub effective: AccessMode,
}

/// Which way an OCPP frame went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FrameDirection {
    /// From the station to the server.
    Incoming,
    /// From the server to the station.
    Outgoing,
}

impl FrameDirection {
    /// Both directions.
    pub const ALL: [FrameDirection; 2] = [FrameDirection::Incoming, FrameDirection::Outgoing];

    /// The stored name: "incoming" or "outgoing" (the same as the serde representation).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Incoming => "incoming",
            Self::Outgoing => "outgoing",
        }
    }

    /// The direction with the given stored name, if any.
    pub fn parse(s: &str) -> Option<FrameDirection> {
        Self::ALL.into_iter().find(|d| d.as_str() == s)
    }

    /// The name the UI shows: "From station" or "To station".
    pub fn label(self) -> &'static str {
        match self {
            Self::Incoming => "From station",
            Self::Outgoing => "To station",
        }
    }
}

/// Shows the label.
impl fmt::Display for FrameDirection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// The OCPP-J message type of a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FrameType {
    /// `[2, id, action, payload]`: a request.
    Call,
    /// `[3, id, payload]`: the answer to a request.
    CallResult,
    /// `[4, id, code, description, details]`: a request that failed.
    CallError,
}

impl FrameType {
    /// Every type, by message type number.
    pub const ALL: [FrameType; 3] = [FrameType::Call, FrameType::CallResult, FrameType::CallError];

    /// The stored name: "call", "call_result" or "call_error" (the same as the serde representation).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Call => "call",
            Self::CallResult => "call_result",
            Self::CallError => "call_error",
        }
    }

    /// The type with the given stored name, if any.
    pub fn parse(s: &str) -> Option<FrameType> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// The OCPP-J message type number: 2, 3 or 4.
    pub fn number(self) -> i64 {
        match self {
            Self::Call => 2,
            Self::CallResult => 3,
            Self::CallError => 4,
        }
    }

    /// The type with the given OCPP-J message type number, if any.
    pub fn from_number(n: i64) -> Option<FrameType> {
        Self::ALL.into_iter().find(|t| t.number() == n)
    }

    /// The name the OCPP specification uses: "CALL", "CALLRESULT" or "CALLERROR".
    pub fn label(self) -> &'static str {
        match self {
            Self::Call => "CALL",
            Self::CallResult => "CALLRESULT",
            Self::CallError => "CALLERROR",
        }
    }
}

/// Shows the label.
impl fmt::Display for FrameType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// One OCPP frame in a station's "Logs" tab.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OcppLogEntry {
    pub id: i64,
    /// When the server received or sent the frame.
    pub at: Timestamp,
    pub direction: FrameDirection,
    pub message_type: FrameType,
    /// The action of a CALL; for a CALLRESULT or CALLERROR the action of the CALL it answers (if that is still
    /// stored).
    pub action: Option<String>,
    /// The OCPP message id that pairs a CALL with its answer.
    pub unique_id: String,
    /// The JSON payload as sent (for a CALLERROR, the whole frame).
    pub payload: String,
    /// The idTag of an Authorize or StartTransaction CALL, as received.
    pub id_tag: Option<String>,
    /// Whether `id_tag` matches a live pass of the station's organization or its sub-organizations, i.e. whether
    /// it would count at this station. When `false` for an idTag, the UI offers "Add as pass".
    pub id_tag_known: bool,
    /// What an answer says in a word or two: an idTagInfo status ("Accepted", "Invalid"), a command's status,
    /// a CALLERROR's code. `None` for CALLs and answers without one.
    pub outcome: Option<String>,
}

/// The largest page of log entries.
pub const LOG_PAGE_MAX: i64 = 200;
/// The page size when none is given.
pub const LOG_PAGE_DEFAULT: i64 = 50;

/// Which OCPP frames to list: all conditions given must hold. Newest first; page on with `before_id` = the `id`
/// of the last entry of the previous page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogFilter {
    /// Only frames of this action (exact OCPP spelling, e.g. "Authorize"); answers carry their CALL's action.
    pub action: Option<String>,
    /// Only frames at or after this time.
    pub from: Option<Timestamp>,
    /// Only frames before this time (exclusive).
    pub to: Option<Timestamp>,
    /// Only frames listed after this entry (newest-first order).
    pub before_id: Option<i64>,
    /// At most this many entries; clamped to 1..=[`LOG_PAGE_MAX`].
    pub limit: i64,
}

impl Default for LogFilter {
    fn default() -> Self {
        LogFilter {
            action: None,
            from: None,
            to: None,
            before_id: None,
            limit: LOG_PAGE_DEFAULT,
        }
    }
}

/// A card presented at a station recently that matches no live pass of the station's organization or its
/// sub-organizations (listed on the station's "Overview", with "Add as pass").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnknownTap {
    /// The idTag as last received.
    pub id_tag: String,
    pub last_seen_at: Timestamp,
    /// How often it was presented in the period asked for.
    pub count: i64,
}

/// One authorization decision that involved a pass, as shown on the pass.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecisionRecord {
    pub id: i64,
    pub at: Timestamp,
    pub station_name: String,
    /// `None` for a station of an organization above the caller's reach (a parent's station where a
    /// sub-organization's pass counts): such a station is shown by name only.
    pub charge_point_id: Option<String>,
    /// The OCPP action that asked: "Authorize" or "StartTransaction".
    pub action: String,
    /// The idTag as received.
    pub id_tag: String,
    pub status: AuthorizationStatus,
    /// `Some` exactly when the card was accepted.
    pub billing: Option<Billing>,
    /// Why, in words (see [`crate::decision::Decision::reason`]).
    pub reason: String,
}

/// A charging session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransactionSummary {
    /// Also the OCPP transactionId.
    pub id: TransactionId,
    pub station_id: StationId,
    pub station_name: String,
    pub charge_point_id: String,
    pub connector_id: i64,
    /// The idTag that started the session, as received.
    pub id_tag: String,
    /// The pass the decision used, if the card matched one.
    pub pass_id: Option<PassId>,
    pub pass_nickname: Option<String>,
    /// The pass's holder as the pass's organization names them (no id: see [`MemberId`]).
    pub user_name: Option<String>,
    /// What the server answered to StartTransaction.
    pub status: AuthorizationStatus,
    /// Whitelisted/free or settled; `None` when the card was refused.
    pub billing: Option<Billing>,
    /// The station's start time and meter reading (Wh).
    pub started_at: Timestamp,
    pub meter_start_wh: i64,
    /// Set once the station sent StopTransaction.
    pub stopped_at: Option<Timestamp>,
    pub meter_stop_wh: Option<i64>,
    /// `meter_stop_wh - meter_start_wh` once stopped.
    pub energy_wh: Option<i64>,
    /// The latest energy register reading (Wh) reported during the session.
    pub last_meter_wh: Option<i64>,
    /// The station's stop reason ("Local" when it sent none).
    pub stop_reason: Option<String>,
    /// The tariff frozen onto a settled session when it started (`None`: free, refused, or no tariff was set).
    pub tariff: Option<crate::tariff::Tariff>,
    /// What a settled session cost, computed with [`TransactionSummary::tariff`] when it stopped.
    pub price: Option<StoredPrice>,
    /// Why a settled session has no price (no tariff, or its meter values could not be priced).
    pub price_note: Option<String>,
    /// Why the card was accepted or refused, and why the session is free or settled (the decision's reason).
    pub decision_reason: String,
}

/// A stopped settled session's price, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredPrice {
    /// Excluding VAT.
    pub net: crate::tariff::Money,
    /// The VAT.
    pub vat: crate::tariff::Money,
    /// Including VAT: what the driver pays.
    pub gross: crate::tariff::Money,
}

impl TransactionSummary {
    /// Whether the session is still running (no StopTransaction yet).
    pub fn is_active(&self) -> bool {
        self.stopped_at.is_none()
    }
}

/// A card held against a station's reader (an OCPP `Authorize`), told live to a browser waiting for it
/// ("+ Add Pass" → "Scan at a station") as the data of a server-sent event named `tap`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TapEvent {
    pub station: crate::ids::StationId,
    /// The idTag exactly as the station sent it.
    pub id_tag: String,
    pub at: Timestamp,
    /// Whether the card matched a pass in the station's organization tree.
    pub known: bool,
}

// ---------------------------------------------------------------------------------------------------------------
// Accounts: invitations, password links, "My account"
// ---------------------------------------------------------------------------------------------------------------

/// Where a member of an organization stands, as "Users" shows it. Only the person's own actions move it: it
/// never depends on whether their account existed before (elsewhere) or already had a password.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MemberStatus {
    /// Logged in, or set their password, since being added here.
    Active,
    /// Not yet active; the newest invitation for this organization can be used until `expires_at`.
    Invited { expires_at: Timestamp },
    /// Not yet active, and the newest invitation expired, was revoked, or was replaced.
    InvitationExpired,
}

impl MemberStatus {
    /// The text of the "Status" column: "Active", "Invited" or "Invitation expired".
    pub fn label(self) -> &'static str {
        match self {
            Self::Active => "Active",
            Self::Invited { .. } => "Invited",
            Self::InvitationExpired => "Invitation expired",
        }
    }

    /// Whether the person has used their membership (then there is no invitation to resend or revoke).
    pub fn is_active(self) -> bool {
        self == Self::Active
    }
}

/// What a single-use link mailed to a person is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountLinkPurpose {
    /// An organization added them: set a first password and log in (valid 7 days).
    Invitation,
    /// "Forgot your password?": choose a new one (valid 1 hour).
    PasswordReset,
}

impl AccountLinkPurpose {
    /// The stored name (`account_tokens.purpose`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Invitation => "invitation",
            Self::PasswordReset => "password_reset",
        }
    }
}

/// A usable single-use link, as "/set-password" shows it before the person chooses a password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountLinkInfo {
    pub purpose: AccountLinkPurpose,
    /// The account's own first name.
    pub first_name: String,
    pub email: String,
}

/// One of the caller's live memberships, as "My account" lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MyOrganization {
    pub org: OrgRef,
    pub role: Role,
}

/// The signed-in person's own account, as "My account" shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountOverview {
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    /// The organization the menu works in ("My organization"), as in [`Me::home_org`].
    pub home_org: Option<OrgRef>,
    /// Live memberships, by organization name.
    pub organizations: Vec<MyOrganization>,
}

// ---------------------------------------------------------------------------------------------------------------
// Two-factor authentication

/// "Two-factor authentication" in "My account": whether it is on and what can be done.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TwoFactorStatus {
    /// Confirmed with a code: log-ins ask for one.
    pub enabled: bool,
    /// Unused recovery codes (0 while off).
    pub recovery_codes_left: i64,
    /// An organization requires it of this administrator: it cannot be turned off (and must be set up).
    pub required: bool,
}

/// A started enrolment: what the authenticator app needs. Nothing is in force until a code confirms it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TwoFactorEnrolment {
    /// The `otpauth://` URL as a QR code: an SVG document rendered by the server (no script, only shapes).
    pub qr_svg: String,
    /// The secret key in base32, for typing into the app instead of scanning.
    pub key: String,
}

/// An organization's "Require two-factor authentication for administrators", as its "Security" tab shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TwoFactorRequirement {
    /// Set on this organization itself.
    pub required_here: bool,
    /// The nearest organization above that requires it (then it applies here whatever this one sets).
    pub required_by: Option<OrgRef>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audit_actions_round_trip_through_their_stored_names() {
        for a in AuditAction::ALL {
            assert_eq!(AuditAction::parse(a.as_str()), Some(a));
            let json = serde_json::to_string(&a).unwrap();
            assert_eq!(json, format!("\"{}\"", a.as_str()));
            assert!(!a.label().is_empty());
        }
        assert_eq!(AuditAction::parse("nope"), None);
        assert_eq!(AuditAction::StationAdded.as_str(), "station_added");
        assert_eq!(
            AuditAction::StationSettingsChanged.as_str(),
            "station_settings_changed"
        );
        assert_eq!(
            AuditAction::AccessModeChanged.as_str(),
            "access_mode_changed"
        );
        // Every variant is listed once in ALL.
        let mut names: Vec<&str> = AuditAction::ALL.iter().map(|a| a.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), AuditAction::ALL.len());
    }

    #[test]
    fn frame_directions_and_types_round_trip() {
        for d in FrameDirection::ALL {
            assert_eq!(FrameDirection::parse(d.as_str()), Some(d));
            let json = serde_json::to_string(&d).unwrap();
            assert_eq!(json, format!("\"{}\"", d.as_str()));
            assert_eq!(d.to_string(), d.label());
        }
        assert_eq!(FrameDirection::parse("Incoming"), None);
        for t in FrameType::ALL {
            assert_eq!(FrameType::parse(t.as_str()), Some(t));
            assert_eq!(FrameType::from_number(t.number()), Some(t));
            let json = serde_json::to_string(&t).unwrap();
            assert_eq!(json, format!("\"{}\"", t.as_str()));
            assert_eq!(t.to_string(), t.label());
        }
        let numbers: Vec<i64> = FrameType::ALL.iter().map(|t| t.number()).collect();
        assert_eq!(numbers, [2, 3, 4]);
        assert_eq!(FrameType::from_number(5), None);
        assert_eq!(FrameType::CallResult.label(), "CALLRESULT");
    }

    #[test]
    fn log_filter_defaults_to_a_page_of_everything() {
        let f = LogFilter::default();
        assert_eq!(f.limit, LOG_PAGE_DEFAULT);
        assert!(f.action.is_none() && f.from.is_none() && f.to.is_none() && f.before_id.is_none());
        const { assert!(LOG_PAGE_DEFAULT <= LOG_PAGE_MAX) };
    }

    #[test]
    fn a_transaction_is_active_until_stopped() {
        let mut t = TransactionSummary {
            id: TransactionId(1),
            station_id: StationId(2),
            station_name: "Laadpaal Zuid".into(),
            charge_point_id: "KRN-CP-001".into(),
            connector_id: 1,
            id_tag: "04AAAB11CD2345".into(),
            pass_id: None,
            pass_nickname: None,
            user_name: None,
            status: AuthorizationStatus::Accepted,
            billing: Some(Billing::Free),
            started_at: Timestamp(1),
            meter_start_wh: 100,
            stopped_at: None,
            meter_stop_wh: None,
            energy_wh: None,
            last_meter_wh: None,
            stop_reason: None,
            tariff: None,
            price: None,
            price_note: None,
            decision_reason: "pass is whitelisted".into(),
        };
        assert!(t.is_active());
        t.stopped_at = Some(Timestamp(2));
        assert!(!t.is_active());
        let json = serde_json::to_string(&t).unwrap();
        assert!(
            json.contains(r#""status":"Accepted","billing":"free""#),
            "{json}"
        );
        assert_eq!(
            serde_json::from_str::<TransactionSummary>(&json).unwrap(),
            t
        );
    }
}
