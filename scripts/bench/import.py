#!/usr/bin/env python3
"""Drives scripts/bench-import.sh against a running `spool serve`: a CSV of ROWS contacts
(Portuguese mobile numbers written as people write them, names, two tags, a city, an order
count and a consent column) uploaded, dry-run, imported, and waited for until every contact
is in the directory. Samples the server's CPU time and resident memory. Prints one JSON
object.
"""

import argparse
import http.client
import json
import os
import random
import sys
import threading
import time

WORKSPACE = "/api/v1/workspaces/default"
TICKS = os.sysconf("SC_CLK_TCK")


class Api:
    def __init__(self, address):
        host, port = address.rsplit(":", 1)
        self.host, self.port = host, int(port)
        self.headers = {}

    def call(self, method, path, body=None, content_type="application/json", expect=(200, 201, 202)):
        connection = http.client.HTTPConnection(self.host, self.port, timeout=600)
        headers = dict(self.headers, **{"Content-Type": content_type})
        data = body if isinstance(body, (bytes, type(None))) else json.dumps(body)
        connection.request(method, path, body=data, headers=headers)
        response = connection.getresponse()
        text = response.read().decode()
        connection.close()
        if response.status not in expect:
            sys.exit(f"{method} {path}: {response.status} {text[:500]}")
        return response, (json.loads(text) if text else None)

    def sign_in(self, email, password):
        response, body = self.call("POST", "/api/v1/session", {"email": email, "password": password})
        self.headers["Cookie"] = response.getheader("Set-Cookie").split(";", 1)[0]
        self.headers["X-CSRF-Token"] = body["csrf_token"]


def csv_file(rows):
    random.seed(14)
    lines = ["Telefone;Nome;Etiquetas;Cidade;Encomendas;Marketing"]
    cities = ["Lisboa", "Porto", "Braga", "Faro", "Coimbra"]
    for n in range(rows):
        number = 910_000_000 + n
        written = f"+351 {str(number)[:3]} {str(number)[3:6]} {str(number)[6:]}" if n % 2 else str(number)
        lines.append(
            f"{written};Cliente {n};cliente|{'vip' if n % 10 == 0 else 'loja'};"
            f"{cities[n % 5]};{n % 17};{'sim' if n % 3 else 'não'}"
        )
    return ("\n".join(lines) + "\n").encode()


class Sampler(threading.Thread):
    """Peak resident memory and CPU time of the server, every 100 ms."""

    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid, self.peak_kb, self.running = pid, 0, True

    def cpu(self):
        stat = open(f"/proc/{self.pid}/stat").read().rsplit(")", 1)[1].split()
        return (int(stat[11]) + int(stat[12])) / TICKS

    def run(self):
        while self.running:
            for line in open(f"/proc/{self.pid}/status"):
                if line.startswith("VmRSS:"):
                    self.peak_kb = max(self.peak_kb, int(line.split()[1]))
            time.sleep(0.1)


def main():
    parser = argparse.ArgumentParser()
    for flag in ("--address", "--pid", "--email", "--password"):
        parser.add_argument(flag, required=True)
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    api = Api(args.address)
    api.sign_in(args.email, args.password)
    sampler = Sampler(int(args.pid))
    sampler.start()
    body = csv_file(args.rows)
    plan = {"default_country": "PT", "consent_basis": "benchmark: ticked the box at checkout"}

    started = time.monotonic()
    _, uploaded = api.call("POST", f"{WORKSPACE}/contacts/imports?name=bench.csv", body, "text/csv")
    upload_s = time.monotonic() - started
    import_id = uploaded["id"]

    started = time.monotonic()
    _, dry = api.call("POST", f"{WORKSPACE}/contacts/imports/{import_id}/dry-run", plan)
    dry_run_s = time.monotonic() - started
    assert dry["accepted"] == args.rows, dry

    cpu_before = sampler.cpu()
    started = time.monotonic()
    api.call("POST", f"{WORKSPACE}/contacts/imports/{import_id}/start", plan)
    while True:
        _, state = api.call("GET", f"{WORKSPACE}/contacts/imports/{import_id}")
        if state["state"] != "importing":
            break
        time.sleep(0.2)
    handed_s = time.monotonic() - started
    assert state["state"] == "done", state
    while True:
        _, preview = api.call("POST", f"{WORKSPACE}/segments/preview", {"all": []})
        if preview["count"] >= args.rows:
            break
        time.sleep(0.5)
    all_in_s = time.monotonic() - started
    cpu_s = sampler.cpu() - cpu_before
    sampler.running = False
    print(json.dumps({
        "rows": args.rows,
        "file_mb": round(len(body) / 1e6, 1),
        "upload_s": round(upload_s, 2),
        "dry_run_s": round(dry_run_s, 2),
        "import_handed_s": round(handed_s, 2),
        "import_in_directory_s": round(all_in_s, 2),
        "rows_per_s": round(args.rows / all_in_s),
        "spool_cpu_s": round(cpu_s, 1),
        "spool_peak_rss_mb": round(sampler.peak_kb / 1024),
    }))


if __name__ == "__main__":
    main()
