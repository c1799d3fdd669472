// Shortening a TCP segment in place. The gateway withholds the tail of a
// segment that may be the first bytes of a value it cannot judge yet (see
// PacketPipeline): the segment leaves as if the sender had sent fewer bytes,
// the receiver acknowledges only what it got, and the sender sends the rest
// again, by then with what follows it. Sequence numbers stay valid because
// nothing after the cut is replaced, only not delivered yet.
#pragma once

#include <cstddef>
#include <cstdint>

#include "dlpd/decode/packet.h"

namespace dlp {

// Keeps the first `keep` payload bytes of the decoded segment `*view` in
// `packet` (keep < view->payload_len): rewrites the IPv4 total length and
// header checksum, or the IPv6 payload length, clears FIN, then fixes the
// TCP checksum, and updates `*view`. Returns the packet's new length.
size_t TruncateTcpPayload(uint8_t* packet, PacketView* view, size_t keep);

}  // namespace dlp
