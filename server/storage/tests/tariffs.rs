//! Tariffs (issue #11, part 1): inherited down the organization tree with a per-station override, refused above
//! the platform's caps, frozen onto a settled session at StartTransaction and priced from that copy when it
//! stops; whitelisted sessions are never priced; other organizations' stations are out of reach.

mod common;

use common::*;
use shared::decision::{AuthorizationStatus, Billing};
use shared::ids::StationId;
use shared::station::{AccessMode, ChargePointId, StationName};
use shared::tariff::{
    Currency, CurrentKind, Money, PlatformCaps, Price, TariffSettings, TariffSource,
};
use shared::time::Timestamp;
use shared::{OrgId, PassMode, Role};
use storage::{Caller, ConnectedStation, Db, OrgAdmin, StorageError};

/// Volta Partners (partner) ─┬─ De Kroon Logistics (k) ── De Kroon Werkplaats (k1)
///                           └─ Hotel Zonneveld (h)
///
/// Stations KRN-CP-001 in k and KRN-WP-001 in k1, both in Roaming mode; HZ-001 in h. In k a roaming pass
/// (Hidden ID 04AAAB11CD2345) and a whitelisted one (04BBBB22CD2345).
struct Fixture {
    partner: OrgId,
    k: OrgId,
    k1: OrgId,
    h: OrgId,
    admin: Caller,
    station_k: StationId,
    station_k1: StationId,
}

const ROAMING_CARD: &str = "04AAAB11CD2345";
const WHITELISTED_CARD: &str = "04BBBB22CD2345";

impl Fixture {
    async fn scope(&self, db: &Db, org: OrgId) -> OrgAdmin {
        self.admin.admin_of(db, org).await.unwrap()
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
    let station = |s: &str| ChargePointId::parse(s).unwrap();
    let station_k = ks
        .add_station(
            &station("KRN-CP-001"),
            &StationName::parse("Laadpaal Zuid").unwrap(),
            None,
        )
        .await
        .unwrap();
    let k1s = admin.admin_of(db, k1).await.unwrap();
    let station_k1 = k1s
        .add_station(
            &station("KRN-WP-001"),
            &StationName::parse("Werkplaats").unwrap(),
            None,
        )
        .await
        .unwrap();
    admin
        .admin_of(db, h)
        .await
        .unwrap()
        .add_station(
            &station("HZ-001"),
            &StationName::parse("Hotel entrance").unwrap(),
            None,
        )
        .await
        .unwrap();
    for s in [station_k, station_k1] {
        ks.set_station_access_mode(s, Some(AccessMode::Roaming))
            .await
            .unwrap();
    }
    let holder = member(
        &ks,
        "Card",
        "Holder",
        "holder@kroon.example",
        Role::Cardholder,
    )
    .await;
    ks.add_pass(
        holder,
        &hidden(ROAMING_CARD),
        &nick("Roaming tag"),
        PassMode::Roaming,
    )
    .await
    .unwrap();
    ks.add_pass(
        holder,
        &hidden(WHITELISTED_CARD),
        &nick("Whitelisted tag"),
        PassMode::Whitelist,
    )
    .await
    .unwrap();
    Fixture {
        partner,
        k,
        k1,
        h,
        admin,
        station_k,
        station_k1,
    }
}

async fn connect(db: &Db, charge_point_id: &str) -> ConnectedStation {
    db.station_login(charge_point_id)
        .await
        .unwrap()
        .expect("known station")
        .accept(db)
        .expect("accepted")
}

/// €0.35/kWh AC, €0.59/kWh DC, €1.00 start fee, €6.00 per idle hour after 30 free minutes, 21% VAT.
fn tariff() -> TariffSettings {
    TariffSettings {
        currency: Currency::default(),
        start_fee: Money(100),
        per_kwh_ac: Price(3_500),
        per_kwh_dc: Price(5_900),
        per_hour_charging: Price(0),
        per_hour_idle: Price(60_000),
        idle_free_minutes: 30,
        max_per_session: None,
        vat_basis_points: 2_100,
    }
}

#[tokio::test]
async fn tariffs_are_inherited_down_the_tree_and_a_station_overrides() {
    let (_dir, db) = fresh_db().await;
    let f = fixture(&db).await;
    let (partner, k, k1) = (
        f.scope(&db, f.partner).await,
        f.scope(&db, f.k).await,
        f.scope(&db, f.k1).await,
    );
    // Nothing set anywhere.
    let view = k1.station_tariff(f.station_k1).await.unwrap();
    assert_eq!((view.own, view.inherited), (None, None));
    assert_eq!(view.current_kind, Some(CurrentKind::Ac));
    assert_eq!(view.caps, PlatformCaps::default());

    // The partner's tariff reaches its customers' sub-organizations and their stations.
    partner.set_tariff(Some(&tariff())).await.unwrap();
    let partner_source = TariffSource::Organization {
        name: "Volta Partners".into(),
    };
    let view = k1.tariff().await.unwrap();
    assert_eq!(view.own, None);
    assert_eq!(view.inherited, Some((partner_source.clone(), tariff())));
    assert_eq!(view.effective(), Some(&tariff()));

    // The nearer organization's wins; the station's own wins over both.
    let kroon = TariffSettings {
        per_kwh_ac: Price(3_900),
        ..tariff()
    };
    k.set_tariff(Some(&kroon)).await.unwrap();
    let view = k1.station_tariff(f.station_k1).await.unwrap();
    assert_eq!(
        view.inherited,
        Some((
            TariffSource::Organization {
                name: "De Kroon Logistics".into()
            },
            kroon.clone()
        ))
    );
    let own = TariffSettings {
        per_kwh_ac: Price(2_500),
        ..tariff()
    };
    k1.set_station_tariff(f.station_k1, Some(&own))
        .await
        .unwrap();
    let view = k.station_tariff(f.station_k1).await.unwrap();
    assert_eq!(view.effective(), Some(&own));
    assert_eq!(view.own, Some(own.clone()));

    // Saving the same again changes and records nothing; removing goes back to inheriting.
    let before = k.audit_log(100).await.unwrap().len();
    k1.set_station_tariff(f.station_k1, Some(&own))
        .await
        .unwrap();
    k.set_tariff(Some(&kroon)).await.unwrap();
    assert_eq!(k.audit_log(100).await.unwrap().len(), before);
    k1.set_station_tariff(f.station_k1, None).await.unwrap();
    k.set_tariff(None).await.unwrap();
    let view = k1.station_tariff(f.station_k1).await.unwrap();
    assert_eq!(view.own, None);
    assert_eq!(view.inherited, Some((partner_source, tariff())));
    let log = k.audit_log(100).await.unwrap();
    assert_eq!(
        log.len(),
        before + 1,
        "the station's change is in its own organization's log"
    );
    assert!(k1.audit_log(100).await.unwrap().iter().any(|e| e
        .summary
        .starts_with("Changed the tariff of station \"Werkplaats\" (KRN-WP-001) from €0.25/kWh AC")
        && e.summary.ends_with("to inherited from De Kroon Logistics (€0.39/kWh AC, €0.59/kWh DC, €1.00 per session, €6.00 per idle hour after 30 free minutes, 21% VAT)")));
    assert!(
        log.iter().any(|e| e.summary
            == "Changed the tariff of this organization from €0.39/kWh AC, €0.59/kWh DC, €1.00 per session, \
                €6.00 per idle hour after 30 free minutes, 21% VAT to inherited from Volta Partners (€0.35/kWh \
                AC, €0.59/kWh DC, €1.00 per session, €6.00 per idle hour after 30 free minutes, 21% VAT)"),
        "{log:#?}"
    );
}

#[tokio::test]
async fn tariffs_above_the_caps_are_refused_and_nothing_is_written() {
    let (_dir, db) = fresh_db().await;
    let f = fixture(&db).await;
    let k = f.scope(&db, f.k).await;
    let dear = TariffSettings {
        per_kwh_ac: Price(8_000),
        ..tariff()
    };
    let refused = k.set_tariff(Some(&dear)).await.unwrap_err();
    assert!(
        matches!(&refused, StorageError::Conflict { message }
            if message == "The price per kWh (€0.80) is above the platform's cap of €0.79 for AC stations."),
        "{refused:?}"
    );
    assert!(matches!(
        k.set_station_tariff(f.station_k, Some(&dear)).await,
        Err(StorageError::Conflict { .. })
    ));
    assert_eq!(k.tariff().await.unwrap().own, None);
    assert_eq!(k.station_tariff(f.station_k).await.unwrap().own, None);

    // An operator with lower caps: the same tariff is now above them.
    let strict = db.clone().with_platform_caps(PlatformCaps {
        per_kwh_ac: Price(3_000),
        ..PlatformCaps::default()
    });
    let k_strict = f.admin.admin_of(&strict, f.k).await.unwrap();
    assert_eq!(k_strict.platform_caps().per_kwh_ac, Price(3_000));
    assert!(k_strict.set_tariff(Some(&tariff())).await.is_err());
    assert_eq!(k.tariff().await.unwrap().own, None);
}

#[tokio::test]
async fn another_organization_cannot_read_or_set_a_stations_tariff() {
    let (_dir, db) = fresh_db().await;
    let f = fixture(&db).await;
    let hotel = f.scope(&db, f.h).await;
    // A sub-organization reaching up is refused like a stranger.
    let werkplaats = f.scope(&db, f.k1).await;
    for (scope, station) in [
        (&hotel, f.station_k),
        (&hotel, f.station_k1),
        (&werkplaats, f.station_k),
        (&hotel, StationId(987_654)),
    ] {
        assert!(matches!(
            scope.station_tariff(station).await,
            Err(StorageError::NotFound { what: "station" })
        ));
        assert!(matches!(
            scope.set_station_tariff(station, Some(&tariff())).await,
            Err(StorageError::NotFound { what: "station" })
        ));
        assert!(matches!(
            scope
                .set_station_current_kind(station, CurrentKind::Dc)
                .await,
            Err(StorageError::NotFound { what: "station" })
        ));
    }
    let k = f.scope(&db, f.k).await;
    let view = k.station_tariff(f.station_k).await.unwrap();
    assert_eq!((view.own, view.current_kind), (None, Some(CurrentKind::Ac)));
    // A cardholder is no administrator anywhere.
    let holder = caller_for(&db, "holder@kroon.example").await;
    assert!(matches!(
        holder.admin_of(&db, f.k).await,
        Err(StorageError::NoAccess)
    ));
}

/// A settled session at `station` from `started` (meter 1,000 Wh): readings at +30, +60 and +90 minutes
/// (5,000, 10,000, 10,000 Wh: charging ends at +60), stopped at +120 minutes at 10,000 Wh. `between` runs
/// after the start, before the readings.
async fn session(
    station: &ConnectedStation,
    card: &str,
    started: Timestamp,
    between: impl std::future::Future<Output = ()>,
) -> (i64, shared::decision::Decision) {
    let minutes = |m: i64| Timestamp(started.0 + m * 60_000);
    let (id, decision) = station
        .start_transaction(1, card, 1_000, started)
        .await
        .unwrap();
    between.await;
    for (at, wh) in [(30, 5_000.0), (60, 10_000.0), (90, 10_000.0)] {
        station
            .meter_value(Some(id.0), 1, wh, minutes(at))
            .await
            .unwrap();
    }
    station
        .stop_transaction(id.0, 10_000, minutes(120), None, None)
        .await
        .unwrap();
    (id.0, decision)
}

#[tokio::test]
async fn the_tariff_is_frozen_at_the_start_and_the_session_priced_when_it_stops() {
    let (_dir, db) = fresh_db().await;
    let f = fixture(&db).await;
    let k = f.scope(&db, f.k).await;
    k.set_tariff(Some(&tariff())).await.unwrap();
    let station = connect(&db, "KRN-CP-001").await;
    let started = Timestamp(storage::now().0 - 3 * 3_600_000);

    // The tariff changes while the session runs: the session keeps the one it started with.
    let dearer = TariffSettings {
        per_kwh_ac: Price(7_900),
        start_fee: Money(0),
        ..tariff()
    };
    let (id, decision) = session(&station, ROAMING_CARD, started, async {
        k.set_tariff(Some(&dearer)).await.unwrap();
    })
    .await;
    assert_eq!(decision.billing, Some(Billing::Settled));
    let stored = k.transactions(10).await.unwrap();
    let t = stored.iter().find(|t| t.id.0 == id).unwrap();
    let frozen = tariff().for_kind(CurrentKind::Ac);
    assert_eq!(t.tariff.as_ref(), Some(&frozen));
    // €1.00 start fee + 9 kWh × €0.35 = €3.15 + idle 60 min, 30 free: 30 min × €6/h = €3.00 → €7.15 net,
    // 21% VAT €1.50 → €8.65.
    let price = t.price.expect("priced");
    assert_eq!(
        (price.net, price.vat, price.gross),
        (Money(715), Money(150), Money(865))
    );
    assert_eq!(t.price_note, None);
    assert!(
        t.decision_reason.contains("the session is settled"),
        "{}",
        t.decision_reason
    );
    // The browser shows the same amount with the same function.
    let usage = shared::tariff::Usage {
        meter_start_wh: Some(1_000),
        meter_stop_wh: Some(10_000),
        charging_secs: 3_600,
        idle_secs: 3_600,
    };
    assert_eq!(
        shared::tariff::price(&frozen, &usage).unwrap().gross,
        price.gross
    );

    // A session that starts after the change gets the new tariff; at a DC station the DC price.
    k.set_station_current_kind(f.station_k, CurrentKind::Dc)
        .await
        .unwrap();
    let (id2, _) = session(
        &station,
        ROAMING_CARD,
        Timestamp(started.0 + 1_000),
        async {},
    )
    .await;
    let stored = k.transactions(10).await.unwrap();
    let t2 = stored.iter().find(|t| t.id.0 == id2).unwrap();
    assert_eq!(t2.tariff.as_ref(), Some(&dearer.for_kind(CurrentKind::Dc)));
    assert_eq!(t2.tariff.as_ref().unwrap().per_kwh, Price(5_900));
    // 9 kWh × €0.59 = €5.31 + €3.00 idle = €8.31; VAT €1.75.
    assert_eq!(t2.price.unwrap().net, Money(831));

    // A repeated StopTransaction does not price again; the audit log names the kind change.
    assert_eq!(
        station
            .stop_transaction(id2, 99_000, Timestamp(started.0 + 9_000_000), None, None)
            .await
            .unwrap(),
        storage::StopOutcome::AlreadyStopped
    );
    let again = k.transactions(10).await.unwrap();
    assert_eq!(
        again.iter().find(|t| t.id.0 == id2).unwrap().price,
        t2.price
    );
    assert!(k
        .audit_log(100)
        .await
        .unwrap()
        .iter()
        .any(|e| e.summary == "Changed station \"Laadpaal Zuid\" (KRN-CP-001) from AC to DC"));
}

#[tokio::test]
async fn whitelisted_sessions_are_never_priced_and_without_a_tariff_a_settled_one_says_why() {
    let (_dir, db) = fresh_db().await;
    let f = fixture(&db).await;
    let k = f.scope(&db, f.k).await;
    let station = connect(&db, "KRN-CP-001").await;
    let started = Timestamp(storage::now().0 - 3 * 3_600_000);

    // No tariff anywhere: the settled session is stored without a price, and says why.
    let (settled, _) = session(&station, ROAMING_CARD, started, async {}).await;
    // A whitelisted pass at a Roaming + whitelisting station: free, whatever the tariff.
    k.set_station_access_mode(f.station_k, Some(AccessMode::RoamingAndWhitelisting))
        .await
        .unwrap();
    k.set_tariff(Some(&tariff())).await.unwrap();
    let (free, decision) = session(
        &station,
        WHITELISTED_CARD,
        Timestamp(started.0 + 1_000),
        async {},
    )
    .await;
    assert_eq!(decision.billing, Some(Billing::Free));
    assert_eq!(decision.status, AuthorizationStatus::Accepted);
    // An unknown card is refused: no price either.
    let (refused, decision) = session(
        &station,
        "04FFFF99CD2345",
        Timestamp(started.0 + 2_000),
        async {},
    )
    .await;
    assert_eq!(decision.status, AuthorizationStatus::Invalid);

    let stored = k.transactions(10).await.unwrap();
    let get = |id: i64| stored.iter().find(|t| t.id.0 == id).unwrap();
    assert_eq!(
        (get(settled).tariff.as_ref(), get(settled).price),
        (None, None)
    );
    assert_eq!(
        get(settled).price_note.as_deref(),
        Some("No tariff was set for this station when the session started, so it has no price.")
    );
    for id in [free, refused] {
        let t = get(id);
        assert_eq!(
            (t.tariff.as_ref(), t.price, t.price_note.as_deref()),
            (None, None, None)
        );
    }
    assert!(get(free).decision_reason.contains("is whitelisted"));
}

#[tokio::test]
async fn a_meter_that_runs_backwards_leaves_a_settled_session_unpriced_with_the_reason() {
    let (_dir, db) = fresh_db().await;
    let f = fixture(&db).await;
    let k = f.scope(&db, f.k).await;
    k.set_tariff(Some(&tariff())).await.unwrap();
    let station = connect(&db, "KRN-CP-001").await;
    let started = Timestamp(storage::now().0 - 3_600_000);
    let (id, _) = station
        .start_transaction(1, ROAMING_CARD, 50_000, started)
        .await
        .unwrap();
    // The meter was replaced during the session.
    station
        .stop_transaction(id.0, 1_200, Timestamp(started.0 + 600_000), None, None)
        .await
        .unwrap();
    let stored = k.transactions(10).await.unwrap();
    let t = stored.iter().find(|t| t.id == id).unwrap();
    assert_eq!(t.price, None);
    assert_eq!(
        t.price_note.as_deref(),
        Some("The meter ran backwards in this session (50000 Wh at the start, 1200 Wh at the end): it cannot be priced.")
    );
}
