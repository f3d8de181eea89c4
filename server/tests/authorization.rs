//! The authorization matrix: every server function, called over HTTP as somebody who must be refused —
//! anonymous, an administrator of another branch of the organization tree, an administrator of a
//! sub-organization reaching up, a cardholder — must be refused, identically whether or not the target exists,
//! and must change nothing. Positive controls show that the same calls work for those who may make them.

mod common;

use app::AppError;
use common::{TestApp, PASSWORD};
use shared::model::{AuditEntry, OrgSummary, PassSummary, UserSummary};
use shared::role::Role;
use shared::{OrgId, PassId};
use std::collections::BTreeSet;

const MISSING: &str = "987654";

/// Server functions that anybody may call: logging in, and logging out (which only ends the caller's session).
const OPEN: &[&str] = &["login", "logout"];
/// Server functions that act only on the caller themself.
const SELF_ONLY: &[&str] = &["current_user", "my_passes"];

/// Every server function that works inside an organization, with arguments that would succeed for an
/// administrator of `org` (the pass and user ids are those of the fixture's organization A).
fn org_calls(
    org: &str,
    user: &str,
    pass: &str,
) -> Vec<(&'static str, Vec<(&'static str, String)>)> {
    let o = || ("org", org.to_owned());
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
        ("list_passes", vec![o()]),
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
        ("audit_log", vec![o()]),
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
async fn snapshot_a(f: &Fixture) -> (Vec<OrgSummary>, Vec<UserSummary>, Vec<PassSummary>, usize) {
    let org = f.org_a.to_string();
    let args = [("org", org.as_str())];
    let orgs = f
        .app
        .call(Some(&f.partner), "list_organizations", &args)
        .await
        .unwrap();
    let users = f
        .app
        .call(Some(&f.partner), "list_users", &args)
        .await
        .unwrap();
    let passes = f
        .app
        .call(Some(&f.partner), "list_passes", &args)
        .await
        .unwrap();
    let audit: Vec<AuditEntry> = f
        .app
        .call(Some(&f.partner), "audit_log", &args)
        .await
        .unwrap();
    (orgs, users, passes, audit.len())
}

#[tokio::test]
async fn every_server_function_is_in_this_matrix() {
    let _app = TestApp::new().await; // builds the router, which registers the server functions
    let registered: BTreeSet<String> = server_fn::axum::server_fn_paths()
        .map(|(path, _)| path.trim_start_matches("/api/").to_owned())
        .collect();
    let covered: BTreeSet<String> = org_calls("1", "1", "1")
        .into_iter()
        .map(|(name, _)| name)
        .chain(OPEN.iter().copied())
        .chain(SELF_ONLY.iter().copied())
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
    let pass = f.pass_a.to_string();
    for (endpoint, args) in org_calls(&org, &f.cardholder_a_id, &pass) {
        let (status, body) = raw(&f.app, None, endpoint, &args).await;
        let reply: Result<serde_json::Value, AppError> =
            common::decode(status.try_into().unwrap(), &body);
        assert_eq!(reply.unwrap_err(), AppError::Unauthenticated, "{endpoint}");
        // A forged or expired cookie is no better than none.
        let (status, body) = raw(&f.app, Some("0123456789abcdef"), endpoint, &args).await;
        let reply: Result<serde_json::Value, AppError> =
            common::decode(status.try_into().unwrap(), &body);
        assert_eq!(
            reply.unwrap_err(),
            AppError::Unauthenticated,
            "{endpoint} with a forged cookie"
        );
    }
    for endpoint in SELF_ONLY {
        let reply: Result<serde_json::Value, AppError> = f.app.call(None, endpoint, &[]).await;
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
    let pass = f.pass_a.to_string();
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
            let existing = org_calls(target, &f.cardholder_a_id, &pass);
            let absent = org_calls(&missing, &f.cardholder_a_id, &pass);
            for ((endpoint, args), (_, absent_args)) in existing.into_iter().zip(absent) {
                let (status, body) = raw(&f.app, Some(cookie), endpoint, &args).await;
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
    for endpoint in ["delete_pass", "set_pass_mode"] {
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
    // A user of A cannot be given a pass in B by B's administrator.
    let reply: Result<serde_json::Value, AppError> = f
        .app
        .call(
            Some(&f.admin_b),
            "add_pass",
            &[
                ("org", &b),
                ("user_id", &f.cardholder_a_id),
                ("public_card_id", ""),
                ("hidden_id", "04BBBB11CD2345"),
                ("nickname", "Borrowed"),
                ("confirmed", "false"),
            ],
        )
        .await;
    assert!(reply.unwrap_err().for_field("user_id").is_some());
    let passes_b: Vec<PassSummary> = f
        .app
        .call(Some(&f.admin_b), "list_passes", &[("org", &b)])
        .await
        .unwrap();
    assert!(passes_b.is_empty());
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
