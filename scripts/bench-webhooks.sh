#!/usr/bin/env bash
# Load benchmark over HTTP: Spool's webhook-triggered journey against Node-RED's `POST /hook`
# journey (from the anchors harness), with wrk on loopback, in one run, one server at a time.
#
#   scripts/bench-webhooks.sh                  # or: make bench-http
#   DURATION=5 CONNS_LIST="32" scripts/bench-webhooks.sh
#
# Spool: `spool serve` on a fresh SQLite file and Redis (its own key prefix, deleted at the
# end), the flow scripts/bench/journey.json published (signed webhook -> condition
# cart.total > 50 -> set branch/discount -> end). A 202 means the event is durably in Redis;
# the workers apply it just after, so after each level the script also waits until every
# accepted event is applied and reports the end-to-end rate.
# Node-RED: the anchors' node-red/flows.json (http in -> switch -> change -> http response),
# started and stopped with the anchors' own scripts.
# Both get the same requests: precomputed signed bodies (scripts/bench/make-bodies.py),
# cycled by scripts/bench/webhook.lua. At each level the targets run one after the other,
# each on a freshly started server: warm-up, then DURATION seconds measured.
#
# Settings (environment):
#   DURATION=20           seconds measured per level and target
#   WARMUP=5              seconds of unrecorded load before each measured level (same conns)
#   CONNS_LIST="1 32 64"  concurrency levels
#   WRK_THREADS=2         wrk threads (fewer when a level has fewer connections)
#   TARGETS="spool node-red"
#   BODIES=10000          distinct signed requests; CONTACTS=10000 distinct phone numbers
#   REDIS_URL=redis://127.0.0.1:6379
#   SPOOL_PORT=18080      SPOOL_PARTITIONS=16
#   SPOOL_BIN             default target/release/spool, built first unless SKIP_BUILD=1
#   ANCHORS_DIR           default ../shared/anchors from the repository root; its own
#                         settings (ANCHORS_INSTALL, ANCHORS_RUN, NODE_RED_PORT, ...) apply
#   OUT                   default /tmp/spool-bench-http/<UTC time>: summary.md,
#                         results.jsonl, env.txt, raw/ (wrk output, samples, server logs)
#   QUIET_PCT=15 QUIET_MAX_WAIT=300   before each level, wait (at most QUIET_MAX_WAIT s)
#                         until the box is less than QUIET_PCT % busy; the wait is recorded
#   DRAIN_TIMEOUT=300     how long Spool may take to apply what it accepted
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BENCH="$ROOT/scripts/bench"

: "${DURATION:=20}"
: "${WARMUP:=5}"
: "${CONNS_LIST:=1 32 64}"
: "${WRK_THREADS:=2}"
: "${TARGETS:=spool node-red}"
: "${BODIES:=10000}"
: "${CONTACTS:=10000}"
: "${REDIS_URL:=redis://127.0.0.1:6379}"
: "${SPOOL_PORT:=18080}"
: "${SPOOL_PARTITIONS:=16}"
: "${SPOOL_BIN:=$ROOT/target/release/spool}"
: "${SKIP_BUILD:=0}"
: "${ANCHORS_DIR:=$ROOT/../shared/anchors}"
: "${OUT:=/tmp/spool-bench-http/$(date -u +%Y%m%dT%H%M%SZ)}"
: "${QUIET_PCT:=15}"
: "${QUIET_MAX_WAIT:=300}"
: "${DRAIN_TIMEOUT:=300}"
: "${SAMPLE_INTERVAL:=0.5}"
: "${CARGO:=cargo}"

log() { echo "bench-http: $*" >&2; }
die() {
    log "$*"
    exit 1
}

# --- prerequisites ---------------------------------------------------------------------------

can_install() { command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; }

ensure_wrk() {
    command -v wrk >/dev/null 2>&1 && return 0
    if can_install; then
        log "installing wrk (apt-get)"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null 2>&1 || {
            apt-get update -qq
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
        }
        command -v wrk >/dev/null 2>&1 || die "wrk could not be installed with apt-get"
    else
        die "wrk is not installed and cannot be installed here; install it (apt-get install wrk)"
    fi
}

for tool in curl jq python3; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool is needed; install it (apt-get install $tool)"
done
ensure_wrk
case "$REDIS_URL" in
    redis://127.0.0.1[:/]* | redis://localhost[:/]* | redis://127.0.0.1 | redis://localhost) ;;
    *) die "REDIS_URL must be on this machine (redis://127.0.0.1...), not $REDIS_URL" ;;
esac
[ -f "$ANCHORS_DIR/env.sh" ] || die "the anchors harness is not at $ANCHORS_DIR; set ANCHORS_DIR"
ANCHORS_DIR="$(cd "$ANCHORS_DIR" && pwd)"
SAMPLER="$ANCHORS_DIR/lib/sample.py"
PROGRESS=(python3 "$BENCH/spool-progress.py" --redis "$REDIS_URL" --partitions "$SPOOL_PARTITIONS")

REDIS_PID="$("${PROGRESS[@]}" redis-pid 2>/dev/null)" ||
    die "Redis does not answer at $REDIS_URL; start it (make services) or set REDIS_URL"
[ -d "/proc/$REDIS_PID" ] || REDIS_PID=0

# The anchors' settings (install and run directories, Node-RED's port), read the way its
# scripts read them, without changing this shell's.
anchor_setting() {
    # shellcheck disable=SC2016 # expanded by the inner shell, after sourcing env.sh
    bash -c '. "$1/env.sh" >/dev/null && eval "echo \"\${$2}\""' _ "$ANCHORS_DIR" "$1"
}
ANCHORS_RUN="$(anchor_setting ANCHORS_RUN)"
NODE_RED_PORT="$(anchor_setting NODE_RED_PORT)"
NODE_RED_JS="$(anchor_setting ANCHORS_INSTALL)/node-red/node_modules/node-red/red.js"
NODE_BIN="$(anchor_setting NODE_BIN)"

wants() { [[ " $TARGETS " == *" $1 "* ]]; }
for target in $TARGETS; do
    case "$target" in spool | node-red) ;; *) die "unknown target $target (spool, node-red)" ;; esac
done

if wants node-red && { [ ! -x "$NODE_BIN" ] || [ ! -f "$NODE_RED_JS" ]; }; then
    log "Node-RED is not installed; installing it with $ANCHORS_DIR/install.sh (npm)"
    "$ANCHORS_DIR/install.sh" node24
    "$ANCHORS_DIR/install.sh" node-red
fi

if wants spool; then
    if [ "$SKIP_BUILD" != 1 ]; then
        command -v "$CARGO" >/dev/null 2>&1 || die "cargo not found: install Rust with rustup, or set SPOOL_BIN and SKIP_BUILD=1"
        log "building spool (release; about 10 minutes the first time on 2 cores)"
        (cd "$ROOT" && "$CARGO" build --release -p spool-builder-api --bin spool)
    fi
    [ -x "$SPOOL_BIN" ] || die "no spool binary at $SPOOL_BIN"
fi

port_taken() { timeout 1 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }
if wants spool && port_taken "$SPOOL_PORT"; then
    die "something already listens on 127.0.0.1:$SPOOL_PORT; stop it or set SPOOL_PORT"
fi
if wants node-red && port_taken "$NODE_RED_PORT"; then
    die "something already listens on 127.0.0.1:$NODE_RED_PORT (Node-RED's port); stop it or set NODE_RED_PORT"
fi

# --- run state and cleanup -------------------------------------------------------------------

RAW="$OUT/raw"
mkdir -p "$RAW"
RESULTS="$OUT/results.jsonl"
: >"$RESULTS"
SECRET="$(python3 -c 'import secrets; print(secrets.token_hex(24))')"
BODIES_FILE="$OUT/bodies.tsv"
PREFIX_BASE="spoolbench-$$"
SPOOL_PID=""
SPOOL_PREFIX=""
NODE_RED_RUNNING=0
BACKGROUND=()
WRK_PID=""

stop_spool() {
    if [ -n "$SPOOL_PID" ]; then
        if kill -0 "$SPOOL_PID" 2>/dev/null; then
            kill -TERM "$SPOOL_PID" 2>/dev/null || true
            for _ in $(seq 100); do
                kill -0 "$SPOOL_PID" 2>/dev/null || break
                sleep 0.1
            done
            kill -0 "$SPOOL_PID" 2>/dev/null && kill -KILL "$SPOOL_PID" 2>/dev/null
        fi
        wait "$SPOOL_PID" 2>/dev/null || true
        SPOOL_PID=""
    fi
    if [ -n "$SPOOL_PREFIX" ]; then
        "${PROGRESS[@]}" --prefix "$SPOOL_PREFIX" wipe >/dev/null 2>&1 || log "could not delete the Redis keys under $SPOOL_PREFIX:"
        SPOOL_PREFIX=""
    fi
}

stop_node_red() {
    if [ "$NODE_RED_RUNNING" = 1 ]; then
        "$ANCHORS_DIR/scripts/stop.sh" node-red >/dev/null || true
        NODE_RED_RUNNING=0
    fi
}

cleanup() {
    local status=$?
    if [ -n "$WRK_PID" ]; then
        # /usr/bin/time and the wrk it runs
        pkill -TERM -P "$WRK_PID" 2>/dev/null || true
        kill -TERM "$WRK_PID" 2>/dev/null || true
    fi
    for pid in "${BACKGROUND[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    stop_spool
    stop_node_red
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- helpers ---------------------------------------------------------------------------------

now_s() { date +%s.%N; }

# Waits until the box is quiet; prints "BUSY_PCT WAITED_S".
wait_quiet() {
    local waited=0 busy
    while :; do
        busy="$(python3 "$SAMPLER" --busy 2)"
        if awk -v b="$busy" -v q="$QUIET_PCT" 'BEGIN { exit !(b < q) }'; then break; fi
        waited=$((waited + 2))
        if [ "$waited" -ge "$QUIET_MAX_WAIT" ]; then
            log "the box is still ${busy}% busy after ${waited}s; measuring anyway"
            break
        fi
    done
    echo "$busy $waited"
}

# wrk CONNS SECONDS URL OUTFILE [TIMEFILE]
run_wrk() {
    local c="$1" seconds="$2" url="$3" out="$4" timefile="${5:-/dev/null}" threads="$WRK_THREADS"
    [ "$c" -lt "$threads" ] && threads="$c"
    # In the background, so that a signal stops the script (and wrk) at once.
    BODIES_FILE="$BODIES_FILE" /usr/bin/time -f '%U %S %e' -o "$timefile" \
        wrk -t"$threads" -c"$c" -d"${seconds}s" --timeout 10s --latency \
        -s "$BENCH/webhook.lua" "$url" >"$out" 2>&1 &
    WRK_PID=$!
    wait "$WRK_PID" || true
    WRK_PID=""
}

wrk_json() {
    local json
    json="$(sed -n 's/^WRK_JSON //p' "$1")"
    [ -n "$json" ] || die "wrk produced no result; see $1"
    echo "$json"
}

# --- Spool -----------------------------------------------------------------------------------

SPOOL_URL="http://127.0.0.1:$SPOOL_PORT"
API="$SPOOL_URL/api/v1"
HOOK_URL="$SPOOL_URL/hooks/default/bench"

api() {
    # api METHOD PATH [JSON]: with the API key; fails on a non-2xx answer
    local method="$1" path="$2" body="${3:-}" answer status
    answer="$(curl -sS -X "$method" -H "Authorization: Bearer $SPOOL_KEY" \
        -H 'Content-Type: application/json' ${body:+--data-binary "$body"} \
        -w '\n%{http_code}' "$API$path")" || die "$method $path: no answer"
    status="${answer##*$'\n'}"
    answer="${answer%$'\n'*}"
    case "$status" in 2??) echo "$answer" ;; *) die "$method $path answered $status: $answer" ;; esac
}

# Starts spool on a fresh database and Redis prefix, publishes the journey, checks it.
start_spool() {
    local tag="$1" dir="$OUT/spool-$1" password csrf jar
    rm -rf "$dir"
    mkdir -p "$dir"
    SPOOL_PREFIX="$PREFIX_BASE-$tag"
    password="$(python3 -c 'import secrets; print(secrets.token_urlsafe(18))')"
    (
        cd "$dir"
        SPOOL_BIND="127.0.0.1:$SPOOL_PORT" \
            SPOOL_DATABASE_URL="sqlite://$dir/spool.sqlite?mode=rwc" \
            SPOOL_REDIS_URL="$REDIS_URL" SPOOL_REDIS_PREFIX="$SPOOL_PREFIX" \
            SPOOL_PARTITIONS="$SPOOL_PARTITIONS" \
            SPOOL_ADMIN_EMAIL="bench@spool.local" SPOOL_ADMIN_PASSWORD="$password" \
            exec "$SPOOL_BIN" serve
    ) >"$RAW/spool-$tag.log" 2>&1 &
    SPOOL_PID=$!
    for _ in $(seq 150); do
        curl -fsS -o /dev/null "$SPOOL_URL/readyz" 2>/dev/null && break
        kill -0 "$SPOOL_PID" 2>/dev/null || die "spool stopped at start; see $RAW/spool-$tag.log"
        sleep 0.2
    done
    curl -fsS -o /dev/null "$SPOOL_URL/readyz" || die "spool is not ready after 30 s; see $RAW/spool-$tag.log"

    jar="$dir/cookies"
    csrf="$(curl -fsS -c "$jar" -H 'Content-Type: application/json' \
        -d "$(jq -n --arg p "$password" '{email: "bench@spool.local", password: $p}')" \
        "$API/session" | jq -r .csrf_token)" || die "cannot sign in to spool"
    SPOOL_KEY="$(curl -fsS -b "$jar" -H "X-CSRF-Token: $csrf" -H 'Content-Type: application/json' \
        -d '{"name":"bench","role":"admin"}' "$API/workspaces/default/api-keys" | jq -r .key)" ||
        die "cannot create an API key"
    api PUT /workspaces/default/secrets/bench-secret "$(jq -n --arg v "$SECRET" '{value: $v}')" >/dev/null
    api POST /workspaces/default/flows "$(cat "$BENCH/journey.json")" >/dev/null
    api POST /workspaces/default/flows/bench-journey/publish >/dev/null
    smoke_spool "$tag"
}

# One signed call must be accepted and applied (branch and discount in the finished run);
# a wrongly signed one refused.
smoke_spool() {
    local line body signature status phone state expect
    line="$(head -n 1 "$BODIES_FILE")"
    signature="${line%%$'\t'*}"
    body="${line#*$'\t'}"
    status="$(curl -sS -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
        -H "X-Spool-Signature: sha256=$(printf '0%.0s' $(seq 64))" --data-binary "$body" "$HOOK_URL")"
    [ "$status" = 401 ] || die "a wrongly signed call answered $status, not 401"
    status="$(curl -sS -o "$RAW/spool-$1.smoke.json" -w '%{http_code}' -H 'Content-Type: application/json' \
        -H "X-Spool-Signature: sha256=$signature" --data-binary "$body" "$HOOK_URL")"
    [ "$status" = 202 ] || die "a signed call answered $status: $(cat "$RAW/spool-$1.smoke.json")"
    "${PROGRESS[@]}" --prefix "$SPOOL_PREFIX" --timeout 30 drain >/dev/null ||
        die "the smoke event was not applied within 30 s; see $RAW/spool-$1.log"
    phone="$(jq -r .contact.phone <<<"$body")"
    state="$("${PROGRESS[@]}" --prefix "$SPOOL_PREFIX" contact "default/wa:${phone#+}")"
    expect="$(jq -c 'if .cart.total > 50 then {branch: "A", discount: 10} else {branch: "B", discount: 0} end' <<<"$body")"
    jq -e --argjson want "$expect" \
        '.runs[-1] | .status == "done" and .vars.branch == $want.branch and .vars.discount == $want.discount' \
        <<<"$state" >/dev/null || die "the smoke event did not run the journey as expected ($expect): $state"
}

# --- Node-RED --------------------------------------------------------------------------------

NODE_RED_URL="http://127.0.0.1:$NODE_RED_PORT/hook"

start_node_red() {
    "$ANCHORS_DIR/scripts/start-node-red.sh" >"$RAW/node-red-$1.start.log" 2>&1 ||
        die "Node-RED did not start; see $RAW/node-red-$1.start.log and $ANCHORS_RUN/node-red.log"
    NODE_RED_RUNNING=1
    local body answer
    body="$(head -n 1 "$BODIES_FILE" | cut -f2)"
    answer="$(curl -fsS -H 'Content-Type: application/json' --data-binary "$body" "$NODE_RED_URL")" ||
        die "Node-RED's /hook does not answer"
    jq -e --argjson sent "$body" \
        'if $sent.cart.total > 50 then .branch == "A" and .discount == 10 else .branch == "B" and .discount == 0 end' \
        <<<"$answer" >/dev/null || die "Node-RED's /hook answered unexpectedly: $answer"
}

# --- one measured level ----------------------------------------------------------------------

measure() {
    local target="$1" c="$2" tag="$1-c$2" url pid busy waited
    log "[$tag] starting the server"
    case "$target" in
        spool)
            start_spool "c$c"
            url="$HOOK_URL"
            pid="$SPOOL_PID"
            ;;
        node-red)
            start_node_red "c$c"
            url="$NODE_RED_URL"
            pid="$(cat "$ANCHORS_RUN/node-red.pid")"
            ;;
    esac
    local rss_idle_kb
    rss_idle_kb="$(python3 "$SAMPLER" --once "$pid")"
    log "[$tag] warm-up ${WARMUP}s"
    run_wrk "$c" "$WARMUP" "$url" "$RAW/$tag.warmup.txt"
    local before='{"applied":0,"backlog":0}'
    if [ "$target" = spool ]; then
        "${PROGRESS[@]}" --prefix "$SPOOL_PREFIX" --timeout "$DRAIN_TIMEOUT" drain >"$RAW/$tag.warmup-drain.json" ||
            die "the warm-up's events were not applied within ${DRAIN_TIMEOUT}s"
        before="$("${PROGRESS[@]}" --prefix "$SPOOL_PREFIX" snapshot)"
    fi
    read -r busy waited < <(wait_quiet)
    log "[$tag] box ${busy}% busy before the run (waited ${waited}s); measuring ${DURATION}s"

    python3 "$SAMPLER" "$pid" "$SAMPLE_INTERVAL" "$RAW/$tag.sample.json" &
    BACKGROUND+=("$!")
    local redis_sampler="" follower=""
    if [ "$target" = spool ]; then
        if [ "$REDIS_PID" != 0 ]; then
            python3 "$SAMPLER" "$REDIS_PID" "$SAMPLE_INTERVAL" "$RAW/$tag.redis-sample.json" &
            redis_sampler=$!
            BACKGROUND+=("$redis_sampler")
        fi
        "${PROGRESS[@]}" --prefix "$SPOOL_PREFIX" --interval 0.5 follow "$RAW/$tag.backlog.json" &
        follower=$!
        BACKGROUND+=("$follower")
    fi
    local started ended
    started="$(now_s)"
    run_wrk "$c" "$DURATION" "$url" "$RAW/$tag.wrk.txt" "$RAW/$tag.time"
    ended="$(now_s)"
    for p in "${BACKGROUND[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
    for p in "${BACKGROUND[@]}"; do wait "$p" 2>/dev/null || true; done
    BACKGROUND=()

    local spool='{}'
    if [ "$target" = spool ]; then
        local drained finished
        drained="$("${PROGRESS[@]}" --prefix "$SPOOL_PREFIX" --timeout "$DRAIN_TIMEOUT" drain)" ||
            die "[$tag] accepted events were not applied within ${DRAIN_TIMEOUT}s: $drained"
        finished="$(now_s)"
        local redis='{}'
        [ -n "$redis_sampler" ] && redis="$(cat "$RAW/$tag.redis-sample.json")"
        # End to end: what was applied over wrk's own measured time plus the time the backlog
        # left at its end took to drain. (The wall-clock times around wrk, which also count
        # the tools' start-up, are kept as well.)
        spool="$(jq -c -n --argjson before "$before" --argjson drained "$drained" \
            --argjson follow "$(cat "$RAW/$tag.backlog.json")" --argjson redis "$redis" \
            --argjson wrk "$(wrk_json "$RAW/$tag.wrk.txt")" \
            --argjson wall_load_s "$(awk -v a="$started" -v b="$ended" 'BEGIN { printf "%.3f", b - a }')" \
            --argjson wall_total_s "$(awk -v a="$started" -v b="$finished" 'BEGIN { printf "%.3f", b - a }')" \
            '($drained.applied - $before.applied) as $applied
             | ($wrk.duration_s + $drained.drain_s) as $window
             | {applied: $applied,
                backlog_at_end: $drained.backlog_before, backlog_max: $follow.backlog_max,
                drain_s: $drained.drain_s, until_applied_s: $window,
                applied_per_s: ($applied / $window * 10 | round / 10),
                wall_load_s: $wall_load_s, wall_until_applied_s: $wall_total_s,
                redis_cpu_pct: $redis.server_cpu_pct}')"
    fi

    local wrk wu ws we
    wrk="$(wrk_json "$RAW/$tag.wrk.txt")"
    read -r wu ws we <"$RAW/$tag.time"
    jq -c -n --arg target "$target" --argjson conns "$c" --argjson wrk "$wrk" \
        --slurpfile sample "$RAW/$tag.sample.json" --argjson spool "$spool" \
        --argjson rss_idle_kb "$rss_idle_kb" --argjson busy_before "$busy" --argjson quiet_wait_s "$waited" \
        --argjson wrk_cpu_pct "$(awk -v u="$wu" -v s="$ws" -v e="$we" 'BEGIN { printf "%.1f", (e > 0) ? (u + s) * 100 / e : 0 }')" \
        --arg ts "$(date -u +%FT%TZ)" --argjson ncpu "$(nproc)" \
        '{ts: $ts, target: $target, conns: $conns, ncpu: $ncpu, rss_idle_kb: $rss_idle_kb,
          busy_before_pct: $busy_before, quiet_wait_s: $quiet_wait_s, wrk_cpu_pct: $wrk_cpu_pct}
         + $wrk + $sample[0] + (if $spool == {} then {} else {spool: $spool} end)' | tee -a "$RESULTS" >&2

    case "$target" in
        spool) stop_spool ;;
        node-red) stop_node_red ;;
    esac
}

# --- the run ---------------------------------------------------------------------------------

log "results in $OUT"
python3 "$BENCH/make-bodies.py" --secret "$SECRET" --out "$BODIES_FILE" --count "$BODIES" --contacts "$CONTACTS"

{
    echo "date: $(date -u +%FT%TZ)"
    echo "host: $(uname -srm), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
    echo "memory: $(free -g | awk '/^Mem:/ { print $2 }') GiB"
    echo "spool: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$ROOT" diff --quiet 2>/dev/null || echo ' (with uncommitted changes)'), $SPOOL_BIN"
    echo "rustc: $(rustc --version 2>/dev/null || echo unknown)"
    echo "node-red: $(jq -r .version "$(dirname "$NODE_RED_JS")/package.json" 2>/dev/null || echo unknown) on node $("$NODE_BIN" --version 2>/dev/null || echo unknown)"
    echo "redis: $("${PROGRESS[@]}" redis-info) at $REDIS_URL"
    echo "wrk: $(wrk -v 2>&1 | head -n 1)"
    echo "DURATION=$DURATION WARMUP=$WARMUP CONNS_LIST='$CONNS_LIST' WRK_THREADS=$WRK_THREADS TARGETS='$TARGETS' BODIES=$BODIES CONTACTS=$CONTACTS SPOOL_PARTITIONS=$SPOOL_PARTITIONS"
} >"$OUT/env.txt"

for c in $CONNS_LIST; do
    for target in $TARGETS; do
        measure "$target" "$c"
    done
done

python3 "$BENCH/summarize.py" "$RESULTS" | tee "$OUT/summary.md"
log "raw results: $OUT"
