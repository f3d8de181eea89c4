//! Property-style robustness: many truncated and mutated frames and payloads, produced by a deterministic
//! generator, go through everything a receiver does with input; nothing may panic, and the answers keep their
//! invariants.

use ocpp::commands::{parse_command, parse_command_response};
use ocpp::messages::*;
use ocpp::{
    parse_charge_point_call, parse_frame, parse_request, parse_response, Action, ErrorCode, Frame,
    PayloadError, MAX_MESSAGE_ID_LEN,
};
use serde_json::{json, Map, Value};
use std::panic::{catch_unwind, AssertUnwindSafe};

const SEEDS: &[&str] = &[
    r#"[2,"19223201","BootNotification",{"chargePointVendor":"VendorX","chargePointModel":"SingleSocketCharger","firmwareVersion":"1.0"}]"#,
    r#"[2,"1","Authorize",{"idTag":"04A1B2C3D4E5F6"}]"#,
    r#"[2,"2","Heartbeat",{}]"#,
    r#"[2,"3","StatusNotification",{"connectorId":1,"errorCode":"NoError","status":"Available","timestamp":"2013-02-01T20:53:32.486Z"}]"#,
    r#"[2,"4","StartTransaction",{"connectorId":1,"idTag":"04A1B2C3","meterStart":0,"reservationId":2,"timestamp":"2013-02-01T20:53:32Z"}]"#,
    r#"[2,"5","StopTransaction",{"idTag":"04A1B2C3","meterStop":20,"timestamp":"2013-02-01T21:53:32+01:00","transactionId":7,"reason":"Local","transactionData":[{"timestamp":"2013-02-01T21:00:00Z","sampledValue":[{"value":"20","unit":"Wh"}]}]}]"#,
    r#"[2,"6","MeterValues",{"connectorId":1,"transactionId":7,"meterValue":[{"timestamp":"2013-02-01T21:00:00Z","sampledValue":[{"value":"1.5","context":"Sample.Periodic","format":"Raw","measurand":"Energy.Active.Import.Register","phase":"L1-N","location":"Outlet","unit":"kWh"}]}]}]"#,
    r#"[2,"7","DataTransfer",{"vendorId":"com.example","messageId":"m","data":"d"}]"#,
    r#"[2,"8","DiagnosticsStatusNotification",{"status":"Uploaded"}]"#,
    r#"[2,"9","FirmwareStatusNotification",{"status":"Installed"}]"#,
    r#"[2,"10","Reset",{"type":"Hard"}]"#,
    r#"[3,"11",{"status":"Accepted","currentTime":"2013-02-01T20:53:32.486Z","interval":300}]"#,
    r#"[3,"12",{"idTagInfo":{"status":"Accepted","expiryDate":"2013-02-02T00:00:00Z","parentIdTag":"P"},"transactionId":5}]"#,
    r#"[3,"13",{"status":"Accepted","data":"x"}]"#,
    r#"[4,"14","NotSupported","SetDisplayMessageRequest not implemented",{}]"#,
];

/// The central system's commands and their answers: truncated and mutated as payloads (not in
/// `many_text_mutations`, whose sequence of mutations stays that of [`SEEDS`]).
const COMMAND_SEEDS: &[&str] = &[
    r#"[2,"15","SendLocalList",{"listVersion":3,"localAuthorizationList":[{"idTag":"A"},{"idTag":"B","idTagInfo":{"status":"Accepted","expiryDate":"2013-02-02T00:00:00Z","parentIdTag":"P"}}],"updateType":"Differential"}]"#,
    r#"[2,"16","GetConfiguration",{"key":["HeartbeatInterval","LocalAuthListMaxLength"]}]"#,
    r#"[2,"17","RemoteStartTransaction",{"connectorId":1,"idTag":"04A1B2C3"}]"#,
    r#"[2,"18","ChangeAvailability",{"connectorId":0,"type":"Inoperative"}]"#,
    r#"[2,"19","TriggerMessage",{"requestedMessage":"StatusNotification","connectorId":1}]"#,
    r#"[3,"20",{"configurationKey":[{"key":"HeartbeatInterval","readonly":false,"value":"300"}],"unknownKey":["Foo"]}]"#,
    r#"[3,"21",{"listVersion":-1}]"#,
];

/// Tokens spliced into frames: JSON structure, edge-case numbers and strings, non-ASCII.
const TOKENS: &[&str] = &[
    "[",
    "]",
    "{",
    "}",
    ",",
    ":",
    "\"",
    "\\",
    "null",
    "true",
    "0",
    "-1",
    "2",
    "3",
    "4",
    "5",
    "1.5",
    "1e400",
    "-0",
    "18446744073709551616",
    "9223372036854775808",
    "\"\"",
    "\"x\"",
    "{}",
    "[]",
    "\"é\"",
    "\u{0}",
    "\u{feff}",
    "𝄞",
    "\"Heartbeat\"",
    "\"idTag\"",
    "\"2013-02-30T25:61:61Z\"",
    "\"Celcius\"",
    " ",
    "\n",
];

/// A small deterministic generator (xorshift64*), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Everything a receiver may do with a text frame; checks the invariants of the answers. Returns what the
/// central system made of it: "ignored", "request", "answer" or an error code.
fn receive_everything(text: &str) -> &'static str {
    match parse_frame(text) {
        Ok(None) => "ignored",
        Err(error) => {
            assert_eq!(error.code, ErrorCode::FormationViolation);
            assert!(!error.description.is_empty());
            if let Some(answer) = error.to_call_error() {
                assert_answer_readable(&answer);
            }
            error.code.as_str()
        }
        Ok(Some(frame)) => {
            // What we send is what we read.
            assert_eq!(parse_frame(&frame.to_text()), Ok(Some(frame.clone())));
            match frame {
                Frame::Call {
                    id,
                    action,
                    payload,
                } => {
                    // The simulator's side: the same payload as any confirmation, and as a command.
                    parse_every_response(&payload);
                    let _ = PayloadError::unhandled_action(&action);
                    match parse_command(&action, &payload) {
                        // Accepted input re-encodes to the same, valid payload.
                        Ok(command) => assert_eq!(command.to_payload().as_ref(), Ok(&payload)),
                        Err(error) => {
                            assert_payload_error(&error);
                            assert_answer_readable(&error.to_call_error(&id));
                        }
                    }
                    match parse_charge_point_call(&action, &payload) {
                        Ok(_) => "request",
                        Err(error) => {
                            assert_payload_error(&error);
                            assert_answer_readable(&error.to_call_error(&id));
                            error.code.as_str()
                        }
                    }
                }
                Frame::CallResult { payload, .. } => {
                    parse_every_response(&payload);
                    "answer"
                }
                Frame::CallError { code, .. } => {
                    let _ = ErrorCode::parse(&code);
                    "answer"
                }
            }
        }
    }
}

/// Every request and confirmation reading of a payload (structural mutations hit all schemas this way);
/// returns the outcomes of the request readings.
fn check_payload(payload: &Value) -> Vec<&'static str> {
    parse_every_response(payload);
    for action in Action::VALUES {
        match parse_command(action, payload) {
            Ok(command) => assert_eq!(command.to_payload().as_ref(), Ok(payload)),
            Err(error) => assert_payload_error(&error),
        }
    }
    Action::VALUES
        .iter()
        .map(
            |action| match parse_request(Action::parse(action).unwrap(), payload) {
                Ok(_) => "request",
                Err(error) => {
                    assert_payload_error(&error);
                    error.code.as_str()
                }
            },
        )
        .collect()
}

fn parse_every_response(payload: &Value) {
    fn one<T: ocpp::Payload>(payload: &Value) {
        match parse_response::<T>(payload) {
            // Accepted input re-encodes to the same, valid payload.
            Ok(message) => assert_eq!(ocpp::encode(&message).as_ref(), Ok(payload)),
            Err(error) => assert_payload_error(&error),
        }
    }
    one::<AuthorizeResponse>(payload);
    one::<BootNotificationResponse>(payload);
    one::<DataTransferResponse>(payload);
    one::<DiagnosticsStatusNotificationResponse>(payload);
    one::<FirmwareStatusNotificationResponse>(payload);
    one::<HeartbeatResponse>(payload);
    one::<MeterValuesResponse>(payload);
    one::<StartTransactionResponse>(payload);
    one::<StatusNotificationResponse>(payload);
    one::<StopTransactionResponse>(payload);
    one::<MeterValuesRequest>(payload);
    one::<StopTransactionRequest>(payload);
    // The central system's reading of the answers to its commands.
    for action in Action::VALUES {
        match parse_command_response(Action::parse(action).unwrap(), payload) {
            Ok(response) => assert_eq!(response.to_payload().as_ref(), Ok(payload)),
            Err(error) => assert_payload_error(&error),
        }
    }
}

fn assert_payload_error(error: &PayloadError) {
    // A schema violation is never blamed on us.
    assert_ne!(error.code, ErrorCode::InternalError, "{error}");
    assert!(!error.description.is_empty());
    assert!(
        error.description.chars().count() < 600,
        "descriptions stay short: {error}"
    );
}

/// Our own answers must be frames our own parser reads (unless we echo a peer's over-long id).
fn assert_answer_readable(answer: &Frame) {
    if answer.id().chars().count() <= MAX_MESSAGE_ID_LEN {
        assert_eq!(parse_frame(&answer.to_text()), Ok(Some(answer.clone())));
    }
}

fn guarded(input: &str, check: impl FnOnce()) {
    if catch_unwind(AssertUnwindSafe(check)).is_err() {
        panic!("panicked on input: {input:?}");
    }
}

#[test]
fn every_truncation_of_every_seed() {
    for seed in SEEDS.iter().chain(COMMAND_SEEDS) {
        for (end, _) in seed.char_indices().chain([(seed.len(), ' ')]) {
            let text = &seed[..end];
            guarded(text, || {
                receive_everything(text);
            });
        }
    }
}

#[test]
fn many_text_mutations() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut seen = std::collections::BTreeMap::new();
    for _ in 0..20_000 {
        let mut text: Vec<char> = SEEDS[rng.below(SEEDS.len())].chars().collect();
        for _ in 0..=rng.below(4) {
            let at = rng.below(text.len() + 1);
            match rng.below(4) {
                // Delete a short range.
                0 => {
                    let end = (at + 1 + rng.below(8)).min(text.len());
                    text.drain(at.min(end)..end);
                }
                // Insert a token.
                1 => {
                    let token = TOKENS[rng.below(TOKENS.len())];
                    text.splice(at..at, token.chars());
                }
                // Replace a character by an arbitrary one (any Unicode scalar value).
                2 if at < text.len() => {
                    text[at] = char::from_u32(rng.next() as u32 % 0x11_0000).unwrap_or('\u{fffd}');
                }
                // Duplicate a slice.
                _ => {
                    let end = (at + rng.below(20)).min(text.len());
                    let copy: Vec<char> = text[at.min(end)..end].to_vec();
                    text.splice(at..at, copy);
                }
            }
        }
        let text: String = text.into_iter().collect();
        guarded(&text, || {
            *seen.entry(receive_everything(&text)).or_insert(0) += 1;
        });
    }
    // The generator reaches every outcome, not just broken JSON (type violations come mostly from
    // `many_payload_mutations`: a text mutation that changes a value's type seldom leaves valid JSON).
    for outcome in [
        "ignored",
        "request",
        "answer",
        "FormationViolation",
        "NotImplemented",
        "NotSupported",
        "OccurenceConstraintViolation",
        "PropertyConstraintViolation",
    ] {
        assert!(
            seen.get(outcome).copied().unwrap_or(0) > 10,
            "{outcome}: {seen:?}"
        );
    }
}

/// Replaces one random node of `value` (or inserts/removes a field) with a random value.
fn mutate(value: &mut Value, rng: &mut Rng, depth: usize) {
    let descend = depth < 6 && rng.below(3) != 0;
    match value {
        Value::Object(map) if descend && !map.is_empty() => {
            let key = map.keys().nth(rng.below(map.len())).unwrap().clone();
            match rng.below(6) {
                0 => {
                    map.remove(&key);
                }
                1 => {
                    let extra = ["extra", "idTag", "status", "value", "unit", ""][rng.below(6)];
                    map.insert(extra.to_owned(), random_value(rng));
                }
                _ => mutate(map.get_mut(&key).unwrap(), rng, depth + 1),
            }
        }
        Value::Array(items) if descend && !items.is_empty() => {
            let index = rng.below(items.len());
            match rng.below(5) {
                0 => {
                    items.remove(index);
                }
                1 => items.push(items[index].clone()),
                _ => mutate(&mut items[index], rng, depth + 1),
            }
        }
        _ => *value = random_value(rng),
    }
}

fn random_value(rng: &mut Rng) -> Value {
    match rng.below(16) {
        0 => Value::Null,
        1 => json!(true),
        2 => json!(-1),
        3 => json!(0),
        4 => json!(i64::MAX),
        5 => json!(u64::MAX),
        6 => json!(1.5),
        7 => json!(""),
        8 => json!("x".repeat(rng.below(300))),
        9 => json!("2013-02-01T20:53:32Z"),
        10 => json!("Accepted"),
        11 => json!([]),
        12 => json!({}),
        13 => json!([{"value": "1"}]),
        14 => Value::Object(Map::from_iter([(
            "value".to_owned(),
            json!("ü".repeat(60)),
        )])),
        _ => json!(-0.0),
    }
}

#[test]
fn many_payload_mutations() {
    let payloads: Vec<Value> = SEEDS
        .iter()
        .chain(COMMAND_SEEDS)
        .filter_map(|seed| match parse_frame(seed) {
            Ok(Some(Frame::Call { payload, .. } | Frame::CallResult { payload, .. })) => {
                Some(payload)
            }
            _ => None,
        })
        .collect();
    let mut rng = Rng(0x0123_4567_89ab_cdef);
    let mut seen = std::collections::BTreeMap::new();
    for _ in 0..3_000 {
        let mut payload = payloads[rng.below(payloads.len())].clone();
        for _ in 0..=rng.below(3) {
            mutate(&mut payload, &mut rng, 0);
        }
        let text = payload.to_string();
        guarded(&text, || {
            for outcome in check_payload(&payload) {
                *seen.entry(outcome).or_insert(0) += 1;
            }
        });
    }
    for outcome in [
        "request",
        "OccurenceConstraintViolation",
        "TypeConstraintViolation",
        "PropertyConstraintViolation",
    ] {
        assert!(
            seen.get(outcome).copied().unwrap_or(0) > 10,
            "{outcome}: {seen:?}"
        );
    }
}
