// One direction of a TCP connection: the flow table's key.
#pragma once

#include <array>
#include <cstdint>

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

// Keyed SipHash-2-4 of the tuple (libsodium's crypto_shorthash), with a key
// drawn for each hasher. The peers choose the tuples: with an unkeyed hash
// (FNV-1a before) an insider could put every flow in one bucket, and make
// each packet's lookup walk all of them until dlpd fell behind its queue
// (and, fail open, let traffic by uninspected).
class FlowKeyHash {
 public:
  FlowKeyHash();  // a random key
  size_t operator()(const FlowKey& k) const;

 private:
  std::array<uint8_t, 16> key_{};
};

}  // namespace dlp
