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
//! - [`commands`]: commands to stations (central-system CALLs) as OCPP frames, and the stations' answers as
//!   the outcome stored with each; [`session`] sends a station's queued commands one at a time, each with
//!   [`OcppConfig::command_timeout`].
//! - [`local_list`]: keeps each connected station's Local Authorization List equal to what Authorize accepts
//!   there, through the same command queue (one run per station at a time, a few stations at a time).
//! - [`taps`]: the live stream of cards tapped at one station (server-sent events), for "Scan at a station";
//!   one channel per station, fed from whichever instance the station is connected to.
//! - [`log`]: every frame in both directions is queued to a writer task that stores them in batches, so logging
//!   never slows down an answer; a pruner deletes frames, authorization decisions and raw meter values older
//!   than their retention periods.
//!
//! OCPP JSON itself is known only to the `ocpp` crate; what a station may do is `storage::ConnectedStation`;
//! who may charge is decided by `shared::decision`.

pub mod commands;
pub mod endpoint;
pub mod guard;
pub mod local_list;
pub mod log;
pub mod session;
pub mod taps;

use shared::ids::StationId;
use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;
use storage::{ConnectedStation, Db, EventGap, Instance, StationEvent, StationEvents};
use tokio::sync::{oneshot, watch};

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
    /// How long this instance's stations stay online without it renewing its lease (it renews every third of
    /// it): after a crash of the instance, its stations read as offline within this time.
    pub instance_lease: Duration,
    /// How long a command sent to a station (a central-system CALL) waits for the station's answer before it
    /// counts as unanswered and the station's next command may be sent.
    pub command_timeout: Duration,
    /// Whether ChargeDesk keeps the stations' Local Authorization Lists in sync ([`local_list`]). Off for a
    /// deployment where another system manages the lists.
    pub local_list_sync: bool,
    /// How many steps of the list sync (each queues one command) an instance takes a second, over all its
    /// stations.
    pub local_list_steps_per_sec: NonZeroU32,
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
            instance_lease: storage::DEFAULT_INSTANCE_LEASE,
            command_timeout: Duration::from_secs(30),
            local_list_sync: true,
            local_list_steps_per_sec: NonZeroU32::new(1_000).expect("non-zero"),
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
    /// | `CHARGEDESK_INSTANCE_LEASE_SECS` | 30 | an instance's lease: its stations go offline this long after it died |
    /// | `CHARGEDESK_OCPP_COMMAND_TIMEOUT_SECS` | 30 | how long a command to a station waits for its answer (at most 3600) |
    /// | `CHARGEDESK_LOCAL_LIST_SYNC` | on | `off` leaves the stations' Local Authorization Lists alone |
    /// | `CHARGEDESK_LOCAL_LIST_STEPS_PER_SEC` | 1000 | list commands an instance queues a second, over all stations |
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
            instance_lease: secs("CHARGEDESK_INSTANCE_LEASE_SECS", default.instance_lease),
            command_timeout: number("CHARGEDESK_OCPP_COMMAND_TIMEOUT_SECS")
                .map_or(default.command_timeout, |s| {
                    Duration::from_secs(s.min(3600))
                }),
            local_list_steps_per_sec: count(
                "CHARGEDESK_LOCAL_LIST_STEPS_PER_SEC",
                default.local_list_steps_per_sec,
            ),
            local_list_sync: !var("CHARGEDESK_LOCAL_LIST_SYNC").is_some_and(|v| {
                matches!(
                    v.trim().to_ascii_lowercase().as_str(),
                    "off" | "false" | "0" | "no"
                )
            }),
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
    /// This server process is shutting down ([`OcppHub::begin_shutdown`]): the station reconnects, through the
    /// load balancer to another instance.
    ShuttingDown,
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
            // 1001 "going away": the server leaves, not the connection's fault.
            Self::ShuttingDown => (1001, "this server is shutting down: reconnect"),
        }
    }
}

/// What the OCPP side shares between connections: the database, live connections, this process's
/// registration as an instance (its lease), the frame-log queue and the handshake guard. Cheap to clone.
///
/// Several instances on one database: a station's connection lives in one instance's registry; what other
/// instances need to know travels as storage events ([`storage::StationEvent`], PostgreSQL notifications):
/// a credential change closes the connection wherever it is, a station's newer connection on another instance
/// closes the older one here ([`StationEvent::Connected`]), and taps reach the tap streams of every instance
/// (stored Authorize decisions announce them, [`Db::subscribe_taps`]). Whether a station is online is its row in the database,
/// valid while the holding instance's lease runs ([`storage::Instance`]).
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
    /// Asks the session to check its station's credentials in the database ([`CloseReason::CredentialsChanged`]
    /// if they changed since it was let in).
    recheck: Arc<tokio::sync::Notify>,
    /// Tells the session that a command for its station was queued ([`StationEvent::CommandQueued`]).
    commands: Arc<tokio::sync::Notify>,
    /// Its Local Authorization List sync, once the session started it ([`OcppHub::list_sync`]).
    lists: Option<Arc<local_list::ListSync>>,
    /// Its nonce in the database, once the session knows it ([`OcppHub::recorded`]).
    nonce: Option<i64>,
    /// Whether its own [`StationEvent::Connected`] has arrived: from then on, another instance's announcement
    /// of the station is of a newer connection (announcements arrive in the order the database recorded them).
    announced: bool,
}

struct Registry {
    /// The current connection of each station.
    connections: HashMap<StationId, Connection>,
    /// Counts the credential changes seen (see [`OcppHub::credentials_epoch`]).
    credentials_epoch: u64,
    /// Set by [`OcppHub::begin_shutdown`]: no connection is registered any more.
    stopping: bool,
}

struct Inner {
    registry: Mutex<Registry>,
    generation: AtomicU64,
    log: log::LogQueue,
    /// This process's registration as an instance, made at start (or, if the database was not reachable then,
    /// by the first station connecting): see [`OcppHub::instance`].
    instance: tokio::sync::OnceCell<Instance>,
    guard: guard::HandshakeGuard,
    /// `true` once the hub shuts down; open tap streams end on it ([`OcppHub::stopped`]).
    stopping: watch::Sender<bool>,
    /// Sessions between their upgrade and their end (see [`SessionTicket`]); the shutdown waits for 0.
    sessions: watch::Sender<usize>,
    /// How many list syncs run at once, and how many steps a second ([`local_list::SyncBudget`]).
    list_budget: Arc<local_list::SyncBudget>,
}

/// How often the handshake guard forgets addresses that have not failed lately.
const GUARD_HOUSEKEEPING: Duration = Duration::from_secs(60);

impl OcppHub {
    /// Starts the frame-log writer, the retention pruner, the station-event watcher and the handshake
    /// guard's housekeeping (tokio tasks), begins registering this process as an instance (see
    /// [`OcppHub::instance`]) and returns the hub.
    pub fn start(db: Db, config: OcppConfig) -> Self {
        let log = log::LogQueue::start(db.clone(), &config);
        // Subscribed before the first connection is accepted, so that no change is missed.
        let events = db.station_events();
        let inner = Arc::new(Inner {
            registry: Mutex::new(Registry {
                connections: HashMap::new(),
                credentials_epoch: 0,
                stopping: false,
            }),
            generation: AtomicU64::new(1),
            log,
            instance: tokio::sync::OnceCell::new(),
            guard: guard::HandshakeGuard::new(config.handshake_failures_per_min),
            stopping: watch::Sender::new(false),
            sessions: watch::Sender::new(0),
            list_budget: local_list::SyncBudget::new(config.local_list_steps_per_sec),
        });
        tokio::spawn(watch_events(Arc::downgrade(&inner), events, db.clone()));
        tokio::spawn(guard_housekeeping(Arc::downgrade(&inner)));
        let hub = Self { db, config, inner };
        let registering = hub.clone();
        tokio::spawn(async move {
            if let Err(error) = registering.instance().await {
                tracing::warn!(error = ?error,
                    "registering this instance failed; the first station that connects tries again");
            }
        });
        hub
    }

    /// This process's registration as an instance ([`storage::Instance`]): made once, at start, with
    /// [`OcppConfig::instance_lease`]; a station connection needs it (its record names the instance), so while
    /// it fails (database unreachable) stations are refused and each connection attempt tries again.
    pub async fn instance(&self) -> Result<&Instance, storage::StorageError> {
        self.inner
            .instance
            .get_or_try_init(|| self.db.start_instance(self.config.instance_lease))
            .await
    }

    /// Retires this process's instance row at the end of a graceful shutdown, once its connections are closed
    /// (see [`storage::Instance::retire`]): stations still recorded with it are marked offline at once instead
    /// of when its lease passes. Does nothing if the instance was never registered.
    pub async fn retire_instance(&self) -> Result<(), storage::StorageError> {
        if let Some(instance) = self.inner.instance.get() {
            instance.retire().await?;
        }
        Ok(())
    }

    /// Notes the database nonce of the connection `generation` of `station` (see [`StationEvent::Connected`]);
    /// call before the connection is recorded in the database.
    pub(crate) fn recorded(&self, station: StationId, generation: u64, nonce: i64) {
        if let Some(connection) = self
            .inner
            .registry()
            .connections
            .get_mut(&station)
            .filter(|c| c.generation == generation)
        {
            connection.nonce = Some(nonce);
        }
    }

    /// A number that changes whenever some station's credentials change. The endpoint reads it before it looks
    /// the station up and hands it to [`OcppHub::register`]: a change committed between the password check and
    /// the registration then still closes the new connection (the event found no connection to close yet).
    pub(crate) fn credentials_epoch(&self) -> u64 {
        self.inner.registry().credentials_epoch
    }

    /// Registers a new connection of `station`, closing the one it replaces. Returns its generation, the
    /// signal that fires when it must close (a newer connection, credentials changed for certain, shutdown), and
    /// the one that fires when its station's credentials may have changed: the session then asks the database
    /// ([`storage::ConnectedStation::credentials_unchanged`]) and closes only if they did — an event can arrive
    /// after the station already logged in with the new credentials. `epoch` is [`OcppHub::credentials_epoch`]
    /// from before the station was authenticated; if some station's credentials changed since, the recheck
    /// fires at once. `None` once the hub shuts down: the connection is not registered (nor replaces one), and
    /// is to be closed with [`CloseReason::ShuttingDown`] without touching the station's state.
    pub(crate) fn register(&self, station: StationId, epoch: u64) -> Option<Registered> {
        let generation = self.inner.generation.fetch_add(1, Ordering::Relaxed);
        let (tx, close) = oneshot::channel();
        let recheck = Arc::new(tokio::sync::Notify::new());
        let commands = Arc::new(tokio::sync::Notify::new());
        commands.notify_one();
        let mut registry = self.inner.registry();
        if registry.stopping {
            return None;
        }
        if registry.credentials_epoch != epoch {
            recheck.notify_one();
        }
        let previous = registry.connections.insert(
            station,
            Connection {
                generation,
                close: Some(tx),
                recheck: recheck.clone(),
                commands: commands.clone(),
                lists: None,
                nonce: None,
                announced: false,
            },
        );
        if let Some(replaced) = previous.and_then(|c| c.close) {
            let _ = replaced.send(CloseReason::Replaced);
        }
        Some(Registered {
            generation,
            close,
            recheck,
            commands,
        })
    }

    /// Starts the Local Authorization List sync of the connection `generation` of `station` (`None` when the
    /// sync is off, or the connection is no longer current).
    pub(crate) fn list_sync(
        &self,
        station: &ConnectedStation,
        generation: u64,
        commands: Arc<tokio::sync::Notify>,
    ) -> Option<Arc<local_list::ListSync>> {
        if !self.config.local_list_sync {
            return None;
        }
        let sync =
            local_list::ListSync::new(station.clone(), commands, self.inner.list_budget.clone());
        let mut registry = self.inner.registry();
        let connection = registry
            .connections
            .get_mut(&station.station_id())
            .filter(|c| c.generation == generation)?;
        connection.lists = Some(sync.clone());
        Some(sync)
    }

    /// Tells the connection `generation` of `station` to close for `reason`, if it is still the current one and
    /// was not told already.
    pub(crate) fn close_connection(
        &self,
        station: StationId,
        generation: u64,
        reason: CloseReason,
    ) {
        let mut registry = self.inner.registry();
        if let Some(tx) = registry
            .connections
            .get_mut(&station)
            .filter(|c| c.generation == generation)
            .and_then(|c| c.close.take())
        {
            let _ = tx.send(reason);
        }
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

    /// Live taps at `station`, from whichever instance it is connected to: its own channel, so a busy station
    /// cannot push another station's taps out of a shared buffer (see [`Db::subscribe_taps`]).
    pub fn subscribe_taps(&self, station: StationId) -> TapSubscription {
        self.db.subscribe_taps(station)
    }

    /// Waits until every queued frame is stored (tests, shutdown).
    pub async fn flush_logs(&self) {
        self.inner.log.flush().await;
    }

    /// Counts a session from its WebSocket upgrade until the ticket is dropped: [`OcppHub::finish_shutdown`]
    /// waits for every ticket. Taken before the upgrade answer is sent, so that a session whose upgrade was
    /// accepted just before the server stopped listening is waited for too.
    pub fn session_ticket(&self) -> SessionTicket {
        self.inner.sessions.send_modify(|n| *n += 1);
        SessionTicket {
            inner: self.inner.clone(),
        }
    }

    /// Whether the hub is shutting down ([`OcppHub::begin_shutdown`]).
    pub fn is_stopping(&self) -> bool {
        *self.inner.stopping.borrow()
    }

    /// Completes once the hub shuts down (at once if it does already).
    pub async fn stopped(&self) {
        let mut stopping = self.inner.stopping.subscribe();
        let _ = stopping.wait_for(|stopping| *stopping).await;
    }

    /// The first step of a graceful shutdown, once the server no longer accepts connections: tells every
    /// station connection to close with [`CloseReason::ShuttingDown`] (1001, so that the station reconnects to
    /// another instance), refuses connections upgraded from now on, and ends open tap streams. Each session
    /// then ends as usual (marking its station offline if it is still its connection). Returns how many
    /// connections were told to close.
    pub fn begin_shutdown(&self) -> usize {
        let mut closed = 0;
        {
            let mut registry = self.inner.registry();
            registry.stopping = true;
            for connection in registry.connections.values_mut() {
                if let Some(tx) = connection.close.take() {
                    let _ = tx.send(CloseReason::ShuttingDown);
                    closed += 1;
                }
            }
        }
        self.inner.stopping.send_replace(true);
        closed
    }

    /// The rest of a graceful shutdown, after [`OcppHub::begin_shutdown`] and once no more requests are
    /// served: waits until every session has ended, then until the frame-log queue is stored, then retires this
    /// instance's row ([`OcppHub::retire_instance`]), all no longer than `deadline`. Returns whether all completed
    /// in time (what did not is logged).
    pub async fn finish_shutdown(&self, deadline: tokio::time::Instant) -> bool {
        let mut sessions = self.inner.sessions.subscribe();
        let ended = tokio::time::timeout_at(deadline, sessions.wait_for(|n| *n == 0))
            .await
            .is_ok();
        if !ended {
            tracing::warn!(
                sessions = *sessions.borrow(),
                "station connections did not end within the shutdown grace period"
            );
        }
        let flushed = tokio::time::timeout_at(deadline, self.flush_logs())
            .await
            .is_ok();
        if !flushed {
            tracing::warn!(
                queued_bytes = self.inner.log.queued_bytes(),
                "the OCPP frame log was not stored completely within the shutdown grace period"
            );
        }
        // Last, the instance's row: a station still recorded with it (a session that did not end in time) is
        // offline at once instead of when the lease passes, and other instances need not clean up after it.
        let retired = match tokio::time::timeout_at(deadline, self.retire_instance()).await {
            Ok(Ok(())) => true,
            Ok(Err(error)) => {
                tracing::warn!(error = ?error, "retiring this instance failed: its lease runs out instead");
                false
            }
            Err(_) => {
                tracing::warn!("retiring this instance did not finish within the shutdown grace period: its lease runs out instead");
                false
            }
        };
        ended && flushed && retired
    }
}

/// A registered connection (see [`OcppHub::register`]).
pub(crate) struct Registered {
    pub generation: u64,
    /// Fires when the connection must close.
    pub close: oneshot::Receiver<CloseReason>,
    /// Fires when the station's credentials may have changed.
    pub recheck: Arc<tokio::sync::Notify>,
    /// Fires when a command for the station may be waiting (it holds a permit from the start, so that the
    /// session looks for queued commands as soon as it runs).
    pub commands: Arc<tokio::sync::Notify>,
}

/// One session counted by the hub's shutdown (see [`OcppHub::session_ticket`]); dropping it ends the count.
pub struct SessionTicket {
    inner: Arc<Inner>,
}

impl Drop for SessionTicket {
    fn drop(&mut self) {
        self.inner.sessions.send_modify(|n| *n -= 1);
    }
}

impl Inner {
    fn registry(&self) -> std::sync::MutexGuard<'_, Registry> {
        self.registry.lock().expect("connection registry lock")
    }

    /// `station`'s credentials changed: its connection (if here) checks them ([`OcppHub::register`]), and the
    /// epoch moves on for handshakes in flight. Returns whether a connection was asked.
    fn credentials_changed(&self, station: StationId) -> bool {
        let mut registry = self.registry();
        registry.credentials_epoch += 1;
        match registry.connections.get(&station) {
            Some(connection) => {
                connection.recheck.notify_one();
                true
            }
            None => false,
        }
    }

    /// The lists of `stations` may have to change: the list sync of each one connected here runs. Returns
    /// how many.
    fn lists_changed(&self, stations: &[StationId]) -> usize {
        let syncs: Vec<_> = {
            let registry = self.registry();
            stations
                .iter()
                .filter_map(|s| registry.connections.get(s).and_then(|c| c.lists.clone()))
                .collect()
        };
        for sync in &syncs {
            sync.request();
        }
        syncs.len()
    }

    /// A command for `station` was queued: its connection, if here, looks at its queue. Returns whether one
    /// was told.
    fn command_queued(&self, station: StationId) -> bool {
        match self.registry().connections.get(&station) {
            Some(connection) => {
                connection.commands.notify_one();
                true
            }
            None => false,
        }
    }

    /// Events may have been missed (or the lease was lost): nobody can tell whose credentials changed, so
    /// every connection is told to close (the stations reconnect at once), and the epoch moves on.
    fn close_every_connection(&self) -> usize {
        let mut registry = self.registry();
        registry.credentials_epoch += 1;
        let mut closed = 0;
        for connection in registry.connections.values_mut() {
            if let Some(tx) = connection.close.take() {
                let _ = tx.send(CloseReason::CredentialsChanged);
                closed += 1;
            }
        }
        closed
    }

    /// A connection of `station` with nonce `nonce` was recorded (`own`: by this instance). Our own
    /// announcement marks our connection as announced; another instance's, once ours was announced, means its
    /// connection is newer: ours is told to close ([`CloseReason::Replaced`]). Returns whether it was.
    fn connected_elsewhere(&self, station: StationId, nonce: i64, own: bool) -> bool {
        let mut registry = self.registry();
        let Some(connection) = registry.connections.get_mut(&station) else {
            return false;
        };
        if own {
            if connection.nonce == Some(nonce) {
                connection.announced = true;
            }
            return false;
        }
        if !connection.announced || connection.nonce == Some(nonce) {
            // Recorded after the other instance's connection (our own announcement is still to come): ours is
            // the newer one, and the other instance closes its connection when our announcement arrives.
            return false;
        }
        match connection.close.take() {
            Some(tx) => {
                let _ = tx.send(CloseReason::Replaced);
                true
            }
            None => false,
        }
    }
}

pub use storage::TapSubscription;

/// Acts on station events from every instance: closes the connection whose credentials changed
/// ([`StationEvent::CredentialsChanged`]) and the one that another instance's newer connection of its station
/// replaced ([`StationEvent::Connected`]), and tells a connection that a command for its station was queued
/// ([`StationEvent::CommandQueued`]). If events may have been missed it cannot know whose credentials
/// changed, so it closes every connection (they reconnect at once); so too when this instance's lease was lost.
async fn watch_events(inner: Weak<Inner>, mut events: StationEvents, db: Db) {
    loop {
        let event = events.recv().await;
        let Some(inner) = inner.upgrade() else { return };
        match event {
            Ok(StationEvent::CredentialsChanged(station)) => {
                if inner.credentials_changed(station) {
                    tracing::debug!(%station, "station credentials changed: its connection checks them");
                }
            }
            Ok(StationEvent::Connected {
                station,
                connection,
                instance,
            }) => {
                let own = inner.instance.get().map(Instance::id);
                if inner.connected_elsewhere(station, connection, own == Some(instance)) {
                    tracing::info!(%station, %instance,
                        "station connected to another instance: closing the older connection here");
                }
            }
            Ok(
                event @ (StationEvent::LocalListsChanged(_) | StationEvent::LocalListChanged(_)),
            ) => {
                // Which of this instance's stations it concerns is a query: not in this loop.
                if let Some(instance) = inner.instance.get().map(Instance::id) {
                    let inner = Arc::downgrade(&inner);
                    let db = db.clone();
                    tokio::spawn(async move {
                        match db.list_sync_stations(instance, event).await {
                            Ok(stations) => {
                                if let Some(inner) = inner.upgrade() {
                                    let n = inner.lists_changed(&stations);
                                    tracing::debug!(
                                        stations = n,
                                        "local lists to sync after a change"
                                    );
                                }
                            }
                            Err(error) => tracing::warn!(error = ?error,
                                "finding the stations a change of the local lists concerns failed"),
                        }
                    });
                }
            }
            Ok(StationEvent::CommandQueued(station)) => {
                if inner.command_queued(station) {
                    tracing::debug!(%station, "a command was queued for a station connected here");
                }
            }
            Err(gap @ (EventGap::Missed | EventGap::LeaseLost)) => {
                let closed = inner.close_every_connection();
                if gap == EventGap::Missed {
                    tracing::warn!(
                        closed,
                        "missed station events: closing every station connection to be safe"
                    );
                } else {
                    tracing::warn!(closed,
                        "this instance's lease was lost: closing every station connection so that they are recorded again");
                }
            }
            Err(EventGap::Closed) => return,
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
            ("CHARGEDESK_INSTANCE_LEASE_SECS", "9"),
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
        assert_eq!(set.instance_lease, Duration::from_secs(9));
        assert_eq!(none.instance_lease, Duration::from_secs(30));
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
        hub.db.publish_tap(&tap(2, "04ABCDEF012345")).await.unwrap();
        for i in 0..(storage::TAP_CHANNEL * 100) {
            hub.db.publish_tap(&tap(1, &format!("{i}"))).await.unwrap();
        }
        let received = quiet.recv().await.expect("the quiet station's tap");
        assert_eq!(received.id_tag, "04ABCDEF012345");
    }

    #[tokio::test]
    async fn a_stations_tap_channel_lives_as_long_as_its_listeners() {
        let (_dir, hub) = hub().await;
        hub.db.publish_tap(&tap(1, "nobody listens")).await.unwrap();
        assert_eq!(hub.db.tap_channels(), 0);
        let first = hub.subscribe_taps(StationId(1));
        let second = hub.subscribe_taps(StationId(1));
        assert_eq!(hub.db.tap_channels(), 1);
        drop(first);
        assert_eq!(hub.db.tap_channels(), 1, "one listener left");
        drop(second);
        assert_eq!(hub.db.tap_channels(), 0);
    }

    /// Whether `recheck` fired (consuming it).
    async fn fired(recheck: &tokio::sync::Notify) -> bool {
        tokio::time::timeout(Duration::from_millis(50), recheck.notified())
            .await
            .is_ok()
    }

    #[tokio::test]
    async fn a_credentials_event_has_only_that_stations_connection_check_and_missed_events_close_all(
    ) {
        let (_dir, hub) = hub().await;
        let epoch = hub.credentials_epoch();
        let mut a = hub.register(StationId(1), epoch).unwrap();
        let mut b = hub.register(StationId(2), epoch).unwrap();
        assert!(hub.inner.credentials_changed(StationId(1)));
        assert!(fired(&a.recheck).await, "the station's connection checks");
        assert!(!fired(&b.recheck).await, "another station's change");
        assert!(a.close.try_recv().is_err(), "checking is not closing");
        // A lagging watcher cannot know whose credentials changed: everyone is closed.
        assert_eq!(hub.inner.close_every_connection(), 2);
        assert_eq!(a.close.try_recv(), Ok(CloseReason::CredentialsChanged));
        assert_eq!(b.close.try_recv(), Ok(CloseReason::CredentialsChanged));
    }

    #[tokio::test]
    async fn a_change_between_the_password_check_and_registration_is_checked() {
        let (_dir, hub) = hub().await;
        // The endpoint read the epoch, then checked the (old) password; the change lands before register.
        let epoch = hub.credentials_epoch();
        assert!(!hub.inner.credentials_changed(StationId(1)));
        let late = hub.register(StationId(1), epoch).unwrap();
        assert!(fired(&late.recheck).await);
        // A connection authenticated after the change has nothing to check.
        let fresh = hub.register(StationId(1), hub.credentials_epoch()).unwrap();
        assert!(!fired(&fresh.recheck).await);
    }

    #[tokio::test]
    async fn another_instances_announcement_closes_only_a_connection_announced_before_it() {
        let (_dir, hub) = hub().await;
        let epoch = hub.credentials_epoch();
        let Registered {
            generation,
            close: mut here,
            ..
        } = hub.register(StationId(1), epoch).unwrap();
        hub.recorded(StationId(1), generation, 11);
        // The other instance's connection was recorded before ours (its announcement comes first): ours is
        // the newer one and stays.
        assert!(!hub.inner.connected_elsewhere(StationId(1), 22, false));
        assert!(here.try_recv().is_err());
        // Someone else's announcement of our own nonce, and our own announcement of another nonce, close
        // nothing.
        assert!(!hub.inner.connected_elsewhere(StationId(1), 11, false));
        assert!(!hub.inner.connected_elsewhere(StationId(1), 33, true));
        assert!(here.try_recv().is_err());
        // Our announcement arrives; another instance's after it is of a newer connection: ours closes.
        assert!(!hub.inner.connected_elsewhere(StationId(1), 11, true));
        assert!(
            !hub.inner.connected_elsewhere(StationId(2), 44, false),
            "another station"
        );
        assert!(here.try_recv().is_err());
        assert!(hub.inner.connected_elsewhere(StationId(1), 44, false));
        assert_eq!(here.try_recv(), Ok(CloseReason::Replaced));
        // It is still registered until its session ends, and is not told twice.
        assert!(!hub.inner.connected_elsewhere(StationId(1), 55, false));
        assert!(hub.unregister(StationId(1), generation));
    }

    #[tokio::test]
    async fn a_newer_connection_replaces_the_older_one() {
        let (_dir, hub) = hub().await;
        let epoch = hub.credentials_epoch();
        let Registered {
            generation: first_gen,
            close: mut first,
            ..
        } = hub.register(StationId(1), epoch).unwrap();
        let Registered {
            generation: second_gen,
            close: _second,
            ..
        } = hub.register(StationId(1), epoch).unwrap();
        assert_eq!(first.try_recv(), Ok(CloseReason::Replaced));
        assert!(!hub.unregister(StationId(1), first_gen));
        assert!(hub.is_connected(StationId(1)));
        assert!(hub.unregister(StationId(1), second_gen));
        assert!(!hub.is_connected(StationId(1)));
    }

    #[tokio::test]
    async fn a_shutdown_closes_every_connection_and_registers_none_after() {
        let (_dir, hub) = hub().await;
        let epoch = hub.credentials_epoch();
        let Registered { close: mut a, .. } = hub.register(StationId(1), epoch).unwrap();
        let Registered { close: mut b, .. } = hub.register(StationId(2), epoch).unwrap();
        assert!(!hub.is_stopping());
        assert_eq!(hub.begin_shutdown(), 2);
        assert!(hub.is_stopping());
        assert_eq!(a.try_recv(), Ok(CloseReason::ShuttingDown));
        assert_eq!(b.try_recv(), Ok(CloseReason::ShuttingDown));
        assert_eq!(CloseReason::ShuttingDown.close_frame().0, 1001);
        // A connection upgraded after the signal is not registered, and replaces nothing: station 1's
        // connection stays the current one, so that its own end marks the station offline.
        assert!(hub.register(StationId(1), epoch).is_none());
        assert!(hub.is_connected(StationId(1)));
        // Tap streams wait on this.
        tokio::time::timeout(Duration::from_secs(5), hub.stopped())
            .await
            .expect("stopped completes once the hub shuts down");
    }

    #[tokio::test]
    async fn the_shutdown_waits_for_every_session_until_its_deadline() {
        let (_dir, hub) = hub().await;
        let ending = hub.session_ticket();
        let stuck = hub.session_ticket();
        hub.begin_shutdown();
        let task = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(50)).await;
            drop(ending);
        });
        // One session never ends: the deadline ends the wait, and says so.
        let deadline = tokio::time::Instant::now() + Duration::from_millis(300);
        assert!(!hub.finish_shutdown(deadline).await);
        task.await.unwrap();
        assert_eq!(*hub.inner.sessions.borrow(), 1);
        drop(stuck);
        // Every session ended: the wait returns (the far deadline is only a guard).
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        assert!(hub.finish_shutdown(deadline).await);
    }
}
