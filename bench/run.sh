#!/usr/bin/env bash
# Builds and runs every benchmark, printing their figures and ratios taken
# in the same run. Not part of CI's pass/fail: speed and memory are measured
# here, not asserted in tests. The NFQUEUE part needs root (namespaces).
#   bash bench/run.sh            all of them
#   bash bench/run.sh scan|flow|nfqueue|icap
set -euo pipefail
cd "$(dirname "$0")/.."
bash packaging/install-deps.sh > /dev/null
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo > /dev/null
cmake --build build -j "$(nproc)" --target flow_bench scan_bench nfq_null http_load dlpd dlpctl \
  > /dev/null
what=${1:-all}
# Web-API request traffic, generated (seeded: the same bytes every run).
API=build/bench-api.http
[ -s "$API" ] || python3 bench/api_corpus.py --seed 1 --size 4 --out "$API"
echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
if [ "$what" = all ] || [ "$what" = scan ]; then
  echo "== scan engine, one core, 4 MiB bodies (bench/scan_bench.cpp)"
  ./build/scan_bench --api "$API"
fi
if [ "$what" = all ] || [ "$what" = flow ]; then
  echo "== stream inspection on the packet path, memory per flow (bench/flow_bench.cpp)"
  ./build/flow_bench
fi
if [ "$what" = all ] || [ "$what" = nfqueue ]; then
  echo "== through the kernel: NFQUEUE, dlpd against a null forwarder (bench/nfqueue_bench.sh)"
  bash bench/nfqueue_bench.sh build 4
  echo "== the same, HTTP/1.1 POSTs of the web-API traffic (bench/http_load.cpp)"
  bash bench/nfqueue_bench.sh build 4 --http "$API"
fi
if [ "$what" = all ] || [ "$what" = icap ]; then
  echo "== HTTPS through Squid ssl-bump, with and without dlpd's ICAP service (bench/icap_bench.sh)"
  bash bench/icap_bench.sh build 3000 8 2
  bash bench/icap_bench.sh build 100 4 1500
fi
