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

/// Runs `request` while another writer's transaction is in flight: on `raw` (see [`TestDb::raw`]) it runs
/// `statements` and stays open while `request` starts, then commits. What `request` answered.
///
/// This is how the tests put two writers side by side: on PostgreSQL (READ COMMITTED) the request reads the
/// state before the other transaction and runs into its row locks, as a second instance would; on SQLite it waits
/// for the write lock (its busy timeout) and then reads the committed state. The pause before the commit gives the
/// request time to reach its transaction; should it get there only after the commit, it sees the committed state,
/// which must give the same answer, so the pause decides nothing.
pub async fn while_in_flight<T: Send + 'static>(
    raw: &sqlx::AnyPool,
    statements: &[&str],
    request: impl std::future::Future<Output = T> + Send + 'static,
) -> T {
    let mut other = raw.begin().await.expect("the other transaction");
    for statement in statements {
        sqlx::query(statement)
            .execute(&mut *other)
            .await
            .unwrap_or_else(|e| panic!("{statement}: {e}"));
    }
    let request = tokio::spawn(request);
    tokio::time::sleep(std::time::Duration::from_millis(700)).await;
    other.commit().await.expect("commit the other transaction");
    request.await.expect("the request")
}

/// How many entries of `action` (its stored name, e.g. `"pass_mode_changed"`) the audit log holds, in all
/// organizations.
pub async fn audit_entries(raw: &sqlx::AnyPool, action: &str) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = $1")
        .bind(action)
        .fetch_one(raw)
        .await
        .expect("count audit entries")
}

/// The station id of [`station_events_so_far`]'s marker: no test creates that many stations.
pub const MARKER_STATION: i64 = 987_654_321;

/// The station events `events` received so far, waiting for those in flight: on SQLite they are delivered
/// before the publishing call returns; on PostgreSQL they arrive through the listener, so a marker is sent
/// through the database after them (notifications arrive in commit order) and everything before it is
/// returned. A gap is a failure.
pub async fn station_events_so_far(
    raw: &sqlx::AnyPool,
    events: &mut storage::StationEvents,
) -> Vec<storage::StationEvent> {
    use storage::StationEvent;
    let mut received = Vec::new();
    if postgres_admin_url().is_none() {
        while let Some(event) = events.try_recv() {
            received.push(event.expect("no gap in the station events"));
        }
        return received;
    }
    let marker = StationEvent::CredentialsChanged(shared::ids::StationId(MARKER_STATION));
    sqlx::query("SELECT pg_notify($1, $2)")
        .bind(storage::EVENT_CHANNEL)
        .bind(format!(
            r#"{{"v":1,"event":{{"kind":"credentials_changed","station":{MARKER_STATION}}}}}"#
        ))
        .execute(raw)
        .await
        .expect("notify the marker");
    tokio::time::timeout(std::time::Duration::from_secs(10), async {
        loop {
            match events.recv().await.expect("no gap in the station events") {
                event if event == marker => return,
                event => received.push(event),
            }
        }
    })
    .await
    .expect("the marker arrives within 10 s");
    received
}
