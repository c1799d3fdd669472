#include "dlpd/flow/reorder_buffer.h"

#include <algorithm>
#include <string>
#include <utility>

namespace dlp {

ReorderBuffer::Put ReorderBuffer::Add(const SegmentRef& s, HoldBudget& budget, bool* opened_gap) {
  *opened_gap = false;
  if (segments_.count(s.off) != 0) return Put::kDuplicate;
  if (segments_.size() >= kMaxSegments || !budget.Fits(s.len)) return Put::kNoRoom;
  *opened_gap = segments_.empty();
  segments_.emplace(s.off, HeldSegment::CopyOf(s));
  budget.Take(s.len);
  return Put::kBuffered;
}

std::optional<HeldSegment> ReorderBuffer::PopReady(uint64_t next_off, HoldBudget& budget) {
  if (segments_.empty() || segments_.begin()->first > next_off) return std::nullopt;
  HeldSegment h = std::move(segments_.begin()->second);
  segments_.erase(segments_.begin());
  budget.Give(h.len);
  return h;
}

ReorderBuffer::Island ReorderBuffer::BytesAround(uint64_t from, uint64_t to,
                                                 uint64_t margin) const {
  Island out;
  const uint64_t want_lo = from > margin ? from - margin : 0;
  const uint64_t want_hi = to + margin;
  // Segments that may reach into [want_lo, want_hi), in offset order; the
  // covered run must grow without a hole.
  uint64_t lo = 0;
  uint64_t hi = 0;
  bool started = false;
  for (const auto& [off, h] : segments_) {
    const uint64_t end = h.end();
    if (end <= want_lo) continue;
    if (off >= want_hi) break;
    if (!started || off > hi) {
      if (started && hi > from) break;  // a hole after [from, ...): the run so far
      // A hole before `from` (or the first segment): the run starts again.
      lo = std::max(off, want_lo);
      hi = lo;
      out.bytes.clear();
      started = true;
    }
    const uint64_t take_to = std::min(end, want_hi);
    if (take_to <= hi) continue;  // wholly a copy of bytes taken
    const uint8_t* p = h.bytes.data() + h.view.payload_offset;
    out.bytes.insert(out.bytes.end(), p + (hi - off), p + (take_to - off));
    hi = take_to;
  }
  if (!started || lo > from || hi < to) return Island{};
  out.lo = lo;
  return out;
}

uint64_t ReorderBuffer::FindBefore(uint64_t before, std::string_view needle) const {
  std::string carry;  // the bytes since the last hole, less what was searched
  uint64_t carry_from = 0;
  uint64_t carry_end = 0;
  for (const auto& [o, h] : segments_) {
    if (o >= before) break;
    const uint64_t end = std::min(h.end(), before);
    if (end <= carry_end) continue;  // wholly a copy of bytes seen
    const auto* p = reinterpret_cast<const char*>(h.bytes.data() + h.view.payload_offset);
    if (o > carry_end) {  // a hole: nothing spans it
      carry.clear();
      carry_from = o;
    }
    const uint64_t from = std::max(o, carry_end);
    carry.append(p + (from - o), p + (end - o));
    carry_end = end;
    const size_t at = carry.find(needle);
    if (at != std::string::npos) return carry_from + at;
    if (carry.size() >= needle.size()) {  // keep what may begin a match
      const size_t drop = carry.size() - (needle.size() - 1);
      carry.erase(0, drop);
      carry_from += drop;
    }
  }
  return UINT64_MAX;
}

size_t ReorderBuffer::Normalize(uint64_t off, uint8_t* payload, size_t len) const {
  const uint64_t end = off + len;
  size_t changed = 0;
  for (const auto& [o, h] : segments_) {
    if (o >= end) break;
    const uint64_t lo = std::max(o, off);
    const uint64_t hi = std::min(h.end(), end);
    if (lo >= hi) continue;
    const uint8_t* p = h.bytes.data() + h.view.payload_offset;
    for (uint64_t i = lo; i < hi; ++i) {
      if (payload[i - off] != p[i - o]) {
        payload[i - off] = p[i - o];
        ++changed;
      }
    }
  }
  return changed;
}

uint64_t ReorderBuffer::RebaseToFirst() {
  const uint64_t resume = segments_.begin()->first;
  std::map<uint64_t, HeldSegment> rebased;
  for (auto& [o, h] : segments_) {
    h.off = o - resume;
    rebased.emplace(h.off, std::move(h));
  }
  segments_ = std::move(rebased);
  return resume;
}

}  // namespace dlp
