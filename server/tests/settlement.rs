//! Settlement over HTTP (issue #11, part 3): the "Billing" settings as the browser sends them, the month-end,
//! and a statement's PDF and CSV at `/api/documents/statements/{id}` — and what others get there: no session 401,
//! another organization, a sub-organization reaching up and a cardholder 404, exactly like a statement that does
//! not exist.

mod common;

use app::AppError;
use axum::body::Body;
use common::{TestApp, PASSWORD};
use http::Request;
use shared::period::Month;
use shared::role::Role;
use shared::statement::{SettlementSettings, StatementSummary};
use shared::tariff::Price;
use shared::time::{TimeZoneName, Timestamp};

fn billing(name: &str, iban: &str) -> Vec<(String, String)> {
    [
        ("kind", "company"),
        ("legal_name", name),
        ("address_line", "Brouwerijstraat 1"),
        ("postcode", "5911 AB"),
        ("city", "Venlo"),
        ("country", "NL"),
        ("vat_number", "NL123456789B01"),
        ("iban", iban),
    ]
    .into_iter()
    .map(|(k, v)| (format!("billing[{k}]"), v.to_owned()))
    .collect()
}

fn args<'a>(head: &[(&'a str, &'a str)], rest: &'a [(String, String)]) -> Vec<(&'a str, &'a str)> {
    head.iter()
        .copied()
        .chain(rest.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .collect()
}

async fn get(app: &TestApp, cookie: Option<&str>, path: &str) -> (u16, Vec<u8>, http::HeaderMap) {
    let mut request = Request::get(path);
    if let Some(cookie) = cookie {
        request = request.header("cookie", format!("chargedesk_session={cookie}"));
    }
    let (status, body, headers) = app.send(request.body(Body::empty()).unwrap()).await;
    (status.as_u16(), body, headers)
}

#[tokio::test]
async fn a_statement_is_issued_and_downloaded_by_its_organization_only() {
    let app = TestApp::new().await;
    let (root, _) = app.partner("Volta Partners", "pat@volta.example").await;
    let partner = app.login("pat@volta.example", PASSWORD).await;
    let kroon = app.sub_org(&partner, root, "De Kroon").await;
    let depot = app.sub_org(&partner, kroon, "De Kroon Depot").await;
    let hotel = app.sub_org(&partner, root, "Hotel").await;
    for (org, email, role) in [
        (kroon, "admin@kroon.example", Role::Administrator),
        (depot, "admin@depot.example", Role::Administrator),
        (hotel, "admin@hotel.example", Role::Administrator),
        (kroon, "driver@kroon.example", Role::Cardholder),
    ] {
        app.member(&partner, org, email, role).await;
    }
    let admin = app.login("admin@kroon.example", PASSWORD).await;
    let (kroon_s, root_s) = (kroon.to_string(), root.to_string());

    // Billing details through the form: a wrong IBAN is refused at its field, then saved.
    let bad = billing("Brouwerij De Kroon B.V.", "NL91ABNA0417164301");
    let reply: Result<(), AppError> = app
        .call(
            Some(&admin),
            "set_billing_details",
            &args(&[("org", &kroon_s)], &bad),
        )
        .await;
    assert!(reply.unwrap_err().for_field("iban").is_some());
    let good = billing("Brouwerij De Kroon B.V.", "NL91 ABNA 0417 1643 00");
    let () = app
        .call(
            Some(&admin),
            "set_billing_details",
            &args(&[("org", &kroon_s)], &good),
        )
        .await
        .unwrap();
    // Its own administrator may not set its rates; the partner may.
    let rates = [("org", kroon_s.as_str()), ("ac", "0.25"), ("dc", "0.30")];
    let refused: Result<(), AppError> = app
        .call(Some(&admin), "set_reimbursement_rates", &rates)
        .await;
    assert_eq!(refused.unwrap_err(), AppError::NoAccess);
    let () = app
        .call(Some(&partner), "set_reimbursement_rates", &rates)
        .await
        .unwrap();
    let settings: SettlementSettings = app
        .call(
            Some(&admin),
            "get_settlement_settings",
            &[("org", &kroon_s)],
        )
        .await
        .unwrap();
    assert_eq!(settings.rates, (Some(Price(2_500)), Some(Price(3_000))));
    assert_eq!(
        settings.billing.unwrap().legal_name,
        "Brouwerij De Kroon B.V."
    );
    assert!(settings
        .time_zone_choices
        .iter()
        .any(|z| z == "Europe/Amsterdam"));
    let reply: Result<(), AppError> = app
        .call(
            Some(&admin),
            "set_time_zone",
            &[("org", &kroon_s), ("time_zone", "Mars/Olympus_Mons")],
        )
        .await;
    assert!(reply.unwrap_err().for_field("time_zone").is_some());

    // A settled session two months ago, and the month-end.
    let k = app
        .db
        .caller(&common::login_token(&app.db, "admin@kroon.example").await)
        .await
        .unwrap()
        .unwrap()
        .admin_of(&app.db, kroon)
        .await
        .unwrap();
    let station = k
        .add_station(
            &shared::station::ChargePointId::parse("KRN-9").unwrap(),
            &shared::station::StationName::parse("Yard").unwrap(),
            None,
        )
        .await
        .unwrap();
    k.set_station_access_mode(station, Some(shared::station::AccessMode::Roaming))
        .await
        .unwrap();
    let holder = k
        .users()
        .await
        .unwrap()
        .into_iter()
        .find(|u| u.email == "driver@kroon.example")
        .unwrap();
    let holder = k.member(holder.id).await.unwrap();
    k.add_pass(
        holder,
        &shared::pass_id::check_pass_id(
            shared::pass_id::PassIdKind::Hidden,
            "04AAAB11CD2345",
            false,
        )
        .unwrap()
        .value,
        &shared::names::Nickname::parse("Tag").unwrap(),
        shared::PassMode::Roaming,
    )
    .await
    .unwrap();
    let zone = TimeZoneName::default();
    let month = Month::containing(storage::now(), &zone)
        .previous()
        .previous();
    let connected = app
        .db
        .station_login("KRN-9")
        .await
        .unwrap()
        .unwrap()
        .accept(&app.db)
        .unwrap();
    let started = Timestamp(month.bounds(&zone).0 .0 + 86_400_000);
    let (id, _) = connected
        .start_transaction(1, "04AAAB11CD2345", 0, started)
        .await
        .unwrap();
    connected
        .stop_transaction(id.0, 12_345, Timestamp(started.0 + 3_600_000), None, None)
        .await
        .unwrap();
    let report = app.db.run_month_end(month, storage::now()).await.unwrap();
    assert_eq!(report.issued.len(), 1, "{report:?}");

    let list: Vec<StatementSummary> = app
        .call(Some(&admin), "list_statements", &[("org", &kroon_s)])
        .await
        .unwrap();
    let statement = &list[0];
    let pdf_path = format!(
        "/api/documents/statements/{}?org={kroon_s}&format=pdf",
        statement.id
    );
    let (status, body, headers) = get(&app, Some(&admin), &pdf_path).await;
    assert_eq!(status, 200);
    assert!(body.starts_with(b"%PDF"));
    assert_eq!(headers["content-type"], "application/pdf");
    assert_eq!(
        headers["content-disposition"],
        format!("attachment; filename=\"{}.pdf\"", statement.number).as_str()
    );
    let csv_path = format!(
        "/api/documents/statements/{}?org={kroon_s}&format=csv",
        statement.id
    );
    let (status, body, _) = get(&app, Some(&admin), &csv_path).await;
    assert_eq!(status, 200);
    let csv = String::from_utf8(body).unwrap();
    assert_eq!(csv.lines().count(), 2, "{csv}");
    assert!(csv.contains("12.345"), "{csv}");
    // The partner reads it through its own organization.
    let (status, _, _) = get(
        &app,
        Some(&partner),
        &format!(
            "/api/documents/statements/{}?org={root_s}&format=pdf",
            statement.id
        ),
    )
    .await;
    assert_eq!(status, 200);

    // Others: no session 401; another organization, a sub-organization reaching up and a cardholder 404, the
    // same as a statement that does not exist.
    assert_eq!(get(&app, None, &pdf_path).await.0, 401);
    assert_eq!(get(&app, Some("0123456789abcdef"), &pdf_path).await.0, 401);
    let hotel_admin = app.login("admin@hotel.example", PASSWORD).await;
    let depot_admin = app.login("admin@depot.example", PASSWORD).await;
    let driver = app.login("driver@kroon.example", PASSWORD).await;
    let missing = format!("/api/documents/statements/987654?org={kroon_s}&format=pdf");
    for (cookie, own_org) in [
        (&hotel_admin, hotel.to_string()),
        (&depot_admin, depot.to_string()),
        (&driver, kroon_s.clone()),
    ] {
        for path in [
            pdf_path.clone(),
            format!(
                "/api/documents/statements/{}?org={own_org}&format=csv",
                statement.id
            ),
            missing.clone(),
        ] {
            let (status, body, _) = get(&app, Some(cookie), &path).await;
            assert_eq!((status, body.len()), (404, 0), "{path}");
        }
    }
}
