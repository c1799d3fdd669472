#include "dlpd/flow/hold_queue.h"

#include <algorithm>

namespace dlp {

HeldSegment HoldQueue::TakeFront(HoldBudget& budget) {
  HeldSegment h = std::move(held_.front());
  held_.pop_front();
  budget.Give(h.len);
  return h;
}

uint64_t HoldQueue::FinalBefore(uint64_t end, uint64_t max_width) const {
  const uint64_t run_start = run_has_alnum_ ? run_start_ : end;
  return std::max(run_start, end > max_width ? end - max_width : 0);
}

uint64_t HoldQueue::CutPoint(uint64_t next_off, uint64_t max_width) const {
  const uint64_t cut = run_has_alnum_ ? run_start_ : next_off;
  return std::max({cut, released_, next_off > max_width ? next_off - max_width : 0});
}

Decision HoldQueue::Withhold(uint64_t off, uint64_t end, uint64_t cut, bool full_segment) {
  MarkReleased(cut);
  if (withheld_to_ <= cut) {
    withheld_from_ = cut;
    withheld_masked_ = false;
    withheld_full_ = false;
    copy_timeouts_ = 0;
  }
  withheld_full_ |= full_segment;
  withheld_to_ = std::max(withheld_to_, end);
  withheld_open_ = true;
  if (off >= cut) return Decision::Drop();
  return Decision::CutAt(static_cast<size_t>(cut - off));
}

HoldQueue::Range HoldQueue::WithheldPart(uint64_t off, size_t len) const {
  return Range{std::max(off, withheld_from_), std::min(off + len, withheld_to_)};
}

void HoldQueue::Restart() {
  run_start_ = 0;
  run_has_alnum_ = false;
  released_ = 0;
  withheld_from_ = withheld_to_ = 0;
  withheld_masked_ = false;
  withheld_full_ = false;
  withheld_open_ = false;
  copy_timeouts_ = 0;
}

}  // namespace dlp
