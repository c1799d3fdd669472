// How many new flows each source address (an IPv6 source: its /64) may
// open: a token bucket per source (`rate` a second, up to `burst` at once), so that one host cannot
// churn the flow table. A host that floods SYNs (70,000 in 1.4 s in issue
// 18) gets `rate` flows a second and the rest of its SYNs are refused; at
// 1000/s it needs more than a minute to cycle a 65,536-flow table. Many
// sources flooding at once are not stopped here (each stays under its own
// limit): the table's eviction order is the defence against them
// (flow/flow_table.h); this keeps a single host from being one.
//
// Bounded memory, whatever the number of sources: a set-associative table
// of kSets x kWays buckets, a source's set chosen by a keyed hash
// (FlowKeyHash: a peer that could predict it would put its victims' address
// in the set it floods, and push their buckets out). A new source takes the
// bucket in its set that has the most tokens: a full bucket says nothing
// (a new one would be full too), so what is forgotten is what matters
// least; a source that opens flows fast keeps its bucket.
//
// Each bucket is kept as a GCRA "theoretical arrival time" (one integer,
// no floating point): a flow at `now` is admitted when tat - now <= (burst
// - 1) x interval, and moves tat on by one interval.
//
// Limits are per worker: NFQUEUE spreads a source's connections over the
// workers by tuple, so with N workers a source gets up to N x rate.
//
// Thread-safety: none; one limiter per worker.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "dlpd/flow/flow_key.h"

namespace dlp {

class NewFlowLimiter {
 public:
  static constexpr size_t kSets = 4096;
  static constexpr size_t kWays = 4;

  // `rate`: new flows a second per source; 0 admits every flow (and keeps
  // no table). `burst`: flows a source may open at once (at least 1).
  NewFlowLimiter(uint32_t rate, uint32_t burst);

  // A new flow from `key`'s source address at `now_us`: true if admitted
  // (it takes a token), false if the source is over its limit.
  bool Admit(const FlowKey& key, int64_t now_us);

 private:
  struct Bucket {
    std::array<uint8_t, 16> addr{};
    int64_t tat_ns = 0;      // theoretical arrival time of the next flow
    uint8_t ip_version = 0;  // 0: unused
  };

  const int64_t interval_ns_;   // one token
  const int64_t tolerance_ns_;  // (burst - 1) tokens
  FlowKeyHash hash_;
  std::vector<Bucket> buckets_;  // kSets * kWays, empty when no limit
};

}  // namespace dlp
