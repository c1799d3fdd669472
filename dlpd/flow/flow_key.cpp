#include "dlpd/flow/flow_key.h"

#include <sodium.h>

#include <random>
#include <stdexcept>

namespace dlp {

FlowKeyHash::FlowKeyHash() {
  // Once per process, thread-safe; libsodium asks for it before any use.
  if (sodium_init() < 0) throw std::runtime_error("libsodium cannot be initialized");
  std::random_device rd;
  for (size_t i = 0; i < key_.size(); i += 4) {
    const uint32_t r = rd();
    for (size_t b = 0; b < 4; ++b) key_[i + b] = static_cast<uint8_t>(r >> (8 * b));
  }
}

size_t FlowKeyHash::operator()(const FlowKey& k) const {
  static_assert(crypto_shorthash_KEYBYTES == 16 && crypto_shorthash_BYTES == 8);
  uint8_t in[37];
  std::copy(k.src.begin(), k.src.end(), in);
  std::copy(k.dst.begin(), k.dst.end(), in + 16);
  in[32] = static_cast<uint8_t>(k.src_port >> 8);
  in[33] = static_cast<uint8_t>(k.src_port);
  in[34] = static_cast<uint8_t>(k.dst_port >> 8);
  in[35] = static_cast<uint8_t>(k.dst_port);
  in[36] = k.ip_version;
  uint8_t out[8];
  crypto_shorthash(out, in, sizeof in, key_.data());
  uint64_t h = 0;
  for (int i = 7; i >= 0; --i) h = h << 8 | out[i];
  return static_cast<size_t>(h);
}

}  // namespace dlp
