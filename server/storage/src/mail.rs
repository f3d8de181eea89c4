//! Outgoing e-mail: composing a [`Letter`] (plain text and HTML from one description, in ChargeDesk's voice)
//! and putting it in the outbox (`mail_outbox`, migration 0008) inside the transaction of the change it
//! reports. Delivery is the server's sender task (`server::mail`), through the claim/mark methods of [`Db`].

use crate::db::{Conn, Db};
use crate::error::StorageError;
use shared::time::Timestamp;
use std::fmt::Write as _;

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
/// ```ignore
/// let letter = Letter::new(&email, "Set your ChargeDesk password", "invitation")
///     .greeting("Jan")
///     .paragraph("Eva de Vries added you to De Kroon B.V. as a cardholder.")
///     .button("Set your password", &link)
///     .paragraph("The link works once and expires in 7 days.");
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
            let _ = write!(body, "<p style=\"margin:0 0 16px\">Hello {},</p>", escape(name));
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
        .button("Set your password", "https://csms.example/set-password#token=a\"b")
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
