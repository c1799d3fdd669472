// The tuples of flows the gateway closed with resets when it had to evict
// them in the middle of a possible value (flow/flow_table.h, kBusy), so
// that later packets on them are dropped rather than taken as a new flow.
//
// Why not rely on the resets alone: the reset to the server is accepted
// only at exactly the sequence number it expects next (RFC 5961), and that
// is where the gateway believes the server stands. A client that sent a
// segment the server never took (a TTL that expires behind the gateway, a
// bad checksum) has put the server behind that belief: the reset gets a
// challenge ACK, the connection lives, and the client's next bytes (the
// rest of the value, sent first on purpose) would start a fresh mid-stream
// flow and be scanned from scratch. Dropped here, they never arrive; an
// honest client got the resets and has gone.
//
// Bounded: kCapacity tuples, the oldest forgotten first, each for at most
// `ttl_us` (the flow idle timeout: how long the pipeline itself takes a
// silent connection to be gone). A later connection that reuses the exact
// tuple within that time is refused too, and the client's connect retries
// time out; a client picks a new port for a new connection, so it is rare.
//
// Thread-safety: none; one per worker.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <unordered_map>
#include <utility>

#include "dlpd/flow/flow_key.h"

namespace dlp {

class ClosedFlows {
 public:
  static constexpr size_t kCapacity = 4096;

  explicit ClosedFlows(int64_t ttl_us) : ttl_us_(ttl_us) {}

  // The flow `key` was closed at `now_us`.
  void Add(const FlowKey& key, int64_t now_us) {
    closed_at_[key] = now_us;
    order_.emplace_back(key, now_us);
    // A tuple closed again is in order_ twice; the stale entry is skipped.
    while (order_.size() > kCapacity) Forget();
  }
  // True if `key` was closed less than ttl ago at `now_us`.
  bool Contains(const FlowKey& key, int64_t now_us) {
    while (!order_.empty() && now_us - order_.front().second > ttl_us_) Forget();
    return closed_at_.count(key) != 0;
  }
  size_t size() const { return closed_at_.size(); }

 private:
  void Forget() {
    auto it = closed_at_.find(order_.front().first);
    if (it != closed_at_.end() && it->second == order_.front().second) closed_at_.erase(it);
    order_.pop_front();
  }

  const int64_t ttl_us_;
  std::unordered_map<FlowKey, int64_t, FlowKeyHash> closed_at_;
  std::deque<std::pair<FlowKey, int64_t>> order_;  // oldest first
};

}  // namespace dlp
