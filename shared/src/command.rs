//! Commands to charging stations — the central system's OCPP 1.6 CALLs — as administrators ask for them and
//! as their history reads.
//!
//! A command is stored before it is sent ([`CommandRequest`]), waits in the station's queue while another one
//! is outstanding (OCPP-J allows one CALL at a time per connection), and ends in one [`CommandState`]: answered,
//! failed (a CALLERROR), no answer in time, expired or refused. What happens to a command for a station that is
//! offline follows from its nature ([`OfflinePolicy`]): an operator who unlocks a cable or resets a station
//! means *now*, so those are refused at once; a configuration change or clearing the authorization cache still
//! matters when the station comes back, so those wait (until [`QUEUED_COMMAND_HOURS`] have passed).
//!
//! The OCPP JSON of each command is written by `server/ocpp`; this module only knows what was asked for.

use crate::ids::TransactionId;
use crate::local_list::ListMessage;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};
use std::fmt;
use thiserror::Error;

/// How long a command that waits for an offline station stays in its queue before it expires.
pub const QUEUED_COMMAND_HOURS: i64 = 24;
/// How long a command that is not kept for an offline station may wait behind others while its station is
/// connected; if the connection ends first, it expires instead of being replayed later.
pub const IMMEDIATE_COMMAND_SECS: i64 = 120;
/// The longest configuration key (OCPP 1.6 `CiString50`).
pub const CONFIG_KEY_MAX_LEN: usize = 50;
/// The longest configuration value (OCPP 1.6 `CiString500`).
pub const CONFIG_VALUE_MAX_LEN: usize = 500;
/// The highest connector number a command may name (the central system's limit of connectors per station).
pub const MAX_CONNECTOR: i64 = 64;
/// The longest idTag a station accepts (OCPP 1.6 `IdToken`, `CiString20`).
pub const ID_TAG_MAX_LEN: usize = 20;

/// A station's connector as a command names it: 1 or higher, or 0 for the whole station where the command
/// allows it (Change availability).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "i64")]
pub struct Connector(i64);

/// Why a command's input was refused; the text is shown next to the field.
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize, Deserialize)]
pub enum CommandInputError {
    /// The connector is not a number in range.
    #[error("Choose a connector from {min} to {max}.")]
    Connector {
        /// The lowest connector allowed here.
        min: i64,
        /// The highest.
        max: i64,
    },
    /// The configuration key is empty.
    #[error("Enter the configuration key.")]
    KeyEmpty,
    /// The configuration key is too long.
    #[error("A configuration key has at most {CONFIG_KEY_MAX_LEN} characters.")]
    KeyTooLong,
    /// The configuration value is too long.
    #[error("A configuration value has at most {CONFIG_VALUE_MAX_LEN} characters.")]
    ValueTooLong,
    /// A key or value with a character a station cannot take.
    #[error("Use printable ASCII characters only (found {0}).")]
    NotPrintableAscii(String),
    /// The pass's ID does not fit into an OCPP idTag.
    #[error(
        "This pass's ID has more than {ID_TAG_MAX_LEN} characters, so a station cannot be sent it."
    )]
    IdTagTooLong,
}

impl Connector {
    /// A connector from 1 to [`MAX_CONNECTOR`] (what Remote start, Unlock connector and Trigger message take).
    pub fn parse(input: &str) -> Result<Self, CommandInputError> {
        Self::parse_from(input, 1)
    }

    /// A connector from 0 (the whole station) to [`MAX_CONNECTOR`] (Change availability).
    pub fn parse_or_station(input: &str) -> Result<Self, CommandInputError> {
        Self::parse_from(input, 0)
    }

    fn parse_from(input: &str, min: i64) -> Result<Self, CommandInputError> {
        let error = CommandInputError::Connector {
            min,
            max: MAX_CONNECTOR,
        };
        let n: i64 = input.trim().parse().map_err(|_| error.clone())?;
        if (min..=MAX_CONNECTOR).contains(&n) {
            Ok(Self(n))
        } else {
            Err(error)
        }
    }

    /// The number.
    pub fn get(self) -> i64 {
        self.0
    }
}

impl TryFrom<i64> for Connector {
    type Error = CommandInputError;
    fn try_from(n: i64) -> Result<Self, Self::Error> {
        Self::parse_or_station(&n.to_string())
    }
}

impl From<Connector> for i64 {
    fn from(c: Connector) -> i64 {
        c.0
    }
}

/// Checks that `text` is printable ASCII (what OCPP's CiString types hold).
fn printable_ascii(text: &str) -> Result<(), CommandInputError> {
    match text.chars().find(|c| !(' '..='~').contains(c)) {
        None => Ok(()),
        Some(c) if c.is_control() => Err(CommandInputError::NotPrintableAscii(format!(
            "the invisible character U+{:04X}",
            c as u32
        ))),
        Some(c) => Err(CommandInputError::NotPrintableAscii(format!("\"{c}\""))),
    }
}

/// A station configuration key (OCPP 1.6 `CiString50`): 1 to 50 printable ASCII characters, trimmed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ConfigKey(String);

impl ConfigKey {
    /// Checks a key as typed.
    pub fn parse(input: &str) -> Result<Self, CommandInputError> {
        let key = input.trim();
        if key.is_empty() {
            return Err(CommandInputError::KeyEmpty);
        }
        if key.chars().count() > CONFIG_KEY_MAX_LEN {
            return Err(CommandInputError::KeyTooLong);
        }
        printable_ascii(key)?;
        Ok(Self(key.to_owned()))
    }

    /// The key.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for ConfigKey {
    type Error = CommandInputError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<ConfigKey> for String {
    fn from(k: ConfigKey) -> String {
        k.0
    }
}

/// A configuration value (OCPP 1.6 `CiString500`): up to 500 printable ASCII characters, kept exactly as typed
/// (a station may care about spaces), possibly empty.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ConfigValue(String);

impl ConfigValue {
    /// Checks a value as typed.
    pub fn parse(input: &str) -> Result<Self, CommandInputError> {
        if input.chars().count() > CONFIG_VALUE_MAX_LEN {
            return Err(CommandInputError::ValueTooLong);
        }
        printable_ascii(input)?;
        Ok(Self(input.to_owned()))
    }

    /// The value.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for ConfigValue {
    type Error = CommandInputError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<ConfigValue> for String {
    fn from(v: ConfigValue) -> String {
        v.0
    }
}

/// Reset: a soft reset ends transactions and restarts the software; a hard one reboots the station.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResetKind {
    /// Restart the software.
    Soft,
    /// Reboot the hardware.
    Hard,
}

/// Change availability: whether the station (connector 0) or a connector may be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Availability {
    /// Available for charging.
    Operative,
    /// Out of service.
    Inoperative,
}

/// What Trigger message asks the station to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TriggerKind {
    /// A BootNotification.
    BootNotification,
    /// A Heartbeat.
    Heartbeat,
    /// A StatusNotification (of a connector, or of every one).
    StatusNotification,
    /// MeterValues.
    MeterValues,
    /// A DiagnosticsStatusNotification.
    DiagnosticsStatusNotification,
    /// A FirmwareStatusNotification.
    FirmwareStatusNotification,
}

impl TriggerKind {
    /// Every kind, in the order the menu lists them.
    pub const ALL: [TriggerKind; 6] = [
        Self::StatusNotification,
        Self::Heartbeat,
        Self::BootNotification,
        Self::MeterValues,
        Self::DiagnosticsStatusNotification,
        Self::FirmwareStatusNotification,
    ];

    /// The OCPP message name (also the menu's wording).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::BootNotification => "BootNotification",
            Self::Heartbeat => "Heartbeat",
            Self::StatusNotification => "StatusNotification",
            Self::MeterValues => "MeterValues",
            Self::DiagnosticsStatusNotification => "DiagnosticsStatusNotification",
            Self::FirmwareStatusNotification => "FirmwareStatusNotification",
        }
    }

    /// The kind named `s` ([`TriggerKind::as_str`]).
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// What an administrator asks a station to do, as the browser sends it. The server turns it into a
/// [`CommandRequest`] (resolving the pass of a remote start within the caller's organizations).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum StationAction {
    /// Remote start: a transaction with one of the organization's passes, on a connector or wherever the
    /// station chooses.
    RemoteStart {
        /// The pass to charge with, by its Public Card ID or Hidden ID as typed.
        card: String,
        /// The connector; `None` lets the station choose.
        connector: Option<Connector>,
    },
    /// Remote stop of an active transaction.
    RemoteStop {
        /// The transaction.
        transaction: TransactionId,
    },
    /// Unlock a connector (a stuck cable).
    UnlockConnector {
        /// The connector.
        connector: Connector,
    },
    /// Reset the station.
    Reset {
        /// Soft or hard.
        kind: ResetKind,
    },
    /// Make the station or a connector operative or inoperative.
    ChangeAvailability {
        /// 0 = the whole station.
        connector: Connector,
        /// Operative or inoperative.
        availability: Availability,
    },
    /// Empty the station's authorization cache.
    ClearCache,
    /// Ask the station to send a message now.
    TriggerMessage {
        /// Which message.
        message: TriggerKind,
        /// The connector it concerns, if any.
        connector: Option<Connector>,
    },
    /// Read the station's configuration keys.
    GetConfiguration,
    /// Change one configuration key.
    ChangeConfiguration {
        /// The key.
        key: ConfigKey,
        /// Its new value.
        value: ConfigValue,
    },
}

/// A command as stored and sent: everything the station will be told, resolved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum CommandRequest {
    /// RemoteStartTransaction.
    RemoteStart {
        /// The idTag to start with (a pass's ID).
        id_tag: String,
        /// The connector, if chosen.
        connector: Option<Connector>,
    },
    /// RemoteStopTransaction.
    RemoteStop {
        /// The transaction.
        transaction: TransactionId,
    },
    /// UnlockConnector.
    UnlockConnector {
        /// The connector.
        connector: Connector,
    },
    /// Reset.
    Reset {
        /// Soft or hard.
        kind: ResetKind,
    },
    /// ChangeAvailability.
    ChangeAvailability {
        /// 0 = the whole station.
        connector: Connector,
        /// Operative or inoperative.
        availability: Availability,
    },
    /// ClearCache.
    ClearCache,
    /// TriggerMessage.
    TriggerMessage {
        /// Which message.
        message: TriggerKind,
        /// The connector, if any.
        connector: Option<Connector>,
    },
    /// GetConfiguration; no keys = all of them.
    GetConfiguration {
        /// The keys asked for.
        keys: Vec<ConfigKey>,
    },
    /// ChangeConfiguration.
    ChangeConfiguration {
        /// The key.
        key: ConfigKey,
        /// Its new value.
        value: ConfigValue,
    },
    /// GetLocalListVersion.
    GetLocalListVersion,
    /// SendLocalList: one message of the Local Authorization List sync ([`crate::local_list`]).
    SendLocalList(ListMessage),
}

/// What happens to a command for a station that is not connected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OfflinePolicy {
    /// Refused at once ("station offline"): it means now or never (Reset, Unlock connector, Remote start …).
    Refuse,
    /// Kept until the station connects, for at most [`QUEUED_COMMAND_HOURS`].
    Wait,
}

impl CommandRequest {
    /// The OCPP action name of the CALL.
    pub fn action(&self) -> &'static str {
        match self {
            Self::RemoteStart { .. } => "RemoteStartTransaction",
            Self::RemoteStop { .. } => "RemoteStopTransaction",
            Self::UnlockConnector { .. } => "UnlockConnector",
            Self::Reset { .. } => "Reset",
            Self::ChangeAvailability { .. } => "ChangeAvailability",
            Self::ClearCache => "ClearCache",
            Self::TriggerMessage { .. } => "TriggerMessage",
            Self::GetConfiguration { .. } => "GetConfiguration",
            Self::ChangeConfiguration { .. } => "ChangeConfiguration",
            Self::GetLocalListVersion => "GetLocalListVersion",
            Self::SendLocalList(_) => "SendLocalList",
        }
    }

    /// Whether the command waits for an offline station or is refused.
    pub fn offline_policy(&self) -> OfflinePolicy {
        match self {
            Self::ChangeAvailability { .. }
            | Self::ClearCache
            | Self::ChangeConfiguration { .. }
            | Self::GetLocalListVersion
            | Self::SendLocalList(_) => OfflinePolicy::Wait,
            Self::RemoteStart { .. }
            | Self::RemoteStop { .. }
            | Self::UnlockConnector { .. }
            | Self::Reset { .. }
            | Self::TriggerMessage { .. }
            | Self::GetConfiguration { .. } => OfflinePolicy::Refuse,
        }
    }

    /// How long the command may wait in the queue, in milliseconds.
    pub fn lifetime_millis(&self) -> i64 {
        match self.offline_policy() {
            OfflinePolicy::Wait => QUEUED_COMMAND_HOURS * 3_600_000,
            OfflinePolicy::Refuse => IMMEDIATE_COMMAND_SECS * 1_000,
        }
    }

    /// What was asked, in words, for the history and the audit log.
    pub fn summary(&self) -> String {
        let on = |c: &Option<Connector>| match c {
            Some(c) => format!(" on connector {}", c.get()),
            None => String::new(),
        };
        match self {
            Self::RemoteStart { id_tag, connector } => {
                format!("Remote start{} with pass {id_tag}", on(connector))
            }
            Self::RemoteStop { transaction } => format!("Remote stop of transaction {transaction}"),
            Self::UnlockConnector { connector } => {
                format!("Unlock connector {}", connector.get())
            }
            Self::Reset { kind } => match kind {
                ResetKind::Soft => "Reset (soft)".into(),
                ResetKind::Hard => "Reset (hard)".into(),
            },
            Self::ChangeAvailability {
                connector,
                availability,
            } => {
                let what = match connector.get() {
                    0 => "the station".to_string(),
                    n => format!("connector {n}"),
                };
                match availability {
                    Availability::Operative => format!("Make {what} operative"),
                    Availability::Inoperative => format!("Make {what} inoperative"),
                }
            }
            Self::ClearCache => "Clear cache".into(),
            Self::TriggerMessage { message, connector } => {
                format!("Trigger {}{}", message.as_str(), on(connector))
            }
            Self::GetConfiguration { keys } if keys.is_empty() => "Read the configuration".into(),
            Self::GetConfiguration { keys } => format!(
                "Read configuration keys {}",
                keys.iter()
                    .map(ConfigKey::as_str)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Self::ChangeConfiguration { key, value } => {
                format!("Set {} to \"{}\"", key.as_str(), value.as_str())
            }
            Self::GetLocalListVersion => "Read the local list version".into(),
            Self::SendLocalList(message) => message.summary(),
        }
    }
}

/// Checks that a pass's ID can be sent as an idTag (Remote start).
pub fn id_tag_for_remote_start(pass_id: &str) -> Result<String, CommandInputError> {
    if pass_id.chars().count() > ID_TAG_MAX_LEN {
        return Err(CommandInputError::IdTagTooLong);
    }
    Ok(pass_id.to_owned())
}

/// Where a command is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CommandState {
    /// Waiting to be sent: its station is offline, or another command is outstanding.
    Queued,
    /// Sent; the station's answer is awaited.
    Sent,
    /// The station answered (the outcome says how, e.g. "Accepted" or "Rejected").
    Answered,
    /// The station answered with a CALLERROR, or with an answer that is not valid OCPP.
    Failed,
    /// No answer within the timeout, or the connection ended before one.
    TimedOut,
    /// Still queued when its time ran out (the station did not connect).
    Expired,
    /// Not sent: the station was offline and the command is not kept for later.
    Refused,
}

impl CommandState {
    /// Every state.
    pub const ALL: [CommandState; 7] = [
        Self::Queued,
        Self::Sent,
        Self::Answered,
        Self::Failed,
        Self::TimedOut,
        Self::Expired,
        Self::Refused,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Sent => "sent",
            Self::Answered => "answered",
            Self::Failed => "failed",
            Self::TimedOut => "timed_out",
            Self::Expired => "expired",
            Self::Refused => "refused",
        }
    }

    /// The state stored as `s`.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Whether nothing will change any more.
    pub fn is_final(self) -> bool {
        !matches!(self, Self::Queued | Self::Sent)
    }
}

/// One command in a station's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StationCommand {
    /// Its id.
    pub id: crate::ids::CommandId,
    /// The OCPP action.
    pub action: String,
    /// What was asked, in words.
    pub summary: String,
    /// Who asked: a person's name, or "ChargeDesk" for what the platform sends by itself.
    pub requested_by: String,
    /// When.
    pub requested_at: Timestamp,
    /// Until when it may wait in the queue.
    pub expires_at: Timestamp,
    /// Where it is.
    pub state: CommandState,
    /// The station's answer in a word or two ("Accepted", "Rejected", "NotSupported", "12 keys"), or why
    /// there is none.
    pub outcome: Option<String>,
    /// More about the answer: a CALLERROR's description.
    pub detail: Option<String>,
    /// When it was sent.
    pub sent_at: Option<Timestamp>,
    /// When it ended.
    pub finished_at: Option<Timestamp>,
    /// Whether the station was connected when this was read (to tell "queued: station offline").
    pub station_online: bool,
}

impl StationCommand {
    /// Where the command is, as the station page shows it: "Accepted", "Rejected", "station offline, queued",
    /// "no answer in 30 s" …
    pub fn status_text(&self) -> String {
        match self.state {
            CommandState::Queued if self.station_online => "waiting to be sent".into(),
            CommandState::Queued => "station offline, queued".into(),
            CommandState::Sent => "sent, waiting for the station's answer".into(),
            CommandState::Answered | CommandState::Failed | CommandState::TimedOut => self
                .outcome
                .clone()
                .unwrap_or_else(|| self.state.as_str().into()),
            CommandState::Expired => "expired: the station did not connect in time".into(),
            CommandState::Refused => "station offline: not sent".into(),
        }
    }
}

/// One key of a station's configuration (GetConfiguration), for the "Configuration" tab.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigurationEntry {
    /// The key.
    pub key: String,
    /// Its value, if the station told it.
    pub value: Option<String>,
    /// Whether the station lets it be changed.
    pub readonly: bool,
}

/// A station's configuration as last read (the answer to the newest answered GetConfiguration).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StationConfiguration {
    /// When it was read.
    pub read_at: Timestamp,
    /// The keys, in the station's order.
    pub entries: Vec<ConfigurationEntry>,
    /// Keys the station said it does not know.
    pub unknown_keys: Vec<String>,
}

/// What an answer carries beyond its status, stored with the command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum CommandResult {
    /// GetConfiguration: the keys (the station's order) and those it did not know.
    Configuration {
        /// The keys.
        entries: Vec<ConfigurationEntry>,
        /// Keys asked for that the station does not know.
        unknown_keys: Vec<String>,
    },
    /// GetLocalListVersion: the version (0 = empty list, −1 = no local list support).
    LocalListVersion {
        /// The version.
        version: i64,
    },
}

impl fmt::Display for CommandState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connectors_are_checked_against_their_range() {
        assert_eq!(Connector::parse(" 2 ").map(Connector::get), Ok(2));
        assert_eq!(Connector::parse("64").map(Connector::get), Ok(64));
        for bad in ["0", "65", "-1", "", "one", "1.5"] {
            assert_eq!(
                Connector::parse(bad),
                Err(CommandInputError::Connector { min: 1, max: 64 }),
                "{bad}"
            );
        }
        assert_eq!(Connector::parse_or_station("0").map(Connector::get), Ok(0));
        assert_eq!(
            Connector::parse_or_station("-1").unwrap_err().to_string(),
            "Choose a connector from 0 to 64."
        );
        // Deserialisation runs the same check: a forged request cannot name connector 1000.
        assert!(serde_json::from_str::<Connector>("1000").is_err());
        assert_eq!(serde_json::from_str::<Connector>("3").unwrap().get(), 3);
    }

    #[test]
    fn configuration_keys_and_values_follow_ocpp_string_rules() {
        assert_eq!(
            ConfigKey::parse("  HeartbeatInterval ").unwrap().as_str(),
            "HeartbeatInterval"
        );
        assert_eq!(ConfigKey::parse(" "), Err(CommandInputError::KeyEmpty));
        assert_eq!(
            ConfigKey::parse(&"K".repeat(51)),
            Err(CommandInputError::KeyTooLong)
        );
        assert!(ConfigKey::parse(&"K".repeat(50)).is_ok());
        assert_eq!(
            ConfigKey::parse("Heartbeat\u{7}").unwrap_err().to_string(),
            "Use printable ASCII characters only (found the invisible character U+0007)."
        );
        assert_eq!(
            ConfigValue::parse("ünïcode").unwrap_err().to_string(),
            "Use printable ASCII characters only (found \"ü\")."
        );
        assert_eq!(ConfigValue::parse(" 300 ").unwrap().as_str(), " 300 ");
        assert_eq!(ConfigValue::parse("").unwrap().as_str(), "");
        assert_eq!(
            ConfigValue::parse(&"v".repeat(501)),
            Err(CommandInputError::ValueTooLong)
        );
        assert!(serde_json::from_str::<ConfigKey>("\"\"").is_err());
    }

    #[test]
    fn immediate_commands_are_refused_offline_and_settings_wait() {
        let reset = CommandRequest::Reset {
            kind: ResetKind::Hard,
        };
        assert_eq!(reset.offline_policy(), OfflinePolicy::Refuse);
        assert_eq!(reset.lifetime_millis(), 120_000);
        let clear = CommandRequest::ClearCache;
        assert_eq!(clear.offline_policy(), OfflinePolicy::Wait);
        assert_eq!(clear.lifetime_millis(), 24 * 3_600_000);
        assert_eq!(reset.summary(), "Reset (hard)");
        assert_eq!(reset.action(), "Reset");
        let availability = CommandRequest::ChangeAvailability {
            connector: Connector::parse_or_station("0").unwrap(),
            availability: Availability::Inoperative,
        };
        assert_eq!(availability.summary(), "Make the station inoperative");
        let start = CommandRequest::RemoteStart {
            id_tag: "04AAAB11CD2345".into(),
            connector: Some(Connector::parse("1").unwrap()),
        };
        assert_eq!(
            start.summary(),
            "Remote start on connector 1 with pass 04AAAB11CD2345"
        );
        // Stored as JSON and read back unchanged.
        let text = serde_json::to_string(&start).unwrap();
        assert_eq!(
            serde_json::from_str::<CommandRequest>(&text).unwrap(),
            start
        );
    }

    #[test]
    fn states_round_trip_and_read_as_the_station_page_says() {
        for state in CommandState::ALL {
            assert_eq!(CommandState::parse(state.as_str()), Some(state));
        }
        let mut command = StationCommand {
            id: crate::ids::CommandId(1),
            action: "Reset".into(),
            summary: "Reset (soft)".into(),
            requested_by: "Eva".into(),
            requested_at: Timestamp(0),
            expires_at: Timestamp(0),
            state: CommandState::Queued,
            outcome: None,
            detail: None,
            sent_at: None,
            finished_at: None,
            station_online: false,
        };
        assert_eq!(command.status_text(), "station offline, queued");
        command.state = CommandState::Answered;
        command.outcome = Some("Accepted".into());
        assert_eq!(command.status_text(), "Accepted");
        assert!(command.state.is_final());
        assert!(!CommandState::Sent.is_final());
        assert_eq!(
            id_tag_for_remote_start("123456789012345678901"),
            Err(CommandInputError::IdTagTooLong)
        );
    }
}
