#!/usr/bin/env bash
# README command 1: installs what is missing, builds ChargeDesk (release) and runs the server.
#   bash scripts/run.sh                    serve on http://127.0.0.1:3000 with demo data on first start
#   bash scripts/run.sh serve              serve without demo data
#   bash scripts/run.sh create-partner …   any other `server` sub-command (see `bash scripts/run.sh --help`)
# The SQLite database is data/chargedesk.db (override with CHARGEDESK_DATA_DIR or DATABASE_URL).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
CHARGEDESK_SKIP_BROWSER=1 CHARGEDESK_SKIP_TEST_TOOLS=1 bash "$CHARGEDESK_ROOT/scripts/setup.sh"
cd "$CHARGEDESK_ROOT"
force_leaf_rebuild
# --precompress: the site files are served brotli- or gzip-compressed from files written once at build time.
CARGO_TARGET_DIR="$LEPTOS_TARGET_DIR" cargo leptos build --release --precompress --cargo-locked
# cargo-leptos writes the .gz files with libflate, a fifth larger than gzip -9 (browsers on plain http take gzip, not
# brotli): written again.
find "$LEPTOS_SITE_ROOT/$LEPTOS_SITE_PKG_DIR" -name '*.gz' -exec sh -c 'gzip -9 -n -c "${1%.gz}" >"$1"' _ {} \;
[ "$#" -gt 0 ] || set -- serve --demo
LEPTOS_ENV=PROD exec "$LEPTOS_TARGET_DIR/release/server" "$@"
