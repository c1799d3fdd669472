#!/usr/bin/env python3
"""split_client.py HOST PREFIX BODY: for every cut position, one HTTP request
whose body is written as two TCP segments cut there (TCP_NODELAY, a pause
between the writes). Cuts of three pieces with --three. Exits non-zero if an
exchange does not complete."""
import itertools
import socket
import sys
import time
from http_reply import read_reply, received

host, prefix, body = sys.argv[1], sys.argv[2], sys.argv[3].encode()
three = "--three" in sys.argv
family = socket.AF_INET6 if ":" in host else socket.AF_INET


def post(name, pieces):
    s = socket.socket(family, socket.SOCK_STREAM)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.settimeout(10)
    s.connect((host, 80))
    head = ("POST /split HTTP/1.1\r\nHost: split\r\nX-Test-Id: %s\r\nContent-Length: %d\r\n"
            "Connection: close\r\n\r\n" % (name, len(body))).encode()
    s.sendall(head)
    for p in pieces:
        time.sleep(0.003)
        s.sendall(p)
    reply = read_reply(s)
    s.close()
    if not received(reply, len(body)):
        sys.exit("%s: exchange did not complete: %r" % (name, reply[:80]))


n = len(body)
if three:
    for a, b in itertools.combinations(range(1, n), 2):
        if (a + b) % 7 == 0:  # a spread sample of the pairs keeps the run short
            post("%s-%d-%d" % (prefix, a, b), [body[:a], body[a:b], body[b:]])
else:
    for cut in range(1, n):
        post("%s-%d" % (prefix, cut), [body[:cut], body[cut:]])
