#!/usr/bin/python3
"""Pcap fixtures for stream inspection (Debian's python3-scapy). For each case
writes CASE.pcap (one client->server flow, packets 1 ms apart unless said) and
CASE.expected.json: the TCP payloads dlpd must forward, in order, exactly.
Usage: make_stream_pcaps.py OUTDIR"""
import json
import os
import sys

from scapy.all import IP, TCP, Ether, Raw, wrpcap

OUT = sys.argv[1]
os.makedirs(OUT, exist_ok=True)
E = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
IPH = IP(src="192.0.2.10", dst="198.51.100.20")


def case(name, segments, expected):
    """segments: (seq offset, payload bytes, time in ms); the SYN comes first."""
    pkts = []
    syn = E / IPH / TCP(sport=40000, dport=80, seq=999, flags="S")
    syn.time = 1000.0
    pkts.append(syn)
    for off, data, ms in segments:
        p = E / IPH / TCP(sport=40000, dport=80, seq=1000 + off, flags="PA") / Raw(data)
        p.time = 1000.0 + ms / 1000.0
        pkts.append(p)
    wrpcap(os.path.join(OUT, name + ".pcap"), pkts)
    with open(os.path.join(OUT, name + ".expected.json"), "w") as f:
        json.dump([e.decode("latin-1") for e in expected], f)


body = b"ssn=536-22-1457&card=4111 1111 1111 1111&x=1;"
masked = b"ssn=XXX-XX-XXXX&card=XXXX XXXX XXXX XXXX&x=1;"
# Split values: the body cut at every byte, one pcap per cut.
for cut in range(1, len(body)):
    case("split-%02d" % cut, [(0, body[:cut], 1), (cut, body[cut:], 2)],
         [masked[:cut], masked[cut:]])

# A masked segment retransmitted, and re-segmented: the same X's every time.
case("retransmission",
     [(0, b"ssn=536-22-", 1), (11, b"1457&a=b;", 2), (0, b"ssn=536-22-", 3), (4, b"536-22-1457&", 4)],
     [b"ssn=XXX-XX-", b"XXXX&a=b;", b"ssn=XXX-XX-", b"XXX-XX-XXXX&"])

# Overlap with different bytes. The first copy of each byte wins: every later
# copy is rewritten to it as it was forwarded, so a receiver that keeps the
# last copy gets the same bytes as one that keeps the first.
case("overlap-new-value",
     [(0, b"card=4111 1111 0000 0000;", 1), (0, b"card=4111 1111 1111 1111;", 2)],
     [b"card=4111 1111 0000 0000;", b"card=4111 1111 0000 0000;"])
case("overlap-changed-value",
     [(0, b"card=4111 1111 1111 1111;", 1), (0, b"card=4111 1111 1111 1112;", 2)],
     [b"card=XXXX XXXX XXXX XXXX;", b"card=XXXX XXXX XXXX XXXX;"])
# A value assembled only from pieces of two later copies, neither of which
# holds a whole value (an insertion attack on a last-copy-wins receiver).
case("overlap-assembled",
     [(0, b"card=aaaa aaaa aaaa aaaa;", 1), (0, b"card=4111 1111", 2),
      (14, b" 1111 1111;", 3)],
     [b"card=aaaa aaaa aaaa aaaa;", b"card=aaaa aaaa", b" aaaa aaaa;"])
# A copy that overlaps the end of the stream and carries new bytes past it:
# the old part is the first copy's, the new part is scanned in the stream.
case("overlap-extends",
     [(0, b"ssn=536-22-", 1), (4, b"000-00-1457&a=b;", 2)],
     [b"ssn=XXX-XX-", b"XXX-XX-XXXX&a=b;"])

# Reordered: the second half of a value arrives first; nothing leaves before
# the gap fills, then both leave in stream order, masked.
case("reordered",
     [(0, b"a=1;", 1), (18, b" 1111 1111;", 2), (4, b"card=4111 1111", 3)],
     [b"a=1;", b"card=XXXX XXXX", b" XXXX XXXX;"])

# The middle packet is lost and never comes: what follows the gap can never
# be delivered in order, so at the end of the capture it is dropped, not
# scanned as a stream of its own (a value cut at the gap's edge would pass
# in halves). Past --gap-ms, fail closed stops the flow and fail open skips
# the gap (the evasion suite's gap-not-filled case).
case("lost-middle",
     [(0, b"a=1;", 1), (100, b"card=4111 1111", 2), (114, b" 1111 1111;", 3), (125, b"z;", 60)],
     [b"a=1;"])
