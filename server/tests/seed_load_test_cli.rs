//! `server seed-load-test`, run as the built binary on a fresh SQLite data directory: what it prints, that a
//! second run is refused without a change, and its refusals of counts out of range and of an unusable password.
//! (The seeding itself, on SQLite and PostgreSQL, is tested in storage's tests/load_test.rs.)

mod common;

use common::cli::{run, server};
use std::path::Path;
use std::process::{Command, Output};

const PASSWORD: &str = "load-test-cli-station-key";

fn seed(dir: &Path, args: &[&str], password: Option<&str>) -> Output {
    let mut command: Command = server(dir);
    command
        .args(["--data-dir", "data", "seed-load-test"])
        .args(args);
    match password {
        Some(password) => command.env("CHARGEDESK_STATION_PASSWORD", password),
        None => command.env_remove("CHARGEDESK_STATION_PASSWORD"),
    };
    run(command)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn seeds_once_prints_what_it_made_and_refuses_a_second_time() {
    let dir = tempfile::tempdir().unwrap();
    let made = seed(
        dir.path(),
        &["--stations", "3", "--passes", "2"],
        Some(PASSWORD),
    );
    assert!(made.status.success(), "{}", text(&made.stderr));
    let printed = text(&made.stdout);
    assert!(printed.contains("\"Load test\""), "{printed}");
    assert!(
        printed.contains("3 stations CP-LOAD-00001 … CP-LOAD-00003"),
        "{printed}"
    );
    assert!(
        printed.contains("2 whitelisted passes with the idTags 10AD0000000001 … 10AD0000000002"),
        "{printed}"
    );
    assert!(
        !printed.contains(PASSWORD),
        "the password is not printed: {printed}"
    );

    for _ in 0..2 {
        let again = seed(
            dir.path(),
            &["--stations", "5", "--passes", "5"],
            Some(PASSWORD),
        );
        assert!(!again.status.success());
        let stderr = text(&again.stderr);
        assert!(
            stderr.contains(
                "This database already has the load test's partner \"Load test\": seed a fresh database."
            ),
            "{stderr}"
        );
    }
}

#[test]
fn counts_out_of_range_and_unusable_passwords_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        ["--stations", "0", "--passes", "1"],
        ["--stations", "100000", "--passes", "1"],
        ["--stations", "1", "--passes", "0"],
    ] {
        let refused = seed(dir.path(), &args, Some(PASSWORD));
        assert_eq!(
            refused.status.code(),
            Some(2),
            "{args:?}: clap's usage error"
        );
    }
    // Too short for a station password (shared::station::StationPassword's rules).
    let refused = seed(
        dir.path(),
        &["--stations", "1", "--passes", "1"],
        Some("short"),
    );
    assert!(!refused.status.success());
    assert!(
        text(&refused.stderr).contains("station password"),
        "{}",
        text(&refused.stderr)
    );
    // Nothing was seeded by the refusals: a valid run still works.
    let made = seed(
        dir.path(),
        &["--stations", "1", "--passes", "1"],
        Some(PASSWORD),
    );
    assert!(made.status.success(), "{}", text(&made.stderr));
}
