//! RFC 3339 `date-time`, the format of every OCPP 1.6 timestamp (`"format": "date-time"` in the schemas).
//!
//! ```text
//! date-time = full-date "T" full-time                      ; "T" and "Z" may be lower case
//! full-date = YYYY "-" MM "-" DD                          ; a real calendar day (leap years included)
//! full-time = hh ":" mm ":" ss [ "." 1*DIGIT ] ( "Z" / ( "+" / "-" ) hh ":" mm )
//! ```
//!
//! Seconds may be `60` (a leap second, as RFC 3339's grammar allows); [`DateTime::unix_millis`] then counts it
//! as the first second of the next minute. A timestamp without an offset (`2026-01-01T12:00:00`) or with a
//! space instead of `T` is not RFC 3339 and is refused.

use std::fmt;
use thiserror::Error;

/// A validated RFC 3339 date-time, as written (its offset kept).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DateTime {
    /// 0–9999.
    pub year: i32,
    /// 1–12.
    pub month: u8,
    /// 1–31, a day that exists in that month.
    pub day: u8,
    /// 0–23.
    pub hour: u8,
    /// 0–59.
    pub minute: u8,
    /// 0–60 (60: a leap second).
    pub second: u8,
    /// The fraction of the second in nanoseconds (digits beyond the ninth are ignored).
    pub nanosecond: u32,
    /// The offset from UTC in minutes (`Z`: 0; `+02:00`: 120).
    pub offset_minutes: i16,
}

/// Why a string is not an RFC 3339 date-time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error("not an RFC 3339 date-time ({0})")]
pub struct DateTimeError(&'static str);

impl DateTime {
    /// Parses an RFC 3339 date-time.
    pub fn parse(text: &str) -> Result<DateTime, DateTimeError> {
        let mut cursor = Cursor {
            bytes: text.as_bytes(),
            at: 0,
        };
        let year = cursor.digits(4, "expected a four-digit year")?;
        cursor.expect(b'-', "expected '-' after the year")?;
        let month = cursor.digits(2, "expected a two-digit month")?;
        cursor.expect(b'-', "expected '-' after the month")?;
        let day = cursor.digits(2, "expected a two-digit day")?;
        if !cursor.eat(b'T') && !cursor.eat(b't') {
            return Err(DateTimeError("expected 'T' between date and time"));
        }
        let hour = cursor.digits(2, "expected a two-digit hour")?;
        cursor.expect(b':', "expected ':' after the hour")?;
        let minute = cursor.digits(2, "expected two-digit minutes")?;
        cursor.expect(b':', "expected ':' after the minutes")?;
        let second = cursor.digits(2, "expected two-digit seconds")?;

        let mut nanosecond = 0u32;
        if cursor.eat(b'.') {
            let mut count = 0;
            while let Some(digit) = cursor.peek().filter(u8::is_ascii_digit) {
                if count < 9 {
                    nanosecond = nanosecond * 10 + u32::from(digit - b'0');
                }
                count += 1;
                cursor.at += 1;
            }
            if count == 0 {
                return Err(DateTimeError("expected digits after the decimal point"));
            }
            for _ in count..9 {
                nanosecond *= 10;
            }
        }

        let offset_minutes = match cursor.next() {
            Some(b'Z' | b'z') => 0,
            Some(sign @ (b'+' | b'-')) => {
                let hours = cursor.digits(2, "expected a two-digit offset hour")?;
                cursor.expect(b':', "expected ':' in the offset")?;
                let minutes = cursor.digits(2, "expected two-digit offset minutes")?;
                if hours > 23 || minutes > 59 {
                    return Err(DateTimeError("offset out of range"));
                }
                let total = (hours * 60 + minutes) as i16;
                if sign == b'-' {
                    -total
                } else {
                    total
                }
            }
            _ => return Err(DateTimeError("expected 'Z' or an offset like +01:00")),
        };
        if cursor.at != cursor.bytes.len() {
            return Err(DateTimeError("unexpected characters after the offset"));
        }

        if !(1..=12).contains(&month) {
            return Err(DateTimeError("month out of range"));
        }
        if day == 0 || day > days_in_month(year as i32, month as u8) {
            return Err(DateTimeError("day out of range"));
        }
        if hour > 23 {
            return Err(DateTimeError("hour out of range"));
        }
        if minute > 59 {
            return Err(DateTimeError("minutes out of range"));
        }
        if second > 60 {
            return Err(DateTimeError("seconds out of range"));
        }
        Ok(DateTime {
            year: year as i32,
            month: month as u8,
            day: day as u8,
            hour: hour as u8,
            minute: minute as u8,
            second: second as u8,
            nanosecond,
            offset_minutes,
        })
    }

    /// Milliseconds since 1970-01-01T00:00:00Z (sub-millisecond digits truncated), the storage representation.
    pub fn unix_millis(&self) -> i64 {
        let days = days_from_civil(self.year, self.month, self.day);
        let seconds = days * 86_400
            + i64::from(self.hour) * 3600
            + i64::from(self.minute) * 60
            + i64::from(self.second)
            - i64::from(self.offset_minutes) * 60;
        seconds * 1000 + i64::from(self.nanosecond / 1_000_000)
    }

    /// The UTC date-time of this many milliseconds since the epoch; `None` outside the years 0–9999 that
    /// RFC 3339 can write.
    pub fn from_unix_millis(millis: i64) -> Option<DateTime> {
        let seconds = millis.div_euclid(1000);
        let days = seconds.div_euclid(86_400);
        let second_of_day = seconds.rem_euclid(86_400);
        let (year, month, day) = civil_from_days(days);
        if !(0..=9999).contains(&year) {
            return None;
        }
        Some(DateTime {
            year: year as i32,
            month,
            day,
            hour: (second_of_day / 3600) as u8,
            minute: (second_of_day % 3600 / 60) as u8,
            second: (second_of_day % 60) as u8,
            nanosecond: millis.rem_euclid(1000) as u32 * 1_000_000,
            offset_minutes: 0,
        })
    }
}

/// Writes `2026-01-31T09:05:30.123Z` (milliseconds, and the offset as parsed: `+02:00`), the form of the
/// examples in the OCPP 1.6 specification.
impl fmt::Display for DateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}",
            self.year,
            self.month,
            self.day,
            self.hour,
            self.minute,
            self.second,
            self.nanosecond / 1_000_000
        )?;
        if self.offset_minutes == 0 {
            f.write_str("Z")
        } else {
            let sign = if self.offset_minutes < 0 { '-' } else { '+' };
            let total = self.offset_minutes.unsigned_abs();
            write!(f, "{sign}{:02}:{:02}", total / 60, total % 60)
        }
    }
}

/// Whether `text` is an RFC 3339 date-time.
pub fn is_date_time(text: &str) -> bool {
    DateTime::parse(text).is_ok()
}

/// The RFC 3339 text (`…T…Z`, milliseconds) of this many milliseconds since the epoch, for `currentTime` and
/// other timestamps this side writes; `None` outside the years 0–9999.
pub fn format_unix_millis(millis: i64) -> Option<String> {
    DateTime::from_unix_millis(millis).map(|date_time| date_time.to_string())
}

struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn next(&mut self) -> Option<u8> {
        let byte = self.peek()?;
        self.at += 1;
        Some(byte)
    }

    fn eat(&mut self, byte: u8) -> bool {
        if self.peek() == Some(byte) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, byte: u8, reason: &'static str) -> Result<(), DateTimeError> {
        if self.eat(byte) {
            Ok(())
        } else {
            Err(DateTimeError(reason))
        }
    }

    /// Exactly `count` ASCII digits as a number.
    fn digits(&mut self, count: usize, reason: &'static str) -> Result<u32, DateTimeError> {
        let mut value = 0u32;
        for _ in 0..count {
            match self.next() {
                Some(digit) if digit.is_ascii_digit() => {
                    value = value * 10 + u32::from(digit - b'0')
                }
                _ => return Err(DateTimeError(reason)),
            }
        }
        Ok(value)
    }
}

fn is_leap_year(year: i32) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: i32, month: u8) -> u32 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if is_leap_year(year) => 29,
        2 => 28,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
fn days_from_civil(year: i32, month: u8, day: u8) -> i64 {
    let year = i64::from(year) - i64::from(month <= 2);
    let era = year.div_euclid(400);
    let year_of_era = year.rem_euclid(400);
    let month = i64::from(month);
    let day_of_year =
        (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (H. Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u8, u8) {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * shifted_month + 2) / 5 + 1) as u8;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    } as u8;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_rfc_3339_forms() {
        for text in [
            "2013-02-01T20:53:32.486Z",
            "2013-02-01T20:53:32Z",
            "2013-02-01t20:53:32z",
            "2024-02-29T23:59:59+01:00",
            "2016-12-31T23:59:60Z",
            "2013-02-01T20:53:32.123456789123-05:30",
            "0000-01-01T00:00:00Z",
        ] {
            assert!(is_date_time(text), "{text}");
        }
    }

    #[test]
    fn refuses_everything_else() {
        for text in [
            "",
            "2013-02-01",
            "2013-02-01T20:53:32",
            "2013-02-01 20:53:32Z",
            "2013-2-01T20:53:32Z",
            "2013-13-01T20:53:32Z",
            "2013-00-01T20:53:32Z",
            "2013-02-29T20:53:32Z",
            "2100-02-29T20:53:32Z",
            "2013-04-31T20:53:32Z",
            "2013-02-01T24:00:00Z",
            "2013-02-01T20:60:00Z",
            "2013-02-01T20:53:61Z",
            "2013-02-01T20:53:32.Z",
            "2013-02-01T20:53:32+0100",
            "2013-02-01T20:53:32+24:00",
            "2013-02-01T20:53:32Zjunk",
            "１０１３-02-01T20:53:32Z",
            "1362: not a date",
        ] {
            assert!(!is_date_time(text), "{text}");
        }
    }

    #[test]
    fn converts_to_and_from_unix_millis() {
        let parsed = DateTime::parse("2026-11-24T09:05:30.250Z").unwrap();
        assert_eq!(parsed.unix_millis(), 1_795_511_130_250);
        let shifted = DateTime::parse("2026-11-24T10:05:30.250+01:00").unwrap();
        assert_eq!(shifted.unix_millis(), 1_795_511_130_250);
        assert_eq!(
            DateTime::parse("1969-12-31T23:59:59Z")
                .unwrap()
                .unix_millis(),
            -1000
        );
        assert_eq!(
            format_unix_millis(1_709_251_199_000).unwrap(),
            "2024-02-29T23:59:59.000Z"
        );
        assert_eq!(format_unix_millis(-1).unwrap(), "1969-12-31T23:59:59.999Z");
        assert_eq!(format_unix_millis(i64::MAX), None);
        assert_eq!(format_unix_millis(i64::MIN), None);
        assert_eq!(shifted.to_string(), "2026-11-24T10:05:30.250+01:00");
        for millis in [0, 951_782_400_000, 4_102_444_800_000, -62_167_219_200_000] {
            let text = format_unix_millis(millis).unwrap();
            assert_eq!(
                DateTime::parse(&text).unwrap().unix_millis(),
                millis,
                "{text}"
            );
        }
    }
}
