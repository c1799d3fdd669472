#!/usr/bin/env bash
# Floods, through the real pipeline (dlpd --pcap-in on generated captures):
#  - FLOWS concurrent flows (1,000,000; fewer under sanitizers) against a
#    100,000-flow table: memory stays within its bound (peak RSS), evictions
#    are counted, every packet is forwarded, and no value leaves unmasked
#    (an evicted flow's held segment is judged and masked on its way out);
#  - a SYN flood (200,000 SYNs; fewer under sanitizers) from many sources,
#    more than the table holds, while one flow is in the middle of a value
#    (`ssn=536-22-`): that flow is the one kept (its `1457;` leaves masked),
#    the flows of a NAT'd office interleaved with the flood all pass
#    (handshake, masked data, FIN), the one host that floods alone is held
#    to its new-flow limit, and memory stays within the caps;
#  - bodies that are nothing but card numbers: one incident per flow with
#    the count, so the database grows with flows, not with values.
# Usage: flood_test.sh BUILD_DIR [SANITIZED(0|1)]
set -euo pipefail
BUILD=$(cd "$1" && pwd)
SANITIZED=${2:-0}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }
# Runs a command, prints its peak resident set in KiB.
peak_rss() {
  /usr/bin/python3 -c '
import resource, subprocess, sys
rc = subprocess.run(sys.argv[1:]).returncode
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss if rc == 0 else -rc)' "$@"
}
counter() { grep -o "$1=[0-9]*" "$2" | head -1 | cut -d= -f2; }

if [ "$SANITIZED" = 1 ]; then flows=200000; else flows=1000000; fi
max_flows=100000
"$BUILD/tests/flood_pcap" "$WORK/open.pcap" "$flows" --open
rss=$(peak_rss "$BUILD/dlpd" --pcap-in "$WORK/open.pcap" --pcap-out "$WORK/open.out" \
  --max-flows "$max_flows" --log-level info 2> "$WORK/open.log")
[ "$rss" -gt 0 ] && ok || bad "dlpd failed: $(tail -3 "$WORK/open.log")"
read_written=$(grep -o '[0-9]* packets read, [0-9]* written' "$WORK/open.log")
in=$(cut -d' ' -f1 <<< "$read_written")
out=$(cut -d' ' -f4 <<< "$read_written")
[ "$in" = $((flows * 3)) ] && [ "$out" = "$in" ] && ok || bad "$in packets in, $out out"
evicted=$(counter flows_evicted "$WORK/open.log")
# Each flow's FIN comes after all SYNs: evicted flows' FINs find no flow.
[ "$evicted" -ge $((flows - max_flows)) ] && ok || bad "flows_evicted=$evicted"
! grep -aq -e '536-22-1457' -e '4111 1111 1111 1111' -e '4111+1111+1111+1111' "$WORK/open.out" && ok \
  || bad "a value left unmasked"
[ "$(grep -ac 'XXX-XX-XXXX' "$WORK/open.out")" -gt 0 ] && ok || bad "nothing masked?"
# The bound: the table's flows plus the held-bytes cap, with room for the
# allocator; far below what a table without eviction would take.
bound_kib=$((max_flows * 4 + 64 * 1024 + 200 * 1024))
[ "$SANITIZED" = 1 ] && bound_kib=$((bound_kib * 4))
[ "$rss" -lt "$bound_kib" ] && ok || bad "peak RSS ${rss} KiB over the bound ${bound_kib} KiB"
echo "flood: $flows flows, table $max_flows, evicted $evicted, peak RSS $((rss / 1024)) MiB"

# A SYN flood while a value is held.
if [ "$SANITIZED" = 1 ]; then syns=50000 table=10000; else syns=200000 table=50000; fi
legit=100
"$BUILD/tests/flood_pcap" "$WORK/syn.pcap" "$syns" --syn-flood "$legit"
started=$(date +%s%N)
rss=$(peak_rss "$BUILD/dlpd" --pcap-in "$WORK/syn.pcap" --pcap-out "$WORK/syn.out" \
  --max-flows "$table" --log-level info 2> "$WORK/syn.log")
took_ms=$((($(date +%s%N) - started) / 1000000))
[ "$rss" -gt 0 ] && ok || bad "dlpd failed on the SYN flood: $(tail -3 "$WORK/syn.log")"
# The held flow was kept: the rest of its value leaves masked, and so does
# the copy of the withheld "536-22-" its sender sends again.
[ "$(grep -ao 'XXXX;&end=1' "$WORK/syn.out" | wc -l)" = 1 ] && ok \
  || bad "the held flow's value did not leave masked (evicted during the flood?)"
! grep -aq -e '536-22-1457' -e '1457;' "$WORK/syn.out" && ok || bad "a value left in clear"
held_out=$(tcpdump -nr "$WORK/syn.out" 'src host 192.0.2.10' 2> /dev/null | wc -l)
[ "$held_out" = 5 ] && ok || bad "the held flow: $held_out of its 5 packets forwarded"
busy=$(counter busy_evictions "$WORK/syn.log")
[ "$busy" = 0 ] && ok || bad "busy_evictions=$busy: a flow with data went before a SYN"
# The office's connections, all of them, masked.
office_out=$(tcpdump -nr "$WORK/syn.out" 'src host 203.0.113.7' 2> /dev/null | wc -l)
[ "$office_out" = $((legit * 3)) ] && ok || bad "the office: $office_out of $((legit * 3)) packets"
masked=$(grep -ao 'legit=[0-9]*&ssn=XXX-XX-XXXX;' "$WORK/syn.out" | sort -u | wc -l)
[ "$masked" = "$legit" ] && ok || bad "the office: $masked of $legit requests masked"
# The flood went through the table (more than it holds) and the host that
# flooded alone (every fifth SYN) was held to its limit.
evicted=$(counter flows_evicted "$WORK/syn.log")
limited=$(counter new_flows_limited "$WORK/syn.log")
[ "$evicted" -ge $((syns * 4 / 5 - table)) ] && ok || bad "flows_evicted=$evicted"
[ "$limited" -ge $((syns / 5 - 2000 - syns / 500)) ] && ok || bad "new_flows_limited=$limited"
bound_kib=$((table * 4 + 64 * 1024 + 200 * 1024))
[ "$SANITIZED" = 1 ] && bound_kib=$((bound_kib * 4))
[ "$rss" -lt "$bound_kib" ] && ok || bad "peak RSS ${rss} KiB over the bound ${bound_kib} KiB"
echo "SYN flood: $syns SYNs, table $table, evicted $evicted, busy evicted $busy," \
  "limited $limited, $legit office flows through, peak RSS $((rss / 1024)) MiB, ${took_ms} ms"

# Bodies of nothing but card numbers.
if [ "$SANITIZED" = 1 ]; then n=200; else n=1000; fi
"$BUILD/tests/flood_pcap" "$WORK/cards.pcap" "$n" --values 1000
"$BUILD/dlpd" --pcap-in "$WORK/cards.pcap" --pcap-out "$WORK/cards.out" --db "$WORK/i.db" \
  2> "$WORK/cards.log" && ok || bad "dlpd on the card flood"
rows=$(sqlite3 "$WORK/i.db" 'select count(*) from incidents')
values=$(sqlite3 "$WORK/i.db" 'select sum(match_count) from incidents')
[ "$rows" = "$n" ] && [ "$values" = $((n * 1000)) ] && ok || bad "$rows incidents, $values values"
size=$(( $(stat -c %s "$WORK/i.db") + $(stat -c %s "$WORK/i.db-wal" 2> /dev/null || echo 0) ))
[ "$size" -lt $((n * 4096)) ] && ok || bad "database $size bytes for $n flows"
! grep -aq '4111 1111 1111 1111' "$WORK/cards.out" && ok || bad "a card left unmasked"
echo "card flood: $n flows x 1000 cards: $rows incidents, $values values, database $((size / 1024)) KiB"

echo "floods: $pass passed, $fail failed"
[ "$fail" = 0 ]
