//! "Users" across tenants, over HTTP as the browser calls it: adding an e-mail that already has an account in
//! another tenant reveals nothing about it, and removing a member (with their passes there) is refused to
//! everyone but an administrator of the organization, who cannot remove themself.

mod common;

use app::AppError;
use common::{TestApp, PASSWORD};
use shared::model::{AuditEntry, Me, PassSummary, UserSummary};
use shared::paging::Page;
use shared::role::Role;
use shared::{MemberId, OrgId, UserId};

/// Adds a user with the given name; the raw answer (status and body bytes).
async fn add_user(
    app: &TestApp,
    cookie: &str,
    org: OrgId,
    first: &str,
    last: &str,
    email: &str,
) -> (u16, Vec<u8>) {
    let (status, body, _) = app
        .post(
            Some(cookie),
            "add_user",
            &[
                ("org", &org.to_string()),
                ("first_name", first),
                ("last_name", last),
                ("email", email),
                ("role", "cardholder"),
            ],
        )
        .await;
    (status.as_u16(), body)
}

/// Everything an administrator of `org` is shown about its people, as text.
async fn shown_to(app: &TestApp, cookie: &str, org: OrgId) -> String {
    let org = org.to_string();
    let args = [("org", org.as_str())];
    let users: Vec<UserSummary> = app.call(Some(cookie), "list_users", &args).await.unwrap();
    let passes: Vec<PassSummary> = app
        .call::<Page<PassSummary>>(Some(cookie), "list_passes", &args)
        .await
        .unwrap()
        .items;
    let audit: Vec<AuditEntry> = app.call(Some(cookie), "audit_log", &args).await.unwrap();
    format!("{users:?}\n{passes:?}\n{audit:?}")
}

#[tokio::test]
async fn a_partner_adding_another_partners_user_learns_nothing_about_the_account() {
    let app = TestApp::new().await;
    let (root_a, _) = app.partner("Volta Partners", "pat@volta.example").await;
    let partner_a = app.login("pat@volta.example", PASSWORD).await;
    let customer_a = app.sub_org(&partner_a, root_a, "Customer A").await;
    let (status, _) = add_user(
        &app,
        &partner_a,
        customer_a,
        "Anna",
        "Aalders",
        "anna@example.com",
    )
    .await;
    assert_eq!(status, 200);
    let (root_b, _) = app.partner("Other Partners", "bob@other.example").await;
    let partner_b = app.login("bob@other.example", PASSWORD).await;

    // The attacker: partner B probes Anna's address, and a surely unknown one, the same way.
    let probe = add_user(
        &app,
        &partner_b,
        root_b,
        "Bogus",
        "Visitor",
        "anna@example.com",
    )
    .await;
    let control = add_user(
        &app,
        &partner_b,
        root_b,
        "Fresh",
        "Person",
        "fresh@example.com",
    )
    .await;
    assert_eq!(probe, control, "the answers are byte for byte alike");
    assert_eq!(probe.0, 200);
    let added: serde_json::Value = serde_json::from_slice(&probe.1).unwrap();
    assert_eq!(added["reused_existing_account"], false);

    // B's lists show only what B typed, and the audit entries read alike.
    let users: Vec<UserSummary> = app
        .call(
            Some(&partner_b),
            "list_users",
            &[("org", &root_b.to_string())],
        )
        .await
        .unwrap();
    let anna = users
        .iter()
        .find(|u| u.email == "anna@example.com")
        .expect("listed in B");
    assert_eq!(anna.full_name(), "Bogus Visitor");
    let added_pass: Result<serde_json::Value, AppError> = app
        .call(
            Some(&partner_b),
            "add_pass",
            &[
                ("org", &root_b.to_string()),
                ("user_id", &anna.id.to_string()),
                ("public_card_id", ""),
                ("hidden_id", "04AAAB11CD2345"),
                ("nickname", "Visitor tag"),
                ("confirmed", "false"),
            ],
        )
        .await;
    added_pass.unwrap();
    let audit: Vec<AuditEntry> = app
        .call(
            Some(&partner_b),
            "audit_log",
            &[("org", &root_b.to_string())],
        )
        .await
        .unwrap();
    let summaries: Vec<&str> = audit.iter().map(|e| e.summary.as_str()).collect();
    assert!(summaries.contains(&"Added Bogus Visitor (anna@example.com) as cardholder"));
    assert!(summaries.contains(&"Added Fresh Person (fresh@example.com) as cardholder"));
    let shown = shown_to(&app, &partner_b, root_b).await;
    assert!(shown.contains("Bogus Visitor"), "{shown}");
    assert!(
        !shown.contains("Aalders"),
        "A's stored name leaked to B:\n{shown}"
    );
    // Adding her a second time in B is refused with B's own name for her.
    let (status, body) =
        add_user(&app, &partner_b, root_b, "Third", "Try", "anna@example.com").await;
    let refused =
        common::decode::<serde_json::Value>(status.try_into().unwrap(), &body).unwrap_err();
    let message = refused
        .for_field("email")
        .expect("at the e-mail field")
        .to_owned();
    assert!(
        message.starts_with("Bogus Visitor (anna@example.com)"),
        "{message}"
    );

    // Within partner A's own tree the account is reused openly, as before.
    let customer_a2 = app.sub_org(&partner_a, root_a, "Customer A2").await;
    let (status, body) = add_user(
        &app,
        &partner_a,
        customer_a2,
        "Someone",
        "Else",
        "anna@example.com",
    )
    .await;
    assert_eq!(status, 200);
    let added: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(added["reused_existing_account"], true);
    let users: Vec<UserSummary> = app
        .call(
            Some(&partner_a),
            "list_users",
            &[("org", &customer_a2.to_string())],
        )
        .await
        .unwrap();
    assert_eq!(users[0].full_name(), "Anna Aalders");
}

/// The account id of `email` (which has password [`PASSWORD`]), as its owner sees it.
async fn account_of(app: &TestApp, email: &str) -> UserId {
    let cookie = app.login(email, PASSWORD).await;
    let me: Me = app.call(Some(&cookie), "current_user", &[]).await.unwrap();
    me.user_id
}

/// `add_pass` in `org` for the member `member` (any text); the raw answer.
async fn add_pass_raw(app: &TestApp, cookie: &str, org: OrgId, member: &str) -> (u16, Vec<u8>) {
    let (status, body, _) = app
        .post(
            Some(cookie),
            "add_pass",
            &[
                ("org", &org.to_string()),
                ("user_id", member),
                ("public_card_id", ""),
                ("hidden_id", "04ABCD11CD2345"),
                ("nickname", "Probe tag"),
                ("confirmed", "false"),
            ],
        )
        .await;
    (status.as_u16(), body)
}

/// `remove_user` in `org` of the member `member` (any text); the raw answer.
async fn remove_raw(app: &TestApp, cookie: &str, org: OrgId, member: &str) -> (u16, Vec<u8>) {
    let (status, body, _) = app
        .post(
            Some(cookie),
            "remove_user",
            &[("org", &org.to_string()), ("user", member)],
        )
        .await;
    (status.as_u16(), body)
}

/// The side channel of sequential account ids: if B's "Users" list (or anything else B is sent) named members
/// by account, B could add a probe e-mail and a made-up one and compare the two ids: a lower one is an account
/// that existed before. Members are named by random per-membership ids instead, which carry no order and are
/// accepted only by the organization they belong to.
#[tokio::test]
async fn member_ids_tell_another_tenant_nothing_about_the_account_behind_them() {
    let app = TestApp::new().await;
    let (root_a, _) = app.partner("Volta Partners", "pat@volta.example").await;
    let partner_a = app.login("pat@volta.example", PASSWORD).await;
    let customer_a = app.sub_org(&partner_a, root_a, "Customer A").await;
    let anna_in_a = app
        .member(&partner_a, customer_a, "anna@example.com", Role::Cardholder)
        .await;
    let (root_b, _) = app.partner("Other Partners", "bob@other.example").await;
    let partner_b = app.login("bob@other.example", PASSWORD).await;

    // B adds A's cardholder's e-mail (the probe) and a brand-new one (the control).
    let probe = app
        .member(&partner_b, root_b, "anna@example.com", Role::Cardholder)
        .await;
    let control = app
        .member(&partner_b, root_b, "fresh@example.com", Role::Cardholder)
        .await;
    let (anna, fresh) = (
        account_of(&app, "anna@example.com").await,
        account_of(&app, "fresh@example.com").await,
    );
    assert!(anna < fresh, "the accounts' own ids are ordered by age");

    // What B is sent names them by member ids, which are not the account ids (nor A's member id for Anna), and
    // the passes B lists carry no id of the holder at all.
    let (status, users, _) = app
        .post(
            Some(&partner_b),
            "list_users",
            &[("org", &root_b.to_string())],
        )
        .await;
    assert_eq!(status, 200);
    let listed: Vec<UserSummary> = serde_json::from_slice(&users).unwrap();
    let ids: Vec<MemberId> = listed.iter().map(|u| u.id).collect();
    assert!(ids.contains(&probe) && ids.contains(&control), "{listed:?}");
    for id in [probe, control] {
        assert!(id.0 > 0 && id.0 < 1 << 53, "{id}");
        assert!(![anna.0, fresh.0].contains(&id.0), "{id} is an account id");
        assert_ne!(id, anna_in_a);
    }
    let (status, _) = add_pass_raw(&app, &partner_b, root_b, &probe.to_string()).await;
    assert_eq!(status, 200);
    let (status, passes, _) = app
        .post(
            Some(&partner_b),
            "list_passes",
            &[("org", &root_b.to_string())],
        )
        .await;
    assert_eq!(status, 200);
    let passes_text = String::from_utf8(passes).unwrap();
    assert!(!passes_text.contains("user_id"), "{passes_text}");
    let listed_passes: Vec<PassSummary> = serde_json::from_str::<Page<PassSummary>>(&passes_text)
        .unwrap()
        .items;
    assert_eq!(listed_passes[0].user_name, "Test anna");

    // A member id works only in its own organization: anywhere else, as well as an account id, it gets the
    // answer of an id that never existed, byte for byte.
    let made_up = "4503599627370495";
    let refusals = [
        (&partner_a, customer_a, probe.to_string()),
        (&partner_a, customer_a, control.to_string()),
        (&partner_b, root_b, anna_in_a.to_string()),
        (&partner_b, root_b, anna.to_string()),
        (&partner_b, root_b, fresh.to_string()),
    ];
    for (cookie, org, member) in &refusals {
        let missing = add_pass_raw(&app, cookie, *org, made_up).await;
        let refused = common::decode::<()>(missing.0.try_into().unwrap(), &missing.1).unwrap_err();
        assert!(refused.for_field("user_id").is_some(), "{refused:?}");
        assert_eq!(
            add_pass_raw(&app, cookie, *org, member).await,
            missing,
            "add_pass in {org} with {member}"
        );
        let missing = remove_raw(&app, cookie, *org, made_up).await;
        let refused = common::decode::<()>(missing.0.try_into().unwrap(), &missing.1).unwrap_err();
        assert_eq!(
            refused,
            AppError::NotFound {
                what: "user".into()
            }
        );
        assert_eq!(
            remove_raw(&app, cookie, *org, member).await,
            missing,
            "remove_user in {org} with {member}"
        );
    }
    // Nothing was removed by those attempts (B's list is as before, but for the pass B gave the probe above),
    // and each organization still resolves its own member ids.
    let still: Vec<UserSummary> = app
        .call(
            Some(&partner_b),
            "list_users",
            &[("org", &root_b.to_string())],
        )
        .await
        .unwrap();
    assert_eq!(
        still,
        listed
            .iter()
            .map(|u| UserSummary {
                pass_count: u.pass_count + i64::from(u.id == probe),
                ..u.clone()
            })
            .collect::<Vec<_>>()
    );
    let (status, _) = remove_raw(&app, &partner_b, root_b, &control.to_string()).await;
    assert_eq!(status, 200);
    let (status, _) = remove_raw(&app, &partner_a, customer_a, &anna_in_a.to_string()).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn removing_a_user_is_for_the_organizations_administrators_and_not_for_oneself() {
    let app = TestApp::new().await;
    let (root, _) = app.partner("Volta Partners", "pat@volta.example").await;
    let partner = app.login("pat@volta.example", PASSWORD).await;
    let org_a = app.sub_org(&partner, root, "Customer A").await;
    let org_b = app.sub_org(&partner, root, "Customer B").await;
    let admin_a_id = app
        .member(&partner, org_a, "admin@a.example", Role::Administrator)
        .await;
    let driver = app
        .member(&partner, org_a, "driver@a.example", Role::Cardholder)
        .await;
    let driver_b = app
        .member(&partner, org_b, "driver@b.example", Role::Cardholder)
        .await;
    let admin_a = app.login("admin@a.example", PASSWORD).await;
    let a = org_a.to_string();
    let remove = |user: String| {
        let a = a.clone();
        let cookie = admin_a.clone();
        let app = &app;
        async move {
            let (status, body, _) = app
                .post(
                    Some(&cookie),
                    "remove_user",
                    &[("org", &a), ("user", &user)],
                )
                .await;
            (status.as_u16(), body)
        }
    };

    // Removing oneself: a clear message.
    let (status, body) = remove(admin_a_id.to_string()).await;
    let refused = common::decode::<()>(status.try_into().unwrap(), &body).unwrap_err();
    assert!(
        refused.to_string().contains("cannot remove yourself"),
        "{refused:?}"
    );
    // B's cardholder, seen from A, is not found, exactly like nobody.
    let foreign = remove(driver_b.to_string()).await;
    let missing = remove("987654".to_owned()).await;
    assert_eq!(foreign, missing);
    let refused = common::decode::<()>(foreign.0.try_into().unwrap(), &foreign.1).unwrap_err();
    assert_eq!(
        refused,
        AppError::NotFound {
            what: "user".into()
        }
    );
    let users_b: Vec<UserSummary> = app
        .call(Some(&partner), "list_users", &[("org", &org_b.to_string())])
        .await
        .unwrap();
    assert!(users_b.iter().any(|u| u.id == driver_b));

    // A's administrator removes A's driver; the driver is gone from A's list, and can be added again.
    let (status, _) = remove(driver.to_string()).await;
    assert_eq!(status, 200);
    let users_a: Vec<UserSummary> = app
        .call(Some(&admin_a), "list_users", &[("org", &a)])
        .await
        .unwrap();
    assert!(!users_a.iter().any(|u| u.id == driver));
    let audit: Vec<AuditEntry> = app
        .call(Some(&admin_a), "audit_log", &[("org", &a)])
        .await
        .unwrap();
    assert_eq!(
        audit[0].summary,
        "Removed Test driver (driver@a.example), cardholder"
    );
    let (status, _) = add_user(&app, &admin_a, org_a, "Dirk", "Driver", "driver@a.example").await;
    assert_eq!(status, 200);
    let users_a: Vec<UserSummary> = app
        .call(Some(&admin_a), "list_users", &[("org", &a)])
        .await
        .unwrap();
    let back = users_a
        .iter()
        .find(|u| u.email == "driver@a.example")
        .expect("listed again");
    // Back on the same membership, with a fresh member id: the one from before the removal stays unknown.
    assert_ne!(back.id, driver);
    let stale = remove(driver.to_string()).await;
    assert_eq!(stale, remove("987654".to_owned()).await);
}
