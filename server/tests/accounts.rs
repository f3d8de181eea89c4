//! Accounts over HTTP, as the browser (and an attacker) calls them: the invitation "+ Add User" mails, the
//! set-password link (check, use once, forged), "Resend invitation" / "Revoke invitation" (refused outside one's
//! tree and to cardholders), "Forgot your password?" (one answer for every address, limits), and "My account"
//! (name, password change ending the other sessions).

mod common;

use app::account::{LINK_UNUSABLE, RESET_REQUESTED, WRONG_CURRENT_PASSWORD};
use app::AppError;
use common::{TestApp, PASSWORD};
use shared::model::{AccountLinkInfo, AccountLinkPurpose, AccountOverview, Me, UserSummary};
use shared::role::Role;
use shared::{MemberId, OrgId};
use storage::OutboxMessage;

/// The newest messages to `address`, newest first.
async fn mails_to(app: &TestApp, address: &str) -> Vec<OutboxMessage> {
    app.db
        .outbox(1000)
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.recipient == address)
        .collect()
}

/// The token of the set-password link in the newest mail to `address` (a link to the public URL).
async fn link_token(app: &TestApp, address: &str) -> String {
    let mail = &mails_to(app, address).await[0];
    let prefix = format!("{}/set-password#token=", app.db.public_url());
    let start = mail
        .body_text
        .find(&prefix)
        .unwrap_or_else(|| panic!("no link in {:?}", mail.body_text))
        + prefix.len();
    mail.body_text[start..start + 64].to_owned()
}

async fn add_user(app: &TestApp, cookie: &str, org: OrgId, first: &str, email: &str, role: Role) {
    let added: serde_json::Value = app
        .call(
            Some(cookie),
            "add_user",
            &[
                ("org", &org.to_string()),
                ("first_name", first),
                ("last_name", "Tester"),
                ("email", email),
                ("role", role.as_str()),
            ],
        )
        .await
        .expect("add user");
    assert_eq!(added["reused_existing_account"], false);
}

async fn users(app: &TestApp, cookie: &str, org: OrgId) -> Vec<UserSummary> {
    app.call(Some(cookie), "list_users", &[("org", &org.to_string())])
        .await
        .unwrap()
}

async fn member_id(app: &TestApp, cookie: &str, org: OrgId, email: &str) -> MemberId {
    users(app, cookie, org)
        .await
        .into_iter()
        .find(|u| u.email == email)
        .expect("listed")
        .id
}

async fn raw(
    app: &TestApp,
    cookie: Option<&str>,
    endpoint: &str,
    form: &[(&str, &str)],
) -> (u16, Vec<u8>) {
    let (status, body, _) = app.post(cookie, endpoint, form).await;
    (status.as_u16(), body)
}

/// Invites Jan (jan@example.com) as a cardholder of `customer`, as the partner with session `partner`.
async fn invite_jan(app: &TestApp, partner: &str, customer: OrgId) {
    add_user(
        app,
        partner,
        customer,
        "Jan",
        "jan@example.com",
        Role::Cardholder,
    )
    .await;
}

/// The set-password page's check of `token` ("check_account_link"): who the link is for, if it is usable.
async fn link_info(app: &TestApp, token: &str) -> Option<AccountLinkInfo> {
    app.call(None, "check_account_link", &[("token", token)])
        .await
        .unwrap()
}

/// Sets `password` with the link `token` ("set_password_with_link"): the status, the answer and the session
/// cookie it set, if any.
async fn use_link(
    app: &TestApp,
    token: &str,
    password: &str,
) -> (u16, Result<serde_json::Value, AppError>, Option<String>) {
    let (status, body, headers) = app
        .post(
            None,
            "set_password_with_link",
            &[("token", token), ("password", password)],
        )
        .await;
    (
        status.as_u16(),
        common::decode(status, &body),
        common::session_cookie(&headers),
    )
}

/// "Forgot your password?" for `email`, anonymously: the raw status and body.
async fn forgot(app: &TestApp, email: &str) -> (u16, Vec<u8>) {
    raw(app, None, "forgot_password", &[("email", email)]).await
}

/// "Change password" ("change_password") as the session `cookie`.
async fn change_password(
    app: &TestApp,
    cookie: &str,
    current: &str,
    new: &str,
) -> Result<(), AppError> {
    app.call(
        Some(cookie),
        "change_password",
        &[("current_password", current), ("new_password", new)],
    )
    .await
}

/// "Resend invitation" or "Revoke invitation" (`endpoint`) of member `user` in `org`, as the session `cookie`: the
/// raw status and body.
async fn invitation(
    app: &TestApp,
    cookie: &str,
    endpoint: &str,
    org: &str,
    user: &str,
) -> (u16, Vec<u8>) {
    raw(app, Some(cookie), endpoint, &[("org", org), ("user", user)]).await
}

/// A raw answer of a server function that returns nothing, decoded (see [`common::decode`]).
fn decoded(answer: &(u16, Vec<u8>)) -> Result<(), AppError> {
    common::decode(answer.0.try_into().unwrap(), &answer.1)
}

/// A partner (Pat) with a customer organization.
async fn partner_with_customer(app: &TestApp) -> (String, OrgId, OrgId) {
    let (root, _) = app.partner("Volta Partners", "pat@volta.example").await;
    let partner = app.login("pat@volta.example", PASSWORD).await;
    let customer = app.sub_org(&partner, root, "Customer A").await;
    (partner, root, customer)
}

#[tokio::test]
async fn an_invited_administrator_sets_a_password_by_the_link_and_is_logged_in_once() {
    let app = TestApp::new().await;
    let (partner, _root, customer) = partner_with_customer(&app).await;
    add_user(
        &app,
        &partner,
        customer,
        "Noor",
        "noor@example.com",
        Role::Administrator,
    )
    .await;
    let listed = users(&app, &partner, customer).await;
    assert_eq!(listed[0].status.label(), "Invited");
    let mail = &mails_to(&app, "noor@example.com").await[0];
    assert_eq!(mail.kind, "invitation");
    assert!(mail
        .body_text
        .contains("Pat Partner added you to Customer A in ChargeDesk as an administrator."));
    let token = link_token(&app, "noor@example.com").await;

    // The page's check: who the link is for.
    let info = link_info(&app, &token).await;
    let info = info.expect("usable");
    assert_eq!(info.purpose, AccountLinkPurpose::Invitation);
    assert_eq!(
        (info.first_name.as_str(), info.email.as_str()),
        ("Noor", "noor@example.com")
    );

    // A password the policy refuses changes nothing, and the link still works.
    let (_, refused, _) = use_link(&app, &token, "short").await;
    assert!(refused.unwrap_err().for_field("password").is_some());

    let (status, done, cookie) = use_link(&app, &token, "noors own password").await;
    assert_eq!(status, 200, "{done:?}");
    let done = done.unwrap();
    assert_eq!(done["logged_in"], true);
    assert_eq!(done["go_to"], format!("/orgs/{customer}/organizations"));
    let cookie = cookie.expect("session cookie");
    let me: Me = app.call(Some(&cookie), "current_user", &[]).await.unwrap();
    assert_eq!(me.email, "noor@example.com");
    assert_eq!(
        me.home_org.map(|o| o.id),
        Some(customer),
        "only her organization"
    );
    app.login("noor@example.com", "noors own password").await;
    assert_eq!(
        users(&app, &partner, customer).await[0].status.label(),
        "Active"
    );

    // The second use: the page's message, and nothing changes.
    let (_, again, _) = use_link(&app, &token, "an attackers password").await;
    assert_eq!(
        again.unwrap_err(),
        AppError::Conflict {
            field: None,
            message: LINK_UNUSABLE.into()
        }
    );
    let checked = link_info(&app, &token).await;
    assert_eq!(checked, None);
    app.login("noor@example.com", "noors own password").await;
}

#[tokio::test]
async fn forged_and_garbage_links_get_the_same_answer_and_set_nothing() {
    let app = TestApp::new().await;
    let (partner, _root, customer) = partner_with_customer(&app).await;
    invite_jan(&app, &partner, customer).await;
    let real = link_token(&app, "jan@example.com").await;
    let forged = format!(
        "{}{}",
        if real.starts_with('0') { "1" } else { "0" },
        &real[1..]
    );
    let mut answers = Vec::new();
    for token in [
        forged.as_str(),
        "",
        "not-a-token",
        &"f".repeat(64),
        &real[..63],
    ] {
        let checked = raw(&app, None, "check_account_link", &[("token", token)]).await;
        assert_eq!(checked, (200, b"null".to_vec()), "{token}");
        answers.push(
            raw(
                &app,
                None,
                "set_password_with_link",
                &[("token", token), ("password", "an attackers password")],
            )
            .await,
        );
    }
    assert!(answers.iter().all(|a| *a == answers[0]), "{answers:?}");
    assert_eq!(answers[0].0, 409);
    // The real link is untouched and Jan has no password yet.
    let info = link_info(&app, &real).await;
    assert!(info.is_some());
    let (status, _, _) = app
        .post(
            None,
            "login",
            &[
                ("email", "jan@example.com"),
                ("password", "an attackers password"),
            ],
        )
        .await;
    assert_eq!(status, 422);
}

#[tokio::test]
async fn resend_and_revoke_work_for_the_organizations_administrators_only() {
    let app = TestApp::new().await;
    let (partner, root, customer) = partner_with_customer(&app).await;
    let org_b = app.sub_org(&partner, root, "Customer B").await;
    app.member(&partner, org_b, "admin@b.example", Role::Administrator)
        .await;
    app.member(&partner, customer, "driver@a.example", Role::Cardholder)
        .await;
    let admin_b = app.login("admin@b.example", PASSWORD).await;
    let driver = app.login("driver@a.example", PASSWORD).await;
    invite_jan(&app, &partner, customer).await;
    let jan = member_id(&app, &partner, customer, "jan@example.com").await;
    let first = link_token(&app, "jan@example.com").await;
    let (a, b, jan_s) = (customer.to_string(), org_b.to_string(), jan.to_string());

    // The attackers: B's administrator names Jan (a member of A) in B, or in A; A's cardholder in A.
    for endpoint in ["resend_invitation", "revoke_invitation"] {
        let foreign = invitation(&app, &admin_b, endpoint, &b, &jan_s).await;
        let missing = invitation(&app, &admin_b, endpoint, &b, "987654").await;
        assert_eq!(foreign, missing, "{endpoint}: foreign and missing alike");
        let refused = decoded(&foreign).unwrap_err();
        assert_eq!(
            refused,
            AppError::NotFound {
                what: "user".into()
            }
        );
        for cookie in [&admin_b, &driver] {
            let refused =
                decoded(&invitation(&app, cookie, endpoint, &a, &jan_s).await).unwrap_err();
            assert_eq!(refused, AppError::NoAccess, "{endpoint}");
        }
    }
    assert_eq!(
        mails_to(&app, "jan@example.com").await.len(),
        1,
        "nothing sent"
    );
    let still = link_info(&app, &first).await;
    assert!(still.is_some(), "nothing revoked");

    // The partner resends: the old link is dead, the new one works; then revokes it.
    let resent = invitation(&app, &partner, "resend_invitation", &a, &jan_s).await;
    decoded(&resent).unwrap();
    let second = link_token(&app, "jan@example.com").await;
    assert_ne!(first, second);
    for (token, usable) in [(&first, false), (&second, true)] {
        let info = link_info(&app, token).await;
        assert_eq!(info.is_some(), usable);
    }
    let revoked = invitation(&app, &partner, "revoke_invitation", &a, &jan_s).await;
    decoded(&revoked).unwrap();
    let info = link_info(&app, &second).await;
    assert_eq!(info, None);
    let jan_row = users(&app, &partner, customer)
        .await
        .into_iter()
        .find(|u| u.id == jan)
        .unwrap();
    assert_eq!(jan_row.status.label(), "Invitation expired");

    // An active member has no invitation to resend.
    let driver_id = member_id(&app, &partner, customer, "driver@a.example").await;
    let refused = decoded(
        &invitation(
            &app,
            &partner,
            "resend_invitation",
            &a,
            &driver_id.to_string(),
        )
        .await,
    );
    assert!(
        matches!(refused, Err(AppError::Conflict { .. })),
        "{refused:?}"
    );
}

#[tokio::test]
async fn forgot_password_answers_alike_for_every_address_and_is_limited() {
    let app = TestApp::new().await;
    let (partner, _root, customer) = partner_with_customer(&app).await;
    app.member(&partner, customer, "jan@example.com", Role::Cardholder)
        .await;
    let before = app.db.outbox(1000).await.unwrap().len();

    let known = forgot(&app, "jan@example.com").await;
    let unknown = forgot(&app, "nobody@example.com").await;
    assert_eq!(known, unknown, "the same answer");
    assert_eq!(known.0, 200);
    let queued = app.db.outbox(1000).await.unwrap();
    assert_eq!(queued.len(), before + 1, "one mail, to the account");
    assert_eq!(queued[0].recipient, "jan@example.com");
    assert_eq!(queued[0].kind, "password_reset");
    link_token(&app, "jan@example.com").await;
    assert!(!RESET_REQUESTED.is_empty());

    // The persistent cap: at most 3 reset mails an hour, further requests answered the same.
    for _ in 0..4 {
        assert_eq!(forgot(&app, "jan@example.com").await, known);
    }
    let resets = mails_to(&app, "jan@example.com")
        .await
        .into_iter()
        .filter(|m| m.kind == "password_reset")
        .count();
    assert_eq!(resets, 3);
    // The in-memory limit per address typed: the 6th request this hour is refused before any work.
    let sixth = forgot(&app, "jan@example.com").await;
    assert_eq!(sixth.0, 429);
    assert!(matches!(decoded(&sixth), Err(AppError::Throttled { .. })));
    // A malformed address is a field error (it says nothing about accounts).
    let refused: Result<(), AppError> = app
        .call(None, "forgot_password", &[("email", "not an address")])
        .await;
    assert!(refused.unwrap_err().for_field("email").is_some());
}

#[tokio::test]
async fn forgot_password_is_limited_per_client_address() {
    let app = TestApp::new().await;
    let mut refused_at = None;
    for i in 0..30 {
        let address = format!("probe{i}@example.com");
        let (status, _) = forgot(&app, &address).await;
        if status == 429 {
            refused_at = Some(i);
            break;
        }
        assert_eq!(status, 200);
    }
    assert_eq!(
        refused_at,
        Some(app::account::server::DEFAULT_RESETS_PER_IP_PER_HOUR as usize)
    );
    assert!(app.db.outbox(10).await.unwrap().is_empty());
}

#[tokio::test]
async fn changing_the_password_needs_the_current_one_and_ends_the_other_sessions() {
    let app = TestApp::new().await;
    let (partner, _root, customer) = partner_with_customer(&app).await;
    app.member(&partner, customer, "jan@example.com", Role::Cardholder)
        .await;
    let laptop = app.login("jan@example.com", PASSWORD).await;
    let phone = app.login("jan@example.com", PASSWORD).await;
    let wrong = change_password(&app, &laptop, "not my password", "a brand new password")
        .await
        .unwrap_err();
    assert_eq!(
        wrong.for_field("current_password").as_deref(),
        Some(WRONG_CURRENT_PASSWORD)
    );
    let weak = change_password(&app, &laptop, PASSWORD, "short")
        .await
        .unwrap_err();
    assert!(weak.for_field("new_password").is_some());
    let me: Me = app.call(Some(&phone), "current_user", &[]).await.unwrap();
    assert_eq!(me.email, "jan@example.com", "nothing changed yet");

    change_password(&app, &laptop, PASSWORD, "a brand new password")
        .await
        .unwrap();
    let ended: Result<Me, AppError> = app.call(Some(&phone), "current_user", &[]).await;
    assert_eq!(ended.unwrap_err(), AppError::Unauthenticated);
    let kept: Me = app.call(Some(&laptop), "current_user", &[]).await.unwrap();
    assert_eq!(kept.email, "jan@example.com");
    let notice = &mails_to(&app, "jan@example.com").await[0];
    assert_eq!(notice.subject, "Your ChargeDesk password was changed");
    app.login("jan@example.com", "a brand new password").await;
}

#[tokio::test]
async fn wrong_current_passwords_are_throttled_like_log_ins() {
    let app = TestApp::new().await;
    let (partner, _root, customer) = partner_with_customer(&app).await;
    app.member(&partner, customer, "jan@example.com", Role::Cardholder)
        .await;
    let cookie = app.login("jan@example.com", PASSWORD).await;
    let mut throttled = false;
    for _ in 0..6 {
        let reply = change_password(&app, &cookie, "guess", "a brand new password").await;
        match reply.unwrap_err() {
            AppError::Throttled { .. } => {
                throttled = true;
                break;
            }
            other => assert!(other.for_field("current_password").is_some(), "{other:?}"),
        }
    }
    assert!(throttled, "guessing is throttled");
    // Even the right password waits now (the log-in's backoff of this account).
    let reply = change_password(&app, &cookie, PASSWORD, "a brand new password").await;
    assert!(
        matches!(reply, Err(AppError::Throttled { .. })),
        "{reply:?}"
    );
}

#[tokio::test]
async fn my_account_shows_and_changes_only_the_callers_own_account() {
    let app = TestApp::new().await;
    let (partner, root, customer) = partner_with_customer(&app).await;
    app.member(&partner, customer, "jan@example.com", Role::Cardholder)
        .await;
    let jan = app.login("jan@example.com", PASSWORD).await;
    let account: AccountOverview = app.call(Some(&jan), "my_account", &[]).await.unwrap();
    assert_eq!(account.email, "jan@example.com");
    let orgs: Vec<(OrgId, &str, Role)> = account
        .organizations
        .iter()
        .map(|m| (m.org.id, m.org.name.as_str(), m.role))
        .collect();
    assert_eq!(orgs, [(customer, "Customer A", Role::Cardholder)]);
    let pat: AccountOverview = app.call(Some(&partner), "my_account", &[]).await.unwrap();
    assert_eq!(pat.organizations[0].org.id, root);
    assert_eq!(pat.organizations[0].role, Role::Administrator);

    let refused: Result<(), AppError> = app
        .call(
            Some(&jan),
            "change_name",
            &[("first_name", ""), ("last_name", "Jansen")],
        )
        .await;
    assert!(refused.unwrap_err().for_field("first_name").is_some());
    let saved: Result<(), AppError> = app
        .call(
            Some(&jan),
            "change_name",
            &[("first_name", "Johannes"), ("last_name", "Jansen")],
        )
        .await;
    saved.unwrap();
    let me: Me = app.call(Some(&jan), "current_user", &[]).await.unwrap();
    assert_eq!(
        (me.first_name.as_str(), me.last_name.as_str()),
        ("Johannes", "Jansen")
    );
    let pat_me: Me = app.call(Some(&partner), "current_user", &[]).await.unwrap();
    assert_eq!(pat_me.first_name, "Pat", "only the caller's own name");
}

#[tokio::test]
async fn adding_someone_who_has_an_account_elsewhere_answers_like_adding_a_new_person() {
    let app = TestApp::new().await;
    let (partner_a, _root_a, customer_a) = partner_with_customer(&app).await;
    app.member(&partner_a, customer_a, "anna@example.com", Role::Cardholder)
        .await;
    app.login("anna@example.com", PASSWORD).await;
    let (root_b, _) = app.partner("Other Partners", "bob@other.example").await;
    let partner_b = app.login("bob@other.example", PASSWORD).await;
    let add = |email: &'static str| {
        let (app, partner_b) = (&app, partner_b.clone());
        async move {
            raw(
                app,
                Some(&partner_b),
                "add_user",
                &[
                    ("org", &root_b.to_string()),
                    ("first_name", "Some"),
                    ("last_name", "One"),
                    ("email", email),
                    ("role", "cardholder"),
                ],
            )
            .await
        }
    };
    assert_eq!(
        add("anna@example.com").await,
        add("fresh@example.com").await
    );
    let listed = users(&app, &partner_b, root_b).await;
    let labels: Vec<(&str, &str)> = listed
        .iter()
        .map(|u| (u.email.as_str(), u.status.label()))
        .collect();
    assert!(
        labels.contains(&("anna@example.com", "Invited")),
        "{labels:?}"
    );
    assert!(
        labels.contains(&("fresh@example.com", "Invited")),
        "{labels:?}"
    );
    // Anna got a notice (no password link), the new person an invitation.
    let notice = &mails_to(&app, "anna@example.com").await[0];
    assert_eq!(notice.kind, "membership_notice");
    assert!(!notice.body_text.contains("#token="));
    link_token(&app, "fresh@example.com").await;
}

#[tokio::test]
async fn a_reset_link_of_a_two_factor_account_sets_the_password_but_leaves_the_log_in_to_the_code()
{
    let app = TestApp::new().await;
    let (partner, _root, customer) = partner_with_customer(&app).await;
    app.member(&partner, customer, "ada@example.com", Role::Administrator)
        .await;
    let ada = app.login("ada@example.com", PASSWORD).await;
    let recovery = common::enrol_two_factor(&app, &ada).await.recovery;
    // Someone with the old password got as far as the code step before the reset.
    let old_challenge = common::second_factor_challenge(&app, "ada@example.com", PASSWORD).await;

    assert_eq!(forgot(&app, "ada@example.com").await.0, 200);
    let token = link_token(&app, "ada@example.com").await;
    let (status, done, cookie) = use_link(&app, &token, "adas new password").await;
    assert_eq!(status, 200, "{done:?}");
    let done = done.unwrap();
    assert_eq!(done["logged_in"], false);
    assert_eq!(done["go_to"], "/login");
    assert_eq!(cookie, None, "no session without the code");
    // Her session ended; the new password leads to the code step, not into the app.
    let ended: Result<Me, AppError> = app.call(Some(&ada), "current_user", &[]).await;
    assert_eq!(ended.unwrap_err(), AppError::Unauthenticated);
    let challenge =
        common::second_factor_challenge(&app, "ada@example.com", "adas new password").await;
    // The half-finished log-in under the old password is void: a valid recovery code does not complete it...
    let (stale, _) = common::second_step(&app, &old_challenge, &recovery[0]).await;
    assert!(stale.is_err(), "{stale:?}");
    // ...while the same code completes the log-in under the new password.
    let (done, _) = common::second_step(&app, &challenge, &recovery[0]).await;
    done.expect("the new password and a recovery code log in");
}

/// The server-rendered HTML of `path`, with the session `cookie` if given.
async fn page(app: &TestApp, path: &str, cookie: Option<&str>) -> String {
    let mut request = http::Request::get(path);
    if let Some(cookie) = cookie {
        request = request.header(http::header::COOKIE, format!("chargedesk_session={cookie}"));
    }
    let (status, body, _) = app
        .send(request.body(axum::body::Body::empty()).unwrap())
        .await;
    assert_eq!(status, 200, "{path}");
    String::from_utf8(body).unwrap()
}

#[tokio::test]
async fn the_pages_carry_the_labels_people_and_tests_look_for() {
    let app = TestApp::new().await;
    let (partner, _root, customer) = partner_with_customer(&app).await;
    invite_jan(&app, &partner, customer).await;

    let login = page(&app, "/login", None).await;
    assert!(login.contains("href=\"/forgot-password\""), "{login}");
    assert!(login.contains("Forgot your password?"));

    let forgot = page(&app, "/forgot-password", None).await;
    for text in ["Reset your password", ">E-mail<", "Send reset link"] {
        assert!(forgot.contains(text), "{text} in {forgot}");
    }
    // The set-password page is rendered without its token (which only the browser sees, in the fragment).
    let set = page(&app, "/set-password", None).await;
    assert!(set.contains("Loading"), "{set}");

    let account = page(&app, "/account", Some(&partner)).await;
    for text in [
        "My account",
        "Your name",
        ">First name<",
        ">Last name<",
        "Save name",
        ">Current password<",
        ">New password<",
        ">Repeat new password<",
        "Change password",
        "Your organizations",
        ">Organization<",
        ">Role<",
        "Volta Partners",
    ] {
        assert!(account.contains(text), "{text} in {account}");
    }

    let users = page(&app, &format!("/orgs/{customer}/users"), Some(&partner)).await;
    for text in [
        ">Status<",
        ">Invited<",
        "aria-label=\"Resend invitation to Jan Tester\"",
        "aria-label=\"Revoke invitation for Jan Tester\"",
    ] {
        assert!(users.contains(text), "{text} in {users}");
    }
}
