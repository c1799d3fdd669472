// Builds an IPv4/TCP packet (no options) with a correct TCP checksum, for
// unit tests, fuzz targets and benchmarks that feed the pipeline directly.
#pragma once

#include <cstdint>
#include <cstring>
#include <vector>

#include "dlpd/decode/checksum.h"
#include "dlpd/decode/packet.h"

namespace dlp::test {

struct Tcp4Spec {
  uint32_t src = 0x0a000001;  // 10.0.0.1
  uint32_t dst = 0x0a000002;  // 10.0.0.2
  uint16_t sport = 40000;
  uint16_t dport = 80;
  uint32_t seq = 0;
  uint32_t ack = 0;
  uint8_t flags = 0x18;  // PSH|ACK
};

inline std::vector<uint8_t> BuildTcp4(const Tcp4Spec& s, const void* payload, size_t n) {
  std::vector<uint8_t> p(40 + n, 0);
  auto be = [&](size_t at, uint32_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) p[at + i] = static_cast<uint8_t>(v >> (8 * (bytes - 1 - i)));
  };
  p[0] = 0x45;
  be(2, static_cast<uint32_t>(p.size()), 2);
  p[8] = 64;
  p[9] = 6;
  be(12, s.src, 4);
  be(16, s.dst, 4);
  be(20, s.sport, 2);
  be(22, s.dport, 2);
  be(24, s.seq, 4);
  be(28, s.ack, 4);
  p[32] = 0x50;
  p[33] = s.flags;
  if (n != 0) std::memcpy(p.data() + 40, payload, n);
  PacketView v;
  if (DecodePacket(p.data(), p.size(), &v) == DecodeStatus::kOk) UpdateTcpChecksum(p.data(), v);
  return p;
}

}  // namespace dlp::test
