//! Calendar periods read in an organization's time zone: a [`Month`] (a settlement month, `2026-11`) and a
//! [`Day`] (`2026-11-14`), their bounds as instants, and the period an instant falls in.
//!
//! A session belongs to the month (and the day) in which it ended, read in the organization's
//! [`TimeZoneName`]: a session that ended at 23:30 UTC on 30 November 2026 ended at 00:30 on 1 December in
//! Amsterdam, so it is December's there. The bounds of a period are instants (start inclusive, end exclusive),
//! so a month or a day in a zone with daylight saving time is an hour shorter or longer than the calendar says.
//!
//! The calendar is the proleptic Gregorian one of `jiff`, for the years 0000 to 9999 (what `YYYY` can write).

use crate::time::{TimeZoneName, Timestamp};
use serde::{Deserialize, Serialize};
use std::fmt;
use thiserror::Error;

const MONTH_NAMES: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// The first and the last year of a [`Month`] or [`Day`].
const YEARS: std::ops::RangeInclusive<i32> = 0..=9999;

/// Exactly `count` ASCII digits as a number.
fn digits(text: &str, count: usize) -> Option<u32> {
    (text.len() == count && text.bytes().all(|b| b.is_ascii_digit()))
        .then(|| text.parse().ok())
        .flatten()
}

// ---------------------------------------------------------------------------------------------------------------
// Month
// ---------------------------------------------------------------------------------------------------------------

/// A calendar month, `2026-11` (the value of an `<input type="month">`), from 0000-01 to 9999-12.
///
/// Built by [`Month::parse`], [`Month::new`] or [`Month::containing`]. Serialized as `2026-11`; deserialization
/// runs `parse` again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct Month {
    year: i32,
    month: u8,
}

/// Why a month was refused. The Display text is shown next to the field.
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MonthError {
    /// Not `YYYY-MM`.
    #[error("Enter a month as YYYY-MM, e.g. 2026-11.")]
    Format,
    /// `YYYY-MM` with a month that is not 01 to 12.
    #[error("A month is 01 to 12: enter it as YYYY-MM, e.g. 2026-11.")]
    NoSuchMonth,
}

impl Month {
    /// The first month, 0000-01.
    pub const MIN: Month = Month { year: 0, month: 1 };
    /// The last month, 9999-12.
    pub const MAX: Month = Month {
        year: 9999,
        month: 12,
    };

    /// The month `month` (1–12) of `year` (0–9999).
    pub fn new(year: i32, month: u8) -> Option<Month> {
        (YEARS.contains(&year) && (1..=12).contains(&month)).then_some(Month { year, month })
    }

    /// Reads `YYYY-MM` (surrounding blanks ignored).
    pub fn parse(input: &str) -> Result<Month, MonthError> {
        let (year, month) = input.trim().split_once('-').ok_or(MonthError::Format)?;
        let year = digits(year, 4).ok_or(MonthError::Format)?;
        let month = digits(month, 2).ok_or(MonthError::Format)?;
        Month::new(year as i32, month as u8).ok_or(MonthError::NoSuchMonth)
    }

    pub fn year(self) -> i32 {
        self.year
    }

    /// 1–12.
    pub fn month(self) -> u8 {
        self.month
    }

    /// `November 2026`.
    pub fn label(self) -> String {
        format!(
            "{} {:04}",
            MONTH_NAMES[usize::from(self.month - 1)],
            self.year
        )
    }

    /// The month before (0000-01 has none and stays itself).
    pub fn previous(self) -> Month {
        match self {
            Month::MIN => Month::MIN,
            Month { year, month: 1 } => Month {
                year: year - 1,
                month: 12,
            },
            Month { year, month } => Month {
                year,
                month: month - 1,
            },
        }
    }

    /// The month after (9999-12 has none and stays itself).
    pub fn next(self) -> Month {
        match self {
            Month::MAX => Month::MAX,
            Month { year, month: 12 } => Month {
                year: year + 1,
                month: 1,
            },
            Month { year, month } => Month {
                year,
                month: month + 1,
            },
        }
    }

    /// The month in `zone` at the instant `at`: the month a session that ended then belongs to.
    pub fn containing(at: Timestamp, zone: &TimeZoneName) -> Month {
        at.local_day(zone).month()
    }

    /// The first instant of this month in `zone` (inclusive) and the first instant of the next (exclusive), in
    /// UTC milliseconds: `at` is in this month exactly when `start <= at < end`. The end of 9999-12 is
    /// `i64::MAX`.
    pub fn bounds(self, zone: &TimeZoneName) -> (Timestamp, Timestamp) {
        let end = if self == Month::MAX {
            Timestamp(i64::MAX)
        } else {
            self.next().first_day().start(zone)
        };
        (self.first_day().start(zone), end)
    }

    /// The 1st of this month.
    pub fn first_day(self) -> Day {
        Day {
            year: self.year,
            month: self.month,
            day: 1,
        }
    }

    /// The last day of this month (28th to 31st).
    pub fn last_day(self) -> Day {
        Day::from_jiff(self.first_day().to_jiff().last_of_month())
    }

    /// Every day of this month, in order.
    pub fn days(self) -> impl Iterator<Item = Day> {
        self.first_day().through(self.last_day())
    }
}

/// `2026-11`.
impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl From<Month> for String {
    fn from(month: Month) -> String {
        month.to_string()
    }
}

impl TryFrom<String> for Month {
    type Error = MonthError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        Month::parse(&s)
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Day
// ---------------------------------------------------------------------------------------------------------------

/// A calendar day, `2026-11-14` (the value of an `<input type="date">`), from 0000-01-01 to 9999-12-31; holding
/// one proves that the day exists (no 2026-02-29).
///
/// Built by [`Day::parse`], [`Day::new`] or [`Timestamp::local_day`]. Serialized as `2026-11-14`;
/// deserialization runs `parse` again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct Day {
    year: i32,
    month: u8,
    day: u8,
}

/// Why a day was refused. The Display text is shown next to the field.
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DayError {
    /// Not `YYYY-MM-DD`.
    #[error("Enter a date as YYYY-MM-DD, e.g. 2026-11-14.")]
    Format,
    /// `YYYY-MM-DD` that is not a day of the calendar.
    #[error("There is no such day in the calendar: enter a date as YYYY-MM-DD, e.g. 2026-11-14.")]
    NoSuchDay,
}

impl Day {
    /// The first day, 0000-01-01.
    pub const MIN: Day = Day {
        year: 0,
        month: 1,
        day: 1,
    };
    /// The last day, 9999-12-31.
    pub const MAX: Day = Day {
        year: 9999,
        month: 12,
        day: 31,
    };

    /// The day `day` of the month `month` (1–12) of `year` (0–9999), if the calendar has it.
    pub fn new(year: i32, month: u8, day: u8) -> Option<Day> {
        if !YEARS.contains(&year) {
            return None;
        }
        let date = jiff::civil::Date::new(
            i16::try_from(year).ok()?,
            i8::try_from(month).ok()?,
            i8::try_from(day).ok()?,
        )
        .ok()?;
        Some(Day::from_jiff(date))
    }

    /// Reads `YYYY-MM-DD` (surrounding blanks ignored).
    pub fn parse(input: &str) -> Result<Day, DayError> {
        let mut parts = input.trim().split('-');
        let (Some(year), Some(month), Some(day), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(DayError::Format);
        };
        let year = digits(year, 4).ok_or(DayError::Format)?;
        let month = digits(month, 2).ok_or(DayError::Format)?;
        let day = digits(day, 2).ok_or(DayError::Format)?;
        Day::new(year as i32, month as u8, day as u8).ok_or(DayError::NoSuchDay)
    }

    /// (year, month 1–12, day 1–31).
    pub fn parts(self) -> (i32, u8, u8) {
        (self.year, self.month, self.day)
    }

    /// The month of this day.
    pub fn month(self) -> Month {
        Month {
            year: self.year,
            month: self.month,
        }
    }

    /// The day before (0000-01-01 has none and stays itself).
    pub fn previous(self) -> Day {
        self.to_jiff().yesterday().map_or(Day::MIN, Day::from_jiff)
    }

    /// The day after (9999-12-31 has none and stays itself).
    pub fn next(self) -> Day {
        if self == Day::MAX {
            return Day::MAX;
        }
        self.to_jiff().tomorrow().map_or(Day::MAX, Day::from_jiff)
    }

    /// This day and every following one up to `last` (inclusive), in order; none if `last` is earlier.
    pub fn through(self, last: Day) -> impl Iterator<Item = Day> {
        std::iter::successors((self <= last).then_some(self), move |&day| {
            (day < last).then(|| day.next())
        })
    }

    /// The first instant of this day in `zone` (inclusive) and the first instant of the next (exclusive), in UTC
    /// milliseconds: 24 hours, or 23 or 25 on the days the clocks change. The end of 9999-12-31 is `i64::MAX`.
    pub fn bounds(self, zone: &TimeZoneName) -> (Timestamp, Timestamp) {
        let end = if self == Day::MAX {
            Timestamp(i64::MAX)
        } else {
            self.next().start(zone)
        };
        (self.start(zone), end)
    }

    /// The instant of `hour:minute:second` on this day in `zone`; `None` if that is not a time of day (`24:00`,
    /// a leap second). A time that the clocks skip (the jump to daylight saving time) is read as if they had not
    /// jumped yet (02:30 is 03:30 of the new offset), and a time that happens twice (the jump back) is the
    /// first of the two.
    pub fn at(self, hour: u8, minute: u8, second: u8, zone: &TimeZoneName) -> Option<Timestamp> {
        let time = jiff::civil::Time::new(
            i8::try_from(hour).ok()?,
            i8::try_from(minute).ok()?,
            i8::try_from(second).ok()?,
            0,
        )
        .ok()?;
        Some(self.instant(time, zone))
    }

    /// The first instant of this day in `zone`: midnight, or the end of the jump where the clocks skip midnight.
    fn start(self, zone: &TimeZoneName) -> Timestamp {
        self.instant(jiff::civil::Time::midnight(), zone)
    }

    fn instant(self, time: jiff::civil::Time, zone: &TimeZoneName) -> Timestamp {
        // Only the last hours of the year 9999 in zones west of UTC lie beyond jiff's instants.
        zone.zone()
            .to_timestamp(self.to_jiff().to_datetime(time))
            .map_or(Timestamp(i64::MAX), Timestamp::from_jiff)
    }

    fn to_jiff(self) -> jiff::civil::Date {
        // In range by construction (years 0–9999, a real day).
        jiff::civil::Date::constant(self.year as i16, self.month as i8, self.day as i8)
    }

    /// `jiff`'s date, clamped to 0000-01-01 (jiff's dates go back to the year -9999).
    pub(crate) fn from_jiff(date: jiff::civil::Date) -> Day {
        if date.year() < 0 {
            return Day::MIN;
        }
        Day {
            year: i32::from(date.year()),
            month: date.month() as u8,
            day: date.day() as u8,
        }
    }
}

/// `2026-11-14`.
impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl From<Day> for String {
    fn from(day: Day) -> String {
        day.to_string()
    }
}

impl TryFrom<String> for Day {
    type Error = DayError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        Day::parse(&s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zone(name: &str) -> TimeZoneName {
        TimeZoneName::parse(name).unwrap()
    }

    fn amsterdam() -> TimeZoneName {
        zone("Europe/Amsterdam")
    }

    /// An RFC 3339 instant as a [`Timestamp`].
    fn at(text: &str) -> Timestamp {
        Timestamp::from_jiff(text.parse().unwrap())
    }

    fn month(text: &str) -> Month {
        Month::parse(text).unwrap()
    }

    fn day(text: &str) -> Day {
        Day::parse(text).unwrap()
    }

    const HOUR: i64 = 3_600_000;
    const DAY: i64 = 24 * HOUR;

    #[test]
    fn months_parse_display_and_label() {
        let november = month("2026-11");
        assert_eq!((november.year(), november.month()), (2026, 11));
        assert_eq!(november, Month::new(2026, 11).unwrap());
        assert_eq!(november.to_string(), "2026-11");
        assert_eq!(november.label(), "November 2026");
        assert_eq!(month(" 0987-01 ").label(), "January 0987");
        assert_eq!(month("0000-01"), Month::MIN);
        assert_eq!(month("9999-12"), Month::MAX);
        for bad in [
            "",
            "2026",
            "2026-1",
            "26-11",
            "2026/11",
            "2026-11-01",
            "+2026-11",
            "２０２６-11",
            "2026-1a",
        ] {
            assert_eq!(Month::parse(bad), Err(MonthError::Format), "{bad}");
        }
        for bad in ["2026-00", "2026-13"] {
            assert_eq!(Month::parse(bad), Err(MonthError::NoSuchMonth), "{bad}");
        }
        assert_eq!(Month::new(2026, 0), None);
        assert_eq!(Month::new(10_000, 1), None);
        assert_eq!(Month::new(-1, 1), None);
        assert_eq!(
            MonthError::Format.to_string(),
            "Enter a month as YYYY-MM, e.g. 2026-11."
        );
        assert!(month("2026-09") < month("2026-10") && month("2026-12") < month("2027-01"));
    }

    #[test]
    fn months_serialize_as_yyyy_mm() {
        let json = serde_json::to_string(&month("2026-11")).unwrap();
        assert_eq!(json, "\"2026-11\"");
        assert_eq!(
            serde_json::from_str::<Month>(&json).unwrap(),
            month("2026-11")
        );
        assert!(serde_json::from_str::<Month>("\"2026-13\"").is_err());
    }

    #[test]
    fn previous_and_next_cross_the_year() {
        assert_eq!(month("2026-11").next(), month("2026-12"));
        assert_eq!(month("2026-12").next(), month("2027-01"));
        assert_eq!(month("2027-01").previous(), month("2026-12"));
        assert_eq!(month("2026-11").previous(), month("2026-10"));
        assert_eq!(Month::MAX.next(), Month::MAX);
        assert_eq!(Month::MIN.previous(), Month::MIN);
    }

    #[test]
    fn november_2026_in_amsterdam() {
        // Winter time (UTC+1) all month.
        let (start, end) = month("2026-11").bounds(&amsterdam());
        assert_eq!(start, at("2026-10-31T23:00:00Z"));
        assert_eq!(end, at("2026-11-30T23:00:00Z"));
        assert_eq!(end.0 - start.0, 30 * DAY);
        let (start, end) = month("2026-11").bounds(&TimeZoneName::utc());
        assert_eq!(start, at("2026-11-01T00:00:00Z"));
        assert_eq!(end, at("2026-12-01T00:00:00Z"));
    }

    #[test]
    fn october_2026_in_amsterdam_ends_an_hour_later() {
        // Starts in summer time (UTC+2); the clocks go back on Sunday 25 October (03:00 CEST -> 02:00 CET), and
        // the month ends in winter time (UTC+1): 31 days and 1 hour.
        let (start, end) = month("2026-10").bounds(&amsterdam());
        assert_eq!(start, at("2026-09-30T22:00:00Z"));
        assert_eq!(end, at("2026-10-31T23:00:00Z"));
        assert_eq!(end.0 - start.0, 31 * DAY + HOUR);
        assert_eq!(
            day("2026-10-25").bounds(&amsterdam()).1 .0
                - day("2026-10-25").bounds(&amsterdam()).0 .0,
            25 * HOUR
        );
        // The last week of October is October's on both sides of the change.
        for instant in [
            "2026-10-25T00:59:59Z",
            "2026-10-25T01:00:00Z",
            "2026-10-31T22:59:59.999Z",
        ] {
            assert_eq!(
                Month::containing(at(instant), &amsterdam()),
                month("2026-10"),
                "{instant}"
            );
        }
        assert_eq!(
            Month::containing(at("2026-10-31T23:00:00Z"), &amsterdam()),
            month("2026-11")
        );
    }

    #[test]
    fn march_2026_in_amsterdam_starts_in_winter_and_ends_in_summer_time() {
        // The clocks jump forward on Sunday 29 March (02:00 CET -> 03:00 CEST): 31 days less 1 hour.
        let (start, end) = month("2026-03").bounds(&amsterdam());
        assert_eq!(start, at("2026-02-28T23:00:00Z"));
        assert_eq!(end, at("2026-03-31T22:00:00Z"));
        assert_eq!(end.0 - start.0, 31 * DAY - HOUR);
        let (day_start, day_end) = day("2026-03-29").bounds(&amsterdam());
        assert_eq!(day_end.0 - day_start.0, 23 * HOUR);
        // 02:30 does not exist that day: read as 03:30 CEST.
        assert_eq!(
            day("2026-03-29").at(2, 30, 0, &amsterdam()),
            Some(at("2026-03-29T01:30:00Z"))
        );
        // 02:30 happens twice on 25 October: the first (CEST).
        assert_eq!(
            day("2026-10-25").at(2, 30, 0, &amsterdam()),
            Some(at("2026-10-25T00:30:00Z"))
        );
        assert_eq!(day("2026-10-25").at(24, 0, 0, &amsterdam()), None);
        assert_eq!(day("2026-10-25").at(23, 59, 60, &amsterdam()), None);
    }

    #[test]
    fn a_session_belongs_to_the_month_in_which_it_ended_in_the_zone() {
        let ended = at("2026-11-30T23:30:00Z");
        assert_eq!(Month::containing(ended, &amsterdam()), month("2026-12"));
        assert_eq!(
            Month::containing(ended, &TimeZoneName::utc()),
            month("2026-11")
        );
        assert_eq!(ended.local_day(&amsterdam()), day("2026-12-01"));
        let (start, end) = month("2026-12").bounds(&amsterdam());
        assert!(start <= ended && ended < end);
        let (start, end) = month("2026-11").bounds(&amsterdam());
        assert!(!(start <= ended && ended < end));
    }

    #[test]
    fn leap_february_2028() {
        let february = month("2028-02");
        assert_eq!(february.last_day(), day("2028-02-29"));
        assert_eq!(february.days().count(), 29);
        let (start, end) = february.bounds(&amsterdam());
        assert_eq!(start, at("2028-01-31T23:00:00Z"));
        assert_eq!(end, at("2028-02-29T23:00:00Z"));
        assert_eq!(end.0 - start.0, 29 * DAY);
        assert_eq!(
            Month::containing(at("2028-02-29T22:59:59Z"), &amsterdam()),
            february
        );
        assert_eq!(month("2027-02").days().count(), 28);
        assert_eq!(month("2100-02").days().count(), 28);
        assert_eq!(month("2000-02").days().count(), 29);
        assert_eq!(Day::parse("2027-02-29"), Err(DayError::NoSuchDay));
        assert_eq!(Day::parse("2100-02-29"), Err(DayError::NoSuchDay));
        assert!(Day::parse("2000-02-29").is_ok());
    }

    #[test]
    fn year_boundary() {
        let (_, end) = month("2026-12").bounds(&amsterdam());
        let (start, _) = month("2027-01").bounds(&amsterdam());
        assert_eq!(end, start);
        assert_eq!(start, at("2026-12-31T23:00:00Z"));
        assert_eq!(
            Month::containing(at("2026-12-31T22:59:59.999Z"), &amsterdam()),
            month("2026-12")
        );
        assert_eq!(
            Month::containing(at("2026-12-31T23:00:00Z"), &amsterdam()),
            month("2027-01")
        );
        assert_eq!(
            Month::containing(at("2026-12-31T23:00:00Z"), &TimeZoneName::utc()),
            month("2026-12")
        );
        assert_eq!(day("2026-12-31").next(), day("2027-01-01"));
        assert_eq!(day("2027-01-01").previous(), day("2026-12-31"));
    }

    #[test]
    fn months_tile_time_in_every_zone() {
        // Including zones whose clocks changed at midnight (Sao Paulo until 2019, Havana, Santiago), a
        // half-hour zone, a 45-minute one and one that skipped a whole day (Apia, 2011-12-30).
        for name in [
            "Europe/Amsterdam",
            "UTC",
            "America/Sao_Paulo",
            "America/Havana",
            "America/Santiago",
            "Asia/Kolkata",
            "Pacific/Chatham",
            "Pacific/Apia",
            "Australia/Lord_Howe",
        ] {
            let zone = zone(name);
            let mut m = month("2008-01");
            while m <= month("2031-12") {
                let (start, end) = m.bounds(&zone);
                assert!(start < end, "{name} {m}");
                assert_eq!(end, m.next().bounds(&zone).0, "{name} {m}");
                assert_eq!(Month::containing(start, &zone), m, "{name} {m}");
                assert_eq!(
                    Month::containing(Timestamp(end.0 - 1), &zone),
                    m,
                    "{name} {m}"
                );
                let days: Vec<Day> = m.days().collect();
                assert_eq!(days.first(), Some(&m.first_day()));
                assert_eq!(days.last(), Some(&m.last_day()));
                assert_eq!(days[0].bounds(&zone).0, start, "{name} {m}");
                assert_eq!(days[days.len() - 1].bounds(&zone).1, end, "{name} {m}");
                for pair in days.windows(2) {
                    assert_eq!(
                        pair[0].bounds(&zone).1,
                        pair[1].bounds(&zone).0,
                        "{name} {}",
                        pair[0]
                    );
                }
                m = m.next();
            }
        }
    }

    #[test]
    fn days_parse_iterate_and_group() {
        let d = day("2026-11-14");
        assert_eq!(d.parts(), (2026, 11, 14));
        assert_eq!(d.to_string(), "2026-11-14");
        assert_eq!(d.month(), month("2026-11"));
        assert_eq!(Day::new(2026, 11, 14), Some(d));
        assert_eq!(Day::new(2026, 11, 31), None);
        assert_eq!(Day::new(10_000, 1, 1), None);
        for bad in [
            "",
            "2026-11",
            "2026-11-1",
            "2026-11-14T00:00",
            "14-11-2026",
            "2026-11-14-",
        ] {
            assert_eq!(Day::parse(bad), Err(DayError::Format), "{bad}");
        }
        assert_eq!(Day::parse("2026-13-01"), Err(DayError::NoSuchDay));
        assert_eq!(Day::parse("2026-11-00"), Err(DayError::NoSuchDay));
        assert_eq!(serde_json::to_string(&d).unwrap(), "\"2026-11-14\"");
        assert_eq!(serde_json::from_str::<Day>("\"2026-11-14\"").unwrap(), d);
        assert!(serde_json::from_str::<Day>("\"2026-02-30\"").is_err());

        let week: Vec<String> = day("2026-12-29")
            .through(day("2027-01-02"))
            .map(|d| d.to_string())
            .collect();
        assert_eq!(
            week,
            [
                "2026-12-29",
                "2026-12-30",
                "2026-12-31",
                "2027-01-01",
                "2027-01-02"
            ]
        );
        assert_eq!(d.through(d).count(), 1);
        assert_eq!(d.through(d.previous()).count(), 0);
        assert_eq!(Day::MAX.next(), Day::MAX);
        assert_eq!(Day::MIN.previous(), Day::MIN);
        assert_eq!(day("9999-12-30").through(Day::MAX).count(), 2);
        assert_eq!(Month::MAX.bounds(&amsterdam()).1, Timestamp(i64::MAX));
        assert_eq!(
            Month::containing(Timestamp(i64::MIN), &amsterdam()),
            Month::MIN
        );
        assert_eq!(
            Month::containing(Timestamp(i64::MAX), &amsterdam()),
            Month::MAX
        );

        // Energy per day: sessions grouped by the day they ended in Amsterdam.
        let zone = amsterdam();
        let ended = [
            "2026-11-13T22:59:00Z",
            "2026-11-13T23:01:00Z",
            "2026-11-14T22:30:00Z",
        ];
        let days: Vec<Day> = ended.iter().map(|t| at(t).local_day(&zone)).collect();
        assert_eq!(
            days,
            [day("2026-11-13"), day("2026-11-14"), day("2026-11-14")]
        );
    }
}
