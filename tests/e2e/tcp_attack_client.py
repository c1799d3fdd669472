#!/usr/bin/python3
"""tcp_attack_client.py HOST IFACE REPS ATTACK...: a real TCP connection per
exchange (socket, TCP_NODELAY) to the HTTP sink through the gateway, and
between the pieces of a value ("a=1&ssn=536-22-" | attack | "1457&card=...")
one or more raw packets the server ignores, injected with the connection's
own 4-tuple (a raw IP socket). The connection's numbers come from sniffing
the client's interface (scapy AsyncSniffer): the client's ISN and TSval from
its SYN and later segments, the server's ISN from its SYN-ACK, the server's
next expected byte from its ACKs.

X-Test-Id is TAG.ATTACK.rN: TAG from env TCP_ATTACK_TAG (MODE.FAMILY, e.g.
"closed.v4"), N = 1..REPS. One line per exchange on stdout:
  NAME OUTCOME   completed | reset | stalled | error:...
A stalled exchange (no reply in time) is aborted with an RST at exactly the
server's next expected byte, so that the sink writes what it got (.partial).
With env TCP_ATTACK_PORTS=FILE, "NAME PORT" (the client's port) is appended
to FILE per exchange, to tell dlpd's EVE anomaly lines apart: each exchange binds a port of its
own (from 20000 up), so that no two of a run share one.

Attacks (SEQ = the stream's next sequence number after the first piece):
  control                no attack packet
  rst-bad-checksum       RST at SEQ, TCP checksum 0x1234
  rst-out-of-window      RST at SEQ + 2^30
  rst-in-window-inexact  RST at SEQ + 10 (Linux: challenge ACK, RFC 5961)
  fin-bad-checksum       FIN at SEQ, checksum 0x1234
  fin-old-seq            FIN at ISN + 4 (inside the request head, long acknowledged)
  fin-data-bad-checksum  FIN carrying "1" at SEQ, checksum 0x1234
  second-syn             the SYN again, same ISN
  syn-ahead              a SYN at ISN + 2^29
  far-ahead-byte         "1" at SEQ + 50,000,000 (more if the SYN's window scale
                         allows a window that large); the rest after PAUSE s
  gap-not-filled         "z" at SEQ + 1000 (inside the server's window; the
                         body never reaches it); the rest after PAUSE s
  old-copies-paws        before the body: 105,000 bytes of junk from the body's
                         first byte, TSval 2^30 older than the connection's
                         (the server discards them: PAWS, RFC 7323), then the
                         body as later copies older than dlpd's window
  old-copies-badsum      the same junk with TCP checksum 0x1234 (the server
                         discards it; dlpd must not take it as the first copy)
  old-copies-ttl         the same junk with TTL (hop limit) 2; not a default
                         case: it shows the server accepts it (below)
PAUSE: env TCP_ATTACK_PAUSE (seconds, default 2.0; longer than dlpd's --gap-ms).
Why not a TTL: the gateway drops TTL 1 (hop limit 1) before its FORWARD hook,
where NFQUEUE sees packets (ip_forward/ip6_forward check it first), and
forwards TTL 2 with TTL 1, which the server still accepts (local delivery
does not look at it): with one hop no TTL reaches dlpd and dies before the
server (old-copies-ttl: the server's body is junk)."""
import os
import socket
import struct
import sys
import threading
import time

from scapy.all import IP, TCP, AsyncSniffer, IPv6, Raw
from http_reply import read_reply, received

HOST, IFACE, REPS = sys.argv[1], sys.argv[2], int(sys.argv[3])
ATTACKS = sys.argv[4:]
V6 = ":" in HOST
FAMILY = socket.AF_INET6 if V6 else socket.AF_INET
PAUSE = float(os.environ.get("TCP_ATTACK_PAUSE", "2.0"))
TAG = os.environ.get("TCP_ATTACK_TAG", "run")
PIECE1 = b"a=1&ssn=536-22-"
REST = b"1457&card=4111 1111 1111 1111&x=1;"
M32 = 0xFFFFFFFF


def newer(a, b):
    """a is after b in 32-bit sequence space."""
    return a != b and ((a - b) & M32) < 0x80000000


class Tracker:
    """What the sniffer learned per client port."""

    def __init__(self):
        self.lock = threading.Lock()
        self.conns = {}

    def __call__(self, p):
        if TCP not in p:
            return
        t = p[TCP]
        ts = dict(t.options).get("Timestamp")
        with self.lock:
            if t.dport == 80:
                c = self.conns.setdefault(t.sport, {})
                if t.flags.S and not t.flags.A and "isn" not in c:  # a second SYN is ours
                    c["isn"] = t.seq
                    c["wscale"] = dict(t.options).get("WScale", 0)
                if ts and ("tsval" not in c or newer(ts[0], c["tsval"])):
                    c["tsval"] = ts[0]
            elif t.sport == 80:
                c = self.conns.setdefault(t.dport, {})
                if t.flags.S and t.flags.A:
                    c["sisn"] = t.seq
                if t.flags.A and ("sack" not in c or newer(t.ack, c["sack"])):
                    c["sack"] = t.ack  # the server's next expected byte
                end = (t.seq + len(t.payload) + (1 if t.flags.S or t.flags.F else 0)) & M32
                if "snxt" not in c or newer(end, c["snxt"]):
                    c["snxt"] = end  # the server's next byte: what we acknowledge
                if ts:
                    c["stsval"] = ts[0]

    def get(self, port, keys, timeout=2.0):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            with self.lock:
                c = dict(self.conns.get(port, {}))
            if all(k in c for k in keys):
                return c
            time.sleep(0.005)
        raise RuntimeError("sniffer did not see %s for port %d: %r" % (keys, port, c))


TRACK = Tracker()
RAW = socket.socket(FAMILY, socket.SOCK_RAW, socket.IPPROTO_RAW)  # we write the IP header


class Conn:
    def __init__(self, s):
        self.s = s
        self.src, self.sport = s.getsockname()[:2]
        c = TRACK.get(self.sport, ("isn", "sisn", "tsval"))
        self.isn, self.sisn = c["isn"], c["sisn"]
        self.sent = 0  # bytes written to the socket: the next is at isn + 1 + sent

    def send(self, data):
        self.s.sendall(data)
        self.sent += len(data)

    def seq(self, off=None):
        return (self.isn + 1 + (self.sent if off is None else off)) & M32

    def packet(self, seq, flags, data=b"", bad_checksum=False, tsval=None, ttl=64):
        c = TRACK.get(self.sport, ("tsval",))
        opts = []
        if "R" not in flags:  # the connection uses timestamps: so do our packets
            tv = c["tsval"] if tsval is None else tsval
            opts = [("NOP", None), ("NOP", None), ("Timestamp", (tv & M32, c.get("stsval", 0)))]
        ip = IPv6(src=self.src, dst=HOST, hlim=ttl) if V6 else IP(src=self.src, dst=HOST, ttl=ttl)
        ack = c.get("snxt", self.sisn + 1) if "S" not in flags else 0
        t = TCP(sport=self.sport, dport=80, seq=seq & M32, ack=ack, flags=flags, window=502,
                options=opts)
        p = ip / t / Raw(data) if data else ip / t
        if bad_checksum:
            right = (IPv6 if V6 else IP)(bytes(p))[TCP].chksum
            p[TCP].chksum = 0x1234 if right != 0x1234 else 0x4321
        return bytes(p)

    def inject(self, *pkts):
        for p in pkts:
            RAW.sendto(p, (HOST, 0))


def junk(conn, how):
    """105,000 bytes (more than 1.5 x 64 KiB) from the next byte, that the
    server discards by `how`: paws, badsum (ttl: it does not)."""
    tsval = (TRACK.get(conn.sport, ("tsval",))["tsval"] - 0x40000000) & M32 if how == "paws" else None
    return [conn.packet(conn.seq(conn.sent + 1400 * i), "PA", b"j" * 1400, how == "badsum", tsval,
                        2 if how == "ttl" else 64)
            for i in range(75)]


def far_ahead(conn):
    """50 MB, or twice the largest window the SYN's scale allows if that is
    more: beyond what dlpd may take as a plausible window (--max-ahead-kb)."""
    ws = TRACK.get(conn.sport, ("wscale",))["wscale"]
    return min(max(50000000, 2 * (65535 << ws)), 0x40000000)


def attack_packets(name, conn):
    nxt = conn.seq()
    table = {
        "control": lambda: [],
        "rst-bad-checksum": lambda: [conn.packet(nxt, "R", bad_checksum=True)],
        "rst-out-of-window": lambda: [conn.packet(nxt + 0x40000000, "R")],
        "rst-in-window-inexact": lambda: [conn.packet(nxt + 10, "R")],
        "fin-bad-checksum": lambda: [conn.packet(nxt, "FA", bad_checksum=True)],
        "fin-old-seq": lambda: [conn.packet(conn.seq(3), "FA")],
        "fin-data-bad-checksum": lambda: [conn.packet(nxt, "FPA", b"1", bad_checksum=True)],
        "second-syn": lambda: [conn.packet(conn.isn, "S")],
        "syn-ahead": lambda: [conn.packet(conn.isn + 0x20000000, "S")],
        "far-ahead-byte": lambda: [conn.packet(nxt + far_ahead(conn), "PA", b"1")],
        "gap-not-filled": lambda: [conn.packet(nxt + 1000, "PA", b"z")],
    }
    return table[name]()


def abort(conn):
    """An RST at exactly the server's next expected byte: the sink's read
    ends and it stores what it got."""
    c = TRACK.get(conn.sport, ("sack",))
    conn.inject(conn.packet(c["sack"], "R"))
    conn.s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


NEXT_PORT = [20000]


def bind_fresh_port(s):
    """Binds `s` to a port no earlier exchange of this run used. The kernel's
    choice repeats now and then (its ephemeral ports turn random once it has
    handed out a few in a row), and a repeated port would make the sniffer's
    numbers for it the old connection's (its junk lands out of the window)
    and the EVE lines of two exchanges indistinguishable. Below the
    ephemeral range, so that nothing else takes them."""
    while True:
        port = NEXT_PORT[0]
        NEXT_PORT[0] += 1
        try:
            s.bind(("", port))
            return
        except OSError:
            if NEXT_PORT[0] >= 32768:
                raise


def exchange(attack, name):
    s = socket.socket(FAMILY, socket.SOCK_STREAM)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    bind_fresh_port(s)
    stall = 3.0 if attack.startswith("old-copies") else 8.0
    s.settimeout(stall)
    s.connect((HOST, 80))
    conn = Conn(s)
    if os.environ.get("TCP_ATTACK_PORTS"):
        with open(os.environ["TCP_ATTACK_PORTS"], "a") as f:
            f.write("%s %d\n" % (name, conn.sport))
    body_len = len(PIECE1) + len(REST)
    conn.send(("POST /a HTTP/1.1\r\nHost: attack\r\nX-Test-Id: %s\r\nContent-Length: %d\r\n"
               "Connection: close\r\n\r\n" % (name, body_len)).encode())
    time.sleep(0.05)  # the head is acknowledged
    outcome = None
    try:
        if attack.startswith("old-copies"):
            conn.inject(*junk(conn, attack.split("-")[-1]))
            time.sleep(0.05)
            conn.send(PIECE1)
            time.sleep(0.005)
            conn.send(REST)
        else:
            conn.send(PIECE1)
            pkts = attack_packets(attack, conn)  # SEQ: the byte after the first piece
            time.sleep(0.002)
            conn.inject(*pkts)
            time.sleep(PAUSE if attack in ("far-ahead-byte", "gap-not-filled") else 0.003)
            conn.send(REST)
        reply = read_reply(s)
        outcome = "completed" if received(reply, body_len) else "error:reply %r" % reply[:40]
    except ConnectionResetError:
        outcome = "reset"
    except BrokenPipeError:
        outcome = "reset"
    except socket.timeout:
        outcome = "stalled"
        abort(conn)
    except Exception as e:  # noqa: BLE001 - reported, the next exchange goes on
        outcome = "error:%s" % e
    s.close()
    return outcome


def main():
    started = threading.Event()
    sniffer = AsyncSniffer(iface=IFACE, filter="tcp port 80", prn=TRACK, store=False,
                           started_callback=started.set)
    sniffer.start()
    if not started.wait(10):
        sys.exit("sniffer did not start")
    time.sleep(0.2)
    for attack in ATTACKS:
        for r in range(1, REPS + 1):
            name = "%s.%s.r%d" % (TAG, attack, r)
            try:
                outcome = exchange(attack, name)
            except Exception as e:  # noqa: BLE001 - connect failed...: reported, go on
                outcome = "error:%s" % e
            print(name, outcome, flush=True)
            time.sleep(0.05)
    sniffer.stop()


main()
