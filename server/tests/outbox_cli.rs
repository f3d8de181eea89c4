//! `server outbox`: the operator's view of the mail outbox, run as the built binary on a database (a data
//! directory, or `--database-url` on PostgreSQL with CHARGEDESK_TEST_PG_URL) whose messages were queued through
//! the storage API.

use std::process::{Command, Output};
use std::time::Duration;
use storage::test_support::TestDb;
use storage::{Db, Letter};

fn outbox(test_db: &TestDb, args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_server"));
    command
        .args(test_db.server_args())
        .arg("outbox")
        .args(args)
        .env_remove("DATABASE_URL")
        .env_remove("CHARGEDESK_SMTP_HOST")
        .env("RUST_LOG", "warn");
    command.output().expect("run server outbox")
}

fn stdout(output: &Output) -> String {
    assert!(
        output.status.success(),
        "{:?}: {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).expect("utf-8")
}

async fn queue_two(test_db: &TestDb) -> (Db, i64, i64) {
    let db = test_db.open().await;
    let link = db.link("/set-password#token=first-token");
    db.queue_mail(
        &Letter::new(
            "jan@dekroon.example",
            "Set your ChargeDesk password",
            "invitation",
        )
        .greeting("Jan")
        .button("Set your password", &link),
    )
    .await
    .unwrap();
    db.queue_mail(
        &Letter::new(
            "eva@dekroon.example",
            "Reset your ChargeDesk password",
            "password_reset",
        )
        .button(
            "Choose a new password",
            &db.link("/reset#token=second-token"),
        ),
    )
    .await
    .unwrap();
    let listed = db.outbox(10).await.unwrap();
    (db, listed[1].id, listed[0].id)
}

#[tokio::test]
async fn the_outbox_lists_messages_newest_first_and_shows_one_with_its_link() {
    let test_db = TestDb::new().await;
    let (_db, first, second) = queue_two(&test_db).await;

    let list = stdout(&outbox(&test_db, &[]));
    let lines: Vec<&str> = list.lines().collect();
    assert!(
        lines[0].contains("RECIPIENT") && lines[0].contains("SUBJECT"),
        "{list}"
    );
    assert!(
        lines[1].contains("eva@dekroon.example")
            && lines[1].contains("Reset your ChargeDesk password")
    );
    assert!(lines[1].contains("queued"), "{list}");
    assert!(lines[1].trim_start().starts_with(&second.to_string()));
    assert!(
        lines[2].contains("jan@dekroon.example")
            && lines[2].contains("Set your ChargeDesk password")
    );
    assert!(lines[2].trim_start().starts_with(&first.to_string()));
    // The list never shows a body (nor its link).
    assert!(!list.contains("token"), "{list}");

    let limited = stdout(&outbox(&test_db, &["--limit", "1"]));
    assert!(
        limited.contains("eva@") && !limited.contains("jan@"),
        "{limited}"
    );

    let shown = stdout(&outbox(&test_db, &["--show", &first.to_string()]));
    assert!(shown.contains("To:       jan@dekroon.example"), "{shown}");
    assert!(shown.contains("Status:   queued"), "{shown}");
    assert!(shown.contains("Hello Jan,"), "{shown}");
    assert!(
        shown
            .contains("Set your password:\nhttp://127.0.0.1:3000/set-password#token=first-token\n"),
        "{shown}"
    );
    assert!(!shown.contains("second-token"), "{shown}");
}

#[tokio::test]
async fn a_sent_message_shows_no_body_and_an_unknown_id_is_an_error() {
    let test_db = TestDb::new().await;
    let (db, first, _) = queue_two(&test_db).await;
    let claimed = db
        .claim_due_mail("cli-test", storage::now(), Duration::from_secs(60), 1)
        .await
        .unwrap();
    assert_eq!(claimed[0].id, first);
    assert!(db
        .mark_mail_sent(first, "cli-test", storage::now())
        .await
        .unwrap());

    let list = stdout(&outbox(&test_db, &[]));
    assert!(
        list.lines()
            .any(|l| l.contains("jan@dekroon.example") && l.contains("sent")),
        "{list}"
    );
    let shown = stdout(&outbox(&test_db, &["--show", &first.to_string()]));
    assert!(shown.contains("Status:   sent"), "{shown}");
    assert!(shown.contains("The body was erased"), "{shown}");
    assert!(!shown.contains("token"), "{shown}");

    let missing = outbox(&test_db, &["--show", "999999"]);
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no message 999999"));
    assert!(!outbox(&test_db, &["--limit", "0"]).status.success());
}

#[tokio::test]
async fn an_empty_outbox_says_so() {
    let test_db = TestDb::new().await;
    drop(test_db.open().await);
    let list = stdout(&outbox(&test_db, &[]));
    assert!(list.contains("The outbox is empty"), "{list}");
}
