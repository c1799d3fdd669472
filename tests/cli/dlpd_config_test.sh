#!/usr/bin/env bash
# dlpd -c FILE and --check: the shipped sample passes; a bad settings file,
# rule file or policy gets a clear message (file, line, what) and exit 1.
# Usage: dlpd_config_test.sh BUILD_DIR SOURCE_DIR
set -uo pipefail
BUILD=$(cd "$1" && pwd)
SRC=$(cd "$2" && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
pass=0
fail=0
# expect NAME EXIT PATTERN -- ARGS...: runs dlpd ARGS, checks the exit code and stderr+stdout.
expect() {
  local name=$1 want=$2 pattern=$3
  shift 4
  local rc=0
  "$BUILD/dlpd" "$@" > "$WORK/out" 2>&1 || rc=$?
  if [ "$rc" = "$want" ] && grep -q -- "$pattern" "$WORK/out"; then
    pass=$((pass + 1))
  else
    fail=$((fail + 1))
    echo "FAIL: $name: exit $rc (want $want): $(cat "$WORK/out")" >&2
  fi
}

# The settings file the packages install, pointed at this tree's rules and policy.
sed -e "s|^rules: .*|rules: $SRC/rules/default|" -e "s|^policy: .*|policy: $SRC/policy/default/policy.yaml|" \
  -e "s|^db: .*|db: $WORK/installed.db|" \
  "$BUILD/dlpd.conf" > "$WORK/dlpd.conf"
expect installed-conf 0 'configuration ok (.*dlpd.conf): 2 rules' -- -c "$WORK/dlpd.conf" --check
printf 'fail_mode: open\nmax_flow: 10\n' > "$WORK/a.conf"
expect unknown-key 1 "config line 2: unknown setting 'max_flow'" -- -c "$WORK/a.conf" --check
printf 'fail_mode: [open\n' > "$WORK/b.conf"
expect bad-yaml 1 'config line [0-9]*: YAML syntax error' -- -c "$WORK/b.conf" --check
printf 'fail_mode:\n  nested: 1\n' > "$WORK/c.conf"
expect nested 1 "config line 1: 'fail_mode' takes one value" -- -c "$WORK/c.conf" --check
printf 'fail_mode: sometimes\n' > "$WORK/d.conf"
expect bad-value 1 'fail-mode: sometimes not in {closed,open}' -- -c "$WORK/d.conf" --check
# Durations are finite (CLI11's ranges alone let NaN through).
printf 'hold_ms: nan\n' > "$WORK/nan.conf"
expect hold-nan 1 'hold-ms: not a finite number: nan' -- -c "$WORK/nan.conf" --check
# No hold at all would cut every segment that may end inside a value.
printf 'hold_ms: 0\n' > "$WORK/zero.conf"
expect hold-zero 1 'hold-ms: Value 0 not in range 1' -- -c "$WORK/zero.conf" --check
printf 'db_retry_s: inf\n' > "$WORK/inf.conf"
expect retry-inf 1 'db-retry-s: (not a finite number: inf)' -- -c "$WORK/inf.conf" --check
expect missing 1 'was not readable' -- -c "$WORK/none.conf" --check
printf 'nfqueue: "5-2"\n' > "$WORK/e.conf"
expect bad-queue 1 "takes N or N-M" -- -c "$WORK/e.conf" --check

printf 'statements:\n  - {name: x, when: {rule: pan, dst: 10.0.0.0/8}, action: pass}\n' > "$WORK/ok.yaml"
expect policy-ok 0 '1 policy statements' -- --check --nfqueue 0 --policy "$WORK/ok.yaml"
printf 'statements:\n  - {name: x, when: {rule: card}, action: pass}\n' > "$WORK/p1.yaml"
expect policy-rule 1 "p1.yaml:2: statement 'x': no rule 'card' in the rule set" -- --check --nfqueue 0 --policy "$WORK/p1.yaml"
printf 'statements:\n  - {name: x, when: {rule: pan}, action: alert}\nexamples:\n  - {rule: pan, expect: mask}\n' > "$WORK/p2.yaml"
expect policy-example 1 "p2.yaml:4: example: rule pan gave alert, expected mask" -- --check --nfqueue 0 --policy "$WORK/p2.yaml"
# A pass by Host alone is warned about, and the check still passes.
printf 'statements:\n  - {name: x, when: {rule: pan, host: pay.example}, action: pass}\n' > "$WORK/host.yaml"
expect policy-host-warning 0 "host.yaml:2: statement 'x': warning: lets values through (pass) on the Host alone" -- --check --nfqueue 0 --policy "$WORK/host.yaml"
expect policy-host-warning-count 0 'examples ok (.*), 1 policy warning$' -- --check --nfqueue 0 --policy "$WORK/host.yaml"
printf 'statements:\n  - {name: x, when: {rule: pan, host: "^pay\\\\.example$"}, action: pass}\n' > "$WORK/oldhost.yaml"
expect policy-old-host 1 "oldhost.yaml:2: statement 'x': host '^pay\\\\.example\\$' looks like a regular expression; .*: write pay.example$" -- --check --nfqueue 0 --policy "$WORK/oldhost.yaml"
printf 'rules:\n  - id: r\n    patterns: ["(x"]\n' > "$WORK/r.yaml"
expect rules-bad 1 "r.yaml:3: rule 'r'" -- --check --nfqueue 0 --rules "$WORK/r.yaml"
# The policy is checked against the rules it runs with.
printf 'rules:\n  - id: emp\n    patterns: ["EMP[0-9]{6}"]\n' > "$WORK/emp.yaml"
expect policy-vs-rules 1 "no rule 'pan' in the rule set (rules: emp)" -- --check --nfqueue 0 --rules "$WORK/emp.yaml" --policy "$WORK/ok.yaml"
# A start without a capture stops at once: so does the check.
expect check-no-capture 1 'choose a capture' -- --check
# Not checking: a capture is required, and a bad config is a usage error (2).
expect no-capture 1 'choose a capture' --
expect usage 2 'unknown setting' -- -c "$WORK/a.conf"

# Without -c: the default settings file when it exists ($DLPD_CONFIG
# names it here; ctest sets it empty, for none).
printf 'fail_mode: open\nmax_flow: 10\n' > "$WORK/default.conf"
DLPD_CONFIG=$WORK/default.conf expect default-read 1 "config line 2: unknown setting 'max_flow'" -- --check
DLPD_CONFIG=$WORK/none.conf expect default-named-missing 1 'none.conf was not readable' -- --check
DLPD_CONFIG= expect default-none 0 "configuration ok: 2 rules" -- --check --nfqueue 0
printf 'rules: %s\n' "$WORK/r.yaml" > "$WORK/badrules.conf"
DLPD_CONFIG=$WORK/badrules.conf expect default-rules 1 "r.yaml:3: rule 'r'" -- --check
# -v: the effective settings, which read back as the same settings.
expect verbose 0 '^hold_ms: 7$' -- --check --nfqueue 0 -v --hold-ms 7 --db "$WORK/v.db"
grep -v '^dlpd:' "$WORK/out" > "$WORK/effective.conf"
expect verbose-reads-back 0 '^# fail_mode: closed  # (default)$' -- -c "$WORK/effective.conf" --check -v
grep -q "^db: $WORK/v.db$" "$WORK/out" && pass=$((pass + 1)) || { fail=$((fail + 1)); echo "FAIL: effective settings: $(cat "$WORK/out")" >&2; }

# --check opens (without changing) what a start would: each problem with
# its path and reason.
expect db-dir 1 "incident database /nonexistent/x.db: directory /nonexistent: No such file or directory" -- --check --nfqueue 0 --db /nonexistent/x.db
echo 'not sqlite' > "$WORK/text.db"
expect db-not-sqlite 1 "incident database $WORK/text.db: not a database" -- --check --nfqueue 0 --db "$WORK/text.db"
sqlite3 "$WORK/new.db" 'PRAGMA user_version=99'
expect db-newer 1 "new.db: schema version 99 is newer than this dlpd's" -- --check --nfqueue 0 --db "$WORK/new.db"
ln -sf /etc/passwd "$WORK/link.db"
expect db-link 1 'link.db.*symbolic link' -- --check --nfqueue 0 --db "$WORK/link.db"
expect db-group 1 "no group 'nosuchgroupx'" -- --check --nfqueue 0 --db "$WORK/g.db" --db-group nosuchgroupx
head -c 16 /dev/urandom > "$WORK/short.key"
expect key-short 1 'short.key: not a 32-byte key' -- --check --nfqueue 0 --db "$WORK/k.db" --key-file "$WORK/short.key"
head -c 32 /dev/urandom > "$WORK/open.key"
chmod 0644 "$WORK/open.key"
expect key-mode 1 'open.key: readable by group or others' -- --check --nfqueue 0 --db "$WORK/k.db" --key-file "$WORK/open.key"
mkdir -p "$WORK/evedir"
expect eve-dir 1 "EVE log $WORK/evedir: Is a directory" -- --check --nfqueue 0 --db "$WORK/e.db" --eve-log "$WORK/evedir"
expect eve-missing-dir 1 "EVE log /nonexistent/eve.json: directory /nonexistent" -- --check --nfqueue 0 --db "$WORK/e.db" --eve-log /nonexistent/eve.json
expect syslog-host 1 "syslog target 'no-such-host.invalid:514'" -- --check --nfqueue 0 --db "$WORK/s.db" --syslog no-such-host.invalid:514
expect control-dir 1 "control socket /nonexistent/d.sock: directory /nonexistent" -- --check --nfqueue 0 --control-socket /nonexistent/d.sock
expect user-unknown 1 "no user 'nosuchuserx'" -- --check --nfqueue 0 --user nosuchuserx
expect log-empty 1 '--log: stderr, syslog or a file' -- --check --nfqueue 0 --log ''
sqlite3 "$WORK/orig.db" 'PRAGMA user_version=1'
ln "$WORK/orig.db" "$WORK/hard.db"
expect db-hard-link 1 "hard.db: has other hard links" -- --check --nfqueue 0 --db "$WORK/hard.db"
if [ "$(id -u)" = 0 ] && id nobody > /dev/null 2>&1; then
  # As root with --user, the files are tried as that user: a directory
  # only root may write is refused, as the start after the drop would be.
  chmod 0711 "$WORK"
  install -d -m 0755 "$WORK/rootonly"
  expect user-dir 1 "incident database $WORK/rootonly/x.db: cannot create files in $WORK/rootonly: Permission denied" \
    -- --check --nfqueue 0 --user nobody --db "$WORK/rootonly/x.db"
  install -d -o nobody -m 0700 "$WORK/nobodys"
  expect user-dir-ok 0 'configuration ok' -- --check --nfqueue 0 --user nobody --db "$WORK/nobodys/x.db"
  # Sharing the database with a group takes owning it: a file of root's
  # in nobody's directory is refused, as the start (fchown) would be.
  install -d -o nobody -m 0700 "$WORK/nbdb"
  sqlite3 "$WORK/nbdb/x.db" 'PRAGMA user_version=1'
  chmod 0666 "$WORK/nbdb/x.db"
  expect user-db-owner 1 "x.db: owned by uid 0, so dlpd's user cannot give it to group 'nogroup'" \
    -- --check --nfqueue 0 --user nobody --db "$WORK/nbdb/x.db" --db-group nogroup
  install -m 0600 /dev/null "$WORK/rules-root.yaml"
  cp "$SRC/rules/default/pan.yaml" "$WORK/rules-root.yaml"
  expect user-rules 1 "rules-root.yaml: Permission denied (reloads read it as dlpd's user)" \
    -- --check --nfqueue 0 --user nobody --rules "$WORK/rules-root.yaml"
fi
[ ! -e "$WORK/k.db" ] && [ ! -e "$WORK/g.db" ] && [ ! -e "$WORK/nobodys/x.db" ] && pass=$((pass + 1)) \
  || { fail=$((fail + 1)); echo "FAIL: --check created files" >&2; }

# dlpctl rules check without a path: the rules of dlpd's settings file.
"$BUILD/dlpctl" rules check -c "$WORK/badrules.conf" > "$WORK/out" 2>&1 && rc=0 || rc=$?
[ "$rc" = 1 ] && grep -q "r.yaml:3: rule 'r'" "$WORK/out" && pass=$((pass + 1)) \
  || { fail=$((fail + 1)); echo "FAIL: dlpctl rules check -c: exit $rc: $(cat "$WORK/out")" >&2; }
DLPD_CONFIG=$WORK/badrules.conf "$BUILD/dlpctl" rules check > "$WORK/out" 2>&1 && rc=0 || rc=$?
[ "$rc" = 1 ] && grep -q "checking the rules and policy of $WORK/badrules.conf" "$WORK/out" && pass=$((pass + 1)) \
  || { fail=$((fail + 1)); echo "FAIL: dlpctl rules check (default settings): exit $rc: $(cat "$WORK/out")" >&2; }

echo "dlpd config: $pass passed, $fail failed"
[ "$fail" = 0 ]
