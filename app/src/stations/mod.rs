//! "Assets": the charging stations of an organization and its sub-organizations, "+ Add Station", and a station's
//! pages: "Overview" (what the station reported, recently tapped unknown cards), "Logs" (its OCPP messages, with
//! the "Filter selection" the help article uses to find a card's Hidden ID) and "Settings" (access mode, OCPP
//! password).
//!
//! A station logs in with a password that the server generates ("+ Add Station", "Generate new password") and
//! shows once; only its hash is stored. Connecting without a password is an explicit choice per station ("Allow
//! unauthenticated connections — only on a closed network"), never the default.
//!
//! The server functions are here; the pages are in [`list`], [`detail`] and [`logs`]. As everywhere, the form
//! checks ([`NewStation::parse`], [`LogQuery::parse`]) run in the browser on every keystroke and again on the
//! server, with the same `shared` rules.

pub mod commands;
pub mod credentials;
pub mod detail;
pub mod list;
pub mod local_list;
pub mod logs;

pub use commands::{StationCommandsTab, StationConfigurationTab};
pub use detail::{StationLogsTab, StationOverviewTab, StationPage, StationSettingsTab};
pub use list::AssetsPage;

use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use shared::ids::StationId;
use shared::model::{OcppLogEntry, StationDetail, StationSummary, UnknownTap};
use shared::period::Day;
use shared::station::{AccessMode, ChargePointId, StationName};
use shared::time::{TimeZoneName, Timestamp};
use shared::OrgId;

/// Form field names, shared by the inputs, the live checks and the server's errors.
pub mod field {
    pub const CHARGE_POINT_ID: &str = "charge_point_id";
    pub const NAME: &str = "name";
    pub const ALLOW_UNAUTHENTICATED: &str = "allow_unauthenticated";
    pub const FROM: &str = "from";
    pub const TO: &str = "to";
}

/// How far back "Recently tapped unknown cards" looks.
pub const UNKNOWN_TAPS_HOURS: i64 = 24;

/// The words of the choice to let a station connect without a password, wherever it is offered.
pub const ALLOW_UNAUTHENTICATED_LABEL: &str =
    "Allow unauthenticated connections — only on a closed network";

/// Why that choice is dangerous, shown next to it.
pub const ALLOW_UNAUTHENTICATED_WARNING: &str = "The station then connects without a password: anyone who can reach the OCPP URL can connect as this station, report its status and have cards authorized. Choose this only for a station that cannot store a password and is reachable only over a network you control.";

/// A valid "+ Add Station" form. The station gets a generated password unless `allow_unauthenticated` is the
/// explicit choice to let it connect without one (OCPP security profile 0).
#[derive(Debug, Clone, PartialEq)]
pub struct NewStation {
    pub charge_point_id: ChargePointId,
    pub name: StationName,
    pub allow_unauthenticated: bool,
}

impl NewStation {
    /// Every field's message at once, keyed by the input's `name`.
    pub fn parse(
        charge_point_id: &str,
        name: &str,
        allow_unauthenticated: bool,
    ) -> Result<NewStation, Vec<(&'static str, String)>> {
        let cp = ChargePointId::parse(charge_point_id);
        let name = StationName::parse(name);
        match (cp, name) {
            (Ok(charge_point_id), Ok(name)) => Ok(NewStation {
                charge_point_id,
                name,
                allow_unauthenticated,
            }),
            (cp, name) => Err([
                (field::CHARGE_POINT_ID, cp.err().map(|e| e.to_string())),
                (field::NAME, name.err().map(|e| e.to_string())),
            ]
            .into_iter()
            .filter_map(|(f, e)| e.map(|e| (f, e)))
            .collect()),
        }
    }
}

/// What "+ Add Station" saved: enough to tell the installer how to configure the station.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddedStation {
    pub id: StationId,
    pub charge_point_id: String,
    /// The generated password, shown this once (only its hash is stored); `None` when the station was added
    /// with unauthenticated connections allowed.
    pub password: Option<String>,
}

/// The path of a station's OCPP endpoint; the station is configured with `ws://<host>` in front of it.
pub fn ocpp_path(charge_point_id: &str) -> String {
    format!("/ocpp/{charge_point_id}")
}

/// `value` percent-encoded for a URL query (everything but ASCII letters, digits and `- _ . ~`), e.g. an idTag
/// in `?hidden_id=`.
pub fn encode_query_value(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The OCPP actions offered by the "Filter selection" on the "Logs" tab: what OCPP 1.6 stations send, then what
/// the central system may send them. Answers (CALLRESULT, CALLERROR) are listed under the action they answer.
pub const LOG_ACTIONS: &[&str] = &[
    "Authorize",
    "BootNotification",
    "Heartbeat",
    "StatusNotification",
    "StartTransaction",
    "StopTransaction",
    "MeterValues",
    "DataTransfer",
    "DiagnosticsStatusNotification",
    "FirmwareStatusNotification",
    "RemoteStartTransaction",
    "RemoteStopTransaction",
    "Reset",
    "ChangeAvailability",
    "ChangeConfiguration",
    "GetConfiguration",
    "TriggerMessage",
    "UnlockConnector",
];

/// The "Logs" tab's filter, checked: the action (`None` = all) and the time range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogQuery {
    pub action: Option<String>,
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
}

impl LogQuery {
    /// `from` and `to` are `datetime-local` values (`2026-11-24T09:05`), read as UTC; empty means open-ended.
    pub fn parse(
        action: &str,
        from: &str,
        to: &str,
    ) -> Result<LogQuery, Vec<(&'static str, String)>> {
        let action = Some(action.trim().to_owned()).filter(|a| !a.is_empty());
        let from = parse_utc_datetime(from);
        let to = parse_utc_datetime(to);
        let mut errors = Vec::new();
        if let Err(e) = &from {
            errors.push((field::FROM, e.clone()));
        }
        if let Err(e) = &to {
            errors.push((field::TO, e.clone()));
        }
        match (from, to) {
            (Ok(Some(f)), Ok(Some(t))) if t <= f => {
                errors.push((
                    field::TO,
                    "The end of the time range must be after its start.".to_owned(),
                ));
                Err(errors)
            }
            (Ok(from), Ok(to)) => Ok(LogQuery { action, from, to }),
            _ => Err(errors),
        }
    }
}

/// A `datetime-local` value (`YYYY-MM-DDTHH:MM`, optionally `:SS`; a space instead of the `T` is accepted too) as
/// a UTC instant. Empty (after trimming) is `Ok(None)`.
pub fn parse_utc_datetime(input: &str) -> Result<Option<Timestamp>, String> {
    let input = input.trim();
    if input.is_empty() {
        return Ok(None);
    }
    let invalid = || {
        format!("Enter a date and time in UTC as YYYY-MM-DD HH:MM, e.g. 2026-11-24 09:05 (not \"{input}\").")
    };
    let (date, time) = input.split_once(['T', ' ']).ok_or_else(invalid)?;
    // Exactly `YYYY-MM-DD` (10 characters), a day the calendar has.
    let day = Day::parse(date)
        .ok()
        .filter(|_| date.len() == 10)
        .ok_or_else(invalid)?;
    let number = |s: &str| -> Result<u8, String> {
        if s.len() == 2 && s.bytes().all(|b| b.is_ascii_digit()) {
            s.parse().map_err(|_| invalid())
        } else {
            Err(invalid())
        }
    };
    let mut t = time.split(':');
    let (hour, minute, second) = match (t.next(), t.next(), t.next(), t.next()) {
        (Some(h), Some(m), None, None) => (number(h)?, number(m)?, 0),
        (Some(h), Some(m), Some(s), None) => (number(h)?, number(m)?, number(s)?),
        _ => return Err(invalid()),
    };
    // `None` for a time of day that does not exist (24:00, 10:60, a leap second).
    day.at(hour, minute, second, &TimeZoneName::utc())
        .map(Some)
        .ok_or_else(invalid)
}

/// The stations of `org` and of its sub-organizations.
#[server(prefix = "/api", endpoint = "list_stations")]
pub async fn list_stations(org: OrgId) -> Result<Vec<StationSummary>, AppError> {
    let org = crate::auth::server::admin_of(org).await?;
    Ok(org.stations().await?)
}

/// "+ Add Station": registers a station in `org` under its charge point ID with a generated password, returned
/// once; with `allow_unauthenticated` (absent = unchecked) it connects without a password instead.
#[server(prefix = "/api", endpoint = "add_station")]
pub async fn add_station(
    org: OrgId,
    charge_point_id: String,
    name: String,
    #[server(default)] allow_unauthenticated: bool,
) -> Result<AddedStation, AppError> {
    let org = crate::auth::server::admin_of(org).await?;
    let new = NewStation::parse(&charge_point_id, &name, allow_unauthenticated)
        .map_err(AppError::first_invalid)?;
    let password = (!new.allow_unauthenticated).then(storage::generate_station_password);
    let id = org
        .add_station(&new.charge_point_id, &new.name, password.as_ref())
        .await
        .map_err(|e| match AppError::from(e) {
            AppError::Conflict { message, .. } => AppError::Conflict {
                field: Some(field::CHARGE_POINT_ID.into()),
                message,
            },
            other => other,
        })?;
    Ok(AddedStation {
        id,
        charge_point_id: new.charge_point_id.into_inner(),
        password: password.map(|p| p.into_inner()),
    })
}

/// One station of `org` or a sub-organization.
#[server(prefix = "/api", endpoint = "get_station")]
pub async fn get_station(org: OrgId, station: StationId) -> Result<StationDetail, AppError> {
    let org = crate::auth::server::admin_of(org).await?;
    Ok(org.station(station).await?)
}

/// The cards presented at the station in the last [`UNKNOWN_TAPS_HOURS`] hours that match no pass.
#[server(prefix = "/api", endpoint = "unknown_taps")]
pub async fn unknown_taps(org: OrgId, station: StationId) -> Result<Vec<UnknownTap>, AppError> {
    let org = crate::auth::server::admin_of(org).await?;
    let since = Timestamp(storage::now().millis() - UNKNOWN_TAPS_HOURS * 3_600_000);
    Ok(org.unknown_taps(station, since).await?)
}

/// A page of the station's OCPP messages, newest first. `action` empty = all; `from`/`to` are `datetime-local`
/// values in UTC; `before_id` = the last entry of the previous page.
#[server(prefix = "/api", endpoint = "station_logs")]
pub async fn station_logs(
    org: OrgId,
    station: StationId,
    action: Option<String>,
    from: Option<String>,
    to: Option<String>,
    before_id: Option<i64>,
) -> Result<Vec<OcppLogEntry>, AppError> {
    let org = crate::auth::server::admin_of(org).await?;
    let query = LogQuery::parse(
        action.as_deref().unwrap_or_default(),
        from.as_deref().unwrap_or_default(),
        to.as_deref().unwrap_or_default(),
    )
    .map_err(AppError::first_invalid)?;
    let filter = shared::model::LogFilter {
        action: query.action,
        from: query.from,
        to: query.to,
        before_id,
        ..shared::model::LogFilter::default()
    };
    Ok(org.station_logs(station, &filter).await?)
}

/// Sets the station's own access mode; `None` lets it inherit its organization's default.
#[server(prefix = "/api", endpoint = "set_station_access_mode")]
pub async fn set_station_access_mode(
    org: OrgId,
    station: StationId,
    mode: Option<AccessMode>,
) -> Result<(), AppError> {
    let org = crate::auth::server::admin_of(org).await?;
    Ok(org.set_station_access_mode(station, mode).await?)
}

/// "Generate new password": a new random password the station must log in with from now on (HTTP Basic, user
/// name = its charge point ID), returned this once. Unauthenticated connections are no longer allowed; the
/// station's open connection is closed.
#[server(prefix = "/api", endpoint = "generate_station_password")]
pub async fn generate_station_password(org: OrgId, station: StationId) -> Result<String, AppError> {
    let org = crate::auth::server::admin_of(org).await?;
    Ok(org.generate_station_password(station).await?.into_inner())
}

/// The "Allow unauthenticated connections" choice. Allowing deletes the station's password; no longer allowing
/// generates a new one, returned this once (`Some`), so that a station is never left with neither. The
/// station's open connection is closed when anything changed.
#[server(prefix = "/api", endpoint = "set_station_unauthenticated")]
pub async fn set_station_unauthenticated(
    org: OrgId,
    station: StationId,
    allowed: bool,
) -> Result<Option<String>, AppError> {
    let org = crate::auth::server::admin_of(org).await?;
    Ok(org
        .set_station_unauthenticated(station, allowed)
        .await?
        .map(|p| p.into_inner()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_station_form_needs_a_charge_point_id_and_a_name_and_may_opt_out_of_a_password() {
        let s = NewStation::parse(" CP-KROON-1 ", "Brewery yard", false).unwrap();
        assert_eq!(s.charge_point_id.as_str(), "CP-KROON-1");
        assert_eq!(s.name.as_str(), "Brewery yard");
        assert!(!s.allow_unauthenticated);
        let s = NewStation::parse("CP-1", "Yard", true).unwrap();
        assert!(s.allow_unauthenticated);

        let errors = NewStation::parse("CP 1", "", true).unwrap_err();
        let fields: Vec<_> = errors.iter().map(|(f, _)| *f).collect();
        assert_eq!(fields, [field::CHARGE_POINT_ID, field::NAME]);
        assert!(errors[0].1.contains("a space"), "{}", errors[0].1);
    }

    #[test]
    fn datetime_local_values_are_read_as_utc() {
        // (input, expected millis)
        let cases = [
            ("1970-01-01T00:00", 0),
            ("2026-11-24T09:05", 1_795_511_100_000),
            ("2026-11-24 09:05:30", 1_795_511_130_000),
            ("2024-02-29T23:59:59", 1_709_251_199_000),
            ("1969-12-31T23:59:59", -1000),
            (" 2000-03-01T00:00 ", 951_868_800_000),
        ];
        for (input, millis) in cases {
            assert_eq!(
                parse_utc_datetime(input),
                Ok(Some(Timestamp(millis))),
                "{input:?}"
            );
            // Formatting gives back the same minute.
            let shown = Timestamp(millis).to_string();
            assert_eq!(
                &shown[..16],
                &input.trim().replace('T', " ")[..16],
                "{input:?}"
            );
        }
        assert_eq!(parse_utc_datetime(""), Ok(None));
        assert_eq!(parse_utc_datetime("   "), Ok(None));
        for bad in [
            "2026-11-24",
            "2026-11-24T9:05",
            "2026-13-01T00:00",
            "2026-02-29T00:00",
            "2026-04-31T00:00",
            "2026-11-24T24:00",
            "2026-11-24T10:60",
            "26-11-24T10:00",
            "2026/11/24 10:00",
            "2026-11-24T10:00:00:00",
            "yesterday",
        ] {
            let message = parse_utc_datetime(bad).unwrap_err();
            assert!(message.contains("UTC"), "{bad:?}: {message}");
        }
    }

    #[test]
    fn the_log_filter_checks_its_time_range() {
        let q = LogQuery::parse("Authorize", "2026-11-24T09:00", "2026-11-24T10:00").unwrap();
        assert_eq!(q.action.as_deref(), Some("Authorize"));
        assert!(q.from.unwrap() < q.to.unwrap());
        let q = LogQuery::parse(" ", "", "").unwrap();
        assert_eq!(
            q,
            LogQuery {
                action: None,
                from: None,
                to: None
            }
        );

        let errors = LogQuery::parse("", "2026-11-24T10:00", "2026-11-24T10:00").unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].0, field::TO);
        let errors = LogQuery::parse("", "soon", "later").unwrap_err();
        let fields: Vec<_> = errors.iter().map(|(f, _)| *f).collect();
        assert_eq!(fields, [field::FROM, field::TO]);
    }

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(encode_query_value("04AAAB11CD2345"), "04AAAB11CD2345");
        assert_eq!(encode_query_value("a b&c=d#é"), "a%20b%26c%3Dd%23%C3%A9");
    }

    #[test]
    fn the_ocpp_path_ends_in_the_charge_point_id() {
        assert_eq!(ocpp_path("CP-KROON-1"), "/ocpp/CP-KROON-1");
    }
}
