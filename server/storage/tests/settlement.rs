//! Monthly credit statements (issue #11, part 3): the month-end issues one statement per organization and month
//! (twice = once), in the organization's time zone, with gapless numbers per issuer also when runs overlap,
//! VAT for a company and none for a private person, late sessions on the next statement; rates only from above;
//! statements visible to the organization and those above it only; the months say why there is no statement.

mod common;

use common::*;
use shared::billing::{BillingDetails, BillingForm};
use shared::ids::StationId;
use shared::period::Month;
use shared::station::{AccessMode, ChargePointId, StationName};
use shared::tariff::{Money, Price};
use shared::time::{TimeZoneName, Timestamp};
use shared::{OrgId, PassMode, Role};
use storage::{Caller, ConnectedStation, Db, OrgAdmin, StorageError};

/// Volta Partners (partner) ─┬─ De Kroon (k): a company, station KRN-1
///                           └─ Hotel Zonneveld (h): a private person, station HZ-1
/// Both stations in Roaming mode with a roaming pass each; the partner's rates (€0.25 AC, €0.30 DC) apply to
/// both.
struct Fixture {
    partner: OrgId,
    k: OrgId,
    h: OrgId,
    admin: Caller,
}

const CARD_K: &str = "04AAAB11CD2345";
const CARD_H: &str = "04BBBB22CD2345";

impl Fixture {
    async fn scope(&self, db: &Db, org: OrgId) -> OrgAdmin {
        self.admin.admin_of(db, org).await.unwrap()
    }
}

fn billing(kind: &str, name: &str, vat: &str) -> BillingDetails {
    BillingForm {
        kind: kind.into(),
        legal_name: name.into(),
        address_line: "Brouwerijstraat 1".into(),
        postcode: "5911 AB".into(),
        city: "Venlo".into(),
        country: "NL".into(),
        vat_number: vat.into(),
        iban: "NL91ABNA0417164300".into(),
    }
    .parse()
    .unwrap()
}

async fn org_with_station(
    db: &Db,
    admin: &Caller,
    parent: OrgId,
    name: &str,
    cp: &str,
    card: &str,
) -> (OrgId, StationId) {
    let p = admin.admin_of(db, parent).await.unwrap();
    let org = p.add_sub_organization(&org_name(name)).await.unwrap();
    let scope = admin.admin_of(db, org).await.unwrap();
    let station = scope
        .add_station(
            &ChargePointId::parse(cp).unwrap(),
            &StationName::parse(&format!("{name} charger")).unwrap(),
            None,
        )
        .await
        .unwrap();
    scope
        .set_station_access_mode(station, Some(AccessMode::Roaming))
        .await
        .unwrap();
    let holder = member(
        &scope,
        "Card",
        "Holder",
        &format!("holder@{cp}.example").to_lowercase(),
        Role::Cardholder,
    )
    .await;
    scope
        .add_pass(holder, &hidden(card), &nick("Tag"), PassMode::Roaming)
        .await
        .unwrap();
    (org, station)
}

async fn fixture(db: &Db) -> Fixture {
    let (partner, admin) = common::partner(db).await;
    let (k, _) = org_with_station(db, &admin, partner, "De Kroon", "KRN-1", CARD_K).await;
    let (h, _) = org_with_station(db, &admin, partner, "Hotel Zonneveld", "HZ-1", CARD_H).await;
    let f = Fixture {
        partner,
        k,
        h,
        admin,
    };
    for org in [k, h] {
        f.scope(db, org)
            .await
            .set_reimbursement_rates(Some(Price(2_500)), Some(Price(3_000)))
            .await
            .unwrap();
    }
    f.scope(db, k)
        .await
        .set_billing_details(&billing(
            "company",
            "Brouwerij De Kroon B.V.",
            "NL123456789B01",
        ))
        .await
        .unwrap();
    f.scope(db, h)
        .await
        .set_billing_details(&billing("private_person", "Anna Zonneveld", ""))
        .await
        .unwrap();
    f
}

async fn connect(db: &Db, charge_point_id: &str) -> ConnectedStation {
    db.station_login(charge_point_id)
        .await
        .unwrap()
        .expect("known station")
        .accept(db)
        .expect("accepted")
}

/// A session of `wh` Wh that stops at `stopped`.
async fn session(station: &ConnectedStation, card: &str, wh: i64, stopped: Timestamp) {
    let started = Timestamp(stopped.0 - 3_600_000);
    let (id, _) = station
        .start_transaction(1, card, 1_000, started)
        .await
        .unwrap();
    station
        .stop_transaction(id.0, 1_000 + wh, stopped, None, None)
        .await
        .unwrap();
}

fn amsterdam() -> TimeZoneName {
    TimeZoneName::default()
}

/// Two months before the current one (over in every zone).
fn closed_month() -> Month {
    Month::containing(storage::now(), &amsterdam())
        .previous()
        .previous()
}

#[tokio::test]
async fn the_month_end_issues_one_statement_per_organization_in_its_time_zone() {
    let (_dir, db) = fresh_db().await;
    let f = fixture(&db).await;
    let month = closed_month();
    let (start, end) = month.bounds(&amsterdam());
    let kroon = connect(&db, "KRN-1").await;
    let hotel = connect(&db, "HZ-1").await;
    // In the month: 12.345 kWh and 10 kWh at De Kroon; 20 kWh at the hotel.
    session(&kroon, CARD_K, 12_345, Timestamp(start.0 + 5 * 86_400_000)).await;
    session(&kroon, CARD_K, 10_000, Timestamp(end.0 - 10 * 60_000)).await;
    session(&hotel, CARD_H, 20_000, Timestamp(start.0 + 86_400_000)).await;
    // Ten minutes after the month ended in Amsterdam (still the month in UTC): the next month's.
    session(&kroon, CARD_K, 5_000, Timestamp(end.0 + 10 * 60_000)).await;

    let now = storage::now();
    let report = db.run_month_end(month, now).await.unwrap();
    assert_eq!(report.issued.len(), 2, "{report:?}");
    assert!(report.skipped.is_empty(), "{report:?}");
    let numbers: Vec<&str> = report.issued.iter().map(|(_, n)| n.as_str()).collect();
    let year = month.year();
    assert_eq!(
        numbers,
        [
            format!("VOLTAPAR-{year}-0001"),
            format!("VOLTAPAR-{year}-0002")
        ]
    );

    // Twice is once.
    let again = db.run_month_end(month, now).await.unwrap();
    assert_eq!(again.issued, vec![]);

    let k = f.scope(&db, f.k).await;
    let list = k.statements().await.unwrap();
    assert_eq!(list.len(), 1);
    let statement = k.statement(list[0].id).await.unwrap();
    assert_eq!(statement.lines.len(), 2);
    // 12.345 kWh × €0.25 = €3.08625 → €3.09; 10 kWh × €0.25 = €2.50; net €5.59, 21% VAT €1.17.
    assert_eq!(
        (statement.net, statement.vat, statement.gross),
        (Money(559), Money(117), Money(676))
    );
    assert!(statement.recipient_is_company);
    assert_eq!(statement.recipient.legal_name, "Brouwerij De Kroon B.V.");
    assert_eq!(statement.issuer.legal_name, "Volta Partners");
    assert_eq!(statement.time_zone, "Europe/Amsterdam");
    assert_eq!(statement.period_label, month.label());
    assert_eq!(
        statement.lines[1].ended_on,
        Timestamp(end.0 - 10 * 60_000).local_date(&amsterdam())
    );

    // A private person's statement carries no VAT.
    let h = f.scope(&db, f.h).await;
    let hotel_statement = h
        .statement(h.statements().await.unwrap()[0].id)
        .await
        .unwrap();
    assert_eq!(
        (hotel_statement.net, hotel_statement.vat),
        (Money(500), Money(0))
    );

    // The session after the Amsterdam month end is on the next month's statement, with the next number.
    let next = db.run_month_end(month.next(), now).await.unwrap();
    assert_eq!(
        next.issued,
        vec![(f.k, format!("VOLTAPAR-{}-0003", month.next().year()))]
    );
    let latest = k.statements().await.unwrap();
    assert_eq!(latest.len(), 2);
    assert_eq!(latest[0].sessions, 1);
    assert_eq!(latest[0].energy_wh, 5_000);

    // The partner sees both organizations' statements; the PDF renders what was issued.
    let partner = f.scope(&db, f.partner).await;
    assert_eq!(partner.statements().await.unwrap().len(), 3);
    let pdf = statement_doc::pdf(&statement);
    assert!(pdf.starts_with(b"%PDF"));

    // The month's line on "Invoices".
    let months = k.settlement_months(4).await.unwrap();
    let closed = months
        .iter()
        .find(|m| m.month == month.to_string())
        .unwrap();
    assert_eq!(
        closed.statement.as_ref().map(|s| s.number.as_str()),
        Some(format!("VOLTAPAR-{year}-0001").as_str())
    );
}

#[tokio::test]
async fn statements_are_only_for_their_organization_and_those_above() {
    let (_dir, db) = fresh_db().await;
    let f = fixture(&db).await;
    let month = closed_month();
    let (start, _) = month.bounds(&amsterdam());
    session(
        &connect(&db, "KRN-1").await,
        CARD_K,
        1_000,
        Timestamp(start.0 + 86_400_000),
    )
    .await;
    db.run_month_end(month, storage::now()).await.unwrap();
    let k = f.scope(&db, f.k).await;
    let id = k.statements().await.unwrap()[0].id;
    let hotel = f.scope(&db, f.h).await;
    assert!(hotel.statements().await.unwrap().is_empty());
    for missing in [id, 987_654] {
        assert!(matches!(
            hotel.statement(missing).await,
            Err(StorageError::NotFound { what: "statement" })
        ));
    }
    // A cardholder is no administrator.
    let holder = caller_for(&db, "holder@krn-1.example").await;
    assert!(matches!(
        holder.admin_of(&db, f.k).await,
        Err(StorageError::NoAccess)
    ));
}

#[tokio::test]
async fn only_an_organization_above_sets_its_reimbursement_rates() {
    let (_dir, db) = fresh_db().await;
    let f = fixture(&db).await;
    let k = f.scope(&db, f.k).await;
    // De Kroon's own administrator cannot raise its own rate.
    member(&k, "Own", "Admin", "own@kroon.example", Role::Administrator).await;
    let own = caller_for(&db, "own@kroon.example").await;
    let own_scope = own.admin_of(&db, f.k).await.unwrap();
    assert!(matches!(
        own_scope
            .set_reimbursement_rates(Some(Price(9_000)), None)
            .await,
        Err(StorageError::NoAccess)
    ));
    let settings = own_scope.settlement_settings().await.unwrap();
    assert!(!settings.may_set_rates);
    assert_eq!(settings.rates, (Some(Price(2_500)), Some(Price(3_000))));
    assert!(k.settlement_settings().await.unwrap().may_set_rates);
    // The root has nobody above it.
    let partner = f.scope(&db, f.partner).await;
    assert!(matches!(
        partner.set_reimbursement_rates(Some(Price(1)), None).await,
        Err(StorageError::NoAccess)
    ));
    // Its own time zone, which its months then follow.
    own_scope
        .set_time_zone(Some(&TimeZoneName::parse("America/New_York").unwrap()))
        .await
        .unwrap();
    assert_eq!(
        own_scope.settlement_settings().await.unwrap().time_zone,
        "America/New_York"
    );
}

#[tokio::test]
async fn without_rates_or_billing_details_settled_sessions_wait_and_the_months_say_why() {
    let (_dir, db) = fresh_db().await;
    let (partner, admin) = common::partner(&db).await;
    let (k, _) = org_with_station(&db, &admin, partner, "De Kroon", "KRN-1", CARD_K).await;
    let month = closed_month();
    let (start, _) = month.bounds(&amsterdam());
    let station = connect(&db, "KRN-1").await;
    session(&station, CARD_K, 1_000, Timestamp(start.0 + 86_400_000)).await;
    let k_scope = admin.admin_of(&db, k).await.unwrap();

    let report = db.run_month_end(month, storage::now()).await.unwrap();
    assert_eq!(report.issued, vec![]);
    assert_eq!(
        report.skipped,
        vec![(k, "no reimbursement rate is set".to_owned())]
    );
    let reason = |months: Vec<shared::statement::MonthStatus>| {
        months
            .into_iter()
            .find(|m| m.month == month.to_string())
            .unwrap()
            .reason
            .unwrap()
    };
    assert_eq!(
        reason(k_scope.settlement_months(4).await.unwrap()),
        "Settled sessions wait for a reimbursement rate, which your partner sets."
    );
    k_scope
        .set_reimbursement_rates(Some(Price(2_500)), None)
        .await
        .unwrap();
    let report = db.run_month_end(month, storage::now()).await.unwrap();
    assert_eq!(
        report.skipped,
        vec![(k, "the billing details are missing".to_owned())]
    );
    k_scope
        .set_billing_details(&billing("company", "De Kroon B.V.", "NL123456789B01"))
        .await
        .unwrap();
    let report = db.run_month_end(month, storage::now()).await.unwrap();
    assert_eq!(report.issued.len(), 1);

    // A month with only whitelisted sessions (at a station that keeps the default, Whitelisting): no credit
    // invoice, and the page says so.
    let earlier = month.previous();
    let holder = member(
        &k_scope,
        "Free",
        "Rider",
        "free@kroon.example",
        Role::Cardholder,
    )
    .await;
    k_scope
        .add_pass(
            holder,
            &hidden("04CCCC33CD2345"),
            &nick("Free tag"),
            PassMode::Whitelist,
        )
        .await
        .unwrap();
    k_scope
        .add_station(
            &ChargePointId::parse("KRN-2").unwrap(),
            &StationName::parse("Whitelisting charger").unwrap(),
            None,
        )
        .await
        .unwrap();
    let free_station = connect(&db, "KRN-2").await;
    let (earlier_start, _) = earlier.bounds(&amsterdam());
    session(
        &free_station,
        "04CCCC33CD2345",
        2_000,
        Timestamp(earlier_start.0 + 86_400_000),
    )
    .await;
    let months = k_scope.settlement_months(4).await.unwrap();
    let earlier_status = months
        .iter()
        .find(|m| m.month == earlier.to_string())
        .unwrap();
    assert_eq!(earlier_status.statement, None);
    assert_eq!(
        earlier_status.reason.as_deref(),
        Some("Only whitelisted sessions: no credit invoice.")
    );
    assert!(db
        .run_month_end(earlier, storage::now())
        .await
        .unwrap()
        .issued
        .is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn numbers_stay_gapless_when_runs_overlap() {
    let (_dir, db) = fresh_db().await;
    let f = fixture(&db).await;
    let month = closed_month();
    let (start, _) = month.bounds(&amsterdam());
    // Six more customers, each with a settled session in the month.
    let mut orgs = vec![f.k, f.h];
    for n in 0..6 {
        let card = format!("04DD{n:02}44CD2345");
        let cp = format!("EXTRA-{n}");
        let (org, _) = org_with_station(
            &db,
            &f.admin,
            f.partner,
            &format!("Customer {n}"),
            &cp,
            &card,
        )
        .await;
        let scope = f.scope(&db, org).await;
        scope
            .set_reimbursement_rates(Some(Price(2_000)), None)
            .await
            .unwrap();
        scope
            .set_billing_details(&billing("private_person", &format!("Customer {n}"), ""))
            .await
            .unwrap();
        session(
            &connect(&db, &cp).await,
            &card,
            1_000,
            Timestamp(start.0 + 3_600_000),
        )
        .await;
        orgs.push(org);
    }
    session(
        &connect(&db, "KRN-1").await,
        CARD_K,
        1_000,
        Timestamp(start.0 + 3_600_000),
    )
    .await;
    session(
        &connect(&db, "HZ-1").await,
        CARD_H,
        1_000,
        Timestamp(start.0 + 3_600_000),
    )
    .await;
    // Four instances run the month-end at the same moment.
    let now = storage::now();
    let runs: Vec<_> = (0..4)
        .map(|_| {
            let db = db.clone();
            tokio::spawn(async move { db.run_month_end(month, now).await.unwrap() })
        })
        .collect();
    let mut issued = Vec::new();
    for run in runs {
        issued.extend(run.await.unwrap().issued);
    }
    assert_eq!(
        issued.len(),
        orgs.len(),
        "each organization once: {issued:?}"
    );
    let mut numbers: Vec<String> = issued.into_iter().map(|(_, n)| n).collect();
    numbers.sort();
    let expected: Vec<String> = (1..=orgs.len())
        .map(|n| format!("VOLTAPAR-{}-{n:04}", month.year()))
        .collect();
    assert_eq!(numbers, expected);
}
