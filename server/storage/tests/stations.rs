//! Charging stations: registration and scope, station passwords, access-mode inheritance, authorization
//! decisions (the employer model), transactions across a restart, the OCPP message log, unknown cards, and
//! concurrent OCPP sessions.

mod common;

use common::*;
use shared::decision::{AuthorizationStatus, Billing};
use shared::ids::StationId;
use shared::model::{AuditAction, FrameDirection, FrameType, LogFilter, OcppLogEntry};
use shared::station::{AccessMode, ChargePointId, StationName, StationPassword};
use shared::time::Timestamp;
use shared::{OrgId, PassId, PassMode, Role, UserId};
use storage::{
    Caller, ConnectedStation, Db, NewOcppMessage, OrgAdmin, StationEvent, StopOutcome, StorageError,
};

const STATION_PASSWORD: &str = "s3cret-station-key-0001";

fn cp(s: &str) -> ChargePointId {
    ChargePointId::parse(s).expect("valid charge point ID")
}
fn station_name(s: &str) -> StationName {
    StationName::parse(s).expect("valid station name")
}
fn station_password(s: &str) -> StationPassword {
    StationPassword::parse(s).expect("valid station password")
}
fn now_ms() -> i64 {
    storage::now().millis()
}

/// Volta Partners ─┬─ De Kroon Logistics (k) ─┬─ De Kroon Werkplaats (k1) ── Werkplaats Venlo (k1a)
///                 │                          └─ De Kroon Kantoor (k2)
///                 └─ Hotel Zonneveld (h)
///
/// Stations: KRN-CP-001 in k, KRN-WP-001 in k1, HZ-001 in h. A cardholder in every organization.
struct Fixture {
    partner: OrgId,
    k: OrgId,
    k1: OrgId,
    k1a: OrgId,
    k2: OrgId,
    h: OrgId,
    admin: Caller,
    station_k: StationId,
    station_k1: StationId,
    station_h: StationId,
}

impl Fixture {
    async fn scope(&self, db: &Db, org: OrgId) -> OrgAdmin {
        self.admin.admin_of(db, org).await.unwrap()
    }

    /// The first member of `org` (the cardholder added by [`fixture`]).
    async fn holder(&self, db: &Db, org: OrgId) -> UserId {
        let scope = self.scope(db, org).await;
        let first = scope.users().await.unwrap()[0].id;
        scope.member(first).await.unwrap()
    }

    /// Adds a pass with a Hidden ID (or a Public Card ID if it contains a hyphen) in `org`.
    async fn pass(&self, db: &Db, org: OrgId, id: &str, nickname: &str, mode: PassMode) -> PassId {
        let user = self.holder(db, org).await;
        let identifier = if id.contains('-') {
            visible(id)
        } else {
            hidden(id)
        };
        self.scope(db, org)
            .await
            .add_pass(user, &identifier, &nick(nickname), mode)
            .await
            .unwrap()
    }
}

async fn fixture(db: &Db) -> Fixture {
    let (partner, admin) = common::partner(db).await;
    let p = admin.admin_of(db, partner).await.unwrap();
    let k = p
        .add_sub_organization(&org_name("De Kroon Logistics"))
        .await
        .unwrap();
    let h = p
        .add_sub_organization(&org_name("Hotel Zonneveld"))
        .await
        .unwrap();
    let ks = admin.admin_of(db, k).await.unwrap();
    let k1 = ks
        .add_sub_organization(&org_name("De Kroon Werkplaats"))
        .await
        .unwrap();
    let k2 = ks
        .add_sub_organization(&org_name("De Kroon Kantoor"))
        .await
        .unwrap();
    let k1a = admin
        .admin_of(db, k1)
        .await
        .unwrap()
        .add_sub_organization(&org_name("Werkplaats Venlo"))
        .await
        .unwrap();
    for (org, address) in [
        (partner, "holder@volta.example"),
        (k, "holder@kroon.example"),
        (k1, "holder@werkplaats.example"),
        (k1a, "holder@venlo.example"),
        (k2, "holder@kantoor.example"),
        (h, "holder@zonneveld.example"),
    ] {
        let scope = admin.admin_of(db, org).await.unwrap();
        member(&scope, "Card", "Holder", address, Role::Cardholder).await;
    }
    let station_k = ks
        .add_station(&cp("KRN-CP-001"), &station_name("Laadpaal Zuid"), None)
        .await
        .unwrap();
    let station_k1 = admin
        .admin_of(db, k1)
        .await
        .unwrap()
        .add_station(&cp("KRN-WP-001"), &station_name("Werkplaats"), None)
        .await
        .unwrap();
    let station_h = admin
        .admin_of(db, h)
        .await
        .unwrap()
        .add_station(&cp("HZ-001"), &station_name("Hotel entrance"), None)
        .await
        .unwrap();
    Fixture {
        partner,
        k,
        k1,
        k1a,
        k2,
        h,
        admin,
        station_k,
        station_k1,
        station_h,
    }
}

/// Logs a station in the way the OCPP endpoint does (password, if any: [`STATION_PASSWORD`]).
async fn connect(db: &Db, charge_point_id: &str) -> ConnectedStation {
    let login = db
        .station_login(charge_point_id)
        .await
        .unwrap()
        .expect("known station");
    if login.requires_password() {
        assert!(login.verify_password(STATION_PASSWORD).await.unwrap());
    }
    login.accept(db).expect("accepted")
}

async fn joined_admin(db: &Db, f: &Fixture, org: OrgId, address: &str) -> Caller {
    let scope = f.scope(db, org).await;
    member(&scope, "Org", "Admin", address, Role::Administrator).await;
    caller_for(db, address).await
}

// ---------------------------------------------------------------------------------------------------------------
// Registration and scope
// ---------------------------------------------------------------------------------------------------------------

#[tokio::test]
async fn stations_are_listed_for_the_organization_and_its_sub_organizations() {
    let (_dir, db) = fresh_db().await;
    let f = fixture(&db).await;

    let k = f.scope(&db, f.k).await;
    let list = k.stations().await.unwrap();
    let rows: Vec<_> = list
        .iter()
        .map(|s| {
            (
                s.charge_point_id.as_str(),
                s.name.as_str(),
                s.org_name.as_str(),
                s.in_sub_org,
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            ("KRN-CP-001", "Laadpaal Zuid", "De Kroon Logistics", false),
            ("KRN-WP-001", "Werkplaats", "De Kroon Werkplaats", true),
        ]
    );
    let s = &list[0];
    assert_eq!((s.id, s.org_id), (f.station_k, f.k));
    assert!(!s.online && s.last_message_at.is_none() && s.connectors.is_empty());
    assert!(!s.has_password);
    assert_eq!(s.access_mode_override, None);
    assert_eq!(s.effective_access_mode, AccessMode::Whitelisting);

    // The partner sees all three; the sub-organization only its own, not marked.
    let all = f.scope(&db, f.partner).await.stations().await.unwrap();
    assert_eq!(all.len(), 3);
    assert!(all.iter().all(|s| s.in_sub_org));
    let k1_list = f.scope(&db, f.k1).await.stations().await.unwrap();
    assert_eq!(k1_list.len(), 1);
    assert_eq!(k1_list[0].id, f.station_k1);
    assert!(!k1_list[0].in_sub_org);
    assert!(f
        .scope(&db, f.k2)
        .await
        .stations()
        .await
        .unwrap()
        .is_empty());

    // Detail: own and sub-organization stations; a sibling's, a parent's and a missing one are NotFound.
    let detail = k.station(f.station_k1).await.unwrap();
    assert_eq!(detail.summary.name, "Werkplaats");
    assert!(detail.summary.in_sub_org);
    assert_eq!(detail.vendor, None);
    assert_eq!(detail.inherited_access_mode, AccessMode::Whitelisting);
    for (scope, station) in [
        (f.k, f.station_h),
        (f.k1, f.station_k),
        (f.h, f.station_k1),
        (f.k, StationId(9_999)),
    ] {
        let scope = f.scope(&db, scope).await;
        assert!(
            matches!(
                scope.station(station).await,
                Err(StorageError::NotFound { what: "station" })
            ),
            "{station}"
        );
        let not_found = |r: Result<(), StorageError>| {
            assert!(matches!(r, Err(StorageError::NotFound { what: "station" })))
        };
        not_found(
            scope
                .set_station_access_mode(station, Some(AccessMode::Open))
                .await,
        );
        not_found(
            scope
                .set_station_password(station, Some(&station_password(STATION_PASSWORD)))
                .await,
        );
        not_found(
            scope
                .station_logs(station, &LogFilter::default())
                .await
                .map(|_| ()),
        );
        not_found(scope.unknown_taps(station, Timestamp(0)).await.map(|_| ()));
        not_found(scope.station_transactions(station, 10).await.map(|_| ()));
    }

    // A sub-organization's own administrator sees the same as through the partner.
    let k1_admin = joined_admin(&db, &f, f.k1, "admin@werkplaats.example").await;
    let scope = k1_admin.admin_of(&db, f.k1).await.unwrap();
    assert_eq!(scope.stations().await.unwrap().len(), 1);
    assert!(scope.station(f.station_k).await.is_err());

    // Registering is audited in the organization, naming the station but never a password.
    let entry = &k.audit_log(1).await.unwrap()[0];
    assert_eq!(entry.action, AuditAction::StationAdded);
    assert!(
        entry.summary.contains("\"Laadpaal Zuid\"") && entry.summary.contains("KRN-CP-001"),
        "{}",
        entry.summary
    );
}

#[tokio::test]
async fn a_charge_point_id_is_registered_once_across_all_organizations() {
    let (_dir, db) = fresh_db().await;
    let f = fixture(&db).await;
    let h = f.scope(&db, f.h).await;
    let audit_before = h.audit_log(100).await.unwrap().len();
    for typed in ["KRN-CP-001", "krn-cp-001", " Krn-Cp-001 "] {
        let err = h
            .add_station(
                &cp(typed),
                &station_name("Mine now"),
                Some(&station_password(STATION_PASSWORD)),
            )
            .await
            .unwrap_err();
        let StorageError::Conflict { message } = err else {
            panic!("expected a conflict, got {err:?}");
        };
        assert_eq!(
            message,
            format!(
                "A station with charge point ID {} is already registered.",
                typed.trim()
            )
        );
        // Nothing about the other organization or its station leaks.
        for secret in ["De Kroon", "Laadpaal", "Zuid"] {
            assert!(!message.contains(secret), "{message}");
        }
    }
    // The same within one organization; nothing was written.
    let err = f
        .scope(&db, f.k)
        .await
        .add_station(&cp("krn-wp-001"), &station_name("Again"), None)
        .await
        .unwrap_err();
    assert!(matches!(err, StorageError::Conflict { .. }));
    assert_eq!(h.audit_log(100).await.unwrap().len(), audit_before);
    assert_eq!(h.stations().await.unwrap().len(), 1);
}

// ---------------------------------------------------------------------------------------------------------------
// Passwords and connection state
// ---------------------------------------------------------------------------------------------------------------

#[tokio::test]
async fn station_passwords_are_hashed_checked_and_changed() {
    let test_db = TestDb::new().await;
    let db = test_db.open().await;
    let f = fixture(&db).await;
    let k = f.scope(&db, f.k).await;
    let id = k
        .add_station(
            &cp("KRN-CP-002"),
            &station_name("Laadpaal Noord"),
            Some(&station_password(STATION_PASSWORD)),
        )
        .await
        .unwrap();
    assert!(k.station(id).await.unwrap().summary.has_password);

    // Looked up regardless of case; unknown or invalid IDs are simply unknown.
    let login = db.station_login("krn-cp-002").await.unwrap().unwrap();
    assert_eq!(login.station_id(), id);
    assert_eq!(login.org_id(), f.k);
    assert_eq!(login.charge_point_id(), "KRN-CP-002");
    assert_eq!(login.name(), "Laadpaal Noord");
    assert!(login.requires_password());
    assert!(!format!("{login:?}").contains("argon2"));
    assert!(!format!("{login:?}").contains("sha256"));
    for unknown in ["KRN-CP-003", "", "KRN/CP-002", "KRN-CP-002 x"] {
        assert!(
            db.station_login(unknown).await.unwrap().is_none(),
            "{unknown:?}"
        );
    }

    // Without a verified password there is no ConnectedStation.
    assert!(!login.verify_password("wrong-password-0000").await.unwrap());
    assert!(!login.verify_password("").await.unwrap());
    assert!(matches!(login.accept(&db), Err(StorageError::NoAccess)));
    let login = db.station_login("KRN-CP-002").await.unwrap().unwrap();
    assert!(login.verify_password(STATION_PASSWORD).await.unwrap());
    assert_eq!(login.accept(&db).unwrap().station_id(), id);

    // Only a hash is stored: the fast station scheme (salted SHA-256; a generated station password is random).
    let raw = test_db.raw().await;
    let hash: String = sqlx::query_scalar("SELECT password_hash FROM stations WHERE id = $1")
        .bind(id.0)
        .fetch_one(&raw)
        .await
        .unwrap();
    assert!(hash.starts_with("$cd-sha256$"), "{hash}");
    assert!(!hash.contains(STATION_PASSWORD));

    // Changing it: the old one stops working; removing it (= allowing unauthenticated connections): the
    // station connects without logging in.
    k.set_station_password(id, Some(&station_password("another-station-key-02")))
        .await
        .unwrap();
    let login = db.station_login("KRN-CP-002").await.unwrap().unwrap();
    assert!(!login.verify_password(STATION_PASSWORD).await.unwrap());
    assert!(login
        .verify_password("another-station-key-02")
        .await
        .unwrap());
    k.set_station_password(id, None).await.unwrap();
    let login = db.station_login("KRN-CP-002").await.unwrap().unwrap();
    assert!(!login.requires_password());
    let summary = k.station(id).await.unwrap().summary;
    assert!(!summary.has_password);
    assert_eq!(
        summary.unauthenticated_allowed.map(|a| a.by),
        Some("Paula Partner".to_owned())
    );
    login.accept(&db).unwrap();

    // Audited, never with the password.
    let log = k.audit_log(2).await.unwrap();
    assert!(log
        .iter()
        .all(|e| e.action == AuditAction::StationSettingsChanged));
    assert!(
        log[0]
            .summary
            .contains("Allowed unauthenticated connections for station \"Laadpaal Noord\"")
            && log[0].summary.contains("its password was deleted"),
        "{}",
        log[0].summary
    );
    assert!(
        log[1].summary.contains("Set a new password"),
        "{}",
        log[1].summary
    );
    for e in k.audit_log(100).await.unwrap() {
        assert!(
            !e.summary.contains(STATION_PASSWORD) && !e.summary.contains("another-station-key")
        );
    }
}

#[tokio::test]
async fn a_station_needs_a_password_unless_unauthenticated_connections_are_allowed() {
    let test_db = TestDb::new().await;
    let db = test_db.open().await;
    let f = fixture(&db).await;
    let k = f.scope(&db, f.k).await;
    let mut events = db.station_events();

    // Registered with a password: it must present it; nothing else lets it in.
    let id = k
        .add_station(
            &cp("KRN-CP-010"),
            &station_name("Laadpaal Oost"),
            Some(&station_password(STATION_PASSWORD)),
        )
        .await
        .unwrap();
    let summary = k.station(id).await.unwrap().summary;
    assert!(summary.has_password && summary.unauthenticated_allowed.is_none());
    let login = db.station_login("KRN-CP-010").await.unwrap().unwrap();
    assert!(login.requires_password());
    assert!(matches!(login.accept(&db), Err(StorageError::NoAccess)));
    let entry = &k.audit_log(1).await.unwrap()[0];
    assert!(
        entry.summary.contains("logging in with a password"),
        "{}",
        entry.summary
    );

    // Registered without one: that is the explicit choice, recorded with who made it and when.
    let open = k
        .add_station(&cp("KRN-CP-011"), &station_name("Laadpaal Open"), None)
        .await
        .unwrap();
    let allowed = k
        .station(open)
        .await
        .unwrap()
        .summary
        .unauthenticated_allowed
        .expect("allowed");
    assert_eq!(allowed.by, "Paula Partner");
    assert!(!allowed.by_migration());
    assert!((now_ms() - allowed.since.0).abs() < 60_000);
    let entry = &k.audit_log(1).await.unwrap()[0];
    assert!(
        entry
            .summary
            .contains("allowing unauthenticated connections (without a password)"),
        "{}",
        entry.summary
    );
    assert!(!db
        .station_login("KRN-CP-011")
        .await
        .unwrap()
        .unwrap()
        .requires_password());

    // A station with neither a password nor the choice (the state nothing in ChargeDesk leaves a station in;
    // made here directly) cannot connect with any credentials at all.
    let raw = test_db.raw().await;
    sqlx::query("UPDATE stations SET password_hash = NULL WHERE id = $1")
        .bind(id.0)
        .execute(&raw)
        .await
        .unwrap();
    let login = db.station_login("KRN-CP-010").await.unwrap().unwrap();
    assert!(login.requires_password());
    for attempt in ["", STATION_PASSWORD, "anything-at-all-0000"] {
        assert!(
            !login.verify_password(attempt).await.unwrap(),
            "{attempt:?}"
        );
    }
    assert!(matches!(login.accept(&db), Err(StorageError::NoAccess)));
    assert!(
        station_events_so_far(&raw, &mut events).await.is_empty(),
        "adding publishes nothing"
    );

    // Allowing unauthenticated connections: audited, the password deleted, the open connection told.
    k.set_station_password(id, Some(&station_password(STATION_PASSWORD)))
        .await
        .unwrap();
    assert_eq!(
        station_events_so_far(&raw, &mut events).await,
        [StationEvent::CredentialsChanged(id)]
    );
    let audit_before = k.audit_log(1000).await.unwrap().len();
    assert_eq!(k.set_station_unauthenticated(id, true).await.unwrap(), None);
    assert_eq!(
        station_events_so_far(&raw, &mut events).await,
        [StationEvent::CredentialsChanged(id)]
    );
    let hash: Option<String> =
        sqlx::query_scalar("SELECT password_hash FROM stations WHERE id = $1")
            .bind(id.0)
            .fetch_one(&raw)
            .await
            .unwrap();
    assert_eq!(hash, None, "the old password is gone");
    let summary = k.station(id).await.unwrap().summary;
    assert!(!summary.has_password);
    assert_eq!(
        summary.unauthenticated_allowed.map(|a| a.by).as_deref(),
        Some("Paula Partner")
    );
    let log = k.audit_log(1000).await.unwrap();
    assert_eq!(log.len(), audit_before + 1);
    assert_eq!(log[0].action, AuditAction::StationSettingsChanged);
    assert_eq!(log[0].actor, "Paula Partner");
    assert!(
        log[0].summary.contains(
            "Allowed unauthenticated connections for station \"Laadpaal Oost\" (KRN-CP-010)"
        ),
        "{}",
        log[0].summary
    );
    db.station_login("KRN-CP-010")
        .await
        .unwrap()
        .unwrap()
        .accept(&db)
        .unwrap();
    // Allowing it again changes nothing: no audit entry, no event.
    assert_eq!(k.set_station_unauthenticated(id, true).await.unwrap(), None);
    k.set_station_password(id, None).await.unwrap();
    assert_eq!(k.audit_log(1000).await.unwrap().len(), audit_before + 1);
    assert!(station_events_so_far(&raw, &mut events).await.is_empty());

    // No longer allowing them cannot leave the station with neither: a password is generated, returned once
    // and required from now on.
    let generated = k
        .set_station_unauthenticated(id, false)
        .await
        .unwrap()
        .expect("a new password");
    assert_eq!(
        station_events_so_far(&raw, &mut events).await,
        [StationEvent::CredentialsChanged(id)]
    );
    let summary = k.station(id).await.unwrap().summary;
    assert!(summary.has_password && summary.unauthenticated_allowed.is_none());
    let login = db.station_login("KRN-CP-010").await.unwrap().unwrap();
    assert!(login.requires_password());
    assert!(!login.verify_password(STATION_PASSWORD).await.unwrap());
    assert!(login.verify_password(generated.as_str()).await.unwrap());
    let log = k.audit_log(1).await.unwrap();
    assert!(
        log[0]
            .summary
            .contains("unauthenticated connections are no longer allowed"),
        "{}",
        log[0].summary
    );
    assert!(!log[0].summary.contains(generated.as_str()));
    // ... and on a station that needs its password already, nothing happens.
    assert_eq!(
        k.set_station_unauthenticated(id, false).await.unwrap(),
        None
    );
    assert!(station_events_so_far(&raw, &mut events).await.is_empty());

    // "Generate new password": a different valid password each time; the previous one stops working.
    let next = k.generate_station_password(id).await.unwrap();
    assert_ne!(next, generated);
    assert_eq!(next.as_str().len(), shared::station::GENERATED_PASSWORD_LEN);
    assert_eq!(
        station_events_so_far(&raw, &mut events).await,
        [StationEvent::CredentialsChanged(id)]
    );
    let login = db.station_login("KRN-CP-010").await.unwrap().unwrap();
    assert!(!login.verify_password(generated.as_str()).await.unwrap());
    assert!(login.verify_password(next.as_str()).await.unwrap());
    for e in k.audit_log(1000).await.unwrap() {
        assert!(!e.summary.contains(next.as_str()) && !e.summary.contains(generated.as_str()));
    }

    // The attacker: another branch's administrator, and a sub-organization reaching up, can neither generate
    // a password for this station nor flip its choice; they get exactly what a missing station gets, and
    // nothing is changed or published.
    let audit_before = k.audit_log(1000).await.unwrap().len();
    for outsider in [f.h, f.k1] {
        let scope = f.scope(&db, outsider).await;
        for station in [id, StationId(9_999)] {
            assert!(matches!(
                scope.generate_station_password(station).await,
                Err(StorageError::NotFound { what: "station" })
            ));
            for allowed in [true, false] {
                assert!(matches!(
                    scope.set_station_unauthenticated(station, allowed).await,
                    Err(StorageError::NotFound { what: "station" })
                ));
            }
        }
    }
    assert_eq!(k.audit_log(1000).await.unwrap().len(), audit_before);
    assert!(station_events_so_far(&raw, &mut events).await.is_empty());
    assert!(db
        .station_login("KRN-CP-010")
        .await
        .unwrap()
        .unwrap()
        .verify_password(next.as_str())
        .await
        .unwrap());
}

#[tokio::test]
async fn stations_without_a_password_before_migration_0003_keep_working_visibly() {
    use sqlx::migrate::Migrator;
    let test_db = TestDb::new().await;
    // The database as it was before passwords became required: migrations up to 0002 (of its dialect), with a
    // station without a password and one with.
    let migrations = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(if test_db.is_postgres() {
            "postgres"
        } else {
            "sqlite"
        });
    let all = Migrator::new(migrations.as_path()).await.unwrap();
    let mut before = Migrator::new(migrations.as_path()).await.unwrap();
    before.migrations = all
        .migrations
        .iter()
        .filter(|m| m.version < 3)
        .cloned()
        .collect::<Vec<_>>()
        .into();
    assert_eq!(before.migrations.len(), 2);
    let raw = test_db.raw().await;
    before.run(&raw).await.unwrap();
    sqlx::query(
        "INSERT INTO organizations (id, parent_id, name, created_at) VALUES (1, NULL, 'Volta', 0)",
    )
    .execute(&raw)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO stations (org_id, charge_point_id, match_key, name, password_hash, created_at) \
         VALUES (1, 'OLD-OPEN', 'OLD-OPEN', 'Old open', NULL, 0), \
                (1, 'OLD-LOCKED', 'OLD-LOCKED', 'Old locked', 'not-a-real-hash', 0)",
    )
    .execute(&raw)
    .await
    .unwrap();
    raw.close().await;

    // Opening the database applies 0003.
    let db = test_db.open().await;
    let open = db.station_login("OLD-OPEN").await.unwrap().unwrap();
    assert!(!open.requires_password(), "it keeps connecting as before");
    open.accept(&db).unwrap();
    let locked = db.station_login("OLD-LOCKED").await.unwrap().unwrap();
    assert!(locked.requires_password(), "a password stays required");

    // Visibly: marked as allowed by the migration, and in the organization's audit log.
    let raw = test_db.raw().await;
    let rows: Vec<(String, Option<i64>, Option<String>)> = sqlx::query_as(
        "SELECT charge_point_id, unauthenticated_allowed_at, unauthenticated_allowed_by FROM stations \
         ORDER BY id",
    )
    .fetch_all(&raw)
    .await
    .unwrap();
    assert_eq!(rows[0].0, "OLD-OPEN");
    assert!((now_ms() - rows[0].1.unwrap()).abs() < 60_000);
    assert_eq!(
        rows[0].2.as_deref(),
        Some(shared::station::ALLOWED_BY_MIGRATION)
    );
    assert_eq!(rows[1], ("OLD-LOCKED".to_owned(), None, None));
    let audit: Vec<(Option<i64>, String, String, String)> = sqlx::query_as(
        "SELECT actor_user_id, actor_name, action, summary FROM audit_log WHERE org_id = 1",
    )
    .fetch_all(&raw)
    .await
    .unwrap();
    assert_eq!(audit.len(), 1, "{audit:?}");
    let (actor_id, actor, action, summary) = &audit[0];
    assert_eq!(*actor_id, None);
    assert_eq!(actor, shared::station::ALLOWED_BY_MIGRATION);
    assert_eq!(
        AuditAction::parse(action),
        Some(AuditAction::StationSettingsChanged)
    );
    assert!(
        summary.starts_with(
            "Allowed unauthenticated connections for station \"Old open\" (OLD-OPEN): it had no password"
        ),
        "{summary}"
    );
}

#[tokio::test]
async fn online_state_follows_the_current_connection() {
    let (_dir, db) = fresh_db().await;
    let f = fixture(&db).await;
    let k = f.scope(&db, f.k).await;
    let station_k = f.station_k;
    async fn is_online(scope: &OrgAdmin, id: StationId) -> bool {
        scope.station(id).await.unwrap().summary.online
    }

    let first = connect(&db, "KRN-CP-001").await;
    assert_eq!(first.station_id(), f.station_k);
    assert_eq!(first.org_id(), f.k);
    let instance = db
        .start_instance(storage::DEFAULT_INSTANCE_LEASE)
        .await
        .unwrap();
    first.connected(&instance).await;
    let detail = k.station(f.station_k).await.unwrap();
    assert!(detail.summary.online);
    assert!(detail.connected_since.is_some());
    assert!(detail.summary.last_message_at.is_some());

    // The station reconnects; the old connection's late close does not mark it offline.
    let second = connect(&db, "krn-cp-001").await;
    second.connected(&instance).await;
    first.disconnected().await;
    assert!(is_online(&k, station_k).await);
    second.clone().disconnected().await;
    assert!(!is_online(&k, station_k).await);

    // A graceful stop retires the instance: its stations are offline at once.
    second.connected(&instance).await;
    assert!(is_online(&k, station_k).await);
    assert_eq!(instance.retire().await.unwrap(), 1);
    assert!(!is_online(&k, station_k).await);

    // Messages, boot and statuses.
    let before = k
        .station(f.station_k)
        .await
        .unwrap()
        .summary
        .last_message_at;
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    second.touch().await;
    let after = k
        .station(f.station_k)
        .await
        .unwrap()
        .summary
        .last_message_at;
    assert!(after > before, "{before:?} {after:?}");
    second
        .boot("Alfen", "Eve Single", Some("ACE0012345"), None)
        .await
        .unwrap();
    let t = now_ms();
    second
        .status(1, "Charging", "NoError", None, Timestamp(t))
        .await
        .unwrap();
    second
        .status(0, "Available", "NoError", Some("boot"), Timestamp(t))
        .await
        .unwrap();
    // A queued, older report does not overwrite a newer one; a newer one does.
    second
        .status(1, "Available", "NoError", None, Timestamp(t - 60_000))
        .await
        .unwrap();
    second
        .status(2, "Faulted", "GroundFailure", Some("RCD"), Timestamp(t))
        .await
        .unwrap();
    let detail = k.station(f.station_k).await.unwrap();
    assert_eq!(detail.vendor.as_deref(), Some("Alfen"));
    assert_eq!(detail.model.as_deref(), Some("Eve Single"));
    assert_eq!(detail.serial_number.as_deref(), Some("ACE0012345"));
    assert_eq!(detail.firmware_version, None);
    assert!(detail.last_boot_at.is_some());
    let connectors: Vec<_> = detail
        .summary
        .connectors
        .iter()
        .map(|c| {
            (
                c.connector_id,
                c.status.as_str(),
                c.error_code.as_str(),
                c.info.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        connectors,
        [
            (0, "Available", "NoError", Some("boot")),
            (1, "Charging", "NoError", None),
            (2, "Faulted", "GroundFailure", Some("RCD")),
        ]
    );
    second
        .status(1, "Finishing", "NoError", None, Timestamp(t + 1))
        .await
        .unwrap();
    let list = k.stations().await.unwrap();
    let here = list.iter().find(|s| s.id == f.station_k).unwrap();
    assert_eq!(here.connectors[1].status, "Finishing");
    assert_eq!(here.connectors[1].updated_at, Timestamp(t + 1));
    assert!(list
        .iter()
        .find(|s| s.id == f.station_k1)
        .unwrap()
        .connectors
        .is_empty());
}

// ---------------------------------------------------------------------------------------------------------------
// Access modes
// ---------------------------------------------------------------------------------------------------------------

#[tokio::test]
async fn access_modes_inherit_from_organizations_down_to_the_station() {
    use AccessMode::*;
    let (_dir, db) = fresh_db().await;
    let f = fixture(&db).await;
    let (p, k, k1) = (
        f.scope(&db, f.partner).await,
        f.scope(&db, f.k).await,
        f.scope(&db, f.k1).await,
    );
    async fn effective(scope: &OrgAdmin, id: StationId) -> (AccessMode, AccessMode) {
        let d = scope.station(id).await.unwrap();
        (d.summary.effective_access_mode, d.inherited_access_mode)
    }

    // Nobody set anything: Whitelisting.
    let s = k.access_mode_settings().await.unwrap();
    assert_eq!(
        (s.own, s.inherited, s.effective),
        (None, Whitelisting, Whitelisting)
    );
    assert_eq!(
        effective(&k, f.station_k).await,
        (Whitelisting, Whitelisting)
    );

    // The partner's default reaches every organization below it.
    p.set_default_access_mode(Some(Roaming)).await.unwrap();
    let s = k.access_mode_settings().await.unwrap();
    assert_eq!((s.own, s.inherited, s.effective), (None, Roaming, Roaming));
    assert_eq!(effective(&k, f.station_k).await, (Roaming, Roaming));
    assert_eq!(effective(&k, f.station_k1).await, (Roaming, Roaming));
    assert_eq!(effective(&p, f.station_h).await, (Roaming, Roaming));

    // A sub-organization's own default wins for its stations only.
    k1.set_default_access_mode(Some(Open)).await.unwrap();
    let s = k1.access_mode_settings().await.unwrap();
    assert_eq!(
        (s.own, s.inherited, s.effective),
        (Some(Open), Roaming, Open)
    );
    assert_eq!(effective(&k, f.station_k1).await, (Open, Open));
    assert_eq!(effective(&k, f.station_k).await, (Roaming, Roaming));
    // ... and reaches its own sub-organizations.
    let s = f
        .scope(&db, f.k1a)
        .await
        .access_mode_settings()
        .await
        .unwrap();
    assert_eq!((s.own, s.inherited, s.effective), (None, Open, Open));

    // A station override wins; the list agrees with the detail.
    k.set_station_access_mode(f.station_k, Some(RoamingAndWhitelisting))
        .await
        .unwrap();
    assert_eq!(
        effective(&k, f.station_k).await,
        (RoamingAndWhitelisting, Roaming)
    );
    let list = p.stations().await.unwrap();
    let modes: Vec<_> = list
        .iter()
        .map(|s| (s.id, s.access_mode_override, s.effective_access_mode))
        .collect();
    for expected in [
        (
            f.station_k,
            Some(RoamingAndWhitelisting),
            RoamingAndWhitelisting,
        ),
        (f.station_k1, None, Open),
        (f.station_h, None, Roaming),
    ] {
        assert!(modes.contains(&expected), "{modes:?} lacks {expected:?}");
    }

    // Back to inheriting.
    k.set_station_access_mode(f.station_k, None).await.unwrap();
    assert_eq!(effective(&k, f.station_k).await, (Roaming, Roaming));
    k1.set_default_access_mode(None).await.unwrap();
    assert_eq!(effective(&k, f.station_k1).await, (Roaming, Roaming));

    // Audited where the setting lives; an unchanged setting writes nothing.
    let log = k.audit_log(100).await.unwrap();
    let changes: Vec<&str> = log
        .iter()
        .filter(|e| e.action == AuditAction::AccessModeChanged)
        .map(|e| e.summary.as_str())
        .collect();
    assert_eq!(changes.len(), 2, "{changes:?}");
    assert!(
        changes[1].contains("station \"Laadpaal Zuid\" (KRN-CP-001) from Inherit (Roaming) to Roaming + whitelisting"),
        "{changes:?}"
    );
    let before = k.audit_log(100).await.unwrap().len();
    k.set_station_access_mode(f.station_k, None).await.unwrap();
    k.set_default_access_mode(None).await.unwrap();
    assert_eq!(k.audit_log(100).await.unwrap().len(), before);
    let k1_log = k1.audit_log(100).await.unwrap();
    assert!(k1_log[0].summary.contains(
        "default access mode of this organization's stations from Open to Inherit (Roaming)"
    ));
    // A parent's administrator changing a sub-organization's station is audited in the sub-organization.
    k.set_station_access_mode(f.station_k1, Some(Whitelisting))
        .await
        .unwrap();
    assert_eq!(
        k1.audit_log(1).await.unwrap()[0].action,
        AuditAction::AccessModeChanged
    );
    assert_eq!(k.audit_log(100).await.unwrap().len(), before);
}

// ---------------------------------------------------------------------------------------------------------------
// Authorization decisions
// ---------------------------------------------------------------------------------------------------------------

const CARD_SUB: &str = "04AAAB11CD2345"; // whitelisted in k1 (a sub-organization of k)
const CARD_PARENT: &str = "04BBBB11CD2345"; // whitelisted in the partner (parent of k)
const CARD_SIBLING: &str = "04CCCC11CD2345"; // whitelisted in h (sibling of k)
const CARD_ROAMING: &str = "NL-TNM-000122045-U"; // roaming in k
const CARD_HERE: &str = "04DDDD11CD2345"; // whitelisted in k
const CARD_UNKNOWN: &str = "04EEEE11CD2345";

struct Cards {
    sub: PassId,
    parent: PassId,
    sibling: PassId,
    roaming: PassId,
    here: PassId,
}

async fn cards(db: &Db, f: &Fixture) -> Cards {
    Cards {
        sub: f
            .pass(db, f.k1, CARD_SUB, "Tag Anna", PassMode::Whitelist)
            .await,
        parent: f
            .pass(
                db,
                f.partner,
                CARD_PARENT,
                "Partner tag",
                PassMode::Whitelist,
            )
            .await,
        sibling: f
            .pass(db, f.h, CARD_SIBLING, "Hotel tag", PassMode::Whitelist)
            .await,
        roaming: f
            .pass(db, f.k, CARD_ROAMING, "Card Piet", PassMode::Roaming)
            .await,
        here: f
            .pass(db, f.k, CARD_HERE, "Tag Jan", PassMode::Whitelist)
            .await,
    }
}

#[tokio::test]
async fn authorize_follows_the_access_mode_and_the_organization_subtree() {
    use AccessMode::*;
    use AuthorizationStatus::{Accepted, Invalid};
    use Billing::{Free, Settled};
    let (_dir, db) = fresh_db().await;
    let f = fixture(&db).await;
    let c = cards(&db, &f).await;
    let k = f.scope(&db, f.k).await;
    let station = connect(&db, "KRN-CP-001").await;

    // (mode of the station in k, idTag as sent, status, billing, pass, reason contains)
    type Expected<'a> = (
        AccessMode,
        &'a str,
        AuthorizationStatus,
        Option<Billing>,
        Option<PassId>,
        &'a str,
    );
    #[rustfmt::skip]
    let table: Vec<Expected> = vec![
        (Open, CARD_SUB, Accepted, Some(Free), Some(c.sub), "pass \"Tag Anna\" in organization De Kroon Werkplaats"),
        (Open, CARD_PARENT, Accepted, Some(Free), None, "unknown card"),
        (Open, CARD_UNKNOWN, Accepted, Some(Free), None, "any card charges free"),
        // Whitelisting: the employer model. A sub-organization's whitelisted pass counts at k's station ...
        (Whitelisting, CARD_SUB, Accepted, Some(Free), Some(c.sub), "pass \"Tag Anna\" is whitelisted in organization De Kroon Werkplaats"),
        // ... also typed in lower case, as some stations send it.
        (Whitelisting, "04aaab11cd2345", Accepted, Some(Free), Some(c.sub), "Tag Anna"),
        (Whitelisting, CARD_HERE, Accepted, Some(Free), Some(c.here), "Tag Jan"),
        // ... a parent's or a sibling's never.
        (Whitelisting, CARD_PARENT, Invalid, None, None, "no pass with this ID (04BBBB11CD2345) in De Kroon Logistics or its sub-organizations"),
        (Whitelisting, CARD_SIBLING, Invalid, None, None, "no pass with this ID"),
        (Whitelisting, "NLTNM000122045U", Invalid, None, Some(c.roaming), "pass \"Card Piet\" is set to roaming"),
        (Whitelisting, CARD_UNKNOWN, Invalid, None, None, "no pass with this ID"),
        (Whitelisting, "TAG-0042", Invalid, None, None, "TAG-0042"),
        (Roaming, "NLTNM000122045", Accepted, Some(Settled), Some(c.roaming), "the session is settled"),
        (Roaming, CARD_SUB, Accepted, Some(Settled), Some(c.sub), "the whitelist is ignored"),
        (Roaming, CARD_SIBLING, Invalid, None, None, "roaming authorization with other platforms is not available yet"),
        (RoamingAndWhitelisting, CARD_SUB, Accepted, Some(Free), Some(c.sub), "the session is free"),
        (RoamingAndWhitelisting, CARD_ROAMING, Accepted, Some(Settled), Some(c.roaming), "the session is settled"),
        (RoamingAndWhitelisting, CARD_PARENT, Invalid, None, None, "not available yet"),
    ];
    for (mode, id_tag, status, billing, pass, reason) in table {
        k.set_station_access_mode(f.station_k, Some(mode))
            .await
            .unwrap();
        let d = station.authorize(id_tag).await.unwrap();
        let row = format!("{mode:?} {id_tag}: {d:?}");
        assert_eq!(d.status, status, "{row}");
        assert_eq!(d.billing, billing, "{row}");
        assert_eq!(d.pass, pass, "{row}");
        assert_eq!(d.user.is_some(), pass.is_some(), "{row}");
        assert!(d.reason.contains(reason), "{row}\n  missing: {reason}");
        assert!(d.reason.contains(mode.label()), "{row}");
    }

    // At the sub-organization's station a pass of its parent (k) does NOT count, its own does.
    let sub_station = connect(&db, "KRN-WP-001").await;
    for (id_tag, status, pass) in [
        (CARD_HERE, Invalid, None),
        (CARD_PARENT, Invalid, None),
        (CARD_SIBLING, Invalid, None),
        (CARD_SUB, Accepted, Some(c.sub)),
    ] {
        let d = sub_station.authorize(id_tag).await.unwrap();
        assert_eq!((d.status, d.pass), (status, pass), "{id_tag}: {d:?}");
    }

    // A deleted pass no longer counts.
    k.delete_pass(c.here).await.unwrap();
    k.set_station_access_mode(f.station_k, Some(Whitelisting))
        .await
        .unwrap();
    let d = station.authorize(CARD_HERE).await.unwrap();
    assert_eq!((d.status, d.pass), (Invalid, None));

    // Every decision is stored and visible on the pass, newest first, with the station and the reason.
    let k1 = f.scope(&db, f.k1).await;
    let on_sub = k1.pass_decisions(c.sub, 100).await.unwrap();
    assert_eq!(on_sub.len(), 6, "{on_sub:#?}");
    assert_eq!(on_sub[0].station_name, "Werkplaats");
    assert_eq!(on_sub[0].charge_point_id.as_deref(), Some("KRN-WP-001"));
    assert_eq!(on_sub[0].action, "Authorize");
    assert_eq!(on_sub[0].status, Accepted);
    assert_eq!(on_sub[0].billing, Some(Free));
    let at_parent_station: Vec<_> = on_sub
        .iter()
        .filter(|d| d.station_name == "Laadpaal Zuid")
        .collect();
    assert_eq!(at_parent_station.len(), 5);
    assert!(at_parent_station
        .iter()
        .any(|d| d.id_tag == "04aaab11cd2345" && d.reason.contains("is whitelisted")));
    assert!(on_sub
        .windows(2)
        .all(|w| (w[0].at, w[0].id) > (w[1].at, w[1].id)));
    assert_eq!(k1.pass_decisions(c.sub, 1).await.unwrap().len(), 1);
    // The deleted pass keeps its history; passes of other organizations are NotFound.
    assert_eq!(k.pass_decisions(c.here, 100).await.unwrap().len(), 1);
    assert_eq!(k.pass_decisions(c.roaming, 100).await.unwrap().len(), 3);
    assert!(f
        .scope(&db, f.partner)
        .await
        .pass_decisions(c.parent, 100)
        .await
        .unwrap()
        .is_empty());
    for (scope, pass) in [
        (f.k, c.sub),
        (f.k, c.sibling),
        (f.k1, c.here),
        (f.k, PassId(9_999)),
    ] {
        assert!(matches!(
            f.scope(&db, scope).await.pass_decisions(pass, 10).await,
            Err(StorageError::NotFound { what: "pass" })
        ));
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Transactions
// ---------------------------------------------------------------------------------------------------------------

/// A StartTransaction repeated while the first is still being stored (a station resending on a new connection,
/// maybe to another server instance) is one transaction with one decision, and every repeat gets it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_repeats_of_one_start_transaction_give_one_transaction() {
    let (_dir, db) = fresh_db().await;
    let f = fixture(&db).await;
    let c = cards(&db, &f).await;
    let started = Timestamp(now_ms() - 60_000);
    let tasks: Vec<_> = (0..6)
        .map(|_| {
            let db = db.clone();
            tokio::spawn(async move {
                let station = connect(&db, "KRN-CP-001").await;
                station
                    .start_transaction(1, CARD_SUB, 1_000, started)
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut results = Vec::new();
    for task in tasks {
        results.push(task.await.unwrap());
    }
    assert!(results.iter().all(|r| r == &results[0]), "{results:?}");
    assert_eq!(results[0].1.status, AuthorizationStatus::Accepted);
    let k = f.scope(&db, f.k).await;
    let stored = k.transactions(100).await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].id, results[0].0);
    let k1 = f.scope(&db, f.k1).await;
    assert_eq!(
        k1.pass_decisions(c.sub, 100).await.unwrap().len(),
        1,
        "one decision: the repeats' own were rolled back"
    );
}

#[tokio::test]
async fn transactions_are_idempotent_and_survive_a_restart() {
    let test_db = TestDb::new().await;
    let db = test_db.open().await;
    let f = fixture(&db).await;
    let c = cards(&db, &f).await;
    let station = connect(&db, "KRN-CP-001").await;
    let started = Timestamp(now_ms() - 3_600_000);

    let (id, decision) = station
        .start_transaction(1, CARD_SUB, 1_000, started)
        .await
        .unwrap();
    assert_eq!(decision.status, AuthorizationStatus::Accepted);
    assert_eq!(decision.billing, Some(Billing::Free));
    assert_eq!(decision.pass, Some(c.sub));
    // The station repeats it after a reconnect: the same transaction and decision, nothing new stored.
    let again = connect(&db, "KRN-CP-001").await;
    let (id2, decision2) = again
        .start_transaction(1, CARD_SUB, 1_000, started)
        .await
        .unwrap();
    assert_eq!((id2, &decision2), (id, &decision));
    let k = f.scope(&db, f.k).await;
    assert_eq!(k.transactions(100).await.unwrap().len(), 1);
    let k1 = f.scope(&db, f.k1).await;
    assert_eq!(k1.pass_decisions(c.sub, 100).await.unwrap().len(), 1);
    assert_eq!(
        k1.pass_decisions(c.sub, 100).await.unwrap()[0].action,
        "StartTransaction"
    );
    // A different start (other connector) is a new transaction.
    let (other, _) = station
        .start_transaction(2, CARD_SUB, 1_000, started)
        .await
        .unwrap();
    assert_ne!(other, id);

    // Meter values during the session.
    station
        .meter_value(Some(id.0), 1, 2_499.6, Timestamp(started.0 + 60_000))
        .await
        .unwrap();
    station
        .meter_value(Some(id.0), 1, 2_000.0, Timestamp(started.0 + 30_000))
        .await
        .unwrap();
    station
        .meter_value(None, 1, 9_999.0, Timestamp(started.0 + 60_000))
        .await
        .unwrap();
    station
        .meter_value(Some(id.0), 1, f64::NAN, Timestamp(started.0 + 90_000))
        .await
        .unwrap();
    let running = k.transactions(100).await.unwrap();
    let t = running.iter().find(|t| t.id == id).unwrap();
    assert!(t.is_active());
    assert_eq!(t.last_meter_wh, Some(2_500));

    // Restart: nothing survives but the database file.
    drop((station, again, k, k1, f.admin));
    drop(db);
    let db = test_db.open().await;
    let station = connect(&db, "KRN-CP-001").await;
    let stopped = Timestamp(started.0 + 3_000_000);
    assert_eq!(
        station
            .stop_transaction(id.0, 5_200, stopped, Some(CARD_SUB), None)
            .await
            .unwrap(),
        StopOutcome::Completed { energy_wh: 4_200 }
    );
    // Repeated, unknown, or another station's transaction: answered, nothing changed.
    assert_eq!(
        station
            .stop_transaction(id.0, 9_000, Timestamp(stopped.0 + 1), None, Some("Remote"))
            .await
            .unwrap(),
        StopOutcome::AlreadyStopped
    );
    assert_eq!(
        station
            .stop_transaction(987_654, 1, stopped, None, None)
            .await
            .unwrap(),
        StopOutcome::Unknown
    );
    let hotel = connect(&db, "HZ-001").await;
    assert_eq!(
        hotel
            .stop_transaction(other.0, 1, stopped, None, None)
            .await
            .unwrap(),
        StopOutcome::Unknown
    );

    let admin = caller_for(&db, "pa@volta.example").await;
    let k = admin.admin_of(&db, f.k).await.unwrap();
    let list = k.transactions(100).await.unwrap();
    let t = list.iter().find(|t| t.id == id).unwrap();
    assert!(!t.is_active());
    assert_eq!(t.station_id, f.station_k);
    assert_eq!(t.station_name, "Laadpaal Zuid");
    assert_eq!(t.charge_point_id, "KRN-CP-001");
    assert_eq!(t.connector_id, 1);
    assert_eq!(t.id_tag, CARD_SUB);
    assert_eq!(t.pass_id, Some(c.sub));
    assert_eq!(t.pass_nickname.as_deref(), Some("Tag Anna"));
    assert_eq!(t.user_name.as_deref(), Some("Card Holder"));
    assert_eq!(t.status, AuthorizationStatus::Accepted);
    assert_eq!(t.billing, Some(Billing::Free));
    assert_eq!(t.started_at, started);
    assert_eq!(t.meter_start_wh, 1_000);
    assert_eq!(t.stopped_at, Some(stopped));
    assert_eq!(t.meter_stop_wh, Some(5_200));
    assert_eq!(t.energy_wh, Some(4_200));
    assert_eq!(t.stop_reason.as_deref(), Some("Local"));
    let t2 = list.iter().find(|t| t.id == other).unwrap();
    assert!(t2.is_active());

    // A refused card still gets a transaction (OCPP requires an id), recorded as refused.
    let (refused, d) = station
        .start_transaction(1, CARD_UNKNOWN, 5_200, stopped)
        .await
        .unwrap();
    assert_eq!((d.status, d.billing), (AuthorizationStatus::Invalid, None));
    // Settled in Roaming mode.
    k.set_station_access_mode(f.station_k, Some(AccessMode::Roaming))
        .await
        .unwrap();
    let (settled, d) = station
        .start_transaction(2, CARD_ROAMING, 0, stopped)
        .await
        .unwrap();
    assert_eq!(d.billing, Some(Billing::Settled));
    let list = k.station_transactions(f.station_k, 100).await.unwrap();
    assert_eq!(list.len(), 4);
    let by_id = |id| list.iter().find(|t| t.id == id).unwrap();
    assert_eq!(by_id(refused).status, AuthorizationStatus::Invalid);
    assert_eq!(by_id(refused).billing, None);
    assert_eq!(by_id(refused).pass_id, None);
    assert_eq!(by_id(refused).user_name, None);
    assert_eq!(by_id(settled).billing, Some(Billing::Settled));
    // Scope: the sub-organization's transactions list does not show the parent's station; the partner's does.
    let k1 = admin.admin_of(&db, f.k1).await.unwrap();
    assert!(k1.transactions(100).await.unwrap().is_empty());
    let p = admin.admin_of(&db, f.partner).await.unwrap();
    assert_eq!(p.transactions(100).await.unwrap().len(), 4);
    assert_eq!(p.transactions(2).await.unwrap().len(), 2);
}

// ---------------------------------------------------------------------------------------------------------------
// The OCPP message log
// ---------------------------------------------------------------------------------------------------------------

fn frame(
    station: StationId,
    at: i64,
    direction: FrameDirection,
    message_type: FrameType,
    action: Option<&str>,
    unique_id: &str,
    payload: &str,
) -> NewOcppMessage {
    NewOcppMessage {
        station,
        at: Timestamp(at),
        direction,
        message_type,
        action: action.map(str::to_owned),
        unique_id: unique_id.to_owned(),
        payload: payload.to_owned(),
        id_tag: None,
        outcome: None,
    }
}

/// An Authorize CALL from the station with this idTag.
fn authorize_call(station: StationId, at: i64, unique_id: &str, id_tag: &str) -> NewOcppMessage {
    NewOcppMessage {
        id_tag: Some(id_tag.to_owned()),
        ..frame(
            station,
            at,
            FrameDirection::Incoming,
            FrameType::Call,
            Some("Authorize"),
            unique_id,
            &format!(r#"{{"idTag":"{id_tag}"}}"#),
        )
    }
}

fn summary(entries: &[OcppLogEntry]) -> Vec<(FrameType, Option<&str>, &str)> {
    entries
        .iter()
        .map(|e| (e.message_type, e.action.as_deref(), e.unique_id.as_str()))
        .collect()
}

/// The log writer's batches are stored a few hundred rows per statement: the rows keep the batch's order (ids
/// ascending), and every answer is paired with its CALL (`call_id`, and the CALL's action when the answer has
/// none) whether that CALL is earlier in the same batch, in the same statement or not, or was stored before.
#[tokio::test]
async fn a_batch_keeps_its_order_and_pairs_answers_with_their_calls() {
    use FrameDirection::{Incoming, Outgoing};
    use FrameType::{Call, CallError, CallResult};
    let test_db = storage::test_support::TestDb::new().await;
    let db = test_db.open().await;
    let raw = test_db.raw().await;
    let f = fixture(&db).await;
    let (a, b) = (f.station_k, f.station_h);
    let at = now_ms();
    // Stored before: an outgoing CALL of ours (as a later issue sends) that b answers in the next batch.
    db.insert_ocpp_messages(&[frame(b, at, Outgoing, Call, Some("Reset"), "srv-1", "{}")])
        .await
        .unwrap();
    let mut batch = vec![
        frame(
            b,
            at + 1,
            Incoming,
            CallResult,
            None,
            "srv-1",
            r#"{"status":"Accepted"}"#,
        ),
        // The same unique id at two stations, and a station reusing one: the latest CALL of the station counts.
        authorize_call(a, at + 2, "1", "04AAAA"),
        authorize_call(b, at + 2, "1", "04BBBB"),
        frame(
            a,
            at + 3,
            Outgoing,
            CallResult,
            Some("Authorize"),
            "1",
            "{}",
        ),
        frame(
            b,
            at + 3,
            Outgoing,
            CallError,
            None,
            "1",
            "[4,\"1\",\"InternalError\",\"\",{}]",
        ),
    ];
    // More than one statement's worth of CALLs and answers, each answer right after its CALL.
    for i in 0..400 {
        let id = format!("n{i}");
        batch.push(frame(
            a,
            at + 4,
            Incoming,
            Call,
            Some("Heartbeat"),
            &id,
            "{}",
        ));
        batch.push(frame(a, at + 4, Outgoing, CallResult, None, &id, "{}"));
    }
    batch.push(authorize_call(a, at + 5, "1", "04CCCC"));
    batch.push(frame(a, at + 5, Outgoing, CallResult, None, "1", "{}"));
    let (stored, decisions) = db.store_ocpp_batch(&batch, &[], &[]).await;
    stored.unwrap();
    assert!(decisions.is_empty());

    /// id, station_id, unique_id, action, call_id
    type Row = (i64, i64, String, Option<String>, Option<i64>);
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT id, station_id, unique_id, action, call_id FROM ocpp_messages ORDER BY id",
    )
    .fetch_all(&raw)
    .await
    .unwrap();
    assert_eq!(rows.len(), 1 + batch.len());
    let ids: Vec<i64> = rows.iter().map(|r| r.0).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]));
    let stored: Vec<(i64, &str)> = rows[1..].iter().map(|r| (r.1, r.2.as_str())).collect();
    let given: Vec<(i64, &str)> = batch
        .iter()
        .map(|m| (m.station.0, m.unique_id.as_str()))
        .collect();
    assert_eq!(stored, given, "stored in the batch's order");
    let row = |i: usize| &rows[i + 1];
    // The answer to the CALL stored before.
    assert_eq!(row(0).3.as_deref(), Some("Reset"));
    assert_eq!(row(0).4, Some(rows[0].0));
    // Answers to CALLs earlier in the batch: each station's own.
    assert_eq!(
        (row(3).3.as_deref(), row(3).4),
        (Some("Authorize"), Some(row(1).0))
    );
    assert_eq!(
        (row(4).3.as_deref(), row(4).4),
        (Some("Authorize"), Some(row(2).0))
    );
    for i in 0..400 {
        let (call, answer) = (row(5 + 2 * i), row(6 + 2 * i));
        assert_eq!(call.4, None);
        assert_eq!(
            (answer.3.as_deref(), answer.4),
            (Some("Heartbeat"), Some(call.0)),
            "pair {i}"
        );
    }
    // A unique id used again: the latest CALL.
    let last = batch.len() - 1;
    assert_eq!(row(last).4, Some(row(last - 1).0));
    assert_eq!(row(last).3.as_deref(), Some("Authorize"));
}

#[tokio::test]
async fn ocpp_frames_are_stored_paired_filtered_paginated_and_pruned() {
    use FrameDirection::{Incoming as In, Outgoing as Out};
    use FrameType::{Call, CallError, CallResult};
    let (_dir, db) = fresh_db().await;
    let f = fixture(&db).await;
    cards(&db, &f).await;
    let s = f.station_k;
    let t = 1_800_000_000_000_i64;

    db.insert_ocpp_messages(&[
        frame(
            s,
            t,
            In,
            Call,
            Some("BootNotification"),
            "1",
            r#"{"chargePointVendor":"Alfen"}"#,
        ),
        frame(
            s,
            t + 1,
            Out,
            CallResult,
            None,
            "1",
            r#"{"status":"Accepted"}"#,
        ),
        authorize_call(s, t + 2, "2", "04eeee11cd2345"),
        frame(
            s,
            t + 3,
            Out,
            CallResult,
            None,
            "2",
            r#"{"idTagInfo":{"status":"Invalid"}}"#,
        ),
        // The server's own CALL reuses id "1": its answer pairs with it, not with the station's BootNotification.
        frame(s, t + 4, Out, Call, Some("GetConfiguration"), "1", "{}"),
        // Another station's frames never mix in.
        frame(f.station_h, t + 4, In, Call, Some("Heartbeat"), "2", "{}"),
    ])
    .await
    .unwrap();
    // Answers in a later batch still find their CALL.
    db.insert_ocpp_messages(&[
        frame(
            s,
            t + 5,
            In,
            CallResult,
            None,
            "1",
            r#"{"configurationKey":[]}"#,
        ),
        authorize_call(s, t + 6, "3", "04AAAB11CD2345"),
        frame(
            s,
            t + 7,
            Out,
            CallResult,
            None,
            "3",
            r#"{"idTagInfo":{"status":"Accepted"}}"#,
        ),
        frame(s, t + 8, In, Call, Some("DataTransfer"), "4", "{}"),
        frame(
            s,
            t + 9,
            Out,
            CallError,
            None,
            "4",
            r#"[4,"4","NotSupported","",{}]"#,
        ),
        frame(s, t + 10, Out, CallResult, None, "no-such-call", "{}"),
    ])
    .await
    .unwrap();
    db.insert_ocpp_messages(&[]).await.unwrap();

    let k = f.scope(&db, f.k).await;
    let all = k.station_logs(s, &LogFilter::default()).await.unwrap();
    assert_eq!(
        summary(&all),
        [
            (CallResult, None, "no-such-call"),
            (CallError, Some("DataTransfer"), "4"),
            (Call, Some("DataTransfer"), "4"),
            (CallResult, Some("Authorize"), "3"),
            (Call, Some("Authorize"), "3"),
            (CallResult, Some("GetConfiguration"), "1"),
            (Call, Some("GetConfiguration"), "1"),
            (CallResult, Some("Authorize"), "2"),
            (Call, Some("Authorize"), "2"),
            (CallResult, Some("BootNotification"), "1"),
            (Call, Some("BootNotification"), "1"),
        ]
    );
    let first = all.last().unwrap();
    assert_eq!(first.at, Timestamp(t));
    assert_eq!(first.direction, In);
    assert_eq!(first.payload, r#"{"chargePointVendor":"Alfen"}"#);
    assert_eq!(all[1].direction, Out);

    // Filter by action: the CALLs and their answers.
    let authorize = k
        .station_logs(
            s,
            &LogFilter {
                action: Some("Authorize".into()),
                ..LogFilter::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(authorize.len(), 4);
    let blank = LogFilter {
        action: Some(" ".into()),
        ..LogFilter::default()
    };
    assert_eq!(k.station_logs(s, &blank).await.unwrap(), all);
    let unknown_action = LogFilter {
        action: Some("authorize".into()),
        ..LogFilter::default()
    };
    assert!(k.station_logs(s, &unknown_action).await.unwrap().is_empty());
    // "Add as pass" is offered for the unknown card only (the known one is whitelisted in a sub-organization).
    let tags: Vec<_> = authorize
        .iter()
        .filter(|e| e.message_type == Call)
        .map(|e| (e.id_tag.as_deref(), e.id_tag_known))
        .collect();
    assert_eq!(
        tags,
        [
            (Some("04AAAB11CD2345"), true),
            (Some("04eeee11cd2345"), false)
        ]
    );
    assert!(all
        .iter()
        .filter(|e| e.id_tag.is_none())
        .all(|e| !e.id_tag_known));
    // At the hotel's station the same known card would not count: it is not known there.
    db.insert_ocpp_messages(&[authorize_call(f.station_h, t + 11, "9", "04AAAB11CD2345")])
        .await
        .unwrap();
    let hotel = f
        .scope(&db, f.h)
        .await
        .station_logs(f.station_h, &LogFilter::default())
        .await
        .unwrap();
    assert_eq!(
        summary(&hotel),
        [
            (Call, Some("Authorize"), "9"),
            (Call, Some("Heartbeat"), "2")
        ]
    );
    assert!(!hotel[0].id_tag_known);

    // Time range: from inclusive, to exclusive.
    let window = k
        .station_logs(
            s,
            &LogFilter {
                from: Some(Timestamp(t + 2)),
                to: Some(Timestamp(t + 5)),
                ..LogFilter::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        window.iter().map(|e| e.at.0 - t).collect::<Vec<_>>(),
        [4, 3, 2]
    );
    let combined = k
        .station_logs(
            s,
            &LogFilter {
                action: Some("Authorize".into()),
                from: Some(Timestamp(t + 3)),
                to: Some(Timestamp(t + 7)),
                ..LogFilter::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        combined.iter().map(|e| e.at.0 - t).collect::<Vec<_>>(),
        [6, 3]
    );

    // Pages of 3 with before_id add up to the whole list.
    let mut paged = Vec::new();
    let mut before_id = None;
    loop {
        let page = k
            .station_logs(
                s,
                &LogFilter {
                    before_id,
                    limit: 3,
                    ..LogFilter::default()
                },
            )
            .await
            .unwrap();
        assert!(page.len() <= 3);
        let Some(last) = page.last() else { break };
        before_id = Some(last.id);
        paged.extend(page);
    }
    assert_eq!(paged, all);
    // The limit is clamped to 1..=200.
    let one = k
        .station_logs(
            s,
            &LogFilter {
                limit: 0,
                ..LogFilter::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(one, all[..1]);
    let many: Vec<_> = (0..250)
        .map(|i| {
            frame(
                s,
                t + 100 + i,
                In,
                Call,
                Some("Heartbeat"),
                &format!("hb{i}"),
                "{}",
            )
        })
        .collect();
    db.insert_ocpp_messages(&many).await.unwrap();
    let page = k
        .station_logs(
            s,
            &LogFilter {
                limit: 10_000,
                ..LogFilter::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(page.len(), 200);
    assert_eq!(page[0].unique_id, "hb249");

    // Retention: everything before the cut is deleted, the rest stays.
    assert_eq!(
        db.prune_ocpp_messages(Timestamp(t + 100)).await.unwrap(),
        13
    );
    let left = k
        .station_logs(
            s,
            &LogFilter {
                limit: 200,
                ..LogFilter::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(left.len(), 200);
    assert!(left.iter().all(|e| e.at.0 >= t + 100));
    assert_eq!(db.prune_ocpp_messages(Timestamp(t + 100)).await.unwrap(), 0);
    assert_eq!(
        db.prune_ocpp_messages(Timestamp(t + 1_000)).await.unwrap(),
        250
    );
    assert!(k
        .station_logs(s, &LogFilter::default())
        .await
        .unwrap()
        .is_empty());
    assert_eq!(storage::DEFAULT_LOG_RETENTION_DAYS, 30);
}

// ---------------------------------------------------------------------------------------------------------------
// Unknown cards
// ---------------------------------------------------------------------------------------------------------------

#[tokio::test]
async fn unknown_taps_list_recent_unknown_cards_once_each() {
    let (_dir, db) = fresh_db().await;
    let f = fixture(&db).await;
    cards(&db, &f).await;
    let station = connect(&db, "KRN-CP-001").await;
    let since = Timestamp(now_ms() - 1_000);

    for id_tag in ["04EEEE11CD2345", "04eeee11cd2345", CARD_SUB, "TAG-0042"] {
        station.authorize(id_tag).await.unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(3)).await;
    }
    station
        .start_transaction(1, "04EEEE11CD2345", 0, Timestamp(now_ms()))
        .await
        .unwrap();
    // The parent's card is unknown at this station too.
    station.authorize(CARD_PARENT).await.unwrap();

    let k = f.scope(&db, f.k).await;
    let taps = k.unknown_taps(f.station_k, since).await.unwrap();
    let rows: Vec<_> = taps.iter().map(|t| (t.id_tag.as_str(), t.count)).collect();
    assert_eq!(
        rows,
        [(CARD_PARENT, 1), ("04EEEE11CD2345", 3), ("TAG-0042", 1),]
    );
    assert!(taps
        .windows(2)
        .all(|w| w[0].last_seen_at >= w[1].last_seen_at));
    // Nothing recent at the other station; nothing after `since`.
    assert!(k
        .unknown_taps(f.station_k1, since)
        .await
        .unwrap()
        .is_empty());
    assert!(k
        .unknown_taps(f.station_k, Timestamp(now_ms() + 60_000))
        .await
        .unwrap()
        .is_empty());

    // "Add as pass" in a sub-organization: the card is no longer unknown at this station.
    f.pass(&db, f.k2, "04EEEE11CD2345", "New tag", PassMode::Whitelist)
        .await;
    let taps = k.unknown_taps(f.station_k, since).await.unwrap();
    let tags: Vec<_> = taps.iter().map(|t| t.id_tag.as_str()).collect();
    assert_eq!(tags, [CARD_PARENT, "TAG-0042"]);
}

// ---------------------------------------------------------------------------------------------------------------
// Concurrency
// ---------------------------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_sessions_write_without_losing_anything() {
    let (_dir, db) = fresh_db().await;
    let f = fixture(&db).await;
    cards(&db, &f).await;
    let a = connect(&db, "KRN-CP-001").await;
    let b = connect(&db, "KRN-WP-001").await;
    let a2 = connect(&db, "KRN-CP-001").await;
    let base = now_ms();
    let instance = std::sync::Arc::new(
        db.start_instance(storage::DEFAULT_INSTANCE_LEASE)
            .await
            .unwrap(),
    );

    let session = |station: ConnectedStation, connector: i64, tag: &'static str| {
        let db = db.clone();
        let instance = instance.clone();
        tokio::spawn(async move {
            station.connected(&instance).await;
            let mut ids = Vec::new();
            for i in 0..15_i64 {
                let at = Timestamp(base + i * 1_000);
                station.touch().await;
                station
                    .status(connector, "Charging", "NoError", None, at)
                    .await
                    .unwrap();
                let d = station.authorize(tag).await.unwrap();
                assert!(d.is_accepted(), "{d:?}");
                let (id, _) = station
                    .start_transaction(connector, tag, i * 100, at)
                    .await
                    .unwrap();
                station
                    .meter_value(Some(id.0), connector, (i * 100 + 50) as f64, at)
                    .await
                    .unwrap();
                db.insert_ocpp_messages(&[
                    frame(
                        station.station_id(),
                        at.0,
                        FrameDirection::Incoming,
                        FrameType::Call,
                        Some("Heartbeat"),
                        &format!("{connector}-{i}"),
                        "{}",
                    ),
                    frame(
                        station.station_id(),
                        at.0,
                        FrameDirection::Outgoing,
                        FrameType::CallResult,
                        None,
                        &format!("{connector}-{i}"),
                        "{}",
                    ),
                ])
                .await
                .unwrap();
                assert_eq!(
                    station
                        .stop_transaction(id.0, i * 100 + 70, at, None, None)
                        .await
                        .unwrap(),
                    StopOutcome::Completed { energy_wh: 70 }
                );
                ids.push(id);
            }
            ids
        })
    };
    let (ra, rb, ra2) = tokio::join!(
        session(a, 1, CARD_HERE),
        session(b, 1, CARD_SUB),
        session(a2, 2, CARD_SUB)
    );
    let mut ids: Vec<_> = [ra.unwrap(), rb.unwrap(), ra2.unwrap()].concat();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 45);

    let p = f.scope(&db, f.partner).await;
    let all = p.transactions(1_000).await.unwrap();
    assert_eq!(all.len(), 45);
    assert!(all.iter().all(|t| t.energy_wh == Some(70)));
    let k = f.scope(&db, f.k).await;
    let logs = k
        .station_logs(
            f.station_k,
            &LogFilter {
                limit: 200,
                ..LogFilter::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(logs.len(), 60);
    assert!(logs
        .iter()
        .all(|e| e.action.as_deref() == Some("Heartbeat")));
    let detail = k.station(f.station_k).await.unwrap();
    assert!(detail.summary.online);
    assert_eq!(detail.summary.connectors.len(), 2);
}

/// Station settings saved twice at once (two instances on PostgreSQL run both requests side by side): the other
/// save's transaction has changed the setting and not committed yet (a stand-in that records nothing); this one
/// waits for it, finds the setting as it wants it, and changes and records nothing. "Require a password" pressed
/// twice does not generate a second password behind the first one's back: the first is the station's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn station_settings_saved_twice_at_once_are_changed_once() {
    let test_db = TestDb::new().await;
    let db = test_db.open().await;
    let raw = test_db.raw().await;
    let f = fixture(&db).await;
    let k = f.scope(&db, f.k).await;
    let station = f.station_k;
    let settings_changes = audit_entries(&raw, "station_settings_changed").await;

    // The station's own access mode, and the organization's default.
    let other_save = format!(
        "UPDATE stations SET access_mode = 'open' WHERE id = {}",
        station.0
    );
    let (k, saved) = while_in_flight(&raw, &[&other_save], async move {
        let saved = k
            .set_station_access_mode(station, Some(AccessMode::Open))
            .await;
        (k, saved)
    })
    .await;
    saved.unwrap();
    let other_save = format!(
        "UPDATE organizations SET default_access_mode = 'roaming' WHERE id = {}",
        f.k.0
    );
    let (k, saved) = while_in_flight(&raw, &[&other_save], async move {
        let saved = k.set_default_access_mode(Some(AccessMode::Roaming)).await;
        (k, saved)
    })
    .await;
    saved.unwrap();
    assert_eq!(
        k.access_mode_settings().await.unwrap().own,
        Some(AccessMode::Roaming)
    );
    assert_eq!(audit_entries(&raw, "access_mode_changed").await, 0);

    // "Require a password" on a station that connects without one, while another request has just set its
    // password: no second password.
    let other_password = "UPDATE stations SET password_hash = \
                          (SELECT password_hash FROM users WHERE email = 'pa@volta.example'), \
                          unauthenticated_allowed_at = NULL, unauthenticated_allowed_by = NULL \
                          WHERE charge_point_id = 'KRN-CP-001'";
    let (k, generated) = while_in_flight(&raw, &[other_password], async move {
        let generated = k.set_station_unauthenticated(station, false).await;
        (k, generated)
    })
    .await;
    assert_eq!(
        generated.unwrap(),
        None,
        "the other request's password counts"
    );
    let detail = k.station(station).await.unwrap();
    assert!(detail.summary.has_password && detail.summary.unauthenticated_allowed.is_none());
    assert_eq!(
        audit_entries(&raw, "station_settings_changed").await,
        settings_changes
    );

    // "Allow unauthenticated connections" while another request allows them.
    let other_allow = format!(
        "UPDATE stations SET password_hash = NULL, unauthenticated_allowed_at = {}, \
         unauthenticated_allowed_by = 'Paula Partner' WHERE id = {}",
        now_ms(),
        station.0
    );
    let (k, allowed) = while_in_flight(&raw, &[&other_allow], async move {
        let allowed = k.set_station_unauthenticated(station, true).await;
        (k, allowed)
    })
    .await;
    assert_eq!(allowed.unwrap(), None);
    let detail = k.station(station).await.unwrap();
    assert!(!detail.summary.has_password && detail.summary.unauthenticated_allowed.is_some());
    assert_eq!(
        audit_entries(&raw, "station_settings_changed").await,
        settings_changes
    );
}
