//! Helpers shared by the integration tests: a fresh database per test (SQLite, or PostgreSQL when
//! `CHARGEDESK_TEST_PG_URL` is set: [`storage::test_support`], which the server's tests use too) and inputs built
//! with the real `shared` parse functions.
#![allow(dead_code)]

use shared::names::{Email, Nickname, OrgName, Password, PersonName};
use shared::pass_id::{check_pass_id, PassIdKind, PassIdentifier};
use shared::{OrgId, Role};
#[allow(unused_imports)] // not every test file uses all three
pub use storage::test_support::{fresh_db, postgres_admin_url, TestDb};
use storage::{Caller, Db, LoginOutcome, OrgAdmin};

/// The password every test account gets.
pub const PASSWORD: &str = "correct horse battery staple";

pub fn email(s: &str) -> Email {
    Email::parse(s).expect("valid e-mail")
}
pub fn person(s: &str) -> PersonName {
    PersonName::parse(s).expect("valid name")
}
pub fn org_name(s: &str) -> OrgName {
    OrgName::parse(s).expect("valid organization name")
}
pub fn nick(s: &str) -> Nickname {
    Nickname::parse(s).expect("valid nickname")
}
pub fn password(s: &str) -> Password {
    Password::parse(s).expect("valid password")
}
pub fn visible(s: &str) -> PassIdentifier {
    check_pass_id(PassIdKind::Visible, s, false)
        .expect("valid Public Card ID")
        .value
}
pub fn hidden(s: &str) -> PassIdentifier {
    check_pass_id(PassIdKind::Hidden, s, false)
        .expect("valid Hidden ID")
        .value
}

/// The code an authenticator app shows for `key` at `at`.
pub fn totp_code(key: &str, at: shared::time::Timestamp) -> String {
    use totp_rs::{Algorithm, Secret, TOTP};
    let bytes = Secret::Encoded(key.to_owned()).to_bytes().unwrap();
    let totp = TOTP::new(Algorithm::SHA1, 6, 1, 30, bytes, None, String::new()).unwrap();
    totp.generate((at.0 / 1000) as u64)
}

/// Logs in with [`PASSWORD`] and returns the session token.
pub async fn login_token(db: &Db, address: &str) -> String {
    match db.login(address, PASSWORD).await.expect("login") {
        LoginOutcome::LoggedIn { session_token, .. } => session_token,
        other => panic!("expected to log in as {address}, got {other:?}"),
    }
}

/// The caller behind a fresh session of `address` (setting its password first).
pub async fn caller_for(db: &Db, address: &str) -> Caller {
    db.set_password(&email(address), &password(PASSWORD))
        .await
        .expect("set password");
    let token = login_token(db, address).await;
    db.caller(&token)
        .await
        .expect("caller")
        .expect("live session")
}

/// A partner organization "Volta Partners" with administrator pa@volta.example, as a caller.
pub async fn partner(db: &Db) -> (OrgId, Caller) {
    let (org, _) = db
        .create_partner(
            &org_name("Volta Partners"),
            &person("Paula"),
            &person("Partner"),
            &email("pa@volta.example"),
            &password(PASSWORD),
        )
        .await
        .expect("create partner");
    let token = login_token(db, "pa@volta.example").await;
    let caller = db.caller(&token).await.unwrap().unwrap();
    (org, caller)
}

/// Adds a member to the organization behind `scope` and returns their id.
pub async fn member(
    scope: &OrgAdmin,
    first: &str,
    last: &str,
    address: &str,
    role: Role,
) -> shared::UserId {
    scope
        .add_user(&person(first), &person(last), &email(address), role)
        .await
        .expect("add user")
        .user_id
}
