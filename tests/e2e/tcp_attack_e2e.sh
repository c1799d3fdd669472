#!/usr/bin/env bash
# Raw TCP packets the server ignores, end to end (issue 18): a real
# connection through the gateway (tcp_attack_client.py) and, between the
# pieces of a value, an RST with a bad checksum, out of the window or in it
# but not exact; a FIN with a bad checksum, an old FIN, a FIN carrying a byte
# with a bad checksum; the SYN again, a SYN far ahead; a byte 50 MB ahead
# with a pause past --gap-ms; a byte beyond a gap that never fills; 105 KB of
# junk the server discards (PAWS-old timestamps, or bad checksums) before the
# body, so that the body's bytes are later copies older than dlpd's window.
# Over IPv4 and IPv6, in fail mode closed (each attack 3 times) and open
# (once). The server must receive the body with every value masked; the only
# other outcomes allowed: the flow stopped (reset) for the gap that never
# fills in closed mode, and, for the PAWS junk, the body withheld (its copies
# cannot be checked, so none leaves). Never a digit of a value in clear.
# dlpd runs with --eve-log: each attack's exchanges (told apart by the
# client's port) must have the anomaly line its attack is (below, EVENTS),
# the control none, and no line of the EVE file a full SSN or card number.
# Usage: tcp_attack_e2e.sh BUILD_DIR SOURCE_DIR
# Env: TCP_ATTACKS (attack names, default all), TCP_ATTACK_REPS (closed mode, default 3),
# TCP_ATTACK_MODES (default "closed open").
source "$(dirname "$0")/netns_lib.sh" || exit 1
netns_prologue "$@"
if ! /usr/bin/python3 -c 'import scapy.all' 2>/dev/null; then
  if [ "${DLP_REQUIRE_NETNS:-0}" = 1 ]; then
    echo "FAIL: tcp attack test needs python3-scapy and DLP_REQUIRE_NETNS=1" >&2
    exit 1
  fi
  echo "SKIP: tcp attack test (no python3-scapy)" >&2
  exit 77
fi
GAP_MS=1500
ATTACKS=${TCP_ATTACKS:-"control rst-bad-checksum rst-out-of-window rst-in-window-inexact fin-bad-checksum
  fin-old-seq fin-data-bad-checksum second-syn syn-ahead far-ahead-byte gap-not-filled old-copies-paws
  old-copies-badsum"}
REPS=${TCP_ATTACK_REPS:-3}
MODES=${TCP_ATTACK_MODES:-closed open}
TCP_ATTACK_PAUSE=$(awk "BEGIN { print $GAP_MS / 1000 + 0.5 }")  # past the gap timeout
export TCP_ATTACK_PAUSE

: > "$WORK/outcomes"  # NAME OUTCOME per exchange, or a FAIL line
n=0
for mode in $MODES; do
  if [ "$n" -gt 0 ]; then  # fresh namespaces (and server) for the next mode
    netns_cleanup
    NS_ID=$((NS_ID + 1))
    # shellcheck disable=SC2034 # netns_lib reads them
    NS_C=dlpc$NS_ID NS_G=dlpg$NS_ID NS_S=dlps$NS_ID
    netns_setup
  fi
  n=$((n + 1))
  netns_start "$WORK/$mode" "$BUILD/dlpd" --nfqueue 0 --fail-mode "$mode" --gap-ms "$GAP_MS" \
    --db "$WORK/$mode/incidents.db" --eve-log "$WORK/$mode/eve.json"
  reps=$REPS
  attacks=$ATTACKS
  if [ "$mode" = open ]; then
    reps=1
    # Fail open goes on after a gap as dlpd did before (gaps_skipped): not a
    # case for "never in clear" here; the pcap suite pins what it does.
    attacks=""
    for a in $ATTACKS; do [ "$a" = gap-not-filled ] || attacks="$attacks $a"; done
  fi
  for host in 10.99.2.2 fd99:2::2; do
    fam=v4; [[ $host == *:* ]] && fam=v6
    # shellcheck disable=SC2086 # one word per attack
    TCP_ATTACK_TAG="$mode.$fam" TCP_ATTACK_PORTS="$WORK/ports" ip netns exec "$NS_C" /usr/bin/python3 \
      "$SRC/tests/e2e/tcp_attack_client.py" "$host" "c$NS_ID" "$reps" $attacks \
      >> "$WORK/outcomes" 2> "$WORK/$mode/client.$fam.err" \
      || { echo "FAIL: client ($mode, $host): $(tail -1 "$WORK/$mode/client.$fam.err")" >> "$WORK/outcomes"; }
  done
  kill -TERM "$DLPD"
  wait "$DLPD" || echo "FAIL: dlpd ($mode) exited with $?" >> "$WORK/outcomes"
done

/usr/bin/python3 - "$WORK" <<'PY'
import collections, json, os, re, sys
work = sys.argv[1]
MASKED = b"a=1&ssn=XXX-XX-XXXX&card=XXXX XXXX XXXX XXXX&x=1;"
# Outcomes allowed besides the masked body (closed and open as named).
ALSO_OK = {("gap-not-filled", "closed"): {"reset"},
           ("old-copies-paws", "closed"): {"withheld"}, ("old-copies-paws", "open"): {"withheld"}}
rows = collections.OrderedDict()
fails = 0
for line in open(os.path.join(work, "outcomes")):
    if line.startswith("FAIL"):
        print(line.strip(), file=sys.stderr)
        fails += 1
        continue
    name, outcome = line.split(None, 1)
    outcome = outcome.strip()
    mode, fam, attack, _ = name.split(".")
    got = None
    for ext in ("body", "partial"):
        path = os.path.join(work, mode, "recv", name + "." + ext)
        if os.path.exists(path):
            got = open(path, "rb").read()
            break
    value_part = (got or b"").replace(b"a=1&", b"", 1).replace(b"&x=1;", b"")
    if got == MASKED and outcome == "completed":
        verdict = "masked"
    elif re.search(rb"\d", value_part):
        verdict = "CLEAR"
    elif b"jjj" in (got or b""):
        verdict = "JUNK-REACHED-SERVER"
    elif outcome == "reset":
        verdict = "reset"
    elif outcome == "stalled":
        verdict = "withheld"
    else:
        verdict = outcome if got is None else "%s (got %r)" % (outcome, got[:50])
    ok = verdict == "masked" or verdict in ALSO_OK.get((attack, mode), set())
    if not ok:
        fails += 1
        print("FAIL %s: %s, %s, server got %r" % (name, outcome, verdict, got), file=sys.stderr)
    rows.setdefault((attack, mode), {}).setdefault(fam, []).append((ok, verdict))


def cell(results):
    if not results:
        return "-"
    n_ok = sum(ok for ok, _ in results)
    kinds = collections.Counter(v for _, v in results)
    return "%d/%d %s" % (n_ok, len(results), ", ".join("%s x%d" % kv for kv in kinds.items()))


print("| attack | fail mode | IPv4 | IPv6 |")
print("|---|---|---|---|")
for (attack, mode), fams in rows.items():
    print("| %s | %s | %s | %s |" % (attack, mode, cell(fams.get("v4")), cell(fams.get("v6"))))
for mode in sorted(m for m in os.listdir(work) if os.path.exists(os.path.join(work, m, "dlpd.log"))):
    text = open(os.path.join(work, mode, "dlpd.log")).read()
    exit_lines = [l for l in text.splitlines() if " packets=" in l]  # the exit log's counters
    counters = dict(re.findall(r"(\w+)=(\d+)", exit_lines[-1] if exit_lines else ""))
    keep = ("bad_checksums", "resets_ignored", "fins_ignored", "beyond_fin", "syns_ignored",
            "flows_restarted", "out_of_window", "copies_checked", "copies_unchecked",
            "overlaps_unchecked", "gaps_stopped", "gaps_skipped", "resets_sent", "partial")
    print("dlpd %s: %s" % (mode, " ".join("%s=%s" % (k, counters[k]) for k in keep if k in counters)))

# The EVE anomaly lines: the event each attack is, on its own connection.
EVENTS = {"rst-bad-checksum": "bad_checksums", "fin-bad-checksum": "bad_checksums",
          "fin-data-bad-checksum": "bad_checksums", "old-copies-badsum": "bad_checksums",
          "rst-out-of-window": "resets_ignored", "rst-in-window-inexact": "resets_ignored",
          "fin-old-seq": "fins_ignored", "syn-ahead": "syns_ignored",
          "far-ahead-byte": "out_of_window", "gap-not-filled": "gaps_stopped",
          "old-copies-paws": "copies_unchecked", "control": None}
SERVERS = {"v4": "10.99.2.2", "v6": "fd99:2::2"}
names_by_port = collections.defaultdict(list)  # (mode, fam, port) -> exchange names
for line in open(os.path.join(work, "ports")) if os.path.exists(os.path.join(work, "ports")) else []:
    name, port = line.split()
    mode, fam = name.split(".")[:2]
    names_by_port[(mode, fam, int(port))].append(name)
events_of = collections.defaultdict(set)  # exchange name -> anomaly events on its connection
for mode in sorted(m for m in os.listdir(work) if os.path.isdir(os.path.join(work, m))):
    path = os.path.join(work, mode, "eve.json")
    if not os.path.exists(path):
        print("FAIL %s: no EVE file" % mode, file=sys.stderr)
        fails += 1
        continue
    text = open(path, encoding="utf-8", errors="replace").read()
    for value in ("536-22-1457", "536221457", "4111 1111 1111 1111", "4111111111111111"):
        if value in text:
            print("FAIL %s: the EVE log holds the value %s" % (mode, value), file=sys.stderr)
            fails += 1
    per_event = collections.Counter()
    represented = collections.Counter()  # events each kind's lines stand for
    for line in text.splitlines():
        j = json.loads(line)
        if j["event_type"] != "anomaly":
            continue
        event = j["anomaly"]["event"]
        per_event[event] += 1
        represented[event[len("stream."):]] += 1 + j["dlp"].get("suppressed", 0)
        fam = "v6" if ":" in j["dest_ip"] else "v4"
        if (j["anomaly"]["type"] != "stream" or not event.startswith("stream.") or j["proto"] != "TCP"
                or j["dest_ip"] != SERVERS[fam] or j["dest_port"] != 80 or "suppressed" not in j["dlp"]):
            print("FAIL %s: malformed anomaly line %s" % (mode, line), file=sys.stderr)
            fails += 1
        for name in names_by_port.get((mode, fam, j["src_port"]), []):
            events_of[name].add(event[len("stream."):])
    print("dlpd %s EVE anomalies: %s" % (mode, " ".join("%s=%d" % kv for kv in sorted(per_event.items()))))
    exit_lines = [l for l in open(os.path.join(work, mode, "dlpd.log")) if " packets=" in l]
    counters = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", exit_lines[-1] if exit_lines else "")}
    for kind, n in represented.items():  # never more than were counted
        if n > counters.get(kind, 0):
            print("FAIL %s: %d %s in EVE, %s counted" % (mode, n, kind, counters.get(kind)), file=sys.stderr)
            fails += 1
for names in names_by_port.values():
    if len(names) > 1:  # the client binds a port of its own per exchange
        print("FAIL %s: one client port, EVE lines cannot be told apart" % names, file=sys.stderr)
        fails += 1
    for name in names:
        attack = name.split(".")[2]
        want = EVENTS.get(attack, "")
        if want is None and events_of[name]:
            print("FAIL %s: anomalies on a clean connection: %s" % (name, sorted(events_of[name])),
                  file=sys.stderr)
            fails += 1
        # The first exchange of each attack: later ones may fall under the rate
        # limit (old-copies-badsum sends 75 bad checksums each time).
        if want and name.endswith(".r1") and want not in events_of[name]:
            print("FAIL %s: no %s anomaly line (got %s)" % (name, want, sorted(events_of[name])),
                  file=sys.stderr)
            fails += 1
print("tcp attack e2e: %d exchanges, %d failed" % (sum(len(r) for f in rows.values() for r in f.values()), fails))
sys.exit(1 if fails else 0)
PY
