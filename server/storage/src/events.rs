//! Changes that live connections must react to, published by storage after the change is committed.
//!
//! Today one process holds every station connection, so the events travel through an in-process broadcast
//! channel owned by [`Db`]. A deployment with several instances on one database (PostgreSQL) carries the same
//! events across instances; the publishers and subscribers here do not change when it does.

use shared::ids::StationId;
use tokio::sync::broadcast;

/// How many events a slow subscriber may fall behind before it is told it lagged.
const CAPACITY: usize = 1024;

/// Something happened to a station that its open OCPP connection must act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StationEvent {
    /// The station's password was set, changed or removed, or its "allow unauthenticated connections" choice
    /// changed: an open connection was authenticated under the old rules and must be closed at once (the
    /// station reconnects with its new credentials).
    CredentialsChanged(StationId),
}

/// The sending side, shared by every clone of a [`crate::Db`].
#[derive(Debug, Clone)]
pub(crate) struct Events {
    tx: broadcast::Sender<StationEvent>,
}

impl Events {
    pub(crate) fn new() -> Self {
        let (tx, _) = broadcast::channel(CAPACITY);
        Self { tx }
    }

    pub(crate) fn publish(&self, event: StationEvent) {
        // No subscriber (e.g. a command-line run) is normal.
        let _ = self.tx.send(event);
    }

    pub(crate) fn subscribe(&self) -> broadcast::Receiver<StationEvent> {
        self.tx.subscribe()
    }
}

impl crate::Db {
    /// Station events from now on (see [`StationEvent`]). A receiver that lags behind gets
    /// `RecvError::Lagged`: it must then assume that any station's credentials changed.
    pub fn station_events(&self) -> broadcast::Receiver<StationEvent> {
        self.events.subscribe()
    }

    /// Publishes `event`; call only after the change it describes is committed.
    pub(crate) fn publish_station_event(&self, event: StationEvent) {
        self.events.publish(event);
    }
}
