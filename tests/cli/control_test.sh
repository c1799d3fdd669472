#!/usr/bin/env bash
# The control plane of a live dlpd (the divert back end's emulated socket:
# no root or namespace needed) under a slow reload and slow clients:
#  - a reload of 6,000 rules compiles for seconds: dlpctl status answers
#    meanwhile (reload_in_progress), also with idle clients connected that
#    send nothing, and dlpctl reload waits and reports the true outcome;
#  - SIGTERM while a reload compiles: dlpd exits within its bound, 0, and
#    the waiting dlpctl reload says dlpd is stopping;
#  - reload limits: a set that passes --reload-max-s or --reload-max-mb in
#    the compile helper's trial is refused and the running rules stay; the
#    helper holds no privilege and ends with dlpd;
#  - SIGTERM while start-up compiles those rules: dlpd stops at once.
# Usage: control_test.sh BUILD_DIR SOURCE_DIR [SANITIZED(0|1)]
# (A sanitizer build sets no memory limit on the trial compile: its shadow
# memory would pass any. That check is left out there, and says so.)
set -uo pipefail
BUILD=$(cd "$1" && pwd)
WORK=$(mktemp -d)
DLPD=
IDLE=
cleanup() {
  [ -n "$IDLE" ] && kill "$IDLE" 2> /dev/null
  [ -n "$DLPD" ] && kill -9 "$DLPD" 2> /dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }
SOCK=$WORK/ctl.sock
status() { "$BUILD/dlpctl" status --socket "$SOCK" --json; }
field() { python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
ms_since() { echo $((($(date +%s%N) - $1) / 1000000)); }
start_dlpd() {  # start_dlpd LOG: dlpd on the emulated divert socket, in the background
  "$BUILD/dlpd" --divert $((20000 + $$ % 20000)) --divert-emulated --rules "$WORK/rules" \
    --control-socket "$SOCK" 2> "$1" &
  DLPD=$!
}
term_dlpd() {  # SIGTERM to dlpd; sets rc (its exit code) and ms (how long it took)
  local t0
  t0=$(date +%s%N)
  kill -TERM "$DLPD"
  rc=0
  wait "$DLPD" || rc=$?
  ms=$(ms_since "$t0")
  DLPD=
}

mkdir "$WORK/rules"
cp "$2"/rules/default/*.yaml "$WORK/rules/"
start_dlpd "$WORK/dlpd.log"
for _ in $(seq 100); do grep -q started "$WORK/dlpd.log" && break; sleep 0.1; done
grep -q started "$WORK/dlpd.log" && ok || { bad "dlpd did not start: $(cat "$WORK/dlpd.log")"; exit 1; }

# The status for Prometheus (node_exporter's textfile collector), and
# "dlpd_up 0" with exit 2 when nothing answers.
prom=$("$BUILD/dlpctl" status --socket "$SOCK" --format prometheus)
grep -qx 'dlpd_up 1' <<< "$prom" && grep -qx 'dlpd_packets_total [0-9]*' <<< "$prom" \
  && grep -qx '# TYPE dlpd_flows gauge' <<< "$prom" \
  && grep -q '^dlpd_worker_packets_total{worker="' <<< "$prom" && ok \
  || bad "status --format prometheus: $prom"
rc=0
down=$("$BUILD/dlpctl" status --socket "$WORK/none.sock" --format prometheus 2> /dev/null) || rc=$?
[ "$rc" = 2 ] && grep -qx 'dlpd_up 0' <<< "$down" && ok || bad "no daemon: exit $rc, $down"

# 6,000 rules more: seconds of compiling.
python3 - "$WORK/rules/big.yaml" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write("rules:\n")
    for i in range(6000):
        f.write('  - id: emp%d\n    name: Employee %d\n    severity: low\n    patterns: ["EMP%dX[0-9]{6}"]\n' % (i, i, i))
PY
# Two clients that connect and send nothing, for as long as the test runs
# (with the reload and status: the 4 one user may hold).
python3 -c '
import socket, sys, time
socks = []
for _ in range(2):
    s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); socks.append(s)
time.sleep(60)' "$SOCK" &
IDLE=$!
t0=$(date +%s%N)
"$BUILD/dlpctl" reload --socket "$SOCK" > "$WORK/reload.out" 2>&1 &
reload=$!
sleep 0.5
t1=$(date +%s%N)
st=$(status)
ms=$(ms_since "$t1")
[ "$ms" -lt 1000 ] && ok || bad "status took $ms ms during a reload"
[ "$(field reload_in_progress <<< "$st")" = True ] && ok || bad "status during a reload: $st"
wait "$reload" && ok || bad "dlpctl reload failed: $(cat "$WORK/reload.out")"
echo "reload of 6,002 rules: $(ms_since "$t0") ms; status answered in $ms ms meanwhile"
grep -q 'reloaded: ruleset .* (6002 rules)' "$WORK/reload.out" && ok || bad "reload said: $(cat "$WORK/reload.out")"
st=$(status)
[ "$(field rules <<< "$st")" = 6002 ] && [ "$(field reloads <<< "$st")" = 1 ] && ok \
  || bad "after the reload: $st"
grep -q 'reload: reloaded' "$WORK/dlpd.log" && ok || bad "the reload was not logged"

# SIGTERM while a reload compiles.
"$BUILD/dlpctl" reload --socket "$SOCK" > "$WORK/reload2.out" 2>&1 &
reload=$!
sleep 0.5
term_dlpd
[ "$rc" = 0 ] && ok || bad "dlpd exited $rc on SIGTERM during a reload"
[ "$ms" -lt 5000 ] && ok || bad "SIGTERM during a reload took $ms ms"
echo "SIGTERM during a reload: exited in $ms ms"
grep -q 'a reload still compiling was abandoned' "$WORK/dlpd.log" && ok \
  || bad "no word of the abandoned reload: $(tail -3 "$WORK/dlpd.log")"
grep -q 'unexpected_errors=0' "$WORK/dlpd.log" && ok || bad "the exit line is missing"
if wait "$reload"; then
  bad "dlpctl reload succeeded on a stopping dlpd: $(cat "$WORK/reload2.out")"
else
  grep -q 'dlpd is stopping' "$WORK/reload2.out" && ok || bad "reload said: $(cat "$WORK/reload2.out")"
fi

# Reload limits: the rule set is compiled first in the compile helper's
# trial process; past --reload-max-s or --reload-max-mb it is refused, and
# the running rules stay. dlpd starts on the two default rules.
mv "$WORK/rules/big.yaml" "$WORK/big.yaml"
start_limited() {  # start_limited LOG ARGS...: dlpd with reload limits, started
  local log=$1
  shift
  "$BUILD/dlpd" --divert $((20000 + $$ % 20000)) --divert-emulated --rules "$WORK/rules" \
    --control-socket "$SOCK" "$@" 2> "$log" &
  DLPD=$!
  for _ in $(seq 100); do grep -q started "$log" && break; sleep 0.1; done
}
start_limited "$WORK/limit.log" --reload-max-s 1
helper=$(ps -o pid= --ppid "$DLPD" | tr -d ' ')
[ -n "$helper" ] && grep -q 'NoNewPrivs:[[:space:]]*1' "/proc/$helper/status" \
  && grep -q 'CapEff:[[:space:]]*0000000000000000' "/proc/$helper/status" && ok \
  || bad "the compile helper ($helper) keeps privileges: $(grep -E 'Cap|NoNew' "/proc/$helper/status")"
mv "$WORK/big.yaml" "$WORK/rules/big.yaml"
t0=$(date +%s%N)
"$BUILD/dlpctl" reload --socket "$SOCK" > "$WORK/limit.out" 2>&1 && bad "a reload past its time limit succeeded"
ms=$(ms_since "$t0")
grep -q 'reload rejected: the rules do not compile within the reload limits .*over the time limit of 1 s' \
  "$WORK/limit.out" && ok || bad "time limit: $(cat "$WORK/limit.out")"
[ "$ms" -lt 4000 ] && ok || bad "a reload past a 1 s limit took $ms ms"
st=$(status)
[ "$(field rules <<< "$st")" = 2 ] && [ "$(field reload_failures <<< "$st")" = 1 ] && ok \
  || bad "after a reload over its time limit: $st"
echo "reload past --reload-max-s 1: refused in $ms ms"
term_dlpd
mv "$WORK/rules/big.yaml" "$WORK/big.yaml"
start_limited "$WORK/limit2.log" --reload-max-mb 64
mv "$WORK/big.yaml" "$WORK/rules/big.yaml"
if [ "${3:-0}" = 1 ]; then
  echo "reload memory limit: not checked in a sanitizer build (it sets none)"
else
  "$BUILD/dlpctl" reload --socket "$SOCK" > "$WORK/limit2.out" 2>&1 && bad "a reload past its memory limit succeeded"
  grep -q 'over the memory limit of 64 MiB' "$WORK/limit2.out" && ok || bad "memory limit: $(cat "$WORK/limit2.out")"
  [ "$(field rules <<< "$(status)")" = 2 ] && ok || bad "the rules changed after a refused reload"
fi
# A rule error found by the trial is the rule's error, as without limits.
mv "$WORK/rules/big.yaml" "$WORK/big.yaml"
printf 'rules:\n  - id: broken\n    name: x\n    severity: low\n    patterns: ["(unclosed"]\n' \
  > "$WORK/rules/zz-broken.yaml"
"$BUILD/dlpctl" reload --socket "$SOCK" > "$WORK/limit3.out" 2>&1
grep -q "zz-broken.yaml.*rule 'broken'" "$WORK/limit3.out" && ! grep -q 'reload limits' "$WORK/limit3.out" \
  && ok || bad "a rule error through the trial: $(cat "$WORK/limit3.out")"
rm "$WORK/rules/zz-broken.yaml"
term_dlpd
kill -0 "$helper" 2> /dev/null && bad "the compile helper outlived dlpd" || ok
mv "$WORK/big.yaml" "$WORK/rules/big.yaml"

# SIGTERM while start-up compiles the rules: dlpd stops at once.
start_dlpd "$WORK/start.log"
sleep 0.5
term_dlpd
[ "$rc" = 0 ] && [ "$ms" -lt 1000 ] && ok || bad "SIGTERM during start-up: exit $rc after $ms ms"
grep -q 'stopped during start-up' "$WORK/start.log" && ok || bad "start-up stop: $(cat "$WORK/start.log")"
echo "SIGTERM during start-up: exited in $ms ms"

echo "control test: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
