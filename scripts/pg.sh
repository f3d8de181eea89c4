#!/usr/bin/env bash
# A throwaway PostgreSQL server for the tests that run against PostgreSQL (storage's suite with
# CHARGEDESK_TEST_PG_URL). Nothing here touches a system cluster: each `start` makes a new cluster of its own.
#
#   eval "$(bash scripts/pg.sh start)"   starts one and sets, in the calling shell,
#       CHARGEDESK_TEST_PG_URL=postgres://postgres@127.0.0.1:<port>/postgres   (the admin database)
#       CHARGEDESK_TEST_PG_DIR=<the cluster's directory>                      (for `stop`)
#   bash scripts/pg.sh stop "$CHARGEDESK_TEST_PG_DIR"   stops it and deletes the directory.
#
# With `set -e`, stop it on every exit, failures included:
#   eval "$(bash scripts/pg.sh start)"
#   trap 'bash scripts/pg.sh stop "$CHARGEDESK_TEST_PG_DIR"' EXIT
#
# The server listens on 127.0.0.1 only, on a free port, with no Unix socket, and trusts every connection (it
# holds nothing but test data and dies with the test run). Durability is switched off (fsync, full-page writes,
# synchronous commit): a crash loses only a test database.
#
# When the PostgreSQL server binaries are missing (initdb under /usr/lib/postgresql/*/bin), Debian's
# `postgresql` package is installed with apt-get (as root). Installing it may also create and start Debian's
# own "main" cluster on port 5432; this script never uses that one.
#
# Running as root: PostgreSQL refuses to run as root, so the cluster is created and run as the `postgres` user
# (made by Debian's package; `nobody` when it does not exist) through `runuser`. That user must be able to reach
# the cluster's directory: it is made under $CHARGEDESK_CACHE/pg when the user can enter it, and otherwise (the
# cache is under root's home, /root, which other users cannot enter) under ${TMPDIR:-/tmp}. Not as root,
# everything runs as the current user under $CHARGEDESK_CACHE/pg.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

log() { echo "[pg] $*" >&2; }

# The newest installed server's bin directory, installing Debian's package when there is none.
pg_bin_dir() {
  local initdb
  initdb="$(ls -1d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1 || true)"
  if [ -z "$initdb" ]; then
    if [ "$(id -u)" -ne 0 ]; then
      log "PostgreSQL's server binaries are missing: install Debian's package 'postgresql' (apt-get) and retry"
      exit 1
    fi
    log "installing Debian's postgresql package"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq postgresql >&2
    initdb="$(ls -1d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1 || true)"
    [ -n "$initdb" ] || { log "no initdb after installing postgresql"; exit 1; }
  fi
  dirname "$initdb"
}

# The user the server runs as: the current one, or a non-root one when we are root.
server_user() {
  if [ "$(id -u)" -ne 0 ]; then
    id -un
  elif id -u postgres >/dev/null 2>&1; then
    echo postgres
  else
    echo nobody
  fi
}

# Runs a command as the server's user.
as_server_user() {
  local user="$1"; shift
  if [ "$(id -u)" -ne 0 ]; then
    "$@"
  else
    runuser -u "$user" -- "$@"
  fi
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

start() {
  local bin user base dir port
  bin="$(pg_bin_dir)"
  user="$(server_user)"
  base="$CHARGEDESK_CACHE/pg"
  mkdir -p "$base"
  if [ "$(id -u)" -eq 0 ]; then
    chmod 755 "$base"
    if ! runuser -u "$user" -- test -x "$base"; then
      base="${TMPDIR:-/tmp}"
    fi
  fi
  dir="$(mktemp -d "$base/chargedesk-pg.XXXXXXXX")"
  chmod 700 "$dir"
  [ "$(id -u)" -ne 0 ] || chown "$user" "$dir"
  as_server_user "$user" "$bin/initdb" --pgdata="$dir/data" --username=postgres --auth=trust \
    --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 || {
    cat "$dir/initdb.log" >&2
    rm -rf "$dir"
    exit 1
  }
  # A port can be taken between choosing it and the server binding it: try a few.
  for _ in 1 2 3 4 5; do
    port="$(free_port)"
    if as_server_user "$user" "$bin/pg_ctl" --pgdata="$dir/data" --log="$dir/server.log" --wait --timeout=60 \
      -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories='' -c max_connections=300 \
          -c fsync=off -c full_page_writes=off -c synchronous_commit=off" start >/dev/null 2>&1; then
      log "PostgreSQL ($("$bin/postgres" --version)) on 127.0.0.1:$port, cluster $dir"
      printf 'export CHARGEDESK_TEST_PG_URL=%q\n' "postgres://postgres@127.0.0.1:$port/postgres"
      printf 'export CHARGEDESK_TEST_PG_DIR=%q\n' "$dir"
      return 0
    fi
  done
  cat "$dir/server.log" >&2 || true
  rm -rf "$dir"
  log "the server did not start"
  exit 1
}

stop() {
  local dir="${1:-}" bin user
  [ -n "$dir" ] || { log "usage: pg.sh stop <cluster directory>"; exit 2; }
  [ -d "$dir/data" ] || { rm -rf "$dir"; return 0; }
  bin="$(pg_bin_dir)"
  user="$(stat -c %U "$dir/data")"
  as_server_user "$user" "$bin/pg_ctl" --pgdata="$dir/data" --mode=immediate --wait stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}

case "${1:-}" in
  start) start ;;
  stop) stop "${2:-}" ;;
  *) echo "usage: $0 start | stop <cluster directory>" >&2; exit 2 ;;
esac
