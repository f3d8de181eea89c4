//! Retention of the growing tables: authorization decisions and raw meter values are deleted after their
//! retention period; a transaction's decision, the readings of a running transaction, and the transactions
//! themselves are kept. Account links and log-in challenges go some time after they expired (no member's status
//! changes), and e-mails some time after they were sent or given up on (a queued one never).

mod common;

use common::*;
use shared::model::MemberStatus;
use shared::station::{ChargePointId, StationName, StationPassword};
use shared::time::Timestamp;
use shared::{Role, UserId};
use std::time::Duration;
use storage::{
    now, ConnectedStation, Db, Letter, LoginOutcome, MailStatus, OrgAdmin, SecondFactorOutcome,
    EXPIRED_CHALLENGE_RETENTION_MS, EXPIRED_LINK_RETENTION_DAYS,
};

const TAG: &str = "04AAAB11CD2345";
const STATION_PASSWORD: &str = "s3cret-station-key";
const DAY_MS: i64 = 24 * 3600 * 1000;

async fn station(db: &Db, admin: &OrgAdmin, cp: &str) -> ConnectedStation {
    admin
        .add_station(
            &ChargePointId::parse(cp).unwrap(),
            &StationName::parse("Depot charger").unwrap(),
            Some(&StationPassword::parse(STATION_PASSWORD).unwrap()),
        )
        .await
        .unwrap();
    let login = db.station_login(cp).await.unwrap().expect("known station");
    assert!(login.verify_password(STATION_PASSWORD).await.unwrap());
    login.accept(db).expect("accepted")
}

#[tokio::test]
async fn old_decisions_are_pruned_but_a_transactions_decision_is_kept() {
    let (_dir, db) = fresh_db().await;
    let (org, caller) = partner(&db).await;
    let admin = caller.admin_of(&db, org).await.unwrap();
    let holder = member(
        &admin,
        "Card",
        "Holder",
        "holder@volta.example",
        Role::Cardholder,
    )
    .await;
    let pass = admin
        .add_pass(
            holder,
            &hidden(TAG),
            &nick("Tag"),
            shared::PassMode::Whitelist,
        )
        .await
        .unwrap();
    let cp = station(&db, &admin, "CP-RET").await;
    cp.authorize(TAG).await.unwrap();
    cp.authorize("04FFFF11CD2345").await.unwrap();
    let (transaction, _) = cp
        .start_transaction(1, TAG, 0, Timestamp(now().0 - DAY_MS))
        .await
        .unwrap();
    let before = admin.pass_decisions(pass, 10).await.unwrap();
    assert_eq!(before.len(), 2, "{before:#?}");

    // Nothing is older than the retention period yet.
    let cutoff = Timestamp(now().0 - 90 * DAY_MS);
    assert_eq!(db.prune_authorization_decisions(cutoff).await.unwrap(), 0);

    // Once they are: the two Authorize decisions go, the StartTransaction's stays with its transaction.
    let later = Timestamp(now().0 + DAY_MS);
    assert_eq!(db.prune_authorization_decisions(later).await.unwrap(), 2);
    let after = admin.pass_decisions(pass, 10).await.unwrap();
    assert_eq!(
        after.iter().map(|d| d.action.as_str()).collect::<Vec<_>>(),
        ["StartTransaction"]
    );
    let kept = admin.transactions(10).await.unwrap();
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].id, transaction);
    assert_eq!(db.prune_authorization_decisions(later).await.unwrap(), 0);
}

#[tokio::test]
async fn meter_values_expire_by_the_stop_time_of_their_transaction() {
    let (_dir, db) = fresh_db().await;
    let (org, caller) = partner(&db).await;
    let admin = caller.admin_of(&db, org).await.unwrap();
    let cp = station(&db, &admin, "CP-METER").await;
    let long_ago = now().0 - 500 * DAY_MS;
    let recently = now().0 - DAY_MS;

    // Finished long ago: its readings expire.
    let (finished, _) = cp
        .start_transaction(1, TAG, 0, Timestamp(long_ago))
        .await
        .unwrap();
    for i in 1..=3 {
        cp.meter_value(
            Some(finished.0),
            1,
            100.0 * i as f64,
            Timestamp(long_ago + i),
        )
        .await
        .unwrap();
    }
    cp.stop_transaction(finished.0, 400, Timestamp(long_ago + 10), None, None)
        .await
        .unwrap();
    // Started long ago, finished recently: kept (the stop time counts, not the reading's).
    let (recent, _) = cp
        .start_transaction(2, TAG, 0, Timestamp(long_ago))
        .await
        .unwrap();
    cp.meter_value(Some(recent.0), 2, 50.0, Timestamp(long_ago + 5))
        .await
        .unwrap();
    cp.stop_transaction(recent.0, 60, Timestamp(recently), None, None)
        .await
        .unwrap();
    // Still running after a long time: kept.
    let (running, _) = cp
        .start_transaction(3, TAG, 0, Timestamp(long_ago))
        .await
        .unwrap();
    cp.meter_value(Some(running.0), 3, 70.0, Timestamp(long_ago + 5))
        .await
        .unwrap();
    // Readings without a transaction: by their own time.
    cp.meter_value(None, 4, 1.0, Timestamp(long_ago))
        .await
        .unwrap();
    cp.meter_value(None, 4, 2.0, Timestamp(recently))
        .await
        .unwrap();

    let cutoff = Timestamp(now().0 - 400 * DAY_MS);
    assert_eq!(
        db.prune_meter_values(cutoff).await.unwrap(),
        4,
        "the finished transaction's three readings and the old unassigned one"
    );
    assert_eq!(db.prune_meter_values(cutoff).await.unwrap(), 0);

    // The running transaction's reading goes only once it has stopped long enough ago.
    cp.stop_transaction(running.0, 80, Timestamp(long_ago + 20), None, None)
        .await
        .unwrap();
    assert_eq!(db.prune_meter_values(cutoff).await.unwrap(), 1);

    // The transactions themselves are records: all three are kept, with their totals.
    let transactions = admin.transactions(10).await.unwrap();
    assert_eq!(transactions.len(), 3);
    let first = transactions.iter().find(|t| t.id == finished).unwrap();
    assert_eq!(
        (first.energy_wh, first.last_meter_wh),
        (Some(400), Some(300))
    );

    // A cutoff past everything removes the recent readings too.
    assert_eq!(
        db.prune_meter_values(Timestamp(now().0 + DAY_MS))
            .await
            .unwrap(),
        2
    );
}

async fn count(raw: &sqlx::AnyPool, table: &str) -> i64 {
    sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
        .fetch_one(raw)
        .await
        .unwrap()
}

/// Moves the links of `user` (only the used or revoked ones with `closed_only`) `days` days into the past, as if
/// they had been issued, used and revoked that much earlier.
async fn date_back_links(raw: &sqlx::AnyPool, user: UserId, days: i64, closed_only: bool) {
    let moved = sqlx::query(
        "UPDATE account_tokens SET created_at = created_at - $2, expires_at = expires_at - $2, \
           used_at = used_at - $2, revoked_at = revoked_at - $2 \
         WHERE user_id = $1 AND ($3 = 0 OR used_at IS NOT NULL OR revoked_at IS NOT NULL)",
    )
    .bind(user.0)
    .bind(days * DAY_MS)
    .bind(closed_only as i64)
    .execute(raw)
    .await
    .unwrap()
    .rows_affected();
    assert!(moved > 0, "no link of user {user:?} to date back");
}

/// Every member's e-mail address and status in "Users", in list order.
async fn statuses(admin: &OrgAdmin) -> Vec<(String, MemberStatus)> {
    admin
        .users_at(now())
        .await
        .unwrap()
        .into_iter()
        .map(|u| (u.email, u.status))
        .collect()
}

fn status_of(list: &[(String, MemberStatus)], address: &str) -> MemberStatus {
    list.iter()
        .find(|(email, _)| email == address)
        .unwrap_or_else(|| panic!("{address} not listed in {list:?}"))
        .1
}

#[tokio::test]
async fn long_expired_links_are_pruned_and_no_members_status_changes() {
    // A second connection to the test's database, for what the API cannot do: counting rows, and dating
    // links back as if they had been issued long ago.
    let test_db = TestDb::new().await;
    let db = test_db.open().await;
    let raw = test_db.raw().await;
    let (org, caller) = partner(&db).await;
    let admin = caller.admin_of(&db, org).await.unwrap();

    // Active: invited, then logged in. Their invitation dates from 60 days ago.
    let anna = member(
        &admin,
        "Anna",
        "Active",
        "anna@volta.example",
        Role::Cardholder,
    )
    .await;
    caller_for(&db, "anna@volta.example").await;
    date_back_links(&raw, anna, 60, false).await;
    // Invited: the first invitation (60 days ago) was replaced by the one sent again now, which is usable.
    let ivo = member(
        &admin,
        "Ivo",
        "Invited",
        "ivo@volta.example",
        Role::Cardholder,
    )
    .await;
    admin.resend_invitation(ivo).await.unwrap();
    date_back_links(&raw, ivo, 60, true).await;
    let ivo_link = db
        .outbox(1)
        .await
        .unwrap()
        .into_iter()
        .find(|m| m.recipient == "ivo@volta.example")
        .expect("the invitation sent again");
    let start = ivo_link.body_text.find("#token=").expect("a link") + "#token=".len();
    let ivo_token: String = ivo_link.body_text[start..].chars().take(64).collect();
    assert!(db.account_link(&ivo_token).await.unwrap().is_some());
    // Invitation expired: issued 20 days ago, never used (expired 13 days ago); and a reset link asked for 60
    // days ago.
    let eva = member(
        &admin,
        "Eva",
        "Expired",
        "eva@volta.example",
        Role::Cardholder,
    )
    .await;
    date_back_links(&raw, eva, 20, false).await;
    db.request_password_reset_at(
        &email("eva@volta.example"),
        Timestamp(now().0 - 60 * DAY_MS),
    )
    .await
    .unwrap();
    assert_eq!(count(&raw, "account_tokens").await, 5);

    let before = statuses(&admin).await;
    assert_eq!(
        status_of(&before, "anna@volta.example"),
        MemberStatus::Active
    );
    assert!(matches!(
        status_of(&before, "ivo@volta.example"),
        MemberStatus::Invited { .. }
    ));
    assert_eq!(
        status_of(&before, "eva@volta.example"),
        MemberStatus::InvitationExpired
    );

    // The pruner's cutoff: the three links that expired more than 30 days ago go; Eva's invitation (expired 13
    // days ago) and Ivo's usable one stay.
    let cutoff = Timestamp(now().0 - EXPIRED_LINK_RETENTION_DAYS * DAY_MS);
    assert_eq!(db.prune_account_tokens(cutoff).await.unwrap(), 3);
    assert_eq!(db.prune_account_tokens(cutoff).await.unwrap(), 0);
    assert_eq!(count(&raw, "account_tokens").await, 2);
    assert_eq!(statuses(&admin).await, before);
    assert!(db.account_link(&ivo_token).await.unwrap().is_some());

    // Even a cutoff of now removes no usable link: Eva's expired invitation goes, Ivo's stays and works.
    assert_eq!(db.prune_account_tokens(now()).await.unwrap(), 1);
    assert_eq!(count(&raw, "account_tokens").await, 1);
    assert_eq!(statuses(&admin).await, before);
    assert!(db.account_link(&ivo_token).await.unwrap().is_some());
}

#[tokio::test]
async fn log_in_challenges_go_an_hour_after_they_expired() {
    // A second connection to the test's database, for what the API cannot do: counting rows.
    let test_db = TestDb::new().await;
    let db = test_db.open().await;
    let raw = test_db.raw().await;
    let (_org, caller) = partner(&db).await;
    let enrolment = caller.start_two_factor(&db).await.unwrap();
    let at = now();
    let recovery = caller
        .confirm_two_factor_at(&db, &totp_code(&enrolment.key, at), at)
        .await
        .unwrap()
        .expect("code accepted");

    // Three first steps of a log-in: now, half an hour ago and three hours ago (the newest first, as a log-in
    // sweeps the challenges expired at its own time).
    let challenge = |outcome: LoginOutcome| match outcome {
        LoginOutcome::SecondFactor { challenge } => challenge,
        other => panic!("expected the second step, got {other:?}"),
    };
    let mut challenges = Vec::new();
    for ago_ms in [0, 30 * 60 * 1000, 3 * 3600 * 1000] {
        let at = Timestamp(now().0 - ago_ms);
        challenges.push(challenge(
            db.login_at("pa@volta.example", PASSWORD, at).await.unwrap(),
        ));
    }
    assert_eq!(count(&raw, "login_challenges").await, 3);

    // The pruner's cutoff: only the one that expired more than an hour ago goes.
    let cutoff = Timestamp(now().0 - EXPIRED_CHALLENGE_RETENTION_MS);
    assert_eq!(db.prune_login_challenges(cutoff).await.unwrap(), 1);
    assert_eq!(db.prune_login_challenges(cutoff).await.unwrap(), 0);
    assert_eq!(count(&raw, "login_challenges").await, 2);

    // The live one still finishes the log-in (and is then used up); the one expired half an hour ago goes at a
    // cutoff of now.
    assert!(matches!(
        db.login_second_factor(&challenges[0], &recovery[0])
            .await
            .unwrap(),
        SecondFactorOutcome::LoggedIn { .. }
    ));
    assert_eq!(db.prune_login_challenges(now()).await.unwrap(), 1);
    assert_eq!(count(&raw, "login_challenges").await, 0);
}

#[tokio::test]
async fn sent_and_given_up_mails_are_pruned_but_never_a_queued_one() {
    let (_dir, db) = fresh_db().await;
    for n in 1..=6 {
        db.queue_mail(&Letter::new(
            &format!("person{n}@volta.example"),
            &format!("Message {n}"),
            "test",
        ))
        .await
        .unwrap();
    }
    let start = now();
    let claimed = db
        .claim_due_mail("test-sender", start, Duration::from_secs(60), 5)
        .await
        .unwrap();
    let ids: Vec<i64> = claimed.iter().map(|m| m.id).collect();
    assert_eq!(ids.len(), 5);
    let later = |days: i64| Timestamp(start.0 + days * DAY_MS);
    // 1: sent now; 2: given up now; 3: sent ten days from now; 4: failed now, to be tried again; 5: claimed and
    // being sent; 6: waiting.
    assert!(db
        .mark_mail_sent(ids[0], "test-sender", start)
        .await
        .unwrap());
    assert!(db
        .mark_mail_failed(
            ids[1],
            "test-sender",
            "550 no such user",
            start,
            true,
            start
        )
        .await
        .unwrap());
    assert!(db
        .mark_mail_sent(ids[2], "test-sender", later(10))
        .await
        .unwrap());
    assert!(db
        .mark_mail_failed(
            ids[3],
            "test-sender",
            "421 try later",
            later(1),
            false,
            start
        )
        .await
        .unwrap());
    let waiting = db.outbox(100).await.unwrap();
    assert_eq!(waiting.len(), 6);
    let sixth = waiting[0].id;
    assert!(!ids.contains(&sixth));

    // Nothing finished before the cutoff yet.
    assert_eq!(db.prune_mail_outbox(later(-90)).await.unwrap(), 0);
    // A day later: the message sent now and the one given up now go; the one sent later and the queued stay.
    assert_eq!(db.prune_mail_outbox(later(1)).await.unwrap(), 2);
    assert_eq!(db.prune_mail_outbox(later(1)).await.unwrap(), 0);
    let mut left: Vec<i64> = db.outbox(100).await.unwrap().iter().map(|m| m.id).collect();
    left.sort();
    assert_eq!(left, [ids[2], ids[3], ids[4], sixth]);
    // However old they are, messages not sent (retrying, being sent, waiting) are kept.
    assert_eq!(
        db.prune_mail_outbox(later(100 * 365)).await.unwrap(),
        1,
        "only the one sent later"
    );
    let kept = db.outbox(100).await.unwrap();
    assert_eq!(kept.len(), 3);
    assert!(
        kept.iter().all(|m| m.status() == MailStatus::Queued),
        "{kept:#?}"
    );
}
