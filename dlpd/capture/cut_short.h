// True when the IP header of a packet the kernel has already accepted
// promises more bytes than the `len` handed over: the capture was cut short.
// NFQUEUE copies at most 65531 bytes, and a coalesced (GSO/GRO) packet may be
// a few bytes longer than that, or with BIG TCP far longer, its length field
// then 0. Only meaningful for a packet the kernel's IP layer has checked:
// from a file or the wire the same bytes are simply malformed (the decoder
// says so).
#pragma once

#include <cstddef>
#include <cstdint>

namespace dlp {

bool CaptureCutShort(const uint8_t* data, size_t len);

}  // namespace dlp
