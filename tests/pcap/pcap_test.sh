#!/usr/bin/env bash
# dlpd --pcap-in/--pcap-out: a capture with values in comes out with them
# masked, every TCP checksum valid (tcpdump -vv), every other byte and the
# packet count unchanged (fail mode open) or the malformed packet left out
# (fail mode closed). Usage: pcap_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
BUILD=$(cd "$1" && pwd)
SRC=$(cd "$2" && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }

/usr/bin/python3 "$SRC/tests/pcap/make_pcaps.py" "$WORK" 2>/dev/null

"$BUILD/dlpd" --pcap-in "$WORK/in.pcap" --pcap-out "$WORK/open.pcap" --fail-mode open \
  --db "$WORK/i.db" 2> "$WORK/open.log" && ok || bad "dlpd open mode exit"
"$BUILD/dlpd" --pcap-in "$WORK/in.pcap" --pcap-out "$WORK/closed.pcap" 2> "$WORK/closed.log" \
  && ok || bad "dlpd closed mode exit"

count() { tcpdump -nr "$1" 2>/dev/null | wc -l; }
[ "$(count "$WORK/in.pcap")" = 8 ] && ok || bad "fixture has $(count "$WORK/in.pcap") packets"
[ "$(count "$WORK/open.pcap")" = 8 ] && ok || bad "open mode: $(count "$WORK/open.pcap") packets out"
[ "$(count "$WORK/closed.pcap")" = 7 ] && ok || bad "closed mode: $(count "$WORK/closed.pcap") packets out"

# tcpdump checks TCP checksums with -vv: every well-formed TCP packet "correct".
tcpdump -vv -nr "$WORK/open.pcap" 2>/dev/null > "$WORK/open.txt"
correct=$(grep -c 'cksum 0x[0-9a-f]* (correct)' "$WORK/open.txt" || true)
incorrect=$(grep -c 'incorrect' "$WORK/open.txt" || true)
[ "$correct" = 6 ] && ok || bad "$correct TCP checksums correct, want 6"
[ "$incorrect" = 0 ] && ok || bad "$incorrect incorrect checksums"

# Byte-level: values masked, everything else identical.
/usr/bin/python3 - "$WORK/in.pcap" "$WORK/open.pcap" <<'PY' && ok || bad "byte comparison"
import sys
from scapy.all import TCP, rdpcap
a, b = rdpcap(sys.argv[1]), rdpcap(sys.argv[2])
assert len(a) == len(b)

def key(p):
    if TCP in p:
        ip = p.payload.payload if p.payload.name == "802.1Q" else p.payload
        return (str(ip.src), str(ip.dst), p[TCP].sport, p[TCP].seq)
    return bytes(p)

# A held segment may leave after packets of other flows; within a flow the
# order is kept.
def flows(pkts):
    out = {}
    for p in pkts:
        if TCP in p:
            out.setdefault(key(p)[:3], []).append(p[TCP].seq)
    return out
assert flows(a) == flows(b), (flows(a), flows(b))
by_key = {key(p): p for p in b}
masked_total = 0
for i, pa in enumerate(a):
    pb = by_key[key(pa)]
    x, y = bytes(pa), bytes(pb)
    assert len(x) == len(y), i
    diff = [k for k in range(len(x)) if x[k] != y[k]]
    masked = [k for k in diff if y[k] == ord("X") and chr(x[k]).isdigit()]
    masked_total += len(masked)
    # Anything else that changed must be the TCP checksum.
    rest = set(diff) - set(masked)
    if rest:
        off = len(x) - len(pa[TCP])
        assert rest <= {off + 16, off + 17}, (i, sorted(rest))
out = b"".join(map(bytes, b))
for v in [b"4111 1111 1111 1111", b"5555555555554444", b"078-05-1120", b"3782 822463 10005"]:
    assert v not in out, v
assert b"ssn=XXX-XX-XXXX&card=XXXX XXXX XXXX XXXX&x=1" in out
assert b'"pan": "XXXXXXXXXXXXXXXX", "ssn": "XXX-XX-XXXX"' in out
assert b"card=XXXX XXXXXX XXXXX;" in out
assert b"GET /clean?q=2026-11-22&phone=555-123-4567" in out
# The malformed packet (IHL 3) could not be inspected: in open mode it
# passes unchanged, value and all, and is counted.
assert out.count(b"536-22-1457") == 1
assert masked_total == 9 + 16 + 16 + 9 + 15, masked_total
PY

grep -q "passed_uninspected=1" "$WORK/open.log" && ok || bad "open mode did not count the uninspected packet"
grep -q "dropped_uninspected=1" "$WORK/closed.log" && ok || bad "closed mode did not count the dropped packet"
[ "$(sqlite3 "$WORK/i.db" 'select count(*) from incidents')" = 5 ] && ok || bad "incident rows: $(sqlite3 "$WORK/i.db" 'select count(*), group_concat(rule_id) from incidents')"
# The value came in the segment after the request line: the flow remembers it.
[ "$(sqlite3 "$WORK/i.db" "select distinct http_method||' '||http_host||' '||http_path from incidents where src_port=40000")" = "POST shop.example /pay" ] && ok \
  || bad "incident lacks the flow's HTTP request"

# Unreadable input: clear error, exit 1, no crash.
echo "not a pcap" > "$WORK/junk.pcap"
if "$BUILD/dlpd" --pcap-in "$WORK/junk.pcap" --pcap-out "$WORK/x.pcap" 2> "$WORK/err"; then
  bad "junk pcap accepted"
else
  grep -q "cannot read pcap" "$WORK/err" && ok || bad "junk pcap message: $(cat "$WORK/err")"
fi

echo "pcap: $pass passed, $fail failed"
[ "$fail" = 0 ]
