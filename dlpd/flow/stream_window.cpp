#include "dlpd/flow/stream_window.h"

#include <algorithm>
#include <cstring>

namespace dlp {

void StreamWindow::Append(uint64_t off, const uint8_t* data, size_t len, const DigestKey& key) {
  if (len == 0) return;
  if (limit_ == 0) {  // no bytes kept: every segment goes to the digest
    if (off + len > digest_.end()) {
      const uint64_t from = std::max(off, digest_.end());
      Record(from, data + (from - off), static_cast<size_t>(off + len - from), key);
    }
    return;
  }
  if (bytes_.empty() || off > end()) {
    bytes_.clear();
    starts_.clear();
    base_ = off;
  }
  if (off + len <= end()) return;
  const size_t from = static_cast<size_t>(end() - off);  // off <= end() here
  const size_t add = len - from;
  if (add >= limit_) {
    // A coalesced packet can fill the window alone: keep its last bytes,
    // instead of appending all of it and then moving it down. What the
    // window held, then the packet's head, go to the digest.
    if (!bytes_.empty()) Trim(bytes_.size(), key);
    const size_t head = add - limit_;
    Record(off + from, data + from, head, key);
    base_ = off + from + head;
    bytes_.assign(data + len - limit_, data + len);
    starts_.assign(1, base_);
    return;
  }
  if (bytes_.size() + add > limit_ + limit_ / 2) {
    // Trim before appending: what is moved down is then only what stays.
    Trim(bytes_.size() + add - limit_, key);
  }
  starts_.push_back(end());
  bytes_.insert(bytes_.end(), data + from, data + len);
}

void StreamWindow::Trim(size_t drop, const DigestKey& key) {
  // One digest record per segment, or per piece of one a trim cut: a copy
  // is checked over whole records, and a segment sent again covers all the
  // pieces of it.
  const uint64_t stop = base_ + drop;
  size_t n = 0;
  for (; n < starts_.size() && starts_[n] < stop; ++n) {
    const uint64_t piece_end = std::min(stop, n + 1 < starts_.size() ? starts_[n + 1] : end());
    Record(starts_[n], bytes_.data() + (starts_[n] - base_),
           static_cast<size_t>(piece_end - starts_[n]), key);
  }
  const bool cut_inside = n < starts_.size() ? starts_[n] > stop : stop < end();
  starts_.erase(starts_.begin(), starts_.begin() + static_cast<std::ptrdiff_t>(n));
  if (cut_inside) starts_.insert(starts_.begin(), stop);
  bytes_.erase(bytes_.begin(), bytes_.begin() + static_cast<std::ptrdiff_t>(drop));
  base_ = stop;
}

void StreamWindow::Record(uint64_t off, const uint8_t* data, size_t len, const DigestKey& key) {
  const size_t piece = segment_size_ != 0 ? segment_size_ : len;
  for (size_t at = 0; at < len; at += piece) {
    digest_.Add(off + at, data + at, std::min(piece, len - at), key);
  }
}

void StreamWindow::SplitAt(uint64_t off) {
  if (off <= base_ || off >= end()) return;
  auto it = std::lower_bound(starts_.begin(), starts_.end(), off);
  if (it == starts_.end() || *it != off) starts_.insert(it, off);
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
  starts_.clear();
  starts_.shrink_to_fit();
  digest_.Clear();
}

}  // namespace dlp
