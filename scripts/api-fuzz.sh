#!/usr/bin/env bash
# The API against its own OpenAPI document: schemathesis (a pinned version, installed from
# PyPI into a venv under target/) runs every check, status_code_conformance and
# not_a_server_error among them, against a freshly started `spool serve` on a fresh SQLite
# file, authenticated with an admin API key, with the example flows created and published
# so that its stateful phase reaches real flows, versions and simulations.
#
#   scripts/api-fuzz.sh            # or: make api-fuzz
#   MAX_EXAMPLES=100 scripts/api-fuzz.sh
#
# Settings (environment):
#   MAX_EXAMPLES=25     examples per operation and phase
#   PHASES=examples,coverage,fuzzing,stateful
#   SPOOL_BIN           default target/debug/spool, built first unless SKIP_BUILD=1
#   OUT                 default target/api-fuzz/run-<UTC time>: the server's log, the
#                       schemathesis configuration, its JUnit report and a cassette of every
#                       request it sent
# Exits non-zero when schemathesis finds a failure (or the server does not start).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SCHEMATHESIS_VERSION=4.32.5
: "${MAX_EXAMPLES:=25}"
: "${PHASES:=examples,coverage,fuzzing,stateful}"
: "${CARGO:=cargo}"
: "${SPOOL_BIN:=$ROOT/target/debug/spool}"
: "${SKIP_BUILD:=0}"
: "${OUT:=$ROOT/target/api-fuzz/run-$(date -u +%Y%m%dT%H%M%SZ)}"
VENV="$ROOT/target/api-fuzz/venv"
WORKSPACE=default

say() { printf '[api-fuzz] %s\n' "$*" >&2; }

# 1. schemathesis, pinned, in its own venv (reused when it has the pinned version).
if ! "$VENV/bin/schemathesis" --version 2>/dev/null | grep -q "version $SCHEMATHESIS_VERSION\$"; then
    say "installing schemathesis $SCHEMATHESIS_VERSION into $VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi

# 2. spool, started on a free port with a fresh database and a known admin password.
if [[ "$SKIP_BUILD" != 1 ]]; then
    say "building spool"
    (cd "$ROOT" && "$CARGO" build --quiet -p spool-builder-api --bin spool)
fi
mkdir -p "$OUT"
PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
BASE="http://127.0.0.1:$PORT"
ADMIN_EMAIL=fuzz@spool.test
ADMIN_PASSWORD="$(python3 -c 'import secrets; print(secrets.token_urlsafe(18))')"
(
    cd "$OUT"
    SPOOL_ADMIN_EMAIL="$ADMIN_EMAIL" SPOOL_ADMIN_PASSWORD="$ADMIN_PASSWORD" \
        exec "$SPOOL_BIN" serve --bind "127.0.0.1:$PORT" --database-url "sqlite://$OUT/spool.sqlite?mode=rwc"
) >"$OUT/serve.log" 2>&1 &
SERVER=$!
stop_server() {
    if kill -0 "$SERVER" 2>/dev/null; then
        kill -TERM "$SERVER" 2>/dev/null || true
        wait "$SERVER" 2>/dev/null || true
    fi
}
trap stop_server EXIT
for _ in $(seq 1 120); do
    curl -fsS "$BASE/healthz" >/dev/null 2>&1 && break
    kill -0 "$SERVER" 2>/dev/null || { say "spool serve exited; see $OUT/serve.log"; exit 1; }
    sleep 0.5
done
curl -fsS "$BASE/healthz" >/dev/null || { say "spool serve did not answer on $BASE"; exit 1; }

# 3. An admin API key, made with the first administrator's session.
JAR="$OUT/cookies.txt"
json_field() { python3 -c "import json, sys; print(json.load(sys.stdin)$1)"; }
CSRF="$(curl -fsS -c "$JAR" -H 'Content-Type: application/json' \
    -d "{\"email\": \"$ADMIN_EMAIL\", \"password\": \"$ADMIN_PASSWORD\"}" \
    "$BASE/api/v1/session" | json_field '["csrf_token"]')"
API_KEY="$(curl -fsS -b "$JAR" -H 'Content-Type: application/json' -H "X-CSRF-Token: $CSRF" \
    -d '{"name": "api-fuzz", "role": "admin"}' \
    "$BASE/api/v1/workspaces/$WORKSPACE/api-keys" | json_field '["key"]')"

# 4. The example flows, created and published.
for file in "$ROOT"/flows/examples/*.json; do
    id="$(json_field '["id"]' <"$file")"
    curl -fsS -o /dev/null -H "Authorization: Bearer $API_KEY" -H 'Content-Type: application/json' \
        --data-binary "@$file" "$BASE/api/v1/workspaces/$WORKSPACE/flows"
    curl -fsS -o /dev/null -H "Authorization: Bearer $API_KEY" -X POST \
        "$BASE/api/v1/workspaces/$WORKSPACE/flows/$id/publish"
done
say "spool on $BASE with $(ls "$ROOT"/flows/examples/*.json | wc -l) example flows published"

# 5. schemathesis. The workspace is always the one with the data; the API key's own
# revocation is left out of the stateful phase, which would otherwise lock itself out.
cat >"$OUT/schemathesis.toml" <<TOML
[parameters]
"path.workspace" = "$WORKSPACE"

# Values JSON Schema does not describe are checked by the server (an E.164 number, an RFC 3339
# time, a flow document, a duration like "1h 30m"), so a schema-valid request may be refused
# with 400 or 422 and its error code; a missing If-Match is 428 Precondition Required.
[checks.positive_data_acceptance]
expected-statuses = ["2XX", "3XX", 400, 401, 403, 404, 409, 422, 428]

[checks.missing_required_header]
expected-statuses = [400, 401, 403, 406, 415, 422, 428]

[phases.stateful.inference]
algorithms = ["dependency-analysis"]

[[operations]]
include-path = "/api/v1/workspaces/{workspace}/api-keys/{key}"
include-method = "DELETE"
phases.stateful.enabled = false
TOML
status=0
start=$SECONDS
# Run from $OUT: schemathesis keeps a cache in its working directory.
cd "$OUT"
"$VENV/bin/schemathesis" --config-file "$OUT/schemathesis.toml" run "$BASE/api/v1/openapi.json" \
    --url "$BASE" \
    --header "Authorization: Bearer $API_KEY" \
    --checks all \
    --phases "$PHASES" \
    --max-examples "$MAX_EXAMPLES" \
    --report junit,har --report-dir "$OUT" \
    --no-color || status=$?
say "schemathesis took $((SECONDS - start)) s; exit status $status; output in $OUT"
exit "$status"
