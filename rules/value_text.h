// How a value's bytes read: digits, separators, and URL escapes. In a form
// or URL a space is "+" or "%20" (and a dash "%2D"): an escape is one
// separator, and its hex digits are not the value's digits. A digit may be
// escaped too ("%34" is '4', as a server decodes it): that escape is one
// digit. Shared by the
// validators, masking, the display form and fingerprints, so they agree on
// which digits a value has. Hand-written: a few lines, on the hot path.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace dlp {

// A digit, in ASCII (flows are bytes, not text: no locale, no Unicode).
inline bool IsAsciiDigit(uint8_t c) {
  return static_cast<unsigned>(c - '0') < 10U;
}
inline bool IsAsciiDigit(char c) {
  return IsAsciiDigit(static_cast<uint8_t>(c));
}

// A letter or digit, in ASCII (flows are bytes, not text).
inline bool IsAsciiAlnum(uint8_t c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

inline bool IsHexDigit(char c) {
  return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
}

// Length of the token at v[i]: 3 for a %XX escape, else 1.
inline size_t ValueTokenLength(std::string_view v, size_t i) {
  return v[i] == '%' && i + 2 < v.size() && IsHexDigit(v[i + 1]) && IsHexDigit(v[i + 2]) ? 3 : 1;
}

// Whether the token at v[i] of length n (ValueTokenLength) is a digit,
// plain or escaped (%30-%39).
inline bool IsDigitToken(std::string_view v, size_t i, size_t n) {
  const char c = n == 1 ? v[i] : v[i + 1] == '3' ? v[i + 2] : 'x';
  return c >= '0' && c <= '9';
}

// The digit a digit token stands for.
inline char TokenDigit(std::string_view token) {
  return token.size() == 1 ? token[0] : token[2];
}

// Calls f(token, is_digit) for each token of `v` in order.
template <typename F>
void ForEachValueToken(std::string_view v, F&& f) {
  for (size_t i = 0; i < v.size();) {
    const size_t n = ValueTokenLength(v, i);
    f(v.substr(i, n), IsDigitToken(v, i, n));
    i += n;
  }
}

}  // namespace dlp
