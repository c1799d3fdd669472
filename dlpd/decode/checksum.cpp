#include "dlpd/decode/checksum.h"

namespace dlp {
namespace {

uint32_t Sum16(const uint8_t* p, size_t n, uint32_t sum) {
  for (; n >= 2; p += 2, n -= 2) sum += static_cast<uint32_t>(p[0] << 8 | p[1]);
  if (n == 1) sum += static_cast<uint32_t>(p[0] << 8);
  return sum;
}

uint16_t Fold(uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum & 0xffff);
}

uint32_t PseudoHeader(const PacketView& v, size_t tcp_len) {
  uint32_t sum = 0;
  const size_t alen = v.ip_version == 6 ? 16 : 4;
  sum = Sum16(v.src.data(), alen, sum);
  sum = Sum16(v.dst.data(), alen, sum);
  sum += 6;  // protocol
  sum += static_cast<uint32_t>(tcp_len & 0xffff) + static_cast<uint32_t>(tcp_len >> 16);
  return sum;
}

}  // namespace

uint16_t ComputeTcpChecksum(const uint8_t* packet, const PacketView& v) {
  const size_t tcp_len = v.ip_len - v.tcp_offset;
  const uint8_t* t = packet + v.tcp_offset;
  uint32_t sum = PseudoHeader(v, tcp_len);
  sum = Sum16(t, 16, sum);  // header up to the checksum field
  sum = Sum16(t + 18, tcp_len - 18, sum);
  return Fold(sum);
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
