//! Every command and confirmation round-trips; every kind of violation gets its code; the actions that are
//! not commands are refused as OCPP-J says.

use super::*;
use crate::messages::{AuthorizationStatus, DataTransferStatus};
use crate::{call_frame, parse_frame};
use serde_json::json;

const EXPIRY: &str = "2026-12-31T23:59:59.000Z";

fn accepted_until(expiry: &str) -> IdTagInfo {
    IdTagInfo {
        status: AuthorizationStatus::Accepted,
        expiry_date: Some(expiry.to_owned()),
        parent_id_tag: Some("FLEET-7".to_owned()),
    }
}

/// Every command, with every optional field set and with none.
fn commands() -> Vec<Command> {
    vec![
        Command::RemoteStartTransaction(RemoteStartTransactionRequest {
            connector_id: Some(2),
            id_tag: "04A1B2C3D4E5F6".into(),
        }),
        Command::RemoteStartTransaction(RemoteStartTransactionRequest {
            connector_id: None,
            id_tag: "X".repeat(20),
        }),
        Command::RemoteStopTransaction(RemoteStopTransactionRequest { transaction_id: 77 }),
        Command::UnlockConnector(UnlockConnectorRequest { connector_id: 1 }),
        Command::Reset(ResetRequest {
            reset_type: ResetType::Hard,
        }),
        Command::Reset(ResetRequest {
            reset_type: ResetType::Soft,
        }),
        Command::ChangeAvailability(ChangeAvailabilityRequest {
            connector_id: 0,
            availability_type: AvailabilityType::Inoperative,
        }),
        Command::ChangeAvailability(ChangeAvailabilityRequest {
            connector_id: 3,
            availability_type: AvailabilityType::Operative,
        }),
        Command::GetConfiguration(GetConfigurationRequest { key: None }),
        Command::GetConfiguration(GetConfigurationRequest {
            key: Some(vec!["HeartbeatInterval".into(), "K".repeat(50)]),
        }),
        Command::GetConfiguration(GetConfigurationRequest { key: Some(vec![]) }),
        Command::ChangeConfiguration(ChangeConfigurationRequest {
            key: "HeartbeatInterval".into(),
            value: "300".into(),
        }),
        Command::ChangeConfiguration(ChangeConfigurationRequest {
            key: "K".repeat(50),
            value: "v".repeat(500),
        }),
        Command::ClearCache(ClearCacheRequest {}),
        Command::TriggerMessage(TriggerMessageRequest {
            requested_message: MessageTrigger::StatusNotification,
            connector_id: Some(1),
        }),
        Command::TriggerMessage(TriggerMessageRequest {
            requested_message: MessageTrigger::Heartbeat,
            connector_id: None,
        }),
        Command::GetLocalListVersion(GetLocalListVersionRequest {}),
        Command::SendLocalList(SendLocalListRequest {
            list_version: 12,
            local_authorization_list: Some(vec![
                AuthorizationData {
                    id_tag: "04A1B2C3D4E5F6".into(),
                    id_tag_info: Some(accepted_until(EXPIRY)),
                },
                AuthorizationData {
                    id_tag: "04FFFF".into(),
                    id_tag_info: Some(IdTagInfo::new(AuthorizationStatus::Blocked)),
                },
            ]),
            update_type: UpdateType::Full,
        }),
        Command::SendLocalList(SendLocalListRequest {
            list_version: 13,
            local_authorization_list: Some(vec![AuthorizationData {
                id_tag: "04FFFF".into(),
                id_tag_info: None,
            }]),
            update_type: UpdateType::Differential,
        }),
        Command::SendLocalList(SendLocalListRequest {
            list_version: 0,
            local_authorization_list: None,
            update_type: UpdateType::Full,
        }),
        Command::DataTransfer(DataTransferRequest {
            vendor_id: "com.example".into(),
            message_id: Some("SetPrice".into()),
            data: Some("{\"price\":0.35}".into()),
        }),
        Command::DataTransfer(DataTransferRequest {
            vendor_id: "com.example".into(),
            message_id: None,
            data: None,
        }),
    ]
}

/// Every confirmation, with every status and optional field.
fn responses() -> Vec<CommandResponse> {
    let mut all = Vec::new();
    for status in [
        RemoteStartStopStatus::Accepted,
        RemoteStartStopStatus::Rejected,
    ] {
        all.push(RemoteStartTransactionResponse { status }.into());
        all.push(RemoteStopTransactionResponse { status }.into());
    }
    for status in [
        UnlockStatus::Unlocked,
        UnlockStatus::UnlockFailed,
        UnlockStatus::NotSupported,
    ] {
        all.push(UnlockConnectorResponse { status }.into());
    }
    for status in [ResetStatus::Accepted, ResetStatus::Rejected] {
        all.push(ResetResponse { status }.into());
    }
    for status in [
        AvailabilityStatus::Accepted,
        AvailabilityStatus::Rejected,
        AvailabilityStatus::Scheduled,
    ] {
        all.push(ChangeAvailabilityResponse { status }.into());
    }
    all.push(GetConfigurationResponse::default().into());
    all.push(
        GetConfigurationResponse {
            configuration_key: Some(vec![
                KeyValue {
                    key: "HeartbeatInterval".into(),
                    readonly: false,
                    value: Some("300".into()),
                },
                KeyValue {
                    key: "K".repeat(50),
                    readonly: true,
                    value: Some("v".repeat(500)),
                },
                KeyValue {
                    key: "NoValue".into(),
                    readonly: true,
                    value: None,
                },
            ]),
            unknown_key: Some(vec!["Foo".into()]),
        }
        .into(),
    );
    for status in [
        ConfigurationStatus::Accepted,
        ConfigurationStatus::Rejected,
        ConfigurationStatus::RebootRequired,
        ConfigurationStatus::NotSupported,
    ] {
        all.push(ChangeConfigurationResponse { status }.into());
    }
    for status in [ClearCacheStatus::Accepted, ClearCacheStatus::Rejected] {
        all.push(ClearCacheResponse { status }.into());
    }
    for status in [
        TriggerMessageStatus::Accepted,
        TriggerMessageStatus::Rejected,
        TriggerMessageStatus::NotImplemented,
    ] {
        all.push(TriggerMessageResponse { status }.into());
    }
    for list_version in [-1, 0, 12] {
        all.push(GetLocalListVersionResponse { list_version }.into());
    }
    for status in [
        UpdateStatus::Accepted,
        UpdateStatus::Failed,
        UpdateStatus::NotSupported,
        UpdateStatus::VersionMismatch,
    ] {
        all.push(SendLocalListResponse { status }.into());
    }
    all.push(
        DataTransferResponse {
            status: DataTransferStatus::UnknownVendorId,
            data: Some("why".into()),
        }
        .into(),
    );
    all
}

#[test]
fn every_command_round_trips_through_its_frame() {
    for (number, command) in commands().into_iter().enumerate() {
        let id = format!("cmd-{number}");
        let text = command.to_frame(&id).unwrap().to_text();
        let Ok(Some(Frame::Call {
            id: read_id,
            action,
            payload,
        })) = parse_frame(&text)
        else {
            panic!("{text}: not a CALL");
        };
        assert_eq!(
            (read_id.as_str(), action.as_str()),
            (id.as_str(), command.action().as_str())
        );
        assert_eq!(payload, command.to_payload().unwrap());
        assert_eq!(
            parse_command(&action, &payload).as_ref(),
            Ok(&command),
            "{text}"
        );
    }
}

#[test]
fn every_confirmation_round_trips_through_its_frame() {
    for response in responses() {
        let text = response.to_frame("9").to_text();
        let Ok(Some(Frame::CallResult { payload, .. })) = parse_frame(&text) else {
            panic!("{text}: not a CALLRESULT");
        };
        assert_eq!(
            parse_command_response(response.action(), &payload).as_ref(),
            Ok(&response),
            "{text}"
        );
    }
}

#[test]
fn the_wire_form_is_the_specifications() {
    let cases: Vec<(Command, &str)> = vec![
        (
            RemoteStartTransactionRequest {
                connector_id: Some(1),
                id_tag: "04A1".into(),
            }
            .into(),
            r#"[2,"1","RemoteStartTransaction",{"connectorId":1,"idTag":"04A1"}]"#,
        ),
        (
            ChangeAvailabilityRequest {
                connector_id: 0,
                availability_type: AvailabilityType::Inoperative,
            }
            .into(),
            r#"[2,"1","ChangeAvailability",{"connectorId":0,"type":"Inoperative"}]"#,
        ),
        (
            GetConfigurationRequest { key: None }.into(),
            r#"[2,"1","GetConfiguration",{}]"#,
        ),
        (
            TriggerMessageRequest {
                requested_message: MessageTrigger::MeterValues,
                connector_id: None,
            }
            .into(),
            r#"[2,"1","TriggerMessage",{"requestedMessage":"MeterValues"}]"#,
        ),
        (
            SendLocalListRequest {
                list_version: 3,
                local_authorization_list: Some(vec![
                    AuthorizationData {
                        id_tag: "A".into(),
                        id_tag_info: None,
                    },
                    AuthorizationData {
                        id_tag: "B".into(),
                        id_tag_info: Some(IdTagInfo {
                            expiry_date: Some(EXPIRY.into()),
                            ..IdTagInfo::new(AuthorizationStatus::Accepted)
                        }),
                    },
                ]),
                update_type: UpdateType::Differential,
            }
            .into(),
            r#"[2,"1","SendLocalList",{"listVersion":3,"localAuthorizationList":[{"idTag":"A"},{"idTag":"B","idTagInfo":{"expiryDate":"2026-12-31T23:59:59.000Z","status":"Accepted"}}],"updateType":"Differential"}]"#,
        ),
    ];
    for (command, text) in cases {
        assert_eq!(command.to_frame("1").unwrap().to_text(), text);
    }
    let configuration = CommandResponse::from(GetConfigurationResponse {
        configuration_key: Some(vec![KeyValue {
            key: "HeartbeatInterval".into(),
            readonly: false,
            value: Some("300".into()),
        }]),
        unknown_key: Some(vec!["Foo".into()]),
    });
    assert_eq!(
        configuration.to_frame("2").to_text(),
        r#"[3,"2",{"configurationKey":[{"key":"HeartbeatInterval","readonly":false,"value":"300"}],"unknownKey":["Foo"]}]"#
    );
}

#[test]
fn call_frame_of_a_typed_request_is_the_commands_frame() {
    let request = ResetRequest {
        reset_type: ResetType::Hard,
    };
    assert_eq!(
        call_frame("7", &request),
        Command::from(request).to_frame("7")
    );
    let request = SendLocalListRequest {
        list_version: 1,
        local_authorization_list: Some(vec![AuthorizationData {
            id_tag: "A".into(),
            id_tag_info: None,
        }]),
        update_type: UpdateType::Full,
    };
    assert_eq!(
        call_frame("8", &request).unwrap_err().code,
        ErrorCode::OccurenceConstraintViolation
    );
}

#[test]
fn nothing_invalid_is_sent() {
    let too_long = Command::RemoteStartTransaction(RemoteStartTransactionRequest {
        connector_id: None,
        id_tag: "X".repeat(21),
    });
    assert_eq!(
        too_long.to_frame("1").unwrap_err(),
        PayloadError::new(
            ErrorCode::PropertyConstraintViolation,
            "idTag: at most 20 characters (got 21)"
        )
    );
    let no_connector = Command::UnlockConnector(UnlockConnectorRequest { connector_id: 0 });
    assert_eq!(
        no_connector.to_payload().unwrap_err().code,
        ErrorCode::PropertyConstraintViolation
    );
    let bad_answer = CommandResponse::GetConfiguration(GetConfigurationResponse {
        configuration_key: Some(vec![KeyValue {
            key: "K".repeat(51),
            readonly: true,
            value: None,
        }]),
        unknown_key: None,
    });
    assert_eq!(
        bad_answer.to_frame("5"),
        Frame::call_error(
            "5",
            ErrorCode::InternalError,
            "invalid confirmation: configurationKey[0].key: at most 50 characters (got 51)"
        )
    );
}

/// (action, payload, code, description): the charge point reading a command.
fn invalid_commands() -> Vec<(&'static str, Value, ErrorCode, String)> {
    use ErrorCode::{
        OccurenceConstraintViolation as Occurence, PropertyConstraintViolation as Property,
        TypeConstraintViolation as Type,
    };
    let long = |n: usize| "x".repeat(n);
    vec![
        ("RemoteStartTransaction", json!({}), Occurence, "idTag: required field is missing".into()),
        ("RemoteStartTransaction", json!({"idTag": 5}), Type, "idTag: expected a string, got a number".into()),
        ("RemoteStartTransaction", json!({"idTag": long(21)}), Property, "idTag: at most 20 characters (got 21)".into()),
        ("RemoteStartTransaction", json!({"connectorId": 0, "idTag": "A"}), Property, "connectorId: must be at least 1 (got 0)".into()),
        ("RemoteStartTransaction", json!({"connectorId": "1", "idTag": "A"}), Type, "connectorId: expected an integer, got a string".into()),
        (
            "RemoteStartTransaction",
            json!({"idTag": "A", "chargingProfile": {}}),
            Occurence,
            "chargingProfile: not a field of RemoteStartTransactionRequest (additional fields are not allowed)".into(),
        ),
        ("RemoteStopTransaction", json!({}), Occurence, "transactionId: required field is missing".into()),
        ("RemoteStopTransaction", json!({"transactionId": 1.5}), Type, "transactionId: expected an integer, got 1.5".into()),
        ("UnlockConnector", json!({}), Occurence, "connectorId: required field is missing".into()),
        ("UnlockConnector", json!({"connectorId": 0}), Property, "connectorId: must be at least 1 (got 0)".into()),
        ("Reset", json!({"type": "hard"}), Property, r#"type: "hard" is not one of Hard, Soft"#.into()),
        ("Reset", json!({"type": null}), Type, "type: expected a string, got null".into()),
        ("Reset", json!([]), Type, "payload: expected an object, got an array".into()),
        ("ChangeAvailability", json!({"connectorId": 1}), Occurence, "type: required field is missing".into()),
        ("ChangeAvailability", json!({"connectorId": -1, "type": "Operative"}), Property, "connectorId: must be at least 0 (got -1)".into()),
        (
            "ChangeAvailability",
            json!({"connectorId": 0, "type": "Unavailable"}),
            Property,
            r#"type: "Unavailable" is not one of Inoperative, Operative"#.into(),
        ),
        ("GetConfiguration", json!({"key": "HeartbeatInterval"}), Type, "key: expected an array, got a string".into()),
        ("GetConfiguration", json!({"key": [1]}), Type, "key[0]: expected a string, got a number".into()),
        ("GetConfiguration", json!({"key": ["A", long(51)]}), Property, "key[1]: at most 50 characters (got 51)".into()),
        ("ChangeConfiguration", json!({"key": "HeartbeatInterval"}), Occurence, "value: required field is missing".into()),
        ("ChangeConfiguration", json!({"key": "K", "value": 300}), Type, "value: expected a string, got a number".into()),
        ("ChangeConfiguration", json!({"key": long(51), "value": "1"}), Property, "key: at most 50 characters (got 51)".into()),
        ("ChangeConfiguration", json!({"key": "K", "value": long(501)}), Property, "value: at most 500 characters (got 501)".into()),
        (
            "ClearCache",
            json!({"force": true}),
            Occurence,
            "force: not a field of ClearCacheRequest (additional fields are not allowed)".into(),
        ),
        ("TriggerMessage", json!({}), Occurence, "requestedMessage: required field is missing".into()),
        (
            "TriggerMessage",
            json!({"requestedMessage": "Authorize"}),
            Property,
            r#"requestedMessage: "Authorize" is not one of BootNotification, DiagnosticsStatusNotification, FirmwareStatusNotification, Heartbeat, MeterValues, StatusNotification"#.into(),
        ),
        (
            "TriggerMessage",
            json!({"requestedMessage": "Heartbeat", "connectorId": 0}),
            Property,
            "connectorId: must be at least 1 (got 0)".into(),
        ),
        (
            "GetLocalListVersion",
            json!({"listVersion": 1}),
            Occurence,
            "listVersion: not a field of GetLocalListVersionRequest (additional fields are not allowed)".into(),
        ),
        ("SendLocalList", json!({"listVersion": 1}), Occurence, "updateType: required field is missing".into()),
        ("SendLocalList", json!({"updateType": "Full"}), Occurence, "listVersion: required field is missing".into()),
        ("SendLocalList", json!({"listVersion": "1", "updateType": "Full"}), Type, "listVersion: expected an integer, got a string".into()),
        (
            "SendLocalList",
            json!({"listVersion": 1, "updateType": "Partial"}),
            Property,
            r#"updateType: "Partial" is not one of Differential, Full"#.into(),
        ),
        (
            "SendLocalList",
            json!({"listVersion": 1, "updateType": "Full", "localAuthorizationList": {}}),
            Type,
            "localAuthorizationList: expected an array, got an object".into(),
        ),
        (
            "SendLocalList",
            json!({"listVersion": 1, "updateType": "Differential", "localAuthorizationList": [{"idTagInfo": {"status": "Accepted"}}]}),
            Occurence,
            "localAuthorizationList[0].idTag: required field is missing".into(),
        ),
        (
            "SendLocalList",
            json!({"listVersion": 1, "updateType": "Differential", "localAuthorizationList": [{"idTag": long(21)}]}),
            Property,
            "localAuthorizationList[0].idTag: at most 20 characters (got 21)".into(),
        ),
        (
            "SendLocalList",
            json!({"listVersion": 1, "updateType": "Differential", "localAuthorizationList": [{"idTag": "A", "idTagInfo": {"status": "Valid"}}]}),
            Property,
            r#"localAuthorizationList[0].idTagInfo.status: "Valid" is not one of Accepted, Blocked, Expired, Invalid, ConcurrentTx"#.into(),
        ),
        (
            "SendLocalList",
            json!({"listVersion": 1, "updateType": "Differential", "localAuthorizationList": [{"idTag": "A", "idTagInfo": {"status": "Accepted", "expiryDate": "tomorrow"}}]}),
            Property,
            r#"localAuthorizationList[0].idTagInfo.expiryDate: "tomorrow" is "#.into(),
        ),
        (
            "SendLocalList",
            json!({"listVersion": 1, "updateType": "Differential", "localAuthorizationList": [{"idTag": "A", "status": "Accepted"}]}),
            Occurence,
            "localAuthorizationList[0].status: not a field of AuthorizationData (additional fields are not allowed)".into(),
        ),
        (
            "SendLocalList",
            json!({"listVersion": 2, "updateType": "Full", "localAuthorizationList": [{"idTag": "A", "idTagInfo": {"status": "Accepted"}}, {"idTag": "B"}]}),
            Occurence,
            "localAuthorizationList[1].idTagInfo: required in a Full update".into(),
        ),
        ("DataTransfer", json!({}), Occurence, "vendorId: required field is missing".into()),
    ]
}

/// (action, payload, code, description): the central system reading a confirmation.
fn invalid_responses() -> Vec<(Action, Value, ErrorCode, String)> {
    use ErrorCode::{
        OccurenceConstraintViolation as Occurence, PropertyConstraintViolation as Property,
        TypeConstraintViolation as Type,
    };
    let long = |n: usize| "x".repeat(n);
    vec![
        (Action::RemoteStartTransaction, json!({}), Occurence, "status: required field is missing".into()),
        (Action::RemoteStartTransaction, json!({"status": "accepted"}), Property, r#"status: "accepted" is not one of Accepted, Rejected"#.into()),
        (Action::RemoteStopTransaction, json!({"status": 1}), Type, "status: expected a string, got a number".into()),
        (
            Action::UnlockConnector,
            json!({"status": "Accepted"}),
            Property,
            r#"status: "Accepted" is not one of Unlocked, UnlockFailed, NotSupported"#.into(),
        ),
        (Action::Reset, json!({"status": true}), Type, "status: expected a string, got a boolean".into()),
        (
            Action::ChangeAvailability,
            json!({"status": "Scheduled", "extra": 1}),
            Occurence,
            "extra: not a field of ChangeAvailabilityResponse (additional fields are not allowed)".into(),
        ),
        (
            Action::GetConfiguration,
            json!({"configurationKey": [{"key": "K", "readonly": "true"}]}),
            Type,
            "configurationKey[0].readonly: expected a boolean, got a string".into(),
        ),
        (
            Action::GetConfiguration,
            json!({"configurationKey": [{"key": "K", "readonly": 1}]}),
            Type,
            "configurationKey[0].readonly: expected a boolean, got a number".into(),
        ),
        (
            Action::GetConfiguration,
            json!({"configurationKey": [{"key": "K"}]}),
            Occurence,
            "configurationKey[0].readonly: required field is missing".into(),
        ),
        (
            Action::GetConfiguration,
            json!({"configurationKey": [{"key": "K", "readonly": true, "value": null}]}),
            Type,
            "configurationKey[0].value: expected a string, got null".into(),
        ),
        (
            Action::GetConfiguration,
            json!({"configurationKey": [{"key": "K", "readonly": true, "value": long(501)}]}),
            Property,
            "configurationKey[0].value: at most 500 characters (got 501)".into(),
        ),
        (
            Action::GetConfiguration,
            json!({"configurationKey": [{"key": long(51), "readonly": false}]}),
            Property,
            "configurationKey[0].key: at most 50 characters (got 51)".into(),
        ),
        (Action::GetConfiguration, json!({"unknownKey": [long(51)]}), Property, "unknownKey[0]: at most 50 characters (got 51)".into()),
        (Action::GetConfiguration, json!({"unknownKey": "Foo"}), Type, "unknownKey: expected an array, got a string".into()),
        (
            Action::ChangeConfiguration,
            json!({"status": "Changed"}),
            Property,
            r#"status: "Changed" is not one of Accepted, Rejected, RebootRequired, NotSupported"#.into(),
        ),
        (Action::ClearCache, json!([]), Type, "payload: expected an object, got an array".into()),
        (
            Action::TriggerMessage,
            json!({"status": "NotSupported"}),
            Property,
            r#"status: "NotSupported" is not one of Accepted, Rejected, NotImplemented"#.into(),
        ),
        (Action::GetLocalListVersion, json!({}), Occurence, "listVersion: required field is missing".into()),
        (Action::GetLocalListVersion, json!({"listVersion": "3"}), Type, "listVersion: expected an integer, got a string".into()),
        (
            Action::SendLocalList,
            json!({"status": "Rejected"}),
            Property,
            r#"status: "Rejected" is not one of Accepted, Failed, NotSupported, VersionMismatch"#.into(),
        ),
        (
            Action::DataTransfer,
            json!({"status": "Unknown"}),
            Property,
            r#"status: "Unknown" is not one of Accepted, Rejected, UnknownMessageId, UnknownVendorId"#.into(),
        ),
    ]
}

#[test]
fn every_invalid_command_gets_its_code() {
    for (action, payload, code, description) in invalid_commands() {
        let error = parse_command(action, &payload).expect_err(&payload.to_string());
        assert_eq!(error.code, code, "{action} {payload}: {error}");
        assert!(
            error.description.starts_with(&description),
            "{action} {payload}: {} does not start with {description}",
            error.description
        );
    }
}

#[test]
fn every_invalid_confirmation_gets_its_code() {
    for (action, payload, code, description) in invalid_responses() {
        let error = parse_command_response(action, &payload).expect_err(&payload.to_string());
        assert_eq!(
            (error.code, error.description.as_str()),
            (code, description.as_str()),
            "{action} {payload}"
        );
    }
}

#[test]
fn an_unknown_action_is_not_implemented() {
    for action in ["FooBar", "reset", "", "SetVariables"] {
        let error = parse_command(action, &json!({})).unwrap_err();
        assert_eq!(error.code, ErrorCode::NotImplemented, "{action:?}");
    }
    assert_eq!(
        parse_command("FooBar", &json!({})).unwrap_err().description,
        r#"unknown action "FooBar""#
    );
}

#[test]
fn a_charge_point_action_from_the_central_system_is_not_supported() {
    assert_eq!(
        parse_command("Heartbeat", &json!({})),
        Err(PayloadError::new(
            ErrorCode::NotSupported,
            "Heartbeat is initiated by the charge point; the central system may not send it"
        ))
    );
    assert_eq!(
        parse_command("Authorize", &json!({"idTag": "A"}))
            .unwrap_err()
            .code,
        ErrorCode::NotSupported
    );
    // DataTransfer goes both ways.
    assert_eq!(
        parse_command("DataTransfer", &json!({"vendorId": "com.example"})),
        Ok(Command::DataTransfer(DataTransferRequest {
            vendor_id: "com.example".into(),
            message_id: None,
            data: None,
        }))
    );
}

#[test]
fn a_central_system_action_without_a_type_is_not_supported() {
    assert_eq!(
        parse_command("ReserveNow", &json!({"connectorId": 1})),
        Err(PayloadError::new(
            ErrorCode::NotSupported,
            "ReserveNow is not supported"
        ))
    );
    // Exactly the eleven commands and DataTransfer are read; every other action is NotSupported, whatever
    // its payload.
    let mut commands = Vec::new();
    for name in Action::VALUES {
        match parse_command(name, &json!({"x": 1})) {
            Err(error) if error.code == ErrorCode::NotSupported => {
                assert_eq!(
                    parse_command_response(Action::parse(name).unwrap(), &json!({}))
                        .unwrap_err()
                        .code,
                    ErrorCode::NotSupported
                );
            }
            Err(error) => {
                assert_eq!(
                    error.code,
                    ErrorCode::OccurenceConstraintViolation,
                    "{name}"
                );
                commands.push(*name);
            }
            Ok(command) => panic!("{name}: read {command:?}"),
        }
    }
    assert_eq!(
        commands,
        [
            "DataTransfer",
            "ChangeAvailability",
            "ChangeConfiguration",
            "ClearCache",
            "GetConfiguration",
            "GetLocalListVersion",
            "RemoteStartTransaction",
            "RemoteStopTransaction",
            "Reset",
            "SendLocalList",
            "TriggerMessage",
            "UnlockConnector",
        ]
    );
    assert_eq!(
        parse_command_response(Action::Heartbeat, &json!({})).unwrap_err(),
        PayloadError::new(
            ErrorCode::NotSupported,
            "Heartbeat is not a command the central system sends"
        )
    );
}

#[test]
fn the_outcome_is_short_and_readable() {
    let key = |name: &str| KeyValue {
        key: name.into(),
        readonly: false,
        value: None,
    };
    let cases: Vec<(CommandResponse, &str)> = vec![
        (
            RemoteStartTransactionResponse {
                status: RemoteStartStopStatus::Accepted,
            }
            .into(),
            "Accepted",
        ),
        (
            RemoteStopTransactionResponse {
                status: RemoteStartStopStatus::Rejected,
            }
            .into(),
            "Rejected",
        ),
        (
            UnlockConnectorResponse {
                status: UnlockStatus::Unlocked,
            }
            .into(),
            "Unlocked",
        ),
        (
            UnlockConnectorResponse {
                status: UnlockStatus::UnlockFailed,
            }
            .into(),
            "UnlockFailed",
        ),
        (
            UnlockConnectorResponse {
                status: UnlockStatus::NotSupported,
            }
            .into(),
            "NotSupported",
        ),
        (
            ResetResponse {
                status: ResetStatus::Accepted,
            }
            .into(),
            "Accepted",
        ),
        (
            ChangeAvailabilityResponse {
                status: AvailabilityStatus::Scheduled,
            }
            .into(),
            "Scheduled",
        ),
        (
            ChangeConfigurationResponse {
                status: ConfigurationStatus::RebootRequired,
            }
            .into(),
            "RebootRequired",
        ),
        (
            ClearCacheResponse {
                status: ClearCacheStatus::Rejected,
            }
            .into(),
            "Rejected",
        ),
        (
            TriggerMessageResponse {
                status: TriggerMessageStatus::NotImplemented,
            }
            .into(),
            "NotImplemented",
        ),
        (
            SendLocalListResponse {
                status: UpdateStatus::VersionMismatch,
            }
            .into(),
            "VersionMismatch",
        ),
        (
            SendLocalListResponse {
                status: UpdateStatus::Failed,
            }
            .into(),
            "Failed",
        ),
        (
            GetLocalListVersionResponse { list_version: 12 }.into(),
            "version 12",
        ),
        (
            GetLocalListVersionResponse { list_version: 0 }.into(),
            "version 0",
        ),
        (
            GetLocalListVersionResponse { list_version: -1 }.into(),
            "not supported",
        ),
        (GetConfigurationResponse::default().into(), "0 keys"),
        (
            GetConfigurationResponse {
                configuration_key: Some(vec![key("A")]),
                unknown_key: None,
            }
            .into(),
            "1 key",
        ),
        (
            GetConfigurationResponse {
                configuration_key: Some(vec![key("A"), key("B"), key("C")]),
                unknown_key: Some(vec!["X".into(), "Y".into()]),
            }
            .into(),
            "3 keys, 2 unknown",
        ),
        (
            GetConfigurationResponse {
                configuration_key: None,
                unknown_key: Some(vec!["X".into()]),
            }
            .into(),
            "0 keys, 1 unknown",
        ),
        (
            DataTransferResponse {
                status: DataTransferStatus::UnknownMessageId,
                data: None,
            }
            .into(),
            "UnknownMessageId",
        ),
    ];
    for (response, outcome) in cases {
        assert_eq!(response.outcome(), outcome, "{response:?}");
    }
}

#[test]
fn every_command_action_has_both_variants() {
    let command_actions: Vec<Action> = commands().iter().map(Command::action).collect();
    for response in responses() {
        assert!(command_actions.contains(&response.action()), "{response:?}");
    }
    for action in &command_actions {
        assert!(
            responses()
                .iter()
                .any(|response| response.action() == *action),
            "{action}"
        );
        assert!(!action.is_charge_point_initiated() || *action == Action::DataTransfer);
    }
}
