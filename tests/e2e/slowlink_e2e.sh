#!/usr/bin/env bash
# Legitimate traffic is never changed by the gateway's holds. Over IPv4 and
# IPv6, in 10 runs each:
#   - a 200 KB CSV of numbers (ids, epoch timestamps, prices, quantities; no
#     SSN or card) uploaded over a 400 kbit/s uplink (tc tbf on the client),
#     where each segment reaches the gateway later than the hold time (the
#     shaper queues up to 4 MB, so it delays and never drops: loss is the
#     next case);
#   - the same CSV with 2 % of the client's packets lost (iptables statistic
#     on the gateway, before the queue): dlpd sends ahead the pieces beyond a
#     gap that no value reaches (once the segments before it have left), so
#     the sender learns of the loss at once, and a withheld number it still
#     stalls on leaves as it is when it shows no more digits than a
#     truncated display would, or the flow stops (doc/security.md, Limits);
#   - a form typed one byte per 30 ms (below);
#   - the CSV as a base64 MIME part (decoded and scanned: a group of
#     characters not complete at a segment's end is held), slow and lossy;
#   - slow uploads again through a dlpd with a small first-copy window,
#     and with none (below);
# the CSV arrives byte-identical, every time, and the form's values masked
# and the rest unchanged.
# Usage: slowlink_e2e.sh BUILD_DIR SOURCE_DIR
source "$(dirname "$0")/netns_lib.sh" || exit 1
netns_prologue "$@"
netns_start "$WORK" "$BUILD/dlpd" --nfqueue 0 --db "$WORK/incidents.db"
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }

python3 - "$WORK/data.csv" <<'PY'
import random, sys
random.seed(7)
rows = ["id,user,created_ms,price,qty,zip,ref"]
size = len(rows[0]) + 1
while size < 200 * 1024:
    row = "%d,%d,%d,%d.%02d,%d,%05d,%d" % (
        random.randrange(1, 10**7), random.randrange(10**5, 10**9),
        random.randrange(1700000000000, 1800000000000), random.randrange(1, 5000),
        random.randrange(100), random.randrange(1, 50), random.randrange(100000),
        random.randrange(10**9, 10**10))
    rows.append(row)
    size += len(row) + 1
open(sys.argv[1], "w").write("\n".join(rows) + "\n")
PY
# The CSV holds no value (the engine leaves it as it is), so any change the
# server sees is corruption.
"$BUILD/dlpctl" scan < "$WORK/data.csv" | cmp -s - "$WORK/data.csv" && ok \
  || bad "the generated CSV holds a value"
url() { case $1 in *:*) echo "http://[$1]/upload" ;; *) echo "http://$1/upload" ;; esac; }
upload() {  # upload NAME HOST [FILE]: POSTs the CSV; true if the server has it byte-identical
  local file=${3:-$WORK/data.csv}
  ip netns exec "$NS_C" curl -sS --max-time 120 -o /dev/null -H "X-Test-Id: $1" -H "Expect:" \
    --data-binary @"$file" "$(url "$2")" && cmp -s "$WORK/recv/$1.body" "$file"
}
python3 - "$WORK/data.csv" "$WORK/data.b64" <<'PY'
import base64, sys
data = base64.encodebytes(open(sys.argv[1], "rb").read()).replace(b"\n", b"\r\n")
open(sys.argv[2], "wb").write(b"--XyZ\r\nContent-Disposition: form-data; name=\"f\"; filename=\"d.csv\"\r\n"
                              b"Content-Transfer-Encoding: base64\r\n\r\n" + data + b"--XyZ--\r\n")
PY
host_of() { [ $(($1 % 2)) = 0 ] && echo 10.99.2.2 || echo fd99:2::2; }

ip netns exec "$NS_C" tc qdisc add dev "c$NS_ID" root tbf rate 400kbit burst 4kb limit 4mb
for i in $(seq 10); do
  upload "slow-$i" "$(host_of "$i")" && ok || bad "slow link run $i ($(host_of "$i")): $(cmp "$WORK/recv/slow-$i.body" "$WORK/data.csv" 2>&1 | head -1)"
done
for i in 1 2 3 4; do
  upload "slow64-$i" "$(host_of "$i")" "$WORK/data.b64" && ok || bad "slow link base64 run $i ($(host_of "$i")): $(cmp "$WORK/recv/slow64-$i.body" "$WORK/data.b64" 2>&1 | head -1)"
done
ip netns exec "$NS_C" tc qdisc del dev "c$NS_ID" root

# A lossy upload arrives byte-identical, or is stopped with a reset (a
# withheld tail that shows more digits than a display, which the sender,
# back to one segment per retransmission timer after losing what followed
# it, resends alone: doc/security.md, `tails_stopped`) and then arrives whole when
# sent again. Never changed; stopped at most once in the 14.
stopped=0
lossy() {  # lossy NAME HOST FILE WHAT
  local name=$1 host=$2 file=$3 rc=0
  ip netns exec "$NS_C" curl -sS --max-time 120 -o /dev/null -H "X-Test-Id: $name" -H "Expect:" \
    --data-binary @"$file" "$(url "$host")" 2> "$WORK/$name.err" || rc=$?
  if [ "$rc" = 0 ]; then
    cmp -s "$WORK/recv/$name.body" "$file" && ok \
      || bad "$4 ($host): changed: $(cmp "$WORK/recv/$name.body" "$file" 2>&1 | head -1)"
    return
  fi
  # A stop is a reset (curl 56); a timeout (28) is a stall, never accepted.
  [ "$rc" = 56 ] || { bad "$4 ($host): curl exit $rc: $(cat "$WORK/$name.err")"; return; }
  stopped=$((stopped + 1))
  echo "$4 ($host) stopped: $(cat "$WORK/$name.err"); sent again" >&2
  upload "$name-again" "$host" "$file" && ok || bad "$4 ($host), sent again after a stop"
}
loss="-p tcp --dport 80 -m statistic --mode random --probability 0.02 -j DROP"
ip netns exec "$NS_G" bash -c "$(declare -f ipt ip6t); ipt -I FORWARD 1 $loss && ip6t -I FORWARD 1 $loss"
for i in $(seq 10); do
  lossy "lossy-$i" "$(host_of "$i")" "$WORK/data.csv" "2 % loss run $i"
done
for i in 1 2 3 4; do
  lossy "lossy64-$i" "$(host_of "$i")" "$WORK/data.b64" "2 % loss base64 run $i"
done
ip netns exec "$NS_G" bash -c "$(declare -f ipt ip6t); ipt -D FORWARD $loss && ip6t -D FORWARD $loss"
[ "$stopped" -le 1 ] && ok || bad "$stopped of 14 lossy uploads stopped"

# A form typed slowly: one byte per 30 ms, each its own segment (TCP_NODELAY),
# so every digit reaches the gateway after the hold has ended. Its values
# must arrive masked, its other numbers unchanged, and the exchange
# complete, every time: a number is held only while it may still begin a
# value, and each of these is ruled out within its first four digits, before
# the sender's retransmission timer collapses the digits typed since into a
# copy it waits on (which, judged, would leave masked at its third hold).
FORM='id=1771066239&price=123.45&qty=7&ts=1700000000000&zip=02139&ssn=536-22-1457&card=4111 1111 1111 1111&ref=9876543210;'
want=$(printf '%s' "$FORM" | "$BUILD/dlpctl" scan)
drip() {  # drip NAME HOST
  ip netns exec "$NS_C" python3 - "$1" "$2" "$FORM" <<'PY'
import socket, sys, time
name, host, body = sys.argv[1], sys.argv[2], sys.argv[3].encode()
s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
s.settimeout(30)
s.connect((host, 80))
s.sendall(b"POST /form HTTP/1.1\r\nHost: s\r\nX-Test-Id: %s\r\nContent-Length: %d\r\n"
          b"Connection: close\r\n\r\n" % (name.encode(), len(body)))
for i in range(len(body)):
    time.sleep(0.03)
    s.send(body[i:i + 1])
while s.recv(4096):
    pass
PY
}
for i in $(seq 10); do
  drip "drip-$i" "$(host_of "$i")" || bad "drip run $i did not complete"
  got=$(cat "$WORK/recv/drip-$i.body" 2>/dev/null)
  # The values: masked wherever the rest went.
  case $got in
    *'ssn=XXX-XX-XXXX&card=XXXX XXXX XXXX XXXX&'*) ok ;;
    *) bad "drip run $i ($(host_of "$i")): values not masked: '$got'" ;;
  esac
  [ ${#got} = ${#FORM} ] && ok || bad "drip run $i: ${#got} bytes, sent ${#FORM}"
  [ "$got" = "$want" ] && ok || bad "drip run $i ($(host_of "$i")): '$got', want '$want'"
done

# The slow link again, with an 8 KiB first-copy window, then with none:
# the sender's copies of withheld tails now come after their bytes have left
# the window (or were never kept), and are checked against the digest of
# segments as they left. Every one must be checkable from where the sender
# resends (its own segment boundaries, the receiver's acknowledgement inside
# a withheld tail, the end of a copy it collapsed), or it is dropped each
# time and the upload stalls for good. A copy that cannot be checked is
# dropped, which the sender takes for a loss: a base64 upload may then end
# in a stop as on the lossy link above (CI saw one in a window-0 base64
# run), and must arrive whole when sent again. Never changed, never
# stalled; stopped at most once in the 8.
stopped=0
kill -TERM "$DLPD"
wait "$DLPD" || bad "dlpd did not exit 0"
ip netns exec "$NS_C" tc qdisc add dev "c$NS_ID" root tbf rate 400kbit burst 4kb limit 4mb
for kb in 8 0; do
  ip netns exec "$NS_G" "$BUILD/dlpd" --nfqueue 0 --db "$WORK/incidents.db" --window-kb "$kb" \
    2> "$WORK/dlpd-window-$kb.log" &
  DLPD=$!
  for _ in $(seq 50); do grep -q started "$WORK/dlpd-window-$kb.log" && break; sleep 0.1; done
  for i in 1 2 3 4; do
    f=$WORK/data.csv
    [ "$i" = 3 ] && f=$WORK/data.b64
    lossy "window$kb-$i" "$(host_of "$i")" "$f" "slow link, --window-kb $kb, run $i"
  done
  kill -TERM "$DLPD"
  wait "$DLPD" || bad "dlpd --window-kb $kb did not exit 0"
done
ip netns exec "$NS_C" tc qdisc del dev "c$NS_ID" root
[ "$stopped" -le 1 ] && ok || bad "$stopped of 8 slow uploads through a small window stopped"

# The drip's two values are the only incidents, once per run, none partial.
rows=$(sqlite3 "$WORK/incidents.db" "SELECT count(*) FROM incidents" 2>/dev/null || echo 0)
[ "$rows" = 20 ] && ok || bad "$rows incidents recorded, want 20 (the drip's two values x 10)"
partial=$(sqlite3 "$WORK/incidents.db" "SELECT count(*) FROM incidents WHERE action = 'mask-partial'" 2>/dev/null || echo 0)
[ "$partial" = 0 ] && ok || bad "$partial values recorded as partly sent"
echo "$(grep -o ' hold_timeouts=[0-9]*\| tails_withheld=[0-9]*\| tails_held=[0-9]*\| tails_masked=[0-9]*\| tails_released=[0-9]*\| tails_stopped=[0-9]*\| gaps_stopped=[0-9]*\| copies_unchecked=[0-9]*\| copies_trimmed=[0-9]*\| sack_probes=[0-9]*\| out_of_window=[0-9]*\| beyond_fin=[0-9]*' "$WORK"/dlpd*.log | tr '\n' ' ')"
echo "slow link e2e: $pass passed, $fail failed"
[ "$fail" = 0 ]
