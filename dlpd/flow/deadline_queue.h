// Flows waiting for a timer (a hold's end, a gap's end), by deadline. Every
// flow's timeout of one kind is the same length, so deadlines arrive in the
// order they were set and a FIFO is enough. An entry is only a reminder:
// the flow may have released, moved its deadline or gone since, and the
// caller checks the flow's own deadline when the entry comes up.
//
// Thread-safety: none; one per worker.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <utility>

#include "dlpd/flow/flow_key.h"

namespace dlp {

class DeadlineQueue {
 public:
  void Add(int64_t deadline_us, const FlowKey& key) { q_.emplace_back(deadline_us, key); }
  // The next flow whose reminder is due at `now_us`, oldest first.
  std::optional<FlowKey> PopDue(int64_t now_us) {
    if (q_.empty() || q_.front().first > now_us) return std::nullopt;
    const FlowKey key = q_.front().second;
    q_.pop_front();
    return key;
  }
  // The earliest reminder (INT64_MAX when none): it may be stale, which
  // costs one early wake-up.
  int64_t next() const { return q_.empty() ? INT64_MAX : q_.front().first; }

 private:
  std::deque<std::pair<int64_t, FlowKey>> q_;
};

}  // namespace dlp
