// One anomaly as the packet path reports it (pipeline/anomaly_kinds.h):
// what happened, to which flow, when. Not stored in the database, which is
// the record of incidents (values found, what was done with them) and is
// kept and pruned for the security team; anomalies are operational events
// about the traffic and about dlpd's own limits, rate-limited, and belong
// in the EVE log beside the incidents, where a flow id joins the two.
// Holds no payload byte.
#pragma once

#include <cstdint>
#include <string>

namespace dlp {

struct AnomalyEvent {
  int64_t time_us = 0;  // UTC, microseconds since the epoch
  std::string kind;     // a name of DLP_ANOMALY_KINDS, e.g. "bad_checksums"
  uint8_t ip_version = 4;
  std::string src_ip, dst_ip;
  uint16_t src_port = 0, dst_port = 0;
  std::string flow_id;      // as incidents show it; empty when the tuple has no flow
  uint64_t suppressed = 0;  // events of this kind not reported since the last line
};

}  // namespace dlp
