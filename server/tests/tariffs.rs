//! Tariffs over HTTP (issue #11, part 1): the forms' server functions as the browser calls them — a tariff set
//! by an organization's administrator reaches its sub-organizations' stations, a bad or too dear form is refused
//! at its field and writes nothing, a station's own tariff and AC/DC kind, and what other people get (the
//! authorization matrix in tests/authorization.rs covers every refusal; here the answers' content).

mod common;

use app::AppError;
use common::{TestApp, PASSWORD};
use shared::ids::StationId;
use shared::role::Role;
use shared::tariff::{CurrentKind, Price, TariffSource, TariffView};

fn form<'a>(fields: &[(&'a str, &'a str)]) -> Vec<(String, &'a str)> {
    let defaults = [
        ("currency", "EUR"),
        ("start_fee", "1.00"),
        ("per_kwh_ac", "0.35"),
        ("per_kwh_dc", "0.59"),
        ("per_hour_charging", ""),
        ("per_hour_idle", "6"),
        ("idle_free_minutes", "30"),
        ("max_per_session", ""),
        ("vat_percent", "21"),
    ];
    defaults
        .iter()
        .map(|(name, value)| {
            let value = fields
                .iter()
                .find(|(n, _)| n == name)
                .map_or(*value, |(_, v)| *v);
            (format!("tariff[{name}]"), value)
        })
        .collect()
}

fn with<'a>(
    head: &[(&'a str, &'a str)],
    tariff: &'a [(String, &'a str)],
) -> Vec<(&'a str, &'a str)> {
    head.iter()
        .copied()
        .chain(tariff.iter().map(|(k, v)| (k.as_str(), *v)))
        .collect()
}

#[tokio::test]
async fn an_organizations_tariff_reaches_its_stations_and_bad_forms_are_refused_at_their_field() {
    let app = TestApp::new().await;
    let (root, _) = app.partner("Volta Partners", "pat@volta.example").await;
    let partner = app.login("pat@volta.example", PASSWORD).await;
    let kroon = app.sub_org(&partner, root, "De Kroon").await;
    app.member(&partner, kroon, "admin@kroon.example", Role::Administrator)
        .await;
    let admin = app.login("admin@kroon.example", PASSWORD).await;
    let added: serde_json::Value = app
        .call(
            Some(&admin),
            "add_station",
            &[
                ("org", &kroon.to_string()),
                ("charge_point_id", "CP-KROON-9"),
                ("name", "Yard"),
                ("allow_unauthenticated", "true"),
            ],
        )
        .await
        .unwrap();
    let station = StationId(added["id"].as_i64().unwrap()).to_string();
    let (root_s, kroon_s) = (root.to_string(), kroon.to_string());

    // The partner sets a tariff for everything below it.
    let tariff = form(&[]);
    let () = app
        .call(
            Some(&partner),
            "set_org_tariff",
            &with(&[("org", &root_s)], &tariff),
        )
        .await
        .unwrap();
    let view: TariffView = app
        .call(
            Some(&admin),
            "station_tariff",
            &[("org", &kroon_s), ("station", &station)],
        )
        .await
        .unwrap();
    let (source, inherited) = view.inherited.clone().expect("inherited");
    assert_eq!(
        source,
        TariffSource::Organization {
            name: "Volta Partners".into()
        }
    );
    assert_eq!(inherited.per_kwh_ac, Price(3_500));
    assert_eq!(view.own, None);
    assert_eq!(view.current_kind, Some(CurrentKind::Ac));

    // Above the cap, or not a number: refused at the field, nothing stored.
    for (field, value, message) in [
        (
            "per_kwh_dc",
            "0.95",
            "The price per kWh (€0.95) is above the platform's cap of €0.90 for DC stations.",
        ),
        (
            "per_kwh_ac",
            "cheap",
            "Enter the price per kWh (AC) as a number, e.g. 0.79 (at most 4 decimals).",
        ),
        (
            "vat",
            "45",
            "Enter the VAT rate in percent, at most 30 (e.g. 21).",
        ),
    ] {
        let input = if field == "vat" { "vat_percent" } else { field };
        let bad = form(&[(input, value)]);
        let reply: Result<(), AppError> = app
            .call(
                Some(&admin),
                "set_org_tariff",
                &with(&[("org", &kroon_s)], &bad),
            )
            .await;
        let error = reply.unwrap_err();
        assert_eq!(
            error.for_field(field).as_deref(),
            Some(message),
            "{error:?}"
        );
    }
    let own: TariffView = app
        .call(Some(&admin), "org_tariff", &[("org", &kroon_s)])
        .await
        .unwrap();
    assert_eq!(own.own, None, "nothing was stored");

    // The station's own tariff and kind; the DC price is then the one that applies.
    let station_form = form(&[("per_kwh_dc", "0.49")]);
    let () = app
        .call(
            Some(&admin),
            "set_station_tariff",
            &with(&[("org", &kroon_s), ("station", &station)], &station_form),
        )
        .await
        .unwrap();
    let () = app
        .call(
            Some(&admin),
            "set_station_current_kind",
            &[("org", &kroon_s), ("station", &station), ("kind", "dc")],
        )
        .await
        .unwrap();
    let view: TariffView = app
        .call(
            Some(&partner),
            "station_tariff",
            &[("org", &root_s), ("station", &station)],
        )
        .await
        .unwrap();
    assert_eq!(view.current_kind, Some(CurrentKind::Dc));
    let own = view.own.expect("own tariff");
    assert_eq!(own.for_kind(CurrentKind::Dc).per_kwh, Price(4_900));
    // Back to the organization's: the form is left out.
    let () = app
        .call(
            Some(&admin),
            "set_station_tariff",
            &[("org", &kroon_s), ("station", &station)],
        )
        .await
        .unwrap();
    let view: TariffView = app
        .call(
            Some(&admin),
            "station_tariff",
            &[("org", &kroon_s), ("station", &station)],
        )
        .await
        .unwrap();
    assert_eq!(view.own, None);

    // The customer's administrator cannot change the partner's tariff, nor read it as its own.
    let reply: Result<(), AppError> = app
        .call(
            Some(&admin),
            "set_org_tariff",
            &with(&[("org", &root_s)], &form(&[("per_kwh_ac", "0.10")])),
        )
        .await;
    assert_eq!(reply.unwrap_err(), AppError::NoAccess);
    let partner_view: TariffView = app
        .call(Some(&partner), "org_tariff", &[("org", &root_s)])
        .await
        .unwrap();
    assert_eq!(partner_view.own.unwrap().per_kwh_ac, Price(3_500));
}
