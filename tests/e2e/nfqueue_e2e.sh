#!/usr/bin/env bash
# End to end through a real gateway: curl in a client namespace POSTs form,
# JSON and 200 KB bodies over IPv4 and IPv6 through dlpd (NFQUEUE 0 on the
# gateway's FORWARD chain) to a real HTTP server. The server must receive
# every value masked, every other byte unchanged, the same length; clean
# bodies arrive byte-identical; several requests share one keep-alive
# connection; incidents land in SQLite with no full value in them.
# Usage: nfqueue_e2e.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
BUILD=$(cd "$1" && pwd)
SRC=$(cd "$2" && pwd)
source "$SRC/tests/e2e/netns_lib.sh"
netns_require

WORK=$(mktemp -d)
cleanup() {
  netns_cleanup
  [ "${KEEP:-0}" = 1 ] || rm -rf "$WORK"
}
trap cleanup EXIT
netns_setup
mkdir -p "$WORK/recv"

ip netns exec "$NS_S" python3 "$SRC/tests/e2e/http_sink.py" "$WORK/recv" 80 &
ip netns exec "$NS_G" "$BUILD/dlpd" --nfqueue 0 --db "$WORK/incidents.db" 2> "$WORK/dlpd.log" &
DLPD=$!
for _ in $(seq 50); do
  grep -q started "$WORK/dlpd.log" 2>/dev/null && ip netns exec "$NS_S" ss -ltn | grep -q ':80 ' && break
  sleep 0.1
done

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
    args+=(-s -S --max-time 20 -o "$WORK/$name.reply" -H "X-Test-Id: $name"
      -H "Content-Type: application/octet-stream" --data-binary "@$WORK/send/${name%-v[46]}.body" "$url")
  done
  ip netns exec "$NS_C" curl "${args[@]}"
}

for v in 4 6; do
  if [ $v = 4 ]; then host=10.99.2.2; else host='[fd99:2::2]'; fi
  for body in form json big clean; do
    if post "$body-v$v@http://$host/upload"; then ok; else bad "curl $body over IPv$v"; fi
  done
  # Keep-alive: three requests on one connection.
  if post "ka1-v$v@http://$host/a" "ka2-v$v@http://$host/b" "ka3-v$v@http://$host/c"; then ok
  else bad "keep-alive curl over IPv$v"; fi
done

for v in 4 6; do
  for body in form json big clean ka1 ka2 ka3; do
    name=$body-v$v
    got="$WORK/recv/$name.body"
    want="$WORK/send/$body.expected"
    if [ ! -f "$got" ]; then bad "$name: server received nothing"; continue; fi
    if [ "$body" = big ]; then
      # 200 KB crosses ~140 segments. Every byte must be the sent byte or a
      # masked digit of a value; values that TCP cut in two are the stream
      # inspection issue's (#4) to close, and are reported here as a figure.
      if r=$(python3 "$SRC/tests/e2e/compare_masked.py" "$WORK/send/big.body" "$got" "$want"); then
        ok; echo "big body over IPv$v: $r"
      else bad "$name: $r"; fi
    elif cmp -s "$got" "$want"; then ok; else
      bad "$name: server bytes differ from the masked expectation ($(cmp "$got" "$want" | head -1))"
    fi
    if grep -q "received $(stat -c %s "$WORK/send/$body.body")" "$WORK/$name.reply"; then ok; else
      bad "$name: exchange did not complete"; fi
  done
  if cmp -s "$WORK/recv/clean-v$v.body" "$WORK/send/clean.body"; then ok; else
    bad "clean body over IPv$v changed"; fi
  ports=$(cat "$WORK"/recv/ka[123]-v$v.peer | awk '{print $2}' | sort -u | wc -l)
  if [ "$ports" = 1 ]; then ok; else bad "keep-alive over IPv$v used $ports connections"; fi
done
# No sensitive value reached the server in the bodies that fit in a few segments.
if python3 "$SRC/tests/e2e/make_bodies.py" --values | grep -rqFf - --exclude='big-*' "$WORK/recv"; then
  bad "a full value reached the server"
else ok; fi

kill -TERM $DLPD
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

echo "nfqueue e2e: $pass passed, $fail failed"
[ "$fail" = 0 ]
