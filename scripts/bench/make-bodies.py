#!/usr/bin/env python3
"""Signed webhook bodies for scripts/bench/webhook.lua, which cannot compute an HMAC itself.

Writes COUNT lines `<hex HMAC-SHA256 of the body>\t<body>`; each body names a contact from a
pool of CONTACTS E.164 numbers and a cart total uniform in [0, 100), so about half of the
calls take each branch of the journey:

    {"contact":{"id":"c17","phone":"+4915100000017"},"cart":{"total":72.35,"items":3},"event":"cart_updated","seq":5}

The body is serialised once and signed as it is sent. Stdlib only; the same seed gives the
same file.

usage: make-bodies.py --secret SECRET --out FILE [--count 10000] [--contacts 10000] [--seed 1]
"""
import argparse
import hashlib
import hmac
import json
import random


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--secret", required=True, help="the webhook secret's value")
    parser.add_argument("--out", required=True, help="file to write")
    parser.add_argument("--count", type=int, default=10_000, help="bodies to write")
    parser.add_argument("--contacts", type=int, default=10_000, help="distinct phone numbers")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if args.count < 1 or not 1 <= args.contacts <= 100_000_000:
        parser.error("--count must be >= 1 and --contacts between 1 and 100,000,000")

    rng = random.Random(args.seed)
    key = args.secret.encode()
    # Distinct German mobile numbers, +49 151 and 8 digits: valid E.164 (13 digits).
    numbers = rng.sample(range(100_000_000), args.contacts)
    with open(args.out, "w", encoding="ascii") as out:
        for seq in range(1, args.count + 1):
            index = rng.randrange(args.contacts)
            body = json.dumps(
                {
                    "contact": {"id": f"c{index}", "phone": f"+49151{numbers[index]:08d}"},
                    "cart": {"total": rng.randrange(10_000) / 100, "items": seq % 5 + 1},
                    "event": "cart_updated",
                    "seq": seq,
                },
                separators=(",", ":"),
            )
            signature = hmac.new(key, body.encode(), hashlib.sha256).hexdigest()
            out.write(f"{signature}\t{body}\n")


if __name__ == "__main__":
    main()
