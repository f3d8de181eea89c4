#!/usr/bin/env bash
# README command 2: every check and test, exits non-zero on the first failure. `.ci/run` calls exactly this.
#   formatting · clippy (server side, and the wasm side for wasm32) · unit and integration tests · the storage
#   and server tests once more on PostgreSQL ·
#   release build with cargo-leptos · OCPP interoperability with an independent client (Python `ocpp`) ·
#   Playwright end-to-end tests in Debian's Chromium against the real server.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
bash "$CHARGEDESK_ROOT/scripts/setup.sh"
cd "$CHARGEDESK_ROOT"
trim_target_dir "$CARGO_TARGET_DIR"
trim_target_dir "$LEPTOS_TARGET_DIR"
# Incremental caches are per checkout path and only grow; a test run gains nothing from them.
export CARGO_INCREMENTAL=0
step() { printf '\n\033[1;34m==> %s\033[0m\n' "$*"; }

step "cargo fmt --check"
cargo fmt --all --check

# The app crate is compiled for the server (feature ssr) and for the browser (feature hydrate), never both at
# once: each side is linted and tested on its own.
step "clippy: server side"
cargo clippy --locked -p shared -p ocpp -p storage -p app -p server -p sim -p statement-doc -p passfile --all-targets -- -D warnings
step "clippy: browser side (wasm32)"
cargo clippy --locked -p frontend -p app -p shared --target wasm32-unknown-unknown -- -D warnings

step "unit and integration tests"
# The mail tests start the test SMTP server (end2end/mail/smtp_sink.py) with the Python that setup.sh installed.
export CHARGEDESK_TEST_PYTHON="$CHARGEDESK_CACHE/venv/bin/python"
cargo test --locked -p shared -p ocpp -p storage -p app -p server -p statement-doc -p passfile
# The simulator, with its load mode's smoke run (50 seeded stations for 5 s against the real server, no errors).
cargo test --locked -p sim
# Every Criterion benchmark case once, unmeasured (test mode), so the benchmarks cannot rot; no time is asserted
# (docs/benchmarks.md).
cargo test --locked --benches -p shared -p ocpp -p storage

step "storage, server and simulator tests on PostgreSQL"
# The storage, server and simulator suites once more, each test on a new database of a throwaway PostgreSQL cluster
# (scripts/pg.sh; it installs Debian's postgresql package when the server is missing; storage::test_support makes
# the databases), stopped and deleted also when a test fails. The server's binaries get the database with
# --database-url; the checks that need a PostgreSQL server (its refusals named) run only here.
pg_env="$(bash scripts/pg.sh start)"
eval "$pg_env"
trap 'bash "$CHARGEDESK_ROOT/scripts/pg.sh" stop "$CHARGEDESK_TEST_PG_DIR"' EXIT
cargo test --locked -p storage
cargo test --locked -p server
cargo test --locked -p sim
bash scripts/pg.sh stop "$CHARGEDESK_TEST_PG_DIR"
trap - EXIT
unset CHARGEDESK_TEST_PG_URL CHARGEDESK_TEST_PG_DIR pg_env

step "charge point simulator (for the end-to-end tests)"
touch sim/src/bin/chargepoint-sim.rs # see force_leaf_rebuild in env.sh
cargo build --locked -p sim --bin chargepoint-sim
export CHARGEDESK_SIM_BIN="$CARGO_TARGET_DIR/debug/chargepoint-sim"

step "release build (cargo leptos build --release --precompress --split)"
build_release_site # scripts/env.sh

export CHARGEDESK_SERVER_BIN="$LEPTOS_TARGET_DIR/release/server"

step "OCPP interoperability: the Python ocpp package as a charge point"
interop_data="$CHARGEDESK_ROOT/target/interop-data"
rm -rf "$interop_data"
LEPTOS_ENV=PROD LEPTOS_SITE_ADDR=127.0.0.1:3200 RUST_LOG=warn \
  "$CHARGEDESK_SERVER_BIN" --data-dir "$interop_data" serve --demo >"$CHARGEDESK_ROOT/target/interop-server.log" 2>&1 &
interop_pid=$!
trap 'kill "$interop_pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 60); do
  curl -fs -o /dev/null http://127.0.0.1:3200/login && break
  sleep 0.5
done
"$CHARGEDESK_CACHE/venv/bin/python" end2end/interop/python_ocpp_charge_point.py ws://127.0.0.1:3200/ocpp
kill "$interop_pid"
trap - EXIT

step "end-to-end tests (Playwright, Chromium)"
npx playwright test --config end2end/playwright.config.ts

# Installs are exact: on CI's fresh clone, nothing above may have rewritten a tracked file (a lockfile above all)
# or left an untracked one outside .gitignore.
if [ "${CI:-}" = true ] && git -C "$CHARGEDESK_ROOT" rev-parse --git-dir >/dev/null 2>&1; then
  step "the clone is still clean"
  dirty="$(git -C "$CHARGEDESK_ROOT" status --porcelain)"
  if [ -n "$dirty" ]; then
    echo "The test run changed the clone:"; echo "$dirty"; exit 1
  fi
fi
