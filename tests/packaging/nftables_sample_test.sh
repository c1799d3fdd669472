#!/usr/bin/env bash
# packaging/nftables.conf.sample as a gateway's firewall. Where the kernel
# has nftables' queue statement (CONFIG_NFT_QUEUE), the masking script runs
# through it (DLP_FIREWALL=nftables). Where it has not (iptables' NFQUEUE
# target, which iptables-nft uses, is another module), the sample is loaded
# with `counter` in place of each `queue` statement, and traffic through the
# namespace gateway must hit it: port 80 over IPv4 and IPv6, and IPv4
# fragments after the first; other ports must not. Says which it ran.
# Usage: nftables_sample_test.sh BUILD_DIR SOURCE_DIR
set -uo pipefail
SRC=$(cd "$2" && pwd)
SAMPLE=$SRC/packaging/nftables.conf.sample
probe=dlpnftprobe$$
if [ "$(id -u)" != 0 ] || ! command -v nft > /dev/null; then
  [ "${DLP_REQUIRE_NETNS:-0}" = 1 ] && { echo "FAIL: needs root and nft" >&2; exit 1; }
  echo "SKIP: needs root and nft" >&2
  exit 77
fi
ip netns add "$probe"
if ip netns exec "$probe" nft -c -f "$SAMPLE" 2> /dev/null; then
  ip netns del "$probe"
  echo "the kernel queues from nftables: the masking script runs through the sample"
  exec env DLP_FIREWALL=nftables bash "$SRC/tests/e2e/nfqueue_e2e.sh" "$@"
fi
ip netns del "$probe"
echo "NOTE: this kernel has no nftables queue statement (CONFIG_NFT_QUEUE); the sample's" \
  "matches are checked with 'counter' in place of 'queue' (the iptables sample runs end to end)"
source "$SRC/tests/e2e/netns_lib.sh" || exit 1
DLP_FIREWALL=none netns_prologue "$@"
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }
sed 's/queue num 0/counter/' "$SAMPLE" | ip netns exec "$NS_G" nft -f - && ok || bad "the sample does not load"
counters() { ip netns exec "$NS_G" nft list chain inet dlpd forward | grep -o 'packets [0-9]*' | awk '{print $2}' | paste -sd' '; }
mkdir -p "$WORK/recv"
ip netns exec "$NS_S" python3 "$SRC/tests/e2e/http_sink.py" "$WORK/recv" 80 > /dev/null 2>&1 &
sink=$!
for _ in $(seq 50); do ip netns exec "$NS_S" ss -ltn | grep -q ':80 ' && break; sleep 0.1; done
ip netns exec "$NS_C" curl -s -o /dev/null -m 5 -H 'X-Test-Id: v4' --data 'a=1' http://10.99.2.2/ && ok || bad "IPv4 request"
read -r v4 frag4 v6frag <<< "$(counters)"
[ "${v4:-0}" -gt 0 ] && ok || bad "port 80 over IPv4 not matched ($(counters))"
ip netns exec "$NS_C" curl -s -o /dev/null -m 5 -H 'X-Test-Id: v6' --data 'a=1' 'http://[fd99:2::2]/' && ok || bad "IPv6 request"
read -r v4b _ _ <<< "$(counters)"
[ "${v4b:-0}" -gt "$v4" ] && ok || bad "port 80 over IPv6 not matched ($(counters))"
# IPv4 fragments of a TCP segment (scapy): the second one carries no port.
ip netns exec "$NS_C" /usr/bin/python3 - << 'PY' && ok || bad "sending fragments"
from scapy.all import IP, TCP, Raw, fragment, send
pkt = IP(dst="10.99.2.2") / TCP(sport=40000, dport=80, flags="PA", seq=1) / Raw(b"x" * 600)
send(fragment(pkt, fragsize=256), verbose=False)
PY
sleep 0.3
read -r _ frag4b _ <<< "$(counters)"
[ "${frag4b:-0}" -ge 2 ] && ok || bad "IPv4 fragments after the first not matched ($(counters))"
# Other ports pass by.
before=$(counters)
ip netns exec "$NS_C" curl -s -o /dev/null -m 2 http://10.99.2.2:8080/ || true
[ "$(counters)" = "$before" ] && ok || bad "port 8080 matched: $before -> $(counters)"
kill "$sink" 2> /dev/null
echo "nftables sample (matches): $pass passed, $fail failed"
[ "$fail" = 0 ]
