//! A flood of station handshakes while password checks are saturated: each upgrade over the hashing limit is
//! answered at once with 503 and `Retry-After: 1` instead of queueing, and such refusals do not count as failed
//! handshakes. Its own test binary, because the hashing limit is per process and must be set before the first
//! hash. Station passwords now have a fast hash; the limit guards the argon2 hashes that earlier releases
//! stored (until each station's first log-in moves its hash to the fast scheme), so the stations here have one.
//! The flood is 100 different stations, each with its own argon2 hash: a single station's first successful
//! log-in would move its hash to the fast scheme and let the rest of the flood through without hashing (a race
//! the test once lost on a busy machine).

mod common;

use shared::station::{ChargePointId, StationName, StationPassword};
use tokio_tungstenite::tungstenite;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;

/// Also the administrator's password ([`common::PASSWORD`]): the station gets a copy of its argon2 hash, as an
/// earlier release stored station passwords.
const STATION_PASSWORD: &str = common::PASSWORD;

/// The number of stations in the flood, each connecting once.
const STATIONS: usize = 100;

fn station_id(n: usize) -> String {
    format!("CP-BUSY-{n}")
}

async fn upgrade(base: &str, station: &str) -> Result<(), (u16, Option<String>)> {
    use base64::Engine;
    let mut request = format!("{base}/{station}").into_client_request().unwrap();
    let token =
        base64::engine::general_purpose::STANDARD.encode(format!("{station}:{STATION_PASSWORD}"));
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
    for n in 0..STATIONS {
        admin
            .add_station(
                &ChargePointId::parse(&station_id(n)).unwrap(),
                &StationName::parse(&format!("Busy charger {n}")).unwrap(),
                Some(&StationPassword::parse(STATION_PASSWORD).unwrap()),
            )
            .await
            .unwrap();
    }
    // The argon2 hash of the same password, from the administrator's account, for every station.
    let raw = test_db.raw().await;
    sqlx::query(
        "UPDATE stations SET password_hash = \
         (SELECT password_hash FROM users WHERE email = 'pat@volta.example') \
         WHERE charge_point_id LIKE 'CP-BUSY-%'",
    )
    .execute(&raw)
    .await
    .unwrap();
    let hashes: Vec<String> = sqlx::query_scalar(
        "SELECT password_hash FROM stations WHERE charge_point_id LIKE 'CP-BUSY-%'",
    )
    .fetch_all(&raw)
    .await
    .unwrap();
    assert_eq!(hashes.len(), STATIONS);
    assert!(
        hashes.iter().all(|h| h.starts_with("$argon2")),
        "{hashes:?}"
    );
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
    let base = format!("ws://{addr}/ocpp");

    // Many stations at once, all with the right password, each needing an argon2 check.
    let attempts: Vec<_> = (0..STATIONS)
        .map(|n| {
            let base = base.clone();
            tokio::spawn(async move { upgrade(&base, &station_id(n)).await })
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
    upgrade(&base, &station_id(0))
        .await
        .expect("a station connects once the checks are done");
    task.abort();
}
