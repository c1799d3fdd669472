#include "dlpd/flow/reorder_buffer.h"

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
