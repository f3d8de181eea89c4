//! Bootstrap, log-in, sessions and the log-in throttle.

mod common;

use common::*;
use shared::time::Timestamp;
use storage::{LoginOutcome, SecondFactorOutcome, StorageError, CHALLENGE_ATTEMPTS};

use storage::now;

#[tokio::test]
async fn partner_bootstrap_login_caller_and_logout() {
    let (_dir, db) = fresh_db().await;
    assert!(!db.has_organizations().await.unwrap());
    let (org, user) = db
        .create_partner(
            &org_name("Volta Partners"),
            &person("Paula"),
            &person("Partner"),
            &email("pa@volta.example"),
            &password(PASSWORD),
        )
        .await
        .unwrap();
    assert!(db.has_organizations().await.unwrap());

    let before = now();
    let LoginOutcome::LoggedIn {
        session_token,
        expires_at,
    } = db.login("pa@volta.example", PASSWORD).await.unwrap()
    else {
        panic!("login failed");
    };
    assert_eq!(session_token.len(), 64);
    let fourteen_days = 14 * 24 * 3600 * 1000;
    assert!(expires_at.0 >= before.0 + fourteen_days && expires_at.0 <= now().0 + fourteen_days);

    let caller = db.caller(&session_token).await.unwrap().expect("caller");
    assert_eq!(caller.user_id(), user);
    let me = caller.me();
    assert_eq!(
        (
            me.first_name.as_str(),
            me.last_name.as_str(),
            me.email.as_str()
        ),
        ("Paula", "Partner", "pa@volta.example")
    );
    let home = me.home_org.as_ref().expect("administrator has a home org");
    assert_eq!((home.id, home.name.as_str()), (org, "Volta Partners"));

    assert!(db.caller("not-a-token").await.unwrap().is_none());
    assert!(db.caller(&session_token[1..]).await.unwrap().is_none());
    db.logout(&session_token).await.unwrap();
    assert!(db.caller(&session_token).await.unwrap().is_none());
    db.logout(&session_token).await.unwrap(); // harmless twice
}

#[tokio::test]
async fn wrong_password_unknown_email_and_passwordless_account_all_look_the_same() {
    let (_dir, db) = fresh_db().await;
    let (org, pa) = partner(&db).await;
    let scope = pa.admin_of(&db, org).await.unwrap();
    member(
        &scope,
        "No",
        "Password",
        "nopw@volta.example",
        shared::Role::Cardholder,
    )
    .await;
    for (address, pw) in [
        ("pa@volta.example", "wrong password!"),
        ("nobody@volta.example", PASSWORD),
        ("nopw@volta.example", PASSWORD),
        ("not an e-mail", PASSWORD),
    ] {
        assert_eq!(
            db.login(address, pw).await.unwrap(),
            LoginOutcome::WrongCredentials,
            "{address}"
        );
    }
    // The account added through the UI can log in once a password is set (CLI set-password).
    db.set_password(&email("nopw@volta.example"), &password(PASSWORD))
        .await
        .unwrap();
    let token = login_token(&db, "nopw@volta.example").await;
    let caller = db.caller(&token).await.unwrap().unwrap();
    assert!(
        caller.me().home_org.is_none(),
        "a cardholder has no home org"
    );
    // E-mail matching ignores case.
    login_token(&db, "PA@Volta.Example").await;
}

#[tokio::test]
async fn set_password_replaces_the_password_and_ends_sessions() {
    let (_dir, db) = fresh_db().await;
    partner(&db).await;
    let token = login_token(&db, "pa@volta.example").await;
    db.set_password(&email("pa@volta.example"), &password("a brand new secret"))
        .await
        .unwrap();
    assert!(db.caller(&token).await.unwrap().is_none());
    assert_eq!(
        db.login("pa@volta.example", PASSWORD).await.unwrap(),
        LoginOutcome::WrongCredentials
    );
    assert!(matches!(
        db.login("pa@volta.example", "a brand new secret")
            .await
            .unwrap(),
        LoginOutcome::LoggedIn { .. }
    ));
    assert!(matches!(
        db.set_password(&email("ghost@volta.example"), &password(PASSWORD))
            .await,
        Err(StorageError::NotFound { what: "user" })
    ));
}

#[tokio::test]
async fn create_partner_refuses_an_existing_email() {
    let (_dir, db) = fresh_db().await;
    partner(&db).await;
    let err = db
        .create_partner(
            &org_name("Other Partner"),
            &person("X"),
            &person("Y"),
            &email("PA@volta.example"),
            &password(PASSWORD),
        )
        .await
        .unwrap_err();
    match err {
        StorageError::Conflict { message } => {
            assert!(message.contains("already exists"), "{message}")
        }
        other => panic!("{other:?}"),
    }
    // A second partner with its own administrator is fine.
    db.create_partner(
        &org_name("Other Partner"),
        &person("X"),
        &person("Y"),
        &email("x@other.example"),
        &password(PASSWORD),
    )
    .await
    .unwrap();
}

/// `server create-partner` runs at once (PostgreSQL does not queue writers as SQLite does): while another run's
/// transaction has inserted the partner name or the e-mail address and not committed yet, a second run with the
/// same name or address (in other letters' case) waits for it and is refused with the readable message, and
/// nothing of it is kept.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_partner_runs_at_once_with_one_name_or_email_make_one() {
    let test_db = TestDb::new().await;
    let db = test_db.open().await;
    let raw = test_db.raw().await;
    for (other_insert, name, address, refusal) in [
        (
            "INSERT INTO organizations (parent_id, name, created_at) VALUES (NULL, 'Volta Partners', $1)",
            "VOLTA partners",
            "first@volta.example",
            "A partner organization named \"VOLTA partners\" already exists.",
        ),
        (
            "INSERT INTO users (email, first_name, last_name, created_at) \
             VALUES ('pa@volta.example', 'Paula', 'Partner', $1)",
            "Other Partner",
            "PA@Volta.example",
            "An account with e-mail pa@volta.example already exists.",
        ),
    ] {
        // The other run's transaction, not committed yet.
        let mut other = raw.begin().await.unwrap();
        sqlx::query(other_insert)
            .bind(storage::now().0)
            .execute(&mut *other)
            .await
            .unwrap();
        let run = tokio::spawn({
            let db = db.clone();
            let (name, address) = (org_name(name), email(address));
            async move {
                db.create_partner(
                    &name,
                    &person("Second"),
                    &person("Run"),
                    &address,
                    &password(PASSWORD),
                )
                .await
            }
        });
        // Time for the run to hash the password and reach its inserts; should it get there only after the commit,
        // it is refused all the same.
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        other.commit().await.unwrap();
        match run.await.unwrap() {
            Err(StorageError::Conflict { message }) => assert_eq!(message, refusal),
            other => panic!("{other:?}"),
        }
    }
    let counts: (i64, i64) =
        sqlx::query_as("SELECT (SELECT COUNT(*) FROM organizations), (SELECT COUNT(*) FROM users)")
            .fetch_one(&raw)
            .await
            .unwrap();
    assert_eq!(counts, (1, 1), "only the other runs' rows");
}

#[tokio::test]
async fn an_expired_session_is_no_caller() {
    let (_dir, db) = fresh_db().await;
    partner(&db).await;
    let fifteen_days_ago = Timestamp(now().0 - 15 * 24 * 3600 * 1000);
    let LoginOutcome::LoggedIn {
        session_token,
        expires_at,
    } = db
        .login_at("pa@volta.example", PASSWORD, fifteen_days_ago)
        .await
        .unwrap()
    else {
        panic!("login failed");
    };
    assert!(expires_at < now());
    assert!(db.caller(&session_token).await.unwrap().is_none());
    // A session used regularly (more often than the idle limit) lasts until its absolute expiry, not longer.
    let t0 = fifteen_days_ago;
    let LoginOutcome::LoggedIn {
        session_token,
        expires_at,
    } = db.login_at("pa@volta.example", PASSWORD, t0).await.unwrap()
    else {
        panic!("login failed");
    };
    let mut t = at(t0, 110 * MINUTE);
    while t < expires_at {
        assert!(
            db.caller_at(&session_token, t).await.unwrap().is_some(),
            "used {} minutes after log-in",
            (t.0 - t0.0) / MINUTE
        );
        t = at(t, 110 * MINUTE);
    }
    assert!(db
        .caller_at(&session_token, at(expires_at, -MINUTE))
        .await
        .unwrap()
        .is_some());
    assert!(db
        .caller_at(&session_token, expires_at)
        .await
        .unwrap()
        .is_none());
}

const MINUTE: i64 = 60 * 1000;

#[tokio::test]
async fn a_session_left_idle_ends_and_use_keeps_it_alive() {
    let (_dir, db) = fresh_db().await;
    partner(&db).await;
    assert_eq!(storage::session_idle_limit(), storage::DEFAULT_SESSION_IDLE);
    let t0 = Timestamp(now().0 - 24 * 60 * MINUTE);
    let LoginOutcome::LoggedIn { session_token, .. } =
        db.login_at("pa@volta.example", PASSWORD, t0).await.unwrap()
    else {
        panic!("login failed");
    };
    let accepted = |minutes: f64| {
        let db = db.clone();
        let token = session_token.clone();
        async move {
            db.caller_at(&token, at(t0, (minutes * MINUTE as f64) as i64))
                .await
                .unwrap()
                .is_some()
        }
    };
    // Each use within the 120-minute idle limit moves it on.
    assert!(accepted(119.0).await);
    assert!(accepted(238.0).await);
    // A use less than a minute after the recorded one is not written (no write per request)...
    assert!(accepted(238.5).await);
    // ...so 120¼ minutes after the recorded use the session is idle and refused, and stays refused.
    assert!(!accepted(358.25).await);
    assert!(!accepted(358.5).await);
    // A session never used after log-in ends 120 minutes later.
    let LoginOutcome::LoggedIn { session_token, .. } =
        db.login_at("pa@volta.example", PASSWORD, t0).await.unwrap()
    else {
        panic!("login failed");
    };
    assert!(db
        .caller_at(&session_token, at(t0, 120 * MINUTE - 1))
        .await
        .unwrap()
        .is_some());
    let LoginOutcome::LoggedIn { session_token, .. } =
        db.login_at("pa@volta.example", PASSWORD, t0).await.unwrap()
    else {
        panic!("login failed");
    };
    assert!(db
        .caller_at(&session_token, at(t0, 120 * MINUTE))
        .await
        .unwrap()
        .is_none());
}

#[tokio::test]
async fn a_re_check_without_use_does_not_keep_a_session_alive() {
    let (_dir, db) = fresh_db().await;
    partner(&db).await;
    let t0 = Timestamp(now().0 - 24 * 60 * MINUTE);
    let LoginOutcome::LoggedIn { session_token, .. } =
        db.login_at("pa@volta.example", PASSWORD, t0).await.unwrap()
    else {
        panic!("login failed");
    };
    // A stream re-checking every few minutes sees the session while it lives...
    for minutes in [30, 60, 90, 119] {
        assert!(db
            .caller_without_use_at(&session_token, at(t0, minutes * MINUTE))
            .await
            .unwrap()
            .is_some());
    }
    // ...but did not use it: 120 minutes after log-in it is idle, for re-checks and requests alike.
    assert!(db
        .caller_without_use_at(&session_token, at(t0, 120 * MINUTE))
        .await
        .unwrap()
        .is_none());
    assert!(db
        .caller_at(&session_token, at(t0, 121 * MINUTE))
        .await
        .unwrap()
        .is_none());
}

fn at(t0: Timestamp, ms: i64) -> Timestamp {
    Timestamp(t0.0 + ms)
}

#[tokio::test]
async fn throttle_refuses_from_the_third_failure_backs_off_and_resets_on_success() {
    let (_dir, db) = fresh_db().await;
    partner(&db).await;
    let user = "pa@volta.example";
    let t0 = now();
    let wrong = LoginOutcome::WrongCredentials;

    assert_eq!(
        db.login_at(user, "bad one", at(t0, 0)).await.unwrap(),
        wrong
    );
    assert_eq!(
        db.login_at(user, "bad two", at(t0, 10)).await.unwrap(),
        wrong
    );
    assert_eq!(
        db.login_at(user, "bad three", at(t0, 20)).await.unwrap(),
        wrong
    );
    // Three failures: wait 2 s from the last one, even with the right password.
    assert_eq!(
        db.login_at(user, PASSWORD, at(t0, 30)).await.unwrap(),
        LoginOutcome::Throttled {
            retry_after_secs: 2
        }
    );
    assert_eq!(
        db.login_at(user, PASSWORD, at(t0, 1_500)).await.unwrap(),
        LoginOutcome::Throttled {
            retry_after_secs: 1
        }
    );
    // Refused attempts do not count: after the delay a (wrong) attempt is checked again.
    assert_eq!(
        db.login_at(user, "bad four", at(t0, 2_020)).await.unwrap(),
        wrong
    );
    // Four failures: 4 s.
    assert_eq!(
        db.login_at(user, PASSWORD, at(t0, 2_021)).await.unwrap(),
        LoginOutcome::Throttled {
            retry_after_secs: 4
        }
    );
    assert_eq!(
        db.login_at(user, PASSWORD, at(t0, 6_019)).await.unwrap(),
        LoginOutcome::Throttled {
            retry_after_secs: 1
        }
    );
    assert!(matches!(
        db.login_at(user, PASSWORD, at(t0, 6_020)).await.unwrap(),
        LoginOutcome::LoggedIn { .. }
    ));
    // Success reset the count: two more failures are not throttled, the next right password works.
    assert_eq!(
        db.login_at(user, "bad", at(t0, 6_030)).await.unwrap(),
        wrong
    );
    assert_eq!(
        db.login_at(user, "bad", at(t0, 6_040)).await.unwrap(),
        wrong
    );
    assert!(matches!(
        db.login_at(user, PASSWORD, at(t0, 6_050)).await.unwrap(),
        LoginOutcome::LoggedIn { .. }
    ));
}

#[tokio::test]
async fn throttle_is_per_email_caps_at_five_minutes_and_covers_unknown_addresses() {
    let (_dir, db) = fresh_db().await;
    partner(&db).await;
    let t0 = now();
    let ghost = "ghost@volta.example";
    let mut t = 0;
    for _ in 0..3 {
        assert_eq!(
            db.login_at(ghost, "guess", at(t0, t)).await.unwrap(),
            LoginOutcome::WrongCredentials
        );
        t += 1;
    }
    assert_eq!(
        db.login_at(ghost, "guess", at(t0, t)).await.unwrap(),
        LoginOutcome::Throttled {
            retry_after_secs: 2
        }
    );
    // Other addresses are unaffected.
    assert!(matches!(
        db.login_at("pa@volta.example", PASSWORD, at(t0, t))
            .await
            .unwrap(),
        LoginOutcome::LoggedIn { .. }
    ));
    // Keep failing, each time right after the delay: the delay doubles up to 300 s.
    let mut last_delay = 0;
    for _ in 0..8 {
        let LoginOutcome::Throttled { retry_after_secs } =
            db.login_at(ghost, "guess", at(t0, t)).await.unwrap()
        else {
            panic!("expected throttling");
        };
        assert!(retry_after_secs >= last_delay && retry_after_secs <= 300);
        last_delay = retry_after_secs;
        t += retry_after_secs as i64 * 1000;
        assert_eq!(
            db.login_at(ghost, "guess", at(t0, t)).await.unwrap(),
            LoginOutcome::WrongCredentials
        );
    }
    assert_eq!(last_delay, 256);
    assert_eq!(
        db.login_at(ghost, "guess", at(t0, t)).await.unwrap(),
        LoginOutcome::Throttled {
            retry_after_secs: 300
        }
    );
    // The same address typed in another case is the same throttle.
    assert!(matches!(
        db.login_at("GHOST@volta.example", "guess", at(t0, t))
            .await
            .unwrap(),
        LoginOutcome::Throttled { .. }
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_guesses_are_each_counted_once_checked() {
    // The database is only read before a password is checked (a flood must not hold the write lock), so
    // guesses already under way when the throttle starts are still checked; each is counted afterwards, and
    // the backoff that follows is the one for all of them. How many run at once is bounded before storage:
    // the server's in-memory per-account and per-address limits and the hashing limit.
    let (_dir, db) = fresh_db().await;
    partner(&db).await;
    let t0 = now();
    let attempts: Vec<_> = (0..6)
        .map(|i| {
            let db = db.clone();
            tokio::spawn(async move { db.login_at("pa@volta.example", "guess", at(t0, i)).await })
        })
        .collect();
    let mut outcomes = Vec::new();
    for attempt in attempts {
        outcomes.push(attempt.await.unwrap().unwrap());
    }
    let wrong = outcomes
        .iter()
        .filter(|o| **o == LoginOutcome::WrongCredentials)
        .count();
    assert!(
        outcomes.iter().all(|o| matches!(
            o,
            LoginOutcome::WrongCredentials | LoginOutcome::Throttled { .. }
        )),
        "{outcomes:?}"
    );
    assert!(wrong >= 3, "{outcomes:?}");
    // Every checked guess was counted: the right password now waits 2^(failures - 2) seconds.
    assert_eq!(
        db.login_at("pa@volta.example", PASSWORD, at(t0, 6))
            .await
            .unwrap(),
        LoginOutcome::Throttled {
            retry_after_secs: 1 << (wrong - 2)
        },
        "{outcomes:?}"
    );
}

/// Wrong codes for one log-in challenge at the same time each count: a code checked while another request's
/// wrong code is being counted (its transaction not committed yet) waits for it, so that the challenge takes
/// [`storage::CHALLENGE_ATTEMPTS`] codes in all, on PostgreSQL (whose writers run side by side) as on SQLite.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_codes_in_flight_at_once_each_count_against_the_challenge() {
    let test_db = TestDb::new().await;
    let db = test_db.open().await;
    let (_org, caller) = partner(&db).await;
    let enrolment = caller.start_two_factor(&db).await.unwrap();
    let at = now();
    caller
        .confirm_two_factor_at(&db, &totp_code(&enrolment.key, at), at)
        .await
        .unwrap()
        .expect("code accepted");
    let LoginOutcome::SecondFactor { challenge } =
        db.login("pa@volta.example", PASSWORD).await.unwrap()
    else {
        panic!("expected the second step")
    };
    // A code the authenticator shows at no time near now.
    let near: Vec<String> = [-60_000, -30_000, 0, 30_000, 60_000]
        .iter()
        .map(|d| totp_code(&enrolment.key, Timestamp(now().0 + d)))
        .collect();
    let wrong = ["000000", "111111", "222222", "333333", "444444", "555555"]
        .into_iter()
        .find(|c| !near.iter().any(|n| n == c))
        .unwrap();

    // The other request's wrong code: counted, not committed yet.
    let raw = test_db.raw().await;
    let mut other = raw.begin().await.unwrap();
    sqlx::query("UPDATE login_challenges SET attempts = attempts + 1")
        .execute(&mut *other)
        .await
        .unwrap();
    let request = tokio::spawn({
        let db = db.clone();
        async move { db.login_second_factor(&challenge, wrong).await.unwrap() }
    });
    // Time for the request to reach the challenge inside its transaction; should it get there later, it finds
    // the other attempt counted all the same.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    other.commit().await.unwrap();
    assert_eq!(
        request.await.unwrap(),
        SecondFactorOutcome::WrongCode {
            attempts_left: CHALLENGE_ATTEMPTS - 2
        }
    );
}

/// Two-factor authentication turned on, or off, twice at once (two instances on PostgreSQL run both requests):
/// while the other request's transaction has turned it on (or off) and not committed yet, this one waits for it
/// and is refused, instead of generating a second set of recovery codes behind the ones just shown, or sending a
/// second notice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_factor_turned_on_or_off_twice_at_once_happens_once() {
    let test_db = TestDb::new().await;
    let db = test_db.open().await;
    let raw = test_db.raw().await;
    let (_org, caller) = partner(&db).await;
    let enrolment = caller.start_two_factor(&db).await.unwrap();
    let notices = |kind: &'static str| {
        let raw = raw.clone();
        async move {
            let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM mail_outbox WHERE kind = $1")
                .bind(kind)
                .fetch_one(&raw)
                .await
                .unwrap();
            n
        }
    };

    let other_confirm = format!(
        "UPDATE users SET totp_enabled_at = {} WHERE email = 'pa@volta.example'",
        now().0
    );
    let code = totp_code(&enrolment.key, now());
    let (caller, confirmed) = while_in_flight(&raw, &[&other_confirm], {
        let db = db.clone();
        async move {
            let confirmed = caller.confirm_two_factor(&db, &code).await;
            (caller, confirmed)
        }
    })
    .await;
    match confirmed {
        Err(StorageError::Conflict { message }) => {
            assert!(message.contains("already on"), "{message}")
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(notices("two_factor_on").await, 0, "the stand-in sends none");
    let codes: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM recovery_codes")
        .fetch_one(&raw)
        .await
        .unwrap();
    assert_eq!(codes, 0, "no recovery codes of this request");

    // On for real (after the stand-in's), with recovery codes; then off twice at once.
    sqlx::query("UPDATE users SET totp_enabled_at = NULL")
        .execute(&raw)
        .await
        .unwrap();
    let at = Timestamp(now().0 + 30_000);
    let recovery = caller
        .confirm_two_factor_at(&db, &totp_code(&enrolment.key, at), at)
        .await
        .unwrap()
        .expect("code accepted");
    let other_turn_off =
        "UPDATE users SET totp_secret = NULL, totp_enabled_at = NULL, totp_last_step = NULL \
                          WHERE email = 'pa@volta.example'";
    let turned_off = while_in_flight(&raw, &[other_turn_off], {
        let db = db.clone();
        async move {
            caller
                .turn_off_two_factor(&db, PASSWORD, &recovery[0])
                .await
        }
    })
    .await;
    match turned_off {
        Err(StorageError::Conflict { message }) => assert!(message.contains("is off"), "{message}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        notices("two_factor_off").await,
        0,
        "the stand-in sends none"
    );
}
