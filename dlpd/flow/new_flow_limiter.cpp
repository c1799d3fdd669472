#include "dlpd/flow/new_flow_limiter.h"

#include <algorithm>

namespace dlp {

NewFlowLimiter::NewFlowLimiter(uint32_t rate, uint32_t burst)
    : interval_ns_(rate == 0 ? 0 : 1000000000LL / rate),
      tolerance_ns_(rate == 0 ? 0 : (static_cast<int64_t>(std::max(burst, 1U)) - 1) * interval_ns_),
      buckets_(rate == 0 ? 0 : kSets * kWays) {}

bool NewFlowLimiter::Admit(const FlowKey& key, int64_t now_us) {
  if (buckets_.empty()) return true;
  // The source alone: the same address opens flows to any port or server.
  // An IPv6 source is its /64: a host holds a whole /64 (SLAAC, privacy
  // addresses) and could take a new address for each flow; a LAN behind
  // the gateway shares one, as an office behind a NAT shares an address.
  FlowKey source;
  source.src = key.src;
  source.ip_version = key.ip_version;
  if (key.ip_version == 6) std::fill(source.src.begin() + 8, source.src.end(), uint8_t{0});
  Bucket* set = &buckets_[(hash_(source) % kSets) * kWays];
  const int64_t now_ns = now_us * 1000;
  Bucket* b = nullptr;
  for (size_t w = 0; w < kWays && b == nullptr; ++w) {
    if (set[w].ip_version == source.ip_version && set[w].addr == source.src) b = &set[w];
  }
  if (b == nullptr) {
    // A source not seen lately: it takes the bucket with the most tokens
    // (the earliest tat; an unused one has the earliest of all).
    b = std::min_element(set, set + kWays, [](const Bucket& x, const Bucket& y) {
      if ((x.ip_version == 0) != (y.ip_version == 0)) return x.ip_version == 0;
      return x.tat_ns < y.tat_ns;
    });
    b->addr = source.src;
    b->ip_version = source.ip_version;
    b->tat_ns = now_ns;  // a full bucket
  }
  const int64_t tat = std::max(b->tat_ns, now_ns);
  if (tat - now_ns > tolerance_ns_) return false;
  b->tat_ns = tat + interval_ns_;
  return true;
}

}  // namespace dlp
