#!/usr/bin/env bash
# Installs dependencies, builds, and runs the whole test suite twice: a
# normal build and an AddressSanitizer + UndefinedBehaviorSanitizer build;
# then runs each libFuzzer target (clang, ASan+UBSan) for a bounded time.
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

if [ "${DLP_SKIP_SANITIZE:-0}" != 1 ]; then
  echo "== build and test (ASan + UBSan)"
  # The package is built from the release build above, not this one.
  EXCLUDE=package_deb ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 run_suite build-asan -DCMAKE_BUILD_TYPE=Debug -DDLP_SANITIZE=ON

  echo "== fuzz targets (libFuzzer, ${DLP_FUZZ_SECONDS:-20}s each)"
  CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDLP_FUZZ=ON
  cmake --build build-fuzz -j "$jobs"
  bash tests/fuzz/run_fuzzers.sh build-fuzz "${DLP_FUZZ_SECONDS:-20}"
fi
echo "== all tests passed"
