// Thresholds count values per flow: a statement with `thresholds` decides
// by how many values it has matched in this flow so far (the n-th card may
// be alerted, the n+1-th blocked). This is the one place that counts them,
// for the daemon's flows and for `dlpctl scan --policy` (one input = one
// flow). Counts restart when the policy is reloaded (a new generation).
//
// Thread-safety: none; one per flow, used by the flow's worker.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "policy/policy.h"

namespace dlp {

class FlowThresholds {
 public:
  // The action for one more value in scope `s` under `policy`, whose
  // generation is `generation` (any number that changes on reload).
  PolicyAction Decide(const Policy& policy, const FindingScope& s, uint64_t generation = 0);

 private:
  // Values per deciding statement (-1: the default); few per flow.
  std::vector<std::pair<int, uint32_t>> counts_;
  uint64_t generation_ = 0;
};

}  // namespace dlp
