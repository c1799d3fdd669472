// ASCII case: comparison and lower case, for HTTP header names and values,
// Host names, hex. Bytes above 127 are left as they are (no locale).
#pragma once

#include <algorithm>
#include <cctype>
#include <string>
#include <string_view>

namespace dlp {

inline bool IEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// `s` with A-Z as a-z.
inline std::string AsciiLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
  return out;
}

}  // namespace dlp
