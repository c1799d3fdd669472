#!/usr/bin/python3
"""synflood_client.py OUTFILE HOST... : a SYN flood through the gateway while
a value is held, from the client namespace (tests/e2e/synflood_e2e.sh).

Per HOST (the server's IPv4 and/or IPv6 address):
 1. a held connection (socket, TCP_NODELAY): a POST head with Content-Length,
    then "ssn=536-22-", and a pause (dlpd withholds the tail);
 2. the flood, in a child process: SYNFLOOD_SYNS SYNs (default 200,000) to
    port 80 of the hosts, from SYNFLOOD_SOURCES spoofed addresses per family
    (10.98.0.0/18, fd99:98::/64; the gateway routes them back to the client,
    the server drops them) and, every fifth SYN, from one flooding address
    (10.98.255.1, fd99:98::ffff: the per-source limit); prebuilt packets on
    a raw socket (IPPROTO_RAW), in a tight loop, paced to SYNFLOOD_RATE a
    second if set (0: as fast as it goes);
 3. during the flood, SYNFLOOD_LEGIT short POSTs per HOST from the client's
    own address, each with a value ("n=K&ssn=536-22-1457&x=1;"), two at a
    time;
 4. after the flood, the held connections send "1457&x=1;" and read the reply.

Lines on stdout (and in OUTFILE), for the shell to check with the sink's files:
  flood SENT SECONDS RATE
  exchange NAME OUTCOME DURING   OUTCOME: completed | reset | stalled | error:...
                                 DURING: 1 if it completed while the flood ran
X-Test-Id names: held.v4, held.v6, legit.v4.K, legit.v6.K."""
import os
import random
import socket
import struct
import subprocess
import sys
import threading
import time
from http_reply import read_reply, received

PIECE1 = b"ssn=536-22-"
REST = b"1457&x=1;"
SYNS = int(os.environ.get("SYNFLOOD_SYNS", "200000"))
SOURCES = int(os.environ.get("SYNFLOOD_SOURCES", "16384"))
RATE = float(os.environ.get("SYNFLOOD_RATE", "0"))
LEGIT = int(os.environ.get("SYNFLOOD_LEGIT", "20"))
PAUSE_BEFORE = 0.3  # s: the held tail is withheld before the flood starts


def fold(s):
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s


def words(b):
    return sum(struct.unpack("!%dH" % (len(b) // 2), b))


def syn_packets(dst, n, sources, flooder, rng):
    """n SYNs to dst:80: every fifth from `flooder`, the others from
    `sources` in turn; each its own port and sequence number."""
    v6 = ":" in dst
    fam = socket.AF_INET6 if v6 else socket.AF_INET
    dst_b = socket.inet_pton(fam, dst)
    src_b = [socket.inet_pton(fam, s) for s in sources]
    flood_b = socket.inet_pton(fam, flooder)
    # The TCP checksum: a constant part (destination, protocol, length, the
    # header's fixed fields) plus the words that change per packet.
    base = words(dst_b) + 6 + 20 + 80 + (0x5002) + 64240
    tmpl = struct.Struct("!HHIIHHHH")
    out = []
    for i in range(n):
        src = flood_b if i % 5 == 4 else src_b[(i - i // 5) % len(src_b)]
        sport = 1024 + (i % 64000)
        seq = rng.getrandbits(32)
        csum = (~fold(base + words(src) + sport + (seq >> 16) + (seq & 0xFFFF))) & 0xFFFF
        tcp = tmpl.pack(sport, 80, seq, 0, 0x5002, 64240, csum, 0)
        if v6:
            ip = struct.pack("!IHBB", 0x60000000, 20, 6, 64) + src + dst_b
        else:  # the kernel fills in the id, the total length and the checksum
            ip = struct.pack("!BBHHHBBH", 0x45, 0, 40, 0, 0x4000, 64, 6, 0) + src + dst_b
        out.append(ip + tcp)
    return out


def flood(hosts):
    """The child: builds the packets, says "ready", waits for a line on
    stdin, sends, prints "SENT START END" (time.monotonic)."""
    rng = random.Random(18)
    per = SYNS // len(hosts)
    plans = []
    for h in hosts:
        if ":" in h:
            srcs = ["fd99:98::%x:%x" % (j >> 16, j & 0xFFFF) for j in range(1, SOURCES + 1)]
            flooder = "fd99:98::ffff"
            fam = socket.AF_INET6
        else:
            srcs = ["10.98.%d.%d" % (j >> 8, j & 0xFF) for j in range(SOURCES)]
            flooder = "10.98.255.1"
            fam = socket.AF_INET
        sock = socket.socket(fam, socket.SOCK_RAW, socket.IPPROTO_RAW)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
        plans.append((sock, (h, 0), syn_packets(h, per, srcs, flooder, rng)))
    # Interleaved: one of each family in turn.
    sends = []
    for i in range(per):
        for sock, addr, pkts in plans:
            sends.append((sock.sendto, pkts[i], addr))
    print("ready", flush=True)
    sys.stdin.readline()
    start = time.monotonic()
    sent = 0
    batch = 256
    for k in range(0, len(sends), batch):
        for send, p, addr in sends[k:k + batch]:
            while True:
                try:
                    send(p, addr)
                    break
                except (BlockingIOError, OSError):  # ENOBUFS: the device queue is full
                    time.sleep(0.0002)
            sent += 1
        if RATE > 0:
            due = start + sent / RATE
            now = time.monotonic()
            if due > now:
                time.sleep(due - now)
    end = time.monotonic()
    print("%d %.6f %.6f" % (sent, start, end), flush=True)


def head(name, n):
    return ("POST /f HTTP/1.1\r\nHost: flood\r\nX-Test-Id: %s\r\nContent-Length: %d\r\n"
            "Connection: close\r\n\r\n" % (name, n)).encode()


def reply_outcome(s, n):
    reply = read_reply(s)
    return "completed" if received(reply, n) else "error:reply %r" % reply[:40]


def outcome_of(fn):
    try:
        return fn()
    except (ConnectionResetError, BrokenPipeError):
        return "reset"
    except socket.timeout:
        return "stalled"
    except Exception as e:  # noqa: BLE001 - reported
        return "error:%s" % str(e).replace(" ", "_")


def legit(host, k, results):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    name = "legit.%s.%d" % ("v6" if ":" in host else "v4", k)
    body = b"n=%d&ssn=536-22-1457&x=1;" % k

    def go():
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.settimeout(20)
        try:
            s.connect((host, 80))
            s.sendall(head(name, len(body)) + body)
            return reply_outcome(s, len(body))
        finally:
            s.close()

    out = outcome_of(go)
    results.append((name, out, time.monotonic()))


def main():
    if sys.argv[1] == "--flood":
        return flood(sys.argv[2:])
    outfile, hosts = sys.argv[1], sys.argv[2:]
    lines = []

    def say(line):
        lines.append(line)
        print(line, flush=True)

    child = subprocess.Popen([sys.executable, __file__, "--flood"] + hosts, stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
    if child.stdout.readline().strip() != "ready":
        sys.exit("flood: did not get ready")
    held = []
    for h in hosts:
        fam = socket.AF_INET6 if ":" in h else socket.AF_INET
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        # dlpd withholds the tail ("536-22-"): the client's copies of it are
        # held and withheld twice, then leave masked (some 5-15 s in with
        # the client's backoff); only then does "1457&x=1;" follow.
        s.settimeout(40)
        s.connect((h, 80))
        name = "held.%s" % ("v6" if ":" in h else "v4")
        s.sendall(head(name, len(PIECE1) + len(REST)))
        time.sleep(0.05)
        s.sendall(PIECE1)
        held.append((name, s))
    time.sleep(PAUSE_BEFORE)
    child.stdin.write("go\n")
    child.stdin.flush()
    flood_start = time.monotonic()
    # The legitimate connections, two at a time, while the flood runs.
    results = []
    jobs = [(h, k) for k in range(1, LEGIT + 1) for h in hosts]
    time.sleep(0.05)
    for i in range(0, len(jobs), 2):
        ts = [threading.Thread(target=legit, args=(h, k, results)) for h, k in jobs[i:i + 2]]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
    sent, start, end = child.stdout.readline().split()
    child.wait()
    sent, start, end = int(sent), float(start), float(end)
    say("flood %d %.3f %.0f" % (sent, end - start, sent / max(end - start, 1e-9)))
    for name, out, when in sorted(results):
        say("exchange %s %s %d" % (name, out, 1 if when <= end else 0))
    # The held connections go on.
    time.sleep(0.2)
    for name, s in held:
        def finish(s=s):
            s.sendall(REST)
            return reply_outcome(s, len(PIECE1) + len(REST))
        say("exchange %s %s 0" % (name, outcome_of(finish)))
        s.close()
    say("held %.1f" % (time.monotonic() - flood_start + PAUSE_BEFORE))
    with open(outfile, "w") as f:
        f.write("\n".join(lines) + "\n")


main()
