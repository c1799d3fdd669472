#!/usr/bin/env bash
# The Debian package, installed on this machine as an operator would:
# cpack builds it, dpkg installs it (users, directories, conffiles); dlpd
# and dlpctl without arguments check the installed settings; the systemd
# unit passes systemd-analyze verify. Then the unit's own commands run as
# systemd would run them (tests/packaging/as_unit.sh: its user, its
# capabilities, ProtectSystem=strict with its state, runtime and log
# directories writable, $NOTIFY_SOCKET): with the shipped settings and
# with each commented-out setting of the shipped file uncommented in
# turn, each either starts (READY=1) or --check refuses it first, with
# the reason, and then the start fails too. With traffic through the
# queue, a member of the audit group reads the live database, a user
# outside it is told "permission denied", and dlpctl status shows the
# kernel's queue counters although dlpd runs as dlpd. Then the package is
# purged.
# Root only (it installs a package); skips (77) otherwise unless
# DLP_REQUIRE_NETNS=1, as in CI.
# Usage: deb_test.sh BUILD_DIR
set -euo pipefail
BUILD=$(cd "$1" && pwd)
SRC=$(cd "$(dirname "$0")/../.." && pwd)
if [ "$(id -u)" != 0 ] || ! command -v dpkg > /dev/null; then
  [ "${DLP_REQUIRE_NETNS:-0}" = 1 ] && { echo "FAIL: package test needs root and dpkg" >&2; exit 1; }
  echo "SKIP: package test needs root and dpkg" >&2
  exit 77
fi
WORK=$(mktemp -d)
NS=dlppkg$$
pid=""
cleanup() {
  local rc=$?
  set +e  # each step, whatever the one before did
  [ -n "$pid" ] && kill "$pid" 2>/dev/null
  ip netns del "$NS" 2>/dev/null || true
  pkill -TERM -f '^/usr/sbin/dlpd' 2> /dev/null
  [ -n "${sink:-}" ] && kill "$sink" 2> /dev/null
  dpkg --purge dlpd > /dev/null 2>&1 || true
  userdel dlpaudit 2> /dev/null; userdel dlpother 2> /dev/null
  rm -rf "$WORK" /run/dlpd /var/lib/dlpd /var/log/dlpd /srv/dlpd-eve
  exit "$rc"
}
trap cleanup EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }

dpkg --purge dlpd > /dev/null 2>&1 || true
rm -rf /var/lib/dlpd /var/log/dlpd  # kept by a purge (evidence): none from an earlier run
(cd "$BUILD" && cpack -G DEB > "$WORK/cpack.log" 2>&1) && ok || { cat "$WORK/cpack.log" >&2; exit 1; }
deb=$(ls "$BUILD"/dlpd_*_amd64.deb | head -1)
dpkg -i "$deb" > "$WORK/dpkg.log" 2>&1 && ok || bad "dpkg -i: $(cat "$WORK/dpkg.log")"
[ "$(dpkg-query -W -f='${Status}' dlpd)" = "install ok installed" ] && ok || bad "not installed"
id dlpd > /dev/null 2>&1 && ok || bad "no dlpd user"
[ "$(stat -c '%U %G %a' /var/lib/dlpd)" = "dlpd dlpd 751" ] && ok || bad "state dir: $(stat -c '%U %G %a' /var/lib/dlpd)"
[ "$(stat -c '%U %G %a' /var/log/dlpd)" = "dlpd dlpd 750" ] && ok || bad "log dir: $(stat -c '%U %G %a' /var/log/dlpd)"
id -nG dlpd | grep -qw dlpd-audit && ok || bad "dlpd is not in dlpd-audit: $(id -nG dlpd)"
conffiles=$(dpkg-query -W -f='${Conffiles}' dlpd)
for f in /etc/dlpd/dlpd.conf /etc/dlpd/policy.yaml /etc/dlpd/rules/pan.yaml /etc/logrotate.d/dlpd; do
  grep -q " $f " <<< "$conffiles" && ok || bad "$f is not a conffile"
done
[ -x /usr/sbin/dlpd ] && [ -x /usr/bin/dlpctl ] && ok || bad "binaries"
for page in man8/dlpd.8 man8/dlpctl.8 man5/dlpd.conf.5 man5/dlpd-rules.5 man5/dlpd-policy.5; do
  zcat "/usr/share/man/$page.gz" 2> /dev/null | grep -q '^\.Sh NAME' && ok || bad "no manual page $page"
done
[ -f /usr/share/doc/dlpd/copyright ] && [ -f /usr/share/doc/dlpd/changelog.gz ] && ok || bad "no copyright or changelog"
# Debian's own checks on the package: no error, no warning (lintian warns
# that it runs as root here, on stderr, and that is all it may say).
lintian --fail-on error,warning --tag-display-limit 0 "$deb" > "$WORK/lintian.out" 2> "$WORK/lintian.err" && ok \
  || bad "lintian: $(cat "$WORK/lintian.out" "$WORK/lintian.err")"
! grep -q '^[EW]: ' "$WORK/lintian.out" && ok || bad "lintian: $(cat "$WORK/lintian.out")"

# Without -c, the installed settings (ctest sets DLPD_CONFIG empty: unset here).
env -u DLPD_CONFIG /usr/sbin/dlpd --check > "$WORK/check.out" 2>&1 && ok || bad "installed --check: $(cat "$WORK/check.out")"
grep -q 'configuration ok (/etc/dlpd/dlpd.conf): 2 rules' "$WORK/check.out" && ok || bad "check: $(cat "$WORK/check.out")"
env -u DLPD_CONFIG /usr/bin/dlpctl rules check > "$WORK/rules.out" 2>&1 && ok || bad "dlpctl rules check: $(cat "$WORK/rules.out")"
grep -q 'checking the rules and policy of /etc/dlpd/dlpd.conf' "$WORK/rules.out" && ok || bad "rules check: $(cat "$WORK/rules.out")"
# A broken rule file among the installed ones: both refuse, naming it.
printf 'rules:\n  - id: broken\n    pattern: x\n' > /etc/dlpd/rules/broken.yaml
! env -u DLPD_CONFIG /usr/sbin/dlpd --check > "$WORK/check.out" 2>&1 && grep -q 'broken.yaml:3' "$WORK/check.out" && ok \
  || bad "--check passed a broken installed rule: $(cat "$WORK/check.out")"
! env -u DLPD_CONFIG /usr/bin/dlpctl rules check > "$WORK/rules.out" 2>&1 && grep -q 'broken.yaml:3' "$WORK/rules.out" && ok \
  || bad "dlpctl rules check passed a broken installed rule: $(cat "$WORK/rules.out")"
rm /etc/dlpd/rules/broken.yaml
systemd-analyze verify /usr/lib/systemd/system/dlpd.service > "$WORK/verify.out" 2>&1 && ok \
  || bad "systemd-analyze verify: $(cat "$WORK/verify.out")"
! grep -q 'dlpd.service' "$WORK/verify.out" && ok || bad "systemd-analyze: $(cat "$WORK/verify.out")"

# The unit's commands as systemd runs them, in a namespace of our own with
# a server behind the queue (loopback traffic to port 80 goes to queue 0).
ip netns add "$NS"
ip -n "$NS" link set lo up
ip netns exec "$NS" iptables -A OUTPUT -o lo -p tcp --dport 80 -j NFQUEUE --queue-num 0
mkdir -p "$WORK/sink"
ip netns exec "$NS" python3 "$SRC/tests/e2e/http_sink.py" "$WORK/sink" 80 > /dev/null 2>&1 &
sink=$!
UNIT=/usr/lib/systemd/system/dlpd.service
pre=$(sed -n 's/^ExecStartPre=//p' "$UNIT")
start=$(sed -n 's/^ExecStart=//p' "$UNIT")
grep -q '^Type=notify$' "$UNIT" && ok || bad "the unit is not Type=notify"
as_unit() { bash "$SRC/tests/packaging/as_unit.sh" "$UNIT" "$NS" "$@"; }

# start_unit LOG: ExecStartPre, then ExecStart in the background until it
# says READY=1 (0), or the check or the start fails (1). Sets $pid.
start_unit() {
  local log=$1
  pid=""
  if ! as_unit $pre > "$log.check" 2>&1; then return 1; fi
  rm -f "$WORK/notify.sock" "$WORK/notify.out"
  python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1]); s.settimeout(30)
try:
    print(s.recv(4096).decode(), flush=True)
except socket.timeout:
    pass' "$WORK/notify.sock" > "$WORK/notify.out" &
  local listener=$!
  for _ in $(seq 50); do [ -S "$WORK/notify.sock" ] && break; sleep 0.1; done
  chmod 0777 "$WORK" "$WORK/notify.sock"
  NOTIFY_SOCKET=$WORK/notify.sock as_unit $start > "$log" 2>&1 &
  pid=$!
  for _ in $(seq 300); do
    grep -q READY=1 "$WORK/notify.out" 2> /dev/null && break
    kill -0 "$pid" 2> /dev/null || break
    sleep 0.1
  done
  kill "$listener" 2> /dev/null; wait "$listener" 2> /dev/null
  grep -q READY=1 "$WORK/notify.out" 2> /dev/null
}
stop_unit() {
  [ -z "$pid" ] && return 0
  pkill -TERM -f '^/usr/sbin/dlpd -c /etc/dlpd/dlpd.conf' || true
  wait "$pid"; local rc=$?
  pid=""
  return $rc
}

# 1. The shipped settings.
start_unit "$WORK/dlpd.log" && ok || bad "installed dlpd did not start: $(cat "$WORK/dlpd.log.check" "$WORK/dlpd.log")"
# READY=1 goes out at the end of start-up, the "started" line just after it.
for _ in $(seq 50); do grep -q 'started: ' "$WORK/dlpd.log" && break; sleep 0.1; done
grep -q 'started: 1 worker.*settings /etc/dlpd/dlpd.conf' "$WORK/dlpd.log" && ok || bad "start log: $(cat "$WORK/dlpd.log")"
grep -q 'STATUS=1 worker' "$WORK/notify.out" && ok || bad "notify: $(cat "$WORK/notify.out")"
dpid=$(pgrep -o -f '^/usr/sbin/dlpd -c /etc/dlpd/dlpd.conf$')
uid=$(id -u dlpd)
grep -q "^Uid:[[:space:]]*$uid[[:space:]]" "/proc/$dpid/status" && ok || bad "runs as $(grep ^Uid "/proc/$dpid/status")"
grep -q '^CapEff:[[:space:]]*0000000000001000$' "/proc/$dpid/status" && ok || bad "$(grep ^CapEff "/proc/$dpid/status")"
/usr/bin/dlpctl status > "$WORK/status.out" 2>&1 && ok || bad "dlpctl status: $(cat "$WORK/status.out")"
grep -q 'ruleset .* (2 rules)' "$WORK/status.out" && ok || bad "status: $(cat "$WORK/status.out")"
[ "$(stat -c '%U %a' /var/lib/dlpd/incidents.db)" = "dlpd 600" ] && ok || bad "db: $(stat -c '%U %a' /var/lib/dlpd/incidents.db)"
stop_unit && ok || bad "dlpd exit status"

# 2. Each setting the shipped file leaves commented out, uncommented alone,
# and two that cannot work here: each runs, or is refused by the check
# (with the reason) and then fails to start as well.
cp /etc/dlpd/dlpd.conf "$WORK/shipped.conf"
variants=()
while IFS= read -r line; do
  variants+=("$(sed -e 's/^# *//' -e 's/[[:space:]]*#.*$//' <<< "$line")")
done < <(grep -E '^# ?[a-z_]+: ' "$WORK/shipped.conf")
[ "${#variants[@]}" -ge 5 ] && ok || bad "commented settings found: ${variants[*]}"
# (/srv/dlpd-eve is dlpd's, but outside the unit's writable directories.)
install -d -o dlpd -g dlpd /srv/dlpd-eve
for v in "${variants[@]}" "eve_log: /srv/dlpd-eve/eve.json" "db_group: nosuchgroup"; do
  key=${v%%:*}
  { grep -v -E "^#? ?$key:" "$WORK/shipped.conf"; echo "$v"; } > /etc/dlpd/dlpd.conf
  log="$WORK/variant-$key.log"
  if start_unit "$log"; then
    ok
    echo "variant '$v': starts"
    case "$v" in
      "eve_log: /srv/dlpd-eve/eve.json" | "db_group: nosuchgroup") bad "'$v' started: the test expects it refused" ;;
    esac
    stop_unit || bad "'$v': exit status"
  else
    reason=$(grep -m1 '^dlpd: ' "$log.check" || true)
    if [ -s "$log.check" ] && ! grep -q 'configuration ok' "$log.check"; then
      echo "variant '$v': refused by --check: $reason"
      [ -n "$reason" ] && ok || bad "'$v': refused without a reason: $(cat "$log.check")"
      # What the shipped file suggests must work on the packaged layout.
      case " ${variants[*]} " in *" $v "*) bad "shipped setting '$v' refused: $reason" ;; esac
      # The check refuses only what the start itself would fail on.
      if as_unit $start > "$log.start" 2>&1; then bad "'$v': --check refused it, yet it starts"; else ok; fi
    else
      bad "'$v' passed --check, then did not start: $(cat "$log")"
      stop_unit
    fi
  fi
done
grep -q "cannot create files in /srv/dlpd-eve: Read-only file system" "$WORK/variant-eve_log.log.check" && ok \
  || bad "eve_log outside LogsDirectory: $(cat "$WORK/variant-eve_log.log.check")"
grep -q "no group 'nosuchgroup'" "$WORK/variant-db_group.log.check" && ok \
  || bad "unknown db_group: $(cat "$WORK/variant-db_group.log.check")"

# 3. The security team's group reads the live database; others are told why not.
{ grep -v -E '^#? ?(db_group|eve_log|log):' "$WORK/shipped.conf"
  echo "db_group: dlpd-audit"; echo "eve_log: /var/log/dlpd/eve.json"; echo "log: /var/log/dlpd/dlpd.log"; } > /etc/dlpd/dlpd.conf
id dlpaudit > /dev/null 2>&1 || adduser --quiet --system --no-create-home --ingroup dlpd-audit dlpaudit
id dlpother > /dev/null 2>&1 || adduser --quiet --system --no-create-home dlpother
start_unit "$WORK/audit.log" && ok || bad "dlpd with db_group did not start: $(cat "$WORK/audit.log.check" "$WORK/audit.log")"
ip netns exec "$NS" curl -s -o /dev/null -m 10 -H 'X-Test-Id: a1' --data 'card=4111 1111 1111 1111' \
  http://127.0.0.1/upload && ok || bad "POST through the queue failed"
[ "$(cat "$WORK/sink/a1.body" 2>&1)" = "card=XXXX XXXX XXXX XXXX" ] && ok || bad "not masked: $(cat "$WORK/sink/a1.body" 2>&1)"
for _ in $(seq 50); do [ -s /var/log/dlpd/eve.json ] && break; sleep 0.1; done
grep -q '"event_type":"alert"' /var/log/dlpd/eve.json && ok || bad "no EVE line: $(cat /var/log/dlpd/eve.json 2>&1)"
for f in incidents.db incidents.db-wal incidents.db-shm; do
  [ "$(stat -c '%G %a' "/var/lib/dlpd/$f")" = "dlpd-audit 640" ] && ok || bad "$f: $(stat -c '%U %G %a' "/var/lib/dlpd/$f")"
done
runuser -u dlpaudit -- /usr/bin/dlpctl incidents list --db /var/lib/dlpd/incidents.db > "$WORK/list.out" 2>&1 && ok \
  || bad "audit user: $(cat "$WORK/list.out")"
grep -q 'pan' "$WORK/list.out" && ok || bad "audit user's list: $(cat "$WORK/list.out")"
# A -wal file it may not read is said so: not "no incidents" from the older rows.
chmod 0600 /var/lib/dlpd/incidents.db-wal
! runuser -u dlpaudit -- /usr/bin/dlpctl incidents list --db /var/lib/dlpd/incidents.db > "$WORK/wal.out" 2>&1 \
  && grep -q 'incidents.db-wal: Permission denied' "$WORK/wal.out" && ok || bad "unreadable -wal: $(cat "$WORK/wal.out")"
chmod 0640 /var/lib/dlpd/incidents.db-wal
! runuser -u dlpother -- /usr/bin/dlpctl incidents list --db /var/lib/dlpd/incidents.db > "$WORK/other.out" 2>&1 \
  && grep -qF 'incident database /var/lib/dlpd/incidents.db: Permission denied (readable by group dlpd-audit only)' "$WORK/other.out" && ok \
  || bad "user outside the group: $(cat "$WORK/other.out")"
# The kernel's counts of the queue, although dlpd runs as dlpd.
/usr/bin/dlpctl status > "$WORK/status.out" 2>&1 || true
grep -Eq '^kernel_queue_dropped +[0-9]+ ' "$WORK/status.out" && ok || bad "no kernel queue drops: $(cat "$WORK/status.out")"
/usr/bin/dlpctl status --format prometheus > "$WORK/prom.out" || true
grep -q "^dlpd_kernel_queue_dropped_total 0$" "$WORK/prom.out" && ok \
  || bad "no kernel drops in the exposition: $(grep kernel "$WORK/prom.out")"
grep -q "^# TYPE dlpd_kernel_queue_total gauge$" "$WORK/prom.out" && ok \
  || bad "the kernel's queue length is no gauge: $(grep kernel "$WORK/prom.out")"
# logrotate with the package's file: dlpd writes to the new file (SIGUSR1).
grep -q 'started' /var/log/dlpd/dlpd.log && ok || bad "log file: $(cat /var/log/dlpd/dlpd.log 2>&1)"
logrotate -f /etc/logrotate.d/dlpd > "$WORK/logrotate.out" 2>&1 && ok || bad "logrotate: $(cat "$WORK/logrotate.out")"
for _ in $(seq 50); do grep -q 'log files reopened' /var/log/dlpd/dlpd.log 2> /dev/null && break; sleep 0.1; done
grep -q 'SIGUSR1: log files reopened' /var/log/dlpd/dlpd.log && grep -q started /var/log/dlpd/dlpd.log.1 && ok \
  || bad "after logrotate: $(ls -l /var/log/dlpd; cat /var/log/dlpd/dlpd.log 2>&1)"
[ "$(stat -c '%U %a' /var/log/dlpd/dlpd.log)" = "dlpd 640" ] && ok || bad "rotated log: $(stat -c '%U %a' /var/log/dlpd/dlpd.log)"
stop_unit && ok || bad "dlpd (db_group) exit status"
cp "$WORK/shipped.conf" /etc/dlpd/dlpd.conf
kill "$sink" 2> /dev/null

dpkg --purge dlpd > "$WORK/purge.log" 2>&1 && ok || bad "purge: $(cat "$WORK/purge.log")"
[ ! -e /usr/sbin/dlpd ] && [ ! -e /etc/dlpd/dlpd.conf ] && ok || bad "files left after purge"
rm -rf /var/lib/dlpd /var/log/dlpd
echo "package: $pass passed, $fail failed"
[ "$fail" = 0 ]
