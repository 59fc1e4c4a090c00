#!/usr/bin/env bash
# A throwaway PostgreSQL server for the database tests (tests/testthat/
# test-database.R), on 127.0.0.1 only, trust authentication, in a temporary
# directory that `stop` removes.
#
#   eval "$(bash tools/pg.sh start)"    start one; prints the connection as
#                                       export lines (MATEQUITY_PG_HOST, _PORT,
#                                       _DB, _USER, and _DIR for stop)
#   bash tools/pg.sh stop [DIR]         stop it and remove DIR (default
#                                       $MATEQUITY_PG_DIR)
#   bash tools/pg.sh env                the export lines of the running one
#
# As root on Debian it installs Debian's `postgresql` when no initdb is found,
# and runs the server as the `postgres` user (PostgreSQL refuses to run as
# root). Not root, it starts a server as the current user when initdb is on
# the machine; otherwise it prints nothing and says why on stderr, and the
# database tests skip (under CI=true they fail instead). A connection already
# given in MATEQUITY_PG_HOST is used as it is: nothing is started.
set -euo pipefail
cmd=${1:-}
say() { echo "pg.sh: $*" >&2; }

find_bin() {
  local b
  b=$(command -v "$1" 2>/dev/null || true)
  if [ -z "$b" ]; then
    b=$(ls -1d /usr/lib/postgresql/*/bin/"$1" 2>/dev/null | sort -V | tail -1 || true)
  fi
  echo "$b"
}

is_root() { [ "$(id -u)" = "0" ]; }

# runs a command as the server's owner (postgres as root, else ourselves)
as_owner() {
  if is_root; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

env_lines() {
  local dir=$1
  # shellcheck disable=SC1091
  cat "$dir/env"
}

start() {
  if [ -n "${MATEQUITY_PG_HOST:-}" ]; then
    say "using the server in MATEQUITY_PG_HOST=$MATEQUITY_PG_HOST; nothing started"
    return 0
  fi
  local initdb
  initdb=$(find_bin initdb)
  if [ -z "$initdb" ]; then
    if is_root && command -v apt-get >/dev/null 2>&1; then
      say "apt-get install postgresql"
      export DEBIAN_FRONTEND=noninteractive
      apt-get update -qq
      apt-get install -y -qq --no-install-recommends postgresql >/dev/null
      initdb=$(find_bin initdb)
    fi
    if [ -z "$initdb" ]; then
      say "no PostgreSQL (initdb) on this machine and not root to install it: the database tests will skip"
      return 0
    fi
  fi
  local bin pg_ctl createdb
  bin=$(dirname "$(readlink -f "$initdb")")
  pg_ctl="$bin/pg_ctl"
  createdb="$bin/createdb"
  [ -x "$createdb" ] || createdb=$(find_bin createdb)
  if is_root && ! id postgres >/dev/null 2>&1; then
    say "no postgres user (the postgresql package creates it): cannot run the server as root"
    return 1
  fi
  local dir port=""
  # as root in /tmp, which the postgres user can reach (a root-only TMPDIR
  # would not do)
  local base=${TMPDIR:-/tmp}
  if is_root; then base=/tmp; fi
  dir=$(mktemp -d "$base/matequity-pg.XXXXXX")
  chmod 700 "$dir"
  if is_root; then chown postgres: "$dir"; fi
  if ! as_owner "$initdb" -D "$dir/data" -A trust -U postgres -E UTF8 --locale=C.UTF-8 \
      --no-sync >"$dir/initdb.log" 2>&1; then
    cat "$dir/initdb.log" >&2
    rm -rf "$dir"
    say "initdb failed"
    return 1
  fi
  for p in $(seq 55432 55532); do
    if ! port_in_use "$p"; then port=$p; break; fi
  done
  if [ -z "$port" ]; then
    rm -rf "$dir"
    say "no free port in 55432-55532"
    return 1
  fi
  if ! as_owner "$pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off" start >/dev/null; then
    cat "$dir/server.log" >&2 || true
    rm -rf "$dir"
    say "the server did not start"
    return 1
  fi
  as_owner "$createdb" -h 127.0.0.1 -p "$port" -U postgres matequity_test
  cat >"$dir/env" <<EOF
export MATEQUITY_PG_HOST=127.0.0.1
export MATEQUITY_PG_PORT=$port
export MATEQUITY_PG_DB=matequity_test
export MATEQUITY_PG_USER=postgres
export MATEQUITY_PG_DIR=$dir
EOF
  say "PostgreSQL $("$pg_ctl" --version | awk '{print $3}') on 127.0.0.1:$port, database matequity_test (dir $dir)"
  env_lines "$dir"
}

stop() {
  local dir=${1:-${MATEQUITY_PG_DIR:-}}
  if [ -z "$dir" ]; then return 0; fi
  case "$dir" in
    */matequity-pg.*) ;;
    *) say "refusing to remove $dir: not a directory this script made"; return 1 ;;
  esac
  [ -d "$dir" ] || return 0
  if [ -f "$dir/data/postmaster.pid" ]; then
    local pg_ctl
    pg_ctl=$(find_bin pg_ctl)
    as_owner "$pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || say "pg_ctl stop failed"
  fi
  rm -rf "$dir"
  say "stopped; removed $dir"
}

case "$cmd" in
  start) start ;;
  stop) stop "${2:-}" ;;
  env)
    if [ -n "${MATEQUITY_PG_DIR:-}" ] && [ -f "$MATEQUITY_PG_DIR/env" ]; then env_lines "$MATEQUITY_PG_DIR"; fi ;;
  *) echo "usage: bash tools/pg.sh start|stop [DIR]|env" >&2; exit 2 ;;
esac
