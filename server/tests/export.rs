//! The Transactions download, `GET /api/export/transactions.{csv,xlsx}?org=…&<filter>` (issue #11, part 4):
//! refused to anyone who does not administer the organization (anonymous, another branch's administrator, a
//! sub-organization's administrator reaching up, a cardholder) and to other sites; a filter naming another
//! organization's station or user is not found; the file holds exactly the filtered sessions, parsed back (CSV
//! with the `csv` crate, XLSX with calamine), with text that could start a formula made safe.

mod common;

use axum::body::Body;
use common::{TestApp, PASSWORD};
use http::{header, Request, StatusCode};
use shared::ids::StationId;
use shared::role::Role;
use shared::time::Timestamp;
use shared::OrgId;

struct Fixture {
    app: TestApp,
    org_a: OrgId,
    org_b: OrgId,
    admin_a: String,
    admin_a1: String,
    admin_b: String,
    cardholder_a: String,
    station_a1: StationId,
    station_b: StationId,
    member_b: shared::MemberId,
}

async fn add_station(app: &TestApp, cookie: &str, org: OrgId, cp: &str, name: &str) -> StationId {
    let added: serde_json::Value = app
        .call(
            Some(cookie),
            "add_station",
            &[
                ("org", &org.to_string()),
                ("charge_point_id", cp),
                ("name", name),
                ("allow_unauthenticated", "true"),
            ],
        )
        .await
        .expect("add station");
    StationId(added["id"].as_i64().expect("station id"))
}

/// A session at `cp` with `card`, 2 kWh (running when `stop` is false).
async fn session(app: &TestApp, cp: &str, card: &str, start_ms: i64, stop: bool) {
    let station = app
        .db
        .station_login(cp)
        .await
        .unwrap()
        .expect("known station")
        .accept(&app.db)
        .expect("accepted");
    let (id, _) = station
        .start_transaction(1, card, 1_000, Timestamp(start_ms))
        .await
        .unwrap();
    if stop {
        station
            .stop_transaction(id.0, 3_000, Timestamp(start_ms + 3_600_000), None, None)
            .await
            .unwrap();
    }
}

/// Volta Partners ─┬─ Customer A ── Customer A Depot (A1)
///                 └─ Customer B
/// Stations in A (named like a formula), A1 and B; in A three sessions (one running, one with an idTag that
/// looks like a formula), in A1 one, in B one.
async fn fixture() -> Fixture {
    let app = TestApp::new().await;
    let (root, _) = app.partner("Volta Partners", "pat@volta.example").await;
    let partner = app.login("pat@volta.example", PASSWORD).await;
    let org_a = app.sub_org(&partner, root, "Customer A").await;
    let org_a1 = app.sub_org(&partner, org_a, "Customer A Depot").await;
    let org_b = app.sub_org(&partner, root, "Customer B").await;
    app.member(&partner, org_a, "admin@a.example", Role::Administrator)
        .await;
    app.member(&partner, org_a1, "admin@a1.example", Role::Administrator)
        .await;
    app.member(&partner, org_b, "admin@b.example", Role::Administrator)
        .await;
    app.member(&partner, org_a, "driver@a.example", Role::Cardholder)
        .await;
    let member_b = app
        .member(&partner, org_b, "driver@b.example", Role::Cardholder)
        .await;
    add_station(&app, &partner, org_a, "CP-A-1", "-Laadpaal, \"Zuid\"").await;
    let station_a1 = add_station(&app, &partner, org_a1, "CP-A1-1", "Depot").await;
    let station_b = add_station(&app, &partner, org_b, "CP-B-1", "Customer B yard").await;
    let t0 = 1_795_511_130_000; // 2026-11-24 09:05:30 UTC
    session(&app, "CP-A-1", "04AAAB11CD2345", t0, true).await;
    session(&app, "CP-A-1", "=HYPERLINK(\"x\")", t0 + 1_000, true).await;
    session(&app, "CP-A-1", "04AAAB11CD2345", t0 + 2_000, false).await;
    session(&app, "CP-A1-1", "04CCCC11CD2345", t0 + 3_000, true).await;
    session(&app, "CP-B-1", "04DDDD11CD2345", t0 + 4_000, true).await;
    Fixture {
        org_a,
        org_b,
        admin_a: app.login("admin@a.example", PASSWORD).await,
        admin_a1: app.login("admin@a1.example", PASSWORD).await,
        admin_b: app.login("admin@b.example", PASSWORD).await,
        cardholder_a: app.login("driver@a.example", PASSWORD).await,
        app,
        station_a1,
        station_b,
        member_b,
    }
}

/// `GET /api/export/{file}?{query}` with the session `cookie` and extra headers.
async fn download(
    app: &TestApp,
    cookie: Option<&str>,
    file: &str,
    query: &str,
    headers: &[(&str, &str)],
) -> (StatusCode, Vec<u8>, http::HeaderMap) {
    let mut request = Request::get(format!("/api/export/{file}?{query}"));
    if let Some(c) = cookie {
        let name = server::http::WebConfig::default().site.cookie_name();
        request = request.header(header::COOKIE, format!("{name}={c}"));
    }
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    app.send(request.body(Body::empty()).unwrap()).await
}

fn csv_rows(body: &[u8]) -> Vec<Vec<String>> {
    assert!(
        body.starts_with(b"\xEF\xBB\xBF"),
        "UTF-8 with a byte order mark"
    );
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(&body[3..]);
    reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

#[tokio::test]
async fn the_download_is_refused_to_everyone_who_does_not_administer_the_organization() {
    let f = fixture().await;
    let a = format!("org={}", f.org_a);
    for file in ["transactions.csv", "transactions.xlsx"] {
        let (status, body, _) = download(&f.app, None, file, &a, &[]).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "anonymous");
        assert!(!String::from_utf8_lossy(&body).contains("04AAAB11CD2345"));
        for (who, cookie) in [
            ("another branch's administrator", &f.admin_b),
            (
                "a sub-organization's administrator reaching up",
                &f.admin_a1,
            ),
            ("a cardholder", &f.cardholder_a),
        ] {
            let (status, body, _) = download(&f.app, Some(cookie), file, &a, &[]).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{who}");
            assert!(
                !String::from_utf8_lossy(&body).contains("04AAAB11CD2345"),
                "{who}"
            );
        }
        // Another site's page cannot make a browser fetch it with the cookie.
        let (status, _, _) = download(
            &f.app,
            Some(&f.admin_a),
            file,
            &a,
            &[("sec-fetch-site", "cross-site")],
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "cross-site");
        // A filter naming another organization's station or member: not found, never their rows.
        for filter in [
            format!("station={}", f.station_b),
            format!("user={}", f.member_b.0),
        ] {
            let (status, body, _) = download(
                &f.app,
                Some(&f.admin_a),
                file,
                &format!("{a}&{filter}"),
                &[],
            )
            .await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{filter}");
            assert!(!String::from_utf8_lossy(&body).contains("04DDDD11CD2345"));
        }
        // No org, or nonsense: not found.
        let (status, _, _) = download(&f.app, Some(&f.admin_a), file, "org=x", &[]).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        // A filter that does not read: refused at its field.
        let (status, body, _) = download(
            &f.app,
            Some(&f.admin_a),
            file,
            &format!("{a}&from=2026-13-01"),
            &[],
        )
        .await;
        assert!(status.is_client_error(), "{status}");
        assert!(String::from_utf8_lossy(&body).contains("YYYY-MM-DD"));
    }
    // Other file names do not exist.
    let (status, _, _) = download(&f.app, Some(&f.admin_a), "transactions.pdf", &a, &[]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Positive control: B's administrator gets B's sessions only.
    let (status, body, _) = download(
        &f.app,
        Some(&f.admin_b),
        "transactions.csv",
        &format!("org={}", f.org_b),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let rows = csv_rows(&body);
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1][6], "04DDDD11CD2345");
}

#[tokio::test]
async fn the_csv_holds_exactly_the_filtered_sessions_safe_from_formulas() {
    let f = fixture().await;
    let a = format!("org={}", f.org_a);
    let (status, body, headers) =
        download(&f.app, Some(&f.admin_a), "transactions.csv", &a, &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "text/csv; charset=utf-8");
    let disposition = headers[header::CONTENT_DISPOSITION].to_str().unwrap();
    assert!(
        disposition.starts_with("attachment; filename=\"transactions-customer-a-")
            && disposition.ends_with(".csv\""),
        "{disposition}"
    );
    let rows = csv_rows(&body);
    // The header, A's three sessions and A1's, oldest first; none of B's.
    assert_eq!(rows.len(), 5, "{rows:?}");
    assert_eq!(rows[0][0], "Transaction ID");
    assert_eq!(rows[0][7], "Start (Europe/Amsterdam)");
    let tags: Vec<&str> = rows[1..].iter().map(|r| r[6].as_str()).collect();
    assert_eq!(
        tags,
        [
            "04AAAB11CD2345",
            "'=HYPERLINK(\"x\")",
            "04AAAB11CD2345",
            "04CCCC11CD2345"
        ]
    );
    // The station's name starts with '-': quoted for spreadsheets, its comma and quotes kept by the CSV.
    assert_eq!(rows[1][1], "'-Laadpaal, \"Zuid\"");
    assert_eq!(rows[1][7], "2026-11-24 10:05");
    // Energy is a plain number.
    assert_eq!(rows[1][11], "2.000");
    assert_eq!(rows[3][16], "yes");
    assert!(rows[3][11].is_empty());

    // Filters: the station of A1, the running ones, a period with nothing.
    let (_, body, _) = download(
        &f.app,
        Some(&f.admin_a),
        "transactions.csv",
        &format!("{a}&station={}", f.station_a1),
        &[],
    )
    .await;
    let rows = csv_rows(&body);
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1][6], "04CCCC11CD2345");
    let (_, body, _) = download(
        &f.app,
        Some(&f.admin_a),
        "transactions.csv",
        &format!("{a}&active=true"),
        &[],
    )
    .await;
    assert_eq!(csv_rows(&body).len(), 2);
    let (_, body, _) = download(
        &f.app,
        Some(&f.admin_a),
        "transactions.csv",
        &format!("{a}&from=2026-11-25"),
        &[],
    )
    .await;
    assert_eq!(csv_rows(&body).len(), 1, "the header alone");
}

#[tokio::test]
async fn the_xlsx_reads_back_with_numbers_as_numbers_and_formulas_as_text() {
    use calamine::{open_workbook_from_rs, Data, Reader, Xlsx};
    let f = fixture().await;
    let (status, body, headers) = download(
        &f.app,
        Some(&f.admin_a),
        "transactions.xlsx",
        &format!("org={}", f.org_a),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        headers[header::CONTENT_TYPE],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    assert!(body.starts_with(b"PK"), "a zip file");
    let mut workbook: Xlsx<_> = open_workbook_from_rs(std::io::Cursor::new(body)).unwrap();
    let sheet = workbook.worksheet_range("Transactions").unwrap();
    let rows: Vec<&[Data]> = sheet.rows().collect();
    assert_eq!(rows.len(), 5);
    assert_eq!(rows[0][0], Data::String("Transaction ID".into()));
    assert_eq!(rows[2][6], Data::String("'=HYPERLINK(\"x\")".into()));
    assert_eq!(rows[1][1], Data::String("'-Laadpaal, \"Zuid\"".into()));
    assert_eq!(rows[1][11], Data::Float(2.0));
    assert!(matches!(rows[1][0], Data::Float(_)));
    assert_eq!(rows[4][6], Data::String("04CCCC11CD2345".into()));
}

/// Browsers always accept compressed answers: the CSV is then compressed on the fly, and its stream must end
/// cleanly (the compression polls the body once more after its end; an `unfold` stream panicked there, and the
/// browser cancelled the download).
#[tokio::test]
async fn a_compressed_csv_download_ends_cleanly() {
    let f = fixture().await;
    for encoding in ["gzip", "br"] {
        let (status, body, headers) = download(
            &f.app,
            Some(&f.admin_a),
            "transactions.csv",
            &format!("org={}", f.org_a),
            &[("accept-encoding", encoding)],
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{encoding}");
        assert_eq!(
            headers
                .get(header::CONTENT_ENCODING)
                .and_then(|v| v.to_str().ok()),
            Some(encoding)
        );
        assert!(!body.is_empty(), "{encoding}");
    }
}
