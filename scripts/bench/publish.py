#!/usr/bin/env python3
"""Drives scripts/bench-publish.sh against a running `spool serve`: builds a history of
published versions over HTTP, then times more publishes and measures what the idle process
spends with that history. Prints one JSON object.

Each flow is scripts/bench/journey.json with an id and a hook of its own; each version
changes a value in it (so it is a new version with a new hash) and is saved, then published.
"""

import argparse
import http.client
import json
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
WORKSPACE = "/api/v1/workspaces/default"


class Api:
    """One kept-alive HTTP connection with the session cookie and CSRF token."""

    def __init__(self, address):
        host, port = address.rsplit(":", 1)
        self.connection = http.client.HTTPConnection(host, int(port), timeout=120)
        self.headers = {"Content-Type": "application/json"}

    def call(self, method, path, body=None, headers=None, expect=(200, 201)):
        sent = dict(self.headers, **(headers or {}))
        data = None if body is None else json.dumps(body)
        try:
            self.connection.request(method, path, body=data, headers=sent)
            response = self.connection.getresponse()
        except (ConnectionError, http.client.RemoteDisconnected):
            # The server closes a kept-alive connection that stayed idle (the idle windows).
            self.connection.close()
            self.connection.request(method, path, body=data, headers=sent)
            response = self.connection.getresponse()
        text = response.read().decode()
        if response.status not in expect:
            sys.exit(f"{method} {path}: {response.status} {text}")
        return response, (json.loads(text) if text else None)

    def sign_in(self, email, password):
        response, body = self.call(
            "POST", "/api/v1/session", {"email": email, "password": password}
        )
        cookie = response.getheader("Set-Cookie").split(";", 1)[0]
        self.headers["Cookie"] = cookie
        self.headers["X-CSRF-Token"] = body["csrf_token"]


def document(template, flow, version):
    doc = json.loads(json.dumps(template))
    doc["id"] = flow
    doc["name"] = f"Benchmark {flow}"
    for node in doc["nodes"]:
        if node["type"] == "webhook":
            node["config"] = {"hook": flow, "contact": "payload.contact.phone"}
        if node["id"] == "branch_a":
            node["config"]["assignments"][1]["value"] = {"value": version}
    return doc


class Flow:
    def __init__(self, api, template, flow):
        self.api, self.template, self.flow, self.version = api, template, flow, 0
        response, _ = api.call("POST", f"{WORKSPACE}/flows", document(template, flow, 0))
        self.etag = response.getheader("ETag")

    def save_next(self):
        self.version += 1
        response, _ = self.api.call(
            "PUT",
            f"{WORKSPACE}/flows/{self.flow}",
            document(self.template, self.flow, self.version),
            headers={"If-Match": self.etag},
        )
        self.etag = response.getheader("ETag")

    def publish(self):
        started = time.perf_counter()
        _, body = self.api.call("POST", f"{WORKSPACE}/flows/{self.flow}/publish", {})
        elapsed = time.perf_counter() - started
        assert body["live"], body
        return elapsed


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def idle_cpu(pid, seconds):
    """CPU seconds the process spends per second of wall time while nobody calls it."""
    before, started = cpu_seconds(pid), time.monotonic()
    time.sleep(seconds)
    return (cpu_seconds(pid) - before) / (time.monotonic() - started)


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--address", required=True)
    parser.add_argument("--pid", type=int, required=True)
    parser.add_argument("--email", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--flows", type=int, default=100)
    parser.add_argument("--versions", type=int, default=10)
    parser.add_argument("--publishes", type=int, default=20)
    parser.add_argument("--window", type=float, default=20)
    parser.add_argument("--sync-period", type=float, default=2)
    args = parser.parse_args()

    with open(os.path.join(HERE, "journey.json")) as file:
        template = json.load(file)
    api = Api(args.address)
    api.sign_in(args.email, args.password)

    def timed_publishes(flow):
        timed = Flow(api, template, flow)
        latencies = []
        for _ in range(args.publishes):
            timed.save_next()
            latencies.append(timed.publish())
        return latencies

    idle_empty = idle_cpu(args.pid, args.window)
    early = timed_publishes("timed-early")
    started = time.monotonic()
    for number in range(args.flows):
        flow = Flow(api, template, f"history-{number:03}")
        for version in range(args.versions):
            if version:
                flow.save_next()
            flow.publish()
        if (number + 1) % 25 == 0:
            print(f"history: {number + 1}/{args.flows} flows", file=sys.stderr)
    seeding = time.monotonic() - started
    idle_history = idle_cpu(args.pid, args.window)

    latencies = timed_publishes("timed")

    ms = lambda seconds: round(seconds * 1000, 1)  # noqa: E731
    print(
        json.dumps(
            {
                "history_versions": args.publishes + args.flows * args.versions,
                "history_flows": args.flows,
                "seeding_s": round(seeding, 1),
                "publish_early_p50_ms": ms(statistics.median(early)),
                "publish_early_p95_ms": ms(percentile(early, 0.95)),
                "publish_p50_ms": ms(statistics.median(latencies)),
                "publish_p95_ms": ms(percentile(latencies, 0.95)),
                "publish_max_ms": ms(max(latencies)),
                "idle_cpu_empty_pct": round(idle_empty * 100, 2),
                "idle_cpu_history_pct": round(idle_history * 100, 2),
                "sync_cycle_cpu_ms": round(
                    (idle_history - idle_empty) * args.sync_period * 1000, 1
                ),
            }
        )
    )


if __name__ == "__main__":
    main()
