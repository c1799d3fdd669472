// A confirmed value: which rule, and where its bytes are.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

namespace dlp {

struct Finding {
  uint32_t rule_index = 0;
  uint64_t start = 0;  // value span [start, end), offsets from the start of the scanned stream
  uint64_t end = 0;
  const char* detail = "";  // validator's detail (card brand), static storage
  // The value as it may be shown or stored: digits masked but the last four
  // ("XXX-XX-1457"); the only trace of the value a Finding keeps.
  std::array<char, 48> display{};
  uint8_t display_len = 0;

  std::string_view display_form() const { return {display.data(), display_len}; }

  bool operator==(const Finding& o) const {
    return rule_index == o.rule_index && start == o.start && end == o.end;
  }
  bool operator<(const Finding& o) const {
    if (start != o.start) return start < o.start;
    if (end != o.end) return end < o.end;
    return rule_index < o.rule_index;
  }
};

using Findings = std::vector<Finding>;

}  // namespace dlp
