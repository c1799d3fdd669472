// Decodes an IP packet as the capture back ends hand it over (starting at the
// IP header, no link layer): IPv4 or IPv6 with extension headers walked, then
// TCP. Every length is checked against the buffer before it is used; the
// bytes come from the network and may be anything.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

#include "dlpd/common/result.h"

namespace dlp {

enum class DecodeStatus {
  kOk,
  kTruncated,          // shorter than a header says
  kBadVersion,         // not 4 or 6
  kBadHeaderLength,    // IHL < 5, or TCP data offset < 5
  kBadTotalLength,     // IP length field disagrees with the buffer
  kFragment,           // IPv4/IPv6 fragment: no whole TCP header to read
  kNotTcp,             // another transport: nothing to inspect
  kTooManyExtHeaders,  // IPv6 extension header chain longer than we walk
};

const char* ToString(DecodeStatus s);

struct TcpFlags {
  static constexpr uint8_t kFin = 0x01, kSyn = 0x02, kRst = 0x04, kPsh = 0x08, kAck = 0x10,
                           kUrg = 0x20;
};

struct PacketView {
  uint8_t ip_version = 0;
  std::array<uint8_t, 16> src{};  // IPv4 in the first 4 bytes
  std::array<uint8_t, 16> dst{};
  uint16_t src_port = 0;
  uint16_t dst_port = 0;
  uint32_t seq = 0;
  uint32_t ack = 0;  // meaningful when tcp_flags has ACK
  uint8_t tcp_flags = 0;
  size_t ip_len = 0;      // bytes of the packet per its IP header (<= buffer)
  size_t tcp_offset = 0;  // start of the TCP header
  size_t tcp_header_len = 0;
  size_t payload_offset = 0;
  size_t payload_len = 0;
};

// Decodes [data, data+len). On kOk `view` is filled; otherwise it is partly
// filled and must not be used for TCP fields.
DecodeStatus DecodePacket(const uint8_t* data, size_t len, PacketView* view);

// "10.0.0.1" / "fd00::1".
std::string AddressToString(uint8_t ip_version, const std::array<uint8_t, 16>& addr);

}  // namespace dlp
