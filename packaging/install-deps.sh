#!/usr/bin/env bash
# Installs every build, test and demo dependency of dlpd on Debian 12 (bookworm).
# Idempotent: packages already present are skipped, and apt-get update runs only
# when something is missing. Used by the README quick start, .ci/run and the demo.
set -euo pipefail

PACKAGES=(
  # toolchain
  build-essential cmake ninja-build pkg-config git clang clang-format clang-tidy libfuzzer-14-dev
  libc++-14-dev libc++abi-14-dev  # the FreeBSD/OpenBSD compile check (tests/bsd)
  # required libraries
  libhyperscan-dev libre2-dev libsqlite3-dev libspdlog-dev libfmt-dev
  libpcre2-dev  # which digits at a stream's end may begin a value (rules/value_prefix.h)
  libhttp-parser-dev  # request framing: heads, Content-Length and chunked bodies (dlpd/http/)
  zlib1g-dev libbrotli-dev  # compressed request bodies, inflated to scan (dlpd/http/body_inflater.h)
  libgtest-dev libgmock-dev
  # chosen libraries
  libyaml-cpp-dev libcli11-dev nlohmann-json3-dev libssl-dev libsodium-dev
  libnetfilter-queue-dev libmnl-dev libnfnetlink-dev libpcap-dev libbenchmark-dev libcap-dev
  libseccomp-dev  # the packet path's sandbox (dlpd/daemon/sandbox.h)
  libsystemd-dev  # sd_notify: systemd learns when dlpd is ready (Type=notify)
  # test, demo and end-to-end tooling
  sqlite3 iproute2 iptables curl python3 python3-scapy python3-websockets tcpdump kmod procps systemd dpkg-dev adduser
  logrotate  # the package's logrotate file, run in the package test
  nftables  # the nftables sample, loaded by an end-to-end test
  mandoc lintian  # the manual pages' lint, and Debian's checks on the package
  chromium python3-pil  # the incident report rendered by a real browser, its pixels checked
  squid-openssl openssl  # ICAP end to end: Squid bumps HTTPS with a test CA and asks dlpd (REQMOD)
  c-icap  # c-icap-client: ICAP protocol tests from another implementation
  # benchmarks
  iperf3
)

if [ "$(id -u)" -ne 0 ]; then
  SUDO=sudo
else
  SUDO=
fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "install-deps: done"
