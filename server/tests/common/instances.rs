//! Real `server` processes for tests of what only a process shows (signals, exit status, several instances on
//! one database), and the clients that talk to them: a station over OCPP-J ([`Station`]) and a browser's server
//! function calls over HTTP ([`Browser`]).
//!
//! An [`Instance`] is the built binary (`serve`, optionally `--demo`) listening on a loopback port the system
//! chose, its standard output and error captured; it is killed when dropped, so a failing test leaves no
//! process behind.

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::ffi::OsString;
use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::{self, Message};

/// How long an instance may take to listen, and to become ready.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// A running `server` process.
pub struct Instance {
    child: Child,
    /// Where it listens.
    pub addr: SocketAddr,
    /// Every line it wrote so far, standard output and error interleaved as they arrived.
    output: Arc<Mutex<Vec<String>>>,
    /// The same lines, for [`Instance::wait_for_line`].
    lines: mpsc::Receiver<String>,
    exited: Option<ExitStatus>,
    /// Its working directory (nothing is written there when the database is given).
    _cwd: tempfile::TempDir,
}

impl Instance {
    /// Starts `server [database] serve [--demo]` with `env` on top of a clean environment (none of the caller's
    /// database, log, SMTP or public-URL settings) and waits until it listens and `/readyz` answers 200.
    /// `database` is e.g. `TestDb::server_args()`: `--database-url <url>` or `--data-dir <dir>`.
    pub async fn start(database: &[OsString], demo: bool, env: &[(&str, &str)]) -> Instance {
        let cwd = tempfile::tempdir().expect("tempdir");
        let mut command = Command::new(env!("CARGO_BIN_EXE_server"));
        command
            .current_dir(cwd.path())
            .env_remove("DATABASE_URL")
            .env_remove("CHARGEDESK_DATA_DIR")
            .env_remove("CHARGEDESK_LOG_FORMAT")
            .env_remove("CHARGEDESK_PUBLIC_URL")
            .env_remove("CHARGEDESK_SMTP_HOST")
            .env_remove("CHARGEDESK_TRUSTED_PROXIES")
            .env_remove("CHARGEDESK_DEMO")
            .env_remove("CHARGEDESK_SHUTDOWN_GRACE_SECS")
            .env("LEPTOS_SITE_ADDR", "127.0.0.1:0")
            .env("RUST_LOG", "info,sqlx=warn")
            // The stations of these tests answer no CALL (the list sync is tests/local_list.rs').
            .env("CHARGEDESK_LOCAL_LIST_SYNC", "off")
            .args(database)
            .arg("serve");
        if demo {
            command.arg("--demo");
        }
        for (name, value) in env {
            command.env(name, value);
        }
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start the server binary");
        let output = Arc::new(Mutex::new(Vec::new()));
        let (send, lines) = mpsc::channel();
        capture(child.stdout.take().unwrap(), output.clone(), send.clone());
        capture(child.stderr.take().unwrap(), output.clone(), send);
        let mut instance = Instance {
            child,
            addr: "127.0.0.1:0".parse().unwrap(),
            output,
            lines,
            exited: None,
            _cwd: cwd,
        };
        let listening = instance.wait_for_line("ChargeDesk is listening on http://", START_TIMEOUT);
        instance.addr = listening
            .rsplit("http://")
            .next()
            .unwrap()
            .trim()
            .parse()
            .expect("the address it listens on");
        instance.wait_ready().await;
        instance
    }

    /// Waits until `GET /readyz` answers 200.
    async fn wait_ready(&mut self) {
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Ok(answer) = http_request(self.addr, "GET", "/readyz", &[], "").await {
                if answer.status == 200 {
                    return;
                }
            }
            assert!(
                Instant::now() < deadline,
                "not ready within {START_TIMEOUT:?}:\n{}",
                self.output()
            );
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("exited with {status} before ready:\n{}", self.output());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The next line of its output that contains `text` (earlier lines are passed over); panics after
    /// `timeout`. Blocks the calling thread.
    pub fn wait_for_line(&mut self, text: &str, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) if line.contains(text) => return line,
                Ok(_) => {}
                Err(_) => panic!(
                    "no line with {text:?} within {timeout:?}; output:\n{}",
                    self.output()
                ),
            }
        }
    }

    /// Everything it wrote so far.
    pub fn output(&self) -> String {
        self.output.lock().unwrap().join("\n")
    }

    /// The URL of a station's OCPP endpoint on this instance.
    pub fn ocpp_url(&self, charge_point_id: &str) -> String {
        format!("ws://{}/ocpp/{charge_point_id}", self.addr)
    }

    /// Sends SIGTERM (what a service manager or a container runtime sends to stop it).
    pub fn terminate(&self) {
        use rustix::process::{kill_process, Pid, Signal};
        let pid = i32::try_from(self.child.id())
            .ok()
            .and_then(Pid::from_raw)
            .expect("the server's process id");
        kill_process(pid, Signal::TERM).expect("send SIGTERM to the server");
    }

    /// Sends SIGKILL (`kill -9`: the process ends at once, without any shutdown) and waits for it to end.
    pub fn kill(&mut self) {
        self.child.kill().expect("kill -9 the server");
        self.exited = Some(self.child.wait().expect("wait for the server"));
    }

    /// Waits until the process has exited, at most `timeout` (then it is killed and the test fails); returns its
    /// exit status.
    pub fn wait_exit(&mut self, timeout: Duration) -> ExitStatus {
        if let Some(status) = self.exited {
            return status;
        }
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().expect("wait for the server") {
                self.exited = Some(status);
                return status;
            }
            if Instant::now() >= deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!(
                    "still running {timeout:?} after it was told to stop; output:\n{}",
                    self.output()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        if self.exited.is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Reads `stream` line by line into `output` and `send`, on a thread of its own.
fn capture(
    stream: impl Read + Send + 'static,
    output: Arc<Mutex<Vec<String>>>,
    send: mpsc::Sender<String>,
) {
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { break };
            output.lock().unwrap().push(line.clone());
            // The receiver is gone once the instance is dropped; the output is still drained.
            let _ = send.send(line);
        }
    });
}

// --- HTTP, as a browser calls server functions --------------------------------------------------------------

/// An HTTP answer: status, headers (names in lower case) and the body (chunks joined).
#[derive(Debug)]
pub struct HttpAnswer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl HttpAnswer {
    /// The first header called `name` (lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// One HTTP/1.1 request on a new connection (`Connection: close`), read to its end.
pub async fn http_request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> std::io::Result<HttpAnswer> {
    let mut stream = tokio::net::TcpStream::connect(addr).await?;
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(body);
    stream.write_all(request.as_bytes()).await?;
    let mut raw = Vec::new();
    tokio::time::timeout(Duration::from_secs(30), stream.read_to_end(&mut raw))
        .await
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "no answer in 30 s"))??;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, rest) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| std::io::Error::other(format!("no complete answer head: {text:?}")))?;
    let mut head_lines = head.split("\r\n");
    let status = head_lines
        .next()
        .and_then(|line| line.split(' ').nth(1))
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("no status line: {head:?}")))?;
    let headers: Vec<(String, String)> = head_lines
        .filter_map(|line| line.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let chunked = headers
        .iter()
        .any(|(n, v)| n == "transfer-encoding" && v.eq_ignore_ascii_case("chunked"));
    let body = if chunked {
        dechunk(rest)
    } else {
        rest.to_owned()
    };
    Ok(HttpAnswer {
        status,
        headers,
        body,
    })
}

/// The body of a chunked transfer encoding (what arrived of it).
pub fn dechunk(mut rest: &str) -> String {
    let mut body = String::new();
    while let Some((size, after)) = rest.split_once("\r\n") {
        let Ok(size) = usize::from_str_radix(size.split(';').next().unwrap_or("").trim(), 16)
        else {
            break;
        };
        if size == 0 || after.len() < size {
            break;
        }
        body.push_str(&after[..size]);
        rest = after[size..].trim_start_matches("\r\n");
    }
    body
}

/// A browser's session on one instance: the session cookie its log-in set.
pub struct Browser {
    addr: SocketAddr,
    cookie: String,
}

impl Browser {
    /// Logs in on the instance at `addr` (`POST /api/login`, as the log-in page does); panics unless it
    /// logged in.
    pub async fn login(addr: SocketAddr, email: &str, password: &str) -> Browser {
        let answer = server_function(
            addr,
            None,
            "login",
            &[("email", email), ("password", password)],
        )
        .await;
        assert_eq!(answer.status, 200, "log-in of {email}: {}", answer.body);
        let cookie = answer
            .headers
            .iter()
            .filter(|(n, _)| n == "set-cookie")
            .find_map(|(_, v)| v.strip_prefix("chargedesk_session="))
            .map(|v| v.split(';').next().unwrap_or_default().to_owned())
            .expect("the log-in sets the session cookie");
        Browser { addr, cookie }
    }

    /// The session cookie's value.
    pub fn session_cookie(&self) -> &str {
        &self.cookie
    }

    /// Calls server function `endpoint` with the session; the answer's JSON, or panics on a refusal.
    pub async fn call(&self, endpoint: &str, form: &[(&str, &str)]) -> Value {
        let answer = server_function(self.addr, Some(&self.cookie), endpoint, form).await;
        assert_eq!(answer.status, 200, "{endpoint}: {}", answer.body);
        serde_json::from_str(&answer.body)
            .unwrap_or_else(|e| panic!("{endpoint}: {e}: {}", answer.body))
    }
}

/// `POST /api/<endpoint>`, form-encoded, same-origin, with the session cookie if given.
pub async fn server_function(
    addr: SocketAddr,
    cookie: Option<&str>,
    endpoint: &str,
    form: &[(&str, &str)],
) -> HttpAnswer {
    let body = form
        .iter()
        .map(|(k, v)| format!("{}={}", form_encode(k), form_encode(v)))
        .collect::<Vec<_>>()
        .join("&");
    let cookie = cookie.map(|c| format!("chargedesk_session={c}"));
    let mut headers = vec![
        ("Content-Type", "application/x-www-form-urlencoded"),
        ("Accept", "application/json"),
    ];
    if let Some(cookie) = &cookie {
        headers.push(("Cookie", cookie));
    }
    http_request(addr, "POST", &format!("/api/{endpoint}"), &headers, &body)
        .await
        .unwrap_or_else(|e| panic!("{endpoint}: {e}"))
}

fn form_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

// --- A station over OCPP-J 1.6 -------------------------------------------------------------------------------

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A charge point connected to an instance: sends CALLs and reads their answers.
pub struct Station {
    socket: Socket,
    next_id: u64,
}

impl Station {
    /// Connects to `url` (`ws://…/ocpp/<id>`) with subprotocol `ocpp1.6` and, if given, Basic credentials.
    pub async fn connect(
        url: &str,
        basic: Option<(&str, &str)>,
    ) -> Result<Station, tungstenite::Error> {
        let mut request = url.into_client_request().unwrap();
        request.headers_mut().insert(
            "Sec-WebSocket-Protocol",
            HeaderValue::from_static("ocpp1.6"),
        );
        if let Some((user, password)) = basic {
            use base64::Engine;
            let token =
                base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
            request.headers_mut().insert(
                "Authorization",
                HeaderValue::from_str(&format!("Basic {token}")).unwrap(),
            );
        }
        let (socket, _) = tokio::time::timeout(
            Duration::from_secs(10),
            tokio_tungstenite::connect_async(request),
        )
        .await
        .map_err(|_| tungstenite::Error::Io(std::io::ErrorKind::TimedOut.into()))??;
        Ok(Station { socket, next_id: 1 })
    }

    /// Sends CALL `action` and returns the answer frame (`[3, id, payload]` or `[4, id, code, …]`).
    pub async fn send_call(&mut self, action: &str, payload: Value) -> Value {
        let id = self.next_id.to_string();
        self.next_id += 1;
        self.socket
            .send(Message::Text(
                json!([2, id, action, payload]).to_string().into(),
            ))
            .await
            .unwrap_or_else(|e| panic!("sending {action}: {e}"));
        let answer = self.next_text().await;
        assert_eq!(answer[1], id.as_str(), "the answer to {action}: {answer}");
        answer
    }

    /// Sends CALL `action` and returns its CALLRESULT's payload (panics on a CALLERROR).
    pub async fn call(&mut self, action: &str, payload: Value) -> Value {
        let answer = self.send_call(action, payload).await;
        assert_eq!(answer[0], 3, "a CALLRESULT to {action}: {answer}");
        answer[2].clone()
    }

    /// The next text frame (pings are answered by tungstenite while reading).
    async fn next_text(&mut self) -> Value {
        loop {
            let message = tokio::time::timeout(Duration::from_secs(10), self.socket.next())
                .await
                .expect("an answer within 10 s")
                .expect("connection open")
                .expect("a frame");
            if let Message::Text(text) = message {
                return serde_json::from_str(text.as_str()).unwrap();
            }
        }
    }

    /// Reads until the server closes the connection (at most `timeout`): its close frame, or `None` when the
    /// connection ended without one.
    pub async fn closed(&mut self, timeout: Duration) -> Option<CloseFrame> {
        tokio::time::timeout(timeout, async {
            loop {
                match self.socket.next().await {
                    Some(Ok(Message::Close(frame))) => return frame,
                    Some(Ok(_)) => continue,
                    Some(Err(_)) | None => return None,
                }
            }
        })
        .await
        .expect("the server closes the connection in time")
    }
}
