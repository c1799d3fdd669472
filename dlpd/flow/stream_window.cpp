#include "dlpd/flow/stream_window.h"

#include <algorithm>
#include <cstring>

namespace dlp {

void StreamWindow::Append(uint64_t off, const uint8_t* data, size_t len) {
  if (limit_ == 0 || len == 0) return;
  if (bytes_.empty() || off > end()) {
    bytes_.clear();
    base_ = off;
  }
  if (off + len <= end()) return;
  const size_t from = static_cast<size_t>(end() - off);  // off <= end() here
  const size_t add = len - from;
  if (add >= limit_) {
    // A coalesced packet can fill the window alone: keep its last bytes,
    // instead of appending all of it and then moving it down.
    base_ = off + len - limit_;
    bytes_.assign(data + len - limit_, data + len);
    return;
  }
  if (bytes_.size() + add > limit_ + limit_ / 2) {
    // Trim before appending: what is moved down is then only what stays.
    const size_t drop = bytes_.size() + add - limit_;
    bytes_.erase(bytes_.begin(), bytes_.begin() + static_cast<std::ptrdiff_t>(drop));
    base_ += drop;
  }
  bytes_.insert(bytes_.end(), data + from, data + len);
}

StreamWindow::NormalizeResult StreamWindow::Normalize(uint64_t off, uint8_t* data,
                                                      size_t len) const {
  NormalizeResult r;
  if (bytes_.empty()) {
    r.unchecked = len > 0;
    return r;
  }
  const uint64_t stop = std::min<uint64_t>(off + len, end());
  if (off >= stop) return r;
  if (off < base_) r.unchecked = true;
  const uint64_t from = std::max(off, base_);
  if (from >= stop) return r;
  uint8_t* dst = data + (from - off);
  const uint8_t* src = bytes_.data() + (from - base_);
  const size_t n = static_cast<size_t>(stop - from);
  for (size_t i = 0; i < n; ++i) {
    if (dst[i] != src[i]) {
      ++r.rewritten;
      dst[i] = src[i];
    }
  }
  return r;
}

void StreamWindow::StoreForwarded(uint64_t off, const uint8_t* data, size_t len) {
  const uint64_t from = std::max(off, base_);
  const uint64_t stop = std::min<uint64_t>(off + len, end());
  if (from >= stop) return;
  std::memcpy(bytes_.data() + (from - base_), data + (from - off),
              static_cast<size_t>(stop - from));
}

void StreamWindow::Clear() {
  bytes_.clear();
  bytes_.shrink_to_fit();
}

}  // namespace dlp
