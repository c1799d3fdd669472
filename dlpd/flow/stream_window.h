// The first copy of a flow direction's most recent stream bytes: as they
// were scanned, then as they were forwarded (masked) once they have left.
// Later copies of those bytes (retransmissions, overlaps, re-segmented
// segments) are rewritten to them before they are masked, so every copy that
// leaves the gateway carries the bytes that were inspected: a receiver that
// keeps the last copy sees what one that keeps the first copy sees, and a
// value cannot be assembled from pieces of later copies.
//
// Bounded: the last `limit` bytes of the stream are kept, from the start of
// the piece they begin in, and every byte that has not settled yet. The
// buffer may hold up to 1.5x `limit` and a piece between trims, so that
// trimming is amortized O(1) per byte. What is trimmed goes into the digest
// (StreamDigest) piece by piece, whole, and only once it is settled: it has
// left as it will always leave (masked where it was masked), or it was
// withheld and the stream has judged it since (masked as its copies will
// leave). A record never holds bytes as they came where they left
// otherwise: a copy is masked from the values the flow still remembers,
// which it forgets in time, so a record of the bytes as they came would
// let a raw copy of a forgotten value through. With `limit` 0 only the
// bytes not settled yet are kept.
//
// A piece is a segment as the sender sent it (a coalesced packet is cut at
// the segment size), or a part of one where a copy may begin (SplitAt,
// SplitEach): a copy is checked over whole records, so records must begin
// where the sender resends from, never where a trim happened to fall.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "dlpd/flow/stream_digest.h"

namespace dlp {

class StreamWindow {
 public:
  explicit StreamWindow(size_t limit = 0) : limit_(limit) {}

  // [begin(), end()): the stream offsets whose first copy is kept.
  uint64_t begin() const { return base_; }
  uint64_t end() const { return base_ + bytes_.size(); }
  bool empty() const { return bytes_.empty(); }
  // Memory held, for the caller's global budget.
  size_t footprint() const {
    return bytes_.capacity() + starts_.capacity() * sizeof(uint64_t) + digest_.footprint();
  }
  // The segments forwarded before begin() (and possibly past it).
  const StreamDigest& digest() const { return digest_; }

  // Appends the bytes of the segment at stream offset `off`. Bytes already
  // kept are not replaced (first copy wins); a jump past end() restarts the
  // window and the digest. `key` keys the digest (the worker's). Bytes
  // before `left_before` have left the gateway (their forwarded form
  // stored, StoreForwarded): only those may go to the digest. True when
  // the window had to be given up (cleared): more than kMaxNotSettled bytes
  // beyond its bound that never leave or settle.
  static constexpr size_t kMaxNotSettled = 64U << 10;
  bool Append(uint64_t off, const uint8_t* data, size_t len, const DigestKey& key,
              uint64_t left_before);
  // The sender's segment size, when known (from its SYN): longer segments
  // (coalesced before they reached dlpd) are recorded in pieces of that
  // size, the way the sender sends a part of one again.
  // `assumes_timestamps`: the size leaves 12 bytes for the timestamps
  // option the SYN offered, which the peer may decline.
  void set_segment_size(uint32_t bytes, bool assumes_timestamps = false) {
    segment_size_ = bytes;
    assumes_timestamps_ = assumes_timestamps && bytes != 0;
  }
  uint32_t segment_size() const { return segment_size_; }
  // Whether the first data segment is still to show if timestamps are used.
  bool assumes_timestamps() const { return assumes_timestamps_; }
  // It came without them: the peer declined, full segments are 12 bytes
  // longer.
  void NoteTimestamps(bool used) {
    if (assumes_timestamps_ && !used) segment_size_ += 12;
    assumes_timestamps_ = false;
  }
  // A copy may begin at `off` (bytes before it were delivered and those
  // after withheld, so the sender resends from there): the digest records
  // a piece boundary there. Only within [begin(), end()).
  void SplitAt(uint64_t off);
  // [from, to) was withheld (not delivered; the sender will resend it): a
  // copy may begin at any byte of it, in segments of the sender's own size,
  // from wherever its earlier copies happened to end (Linux collapses
  // retransmissions up to its segment size, so after one copy its segments
  // no longer begin where the first copies did). Each byte becomes a piece
  // of its own, so a copy that begins inside can still be checked once the
  // bytes have left the window. At most kMaxSplitBytes of them (a tail is
  // at most the widest match); past that only `from` is split. The bytes
  // are not settled until SettleWithheld. Only within [begin(), end()).
  static constexpr size_t kMaxSplitBytes = 256;
  void SplitEach(uint64_t from, uint64_t to);
  // Withheld bytes that end by `judged_before` (the stream has judged them:
  // no value still open reaches back into them) take the form their copies
  // leave in: `mask(off, bytes, len)` masks them in place as a copy is
  // masked. Then they are settled.
  template <typename Mask>
  void SettleWithheld(uint64_t judged_before, Mask&& mask) {
    size_t n = 0;
    for (; n < withheld_.size() && withheld_[n].to <= judged_before; ++n) {
      const uint64_t from = std::max(withheld_[n].from, base_);
      const uint64_t to = std::min(withheld_[n].to, end());
      if (from < to) mask(from, bytes_.data() + (from - base_), static_cast<size_t>(to - from));
    }
    withheld_.erase(withheld_.begin(), withheld_.begin() + static_cast<std::ptrdiff_t>(n));
  }
  // Forgets digest records that end at or before `off` (no copy that old
  // can reach the receiver: it is behind any receive window).
  void ForgetBefore(uint64_t off) { digest_.ForgetBefore(off); }

  struct NormalizeResult {
    size_t rewritten = 0;    // bytes that differed from the first copy
    bool unchecked = false;  // part of [off, off+len) before end() was not kept, or nothing is
  };
  // Overwrites the part of [off, off+len) that the window keeps with the
  // first copy's bytes. Bytes at or past end() are left alone (they are new).
  // The caller passes only copies of bytes the stream has seen.
  NormalizeResult Normalize(uint64_t off, uint8_t* data, size_t len) const;

  // Replaces the kept part of [off, off+len) with the bytes as they left
  // the gateway (masked), so that later copies are normalized to exactly
  // what was forwarded. Touches no byte outside the window.
  void StoreForwarded(uint64_t off, const uint8_t* data, size_t len);

  // Frees the bytes and the digest; the window restarts at the next Append.
  void Clear();

 private:
  // Moves the pieces that end within the first `drop` bytes, and before
  // `left_before` and any withheld bytes not settled, out of the buffer
  // into the digest, each whole.
  void Trim(size_t drop, const DigestKey& key, uint64_t left_before);
  // The first of the sender's segment starts at or after `at` in a segment
  // that began at `seg_off`; UINT64_MAX past `seg_off` without a segment
  // size (the segment is one piece).
  uint64_t NextPieceStart(uint64_t seg_off, uint64_t at) const;
  // Adds the piece starts in [from, to): `from`, and the sender's segments.
  void AddPieceStarts(uint64_t seg_off, uint64_t from, uint64_t to);

  size_t limit_;
  uint32_t segment_size_ = 0;
  bool assumes_timestamps_ = false;
  uint64_t base_ = 0;
  std::vector<uint8_t> bytes_;
  // Where each kept piece begins (the first at base_): a segment's fresh
  // bytes, each of the sender's segments in a coalesced one, and splits.
  // Vectors here and in the digest, not deques: libstdc++'s deque
  // allocates over 500 bytes even empty, and every flow has a window.
  std::vector<uint64_t> starts_;
  // Withheld ranges not settled yet, in stream order.
  struct Range {
    uint64_t from, to;
  };
  std::vector<Range> withheld_;
  StreamDigest digest_;
};

}  // namespace dlp
