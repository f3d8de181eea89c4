//! Commands to stations (the central system's OCPP CALLs): a persistent queue per station, and its history.
//!
//! An administrator's command is stored first ([`OrgAdmin::queue_command`]), in the transaction that audits
//! it, and announced ([`StationEvent::CommandQueued`]): on PostgreSQL to every instance, so the one holding the
//! station's connection sends it, wherever the browser is. A connection claims the oldest queued command only
//! while none of its station's commands is outstanding ([`ConnectedStation::next_command`]: OCPP-J allows one
//! CALL at a time), and stores how it ended ([`ConnectedStation::finish_command`]); the browser reads that row.
//! Commands for an offline station wait or are refused as [`shared::command::OfflinePolicy`] says; a queued one
//! expires at `expires_at`.
//!
//! None of this changes what authorization decisions read, so every write here is an operational one.

use crate::audit;
use crate::db::{Conn, Db};
use crate::error::StorageError;
use crate::events::StationEvent;
use crate::ocpp::ConnectedStation;
use crate::org::OrgAdmin;
use crate::stations::subtree_cte;
use shared::command::{
    id_tag_for_remote_start, CommandRequest, CommandResult, CommandState, OfflinePolicy,
    StationCommand, StationConfiguration,
};
use shared::ids::{CommandId, StationId};
use shared::model::AuditAction;
use shared::time::Timestamp;

/// The most commands a station's history shows.
pub const COMMAND_HISTORY: i64 = 50;

/// The most commands a station may have waiting (queued or sent): an administrator who keeps clicking, or a
/// script, cannot pile up work for a station that is offline. A soft limit: two requests at the same moment on
/// PostgreSQL may both pass it.
pub const MAX_OPEN_COMMANDS: i64 = 20;

/// The prefix of the OCPP message ids of commands (`cd-<command id>`): unique per database, so unique per
/// connection, and recognisable in a station's own logs.
const MESSAGE_ID_PREFIX: &str = "cd-";

/// A command a connection claimed: send it as a CALL with `message_id`, then
/// [`ConnectedStation::finish_command`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingCommand {
    /// The command.
    pub id: CommandId,
    /// The CALL's message id.
    pub message_id: String,
    /// What to send.
    pub request: CommandRequest,
}

/// How a sent command ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandEnd {
    /// [`CommandState::Answered`], [`CommandState::Failed`] or [`CommandState::TimedOut`].
    pub state: CommandState,
    /// The answer in a word or two ("Accepted", "NotSupported", "no answer in 30 s").
    pub outcome: String,
    /// More: a CALLERROR's description, why an answer was invalid.
    pub detail: Option<String>,
    /// What the answer carried beyond its status.
    pub result: Option<CommandResult>,
}

#[derive(sqlx::FromRow)]
struct CommandRow {
    id: i64,
    action: String,
    summary: String,
    requested_by_name: String,
    requested_at: i64,
    expires_at: i64,
    state: String,
    outcome: Option<String>,
    detail: Option<String>,
    sent_at: Option<i64>,
    finished_at: Option<i64>,
}

const COMMAND_COLUMNS: &str =
    "c.id, c.action, c.summary, c.requested_by_name, c.requested_at, c.expires_at, \
     c.state, c.outcome, c.detail, c.sent_at, c.finished_at";

impl CommandRow {
    /// The command as its history shows it. A queued command whose time ran out reads as expired even before
    /// a connection of its station marks it so (its station has not connected since).
    fn into_command(self, station_online: bool) -> Result<StationCommand, StorageError> {
        let state = match CommandState::parse(&self.state) {
            Some(CommandState::Queued) if self.expires_at <= storage_now().0 => {
                CommandState::Expired
            }
            Some(state) => state,
            None => {
                return Err(StorageError::internal(format!(
                    "unknown command state {:?}",
                    self.state
                )))
            }
        };
        Ok(StationCommand {
            id: CommandId(self.id),
            action: self.action,
            summary: self.summary,
            requested_by: self.requested_by_name,
            requested_at: Timestamp(self.requested_at),
            expires_at: Timestamp(self.expires_at),
            state,
            outcome: self.outcome,
            detail: self.detail,
            sent_at: self.sent_at.map(Timestamp),
            finished_at: self.finished_at.map(Timestamp),
            station_online,
        })
    }
}

/// The station `id` if it is in `admin`'s subtree: its organization, name, charge point ID and whether it is
/// connected now (through an instance whose lease runs).
pub(crate) async fn station_in_subtree(
    db: &Db,
    admin: &OrgAdmin,
    id: StationId,
    at: Timestamp,
) -> Result<(i64, String, String, bool), StorageError> {
    let mut conn = db.read().await?;
    let row: Option<(i64, String, String, i64)> = sqlx::query_as(&format!(
        "{} SELECT s.org_id, s.name, s.charge_point_id, \
                CASE WHEN s.connected_at IS NOT NULL AND EXISTS \
                     (SELECT 1 FROM instances i WHERE i.id = s.connected_instance AND i.lease_until > $3) \
                THEN 1 ELSE 0 END \
         FROM stations s JOIN subtree ON subtree.id = s.org_id WHERE s.id = $2",
        subtree_cte("$1")
    ))
    .bind(admin.org.0)
    .bind(id.0)
    .bind(at.0)
    .fetch_optional(&mut *conn)
    .await?;
    let (org, name, cp, online) = row.ok_or(StorageError::NotFound { what: "station" })?;
    Ok((org, name, cp, online == 1))
}

impl OrgAdmin {
    /// Stores `request` for `station` (of this organization or below) and announces it, or — when the station
    /// is offline and the command does not wait ([`OfflinePolicy::Refuse`]) — stores it as refused. Audited in
    /// the station's organization either way. Returns the command as its history shows it.
    pub async fn queue_command(
        &self,
        station: StationId,
        request: CommandRequest,
    ) -> Result<StationCommand, StorageError> {
        let at = storage_now();
        let (station_org, name, cp, online) =
            station_in_subtree(&self.db, self, station, at).await?;
        let refused = !online && request.offline_policy() == OfflinePolicy::Refuse;
        let state = if refused {
            CommandState::Refused
        } else {
            CommandState::Queued
        };
        let summary = request.summary();
        let mut tx = self.db.begin_operational_write().await?;
        if !refused {
            let open: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM station_commands \
                 WHERE station_id = $1 AND state IN ('queued', 'sent') AND expires_at > $2",
            )
            .bind(station.0)
            .bind(at.0)
            .fetch_one(&mut *tx)
            .await?;
            if open >= MAX_OPEN_COMMANDS {
                return Err(StorageError::conflict(format!(
                    "This station already has {open} commands waiting to be sent or answered. Wait until they are done."
                )));
            }
        }
        let id = insert_command(
            &mut tx,
            station,
            &request,
            self.actor.user_id.map(|u| u.0),
            &self.actor.name,
            at,
            state,
        )
        .await?;
        let audit_summary = if refused {
            format!("{summary} at station \"{name}\" ({cp}): not sent, the station is offline")
        } else if online {
            format!("{summary} sent to station \"{name}\" ({cp})")
        } else {
            format!("{summary} queued for station \"{name}\" ({cp}), which is offline")
        };
        audit::record(
            &mut tx,
            shared::OrgId(station_org),
            &self.actor,
            AuditAction::StationCommand,
            &audit_summary,
            at,
        )
        .await?;
        let announced = if refused {
            None
        } else {
            Some(
                self.db
                    .announce(&mut tx, StationEvent::CommandQueued(station))
                    .await?,
            )
        };
        tx.commit().await?;
        if let Some(announced) = announced {
            announced.after_commit();
        }
        self.station_command(station, CommandId(id)).await
    }

    /// The newest [`COMMAND_HISTORY`] commands of `station` (of this organization or below), newest first.
    pub async fn station_commands(
        &self,
        station: StationId,
    ) -> Result<Vec<StationCommand>, StorageError> {
        let (_, _, _, online) = station_in_subtree(&self.db, self, station, storage_now()).await?;
        let mut conn = self.db.read().await?;
        let rows = sqlx::query_as::<_, CommandRow>(&format!(
            "SELECT {COMMAND_COLUMNS} FROM station_commands c WHERE c.station_id = $1 \
             ORDER BY c.id DESC LIMIT $2"
        ))
        .bind(station.0)
        .bind(COMMAND_HISTORY)
        .fetch_all(&mut *conn)
        .await?;
        rows.into_iter().map(|r| r.into_command(online)).collect()
    }

    /// One command of `station` (of this organization or below); `NotFound { what: "command" }` for another
    /// station's.
    pub async fn station_command(
        &self,
        station: StationId,
        command: CommandId,
    ) -> Result<StationCommand, StorageError> {
        let (_, _, _, online) = station_in_subtree(&self.db, self, station, storage_now()).await?;
        let mut conn = self.db.read().await?;
        let row = sqlx::query_as::<_, CommandRow>(&format!(
            "SELECT {COMMAND_COLUMNS} FROM station_commands c WHERE c.station_id = $1 AND c.id = $2"
        ))
        .bind(station.0)
        .bind(command.0)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StorageError::NotFound { what: "command" })?;
        row.into_command(online)
    }

    /// The station's configuration as its newest answered full GetConfiguration read it; `None` before one.
    /// (Reads of a few keys, such as the list sync's, are not the configuration.)
    pub async fn station_configuration(
        &self,
        station: StationId,
    ) -> Result<Option<StationConfiguration>, StorageError> {
        station_in_subtree(&self.db, self, station, storage_now()).await?;
        // A full read, as stored (the list sync reads a few keys only).
        let full_read = serde_json::to_string(&CommandRequest::GetConfiguration { keys: vec![] })
            .map_err(|e| StorageError::internal(format!("encoding a command: {e}")))?;
        let mut conn = self.db.read().await?;
        let row: Option<(i64, String)> = sqlx::query_as(
            "SELECT finished_at, result FROM station_commands \
             WHERE station_id = $1 AND action = 'GetConfiguration' AND state = 'answered' \
               AND result IS NOT NULL AND request = $2 \
             ORDER BY id DESC LIMIT 1",
        )
        .bind(station.0)
        .bind(full_read)
        .fetch_optional(&mut *conn)
        .await?;
        let Some((read_at, result)) = row else {
            return Ok(None);
        };
        match serde_json::from_str::<CommandResult>(&result) {
            Ok(CommandResult::Configuration {
                entries,
                unknown_keys,
            }) => Ok(Some(StationConfiguration {
                read_at: Timestamp(read_at),
                entries,
                unknown_keys,
            })),
            Ok(_) | Err(_) => Err(StorageError::internal(
                "a GetConfiguration result is not a configuration",
            )),
        }
    }

    /// The idTag a remote start with the pass `card` (its Public Card ID or Hidden ID, as typed) sends: a live
    /// pass in this organization or below, found as a station's idTag would find it
    /// ([`shared::decision::id_tag_keys`]); `NotFound { what: "pass" }` otherwise. Its stored ID is sent, and must
    /// fit an OCPP idTag.
    pub async fn remote_start_id_tag(&self, card: &str) -> Result<String, StorageError> {
        let keys = shared::decision::id_tag_keys(card);
        let mut conn = self.db.read().await?;
        for (kind, key) in [("hidden", keys.hidden), ("visible", keys.visible)] {
            let Some(key) = key else { continue };
            let value: Option<String> = sqlx::query_scalar(&format!(
                "{} SELECT p.id_value FROM passes p JOIN subtree ON subtree.id = p.org_id \
                 WHERE p.id_kind = $2 AND p.match_key = $3 AND p.deleted_at IS NULL \
                 ORDER BY p.id LIMIT 1",
                subtree_cte("$1")
            ))
            .bind(self.org.0)
            .bind(kind)
            .bind(&key)
            .fetch_optional(&mut *conn)
            .await?;
            if let Some(value) = value {
                return id_tag_for_remote_start(&value)
                    .map_err(|e| StorageError::conflict(e.to_string()));
            }
        }
        Err(StorageError::NotFound { what: "pass" })
    }

    /// Whether `transaction` is an active transaction of `station` (of this organization or below): a remote
    /// stop names only those.
    pub async fn active_transaction_of(
        &self,
        station: StationId,
        transaction: shared::ids::TransactionId,
    ) -> Result<(), StorageError> {
        station_in_subtree(&self.db, self, station, storage_now()).await?;
        let mut conn = self.db.read().await?;
        let found: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM transactions WHERE id = $1 AND station_id = $2 AND stopped_at IS NULL",
        )
        .bind(transaction.0)
        .bind(station.0)
        .fetch_optional(&mut *conn)
        .await?;
        found.map(|_| ()).ok_or(StorageError::NotFound {
            what: "active transaction",
        })
    }
}

impl Db {
    /// Deletes the commands that ended and were asked for before `older_than` (the history is kept as long as
    /// authorization decisions), a few thousand per transaction; commands still queued or sent stay. Returns
    /// how many.
    pub async fn prune_station_commands(&self, older_than: Timestamp) -> Result<u64, StorageError> {
        self.delete_in_chunks(
            "DELETE FROM station_commands WHERE id IN \
             (SELECT id FROM station_commands WHERE requested_at < $1 \
                AND state NOT IN ('queued', 'sent') ORDER BY id LIMIT $2)",
            older_than,
        )
        .await
    }
}

/// Stores `request` for `station` in `state` (queued, or refused: then finished at once as "station offline"),
/// asked for by the user `requested_by` (`None`: ChargeDesk itself) named `requested_by_name`. Returns its id.
pub(crate) async fn insert_command(
    conn: &mut Conn,
    station: StationId,
    request: &CommandRequest,
    requested_by: Option<i64>,
    requested_by_name: &str,
    at: Timestamp,
    state: CommandState,
) -> Result<i64, StorageError> {
    let refused = state == CommandState::Refused;
    let encoded = serde_json::to_string(request)
        .map_err(|e| StorageError::internal(format!("encoding a command: {e}")))?;
    let expires_at = Timestamp(at.0 + request.lifetime_millis());
    Ok(sqlx::query_scalar(
        "INSERT INTO station_commands (station_id, action, request, summary, requested_by, \
             requested_by_name, requested_at, expires_at, state, finished_at, outcome) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
    )
    .bind(station.0)
    .bind(request.action())
    .bind(&encoded)
    .bind(request.summary())
    .bind(requested_by)
    .bind(requested_by_name)
    .bind(at.0)
    .bind(expires_at.0)
    .bind(state.as_str())
    .bind(refused.then_some(at.0))
    .bind(refused.then_some("station offline"))
    .fetch_one(&mut *conn)
    .await?)
}

fn storage_now() -> Timestamp {
    crate::db::now()
}

impl ConnectedStation {
    /// Ends the commands this station had outstanding on an earlier connection (it closed, or its instance
    /// died, before the answer came): they count as unanswered. Call when a connection starts.
    pub async fn abandon_sent_commands(&self) -> Result<u64, StorageError> {
        let mut tx = self.db.begin_operational_write().await?;
        let done = sqlx::query(
            "UPDATE station_commands SET state = 'timed_out', finished_at = $2, \
                 outcome = 'no answer: the connection ended' \
             WHERE station_id = $1 AND state = 'sent'",
        )
        .bind(self.station.0)
        .bind(storage_now().0)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(done)
    }

    /// Claims the station's oldest queued command for sending — people's before the list sync's, so that an
    /// administrator's Reset does not wait behind a long list — unless one of its commands is still outstanding
    /// (then `None`; the answer, or its timeout, makes room). Queued commands whose time ran out expire first.
    pub async fn next_command(&self) -> Result<Option<OutgoingCommand>, StorageError> {
        let at = storage_now().0;
        let mut tx = self.db.begin_operational_write().await?;
        sqlx::query(
            "UPDATE station_commands SET state = 'expired', finished_at = $2, \
                 outcome = 'expired: the station did not connect in time' \
             WHERE station_id = $1 AND state = 'queued' AND expires_at <= $2",
        )
        .bind(self.station.0)
        .bind(at)
        .execute(&mut *tx)
        .await?;
        let claimed: Option<(i64, String, String)> = sqlx::query_as(&format!(
            "UPDATE station_commands SET state = 'sent', sent_at = $2, \
                 message_id = '{MESSAGE_ID_PREFIX}' || CAST(id AS TEXT) \
             WHERE id = (SELECT id FROM station_commands WHERE station_id = $1 AND state = 'queued' \
                         ORDER BY CASE WHEN requested_by_name = $3 THEN 1 ELSE 0 END, id LIMIT 1) \
               AND state = 'queued' \
               AND NOT EXISTS (SELECT 1 FROM station_commands o WHERE o.station_id = $1 AND o.state = 'sent') \
             RETURNING id, message_id, request"
        ))
        .bind(self.station.0)
        .bind(at)
        .bind(crate::local_lists::SYNC_NAME)
        .fetch_optional(&mut *tx)
        .await?;
        tx.commit().await?;
        let Some((id, message_id, request)) = claimed else {
            return Ok(None);
        };
        match serde_json::from_str::<CommandRequest>(&request) {
            Ok(request) => Ok(Some(OutgoingCommand {
                id: CommandId(id),
                message_id,
                request,
            })),
            Err(error) => {
                // Written by this program, so a bug: the command fails instead of blocking the queue.
                self.finish_command(
                    CommandId(id),
                    &CommandEnd {
                        state: CommandState::Failed,
                        outcome: "not sent: unreadable command".into(),
                        detail: None,
                        result: None,
                    },
                )
                .await?;
                Err(StorageError::internal(format!(
                    "command {id} could not be read: {error}"
                )))
            }
        }
    }

    /// Stores how the sent command `id` ended. Only a command of this station still waiting for its answer
    /// changes (an answer after the timeout, or to an abandoned command, changes nothing); returns whether it
    /// did.
    pub async fn finish_command(
        &self,
        id: CommandId,
        end: &CommandEnd,
    ) -> Result<bool, StorageError> {
        let mut tx = self.db.begin_operational_write().await?;
        let changed = finish_in(&mut tx, self.station, id, end).await?;
        tx.commit().await?;
        Ok(changed)
    }
}

/// [`ConnectedStation::finish_command`] inside the caller's transaction.
pub(crate) async fn finish_in(
    conn: &mut Conn,
    station: StationId,
    id: CommandId,
    end: &CommandEnd,
) -> Result<bool, StorageError> {
    let result = match &end.result {
        Some(result) => Some(
            serde_json::to_string(result)
                .map_err(|e| StorageError::internal(format!("encoding a result: {e}")))?,
        ),
        None => None,
    };
    let changed = sqlx::query(
        "UPDATE station_commands SET state = $3, finished_at = $4, outcome = $5, detail = $6, result = $7 \
         WHERE id = $1 AND station_id = $2 AND state = 'sent'",
    )
    .bind(id.0)
    .bind(station.0)
    .bind(end.state.as_str())
    .bind(storage_now().0)
    .bind(&end.outcome)
    .bind(end.detail.as_deref())
    .bind(result)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(changed == 1)
}
