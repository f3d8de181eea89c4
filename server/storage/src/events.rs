//! Changes that live station connections must react to, carried to every server instance on the database.
//!
//! A station's connection lives in one instance; the browser, or the change that concerns the station, may be on
//! another. Events therefore travel through the database itself:
//!
//! - **PostgreSQL**: an event is a `NOTIFY` on [`CHANNEL`] (`pg_notify`), sent inside the transaction of the
//!   change it reports, so that it is delivered when — and only if — that transaction commits, in commit order.
//!   Every [`Db`] keeps one `LISTEN` connection (sqlx's `PgListener`) that hands what arrives to the local
//!   subscribers. The publishing process hears its own events through that listener too, and only there:
//!   every subscriber gets each event exactly once. When the listening connection drops it is re-established
//!   with back-off, and then every subscriber is told that it may have missed events ([`EventGap::Missed`]).
//! - **SQLite** (one process): the same events go straight to the local subscribers after the commit.
//!
//! Payloads are small JSON documents with a version ([`WIRE_VERSION`]) and a kind. Anyone with access to the
//! database can `NOTIFY` on the channel, so a notification is only a hint: a payload that does not parse, has
//! another version or out-of-range values is logged and ignored, and none of the events lets its sender do
//! more than close a connection (the station reconnects), show a card number in a tap stream that an
//! administrator opened, or make the instances read the authorization decisions' inputs from the database
//! again ([`DecisionCache`]).
//!
//! Two kinds of subscriptions:
//!
//! - [`Db::station_events`]: [`StationEvent`]s for the hub of live connections (credentials changed, station
//!   connected elsewhere). One broadcast channel; a subscriber that falls behind, or a listener that lost its
//!   connection, gets [`EventGap::Missed`] and must assume that anything happened.
//! - [`Db::subscribe_taps`]: the cards held against one station's reader ("Scan at a station"), one channel per
//!   station with listeners, so that a busy station cannot push another station's taps out of a shared
//!   buffer; the listener task hands a tap straight to its station's channel. Tap listeners are not told about
//!   a gap: a tap lost while the listening connection was re-established is a card to hold to the reader again.
//!
//! Commands to stations use the same channel: the command is stored in `station_commands` in the transaction
//! that creates it, and [`StationEvent::CommandQueued`] announces it; the instance whose registry holds the
//! station's connection claims it, sends it and stores the answer in that row, which the requesting instance
//! reads. A missed announcement ([`EventGap::Missed`]) closes every connection anyway, and a connection looks
//! for queued commands when it starts.

use crate::db::{Backend, Conn, Db};
use crate::decision_cache::DecisionCache;
use crate::error::StorageError;
use crate::instances::InstanceId;
use serde::{Deserialize, Serialize};
use shared::ids::StationId;
use shared::model::TapEvent;
use shared::time::Timestamp;
use shared::OrgId;
use sqlx::postgres::PgListener;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{broadcast, watch};

/// The PostgreSQL notification channel of station events.
pub const CHANNEL: &str = "chargedesk_station_events";

/// The version of the notification payloads this build sends and understands; others are ignored.
pub const WIRE_VERSION: u32 = 1;

/// How many station events a slow subscriber may fall behind before it is told it missed some. Large, because
/// an instance that dies sends all its stations to the others at once, each announcing its new connection.
const CAPACITY: usize = 16 * 1024;

/// Taps waiting in one station's channel for a slow listener; a tap is a person at a reader, so a listener
/// that falls this far behind only ever misses its own station's taps.
pub const TAP_CHANNEL: usize = 16;

/// The longest idTag a tap may carry (OCPP 1.6 `IdToken` is a CiString20).
const MAX_ID_TAG: usize = 20;

/// Taps in one notification: each is at most ~200 bytes of JSON (an idTag of 20 characters, each escaped at
/// worst to 6 bytes), and PostgreSQL refuses payloads over 8,000 bytes.
const TAPS_PER_NOTIFICATION: usize = 30;

/// The first and the longest wait before connecting the listener again.
const RECONNECT_FIRST: Duration = Duration::from_millis(100);
const RECONNECT_MAX: Duration = Duration::from_secs(10);

/// Something happened to a station that its open OCPP connection — wherever it is — must act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StationEvent {
    /// The station's password was set, changed or removed, or its "allow unauthenticated connections" choice
    /// changed: an open connection was authenticated under the old rules and must be closed at once (the
    /// station reconnects with its new credentials).
    CredentialsChanged(StationId),
    /// The station now has a connection with the nonce `connection` on the instance `instance` (announced in
    /// the transaction that recorded it, so these arrive in the order the connections were recorded). Any other
    /// instance's connection of the station whose own announcement came earlier is older and must close; the
    /// nonce keeps the older one from marking the station offline when it does.
    Connected {
        /// The station.
        station: StationId,
        /// The connection's nonce (`stations.connection_nonce`).
        connection: i64,
        /// The instance holding it.
        instance: InstanceId,
    },
    /// A command for the station was queued ([`crate::OrgAdmin::queue_command`]): the instance holding its
    /// connection sends it. The notification carries no command, only the station: the queue is read from
    /// the database, so a forged one costs a query.
    CommandQueued(StationId),
    /// What authorization decisions are taken from changed for the passes of an organization (added,
    /// deleted, a mode changed) or its access mode: the Local Authorization Lists of the stations of the
    /// organization, of its ancestors (whose lists hold its passes) and of its sub-organizations (which inherit
    /// its access mode) may have to change. The instances holding such stations' connections plan their lists
    /// again (`storage::local_lists`). Only a hint: a forged one costs a query per instance.
    LocalListsChanged(OrgId),
    /// One station's list may have to change (its access mode changed, or an administrator asked for a full
    /// list).
    LocalListChanged(StationId),
}

/// Why a subscription could not deliver the next event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventGap {
    /// Events may have been lost: the subscriber fell behind, or the database's notification connection was
    /// lost and has been re-established. Assume that anything happened (e.g. any station's credentials
    /// changed).
    Missed,
    /// This instance's lease ran out and another instance cleaned up after it: its stations were marked
    /// offline although their connections are open. The instance registered again; its connections should be
    /// closed so that the stations reconnect and are recorded again.
    LeaseLost,
    /// The database handle is gone: no more events.
    Closed,
}

/// What the local station-event channel carries.
#[derive(Debug, Clone, Copy)]
enum Delivery {
    Event(StationEvent),
    Gap(EventGap),
}

/// A subscription to [`StationEvent`]s (see [`Db::station_events`]).
pub struct StationEvents {
    receiver: broadcast::Receiver<Delivery>,
}

impl StationEvents {
    /// The next event, or why there is none.
    pub async fn recv(&mut self) -> Result<StationEvent, EventGap> {
        Self::map(self.receiver.recv().await)
    }

    /// The next event if one is waiting, without waiting; `None` if none is.
    pub fn try_recv(&mut self) -> Option<Result<StationEvent, EventGap>> {
        match self.receiver.try_recv() {
            Err(broadcast::error::TryRecvError::Empty) => None,
            Ok(delivery) => Some(Self::map(Ok(delivery))),
            Err(broadcast::error::TryRecvError::Lagged(_)) => Some(Err(EventGap::Missed)),
            Err(broadcast::error::TryRecvError::Closed) => Some(Err(EventGap::Closed)),
        }
    }

    fn map(
        received: Result<Delivery, broadcast::error::RecvError>,
    ) -> Result<StationEvent, EventGap> {
        match received {
            Ok(Delivery::Event(event)) => Ok(event),
            Ok(Delivery::Gap(gap)) => Err(gap),
            Err(broadcast::error::RecvError::Lagged(_)) => Err(EventGap::Missed),
            Err(broadcast::error::RecvError::Closed) => Err(EventGap::Closed),
        }
    }
}

/// The listening side of one station's taps (see [`Db::subscribe_taps`]). Dropping the last one drops the
/// station's channel.
pub struct TapSubscription {
    receiver: broadcast::Receiver<TapEvent>,
    station: StationId,
    taps: Arc<TapChannels>,
}

impl TapSubscription {
    /// The next tap at the station. `Lagged` if this listener fell behind (older taps were dropped).
    pub async fn recv(&mut self) -> Result<TapEvent, broadcast::error::RecvError> {
        self.receiver.recv().await
    }
}

impl Drop for TapSubscription {
    fn drop(&mut self) {
        let mut channels = self.taps.lock();
        // Our own receiver is still alive here; it is the last one when the count is 1.
        if channels
            .get(&self.station)
            .is_some_and(|channel| channel.receiver_count() <= 1)
        {
            channels.remove(&self.station);
        }
    }
}

/// The per-station tap channels that have listeners.
#[derive(Debug, Default)]
struct TapChannels(Mutex<HashMap<StationId, broadcast::Sender<TapEvent>>>);

impl TapChannels {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<StationId, broadcast::Sender<TapEvent>>> {
        self.0.lock().expect("tap channels lock")
    }

    /// Hands `tap` to its station's listeners; nobody listening (the normal case) costs a map lookup.
    fn deliver(&self, tap: TapEvent) {
        if let Some(channel) = self.lock().get(&tap.station) {
            let _ = channel.send(tap);
        }
    }
}

/// The local side of the events, shared by every clone of a [`Db`].
#[derive(Debug, Clone)]
pub(crate) struct Events {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    control: broadcast::Sender<Delivery>,
    taps: Arc<TapChannels>,
    /// This handle's name in the taps it announces to the other instances ([`Body::Taps`]): its own listener
    /// skips them, as they were delivered here when they happened ([`Db::tap_here`]).
    origin: i64,
    /// Dropped with the last clone of the [`Db`]: ends the listener task.
    _stop: watch::Sender<()>,
}

impl Events {
    /// In-process events only (SQLite).
    pub(crate) fn local() -> Self {
        Self::new().0
    }

    /// Events through PostgreSQL: listens on [`CHANNEL`] with a connection of its own to `url` before
    /// returning (so that nothing committed after [`Db::connect`] returns is missed), and keeps listening in a
    /// background task until the last clone of the [`Db`] is dropped.
    pub(crate) async fn listening(
        url: &str,
        decision_cache: Arc<DecisionCache>,
    ) -> Result<Self, StorageError> {
        let listener = listen(url).await?;
        let (events, stop) = Self::new();
        let receivers = Receivers {
            control: events.shared.control.clone(),
            taps: events.shared.taps.clone(),
            origin: events.shared.origin,
            decision_cache,
        };
        tokio::spawn(keep_listening(url.to_owned(), listener, receivers, stop));
        Ok(events)
    }

    fn new() -> (Self, watch::Receiver<()>) {
        let (control, _) = broadcast::channel(CAPACITY);
        let (stop, stopped) = watch::channel(());
        let events = Self {
            shared: Arc::new(Shared {
                control,
                taps: Default::default(),
                origin: rand::random::<i64>(),
                _stop: stop,
            }),
        };
        (events, stopped)
    }

    /// Tells this process's subscribers that its lease was lost (see [`EventGap::LeaseLost`]).
    pub(crate) fn lease_lost(&self) {
        let _ = self.shared.control.send(Delivery::Gap(EventGap::LeaseLost));
    }
}

/// An event announced in a transaction: call [`Announced::after_commit`] once the transaction committed.
#[must_use = "call after_commit once the transaction is committed"]
pub(crate) struct Announced {
    /// SQLite: the event and where to deliver it. PostgreSQL: nothing left to do (the commit sends it).
    local: Option<(StationEvent, broadcast::Sender<Delivery>)>,
}

impl Announced {
    /// Delivers the event to this process's subscribers (SQLite); on PostgreSQL the commit already sent it.
    pub(crate) fn after_commit(self) {
        if let Some((event, control)) = self.local {
            let _ = control.send(Delivery::Event(event));
        }
    }
}

impl Db {
    /// Announces `event` in `tx` and commits it: the event is delivered when, and only if, the change commits.
    pub(crate) async fn commit_announcing(
        &self,
        mut tx: crate::db::WriteTx,
        event: StationEvent,
    ) -> Result<(), StorageError> {
        let announced = self.announce(&mut tx, event).await?;
        tx.commit().await?;
        announced.after_commit();
        Ok(())
    }
}

impl Db {
    /// Station events from now on (see [`StationEvent`] and [`EventGap`]), from every instance on this
    /// database.
    pub fn station_events(&self) -> StationEvents {
        StationEvents {
            receiver: self.events.shared.control.subscribe(),
        }
    }

    /// Live taps at `station`, from whichever instance the station is connected to. Each station has its own
    /// channel, created by its first listener and dropped with its last.
    pub fn subscribe_taps(&self, station: StationId) -> TapSubscription {
        let taps = self.events.shared.taps.clone();
        let receiver = taps
            .lock()
            .entry(station)
            .or_insert_with(|| broadcast::channel(TAP_CHANNEL).0)
            .subscribe();
        TapSubscription {
            receiver,
            station,
            taps,
        }
    }

    /// How many stations have tap listeners in this process (each has one channel).
    pub fn tap_channels(&self) -> usize {
        self.events.shared.taps.lock().len()
    }

    /// Delivers a card held against a station's reader to the listeners of that station on every instance.
    pub async fn publish_tap(&self, tap: &TapEvent) -> Result<(), StorageError> {
        match self.backend {
            Backend::Sqlite => {
                self.events.shared.taps.deliver(tap.clone());
                Ok(())
            }
            Backend::Postgres => {
                let payload = encode(&Body::Tap {
                    station: tap.station.0,
                    id_tag: tap.id_tag.clone(),
                    at: tap.at.0,
                    known: tap.known,
                });
                sqlx::query("SELECT pg_notify($1, $2)")
                    .bind(CHANNEL)
                    .bind(payload)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }
        }
    }

    /// Announces, in the transaction `tx` of the change, that what authorization decisions are taken from may
    /// have changed: on PostgreSQL a `NOTIFY` that the commit sends to every instance (each one, this one too,
    /// then invalidates its [`DecisionCache`]); nothing on SQLite, whose one process invalidates its cache after
    /// the commit ([`crate::db::WriteTx::commit`]).
    pub(crate) async fn announce_decision_inputs_changed(
        &self,
        tx: &mut Conn,
    ) -> Result<(), StorageError> {
        if self.backend == Backend::Postgres {
            sqlx::query("SELECT pg_notify($1, $2)")
                .bind(CHANNEL)
                .bind(encode(&Body::DecisionInputsChanged {}))
                .execute(&mut *tx)
                .await?;
        }
        Ok(())
    }

    /// Delivers a card held against a station's reader to this instance's listeners of the station at once
    /// (the other instances hear of it with its decision's commit, [`Db::announce_taps`]).
    pub(crate) fn tap_here(&self, tap: TapEvent) {
        self.events.shared.taps.deliver(tap);
    }

    /// Announces the cards held against station readers (the Authorize decisions stored in `tx`) to the
    /// listeners on the other instances: on PostgreSQL a few notifications, each with up to
    /// [`TAPS_PER_NOTIFICATION`] taps, that the commit sends, naming this handle as their origin so that its own
    /// listener skips them; nothing on SQLite (one instance). This instance delivered them when they happened
    /// ([`Db::tap_here`]).
    pub(crate) async fn announce_taps(
        &self,
        tx: &mut Conn,
        taps: &[TapEvent],
    ) -> Result<(), StorageError> {
        if self.backend == Backend::Postgres {
            for chunk in taps.chunks(TAPS_PER_NOTIFICATION) {
                let body = Body::Taps {
                    origin: self.events.shared.origin,
                    taps: chunk.iter().map(WireTap::from).collect(),
                };
                sqlx::query("SELECT pg_notify($1, $2)")
                    .bind(CHANNEL)
                    .bind(encode(&body))
                    .execute(&mut *tx)
                    .await?;
            }
        }
        Ok(())
    }

    /// Announces `event` in the transaction `tx` of the change it reports: on PostgreSQL a `NOTIFY` that the
    /// commit sends (and a rollback discards); on SQLite [`Announced::after_commit`] delivers it.
    pub(crate) async fn announce(
        &self,
        tx: &mut Conn,
        event: StationEvent,
    ) -> Result<Announced, StorageError> {
        match self.backend {
            Backend::Sqlite => Ok(Announced {
                local: Some((event, self.events.shared.control.clone())),
            }),
            Backend::Postgres => {
                sqlx::query("SELECT pg_notify($1, $2)")
                    .bind(CHANNEL)
                    .bind(encode(&Body::from(event)))
                    .execute(&mut *tx)
                    .await?;
                Ok(Announced { local: None })
            }
        }
    }
}

/// A notification's payload: `{"v": 1, "event": {"kind": "…", …}}`.
#[derive(Debug, Serialize, Deserialize)]
struct Envelope<B> {
    v: u32,
    event: B,
}

/// The events as they travel (ids as plain numbers). Unknown fields are refused: a payload is either exactly
/// what this version sends or ignored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
enum Body {
    CredentialsChanged {
        station: i64,
    },
    Connected {
        station: i64,
        connection: i64,
        instance: i64,
    },
    Tap {
        station: i64,
        id_tag: String,
        at: i64,
        known: bool,
    },
    /// A change to what authorization decisions are taken from (see [`DecisionCache`]) committed.
    DecisionInputsChanged {},
    /// A command for the station was queued.
    CommandQueued {
        station: i64,
    },
    /// The lists of an organization's stations may have to change.
    LocalListsChanged {
        org: i64,
    },
    /// A station's list may have to change.
    LocalListChanged {
        station: i64,
    },
    /// Several taps, as the log writer stores a batch of Authorize decisions; `origin` names the sending
    /// handle (its own listener skips them).
    Taps {
        origin: i64,
        taps: Vec<WireTap>,
    },
}

/// One tap in [`Body::Taps`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct WireTap {
    station: i64,
    id_tag: String,
    at: i64,
    known: bool,
}

impl From<&TapEvent> for WireTap {
    fn from(tap: &TapEvent) -> Self {
        Self {
            station: tap.station.0,
            id_tag: tap.id_tag.clone(),
            at: tap.at.0,
            known: tap.known,
        }
    }
}

impl From<StationEvent> for Body {
    fn from(event: StationEvent) -> Self {
        match event {
            StationEvent::CredentialsChanged(station) => {
                Body::CredentialsChanged { station: station.0 }
            }
            StationEvent::Connected {
                station,
                connection,
                instance,
            } => Body::Connected {
                station: station.0,
                connection,
                instance: instance.0,
            },
            StationEvent::CommandQueued(station) => Body::CommandQueued { station: station.0 },
            StationEvent::LocalListsChanged(org) => Body::LocalListsChanged { org: org.0 },
            StationEvent::LocalListChanged(station) => {
                Body::LocalListChanged { station: station.0 }
            }
        }
    }
}

fn encode(body: &Body) -> String {
    serde_json::to_string(&Envelope {
        v: WIRE_VERSION,
        event: body,
    })
    .expect("station events serialize")
}

/// What a notification's payload says, if it is one this version understands and its values are plausible.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Decoded {
    Station(StationEvent),
    /// Taps, and the handle that sent them if the payload says.
    Taps(Option<i64>, Vec<TapEvent>),
    DecisionInputsChanged,
}

/// Why a payload was ignored (for the log).
fn decode(payload: &str) -> Result<Decoded, &'static str> {
    #[derive(Deserialize)]
    struct Version {
        v: u32,
    }
    let version: Version = serde_json::from_str(payload).map_err(|_| "not a station event")?;
    if version.v != WIRE_VERSION {
        return Err("another payload version");
    }
    let envelope: Envelope<Body> =
        serde_json::from_str(payload).map_err(|_| "not a station event of this version")?;
    fn station(id: i64) -> Result<StationId, &'static str> {
        if id > 0 {
            Ok(StationId(id))
        } else {
            Err("not a station id")
        }
    }
    fn tap(wire: WireTap) -> Result<TapEvent, &'static str> {
        if wire.id_tag.is_empty() || wire.id_tag.chars().count() > MAX_ID_TAG {
            return Err("not an idTag");
        }
        Ok(TapEvent {
            station: station(wire.station)?,
            id_tag: wire.id_tag,
            at: Timestamp(wire.at),
            known: wire.known,
        })
    }
    Ok(match envelope.event {
        Body::CredentialsChanged { station: id } => {
            Decoded::Station(StationEvent::CredentialsChanged(station(id)?))
        }
        Body::Connected {
            station: id,
            connection,
            instance,
        } => Decoded::Station(StationEvent::Connected {
            station: station(id)?,
            connection,
            instance: InstanceId(instance),
        }),
        Body::Tap {
            station: id,
            id_tag,
            at,
            known,
        } => Decoded::Taps(
            None,
            vec![tap(WireTap {
                station: id,
                id_tag,
                at,
                known,
            })?],
        ),
        Body::Taps { origin, taps } => {
            if taps.is_empty() || taps.len() > TAPS_PER_NOTIFICATION {
                return Err("not a number of taps this version sends");
            }
            Decoded::Taps(
                Some(origin),
                taps.into_iter().map(tap).collect::<Result<_, _>>()?,
            )
        }
        Body::DecisionInputsChanged {} => Decoded::DecisionInputsChanged,
        Body::CommandQueued { station: id } => {
            Decoded::Station(StationEvent::CommandQueued(station(id)?))
        }
        Body::LocalListsChanged { org } if org > 0 => {
            Decoded::Station(StationEvent::LocalListsChanged(OrgId(org)))
        }
        Body::LocalListsChanged { .. } => return Err("not an organization id"),
        Body::LocalListChanged { station: id } => {
            Decoded::Station(StationEvent::LocalListChanged(station(id)?))
        }
    })
}

/// A listening connection to `url` on [`CHANNEL`].
async fn listen(url: &str) -> Result<PgListener, StorageError> {
    let mut listener = PgListener::connect(url).await?;
    // We re-establish the connection ourselves, to tell subscribers they may have missed events.
    listener.eager_reconnect(false);
    listener.listen(CHANNEL).await?;
    Ok(listener)
}

/// Where the listener hands what arrives.
struct Receivers {
    control: broadcast::Sender<Delivery>,
    taps: Arc<TapChannels>,
    /// This handle's origin ([`Body::Taps`]).
    origin: i64,
    decision_cache: Arc<DecisionCache>,
}

/// Hands every notification to the local subscribers until `stop` fires; re-establishes a lost listening
/// connection with back-off and then reports [`EventGap::Missed`] (and drops the cached decision inputs: a
/// change may have been missed).
async fn keep_listening(
    url: String,
    mut listener: PgListener,
    receivers: Receivers,
    mut stop: watch::Receiver<()>,
) {
    let Receivers {
        control,
        taps,
        origin,
        decision_cache,
    } = receivers;
    loop {
        let received = tokio::select! {
            received = listener.try_recv() => received,
            _ = stop.changed() => return,
        };
        match received {
            Ok(Some(notification)) => match decode(notification.payload()) {
                Ok(Decoded::Station(event)) => {
                    let _ = control.send(Delivery::Event(event));
                }
                // Our own: delivered here when they happened.
                Ok(Decoded::Taps(Some(from), _)) if from == origin => {}
                Ok(Decoded::Taps(_, arrived)) => {
                    for tap in arrived {
                        taps.deliver(tap);
                    }
                }
                Ok(Decoded::DecisionInputsChanged) => decision_cache.invalidate(),
                Err(why) => tracing::warn!(
                    why,
                    bytes = notification.payload().len(),
                    sender_pid = notification.process_id(),
                    "ignored a notification on the station event channel"
                ),
            },
            Ok(None) | Err(_) => {
                if let Err(error) = &received {
                    tracing::warn!(error = %error, "the station event listener failed: connecting it again");
                } else {
                    tracing::warn!(
                        "the station event listener lost its connection: connecting it again"
                    );
                }
                drop(listener);
                let mut wait = RECONNECT_FIRST;
                listener = loop {
                    tokio::select! {
                        _ = tokio::time::sleep(wait) => {}
                        _ = stop.changed() => return,
                    }
                    match listen(&url).await {
                        Ok(listener) => break listener,
                        Err(error) => {
                            tracing::warn!(error = ?error, retry_in_ms = wait.as_millis() as u64,
                                "connecting the station event listener failed");
                            wait = (wait * 2).min(RECONNECT_MAX);
                        }
                    }
                };
                tracing::info!("the station event listener is connected again; events in between may have been missed");
                decision_cache.invalidate();
                let _ = control.send(Delivery::Gap(EventGap::Missed));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_round_trip_and_anything_else_is_ignored() {
        let event = StationEvent::Connected {
            station: StationId(7),
            connection: 42,
            instance: InstanceId(9),
        };
        let payload = encode(&Body::from(event));
        assert_eq!(
            payload,
            r#"{"v":1,"event":{"kind":"connected","station":7,"connection":42,"instance":9}}"#
        );
        assert_eq!(decode(&payload), Ok(Decoded::Station(event)));
        let tap = encode(&Body::Tap {
            station: 3,
            id_tag: "04ABCDEF".into(),
            at: 5,
            known: true,
        });
        assert!(
            matches!(decode(&tap), Ok(Decoded::Taps(None, t)) if t.len() == 1 && t[0].id_tag == "04ABCDEF" && t[0].known)
        );
        let wire = |station: i64, id_tag: &str| WireTap {
            station,
            id_tag: id_tag.into(),
            at: 5,
            known: false,
        };
        let taps = encode(&Body::Taps {
            origin: -42,
            taps: vec![wire(3, "04ABCDEF"), wire(4, "AB\"\\\u{1}")],
        });
        assert_eq!(
            taps,
            r#"{"v":1,"event":{"kind":"taps","origin":-42,"taps":[{"station":3,"id_tag":"04ABCDEF","at":5,"known":false},{"station":4,"id_tag":"AB\"\\\u0001","at":5,"known":false}]}}"#
        );
        assert!(
            matches!(decode(&taps), Ok(Decoded::Taps(Some(-42), t)) if t.len() == 2 && t[1].station == StationId(4) && t[1].id_tag == "AB\"\\\u{1}")
        );
        // The largest notification stays below PostgreSQL's limit of 8,000 bytes, even with every character
        // of every idTag escaped.
        let worst = encode(&Body::Taps {
            origin: i64::MIN,
            taps: vec![wire(i64::MAX, &"\u{1}".repeat(MAX_ID_TAG)); TAPS_PER_NOTIFICATION],
        });
        assert!(worst.len() < 8000, "{}", worst.len());
        assert!(decode(&worst).is_ok());
        let too_many = encode(&Body::Taps {
            origin: 1,
            taps: vec![wire(3, "04ABCDEF"); TAPS_PER_NOTIFICATION + 1],
        });
        assert!(decode(&too_many).is_err());
        // One bad tap spoils the notification.
        let one_bad = encode(&Body::Taps {
            origin: 1,
            taps: vec![wire(3, "04ABCDEF"), wire(-1, "04ABCDEF")],
        });
        assert!(decode(&one_bad).is_err());
        let changed = encode(&Body::DecisionInputsChanged {});
        assert_eq!(
            changed,
            r#"{"v":1,"event":{"kind":"decision_inputs_changed"}}"#
        );
        assert_eq!(decode(&changed), Ok(Decoded::DecisionInputsChanged));
        for event in [
            StationEvent::LocalListsChanged(OrgId(3)),
            StationEvent::LocalListChanged(StationId(4)),
        ] {
            assert_eq!(
                decode(&encode(&Body::from(event))),
                Ok(Decoded::Station(event))
            );
        }
        assert!(decode(r#"{"v":1,"event":{"kind":"local_lists_changed","org":0}}"#).is_err());
        let queued = encode(&Body::from(StationEvent::CommandQueued(StationId(12))));
        assert_eq!(
            queued,
            r#"{"v":1,"event":{"kind":"command_queued","station":12}}"#
        );
        assert_eq!(
            decode(&queued),
            Ok(Decoded::Station(StationEvent::CommandQueued(StationId(12))))
        );

        for bad in [
            "",
            "null",
            "not json",
            r#"{"v":2,"event":{"kind":"credentials_changed","station":7}}"#,
            r#"{"v":1,"event":{"kind":"credentials_changed","station":-7}}"#,
            r#"{"v":1,"event":{"kind":"credentials_changed","station":"7"}}"#,
            r#"{"v":1,"event":{"kind":"credentials_changed","station":7,"extra":1}}"#,
            r#"{"v":1,"event":{"kind":"reboot_everything"}}"#,
            r#"{"v":1,"event":{"kind":"tap","station":3,"id_tag":"","at":0,"known":false}}"#,
            r#"{"v":1,"event":{"kind":"tap","station":3,"id_tag":"123456789012345678901","at":0,"known":false}}"#,
            r#"{"v":1}"#,
            r#"{"v":1,"event":{"kind":"decision_inputs_changed","station":7}}"#,
            r#"{"v":1,"event":{"kind":"command_queued","station":0}}"#,
            r#"{"v":1,"event":{"kind":"command_queued","station":3,"command":4}}"#,
            r#"{"v":1,"event":{"kind":"taps","origin":1,"taps":[]}}"#,
            r#"{"v":1,"event":{"kind":"taps","origin":1,"taps":[{"station":3,"id_tag":"","at":0,"known":false}]}}"#,
            r#"{"v":1,"event":{"kind":"taps","origin":1,"taps":[{"station":3,"id_tag":"A","at":0,"known":false,"x":1}]}}"#,
            r#"{"v":1,"event":{"kind":"taps","taps":[{"station":3,"id_tag":"A","at":0,"known":false}]}}"#,
        ] {
            assert!(decode(bad).is_err(), "{bad}");
        }
    }
}
