#include "dlpd/flow/stream_window.h"

#include <algorithm>
#include <cstring>

namespace dlp {

void StreamWindow::Append(uint64_t off, const uint8_t* data, size_t len, const DigestKey& key) {
  if (len == 0) return;
  if (limit_ == 0) {  // no bytes kept: every segment goes to the digest
    if (off + len > digest_.end()) {
      const uint64_t from = std::max(off, digest_.end());
      Record(off, from, data + (from - off), static_cast<size_t>(off + len - from), key);
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
    // window held, then the packet's pieces before those it keeps, go to
    // the digest. It keeps from the start of the sender's segment that
    // the last `limit` bytes begin in (a piece is never cut: a copy is
    // checked over whole records, as the sender sends them); without a
    // segment size, from exactly `limit` bytes back.
    if (!bytes_.empty()) Trim(bytes_.size(), key);
    const uint64_t fresh = off + from;
    uint64_t first_kept = off + len - limit_;
    if (segment_size_ != 0) {
      first_kept = std::max(fresh, first_kept - (first_kept - off) % segment_size_);
    }
    Record(off, fresh, data + from, static_cast<size_t>(first_kept - fresh), key);
    base_ = first_kept;
    bytes_.assign(data + (first_kept - off), data + len);
    starts_.clear();
    AddPieceStarts(off, first_kept, off + len);
    return;
  }
  if (bytes_.size() + add > limit_ + limit_ / 2) {
    // Trim before appending: what is moved down is then only what stays.
    Trim(bytes_.size() + add - limit_, key);
  }
  const uint64_t fresh = end();
  bytes_.insert(bytes_.end(), data + from, data + len);
  AddPieceStarts(off, fresh, end());
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

void StreamWindow::Trim(size_t drop, const DigestKey& key) {
  // One digest record per piece (a segment as it first left, or a part of
  // one a split marks), always whole and only once it is `limit` bytes
  // back: a copy is checked over whole records, and a sender resends whole
  // segments, so a record cut where a trim happened to fall could never be
  // covered by a copy from the sender's own boundaries. The piece the trim
  // falls inside stays, and the window with it.
  const uint64_t stop = base_ + drop;
  size_t n = 0;
  for (; n < starts_.size(); ++n) {
    const uint64_t piece_end = n + 1 < starts_.size() ? starts_[n + 1] : end();
    if (piece_end > stop) break;
    Record(starts_[n], starts_[n], bytes_.data() + (starts_[n] - base_),
           static_cast<size_t>(piece_end - starts_[n]), key);
  }
  if (n == 0) return;
  const uint64_t new_base = n < starts_.size() ? starts_[n] : end();
  starts_.erase(starts_.begin(), starts_.begin() + static_cast<std::ptrdiff_t>(n));
  bytes_.erase(bytes_.begin(), bytes_.begin() + static_cast<std::ptrdiff_t>(new_base - base_));
  base_ = new_base;
}

void StreamWindow::Record(uint64_t seg_off, uint64_t off, const uint8_t* data, size_t len,
                          const DigestKey& key) {
  // In the sender's segments: a coalesced packet is cut where the sender's
  // own segments in it begin (counted from `seg_off`, its start).
  const uint64_t stop = off + len;
  for (uint64_t at = off; at < stop;) {
    const uint64_t next = std::min(stop, NextPieceStart(seg_off, at + 1));
    digest_.Add(at, data + (at - off), static_cast<size_t>(next - at), key);
    at = next;
  }
}

void StreamWindow::SplitAt(uint64_t off) {
  if (off <= base_ || off >= end()) return;
  auto it = std::lower_bound(starts_.begin(), starts_.end(), off);
  if (it == starts_.end() || *it != off) starts_.insert(it, off);
}

void StreamWindow::SplitEach(uint64_t from, uint64_t to, uint64_t data_off, const uint8_t* data,
                             size_t len, const DigestKey& key) {
  if (to <= from) return;
  if (to - from > kMaxSplitBytes) to = from + 1;  // only `from`
  const uint64_t kept_from = bytes_.empty() ? digest_.end() : base_;
  if (from < kept_from) {
    digest_.SplitEach(from, std::min(to, kept_from), data_off, data, len, key);
  }
  from = std::max(from, base_ + 1);
  to = std::min(to, end());
  if (bytes_.empty() || from >= to) return;
  // starts_ is sorted: the new offsets go in one block where `from` would,
  // merged with the few already there.
  auto lo = std::lower_bound(starts_.begin(), starts_.end(), from);
  auto hi = std::lower_bound(lo, starts_.end(), to);
  std::vector<uint64_t> all;
  all.reserve(static_cast<size_t>(to - from));
  for (uint64_t at = from; at < to; ++at) all.push_back(at);
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
  bytes_.clear();
  bytes_.shrink_to_fit();
  starts_.clear();
  starts_.shrink_to_fit();
  digest_.Clear();
}

}  // namespace dlp
