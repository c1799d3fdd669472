#!/usr/bin/env python3
"""WebSocket end of the HTTP end-to-end test (http_e2e.sh), with the
`websockets` library (Debian python3-websockets): a real client that sends
values (whole, fragmented, binary, JSON-escaped, clean) and a real server
that stores every message it reads, one repr() per line.

usage: ws_app.py server OUTFILE PORT | ws_app.py client URL"""
import asyncio
import sys

import websockets

MESSAGES = [
    "card 4111 1111 1111 1111 end",
    ["ssn=536-", "22-1457;"],  # one message, two fragments
    b"pan=4111111111111111;",
    '{"c":"\\u0034111 1111 1111 1111"}',
    '{"id":1234567,"ts":1733000000000,"price":129.99}',
]
EXPECTED = [
    "card XXXX XXXX XXXX XXXX end",
    "ssn=XXX-XX-XXXX;",
    b"pan=XXXXXXXXXXXXXXXX;",
    '{"c":"\\u0058XXX XXXX XXXX XXXX"}',
    '{"id":1234567,"ts":1733000000000,"price":129.99}',
]


async def serve(outfile, port):
    async def handler(ws, path=None):
        async for msg in ws:
            with open(outfile, "a") as f:
                f.write(repr(msg) + "\n")
    async with websockets.serve(handler, None, port):
        await asyncio.Future()


async def client(url):
    async with websockets.connect(url) as ws:
        for m in MESSAGES:
            await ws.send(m)
        await ws.ping()
        await asyncio.sleep(0.5)


if __name__ == "__main__":
    if sys.argv[1] == "server":
        asyncio.run(serve(sys.argv[2], int(sys.argv[3])))
    elif sys.argv[1] == "client":
        asyncio.run(client(sys.argv[2]))
    elif sys.argv[1] == "expected":
        for m in EXPECTED:
            print(repr(m))
