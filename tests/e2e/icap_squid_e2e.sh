#!/usr/bin/env bash
# HTTPS through a TLS-intercepting proxy, end to end: Debian's squid-openssl
# on the gateway bumps the client's TLS with a test CA and hands each
# decrypted request to dlpd's ICAP REQMOD service (--icap); an HTTPS server
# behind it (the test CA's certificate) stores what it reads.
#  - curl POSTs a form, JSON with \u escapes, a chunked body, a multipart
#    upload and 5 MB of records with values: every exchange completes, the
#    server reads every value masked, each body with the length it was sent
#    with;
#  - clean bodies (a number-dense JSON API body, 5 MB of it too) reach the
#    server byte-identical;
#  - a value in the URL's query is masked in the head;
#  - a policy `block` (cards to /pay) answers the block page, and the server
#    never sees the request; so do bodies dlpd cannot read (gzip twice, a
#    gzip past its ratio), fail closed;
#  - incidents name the client (Squid's X-Client-IP), the Host, the path and
#    the user Squid authenticated (X-Authenticated-User), never a value;
#  - dlpctl status shows the ICAP counters.
# Usage: icap_squid_e2e.sh BUILD_DIR SOURCE_DIR
DLP_FIREWALL=none
source "$(dirname "$0")/netns_lib.sh" || exit 1
netns_prologue "$@"

pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }

for tool in squid openssl curl; do
  command -v $tool >/dev/null || { echo "FAIL: $tool is missing (packaging/install-deps.sh)" >&2; exit 1; }
done
CERTGEN=/usr/lib/squid/security_file_certgen
FAKE_AUTH=/usr/lib/squid/basic_fake_auth
[ -x $CERTGEN ] || { echo "FAIL: $CERTGEN missing: squid-openssl is needed" >&2; exit 1; }

# The test CA, and the server's certificate from it.
source "$(dirname "$0")/test_ca.sh"
make_test_ca "$WORK"

mkdir -p "$WORK/recv" "$WORK/squid"
ip netns exec "$NS_S" python3 "$SRC/tests/e2e/http_sink.py" "$WORK/recv" 443 \
  "$WORK/server.pem" "$WORK/server.key" &

cat > "$WORK/policy.yaml" <<'EOF'
statements:
  - name: no cards to the payment page
    when: {rule: pan, path: /pay}
    action: block
EOF
ip netns exec "$NS_G" "$BUILD/dlpd" --icap 127.0.0.1:1344 --db "$WORK/incidents.db" \
  --policy "$WORK/policy.yaml" --control-socket "$WORK/dlpd.sock" 2> "$WORK/dlpd.log" &
DLPD=$!

# Squid: ssl-bump with the test CA, every request to dlpd (bypass off: no
# request goes on uninspected), a user from basic auth.
echo "10.99.2.2 files.test" > "$WORK/hosts"
sudo_proxy() { runuser -u proxy -- "$@"; }
chown proxy "$WORK/squid"
sudo_proxy $CERTGEN -c -s "$WORK/squid/ssl_db" -M 4MB > /dev/null
cp "$SRC/packaging/squid-icap.conf.sample" "$WORK/squid.conf"
cat >> "$WORK/squid.conf" <<EOF
# The test's own: where it listens, its files, and a user to name.
http_port 10.99.1.1:3128 ssl-bump tls-cert=$WORK/ca.pem tls-key=$WORK/ca.key generate-host-certificates=on dynamic_cert_mem_cache_size=4MB
sslcrtd_program $CERTGEN -s $WORK/squid/ssl_db -M 4MB
tls_outgoing_options cafile=$WORK/ca.pem
hosts_file $WORK/hosts
pid_filename $WORK/squid/squid.pid
access_log $WORK/squid/access.log
cache_log $WORK/squid/cache.log
coredump_dir $WORK/squid
auth_param basic program $FAKE_AUTH
acl users proxy_auth REQUIRED
http_access allow users
http_access deny all
EOF
ip netns exec "$NS_G" squid -N -f "$WORK/squid.conf" 2> "$WORK/squid/stderr.log" &
SQUID=$!
netns_on_exit "kill $SQUID 2>/dev/null; kill $DLPD 2>/dev/null"
for _ in $(seq 100); do
  grep -q 'icap: serving' "$WORK/dlpd.log" 2>/dev/null \
    && ip netns exec "$NS_G" ss -ltn | grep -q '10.99.1.1:3128 ' \
    && ip netns exec "$NS_S" ss -ltn | grep -q ':443 ' && break
  sleep 0.1
done
if ! ip netns exec "$NS_G" ss -ltn | grep -q '10.99.1.1:3128 '; then
  echo "FAIL: squid did not start" >&2
  cat "$WORK/squid/stderr.log" "$WORK/squid/cache.log" >&2
  exit 1
fi

post() {  # post ID PATH CURL_ARGS...: through the proxy, as alice
  local id=$1 path=$2
  shift 2
  ip netns exec "$NS_C" curl -s -S --max-time 60 -o "$WORK/$id.reply" -w '%{http_code}' \
    --proxy http://10.99.1.1:3128 --proxy-user alice:secret --cacert "$WORK/ca.pem" \
    -H "X-Test-Id: $id" "$@" "https://files.test$path"
}
received() { cat "$WORK/recv/$1.body" 2>/dev/null; }
# The body as sent, with each value masked as dlpd masks it.
mask() { sed -e 's/4111 1111 1111 1111/XXXX XXXX XXXX XXXX/g; s/536-22-1457/XXX-XX-XXXX/g; s/4111111111111111/XXXXXXXXXXXXXXXX/g'; }

# A form.
body='name=alice&ssn=536-22-1457&card=4111 1111 1111 1111&note=ok'
code=$(post form /upload -d "$body") && [ "$code" = 200 ] && ok || bad "form: $code"
[ "$(received form)" = "$(printf %s "$body" | mask)" ] && ok || bad "form: the server read '$(received form)'"

# JSON whose SSN is written with \u escapes (the application decodes them).
json='{"user":"alice","ssn":"\u0035\u00336-22-1457","amount":"12.50"}'
code=$(post json /api/v1 -H 'Content-Type: application/json' --data-binary "$json") \
  && [ "$code" = 200 ] && ok || bad "json: $code"
[ "$(received json)" = '{"user":"alice","ssn":"\u0058\u0058X-XX-XXXX","amount":"12.50"}' ] && ok \
  || bad "json: the server read '$(received json)'"

# Chunked, a 300 KB body of records with values.
python3 - "$WORK" <<'PY'
import sys
work = sys.argv[1]
def records(n, values):
    out = []
    for i in range(n):
        rec = '{"id":%d,"price":%d.%02d,"ts":%d,"ref":"R-%d"' % (
            100000 + i, i % 500, i % 100, 1733000000000 + i * 7919, i * 31)
        if values:
            rec += ',"card":"4111 1111 1111 1111","ssn":"536-22-1457"'
        out.append(rec + "}\n")
    return "".join(out)
open(work + "/values.txt", "w").write(records(3000, True))
open(work + "/clean.txt", "w").write(records(4000, False))
open(work + "/values5m.txt", "w").write(records(48000, True))
open(work + "/clean5m.txt", "w").write(records(64000, False))
PY
code=$(post chunked /upload -H 'Transfer-Encoding: chunked' --data-binary "@$WORK/values.txt") \
  && [ "$code" = 200 ] && ok || bad "chunked: $code"
mask < "$WORK/values.txt" > "$WORK/values.masked"
cmp -s "$WORK/recv/chunked.body" "$WORK/values.masked" && ok || bad "chunked: not the masked body"

# Multipart (curl -F): the part's values masked, the parts intact, the
# length the client declared.
printf 'first line\nssn: 536-22-1457\ncard 4111111111111111\n' > "$WORK/part.txt"
code=$(post multipart /upload -F "file=@$WORK/part.txt" -F "ssn=536-22-1457") \
  && [ "$code" = 200 ] && ok || bad "multipart: $code"
if grep -q 'XXX-XX-XXXX' "$WORK/recv/multipart.body" && grep -q 'XXXXXXXXXXXXXXXX' "$WORK/recv/multipart.body" \
  && ! grep -q '536-22-1457\|4111111111111111' "$WORK/recv/multipart.body" \
  && grep -q 'filename="part.txt"' "$WORK/recv/multipart.body" \
  && grep -qi "content-length: $(wc -c < "$WORK/recv/multipart.body")" "$WORK/recv/multipart.head"; then
  ok
else
  bad "multipart: $(cat "$WORK/recv/multipart.body")"
fi

# 5 MB with values (the answer streams past --icap-stream-kb), and 5 MB clean.
code=$(post big /upload -H 'Content-Type: application/json' --data-binary "@$WORK/values5m.txt") \
  && [ "$code" = 200 ] && ok || bad "5 MB: $code"
mask < "$WORK/values5m.txt" > "$WORK/values5m.masked"
cmp -s "$WORK/recv/big.body" "$WORK/values5m.masked" && ok \
  || bad "5 MB: not the masked body ($(wc -c < "$WORK/recv/big.body" 2>/dev/null) bytes)"
for f in clean clean5m; do
  code=$(post "$f" /api/v1 -H 'Content-Type: application/json' --data-binary "@$WORK/$f.txt") \
    && [ "$code" = 200 ] && ok || bad "$f: $code"
  cmp -s "$WORK/recv/$f.body" "$WORK/$f.txt" && ok || bad "$f: a clean body was changed"
done

# A value in the URL's query: masked in the request line.
code=$(post query '/search?ssn=536-22-1457&q=1' -d 'x=1') && [ "$code" = 200 ] && ok || bad "query: $code"
[ "$(head -1 "$WORK/recv/query.head")" = 'POST /search?ssn=XXX-XX-XXXX&q=1 HTTP/1.1' ] && ok \
  || bad "query: the server read $(head -1 "$WORK/recv/query.head")"

# Block: a card to /pay gets the block page; the server sees nothing.
code=$(post blocked /pay -d 'card=4111111111111111') || true
[ "$code" = 403 ] && ok || bad "block: status $code"
grep -q 'Request blocked' "$WORK/blocked.reply" && ok || bad "block: no block page: $(cat "$WORK/blocked.reply")"
[ ! -e "$WORK/recv/blocked.body" ] && [ ! -e "$WORK/recv/blocked.partial" ] && ok \
  || bad "block: the server received the request"

# Bodies dlpd cannot read (codings stacked, a compressed body past its
# ratio): stopped (fail closed), never passed on unread.
python3 -c "
import gzip
p = b'ssn=536-22-1457&card=4111111111111111'
open('$WORK/gzgz', 'wb').write(gzip.compress(gzip.compress(p)))
open('$WORK/bomb', 'wb').write(gzip.compress(b' ' * 200000 + p))"
code=$(post gzgz /upload -H 'Content-Encoding: gzip, gzip' --data-binary "@$WORK/gzgz") || true
[ "$code" = 403 ] && [ ! -e "$WORK/recv/gzgz.body" ] && ok || bad "gzip, gzip: $code"
code=$(post bomb /upload -H 'Content-Encoding: gzip' --data-binary "@$WORK/bomb") || true
[ "$code" = 403 ] && [ ! -e "$WORK/recv/bomb.body" ] && ok || bad "gzip past its ratio: $code"

# Incidents: the client's address, the Host, the path, the user.
sleep 1.5
db() { "$BUILD/dlpctl" incidents "$@" --db "$WORK/incidents.db"; }
db list --format json --limit 1000 > "$WORK/incidents.json"
python3 - "$WORK/incidents.json" <<'PY' && ok || bad "incidents"
import json, sys
text = open(sys.argv[1]).read()
try:
    rows = json.loads(text)
except ValueError:
    rows = [json.loads(l) for l in text.splitlines() if l.strip()]
assert rows, "no incidents"
for r in rows:
    assert r["src_ip"] == "10.99.1.2", r
    assert r["http_host"] == "files.test", r
    assert r["http_user"] == "alice", r
    assert r["dst_port"] == 443, r
paths = {r["http_path"] for r in rows}
assert "https://files.test/pay" in paths, paths
assert any(p.startswith("https://files.test/search?ssn=XXX-XX-XXXX") for p in paths), paths
assert any(r["action"] == "block" for r in rows), rows
assert "536-22-1457" not in text and "4111111111111111" not in text and "4111 1111" not in text
PY

status=$("$BUILD/dlpctl" status --json --socket "$WORK/dlpd.sock")
python3 - "$status" <<'PY' && ok || bad "status: $status"
import json, sys
s = json.loads(sys.argv[1])["icap"]
assert s["reqmod"] >= 10 and s["modified"] >= 6 and s["blocked"] == 3, s
assert s["uninspectable"] == 2 and s["held_bytes"] == 0, s
assert s["streamed"] >= 1 and s["errors"] == 0, s
assert s["no_change"] >= 2, s
PY
"$BUILD/dlpctl" status --format prometheus --socket "$WORK/dlpd.sock" | grep -q '^dlpd_icap_reqmod_total ' \
  && ok || bad "prometheus: no dlpd_icap_reqmod_total"

echo "icap_squid: $pass passed, $fail failed"
[ "$fail" = 0 ] || { tail -20 "$WORK/dlpd.log" >&2; tail -20 "$WORK/squid/cache.log" >&2; }
[ "$fail" = 0 ]
