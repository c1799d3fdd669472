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
# The default table fits 80 columns (off a terminal; on one, its width).
head -1 "$WORK/list.out" | grep -q '^ID  TIME (UTC)  *RULE  *ACTION  *VALUES  *SOURCE  *DESTINATION$' && ok \
  || bad "table header: $(head -1 "$WORK/list.out")"
[ "$(awk '{ if (length($0) > n) n = length($0) } END { print n }' "$WORK/list.out")" -le 80 ] && ok \
  || bad "a line wider than 80: $(cat "$WORK/list.out")"
grep -q ' 2001:db8::10  *api.example$' "$WORK/list.out" && ok || bad "IPv6 source, Host as destination"
check wide 0 -- list --wide
head -1 "$WORK/wide.out" | grep -q '^ID  FIRST SEEN (UTC)  *RULE  *SEVERITY' && ok || bad "wide table header"
grep -q 'POST shop.example/pay?card=XXXXXXXXXXXXXXXX' "$WORK/wide.out" && ok || bad "masked URI in table"
grep -q '\[2001:db8::10\]:40001' "$WORK/wide.out" && ok || bad "IPv6 endpoint in table"
# The escape byte from the Host never reaches the terminal.
grep -q 'evil.\{1,4\}\[31m.example' "$WORK/wide.out" && ok || bad "Host with an escape byte"
! grep -q $'\x1b' "$WORK/wide.out" "$WORK/list.out" && ok || bad "raw ESC byte in table output"

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
grep -q '^6 incidents, 8 values: 8 masked, 0 partly masked, 0 in clear, 0 blocked$' "$WORK/stats.out" \
  && ok || bad "stats total: $(head -1 "$WORK/stats.out")"
# One SSN in flows A and E, one card twice in A (URI and body): 6 distinct of 8.
grep -q '^distinct values: 6, 0 of them in clear at least once$' "$WORK/stats.out" && ok \
  || bad "stats distinct: $(sed -n 2p "$WORK/stats.out")"
grep -q '^198.51.100.20:80 (shop.example) ' "$WORK/stats.out" && ok || bad "stats destination"
check stats_json 0 -- stats --format json
/usr/bin/python3 - "$WORK/stats_json.out" <<'PY' && ok || bad "stats json"
import json, sys
s = json.load(open(sys.argv[1]))
assert s["incidents"] == 6 and s["values"] == 8 and s["values_masked"] == 8, s
assert s["distinct_values"] == 6 and s["distinct_values_in_clear"] == 0, s
by_rule = {r["rule"]: (r["incidents"], r["values"], r["distinct_values"]) for r in s["by_rule"]}
assert by_rule == {"pan": (2, 4, 3), "us-ssn": (4, 4, 3)}, by_rule
assert sum(h["incidents"] for h in s["by_hour"]) == 6
assert sum(d["incidents"] for d in s["by_day"]) == 6
src = {r["source"]: r["incidents"] for r in s["by_source"]}
assert src == {"192.0.2.10": 2, "[2001:db8::10]": 2, "192.0.2.11": 1, "192.0.2.13": 1}, src
assert {r["severity"] for r in s["by_severity"]} == {"critical", "high"}, s["by_severity"]
PY
check stats_csv 0 -- stats --format csv --rule pan
grep -q '^total,,2,4,0,3,0' "$WORK/stats_csv.out" && ok || bad "stats csv: $(head -2 "$WORK/stats_csv.out")"
# --limit cuts each breakdown (day and hour stay whole).
check stats_top 0 -- stats --format json --limit 1
/usr/bin/python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); assert len(s["by_source"]) == 1 and len(s["by_rule"]) == 1 and s["incidents"] == 6, s' \
  "$WORK/stats_top.out" && ok || bad "stats --limit"

# Filters by severity, Host (a glob, any case), value fingerprint, id.
check f_sev 0 -- list --severity high --format json
[ "$(rows_json f_sev)" = 4 ] && ok || bad "--severity high: $(rows_json f_sev)"
check f_sev_typo 2 -- list --severity hihg
grep -q "unknown severity 'hihg' (severities: low, medium, high, critical)" "$WORK/f_sev_typo.err" && ok \
  || bad "--severity hihg: $(cat "$WORK/f_sev_typo.err")"
check f_host 0 -- list --host 'SHOP.*' --format json
[ "$(rows_json f_host)" = 2 ] && ok || bad "--host SHOP.*: $(rows_json f_host)"
# As the policy reads a Host: case and a trailing dot do not count, nor the
# port, which a pattern may not name (it would match every port).
check f_host_dot 0 -- list --host 'Shop.Example.' --format json
[ "$(rows_json f_host_dot)" = 2 ] && ok || bad "--host Shop.Example.: $(rows_json f_host_dot)"
for pattern in 'shop.example:8080' '*:8080' '[2001:db8::1]:80'; do
  check f_host_port 2 -- list --host "$pattern"
  grep -q "leave the port out" "$WORK/f_host_port.err" && ok || bad "--host $pattern: $(cat "$WORK/f_host_port.err")"
done
check f_host_v6 0 -- list --host '2001:db8::*'
check f_host_none 0 -- list --host '*.nowhere'
grep -q '^no incidents$' "$WORK/f_host_none.out" && ok || bad "--host no match"
ssn_fp=$(/usr/bin/python3 -c 'import json,sys; print([r for r in json.load(open(sys.argv[1])) if r["src_ip"] == "192.0.2.13"][0]["fingerprint"])' "$WORK/json.out")
check f_fp 0 -- list --fingerprint "${ssn_fp^^}" --format json
/usr/bin/python3 -c 'import json,sys; assert sorted(r["src_ip"] for r in json.load(open(sys.argv[1]))) == ["192.0.2.10", "192.0.2.13"]' \
  "$WORK/f_fp.out" && ok || bad "--fingerprint (the SSN of A and E): $(cat "$WORK/f_fp.out")"
check f_fp_prefix 0 -- list --fingerprint "${ssn_fp:0:8}" --format json
[ "$(rows_json f_fp_prefix)" = 2 ] && ok || bad "--fingerprint prefix"
check f_fp_bad 2 -- list --fingerprint '1234*'
grep -q "fingerprint '1234\*': a value's fingerprint" "$WORK/f_fp_bad.err" && ok || bad "--fingerprint glob refused"
check f_fp_long 2 -- list --fingerprint "${ssn_fp}0"  # longer than any fingerprint: never a match
grep -q "a value's fingerprint" "$WORK/f_fp_long.err" && ok || bad "--fingerprint of 33 digits accepted"
# The limit's notice goes to stderr; JSON stays whole.
check f_notice 0 -- list --limit 2 --format json
grep -q '^dlpctl: 2 of 6 incidents shown' "$WORK/f_notice.err" && ok || bad "limit notice: $(cat "$WORK/f_notice.err")"
check f_no_notice 0 -- list --limit 6
[ ! -s "$WORK/f_no_notice.err" ] && ok || bad "a notice when nothing was cut"
# An incremental export: after the last id seen, nothing twice, nothing lost.
check inc1 0 -- export --limit 4
last=$(tail -1 "$WORK/inc1.out" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["dlp"]["incident_id"])')
check inc2 0 -- export --after-id "$last"
/usr/bin/python3 - "$WORK/inc1.out" "$WORK/inc2.out" <<'PY' && ok || bad "incremental export"
import json, sys
ids = [json.loads(l)["dlp"]["incident_id"] for f in sys.argv[1:] for l in open(f)]
assert sorted(ids) == list(range(1, 7)) and len(set(ids)) == 6, ids
PY

# What became of each value, and how many distinct ones, under a threshold
# policy: one card 25 times in flow F (the first 9 alerted, in clear, the
# rest masked), three cards in flow G, one of them F's (all in clear: below
# the threshold in their flow), and two SSNs in flow H, blocked.
TDB="$WORK/threshold.db"
/usr/bin/python3 "$SRC/tests/storage/make_incident_pcap.py" "$WORK/repeats.pcap" --repeats 2>/dev/null
cat > "$WORK/threshold.yaml" <<'YAML'
default: mask
statements:
  - name: cards-alert-first
    when: {rule: pan}
    action: alert
    thresholds:
      - {from: 10, action: mask}
  - name: ssn-block
    when: {rule: us-ssn}
    action: block
YAML
# A connection kept alive: a card to a.example (masked), then one to
# partner.example on the same connection, one row for the flow and rule.
# A search by the second Host finds it; show lists both.
/usr/bin/python3 - "$WORK/keepalive.pcap" <<'PY'
import sys
from scapy.all import IP, TCP, Ether, Raw, wrpcap
ip = IP(src="192.0.2.40", dst="198.51.100.30")
reqs = [b"POST /a HTTP/1.1\r\nHost: a.example\r\nContent-Length: 22\r\n\r\ncard=4111111111111111;",
        b"POST /b HTTP/1.1\r\nHost: partner.example\r\nContent-Length: 22\r\n\r\ncard=5555555555554444;"]
pkts, seq = [Ether() / ip / TCP(sport=43000, dport=80, seq=99, flags="S")], 100
for r in reqs:
    pkts.append(Ether() / ip / TCP(sport=43000, dport=80, seq=seq, flags="PA") / Raw(r))
    seq += len(r)
wrpcap(sys.argv[1], pkts)
PY
KDB="$WORK/keepalive.db"
"$BUILD/dlpd" --pcap-in "$WORK/keepalive.pcap" --pcap-out /dev/null --db "$KDB" 2> "$WORK/keepalive.log" \
  && ok || bad "dlpd (keep-alive): $(tail -1 "$WORK/keepalive.log")"
"$BUILD/dlpctl" incidents list --db "$KDB" --host 'PARTNER.*' --format json > "$WORK/k_host.out"
[ "$(rows_json k_host)" = 1 ] && ok || bad "the second request's Host not found: $(cat "$WORK/k_host.out")"
"$BUILD/dlpctl" incidents show 1 --db "$KDB" --format json > "$WORK/k_show.out"
/usr/bin/python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["hosts"] == ["a.example", "partner.example"] and r["count"] == 2, r' \
  "$WORK/k_show.out" && ok || bad "show's hosts: $(cat "$WORK/k_show.out")"

# The built-in rules, the card rule with the fields a SIEM keys on.
mkdir -p "$WORK/siem-rules"
cp "$SRC"/rules/default/*.yaml "$WORK/siem-rules/"
/usr/bin/python3 - "$WORK/siem-rules/pan.yaml" <<'PY'
import sys
text = open(sys.argv[1]).read()
line = "    name: Payment card number\n"
assert line in text
text = text.replace(line, line + "    sid: 2100001\n    rev: 4\n    classtype: pci-data\n"
                    "    metadata: {standard: [pci-dss], owner: dlp-team}\n")
open(sys.argv[1], "w").write(text)
PY
"$BUILD/dlpd" --pcap-in "$WORK/repeats.pcap" --pcap-out "$WORK/repeats.out.pcap" --db "$TDB" \
  --rules "$WORK/siem-rules" --policy "$WORK/threshold.yaml" --eve-log "$WORK/threshold.eve.json" \
  --sensor-name gw-test 2> "$WORK/threshold.log" \
  && ok || bad "dlpd (threshold): $(tail -1 "$WORK/threshold.log")"
"$BUILD/dlpctl" incidents list --db "$TDB" --format json > "$WORK/t_list.out" && ok || bad "threshold list"
/usr/bin/python3 - "$WORK/t_list.out" <<'PY' && ok || bad "outcomes per incident: $(cat "$WORK/t_list.out")"
import json, sys
rows = {r["src_ip"]: r for r in json.load(open(sys.argv[1]))}
f, g, h = rows["192.0.2.20"], rows["192.0.2.21"], rows["192.0.2.22"]
# The capture's time, not the replay's; and not pruned as older than 90 days.
assert f["time"].startswith("2026-03-01T10:00:00.0") and g["time"].startswith("2026-03-02T10:00"), f
assert h["last_seen"].startswith("2026-03-03T10:00:00.0"), h
# The action alone (mask) hid that 9 of the 25 left in clear.
assert (f["action"], f["count"], f["masked"], f["in_clear"]) == ("mask", 25, 16, 9), f
assert (g["action"], g["count"], g["masked"], g["in_clear"]) == ("alert", 3, 0, 3), g
assert (h["action"], h["count"], h["blocked"], h["in_clear"]) == ("block", 2, 2, 0), h
PY
"$BUILD/dlpctl" incidents stats --db "$TDB" > "$WORK/t_stats.out" && ok || bad "threshold stats"
grep -q '^3 incidents, 30 values: 16 masked, 0 partly masked, 12 in clear, 2 blocked$' "$WORK/t_stats.out" \
  && ok || bad "threshold totals: $(head -1 "$WORK/t_stats.out")"
grep -q '^distinct values: 5, 3 of them in clear at least once$' "$WORK/t_stats.out" && ok \
  || bad "threshold distinct: $(sed -n 2p "$WORK/t_stats.out")"
# By day: the capture's three days.
"$BUILD/dlpctl" incidents stats --db "$TDB" --format csv > "$WORK/t_days.out"
[ "$(grep -c '^day,2026-03-0[123],1,' "$WORK/t_days.out")" = 3 ] && ok || bad "by day: $(grep '^day' "$WORK/t_days.out")"
"$BUILD/dlpctl" incidents list --db "$TDB" --since 2026-03-02 --until 2026-03-03 --format json > "$WORK/t_day2.out"
[ "$(rows_json t_day2)" = 1 ] && ok || bad "one day of the capture: $(cat "$WORK/t_day2.out")"
# Another replay into the same database, of a capture from the same week:
# its retention measures ages on the capture's clock too, so the March
# incidents (older than retain_days by the wall clock) are not pruned.
/usr/bin/python3 - "$WORK/march4.pcap" <<'PY'
import sys
from scapy.all import IP, TCP, Ether, Raw, wrpcap
p = Ether() / IP(src="192.0.2.30", dst="198.51.100.20") / TCP(sport=42000, dport=80, flags="PA") / Raw(b"GET / HTTP/1.1\r\n\r\n")
p.time = 1772618400  # 2026-03-04T10:00:00Z
wrpcap(sys.argv[1], [p])
PY
"$BUILD/dlpd" --pcap-in "$WORK/march4.pcap" --pcap-out /dev/null --db "$TDB" 2>> "$WORK/threshold.log" \
  && ok || bad "second replay"
[ "$("$BUILD/dlpctl" incidents list --db "$TDB" --until 2026-04-01 --format json | /usr/bin/python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 3 ] \
  && ok || bad "the capture's incidents were pruned by the wall clock"
# A capture from 2038 on (pcap's seconds are unsigned 32 bits; libpcap reads
# them signed, 1901 then), its packets out of order: the data 100 s before
# the SYN. Timers never go back, but the incident has its packet's time.
/usr/bin/python3 - "$WORK/y2038.pcap" <<'PY'
import sys
from scapy.all import IP, TCP, Ether, Raw, wrpcap
ip = Ether() / IP(src="192.0.2.40", dst="198.51.100.20")
body = b"ssn=536-22-1457;"
syn = ip / TCP(sport=43000, dport=80, seq=999, flags="S")
data = ip / TCP(sport=43000, dport=80, seq=1000, flags="PA") / Raw(
    b"POST / HTTP/1.1\r\nHost: y.example\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
syn.time = 2**31 + 86400 * 3  # 2038-01-22T03:14:08Z
data.time = syn.time - 100
wrpcap(sys.argv[1], [syn, data])
PY
"$BUILD/dlpd" --pcap-in "$WORK/y2038.pcap" --pcap-out /dev/null --db "$WORK/y2038.db" \
  2> "$WORK/y2038.log" && ok || bad "2038 replay: $(cat "$WORK/y2038.log")"
"$BUILD/dlpctl" incidents list --db "$WORK/y2038.db" --format json > "$WORK/y2038.out"
/usr/bin/python3 - "$WORK/y2038.out" <<'PY' && ok || bad "2038: $(cat "$WORK/y2038.out")"
import json, sys
rows = json.load(open(sys.argv[1]))
assert len(rows) == 1 and rows[0]["time"].startswith("2038-01-22T03:12:28"), rows
assert rows[0]["last_seen"].startswith("2038-01-22T03:12:28"), rows
PY
f_id=$(/usr/bin/python3 -c 'import json,sys; print([r for r in json.load(open(sys.argv[1])) if r["src_ip"] == "192.0.2.20"][0]["id"])' "$WORK/t_list.out")
"$BUILD/dlpctl" incidents show "$f_id" --db "$TDB" --format json > "$WORK/t_show.out" && ok || bad "threshold show"
/usr/bin/python3 - "$WORK/t_show.out" <<'PY' && ok || bad "show's values: $(cat "$WORK/t_show.out")"
import json, sys
r = json.load(open(sys.argv[1]))
assert len(r["values"]) == 1, r["values"]  # one card, 25 times
v = r["values"][0]
assert v["fingerprint"] == r["fingerprint"] and v["outcomes"] == ["masked", "in_clear"], v
PY
# F's card is in both incidents; G's other two only in G's.
f_fp=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["fingerprint"])' "$WORK/t_show.out")
"$BUILD/dlpctl" incidents list --db "$TDB" --fingerprint "$f_fp" --format json > "$WORK/t_fp.out"
[ "$(rows_json t_fp)" = 2 ] && ok || bad "the card seen elsewhere: $(cat "$WORK/t_fp.out")"
# EVE's alert object is the rule's: its name, sid, rev, classtype, metadata;
# the built-in SSN rule's are dlpd's own. host is the sensor's name.
/usr/bin/python3 - "$WORK/threshold.eve.json" <<'PY' && ok || bad "EVE signature fields"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
alerts = {e["dlp"]["rule"]: e for e in lines if e["event_type"] == "alert"}
pan, ssn = alerts["pan"]["alert"], alerts["us-ssn"]["alert"]
assert (pan["signature"], pan["signature_id"], pan["rev"], pan["category"]) == (
    "Payment card number", 2100001, 4, "pci-data"), pan
assert pan["metadata"] == {"owner": ["dlp-team"], "standard": ["pci-dss"]}, pan
assert ssn["signature"] == "US Social Security number" and 9000000 <= ssn["signature_id"] < 10000000, ssn
assert ssn["rev"] == 1 and ssn["category"] == "Data Leakage" and "metadata" not in ssn, ssn
assert all(e["host"] == "gw-test" for e in lines), [e.get("host") for e in lines]
g = [e for e in lines if e["event_type"] == "alert" and e["src_ip"] == "192.0.2.21"][0]
assert g["http"]["http_user_agent"] == "uploader/2.1", g["http"]
# How much the request carried: its Content-Length (Suricata's http.length
# is the response's, which dlpd does not see).
assert g["http"]["request_body_length"] == len(b"a=6011111111111117&b=5105105105105100&c=4012888888881881;"), g["http"]
assert "length" not in g["http"], g["http"]
PY
"$BUILD/dlpctl" incidents export --db "$TDB" --sensor-name gw-test > "$WORK/t_export.out"
# As Filebeat's Suricata module reads them (its field types and processors):
# the live log, with anomalies and IPv6, and the export.
/usr/bin/python3 "$SRC/tests/storage/eve_filebeat_check.py" "$WORK/eve.json" "$WORK/threshold.eve.json" \
  "$WORK/t_export.out" 2> "$WORK/filebeat.err" && ok || bad "EVE as Filebeat reads it: $(head -5 "$WORK/filebeat.err")"
/usr/bin/python3 - "$WORK/threshold.eve.json" "$WORK/t_export.out" <<'PY' && ok || bad "live and export differ"
import json, sys
live = {}
for l in open(sys.argv[1]):
    e = json.loads(l)
    if e["event_type"] == "alert":
        live[e["dlp"]["incident_id"]] = e
exported = {json.loads(l)["dlp"]["incident_id"]: json.loads(l) for l in open(sys.argv[2])}
assert live == exported, (live, exported)
PY
# The report: one HTML file with every section, nothing it would fetch,
# the figures of stats; Markdown for tickets; rendered by a real browser
# (headless Chromium) to a PNG.
"$BUILD/dlpctl" incidents report --db "$TDB" --since 2026-02-01 --until 2026-04-01 \
  -o "$WORK/report.html" && ok || bad "report"
/usr/bin/python3 - "$WORK/report.html" <<'PY' && ok || bad "report content: $(head -c 600 "$WORK/report.html")"
import re, sys
html = open(sys.argv[1]).read()
for section in ("totals", "by-day", "rules", "sources", "destinations", "worst"):
    assert 'id="%s"' % section in html, section
assert html.count("<svg") == 4, html.count("<svg")  # by day, rules, sources, destinations
# Self-contained: no script, and no URL it could fetch (the SVG namespace
# is a name, not a fetch).
assert "<script" not in html.lower()
urls = [u for u in re.findall(r'(?:src|href)\s*=\s*"([^"]*)"', html)]
assert not urls, urls
assert re.search(r"url\(", html) is None
for figure in (">3</b>incidents", ">30</b>values found", ">12</b>values in clear",
               ">5</b>distinct values", ">3</b>distinct values in clear"):
    assert figure in html, figure
assert "16 masked, 0 partly masked, 12 let through in clear, 2 blocked" in html
assert "XXXX XXXX XXXX 1881" in html  # a masked sample among the worst
assert html.index("192.0.2.20") < html.index("192.0.2.22")  # most in clear first
PY
"$BUILD/dlpctl" incidents report --db "$TDB" --format md > "$WORK/report.md" && ok || bad "report md"
grep -q '^- 3 incidents, 30 values: 16 masked, 0 partly masked, \*\*12 in clear\*\*, 2 blocked$' "$WORK/report.md" \
  && ok || bad "report md totals: $(sed -n 1,8p "$WORK/report.md")"
grep -q '^| 2026-03-01 | 25 | 9 |$' "$WORK/report.md" && ok || bad "report md days: $(cat "$WORK/report.md")"
# The sensor as the EVE lines name it: the settings' sensor_name, or the option.
printf 'sensor_name: gw-settings\n' > "$WORK/sensor.conf"
DLPD_CONFIG="$WORK/sensor.conf" "$BUILD/dlpctl" incidents report --db "$TDB" --format md \
  > "$WORK/report_sensor.md"
grep -q ' on gw-settings\.$' "$WORK/report_sensor.md" && ok || bad "report sensor: $(sed -n 1,4p "$WORK/report_sensor.md")"
DLPD_CONFIG="$WORK/sensor.conf" "$BUILD/dlpctl" incidents report --db "$TDB" --format md \
  --sensor-name gw-option > "$WORK/report_sensor.md"
grep -q ' on gw-option\.$' "$WORK/report_sensor.md" && ok || bad "report --sensor-name: $(sed -n 1,4p "$WORK/report_sensor.md")"
# A Host from the wire cannot break out of the HTML or the Markdown.
"$BUILD/dlpctl" incidents report --db "$DB" -o "$WORK/report-main.html" && ok || bad "report (main)"
grep -q 'evil\\x1b\[31m.example\|evil?\[31m.example' "$WORK/report-main.html" && ! grep -q $'\x1b' "$WORK/report-main.html" \
  && ok || bad "the escape byte in the report"
chromium=$(command -v chromium || true)
if [ -z "$chromium" ]; then
  bad "chromium is not installed (packaging/install-deps.sh installs it)"
else
  timeout 120 "$chromium" --headless --no-sandbox --disable-gpu --hide-scrollbars \
    --window-size=1000,2200 --screenshot="$WORK/report.png" "file://$WORK/report.html" \
    > "$WORK/chromium.log" 2>&1 || true
  /usr/bin/python3 - "$WORK/report.png" <<'PY' && ok || bad "report not rendered: $(tail -3 "$WORK/chromium.log")"
import sys
from PIL import Image
img = Image.open(sys.argv[1]).convert("RGB")
assert img.size == (1000, 2200), img.size
colours = img.getcolors(maxcolors=1 << 20)
assert colours is not None and len(colours) > 8, "a blank page"
# The in-clear bars' red (#c0392b) and the masked bars' blue (#2e86c1).
present = {c for _, c in colours}
assert (0xC0, 0x39, 0x2B) in present, "no in-clear bar drawn"
assert (0x2E, 0x86, 0xC1) in present, "no masked bar drawn"
PY
fi
# EVE carries the outcomes: the last line of each incident holds its totals.
/usr/bin/python3 - "$WORK/threshold.eve.json" <<'PY' && ok || bad "EVE outcomes"
import collections, json, sys
last = {}
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e["event_type"] == "alert":
        last[e["dlp"]["incident_id"]] = e["dlp"]["outcomes"]
sums = collections.Counter()
for outcomes in last.values():
    sums.update(outcomes)
assert sums == {"masked": 16, "in_clear": 12, "partly_masked": 0, "blocked": 2}, sums
PY

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
# The daemon's live EVE log has a line per stored update of an incident,
# each the incident's state so far: the last line of each incident id is
# the line export writes for it (one form: id, totals, first and last seen).
/usr/bin/python3 - "$WORK/eve.json" "$WORK/export.out" <<'PY' && ok || bad "eve log vs export"
import json, sys
live = {}
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e["event_type"] == "alert":  # (and anomaly lines: the IPv6 flow's body has no length)
        live[e["dlp"]["incident_id"]] = e
exported = {json.loads(l)["dlp"]["incident_id"]: json.loads(l) for l in open(sys.argv[2])}
assert live == exported, (live, exported)
for e in exported.values():
    assert e["community_id"].startswith("1:") and isinstance(e["flow_id"], int), e
    names = {"pan": "Payment card number", "us-ssn": "US Social Security number"}
    assert e["alert"]["signature"] == names[e["dlp"]["rule"]], e["alert"]  # the rule's, not the action's
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
          "219099999", "4012888888881881", "6011111111111117", "5105105105105100"]
hits = []
for root, _, files in os.walk(sys.argv[1]):
    for f in files:
        if f.endswith(".pcap") or f.endswith(".key") or f.endswith(".yaml"):
            continue  # inputs (captures, rule files with examples); the key is random bytes
        data = open(os.path.join(root, f), "rb").read()
        digits = re.sub(rb"[^0-9]", b"", data)
        for v in values:
            # Formatted or not: compare on the digits alone, and the raw text.
            if v.encode() in data or (len(v) > 9 and v.encode() in digits):
                hits.append((f, v))
        for formatted in (b"536-22-1457", b"4111 1111 1111 1111", b"078-05-1120", b"219-09-9999",
                          b"4012 8888 8888 1881"):
            if formatted in data:
                hits.append((f, formatted))
assert not hits, hits
PY

echo "incidents: $pass passed, $fail failed"
[ "$fail" = 0 ]
