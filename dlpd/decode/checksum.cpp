#include "dlpd/decode/checksum.h"

#include <cstring>

namespace dlp {
namespace {

// RFC 1071: the ones' complement sum does not depend on byte order, so the
// bytes are added as the machine loads them, four at a time into a 64-bit
// sum that keeps the carries, and the folded sum is read back in network
// order once (OneComplement). Every range starts at an even offset of the
// segment, so the 16-bit words line up; only the last may be odd.
uint64_t Add(const uint8_t* p, size_t n, uint64_t sum) {
  for (; n >= 4; p += 4, n -= 4) {
    uint32_t w;
    std::memcpy(&w, p, 4);
    sum += w;
  }
  uint8_t last[4] = {};
  std::memcpy(last, p, n);  // 0-3 bytes, zero-padded as RFC 793 pads
  uint32_t w;
  std::memcpy(&w, last, 4);
  return sum + w;
}

uint16_t OneComplement(uint64_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  const auto folded = static_cast<uint16_t>(sum);
  uint8_t b[2];
  std::memcpy(b, &folded, 2);  // the sum's bytes, as in the packet
  return static_cast<uint16_t>(~(b[0] << 8 | b[1]) & 0xffff);
}

}  // namespace

uint16_t ComputeTcpChecksum(const uint8_t* packet, const PacketView& v) {
  const size_t tcp_len = v.ip_len - v.tcp_offset;
  const uint8_t* t = packet + v.tcp_offset;
  const size_t alen = v.ip_version == 6 ? 16 : 4;
  // The pseudo-header: addresses, then protocol and TCP length as 16-bit
  // words (IPv6's 32-bit length and next header sum the same below 64 KiB).
  const uint8_t proto_len[4] = {0, 6, static_cast<uint8_t>(tcp_len >> 8),
                                static_cast<uint8_t>(tcp_len & 0xff)};
  uint64_t sum = Add(v.src.data(), alen, 0);
  sum = Add(v.dst.data(), alen, sum);
  sum = Add(proto_len, 4, sum);
  sum = Add(t, 16, sum);  // header up to the checksum field
  sum = Add(t + 18, tcp_len - 18, sum);
  return OneComplement(sum);
}

void UpdateTcpChecksum(uint8_t* packet, const PacketView& v) {
  uint16_t c = ComputeTcpChecksum(packet, v);
  packet[v.tcp_offset + 16] = static_cast<uint8_t>(c >> 8);
  packet[v.tcp_offset + 17] = static_cast<uint8_t>(c & 0xff);
}

bool TcpChecksumValid(const uint8_t* packet, const PacketView& v) {
  const uint8_t* c = packet + v.tcp_offset + 16;
  return ComputeTcpChecksum(packet, v) == static_cast<uint16_t>(c[0] << 8 | c[1]);
}

}  // namespace dlp
