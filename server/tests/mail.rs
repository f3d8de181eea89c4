//! Outgoing e-mail end to end: the sender task (`server::mail`) delivering the outbox to a real SMTP server
//! (`end2end/mail/smtp_sink.py`, aiosmtpd), retrying while it is down, never sending a message twice with two
//! sender instances, keeping everything without SMTP settings, and what an attacker gets from headers.
//! Timeouts below only guard against hanging; no test asserts on speed.

mod common;

use common::smtp::{free_port, ReceivedMail, TestSmtp};
use server::cli::Cli;
use server::mail::{MailSender, MailerConfig, SmtpSettings};
use std::process::Command;
use std::time::Duration;
use storage::{Db, Letter, MailStatus, OutboxMessage};

/// A failure guard for anything the sender should do soon.
const GUARD: Duration = Duration::from_secs(60);
const FROM: &str = "ChargeDesk <noreply@chargedesk.example>";

/// A fresh database ([`common::fresh_db`]) whose links start with the default public URL.
async fn fresh_db() -> (common::TestDb, Db) {
    let (dir, db) = common::fresh_db().await;
    (dir, db.with_public_url("http://127.0.0.1:3000"))
}

/// The SMTP settings for a server on 127.0.0.1:`port` with TLS mode `tls` and the `extra` arguments, read the way
/// `serve` reads them.
fn smtp_settings(port: u16, tls: &str, extra: &[&str]) -> SmtpSettings {
    let port = port.to_string();
    let mut args = vec![
        "server",
        "--smtp-host",
        "127.0.0.1",
        "--smtp-port",
        &port,
        "--smtp-tls",
        tls,
    ];
    args.extend_from_slice(extra);
    args.extend(["--mail-from", FROM]);
    let cli = <Cli as clap::Parser>::try_parse_from(args).expect("arguments");
    SmtpSettings::from_settings(&cli.serve)
        .expect("accepted")
        .expect("SMTP configured")
}

/// The SMTP settings for the test server on `port` (no TLS, no log-in).
fn smtp_on(port: u16) -> SmtpSettings {
    smtp_settings(port, "none", &[])
}

/// Short delays, so that retries happen within the test.
fn quick() -> MailerConfig {
    MailerConfig {
        poll_interval: Duration::from_millis(100),
        backoff_base: Duration::from_millis(100),
        backoff_cap: Duration::from_millis(400),
        send_timeout: Duration::from_secs(10),
        ..MailerConfig::default()
    }
}

fn invitation(db: &Db, to: &str, n: usize) -> Letter {
    Letter::new(
        to,
        &format!("Set your ChargeDesk password ({n})"),
        "invitation",
    )
    .greeting("Jan")
    .paragraph("Eva de Vries added you to De Kroon B.V. as a cardholder.")
    .button(
        "Set your password",
        &db.link(&format!("/set-password#token=t{n}")),
    )
}

/// Waits until `done` holds for the whole outbox (oldest first), and returns it.
async fn outbox_when(db: &Db, done: impl Fn(&[OutboxMessage]) -> bool) -> Vec<OutboxMessage> {
    let started = std::time::Instant::now();
    loop {
        let mut outbox = db.outbox(1000).await.expect("outbox");
        outbox.reverse();
        if done(&outbox) {
            return outbox;
        }
        assert!(
            started.elapsed() < GUARD,
            "timed out waiting for the outbox: {outbox:#?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn all_sent(outbox: &[OutboxMessage]) -> bool {
    !outbox.is_empty() && outbox.iter().all(|m| m.status() == MailStatus::Sent)
}

fn settled(outbox: &[OutboxMessage]) -> bool {
    outbox.iter().all(|m| m.status() != MailStatus::Queued)
}

#[tokio::test]
async fn a_queued_letter_arrives_as_text_and_html_and_its_body_is_erased_after() {
    let smtp = TestSmtp::start();
    let (_dir, db) = fresh_db().await;
    let letter = invitation(&db, "jan@dekroon.example", 1);
    db.queue_mail(&letter).await.unwrap();
    let sender = MailSender::start(db.clone(), Some(smtp_on(smtp.port())), quick());

    let received = smtp.wait_for(|m| !m.is_empty(), GUARD).await;
    let outbox = outbox_when(&db, all_sent).await;
    sender.stop().await;

    assert_eq!(received.len(), 1);
    let mail = &received[0];
    assert_eq!(mail.from, FROM);
    assert_eq!(mail.mail_from, "noreply@chargedesk.example");
    assert_eq!(mail.to, ["jan@dekroon.example"]);
    assert_eq!(mail.header("To"), ["jan@dekroon.example"]);
    assert_eq!(mail.subject, "Set your ChargeDesk password (1)");
    assert_eq!(mail.text.trim_end(), letter.text().trim_end());
    assert!(mail
        .text
        .contains("Set your password:\nhttp://127.0.0.1:3000/set-password#token=t1\n"));
    assert!(mail
        .html
        .contains("href=\"http://127.0.0.1:3000/set-password#token=t1\""));
    assert_eq!(mail.html.trim_end(), letter.html().trim_end());
    let message = &outbox[0];
    assert_eq!(
        mail.message_id,
        format!(
            "<chargedesk.{}.{}@chargedesk.example>",
            message.id, message.created_at.0
        )
    );
    assert_eq!(
        mail.header("Content-Type")[0].split(';').next(),
        Some("multipart/alternative")
    );

    // Delivered: the record stays, the single-use link does not.
    assert_eq!(message.attempts, 1);
    assert!(message.sent_at.is_some());
    assert_eq!(message.body_text, "");
    assert_eq!(message.body_html, "");
    assert_eq!(message.recipient, "jan@dekroon.example");
}

#[tokio::test]
async fn while_smtp_is_down_failures_are_recorded_and_then_two_senders_deliver_each_message_exactly_once(
) {
    let port = free_port(); // nothing listens here yet
    let (_dir, db) = fresh_db().await;
    let sender_a = MailSender::start(db.clone(), Some(smtp_on(port)), quick());
    let sender_b = MailSender::start(db.clone(), Some(smtp_on(port)), quick());
    assert_ne!(sender_a.instance(), sender_b.instance());
    let recipients: Vec<String> = (0..12).map(|n| format!("person{n}@example.org")).collect();
    for (n, to) in recipients.iter().enumerate() {
        db.queue_mail(&invitation(&db, to, n)).await.unwrap();
    }

    // Every message has failed at least twice (so it was retried), and none is lost or given up on.
    let failing = outbox_when(&db, |outbox| {
        outbox.len() == recipients.len() && outbox.iter().all(|m| m.attempts >= 2)
    })
    .await;
    for message in &failing {
        assert_eq!(message.status(), MailStatus::Queued, "{message:?}");
        assert!(message.last_error.is_some(), "{message:?}");
        assert!(message.body_text.contains("/set-password#token="));
    }

    // The SMTP server comes up on that port: both senders deliver what is due.
    let smtp = TestSmtp::start_on(port);
    outbox_when(&db, all_sent).await;
    let received = smtp.messages();
    sender_a.stop().await;
    sender_b.stop().await;

    let mut delivered: Vec<String> = received.iter().flat_map(|m| m.to.clone()).collect();
    delivered.sort();
    let mut expected = recipients.clone();
    expected.sort();
    assert_eq!(delivered, expected, "each message exactly once");
    // Nothing arrives later either (marked sent means never claimed again).
    assert_eq!(smtp.messages().len(), recipients.len());
}

#[tokio::test]
async fn without_smtp_settings_nothing_is_claimed_and_the_outbox_keeps_the_message() {
    let (_dir, db) = fresh_db().await;
    let config = MailerConfig {
        poll_interval: Duration::from_millis(20),
        ..quick()
    };
    let sender = MailSender::start(db.clone(), None, config);
    db.queue_mail(&invitation(&db, "jan@dekroon.example", 1))
        .await
        .unwrap();
    // Let the task see the wake-up and a dozen polls.
    tokio::time::sleep(Duration::from_millis(300)).await;
    sender.stop().await;

    let outbox = db.outbox(10).await.unwrap();
    assert_eq!(outbox.len(), 1);
    assert_eq!(outbox[0].status(), MailStatus::Queued);
    assert_eq!(outbox[0].attempts, 0);
    assert!(outbox[0].body_text.contains("/set-password#token=t1"));
    // Not claimed by anyone: it is still free to claim.
    let free = db
        .claim_due_mail("probe", storage::now(), Duration::from_secs(60), 10)
        .await
        .unwrap();
    assert_eq!(free.len(), 1);
}

#[tokio::test]
async fn line_breaks_in_a_recipient_or_subject_cannot_add_headers_or_recipients() {
    let smtp = TestSmtp::start();
    let (_dir, db) = fresh_db().await;
    let injected_subject = "Your invitation\r\nBcc: eve@evil.example\r\nX-Injected: yes";
    for (to, subject) in [
        (
            "victim@example.org\r\nBcc: eve@evil.example",
            "recipient with a header",
        ),
        ("victim@example.org, eve@evil.example", "two recipients"),
        (
            "victim@example.org>\r\nRCPT TO:<eve@evil.example",
            "smtp command",
        ),
        ("jan@dekroon.example", injected_subject),
        ("jan@dekroon.example", "Hi\nBcc: eve@evil.example"),
    ] {
        db.queue_mail(&Letter::new(to, subject, "invitation").paragraph("Hello."))
            .await
            .unwrap();
    }
    let sender = MailSender::start(db.clone(), Some(smtp_on(smtp.port())), quick());
    let outbox = outbox_when(&db, settled).await;
    let received = smtp.messages();
    sender.stop().await;

    // The malformed recipients are given up on at once, never sent anywhere.
    for message in &outbox[..3] {
        assert_eq!(message.status(), MailStatus::Failed, "{message:?}");
        assert_eq!(message.attempts, 1);
        assert!(message
            .last_error
            .as_deref()
            .unwrap()
            .contains("not a valid e-mail address"));
    }
    // The subjects travel as one header line each, to the one recipient.
    assert_eq!(received.len(), 2, "{received:#?}");
    for mail in &received {
        assert_eq!(mail.to, ["jan@dekroon.example"]);
        assert_eq!(mail.header("To"), ["jan@dekroon.example"]);
        assert!(
            mail.header("Bcc").is_empty() && mail.header("X-Injected").is_empty(),
            "{mail:#?}"
        );
        assert!(!mail.subject.contains('\n') && !mail.subject.contains('\r'));
    }
    assert_eq!(
        received[0].subject,
        "Your invitation  Bcc: eve@evil.example  X-Injected: yes"
    );
    assert!(!received
        .iter()
        .flat_map(|m: &ReceivedMail| m.to.iter())
        .any(|to| to.contains("evil")));
}

#[tokio::test]
async fn a_recipient_the_smtp_server_refuses_for_good_is_given_up_at_once_and_others_still_go() {
    let smtp = TestSmtp::start_refusing("gone.example");
    let (_dir, db) = fresh_db().await;
    db.queue_mail(&invitation(&db, "nobody@gone.example", 1))
        .await
        .unwrap();
    db.queue_mail(&invitation(&db, "jan@dekroon.example", 2))
        .await
        .unwrap();
    let sender = MailSender::start(db.clone(), Some(smtp_on(smtp.port())), quick());
    let outbox = outbox_when(&db, settled).await;
    sender.stop().await;

    let refused = &outbox[0];
    assert_eq!(refused.status(), MailStatus::Failed);
    assert_eq!(refused.attempts, 1, "a 550 is not retried");
    assert!(
        refused.last_error.as_deref().unwrap().contains("550"),
        "{refused:?}"
    );
    // Given up on, it stays readable for the operator.
    assert!(refused.body_text.contains("/set-password#token=t1"));
    assert_eq!(outbox[1].status(), MailStatus::Sent);
    let received = smtp.messages();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].to, ["jan@dekroon.example"]);
}

/// Runs `server serve` with `env` (and no other SMTP settings) and returns its exit code and standard error.
fn serve_with(env: &[(&str, &str)]) -> (Option<i32>, String) {
    let dir = tempfile::tempdir().unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_server"));
    command.arg("--data-dir").arg(dir.path()).arg("serve");
    for var in [
        "CHARGEDESK_SMTP_HOST",
        "CHARGEDESK_SMTP_PORT",
        "CHARGEDESK_SMTP_TLS",
        "CHARGEDESK_SMTP_USER",
        "CHARGEDESK_SMTP_PASSWORD",
        "CHARGEDESK_MAIL_FROM",
        "CHARGEDESK_PUBLIC_URL",
    ] {
        command.env_remove(var);
    }
    // A port nothing uses, in case a refusal did not happen and it starts serving.
    command.env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{}", free_port()));
    command.envs(env.iter().copied());
    let mut child = command
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > GUARD {
            let _ = child.kill();
            panic!("serve did not refuse to start");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let output = child.wait_with_output().unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn serve_refuses_to_send_an_smtp_password_in_clear_over_the_network_or_to_mail_without_a_sender() {
    let (code, stderr) = serve_with(&[
        ("CHARGEDESK_SMTP_HOST", "smtp.example.com"),
        ("CHARGEDESK_SMTP_TLS", "none"),
        ("CHARGEDESK_SMTP_USER", "chargedesk"),
        ("CHARGEDESK_SMTP_PASSWORD", "very-secret-smtp-password"),
        ("CHARGEDESK_MAIL_FROM", FROM),
    ]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("without encryption"), "{stderr}");
    assert!(!stderr.contains("very-secret-smtp-password"), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");

    let (code, stderr) = serve_with(&[("CHARGEDESK_SMTP_HOST", "smtp.example.com")]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("CHARGEDESK_MAIL_FROM"), "{stderr}");
}

/// A hostile "SMTP server" on a loopback port that records what clients send it: a plain-text greeting and
/// EHLO answer offering AUTH but no STARTTLS (as a man in the middle stripping it would), `250` to anything else.
struct Eavesdropper {
    port: u16,
    received: std::sync::Arc<std::sync::Mutex<Vec<u8>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Eavesdropper {
    async fn start() -> Eavesdropper {
        use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let received = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let task = tokio::spawn({
            let received = received.clone();
            async move {
                while let Ok((stream, _)) = listener.accept().await {
                    let received = received.clone();
                    tokio::spawn(async move {
                        let (read, mut write) = stream.into_split();
                        let mut read = BufReader::new(read);
                        let _ = write.write_all(b"220 mail.example ESMTP\r\n").await;
                        loop {
                            let mut line = Vec::new();
                            match read.read_until(b'\n', &mut line).await {
                                Ok(0) | Err(_) => return,
                                Ok(_) => {}
                            }
                            received.lock().unwrap().extend_from_slice(&line);
                            let answer: &[u8] = if line.to_ascii_uppercase().starts_with(b"EHLO") {
                                b"250-mail.example\r\n250 AUTH PLAIN LOGIN\r\n"
                            } else {
                                b"250 OK\r\n"
                            };
                            if write.write_all(answer).await.is_err() {
                                return;
                            }
                        }
                    });
                }
            }
        });
        Eavesdropper {
            port,
            received,
            task,
        }
    }

    fn received(&self) -> Vec<u8> {
        self.received.lock().unwrap().clone()
    }
}

impl Drop for Eavesdropper {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The SMTP settings for a server on `port` with TLS mode `tls` and a user name and password to log in with.
fn smtp_with_password(port: u16, tls: &str) -> SmtpSettings {
    smtp_settings(
        port,
        tls,
        &[
            "--smtp-user",
            "chargedesk",
            "--smtp-password",
            "very-secret-smtp-password",
        ],
    )
}

/// One invitation queued in a fresh database and a sender started for it, to the eavesdropper `eve` with TLS mode
/// `tls` and a password (the caller waits for the outbox and stops the sender).
async fn sending_to(eve: &Eavesdropper, tls: &str) -> (common::TestDb, Db, MailSender) {
    let (dir, db) = fresh_db().await;
    db.queue_mail(&invitation(&db, "jan@dekroon.example", 1))
        .await
        .unwrap();
    let sender = MailSender::start(db.clone(), Some(smtp_with_password(eve.port, tls)), quick());
    (dir, db, sender)
}

#[tokio::test]
async fn a_server_that_does_not_offer_starttls_gets_neither_the_password_nor_the_message() {
    let eve = Eavesdropper::start().await;
    let (_dir, db, sender) = sending_to(&eve, "starttls").await;
    let outbox = outbox_when(&db, |o| o.iter().all(|m| m.attempts >= 2)).await;
    sender.stop().await;

    // The sender greeted, saw no STARTTLS and gave up on the connection: nothing else was said.
    let said = String::from_utf8_lossy(&eve.received()).to_ascii_uppercase();
    assert!(said.starts_with("EHLO"), "{said}");
    for secret in [
        "AUTH",
        "MAIL FROM",
        "RCPT",
        "DATA",
        "SET-PASSWORD",
        "Y2HHCMDLZGVZA",
    ] {
        assert!(!said.contains(secret), "{secret} in: {said}");
    }
    assert_eq!(outbox[0].status(), MailStatus::Queued, "kept for a retry");
    assert!(outbox[0].last_error.is_some());
}

#[tokio::test]
async fn implicit_tls_speaks_tls_from_the_first_byte() {
    let eve = Eavesdropper::start().await;
    let (_dir, db, sender) = sending_to(&eve, "tls").await;
    let outbox = outbox_when(&db, |o| {
        o.iter().all(|m| m.attempts >= 1 && m.last_error.is_some())
    })
    .await;
    sender.stop().await;

    // A TLS ClientHello (record type 22, version 3.x), not an SMTP command.
    let bytes = eve.received();
    assert!(
        bytes.len() >= 3 && bytes[0] == 0x16 && bytes[1] == 0x03,
        "{bytes:?}"
    );
    assert!(!String::from_utf8_lossy(&bytes).contains("very-secret-smtp-password"));
    assert_eq!(outbox[0].status(), MailStatus::Queued);
}
