//! The Local Authorization List a station should hold (`ConnectedStation::wanted_local_list`) is exactly the set
//! of cards Authorize accepts there: checked on the demo data's stations (Whitelisting, inherited and in a
//! sub-organization; Roaming + whitelisting) against `ConnectedStation::authorize` for every pass of the
//! platform, on SQLite and (with CHARGEDESK_TEST_PG_URL) PostgreSQL.

mod common;

use common::*;
use shared::local_list::ListStatus;
use storage::{ConnectedStation, Db, LoginOutcome, DEMO_PASSWORD, DEMO_STATIONS};

async fn demo_station(db: &Db, cp: &str) -> ConnectedStation {
    let password = DEMO_STATIONS
        .iter()
        .find(|s| s.charge_point_id == cp)
        .unwrap()
        .password;
    let login = db.station_login(cp).await.unwrap().expect("a demo station");
    assert!(login.verify_password(password).await.unwrap());
    login.accept(db).unwrap()
}

#[tokio::test]
async fn a_station_s_wanted_list_is_what_authorize_accepts_there() {
    let test_db = TestDb::new().await;
    let db = test_db.open().await;
    db.seed_demo().await.unwrap().expect("demo loaded");
    let LoginOutcome::LoggedIn { session_token, .. } = db
        .login("eva@volta-partners.example", DEMO_PASSWORD)
        .await
        .unwrap()
    else {
        panic!("the demo partner logs in")
    };
    let caller = db.caller(&session_token).await.unwrap().unwrap();
    let root = caller
        .me()
        .home_org
        .as_ref()
        .expect("the partner has a home organization")
        .id;
    // Every pass of the platform: the partner's organization and every one below it.
    let mut every_card: Vec<String> = Vec::new();
    let mut orgs = vec![root];
    while let Some(org) = orgs.pop() {
        let scope = caller.admin_of(&db, org).await.unwrap();
        every_card.extend(
            scope
                .passes()
                .await
                .unwrap()
                .into_iter()
                .map(|p| p.id_value),
        );
        orgs.extend(
            scope
                .sub_organizations()
                .await
                .unwrap()
                .into_iter()
                .map(|o| o.id),
        );
    }
    // And a card nobody has.
    every_card.push("04DEADBEEF0001".into());
    assert!(every_card.len() >= 4, "{every_card:?}");
    let mut listed_somewhere = 0;
    for cp in ["CP-KROON-1", "CP-LOGISTICS-1", "CP-ZONNEVELD-1"] {
        let station = demo_station(&db, cp).await;
        let wanted = station.wanted_local_list().await.unwrap();
        for card in &every_card {
            let accepted = station.authorize(card).await.unwrap().is_accepted();
            assert_eq!(
                wanted.contains_key(card),
                accepted,
                "{cp}: {card} on the list exactly when Authorize accepts it ({wanted:?})"
            );
        }
        assert!(wanted.values().all(|e| e.status == ListStatus::Accepted));
        listed_somewhere += wanted.len();
    }
    assert!(listed_somewhere > 0, "the demo stations accept some cards");
}
