//! Two-factor authentication over HTTP and through storage: enrolment (a pending secret guards nothing), the
//! log-in's second step (codes once, wrong codes void the challenge, expired and forged challenges, one account's
//! challenge with another's code, recovery codes once), turning it off, and an organization requiring it of the
//! administrators below it, enforced in the one authorization step. Codes are computed with totp-rs from the key
//! the enrolment showed, as an authenticator app would.

mod common;

use app::auth::{LoginDone, LoginStep};
use app::AppError;
use common::{
    enrol_two_factor, fresh_totp_step, login_step, second_factor_challenge, second_step, totp_code,
    Enrolled, Reply, TestApp, PASSWORD, TOTP_STEP_MS,
};
use shared::model::{
    AuditAction, AuditEntry, Me, PassSummary, TwoFactorEnrolment, TwoFactorRequirement,
    TwoFactorStatus, UserSummary,
};
use shared::role::Role;
use shared::time::Timestamp;
use shared::OrgId;
use storage::{LoginOutcome, SecondFactorOutcome};

/// A code of `key`'s step `step` that is certainly not one of the steps `near` ± 1 (a wrong code).
fn wrong_code(key: &str, near: i64) -> String {
    let right: Vec<String> = (near - 1..=near + 1).map(|s| totp_code(key, s)).collect();
    (0..)
        .map(|n| format!("{:06}", (123_457 + n * 7_919) % 1_000_000))
        .find(|c| !right.contains(c))
        .unwrap()
}

/// The password step over HTTP with [`PASSWORD`]: the challenge it asks a code for (panics if it logged in
/// directly).
async fn challenge(app: &TestApp, email: &str) -> String {
    second_factor_challenge(app, email, PASSWORD).await
}

/// The password step over HTTP with [`PASSWORD`], raw: the status, the body and the session cookie it set, if any.
async fn password_step_raw(app: &TestApp, email: &str) -> (u16, Vec<u8>, Option<String>) {
    let (status, body, headers) = app
        .post(None, "login", &[("email", email), ("password", PASSWORD)])
        .await;
    (status.as_u16(), body, common::session_cookie(&headers))
}

/// The partner "Volta Partners" with its administrator Pat (pat@volta.example), logged in: the partner's
/// organization and Pat's session cookie.
async fn pat_logged_in(app: &TestApp) -> (OrgId, String) {
    let (root, _) = app.partner("Volta Partners", "pat@volta.example").await;
    let pat = app.login("pat@volta.example", PASSWORD).await;
    (root, pat)
}

/// [`pat_logged_in`], with two-factor authentication on: Pat's session cookie (the one that enrolled) and the
/// enrolment.
async fn enrolled_pat(app: &TestApp) -> (String, Enrolled) {
    let (_, pat) = pat_logged_in(app).await;
    let enrolled = enrol_two_factor(app, &pat).await;
    (pat, enrolled)
}

/// The password step through storage at `at`, for Pat with two-factor on: the challenge (panics on any other
/// outcome).
async fn storage_challenge(db: &storage::Db, at: Timestamp) -> String {
    match db
        .login_at("pat@volta.example", PASSWORD, at)
        .await
        .unwrap()
    {
        LoginOutcome::SecondFactor { challenge } => challenge,
        other => panic!("no second step: {other:?}"),
    }
}

/// "Turn off two-factor authentication" over HTTP for the session `cookie`.
async fn turn_off(app: &TestApp, cookie: &str, password: &str, code: &str) -> Reply<()> {
    app.call(
        Some(cookie),
        "turn_off_two_factor",
        &[("password", password), ("code", code)],
    )
    .await
}

/// "Require two-factor authentication" (`required`) or lifting it for `org`, as the session `cookie`.
async fn require(app: &TestApp, cookie: &str, org: &str, required: bool) -> Reply<()> {
    app.call(
        Some(cookie),
        "set_two_factor_requirement",
        &[("org", org), ("required", &required.to_string())],
    )
    .await
}

/// Where `org`'s two-factor requirement stands, as the session `cookie` sees it.
async fn requirement(app: &TestApp, cookie: &str, org: &str) -> TwoFactorRequirement {
    app.call(Some(cookie), "org_two_factor_requirement", &[("org", org)])
        .await
        .unwrap()
}

/// The two-factor status of the session `cookie`'s own account ("my_two_factor").
async fn status_of(app: &TestApp, cookie: &str) -> TwoFactorStatus {
    app.call(Some(cookie), "my_two_factor", &[]).await.unwrap()
}

fn is_field_error(reply: &Result<impl std::fmt::Debug, AppError>, field: &str) -> bool {
    matches!(reply, Err(e) if e.for_field(field).is_some())
}

/// The subjects of the mails queued for `to`, oldest first.
async fn mails_to(app: &TestApp, to: &str) -> Vec<String> {
    let mut subjects: Vec<String> = app
        .db
        .outbox(100)
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.recipient == to)
        .map(|m| m.subject)
        .collect();
    subjects.reverse();
    subjects
}

#[tokio::test]
async fn enrolment_needs_the_right_code_and_a_pending_secret_guards_nothing() {
    let app = TestApp::new().await;
    let (_, pat) = pat_logged_in(&app).await;
    let status = status_of(&app, &pat).await;
    assert_eq!(
        status,
        TwoFactorStatus {
            enabled: false,
            recovery_codes_left: 0,
            required: false
        }
    );

    let enrolment: TwoFactorEnrolment =
        app.call(Some(&pat), "start_two_factor", &[]).await.unwrap();
    assert!(enrolment.qr_svg.starts_with("<svg"), "{}", enrolment.qr_svg);
    assert!(!enrolment.qr_svg.contains("<script"));
    assert_eq!(enrolment.key.len(), 32);
    // Pending: the password alone still logs in, and nothing asks for a code.
    app.login("pat@volta.example", PASSWORD).await;

    let step = fresh_totp_step().await;
    let key = &enrolment.key;
    for wrong in [
        wrong_code(key, step),
        "abcde-23456".to_owned(),
        "12345".to_owned(),
    ] {
        let refused: Result<Vec<String>, AppError> = app
            .call(Some(&pat), "confirm_two_factor", &[("code", &wrong)])
            .await;
        assert!(is_field_error(&refused, "code"), "{wrong}: {refused:?}");
    }
    // A code of an earlier, abandoned enrolment does not confirm the new one.
    let restarted: TwoFactorEnrolment =
        app.call(Some(&pat), "start_two_factor", &[]).await.unwrap();
    assert_ne!(restarted.key, enrolment.key);
    let stale: Result<Vec<String>, AppError> = app
        .call(
            Some(&pat),
            "confirm_two_factor",
            &[("code", &totp_code(key, step))],
        )
        .await;
    assert!(is_field_error(&stale, "code"), "{stale:?}");
    let status = status_of(&app, &pat).await;
    assert!(!status.enabled);
    assert!(mails_to(&app, "pat@volta.example").await.is_empty());

    let codes: Vec<String> = app
        .call(
            Some(&pat),
            "confirm_two_factor",
            &[("code", &totp_code(&restarted.key, step))],
        )
        .await
        .unwrap();
    assert_eq!(codes.len(), 10);
    for code in &codes {
        assert_eq!(code.len(), 11, "{code}");
        assert_eq!(code.as_bytes()[5], b'-', "{code}");
    }
    let status = status_of(&app, &pat).await;
    assert_eq!(
        status,
        TwoFactorStatus {
            enabled: true,
            recovery_codes_left: 10,
            required: false
        }
    );
    assert_eq!(
        mails_to(&app, "pat@volta.example").await,
        ["Two-factor authentication was turned on for your ChargeDesk account"]
    );
    // On: no second enrolment over it, and confirming again is refused.
    let again: Result<TwoFactorEnrolment, AppError> =
        app.call(Some(&pat), "start_two_factor", &[]).await;
    assert!(matches!(again, Err(AppError::Conflict { .. })), "{again:?}");
    let again: Result<Vec<String>, AppError> = app
        .call(
            Some(&pat),
            "confirm_two_factor",
            &[("code", &totp_code(&restarted.key, step + 1))],
        )
        .await;
    assert!(matches!(again, Err(AppError::Conflict { .. })), "{again:?}");
    // The session that enrolled goes on; a new log-in asks for a code.
    let me: Me = app.call(Some(&pat), "current_user", &[]).await.unwrap();
    assert!(!me.two_factor_setup_required);
    challenge(&app, "pat@volta.example").await;
}

#[tokio::test]
async fn a_log_in_needs_a_code_and_each_code_works_once() {
    let app = TestApp::new().await;
    let (root, pat) = pat_logged_in(&app).await;
    let enrolled = enrol_two_factor(&app, &pat).await;

    // The password alone gives no session.
    let (status, body, cookie) = password_step_raw(&app, "pat@volta.example").await;
    assert_eq!(status, 200);
    assert_eq!(cookie, None);
    let LoginStep::SecondFactor { challenge: first } = serde_json::from_slice(&body).unwrap()
    else {
        panic!("no second step: {}", String::from_utf8_lossy(&body));
    };
    // The code enrolment used is spent.
    let (replayed, cookie) =
        second_step(&app, &first, &totp_code(&enrolled.key, enrolled.step - 1)).await;
    assert!(is_field_error(&replayed, "code"), "{replayed:?}");
    assert_eq!(cookie, None);

    let code = totp_code(&enrolled.key, enrolled.step);
    let (done, cookie) =
        second_step(&app, &first, &format!(" {} {} ", &code[..3], &code[3..])).await;
    let done = done.unwrap();
    assert_eq!(done.path, format!("/orgs/{root}/organizations"));
    assert_eq!(done.recovery_codes_left, None);
    let session = cookie.expect("the second step sets the session cookie");
    let me: Me = app.call(Some(&session), "current_user", &[]).await.unwrap();
    assert_eq!(me.email, "pat@volta.example");
    // The challenge is used up.
    let (used, _) = second_step(&app, &first, &totp_code(&enrolled.key, enrolled.step + 1)).await;
    assert!(
        is_field_error(&used, app::auth::CHALLENGE_FIELD),
        "{used:?}"
    );

    // The same code in a new log-in is refused (its time step was used); the next step's code works.
    let second = challenge(&app, "pat@volta.example").await;
    let (replayed, cookie) = second_step(&app, &second, &code).await;
    assert!(is_field_error(&replayed, "code"), "{replayed:?}");
    assert_eq!(cookie, None);
    let (done, cookie) =
        second_step(&app, &second, &totp_code(&enrolled.key, enrolled.step + 1)).await;
    done.unwrap();
    assert!(cookie.is_some());
}

#[tokio::test]
async fn five_wrong_codes_void_the_challenge_and_count_as_failed_log_ins() {
    let app = TestApp::new().await;
    let (_, enrolled) = enrolled_pat(&app).await;
    let db = &app.db;
    let t0 = Timestamp((enrolled.step + 1) * TOTP_STEP_MS);
    let at = |secs: i64| Timestamp(t0.0 + secs * 1000);
    let challenge = storage_challenge(db, at(0)).await;
    let key = &enrolled.key;
    let step_at = |t: Timestamp| t.0.div_euclid(TOTP_STEP_MS);
    let wrong = |secs: i64| wrong_code(key, step_at(at(secs)));
    let right = |secs: i64| totp_code(key, step_at(at(secs)));
    // Wrong codes 10 s apart (beyond the account's growing backoff: 2, 4, 8 s after the 3rd, 4th, 5th).
    for n in 1..=5 {
        let outcome = db
            .login_second_factor_at(&challenge, &wrong(n * 10), at(n * 10))
            .await
            .unwrap();
        assert_eq!(
            outcome,
            SecondFactorOutcome::WrongCode {
                attempts_left: 5 - n
            },
            "wrong code {n}"
        );
    }
    // Void: even the right code starts again.
    assert_eq!(
        db.login_second_factor_at(&challenge, &right(60), at(60))
            .await
            .unwrap(),
        SecondFactorOutcome::StartAgain
    );
    // The wrong codes counted against the account like wrong passwords: right after the fifth, even the right
    // password waits.
    assert!(matches!(
        db.login_at("pat@volta.example", PASSWORD, at(51))
            .await
            .unwrap(),
        LoginOutcome::Throttled { .. }
    ));
    // And while the backoff runs, a new challenge's code is not even checked.
    let challenge = storage_challenge(db, at(60)).await;
    assert!(matches!(
        db.login_second_factor_at(&challenge, &wrong(60), at(60))
            .await
            .unwrap(),
        SecondFactorOutcome::WrongCode { .. }
    ));
    assert!(matches!(
        db.login_second_factor_at(&challenge, &right(61), at(61))
            .await
            .unwrap(),
        SecondFactorOutcome::Throttled { .. }
    ));
    // Once it has run out, the right code logs in and clears the count.
    let outcome = db
        .login_second_factor_at(&challenge, &right(90), at(90))
        .await
        .unwrap();
    assert!(
        matches!(outcome, SecondFactorOutcome::LoggedIn { .. }),
        "{outcome:?}"
    );
    assert!(matches!(
        db.login_at("pat@volta.example", "wrong password!", at(91))
            .await
            .unwrap(),
        LoginOutcome::WrongCredentials
    ));
}

#[tokio::test]
async fn expired_and_forged_challenges_start_again() {
    let app = TestApp::new().await;
    let (pat, enrolled) = enrolled_pat(&app).await;
    let db = &app.db;
    let t0 = Timestamp((enrolled.step + 1) * TOTP_STEP_MS);
    let challenge = storage_challenge(db, t0).await;
    // Five minutes later the challenge is gone, whatever the code.
    let late = Timestamp(t0.0 + storage::CHALLENGE_LIFETIME_MS);
    let late_step = late.0.div_euclid(TOTP_STEP_MS);
    assert_eq!(
        db.login_second_factor_at(&challenge, &totp_code(&enrolled.key, late_step), late)
            .await
            .unwrap(),
        SecondFactorOutcome::StartAgain
    );

    // A made-up challenge (or a session token passed off as one) is answered like an expired one, over HTTP too.
    let forged = "0123456789abcdef".repeat(4);
    let code = totp_code(&enrolled.key, enrolled.step);
    for fake in [forged.as_str(), pat.as_str(), ""] {
        let (status, body, headers) = app
            .post(
                None,
                "login_second_factor",
                &[("challenge", fake), ("code", &code)],
            )
            .await;
        assert_eq!(status, 409, "{fake:?}");
        let reply: Result<LoginDone, AppError> = common::decode(status, &body);
        assert!(
            is_field_error(&reply, app::auth::CHALLENGE_FIELD),
            "{reply:?}"
        );
        assert_eq!(common::session_cookie(&headers), None);
    }
    // The code was not spent by those attempts.
    let real = second_factor_challenge(&app, "pat@volta.example", PASSWORD).await;
    let (done, cookie) = second_step(&app, &real, &code).await;
    done.unwrap();
    assert!(cookie.is_some());
}

#[tokio::test]
async fn one_accounts_challenge_does_not_take_another_accounts_code() {
    let app = TestApp::new().await;
    let (root, pat) = pat_logged_in(&app).await;
    app.member(&pat, root, "ann@volta.example", Role::Administrator)
        .await;
    let ann = app.login("ann@volta.example", PASSWORD).await;
    let pat_2fa = enrol_two_factor(&app, &pat).await;
    let ann_2fa = enrol_two_factor(&app, &ann).await;

    let pats_challenge = challenge(&app, "pat@volta.example").await;
    let anns_code = totp_code(&ann_2fa.key, ann_2fa.step);
    assert_ne!(anns_code, totp_code(&pat_2fa.key, pat_2fa.step));
    let (refused, cookie) = second_step(&app, &pats_challenge, &anns_code).await;
    assert!(is_field_error(&refused, "code"), "{refused:?}");
    assert_eq!(cookie, None);
    let (refused, _) = second_step(&app, &pats_challenge, &ann_2fa.recovery[0]).await;
    assert!(is_field_error(&refused, "code"), "{refused:?}");
    // Ann's code and recovery code are still hers to use.
    let anns_challenge = challenge(&app, "ann@volta.example").await;
    let (done, cookie) = second_step(&app, &anns_challenge, &anns_code).await;
    done.unwrap();
    let session = cookie.unwrap();
    let me: Me = app.call(Some(&session), "current_user", &[]).await.unwrap();
    assert_eq!(me.email, "ann@volta.example");
}

#[tokio::test]
async fn a_recovery_code_logs_in_once_and_tells_how_many_are_left() {
    let app = TestApp::new().await;
    let (pat, enrolled) = enrolled_pat(&app).await;
    let recovery = &enrolled.recovery[3];

    let first = challenge(&app, "pat@volta.example").await;
    // As typed from paper: upper case, without the hyphen.
    let typed = recovery.replace('-', "").to_uppercase();
    let (done, cookie) = second_step(&app, &first, &typed).await;
    let done = done.unwrap();
    assert_eq!(done.recovery_codes_left, Some(9));
    assert!(cookie.is_some());

    let second = challenge(&app, "pat@volta.example").await;
    let (again, cookie) = second_step(&app, &second, recovery).await;
    assert!(is_field_error(&again, "code"), "{again:?}");
    assert_eq!(cookie, None);
    let (done, _) = second_step(&app, &second, &enrolled.recovery[4]).await;
    assert_eq!(done.unwrap().recovery_codes_left, Some(8));
    let status = status_of(&app, &pat).await;
    assert_eq!(status.recovery_codes_left, 8);
}

#[tokio::test]
async fn new_recovery_codes_need_a_current_code_and_replace_the_old_ones() {
    let app = TestApp::new().await;
    let (pat, enrolled) = enrolled_pat(&app).await;

    // A recovery code does not make new recovery codes; nor does a wrong code.
    for code in [
        enrolled.recovery[0].clone(),
        wrong_code(&enrolled.key, enrolled.step),
    ] {
        let refused: Result<Vec<String>, AppError> = app
            .call(Some(&pat), "new_recovery_codes", &[("code", &code)])
            .await;
        assert!(is_field_error(&refused, "code"), "{refused:?}");
    }
    let fresh: Vec<String> = app
        .call(
            Some(&pat),
            "new_recovery_codes",
            &[("code", &totp_code(&enrolled.key, enrolled.step))],
        )
        .await
        .unwrap();
    assert_eq!(fresh.len(), 10);
    assert!(fresh.iter().all(|c| !enrolled.recovery.contains(c)));
    assert_eq!(
        mails_to(&app, "pat@volta.example").await.last().unwrap(),
        "New recovery codes for your ChargeDesk account"
    );

    let login = challenge(&app, "pat@volta.example").await;
    let (old, _) = second_step(&app, &login, &enrolled.recovery[0]).await;
    assert!(is_field_error(&old, "code"), "{old:?}");
    let (done, _) = second_step(&app, &login, &fresh[0]).await;
    assert_eq!(done.unwrap().recovery_codes_left, Some(9));
}

#[tokio::test]
async fn turning_off_needs_the_password_and_a_code() {
    let app = TestApp::new().await;
    let (pat, enrolled) = enrolled_pat(&app).await;
    let code = totp_code(&enrolled.key, enrolled.step);

    let refused = turn_off(&app, &pat, "not the password", &code).await;
    assert!(is_field_error(&refused, "password"), "{refused:?}");
    let refused = turn_off(
        &app,
        &pat,
        PASSWORD,
        &wrong_code(&enrolled.key, enrolled.step),
    )
    .await;
    assert!(is_field_error(&refused, "code"), "{refused:?}");
    let refused = turn_off(&app, &pat, PASSWORD, "").await;
    assert!(is_field_error(&refused, "code"), "{refused:?}");
    let status = status_of(&app, &pat).await;
    assert!(status.enabled);
    // Anonymous: nothing.
    let (status, _, _) = app
        .post(
            None,
            "turn_off_two_factor",
            &[("password", PASSWORD), ("code", &code)],
        )
        .await;
    assert_eq!(status, 401);

    turn_off(&app, &pat, PASSWORD, &code).await.unwrap();
    let status = status_of(&app, &pat).await;
    assert_eq!(
        status,
        TwoFactorStatus {
            enabled: false,
            recovery_codes_left: 0,
            required: false
        }
    );
    assert_eq!(
        mails_to(&app, "pat@volta.example").await.last().unwrap(),
        "Two-factor authentication was turned off for your ChargeDesk account"
    );
    // The password alone logs in again.
    app.login("pat@volta.example", PASSWORD).await;
}

#[tokio::test]
async fn a_partner_requires_two_factor_of_every_administrator_below_it() {
    let app = TestApp::new().await;
    let (root, pat) = pat_logged_in(&app).await;
    let a = app.sub_org(&pat, root, "Customer A").await;
    app.member(&pat, a, "admin@a.example", Role::Administrator)
        .await;
    app.member(&pat, a, "driver@a.example", Role::Cardholder)
        .await;
    let (root_s, a_s) = (root.to_string(), a.to_string());

    // Not without two-factor authentication on one's own account.
    let refused = require(&app, &pat, &root_s, true).await;
    assert_eq!(
        refused,
        Err(AppError::Conflict {
            field: None,
            message: "Turn on two-factor authentication for your own account first (My account)."
                .into()
        })
    );
    let pat_2fa = enrol_two_factor(&app, &pat).await;
    require(&app, &pat, &root_s, true).await.unwrap();
    let audit: Vec<AuditEntry> = app
        .call(Some(&pat), "audit_log", &[("org", &root_s)])
        .await
        .unwrap();
    assert_eq!(audit[0].action, AuditAction::TwoFactorRequirementChanged);
    assert_eq!(audit[0].actor, "Pat Partner");
    let own = requirement(&app, &pat, &root_s).await;
    assert_eq!(
        own,
        TwoFactorRequirement {
            required_here: true,
            required_by: None
        }
    );
    let inherited = requirement(&app, &pat, &a_s).await;
    assert!(!inherited.required_here);
    assert_eq!(inherited.required_by.unwrap().name, "Volta Partners");

    // A's administrator logs in (password only: not set up yet) and is sent to "My account".
    let (status, body, cookie) = password_step_raw(&app, "admin@a.example").await;
    assert_eq!(status, 200);
    let step: LoginStep = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        step,
        LoginStep::Done {
            path: "/account".into()
        }
    );
    let admin_a = cookie.unwrap();
    let me: Me = app.call(Some(&admin_a), "current_user", &[]).await.unwrap();
    assert!(me.two_factor_setup_required);
    // Every administrator function answers 403 with the reason, for A and for anything else alike.
    for (endpoint, org) in [
        ("list_users", a_s.as_str()),
        ("list_passes", a_s.as_str()),
        ("org_two_factor_requirement", a_s.as_str()),
        ("list_users", root_s.as_str()),
        ("list_users", "987654"),
    ] {
        let (status, body, _) = app.post(Some(&admin_a), endpoint, &[("org", org)]).await;
        assert_eq!(status, 403, "{endpoint} on {org}");
        let reply: Result<serde_json::Value, AppError> = common::decode(status, &body);
        assert_eq!(reply.unwrap_err(), AppError::TwoFactorRequired);
    }
    assert_eq!(
        AppError::TwoFactorRequired.to_string(),
        "Your organization requires two-factor authentication for administrators. Set it up under “My account”."
    );
    let refused = require(&app, &admin_a, &a_s, false).await;
    assert_eq!(refused, Err(AppError::TwoFactorRequired));
    // "My account" works: they set it up, and then administer A again.
    let status = status_of(&app, &admin_a).await;
    assert!(status.required && !status.enabled);
    let admin_a_2fa = enrol_two_factor(&app, &admin_a).await;
    let users: Vec<UserSummary> = app
        .call(Some(&admin_a), "list_users", &[("org", &a_s)])
        .await
        .unwrap();
    assert_eq!(users.len(), 2);
    let me: Me = app.call(Some(&admin_a), "current_user", &[]).await.unwrap();
    assert!(!me.two_factor_setup_required);
    // While the partner requires it, they cannot turn it off (and A cannot lift the partner's requirement).
    let refused = turn_off(
        &app,
        &admin_a,
        PASSWORD,
        &totp_code(&admin_a_2fa.key, admin_a_2fa.step),
    )
    .await;
    assert!(
        matches!(refused, Err(AppError::Conflict { field: None, .. })),
        "{refused:?}"
    );
    require(&app, &admin_a, &a_s, false).await.unwrap();
    let still = requirement(&app, &admin_a, &a_s).await;
    assert_eq!(still.required_by.unwrap().name, "Volta Partners");
    // Their next log-in asks for a code.
    challenge(&app, "admin@a.example").await;

    // The cardholder of A is never affected.
    let driver = app.login("driver@a.example", PASSWORD).await;
    let me: Me = app.call(Some(&driver), "current_user", &[]).await.unwrap();
    assert!(!me.two_factor_setup_required);
    let passes: Vec<PassSummary> = app.call(Some(&driver), "my_passes", &[]).await.unwrap();
    assert!(passes.is_empty());
    let step = login_step(&app, "driver@a.example", PASSWORD).await;
    assert_eq!(
        step,
        LoginStep::Done {
            path: "/my/passes".into()
        }
    );

    // Lifting the partner's requirement is audited too; the partner may then turn two-factor off again.
    require(&app, &pat, &root_s, false).await.unwrap();
    let audit: Vec<AuditEntry> = app
        .call(Some(&pat), "audit_log", &[("org", &root_s)])
        .await
        .unwrap();
    let changes = audit
        .iter()
        .filter(|e| e.action == AuditAction::TwoFactorRequirementChanged)
        .count();
    assert_eq!(changes, 2);
    turn_off(&app, &pat, PASSWORD, &totp_code(&pat_2fa.key, pat_2fa.step))
        .await
        .unwrap();
}

#[tokio::test]
async fn the_second_step_counts_against_the_per_address_log_in_limit() {
    let web = server::http::WebConfig {
        login_per_ip_per_minute: std::num::NonZeroU32::new(5).unwrap(),
        ..Default::default()
    };
    let app = TestApp::with_web(web).await;
    app.partner("Volta Partners", "pat@volta.example").await;
    let pat = app.login("pat@volta.example", PASSWORD).await; // 1
    let enrolled = enrol_two_factor(&app, &pat).await; // 2: confirming counts like a log-in
    let login = challenge(&app, "pat@volta.example").await; // 3
    let wrong = wrong_code(&enrolled.key, enrolled.step);
    let (first, _) = second_step(&app, &login, &wrong).await; // 4
    assert!(is_field_error(&first, "code"), "{first:?}");
    let (second, _) = second_step(&app, &login, &wrong).await; // 5
    assert!(is_field_error(&second, "code"), "{second:?}");
    // The sixth attempt from this address within the minute is refused before anything is read: even the right
    // code.
    let (status, body, _) = app
        .post(
            None,
            "login_second_factor",
            &[
                ("challenge", &login),
                ("code", &totp_code(&enrolled.key, enrolled.step)),
            ],
        )
        .await;
    assert_eq!(status, 429);
    let reply: Result<LoginDone, AppError> = common::decode(status, &body);
    assert!(
        matches!(reply, Err(AppError::Throttled { .. })),
        "{reply:?}"
    );
}

#[tokio::test]
async fn a_customers_requirement_reaches_every_depth_of_its_branch_only() {
    let app = TestApp::new().await;
    let (root, pat) = pat_logged_in(&app).await;
    let a = app.sub_org(&pat, root, "Customer A").await;
    let a1 = app.sub_org(&pat, a, "Customer A Depot").await;
    let a1x = app.sub_org(&pat, a1, "Customer A Depot Night Shift").await;
    let b = app.sub_org(&pat, root, "Customer B").await;
    app.member(&pat, a1x, "deep@a.example", Role::Administrator)
        .await;
    app.member(&pat, b, "admin@b.example", Role::Administrator)
        .await;
    enrol_two_factor(&app, &pat).await;
    require(&app, &pat, &a.to_string(), true).await.unwrap();

    // Three levels below A: covered, and told where it comes from.
    let deep = app.login("deep@a.example", PASSWORD).await;
    let (status, _, _) = app
        .post(Some(&deep), "list_users", &[("org", &a1x.to_string())])
        .await;
    assert_eq!(status, 403);
    // The sibling branch and the partner above are not.
    let admin_b = app.login("admin@b.example", PASSWORD).await;
    let users: Result<Vec<UserSummary>, AppError> = app
        .call(Some(&admin_b), "list_users", &[("org", &b.to_string())])
        .await;
    users.unwrap();
    let me: Me = app.call(Some(&admin_b), "current_user", &[]).await.unwrap();
    assert!(!me.two_factor_setup_required);
    let status = status_of(&app, &pat).await;
    assert!(
        !status.required,
        "A's requirement does not reach the partner above it"
    );
    let seen: TwoFactorRequirement = app
        .call(
            Some(&pat),
            "org_two_factor_requirement",
            &[("org", &a1x.to_string())],
        )
        .await
        .unwrap();
    assert_eq!(seen.required_by.map(|o| o.id), Some(a));
    // Removing the requirement lets the deep administrator work again.
    require(&app, &pat, &a.to_string(), false).await.unwrap();
    let users: Result<Vec<UserSummary>, AppError> = app
        .call(Some(&deep), "list_users", &[("org", &a1x.to_string())])
        .await;
    users.unwrap();
}
