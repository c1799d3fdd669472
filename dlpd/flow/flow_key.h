// One direction of a TCP connection: the flow table's key.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <functional>

#include "dlpd/decode/packet.h"

namespace dlp {

struct FlowKey {
  std::array<uint8_t, 16> src{}, dst{};
  uint16_t src_port = 0, dst_port = 0;
  uint8_t ip_version = 0;

  static FlowKey Of(const PacketView& v) {
    FlowKey k;
    k.src = v.src;
    k.dst = v.dst;
    k.src_port = v.src_port;
    k.dst_port = v.dst_port;
    k.ip_version = v.ip_version;
    return k;
  }
  bool operator==(const FlowKey& o) const {
    return src == o.src && dst == o.dst && src_port == o.src_port && dst_port == o.dst_port &&
           ip_version == o.ip_version;
  }
};

struct FlowKeyHash {
  size_t operator()(const FlowKey& k) const {
    // FNV-1a: flows are chosen by remote peers, but the table is bounded and
    // evicts, so a skewed bucket costs time, never memory.
    uint64_t h = 1469598103934665603ULL;
    auto mix = [&](const uint8_t* p, size_t n) {
      for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 1099511628211ULL;
    };
    mix(k.src.data(), 16);
    mix(k.dst.data(), 16);
    uint8_t rest[5] = {static_cast<uint8_t>(k.src_port >> 8), static_cast<uint8_t>(k.src_port),
                       static_cast<uint8_t>(k.dst_port >> 8), static_cast<uint8_t>(k.dst_port),
                       k.ip_version};
    mix(rest, 5);
    return static_cast<size_t>(h);
  }
};

}  // namespace dlp
