#!/usr/bin/env python3
"""compare_masked.py SENT RECEIVED EXPECTED: checks that RECEIVED has SENT's
length and differs from SENT only where EXPECTED (the block-masked body) has
an 'X' over a digit. Prints how many of EXPECTED's masked values arrived
unmasked or partly masked (values cut across TCP segments, which per-packet
inspection cannot see). Exit 1 if any other byte changed."""
import re
import sys

sent, got, want = (open(p, "rb").read() for p in sys.argv[1:4])
if len(got) != len(sent):
    sys.exit("length %d != %d" % (len(got), len(sent)))
for i, (s, g, w) in enumerate(zip(sent, got, want)):
    if s != g and not (g == ord("X") and w == ord("X") and chr(s).isdigit()):
        sys.exit("byte %d changed from %r to %r outside a value" % (i, chr(s), chr(g)))
values = [m.span() for m in re.finditer(rb"X[X -]*X", want)]
leaked = sum(1 for a, b in values if got[a:b] != want[a:b])
print("values=%d fully_masked=%d not_fully_masked=%d" % (len(values), len(values) - leaked, leaked))
