//! "Users" across tenants, over HTTP as the browser calls it: adding an e-mail that already has an account in
//! another tenant reveals nothing about it, and removing a member (with their passes there) is refused to
//! everyone but an administrator of the organization, who cannot remove themself.

mod common;

use app::AppError;
use common::{TestApp, PASSWORD};
use shared::model::{AuditEntry, PassSummary, UserSummary};
use shared::role::Role;
use shared::OrgId;

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
    let passes: Vec<PassSummary> = app.call(Some(cookie), "list_passes", &args).await.unwrap();
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
    assert!(users_a.iter().any(|u| u.id == driver));
}
