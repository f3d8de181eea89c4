//! Server instances on one database, and the leases that decide whether their stations are online (migration
//! `0010_instances`).
//!
//! Every running instance that accepts station connections holds a row in `instances` ([`Db::start_instance`])
//! and renews its lease from a background task, every third of the lease. A station's connection records the
//! instance holding it (`stations.connected_instance`, see [`crate::ConnectedStation::connected`]), and the station
//! reads as online only while that instance's lease is in the future — so an instance that dies without a
//! word (`kill -9`, a lost machine) leaves its stations "online" for at most one lease, even before anyone
//! cleaned up. Each renewal also cleans up: rows of instances whose lease has passed are deleted, and their
//! stations marked offline, in one transaction. An instance that stops gracefully retires its row
//! ([`Instance::retire`]).
//!
//! Leases are unix-millisecond times from each instance's own clock: clocks of the instances should agree to
//! well within a lease (NTP). An instance that was stalled for longer than its lease (and cleaned up after)
//! notices at its next renewal: it registers again and tells its hub ([`crate::EventGap::LeaseLost`]) to
//! close its connections, so that the stations reconnect and are recorded again.

use crate::db::{now, Db};
use crate::error::StorageError;
use rand::RngCore;
use std::fmt;
use std::sync::Mutex;
use std::time::Duration;
use tokio::task::JoinHandle;

/// How long an instance's stations stay online without the instance renewing its lease, unless configured
/// otherwise (`CHARGEDESK_INSTANCE_LEASE_SECS`).
pub const DEFAULT_INSTANCE_LEASE: Duration = Duration::from_secs(30);

/// The shortest lease (and renewal interval's base) accepted: shorter ones are raised to it.
const MIN_LEASE: Duration = Duration::from_millis(300);

/// A server instance's id in `instances` (random, chosen at start).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct InstanceId(pub i64);

impl fmt::Display for InstanceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// What a clean-up removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CleanedUp {
    /// Rows of instances whose lease had passed.
    pub instances: u64,
    /// Stations that were recorded as connected to one of them (or, at start, to no instance at all) and are
    /// now offline.
    pub stations: u64,
}

/// This process's registration as a server instance: its row in `instances`, kept fresh by a background task
/// while this value lives. Dropping it stops the renewals without retiring the row (as if the process had
/// died: its stations go offline when the lease passes); [`Instance::retire`] ends it properly.
pub struct Instance {
    id: InstanceId,
    lease: Duration,
    db: Db,
    heartbeat: Mutex<Option<JoinHandle<()>>>,
}

impl fmt::Debug for Instance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Instance")
            .field("id", &self.id)
            .field("lease", &self.lease)
            .finish()
    }
}

impl Db {
    /// Registers this process as a new instance with a lease of `lease` (at least 300 ms), cleans up after
    /// instances whose lease has passed (and connections recorded before instances existed, which have none),
    /// and starts renewing the lease every third of it. The stations of instances whose lease is still running
    /// are left alone.
    pub async fn start_instance(&self, lease: Duration) -> Result<Instance, StorageError> {
        let lease = lease.max(MIN_LEASE);
        let id = InstanceId((rand::rngs::OsRng.next_u64() >> 1) as i64);
        self.register_instance(id, lease).await?;
        let cleaned = self.clean_up_instances().await?;
        if cleaned != CleanedUp::default() {
            tracing::info!(
                instances = cleaned.instances,
                stations = cleaned.stations,
                "cleaned up after instances that stopped renewing their lease"
            );
        }
        let heartbeat = tokio::spawn(renew(self.clone(), id, lease));
        tracing::info!(instance = %id, lease_secs = lease.as_secs_f32(), "instance registered");
        Ok(Instance {
            id,
            lease,
            db: self.clone(),
            heartbeat: Mutex::new(Some(heartbeat)),
        })
    }

    /// Deletes the rows of instances whose lease has passed and marks their stations offline, and marks
    /// offline the stations recorded as connected before instances existed (no instance). Stations of live
    /// instances are not touched. Safe to run on every instance at any time.
    pub async fn clean_up_instances(&self) -> Result<CleanedUp, StorageError> {
        let mut tx = self.begin_operational_write().await?;
        let mut cleaned = clean_up_dead(&mut tx).await?;
        cleaned.stations += sqlx::query(
            "UPDATE stations SET connected_at = NULL, connection_nonce = NULL \
             WHERE connected_instance IS NULL AND (connected_at IS NOT NULL OR connection_nonce IS NOT NULL)",
        )
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(cleaned)
    }

    /// Inserts the instance's row, or renews it if it exists.
    async fn register_instance(&self, id: InstanceId, lease: Duration) -> Result<(), StorageError> {
        let at = now().0;
        let mut tx = self.begin_operational_write().await?;
        sqlx::query(
            "INSERT INTO instances (id, started_at, renewed_at, lease_until) VALUES ($1, $2, $2, $3) \
             ON CONFLICT (id) DO UPDATE SET renewed_at = excluded.renewed_at, lease_until = excluded.lease_until",
        )
        .bind(id.0)
        .bind(at)
        .bind(at.saturating_add(millis(lease)))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Moves the lease of `id` on; `false` if its row is gone (another instance cleaned up after it).
    async fn renew_instance(&self, id: InstanceId, lease: Duration) -> Result<bool, StorageError> {
        let at = now().0;
        let mut tx = self.begin_operational_write().await?;
        let renewed =
            sqlx::query("UPDATE instances SET renewed_at = $2, lease_until = $3 WHERE id = $1")
                .bind(id.0)
                .bind(at)
                .bind(at.saturating_add(millis(lease)))
                .execute(&mut *tx)
                .await?
                .rows_affected();
        tx.commit().await?;
        Ok(renewed > 0)
    }
}

/// Deletes the instances whose lease has passed and clears the stations recorded with them, in `tx`. Only the
/// stations of the rows this statement deleted: a station that meanwhile connected to a live instance names
/// that one and is not touched.
async fn clean_up_dead(tx: &mut crate::db::Conn) -> Result<CleanedUp, StorageError> {
    let dead: Vec<i64> =
        sqlx::query_scalar("DELETE FROM instances WHERE lease_until <= $1 RETURNING id")
            .bind(now().0)
            .fetch_all(&mut *tx)
            .await?;
    let mut cleaned = CleanedUp {
        instances: dead.len() as u64,
        stations: 0,
    };
    for id in dead {
        cleaned.stations += sqlx::query(
            "UPDATE stations SET connected_at = NULL, connection_nonce = NULL, connected_instance = NULL \
             WHERE connected_instance = $1",
        )
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    }
    Ok(cleaned)
}

impl Instance {
    /// The instance's id (recorded with its stations' connections).
    pub fn id(&self) -> InstanceId {
        self.id
    }

    /// The lease it renews.
    pub fn lease(&self) -> Duration {
        self.lease
    }

    /// Ends the instance at a graceful stop, after its connections were closed: stops the renewals, deletes
    /// its row and marks offline any station still recorded with it, in one transaction. Returns how many
    /// stations that were. Stations connecting through it afterwards read as offline.
    pub async fn retire(&self) -> Result<u64, StorageError> {
        let heartbeat = self.heartbeat.lock().expect("heartbeat lock").take();
        if let Some(heartbeat) = heartbeat {
            heartbeat.abort();
            // Wait until it is really gone, so that no renewal runs after the row is deleted.
            let _ = heartbeat.await;
        }
        let mut tx = self.db.begin_operational_write().await?;
        sqlx::query("DELETE FROM instances WHERE id = $1")
            .bind(self.id.0)
            .execute(&mut *tx)
            .await?;
        let stations = sqlx::query(
            "UPDATE stations SET connected_at = NULL, connection_nonce = NULL, connected_instance = NULL \
             WHERE connected_instance = $1",
        )
        .bind(self.id.0)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        tracing::info!(instance = %self.id, stations, "instance retired");
        Ok(stations)
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        if let Some(heartbeat) = self.heartbeat.lock().ok().and_then(|mut h| h.take()) {
            heartbeat.abort();
        }
    }
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// Renews the lease of `id` every third of `lease` and cleans up after dead instances; re-registers when the
/// row was cleaned up meanwhile (see the module documentation). Database errors are logged and retried at the
/// next round: the lease has two more rounds before it passes.
async fn renew(db: Db, id: InstanceId, lease: Duration) {
    let every = lease / 3;
    let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        match db.renew_instance(id, lease).await {
            Ok(true) => {}
            Ok(false) => {
                tracing::warn!(instance = %id,
                    "this instance's lease ran out and another instance cleaned up after it: registering again \
                     and closing its station connections so that they are recorded again");
                match db.register_instance(id, lease).await {
                    Ok(()) => db.events.lease_lost(),
                    Err(error) => {
                        tracing::warn!(instance = %id, error = ?error, "registering the instance again failed")
                    }
                }
            }
            Err(error) => {
                tracing::warn!(instance = %id, error = ?error, "renewing the instance's lease failed")
            }
        }
        let cleaned = async {
            let mut tx = db.begin_operational_write().await?;
            let cleaned = clean_up_dead(&mut tx).await?;
            tx.commit().await?;
            Ok::<_, StorageError>(cleaned)
        }
        .await;
        match cleaned {
            Ok(cleaned) if cleaned.instances > 0 => tracing::info!(
                instances = cleaned.instances,
                stations = cleaned.stations,
                "cleaned up after instances that stopped renewing their lease"
            ),
            Ok(_) => {}
            Err(error) => tracing::warn!(error = ?error, "cleaning up after dead instances failed"),
        }
    }
}
