//! Commands to stations on the wire: a stored [`CommandRequest`] as the OCPP CALL it is sent as, and the
//! station's answer as the [`CommandEnd`] stored with it.
//!
//! The queue, and which command a connection sends when, are `storage::commands` and [`super::session`];
//! the OCPP types and schemas are `ocpp::commands`. This module only translates between them.

use ocpp::commands::{
    parse_command_response, AuthorizationData, AvailabilityType, ChangeAvailabilityRequest,
    ChangeConfigurationRequest, ClearCacheRequest, Command, CommandResponse,
    GetConfigurationRequest, GetLocalListVersionRequest, MessageTrigger,
    RemoteStartTransactionRequest, RemoteStopTransactionRequest, ResetRequest, ResetType,
    SendLocalListRequest, TriggerMessageRequest, UnlockConnectorRequest, UpdateType,
};
use ocpp::messages::IdTagInfo;
use ocpp::{Action, Frame, PayloadError};
use shared::command::{
    Availability, CommandRequest, CommandResult, CommandState, ConfigurationEntry, ResetKind,
    TriggerKind,
};
use shared::local_list::{ListEntry, ListStatus};
use std::time::Duration;
use storage::CommandEnd;

/// The typed OCPP command for a stored request.
pub fn command(request: &CommandRequest) -> Command {
    match request {
        CommandRequest::RemoteStart { id_tag, connector } => {
            Command::from(RemoteStartTransactionRequest {
                connector_id: connector.map(|c| c.get()),
                id_tag: id_tag.clone(),
            })
        }
        CommandRequest::RemoteStop { transaction } => Command::from(RemoteStopTransactionRequest {
            transaction_id: transaction.0,
        }),
        CommandRequest::UnlockConnector { connector } => Command::from(UnlockConnectorRequest {
            connector_id: connector.get(),
        }),
        CommandRequest::Reset { kind } => Command::from(ResetRequest {
            reset_type: match kind {
                ResetKind::Soft => ResetType::Soft,
                ResetKind::Hard => ResetType::Hard,
            },
        }),
        CommandRequest::ChangeAvailability {
            connector,
            availability,
        } => Command::from(ChangeAvailabilityRequest {
            connector_id: connector.get(),
            availability_type: match availability {
                Availability::Operative => AvailabilityType::Operative,
                Availability::Inoperative => AvailabilityType::Inoperative,
            },
        }),
        CommandRequest::ClearCache => Command::from(ClearCacheRequest {}),
        CommandRequest::TriggerMessage { message, connector } => {
            Command::from(TriggerMessageRequest {
                requested_message: match message {
                    TriggerKind::BootNotification => MessageTrigger::BootNotification,
                    TriggerKind::Heartbeat => MessageTrigger::Heartbeat,
                    TriggerKind::StatusNotification => MessageTrigger::StatusNotification,
                    TriggerKind::MeterValues => MessageTrigger::MeterValues,
                    TriggerKind::DiagnosticsStatusNotification => {
                        MessageTrigger::DiagnosticsStatusNotification
                    }
                    TriggerKind::FirmwareStatusNotification => {
                        MessageTrigger::FirmwareStatusNotification
                    }
                },
                connector_id: connector.map(|c| c.get()),
            })
        }
        CommandRequest::GetConfiguration { keys } => Command::from(GetConfigurationRequest {
            key: (!keys.is_empty()).then(|| keys.iter().map(|k| k.as_str().to_owned()).collect()),
        }),
        CommandRequest::ChangeConfiguration { key, value } => {
            Command::from(ChangeConfigurationRequest {
                key: key.as_str().to_owned(),
                value: value.as_str().to_owned(),
            })
        }
        CommandRequest::GetLocalListVersion => Command::from(GetLocalListVersionRequest {}),
        CommandRequest::SendLocalList(message) => Command::from(SendLocalListRequest {
            list_version: message.version,
            local_authorization_list: (!message.entries.is_empty()).then(|| {
                message
                    .entries
                    .iter()
                    .map(|(id_tag, entry)| AuthorizationData {
                        id_tag: id_tag.clone(),
                        id_tag_info: entry.as_ref().map(id_tag_info),
                    })
                    .collect()
            }),
            update_type: if message.full {
                UpdateType::Full
            } else {
                UpdateType::Differential
            },
        }),
    }
}

/// A list entry as OCPP's `idTagInfo`.
fn id_tag_info(entry: &ListEntry) -> IdTagInfo {
    use ocpp::messages::AuthorizationStatus as Wire;
    IdTagInfo {
        status: match entry.status {
            ListStatus::Accepted => Wire::Accepted,
            ListStatus::Blocked => Wire::Blocked,
            ListStatus::Expired => Wire::Expired,
            ListStatus::Invalid => Wire::Invalid,
        },
        expiry_date: entry
            .expiry_millis
            .and_then(ocpp::datetime::format_unix_millis),
        parent_id_tag: None,
    }
}

/// The CALL sending `request` with `message_id`; an error if it violates its schema (a bug of ours: the
/// shared rules should have refused the input).
pub fn call(message_id: &str, request: &CommandRequest) -> Result<Frame, PayloadError> {
    command(request).to_frame(message_id)
}

/// How the command `request` ended, from the station's answer `frame` (a CALLRESULT or a CALLERROR with the
/// command's message id).
pub fn read_answer(request: &CommandRequest, frame: &Frame) -> CommandEnd {
    match frame {
        Frame::CallResult { payload, .. } => {
            let action = command(request).action();
            match parse_command_response(action, payload) {
                Ok(response) => CommandEnd {
                    state: CommandState::Answered,
                    outcome: response.outcome(),
                    detail: None,
                    result: result_of(&response),
                },
                Err(error) => CommandEnd {
                    state: CommandState::Failed,
                    outcome: "invalid answer".into(),
                    detail: Some(format!("{}: {}", error.code.as_str(), error.description)),
                    result: None,
                },
            }
        }
        Frame::CallError {
            code, description, ..
        } => CommandEnd {
            state: CommandState::Failed,
            outcome: code.chars().take(40).collect(),
            detail: (!description.is_empty()).then(|| description.chars().take(500).collect()),
            result: None,
        },
        Frame::Call { .. } => CommandEnd {
            state: CommandState::Failed,
            outcome: "invalid answer".into(),
            detail: Some("a CALL with the command's message id".into()),
            result: None,
        },
    }
}

/// What an answer carries beyond its status.
fn result_of(response: &CommandResponse) -> Option<CommandResult> {
    match response {
        CommandResponse::GetConfiguration(answer) => Some(CommandResult::Configuration {
            entries: answer
                .configuration_key
                .iter()
                .flatten()
                .map(|kv| ConfigurationEntry {
                    key: kv.key.clone(),
                    value: kv.value.clone(),
                    readonly: kv.readonly,
                })
                .collect(),
            unknown_keys: answer.unknown_key.clone().unwrap_or_default(),
        }),
        CommandResponse::GetLocalListVersion(answer) => Some(CommandResult::LocalListVersion {
            version: answer.list_version,
        }),
        _ => None,
    }
}

/// The end of a command the station did not answer within `timeout`.
pub fn timed_out(timeout: Duration) -> CommandEnd {
    CommandEnd {
        state: CommandState::TimedOut,
        outcome: format!("no answer in {} s", timeout.as_secs()),
        detail: None,
        result: None,
    }
}

/// The end of a command whose connection closed before the answer.
pub fn connection_ended() -> CommandEnd {
    CommandEnd {
        state: CommandState::TimedOut,
        outcome: "no answer: the connection ended".into(),
        detail: None,
        result: None,
    }
}

/// The end of a command that could not be put into OCPP.
pub fn not_sendable(error: &PayloadError) -> CommandEnd {
    CommandEnd {
        state: CommandState::Failed,
        outcome: "not sent".into(),
        detail: Some(error.description.clone()),
        result: None,
    }
}

/// The action of a stored request (for the frame log).
pub fn action(request: &CommandRequest) -> Action {
    command(request).action()
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::command::{ConfigKey, Connector};

    fn answer(payload: serde_json::Value) -> Frame {
        Frame::CallResult {
            id: "cd-1".into(),
            payload,
        }
    }

    #[test]
    fn every_request_becomes_a_call_of_its_action() {
        let connector = Connector::parse("1").unwrap();
        let requests = [
            CommandRequest::RemoteStart {
                id_tag: "04AAAB11CD2345".into(),
                connector: Some(connector),
            },
            CommandRequest::RemoteStop {
                transaction: shared::ids::TransactionId(7),
            },
            CommandRequest::UnlockConnector { connector },
            CommandRequest::Reset {
                kind: ResetKind::Soft,
            },
            CommandRequest::ChangeAvailability {
                connector: Connector::parse_or_station("0").unwrap(),
                availability: Availability::Inoperative,
            },
            CommandRequest::ClearCache,
            CommandRequest::TriggerMessage {
                message: TriggerKind::StatusNotification,
                connector: None,
            },
            CommandRequest::GetConfiguration { keys: vec![] },
            CommandRequest::ChangeConfiguration {
                key: ConfigKey::parse("HeartbeatInterval").unwrap(),
                value: shared::command::ConfigValue::parse("300").unwrap(),
            },
            CommandRequest::GetLocalListVersion,
        ];
        for request in &requests {
            let frame = call("cd-1", request).unwrap();
            let Frame::Call { action, .. } = &frame else {
                panic!("not a CALL")
            };
            assert_eq!(action, request.action());
            assert_eq!(super::action(request).as_str(), request.action());
        }
        assert_eq!(
            call("cd-9", &requests[3]).unwrap().to_text(),
            r#"[2,"cd-9","Reset",{"type":"Soft"}]"#
        );
        // A full read sends no key list.
        assert_eq!(
            call("cd-2", &requests[7]).unwrap().to_text(),
            r#"[2,"cd-2","GetConfiguration",{}]"#
        );
    }

    #[test]
    fn answers_become_outcomes_and_bad_answers_fail_the_command() {
        let reset = CommandRequest::Reset {
            kind: ResetKind::Hard,
        };
        let end = read_answer(&reset, &answer(serde_json::json!({"status": "Rejected"})));
        assert_eq!(end.state, CommandState::Answered);
        assert_eq!(end.outcome, "Rejected");
        let bad = read_answer(&reset, &answer(serde_json::json!({"status": "Maybe"})));
        assert_eq!(bad.state, CommandState::Failed);
        assert_eq!(bad.outcome, "invalid answer");
        assert!(
            bad.detail
                .unwrap()
                .starts_with("PropertyConstraintViolation"),
            "the detail names the violation"
        );
        let error = Frame::call_error(
            "cd-1",
            ocpp::ErrorCode::NotSupported,
            "Reset is not supported",
        );
        let end = read_answer(&reset, &error);
        assert_eq!(
            (end.state, end.outcome.as_str(), end.detail.as_deref()),
            (
                CommandState::Failed,
                "NotSupported",
                Some("Reset is not supported")
            )
        );
        let config = read_answer(
            &CommandRequest::GetConfiguration { keys: vec![] },
            &answer(serde_json::json!({
                "configurationKey": [
                    {"key": "HeartbeatInterval", "readonly": false, "value": "300"},
                    {"key": "NumberOfConnectors", "readonly": true, "value": "2"}
                ],
                "unknownKey": []
            })),
        );
        assert_eq!(config.outcome, "2 keys");
        assert_eq!(
            config.result,
            Some(CommandResult::Configuration {
                entries: vec![
                    ConfigurationEntry {
                        key: "HeartbeatInterval".into(),
                        value: Some("300".into()),
                        readonly: false
                    },
                    ConfigurationEntry {
                        key: "NumberOfConnectors".into(),
                        value: Some("2".into()),
                        readonly: true
                    },
                ],
                unknown_keys: vec![],
            })
        );
        assert_eq!(
            timed_out(Duration::from_secs(30)).outcome,
            "no answer in 30 s"
        );
    }
}
