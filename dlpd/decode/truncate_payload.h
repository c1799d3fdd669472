// Shortening a TCP segment in place. The gateway withholds the tail of a
// segment that may be the first bytes of a value it cannot judge yet (see
// PacketPipeline): the segment leaves as if the sender had sent fewer bytes,
// the receiver acknowledges only what it got, and the sender sends the rest
// again, by then with what follows it. Sequence numbers stay valid because
// nothing after the cut is replaced, only not delivered yet.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "dlpd/decode/packet.h"

namespace dlp {

// Keeps the first `keep` payload bytes of the decoded segment `*view` in
// `packet` (keep < view->payload_len): rewrites the IPv4 total length and
// header checksum, or the IPv6 payload length, clears FIN, then fixes the
// TCP checksum, and updates `*view`. Returns the packet's new length.
size_t TruncateTcpPayload(uint8_t* packet, PacketView* view, size_t keep);

// A copy of the decoded segment `view` in `packet` that carries only the
// payload bytes [at, at + len) (at + len <= view.payload_len), at their own
// sequence number: lengths and checksums set, FIN and PSH cleared (the
// slice ends nothing). Options are kept, so the receiver's checks (PAWS)
// take it as they would the whole segment.
std::vector<uint8_t> SliceTcpSegment(const uint8_t* packet, const PacketView& view, size_t at,
                                     size_t len);

}  // namespace dlp
