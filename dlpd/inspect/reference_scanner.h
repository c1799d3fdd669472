// A second, independent scanner built on RE2 alone: the oracle the
// differential tests hold the Hyperscan path to, and the portable baseline
// the benchmarks compare against. It finds every match of every pattern by
// re-running RE2 from each match start + 1 (RE2 itself reports leftmost,
// non-overlapping matches), so it is much slower than the Hyperscan path
// and never runs on the packet path.
#pragma once

#include <string_view>

#include "dlpd/inspect/finding.h"
#include "rules/compiled_ruleset.h"

namespace dlp {

Findings ReferenceScan(const CompiledRuleset& rules, std::string_view text);

}  // namespace dlp
