//! "Transactions" with a filter (issue #11, part 4): the filtered pages, totals, energy per day and the streamed
//! download select exactly the same sessions; days are read in the organization's zone (a session belongs to the
//! day it started); a filter naming another organization's station or user is not found, and never shows its rows.

mod common;

use common::*;
use shared::decision::Billing;
use shared::ids::StationId;
use shared::paging::{PageRequest, PageStart};
use shared::period::Day;
use shared::station::{AccessMode, ChargePointId, StationName};
use shared::tariff::{Currency, Money, Price, TariffSettings};
use shared::time::Timestamp;
use shared::transactions::{BillingFilter, TransactionFilter};
use shared::{MemberId, OrgId, PassId, PassMode, Role};
use storage::{Caller, ConnectedStation, Db, OrgAdmin, StorageError};

const ROAMING_CARD: &str = "04AAAB11CD2345";
const WHITELISTED_CARD: &str = "04BBBB22CD2345";
const OTHER_CARD: &str = "04CCCC33CD2345";

/// Volta Partners ─┬─ De Kroon Logistics (k) ── De Kroon Werkplaats (k1)
///                 └─ Hotel Zonneveld (h)
///
/// KRN-CP-001 in k (Roaming + whitelisting), KRN-WP-001 in k1 (Open), HZ-001 in h (Roaming). In k, holder Card Holder with a
/// roaming and a whitelisted pass; in h, another holder with a roaming pass.
struct Fixture {
    admin: Caller,
    k: OrgId,
    h: OrgId,
    station_k: StationId,
    station_k1: StationId,
    station_h: StationId,
    roaming_pass: PassId,
    whitelisted_pass: PassId,
    h_pass: PassId,
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
    let hs = admin.admin_of(db, h).await.unwrap();
    let k1s = admin.admin_of(db, k1).await.unwrap();
    let station_k = add(&ks, "KRN-CP-001", "Laadpaal Zuid").await;
    let station_k1 = add(&k1s, "KRN-WP-001", "Werkplaats").await;
    let station_h = add(&hs, "HZ-001", "Hotel entrance").await;
    ks.set_station_access_mode(station_k, Some(AccessMode::RoamingAndWhitelisting))
        .await
        .unwrap();
    k1s.set_station_access_mode(station_k1, Some(AccessMode::Open))
        .await
        .unwrap();
    hs.set_station_access_mode(station_h, Some(AccessMode::Roaming))
        .await
        .unwrap();
    let tariff = TariffSettings {
        currency: Currency::default(),
        start_fee: Money(100),
        per_kwh_ac: Price(3_500),
        per_kwh_dc: Price(5_900),
        per_hour_charging: Price(0),
        per_hour_idle: Price(0),
        idle_free_minutes: 0,
        max_per_session: None,
        vat_basis_points: 2_100,
    };
    p.set_tariff(Some(&tariff)).await.unwrap();
    let holder = member(
        &ks,
        "Card",
        "Holder",
        "holder@kroon.example",
        Role::Cardholder,
    )
    .await;
    let roaming_pass = ks
        .add_pass(
            holder,
            &hidden(ROAMING_CARD),
            &nick("Roaming tag"),
            PassMode::Roaming,
        )
        .await
        .unwrap();
    let whitelisted_pass = ks
        .add_pass(
            holder,
            &hidden(WHITELISTED_CARD),
            &nick("Whitelisted tag"),
            PassMode::Whitelist,
        )
        .await
        .unwrap();
    let h_holder = member(
        &hs,
        "Hotel",
        "Guest",
        "guest@hotel.example",
        Role::Cardholder,
    )
    .await;
    let h_pass = hs
        .add_pass(
            h_holder,
            &hidden(OTHER_CARD),
            &nick("Guest tag"),
            PassMode::Roaming,
        )
        .await
        .unwrap();
    Fixture {
        admin,
        k,
        h,
        station_k,
        station_k1,
        station_h,
        roaming_pass,
        whitelisted_pass,
        h_pass,
    }
}

async fn add(scope: &OrgAdmin, id: &str, name: &str) -> StationId {
    scope
        .add_station(
            &ChargePointId::parse(id).unwrap(),
            &StationName::parse(name).unwrap(),
            None,
        )
        .await
        .unwrap()
}

async fn connect(db: &Db, charge_point_id: &str) -> ConnectedStation {
    db.station_login(charge_point_id)
        .await
        .unwrap()
        .expect("known station")
        .accept(db)
        .expect("accepted")
}

/// 2026-11-`day` at `hour`:00 UTC (Amsterdam is UTC+1 in November).
fn at(day: u8, hour: i64) -> Timestamp {
    let (start, _) = Day::new(2026, 11, day)
        .unwrap()
        .bounds(&shared::time::TimeZoneName::utc());
    Timestamp(start.0 + hour * 3_600_000)
}

/// A session from `start` for an hour, `wh` charged (running when `wh` is `None`).
async fn session(station: &ConnectedStation, card: &str, start: Timestamp, wh: Option<i64>) {
    let (id, _) = station
        .start_transaction(1, card, 1_000, start)
        .await
        .unwrap();
    if let Some(wh) = wh {
        station
            .stop_transaction(id.0, 1_000 + wh, Timestamp(start.0 + 3_600_000), None, None)
            .await
            .unwrap();
    }
}

/// Sessions (UTC start, Amsterdam day):
/// - k:  roaming 11-10 10:00 (11-10) 10 kWh settled; whitelisted 11-10 23:30 → 11-11 00:30 (11-11) 5 kWh;
///   roaming 11-12 08:00 running; an unknown card 11-12 09:00 (refused, no billing).
/// - k1 (Open): whitelisted card 11-11 12:00 2 kWh → free because Open.
/// - h:  its own roaming pass 11-11 12:00 7 kWh.
async fn sessions(db: &Db) {
    let k = connect(db, "KRN-CP-001").await;
    let k1 = connect(db, "KRN-WP-001").await;
    let h = connect(db, "HZ-001").await;
    session(&k, ROAMING_CARD, at(10, 10), Some(10_000)).await;
    session(
        &k,
        WHITELISTED_CARD,
        Timestamp(at(10, 23).0 + 1_800_000),
        Some(5_000),
    )
    .await;
    session(&k, ROAMING_CARD, at(12, 8), None).await;
    session(&k, "DEADBEEF", at(12, 9), Some(1)).await;
    session(&k1, WHITELISTED_CARD, at(11, 12), Some(2_000)).await;
    session(&h, OTHER_CARD, at(11, 12), Some(7_000)).await;
}

fn day(d: u8) -> Day {
    Day::new(2026, 11, d).unwrap()
}

/// Every page of `filter`, walked with "Next", as (id_tag, started_at) newest first.
async fn walk(admin: &OrgAdmin, filter: &TransactionFilter) -> Vec<(String, i64)> {
    let mut out = Vec::new();
    let mut request = PageRequest {
        start: PageStart::First,
        size: 2,
    };
    loop {
        let page = admin
            .filtered_transactions_page(filter, &request)
            .await
            .unwrap();
        out.extend(
            page.items
                .iter()
                .map(|t| (t.id_tag.clone(), t.started_at.0)),
        );
        match page.next {
            Some(next) => request.start = PageStart::After(next),
            None => break,
        }
    }
    out
}

/// The downloaded sessions of `filter`, as (id_tag, started_at) newest first (the download is oldest first).
async fn exported(admin: &OrgAdmin, filter: &TransactionFilter) -> Vec<(String, i64)> {
    let (_, mut rows) = admin.export_transactions(filter).await.unwrap();
    let mut out = Vec::new();
    while let Some(row) = rows.recv().await {
        let row = row.unwrap();
        out.push((row.summary.id_tag, row.summary.started_at.0));
    }
    out.reverse();
    out
}

#[tokio::test]
async fn filters_select_the_same_sessions_in_pages_totals_chart_and_download() {
    let (_dir, db) = fresh_db().await;
    let f = fixture(&db).await;
    sessions(&db).await;
    let k = f.admin.admin_of(&db, f.k).await.unwrap();
    let all = TransactionFilter::default();
    let cases: Vec<(TransactionFilter, Vec<&str>)> = vec![
        // Newest first: refused card, running roaming, k1 Open, whitelisted (11-11 local), roaming 11-10.
        (
            all,
            vec![
                "DEADBEEF",
                ROAMING_CARD,
                WHITELISTED_CARD,
                WHITELISTED_CARD,
                ROAMING_CARD,
            ],
        ),
        (
            TransactionFilter {
                station: Some(f.station_k1),
                ..all
            },
            vec![WHITELISTED_CARD],
        ),
        (
            TransactionFilter {
                billing: Some(BillingFilter::Settled),
                ..all
            },
            vec![ROAMING_CARD, ROAMING_CARD],
        ),
        (
            TransactionFilter {
                billing: Some(BillingFilter::Whitelisted),
                ..all
            },
            vec![WHITELISTED_CARD],
        ),
        (
            TransactionFilter {
                billing: Some(BillingFilter::Open),
                ..all
            },
            vec![WHITELISTED_CARD],
        ),
        (
            TransactionFilter {
                active: Some(true),
                ..all
            },
            vec![ROAMING_CARD],
        ),
        (
            TransactionFilter {
                pass: Some(f.roaming_pass),
                ..all
            },
            vec![ROAMING_CARD, ROAMING_CARD],
        ),
        // The session that started 23:30 UTC on the 10th started on the 11th in Amsterdam.
        (
            TransactionFilter {
                from: Some(day(11)),
                to: Some(day(11)),
                ..all
            },
            vec![WHITELISTED_CARD, WHITELISTED_CARD],
        ),
        (
            TransactionFilter {
                to: Some(day(10)),
                ..all
            },
            vec![ROAMING_CARD],
        ),
        (
            TransactionFilter {
                from: Some(day(11)),
                billing: Some(BillingFilter::Whitelisted),
                ..all
            },
            vec![WHITELISTED_CARD],
        ),
        // Another organization's pass selects nothing here.
        (
            TransactionFilter {
                pass: Some(f.h_pass),
                ..all
            },
            vec![],
        ),
        (
            TransactionFilter {
                from: Some(day(20)),
                ..all
            },
            vec![],
        ),
    ];
    for (filter, expected) in cases {
        let walked = walk(&k, &filter).await;
        let tags: Vec<&str> = walked.iter().map(|(t, _)| t.as_str()).collect();
        assert_eq!(tags, expected, "{filter:?}");
        assert_eq!(
            exported(&k, &filter).await,
            walked,
            "download of {filter:?}"
        );
        let totals = k.transaction_totals(&filter).await.unwrap();
        assert_eq!(totals.sessions, expected.len() as u64, "{filter:?}");
        let page = k
            .filtered_transactions_page(&filter, &PageRequest::first())
            .await
            .unwrap();
        assert_eq!(
            page.total,
            shared::paging::Total::Exact(expected.len() as u64)
        );
    }

    // Totals: energy of the finished sessions, what the priced ones cost.
    let totals = k.transaction_totals(&all).await.unwrap();
    assert_eq!(totals.energy_wh, 10_000 + 5_000 + 1 + 2_000);
    // 10 kWh × €0.35 + €1.00 start = €4.50 net, 21% VAT = €5.45 gross.
    assert_eq!(totals.amounts, vec![(Currency::default(), Money(545))]);
    assert_eq!(totals.label(), "5 sessions · 17.0 kWh · €5.45");
    let free = k
        .transaction_totals(&TransactionFilter {
            billing: Some(BillingFilter::Whitelisted),
            ..all
        })
        .await
        .unwrap();
    assert!(free.amounts.is_empty());

    // Energy per day, by the Amsterdam day each started; every day of the period present.
    let period = TransactionFilter {
        from: Some(day(9)),
        to: Some(day(13)),
        ..all
    };
    let chart = k.energy_per_day(&period).await.unwrap();
    let bars: Vec<(Day, u64, i64)> = chart
        .days
        .iter()
        .map(|d| (d.day, d.sessions, d.energy_wh))
        .collect();
    assert_eq!(
        bars,
        vec![
            (day(9), 0, 0),
            (day(10), 1, 10_000),
            (day(11), 2, 7_000),
            (day(12), 2, 1),
            (day(13), 0, 0),
        ]
    );
    let open_only = k
        .energy_per_day(&TransactionFilter {
            billing: Some(BillingFilter::Open),
            ..period
        })
        .await
        .unwrap();
    assert_eq!(
        open_only.days.iter().map(|d| d.energy_wh).sum::<i64>(),
        2_000
    );
    let overview = k.transactions_overview(&period).await.unwrap();
    assert_eq!(overview.per_day, chart);
    assert_eq!(overview.time_zone, "Europe/Amsterdam");

    // The download says how each was billed.
    let (_, mut rows) = k.export_transactions(&all).await.unwrap();
    let mut billed = Vec::new();
    while let Some(row) = rows.recv().await {
        let row = row.unwrap();
        billed.push((row.summary.billing, row.open));
    }
    assert_eq!(
        billed,
        vec![
            (Some(Billing::Settled), false),
            (Some(Billing::Free), false),
            (Some(Billing::Free), true),
            (Some(Billing::Settled), false),
            (None, false),
        ]
    );
}

#[tokio::test]
async fn a_filter_never_reaches_another_organizations_sessions() {
    let (_dir, db) = fresh_db().await;
    let f = fixture(&db).await;
    sessions(&db).await;
    let k = f.admin.admin_of(&db, f.k).await.unwrap();
    let h = f.admin.admin_of(&db, f.h).await.unwrap();
    let all = TransactionFilter::default();
    let not_found = |r: Result<_, StorageError>, what: &str| match r {
        Err(StorageError::NotFound { what: w }) => assert_eq!(w, what),
        Err(e) => panic!("expected not found, got {e:?}"),
        Ok(_) => panic!("expected not found"),
    };
    // A station of the sibling organization: not found, in every use of the filter.
    let theirs = TransactionFilter {
        station: Some(f.station_h),
        ..all
    };
    not_found(
        k.filtered_transactions_page(&theirs, &PageRequest::first())
            .await
            .map(drop),
        "station",
    );
    not_found(k.transaction_totals(&theirs).await.map(drop), "station");
    not_found(k.energy_per_day(&theirs).await.map(drop), "station");
    not_found(k.export_transactions(&theirs).await.map(drop), "station");
    // A member of the sibling organization (or an id that never existed): not found.
    let h_member = h
        .users()
        .await
        .unwrap()
        .into_iter()
        .find(|u| u.first_name == "Hotel")
        .unwrap()
        .id;
    for member in [h_member, MemberId(424_242)] {
        let filter = TransactionFilter {
            user: Some(member),
            ..all
        };
        not_found(k.export_transactions(&filter).await.map(drop), "user");
        not_found(k.transaction_totals(&filter).await.map(drop), "user");
    }
    // Their pass selects nothing here; for them it selects their session.
    let their_pass = TransactionFilter {
        pass: Some(f.h_pass),
        ..all
    };
    assert!(exported(&k, &their_pass).await.is_empty());
    assert_eq!(exported(&h, &their_pass).await.len(), 1);
    assert_eq!(h.transaction_totals(&all).await.unwrap().sessions, 1);
    // A sub-organization sees only its own station's sessions, whatever the filter says.
    let k1_station = TransactionFilter {
        station: Some(f.station_k),
        ..all
    };
    let k1 = {
        let orgs = k.sub_organizations().await.unwrap();
        f.admin.admin_of(&db, orgs[0].id).await.unwrap()
    };
    not_found(
        k1.export_transactions(&k1_station).await.map(drop),
        "station",
    );
    assert_eq!(exported(&k1, &all).await.len(), 1);
    // The user filter: the holder's sessions only.
    let holder = k
        .users()
        .await
        .unwrap()
        .into_iter()
        .find(|u| u.first_name == "Card")
        .unwrap()
        .id;
    let theirs = walk(
        &k,
        &TransactionFilter {
            user: Some(holder),
            ..all
        },
    )
    .await;
    // (At k1's Open station the card is not one of k1's passes: that session has no user.)
    assert_eq!(theirs.len(), 3, "{theirs:?}");
    let _ = (f.whitelisted_pass, f.station_k1);
}

/// "My passes": a cardholder sees the sessions of their own passes only — not those of another cardholder of the
/// same organization at the same station, nor anyone's after their pass was deleted — newest first, priced.
#[tokio::test]
async fn cardholders_see_only_the_sessions_of_their_own_passes() {
    let (_dir, db) = fresh_db().await;
    let f = fixture(&db).await;
    let ks = f.admin.admin_of(&db, f.k).await.unwrap();
    let second = member(
        &ks,
        "Second",
        "Driver",
        "second@kroon.example",
        Role::Cardholder,
    )
    .await;
    let second_pass = ks
        .add_pass(
            second,
            &hidden("04DDDD44CD2345"),
            &nick("Second tag"),
            PassMode::Roaming,
        )
        .await
        .unwrap();
    sessions(&db).await;
    let k = connect(&db, "KRN-CP-001").await;
    session(&k, "04DDDD44CD2345", at(13, 9), Some(3_000)).await;

    let holder = caller_for(&db, "holder@kroon.example").await;
    let mine = holder.own_transactions(&db, 50).await.unwrap();
    let passes: Vec<Option<PassId>> = mine.iter().map(|t| t.pass_id).collect();
    // Three: the whitelisted card's session at k1 (Open) was not matched to the pass (k's passes are no candidates
    // at a sub-organization's station), so it is nobody's.
    assert_eq!(mine.len(), 3, "{passes:?}");
    assert!(mine
        .iter()
        .all(|t| t.pass_id == Some(f.roaming_pass) || t.pass_id == Some(f.whitelisted_pass)));
    // Per pass, newest first; the settled one is priced, the whitelisted ones are free.
    let roaming: Vec<&_> = mine
        .iter()
        .filter(|t| t.pass_id == Some(f.roaming_pass))
        .collect();
    assert_eq!(roaming.len(), 2);
    assert!(roaming[0].started_at > roaming[1].started_at);
    assert_eq!(roaming[1].billing, Some(Billing::Settled));
    assert!(roaming[1].price.is_some());
    assert_eq!(holder.own_transactions(&db, 1).await.unwrap().len(), 2);

    let other = caller_for(&db, "second@kroon.example").await;
    let theirs = other.own_transactions(&db, 50).await.unwrap();
    assert_eq!(theirs.len(), 1);
    assert_eq!(theirs[0].pass_id, Some(second_pass));
    let guest = caller_for(&db, "guest@hotel.example").await;
    let guests = guest.own_transactions(&db, 50).await.unwrap();
    assert!(guests.iter().all(|t| t.pass_id == Some(f.h_pass)));
    assert_eq!(guests.len(), 1);
    // An administrator without passes of their own sees none, whatever they administer.
    assert!(f.admin.own_transactions(&db, 50).await.unwrap().is_empty());
    // A deleted pass's sessions are no longer shown under "My passes".
    ks.delete_pass(second_pass).await.unwrap();
    assert!(other.own_transactions(&db, 50).await.unwrap().is_empty());
}
