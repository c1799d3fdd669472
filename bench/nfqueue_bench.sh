#!/usr/bin/env bash
# Inline throughput through the kernel's NFQUEUE (issue #8): a client, a
# gateway and a server in network namespaces; iperf3 sends TCP to port 80
# through the gateway for a few seconds, from two client addresses (the
# kernel's --queue-balance spreads by address). In the same run, the
# gateway's queue is served by
#   - nfq_null: accepts every packet unread, same batching (the ceiling);
#   - dlpd (full inspection of clean traffic);
# each with one queue and with two (--queue-balance 0:1, one worker each).
# Prints Mbit/s, packets/s and the ratios. Root; Debian's iperf3.
# With --http FILE the traffic is HTTP/1.1 instead: FILE (a stream of
# complete requests, bench/api_corpus.py) posted over and over, pipelined,
# two connections per client address (bench/http_load.cpp), to a server
# that parses every request and answers it; Mbit/s is then the request
# bytes the server's application received whole.
# Usage: nfqueue_bench.sh BUILD_DIR [SECONDS] [--http FILE]
set -euo pipefail
BUILD=$(cd "$1" && pwd)
export DLPD_CONFIG=  # the settings given here, not an installed /etc/dlpd/dlpd.conf
SECS=${2:-4}
HTTP_FILE=
if [ "${3:-}" = --http ]; then HTTP_FILE=$(cd "$(dirname "$4")" && pwd)/$(basename "$4"); fi
SRC=$(cd "$(dirname "$0")/.." && pwd)
source "$SRC/tests/e2e/netns_lib.sh"
netns_require
WORK=$(mktemp -d)
trap 'netns_cleanup; rm -rf "$WORK"' EXIT

run() {  # run QUEUES PROGRAM...: prints "Mbit/s packets/s"
  local queues=$1
  shift
  NS_ID=$((NS_ID + 1))
  NS_C=dlpc$NS_ID NS_G=dlpg$NS_ID NS_S=dlps$NS_ID
  if [ "$queues" = 2 ]; then NFQ_TARGET="--queue-balance 0:1" netns_setup; else netns_setup; fi
  ip -n "$NS_C" addr add 10.99.1.3/24 dev "c$NS_ID"
  # An iperf3 server takes one test at a time, and both must use port 80
  # (the queue rule): two server addresses.
  ip -n "$NS_S" addr add 10.99.2.3/24 dev "s$NS_ID"
  local servers=()
  if [ -n "$HTTP_FILE" ]; then
    for d in 2 3; do
      ip netns exec "$NS_S" "$BUILD/http_load" serve 10.99.2.$d 80 "$WORK/served.$d" &
      servers+=($!)
    done
  else
    ip netns exec "$NS_S" iperf3 -s -p 80 -B 10.99.2.2 -D > /dev/null
    ip netns exec "$NS_S" iperf3 -s -p 80 -B 10.99.2.3 -D > /dev/null
  fi
  local pids=()
  for q in $(seq 0 $((queues - 1))); do
    if [ "$1" = nfq_null ]; then
      ip netns exec "$NS_G" "$BUILD/nfq_null" "$q" 2> "$WORK/null$q.log" &
    else
      ip netns exec "$NS_G" "$BUILD/dlpd" --nfqueue "$q" --control-socket "$WORK/c$NS_ID$q.sock" \
        2> "$WORK/dlpd$q.log" &
    fi
    pids+=($!)
  done
  # Clients start once every queue is bound and both servers listen: dlpd
  # compiles its rules first, and a client that started before could lose
  # its first packets to an unbound queue.
  for _ in $(seq 100); do
    bound=$(ip netns exec "$NS_G" cat /proc/net/netfilter/nfnetlink_queue 2> /dev/null | wc -l)
    listening=$(ip netns exec "$NS_S" ss -ltn | grep -c ':80 ' || true)
    [ "$bound" -ge "$queues" ] && [ "$listening" -ge 2 ] && break
    sleep 0.1
  done
  ip netns exec "$NS_G" iptables-legacy -Z FORWARD
  local clients=()
  for a in 10.99.1.2 10.99.1.3; do
    local dst=10.99.2.2
    [ "$a" = 10.99.1.3 ] && dst=10.99.2.3
    (
      rc=0
      if [ -n "$HTTP_FILE" ]; then
        ip netns exec "$NS_C" "$BUILD/http_load" post "$dst" 80 "$HTTP_FILE" "$SECS" 2 "$a" \
          2> "$WORK/iperf.$a.err" || rc=$?
      else
        ip netns exec "$NS_C" iperf3 -c "$dst" -p 80 -B "$a" -t "$SECS" -P 2 -J \
          > "$WORK/iperf.$a.json" 2> "$WORK/iperf.$a.err" || rc=$?
      fi
      echo "$rc" > "$WORK/iperf.$a.rc"
    ) &
    clients+=($!)
  done
  wait "${clients[@]}" || true
  if [ -n "$HTTP_FILE" ]; then
    # What the servers' applications received whole, as iperf3's JSON says it.
    sleep 0.5
    kill -TERM "${servers[@]}" 2> /dev/null || true
    wait "${servers[@]}" 2> /dev/null || true
    for d in 2 3; do
      read -r reqs bytes < "$WORK/served.$d" || { reqs=0; bytes=nan; }
      printf '{"end": {"sum_received": {"bits_per_second": %s}}, "requests": %s}\n' \
        "$(echo "$bytes * 8 / $SECS" | bc -l 2> /dev/null || echo nan)" "$reqs" > "$WORK/iperf.$d.json"
    done
  fi
  local pkts
  pkts=$(ip netns exec "$NS_G" iptables-legacy -L FORWARD -v -x -n | awk '/NFQUEUE/ && /dpt:80/ {s += $1} END {print s}')
  if [ "$1" != nfq_null ]; then
    # What dlpd did with them: how many it held for the next segment (a
    # segment that ends in digits may end in the first digits of a value).
    for q in $(seq 0 $((queues - 1))); do
      "$BUILD/dlpctl" status --json --socket "$WORK/c$NS_ID$q.sock" > "$WORK/status$q.json" || true
    done
  fi
  kill "${pids[@]}" 2> /dev/null || true
  wait "${pids[@]}" 2> /dev/null || true
  /usr/bin/python3 - "$WORK" "$pkts" "$SECS" <<'PY'
import glob, json, os, sys
bits = 0.0
for f in glob.glob(sys.argv[1] + "/iperf.*.json"):
    try:
        bits += json.load(open(f))["end"]["sum_received"]["bits_per_second"]
    except (ValueError, KeyError) as e:  # a client that could not run: say so
        base = f[:-len(".json")]
        rc = open(base + ".rc").read().strip() if os.path.exists(base + ".rc") else "?"
        err = open(base + ".err").read().strip() if os.path.exists(base + ".err") else ""
        sys.stderr.write("iperf3 client failed (%s, exit %s): %s %s\n" % (f, rc, e, err))
        bits = float("nan")
held = inspected = findings = 0
for f in glob.glob(sys.argv[1] + "/status*.json"):
    try:
        c = json.load(open(f)).get("counters", {})
    except ValueError:
        continue
    held += c.get("held_total", 0)
    inspected += c.get("inspected", 0)
    findings += c.get("findings", 0)
print("%.0f %.0f %s %s" % (bits / 1e6, int(sys.argv[2]) / float(sys.argv[3]),
                           "%d/%d" % (held, inspected) if inspected else "-",
                           findings if inspected else "-"))
PY
  rm -f "$WORK"/iperf.* "$WORK"/status*.json
  netns_cleanup
}

printf '%-28s %12s %12s %9s %16s %9s\n' "queue served by" "Mbit/s" "packets/s" "of null" "held/inspected" "findings"
declare -A r
for q in 1 2; do
  for prog in nfq_null dlpd; do
    r[$prog$q]=$(run "$q" "$prog")
  done
  null_mbit=$(cut -d' ' -f1 <<< "${r[nfq_null$q]}")
  for prog in nfq_null dlpd; do
    read -r mbit pps held findings <<< "${r[$prog$q]}"
    pct=failed
    if [[ $mbit =~ ^[0-9]+$ && $null_mbit =~ ^[1-9][0-9]*$ ]]; then
      pct=$(printf '%.0f%%' "$(echo "100 * $mbit / $null_mbit" | bc -l)")
    fi
    printf '%-28s %12s %12s %9s %16s %9s\n' "$prog, $q queue(s)" "$mbit" "$pps" "$pct" "$held" "$findings"
  done
done
d1=$(cut -d' ' -f1 <<< "${r[dlpd1]}")
d2=$(cut -d' ' -f1 <<< "${r[dlpd2]}")
if [[ $d1 =~ ^[1-9][0-9]*$ && $d2 =~ ^[0-9]+$ ]]; then
  printf 'dlpd scaling, 2 queues over 1: %.2fx\n' "$(echo "$d2 / $d1" | bc -l)"
fi
