#!/usr/bin/env bash
# A SYN flood through the gateway while a value is held (issue 18, "Must
# show"), IPv4 and IPv6, on one dlpd with a table the flood overflows
# (--max-flows 20000). From the client namespace (synflood_client.py):
#  - a real connection per family sends a POST head and "ssn=536-22-", and
#    pauses: dlpd withholds the tail, the flow is mid-value;
#  - 200,000 SYNs to the server's port 80 (half IPv4, half IPv6) from 16,384
#    spoofed addresses per family and, every fifth, from one flooding address,
#    prebuilt packets on a raw socket as fast as they go. The gateway routes
#    the spoofed prefixes back to the client namespace (which drops what the
#    server would answer) and the server drops the flood's SYNs (raw table):
#    the flood is dlpd's problem only, not the server's SYN queue;
#  - meanwhile 20 short POSTs per family from the client's own address, each
#    with a value: they must complete and arrive masked;
#  - then the held connections send "1457&x=1;": the server must receive
#    "ssn=XXX-XX-XXXX&x=1;" and the exchange complete (it takes 5-15 s: the
#    client sends it only once its copies of the withheld tail are through,
#    which dlpd lets go, masked, at their third hold, with the client's backoff).
# At least one of the legitimate exchanges must complete while the flood is
# still being sent (the first starts 50 ms into it; the rate is printed).
# dlpd's peak RSS (VmHWM) must stay within its start RSS + the table (max
# flows x PER_FLOW_KIB) + --max-held-mb + SLACK_MIB (printed, not checked
# under sanitizers); its exit log must show flows_evicted > 0,
# busy_evictions = 0 and new_flows_limited > 0.
# Usage: synflood_e2e.sh BUILD_DIR SOURCE_DIR [SANITIZED(0|1)]
# Env: SYNFLOOD_SYNS (default 200000), SYNFLOOD_RATE (SYNs/s, 0: unpaced),
#      SYNFLOOD_FAMILIES ("v4 v6", default both).
source "$(dirname "$0")/netns_lib.sh" || exit 1
SANITIZED=${3:-0}
# Under sanitizers dlpd is several times slower: the flood is paced to last
# about 5 s, so that legitimate exchanges can still complete while it goes on.
if [ "$SANITIZED" = 1 ]; then export SYNFLOOD_RATE=${SYNFLOOD_RATE:-40000}; fi
netns_prologue "$1" "$2"
MAX_FLOWS=20000
MAX_HELD_MB=16
PER_FLOW_KIB=2    # a flow that never carried data (measured: about 1.5 KiB)
SLACK_MIB=16      # allocator slack, the few flows with data and their windows
started=$(date +%s%N)

hosts=()
for fam in ${SYNFLOOD_FAMILIES:-v4 v6}; do
  case $fam in v4) hosts+=(10.99.2.2) ;; v6) hosts+=(fd99:2::2) ;; esac
done
# The spoofed sources: routed back to the client namespace (not forwarding:
# it drops the server's answers, if any), and dropped by the server.
ip -n "$NS_G" route add 10.98.0.0/16 via 10.99.1.2
ip -n "$NS_G" -6 route add fd99:98::/64 via fd99:1::2
ip netns exec "$NS_S" bash -c "$(declare -f ipt ip6t); \
  ipt -t raw -A PREROUTING -s 10.98.0.0/16 -j DROP && ip6t -t raw -A PREROUTING -s fd99:98::/64 -j DROP"

netns_start "$WORK" "$BUILD/dlpd" --nfqueue 0 --max-flows "$MAX_FLOWS" --max-held-mb "$MAX_HELD_MB" \
  --control-socket "$WORK/dlpd.sock" --log-level info
start_rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$DLPD/status")

ip netns exec "$NS_C" /usr/bin/python3 "$SRC/tests/e2e/synflood_client.py" "$WORK/client.out" \
  "${hosts[@]}" > /dev/null 2> "$WORK/client.err" || true
peak_kib=$(awk '/^VmHWM/ { print $2 }' "/proc/$DLPD/status")
kill -TERM "$DLPD"
dlpd_rc=0
wait "$DLPD" || dlpd_rc=$?
took=$((($(date +%s%N) - started) / 1000000))

fails=0
bad() { fails=$((fails + 1)); echo "FAIL: $*" >&2; }
[ "$dlpd_rc" = 0 ] || bad "dlpd exited with $dlpd_rc: $(tail -3 "$WORK/dlpd.log")"
[ -s "$WORK/client.out" ] || bad "the client did not finish: $(tail -3 "$WORK/client.err")"
touch "$WORK/client.out"

# The exchanges: completed, and the server got each body masked.
n_legit=0
n_during=0
n_held=0
while read -r _ name outcome during; do
  recv="$WORK/recv/$name.body"
  case $name in
    held.*) want='ssn=XXX-XX-XXXX&x=1;' ;;
    legit.*) n_legit=$((n_legit + 1)); want="n=${name##*.}&ssn=XXX-XX-XXXX&x=1;" ;;
  esac
  [ "$during" = 1 ] && n_during=$((n_during + 1))
  [ "$outcome" = completed ] || bad "$name: $outcome"
  [[ $name == held.* && $outcome == completed && -e $recv && "$(cat "$recv")" == "$want" ]] \
    && n_held=$((n_held + 1))
  for f in "$WORK/recv/$name".*; do
    [ -e "$f" ] || continue
    if grep -aq -e '536-22' -e '1457' "$f"; then bad "$name: the server got a value in clear: $(cat "$f")"; fi
  done
  if [ ! -e "$recv" ]; then
    bad "$name: the server got no body"
  elif [ "$(cat "$recv")" != "$want" ]; then
    bad "$name: the server got '$(cat "$recv")', not '$want'"
  fi
done < <(grep '^exchange ' "$WORK/client.out")
for fam in ${SYNFLOOD_FAMILIES:-v4 v6}; do
  grep -q "^exchange held.$fam " "$WORK/client.out" || bad "no held exchange ($fam)"
done
[ "$n_legit" = $((20 * ${#hosts[@]})) ] || bad "$n_legit legitimate exchanges, not $((20 * ${#hosts[@]}))"
[ "$n_during" -gt 0 ] || bad "no legitimate exchange completed during the flood"
# Any value in clear anywhere at the server (a partial body, a stray request).
if grep -raq -e '536-22-1457' -e '1457&x' "$WORK/recv"; then bad "a value in clear at the server"; fi

# The exit log's counters.
counter() { grep -o " $1=[0-9]*" "$WORK/dlpd.log" | tail -1 | cut -d= -f2; }
packets=$(counter packets)
evicted=$(counter flows_evicted)
busy=$(counter busy_evictions)
limited=$(counter new_flows_limited)
closed_drops=$(counter closed_flow_drops)
[ "${evicted:-0}" -gt 0 ] || bad "flows_evicted=${evicted:-none}: the flood did not overflow the table"
[ "${busy:-x}" = 0 ] || bad "busy_evictions=${busy:-none}: a flow holding a value was evicted"
[ "${limited:-0}" -gt 0 ] || bad "new_flows_limited=${limited:-none}: the flooding host was not limited"

# Memory: the start (rules, buffers) + the table + the held-bytes cap + slack.
cap_kib=$((start_rss + MAX_FLOWS * PER_FLOW_KIB + MAX_HELD_MB * 1024 + SLACK_MIB * 1024))
if [ "$SANITIZED" != 1 ] && { [ "${peak_kib:-0}" = 0 ] || [ "$peak_kib" -gt "$cap_kib" ]; }; then
  bad "peak RSS ${peak_kib:-?} KiB over the cap $cap_kib KiB"
fi

read -r _ sent secs rate < <(grep '^flood ' "$WORK/client.out" || echo "flood 0 0 0")
echo "synflood e2e (${hosts[*]}): $sent SYNs in ${secs} s (${rate}/s), dlpd saw $packets packets;" \
  "held flows: $n_held of ${#hosts[@]} completed masked after" \
  "$(awk '/^held / { print $2 }' "$WORK/client.out") s;" \
  "legitimate: $n_legit ($n_during completed during the flood);" \
  "flows_evicted=$evicted busy_evictions=$busy new_flows_limited=$limited closed_flow_drops=$closed_drops;" \
  "RSS start $((start_rss / 1024)) MiB, peak $((${peak_kib:-0} / 1024)) MiB, cap $((cap_kib / 1024)) MiB" \
  "(start + $MAX_FLOWS flows x $PER_FLOW_KIB KiB + $MAX_HELD_MB MiB held + $SLACK_MIB MiB$(
    [ "$SANITIZED" = 1 ] && echo ', not checked: sanitizers'));" \
  "$((took / 1000)) s; $fails failed"
[ "$fails" = 0 ]
