#!/usr/bin/env bash
# HTTP framing and encodings end to end (namespaces, dlpd on NFQUEUE, real
# clients, a server that de-chunks as applications do), IPv4 and IPv6:
#  - http.client sends chunks whose boundary falls at every position inside
#    a card and an SSN: every value arrives masked, the framing intact;
#  - pipelined POSTs in one write, each body ending in a card that the next
#    request's method follows: every card arrives masked;
#  - a chunked upload whose sender stops for 1.2 s inside a card (between
#    two chunks, and inside one): it arrives masked;
#  - curl uploads 300 KB chunked (curl's own chunks cut values): masked as
#    expected; a clean, number-dense 300 KB chunked body arrives byte-identical;
#  - values written with %2D, \u0034, &#52;, + and full-width digits arrive
#    masked in their own encoding, same length;
#  - multipart from curl -F: the parts' values are masked, the parts intact;
#  - base64 (300 KB in a MIME part that says so, in a JSON data: URI, and
#    percent-encoded in a form): the server decodes the values masked (but
#    at most two leading digits where a value began in a group a segment
#    cut), nothing else changed; clean base64 arrives byte-identical;
#  - a WebSocket client (python3-websockets) sends values whole, in
#    fragments, binary and JSON-escaped: the server reads them masked (its
#    compression offer refused in the head);
#  - a gzip body with values is stopped and recorded (block); a clean one
#    arrives byte-identical;
#  - curl --http2 (an h2c upgrade offer, refused in place: served over
#    HTTP/1.1, masked) and --http2-prior-knowledge (stopped, fail closed).
# Usage: http_e2e.sh BUILD_DIR SOURCE_DIR
source "$(dirname "$0")/netns_lib.sh" || exit 1
netns_prologue "$@"

pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }

netns_start "$WORK" "$BUILD/dlpd" --nfqueue 0 --db "$WORK/incidents.db"
recv() { cat "$WORK/recv/$1.body" 2>/dev/null; }

for addr in 10.99.2.2 fd99:2::2; do
  for case in cuts pipelined pause; do
    ip netns exec "$NS_C" python3 "$SRC/tests/e2e/http_client.py" "$case" "$addr" "$WORK/recv" \
      && ok || bad "$case to $addr"
  done
done

# Bodies of API-like records, with values (and their masked form) or none.
python3 - "$WORK" <<'PY'
import sys
work = sys.argv[1]
with_values, masked, clean = [], [], []
i = 0
while sum(map(len, with_values)) < 300_000:
    rec = ('{"id":%d,"price":%d.%02d,"ts":%d,"card":"4111 1111 1111 1111","ssn":"536-22-1457"}\n'
           % (100000 + i, i % 500, i % 100, 1733000000000 + i * 7919))
    with_values.append(rec)
    masked.append(rec.replace("4111 1111 1111 1111", "XXXX XXXX XXXX XXXX")
                     .replace("536-22-1457", "XXX-XX-XXXX"))
    clean.append('{"id":%d,"qty":%d,"price":%d.%02d,"ts":%d,"ref":"R-%d-%d"}\n'
                 % (100000 + i, i % 40, i % 500, i % 100, 1733000000000 + i * 7919, i, i * 31))
    i += 1
for name, recs in (("values", with_values), ("values.masked", masked), ("clean", clean)):
    with open("%s/%s.txt" % (work, name), "w") as f:
        f.write("".join(recs))
PY

url() { case $1 in *:*) echo "http://[$1]/upload" ;; *) echo "http://$1/upload" ;; esac; }
for addr in 10.99.2.2 fd99:2::2; do
  tag=$([ "${addr#*:}" != "$addr" ] && echo v6 || echo v4)
  # 300 KB chunked: curl's chunks are its read buffer, wherever they fall.
  ip netns exec "$NS_C" curl -s -S --max-time 20 -o /dev/null -H "X-Test-Id: big-$tag" \
    -H "Transfer-Encoding: chunked" --data-binary "@$WORK/values.txt" "$(url "$addr")" \
    && ok || bad "big-$tag: curl failed"
  cmp -s "$WORK/recv/big-$tag.body" "$WORK/values.masked.txt" && ok \
    || bad "big-$tag: the server did not read the masked body ($(wc -c < "$WORK/recv/big-$tag.body" 2>/dev/null) bytes)"
  ip netns exec "$NS_C" curl -s -S --max-time 20 -o /dev/null -H "X-Test-Id: clean-$tag" \
    -T "$WORK/clean.txt" -H "Transfer-Encoding: chunked" "$(url "$addr")" \
    && ok || bad "clean-$tag: curl failed"
  cmp -s "$WORK/recv/clean-$tag.body" "$WORK/clean.txt" && ok \
    || bad "clean-$tag: a clean chunked body was changed"

  # Encodings the application decodes, masked in their own.
  printf 'a=536%%2D22%%2D1457&b=\\u0034111+1111+1111+1111&c=&#52;111-1111-1111-1111&d=\xef\xbc\x9536-22-1457&e=end' \
    > "$WORK/enc-$tag.sent"
  ip netns exec "$NS_C" curl -s -S --max-time 10 -o /dev/null -H "X-Test-Id: enc-$tag" \
    --data-binary "@$WORK/enc-$tag.sent" "$(url "$addr")" && ok || bad "enc-$tag: curl failed"
  want=$(printf 'a=XXX%%2DXX%%2DXXXX&b=\\u0058XXX+XXXX+XXXX+XXXX&c=&#88;XXX-XXXX-XXXX-XXXX&d=\xef\xbc\xb8XX-XX-XXXX&e=end')
  [ "$(recv "enc-$tag")" = "$want" ] && ok || bad "enc-$tag: server read '$(recv "enc-$tag")'"

  # Multipart (curl -F): each part's value masked, the parts as sent.
  ip netns exec "$NS_C" curl -s -S --max-time 10 -o /dev/null -H "X-Test-Id: form-$tag" \
    -F "ssn=536-22-1457" -F "notes=card 4111 1111 1111 1111 thanks" "$(url "$addr")" \
    && ok || bad "form-$tag: curl failed"
  body=$(recv "form-$tag")
  if grep -q 'name="ssn"' <<< "$body" && grep -q 'XXX-XX-XXXX' <<< "$body" \
    && grep -q 'card XXXX XXXX XXXX XXXX thanks' <<< "$body" && ! grep -q -e '536-22' -e '4111' <<< "$body"; then
    ok
  else
    bad "form-$tag: server read '$body'"
  fi
done

# base64 the server decodes: a MIME part (Content-Transfer-Encoding:
# base64, lines of 76), a JSON data: URI and a form's percent-encoded one.
# Every value decodes masked; clean base64 arrives byte-identical.
python3 - "$WORK" <<'PY'
import base64, sys, urllib.parse
work = sys.argv[1]
def part(data):
    b = base64.encodebytes(data).replace(b"\n", b"\r\n")
    return (b"--XyZ\r\nContent-Disposition: form-data; name=\"f\"; filename=\"r.csv\"\r\n"
            b"Content-Type: text/csv\r\nContent-Transfer-Encoding: base64\r\n\r\n" + b + b"--XyZ--\r\n")
for name in ("values", "clean"):
    data = open("%s/%s.txt" % (work, name), "rb").read()
    open("%s/b64part-%s.sent" % (work, name), "wb").write(part(data))
    uri = b"data:text/csv;base64," + base64.b64encode(data)
    open("%s/b64json-%s.sent" % (work, name), "wb").write(b'{"doc":"' + uri + b'","n":1}')
    open("%s/b64form-%s.sent" % (work, name), "wb").write(
        b"a=1&doc=" + urllib.parse.quote(uri, safe="").encode() + b"&b=2")
PY
b64_decoded() {  # FILE KIND: what the server's application decodes from the body
  python3 - "$1" "$2" <<'PY'
import base64, re, sys, urllib.parse
body, kind = open(sys.argv[1], "rb").read(), sys.argv[2]
if kind == "b64part":
    data = body.split(b"base64\r\n\r\n", 1)[1].split(b"--XyZ--", 1)[0]
elif kind == "b64json":
    data = body.split(b"base64,", 1)[1].split(b'"', 1)[0]
else:
    data = urllib.parse.unquote_to_bytes(body.split(b"&doc=", 1)[1].split(b"&", 1)[0]).split(b",", 1)[1]
sys.stdout.buffer.write(base64.b64decode(re.sub(rb"\s", b"", data), validate=True))
PY
}
for addr in 10.99.2.2 fd99:2::2; do
  tag=$([ "${addr#*:}" != "$addr" ] && echo v6 || echo v4)
  for kind in b64part b64json b64form; do
    case $kind in
      b64part) ctype='multipart/form-data; boundary=XyZ' ;;
      b64json) ctype='application/json' ;;
      *) ctype='application/x-www-form-urlencoded' ;;
    esac
    for name in values clean; do
      id="$kind-$name-$tag"
      ip netns exec "$NS_C" curl -s -S --max-time 20 -o /dev/null -H "X-Test-Id: $id" \
        -H "Content-Type: $ctype" --data-binary "@$WORK/$kind-$name.sent" "$(url "$addr")" \
        && ok || bad "$id: curl failed"
      if [ "$name" = clean ]; then
        cmp -s "$WORK/recv/$id.body" "$WORK/$kind-$name.sent" && ok || bad "$id: clean base64 was changed"
      else
        b64_decoded "$WORK/recv/$id.body" "$kind" > "$WORK/$id.decoded" 2>/dev/null
        # Masked as the plain body is, but where a value began in a group
        # of characters cut by a segment's edge: those that left keep at
        # most its first two digits (doc/policy-author.md), and nothing outside a value
        # changed.
        python3 - "$WORK/$id.decoded" "$WORK/values.masked.txt" "$WORK/values.txt" <<'PY' && ok \
          || bad "$id: the server did not decode the masked values"
import sys
got, want, orig = (open(f, "rb").read() for f in sys.argv[1:4])
if len(got) != len(want):
    sys.exit("decoded %d bytes, want %d" % (len(got), len(want)))
clear, run = 0, 0
for i, (g, w, o) in enumerate(zip(got, want, orig)):
    if g != w and w != ord("X"):
        sys.exit("byte %d changed outside a value" % i)
    run = run + 1 if (w == ord("X") and g == o) else 0
    if run > 2:
        sys.exit("more than two digits of a value in clear at byte %d" % i)
    clear += g == o and w == ord("X")
print("digits left in clear: %d" % clear, file=sys.stderr)
PY
        [ "$(wc -c < "$WORK/recv/$id.body")" = "$(wc -c < "$WORK/$kind-$name.sent")" ] && ok \
          || bad "$id: the body's length changed"
      fi
    done
  done
done

# Compressed bodies: inflated to scan; a value there cannot be masked in
# place, so the request is stopped (block) and recorded; a clean compressed
# body arrives byte-identical.
gzip -c "$WORK/values.txt" > "$WORK/values.gz"
gzip -c "$WORK/clean.txt" > "$WORK/clean.gz"
for addr in 10.99.2.2 fd99:2::2; do
  tag=$([ "${addr#*:}" != "$addr" ] && echo v6 || echo v4)
  if ip netns exec "$NS_C" curl -s --max-time 10 -o /dev/null -H "X-Test-Id: gz-$tag" \
    -H "Content-Encoding: gzip" --data-binary "@$WORK/values.gz" "$(url "$addr")"; then
    bad "gz-$tag: a compressed body with values went through"
  else
    ok
  fi
  [ ! -e "$WORK/recv/gz-$tag.body" ] && ok || bad "gz-$tag: the server read the compressed values"
  ip netns exec "$NS_C" curl -s -S --max-time 10 -o /dev/null -H "X-Test-Id: gzclean-$tag" \
    -H "Content-Encoding: gzip" --data-binary "@$WORK/clean.gz" "$(url "$addr")" \
    && ok || bad "gzclean-$tag: curl failed"
  cmp -s "$WORK/recv/gzclean-$tag.body" "$WORK/clean.gz" && ok \
    || bad "gzclean-$tag: a clean compressed body was changed"
done
blocked=$(sqlite3 "$WORK/incidents.db" "select count(*) from incidents where action='block' and reason='compressed body'")
[ "$blocked" -ge 2 ] && ok || bad "compressed values not recorded as blocked, reason compressed body ($blocked)"

# HTTP/2 cleartext: an upgrade offer is refused in place (the request is
# served over HTTP/1.1, its value masked); prior knowledge cannot be masked
# in place and is stopped (fail closed): nothing reaches the server.
for addr in 10.99.2.2 fd99:2::2; do
  tag=$([ "${addr#*:}" != "$addr" ] && echo v6 || echo v4)
  ip netns exec "$NS_C" curl -s -S --max-time 10 --http2 -o /dev/null -H "X-Test-Id: h2c-$tag" \
    --data-binary 'ssn=536-22-1457&end=1' "$(url "$addr")" && ok || bad "h2c-$tag: curl failed"
  [ "$(recv "h2c-$tag")" = 'ssn=XXX-XX-XXXX&end=1' ] && ok || bad "h2c-$tag: server read '$(recv "h2c-$tag")'"
  if ip netns exec "$NS_C" curl -s --max-time 5 --http2-prior-knowledge -o /dev/null \
    -H "X-Test-Id: h2prior-$tag" --data-binary 'ssn=536-22-1457' "$(url "$addr")"; then
    bad "h2 prior knowledge to $addr was not stopped"
  else
    ok
  fi
  [ ! -e "$WORK/recv/h2prior-$tag.body" ] && ok || bad "h2 prior knowledge reached the server"
done

# WebSocket (python3-websockets, client and server): every value masked
# under the client's key, fragmented, binary and JSON-escaped too; the
# clean message unchanged. The HTTP sink gives port 80 to the WebSocket
# server.
ip netns exec "$NS_S" pkill -f http_sink.py || true
sleep 0.3
ip netns exec "$NS_S" /usr/bin/python3 "$SRC/tests/e2e/ws_app.py" server "$WORK/ws.msgs" 80 &
for _ in $(seq 50); do ip netns exec "$NS_S" ss -ltn | grep -q ':80 ' && break; sleep 0.1; done
/usr/bin/python3 "$SRC/tests/e2e/ws_app.py" expected > "$WORK/ws.expected"
for addr in 10.99.2.2 '[fd99:2::2]'; do
  : > "$WORK/ws.msgs"
  ip netns exec "$NS_C" timeout 20 /usr/bin/python3 "$SRC/tests/e2e/ws_app.py" client "ws://$addr/chat" \
    && ok || bad "websocket client to $addr failed"
  cmp -s "$WORK/ws.msgs" "$WORK/ws.expected" && ok \
    || bad "websocket to $addr: the server read $(cat "$WORK/ws.msgs")"
done

# No full value in the incidents or the log.
if grep -a -q -e '4111 1111 1111 1111' -e '536-22-1457' -e '4111111111111111' \
  "$WORK/incidents.db" "$WORK/dlpd.log"; then
  bad "a full value in the incidents or the log"
else
  ok
fi
rows=$(sqlite3 "$WORK/incidents.db" "select count(*) from incidents")
[ "$rows" -gt 0 ] && ok || bad "no incidents recorded"

if [ "${DLP_BACKEND:-nfqueue}" = divert ]; then
  kill "$DLPD" && wait "$DLPD" || true
  divert_stop "$WORK" && ok || bad "the divert loop lost or misdirected packets"
fi

echo "http e2e: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
