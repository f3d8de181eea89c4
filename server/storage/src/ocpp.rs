//! The OCPP side of stations: a station logging in ([`Db::station_login`] → [`StationLogin`] →
//! [`ConnectedStation`]), its connection state and reports, and the OCPP message log (batch insert, pairing of
//! answers with their CALL, listing for the "Logs" tab, pruning).
//!
//! [`ConnectedStation`] is to an OCPP session what [`OrgAdmin`] is to an administrator: the proof of who is
//! talking, and the only handle through which a session's writes can be expressed. It is obtained only from a
//! [`StationLogin`] that passed its password check, and every write it makes is about its own station.

use crate::auth::{verify_station_password, StationPasswordCheck};
use crate::db::{now, Backend, Conn, Db};
use crate::decisions::{insert_decision, insert_decisions, NewDecision};
use crate::error::StorageError;
use crate::events::StationEvent;
use crate::instances::Instance;
use crate::multi_row::{Statement, Value};
use crate::org::OrgAdmin;
use crate::stations::{subtree_cte, subtree_passes_with_key};
use rand::RngCore;
use shared::decision::id_tag_keys;
use shared::ids::StationId;
use shared::model::{FrameDirection, FrameType, LogFilter, OcppLogEntry, LOG_PAGE_MAX};
use shared::station::ChargePointId;
use shared::time::Timestamp;
use shared::OrgId;
use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};

/// How many days of OCPP messages are kept unless configured otherwise.
pub const DEFAULT_LOG_RETENTION_DAYS: i64 = 30;

/// A station found by the charge point ID in its URL, before it proved who it is.
pub struct StationLogin {
    station: StationId,
    org: OrgId,
    charge_point_id: String,
    name: String,
    password_hash: Option<String>,
    /// When the explicit choice that the station may connect without a password was made (`None`: not made).
    unauthenticated_allowed_at: Option<i64>,
    verified: AtomicBool,
    /// The password's hash in the current scheme, once [`StationLogin::verify_password`] stored it in place of
    /// an older scheme's.
    rehashed: std::sync::OnceLock<String>,
    db: Db,
}

/// Never shows the password hash.
impl fmt::Debug for StationLogin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StationLogin")
            .field("station", &self.station)
            .field("org", &self.org)
            .field("charge_point_id", &self.charge_point_id)
            .field("requires_password", &self.requires_password())
            .finish()
    }
}

impl StationLogin {
    /// The station.
    pub fn station_id(&self) -> StationId {
        self.station
    }

    /// The organization the station belongs to.
    pub fn org_id(&self) -> OrgId {
        self.org
    }

    /// The charge point ID as registered (its case may differ from the one in the URL).
    pub fn charge_point_id(&self) -> &str {
        &self.charge_point_id
    }

    /// The station's display name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether the station must present its password (HTTP Basic, OCPP security profile 1/2): always, unless
    /// an administrator explicitly allowed it to connect without one. A station with neither a password nor
    /// that choice cannot connect at all: it requires a password that no candidate matches.
    pub fn requires_password(&self) -> bool {
        self.unauthenticated_allowed_at.is_none()
    }

    /// Checks the HTTP Basic password the station sent (a salted SHA-256, compared in constant time: see
    /// `auth::STATION_HASH_SCHEME`). `true` only if the station has a password and it matches; `false` when it
    /// has none. A successful check is remembered: [`StationLogin::accept`] requires it when
    /// [`StationLogin::requires_password`].
    ///
    /// A hash of the older scheme (argon2) is checked within the process-wide hashing limit
    /// ([`StorageError::Busy`] when it is saturated) and, when the password matches, replaced by the password's
    /// hash in the current scheme — unless the station's password changed meanwhile. The same password under
    /// another hash is not a credentials change: no event, and open connections stay.
    pub async fn verify_password(&self, candidate: &str) -> Result<bool, StorageError> {
        let Some(hash) = &self.password_hash else {
            return Ok(false);
        };
        let StationPasswordCheck::Match { rehashed } =
            verify_station_password(hash, candidate).await?
        else {
            return Ok(false);
        };
        if let Some(new) = rehashed {
            self.store_rehashed(hash, new).await;
        }
        self.verified.store(true, Ordering::Relaxed);
        Ok(true)
    }

    /// Replaces the station's stored hash `old` by `new` (the same password in the current scheme), if it is
    /// still `old`. Errors are logged, not returned: the station logs in all the same, and the next log-in tries
    /// again.
    async fn store_rehashed(&self, old: &str, new: String) {
        let result = async {
            let mut tx = self.db.begin_operational_write().await?;
            let updated = sqlx::query(
                "UPDATE stations SET password_hash = $2 WHERE id = $1 AND password_hash = $3",
            )
            .bind(self.station.0)
            .bind(&new)
            .bind(old)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            tx.commit().await?;
            Ok::<_, StorageError>(updated == 1)
        }
        .await;
        match result {
            Ok(true) => {
                tracing::info!(station = %self.station, "station password hash moved to the current scheme");
                let _ = self.rehashed.set(new);
            }
            // Someone changed the password (or another connection rehashed it) meanwhile: theirs stays.
            Ok(false) => {}
            Err(error) => {
                tracing::warn!(station = %self.station, error = ?error,
                    "storing the station password's hash in the current scheme failed")
            }
        }
    }

    /// Lets the station in: the handle for its OCPP session, with a fresh connection nonce (see
    /// [`ConnectedStation::connected`]). [`StorageError::NoAccess`] if the station requires a password and
    /// [`StationLogin::verify_password`] has not accepted one.
    pub fn accept(self, db: &Db) -> Result<ConnectedStation, StorageError> {
        if self.requires_password() && !self.verified.load(Ordering::Relaxed) {
            return Err(StorageError::NoAccess);
        }
        Ok(ConnectedStation {
            db: db.clone(),
            station: self.station,
            org: self.org,
            connection: (rand::rngs::OsRng.next_u64() >> 1) as i64,
            credentials: std::sync::Arc::new(Credentials {
                password_hash: self.rehashed.into_inner().or(self.password_hash),
                unauthenticated_allowed_at: self.unauthenticated_allowed_at,
            }),
        })
    }
}

/// A station that proved who it is: what an OCPP session may do. Only [`StationLogin::accept`] builds one.
/// Cheap to clone; clones share the connection nonce.
#[derive(Debug, Clone)]
pub struct ConnectedStation {
    pub(crate) db: Db,
    pub(crate) station: StationId,
    pub(crate) org: OrgId,
    /// Identifies this connection in `stations.connection_nonce`.
    connection: i64,
    /// The credentials the station was let in under (see [`ConnectedStation::credentials_unchanged`]).
    credentials: std::sync::Arc<Credentials>,
}

/// How a station logs in, as stored: a new password always has a new hash (a fresh salt), and allowing
/// unauthenticated connections records when. So two equal values are the same credentials, and any change an
/// administrator makes gives a different value.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Credentials {
    password_hash: Option<String>,
    unauthenticated_allowed_at: Option<i64>,
}

/// Never shows the password hash.
impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("has_password", &self.password_hash.is_some())
            .field(
                "unauthenticated_allowed_at",
                &self.unauthenticated_allowed_at,
            )
            .finish()
    }
}

impl ConnectedStation {
    /// The station.
    pub fn station_id(&self) -> StationId {
        self.station
    }

    /// The organization the station belongs to.
    pub fn org_id(&self) -> OrgId {
        self.org
    }

    /// Whether the station's credentials are still those it was let in under. A credentials event
    /// ([`crate::StationEvent::CredentialsChanged`]) may arrive after this connection was authenticated with the
    /// new credentials (on PostgreSQL events travel through a listening connection and arrive some time after the
    /// commit), so the connection asks the database before it closes. `false` when the station is gone or the
    /// database cannot be asked: closing is the safe answer, the station reconnects.
    pub async fn credentials_unchanged(&self) -> bool {
        let current = async {
            let mut conn = self.db.read().await?;
            let row: Option<(Option<String>, Option<i64>)> = sqlx::query_as(
                "SELECT password_hash, unauthenticated_allowed_at FROM stations WHERE id = $1",
            )
            .bind(self.station.0)
            .fetch_optional(&mut *conn)
            .await?;
            Ok::<_, StorageError>(row.map(|(password_hash, unauthenticated_allowed_at)| {
                Credentials {
                    password_hash,
                    unauthenticated_allowed_at,
                }
            }))
        }
        .await;
        match current {
            Ok(current) => current.as_ref() == Some(&*self.credentials),
            Err(error) => {
                tracing::warn!(station = %self.station, error = ?error,
                    "checking the station's credentials failed: treating them as changed");
                false
            }
        }
    }

    /// Marks the station online through this connection, held by `instance` (replacing any previous
    /// connection, on any instance), and announces it ([`StationEvent::Connected`]) in the same transaction, so
    /// that an older connection of the station on another instance is closed. The station reads as online while
    /// `instance`'s lease runs (see [`crate::instances`]). Errors are logged, not returned: the online flag must
    /// never stop a session.
    pub async fn connected(&self, instance: &Instance) {
        let result = async {
            let at = now().0;
            let mut tx = self.db.begin_operational_write().await?;
            sqlx::query(
                "UPDATE stations SET connected_at = $2, connection_nonce = $3, connected_instance = $4, \
                                     last_message_at = $2 \
                 WHERE id = $1",
            )
            .bind(self.station.0)
            .bind(at)
            .bind(self.connection)
            .bind(instance.id().0)
            .execute(&mut *tx)
            .await?;
            let announced = self
                .db
                .announce(
                    &mut tx,
                    StationEvent::Connected {
                        station: self.station,
                        connection: self.connection,
                        instance: instance.id(),
                    },
                )
                .await?;
            tx.commit().await?;
            announced.after_commit();
            Ok(())
        }
        .await;
        log_failure(result, self.station, "marking the station online");
    }

    /// This connection's nonce (`stations.connection_nonce`, and [`StationEvent::Connected`]'s `connection`).
    pub fn connection_nonce(&self) -> i64 {
        self.connection
    }

    /// Marks the station offline, but only if this connection is still its current one: a connection replaced
    /// by a newer one (the station reconnected, here or on another instance) must not mark the new one offline
    /// when it finally closes. Errors are logged, not returned.
    pub async fn disconnected(&self) {
        let result = self
            .update_station(
                "UPDATE stations SET connected_at = NULL, connection_nonce = NULL, connected_instance = NULL \
                 WHERE id = $1 AND connection_nonce = $2",
                &[self.connection],
            )
            .await;
        log_failure(result, self.station, "marking the station offline");
    }

    /// That a message arrived now, to be stored (`last_message_at`) with the OCPP writer's next batch
    /// ([`Db::store_ocpp_batch`]) instead of in a write transaction of its own ([`ConnectedStation::touch`]).
    pub fn touched_now(&self) -> StationTouch {
        StationTouch {
            station: self.station,
            at: now(),
        }
    }

    /// Records that a message arrived now (`last_message_at`). One small write: callers may debounce it.
    /// Errors are logged, not returned.
    pub async fn touch(&self) {
        let result = self
            .update_station(
                "UPDATE stations SET last_message_at = $2 WHERE id = $1",
                &[now().0],
            )
            .await;
        log_failure(result, self.station, "recording the last message time");
    }

    /// One UPDATE of the station row, binding `$1` = the station, then `values` as `$2`, `$3`, ...
    async fn update_station(&self, sql: &str, values: &[i64]) -> Result<(), StorageError> {
        let mut tx = self.db.begin_operational_write().await?;
        let mut query = sqlx::query(sql).bind(self.station.0);
        for &v in values {
            query = query.bind(v);
        }
        query.execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Stores what the station said about itself in a BootNotification (now = its last boot).
    pub async fn boot(
        &self,
        vendor: &str,
        model: &str,
        serial: Option<&str>,
        firmware: Option<&str>,
    ) -> Result<(), StorageError> {
        let mut tx = self.db.begin_operational_write().await?;
        sqlx::query(
            "UPDATE stations SET vendor = $2, model = $3, serial_number = $4, firmware_version = $5, \
             last_boot_at = $6 WHERE id = $1",
        )
        .bind(self.station.0)
        .bind(vendor)
        .bind(model)
        .bind(serial)
        .bind(firmware)
        .bind(now().0)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Stores a connector's status (StatusNotification; connector 0 = the whole station). `at` is the
    /// station's timestamp, else the time received. A report older than the stored one (a queued message sent
    /// after a reconnect) does not overwrite it.
    pub async fn status(
        &self,
        connector_id: i64,
        status: &str,
        error_code: &str,
        info: Option<&str>,
        at: Timestamp,
    ) -> Result<(), StorageError> {
        let mut tx = self.db.begin_operational_write().await?;
        sqlx::query(
            "INSERT INTO connectors (station_id, connector_id, status, error_code, info, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (station_id, connector_id) DO UPDATE \
             SET status = excluded.status, error_code = excluded.error_code, info = excluded.info, \
                 updated_at = excluded.updated_at \
             WHERE connectors.updated_at <= excluded.updated_at",
        )
        .bind(self.station.0)
        .bind(connector_id)
        .bind(status)
        .bind(error_code)
        .bind(info)
        .bind(at.0)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

fn log_failure(result: Result<(), StorageError>, station: StationId, what: &str) {
    if let Err(error) = result {
        tracing::warn!(%station, error = ?error, "{what} failed");
    }
}

impl Db {
    /// The OCPP side: the station registered under the charge point ID from its URL (compared regardless of
    /// case, like the uniqueness check); `None` if there is none or the ID is not a valid charge point ID.
    pub async fn station_login(
        &self,
        charge_point_id: &str,
    ) -> Result<Option<StationLogin>, StorageError> {
        let Ok(cp) = ChargePointId::parse(charge_point_id) else {
            return Ok(None);
        };
        let mut conn = self.read().await?;
        #[derive(sqlx::FromRow)]
        struct Row {
            id: i64,
            org_id: i64,
            charge_point_id: String,
            name: String,
            password_hash: Option<String>,
            unauthenticated_allowed_at: Option<i64>,
        }
        let row: Option<Row> = sqlx::query_as(
            "SELECT id, org_id, charge_point_id, name, password_hash, unauthenticated_allowed_at \
             FROM stations WHERE match_key = $1",
        )
        .bind(cp.match_key())
        .fetch_optional(&mut *conn)
        .await?;
        Ok(row.map(|r| StationLogin {
            station: StationId(r.id),
            org: OrgId(r.org_id),
            charge_point_id: r.charge_point_id,
            name: r.name,
            password_hash: r.password_hash,
            unauthenticated_allowed_at: r.unauthenticated_allowed_at,
            verified: AtomicBool::new(false),
            rehashed: std::sync::OnceLock::new(),
            db: self.clone(),
        }))
    }

    /// Stores a batch of OCPP frames, in order, in one transaction. A CALLRESULT or CALLERROR without an
    /// `action` gets the action of the CALL it answers: the latest CALL with the same station and unique id
    /// that went the other way (stored earlier, possibly earlier in the same batch).
    pub async fn insert_ocpp_messages(&self, batch: &[NewOcppMessage]) -> Result<(), StorageError> {
        if batch.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin_operational_write().await?;
        insert_frames(&mut tx, self.backend, batch).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The OCPP writer's batch: `frames` (as [`Db::insert_ocpp_messages`]), `decisions`
    /// ([`ConnectedStation::decide_authorize`]) and the stations' latest messages (`touches`,
    /// [`ConnectedStation::touched_now`]; `last_message_at` never moves back), in order, in one transaction: one
    /// commit for what many stations sent meanwhile, instead of one write transaction each; frames and
    /// decisions a few hundred rows per statement. The Authorize decisions are also the cards held against the
    /// readers: announced with the commit to their listeners on the other instances ("Scan at a station",
    /// [`Db::subscribe_taps`]; this instance's heard of them when they were decided). A batch that cannot be stored as a whole (say a decision's station was just
    /// deleted) is stored piece by piece instead: the frames in one
    /// transaction, each decision in one of its own, so that one bad row fails only itself. Returns whether
    /// the frames were stored and, per decision and in order, whether it was.
    pub async fn store_ocpp_batch(
        &self,
        frames: &[NewOcppMessage],
        decisions: &[NewDecision],
        touches: &[StationTouch],
    ) -> (Result<(), StorageError>, Vec<bool>) {
        if frames.is_empty() && decisions.is_empty() && touches.is_empty() {
            return (Ok(()), Vec::new());
        }
        let whole = async {
            let mut tx = self.begin_operational_write().await?;
            insert_frames(&mut tx, self.backend, frames).await?;
            store_touches(&mut tx, touches).await?;
            insert_decisions(&mut tx, self.backend, decisions).await?;
            let taps: Vec<_> = decisions.iter().filter_map(NewDecision::tap).collect();
            self.announce_taps(&mut tx, &taps).await?;
            tx.commit().await?;
            Ok::<_, StorageError>(())
        }
        .await;
        if whole.is_ok() {
            return (Ok(()), vec![true; decisions.len()]);
        }
        let mut stored = Vec::with_capacity(decisions.len());
        for decision in decisions {
            let one = async {
                let mut tx = self.begin_operational_write().await?;
                insert_decision(&mut tx, decision).await?;
                let taps: Vec<_> = decision.tap().into_iter().collect();
                self.announce_taps(&mut tx, &taps).await?;
                tx.commit().await?;
                Ok::<_, StorageError>(())
            }
            .await;
            if let Err(error) = &one {
                tracing::error!(station = %decision.station(), error = ?error, "storing an authorization decision failed");
            }
            stored.push(one.is_ok());
        }
        let rest = async {
            let mut tx = self.begin_operational_write().await?;
            insert_frames(&mut tx, self.backend, frames).await?;
            store_touches(&mut tx, touches).await?;
            tx.commit().await?;
            Ok(())
        }
        .await;
        (rest, stored)
    }

    /// Deletes the OCPP messages from before `older_than` (e.g. now − [`DEFAULT_LOG_RETENTION_DAYS`]), a
    /// few thousand per transaction; returns how many.
    pub async fn prune_ocpp_messages(&self, older_than: Timestamp) -> Result<u64, StorageError> {
        self.delete_in_chunks(
            "DELETE FROM ocpp_messages WHERE id IN \
             (SELECT id FROM ocpp_messages WHERE at < $1 ORDER BY id LIMIT $2)",
            older_than,
        )
        .await
    }
}

/// That a station's message arrived at some time ([`ConnectedStation::touched_now`]), for
/// [`Db::store_ocpp_batch`]. Only a connected station makes one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StationTouch {
    station: StationId,
    at: Timestamp,
}

/// One OCPP frame to store (see [`Db::insert_ocpp_messages`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOcppMessage {
    /// The station the frame was exchanged with.
    pub station: StationId,
    /// When the server received or sent it.
    pub at: Timestamp,
    /// From or to the station.
    pub direction: FrameDirection,
    /// CALL, CALLRESULT or CALLERROR.
    pub message_type: FrameType,
    /// The action of a CALL. For an answer leave it `None` to take the action of the CALL it answers.
    pub action: Option<String>,
    /// The OCPP message id.
    pub unique_id: String,
    /// The JSON payload as sent (for a CALLERROR, e.g. the whole frame).
    pub payload: String,
    /// The idTag of an Authorize or StartTransaction CALL, as received (used for "Add as pass").
    pub id_tag: Option<String>,
    /// What an answer says in a word or two ("Accepted", "Invalid", a CALLERROR's code), for "Logs".
    pub outcome: Option<String>,
}

impl OrgAdmin {
    /// A station's OCPP messages ("Logs" tab), newest first, filtered by `filter` (see [`LogFilter`]): at most
    /// `filter.limit` (clamped to 1..=200). For the next page pass the last entry's id as `before_id`; if that
    /// entry has been pruned in between, the page is empty. `NotFound { what: "station" }` outside this
    /// subtree.
    pub async fn station_logs(
        &self,
        id: StationId,
        filter: &LogFilter,
    ) -> Result<Vec<OcppLogEntry>, StorageError> {
        #[derive(sqlx::FromRow)]
        struct Row {
            id: i64,
            at: i64,
            direction: String,
            message_type: String,
            action: Option<String>,
            unique_id: String,
            payload: String,
            id_tag: Option<String>,
            id_tag_matches: i64,
            outcome: Option<String>,
        }
        enum Bind<'a> {
            Int(i64),
            Text(&'a str),
        }
        let mut conn = self.db.read().await?;
        let station = self.scoped_station(&mut conn, id).await?;
        let mut binds = vec![Bind::Int(station.id.0), Bind::Int(station.org.0)];
        let mut conditions = String::new();
        let action = filter.action.as_deref().map(str::trim);
        if let Some(action) = action.filter(|a| !a.is_empty()) {
            binds.push(Bind::Text(action));
            conditions.push_str(&format!(" AND m.action = ${}", binds.len()));
        }
        if let Some(from) = filter.from {
            binds.push(Bind::Int(from.0));
            conditions.push_str(&format!(" AND m.at >= ${}", binds.len()));
        }
        if let Some(to) = filter.to {
            binds.push(Bind::Int(to.0));
            conditions.push_str(&format!(" AND m.at < ${}", binds.len()));
        }
        if let Some(before) = filter.before_id {
            binds.push(Bind::Int(before));
            let n = binds.len();
            let before_at = format!(
                "(SELECT b.at FROM ocpp_messages b WHERE b.id = ${n} AND b.station_id = $1)"
            );
            conditions.push_str(&format!(
                " AND (m.at < {before_at} OR (m.at = {before_at} AND m.id < ${n}))"
            ));
        }
        binds.push(Bind::Int(filter.limit.clamp(1, LOG_PAGE_MAX)));
        let sql = format!(
            "{}SELECT m.id, m.at, m.direction, m.message_type, m.action, m.unique_id, m.payload, m.id_tag, \
               CASE WHEN m.id_tag IS NULL THEN 0 ELSE \
                 (SELECT COUNT(*) {}) + (SELECT COUNT(*) {}) \
               END AS id_tag_matches, m.outcome \
             FROM ocpp_messages m WHERE m.station_id = $1{conditions} \
             ORDER BY m.at DESC, m.id DESC LIMIT ${}",
            subtree_cte("$2"),
            subtree_passes_with_key("hidden", "m.id_tag_hidden_key"),
            subtree_passes_with_key("visible", "m.id_tag_visible_key"),
            binds.len()
        );
        let mut query = sqlx::query_as::<_, Row>(&sql);
        for bind in binds {
            query = match bind {
                Bind::Int(v) => query.bind(v),
                Bind::Text(v) => query.bind(v),
            };
        }
        let rows = query.fetch_all(&mut *conn).await?;
        rows.into_iter()
            .map(|r| {
                Ok(OcppLogEntry {
                    id: r.id,
                    at: Timestamp(r.at),
                    direction: FrameDirection::parse(&r.direction).ok_or_else(|| {
                        StorageError::internal(format!(
                            "unknown frame direction {:?} in database",
                            r.direction
                        ))
                    })?,
                    message_type: FrameType::parse(&r.message_type).ok_or_else(|| {
                        StorageError::internal(format!(
                            "unknown frame type {:?} in database",
                            r.message_type
                        ))
                    })?,
                    action: r.action,
                    unique_id: r.unique_id,
                    payload: r.payload,
                    id_tag: r.id_tag,
                    id_tag_known: r.id_tag_matches > 0,
                    outcome: r.outcome,
                })
            })
            .collect()
    }
}

/// Rows per multi-row INSERT of the log writer: 13 values each (a few more for an answer whose CALL is looked
/// up), far below the most a statement may have (SQLite 32,766; PostgreSQL 65,535).
pub(crate) const ROWS_PER_INSERT: usize = 250;

/// Reserves `n` ids of `table` (whose `id` the database assigns: SQLite `AUTOINCREMENT`, PostgreSQL an
/// identity column) inside the caller's write transaction, ascending, so that rows inserted with them keep the
/// order they are given in. SQLite: the caller holds the write lock (`BEGIN IMMEDIATE`), so the ids after the
/// largest ever used are ours. PostgreSQL: from the column's sequence, like any other insert.
async fn reserve_ids(
    tx: &mut Conn,
    backend: Backend,
    table: &'static str,
    n: usize,
) -> Result<Vec<i64>, StorageError> {
    match backend {
        Backend::Sqlite => {
            let last: i64 = sqlx::query_scalar(&format!(
                "SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = '{table}'), 0), \
                            COALESCE((SELECT MAX(id) FROM {table}), 0))"
            ))
            .fetch_one(&mut *tx)
            .await?;
            Ok((1..=n as i64).map(|i| last + i).collect())
        }
        Backend::Postgres => {
            let mut ids: Vec<i64> = sqlx::query_scalar(&format!(
                "SELECT nextval(pg_get_serial_sequence('{table}', 'id')) FROM generate_series(1, $1)"
            ))
            .bind(n as i64)
            .fetch_all(&mut *tx)
            .await?;
            ids.sort_unstable();
            Ok(ids)
        }
    }
}

/// Which CALL a frame answers, as far as its batch knows.
enum Answers<'a> {
    /// It is a CALL.
    Nothing,
    /// The CALL is earlier in the same batch: its id and action.
    InBatch { call: i64, action: Option<&'a str> },
    /// Not in the batch: the latest CALL stored with the same station and unique id that went the other way.
    Stored,
}

/// Inserts `batch` into the OCPP message log inside the caller's transaction (see [`Db::insert_ocpp_messages`]),
/// a few hundred rows per statement, with ids in the batch's order. An answer's CALL (its `call_id`, and its
/// action when the answer has none) is looked up in the batch first, then among the stored frames.
async fn insert_frames(
    tx: &mut Conn,
    backend: Backend,
    batch: &[NewOcppMessage],
) -> Result<(), StorageError> {
    if batch.is_empty() {
        return Ok(());
    }
    let ids = reserve_ids(tx, backend, "ocpp_messages", batch.len()).await?;
    let mut calls: HashMap<(StationId, &str, &str), (i64, Option<&str>)> = HashMap::new();
    let mut rows = Vec::with_capacity(batch.len());
    for (m, id) in batch.iter().zip(ids) {
        let answers = match m.message_type {
            FrameType::Call => {
                calls.insert(
                    (m.station, m.unique_id.as_str(), m.direction.as_str()),
                    (id, m.action.as_deref()),
                );
                Answers::Nothing
            }
            FrameType::CallResult | FrameType::CallError => {
                let other_way = match m.direction {
                    FrameDirection::Incoming => FrameDirection::Outgoing,
                    FrameDirection::Outgoing => FrameDirection::Incoming,
                };
                match calls.get(&(m.station, m.unique_id.as_str(), other_way.as_str())) {
                    Some(&(call, action)) => Answers::InBatch { call, action },
                    None => Answers::Stored,
                }
            }
        };
        rows.push((id, m, answers));
    }
    for chunk in rows.chunks(ROWS_PER_INSERT) {
        let mut insert = Statement::new(
            backend,
            "INSERT INTO ocpp_messages (id, station_id, at, direction, message_type, action, unique_id, \
                                        payload, call_id, id_tag, id_tag_hidden_key, id_tag_visible_key, \
                                        outcome) VALUES ",
        );
        for (i, (id, m, answers)) in chunk.iter().enumerate() {
            let keys = m.id_tag.as_deref().map(id_tag_keys).unwrap_or_default();
            if i > 0 {
                insert.sql(", ");
            }
            insert
                .sql("(")
                .value(Value::Int(*id))
                .sql(", ")
                .value(Value::Int(m.station.0))
                .sql(", ")
                .value(Value::Int(m.at.0))
                .sql(", ")
                .value(Value::Text(m.direction.as_str()))
                .sql(", ")
                .value(Value::Text(m.message_type.as_str()))
                .sql(", ");
            match answers {
                Answers::Nothing => {
                    insert
                        .value(Value::OptText(m.action.as_deref()))
                        .sql(", ")
                        .value(Value::Text(&m.unique_id))
                        .sql(", ")
                        .value(Value::Text(&m.payload))
                        .sql(", NULL, ");
                }
                Answers::InBatch { call, action } => {
                    insert
                        .value(Value::OptText(m.action.as_deref().or(*action)))
                        .sql(", ")
                        .value(Value::Text(&m.unique_id))
                        .sql(", ")
                        .value(Value::Text(&m.payload))
                        .sql(", ")
                        .value(Value::Int(*call))
                        .sql(", ");
                }
                Answers::Stored => {
                    // The latest CALL of the station with this unique id that went the other way.
                    fn call<'a>(insert: &mut Statement<'a>, m: &'a NewOcppMessage, col: &str) {
                        insert
                            .sql(&format!(
                                "(SELECT c.{col} FROM ocpp_messages c WHERE c.station_id = "
                            ))
                            .value(Value::Int(m.station.0))
                            .sql(" AND c.unique_id = ")
                            .value(Value::Text(&m.unique_id))
                            .sql(" AND c.message_type = 'call' AND c.direction <> ")
                            .value(Value::Text(m.direction.as_str()))
                            .sql(" ORDER BY c.id DESC LIMIT 1)");
                    }
                    insert
                        .sql("COALESCE(")
                        .value(Value::OptText(m.action.as_deref()))
                        .sql(", ");
                    call(&mut insert, m, "action");
                    insert
                        .sql("), ")
                        .value(Value::Text(&m.unique_id))
                        .sql(", ")
                        .value(Value::Text(&m.payload))
                        .sql(", ");
                    call(&mut insert, m, "id");
                    insert.sql(", ");
                }
            }
            insert
                .value(Value::OptText(m.id_tag.as_deref()))
                .sql(", ")
                .value(Value::OptString(keys.hidden))
                .sql(", ")
                .value(Value::OptString(keys.visible))
                .sql(", ")
                .value(Value::OptText(m.outcome.as_deref()))
                .sql(")");
        }
        insert.execute(tx).await?;
    }
    Ok(())
}

/// Sets each touched station's `last_message_at` (never back in time) inside the caller's transaction.
async fn store_touches(tx: &mut Conn, touches: &[StationTouch]) -> Result<(), StorageError> {
    for touch in touches {
        sqlx::query(
            "UPDATE stations SET last_message_at = $2 \
             WHERE id = $1 AND (last_message_at IS NULL OR last_message_at < $2)",
        )
        .bind(touch.station.0)
        .bind(touch.at.0)
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}
