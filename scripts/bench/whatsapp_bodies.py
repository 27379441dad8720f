#!/usr/bin/env python3
"""Signed Meta webhook bodies for `make bench-whatsapp`, for wrk's webhook.lua (which cannot
compute an HMAC itself): one text message each, as the Cloud API sends them, with a unique
wamid, from a pool of CONTACTS numbers, stamped with the current time (so the 24-hour window
is open). Writes COUNT lines `<hex HMAC-SHA256 of the body>\\t<body>`, signed with the app
secret as Meta signs them (X-Hub-Signature-256). Stdlib only.

A contact always writes to the same one of the business's numbers (--phone-number-id, given
once per number): Meta sends every number of an app to one callback URL.

usage: whatsapp_bodies.py --secret SECRET --phone-number-id ID [--phone-number-id ID…]
                          --out FILE [--count 100000] [--contacts 20000] [--prefix A]
"""
import argparse
import hashlib
import hmac
import json
import random
import time


def body(phone_number_id, wa_id, wamid, text, timestamp):
    return json.dumps(
        {
            "object": "whatsapp_business_account",
            "entry": [
                {
                    "id": "102290129340398",
                    "changes": [
                        {
                            "field": "messages",
                            "value": {
                                "messaging_product": "whatsapp",
                                "metadata": {
                                    "display_phone_number": "15550001111",
                                    "phone_number_id": phone_number_id,
                                },
                                "contacts": [{"profile": {"name": "Bench"}, "wa_id": wa_id}],
                                "messages": [
                                    {
                                        "from": wa_id,
                                        "id": wamid,
                                        "timestamp": str(timestamp),
                                        "type": "text",
                                        "text": {"body": text},
                                    }
                                ],
                            },
                        }
                    ],
                }
            ],
        },
        separators=(",", ":"),
    )


def sign(secret, text):
    return hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--secret", required=True)
    parser.add_argument("--phone-number-id", required=True, action="append")
    parser.add_argument("--out", required=True)
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--contacts", type=int, default=20_000)
    parser.add_argument("--prefix", default="A", help="makes the wamids of a file its own")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    now = int(time.time())
    with open(args.out, "w", encoding="ascii") as out:
        for seq in range(args.count):
            contact = rng.randrange(args.contacts)
            number = args.phone_number_id[contact % len(args.phone_number_id)]
            wa_id = f"4915{contact:08d}"
            text = body(number, wa_id, f"wamid.{args.prefix}{seq}", "hi", now)
            out.write(f"{sign(args.secret, text)}\t{text}\n")


if __name__ == "__main__":
    main()
