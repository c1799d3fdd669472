#!/usr/bin/python3
"""Writes the pcap fixtures for the pcap back-end test (Debian's python3-scapy):
  in.pcap    Ethernet capture: two HTTP flows (IPv4, IPv6) whose segments carry
             SSNs and card numbers, a clean flow, an ARP frame, a VLAN-tagged
             packet, and one malformed IPv4 packet (IHL 3).
Usage: make_pcaps.py OUTDIR"""
import os
import sys

from scapy.all import ARP, IP, TCP, Dot1Q, Ether, IPv6, Raw, wrpcap

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
E = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
pkts = []


def seg(ip, sport, seq, data, vlan=False):
    l2 = E / Dot1Q(vlan=7) if vlan else E
    return l2 / ip / TCP(sport=sport, dport=80, seq=seq, flags="PA") / Raw(data)


v4 = IP(src="192.0.2.10", dst="198.51.100.20")
v6 = IPv6(src="2001:db8::10", dst="2001:db8:1::20")
req = b"POST /pay HTTP/1.1\r\nHost: shop.example\r\nContent-Length: 60\r\n\r\n"
pkts.append(E / v4 / TCP(sport=40000, dport=80, seq=999, flags="S"))
pkts.append(seg(v4, 40000, 1000, req))
pkts.append(seg(v4, 40000, 1000 + len(req), b"ssn=536-22-1457&card=4111 1111 1111 1111&x=1"))
pkts.append(seg(v6, 40001, 5000, b"{\"pan\": \"5555555555554444\", \"ssn\": \"078-05-1120\"}"))
pkts.append(seg(v4, 40002, 7000, b"GET /clean?q=2026-11-22&phone=555-123-4567 HTTP/1.1\r\n\r\n"))
pkts.append(seg(v4, 40003, 9000, b"card=3782 822463 10005;", vlan=True))
pkts.append(E / ARP(psrc="192.0.2.10", pdst="192.0.2.1"))
bad = bytearray(bytes(E / v4 / TCP(sport=40004, dport=80) / Raw(b"ssn=536-22-1457")))
bad[14] = 0x43  # IHL 3
pkts.append(Ether(bytes(bad)))
wrpcap(os.path.join(out, "in.pcap"), pkts)
