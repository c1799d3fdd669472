#!/usr/bin/python3
"""Sends one HTTP POST with an SSN, as the packets a divert socket gives
dlpd (dlpd --divert PORT --divert-emulated reads them as UDP datagrams on
127.0.0.1:PORT): a SYN, then the request in one segment, from
192.0.2.10:SPORT to 198.51.100.20:80 (Debian's python3-scapy).
Usage: send_divert.py PORT SPORT"""
import socket
import sys

from scapy.all import IP, TCP, Raw

port, sport = int(sys.argv[1]), int(sys.argv[2])
ip = IP(src="192.0.2.10", dst="198.51.100.20")
body = b"ssn=536-22-1457&n=%d" % sport
req = (b"POST /hr HTTP/1.1\r\nHost: hr.example\r\nContent-Length: %d\r\n\r\n" % len(body)) + body
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for p in (ip / TCP(sport=sport, dport=80, seq=999, flags="S"),
          ip / TCP(sport=sport, dport=80, seq=1000, flags="PA") / Raw(req)):
    s.sendto(bytes(p), ("127.0.0.1", port))
