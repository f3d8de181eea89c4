//! Reading energy out of meter samples.

use crate::messages::{
    Measurand, MeterValue, MeterValuesRequest, SampledValue, StopTransactionRequest, UnitOfMeasure,
    ValueFormat,
};

/// The energy register reading of a sample in Wh: `Some` for an `Energy.Active.Import.Register` sample (the
/// default measurand) in `Wh` (the default unit) or `kWh`, written as a finite decimal number.
///
/// `None` for other measurands or units, for `SignedData`, for a per-phase reading (a sample with a `phase`
/// is one phase's register, not the meter total) and for a value that is not a number.
pub fn energy_wh(sample: &SampledValue) -> Option<f64> {
    if sample.measurand_or_default() != Measurand::EnergyActiveImportRegister
        || sample.format == Some(ValueFormat::SignedData)
        || sample.phase.is_some()
    {
        return None;
    }
    let factor = match sample.unit_or_default() {
        UnitOfMeasure::Wh => 1.0,
        UnitOfMeasure::KWh => 1000.0,
        _ => return None,
    };
    let value: f64 = sample.value.trim().parse().ok()?;
    let wh = value * factor;
    wh.is_finite().then_some(wh)
}

impl MeterValue {
    /// The energy register reading in Wh of the first sample that has one ([`energy_wh`]).
    pub fn energy_wh(&self) -> Option<f64> {
        self.sampled_value.iter().find_map(energy_wh)
    }
}

impl MeterValuesRequest {
    /// The latest energy register reading in Wh: of the meter value with the latest position that has one
    /// (charge points send meter values in chronological order).
    pub fn energy_wh(&self) -> Option<f64> {
        self.meter_value
            .iter()
            .rev()
            .find_map(MeterValue::energy_wh)
    }
}

impl StopTransactionRequest {
    /// The latest energy register reading in the transaction data, if any (`meterStop` is authoritative).
    pub fn transaction_data_energy_wh(&self) -> Option<f64> {
        self.transaction_data
            .as_ref()?
            .iter()
            .rev()
            .find_map(MeterValue::energy_wh)
    }
}
