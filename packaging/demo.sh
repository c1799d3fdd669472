#!/usr/bin/env bash
# The README's main-job command: installs dependencies, builds, and shows
# dlpd's engine masking a request with the embedded default rules.
set -euo pipefail
cd "$(dirname "$0")/.."

bash packaging/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$(nproc)" >/dev/null

request=$'POST /checkout HTTP/1.1\r\nHost: shop.example\r\nContent-Type: application/x-www-form-urlencoded\r\n\r\nname=Jane+Doe&ssn=536-22-1457&card=4111 1111 1111 1111&amount=129.99\r\n'
echo "== what the client sends"
printf '%s' "$request"
echo "== what leaves the gateway (dlpctl scan uses the daemon's engine)"
printf '%s' "$request" | ./build/dlpctl scan
echo "== findings (display form only)"
printf '%s' "$request" | ./build/dlpctl scan --json
