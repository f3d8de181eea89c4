//! Keeping connected stations' Local Authorization Lists in sync (the rules: `shared::local_list`; what is
//! known of each list and which command comes next: `storage::local_lists`).
//!
//! Each connection has a [`ListSync`]: asked to run ([`ListSync::request`]) when the connection starts, when
//! the station boots, when one of the list's commands was answered, and when a change to passes or access
//! modes concerns the station ([`storage::StationEvent::LocalListsChanged`], from any instance). It runs in a
//! task of its own, never in the connection's receive loop, one run at a time per station (requests during a
//! run make one more run), at most [`CONCURRENT_SYNCS`] stations at a time and at most
//! `OcppConfig::local_list_steps_per_sec` steps a second per instance: a change that concerns 10,000
//! stations, or the first connection of 10,000 stations, is worked through at that pace (each station getting
//! a Differential update of what changed for it), so that the station traffic of the instance — and its frame
//! log, which shares the database's writer — does not wait behind it. A run queues at most one command (the
//! session sends it like an administrator's) and wakes the connection.

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use storage::ConnectedStation;
use tokio::sync::{Notify, Semaphore};

/// Stations whose next step is worked out at the same time, per instance (each is a few queries).
pub const CONCURRENT_SYNCS: usize = 4;

/// What the syncs of one instance share: the permits ([`CONCURRENT_SYNCS`]) and the pace.
pub(crate) struct SyncBudget {
    permits: Semaphore,
    pace: DefaultDirectRateLimiter,
}

impl SyncBudget {
    /// A budget of `steps_per_sec` steps a second.
    pub(crate) fn new(steps_per_sec: NonZeroU32) -> Arc<Self> {
        Arc::new(Self {
            permits: Semaphore::new(CONCURRENT_SYNCS),
            pace: RateLimiter::direct(Quota::per_second(steps_per_sec)),
        })
    }
}

/// One connection's list sync.
pub(crate) struct ListSync {
    station: ConnectedStation,
    /// The connection's command signal: woken when a command was queued.
    commands: Arc<Notify>,
    /// The instance's permits and pace.
    budget: Arc<SyncBudget>,
    running: AtomicBool,
    again: AtomicBool,
    /// Set when the connection ended: no more runs.
    ended: AtomicBool,
}

impl ListSync {
    pub(crate) fn new(
        station: ConnectedStation,
        commands: Arc<Notify>,
        budget: Arc<SyncBudget>,
    ) -> Arc<Self> {
        Arc::new(Self {
            station,
            commands,
            budget,
            running: AtomicBool::new(false),
            again: AtomicBool::new(false),
            ended: AtomicBool::new(false),
        })
    }

    /// Runs the sync for the station soon (in a task of its own); a run already going runs once more.
    pub(crate) fn request(self: &Arc<Self>) {
        self.again.store(true, Ordering::SeqCst);
        if self.running.swap(true, Ordering::SeqCst) {
            return;
        }
        let this = self.clone();
        tokio::spawn(async move {
            loop {
                while this.again.swap(false, Ordering::SeqCst) {
                    if this.ended.load(Ordering::SeqCst) {
                        break;
                    }
                    this.run_once().await;
                }
                this.running.store(false, Ordering::SeqCst);
                // A request between the last check and `running = false` found it running: take it over.
                if !this.again.load(Ordering::SeqCst) || this.running.swap(true, Ordering::SeqCst) {
                    return;
                }
            }
        });
    }

    /// The connection ended: runs still to come do nothing.
    pub(crate) fn end(&self) {
        self.ended.store(true, Ordering::SeqCst);
    }

    async fn run_once(&self) {
        self.budget.pace.until_ready().await;
        let Ok(_permit) = self.budget.permits.acquire().await else {
            return;
        };
        // Boxed: a task waiting for its permit (10,000 of them after a storm) holds a pointer, not the space of
        // the whole planning future.
        match Box::pin(self.station.sync_local_list()).await {
            Ok(true) => self.commands.notify_one(),
            Ok(false) => {}
            Err(error) => tracing::warn!(station = %self.station.station_id(), error = ?error,
                "planning the station's local list failed"),
        }
    }
}
