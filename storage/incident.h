// One incident as the packet path records it. Holds no full value: the
// sample is the last-4 display form and the fingerprint a keyed HMAC.
#pragma once

#include <cstdint>
#include <string>

namespace dlp {

struct Incident {
  int64_t time_us = 0;       // first match: UTC, microseconds since the epoch
  int64_t last_time_us = 0;  // last match (0: same as time_us)
  std::string rule_id;
  std::string severity;
  std::string action;  // mask | mask-partial | alert | block | pass
  uint8_t ip_version = 4;
  std::string src_ip, dst_ip;
  uint16_t src_port = 0, dst_port = 0;
  std::string flow_id;
  std::string http_method, http_host, http_path;  // masked; empty when not parsable
  uint32_t match_count = 0;
  std::string masked_sample;
  std::string fingerprint;  // hex HMAC-SHA256 of the value's digits
  std::string ruleset_version;
  // Why the action is not the policy's own decision, when it is not (a
  // value that cannot be masked in place: "compressed body"); empty else.
  std::string reason;
  // The flows this row counts: 1 for a flow's first incident of its rule,
  // 0 for its later ones (folded into that row); an aggregate row (a flood
  // from one source, IncidentWriter) sums those of the flows folded in.
  uint32_t flows = 1;
};

// Folds `later` (same flow and rule) into `into`: counts add up, the time
// span widens, the strongest action stays (ActionRank, storage/action_rank.h),
// the first sample stays.
void MergeIncident(Incident& into, const Incident& later);

}  // namespace dlp
