#!/usr/bin/env bash
# Policy end to end (namespaces, curl, a real HTTP server, dlpd on NFQUEUE):
#  - an exempted destination (Host pay.example) receives the card number in
#    clear while the SSN in the same body is still masked;
#  - `block` resets the client's connection and nothing past the value
#    reaches the server;
#  - a threshold switches from alert (values pass in clear) to block at the
#    configured count;
#  - reload under load: a good set takes effect (a new rule masks) with no
#    request failing and no connection broken, a bad set is rejected and the
#    old rules keep masking; SIGHUP reloads too.
# Usage: policy_e2e.sh BUILD_DIR SOURCE_DIR
source "$(dirname "$0")/netns_lib.sh" || exit 1
netns_prologue "$@"
loader=""
netns_on_exit '[ -z "${loader:-}" ] || kill "$loader" 2>/dev/null'

pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }

mkdir -p "$WORK/rules"
cp "$SRC"/rules/default/*.yaml "$WORK/rules/"
cat > "$WORK/policy.yaml" <<'YAML'
statements:
  - name: card-processor
    when: {rule: pan, dst: 10.99.2.0/24, host: pay.example}
    action: pass
  - name: exfil-host
    when: {host: exfil.example}
    action: block
  - name: bulk-ssn
    when: {rule: us-ssn, host: bulk.example}
    action: alert
    thresholds:
      - {from: 3, action: block}
examples:
  - {rule: pan, dst: 10.99.2.2, port: 80, host: pay.example, expect: pass}
  - {rule: us-ssn, dst: 10.99.2.2, port: 80, host: pay.example, expect: mask}
  - {rule: us-ssn, host: bulk.example, count: 3, expect: block}
YAML
SOCK="$WORK/dlpd.sock"
"$BUILD/dlpd" --check --nfqueue 0 --rules "$WORK/rules" --policy "$WORK/policy.yaml" > /dev/null && ok || bad "dlpd --check"
netns_start "$WORK" "$BUILD/dlpd" --nfqueue 0 --rules "$WORK/rules" --policy "$WORK/policy.yaml" \
  --db "$WORK/incidents.db" --control-socket "$SOCK"

# post NAME HOST BODY [curl args...]: one request to 10.99.2.2 with that Host.
post() {
  local name=$1 host=$2 body=$3
  shift 3
  printf '%s' "$body" > "$WORK/$name.sent"
  ip netns exec "$NS_C" curl -s -S --max-time 10 -o "$WORK/$name.reply" -H "Host: $host" \
    -H "X-Test-Id: $name" -H "Content-Type: application/octet-stream" \
    --data-binary "@$WORK/$name.sent" "$@" http://10.99.2.2/upload 2> "$WORK/$name.curl"
}
recv() { cat "$WORK/recv/$1.body" 2>/dev/null; }

# 1. The exemption: cards to the processor in clear, the SSN still masked.
body='name=Jane&card=4111 1111 1111 1111&ssn=536-22-1457&end=1'
post exempt pay.example "$body" && ok || bad "exempt: curl failed"
[ "$(recv exempt)" = 'name=Jane&card=4111 1111 1111 1111&ssn=XXX-XX-XXXX&end=1' ] && ok \
  || bad "exempt: server got '$(recv exempt)'"
post notexempt shop.example "$body" && ok || bad "not exempt: curl failed"
[ "$(recv notexempt)" = 'name=Jane&card=XXXX XXXX XXXX XXXX&ssn=XXX-XX-XXXX&end=1' ] && ok \
  || bad "not exempt: server got '$(recv notexempt)'"

# 2. Block: the client's connection is reset, the server gets nothing from the value on.
rc=0
# 3000 bytes before the value: the headers and the start of the body go
# through in earlier segments, the value's segment does not.
post blocked exfil.example "$(printf 'pad=%03000d&ssn=536-22-1457&AFTER=the-value' 0)" || rc=$?
[ "$rc" != 0 ] && grep -qi 'reset' "$WORK/blocked.curl" && ok \
  || bad "block: curl exit $rc: $(cat "$WORK/blocked.curl")"
[ ! -e "$WORK/recv/blocked.body" ] && ok || bad "block: the server received the whole body"
for _ in $(seq 20); do [ -e "$WORK/recv/blocked.partial" ] && break; sleep 0.1; done
if [ -e "$WORK/recv/blocked.partial" ]; then
  grep -q 'pad=0000' "$WORK/recv/blocked.partial" && ! grep -q -e '536-22' -e 'AFTER' "$WORK/recv/blocked.partial" \
    && ok || bad "block: the server received the value or what follows it, or nothing before it"
else
  bad "block: the server's connection did not end"
fi
[ -e "$WORK/recv/blocked.reset" ] && ok || bad "block: the server did not see a reset"

# 3. Threshold: two SSNs on a connection pass (alert), the third blocks it.
post bulk2 bulk.example 'a=536-22-1457&b=078-05-1120&c=1' && ok || bad "threshold: 2 values blocked"
[ "$(recv bulk2)" = 'a=536-22-1457&b=078-05-1120&c=1' ] && ok || bad "threshold: alert changed bytes: '$(recv bulk2)'"
rc=0
post bulk3 bulk.example "a=536-22-1457&b=078-05-1120&$(printf 'pad=%03000d' 0)&c=219-09-9999&d=after" || rc=$?
[ "$rc" != 0 ] && ok || bad "threshold: the third value did not block"
[ ! -e "$WORK/recv/bulk3.body" ] && ok || bad "threshold: the server received the whole body"
for _ in $(seq 20); do [ -e "$WORK/recv/bulk3.partial" ] && break; sleep 0.1; done
[ -e "$WORK/recv/bulk3.partial" ] && grep -q 'b=078-05-1120' "$WORK/recv/bulk3.partial" \
  && ! grep -q -e '219-09' -e 'after' "$WORK/recv/bulk3.partial" && ok \
  || bad "threshold: the third value or what follows reached the server (or not what came before)"

st=$("$BUILD/dlpctl" status --socket "$SOCK" --json)
/usr/bin/python3 - "$st" <<'PY' && ok || bad "status counters: $st"
import json, sys
s = json.loads(sys.argv[1])
c = s["counters"]
assert c["findings_passed"] >= 1 and c["findings_alerted"] >= 2, c
assert c["flows_blocked"] == 2 and c["resets_sent"] >= 4, c
assert s["policy_statements"] == 3 and s["rules"] == 2
PY
actions=$(sqlite3 "$WORK/incidents.db" "select group_concat(rule_id || ':' || action, ' ') from (select * from incidents order by id)")
for want in us-ssn:mask pan:mask us-ssn:block us-ssn:alert; do
  echo " $actions " | grep -q " $want " && ok || bad "incidents lack $want: $actions"
done
# The exempted card is not an incident.
[ "$(sqlite3 "$WORK/incidents.db" "select count(*) from incidents where rule_id='pan'")" = 1 ] && ok \
  || bad "the exempted card was recorded"

# 4. Reload under load. A client sends requests one after another (each a
# new connection) with an SSN and an employee id, plus one slow 200 KB
# upload that spans both reloads.
cat > "$WORK/emp.yaml.new" <<'YAML'
rules:
  - id: employee-id
    name: Employee ID
    severity: medium
    value_chars: '[0-9]'
    patterns: ['EMP\d{6}']
    examples:
      match: ['id EMP123456']
YAML
/usr/bin/python3 - "$WORK/slow.sent" <<'PY'
import sys
chunk = b"x" * 700 + b"&ssn=536-22-1457&"
open(sys.argv[1], "wb").write(chunk * (200000 // len(chunk)))
PY
ip netns exec "$NS_C" curl -s -S --max-time 60 --limit-rate 60k -o /dev/null -H "X-Test-Id: slow" \
  --data-binary "@$WORK/slow.sent" http://10.99.2.2/upload 2> "$WORK/slow.curl" &
slow=$!
(
  for i in $(seq 1 120); do
    ip netns exec "$NS_C" curl -s -S --max-time 10 -o /dev/null -H "X-Test-Id: load$i" \
      --data-binary "n=$i&ssn=536-22-1457&emp=EMP123456&z" http://10.99.2.2/upload \
      || echo "load$i" >> "$WORK/load.failed"
    sleep 0.02
  done
) &
loader=$!
sleep 1
mv "$WORK/emp.yaml.new" "$WORK/rules/emp.yaml"
"$BUILD/dlpctl" reload --socket "$SOCK" > "$WORK/reload.out" && ok || bad "good reload: $(cat "$WORK/reload.out")"
grep -q '(3 rules)' "$WORK/reload.out" && ok || bad "reload answer: $(cat "$WORK/reload.out")"
good_at=$(ls "$WORK/recv" | grep -c '^load.*\.body$' || true)
sleep 1
printf 'rules:\n  - id: broken\n    patterns: ["(unclosed"]\n' > "$WORK/rules/broken.yaml"
rc=0
"$BUILD/dlpctl" reload --socket "$SOCK" 2> "$WORK/badreload.err" || rc=$?
[ "$rc" = 1 ] && grep -q "broken.yaml:3: rule 'broken'" "$WORK/badreload.err" && ok \
  || bad "bad reload: exit $rc: $(cat "$WORK/badreload.err")"
grep -q 'still running ruleset' "$WORK/badreload.err" && ok || bad "bad reload: no word on the old set"
rm "$WORK/rules/broken.yaml"
sleep 0.5
kill -HUP "$DLPD"  # SIGHUP: the same reload, good this time
wait "$loader"
loader=""
wait "$slow" && ok || bad "the slow upload across the reloads broke: $(cat "$WORK/slow.curl")"

[ ! -e "$WORK/load.failed" ] && ok || bad "requests failed during reloads: $(tr '\n' ' ' < "$WORK/load.failed")"
n=$(ls "$WORK/recv" | grep -c '^load.*\.body$' || true)
[ "$n" = 120 ] && ok || bad "$n of 120 requests arrived"
/usr/bin/python3 - "$WORK/recv" "$good_at" <<'PY' && ok || bad "masking across reloads"
import os, sys
d = sys.argv[1]
masked_emp = []
for i in range(1, 121):
    b = open(os.path.join(d, "load%d.body" % i), "rb").read()
    assert b"536-22-1457" not in b and b"XXX-XX-XXXX" in b, (i, b)  # the SSN always masked
    masked_emp.append(b"EMPXXXXXX" in b)
# Before the reload the employee id passes; from the reload on it is masked.
first = masked_emp.index(True)
assert 3 <= first <= int(sys.argv[2]) + 3, (first, sys.argv[2])
assert all(masked_emp[first:]), masked_emp
slow = open(os.path.join(d, "slow.body"), "rb").read()
assert len(slow) > 190000 and b"536-22-1457" not in slow and slow.count(b"XXX-XX-XXXX") > 200
PY
grep -q 'reload: reloaded' "$WORK/dlpd.log" && ok || bad "SIGHUP did not reload"
st=$("$BUILD/dlpctl" status --socket "$SOCK" --json)
/usr/bin/python3 -c 'import json,sys; s=json.loads(sys.argv[1]); assert s["reloads"]==2 and s["reload_failures"]==1 and s["rules"]==3, s' "$st" \
  && ok || bad "status after reloads: $st"
grep -q 'dropped_uninspected": 0' <<< "$st" && ok || bad "packets dropped uninspected"

kill -TERM "$DLPD"
wait "$DLPD" && ok || bad "dlpd exit status"
# No full value in the database or the log.
! grep -aq -e '536-22-1457' -e '4111 1111 1111 1111' "$WORK/incidents.db" "$WORK/dlpd.log" && ok \
  || bad "a full value in the database or the log"

echo "policy e2e: $pass passed, $fail failed"
[ "$fail" = 0 ]
