//! Payload schemas → error codes, typed round trips of every request and confirmation, and energy extraction.

use ocpp::messages::*;
use ocpp::{
    call_frame, checked_response_frame, encode, energy_wh, parse_charge_point_call, parse_frame,
    parse_request, parse_response, response_frame, Action, ErrorCode, Frame, Payload, PayloadError,
    Request,
};
use serde_json::{json, Value};

/// The central system's handling of one received CALL text: the typed request or the CALLERROR text.
fn receive(text: &str) -> Result<Request, String> {
    match parse_frame(text) {
        Ok(Some(Frame::Call {
            id,
            action,
            payload,
        })) => parse_charge_point_call(&action, &payload)
            .map_err(|error| error.to_call_error(&id).to_text()),
        other => panic!("{text}: not a CALL: {other:?}"),
    }
}

fn refused(action: &str, payload: Value) -> PayloadError {
    parse_charge_point_call(action, &payload).expect_err(&payload.to_string())
}

fn assert_refused(action: &str, payload: Value, code: ErrorCode, description: &str) {
    let error = refused(action, payload.clone());
    assert_eq!(
        (error.code, error.description.as_str()),
        (code, description),
        "{action} {payload}"
    );
}

const NOW: &str = "2013-02-01T20:53:32.486Z";

// ---------------------------------------------------------------------------------------------------------
// Actions

#[test]
fn an_unknown_action_is_not_implemented() {
    assert_eq!(
        receive(r#"[2,"1","FooBar",{}]"#).unwrap_err(),
        r#"[4,"1","NotImplemented","unknown action \"FooBar\"",{}]"#
    );
    // OCPP 2.0.1 actions and wrong case are unknown to 1.6.
    for action in ["SetDisplayMessage", "heartbeat", "", "Heartbeat "] {
        assert_eq!(
            refused(action, json!({})).code,
            ErrorCode::NotImplemented,
            "{action:?}"
        );
    }
    assert_eq!(
        PayloadError::unhandled_action("FooBar").code,
        ErrorCode::NotImplemented
    );
}

#[test]
fn a_central_system_action_sent_by_a_charge_point_is_not_supported() {
    assert_eq!(
        receive(r#"[2,"2","RemoteStartTransaction",{"idTag":"04A1B2C3D4E5F6"}]"#).unwrap_err(),
        r#"[4,"2","NotSupported","RemoteStartTransaction is initiated by the central system; a charge point may not send it",{}]"#
    );
    let mut count = 0;
    for name in Action::VALUES {
        let action = Action::parse(name).unwrap();
        if !action.is_charge_point_initiated() {
            count += 1;
            assert_eq!(
                parse_request(action, &json!({})).unwrap_err().code,
                ErrorCode::NotSupported,
                "{name}"
            );
        }
    }
    assert_eq!(count, 18);
    // The simulator's refusal of the central system's calls it does not implement.
    assert_eq!(
        PayloadError::unhandled_action("Reset"),
        PayloadError::new(ErrorCode::NotSupported, "Reset is not supported")
    );
}

// ---------------------------------------------------------------------------------------------------------
// Schema violations

#[test]
fn a_missing_required_field_is_an_occurence_violation() {
    assert_eq!(
        receive(r#"[2,"3","Authorize",{}]"#).unwrap_err(),
        r#"[4,"3","OccurenceConstraintViolation","idTag: required field is missing",{}]"#
    );
    assert_refused(
        "BootNotification",
        json!({"chargePointVendor": "VendorX"}),
        ErrorCode::OccurenceConstraintViolation,
        "chargePointModel: required field is missing",
    );
    assert_refused(
        "StopTransaction",
        json!({"meterStop": 1, "timestamp": NOW}),
        ErrorCode::OccurenceConstraintViolation,
        "transactionId: required field is missing",
    );
    assert_refused(
        "MeterValues",
        json!({"connectorId": 1, "meterValue": [{"timestamp": NOW, "sampledValue": [{"unit": "Wh"}]}]}),
        ErrorCode::OccurenceConstraintViolation,
        "meterValue[0].sampledValue[0].value: required field is missing",
    );
    assert_refused(
        "DataTransfer",
        json!({"messageId": "x"}),
        ErrorCode::OccurenceConstraintViolation,
        "vendorId: required field is missing",
    );
}

#[test]
fn too_few_array_items_is_an_occurence_violation() {
    assert_refused(
        "MeterValues",
        json!({"connectorId": 1, "meterValue": []}),
        ErrorCode::OccurenceConstraintViolation,
        "meterValue: at least 1 item(s) required (got 0)",
    );
    assert_refused(
        "MeterValues",
        json!({"connectorId": 1, "meterValue": [{"timestamp": NOW, "sampledValue": []}]}),
        ErrorCode::OccurenceConstraintViolation,
        "meterValue[0].sampledValue: at least 1 item(s) required (got 0)",
    );
}

#[test]
fn an_extra_field_is_an_occurence_violation() {
    assert_eq!(
        receive(r#"[2,"4","Authorize",{"idTag":"04A1B2C3","foo":1}]"#).unwrap_err(),
        r#"[4,"4","OccurenceConstraintViolation","foo: not a field of AuthorizeRequest (additional fields are not allowed)",{}]"#
    );
    assert_refused(
        "Heartbeat",
        json!({"currentTime": NOW}),
        ErrorCode::OccurenceConstraintViolation,
        "currentTime: not a field of HeartbeatRequest (additional fields are not allowed)",
    );
    assert_refused(
        "MeterValues",
        json!({"connectorId": 1, "meterValue": [{"timestamp": NOW, "sampledValue": [{"value": "1", "signedData": "x"}]}]}),
        ErrorCode::OccurenceConstraintViolation,
        "meterValue[0].sampledValue[0].signedData: not a field of SampledValue (additional fields are not allowed)",
    );
    // A misspelt required field reads as missing (the schema's fields are checked first).
    assert_refused(
        "Authorize",
        json!({"idtag": "04A1B2C3"}),
        ErrorCode::OccurenceConstraintViolation,
        "idTag: required field is missing",
    );
    // The echoed field name is cut short.
    let long = "x".repeat(1000);
    let error = refused("Heartbeat", json!({ long: 1 }));
    assert!(error.description.len() < 200, "{}", error.description);
}

#[test]
fn a_wrong_json_type_is_a_type_violation() {
    assert_eq!(
        receive(r#"[2,"5","Authorize",{"idTag":12345678}]"#).unwrap_err(),
        r#"[4,"5","TypeConstraintViolation","idTag: expected a string, got a number",{}]"#
    );
    let cases = [
        (
            "Authorize",
            json!({"idTag": null}),
            "idTag: expected a string, got null",
        ),
        (
            "StatusNotification",
            json!({"connectorId": "1", "errorCode": "NoError", "status": "Available"}),
            "connectorId: expected an integer, got a string",
        ),
        (
            "StatusNotification",
            json!({"connectorId": 1.5, "errorCode": "NoError", "status": "Available"}),
            "connectorId: expected an integer, got 1.5",
        ),
        (
            "StatusNotification",
            json!({"connectorId": 1.0, "errorCode": "NoError", "status": "Available"}),
            "connectorId: expected an integer, got 1.0",
        ),
        (
            "StatusNotification",
            json!({"connectorId": 1, "errorCode": 0, "status": "Available"}),
            "errorCode: expected a string, got a number",
        ),
        (
            "StartTransaction",
            json!({"connectorId": 1, "idTag": "A", "meterStart": 0, "timestamp": 1359751412}),
            "timestamp: expected a string (date-time), got a number",
        ),
        (
            "MeterValues",
            json!({"connectorId": 1, "meterValue": {"timestamp": NOW}}),
            "meterValue: expected an array, got an object",
        ),
        (
            "MeterValues",
            json!({"connectorId": 1, "meterValue": ["x"]}),
            "meterValue[0]: expected an object, got a string",
        ),
        (
            "MeterValues",
            json!({"connectorId": 1, "meterValue": [{"timestamp": NOW, "sampledValue": [{"value": 1234}]}]}),
            "meterValue[0].sampledValue[0].value: expected a string, got a number",
        ),
        (
            "StopTransaction",
            json!({"meterStop": "1", "timestamp": NOW, "transactionId": 1}),
            "meterStop: expected an integer, got a string",
        ),
        (
            "StopTransaction",
            json!({"meterStop": 1, "timestamp": NOW, "transactionId": true}),
            "transactionId: expected an integer, got a boolean",
        ),
    ];
    for (action, payload, description) in cases {
        assert_refused(
            action,
            payload,
            ErrorCode::TypeConstraintViolation,
            description,
        );
    }
    // The payload itself must be an object (parse_frame already ensures this for received frames).
    assert_eq!(
        parse_request(Action::Heartbeat, &json!([])).unwrap_err(),
        PayloadError::new(
            ErrorCode::TypeConstraintViolation,
            "payload: expected an object, got an array"
        )
    );
}

#[test]
fn a_string_too_long_is_a_property_violation() {
    let id21 = "04A1B2C3D4E5F60708091";
    assert_eq!(id21.len(), 21);
    assert_eq!(
        receive(&format!(r#"[2,"6","Authorize",{{"idTag":"{id21}"}}]"#)).unwrap_err(),
        r#"[4,"6","PropertyConstraintViolation","idTag: at most 20 characters (got 21)",{}]"#
    );
    assert!(parse_charge_point_call("Authorize", &json!({"idTag": &id21[..20]})).is_ok());
    // Characters, not bytes.
    assert!(parse_charge_point_call("Authorize", &json!({"idTag": "ü".repeat(20)})).is_ok());
    let cases = [
        (
            "BootNotification",
            json!({"chargePointVendor": "V".repeat(21), "chargePointModel": "M"}),
            "chargePointVendor: at most 20 characters (got 21)",
        ),
        (
            "BootNotification",
            json!({"chargePointVendor": "V", "chargePointModel": "M", "firmwareVersion": "1".repeat(51)}),
            "firmwareVersion: at most 50 characters (got 51)",
        ),
        (
            "StatusNotification",
            json!({"connectorId": 1, "errorCode": "OtherError", "status": "Faulted", "vendorErrorCode": "E".repeat(51)}),
            "vendorErrorCode: at most 50 characters (got 51)",
        ),
        (
            "DataTransfer",
            json!({"vendorId": "v".repeat(256)}),
            "vendorId: at most 255 characters (got 256)",
        ),
        (
            "StopTransaction",
            json!({"idTag": id21, "meterStop": 1, "timestamp": NOW, "transactionId": 1}),
            "idTag: at most 20 characters (got 21)",
        ),
    ];
    for (action, payload, description) in cases {
        assert_refused(
            action,
            payload,
            ErrorCode::PropertyConstraintViolation,
            description,
        );
    }
}

#[test]
fn a_value_outside_its_enumeration_is_a_property_violation() {
    assert_eq!(
        receive(r#"[2,"7","StatusNotification",{"connectorId":1,"errorCode":"NoError","status":"Busy"}]"#)
            .unwrap_err(),
        r#"[4,"7","PropertyConstraintViolation","status: \"Busy\" is not one of Available, Preparing, Charging, SuspendedEVSE, SuspendedEV, Finishing, Reserved, Unavailable, Faulted",{}]"#
    );
    let cases = [
        (
            "StatusNotification",
            json!({"connectorId": 1, "errorCode": "noError", "status": "Available"}),
            "errorCode",
        ),
        (
            "DiagnosticsStatusNotification",
            json!({"status": "Done"}),
            "status",
        ),
        (
            "FirmwareStatusNotification",
            json!({"status": "installed"}),
            "status",
        ),
        (
            "StopTransaction",
            json!({"meterStop": 1, "timestamp": NOW, "transactionId": 1, "reason": "Timeout"}),
            "reason",
        ),
        (
            "MeterValues",
            json!({"connectorId": 1, "meterValue": [{"timestamp": NOW, "sampledValue": [{"value": "1", "unit": "kwh"}]}]}),
            "meterValue[0].sampledValue[0].unit",
        ),
        (
            "MeterValues",
            json!({"connectorId": 1, "meterValue": [{"timestamp": NOW, "sampledValue": [{"value": "1", "measurand": "Energy.Active.Import"}]}]}),
            "meterValue[0].sampledValue[0].measurand",
        ),
        (
            "MeterValues",
            json!({"connectorId": 1, "meterValue": [{"timestamp": NOW, "sampledValue": [{"value": "1", "phase": "L1N"}]}]}),
            "meterValue[0].sampledValue[0].phase",
        ),
    ];
    for (action, payload, path) in cases {
        let error = refused(action, payload);
        assert_eq!(error.code, ErrorCode::PropertyConstraintViolation, "{path}");
        assert!(
            error.description.starts_with(&format!("{path}: ")),
            "{}",
            error.description
        );
    }
}

#[test]
fn an_integer_below_its_minimum_or_beyond_64_bits_is_a_property_violation() {
    let start = |connector: Value| json!({"connectorId": connector, "idTag": "A", "meterStart": 0, "timestamp": NOW});
    assert_refused(
        "StartTransaction",
        start(json!(0)),
        ErrorCode::PropertyConstraintViolation,
        "connectorId: must be at least 1 (got 0)",
    );
    assert!(parse_charge_point_call("StartTransaction", &start(json!(1))).is_ok());
    assert_refused(
        "StatusNotification",
        json!({"connectorId": -1, "errorCode": "NoError", "status": "Available"}),
        ErrorCode::PropertyConstraintViolation,
        "connectorId: must be at least 0 (got -1)",
    );
    assert!(parse_charge_point_call(
        "StatusNotification",
        &json!({"connectorId": 0, "errorCode": "NoError", "status": "Available"})
    )
    .is_ok());
    assert_refused(
        "StopTransaction",
        json!({"meterStop": 9_223_372_036_854_775_808u64, "timestamp": NOW, "transactionId": 1}),
        ErrorCode::PropertyConstraintViolation,
        "meterStop: 9223372036854775808 is out of range",
    );
}

#[test]
fn a_malformed_timestamp_is_a_property_violation() {
    assert_eq!(
        receive(r#"[2,"8","StartTransaction",{"connectorId":1,"idTag":"04A1B2C3","meterStart":0,"timestamp":"2013-02-01 20:53:32"}]"#)
            .unwrap_err(),
        r#"[4,"8","PropertyConstraintViolation","timestamp: \"2013-02-01 20:53:32\" is not an RFC 3339 date-time (expected 'T' between date and time)",{}]"#
    );
    for (action, payload, path) in [
        (
            "StopTransaction",
            json!({"meterStop": 1, "timestamp": "2013-02-30T20:53:32Z", "transactionId": 1}),
            "timestamp",
        ),
        (
            "StatusNotification",
            json!({"connectorId": 1, "errorCode": "NoError", "status": "Available", "timestamp": "2013-02-01T20:53:32"}),
            "timestamp",
        ),
        (
            "MeterValues",
            json!({"connectorId": 1, "meterValue": [{"timestamp": "yesterday", "sampledValue": [{"value": "1"}]}]}),
            "meterValue[0].timestamp",
        ),
        (
            "StopTransaction",
            json!({"meterStop": 1, "timestamp": NOW, "transactionId": 1, "transactionData": [{"timestamp": "", "sampledValue": []}]}),
            "transactionData[0].timestamp",
        ),
    ] {
        let error = refused(action, payload);
        assert_eq!(error.code, ErrorCode::PropertyConstraintViolation);
        assert!(
            error.description.starts_with(&format!("{path}: ")),
            "{}",
            error.description
        );
        assert!(error.description.contains("RFC 3339"));
    }
    // Offsets and fractions are fine.
    assert!(parse_charge_point_call(
        "StopTransaction",
        &json!({"meterStop": 1, "timestamp": "2013-02-01T21:53:32.123456+01:00", "transactionId": 1})
    )
    .is_ok());
}

#[test]
fn a_confirmation_is_checked_like_a_request() {
    let boot: BootNotificationResponse =
        parse_response(&json!({"status": "Accepted", "currentTime": NOW, "interval": 300}))
            .unwrap();
    assert_eq!(
        boot,
        BootNotificationResponse {
            status: RegistrationStatus::Accepted,
            current_time: NOW.into(),
            interval: 300,
        }
    );
    let cases = [
        (
            parse_response::<BootNotificationResponse>(
                &json!({"status": "Accepted", "currentTime": NOW}),
            ),
            ErrorCode::OccurenceConstraintViolation,
            "interval: required field is missing",
        ),
        (
            parse_response::<BootNotificationResponse>(
                &json!({"status": "OK", "currentTime": NOW, "interval": 300}),
            ),
            ErrorCode::PropertyConstraintViolation,
            "status: \"OK\" is not one of Accepted, Pending, Rejected",
        ),
        (
            parse_response::<BootNotificationResponse>(
                &json!({"status": "Accepted", "currentTime": NOW, "interval": "300"}),
            ),
            ErrorCode::TypeConstraintViolation,
            "interval: expected an integer, got a string",
        ),
    ];
    for (result, code, description) in cases {
        let error = result.unwrap_err();
        assert_eq!(
            (error.code, error.description.as_str()),
            (code, description)
        );
    }
    let error = parse_response::<AuthorizeResponse>(
        &json!({"idTagInfo": {"status": "Accepted", "parentIdTag": "P".repeat(21)}}),
    )
    .unwrap_err();
    assert_eq!(
        (error.code, error.description.as_str()),
        (
            ErrorCode::PropertyConstraintViolation,
            "idTagInfo.parentIdTag: at most 20 characters (got 21)"
        )
    );
    let error = parse_response::<StopTransactionResponse>(
        &json!({"idTagInfo": {"status": "Accepted", "x": 1}}),
    )
    .unwrap_err();
    assert_eq!(
        (error.code, error.description.as_str()),
        (
            ErrorCode::OccurenceConstraintViolation,
            "idTagInfo.x: not a field of IdTagInfo (additional fields are not allowed)"
        )
    );
    assert_eq!(
        parse_response::<MeterValuesResponse>(&json!({"extra": true}))
            .unwrap_err()
            .description,
        "extra: not a field of MeterValuesResponse (additional fields are not allowed)"
    );
}

// ---------------------------------------------------------------------------------------------------------
// Round trips

/// Encodes `message`, compares with the expected JSON, reads it back as both a request (when it is one) and a
/// payload of its type.
fn round_trip<T: Payload + PartialEq + std::fmt::Debug>(message: T, expected: Value) {
    let value = encode(&message).unwrap();
    assert_eq!(value, expected);
    assert_eq!(serde_json::to_value(&message).unwrap(), expected);
    assert_eq!(parse_response::<T>(&value).unwrap(), message);
    assert!(!value.to_string().contains("null"), "{value}");
}

fn request_round_trip<T: ocpp::RequestPayload + PartialEq + std::fmt::Debug + Clone>(
    message: T,
    expected: Value,
    wrap: fn(T) -> Request,
) {
    round_trip(message.clone(), expected.clone());
    let frame = call_frame("42", &message).unwrap();
    let text = frame.to_text();
    // Compared as JSON, not as text: key order is serde_json's business.
    assert_eq!(
        serde_json::from_str::<Value>(&text).unwrap(),
        json!([2, "42", T::ACTION.as_str(), expected])
    );
    let request = receive(&text).unwrap();
    assert_eq!(request.action(), T::ACTION);
    assert_eq!(request, wrap(message));
}

fn id_tag_info() -> IdTagInfo {
    IdTagInfo {
        status: AuthorizationStatus::Accepted,
        expiry_date: Some("2013-02-02T20:53:32Z".into()),
        parent_id_tag: Some("PARENT".into()),
    }
}

fn id_tag_info_json() -> Value {
    json!({"status": "Accepted", "expiryDate": "2013-02-02T20:53:32Z", "parentIdTag": "PARENT"})
}

#[test]
fn authorize_round_trips() {
    request_round_trip(
        AuthorizeRequest {
            id_tag: "04A1B2C3D4E5F6".into(),
        },
        json!({"idTag": "04A1B2C3D4E5F6"}),
        Request::Authorize,
    );
    round_trip(
        AuthorizeResponse {
            id_tag_info: id_tag_info(),
        },
        json!({ "idTagInfo": id_tag_info_json() }),
    );
    round_trip(
        AuthorizeResponse {
            id_tag_info: IdTagInfo::new(AuthorizationStatus::ConcurrentTx),
        },
        json!({"idTagInfo": {"status": "ConcurrentTx"}}),
    );
    for status in AuthorizationStatus::VALUES {
        parse_response::<AuthorizeResponse>(&json!({"idTagInfo": {"status": status}})).unwrap();
    }
}

#[test]
fn boot_notification_round_trips() {
    request_round_trip(
        BootNotificationRequest::new("VendorX", "SingleSocketCharger"),
        json!({"chargePointVendor": "VendorX", "chargePointModel": "SingleSocketCharger"}),
        Request::BootNotification,
    );
    request_round_trip(
        BootNotificationRequest {
            charge_point_vendor: "VendorX".into(),
            charge_point_model: "SingleSocketCharger".into(),
            charge_point_serial_number: Some("CP-0001".into()),
            charge_box_serial_number: Some("CB-0001".into()),
            firmware_version: Some("1.2.3".into()),
            iccid: Some("8931440400012345678".into()),
            imsi: Some("204043123456789".into()),
            meter_type: Some("EEM-350".into()),
            meter_serial_number: Some("M-42".into()),
        },
        json!({
            "chargePointVendor": "VendorX",
            "chargePointModel": "SingleSocketCharger",
            "chargePointSerialNumber": "CP-0001",
            "chargeBoxSerialNumber": "CB-0001",
            "firmwareVersion": "1.2.3",
            "iccid": "8931440400012345678",
            "imsi": "204043123456789",
            "meterType": "EEM-350",
            "meterSerialNumber": "M-42",
        }),
        Request::BootNotification,
    );
    for (status, text) in [
        (RegistrationStatus::Accepted, "Accepted"),
        (RegistrationStatus::Pending, "Pending"),
        (RegistrationStatus::Rejected, "Rejected"),
    ] {
        round_trip(
            BootNotificationResponse {
                status,
                current_time: NOW.into(),
                interval: 300,
            },
            json!({"status": text, "currentTime": NOW, "interval": 300}),
        );
    }
}

#[test]
fn data_transfer_round_trips() {
    request_round_trip(
        DataTransferRequest {
            vendor_id: "com.example".into(),
            message_id: Some("Tariff".into()),
            data: Some("{\"price\":0.30}".into()),
        },
        json!({"vendorId": "com.example", "messageId": "Tariff", "data": "{\"price\":0.30}"}),
        Request::DataTransfer,
    );
    request_round_trip(
        DataTransferRequest {
            vendor_id: "com.example".into(),
            message_id: None,
            data: None,
        },
        json!({"vendorId": "com.example"}),
        Request::DataTransfer,
    );
    round_trip(
        DataTransferResponse {
            status: DataTransferStatus::UnknownVendorId,
            data: None,
        },
        json!({"status": "UnknownVendorId"}),
    );
    round_trip(
        DataTransferResponse {
            status: DataTransferStatus::Accepted,
            data: Some("ok".into()),
        },
        json!({"status": "Accepted", "data": "ok"}),
    );
}

#[test]
fn diagnostics_and_firmware_status_notifications_round_trip() {
    for status in DiagnosticsStatus::VALUES {
        request_round_trip(
            DiagnosticsStatusNotificationRequest {
                status: DiagnosticsStatus::parse(status).unwrap(),
            },
            json!({ "status": status }),
            Request::DiagnosticsStatusNotification,
        );
    }
    for status in FirmwareStatus::VALUES {
        request_round_trip(
            FirmwareStatusNotificationRequest {
                status: FirmwareStatus::parse(status).unwrap(),
            },
            json!({ "status": status }),
            Request::FirmwareStatusNotification,
        );
    }
    assert_eq!(FirmwareStatus::VALUES.len(), 7);
    round_trip(DiagnosticsStatusNotificationResponse {}, json!({}));
    round_trip(FirmwareStatusNotificationResponse {}, json!({}));
}

#[test]
fn heartbeat_round_trips() {
    request_round_trip(HeartbeatRequest {}, json!({}), Request::Heartbeat);
    assert_eq!(
        call_frame("19223201", &HeartbeatRequest {})
            .unwrap()
            .to_text(),
        r#"[2,"19223201","Heartbeat",{}]"#
    );
    round_trip(
        HeartbeatResponse {
            current_time: NOW.into(),
        },
        json!({ "currentTime": NOW }),
    );
}

fn full_sample() -> (SampledValue, Value) {
    (
        SampledValue {
            value: "1234.5".into(),
            context: Some(ReadingContext::SamplePeriodic),
            format: Some(ValueFormat::Raw),
            measurand: Some(Measurand::EnergyActiveImportRegister),
            phase: Some(Phase::L1N),
            location: Some(Location::Outlet),
            unit: Some(UnitOfMeasure::KWh),
        },
        json!({
            "value": "1234.5",
            "context": "Sample.Periodic",
            "format": "Raw",
            "measurand": "Energy.Active.Import.Register",
            "phase": "L1-N",
            "location": "Outlet",
            "unit": "kWh",
        }),
    )
}

#[test]
fn meter_values_round_trip() {
    let (sample, sample_json) = full_sample();
    request_round_trip(
        MeterValuesRequest {
            connector_id: 1,
            transaction_id: Some(7),
            meter_value: vec![MeterValue {
                timestamp: NOW.into(),
                sampled_value: vec![sample, SampledValue::new("17")],
            }],
        },
        json!({
            "connectorId": 1,
            "transactionId": 7,
            "meterValue": [{"timestamp": NOW, "sampledValue": [sample_json, {"value": "17"}]}],
        }),
        Request::MeterValues,
    );
    request_round_trip(
        MeterValuesRequest {
            connector_id: 0,
            transaction_id: None,
            meter_value: vec![MeterValue {
                timestamp: NOW.into(),
                sampled_value: vec![SampledValue::new("1")],
            }],
        },
        json!({"connectorId": 0, "meterValue": [{"timestamp": NOW, "sampledValue": [{"value": "1"}]}]}),
        Request::MeterValues,
    );
    round_trip(MeterValuesResponse {}, json!({}));

    // Every enumeration value of the 1.6 schema is accepted, with its exact spelling.
    for (field, values) in [
        ("context", ReadingContext::VALUES),
        ("format", ValueFormat::VALUES),
        ("measurand", Measurand::VALUES),
        ("phase", Phase::VALUES),
        ("location", Location::VALUES),
        ("unit", UnitOfMeasure::VALUES),
    ] {
        for value in values {
            let payload = json!({"connectorId": 1, "meterValue": [{"timestamp": NOW, "sampledValue": [{"value": "1", field: value}]}]});
            let Ok(Request::MeterValues(request)) = parse_request(Action::MeterValues, &payload)
            else {
                panic!("{field} {value}");
            };
            assert_eq!(
                serde_json::to_value(&request.meter_value[0].sampled_value[0]).unwrap()[field],
                json!(value)
            );
        }
    }
    assert_eq!(Measurand::VALUES.len(), 22);
    assert_eq!(ReadingContext::VALUES.len(), 8);
    assert_eq!(Phase::VALUES.len(), 10);
    assert!(Measurand::VALUES.contains(&"Energy.Active.Import.Register"));
    assert!(ReadingContext::VALUES.contains(&"Sample.Periodic"));
    assert!(
        UnitOfMeasure::VALUES.contains(&"Celcius") && UnitOfMeasure::VALUES.contains(&"Celsius")
    );
}

#[test]
fn a_real_meter_values_frame_is_read() {
    let text = r#"[2,"253","MeterValues",{"connectorId":1,"transactionId":1735,"meterValue":[{"timestamp":"2024-05-06T10:15:00.000Z","sampledValue":[
        {"value":"11.52","context":"Sample.Periodic","format":"Raw","measurand":"Energy.Active.Import.Register","location":"Outlet","unit":"kWh"},
        {"value":"3680","context":"Sample.Periodic","measurand":"Power.Active.Import","unit":"W"},
        {"value":"16.0","context":"Sample.Periodic","measurand":"Current.Import","phase":"L1","unit":"A"},
        {"value":"230.1","context":"Sample.Periodic","measurand":"Voltage","phase":"L1-N","unit":"V"},
        {"value":"54","context":"Sample.Periodic","measurand":"SoC","location":"EV","unit":"Percent"}]}]}]"#;
    let Ok(Request::MeterValues(request)) = receive(text) else {
        panic!("not read")
    };
    assert_eq!(request.transaction_id, Some(1735));
    assert_eq!(request.meter_value[0].sampled_value.len(), 5);
    assert_eq!(request.energy_wh(), Some(11_520.0));
    assert_eq!(
        request.meter_value[0].sampled_value[4].location,
        Some(Location::Ev)
    );
}

#[test]
fn start_transaction_round_trips() {
    request_round_trip(
        StartTransactionRequest {
            connector_id: 1,
            id_tag: "04A1B2C3D4E5F6".into(),
            meter_start: 12_345,
            reservation_id: Some(3),
            timestamp: NOW.into(),
        },
        json!({"connectorId": 1, "idTag": "04A1B2C3D4E5F6", "meterStart": 12345, "reservationId": 3, "timestamp": NOW}),
        Request::StartTransaction,
    );
    request_round_trip(
        StartTransactionRequest {
            connector_id: 2,
            id_tag: "A".into(),
            meter_start: 0,
            reservation_id: None,
            timestamp: NOW.into(),
        },
        json!({"connectorId": 2, "idTag": "A", "meterStart": 0, "timestamp": NOW}),
        Request::StartTransaction,
    );
    round_trip(
        StartTransactionResponse {
            id_tag_info: id_tag_info(),
            transaction_id: 1735,
        },
        json!({"idTagInfo": id_tag_info_json(), "transactionId": 1735}),
    );
}

#[test]
fn status_notification_round_trips() {
    request_round_trip(
        StatusNotificationRequest {
            connector_id: 1,
            error_code: ChargePointErrorCode::EvCommunicationError,
            info: Some("pilot lost".into()),
            status: ChargePointStatus::SuspendedEvse,
            timestamp: Some(NOW.into()),
            vendor_id: Some("com.example".into()),
            vendor_error_code: Some("E42".into()),
        },
        json!({
            "connectorId": 1,
            "errorCode": "EVCommunicationError",
            "info": "pilot lost",
            "status": "SuspendedEVSE",
            "timestamp": NOW,
            "vendorId": "com.example",
            "vendorErrorCode": "E42",
        }),
        Request::StatusNotification,
    );
    assert_eq!(ChargePointErrorCode::VALUES.len(), 16);
    assert_eq!(ChargePointStatus::VALUES.len(), 9);
    for error_code in ChargePointErrorCode::VALUES {
        for status in ChargePointStatus::VALUES {
            request_round_trip(
                StatusNotificationRequest {
                    connector_id: 0,
                    error_code: ChargePointErrorCode::parse(error_code).unwrap(),
                    info: None,
                    status: ChargePointStatus::parse(status).unwrap(),
                    timestamp: None,
                    vendor_id: None,
                    vendor_error_code: None,
                },
                json!({"connectorId": 0, "errorCode": error_code, "status": status}),
                Request::StatusNotification,
            );
        }
    }
    round_trip(StatusNotificationResponse {}, json!({}));
}

#[test]
fn stop_transaction_round_trips_without_id_tag_and_with_transaction_data() {
    // Stopped by the charge point itself: no idTag, no reason (= Local).
    let text = r#"[2,"9","StopTransaction",{"meterStop":20345,"timestamp":"2013-02-01T21:53:32Z","transactionId":1735}]"#;
    let Ok(Request::StopTransaction(stop)) = receive(text) else {
        panic!("not read")
    };
    assert_eq!(stop.id_tag, None);
    assert_eq!(stop.reason, None);
    assert_eq!(stop.reason_or_default(), Reason::Local);
    assert_eq!(stop.transaction_data_energy_wh(), None);

    let (sample, sample_json) = full_sample();
    request_round_trip(
        StopTransactionRequest {
            id_tag: Some("04A1B2C3D4E5F6".into()),
            meter_stop: 20_345,
            timestamp: NOW.into(),
            transaction_id: 1735,
            reason: Some(Reason::EvDisconnected),
            transaction_data: Some(vec![
                MeterValue {
                    timestamp: "2013-02-01T20:00:00Z".into(),
                    sampled_value: vec![SampledValue {
                        context: Some(ReadingContext::TransactionBegin),
                        ..SampledValue::new("12345")
                    }],
                },
                MeterValue {
                    timestamp: NOW.into(),
                    sampled_value: vec![
                        sample,
                        SampledValue {
                            context: Some(ReadingContext::TransactionEnd),
                            ..SampledValue::new("20345")
                        },
                    ],
                },
                // The official schema sets no minItems here: an empty sample list is accepted.
                MeterValue {
                    timestamp: NOW.into(),
                    sampled_value: vec![],
                },
            ]),
        },
        json!({
            "idTag": "04A1B2C3D4E5F6",
            "meterStop": 20345,
            "timestamp": NOW,
            "transactionId": 1735,
            "reason": "EVDisconnected",
            "transactionData": [
                {"timestamp": "2013-02-01T20:00:00Z", "sampledValue": [{"value": "12345", "context": "Transaction.Begin"}]},
                {"timestamp": NOW, "sampledValue": [sample_json, {"value": "20345", "context": "Transaction.End"}]},
                {"timestamp": NOW, "sampledValue": []},
            ],
        }),
        Request::StopTransaction,
    );
    let Ok(Request::StopTransaction(stop)) = parse_request(
        Action::StopTransaction,
        &json!({"meterStop": 20345, "timestamp": NOW, "transactionId": 1735, "transactionData": [
            {"timestamp": NOW, "sampledValue": [{"value": "20.345", "unit": "kWh", "context": "Transaction.End"}]}
        ]}),
    ) else {
        panic!("not read")
    };
    assert_eq!(stop.transaction_data_energy_wh(), Some(20_345.0));

    for reason in Reason::VALUES {
        let payload =
            json!({"meterStop": 1, "timestamp": NOW, "transactionId": 1, "reason": reason});
        assert!(
            parse_request(Action::StopTransaction, &payload).is_ok(),
            "{reason}"
        );
    }
    assert_eq!(Reason::VALUES.len(), 11);

    round_trip(StopTransactionResponse::default(), json!({}));
    round_trip(
        StopTransactionResponse {
            id_tag_info: Some(IdTagInfo::new(AuthorizationStatus::Blocked)),
        },
        json!({"idTagInfo": {"status": "Blocked"}}),
    );
}

// ---------------------------------------------------------------------------------------------------------
// Answer frames

#[test]
fn response_frames_answer_with_camel_case_and_omit_absent_fields() {
    let boot = response_frame(
        "19223201",
        &BootNotificationResponse {
            status: RegistrationStatus::Accepted,
            current_time: NOW.into(),
            interval: 300,
        },
    );
    assert_eq!(
        serde_json::from_str::<Value>(&boot.to_text()).unwrap(),
        json!([3, "19223201", {"status": "Accepted", "currentTime": NOW, "interval": 300}])
    );
    assert_eq!(
        response_frame("1", &StopTransactionResponse::default()).to_text(),
        r#"[3,"1",{}]"#
    );
    assert_eq!(
        response_frame(
            "2",
            &StartTransactionResponse {
                id_tag_info: IdTagInfo::new(AuthorizationStatus::Invalid),
                transaction_id: 5,
            }
        )
        .to_text(),
        r#"[3,"2",{"idTagInfo":{"status":"Invalid"},"transactionId":5}]"#
    );
    // Anything serialisable that is not an object cannot be a CALLRESULT.
    assert_eq!(
        response_frame("3", &5).to_text(),
        r#"[4,"3","InternalError","the confirmation is not a JSON object",{}]"#
    );
    // The simulator answers central-system calls with untyped JSON.
    assert_eq!(
        response_frame("4", &json!({"status": "Rejected"})).to_text(),
        r#"[3,"4",{"status":"Rejected"}]"#
    );
}

#[test]
fn checked_response_frames_never_send_an_invalid_confirmation() {
    let good = AuthorizeResponse {
        id_tag_info: IdTagInfo::new(AuthorizationStatus::Accepted),
    };
    assert_eq!(
        checked_response_frame("1", &good),
        Frame::CallResult {
            id: "1".into(),
            payload: json!({"idTagInfo": {"status": "Accepted"}})
        }
    );
    let bad = AuthorizeResponse {
        id_tag_info: IdTagInfo {
            parent_id_tag: Some("P".repeat(21)),
            ..IdTagInfo::new(AuthorizationStatus::Accepted)
        },
    };
    assert_eq!(
        checked_response_frame("1", &bad).to_text(),
        r#"[4,"1","InternalError","invalid confirmation: idTagInfo.parentIdTag: at most 20 characters (got 21)",{}]"#
    );
    let bad_time = HeartbeatResponse {
        current_time: "now".into(),
    };
    assert!(matches!(
        checked_response_frame("2", &bad_time),
        Frame::CallError { ref code, .. } if code == "InternalError"
    ));
    // The simulator cannot send a request it would refuse to receive.
    assert_eq!(
        call_frame("3", &BootNotificationRequest::new("V".repeat(21), "M"))
            .unwrap_err()
            .code,
        ErrorCode::PropertyConstraintViolation
    );
}

// ---------------------------------------------------------------------------------------------------------
// Energy

#[test]
fn energy_is_read_in_wh_from_wh_and_kwh_registers() {
    let sample = |value: &str, unit: Option<UnitOfMeasure>| SampledValue {
        unit,
        ..SampledValue::new(value)
    };
    assert_eq!(energy_wh(&sample("1234", None)), Some(1234.0));
    assert_eq!(
        energy_wh(&sample("1234.5", Some(UnitOfMeasure::Wh))),
        Some(1234.5)
    );
    assert_eq!(
        energy_wh(&sample("12.5", Some(UnitOfMeasure::KWh))),
        Some(12_500.0)
    );
    assert_eq!(energy_wh(&sample(" 7 ", None)), Some(7.0));
    // Explicit measurand: the same.
    let explicit = SampledValue {
        measurand: Some(Measurand::EnergyActiveImportRegister),
        ..sample("3", Some(UnitOfMeasure::KWh))
    };
    assert_eq!(energy_wh(&explicit), Some(3000.0));

    // Not an energy register reading in Wh/kWh.
    assert_eq!(energy_wh(&sample("1", Some(UnitOfMeasure::W))), None);
    assert_eq!(energy_wh(&sample("1", Some(UnitOfMeasure::Varh))), None);
    let power = SampledValue {
        measurand: Some(Measurand::PowerActiveImport),
        ..sample("3680", Some(UnitOfMeasure::W))
    };
    assert_eq!(energy_wh(&power), None);
    let export = SampledValue {
        measurand: Some(Measurand::EnergyActiveExportRegister),
        ..sample("1", None)
    };
    assert_eq!(energy_wh(&export), None);
    let per_phase = SampledValue {
        phase: Some(Phase::L1),
        ..sample("1", None)
    };
    assert_eq!(energy_wh(&per_phase), None);
    let signed = SampledValue {
        format: Some(ValueFormat::SignedData),
        ..sample("3045022100ab", None)
    };
    assert_eq!(energy_wh(&signed), None);
    for junk in ["", "abc", "NaN", "inf", "1e400", "12,5"] {
        assert_eq!(energy_wh(&sample(junk, None)), None, "{junk}");
    }

    // The latest reading of a MeterValues request.
    let request = MeterValuesRequest {
        connector_id: 1,
        transaction_id: Some(1),
        meter_value: vec![
            MeterValue {
                timestamp: "2013-02-01T20:00:00Z".into(),
                sampled_value: vec![sample("1.0", Some(UnitOfMeasure::KWh))],
            },
            MeterValue {
                timestamp: "2013-02-01T20:15:00Z".into(),
                sampled_value: vec![power.clone(), sample("2.5", Some(UnitOfMeasure::KWh))],
            },
            MeterValue {
                timestamp: "2013-02-01T20:16:00Z".into(),
                sampled_value: vec![power],
            },
        ],
    };
    assert_eq!(request.energy_wh(), Some(2500.0));
}
