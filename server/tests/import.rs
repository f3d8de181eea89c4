//! The bulk import and export of passes over HTTP (issue #12): template, preview, commit, error file and export
//! for the organization's administrators only; an oversized upload refused before it is read; a file that cannot
//! be read refused with its reason; a flood of uploads served in turns; two commits into one organization never
//! import a card twice; export → import finds every pass already there (CSV and XLSX).

mod common;

use axum::body::Body;
use common::{TestApp, PASSWORD};
use http::{header, Request, StatusCode};
use shared::import::{ImportDone, ImportPreview, ImportRefusal, RowOutcome, UserOutcome};
use shared::role::Role;
use shared::OrgId;

struct Fixture {
    app: TestApp,
    org_a: OrgId,
    partner: String,
    admin_a: String,
    admin_a1: String,
    admin_b: String,
    cardholder_a: String,
}

/// Volta Partners ─┬─ Customer A ── Customer A Depot (A1)
///                 └─ Customer B
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
    Fixture {
        org_a,
        admin_a: app.login("admin@a.example", PASSWORD).await,
        admin_a1: app.login("admin@a1.example", PASSWORD).await,
        admin_b: app.login("admin@b.example", PASSWORD).await,
        cardholder_a: app.login("driver@a.example", PASSWORD).await,
        partner,
        app,
    }
}

const CSV: &str = "\u{FEFF}First name;Last name;E-mail;Role;Public Card ID;Hidden ID;Nickname;Mode;Organization\r\n\
Ilse;Vermeer;ilse@a.example;;;04A1B2C3D4E5F6;Tag Ilse;;\r\n\
Ilse;Vermeer;ilse@a.example;;NL-TNM-012204-5;;Laadpas Ilse;Whitelist;\r\n\
Wim;Werk;wim@a.example;Administrator;;04D1B2C3D4E5F6;Tag Wim;;Customer A Depot\r\n";

fn request(
    app: &TestApp,
    method: &str,
    path: &str,
    cookie: Option<&str>,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> Request<Body> {
    let mut request = Request::builder().method(method).uri(path);
    if let Some(c) = cookie {
        let name = server::http::WebConfig::default().site.cookie_name();
        request = request.header(header::COOKIE, format!("{name}={c}"));
    }
    let _ = app;
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request
        .header(header::CONTENT_TYPE, "application/octet-stream")
        .body(Body::from(body))
        .unwrap()
}

async fn upload(
    app: &TestApp,
    cookie: Option<&str>,
    what: &str,
    query: &str,
    file: &[u8],
) -> (StatusCode, Vec<u8>, http::HeaderMap) {
    app.send(request(
        app,
        "POST",
        &format!("/api/passes/import/{what}?{query}"),
        cookie,
        &[],
        file.to_vec(),
    ))
    .await
}

async fn get(
    app: &TestApp,
    cookie: Option<&str>,
    path: &str,
) -> (StatusCode, Vec<u8>, http::HeaderMap) {
    app.send(request(app, "GET", path, cookie, &[], Vec::new()))
        .await
}

fn json<T: serde::de::DeserializeOwned>(body: &[u8]) -> T {
    serde_json::from_slice(body)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(body)))
}

#[tokio::test]
async fn everything_is_refused_to_whoever_does_not_administer_the_organization() {
    let f = fixture().await;
    let a = format!("org={}", f.org_a);
    for (who, cookie, expected) in [
        ("anonymous", None, StatusCode::UNAUTHORIZED),
        (
            "another branch's administrator",
            Some(&f.admin_b),
            StatusCode::NOT_FOUND,
        ),
        (
            "a sub-organization's administrator reaching up",
            Some(&f.admin_a1),
            StatusCode::NOT_FOUND,
        ),
        ("a cardholder", Some(&f.cardholder_a), StatusCode::NOT_FOUND),
    ] {
        let cookie = cookie.map(String::as_str);
        for what in ["preview", "errors"] {
            let (status, body, _) = upload(&f.app, cookie, what, &a, CSV.as_bytes()).await;
            assert_eq!(status, expected, "{who}: {what}");
            assert!(
                !String::from_utf8_lossy(&body).contains("Customer A"),
                "{who}"
            );
        }
        let (status, _, _) = upload(
            &f.app,
            cookie,
            "commit",
            &format!("{a}&name=x.csv"),
            CSV.as_bytes(),
        )
        .await;
        assert_eq!(status, expected, "{who}: commit");
        for path in [
            "export/passes.csv",
            "export/passes.xlsx",
            "template/template.xlsx",
        ] {
            let (status, _, _) = get(&f.app, cookie, &format!("/api/passes/{path}?{a}")).await;
            assert_eq!(status, expected, "{who}: {path}");
        }
    }
    // Nothing was imported by any of them.
    let (_, body, _) = get(
        &f.app,
        Some(&f.admin_a),
        &format!("/api/passes/export/passes.csv?{a}"),
    )
    .await;
    assert!(!String::from_utf8_lossy(&body).contains("ilse@a.example"));
    // Another site's page cannot make the administrator's browser upload with the cookie.
    let (status, _, _) = f
        .app
        .send(request(
            &f.app,
            "POST",
            &format!("/api/passes/import/commit?{a}&name=x.csv"),
            Some(&f.admin_a),
            &[("sec-fetch-site", "cross-site")],
            CSV.as_bytes().to_vec(),
        ))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "cross-site");
    let (_, body, _) = get(
        &f.app,
        Some(&f.admin_a),
        &format!("/api/passes/export/passes.csv?{a}"),
    )
    .await;
    assert!(!String::from_utf8_lossy(&body).contains("ilse@a.example"));
}

#[tokio::test]
async fn preview_commit_and_export_round_trip() {
    let f = fixture().await;
    let a = format!("org={}", f.org_a);
    // The template has the Organization column: Customer A has a sub-organization.
    let (status, template, headers) = get(
        &f.app,
        Some(&f.admin_a),
        &format!("/api/passes/template/template.csv?{a}"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        headers[header::CONTENT_DISPOSITION],
        "attachment; filename=\"passes-template-customer-a.csv\""
    );
    assert!(String::from_utf8_lossy(&template).contains("Hidden ID,Nickname,Mode,Organization"));

    let (status, body, _) = upload(&f.app, Some(&f.admin_a), "preview", &a, CSV.as_bytes()).await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    let preview: ImportPreview = json(&body);
    assert_eq!(preview.totals.new_passes, 3);
    assert_eq!(preview.totals.new_users, 2);
    assert_eq!(preview.rows[2].organization, "Customer A Depot");
    assert_eq!(
        preview.rows[0].outcome,
        RowOutcome::NewPass {
            user: UserOutcome::New,
            mode: shared::PassMode::Whitelist
        }
    );

    let (status, body, _) = upload(
        &f.app,
        Some(&f.admin_a),
        "commit",
        &format!("{a}&name=ilse.csv"),
        CSV.as_bytes(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    let done: ImportDone = json(&body);
    assert_eq!((done.new_passes, done.new_users, done.skipped), (3, 2, 0));

    for file in ["passes.csv", "passes.xlsx"] {
        let (status, exported, _) = get(
            &f.app,
            Some(&f.admin_a),
            &format!("/api/passes/export/{file}?{a}"),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{file}");
        let sheet = passfile::read(&exported).unwrap();
        assert_eq!(sheet.rows.len(), 3, "{file}");
        let cells: Vec<Vec<String>> = sheet.rows.iter().map(|r| r.cells.clone()).collect();
        assert!(
            cells.contains(&vec![
                "Wim".to_owned(),
                "Werk".to_owned(),
                "wim@a.example".to_owned(),
                "Administrator".to_owned(),
                String::new(),
                "04D1B2C3D4E5F6".to_owned(),
                "Tag Wim".to_owned(),
                "Whitelist".to_owned(),
                "Customer A Depot".to_owned(),
            ]),
            "{cells:?}"
        );
        // Imported again: everything is already there.
        let (status, body, _) = upload(
            &f.app,
            Some(&f.admin_a),
            "preview",
            &format!("{a}&mode=replace"),
            &exported,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{file}");
        let again: ImportPreview = json(&body);
        assert_eq!(again.totals.already_there, 3, "{file}");
        assert_eq!(
            (
                again.totals.new_passes,
                again.totals.errors,
                again.totals.deletions
            ),
            (0, 0, 0),
            "{file}"
        );
    }
}

#[tokio::test]
async fn errors_come_back_as_a_file_to_correct_and_nothing_is_imported() {
    let f = fixture().await;
    let a = format!("org={}", f.org_a);
    let file = "First name,Last name,E-mail,Hidden ID,Nickname\n\
                Ilse,Vermeer,ilse@a.example,04A1B2C3D4E5F6,Tag Ilse\n\
                Jan,Smit,not-an-email,4.12346E+12,Tag Jan\n";
    let (status, body, _) = upload(
        &f.app,
        Some(&f.admin_a),
        "commit",
        &format!("{a}&name=x.csv"),
        file.as_bytes(),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let refusal: ImportRefusal = json(&body);
    assert!(refusal
        .reason
        .starts_with("Nothing was imported: 1 row has an error."));
    let (status, body, headers) =
        upload(&f.app, Some(&f.admin_a), "errors", &a, file.as_bytes()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "text/csv; charset=utf-8");
    let sheet = passfile::read(&body).unwrap();
    assert_eq!(sheet.headers.last().unwrap(), "Error");
    assert_eq!(sheet.rows.len(), 1);
    let error = sheet.rows[0].cells.last().unwrap();
    assert!(
        error.starts_with("E-mail: ") && error.contains("Hidden ID: "),
        "{error}"
    );
    // Corrected, it imports.
    let fixed = "First name,Last name,E-mail,Hidden ID,Nickname,Error\n\
                 Ilse,Vermeer,ilse@a.example,04A1B2C3D4E5F6,Tag Ilse,\n\
                 Jan,Smit,jan@a.example,04E1B2C3D4E5F6,Tag Jan,\n";
    let (status, body, _) = upload(
        &f.app,
        Some(&f.admin_a),
        "commit",
        &format!("{a}&name=x.csv"),
        fixed.as_bytes(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
}

#[tokio::test]
async fn files_that_cannot_be_read_are_refused_with_the_reason() {
    let f = fixture().await;
    let a = format!("org={}", f.org_a);
    // Above the limit: refused from its declared length before it is read, or once the body passes the limit.
    let too_large = passfile::MAX_BYTES + 1;
    for (declared, says) in [
        (
            Some(too_large.to_string()),
            "The file is 10.1 MB; the limit is 10 MB.",
        ),
        (None, "The file is larger than 10 MB, the limit."),
    ] {
        let headers: Vec<(&str, &str)> = declared
            .as_deref()
            .map(|length| ("content-length", length))
            .into_iter()
            .collect();
        let (status, body, _) = f
            .app
            .send(request(
                &f.app,
                "POST",
                &format!("/api/passes/import/preview?{a}"),
                Some(&f.admin_a),
                &headers,
                vec![b'a'; too_large],
            ))
            .await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
        let body = String::from_utf8_lossy(&body);
        assert!(body.starts_with(says), "{body}");
    }
    for (file, says) in [
        (&b""[..], "The file is empty."),
        (&b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1rest"[..], "old Excel file"),
        (&b"Name,Card\nJan,1\n"[..], "is not a column of the import template"),
        (&b"First name,Last name,E-mail,Hidden ID,Nickname\nJos\xE9,X,j@a.example,04A1B2C3D4E5F6,T\n"[..], "Save the file as \"CSV UTF-8\""),
    ] {
        let (status, body, _) = upload(&f.app, Some(&f.admin_a), "preview", &a, file).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{says}");
        assert!(String::from_utf8_lossy(&body).contains(says), "{}", String::from_utf8_lossy(&body));
    }
    let (status, _, _) = upload(
        &f.app,
        Some(&f.admin_a),
        "preview",
        &format!("{a}&mode=merge"),
        CSV.as_bytes(),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn a_flood_of_uploads_is_served_in_turns_and_one_organization_imports_one_file_at_a_time() {
    let f = fixture().await;
    let a = format!("org={}", f.org_a);
    // Twenty previews at once: each answered in full, none dropped or failed.
    let previews = (0..20).map(|_| upload(&f.app, Some(&f.admin_a), "preview", &a, CSV.as_bytes()));
    for (status, body, _) in futures_util::future::join_all(previews).await {
        assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
        assert_eq!(json::<ImportPreview>(&body).totals.new_passes, 3);
    }
    // Two commits of the same file at once: the cards are imported once. The second is refused while the first
    // runs, or runs after it and finds everything there.
    let query = format!("{a}&name=x.csv");
    let (first, second) = tokio::join!(
        upload(&f.app, Some(&f.admin_a), "commit", &query, CSV.as_bytes()),
        upload(&f.app, Some(&f.partner), "commit", &query, CSV.as_bytes()),
    );
    let mut imported = 0;
    for (status, body, _) in [first, second] {
        match status {
            StatusCode::OK => imported += json::<ImportDone>(&body).new_passes,
            StatusCode::CONFLICT => {}
            other => panic!("{other}: {}", String::from_utf8_lossy(&body)),
        }
    }
    assert_eq!(imported, 3);
    let (_, exported, _) = get(
        &f.app,
        Some(&f.admin_a),
        &format!("/api/passes/export/passes.csv?{a}"),
    )
    .await;
    assert_eq!(passfile::read(&exported).unwrap().rows.len(), 3);
}
