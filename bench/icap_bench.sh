#!/usr/bin/env bash
# HTTPS through Squid's ssl-bump, with and without dlpd's ICAP REQMOD
# service, in one run: the same client load (curl, keep-alive, N transfers
# at once) POSTs number-dense web-API JSON bodies (ids, prices, timestamps;
# one in ten also carries a card and an SSN) through the proxy to an HTTPS
# server; prints requests a second and the latency percentiles of each, and
# their ratios. Figures, not pass/fail (bench/run.sh runs it; root:
# namespaces). DLPD_ARGS: more options for dlpd.
#
# The client sends no "Expect: 100-continue" (curl does for bodies over
# 1 MiB): through Squid with any REQMOD service, the client then waits its
# own timeout (curl: 1 s) for a 100 Continue that Squid, adapting the
# request, does not send. EXPECT=1 keeps curl's header, to measure that.
#   bash bench/icap_bench.sh BUILD_DIR [REQUESTS [PARALLEL [BODY_KB]]]
set -euo pipefail
DLP_FIREWALL=none
NS_ID=${NS_ID:-ib$$}
SRC=$(cd "$(dirname "$0")/.." && pwd)
REQUESTS=${2:-3000}
PARALLEL=${3:-8}
BODY_KB=${4:-2}
source "$SRC/tests/e2e/netns_lib.sh"
netns_prologue "$1" "$SRC"

CERTGEN=/usr/lib/squid/security_file_certgen
source "$SRC/tests/e2e/test_ca.sh"
make_test_ca "$WORK"

# An HTTPS server that reads each body and answers 200, nothing stored.
cat > "$WORK/sink.py" <<'PY'
import http.server, ssl, sys
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        self.rfile.read(n)
        # One write: a head and a body written apart meet Nagle and the
        # peer's delayed ACK (40 ms a request, for both setups alike).
        self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
    def log_message(self, *a):
        pass
s = http.server.ThreadingHTTPServer(("10.99.2.2", 443), H)
t = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
t.load_cert_chain(sys.argv[1], sys.argv[2])
s.socket = t.wrap_socket(s.socket, server_side=True)
s.serve_forever()
PY
ip netns exec "$NS_S" python3 "$WORK/sink.py" "$WORK/server.pem" "$WORK/server.key" &

# Bodies: web-API JSON, about 2 KB, one in ten with values.
python3 - "$WORK" "$REQUESTS" "$BODY_KB" "${EXPECT:-0}" <<'PY'
import json, random, sys
work, n, kb = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
expect = "" if sys.argv[4] == "1" else 'header = "Expect:"\n'
r = random.Random(1)
with open(work + "/curl.cfg", "w") as cfg:
    for b in range(10):
        items = [{"sku": r.randint(10**7, 10**8), "qty": r.randint(1, 9),
                  "price": "%d.%02d" % (r.randint(1, 900), r.randint(0, 99)),
                  "ts": 1733480000000 + r.randint(0, 10**7),
                  "order": "%d-%d" % (r.randint(10**5, 10**6), r.randint(10**3, 10**4))}
                 for _ in range(max(1, kb * 8))]
        doc = {"customer": r.randint(10**6, 10**7), "items": items}
        if b == 0:
            doc["payment"] = {"card": "4111 1111 1111 1111", "ssn": "536-22-1457"}
        open("%s/body%d.json" % (work, b), "w").write(json.dumps(doc))
    for i in range(n):
        cfg.write('%surl = "https://files.test/api/orders"\n'
                  'data-binary = "@%s/body%d.json"\noutput = "/dev/null"\n'
                  'header = "Content-Type: application/json"\n%s'
                  'proxy = "http://10.99.1.1:3128"\ncacert = "%s/ca.pem"\n'
                  'write-out = "%%{http_code} %%{time_total}\\n"\n'
                  % ("next\n" if i else "", work, i % 10, expect, work))
PY

echo "10.99.2.2 files.test" > "$WORK/hosts"
mkdir -p "$WORK/squid"
chown proxy "$WORK/squid"
runuser -u proxy -- $CERTGEN -c -s "$WORK/squid/ssl_db" -M 16MB > /dev/null

# run_squid WITH_ICAP: starts Squid on the gateway (ICAP to dlpd or not).
run_squid() {
  {
    [ "$1" = 1 ] && cat "$SRC/packaging/squid-icap.conf.sample"
    [ "$1" = 1 ] || printf 'acl dlp_step1 at_step SslBump1\nssl_bump peek dlp_step1\nssl_bump bump all\n'
    cat <<EOF
http_port 10.99.1.1:3128 ssl-bump tls-cert=$WORK/ca.pem tls-key=$WORK/ca.key generate-host-certificates=on dynamic_cert_mem_cache_size=16MB
sslcrtd_program $CERTGEN -s $WORK/squid/ssl_db -M 16MB
tls_outgoing_options cafile=$WORK/ca.pem
hosts_file $WORK/hosts
pid_filename $WORK/squid/squid.pid
access_log none
cache_log $WORK/squid/cache.log
coredump_dir $WORK/squid
http_access allow all
cache deny all
EOF
  } > "$WORK/squid.conf"
  ip netns exec "$NS_G" squid -N -f "$WORK/squid.conf" 2>> "$WORK/squid/stderr.log" &
  SQUID=$!
  for _ in $(seq 100); do
    ip netns exec "$NS_G" ss -ltn | grep -q '10.99.1.1:3128 ' && break
    sleep 0.1
  done
}
stop_squid() {
  kill "$SQUID" 2>/dev/null || true
  wait "$SQUID" 2>/dev/null || true
  for _ in $(seq 50); do
    ip netns exec "$NS_G" ss -ltn | grep -q '10.99.1.1:3128 ' || break
    sleep 0.1
  done
}

# measure NAME: the client's run through the proxy; prints its figures.
measure() {
  local start end
  # A warm-up (the proxy's certificate for files.test is made once).
  ip netns exec "$NS_C" curl -s -o /dev/null --proxy http://10.99.1.1:3128 --cacert "$WORK/ca.pem" \
    -d x=1 https://files.test/ || true
  start=$(date +%s.%N)
  ip netns exec "$NS_C" curl -s -Z --parallel-max "$PARALLEL" -K "$WORK/curl.cfg" > "$WORK/$1.times"
  end=$(date +%s.%N)
  python3 - "$WORK/$1.times" "$start" "$end" "$1" <<'PY'
import sys
lines = [l.split() for l in open(sys.argv[1]) if l.strip()]
ok = [float(t) for c, t in lines if c == "200"]
wall = float(sys.argv[3]) - float(sys.argv[2])
ok.sort()
pct = lambda p: ok[min(len(ok) - 1, int(p * len(ok)))] * 1000
print("%s %d %d %.1f %.2f %.2f %.2f" % (sys.argv[4], len(lines), len(ok), len(ok) / wall,
                                         pct(0.5), pct(0.9), pct(0.99)))
PY
}

ip netns exec "$NS_G" "$BUILD/dlpd" --icap 127.0.0.1:1344 --control-socket "$WORK/dlpd.sock" ${DLPD_ARGS:-} \
  2> "$WORK/dlpd.log" &
DLPD=$!
netns_on_exit "kill $DLPD 2>/dev/null"
for _ in $(seq 50); do grep -q 'icap: serving' "$WORK/dlpd.log" && break; sleep 0.1; done

run_squid 0
plain=$(measure squid)
stop_squid
run_squid 1
icap=$(measure squid+dlpd)
stop_squid

echo "== HTTPS POSTs through Squid ssl-bump: $REQUESTS requests, $PARALLEL at once, ~$BODY_KB KB JSON bodies"
printf '%-12s %8s %6s %9s %8s %8s %8s\n' setup requests ok req/s p50_ms p90_ms p99_ms
for row in "$plain" "$icap"; do
  # shellcheck disable=SC2086
  printf '%-12s %8s %6s %9s %8s %8s %8s\n' $row
done
python3 - "$plain" "$icap" <<'PY'
import sys
a, b = (s.split() for s in sys.argv[1:3])
print("ratio squid+dlpd/squid: req/s %.2f, p50 +%.2f ms, p99 +%.2f ms" % (
    float(b[3]) / float(a[3]), float(b[4]) - float(a[4]), float(b[6]) - float(a[6])))
PY
"$BUILD/dlpctl" status --json --socket "$WORK/dlpd.sock" | python3 -c '
import json, sys
s = json.load(sys.stdin)["icap"]
print("dlpd icap: reqmod %d, no_change %d, modified %d, errors %d, body MiB %.1f" % (
    s["reqmod"], s["no_change"], s["modified"], s["errors"], s["body_bytes"] / 2**20))'
