#!/usr/bin/env bash
# Installs dependencies, builds, and runs the whole test suite twice: a
# normal build and an AddressSanitizer + UndefinedBehaviorSanitizer build;
# between them, the engine-dependent suites on a build with the RE2 engine
# (-DDLP_ENGINE=re2); then runs each libFuzzer target (clang, ASan+UBSan)
# for a bounded time.
# This is the README's test command and what CI runs.
#
#   DLP_SKIP_SANITIZE=1   skip the sanitizer and fuzzing passes (quicker local loop)
#   DLP_FUZZ_SECONDS=N    seconds per fuzz target (default 20)
#   DLP_REQUIRE_NETNS=1   namespace/NFQUEUE tests fail instead of skipping
#                         when they cannot run (CI sets it)
set -euo pipefail
cd "$(dirname "$0")/.."

bash packaging/install-deps.sh

jobs=$(nproc)
run_suite() {  # run_suite BUILD_DIR [cmake args...]; $EXCLUDE: ctest -E regex
  local dir=$1
  shift
  cmake -S . -B "$dir" -G Ninja "$@"
  cmake --build "$dir" -j "$jobs"
  ctest --test-dir "$dir" --output-on-failure -j "$jobs" ${EXCLUDE:+-E "$EXCLUDE"}
}

echo "== build and test (RelWithDebInfo)"
run_suite build -DCMAKE_BUILD_TYPE=RelWithDebInfo

echo "== build and test with the RE2 engine (no Hyperscan: OpenBSD's build)"
# The suites whose findings depend on the engine: unit (differential and
# stream = block included), CLI, pcap, evasion; and the BSD compile check,
# since OpenBSD builds this engine. The rest is the same code on both
# (cli_control's 6,002-rule reload is more than RE2::Set compiles in its
# memory budget: it tests the control plane, which is the same too).
EXCLUDE='flood|package_deb|cli_control|e2e_(nfqueue|multiqueue|policy|privilege|tcp_attack|synflood|failmode|http|slowlink|divert|restart)' \
  run_suite build-re2 -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDLP_ENGINE=re2

if [ "${DLP_SKIP_SANITIZE:-0}" != 1 ]; then
  echo "== build and test (ASan + UBSan)"
  # The package is built from the release build above, not this one.
  # The divert variants of the longest scripts run in the release pass only
  # (the pipeline they drive is the NFQUEUE scripts', run here too).
  EXCLUDE='package_deb|e2e_divert_(tcp_attack|evasion|http)' ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 run_suite build-asan -DCMAKE_BUILD_TYPE=Debug -DDLP_SANITIZE=ON

  echo "== fuzz targets (libFuzzer, ${DLP_FUZZ_SECONDS:-20}s each)"
  CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDLP_FUZZ=ON
  cmake --build build-fuzz -j "$jobs"
  bash tests/fuzz/run_fuzzers.sh build-fuzz "${DLP_FUZZ_SECONDS:-20}"
fi
echo "== all tests passed"
