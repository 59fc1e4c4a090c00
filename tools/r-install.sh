#!/usr/bin/env bash
# Installs matequity from this checkout with a short report instead of the
# compiler's output:  bash tools/r-install.sh [LIB]
# The full log goes to build/logs/install.log. Compiles in parallel
# (MATEQUITY_JOBS, default 2) with tools/Makevars.dev, and fails on any
# compiler warning in matequity's own files (src/, inst/include/matequity/).
set -uo pipefail
cd "$(dirname "$0")/.."
lib=${1:-}
jobs=${MATEQUITY_JOBS:-2}
mkdir -p build/logs
log=build/logs/install.log
args=(--no-multiarch --preclean)
[ -n "$lib" ] && { mkdir -p "$lib"; args+=(-l "$lib"); }
start=$(date +%s)
MAKEFLAGS="-j$jobs" R_MAKEVARS_USER="$PWD/tools/Makevars.dev" \
  R CMD INSTALL "${args[@]}" . >"$log" 2>&1
status=$?
secs=$(( $(date +%s) - start ))
# warnings whose file is ours: relative paths (compiled from src/) or any path
# inside inst/include/matequity; system and package headers are absolute
own=$(grep -E '^([^/ ][^: ]*|[^: ]*inst/include/matequity/[^: ]*):[0-9]+(:[0-9]+)?: warning:' "$log" || true)
other=$(grep -cE ': warning:' "$log" || true)
n_own=$(printf '%s' "$own" | grep -c . || true)
if [ "$status" -ne 0 ]; then
  grep -E 'error|Error|ERROR' "$log" | head -40
  echo "matequity: installation FAILED after ${secs}s; full log: $log"
  exit "$status"
fi
if [ "$n_own" -gt 0 ]; then
  printf '%s\n' "$own"
  echo "matequity: $n_own compiler warning(s) in matequity's own files; full log: $log"
  exit 1
fi
where=${lib:-$(Rscript -e 'cat(.libPaths()[1])')}
echo "matequity: installed into $where in ${secs}s (0 warnings in matequity's code, $(( other - n_own )) in other headers; log: $log)"
