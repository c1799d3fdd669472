// Segments of one flow direction that arrived beyond a gap (loss,
// reordering), kept until the stream reaches them. The receiver cannot use
// them before the gap fills either, so they wait rather than go: scanned on
// their own, a value cut at the gap's edge would pass in two halves. The
// caller decides what happens when one does not fit and when a gap is given
// up (SkipGap); this class only keeps, orders and rebases.
//
// Thread-safety: none; owned by the flow, used by the flow's worker.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "dlpd/flow/hold_budget.h"
#include "dlpd/flow/segment.h"

namespace dlp {

class ReorderBuffer {
 public:
  // Segments kept per flow direction while a gap is open.
  static constexpr size_t kMaxSegments = 1024;

  enum class Put {
    kBuffered,   // kept; the first one opened a gap (see opened_gap)
    kDuplicate,  // a copy of a segment already waiting: the first copy goes
    kNoRoom,     // this flow's limit or the worker's budget is reached
  };
  // Keeps `s` (copied) unless it repeats a waiting segment or there is no
  // room. `*opened_gap` is set when the buffer was empty: the caller starts
  // the gap's timer.
  Put Add(const SegmentRef& s, HoldBudget& budget, bool* opened_gap);

  bool empty() const { return segments_.empty(); }
  // Stream offset of the first waiting segment (REQUIRES: !empty()).
  uint64_t first_offset() const { return segments_.begin()->first; }
  // The first waiting segment if the stream has reached it (it starts at or
  // before `next_off`), taken out of the buffer.
  std::optional<HeldSegment> PopReady(uint64_t next_off, HoldBudget& budget);

  // The bytes the stream will take from the waiting segments around
  // [from, to): the widest range [lo, hi) with from - margin <= lo <= from
  // and to <= hi <= to + margin that they cover without a hole (where they
  // overlap, the segment at the lower offset, as the stream takes them).
  // Empty when [from, to) itself is not covered.
  struct Island {
    uint64_t lo = 0;
    std::vector<uint8_t> bytes;
  };
  Island BytesAround(uint64_t from, uint64_t to, uint64_t margin) const;

  // Where the waiting bytes before stream offset `before` first hold
  // `needle` (also across segments that meet), or UINT64_MAX. Reads them
  // all: O(waiting bytes).
  uint64_t FindBefore(uint64_t before, std::string_view needle) const;
  size_t size() const { return segments_.size(); }
  // Calls fn(HeldSegment&) on each waiting segment, in stream order.
  template <typename Fn>
  void ForEach(Fn&& fn) {
    for (auto& [off, h] : segments_) fn(h);
  }
  // Pieces of waiting segments that were not sent ahead when they came
  // (PacketPipeline::SackProbe), to send later; Take returns whether any
  // were, and forgets it.
  void DeferProbes() { probes_deferred_ = true; }
  bool TakeDeferredProbes() { return std::exchange(probes_deferred_, false); }

  // Rewrites the bytes of [off, off + len) that waiting segments already
  // hold to theirs (the first copy to arrive wins, as it does for bytes
  // the stream has passed). Pieces of waiting segments may have gone
  // ahead (PacketPipeline::SackProbe) and the receiver keeps those: the
  // stream must take the same bytes there, and around them, that they
  // were judged with. Returns how many bytes changed.
  size_t Normalize(uint64_t off, uint8_t* payload, size_t len) const;

  // The gap before the first segment is given up: offsets are rebased so
  // that the first segment is at 0. Returns the old offset of that first
  // segment (REQUIRES: !empty()).
  uint64_t RebaseToFirst();

  // When the open gap is given up, and when it opened.
  int64_t deadline() const { return deadline_; }
  void set_deadline(int64_t us) { deadline_ = us; }
  int64_t opened() const { return opened_; }
  // A gap opens at `now_us` (the first segment beyond it is kept, or the
  // gap before it filled and another remains), to be given up at `deadline_us`.
  void Opened(int64_t now_us, int64_t deadline_us) {
    opened_ = now_us;
    deadline_ = deadline_us;
  }

 private:
  std::map<uint64_t, HeldSegment> segments_;  // by stream offset
  int64_t deadline_ = 0;
  int64_t opened_ = 0;
  bool probes_deferred_ = false;
};

}  // namespace dlp
