#!/usr/bin/env bash
# Makes sure the services the tests use answer:
# - Redis at $REDIS_URL (default redis://127.0.0.1:6379);
# - PostgreSQL at $SPOOL_TEST_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/postgres),
#   where the embedded store's tests create (and drop) a database of their own.
# Starts a local one if none answers, installs it through apt when it is missing, and fails
# with a clear message otherwise: tests never skip.
set -euo pipefail

# host and port of a URL like scheme://user:pass@host:port/path?query
url_host() {
    local rest="${1#*://}"
    rest="${rest##*@}"
    rest="${rest%%[/?]*}"
    echo "${rest%%:*}"
}

url_port() {
    local rest="${1#*://}" default="$2"
    rest="${rest##*@}"
    rest="${rest%%[/?]*}"
    local port="${rest##*:}"
    [ "$port" = "$rest" ] && port="$default"
    echo "$port"
}

is_local() {
    case "$1" in
        127.0.0.1|localhost|::1) return 0 ;;
        *) return 1 ;;
    esac
}

can_install() {
    command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]
}

# --- Redis -----------------------------------------------------------------------------------

redis_url="${REDIS_URL:-redis://127.0.0.1:6379}"
redis_host="$(url_host "$redis_url")"
redis_port="$(url_port "$redis_url" 6379)"

redis_answers() {
    # A PING over bash's /dev/tcp, so no client needs to be installed.
    local reply
    reply=$(timeout 2 bash -c "exec 3<>/dev/tcp/$redis_host/$redis_port && printf 'PING\r\n' >&3 && head -c 5 <&3" 2>/dev/null || true)
    [ "$reply" = "+PONG" ]
}

ensure_redis() {
    if redis_answers; then
        echo "services: redis answers at $redis_host:$redis_port"
        return 0
    fi
    if ! is_local "$redis_host"; then
        echo "services: nothing answers at $redis_url and it is not on this machine; start it there or unset REDIS_URL" >&2
        return 1
    fi
    if ! command -v redis-server >/dev/null 2>&1; then
        if can_install; then
            echo "services: installing redis-server"
            apt-get update -qq
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
        else
            echo "services: redis-server is not installed and cannot be installed here; install it (apt-get install redis-server) or set REDIS_URL" >&2
            return 1
        fi
    fi
    echo "services: starting redis-server on $redis_host:$redis_port"
    redis-server --daemonize yes --bind 127.0.0.1 --port "$redis_port" --save "" --appendonly no \
        --logfile /tmp/spool-test-redis.log
    for _ in $(seq 50); do
        if redis_answers; then
            echo "services: redis started"
            return 0
        fi
        sleep 0.1
    done
    echo "services: redis-server started but does not answer; see /tmp/spool-test-redis.log" >&2
    return 1
}

# --- PostgreSQL ------------------------------------------------------------------------------

pg_url="${SPOOL_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
pg_host="$(url_host "$pg_url")"
pg_port="$(url_port "$pg_url" 5432)"

pg_answers() {
    if command -v pg_isready >/dev/null 2>&1; then
        pg_isready -q -h "$pg_host" -p "$pg_port" -t 2
    else
        timeout 2 bash -c "exec 3<>/dev/tcp/$pg_host/$pg_port" 2>/dev/null
    fi
}

pg_clusters() {
    ls /etc/postgresql 2>/dev/null || true
}

pg_wait() {
    for _ in $(seq 100); do
        if pg_answers; then
            return 0
        fi
        sleep 0.1
    done
    return 1
}

# Tests connect over TCP without a password: on a cluster this script installed itself,
# let local connections in (trust on loopback only).
pg_trust_loopback() {
    local version="$1" hba
    hba="/etc/postgresql/$version/main/pg_hba.conf"
    [ -f "$hba" ] || return 0
    if ! grep -q "^# added by spool scripts/services.sh" "$hba"; then
        local original
        original="$(cat "$hba")"
        {
            echo "# added by spool scripts/services.sh: the test server trusts this machine"
            echo "local all all trust"
            echo "host all all 127.0.0.1/32 trust"
            echo "host all all ::1/128 trust"
            echo "$original"
        } >"$hba"
    fi
}

pg_can_log_in() {
    # A real login as the URL's user, when a client is at hand to try it.
    if command -v psql >/dev/null 2>&1; then
        psql "$pg_url" -Atqc 'SELECT 1' >/dev/null 2>&1
    else
        return 0
    fi
}

ensure_postgres() {
    if ! pg_answers; then
        if ! is_local "$pg_host"; then
            echo "services: nothing answers at $pg_host:$pg_port and it is not on this machine; start PostgreSQL there or set SPOOL_TEST_POSTGRES_URL" >&2
            return 1
        fi
        local installed_here=no
        if [ -z "$(pg_clusters)" ] || ! command -v pg_ctlcluster >/dev/null 2>&1; then
            if can_install; then
                echo "services: installing postgresql"
                apt-get update -qq
                DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
                installed_here=yes
            else
                echo "services: PostgreSQL is not installed and cannot be installed here; install it (apt-get install postgresql) or set SPOOL_TEST_POSTGRES_URL" >&2
                return 1
            fi
        fi
        local version
        version="$(pg_clusters | sort -V | tail -n 1)"
        if [ -z "$version" ]; then
            echo "services: PostgreSQL is installed but has no cluster in /etc/postgresql; create one (pg_createcluster) or set SPOOL_TEST_POSTGRES_URL" >&2
            return 1
        fi
        if [ "$installed_here" = yes ]; then
            pg_trust_loopback "$version"
        fi
        echo "services: starting PostgreSQL $version (cluster main)"
        pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
        if ! pg_wait; then
            echo "services: PostgreSQL $version was started but nothing answers at $pg_host:$pg_port; see /var/log/postgresql/postgresql-$version-main.log" >&2
            return 1
        fi
        if [ "$installed_here" = yes ]; then
            pg_ctlcluster --skip-systemctl-redirect "$version" main reload || true
        fi
    fi
    if ! pg_can_log_in; then
        echo "services: PostgreSQL answers at $pg_host:$pg_port but $pg_url cannot log in; allow that user in pg_hba.conf or set SPOOL_TEST_POSTGRES_URL" >&2
        return 1
    fi
    echo "services: postgresql answers at $pg_host:$pg_port"
}

status=0
ensure_redis || status=1
ensure_postgres || status=1
exit "$status"
