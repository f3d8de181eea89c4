//! The Local Authorization List of each station, kept equal to what Authorize accepts there.
//!
//! The rules are `shared::local_list` (what the list should hold, [`wanted_local_list`] from the decision code;
//! which messages bring it there; the next step). Here is what ChargeDesk knows of each station's list
//! (`station_local_lists`, migration 0016) and the commands the sync puts into the station's command queue —
//! the same queue, history and "Logs" as an administrator's commands, asked for by [`SYNC_NAME`]:
//!
//! - A connection starts ([`ConnectedStation::local_list_connected`]) or the station boots
//!   ([`ConnectedStation::local_list_booted`]): the station's version is asked again.
//! - [`ConnectedStation::sync_local_list`] queues the next step (read the limits, read the version, one
//!   SendLocalList, ClearCache), one at a time: nothing while one of the sync's commands is open.
//! - [`ConnectedStation::local_list_answer`] records what an answer means (the mirror follows an accepted
//!   update only; VersionMismatch or Failed forget it, so the next update is Full; NotSupported is remembered
//!   with the firmware), and the caller runs the sync again.
//! - A change to passes or access modes announces [`StationEvent::LocalListsChanged`] (or
//!   [`StationEvent::LocalListChanged`]) in its transaction; each instance asks [`Db::list_sync_stations`] which
//!   of its connected stations that concerns and syncs only those. Each station gets a Differential update of
//!   what changed for it, not a Full list.
//!
//! None of this changes what decisions are taken from: every write here is an operational one.

use crate::audit;
use crate::commands::{finish_in, insert_command, station_in_subtree, CommandEnd};
use crate::db::{now, Conn, Db};
use crate::decisions::wanted_local_list;
use crate::error::StorageError;
use crate::events::StationEvent;
use crate::instances::InstanceId;
use crate::ocpp::ConnectedStation;
use crate::org::OrgAdmin;
use crate::stations::subtree_cte;
use shared::command::{CommandRequest, CommandResult, CommandState, ConfigKey};
use shared::ids::StationId;
use shared::local_list::{
    next_step, plan, read_configuration, LocalList, Mirror, Step, Support, SyncState, SyncStatus,
    MAX_FAILURES, SYNC_KEYS,
};
use shared::model::AuditAction;
use shared::time::Timestamp;

/// Who the sync's commands are asked for by, in the command history.
pub const SYNC_NAME: &str = "ChargeDesk (local list sync)";

/// A station's row of `station_local_lists`.
#[derive(sqlx::FromRow, Default)]
struct Row {
    support: Option<String>,
    config_read_at: Option<i64>,
    config_firmware: Option<String>,
    max_entries: Option<i64>,
    per_message: Option<i64>,
    station_version: Option<i64>,
    mirror_version: Option<i64>,
    mirror: Option<String>,
    failures: Option<i64>,
    clear_cache: Option<i64>,
    last_error: Option<String>,
    last_error_at: Option<i64>,
    /// The station's firmware now (from `stations`).
    firmware: Option<String>,
}

impl Row {
    /// What the row says, for the station's current firmware: limits and "not supported" read under another
    /// firmware are not known.
    fn state(&self) -> Result<SyncState, StorageError> {
        // Read before the station's first boot named a firmware (NULL): counts for the firmware it then named
        // (`local_list_booted` writes it down).
        let same_firmware = self.config_read_at.is_some()
            && (self.config_firmware.is_none() || self.config_firmware == self.firmware);
        let stored = match self.support.as_deref() {
            None => Support::Unknown,
            Some(s) => Support::parse(s)
                .ok_or_else(|| StorageError::internal(format!("unknown list support {s:?}")))?,
        };
        let support = if stored == Support::NotSupported && !same_firmware {
            Support::Unknown
        } else {
            stored
        };
        let size = |n: Option<i64>| n.and_then(|n| usize::try_from(n).ok());
        Ok(SyncState {
            support,
            configuration_read: same_firmware,
            limits: shared::local_list::Limits {
                max_entries: size(self.max_entries),
                per_message: size(self.per_message),
            },
            station_version: self.station_version,
            mirror: self.mirror()?,
            failures: self.failures.unwrap_or(0).clamp(0, u32::MAX as i64) as u32,
            clear_cache: self.clear_cache.unwrap_or(0) != 0,
        })
    }

    /// The mirror: the entries stored with the version ChargeDesk set (version 0 for a station without a
    /// list, whose entries are what was acceptable there).
    fn mirror(&self) -> Result<Option<Mirror>, StorageError> {
        let Some(text) = &self.mirror else {
            return Ok(None);
        };
        let entries: LocalList = serde_json::from_str(text)
            .map_err(|e| StorageError::internal(format!("unreadable local list mirror: {e}")))?;
        Ok(Some(Mirror {
            version: self.mirror_version.unwrap_or(0),
            entries,
        }))
    }
}

async fn read_row(conn: &mut Conn, station: StationId) -> Result<Row, StorageError> {
    let row = sqlx::query_as::<_, Row>(
        "SELECT l.support, l.config_read_at, l.config_firmware, l.max_entries, l.per_message, \
                l.station_version, l.mirror_version, l.mirror, l.failures, l.clear_cache, \
                l.last_error, l.last_error_at, s.firmware_version AS firmware \
         FROM stations s LEFT JOIN station_local_lists l ON l.station_id = s.id WHERE s.id = $1",
    )
    .bind(station.0)
    .fetch_optional(&mut *conn)
    .await?;
    row.ok_or(StorageError::NotFound { what: "station" })
}

/// Makes sure the station has its row.
async fn ensure_row(conn: &mut Conn, station: StationId) -> Result<(), StorageError> {
    sqlx::query(
        "INSERT INTO station_local_lists (station_id) VALUES ($1) ON CONFLICT (station_id) DO NOTHING",
    )
    .bind(station.0)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

fn encode(list: &LocalList) -> Result<String, StorageError> {
    serde_json::to_string(list)
        .map_err(|e| StorageError::internal(format!("encoding a local list: {e}")))
}

/// The requests of the sync's steps.
fn request_of(step: &Step) -> Result<Option<CommandRequest>, StorageError> {
    Ok(match step {
        Step::ReadConfiguration => Some(CommandRequest::GetConfiguration {
            keys: SYNC_KEYS
                .iter()
                .map(|k| ConfigKey::parse(k))
                .collect::<Result<_, _>>()
                .map_err(|e| StorageError::internal(format!("a sync key: {e}")))?,
        }),
        Step::ReadVersion => Some(CommandRequest::GetLocalListVersion),
        Step::Send(message) => Some(CommandRequest::SendLocalList(message.clone())),
        Step::ClearCache => Some(CommandRequest::ClearCache),
        Step::Done | Step::GaveUp => None,
    })
}

impl ConnectedStation {
    /// A connection of the station started: its list version is asked again, failures are forgotten, and the
    /// sync's commands still queued from before (planned from what was known then) are dropped.
    pub async fn local_list_connected(&self) -> Result<(), StorageError> {
        let at = now();
        let mut tx = self.db.begin_operational_write().await?;
        ensure_row(&mut tx, self.station).await?;
        sqlx::query(
            "UPDATE station_local_lists SET station_version = NULL, failures = 0 WHERE station_id = $1",
        )
        .bind(self.station.0)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE station_commands SET state = 'expired', finished_at = $2, \
                 outcome = 'dropped: the station connected again' \
             WHERE station_id = $1 AND state = 'queued' AND requested_by_name = $3",
        )
        .bind(self.station.0)
        .bind(at.0)
        .bind(SYNC_NAME)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The station booted (BootNotification, its firmware already stored): its list may be another now; the
    /// version is asked again. Limits read on this connection before the station's first boot named its
    /// firmware were read under this one (a new station's configuration may be answered before its boot).
    pub async fn local_list_booted(&self) -> Result<(), StorageError> {
        let mut tx = self.db.begin_operational_write().await?;
        sqlx::query(
            "UPDATE station_local_lists SET station_version = NULL, \
                 config_firmware = CASE WHEN config_read_at IS NOT NULL AND config_firmware IS NULL \
                     THEN (SELECT firmware_version FROM stations WHERE id = $1) ELSE config_firmware END \
             WHERE station_id = $1",
        )
        .bind(self.station.0)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Queues the sync's next command for this station, if one is due and none of the sync's is open.
    /// Returns whether one was queued (the caller wakes the connection's command loop).
    pub async fn sync_local_list(&self) -> Result<bool, StorageError> {
        let (state, firmware) = {
            let mut conn = self.db.read().await?;
            let open: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM station_commands \
                 WHERE station_id = $1 AND state IN ('queued', 'sent') AND requested_by_name = $2",
            )
            .bind(self.station.0)
            .bind(SYNC_NAME)
            .fetch_one(&mut *conn)
            .await?;
            if open > 0 {
                return Ok(false);
            }
            let row = read_row(&mut conn, self.station).await?;
            (row.state()?, row.firmware)
        };
        let wanted = if state.failures < MAX_FAILURES
            && (state.support == Support::NotSupported
                || (state.configuration_read && state.station_version.is_some()))
        {
            wanted_local_list(&self.db, self.station).await?
        } else {
            std::sync::Arc::new(LocalList::new())
        };
        let (step, _) = next_step(&state, &wanted);
        let request = request_of(&step)?;
        let at = now();
        let mut tx = self.db.begin_operational_write().await?;
        ensure_row(&mut tx, self.station).await?;
        match (&step, state.support) {
            // A station without a list: what is acceptable there now is the reference for the next change,
            // and the cache is to be cleared once a card left it. Written only when it changed.
            (Step::ClearCache | Step::Done, Support::NotSupported)
                if step == Step::ClearCache
                    || state.mirror.as_ref().map(|m| &m.entries) != Some(&*wanted) =>
            {
                sqlx::query(
                    "UPDATE station_local_lists SET mirror = $2, mirror_version = NULL, \
                         clear_cache = CASE WHEN $3 = 1 THEN 1 ELSE clear_cache END, \
                         config_firmware = $4 \
                     WHERE station_id = $1",
                )
                .bind(self.station.0)
                .bind(encode(&wanted)?)
                .bind(i64::from(step == Step::ClearCache))
                .bind(firmware.as_deref())
                .execute(&mut *tx)
                .await?;
            }
            (Step::Done, _) => {
                sqlx::query("UPDATE station_local_lists SET synced_at = $2 WHERE station_id = $1")
                    .bind(self.station.0)
                    .bind(at.0)
                    .execute(&mut *tx)
                    .await?;
            }
            _ => {}
        }
        if let Some(request) = &request {
            insert_command(
                &mut tx,
                self.station,
                request,
                None,
                SYNC_NAME,
                at,
                CommandState::Queued,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(request.is_some())
    }

    /// Records what the answer `end` to `request` means for the station's list (any command's: an
    /// administrator's full configuration read gives the limits too). Run the sync again afterwards.
    pub async fn local_list_answer(
        &self,
        request: &CommandRequest,
        end: &CommandEnd,
    ) -> Result<(), StorageError> {
        let mut tx = self.db.begin_operational_write().await?;
        self.local_list_answer_in(&mut tx, request, end).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Stores how the sent command `id` ended ([`ConnectedStation::finish_command`]) and, if it changed, what
    /// that means for the list ([`ConnectedStation::local_list_answer`]), in one transaction: a sync run in
    /// between never sees the command ended and its meaning not yet recorded (it would ask again). Returns
    /// whether the command changed.
    pub async fn finish_list_command(
        &self,
        id: shared::ids::CommandId,
        request: &CommandRequest,
        end: &CommandEnd,
    ) -> Result<bool, StorageError> {
        let mut tx = self.db.begin_operational_write().await?;
        let changed = finish_in(&mut tx, self.station, id, end).await?;
        if changed {
            self.local_list_answer_in(&mut tx, request, end).await?;
        }
        tx.commit().await?;
        Ok(changed)
    }

    async fn local_list_answer_in(
        &self,
        tx: &mut Conn,
        request: &CommandRequest,
        end: &CommandEnd,
    ) -> Result<(), StorageError> {
        if !matches!(
            request,
            CommandRequest::GetConfiguration { .. }
                | CommandRequest::GetLocalListVersion
                | CommandRequest::SendLocalList(_)
                | CommandRequest::ClearCache
        ) {
            return Ok(());
        }
        let at = now();
        ensure_row(&mut *tx, self.station).await?;
        let row = read_row(&mut *tx, self.station).await?;
        let firmware = row.firmware.clone();
        let unsupported_answer = end.state == CommandState::Failed
            && matches!(end.outcome.as_str(), "NotSupported" | "NotImplemented");
        let mut update = Update::default();
        match (request, end.state) {
            (CommandRequest::GetConfiguration { .. }, CommandState::Answered) => {
                if let Some(CommandResult::Configuration { entries, .. }) = &end.result {
                    let (limits, supported) = read_configuration(
                        entries.iter().map(|e| (e.key.as_str(), e.value.as_deref())),
                    );
                    update.config = Some((limits.max_entries, limits.per_message));
                    update.support = supported.map(|s| {
                        if s {
                            Support::Supported
                        } else {
                            Support::NotSupported
                        }
                    });
                }
            }
            // A station that does not answer GetConfiguration: go on without limits.
            (CommandRequest::GetConfiguration { .. }, CommandState::Failed) => {
                update.config = Some((None, None));
                update.error = Some(format!(
                    "The station did not give its configuration ({})",
                    end.outcome
                ));
            }
            (CommandRequest::GetLocalListVersion, CommandState::Answered) => match &end.result {
                Some(CommandResult::LocalListVersion { version }) if *version < 0 => {
                    update.support = Some(Support::NotSupported);
                }
                Some(CommandResult::LocalListVersion { version }) => {
                    update.station_version = Some(Some(*version));
                    update.support = Some(Support::Supported);
                    // Not a success that ends a run of failures: a station answering VersionMismatch to every
                    // update reads its version fine.
                }
                _ => {}
            },
            (CommandRequest::SendLocalList(message), CommandState::Answered) => {
                match end.outcome.as_str() {
                    "Accepted" => {
                        let before = row
                            .mirror()?
                            .filter(|m| Some(m.version) == row.station_version && m.version > 0);
                        let mut after = match (&before, message.full) {
                            (_, true) => LocalList::new(),
                            (Some(m), false) => m.entries.clone(),
                            // A Differential onto an unknown list: unknown after.
                            (None, false) => {
                                update.forget_mirror = true;
                                LocalList::new()
                            }
                        };
                        message.apply(&mut after);
                        if message.may_remove_from(before.as_ref().map(|m| &m.entries)) {
                            update.clear_cache = Some(true);
                        }
                        if !update.forget_mirror {
                            update.mirror = Some((message.version, encode(&after)?));
                        }
                        update.station_version = Some(Some(message.version));
                        update.support = Some(Support::Supported);
                        update.success = true;
                    }
                    "NotSupported" => update.support = Some(Support::NotSupported),
                    other => {
                        // Failed or VersionMismatch: what the station holds is not known; a Full list follows
                        // once its version is read again.
                        update.forget_mirror = true;
                        update.station_version = Some(None);
                        update.failed = true;
                        update.error = Some(format!(
                            "The station answered {other} to list version {}",
                            message.version
                        ));
                    }
                }
            }
            (CommandRequest::ClearCache, CommandState::Answered) => {
                update.clear_cache = Some(false);
                if end.outcome != "Accepted" {
                    update.error = Some(format!(
                        "The station answered {} to Clear cache",
                        end.outcome
                    ));
                }
            }
            (CommandRequest::ClearCache, _) if unsupported_answer => {
                update.clear_cache = Some(false);
            }
            (CommandRequest::GetLocalListVersion | CommandRequest::SendLocalList(_), _)
                if unsupported_answer =>
            {
                update.support = Some(Support::NotSupported);
            }
            (request, _) => {
                // No answer in time, the connection ended, an error: whether an update was applied is not
                // known, so the version is read again and a Full list follows.
                if matches!(request, CommandRequest::SendLocalList(_)) {
                    update.forget_mirror = true;
                    update.station_version = Some(None);
                }
                update.failed = true;
                update.error = Some(match &end.detail {
                    Some(detail) => format!("{}: {} ({detail})", request.summary(), end.outcome),
                    None => format!("{}: {}", request.summary(), end.outcome),
                });
            }
        }
        update
            .write(&mut *tx, self.station, firmware.as_deref(), at)
            .await?;
        Ok(())
    }
}

/// What an answer changes in a station's row.
#[derive(Default)]
struct Update {
    /// Limits read (max entries, per message).
    config: Option<(Option<usize>, Option<usize>)>,
    support: Option<Support>,
    station_version: Option<Option<i64>>,
    mirror: Option<(i64, String)>,
    forget_mirror: bool,
    clear_cache: Option<bool>,
    success: bool,
    failed: bool,
    error: Option<String>,
}

impl Update {
    async fn write(
        self,
        conn: &mut Conn,
        station: StationId,
        firmware: Option<&str>,
        at: Timestamp,
    ) -> Result<(), StorageError> {
        let id = station.0;
        if let Some((max_entries, per_message)) = self.config {
            sqlx::query(
                "UPDATE station_local_lists SET config_read_at = $2, config_firmware = $3, \
                     max_entries = $4, per_message = $5 WHERE station_id = $1",
            )
            .bind(id)
            .bind(at.0)
            .bind(firmware)
            .bind(max_entries.map(|n| n as i64))
            .bind(per_message.map(|n| n as i64))
            .execute(&mut *conn)
            .await?;
        }
        if let Some(support) = self.support {
            // "Not supported" holds for this firmware: read_at and firmware are set with it.
            sqlx::query(
                "UPDATE station_local_lists SET support = $2, \
                     config_read_at = COALESCE(config_read_at, $3), \
                     config_firmware = CASE WHEN $2 = 'not_supported' THEN $4 ELSE config_firmware END \
                 WHERE station_id = $1",
            )
            .bind(id)
            .bind(support.as_str())
            .bind(at.0)
            .bind(firmware)
            .execute(&mut *conn)
            .await?;
            if support == Support::NotSupported {
                sqlx::query(
                    "UPDATE station_local_lists SET mirror = NULL, mirror_version = NULL, \
                         station_version = NULL WHERE station_id = $1",
                )
                .bind(id)
                .execute(&mut *conn)
                .await?;
            }
        }
        if let Some(version) = self.station_version {
            sqlx::query(
                "UPDATE station_local_lists SET station_version = $2 WHERE station_id = $1",
            )
            .bind(id)
            .bind(version)
            .execute(&mut *conn)
            .await?;
        }
        if let Some((version, entries)) = &self.mirror {
            sqlx::query(
                "UPDATE station_local_lists SET mirror_version = $2, mirror = $3 WHERE station_id = $1",
            )
            .bind(id)
            .bind(version)
            .bind(entries)
            .execute(&mut *conn)
            .await?;
        }
        if self.forget_mirror {
            sqlx::query(
                "UPDATE station_local_lists SET mirror_version = NULL, mirror = NULL WHERE station_id = $1",
            )
            .bind(id)
            .execute(&mut *conn)
            .await?;
        }
        if let Some(clear) = self.clear_cache {
            sqlx::query("UPDATE station_local_lists SET clear_cache = $2 WHERE station_id = $1")
                .bind(id)
                .bind(i64::from(clear))
                .execute(&mut *conn)
                .await?;
        }
        if self.success {
            sqlx::query(
                "UPDATE station_local_lists SET failures = 0, last_error = NULL, last_error_at = NULL \
                 WHERE station_id = $1",
            )
            .bind(id)
            .execute(&mut *conn)
            .await?;
        }
        if self.failed {
            sqlx::query(
                "UPDATE station_local_lists SET failures = failures + 1 WHERE station_id = $1",
            )
            .bind(id)
            .execute(&mut *conn)
            .await?;
        }
        if let Some(error) = self.error {
            sqlx::query(
                "UPDATE station_local_lists SET last_error = $2, last_error_at = $3 WHERE station_id = $1",
            )
            .bind(id)
            .bind(error.chars().take(500).collect::<String>())
            .bind(at.0)
            .execute(&mut *conn)
            .await?;
        }
        Ok(())
    }
}

impl OrgAdmin {
    /// The list state of `station` (of this organization or below), as its page shows it: what ChargeDesk last
    /// set there, and what is still to be sent to make it equal to what Authorize accepts there now.
    pub async fn station_local_list(&self, station: StationId) -> Result<SyncStatus, StorageError> {
        let (_, _, _, online) = station_in_subtree(&self.db, self, station, now()).await?;
        let row = {
            let mut conn = self.db.read().await?;
            read_row(&mut conn, station).await?
        };
        let state = row.state()?;
        let wanted = wanted_local_list(&self.db, station).await?;
        let last_error = row
            .last_error
            .clone()
            .map(|e| (e, Timestamp(row.last_error_at.unwrap_or(0))));
        let known = state
            .mirror
            .clone()
            .filter(|m| m.version > 0 && state.support != Support::NotSupported);
        let (pending, full_pending, left_out) = if state.support == Support::NotSupported {
            (0, false, 0)
        } else {
            // As the sync would plan it if the station still has the version ChargeDesk set.
            let version = known.as_ref().map_or(0, |m| m.version);
            let planned = plan(&wanted, known.as_ref(), version, state.limits);
            let full = planned.messages.first().is_some_and(|m| m.full);
            let pending = if full {
                planned.result.len()
            } else {
                planned.messages.iter().map(|m| m.entries.len()).sum()
            };
            let pending =
                if full && pending == 0 && known.is_none() && state.station_version == Some(0) {
                    // An empty list is wanted and the station's is empty.
                    0
                } else {
                    pending
                };
            (pending, full, planned.left_out)
        };
        Ok(SyncStatus {
            support: state.support,
            version: known.as_ref().map(|m| m.version),
            entries: known.as_ref().map_or(0, |m| m.entries.len()),
            wanted: wanted.len(),
            pending,
            full_pending: full_pending && pending > 0,
            left_out,
            gave_up: state.failures >= MAX_FAILURES,
            last_error,
            online,
        })
    }

    /// "Resend full list": forgets what ChargeDesk knows of `station`'s list (of this organization or below),
    /// so that its version is read again and a Full list is sent — now if it is connected, else when it
    /// connects; a station marked as without a list is asked again. Audited.
    pub async fn resend_local_list(&self, station: StationId) -> Result<(), StorageError> {
        let at = now();
        let (station_org, name, cp, online) =
            station_in_subtree(&self.db, self, station, at).await?;
        let mut tx = self.db.begin_operational_write().await?;
        ensure_row(&mut tx, station).await?;
        sqlx::query(
            "UPDATE station_local_lists SET support = 'unknown', config_read_at = NULL, \
                 station_version = NULL, mirror_version = NULL, mirror = NULL, failures = 0, \
                 last_error = NULL, last_error_at = NULL \
             WHERE station_id = $1",
        )
        .bind(station.0)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE station_commands SET state = 'expired', finished_at = $2, \
                 outcome = 'dropped: a full list was asked for' \
             WHERE station_id = $1 AND state = 'queued' AND requested_by_name = $3",
        )
        .bind(station.0)
        .bind(at.0)
        .bind(SYNC_NAME)
        .execute(&mut *tx)
        .await?;
        let summary = if online {
            format!("Resend the full local list to station \"{name}\" ({cp})")
        } else {
            format!(
                "Resend the full local list to station \"{name}\" ({cp}) when it connects (it is offline)"
            )
        };
        audit::record(
            &mut tx,
            shared::OrgId(station_org),
            &self.actor,
            AuditAction::StationCommand,
            &summary,
            at,
        )
        .await?;
        self.db
            .commit_announcing(tx, crate::events::StationEvent::LocalListChanged(station))
            .await?;
        Ok(())
    }
}

impl Db {
    /// The stations connected through `instance` whose lists `event` may change: for
    /// [`StationEvent::LocalListsChanged`] those of the organization, its ancestors (their lists hold its
    /// passes) and its sub-organizations (they inherit its access mode); for
    /// [`StationEvent::LocalListChanged`] the station. One query, whatever the number of stations.
    pub async fn list_sync_stations(
        &self,
        instance: InstanceId,
        event: StationEvent,
    ) -> Result<Vec<StationId>, StorageError> {
        let mut conn = self.read().await?;
        let ids: Vec<i64> = match event {
            StationEvent::LocalListsChanged(org) => {
                sqlx::query_scalar(&format!(
                    "{}, chain (id, parent_id, depth) AS ( \
                         SELECT id, parent_id, 0 FROM organizations WHERE id = $1 \
                         UNION ALL \
                         SELECT o.id, o.parent_id, chain.depth + 1 \
                         FROM organizations o JOIN chain ON o.id = chain.parent_id \
                         WHERE chain.depth < {depth} \
                     ) \
                     SELECT s.id FROM stations s \
                     WHERE s.connected_instance = $2 AND s.connected_at IS NOT NULL \
                       AND (s.org_id IN (SELECT id FROM subtree) OR s.org_id IN (SELECT id FROM chain)) \
                     ORDER BY s.id",
                    subtree_cte("$1"),
                    depth = crate::org::MAX_DEPTH,
                ))
                .bind(org.0)
                .bind(instance.0)
                .fetch_all(&mut *conn)
                .await?
            }
            StationEvent::LocalListChanged(station) => {
                sqlx::query_scalar(
                    "SELECT id FROM stations WHERE id = $1 AND connected_instance = $2 \
                       AND connected_at IS NOT NULL",
                )
                .bind(station.0)
                .bind(instance.0)
                .fetch_all(&mut *conn)
                .await?
            }
            _ => Vec::new(),
        };
        Ok(ids.into_iter().map(StationId).collect())
    }
}
