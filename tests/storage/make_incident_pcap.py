#!/usr/bin/python3
"""Writes incidents.pcap for the incident query test (Debian's python3-scapy):
  A  192.0.2.10:40000 -> 198.51.100.20:80   POST, a card number in the URI,
     two more in the body and an SSN (pan x3, us-ssn x1), Host shop.example
  B  [2001:db8::10]:40001 -> [2001:db8:1::20]:80   JSON: one card, one SSN
  C  192.0.2.11:40002 -> 203.0.113.7:80   an SSN cut across two segments
  D  192.0.2.12:40003 -> 198.51.100.20:80   clean
  E  192.0.2.13:40004 -> 198.51.100.20:80   a Host with a terminal escape, one SSN
With --repeats, a capture for the outcome and distinct-value counts instead,
captured long ago, on three days (F 2026-03-01T10:00Z, G a day later, H two):
  F  192.0.2.20:41000 -> 198.51.100.20:80   one card 25 times, one per segment
  G  192.0.2.21:41001 -> 203.0.113.7:80     three different cards, one of
     them F's
  H  192.0.2.22:41002 -> 203.0.113.7:80     two SSNs in one segment
Usage: make_incident_pcap.py OUT.pcap [--repeats]"""
import sys

from scapy.all import IP, TCP, Ether, IPv6, Raw, wrpcap

E = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
pkts = []


def flow(ip, sport, segments, t0=None):
    """A connection's packets; with t0 (seconds since the epoch), stamped
    from then on, a millisecond apart (else the time of writing)."""
    first = len(pkts)
    pkts.append(E / ip / TCP(sport=sport, dport=80, seq=999, flags="S"))
    seq = 1000
    for data in segments:
        pkts.append(E / ip / TCP(sport=sport, dport=80, seq=seq, flags="PA") / Raw(data))
        seq += len(data)
    pkts.append(E / ip / TCP(sport=sport, dport=80, seq=seq, flags="FA"))
    if t0 is not None:
        for i, p in enumerate(pkts[first:]):
            p.time = t0 + i / 1000


if sys.argv[2:] == ["--repeats"]:
    piece = b"card=4012 8888 8888 1881;"
    day = 86400
    t0 = 1772359200  # 2026-03-01T10:00:00Z
    flow(IP(src="192.0.2.20", dst="198.51.100.20"), 41000,
         [b"POST /upload HTTP/1.1\r\nHost: files.example\r\nContent-Length: %d\r\n\r\n"
          % (25 * len(piece))] + [piece] * 25, t0)
    cards = b"a=6011111111111117&b=5105105105105100&c=4012888888881881;"
    flow(IP(src="192.0.2.21", dst="203.0.113.7"), 41001,
         [b"POST /u HTTP/1.1\r\nHost: cdn.example\r\nUser-Agent: uploader/2.1\r\n"
          b"Content-Length: %d\r\n\r\n" % len(cards)
          + cards], t0 + day)
    ssns = b"ssn=536-22-1457&ssn2=078-05-1120;"
    flow(IP(src="192.0.2.22", dst="203.0.113.7"), 41002,
         [b"POST /h HTTP/1.1\r\nHost: hr.example\r\nContent-Length: %d\r\n\r\n" % len(ssns)
          + ssns], t0 + 2 * day)
    wrpcap(sys.argv[1], pkts)
    sys.exit(0)

body = b"card=4111 1111 1111 1111&card2=5555555555554444&ssn=536-22-1457&x=1"
flow(IP(src="192.0.2.10", dst="198.51.100.20"), 40000,
     [b"POST /pay?card=4111111111111111 HTTP/1.1\r\nHost: shop.example\r\nContent-Length: "
      + str(len(body)).encode() + b"\r\n\r\n", body])
flow(IPv6(src="2001:db8::10", dst="2001:db8:1::20"), 40001,
     [b"POST /api HTTP/1.1\r\nHost: api.example\r\n\r\n{\"pan\": \"378282246310005\", \"ssn\": \"078-05-1120\"}"])
flow(IP(src="192.0.2.11", dst="203.0.113.7"), 40002,
     [b"GET /form?ssn=219-09-", b"9999 HTTP/1.1\r\nHost: forms.example\r\n\r\n"])
flow(IP(src="192.0.2.12", dst="198.51.100.20"), 40003,
     [b"GET /clean?q=2026-11-22 HTTP/1.1\r\nHost: shop.example\r\n\r\n"])
flow(IP(src="192.0.2.13", dst="198.51.100.20"), 40004,
     [b"POST /x HTTP/1.1\r\nHost: evil\x1b[31m.example\r\n\r\nssn=536-22-1457;"])
wrpcap(sys.argv[1], pkts)
