//! Helpers shared by the integration tests: a fresh SQLite database per test and inputs built with the real
//! `shared` parse functions.
#![allow(dead_code)]

use shared::names::{Email, Nickname, OrgName, Password, PersonName};
use shared::pass_id::{check_pass_id, PassIdKind, PassIdentifier};
use shared::{OrgId, Role};
use storage::{Caller, Db, LoginOutcome, OrgAdmin};
use tempfile::TempDir;

/// The password every test account gets.
pub const PASSWORD: &str = "correct horse battery staple";

/// A new database in its own temporary directory (kept alive by the returned guard).
pub async fn fresh_db() -> (TempDir, Db) {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = Db::open_sqlite_in(dir.path()).await.expect("open database");
    (dir, db)
}

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
