//! A station is who it says it is: over real WebSockets on loopback against the real router, a station logs in
//! with the password "+ Add Station" generated and showed once, connects without one only where an
//! administrator explicitly allowed it, and cannot connect at all with neither. Attackers (a cardholder, another
//! tenant's administrator) can neither generate a password nor flip the choice for a station that is not theirs,
//! and learn nothing from trying.

mod common;

use app::AppError;
use common::{TestApp, TestDb, PASSWORD};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use shared::role::Role;
use shared::station::{ChargePointId, StationName, StationPassword, GENERATED_PASSWORD_LEN};
use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Serves `router` on a loopback port with the peer address known, as the binary does.
async fn serve(router: axum::Router) -> (SocketAddr, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap();
    });
    (addr, task)
}

/// Opens an OCPP 1.6J connection to `/ocpp/{cp}`, with HTTP Basic credentials `cp:password` if given.
async fn connect(
    addr: SocketAddr,
    cp: &str,
    password: Option<&str>,
) -> Result<Socket, tungstenite::Error> {
    let mut request = format!("ws://{addr}/ocpp/{cp}")
        .into_client_request()
        .unwrap();
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        HeaderValue::from_static("ocpp1.6"),
    );
    if let Some(password) = password {
        use base64::Engine;
        let token = base64::engine::general_purpose::STANDARD.encode(format!("{cp}:{password}"));
        request.headers_mut().insert(
            "Authorization",
            HeaderValue::from_str(&format!("Basic {token}")).unwrap(),
        );
    }
    tokio_tungstenite::connect_async(request)
        .await
        .map(|(socket, _)| socket)
}

/// The HTTP status of a refused handshake, and whether it asked for Basic credentials.
async fn refused(addr: SocketAddr, cp: &str, password: Option<&str>) -> (u16, bool) {
    match connect(addr, cp, password).await {
        Err(tungstenite::Error::Http(response)) => (
            response.status().as_u16(),
            response
                .headers()
                .get("www-authenticate")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.starts_with("Basic")),
        ),
        Err(other) => panic!("{cp}: expected an HTTP refusal, got {other:?}"),
        Ok(_) => panic!("{cp}: connected, but must be refused"),
    }
}

/// A Heartbeat answered: the connection is open and talking.
async fn heartbeat(socket: &mut Socket) {
    socket
        .send(Message::Text(
            json!([2, "hb", "Heartbeat", {}]).to_string().into(),
        ))
        .await
        .unwrap();
    loop {
        let message = tokio::time::timeout(Duration::from_secs(10), socket.next())
            .await
            .expect("an answer within 10 s")
            .expect("connection open")
            .expect("a frame");
        if let Message::Text(text) = message {
            let answer: Value = serde_json::from_str(text.as_str()).unwrap();
            assert_eq!(answer[0], 3, "a CALLRESULT: {answer}");
            assert!(answer[2]["currentTime"].is_string(), "{answer}");
            return;
        }
    }
}

#[tokio::test]
async fn a_station_needs_its_password_and_with_neither_password_nor_choice_cannot_connect() {
    let test_db = TestDb::new().await;
    let db = test_db.open().await;
    let config = server::central_system::OcppConfig {
        // A raw socket plays the station here and answers no CALL: the list sync is tests/local_list.rs'.
        local_list_sync: false,
        // This test fails handshakes on purpose; the per-address limit is tested elsewhere.
        handshake_failures_per_min: NonZeroU32::new(1000).unwrap(),
        ..Default::default()
    };
    let (addr, task) = serve(server::router_with(
        db.clone(),
        server::leptos_options().unwrap(),
        config,
    ))
    .await;
    let (_, admin, _) = common::partner_admin(&db).await;
    let password = StationPassword::parse("gate-station-key-0001").unwrap();
    let add = |cp: &'static str, password: Option<StationPassword>| {
        let admin = &admin;
        async move {
            admin
                .add_station(
                    &ChargePointId::parse(cp).unwrap(),
                    &StationName::parse("Gate").unwrap(),
                    password.as_ref(),
                )
                .await
                .unwrap()
        }
    };
    let locked = add("CP-LOCKED", Some(password.clone())).await;
    add("CP-OPEN", None).await;
    add("CP-GATE", Some(password.clone())).await;

    // With a password: only that password lets the station in.
    assert_eq!(refused(addr, "CP-GATE", None).await, (401, true));
    assert_eq!(
        refused(addr, "CP-GATE", Some("not-the-station-key")).await,
        (401, true)
    );
    heartbeat(
        &mut connect(addr, "CP-GATE", Some(password.as_str()))
            .await
            .unwrap(),
    )
    .await;
    // Allowed to connect without one: it does, with or without credentials.
    heartbeat(&mut connect(addr, "CP-OPEN", None).await.unwrap()).await;

    // Neither a password nor the choice (made here in the database directly; ChargeDesk never leaves a
    // station so): refused like a wrong password, whatever the station sends.
    let raw = test_db.raw().await;
    sqlx::query("UPDATE stations SET password_hash = NULL WHERE id = $1")
        .bind(locked.0)
        .execute(&raw)
        .await
        .unwrap();
    for attempt in [
        None,
        Some(""),
        Some(password.as_str()),
        Some("anything-at-all-0000"),
    ] {
        assert_eq!(
            refused(addr, "CP-LOCKED", attempt).await,
            (401, true),
            "{attempt:?}"
        );
    }
    task.abort();
}

/// `org`'s administrator adds a station over HTTP; returns its id and what the form showed.
async fn add_station(
    app: &TestApp,
    cookie: &str,
    org: shared::OrgId,
    cp: &str,
    allow_unauthenticated: bool,
) -> (String, Value) {
    let added: Value = app
        .call(
            Some(cookie),
            "add_station",
            &[
                ("org", &org.to_string()),
                ("charge_point_id", cp),
                ("name", "Depot charger"),
                ("allow_unauthenticated", &allow_unauthenticated.to_string()),
            ],
        )
        .await
        .expect("add station");
    (added["id"].as_i64().unwrap().to_string(), added)
}

#[tokio::test]
async fn the_password_shown_once_lets_the_station_in_and_outsiders_cannot_change_it() {
    let app = TestApp::new().await;
    let (addr, task) = serve(app.router()).await;
    let (root, _) = app.partner("Volta Partners", "pat@volta.example").await;
    let partner = app.login("pat@volta.example", PASSWORD).await;
    let org_a = app.sub_org(&partner, root, "Customer A").await;
    let org_b = app.sub_org(&partner, root, "Customer B").await;
    app.member(&partner, org_a, "driver@a.example", Role::Cardholder)
        .await;
    app.member(&partner, org_b, "admin@b.example", Role::Administrator)
        .await;
    let cardholder = app.login("driver@a.example", PASSWORD).await;
    let admin_b = app.login("admin@b.example", PASSWORD).await;

    // "+ Add Station" without the opt-in: a generated password, shown in the answer and nowhere else.
    let (station, added) = add_station(&app, &partner, org_a, "CP-A-1", false).await;
    let password = added["password"].as_str().expect("a generated password");
    assert_eq!(password.len(), GENERATED_PASSWORD_LEN);
    StationPassword::parse(password).unwrap();
    let detail: Value = app
        .call(
            Some(&partner),
            "get_station",
            &[("org", &org_a.to_string()), ("station", &station)],
        )
        .await
        .unwrap();
    assert!(!detail.to_string().contains(password));
    assert_eq!(detail["summary"]["has_password"], true);
    assert_eq!(detail["summary"]["unauthenticated_allowed"], Value::Null);
    // Two stations never get the same one.
    let (_, other) = add_station(&app, &partner, org_a, "CP-A-2", false).await;
    assert_ne!(other["password"].as_str().unwrap(), password);

    // The station logs in with it; without it, it is refused.
    assert_eq!(refused(addr, "CP-A-1", None).await, (401, true));
    let mut live = connect(addr, "CP-A-1", Some(password)).await.unwrap();
    heartbeat(&mut live).await;

    // With the opt-in: no password, connects without one, and the choice is visible.
    let (open_station, added) = add_station(&app, &partner, org_a, "CP-A-OPEN", true).await;
    assert_eq!(added["password"], Value::Null);
    heartbeat(&mut connect(addr, "CP-A-OPEN", None).await.unwrap()).await;
    let detail: Value = app
        .call(
            Some(&partner),
            "get_station",
            &[("org", &org_a.to_string()), ("station", &open_station)],
        )
        .await
        .unwrap();
    assert_eq!(
        detail["summary"]["unauthenticated_allowed"]["by"],
        "Pat Partner"
    );

    // The attackers: A's cardholder on A, and B's administrator on A and on B with A's station. Each gets
    // exactly the bytes a missing organization or station gets.
    let a = org_a.to_string();
    let b = org_b.to_string();
    for endpoint in ["generate_station_password", "set_station_unauthenticated"] {
        let args = |org: &str, station: &str| {
            let mut args = vec![("org", org.to_owned()), ("station", station.to_owned())];
            if endpoint == "set_station_unauthenticated" {
                args.push(("allowed", "true".to_owned()));
            }
            args
        };
        let post = |cookie: &str, form: Vec<(&'static str, String)>| {
            let app = &app;
            let cookie = cookie.to_owned();
            async move {
                let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
                let (status, body, _) = app.post(Some(&cookie), endpoint, &form).await;
                (status, body)
            }
        };
        for (who, cookie, org, expected) in [
            ("cardholder of A", &cardholder, &a, AppError::NoAccess),
            ("administrator of B", &admin_b, &a, AppError::NoAccess),
            (
                "administrator of B",
                &admin_b,
                &b,
                AppError::NotFound {
                    what: "station".into(),
                },
            ),
        ] {
            let (status, body) = post(cookie, args(org, &station)).await;
            let reply: Result<Value, AppError> = common::decode(status, &body);
            assert_eq!(reply.unwrap_err(), expected, "{who} → {endpoint} on {org}");
            let missing = if *org == b {
                args(org, "987654")
            } else {
                args("987654", &station)
            };
            assert_eq!(
                (status, body),
                post(cookie, missing).await,
                "{who} → {endpoint}: a foreign and a missing target must look alike"
            );
        }
    }
    // Nothing changed: the open connection still talks, and the password still lets the station in.
    heartbeat(&mut live).await;
    heartbeat(&mut connect(addr, "CP-A-1", Some(password)).await.unwrap()).await;

    // The administrator flips the choice: no password needed; flipping back generates a new one, once.
    let allowed: Result<Option<String>, AppError> = app
        .call(
            Some(&partner),
            "set_station_unauthenticated",
            &[("org", &a), ("station", &station), ("allowed", "true")],
        )
        .await;
    assert_eq!(allowed.unwrap(), None);
    heartbeat(&mut connect(addr, "CP-A-1", None).await.unwrap()).await;
    let required: Result<Option<String>, AppError> = app
        .call(
            Some(&partner),
            "set_station_unauthenticated",
            &[("org", &a), ("station", &station), ("allowed", "false")],
        )
        .await;
    let new_password = required.unwrap().expect("a new password");
    assert_ne!(new_password, password);
    assert_eq!(refused(addr, "CP-A-1", None).await, (401, true));
    assert_eq!(refused(addr, "CP-A-1", Some(password)).await, (401, true));
    heartbeat(&mut connect(addr, "CP-A-1", Some(&new_password)).await.unwrap()).await;

    // "Generate new password": the previous one stops working.
    let generated: Result<String, AppError> = app
        .call(
            Some(&partner),
            "generate_station_password",
            &[("org", &a), ("station", &station)],
        )
        .await;
    let generated = generated.unwrap();
    assert_eq!(
        refused(addr, "CP-A-1", Some(&new_password)).await,
        (401, true)
    );
    heartbeat(&mut connect(addr, "CP-A-1", Some(&generated)).await.unwrap()).await;
    task.abort();
}
