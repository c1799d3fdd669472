#include "dlpd/flow/stream_digest.h"

#include <sodium.h>

#include <algorithm>
#include <cstring>

namespace dlp {
namespace {

uint64_t Hash(const uint8_t* data, size_t len, const DigestKey& key) {
  static_assert(crypto_shorthash_KEYBYTES == 16 && crypto_shorthash_BYTES == 8);
  uint8_t out[crypto_shorthash_BYTES];
  crypto_shorthash(out, data, len, key.data());
  uint64_t h = 0;
  std::memcpy(&h, out, sizeof h);
  return h;
}

}  // namespace

void StreamDigest::Add(uint64_t off, const uint8_t* data, size_t len, const DigestKey& key) {
  if (len == 0) return;
  if (off != end_) {
    records_.clear();
    head_ = 0;
  }
  records_.push_back(Record{off, Hash(data, len, key)});
  end_ = off + len;
}

size_t StreamDigest::CheckedPrefix(uint64_t off, const uint8_t* data, size_t len, uint64_t upto,
                                   const DigestKey& key) const {
  if (len == 0 || off < begin() || off >= end_) return 0;
  // The record that starts at `off`: records are in offset order.
  auto it = std::lower_bound(records_.begin() + static_cast<std::ptrdiff_t>(head_), records_.end(),
                             off, [](const Record& r, uint64_t o) { return r.off < o; });
  if (it == records_.end() || it->off != off) return 0;
  const uint64_t stop = off + len;
  uint64_t checked = off;
  for (; it != records_.end() && it->off < upto; ++it) {
    const uint64_t rec_end = std::next(it) == records_.end() ? end_ : std::next(it)->off;
    if (rec_end > stop) break;  // the copy ends inside a segment
    if (Hash(data + (it->off - off), static_cast<size_t>(rec_end - it->off), key) != it->hash) {
      break;
    }
    checked = rec_end;
  }
  return static_cast<size_t>(checked - off);
}

void StreamDigest::ForgetBefore(uint64_t off) {
  while (head_ + 1 < records_.size() && records_[head_ + 1].off <= off) ++head_;
  if (head_ + 1 == records_.size() && end_ <= off) ++head_;
  if (head_ > records_.size() / 2 && head_ > 64) {  // amortized O(1) per record
    records_.erase(records_.begin(), records_.begin() + static_cast<std::ptrdiff_t>(head_));
    head_ = 0;
  }
}

void StreamDigest::Clear() {
  records_.clear();
  records_.shrink_to_fit();
  head_ = 0;
  end_ = 0;
}

}  // namespace dlp
