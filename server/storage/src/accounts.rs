//! Accounts people can use (issue #7, migration 0009): the invitation an organization's administrator sends by
//! adding someone, "Resend invitation" and "Revoke invitation", the single-use links that set a password
//! (invitation or "Forgot your password?"), and "My account" (name, password, organizations).
//!
//! A link's token is 32 random bytes (64 hex characters) that exist only in the mail; `account_tokens` keeps
//! their SHA-256. A link is usable while it is neither used nor revoked nor expired, and an invitation only while
//! the membership it is for is live. Using one revokes every other open link of the person.
//!
//! A membership is "Active" once its person logged in or set a password after being added
//! (`memberships.accepted_at`), "Invited" while its newest invitation is usable, and "Invitation expired"
//! otherwise. An account that already has a password gets a notice instead of a link, but its membership gets
//! an invitation row all the same (with a token drawn and thrown away, so nobody can use it): the statuses read
//! alike for a new person and for an account that existed elsewhere.

use crate::audit;
use crate::auth::{
    clear_login_failures, count_login_failure, dummy_hash, failure_key, hash_password,
    new_session_token, parse_role, start_session, throttled_for, token_hash, verify_password,
    Caller,
};
use crate::db::{fold_case, now, Conn, Db};
use crate::error::StorageError;
use crate::mail::{self, Letter};
use crate::org::{OrgAdmin, MEMBER_FIRST_NAME, MEMBER_LAST_NAME};
use shared::model::{
    AccountLinkInfo, AccountLinkPurpose, AuditAction, MemberStatus, MyOrganization, OrgRef,
};
use shared::names::{Email, Password, PersonName};
use shared::time::Timestamp;
use shared::{OrgId, Role, UserId};

/// How long an invitation link works: 7 days.
pub const INVITATION_VALIDITY_MS: i64 = 7 * 24 * 60 * 60 * 1000;
/// How long a password-reset link works: 1 hour.
pub const RESET_VALIDITY_MS: i64 = 60 * 60 * 1000;
/// At most this many reset links are mailed to one account per hour; further requests queue nothing (and are
/// answered the same).
pub const RESETS_PER_ACCOUNT_PER_HOUR: i64 = 3;
const HOUR_MS: i64 = 60 * 60 * 1000;
/// Links (used, revoked or expired) are deleted this many days after they expired: [`Db::prune_account_tokens`].
pub const EXPIRED_LINK_RETENTION_DAYS: i64 = 30;

/// What [`Db::set_password_with_link`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkPasswordOutcome {
    /// The password is set and a new session started: set `session_token` as the session cookie.
    LoggedIn {
        /// 64 hex characters; only its SHA-256 is stored.
        session_token: String,
        /// When the session stops being accepted.
        expires_at: Timestamp,
    },
    /// The password is set, but the account has two-factor authentication: the person logs in with password
    /// and code (no session was started).
    TwoFactorRequired,
    /// The link is unknown, malformed, used, revoked or expired, or its membership was removed: nothing changed.
    InvalidLink,
}

/// What [`Caller::change_password`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordChange {
    /// Changed: every other session of the account ended, a notice was queued.
    Changed,
    /// The current password was wrong (counted like a failed log-in), or another request (a reset link, a
    /// second change) replaced it while this one was being checked; nothing changed.
    WrongCurrentPassword,
    /// Too many wrong passwords in a row for this account; the password was not checked.
    Throttled {
        /// Seconds until the next attempt is accepted (at least 1).
        retry_after_secs: u64,
    },
}

/// A link's token as mailed: 64 lower-case hex characters (32 random bytes).
fn is_token(token: &str) -> bool {
    token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit())
}

/// "a cardholder" / "an administrator".
fn role_phrase(role: Role) -> &'static str {
    match role {
        Role::Administrator => "an administrator",
        Role::Cardholder => "a cardholder",
    }
}

/// Marks every live membership of `user` that is not active yet as accepted at `at` (part of every completed
/// log-in, `auth::start_session`, and of setting a password through a link): "Users" shows them as "Active" from
/// then on.
pub(crate) async fn accept_memberships(
    conn: &mut Conn,
    user: UserId,
    at: Timestamp,
) -> Result<(), StorageError> {
    sqlx::query(
        "UPDATE memberships SET accepted_at = $2 \
         WHERE user_id = $1 AND accepted_at IS NULL AND removed_at IS NULL",
    )
    .bind(user.0)
    .bind(at.0)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Revokes every open link of `user` (both purposes) and voids their half-finished log-ins (a password that
/// was right but whose two-factor code is still to come): after a password was set or changed, nothing that
/// was issued under the old one may still lead in.
pub(crate) async fn revoke_open_links(
    conn: &mut Conn,
    user: UserId,
    at: Timestamp,
) -> Result<(), StorageError> {
    sqlx::query(
        "UPDATE account_tokens SET revoked_at = $2 \
         WHERE user_id = $1 AND used_at IS NULL AND revoked_at IS NULL",
    )
    .bind(user.0)
    .bind(at.0)
    .execute(&mut *conn)
    .await?;
    sqlx::query("DELETE FROM login_challenges WHERE user_id = $1")
        .bind(user.0)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Stores a new link for `user` and returns its token (the only copy).
async fn issue_link(
    conn: &mut Conn,
    user: UserId,
    purpose: AccountLinkPurpose,
    org: Option<OrgId>,
    created_by: Option<UserId>,
    at: Timestamp,
) -> Result<String, StorageError> {
    let token = new_session_token();
    let validity = match purpose {
        AccountLinkPurpose::Invitation => INVITATION_VALIDITY_MS,
        AccountLinkPurpose::PasswordReset => RESET_VALIDITY_MS,
    };
    sqlx::query(
        "INSERT INTO account_tokens (token_hash, user_id, purpose, org_id, created_at, created_by, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(token_hash(&token))
    .bind(user.0)
    .bind(purpose.as_str())
    .bind(org.map(|o| o.0))
    .bind(at.0)
    .bind(created_by.map(|u| u.0))
    .bind(at.0 + validity)
    .execute(&mut *conn)
    .await?;
    Ok(token)
}

/// The "Your ChargeDesk password was changed" notice.
fn password_changed_letter(db: &Db, email: &str, first_name: &str, at: Timestamp) -> Letter {
    Letter::new(email, "Your ChargeDesk password was changed", "password_changed")
        .greeting(first_name)
        .paragraph(format!(
            "The password of your ChargeDesk account ({email}) was changed on {at}. Every other session \
             of your account was logged out."
        ))
        .paragraph(
            "If you did not do this, choose a new password at once with “Forgot your password?” on the log-in \
             page, and tell your administrator.",
        )
        .button("Reset your password", &db.link("/forgot-password"))
}

/// A usable link: its person and purpose.
#[derive(sqlx::FromRow)]
struct LinkRow {
    user_id: i64,
    purpose: String,
    /// The organization of an invitation.
    org_id: Option<i64>,
    email: String,
    first_name: String,
    totp_enabled_at: Option<i64>,
}

/// The link behind `token` if it can be used at `at`: neither used nor revoked nor expired, and for an
/// invitation, its membership still live.
async fn usable_link(
    conn: &mut Conn,
    token: &str,
    at: Timestamp,
) -> Result<Option<LinkRow>, StorageError> {
    if !is_token(token) {
        return Ok(None);
    }
    let row = sqlx::query_as::<_, LinkRow>(
        "SELECT t.user_id, t.purpose, t.org_id, u.email, u.first_name, u.totp_enabled_at \
         FROM account_tokens t JOIN users u ON u.id = t.user_id \
         WHERE t.token_hash = $1 AND t.used_at IS NULL AND t.revoked_at IS NULL AND t.expires_at > $2 \
           AND (t.purpose = 'password_reset' OR EXISTS ( \
                SELECT 1 FROM memberships m \
                WHERE m.user_id = t.user_id AND m.org_id = t.org_id AND m.removed_at IS NULL))",
    )
    .bind(token_hash(&token.to_ascii_lowercase()))
    .bind(at.0)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row)
}

fn link_purpose(stored: &str) -> Result<AccountLinkPurpose, StorageError> {
    match stored {
        "invitation" => Ok(AccountLinkPurpose::Invitation),
        "password_reset" => Ok(AccountLinkPurpose::PasswordReset),
        other => Err(StorageError::internal(format!(
            "unknown link purpose {other:?} in database"
        ))),
    }
}

impl Db {
    /// The person and purpose of the link behind `token`, if it can be used now; `None` for anything else
    /// (unknown, malformed, used, revoked, expired, or an invitation whose membership was removed), alike.
    pub async fn account_link(&self, token: &str) -> Result<Option<AccountLinkInfo>, StorageError> {
        self.account_link_at(token, now()).await
    }

    /// [`Db::account_link`] as if the time were `at`.
    pub async fn account_link_at(
        &self,
        token: &str,
        at: Timestamp,
    ) -> Result<Option<AccountLinkInfo>, StorageError> {
        let mut conn = self.read().await?;
        let Some(row) = usable_link(&mut conn, token, at).await? else {
            return Ok(None);
        };
        Ok(Some(AccountLinkInfo {
            purpose: link_purpose(&row.purpose)?,
            first_name: row.first_name,
            email: row.email,
        }))
    }

    /// Sets the password of the person a link was mailed to; see [`Db::set_password_with_link_at`].
    pub async fn set_password_with_link(
        &self,
        token: &str,
        password: &Password,
    ) -> Result<LinkPasswordOutcome, StorageError> {
        self.set_password_with_link_at(token, password, now()).await
    }

    /// Uses the link behind `token` at time `at`: in one transaction the password is set, the link marked used,
    /// every other open link of the person (both purposes) revoked, their memberships accepted, every session of
    /// theirs ended and their failed log-ins forgotten; a reset queues the "password was changed" notice. Then a
    /// new session starts, unless the account has two-factor authentication
    /// ([`LinkPasswordOutcome::TwoFactorRequired`]: the person logs in with their code).
    ///
    /// The link is checked before the password is hashed, so an unusable one costs no hashing; it is checked
    /// again inside the transaction, so a link is used at most once even by two requests at the same time. The
    /// transaction locks the account's row first, as resending and revoking an invitation do, so that those wait
    /// for it (and find the person active) or it waits for them (and finds the link revoked); an invitation whose
    /// membership is being removed meanwhile is refused once the removal is committed.
    pub async fn set_password_with_link_at(
        &self,
        token: &str,
        password: &Password,
        at: Timestamp,
    ) -> Result<LinkPasswordOutcome, StorageError> {
        {
            let mut conn = self.read().await?;
            if usable_link(&mut conn, token, at).await?.is_none() {
                return Ok(LinkPasswordOutcome::InvalidLink);
            }
        }
        let hash = hash_password(password.as_str()).await?;
        let mut tx = self.begin_operational_write().await?;
        let Some(link) = usable_link(&mut tx, token, at).await? else {
            return Ok(LinkPasswordOutcome::InvalidLink);
        };
        let user = UserId(link.user_id);
        // The account's row first (see above); rolled back with everything else if the link turns out unusable.
        sqlx::query("UPDATE users SET password_hash = $2 WHERE id = $1")
            .bind(user.0)
            .bind(&hash)
            .execute(&mut *tx)
            .await?;
        // Only while still unused and not revoked: when another request used the link meanwhile (PostgreSQL
        // runs writers concurrently; this waits for it), this one finds it used.
        let used = sqlx::query(
            "UPDATE account_tokens SET used_at = $2 \
             WHERE token_hash = $1 AND used_at IS NULL AND revoked_at IS NULL",
        )
        .bind(token_hash(&token.to_ascii_lowercase()))
        .bind(at.0)
        .execute(&mut *tx)
        .await?;
        if used.rows_affected() != 1 {
            return Ok(LinkPasswordOutcome::InvalidLink);
        }
        revoke_open_links(&mut tx, user, at).await?;
        // An invitation only while its membership is live: one that an administrator is removing (PostgreSQL:
        // this waits for that transaction and re-checks) makes the link unusable, as if it had been removed first.
        if let Some(org) = link.org_id {
            let live = sqlx::query(
                "UPDATE memberships SET accepted_at = COALESCE(accepted_at, $3) \
                 WHERE user_id = $1 AND org_id = $2 AND removed_at IS NULL",
            )
            .bind(user.0)
            .bind(org)
            .bind(at.0)
            .execute(&mut *tx)
            .await?;
            if live.rows_affected() != 1 {
                return Ok(LinkPasswordOutcome::InvalidLink);
            }
        }
        accept_memberships(&mut tx, user, at).await?;
        sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user.0)
            .execute(&mut *tx)
            .await?;
        clear_login_failures(&mut tx, &failure_key(&link.email)).await?;
        let purpose = link_purpose(&link.purpose)?;
        if purpose == AccountLinkPurpose::PasswordReset {
            let letter = password_changed_letter(self, &link.email, &link.first_name, at);
            mail::enqueue(&mut tx, &letter, at).await?;
        }
        let outcome = if link.totp_enabled_at.is_some() {
            LinkPasswordOutcome::TwoFactorRequired
        } else {
            let (session_token, expires_at) = start_session(&mut tx, user, at).await?;
            LinkPasswordOutcome::LoggedIn {
                session_token,
                expires_at,
            }
        };
        tx.commit().await?;
        if purpose == AccountLinkPurpose::PasswordReset {
            self.wake_mail_sender();
        }
        Ok(outcome)
    }

    /// "Forgot your password?" for the address typed; see [`Db::request_password_reset_at`].
    pub async fn request_password_reset(&self, email: &Email) -> Result<(), StorageError> {
        self.request_password_reset_at(email, now()).await
    }

    /// Mails a 1-hour reset link to the account with this e-mail, if there is one and it got fewer than
    /// [`RESETS_PER_ACCOUNT_PER_HOUR`] reset links in the past hour; otherwise does nothing. The caller learns
    /// nothing either way (no password is hashed in either case). An account without a password (an invitation
    /// never accepted) gets one too: that is how a lost invitation is recovered.
    pub async fn request_password_reset_at(
        &self,
        email: &Email,
        at: Timestamp,
    ) -> Result<(), StorageError> {
        #[derive(sqlx::FromRow)]
        struct Account {
            id: i64,
            email: String,
            first_name: String,
        }
        let lookup = "SELECT id, email, first_name FROM users WHERE lower(email) = $1";
        let key = fold_case(email.as_str());
        {
            let mut conn = self.read().await?;
            let account: Option<Account> = sqlx::query_as(lookup)
                .bind(&key)
                .fetch_optional(&mut *conn)
                .await?;
            if account.is_none() {
                return Ok(());
            }
        }
        let mut tx = self.begin_operational_write().await?;
        let Some(account) = sqlx::query_as::<_, Account>(lookup)
            .bind(&key)
            .fetch_optional(&mut *tx)
            .await?
        else {
            return Ok(());
        };
        let user = UserId(account.id);
        // Locks the account's row (a write that changes nothing), so that requests at the same time count each
        // other's links on PostgreSQL too: the count below sees the committed ones. (SQLite's write transaction
        // already runs alone.)
        sqlx::query("UPDATE users SET id = id WHERE id = $1")
            .bind(user.0)
            .execute(&mut *tx)
            .await?;
        let recent: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM account_tokens \
             WHERE user_id = $1 AND purpose = 'password_reset' AND created_at > $2",
        )
        .bind(user.0)
        .bind(at.0 - HOUR_MS)
        .fetch_one(&mut *tx)
        .await?;
        if recent >= RESETS_PER_ACCOUNT_PER_HOUR {
            return Ok(());
        }
        let token = issue_link(
            &mut tx,
            user,
            AccountLinkPurpose::PasswordReset,
            None,
            None,
            at,
        )
        .await?;
        let link = self.link(&format!("/set-password#token={token}"));
        let letter = Letter::new(&account.email, "Reset your ChargeDesk password", "password_reset")
            .greeting(&account.first_name)
            .paragraph(format!(
                "Someone, hopefully you, asked to reset the password of your ChargeDesk account \
                 ({}). Choose a new password with this link:",
                account.email
            ))
            .button("Choose a new password", &link)
            .paragraph(
                "The link works once and expires in 1 hour. If you did not ask for it, ignore this e-mail: \
                 your password stays as it is.",
            );
        mail::enqueue(&mut tx, &letter, at).await?;
        tx.commit().await?;
        self.wake_mail_sender();
        Ok(())
    }
}

impl Caller {
    /// The caller's live memberships with their organizations' names, by name ("My account").
    pub async fn organizations(&self, db: &Db) -> Result<Vec<MyOrganization>, StorageError> {
        #[derive(sqlx::FromRow)]
        struct Row {
            id: i64,
            name: String,
            role: String,
        }
        let mut conn = db.read().await?;
        let rows = sqlx::query_as::<_, Row>(
            "SELECT o.id, o.name, m.role FROM memberships m JOIN organizations o ON o.id = m.org_id \
             WHERE m.user_id = $1 AND m.removed_at IS NULL ORDER BY lower(o.name), o.id",
        )
        .bind(self.user_id().0)
        .fetch_all(&mut *conn)
        .await?;
        rows.into_iter()
            .map(|r| {
                Ok(MyOrganization {
                    org: OrgRef {
                        id: OrgId(r.id),
                        name: r.name,
                    },
                    role: parse_role(&r.role)?,
                })
            })
            .collect()
    }

    /// Changes the account's own name. Organizations that added the account under a name of their own (from
    /// outside the tree that knew it) keep showing theirs.
    pub async fn set_name(
        &self,
        db: &Db,
        first: &PersonName,
        last: &PersonName,
    ) -> Result<(), StorageError> {
        sqlx::query("UPDATE users SET first_name = $2, last_name = $3 WHERE id = $1")
            .bind(self.user_id().0)
            .bind(first.as_str())
            .bind(last.as_str())
            .execute(&db.pool)
            .await?;
        Ok(())
    }

    /// Changes the caller's password; see [`Caller::change_password_at`].
    pub async fn change_password(
        &self,
        db: &Db,
        session_token: &str,
        current: &str,
        new: &Password,
    ) -> Result<PasswordChange, StorageError> {
        self.change_password_at(db, session_token, current, new, now())
            .await
    }

    /// Changes the caller's password at time `at`, after checking `current`: a wrong one counts as a failed
    /// log-in of the account (the same persistent backoff, so it cannot be guessed faster here than at the
    /// log-in). On success, in one transaction: the new password is stored, every session of the account but
    /// `session_token` (the caller's own) ends, open links are revoked, failed log-ins are forgotten and the
    /// "password was changed" notice is queued.
    pub async fn change_password_at(
        &self,
        db: &Db,
        session_token: &str,
        current: &str,
        new: &Password,
        at: Timestamp,
    ) -> Result<PasswordChange, StorageError> {
        let me = self.me();
        let key = failure_key(&me.email);
        let stored = {
            let mut conn = db.read().await?;
            let failures: Option<(i64, i64)> = sqlx::query_as(
                "SELECT failures, last_failed_at FROM login_failures WHERE email = $1",
            )
            .bind(&key)
            .fetch_optional(&mut *conn)
            .await?;
            if let Some((failures, last_failed_at)) = failures {
                if let Some(retry_after_secs) = throttled_for(failures, last_failed_at, at) {
                    return Ok(PasswordChange::Throttled { retry_after_secs });
                }
            }
            let stored: Option<String> =
                sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1")
                    .bind(self.user_id().0)
                    .fetch_one(&mut *conn)
                    .await?;
            stored
        };
        let correct = match stored.clone() {
            Some(hash) => verify_password(hash, current.to_owned()).await?,
            None => {
                let _ = verify_password(dummy_hash().await?, current.to_owned()).await?;
                false
            }
        };
        if !correct {
            let mut tx = db.begin_operational_write().await?;
            count_login_failure(&mut tx, &key, at).await?;
            tx.commit().await?;
            return Ok(PasswordChange::WrongCurrentPassword);
        }
        let hash = hash_password(new.as_str()).await?;
        let mut tx = db.begin_operational_write().await?;
        // Only over the password that was checked: one that a reset link or another change replaced meanwhile
        // (checked outside this transaction, so on SQLite too) is not overwritten with what the holder of the old
        // one chose.
        let changed =
            sqlx::query("UPDATE users SET password_hash = $2 WHERE id = $1 AND password_hash = $3")
                .bind(self.user_id().0)
                .bind(&hash)
                .bind(stored.as_deref())
                .execute(&mut *tx)
                .await?;
        if changed.rows_affected() != 1 {
            return Ok(PasswordChange::WrongCurrentPassword);
        }
        sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2")
            .bind(self.user_id().0)
            .bind(token_hash(session_token))
            .execute(&mut *tx)
            .await?;
        clear_login_failures(&mut tx, &key).await?;
        revoke_open_links(&mut tx, self.user_id(), at).await?;
        let letter = password_changed_letter(db, &me.email, &me.first_name, at);
        mail::enqueue(&mut tx, &letter, at).await?;
        tx.commit().await?;
        db.wake_mail_sender();
        Ok(PasswordChange::Changed)
    }
}

/// A member of the organization as invitations need them.
#[derive(sqlx::FromRow)]
struct MemberRow {
    first_name: String,
    last_name: String,
    email: String,
    role: String,
    accepted_at: Option<i64>,
}

impl OrgAdmin {
    /// Invites the member `user` of this organization (just added, or again): revokes the open invitation links
    /// of this membership, stores a new 7-day one and queues the mail, all in the caller's transaction. An
    /// account without a password gets the link to set one; an account with a password gets a notice that it
    /// was added (its link's token is thrown away: the row only dates the invitation for the status). Returns
    /// whether a link to set a password was mailed.
    pub(crate) async fn invite_in(
        &self,
        conn: &mut Conn,
        user: UserId,
        role: Role,
        at: Timestamp,
    ) -> Result<bool, StorageError> {
        #[derive(sqlx::FromRow)]
        struct Account {
            email: String,
            first_name: String,
            has_password: i64,
        }
        let account = sqlx::query_as::<_, Account>(
            "SELECT email, first_name, \
               CASE WHEN password_hash IS NULL THEN 0 ELSE 1 END AS has_password \
             FROM users WHERE id = $1",
        )
        .bind(user.0)
        .fetch_one(&mut *conn)
        .await?;
        let org_name: String = sqlx::query_scalar("SELECT name FROM organizations WHERE id = $1")
            .bind(self.org.0)
            .fetch_one(&mut *conn)
            .await?;
        sqlx::query(
            "UPDATE account_tokens SET revoked_at = $3 \
             WHERE user_id = $1 AND org_id = $2 AND purpose = 'invitation' \
               AND used_at IS NULL AND revoked_at IS NULL",
        )
        .bind(user.0)
        .bind(self.org.0)
        .bind(at.0)
        .execute(&mut *conn)
        .await?;
        let token = issue_link(
            conn,
            user,
            AccountLinkPurpose::Invitation,
            Some(self.org),
            self.actor.user_id,
            at,
        )
        .await?;
        let added = format!(
            "{} added you to {org_name} in ChargeDesk as {}.",
            self.actor.name,
            role_phrase(role)
        );
        let link_sent = account.has_password == 0;
        let letter = if !link_sent {
            Letter::new(
                &account.email,
                &format!("You were added to {org_name} in ChargeDesk"),
                "membership_notice",
            )
            .greeting(&account.first_name)
            .paragraph(added)
            .paragraph(
                "Log in with your e-mail address and your current password to find it there.",
            )
            .button("Log in", &self.db.link("/login"))
        } else {
            self.invitation_letter(&account.email, &account.first_name, &org_name, role, &token)
        };
        mail::enqueue(conn, &letter, at).await?;
        Ok(link_sent)
    }

    /// The invitation to set a password, for a person without one who was added to `org_name` as `role`.
    fn invitation_letter(
        &self,
        email: &str,
        first_name: &str,
        org_name: &str,
        role: Role,
        token: &str,
    ) -> Letter {
        Letter::new(
            email,
            &format!("Set your ChargeDesk password for {org_name}"),
            "invitation",
        )
        .greeting(first_name)
        .paragraph(format!(
            "{} added you to {org_name} in ChargeDesk as {}.",
            self.actor.name,
            role_phrase(role)
        ))
        .paragraph("Set your password to log in:")
        .button(
            "Set your password",
            &self.db.link(&format!("/set-password#token={token}")),
        )
        .paragraph(format!(
            "The link works once and expires in 7 days. If it has expired, ask {} to send a new \
             invitation, or use “Forgot your password?” on the log-in page.",
            self.actor.name
        ))
    }

    /// [`OrgAdmin::invite_in`] for many accounts created just now in the caller's transaction (no password, no
    /// earlier link): each gets its 7-day link and the invitation mail, in a few multi-row statements (a bulk
    /// import invites thousands). `people`: (account, e-mail, first name, role).
    pub(crate) async fn invite_new_accounts_in(
        &self,
        conn: &mut Conn,
        people: &[(UserId, &str, &str, Role)],
        at: Timestamp,
    ) -> Result<(), StorageError> {
        use crate::multi_row::{Statement, Value};
        let org_name: String = sqlx::query_scalar("SELECT name FROM organizations WHERE id = $1")
            .bind(self.org.0)
            .fetch_one(&mut *conn)
            .await?;
        for chunk in people.chunks(200) {
            let tokens: Vec<String> = chunk.iter().map(|_| new_session_token()).collect();
            let hashes: Vec<String> = tokens.iter().map(|t| token_hash(t)).collect();
            let mut links = Statement::new(
                self.db.backend,
                "INSERT INTO account_tokens (token_hash, user_id, purpose, org_id, created_at, created_by, \
                 expires_at) VALUES ",
            );
            for (i, ((user, ..), hash)) in chunk.iter().zip(&hashes).enumerate() {
                if i > 0 {
                    links.sql(", ");
                }
                links.tuple([
                    Value::Text(hash),
                    Value::Int(user.0),
                    Value::Text(AccountLinkPurpose::Invitation.as_str()),
                    Value::Int(self.org.0),
                    Value::Int(at.0),
                    Value::OptInt(self.actor.user_id.map(|u| u.0)),
                    Value::Int(at.0 + INVITATION_VALIDITY_MS),
                ]);
            }
            links.execute(conn).await?;
            let letters: Vec<Letter> = chunk
                .iter()
                .zip(&tokens)
                .map(|((_, email, first, role), token)| {
                    self.invitation_letter(email, first, &org_name, *role, token)
                })
                .collect();
            mail::enqueue_many(conn, self.db.backend, &letters, at).await?;
        }
        Ok(())
    }

    /// A live member of this organization, for resending or revoking their invitation: `NotFound` for anyone
    /// else, a conflict when they are active already (there is no invitation left to act on).
    ///
    /// Locks the account's row, then the membership's, before reading: a link being used (which locks the
    /// account first) or a log-in in flight (which marks the membership accepted) is waited for and then found
    /// active, on PostgreSQL as on SQLite, instead of resending or revoking an invitation that was just accepted.
    async fn invited_member(
        &self,
        conn: &mut Conn,
        user: UserId,
    ) -> Result<MemberRow, StorageError> {
        sqlx::query("UPDATE users SET password_hash = password_hash WHERE id = $1")
            .bind(user.0)
            .execute(&mut *conn)
            .await?;
        sqlx::query(
            "UPDATE memberships SET accepted_at = accepted_at \
             WHERE org_id = $1 AND user_id = $2 AND removed_at IS NULL",
        )
        .bind(self.org.0)
        .bind(user.0)
        .execute(&mut *conn)
        .await?;
        let sql = format!(
            "SELECT {MEMBER_FIRST_NAME} AS first_name, {MEMBER_LAST_NAME} AS last_name, u.email, m.role, \
                    m.accepted_at \
             FROM memberships m JOIN users u ON u.id = m.user_id \
             WHERE m.org_id = $1 AND m.user_id = $2 AND m.removed_at IS NULL"
        );
        let member = sqlx::query_as::<_, MemberRow>(&sql)
            .bind(self.org.0)
            .bind(user.0)
            .fetch_optional(&mut *conn)
            .await?
            .ok_or(StorageError::NotFound { what: "user" })?;
        if member.accepted_at.is_some() {
            return Err(StorageError::conflict(format!(
                "{} {} is already active (they have logged in), so there is no invitation to send or revoke.",
                member.first_name, member.last_name
            )));
        }
        Ok(member)
    }

    /// "Resend invitation" for the member `user` (not active yet): their open invitation links for this
    /// organization stop working, and a new 7-day link is mailed (or, for an account with a password, the
    /// notice again). Audited.
    pub async fn resend_invitation(&self, user: UserId) -> Result<(), StorageError> {
        let at = now();
        let mut tx = self.db.begin_operational_write().await?;
        let member = self.invited_member(&mut tx, user).await?;
        self.invite_in(&mut tx, user, parse_role(&member.role)?, at)
            .await?;
        let summary = format!(
            "Sent the invitation to {} {} ({}) again",
            member.first_name, member.last_name, member.email
        );
        audit::record(
            &mut tx,
            self.org,
            &self.actor,
            AuditAction::InvitationResent,
            &summary,
            at,
        )
        .await?;
        tx.commit().await?;
        self.db.wake_mail_sender();
        Ok(())
    }

    /// "Revoke invitation" for the member `user` (not active yet): their open invitation links for this
    /// organization stop working, and "Users" shows "Invitation expired". They stay a member (remove them to
    /// take that away). Audited.
    pub async fn revoke_invitation(&self, user: UserId) -> Result<(), StorageError> {
        let at = now();
        let mut tx = self.db.begin_operational_write().await?;
        let member = self.invited_member(&mut tx, user).await?;
        sqlx::query(
            "UPDATE account_tokens SET revoked_at = $3 \
             WHERE user_id = $1 AND org_id = $2 AND purpose = 'invitation' \
               AND used_at IS NULL AND revoked_at IS NULL",
        )
        .bind(user.0)
        .bind(self.org.0)
        .bind(at.0)
        .execute(&mut *tx)
        .await?;
        let summary = format!(
            "Revoked the invitation of {} {} ({})",
            member.first_name, member.last_name, member.email
        );
        audit::record(
            &mut tx,
            self.org,
            &self.actor,
            AuditAction::InvitationRevoked,
            &summary,
            at,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

impl Db {
    /// Retention: deletes the links that expired before `expired_before` (e.g. now − [`EXPIRED_LINK_RETENTION_DAYS`]
    /// days), whether they were used, revoked or left to expire, a few thousand per write transaction; returns
    /// how many. A usable link has not expired, so none is deleted while `expired_before` is in the past, and a
    /// membership's status does not change: "Active" comes from `memberships.accepted_at`, "Invited" from a
    /// usable link, and "Invitation expired" is what a membership without a usable link reads, with or without
    /// the old rows.
    pub async fn prune_account_tokens(
        &self,
        expired_before: Timestamp,
    ) -> Result<u64, StorageError> {
        self.delete_in_chunks(
            "DELETE FROM account_tokens WHERE token_hash IN \
             (SELECT token_hash FROM account_tokens WHERE expires_at < $1 ORDER BY expires_at LIMIT $2)",
            expired_before,
        )
        .await
    }
}

/// A membership's status from its `accepted_at` and the expiry of its usable invitation link, if any.
pub(crate) fn member_status(accepted_at: Option<i64>, invited_until: Option<i64>) -> MemberStatus {
    match (accepted_at, invited_until) {
        (Some(_), _) => MemberStatus::Active,
        (None, Some(expires_at)) => MemberStatus::Invited {
            expires_at: Timestamp(expires_at),
        },
        (None, None) => MemberStatus::InvitationExpired,
    }
}

/// SQL for the expiry of a membership's usable invitation link at `$N` (`m` the membership), as a column.
pub(crate) fn invited_until_sql(now_param: &str) -> String {
    format!(
        "(SELECT MAX(t.expires_at) FROM account_tokens t \
          WHERE t.user_id = m.user_id AND t.org_id = m.org_id AND t.purpose = 'invitation' \
            AND t.used_at IS NULL AND t.revoked_at IS NULL AND t.expires_at > {now_param})"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_64_hex_characters_are_tokens() {
        assert!(is_token(&"a".repeat(64)));
        assert!(is_token(&"0F".repeat(32)));
        assert!(!is_token(&"a".repeat(63)));
        assert!(!is_token(&"g".repeat(64)));
        assert!(!is_token(""));
    }

    #[test]
    fn status_is_active_once_accepted_else_by_the_invitation() {
        assert_eq!(member_status(Some(1), Some(5)), MemberStatus::Active);
        assert_eq!(member_status(Some(1), None), MemberStatus::Active);
        assert_eq!(
            member_status(None, Some(5)),
            MemberStatus::Invited {
                expires_at: Timestamp(5)
            }
        );
        assert_eq!(member_status(None, None), MemberStatus::InvitationExpired);
    }
}
