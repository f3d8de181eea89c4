//! [`Station`]: what a simulated charge point keeps and how it answers the central system's commands — its
//! configuration keys, its Local Authorization List, its authorization cache, its connectors (availability,
//! running transactions) and its meter. Pure state, no I/O: [`crate::client::ChargePoint`] feeds it the
//! commands it receives and sends the answers and the messages that follow them ([`FollowUp`]).
//!
//! # Rules this station keeps
//!
//! - **Behaviour** ([`CommandBehaviour`]): `accept` answers like a real station (below), `reject` refuses
//!   every change with its "no" status (GetConfiguration and GetLocalListVersion are still answered
//!   truthfully: reading is not a change), `not-supported` answers every command with a CALLERROR
//!   `NotSupported`, `silent` never answers (the central system's timeout). A payload that violates its
//!   schema is answered with its CALLERROR whatever the behaviour (except `silent`).
//! - **Local list** (OCPP 1.6 §5.15 SendLocalList): a Full update replaces the list; a Differential one adds or
//!   updates the entries that carry an `idTagInfo` and removes those without. A Differential update whose
//!   `listVersion` is not greater than the current version is answered `VersionMismatch` (the
//!   specification's "less or equal"), and nothing changes. `Failed` (nothing changes) when the message has
//!   more entries than `SendLocalListMaxLength` or the list would have more than `LocalAuthListMaxLength`.
//!   The version is 0 until a list is first sent. A station without local-list support
//!   ([`LocalListSupport::Unsupported`]) answers GetLocalListVersion with −1 and SendLocalList with
//!   `NotSupported`, and has neither the local-list keys nor the profile in `SupportedFeatureProfiles`.
//! - **Authorization cache**: every `idTagInfo` the central system sends (Authorize, StartTransaction,
//!   StopTransaction answers) is kept per idTag while `AuthorizationCacheEnabled` is true; ClearCache empties it.
//! - **Offline authorization** ([`Station::authorize_offline`]): the local list first (while
//!   `LocalAuthListEnabled`), then the cache; an `Accepted` entry whose `expiryDate` has passed counts as
//!   `Expired`; an idTag in neither is `Invalid` (`Accepted` when `AllowOfflineTxForUnknownId` is true).
//!   idTags compare case-insensitively (they are CiString20).
//! - **Configuration**: GetConfiguration returns the keys asked for (all without a key) and lists the unknown
//!   ones; ChangeConfiguration answers `NotSupported` for an unknown key, `Rejected` for a read-only key or a
//!   value of the wrong form (integers ≥ 0, `true`/`false`), `RebootRequired` for `WebSocketPingInterval`
//!   (it applies to the next connection), `Accepted` otherwise. `HeartbeatInterval` also takes the interval of
//!   an accepted BootNotification.
//! - **Remote start**: `Accepted` when the connector (the first free one when none is named) exists, is
//!   operative and has no transaction; the station then runs the session ([`FollowUp::StartTransaction`]:
//!   Preparing, Authorize when `AuthorizeRemoteTxRequests` is true, StartTransaction, Charging). **Remote
//!   stop**: `Accepted` when the transaction runs here; StopTransaction with reason `Remote` follows.
//!   **UnlockConnector**: `Unlocked` (a transaction on the connector is stopped with reason `UnlockCommand`
//!   right after the answer), `NotSupported` for a connector the station does not have. **Reset**: `Accepted`,
//!   then running transactions stop (`HardReset`/`SoftReset`), the connection closes and the station
//!   reconnects and boots again; the lists, cache and configuration survive (they are in memory of this
//!   process). **ChangeAvailability**: `Accepted` and a StatusNotification; `Scheduled` when a transaction runs
//!   on a connector it takes out of service (applied when the transaction stops; with connector 0, the
//!   charge point itself reports Unavailable once the last such transaction stops); `Rejected` for a
//!   connector the station does not have. **TriggerMessage**: `Accepted`, then the message is sent
//!   (BootNotification, Heartbeat, StatusNotification, MeterValues, or the diagnostics/firmware status
//!   `Idle`); `Rejected` for a connector the station does not have. **DataTransfer**: `Accepted` for vendor
//!   `ChargeDesk`, `UnknownVendorId` otherwise.

use ocpp::commands::{
    AuthorizationData, AvailabilityStatus, AvailabilityType, ChangeAvailabilityResponse,
    ChangeConfigurationResponse, ClearCacheResponse, ClearCacheStatus, Command, CommandResponse,
    ConfigurationStatus, GetConfigurationResponse, GetLocalListVersionResponse, KeyValue,
    MessageTrigger, RemoteStartStopStatus, RemoteStartTransactionResponse,
    RemoteStopTransactionResponse, ResetResponse, ResetStatus, ResetType, SendLocalListRequest,
    SendLocalListResponse, TriggerMessageResponse, TriggerMessageStatus, UnlockConnectorResponse,
    UnlockStatus, UpdateStatus, UpdateType,
};
use ocpp::messages::{
    AuthorizationStatus, ChargePointStatus, DataTransferResponse, DataTransferStatus, IdTagInfo,
    Reason,
};
use ocpp::{DateTime, ErrorCode, PayloadError};
use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

/// The default `LocalAuthListMaxLength`.
pub const DEFAULT_LOCAL_LIST_MAX: usize = 48;
/// The default `SendLocalListMaxLength`.
pub const DEFAULT_SEND_LOCAL_LIST_MAX: usize = 20;
/// The power the simulated car draws during a remotely started session, in W (11 kW, a three-phase AC car).
pub const REMOTE_SESSION_POWER_W: i64 = 11_000;

/// How the station answers the central system's commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum CommandBehaviour {
    /// Like a real station: yes to what it can do, then it does it.
    #[default]
    Accept,
    /// Every change refused with its "no" status (Rejected, UnlockFailed, Failed).
    Reject,
    /// Every command answered with a CALLERROR NotSupported.
    NotSupported,
    /// No answer at all (to test the central system's timeout).
    Silent,
}

/// Whether the station has a Local Authorization List (the LocalAuthListManagement profile).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum LocalListSupport {
    /// It has one.
    #[default]
    Supported,
    /// It has none: GetLocalListVersion → −1, SendLocalList → NotSupported.
    Unsupported,
}

/// What a station is built as: fixed for its life (a reboot keeps it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StationSetup {
    /// How commands are answered.
    pub behaviour: CommandBehaviour,
    /// How long the station waits before answering a command.
    pub answer_delay: Duration,
    /// Whether it has a local list.
    pub local_list: LocalListSupport,
    /// `LocalAuthListMaxLength`.
    pub local_list_max: usize,
    /// `SendLocalListMaxLength`.
    pub send_local_list_max: usize,
    /// `NumberOfConnectors` (connectors 1..=n).
    pub connectors: i64,
}

impl Default for StationSetup {
    fn default() -> Self {
        Self {
            behaviour: CommandBehaviour::Accept,
            answer_delay: Duration::ZERO,
            local_list: LocalListSupport::Supported,
            local_list_max: DEFAULT_LOCAL_LIST_MAX,
            send_local_list_max: DEFAULT_SEND_LOCAL_LIST_MAX,
            connectors: 1,
        }
    }
}

/// What a configuration value must look like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ValueKind {
    Integer,
    Boolean,
    Text,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct ConfigEntry {
    key: &'static str,
    value: String,
    readonly: bool,
    kind: ValueKind,
}

/// The configuration key whose change answers `RebootRequired`.
pub const REBOOT_REQUIRED_KEY: &str = "WebSocketPingInterval";

/// A station's configuration keys (OCPP 1.6 §9.1 core keys and the local-list ones).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Configuration {
    entries: Vec<ConfigEntry>,
}

impl Configuration {
    fn new(setup: &StationSetup) -> Self {
        use ValueKind::{Boolean, Integer, Text};
        let supported = setup.local_list == LocalListSupport::Supported;
        let profiles = if supported {
            "Core,LocalAuthListManagement,RemoteTrigger"
        } else {
            "Core,RemoteTrigger"
        };
        let mut entries = Vec::new();
        let mut key = |key: &'static str, value: String, readonly: bool, kind: ValueKind| {
            entries.push(ConfigEntry {
                key,
                value,
                readonly,
                kind,
            })
        };
        key("AllowOfflineTxForUnknownId", "false".into(), false, Boolean);
        key("AuthorizationCacheEnabled", "true".into(), false, Boolean);
        key("AuthorizeRemoteTxRequests", "false".into(), false, Boolean);
        key("ClockAlignedDataInterval", "0".into(), false, Integer);
        key("ConnectionTimeOut", "60".into(), false, Integer);
        key("GetConfigurationMaxKeys", "50".into(), true, Integer);
        key("HeartbeatInterval", "300".into(), false, Integer);
        key("LocalAuthorizeOffline", "true".into(), false, Boolean);
        key("LocalPreAuthorize", "false".into(), false, Boolean);
        key("MeterValueSampleInterval", "0".into(), false, Integer);
        key(
            "MeterValuesSampledData",
            "Energy.Active.Import.Register".into(),
            false,
            Text,
        );
        key(
            "NumberOfConnectors",
            setup.connectors.to_string(),
            true,
            Integer,
        );
        key("ResetRetries", "1".into(), false, Integer);
        key("StopTransactionOnInvalidId", "true".into(), false, Boolean);
        key("SupportedFeatureProfiles", profiles.into(), true, Text);
        key("TransactionMessageAttempts", "3".into(), false, Integer);
        key(
            "TransactionMessageRetryInterval",
            "60".into(),
            false,
            Integer,
        );
        key(
            "UnlockConnectorOnEVSideDisconnect",
            "true".into(),
            false,
            Boolean,
        );
        key(REBOOT_REQUIRED_KEY, "0".into(), false, Integer);
        if supported {
            key("LocalAuthListEnabled", "true".into(), false, Boolean);
            key(
                "LocalAuthListMaxLength",
                setup.local_list_max.to_string(),
                true,
                Integer,
            );
            key(
                "SendLocalListMaxLength",
                setup.send_local_list_max.to_string(),
                true,
                Integer,
            );
        }
        Self { entries }
    }

    fn entry(&self, key: &str) -> Option<&ConfigEntry> {
        self.entries
            .iter()
            .find(|entry| entry.key.eq_ignore_ascii_case(key))
    }

    /// The value of `key` (case-insensitive), if the station has it.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.entry(key).map(|entry| entry.value.as_str())
    }

    /// Whether `key` is `true` (false when absent).
    pub fn flag(&self, key: &str) -> bool {
        self.get(key) == Some("true")
    }

    /// `key` as an integer, if it is one.
    pub fn integer(&self, key: &str) -> Option<i64> {
        self.get(key)?.parse().ok()
    }

    /// Every key as GetConfiguration reports it, in a fixed order.
    pub fn key_values(&self) -> Vec<KeyValue> {
        self.entries.iter().map(key_value).collect()
    }

    /// ChangeConfiguration: see the module documentation.
    pub fn change(&mut self, key: &str, value: &str) -> ConfigurationStatus {
        let Some(entry) = self
            .entries
            .iter_mut()
            .find(|entry| entry.key.eq_ignore_ascii_case(key))
        else {
            return ConfigurationStatus::NotSupported;
        };
        if entry.readonly {
            return ConfigurationStatus::Rejected;
        }
        let value = match entry.kind {
            ValueKind::Integer => match value.parse::<u32>() {
                Ok(number) => number.to_string(),
                Err(_) => return ConfigurationStatus::Rejected,
            },
            ValueKind::Boolean => match value.to_ascii_lowercase().as_str() {
                canonical @ ("true" | "false") => canonical.to_owned(),
                _ => return ConfigurationStatus::Rejected,
            },
            ValueKind::Text => value.to_owned(),
        };
        entry.value = value;
        if entry.key == REBOOT_REQUIRED_KEY {
            ConfigurationStatus::RebootRequired
        } else {
            ConfigurationStatus::Accepted
        }
    }

    /// Sets a key the station itself maintains (e.g. `HeartbeatInterval` from BootNotification.conf),
    /// read-only or not; unknown keys are ignored.
    pub fn set_internal(&mut self, key: &str, value: String) {
        if let Some(entry) = self
            .entries
            .iter_mut()
            .find(|entry| entry.key.eq_ignore_ascii_case(key))
        {
            entry.value = value;
        }
    }
}

fn key_value(entry: &ConfigEntry) -> KeyValue {
    KeyValue {
        key: entry.key.to_owned(),
        readonly: entry.readonly,
        value: Some(entry.value.clone()),
    }
}

/// The idTag as the lists key it: idTags are case-insensitive (CiString20).
fn normalise(id_tag: &str) -> String {
    id_tag.to_ascii_uppercase()
}

/// The Local Authorization List: a version and the idTags with their `idTagInfo`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LocalList {
    version: i64,
    entries: BTreeMap<String, (String, IdTagInfo)>,
}

impl LocalList {
    /// The version (0 before the first update).
    pub fn version(&self) -> i64 {
        self.version
    }

    /// How many idTags it holds.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entry of `id_tag` (case-insensitive).
    pub fn get(&self, id_tag: &str) -> Option<&IdTagInfo> {
        self.entries.get(&normalise(id_tag)).map(|(_, info)| info)
    }

    /// The idTags (as sent), in order.
    pub fn id_tags(&self) -> Vec<String> {
        self.entries
            .values()
            .map(|(id_tag, _)| id_tag.clone())
            .collect()
    }

    /// Applies a SendLocalList under the station's limits; see the module documentation for the rules. The
    /// list is unchanged unless the answer is `Accepted`.
    pub fn apply(
        &mut self,
        request: &SendLocalListRequest,
        list_max: usize,
        message_max: usize,
    ) -> UpdateStatus {
        let entries = request.entries();
        if entries.len() > message_max {
            return UpdateStatus::Failed;
        }
        let mut next = match request.update_type {
            UpdateType::Full => BTreeMap::new(),
            UpdateType::Differential => {
                if request.list_version <= self.version {
                    return UpdateStatus::VersionMismatch;
                }
                self.entries.clone()
            }
        };
        for AuthorizationData {
            id_tag,
            id_tag_info,
        } in entries
        {
            match id_tag_info {
                Some(info) => {
                    next.insert(normalise(id_tag), (id_tag.clone(), info.clone()));
                }
                None => {
                    next.remove(&normalise(id_tag));
                }
            }
        }
        if next.len() > list_max {
            return UpdateStatus::Failed;
        }
        self.entries = next;
        self.version = request.list_version;
        UpdateStatus::Accepted
    }
}

/// The authorization cache: the latest `idTagInfo` the central system gave for each idTag.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuthorizationCache {
    entries: BTreeMap<String, IdTagInfo>,
}

impl AuthorizationCache {
    /// Keeps `info` for `id_tag`, replacing what was there.
    pub fn store(&mut self, id_tag: &str, info: &IdTagInfo) {
        self.entries.insert(normalise(id_tag), info.clone());
    }

    /// The cached verdict on `id_tag`.
    pub fn get(&self, id_tag: &str) -> Option<&IdTagInfo> {
        self.entries.get(&normalise(id_tag))
    }

    /// How many idTags it holds.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Forgets everything (ClearCache).
    pub fn clear(&mut self) {
        self.entries.clear();
    }
}

/// Where an offline decision came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecisionSource {
    /// The Local Authorization List.
    LocalList,
    /// The authorization cache.
    Cache,
    /// Neither knows the idTag (`AllowOfflineTxForUnknownId` decides).
    Unknown,
}

impl fmt::Display for DecisionSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DecisionSource::LocalList => "local list",
            DecisionSource::Cache => "cache",
            DecisionSource::Unknown => "unknown",
        })
    }
}

/// The station's own decision on an idTag, without the central system.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OfflineDecision {
    /// May it charge?
    pub status: AuthorizationStatus,
    /// What decided.
    pub source: DecisionSource,
}

/// What changed when a transaction ended ([`Station::end_transaction`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransactionEnd {
    /// The connector it ran on.
    pub connector: i64,
    /// The connector's new idle status, when a scheduled availability change took effect.
    pub connector_status: Option<ChargePointStatus>,
    /// Connector 0's new status, when a scheduled change of the whole station took effect.
    pub station_status: Option<ChargePointStatus>,
}

/// A transaction running on a connector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunningTransaction {
    /// The central system's transaction id.
    pub transaction_id: i64,
    /// Who started it.
    pub id_tag: String,
    /// The register reading at the start, in Wh.
    pub meter_start: i64,
}

/// One connector's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connector {
    /// Operative or inoperative.
    pub availability: AvailabilityType,
    /// An availability change waiting for the transaction to end.
    pub scheduled: Option<AvailabilityType>,
    /// The running transaction.
    pub transaction: Option<RunningTransaction>,
    /// A remote start was accepted and its StartTransaction is not yet sent.
    pub starting: bool,
}

impl Connector {
    fn new() -> Self {
        Self {
            availability: AvailabilityType::Operative,
            scheduled: None,
            transaction: None,
            starting: false,
        }
    }

    fn is_free(&self) -> bool {
        self.availability == AvailabilityType::Operative
            && self.transaction.is_none()
            && !self.starting
    }

    /// The status it reports when idle.
    pub fn idle_status(&self) -> ChargePointStatus {
        match self.availability {
            AvailabilityType::Operative => ChargePointStatus::Available,
            AvailabilityType::Inoperative => ChargePointStatus::Unavailable,
        }
    }
}

/// What the station does after answering a command (the [`crate::client::ChargePoint`] sends it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FollowUp {
    /// Run a remotely started session on this connector for this idTag.
    StartTransaction {
        /// The connector.
        connector: i64,
        /// Who it is for.
        id_tag: String,
    },
    /// Stop the transaction on this connector.
    StopTransaction {
        /// The connector.
        connector: i64,
        /// Why (Remote, UnlockCommand).
        reason: Reason,
    },
    /// Report a connector's (0: the station's) status.
    Status {
        /// The connector.
        connector: i64,
        /// The status.
        status: ChargePointStatus,
    },
    /// Send the message a TriggerMessage asked for.
    Trigger {
        /// The message.
        message: MessageTrigger,
        /// The connector it is about.
        connector: Option<i64>,
    },
    /// Stop every transaction, close the connection, reconnect and boot again.
    Reset(ResetType),
}

/// How the station answers one command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// A CALLRESULT.
    Reply(CommandResponse),
    /// A CALLERROR.
    Refuse(PayloadError),
    /// Nothing ([`CommandBehaviour::Silent`]).
    Silent,
}

/// A command handled: the answer, then what follows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handled {
    /// The answer.
    pub answer: Answer,
    /// What the station does after answering, in order.
    pub follow_ups: Vec<FollowUp>,
}

impl Handled {
    fn reply(response: impl Into<CommandResponse>) -> Self {
        Self {
            answer: Answer::Reply(response.into()),
            follow_ups: Vec::new(),
        }
    }

    fn then(mut self, follow_up: FollowUp) -> Self {
        self.follow_ups.push(follow_up);
        self
    }
}

/// Everything a simulated station keeps (see the module documentation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Station {
    setup: StationSetup,
    configuration: Configuration,
    local_list: LocalList,
    cache: AuthorizationCache,
    connectors: Vec<Connector>,
    /// The charge point's own availability (ChangeAvailability on connector 0).
    availability: AvailabilityType,
    scheduled: Option<AvailabilityType>,
    meter_wh: i64,
}

impl Default for Station {
    fn default() -> Self {
        Self::new(StationSetup::default())
    }
}

impl Station {
    /// A station as `setup` says, with default keys, empty lists and free connectors.
    pub fn new(setup: StationSetup) -> Self {
        let connectors = (0..setup.connectors.max(1))
            .map(|_| Connector::new())
            .collect();
        Self {
            configuration: Configuration::new(&setup),
            setup,
            local_list: LocalList::default(),
            cache: AuthorizationCache::default(),
            connectors,
            availability: AvailabilityType::Operative,
            scheduled: None,
            meter_wh: 0,
        }
    }

    /// What it is built as.
    pub fn setup(&self) -> &StationSetup {
        &self.setup
    }

    /// Changes how commands are answered from now on.
    pub fn set_behaviour(&mut self, behaviour: CommandBehaviour) {
        self.setup.behaviour = behaviour;
    }

    /// Changes the delay before each answer from now on.
    pub fn set_answer_delay(&mut self, delay: Duration) {
        self.setup.answer_delay = delay;
    }

    /// The configuration keys.
    pub fn configuration(&self) -> &Configuration {
        &self.configuration
    }

    /// The configuration keys, to change.
    pub fn configuration_mut(&mut self) -> &mut Configuration {
        &mut self.configuration
    }

    /// The Local Authorization List.
    pub fn local_list(&self) -> &LocalList {
        &self.local_list
    }

    /// The authorization cache.
    pub fn cache(&self) -> &AuthorizationCache {
        &self.cache
    }

    /// The number of connectors.
    pub fn connector_count(&self) -> i64 {
        self.connectors.len() as i64
    }

    /// Connector `connector` (1-based), if the station has it.
    pub fn connector(&self, connector: i64) -> Option<&Connector> {
        let index = usize::try_from(connector.checked_sub(1)?).ok()?;
        self.connectors.get(index)
    }

    fn connector_mut(&mut self, connector: i64) -> Option<&mut Connector> {
        let index = usize::try_from(connector.checked_sub(1)?).ok()?;
        self.connectors.get_mut(index)
    }

    /// The connector numbers, 1..=n.
    pub fn connector_ids(&self) -> std::ops::RangeInclusive<i64> {
        1..=self.connector_count()
    }

    /// The meter register, in Wh.
    pub fn meter_wh(&self) -> i64 {
        self.meter_wh
    }

    /// Sets the meter register, in Wh.
    pub fn set_meter_wh(&mut self, wh: i64) {
        self.meter_wh = wh;
    }

    /// The heartbeat interval (`HeartbeatInterval`, at least 1 s).
    pub fn heartbeat_interval(&self) -> Duration {
        let seconds = self
            .configuration
            .integer("HeartbeatInterval")
            .unwrap_or(300);
        Duration::from_secs(u64::try_from(seconds).unwrap_or(1).max(1))
    }

    /// Keeps the central system's verdict on `id_tag` in the cache (while `AuthorizationCacheEnabled`).
    pub fn remember(&mut self, id_tag: &str, info: &IdTagInfo) {
        if self.configuration.flag("AuthorizationCacheEnabled") {
            self.cache.store(id_tag, info);
        }
    }

    /// The station's own decision on `id_tag` at `now_millis` (Unix milliseconds), without the central
    /// system: see the module documentation.
    pub fn authorize_offline(&self, id_tag: &str, now_millis: i64) -> OfflineDecision {
        let list_enabled = self.setup.local_list == LocalListSupport::Supported
            && self.configuration.flag("LocalAuthListEnabled");
        if list_enabled {
            if let Some(info) = self.local_list.get(id_tag) {
                return OfflineDecision {
                    status: effective_status(info, now_millis),
                    source: DecisionSource::LocalList,
                };
            }
        }
        if self.configuration.flag("AuthorizationCacheEnabled") {
            if let Some(info) = self.cache.get(id_tag) {
                return OfflineDecision {
                    status: effective_status(info, now_millis),
                    source: DecisionSource::Cache,
                };
            }
        }
        OfflineDecision {
            status: if self.configuration.flag("AllowOfflineTxForUnknownId") {
                AuthorizationStatus::Accepted
            } else {
                AuthorizationStatus::Invalid
            },
            source: DecisionSource::Unknown,
        }
    }

    /// A transaction started on `connector` (StartTransaction answered).
    pub fn begin_transaction(&mut self, connector: i64, transaction: RunningTransaction) {
        if let Some(state) = self.connector_mut(connector) {
            state.transaction = Some(transaction);
            state.starting = false;
        }
    }

    /// A remote start's StartTransaction was not sent or not accepted: the connector is free again (and
    /// takes an availability change scheduled meanwhile; a caller reports [`Station::idle_status`]).
    pub fn abandon_start(&mut self, connector: i64) {
        if let Some(state) = self.connector_mut(connector) {
            state.starting = false;
            if state.transaction.is_none() {
                if let Some(availability) = state.scheduled.take() {
                    state.availability = availability;
                }
            }
        }
        self.apply_scheduled_station_availability();
    }

    /// The transaction `transaction_id` stopped: its connector is free, and availability changes scheduled
    /// for the end of the transaction take effect. `None` when no connector runs it.
    pub fn end_transaction(&mut self, transaction_id: i64) -> Option<TransactionEnd> {
        let connector = self.connector_of(transaction_id)?;
        let state = self.connector_mut(connector)?;
        state.transaction = None;
        let connector_status = state.scheduled.take().map(|availability| {
            state.availability = availability;
            state.idle_status()
        });
        Some(TransactionEnd {
            connector,
            connector_status,
            station_status: self.apply_scheduled_station_availability(),
        })
    }

    /// Applies a scheduled change of the station's own availability once no connector is busy; the status
    /// connector 0 reports then.
    fn apply_scheduled_station_availability(&mut self) -> Option<ChargePointStatus> {
        let busy = self
            .connectors
            .iter()
            .any(|state| state.transaction.is_some() || state.starting);
        if busy {
            return None;
        }
        let availability = self.scheduled.take()?;
        self.availability = availability;
        Some(self.station_status())
    }

    /// What connector 0 (the charge point as a whole) reports: Available, or Unavailable when taken out of
    /// service with ChangeAvailability on connector 0.
    pub fn station_status(&self) -> ChargePointStatus {
        match self.availability {
            AvailabilityType::Operative => ChargePointStatus::Available,
            AvailabilityType::Inoperative => ChargePointStatus::Unavailable,
        }
    }

    /// The status `connector` reports when idle (connector 0: [`Station::station_status`]; a connector the
    /// station does not have: Available).
    pub fn idle_status(&self, connector: i64) -> ChargePointStatus {
        if connector == 0 {
            return self.station_status();
        }
        self.connector(connector)
            .map_or(ChargePointStatus::Available, Connector::idle_status)
    }

    /// The connector the transaction runs on.
    pub fn connector_of(&self, transaction_id: i64) -> Option<i64> {
        self.connector_ids().find(|&connector| {
            self.connector(connector)
                .and_then(|state| state.transaction.as_ref())
                .is_some_and(|transaction| transaction.transaction_id == transaction_id)
        })
    }

    /// The transaction running on `connector`.
    pub fn transaction_on(&self, connector: i64) -> Option<&RunningTransaction> {
        self.connector(connector)?.transaction.as_ref()
    }

    /// How the station answers `command` now, and what it does after answering. The state changes at once
    /// (a second RemoteStartTransaction for the same connector is rejected even before the first one's
    /// StartTransaction is sent).
    pub fn handle(&mut self, command: &Command) -> Handled {
        match self.setup.behaviour {
            CommandBehaviour::Silent => Handled {
                answer: Answer::Silent,
                follow_ups: Vec::new(),
            },
            CommandBehaviour::NotSupported => Handled {
                answer: Answer::Refuse(PayloadError::new(
                    ErrorCode::NotSupported,
                    format!("{} is not supported by this station", command.action()),
                )),
                follow_ups: Vec::new(),
            },
            CommandBehaviour::Reject => self.reject(command),
            CommandBehaviour::Accept => self.accept(command),
        }
    }

    fn reject(&mut self, command: &Command) -> Handled {
        match command {
            Command::RemoteStartTransaction(_) => Handled::reply(RemoteStartTransactionResponse {
                status: RemoteStartStopStatus::Rejected,
            }),
            Command::RemoteStopTransaction(_) => Handled::reply(RemoteStopTransactionResponse {
                status: RemoteStartStopStatus::Rejected,
            }),
            Command::UnlockConnector(_) => Handled::reply(UnlockConnectorResponse {
                status: UnlockStatus::UnlockFailed,
            }),
            Command::Reset(_) => Handled::reply(ResetResponse {
                status: ResetStatus::Rejected,
            }),
            Command::ChangeAvailability(_) => Handled::reply(ChangeAvailabilityResponse {
                status: AvailabilityStatus::Rejected,
            }),
            Command::ChangeConfiguration(_) => Handled::reply(ChangeConfigurationResponse {
                status: ConfigurationStatus::Rejected,
            }),
            Command::ClearCache(_) => Handled::reply(ClearCacheResponse {
                status: ClearCacheStatus::Rejected,
            }),
            Command::TriggerMessage(_) => Handled::reply(TriggerMessageResponse {
                status: TriggerMessageStatus::Rejected,
            }),
            Command::SendLocalList(_) if self.setup.local_list == LocalListSupport::Supported => {
                Handled::reply(SendLocalListResponse {
                    status: UpdateStatus::Failed,
                })
            }
            Command::DataTransfer(_) => Handled::reply(DataTransferResponse {
                status: DataTransferStatus::Rejected,
                data: None,
            }),
            // Reading is not a change (and a station without a list says so either way).
            Command::GetConfiguration(_)
            | Command::GetLocalListVersion(_)
            | Command::SendLocalList(_) => self.accept(command),
        }
    }

    fn accept(&mut self, command: &Command) -> Handled {
        match command {
            Command::RemoteStartTransaction(request) => {
                let connector = match request.connector_id {
                    Some(connector) => Some(connector),
                    None => self
                        .connector_ids()
                        .find(|&c| self.connector(c).is_some_and(Connector::is_free)),
                };
                let free = connector
                    .and_then(|c| self.connector_mut(c))
                    .filter(|s| s.is_free());
                match (connector, free) {
                    (Some(connector), Some(state)) => {
                        state.starting = true;
                        Handled::reply(RemoteStartTransactionResponse {
                            status: RemoteStartStopStatus::Accepted,
                        })
                        .then(FollowUp::StartTransaction {
                            connector,
                            id_tag: request.id_tag.clone(),
                        })
                    }
                    _ => Handled::reply(RemoteStartTransactionResponse {
                        status: RemoteStartStopStatus::Rejected,
                    }),
                }
            }
            Command::RemoteStopTransaction(request) => {
                match self.connector_of(request.transaction_id) {
                    Some(connector) => Handled::reply(RemoteStopTransactionResponse {
                        status: RemoteStartStopStatus::Accepted,
                    })
                    .then(FollowUp::StopTransaction {
                        connector,
                        reason: Reason::Remote,
                    }),
                    None => Handled::reply(RemoteStopTransactionResponse {
                        status: RemoteStartStopStatus::Rejected,
                    }),
                }
            }
            Command::UnlockConnector(request) => match self.connector(request.connector_id) {
                None => Handled::reply(UnlockConnectorResponse {
                    status: UnlockStatus::NotSupported,
                }),
                Some(state) => {
                    let running = state.transaction.is_some();
                    let handled = Handled::reply(UnlockConnectorResponse {
                        status: UnlockStatus::Unlocked,
                    });
                    if running {
                        handled.then(FollowUp::StopTransaction {
                            connector: request.connector_id,
                            reason: Reason::UnlockCommand,
                        })
                    } else {
                        handled
                    }
                }
            },
            Command::Reset(request) => Handled::reply(ResetResponse {
                status: ResetStatus::Accepted,
            })
            .then(FollowUp::Reset(request.reset_type)),
            Command::ChangeAvailability(request) => {
                self.change_availability(request.connector_id, request.availability_type)
            }
            Command::GetConfiguration(request) => {
                let asked = request.key.as_deref().unwrap_or(&[]);
                let response = if asked.is_empty() {
                    GetConfigurationResponse {
                        configuration_key: Some(self.configuration.key_values()),
                        unknown_key: None,
                    }
                } else {
                    let mut known = Vec::new();
                    let mut unknown = Vec::new();
                    for key in asked {
                        match self.configuration.entry(key) {
                            Some(entry) => known.push(key_value(entry)),
                            None => unknown.push(key.clone()),
                        }
                    }
                    GetConfigurationResponse {
                        configuration_key: (!known.is_empty()).then_some(known),
                        unknown_key: (!unknown.is_empty()).then_some(unknown),
                    }
                };
                Handled::reply(response)
            }
            Command::ChangeConfiguration(request) => {
                let status = self.configuration.change(&request.key, &request.value);
                if status == ConfigurationStatus::Accepted
                    && request
                        .key
                        .eq_ignore_ascii_case("AuthorizationCacheEnabled")
                    && !self.configuration.flag("AuthorizationCacheEnabled")
                {
                    self.cache.clear();
                }
                Handled::reply(ChangeConfigurationResponse { status })
            }
            Command::ClearCache(_) => {
                self.cache.clear();
                Handled::reply(ClearCacheResponse {
                    status: ClearCacheStatus::Accepted,
                })
            }
            Command::TriggerMessage(request) => {
                if let Some(connector) = request.connector_id {
                    if self.connector(connector).is_none() {
                        return Handled::reply(TriggerMessageResponse {
                            status: TriggerMessageStatus::Rejected,
                        });
                    }
                }
                Handled::reply(TriggerMessageResponse {
                    status: TriggerMessageStatus::Accepted,
                })
                .then(FollowUp::Trigger {
                    message: request.requested_message,
                    connector: request.connector_id,
                })
            }
            Command::GetLocalListVersion(_) => Handled::reply(GetLocalListVersionResponse {
                list_version: match self.setup.local_list {
                    LocalListSupport::Supported => self.local_list.version(),
                    LocalListSupport::Unsupported => GetLocalListVersionResponse::NOT_SUPPORTED,
                },
            }),
            Command::SendLocalList(request) => {
                let status = match self.setup.local_list {
                    LocalListSupport::Unsupported => UpdateStatus::NotSupported,
                    LocalListSupport::Supported => self.local_list.apply(
                        request,
                        self.setup.local_list_max,
                        self.setup.send_local_list_max,
                    ),
                };
                Handled::reply(SendLocalListResponse { status })
            }
            Command::DataTransfer(request) => Handled::reply(DataTransferResponse {
                status: if request.vendor_id == crate::client::VENDOR {
                    DataTransferStatus::Accepted
                } else {
                    DataTransferStatus::UnknownVendorId
                },
                data: None,
            }),
        }
    }

    fn change_availability(&mut self, connector: i64, availability: AvailabilityType) -> Handled {
        let targets: Vec<i64> = if connector == 0 {
            self.connector_ids().collect()
        } else if self.connector(connector).is_some() {
            vec![connector]
        } else {
            return Handled::reply(ChangeAvailabilityResponse {
                status: AvailabilityStatus::Rejected,
            });
        };
        let mut scheduled = false;
        let mut follow_ups = Vec::new();
        for target in targets {
            let Some(state) = self.connector_mut(target) else {
                continue;
            };
            if state.transaction.is_some() || state.starting {
                if state.availability != availability {
                    state.scheduled = Some(availability);
                    scheduled = true;
                }
                continue;
            }
            state.scheduled = None;
            if state.availability != availability {
                state.availability = availability;
                follow_ups.push(FollowUp::Status {
                    connector: target,
                    status: state.idle_status(),
                });
            }
        }
        if connector == 0 {
            // The charge point itself: now, or with the last of the connectors it waits for.
            if scheduled {
                self.scheduled = (self.availability != availability).then_some(availability);
            } else {
                self.scheduled = None;
                if self.availability != availability {
                    self.availability = availability;
                    follow_ups.insert(
                        0,
                        FollowUp::Status {
                            connector: 0,
                            status: self.station_status(),
                        },
                    );
                }
            }
        }
        Handled {
            answer: Answer::Reply(
                ChangeAvailabilityResponse {
                    status: if scheduled {
                        AvailabilityStatus::Scheduled
                    } else {
                        AvailabilityStatus::Accepted
                    },
                }
                .into(),
            ),
            follow_ups,
        }
    }

    /// A one-line summary of the lists: `local list version 3 (12 idTags), cache 2 idTags`.
    pub fn summary(&self) -> String {
        let list = match self.setup.local_list {
            LocalListSupport::Supported => format!(
                "local list version {} ({} idTags)",
                self.local_list.version(),
                self.local_list.len()
            ),
            LocalListSupport::Unsupported => "no local list".to_owned(),
        };
        format!("{list}, cache {} idTags", self.cache.len())
    }
}

/// The status an entry gives at `now_millis`: an `Accepted` whose `expiryDate` has passed is `Expired`.
fn effective_status(info: &IdTagInfo, now_millis: i64) -> AuthorizationStatus {
    let expired = info
        .expiry_date
        .as_deref()
        .and_then(|expiry| DateTime::parse(expiry).ok())
        .is_some_and(|expiry| expiry.unix_millis() <= now_millis);
    match info.status {
        AuthorizationStatus::Accepted if expired => AuthorizationStatus::Expired,
        status => status,
    }
}

#[cfg(test)]
mod tests;
