// Address ranges for `--src/--dst` filters and policy scopes: 10.0.0.0/8, 2001:db8::/32, or a
// single address. Also registered as the SQL function cidr_match(ip, cidr)
// on a query connection, so that filters run in SQLite with their LIMIT.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "dlpd/common/result.h"

struct sqlite3;  // only pointed to: policies use Cidr on the packet path

namespace dlp {

struct Cidr {
  int family = 0;  // AF_INET or AF_INET6
  std::array<uint8_t, 16> addr{};
  int prefix = 0;

  static Result<Cidr> Parse(const std::string& text);
  // True if `ip` (textual, as stored) is inside; false for an unparsable ip.
  bool Contains(const std::string& ip) const;
  // `addr`: 4 bytes (IPv4) or 16 (IPv6), network order.
  bool Contains(int family, const uint8_t* addr) const;
};

// Adds cidr_match(ip TEXT, cidr TEXT) -> 0/1 (NULL for a bad range).
Status RegisterCidrFunction(sqlite3* db);

}  // namespace dlp
