//! "Passes" and "Transactions" over HTTP (`list_passes`, `list_transactions`): pages, the size cap, readable
//! refusals of damaged page links, and attackers — another tenant's administrator and a cardholder — with cursors
//! made from the victim's rows.

mod common;

use app::AppError;
use common::*;
use shared::ids::StationId;
use shared::model::{PassSummary, TransactionSummary};
use shared::names::Email;
use shared::names::Password;
use shared::paging::{Cursor, Page, Total, PAGE_FIELD, PAGE_SIZE_MAX};
use shared::PassMode;
use storage::list_seed::{self, ListScale};

struct Fixture {
    app: TestApp,
    victim_org: String,
    victim_admin: String,
    victim_cardholder: String,
    /// Another tenant's administrator, and their organization.
    other_admin: String,
    other_org: String,
    newest_pass: PassSummary,
    newest_transaction: TransactionSummary,
}

async fn fixture() -> Fixture {
    let app = TestApp::new().await;
    let seeded = list_seed::seed(&app.db, &ListScale::SMALL).await.unwrap();
    let victim_org = seeded.admin.org_id().to_string();
    let newest_pass = seeded.admin.passes().await.unwrap().remove(0);
    let newest_transaction = seeded.admin.transactions(1).await.unwrap().remove(0);
    app.db
        .set_password(
            &Email::parse("member1@bench.example").unwrap(),
            &Password::parse(PASSWORD).unwrap(),
        )
        .await
        .unwrap();
    let (other, _) = app.partner("Other Partners", "other@other.example").await;
    Fixture {
        victim_admin: app
            .login(list_seed::ADMIN_EMAIL, list_seed::ADMIN_PASSWORD)
            .await,
        victim_cardholder: app.login("member1@bench.example", PASSWORD).await,
        other_admin: app.login("other@other.example", PASSWORD).await,
        other_org: other.to_string(),
        app,
        victim_org,
        newest_pass,
        newest_transaction,
    }
}

#[tokio::test]
async fn pages_come_with_their_neighbours_and_the_size_is_capped() {
    let f = fixture().await;
    let org = f.victim_org.as_str();
    let first: Page<PassSummary> = f
        .app
        .call(Some(&f.victim_admin), "list_passes", &[("org", org)])
        .await
        .unwrap();
    assert_eq!(first.items.len(), 50);
    assert_eq!(first.items[0], f.newest_pass);
    assert_eq!(first.total, Total::Exact(300));
    let next = first.next.unwrap().to_string();
    let second: Page<PassSummary> = f
        .app
        .call(
            Some(&f.victim_admin),
            "list_passes",
            &[("org", org), ("after", &next)],
        )
        .await
        .unwrap();
    assert_eq!(second.first, 51);
    assert_eq!(second.range_label(), "51–100 of 300");
    let roaming: Page<PassSummary> = f
        .app
        .call(
            Some(&f.victim_admin),
            "list_passes",
            &[("org", org), ("mode", "roaming"), ("size", "4000000000")],
        )
        .await
        .unwrap();
    assert_eq!(roaming.items.len(), 100, "every third of 300 is roaming");
    assert!(roaming.items.iter().all(|p| p.mode == PassMode::Roaming));
    let all: Page<TransactionSummary> = f
        .app
        .call(
            Some(&f.victim_admin),
            "list_transactions",
            &[("org", org), ("size", "1000000")],
        )
        .await
        .unwrap();
    assert_eq!(all.items.len(), PAGE_SIZE_MAX as usize);
    assert_eq!(all.items[0], f.newest_transaction);
    let station = f.newest_transaction.station_id.to_string();
    let one: Page<TransactionSummary> = f
        .app
        .call(
            Some(&f.victim_admin),
            "list_transactions",
            &[("org", org), ("filter[station]", &station)],
        )
        .await
        .unwrap();
    assert!(one
        .items
        .iter()
        .all(|t| t.station_id == f.newest_transaction.station_id));
    assert_eq!(one.total, Total::Exact(333));
}

#[tokio::test]
async fn damaged_page_links_are_refused_readably() {
    let f = fixture().await;
    let org = f.victim_org.as_str();
    for (endpoint, args) in [
        ("list_passes", [("after", "1.2"), ("size", "5")]),
        ("list_passes", [("after", "1.2.3"), ("before", "1.2.3")]),
        ("list_transactions", [("before", "<script>"), ("size", "5")]),
    ] {
        let mut form = vec![("org", org)];
        form.extend(args);
        let reply: Result<serde_json::Value, AppError> =
            f.app.call(Some(&f.victim_admin), endpoint, &form).await;
        let Err(error) = reply else {
            panic!("{endpoint} {args:?} was accepted");
        };
        let message = error
            .for_field(PAGE_FIELD)
            .expect("a refusal of the page link");
        assert!(message.contains("first page"), "{message}");
    }
}

#[tokio::test]
async fn cursors_from_another_tenant_reveal_nothing() {
    let f = fixture().await;
    let after_pass = Cursor {
        key: f.newest_pass.created_at.0 + 1,
        id: f.newest_pass.id.0,
        position: 1,
    }
    .to_string();
    let after_transaction = Cursor {
        key: f.newest_transaction.started_at.0 + 1,
        id: f.newest_transaction.id.0,
        position: 1,
    }
    .to_string();
    let victims_station = f.newest_transaction.station_id.to_string();

    // The other tenant's administrator, on their own organization with the victim's cursors: their own (empty)
    // lists, whichever way they page.
    for direction in ["after", "before"] {
        let passes: Page<PassSummary> = f
            .app
            .call(
                Some(&f.other_admin),
                "list_passes",
                &[("org", &f.other_org), (direction, &after_pass)],
            )
            .await
            .unwrap();
        assert!(passes.items.is_empty(), "{passes:?}");
        assert_eq!(passes.total, Total::Exact(0));
        let transactions: Page<TransactionSummary> = f
            .app
            .call(
                Some(&f.other_admin),
                "list_transactions",
                &[("org", &f.other_org), (direction, &after_transaction)],
            )
            .await
            .unwrap();
        assert!(transactions.items.is_empty(), "{transactions:?}");
        assert_eq!(transactions.total, Total::Exact(0));
    }
    // The victim's station as their filter: the answer of a station that does not exist.
    let missing = StationId(987_654).to_string();
    let mut answers = Vec::new();
    for station in [&victims_station, &missing] {
        let (status, body, _) = f
            .app
            .post(
                Some(&f.other_admin),
                "list_transactions",
                &[("org", &f.other_org), ("filter[station]", station)],
            )
            .await;
        answers.push((status, body));
    }
    assert_eq!(answers[0].0, 404);
    assert_eq!(answers[0], answers[1]);

    // The victim's organization itself, with a cursor or without, for the other tenant and for the victim's
    // own cardholder: the refusal of an organization that does not exist.
    let refusal = f
        .app
        .post(Some(&f.other_admin), "list_passes", &[("org", "987654")])
        .await;
    let decoded: Result<serde_json::Value, AppError> = f
        .app
        .call(Some(&f.other_admin), "list_passes", &[("org", "987654")])
        .await;
    assert_eq!(decoded, Err(AppError::NoAccess));
    for cookie in [&f.other_admin, &f.victim_cardholder] {
        for (endpoint, cursor) in [
            ("list_passes", &after_pass),
            ("list_transactions", &after_transaction),
        ] {
            for form in [
                vec![("org", f.victim_org.as_str())],
                vec![("org", f.victim_org.as_str()), ("after", cursor.as_str())],
                vec![
                    ("org", f.victim_org.as_str()),
                    ("before", cursor.as_str()),
                    ("filter[station]", victims_station.as_str()),
                ],
            ] {
                let (status, body, _) = f.app.post(Some(cookie), endpoint, &form).await;
                assert_eq!(
                    (status, &body),
                    (refusal.0, &refusal.1),
                    "{endpoint} {form:?}"
                );
            }
        }
    }
}
