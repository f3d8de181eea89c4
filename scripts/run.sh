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
build_release_site # scripts/env.sh
[ "$#" -gt 0 ] || set -- serve --demo
LEPTOS_ENV=PROD exec "$LEPTOS_TARGET_DIR/release/server" "$@"
