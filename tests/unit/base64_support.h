// base64 as the tests write and read it: an encoder with padding, a MIME
// decoder, and a lenient one (Python's b64decode, Node's Buffer, Java's
// MIME decoder, PHP).
#pragma once

#include <cstdint>
#include <cstring>
#include <string>

namespace dlp::test::b64 {

inline constexpr char kAlphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

inline std::string Encode(const std::string& in) {
  std::string out;
  size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    const uint32_t v = static_cast<uint8_t>(in[i]) << 16 | static_cast<uint8_t>(in[i + 1]) << 8 |
                       static_cast<uint8_t>(in[i + 2]);
    for (int k = 3; k >= 0; --k) out += kAlphabet[(v >> (6 * k)) & 63];
  }
  if (i + 1 == in.size()) {
    const uint32_t v = static_cast<uint8_t>(in[i]) << 16;
    out += std::string{kAlphabet[v >> 18], kAlphabet[(v >> 12) & 63]} + "==";
  } else if (i + 2 == in.size()) {
    const uint32_t v = static_cast<uint8_t>(in[i]) << 16 | static_cast<uint8_t>(in[i + 1]) << 8;
    out +=
        std::string{kAlphabet[v >> 18], kAlphabet[(v >> 12) & 63], kAlphabet[(v >> 6) & 63]} + "=";
  }
  return out;
}

// MIME's line length: 76 characters, CRLF.
inline std::string Wrap(const std::string& b64) {
  std::string out;
  for (size_t i = 0; i < b64.size(); i += 76) out += b64.substr(i, 76) + "\r\n";
  return out;
}

// Decodes the alphabet's characters of `s` up to the first '=' or byte that
// is neither one nor a line break, as a MIME decoder does.
inline std::string Decode(const std::string& s) {
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (const char c : s) {
    if (c == '\r' || c == '\n') continue;
    const char* p = std::strchr(kAlphabet, c);
    if (c == '\0' || p == nullptr) break;
    acc = acc << 6 | static_cast<uint32_t>(p - kAlphabet);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  return out;
}

// What a lenient decoder reads (Python's b64decode, Node's Buffer, Java's
// MIME decoder, PHP): every byte outside the alphabet skipped, '=' too.
inline std::string DecodeLenient(const std::string& s) {
  std::string only;
  for (const char c : s) {
    if (c != '\0' && c != '=' && std::strchr(kAlphabet, c) != nullptr) only += c;
  }
  only.resize(only.size() - only.size() % 4 == 1 ? only.size() - 1 : only.size());
  return Decode(only);
}

}  // namespace dlp::test::b64
