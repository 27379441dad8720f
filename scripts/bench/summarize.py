#!/usr/bin/env python3
"""Markdown tables from scripts/bench-webhooks.sh's results.jsonl (one JSON object per
target and level): every run, Spool against Node-RED per level, and Spool's workers.

usage: summarize.py RESULTS.jsonl [MORE.jsonl ...]
"""
import json
import sys


def num(value, digits=0):
    if value is None:
        return "–"
    if digits == 0:
        return f"{round(value):,}"
    return f"{value:,.{digits}f}"


def mib(kb):
    return None if kb is None else kb / 1024


def main():
    rows = []
    for path in sys.argv[1:]:
        with open(path) as f:
            rows.extend(json.loads(line) for line in f if line.strip())
    if not rows:
        sys.exit("summarize: no results")

    # CPU in % of one core. "other": user time on the box not used by the server, wrk or
    # (for Spool) Redis, i.e. some other job disturbing the run; "steal": CPU the hypervisor
    # gave to other machines while this VM wanted it.
    print("| target | conns | req/s | p50 ms | p99 ms | max ms | RSS MiB idle / max | non-2xx | socket errors | server CPU % | wrk CPU % | other CPU % | steal % |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        socket_errors = r["err_connect"] + r["err_read"] + r["err_write"] + r["err_timeout"]
        redis = (r.get("spool") or {}).get("redis_cpu_pct") or 0
        other = max(0.0, r["box_user_pct"] * r.get("ncpu", 1) - r["server_cpu_pct"] - r["wrk_cpu_pct"] - redis)
        print(f"| {r['target']} | {r['conns']} | {num(r['rps'])} | {num(r['lat_p50_ms'], 2)} | "
              f"{num(r['lat_p99_ms'], 2)} | {num(r['lat_max_ms'], 1)} | "
              f"{num(mib(r['rss_idle_kb']))} / {num(mib(r['rss_kb_max']))} | {r['err_status']} | {socket_errors} | "
              f"{num(r['server_cpu_pct'])} | {num(r['wrk_cpu_pct'])} | {num(other)} | "
              f"{num(r['box_steal_pct'] * r.get('ncpu', 1))} |")

    by = {(r["target"], r["conns"]): r for r in rows}
    levels = sorted({r["conns"] for r in rows})
    if any(("spool", c) in by and ("node-red", c) in by for c in levels):
        print()
        print("| conns | Spool req/s | Node-RED req/s | Spool / Node-RED | Spool p50 / p99 ms | Node-RED p50 / p99 ms |")
        print("|---:|---:|---:|---:|---:|---:|")
        for c in levels:
            s, n = by.get(("spool", c)), by.get(("node-red", c))
            if not (s and n):
                continue
            print(f"| {c} | {num(s['rps'])} | {num(n['rps'])} | {s['rps'] / n['rps']:.2f}× | "
                  f"{num(s['lat_p50_ms'], 2)} / {num(s['lat_p99_ms'], 2)} | "
                  f"{num(n['lat_p50_ms'], 2)} / {num(n['lat_p99_ms'], 2)} |")

    spool = [r for r in rows if "spool" in r]
    if spool:
        print()
        print("| conns | 202s (wrk) | applied | backlog at end of load / max | drain s | load + drain s | applied/s end to end | Spool CPU % | Redis CPU % |")
        print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for r in spool:
            s = r["spool"]
            print(f"| {r['conns']} | {num(r['requests'] - r['err_status'])} | {num(s['applied'])} | "
                  f"{num(s['backlog_at_end'])} / {num(s['backlog_max'])} | {num(s['drain_s'], 2)} | "
                  f"{num(s['until_applied_s'], 1)} | {num(s['applied_per_s'])} | "
                  f"{num(r['server_cpu_pct'])} | {num(s.get('redis_cpu_pct'))} |")


if __name__ == "__main__":
    main()
