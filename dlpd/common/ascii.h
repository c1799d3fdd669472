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

// `s` without the spaces and tabs around it (HTTP's optional whitespace,
// OWS, around a field value).
inline std::string_view TrimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace dlp
