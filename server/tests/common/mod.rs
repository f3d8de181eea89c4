//! Test harness: the real router (`server::router`) on a fresh database per test (SQLite, or a new PostgreSQL
//! database when `CHARGEDESK_TEST_PG_URL` is set: [`storage::test_support`]), called over HTTP the way the
//! browser calls server functions (`POST /api/<name>`, form-encoded, session cookie).
#![allow(dead_code)]

pub mod cli;
pub mod instances;
pub mod smtp;

use app::AppError;
use axum::body::Body;
use axum::Router;
use http::{header, Request, StatusCode};
use http_body_util::BodyExt;
use serde::de::DeserializeOwned;
use server::http::WebConfig;
use shared::names::{Email, OrgName, Password, PersonName};
use shared::role::Role;
use shared::{MemberId, OrgId, UserId};
#[allow(unused_imports)] // not every test file uses all three
pub use storage::test_support::{fresh_db, postgres_admin_url, TestDb};
use storage::Db;
use tower::ServiceExt;

pub const PASSWORD: &str = "correct horse battery";

pub struct TestApp {
    pub db: Db,
    router: Router,
    /// The session cookie's name under this app's public URL.
    cookie_name: &'static str,
    /// The database behind [`TestApp::db`] (kept alive with the app).
    pub test_db: TestDb,
}

/// What a server function answered: its value, or the `AppError` it returned.
pub type Reply<T> = Result<T, AppError>;

impl TestApp {
    pub async fn new() -> Self {
        Self::with_web(WebConfig::default()).await
    }

    /// A test app with explicit web settings (public URL, log-in limits, request timeout).
    pub async fn with_web(web: WebConfig) -> Self {
        let test_db = TestDb::new().await;
        let db = test_db.open().await;
        let options = server::leptos_options().expect("leptos options");
        let cookie_name = web.site.cookie_name();
        Self {
            router: server::router_for(
                db.clone(),
                options,
                server::central_system::OcppConfig {
                    local_list_sync: false,
                    ..server::central_system::OcppConfig::from_env()
                },
                web,
            ),
            db,
            cookie_name,
            test_db,
        }
    }

    /// The router itself, to send any request.
    pub fn router(&self) -> Router {
        self.router.clone()
    }

    /// Sends `request` through the router and collects the answer.
    pub async fn send(&self, request: Request<Body>) -> (StatusCode, Vec<u8>, http::HeaderMap) {
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("router answers");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        (status, bytes.to_vec(), headers)
    }

    /// Raw call: status and body bytes.
    pub async fn post(
        &self,
        cookie: Option<&str>,
        endpoint: &str,
        form: &[(&str, &str)],
    ) -> (StatusCode, Vec<u8>, http::HeaderMap) {
        self.post_with(cookie, endpoint, form, &[]).await
    }

    /// Raw call with extra request headers (e.g. a browser's `Origin`).
    pub async fn post_with(
        &self,
        cookie: Option<&str>,
        endpoint: &str,
        form: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> (StatusCode, Vec<u8>, http::HeaderMap) {
        let body = form_urlencoded(form);
        let mut req = Request::post(format!("/api/{endpoint}"))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ACCEPT, "application/json");
        if let Some(c) = cookie {
            req = req.header(header::COOKIE, format!("{}={c}", self.cookie_name));
        }
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        self.send(req.body(Body::from(body)).unwrap()).await
    }

    /// Calls server function `endpoint` and decodes its answer.
    pub async fn call<T: DeserializeOwned>(
        &self,
        cookie: Option<&str>,
        endpoint: &str,
        form: &[(&str, &str)],
    ) -> Reply<T> {
        let (status, body, _) = self.post(cookie, endpoint, form).await;
        decode(status, &body)
    }

    /// Logs in over HTTP and returns the session cookie's value.
    pub async fn login(&self, email: &str, password: &str) -> String {
        let (status, body, headers) = self
            .post(None, "login", &[("email", email), ("password", password)])
            .await;
        assert_eq!(
            status,
            StatusCode::OK,
            "login of {email}: {}",
            String::from_utf8_lossy(&body)
        );
        session_cookie_named(&headers, self.cookie_name).expect("login sets the session cookie")
    }

    /// A partner organization with its administrator (password [`PASSWORD`]).
    pub async fn partner(&self, org: &str, email: &str) -> (OrgId, UserId) {
        self.db
            .create_partner(
                &OrgName::parse(org).unwrap(),
                &PersonName::parse("Pat").unwrap(),
                &PersonName::parse("Partner").unwrap(),
                &Email::parse(email).unwrap(),
                &Password::parse(PASSWORD).unwrap(),
            )
            .await
            .expect("create partner")
    }

    /// Adds a sub-organization below `parent`, acting as the administrator with session `cookie`.
    pub async fn sub_org(&self, cookie: &str, parent: OrgId, name: &str) -> OrgId {
        self.call(
            Some(cookie),
            "add_organization",
            &[("org", &parent.to_string()), ("name", name)],
        )
        .await
        .expect("add organization")
    }

    /// Adds a member to `org` (as the administrator with `cookie`) and gives them password [`PASSWORD`]; their
    /// id in `org`'s "Users" list (what the browser sends to name them).
    pub async fn member(&self, cookie: &str, org: OrgId, email: &str, role: Role) -> MemberId {
        let added: serde_json::Value = self
            .call(
                Some(cookie),
                "add_user",
                &[
                    ("org", &org.to_string()),
                    ("first_name", "Test"),
                    ("last_name", email.split('@').next().unwrap()),
                    ("email", email),
                    ("role", role.as_str()),
                ],
            )
            .await
            .expect("add user");
        assert!(added.is_object());
        self.db
            .set_password(
                &Email::parse(email).unwrap(),
                &Password::parse(PASSWORD).unwrap(),
            )
            .await
            .unwrap();
        let users: Vec<shared::model::UserSummary> = self
            .call(Some(cookie), "list_users", &[("org", &org.to_string())])
            .await
            .unwrap();
        users
            .into_iter()
            .find(|u| u.email == email)
            .expect("member listed")
            .id
    }
}

/// Decodes a server function's answer. Every error answer must carry the status of its error
/// ([`AppError::status`]): a refusal is never a 500.
pub fn decode<T: DeserializeOwned>(status: StatusCode, body: &[u8]) -> Reply<T> {
    if status.is_success() {
        Ok(serde_json::from_slice(body)
            .unwrap_or_else(|e| panic!("success body {:?}: {e}", String::from_utf8_lossy(body))))
    } else {
        let error: AppError = serde_json::from_slice(body).unwrap_or_else(|e| {
            panic!(
                "error body ({status}) {:?}: {e}",
                String::from_utf8_lossy(body)
            )
        });
        assert_eq!(status, error.status(), "the status of {error:?}");
        Err(error)
    }
}

/// The plain-http session cookie a log-in set, if any.
pub fn session_cookie(headers: &http::HeaderMap) -> Option<String> {
    session_cookie_named(headers, "chargedesk_session")
}

/// The session cookie called `name` that an answer set, if any.
pub fn session_cookie_named(headers: &http::HeaderMap, name: &str) -> Option<String> {
    let prefix = format!("{name}=");
    headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix(prefix.as_str()))
        .map(|v| v.split(';').next().unwrap_or_default().to_owned())
        .filter(|v| !v.is_empty())
}

fn form_urlencoded(form: &[(&str, &str)]) -> String {
    form.iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            b' ' => "+".to_owned(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The WebSocket upgrade request of station `cp` at `addr`: the OCPP 1.6 subprotocol and HTTP Basic credentials
/// with `password`, as a charging station sends it. Callers add headers of their own before connecting.
pub fn station_request(
    addr: std::net::SocketAddr,
    cp: &str,
    password: &str,
) -> tokio_tungstenite::tungstenite::handshake::client::Request {
    use base64::Engine;
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    use tokio_tungstenite::tungstenite::http::HeaderValue;
    let mut request = format!("ws://{addr}/ocpp/{cp}")
        .into_client_request()
        .unwrap();
    let token = base64::engine::general_purpose::STANDARD.encode(format!("{cp}:{password}"));
    let headers = request.headers_mut();
    headers.insert(
        "Sec-WebSocket-Protocol",
        HeaderValue::from_static("ocpp1.6"),
    );
    headers.insert(
        "Authorization",
        HeaderValue::from_str(&format!("Basic {token}")).unwrap(),
    );
    request
}

/// The partner "Volta Partners" with its administrator Pat Partner (`pat@volta.example`, [`PASSWORD`]), logged in:
/// the organization, Pat's administrator scope of it, and Pat's session token.
pub async fn partner_admin(db: &Db) -> (OrgId, storage::OrgAdmin, String) {
    let (org, _) = db
        .create_partner(
            &OrgName::parse("Volta Partners").unwrap(),
            &PersonName::parse("Pat").unwrap(),
            &PersonName::parse("Partner").unwrap(),
            &Email::parse("pat@volta.example").unwrap(),
            &Password::parse(PASSWORD).unwrap(),
        )
        .await
        .unwrap();
    let token = login_token(db, "pat@volta.example").await;
    let admin = db
        .caller(&token)
        .await
        .unwrap()
        .unwrap()
        .admin_of(db, org)
        .await
        .unwrap();
    (org, admin, token)
}

/// A fresh session of the user with this e-mail and [`PASSWORD`].
pub async fn login_token(db: &Db, email: &str) -> String {
    match db.login(email, PASSWORD).await.unwrap() {
        storage::LoginOutcome::LoggedIn { session_token, .. } => session_token,
        other => panic!("log-in of {email} failed: {other:?}"),
    }
}

/// `GET path` by hand over TCP (for the tap stream, whose answer never ends), with the session cookie if given;
/// returns the status code and the stream positioned after the response head.
pub async fn open_get(
    addr: std::net::SocketAddr,
    path: &str,
    session: Option<&str>,
) -> (u16, tokio::net::TcpStream) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let cookie = session
        .map(|s| format!("Cookie: chargedesk_session={s}\r\n"))
        .unwrap_or_default();
    let request =
        format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nAccept: text/event-stream\r\n{cookie}\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        let n = tokio::time::timeout(std::time::Duration::from_secs(5), stream.read(&mut byte))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(n, 1, "connection closed during the response head");
        head.push(byte[0]);
    }
    let head = String::from_utf8(head).unwrap();
    (head[9..12].parse().unwrap(), stream)
}

/// The length of a TOTP time step, in milliseconds.
pub const TOTP_STEP_MS: i64 = 30_000;

/// The code an authenticator app shows for the base32 `key` in time step `step` (computed with totp-rs, as an
/// app would).
pub fn totp_code(key: &str, step: i64) -> String {
    let bytes = totp_rs::Secret::Encoded(key.to_owned()).to_bytes().unwrap();
    let totp = totp_rs::TOTP::new(
        totp_rs::Algorithm::SHA1,
        6,
        1,
        30,
        bytes,
        None,
        String::new(),
    )
    .unwrap();
    totp.generate((step * 30) as u64)
}

/// The current time step, after waiting for a fresh one if fewer than 10 seconds of it are left: the steps
/// `current - 1 ..= current + 1` stay acceptable while a test runs.
pub async fn fresh_totp_step() -> i64 {
    let now = storage::now().millis();
    let left = TOTP_STEP_MS - now.rem_euclid(TOTP_STEP_MS);
    if left < 10_000 {
        tokio::time::sleep(std::time::Duration::from_millis(left as u64 + 50)).await;
    }
    storage::now().millis().div_euclid(TOTP_STEP_MS)
}

/// Someone with two-factor authentication on: the key, the recovery codes, and the step whose neighbours
/// (`step` and `step + 1`) are still unused (enrolment used `step - 1`).
pub struct Enrolled {
    pub key: String,
    pub recovery: Vec<String>,
    pub step: i64,
}

/// Sets up two-factor authentication over HTTP for the session `cookie` ("start_two_factor", then
/// "confirm_two_factor" with the code of the step before [`fresh_totp_step`]); panics if either is refused.
pub async fn enrol_two_factor(app: &TestApp, cookie: &str) -> Enrolled {
    let enrolment: shared::model::TwoFactorEnrolment = app
        .call(Some(cookie), "start_two_factor", &[])
        .await
        .expect("start two-factor");
    let step = fresh_totp_step().await;
    let recovery: Vec<String> = app
        .call(
            Some(cookie),
            "confirm_two_factor",
            &[("code", &totp_code(&enrolment.key, step - 1))],
        )
        .await
        .expect("two-factor on");
    Enrolled {
        key: enrolment.key,
        recovery,
        step,
    }
}

/// The password step of the log-in over HTTP ("login"): what it answers (panics on an error).
pub async fn login_step(app: &TestApp, email: &str, password: &str) -> app::auth::LoginStep {
    app.call(None, "login", &[("email", email), ("password", password)])
        .await
        .unwrap_or_else(|e| panic!("log-in of {email}: {e:?}"))
}

/// The password step over HTTP for an account with two-factor on: the challenge it asks a code for (panics if it
/// logged in directly).
pub async fn second_factor_challenge(app: &TestApp, email: &str, password: &str) -> String {
    match login_step(app, email, password).await {
        app::auth::LoginStep::SecondFactor { challenge } => challenge,
        other => panic!("expected the code step for {email}, got {other:?}"),
    }
}

/// The second step of the log-in over HTTP ("login_second_factor"): the answer and the session cookie it set, if
/// any.
pub async fn second_step(
    app: &TestApp,
    challenge: &str,
    code: &str,
) -> (Reply<app::auth::LoginDone>, Option<String>) {
    let (status, body, headers) = app
        .post(
            None,
            "login_second_factor",
            &[("challenge", challenge), ("code", code)],
        )
        .await;
    (decode(status, &body), session_cookie(&headers))
}
