// The packets and bytes one worker keeps (held and out-of-order segments of
// all its flows), against the configured caps. The counts live in the
// worker's status counters, so `dlpctl status` reads them from any thread.
//
// Thread-safety: the worker alone changes the counts; any thread may read them.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace dlp {

class HoldBudget {
 public:
  // REQUIRES: `packets` and `bytes` outlive the budget.
  HoldBudget(size_t max_bytes, size_t max_packets, std::atomic<uint64_t>& packets,
             std::atomic<uint64_t>& bytes)
      : max_bytes_(max_bytes), max_packets_(max_packets), packets_(packets), bytes_(bytes) {}

  // Whether one more packet of `len` bytes may be kept (both caps).
  bool Fits(size_t len) const { return bytes() + len <= max_bytes_ && packets() < max_packets_; }
  void Take(size_t len) {
    packets_.fetch_add(1, std::memory_order_relaxed);
    bytes_.fetch_add(len, std::memory_order_relaxed);
  }
  void Give(size_t len) {
    packets_.fetch_sub(1, std::memory_order_relaxed);
    bytes_.fetch_sub(len, std::memory_order_relaxed);
  }
  uint64_t packets() const { return packets_.load(std::memory_order_relaxed); }
  uint64_t bytes() const { return bytes_.load(std::memory_order_relaxed); }

 private:
  const size_t max_bytes_;
  const size_t max_packets_;
  std::atomic<uint64_t>& packets_;
  std::atomic<uint64_t>& bytes_;
};

}  // namespace dlp
