//! Passwords, log-in with throttling, sessions, and the authenticated [`Caller`].

use crate::db::{fold_case, now, Conn, Db};
use crate::error::StorageError;
use crate::org::{self, OrgAdmin};
use crate::passes;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use rand::RngCore;
use sha2::{Digest, Sha256};
use shared::access::{self, Membership};
use shared::model::{Me, OrgRef, PassSummary};
use shared::names::Email;
use shared::time::Timestamp;
use shared::{OrgId, Role, UserId};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::OnceLock;
use std::time::Duration;
use tokio::sync::{Semaphore, SemaphorePermit};

/// How long a session lasts after log-in.
pub(crate) const SESSION_LIFETIME_MS: i64 = 14 * 24 * 60 * 60 * 1000;
/// How long a session may go unused before it is no longer accepted, unless [`set_session_idle_limit`] says
/// otherwise.
pub const DEFAULT_SESSION_IDLE: Duration = Duration::from_secs(120 * 60);
/// A session's `last_seen_at` is written at most this often (using a session is a read, not a write per
/// request).
const LAST_SEEN_RESOLUTION_MS: i64 = 60 * 1000;
/// The idle limit in force, in milliseconds (see [`set_session_idle_limit`]).
static SESSION_IDLE_MS: AtomicI64 = AtomicI64::new(DEFAULT_SESSION_IDLE.as_millis() as i64);
/// Failures before throttling starts: from the 3rd consecutive failure on, attempts wait.
const FREE_FAILURES: i64 = 2;
/// The longest wait between attempts.
const MAX_DELAY_SECS: i64 = 300;
/// Failure records untouched for this long are forgotten (they would otherwise grow with every unknown
/// e-mail address tried). Far longer than [`MAX_DELAY_SECS`].
const FAILURE_MEMORY_MS: i64 = 24 * 60 * 60 * 1000;
/// Longest e-mail key stored for failure counting (an e-mail address has at most 254 characters).
const MAX_KEY_CHARS: usize = 320;

/// The result of a log-in attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginOutcome {
    /// Correct credentials: set `session_token` as the session cookie, valid until `expires_at`.
    LoggedIn {
        /// 64 hex characters; only its SHA-256 is stored.
        session_token: String,
        /// When the session stops being accepted.
        expires_at: Timestamp,
    },
    /// Unknown e-mail, no password set, or wrong password (deliberately indistinguishable).
    WrongCredentials,
    /// Correct credentials of an account with two-factor authentication: no session yet. The log-in continues
    /// with [`Db::login_second_factor`] and this challenge (a few minutes, a few attempts).
    SecondFactor {
        /// 64 hex characters; only its SHA-256 is stored.
        challenge: String,
    },
    /// Too many consecutive failures for this e-mail; the password was not checked.
    Throttled {
        /// Seconds until the next attempt is accepted (at least 1).
        retry_after_secs: u64,
    },
}

/// Who did something, as recorded in the audit log.
#[derive(Debug, Clone)]
pub(crate) struct Actor {
    pub(crate) user_id: Option<UserId>,
    pub(crate) name: String,
}

/// An authenticated user with their memberships. Only [`Db::caller`] builds one (from a live session), so
/// holding a `Caller` proves who is asking.
#[derive(Debug, Clone)]
pub struct Caller {
    me: Me,
    memberships: Vec<Membership>,
    /// The account's two-factor authentication is confirmed (`users.totp_enabled_at`).
    two_factor_enabled: bool,
    /// An organization requires two-factor authentication of one of the caller's administrator memberships
    /// ([`shared::access::two_factor_required`]).
    two_factor_covered: bool,
}

impl Caller {
    /// The caller's user id.
    pub fn user_id(&self) -> UserId {
        self.me.user_id
    }

    /// The caller as the browser needs them; `home_org` is [`shared::access::home_org`] of the memberships.
    pub fn me(&self) -> &Me {
        &self.me
    }

    /// THE authorization check for organization work: `Ok` only when [`shared::access::may_administer`]
    /// allows the caller to administer `org`; [`StorageError::NoAccess`] otherwise, identically for an
    /// organization that does not exist. An administrator whom an organization requires to use two-factor
    /// authentication and who has not set it up gets [`StorageError::TwoFactorRequired`] for every organization
    /// (their own account's functions, which take the `Caller` itself, keep working).
    pub async fn admin_of(&self, db: &Db, org: OrgId) -> Result<OrgAdmin, StorageError> {
        let mut conn = db.read().await?;
        self.admin_of_in(db, &mut conn, org).await
    }

    pub(crate) async fn admin_of_in(
        &self,
        db: &Db,
        conn: &mut Conn,
        org: OrgId,
    ) -> Result<OrgAdmin, StorageError> {
        if self.two_factor_setup_required() {
            return Err(StorageError::TwoFactorRequired);
        }
        let ancestry: Vec<OrgId> = org::ancestry(conn, org)
            .await?
            .into_iter()
            .map(|o| o.id)
            .collect();
        if ancestry.is_empty() || !access::may_administer(&self.memberships, &ancestry) {
            return Err(StorageError::NoAccess);
        }
        Ok(OrgAdmin::new(
            db.clone(),
            self.actor(),
            self.memberships.clone(),
            org,
        ))
    }

    /// The caller's own live passes across all organizations, newest first (what a cardholder sees).
    pub async fn own_passes(&self, db: &Db) -> Result<Vec<PassSummary>, StorageError> {
        let mut conn = db.read().await?;
        passes::of_user(&mut conn, self.user_id()).await
    }

    /// Whether the caller's account has two-factor authentication on.
    pub fn two_factor_enabled(&self) -> bool {
        self.two_factor_enabled
    }

    /// Whether an organization requires two-factor authentication of this caller (as one of its administrators,
    /// or of one below it), whether or not it is set up.
    pub fn two_factor_covered(&self) -> bool {
        self.two_factor_covered
    }

    /// Covered by a requirement and not set up: administrator work is refused until it is.
    pub fn two_factor_setup_required(&self) -> bool {
        self.two_factor_covered && !self.two_factor_enabled
    }

    pub(crate) fn actor(&self) -> Actor {
        Actor {
            user_id: Some(self.me.user_id),
            name: format!("{} {}", self.me.first_name, self.me.last_name),
        }
    }

    /// Loads a user with their live memberships (not removed), oldest first; `None` if there is no such user.
    pub(crate) async fn load(
        conn: &mut Conn,
        user: UserId,
    ) -> Result<Option<Caller>, StorageError> {
        #[derive(sqlx::FromRow)]
        struct UserRow {
            first_name: String,
            last_name: String,
            email: String,
            totp_enabled_at: Option<i64>,
        }
        #[derive(sqlx::FromRow)]
        struct MembershipRow {
            org_id: i64,
            role: String,
        }
        let Some(u) = sqlx::query_as::<_, UserRow>(
            "SELECT first_name, last_name, email, totp_enabled_at FROM users WHERE id = $1",
        )
        .bind(user.0)
        .fetch_optional(&mut *conn)
        .await?
        else {
            return Ok(None);
        };
        // Live memberships, oldest first: `home_org` takes the first administrator one, so being added to
        // another organization later (whatever its id) never changes "My organization".
        let rows = sqlx::query_as::<_, MembershipRow>(
            "SELECT org_id, role FROM memberships WHERE user_id = $1 AND removed_at IS NULL \
             ORDER BY created_at, org_id",
        )
        .bind(user.0)
        .fetch_all(&mut *conn)
        .await?;
        let memberships = rows
            .into_iter()
            .map(|r| {
                Ok(Membership {
                    org: OrgId(r.org_id),
                    role: parse_role(&r.role)?,
                })
            })
            .collect::<Result<Vec<_>, StorageError>>()?;
        let home_org = match access::home_org(&memberships) {
            Some(id) => {
                let name: String =
                    sqlx::query_scalar("SELECT name FROM organizations WHERE id = $1")
                        .bind(id.0)
                        .fetch_one(&mut *conn)
                        .await?;
                Some(OrgRef { id, name })
            }
            None => None,
        };
        let two_factor_enabled = u.totp_enabled_at.is_some();
        let two_factor_covered = crate::two_factor::covered(&mut *conn, user, &memberships).await?;
        Ok(Some(Caller {
            me: Me {
                user_id: user,
                first_name: u.first_name,
                last_name: u.last_name,
                email: u.email,
                home_org,
                two_factor_setup_required: two_factor_covered && !two_factor_enabled,
            },
            memberships,
            two_factor_enabled,
            two_factor_covered,
        }))
    }
}

pub(crate) fn parse_role(stored: &str) -> Result<Role, StorageError> {
    Role::parse(stored)
        .ok_or_else(|| StorageError::internal(format!("unknown role {stored:?} in database")))
}

/// Sets how long a session may go unused before it is refused (`CHARGEDESK_SESSION_IDLE_MINUTES`; default
/// [`DEFAULT_SESSION_IDLE`]), for every [`Db`] of the process. At least the resolution of `last_seen_at`, one
/// minute.
pub fn set_session_idle_limit(limit: Duration) {
    let ms = i64::try_from(limit.as_millis()).unwrap_or(i64::MAX);
    SESSION_IDLE_MS.store(ms.max(LAST_SEEN_RESOLUTION_MS), Ordering::Relaxed);
}

/// The session idle limit in force.
pub fn session_idle_limit() -> Duration {
    Duration::from_millis(SESSION_IDLE_MS.load(Ordering::Relaxed) as u64)
}

/// The key log-in attempts are counted under for `email` (the normalised address, or the trimmed lower-case
/// input): the same for storage's persistent backoff and the server's in-memory per-account limit.
pub fn login_key(email: &str) -> String {
    failure_key(email)
}

/// Forgets the failed log-in attempts counted for `key` (see [`failure_key`]): after a success or a new password.
pub(crate) async fn clear_login_failures(conn: &mut Conn, key: &str) -> Result<(), StorageError> {
    sqlx::query("DELETE FROM login_failures WHERE email = $1")
        .bind(key)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Counts one failed log-in attempt for `key` (see [`failure_key`]), forgetting records untouched for a day.
pub(crate) async fn count_login_failure(
    conn: &mut Conn,
    key: &str,
    now: Timestamp,
) -> Result<(), StorageError> {
    sqlx::query("DELETE FROM login_failures WHERE last_failed_at < $1")
        .bind(now.0 - FAILURE_MEMORY_MS)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO login_failures (email, failures, last_failed_at) VALUES ($1, 1, $2) \
         ON CONFLICT (email) DO UPDATE \
         SET failures = login_failures.failures + 1, last_failed_at = $2",
    )
    .bind(key)
    .bind(now.0)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Everything a completed log-in does (after the password, and the second factor if the account has one): the
/// session is created (expired and idle ones are swept first). Returns the session token and its expiry.
pub(crate) async fn start_session(
    conn: &mut Conn,
    user: UserId,
    now: Timestamp,
) -> Result<(String, Timestamp), StorageError> {
    let session_token = new_session_token();
    let expires_at = Timestamp(now.0 + SESSION_LIFETIME_MS);
    crate::accounts::accept_memberships(conn, user, now).await?;
    sqlx::query("DELETE FROM sessions WHERE expires_at <= $1 OR last_seen_at <= $2")
        .bind(now.0)
        .bind(now.0 - SESSION_IDLE_MS.load(Ordering::Relaxed))
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO sessions (token_hash, user_id, created_at, expires_at, last_seen_at) \
         VALUES ($1, $2, $3, $4, $3)",
    )
    .bind(token_hash(&session_token))
    .bind(user.0)
    .bind(now.0)
    .bind(expires_at.0)
    .execute(&mut *conn)
    .await?;
    Ok((session_token, expires_at))
}

impl Db {
    /// E-mail + password log-in at the current time; see [`Db::login_at`].
    pub async fn login(&self, email: &str, password: &str) -> Result<LoginOutcome, StorageError> {
        self.login_at(email, password, now()).await
    }

    /// E-mail + password log-in as if the time were `now` (tests drive the throttle with it).
    ///
    /// Failures are counted per e-mail address, known or not. From the 3rd consecutive failure on, an
    /// attempt is refused ([`LoginOutcome::Throttled`], without checking the password) until
    /// `last failure + min(2^(failures-2), 300)` seconds; a success resets the count. An unknown e-mail
    /// (or an account without a password) costs one argon2 verification too, so timing tells nothing.
    ///
    /// The database is only read until the password has been checked, and written once afterwards (the
    /// failure counted, or the count cleared and the session created): an attempt that is throttled, or
    /// refused because hashing is saturated ([`StorageError::Busy`]), writes nothing, so a flood of log-ins
    /// never holds the write lock that stations need. How many attempts run at once is bounded before this
    /// (the server's in-memory per-address and per-account limits, and the hashing limit).
    ///
    /// For an account with two-factor authentication a right password gives no session but
    /// [`LoginOutcome::SecondFactor`]: a challenge for [`Db::login_second_factor`]; the failure count is kept
    /// until that second step succeeds.
    pub async fn login_at(
        &self,
        email: &str,
        password: &str,
        now: Timestamp,
    ) -> Result<LoginOutcome, StorageError> {
        let key = failure_key(email);
        let (failures, account) = {
            let mut conn = self.read().await?;
            let failures: Option<(i64, i64)> = sqlx::query_as(
                "SELECT failures, last_failed_at FROM login_failures WHERE email = $1",
            )
            .bind(&key)
            .fetch_optional(&mut *conn)
            .await?;
            if let Some((failures, last_failed_at)) = failures {
                if let Some(retry_after_secs) = throttled_for(failures, last_failed_at, now) {
                    return Ok(LoginOutcome::Throttled { retry_after_secs });
                }
            }
            let account: Option<(i64, Option<String>, Option<i64>)> = sqlx::query_as(
                "SELECT id, password_hash, totp_enabled_at FROM users WHERE lower(email) = $1",
            )
            .bind(fold_case(&key))
            .fetch_optional(&mut *conn)
            .await?;
            (failures, account)
        };

        let user = match account {
            Some((id, Some(hash), totp_enabled_at)) => verify_password(hash, password.to_owned())
                .await?
                .then_some((UserId(id), totp_enabled_at.is_some())),
            _ => {
                // Same cost as a real check, so an unknown address cannot be told apart by timing.
                let _ = verify_password(dummy_hash().await?, password.to_owned()).await?;
                None
            }
        };
        let Some((user, two_factor)) = user else {
            let mut tx = self.begin_operational_write().await?;
            count_login_failure(&mut tx, &key, now).await?;
            tx.commit().await?;
            return Ok(LoginOutcome::WrongCredentials);
        };

        let mut tx = self.begin_operational_write().await?;
        if two_factor {
            // The password was right, the code is still to come: the failure count stays until the second step
            // succeeds (wrong codes add to it), so knowing the password does not reset the backoff.
            let challenge = crate::two_factor::new_challenge(&mut tx, user, now).await?;
            tx.commit().await?;
            return Ok(LoginOutcome::SecondFactor { challenge });
        }
        if failures.is_some() {
            clear_login_failures(&mut tx, &key).await?;
        }
        let (session_token, expires_at) = start_session(&mut tx, user, now).await?;
        tx.commit().await?;
        Ok(LoginOutcome::LoggedIn {
            session_token,
            expires_at,
        })
    }

    /// Ends the session behind this cookie value (nothing happens for an unknown one).
    pub async fn logout(&self, session_token: &str) -> Result<(), StorageError> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash(session_token))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The authenticated caller behind a session cookie value; `None` if unknown, expired or idle for longer
    /// than the [`session_idle_limit`]. See [`Db::caller_at`].
    pub async fn caller(&self, session_token: &str) -> Result<Option<Caller>, StorageError> {
        self.caller_at(session_token, now()).await
    }

    /// [`Db::caller`] as if the time were `now`. A session is accepted until its absolute expiry
    /// (14 days after log-in) and while it was last used less than the idle limit ago; using it moves "last
    /// used" to `now`, written at most once a minute per session.
    pub async fn caller_at(
        &self,
        session_token: &str,
        now: Timestamp,
    ) -> Result<Option<Caller>, StorageError> {
        self.session_caller(session_token, now, true).await
    }

    /// [`Db::caller`] without counting as use: for a long-lived stream that re-checks its session on a timer
    /// (a forgotten open tab must not keep a session from idling out).
    pub async fn caller_without_use(
        &self,
        session_token: &str,
    ) -> Result<Option<Caller>, StorageError> {
        self.caller_without_use_at(session_token, now()).await
    }

    /// [`Db::caller_without_use`] as if the time were `now`.
    pub async fn caller_without_use_at(
        &self,
        session_token: &str,
        now: Timestamp,
    ) -> Result<Option<Caller>, StorageError> {
        self.session_caller(session_token, now, false).await
    }

    async fn session_caller(
        &self,
        session_token: &str,
        now: Timestamp,
        counts_as_use: bool,
    ) -> Result<Option<Caller>, StorageError> {
        let hash = token_hash(session_token);
        let mut conn = self.read().await?;
        let session: Option<(i64, i64)> = sqlx::query_as(
            "SELECT user_id, last_seen_at FROM sessions \
             WHERE token_hash = $1 AND expires_at > $2 AND last_seen_at > $3",
        )
        .bind(&hash)
        .bind(now.0)
        .bind(now.0 - SESSION_IDLE_MS.load(Ordering::Relaxed))
        .fetch_optional(&mut *conn)
        .await?;
        let Some((user, last_seen_at)) = session else {
            return Ok(None);
        };
        let caller = Caller::load(&mut conn, UserId(user)).await?;
        drop(conn);
        if counts_as_use && caller.is_some() && now.0 - last_seen_at >= LAST_SEEN_RESOLUTION_MS {
            sqlx::query(
                "UPDATE sessions SET last_seen_at = $2 WHERE token_hash = $1 AND last_seen_at < $2",
            )
            .bind(&hash)
            .bind(now.0)
            .execute(&self.pool)
            .await?;
        }
        Ok(caller)
    }
}

/// The key failures are counted under: the normalised address if it parses, else the trimmed lower-case
/// input (bounded in length).
pub(crate) fn failure_key(email: &str) -> String {
    match Email::parse(email) {
        Ok(email) => email.as_str().to_lowercase(),
        Err(_) => email
            .trim()
            .to_lowercase()
            .chars()
            .take(MAX_KEY_CHARS)
            .collect(),
    }
}

/// `Some(seconds to wait)` if an attempt at `now` is refused after `failures` consecutive failures.
pub(crate) fn throttled_for(failures: i64, last_failed_at: i64, now: Timestamp) -> Option<u64> {
    if failures <= FREE_FAILURES {
        return None;
    }
    let exponent = (failures - FREE_FAILURES).min(16) as u32;
    let delay_ms = 2i64.pow(exponent).min(MAX_DELAY_SECS) * 1000;
    let wait_ms = last_failed_at + delay_ms - now.0;
    (wait_ms > 0).then(|| (wait_ms as u64).div_ceil(1000))
}

pub(crate) fn new_session_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

pub(crate) fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The process-wide limit on password hashing (argon2 is deliberately slow and memory-hungry): at most
/// `concurrency` hashes run at once, at most `4 × concurrency` more wait for a turn, and anything beyond that
/// is refused at once with [`StorageError::Busy`] instead of queueing without bound.
struct HashLimit {
    running: Semaphore,
    waiting: Semaphore,
}

static HASH_LIMIT: OnceLock<HashLimit> = OnceLock::new();

/// Sets how many password hashes (log-in, station Basic auth, setting a password) may run at once
/// (`CHARGEDESK_HASH_CONCURRENCY`; default: the number of available cores). Takes effect only before the
/// first hash of the process; returns whether it did.
pub fn set_hash_concurrency(concurrency: usize) -> bool {
    HASH_LIMIT.set(HashLimit::new(concurrency)).is_ok()
}

/// The number of hashes that may run at once by default: the available cores.
pub fn default_hash_concurrency() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

impl HashLimit {
    fn new(concurrency: usize) -> Self {
        let concurrency = concurrency.max(1);
        Self {
            running: Semaphore::new(concurrency),
            waiting: Semaphore::new(concurrency * 4),
        }
    }

    /// A turn to hash, or `Busy` when every turn and every waiting place is taken.
    async fn turn(&self) -> Result<SemaphorePermit<'_>, StorageError> {
        if let Ok(turn) = self.running.try_acquire() {
            return Ok(turn);
        }
        let _place = self.waiting.try_acquire().map_err(|_| StorageError::Busy)?;
        self.running
            .acquire()
            .await
            .map_err(|e| StorageError::Internal(Box::new(e)))
    }
}

fn hash_limit() -> &'static HashLimit {
    HASH_LIMIT.get_or_init(|| HashLimit::new(default_hash_concurrency()))
}

/// Hashes a password as an argon2id PHC string (off the async threads: it is deliberately slow), within the
/// process-wide hashing limit ([`StorageError::Busy`] when it is saturated).
pub(crate) async fn hash_password(password: &str) -> Result<String, StorageError> {
    let password = password.to_owned();
    let _turn = hash_limit().turn().await?;
    tokio::task::spawn_blocking(move || {
        let mut salt = [0u8; 16];
        rand::rngs::OsRng.fill_bytes(&mut salt);
        let salt =
            SaltString::encode_b64(&salt).map_err(|e| StorageError::internal(e.to_string()))?;
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| StorageError::internal(format!("hashing a password failed: {e}")))
    })
    .await
    .map_err(|e| StorageError::Internal(Box::new(e)))?
}

/// Whether `password` matches the PHC string `hash`. A corrupt hash counts as a mismatch (and is logged).
/// Runs within the process-wide hashing limit ([`StorageError::Busy`] when it is saturated).
pub(crate) async fn verify_password(hash: String, password: String) -> Result<bool, StorageError> {
    let _turn = hash_limit().turn().await?;
    tokio::task::spawn_blocking(move || match PasswordHash::new(&hash) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(e) => {
            tracing::error!(error = %e, "stored password hash cannot be parsed");
            false
        }
    })
    .await
    .map_err(|e| StorageError::Internal(Box::new(e)))
}

/// The scheme prefix of a station password hash: `$cd-sha256$<salt, 32 hex>$<SHA-256(salt ‖ password), 64 hex>`.
///
/// Station passwords are not chosen by people: ChargeDesk generates them
/// ([`crate::generate_station_password`]: 24 characters of a 55-character alphabet, about 138 bits), and the only
/// others are the demo stations' published keys. Guessing 138 random bits is out of reach however fast the hash,
/// so a slow hash (argon2, 20–40 ms of one core) protects nothing here, while it made a reconnect storm of
/// 10,000 stations take minutes. Like API tokens, they get a fast cryptographic hash. The random salt keeps the
/// rule that every new password gives a new stored value (see `ocpp::Credentials`). People's passwords stay
/// argon2 ([`hash_password`]).
pub(crate) const STATION_HASH_SCHEME: &str = "$cd-sha256$";
/// Bytes of a station password hash's salt.
const STATION_SALT_BYTES: usize = 16;

/// SHA-256 of `salt ‖ password`.
fn station_digest(salt: &[u8], password: &str) -> [u8; 32] {
    let mut digest = Sha256::new();
    digest.update(salt);
    digest.update(password.as_bytes());
    digest.finalize().into()
}

/// A station password's stored hash in the [`STATION_HASH_SCHEME`], with a fresh random salt.
pub(crate) fn hash_station_password(password: &str) -> String {
    let mut salt = [0u8; STATION_SALT_BYTES];
    rand::rngs::OsRng.fill_bytes(&mut salt);
    format!(
        "{STATION_HASH_SCHEME}{}${}",
        hex::encode(salt),
        hex::encode(station_digest(&salt, password))
    )
}

/// What checking a station's password found.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum StationPasswordCheck {
    /// It does not match (or the stored hash cannot be read).
    Mismatch,
    /// It matches; `rehashed` is the password's hash in the current scheme when the stored one is of an older
    /// scheme (argon2), to be stored in its place.
    Match { rehashed: Option<String> },
}

/// Checks a station's password against its stored hash: the [`STATION_HASH_SCHEME`] at once, in constant time
/// (the digests are compared as `password_hash::Output`, whose equality is constant-time); a hash of the older
/// argon2 scheme (any other PHC string) within the process-wide hashing limit ([`StorageError::Busy`] when it is
/// saturated), and on a match the password is hashed again in the current scheme.
pub(crate) async fn verify_station_password(
    hash: &str,
    password: &str,
) -> Result<StationPasswordCheck, StorageError> {
    let Some(rest) = hash.strip_prefix(STATION_HASH_SCHEME) else {
        let ok = verify_password(hash.to_owned(), password.to_owned()).await?;
        return Ok(if ok {
            StationPasswordCheck::Match {
                rehashed: Some(hash_station_password(password)),
            }
        } else {
            StationPasswordCheck::Mismatch
        });
    };
    let parsed = rest.split_once('$').and_then(|(salt, digest)| {
        let salt = hex::decode(salt).ok()?;
        let digest = argon2::password_hash::Output::new(&hex::decode(digest).ok()?).ok()?;
        Some((salt, digest))
    });
    let Some((salt, stored)) = parsed else {
        tracing::error!("stored station password hash cannot be parsed");
        return Ok(StationPasswordCheck::Mismatch);
    };
    let candidate = argon2::password_hash::Output::new(&station_digest(&salt, password))
        .map_err(|e| StorageError::internal(e.to_string()))?;
    Ok(if candidate == stored {
        StationPasswordCheck::Match { rehashed: None }
    } else {
        StationPasswordCheck::Mismatch
    })
}

/// A hash of a random password with the current parameters, verified against when there is no account.
pub(crate) async fn dummy_hash() -> Result<String, StorageError> {
    static DUMMY: OnceLock<String> = OnceLock::new();
    if let Some(hash) = DUMMY.get() {
        return Ok(hash.clone());
    }
    let hash = hash_password(&new_session_token()).await?;
    Ok(DUMMY.get_or_init(|| hash).clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn station_passwords_get_a_salted_fast_hash_and_old_argon2_hashes_are_rehashed() {
        let password = "Xk7pQ2mN9vR4tW8yB3cD6fG5";
        let hash = hash_station_password(password);
        assert!(hash.starts_with(STATION_HASH_SCHEME));
        assert!(!hash.contains(password));
        // A fresh salt each time: a new password (even an equal one) is a new stored value.
        assert_ne!(hash, hash_station_password(password));
        assert_eq!(
            verify_station_password(&hash, password).await.unwrap(),
            StationPasswordCheck::Match { rehashed: None }
        );
        for wrong in ["Xk7pQ2mN9vR4tW8yB3cD6fG", "xk7pQ2mN9vR4tW8yB3cD6fG5", ""] {
            assert_eq!(
                verify_station_password(&hash, wrong).await.unwrap(),
                StationPasswordCheck::Mismatch
            );
        }
        // A damaged stored value never matches.
        for damaged in [
            format!("{STATION_HASH_SCHEME}zz$00"),
            format!(
                "{STATION_HASH_SCHEME}{}",
                &hash[STATION_HASH_SCHEME.len()..40]
            ),
            hash.replace('$', ""),
        ] {
            assert_eq!(
                verify_station_password(&damaged, password).await.unwrap(),
                StationPasswordCheck::Mismatch
            );
        }
        // The older scheme: argon2. A match comes with the hash in the current scheme, a mismatch without.
        let old = hash_password(password).await.unwrap();
        assert_eq!(
            verify_station_password(&old, "not-the-password-at-all")
                .await
                .unwrap(),
            StationPasswordCheck::Mismatch
        );
        let StationPasswordCheck::Match {
            rehashed: Some(new),
        } = verify_station_password(&old, password).await.unwrap()
        else {
            panic!("the old hash matches and is rehashed");
        };
        assert_eq!(
            verify_station_password(&new, password).await.unwrap(),
            StationPasswordCheck::Match { rehashed: None }
        );
    }

    #[test]
    fn throttle_waits_double_from_the_third_failure_and_cap_at_five_minutes() {
        let at = |s: i64| Timestamp(1_000_000 + s * 1000);
        assert_eq!(throttled_for(1, at(0).0, at(0)), None);
        assert_eq!(throttled_for(2, at(0).0, at(0)), None);
        assert_eq!(throttled_for(3, at(0).0, at(0)), Some(2));
        assert_eq!(throttled_for(3, at(0).0, at(1)), Some(1));
        assert_eq!(throttled_for(3, at(0).0, at(2)), None);
        assert_eq!(throttled_for(4, at(0).0, at(0)), Some(4));
        assert_eq!(throttled_for(10, at(0).0, at(0)), Some(256));
        assert_eq!(throttled_for(11, at(0).0, at(0)), Some(300));
        assert_eq!(throttled_for(1_000, at(0).0, at(0)), Some(300));
        assert_eq!(
            throttled_for(3, at(0).0, Timestamp(at(0).0 + 1500)),
            Some(1)
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn hashing_beyond_the_limit_and_its_queue_is_refused_at_once() {
        let limit: &'static HashLimit = Box::leak(Box::new(HashLimit::new(1)));
        let running = limit.turn().await.unwrap();
        // Four more may wait for the one turn...
        let waiting: Vec<_> = (0..4)
            .map(|_| tokio::spawn(async move { limit.turn().await.map(drop) }))
            .collect();
        tokio::time::timeout(std::time::Duration::from_secs(30), async {
            while limit.waiting.available_permits() > 0 {
                tokio::task::yield_now().await;
            }
        })
        .await
        .expect("the four take their waiting places");
        // ...the next is refused without waiting.
        assert!(matches!(limit.turn().await, Err(StorageError::Busy)));
        // Once the turn is free, every waiting one gets it.
        drop(running);
        for waiter in waiting {
            waiter.await.unwrap().unwrap();
        }
        assert!(limit.turn().await.is_ok());
    }

    #[test]
    fn tokens_are_64_hex_chars_and_only_their_hash_is_kept() {
        let t = new_session_token();
        assert_eq!(t.len(), 64);
        assert!(t.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(new_session_token(), t);
        assert_eq!(token_hash(&t).len(), 64);
        assert_ne!(token_hash(&t), t);
    }
}
