//! The OCPP 1.6J central system: the WebSocket endpoint `/ocpp/{chargePointId}` served by the same axum
//! server as the web app.
//!
//! - [`endpoint`]: the HTTP upgrade — browser origin → 403, too many failures → 429, unknown station → 404,
//!   HTTP Basic auth (security profile 1/2) → 401, password checks busy → 503,
//!   subprotocol `ocpp1.6` negotiation, WebSocket buffer sizes.
//! - [`guard`]: the per-client-address limit on failed handshakes, and the rate-limited log of refusals.
//! - [`session`]: one connected station: reads frames, answers every CALL (or a CALLERROR) within its rate
//!   limit, keeps the connection alive with pings, and is closed when the same station connects again or its
//!   credentials change.
//! - [`taps`]: the live stream of cards tapped at one station (server-sent events), for "Scan at a station";
//!   one channel per station.
//! - [`log`]: every frame in both directions is queued to a writer task that stores them in batches, so logging
//!   never slows down an answer; a pruner deletes frames, authorization decisions and raw meter values older
//!   than their retention periods.
//!
//! OCPP JSON itself is known only to the `ocpp` crate; what a station may do is `storage::ConnectedStation`;
//! who may charge is decided by `shared::decision`.

pub mod endpoint;
pub mod guard;
pub mod log;
pub mod session;
pub mod taps;

use shared::ids::StationId;
use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;
use storage::{Db, StationEvent};
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::{broadcast, oneshot};

const DAY: Duration = Duration::from_secs(24 * 3600);

/// Tunables of the central system, from the environment (see README and [`OcppConfig::from_env`]).
#[derive(Debug, Clone)]
pub struct OcppConfig {
    /// The heartbeat interval told to stations in the BootNotification answer.
    pub heartbeat_interval: Duration,
    /// How often the server pings an idle station; after three intervals without any traffic it is closed.
    pub ping_interval: Duration,
    /// How long OCPP frames are kept in the logs.
    pub log_retention: Duration,
    /// How long authorization decisions are kept (those a transaction references are kept with it).
    pub decision_retention: Duration,
    /// How long the raw meter values of a finished transaction are kept after its stop (readings without a
    /// transaction: after they were taken).
    pub meter_value_retention: Duration,
    /// How long a sent or given-up e-mail is kept in the outbox (a queued one: until it is sent or given up).
    pub mail_retention: Duration,
    /// The browser origins (exact, e.g. `https://ops.example.com`) whose pages may open an OCPP WebSocket.
    /// Stations send no `Origin` header; an upgrade with any other origin is refused (403).
    pub allowed_origins: Vec<String>,
    /// Failed handshakes (unknown charge point ID, wrong or missing credentials) one client address may have
    /// per minute, also its burst; past it, its upgrades get 429 until the limit has room again.
    pub handshake_failures_per_min: NonZeroU32,
    /// The steady rate of CALLs one connection may send per second ...
    pub calls_per_sec: NonZeroU32,
    /// ... and how many it may send at once. An excess CALL is answered with a CALLERROR and not processed;
    /// more than this many refused in a row close the connection (1008).
    pub call_burst: NonZeroU32,
    /// The most bytes of frames waiting for the frame-log writer; past it, frames are not logged.
    pub log_queue_bytes: usize,
    /// The highest connectorId a station may report or use (StatusNotification, StartTransaction,
    /// MeterValues); a higher one gets a CALLERROR and nothing is stored.
    pub max_connectors: i64,
    /// How often an open tap stream checks that its session is still valid and may still see the station.
    pub tap_recheck_interval: Duration,
}

impl Default for OcppConfig {
    fn default() -> Self {
        Self {
            heartbeat_interval: Duration::from_secs(300),
            ping_interval: Duration::from_secs(30),
            log_retention: DAY * storage::DEFAULT_LOG_RETENTION_DAYS as u32,
            decision_retention: DAY * 90,
            meter_value_retention: DAY * 400,
            mail_retention: DAY * storage::DEFAULT_MAIL_RETENTION_DAYS as u32,
            allowed_origins: Vec::new(),
            handshake_failures_per_min: NonZeroU32::new(10).expect("non-zero"),
            calls_per_sec: NonZeroU32::new(20).expect("non-zero"),
            call_burst: NonZeroU32::new(100).expect("non-zero"),
            log_queue_bytes: 64 * 1024 * 1024,
            max_connectors: 64,
            tap_recheck_interval: Duration::from_secs(30),
        }
    }
}

impl OcppConfig {
    /// The settings from the environment; an unset, empty or invalid value keeps the default:
    ///
    /// | variable | default | meaning |
    /// |---|---|---|
    /// | `CHARGEDESK_OCPP_HEARTBEAT_SECS` | 300 | heartbeat interval told to stations |
    /// | `CHARGEDESK_OCPP_PING_SECS` | 30 | ping interval; silent for three → closed |
    /// | `CHARGEDESK_LOG_RETENTION_DAYS` | 30 | OCPP frames kept |
    /// | `CHARGEDESK_DECISION_RETENTION_DAYS` | 90 | authorization decisions kept (a transaction's: always) |
    /// | `CHARGEDESK_METER_VALUE_RETENTION_DAYS` | 400 | raw meter values kept after their transaction stopped |
    /// | `CHARGEDESK_MAIL_RETENTION_DAYS` | 90 | sent or given-up e-mails kept in the outbox (queued: always) |
    /// | `CHARGEDESK_OCPP_ALLOWED_ORIGINS` | none | comma-separated browser origins allowed to open `/ocpp/…` |
    /// | `CHARGEDESK_OCPP_HANDSHAKE_FAILURES_PER_MIN` | 10 | failed handshakes per client address and minute |
    /// | `CHARGEDESK_OCPP_CALLS_PER_SEC` | 20 | CALLs per second and connection |
    /// | `CHARGEDESK_OCPP_CALL_BURST` | 100 | CALLs at once per connection |
    /// | `CHARGEDESK_LOG_QUEUE_MB` | 64 | MiB of frames waiting to be logged |
    /// | `CHARGEDESK_OCPP_MAX_CONNECTORS` | 64 | highest connectorId accepted |
    /// | `CHARGEDESK_TAP_RECHECK_SECS` | 30 | how often a tap stream re-checks its session |
    pub fn from_env() -> Self {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// [`OcppConfig::from_env`] over any source of variables (tests).
    pub fn from_lookup(var: impl Fn(&str) -> Option<String>) -> Self {
        let number = |name: &str| {
            var(name)
                .and_then(|v| v.trim().parse::<u64>().ok())
                .filter(|v| *v > 0)
        };
        let secs =
            |name: &str, default: Duration| number(name).map_or(default, Duration::from_secs);
        let days = |name: &str, default: Duration| {
            number(name).map_or(default, |d| DAY * d.min(100_000) as u32)
        };
        let count = |name: &str, default: NonZeroU32| {
            number(name)
                .and_then(|v| u32::try_from(v).ok())
                .and_then(NonZeroU32::new)
                .unwrap_or(default)
        };
        let default = Self::default();
        Self {
            heartbeat_interval: secs("CHARGEDESK_OCPP_HEARTBEAT_SECS", default.heartbeat_interval),
            ping_interval: secs("CHARGEDESK_OCPP_PING_SECS", default.ping_interval),
            log_retention: days("CHARGEDESK_LOG_RETENTION_DAYS", default.log_retention),
            decision_retention: days(
                "CHARGEDESK_DECISION_RETENTION_DAYS",
                default.decision_retention,
            ),
            meter_value_retention: days(
                "CHARGEDESK_METER_VALUE_RETENTION_DAYS",
                default.meter_value_retention,
            ),
            mail_retention: days("CHARGEDESK_MAIL_RETENTION_DAYS", default.mail_retention),
            allowed_origins: var("CHARGEDESK_OCPP_ALLOWED_ORIGINS")
                .map(|list| {
                    list.split(',')
                        .map(|o| o.trim().trim_end_matches('/').to_owned())
                        .filter(|o| !o.is_empty())
                        .collect()
                })
                .unwrap_or(default.allowed_origins),
            handshake_failures_per_min: count(
                "CHARGEDESK_OCPP_HANDSHAKE_FAILURES_PER_MIN",
                default.handshake_failures_per_min,
            ),
            calls_per_sec: count("CHARGEDESK_OCPP_CALLS_PER_SEC", default.calls_per_sec),
            call_burst: count("CHARGEDESK_OCPP_CALL_BURST", default.call_burst),
            log_queue_bytes: number("CHARGEDESK_LOG_QUEUE_MB")
                .map_or(default.log_queue_bytes, |mb| {
                    (mb.min(1 << 20) as usize).saturating_mul(1024 * 1024)
                }),
            max_connectors: number("CHARGEDESK_OCPP_MAX_CONNECTORS")
                .map_or(default.max_connectors, |n| n.min(1_000_000) as i64),
            tap_recheck_interval: secs("CHARGEDESK_TAP_RECHECK_SECS", default.tap_recheck_interval),
        }
    }
}

pub use shared::model::TapEvent;

/// Why the server closes a station's connection from outside its receive loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseReason {
    /// The same station connected again: the newer connection wins.
    Replaced,
    /// The station's password or its "allow unauthenticated connections" choice changed: the connection was
    /// authenticated under the old rules. The station reconnects with its new credentials.
    CredentialsChanged,
}

impl CloseReason {
    /// The WebSocket close code and reason sent to the station.
    pub fn close_frame(self) -> (u16, &'static str) {
        match self {
            Self::Replaced => (1000, "replaced by a newer connection of this station"),
            Self::CredentialsChanged => (
                1000,
                "the station's credentials changed: reconnect with the new ones",
            ),
        }
    }
}

/// What the OCPP side shares between connections: the database, live connections, the frame-log queue, the
/// per-station tap channels and the handshake guard. Cheap to clone.
#[derive(Clone)]
pub struct OcppHub {
    pub db: Db,
    pub config: OcppConfig,
    inner: Arc<Inner>,
}

/// One live connection in the registry.
struct Connection {
    generation: u64,
    /// Taken when the connection is told to close.
    close: Option<oneshot::Sender<CloseReason>>,
}

struct Registry {
    /// The current connection of each station.
    connections: HashMap<StationId, Connection>,
    /// Counts the credential changes seen (see [`OcppHub::credentials_epoch`]).
    credentials_epoch: u64,
}

struct Inner {
    registry: Mutex<Registry>,
    generation: AtomicU64,
    log: log::LogQueue,
    /// One channel per station that someone listens to (see [`OcppHub::subscribe_taps`]).
    taps: Mutex<HashMap<StationId, broadcast::Sender<TapEvent>>>,
    guard: guard::HandshakeGuard,
}

/// Taps waiting in one station's channel for a slow listener; a tap is a person at a reader, so a listener
/// that falls this far behind only ever misses its own station's taps.
const TAP_CHANNEL: usize = 16;

/// How often the handshake guard forgets addresses that have not failed lately.
const GUARD_HOUSEKEEPING: Duration = Duration::from_secs(60);

impl OcppHub {
    /// Starts the frame-log writer, the retention pruner, the credential-change watcher and the handshake
    /// guard's housekeeping (tokio tasks) and returns the hub.
    pub fn start(db: Db, config: OcppConfig) -> Self {
        let log = log::LogQueue::start(db.clone(), &config);
        // Subscribed before the first connection is accepted, so that no change is missed.
        let events = db.station_events();
        let inner = Arc::new(Inner {
            registry: Mutex::new(Registry {
                connections: HashMap::new(),
                credentials_epoch: 0,
            }),
            generation: AtomicU64::new(1),
            log,
            taps: Mutex::new(HashMap::new()),
            guard: guard::HandshakeGuard::new(config.handshake_failures_per_min),
        });
        tokio::spawn(watch_credentials(Arc::downgrade(&inner), events));
        tokio::spawn(guard_housekeeping(Arc::downgrade(&inner)));
        Self { db, config, inner }
    }

    /// A number that changes whenever some station's credentials change. The endpoint reads it before it looks
    /// the station up and hands it to [`OcppHub::register`]: a change committed between the password check and
    /// the registration then still closes the new connection (the event found no connection to close yet).
    pub(crate) fn credentials_epoch(&self) -> u64 {
        self.inner.registry().credentials_epoch
    }

    /// Registers a new connection of `station`, closing the one it replaces. Returns its generation and the
    /// signal that fires when it must close (a newer connection, or changed credentials). `epoch` is
    /// [`OcppHub::credentials_epoch`] from before the station was authenticated; if credentials changed since,
    /// the signal fires at once (possibly another station's change: the station just reconnects).
    pub(crate) fn register(
        &self,
        station: StationId,
        epoch: u64,
    ) -> (u64, oneshot::Receiver<CloseReason>) {
        let generation = self.inner.generation.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = oneshot::channel();
        let mut registry = self.inner.registry();
        let close = if registry.credentials_epoch != epoch {
            let _ = tx.send(CloseReason::CredentialsChanged);
            None
        } else {
            Some(tx)
        };
        let previous = registry
            .connections
            .insert(station, Connection { generation, close });
        if let Some(replaced) = previous.and_then(|c| c.close) {
            let _ = replaced.send(CloseReason::Replaced);
        }
        (generation, rx)
    }

    /// Forgets a connection unless a newer one has taken its place. Returns whether it was still current.
    pub(crate) fn unregister(&self, station: StationId, generation: u64) -> bool {
        let mut registry = self.inner.registry();
        if registry
            .connections
            .get(&station)
            .is_some_and(|c| c.generation == generation)
        {
            registry.connections.remove(&station);
            true
        } else {
            false
        }
    }

    /// Whether `station` has a live connection right now.
    pub fn is_connected(&self, station: StationId) -> bool {
        self.inner.registry().connections.contains_key(&station)
    }

    pub(crate) fn log(&self) -> &log::LogQueue {
        &self.inner.log
    }

    pub(crate) fn guard(&self) -> &guard::HandshakeGuard {
        &self.inner.guard
    }

    /// Delivers a tap to the listeners of its station; nobody listening (the normal case) costs a map lookup.
    pub(crate) fn publish_tap(&self, tap: TapEvent) {
        if let Some(channel) = self.inner.taps().get(&tap.station) {
            let _ = channel.send(tap);
        }
    }

    /// Live taps at `station`. Each station has its own channel, created by its first listener and dropped
    /// with its last, so a busy station cannot push another station's taps out of a shared buffer.
    pub fn subscribe_taps(&self, station: StationId) -> TapSubscription {
        let receiver = self
            .inner
            .taps()
            .entry(station)
            .or_insert_with(|| broadcast::channel(TAP_CHANNEL).0)
            .subscribe();
        TapSubscription {
            receiver,
            station,
            inner: self.inner.clone(),
        }
    }

    /// Waits until every queued frame is stored (tests, shutdown).
    pub async fn flush_logs(&self) {
        self.inner.log.flush().await;
    }
}

impl Inner {
    fn registry(&self) -> std::sync::MutexGuard<'_, Registry> {
        self.registry.lock().expect("connection registry lock")
    }

    fn taps(&self) -> std::sync::MutexGuard<'_, HashMap<StationId, broadcast::Sender<TapEvent>>> {
        self.taps.lock().expect("tap channels lock")
    }

    /// Tells the connection of `station` (or, with `None`, every connection) to close because credentials
    /// changed, and moves the epoch on for handshakes in flight.
    fn credentials_changed(&self, station: Option<StationId>) -> usize {
        let mut registry = self.registry();
        registry.credentials_epoch += 1;
        let mut closed = 0;
        let mut close = |connection: &mut Connection| {
            if let Some(tx) = connection.close.take() {
                let _ = tx.send(CloseReason::CredentialsChanged);
                closed += 1;
            }
        };
        match station {
            Some(id) => {
                if let Some(connection) = registry.connections.get_mut(&id) {
                    close(connection);
                }
            }
            None => registry.connections.values_mut().for_each(close),
        }
        closed
    }
}

/// The listening side of one station's taps (see [`OcppHub::subscribe_taps`]). Dropping the last one drops
/// the station's channel.
pub struct TapSubscription {
    receiver: broadcast::Receiver<TapEvent>,
    station: StationId,
    inner: Arc<Inner>,
}

impl TapSubscription {
    /// The next tap at the station. `Lagged` if this listener fell behind (older taps were dropped).
    pub async fn recv(&mut self) -> Result<TapEvent, RecvError> {
        self.receiver.recv().await
    }
}

impl Drop for TapSubscription {
    fn drop(&mut self) {
        let mut taps = self.inner.taps();
        // Our own receiver is still alive here; it is the last one when the count is 1.
        if taps
            .get(&self.station)
            .is_some_and(|channel| channel.receiver_count() <= 1)
        {
            taps.remove(&self.station);
        }
    }
}

/// Closes connections whose credentials changed ([`StationEvent::CredentialsChanged`]). If it falls behind
/// the events, it cannot know whose changed, so it closes every connection (they reconnect at once).
async fn watch_credentials(inner: Weak<Inner>, mut events: broadcast::Receiver<StationEvent>) {
    loop {
        let event = events.recv().await;
        let Some(inner) = inner.upgrade() else { return };
        match event {
            Ok(StationEvent::CredentialsChanged(station)) => {
                if inner.credentials_changed(Some(station)) > 0 {
                    tracing::info!(%station, "station credentials changed: closing its connection");
                }
            }
            Err(RecvError::Lagged(missed)) => {
                let closed = inner.credentials_changed(None);
                tracing::warn!(
                    missed,
                    closed,
                    "missed station credential changes: closing every station connection to be safe"
                );
            }
            Err(RecvError::Closed) => return,
        }
    }
}

async fn guard_housekeeping(inner: Weak<Inner>) {
    let mut every = tokio::time::interval(GUARD_HOUSEKEEPING);
    loop {
        every.tick().await;
        let Some(inner) = inner.upgrade() else { return };
        inner.guard.housekeeping();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_come_from_the_environment_with_defaults() {
        let none = OcppConfig::from_lookup(|_| None);
        assert_eq!(none.calls_per_sec.get(), 20);
        assert_eq!(none.call_burst.get(), 100);
        assert_eq!(none.max_connectors, 64);
        assert_eq!(none.log_queue_bytes, 64 * 1024 * 1024);
        assert_eq!(none.decision_retention, DAY * 90);
        assert_eq!(none.meter_value_retention, DAY * 400);
        assert_eq!(none.mail_retention, DAY * 90);
        assert!(none.allowed_origins.is_empty());

        let vars: HashMap<&str, &str> = [
            (
                "CHARGEDESK_OCPP_ALLOWED_ORIGINS",
                " https://ops.example.com/, ,http://localhost:3000",
            ),
            ("CHARGEDESK_OCPP_HANDSHAKE_FAILURES_PER_MIN", "3"),
            ("CHARGEDESK_OCPP_CALLS_PER_SEC", "5"),
            ("CHARGEDESK_OCPP_CALL_BURST", "0"),
            ("CHARGEDESK_LOG_QUEUE_MB", "2"),
            ("CHARGEDESK_OCPP_MAX_CONNECTORS", "8"),
            ("CHARGEDESK_DECISION_RETENTION_DAYS", "7"),
            ("CHARGEDESK_METER_VALUE_RETENTION_DAYS", "banana"),
            ("CHARGEDESK_MAIL_RETENTION_DAYS", "14"),
            ("CHARGEDESK_TAP_RECHECK_SECS", "2"),
        ]
        .into();
        let set = OcppConfig::from_lookup(|name| vars.get(name).map(|v| v.to_string()));
        assert_eq!(
            set.allowed_origins,
            ["https://ops.example.com", "http://localhost:3000"]
        );
        assert_eq!(set.handshake_failures_per_min.get(), 3);
        assert_eq!(set.calls_per_sec.get(), 5);
        assert_eq!(set.call_burst.get(), 100, "0 is not a burst: default kept");
        assert_eq!(set.log_queue_bytes, 2 * 1024 * 1024);
        assert_eq!(set.max_connectors, 8);
        assert_eq!(set.decision_retention, DAY * 7);
        assert_eq!(
            set.meter_value_retention,
            DAY * 400,
            "invalid: default kept"
        );
        assert_eq!(set.mail_retention, DAY * 14);
        assert_eq!(set.tap_recheck_interval, Duration::from_secs(2));
    }

    async fn hub() -> (tempfile::TempDir, OcppHub) {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open_sqlite_in(dir.path()).await.unwrap();
        (dir, OcppHub::start(db, OcppConfig::default()))
    }

    fn tap(station: i64, id_tag: &str) -> TapEvent {
        TapEvent {
            station: StationId(station),
            id_tag: id_tag.into(),
            at: storage::now(),
            known: false,
        }
    }

    #[tokio::test]
    async fn a_flood_of_taps_at_one_station_cannot_push_out_another_stations_tap() {
        let (_dir, hub) = hub().await;
        let mut quiet = hub.subscribe_taps(StationId(2));
        let _noisy = hub.subscribe_taps(StationId(1));
        // The quiet station's tap comes first; the listener has not read it yet when the flood arrives.
        hub.publish_tap(tap(2, "04ABCDEF012345"));
        for i in 0..(TAP_CHANNEL * 100) {
            hub.publish_tap(tap(1, &format!("{i}")));
        }
        let received = quiet.recv().await.expect("the quiet station's tap");
        assert_eq!(received.id_tag, "04ABCDEF012345");
    }

    #[tokio::test]
    async fn a_stations_tap_channel_lives_as_long_as_its_listeners() {
        let (_dir, hub) = hub().await;
        hub.publish_tap(tap(1, "nobody listens"));
        assert!(hub.inner.taps().is_empty());
        let first = hub.subscribe_taps(StationId(1));
        let second = hub.subscribe_taps(StationId(1));
        assert_eq!(hub.inner.taps().len(), 1);
        drop(first);
        assert_eq!(hub.inner.taps().len(), 1, "one listener left");
        drop(second);
        assert!(hub.inner.taps().is_empty());
    }

    #[tokio::test]
    async fn missed_credential_changes_close_every_connection() {
        let (_dir, hub) = hub().await;
        let epoch = hub.credentials_epoch();
        let (_, mut a) = hub.register(StationId(1), epoch);
        let (_, mut b) = hub.register(StationId(2), epoch);
        hub.inner.credentials_changed(Some(StationId(1)));
        assert_eq!(a.try_recv(), Ok(CloseReason::CredentialsChanged));
        assert!(b.try_recv().is_err(), "another station's change");
        // A lagging watcher cannot know whose credentials changed: everyone is closed.
        hub.inner.credentials_changed(None);
        assert_eq!(b.try_recv(), Ok(CloseReason::CredentialsChanged));
    }

    #[tokio::test]
    async fn a_change_between_the_password_check_and_registration_still_closes() {
        let (_dir, hub) = hub().await;
        // The endpoint read the epoch, then checked the (old) password; the change lands before register.
        let epoch = hub.credentials_epoch();
        hub.inner.credentials_changed(Some(StationId(1)));
        let (_, mut late) = hub.register(StationId(1), epoch);
        assert_eq!(late.try_recv(), Ok(CloseReason::CredentialsChanged));
        // A connection authenticated after the change stays.
        let (_, mut fresh) = hub.register(StationId(1), hub.credentials_epoch());
        assert!(fresh.try_recv().is_err());
    }

    #[tokio::test]
    async fn a_newer_connection_replaces_the_older_one() {
        let (_dir, hub) = hub().await;
        let epoch = hub.credentials_epoch();
        let (first_gen, mut first) = hub.register(StationId(1), epoch);
        let (second_gen, _second) = hub.register(StationId(1), epoch);
        assert_eq!(first.try_recv(), Ok(CloseReason::Replaced));
        assert!(!hub.unregister(StationId(1), first_gen));
        assert!(hub.is_connected(StationId(1)));
        assert!(hub.unregister(StationId(1), second_gen));
        assert!(!hub.is_connected(StationId(1)));
    }
}
