// TCP checksum over the IPv4 or IPv6 pseudo-header. After a payload is
// masked the checksum is recomputed over the whole segment rather than
// patched incrementally: the kernel may hand over packets whose checksum
// was never filled in (offloaded to the NIC), and a patch would carry that
// garbage forward.
#pragma once

#include <cstdint>

#include "dlpd/decode/packet.h"

namespace dlp {

// Computes the checksum `view`'s TCP segment should carry.
uint16_t ComputeTcpChecksum(const uint8_t* packet, const PacketView& view);
// Writes it into the TCP header.
void UpdateTcpChecksum(uint8_t* packet, const PacketView& view);
// True if the TCP checksum in the packet is right.
bool TcpChecksumValid(const uint8_t* packet, const PacketView& view);

}  // namespace dlp
