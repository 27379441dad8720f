#!/usr/bin/env bash
# Makes sure the services the tests use answer: Redis at $REDIS_URL (default
# redis://127.0.0.1:6379). Starts a local one if none answers, installs it through apt
# when it is missing, and fails with a clear message otherwise: tests never skip.
set -euo pipefail

redis_url="${REDIS_URL:-redis://127.0.0.1:6379}"
hostport="${redis_url#redis://}"
hostport="${hostport##*@}"
hostport="${hostport%%/*}"
host="${hostport%%:*}"
port="${hostport##*:}"
[ "$port" = "$host" ] && port=6379

redis_answers() {
    # A PING over bash's /dev/tcp, so no client needs to be installed.
    local reply
    reply=$(timeout 2 bash -c "exec 3<>/dev/tcp/$host/$port && printf 'PING\r\n' >&3 && head -c 5 <&3" 2>/dev/null || true)
    [ "$reply" = "+PONG" ]
}

if redis_answers; then
    echo "services: redis answers at $host:$port"
    exit 0
fi
case "$host" in
    127.0.0.1|localhost) ;;
    *) echo "services: nothing answers at $redis_url and it is not on this machine; start it there or unset REDIS_URL" >&2; exit 1 ;;
esac
if ! command -v redis-server >/dev/null 2>&1; then
    if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
        echo "services: installing redis-server"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
    else
        echo "services: redis-server is not installed and cannot be installed here; install it (apt-get install redis-server) or set REDIS_URL" >&2
        exit 1
    fi
fi
echo "services: starting redis-server on $host:$port"
redis-server --daemonize yes --bind 127.0.0.1 --port "$port" --save "" --appendonly no \
    --logfile /tmp/spool-test-redis.log
for _ in $(seq 50); do
    if redis_answers; then
        echo "services: redis started"
        exit 0
    fi
    sleep 0.1
done
echo "services: redis-server started but does not answer; see /tmp/spool-test-redis.log" >&2
exit 1
