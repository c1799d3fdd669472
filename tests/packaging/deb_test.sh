#!/usr/bin/env bash
# The Debian package, installed on this machine as an operator would:
# cpack builds it, dpkg installs it (user, state directory, conffiles), the
# installed dlpd --check passes with the installed settings, the systemd
# unit passes systemd-analyze verify, and the unit's command run the way
# systemd runs it (User=dlpd, AmbientCapabilities) works as the dlpd user
# with CAP_NET_ADMIN alone. Then the package is purged.
# Root only (it installs a package); skips (77) otherwise unless
# DLP_REQUIRE_NETNS=1, as in CI.
# Usage: deb_test.sh BUILD_DIR
set -euo pipefail
BUILD=$(cd "$1" && pwd)
if [ "$(id -u)" != 0 ] || ! command -v dpkg > /dev/null; then
  [ "${DLP_REQUIRE_NETNS:-0}" = 1 ] && { echo "FAIL: package test needs root and dpkg" >&2; exit 1; }
  echo "SKIP: package test needs root and dpkg" >&2
  exit 77
fi
WORK=$(mktemp -d)
NS=dlppkg$$
pid=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null
  ip netns del "$NS" 2>/dev/null || true
  dpkg --purge dlpd > /dev/null 2>&1 || true
  rm -rf "$WORK" /run/dlpd
}
trap cleanup EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }

dpkg --purge dlpd > /dev/null 2>&1 || true
(cd "$BUILD" && cpack -G DEB > "$WORK/cpack.log" 2>&1) && ok || { cat "$WORK/cpack.log" >&2; exit 1; }
deb=$(ls "$BUILD"/dlpd_*_amd64.deb | head -1)
dpkg -i "$deb" > "$WORK/dpkg.log" 2>&1 && ok || bad "dpkg -i: $(cat "$WORK/dpkg.log")"
[ "$(dpkg-query -W -f='${Status}' dlpd)" = "install ok installed" ] && ok || bad "not installed"
id dlpd > /dev/null 2>&1 && ok || bad "no dlpd user"
[ "$(stat -c '%U %G %a' /var/lib/dlpd)" = "dlpd dlpd 750" ] && ok || bad "state dir: $(stat -c '%U %G %a' /var/lib/dlpd)"
conffiles=$(dpkg-query -W -f='${Conffiles}' dlpd)
for f in /etc/dlpd/dlpd.conf /etc/dlpd/policy.yaml /etc/dlpd/rules/pan.yaml; do
  grep -q " $f " <<< "$conffiles" && ok || bad "$f is not a conffile"
done
[ -x /usr/sbin/dlpd ] && [ -x /usr/bin/dlpctl ] && ok || bad "binaries"

/usr/sbin/dlpd -c /etc/dlpd/dlpd.conf --check > "$WORK/check.out" 2>&1 && ok || bad "installed --check: $(cat "$WORK/check.out")"
grep -q 'configuration ok (/etc/dlpd/dlpd.conf): 2 rules' "$WORK/check.out" && ok || bad "check: $(cat "$WORK/check.out")"
systemd-analyze verify /usr/lib/systemd/system/dlpd.service > "$WORK/verify.out" 2>&1 && ok \
  || bad "systemd-analyze verify: $(cat "$WORK/verify.out")"
! grep -q 'dlpd.service' "$WORK/verify.out" && ok || bad "systemd-analyze: $(cat "$WORK/verify.out")"

# The unit's ExecStart as systemd runs it: User=dlpd, RuntimeDirectory,
# AmbientCapabilities (here with setpriv, in a namespace of its own).
ip netns add "$NS"
install -d -o dlpd -g dlpd -m 0750 /run/dlpd
ip netns exec "$NS" setpriv --reuid=dlpd --regid=dlpd --init-groups \
  --inh-caps=+net_admin,+net_raw --ambient-caps=+net_admin,+net_raw \
  /usr/sbin/dlpd -c /etc/dlpd/dlpd.conf 2> "$WORK/dlpd.log" &
pid=$!
for _ in $(seq 50); do grep -q started "$WORK/dlpd.log" && break; sleep 0.1; done
grep -q 'started: 1 worker' "$WORK/dlpd.log" && ok || bad "installed dlpd did not start: $(cat "$WORK/dlpd.log")"
uid=$(id -u dlpd)
grep -q "^Uid:[[:space:]]*$uid[[:space:]]" "/proc/$pid/status" && ok || bad "runs as $(grep ^Uid "/proc/$pid/status")"
grep -q '^CapEff:[[:space:]]*0000000000001000$' "/proc/$pid/status" && ok || bad "$(grep ^CapEff "/proc/$pid/status")"
/usr/bin/dlpctl status > "$WORK/status.out" 2>&1 && ok || bad "dlpctl status: $(cat "$WORK/status.out")"
grep -q 'ruleset .* (2 rules)' "$WORK/status.out" && ok || bad "status: $(cat "$WORK/status.out")"
[ "$(stat -c '%U %a' /var/lib/dlpd/incidents.db)" = "dlpd 600" ] && ok || bad "db: $(stat -c '%U %a' /var/lib/dlpd/incidents.db)"
kill -TERM "$pid"
wait "$pid" && ok || bad "dlpd exit status"
pid=""

dpkg --purge dlpd > "$WORK/purge.log" 2>&1 && ok || bad "purge: $(cat "$WORK/purge.log")"
[ ! -e /usr/sbin/dlpd ] && [ ! -e /etc/dlpd/dlpd.conf ] && ok || bad "files left after purge"
rm -rf /var/lib/dlpd
echo "package: $pass passed, $fail failed"
[ "$fail" = 0 ]
