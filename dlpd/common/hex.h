// Lowercase hex of bytes: fingerprints and ruleset versions.
#pragma once

#include <cstddef>
#include <string>

namespace dlp {

inline std::string ToHex(const unsigned char* p, size_t n) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * n);
  for (size_t i = 0; i < n; ++i) {
    out += kHex[p[i] >> 4];
    out += kHex[p[i] & 15];
  }
  return out;
}

}  // namespace dlp
