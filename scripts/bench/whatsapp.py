#!/usr/bin/env python3
"""Drives scripts/bench-whatsapp.sh against a running `spool serve` and the fake Cloud API:

1. connects NUMBERS WhatsApp numbers of one app (SPOOL_WHATSAPP_API_URL points at the fake),
   each at Meta's highest throughput, 1,000 msg/s, and publishes an echo journey (any
   message -> send_text "{{ msg.text }}"); all numbers' webhooks reach one URL, as Meta
   sends them;
2. end to end: wrk POSTs signed Meta webhook bodies (one text message each) for DURATION
   seconds while a probe sends a few more, each stamped `t=<ms>;`, whose echo the fake API
   times; then waits until the fake API stops receiving. Reports inbound messages/s (wrk),
   answered messages/s (replies the fake received over the time from the first POST to the
   last reply), probe latency p50/p99 (POST -> the fake receiving the reply), RSS;
3. the sender's rate: the first number's throughput set to RATE msg/s, a burst of messages
   to that number accepted as fast as wrk sends them, and the replies the fake receives per second while
   the backlog drains (mean over full seconds and the busiest second).

Prints one JSON object.
"""
import argparse
import hashlib
import hmac
import json
import os
import statistics
import subprocess
import sys
import threading
import time
import http.client
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from publish import Api, WORKSPACE  # noqa: E402
from whatsapp_bodies import body, sign  # noqa: E402

PHONE_NUMBER_ID = "1098765432101"


def number(index):
    """The business's numbers: 1098765432101, …102, …; the first is the probe's."""
    return str(int(PHONE_NUMBER_ID) + index)
APP_SECRET = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"

ECHO = {
    "schema": 1,
    "id": "echo",
    "name": "Echo",
    "nodes": [
        {"id": "start", "type": "inbound_message", "config": {"match": {"type": "any"}}},
        {"id": "echo", "type": "send_text", "config": {"text": "{{ msg.text }}"}},
    ],
    "edges": [{"from": "start", "port": "next", "to": "echo"}],
}


def fake(address, path, method="GET"):
    request = urllib.request.Request(f"http://{address}{path}", method=method)
    with urllib.request.urlopen(request, timeout=30) as response:
        text = response.read().decode()
        return json.loads(text) if text else None


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))] if ordered else None


def wrk(address, bodies, duration, connections, out):
    env = dict(os.environ, BODIES_FILE=bodies, SIGNATURE_HEADER="X-Hub-Signature-256")
    here = os.path.dirname(os.path.abspath(__file__))
    started = time.time()
    done = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--timeout", "10s",
         "-s", os.path.join(here, "webhook.lua"), f"http://{address}{out}"],
        env=env, capture_output=True, text=True, check=True,
    )
    for line in done.stdout.splitlines():
        if line.startswith("WRK_JSON "):
            return started, json.loads(line[len("WRK_JSON "):])
    sys.exit(f"wrk said nothing usable:\n{done.stdout}\n{done.stderr}")


def probe(address, path, stop, every, sent):
    """Sends a stamped message every `every` seconds until `stop` is set."""
    host, port = address.rsplit(":", 1)
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    seq = 0
    while not stop.is_set():
        seq += 1
        now_ms = int(time.time() * 1000)
        text = body(PHONE_NUMBER_ID, f"4917{seq:08d}", f"wamid.PROBE{seq}-{now_ms}",
                    f"t={now_ms};", now_ms // 1000)
        headers = {"Content-Type": "application/json",
                   "X-Hub-Signature-256": "sha256=" + sign(APP_SECRET, text)}
        connection.request("POST", path, body=text, headers=headers)
        response = connection.getresponse()
        response.read()
        if response.status == 200:
            sent.append(seq)
        time.sleep(every)


def drained(address, settle=3.0, limit=600):
    """Waits until the fake API has received nothing new for `settle` seconds."""
    last, since, started = -1, time.time(), time.time()
    while time.time() - started < limit:
        count = fake(address, "/stats")["count"]
        if count != last:
            last, since = count, time.time()
        elif time.time() - since >= settle:
            return fake(address, "/stats")
        time.sleep(0.25)
    return fake(address, "/stats")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--address", required=True)
    parser.add_argument("--pid", type=int, required=True)
    parser.add_argument("--fake", required=True)
    parser.add_argument("--email", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--bodies", required=True, help="end-to-end bodies (wrk)")
    parser.add_argument("--burst-bodies", required=True, help="the sender-rate burst")
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--burst-duration", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rate", type=int, default=1000)
    parser.add_argument("--numbers", type=int, default=12,
                        help="the business's numbers (1,000 msg/s each at most, as Meta allows)")
    args = parser.parse_args()

    api = Api(args.address)
    api.sign_in(args.email, args.password)
    channels = []
    for index in range(args.numbers):
        _, channel = api.call("POST", f"{WORKSPACE}/channels", {
            "display_name": f"Bench {index + 1}", "phone_number_id": number(index),
            "waba_id": "102290129340398", "access_token": f"EAAbenchtoken{index}",
            "app_secret": APP_SECRET, "verify_token": "bench-verify",
            "throughput_per_second": 1000,
        })
        channels.append(channel)
    channel = channels[0]
    channel_path = f"{WORKSPACE}/channels/{channel['id']}"
    hook = f"/webhooks/whatsapp/{channel['id']}"
    api.call("POST", f"{WORKSPACE}/flows", ECHO)
    api.call("POST", f"{WORKSPACE}/flows/echo/publish", {})
    fake(args.fake, "/reset", "POST")

    # End to end.
    stop, probed = threading.Event(), []
    prober = threading.Thread(target=probe, args=(args.address, hook, stop, 0.05, probed))
    prober.start()
    started, load = wrk(args.address, args.bodies, args.duration, args.connections, hook)
    rss_loaded = rss_mb(args.pid)
    stop.set()
    prober.join()
    stats = drained(args.fake)
    seconds = stats["per_second"]
    last_reply = seconds[-1][0] + 1 if seconds else started
    answered = stats["count"]
    latencies = stats["latency_ms"]
    e2e = {
        "inbound_per_s": round(load["rps"]),
        "wrk_requests": load["requests"],
        "wrk_errors": sum(load[key] for key in load if key.startswith("err_")),
        "wrk_p99_ms": load["lat_p99_ms"],
        "answered": answered,
        "answered_per_s": round(answered / max(last_reply - started, 1e-9)),
        "probe_sent": len(probed),
        "probe_answered": len(latencies),
        "latency_p50_ms": percentile(latencies, 0.50),
        "latency_p99_ms": percentile(latencies, 0.99),
        "rss_mb": round(rss_loaded),
    }

    # The sender's rate.
    api.call("PATCH", channel_path, {"throughput_per_second": args.rate})
    time.sleep(11)  # the channel registry reads a channel again after 10 s at most
    fake(args.fake, "/reset", "POST")
    _, burst = wrk(args.address, args.burst_bodies, args.burst_duration, args.connections, hook)
    stats = drained(args.fake)
    counts = [count for _, count in stats["per_second"]]
    full = counts[1:-1]  # the first and last seconds are partial
    sender = {
        "rate_set": args.rate,
        "burst_accepted": burst["requests"],
        "sent": stats["count"],
        "full_seconds": len(full),
        "mean_per_s": round(statistics.mean(full), 1) if full else None,
        "max_per_s": max(full) if full else None,
        "min_per_s": min(full) if full else None,
        "rss_mb": round(rss_mb(args.pid)),
    }
    print(json.dumps({"end_to_end": e2e, "sender": sender}))


if __name__ == "__main__":
    main()
