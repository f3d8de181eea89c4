//! A real SMTP server for tests: `end2end/mail/smtp_sink.py` (aiosmtpd) on a loopback port, which writes each
//! message it receives as a JSON file; [`TestSmtp::messages`] reads them back.
//!
//! The Python comes from `CHARGEDESK_TEST_PYTHON`, else `$HOME/.cache/chargedesk/venv/bin/python` (the venv
//! `scripts/setup.sh` installs `end2end/interop/requirements.txt` into).

use serde::Deserialize;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long the SMTP server may take to start (a failure guard, not an expectation).
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// One message as the SMTP server received it (the JSON that `smtp_sink.py` writes).
#[derive(Debug, Clone, Deserialize)]
pub struct ReceivedMail {
    /// The From header, decoded.
    pub from: String,
    /// The envelope recipients (RCPT TO).
    pub to: Vec<String>,
    /// The Subject header, decoded.
    pub subject: String,
    /// The text/plain part ("" if none).
    pub text: String,
    /// The text/html part ("" if none).
    pub html: String,
    /// The Message-ID header.
    pub message_id: String,
    /// The envelope sender (MAIL FROM).
    pub mail_from: String,
    /// Every header as (name, value), in order.
    pub headers: Vec<(String, String)>,
}

impl ReceivedMail {
    /// The values of every header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

/// The running SMTP server; stopped (killed) when dropped.
pub struct TestSmtp {
    port: u16,
    child: Child,
    dir: tempfile::TempDir,
}

/// A loopback port that nothing listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

fn python() -> PathBuf {
    let python = std::env::var_os("CHARGEDESK_TEST_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let home = std::env::var_os("HOME").expect("HOME is set");
            Path::new(&home).join(".cache/chargedesk/venv/bin/python")
        });
    assert!(
        python.exists(),
        "the test SMTP server needs Python with aiosmtpd at {}: run scripts/setup.sh (it installs \
         end2end/interop/requirements.txt into that venv), or set CHARGEDESK_TEST_PYTHON",
        python.display()
    );
    python
}

impl TestSmtp {
    /// Starts the SMTP server on a free loopback port.
    pub fn start() -> TestSmtp {
        Self::start_on(free_port())
    }

    /// Starts the SMTP server on `port` (e.g. one a sender has been failing to reach), and returns once it
    /// accepts connections.
    pub fn start_on(port: u16) -> TestSmtp {
        Self::launch(port, &[])
    }

    /// Starts the SMTP server on a free port, answering every recipient at `domain` with a permanent
    /// "550 5.1.1 No such mailbox".
    pub fn start_refusing(domain: &str) -> TestSmtp {
        Self::launch(free_port(), &["--refuse-domain", domain])
    }

    fn launch(port: u16, extra: &[&str]) -> TestSmtp {
        let dir = tempfile::tempdir().expect("tempdir");
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../end2end/mail/smtp_sink.py");
        let log = std::fs::File::create(dir.path().join("sink.log")).expect("log file");
        let mut child = Command::new(python())
            .arg(&script)
            .args(["--host", "127.0.0.1", "--port", &port.to_string(), "--dir"])
            .arg(dir.path().join("mail"))
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start smtp_sink.py");
        let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        let started = Instant::now();
        loop {
            if let Some(status) = child.try_wait().expect("smtp_sink.py status") {
                let log = std::fs::read_to_string(dir.path().join("sink.log")).unwrap_or_default();
                panic!(
                    "the test SMTP server exited ({status}); if aiosmtpd is missing, run scripts/setup.sh:\n{log}"
                );
            }
            if TcpStream::connect_timeout(&address, Duration::from_millis(200)).is_ok() {
                break;
            }
            if started.elapsed() > START_TIMEOUT {
                let _ = child.kill();
                panic!("the test SMTP server did not accept connections on {address}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        TestSmtp { port, child, dir }
    }

    /// Its port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Every message received so far, in the order received.
    pub fn messages(&self) -> Vec<ReceivedMail> {
        let Ok(entries) = std::fs::read_dir(self.dir.path().join("mail")) else {
            return Vec::new();
        };
        let mut files: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.extension().is_some_and(|x| x == "json")
                    && !p
                        .file_name()
                        .is_some_and(|n| n.to_string_lossy().starts_with('.'))
            })
            .collect();
        files.sort();
        files
            .iter()
            .map(|file| {
                let json = std::fs::read_to_string(file).expect("read a received message");
                serde_json::from_str(&json).expect("a received message's JSON")
            })
            .collect()
    }

    /// Waits (without blocking the runtime) until `done` holds for the messages received, and returns them;
    /// panics after `timeout` (a failure guard).
    pub async fn wait_for(
        &self,
        done: impl Fn(&[ReceivedMail]) -> bool,
        timeout: Duration,
    ) -> Vec<ReceivedMail> {
        let started = Instant::now();
        loop {
            let messages = self.messages();
            if done(&messages) {
                return messages;
            }
            if started.elapsed() > timeout {
                panic!("timed out waiting for e-mail; received so far: {messages:#?}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for TestSmtp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
