// What a capture back end hands its packets to (the pipeline), as the back
// end sees it: capture/ is the first room of the data path and includes
// nothing above it, so the pipeline implements this interface.
//
// Thread-safety: every method is called by the back end's one thread.
#pragma once

#include <cstddef>
#include <cstdint>

#include "dlpd/capture/verdict_sink.h"
#include "dlpd/common/fail_mode.h"

namespace dlp {

// Whether a packet's TCP checksum says what its receiver will make of it.
enum class ChecksumState : uint8_t {
  // As the receiver will get it: a wrong one makes the receiver drop it.
  kComplete,
  // Not filled in yet: the sending host left it for its NIC (NFQUEUE's
  // NFQA_SKB_CSUMNOTREADY, a packet from a local or virtual interface),
  // which fills it in on the way out; right by construction.
  kPending,
};

class PacketHandler {
 public:
  virtual ~PacketHandler() = default;
  // Takes the IP packet [data, data+len) (writable; the handler may mask
  // it in place) and decides it through `sink`, now or later. `now_us` is
  // the back end's clock (Clock::NowMicros).
  virtual void Process(uint64_t handle, uint8_t* data, size_t len, int64_t now_us,
                       VerdictSink& sink, ChecksumState csum) = 0;
  // Time has passed: decides what waited for it.
  virtual void Tick(int64_t now_us, VerdictSink& sink) = 0;
  // The input has ended (end of a capture file): every stream ends here,
  // and everything still waiting is decided as at a stream's end.
  virtual void Flush(VerdictSink& sink) = 0;
  // The capture stops while its flows go on (dlpd stops or restarts):
  // everything still waiting is decided as at a hold's end, so that what
  // may begin a value is withheld, never released, and its sender sends it
  // again to whatever inspects the flow next.
  virtual void Shutdown(VerdictSink& sink) = 0;
  // When Tick is next needed (INT64_MAX: nothing waits).
  virtual int64_t next_deadline() const = 0;
  // Packets decided later (held); 0 lets a back end batch its verdicts.
  virtual size_t held_packets() const = 0;
  virtual FailMode fail_mode() const = 0;
};

}  // namespace dlp
