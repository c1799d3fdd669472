#!/usr/bin/env bash
# dlpd's own log, as the system takes it: on stderr with ISO 8601 UTC
# times; under systemd (stderr is $JOURNAL_STREAM) with journald's "<N>"
# priority prefixes; through syslog(3) at each line's priority and the
# chosen facility (read from a socket bound as /dev/log in a mount
# namespace of the test's own); to a file that SIGUSR1 reopens after it is
# moved, as it reopens the EVE log, while SIGHUP only reloads; debug lines
# at --log-level debug only.
# Root (mount namespace, mknod) for the syslog part: skips it (77) unless
# DLP_REQUIRE_NETNS=1, as in CI, when it fails instead.
# Usage: logging_test.sh BUILD_DIR
set -uo pipefail
BUILD=$(cd "$1" && pwd)
WORK=$(mktemp -d)
pid=""
listener=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2> /dev/null
  [ -n "$listener" ] && kill "$listener" 2> /dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }

# An empty capture (global header only): dlpd starts, reads it, stops.
python3 -c 'import struct,sys; open(sys.argv[1],"wb").write(struct.pack("<IHHiIII",0xa1b2c3d4,2,4,0,0,65535,1))' "$WORK/empty.pcap"
# A policy that lets values through on the Host alone: dlpd warns at start.
printf 'statements:\n  - {name: x, when: {rule: pan, host: pay.example}, action: pass}\n' > "$WORK/warn.yaml"
replay() { "$BUILD/dlpd" --pcap-in "$WORK/empty.pcap" --pcap-out "$WORK/out.pcap" --policy "$WORK/warn.yaml" "$@"; }

# 1. stderr: UTC times and the level.
replay 2> "$WORK/stderr.log"
grep -Eq '^20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z \[info\] dlpd .* started' "$WORK/stderr.log" && ok \
  || bad "stderr format: $(head -3 "$WORK/stderr.log")"
grep -Eq 'Z \[warning\] .*lets values through' "$WORK/stderr.log" && ok || bad "stderr warning: $(cat "$WORK/stderr.log")"
! grep -q 'settings (' "$WORK/stderr.log" && ok || bad "a debug line at info"
replay --log-level debug 2> "$WORK/debug.log"
grep -q '\[debug\] settings (no file): pcap-in=' "$WORK/debug.log" && ok || bad "no debug line at debug: $(head -3 "$WORK/debug.log")"

# 2. journald: stderr is the stream $JOURNAL_STREAM names.
: > "$WORK/journal.log"
JOURNAL_STREAM=$(stat -c '%d:%i' "$WORK/journal.log") replay 2>> "$WORK/journal.log"
grep -q '^<6>dlpd .* started' "$WORK/journal.log" && ok || bad "journald info: $(head -3 "$WORK/journal.log")"
grep -q '^<4>.*lets values through' "$WORK/journal.log" && ok || bad "journald warning: $(cat "$WORK/journal.log")"
! grep -Eq '^[^<]' "$WORK/journal.log" && ok || bad "a journald line without priority: $(grep -E '^[^<]' "$WORK/journal.log" | head -2)"
# A name from a file (here a policy statement's) cannot start a line of its
# own: a newline in it would otherwise forge a journald priority.
printf 'statements:\n  - {name: "x\\n<0>forged", when: {rule: pan, host: pay.example}, action: pass}\n' > "$WORK/forge.yaml"
: > "$WORK/forge.log"
JOURNAL_STREAM=$(stat -c '%d:%i' "$WORK/forge.log") "$BUILD/dlpd" --pcap-in "$WORK/empty.pcap" \
  --pcap-out "$WORK/out.pcap" --policy "$WORK/forge.yaml" 2>> "$WORK/forge.log"
grep -qF "statement 'x\\n<0>forged'" "$WORK/forge.log" && ok || bad "the name, escaped: $(cat "$WORK/forge.log")"
! grep -q '^<0>' "$WORK/forge.log" && ok || bad "a forged line: $(grep '^<0>' "$WORK/forge.log")"
# Another stream (stderr redirected by whoever started dlpd): plain lines.
JOURNAL_STREAM=1:1 replay 2> "$WORK/notjournal.log"
grep -q 'Z \[info\] dlpd' "$WORK/notjournal.log" && ok || bad "JOURNAL_STREAM of another file: $(head -2 "$WORK/notjournal.log")"

# 3. A log file: SIGUSR1 reopens it (and the EVE log) by path; SIGHUP reloads only.
port=$((30000 + $$ % 20000))
"$BUILD/dlpd" --divert "$port" --divert-emulated --control-socket "$WORK/d.sock" --db "$WORK/i.db" \
  --eve-log "$WORK/eve.json" --log "$WORK/dlpd.log" 2> "$WORK/stderr2.log" &
pid=$!
for _ in $(seq 100); do grep -q started "$WORK/dlpd.log" 2> /dev/null && break; sleep 0.1; done
grep -Eq 'Z \[info\] dlpd .* started' "$WORK/dlpd.log" && ok || bad "log file: $(cat "$WORK/dlpd.log" "$WORK/stderr2.log")"
[ ! -s "$WORK/stderr2.log" ] && ok || bad "stderr with --log FILE: $(cat "$WORK/stderr2.log")"
mv "$WORK/dlpd.log" "$WORK/dlpd.log.1"
mv "$WORK/eve.json" "$WORK/eve.json.1"
kill -HUP "$pid"
for _ in $(seq 100); do grep -q 'reload: ' "$WORK/dlpd.log.1" && break; sleep 0.1; done
grep -q 'reload: reloaded' "$WORK/dlpd.log.1" && ok || bad "SIGHUP: $(cat "$WORK/dlpd.log.1")"
[ ! -e "$WORK/dlpd.log" ] && [ ! -e "$WORK/eve.json" ] && ok || bad "SIGHUP reopened the logs"
kill -USR1 "$pid"
for _ in $(seq 100); do [ -s "$WORK/dlpd.log" ] && break; sleep 0.1; done
grep -q 'SIGUSR1: log files reopened' "$WORK/dlpd.log" && ok || bad "SIGUSR1: $(cat "$WORK/dlpd.log" 2>&1)"
[ -e "$WORK/eve.json" ] && ok || bad "SIGUSR1 did not reopen the EVE log"
! grep -q 'reload' "$WORK/dlpd.log" && ok || bad "SIGUSR1 reloaded"
kill -TERM "$pid"
wait "$pid"
pid=""
grep -q 'unexpected_errors=0' "$WORK/dlpd.log" && ok || bad "the exit lines went elsewhere: $(tail -2 "$WORK/dlpd.log")"

# The log file is opened as dlpd's other files are: never through a link
# (started as root, dlpd opens it in a directory its user may write).
ln -s "$WORK/elsewhere" "$WORK/link.log"
"$BUILD/dlpd" --pcap-in "$WORK/empty.pcap" --pcap-out "$WORK/out.pcap" --log "$WORK/link.log" 2> "$WORK/link.err" \
  && bad "a log file through a link was opened" || ok
grep -q 'log file .*link.log: a symbolic link' "$WORK/link.err" && [ ! -e "$WORK/elsewhere" ] && ok \
  || bad "link: $(cat "$WORK/link.err")"
"$BUILD/dlpd" --check --pcap-in "$WORK/empty.pcap" --pcap-out "$WORK/out.pcap" --log "$WORK/link.log" > "$WORK/link.chk" 2>&1 \
  && bad "--check passed a log file through a link" || ok
# Nor a second name of another file (a hard link to a file of root's).
echo "root's" > "$WORK/victim"
ln "$WORK/victim" "$WORK/hard.log"
"$BUILD/dlpd" --pcap-in "$WORK/empty.pcap" --pcap-out "$WORK/out.pcap" --log "$WORK/hard.log" 2> "$WORK/hard.err" \
  && bad "a hard-linked log file was opened" || ok
grep -q 'hard.log: has other hard links' "$WORK/hard.err" && [ "$(cat "$WORK/victim")" = "root's" ] && ok \
  || bad "hard link: $(cat "$WORK/hard.err")"

# 4. syslog(3): /dev/log is a socket of ours, in a mount namespace.
if [ "$(id -u)" != 0 ]; then
  [ "${DLP_REQUIRE_NETNS:-0}" = 1 ] && { echo "FAIL: the syslog part needs root" >&2; exit 1; }
  echo "SKIP: the syslog part needs root" >&2
  echo "logging: $pass passed, $fail failed"
  [ "$fail" = 0 ] && exit 77 || exit 1
fi
python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "ab", buffering=0) as out:
    while True:
        out.write(s.recv(65536) + b"\n")' "$WORK/log.sock" "$WORK/syslog.txt" &
listener=$!
for _ in $(seq 50); do [ -S "$WORK/log.sock" ] && break; sleep 0.1; done
mkdir "$WORK/dev"
mknod -m 666 "$WORK/dev/null" c 1 3
mknod -m 444 "$WORK/dev/urandom" c 1 9
ln -s "$WORK/log.sock" "$WORK/dev/log"
for facility in daemon local3; do
  unshare -m --propagation private sh -c 'mount --bind "$1/dev" /dev && shift && exec "$@"' sh "$WORK" \
    "$BUILD/dlpd" --pcap-in "$WORK/empty.pcap" --pcap-out "$WORK/out.pcap" --policy "$WORK/warn.yaml" \
    --log syslog --log-facility "$facility" 2> "$WORK/syslog-stderr.log"
done
sleep 0.3
grep -Eq '^<30>.*dlpd\[[0-9]+\]: dlpd .* started' "$WORK/syslog.txt" && ok || bad "syslog daemon.info: $(head -3 "$WORK/syslog.txt")"
grep -Eq '^<28>.*dlpd\[[0-9]+\]: .*lets values through' "$WORK/syslog.txt" && ok || bad "syslog daemon.warning: $(cat "$WORK/syslog.txt")"
grep -Eq '^<158>.*dlpd\[[0-9]+\]: dlpd .* started' "$WORK/syslog.txt" && ok || bad "syslog local3.info: $(cat "$WORK/syslog.txt")"
# The forged name through syslog too: escaped, one datagram, one line.
unshare -m --propagation private sh -c 'mount --bind "$1/dev" /dev && shift && exec "$@"' sh "$WORK" \
  "$BUILD/dlpd" --pcap-in "$WORK/empty.pcap" --pcap-out "$WORK/out.pcap" --policy "$WORK/forge.yaml" \
  --log syslog 2> /dev/null
sleep 0.3
grep -qF "statement 'x\\n<0>forged'" "$WORK/syslog.txt" && ok || bad "syslog, the name escaped: $(grep -A1 forge "$WORK/syslog.txt")"
! grep -q '^<0>forged' "$WORK/syslog.txt" && ok || bad "syslog: a forged line"
[ ! -s "$WORK/syslog-stderr.log" ] && ok || bad "stderr with --log syslog: $(cat "$WORK/syslog-stderr.log")"

echo "logging: $pass passed, $fail failed"
[ "$fail" = 0 ]
