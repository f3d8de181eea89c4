//! The station's rules: local list updates, the cache, offline decisions, configuration keys and the answers
//! to every command under every behaviour.

use super::*;
use ocpp::commands::{
    ChangeAvailabilityRequest, ChangeConfigurationRequest, ClearCacheRequest,
    GetConfigurationRequest, GetLocalListVersionRequest, RemoteStartTransactionRequest,
    RemoteStopTransactionRequest, ResetRequest, TriggerMessageRequest, UnlockConnectorRequest,
};
use ocpp::messages::DataTransferRequest;

/// 2026-06-01T00:00:00Z.
const NOW: i64 = 1_780_272_000_000;
const PAST: &str = "2026-05-31T23:59:59Z";
const FUTURE: &str = "2026-06-01T00:00:01Z";

fn info(status: AuthorizationStatus, expiry: Option<&str>) -> IdTagInfo {
    IdTagInfo {
        status,
        expiry_date: expiry.map(str::to_owned),
        parent_id_tag: None,
    }
}

fn accepted() -> IdTagInfo {
    IdTagInfo::new(AuthorizationStatus::Accepted)
}

fn entry(id_tag: &str, info: Option<IdTagInfo>) -> AuthorizationData {
    AuthorizationData {
        id_tag: id_tag.to_owned(),
        id_tag_info: info,
    }
}

fn update(
    update_type: UpdateType,
    list_version: i64,
    entries: Vec<AuthorizationData>,
) -> SendLocalListRequest {
    SendLocalListRequest {
        list_version,
        local_authorization_list: Some(entries),
        update_type,
    }
}

fn full(list_version: i64, id_tags: &[&str]) -> SendLocalListRequest {
    update(
        UpdateType::Full,
        list_version,
        id_tags.iter().map(|t| entry(t, Some(accepted()))).collect(),
    )
}

fn reply(handled: &Handled) -> &CommandResponse {
    match &handled.answer {
        Answer::Reply(response) => response,
        other => panic!("not a reply: {other:?}"),
    }
}

fn outcome(station: &mut Station, command: impl Into<Command>) -> String {
    reply(&station.handle(&command.into())).outcome()
}

#[test]
fn a_full_update_replaces_the_list() {
    let mut list = LocalList::default();
    assert_eq!((list.version(), list.len()), (0, 0));
    assert_eq!(
        list.apply(&full(3, &["A", "B"]), 48, 20),
        UpdateStatus::Accepted
    );
    assert_eq!(
        (list.version(), list.id_tags()),
        (3, vec!["A".into(), "B".into()])
    );
    // A Full update may carry any version, also a lower one, and replaces everything.
    assert_eq!(list.apply(&full(1, &["C"]), 48, 20), UpdateStatus::Accepted);
    assert_eq!((list.version(), list.id_tags()), (1, vec!["C".into()]));
    // Without entries: the list is emptied.
    let empty = SendLocalListRequest {
        list_version: 2,
        local_authorization_list: None,
        update_type: UpdateType::Full,
    };
    assert_eq!(list.apply(&empty, 48, 20), UpdateStatus::Accepted);
    assert_eq!((list.version(), list.len()), (2, 0));
}

#[test]
fn a_differential_update_adds_updates_and_removes() {
    let mut list = LocalList::default();
    list.apply(&full(1, &["A", "B"]), 48, 20);
    let change = update(
        UpdateType::Differential,
        2,
        vec![
            entry("a", Some(info(AuthorizationStatus::Blocked, None))),
            entry("B", None),
            entry("C", Some(accepted())),
            entry("GONE", None),
        ],
    );
    assert_eq!(list.apply(&change, 48, 20), UpdateStatus::Accepted);
    assert_eq!(list.version(), 2);
    assert_eq!(list.len(), 2);
    // idTags compare case-insensitively: "a" updated "A".
    assert_eq!(
        list.get("A").map(|i| i.status),
        Some(AuthorizationStatus::Blocked)
    );
    assert_eq!(list.get("b"), None);
    assert_eq!(
        list.get("c").map(|i| i.status),
        Some(AuthorizationStatus::Accepted)
    );
}

#[test]
fn a_differential_update_must_raise_the_version() {
    let mut list = LocalList::default();
    list.apply(&full(5, &["A"]), 48, 20);
    for version in [5, 4, 0, -1] {
        let change = update(
            UpdateType::Differential,
            version,
            vec![entry("B", Some(accepted()))],
        );
        assert_eq!(
            list.apply(&change, 48, 20),
            UpdateStatus::VersionMismatch,
            "{version}"
        );
    }
    assert_eq!((list.version(), list.len()), (5, 1));
    let change = update(
        UpdateType::Differential,
        6,
        vec![entry("B", Some(accepted()))],
    );
    assert_eq!(list.apply(&change, 48, 20), UpdateStatus::Accepted);
    assert_eq!((list.version(), list.len()), (6, 2));
}

#[test]
fn an_update_beyond_the_limits_fails_and_changes_nothing() {
    let mut list = LocalList::default();
    // More entries in one message than SendLocalListMaxLength.
    assert_eq!(
        list.apply(&full(1, &["A", "B", "C"]), 48, 2),
        UpdateStatus::Failed
    );
    assert_eq!((list.version(), list.len()), (0, 0));
    // A list longer than LocalAuthListMaxLength.
    assert_eq!(
        list.apply(&full(1, &["A", "B", "C"]), 2, 20),
        UpdateStatus::Failed
    );
    assert_eq!(
        list.apply(&full(1, &["A", "B"]), 2, 20),
        UpdateStatus::Accepted
    );
    let grow = update(
        UpdateType::Differential,
        2,
        vec![entry("C", Some(accepted()))],
    );
    assert_eq!(list.apply(&grow, 2, 20), UpdateStatus::Failed);
    assert_eq!((list.version(), list.len()), (1, 2));
    // Removing one and adding one stays within the limit.
    let swap = update(
        UpdateType::Differential,
        2,
        vec![entry("A", None), entry("C", Some(accepted()))],
    );
    assert_eq!(list.apply(&swap, 2, 20), UpdateStatus::Accepted);
    assert_eq!(list.id_tags(), vec!["B".to_owned(), "C".to_owned()]);
}

#[test]
fn offline_decisions_use_the_local_list_then_the_cache() {
    let mut station = Station::default();
    let decide = |station: &Station, id_tag: &str| {
        let decision = station.authorize_offline(id_tag, NOW);
        (decision.status, decision.source)
    };
    use AuthorizationStatus::{Accepted, Blocked, Expired, Invalid};
    use DecisionSource::{Cache, LocalList, Unknown};

    assert_eq!(decide(&station, "A"), (Invalid, Unknown));
    station.remember("A", &info(Accepted, Some(FUTURE)));
    station.remember("OLD", &info(Accepted, Some(PAST)));
    station.remember("BAD", &info(Blocked, None));
    assert_eq!(decide(&station, "a"), (Accepted, Cache));
    assert_eq!(decide(&station, "OLD"), (Expired, Cache));
    assert_eq!(decide(&station, "BAD"), (Blocked, Cache));

    // The local list goes first: it blocks what the cache would accept.
    let change = update(
        UpdateType::Full,
        1,
        vec![
            entry("A", Some(info(Blocked, None))),
            entry("L", Some(info(Accepted, None))),
            entry("L-OLD", Some(info(Accepted, Some(PAST)))),
        ],
    );
    assert_eq!(
        reply(&station.handle(&Command::SendLocalList(change))).outcome(),
        "Accepted"
    );
    assert_eq!(decide(&station, "A"), (Blocked, LocalList));
    assert_eq!(decide(&station, "L"), (Accepted, LocalList));
    assert_eq!(decide(&station, "L-OLD"), (Expired, LocalList));

    // ClearCache forgets the cache, not the list.
    assert_eq!(outcome(&mut station, ClearCacheRequest {}), "Accepted");
    assert!(station.cache().is_empty());
    assert_eq!(decide(&station, "BAD"), (Invalid, Unknown));
    assert_eq!(decide(&station, "L"), (Accepted, LocalList));

    // With the local list disabled, only the cache counts.
    let disable = ChangeConfigurationRequest {
        key: "LocalAuthListEnabled".into(),
        value: "false".into(),
    };
    assert_eq!(outcome(&mut station, disable), "Accepted");
    assert_eq!(decide(&station, "L"), (Invalid, Unknown));

    // An unknown idTag may charge offline only when AllowOfflineTxForUnknownId says so.
    let allow = ChangeConfigurationRequest {
        key: "AllowOfflineTxForUnknownId".into(),
        value: "TRUE".into(),
    };
    assert_eq!(outcome(&mut station, allow), "Accepted");
    assert_eq!(decide(&station, "NOBODY"), (Accepted, Unknown));
}

#[test]
fn the_cache_is_kept_only_while_enabled() {
    let mut station = Station::default();
    station.remember("A", &accepted());
    assert_eq!(station.cache().len(), 1);
    let off = ChangeConfigurationRequest {
        key: "AuthorizationCacheEnabled".into(),
        value: "false".into(),
    };
    assert_eq!(outcome(&mut station, off), "Accepted");
    assert!(station.cache().is_empty());
    station.remember("B", &accepted());
    assert!(station.cache().is_empty());
    assert_eq!(
        station.authorize_offline("B", NOW).source,
        DecisionSource::Unknown
    );
}

#[test]
fn configuration_keys_read_and_change() {
    let mut station = Station::new(StationSetup {
        local_list_max: 100,
        send_local_list_max: 10,
        connectors: 2,
        ..StationSetup::default()
    });
    let get = |station: &mut Station, keys: Option<Vec<&str>>| {
        let request = GetConfigurationRequest {
            key: keys.map(|keys| keys.into_iter().map(str::to_owned).collect()),
        };
        match reply(&station.handle(&request.into())) {
            CommandResponse::GetConfiguration(response) => response.clone(),
            other => panic!("{other:?}"),
        }
    };
    let all = get(&mut station, None);
    let keys = all.configuration_key.unwrap();
    assert_eq!(all.unknown_key, None);
    let value = |name: &str| {
        keys.iter()
            .find(|k| k.key == name)
            .map(|k| (k.value.clone().unwrap(), k.readonly))
    };
    assert_eq!(value("LocalAuthListMaxLength"), Some(("100".into(), true)));
    assert_eq!(value("SendLocalListMaxLength"), Some(("10".into(), true)));
    assert_eq!(value("NumberOfConnectors"), Some(("2".into(), true)));
    assert_eq!(value("LocalAuthListEnabled"), Some(("true".into(), false)));
    assert_eq!(
        value("AuthorizationCacheEnabled"),
        Some(("true".into(), false))
    );
    assert_eq!(
        value("AllowOfflineTxForUnknownId"),
        Some(("false".into(), false))
    );
    assert_eq!(value("HeartbeatInterval"), Some(("300".into(), false)));
    assert_eq!(
        value("SupportedFeatureProfiles"),
        Some(("Core,LocalAuthListManagement,RemoteTrigger".into(), true))
    );
    // Every key is valid on the wire (the answer is schema-checked when sent).
    assert!(CommandResponse::GetConfiguration(get(&mut station, None))
        .to_payload()
        .is_ok());

    let some = get(
        &mut station,
        Some(vec!["heartbeatinterval", "Foo", "NumberOfConnectors"]),
    );
    assert_eq!(
        some.configuration_key
            .unwrap()
            .iter()
            .map(|k| (k.key.as_str(), k.value.as_deref()))
            .collect::<Vec<_>>(),
        vec![
            ("HeartbeatInterval", Some("300")),
            ("NumberOfConnectors", Some("2"))
        ]
    );
    assert_eq!(some.unknown_key, Some(vec!["Foo".to_owned()]));
    let none_known = get(&mut station, Some(vec!["Foo"]));
    assert_eq!(none_known.configuration_key, None);

    let mut change = |key: &str, value: &str| {
        outcome(
            &mut station,
            ChangeConfigurationRequest {
                key: key.into(),
                value: value.into(),
            },
        )
    };
    assert_eq!(change("HeartbeatInterval", "60"), "Accepted");
    assert_eq!(change("HeartbeatInterval", "soon"), "Rejected");
    assert_eq!(change("HeartbeatInterval", "-5"), "Rejected");
    assert_eq!(change("NumberOfConnectors", "3"), "Rejected");
    assert_eq!(change("LocalAuthListMaxLength", "1000"), "Rejected");
    assert_eq!(change("LocalPreAuthorize", "yes"), "Rejected");
    assert_eq!(change("LocalPreAuthorize", "true"), "Accepted");
    assert_eq!(change(REBOOT_REQUIRED_KEY, "30"), "RebootRequired");
    assert_eq!(change("NoSuchKey", "1"), "NotSupported");
    assert_eq!(station.configuration().get("HeartbeatInterval"), Some("60"));
    assert_eq!(station.heartbeat_interval(), Duration::from_secs(60));
    assert_eq!(station.configuration().get(REBOOT_REQUIRED_KEY), Some("30"));
    assert!(station.configuration().flag("LocalPreAuthorize"));
}

#[test]
fn a_station_without_a_local_list_says_so() {
    let mut station = Station::new(StationSetup {
        local_list: LocalListSupport::Unsupported,
        ..StationSetup::default()
    });
    assert_eq!(
        outcome(&mut station, GetLocalListVersionRequest {}),
        "not supported"
    );
    assert_eq!(outcome(&mut station, full(1, &["A"])), "NotSupported");
    assert_eq!(station.local_list().len(), 0);
    assert_eq!(
        station.configuration().get("SupportedFeatureProfiles"),
        Some("Core,RemoteTrigger")
    );
    assert_eq!(station.configuration().get("LocalAuthListEnabled"), None);
    assert_eq!(station.configuration().get("LocalAuthListMaxLength"), None);
    // Rejecting changes does not make it claim a list either.
    station.set_behaviour(CommandBehaviour::Reject);
    assert_eq!(outcome(&mut station, full(1, &["A"])), "NotSupported");
    assert_eq!(
        outcome(&mut station, GetLocalListVersionRequest {}),
        "not supported"
    );
}

#[test]
fn the_local_list_version_is_reported() {
    let mut station = Station::default();
    assert_eq!(
        outcome(&mut station, GetLocalListVersionRequest {}),
        "version 0"
    );
    assert_eq!(outcome(&mut station, full(7, &["A"])), "Accepted");
    assert_eq!(
        outcome(&mut station, GetLocalListVersionRequest {}),
        "version 7"
    );
    let stale = update(
        UpdateType::Differential,
        7,
        vec![entry("B", Some(accepted()))],
    );
    assert_eq!(outcome(&mut station, stale), "VersionMismatch");
    let too_many: Vec<String> = (0..21).map(|n| format!("T{n}")).collect();
    let refs: Vec<&str> = too_many.iter().map(String::as_str).collect();
    assert_eq!(outcome(&mut station, full(8, &refs)), "Failed");
    assert_eq!(
        outcome(&mut station, GetLocalListVersionRequest {}),
        "version 7"
    );
}

fn running(transaction_id: i64) -> RunningTransaction {
    RunningTransaction {
        transaction_id,
        id_tag: "A".into(),
        meter_start: 100,
    }
}

#[test]
fn remote_start_and_stop() {
    let mut station = Station::new(StationSetup {
        connectors: 2,
        ..StationSetup::default()
    });
    let start = |connector: Option<i64>| RemoteStartTransactionRequest {
        connector_id: connector,
        id_tag: "A".into(),
    };
    let handled = station.handle(&start(Some(1)).into());
    assert_eq!(reply(&handled).outcome(), "Accepted");
    assert_eq!(
        handled.follow_ups,
        vec![FollowUp::StartTransaction {
            connector: 1,
            id_tag: "A".into()
        }]
    );
    // Connector 1 is taken (its StartTransaction is on its way): a second start there is rejected, one
    // without a connector goes to connector 2, then none is free.
    assert_eq!(outcome(&mut station, start(Some(1))), "Rejected");
    let handled = station.handle(&start(None).into());
    assert_eq!(
        handled.follow_ups,
        vec![FollowUp::StartTransaction {
            connector: 2,
            id_tag: "A".into()
        }]
    );
    assert_eq!(outcome(&mut station, start(None)), "Rejected");
    assert_eq!(outcome(&mut station, start(Some(3))), "Rejected");

    station.begin_transaction(1, running(41));
    station.abandon_start(2);
    let stop = |transaction_id| RemoteStopTransactionRequest { transaction_id };
    assert_eq!(outcome(&mut station, stop(99)), "Rejected");
    let handled = station.handle(&stop(41).into());
    assert_eq!(reply(&handled).outcome(), "Accepted");
    assert_eq!(
        handled.follow_ups,
        vec![FollowUp::StopTransaction {
            connector: 1,
            reason: Reason::Remote
        }]
    );
    assert_eq!(
        station.end_transaction(41),
        Some(TransactionEnd {
            connector: 1,
            connector_status: None,
            station_status: None
        })
    );
    assert_eq!(station.end_transaction(41), None);
    assert_eq!(station.transaction_on(1), None);
    assert_eq!(outcome(&mut station, start(Some(1))), "Accepted");
}

#[test]
fn unlock_reset_trigger_and_data_transfer() {
    let mut station = Station::default();
    let unlock = |connector_id| UnlockConnectorRequest { connector_id };
    let handled = station.handle(&unlock(1).into());
    assert_eq!(
        (reply(&handled).outcome(), handled.follow_ups.len()),
        ("Unlocked".into(), 0)
    );
    assert_eq!(outcome(&mut station, unlock(2)), "NotSupported");
    station.begin_transaction(1, running(5));
    assert_eq!(
        station.handle(&unlock(1).into()).follow_ups,
        vec![FollowUp::StopTransaction {
            connector: 1,
            reason: Reason::UnlockCommand
        }]
    );

    let handled = station.handle(
        &ResetRequest {
            reset_type: ResetType::Soft,
        }
        .into(),
    );
    assert_eq!(reply(&handled).outcome(), "Accepted");
    assert_eq!(handled.follow_ups, vec![FollowUp::Reset(ResetType::Soft)]);

    let trigger = |message, connector_id| TriggerMessageRequest {
        requested_message: message,
        connector_id,
    };
    let handled = station.handle(&trigger(MessageTrigger::StatusNotification, Some(1)).into());
    assert_eq!(reply(&handled).outcome(), "Accepted");
    assert_eq!(
        handled.follow_ups,
        vec![FollowUp::Trigger {
            message: MessageTrigger::StatusNotification,
            connector: Some(1)
        }]
    );
    assert_eq!(
        outcome(&mut station, trigger(MessageTrigger::Heartbeat, None)),
        "Accepted"
    );
    assert_eq!(
        outcome(&mut station, trigger(MessageTrigger::MeterValues, Some(2))),
        "Rejected"
    );

    let transfer = |vendor: &str| DataTransferRequest {
        vendor_id: vendor.into(),
        message_id: None,
        data: None,
    };
    assert_eq!(outcome(&mut station, transfer("ChargeDesk")), "Accepted");
    assert_eq!(
        outcome(&mut station, transfer("com.example")),
        "UnknownVendorId"
    );
}

#[test]
fn availability_changes_now_or_when_the_transaction_ends() {
    let mut station = Station::new(StationSetup {
        connectors: 2,
        ..StationSetup::default()
    });
    let change = |connector_id, availability_type| ChangeAvailabilityRequest {
        connector_id,
        availability_type,
    };
    let handled = station.handle(&change(2, AvailabilityType::Inoperative).into());
    assert_eq!(reply(&handled).outcome(), "Accepted");
    assert_eq!(
        handled.follow_ups,
        vec![FollowUp::Status {
            connector: 2,
            status: ChargePointStatus::Unavailable
        }]
    );
    // Already so: accepted, nothing to report.
    assert!(station
        .handle(&change(2, AvailabilityType::Inoperative).into())
        .follow_ups
        .is_empty());
    assert_eq!(
        outcome(&mut station, change(3, AvailabilityType::Operative)),
        "Rejected"
    );
    // An out-of-service connector takes no remote start.
    assert_eq!(
        outcome(
            &mut station,
            RemoteStartTransactionRequest {
                connector_id: Some(2),
                id_tag: "A".into()
            }
        ),
        "Rejected"
    );

    // The whole station out of service while connector 1 charges: scheduled for connector 1.
    station.begin_transaction(1, running(9));
    let handled = station.handle(&change(0, AvailabilityType::Inoperative).into());
    assert_eq!(reply(&handled).outcome(), "Scheduled");
    assert!(handled.follow_ups.is_empty());
    assert_eq!(
        station.connector(1).map(|c| c.availability),
        Some(AvailabilityType::Operative)
    );
    // The charge point itself also waits for the transaction.
    assert_eq!(station.station_status(), ChargePointStatus::Available);
    assert_eq!(
        station.end_transaction(9),
        Some(TransactionEnd {
            connector: 1,
            connector_status: Some(ChargePointStatus::Unavailable),
            station_status: Some(ChargePointStatus::Unavailable),
        })
    );
    assert_eq!(
        station.connector(1).map(|c| c.availability),
        Some(AvailabilityType::Inoperative)
    );
    assert_eq!(station.idle_status(0), ChargePointStatus::Unavailable);
    assert_eq!(station.idle_status(1), ChargePointStatus::Unavailable);

    // Back in service, the charge point and both connectors at once.
    let handled = station.handle(&change(0, AvailabilityType::Operative).into());
    assert_eq!(reply(&handled).outcome(), "Accepted");
    assert_eq!(
        handled.follow_ups,
        vec![
            FollowUp::Status {
                connector: 0,
                status: ChargePointStatus::Available
            },
            FollowUp::Status {
                connector: 1,
                status: ChargePointStatus::Available
            },
            FollowUp::Status {
                connector: 2,
                status: ChargePointStatus::Available
            },
        ]
    );
    // With nothing running, connector 0 changes at once.
    let handled = station.handle(&change(0, AvailabilityType::Inoperative).into());
    assert_eq!(reply(&handled).outcome(), "Accepted");
    assert_eq!(handled.follow_ups.len(), 3);
    assert_eq!(station.station_status(), ChargePointStatus::Unavailable);
}

#[test]
fn every_behaviour_answers_every_command() {
    let commands: Vec<Command> = vec![
        RemoteStartTransactionRequest {
            connector_id: Some(1),
            id_tag: "A".into(),
        }
        .into(),
        RemoteStopTransactionRequest { transaction_id: 1 }.into(),
        UnlockConnectorRequest { connector_id: 1 }.into(),
        ResetRequest {
            reset_type: ResetType::Hard,
        }
        .into(),
        ChangeAvailabilityRequest {
            connector_id: 1,
            availability_type: AvailabilityType::Inoperative,
        }
        .into(),
        GetConfigurationRequest { key: None }.into(),
        ChangeConfigurationRequest {
            key: "HeartbeatInterval".into(),
            value: "10".into(),
        }
        .into(),
        ClearCacheRequest {}.into(),
        TriggerMessageRequest {
            requested_message: MessageTrigger::Heartbeat,
            connector_id: None,
        }
        .into(),
        GetLocalListVersionRequest {}.into(),
        full(1, &["A"]).into(),
        DataTransferRequest {
            vendor_id: "ChargeDesk".into(),
            message_id: None,
            data: None,
        }
        .into(),
    ];
    let answers = |behaviour: CommandBehaviour| {
        let mut station = Station::new(StationSetup {
            behaviour,
            ..StationSetup::default()
        });
        commands
            .iter()
            .map(|command| {
                let handled = station.handle(command);
                if let Answer::Reply(response) = &handled.answer {
                    // Every answer is one the central system can read.
                    assert_eq!(response.action(), command.action());
                    assert!(response.to_payload().is_ok(), "{response:?}");
                }
                match handled.answer {
                    Answer::Reply(response) => response.outcome(),
                    Answer::Refuse(error) => format!("CALLERROR {}", error.code),
                    Answer::Silent => "silent".to_owned(),
                }
            })
            .collect::<Vec<_>>()
    };
    // In order: the remote start takes connector 1, so taking it out of service waits for that session.
    assert_eq!(
        answers(CommandBehaviour::Accept),
        [
            "Accepted",
            "Rejected",
            "Unlocked",
            "Accepted",
            "Scheduled",
            "22 keys",
            "Accepted",
            "Accepted",
            "Accepted",
            "version 0",
            "Accepted",
            "Accepted"
        ]
    );
    assert_eq!(
        answers(CommandBehaviour::Reject),
        [
            "Rejected",
            "Rejected",
            "UnlockFailed",
            "Rejected",
            "Rejected",
            "22 keys",
            "Rejected",
            "Rejected",
            "Rejected",
            "version 0",
            "Failed",
            "Rejected"
        ]
    );
    assert_eq!(
        answers(CommandBehaviour::NotSupported),
        vec!["CALLERROR NotSupported"; commands.len()]
    );
    assert_eq!(
        answers(CommandBehaviour::Silent),
        vec!["silent"; commands.len()]
    );
}
