#!/usr/bin/env bash
# kill -9 of dlpd while it writes incidents as fast as it can: no committed
# incident is lost and the database passes PRAGMA integrity_check. A line
# in the EVE log is written only after its incident's transaction commits,
# so every complete line must be in the database with at least its count.
# A reader polls the database meanwhile (it must not stall the writer).
# Usage: crash_test.sh BUILD_DIR
set -euo pipefail
BUILD=$(cd "$1" && pwd)
WORK=$(mktemp -d)
reader=""
trap '[ -n "$reader" ] && kill "$reader" 2>/dev/null; rm -rf "$WORK"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }
DB="$WORK/incidents.db"
# Like any reader beside a writer, the checks wait for a lock, not fail on it.
sql() { sqlite3 -cmd '.timeout 5000' "$DB" "$1"; }

"$BUILD/tests/flood_pcap" "$WORK/flood.pcap" 150000
"$BUILD/dlpd" --pcap-in "$WORK/flood.pcap" --pcap-out /dev/null --db "$DB" \
  --eve-log "$WORK/eve.json" --log-level warn 2> "$WORK/dlpd.log" &
pid=$!
( while sleep 0.05; do "$BUILD/dlpctl" incidents stats --db "$DB" > /dev/null 2>&1 || true; done ) &
reader=$!
# Heavy writing under way: thousands of incidents committed, more coming.
for _ in $(seq 1 600); do
  [ -f "$WORK/eve.json" ] && [ "$(wc -l < "$WORK/eve.json")" -ge 20000 ] && break
  sleep 0.05
done
lines_at_kill=$(wc -l < "$WORK/eve.json")
kill -9 "$pid"
wait "$pid" 2>/dev/null || true
# Killing the loop orphans a dlpctl it may be running; a reader still open on
# the crashed database (it may be recovering the WAL) would make the checks
# below see "database is locked", so wait for it to end too.
kill "$reader" 2>/dev/null || true
wait "$reader" 2>/dev/null || true
reader=""
for _ in $(seq 1 100); do
  pgrep -f "dlpctl incidents stats --db $DB" > /dev/null || break
  sleep 0.05
done
[ "$lines_at_kill" -ge 20000 ] && ok || bad "only $lines_at_kill incidents before the kill"

[ "$(sql 'PRAGMA integrity_check')" = ok ] && ok || bad "integrity_check"
rows=$(sql 'SELECT count(*) FROM incidents')
[ "$rows" -lt 300000 ] && ok || bad "dlpd finished before the kill ($rows rows)"
/usr/bin/python3 - "$WORK/eve.json" "$DB" <<'PY' && ok || bad "committed incidents lost"
import collections, json, sqlite3, sys
data = open(sys.argv[1], "rb").read()
complete = data[: data.rfind(b"\n") + 1].decode().splitlines()  # a torn last line is not a commit
want = collections.Counter()
for line in complete:
    e = json.loads(line)
    key = (e["dlp"]["flow_id"], e["dlp"]["rule"])  # a line holds the incident's total so far
    want[key] = max(want[key], e["dlp"]["count"])
db = sqlite3.connect(sys.argv[2])
have = dict(((f, r), c) for f, r, c in db.execute("SELECT flow_id, rule_id, match_count FROM incidents"))
missing = [k for k in want if k not in have]
short = [k for k in want if k in have and have[k] < want[k]]
print(f"crash: {len(complete)} committed lines, {len(have)} rows, {len(missing)} missing, {len(short)} short")
assert not missing and not short
PY
# The database is usable at once: dlpd starts on it again and adds to it.
"$BUILD/tests/flood_pcap" "$WORK/small.pcap" 10
"$BUILD/dlpd" --pcap-in "$WORK/small.pcap" --pcap-out /dev/null --db "$DB" --log-level warn \
  2>> "$WORK/dlpd.log" && ok || bad "restart on the crashed database"
[ "$(sql 'SELECT count(*) FROM incidents')" = $((rows + 20)) ] && ok || bad "rows after restart"

echo "crash: $pass passed, $fail failed"
[ "$fail" = 0 ]
