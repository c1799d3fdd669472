#include "dlpd/mask/mask.h"

#include <algorithm>

#include "rules/compiled_ruleset.h"

namespace dlp {

void MaskValue(MaskStyle style, uint8_t* p, size_t len) {
  switch (style) {
    case MaskStyle::kAll:
      std::fill(p, p + len, static_cast<uint8_t>(kMaskChar));
      return;
    case MaskStyle::kDigits:
      // The value's digits; a URL escape (%20) stays, so the URL stays valid.
      MaskDigits(p, len, 0);
      return;
    case MaskStyle::kKeepLast4:
      MaskDigits(p, len, 4);
      return;
  }
}

size_t MaskFindings(const CompiledRuleset& rules, const Finding* findings, size_t count,
                    uint8_t* buf, size_t len, uint64_t base) {
  size_t touched = 0;
  for (const Finding* fp = findings; fp != findings + count; ++fp) {
    const Finding& f = *fp;
    if (f.action != PolicyAction::kMask) continue;  // alert, pass: unchanged
    if (f.end <= base || f.start >= base + len) continue;
    // A value cut by the buffer's edge: keep-last-4 needs the whole value to
    // know which digits are the last four, so the part here is fully masked.
    MaskStyle style = rules.rule(f.rule_index).mask;
    const bool whole = f.start >= base && f.end <= base + len;
    if (!whole && style == MaskStyle::kKeepLast4) style = MaskStyle::kDigits;
    uint64_t s = std::max(f.start, base);
    uint64_t e = std::min(f.end, base + len);
    MaskValue(style, buf + (s - base), e - s);
    ++touched;
  }
  return touched;
}

}  // namespace dlp
