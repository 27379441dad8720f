#!/usr/bin/env python3
"""How far Spool's workers are behind the webhooks it accepted, read straight from Redis.

A 202 from `POST /hooks/...` means the event is in its partition's log (a Redis stream);
a worker applies it later and commits the contact's state, the node counters and the log
position (`<prefix>:{pN}:cursor`) together, trimming the log up to that position (the entry
at the position stays). So, per partition:

- backlog: entries after the cursor = XLEN of the log, minus the one at the cursor;
- applied: the `<trigger node>|entered` counters in the hourly hashes
  `<prefix>:{pN}:stats:<version>:<hour>`, committed with each batch.

usage: spool-progress.py [--redis URL] --prefix P [--partitions 16] [--node hook] COMMAND
  snapshot              print {"applied": N, "backlog": N}
  drain [--timeout S]   poll until the backlog is 0; print {"drain_s", "applied", "backlog"}
  follow OUT            sample every --interval s until SIGTERM; write the series as JSON
  contact ID            print the state of contact ID (e.g. default/wa:4915112345678), or null
  redis-pid             print the PID of redis-server (INFO server), 0 when unknown
  redis-info            print Redis's version and persistence settings
  wipe                  delete every key under the prefix
Stdlib only (a minimal RESP client).
"""
import argparse
import json
import signal
import socket
import sys
import time
from urllib.parse import urlparse


class Redis:
    def __init__(self, url):
        parsed = urlparse(url)
        if parsed.scheme != "redis":
            sys.exit(f"spool-progress: only redis:// URLs are supported, not {url}")
        self.sock = socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 6379), timeout=10)
        self.file = self.sock.makefile("rb")
        if parsed.password:
            auth = [parsed.username, parsed.password] if parsed.username else [parsed.password]
            self.call("AUTH", *auth)
        db = (parsed.path or "/").strip("/")
        if db:
            self.call("SELECT", db)

    def _encode(self, args):
        out = [b"*%d\r\n" % len(args)]
        for arg in args:
            data = arg if isinstance(arg, bytes) else str(arg).encode()
            out.append(b"$%d\r\n%s\r\n" % (len(data), data))
        return b"".join(out)

    def _reply(self):
        line = self.file.readline()
        if not line:
            raise ConnectionError("redis closed the connection")
        kind, rest = line[:1], line[1:-2]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            raise RuntimeError(rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            if n < 0:
                return None
            data = self.file.read(n + 2)[:-2]
            return data.decode(errors="replace")
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self._reply() for _ in range(n)]
        raise RuntimeError(f"unexpected reply {line!r}")

    def pipeline(self, commands):
        self.sock.sendall(b"".join(self._encode(c) for c in commands))
        return [self._reply() for _ in commands]

    def call(self, *args):
        return self.pipeline([args])[0]


def key(prefix, partition, name):
    return f"{prefix}:{{p{partition}}}:{name}"


def partition_of(contact_id, partitions):
    """The runtime's `store::partition_of`: FNV-1a (32 bits) of the id, modulo partitions."""
    h = 0x811C9DC5
    for byte in contact_id.encode():
        h = ((h ^ byte) * 0x01000193) & 0xFFFFFFFF
    return h % max(1, partitions)


def counter_hashes(redis, prefix):
    """Every hourly counter hash under the prefix: `<prefix>:{pN}:stats:<version>:<hour>`."""
    cursor, found = "0", []
    while True:
        cursor, keys = redis.call("SCAN", cursor, "MATCH", f"{prefix}:{{p*}}:stats:*:*", "COUNT", 10000)
        found.extend(keys)
        if cursor == "0":
            return found


def snapshot(redis, args):
    commands = []
    for p in range(args.partitions):
        commands.append(("XLEN", key(args.prefix, p, "log")))
        commands.append(("EXISTS", key(args.prefix, p, "cursor")))
    hashes = counter_hashes(redis, args.prefix)
    commands.extend(("HGET", name, f"{args.node}|entered") for name in hashes)
    replies = redis.pipeline(commands)
    backlog = 0
    for p in range(args.partitions):
        length, has_cursor = replies[2 * p: 2 * p + 2]
        backlog += max(0, length - has_cursor)
    applied = sum(int(value) for value in replies[2 * args.partitions:] if value is not None)
    return {"applied": applied, "backlog": backlog}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--redis", default="redis://127.0.0.1:6379")
    parser.add_argument("--prefix", default="spool")
    parser.add_argument("--partitions", type=int, default=16)
    parser.add_argument("--node", default="hook", help="the trigger node's id")
    parser.add_argument("--interval", type=float, default=0.5)
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument("command", choices=["snapshot", "drain", "follow", "contact", "redis-pid", "redis-info", "wipe"])
    parser.add_argument("out", nargs="?", help="follow: the output file; contact: the contact's id")
    args = parser.parse_args()
    if "{" in args.prefix or "}" in args.prefix or "*" in args.prefix or not args.prefix:
        sys.exit("spool-progress: the prefix must be non-empty, without braces or '*'")
    redis = Redis(args.redis)

    if args.command == "snapshot":
        print(json.dumps(snapshot(redis, args)))
    elif args.command == "drain":
        start = time.monotonic()
        first = snapshot(redis, args)
        now = first
        while now["backlog"] > 0 and time.monotonic() - start < args.timeout:
            time.sleep(0.01)
            now = snapshot(redis, args)
        print(json.dumps({
            "drain_s": round(time.monotonic() - start, 3) if first["backlog"] > 0 else 0.0,
            "backlog_before": first["backlog"],
            "applied": now["applied"],
            "backlog": now["backlog"],
        }))
        if now["backlog"] > 0:
            sys.exit(f"spool-progress: {now['backlog']} events still not applied after {args.timeout} s")
    elif args.command == "follow":
        if not args.out:
            parser.error("follow needs OUT")
        stop = {"v": False}
        signal.signal(signal.SIGTERM, lambda *_: stop.__setitem__("v", True))
        signal.signal(signal.SIGINT, lambda *_: stop.__setitem__("v", True))
        start = time.monotonic()
        series = []
        while not stop["v"]:
            point = snapshot(redis, args)
            point["t"] = round(time.monotonic() - start, 3)
            series.append(point)
            end = time.monotonic() + args.interval
            while not stop["v"] and time.monotonic() < end:
                time.sleep(0.02)
        with open(args.out, "w") as out:
            json.dump({"backlog_max": max((p["backlog"] for p in series), default=0), "series": series}, out)
    elif args.command == "contact":
        if not args.out:
            parser.error("contact needs the contact's id")
        p = partition_of(args.out, args.partitions)
        state = redis.call("GET", key(args.prefix, p, f"c:{args.out}"))
        print(state if state is not None else "null")
    elif args.command == "redis-pid":
        info = redis.call("INFO", "server") or ""
        pid = next((line.split(":", 1)[1].strip() for line in info.splitlines()
                    if line.startswith("process_id:")), "0")
        print(pid)
    elif args.command == "redis-info":
        info = redis.call("INFO", "server") or ""
        version = next((line.split(":", 1)[1].strip() for line in info.splitlines()
                        if line.startswith("redis_version:")), "unknown")
        settings = {}
        for name in ("appendonly", "appendfsync", "save"):
            reply = redis.call("CONFIG", "GET", name) or []
            settings[name] = reply[1] if len(reply) > 1 else "?"
        print(f"{version}, appendonly={settings['appendonly']} appendfsync={settings['appendfsync']} "
              f"save='{settings['save']}'")
    elif args.command == "wipe":
        cursor, deleted = "0", 0
        while True:
            cursor, keys = redis.call("SCAN", cursor, "MATCH", f"{args.prefix}:*", "COUNT", 1000)
            if keys:
                deleted += redis.call("UNLINK", *keys)
            if cursor == "0":
                break
        print(deleted)


if __name__ == "__main__":
    main()
