//! Delivering the outbox (`storage::mail`): the SMTP settings, and the sender task that claims due messages,
//! sends each over SMTP (lettre) as text + HTML, and records it sent or failed.
//!
//! - A request never waits for the mail server: it only queues a message in its own transaction and wakes
//!   the sender ([`storage::Db::wake_mail_sender`]); the sender also polls, for messages queued by other
//!   instances.
//! - No message is lost: a message leaves the queue only when the SMTP server accepted it, or when it is given
//!   up on (then it stays in the outbox, marked failed, for the operator). A failure is retried with a growing
//!   delay ([`MailerConfig::backoff`]); an instance that dies mid-send leaves a claim that expires, and another
//!   instance takes the message over.
//! - No message is sent twice by two instances: claims are exclusive ([`storage::Db::claim_due_mail`]), and a
//!   message is only sent while well within its claim's lease.
//! - Without SMTP settings nothing is claimed: each newly queued message is logged once ("kept in the
//!   outbox") and `server outbox` shows it.

use crate::cli::ServeSettings;
use lettre::message::header::ContentType;
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use shared::time::Timestamp;
use std::fmt;
use std::net::IpAddr;
use std::time::Duration;
use storage::{Db, OutboxMessage};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// How the connection to the SMTP server is protected (`CHARGEDESK_SMTP_TLS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SmtpTls {
    /// Plain connection upgraded with STARTTLS, which is required (submission port 587).
    Starttls,
    /// TLS from the first byte ("implicit TLS", port 465).
    Tls,
    /// No encryption (a relay on the same host or network, port 25).
    None,
}

impl SmtpTls {
    /// The usual port of this mode: 587, 465 or 25.
    pub fn default_port(self) -> u16 {
        match self {
            SmtpTls::Starttls => 587,
            SmtpTls::Tls => 465,
            SmtpTls::None => 25,
        }
    }
}

/// Where and how to deliver e-mail: checked settings (see [`SmtpSettings::from_settings`]).
#[derive(Clone)]
pub struct SmtpSettings {
    /// The SMTP server's host name or address.
    pub host: String,
    /// Its port.
    pub port: u16,
    /// How the connection is protected.
    pub tls: SmtpTls,
    /// User name and password to log in with, if the server wants them.
    pub credentials: Option<(String, String)>,
    /// The sender of every message (`ChargeDesk <noreply@example.com>`).
    pub from: Mailbox,
}

/// Never shows the password.
impl fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("user", &self.credentials.as_ref().map(|(user, _)| user))
            .field("from", &self.from.to_string())
            .finish()
    }
}

impl fmt::Display for SmtpSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let tls = match self.tls {
            SmtpTls::Starttls => "STARTTLS",
            SmtpTls::Tls => "TLS",
            SmtpTls::None => "no encryption",
        };
        write!(f, "{}:{} ({tls}) from {}", self.host, self.port, self.from)
    }
}

impl SmtpSettings {
    /// The SMTP settings of `serve`: `Ok(None)` without `CHARGEDESK_SMTP_HOST` (messages stay in the outbox),
    /// `Err` the one line to refuse to start with when they are incomplete or unsafe.
    pub fn from_settings(settings: &ServeSettings) -> Result<Option<SmtpSettings>, String> {
        let Some(host) = settings
            .smtp_host
            .as_deref()
            .map(str::trim)
            .filter(|h| !h.is_empty())
        else {
            return Ok(None);
        };
        let from = match settings.mail_from.as_deref().map(str::trim) {
            None | Some("") => {
                return Err(
                    "CHARGEDESK_SMTP_HOST is set but CHARGEDESK_MAIL_FROM is not: set the sender of ChargeDesk's \
                     e-mails, e.g. CHARGEDESK_MAIL_FROM='ChargeDesk <noreply@example.com>'"
                        .into(),
                )
            }
            Some(from) => from.parse::<Mailbox>().map_err(|_| {
                "CHARGEDESK_MAIL_FROM is not a mailbox: write it as 'ChargeDesk <noreply@example.com>' or \
                 noreply@example.com"
                    .to_string()
            })?,
        };
        let credentials = match (&settings.smtp_user, &settings.smtp_password) {
            (None, None) => None,
            (Some(user), Some(password)) => Some((user.clone(), password.clone())),
            _ => {
                return Err(
                    "CHARGEDESK_SMTP_USER and CHARGEDESK_SMTP_PASSWORD go together: set both or neither".into(),
                )
            }
        };
        let tls = settings.smtp_tls;
        if tls == SmtpTls::None && credentials.is_some() && !is_loopback_host(host) {
            return Err(format!(
                "refusing to log in to the SMTP server {host} without encryption: the password would cross the \
                 network in clear. Use CHARGEDESK_SMTP_TLS=starttls or tls, or a relay on this host"
            ));
        }
        Ok(Some(SmtpSettings {
            host: host.to_owned(),
            port: settings.smtp_port.unwrap_or_else(|| tls.default_port()),
            tls,
            credentials,
            from,
        }))
    }

    /// The lettre transport for these settings (it connects per message: no connection is held idle).
    fn transport(
        &self,
        timeout: Duration,
    ) -> Result<AsyncSmtpTransport<Tokio1Executor>, lettre::transport::smtp::Error> {
        let builder = match self.tls {
            SmtpTls::Starttls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&self.host)?,
            SmtpTls::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&self.host)?,
            SmtpTls::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&self.host),
        };
        let builder = builder.port(self.port).timeout(Some(timeout));
        let builder = match &self.credentials {
            Some((user, password)) => {
                builder.credentials(Credentials::new(user.clone(), password.clone()))
            }
            None => builder,
        };
        Ok(builder.build())
    }
}

/// `localhost` or a loopback address (where a connection does not cross the network).
fn is_loopback_host(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// The sender's timing. [`MailerConfig::default`] is production's; tests use shorter ones.
#[derive(Debug, Clone)]
pub struct MailerConfig {
    /// How often the sender looks for due messages without being woken (messages queued by other instances,
    /// retries that became due).
    pub poll_interval: Duration,
    /// How long a claim holds a message for this instance; after it another instance may take the message.
    pub lease: Duration,
    /// Messages claimed at once.
    pub batch: i64,
    /// The longest one delivery attempt may take (connecting included).
    pub send_timeout: Duration,
    /// The delay after the first failure; it doubles with each further failure …
    pub backoff_base: Duration,
    /// … up to this.
    pub backoff_cap: Duration,
    /// A message that still fails this long after it was queued is given up on.
    pub give_up_after: Duration,
}

impl Default for MailerConfig {
    fn default() -> Self {
        Self {
            poll_interval: Duration::from_secs(5),
            lease: Duration::from_secs(120),
            batch: 10,
            send_timeout: Duration::from_secs(30),
            backoff_base: Duration::from_secs(30),
            backoff_cap: Duration::from_secs(3600),
            give_up_after: Duration::from_secs(3 * 24 * 3600),
        }
    }
}

impl MailerConfig {
    /// The delay before the next attempt after `attempts` attempts failed (1 → base, 2 → twice that, …, at
    /// most the cap).
    pub fn backoff(&self, attempts: i64) -> Duration {
        let doublings = u32::try_from(attempts.saturating_sub(1).clamp(0, 32)).unwrap_or(32);
        self.backoff_base
            .checked_mul(1u32 << doublings.min(31))
            .map_or(self.backoff_cap, |d| d.min(self.backoff_cap))
    }
}

/// Whether an SMTP failure is the recipient's address being refused for good (5xx "no such mailbox", "not
/// allowed"): retrying will not help. Other permanent replies (authentication, policy) are usually settings
/// and are retried until the message is given up on.
fn recipient_refused(error: &lettre::transport::smtp::Error) -> bool {
    error.is_permanent()
        && error
            .status()
            .is_some_and(|code| matches!(u16::from(code), 550 | 551 | 553))
}

/// What became of one delivery attempt.
enum Outcome {
    Sent,
    /// Failed; `permanent` when retrying cannot help.
    Failed {
        error: String,
        permanent: bool,
    },
}

/// The running sender task (or, without SMTP, the task logging newly queued messages). Stops when
/// [`MailSender::stop`] is called or it is dropped.
#[derive(Debug)]
pub struct MailSender {
    instance: String,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl MailSender {
    /// Starts the task for `db`: delivering over `smtp`, or, without it, only logging what is queued.
    /// Must be called inside a tokio runtime.
    pub fn start(db: Db, smtp: Option<SmtpSettings>, config: MailerConfig) -> MailSender {
        let instance = new_instance_id();
        let (stop, stopped) = watch::channel(false);
        let task = match smtp {
            Some(smtp) => {
                tracing::info!(%smtp, instance = %instance, "sending e-mail over SMTP");
                let sender = Sender {
                    db,
                    smtp,
                    config,
                    instance: instance.clone(),
                };
                tokio::spawn(sender.run(stopped))
            }
            None => {
                tracing::warn!(
                    "SMTP is not configured: e-mails are kept in the outbox; list them with `server outbox`"
                );
                tokio::spawn(log_queued(db, config.poll_interval, stopped))
            }
        };
        MailSender {
            instance,
            stop,
            task,
        }
    }

    /// This process's sender id, as stored in the claims it makes.
    pub fn instance(&self) -> &str {
        &self.instance
    }

    /// Stops the task, letting a delivery in progress finish (a claim it could not mark expires and the
    /// message is sent later).
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

/// A random id for this process's claims: a host-independent 16 hex digits.
fn new_instance_id() -> String {
    use rand::Rng;
    format!("sender-{:016x}", rand::thread_rng().gen::<u64>())
}

/// The delivering task's state.
struct Sender {
    db: Db,
    smtp: SmtpSettings,
    config: MailerConfig,
    instance: String,
}

impl Sender {
    async fn run(self, mut stopped: watch::Receiver<bool>) {
        loop {
            // Deliver everything due, batch after batch, then wait for a wake-up or the next poll.
            loop {
                if *stopped.borrow() {
                    return;
                }
                match self.deliver_batch(&mut stopped).await {
                    Ok(0) => break,
                    Ok(_) => {}
                    Err(error) => {
                        tracing::error!(error = %error, source = ?std::error::Error::source(&error), "could not read the mail outbox");
                        break;
                    }
                }
            }
            tokio::select! {
                _ = self.db.mail_queued() => {}
                _ = tokio::time::sleep(self.config.poll_interval) => {}
                _ = stopped.changed() => return,
            }
        }
    }

    /// Claims due messages and delivers them; returns how many were claimed.
    async fn deliver_batch(
        &self,
        stopped: &mut watch::Receiver<bool>,
    ) -> Result<usize, storage::StorageError> {
        let claimed_at = tokio::time::Instant::now();
        let claimed = self
            .db
            .claim_due_mail(
                &self.instance,
                storage::now(),
                self.config.lease,
                self.config.batch,
            )
            .await?;
        // A message is sent only if the attempt ends (send timeout) well before the claim does, so that no
        // other instance can have taken it over meanwhile. The rest wait for their claim to expire.
        let send_until = claimed_at
            + self
                .config
                .lease
                .saturating_sub(self.config.send_timeout + Duration::from_secs(1));
        for message in &claimed {
            if *stopped.borrow() || tokio::time::Instant::now() >= send_until {
                break;
            }
            let outcome = self.send(message).await;
            if let Err(error) = self.record(message, outcome).await {
                tracing::error!(id = message.id, error = %error, "could not record a delivery attempt");
            }
        }
        Ok(claimed.len())
    }

    /// One delivery attempt, bounded by the send timeout.
    async fn send(&self, message: &OutboxMessage) -> Outcome {
        let email = match build_message(&self.smtp.from, message) {
            Ok(email) => email,
            Err(error) => {
                return Outcome::Failed {
                    error,
                    permanent: true,
                }
            }
        };
        let transport = match self.smtp.transport(self.config.send_timeout) {
            Ok(transport) => transport,
            Err(error) => {
                return Outcome::Failed {
                    error: format!("SMTP settings: {error}"),
                    permanent: false,
                }
            }
        };
        match tokio::time::timeout(self.config.send_timeout, transport.send(email)).await {
            Ok(Ok(_)) => Outcome::Sent,
            Ok(Err(error)) => Outcome::Failed {
                permanent: recipient_refused(&error),
                error: error_chain(&error),
            },
            Err(_) => Outcome::Failed {
                error: format!(
                    "no answer from the SMTP server within {} s",
                    self.config.send_timeout.as_secs()
                ),
                permanent: false,
            },
        }
    }

    /// Marks the message sent, or failed with its next attempt (or given up on), and logs a failure.
    async fn record(
        &self,
        message: &OutboxMessage,
        outcome: Outcome,
    ) -> Result<(), storage::StorageError> {
        let now = storage::now();
        match outcome {
            Outcome::Sent => {
                if self
                    .db
                    .mark_mail_sent(message.id, &self.instance, now)
                    .await?
                {
                    tracing::info!(
                        id = message.id,
                        kind = %message.kind,
                        domain = recipient_domain(&message.recipient),
                        "e-mail sent"
                    );
                } else {
                    // Only if this attempt outlived its lease (the send timeout is meant to prevent that).
                    tracing::warn!(
                        id = message.id,
                        domain = recipient_domain(&message.recipient),
                        "e-mail sent after its claim expired: another instance may send it again"
                    );
                }
            }
            Outcome::Failed { error, permanent } => {
                let age =
                    Duration::from_millis(u64::try_from(now.0 - message.created_at.0).unwrap_or(0));
                let give_up = permanent || age >= self.config.give_up_after;
                let delay = self.config.backoff(message.attempts);
                let next = Timestamp(
                    now.0
                        .saturating_add(i64::try_from(delay.as_millis()).unwrap_or(i64::MAX / 2)),
                );
                self.db
                    .mark_mail_failed(message.id, &self.instance, &error, next, give_up, now)
                    .await?;
                if give_up {
                    tracing::error!(
                        id = message.id,
                        kind = %message.kind,
                        domain = recipient_domain(&message.recipient),
                        attempts = message.attempts,
                        error = ?error,
                        "e-mail not delivered: given up (it stays in `server outbox`)"
                    );
                } else {
                    tracing::warn!(
                        id = message.id,
                        kind = %message.kind,
                        domain = recipient_domain(&message.recipient),
                        attempts = message.attempts,
                        retry_in_secs = delay.as_secs(),
                        error = ?error,
                        "e-mail not delivered: will retry"
                    );
                }
            }
        }
        Ok(())
    }
}

/// The e-mail for an outbox message: From the configured mailbox, To its recipient, with a Message-ID that
/// stays the same across attempts (so a receiver can recognise a repeat), as multipart/alternative text +
/// HTML. Headers are typed (lettre encodes them), so no text can add a header or a recipient; a recipient
/// that is not one address is refused (`Err`, permanent).
fn build_message(from: &Mailbox, message: &OutboxMessage) -> Result<Message, String> {
    let to: Address = message
        .recipient
        .parse()
        .map_err(|_| "the recipient is not a valid e-mail address".to_string())?;
    let message_id = format!(
        "<chargedesk.{}.{}@{}>",
        message.id,
        message.created_at.0,
        from.email.domain()
    );
    Message::builder()
        .from(from.clone())
        .to(Mailbox::new(None, to))
        .subject(one_line(&message.subject))
        .message_id(Some(message_id))
        .multipart(
            MultiPart::alternative()
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_PLAIN)
                        .body(message.body_text.clone()),
                )
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_HTML)
                        .body(message.body_html.clone()),
                ),
        )
        .map_err(|error| format!("could not compose the message: {error}"))
}

/// `text` with every control character (line breaks included) replaced by a space: a subject is one line.
fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// The part after `@`, for logs that say where a message went without naming the person.
fn recipient_domain(recipient: &str) -> &str {
    recipient.rsplit_once('@').map_or("?", |(_, domain)| domain)
}

/// An error with its sources, on one line (lettre's own text is terse: "Connection error").
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(inner) = source {
        let inner_text = inner.to_string();
        if !text.contains(&inner_text) {
            text.push_str(": ");
            text.push_str(&inner_text);
        }
        source = inner.source();
    }
    text
}

/// Without SMTP: logs each message queued from now on once (recipient, subject, where to find it), so that
/// whoever runs ChargeDesk locally sees that a mail "was sent" and can read it with `server outbox --show`.
/// Recipient and subject are logged quoted and escaped (a line break cannot forge a log line).
async fn log_queued(db: Db, poll_interval: Duration, mut stopped: watch::Receiver<bool>) {
    let mut last_seen = match db.outbox(1).await {
        Ok(newest) => newest.first().map_or(0, |m| m.id),
        Err(error) => {
            tracing::error!(error = %error, "could not read the mail outbox");
            0
        }
    };
    loop {
        tokio::select! {
            _ = db.mail_queued() => {}
            _ = tokio::time::sleep(poll_interval) => {}
            _ = stopped.changed() => return,
        }
        loop {
            match db.outbox_after(last_seen, 100).await {
                Ok(messages) if messages.is_empty() => break,
                Ok(messages) => {
                    for message in messages {
                        last_seen = message.id;
                        tracing::info!(
                            id = message.id,
                            to = ?message.recipient,
                            subject = ?message.subject,
                            "e-mail kept in the outbox (no SMTP): read it with `server outbox --show {}`",
                            message.id
                        );
                    }
                }
                Err(error) => {
                    tracing::error!(error = %error, "could not read the mail outbox");
                    break;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::Cli;
    use clap::Parser;

    fn settings(args: &[&str]) -> Result<Option<SmtpSettings>, String> {
        let mut argv = vec!["server"];
        argv.extend_from_slice(args);
        let cli = Cli::try_parse_from(argv).expect("arguments parse");
        SmtpSettings::from_settings(&cli.serve)
    }

    #[test]
    fn the_backoff_starts_at_the_base_doubles_and_stops_at_the_cap() {
        let config = MailerConfig::default();
        let secs: Vec<u64> = (1..=9).map(|n| config.backoff(n).as_secs()).collect();
        assert_eq!(secs, [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]);
        assert_eq!(config.backoff(0).as_secs(), 30);
        assert_eq!(config.backoff(i64::MAX), config.backoff_cap);
        // With these delays a message is tried about 80 times before it is given up on after three days.
        let mut elapsed = Duration::ZERO;
        let mut attempts = 0;
        while elapsed < config.give_up_after {
            attempts += 1;
            elapsed += config.backoff(attempts);
        }
        assert!((70..=90).contains(&attempts), "{attempts}");
    }

    #[test]
    fn without_an_smtp_host_there_is_no_delivery() {
        assert!(settings(&[]).unwrap().is_none());
        assert!(settings(&["--mail-from", "x@example.com"])
            .unwrap()
            .is_none());
    }

    #[test]
    fn the_port_defaults_to_the_tls_mode() {
        let port = |args: &[&str]| {
            let mut all = vec![
                "--smtp-host",
                "smtp.example.com",
                "--mail-from",
                "ChargeDesk <noreply@example.com>",
            ];
            all.extend_from_slice(args);
            settings(&all).unwrap().unwrap()
        };
        let starttls = port(&[]);
        assert_eq!((starttls.tls, starttls.port), (SmtpTls::Starttls, 587));
        assert_eq!(port(&["--smtp-tls", "tls"]).port, 465);
        assert_eq!(port(&["--smtp-tls", "none"]).port, 25);
        assert_eq!(
            port(&["--smtp-tls", "tls", "--smtp-port", "2465"]).port,
            2465
        );
        assert_eq!(
            starttls.from.to_string(),
            "ChargeDesk <noreply@example.com>"
        );
        assert_eq!(starttls.credentials, None);
    }

    #[test]
    fn a_host_without_a_sender_or_with_a_bad_one_is_refused() {
        let missing = settings(&["--smtp-host", "smtp.example.com"]).unwrap_err();
        assert!(missing.contains("CHARGEDESK_MAIL_FROM"), "{missing}");
        for bad in [
            "ChargeDesk",
            "a@b@c",
            "Eve <eve@example.com>\r\nBcc: x@example.com",
        ] {
            let line =
                settings(&["--smtp-host", "smtp.example.com", "--mail-from", bad]).unwrap_err();
            assert!(line.contains("not a mailbox"), "{bad}: {line}");
        }
    }

    #[test]
    fn a_user_needs_a_password_and_the_password_is_never_shown() {
        let base = [
            "--smtp-host",
            "smtp.example.com",
            "--mail-from",
            "noreply@example.com",
        ];
        let line = settings(&[&base[..], &["--smtp-user", "u"]].concat()).unwrap_err();
        assert!(line.contains("go together"), "{line}");
        let ok = settings(
            &[
                &base[..],
                &["--smtp-user", "u", "--smtp-password", "hunter2-secret"],
            ]
            .concat(),
        )
        .unwrap()
        .unwrap();
        assert_eq!(ok.credentials, Some(("u".into(), "hunter2-secret".into())));
        assert!(!format!("{ok:?} {ok}").contains("hunter2-secret"));
    }

    #[test]
    fn a_password_in_clear_over_the_network_is_refused_but_to_this_host_allowed() {
        let with = |host: &str| {
            settings(&[
                "--smtp-host",
                host,
                "--smtp-tls",
                "none",
                "--smtp-user",
                "u",
                "--smtp-password",
                "p",
                "--mail-from",
                "noreply@example.com",
            ])
        };
        let line = with("smtp.example.com").unwrap_err();
        assert!(line.contains("without encryption"), "{line}");
        assert!(with("192.0.2.10").is_err());
        for local in ["localhost", "127.0.0.1", "::1", "[::1]"] {
            assert!(with(local).unwrap().is_some(), "{local}");
        }
        // Without a password a plain relay elsewhere is fine (nothing secret crosses).
        assert!(settings(&[
            "--smtp-host",
            "relay.internal",
            "--smtp-tls",
            "none",
            "--mail-from",
            "noreply@example.com"
        ])
        .unwrap()
        .is_some());
    }

    fn outbox_message(recipient: &str, subject: &str) -> OutboxMessage {
        OutboxMessage {
            id: 7,
            recipient: recipient.into(),
            subject: subject.into(),
            kind: "invitation".into(),
            body_text: "text".into(),
            body_html: "<p>html</p>".into(),
            created_at: Timestamp(1_700_000_000_000),
            attempts: 1,
            next_attempt_at: Timestamp(1_700_000_000_000),
            sent_at: None,
            last_error: None,
            failed_at: None,
        }
    }

    #[test]
    fn a_message_has_one_recipient_a_one_line_subject_and_a_stable_message_id() {
        let from: Mailbox = "ChargeDesk <noreply@example.com>".parse().unwrap();
        let email = build_message(
            &from,
            &outbox_message("jan@example.org", "Hello\r\nBcc: eve@example.net"),
        )
        .unwrap();
        let to: Vec<String> = email
            .envelope()
            .to()
            .iter()
            .map(|a| a.to_string())
            .collect();
        assert_eq!(to, ["jan@example.org"]);
        let raw = String::from_utf8(email.formatted()).unwrap();
        assert!(!raw.to_ascii_lowercase().contains("\nbcc:"), "{raw}");
        assert!(
            raw.contains("Message-ID: <chargedesk.7.1700000000000@example.com>"),
            "{raw}"
        );
        assert!(build_message(
            &from,
            &outbox_message("jan@example.org\r\nBcc: eve@example.net", "x")
        )
        .is_err());
        assert!(
            build_message(&from, &outbox_message("a@example.org, b@example.org", "x")).is_err()
        );
    }

    #[test]
    fn logs_name_the_recipient_domain_only() {
        assert_eq!(recipient_domain("jan@dekroon.example"), "dekroon.example");
        assert_eq!(recipient_domain("nonsense"), "?");
    }
}
