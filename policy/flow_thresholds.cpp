#include "policy/flow_thresholds.h"

#include <algorithm>

namespace dlp {

PolicyAction FlowThresholds::Decide(const Policy& policy, const FindingScope& s,
                                    uint64_t generation) {
  const int statement = policy.Match(s);
  if (generation != generation_) {
    counts_.clear();
    generation_ = generation;
  }
  auto it = std::find_if(counts_.begin(), counts_.end(),
                         [&](const auto& p) { return p.first == statement; });
  if (it == counts_.end()) it = counts_.insert(counts_.end(), {statement, 0});
  return policy.Decide(statement, ++it->second);
}

}  // namespace dlp
