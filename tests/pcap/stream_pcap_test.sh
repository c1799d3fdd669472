#!/usr/bin/env bash
# Stream inspection on pcap fixtures (tests/pcap/make_stream_pcaps.py): each
# case's forwarded TCP payloads must equal its expected list byte for byte,
# in order, with valid checksums. Usage: stream_pcap_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
BUILD=$(cd "$1" && pwd)
SRC=$(cd "$2" && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
/usr/bin/python3 "$SRC/tests/pcap/make_stream_pcaps.py" "$WORK" 2>/dev/null
pass=0
fail=0
for pcap in "$WORK"/*.pcap; do
  name=$(basename "$pcap" .pcap)
  case "$name" in *.out) continue ;; esac
  if ! "$BUILD/dlpd" --pcap-in "$pcap" --pcap-out "$WORK/$name.out.pcap" 2> "$WORK/$name.log"; then
    fail=$((fail + 1)); echo "FAIL: $name: dlpd exit" >&2; continue
  fi
  if /usr/bin/python3 - "$WORK/$name.out.pcap" "$WORK/$name.expected.json" <<'PY' 2> "$WORK/$name.err"
import json, sys
from scapy.all import TCP, rdpcap
got = [bytes(p[TCP].payload).decode("latin-1") for p in rdpcap(sys.argv[1]) if TCP in p and len(p[TCP].payload)]
want = json.load(open(sys.argv[2]))
assert got == want, "got %r want %r" % (got, want)
PY
  then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $name: $(tail -1 "$WORK/$name.err")" >&2; fi
  bad=$(tcpdump -vv -nr "$WORK/$name.out.pcap" 2>/dev/null | grep -c incorrect || true)
  if [ "$bad" = 0 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $name: $bad bad checksums" >&2; fi
done
echo "stream pcap: $pass passed, $fail failed"
[ "$fail" = 0 ]
