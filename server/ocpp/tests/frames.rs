//! The OCPP-J envelope: well-formed frames, every FormationViolation path, ignored message types, and the
//! error codes' spellings.

use ocpp::{parse_frame, Action, ErrorCode, Frame, FrameError, MessageType, SUBPROTOCOL};
use serde_json::json;

fn frame(text: &str) -> Frame {
    parse_frame(text)
        .unwrap_or_else(|error| panic!("{text}: {error}"))
        .unwrap_or_else(|| panic!("{text}: ignored"))
}

fn formation(text: &str) -> FrameError {
    let error = parse_frame(text).expect_err(text);
    assert_eq!(error.code, ErrorCode::FormationViolation, "{text}");
    assert!(!error.description.is_empty());
    error
}

#[test]
fn the_subprotocol_is_ocpp16() {
    assert_eq!(SUBPROTOCOL, "ocpp1.6");
}

#[test]
fn reads_the_three_message_types() {
    let call = frame(
        r#"[2,"19223201","BootNotification",{"chargePointVendor":"VendorX","chargePointModel":"SingleSocketCharger"}]"#,
    );
    assert_eq!(
        call,
        Frame::Call {
            id: "19223201".into(),
            action: "BootNotification".into(),
            payload: json!({"chargePointVendor": "VendorX", "chargePointModel": "SingleSocketCharger"}),
        }
    );
    assert_eq!(call.id(), "19223201");
    assert_eq!(call.message_type(), MessageType::Call);

    let result = frame(
        r#"[3,"19223201",{"status":"Accepted","currentTime":"2013-02-01T20:53:32.486Z","interval":300}]"#,
    );
    assert_eq!(
        result,
        Frame::CallResult {
            id: "19223201".into(),
            payload: json!({"status": "Accepted", "currentTime": "2013-02-01T20:53:32.486Z", "interval": 300}),
        }
    );

    let error =
        frame(r#"[4,"162376037","NotSupported","SetDisplayMessageRequest not implemented",{}]"#);
    assert_eq!(
        error,
        Frame::CallError {
            id: "162376037".into(),
            code: "NotSupported".into(),
            description: "SetDisplayMessageRequest not implemented".into(),
            details: json!({}),
        }
    );
    assert_eq!(error.id(), "162376037");

    // Whitespace between elements is fine; an empty description too.
    let spaced = frame("[ 4 , \"1\" , \"GenericError\" , \"\" , { \"a\" : 1 } ]\n");
    assert_eq!(spaced.id(), "1");
}

#[test]
fn to_text_writes_what_parse_frame_reads() {
    let frames = [
        Frame::Call {
            id: "a1".into(),
            action: "Heartbeat".into(),
            payload: json!({}),
        },
        Frame::CallResult {
            id: "a1".into(),
            payload: json!({"currentTime": "2013-02-01T20:53:32.486Z"}),
        },
        Frame::call_error(
            "a1",
            ErrorCode::OccurenceConstraintViolation,
            "idTag: \"quoted\"",
        ),
    ];
    for frame in frames {
        assert_eq!(parse_frame(&frame.to_text()).unwrap(), Some(frame));
    }
    assert_eq!(
        Frame::call_error("7", ErrorCode::NotImplemented, "unknown action \"Foo\"").to_text(),
        r#"[4,"7","NotImplemented","unknown action \"Foo\"",{}]"#
    );
    assert_eq!(
        Frame::Call {
            id: "19223201".into(),
            action: "Heartbeat".into(),
            payload: json!({})
        }
        .to_text(),
        r#"[2,"19223201","Heartbeat",{}]"#
    );
}

#[test]
fn malformed_json_is_a_formation_violation_without_an_id() {
    for text in [
        "",
        "   ",
        "[2,\"1\",\"Heartbeat\",{}",
        "[2,'1','Heartbeat',{}]",
        "[2,\"1\",\"Heartbeat\",{},]",
        "[2,\"1\",\"Heartbeat\",{}] trailing",
        "\u{feff}[2,\"1\",\"Heartbeat\",{}]",
    ] {
        let error = formation(text);
        assert_eq!(error.id, None, "{text:?}");
        assert!(error.description.starts_with("not valid JSON"), "{error}");
        assert_eq!(
            error.to_call_error(),
            None,
            "{text:?}: cannot be correlated"
        );
    }
}

#[test]
fn a_frame_must_be_a_non_empty_array() {
    for text in [
        r#"{"messageTypeId":2}"#,
        r#""[2,\"1\",\"Heartbeat\",{}]""#,
        "42",
        "null",
        "true",
        "[]",
    ] {
        let error = formation(text);
        assert_eq!(error.id, None, "{text}");
        assert_eq!(error.to_call_error(), None, "{text}");
    }
    assert_eq!(
        formation(r#"{"a":1}"#).description,
        "a frame must be a JSON array, got an object"
    );
}

#[test]
fn the_message_type_must_be_an_integer() {
    for text in [
        r#"["2","19223201","Heartbeat",{}]"#,
        r#"[2.0,"19223201","Heartbeat",{}]"#,
        r#"[2.5,"19223201","Heartbeat",{}]"#,
        r#"[null,"19223201","Heartbeat",{}]"#,
        r#"[[2],"19223201","Heartbeat",{}]"#,
    ] {
        let error = formation(text);
        // The id could be read, and the frame may have been a CALL: it can be answered.
        assert_eq!(error.id.as_deref(), Some("19223201"), "{text}");
        assert_eq!(error.message_type, None);
        let answer = error.to_call_error().expect(text);
        assert_eq!(answer.id(), "19223201");
        assert!(
            matches!(answer, Frame::CallError { ref code, .. } if code == "FormationViolation")
        );
    }
}

#[test]
fn unknown_message_type_numbers_are_ignored() {
    for text in [
        r#"[5,"19223201","Heartbeat",{}]"#,
        r#"[6,"19223201",{}]"#,
        "[0]",
        "[1,2,3]",
        "[-2,\"x\"]",
        "[18446744073709551615]",
        "[-9223372036854775808, null]",
    ] {
        assert_eq!(parse_frame(text), Ok(None), "{text}");
    }
}

#[test]
fn wrong_element_counts_are_formation_violations() {
    let cases = [
        (r#"[2,"19223201","Heartbeat"]"#, "CALL", Some("19223201")),
        (
            r#"[2,"19223201","Heartbeat",{},{}]"#,
            "CALL",
            Some("19223201"),
        ),
        (r#"[2,"19223201"]"#, "CALL", Some("19223201")),
        ("[2]", "CALL", None),
        (r#"[3,"19223201"]"#, "CALLRESULT", Some("19223201")),
        (r#"[3,"19223201",{},{}]"#, "CALLRESULT", Some("19223201")),
        (
            r#"[4,"19223201","GenericError",{}]"#,
            "CALLERROR",
            Some("19223201"),
        ),
        (
            r#"[4,"19223201","GenericError","",{},{}]"#,
            "CALLERROR",
            Some("19223201"),
        ),
    ];
    for (text, kind, id) in cases {
        let error = formation(text);
        assert!(
            error.description.starts_with(&format!(
                "the frame does not have the structure of a {kind}:"
            )),
            "{text}: {error}"
        );
        assert_eq!(error.id.as_deref(), id, "{text}");
    }
    assert_eq!(
        formation(r#"[2,"19223201","Heartbeat"]"#).description,
        "the frame does not have the structure of a CALL: expected 4 elements \
         [2, messageId, action, payload], got 3"
    );
    // A broken CALL is answered; a broken CALLRESULT or CALLERROR is only logged (OCPP-J answers only CALLs).
    let call = formation(r#"[2,"19223201","Heartbeat"]"#);
    assert_eq!(
        call.to_call_error().unwrap().to_text(),
        r#"[4,"19223201","FormationViolation","the frame does not have the structure of a CALL: expected 4 elements [2, messageId, action, payload], got 3",{}]"#
    );
    assert_eq!(formation(r#"[3,"19223201"]"#).to_call_error(), None);
    assert_eq!(
        formation(r#"[4,"19223201","GenericError",{}]"#).to_call_error(),
        None
    );
    assert_eq!(formation("[2]").to_call_error(), None);
}

#[test]
fn the_message_id_must_be_a_string() {
    for text in [
        r#"[2,19223201,"Heartbeat",{}]"#,
        r#"[2,null,"Heartbeat",{}]"#,
        r#"[2,["1"],"Heartbeat",{}]"#,
        r#"[3,1,{}]"#,
    ] {
        let error = formation(text);
        assert_eq!(error.id, None, "{text}");
        assert!(error
            .description
            .starts_with("the message id must be a string"));
        assert_eq!(
            error.to_call_error(),
            None,
            "{text}: nothing to correlate with"
        );
    }
}

#[test]
fn the_message_id_has_at_most_36_characters() {
    let id36 = "0123456789abcdef0123456789abcdef0123";
    let id37 = format!("{id36}4");
    assert_eq!(id36.len(), 36);
    assert_eq!(
        frame(&format!(r#"[2,"{id36}","Heartbeat",{{}}]"#)).id(),
        id36
    );
    // Counted in characters, not bytes.
    let wide = "é".repeat(36);
    assert_eq!(frame(&format!(r#"[3,"{wide}",{{}}]"#)).id(), wide);

    let error = formation(&format!(r#"[2,"{id37}","Heartbeat",{{}}]"#));
    assert_eq!(
        error.description,
        "the message id must be at most 36 characters (got 37)"
    );
    // The over-long id is echoed so that the peer can correlate the refusal.
    assert_eq!(error.id.as_deref(), Some(id37.as_str()));
    assert_eq!(error.to_call_error().unwrap().id(), id37);
}

#[test]
fn elements_must_have_their_types() {
    let cases = [
        (
            r#"[2,"1",5,{}]"#,
            "the action of a CALL must be a string, got a number (5)",
        ),
        (
            r#"[2,"1",null,{}]"#,
            "the action of a CALL must be a string, got null",
        ),
        (
            r#"[2,"1","Heartbeat",[]]"#,
            "the payload of a CALL must be a JSON object, got an array",
        ),
        (
            r#"[2,"1","Heartbeat",null]"#,
            "the payload of a CALL must be a JSON object, got null",
        ),
        (
            r#"[2,"1","Heartbeat","{}"]"#,
            "the payload of a CALL must be a JSON object, got a string (\"{}\")",
        ),
        (
            r#"[3,"1",[]]"#,
            "the payload of a CALLRESULT must be a JSON object, got an array",
        ),
        (
            r#"[4,"1",404,"",{}]"#,
            "the error code of a CALLERROR must be a string, got a number (404)",
        ),
        (
            r#"[4,"1","GenericError",null,{}]"#,
            "the error description of a CALLERROR must be a string, got null",
        ),
        (
            r#"[4,"1","GenericError","",null]"#,
            "the error details of a CALLERROR must be a JSON object, got null",
        ),
    ];
    for (text, description) in cases {
        let error = formation(text);
        assert_eq!(error.description, description, "{text}");
        assert_eq!(error.id.as_deref(), Some("1"));
    }
    assert!(formation(r#"[2,"1",5,{}]"#).to_call_error().is_some());
    assert!(formation(r#"[3,"1",[]]"#).to_call_error().is_none());
}

#[test]
fn deeply_nested_input_does_not_overflow_the_stack() {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    formation(&deep);
    let deep_payload = format!(
        r#"[2,"1","Heartbeat",{}{}]"#,
        r#"{"a":"#.repeat(50_000),
        "}".repeat(50_000)
    );
    formation(&deep_payload);
}

#[test]
fn error_codes_have_the_ocpp_16_spellings() {
    let all = [
        (ErrorCode::NotImplemented, "NotImplemented"),
        (ErrorCode::NotSupported, "NotSupported"),
        (ErrorCode::InternalError, "InternalError"),
        (ErrorCode::ProtocolError, "ProtocolError"),
        (ErrorCode::SecurityError, "SecurityError"),
        (ErrorCode::FormationViolation, "FormationViolation"),
        (
            ErrorCode::PropertyConstraintViolation,
            "PropertyConstraintViolation",
        ),
        (
            ErrorCode::OccurenceConstraintViolation,
            "OccurenceConstraintViolation",
        ),
        (
            ErrorCode::TypeConstraintViolation,
            "TypeConstraintViolation",
        ),
        (ErrorCode::GenericError, "GenericError"),
    ];
    assert_eq!(ErrorCode::VALUES.len(), all.len());
    for (code, text) in all {
        assert_eq!(code.as_str(), text);
        assert_eq!(code.to_string(), text);
        assert_eq!(ErrorCode::parse(text), Some(code));
    }
    // The 2.0.1 spellings (and the Python library's) are not 1.6 codes.
    assert_eq!(ErrorCode::parse("FormatViolation"), None);
    assert_eq!(ErrorCode::parse("OccurrenceConstraintViolation"), None);
    assert_eq!(ErrorCode::parse("notimplemented"), None);
}

#[test]
fn actions_round_trip_and_know_their_initiator() {
    assert_eq!(Action::VALUES.len(), 28);
    let charge_point: Vec<_> = Action::VALUES
        .iter()
        .map(|name| Action::parse(name).unwrap())
        .filter(|action| action.is_charge_point_initiated())
        .collect();
    assert_eq!(
        charge_point,
        [
            Action::Authorize,
            Action::BootNotification,
            Action::DataTransfer,
            Action::DiagnosticsStatusNotification,
            Action::FirmwareStatusNotification,
            Action::Heartbeat,
            Action::MeterValues,
            Action::StartTransaction,
            Action::StatusNotification,
            Action::StopTransaction,
        ]
    );
    for name in Action::VALUES {
        assert_eq!(Action::parse(name).unwrap().as_str(), *name);
    }
    assert_eq!(Action::parse("heartbeat"), None);
    assert_eq!(Action::parse("SetDisplayMessage"), None);
    assert!(!Action::RemoteStartTransaction.is_charge_point_initiated());
}
