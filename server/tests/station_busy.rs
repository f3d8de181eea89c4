//! A flood of station handshakes while password checks are saturated: each upgrade over the hashing limit is
//! answered at once with 503 and `Retry-After: 1` instead of queueing, and such refusals do not count as failed
//! handshakes. Its own test binary, because the hashing limit is per process and must be set before the first
//! hash.

mod common;

use shared::station::{ChargePointId, StationName, StationPassword};
use tokio_tungstenite::tungstenite;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;

const STATION_PASSWORD: &str = "s3cret-station-key";

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
    let (_dir, db) = common::fresh_db().await;
    let (_, admin, _) = common::partner_admin(&db).await;
    admin
        .add_station(
            &ChargePointId::parse("CP-BUSY").unwrap(),
            &StationName::parse("Busy charger").unwrap(),
            Some(&StationPassword::parse(STATION_PASSWORD).unwrap()),
        )
        .await
        .unwrap();
    let router = server::router_with(
        db.clone(),
        server::leptos_options().unwrap(),
        server::central_system::OcppConfig::default(),
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
