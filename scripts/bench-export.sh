#!/usr/bin/env bash
# The Transactions download benchmark (docs/benchmarks.md): ROWS sessions (default 1,000,000) inserted into a
# fresh demo database (SQLite), then the unfiltered CSV and XLSX downloaded through the running server; prints the
# server's peak RSS (VmHWM) before and after each download, the time and the size of each file.
#   bash scripts/bench-export.sh            # the server binary: $CHARGEDESK_SERVER_BIN or the debug build
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
ROWS="${ROWS:-1000000}"
PORT="${PORT:-3377}"
BIN="${CHARGEDESK_SERVER_BIN:-$CARGO_TARGET_DIR/debug/server}"
dir="$(mktemp -d)"
trap 'kill "$pid" 2>/dev/null || true; grep -i error "$dir/server.log" | head -3; rm -rf "$dir"' EXIT

LEPTOS_SITE_ADDR="127.0.0.1:$PORT" RUST_LOG=warn "$BIN" --data-dir "$dir" serve --demo >"$dir/server.log" 2>&1 &
pid=$!
for _ in $(seq 1 120); do curl -fs -o /dev/null "http://127.0.0.1:$PORT/login" && break; sleep 0.5; done
db="$dir/chargedesk.db"
echo "database: $db"

# ROWS sessions at the first demo station, one a minute backwards from now, 1–30 kWh, every third settled.
start_sql="$(date +%s)"
sqlite3 "$db" <<SQL
.timeout 30000
BEGIN;
INSERT INTO authorization_decisions (station_id, at, action, id_tag, access_mode, status, billing, reason)
  SELECT id, 0, 'StartTransaction', 'BENCH', 'roaming_and_whitelisting', 'Accepted', 'free', 'benchmark'
  FROM stations ORDER BY id LIMIT 1;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $ROWS)
INSERT INTO transactions (station_id, connector_id, id_tag, decision_id, status, billing, started_at,
                          meter_start_wh, stopped_at, meter_stop_wh, energy_wh, stop_reason, created_at,
                          tariff, price_net, price_vat, price_gross)
  SELECT (SELECT id FROM stations ORDER BY id LIMIT 1), 1 + i % 2, printf('04%012X', i),
         (SELECT max(id) FROM authorization_decisions), 'Accepted',
         CASE WHEN i % 3 = 0 THEN 'settled' ELSE 'free' END,
         $(date +%s)000 - i * 60000, i * 10, $(date +%s)000 - i * 60000 + 3600000,
         i * 10 + 1000 + i % 29000, 1000 + i % 29000, 'Local', 0,
         CASE WHEN i % 3 = 0 THEN '{"currency":"EUR","start_fee":100,"per_kwh":3500,"per_hour_charging":0,"per_hour_idle":0,"idle_free_minutes":0,"max_per_session":null,"vat_basis_points":2100}' END,
         CASE WHEN i % 3 = 0 THEN 100 + i % 900 END, CASE WHEN i % 3 = 0 THEN 21 END,
         CASE WHEN i % 3 = 0 THEN 121 + i % 900 END
  FROM n;
COMMIT;
SQL
echo "inserted $ROWS sessions in $(( $(date +%s) - start_sql )) s"

cookies="$dir/cookies"
curl -fs -c "$cookies" -H 'Accept: application/json' \
  --data-urlencode "email=${DEMO_EMAIL:-eva@volta-partners.example}" \
  --data-urlencode "password=chargedesk-demo" "http://127.0.0.1:$PORT/api/login" >/dev/null
org="$(sqlite3 "$db" "SELECT org_id FROM stations ORDER BY id LIMIT 1")"
hwm() { awk '/VmHWM/ {print $2 " " $3}' "/proc/$pid/status"; }
rss() { awk '/VmRSS/ {print $2 " " $3}' "/proc/$pid/status"; }
echo "server before downloads: VmHWM $(hwm), VmRSS $(rss)"
for file in transactions.csv transactions.xlsx; do
  t0="$(date +%s.%N)"
  curl -sS -w "HTTP %{http_code}\n" -b "$cookies" -H 'Sec-Fetch-Site: same-origin' -o "$dir/$file" \
    "http://127.0.0.1:$PORT/api/export/$file?org=$org"
  t1="$(date +%s.%N)"
  printf '%s: %s bytes in %.1f s; server VmHWM %s, VmRSS %s\n' "$file" "$(stat -c %s "$dir/$file")" \
    "$(echo "$t1 - $t0" | bc)" "$(hwm)" "$(rss)"
done
head -c 300 "$dir/transactions.csv" | tail -c 200; echo
echo "CSV lines: $(wc -l <"$dir/transactions.csv")"
