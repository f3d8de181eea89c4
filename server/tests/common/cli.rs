//! Running the `server` binary as an operator would, for the tests of its command line and configuration
//! refusals (`operability.rs`, `migrate_cli.rs`).

use std::io::Read;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// The binary with none of the caller's database, listening, mail or log settings, quiet logs, its output
/// piped, run in `cwd`.
pub fn server(cwd: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_server"));
    command
        .current_dir(cwd)
        .env_remove("DATABASE_URL")
        .env_remove("CHARGEDESK_DATA_DIR")
        .env_remove("CHARGEDESK_DB_MAX_CONNECTIONS")
        .env_remove("CHARGEDESK_LOG_FORMAT")
        .env_remove("CHARGEDESK_PUBLIC_URL")
        .env_remove("CHARGEDESK_SMTP_HOST")
        .env_remove("LEPTOS_SITE_ADDR")
        .env_remove("CHARGEDESK_TRUSTED_PROXIES")
        .env_remove("RUST_BACKTRACE")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// Runs `command` (killing it should it hang for a minute instead of finishing) and returns its output.
pub fn run(mut command: Command) -> Output {
    finish(
        command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start the server binary"),
    )
}

/// Waits for `child`, started with its output piped (killing it should it hang for a minute), and returns its
/// output.
pub fn finish(mut child: Child) -> Output {
    let (done, finished) = mpsc::channel::<()>();
    let id = child.id();
    std::thread::spawn(move || {
        if finished.recv_timeout(Duration::from_secs(60)).is_err() {
            let _ = Command::new("kill").arg(id.to_string()).status();
        }
    });
    let mut stdout = Vec::new();
    let mut stderr = Vec::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_end(&mut stdout)
        .unwrap();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_end(&mut stderr)
        .unwrap();
    let status = child.wait().unwrap();
    let _ = done.send(());
    Output {
        status,
        stdout,
        stderr,
    }
}

/// Asserts that the process refused with exit status 2 and exactly one line on stderr, without an error
/// chain, panic, backtrace or internal error text; returns that line.
pub fn refusal(output: &Output) -> String {
    let stderr = String::from_utf8(output.stderr.clone()).expect("utf-8");
    assert_eq!(
        output.status.code(),
        Some(2),
        "exit status; stderr: {stderr}; stdout: {}",
        String::from_utf8_lossy(&output.stdout)
    );
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "one line on stderr: {stderr:?}");
    let line = lines[0].to_owned();
    for noise in [
        "Caused by",
        "panicked",
        "backtrace",
        "Error:",
        "Internal storage error",
    ] {
        assert!(!line.contains(noise), "{line}");
    }
    line
}
