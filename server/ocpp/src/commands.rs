//! The central system's CALLs to a charge point ("commands"): typed payloads of the central-system-initiated
//! OCPP 1.6 requests ChargeDesk sends and of their confirmations, each next to its schema (the official 1.6
//! JSON schema, as a [`schema::ObjectSchema`](crate::schema::ObjectSchema)), and the two enums that carry
//! them: [`Command`] and [`CommandResponse`].
//!
//! The commands are those of the Core profile (RemoteStartTransaction, RemoteStopTransaction,
//! UnlockConnector, Reset, ChangeAvailability, GetConfiguration, ChangeConfiguration, ClearCache), of the
//! Local Auth List Management profile (GetLocalListVersion, SendLocalList) and of the Remote Trigger profile
//! (TriggerMessage), plus DataTransfer, which goes both ways and reuses
//! [`DataTransferRequest`]/[`DataTransferResponse`]. The reservation, smart-charging and firmware-management
//! actions (ReserveNow, SetChargingProfile, UpdateFirmware, …) are known by name only: reading one is
//! `NotSupported`.
//!
//! The conventions are those of [`crate::messages`]: camelCase on the wire, unknown fields refused, `None`
//! omitted. Where the OCPP 1.6 specification is stricter than its JSON schema, the schema here follows the
//! specification: `connectorId` > 0 in RemoteStartTransaction, UnlockConnector and TriggerMessage, ≥ 0 in
//! ChangeAvailability (0 is the whole charge point); every entry of a Full SendLocalList carries an
//! `idTagInfo` ([`SendLocalListRequest::check_rules`](crate::Payload::check_rules)).
//!
//! # Both ends
//!
//! ```
//! use ocpp::commands::{
//!     parse_command, parse_command_response, Command, CommandResponse, ResetRequest, ResetResponse,
//!     ResetStatus, ResetType,
//! };
//! use ocpp::{parse_frame, Frame};
//!
//! // The central system sends a CALL …
//! let command = Command::Reset(ResetRequest { reset_type: ResetType::Soft });
//! let text = command.to_frame("cmd-1").unwrap().to_text();
//! assert_eq!(text, r#"[2,"cmd-1","Reset",{"type":"Soft"}]"#);
//!
//! // … the charge point reads it and answers …
//! let Ok(Some(Frame::Call { id, action, payload })) = parse_frame(&text) else { unreachable!() };
//! assert_eq!(parse_command(&action, &payload), Ok(command.clone()));
//! let answer = CommandResponse::Reset(ResetResponse { status: ResetStatus::Accepted });
//! let text = answer.to_frame(&id).to_text();
//! assert_eq!(text, r#"[3,"cmd-1",{"status":"Accepted"}]"#);
//!
//! // … and the central system reads the CALLRESULT to its CALL.
//! let Ok(Some(Frame::CallResult { payload, .. })) = parse_frame(&text) else { unreachable!() };
//! let response = parse_command_response(command.action(), &payload).unwrap();
//! assert_eq!(response.outcome(), "Accepted");
//! ```

use crate::codec::{decode, encode};
use crate::error::{ErrorCode, PayloadError};
use crate::frame::Frame;
use crate::messages::{
    DataTransferRequest, DataTransferResponse, IdTagInfo, Payload, RequestPayload, ID_TAG_INFO,
    ID_TAG_MAX_LEN,
};
use crate::schema::{quote_truncated, Field, Kind, ObjectSchema};
use crate::Action;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The length of a configuration key's name (CiString50).
pub const CONFIGURATION_KEY_MAX_LEN: usize = 50;
/// The length of a configuration key's value (CiString500).
pub const CONFIGURATION_VALUE_MAX_LEN: usize = 500;

macro_rules! payload_impls {
    ($($action:ident: $request:ident => $response:ident, $request_schema:ident, $response_schema:ident;)+) => {
        $(
            impl Payload for $request {
                const ACTION: Action = Action::$action;
                const SCHEMA: &'static ObjectSchema = &$request_schema;
            }
            impl Payload for $response {
                const ACTION: Action = Action::$action;
                const SCHEMA: &'static ObjectSchema = &$response_schema;
            }
            impl RequestPayload for $request {
                type Response = $response;
            }
        )+
    };
}

payload_impls! {
    RemoteStartTransaction: RemoteStartTransactionRequest => RemoteStartTransactionResponse,
        REMOTE_START_TRANSACTION_REQUEST, REMOTE_START_TRANSACTION_RESPONSE;
    RemoteStopTransaction: RemoteStopTransactionRequest => RemoteStopTransactionResponse,
        REMOTE_STOP_TRANSACTION_REQUEST, REMOTE_STOP_TRANSACTION_RESPONSE;
    UnlockConnector: UnlockConnectorRequest => UnlockConnectorResponse,
        UNLOCK_CONNECTOR_REQUEST, UNLOCK_CONNECTOR_RESPONSE;
    Reset: ResetRequest => ResetResponse, RESET_REQUEST, RESET_RESPONSE;
    ChangeAvailability: ChangeAvailabilityRequest => ChangeAvailabilityResponse,
        CHANGE_AVAILABILITY_REQUEST, CHANGE_AVAILABILITY_RESPONSE;
    GetConfiguration: GetConfigurationRequest => GetConfigurationResponse,
        GET_CONFIGURATION_REQUEST, GET_CONFIGURATION_RESPONSE;
    ChangeConfiguration: ChangeConfigurationRequest => ChangeConfigurationResponse,
        CHANGE_CONFIGURATION_REQUEST, CHANGE_CONFIGURATION_RESPONSE;
    ClearCache: ClearCacheRequest => ClearCacheResponse, CLEAR_CACHE_REQUEST, CLEAR_CACHE_RESPONSE;
    TriggerMessage: TriggerMessageRequest => TriggerMessageResponse,
        TRIGGER_MESSAGE_REQUEST, TRIGGER_MESSAGE_RESPONSE;
    GetLocalListVersion: GetLocalListVersionRequest => GetLocalListVersionResponse,
        GET_LOCAL_LIST_VERSION_REQUEST, GET_LOCAL_LIST_VERSION_RESPONSE;
}

macro_rules! commands {
    ($($action:ident: $request:ident => $response:ident;)+) => {
        /// A CALL from the central system to a charge point, typed: one variant per command ChargeDesk sends.
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub enum Command {
            $(
                #[doc = concat!("`", stringify!($action), ".req`")]
                $action($request),
            )+
        }

        /// The confirmation (CALLRESULT payload) answering a [`Command`]: one variant per command.
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub enum CommandResponse {
            $(
                #[doc = concat!("`", stringify!($action), ".conf`")]
                $action($response),
            )+
        }

        impl Command {
            /// The action of this command (the third element of its CALL).
            pub fn action(&self) -> Action {
                match self {
                    $(Command::$action(_) => Action::$action,)+
                }
            }

            /// The CALL's payload, checked against the command's schema and rules first, so the central
            /// system never sends what a charge point would have to refuse.
            pub fn to_payload(&self) -> Result<Value, PayloadError> {
                match self {
                    $(Command::$action(request) => encode(request),)+
                }
            }

            /// Validates and reads the payload of a CALL with `action` from the central system (see
            /// [`parse_command`], which starts from the action name as received).
            ///
            /// An action that is not a command of this module → `NotSupported`; payload violations → the
            /// schema's codes (see [`crate::schema`]).
            pub fn parse(action: Action, payload: &Value) -> Result<Command, PayloadError> {
                match action {
                    $(Action::$action => decode::<$request>(payload).map(Command::$action),)+
                    _ => Err(not_a_command(action)),
                }
            }
        }

        impl CommandResponse {
            /// The action of the command this answers.
            pub fn action(&self) -> Action {
                match self {
                    $(CommandResponse::$action(_) => Action::$action,)+
                }
            }

            /// The CALLRESULT's payload, checked against the confirmation's schema first.
            pub fn to_payload(&self) -> Result<Value, PayloadError> {
                match self {
                    $(CommandResponse::$action(confirmation) => encode(confirmation),)+
                }
            }

            fn parse(action: Action, payload: &Value) -> Result<CommandResponse, PayloadError> {
                match action {
                    $(Action::$action => decode::<$response>(payload).map(CommandResponse::$action),)+
                    _ => Err(PayloadError::new(
                        ErrorCode::NotSupported,
                        format!("{action} is not a command the central system sends"),
                    )),
                }
            }
        }

        $(
            impl From<$request> for Command {
                fn from(request: $request) -> Command {
                    Command::$action(request)
                }
            }

            impl From<$response> for CommandResponse {
                fn from(confirmation: $response) -> CommandResponse {
                    CommandResponse::$action(confirmation)
                }
            }
        )+
    };
}

commands! {
    RemoteStartTransaction: RemoteStartTransactionRequest => RemoteStartTransactionResponse;
    RemoteStopTransaction: RemoteStopTransactionRequest => RemoteStopTransactionResponse;
    UnlockConnector: UnlockConnectorRequest => UnlockConnectorResponse;
    Reset: ResetRequest => ResetResponse;
    ChangeAvailability: ChangeAvailabilityRequest => ChangeAvailabilityResponse;
    GetConfiguration: GetConfigurationRequest => GetConfigurationResponse;
    ChangeConfiguration: ChangeConfigurationRequest => ChangeConfigurationResponse;
    ClearCache: ClearCacheRequest => ClearCacheResponse;
    TriggerMessage: TriggerMessageRequest => TriggerMessageResponse;
    GetLocalListVersion: GetLocalListVersionRequest => GetLocalListVersionResponse;
    SendLocalList: SendLocalListRequest => SendLocalListResponse;
    DataTransfer: DataTransferRequest => DataTransferResponse;
}

fn not_a_command(action: Action) -> PayloadError {
    if action.is_charge_point_initiated() {
        PayloadError::new(
            ErrorCode::NotSupported,
            format!(
                "{action} is initiated by the charge point; the central system may not send it"
            ),
        )
    } else {
        PayloadError::new(
            ErrorCode::NotSupported,
            format!("{action} is not supported"),
        )
    }
}

/// The charge point's reading of a CALL from the central system, from the action name as received.
///
/// - an action name OCPP 1.6 does not define → `NotImplemented`;
/// - a charge-point-initiated action other than DataTransfer (e.g. `Heartbeat`) → `NotSupported`;
/// - a central-system action without a type here (ReserveNow, SetChargingProfile, UpdateFirmware, …) →
///   `NotSupported`;
/// - otherwise [`Command::parse`]: the payload is checked against the command's schema (violations →
///   `OccurenceConstraintViolation`, `TypeConstraintViolation` or `PropertyConstraintViolation`, the
///   description naming the field path) and rules, then deserialised.
///
/// The central system can use it too, to read back a command it stored as action name and payload.
pub fn parse_command(action: &str, payload: &Value) -> Result<Command, PayloadError> {
    let Some(known) = Action::parse(action) else {
        return Err(PayloadError::new(
            ErrorCode::NotImplemented,
            format!("unknown action {}", quote_truncated(action, 64)),
        ));
    };
    Command::parse(known, payload)
}

/// The central system's reading of the CALLRESULT answering its CALL with `action`: the payload checked
/// against the confirmation's schema, then deserialised. An `action` that is not a command → `NotSupported`.
pub fn parse_command_response(
    action: Action,
    payload: &Value,
) -> Result<CommandResponse, PayloadError> {
    CommandResponse::parse(action, payload)
}

impl Command {
    /// The CALL sending this command with message id `id` (at most [`crate::MAX_MESSAGE_ID_LEN`] characters,
    /// unique per connection); an error when the command violates its schema or rules. The same as
    /// [`crate::call_frame`] with the typed request.
    pub fn to_frame(&self, id: &str) -> Result<Frame, PayloadError> {
        Ok(Frame::Call {
            id: id.to_owned(),
            action: self.action().as_str().to_owned(),
            payload: self.to_payload()?,
        })
    }
}

impl CommandResponse {
    /// The CALLRESULT answering the CALL with message id `id`; a CALLERROR `InternalError` naming the
    /// violation when the confirmation does not satisfy its schema (as [`crate::checked_response_frame`]).
    pub fn to_frame(&self, id: &str) -> Frame {
        crate::codec::encoded_response_frame(id, self.to_payload())
    }

    /// The short outcome shown in the UI and the logs: the status as spelled on the wire (`Accepted`,
    /// `Rejected`, `RebootRequired`, `Unlocked`, `UnlockFailed`, `NotSupported`, `Scheduled`, `Failed`,
    /// `VersionMismatch`, `NotImplemented`, or a DataTransfer's `UnknownVendorId` …); for
    /// GetLocalListVersion `version 12` (`not supported` for −1, the answer of a charge point without a local
    /// list); for GetConfiguration `1 key`, `24 keys` or `3 keys, 2 unknown`.
    pub fn outcome(&self) -> String {
        match self {
            CommandResponse::RemoteStartTransaction(r) => r.status.to_string(),
            CommandResponse::RemoteStopTransaction(r) => r.status.to_string(),
            CommandResponse::UnlockConnector(r) => r.status.to_string(),
            CommandResponse::Reset(r) => r.status.to_string(),
            CommandResponse::ChangeAvailability(r) => r.status.to_string(),
            CommandResponse::ChangeConfiguration(r) => r.status.to_string(),
            CommandResponse::ClearCache(r) => r.status.to_string(),
            CommandResponse::TriggerMessage(r) => r.status.to_string(),
            CommandResponse::SendLocalList(r) => r.status.to_string(),
            CommandResponse::DataTransfer(r) => r.status.to_string(),
            CommandResponse::GetLocalListVersion(r) => match r.list_version {
                GetLocalListVersionResponse::NOT_SUPPORTED => "not supported".to_owned(),
                version => format!("version {version}"),
            },
            CommandResponse::GetConfiguration(r) => {
                let known = r.configuration_key.as_ref().map_or(0, Vec::len);
                let unknown = r.unknown_key.as_ref().map_or(0, Vec::len);
                let keys = if known == 1 { "key" } else { "keys" };
                if unknown == 0 {
                    format!("{known} {keys}")
                } else {
                    format!("{known} {keys}, {unknown} unknown")
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------------------
// Schema building blocks

/// The schema of a confirmation whose only field is a required `status` enumeration.
macro_rules! status_schemas {
    ($($static:ident = $name:literal, $values:expr;)+) => {
        $(static $static: ObjectSchema = ObjectSchema {
            name: $name,
            fields: &[Field::required("status", Kind::Enum($values))],
        };)+
    };
}

status_schemas! {
    REMOTE_START_TRANSACTION_RESPONSE = "RemoteStartTransactionResponse", RemoteStartStopStatus::VALUES;
    REMOTE_STOP_TRANSACTION_RESPONSE = "RemoteStopTransactionResponse", RemoteStartStopStatus::VALUES;
    UNLOCK_CONNECTOR_RESPONSE = "UnlockConnectorResponse", UnlockStatus::VALUES;
    RESET_RESPONSE = "ResetResponse", ResetStatus::VALUES;
    CHANGE_AVAILABILITY_RESPONSE = "ChangeAvailabilityResponse", AvailabilityStatus::VALUES;
    CHANGE_CONFIGURATION_RESPONSE = "ChangeConfigurationResponse", ConfigurationStatus::VALUES;
    CLEAR_CACHE_RESPONSE = "ClearCacheResponse", ClearCacheStatus::VALUES;
    TRIGGER_MESSAGE_RESPONSE = "TriggerMessageResponse", TriggerMessageStatus::VALUES;
    SEND_LOCAL_LIST_RESPONSE = "SendLocalListResponse", UpdateStatus::VALUES;
}

static CONFIGURATION_KEY: Kind = Kind::ci_string(CONFIGURATION_KEY_MAX_LEN);

// ---------------------------------------------------------------------------------------------------------
// RemoteStartTransaction, RemoteStopTransaction

wire_enum! {
    /// Whether a charge point accepts a remote start or stop.
    pub enum RemoteStartStopStatus {
        /// It will try to start (or stop) the transaction.
        Accepted = "Accepted",
        /// It will not.
        Rejected = "Rejected",
    }
}

/// `RemoteStartTransaction.req`: start a transaction for `id_tag`, as if the card had been presented.
///
/// The specification's optional `chargingProfile` is not part of this type: ChargeDesk sends no charging
/// profiles, so a payload carrying one is refused as a field the schema here does not define
/// (`OccurenceConstraintViolation`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RemoteStartTransactionRequest {
    /// The connector to start on (> 0); absent: the charge point chooses.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connector_id: Option<i64>,
    /// The identifier the transaction is started for (CiString20).
    pub id_tag: String,
}

static REMOTE_START_TRANSACTION_REQUEST: ObjectSchema = ObjectSchema {
    name: "RemoteStartTransactionRequest",
    fields: &[
        Field::optional("connectorId", Kind::integer_min(1)),
        Field::required("idTag", Kind::ci_string(ID_TAG_MAX_LEN)),
    ],
};

/// `RemoteStartTransaction.conf`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RemoteStartTransactionResponse {
    /// The verdict.
    pub status: RemoteStartStopStatus,
}

/// `RemoteStopTransaction.req`: stop a running transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RemoteStopTransactionRequest {
    /// The transaction (from StartTransaction.conf).
    pub transaction_id: i64,
}

static REMOTE_STOP_TRANSACTION_REQUEST: ObjectSchema = ObjectSchema {
    name: "RemoteStopTransactionRequest",
    fields: &[Field::required("transactionId", Kind::INTEGER)],
};

/// `RemoteStopTransaction.conf`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RemoteStopTransactionResponse {
    /// The verdict.
    pub status: RemoteStartStopStatus,
}

// ---------------------------------------------------------------------------------------------------------
// UnlockConnector

/// `UnlockConnector.req`: unlock a connector (a stuck cable); a running transaction on it stops.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UnlockConnectorRequest {
    /// The connector (> 0).
    pub connector_id: i64,
}

static UNLOCK_CONNECTOR_REQUEST: ObjectSchema = ObjectSchema {
    name: "UnlockConnectorRequest",
    fields: &[Field::required("connectorId", Kind::integer_min(1))],
};

wire_enum! {
    /// The result of an UnlockConnector.
    pub enum UnlockStatus {
        /// The connector is unlocked.
        Unlocked = "Unlocked",
        /// Unlocking failed.
        UnlockFailed = "UnlockFailed",
        /// The connector has no lock.
        NotSupported = "NotSupported",
    }
}

/// `UnlockConnector.conf`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UnlockConnectorResponse {
    /// The result.
    pub status: UnlockStatus,
}

// ---------------------------------------------------------------------------------------------------------
// Reset

wire_enum! {
    /// How a charge point restarts.
    pub enum ResetType {
        /// Restart now (power cycle), stopping transactions without waiting.
        Hard = "Hard",
        /// Stop transactions gracefully, then restart the software.
        Soft = "Soft",
    }
}

/// `Reset.req`: restart the charge point.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ResetRequest {
    /// Hard or soft (`type` on the wire).
    #[serde(rename = "type")]
    pub reset_type: ResetType,
}

static RESET_REQUEST: ObjectSchema = ObjectSchema {
    name: "ResetRequest",
    fields: &[Field::required("type", Kind::Enum(ResetType::VALUES))],
};

wire_enum! {
    /// Whether a charge point will reset.
    pub enum ResetStatus {
        /// It will.
        Accepted = "Accepted",
        /// It will not.
        Rejected = "Rejected",
    }
}

/// `Reset.conf`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ResetResponse {
    /// The verdict.
    pub status: ResetStatus,
}

// ---------------------------------------------------------------------------------------------------------
// ChangeAvailability

wire_enum! {
    /// The availability a connector (or the charge point) is asked to take.
    pub enum AvailabilityType {
        /// Out of service (`Unavailable`).
        Inoperative = "Inoperative",
        /// In service.
        Operative = "Operative",
    }
}

/// `ChangeAvailability.req`: take a connector (or, with 0, the whole charge point) in or out of service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChangeAvailabilityRequest {
    /// The connector (≥ 0; 0 is the charge point as a whole).
    pub connector_id: i64,
    /// Operative or inoperative (`type` on the wire).
    #[serde(rename = "type")]
    pub availability_type: AvailabilityType,
}

static CHANGE_AVAILABILITY_REQUEST: ObjectSchema = ObjectSchema {
    name: "ChangeAvailabilityRequest",
    fields: &[
        Field::required("connectorId", Kind::integer_min(0)),
        Field::required("type", Kind::Enum(AvailabilityType::VALUES)),
    ],
};

wire_enum! {
    /// Whether a charge point changes its availability.
    pub enum AvailabilityStatus {
        /// Changed.
        Accepted = "Accepted",
        /// Not changed.
        Rejected = "Rejected",
        /// Will change once the running transactions have ended.
        Scheduled = "Scheduled",
    }
}

/// `ChangeAvailability.conf`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChangeAvailabilityResponse {
    /// The verdict.
    pub status: AvailabilityStatus,
}

// ---------------------------------------------------------------------------------------------------------
// GetConfiguration, ChangeConfiguration

/// `GetConfiguration.req`: read configuration keys.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GetConfigurationRequest {
    /// The keys to read (each CiString50); absent or empty: every key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<Vec<String>>,
}

static GET_CONFIGURATION_REQUEST: ObjectSchema = ObjectSchema {
    name: "GetConfigurationRequest",
    fields: &[Field::optional(
        "key",
        Kind::Array {
            items: &CONFIGURATION_KEY,
            min_items: 0,
        },
    )],
};

/// One configuration key and its value (`KeyValue` in GetConfiguration.conf).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KeyValue {
    /// The key's name (CiString50).
    pub key: String,
    /// Whether ChangeConfiguration may change it.
    pub readonly: bool,
    /// The value (CiString500); absent when the key is known but has no value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

static KEY_VALUE: ObjectSchema = ObjectSchema {
    name: "KeyValue",
    fields: &[
        Field::required("key", Kind::ci_string(CONFIGURATION_KEY_MAX_LEN)),
        Field::required("readonly", Kind::Boolean),
        Field::optional("value", Kind::ci_string(CONFIGURATION_VALUE_MAX_LEN)),
    ],
};

/// `GetConfiguration.conf`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GetConfigurationResponse {
    /// The known keys asked for (every key when none were named).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub configuration_key: Option<Vec<KeyValue>>,
    /// The keys asked for that the charge point does not know (each CiString50).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unknown_key: Option<Vec<String>>,
}

static GET_CONFIGURATION_RESPONSE: ObjectSchema = ObjectSchema {
    name: "GetConfigurationResponse",
    fields: &[
        Field::optional(
            "configurationKey",
            Kind::Array {
                items: &Kind::Object(&KEY_VALUE),
                min_items: 0,
            },
        ),
        Field::optional(
            "unknownKey",
            Kind::Array {
                items: &CONFIGURATION_KEY,
                min_items: 0,
            },
        ),
    ],
};

/// `ChangeConfiguration.req`: set a configuration key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChangeConfigurationRequest {
    /// The key (CiString50).
    pub key: String,
    /// The new value (CiString500).
    pub value: String,
}

static CHANGE_CONFIGURATION_REQUEST: ObjectSchema = ObjectSchema {
    name: "ChangeConfigurationRequest",
    fields: &[
        Field::required("key", Kind::ci_string(CONFIGURATION_KEY_MAX_LEN)),
        Field::required("value", Kind::ci_string(CONFIGURATION_VALUE_MAX_LEN)),
    ],
};

wire_enum! {
    /// The result of a ChangeConfiguration.
    pub enum ConfigurationStatus {
        /// Changed, in effect now.
        Accepted = "Accepted",
        /// Not changed (read-only key or an invalid value).
        Rejected = "Rejected",
        /// Changed, in effect after a reboot.
        RebootRequired = "RebootRequired",
        /// The key is unknown.
        NotSupported = "NotSupported",
    }
}

/// `ChangeConfiguration.conf`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChangeConfigurationResponse {
    /// The result.
    pub status: ConfigurationStatus,
}

// ---------------------------------------------------------------------------------------------------------
// ClearCache

/// `ClearCache.req` (no fields): empty the authorization cache.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClearCacheRequest {}

static CLEAR_CACHE_REQUEST: ObjectSchema = ObjectSchema {
    name: "ClearCacheRequest",
    fields: &[],
};

wire_enum! {
    /// Whether the cache was cleared.
    pub enum ClearCacheStatus {
        /// Cleared.
        Accepted = "Accepted",
        /// Not cleared.
        Rejected = "Rejected",
    }
}

/// `ClearCache.conf`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClearCacheResponse {
    /// The result.
    pub status: ClearCacheStatus,
}

// ---------------------------------------------------------------------------------------------------------
// TriggerMessage

wire_enum! {
    /// The message a TriggerMessage asks for.
    pub enum MessageTrigger {
        /// A BootNotification.
        BootNotification = "BootNotification",
        /// A DiagnosticsStatusNotification.
        DiagnosticsStatusNotification = "DiagnosticsStatusNotification",
        /// A FirmwareStatusNotification.
        FirmwareStatusNotification = "FirmwareStatusNotification",
        /// A Heartbeat.
        Heartbeat = "Heartbeat",
        /// MeterValues.
        MeterValues = "MeterValues",
        /// A StatusNotification.
        StatusNotification = "StatusNotification",
    }
}

/// `TriggerMessage.req`: send a message now (after the confirmation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TriggerMessageRequest {
    /// The message asked for.
    pub requested_message: MessageTrigger,
    /// The connector it is about (> 0); absent: the charge point as a whole, or every connector.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connector_id: Option<i64>,
}

static TRIGGER_MESSAGE_REQUEST: ObjectSchema = ObjectSchema {
    name: "TriggerMessageRequest",
    fields: &[
        Field::required("requestedMessage", Kind::Enum(MessageTrigger::VALUES)),
        Field::optional("connectorId", Kind::integer_min(1)),
    ],
};

wire_enum! {
    /// Whether the charge point will send the requested message.
    pub enum TriggerMessageStatus {
        /// It will, after this confirmation.
        Accepted = "Accepted",
        /// It will not.
        Rejected = "Rejected",
        /// It cannot send that message.
        NotImplemented = "NotImplemented",
    }
}

/// `TriggerMessage.conf`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TriggerMessageResponse {
    /// The verdict.
    pub status: TriggerMessageStatus,
}

// ---------------------------------------------------------------------------------------------------------
// GetLocalListVersion, SendLocalList

/// `GetLocalListVersion.req` (no fields).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GetLocalListVersionRequest {}

static GET_LOCAL_LIST_VERSION_REQUEST: ObjectSchema = ObjectSchema {
    name: "GetLocalListVersionRequest",
    fields: &[],
};

/// `GetLocalListVersion.conf`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GetLocalListVersionResponse {
    /// The version of the local list: 0 when it is empty (or was never set),
    /// [`NOT_SUPPORTED`](Self::NOT_SUPPORTED) (−1) when the charge point has no local list.
    pub list_version: i64,
}

impl GetLocalListVersionResponse {
    /// The `listVersion` of a charge point that does not support a local authorization list.
    pub const NOT_SUPPORTED: i64 = -1;
}

static GET_LOCAL_LIST_VERSION_RESPONSE: ObjectSchema = ObjectSchema {
    name: "GetLocalListVersionResponse",
    fields: &[Field::required("listVersion", Kind::INTEGER)],
};

wire_enum! {
    /// How a SendLocalList changes the local list.
    pub enum UpdateType {
        /// Add, update (an entry with `idTagInfo`) or remove (an entry without) the entries sent.
        Differential = "Differential",
        /// Replace the whole list with the entries sent.
        Full = "Full",
    }
}

/// One entry of a local authorization list (`AuthorizationData`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AuthorizationData {
    /// The identifier (CiString20).
    pub id_tag: String,
    /// Its verdict; absent in a Differential update: remove the idTag from the list. Required in a Full one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_tag_info: Option<IdTagInfo>,
}

static AUTHORIZATION_DATA: ObjectSchema = ObjectSchema {
    name: "AuthorizationData",
    fields: &[
        Field::required("idTag", Kind::ci_string(ID_TAG_MAX_LEN)),
        Field::optional("idTagInfo", Kind::Object(&ID_TAG_INFO)),
    ],
};

/// `SendLocalList.req`: replace (Full) or change (Differential) the local authorization list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SendLocalListRequest {
    /// The list's version after this update.
    pub list_version: i64,
    /// The entries; absent or empty in a Full update: empty the list.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub local_authorization_list: Option<Vec<AuthorizationData>>,
    /// Full or Differential.
    pub update_type: UpdateType,
}

impl SendLocalListRequest {
    /// The entries sent (none when `localAuthorizationList` is absent).
    pub fn entries(&self) -> &[AuthorizationData] {
        self.local_authorization_list.as_deref().unwrap_or(&[])
    }
}

impl Payload for SendLocalListRequest {
    const ACTION: Action = Action::SendLocalList;
    const SCHEMA: &'static ObjectSchema = &SEND_LOCAL_LIST_REQUEST;

    /// Every entry of a Full update carries an `idTagInfo` (the OCPP 1.6 specification of
    /// `AuthorizationData`: "Required when UpdateType is Full"); a missing one is an
    /// `OccurenceConstraintViolation`, like any missing required field.
    fn check_rules(&self) -> Result<(), PayloadError> {
        if self.update_type != UpdateType::Full {
            return Ok(());
        }
        match self
            .entries()
            .iter()
            .position(|entry| entry.id_tag_info.is_none())
        {
            None => Ok(()),
            Some(index) => Err(PayloadError::new(
                ErrorCode::OccurenceConstraintViolation,
                format!("localAuthorizationList[{index}].idTagInfo: required in a Full update"),
            )),
        }
    }
}

impl RequestPayload for SendLocalListRequest {
    type Response = SendLocalListResponse;
}

impl Payload for SendLocalListResponse {
    const ACTION: Action = Action::SendLocalList;
    const SCHEMA: &'static ObjectSchema = &SEND_LOCAL_LIST_RESPONSE;
}

static SEND_LOCAL_LIST_REQUEST: ObjectSchema = ObjectSchema {
    name: "SendLocalListRequest",
    fields: &[
        Field::required("listVersion", Kind::INTEGER),
        Field::optional(
            "localAuthorizationList",
            Kind::Array {
                items: &Kind::Object(&AUTHORIZATION_DATA),
                min_items: 0,
            },
        ),
        Field::required("updateType", Kind::Enum(UpdateType::VALUES)),
    ],
};

wire_enum! {
    /// The result of a SendLocalList.
    pub enum UpdateStatus {
        /// The list was updated.
        Accepted = "Accepted",
        /// The update failed (e.g. the list would be too long).
        Failed = "Failed",
        /// The charge point has no local list.
        NotSupported = "NotSupported",
        /// A Differential update's version does not follow the charge point's.
        VersionMismatch = "VersionMismatch",
    }
}

/// `SendLocalList.conf`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SendLocalListResponse {
    /// The result.
    pub status: UpdateStatus,
}

#[cfg(test)]
mod tests;
