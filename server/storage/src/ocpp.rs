//! The OCPP side of stations: a station logging in ([`Db::station_login`] → [`StationLogin`] →
//! [`ConnectedStation`]), its connection state and reports, and the OCPP message log (batch insert, pairing of
//! answers with their CALL, listing for the "Logs" tab, pruning).
//!
//! [`ConnectedStation`] is to an OCPP session what [`OrgAdmin`] is to an administrator: the proof of who is
//! talking, and the only handle through which a session's writes can be expressed. It is obtained only from a
//! [`StationLogin`] that passed its password check, and every write it makes is about its own station.

use crate::auth::verify_password;
use crate::db::{now, Db};
use crate::error::StorageError;
use crate::events::StationEvent;
use crate::instances::Instance;
use crate::org::OrgAdmin;
use crate::stations::{pass_matches_keys, subtree_cte};
use rand::RngCore;
use shared::decision::id_tag_keys;
use shared::ids::StationId;
use shared::model::{FrameDirection, FrameType, LogFilter, OcppLogEntry, LOG_PAGE_MAX};
use shared::station::ChargePointId;
use shared::time::Timestamp;
use shared::OrgId;
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

    /// Checks the HTTP Basic password the station sent (argon2, off the async threads). `true` only if the
    /// station has a password and it matches; `false` when it has none. A successful check is remembered:
    /// [`StationLogin::accept`] requires it when [`StationLogin::requires_password`].
    pub async fn verify_password(&self, candidate: &str) -> Result<bool, StorageError> {
        let ok = match &self.password_hash {
            None => false,
            Some(hash) => verify_password(hash.clone(), candidate.to_owned()).await?,
        };
        if ok {
            self.verified.store(true, Ordering::Relaxed);
        }
        Ok(ok)
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
                password_hash: self.password_hash,
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
            let mut tx = self.db.begin_write().await?;
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
        let mut tx = self.db.begin_write().await?;
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
        let mut tx = self.db.begin_write().await?;
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
        let mut tx = self.db.begin_write().await?;
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
        }))
    }

    /// Stores a batch of OCPP frames, in order, in one transaction. A CALLRESULT or CALLERROR without an
    /// `action` gets the action of the CALL it answers: the latest CALL with the same station and unique id
    /// that went the other way (stored earlier, possibly earlier in the same batch).
    pub async fn insert_ocpp_messages(&self, batch: &[NewOcppMessage]) -> Result<(), StorageError> {
        if batch.is_empty() {
            return Ok(());
        }
        const CALL: &str = "(SELECT c.{col} FROM ocpp_messages c \
             WHERE c.station_id = $1 AND c.unique_id = $6 AND c.message_type = 'call' AND c.direction <> $3 \
             ORDER BY c.id DESC LIMIT 1)";
        let answer_sql = format!(
            "INSERT INTO ocpp_messages (station_id, at, direction, message_type, action, unique_id, payload, \
                                        call_id, id_tag, id_tag_hidden_key, id_tag_visible_key) \
             VALUES ($1, $2, $3, $4, COALESCE($5, {}), $6, $7, {}, $8, $9, $10)",
            CALL.replace("{col}", "action"),
            CALL.replace("{col}", "id")
        );
        let call_sql = "INSERT INTO ocpp_messages (station_id, at, direction, message_type, action, unique_id, \
                                          payload, call_id, id_tag, id_tag_hidden_key, id_tag_visible_key) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, $8, $9, $10)";
        let mut tx = self.begin_write().await?;
        for m in batch {
            let keys = m.id_tag.as_deref().map(id_tag_keys).unwrap_or_default();
            let sql = match m.message_type {
                FrameType::Call => call_sql,
                FrameType::CallResult | FrameType::CallError => answer_sql.as_str(),
            };
            sqlx::query(sql)
                .bind(m.station.0)
                .bind(m.at.0)
                .bind(m.direction.as_str())
                .bind(m.message_type.as_str())
                .bind(m.action.as_deref())
                .bind(m.unique_id.as_str())
                .bind(m.payload.as_str())
                .bind(m.id_tag.as_deref())
                .bind(keys.hidden)
                .bind(keys.visible)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
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
                 (SELECT COUNT(*) FROM passes p JOIN subtree ON subtree.id = p.org_id WHERE {}) \
               END AS id_tag_matches \
             FROM ocpp_messages m WHERE m.station_id = $1{conditions} \
             ORDER BY m.at DESC, m.id DESC LIMIT ${}",
            subtree_cte("$2"),
            pass_matches_keys("m.id_tag_hidden_key", "m.id_tag_visible_key"),
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
                })
            })
            .collect()
    }
}
