#!/usr/bin/env bash
# `dlpctl incidents` on a database the real pipeline populated (dlpd in pcap
# mode over a scapy capture): every verb, every output format, every filter,
# clear errors, file modes, and no full value in any file or output.
# Usage: incidents_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
BUILD=$(cd "$1" && pwd)
SRC=$(cd "$2" && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }
DB="$WORK/incidents.db"
ctl() { "$BUILD/dlpctl" incidents "$@" --db "$DB"; }

/usr/bin/python3 "$SRC/tests/storage/make_incident_pcap.py" "$WORK/in.pcap" 2>/dev/null
"$BUILD/dlpd" --pcap-in "$WORK/in.pcap" --pcap-out "$WORK/out.pcap" --db "$DB" \
  --eve-log "$WORK/eve.json" 2> "$WORK/dlpd.log" && ok || bad "dlpd exit"

# Modes: the database and key owner-only, the EVE log group-readable.
[ "$(stat -c %a "$DB")" = 600 ] && ok || bad "db mode $(stat -c %a "$DB")"
[ "$(stat -c %a "$DB.key")" = 600 ] && ok || bad "key mode $(stat -c %a "$DB.key")"
[ "$(stat -c %a "$WORK/eve.json")" = 640 ] && ok || bad "eve mode"

# check NAME EXPECTED_EXIT -- ARGS... : runs dlpctl incidents, keeps stdout in $WORK/NAME
check() {
  local name=$1 want=$2
  shift 3
  local rc=0
  ctl "$@" > "$WORK/$name.out" 2> "$WORK/$name.err" || rc=$?
  [ "$rc" = "$want" ] && ok || bad "$name: exit $rc, want $want: $(cat "$WORK/$name.err")"
}
rows_json() { /usr/bin/python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$WORK/$1.out"; }

check list 0 -- list
# 5 incidents: A pan, A us-ssn, B pan, B us-ssn, C us-ssn, E us-ssn = 6 rows.
[ "$(($(wc -l < "$WORK/list.out") - 1))" = 6 ] && ok || bad "table rows: $(cat "$WORK/list.out")"
head -1 "$WORK/list.out" | grep -q '^ID  FIRST SEEN (UTC)  *RULE' && ok || bad "table header"
grep -q 'POST shop.example/pay?card=XXXXXXXXXXXXXXXX' "$WORK/list.out" && ok || bad "masked URI in table"
grep -q '\[2001:db8::10\]:40001' "$WORK/list.out" && ok || bad "IPv6 endpoint in table"
# The escape byte from the Host never reaches the terminal.
grep -q 'evil.\{1,4\}\[31m.example' "$WORK/list.out" && ok || bad "Host with an escape byte"
! grep -q $'\x1b' "$WORK/list.out" && ok || bad "raw ESC byte in table output"

check json 0 -- list --format json
/usr/bin/python3 - "$WORK/json.out" <<'PY' && ok || { bad "json content"; cat "$WORK/json.out" >&2; }
import json, sys
rows = json.load(open(sys.argv[1]))
assert len(rows) == 6, rows
a = {r["rule"]: r for r in rows if r["src_ip"] == "192.0.2.10"}
assert a["pan"]["count"] == 3 and a["us-ssn"]["count"] == 1, a
assert a["pan"]["http_path"] == "/pay?card=XXXXXXXXXXXXXXXX", a["pan"]
assert a["pan"]["http_host"] == "shop.example" and a["pan"]["http_method"] == "POST"
assert a["pan"]["sample"].endswith("1111") and a["pan"]["sample"].startswith("XXXX")
assert len(a["pan"]["fingerprint"]) == 32 and a["pan"]["action"] == "mask"
assert a["pan"]["flow_id"] == a["us-ssn"]["flow_id"]
c = [r for r in rows if r["src_ip"] == "192.0.2.11"]
assert len(c) == 1 and c[0]["rule"] == "us-ssn" and c[0]["sample"] == "XXX-XX-9999", c
ids = [r["id"] for r in rows]
assert ids == sorted(ids, reverse=True), ids  # newest first
# Every incident has its value's fingerprint; the same SSN in flows A and E
# has the same one, different values have different ones.
assert all(len(r["fingerprint"]) == 32 for r in rows), [r["fingerprint"] for r in rows]
e = [r for r in rows if r["src_ip"] == "192.0.2.13"][0]
assert e["fingerprint"] == a["us-ssn"]["fingerprint"]
assert len({r["fingerprint"] for r in rows}) == 5
PY

check csv 0 -- list --format csv
/usr/bin/python3 - "$WORK/csv.out" <<'PY' && ok || bad "csv content"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
assert len(rows) == 6
assert {r["rule"] for r in rows} == {"pan", "us-ssn"}
assert sum(int(r["count"]) for r in rows) == 8, [r["count"] for r in rows]
assert all(r["dst_port"] == "80" for r in rows)
PY

# Filters.
check f_rule 0 -- list --rule us-ssn --format json
[ "$(rows_json f_rule)" = 4 ] && ok || bad "--rule us-ssn: $(rows_json f_rule)"
check f_rules 0 -- list --rule us-ssn,pan --format json
[ "$(rows_json f_rules)" = 6 ] && ok || bad "--rule a,b"
check f_dst6 0 -- list --dst 2001:db8::/32 --format json
[ "$(rows_json f_dst6)" = 2 ] && ok || bad "--dst v6"
check f_dst4 0 -- list --dst 203.0.113.0/24 --format json
[ "$(rows_json f_dst4)" = 1 ] && ok || bad "--dst v4"
check f_src 0 -- list --src 192.0.2.10 --format json
[ "$(rows_json f_src)" = 2 ] && ok || bad "--src host"
check f_action 0 -- list --action mask --format json
[ "$(rows_json f_action)" = 6 ] && ok || bad "--action mask"
check f_alert 0 -- list --action alert
grep -q '^no incidents$' "$WORK/f_alert.out" && ok || bad "no rows message"
# A name the filter can never match is an error, not an all-clear.
check f_typo_action 2 -- list --action masked
grep -q "unknown action 'masked' (actions: pass, alert, mask, mask-partial, block)" "$WORK/f_typo_action.err" && ok \
  || bad "--action masked: $(cat "$WORK/f_typo_action.err")"
check f_typo_rule 2 -- stats --rule pann
grep -q "no rule 'pann' in the rule set or in .* (rules: pan, us-ssn)" "$WORK/f_typo_rule.err" && ok \
  || bad "--rule pann: $(cat "$WORK/f_typo_rule.err")"
# A rule of the rule set dlpd's settings name, with no incident yet: none.
mkdir -p "$WORK/rules"
printf 'rules:\n  - id: emp\n    patterns: ["EMP[0-9]{6}"]\n' > "$WORK/rules/emp.yaml"
printf 'rules: %s\n' "$WORK/rules" > "$WORK/dlpd.conf"
DLPD_CONFIG=$WORK/dlpd.conf check f_rule_unfired 0 -- list --rule emp
grep -q '^no incidents$' "$WORK/f_rule_unfired.out" && ok || bad "--rule emp: $(cat "$WORK/f_rule_unfired.out" "$WORK/f_rule_unfired.err")"
check f_limit 0 -- list --limit 2 --format json
[ "$(rows_json f_limit)" = 2 ] && ok || bad "--limit"
check f_since 0 -- list --since 1h --format json
[ "$(rows_json f_since)" = 6 ] && ok || bad "--since 1h"
check f_until 0 -- list --until 1h --format json
[ "$(rows_json f_until)" = 0 ] && ok || bad "--until 1h"
check f_date 0 -- list --since 2000-01-01 --until now --format json
[ "$(rows_json f_date)" = 6 ] && ok || bad "--since date --until now"

# show
first_id=$(/usr/bin/python3 -c 'import json,sys; print(min(r["id"] for r in json.load(open(sys.argv[1]))))' "$WORK/json.out")
check show 0 -- show "$first_id"
grep -q "^id: *$first_id$" "$WORK/show.out" && grep -q '^fingerprint: ' "$WORK/show.out" && ok || bad "show table"
check show_json 0 -- show "$first_id" --format json
/usr/bin/python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["id"]==int(sys.argv[2])' \
  "$WORK/show_json.out" "$first_id" && ok || bad "show json"
check show_missing 1 -- show 99999

# stats
check stats 0 -- stats
grep -q '^6 incidents, 8 values$' "$WORK/stats.out" && ok || bad "stats total: $(head -1 "$WORK/stats.out")"
grep -q '^198.51.100.20:80 (shop.example) ' "$WORK/stats.out" && ok || bad "stats destination"
check stats_json 0 -- stats --format json
/usr/bin/python3 - "$WORK/stats_json.out" <<'PY' && ok || bad "stats json"
import json, sys
s = json.load(open(sys.argv[1]))
assert s["incidents"] == 6 and s["matches"] == 8, s
by_rule = {r["rule"]: (r["incidents"], r["matches"]) for r in s["by_rule"]}
assert by_rule == {"pan": (2, 4), "us-ssn": (4, 4)}, by_rule
assert sum(h["incidents"] for h in s["by_hour"]) == 6
PY
check stats_csv 0 -- stats --format csv --rule pan
grep -q '^total,,2,4' "$WORK/stats_csv.out" && ok || bad "stats csv: $(head -2 "$WORK/stats_csv.out")"

# export: EVE JSON lines, oldest first, to stdout or a file.
check export 0 -- export
check export_file 0 -- export --rule pan -o "$WORK/export.json"
/usr/bin/python3 - "$WORK/export.out" "$WORK/export.json" <<'PY' && ok || bad "export content"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
assert len(lines) == 6
for e in lines:
    assert e["event_type"] == "alert" and e["proto"] == "TCP"
    for k in ("timestamp", "src_ip", "src_port", "dest_ip", "dest_port"):
        assert k in e, k
    assert e["alert"]["category"] == "Data Leakage" and e["alert"]["severity"] in (1, 2, 3)
    assert e["dlp"]["rule"] in ("pan", "us-ssn") and e["dlp"]["count"] >= 1
ids = [e["dlp"]["incident_id"] for e in lines]
assert ids == sorted(ids), ids
assert len(open(sys.argv[2]).readlines()) == 2
PY
# The daemon's live EVE log has a line per stored update of an incident:
# per flow and rule, the counts add up to the database's.
/usr/bin/python3 - "$WORK/eve.json" "$WORK/json.out" <<'PY' && ok || bad "eve log vs database"
import collections, json, sys
sums = collections.Counter()
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e["event_type"] != "alert":
        continue  # anomaly lines (the IPv6 flow's body has no Content-Length)
    sums[(e["dlp"]["flow_id"], e["dlp"]["rule"])] += e["dlp"]["count"]
db = {(r["flow_id"], r["rule"]): r["count"] for r in json.load(open(sys.argv[2]))}
assert dict(sums) == db, (sums, db)
PY

# Errors say what is wrong and exit 2.
check bad_since 2 -- list --since yesterday
grep -q "'yesterday' is not a time" "$WORK/bad_since.err" && ok || bad "bad --since message"
check bad_cidr 2 -- list --dst 10.0.0.0/33
grep -q "prefix length must be 0-32" "$WORK/bad_cidr.err" && ok || bad "bad CIDR message"
rc=0
"$BUILD/dlpctl" incidents list --db "$WORK/nothing.db" 2> "$WORK/nodb.err" || rc=$?
[ "$rc" = 2 ] && grep -q "no incident database at" "$WORK/nodb.err" && ok || bad "missing db"
rc=0
DLPD_DB="$DB" "$BUILD/dlpctl" incidents stats > /dev/null || rc=$?
[ "$rc" = 0 ] && ok || bad "DLPD_DB"

# No full value anywhere: database (and WAL), EVE log, every output, the log.
/usr/bin/python3 - "$WORK" <<'PY' && ok || bad "a full value was written"
import os, re, sys
values = ["4111111111111111", "5555555555554444", "378282246310005", "536221457", "078051120",
          "219099999"]
hits = []
for root, _, files in os.walk(sys.argv[1]):
    for f in files:
        if f.endswith(".pcap") or f.endswith(".key"):
            continue  # the capture is the input; the key is random bytes
        data = open(os.path.join(root, f), "rb").read()
        digits = re.sub(rb"[^0-9]", b"", data)
        for v in values:
            # Formatted or not: compare on the digits alone, and the raw text.
            if v.encode() in data or (len(v) > 9 and v.encode() in digits):
                hits.append((f, v))
        for formatted in (b"536-22-1457", b"4111 1111 1111 1111", b"078-05-1120", b"219-09-9999"):
            if formatted in data:
                hits.append((f, formatted))
assert not hits, hits
PY

echo "incidents: $pass passed, $fail failed"
[ "$fail" = 0 ]
