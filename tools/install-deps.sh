#!/usr/bin/env bash
# Installs what one make target needs (see tools/install-deps.R):
#   bash tools/install-deps.sh demo|test|bench
# `test` also needs the tools for the engine tests and vignettes (CMake,
# Catch2, pandoc), PostgreSQL for the database tests (tools/pg.sh) and libpq's
# headers to build RPostgres from CRAN, from Debian. Safe to run again: it installs only what is
# missing.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
target=${1:-demo}

if [ "$target" = "test" ]; then
  missing=""
  for p in cmake catch2 pandoc; do
    dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
  done
  # the database tests' server and RPostgres's build need these; without
  # root they are optional (the database tests skip, except under CI=true)
  optional=""
  for p in postgresql libpq-dev; do
    dpkg -s "$p" >/dev/null 2>&1 || optional="$optional $p"
  done
  if [ -n "$missing$optional" ]; then
    if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
      echo "install-deps [test]: apt-get install$missing$optional"
      export DEBIAN_FRONTEND=noninteractive
      apt-get update -qq
      apt-get install -y -qq --no-install-recommends $missing $optional >/dev/null
    elif [ -n "$missing" ]; then
      echo "install-deps [test]: not root or no apt-get; please install:$missing$optional" >&2
      exit 1
    else
      echo "install-deps [test]: not root or no apt-get; without$optional the PostgreSQL tests skip" >&2
    fi
  fi
fi

Rscript "$here/install-deps.R" "$target"
