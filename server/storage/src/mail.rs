//! Outgoing e-mail: composing a [`Letter`] (plain text and HTML from one description, in ChargeDesk's voice)
//! and putting it in the outbox (`mail_outbox`, migration 0008) inside the transaction of the change it
//! reports. Delivery is the server's sender task (`server::mail`), through the claim/mark methods of [`Db`].

use crate::db::{Conn, Db};
use crate::error::StorageError;
use shared::time::Timestamp;
use std::fmt::Write as _;
use std::time::Duration;

/// The product name as mails sign with it.
const PRODUCT: &str = "ChargeDesk";

/// One block of a letter's body, rendered once as text and once as HTML.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Block {
    /// A paragraph of plain text.
    Paragraph(String),
    /// A link presented as a button in HTML and as `label: url` on a line of its own in text.
    Button { label: String, url: String },
    /// Lines shown in a fixed-width box (e.g. recovery codes are never mailed, but a key/value summary is).
    Details(Vec<String>),
}

/// An e-mail to one person, described once and rendered as plain text and as HTML (every text escaped).
///
/// ```
/// let link = "https://csms.example.com/set-password#token=0f3a";
/// let letter = storage::Letter::new("jan@dekroon.example", "Set your ChargeDesk password", "invitation")
///     .greeting("Jan")
///     .paragraph("Eva de Vries added you to De Kroon B.V. as a cardholder.")
///     .button("Set your password", link)
///     .paragraph("The link works once and expires in 7 days.");
/// assert!(letter.text().contains("Set your password:\nhttps://csms.example.com/set-password#token=0f3a\n"));
/// assert!(letter.html().contains("href=\"https://csms.example.com/set-password#token=0f3a\""));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Letter {
    to: String,
    subject: String,
    kind: &'static str,
    greeting: Option<String>,
    blocks: Vec<Block>,
}

impl Letter {
    /// A letter to `to` (an address that passed [`shared::names::Email::parse`]) with `subject`; `kind` names
    /// what it is about in the operator's outbox listing (`invitation`, `password_reset`, …).
    pub fn new(to: &str, subject: &str, kind: &'static str) -> Self {
        Self {
            to: to.to_owned(),
            subject: subject.to_owned(),
            kind,
            greeting: None,
            blocks: Vec::new(),
        }
    }

    /// Opens with "Hello {name},".
    pub fn greeting(mut self, name: &str) -> Self {
        self.greeting = Some(name.to_owned());
        self
    }

    /// A paragraph.
    pub fn paragraph(mut self, text: impl Into<String>) -> Self {
        self.blocks.push(Block::Paragraph(text.into()));
        self
    }

    /// A link the reader should follow (a button in HTML).
    pub fn button(mut self, label: &str, url: &str) -> Self {
        self.blocks.push(Block::Button {
            label: label.to_owned(),
            url: url.to_owned(),
        });
        self
    }

    /// Lines shown together in a box (e.g. "Organization: De Kroon B.V.", "Role: Administrator").
    pub fn details(mut self, lines: Vec<String>) -> Self {
        self.blocks.push(Block::Details(lines));
        self
    }

    /// The recipient's address.
    pub fn to(&self) -> &str {
        &self.to
    }

    /// The subject line.
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// The plain-text body.
    pub fn text(&self) -> String {
        let mut out = String::new();
        if let Some(name) = &self.greeting {
            let _ = writeln!(out, "Hello {name},\n");
        }
        for block in &self.blocks {
            match block {
                Block::Paragraph(text) => {
                    let _ = writeln!(out, "{text}\n");
                }
                Block::Button { label, url } => {
                    let _ = writeln!(out, "{label}:\n{url}\n");
                }
                Block::Details(lines) => {
                    for line in lines {
                        let _ = writeln!(out, "    {line}");
                    }
                    out.push('\n');
                }
            }
        }
        let _ = write!(
            out,
            "Kind regards,\nThe {PRODUCT} team\n\n--\nYou receive this e-mail because of your {PRODUCT} \
             account. If you did not expect it, you can ignore it."
        );
        out
    }

    /// The HTML body: one simple table layout with inline styles (what mail clients render reliably).
    pub fn html(&self) -> String {
        let mut body = String::new();
        if let Some(name) = &self.greeting {
            let _ = write!(
                body,
                "<p style=\"margin:0 0 16px\">Hello {},</p>",
                escape(name)
            );
        }
        for block in &self.blocks {
            match block {
                Block::Paragraph(text) => {
                    let _ = write!(body, "<p style=\"margin:0 0 16px\">{}</p>", escape(text));
                }
                Block::Button { label, url } => {
                    let url = escape(url);
                    let _ = write!(
                        body,
                        "<p style=\"margin:24px 0\"><a href=\"{url}\" style=\"background:#047857;color:#ffffff;\
                         padding:10px 18px;border-radius:6px;text-decoration:none;font-weight:600;\
                         display:inline-block\">{}</a></p>\
                         <p style=\"margin:0 0 16px;font-size:13px;color:#475569\">If the button does not work, \
                         copy this address into your browser:<br><span style=\"word-break:break-all\">{url}</span></p>",
                        escape(label)
                    );
                }
                Block::Details(lines) => {
                    body.push_str(
                        "<p style=\"margin:0 0 16px;padding:12px;background:#f1f5f9;border-radius:6px;\
                         font-family:monospace\">",
                    );
                    let lines: Vec<String> = lines.iter().map(|l| escape(l)).collect();
                    body.push_str(&lines.join("<br>"));
                    body.push_str("</p>");
                }
            }
        }
        format!(
            "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{subject}</title></head>\
             <body style=\"margin:0;padding:24px;background:#f1f5f9;font-family:Arial,Helvetica,sans-serif;\
             color:#0f172a;font-size:15px;line-height:1.5\">\
             <table role=\"presentation\" width=\"100%\" cellpadding=\"0\" cellspacing=\"0\"><tr><td align=\"center\">\
             <table role=\"presentation\" width=\"560\" cellpadding=\"0\" cellspacing=\"0\" \
             style=\"background:#ffffff;border-radius:12px;padding:32px\"><tr><td>\
             <p style=\"margin:0 0 24px;font-size:20px;font-weight:700;color:#064e3b\">{PRODUCT}</p>\
             {body}\
             <p style=\"margin:24px 0 0\">Kind regards,<br>The {PRODUCT} team</p>\
             </td></tr></table>\
             <p style=\"font-size:12px;color:#64748b;margin:16px 0 0\">You receive this e-mail because of your \
             {PRODUCT} account. If you did not expect it, you can ignore it.</p>\
             </td></tr></table></body></html>",
            subject = escape(&self.subject),
        )
    }
}

/// Escapes text for HTML element content and double-quoted attribute values.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Puts `letter` in the outbox, due at once, as part of the caller's transaction (so the message exists exactly
/// when the change it reports does). Call [`Db::wake_mail_sender`] after the commit.
pub(crate) async fn enqueue(
    conn: &mut Conn,
    letter: &Letter,
    now: Timestamp,
) -> Result<(), StorageError> {
    sqlx::query(
        "INSERT INTO mail_outbox (recipient, subject, body_text, body_html, kind, created_at, next_attempt_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $6)",
    )
    .bind(&letter.to)
    .bind(&letter.subject)
    .bind(letter.text())
    .bind(letter.html())
    .bind(letter.kind)
    .bind(now.0)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// [`enqueue`] for many letters in one statement.
pub(crate) async fn enqueue_many(
    conn: &mut Conn,
    backend: crate::db::Backend,
    letters: &[Letter],
    now: Timestamp,
) -> Result<(), StorageError> {
    use crate::multi_row::{Statement, Value};
    if letters.is_empty() {
        return Ok(());
    }
    let bodies: Vec<(String, String)> = letters.iter().map(|l| (l.text(), l.html())).collect();
    let mut statement = Statement::new(
        backend,
        "INSERT INTO mail_outbox (recipient, subject, body_text, body_html, kind, created_at, next_attempt_at) \
         VALUES ",
    );
    for (i, (letter, (text, html))) in letters.iter().zip(&bodies).enumerate() {
        if i > 0 {
            statement.sql(", ");
        }
        statement.tuple([
            Value::Text(&letter.to),
            Value::Text(&letter.subject),
            Value::Text(text),
            Value::Text(html),
            Value::Text(letter.kind),
            Value::Int(now.0),
            Value::Int(now.0),
        ]);
    }
    statement.execute(conn).await
}

impl Db {
    /// The base URL that links in e-mails start with (`https://csms.example.com`, no trailing slash): the
    /// public URL when one is configured, else the address the server listens on. See [`Db::with_public_url`].
    pub fn public_url(&self) -> &str {
        &self.public_url
    }

    /// This handle with the base URL for links in e-mails (a trailing `/` is dropped).
    pub fn with_public_url(mut self, url: &str) -> Self {
        self.public_url = url.trim_end_matches('/').into();
        self
    }

    /// A link into the app: `path` starts with `/`.
    pub fn link(&self, path: &str) -> String {
        format!("{}{}", self.public_url, path)
    }

    /// Tells this process's mail sender that a message was queued (it also polls, for messages queued by other
    /// instances). Call after the transaction that queued it committed.
    pub fn wake_mail_sender(&self) {
        self.mail_wakeup.notify_one();
    }

    /// Resolves when [`Db::wake_mail_sender`] was called (for the sender task; a wake-up while the sender was
    /// busy is kept for its next wait).
    pub async fn mail_queued(&self) {
        self.mail_wakeup.notified().await;
    }
}

/// Sent and given-up messages are deleted this many days after (`CHARGEDESK_MAIL_RETENTION_DAYS`):
/// [`Db::prune_mail_outbox`].
pub const DEFAULT_MAIL_RETENTION_DAYS: i64 = 90;

/// The longest `last_error` kept per message (an SMTP server's reply can be long; the start says what happened).
const MAX_ERROR_CHARS: usize = 500;

/// Where a message in the outbox stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailStatus {
    /// Not delivered yet: waiting for its next attempt (or for SMTP settings).
    Queued,
    /// Accepted by the SMTP server.
    Sent,
    /// Given up on: never tried again.
    Failed,
}

impl MailStatus {
    /// A lower-case word for listings: `queued`, `sent`, `failed`.
    pub fn as_str(self) -> &'static str {
        match self {
            MailStatus::Queued => "queued",
            MailStatus::Sent => "sent",
            MailStatus::Failed => "failed",
        }
    }
}

/// One message of the outbox as the operator's listing and the sender see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxMessage {
    /// The outbox row's id (`server outbox --show ID`).
    pub id: i64,
    /// The recipient's address.
    pub recipient: String,
    /// The subject line.
    pub subject: String,
    /// What the message is about (`invitation`, `password_reset`, …).
    pub kind: String,
    /// The plain-text body; empty once the message was sent (it may have held a single-use link).
    pub body_text: String,
    /// The HTML body; empty once the message was sent.
    pub body_html: String,
    /// When it was queued.
    pub created_at: Timestamp,
    /// How many delivery attempts were started (a claim counts as one).
    pub attempts: i64,
    /// When it is due (again).
    pub next_attempt_at: Timestamp,
    /// When the SMTP server accepted it.
    pub sent_at: Option<Timestamp>,
    /// Why the last attempt failed (the SMTP server's words or the connection error; never the body).
    pub last_error: Option<String>,
    /// When it was given up on.
    pub failed_at: Option<Timestamp>,
}

impl OutboxMessage {
    /// Queued, sent or failed.
    pub fn status(&self) -> MailStatus {
        if self.sent_at.is_some() {
            MailStatus::Sent
        } else if self.failed_at.is_some() {
            MailStatus::Failed
        } else {
            MailStatus::Queued
        }
    }
}

/// An outbox row as read (integers and texts only, see the crate's portability rules).
#[derive(sqlx::FromRow)]
struct OutboxRow {
    id: i64,
    recipient: String,
    subject: String,
    kind: String,
    body_text: String,
    body_html: String,
    created_at: i64,
    attempts: i64,
    next_attempt_at: i64,
    sent_at: Option<i64>,
    last_error: Option<String>,
    failed_at: Option<i64>,
}

impl From<OutboxRow> for OutboxMessage {
    fn from(row: OutboxRow) -> Self {
        Self {
            id: row.id,
            recipient: row.recipient,
            subject: row.subject,
            kind: row.kind,
            body_text: row.body_text,
            body_html: row.body_html,
            created_at: Timestamp(row.created_at),
            attempts: row.attempts,
            next_attempt_at: Timestamp(row.next_attempt_at),
            sent_at: row.sent_at.map(Timestamp),
            last_error: row.last_error,
            failed_at: row.failed_at.map(Timestamp),
        }
    }
}

/// The columns of [`OutboxRow`], for `SELECT` and `RETURNING`.
const OUTBOX_COLUMNS: &str =
    "id, recipient, subject, kind, body_text, body_html, created_at, attempts, \
                              next_attempt_at, sent_at, last_error, failed_at";

/// How many times [`Db::claim_due_mail`] tries to fill its claim when concurrent claimers took its candidates.
const CLAIM_ROUNDS: usize = 3;

/// A message is claimable at `$1` (now) when it is due, neither sent nor given up on, and not claimed by a live
/// lease. Used in every statement of [`Db::claim_due_mail`].
const CLAIMABLE: &str = "sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= $1 \
                         AND (claimed_by IS NULL OR claim_until IS NULL OR claim_until <= $1)";

impl Db {
    /// Queues `letter` on its own, due at once, and wakes the sender: for a message that reports no change of
    /// its own (a change's message is queued inside that change's transaction, with [`enqueue`]).
    pub async fn queue_mail(&self, letter: &Letter) -> Result<(), StorageError> {
        let mut tx = self.begin_operational_write().await?;
        enqueue(&mut tx, letter, crate::db::now()).await?;
        tx.commit().await?;
        self.wake_mail_sender();
        Ok(())
    }

    /// The newest `limit` messages of the outbox, newest first (for the operator's `server outbox`).
    pub async fn outbox(&self, limit: i64) -> Result<Vec<OutboxMessage>, StorageError> {
        let rows: Vec<OutboxRow> = sqlx::query_as(&format!(
            "SELECT {OUTBOX_COLUMNS} FROM mail_outbox ORDER BY id DESC LIMIT $1"
        ))
        .bind(limit.max(0))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// Up to `max` messages queued after message `after_id`, oldest first (for logging new messages when there
    /// is no SMTP server to send them to; `after_id` 0 starts at the beginning).
    pub async fn outbox_after(
        &self,
        after_id: i64,
        max: i64,
    ) -> Result<Vec<OutboxMessage>, StorageError> {
        let rows: Vec<OutboxRow> = sqlx::query_as(&format!(
            "SELECT {OUTBOX_COLUMNS} FROM mail_outbox WHERE id > $1 ORDER BY id LIMIT $2"
        ))
        .bind(after_id)
        .bind(max.max(0))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// One message of the outbox by id.
    pub async fn outbox_message(&self, id: i64) -> Result<Option<OutboxMessage>, StorageError> {
        let row: Option<OutboxRow> = sqlx::query_as(&format!(
            "SELECT {OUTBOX_COLUMNS} FROM mail_outbox WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(Into::into))
    }

    /// Claims up to `max` due messages (oldest first) for sender `instance` until `now + lease`, counting an
    /// attempt for each, and returns them in id order. A message claimed by another instance is taken over only
    /// once that claim expired (its sender died or hung).
    ///
    /// Each `UPDATE`'s subquery picks candidates and the outer `WHERE` repeats the conditions, so that on
    /// PostgreSQL (READ COMMITTED re-checks the outer `WHERE` on a row another transaction just changed) as on
    /// SQLite (one writer at a time) two instances never both claim a message; on PostgreSQL a claim whose
    /// candidates another instance took claims again, up to [`CLAIM_ROUNDS`] times.
    pub async fn claim_due_mail(
        &self,
        instance: &str,
        now: Timestamp,
        lease: Duration,
        max: i64,
    ) -> Result<Vec<OutboxMessage>, StorageError> {
        let lease_ms = i64::try_from(lease.as_millis()).unwrap_or(i64::MAX / 2);
        let mut tx = self.begin_operational_write().await?;
        let mut rows: Vec<OutboxRow> = Vec::new();
        // On PostgreSQL the rows this statement picked may have been claimed meanwhile by another instance (the
        // re-check skips them): while due messages are left and this claim has room, it claims again, and the
        // next statement sees that instance's claims. On SQLite the first round already takes what there is.
        for _ in 0..CLAIM_ROUNDS {
            let room = max.max(0) - rows.len() as i64;
            if room <= 0 {
                break;
            }
            let round: Vec<OutboxRow> = sqlx::query_as(&format!(
                "UPDATE mail_outbox SET claimed_by = $2, claim_until = $3, attempts = attempts + 1 \
                 WHERE id IN (SELECT id FROM mail_outbox WHERE {CLAIMABLE} ORDER BY id LIMIT $4) \
                 AND {CLAIMABLE} \
                 RETURNING {OUTBOX_COLUMNS}"
            ))
            .bind(now.0)
            .bind(instance)
            .bind(now.0.saturating_add(lease_ms))
            .bind(room)
            .fetch_all(&mut *tx)
            .await?;
            let filled = round.len() as i64 == room;
            rows.extend(round);
            if filled {
                break;
            }
            let left: i64 = sqlx::query_scalar(&format!(
                "SELECT COUNT(*) FROM mail_outbox WHERE {CLAIMABLE}"
            ))
            .bind(now.0)
            .fetch_one(&mut *tx)
            .await?;
            if left == 0 {
                break;
            }
        }
        tx.commit().await?;
        rows.sort_by_key(|row| row.id);
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// Records that message `id` was delivered, if `instance` still holds its claim, and erases its bodies
    /// (they may hold a single-use link). Returns whether it did (false: the claim was taken over meanwhile).
    pub async fn mark_mail_sent(
        &self,
        id: i64,
        instance: &str,
        now: Timestamp,
    ) -> Result<bool, StorageError> {
        let mut tx = self.begin_operational_write().await?;
        let done = sqlx::query(
            "UPDATE mail_outbox SET sent_at = $3, body_text = '', body_html = '', claimed_by = NULL, \
             claim_until = NULL WHERE id = $1 AND claimed_by = $2 AND sent_at IS NULL",
        )
        .bind(id)
        .bind(instance)
        .bind(now.0)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(done == 1)
    }

    /// Records that an attempt to deliver message `id` failed with `error`, if `instance` still holds its claim,
    /// and releases the claim: the message is due again at `next_attempt_at`, or, with `give_up`, never again
    /// (failed at `now`). Returns whether it did.
    pub async fn mark_mail_failed(
        &self,
        id: i64,
        instance: &str,
        error: &str,
        next_attempt_at: Timestamp,
        give_up: bool,
        now: Timestamp,
    ) -> Result<bool, StorageError> {
        let error: String = error.chars().take(MAX_ERROR_CHARS).collect();
        let mut tx = self.begin_operational_write().await?;
        let done = sqlx::query(
            "UPDATE mail_outbox SET last_error = $3, next_attempt_at = $4, failed_at = $5, claimed_by = NULL, \
             claim_until = NULL WHERE id = $1 AND claimed_by = $2 AND sent_at IS NULL",
        )
        .bind(id)
        .bind(instance)
        .bind(error)
        .bind(next_attempt_at.0)
        .bind(give_up.then_some(now.0))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(done == 1)
    }
}

impl Db {
    /// Retention: deletes the messages sent or given up on before `finished_before` (e.g. now −
    /// [`DEFAULT_MAIL_RETENTION_DAYS`] days), a few thousand per write transaction; returns how many. A message
    /// still queued (waiting, being retried or claimed) is never deleted, however old: it has not been delivered.
    pub async fn prune_mail_outbox(&self, finished_before: Timestamp) -> Result<u64, StorageError> {
        self.delete_in_chunks(
            "DELETE FROM mail_outbox WHERE id IN \
             (SELECT id FROM mail_outbox WHERE sent_at < $1 OR failed_at < $1 ORDER BY id LIMIT $2)",
            finished_before,
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Letter {
        Letter::new(
            "jan@dekroon.example",
            "Set your <ChargeDesk> password",
            "invitation",
        )
        .greeting("Jan & co")
        .paragraph("Eva added you to \"De Kroon\" <b>B.V.</b>.")
        .button(
            "Set your password",
            "https://csms.example/set-password#token=a\"b",
        )
        .details(vec!["Role: Administrator".into()])
    }

    #[test]
    fn the_text_body_has_every_block_and_the_link_on_a_line_of_its_own() {
        let text = sample().text();
        assert!(text.starts_with("Hello Jan & co,\n\n"));
        assert!(text.contains("Eva added you to \"De Kroon\" <b>B.V.</b>."));
        assert!(text.contains("Set your password:\nhttps://csms.example/set-password#token=a\"b\n"));
        assert!(text.contains("    Role: Administrator\n"));
        assert!(text.contains("The ChargeDesk team"));
    }

    #[test]
    fn the_html_body_escapes_every_text_and_the_link() {
        let html = sample().html();
        assert!(html.contains("Hello Jan &amp; co,"));
        assert!(html.contains("Eva added you to &quot;De Kroon&quot; &lt;b&gt;B.V.&lt;/b&gt;."));
        assert!(html.contains("href=\"https://csms.example/set-password#token=a&quot;b\""));
        assert!(html.contains("<title>Set your &lt;ChargeDesk&gt; password</title>"));
        assert!(!html.contains("<b>B.V.</b>"));
    }
}
