#!/usr/bin/env bash
# Attacks on the divert back end (dlpd --divert PORT --divert-emulated, fed
# by tests/tools/divert_emulator), run through the namespaces of netns_lib.sh:
# restarts and stops of dlpd inside a value, and bursts of flows while the
# socket's buffer fills. DLP_BACKEND defaults to divert here;
# DLP_BACKEND=nfqueue runs the same cases through NFQUEUE (e2e_restart).
# Usage: divert_attack_e2e.sh BUILD_DIR SOURCE_DIR [CASE...]
export DLP_BACKEND=${DLP_BACKEND:-divert}
source "$(dirname "$0")/netns_lib.sh" || exit 1
netns_prologue "$1" "$2"
shift 2
CASES=("$@")
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok: $*"; }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }
want() { [ ${#CASES[@]} = 0 ] || [[ " ${CASES[*]} " == *" $1 "* ]]; }

# start_dlpd ARGS...: (re)starts dlpd on the gateway only (the sink runs).
start_dlpd() {
  local before
  dlpd_args "$WORK" "$@"
  echo "=== start $*" >> "$WORK/dlpd.log"
  before=$(grep -c started "$WORK/dlpd.log" || true)
  ip netns exec "$NS_G" "$BUILD/dlpd" "${DLPD_ARGS[@]}" 2>> "$WORK/dlpd.log" &
  DLPD=$!
  for _ in $(seq 50); do [ "$(grep -c started "$WORK/dlpd.log")" -gt "$before" ] && break; sleep 0.1; done
  kill -0 "$DLPD" 2>/dev/null || { cat "$WORK/dlpd.log" >&2; exit 1; }
}
stop_dlpd() { kill "-${1:-TERM}" "$DLPD" 2>/dev/null; wait "$DLPD" 2>/dev/null || true; }

# client HOST NAME PIECE:PAUSE... : one POST whose body is the pieces, each
# written alone (TCP_NODELAY), each followed by its pause in seconds; prints
# the reply's first line or the error. Content-Length is the whole body.
client() {
  ip netns exec "$NS_C" /usr/bin/python3 - "$@" <<'EOF'
import socket, sys, time
host, name, pieces = sys.argv[1], sys.argv[2], sys.argv[3:]
parts = [(p.rsplit(":", 1)[0].encode(), float(p.rsplit(":", 1)[1])) for p in pieces]
body_len = sum(len(b) for b, _ in parts)
s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
s.settimeout(30)
try:
    s.connect((host, 80))
    s.sendall(("POST /a HTTP/1.1\r\nHost: a\r\nX-Test-Id: %s\r\nContent-Length: %d\r\n"
               "Connection: close\r\n\r\n" % (name, body_len)).encode())
    time.sleep(0.05)
    for b, pause in parts:
        s.sendall(b)
        time.sleep(pause)
    reply = b""
    while True:
        c = s.recv(4096)
        if not c:
            break
        reply += c
    print(reply.split(b"\r\n", 1)[0].decode(errors="replace"))
except Exception as e:
    print("error: %r" % e)
EOF
}

mkdir -p "$WORK/recv"
ip netns exec "$NS_S" python3 "$SRC/tests/e2e/http_sink.py" "$WORK/recv" 80 &
for _ in $(seq 50); do ip netns exec "$NS_S" ss -ltn | grep -q ':80 ' && break; sleep 0.1; done

# --- restart: dlpd restarts while a value is open; the emulator (or the
# queue) stays. The client writes "x=1&ssn=536-22-", waits 3 s, writes
# "1457&y=2". dlpd is stopped AT seconds in with SIG, and started again:
#   0.6 TERM: the old dlpd holds the sender's copy of the tail it withheld
#             (tails_held) when it stops: it must not release it (it did,
#             in clear, when a stop ended every stream: PacketPipeline::
#             Shutdown);
#   0.1 TERM: the tail is withheld when dlpd stops;
#   0.6 KILL: the held copy dies with dlpd.
# Each time the new dlpd picks the flow up at the sender's copy of
# "536-22-", with no request line to say where the body ends: it must not
# let it go (it did, as the end of a body: FlowInspection::EndUnknown).
# Expected every time: x=1&ssn=XXX-XX-XXXX&y=2, or the exchange refused.
if want restart; then
  for spec in ${RESTART_SPECS:-0.6:TERM 0.1:TERM 0.6:KILL}; do
    at=${spec%:*}
    sig=${spec#*:}
    for host in 10.99.2.2 fd99:2::2; do
      start_dlpd --nfqueue 0
      client "$host" "restart-$at-$sig-$host" 'x=1&ssn=536-22-:3' '1457&y=2:0' > "$WORK/restart.out" &
      c=$!
      sleep "$at"
      stop_dlpd "$sig"
      start_dlpd --nfqueue 0
      wait $c || true
      body=$(cat "$WORK/recv/restart-$at-$sig-$host.body" 2>/dev/null || echo "<none>")
      stop_dlpd  # its counters reach the log
      case $body in
        'x=1&ssn=XXX-XX-XXXX&y=2' | '<none>') ok "restart $at $sig $host: '$body'" ;;
        *) bad "restart $at $sig $host: the server got '$body' (partial counter:"           "$(grep -o ' partial=[0-9]*' "$WORK/dlpd.log" | tail -1))" ;;
      esac
    done
  done
fi

# --- stop: dlpd is stopped (SIGSTOP) while a value is open and its rest,
# and the sender's copies, pile up in the socket; timers are all due at once
# when it runs again.
if want stop; then
  for at in 0.01 0.6; do
    for host in 10.99.2.2 fd99:2::2; do
      start_dlpd --nfqueue 0
      client "$host" "stop-$at-$host" 'x=1&ssn=536-22-:1' '1457&y=2:0' > "$WORK/stop.out" &
      c=$!
      sleep "$at"
      kill -STOP "$DLPD"
      sleep 3
      kill -CONT "$DLPD"
      wait $c || true
      body=$(cat "$WORK/recv/stop-$at-$host.body" 2>/dev/null || echo "<none>")
      case $body in
        *536-22-1457*) bad "stop $at $host: the SSN reached the server in clear: '$body'" ;;
        'x=1&ssn=XXX-XX-XXXX&y=2') ok "stop $at $host: masked" ;;
        *) bad "stop $at $host: body '$body' reply '$(cat "$WORK/stop.out")'" ;;
      esac
      stop_dlpd
    done
  done
fi

# --- burst: many flows of both families at once, values split across
# segments, with a stop of dlpd in the middle (the socket's buffer fills);
# every body must arrive masked and every exchange complete.
if want burst; then
  start_dlpd --nfqueue 0
  if [ -n "${TCPDUMP:-}" ]; then
    ip netns exec "$NS_S" tcpdump -i any -n -w "$WORK/burst-srv.pcap" 'tcp port 80' >/dev/null 2>&1 &
    ip netns exec "$NS_C" tcpdump -i any -n -w "$WORK/burst-cli.pcap" 'tcp port 80' >/dev/null 2>&1 &
    sleep 1
  fi
  pids=()
  for i in $(seq 1 16); do
    host=10.99.2.2
    [ $((i % 2)) = 0 ] && host=fd99:2::2
    client "$host" "burst-$i" "$(printf 'pad=%0800d' "$i")&ssn=536-2:1.5" '2-1457&card=4111 1111:0.3' \
      ' 1111 1111&y=2:0' > "$WORK/burst-$i.out" &
    pids+=($!)
    sleep 0.1  # handshakes one by one: the sink's listen backlog is 5
  done
  kill -STOP "$DLPD"
  sleep 2
  kill -CONT "$DLPD"
  for p in "${pids[@]}"; do wait "$p" || true; done
  want_body="$(printf 'pad=%0800d' 0 | cut -c1-4)"
  for i in $(seq 1 16); do
    body=$(cat "$WORK/recv/burst-$i.body" 2>/dev/null || echo "<none: $(cat "$WORK/burst-$i.out")>")
    case $body in
      *536-22-1457* | *'4111 1111 1111 1111'*) bad "burst $i: a value reached the server in clear: '${body: -60}'" ;;
      "$(printf 'pad=%0800d' "$i")&ssn=XXX-XX-XXXX&card=XXXX XXXX XXXX XXXX&y=2") ok "burst $i" ;;
      *) bad "burst $i: body '${body: -60}' reply '$(cat "$WORK/burst-$i.out")'" ;;
    esac
  done
  stop_dlpd
  grep -o ' packets=[0-9]*\| verdicts=[0-9]*\| send_errors=[0-9]*' "$WORK/dlpd.log" | tail -3 | tr '\n' ' '
  echo
fi

echo "divert attack e2e ($DLP_BACKEND): $pass passed, $fail failed"
[ "$fail" = 0 ]
