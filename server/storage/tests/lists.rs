//! The paged lists "Passes" and "Transactions" (`OrgAdmin::passes_page`, `OrgAdmin::transactions_page`) on a
//! seeded organization (`storage::list_seed`): every page walk, forwards and back, gives exactly the whole list
//! in order; filters keep to their rows; counts stop at the limit; and a cursor made from another
//! organization's rows shows nothing of them.

mod common;

use common::*;
use shared::ids::StationId;
use shared::model::{PassSummary, TransactionSummary};
use shared::paging::{Cursor, Page, PageRequest, PageStart, Total, COUNT_LIMIT, PAGE_SIZE_MAX};
use shared::{PassMode, Role};
use storage::list_seed::{self, ListScale};
use storage::test_support::fresh_db;
use storage::{OrgAdmin, StorageError};

fn request(start: PageStart, size: u32) -> PageRequest {
    PageRequest { start, size }
}

/// Walks a list from the first page to the last with `size` rows a page, then back up again with "Previous",
/// checking that both walks give the same pages. Returns the rows in list order.
async fn walk<T, F, Fut>(size: u32, page: F) -> Vec<T>
where
    T: Clone + PartialEq + std::fmt::Debug,
    F: Fn(PageRequest) -> Fut,
    Fut: std::future::Future<Output = Result<Page<T>, StorageError>>,
{
    let mut pages = vec![page(request(PageStart::First, size)).await.unwrap()];
    while let Some(next) = pages.last().unwrap().next {
        let p = page(request(PageStart::After(next), size)).await.unwrap();
        assert_eq!(p.first, next.position + 1);
        pages.push(p);
    }
    assert!(pages
        .iter()
        .rev()
        .skip(1)
        .all(|p| p.items.len() == size as usize));
    // Back up from the last page: each "Previous" gives the page before, with the same positions.
    for i in (1..pages.len()).rev() {
        let previous = pages[i]
            .previous
            .expect("a page after the first has a Previous");
        let back = page(request(PageStart::Before(previous), size))
            .await
            .unwrap();
        assert_eq!(back, pages[i - 1], "page {} read backwards", i - 1);
    }
    assert_eq!(pages[0].previous, None);
    pages.into_iter().flat_map(|p| p.items).collect()
}

#[tokio::test]
async fn pages_of_passes_are_the_whole_list_in_order_both_ways() {
    let (_guard, db) = fresh_db().await;
    let seeded = list_seed::seed(&db, &ListScale::SMALL).await.unwrap();
    let admin = &seeded.admin;
    let all = admin.passes().await.unwrap();
    assert_eq!(all.len(), 300, "one in eleven seeded passes is deleted");
    let walked = walk(40, |r| async move { admin.passes_page(None, &r).await }).await;
    assert_eq!(walked, all);
    let first = admin
        .passes_page(None, &PageRequest::first())
        .await
        .unwrap();
    assert_eq!(first.total, Total::Exact(300));
    assert_eq!(first.range_label(), "1–50 of 300");
    for mode in [PassMode::Whitelist, PassMode::Roaming] {
        let expected: Vec<PassSummary> = all.iter().filter(|p| p.mode == mode).cloned().collect();
        let walked = walk(
            30,
            |r| async move { admin.passes_page(Some(mode), &r).await },
        )
        .await;
        assert_eq!(walked, expected, "{mode:?}");
        let counted = admin
            .passes_page(Some(mode), &PageRequest::first())
            .await
            .unwrap();
        assert_eq!(counted.total, Total::Exact(expected.len() as u64));
    }
}

/// The transactions of `stations`, newest start first, from the per-station lists.
async fn expected_transactions(
    admin: &OrgAdmin,
    stations: &[StationId],
) -> Vec<TransactionSummary> {
    let mut all = Vec::new();
    for station in stations {
        all.extend(admin.station_transactions(*station, 1_000).await.unwrap());
    }
    all.sort_by_key(|t| std::cmp::Reverse((t.started_at, t.id)));
    all
}

#[tokio::test]
async fn pages_of_transactions_are_the_whole_subtree_in_order_both_ways() {
    let (_guard, db) = fresh_db().await;
    let seeded = list_seed::seed(&db, &ListScale::SMALL).await.unwrap();
    let admin = &seeded.admin;
    let all = expected_transactions(admin, &seeded.stations).await;
    assert_eq!(all.len(), 1_998, "333 at each of 6 stations");
    let walked = walk(PAGE_SIZE_MAX, |r| async move {
        admin.transactions_page(None, &r).await
    })
    .await;
    assert_eq!(walked, all);
    // Small pages cross the stations' bounds often.
    let small = walk(
        7,
        |r| async move { admin.transactions_page(None, &r).await },
    )
    .await;
    assert_eq!(small, all);
    assert_eq!(admin.transactions(25).await.unwrap(), all[..25].to_vec());
    let first = admin
        .transactions_page(None, &PageRequest::first())
        .await
        .unwrap();
    assert_eq!(first.total, Total::Exact(1_998));

    // One station: its own list, paged.
    let station = seeded.stations[3];
    let walked = walk(50, |r| async move {
        admin.transactions_page(Some(station), &r).await
    })
    .await;
    assert_eq!(
        walked,
        admin.station_transactions(station, 1_000).await.unwrap()
    );
    assert!(walked.iter().all(|t| t.station_id == station));

    // A sub-organization's administrator sees its own stations' transactions only.
    let sub = seeded.sub_organizations[0];
    let caller = caller_for(&db, list_seed::ADMIN_EMAIL).await;
    let sub_admin = caller.admin_of(&db, sub).await.unwrap();
    let sub_stations: Vec<StationId> = sub_admin
        .stations()
        .await
        .unwrap()
        .iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(sub_stations.len(), 2);
    let walked = walk(60, |r| {
        let sub_admin = &sub_admin;
        async move { sub_admin.transactions_page(None, &r).await }
    })
    .await;
    assert_eq!(walked, expected_transactions(admin, &sub_stations).await);
    // The partner's station is not in the sub-organization's subtree.
    let refused = sub_admin
        .transactions_page(Some(seeded.stations[0]), &PageRequest::first())
        .await;
    assert!(
        matches!(refused, Err(StorageError::NotFound { what: "station" })),
        "{refused:?}"
    );
}

#[tokio::test]
async fn counts_stop_at_the_limit_and_pages_at_the_cap() {
    let (_guard, db) = fresh_db().await;
    let scale = ListScale {
        passes: 20,
        transactions: COUNT_LIMIT + 10,
        sub_organizations: 0,
        stations_per_organization: 1,
        members: 1,
    };
    let seeded = list_seed::seed(&db, &scale).await.unwrap();
    let page = seeded
        .admin
        .transactions_page(
            None,
            &PageRequest::parse(None, None, Some(1_000_000)).unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(page.items.len(), PAGE_SIZE_MAX as usize);
    assert_eq!(page.total, Total::MoreThan(COUNT_LIMIT));
    assert_eq!(page.range_label(), "1–200 of more than 10,000");
    // The last page, read from the far end of the list: positions come from the cursor, the rows from the keys.
    let before_oldest = Cursor {
        key: i64::MIN,
        id: i64::MIN,
        position: COUNT_LIMIT + 11,
    };
    let last = seeded
        .admin
        .transactions_page(None, &request(PageStart::Before(before_oldest), 10))
        .await
        .unwrap();
    assert_eq!(last.items.len(), 10);
    assert_eq!(last.first, COUNT_LIMIT + 1);
    assert_eq!(last.next.map(|c| c.position), Some(COUNT_LIMIT + 10));
    assert!(last
        .items
        .windows(2)
        .all(|w| (w[0].started_at, w[0].id) > (w[1].started_at, w[1].id)));
}

#[tokio::test]
async fn a_cursor_from_another_organization_shows_nothing_of_it() {
    let (_guard, db) = fresh_db().await;
    let seeded = list_seed::seed(&db, &ListScale::SMALL).await.unwrap();
    let victim = &seeded.admin;
    let newest_pass = &victim.passes().await.unwrap()[0];
    let newest_transaction = &victim.transactions(1).await.unwrap()[0];

    // Another tenant, with a pass and a station of its own, and a cardholder of the victim.
    let (other, other_caller) = partner(&db).await;
    let attacker = other_caller.admin_of(&db, other).await.unwrap();
    let holder = member(
        &attacker,
        "Ann",
        "Other",
        "ann@other.example",
        Role::Cardholder,
    )
    .await;
    attacker
        .add_pass(
            holder,
            &hidden("04AAAB11CD2345"),
            &nick("Own card"),
            PassMode::Whitelist,
        )
        .await
        .unwrap();
    let cardholder = caller_for(&db, "member1@bench.example").await;

    // Their cursors point just above the victim's newest rows: each sees only what is theirs.
    for position in [1, 2, u64::MAX] {
        let after_victims_pass = Cursor {
            key: newest_pass.created_at.0 + 1,
            id: newest_pass.id.0,
            position,
        };
        for start in [
            PageStart::After(after_victims_pass),
            PageStart::Before(after_victims_pass),
        ] {
            let page = attacker
                .passes_page(None, &request(start, 200))
                .await
                .unwrap();
            assert!(
                page.items.iter().all(|p| p.nickname == "Own card"),
                "{page:?}"
            );
            assert_eq!(page.total, Total::Exact(1));
        }
        let at_victims_transaction = Cursor {
            key: newest_transaction.started_at.0 + 1,
            id: newest_transaction.id.0,
            position,
        };
        for start in [
            PageStart::After(at_victims_transaction),
            PageStart::Before(at_victims_transaction),
        ] {
            let page = attacker
                .transactions_page(None, &request(start, 200))
                .await
                .unwrap();
            assert!(page.items.is_empty(), "{page:?}");
            assert_eq!(page.total, Total::Exact(0));
        }
    }
    // The victim's station as a filter: the answer of a station that does not exist.
    for station in [newest_transaction.station_id, StationId(987_654)] {
        let refused = attacker
            .transactions_page(Some(station), &PageRequest::first())
            .await;
        assert!(
            matches!(refused, Err(StorageError::NotFound { what: "station" })),
            "{refused:?}"
        );
    }
    // Neither the other tenant nor the victim's cardholder administers the victim's organization.
    let victim_org = victim.org_id();
    for caller in [&other_caller, &cardholder] {
        let refused = caller.admin_of(&db, victim_org).await.map(|_| ());
        assert!(
            matches!(refused, Err(StorageError::NoAccess)),
            "{refused:?}"
        );
    }
}
