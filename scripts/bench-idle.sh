#!/usr/bin/env bash
# What an idle `spool serve` costs: no flows, no traffic, nobody signed in. Measures the
# process's CPU (as % of one core, from /proc/<pid>/stat user + system time) and the Redis
# commands it sends per second, once on the embedded store (SQLite) and once on Redis.
#
#   scripts/bench-idle.sh              # or: make bench-idle (a debug build)
#   RELEASE=1 scripts/bench-idle.sh    # a release build
#
# Redis is a redis-server of its own on a free port, started and stopped by this script, so
# no other client of a shared Redis inflates the count; it runs in both cases, so the
# embedded row shows that store sends Redis nothing. The first of the script's two INFO
# calls is counted in the difference, and subtracted.
#
# Settings (environment):
#   SETTLE=10     seconds between ready and the first sample
#   DURATION=30   seconds sampled
#   STORES="embedded redis"
#   RELEASE=0     1 for a release build
#   SKIP_BUILD=0  1 to use the binary as it is
#   OUT           default /tmp/spool-bench-idle/<UTC time>: each server's directory and logs
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
: "${SETTLE:=10}"
: "${DURATION:=30}"
: "${STORES:=embedded redis}"
: "${OUT:=/tmp/spool-bench-idle/$(date -u +%Y%m%dT%H%M%SZ)}"
# shellcheck source=scripts/bench/serve.sh
. "$ROOT/scripts/bench/serve.sh"

for tool in curl python3 redis-server redis-cli getconf; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool is needed; install it"
done
for store in $STORES; do
    case "$store" in embedded | redis) ;; *) die "unknown store $store (embedded, redis)" ;; esac
done
mkdir -p "$OUT"

REDIS_PORT="$(free_port)"
REDIS_PID=""
cleanup() {
    local status=$?
    spool_stop
    if [ -n "$REDIS_PID" ]; then
        kill -TERM "$REDIS_PID" 2>/dev/null || true
        wait "$REDIS_PID" 2>/dev/null || true
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

build_spool

mkdir -p "$OUT/redis"
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no \
    --dir "$OUT/redis" >"$OUT/redis/redis.log" 2>&1 &
REDIS_PID=$!
for _ in $(seq 100); do
    redis-cli -p "$REDIS_PORT" PING >/dev/null 2>&1 && break
    sleep 0.1
done
redis-cli -p "$REDIS_PORT" PING >/dev/null 2>&1 || die "redis-server did not start; see $OUT/redis/redis.log"

redis_commands() {
    redis-cli -p "$REDIS_PORT" INFO stats | tr -d '\r' | sed -n 's/^total_commands_processed://p'
}

ROWS=()
for store in $STORES; do
    args=()
    if [ "$store" = redis ]; then
        args=(--redis-url "redis://127.0.0.1:$REDIS_PORT")
    fi
    spool_start "$store" "${args[@]}"
    sleep "$SETTLE"
    cpu_before="$(cpu_ticks "$SPOOL_PID")"
    redis_before="$(redis_commands)"
    started="$(now)"
    sleep "$DURATION"
    cpu_after="$(cpu_ticks "$SPOOL_PID")"
    redis_after="$(redis_commands)"
    ended="$(now)"
    spool_stop
    ROWS+=("$(python3 - "$store" "$cpu_before" "$cpu_after" "$redis_before" "$redis_after" \
        "$started" "$ended" "$CLOCK_TICKS" <<'PY'
import sys
store, cpu0, cpu1, r0, r1, t0, t1, ticks = sys.argv[1:]
seconds = float(t1) - float(t0)
cpu = (int(cpu1) - int(cpu0)) / int(ticks) / seconds * 100
# One INFO of this script is counted between the two readings.
commands = max(int(r1) - int(r0) - 1, 0) / seconds
print(f"| {store:<8} | {seconds:5.1f} | {cpu:6.2f} | {commands:8.1f} |")
PY
    )")
done

echo
echo "spool serve, idle ($BUILD build, $(nproc) cores, settled ${SETTLE} s, sampled ${DURATION} s)"
echo
echo "| store    | s     | CPU %  | Redis/s  |"
echo "|----------|-------|--------|----------|"
printf '%s\n' "${ROWS[@]}"
echo
echo "CPU %: of one core. Redis/s: commands the Redis server processed per second."
