//! The mail outbox's storage side: queueing, the listing, claims by sender instances (disjoint, taken over
//! when expired), delivery (bodies erased) and giving up.

mod common;

use common::fresh_db;
use shared::time::Timestamp;
use std::time::Duration;
use storage::{Db, Letter, MailStatus, OutboxMessage};

const LEASE: Duration = Duration::from_secs(120);

fn letter(n: usize) -> Letter {
    Letter::new(
        &format!("person{n}@example.org"),
        &format!("Message {n}"),
        "notice",
    )
    .paragraph(format!("Body of message {n}."))
    .button("Open", "http://127.0.0.1:3000/set-password#token=secret")
}

async fn queue(db: &Db, count: usize) {
    for n in 0..count {
        db.queue_mail(&letter(n)).await.expect("queue");
    }
}

/// What sender `instance` claims at `at` (up to 10 messages, for [`LEASE`]).
async fn claim(db: &Db, instance: &str, at: Timestamp) -> Vec<OutboxMessage> {
    db.claim_due_mail(instance, at, LEASE, 10)
        .await
        .expect("claim")
}

/// A time well after anything queued now.
fn later() -> Timestamp {
    Timestamp(storage::now().0 + 1_000)
}

#[tokio::test]
async fn the_outbox_lists_queued_messages_newest_first_with_both_bodies() {
    let (_dir, db) = fresh_db().await;
    queue(&db, 3).await;
    let outbox = db.outbox(10).await.unwrap();
    let subjects: Vec<&str> = outbox.iter().map(|m| m.subject.as_str()).collect();
    assert_eq!(subjects, ["Message 2", "Message 1", "Message 0"]);
    let first = &outbox[2];
    assert_eq!(first.recipient, "person0@example.org");
    assert_eq!(first.kind, "notice");
    assert_eq!(first.status(), MailStatus::Queued);
    assert_eq!(first.attempts, 0);
    assert!(first.body_text.contains("Body of message 0."));
    assert!(first.body_html.contains("Body of message 0."));
    assert_eq!(first.sent_at, None);
    assert_eq!(db.outbox(2).await.unwrap().len(), 2);
    assert_eq!(
        db.outbox_message(first.id).await.unwrap().as_ref(),
        Some(first)
    );
    let after: Vec<i64> = db
        .outbox_after(first.id, 10)
        .await
        .unwrap()
        .iter()
        .map(|m| m.id)
        .collect();
    assert_eq!(after, [outbox[1].id, outbox[0].id]);
}

#[tokio::test]
async fn two_instances_claim_disjoint_messages_and_none_twice() {
    let (_dir, db) = fresh_db().await;
    queue(&db, 7).await;
    let now = later();
    let (a, b) = tokio::join!(
        db.claim_due_mail("instance-a", now, LEASE, 4),
        db.claim_due_mail("instance-b", now, LEASE, 4)
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    let mut ids: Vec<i64> = a.iter().chain(&b).map(|m| m.id).collect();
    assert_eq!(ids.len(), 7, "every message claimed: {a:?} {b:?}");
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 7, "no message claimed by both");
    assert!(a.iter().chain(&b).all(|m| m.attempts == 1));
    // While the claims are live, nothing is left for anyone.
    assert!(claim(&db, "instance-c", now).await.is_empty());
}

#[tokio::test]
async fn messages_not_yet_due_are_not_claimed() {
    let (_dir, db) = fresh_db().await;
    queue(&db, 1).await;
    let before = Timestamp(db.outbox(1).await.unwrap()[0].created_at.0 - 1);
    assert!(claim(&db, "a", before).await.is_empty());
}

#[tokio::test]
async fn an_expired_claim_is_taken_over_and_the_old_instance_can_no_longer_mark_it() {
    let (_dir, db) = fresh_db().await;
    queue(&db, 1).await;
    let now = later();
    let claimed = claim(&db, "dead", now).await;
    assert_eq!(claimed.len(), 1);
    let id = claimed[0].id;
    // Just before the lease ends it is still held.
    let almost = Timestamp(now.0 + LEASE.as_millis() as i64 - 1);
    assert!(claim(&db, "alive", almost).await.is_empty());
    let expired = Timestamp(now.0 + LEASE.as_millis() as i64);
    let taken = claim(&db, "alive", expired).await;
    assert_eq!(taken.iter().map(|m| m.id).collect::<Vec<_>>(), [id]);
    assert_eq!(taken[0].attempts, 2);
    assert!(!db.mark_mail_sent(id, "dead", expired).await.unwrap());
    assert!(!db
        .mark_mail_failed(id, "dead", "late", expired, true, expired)
        .await
        .unwrap());
    assert!(db.mark_mail_sent(id, "alive", expired).await.unwrap());
    assert_eq!(
        db.outbox_message(id).await.unwrap().unwrap().sent_at,
        Some(expired)
    );
}

#[tokio::test]
async fn a_sent_message_has_its_bodies_erased_and_is_never_claimed_again() {
    let (_dir, db) = fresh_db().await;
    queue(&db, 1).await;
    let now = later();
    let id = claim(&db, "a", now).await[0].id;
    assert!(db.mark_mail_sent(id, "a", now).await.unwrap());
    let sent = db.outbox_message(id).await.unwrap().unwrap();
    assert_eq!(sent.status(), MailStatus::Sent);
    assert_eq!(sent.body_text, "");
    assert_eq!(sent.body_html, "");
    assert_eq!(sent.recipient, "person0@example.org");
    assert_eq!(sent.subject, "Message 0");
    // Sent once means sent: a second mark does nothing, and no later claim returns it.
    assert!(!db.mark_mail_sent(id, "a", now).await.unwrap());
    let much_later = Timestamp(now.0 + 10 * LEASE.as_millis() as i64);
    assert!(claim(&db, "b", much_later).await.is_empty());
}

#[tokio::test]
async fn a_failure_is_retried_at_its_time_and_giving_up_ends_the_attempts() {
    let (_dir, db) = fresh_db().await;
    queue(&db, 1).await;
    let now = later();
    let id = claim(&db, "a", now).await[0].id;
    let retry_at = Timestamp(now.0 + 30_000);
    assert!(db
        .mark_mail_failed(id, "a", "connection refused", retry_at, false, now)
        .await
        .unwrap());
    let queued = db.outbox_message(id).await.unwrap().unwrap();
    assert_eq!(queued.status(), MailStatus::Queued);
    assert_eq!(queued.last_error.as_deref(), Some("connection refused"));
    assert_eq!(queued.next_attempt_at, retry_at);
    assert!(queued.body_text.contains("Body of message 0."));
    // Released, but not due before its time.
    assert!(claim(&db, "b", Timestamp(retry_at.0 - 1)).await.is_empty());
    let again = claim(&db, "b", retry_at).await;
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].attempts, 2);
    let long_error = "550 5.1.1 mailbox unavailable ".repeat(100);
    assert!(db
        .mark_mail_failed(id, "b", &long_error, retry_at, true, retry_at)
        .await
        .unwrap());
    let failed = db.outbox_message(id).await.unwrap().unwrap();
    assert_eq!(failed.status(), MailStatus::Failed);
    assert_eq!(failed.failed_at, Some(retry_at));
    assert!(failed.last_error.unwrap().starts_with("550 5.1.1"));
    let much_later = Timestamp(retry_at.0 + 1_000_000_000);
    assert!(claim(&db, "c", much_later).await.is_empty());
}
