//! Operability: configuration mistakes refused in one line (the built binary), the load balancer's probes
//! `/healthz` and `/readyz`, request ids, and JSON logs carrying the request's and the station's ids. What is
//! not about SQLite files on purpose runs on a fresh database of each test's own (SQLite, or PostgreSQL with
//! CHARGEDESK_TEST_PG_URL: [`storage::test_support`]).

mod common;

use axum::body::Body;
use axum::Router;
use common::cli::{refusal, run, server};
use http::{Request, StatusCode};
use http_body_util::BodyExt;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::Duration;
use storage::test_support::{postgres_admin_url, TestDb};
use storage::Db;
use tower::ServiceExt;

// --- Configuration mistakes -------------------------------------------------------------------------------

/// A loopback port on which nothing listens.
fn closed_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn a_database_url_of_another_kind_is_refused_without_its_password() {
    let dir = tempfile::tempdir().unwrap();
    let mut command = server(dir.path());
    command
        .env(
            "DATABASE_URL",
            "mysql://charge:s3cret-pw@db.example/chargedesk",
        )
        .arg("outbox");
    let line = refusal(&run(command));
    assert_eq!(
        line,
        "DATABASE_URL mysql://charge:***@db.example/chargedesk: expected sqlite://… or postgres://…"
    );
    // Not a URL at all, given as the flag.
    let mut command = server(dir.path());
    command.args(["--database-url", "chargedesk.db", "outbox"]);
    assert_eq!(
        refusal(&run(command)),
        "DATABASE_URL chargedesk.db: expected sqlite://… or postgres://…"
    );
}

#[test]
fn an_unreachable_postgresql_is_named_by_host_and_port_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let port = closed_port();
    let mut command = server(dir.path());
    command
        .env(
            "DATABASE_URL",
            format!("postgres://chargedesk:s3cret-pw@127.0.0.1:{port}/chargedesk"),
        )
        .arg("outbox");
    let line = refusal(&run(command));
    assert_eq!(
        line,
        format!(
            "DATABASE_URL postgres://chargedesk:***@127.0.0.1:{port}/chargedesk: connection refused by \
             127.0.0.1:{port}: is PostgreSQL running there, and are host and port right?"
        )
    );
}

#[test]
fn a_server_that_does_not_speak_postgresql_is_named() {
    let dir = tempfile::tempdir().unwrap();
    // Accepts connections and closes them at once, as a wrong service (or a proxy refusing us) would.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            drop(stream);
        }
    });
    let mut command = server(dir.path());
    command
        .env(
            "DATABASE_URL",
            format!("postgresql://chargedesk:s3cret-pw@127.0.0.1:{port}/chargedesk"),
        )
        .arg("outbox");
    let line = refusal(&run(command));
    assert!(
        line.starts_with(&format!(
            "DATABASE_URL postgresql://chargedesk:***@127.0.0.1:{port}/chargedesk: "
        )),
        "{line}"
    );
    assert!(line.contains("closed the connection"), "{line}");
    assert!(!line.contains("s3cret"), "{line}");
}

#[test]
fn a_data_directory_that_cannot_be_created_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("data"),
        "a file where the directory should be",
    )
    .unwrap();
    let mut command = server(dir.path());
    command.args(["--data-dir", "data/chargedesk", "outbox"]);
    assert_eq!(
        refusal(&run(command)),
        "data directory data/chargedesk: cannot create the directory: a file of that name is in the way"
    );
    // The same through the environment.
    let mut command = server(dir.path());
    command
        .env("CHARGEDESK_DATA_DIR", "data/chargedesk")
        .arg("outbox");
    assert!(refusal(&run(command)).starts_with("data directory data/chargedesk: cannot create"));
}

#[test]
fn a_file_that_is_not_a_database_is_refused_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    std::fs::write(
        data.join("chargedesk.db"),
        "these are somebody's notes, not a database\n".repeat(100),
    )
    .unwrap();
    let mut command = server(dir.path());
    command.arg("outbox");
    assert_eq!(
        refusal(&run(command)),
        "data directory data: data/chargedesk.db is not a ChargeDesk database (not an SQLite file): point to \
         another file or directory"
    );
    // A sqlite: URL naming that file, or a directory.
    let file = data.join("chargedesk.db");
    let mut command = server(dir.path());
    command
        .env("DATABASE_URL", format!("sqlite://{}", file.display()))
        .arg("outbox");
    assert!(refusal(&run(command)).ends_with(
        "is not a ChargeDesk database (not an SQLite file): point to another file or directory"
    ));
    let mut command = server(dir.path());
    command
        .env("DATABASE_URL", format!("sqlite://{}", data.display()))
        .arg("outbox");
    assert_eq!(
        refusal(&run(command)),
        format!(
            "DATABASE_URL sqlite://{0}: {0} is a directory, not a database file",
            data.display()
        )
    );
}

#[test]
fn a_sqlite_file_in_a_missing_directory_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/missing/chargedesk.db", dir.path().display());
    let mut command = server(dir.path());
    command.env("DATABASE_URL", &url).arg("outbox");
    assert_eq!(
        refusal(&run(command)),
        format!(
            "DATABASE_URL {url}: the database file cannot be created or opened there: check that the \
             directory exists and this user may write to it"
        )
    );
}

#[tokio::test]
async fn a_database_migrated_by_a_newer_chargedesk_is_refused() {
    let test_db = TestDb::new().await;
    drop(test_db.open().await);
    // What a newer ChargeDesk leaves behind: a migration this binary does not have.
    let pool = test_db.raw().await;
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES (99990001, 'from the future', TRUE, $1, 1)",
    )
    .bind(vec![0u8])
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;

    let mut command = server(test_db.dir.path());
    command.args(test_db.server_args()).arg("outbox");
    let setting = if test_db.is_postgres() {
        format!("DATABASE_URL {}", test_db.url)
    } else {
        format!("data directory {}", test_db.dir.path().display())
    };
    assert_eq!(
        refusal(&run(command)),
        format!(
            "{setting}: the database was migrated by a newer ChargeDesk (migration 99990001 is unknown to \
             this version): run that version or a newer one"
        )
    );
}

#[test]
fn an_invalid_or_taken_listen_address_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut command = server(dir.path());
    command
        .env("LEPTOS_SITE_ADDR", "localhost:three-thousand")
        .arg("serve");
    assert_eq!(
        refusal(&run(command)),
        "LEPTOS_SITE_ADDR=localhost:three-thousand: expected an IP address and port such as 127.0.0.1:3000"
    );

    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap();
    let mut command = server(dir.path());
    command
        .env("LEPTOS_SITE_ADDR", addr.to_string())
        .arg("serve");
    assert_eq!(
        refusal(&run(command)),
        format!(
            "LEPTOS_SITE_ADDR {addr}: cannot listen there: the address is already in use (another ChargeDesk?)"
        )
    );
}

#[test]
fn an_unknown_log_format_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut command = server(dir.path());
    command.env("CHARGEDESK_LOG_FORMAT", "xml").arg("outbox");
    assert_eq!(
        refusal(&run(command)),
        "CHARGEDESK_LOG_FORMAT=xml: expected text or json"
    );
}

/// The PostgreSQL server of the PostgreSQL runs (`CHARGEDESK_TEST_PG_URL`, see scripts/pg.sh), with its
/// database name cut off: `postgres://user@host:port`. `None` on a SQLite-only run.
fn postgres_server() -> Option<String> {
    let admin = postgres_admin_url()?;
    let base = admin.split('?').next().unwrap_or_default();
    let authority = base.find("://").map_or(0, |i| i + 3);
    Some(match base[authority..].find('/') {
        Some(slash) => base[..authority + slash].to_owned(),
        None => base.to_owned(),
    })
}

#[test]
fn postgresql_refusing_the_role_or_missing_the_database_is_named() {
    let Some(server_url) = postgres_server() else {
        eprintln!("CHARGEDESK_TEST_PG_URL not set: PostgreSQL refusals not tested in this run");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (scheme, rest) = server_url.split_once("://").unwrap();
    let host = rest.rsplit('@').next().unwrap();
    let mut command = server(dir.path());
    command
        .env(
            "DATABASE_URL",
            format!("{scheme}://no_such_role:s3cret-pw@{host}/postgres"),
        )
        .arg("outbox");
    assert_eq!(
        refusal(&run(command)),
        format!(
            "DATABASE_URL {scheme}://no_such_role:***@{host}/postgres: authentication failed (role \"no_such_role\" \
             does not exist): check the user name and password in the URL, and pg_hba.conf"
        )
    );
    let mut command = server(dir.path());
    command
        .env("DATABASE_URL", format!("{server_url}/no_such_database"))
        .arg("outbox");
    assert_eq!(
        refusal(&run(command)),
        format!(
            "DATABASE_URL {server_url}/no_such_database: database \"no_such_database\" does not exist: create it \
             first (createdb), or fix the name in the URL"
        )
    );
}

// --- /healthz and /readyz ---------------------------------------------------------------------------------

async fn app() -> (TestDb, Db, Router) {
    app_with(server::http::WebConfig::default()).await
}

async fn app_with(web: server::http::WebConfig) -> (TestDb, Db, Router) {
    let test_db = TestDb::new().await;
    let db = test_db.open().await;
    let options = server::leptos_options().unwrap();
    let router = server::router_for(
        db.clone(),
        options,
        server::central_system::OcppConfig {
            local_list_sync: false,
            ..server::central_system::OcppConfig::from_env()
        },
        web,
    );
    (test_db, db, router)
}

/// The TCP peer of the test's requests.
const PEER: &str = "127.0.0.1:50000";

async fn get(
    router: &Router,
    path: &str,
    headers: &[(&str, &str)],
) -> (StatusCode, String, http::HeaderMap) {
    let mut request = Request::get(path);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let mut request = request.body(Body::empty()).unwrap();
    request.extensions_mut().insert(axum::extract::ConnectInfo(
        PEER.parse::<SocketAddr>().unwrap(),
    ));
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8(body.to_vec()).unwrap(), headers)
}

#[tokio::test]
async fn a_fresh_database_is_ready_and_probes_need_nothing() {
    let (_dir, _db, router) = app().await;
    // No session, no origin rules (a load balancer sends neither cookies nor same-origin headers), and a
    // probe every second must never be turned away: many in a row all pass.
    for _ in 0..30 {
        let (status, body, headers) = get(&router, "/healthz", &[]).await;
        assert_eq!((status, body.as_str()), (StatusCode::OK, "ok"));
        assert_eq!(headers.get("cache-control").unwrap(), "no-store");
        let (status, body, _) = get(&router, "/readyz", &[("sec-fetch-site", "cross-site")]).await;
        assert_eq!((status, body.as_str()), (StatusCode::OK, "ready"));
    }
}

#[tokio::test]
async fn a_closed_pool_is_not_ready_but_the_process_is_healthy() {
    let (_dir, db, router) = app().await;
    db.close().await;
    let (status, body, headers) = get(&router, "/readyz", &[]).await;
    assert_eq!(
        (status, body.as_str()),
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "not ready: database unreachable"
        )
    );
    assert_eq!(headers.get("cache-control").unwrap(), "no-store");
    let (status, body, _) = get(&router, "/healthz", &[]).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "ok"));
}

#[tokio::test]
async fn a_missing_migration_is_not_ready() {
    let (test_db, _db, router) = app().await;
    // The newest migration is not applied (as when an older binary's database is served before migrating).
    let pool = test_db.raw().await;
    sqlx::query(
        "DELETE FROM _sqlx_migrations WHERE version = (SELECT MAX(version) FROM _sqlx_migrations)",
    )
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;
    let (status, body, _) = get(&router, "/readyz", &[]).await;
    assert_eq!(
        (status, body.as_str()),
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "not ready: database migrations pending"
        )
    );
}

#[tokio::test]
async fn probes_answer_only_get_and_reveal_nothing_more() {
    let (_dir, db, router) = app().await;
    for path in ["/healthz", "/readyz"] {
        let response = router
            .clone()
            .oneshot(Request::post(path).body(Body::from("x")).unwrap())
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED, "{path}");
    }
    // A query string changes nothing; the not-ready answer is a fixed category, not the database's error.
    db.close().await;
    let (status, body, headers) = get(&router, "/readyz?verbose=1&debug=true", &[]).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body, "not ready: database unreachable");
    assert!(headers.get("set-cookie").is_none());
}

// --- Request ids -----------------------------------------------------------------------------------------

#[tokio::test]
async fn every_answer_carries_a_request_id() {
    // The peer is a trusted proxy: its request ids are kept.
    let (_dir, _db, router) = app_with(server::http::WebConfig {
        trusted_proxies: vec!["127.0.0.1".parse().unwrap()],
        ..server::http::WebConfig::default()
    })
    .await;
    let (_, _, headers) = get(&router, "/healthz", &[("x-request-id", "lb-4711")]).await;
    assert_eq!(headers.get("x-request-id").unwrap(), "lb-4711");
    // Without one, a new UUID; a different one each time.
    let (_, _, first) = get(&router, "/healthz", &[]).await;
    let (_, _, second) = get(&router, "/login", &[]).await;
    let first = first
        .get("x-request-id")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    let second = second
        .get("x-request-id")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(first.len(), 36, "{first}");
    assert_eq!(first.matches('-').count(), 4, "{first}");
    assert_ne!(first, second);
    // Also on answers the security middleware gives itself (a cross-site call of a server function).
    let mut request = Request::post("/api/login")
        .header("sec-fetch-site", "cross-site")
        .header("x-request-id", "lb-4712")
        .body(Body::empty())
        .unwrap();
    request.extensions_mut().insert(axum::extract::ConnectInfo(
        PEER.parse::<SocketAddr>().unwrap(),
    ));
    let response = router.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(response.headers().get("x-request-id").unwrap(), "lb-4712");
}

#[tokio::test]
async fn a_client_cannot_choose_its_request_id() {
    // No trusted proxies: the peer is a client, whose id could pose as another request's in the logs.
    let (_dir, _db, router) = app().await;
    let (status, _, headers) = get(&router, "/healthz", &[("x-request-id", "lb-4711")]).await;
    assert_eq!(status, StatusCode::OK);
    let id = headers.get("x-request-id").unwrap().to_str().unwrap();
    assert_ne!(id, "lb-4711");
    assert_eq!(id.len(), 36, "{id}");
}

// --- JSON logs -------------------------------------------------------------------------------------------

/// A running `server` with JSON logs, its standard output read line by line.
struct Running {
    child: Child,
    lines: mpsc::Receiver<String>,
    addr: SocketAddr,
    _db: TestDb,
}

impl Running {
    /// Starts `server <args>` on a fresh database.
    async fn start(args: &[&str]) -> Running {
        let test_db = TestDb::new().await;
        let mut command = server(test_db.dir.path());
        command
            .args(test_db.server_args())
            .env("CHARGEDESK_LOG_FORMAT", "json")
            .env("RUST_LOG", "info,tower_http=debug")
            .env("LEPTOS_SITE_ADDR", "127.0.0.1:0")
            // The tests' requests come from loopback, as through a proxy on this machine.
            .env("CHARGEDESK_TRUSTED_PROXIES", "127.0.0.1")
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        let mut child = command.spawn().expect("start the server");
        let stdout = child.stdout.take().unwrap();
        let (send, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        let mut running = Running {
            child,
            lines,
            addr: "127.0.0.1:0".parse().unwrap(),
            _db: test_db,
        };
        let listening =
            running.wait_for(|line| line.contains("ChargeDesk is listening on http://"));
        running.addr = listening
            .rsplit("http://")
            .next()
            .unwrap()
            .trim()
            .parse()
            .expect("the address it listens on");
        running
    }

    /// The next line of standard output for which `found` holds (a minute at most).
    fn wait_for(&mut self, found: impl Fn(&str) -> bool) -> String {
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            let line = self
                .lines
                .recv_timeout(left)
                .expect("the expected line within a minute");
            if line.starts_with('{') {
                serde_json::from_str::<serde_json::Value>(&line)
                    .unwrap_or_else(|e| panic!("a log line that is not JSON ({e}): {line}"));
            }
            if found(&line) {
                return line;
            }
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Whether the JSON log line has a span named `name` whose `field` is `value`.
fn in_span(line: &str, name: &str, field: &str, value: &str) -> bool {
    let Ok(json) = serde_json::from_str::<serde_json::Value>(line) else {
        return false;
    };
    json["spans"].as_array().is_some_and(|spans| {
        spans
            .iter()
            .any(|span| span["name"] == name && span[field] == value)
    })
}

#[tokio::test]
async fn json_logs_carry_the_request_id() {
    let mut server = Running::start(&["serve"]).await;
    let mut stream = TcpStream::connect(server.addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    write!(
        stream,
        "GET /healthz HTTP/1.1\r\nHost: {}\r\nx-request-id: probe-9f2c\r\nConnection: close\r\n\r\n",
        server.addr
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        answer
            .to_ascii_lowercase()
            .contains("\r\nx-request-id: probe-9f2c\r\n"),
        "{answer}"
    );

    let line = server.wait_for(|line| in_span(line, "request", "request_id", "probe-9f2c"));
    let json: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(json["span"]["path"], "/healthz", "{line}");
    assert!(
        json["level"].is_string() && json["timestamp"].is_string(),
        "{line}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn json_logs_of_an_ocpp_session_carry_the_station() {
    use base64::Engine;
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let mut server = Running::start(&["serve", "--demo"]).await;
    let station = &storage::DEMO_STATIONS[0];
    let mut request = format!("ws://{}/ocpp/{}", server.addr, station.charge_point_id)
        .into_client_request()
        .unwrap();
    let token = base64::engine::general_purpose::STANDARD
        .encode(format!("{}:{}", station.charge_point_id, station.password));
    request
        .headers_mut()
        .insert("Sec-WebSocket-Protocol", "ocpp1.6".parse().unwrap());
    request
        .headers_mut()
        .insert("Authorization", format!("Basic {token}").parse().unwrap());
    request
        .headers_mut()
        .insert("x-request-id", "ws-upgrade-1".parse().unwrap());
    let (socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    let line = tokio::task::block_in_place(|| {
        server.wait_for(|line| {
            line.contains("station connected")
                && in_span(line, "station", "id", station.charge_point_id)
        })
    });
    // The session is part of the request that opened it.
    assert!(
        in_span(&line, "request", "request_id", "ws-upgrade-1"),
        "{line}"
    );
    drop(socket);
}
