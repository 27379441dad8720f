# Shared by scripts/bench-idle.sh and scripts/bench-publish.sh (sourced, not run): build
# `spool`, start `spool serve` on a free port in a directory of its own, wait until it is
# ready, read a process's CPU time, stop what was started.
#
# Expects ROOT, and sets SPOOL_BIN (target/debug/spool, or target/release/spool with
# RELEASE=1; built first unless SKIP_BUILD=1; another binary with SPOOL_BIN=... SKIP_BUILD=1).

: "${RELEASE:=0}"
: "${SKIP_BUILD:=0}"
: "${CARGO:=cargo}"
if [ "$RELEASE" = 1 ]; then
    BUILD=release
else
    BUILD=debug
fi
: "${SPOOL_BIN:=$ROOT/target/$BUILD/spool}"

log() { echo "$(basename "$0"): $*" >&2; }
die() {
    log "$*"
    exit 1
}

build_spool() {
    if [ "$SKIP_BUILD" != 1 ]; then
        command -v "$CARGO" >/dev/null 2>&1 || die "cargo not found: install Rust with rustup, or set SKIP_BUILD=1"
        log "building spool ($BUILD)"
        if [ "$BUILD" = release ]; then
            (cd "$ROOT" && "$CARGO" build --release -p spool-builder-api --bin spool)
        else
            (cd "$ROOT" && "$CARGO" build -p spool-builder-api --bin spool)
        fi
    fi
    [ -x "$SPOOL_BIN" ] || die "no spool binary at $SPOOL_BIN"
}

# The clock ticks per second /proc/<pid>/stat counts CPU time in.
CLOCK_TICKS="$(getconf CLK_TCK)"

# CPU time (user + system, every thread) a process has used, in clock ticks.
cpu_ticks() {
    # Fields 14 and 15 after the ")" that ends the command name (which may hold spaces).
    local stat
    stat="$(cat "/proc/$1/stat")" || die "process $1 is gone"
    stat="${stat##*) }"
    # shellcheck disable=SC2086 # split into fields on purpose
    set -- $stat
    echo $((${12} + ${13}))
}

# Seconds since the epoch, with fractions.
now() { date +%s.%N; }

# A free TCP port on 127.0.0.1 (the kernel picks it).
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

SPOOL_PID=""
SPOOL_ADDRESS=""
SPOOL_DIR=""

# spool_start NAME [args...]: starts `spool serve --bind 127.0.0.1:0 args...` in a fresh
# directory under $OUT/NAME, with a known first administrator, and waits until /readyz
# answers 200. Sets SPOOL_PID, SPOOL_ADDRESS (host:port) and SPOOL_DIR.
spool_start() {
    local name="$1"
    shift
    SPOOL_DIR="$OUT/$name"
    rm -rf "$SPOOL_DIR"
    mkdir -p "$SPOOL_DIR"
    (
        # SPOOL_BIN is this script's setting, not the server's (which refuses unknown ones).
        cd "$SPOOL_DIR" &&
            exec env -u SPOOL_BIN SPOOL_ADMIN_EMAIL="$ADMIN_EMAIL" \
                SPOOL_ADMIN_PASSWORD="$ADMIN_PASSWORD" \
                "$SPOOL_BIN" serve --bind 127.0.0.1:0 "$@" >stdout.log 2>stderr.log
    ) &
    SPOOL_PID=$!
    SPOOL_ADDRESS=""
    for _ in $(seq 600); do
        kill -0 "$SPOOL_PID" 2>/dev/null || die "spool serve exited; see $SPOOL_DIR/stderr.log"
        SPOOL_ADDRESS="$(sed -n 's|^Spool is running at http://||p' "$SPOOL_DIR/stdout.log" 2>/dev/null | head -n1)"
        if [ -n "$SPOOL_ADDRESS" ] &&
            [ "$(curl -s -o /dev/null -w '%{http_code}' "http://$SPOOL_ADDRESS/readyz")" = 200 ]; then
            log "$name: spool serve (pid $SPOOL_PID) ready at $SPOOL_ADDRESS"
            return 0
        fi
        sleep 0.1
    done
    die "spool serve was not ready within a minute; see $SPOOL_DIR"
}

spool_stop() {
    if [ -n "$SPOOL_PID" ]; then
        kill -TERM "$SPOOL_PID" 2>/dev/null || true
        for _ in $(seq 100); do
            kill -0 "$SPOOL_PID" 2>/dev/null || break
            sleep 0.1
        done
        kill -0 "$SPOOL_PID" 2>/dev/null && kill -KILL "$SPOOL_PID" 2>/dev/null
        wait "$SPOOL_PID" 2>/dev/null || true
        SPOOL_PID=""
    fi
}

ADMIN_EMAIL="bench@spool.test"
ADMIN_PASSWORD="bench-$$-$RANDOM$RANDOM"
