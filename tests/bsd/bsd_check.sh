#!/usr/bin/env bash
# Compiles every source outside tests/ and bench/ again for FreeBSD 14 and
# OpenBSD 7 (clang, libc++, each system's own headers), so code that only a
# BSD compiles - the divert back end, #ifdef __FreeBSD__/__OpenBSD__ paths,
# includes glibc supplies implicitly - breaks here, on every change. Uses the
# workplace's cross-compile check beside the repository (../shared/bsd/check).
# Exit 77 = skipped (no check tool here); DLP_REQUIRE_BSD_CHECK=1 (CI) makes
# that a failure.
# Usage: bsd_check.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
BUILD=$(cd "$1" && pwd)
SRC=$(cd "$2" && pwd)
CHECK="$SRC/../shared/bsd/check"
if [ ! -x "$CHECK" ] || ! command -v clang++-14 > /dev/null; then
  echo "bsd check: needs $CHECK and clang++-14 with libc++-14-dev" >&2
  [ "${DLP_REQUIRE_BSD_CHECK:-0}" = 1 ] && exit 1
  exit 77
fi
exec "$CHECK" "$BUILD"
