#include "dlpd/pipeline/block_decision.h"

#include <optional>

#include "dlpd/pipeline/flow_state.h"
#include "dlpd/pipeline/tcp_reset.h"

namespace dlp {

BlockedPacket DecideBlocked(Flow& f, const SegmentRef& s, bool in_stream) {
  BlockedPacket b{Decision::Drop(), {}};
  if (f.block.resets_sent) return b;
  if (in_stream && s.off < f.block.from && s.off <= f.hold.released()) {
    // The packet begins before the value, and all before it has gone: its
    // bytes up to the value go, as they would have in a segment of their
    // own. Cut as a withheld tail is: it ends at the value, so it is masked
    // and sent like any packet before the value.
    b.decision = Decision::CutAt(static_cast<size_t>(f.block.from - s.off));
    f.hold.MarkReleased(f.block.from);
  }
  const bool has_ack = (s.view.tcp_flags & TcpFlags::kAck) != 0;
  for (const ResetSpec& r :
       ResetsForFlow(f.slot.key, f.pos.SeqOf(f.hold.released()),
                     has_ack ? std::optional<uint32_t>(s.view.ack) : std::nullopt)) {
    b.resets.push_back(BuildTcpReset(r));
  }
  return b;
}

}  // namespace dlp
