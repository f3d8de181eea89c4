#!/usr/bin/env bash
# The OCPP load benchmark of issue #9: the release server pinned to CPU 0, the load (`chargepoint-sim load`) on
# CPU 1, on a throwaway database (SQLite, and/or a throwaway PostgreSQL cluster from scripts/pg.sh) seeded with
# `server seed-load-test`, and a table of each target and by how much it was met or missed.
#
#   bash scripts/bench.sh [--quick] [--only SCENARIO] [--authorize-rate N] [sqlite|postgres|both]
#                                                                    (default: every scenario, sqlite)
#
# On PostgreSQL the database server (a throwaway, non-durable cluster of scripts/pg.sh) is pinned to CPU 0 with the
# server: the server side is one core, whichever database it uses.
# Scenarios (--quick: 1,000 stations, 500 Authorize/s, shorter runs, for trying the script itself):
#   heartbeat  10,000 stations connect over 30 s and heartbeat every 10 s for 60 s: Heartbeat p99 < 5 ms, server
#              RSS (VmHWM, the peak) < 300 MB.
#   authorize  1,000 of them (booted over 5 s) send Authorize at 5,000/s in all for 30 s, every frame logged and
#              every decision stored (the server's normal work): Authorize p99 < 2 ms, no error.
#   storm      the server is restarted, then all 10,000 stations connect and boot at once: the last
#              BootNotification Accepted within 30 s, none refused or timed out.
# Latencies are the simulator's, open-loop: measured from each request's scheduled time.
# --only heartbeat|authorize|storm runs one scenario (the table then shows its rows only); --authorize-rate N
# sets the authorize scenario's rate (a capacity ladder: run it at several rates; its target stays 5,000/s).
#
# Server settings used (environment variables of the server, all at their defaults unless set here):
#   LEPTOS_SITE_ADDR=127.0.0.1:$BENCH_PORT (default 3300)   where the server listens
#   RUST_LOG=warn                                           no per-request logging on the console
#   CHARGEDESK_OCPP_HEARTBEAT_SECS=10                       the interval told to stations (the load uses 10 s)
#   CHARGEDESK_OCPP_CALLS_PER_SEC (20), CHARGEDESK_OCPP_CALL_BURST (100): per-connection call limits; the
#     authorize scenario sends 5 per second per station, well below
#   CHARGEDESK_OCPP_HANDSHAKE_FAILURES_PER_MIN (10): only failed handshakes are limited; the load's succeed
#   CHARGEDESK_LOG_QUEUE_MB (64): frames waiting to be logged
#   CHARGEDESK_DB_MAX_CONNECTIONS (10): PostgreSQL connections
# Timings on a shared machine are noisy: run it on a quiet one and say what else ran.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$CHARGEDESK_ROOT"

usage="usage: bash scripts/bench.sh [--quick] [--only heartbeat|authorize|storm] [--authorize-rate N] [sqlite|postgres|both]"
quick=false
databases=sqlite
only=""
rate=""
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=true ;;
    --only)
      case "${2:-}" in heartbeat | authorize | storm) only="$2" ;; *) echo "$usage" >&2; exit 2 ;; esac
      shift ;;
    --authorize-rate)
      [[ "${2:-}" =~ ^[1-9][0-9]*$ ]] || { echo "$usage" >&2; exit 2; }
      rate="$2"
      shift ;;
    sqlite | postgres | both) databases="$1" ;;
    *) echo "$usage" >&2; exit 2 ;;
  esac
  shift
done
runs() { [ -z "$only" ] || [ "$only" = "$1" ]; }
[ "$databases" = both ] && databases="sqlite postgres"

if $quick; then
  stations=1000 ramp=5 heartbeat_run=20 auth_stations=200 auth_rate=500 auth_secs=10
else
  stations=10000 ramp=30 heartbeat_run=60 auth_stations=1000 auth_rate=5000 auth_secs=30
fi
[ -n "$rate" ] && auth_rate="$rate"
# The target rate (the p99 target holds at it); a ladder run at another rate says so in the table.
target_rate=5000
$quick && target_rate=500
port="${BENCH_PORT:-3300}"
password="load-benchmark-station-key-$RANDOM$RANDOM"
cpus="$(nproc)"
if [ "$cpus" -lt 2 ]; then
  echo "bench.sh pins the server and the load to one CPU each and needs 2 (this machine has $cpus)" >&2
  exit 2
fi

echo "==> release build of server and chargepoint-sim" >&2
cargo build --release --locked -p server --bin server -p sim --bin chargepoint-sim >&2
server_bin="$CARGO_TARGET_DIR/release/server"
sim_bin="$CARGO_TARGET_DIR/release/chargepoint-sim"

work="$(mktemp -d "${TMPDIR:-/tmp}/chargedesk-bench.XXXXXX")"
server_pid=""
sampler_pid=""
pg_dir=""
cleanup() {
  [ -n "$sampler_pid" ] && kill "$sampler_pid" 2>/dev/null || true
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  [ -n "$server_pid" ] && wait "$server_pid" 2>/dev/null || true
  [ -n "$pg_dir" ] && bash "$CHARGEDESK_ROOT/scripts/pg.sh" stop "$pg_dir" || true
  rm -rf "$work"
}
trap cleanup EXIT
# Thousands of connections on each side.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

# The server, on CPU 0, with the database of $database_args; waits until it answers.
start_server() {
  LEPTOS_SITE_ADDR="127.0.0.1:$port" RUST_LOG=warn CHARGEDESK_OCPP_HEARTBEAT_SECS=10 \
    taskset -c 0 "$server_bin" "${database_args[@]}" serve >>"$work/server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 120); do
    curl -fs -o /dev/null "http://127.0.0.1:$port/readyz" 2>/dev/null && return 0
    kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log" >&2; echo "the server did not start" >&2; exit 1; }
    sleep 0.5
  done
  echo "the server did not answer within 60 s" >&2
  exit 1
}

stop_server() {
  kill "$server_pid"
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
}

# The server's peak resident memory (VmHWM) and current (VmRSS), in MB.
memory_mb() {
  awk '/^VmHWM:/ { hwm = $2 } /^VmRSS:/ { rss = $2 } END { printf "%.1f %.1f\n", hwm / 1024, rss / 1024 }' \
    "/proc/$server_pid/status"
}

# The load, on CPU 1, as one JSON report in $work/$1.json (its exit status only says whether there were errors).
load() {
  local name="$1"
  shift
  echo "==> $name: chargepoint-sim load $*" >&2
  CHARGEDESK_STATION_PASSWORD="$password" taskset -c 1 "$sim_bin" load \
    --url "ws://127.0.0.1:$port/ocpp" --json "$@" >"$work/$name.json" || true
  if ! jq -e . "$work/$name.json" >/dev/null 2>&1; then
    echo "the load of $name printed no report" >&2
    exit 1
  fi
}

results=()
for database in $databases; do
  case "$database" in
    sqlite)
      database_args=(--data-dir "$work/sqlite")
      ;;
    postgres)
      pg_env="$(bash scripts/pg.sh start)"
      eval "$pg_env"
      pg_dir="$CHARGEDESK_TEST_PG_DIR"
      # PostgreSQL runs on the server's CPU too (the server side of the benchmark is one core): the postmaster
      # and the processes it started so far; the backends it starts from now on inherit its CPU.
      postmaster="$(head -n 1 "$pg_dir/data/postmaster.pid")"
      for pid in "$postmaster" $(ps -o pid= --ppid "$postmaster"); do
        taskset -p -c 0 "$pid" >/dev/null
      done
      psql -q "$CHARGEDESK_TEST_PG_URL" -c "CREATE DATABASE load_benchmark"
      database_args=(--database-url "${CHARGEDESK_TEST_PG_URL%/*}/load_benchmark")
      ;;
  esac
  echo "==> $database: seeding $stations stations and 10,000 passes" >&2
  CHARGEDESK_STATION_PASSWORD="$password" "$server_bin" "${database_args[@]}" seed-load-test \
    --stations "$stations" --passes 10000 >&2

  hwm="" rss="" storm_hwm=""
  if runs heartbeat || runs authorize; then
    start_server
    if runs heartbeat; then
      load "$database-heartbeat" --stations "$stations" --ramp-secs "$ramp" --heartbeat-secs 10 \
        --duration-secs "$((ramp + heartbeat_run))" --id-tags 10000
      read -r hwm rss <<<"$(memory_mb)"
    fi
    if runs authorize; then
      load "$database-authorize" --stations "$auth_stations" --ramp-secs 5 --heartbeat-secs 10 \
        --authorize-rate "$auth_rate" --duration-secs "$((5 + auth_secs))" --id-tags 10000
    fi
    stop_server
  fi

  if runs storm; then
    start_server
    load "$database-storm" --scenario storm --stations "$stations" --duration-secs 120
    read -r storm_hwm _ <<<"$(memory_mb)"
    stop_server
  fi
  echo "$database ${hwm:--} ${rss:--} ${storm_hwm:--}" >"$work/$database-memory"
  results+=("$database")

  if [ "$database" = postgres ]; then
    bash scripts/pg.sh stop "$pg_dir"
    pg_dir=""
  fi
done

# The table: each target, what was measured and by how much it was met (+) or missed (-).
echo
echo "ChargeDesk OCPP load benchmark, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), $($quick && echo 'QUICK: smaller N' || echo 'full')"
printf '%-9s %-44s %-12s %-12s %s\n' database target measured limit verdict
for database in "${results[@]}"; do
  read -r _ hwm rss storm_hwm <"$work/$database-memory"
  hb="$work/$database-heartbeat.json" au="$work/$database-authorize.json" st="$work/$database-storm.json"
  row() { # database, target, measured, limit, lower-is-better unit
    awk -v d="$1" -v t="$2" -v m="$3" -v l="$4" -v u="$5" 'BEGIN {
      if (m == "" || m == "null") { printf "%-9s %-44s %-12s %-12s %s\n", d, t, "n/a", l u, "MISSED (no value)"; exit }
      if (l + 0 == 0) verdict = (m + 0 == 0) ? "met" : sprintf("MISSED by %.3g%s", m, u)
      else verdict = (m + 0 <= l + 0) ? sprintf("met by %.3g%s (%.0f%% below)", l - m, u, 100 * (l - m) / l) \
                                      : sprintf("MISSED by %.3g%s (%.0f%% over)", m - l, u, 100 * (m - l) / l)
      printf "%-9s %-44s %-12s %-12s %s\n", d, t, sprintf("%.3g%s", m, u), l u, verdict }'
  }
  if runs heartbeat; then
    row "$database" "$stations heartbeating: Heartbeat p99" "$(jq '.actions.Heartbeat.p99Ms' "$hb")" 5 ms
    row "$database" "$stations heartbeating: server RSS peak (VmHWM)" "$hwm" 300 MB
    row "$database" "$stations heartbeating: errors + timeouts" "$(jq '.errors + .timeouts' "$hb")" 0 ""
    row "$database" "$stations heartbeating: stations booted (missing)" "$(jq "$stations - .booted" "$hb")" 0 ""
    echo "$database details: heartbeat $(jq -c '{booted, errors, timeouts, hb: .actions.Heartbeat | {answered, p50Ms, p99Ms, p999Ms, maxMs}}' "$hb"), server RSS after the run ${rss} MB"
  fi
  if runs authorize; then
    label="Authorize $auth_rate/s"
    [ "$auth_rate" = "$target_rate" ] || label="$label (target: $target_rate/s)"
    row "$database" "$label: p99" "$(jq '.actions.Authorize.p99Ms' "$au")" 2 ms
    row "$database" "$label: errors + timeouts" "$(jq '.errors + .timeouts' "$au")" 0 ""
    echo "$database details: authorize at $(jq ".actions.Authorize.answered / $auth_secs" "$au")/s over its $auth_secs s $(jq -c '{errors, timeouts, au: .actions.Authorize | {answered, perSecond, p50Ms, p99Ms, p999Ms, maxMs, notAccepted, unsent}}' "$au")"
  fi
  if runs storm; then
    row "$database" "storm of $stations: last boot Accepted" "$(jq '.lastBootAcceptedSecs' "$st")" 30 s
    row "$database" "storm of $stations: refused + timed out" "$(jq '.refused + .connectTimeouts + .actions.BootNotification.timeouts' "$st")" 0 ""
    row "$database" "storm of $stations: not booted" "$(jq "$stations - .booted" "$st")" 0 ""
    echo "$database details: storm $(jq -c '{booted, refused, connectTimeouts, lastBootAcceptedSecs, boot: .actions.BootNotification | {p50Ms, p99Ms, maxMs, timeouts}}' "$st"), server RSS peak after the storm ${storm_hwm} MB"
  fi
done
