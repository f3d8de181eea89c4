//! The simulated energy meter: the readings of a charging session and the samples that carry them.

use ocpp::messages::{Measurand, MeterValue, ReadingContext, SampledValue, UnitOfMeasure};

/// The periodic readings of a session that charges `energy_wh` over `duration_secs`, starting at the register
/// reading `start_wh`: one `(seconds after the start, reading in Wh)` per second, from second 1 to
/// `duration_secs`, rising linearly (rounded down to whole Wh) and ending exactly at `start_wh + energy_wh`.
/// Empty for a zero duration (the stop reading is still `start_wh + energy_wh`).
pub fn ramp(start_wh: i64, energy_wh: u64, duration_secs: u64) -> Vec<(u64, i64)> {
    (1..=duration_secs)
        .map(|second| {
            let charged = i128::from(energy_wh) * i128::from(second) / i128::from(duration_secs);
            let reading = i128::from(start_wh) + charged;
            (second, i64::try_from(reading).unwrap_or(i64::MAX))
        })
        .collect()
}

/// One `Energy.Active.Import.Register` sample in Wh, measurand and unit written out (not left to the
/// defaults), with the given context.
pub fn energy_sample(reading_wh: i64, context: ReadingContext) -> SampledValue {
    SampledValue {
        context: Some(context),
        measurand: Some(Measurand::EnergyActiveImportRegister),
        unit: Some(UnitOfMeasure::Wh),
        ..SampledValue::new(reading_wh.to_string())
    }
}

/// A meter value holding one [`energy_sample`] taken at `timestamp` (RFC 3339).
pub fn energy_meter_value(timestamp: &str, reading_wh: i64, context: ReadingContext) -> MeterValue {
    MeterValue {
        timestamp: timestamp.to_owned(),
        sampled_value: vec![energy_sample(reading_wh, context)],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rises_every_second_to_the_target() {
        assert_eq!(
            ramp(1000, 5000, 5),
            vec![(1, 2000), (2, 3000), (3, 4000), (4, 5000), (5, 6000)]
        );
    }

    #[test]
    fn rounds_down_and_ends_exactly() {
        assert_eq!(ramp(0, 10, 3), vec![(1, 3), (2, 6), (3, 10)]);
        assert_eq!(ramp(7, 1, 4), vec![(1, 7), (2, 7), (3, 7), (4, 8)]);
    }

    #[test]
    fn zero_duration_or_energy() {
        assert_eq!(ramp(500, 5000, 0), vec![]);
        assert_eq!(ramp(500, 0, 2), vec![(1, 500), (2, 500)]);
    }

    #[test]
    fn does_not_overflow() {
        let last = *ramp(i64::MAX - 1, u64::MAX, 2).last().unwrap();
        assert_eq!(last, (2, i64::MAX));
    }

    #[test]
    fn samples_read_back_through_the_ocpp_crate() {
        let value = energy_meter_value(
            "2026-01-01T00:00:00.000Z",
            4321,
            ReadingContext::TransactionEnd,
        );
        assert_eq!(value.energy_wh(), Some(4321.0));
        assert_eq!(
            value.sampled_value[0].context_or_default(),
            ReadingContext::TransactionEnd
        );
    }
}
