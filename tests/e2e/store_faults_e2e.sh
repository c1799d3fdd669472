#!/usr/bin/env bash
# The incident database failing under a live gateway (namespaces, kernel
# NFQUEUE, real clients and server, the database on a real tmpfs):
#  - the file system fills up under a flood of incidents: every request
#    still arrives masked, the writer gives up on its batches after
#    --db-retry-s and counts them (dlpctl status: incidents.lost), and once
#    space is freed it writes again;
#  - SIGTERM while the store fails and incidents wait: dlpd exits within
#    its bound, 0, with the lost incidents in its last line;
#  - a read-only state directory at start: a clear error, exit 1, at once;
#  - a corrupt database at start: moved aside (kept), a new one created,
#    incidents recorded in it;
#  - a flood of 300 connections from one source: one row per minute past
#    60 flows, every flow counted, another source's incident kept.
# Usage: store_faults_e2e.sh BUILD_DIR SOURCE_DIR
source "$(dirname "$0")/netns_lib.sh" || exit 1
netns_prologue "$@"
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }

STATE=$WORK/state
DB=$STATE/incidents.db
SOCK=$WORK/dlpd.sock
mkdir -p "$STATE"
mount -t tmpfs -o size=4m dlpd-state "$STATE"
netns_on_exit "umount -l '$STATE'"

post() {  # post ID: a request with a card, on a new connection
  ip netns exec "$NS_C" curl -s -S --max-time 10 -o /dev/null -H "X-Test-Id: $1" \
    --data-binary "card=4111 1111 1111 1111&id=$1" http://10.99.2.2/upload
}
masked() { [ "$(cat "$WORK/recv/$1.body" 2>/dev/null)" = "card=XXXX XXXX XXXX XXXX&id=$1" ]; }
lost() {
  "$BUILD/dlpctl" status --socket "$SOCK" --json 2>/dev/null \
    | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["incidents"]["lost"])' 2>/dev/null \
    || echo -1
}
rows() { sqlite3 "$DB" 'select count(*) from incidents' 2>/dev/null || echo -1; }
fill() { dd if=/dev/zero of="$STATE/fill" bs=64k 2> /dev/null || true; }
flood() {  # flood PREFIX N: N requests; true if each arrived masked
  local i all=0
  for i in $(seq "$2"); do
    post "$1-$i" && masked "$1-$i" || all=1
  done
  return $all
}

netns_start "$WORK" "$BUILD/dlpd" --nfqueue 0 --db "$DB" --db-retry-s 2 --control-socket "$SOCK"
post first && masked first && ok || bad "first request not masked"
for _ in $(seq 50); do [ "$(rows)" -ge 1 ] && break; sleep 0.1; done
[ "$(rows)" = 1 ] && ok || bad "the first incident was not stored ($(rows) rows)"

# Full: traffic flows, masked; incidents are lost after --db-retry-s, counted.
fill
flood full 100 && ok || bad "requests failed or left unmasked while the disk was full"
for _ in $(seq 150); do [ "$(lost)" -gt 0 ] && break; sleep 0.1; done
n=$(lost)
[ "$n" -gt 0 ] && ok || bad "no incident counted lost on a full disk (lost=$n)"
grep -q 'incident store: .*incidents lost so far.*traffic is not held' "$WORK/dlpd.log" && ok \
  || bad "the failing store was not logged"
[ "$(rows)" = 1 ] && ok || bad "rows written on a full disk? ($(rows))"

# Space again: the writer writes again (within its retry interval).
rm -f "$STATE/fill"
flood again 5 && ok || bad "requests after space was freed"
for _ in $(seq 150); do [ "$(rows)" -gt 1 ] && break; sleep 0.1; done
[ "$(rows)" -gt 1 ] && ok || bad "nothing written once space was freed ($(rows) rows)"
grep -q 'incident store: writing again after' "$WORK/dlpd.log" && ok || bad "recovery not logged"

# Full again, incidents waiting: SIGTERM ends dlpd within its bound.
fill
flood last 30 && ok || bad "requests on the second full disk"
t0=$(date +%s%N)
kill -TERM "$DLPD"
rc=0
wait "$DLPD" || rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
[ "$rc" = 0 ] && ok || bad "dlpd exited $rc on SIGTERM with a failing store"
[ "$ms" -lt 10000 ] && ok || bad "SIGTERM took $ms ms with a failing store"
echo "SIGTERM with a failing store: exited in $ms ms"
grep -o 'incidents: .*' "$WORK/dlpd.log" | tail -1
last=$(grep -o 'incidents: .* lost=[0-9]*' "$WORK/dlpd.log" | tail -1 | sed 's/.*lost=//')
[ "${last:-0}" -ge "$n" ] && [ "${last:-0}" -gt 0 ] && ok || bad "the exit line does not count the lost incidents ($last)"
rm -f "$STATE/fill"

# A read-only state directory at start: a clear error, at once.
mount -o remount,ro "$STATE"
t0=$(date +%s%N)
rc=0
ip netns exec "$NS_G" timeout 20 "$BUILD/dlpd" --nfqueue 0 --db "$DB" --control-socket "$SOCK" \
  2> "$WORK/ro.log" || rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
[ "$rc" = 1 ] && ok || bad "dlpd on a read-only state directory exited $rc"
grep -q "incident database $DB: Read-only file system" "$WORK/ro.log" && ok \
  || bad "read-only: $(cat "$WORK/ro.log")"
[ "$ms" -lt 5000 ] && ok || bad "read-only: took $ms ms to fail"
# Room for the rest (a WAL grows to 4 MiB before its checkpoint).
mount -o remount,rw,size=64m "$STATE"

# A corrupt database at start: moved aside, a new one made and used.
before=$(rows)
/usr/bin/python3 - "$DB" <<'PY'
import sqlite3, sys
path = sys.argv[1]
c = sqlite3.connect(path)
c.execute("pragma wal_checkpoint(truncate)")
pages = c.execute("pragma page_count").fetchone()[0]
c.close()
assert pages > 4, pages
with open(path, "r+b") as f:  # garbage over every page but the first (the schema)
    f.seek(4096)
    f.write(b"\xab" * 4096 * (pages - 1))
PY
ip netns pids "$NS_S" | xargs -r kill  # the sink: netns_start starts another
sleep 0.3
netns_start "$WORK" "$BUILD/dlpd" --nfqueue 0 --db "$DB" --control-socket "$SOCK"
# (Found by quick_check, or already reading the schema when it outgrew the
# first page: "database disk image is malformed".)
grep -q "incident database $DB is corrupt (.*): moved to $DB.corrupt-" "$WORK/dlpd.log" \
  && ok || bad "corrupt database: $(head -5 "$WORK/dlpd.log")"
aside=$(ls "$DB".corrupt-* 2> /dev/null | grep -v -e '-wal$' -e '-shm$' | head -1)
[ -n "$aside" ] && [ "$(stat -c %s "$aside")" -gt 4096 ] && ok || bad "the corrupt database was not kept"
post fresh && masked fresh && ok || bad "request after the database was replaced"
for _ in $(seq 50); do [ "$(rows)" -ge 1 ] && break; sleep 0.1; done
[ "$(rows)" = 1 ] && ok || bad "the new database has $(rows) rows (the old one had $before)"

# A flood from one source (300 connections, a card each, over IPv4) after
# an incident from another (the client's IPv6 address): past 60 flows a
# minute the flood is one row per minute, and the other's incident stays.
ip netns exec "$NS_C" curl -s -S --max-time 10 -o /dev/null -H "X-Test-Id: other" \
  --data-binary "card=4111 1111 1111 1111&id=other" 'http://[fd99:2::2]/upload'
masked other && ok || bad "the IPv6 request was not masked"
flood flood 300 && ok || bad "flood requests failed or left unmasked"
for _ in $(seq 100); do
  [ "$(sqlite3 "$DB" 'select coalesce(sum(flows), 0) from incidents')" -ge 302 ] && break
  sleep 0.1
done
[ "$(sqlite3 "$DB" 'select sum(flows) from incidents')" = 302 ] && ok \
  || bad "the rows do not count every flow: $(sqlite3 "$DB" 'select sum(flows) from incidents')"
n=$(rows)
[ "$n" -le 125 ] && ok || bad "a flood of 300 flows made $n rows"
[ "$(sqlite3 "$DB" "select count(*) from incidents where src_ip = 'fd99:1::2'")" = 1 ] && ok \
  || bad "the other source's incident is gone"
agg=$(sqlite3 "$DB" "select count(*) from incidents where src_port = 0 and flows > 1")
[ "$agg" -ge 1 ] && ok || bad "no aggregate row"
echo "flood of 300 flows: $n rows, $agg aggregate"
kill -TERM "$DLPD"
wait "$DLPD" && ok || bad "dlpd did not exit 0"

# No full value in the database, the one moved aside, or the log.
if grep -a -q -e '4111 1111 1111 1111' -e '4111111111111111' "$DB" "$aside" "$WORK/dlpd.log"; then
  bad "a full card number in the database or the log"
else
  ok
fi

echo "store faults e2e: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
