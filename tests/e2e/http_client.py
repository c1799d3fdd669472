#!/usr/bin/env python3
"""Clients of the HTTP end-to-end test (http_e2e.sh): real HTTP/1.1 requests
whose framing cuts values, through the namespace gateway to http_sink.py.
Each case sends, then reads what the server's application stored (RECV dir)
and prints a FAIL line for each body that holds a value in clear or differs
from what is expected; exits 1 if any did.

usage: http_client.py CASE ADDR RECV   (CASE: cuts | pipelined | pause)
"""
import http.client
import os
import socket
import sys
import time

CARD = b"4111 1111 1111 1111"
SSN = b"536-22-1457"


def masked(v):
    return bytes(b"X"[0] if 0x30 <= c <= 0x39 else c for c in v)


def wait_body(recv, name, timeout=10.0):
    path = os.path.join(recv, name + ".body")
    end = time.time() + timeout
    while time.time() < end:
        if os.path.exists(path):
            time.sleep(0.05)  # written whole before the reply
            with open(path, "rb") as f:
                return f.read()
        if os.path.exists(os.path.join(recv, name + ".partial")):
            return None
        time.sleep(0.02)
    return None


def host_of(addr):
    return "[%s]" % addr if ":" in addr else addr


def cuts(addr, recv, tag):
    """A chunk boundary at every position inside a card and an SSN, from
    http.client with encode_chunked (a generator body, as requests sends)."""
    failures = 0
    conn = http.client.HTTPConnection(addr, 80, timeout=10)
    for kind, value in (("card", CARD), ("ssn", SSN)):
        for cut in range(1, len(value)):
            name = "cut-%s-%d-%s" % (kind, cut, tag)
            pieces = [b"id=7&" + kind.encode() + b"=" + value[:cut], value[cut:] + b"&end=1"]
            conn.request("POST", "/upload", body=iter(pieces), encode_chunked=True,
                         headers={"X-Test-Id": name, "Host": "files.example"})
            reply = conn.getresponse()
            reply.read()
            want = b"id=7&" + kind.encode() + b"=" + masked(value) + b"&end=1"
            got = wait_body(recv, name)
            if reply.status != 200 or got != want:
                print("FAIL %s: status %d, server read %r" % (name, reply.status, got))
                failures += 1
    conn.close()
    return failures


def pipelined(addr, recv, tag):
    """Several POSTs in one write, each body ending in a card that the next
    request's method follows with no byte between."""
    reqs = b""
    names = []
    for i in range(3):
        name = "pipe-%d-%s" % (i, tag)
        names.append(name)
        body = b"n=%d&card=4111111111111111" % i
        reqs += (b"POST /p%d HTTP/1.1\r\nHost: %s\r\nX-Test-Id: %s\r\nContent-Length: %d\r\n\r\n"
                 % (i, host_of(addr).encode(), name.encode(), len(body))) + body
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect((addr, 80))
    s.sendall(reqs)
    got = b""
    while got.count(b"HTTP/1.1 200") < 3:
        more = s.recv(65536)
        if not more:
            break
        got += more
    s.close()
    failures = 0
    for i, name in enumerate(names):
        want = b"n=%d&card=XXXXXXXXXXXXXXXX" % i
        body = wait_body(recv, name)
        if body != want:
            print("FAIL %s: server read %r" % (name, body))
            failures += 1
    return failures


def pause(addr, recv, tag):
    """A chunked upload whose sender stops for 1.2 s inside a card: between
    two chunks, and inside one chunk."""
    failures = 0
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    for how in ("between", "inside"):
        name = "pause-%s-%s" % (how, tag)
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.settimeout(15)
        s.connect((addr, 80))
        s.sendall(b"POST /slow HTTP/1.1\r\nHost: %s\r\nX-Test-Id: %s\r\n"
                  b"Transfer-Encoding: chunked\r\n\r\n" % (host_of(addr).encode(), name.encode()))
        first, rest = b"card=4111 1111 ", b"1111 1111&end=1"
        if how == "between":
            s.sendall(b"%x\r\n%s\r\n" % (len(first), first))
            time.sleep(1.2)
            s.sendall(b"%x\r\n%s\r\n0\r\n\r\n" % (len(rest), rest))
        else:
            s.sendall(b"%x\r\n%s" % (len(first) + len(rest), first))
            time.sleep(1.2)
            s.sendall(b"%s\r\n0\r\n\r\n" % rest)
        reply = b""
        while b"\r\n\r\n" not in reply:
            more = s.recv(4096)
            if not more:
                break
            reply += more
        s.close()
        body = wait_body(recv, name)
        if body != b"card=XXXX XXXX XXXX XXXX&end=1":
            print("FAIL %s: server read %r" % (name, body))
            failures += 1
    return failures


if __name__ == "__main__":
    case, addr, recv = sys.argv[1:4]
    tag = "v6" if ":" in addr else "v4"
    n = {"cuts": cuts, "pipelined": pipelined, "pause": pause}[case](addr, recv, tag)
    print("%s %s: %d failed" % (case, tag, n))
    sys.exit(1 if n else 0)
