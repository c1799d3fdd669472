#!/usr/bin/env python3
"""Request bodies for the end-to-end tests, written to OUTDIR/*.body.
`--values` prints every sensitive value used (one per line) instead, so a
test can grep that none arrived; `--digits` prints them as bare digits too."""
import json
import os
import random
import sys

SSNS = ["536-22-1457", "078-05-1120", "123 45 6789", "665-01-0001"]
PANS = ["4111 1111 1111 1111", "5555555555554444", "3782 822463 10005",
        "6011-0009-9013-9424", "2223000048400011", "3566002020360505"]


def form():
    return ("name=Jane+Doe&ssn=%s&card=%s&amount=129.99&note=call+555-123-4567"
            % (SSNS[0], PANS[0])).encode()


def js():
    return json.dumps({"customer": {"ssn": SSNS[1], "cards": [PANS[1], PANS[2]],
                                    "zip": "90210-1234", "date": "2026-11-22"},
                       "order": 1234567}).encode()


def big():
    rnd = random.Random(42)
    parts, size = [], 0
    words = ["lorem", "ipsum", "dolor", "sit", "amet", "2026-11-22", "555-123-4567", "\n"]
    i = 0
    while size < 200 * 1024:
        chunk = " ".join(rnd.choice(words) for _ in range(rnd.randrange(20, 200)))
        if i % 3 == 0:
            chunk += " ssn=%s " % SSNS[i % len(SSNS)]
        else:
            chunk += " card=%s " % PANS[i % len(PANS)]
        parts.append(chunk)
        size += len(chunk)
        i += 1
    return "".join(parts).encode()


def dense():
    # Values back to back: a coalesced (GSO) packet of 64 KB holds thousands,
    # far more than dlpd remembers per flow once bytes have left.
    return b"".join(("v=%s&" % (SSNS + PANS)[i % 10]).encode() for i in range(8000))


def clean():
    rnd = random.Random(7)
    return bytes(rnd.choice(b"abcdefghij klmnop\n-=&") for _ in range(50000))


def ka(n):
    return ("request %d ssn=%s card=%s end" % (n, SSNS[n], PANS[n])).encode()


if "--values" in sys.argv:
    for v in SSNS + PANS:
        print(v)
        if "--digits" in sys.argv:
            print("".join(c for c in v if c.isdigit()))
    sys.exit(0)

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
bodies = {"form": form(), "json": js(), "big": big(), "dense": dense(), "clean": clean(),
          "ka1": ka(1), "ka2": ka(2), "ka3": ka(3)}
for name, data in bodies.items():
    with open(os.path.join(out, name + ".body"), "wb") as f:
        f.write(data)
