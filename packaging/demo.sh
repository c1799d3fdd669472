#!/usr/bin/env bash
# The README's main-job command: installs dependencies, builds, and runs a
# live demo on the embedded default rules: a client, a gateway running dlpd
# (NFQUEUE) and an HTTP server, each in its own network namespace. The
# client POSTs an SSN and a card number; the demo shows what the server
# received and the incidents dlpd recorded. Where namespaces cannot be made
# (not root, no netns), it says so and runs the same pipeline on a capture
# file instead.
set -euo pipefail
cd "$(dirname "$0")/.."
# The embedded defaults, not an installed /etc/dlpd/dlpd.conf.
export DLPD_CONFIG=
SRC=$(pwd)

bash packaging/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$(nproc)" >/dev/null
OUT=$(mktemp -d /tmp/dlpd-demo.XXXXXX)
BODY='name=Jane+Doe&ssn=536-22-1457&card=4111 1111 1111 1111&amount=129.99'

show_incidents() {
  echo
  echo "== incidents recorded by dlpd: dlpctl incidents list --db $1"
  ./build/dlpctl incidents list --db "$1"
  echo
  echo "== dlpctl incidents stats --db $1"
  ./build/dlpctl incidents stats --db "$1"
}

pcap_demo() {
  echo "== running the pcap demo instead: the same pipeline on a capture file"
  /usr/bin/python3 tests/pcap/make_pcaps.py "$OUT" 2>/dev/null
  ./build/dlpd --pcap-in "$OUT/in.pcap" --pcap-out "$OUT/out.pcap" --db "$OUT/incidents.db" \
    --fail-mode open 2> "$OUT/dlpd.log"
  echo "== payloads before (in.pcap)"
  tcpdump -A -nr "$OUT/in.pcap" 2>/dev/null | grep -aE 'ssn=|pan|card=' | cut -c1-100
  echo "== payloads after (out.pcap)"
  tcpdump -A -nr "$OUT/out.pcap" 2>/dev/null | grep -aE 'ssn=|pan|card=' | cut -c1-100
  show_incidents "$OUT/incidents.db"
}

NS_ID=demo$$
source tests/e2e/netns_lib.sh
if [ "$(id -u)" != 0 ] || ! ip netns add "dlpprobe$NS_ID" 2>/dev/null; then
  echo "dlpd demo: cannot create network namespaces here (needs root and netns support)."
  pcap_demo
  exit 0
fi
ip netns del "dlpprobe$NS_ID"
trap netns_cleanup EXIT
netns_setup
netns_start "$OUT" ./build/dlpd --nfqueue 0 --db "$OUT/incidents.db"

cat <<EOT
== topology
   client 10.99.1.2  ->  gateway (dlpd on NFQUEUE 0, iptables FORWARD tcp/80)  ->  server 10.99.2.2:80

== the client POSTs (curl, over IPv4 and then IPv6)
   $BODY
EOT
ip netns exec "$NS_C" curl -s -o /dev/null -H "X-Test-Id: v4" --data-binary "$BODY" \
  http://10.99.2.2/checkout
ip netns exec "$NS_C" curl -s -o /dev/null -H "X-Test-Id: v6" --data-binary "$BODY" \
  'http://[fd99:2::2]/checkout'
echo
echo "== what the server received over IPv4"
echo "   $(cat "$OUT/recv/v4.body")"
echo "== what the server received over IPv6"
echo "   $(cat "$OUT/recv/v6.body")"
echo "   (same length as sent: $(stat -c %s "$OUT/recv/v4.body") bytes)"
kill -TERM $DLPD
wait $DLPD || true
show_incidents "$OUT/incidents.db"
echo
echo "== dlpd's counters"
grep -o 'packets=.*' "$OUT/dlpd.log" | head -1
echo
echo "Files: $OUT (incidents.db, its fingerprint key incidents.db.key, dlpd.log)"
