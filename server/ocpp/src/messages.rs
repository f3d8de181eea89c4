//! Typed payloads of the ten charge-point-initiated OCPP 1.6 requests and their confirmations, each next to
//! its schema (the official 1.6 JSON schema, as a [`schema::ObjectSchema`](crate::schema::ObjectSchema)).
//!
//! Field names are camelCase on the wire; `None` fields are omitted when serialising (no 1.6 schema allows
//! `null`). Timestamps are RFC 3339 strings as received or to be sent; [`crate::DateTime`] parses them.
//! Where the OCPP 1.6 specification is stricter than its JSON schema, the schema here follows the
//! specification (`connectorId` ≥ 0, and > 0 in StartTransaction).

use crate::schema::{Field, Kind, ObjectSchema};
use crate::Action;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// A message payload this crate knows: its action, its schema, and its serde form.
pub trait Payload: Serialize + DeserializeOwned {
    /// The action whose request or confirmation this is.
    const ACTION: Action;
    /// The schema every received payload of this type is validated against.
    const SCHEMA: &'static ObjectSchema;

    /// The rules of the OCPP 1.6 specification that its JSON schema cannot express (e.g. every entry of a
    /// Full `SendLocalList` carries an `idTagInfo`), checked after the schema on every payload read or
    /// written. None for most messages.
    fn check_rules(&self) -> Result<(), crate::PayloadError> {
        Ok(())
    }
}

/// A request payload, with the confirmation type that answers it.
pub trait RequestPayload: Payload {
    /// The confirmation (CALLRESULT payload) answering this request.
    type Response: Payload;
}

macro_rules! payloads {
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

        /// A request from a charge point, typed and validated: one variant per charge-point-initiated action.
        #[derive(Debug, Clone, PartialEq)]
        pub enum Request {
            $(
                #[doc = concat!("`", stringify!($action), ".req`")]
                $action($request),
            )+
        }

        impl Request {
            /// The action of this request.
            pub fn action(&self) -> Action {
                match self {
                    $(Request::$action(_) => Action::$action,)+
                }
            }

            /// Validates and reads `payload` as the request of `action`; `None` when `action` is not
            /// charge-point-initiated.
            pub(crate) fn parse(
                action: Action,
                payload: &serde_json::Value,
            ) -> Option<Result<Request, crate::PayloadError>> {
                match action {
                    $(Action::$action => Some(crate::codec::decode::<$request>(payload).map(Request::$action)),)+
                    _ => None,
                }
            }
        }
    };
}

payloads! {
    Authorize: AuthorizeRequest => AuthorizeResponse, AUTHORIZE_REQUEST, AUTHORIZE_RESPONSE;
    BootNotification: BootNotificationRequest => BootNotificationResponse,
        BOOT_NOTIFICATION_REQUEST, BOOT_NOTIFICATION_RESPONSE;
    DataTransfer: DataTransferRequest => DataTransferResponse, DATA_TRANSFER_REQUEST, DATA_TRANSFER_RESPONSE;
    DiagnosticsStatusNotification: DiagnosticsStatusNotificationRequest => DiagnosticsStatusNotificationResponse,
        DIAGNOSTICS_STATUS_NOTIFICATION_REQUEST, DIAGNOSTICS_STATUS_NOTIFICATION_RESPONSE;
    FirmwareStatusNotification: FirmwareStatusNotificationRequest => FirmwareStatusNotificationResponse,
        FIRMWARE_STATUS_NOTIFICATION_REQUEST, FIRMWARE_STATUS_NOTIFICATION_RESPONSE;
    Heartbeat: HeartbeatRequest => HeartbeatResponse, HEARTBEAT_REQUEST, HEARTBEAT_RESPONSE;
    MeterValues: MeterValuesRequest => MeterValuesResponse, METER_VALUES_REQUEST, METER_VALUES_RESPONSE;
    StartTransaction: StartTransactionRequest => StartTransactionResponse,
        START_TRANSACTION_REQUEST, START_TRANSACTION_RESPONSE;
    StatusNotification: StatusNotificationRequest => StatusNotificationResponse,
        STATUS_NOTIFICATION_REQUEST, STATUS_NOTIFICATION_RESPONSE;
    StopTransaction: StopTransactionRequest => StopTransactionResponse,
        STOP_TRANSACTION_REQUEST, STOP_TRANSACTION_RESPONSE;
}

/// The schema of a confirmation without fields.
macro_rules! empty_schema {
    ($($static:ident = $name:literal;)+) => {
        $(static $static: ObjectSchema = ObjectSchema { name: $name, fields: &[] };)+
    };
}

empty_schema! {
    DIAGNOSTICS_STATUS_NOTIFICATION_RESPONSE = "DiagnosticsStatusNotificationResponse";
    FIRMWARE_STATUS_NOTIFICATION_RESPONSE = "FirmwareStatusNotificationResponse";
    METER_VALUES_RESPONSE = "MeterValuesResponse";
    STATUS_NOTIFICATION_RESPONSE = "StatusNotificationResponse";
}

// ---------------------------------------------------------------------------------------------------------
// Shared types

/// The `idTag` length (CiString20).
pub const ID_TAG_MAX_LEN: usize = 20;

wire_enum! {
    /// Whether an idTag may charge (`IdTagInfo.status`).
    pub enum AuthorizationStatus {
        /// Allowed to charge.
        Accepted = "Accepted",
        /// Blocked.
        Blocked = "Blocked",
        /// Expired.
        Expired = "Expired",
        /// Unknown.
        Invalid = "Invalid",
        /// Already in another transaction (StartTransaction only).
        ConcurrentTx = "ConcurrentTx",
    }
}

/// The verdict on an idTag, in Authorize, StartTransaction and StopTransaction confirmations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IdTagInfo {
    /// Whether the idTag may charge.
    pub status: AuthorizationStatus,
    /// Until when the charge point may cache the verdict (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expiry_date: Option<String>,
    /// The parent idTag (group).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_id_tag: Option<String>,
}

impl IdTagInfo {
    /// Only a status.
    pub fn new(status: AuthorizationStatus) -> Self {
        Self {
            status,
            expiry_date: None,
            parent_id_tag: None,
        }
    }
}

pub(crate) static ID_TAG_INFO: ObjectSchema = ObjectSchema {
    name: "IdTagInfo",
    fields: &[
        Field::required("status", Kind::Enum(AuthorizationStatus::VALUES)),
        Field::optional("expiryDate", Kind::DateTime),
        Field::optional("parentIdTag", Kind::ci_string(ID_TAG_MAX_LEN)),
    ],
};

// ---------------------------------------------------------------------------------------------------------
// Authorize

/// `Authorize.req`: may this idTag charge?
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AuthorizeRequest {
    /// The identifier presented (CiString20; for RFID, the UID in hex).
    pub id_tag: String,
}

static AUTHORIZE_REQUEST: ObjectSchema = ObjectSchema {
    name: "AuthorizeRequest",
    fields: &[Field::required("idTag", Kind::ci_string(ID_TAG_MAX_LEN))],
};

/// `Authorize.conf`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AuthorizeResponse {
    /// The verdict.
    pub id_tag_info: IdTagInfo,
}

static AUTHORIZE_RESPONSE: ObjectSchema = ObjectSchema {
    name: "AuthorizeResponse",
    fields: &[Field::required("idTagInfo", Kind::Object(&ID_TAG_INFO))],
};

// ---------------------------------------------------------------------------------------------------------
// BootNotification

/// `BootNotification.req`: the charge point (re)started and describes itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BootNotificationRequest {
    /// Vendor (CiString20).
    pub charge_point_vendor: String,
    /// Model (CiString20).
    pub charge_point_model: String,
    /// Serial number of the charge point (CiString25).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub charge_point_serial_number: Option<String>,
    /// Serial number of the charge box (CiString25; deprecated in 1.6).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub charge_box_serial_number: Option<String>,
    /// Firmware version (CiString50).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub firmware_version: Option<String>,
    /// ICCID of the modem's SIM card (CiString20).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iccid: Option<String>,
    /// IMSI of the modem's SIM card (CiString20).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub imsi: Option<String>,
    /// Type of the main power meter (CiString25).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meter_type: Option<String>,
    /// Serial number of the main power meter (CiString25).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meter_serial_number: Option<String>,
}

impl BootNotificationRequest {
    /// Only the required vendor and model.
    pub fn new(
        charge_point_vendor: impl Into<String>,
        charge_point_model: impl Into<String>,
    ) -> Self {
        Self {
            charge_point_vendor: charge_point_vendor.into(),
            charge_point_model: charge_point_model.into(),
            charge_point_serial_number: None,
            charge_box_serial_number: None,
            firmware_version: None,
            iccid: None,
            imsi: None,
            meter_type: None,
            meter_serial_number: None,
        }
    }
}

static BOOT_NOTIFICATION_REQUEST: ObjectSchema = ObjectSchema {
    name: "BootNotificationRequest",
    fields: &[
        Field::required("chargePointVendor", Kind::ci_string(20)),
        Field::required("chargePointModel", Kind::ci_string(20)),
        Field::optional("chargePointSerialNumber", Kind::ci_string(25)),
        Field::optional("chargeBoxSerialNumber", Kind::ci_string(25)),
        Field::optional("firmwareVersion", Kind::ci_string(50)),
        Field::optional("iccid", Kind::ci_string(20)),
        Field::optional("imsi", Kind::ci_string(20)),
        Field::optional("meterType", Kind::ci_string(25)),
        Field::optional("meterSerialNumber", Kind::ci_string(25)),
    ],
};

wire_enum! {
    /// Whether the central system accepts the charge point (`BootNotification.conf`).
    pub enum RegistrationStatus {
        /// Registered; heartbeat every `interval` seconds.
        Accepted = "Accepted",
        /// Not yet; retry after `interval` seconds.
        Pending = "Pending",
        /// Refused; retry after `interval` seconds.
        Rejected = "Rejected",
    }
}

/// `BootNotification.conf`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BootNotificationResponse {
    /// The verdict.
    pub status: RegistrationStatus,
    /// The central system's clock (RFC 3339).
    pub current_time: String,
    /// Heartbeat interval (Accepted) or retry delay (otherwise), in seconds.
    pub interval: i64,
}

static BOOT_NOTIFICATION_RESPONSE: ObjectSchema = ObjectSchema {
    name: "BootNotificationResponse",
    fields: &[
        Field::required("status", Kind::Enum(RegistrationStatus::VALUES)),
        Field::required("currentTime", Kind::DateTime),
        Field::required("interval", Kind::INTEGER),
    ],
};

// ---------------------------------------------------------------------------------------------------------
// DataTransfer

/// `DataTransfer.req` from a charge point: vendor-specific data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DataTransferRequest {
    /// The vendor (CiString255, usually a reversed DNS name).
    pub vendor_id: String,
    /// The vendor's message (CiString50).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    /// Free text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<String>,
}

static DATA_TRANSFER_REQUEST: ObjectSchema = ObjectSchema {
    name: "DataTransferRequest",
    fields: &[
        Field::required("vendorId", Kind::ci_string(255)),
        Field::optional("messageId", Kind::ci_string(50)),
        Field::optional("data", Kind::TEXT),
    ],
};

wire_enum! {
    /// The answer to a DataTransfer.
    pub enum DataTransferStatus {
        /// Accepted.
        Accepted = "Accepted",
        /// Rejected.
        Rejected = "Rejected",
        /// The vendor is known, the message id is not.
        UnknownMessageId = "UnknownMessageId",
        /// The vendor is not known.
        UnknownVendorId = "UnknownVendorId",
    }
}

/// `DataTransfer.conf`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DataTransferResponse {
    /// The verdict.
    pub status: DataTransferStatus,
    /// Free text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<String>,
}

static DATA_TRANSFER_RESPONSE: ObjectSchema = ObjectSchema {
    name: "DataTransferResponse",
    fields: &[
        Field::required("status", Kind::Enum(DataTransferStatus::VALUES)),
        Field::optional("data", Kind::TEXT),
    ],
};

// ---------------------------------------------------------------------------------------------------------
// DiagnosticsStatusNotification, FirmwareStatusNotification

wire_enum! {
    /// Progress of a diagnostics upload.
    pub enum DiagnosticsStatus {
        /// Not uploading (only in answer to a TriggerMessage).
        Idle = "Idle",
        /// Uploaded.
        Uploaded = "Uploaded",
        /// Upload failed.
        UploadFailed = "UploadFailed",
        /// Uploading.
        Uploading = "Uploading",
    }
}

/// `DiagnosticsStatusNotification.req`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DiagnosticsStatusNotificationRequest {
    /// The progress.
    pub status: DiagnosticsStatus,
}

static DIAGNOSTICS_STATUS_NOTIFICATION_REQUEST: ObjectSchema = ObjectSchema {
    name: "DiagnosticsStatusNotificationRequest",
    fields: &[Field::required(
        "status",
        Kind::Enum(DiagnosticsStatus::VALUES),
    )],
};

/// `DiagnosticsStatusNotification.conf` (no fields).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiagnosticsStatusNotificationResponse {}

wire_enum! {
    /// Progress of a firmware update.
    pub enum FirmwareStatus {
        /// Downloaded.
        Downloaded = "Downloaded",
        /// Download failed.
        DownloadFailed = "DownloadFailed",
        /// Downloading.
        Downloading = "Downloading",
        /// Not updating (only in answer to a TriggerMessage).
        Idle = "Idle",
        /// Installation failed.
        InstallationFailed = "InstallationFailed",
        /// Installing.
        Installing = "Installing",
        /// Installed.
        Installed = "Installed",
    }
}

/// `FirmwareStatusNotification.req`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FirmwareStatusNotificationRequest {
    /// The progress.
    pub status: FirmwareStatus,
}

static FIRMWARE_STATUS_NOTIFICATION_REQUEST: ObjectSchema = ObjectSchema {
    name: "FirmwareStatusNotificationRequest",
    fields: &[Field::required(
        "status",
        Kind::Enum(FirmwareStatus::VALUES),
    )],
};

/// `FirmwareStatusNotification.conf` (no fields).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FirmwareStatusNotificationResponse {}

// ---------------------------------------------------------------------------------------------------------
// Heartbeat

/// `Heartbeat.req` (no fields).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HeartbeatRequest {}

static HEARTBEAT_REQUEST: ObjectSchema = ObjectSchema {
    name: "HeartbeatRequest",
    fields: &[],
};

/// `Heartbeat.conf`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HeartbeatResponse {
    /// The central system's clock (RFC 3339).
    pub current_time: String,
}

static HEARTBEAT_RESPONSE: ObjectSchema = ObjectSchema {
    name: "HeartbeatResponse",
    fields: &[Field::required("currentTime", Kind::DateTime)],
};

// ---------------------------------------------------------------------------------------------------------
// MeterValues (and StopTransaction.transactionData)

wire_enum! {
    /// Why a sample was taken (`SampledValue.context`; default `Sample.Periodic`).
    pub enum ReadingContext {
        /// Start of an interruption of the supply.
        InterruptionBegin = "Interruption.Begin",
        /// End of an interruption of the supply.
        InterruptionEnd = "Interruption.End",
        /// Other.
        Other = "Other",
        /// Clock-aligned sample.
        SampleClock = "Sample.Clock",
        /// Periodic sample during a transaction.
        SamplePeriodic = "Sample.Periodic",
        /// At the start of a transaction.
        TransactionBegin = "Transaction.Begin",
        /// At the end of a transaction.
        TransactionEnd = "Transaction.End",
        /// In answer to a TriggerMessage.
        Trigger = "Trigger",
    }
}

wire_enum! {
    /// How `SampledValue.value` is written (default `Raw`).
    pub enum ValueFormat {
        /// A decimal number.
        Raw = "Raw",
        /// A signed binary blob, hex encoded.
        SignedData = "SignedData",
    }
}

wire_enum! {
    /// What was measured (`SampledValue.measurand`; default `Energy.Active.Import.Register`).
    pub enum Measurand {
        /// Energy exported to the grid, register.
        EnergyActiveExportRegister = "Energy.Active.Export.Register",
        /// Energy imported from the grid (charged), register: the meter reading.
        EnergyActiveImportRegister = "Energy.Active.Import.Register",
        /// Reactive energy exported, register.
        EnergyReactiveExportRegister = "Energy.Reactive.Export.Register",
        /// Reactive energy imported, register.
        EnergyReactiveImportRegister = "Energy.Reactive.Import.Register",
        /// Energy exported during the interval.
        EnergyActiveExportInterval = "Energy.Active.Export.Interval",
        /// Energy imported during the interval.
        EnergyActiveImportInterval = "Energy.Active.Import.Interval",
        /// Reactive energy exported during the interval.
        EnergyReactiveExportInterval = "Energy.Reactive.Export.Interval",
        /// Reactive energy imported during the interval.
        EnergyReactiveImportInterval = "Energy.Reactive.Import.Interval",
        /// Power exported.
        PowerActiveExport = "Power.Active.Export",
        /// Power imported.
        PowerActiveImport = "Power.Active.Import",
        /// Maximum power offered to the EV.
        PowerOffered = "Power.Offered",
        /// Reactive power exported.
        PowerReactiveExport = "Power.Reactive.Export",
        /// Reactive power imported.
        PowerReactiveImport = "Power.Reactive.Import",
        /// Power factor.
        PowerFactor = "Power.Factor",
        /// Current to the EV.
        CurrentImport = "Current.Import",
        /// Current from the EV.
        CurrentExport = "Current.Export",
        /// Maximum current offered to the EV.
        CurrentOffered = "Current.Offered",
        /// Voltage.
        Voltage = "Voltage",
        /// Grid frequency.
        Frequency = "Frequency",
        /// Temperature.
        Temperature = "Temperature",
        /// State of charge of the EV, in percent.
        SoC = "SoC",
        /// Fan speed.
        Rpm = "RPM",
    }
}

wire_enum! {
    /// Which phase(s) a sample is about.
    pub enum Phase {
        /// Phase 1.
        L1 = "L1",
        /// Phase 2.
        L2 = "L2",
        /// Phase 3.
        L3 = "L3",
        /// Neutral.
        N = "N",
        /// Phase 1 to neutral.
        L1N = "L1-N",
        /// Phase 2 to neutral.
        L2N = "L2-N",
        /// Phase 3 to neutral.
        L3N = "L3-N",
        /// Phase 1 to phase 2.
        L1L2 = "L1-L2",
        /// Phase 2 to phase 3.
        L2L3 = "L2-L3",
        /// Phase 3 to phase 1.
        L3L1 = "L3-L1",
    }
}

wire_enum! {
    /// Where a sample was measured (default `Outlet`).
    pub enum Location {
        /// The cable.
        Cable = "Cable",
        /// The EV.
        Ev = "EV",
        /// The grid connection of the charge point.
        Inlet = "Inlet",
        /// The connector.
        Outlet = "Outlet",
        /// The charge point's body.
        Body = "Body",
    }
}

wire_enum! {
    /// The unit of a sample (default `Wh`). The official 1.6 JSON schema spells `Celcius`; the specification
    /// text spells `Celsius`; both are accepted.
    pub enum UnitOfMeasure {
        /// Watt-hours.
        Wh = "Wh",
        /// Kilowatt-hours.
        KWh = "kWh",
        /// Var-hours.
        Varh = "varh",
        /// Kilovar-hours.
        Kvarh = "kvarh",
        /// Watts.
        W = "W",
        /// Kilowatts.
        KW = "kW",
        /// Volt-amperes.
        VA = "VA",
        /// Kilovolt-amperes.
        KVA = "kVA",
        /// Vars.
        Var = "var",
        /// Kilovars.
        Kvar = "kvar",
        /// Amperes.
        A = "A",
        /// Volts.
        V = "V",
        /// Kelvin.
        K = "K",
        /// Degrees Celsius, as the official JSON schema spells it.
        Celcius = "Celcius",
        /// Degrees Celsius.
        Celsius = "Celsius",
        /// Degrees Fahrenheit.
        Fahrenheit = "Fahrenheit",
        /// Percent.
        Percent = "Percent",
    }
}

/// One measured value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SampledValue {
    /// The value as text: a decimal number (`Raw`) or signed data.
    pub value: String,
    /// Why it was sampled (absent: `Sample.Periodic`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context: Option<ReadingContext>,
    /// How `value` is written (absent: `Raw`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub format: Option<ValueFormat>,
    /// What was measured (absent: `Energy.Active.Import.Register`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub measurand: Option<Measurand>,
    /// Which phase (absent: all / not applicable).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phase: Option<Phase>,
    /// Where (absent: `Outlet`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    /// The unit (absent: `Wh`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<UnitOfMeasure>,
}

impl SampledValue {
    /// A value with every optional field absent (i.e. an `Energy.Active.Import.Register` reading in Wh).
    pub fn new(value: impl Into<String>) -> Self {
        Self {
            value: value.into(),
            context: None,
            format: None,
            measurand: None,
            phase: None,
            location: None,
            unit: None,
        }
    }

    /// The measurand, with the specification's default when absent.
    pub fn measurand_or_default(&self) -> Measurand {
        self.measurand
            .unwrap_or(Measurand::EnergyActiveImportRegister)
    }

    /// The unit, with the specification's default when absent.
    pub fn unit_or_default(&self) -> UnitOfMeasure {
        self.unit.unwrap_or(UnitOfMeasure::Wh)
    }

    /// The context, with the specification's default when absent.
    pub fn context_or_default(&self) -> ReadingContext {
        self.context.unwrap_or(ReadingContext::SamplePeriodic)
    }
}

/// Samples taken at one moment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MeterValue {
    /// When (RFC 3339).
    pub timestamp: String,
    /// The samples (at least one in MeterValues).
    pub sampled_value: Vec<SampledValue>,
}

static SAMPLED_VALUE: ObjectSchema = ObjectSchema {
    name: "SampledValue",
    fields: &[
        Field::required("value", Kind::TEXT),
        Field::optional("context", Kind::Enum(ReadingContext::VALUES)),
        Field::optional("format", Kind::Enum(ValueFormat::VALUES)),
        Field::optional("measurand", Kind::Enum(Measurand::VALUES)),
        Field::optional("phase", Kind::Enum(Phase::VALUES)),
        Field::optional("location", Kind::Enum(Location::VALUES)),
        Field::optional("unit", Kind::Enum(UnitOfMeasure::VALUES)),
    ],
};

/// `MeterValue` in MeterValues: at least one sampled value (`minItems: 1`).
static METER_VALUE: ObjectSchema = ObjectSchema {
    name: "MeterValue",
    fields: &[
        Field::required("timestamp", Kind::DateTime),
        Field::required(
            "sampledValue",
            Kind::Array {
                items: &Kind::Object(&SAMPLED_VALUE),
                min_items: 1,
            },
        ),
    ],
};

/// `MeterValue` in StopTransaction's `transactionData`: the official schema sets no `minItems` there, and a
/// StopTransaction must not be refused for an empty sample list (the central system cannot refuse a stop).
static TRANSACTION_DATA_METER_VALUE: ObjectSchema = ObjectSchema {
    name: "MeterValue",
    fields: &[
        Field::required("timestamp", Kind::DateTime),
        Field::required(
            "sampledValue",
            Kind::Array {
                items: &Kind::Object(&SAMPLED_VALUE),
                min_items: 0,
            },
        ),
    ],
};

/// `MeterValues.req`: samples of a connector's meter, during a transaction or clock-aligned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MeterValuesRequest {
    /// The connector (0: the charge point's main meter).
    pub connector_id: i64,
    /// The transaction the samples belong to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transaction_id: Option<i64>,
    /// The samples, at least one.
    pub meter_value: Vec<MeterValue>,
}

static METER_VALUES_REQUEST: ObjectSchema = ObjectSchema {
    name: "MeterValuesRequest",
    fields: &[
        Field::required("connectorId", Kind::integer_min(0)),
        Field::optional("transactionId", Kind::INTEGER),
        Field::required(
            "meterValue",
            Kind::Array {
                items: &Kind::Object(&METER_VALUE),
                min_items: 1,
            },
        ),
    ],
};

/// `MeterValues.conf` (no fields).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MeterValuesResponse {}

// ---------------------------------------------------------------------------------------------------------
// StartTransaction

/// `StartTransaction.req`: a transaction started (possibly authorized offline: re-check the idTag).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StartTransactionRequest {
    /// The connector (> 0).
    pub connector_id: i64,
    /// The identifier that started it (CiString20).
    pub id_tag: String,
    /// Meter reading at the start, in Wh.
    pub meter_start: i64,
    /// The reservation this transaction ends.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reservation_id: Option<i64>,
    /// When it started (RFC 3339).
    pub timestamp: String,
}

static START_TRANSACTION_REQUEST: ObjectSchema = ObjectSchema {
    name: "StartTransactionRequest",
    fields: &[
        Field::required("connectorId", Kind::integer_min(1)),
        Field::required("idTag", Kind::ci_string(ID_TAG_MAX_LEN)),
        Field::required("meterStart", Kind::INTEGER),
        Field::optional("reservationId", Kind::INTEGER),
        Field::required("timestamp", Kind::DateTime),
    ],
};

/// `StartTransaction.conf`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StartTransactionResponse {
    /// The verdict on the idTag.
    pub id_tag_info: IdTagInfo,
    /// The transaction id the central system assigned.
    pub transaction_id: i64,
}

static START_TRANSACTION_RESPONSE: ObjectSchema = ObjectSchema {
    name: "StartTransactionResponse",
    fields: &[
        Field::required("idTagInfo", Kind::Object(&ID_TAG_INFO)),
        Field::required("transactionId", Kind::INTEGER),
    ],
};

// ---------------------------------------------------------------------------------------------------------
// StatusNotification

wire_enum! {
    /// A connector's error (`StatusNotification.errorCode`), `NoError` when there is none.
    pub enum ChargePointErrorCode {
        /// The connector lock failed.
        ConnectorLockFailure = "ConnectorLockFailure",
        /// Communication with the EV failed.
        EvCommunicationError = "EVCommunicationError",
        /// Ground fault.
        GroundFailure = "GroundFailure",
        /// Too hot.
        HighTemperature = "HighTemperature",
        /// Software or hardware error.
        InternalError = "InternalError",
        /// The local list conflicts with the central system's verdict.
        LocalListConflict = "LocalListConflict",
        /// No error.
        NoError = "NoError",
        /// Another error (see `vendorErrorCode`).
        OtherError = "OtherError",
        /// Over-current protection tripped.
        OverCurrentFailure = "OverCurrentFailure",
        /// The meter failed.
        PowerMeterFailure = "PowerMeterFailure",
        /// The power switch failed.
        PowerSwitchFailure = "PowerSwitchFailure",
        /// The ID reader failed.
        ReaderFailure = "ReaderFailure",
        /// A reset failed.
        ResetFailure = "ResetFailure",
        /// Voltage too low.
        UnderVoltage = "UnderVoltage",
        /// Voltage too high.
        OverVoltage = "OverVoltage",
        /// Weak wireless signal.
        WeakSignal = "WeakSignal",
    }
}

wire_enum! {
    /// A connector's status (`StatusNotification.status`).
    pub enum ChargePointStatus {
        /// Free.
        Available = "Available",
        /// Plugged in or authorized, not yet charging.
        Preparing = "Preparing",
        /// Charging.
        Charging = "Charging",
        /// The charge point suspended charging.
        SuspendedEvse = "SuspendedEVSE",
        /// The EV suspended charging.
        SuspendedEv = "SuspendedEV",
        /// The transaction stopped, the connector is not yet free.
        Finishing = "Finishing",
        /// Reserved.
        Reserved = "Reserved",
        /// Out of service.
        Unavailable = "Unavailable",
        /// Failed.
        Faulted = "Faulted",
    }
}

/// `StatusNotification.req`: a connector's (or, for connector 0, the charge point's) status changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StatusNotificationRequest {
    /// The connector (0: the charge point as a whole).
    pub connector_id: i64,
    /// The error, `NoError` when none.
    pub error_code: ChargePointErrorCode,
    /// Free text (CiString50).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub info: Option<String>,
    /// The status.
    pub status: ChargePointStatus,
    /// When the status changed (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<String>,
    /// The vendor of `vendorErrorCode` (CiString255).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vendor_id: Option<String>,
    /// The vendor's error code (CiString50).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vendor_error_code: Option<String>,
}

static STATUS_NOTIFICATION_REQUEST: ObjectSchema = ObjectSchema {
    name: "StatusNotificationRequest",
    fields: &[
        Field::required("connectorId", Kind::integer_min(0)),
        Field::required("errorCode", Kind::Enum(ChargePointErrorCode::VALUES)),
        Field::optional("info", Kind::ci_string(50)),
        Field::required("status", Kind::Enum(ChargePointStatus::VALUES)),
        Field::optional("timestamp", Kind::DateTime),
        Field::optional("vendorId", Kind::ci_string(255)),
        Field::optional("vendorErrorCode", Kind::ci_string(50)),
    ],
};

/// `StatusNotification.conf` (no fields).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusNotificationResponse {}

// ---------------------------------------------------------------------------------------------------------
// StopTransaction

wire_enum! {
    /// Why a transaction stopped (absent: `Local`).
    pub enum Reason {
        /// The emergency stop button.
        EmergencyStop = "EmergencyStop",
        /// The EV was unplugged.
        EvDisconnected = "EVDisconnected",
        /// A hard reset.
        HardReset = "HardReset",
        /// Stopped at the charge point (e.g. the same card presented again).
        Local = "Local",
        /// Another reason.
        Other = "Other",
        /// Power loss.
        PowerLoss = "PowerLoss",
        /// A reboot.
        Reboot = "Reboot",
        /// A RemoteStopTransaction.
        Remote = "Remote",
        /// A soft reset.
        SoftReset = "SoftReset",
        /// An UnlockConnector.
        UnlockCommand = "UnlockCommand",
        /// The idTag was refused in StartTransaction.conf.
        DeAuthorized = "DeAuthorized",
    }
}

/// `StopTransaction.req`: a transaction stopped. The central system cannot refuse it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StopTransactionRequest {
    /// The identifier that stopped it (CiString20); absent when the charge point stopped by itself.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_tag: Option<String>,
    /// Meter reading at the stop, in Wh.
    pub meter_stop: i64,
    /// When it stopped (RFC 3339).
    pub timestamp: String,
    /// The transaction (from StartTransaction.conf).
    pub transaction_id: i64,
    /// Why it stopped (absent: `Local`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<Reason>,
    /// Samples taken during the transaction.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transaction_data: Option<Vec<MeterValue>>,
}

impl StopTransactionRequest {
    /// The reason, with the specification's default (`Local`) when absent.
    pub fn reason_or_default(&self) -> Reason {
        self.reason.unwrap_or(Reason::Local)
    }
}

static STOP_TRANSACTION_REQUEST: ObjectSchema = ObjectSchema {
    name: "StopTransactionRequest",
    fields: &[
        Field::optional("idTag", Kind::ci_string(ID_TAG_MAX_LEN)),
        Field::required("meterStop", Kind::INTEGER),
        Field::required("timestamp", Kind::DateTime),
        Field::required("transactionId", Kind::INTEGER),
        Field::optional("reason", Kind::Enum(Reason::VALUES)),
        Field::optional(
            "transactionData",
            Kind::Array {
                items: &Kind::Object(&TRANSACTION_DATA_METER_VALUE),
                min_items: 0,
            },
        ),
    ],
};

/// `StopTransaction.conf`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StopTransactionResponse {
    /// The verdict on the idTag, when the request had one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_tag_info: Option<IdTagInfo>,
}

static STOP_TRANSACTION_RESPONSE: ObjectSchema = ObjectSchema {
    name: "StopTransactionResponse",
    fields: &[Field::optional("idTagInfo", Kind::Object(&ID_TAG_INFO))],
};
