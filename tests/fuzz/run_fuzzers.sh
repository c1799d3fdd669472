#!/usr/bin/env bash
# Runs each fuzz target for a bounded time on its seed corpus (copied, so the
# repository's seeds stay as they are). Exit 1 on any crash, leak or abort.
# Usage: run_fuzzers.sh FUZZ_BUILD_DIR SECONDS_PER_TARGET
set -euo pipefail
BUILD=$1
SECS=${2:-30}
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
status=0
for t in packet flow rules policy http pcap differential control incident_filter icap icap_exchange; do
  mkdir -p "$WORK/$t"
  cp "$HERE/corpus/$t/"* "$WORK/$t/" 2>/dev/null || true
  if "$BUILD/tests/fuzz/fuzz_$t" -max_total_time="$SECS" -rss_limit_mb=4096 -print_final_stats=1 \
      -artifact_prefix="$WORK/crash-$t-" "$WORK/$t" > "$WORK/$t.log" 2>&1; then
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$WORK/$t.log" | grep -o '[0-9]*$')
    cov=$(grep -o 'cov: [0-9]*' "$WORK/$t.log" | tail -1)
    echo "fuzz_$t: ok, ${runs:-?} runs in ${SECS}s, $cov"
  else
    echo "fuzz_$t: FAILED" >&2
    tail -40 "$WORK/$t.log" >&2
    status=1
  fi
done
exit $status
