#!/usr/bin/env bash
# dlpd's ICAP service (--icap, alone: no packet capture) against another
# implementation's client (c-icap-client, Debian's c-icap) and raw sockets:
#  - OPTIONS: Methods, Allow 204, the ISTag; the ISTag changes when a
#    reload brings another policy;
#  - REQMOD: values masked, same length; a clean body is "no change"
#    (204); the same through a preview (100 Continue); the proxy's
#    X-Client-IP and X-Authenticated-User reach the incident, no value does;
#  - 40 clients at once: every answer masked;
#  - malformed requests (bad Encapsulated, a version, a method, an
#    oversized head, truncated chunks) get a clear ICAP error or a close,
#    and a client that stalls gets 408 while others are served at once;
#    dlpd stays up;
#  - start errors: an address that is none, no port, a port in use;
#  - SIGTERM: exit 0, the ICAP totals logged.
# Usage: icap_test.sh BUILD_DIR
set -euo pipefail
BUILD=$(cd "$1" && pwd)
WORK=$(mktemp -d)
DLPD_PID=
cleanup() {
  [ -n "$DLPD_PID" ] && kill "$DLPD_PID" 2>/dev/null && wait "$DLPD_PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }
command -v c-icap-client >/dev/null || { echo "FAIL: c-icap-client missing (packaging/install-deps.sh)" >&2; exit 1; }

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
printf 'statements:\n  - {name: a, when: {rule: pan, path: /alert}, action: alert}\n' > "$WORK/policy.yaml"
start() {
  "$BUILD/dlpd" --icap "127.0.0.1:$PORT" --icap-timeout-s 3 --db "$WORK/i.db" \
    --policy "$WORK/policy.yaml" --control-socket "$WORK/s.sock" "$@" 2>> "$WORK/dlpd.log" &
  DLPD_PID=$!
  for _ in $(seq 50); do grep -q 'icap: serving' "$WORK/dlpd.log" 2>/dev/null && return 0; sleep 0.1; done
  echo "FAIL: dlpd did not start" >&2
  cat "$WORK/dlpd.log" >&2
  exit 1
}
start
client() { c-icap-client -i 127.0.0.1 -p "$PORT" -s reqmod "$@" 2>&1; }

# OPTIONS.
options=$(client -v)
for want in 'Methods: REQMOD' 'Allow: 204' 'ISTag: "'; do
  grep -qF "$want" <<<"$options" && ok || bad "OPTIONS lacks $want: $options"
done
tag1=$(grep -o 'ISTag: "[^"]*"' <<<"$options")

# REQMOD: masked, same length; the client's fields reach the incident.
printf 'name=x&ssn=536-22-1457&card=4111 1111 1111 1111&end' > "$WORK/values.txt"
client -f "$WORK/values.txt" -req http://files.example/upload -o "$WORK/out.txt" \
  -x "X-Client-IP: 192.0.2.7" -x "X-Authenticated-User: bob" > /dev/null
[ "$(cat "$WORK/out.txt")" = 'name=x&ssn=XXX-XX-XXXX&card=XXXX XXXX XXXX XXXX&end' ] && ok \
  || bad "REQMOD: got '$(cat "$WORK/out.txt")'"
# A clean body: 204, and with a preview (the body longer than it).
printf 'order=1234&qty=2&price=19.99&ts=1733480000123' > "$WORK/clean.txt"
out=$(client -f "$WORK/clean.txt" -req http://files.example/upload -v)
grep -q 'ICAP/1.0 204' <<<"$out" && ok || bad "clean: no 204: $out"
client -f "$WORK/values.txt" -req http://files.example/upload -w 8 -o "$WORK/preview.txt" > /dev/null
[ "$(cat "$WORK/preview.txt")" = 'name=x&ssn=XXX-XX-XXXX&card=XXXX XXXX XXXX XXXX&end' ] && ok \
  || bad "preview: got '$(cat "$WORK/preview.txt")'"
# The policy's alert (cards to /alert): the card stays, the SSN is masked.
client -f "$WORK/values.txt" -req http://files.example/alert -o "$WORK/alert.txt" > /dev/null
[ "$(cat "$WORK/alert.txt")" = 'name=x&ssn=XXX-XX-XXXX&card=4111 1111 1111 1111&end' ] && ok \
  || bad "alert: got '$(cat "$WORK/alert.txt")'"

# 40 clients at once.
for i in $(seq 40); do
  client -f "$WORK/values.txt" -req "http://files.example/u$i" -o "$WORK/par$i.txt" > /dev/null &
done
wait_ok=0
for job in $(jobs -p); do [ "$job" = "$DLPD_PID" ] || wait "$job" || wait_ok=1; done
n=$(grep -l 'ssn=XXX-XX-XXXX&card=XXXX XXXX XXXX XXXX' "$WORK"/par*.txt | wc -l)
[ "$n" = 40 ] && [ "$wait_ok" = 0 ] && ok || bad "40 at once: $n masked"

# Malformed and slow clients, from raw sockets.
python3 - "$PORT" <<'PY' && ok || bad "malformed requests"
import socket, sys, time, threading
port = int(sys.argv[1])
def exchange(data, wait=2.0, close_write=False):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(data)
    if close_write:
        s.shutdown(socket.SHUT_WR)
    s.settimeout(wait)
    got = b""
    try:
        while True:
            b = s.recv(65536)
            if not b:
                break
            got += b
    except socket.timeout:
        pass
    s.close()
    return got
head = b"POST /u HTTP/1.1\r\nHost: a\r\nContent-Length: 15\r\n\r\n"
req = (b"REQMOD icap://127.0.0.1/reqmod ICAP/1.0\r\nHost: x\r\nEncapsulated: req-hdr=0, req-body=%d\r\n\r\n"
       % len(head)) + head + b"f\r\nssn=536-22-1457\r\n0\r\n\r\n"
cases = {
    b"REQMOD icap://h/reqmod ICAP/1.0\r\nEncapsulated: req-hdr=0, req-body=5\r\n\r\nPOST / HTTP/1.1\r\n": b"ICAP/1.0 400",
    b"REQMOD icap://h/reqmod ICAP/1.0\r\nEncapsulated: res-hdr=0\r\n\r\n": b"ICAP/1.0 400",
    b"REQMOD icap://h/reqmod ICAP/9.9\r\n\r\n": b"ICAP/1.0 505",
    b"RESPMOD icap://h/reqmod ICAP/1.0\r\nEncapsulated: null-body=0\r\n\r\n": b"ICAP/1.0 405",
    b"PATCH icap://h/reqmod ICAP/1.0\r\n\r\n": b"ICAP/1.0 501",
    b"OPTIONS icap://h/reqmod ICAP/1.0\r\nX: " + b"a" * 70000 + b"\r\n\r\n": b"ICAP/1.0 400",
    req.replace(b"f\r\nssn", b"zz\r\nssn"): b"ICAP/1.0 400",
}
for data, want in cases.items():
    got = exchange(data)
    assert got.startswith(want), (data[:60], got[:80])
    assert b"Connection: close" in got, got
# Truncated chunks, then the client closes: nothing to answer, no crash.
assert exchange(req[:-12], wait=0.5, close_write=True) == b""
# A client that stalls mid-request holds only itself: another is served
# at once, and the stalled one gets 408 after --icap-timeout-s (3 s).
stalled = socket.create_connection(("127.0.0.1", port))
stalled.sendall(req[:80])
t0 = time.time()
other = socket.create_connection(("127.0.0.1", port))
other.sendall(req)
other.settimeout(2.5)
got = b""
while b"0\r\n\r\n" not in got:
    got += other.recv(65536)
assert b"ssn=XXX-XX-XXXX" in got and time.time() - t0 < 2.5, got
other.close()
stalled.settimeout(6)
late = stalled.recv(4096)
assert late.startswith(b"ICAP/1.0 408"), late
PY
kill -0 "$DLPD_PID" && ok || bad "dlpd died"

# A body it cannot read (a coding it does not decode), to a Host that holds
# a value: blocked (fail closed), and the log's warning names the Host masked.
python3 - "$PORT" <<'PY' && ok || bad "uninspectable"
import socket, sys
head = b"POST /h HTTP/1.1\r\nHost: 4111-1111-1111-1111.example\r\nContent-Encoding: zstd\r\nContent-Length: 1\r\n\r\n"
req = (b"REQMOD icap://127.0.0.1/reqmod ICAP/1.0\r\nHost: x\r\nAllow: 204\r\nEncapsulated: req-hdr=0, req-body=%d\r\n\r\n"
       % len(head)) + head + b"1\r\nx\r\n0\r\n\r\n"
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(req)
s.settimeout(3)
got = b""
while b"\r\n0\r\n\r\n" not in got:
    got += s.recv(65536)
assert b"HTTP/1.1 403 Forbidden" in got, got
PY
grep -q 'a request to XXXX-XXXX-XXXX-XXXX.example could not be inspected' "$WORK/dlpd.log" && ok \
  || bad "no masked warning: $(grep 'could not be inspected' "$WORK/dlpd.log")"

# The incident: client and user from the proxy's fields, no value.
sleep 1.2
"$BUILD/dlpctl" incidents list --db "$WORK/i.db" --format json --limit 1000 > "$WORK/inc.json"
python3 - "$WORK/inc.json" <<'PY' && ok || bad "incidents: $(head -c 600 "$WORK/inc.json")"
import json, sys
text = open(sys.argv[1]).read()
rows = json.loads(text)
bob = [r for r in rows if r.get("http_user") == "bob"]
assert bob and all(r["src_ip"] == "192.0.2.7" for r in bob), bob
assert all(r["dst_ip"] == "0.0.0.0" and r["dst_port"] == 80 for r in bob), bob
assert any(r["action"] == "alert" and r["http_path"] == "http://files.example/alert" for r in rows)
assert "536-22-1457" not in text and "4111 1111" not in text
PY
status=$("$BUILD/dlpctl" status --json --socket "$WORK/s.sock")
python3 - "$status" <<'PY' && ok || bad "status: $status"
import json, sys
s = json.loads(sys.argv[1])["icap"]
assert s["modified"] >= 43 and s["no_change"] >= 1 and s["errors"] >= 8 and s["timeouts"] == 1, s
assert s["uninspectable"] == 1, s
assert s["connections_open"] == 0, s
PY

# A reload with another policy: a new ISTag.
printf 'statements:\n  - {name: b, when: {rule: pan}, action: alert}\n' > "$WORK/policy.yaml"
kill -HUP "$DLPD_PID"
for _ in $(seq 50); do grep -q 'reload: reloaded' "$WORK/dlpd.log" && break; sleep 0.1; done
tag2=$(client -v | grep -o 'ISTag: "[^"]*"')
[ -n "$tag2" ] && [ "$tag1" != "$tag2" ] && ok || bad "ISTag did not change: $tag1 then $tag2"
client -f "$WORK/values.txt" -req http://files.example/upload -o "$WORK/after.txt" > /dev/null
[ "$(cat "$WORK/after.txt")" = 'name=x&ssn=XXX-XX-XXXX&card=4111 1111 1111 1111&end' ] && ok \
  || bad "after reload: got '$(cat "$WORK/after.txt")'"

# SIGTERM: exit 0, the totals logged.
kill -TERM "$DLPD_PID"
rc=0
wait "$DLPD_PID" || rc=$?
DLPD_PID=
[ "$rc" = 0 ] && grep -q "icap 127.0.0.1:$PORT: connections=" "$WORK/dlpd.log" && ok \
  || bad "stop: rc $rc, $(tail -3 "$WORK/dlpd.log")"
# No full value anywhere in dlpd's log.
! grep -E '536-22-1457|4111[ -]?1111[ -]?1111[ -]?1111' "$WORK/dlpd.log" && ok || bad "a value in the log"

# Start errors, each with its reason.
for spec in "1.2.3.4.5:1344" "127.0.0.1:99999" "127.0.0.1:$PORT"; do
  if [ "$spec" = "127.0.0.1:$PORT" ]; then
    python3 -c "import socket,time; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('127.0.0.1',$PORT)); s.listen(); time.sleep(5)" &
    holder=$!
    sleep 0.3
  fi
  err=$(timeout 5 "$BUILD/dlpd" --icap "$spec" 2>&1 >/dev/null) && bad "--icap $spec started" || true
  case $spec in
    1.2.3.4.5*) want="is not an address to listen on" ;;
    *99999) want="needs a port" ;;
    *) want="cannot listen: Address already in use"; kill "$holder" ;;
  esac
  grep -qF "$want" <<<"$err" && ok || bad "--icap $spec: '$err' lacks '$want'"
done

# --check: the address binds (one in use is a warning: the running dlpd's),
# the block page reads.
out=$("$BUILD/dlpd" --check --icap "127.0.0.1:$PORT" 2>&1) && grep -q 'configuration ok' <<<"$out" && ok \
  || bad "--check --icap: $out"
python3 -c "import socket,time; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('127.0.0.1',$PORT)); s.listen(); time.sleep(3)" &
holder=$!
sleep 0.3
out=$("$BUILD/dlpd" --check --icap "127.0.0.1:$PORT" 2>&1) && grep -q 'warning: --icap .*in use' <<<"$out" && ok \
  || bad "--check, port in use: $out"
kill $holder
out=$("$BUILD/dlpd" --check --icap "127.0.0.1:$PORT" --icap-block-page "$WORK/none.html" 2>&1) \
  && bad "--check with no block page passed" || { grep -q 'icap-block-page .*No such file' <<<"$out" && ok || bad "$out"; }

echo "cli_icap: $pass passed, $fail failed"
[ "$fail" = 0 ]
