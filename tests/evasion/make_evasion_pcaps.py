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
# segment's end is withheld though it is none; the next segment ends it,
# and the sender's copy of the withheld digits leaves unchanged.
case("slow-link-number", "a number withheld at a segment's end on a slow link, then judged clean",
     [syn(), seg(0, HEAD + b"n=1771066239"), seg(len(HEAD) + 12, b"&m=2;"),
      seg(len(HEAD) + 2, b"1771066239")],
     ["", HEAD + b"n=", "&m=2;", "1771066239"], ms=[0, 1, 40, 300])

# An escape cut by a segment edge ("%3" | "3") is masked as "%X" | "X": each
# segment is masked on its own, and it cannot tell whether its first byte
# ends an escape. Concealed, though no longer a valid escape.
case("percent-encoded-digits", "digits percent-encoded (the server decodes %35 to 5), split",
     [syn(), seg(0, b"ssn=%35%3"), seg(9, b"3%36-22-1457&c=%34111+1111"), seg(35, b"+1111+1111;")],
     ["", "ssn=%58%X", "X%58-XX-XXXX&c=%58XXX+XXXX", "+XXXX+XXXX;"])

V6 = IPv6(src="2001:db8::10", dst="2001:db8:1::20")
V6X = V6 / IPv6ExtHdrHopByHop() / IPv6ExtHdrDestOpt()
case("ipv6-extension-headers", "IPv6 with hop-by-hop and destination options, a value split",
     [syn(V6X), seg(0, b"card=4111 1111", ip=V6X), seg(14, b" 1111 1111;", ip=V6X)],
     ["", "card=XXXX XXXX", " XXXX XXXX;"])

whole = V4 / TCP(sport=40000, dport=80, seq=1000, flags="PA") / Raw(b"x=" + b"y" * 40 + b"&ssn=536-22-1457;")
frags = [E / f for f in fragment(whole, fragsize=32)]
case("ip-fragments", "the value's segment in IP fragments (dlpd does not reassemble)",
     [syn()] + frags, [""], [""] + ["FRAG"] * len(frags))
