#include "dlpd/inspect/reference_scanner.h"

#include <re2/re2.h>

#include <algorithm>

#include "dlpd/inspect/column_tracker.h"
#include "dlpd/inspect/scan_context.h"

namespace dlp {

Findings ReferenceScan(const CompiledRuleset& rules, std::string_view text) {
  Findings out;
  ColumnTracker columns;
  if (rules.columns()) columns.Feed(text, 0);
  re2::StringPiece input(text.data(), text.size());
  for (const CompiledPattern& p : rules.patterns()) {
    const int ngroups = p.value_group + 1;
    std::vector<re2::StringPiece> groups(static_cast<size_t>(ngroups));
    size_t pos = 0;
    // Every position where some match starts...
    while (pos < text.size() &&
           p.confirm->Match(input, pos, text.size(), RE2::UNANCHORED, groups.data(), 1)) {
      const size_t start = static_cast<size_t>(groups[0].data() - text.data());
      // ...and every end it could have: RE2 alone would pick one (leftmost-
      // first), while the Hyperscan path sees them all.
      const size_t last = std::min(text.size(), start + rules.max_width());
      for (size_t end = start + 1; end <= last; ++end) {
        if (!p.confirm->Match(input, start, end, RE2::ANCHOR_BOTH, groups.data(), ngroups)) {
          continue;
        }
        const re2::StringPiece& value = groups[static_cast<size_t>(p.value_group)];
        Finding f;
        if (FindingOf(rules, p, text, {value.data(), value.size()}, 0, &f, &columns)) {
          out.push_back(f);
        }
      }
      pos = start + 1;
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace dlp
