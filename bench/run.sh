#!/usr/bin/env bash
# Builds and runs the benchmarks, printing their figures. Not part of CI's
# pass/fail: speed and memory are measured here, not asserted in tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash packaging/install-deps.sh >/dev/null
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$(nproc)" --target flow_bench >/dev/null
echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "== stream inspection on the packet path (bench/flow_bench.cpp)"
./build/flow_bench "$@"
