//! The load mode end to end, small (CI): the real server in-process on a fresh database (SQLite, or
//! PostgreSQL with CHARGEDESK_TEST_PG_URL), seeded by `storage::load_test`, driven by [`sim::load::run_load`]
//! for about five seconds: every station boots, heartbeats and Authorize requests are answered, all Accepted,
//! without an error or a timeout. No timing is asserted.

use shared::station::StationPassword;
use sim::load::{run_load, Action, LoadConfig, Scenario};
use std::time::Duration;
use storage::load_test::{id_tag, station_id};
use storage::test_support::TestDb;

const STATIONS: u32 = 50;
const PASSES: u32 = 20;
const PASSWORD: &str = "load-smoke-station-key";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_seeded_stations_boot_heartbeat_and_authorize_without_an_error() {
    let test_db = TestDb::new().await;
    let db = test_db.open().await;
    db.seed_load_test(STATIONS, PASSES, &StationPassword::parse(PASSWORD).unwrap())
        .await
        .unwrap();
    let router = server::router_with(
        db.clone(),
        server::leptos_options().unwrap(),
        server::central_system::OcppConfig::default(),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let serving = tokio::spawn(async move {
        server::http::serve(listener, router, std::future::pending())
            .await
            .unwrap();
    });

    let config = LoadConfig {
        url: format!("ws://{addr}/ocpp"),
        station_ids: (1..=STATIONS).map(station_id).collect(),
        password: Some(PASSWORD.to_owned()),
        ramp: Duration::from_secs(1),
        heartbeat: Duration::from_secs(1),
        authorize_rate: 10.0,
        id_tags: (1..=PASSES).map(id_tag).collect(),
        duration: Duration::from_secs(5),
        scenario: Scenario::Steady,
        timeout: Duration::from_secs(10),
    };
    let report = tokio::time::timeout(Duration::from_secs(60), run_load(&config))
        .await
        .expect("the load run ends")
        .unwrap();
    serving.abort();

    assert_eq!(report.errors(), 0, "{report}");
    assert_eq!(report.timeouts(), 0, "{report}");
    assert_eq!(report.connected, u64::from(STATIONS), "{report}");
    assert_eq!(report.booted, u64::from(STATIONS), "{report}");
    assert_eq!(report.action(Action::Boot).answered, u64::from(STATIONS));
    // Scheduled from the end of the ramp (1 s) to the end (5 s) at 10 per second, each one sent and answered
    // however late.
    assert_eq!(report.action(Action::Authorize).answered, 40, "{report}");
    assert!(report.action(Action::Heartbeat).answered > 0, "{report}");
    // What the server stored: a decision per Authorize, all Accepted (each one answered once queued, stored with
    // the log writer's next batch).
    let raw = test_db.raw().await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let decisions: i64 = sqlx_count(
            &raw,
            "SELECT COUNT(*) FROM authorization_decisions WHERE action = 'Authorize' AND status = 'Accepted'",
        )
        .await;
        if decisions == 40 {
            break;
        }
        assert!(decisions < 40, "{decisions}");
        assert!(
            tokio::time::Instant::now() < deadline,
            "{decisions} of 40 decisions stored"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn sqlx_count(raw: &sqlx::AnyPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(raw).await.unwrap()
}
