#!/usr/bin/env python3
"""evasion_client.py HOST: real sockets trying to get values past the
gateway, one HTTP request each (X-Test-Id names the case); the server
stores what it received. Exits non-zero if an exchange does not complete.
  bytes-N     the body written in N pieces (N = 2..8), TCP_NODELAY
  one-byte    every body byte its own segment
  urgent      "ssn=536-22" + urgent byte "Z" (MSG_OOB) + "-1457": a receiver
              drops an urgent byte from the stream unless the gateway makes
              it inline
  at-end      the value is the last bytes, then the client shuts down its side
  pause       the body stops inside a value for longer than the gateway's
              hold (300 ms, then 500 ms inside the next one)
  percent     digits percent-encoded (%35 is 5 to the server), in 3 pieces
  digits-end  a body that ends in digits, and the client waits for the reply
              (nothing follows: the exchange must complete, not stall)"""
import socket
import sys
import time
from http_reply import read_reply, received

host = sys.argv[1]
family = socket.AF_INET6 if ":" in host else socket.AF_INET
BODY = b"ssn=536-22-1457&card=4111 1111 1111 1111&x=1;"


def exchange(name, pieces, oob_after=None, shut=False, pauses=None):
    body_len = sum(len(p) for p in pieces) + (1 if oob_after is not None else 0)
    s = socket.socket(family, socket.SOCK_STREAM)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.settimeout(10)
    s.connect((host, 80))
    s.sendall(("POST /e HTTP/1.1\r\nHost: evasion\r\nX-Test-Id: %s\r\nContent-Length: %d\r\n"
               "Connection: close\r\n\r\n" % (name, body_len)).encode())
    for i, p in enumerate(pieces):
        time.sleep(pauses[i] if pauses else 0.004)
        s.sendall(p)
        if oob_after == i:
            time.sleep(0.004)
            s.send(b"Z", socket.MSG_OOB)
    if shut:
        s.shutdown(socket.SHUT_WR)
    reply = read_reply(s)
    s.close()
    if not received(reply, body_len):
        sys.exit("%s: exchange did not complete: %r" % (name, reply[:80]))


for n in range(2, 9):
    step = -(-len(BODY) // n)
    exchange("bytes-%d" % n, [BODY[i:i + step] for i in range(0, len(BODY), step)])
exchange("one-byte", [BODY[i:i + 1] for i in range(len(BODY))])
exchange("urgent", [b"ssn=536-22", b"-1457&x=1;"], oob_after=0)
exchange("at-end", [b"x=1&card=4111 1111 1111 1111"], shut=True)
exchange("pause", [b"ssn=536-2", b"2-1457&card=4111 11", b"11 1111 1111&x=1;"],
         pauses=[0.004, 0.3, 0.5])
ENC = b"ssn=%35%33%36-22-1457&card=%34111+1111+1111+1111&x=1;"
exchange("percent", [ENC[0:7], ENC[7:33], ENC[33:]])
started = time.monotonic()
exchange("digits-end", [b"x=1&amount=100"])
print("digits-end: %.0f ms" % ((time.monotonic() - started) * 1000))
