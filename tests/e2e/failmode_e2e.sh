#!/usr/bin/env bash
# Fail modes end to end (namespaces, kernel NFQUEUE, a real server).
#  closed (default): a packet dlpd cannot inspect (an IP fragment) is dropped
#    and counted; with dlpd stopped nothing passes; a queue that overflows
#    while dlpd is stalled loses packets in the kernel (counted, shown by
#    dlpctl status) and TCP recovers: everything arrives masked.
#  open (--fail-mode open, iptables --queue-bypass): the fragment passes and
#    is counted; with dlpd stopped traffic passes (uninspected).
# With DLP_BACKEND=divert (netns_lib.sh) the same through the divert back
# end, except where divert differs: its socket's drops are not counted by
# dlpd, and with dlpd stopped nothing passes in either mode (a diverted
# packet that no socket takes is dropped: ipfw and pf have no bypass).
# Usage: failmode_e2e.sh BUILD_DIR SOURCE_DIR
source "$(dirname "$0")/netns_lib.sh" || exit 1
netns_prologue "$@"
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }
post() {  # post NAME BODY-FILE [curl args]
  local name=$1 file=$2
  shift 2
  ip netns exec "$NS_C" curl -s -S -o /dev/null -H "X-Test-Id: $name" --data-binary "@$file" "$@" \
    http://10.99.2.2/upload 2> "$WORK/$name.curl"
}
# Fragments of a TCP segment carrying an SSN, sent raw from the client; the
# server's capture says which arrived.
send_fragments() {  # send_fragments TAG
  ip netns exec "$NS_S" timeout 4 tcpdump -i any -n -w "$WORK/$1.srv.pcap" 'ip[6:2] & 0x3fff != 0' \
    > /dev/null 2>&1 &
  local dump=$!
  sleep 1
  ip netns exec "$NS_C" /usr/bin/python3 -c '
from scapy.all import IP, TCP, Raw, fragment, send
p = IP(src="10.99.1.2", dst="10.99.2.2") / TCP(sport=33333, dport=80, seq=1, flags="PA") / Raw(b"x=" + b"y" * 60 + b"&ssn=536-22-1457;")
send(fragment(p, fragsize=24), verbose=False)'
  wait "$dump" || true
  tcpdump -n -r "$WORK/$1.srv.pcap" 2> /dev/null | wc -l
}
status() { "$BUILD/dlpctl" status --socket "$WORK/$1.sock" --json; }
counter() { /usr/bin/python3 -c 'import json,sys; print(json.loads(sys.argv[1])["counters"].get(sys.argv[2], 0))' "$1" "$2"; }
printf 'x=1&ssn=536-22-1457&card=4111 1111 1111 1111&z' > "$WORK/small.body"
/usr/bin/python3 -c '
import sys
open(sys.argv[1], "wb").write((b"y" * 200 + b"&ssn=536-22-1457&") * 1200)' "$WORK/big.body"

# --- closed (namespaces from netns_prologue) ---------------------------------
netns_start "$WORK" "$BUILD/dlpd" --nfqueue 0 --control-socket "$WORK/closed.sock" --queue-maxlen 64
post c-small "$WORK/small.body" --max-time 10 && ok || bad "closed: curl"
[ "$(cat "$WORK/recv/c-small.body")" = 'x=1&ssn=XXX-XX-XXXX&card=XXXX XXXX XXXX XXXX&z' ] && ok || bad "closed: not masked"
n=$(send_fragments closed)
[ "$n" = 0 ] && ok || bad "closed: $n fragments reached the server"
st=$(status closed)
[ "$(counter "$st" dropped_uninspected)" -ge 4 ] && ok || bad "closed: fragments not counted: $st"
# Stall dlpd: the 64-packet queue may overflow, the kernel drops (and counts),
# TCP retransmits, and once dlpd runs again everything arrives masked.
kill -STOP "$DLPD"
post c-big "$WORK/big.body" --max-time 60 &
big=$!
sleep 2
kill -CONT "$DLPD"
wait "$big" && ok || bad "closed: the stalled upload did not complete: $(cat "$WORK/c-big.curl")"
st=$(status closed)
cmp -s <(sed 's/536-22-1457/XXX-XX-XXXX/g' "$WORK/big.body") "$WORK/recv/c-big.body" && ok \
  || bad "closed: the stalled upload did not arrive masked: $(cmp <(sed 's/536-22-1457/XXX-XX-XXXX/g' "$WORK/big.body") "$WORK/recv/c-big.body"); $st"
# What the kernel dropped is shown (how much depends on how the stall and
# GRO-merged packets meet the queue length: often some, sometimes none).
drops=$(/usr/bin/python3 -c 'import json,sys; print(json.loads(sys.argv[1])["counters"]["kernel_queue_dropped"])' "$st" 2>/dev/null || echo missing)
if [ "${DLP_BACKEND:-nfqueue}" = divert ]; then
  [ "$drops" = missing ] && ok || bad "divert: an NFQUEUE counter shown: $st"
else
  [ "$drops" != missing ] && ok || bad "closed: kernel queue drops not shown: $st"
fi
echo "closed: kernel queue dropped $drops packets during the stall;" \
  "tails withheld $(counter "$st" tails_withheld), masked $(counter "$st" tails_masked)"
# dlpd stopped: nothing passes.
kill -TERM "$DLPD"
wait "$DLPD" || true
rc=0
post c-down "$WORK/small.body" --max-time 3 || rc=$?
[ "$rc" != 0 ] && [ ! -e "$WORK/recv/c-down.body" ] && ok || bad "closed: traffic passed with dlpd down"
netns_cleanup

# --- open --------------------------------------------------------------------
NS_ID=$((NS_ID + 1))
NS_C=dlpc$NS_ID NS_G=dlpg$NS_ID NS_S=dlps$NS_ID
NFQ_TARGET="--queue-num 0 --queue-bypass" netns_setup
netns_start "$WORK" "$BUILD/dlpd" --nfqueue 0 --fail-mode open --control-socket "$WORK/open.sock"
post o-small "$WORK/small.body" --max-time 10 && ok || bad "open: curl"
[ "$(cat "$WORK/recv/o-small.body")" = 'x=1&ssn=XXX-XX-XXXX&card=XXXX XXXX XXXX XXXX&z' ] && ok || bad "open: not masked"
n=$(send_fragments open)
[ "$n" -ge 4 ] && ok || bad "open: $n fragments reached the server"
st=$(status open)
[ "$(counter "$st" passed_uninspected)" -ge 4 ] && ok || bad "open: fragments not counted: $st"
kill -TERM "$DLPD"
wait "$DLPD" || true
if [ "${DLP_BACKEND:-nfqueue}" = divert ]; then
  rc=0
  post o-down "$WORK/small.body" --max-time 3 || rc=$?
  [ "$rc" != 0 ] && [ ! -e "$WORK/recv/o-down.body" ] && ok || bad "divert, open: traffic passed with dlpd down"
else
  post o-down "$WORK/small.body" --max-time 5 && ok || bad "open: traffic did not pass with dlpd down"
  grep -q '536-22-1457' "$WORK/recv/o-down.body" && ok || bad "open: expected the uninspected body"
fi

echo "fail modes: $pass passed, $fail failed"
[ "$fail" = 0 ]
