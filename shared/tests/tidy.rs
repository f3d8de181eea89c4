//! Tidy checks, in the spirit of rust-analyzer's: the invariants of ARCHITECTURE.md that a text search can check,
//! run over the workspace's sources. Each check first proves that its search finds what it looks for where it is
//! allowed, so that a check cannot pass by finding nothing.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace root")
        .to_path_buf()
}

/// Every `.rs` file under `dir` (relative to the workspace root), with its text, sorted by path.
fn rust_files(dir: &str) -> Vec<(String, String)> {
    fn walk(path: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())) {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let root = root();
    let mut paths = Vec::new();
    walk(&root.join(dir), &mut paths);
    paths.sort();
    paths
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).expect("a readable source file");
            let shown = p.strip_prefix(&root).unwrap_or(&p).display().to_string();
            (shown, text)
        })
        .collect()
}

/// Production sources outside `server/storage` and `server/ocpp`.
const PRODUCT_DIRS: &[&str] = &[
    "app/src",
    "frontend/src",
    "server/src",
    "server/statement-doc/src",
    "server/passfile/src",
    "shared/src",
];

/// `(file:line, line)` of every line in `dirs` containing one of `needles`, in code that is compiled into the
/// product: a file's unit tests (from its first `#[cfg(test)]` on) are not searched.
fn occurrences(dirs: &[&str], needles: &[&str]) -> Vec<String> {
    let mut found = Vec::new();
    for dir in dirs {
        for (path, text) in rust_files(dir) {
            let product = text.split("#[cfg(test)]").next().unwrap_or_default();
            for (n, line) in product.lines().enumerate() {
                if needles.iter().any(|needle| line.contains(needle)) {
                    found.push(format!("{path}:{}: {}", n + 1, line.trim()));
                }
            }
        }
    }
    found
}

const SQL: &[&str] = &[
    "sqlx::",
    "\"SELECT ",
    "\"INSERT INTO ",
    "\"UPDATE ",
    "\"DELETE FROM ",
    "\"WITH RECURSIVE ",
    "\"CREATE TABLE ",
];

#[test]
fn sql_lives_only_in_storage() {
    assert!(
        !occurrences(&["server/storage/src"], SQL).is_empty(),
        "the search finds storage's SQL"
    );
    let outside = occurrences(PRODUCT_DIRS, SQL);
    assert!(
        outside.is_empty(),
        "SQL outside server/storage (ARCHITECTURE.md: all SQL lives in server/storage):\n{}",
        outside.join("\n")
    );
}

/// OCPP 1.6J field names as JSON keys: only `server/ocpp` spells them ("idTag" alone is also a word of the UI).
const OCPP_JSON: &[&str] = &[
    "\"idTag\":",
    "= \"idTag\"",
    "\"idTagInfo\"",
    "\"connectorId\"",
    "\"transactionId\"",
    "\"chargePointVendor\"",
    "\"meterValue\"",
    "\"currentTime\"",
    "\"chargeBoxSerialNumber\"",
    "\"meterStop\"",
];

#[test]
fn ocpp_json_lives_only_in_the_ocpp_crate() {
    assert!(
        !occurrences(&["server/ocpp/src"], OCPP_JSON).is_empty(),
        "the search finds the ocpp crate's JSON"
    );
    let outside = occurrences(
        &[
            "app/src",
            "server/src",
            "server/statement-doc/src",
            "server/passfile/src",
            "shared/src",
            "server/storage/src",
        ],
        OCPP_JSON,
    );
    assert!(
        outside.is_empty(),
        "OCPP JSON outside server/ocpp (ARCHITECTURE.md: only server/ocpp knows OCPP JSON):\n{}",
        outside.join("\n")
    );
}

/// Server functions that are public by nature: logging in (limited per address and account before anything
/// else) and logging out (ends whatever session the cookie names, if any); "Forgot your password?" (limited per
/// address and per e-mail before anything is read, and answered alike whether or not the account exists); and
/// the mailed single-use link's check and use (the link's 256-bit token is the credential, checked before any
/// password is hashed).
const PUBLIC_SERVER_FNS: &[&str] = &[
    "login",
    "login_second_factor",
    "logout",
    "forgot_password",
    "check_account_link",
    "set_password_with_link",
];

#[test]
fn every_server_function_starts_with_the_authorization_step() {
    let mut checked = Vec::new();
    let mut wrong = Vec::new();
    for (path, text) in rust_files("app/src") {
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            if !line.trim_start().starts_with("#[server(") {
                continue;
            }
            let Some(sig) = (i + 1..lines.len()).find(|&j| lines[j].contains("async fn ")) else {
                wrong.push(format!("{path}:{}: #[server] without an async fn", i + 1));
                continue;
            };
            let name = lines[sig]
                .split("async fn ")
                .nth(1)
                .and_then(|rest| rest.split(['(', '<']).next())
                .unwrap_or_default()
                .trim()
                .to_owned();
            let Some(open) = (sig..lines.len()).find(|&j| lines[j].trim_end().ends_with('{'))
            else {
                wrong.push(format!("{path}:{}: {name} has no body", sig + 1));
                continue;
            };
            let first = lines[open + 1..]
                .iter()
                .map(|l| l.trim())
                .find(|l| !l.is_empty() && !l.starts_with("//"))
                .unwrap_or_default();
            checked.push(name.clone());
            if PUBLIC_SERVER_FNS.contains(&name.as_str()) {
                continue;
            }
            let authorizes = first.starts_with("let ")
                && (first.contains("server::admin_of(") || first.contains("server::caller()"));
            if !authorizes {
                wrong.push(format!(
                    "{path}:{}: server function {name} starts with `{first}`",
                    open + 2
                ));
            }
        }
    }
    assert!(
        checked.len() >= 10
            && PUBLIC_SERVER_FNS
                .iter()
                .all(|p| checked.iter().any(|c| c == p)),
        "the search finds the server functions: {checked:?}"
    );
    assert!(
        wrong.is_empty(),
        "every #[server] fn starts with `let … = auth::server::admin_of(…)` or `server::caller()` \
         (ARCHITECTURE.md: authorization is a value, taken first):\n{}",
        wrong.join("\n")
    );
}
