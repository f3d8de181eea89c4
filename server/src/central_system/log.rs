//! The frame log: every OCPP frame in both directions is queued here and stored in batches by one writer
//! task, so that an answer to a station never waits for the database. The same writer stores the Authorize
//! decisions ([`LogQueue::queue_decision`]) with the frames: the station is answered once its decision is
//! queued, and the decisions of every station that arrived meanwhile share one transaction instead of one
//! write transaction each (which on SQLite also queued behind each other on the write lock). Unlike a frame, a
//! decision is never dropped: it waits for room in the queue, and a graceful shutdown stores everything queued
//! before the process ends ([`LogQueue::flush`]). What a crash loses is what was queued in the last moments
//! (at most [`LINGER`] of it when the database keeps up): Authorize decisions are the record of a card held to a
//! reader; a transaction's own decision is stored with the transaction, not here. A pruner deletes, once an hour, frames,
//! authorization decisions (and ended station commands, kept as long) and raw meter values older than their
//! retention periods, and the accounts' leftovers:
//! links and log-in challenges long expired, and e-mails sent or given up on long ago.

use super::{OcppConfig, DAY};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use shared::time::Timestamp;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use storage::{now, Db, NewDecision, NewOcppMessage, StationTouch, StorageError};
use tokio::sync::{mpsc, oneshot};

/// The most frames waiting for the writer, whatever their size (see also [`OcppConfig::log_queue_bytes`]).
const QUEUE_CAPACITY: usize = 20_000;
/// The most frames, decisions and touches stored in one transaction. Small enough that a commit does not hold
/// the CPU for long (the database work shares it with the sessions: at 5,000 Authorize/s on one core, p99 3 ms
/// with 100, 5 ms with 500), large enough that commits stay few (50 cost more CPU for the same latency).
const BATCH: usize = 100;
/// How long the writer waits for more frames before storing what it has.
const LINGER: Duration = Duration::from_millis(100);
/// What a queued frame costs besides its text (the struct, the channel slot).
const FRAME_OVERHEAD: usize = 128;
/// Warnings about dropped frames: at most this many per minute.
const DROP_WARNINGS_PER_MIN: u32 = 6;

enum Item {
    Frame(NewOcppMessage, usize),
    /// Stored with the frames; never dropped.
    Decision(NewDecision),
    Touch(StationTouch),
    Flush(oneshot::Sender<()>),
}

/// The bytes waiting for the writer, shared by the queue and the writer.
struct Budget {
    queued: AtomicUsize,
    max: usize,
}

impl Budget {
    /// Reserves `size` bytes unless that would exceed the maximum.
    fn reserve(&self, size: usize) -> bool {
        self.queued
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |queued| {
                queued.checked_add(size).filter(|total| *total <= self.max)
            })
            .is_ok()
    }

    fn release(&self, size: usize) {
        self.queued.fetch_sub(size, Ordering::AcqRel);
    }
}

/// The sending side of the frame log. Bounded twice: at most `QUEUE_CAPACITY` frames and at most
/// [`OcppConfig::log_queue_bytes`] bytes of them; a frame that does not fit is dropped and counted, never waited
/// for.
pub struct LogQueue {
    tx: mpsc::Sender<Item>,
    budget: Arc<Budget>,
    dropped: AtomicU64,
    /// Dropped since the last warning.
    unreported: AtomicU64,
    warnings: DefaultDirectRateLimiter,
}

impl LogQueue {
    /// Spawns the writer and the pruner.
    pub fn start(db: Db, config: &OcppConfig) -> Self {
        let (queue, rx) = Self::new(config.log_queue_bytes);
        tokio::spawn(writer(db.clone(), rx, queue.budget.clone()));
        tokio::spawn(pruner(db, Retention::of(config)));
        queue
    }

    /// The queue without its writer; the receiving side is for [`writer`].
    fn new(max_bytes: usize) -> (Self, mpsc::Receiver<Item>) {
        let (tx, rx) = mpsc::channel(QUEUE_CAPACITY);
        let queue = Self {
            tx,
            budget: Arc::new(Budget {
                queued: AtomicUsize::new(0),
                max: max_bytes,
            }),
            dropped: AtomicU64::new(0),
            unreported: AtomicU64::new(0),
            warnings: RateLimiter::direct(Quota::per_minute(
                NonZeroU32::new(DROP_WARNINGS_PER_MIN).expect("non-zero"),
            )),
        };
        (queue, rx)
    }

    /// Queues one frame; never waits. Returns whether it was queued (else it is dropped and counted).
    pub fn push(&self, frame: NewOcppMessage) -> bool {
        let size = frame_size(&frame);
        if !self.budget.reserve(size) {
            self.dropped_one("byte limit reached");
            return false;
        }
        match self.tx.try_send(Item::Frame(frame, size)) {
            Ok(()) => true,
            Err(e) => {
                self.budget.release(size);
                self.dropped_one(match e {
                    mpsc::error::TrySendError::Full(_) => "frame limit reached",
                    mpsc::error::TrySendError::Closed(_) => "writer stopped",
                });
                false
            }
        }
    }

    fn dropped_one(&self, why: &'static str) {
        self.dropped.fetch_add(1, Ordering::Relaxed);
        let unreported = self.unreported.fetch_add(1, Ordering::Relaxed) + 1;
        if self.warnings.check().is_ok() {
            self.unreported.fetch_sub(unreported, Ordering::Relaxed);
            tracing::warn!(
                why,
                dropped = unreported,
                total_dropped = self.dropped.load(Ordering::Relaxed),
                "OCPP frame log queue full: frames not stored (the database is far behind)"
            );
        }
    }

    /// How many frames were dropped since the start.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// How many bytes of frames are waiting for the writer.
    pub fn queued_bytes(&self) -> usize {
        self.budget.queued.load(Ordering::Acquire)
    }

    /// Queues an authorization decision for the writer's next transaction. Never dropped: waits for room in the
    /// queue when it is full (the database is far behind), so a flood of decisions slows their answers rather
    /// than losing any. `false` only if the writer has stopped.
    pub async fn queue_decision(&self, decision: NewDecision) -> bool {
        self.tx.send(Item::Decision(decision)).await.is_ok()
    }

    /// Queues a station's `last_message_at`; never waits. Dropped when the queue is full: the next message of the
    /// station sets a later one.
    pub fn touch(&self, touch: StationTouch) {
        let _ = self.tx.try_send(Item::Touch(touch));
    }

    /// Resolves once everything queued before the call is stored.
    pub async fn flush(&self) {
        let (tx, rx) = oneshot::channel();
        if self.tx.send(Item::Flush(tx)).await.is_ok() {
            let _ = rx.await;
        }
    }
}

/// What a queued frame counts against the byte limit.
fn frame_size(frame: &NewOcppMessage) -> usize {
    FRAME_OVERHEAD
        + frame.payload.len()
        + frame.unique_id.len()
        + frame.action.as_ref().map_or(0, String::len)
        + frame.id_tag.as_ref().map_or(0, String::len)
}

/// Stores frames and decisions in batches of up to [`BATCH`], waiting up to [`LINGER`] for more; a flush
/// (someone waits for it) ends the wait: what is queued at that moment joins the batch, and it is stored at once.
/// Frames and decisions are stored in the order they were queued, in one transaction.
async fn writer(db: Db, mut rx: mpsc::Receiver<Item>, budget: Arc<Budget>) {
    let mut batch = Vec::with_capacity(BATCH);
    let mut batch_bytes = 0;
    let mut decisions = Vec::new();
    let mut touches = Vec::new();
    let mut waiting = Vec::new();
    while let Some(first) = rx.recv().await {
        let mut next = Some(first);
        let deadline = tokio::time::Instant::now() + LINGER;
        let mut urgent = false;
        loop {
            match next.take() {
                Some(Item::Frame(f, size)) => {
                    batch.push(f);
                    batch_bytes += size;
                }
                Some(Item::Decision(d)) => decisions.push(d),
                Some(Item::Touch(touch)) => touches.push(touch),
                Some(Item::Flush(done)) => {
                    waiting.push(done);
                    urgent = true;
                }
                None => {}
            }
            if batch.len() + decisions.len() + touches.len() >= BATCH {
                break;
            }
            next = if urgent {
                // Only what is already queued: someone waits.
                match rx.try_recv() {
                    Ok(item) => Some(item),
                    Err(_) => break,
                }
            } else {
                match tokio::time::timeout_at(deadline, rx.recv()).await {
                    Ok(Some(item)) => Some(item),
                    Ok(None) | Err(_) => break,
                }
            };
        }
        if !batch.is_empty() || !decisions.is_empty() || !touches.is_empty() {
            // A decision that could not be stored is logged by storage (say its station was deleted meanwhile).
            let (frames, _) = db.store_ocpp_batch(&batch, &decisions, &touches).await;
            if let Err(e) = frames {
                tracing::error!(error = ?e, frames = batch.len(), "storing OCPP frames failed");
            }
            batch.clear();
            decisions.clear();
            touches.clear();
            budget.release(batch_bytes);
            batch_bytes = 0;
        }
        for done in waiting.drain(..) {
            let _ = done.send(());
        }
    }
}

/// The retention periods the pruner applies.
struct Retention {
    frames: Duration,
    decisions: Duration,
    meter_values: Duration,
    mail: Duration,
}

impl Retention {
    fn of(config: &OcppConfig) -> Self {
        Self {
            frames: config.log_retention,
            decisions: config.decision_retention,
            meter_values: config.meter_value_retention,
            mail: config.mail_retention,
        }
    }
}

async fn pruner(db: Db, retention: Retention) {
    let mut every = tokio::time::interval(Duration::from_secs(3600));
    loop {
        every.tick().await;
        let before = |period: Duration| Timestamp(now().millis() - period.as_millis() as i64);
        report(
            "OCPP frames",
            db.prune_ocpp_messages(before(retention.frames)).await,
        );
        report(
            "authorization decisions",
            db.prune_authorization_decisions(before(retention.decisions))
                .await,
        );
        report(
            "station commands",
            db.prune_station_commands(before(retention.decisions)).await,
        );
        report(
            "meter values",
            db.prune_meter_values(before(retention.meter_values)).await,
        );
        report(
            "expired account links",
            db.prune_account_tokens(before(DAY * storage::EXPIRED_LINK_RETENTION_DAYS as u32))
                .await,
        );
        report(
            "expired log-in challenges",
            db.prune_login_challenges(before(Duration::from_millis(
                storage::EXPIRED_CHALLENGE_RETENTION_MS as u64,
            )))
            .await,
        );
        report(
            "sent and given-up e-mails",
            db.prune_mail_outbox(before(retention.mail)).await,
        );
    }
}

fn report(what: &str, result: Result<u64, StorageError>) {
    match result {
        Ok(0) => {}
        Ok(n) => tracing::info!(
            deleted = n,
            "pruned {what} older than their retention period"
        ),
        Err(e) => tracing::error!(error = ?e, "pruning {what} failed"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::ids::StationId;
    use shared::model::{FrameDirection, FrameType};

    fn frame(payload_bytes: usize) -> NewOcppMessage {
        NewOcppMessage {
            station: StationId(1),
            at: now(),
            direction: FrameDirection::Incoming,
            message_type: FrameType::Call,
            action: Some("DataTransfer".into()),
            unique_id: "1".into(),
            payload: "x".repeat(payload_bytes),
            id_tag: None,
            outcome: None,
        }
    }

    #[tokio::test]
    async fn the_queue_is_bounded_in_bytes_and_the_writer_frees_them() {
        let one = frame_size(&frame(1000));
        let (queue, rx) = LogQueue::new(one * 5 / 2);
        assert!(queue.push(frame(1000)));
        assert!(queue.push(frame(1000)));
        assert_eq!(queue.queued_bytes(), 2 * one);
        // A third would exceed the limit: dropped and counted, even though the channel has room.
        assert!(!queue.push(frame(1000)));
        assert_eq!(queue.dropped(), 1);
        assert_eq!(queue.queued_bytes(), 2 * one);
        // A small frame still fits.
        assert!(queue.push(frame(10)));
        // A frame larger than the whole budget is never queued.
        assert!(!queue.push(frame(one * 3)));
        assert_eq!(queue.dropped(), 2);

        // The writer gives their bytes back once it has handled them (storing fails here, as there is no station
        // 1; the bytes are freed all the same).
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open_sqlite_in(dir.path()).await.unwrap();
        tokio::spawn(writer(db, rx, queue.budget.clone()));
        queue.flush().await;
        assert_eq!(queue.queued_bytes(), 0);
        assert!(queue.push(frame(1000)));
        assert!(queue.push(frame(1000)));
        queue.flush().await;
        assert_eq!(queue.queued_bytes(), 0);
        assert_eq!(queue.dropped(), 2);
    }
}
