//! The frame log: every OCPP frame in both directions is queued here and stored in batches by one writer
//! task, so that an answer to a station never waits for the database. A pruner deletes frames older than the
//! retention period once an hour.

use shared::time::Timestamp;
use std::time::Duration;
use storage::{now, Db, NewOcppMessage};
use tokio::sync::{mpsc, oneshot};

/// Frames waiting for the writer. When the queue is full (the database is far behind), frames are dropped
/// and counted rather than slowing the stations down.
const QUEUE_CAPACITY: usize = 20_000;
/// The most frames stored in one transaction.
const BATCH: usize = 500;
/// How long the writer waits for more frames before storing what it has.
const LINGER: Duration = Duration::from_millis(100);

enum Item {
    Frame(NewOcppMessage),
    Flush(oneshot::Sender<()>),
}

/// The sending side of the frame log.
pub struct LogQueue {
    tx: mpsc::Sender<Item>,
}

impl LogQueue {
    /// Spawns the writer and the pruner.
    pub fn start(db: Db, retention: Duration) -> Self {
        let (tx, rx) = mpsc::channel(QUEUE_CAPACITY);
        tokio::spawn(writer(db.clone(), rx));
        tokio::spawn(pruner(db, retention));
        Self { tx }
    }

    /// Queues one frame; never waits.
    pub fn push(&self, frame: NewOcppMessage) {
        if let Err(e) = self.tx.try_send(Item::Frame(frame)) {
            tracing::warn!(error = %e, "OCPP frame log queue full or closed: frame not stored");
        }
    }

    /// Resolves once everything queued before the call is stored.
    pub async fn flush(&self) {
        let (tx, rx) = oneshot::channel();
        if self.tx.send(Item::Flush(tx)).await.is_ok() {
            let _ = rx.await;
        }
    }
}

async fn writer(db: Db, mut rx: mpsc::Receiver<Item>) {
    let mut batch = Vec::with_capacity(BATCH);
    let mut waiting = Vec::new();
    while let Some(first) = rx.recv().await {
        let mut next = Some(first);
        let deadline = tokio::time::Instant::now() + LINGER;
        loop {
            match next.take() {
                Some(Item::Frame(f)) => batch.push(f),
                Some(Item::Flush(done)) => {
                    waiting.push(done);
                    break;
                }
                None => {}
            }
            if batch.len() >= BATCH {
                break;
            }
            match tokio::time::timeout_at(deadline, rx.recv()).await {
                Ok(Some(item)) => next = Some(item),
                Ok(None) | Err(_) => break,
            }
        }
        if !batch.is_empty() {
            if let Err(e) = db.insert_ocpp_messages(&batch).await {
                tracing::error!(error = ?e, frames = batch.len(), "storing OCPP frames failed");
            }
            batch.clear();
        }
        for done in waiting.drain(..) {
            let _ = done.send(());
        }
    }
}

async fn pruner(db: Db, retention: Duration) {
    let mut every = tokio::time::interval(Duration::from_secs(3600));
    loop {
        every.tick().await;
        let cutoff = now().millis() - retention.as_millis() as i64;
        match db.prune_ocpp_messages(Timestamp(cutoff)).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(
                deleted = n,
                "pruned OCPP frames older than the retention period"
            ),
            Err(e) => tracing::error!(error = ?e, "pruning OCPP frames failed"),
        }
    }
}
