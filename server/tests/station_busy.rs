//! A flood of station handshakes while password checks are saturated: each upgrade over the hashing limit is
//! answered at once with 503 and `Retry-After: 1` instead of queueing, and such refusals do not count as failed
//! handshakes. Its own test binary, because the hashing limit is per process and must be set before the first
//! hash. Station passwords now have a fast hash; the limit guards the argon2 hashes that earlier releases
//! stored (until each station's first log-in moves its hash to the fast scheme), so the station here has one.

mod common;

use shared::station::{ChargePointId, StationName, StationPassword};
use tokio_tungstenite::tungstenite;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;

/// Also the administrator's password ([`common::PASSWORD`]): the station gets a copy of its argon2 hash, as an
/// earlier release stored station passwords.
const STATION_PASSWORD: &str = common::PASSWORD;

async fn upgrade(url: &str) -> Result<(), (u16, Option<String>)> {
    use base64::Engine;
    let mut request = url.into_client_request().unwrap();
    let token =
        base64::engine::general_purpose::STANDARD.encode(format!("CP-BUSY:{STATION_PASSWORD}"));
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        HeaderValue::from_static("ocpp1.6"),
    );
    request.headers_mut().insert(
        "Authorization",
        HeaderValue::from_str(&format!("Basic {token}")).unwrap(),
    );
    match tokio_tungstenite::connect_async(request).await {
        Ok(_) => Ok(()),
        Err(tungstenite::Error::Http(response)) => Err((
            response.status().as_u16(),
            response
                .headers()
                .get("retry-after")
                .map(|v| v.to_str().unwrap().to_owned()),
        )),
        Err(other) => panic!("expected an upgrade or an HTTP refusal, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn station_handshakes_over_the_hashing_limit_get_503_at_once() {
    // One password check at a time (and four waiting): the smallest limit, before the first hash.
    assert!(storage::set_hash_concurrency(1));
    let (test_db, db) = common::fresh_db().await;
    let (_, admin, _) = common::partner_admin(&db).await;
    let station = admin
        .add_station(
            &ChargePointId::parse("CP-BUSY").unwrap(),
            &StationName::parse("Busy charger").unwrap(),
            Some(&StationPassword::parse(STATION_PASSWORD).unwrap()),
        )
        .await
        .unwrap();
    // The argon2 hash of the same password, from the administrator's account.
    let raw = test_db.raw().await;
    sqlx::query(
        "UPDATE stations SET password_hash = \
         (SELECT password_hash FROM users WHERE email = 'pat@volta.example') WHERE id = $1",
    )
    .bind(station.0)
    .execute(&raw)
    .await
    .unwrap();
    let hash: String = sqlx::query_scalar("SELECT password_hash FROM stations WHERE id = $1")
        .bind(station.0)
        .fetch_one(&raw)
        .await
        .unwrap();
    assert!(hash.starts_with("$argon2"), "{hash}");
    let router = server::router_with(
        db.clone(),
        server::leptos_options().unwrap(),
        server::central_system::OcppConfig {
            local_list_sync: false,
            ..Default::default()
        },
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        server::http::serve(listener, router, std::future::pending())
            .await
            .unwrap();
    });
    let url = format!("ws://{addr}/ocpp/CP-BUSY");

    // Many stations at once, all with the right password.
    let attempts: Vec<_> = (0..100)
        .map(|_| {
            let url = url.clone();
            tokio::spawn(async move { upgrade(&url).await })
        })
        .collect();
    let mut busy = 0;
    for attempt in attempts {
        match attempt.await.unwrap() {
            Ok(()) => {}
            Err((503, retry_after)) => {
                assert_eq!(retry_after.as_deref(), Some("1"));
                busy += 1;
            }
            Err(other) => panic!("expected 101 or 503, got {other:?}"),
        }
    }
    assert!(
        busy > 0,
        "100 password checks at once, one at a time: some are refused"
    );

    // "Busy" is not a failed handshake: the address is not limited afterwards.
    upgrade(&url)
        .await
        .expect("a station connects once the checks are done");
    task.abort();
}
