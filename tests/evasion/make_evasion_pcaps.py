#!/usr/bin/python3
"""The evasion suite's captures (Debian's python3-scapy). Each case is one
client->server flow that tries a known way to get a value past an inline
inspector; CASE.pcap holds it and CASE.json says what must leave dlpd:
  {"about": ..., "closed": [...], "open": [...]}
each list the forwarded TCP payloads in order ("FRAG" for an IP fragment),
for --fail-mode closed and open.
Usage: make_evasion_pcaps.py OUTDIR"""
import json
import os
import sys

from scapy.all import IP, TCP, Ether, IPv6, IPv6ExtHdrDestOpt, IPv6ExtHdrHopByHop, Raw, fragment, wrpcap

OUT = sys.argv[1]
os.makedirs(OUT, exist_ok=True)
E = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
V4 = IP(src="192.0.2.10", dst="198.51.100.20")
BODY = b"ssn=536-22-1457&card=4111 1111 1111 1111&x=1;"
MASKED = b"ssn=XXX-XX-XXXX&card=XXXX XXXX XXXX XXXX&x=1;"


def seg(off, data, flags="PA", ip=V4, urg=0, seq0=1000):
    return E / ip / TCP(sport=40000, dport=80, seq=seq0 + off, flags=flags, urgptr=urg) / Raw(data)


def syn(ip=V4):
    return E / ip / TCP(sport=40000, dport=80, seq=999, flags="S")


def case(name, about, pkts, closed, open_=None, ms=None):
    """ms: each packet's time in milliseconds (default: 1 ms apart)."""
    for i, p in enumerate(pkts):
        p.time = 1000.0 + (ms[i] if ms else i) / 1000.0
    wrpcap(os.path.join(OUT, name + ".pcap"), pkts)
    dec = lambda xs: [x if isinstance(x, str) else x.decode("latin-1") for x in xs]
    with open(os.path.join(OUT, name + ".json"), "w") as f:
        json.dump({"about": about, "closed": dec(closed), "open": dec(open_ if open_ is not None else closed)}, f)


def pieces(data, n):
    step = -(-len(data) // n)
    return [data[i:i + step] for i in range(0, len(data), step)]


for n in range(2, 9):
    parts = pieces(BODY, n)
    offs = [sum(len(p) for p in parts[:i]) for i in range(len(parts))]
    mparts = [MASKED[o:o + len(p)] for o, p in zip(offs, parts)]
    case("split-%d" % n, "values cut across %d segments" % n,
         [syn()] + [seg(o, p) for o, p in zip(offs, parts)], [""] + mparts)

case("one-byte-segments", "every byte its own segment",
     [syn()] + [seg(i, BODY[i:i + 1]) for i in range(len(BODY))],
     [""] + [MASKED[i:i + 1] for i in range(len(BODY))])

case("reversed-order", "segments sent last first (out of order)",
     [syn()] + [seg(o, BODY[o:o + 9]) for o in reversed(range(0, len(BODY), 9))],
     [""] + [MASKED[o:o + 9] for o in range(0, len(BODY), 9)])

case("overlap-later-copies", "insertion: a harmless first copy, a card in pieces of later copies",
     [syn(), seg(0, b"card=aaaa aaaa aaaa aaaa;"), seg(0, b"card=4111 1111"), seg(14, b" 1111 1111;")],
     ["", "card=aaaa aaaa aaaa aaaa;", "card=aaaa aaaa", " aaaa aaaa;"])

case("overlap-changed-copy", "a retransmission that changes the value",
     [syn(), seg(0, b"card=4111 1111 1111 1111;"), seg(0, b"card=4111 1111 1111 1112;")],
     ["", "card=XXXX XXXX XXXX XXXX;", "card=XXXX XXXX XXXX XXXX;"])

case("retransmission", "a masked segment sent again, and re-segmented",
     [syn(), seg(0, b"ssn=536-22-"), seg(11, b"1457&a=b;"), seg(0, b"ssn=536-22-"), seg(4, b"536-22-1457&")],
     ["", "ssn=XXX-XX-", "XXXX&a=b;", "ssn=XXX-XX-", "XXX-XX-XXXX&"])

case("urgent-byte", "an urgent byte inside a value (the receiver would drop it from the stream)",
     [syn(), seg(0, b"ssn=536-22Z-1457;", flags="PAU", urg=11)],
     ["", "ssn=536-22Z-1457;"])

case("value-at-start", "the value is the flow's first bytes",
     [syn(), seg(0, b"4111 1111 1111 1111&x=1")], ["", "XXXX XXXX XXXX XXXX&x=1"])

case("value-at-end", "the value is the flow's last bytes, then FIN",
     [syn(), seg(0, b"x=1&ssn=536-22-1457"), seg(19, b"", flags="FA")], ["", "x=1&ssn=XXX-XX-XXXX", ""])

case("syn-data", "data on the SYN (TCP Fast Open), a value split after it",
     [E / V4 / TCP(sport=40000, dport=80, seq=999, flags="S") / Raw(b"ssn=536-22-"), seg(11, b"1457;")],
     ["ssn=XXX-XX-", "XXXX;"])

# A pause inside a value, longer than the hold (20 ms): the piece that may
# begin a value is withheld (cut from its segment), and when the sender
# sends it again it is masked from what the stream has found by then.
case("pause-in-value", "a pause inside a value longer than the hold; the withheld piece sent again",
     [syn(), seg(0, b"x=1&ssn=536"), seg(11, b"-22-1457;"), seg(8, b"536")],
     ["", "x=1&ssn=", "-XX-XXXX;", "XXX"], ms=[0, 1, 150, 300])
# Longer than the sender's retransmission timer: the withheld piece comes
# back alone, before the rest. The request's Content-Length says the body
# goes on, so it leaves masked.
HEAD = b"POST /f HTTP/1.1\r\nHost: a\r\nContent-Length: 20\r\n\r\n"
case("pause-past-retransmission", "a pause inside a value longer than the sender's retransmission timer",
     [syn(), seg(0, HEAD + b"x=1&ssn=536"), seg(len(HEAD) + 8, b"536"), seg(len(HEAD) + 11, b"-22-1457;")],
     ["", HEAD + b"x=1&ssn=", "XXX", "-XX-XXXX;"], ms=[0, 1, 250, 600])
# A slow link: each segment takes longer than the hold, so a number at a
# segment's end that may begin a card (4...) is withheld though it is none;
# the next segment ends it, and the sender's copy of the withheld digits
# leaves unchanged. One that no value can begin with (1771...: no brand, and
# an SSN has a separator after 3 digits) is never held at all.
case("slow-link-number", "a number withheld at a segment's end on a slow link, then judged clean",
     [syn(), seg(0, HEAD + b"n=4771066239"), seg(len(HEAD) + 12, b"&m=2;"),
      seg(len(HEAD) + 2, b"4771066239")],
     ["", HEAD + b"n=", "&m=2;", "4771066239"], ms=[0, 1, 40, 300])
case("slow-link-number-no-value-begins", "a number at a segment's end that no value can begin",
     [syn(), seg(0, HEAD + b"n=1771066239"), seg(len(HEAD) + 12, b"&m=2;")],
     ["", HEAD + b"n=1771066239", "&m=2;"], ms=[0, 1, 40])

# An escape cut by a segment edge ("%3" | "3") is masked as "%X" | "X": each
# segment is masked on its own, and it cannot tell whether its first byte
# ends an escape. Concealed, though no longer a valid escape.
case("percent-encoded-digits", "digits percent-encoded (the server decodes %35 to 5), split",
     [syn(), seg(0, b"ssn=%35%3"), seg(9, b"3%36-22-1457&c=%34111+1111"), seg(35, b"+1111+1111;")],
     # An escape cut by the segment's edge is masked in its encoding: %33 -> %58.
     ["", "ssn=%58%5", "8%58-XX-XXXX&c=%58XXX+XXXX", "+XXXX+XXXX;"])

V6 = IPv6(src="2001:db8::10", dst="2001:db8:1::20")
V6X = V6 / IPv6ExtHdrHopByHop() / IPv6ExtHdrDestOpt()
case("ipv6-extension-headers", "IPv6 with hop-by-hop and destination options, a value split",
     [syn(V6X), seg(0, b"card=4111 1111", ip=V6X), seg(14, b" 1111 1111;", ip=V6X)],
     ["", "card=XXXX XXXX", " XXXX XXXX;"])

whole = V4 / TCP(sport=40000, dport=80, seq=1000, flags="PA") / Raw(b"x=" + b"y" * 40 + b"&ssn=536-22-1457;")
frags = [E / f for f in fragment(whole, fragsize=32)]
case("ip-fragments", "the value's segment in IP fragments (dlpd does not reassemble)",
     [syn()] + frags, [""], [""] + ["FRAG"] * len(frags))

# Raw packets the server ignores, between the pieces of a value (issue 18).
# Each case comes twice: over IPv4, and over IPv6 (name-v6). The flow sends
# "a=1;" (passes at once; not "a=1&": a last "&" may begin "&#52;", a digit
# that goes on the run "1", and waits for the next byte), "ssn=536-22-"
# (held: it may begin a value), the
# attack packet, then "1457;". The stream's next sequence number after the
# held piece is 1015 (ISN 999, data from 1000). What must leave:
#   - a packet with a wrong TCP checksum is dropped (bad_checksums);
#   - an RST not at exactly 1015 is forwarded as it is and changes nothing
#     (resets_ignored); a FIN behind the stream likewise (fins_ignored); a
#     SYN on the live flow likewise (syns_ignored);
#   - a byte far beyond any receive window is dropped and opens no gap
#     (out_of_window).
# UNSURE (packet order): a forwarded RST/FIN/SYN is listed where it arrives,
# before the held "ssn=" piece is released, as bare ACKs pass today while a
# hold is open. An engine that releases the hold first would list it after
# "ssn=XXX-XX-"; what matters is that the value leaves masked.
# "RST" in a list is a TCP reset toward the server, "RST-to-client" one
# toward the client (evasion_test.sh labels them; other packets are their
# payloads, "" for none).
PIECES = [b"a=1;", b"ssn=536-22-", b"1457;"]
PIECES_MASKED = ["a=1;", "ssn=XXX-XX-", "XXXX;"]
NEXT = 1015  # the sequence number the stream expects after "ssn=536-22-"


def bad_checksum(p):
    """p with a TCP checksum that is certainly wrong."""
    p = p.__class__(bytes(p))  # computes the right checksum
    right = p[TCP].chksum
    p[TCP].chksum = 0x1234 if right != 0x1234 else 0x4321
    return p


def raw(ip, seq, flags, data=b""):
    return E / ip / TCP(sport=40000, dport=80, seq=seq, flags=flags) / Raw(data)


def twin(name, about, build, closed, open_=None, ms=None):
    """The case over IPv4 (name) and IPv6 (name-v6); build(ip) -> packets."""
    case(name, about, build(V4), closed, open_, ms)
    case(name + "-v6", about + " (IPv6)", build(V6), closed, open_, ms)


def around(attack):
    """The flow with `attack(ip)` (a list of packets) between the pieces."""
    return lambda ip: ([syn(ip), seg(0, PIECES[0], ip=ip), seg(4, PIECES[1], ip=ip)] + attack(ip) +
                       [seg(15, PIECES[2], ip=ip)])


DROPPED = [""] + PIECES_MASKED                                  # the attack packet does not leave
PASSED = lambda label: ["", PIECES_MASKED[0], label] + PIECES_MASKED[1:]  # it leaves, state kept

twin("attack-control", "the flow the attack cases use, with no attack packet (must pass today)",
     around(lambda ip: []), DROPPED)
twin("rst-bad-checksum", "an RST at the exact next sequence number, wrong TCP checksum, inside a value",
     around(lambda ip: [bad_checksum(raw(ip, NEXT, "R"))]), DROPPED)
twin("rst-out-of-window", "an RST far outside the window, inside a value",
     around(lambda ip: [raw(ip, NEXT + 0x40000000, "R")]), PASSED("RST"))
twin("rst-in-window-inexact", "an RST in the window but not at the next sequence number, inside a value",
     around(lambda ip: [raw(ip, NEXT + 100, "R")]), PASSED("RST"))
twin("fin-bad-checksum", "a FIN at the stream's position, wrong TCP checksum, inside a value",
     around(lambda ip: [bad_checksum(raw(ip, NEXT, "FA"))]), DROPPED)
twin("fin-old-seq", "a FIN behind the stream (old sequence number), inside a value",
     around(lambda ip: [raw(ip, 1001, "FA")]), PASSED(""))
twin("fin-data-bad-checksum", "a FIN carrying the value's next digit, wrong TCP checksum",
     around(lambda ip: [bad_checksum(raw(ip, NEXT, "FPA", b"1"))]), DROPPED)
twin("second-syn", "the SYN sent again (same ISN) inside a value",
     around(lambda ip: [raw(ip, 999, "S")]), PASSED(""))
twin("syn-ahead", "a SYN far ahead on the same 4-tuple inside a value; the data goes on at the old numbers",
     around(lambda ip: [raw(ip, 999 + 0x20000000, "S")]), PASSED(""))
# A FIN at the stream's position ends the stream: what is held is judged as
# the end ("536-22-" is no value there, so it leaves as it is, as the server
# would read it), data at or after the FIN's position is dropped (beyond_fin),
# and the flow is kept: a changed copy of the held piece is still rewritten
# to the first copy. UNSURE: that a FIN-ended flow keeps normalizing copies
# in this form (the target says "the flow state stays").
twin("fin-then-data", "a FIN at the stream's position inside a value, then the rest, then a changed copy",
     lambda ip: [syn(ip), seg(0, PIECES[0], ip=ip), seg(4, PIECES[1], ip=ip), raw(ip, NEXT, "FA"),
                 seg(15, PIECES[2], ip=ip), seg(4, b"ssn=999-99-", ip=ip)],
     ["", "a=1;", "ssn=536-22-", "", "ssn=536-22-"])
# 50 MB ahead, beyond the largest window (65535 << 7 = 8 MiB without a
# window scale on the SYN): dropped (out_of_window), no gap opens. Today it
# opens a gap; in the -pause twin the body comes after the gap timeout
# (10 s), when today's engine has given the gap up and scans the body alone.
FAR = 50 * 1000 * 1000
far_ahead = lambda ip: [syn(ip), seg(0, PIECES[0], ip=ip), seg(FAR, b"1", ip=ip),
                        seg(4, PIECES[1], ip=ip), seg(15, PIECES[2], ip=ip)]
twin("far-ahead-byte", "one byte 50 MB ahead of the stream, then the body", far_ahead, DROPPED)
twin("far-ahead-byte-pause", "one byte 50 MB ahead, the body 11 s later (past the gap timeout)",
     far_ahead, DROPPED, ms=[0, 1, 2, 11000, 11001])

# Copies older than the first-copy window (64 KiB): a harmless first copy of
# more than 1.5 x 64 KiB (junk the server would drop: PAWS-old timestamps,
# say), then the real bytes as later copies of its start, cut inside values.
# They cannot be checked against the digest of what was scanned (they differ
# from it): dropped in both fail modes (copies_unchecked), never scanned on
# their own; none of them leaves.
JUNK = [b"j" * 1400] * 75  # 105,000 bytes > 98,304
REAL = [(0, b"ssn=536-22-"), (11, b"1457&card=4111 11"), (28, b"11 1111 1111;")]
twin("old-copies", "105 KB of junk first, then the real bytes as later copies older than the window",
     lambda ip: ([syn(ip)] + [seg(1400 * i, j, ip=ip) for i, j in enumerate(JUNK)] +
                 [seg(o, d, ip=ip) for o, d in REAL]),
     [""] + JUNK)

# A gap that never fills: "a=1;", then 16 bytes missing, then a segment
# with a value's first piece; 11 s later (past --gap-ms 10000) the rest of
# the value, then the missing bytes. Closed: at the gap timeout the flow is
# stopped, both ends reset (injected, in --pcap-out), nothing more of it
# passes (gaps_stopped). Open: the stream goes on after the gap
# (gaps_skipped), the value masked; the late bytes pass scanned alone.
# UNSURE: whether the reset toward the client is made (the segments carry
# the ACK flag with ack 0, so its sequence number is "known" to be 0) and
# the order of the two resets; in open mode whether the late gap bytes
# (before the new stream start) pass or are dropped as unchecked copies.
twin("gap-not-filled", "a segment beyond a gap that never fills, the rest 11 s later",
     lambda ip: [syn(ip), seg(0, b"a=1;", ip=ip), seg(20, b"b=2&ssn=536-22-", ip=ip),
                 seg(35, b"1457;", ip=ip), seg(4, b"c=abcdefghijklm&", ip=ip)],
     ["", "a=1;", "RST", "RST-to-client"],
     ["", "a=1;", "b=2&ssn=XXX-XX-", "XXXX;", "c=abcdefghijklm&"], ms=[0, 1, 2, 11000, 11001])
