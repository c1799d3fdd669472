// The segments of one flow direction held back because their payload ends
// in bytes that may begin a value not yet confirmed, and what the hold
// knows about where the stream's bytes stand:
//   released()        stream bytes before it have left the gateway;
//   the open run      the bytes at the stream's end that may still begin a
//                     value the rules would confirm, if there are any;
//   the withheld tail bytes cut from segments at a hold's end and not
//                     delivered yet, which the sender will send again.
// It answers where a hold may be released (FinalBefore), where its tail is
// cut when it cannot wait any longer (CutPoint), and how a segment is cut
// there (Cut); the pipeline emits. Nothing here reads the bytes' meaning:
// the caller says where the open run starts.
//
// Thread-safety: none; owned by the flow, used by the flow's worker.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>

#include "dlpd/flow/decision.h"
#include "dlpd/flow/hold_budget.h"
#include "dlpd/flow/segment.h"

namespace dlp {

class HoldQueue {
 public:
  bool empty() const { return held_.empty(); }
  const HeldSegment& front() const { return held_.front(); }

  // Keeps a segment (copied, or `owned` bytes adopted) at the back.
  void Hold(HeldSegment h, HoldBudget& budget) {
    budget.Take(h.len);
    held_.push_back(std::move(h));
  }
  // REQUIRES: !empty().
  HeldSegment TakeFront(HoldBudget& budget);
  // The front segment's bytes all come before `final_before`: it may go.
  bool FrontEndsBy(uint64_t final_before) const {
    return !held_.empty() && held_.front().end() <= final_before;
  }

  // When the held segments go if nothing new comes: each in-order segment
  // that extends a possible value moves it on, so a value dripped in
  // slowly, byte by byte, is still held whole.
  int64_t deadline() const { return deadline_; }
  // The hold goes on at least until `us`: a hold that starts now ends then;
  // one under way never ends sooner than it was to (a held copy's end).
  void ExtendTo(int64_t us) { deadline_ = held_.empty() || us > deadline_ ? us : deadline_; }

  // The stream has taken bytes up to some end: from `start` on, they may
  // begin a value that bytes to come would complete (the rules' judgement,
  // rules/value_prefix.h). NoteNoOpenRun: none of them can.
  void NoteOpenRun(uint64_t start) {
    run_start_ = start;
    run_has_alnum_ = true;
  }
  void NoteNoOpenRun() { run_has_alnum_ = false; }
  // Bytes before this cannot belong to a value still to be confirmed: those
  // before the open run (when there is one), or further back than the
  // widest match.
  uint64_t FinalBefore(uint64_t end, uint64_t max_width) const;
  // Where held bytes are cut when the hold cannot wait (timeout, no room, a
  // gap given up): what may still begin a value is the open run (when
  // there is one), no further back than the widest match, and never before
  // what has been released. The caller moves the cut past the values it has
  // judged in that run.
  uint64_t CutPoint(uint64_t next_off, uint64_t max_width) const;

  uint64_t released() const { return released_; }
  void MarkReleased(uint64_t up_to) {
    if (up_to > released_) released_ = up_to;
  }

  // A segment [off, end) goes while the bytes from `cut` on must not: it is
  // cut there, or dropped when all of it is at or after the cut. REQUIRES:
  // end > cut. Records the withheld tail: its bytes are not delivered, the
  // receiver does not acknowledge them, and the sender sends them again,
  // usually with what follows them. `full_segment`: the segment was a full
  // one by the sender's segment size, so the sender had more to send.
  Decision Withhold(uint64_t off, uint64_t end, uint64_t cut, bool full_segment);

  // The part of [off, off+len) that was withheld and not delivered since
  // (empty when from >= to).
  struct Range {
    uint64_t from, to;
  };
  Range WithheldPart(uint64_t off, size_t len) const;
  // The open run still reaches back to `off`: no byte the stream has taken
  // since ended it, so what it began may still become a value.
  bool RunOpenAt(uint64_t off) const { return run_has_alnum_ && run_start_ <= off; }
  // A held copy of the withheld tail reached its hold's end: how many
  // times that has happened for the same tail, this one included.
  uint32_t NoteCopyTimeout() { return ++copy_timeouts_; }
  // The withheld tail was cut from a full segment (see Withhold): what
  // followed it was most likely sent, and lost before the gateway.
  bool WithheldFromFullSegment() const { return withheld_full_; }
  // A copy of the withheld tail is among the held segments.
  bool HoldsWithheldCopy() const {
    for (const HeldSegment& h : held_) {
      if (h.withheld_copy) return true;
    }
    return false;
  }
  // Where the receiver's bytes in order end once the held segments go: the
  // start of a withheld tail no copy has delivered since, else `next_off`.
  uint64_t DeliveredBy(uint64_t next_off) const {
    return withheld_open_ ? withheld_from_ : next_off;
  }
  // Where they end now, with the held segments not sent: what has left, or
  // the start of a withheld tail.
  uint64_t ReceiverNext() const { return withheld_open_ ? withheld_from_ : released_; }
  // A segment [off, end) left: a withheld tail it covers is delivered.
  void NoteDelivered(uint64_t off, uint64_t end) {
    if (withheld_open_ && off <= withheld_from_ && end >= withheld_to_) withheld_open_ = false;
  }
  // A copy of the withheld tail went out masked.
  void MarkWithheldMasked() { withheld_masked_ = true; }
  // `start` lies in a withheld tail whose copy went out masked: a value
  // that begins there did not leave in clear.
  bool LeftMasked(uint64_t start) const {
    return withheld_masked_ && start >= withheld_from_ && start < withheld_to_;
  }

  // The stream restarts at offset 0 (a gap given up): positions are reset.
  // REQUIRES: empty().
  void Restart();

 private:
  std::deque<HeldSegment> held_;
  int64_t deadline_ = 0;
  uint64_t run_start_ = 0;
  uint64_t released_ = 0;
  uint64_t withheld_from_ = 0;
  uint64_t withheld_to_ = 0;
  uint32_t copy_timeouts_ = 0;  // for the current withheld tail
  bool run_has_alnum_ = false;
  bool withheld_masked_ = false;
  bool withheld_full_ = false;
  bool withheld_open_ = false;  // withheld bytes no copy has delivered yet
};

}  // namespace dlp
