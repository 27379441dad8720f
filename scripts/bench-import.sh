#!/usr/bin/env bash
# Importing a CSV of ROWS contacts over HTTP into `spool serve` on a fresh SQLite file (the
# embedded store; REDIS_URL=redis://… keeps contact state in Redis instead): the upload, the
# dry run, the import until the job is done, and until every contact is in the directory,
# with the server's CPU time and peak memory (scripts/bench/import.py).
#
#   scripts/bench-import.sh               # or: make bench-import (a debug build)
#   RELEASE=1 scripts/bench-import.sh     # a release build
#
# Settings (environment): ROWS=100000, RELEASE=0, SKIP_BUILD=0, REDIS_URL (unset: embedded),
# OUT (default /tmp/spool-bench-import/<UTC time>).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
: "${ROWS:=100000}"
: "${OUT:=/tmp/spool-bench-import/$(date -u +%Y%m%dT%H%M%SZ)}"
# shellcheck source=scripts/bench/serve.sh
. "$ROOT/scripts/bench/serve.sh"

for tool in curl python3; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool is needed; install it"
done
mkdir -p "$OUT"
trap spool_stop EXIT
trap 'exit 130' INT TERM

build_spool
if [ -n "${REDIS_URL:-}" ]; then
    export SPOOL_REDIS_PREFIX="spool-bench-import-$$"
    spool_start spool --redis-url "$REDIS_URL"
    STORE=redis
else
    spool_start spool
    STORE=embedded
fi
python3 "$ROOT/scripts/bench/import.py" --address "$SPOOL_ADDRESS" --pid "$SPOOL_PID" \
    --email "$ADMIN_EMAIL" --password "$ADMIN_PASSWORD" --rows "$ROWS" >"$OUT/result.json"
spool_stop
echo "spool serve ($BUILD build, $(nproc) cores, SQLite, $STORE store): $(cat "$OUT/result.json")"
