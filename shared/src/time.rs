//! Points in time as stored in the database (milliseconds since the Unix epoch, UTC) and shown to people.

use serde::{Deserialize, Serialize};
use std::fmt;

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

    /// Splits into a UTC calendar date and time of day: (year, month, day, hour, minute, second).
    pub fn to_utc_parts(self) -> (i64, u32, u32, u32, u32, u32) {
        let secs = self.0.div_euclid(1000);
        let days = secs.div_euclid(86_400);
        let sod = secs.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        (
            y,
            m,
            d,
            (sod / 3600) as u32,
            ((sod % 3600) / 60) as u32,
            (sod % 60) as u32,
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

/// Days since 1970-01-01 to a proleptic Gregorian (year, month, day); Howard Hinnant's `civil_from_days`.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

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
    }
}
