// A confirmed value: which rule, and where its bytes are.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

#include "dlpd/common/action.h"

namespace dlp {

// Laid out in 128 bytes (the small fields together): a finding is written
// where its vector grows, and on a dense body those lines are cold.
struct Finding {
  uint32_t rule_index = 0;
  uint8_t display_len = 0;
  bool has_fingerprint = false;
  // It cannot be masked in place: found in a compressed body (inflated to
  // scan: it has no bytes of its own on the wire), or in base64 whose
  // characters cannot be written back at their length. A mask becomes the
  // policy's `compressed` action; `reason` (static storage) says why.
  bool compressed = false;
  // Found in base64 the application decodes (dlpd/inspect/base64_scan.h):
  // [start, end) spans the groups of characters that hold it, and it is
  // masked by re-encoding them (edits), not digit by digit.
  bool base64 = false;
  uint64_t start = 0;  // value span [start, end), offsets from the start of the scanned stream
  uint64_t end = 0;
  const char* detail = "";  // validator's detail (card brand), static storage
  const char* reason = "";
  // What the policy decided for it; only kMask findings are masked.
  PolicyAction action = PolicyAction::kMask;
  // A compressed finding's offset in the decoded text (its low 32 bits):
  // every value of one compressed run has that run's wire span, and this
  // tells them apart (two cards in a gzip body are two values). 0 else.
  uint32_t text_start = 0;
  // The value as it may be shown or stored (display_len bytes): digits
  // masked but the last four ("XXX-XX-1457"); the only trace of the value
  // a Finding keeps.
  std::array<char, 48> display{};
  // Keyed HMAC-SHA256 of the value's digits (hex, 128 bits), taken when the
  // value was confirmed, while its bytes were at hand; empty without a key.
  std::array<char, 32> fingerprint{};

  std::string_view display_form() const { return {display.data(), display_len}; }
  std::string_view fingerprint_hex() const {
    return has_fingerprint ? std::string_view(fingerprint.data(), fingerprint.size())
                           : std::string_view();
  }

  bool operator==(const Finding& o) const {
    return rule_index == o.rule_index && start == o.start && end == o.end &&
           text_start == o.text_start;
  }
  bool operator<(const Finding& o) const {
    if (start != o.start) return start < o.start;
    if (end != o.end) return end < o.end;
    if (text_start != o.text_start) return text_start < o.text_start;
    return rule_index < o.rule_index;
  }
};

static_assert(sizeof(Finding) <= 128, "two cache lines");

using Findings = std::vector<Finding>;

// Finding::detail of a value its rule lists as a published example
// (known_examples: 078-05-1120), not anyone's.
inline constexpr const char* kDetailExample = "example";

// Finding::reason for a value that cannot be masked in place.
inline constexpr const char* kReasonCompressedBody = "compressed body";
inline constexpr const char* kReasonBase64NotRewritable = "base64 cannot be rewritten";

}  // namespace dlp
