# Shared by the end-to-end tests: a client, a gateway and a server, each in
# its own network namespace, joined by veth pairs, IPv4 and IPv6:
#
#   client 10.99.1.2 / fd99:1::2  --  10.99.1.1 / fd99:1::1  gateway
#   gateway 10.99.2.1 / fd99:2::1 --  10.99.2.2 / fd99:2::2  server
#
# The gateway forwards and sends outbound TCP/80 to NFQUEUE 0 (or to what
# NFQ_TARGET says, e.g. "--queue-balance 0:1").
#
# DLP_BACKEND=divert runs the same script through dlpd's divert back end:
# dlpd_args turns `--nfqueue N` into `--divert PORT --divert-emulated` and
# starts tests/tools/divert_emulator on queue N (the BSDs' divert socket,
# emulated: see its header), whose log is WORK/divert-N.log.
#
# An end-to-end script begins with
#   source "$(dirname "$0")/netns_lib.sh" || exit 1
#   netns_prologue "$@"
# and adds its own clean-up, if any, with netns_on_exit. Other users (the
# demo, the benchmark) call netns_require, netns_setup and netns_cleanup.

NS_ID=${NS_ID:-$$}
NS_C=dlpc$NS_ID
NS_G=dlpg$NS_ID
NS_S=dlps$NS_ID

netns_require() {
  # Namespace tests skip (exit 77) where they cannot run, unless CI demands them.
  local why=""
  if [ "$(id -u)" != 0 ]; then
    why="needs root"
  elif ! ip netns add "dlpprobe$NS_ID" 2>/dev/null; then
    why="cannot create network namespaces"
  else
    ip netns del "dlpprobe$NS_ID"
  fi
  if [ -z "$why" ] && ! command -v iptables-legacy >/dev/null && ! command -v iptables >/dev/null; then
    why="no iptables"
  fi
  if [ -n "$why" ]; then
    if [ "${DLP_REQUIRE_NETNS:-0}" = 1 ]; then
      echo "FAIL: namespace test cannot run ($why) and DLP_REQUIRE_NETNS=1" >&2
      exit 1
    fi
    echo "SKIP: namespace test ($why)" >&2
    exit 77
  fi
}

# netns_prologue BUILD_DIR SOURCE_DIR: what every end-to-end script does
# first. Sets -euo pipefail, BUILD and SRC (absolute paths); skips (exit 77)
# where namespaces cannot run, or fails with DLP_REQUIRE_NETNS=1
# (netns_require); makes WORK, a fresh directory; on exit runs the
# script's hooks (netns_on_exit), removes the namespaces and WORK (kept with
# KEEP=1); then builds the namespaces (netns_setup, with NFQ_TARGET).
netns_prologue() {
  set -euo pipefail
  BUILD=$(cd "$1" && pwd)
  SRC=$(cd "$2" && pwd)
  netns_require
  WORK=$(mktemp -d)
  trap netns_exit EXIT
  netns_setup
}

# netns_on_exit COMMAND: COMMAND (a string, evaluated; its failure ignored)
# runs on exit before the namespaces are removed; the last added runs first.
NETNS_EXIT_HOOKS=()
netns_on_exit() { NETNS_EXIT_HOOKS=("$1" "${NETNS_EXIT_HOOKS[@]}"); }

netns_exit() {
  local hook
  for hook in "${NETNS_EXIT_HOOKS[@]}"; do eval "$hook" || true; done
  netns_cleanup
  [ "${KEEP:-0}" = 1 ] || rm -rf "$WORK"
}

ipt() { if command -v iptables-legacy >/dev/null; then iptables-legacy "$@"; else iptables "$@"; fi; }
ip6t() { if command -v ip6tables-legacy >/dev/null; then ip6tables-legacy "$@"; else ip6tables "$@"; fi; }

netns_setup() {
  ip netns add "$NS_C"
  ip netns add "$NS_G"
  ip netns add "$NS_S"
  ip link add "c$NS_ID" netns "$NS_C" type veth peer name "gc$NS_ID" netns "$NS_G"
  ip link add "s$NS_ID" netns "$NS_S" type veth peer name "gs$NS_ID" netns "$NS_G"
  for ns in "$NS_C" "$NS_G" "$NS_S"; do ip -n "$ns" link set lo up; done
  ip -n "$NS_C" link set "c$NS_ID" up
  ip -n "$NS_S" link set "s$NS_ID" up
  ip -n "$NS_G" link set "gc$NS_ID" up
  ip -n "$NS_G" link set "gs$NS_ID" up
  ip -n "$NS_C" addr add 10.99.1.2/24 dev "c$NS_ID"
  ip -n "$NS_G" addr add 10.99.1.1/24 dev "gc$NS_ID"
  ip -n "$NS_G" addr add 10.99.2.1/24 dev "gs$NS_ID"
  ip -n "$NS_S" addr add 10.99.2.2/24 dev "s$NS_ID"
  ip -n "$NS_C" addr add fd99:1::2/64 dev "c$NS_ID" nodad
  ip -n "$NS_G" addr add fd99:1::1/64 dev "gc$NS_ID" nodad
  ip -n "$NS_G" addr add fd99:2::1/64 dev "gs$NS_ID" nodad
  ip -n "$NS_S" addr add fd99:2::2/64 dev "s$NS_ID" nodad
  ip -n "$NS_C" route add default via 10.99.1.1
  ip -n "$NS_S" route add default via 10.99.2.1
  ip -n "$NS_C" -6 route add default via fd99:1::1
  ip -n "$NS_S" -6 route add default via fd99:2::1
  ip netns exec "$NS_G" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
  # Non-first fragments carry no ports: queue them too, or they would pass
  # by the --dport rule uninspected (dlpd refuses fragments: dropped when
  # fail closed, passed and counted when open).
  # DLP_FIREWALL=nftables or iptables: the gateway loads the shipped sample
  # instead (packaging/nftables.conf.sample, iptables.rules.sample).
  local samples
  samples="$(dirname "${BASH_SOURCE[0]}")/../../packaging"
  case "${DLP_FIREWALL:-}" in
    nftables) ip netns exec "$NS_G" nft -f "$samples/nftables.conf.sample" ;;
    iptables) ip netns exec "$NS_G" env DLPD_QUEUE="${NFQ_TARGET:---queue-num 0}" sh "$samples/iptables.rules.sample" ;;
    none) ;;  # the caller loads its own
    *)
      ip netns exec "$NS_G" bash -c "$(declare -f ipt ip6t); \
        ipt -A FORWARD -p tcp --dport 80 -j NFQUEUE ${NFQ_TARGET:---queue-num 0} && \
        ipt -A FORWARD -p tcp -f -j NFQUEUE ${NFQ_TARGET:---queue-num 0} && \
        ip6t -A FORWARD -p tcp --dport 80 -j NFQUEUE ${NFQ_TARGET:---queue-num 0} && \
        ip6t -A FORWARD -m frag -j NFQUEUE ${NFQ_TARGET:---queue-num 0}"
      ;;
  esac
}

# netns_start DIR DLPD_BINARY DLPD_ARGS...: starts the HTTP sink on the
# server (bodies into DIR/recv) and dlpd on the gateway (log in DIR/dlpd.log),
# waits until both are up, and sets DLPD to dlpd's pid. Exits 1 if dlpd dies.
netns_start() {
  local dir=$1 bin=$2 lib_dir
  shift 2
  lib_dir=$(dirname "${BASH_SOURCE[0]}")
  mkdir -p "$dir/recv"
  ip netns exec "$NS_S" python3 "$lib_dir/http_sink.py" "$dir/recv" 80 &
  dlpd_args "$dir" "$@"
  ip netns exec "$NS_G" "$bin" "${DLPD_ARGS[@]}" 2> "$dir/dlpd.log" &
  DLPD=$!
  for _ in $(seq 50); do
    grep -q started "$dir/dlpd.log" 2>/dev/null && ip netns exec "$NS_S" ss -ltn | grep -q ':80 ' && break
    sleep 0.1
  done
  if ! kill -0 "$DLPD" 2>/dev/null; then
    echo "FAIL: dlpd did not start:" >&2
    cat "$dir/dlpd.log" >&2
    exit 1
  fi
}

# dlpd_args DIR DLPD_ARGS...: sets DLPD_ARGS to the arguments for the
# back end DLP_BACKEND names (nfqueue, the default, or divert). For divert,
# starts the emulator for each `--nfqueue N` (one queue; in the gateway
# namespace) unless one runs for it already; it lives as long as the
# namespace.
dlpd_args() {
  local dir=$1 q
  shift
  DLPD_ARGS=()
  while [ $# -gt 0 ]; do
    if [ "${DLP_BACKEND:-nfqueue}" = divert ] && [ "$1" = --nfqueue ]; then
      q=$2
      shift 2
      case $q in *-*) echo "FAIL: the divert back end has one socket, not queues $q" >&2; exit 1 ;; esac
      DLPD_ARGS+=(--divert $((8668 + q)) --divert-emulated)
      if ! ip netns pids "$NS_G" | xargs -r ps -o args= -p 2>/dev/null | grep -q "divert_emulator --queue $q "; then
        ip netns exec "$NS_G" "$BUILD/tests/divert_emulator" --queue "$q" --port $((8668 + q)) \
          2> "$dir/divert-$q.log" &
        for _ in $(seq 50); do grep -q NFQUEUE "$dir/divert-$q.log" 2>/dev/null && break; sleep 0.1; done
      fi
      continue
    fi
    DLPD_ARGS+=("$1")
    shift
  done
}

# divert_stop DIR: stops the divert emulators, prints their counts; false
# unless each re-injected packets, re-injected every one it was given
# back, dlpd took every packet diverted to it, and the kernel dropped none
# on the way to the emulator (its queue full or its socket: the test then
# ran on a lossy link it did not ask for). For after dlpd exits.
divert_stop() {
  local log line ok=0 drops
  # /proc/net/netfilter/nfnetlink_queue: queue, portid, waiting, mode,
  # range, queue_dropped, user_dropped, ...
  drops=$(ip netns exec "$NS_G" awk '{n += $6 + $7} END {print n + 0}' /proc/net/netfilter/nfnetlink_queue)
  echo "divert queues: kernel drops=$drops"
  [ "$drops" = 0 ] || ok=1
  ip netns pids "$NS_G" | xargs -r ps -o pid=,args= -p 2>/dev/null \
    | awk '/divert_emulator --queue/ {print $1}' | xargs -r kill -TERM
  sleep 0.3
  for log in "$1"/divert-*.log; do
    line=$(grep 'diverted=' "$log" | tail -1)
    echo "$(basename "$log" .log): ${line#*: }"
    case $line in
      *' written_back=0 '*) ok=1 ;;
      *' send_errors=0 reinject_errors=0') ;;
      *) ok=1 ;;
    esac
  done
  return $ok
}

netns_cleanup() {
  for ns in "$NS_C" "$NS_G" "$NS_S"; do
    ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null
  done
  sleep 0.2
  for ns in "$NS_C" "$NS_G" "$NS_S"; do ip netns del "$ns" 2>/dev/null; done
  return 0
}
