#!/usr/bin/env bash
# Incidents over syslog as a SIEM's collector receives them, from a real
# dlpd through its forwarder process (no root or namespace needed):
#  - a replayed capture over TCP (RFC 6587 octet counting) with a facility
#    and enterprise number of the site's: one message per stored update,
#    the same ids and counts as the EVE log, no full value;
#  - a live dlpd (the divert back end's emulated socket): the collector
#    stops and comes back on the same port; what came meanwhile waits and
#    arrives, the forwarder having connected again by itself; dlpctl status
#    (text, JSON, Prometheus) counts it;
#  - the forwarder: its own process, sandboxed (seccomp, no new
#    privileges), deaf to the stop signal systemd sends the whole unit,
#    gone once dlpd is;
#  - log rotation reaches the forwarder's lines; a forwarder killed is said,
#    its messages counted as dropped;
#  - --check: an unreachable collector is a warning, a bad target an error.
# Usage: syslog_test.sh BUILD_DIR SOURCE_DIR
set -uo pipefail
BUILD=$(cd "$1" && pwd)
SRC=$(cd "$2" && pwd)
WORK=$(mktemp -d)
DLPD=
COLLECTOR=
cleanup() {
  [ -n "$COLLECTOR" ] && kill "$COLLECTOR" 2> /dev/null
  [ -n "$DLPD" ] && kill -9 "$DLPD" 2> /dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
[ -n "${KEEP:-}" ] && trap - EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
SYSLOG_PORT=$(free_port)
DIVERT_PORT=$(free_port)
MSGS=$WORK/messages.txt
: > "$MSGS"

start_collector() {  # start_collector [--lf]
  rm -f "$WORK/ready"
  python3 "$SRC/tests/storage/syslog_collector.py" "$SYSLOG_PORT" "$MSGS" "$WORK/ready" "$@" \
    > /dev/null &
  COLLECTOR=$!
  for _ in $(seq 100); do [ -e "$WORK/ready" ] && return; sleep 0.05; done
  bad "the collector did not start"
}
stop_collector() {
  kill "$COLLECTOR" 2> /dev/null
  wait "$COLLECTOR" 2> /dev/null
  COLLECTOR=
}
# until SECONDS COMMAND...: true once COMMAND succeeds, within SECONDS.
until_ok() {
  local n=$(($1 * 20))
  shift
  for _ in $(seq "$n"); do "$@" && return 0; sleep 0.05; done
  return 1
}
messages_with() { [ "$(grep -c -- "$1" "$MSGS")" -ge "${2:-1}" ]; }

# --- 1. A replayed capture, over TCP, local3 and enterprise 99999 --------------
/usr/bin/python3 "$SRC/tests/storage/make_incident_pcap.py" "$WORK/in.pcap" 2> /dev/null
start_collector
"$BUILD/dlpd" --pcap-in "$WORK/in.pcap" --pcap-out /dev/null --db "$WORK/replay.db" \
  --eve-log "$WORK/eve.json" --syslog "tcp://127.0.0.1:$SYSLOG_PORT" --syslog-facility local3 \
  --syslog-enterprise 99999 --sensor-name gw-test 2> "$WORK/replay.log" && ok \
  || bad "replay: $(cat "$WORK/replay.log")"
# What dlpd handed over before it exited has arrived: the forwarder sends
# what it holds once dlpd closes its end, and dlpd waits for it.
eve_lines=$(grep -c '"event_type":"alert"' "$WORK/eve.json")
[ "$eve_lines" -ge 5 ] && ok || bad "replay: $eve_lines EVE lines"
until_ok 5 messages_with '^<' "$eve_lines" && ok || bad "replay: $(wc -l < "$MSGS") messages"
# One message per EVE line: the same incident ids and totals.
python3 - "$WORK/eve.json" "$MSGS" << 'EOF' && ok || bad "replay: messages and EVE lines differ"
import json, re, sys
eve = sorted((j["dlp"]["incident_id"], j["dlp"]["count"])
             for j in map(json.loads, open(sys.argv[1])) if j["event_type"] == "alert")
msgs = sorted((int(re.search(r' id="(\d+)"', m).group(1)), int(re.search(r' count="(\d+)"', m).group(1)))
              for m in open(sys.argv[2]))
if eve != msgs:
    print("EVE", eve, "\nsyslog", msgs, file=sys.stderr)
    sys.exit(1)
EOF
# PRI: local3 (19) * 8 + the rule's severity; the site's SD-ID; the sensor.
grep -q '^<15[2-4]>1 [0-9T:.-]*Z gw-test dlpd [0-9]* incident \[dlp@99999 id="' "$MSGS" && ok \
  || bad "replay: header $(head -c 200 "$MSGS")"
! grep -q -v '^<15[2-5]>1 ' "$MSGS" && ok || bad "replay: a message of another facility"
for v in 4111111111111111 '4111 1111 1111 1111' 5555555555554444 536-22-1457; do
  ! grep -q -- "$v" "$MSGS" && ok || bad "replay: full value $v in a message"
done
grep -q 'syslog tcp://127.0.0.1:[0-9]*: connected to 127.0.0.1' "$WORK/replay.log" && ok \
  || bad "replay: no connected line"

stop_collector

# --- 2. A live dlpd; the collector goes away and comes back ------------------
: > "$MSGS"
start_collector
SOCK=$WORK/ctl.sock
"$BUILD/dlpd" --divert "$DIVERT_PORT" --divert-emulated --control-socket "$SOCK" \
  --db "$WORK/live.db" --syslog "tcp://127.0.0.1:$SYSLOG_PORT" 2> "$WORK/live.log" &
DLPD=$!
until_ok 10 grep -q started "$WORK/live.log" || bad "live: dlpd did not start: $(cat "$WORK/live.log")"
status() { "$BUILD/dlpctl" status --socket "$SOCK" --json; }
syslog_field() {  # syslog_field NAME: the forwarder's counter from dlpctl status --json
  status | python3 -c 'import json,sys; print(json.load(sys.stdin)["syslog"][sys.argv[1]])' "$1"
}
field_is() { [ "$(syslog_field "$1")" = "$2" ]; }
FORWARDER=$(pgrep -P "$DLPD" -x dlpd-syslog)
[ -n "$FORWARDER" ] && ok || bad "live: no dlpd-syslog child of dlpd: $(ps -o pid,comm --ppid "$DLPD")"
if [ -n "$FORWARDER" ]; then
  grep -q '^Seccomp:[[:space:]]*2' "/proc/$FORWARDER/status" && ok || bad "live: forwarder not in seccomp"
  grep -q '^NoNewPrivs:[[:space:]]*1' "/proc/$FORWARDER/status" && ok || bad "live: forwarder may gain privileges"
  grep -q '^CapEff:[[:space:]]*0000000000000000' "/proc/$FORWARDER/status" && ok \
    || bad "live: forwarder holds capabilities: $(grep CapEff "/proc/$FORWARDER/status")"
fi

/usr/bin/python3 "$SRC/tests/storage/send_divert.py" "$DIVERT_PORT" 41001
until_ok 5 messages_with 'id="1"' && ok || bad "live: first incident not received"
until_ok 5 field_is connected 1 && ok || bad "live: not connected: $(status)"

stop_collector
until_ok 5 field_is connected 0 && ok || bad "live: the lost connection unnoticed: $(status)"
/usr/bin/python3 "$SRC/tests/storage/send_divert.py" "$DIVERT_PORT" 41002
until_ok 5 field_is queued 1 && ok || bad "live: the message does not wait: $(status)"
failures_seen() { [ "$(syslog_field connect_failures)" -ge 1 ]; }
until_ok 5 failures_seen && ok || bad "live: no failed attempt counted: $(status)"
start_collector
until_ok 10 messages_with 'id="2"' && ok || bad "live: the waiting message never arrived: $(status)"
until_ok 5 field_is sent 2 && ok || bad "live: sent $(syslog_field sent)"
[ "$(syslog_field connects)" = 2 ] && ok || bad "live: connects $(syslog_field connects)"
[ "$(syslog_field dropped)" = 0 ] && ok || bad "live: dropped $(syslog_field dropped)"
grep -q 'connection to 127.0.0.1:[0-9]* lost after [0-9.]* s: closed by the collector' "$WORK/live.log" && ok \
  || bad "live: the loss not logged"
grep -q 'connected to 127.0.0.1:[0-9]* after [0-9]* failed attempts' "$WORK/live.log" && ok \
  || bad "live: the reconnect not logged"
"$BUILD/dlpctl" status --socket "$SOCK" > "$WORK/status.txt"
grep -q "^syslog_sent *2 *syslog forwarder to tcp://127.0.0.1:$SYSLOG_PORT" "$WORK/status.txt" && ok \
  || bad "status text: $(grep syslog "$WORK/status.txt")"
"$BUILD/dlpctl" status --socket "$SOCK" --format prometheus > "$WORK/status.prom"
grep -q '^dlpd_syslog_sent_total 2$' "$WORK/status.prom" && ok || bad "prometheus: sent"
grep -q '^# TYPE dlpd_syslog_queued gauge$' "$WORK/status.prom" && ok || bad "prometheus: queued gauge"
grep -q '^dlpd_syslog_connected 1$' "$WORK/status.prom" && ok || bad "prometheus: connected"

# A stop as systemd sends it (SIGTERM to every process of the unit): the
# forwarder stays until dlpd has closed its end, then ends with it.
if [ -n "$FORWARDER" ]; then
  kill -TERM "$FORWARDER"
  sleep 0.3
  kill -0 "$FORWARDER" 2> /dev/null && ok || bad "live: the forwarder died of SIGTERM"
  /usr/bin/python3 "$SRC/tests/storage/send_divert.py" "$DIVERT_PORT" 41003
  until_ok 5 messages_with 'id="3"' && ok || bad "live: no message after the forwarder's SIGTERM"
fi
# Nothing waits, so nothing holds the stop: a forwarder that did not see
# dlpd close its end (a copy of it held elsewhere) would be waited for.
stop_began=$(date +%s%N)
kill -TERM "$DLPD"
wait "$DLPD" && ok || bad "live: dlpd exit"
DLPD=
stop_ms=$((($(date +%s%N) - stop_began) / 1000000))
[ "$stop_ms" -lt 2500 ] && ok || bad "live: the stop took $stop_ms ms"
if [ -n "$FORWARDER" ]; then
  ! kill -0 "$FORWARDER" 2> /dev/null && ok || bad "live: the forwarder outlived dlpd"
fi
stop_collector

# --- 3. Log rotation, and a forwarder that is killed ------------------------------
: > "$MSGS"
LOG=$WORK/dlpd.log
"$BUILD/dlpd" --divert "$DIVERT_PORT" --divert-emulated --control-socket "$SOCK" \
  --db "$WORK/live2.db" --syslog "tcp://127.0.0.1:$SYSLOG_PORT" --log "$LOG" 2> "$WORK/live2.err" &
DLPD=$!
until_ok 10 grep -qs started "$LOG" || bad "rotation: dlpd did not start: $(cat "$WORK/live2.err" "$LOG")"
FORWARDER=$(pgrep -P "$DLPD" -x dlpd-syslog)
/usr/bin/python3 "$SRC/tests/storage/send_divert.py" "$DIVERT_PORT" 41010
until_ok 5 field_is queued 1 && ok || bad "rotation: no message waits: $(status)"
# The log rotated while the collector is down: the forwarder's next lines
# go to the new file, as dlpd's own.
mv "$LOG" "$LOG.1"
kill -USR1 "$DLPD"
until_ok 5 grep -qs "log files reopened" "$LOG" && ok || bad "rotation: dlpd did not reopen its log"
start_collector
until_ok 35 messages_with 'id="1"' && ok || bad "rotation: the waiting message never arrived: $(status)"
grep -q "syslog tcp://127.0.0.1:$SYSLOG_PORT: connected to 127.0.0.1:$SYSLOG_PORT after" "$LOG" && ok \
  || bad "rotation: the forwarder's line went to the rotated file: $(grep -h syslog "$LOG" "$LOG.1")"
# The forwarder killed with a message waiting: counted as dropped, said.
stop_collector
/usr/bin/python3 "$SRC/tests/storage/send_divert.py" "$DIVERT_PORT" 41011
until_ok 5 field_is queued 1 && ok || bad "killed: no message waits: $(status)"
kill -KILL "$FORWARDER"
until_ok 5 field_is up 0 && ok || bad "killed: status still up: $(status)"
[ "$(syslog_field dropped)" = 1 ] && ok || bad "killed: dropped $(syslog_field dropped)"
[ "$(syslog_field queued)" = 0 ] && [ "$(syslog_field connected)" = 0 ] && ok \
  || bad "killed: stale status: $(status)"
grep -q "syslog forwarder killed by signal 9: incidents are no longer sent to tcp://127.0.0.1:$SYSLOG_PORT until dlpd restarts (1 messages it held lost)" "$LOG" \
  && ok || bad "killed: not logged: $(grep syslog "$LOG")"
kill -TERM "$DLPD"
wait "$DLPD" && ok || bad "killed: dlpd exit"
DLPD=
grep -q "syslog tcp://127.0.0.1:$SYSLOG_PORT: sent=1 dropped=1 resent=0" "$LOG" && ok \
  || bad "killed: no final count: $(grep syslog "$LOG")"

# --- 4. --check ------------------------------------------------------------------
"$BUILD/dlpd" --check --pcap-in "$WORK/in.pcap" --pcap-out /dev/null --db "$WORK/check.db" \
  --syslog "tcp://127.0.0.1:$SYSLOG_PORT" > "$WORK/check.out" 2>&1 && ok \
  || bad "check: a collector that is down refused: $(cat "$WORK/check.out")"
grep -q "Connection refused (dlpd keeps the messages" "$WORK/check.out" && ok \
  || bad "check: no warning: $(cat "$WORK/check.out")"
"$BUILD/dlpd" --check --pcap-in "$WORK/in.pcap" --pcap-out /dev/null --db "$WORK/check.db" \
  --syslog "tls://127.0.0.1:6514" > "$WORK/check.out" 2>&1 && bad "check: tls:// accepted" || ok
grep -q "use tcp://HOST:PORT" "$WORK/check.out" && ok || bad "check: $(cat "$WORK/check.out")"
"$BUILD/dlpd" --pcap-in "$WORK/in.pcap" --pcap-out /dev/null --db "$WORK/check.db" \
  --syslog "tcp://[::1]" > "$WORK/start.out" 2>&1 && bad "start: a bad target accepted" || ok
grep -q "syslog target 'tcp://\[::1\]'" "$WORK/start.out" && ok || bad "start: $(cat "$WORK/start.out")"

echo "syslog_test: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
