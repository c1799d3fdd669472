#!/usr/bin/env bash
# Least privilege, end to end: dlpd started as root with --user runs as that
# user (/proc/PID/status: uid, gid, only CAP_NET_ADMIN effective and in the
# bounding set, none inheritable or ambient, no new privileges, the
# sandbox's seccomp filter in every thread, not dumpable), and still does
# its whole job: NFQUEUE
# verdicts, masking, resets for `block` (raw sockets opened before the
# drop), the database and key created by that user (owner-only, the
# database readable by --db-group), the control socket, a reload.
# Usage: privilege_e2e.sh BUILD_DIR SOURCE_DIR
source "$(dirname "$0")/netns_lib.sh" || exit 1
netns_prologue "$@"
chmod 755 "$WORK"  # the unprivileged user must reach its directories in here
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }

getent group dlpd-audit > /dev/null || groupadd --system dlpd-audit
id dlpd-test > /dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin dlpd-test
usermod -a -G dlpd-audit dlpd-test  # may hand the database to the audit group
audit=$(getent group dlpd-audit | cut -d: -f3)
uid=$(id -u dlpd-test)
gid=$(id -g dlpd-test)

printf 'statements:\n  - {name: exfil, when: {host: exfil.example}, action: block}\n' > "$WORK/policy.yaml"
chmod 644 "$WORK/policy.yaml"
netns_start "$WORK" "$BUILD/dlpd" --nfqueue 0 --user dlpd-test --policy "$WORK/policy.yaml" \
  --db "$WORK/state/incidents.db" --db-group dlpd-audit --control-socket "$WORK/run/dlpd.sock"

status=/proc/$DLPD/status
grep -q "^Uid:[[:space:]]*$uid[[:space:]]*$uid[[:space:]]*$uid[[:space:]]*$uid$" "$status" && ok \
  || bad "uids: $(grep ^Uid "$status")"
grep -q "^Gid:[[:space:]]*$gid[[:space:]]*$gid[[:space:]]*$gid[[:space:]]*$gid$" "$status" && ok \
  || bad "gids: $(grep ^Gid "$status")"
groups=$(grep ^Groups "$status" | cut -f2 | tr ' ' '\n' | sort -n | xargs)
[ "$groups" = "$(printf '%s\n' "$gid" "$audit" | sort -n | xargs)" ] && ok || bad "groups: $groups"
# CAP_NET_ADMIN is bit 12.
grep -q '^CapEff:[[:space:]]*0000000000001000$' "$status" && ok || bad "$(grep ^CapEff "$status")"
grep -q '^CapPrm:[[:space:]]*0000000000001000$' "$status" && ok || bad "$(grep ^CapPrm "$status")"
grep -q '^CapBnd:[[:space:]]*0000000000001000$' "$status" && ok || bad "$(grep ^CapBnd "$status")"
grep -q '^NoNewPrivs:[[:space:]]*1$' "$status" && ok || bad "$(grep ^NoNewPrivs "$status")"
grep -q '^CapInh:[[:space:]]*0000000000000000$' "$status" && ok || bad "$(grep ^CapInh "$status")"
grep -q '^CapAmb:[[:space:]]*0000000000000000$' "$status" && ok || bad "$(grep ^CapAmb "$status")"
# Every thread, not only the main one: the user, and the sandbox's seccomp
# filter (mode 2) in each (dlpd/daemon/sandbox.h; what it refuses is
# Sandbox.WhatAParserMightTryFailsAndTheDaemonsWorkGoesOn).
for t in /proc/$DLPD/task/*/status; do
  grep -q "^Uid:[[:space:]]*$uid" "$t" || bad "thread $t runs as $(grep ^Uid "$t")"
  grep -q '^Seccomp:[[:space:]]*2$' "$t" || bad "thread $t: $(grep ^Seccomp "$t")"
done
ok
# Not dumpable: /proc/PID's files then belong to root, not to the user.
[ "$(stat -c %u "/proc/$DLPD/environ")" = 0 ] && ok || bad "dlpd is dumpable (environ owned by $(stat -c %U "/proc/$DLPD/environ"))"

# The job still gets done after the drop.
body='name=Jane&ssn=536-22-1457&card=4111 1111 1111 1111&x=1'
ip netns exec "$NS_C" curl -s -S --max-time 10 -o /dev/null -H "X-Test-Id: masked" \
  --data-binary "$body" http://10.99.2.2/upload && ok || bad "curl through the gateway"
[ "$(cat "$WORK/recv/masked.body" 2>/dev/null)" = 'name=Jane&ssn=XXX-XX-XXXX&card=XXXX XXXX XXXX XXXX&x=1' ] \
  && ok || bad "server got '$(cat "$WORK/recv/masked.body" 2>/dev/null)'"
rc=0
ip netns exec "$NS_C" curl -s -S --max-time 10 -o /dev/null -H "Host: exfil.example" \
  -H "X-Test-Id: blocked" --data-binary "$body" http://10.99.2.2/upload 2> "$WORK/blocked.curl" || rc=$?
[ "$rc" != 0 ] && grep -qi reset "$WORK/blocked.curl" && ok || bad "block after the drop: exit $rc $(cat "$WORK/blocked.curl")"

"$BUILD/dlpctl" status --socket "$WORK/run/dlpd.sock" --json > "$WORK/status.json" && ok || bad "dlpctl status"
/usr/bin/python3 -c '
import json, sys
c = json.load(open(sys.argv[1]))["counters"]
assert c["masked_packets"] >= 1 and c["resets_sent"] == 2 and c["flows_blocked"] == 1, c' "$WORK/status.json" \
  && ok || bad "counters: $(cat "$WORK/status.json")"
"$BUILD/dlpctl" reload --socket "$WORK/run/dlpd.sock" > /dev/null && ok || bad "reload as the user"

kill -TERM "$DLPD"
wait "$DLPD" && ok || bad "dlpd exit"
# Files made by the user: owner-only key, the database for the audit group
# in a directory the group may enter (0751: nobody lists it).
[ "$(stat -c '%U %a' "$WORK/state")" = "dlpd-test 751" ] && ok || bad "state dir: $(stat -c '%U %a' "$WORK/state")"
[ "$(stat -c '%U %G %a' "$WORK/state/incidents.db")" = "dlpd-test dlpd-audit 640" ] && ok \
  || bad "database: $(stat -c '%U %G %a' "$WORK/state/incidents.db")"
[ "$(stat -c '%U %a' "$WORK/state/incidents.db.key")" = "dlpd-test 600" ] && ok \
  || bad "key: $(stat -c '%U %a' "$WORK/state/incidents.db.key")"
[ "$(sqlite3 "$WORK/state/incidents.db" 'select count(*) from incidents')" -ge 3 ] && ok || bad "incidents"
# A member of the audit group (not the owner) reads the incidents.
id dlpd-reader > /dev/null 2>&1 || useradd --system --no-create-home -G dlpd-audit dlpd-reader
su -s /bin/sh dlpd-reader -c "'$BUILD/dlpctl' incidents list --db '$WORK/state/incidents.db' --format csv" \
  > "$WORK/reader.csv" 2> "$WORK/reader.err" && ok || bad "audit group read: $(cat "$WORK/reader.err")"
grep -q '^[0-9]*,.*,us-ssn,' "$WORK/reader.csv" && ok || bad "audit group read: $(cat "$WORK/reader.csv")"

echo "privilege e2e: $pass passed, $fail failed"
[ "$fail" = 0 ]
