#!/usr/bin/env bash
# Installs dependencies, builds, and runs the whole test suite twice: a
# normal build and an AddressSanitizer + UndefinedBehaviorSanitizer build.
# This is the README's test command and what CI runs.
#
#   DLP_SKIP_SANITIZE=1   skip the sanitizer pass (quicker local loop)
#   DLP_REQUIRE_NETNS=1   namespace/NFQUEUE tests fail instead of skipping
#                         when they cannot run (CI sets it)
set -euo pipefail
cd "$(dirname "$0")/.."

bash packaging/install-deps.sh

jobs=$(nproc)
run_suite() {  # run_suite BUILD_DIR [cmake args...]
  local dir=$1
  shift
  cmake -S . -B "$dir" -G Ninja "$@"
  cmake --build "$dir" -j "$jobs"
  ctest --test-dir "$dir" --output-on-failure -j "$jobs"
}

echo "== build and test (RelWithDebInfo)"
run_suite build -DCMAKE_BUILD_TYPE=RelWithDebInfo

if [ "${DLP_SKIP_SANITIZE:-0}" != 1 ]; then
  echo "== build and test (ASan + UBSan)"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    run_suite build-asan -DCMAKE_BUILD_TYPE=Debug -DDLP_SANITIZE=ON
fi
echo "== all tests passed"
