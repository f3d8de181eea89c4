//! Receiving a charge point's CALL: [`ocpp::parse_frame`] followed by [`ocpp::parse_charge_point_call`] (schema
//! validation, then typed deserialisation), the two steps the central system runs on every text frame.
//!
//! Run with `cargo bench -p ocpp --bench frames`; the numbers are in `docs/benchmarks.md`. Nothing here asserts a
//! time: each frame's outcome is checked once before it is measured, so a benchmark cannot silently time an error
//! path.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ocpp::{parse_charge_point_call, parse_frame, ErrorCode, Frame, Request};
use std::hint::black_box;
use std::time::Duration;

/// What the receive loop gets from one text frame: the typed request, or the OCPP error code it answers with.
fn receive(text: &str) -> Result<Request, ErrorCode> {
    match parse_frame(text) {
        Ok(Some(Frame::Call {
            action, payload, ..
        })) => parse_charge_point_call(&action, &payload).map_err(|error| error.code),
        Ok(_) => Err(ErrorCode::GenericError),
        Err(error) => Err(error.code),
    }
}

const AUTHORIZE: &str = r#"[2,"a3f1c2d4-0001","Authorize",{"idTag":"04AAAB11CD2345"}]"#;

const START_TRANSACTION: &str = r#"[2,"a3f1c2d4-0002","StartTransaction",{"connectorId":1,"idTag":"04AAAB11CD2345","meterStart":1523770,"reservationId":42,"timestamp":"2026-11-30T08:15:02.512Z"}]"#;

const STATUS_NOTIFICATION: &str = r#"[2,"a3f1c2d4-0003","StatusNotification",{"connectorId":1,"errorCode":"NoError","info":"cable locked","status":"Charging","timestamp":"2026-11-30T08:15:03Z","vendorId":"com.example.wallbox","vendorErrorCode":"0"}]"#;

/// A periodic three-phase sample: the energy register, power, current and voltage per phase, and the state of
/// charge (11 sampled values), as a typical AC wallbox sends every minute during a session.
const METER_VALUES: &str = r#"[2,"a3f1c2d4-0004","MeterValues",{"connectorId":1,"transactionId":4711,"meterValue":[{"timestamp":"2026-11-30T08:16:00Z","sampledValue":[
{"value":"1524911","context":"Sample.Periodic","format":"Raw","measurand":"Energy.Active.Import.Register","location":"Outlet","unit":"Wh"},
{"value":"11040","context":"Sample.Periodic","measurand":"Power.Active.Import","location":"Outlet","unit":"W"},
{"value":"16.02","context":"Sample.Periodic","measurand":"Current.Import","phase":"L1","location":"Outlet","unit":"A"},
{"value":"15.98","context":"Sample.Periodic","measurand":"Current.Import","phase":"L2","location":"Outlet","unit":"A"},
{"value":"16.05","context":"Sample.Periodic","measurand":"Current.Import","phase":"L3","location":"Outlet","unit":"A"},
{"value":"230.4","context":"Sample.Periodic","measurand":"Voltage","phase":"L1-N","location":"Outlet","unit":"V"},
{"value":"229.8","context":"Sample.Periodic","measurand":"Voltage","phase":"L2-N","location":"Outlet","unit":"V"},
{"value":"231.1","context":"Sample.Periodic","measurand":"Voltage","phase":"L3-N","location":"Outlet","unit":"V"},
{"value":"32","context":"Sample.Periodic","measurand":"Current.Offered","location":"Outlet","unit":"A"},
{"value":"0.99","context":"Sample.Periodic","measurand":"Power.Factor","location":"Outlet"},
{"value":"57","context":"Sample.Periodic","measurand":"SoC","location":"EV","unit":"Percent"}
]}]}]"#;

/// Well-formed frame, but the payload breaks the schema deep inside (an unknown unit in the last sampled value):
/// the validator walks everything before it refuses.
const METER_VALUES_BAD_UNIT: &str = r#"[2,"a3f1c2d4-0005","MeterValues",{"connectorId":1,"transactionId":4711,"meterValue":[{"timestamp":"2026-11-30T08:16:00Z","sampledValue":[
{"value":"1524911","measurand":"Energy.Active.Import.Register","unit":"Wh"},
{"value":"11040","measurand":"Power.Active.Import","unit":"W"},
{"value":"57","measurand":"SoC","unit":"percent"}
]}]}]"#;

/// Not JSON at all: the frame breaks off in the middle of the payload.
const TRUNCATED: &str = r#"[2,"a3f1c2d4-0006","Authorize",{"idTag":"04AAAB11"#;

fn frames(c: &mut Criterion) {
    let cases: [(&str, &str, Result<(), ErrorCode>); 6] = [
        ("Authorize", AUTHORIZE, Ok(())),
        ("StartTransaction", START_TRANSACTION, Ok(())),
        ("StatusNotification", STATUS_NOTIFICATION, Ok(())),
        ("MeterValues (11 sampled values)", METER_VALUES, Ok(())),
        (
            "MeterValues, bad unit",
            METER_VALUES_BAD_UNIT,
            Err(ErrorCode::PropertyConstraintViolation),
        ),
        (
            "truncated JSON",
            TRUNCATED,
            Err(ErrorCode::FormationViolation),
        ),
    ];
    let mut group = c.benchmark_group("receive CALL");
    for (name, text, expected) in cases {
        assert_eq!(receive(text).map(|_| ()), expected, "{name}");
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_function(name, |b| b.iter(|| receive(black_box(text))));
    }
    group.finish();
}

criterion_group! {
    name = benches;
    // Short runs: these are orientation numbers on a shared machine, not a gate (see docs/benchmarks.md).
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = frames
}
criterion_main!(benches);
