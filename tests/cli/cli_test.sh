#!/usr/bin/env bash
# dlpctl as a user runs it: the real binary, real files, exit codes and messages.
# Usage: cli_test.sh PATH/TO/dlpctl PATH/TO/tests
set -u
DLPCTL=$1
TESTS=$2
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
pass=0
fail=0

check() {  # check NAME CONDITION-COMMAND...
  local name=$1
  shift
  if "$@"; then
    pass=$((pass + 1))
  else
    fail=$((fail + 1))
    echo "FAIL: $name" >&2
  fi
}

# The issue's own example, from stdin, with the embedded default rules.
out=$(echo 'ssn=536-22-1457&card=4111 1111 1111 1111' | "$DLPCTL" scan)
check "masks the example" [ "$out" = 'ssn=XXX-XX-XXXX&card=XXXX XXXX XXXX XXXX' ]

# Same length, byte for byte, on a large binary-ish file; clean bytes untouched.
python3 - "$WORK/big.bin" <<'PY'
import random, sys
random.seed(1)
chunks = []
for i in range(20000):
    chunks.append(bytes(random.randrange(256) for _ in range(random.randrange(1, 40))))
    if i % 50 == 0:
        chunks.append(b" card=4111-1111-1111-1111 ssn=536-22-1457 ")
open(sys.argv[1], "wb").write(b"".join(chunks))
PY
"$DLPCTL" scan "$WORK/big.bin" > "$WORK/big.out"
check "same length" [ "$(stat -c %s "$WORK/big.bin")" = "$(stat -c %s "$WORK/big.out")" ]
check "no card left" bash -c "! grep -aq '4111-1111-1111-1111' '$WORK/big.out'"
check "no ssn left" bash -c "! grep -aq '536-22-1457' '$WORK/big.out'"
check "masked present" [ "$(grep -ao 'card=XXXX-XXXX-XXXX-XXXX ssn=XXX-XX-XXXX' "$WORK/big.out" | wc -l)" = 400 ]
check "only masked bytes differ" python3 - "$WORK/big.bin" "$WORK/big.out" <<'PY'
import sys
a = open(sys.argv[1], "rb").read(); b = open(sys.argv[2], "rb").read()
diff = [i for i in range(len(a)) if a[i] != b[i]]
assert all(b[i] == ord("X") and chr(a[i]).isdigit() for i in diff), "non-digit byte changed"
assert len(diff) == 400 * (16 + 9), len(diff)
PY

# Several files and stdin in one call.
printf 'a 4111111111111111\n' > "$WORK/a.txt"
out=$(printf 'ssn 536-22-1457\n' | "$DLPCTL" scan "$WORK/a.txt" -)
check "files then stdin" [ "$out" = "$(printf 'a XXXXXXXXXXXXXXXX\nssn XXX-XX-XXXX')" ]

# --json: findings, display form only, never the value.
json=$(echo 'ssn=536-22-1457&card=4111 1111 1111 1111' | "$DLPCTL" scan --json)
check "json two findings" [ "$(echo "$json" | wc -l)" = 2 ]
check "json fields" python3 -c '
import json, sys
rows = [json.loads(l) for l in sys.argv[1].splitlines()]
assert rows[0]["rule"] == "us-ssn" and rows[0]["offset"] == 4 and rows[0]["length"] == 11, rows[0]
assert rows[0]["display"] == "XXX-XX-1457", rows[0]
assert rows[1]["rule"] == "pan" and rows[1]["detail"] == "visa" and rows[1]["severity"] == "critical"
assert rows[1]["display"] == "XXXX XXXX XXXX 1111"
' "$json"
check "json has no full value" bash -c "! echo '$json' | grep -Eq '536-22-1457|4111 1111 1111 1111'"

# rules check on the defaults and on the shipped files.
check "rules check default" "$DLPCTL" rules check
check "rules check shipped dir" "$DLPCTL" rules check "$TESTS/../rules/default"
# The optional rules (IBAN, US routing numbers), alone and beside the defaults.
check "rules check optional" "$DLPCTL" rules check "$TESTS/../rules/optional"
mkdir "$WORK/all" && cp "$TESTS/../rules/default/"*.yaml "$TESTS/../rules/optional/"*.yaml "$WORK/all/"
check "rules check default and optional" "$DLPCTL" rules check "$WORK/all"
iban=$(printf 'pay to DE89 3704 0044 0532 0130 00 now' | "$DLPCTL" scan --rules "$WORK/all" -)
check "optional iban masks" [ "$iban" = "pay to DEXX XXXX XXXX XXXX XX30 00 now" ]

# A broken rule file: file:line, rule id, the engine's message, exit 1, no crash.
expect_error() {  # expect_error NAME FILE-CONTENT PATTERN [SCAN-EXIT]
  printf '%s' "$2" > "$WORK/bad.yaml"
  "$DLPCTL" rules check "$WORK/bad.yaml" 2> "$WORK/err"
  local rc=$?
  check "$1 exit 1" [ $rc = 1 ]
  check "$1 message" grep -q -- "$3" "$WORK/err"
  "$DLPCTL" scan --rules "$WORK/bad.yaml" < /dev/null 2> "$WORK/err2"
  local scan_rc=$?
  # scan compiles but does not run examples: a failing example alone does not stop it.
  check "$1 scan exit ${4:-2}" [ $scan_rc = "${4:-2}" ]
}
expect_error syntax $'rules:\n  - id: x\n    patterns: [unclosed\n' "bad.yaml:[0-9]*: YAML syntax error"
expect_error validator $'rules:\n  - id: v1\n    validator: crc\n    patterns: [\'a{2}\']\n' \
  "bad.yaml:3: rule 'v1': unknown validator 'crc'"
expect_error hyperscan $'rules:\n  - id: h1\n    patterns:\n      - \'(a)\\1\'\n' \
  "bad.yaml:4: rule 'h1': [A-Za-z0-9 ]* rejects pattern"
expect_error example $'rules:\n  - id: e1\n    patterns: [\'a{2}\']\n    examples:\n      match: [\'bbb\']\n' \
  "bad.yaml:5: rule 'e1': match example did not match" 0
# A failing example is shown as its author wrote it: escapes as written
# ("%62" is not decoded to "b"), a tab as \t; its digits masked save the
# last four.
cat > "$WORK/shown.yaml" <<'YAML'
rules:
  - id: e2
    patterns: ['a{2}']
    examples:
      match: ["%62\tb 536221457"]
YAML
"$DLPCTL" rules check "$WORK/shown.yaml" 2> "$WORK/err"
check "failing example shown as written" grep -qF 'match example did not match in "%XX\tb XXXXX1457"' "$WORK/err"
"$DLPCTL" rules check "$WORK/missing.yaml" 2> "$WORK/err"
check "missing file exit 1" [ $? = 1 ]
check "missing file message" grep -q "no such rule file" "$WORK/err"
# A rule directory with a file that cannot be looked at (a symlink loop):
# a clear error naming it, not an abort.
mkdir "$WORK/loop" && cp "$TESTS/../rules/default/"*.yaml "$WORK/loop/" && ln -s x.yaml "$WORK/loop/x.yaml"
"$DLPCTL" rules check "$WORK/loop" 2> "$WORK/err"
check "unreadable rule file exit 1" [ $? = 1 ]
check "unreadable rule file message" grep -q "loop/x.yaml: .*cannot read rule file: Too many levels of symbolic links" "$WORK/err"

"$DLPCTL" scan "$WORK/nope.txt" 2> "$WORK/err"
check "unreadable input exit 2" [ $? = 2 ]
"$DLPCTL" bogus 2> /dev/null
check "unknown command exit 2" [ $? = 2 ]

# scan --policy: findings the policy alerts on or passes are left as they are.
printf 'statements:\n  - {name: cards-alert, when: {rule: pan}, action: alert}\n' > "$WORK/policy.yaml"
out=$(echo 'ssn=536-22-1457&card=4111 1111 1111 1111' | "$DLPCTL" scan --policy "$WORK/policy.yaml")
check "scan --policy alert" [ "$out" = 'ssn=XXX-XX-XXXX&card=4111 1111 1111 1111' ]
out=$(echo 'card=4111 1111 1111 1111' | "$DLPCTL" scan --policy "$WORK/policy.yaml" --json)
check "scan --policy json action" bash -c "echo '$out' | grep -q '\"action\":\"alert\"'"
# rules check --policy: a pass by Host alone is warned about, and the check passes.
printf 'statements:\n  - {name: x, when: {rule: pan, host: pay.example}, action: pass}\n' > "$WORK/host.yaml"
"$DLPCTL" rules check --policy "$WORK/host.yaml" > "$WORK/out" 2> "$WORK/err"
check "rules check host warning exit 0" [ $? = 0 ]
check "rules check host warning" grep -q "host.yaml:2: statement 'x': warning: lets values through (pass) on the Host alone, with no 'dst'" "$WORK/err"
check "rules check host warning count" grep -q ', 1 policy warning$' "$WORK/out"
printf 'statements:\n  - {name: x, when: {rule: card}, action: pass}\n' > "$WORK/badpolicy.yaml"
echo x | "$DLPCTL" scan --policy "$WORK/badpolicy.yaml" > /dev/null 2> "$WORK/err"
check "scan bad policy exit 2" [ $? = 2 ]
check "scan bad policy message" grep -q "badpolicy.yaml:2: statement 'x': no rule 'card'" "$WORK/err"

# An HTTP request stream is read as the server reads it: chunk framing
# removed (a value cut by it is found, the framing kept), encodings decoded
# and masked in their own.
req=$'POST /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nf\r\ncard=4111 1111 \r\n9\r\n1111 1111\r\nc\r\n&ssn=536%2D2\r\n6\r\n2-1457\r\n0\r\n\r\n'
want=$'POST /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nf\r\ncard=XXXX XXXX \r\n9\r\nXXXX XXXX\r\nc\r\n&ssn=XXX%2DX\r\n6\r\nX-XXXX\r\n0\r\n\r\n'
printf '%s' "$req" > "$WORK/chunked.http"
"$DLPCTL" scan "$WORK/chunked.http" > "$WORK/chunked.out"
check "scan de-chunks an HTTP stream" cmp -s "$WORK/chunked.out" <(printf '%s' "$want")
check "scan --http --json finds both" [ "$("$DLPCTL" scan --http --json "$WORK/chunked.http" | wc -l)" = 2 ]
out=$(printf 'a=\\u0035\\u00336-22-1457&b=&#52;111 1111 1111 1111&c=\xef\xbc\x95' | "$DLPCTL" scan)
check "scan masks escapes in their encoding" \
  [ "$out" = "$(printf 'a=\\u0058\\u0058X-XX-XXXX&b=&#88;XXX XXXX XXXX XXXX&c=\xef\xbc\x95')" ]
echo 'ssn=536-22-1457' | "$DLPCTL" scan --http > /dev/null 2> "$WORK/err"
check "scan --http on no request exits 2" [ $? = 2 ]
check "scan --http says why" grep -q "not an HTTP/1 request stream" "$WORK/err"

echo "cli: $pass passed, $fail failed"
[ "$fail" = 0 ]
