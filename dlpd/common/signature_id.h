// What a rule's alerts are when its file does not say. The signature id of
// a rule whose file sets no sid: stable per rule id
// (FNV-1a), in a range of its own (9,000,000-9,999,999) so that it cannot
// be taken for one of Suricata's rules (which use below 9,000,000). In
// common/ because the rule loader checks that no two rules share one and
// the EVE writer falls back to it for rows stored before sids were.
#pragma once

#include <cstdint>
#include <string_view>

namespace dlp {

// The alerts' category of a rule whose file sets no classtype.
inline constexpr std::string_view kDefaultAlertCategory = "Data Leakage";

inline uint32_t DefaultSignatureId(std::string_view rule_id) {
  uint32_t h = 2166136261u;
  for (unsigned char c : rule_id) h = (h ^ c) * 16777619u;
  return 9000000 + h % 1000000;
}

}  // namespace dlp
