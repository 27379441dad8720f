#!/usr/bin/env bash
# WhatsApp both ways under load (`make bench-whatsapp`): signed Meta webhook bodies, one
# text message each, POSTed with wrk on loopback to `spool serve` (release build, Redis
# store), through accept -> apply -> outbox -> the sender -> a fake Cloud API
# (tests/src/bin/fake-cloud-api.rs), which times the answers. Then the sender's sustained
# rate against one number's configured throughput. See scripts/bench/whatsapp.py for what
# is measured and docs/performance.md for the numbers.
#
# Settings (environment):
#   DURATION=10 BURST_DURATION=3 CONNS=32   wrk: seconds of load, seconds of the burst
#   NUMBERS=12      the business's numbers (Meta allows 1,000 msg/s each at most)
#   RATE=1000       the throughput set on one number for the sender-rate phase
#   BODIES=150000 BURST_BODIES=60000 CONTACTS=20000
#   REDIS_URL=redis://127.0.0.1:6379  SPOOL_PARTITIONS=16
#   RELEASE=1 (default here) SKIP_BUILD=0   OUT=/tmp/spool-bench-whatsapp/<UTC time>
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BENCH="$ROOT/scripts/bench"
: "${RELEASE:=1}"
: "${DURATION:=10}"
: "${BURST_DURATION:=3}"
: "${CONNS:=32}"
: "${NUMBERS:=12}"
: "${RATE:=1000}"
: "${BODIES:=150000}"
: "${BURST_BODIES:=60000}"
: "${CONTACTS:=20000}"
: "${REDIS_URL:=redis://127.0.0.1:6379}"
: "${SPOOL_PARTITIONS:=16}"
: "${OUT:=/tmp/spool-bench-whatsapp/$(date -u +%Y%m%dT%H%M%SZ)}"
. "$BENCH/serve.sh"

case "$REDIS_URL" in
    redis://127.0.0.1* | redis://localhost*) ;;
    *) die "REDIS_URL must be on this machine (redis://127.0.0.1...), not $REDIS_URL" ;;
esac
for tool in curl python3 redis-cli; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool is needed; install it"
done
if ! command -v wrk >/dev/null 2>&1; then
    if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
        log "installing wrk (apt-get)"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null 2>&1 ||
            { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
    fi
    command -v wrk >/dev/null 2>&1 || die "wrk is needed (apt-get install wrk)"
fi
mkdir -p "$OUT"

build_spool
FAKE_BIN="$ROOT/target/$BUILD/fake-cloud-api"
if [ "$SKIP_BUILD" != 1 ]; then
    if [ "$BUILD" = release ]; then
        (cd "$ROOT" && "$CARGO" build --release -p spool-tests --bin fake-cloud-api)
    else
        (cd "$ROOT" && "$CARGO" build -p spool-tests --bin fake-cloud-api)
    fi
fi
[ -x "$FAKE_BIN" ] || die "no fake Cloud API at $FAKE_BIN"

PREFIX="spoolbench-wa-$$"
FAKE_PID=""
cleanup() {
    spool_stop
    [ -n "$FAKE_PID" ] && kill "$FAKE_PID" 2>/dev/null || true
    redis-cli -u "$REDIS_URL" --scan --pattern "$PREFIX*" | xargs -r -n 500 redis-cli -u "$REDIS_URL" DEL >/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

FAKE_PORT="$(free_port)"
"$FAKE_BIN" "$FAKE_PORT" >"$OUT/fake.log" 2>&1 &
FAKE_PID=$!

APP_SECRET="0f1e2d3c4b5a69788796a5b4c3d2e1f0"
numbers=()
for i in $(seq 0 $((NUMBERS - 1))); do numbers+=(--phone-number-id "$((1098765432101 + i))"); done
log "writing $BODIES + $BURST_BODIES signed webhook bodies"
python3 "$BENCH/whatsapp_bodies.py" --secret "$APP_SECRET" "${numbers[@]}" \
    --out "$OUT/bodies.txt" --count "$BODIES" --contacts "$CONTACTS" --prefix A
python3 "$BENCH/whatsapp_bodies.py" --secret "$APP_SECRET" --phone-number-id 1098765432101 \
    --out "$OUT/burst.txt" --count "$BURST_BODIES" --contacts "$CONTACTS" --prefix B --seed 2

SPOOL_SECRET_KEY="$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')" \
    SPOOL_WHATSAPP_API_URL="http://127.0.0.1:$FAKE_PORT" \
    SPOOL_REDIS_URL="$REDIS_URL" SPOOL_REDIS_PREFIX="$PREFIX" SPOOL_PARTITIONS="$SPOOL_PARTITIONS" \
    RUST_LOG=warn spool_start spool
python3 "$BENCH/whatsapp.py" --address "$SPOOL_ADDRESS" --pid "$SPOOL_PID" \
    --fake "127.0.0.1:$FAKE_PORT" --email "$ADMIN_EMAIL" --password "$ADMIN_PASSWORD" \
    --bodies "$OUT/bodies.txt" --burst-bodies "$OUT/burst.txt" --duration "$DURATION" \
    --burst-duration "$BURST_DURATION" --connections "$CONNS" --rate "$RATE" \
    --numbers "$NUMBERS" >"$OUT/result.json"

python3 - "$OUT/result.json" "$BUILD" "$(nproc)" "$NUMBERS" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
e, s = r["end_to_end"], r["sender"]
print(f"\nspool serve, WhatsApp end to end ({sys.argv[2]} build, {sys.argv[3]} cores, Redis store, "
      f"{sys.argv[4]} numbers at 1,000 msg/s)\n")
print(f"inbound (wrk): {e['inbound_per_s']:,} msg/s, {e['wrk_requests']:,} requests, "
      f"{e['wrk_errors']} errors, wrk p99 {e['wrk_p99_ms']} ms")
print(f"answered: {e['answered']:,} replies, {e['answered_per_s']:,} msg/s from the first POST to the last reply")
print(f"latency POST -> reply at the fake API (probe, {e['probe_answered']}/{e['probe_sent']}): "
      f"p50 {e['latency_p50_ms']} ms, p99 {e['latency_p99_ms']} ms; RSS {e['rss_mb']} MB")
print(f"sender at {s['rate_set']} msg/s: {s['sent']:,} sent, mean {s['mean_per_s']}/s over "
      f"{s['full_seconds']} full seconds, busiest second {s['max_per_s']}, quietest {s['min_per_s']}; RSS {s['rss_mb']} MB")
PY
log "raw results in $OUT"
