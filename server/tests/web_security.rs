//! The browser-facing defences, each played by an attacker: a client that stalls half-way through a request
//! header, a page of another site posting to `/api/*` (log-in CSRF included), a cookie planted under the
//! wrong name, a page that wants inline scripts or to frame the app, a password guesser from one address or
//! against one account, and the server started where plain http or the demo must not be served. Plus the
//! status codes of refusals and the rule that streams outlive the request timeout.

mod common;

use app::AppError;
use axum::body::Body;
use axum::extract::ConnectInfo;
use common::{session_cookie_named, TestApp, PASSWORD};
use futures_util::{SinkExt, StreamExt};
use http::{header, Request, StatusCode};
use server::http::{ServeConfig, WebConfig};
use shared::station::{ChargePointId, StationName, StationPassword};
use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;

const PUBLIC_URL: &str = "https://csms.example.com";
const STATION_PASSWORD: &str = "s3cret-station-key";
/// Failure guard for anything that must happen "soon" (never a speed assertion).
const GUARD: Duration = Duration::from_secs(30);

fn https_web() -> WebConfig {
    WebConfig {
        site: app::auth::server::PublicSite::parse(PUBLIC_URL).unwrap(),
        ..WebConfig::default()
    }
}

fn limits(per_ip: u32, per_account: u32) -> WebConfig {
    WebConfig {
        login_per_ip_per_minute: NonZeroU32::new(per_ip).unwrap(),
        login_per_account_per_minute: NonZeroU32::new(per_account).unwrap(),
        ..WebConfig::default()
    }
}

/// Reads from `stream` until the server closes it; `Err` if it is still open when the guard runs out.
async fn read_until_closed(stream: &mut TcpStream) -> Result<Vec<u8>, &'static str> {
    let mut received = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout(GUARD, stream.read(&mut buf)).await {
            Err(_) => return Err("still open"),
            Ok(Ok(0)) | Ok(Err(_)) => return Ok(received),
            Ok(Ok(n)) => received.extend_from_slice(&buf[..n]),
        }
    }
}

struct RealServer {
    addr: SocketAddr,
    app_db: storage::Db,
    _db: common::TestDb,
}

async fn real_server(web: WebConfig, serve: ServeConfig) -> RealServer {
    let test_db = common::TestDb::new().await;
    let db = test_db.open().await;
    let router = server::router_for(
        db.clone(),
        server::leptos_options().unwrap(),
        server::central_system::OcppConfig {
            local_list_sync: false,
            ..Default::default()
        },
        web,
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(server::http::serve_with(
        listener,
        router,
        std::future::pending(),
        serve,
    ));
    RealServer {
        addr,
        app_db: db,
        _db: test_db,
    }
}

#[tokio::test]
async fn a_client_that_stalls_in_the_request_header_is_disconnected() {
    let server = real_server(
        WebConfig::default(),
        ServeConfig {
            header_read_timeout: Duration::from_secs(1),
            ..ServeConfig::default()
        },
    )
    .await;
    // Half a header, then nothing.
    let mut half = TcpStream::connect(server.addr).await.unwrap();
    half.write_all(b"GET /login HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        .await
        .unwrap();
    read_until_closed(&mut half)
        .await
        .expect("a half-sent header is cut off");
    // Not even the first byte.
    let mut silent = TcpStream::connect(server.addr).await.unwrap();
    let received = read_until_closed(&mut silent)
        .await
        .expect("a silent connection is cut off");
    assert!(received.is_empty());
    // A client that sends its request normally is served.
    let mut polite = TcpStream::connect(server.addr).await.unwrap();
    polite
        .write_all(b"GET /login HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let answer = read_until_closed(&mut polite).await.unwrap();
    assert!(
        answer.starts_with(b"HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&answer[..answer.len().min(200)])
    );
}

#[tokio::test]
async fn shutting_down_stops_accepting_and_ends_the_server_loop() {
    let (_dir, db) = common::fresh_db().await;
    let router = server::router(db, server::leptos_options().unwrap());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(server::http::serve(listener, router, async {
        let _ = stopped.await;
    }));
    let mut client = TcpStream::connect(addr).await.unwrap();
    client
        .write_all(b"GET /login HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    assert!(read_until_closed(&mut client)
        .await
        .unwrap()
        .starts_with(b"HTTP/1.1 200"));
    stop.send(()).unwrap();
    tokio::time::timeout(GUARD, serving)
        .await
        .expect("the loop ends on the shutdown signal")
        .unwrap()
        .unwrap();
    assert!(
        TcpStream::connect(addr).await.is_err(),
        "no longer listening"
    );
}

#[tokio::test]
async fn streams_outlive_the_request_timeout() {
    let server = real_server(
        WebConfig {
            request_timeout: Duration::from_secs(1),
            ..WebConfig::default()
        },
        ServeConfig::default(),
    )
    .await;
    let (org, station, session_token) = partner_with_station(&server.app_db).await;
    // The tap stream (server-sent events) opens...
    let mut events = TcpStream::connect(server.addr).await.unwrap();
    events
        .write_all(
            format!(
                "GET /events/stations/{station}/taps?org={org} HTTP/1.1\r\nHost: {}\r\n\
                 Cookie: chargedesk_session={session_token}\r\n\r\n",
                server.addr
            )
            .as_bytes(),
        )
        .await
        .unwrap();
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = tokio::time::timeout(GUARD, events.read(&mut buf))
            .await
            .unwrap()
            .unwrap();
        assert!(n > 0, "the stream closed before its head");
        seen.extend_from_slice(&buf[..n]);
    }
    assert!(
        seen.starts_with(b"HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&seen)
    );
    // ...and so does a station's WebSocket.
    let mut socket = station_socket(server.addr, "CP-1").await;
    // Longer than the request timeout: both are still open and working.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let answer = ocpp_call(
        &mut socket,
        "1",
        "Authorize",
        &format!(r#"{{"idTag":"{UNKNOWN_TAG}"}}"#),
    )
    .await;
    assert_eq!(answer[0], 3, "{answer}");
    loop {
        let n = tokio::time::timeout(GUARD, events.read(&mut buf))
            .await
            .expect("the tap arrives on the stream")
            .unwrap();
        assert!(n > 0, "the tap stream was closed");
        seen.extend_from_slice(&buf[..n]);
        if String::from_utf8_lossy(&seen).contains(UNKNOWN_TAG) {
            break;
        }
    }
}

/// A partner organization with its administrator (logged in: the session token) and station `CP-1` with
/// password [`STATION_PASSWORD`]; the tag `04AAAB11CD2345` is whitelisted there.
async fn partner_with_station(db: &storage::Db) -> (shared::OrgId, shared::ids::StationId, String) {
    use shared::names::{Email, Nickname, PersonName};
    let (org, admin, session_token) = common::partner_admin(db).await;
    let station = admin
        .add_station(
            &ChargePointId::parse("CP-1").unwrap(),
            &StationName::parse("Depot charger").unwrap(),
            Some(&StationPassword::parse(STATION_PASSWORD).unwrap()),
        )
        .await
        .unwrap();
    let user = admin
        .add_user(
            &PersonName::parse("Jan").unwrap(),
            &PersonName::parse("Jansen").unwrap(),
            &Email::parse("jan@volta.example").unwrap(),
            shared::role::Role::Cardholder,
        )
        .await
        .unwrap()
        .user_id;
    let tag = shared::pass_id::check_pass_id(shared::pass_id::PassIdKind::Hidden, KNOWN_TAG, false)
        .unwrap()
        .value;
    admin
        .add_pass(
            user,
            &tag,
            &Nickname::parse("Tag").unwrap(),
            shared::mode::PassMode::Whitelist,
        )
        .await
        .unwrap();
    (org, station, session_token)
}

const KNOWN_TAG: &str = "04AAAB11CD2345";
const UNKNOWN_TAG: &str = "04FFFF11CD2345";

/// One log-in over its own TCP connection, as a browser-less attacker sends it; the answer's status.
async fn raw_login(addr: SocketAddr, email: String) -> u16 {
    let body = format!(
        "email={}&password=not-the-password",
        email.replace('@', "%40")
    );
    let request = format!(
        "POST /api/login HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let answer = read_until_closed(&mut stream)
        .await
        .expect("every log-in is answered");
    let head = String::from_utf8_lossy(&answer);
    head.split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("an HTTP answer: {head}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_flood_of_wrong_log_ins_is_refused_and_stations_keep_their_answers() {
    const FLOOD: usize = 200;
    const PER_IP_PER_MINUTE: u32 = 10;
    let server = real_server(limits(PER_IP_PER_MINUTE, 100), ServeConfig::default()).await;
    partner_with_station(&server.app_db).await;
    let mut socket = station_socket(server.addr, "CP-1").await;
    let started = std::time::Instant::now();
    // Two hundred guesses at once, each at another account (so only the address limit and the hashing limit
    // stand in the way)...
    let flood: Vec<_> = (0..FLOOD)
        .map(|n| tokio::spawn(raw_login(server.addr, format!("victim{n}@volta.example"))))
        .collect();
    // ...while the station keeps authorizing cards, which writes a decision each time.
    for n in 0..20 {
        let (tag, expected) = if n % 2 == 0 {
            (KNOWN_TAG, "Accepted")
        } else {
            (UNKNOWN_TAG, "Invalid")
        };
        let answer = ocpp_call(
            &mut socket,
            &format!("auth-{n}"),
            "Authorize",
            &format!(r#"{{"idTag":"{tag}"}}"#),
        )
        .await;
        assert_eq!(answer[0], 3, "{answer}");
        assert_eq!(answer[2]["idTagInfo"]["status"], expected, "{answer}");
    }
    let mut statuses = Vec::new();
    for attempt in flood {
        statuses.push(attempt.await.unwrap());
    }
    let minutes = started.elapsed().as_secs_f64() / 60.0;
    // The address limit lets through its burst plus what refilled meanwhile; everything else was refused
    // before a password was hashed or a row written.
    let allowed = PER_IP_PER_MINUTE as usize + (PER_IP_PER_MINUTE as f64 * minutes).ceil() as usize;
    let checked = statuses.iter().filter(|&&s| s == 422).count();
    let refused = statuses.iter().filter(|&&s| s == 429 || s == 503).count();
    assert_eq!(
        checked + refused,
        FLOOD,
        "only 422, 429 or 503: {statuses:?}"
    );
    assert!(
        checked <= allowed,
        "{checked} checked, at most {allowed} allowed"
    );
    assert!(refused >= FLOOD - allowed, "{refused} refused");
    // The station is still served after the flood.
    let answer = ocpp_call(
        &mut socket,
        "after",
        "Authorize",
        &format!(r#"{{"idTag":"{KNOWN_TAG}"}}"#),
    )
    .await;
    assert_eq!(answer[2]["idTagInfo"]["status"], "Accepted", "{answer}");
}

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<TcpStream>>;

async fn station_socket(addr: SocketAddr, cp: &str) -> Socket {
    let request = common::station_request(addr, cp, STATION_PASSWORD);
    tokio_tungstenite::connect_async(request).await.unwrap().0
}

async fn ocpp_call(
    socket: &mut Socket,
    id: &str,
    action: &str,
    payload: &str,
) -> serde_json::Value {
    socket
        .send(Message::Text(
            format!(r#"[2,"{id}","{action}",{payload}]"#).into(),
        ))
        .await
        .unwrap();
    loop {
        let message = tokio::time::timeout(GUARD, socket.next())
            .await
            .expect("the station gets its answer")
            .expect("connection open")
            .expect("a frame");
        if let Message::Text(text) = message {
            let answer: serde_json::Value = serde_json::from_str(text.as_str()).unwrap();
            assert_eq!(answer[1], id, "{answer}");
            return answer;
        }
    }
}

#[tokio::test]
async fn api_calls_from_another_site_are_refused_log_in_included() {
    let app = TestApp::with_web(https_web()).await;
    let (root, _) = app.partner("Volta Partners", "pat@volta.example").await;
    let credentials = [("email", "pat@volta.example"), ("password", PASSWORD)];
    // Log-in CSRF: a page elsewhere posts the attacker's (or anyone's) credentials.
    for forged in [
        &[("origin", "https://evil.example")][..],
        &[("origin", "null")],
        &[("origin", "http://csms.example.com")],
        &[("sec-fetch-site", "cross-site")],
        &[("sec-fetch-site", "same-site")],
        &[("origin", PUBLIC_URL), ("sec-fetch-site", "cross-site")],
    ] {
        let (status, _, headers) = app.post_with(None, "login", &credentials, forged).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{forged:?}");
        assert!(headers.get(header::SET_COOKIE).is_none(), "{forged:?}");
    }
    // The app's own pages may.
    let (status, _, headers) = app
        .post_with(
            None,
            "login",
            &credentials,
            &[("origin", PUBLIC_URL), ("sec-fetch-site", "same-origin")],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let victim = session_cookie_named(&headers, "__Host-chargedesk_session").unwrap();
    // A logged-in administrator lured to another site: the forged change is refused and nothing is created.
    let org = root.to_string();
    let add = [("org", org.as_str()), ("name", "Planted Org")];
    let (status, _, _) = app
        .post_with(
            Some(&victim),
            "add_organization",
            &add,
            &[("origin", "https://evil.example")],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = app
        .post_with(
            Some(&victim),
            "add_organization",
            &add,
            &[("sec-fetch-site", "cross-site")],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let orgs: Vec<shared::model::OrgSummary> = app
        .call(Some(&victim), "list_organizations", &[("org", &org)])
        .await
        .unwrap();
    assert!(orgs.iter().all(|o| o.name != "Planted Org"), "{orgs:?}");
}

#[tokio::test]
async fn without_a_public_url_the_origin_must_be_the_requests_own_host() {
    let app = TestApp::new().await;
    app.partner("Volta Partners", "pat@volta.example").await;
    let credentials = [("email", "pat@volta.example"), ("password", PASSWORD)];
    let (status, _, _) = app
        .post_with(
            None,
            "login",
            &credentials,
            &[
                ("host", "127.0.0.1:3000"),
                ("origin", "http://evil.example"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, headers) = app
        .post_with(
            None,
            "login",
            &credentials,
            &[
                ("host", "127.0.0.1:3000"),
                ("origin", "http://127.0.0.1:3000"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    // Plain http: the cookie has no Secure flag and no prefix, and there is no HSTS.
    let cookie = headers.get(header::SET_COOKIE).unwrap().to_str().unwrap();
    assert!(cookie.starts_with("chargedesk_session="), "{cookie}");
    assert!(!cookie.contains("Secure"), "{cookie}");
    assert!(headers.get(header::STRICT_TRANSPORT_SECURITY).is_none());
}

#[tokio::test]
async fn over_https_the_session_cookie_is_secure_host_only_and_no_other_name_counts() {
    let app = TestApp::with_web(https_web()).await;
    app.partner("Volta Partners", "pat@volta.example").await;
    let (status, _, headers) = app
        .post(
            None,
            "login",
            &[("email", "pat@volta.example"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let cookie = headers.get(header::SET_COOKIE).unwrap().to_str().unwrap();
    assert!(cookie.starts_with("__Host-chargedesk_session="), "{cookie}");
    for attribute in ["; Secure", "; Path=/", "; HttpOnly", "; SameSite=Lax"] {
        assert!(cookie.contains(attribute), "{attribute} in {cookie}");
    }
    assert!(!cookie.to_ascii_lowercase().contains("domain="), "{cookie}");
    assert_eq!(
        headers.get(header::STRICT_TRANSPORT_SECURITY).unwrap(),
        "max-age=31536000"
    );
    let token = session_cookie_named(&headers, "__Host-chargedesk_session").unwrap();
    // The valid token under the unprefixed name (as a sibling domain could plant it) is not a session.
    let planted = Request::post("/api/current_user")
        .header(header::COOKIE, format!("chargedesk_session={token}"))
        .body(Body::empty())
        .unwrap();
    let (status, body, _) = app.send(planted).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let reply: Result<serde_json::Value, AppError> = common::decode(status, &body);
    assert_eq!(reply.unwrap_err(), AppError::Unauthenticated);
    let me: shared::model::Me = app.call(Some(&token), "current_user", &[]).await.unwrap();
    assert_eq!(me.email, "pat@volta.example");
    // The tap stream reads the same cookie: with the prefixed one it gets past authentication (404: no such
    // station), with the unprefixed one it does not.
    let home = me.home_org.unwrap().id;
    for (cookie, expected) in [
        (
            format!("__Host-chargedesk_session={token}"),
            StatusCode::NOT_FOUND,
        ),
        (
            format!("chargedesk_session={token}"),
            StatusCode::UNAUTHORIZED,
        ),
    ] {
        let request = Request::get(format!("/events/stations/987654/taps?org={home}"))
            .header(header::COOKIE, cookie.as_str())
            .body(Body::empty())
            .unwrap();
        let (status, _, headers) = app.send(request).await;
        assert_eq!(status, expected, "{cookie}");
        assert!(headers.get(header::STRICT_TRANSPORT_SECURITY).is_some());
    }
}

fn csp_nonce(headers: &http::HeaderMap) -> String {
    let csp = headers
        .get(header::CONTENT_SECURITY_POLICY)
        .expect("a Content-Security-Policy")
        .to_str()
        .unwrap();
    let start = csp.find("'nonce-").expect("a nonce in the policy") + "'nonce-".len();
    csp[start..].split('\'').next().unwrap().to_owned()
}

#[tokio::test]
async fn pages_carry_a_per_request_nonce_policy_and_the_other_security_headers() {
    let app = TestApp::new().await;
    let page = || Request::get("/login").body(Body::empty()).unwrap();
    let (status, body, headers) = app.send(page()).await;
    assert_eq!(status, StatusCode::OK);
    let html = String::from_utf8(body).unwrap();
    let nonce = csp_nonce(&headers);
    assert!(nonce.len() >= 16, "{nonce}");
    let csp = headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
    for directive in [
        "script-src 'nonce-",
        "'strict-dynamic'",
        "'wasm-unsafe-eval'",
        "style-src 'self'",
        "frame-ancestors 'none'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
    ] {
        assert!(csp.contains(directive), "{directive} in {csp}");
    }
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    // Every inline script of the page carries this request's nonce (else the browser would not run it).
    let scripts = html.matches("<script").count();
    assert!(scripts > 0, "the page hydrates with a script");
    assert_eq!(
        html.matches(&format!("<script type=\"module\" nonce=\"{nonce}\""))
            .count()
            + html.matches(&format!("<script nonce=\"{nonce}\"")).count(),
        scripts,
        "{html}"
    );
    assert!(!html.contains(" style=\""), "no inline styles: {html}");
    // A new request, a new nonce.
    let (_, _, again) = app.send(page()).await;
    assert_ne!(csp_nonce(&again), nonce);
    for headers in [&headers, &again] {
        assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert_eq!(headers[header::REFERRER_POLICY], "same-origin");
        assert_eq!(headers[header::X_FRAME_OPTIONS], "DENY");
    }
    // The not-found page and static files too.
    for path in ["/no/such/page", "/favicon.svg"] {
        let (_, body, headers) = app
            .send(Request::get(path).body(Body::empty()).unwrap())
            .await;
        let nonce = csp_nonce(&headers);
        assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff", "{path}");
        let body = String::from_utf8_lossy(&body);
        assert_eq!(
            body.matches("<script").count(),
            body.matches(&format!("nonce=\"{nonce}\"")).count(),
            "{path}"
        );
    }
    // Server-function answers are never cached, refusals included.
    let (status, _, headers) = app.post(None, "current_user", &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(headers[header::CACHE_CONTROL], "no-store");
    let (_, _, headers) = app
        .post_with(None, "login", &[], &[("origin", "https://evil.example")])
        .await;
    assert_eq!(headers[header::CACHE_CONTROL], "no-store");
    assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
}

#[tokio::test]
async fn refused_log_ins_answer_4xx_and_throttling_says_when_to_retry() {
    let app = TestApp::new().await;
    app.partner("Volta Partners", "pat@volta.example").await;
    let wrong = [
        ("email", "pat@volta.example"),
        ("password", "not the password"),
    ];
    for _ in 0..3 {
        let (status, body, _) = app.post(None, "login", &wrong).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        let reply: Result<String, AppError> = common::decode(status, &body);
        assert!(reply.unwrap_err().for_field("password").is_some());
    }
    // From the third failure on the account waits (persistent backoff in storage), even with the password.
    let (status, body, headers) = app
        .post(
            None,
            "login",
            &[("email", "pat@volta.example"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    let reply: Result<String, AppError> = common::decode(status, &body);
    let AppError::Throttled { retry_after_secs } = reply.unwrap_err() else {
        panic!("throttled")
    };
    assert_eq!(
        headers[header::RETRY_AFTER].to_str().unwrap(),
        retry_after_secs.to_string()
    );
    // Malformed arguments are the caller's fault, not ours.
    let (status, _, _) = app.post(None, "login", &[("email", "x")]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

/// A log-in request from `ip` (as the server loop records the peer address).
fn login_from(ip: &str, email: &str, password: &str) -> Request<Body> {
    let mut request = Request::post("/api/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(format!(
            "email={}&password={}",
            email.replace('@', "%40"),
            password.replace(' ', "+")
        )))
        .unwrap();
    let addr: SocketAddr = format!("{ip}:40000").parse().unwrap();
    request.extensions_mut().insert(ConnectInfo(addr));
    request
}

#[tokio::test]
async fn one_address_cannot_guess_faster_than_its_limit() {
    let app = TestApp::with_web(limits(5, 100)).await;
    app.partner("Volta Partners", "pat@volta.example").await;
    // Five guesses at five different accounts (so no account's own backoff starts) use up the address.
    for n in 0..5 {
        let (status, _, _) = app
            .send(login_from(
                "203.0.113.7",
                &format!("guess{n}@volta.example"),
                "wrong-password",
            ))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    }
    // Now even the right password is not checked from there...
    let (status, body, headers) = app
        .send(login_from("203.0.113.7", "pat@volta.example", PASSWORD))
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(headers.get(header::SET_COOKIE).is_none());
    assert!(headers.get(header::RETRY_AFTER).is_some());
    let reply: Result<String, AppError> = common::decode(status, &body);
    assert!(matches!(reply, Err(AppError::Throttled { .. })));
    // ...while another address logs in as usual.
    let (status, _, headers) = app
        .send(login_from("198.51.100.20", "pat@volta.example", PASSWORD))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers.get(header::SET_COOKIE).is_some());
}

#[tokio::test]
async fn one_account_cannot_be_tried_faster_than_its_limit_from_many_addresses() {
    let app = TestApp::with_web(limits(100, 3)).await;
    app.partner("Volta Partners", "pat@volta.example").await;
    // Right passwords, so storage's failure backoff never starts: only the in-memory account limit counts.
    for n in 0..3 {
        let (status, _, _) = app
            .send(login_from(
                &format!("192.0.2.{n}"),
                "pat@volta.example",
                PASSWORD,
            ))
            .await;
        assert_eq!(status, StatusCode::OK);
    }
    let (status, _, headers) = app
        .send(login_from("192.0.2.99", "PAT@volta.example", PASSWORD))
        .await;
    assert_eq!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "the same account, spelled differently"
    );
    assert!(headers.get(header::SET_COOKIE).is_none());
    // Another account is not affected.
    app.partner("Other Partner", "other@partner.example").await;
    let (status, _, _) = app
        .send(login_from("192.0.2.99", "other@partner.example", PASSWORD))
        .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_client_has_its_own_limit_and_others_cannot_forge_one() {
    let proxy = "10.0.0.1";
    let app = TestApp::with_web(WebConfig {
        trusted_proxies: vec![proxy.parse().unwrap()],
        ..limits(3, 100)
    })
    .await;
    app.partner("Volta Partners", "pat@volta.example").await;
    let via = |peer: &str, forwarded: &str, email: &str, password: &str| {
        let mut request = login_from(peer, email, password);
        request
            .headers_mut()
            .insert("x-forwarded-for", forwarded.parse().unwrap());
        request
    };
    // One client behind the proxy uses up its limit (the proxy appends the address it saw)...
    for n in 0..3 {
        let request = via(
            proxy,
            "192.0.2.99, 203.0.113.7",
            &format!("guess{n}@volta.example"),
            "wrong-password",
        );
        assert_eq!(app.send(request).await.0, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let (status, _, _) = app
        .send(via(proxy, "203.0.113.7", "pat@volta.example", PASSWORD))
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    // ...another client behind the same proxy is not affected...
    let (status, _, _) = app
        .send(via(proxy, "198.51.100.20", "pat@volta.example", PASSWORD))
        .await;
    assert_eq!(status, StatusCode::OK);
    // ...and a client that is not the proxy cannot escape its own limit by claiming to be forwarded.
    for n in 0..3 {
        let request = via(
            "192.0.2.50",
            &format!("198.51.100.{n}"),
            &format!("spoof{n}@volta.example"),
            "wrong-password",
        );
        assert_eq!(app.send(request).await.0, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let (status, _, _) = app
        .send(via(
            "192.0.2.50",
            "198.51.100.77",
            "pat@volta.example",
            PASSWORD,
        ))
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
}

/// Runs the server binary with `args` and the listen address `addr`; returns its exit status and stderr.
async fn run_server_binary(addr: &str, args: &[&str], env: &[(&str, &str)]) -> (bool, String) {
    let test_db = common::TestDb::new().await;
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_server"));
    command
        .args(test_db.server_args())
        .args(args)
        .env("LEPTOS_SITE_ADDR", addr)
        .env_remove("CHARGEDESK_PUBLIC_URL")
        .env_remove("CHARGEDESK_DEMO")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
    for (k, v) in env {
        command.env(k, v);
    }
    let mut child = command.spawn().unwrap();
    let started = std::time::Instant::now();
    // Failure guard: a server that serves instead of refusing is killed and the test fails.
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if started.elapsed() > GUARD {
            child.kill().unwrap();
            child.wait().unwrap();
            break None;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let status = status.expect("the server refuses at once instead of serving");
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    (status.success(), stderr)
}

#[tokio::test]
async fn the_server_refuses_plain_http_and_the_demo_off_loopback() {
    let (ok, stderr) = run_server_binary("0.0.0.0:0", &["serve"], &[]).await;
    assert!(!ok);
    assert!(stderr.contains("set CHARGEDESK_PUBLIC_URL"), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "one clear line: {stderr}");
    let (ok, stderr) = run_server_binary(
        "0.0.0.0:0",
        &["serve", "--demo"],
        &[("CHARGEDESK_PUBLIC_URL", PUBLIC_URL)],
    )
    .await;
    assert!(!ok);
    assert!(
        stderr.contains("demo") && stderr.contains("published"),
        "{stderr}"
    );
    let (ok, stderr) = run_server_binary(
        "0.0.0.0:0",
        &["serve"],
        &[("CHARGEDESK_PUBLIC_URL", "https://user@csms.example.com/app")],
    )
    .await;
    assert!(!ok);
    assert!(stderr.contains("CHARGEDESK_PUBLIC_URL"), "{stderr}");
}
