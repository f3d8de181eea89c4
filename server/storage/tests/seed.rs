//! The demo dataset.

mod common;

use common::*;
use shared::model::AuditAction;
use shared::pass_id::PassIdKind;
use shared::station::StationPassword;
use shared::PassMode;
use storage::{LoginOutcome, DEMO_PASSWORD, DEMO_STATIONS};

#[tokio::test]
async fn seed_demo_fills_an_empty_database_once() {
    let (_dir, db) = fresh_db().await;
    let logins = db.seed_demo().await.unwrap().expect("seeded");
    assert!(db.has_organizations().await.unwrap());
    assert!(logins.len() >= 4);
    for login in &logins {
        assert_eq!(login.password, "chargedesk-demo");
        assert_eq!(login.password, DEMO_PASSWORD);
        assert!(!login.description.is_empty());
        assert!(
            matches!(
                db.login(&login.email, &login.password).await.unwrap(),
                LoginOutcome::LoggedIn { .. }
            ),
            "{}",
            login.email
        );
    }
    // Second call: nothing happens.
    assert!(db.seed_demo().await.unwrap().is_none());

    // The partner administrator sees the whole tree.
    let token = match db.login(&logins[0].email, DEMO_PASSWORD).await.unwrap() {
        LoginOutcome::LoggedIn { session_token, .. } => session_token,
        other => panic!("{other:?}"),
    };
    let partner = db.caller(&token).await.unwrap().unwrap();
    let home = partner.me().home_org.clone().unwrap();
    assert_eq!(home.name, "Volta Partners");
    let root = partner.admin_of(&db, home.id).await.unwrap();
    let customers = root.sub_organizations().await.unwrap();
    let names: Vec<_> = customers.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(names, ["Brouwerij De Kroon", "Hotel Zonneveld"]);
    let kroon = partner.admin_of(&db, customers[0].id).await.unwrap();
    let subs = kroon.sub_organizations().await.unwrap();
    let names: Vec<_> = subs.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(names, ["De Kroon Horeca", "De Kroon Logistics"]);
    assert!(!kroon.users().await.unwrap().is_empty());

    // Passes of both kinds, roaming and whitelist, and never the card the demo taps later.
    let mut all = Vec::new();
    for org in [customers[0].id, customers[1].id, subs[0].id, subs[1].id] {
        let scope = partner.admin_of(&db, org).await.unwrap();
        all.extend(scope.passes().await.unwrap());
        assert!(!scope.audit_log(100).await.unwrap().is_empty());
    }
    assert!(all.iter().any(|p| p.id_kind == PassIdKind::Hidden));
    assert!(all
        .iter()
        .any(|p| p.id_kind == PassIdKind::Visible && p.mode == PassMode::Roaming));
    assert!(all
        .iter()
        .any(|p| p.id_kind == PassIdKind::Visible && p.mode == PassMode::Whitelist));
    assert!(all.iter().any(|p| p.id_value == "NL-TNM-012204-5"));
    assert!(all.iter().all(|p| p.id_value != "04AAAB11CD2345"));

    let logistics = partner.admin_of(&db, subs[1].id).await.unwrap();
    let log = logistics.audit_log(100).await.unwrap();
    assert!(log.iter().any(|e| e.action == AuditAction::PassModeChanged));
}

#[tokio::test]
async fn demo_stations_log_in_with_their_own_published_passwords() {
    let (_dir, db) = fresh_db().await;
    db.seed_demo().await.unwrap().expect("seeded");
    let ids: Vec<&str> = DEMO_STATIONS.iter().map(|s| s.charge_point_id).collect();
    assert_eq!(ids, ["CP-KROON-1", "CP-LOGISTICS-1", "CP-ZONNEVELD-1"]);
    for station in DEMO_STATIONS {
        // Valid station passwords (16 to 40 characters, no colon), printable on the banner's one line.
        StationPassword::parse(station.password).unwrap();
        assert!(!station.description.is_empty());
        let login = db
            .station_login(station.charge_point_id)
            .await
            .unwrap()
            .expect("demo station registered");
        assert!(login.requires_password(), "{}", station.charge_point_id);
        // Neither no password, nor the users' demo password, nor another station's password lets it in.
        assert!(!login.verify_password("").await.unwrap());
        assert!(!login.verify_password(DEMO_PASSWORD).await.unwrap());
        for other in DEMO_STATIONS {
            assert_eq!(
                login.verify_password(other.password).await.unwrap(),
                other.charge_point_id == station.charge_point_id,
                "{} with the password of {}",
                station.charge_point_id,
                other.charge_point_id
            );
        }
        login.accept(&db).unwrap();
    }
}

#[tokio::test]
async fn seed_demo_leaves_a_bootstrapped_database_alone() {
    let (_dir, db) = fresh_db().await;
    partner(&db).await;
    assert!(db.seed_demo().await.unwrap().is_none());
    assert!(matches!(
        db.login("eva@volta-partners.example", DEMO_PASSWORD)
            .await
            .unwrap(),
        LoginOutcome::WrongCredentials
    ));
}

/// Two instances started with the demo on one empty database at once: while the other's seed is in flight (its
/// demo administrator inserted, not committed), this one's waits for it and then finds the database seeded
/// (`None`), instead of failing over the name the other took. PostgreSQL runs both seeds side by side.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seeding_the_demo_while_another_instance_seeds_it_leaves_it_to_that_one() {
    let test_db = TestDb::new().await;
    let db = test_db.open().await;
    let raw = test_db.raw().await;
    let mut other = raw.begin().await.unwrap();
    sqlx::query(
        "INSERT INTO users (email, first_name, last_name, created_at) \
         VALUES ('eva@volta-partners.example', 'Eva', 'Visser', $1)",
    )
    .bind(storage::now().0)
    .execute(&mut *other)
    .await
    .unwrap();
    let seeding = tokio::spawn({
        let db = db.clone();
        async move { db.seed_demo().await }
    });
    // Time for the seed to hash the demo passwords and reach its inserts; should it start only after the commit,
    // it finds the organization all the same.
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    sqlx::query("INSERT INTO organizations (parent_id, name, created_at) VALUES (NULL, 'Volta Partners', $1)")
        .bind(storage::now().0)
        .execute(&mut *other)
        .await
        .unwrap();
    other.commit().await.unwrap();
    assert!(seeding.await.unwrap().unwrap().is_none());
    let organizations: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM organizations")
        .fetch_one(&raw)
        .await
        .unwrap();
    assert_eq!(organizations, 1, "only the other instance's");
}

/// The demo's history: months of sessions through the real OCPP code — whitelisted ones at De Kroon, settled
/// and priced ones at the hotel — and the hotel's issued credit statements; De Kroon's months say why they have
/// none.
#[tokio::test]
async fn the_demo_has_a_history_of_sessions_and_statements() {
    let (_dir, db) = fresh_db().await;
    let logins = db.seed_demo().await.unwrap().expect("seeded");
    let token = match db.login(&logins[0].email, DEMO_PASSWORD).await.unwrap() {
        LoginOutcome::LoggedIn { session_token, .. } => session_token,
        other => panic!("{other:?}"),
    };
    let partner = db.caller(&token).await.unwrap().unwrap();
    let home = partner.me().home_org.clone().unwrap();
    let root = partner.admin_of(&db, home.id).await.unwrap();
    let customers = root.sub_organizations().await.unwrap();
    let (kroon, hotel) = (
        partner.admin_of(&db, customers[0].id).await.unwrap(),
        partner.admin_of(&db, customers[1].id).await.unwrap(),
    );
    let hotel_sessions = hotel.transactions(1000).await.unwrap();
    assert!(hotel_sessions.len() > 30, "{}", hotel_sessions.len());
    let settled: Vec<_> = hotel_sessions
        .iter()
        .filter(|t| t.billing == Some(shared::decision::Billing::Settled))
        .collect();
    assert!(!settled.is_empty());
    assert!(
        settled.iter().all(|t| t.price.is_some()),
        "every settled demo session is priced"
    );
    assert!(hotel_sessions
        .iter()
        .any(|t| t.billing == Some(shared::decision::Billing::Free)));
    let kroon_sessions = kroon.transactions(1000).await.unwrap();
    assert!(!kroon_sessions.is_empty());
    assert!(kroon_sessions
        .iter()
        .all(|t| t.billing == Some(shared::decision::Billing::Free)));

    let statements = hotel.statements().await.unwrap();
    assert!(statements.len() >= 3, "{statements:?}");
    assert!(statements.iter().all(|s| s.number.starts_with("VOLTAPAR-")));
    assert_eq!(root.statements().await.unwrap().len(), statements.len());
    let last_month = &kroon.settlement_months(2).await.unwrap()[1];
    assert_eq!(
        last_month.reason.as_deref(),
        Some("Only whitelisted sessions: no credit invoice.")
    );
}
