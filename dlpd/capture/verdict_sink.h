// Where a pipeline's decisions go. A packet may be decided at once or held
// and decided later (stream inspection), so decisions are pushed, not
// returned. Per flow, packets are emitted in the order they arrived.
#pragma once

#include <cstddef>
#include <cstdint>

namespace dlp {

enum class Verdict { kAccept, kDrop };

class VerdictSink {
 public:
  virtual ~VerdictSink() = default;
  // `handle` is what the back end passed to Process (NFQUEUE packet id, ...).
  // `data` holds the packet as it must leave: masked and re-checksummed when
  // `modified`. It is valid only during the call, and readable for `len`
  // rounded up to a multiple of 4 bytes.
  virtual void Emit(uint64_t handle, Verdict verdict, const uint8_t* data, size_t len,
                    bool modified) = 0;
  // Sends a packet the gateway makes itself (a TCP reset for `block`), a
  // complete IPv4/IPv6 packet, toward its destination. False if the back
  // end cannot (the caller counts it).
  virtual bool Inject(const uint8_t* packet, size_t len) {
    (void)packet;
    (void)len;
    return false;
  }
};

}  // namespace dlp
