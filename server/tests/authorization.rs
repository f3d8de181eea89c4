//! The authorization matrix: every server function, called over HTTP as somebody who must be refused —
//! anonymous, an administrator of another branch of the organization tree, an administrator of a
//! sub-organization reaching up, a cardholder — must be refused, identically whether or not the target exists,
//! and must change nothing. Positive controls show that the same calls work for those who may make them.

mod common;

use app::AppError;
use common::{TestApp, PASSWORD};
use shared::ids::StationId;
use shared::model::{
    AccessModeSettings, AuditEntry, DecisionRecord, FrameDirection, FrameType, OcppLogEntry,
    OrgSummary, PassSummary, StationDetail, StationSummary, UnknownTap, UserSummary,
};
use shared::paging::Page;
use shared::role::Role;
use shared::station::AccessMode;
use shared::{OrgId, PassId};
use std::collections::BTreeSet;

const MISSING: &str = "987654";

/// Server functions that anybody may call: logging in, and logging out (which only ends the caller's session);
/// "Forgot your password?" and the mailed link's check and use (the token is the credential; see
/// `tests/accounts.rs` for what an attacker gets from them).
const OPEN: &[&str] = &[
    "login",
    "login_second_factor",
    "logout",
    "forgot_password",
    "check_account_link",
    "set_password_with_link",
];
/// Server functions that act only on the caller themself.
const SELF_ONLY: &[&str] = &[
    "current_user",
    "my_passes",
    "my_sessions",
    "my_account",
    "my_two_factor",
    "start_two_factor",
];

/// Server functions that act only on the caller themself and take arguments, with arguments that would succeed.
fn self_calls() -> Vec<(&'static str, Vec<(&'static str, String)>)> {
    vec![
        ("confirm_two_factor", vec![("code", "123456".into())]),
        ("new_recovery_codes", vec![("code", "123456".into())]),
        (
            "turn_off_two_factor",
            vec![("password", PASSWORD.into()), ("code", "123456".into())],
        ),
        (
            "change_name",
            vec![
                ("first_name", "Eve".into()),
                ("last_name", "Intruder".into()),
            ],
        ),
        (
            "change_password",
            vec![
                ("current_password", PASSWORD.into()),
                ("new_password", "a brand new password".into()),
            ],
        ),
    ]
}

/// Every server function that works inside an organization, with arguments that would succeed for an
/// administrator of `org` (the user, pass and station ids are those of the fixture's organization A).
fn org_calls(
    org: &str,
    user: &str,
    pass: &str,
    station: &str,
) -> Vec<(&'static str, Vec<(&'static str, String)>)> {
    let o = || ("org", org.to_owned());
    let s = || ("station", station.to_owned());
    vec![
        ("get_org_context", vec![o()]),
        ("list_organizations", vec![o()]),
        (
            "add_organization",
            vec![o(), ("name", "Intruder Inc".into())],
        ),
        ("list_users", vec![o()]),
        (
            "add_user",
            vec![
                o(),
                ("first_name", "Eve".into()),
                ("last_name", "Intruder".into()),
                ("email", "eve@intruder.example".into()),
                ("role", "administrator".into()),
            ],
        ),
        ("remove_user", vec![o(), ("user", user.to_owned())]),
        ("resend_invitation", vec![o(), ("user", user.to_owned())]),
        ("revoke_invitation", vec![o(), ("user", user.to_owned())]),
        (
            "list_passes",
            vec![
                o(),
                ("after", "1795511130000.1.50".into()),
                ("mode", "roaming".into()),
                ("size", "1000000".into()),
            ],
        ),
        (
            "add_pass",
            vec![
                o(),
                ("user_id", user.to_owned()),
                ("public_card_id", String::new()),
                ("hidden_id", "04EEEE11CD2345".into()),
                ("nickname", "Sneaky tag".into()),
                ("confirmed", "false".into()),
            ],
        ),
        (
            "set_pass_mode",
            vec![o(), ("pass", pass.to_owned()), ("mode", "roaming".into())],
        ),
        ("delete_pass", vec![o(), ("pass", pass.to_owned())]),
        ("pass_decisions", vec![o(), ("pass", pass.to_owned())]),
        ("audit_log", vec![o()]),
        ("org_two_factor_requirement", vec![o()]),
        (
            "set_two_factor_requirement",
            vec![o(), ("required", "false".into())],
        ),
        ("default_access_mode", vec![o()]),
        (
            "set_default_access_mode",
            vec![o(), ("mode", "open".into())],
        ),
        ("list_stations", vec![o()]),
        (
            "add_station",
            vec![
                o(),
                ("charge_point_id", "CP-INTRUDER".into()),
                ("name", "Intruder's station".into()),
                ("allow_unauthenticated", "true".into()),
            ],
        ),
        ("get_station", vec![o(), s()]),
        ("unknown_taps", vec![o(), s()]),
        (
            "station_logs",
            vec![
                o(),
                s(),
                ("action", "Authorize".into()),
                ("from", "2020-01-01T00:00".into()),
                ("to", String::new()),
            ],
        ),
        (
            "set_station_access_mode",
            vec![o(), s(), ("mode", "open".into())],
        ),
        ("generate_station_password", vec![o(), s()]),
        (
            "set_station_unauthenticated",
            vec![o(), s(), ("allowed", "true".into())],
        ),
        (
            "list_transactions",
            vec![
                o(),
                ("before", "1795511130000.1.50".into()),
                ("size", "1000000".into()),
                ("filter[station]", station.to_owned()),
                ("filter[from]", "2026-11-01".into()),
                ("filter[billing]", "settled".into()),
                ("filter[active]", "false".into()),
            ],
        ),
        (
            "transactions_overview",
            vec![
                o(),
                ("filter[station]", station.to_owned()),
                ("filter[to]", "2026-11-30".into()),
                ("filter[billing]", "whitelisted".into()),
            ],
        ),
        (
            "send_station_command",
            vec![
                o(),
                s(),
                ("command", "reset".into()),
                ("option", "hard".into()),
            ],
        ),
        ("station_commands", vec![o(), s()]),
        (
            "get_station_command",
            vec![o(), s(), ("command", "1".into())],
        ),
        ("get_station_configuration", vec![o(), s()]),
        ("station_active_transactions", vec![o(), s()]),
        ("station_local_list", vec![o(), s()]),
        ("resend_local_list", vec![o(), s()]),
        ("org_tariff", vec![o()]),
        ("set_org_tariff", [vec![o()], tariff_form()].concat()),
        ("station_tariff", vec![o(), s()]),
        (
            "set_station_tariff",
            [vec![o(), s()], tariff_form()].concat(),
        ),
        (
            "set_station_current_kind",
            vec![o(), s(), ("kind", "dc".into())],
        ),
        ("list_statements", vec![o()]),
        ("settlement_months", vec![o()]),
        ("get_settlement_settings", vec![o()]),
        (
            "set_time_zone",
            vec![o(), ("time_zone", "America/New_York".into())],
        ),
        (
            "set_reimbursement_rates",
            vec![o(), ("ac", "9.99".into()), ("dc", "9.99".into())],
        ),
        (
            "set_billing_details",
            vec![
                o(),
                ("billing[kind]", "company".into()),
                ("billing[legal_name]", "Intruder B.V.".into()),
                ("billing[address_line]", "Elsewhere 1".into()),
                ("billing[postcode]", "1000 AA".into()),
                ("billing[city]", "Amsterdam".into()),
                ("billing[country]", "NL".into()),
                ("billing[vat_number]", "NL123456789B01".into()),
                ("billing[iban]", "NL91ABNA0417164300".into()),
            ],
        ),
    ]
}

/// A valid tariff form, as the browser sends `tariff: Option<TariffForm>`.
fn tariff_form() -> Vec<(&'static str, String)> {
    vec![
        ("tariff[currency]", "EUR".into()),
        ("tariff[start_fee]", "0.50".into()),
        ("tariff[per_kwh_ac]", "0.35".into()),
        ("tariff[per_kwh_dc]", "0.59".into()),
        ("tariff[per_hour_charging]", String::new()),
        ("tariff[per_hour_idle]", String::new()),
        ("tariff[idle_free_minutes]", String::new()),
        ("tariff[max_per_session]", String::new()),
        ("tariff[vat_percent]", "21".into()),
    ]
}

struct Fixture {
    app: TestApp,
    partner: String,
    org_a: OrgId,
    org_a1: OrgId,
    org_b: OrgId,
    admin_a: String,
    admin_a1: String,
    admin_b: String,
    cardholder_a: String,
    cardholder_a_id: String,
    pass_a: PassId,
    /// A station in A, and one in its sub-organization A1.
    station_a: StationId,
    station_a1: StationId,
}

/// Registers a station over HTTP as the administrator with session `cookie`, allowed to connect without a
/// password (so that tests can play it directly).
async fn add_station(app: &TestApp, cookie: &str, org: OrgId, cp: &str) -> StationId {
    let added: serde_json::Value = app
        .call(
            Some(cookie),
            "add_station",
            &[
                ("org", &org.to_string()),
                ("charge_point_id", cp),
                ("name", &format!("Station {cp}")),
                ("allow_unauthenticated", "true"),
            ],
        )
        .await
        .expect("add station");
    StationId(added["id"].as_i64().expect("station id"))
}

async fn fixture() -> Fixture {
    let app = TestApp::new().await;
    let (root, _) = app.partner("Volta Partners", "pat@volta.example").await;
    let partner = app.login("pat@volta.example", PASSWORD).await;
    let org_a = app.sub_org(&partner, root, "Customer A").await;
    let org_a1 = app.sub_org(&partner, org_a, "Customer A Depot").await;
    let org_b = app.sub_org(&partner, root, "Customer B").await;
    app.member(&partner, org_a, "admin@a.example", Role::Administrator)
        .await;
    app.member(&partner, org_a1, "admin@a1.example", Role::Administrator)
        .await;
    app.member(&partner, org_b, "admin@b.example", Role::Administrator)
        .await;
    let holder = app
        .member(&partner, org_a, "driver@a.example", Role::Cardholder)
        .await;
    app.member(&partner, org_b, "driver@b.example", Role::Cardholder)
        .await;
    let added: serde_json::Value = app
        .call(
            Some(&partner),
            "add_pass",
            &[
                ("org", &org_a.to_string()),
                ("user_id", &holder.to_string()),
                ("public_card_id", ""),
                ("hidden_id", "04AAAB11CD2345"),
                ("nickname", "Driver tag"),
                ("confirmed", "false"),
            ],
        )
        .await
        .expect("partner adds a pass in A");
    let pass_a = PassId(added["id"].as_i64().expect("pass id"));
    let station_a = add_station(&app, &partner, org_a, "CP-A-1").await;
    let station_a1 = add_station(&app, &partner, org_a1, "CP-A1-1").await;
    Fixture {
        admin_a: app.login("admin@a.example", PASSWORD).await,
        admin_a1: app.login("admin@a1.example", PASSWORD).await,
        admin_b: app.login("admin@b.example", PASSWORD).await,
        cardholder_a: app.login("driver@a.example", PASSWORD).await,
        cardholder_a_id: holder.to_string(),
        app,
        partner,
        org_a,
        org_a1,
        org_b,
        pass_a,
        station_a,
        station_a1,
    }
}

impl Fixture {
    /// The matrix rows for `org`, with the fixture's user, pass and station of A.
    fn calls(&self, org: &str) -> Vec<(&'static str, Vec<(&'static str, String)>)> {
        org_calls(
            org,
            &self.cardholder_a_id,
            &self.pass_a.to_string(),
            &self.station_a.to_string(),
        )
    }
}

async fn raw(
    app: &TestApp,
    cookie: Option<&str>,
    endpoint: &str,
    args: &[(&'static str, String)],
) -> (u16, Vec<u8>) {
    let form: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, body, _) = app.post(cookie, endpoint, &form).await;
    (status.as_u16(), body)
}

/// Everything organization A holds, to prove that refused calls changed nothing.
#[derive(Debug, PartialEq)]
struct Snapshot {
    orgs: Vec<OrgSummary>,
    users: Vec<UserSummary>,
    passes: Vec<PassSummary>,
    audit_entries: usize,
    /// A's stations and A1's, with their access modes and whether they have a password.
    stations: Vec<StationSummary>,
    default_access_mode: AccessModeSettings,
}

async fn snapshot_a(f: &Fixture) -> Snapshot {
    let org = f.org_a.to_string();
    let args = [("org", org.as_str())];
    let (app, partner) = (&f.app, Some(f.partner.as_str()));
    let audit: Vec<AuditEntry> = app.call(partner, "audit_log", &args).await.unwrap();
    Snapshot {
        orgs: app
            .call(partner, "list_organizations", &args)
            .await
            .unwrap(),
        users: app.call(partner, "list_users", &args).await.unwrap(),
        passes: app
            .call::<Page<PassSummary>>(partner, "list_passes", &args)
            .await
            .unwrap()
            .items,
        audit_entries: audit.len(),
        stations: app.call(partner, "list_stations", &args).await.unwrap(),
        default_access_mode: app
            .call(partner, "default_access_mode", &args)
            .await
            .unwrap(),
    }
}

#[tokio::test]
async fn every_server_function_is_in_this_matrix() {
    let _app = TestApp::new().await; // builds the router, which registers the server functions
    let registered: BTreeSet<String> = server_fn::axum::server_fn_paths()
        .map(|(path, _)| path.trim_start_matches("/api/").to_owned())
        .collect();
    let covered: BTreeSet<String> = org_calls("1", "1", "1", "1")
        .into_iter()
        .map(|(name, _)| name)
        .chain(OPEN.iter().copied())
        .chain(SELF_ONLY.iter().copied())
        .chain(self_calls().into_iter().map(|(name, _)| name))
        .map(str::to_owned)
        .collect();
    assert_eq!(
        registered, covered,
        "a server function was added or removed: give it a row in this authorization matrix"
    );
}

#[tokio::test]
async fn anonymous_callers_are_refused_everywhere() {
    let f = fixture().await;
    let before = snapshot_a(&f).await;
    let org = f.org_a.to_string();
    for (endpoint, args) in f.calls(&org) {
        let (status, body) = raw(&f.app, None, endpoint, &args).await;
        assert_eq!(status, 401, "{endpoint}");
        let reply: Result<serde_json::Value, AppError> =
            common::decode(status.try_into().unwrap(), &body);
        assert_eq!(reply.unwrap_err(), AppError::Unauthenticated, "{endpoint}");
        // A forged or expired cookie is no better than none.
        let (status, body) = raw(&f.app, Some("0123456789abcdef"), endpoint, &args).await;
        assert_eq!(status, 401, "{endpoint} with a forged cookie");
        let reply: Result<serde_json::Value, AppError> =
            common::decode(status.try_into().unwrap(), &body);
        assert_eq!(
            reply.unwrap_err(),
            AppError::Unauthenticated,
            "{endpoint} with a forged cookie"
        );
    }
    let self_only = SELF_ONLY
        .iter()
        .map(|name| (*name, Vec::new()))
        .chain(self_calls());
    for (endpoint, args) in self_only {
        let (status, body) = raw(&f.app, None, endpoint, &args).await;
        assert_eq!(status, 401, "{endpoint}");
        let reply: Result<serde_json::Value, AppError> =
            common::decode(status.try_into().unwrap(), &body);
        assert_eq!(reply.unwrap_err(), AppError::Unauthenticated, "{endpoint}");
    }
    assert_eq!(snapshot_a(&f).await, before);
}

#[tokio::test]
async fn outsiders_are_refused_without_learning_whether_the_target_exists() {
    let f = fixture().await;
    let before = snapshot_a(&f).await;
    let (a, a1, missing) = (
        f.org_a.to_string(),
        f.org_a1.to_string(),
        MISSING.to_owned(),
    );
    let outsiders = [
        ("administrator of sibling B", &f.admin_b, vec![&a, &a1]),
        (
            "administrator of sub-organization A1 reaching up",
            &f.admin_a1,
            vec![&a],
        ),
        ("cardholder of A", &f.cardholder_a, vec![&a, &a1]),
    ];
    for (who, cookie, targets) in outsiders {
        for target in targets {
            let existing = f.calls(target);
            let absent = f.calls(&missing);
            for ((endpoint, args), (_, absent_args)) in existing.into_iter().zip(absent) {
                let (status, body) = raw(&f.app, Some(cookie), endpoint, &args).await;
                assert_eq!(status, 404, "{who} → {endpoint} on org {target}");
                let reply: Result<serde_json::Value, AppError> =
                    common::decode(status.try_into().unwrap(), &body);
                assert_eq!(
                    reply.unwrap_err(),
                    AppError::NoAccess,
                    "{who} → {endpoint} on org {target}"
                );
                let (absent_status, absent_body) =
                    raw(&f.app, Some(cookie), endpoint, &absent_args).await;
                assert_eq!(
                    (status, &body),
                    (absent_status, &absent_body),
                    "{who} → {endpoint}: an existing and a missing organization must look alike"
                );
            }
        }
    }
    // The partner's root is above everyone but the partner.
    assert_eq!(
        snapshot_a(&f).await,
        before,
        "refused calls changed nothing in A"
    );
}

#[tokio::test]
async fn ids_from_another_organization_are_not_found_inside_ones_own() {
    let f = fixture().await;
    let before = snapshot_a(&f).await;
    let b = f.org_b.to_string();
    let foreign_pass = f.pass_a.to_string();
    for endpoint in ["delete_pass", "set_pass_mode", "pass_decisions"] {
        let call = |pass: String| {
            let mut args = vec![("org", b.clone()), ("pass", pass)];
            if endpoint == "set_pass_mode" {
                args.push(("mode", "roaming".into()));
            }
            args
        };
        let (status, body) = raw(
            &f.app,
            Some(&f.admin_b),
            endpoint,
            &call(foreign_pass.clone()),
        )
        .await;
        assert_eq!(status, 404, "{endpoint}");
        let reply: Result<(), AppError> = common::decode(status.try_into().unwrap(), &body);
        assert!(
            matches!(reply, Err(AppError::NotFound { .. })),
            "{endpoint}: {reply:?}"
        );
        let missing = raw(&f.app, Some(&f.admin_b), endpoint, &call(MISSING.into())).await;
        assert_eq!(
            (status, body),
            missing,
            "{endpoint}: a foreign and a missing pass must look alike"
        );
    }
    // A member of A (by the member id A's list shows) cannot be given a pass in B, nor removed from B, by B's
    // administrator: the answer is byte for byte that of a member id that does not exist.
    let add_pass_for = |member: &str| {
        vec![
            ("org", b.clone()),
            ("user_id", member.to_owned()),
            ("public_card_id", String::new()),
            ("hidden_id", "04BBBB11CD2345".into()),
            ("nickname", "Borrowed".into()),
            ("confirmed", "false".into()),
        ]
    };
    let foreign = raw(
        &f.app,
        Some(&f.admin_b),
        "add_pass",
        &add_pass_for(&f.cardholder_a_id),
    )
    .await;
    let reply: Result<serde_json::Value, AppError> =
        common::decode(foreign.0.try_into().unwrap(), &foreign.1);
    assert!(reply.unwrap_err().for_field("user_id").is_some());
    assert_eq!(
        foreign,
        raw(&f.app, Some(&f.admin_b), "add_pass", &add_pass_for(MISSING)).await,
        "add_pass: a foreign and a missing member must look alike"
    );
    let remove = |member: &str| vec![("org", b.clone()), ("user", member.to_owned())];
    let foreign = raw(
        &f.app,
        Some(&f.admin_b),
        "remove_user",
        &remove(&f.cardholder_a_id),
    )
    .await;
    assert_eq!(foreign.0, 404);
    assert_eq!(
        foreign,
        raw(&f.app, Some(&f.admin_b), "remove_user", &remove(MISSING)).await,
        "remove_user: a foreign and a missing member must look alike"
    );
    let passes_b: Page<PassSummary> = f
        .app
        .call(Some(&f.admin_b), "list_passes", &[("org", &b)])
        .await
        .unwrap();
    assert!(passes_b.items.is_empty());

    // Stations: another organization's station, and the parent organization's station seen from a
    // sub-organization, are not found, exactly like a station that does not exist. Every server function that
    // takes a station is called with the arguments of its matrix row.
    let a1 = f.org_a1.to_string();
    let station_a = f.station_a.to_string();
    let reachers = [
        ("administrator of sibling B", &f.admin_b, &b),
        ("administrator of sub-organization A1", &f.admin_a1, &a1),
    ];
    for (who, cookie, own_org) in reachers {
        let foreign = org_calls(own_org, &f.cardholder_a_id, MISSING, &station_a);
        let missing = org_calls(own_org, &f.cardholder_a_id, MISSING, MISSING);
        let station_rows = foreign.into_iter().zip(missing).filter(|((_, args), _)| {
            args.iter()
                .any(|(k, _)| *k == "station" || *k == "filter[station]")
        });
        let mut checked = 0;
        for ((endpoint, args), (_, missing_args)) in station_rows {
            let (status, body) = raw(&f.app, Some(cookie), endpoint, &args).await;
            assert_eq!(status, 404, "{who} → {endpoint} with A's station");
            let reply: Result<serde_json::Value, AppError> =
                common::decode(status.try_into().unwrap(), &body);
            assert_eq!(
                reply.unwrap_err(),
                AppError::NotFound {
                    what: "station".into()
                },
                "{who} → {endpoint} with A's station"
            );
            assert_eq!(
                (status, body),
                raw(&f.app, Some(cookie), endpoint, &missing_args).await,
                "{who} → {endpoint}: a foreign and a missing station must look alike"
            );
            checked += 1;
        }
        assert_eq!(checked, 18, "every station function was checked");
    }
    // Nor do another organization's stations show up in one's own lists.
    let stations_b: Vec<StationSummary> = f
        .app
        .call(Some(&f.admin_b), "list_stations", &[("org", &b)])
        .await
        .unwrap();
    assert!(stations_b.is_empty());
    let stations_a1: Vec<StationSummary> = f
        .app
        .call(Some(&f.admin_a1), "list_stations", &[("org", &a1)])
        .await
        .unwrap();
    let ids: Vec<StationId> = stations_a1.iter().map(|s| s.id).collect();
    assert_eq!(ids, [f.station_a1]);
    assert_eq!(snapshot_a(&f).await, before);
}

#[tokio::test]
async fn a_cardholder_sees_only_their_own_passes() {
    let f = fixture().await;
    let mine: Vec<PassSummary> = f
        .app
        .call(Some(&f.cardholder_a), "my_passes", &[])
        .await
        .unwrap();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].id, f.pass_a);
    let other = f.app.login("driver@b.example", PASSWORD).await;
    let theirs: Vec<PassSummary> = f.app.call(Some(&other), "my_passes", &[]).await.unwrap();
    assert!(theirs.is_empty());
}

/// "My passes": two cardholders of the same organization, charging at the same station, each see the sessions of
/// their own pass only; `my_sessions` takes no argument, and whatever a cardholder adds to the request (another
/// pass, member, organization) changes nothing.
#[tokio::test]
async fn two_cardholders_of_one_organization_see_only_their_own_sessions() {
    use shared::model::TransactionSummary;
    let f = fixture().await;
    let a = f.org_a.to_string();
    let second = f
        .app
        .member(&f.partner, f.org_a, "second@a.example", Role::Cardholder)
        .await;
    let added: serde_json::Value = f
        .app
        .call(
            Some(&f.partner),
            "add_pass",
            &[
                ("org", a.as_str()),
                ("user_id", &second.to_string()),
                ("public_card_id", ""),
                ("hidden_id", "04BBBB11CD2345"),
                ("nickname", "Second tag"),
                ("confirmed", "false"),
            ],
        )
        .await
        .expect("partner adds a second pass in A");
    let second_pass = PassId(added["id"].as_i64().expect("pass id"));
    let station = f.station_a.to_string();
    let opened: Result<(), AppError> = f
        .app
        .call(
            Some(&f.partner),
            "set_station_access_mode",
            &[("org", a.as_str()), ("station", &station), ("mode", "open")],
        )
        .await;
    opened.unwrap();
    let cp = f
        .app
        .db
        .station_login("CP-A-1")
        .await
        .unwrap()
        .expect("known station")
        .accept(&f.app.db)
        .expect("accepted");
    let t0 = 1_795_511_130_000;
    for (i, card) in ["04AAAB11CD2345", "04BBBB11CD2345", "04AAAB11CD2345"]
        .into_iter()
        .enumerate()
    {
        let start = shared::time::Timestamp(t0 + i as i64 * 3_600_000);
        let (id, _) = cp.start_transaction(1, card, 1_000, start).await.unwrap();
        cp.stop_transaction(
            id.0,
            3_000,
            shared::time::Timestamp(start.0 + 1_000),
            None,
            None,
        )
        .await
        .unwrap();
    }
    let second_cookie = f.app.login("second@a.example", PASSWORD).await;
    let first: Vec<TransactionSummary> = f
        .app
        .call(Some(&f.cardholder_a), "my_sessions", &[])
        .await
        .unwrap();
    assert_eq!(first.len(), 2);
    assert!(first.iter().all(|t| t.pass_id == Some(f.pass_a)));
    assert!(first[0].started_at > first[1].started_at, "newest first");
    let theirs: Vec<TransactionSummary> = f
        .app
        .call(Some(&second_cookie), "my_sessions", &[])
        .await
        .unwrap();
    assert_eq!(theirs.len(), 1);
    assert_eq!(theirs[0].pass_id, Some(second_pass));
    // Parameters naming the other's pass, membership or organization are ignored: the same answer, byte for byte.
    let plain = raw(&f.app, Some(&f.cardholder_a), "my_sessions", &[]).await;
    for args in [
        vec![("pass", second_pass.to_string())],
        vec![("user", second.to_string()), ("org", a.clone())],
        vec![
            ("user_id", second.to_string()),
            ("pass_id", second_pass.to_string()),
        ],
    ] {
        assert_eq!(
            raw(&f.app, Some(&f.cardholder_a), "my_sessions", &args).await,
            plain,
            "{args:?}"
        );
    }
    // Nor does anybody without a session get any.
    let (status, _) = raw(&f.app, None, "my_sessions", &[]).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn administrators_reach_every_depth_below_them() {
    let f = fixture().await;
    let pass = f.pass_a.to_string();
    // The partner two levels up, and A's administrator one level up, may work in A1; A's administrator in A.
    for (who, cookie, org) in [
        ("partner", &f.partner, f.org_a1),
        ("admin of A", &f.admin_a, f.org_a1),
        ("admin of A", &f.admin_a, f.org_a),
    ] {
        let org_s = org.to_string();
        for endpoint in [
            "get_org_context",
            "list_organizations",
            "list_users",
            "list_passes",
            "audit_log",
            "default_access_mode",
            "list_stations",
            "list_transactions",
            "transactions_overview",
        ] {
            let reply: Result<serde_json::Value, AppError> =
                f.app.call(Some(cookie), endpoint, &[("org", &org_s)]).await;
            assert!(reply.is_ok(), "{who} → {endpoint} on {org}: {reply:?}");
        }
    }
    // And may change things there: A's administrator moves A's pass to roaming and deletes it.
    let a = f.org_a.to_string();
    let moved: Result<(), AppError> = f
        .app
        .call(
            Some(&f.admin_a),
            "set_pass_mode",
            &[("org", &a), ("pass", &pass), ("mode", "roaming")],
        )
        .await;
    moved.unwrap();
    let deleted: Result<(), AppError> = f
        .app
        .call(
            Some(&f.admin_a),
            "delete_pass",
            &[("org", &a), ("pass", &pass)],
        )
        .await;
    deleted.unwrap();
}

#[tokio::test]
async fn a_sub_organizations_stations_are_managed_from_above() {
    let f = fixture().await;
    let a = f.org_a.to_string();
    let station = f.station_a1.to_string();
    // A's administrator sees A1's station among A's, marked as a sub-organization's, and may change it.
    let list: Vec<StationSummary> = f
        .app
        .call(Some(&f.admin_a), "list_stations", &[("org", &a)])
        .await
        .unwrap();
    let marks: Vec<(StationId, bool, &str)> = list
        .iter()
        .map(|s| (s.id, s.in_sub_org, s.org_name.as_str()))
        .collect();
    assert_eq!(
        marks,
        [
            (f.station_a, false, "Customer A"),
            (f.station_a1, true, "Customer A Depot")
        ]
    );
    let set: Result<(), AppError> = f
        .app
        .call(
            Some(&f.admin_a),
            "set_station_access_mode",
            &[("org", &a), ("station", &station), ("mode", "roaming")],
        )
        .await;
    set.unwrap();
    let generated: Result<String, AppError> = f
        .app
        .call(
            Some(&f.admin_a),
            "generate_station_password",
            &[("org", &a), ("station", &station)],
        )
        .await;
    shared::station::StationPassword::parse(&generated.unwrap()).unwrap();
    // A1's own administrator sees the result in A1.
    let a1 = f.org_a1.to_string();
    let detail: StationDetail = f
        .app
        .call(
            Some(&f.admin_a1),
            "get_station",
            &[("org", &a1), ("station", &station)],
        )
        .await
        .unwrap();
    assert_eq!(
        detail.summary.access_mode_override,
        Some(AccessMode::Roaming)
    );
    assert!(detail.summary.has_password);
    assert_eq!(detail.summary.unauthenticated_allowed, None);
    assert!(!detail.summary.in_sub_org);
    // Without a mode the station inherits again; unauthenticated connections can be allowed (which deletes
    // the password).
    let set: Result<(), AppError> = f
        .app
        .call(
            Some(&f.admin_a1),
            "set_station_access_mode",
            &[("org", &a1), ("station", &station)],
        )
        .await;
    set.unwrap();
    let allowed: Result<Option<String>, AppError> = f
        .app
        .call(
            Some(&f.admin_a1),
            "set_station_unauthenticated",
            &[("org", &a1), ("station", &station), ("allowed", "true")],
        )
        .await;
    assert_eq!(allowed.unwrap(), None);
    let detail: StationDetail = f
        .app
        .call(
            Some(&f.admin_a1),
            "get_station",
            &[("org", &a1), ("station", &station)],
        )
        .await
        .unwrap();
    assert_eq!(detail.summary.access_mode_override, None);
    assert!(!detail.summary.has_password);
    assert!(detail.summary.unauthenticated_allowed.is_some());
}

#[tokio::test]
async fn administrators_read_a_stations_log_unknown_cards_and_a_pass_decisions() {
    let f = fixture().await;
    let db = &f.app.db;
    // The station taps an unknown card and the fixture's pass, and logs three frames.
    let session = db
        .station_login("CP-A-1")
        .await
        .unwrap()
        .expect("station registered")
        .accept(db)
        .unwrap();
    session.authorize("04DEAD11BEEF22").await.unwrap();
    session.authorize("04AAAB11CD2345").await.unwrap();
    let now = storage::now().millis();
    let frame = |at: i64, direction, message_type, action: Option<&str>, id: &str, tag| {
        storage::NewOcppMessage {
            station: f.station_a,
            at: shared::time::Timestamp(at),
            direction,
            message_type,
            action: action.map(str::to_owned),
            unique_id: id.to_owned(),
            payload: "{}".to_owned(),
            id_tag: tag,
            outcome: None,
        }
    };
    db.insert_ocpp_messages(&[
        frame(
            now - 3000,
            FrameDirection::Incoming,
            FrameType::Call,
            Some("Authorize"),
            "m1",
            Some("04DEAD11BEEF22".to_owned()),
        ),
        frame(
            now - 2000,
            FrameDirection::Outgoing,
            FrameType::CallResult,
            None,
            "m1",
            None,
        ),
        frame(
            now - 1000,
            FrameDirection::Incoming,
            FrameType::Call,
            Some("Heartbeat"),
            "m2",
            None,
        ),
    ])
    .await
    .unwrap();

    let (a, station) = (f.org_a.to_string(), f.station_a.to_string());
    let fixture = &f;
    let logs = |extra: Vec<(&'static str, String)>| {
        let mut args = vec![("org", a.clone()), ("station", station.clone())];
        args.extend(extra);
        async move {
            let (status, body) =
                raw(&fixture.app, Some(&fixture.admin_a), "station_logs", &args).await;
            common::decode::<Vec<OcppLogEntry>>(status.try_into().unwrap(), &body)
        }
    };
    let all = logs(vec![]).await.unwrap();
    let ids: Vec<&str> = all.iter().map(|e| e.unique_id.as_str()).collect();
    assert_eq!(ids, ["m2", "m1", "m1"], "newest first");
    let authorize = logs(vec![("action", "Authorize".into())]).await.unwrap();
    assert_eq!(authorize.len(), 2, "the CALL and its answer");
    assert_eq!(authorize[1].id_tag.as_deref(), Some("04DEAD11BEEF22"));
    assert!(!authorize[1].id_tag_known);
    let older = logs(vec![("before_id", all[0].id.to_string())])
        .await
        .unwrap();
    assert_eq!(older, all[1..]);
    let future = logs(vec![("from", "2999-01-01T00:00".into())])
        .await
        .unwrap();
    assert!(future.is_empty());
    let refused = logs(vec![("from", "yesterday".into())]).await.unwrap_err();
    assert!(refused.for_field("from").is_some(), "{refused:?}");
    let refused = logs(vec![
        ("from", "2026-01-02T00:00".into()),
        ("to", "2026-01-01T00:00".into()),
    ])
    .await
    .unwrap_err();
    assert!(refused.for_field("to").is_some(), "{refused:?}");

    let taps: Vec<UnknownTap> = f
        .app
        .call(
            Some(&f.admin_a),
            "unknown_taps",
            &[("org", &a), ("station", &station)],
        )
        .await
        .unwrap();
    let tags: Vec<&str> = taps.iter().map(|t| t.id_tag.as_str()).collect();
    assert_eq!(tags, ["04DEAD11BEEF22"]);

    let decisions: Vec<DecisionRecord> = f
        .app
        .call(
            Some(&f.admin_a),
            "pass_decisions",
            &[("org", &a), ("pass", &f.pass_a.to_string())],
        )
        .await
        .unwrap();
    assert_eq!(decisions.len(), 1);
    assert_eq!(decisions[0].charge_point_id.as_deref(), Some("CP-A-1"));
    assert!(!decisions[0].reason.is_empty());
}
