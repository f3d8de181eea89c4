//! The OCPP 1.6J central system: the WebSocket endpoint `/ocpp/{chargePointId}` served by the same axum
//! server as the web app.
//!
//! - [`endpoint`]: the HTTP upgrade — unknown station → 404, HTTP Basic auth (security profile 1/2) → 401,
//!   subprotocol `ocpp1.6` negotiation, WebSocket buffer sizes.
//! - [`session`]: one connected station: reads frames, answers every CALL (or a CALLERROR), keeps the connection
//!   alive with pings, and is replaced when the same station connects again.
//! - [`taps`]: the live stream of cards tapped at one station (server-sent events), for "Scan at a station".
//! - [`log`]: every frame in both directions is queued to a writer task that stores them in batches, so logging
//!   never slows down an answer; a pruner deletes frames older than the retention period.
//!
//! OCPP JSON itself is known only to the `ocpp` crate; what a station may do is `storage::ConnectedStation`;
//! who may charge is decided by `shared::decision`.

pub mod endpoint;
pub mod log;
pub mod session;
pub mod taps;

use shared::ids::StationId;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use storage::Db;
use tokio::sync::{broadcast, oneshot};

/// Tunables of the central system, from the environment (see README).
#[derive(Debug, Clone)]
pub struct OcppConfig {
    /// The heartbeat interval told to stations in the BootNotification answer.
    pub heartbeat_interval: Duration,
    /// How often the server pings an idle station; after three intervals without any traffic it is closed.
    pub ping_interval: Duration,
    /// How long OCPP frames are kept in the logs.
    pub log_retention: Duration,
}

impl Default for OcppConfig {
    fn default() -> Self {
        Self {
            heartbeat_interval: Duration::from_secs(300),
            ping_interval: Duration::from_secs(30),
            log_retention: Duration::from_secs(30 * 24 * 3600),
        }
    }
}

impl OcppConfig {
    /// `CHARGEDESK_OCPP_HEARTBEAT_SECS`, `CHARGEDESK_OCPP_PING_SECS`, `CHARGEDESK_LOG_RETENTION_DAYS`.
    pub fn from_env() -> Self {
        let secs = |name: &str| {
            std::env::var(name)
                .ok()
                .and_then(|v| v.trim().parse::<u64>().ok())
                .filter(|v| *v > 0)
        };
        let default = Self::default();
        Self {
            heartbeat_interval: secs("CHARGEDESK_OCPP_HEARTBEAT_SECS")
                .map_or(default.heartbeat_interval, Duration::from_secs),
            ping_interval: secs("CHARGEDESK_OCPP_PING_SECS")
                .map_or(default.ping_interval, Duration::from_secs),
            log_retention: secs("CHARGEDESK_LOG_RETENTION_DAYS")
                .map_or(default.log_retention, |d| {
                    Duration::from_secs(d * 24 * 3600)
                }),
        }
    }
}

pub use shared::model::TapEvent;

/// What the OCPP side shares between connections: the database, live connections, the frame-log queue and
/// the tap broadcast. Cheap to clone.
#[derive(Clone)]
pub struct OcppHub {
    pub db: Db,
    pub config: OcppConfig,
    inner: Arc<Inner>,
}

struct Inner {
    /// The current connection of each station: its generation and how to tell it that it was replaced.
    connections: Mutex<HashMap<StationId, (u64, oneshot::Sender<()>)>>,
    generation: AtomicU64,
    log: log::LogQueue,
    taps: broadcast::Sender<TapEvent>,
}

impl OcppHub {
    /// Starts the frame-log writer and the retention pruner (tokio tasks) and returns the hub.
    pub fn start(db: Db, config: OcppConfig) -> Self {
        let log = log::LogQueue::start(db.clone(), config.log_retention);
        let (taps, _) = broadcast::channel(256);
        Self {
            db,
            config,
            inner: Arc::new(Inner {
                connections: Mutex::new(HashMap::new()),
                generation: AtomicU64::new(1),
                log,
                taps,
            }),
        }
    }

    /// Registers a new connection of `station`, closing the one it replaces. Returns its generation and the
    /// signal that fires when a newer connection replaces it.
    pub(crate) fn register(&self, station: StationId) -> (u64, oneshot::Receiver<()>) {
        let generation = self.inner.generation.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = oneshot::channel();
        let previous = self
            .inner
            .connections
            .lock()
            .expect("connection registry lock")
            .insert(station, (generation, tx));
        if let Some((_, replaced)) = previous {
            let _ = replaced.send(());
        }
        (generation, rx)
    }

    /// Forgets a connection unless a newer one has taken its place. Returns whether it was still current.
    pub(crate) fn unregister(&self, station: StationId, generation: u64) -> bool {
        let mut connections = self
            .inner
            .connections
            .lock()
            .expect("connection registry lock");
        if connections
            .get(&station)
            .is_some_and(|(g, _)| *g == generation)
        {
            connections.remove(&station);
            true
        } else {
            false
        }
    }

    /// Whether `station` has a live connection right now.
    pub fn is_connected(&self, station: StationId) -> bool {
        self.inner
            .connections
            .lock()
            .expect("connection registry lock")
            .contains_key(&station)
    }

    pub(crate) fn log(&self) -> &log::LogQueue {
        &self.inner.log
    }

    pub(crate) fn publish_tap(&self, tap: TapEvent) {
        // Nobody listening is the normal case.
        let _ = self.inner.taps.send(tap);
    }

    /// Live taps at every station; filter by station.
    pub fn subscribe_taps(&self) -> broadcast::Receiver<TapEvent> {
        self.inner.taps.subscribe()
    }

    /// Waits until every queued frame is stored (tests, shutdown).
    pub async fn flush_logs(&self) {
        self.inner.log.flush().await;
    }
}
