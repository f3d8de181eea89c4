//! Two-factor authentication (RFC 6238 TOTP: SHA-1, 6 digits, 30-second steps, one step of clock skew either
//! way) with one-time recovery codes, the second step of a log-in, and an organization's "Require two-factor
//! authentication for administrators" (migration 0009).
//!
//! - Enrolment is a method of [`Caller`] (a person's own account): [`Caller::start_two_factor`] stores a new
//!   secret as pending (`users.totp_enabled_at` NULL: it plays no part in log-ins yet), and
//!   [`Caller::confirm_two_factor`] turns it on with a code from the app and hands out the recovery codes, once.
//! - A log-in of such an account stops at [`crate::LoginOutcome::SecondFactor`]; [`Db::login_second_factor`]
//!   finishes it with a code. A time step is accepted once (`users.totp_last_step`), a recovery code once
//!   (`recovery_codes.used_at`); wrong codes count towards the challenge's attempts and towards the account's
//!   persistent log-in backoff.
//! - Whether a requirement reaches an administrator is decided by [`shared::access::two_factor_required`]; the
//!   one authorization step ([`Caller::admin_of`]) refuses administrators it reaches who have not set it up.
//!
//! Every change to a person's two-factor set-up queues a notice mail in the same transaction.

use crate::audit;
use crate::auth::{
    clear_login_failures, count_login_failure, failure_key, new_session_token, start_session,
    throttled_for, token_hash, verify_password, Caller,
};
use crate::db::{now, Conn, Db};
use crate::error::StorageError;
use crate::mail::{self, Letter};
use crate::org::{OrgAdmin, MAX_DEPTH};
use rand::Rng;
use shared::access::{self, Membership};
use shared::model::{
    AuditAction, OrgRef, TwoFactorEnrolment, TwoFactorRequirement, TwoFactorStatus,
};
use shared::time::Timestamp;
use shared::{OrgId, Role, UserId};
use totp_rs::{Algorithm, Secret, TOTP};

/// The issuer an authenticator app shows next to the account.
pub const ISSUER: &str = "ChargeDesk";
/// Digits of a code.
const DIGITS: usize = 6;
/// Seconds per time step.
const STEP_SECS: i64 = 30;
/// Time steps accepted before and after the current one (a phone's clock a little off).
const SKEW_STEPS: i64 = 1;
/// Bytes of a new secret: 160 bits, the length RFC 4226 recommends.
const SECRET_BYTES: usize = 20;
/// Recovery codes handed out at once.
pub const RECOVERY_CODE_COUNT: usize = 10;
/// Characters of recovery codes: lower-case letters and digits without the look-alikes 0/o, 1/l/i.
const RECOVERY_ALPHABET: &[u8] = b"23456789abcdefghjkmnpqrstuvwxyz";
/// Characters of a recovery code (shown as two groups of five, `xxxxx-xxxxx`).
const RECOVERY_CODE_CHARS: usize = 10;
/// How long the second step of a log-in may take.
pub const CHALLENGE_LIFETIME_MS: i64 = 5 * 60 * 1000;
/// Wrong codes after which a log-in challenge is void.
pub const CHALLENGE_ATTEMPTS: i64 = 5;
/// Log-in challenges are deleted this long after they expired: [`Db::prune_login_challenges`].
pub const EXPIRED_CHALLENGE_RETENTION_MS: i64 = 60 * 60 * 1000;

/// What the second step of a log-in ([`Db::login_second_factor`]) came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecondFactorOutcome {
    /// The code was right: set `session_token` as the session cookie, valid until `expires_at`.
    LoggedIn {
        /// 64 hex characters; only its SHA-256 is stored.
        session_token: String,
        /// When the session stops being accepted.
        expires_at: Timestamp,
        /// `Some(unused codes left)` when a recovery code was used.
        recovery_codes_left: Option<i64>,
    },
    /// Neither a current code nor an unused recovery code; at 0 attempts left the challenge is void.
    WrongCode {
        /// Wrong codes the challenge still takes.
        attempts_left: i64,
    },
    /// The challenge is unknown, expired, used up or void: the log-in starts again with the password.
    StartAgain,
    /// Too many failed attempts for this account (password or code); the code was not checked.
    Throttled {
        /// Seconds until the next attempt is accepted (at least 1).
        retry_after_secs: u64,
    },
}

/// What [`Caller::turn_off_two_factor`] came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TurnOffOutcome {
    /// Two-factor authentication is off, its secret and recovery codes are gone.
    TurnedOff,
    /// The password is not the account's (the code was not checked).
    WrongPassword,
    /// The password was right, the code was not.
    WrongCode,
}

/// A code as typed: six digits from the app, or a recovery code (with or without its hyphen, any case).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Code {
    Totp(String),
    /// The canonical form: lower-case, without the hyphen.
    Recovery(String),
    Malformed,
}

fn parse_code(input: &str) -> Code {
    let compact: String = input
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect::<String>()
        .to_ascii_lowercase();
    if compact.len() == DIGITS && compact.bytes().all(|b| b.is_ascii_digit()) {
        Code::Totp(compact)
    } else if compact.len() == RECOVERY_CODE_CHARS
        && compact.bytes().all(|b| b.is_ascii_alphanumeric())
    {
        Code::Recovery(compact)
    } else {
        Code::Malformed
    }
}

/// The TOTP generator of a stored base32 secret, labelled for `account` (the e-mail address).
fn generator(secret: &str, account: &str) -> Result<TOTP, StorageError> {
    let bytes = Secret::Encoded(secret.to_owned())
        .to_bytes()
        .map_err(|e| StorageError::internal(format!("stored TOTP secret is not base32: {e:?}")))?;
    TOTP::new(
        Algorithm::SHA1,
        DIGITS,
        SKEW_STEPS as u8,
        STEP_SECS as u64,
        bytes,
        Some(ISSUER.to_owned()),
        account.to_owned(),
    )
    .map_err(|e| StorageError::internal(format!("TOTP parameters refused: {e:?}")))
}

/// The time step `code` belongs to at `now`: the current one or one either side, and only one after
/// `last_step` (a step is accepted once). All candidates are compared, in constant time each.
fn matching_step(totp: &TOTP, code: &str, now: Timestamp, last_step: Option<i64>) -> Option<i64> {
    let current = now.0.div_euclid(1000) / STEP_SECS;
    let mut found = None;
    for step in current - SKEW_STEPS..=current + SKEW_STEPS {
        if step < 0 {
            continue;
        }
        let expected = totp.generate((step * STEP_SECS) as u64);
        let same = constant_time_eq(expected.as_bytes(), code.as_bytes());
        if same && last_step.is_none_or(|last| step > last) {
            found = Some(step);
        }
    }
    found
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A new random secret, base32 (what `users.totp_secret` holds and the page shows as the key).
fn new_secret() -> String {
    let mut bytes = [0u8; SECRET_BYTES];
    rand::rngs::OsRng.fill(&mut bytes[..]);
    match Secret::Raw(bytes.to_vec()).to_encoded() {
        Secret::Encoded(text) => text,
        Secret::Raw(_) => unreachable!("to_encoded returns the encoded form"),
    }
}

/// New recovery codes as shown (`xxxxx-xxxxx`).
fn new_recovery_codes() -> Vec<String> {
    let mut rng = rand::rngs::OsRng;
    (0..RECOVERY_CODE_COUNT)
        .map(|_| {
            let chars: String = (0..RECOVERY_CODE_CHARS)
                .map(|_| RECOVERY_ALPHABET[rng.gen_range(0..RECOVERY_ALPHABET.len())] as char)
                .collect();
            format!("{}-{}", &chars[..5], &chars[5..])
        })
        .collect()
}

/// The `otpauth://` URL as an SVG QR code (without the XML declaration, so it can sit inside HTML).
fn qr_svg(url: &str) -> Result<String, StorageError> {
    use qrcode::render::svg;
    let code = qrcode::QrCode::with_error_correction_level(url.as_bytes(), qrcode::EcLevel::M)
        .map_err(|e| StorageError::internal(format!("QR code: {e}")))?;
    let image = code
        .render::<svg::Color>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build();
    Ok(match image.find("<svg") {
        Some(start) => image[start..].to_owned(),
        None => image,
    })
}

/// Whether a requirement reaches any of `memberships` (the user's live ones): loads the ancestry of each
/// administrator membership and which of those organizations require two-factor authentication, and lets
/// [`access::two_factor_required`] decide.
pub(crate) async fn covered(
    conn: &mut Conn,
    user: UserId,
    memberships: &[Membership],
) -> Result<bool, StorageError> {
    if !memberships.iter().any(|m| m.role == Role::Administrator) {
        return Ok(false);
    }
    #[derive(sqlx::FromRow)]
    struct Row {
        start_id: i64,
        id: i64,
        required_at: Option<i64>,
    }
    let rows = sqlx::query_as::<_, Row>(
        "WITH RECURSIVE chain (start_id, id, parent_id, required_at, depth) AS ( \
             SELECT o.id, o.id, o.parent_id, o.require_admin_2fa_at, 0 FROM organizations o \
             WHERE o.id IN (SELECT org_id FROM memberships \
                            WHERE user_id = $1 AND removed_at IS NULL AND role = $2) \
             UNION ALL \
             SELECT chain.start_id, p.id, p.parent_id, p.require_admin_2fa_at, chain.depth + 1 \
             FROM organizations p JOIN chain ON p.id = chain.parent_id \
             WHERE chain.depth < $3 \
         ) \
         SELECT start_id, id, required_at FROM chain ORDER BY start_id, depth",
    )
    .bind(user.0)
    .bind(Role::Administrator.as_str())
    .bind(MAX_DEPTH)
    .fetch_all(&mut *conn)
    .await?;
    let requiring: Vec<OrgId> = rows
        .iter()
        .filter(|r| r.required_at.is_some())
        .map(|r| OrgId(r.id))
        .collect();
    let admin: Vec<Membership> = memberships
        .iter()
        .filter(|m| m.role == Role::Administrator)
        .copied()
        .collect();
    let ancestries: Vec<Vec<OrgId>> = admin
        .iter()
        .map(|m| {
            rows.iter()
                .filter(|r| r.start_id == m.org.0)
                .map(|r| OrgId(r.id))
                .collect()
        })
        .collect();
    Ok(access::two_factor_required(&admin, &ancestries, &requiring))
}

/// Creates the second step of a log-in for `user` (inside the log-in's transaction, sweeping expired ones);
/// returns its token.
pub(crate) async fn new_challenge(
    conn: &mut Conn,
    user: UserId,
    now: Timestamp,
) -> Result<String, StorageError> {
    sqlx::query("DELETE FROM login_challenges WHERE expires_at <= $1")
        .bind(now.0)
        .execute(&mut *conn)
        .await?;
    let challenge = new_session_token();
    sqlx::query(
        "INSERT INTO login_challenges (token_hash, user_id, created_at, expires_at, attempts) \
         VALUES ($1, $2, $3, $4, 0)",
    )
    .bind(token_hash(&challenge))
    .bind(user.0)
    .bind(now.0)
    .bind(now.0 + CHALLENGE_LIFETIME_MS)
    .execute(&mut *conn)
    .await?;
    Ok(challenge)
}

impl Db {
    /// Retention: deletes the log-in challenges that expired before `expired_before` (e.g. now −
    /// [`EXPIRED_CHALLENGE_RETENTION_MS`]), a few thousand per write transaction; returns how many. A new
    /// challenge also sweeps the expired ones ([`new_challenge`]); this catches those left when nobody with
    /// two-factor authentication logs in for a while.
    pub async fn prune_login_challenges(
        &self,
        expired_before: Timestamp,
    ) -> Result<u64, StorageError> {
        self.delete_in_chunks(
            "DELETE FROM login_challenges WHERE token_hash IN \
             (SELECT token_hash FROM login_challenges WHERE expires_at < $1 ORDER BY expires_at LIMIT $2)",
            expired_before,
        )
        .await
    }
}

/// A person's two-factor state as stored.
#[derive(sqlx::FromRow)]
struct TotpRow {
    email: String,
    first_name: String,
    totp_secret: Option<String>,
    totp_enabled_at: Option<i64>,
    totp_last_step: Option<i64>,
}

/// Locks the account's row (a write that changes nothing) before its two-factor set-up is read in a write
/// transaction: of two requests that turn it on or off at once (PostgreSQL runs both), the second waits for the
/// first and then finds it on or off, instead of doing it again (a second set of recovery codes replacing the
/// ones just shown, a second notice).
async fn lock_account(conn: &mut Conn, user: UserId) -> Result<(), StorageError> {
    sqlx::query("UPDATE users SET totp_enabled_at = totp_enabled_at WHERE id = $1")
        .bind(user.0)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

async fn totp_row(conn: &mut Conn, user: UserId) -> Result<TotpRow, StorageError> {
    Ok(sqlx::query_as::<_, TotpRow>(
        "SELECT email, first_name, totp_secret, totp_enabled_at, totp_last_step FROM users WHERE id = $1",
    )
    .bind(user.0)
    .fetch_one(&mut *conn)
    .await?)
}

/// What a code proved.
enum Verified {
    /// A code from the app, of this time step (now recorded as used).
    Totp,
    /// A recovery code (now marked used); this many unused ones are left.
    Recovery { left: i64 },
}

/// Checks `input` against the enabled set-up in `row` (inside a write transaction) and spends it: a time step is
/// recorded as the last one used, a recovery code is marked used. `None` when it is not a valid code.
async fn verify_and_spend(
    conn: &mut Conn,
    user: UserId,
    row: &TotpRow,
    input: &str,
    allow_recovery: bool,
    now: Timestamp,
) -> Result<Option<Verified>, StorageError> {
    let Some(secret) = row.totp_secret.as_deref() else {
        return Ok(None);
    };
    match parse_code(input) {
        Code::Totp(code) => {
            let totp = generator(secret, &row.email)?;
            let Some(step) = matching_step(&totp, &code, now, row.totp_last_step) else {
                return Ok(None);
            };
            let updated = sqlx::query(
                "UPDATE users SET totp_last_step = $2 \
                 WHERE id = $1 AND (totp_last_step IS NULL OR totp_last_step < $2)",
            )
            .bind(user.0)
            .bind(step)
            .execute(&mut *conn)
            .await?;
            Ok((updated.rows_affected() == 1).then_some(Verified::Totp))
        }
        Code::Recovery(code) if allow_recovery => {
            let used = sqlx::query(
                "UPDATE recovery_codes SET used_at = $3 \
                 WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL",
            )
            .bind(user.0)
            .bind(token_hash(&code))
            .bind(now.0)
            .execute(&mut *conn)
            .await?;
            if used.rows_affected() != 1 {
                return Ok(None);
            }
            let left = recovery_codes_left(conn, user).await?;
            Ok(Some(Verified::Recovery { left }))
        }
        Code::Recovery(_) | Code::Malformed => Ok(None),
    }
}

async fn recovery_codes_left(conn: &mut Conn, user: UserId) -> Result<i64, StorageError> {
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL",
    )
    .bind(user.0)
    .fetch_one(&mut *conn)
    .await?)
}

/// Replaces the user's recovery codes with new ones (stored as SHA-256) and returns them as shown.
async fn replace_recovery_codes(
    conn: &mut Conn,
    user: UserId,
    now: Timestamp,
) -> Result<Vec<String>, StorageError> {
    sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
        .bind(user.0)
        .execute(&mut *conn)
        .await?;
    let codes = new_recovery_codes();
    for code in &codes {
        let canonical = code.replace('-', "");
        sqlx::query(
            "INSERT INTO recovery_codes (user_id, code_hash, created_at) VALUES ($1, $2, $3)",
        )
        .bind(user.0)
        .bind(token_hash(&canonical))
        .bind(now.0)
        .execute(&mut *conn)
        .await?;
    }
    Ok(codes)
}

/// The notice mail of a change to `row`'s two-factor set-up.
fn notice(row: &TotpRow, subject: &str, kind: &'static str, what: &str) -> Letter {
    Letter::new(&row.email, subject, kind)
        .greeting(&row.first_name)
        .paragraph(what)
        .paragraph(
            "If this was not you, change your password and contact your organization's administrator at once.",
        )
}

impl Caller {
    /// "Two-factor authentication" in "My account".
    pub async fn two_factor_status(&self, db: &Db) -> Result<TwoFactorStatus, StorageError> {
        let mut conn = db.read().await?;
        let row = totp_row(&mut conn, self.user_id()).await?;
        let enabled = row.totp_enabled_at.is_some();
        let recovery_codes_left = if enabled {
            recovery_codes_left(&mut conn, self.user_id()).await?
        } else {
            0
        };
        Ok(TwoFactorStatus {
            enabled,
            recovery_codes_left,
            required: self.two_factor_covered(),
        })
    }

    /// Starts (or restarts) enrolment: a new secret, pending until [`Caller::confirm_two_factor`]; returns the QR
    /// code and the key for the authenticator app. A conflict while two-factor authentication is on.
    pub async fn start_two_factor(&self, db: &Db) -> Result<TwoFactorEnrolment, StorageError> {
        let secret = new_secret();
        let totp = generator(&secret, &self.me().email)?;
        let enrolment = TwoFactorEnrolment {
            qr_svg: qr_svg(&totp.get_url())?,
            key: secret.clone(),
        };
        let mut tx = db.begin_operational_write().await?;
        let pending = sqlx::query(
            "UPDATE users SET totp_secret = $2, totp_last_step = NULL \
             WHERE id = $1 AND totp_enabled_at IS NULL",
        )
        .bind(self.user_id().0)
        .bind(&secret)
        .execute(&mut *tx)
        .await?;
        if pending.rows_affected() != 1 {
            return Err(StorageError::conflict(
                "Two-factor authentication is already on for your account.",
            ));
        }
        tx.commit().await?;
        Ok(enrolment)
    }

    /// [`Caller::confirm_two_factor`] at the current time.
    pub async fn confirm_two_factor(
        &self,
        db: &Db,
        code: &str,
    ) -> Result<Option<Vec<String>>, StorageError> {
        self.confirm_two_factor_at(db, code, now()).await
    }

    /// Confirms the pending enrolment with a code from the app: two-factor authentication is on, the code's time
    /// step is used, and new recovery codes are returned (shown once; only their hashes are kept). `None` when
    /// the code is not right (nothing changes).
    pub async fn confirm_two_factor_at(
        &self,
        db: &Db,
        code: &str,
        now: Timestamp,
    ) -> Result<Option<Vec<String>>, StorageError> {
        let user = self.user_id();
        let mut tx = db.begin_operational_write().await?;
        lock_account(&mut tx, user).await?;
        let row = totp_row(&mut tx, user).await?;
        if row.totp_enabled_at.is_some() {
            return Err(StorageError::conflict(
                "Two-factor authentication is already on for your account.",
            ));
        }
        let Some(secret) = row.totp_secret.as_deref() else {
            return Err(StorageError::conflict(
                "Start again with “Set up two-factor authentication”.",
            ));
        };
        let step = match parse_code(code) {
            Code::Totp(code) => matching_step(
                &generator(secret, &row.email)?,
                &code,
                now,
                row.totp_last_step,
            ),
            Code::Recovery(_) | Code::Malformed => None,
        };
        let Some(step) = step else {
            return Ok(None);
        };
        sqlx::query("UPDATE users SET totp_enabled_at = $2, totp_last_step = $3 WHERE id = $1")
            .bind(user.0)
            .bind(now.0)
            .bind(step)
            .execute(&mut *tx)
            .await?;
        let codes = replace_recovery_codes(&mut tx, user, now).await?;
        let letter = notice(
            &row,
            "Two-factor authentication was turned on for your ChargeDesk account",
            "two_factor_on",
            "Two-factor authentication was turned on for your ChargeDesk account. From now on, logging in asks \
             for a code from your authenticator app (or one of your recovery codes) after your password.",
        );
        mail::enqueue(&mut tx, &letter, now).await?;
        tx.commit().await?;
        db.wake_mail_sender();
        Ok(Some(codes))
    }

    /// [`Caller::new_recovery_codes`] at the current time.
    pub async fn new_recovery_codes(
        &self,
        db: &Db,
        code: &str,
    ) -> Result<Option<Vec<String>>, StorageError> {
        self.new_recovery_codes_at(db, code, now()).await
    }

    /// Replaces the recovery codes, after a current code from the app; returns the new ones (shown once). The old
    /// ones stop working. `None` when the code is not right (nothing changes).
    pub async fn new_recovery_codes_at(
        &self,
        db: &Db,
        code: &str,
        now: Timestamp,
    ) -> Result<Option<Vec<String>>, StorageError> {
        let user = self.user_id();
        let mut tx = db.begin_operational_write().await?;
        let row = totp_row(&mut tx, user).await?;
        if row.totp_enabled_at.is_none() {
            return Err(StorageError::conflict(
                "Two-factor authentication is off for your account.",
            ));
        }
        if verify_and_spend(&mut tx, user, &row, code, false, now)
            .await?
            .is_none()
        {
            return Ok(None);
        }
        let codes = replace_recovery_codes(&mut tx, user, now).await?;
        let letter = notice(
            &row,
            "New recovery codes for your ChargeDesk account",
            "recovery_codes",
            "New recovery codes were generated for your ChargeDesk account. Your previous recovery codes no \
             longer work.",
        );
        mail::enqueue(&mut tx, &letter, now).await?;
        tx.commit().await?;
        db.wake_mail_sender();
        Ok(Some(codes))
    }

    /// [`Caller::turn_off_two_factor`] at the current time.
    pub async fn turn_off_two_factor(
        &self,
        db: &Db,
        password: &str,
        code: &str,
    ) -> Result<TurnOffOutcome, StorageError> {
        self.turn_off_two_factor_at(db, password, code, now()).await
    }

    /// Turns two-factor authentication off, with the account's password and a code (from the app, or a recovery
    /// code): the secret, the recovery codes and any log-in waiting for its second step are gone. Refused (a
    /// conflict) while an organization requires it of this administrator.
    pub async fn turn_off_two_factor_at(
        &self,
        db: &Db,
        password: &str,
        code: &str,
        now: Timestamp,
    ) -> Result<TurnOffOutcome, StorageError> {
        if self.two_factor_covered() {
            return Err(StorageError::conflict(
                "An organization you administer requires two-factor authentication for administrators, so it \
                 cannot be turned off.",
            ));
        }
        let user = self.user_id();
        let hash: Option<String> = {
            let mut conn = db.read().await?;
            sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1")
                .bind(user.0)
                .fetch_one(&mut *conn)
                .await?
        };
        let password_right = match hash {
            Some(hash) => verify_password(hash, password.to_owned()).await?,
            None => false,
        };
        if !password_right {
            return Ok(TurnOffOutcome::WrongPassword);
        }
        let mut tx = db.begin_operational_write().await?;
        lock_account(&mut tx, user).await?;
        let row = totp_row(&mut tx, user).await?;
        if row.totp_enabled_at.is_none() {
            return Err(StorageError::conflict(
                "Two-factor authentication is off for your account.",
            ));
        }
        if verify_and_spend(&mut tx, user, &row, code, true, now)
            .await?
            .is_none()
        {
            return Ok(TurnOffOutcome::WrongCode);
        }
        sqlx::query(
            "UPDATE users SET totp_secret = NULL, totp_enabled_at = NULL, totp_last_step = NULL \
             WHERE id = $1",
        )
        .bind(user.0)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
            .bind(user.0)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM login_challenges WHERE user_id = $1")
            .bind(user.0)
            .execute(&mut *tx)
            .await?;
        let letter = notice(
            &row,
            "Two-factor authentication was turned off for your ChargeDesk account",
            "two_factor_off",
            "Two-factor authentication was turned off for your ChargeDesk account. Logging in now needs only your \
             password.",
        );
        mail::enqueue(&mut tx, &letter, now).await?;
        tx.commit().await?;
        db.wake_mail_sender();
        Ok(TurnOffOutcome::TurnedOff)
    }
}

impl Db {
    /// The second step of a log-in at the current time; see [`Db::login_second_factor_at`].
    pub async fn login_second_factor(
        &self,
        challenge: &str,
        code: &str,
    ) -> Result<SecondFactorOutcome, StorageError> {
        self.login_second_factor_at(challenge, code, now()).await
    }

    /// Finishes a log-in that [`crate::LoginOutcome::SecondFactor`] started: `code` is a current code from the
    /// authenticator app (a time step is accepted once) or an unused recovery code (then used up). Right: the
    /// session is created exactly as by a password log-in, the challenge deleted and the account's failure count
    /// cleared. Wrong: the challenge takes [`CHALLENGE_ATTEMPTS`] in all, and each wrong code counts as a failed
    /// log-in of the account (the same backoff as wrong passwords, checked first). An unknown, expired or void
    /// challenge, or an account whose two-factor authentication was turned off meanwhile, starts again.
    pub async fn login_second_factor_at(
        &self,
        challenge: &str,
        code: &str,
        now: Timestamp,
    ) -> Result<SecondFactorOutcome, StorageError> {
        let hash = token_hash(challenge);
        let mut tx = self.begin_operational_write().await?;
        // Locks the challenge's row first (a write that changes nothing), so that two codes for one challenge
        // are checked one after the other on PostgreSQL too, each counting its attempt on the other's: the reads
        // below see the committed attempts. (SQLite's write transaction already runs alone.)
        sqlx::query("UPDATE login_challenges SET attempts = attempts WHERE token_hash = $1")
            .bind(&hash)
            .execute(&mut *tx)
            .await?;
        let found: Option<(i64, i64)> = sqlx::query_as(
            "SELECT user_id, attempts FROM login_challenges WHERE token_hash = $1 AND expires_at > $2",
        )
        .bind(&hash)
        .bind(now.0)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((user, attempts)) = found else {
            return Ok(SecondFactorOutcome::StartAgain);
        };
        let user = UserId(user);
        let row = totp_row(&mut tx, user).await?;
        if attempts >= CHALLENGE_ATTEMPTS || row.totp_enabled_at.is_none() {
            sqlx::query("DELETE FROM login_challenges WHERE token_hash = $1")
                .bind(&hash)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            return Ok(SecondFactorOutcome::StartAgain);
        }
        let key = failure_key(&row.email);
        let failures: Option<(i64, i64)> =
            sqlx::query_as("SELECT failures, last_failed_at FROM login_failures WHERE email = $1")
                .bind(&key)
                .fetch_optional(&mut *tx)
                .await?;
        if let Some((failures, last_failed_at)) = failures {
            if let Some(retry_after_secs) = throttled_for(failures, last_failed_at, now) {
                return Ok(SecondFactorOutcome::Throttled { retry_after_secs });
            }
        }
        let Some(verified) = verify_and_spend(&mut tx, user, &row, code, true, now).await? else {
            let attempts = attempts + 1;
            if attempts >= CHALLENGE_ATTEMPTS {
                sqlx::query("DELETE FROM login_challenges WHERE token_hash = $1")
                    .bind(&hash)
                    .execute(&mut *tx)
                    .await?;
            } else {
                sqlx::query("UPDATE login_challenges SET attempts = $2 WHERE token_hash = $1")
                    .bind(&hash)
                    .bind(attempts)
                    .execute(&mut *tx)
                    .await?;
            }
            count_login_failure(&mut tx, &key, now).await?;
            tx.commit().await?;
            return Ok(SecondFactorOutcome::WrongCode {
                attempts_left: CHALLENGE_ATTEMPTS - attempts,
            });
        };
        sqlx::query("DELETE FROM login_challenges WHERE token_hash = $1")
            .bind(&hash)
            .execute(&mut *tx)
            .await?;
        clear_login_failures(&mut tx, &key).await?;
        let (session_token, expires_at) = start_session(&mut tx, user, now).await?;
        tx.commit().await?;
        Ok(SecondFactorOutcome::LoggedIn {
            session_token,
            expires_at,
            recovery_codes_left: match verified {
                Verified::Totp => None,
                Verified::Recovery { left } => Some(left),
            },
        })
    }
}

/// This organization and its ancestors (itself first), with whether each requires two-factor authentication.
async fn requirement_chain(
    conn: &mut Conn,
    org: OrgId,
) -> Result<Vec<(OrgRef, bool)>, StorageError> {
    #[derive(sqlx::FromRow)]
    struct Row {
        id: i64,
        name: String,
        required_at: Option<i64>,
    }
    let rows = sqlx::query_as::<_, Row>(
        "WITH RECURSIVE chain (id, parent_id, name, required_at, depth) AS ( \
             SELECT id, parent_id, name, require_admin_2fa_at, 0 FROM organizations WHERE id = $1 \
             UNION ALL \
             SELECT o.id, o.parent_id, o.name, o.require_admin_2fa_at, chain.depth + 1 \
             FROM organizations o JOIN chain ON o.id = chain.parent_id \
             WHERE chain.depth < $2 \
         ) \
         SELECT id, name, required_at FROM chain ORDER BY depth",
    )
    .bind(org.0)
    .bind(MAX_DEPTH)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            (
                OrgRef {
                    id: OrgId(r.id),
                    name: r.name,
                },
                r.required_at.is_some(),
            )
        })
        .collect())
}

fn requirement_of(chain: &[(OrgRef, bool)]) -> TwoFactorRequirement {
    let ids: Vec<OrgId> = chain.iter().map(|(o, _)| o.id).collect();
    let requiring: Vec<OrgId> = chain
        .iter()
        .filter(|(_, required)| *required)
        .map(|(o, _)| o.id)
        .collect();
    let required_by = access::two_factor_required_by(&ids, &requiring)
        .and_then(|id| chain.iter().find(|(o, _)| o.id == id))
        .map(|(o, _)| o.clone());
    TwoFactorRequirement {
        required_here: chain.first().is_some_and(|(_, required)| *required),
        required_by,
    }
}

impl OrgAdmin {
    /// This organization's "Require two-factor authentication for administrators": its own setting, and the
    /// nearest organization above that requires it.
    pub async fn two_factor_requirement(&self) -> Result<TwoFactorRequirement, StorageError> {
        let mut conn = self.db.read().await?;
        Ok(requirement_of(
            &requirement_chain(&mut conn, self.org).await?,
        ))
    }

    /// [`OrgAdmin::set_two_factor_requirement`] at the current time.
    pub async fn set_two_factor_requirement(&self, required: bool) -> Result<(), StorageError> {
        self.set_two_factor_requirement_at(required, now()).await
    }

    /// Requires (or no longer requires) two-factor authentication of the administrators of this organization and
    /// of every organization below it; audited. Turning it on is refused (a conflict) unless the caller has it on
    /// themself, so that nobody locks themself out by surprise. Setting what is already set changes nothing.
    pub async fn set_two_factor_requirement_at(
        &self,
        required: bool,
        now: Timestamp,
    ) -> Result<(), StorageError> {
        let mut tx = self.db.begin_operational_write().await?;
        // Lock the organization's row first: the same setting saved twice at once (PostgreSQL runs both) is
        // recorded once; the second waits and then finds it set.
        sqlx::query(
            "UPDATE organizations SET require_admin_2fa_at = require_admin_2fa_at WHERE id = $1",
        )
        .bind(self.org.0)
        .execute(&mut *tx)
        .await?;
        let chain = requirement_chain(&mut tx, self.org).await?;
        let Some((org, currently)) = chain.first() else {
            return Err(StorageError::NoAccess);
        };
        if *currently == required {
            return Ok(());
        }
        if required {
            let own: Option<i64> = match self.actor.user_id {
                Some(user) => {
                    sqlx::query_scalar("SELECT totp_enabled_at FROM users WHERE id = $1")
                        .bind(user.0)
                        .fetch_one(&mut *tx)
                        .await?
                }
                None => None,
            };
            if own.is_none() {
                return Err(StorageError::conflict(
                    "Turn on two-factor authentication for your own account first (My account).",
                ));
            }
        }
        sqlx::query(
            "UPDATE organizations SET require_admin_2fa_at = $2, require_admin_2fa_by = $3 WHERE id = $1",
        )
        .bind(self.org.0)
        .bind(required.then_some(now.0))
        .bind(if required {
            self.actor.user_id.map(|u| u.0)
        } else {
            None
        })
        .execute(&mut *tx)
        .await?;
        let summary = if required {
            format!(
                "Two-factor authentication is now required for the administrators of {} and of every \
                 organization below it.",
                org.name
            )
        } else {
            format!(
                "{} no longer requires two-factor authentication for the administrators of itself and of the \
                 organizations below it.",
                org.name
            )
        };
        audit::record(
            &mut tx,
            self.org,
            &self.actor,
            AuditAction::TwoFactorRequirementChanged,
            &summary,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn totp_of(secret: &str) -> TOTP {
        generator(secret, "pat@volta.example").unwrap()
    }

    #[test]
    fn codes_are_six_digits_or_recovery_codes_in_any_spelling() {
        assert_eq!(parse_code(" 123 456 "), Code::Totp("123456".into()));
        assert_eq!(parse_code("123-456"), Code::Totp("123456".into()));
        assert_eq!(
            parse_code("ABCDE-23456"),
            Code::Recovery("abcde23456".into())
        );
        assert_eq!(
            parse_code("abcde23456"),
            Code::Recovery("abcde23456".into())
        );
        assert_eq!(parse_code("12345"), Code::Malformed);
        assert_eq!(parse_code("abc123"), Code::Malformed);
        assert_eq!(parse_code(""), Code::Malformed);
        assert_eq!(parse_code("abcde-2345é"), Code::Malformed);
    }

    #[test]
    fn a_code_matches_its_step_and_the_neighbours_once_each() {
        let secret = new_secret();
        let totp = totp_of(&secret);
        let at = |secs: i64| Timestamp(secs * 1000);
        let t = 1_800_000_000i64;
        let step = t / STEP_SECS;
        let code = totp.generate(t as u64);
        assert_eq!(matching_step(&totp, &code, at(t), None), Some(step));
        // One step of skew either way.
        assert_eq!(
            matching_step(&totp, &code, at(t + STEP_SECS), None),
            Some(step)
        );
        assert_eq!(
            matching_step(&totp, &code, at(t - STEP_SECS), None),
            Some(step)
        );
        assert_eq!(
            matching_step(&totp, &code, at(t + 2 * STEP_SECS), None),
            None
        );
        // A step already used (or an earlier one) is not accepted again.
        assert_eq!(matching_step(&totp, &code, at(t), Some(step)), None);
        assert_eq!(matching_step(&totp, &code, at(t), Some(step + 1)), None);
        assert_eq!(
            matching_step(&totp, &code, at(t), Some(step - 1)),
            Some(step)
        );
        // Another secret's code is not this one's.
        let other = totp_of(&new_secret());
        assert_eq!(matching_step(&other, &code, at(t), None), None);
    }

    #[test]
    fn secrets_are_160_bit_base32_and_the_url_names_issuer_and_account() {
        let secret = new_secret();
        assert_eq!(secret.len(), 32);
        assert!(secret
            .bytes()
            .all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b)));
        assert_ne!(new_secret(), secret);
        let url = totp_of(&secret).get_url();
        assert!(
            url.starts_with("otpauth://totp/ChargeDesk:pat%40volta.example?"),
            "{url}"
        );
        assert!(url.contains(&format!("secret={secret}")), "{url}");
        assert!(url.contains("issuer=ChargeDesk"), "{url}");
        let svg = qr_svg(&url).unwrap();
        assert!(
            svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""),
            "{svg}"
        );
        assert!(svg.ends_with("</svg>"));
        assert!(!svg.contains("<script"));
    }

    #[test]
    fn recovery_codes_are_ten_distinct_codes_of_two_groups_of_five() {
        let codes = new_recovery_codes();
        assert_eq!(codes.len(), RECOVERY_CODE_COUNT);
        for code in &codes {
            assert_eq!(code.len(), 11, "{code}");
            assert_eq!(&code[5..6], "-");
            assert!(code
                .bytes()
                .filter(|b| *b != b'-')
                .all(|b| RECOVERY_ALPHABET.contains(&b)));
            assert_eq!(parse_code(code), Code::Recovery(code.replace('-', "")));
        }
        let distinct: std::collections::BTreeSet<&String> = codes.iter().collect();
        assert_eq!(distinct.len(), codes.len());
    }

    #[test]
    fn an_inherited_requirement_names_the_nearest_organization_above() {
        let org = |id: i64, name: &str| OrgRef {
            id: OrgId(id),
            name: name.into(),
        };
        let chain = vec![
            (org(3, "Depot"), false),
            (org(2, "Customer"), true),
            (org(1, "Partner"), true),
        ];
        let r = requirement_of(&chain);
        assert!(!r.required_here);
        assert_eq!(r.required_by, Some(org(2, "Customer")));
        let r = requirement_of(&chain[1..]);
        assert!(r.required_here);
        assert_eq!(r.required_by, Some(org(1, "Partner")));
        let r = requirement_of(&[(org(1, "Partner"), false)]);
        assert_eq!(
            r,
            TwoFactorRequirement {
                required_here: false,
                required_by: None
            }
        );
    }
}
