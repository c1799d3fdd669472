#!/usr/bin/env bash
# End to end through a real gateway: curl in a client namespace POSTs form,
# JSON, 200 KB and value-dense bodies over IPv4 and IPv6 through dlpd
# (NFQUEUE 0 on the gateway's FORWARD chain) to a real HTTP server. The server must receive
# every value masked, every other byte unchanged, the same length; clean
# bodies arrive byte-identical; several requests share one keep-alive
# connection; values cut across TCP segments at every byte arrive masked;
# incidents land in SQLite with no full value in them.
# Usage: nfqueue_e2e.sh BUILD_DIR SOURCE_DIR
source "$(dirname "$0")/netns_lib.sh" || exit 1
netns_prologue "$@"
netns_start "$WORK" "$BUILD/dlpd" --nfqueue 0 --db "$WORK/incidents.db"
python3 "$SRC/tests/e2e/make_bodies.py" "$WORK/send"
for f in "$WORK"/send/*.body; do
  "$BUILD/dlpctl" scan < "$f" > "${f%.body}.expected"
done

pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }

post() {  # post NAME URL... : one curl, one connection, one request per URL/body
  local args=() name url first=1
  for name in "$@"; do
    [ "$first" = 1 ] || args+=(--next)
    first=0
    url=${name#*@}
    name=${name%@*}
    args+=(-s -S --max-time 10 -o "$WORK/$name.reply" -H "X-Test-Id: $name"
      -H "Content-Type: application/octet-stream" --data-binary "@$WORK/send/${name%-v[46]}.body" "$url")
  done
  ip netns exec "$NS_C" curl "${args[@]}"
}

for v in 4 6; do
  if [ $v = 4 ]; then host=10.99.2.2; else host='[fd99:2::2]'; fi
  for body in form json big dense clean; do
    if post "$body-v$v@http://$host/upload"; then ok; else bad "curl $body over IPv$v"; fi
  done
  # Keep-alive: three requests on one connection.
  if post "ka1-v$v@http://$host/a" "ka2-v$v@http://$host/b" "ka3-v$v@http://$host/c"; then ok
  else bad "keep-alive curl over IPv$v"; fi
done

for v in 4 6; do
  for body in form json big dense clean ka1 ka2 ka3; do
    name=$body-v$v
    got="$WORK/recv/$name.body"
    want="$WORK/send/$body.expected"
    if [ ! -f "$got" ]; then bad "$name: server received nothing"; continue; fi
    if cmp -s "$got" "$want"; then ok; else
      bad "$name: server bytes differ from the masked expectation ($(cmp "$got" "$want" | head -1))"
      # How many values were not (fully) masked, and whether only value digits changed.
      python3 "$SRC/tests/e2e/compare_masked.py" "$WORK/send/$body.body" "$got" "$want" >&2 || true
    fi
    if grep -q "received $(stat -c %s "$WORK/send/$body.body")" "$WORK/$name.reply"; then ok; else
      bad "$name: exchange did not complete"; fi
  done
  if cmp -s "$WORK/recv/clean-v$v.body" "$WORK/send/clean.body"; then ok; else
    bad "clean body over IPv$v changed"; fi
  ports=$(cat "$WORK"/recv/ka[123]-v$v.peer | awk '{print $2}' | sort -u | wc -l)
  if [ "$ports" = 1 ]; then ok; else bad "keep-alive over IPv$v used $ports connections"; fi
done
# Values cut across segments at every byte, by a client writing two (and
# three) pieces with TCP_NODELAY: each must arrive fully masked.
SPLIT_BODY='ssn=536-22-1457&card=4111 1111 1111 1111&x'
SPLIT_WANT=$(printf '%s' "$SPLIT_BODY" | "$BUILD/dlpctl" scan)
for v in 4 6; do
  if [ $v = 4 ]; then host=10.99.2.2; else host=fd99:2::2; fi
  ip netns exec "$NS_C" python3 "$SRC/tests/e2e/split_client.py" "$host" "split$v" "$SPLIT_BODY" \
    && ok || bad "split requests over IPv$v"
done
ip netns exec "$NS_C" python3 "$SRC/tests/e2e/split_client.py" 10.99.2.2 three "$SPLIT_BODY" --three \
  && ok || bad "three-way split requests"
split_total=0
split_bad=0
for f in "$WORK"/recv/split*.body "$WORK"/recv/three*.body; do
  split_total=$((split_total + 1))
  [ "$(cat "$f")" = "$SPLIT_WANT" ] || { split_bad=$((split_bad + 1)); echo "not masked: $(basename "$f")" >&2; }
done
expected_splits=$(( 2 * (${#SPLIT_BODY} - 1) ))
[ "$split_total" -gt "$expected_splits" ] && [ "$split_bad" = 0 ] && ok \
  || bad "split bodies: $split_bad of $split_total not fully masked"
echo "split bodies: $split_total received, all masked: $([ "$split_bad" = 0 ] && echo yes || echo no)"

# No sensitive value reached the server.
if python3 "$SRC/tests/e2e/make_bodies.py" --values | grep -rqFf - "$WORK/recv"; then
  bad "a full value reached the server"
else ok; fi

if ! kill -TERM $DLPD 2>/dev/null; then
  bad "dlpd died during the test"
  grep -v '^\[' "$WORK/dlpd.log" | head -40 >&2
fi
wait $DLPD || bad "dlpd did not exit 0 on SIGTERM"
rows=$(sqlite3 "$WORK/incidents.db" "select count(*) from incidents")
if [ "$rows" -gt 0 ]; then ok; else bad "no incidents recorded"; fi
v6=$(sqlite3 "$WORK/incidents.db" "select count(*) from incidents where ip_version=6 and dst_ip='fd99:2::2'")
if [ "$v6" -gt 0 ]; then ok; else bad "no IPv6 incidents"; fi
http=$(sqlite3 "$WORK/incidents.db" "select count(*) from incidents where http_method='POST' and http_path='/upload' and http_host='10.99.2.2'")
if [ "$http" -gt 0 ]; then ok; else bad "no incident with the HTTP request fields"; fi
if python3 "$SRC/tests/e2e/make_bodies.py" --values --digits | grep -qFf - "$WORK/incidents.db" "$WORK/dlpd.log"; then
  bad "a full value is in the database or the log"
else ok; fi
perm=$(stat -c %a "$WORK/incidents.db.key")
if [ "$perm" = 600 ]; then ok; else bad "key file mode $perm"; fi
grep -q "dropped_uninspected=0" "$WORK/dlpd.log" && ok || bad "packets dropped uninspected"
# The splits really crossed segments: dlpd had to hold some.
held=$(grep -o ' held_total=[0-9]*' "$WORK/dlpd.log" | head -1 | cut -d= -f2)
[ "${held:-0}" -gt 0 ] && ok || bad "no segment was ever held"
grep -o 'packets=.*' "$WORK/dlpd.log" | head -1
if [ "${DLP_BACKEND:-nfqueue}" = divert ]; then
  # Every packet went through the divert loop: diverted, written back with
  # its address, re-injected.
  divert_stop "$WORK" && ok || bad "the divert loop lost or misdirected packets"
else
  # The kernel handed over coalesced (GSO) packets whole, and they were
  # inspected: the big and dense bodies above arrived masked through them.
  coalesced=$(grep -o ' coalesced=[0-9]*' "$WORK/dlpd.log" | head -1 | cut -d= -f2)
  [ "${coalesced:-0}" -gt 0 ] && ok || bad "no coalesced packet came through the queue"
  echo "coalesced packets: ${coalesced:-none}"
fi

echo "nfqueue e2e: $pass passed, $fail failed"
[ "$fail" = 0 ]
