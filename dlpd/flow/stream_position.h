// Where a flow direction's byte stream stands: which sequence number is
// stream offset 0, and the next offset expected in order. Stream offsets
// are 64-bit, so they do not wrap with the 32-bit sequence numbers.
//
// Thread-safety: none; owned by the flow, used by the flow's worker.
#pragma once

#include <cstdint>
#include <optional>

namespace dlp {

struct StreamPosition {
  uint32_t base_seq = 0;  // sequence number of stream offset 0
  uint64_t next_off = 0;  // next in-order stream offset
  bool started = false;   // base_seq is known (a SYN, or the first data seen)

  // The stream offset of sequence number `seq`, taken relative to next_off
  // (valid while the segment is within 2 GiB of it); nullopt when it lies
  // before the stream's start.
  std::optional<uint64_t> OffsetOf(uint32_t seq) const {
    const uint32_t next_seq = base_seq + static_cast<uint32_t>(next_off);
    const int64_t delta = static_cast<int32_t>(seq - next_seq);
    if (delta < 0 && static_cast<uint64_t>(-delta) > next_off) return std::nullopt;
    return next_off + delta;
  }
  // The sequence number of stream offset `off`.
  uint32_t SeqOf(uint64_t off) const { return base_seq + static_cast<uint32_t>(off); }
};

}  // namespace dlp
