#!/usr/bin/env bash
# The evasion suite end to end (namespaces, kernel NFQUEUE, a real server):
# values in 2..8 pieces, 1-byte segments, an urgent byte inside a value, a
# value as the last bytes before the client's FIN, a pause inside a value
# longer than the hold, percent-encoded digits, a body ending in digits, over IPv4 and IPv6. The
# server must receive every value masked (the urgent byte inline), the same
# length, and every exchange must complete.
# Usage: evasion_e2e.sh BUILD_DIR SOURCE_DIR
source "$(dirname "$0")/netns_lib.sh" || exit 1
netns_prologue "$@"
netns_start "$WORK" "$BUILD/dlpd" --nfqueue 0
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }

for host in 10.99.2.2 fd99:2::2; do
  rm -f "$WORK"/recv/*
  ip netns exec "$NS_C" python3 "$SRC/tests/e2e/evasion_client.py" "$host" && ok || bad "client over $host"
  masked='ssn=XXX-XX-XXXX&card=XXXX XXXX XXXX XXXX&x=1;'
  for n in 2 3 4 5 6 7 8; do
    [ "$(cat "$WORK/recv/bytes-$n.body" 2>/dev/null)" = "$masked" ] && ok \
      || bad "$host bytes-$n: '$(cat "$WORK/recv/bytes-$n.body" 2>/dev/null)'"
  done
  [ "$(cat "$WORK/recv/one-byte.body" 2>/dev/null)" = "$masked" ] && ok \
    || bad "$host one-byte: '$(cat "$WORK/recv/one-byte.body" 2>/dev/null)'"
  # The urgent byte stays in the stream: the server reads what was inspected.
  [ "$(cat "$WORK/recv/urgent.body" 2>/dev/null)" = 'ssn=536-22Z-1457&x=1;' ] && ok \
    || bad "$host urgent: '$(cat "$WORK/recv/urgent.body" 2>/dev/null)'"
  [ "$(cat "$WORK/recv/at-end.body" 2>/dev/null)" = 'x=1&card=XXXX XXXX XXXX XXXX' ] && ok \
    || bad "$host at-end: '$(cat "$WORK/recv/at-end.body" 2>/dev/null)'"
  # Paused inside a value past the hold: the first pieces are withheld, not
  # released, and everything arrives masked.
  [ "$(cat "$WORK/recv/pause.body" 2>/dev/null)" = "$masked" ] && ok \
    || bad "$host pause: '$(cat "$WORK/recv/pause.body" 2>/dev/null)'"
  [ "$(cat "$WORK/recv/percent.body" 2>/dev/null)" = 'ssn=%58%58%58-XX-XXXX&card=%58XXX+XXXX+XXXX+XXXX&x=1;' ] && ok \
    || bad "$host percent: '$(cat "$WORK/recv/percent.body" 2>/dev/null)'"
  [ "$(cat "$WORK/recv/digits-end.body" 2>/dev/null)" = 'x=1&amount=100' ] && ok \
    || bad "$host digits-end: '$(cat "$WORK/recv/digits-end.body" 2>/dev/null)'"
done
kill -TERM "$DLPD"
wait "$DLPD" || true
grep -q 'urgent_cleared=[1-9]' "$WORK/dlpd.log" && ok || bad "urgent data not counted"
grep -q 'tails_withheld=[1-9]' "$WORK/dlpd.log" && ok || bad "withheld tails not counted"
grep -q 'partial=0 ' "$WORK/dlpd.log" && ok || bad "a value went out in part: $(grep -o 'partial=[0-9]*' "$WORK/dlpd.log")"
echo "evasion e2e: $pass passed, $fail failed"
[ "$fail" = 0 ]
