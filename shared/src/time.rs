//! Points in time as stored in the database (milliseconds since the Unix epoch, UTC) and shown to people, and the
//! IANA time zone in which an organization's days and months are read ([`TimeZoneName`]).
//!
//! The calendar arithmetic is `jiff`'s, with the IANA time zone database compiled in: the browser (wasm) and the
//! server read the same rules, whatever the server's container has installed. The periods themselves (calendar
//! days and months in a zone) are in [`crate::period`].

use crate::period::Day;
use jiff::tz::{Offset, TimeZone};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::sync::OnceLock;
use thiserror::Error;

/// Milliseconds since 1970-01-01T00:00:00Z. Portable across SQLite and PostgreSQL as a plain BIGINT.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timestamp(pub i64);

impl Timestamp {
    pub fn from_millis(ms: i64) -> Self {
        Self(ms)
    }

    pub fn millis(self) -> i64 {
        self.0
    }

    /// This instant as `jiff`'s, saturated to `jiff`'s range (the years -9999 to 9999, far beyond any stored
    /// time).
    pub(crate) fn to_jiff(self) -> jiff::Timestamp {
        jiff::Timestamp::from_millisecond(self.0).unwrap_or(if self.0 < 0 {
            jiff::Timestamp::MIN
        } else {
            jiff::Timestamp::MAX
        })
    }

    /// `jiff`'s instant in milliseconds (sub-millisecond digits truncated).
    pub(crate) fn from_jiff(instant: jiff::Timestamp) -> Timestamp {
        Timestamp(instant.as_millisecond())
    }

    /// Splits into a UTC calendar date and time of day: (year, month, day, hour, minute, second).
    pub fn to_utc_parts(self) -> (i64, u32, u32, u32, u32, u32) {
        let utc = Offset::UTC.to_datetime(self.to_jiff());
        (
            i64::from(utc.year()),
            utc.month() as u32,
            utc.day() as u32,
            utc.hour() as u32,
            utc.minute() as u32,
            utc.second() as u32,
        )
    }

    /// The calendar day of this instant in `zone`, e.g. to group sessions per day.
    pub fn local_day(self, zone: &TimeZoneName) -> Day {
        Day::from_jiff(zone.zone().to_datetime(self.to_jiff()).date())
    }

    /// The date of this instant in `zone`, as `2026-11-14` (statements, lists).
    pub fn local_date(self, zone: &TimeZoneName) -> String {
        self.local_day(zone).to_string()
    }

    /// The date and time (to the minute) of this instant in `zone`, as `2026-11-14 09:05` (statements, lists).
    pub fn local_date_time(self, zone: &TimeZoneName) -> String {
        let local = zone.zone().to_datetime(self.to_jiff());
        format!(
            "{} {:02}:{:02}",
            Day::from_jiff(local.date()),
            local.hour(),
            local.minute()
        )
    }
}

/// Shown as `2026-11-24 09:05 UTC`, which reads the same for every user regardless of their time zone.
impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, mo, d, h, mi, _) = self.to_utc_parts();
        write!(f, "{y:04}-{mo:02}-{d:02} {h:02}:{mi:02} UTC")
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Time zone
// ---------------------------------------------------------------------------------------------------------------

/// The time zone of an organization that sets none and inherits none.
pub const DEFAULT_TIME_ZONE: &str = "Europe/Amsterdam";

/// An IANA time zone (`Europe/Amsterdam`) from the time zone database compiled into ChargeDesk: an organization's
/// calendar days and settlement months are read in it, daylight saving time included.
///
/// Built only by [`TimeZoneName::parse`], which accepts any name of the database in any letter case and keeps the
/// database's spelling. Serialized as the name; deserialization runs `parse` again. Two names compare equal when
/// they are spelled the same (`Europe/Kiev` and `Europe/Kyiv` are different names of one zone).
#[derive(Clone, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct TimeZoneName {
    name: String,
    zone: TimeZone,
}

/// Why a time zone name was refused. The Display text is shown next to the field.
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeZoneNameError {
    /// Nothing was chosen.
    #[error("Choose a time zone such as {DEFAULT_TIME_ZONE}.")]
    Empty,
    /// Not a name of the time zone database.
    #[error(
        "\"{0}\" is not a time zone that ChargeDesk knows. Choose a time zone such as {DEFAULT_TIME_ZONE} \
         (a region and a city, as in the list)."
    )]
    Unknown(String),
}

impl TimeZoneName {
    /// Validates a time zone name (surrounding blanks ignored) against the time zone database.
    pub fn parse(input: &str) -> Result<TimeZoneName, TimeZoneNameError> {
        let input = input.trim();
        if input.is_empty() {
            return Err(TimeZoneNameError::Empty);
        }
        let unknown = || TimeZoneNameError::Unknown(input.to_owned());
        let zone = jiff::tz::db().get(input).map_err(|_| unknown())?;
        // Only zones loaded from the database have a name (`Etc/Unknown` is jiff's, not IANA's).
        let name = zone.iana_name().ok_or_else(unknown)?.to_owned();
        Ok(TimeZoneName { name, zone })
    }

    /// UTC, where no organization's zone applies (e.g. the station log's time filter).
    pub fn utc() -> TimeZoneName {
        TimeZoneName {
            name: "UTC".to_owned(),
            zone: TimeZone::UTC,
        }
    }

    /// The name, spelled as in the time zone database.
    pub fn as_str(&self) -> &str {
        &self.name
    }

    /// The zone's rules (offsets from UTC and their changes).
    pub(crate) fn zone(&self) -> &TimeZone {
        &self.zone
    }

    /// The names to choose from, sorted: every primary `Area/City` zone of the database (`Europe/Amsterdam`, not
    /// the old `Europe/Kiev` that names `Europe/Kyiv`'s zone, nor `Etc/GMT+5` or `US/Eastern`), and `UTC`.
    /// Computed once (it reads every zone of the database).
    pub fn choices() -> &'static [String] {
        const AREAS: [&str; 10] = [
            "Africa/",
            "America/",
            "Antarctica/",
            "Arctic/",
            "Asia/",
            "Atlantic/",
            "Australia/",
            "Europe/",
            "Indian/",
            "Pacific/",
        ];
        static CHOICES: OnceLock<Vec<String>> = OnceLock::new();
        CHOICES.get_or_init(|| {
            let db = jiff::tz::db();
            let mut names: Vec<String> = db
                .available()
                .map(|name| name.as_str().to_owned())
                .filter(|name| name == "UTC" || AREAS.iter().any(|area| name.starts_with(area)))
                .filter(|name| db.get(name).is_ok_and(|zone| zone.is_primary()))
                .collect();
            names.sort();
            names.dedup();
            names
        })
    }
}

/// [`DEFAULT_TIME_ZONE`].
impl Default for TimeZoneName {
    fn default() -> Self {
        TimeZoneName::parse(DEFAULT_TIME_ZONE)
            .expect("the default time zone is in the bundled database")
    }
}

impl PartialEq for TimeZoneName {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for TimeZoneName {}

impl std::hash::Hash for TimeZoneName {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.name.hash(state);
    }
}

impl PartialOrd for TimeZoneName {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for TimeZoneName {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.name.cmp(&other.name)
    }
}

impl fmt::Debug for TimeZoneName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("TimeZoneName").field(&self.name).finish()
    }
}

impl fmt::Display for TimeZoneName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

impl From<TimeZoneName> for String {
    fn from(zone: TimeZoneName) -> String {
        zone.name
    }
}

impl TryFrom<String> for TimeZoneName {
    type Error = TimeZoneNameError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        TimeZoneName::parse(&s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn amsterdam() -> TimeZoneName {
        TimeZoneName::parse("Europe/Amsterdam").unwrap()
    }

    #[test]
    fn formats_known_instants_in_utc() {
        assert_eq!(Timestamp(0).to_string(), "1970-01-01 00:00 UTC");
        // 2026-11-24T09:05:30Z
        assert_eq!(
            Timestamp(1_795_511_130_000).to_string(),
            "2026-11-24 09:05 UTC"
        );
        // Leap day 2024-02-29T23:59:59Z
        assert_eq!(
            Timestamp(1_709_251_199_000).to_utc_parts(),
            (2024, 2, 29, 23, 59, 59)
        );
        // Before the epoch: 1969-12-31T23:59:59Z
        assert_eq!(Timestamp(-1000).to_utc_parts(), (1969, 12, 31, 23, 59, 59));
        assert_eq!(Timestamp(-1).to_utc_parts(), (1969, 12, 31, 23, 59, 59));
        // Beyond the calendar's range: saturated, no panic.
        assert_eq!(Timestamp(i64::MAX).to_utc_parts().0, 9999);
        assert_eq!(Timestamp(i64::MIN).to_utc_parts().0, -9999);
    }

    #[test]
    fn formats_local_dates_and_times() {
        let zone = amsterdam();
        // 2026-11-24T09:05:30Z: winter time, UTC+1.
        let winter = Timestamp(1_795_511_130_000);
        assert_eq!(winter.local_date_time(&zone), "2026-11-24 10:05");
        assert_eq!(winter.local_date(&zone), "2026-11-24");
        assert_eq!(
            winter.local_date_time(&TimeZoneName::utc()),
            "2026-11-24 09:05"
        );
        // 2026-07-01T22:30:00Z: summer time, UTC+2, already the next day.
        let summer = Timestamp(1_782_945_000_000);
        assert_eq!(summer.local_date_time(&zone), "2026-07-02 00:30");
        assert_eq!(summer.local_day(&zone).parts(), (2026, 7, 2));
        assert_eq!(summer.local_day(&TimeZoneName::utc()).parts(), (2026, 7, 1));
        let new_york = TimeZoneName::parse("America/New_York").unwrap();
        assert_eq!(summer.local_date_time(&new_york), "2026-07-01 18:30");
    }

    #[test]
    fn time_zone_names_are_checked_against_the_database() {
        let zone = TimeZoneName::parse("  europe/AMSTERDAM ").unwrap();
        assert_eq!(zone.as_str(), "Europe/Amsterdam");
        assert_eq!(zone, amsterdam());
        assert_eq!(TimeZoneName::default(), amsterdam());
        assert_eq!(TimeZoneName::parse("UTC").unwrap(), TimeZoneName::utc());
        assert_eq!(
            TimeZoneName::parse("Asia/Kolkata").unwrap().to_string(),
            "Asia/Kolkata"
        );
        assert_eq!(TimeZoneName::parse(" "), Err(TimeZoneNameError::Empty));
        for bad in [
            "Europe/Atlantis",
            "Etc/Unknown",
            "+01:00",
            "CEST",
            "Amsterdam",
        ] {
            let error = TimeZoneName::parse(bad).unwrap_err();
            assert_eq!(error, TimeZoneNameError::Unknown(bad.to_owned()));
            assert!(
                error.to_string().contains("such as Europe/Amsterdam"),
                "{error}"
            );
        }
        assert_eq!(
            TimeZoneNameError::Empty.to_string(),
            "Choose a time zone such as Europe/Amsterdam."
        );
    }

    #[test]
    fn time_zone_names_serialize_as_their_name() {
        let json = serde_json::to_string(&amsterdam()).unwrap();
        assert_eq!(json, "\"Europe/Amsterdam\"");
        assert_eq!(
            serde_json::from_str::<TimeZoneName>(&json).unwrap(),
            amsterdam()
        );
        assert!(serde_json::from_str::<TimeZoneName>("\"Mars/Olympus_Mons\"").is_err());
    }

    #[test]
    fn choices_are_the_primary_area_city_names_and_utc() {
        let choices = TimeZoneName::choices();
        assert!(choices.windows(2).all(|w| w[0] < w[1]), "sorted, unique");
        for name in [
            "Europe/Amsterdam",
            "Europe/Berlin",
            "Europe/Kyiv",
            "America/New_York",
            "America/Argentina/Buenos_Aires",
            "Asia/Kolkata",
            "Australia/Sydney",
            "UTC",
        ] {
            assert!(choices.iter().any(|c| c == name), "{name}");
        }
        for name in [
            "Europe/Kiev",
            "Asia/Calcutta",
            "US/Eastern",
            "Etc/GMT+5",
            "EST5EDT",
            "Etc/UTC",
        ] {
            assert!(!choices.iter().any(|c| c == name), "{name}");
        }
        for name in choices {
            assert_eq!(TimeZoneName::parse(name).unwrap().as_str(), name);
        }
        assert!(choices.len() > 300, "{}", choices.len());
    }
}
