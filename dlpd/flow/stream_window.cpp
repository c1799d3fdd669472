#include "dlpd/flow/stream_window.h"

#include <algorithm>
#include <cstring>

namespace dlp {

bool StreamWindow::Append(uint64_t off, const uint8_t* data, size_t len, const DigestKey& key,
                          uint64_t left_before) {
  if (len == 0) return false;
  if (bytes_.empty() || off > end()) {
    bytes_.clear();
    starts_.clear();
    withheld_.clear();
    base_ = off;
  }
  if (off + len > end()) {
    const size_t from = static_cast<size_t>(end() - off);  // off <= end() here
    const uint64_t fresh = end();
    bytes_.insert(bytes_.end(), data + from, data + len);
    AddPieceStarts(off, fresh, end());
  }
  // Trimmed down to `limit` once it holds half as much again (amortized
  // O(1) per byte), or at once without a window; pieces that have not left
  // stay (a held segment, a coalesced packet larger than the window).
  if (bytes_.size() > limit_ + limit_ / 2) Trim(bytes_.size() - limit_, key, left_before);
  // Bytes that never leave or settle (a run kept open by framing that adds
  // no text, WebSocket pings after a withheld tail) would keep it all: past
  // a packet's worth more, the window is given up, as the pool gives up one
  // over its budget (older copies of this flow are then dropped), so one
  // flow cannot take the other flows' windows.
  if (bytes_.size() > limit_ + limit_ / 2 + std::max<size_t>(limit_, kMaxNotSettled)) {
    Clear();
    return true;
  }
  return false;
}

uint64_t StreamWindow::NextPieceStart(uint64_t seg_off, uint64_t at) const {
  if (at <= seg_off) return at;
  if (segment_size_ == 0) return UINT64_MAX;  // the segment is one piece
  const uint64_t into = (at - seg_off) % segment_size_;
  return into == 0 ? at : at + (segment_size_ - into);
}

void StreamWindow::AddPieceStarts(uint64_t seg_off, uint64_t from, uint64_t to) {
  // The fresh bytes begin a piece; so does each of the sender's segments
  // in a coalesced one (from the segment's start, in its segment size).
  if (from >= to) return;
  starts_.push_back(from);
  if (segment_size_ == 0) return;
  for (uint64_t at = NextPieceStart(seg_off, from + 1); at < to; at += segment_size_) {
    starts_.push_back(at);
  }
}

void StreamWindow::Trim(size_t drop, const DigestKey& key, uint64_t left_before) {
  // One digest record per piece (a segment as it first left, or a part of
  // one a split marks), always whole and only once it has settled: a copy
  // is checked over whole records, and a sender resends whole segments, so
  // a record cut where a trim happened to fall could never be covered by a
  // copy from the sender's own boundaries. The piece the trim falls inside
  // stays, and the window with it.
  uint64_t stop = std::min(base_ + drop, left_before);
  if (!withheld_.empty()) stop = std::min(stop, withheld_.front().from);
  size_t n = 0;
  for (; n < starts_.size(); ++n) {
    const uint64_t piece_end = n + 1 < starts_.size() ? starts_[n + 1] : end();
    if (piece_end > stop) break;
    digest_.Add(starts_[n], bytes_.data() + (starts_[n] - base_),
                static_cast<size_t>(piece_end - starts_[n]), key);
  }
  if (n == 0) return;
  const uint64_t new_base = n < starts_.size() ? starts_[n] : end();
  starts_.erase(starts_.begin(), starts_.begin() + static_cast<std::ptrdiff_t>(n));
  bytes_.erase(bytes_.begin(), bytes_.begin() + static_cast<std::ptrdiff_t>(new_base - base_));
  base_ = new_base;
}

void StreamWindow::SplitAt(uint64_t off) {
  if (off <= base_ || off >= end()) return;
  auto it = std::lower_bound(starts_.begin(), starts_.end(), off);
  if (it == starts_.end() || *it != off) starts_.insert(it, off);
}

void StreamWindow::SplitEach(uint64_t from, uint64_t to) {
  from = std::max(from, base_);
  to = std::min(to, end());
  if (from >= to) return;
  // In order; a tail cut again (its copy withheld again) joins its range.
  auto at = std::lower_bound(withheld_.begin(), withheld_.end(), from,
                             [](const Range& r, uint64_t o) { return r.to < o; });
  if (at != withheld_.end() && at->from <= to) {
    at->from = std::min(at->from, from);
    at->to = std::max(at->to, to);
  } else {
    withheld_.insert(at, Range{from, to});
  }
  const uint64_t split_to = to - from > kMaxSplitBytes ? from + 1 : to;
  // starts_ is sorted: the new offsets go in one block where `from` would,
  // merged with the few already there.
  auto lo = std::lower_bound(starts_.begin(), starts_.end(), from);
  auto hi = std::lower_bound(lo, starts_.end(), split_to);
  std::vector<uint64_t> all;
  all.reserve(static_cast<size_t>(split_to - from));
  for (uint64_t at = from; at < split_to; ++at) all.push_back(at);
  lo = starts_.erase(lo, hi);
  starts_.insert(lo, all.begin(), all.end());
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
  withheld_.clear();
  withheld_.shrink_to_fit();
  bytes_.clear();
  bytes_.shrink_to_fit();
  starts_.clear();
  starts_.shrink_to_fit();
  digest_.Clear();
}

}  // namespace dlp
