#!/usr/bin/env bash
# dlpd --nfqueue 0-1: one worker per queue, the kernel spreading traffic
# over both (--queue-balance 0:1 hashes the source and destination
# addresses, so a connection always stays on one worker; the client uses
# several addresses to be spread). Many connections carry values; every one must arrive masked,
# and both workers must have seen traffic.
# Usage: multiqueue_e2e.sh BUILD_DIR SOURCE_DIR
source "$(dirname "$0")/netns_lib.sh" || exit 1
NFQ_TARGET="--queue-balance 0:1" netns_prologue "$@"
for a in $(seq 10 25); do ip -n "$NS_C" addr add "10.99.1.$a/24" dev "c$NS_ID"; done
netns_start "$WORK" "$BUILD/dlpd" --nfqueue 0-1

pass=0
fail=0
body='ssn=536-22-1457&card=4111 1111 1111 1111&n=1'
want=$(printf '%s' "$body" | "$BUILD/dlpctl" scan)
for i in $(seq 1 24); do
  # A new connection each time, from one of 16 source addresses.
  if ip netns exec "$NS_C" curl -s -S --max-time 10 -o /dev/null -H "X-Test-Id: mq$i" \
      --interface "10.99.1.$((10 + i % 16))" \
      --data-binary "$body" http://10.99.2.2/; then pass=$((pass + 1)); else
    fail=$((fail + 1)); echo "FAIL: request $i" >&2; fi
done
for i in $(seq 1 24); do
  if [ "$(cat "$WORK/recv/mq$i.body" 2>/dev/null)" = "$want" ]; then pass=$((pass + 1)); else
    fail=$((fail + 1)); echo "FAIL: mq$i not masked" >&2; fi
done
kill -TERM $DLPD
wait $DLPD || { fail=$((fail + 1)); echo "FAIL: dlpd exit status" >&2; }
for q in 0 1; do
  n=$(grep -o "nfqueue $q: packets=[0-9]*" "$WORK/dlpd.log" | cut -d= -f2)
  echo "queue $q: ${n:-0} packets"
  if [ "${n:-0}" -gt 0 ]; then pass=$((pass + 1)); else
    fail=$((fail + 1)); echo "FAIL: worker $q saw no packets" >&2; fi
done
echo "multiqueue e2e: $pass passed, $fail failed"
[ "$fail" = 0 ]
