#!/usr/bin/env bash
# Publishing with a long history, over HTTP: `spool serve` on a fresh SQLite file (the
# embedded store), and in its default workspace:
#   1. the idle process's CPU for WINDOW seconds, with nothing published;
#   2. PUBLISHES publishes of one flow (each a save, then the timed publish): p50/p95 early on;
#   3. a history of FLOWS flows x VERSIONS versions (scripts/bench/journey.json, each flow
#      with its own id and hook, each version one value changed), every one published;
#   4. the idle CPU again for WINDOW seconds: the difference, times the 2-s period, is what
#      keeping the published versions in step with the database costs per cycle;
#   5. PUBLISHES publishes of another flow: p50/p95 with the history.
#
#   scripts/bench-publish.sh              # or: make bench-publish (a debug build)
#   RELEASE=1 scripts/bench-publish.sh    # a release build
#
# Settings (environment): FLOWS=100 VERSIONS=10 PUBLISHES=20 WINDOW=20, RELEASE=0,
# SKIP_BUILD=0, OUT (default /tmp/spool-bench-publish/<UTC time>: the server's directory,
# its logs and result.json).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
: "${FLOWS:=100}"
: "${VERSIONS:=10}"
: "${PUBLISHES:=20}"
: "${WINDOW:=20}"
: "${OUT:=/tmp/spool-bench-publish/$(date -u +%Y%m%dT%H%M%SZ)}"
# shellcheck source=scripts/bench/serve.sh
. "$ROOT/scripts/bench/serve.sh"

for tool in curl python3; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool is needed; install it"
done
mkdir -p "$OUT"
trap spool_stop EXIT
trap 'exit 130' INT TERM

build_spool
spool_start spool
python3 "$ROOT/scripts/bench/publish.py" --address "$SPOOL_ADDRESS" --pid "$SPOOL_PID" \
    --email "$ADMIN_EMAIL" --password "$ADMIN_PASSWORD" --flows "$FLOWS" \
    --versions "$VERSIONS" --publishes "$PUBLISHES" --window "$WINDOW" >"$OUT/result.json"
spool_stop

python3 - "$OUT/result.json" "$BUILD" "$(nproc)" <<'PY'
import json, sys
result = json.load(open(sys.argv[1]))
print(f"\nspool serve, publishing ({sys.argv[2]} build, {sys.argv[3]} cores, SQLite, embedded store)\n")
print("| history                          | publish p50 | publish p95 | idle CPU % |")
print("|----------------------------------|-------------|-------------|------------|")
print(f"| none (one flow's first versions) | {result['publish_early_p50_ms']:8.1f} ms | "
      f"{result['publish_early_p95_ms']:8.1f} ms | {result['idle_cpu_empty_pct']:10.2f} |")
label = f"{result['history_versions']} versions, {result['history_flows']} flows"
print(f"| {label:<32} | {result['publish_p50_ms']:8.1f} ms | "
      f"{result['publish_p95_ms']:8.1f} ms | {result['idle_cpu_history_pct']:10.2f} |")
print(f"\nCPU per 2-s sync cycle with that history: {result['sync_cycle_cpu_ms']} ms "
      f"(idle difference x 2 s). Building the history took {result['seeding_s']} s.")
PY
