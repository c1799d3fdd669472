// The first copy of a flow direction's most recent stream bytes: as they
// were scanned, then as they were forwarded (masked) once they have left.
// Later copies of those bytes (retransmissions, overlaps, re-segmented
// segments) are rewritten to them before they are masked, so every copy that
// leaves the gateway carries the bytes that were inspected: a receiver that
// keeps the last copy sees what one that keeps the first copy sees, and a
// value cannot be assembled from pieces of later copies.
//
// Bounded: the last `limit` bytes of the stream are kept, from the start of
// the piece they begin in. The buffer may hold up to 1.5x `limit` and a
// piece between trims, so that trimming is amortized O(1) per byte. What is
// trimmed goes into the digest (StreamDigest) piece by piece, whole, as it
// was forwarded, so that older copies can still be checked. A piece is a
// segment as the sender sent it (a coalesced packet is cut at the SYN's
// segment size), or a part of one where a copy may begin (SplitAt,
// SplitEach): a copy is checked over whole records, so records must begin
// where the sender resends from, never where a trim happened to fall.
#pragma once

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
  // window and the digest. `key` keys the digest (the worker's).
  void Append(uint64_t off, const uint8_t* data, size_t len, const DigestKey& key);
  // The sender's segment size, when known (from its SYN): longer segments
  // (coalesced before they reached dlpd) are recorded in pieces of that
  // size, the way the sender sends a part of one again.
  void set_segment_size(uint32_t bytes) { segment_size_ = bytes; }
  uint32_t segment_size() const { return segment_size_; }
  // A copy may begin at `off` (bytes before it were delivered and those
  // after withheld, so the sender resends from there): the digest records
  // a piece boundary there. Only within [begin(), end()).
  void SplitAt(uint64_t off);
  // A copy may begin at any byte of [from, to): withheld bytes, which the
  // sender resends in segments of its own size, from wherever its earlier
  // copies happened to end (Linux collapses retransmissions up to its
  // segment size, so after one copy its segments no longer begin where the
  // first copies did). Each byte becomes a record of its own, so a copy
  // that begins inside can still be checked once the bytes have left the
  // window. At most kMaxSplitBytes of them (a tail is at most the widest
  // match); past that only `from` is split. Bytes the window no longer
  // keeps (or never kept, with no window) are split in the digest, from
  // `data`: the segment at `data_off` that holds them, as first forwarded.
  static constexpr size_t kMaxSplitBytes = 256;
  void SplitEach(uint64_t from, uint64_t to, uint64_t data_off, const uint8_t* data, size_t len,
                 const DigestKey& key);
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
  // Moves the pieces that end within the first `drop` bytes out of the
  // buffer into the digest, each whole.
  void Trim(size_t drop, const DigestKey& key);
  // Records [off, off+len) of the segment that began at `seg_off` in the
  // digest, cut where the sender's own segments in it begin.
  void Record(uint64_t seg_off, uint64_t off, const uint8_t* data, size_t len,
              const DigestKey& key);
  // The first of the sender's segment starts at or after `at` in a segment
  // that began at `seg_off`; UINT64_MAX past `seg_off` without a segment
  // size (the segment is one piece).
  uint64_t NextPieceStart(uint64_t seg_off, uint64_t at) const;
  // Adds the piece starts in [from, to): `from`, and the sender's segments.
  void AddPieceStarts(uint64_t seg_off, uint64_t from, uint64_t to);

  size_t limit_;
  uint32_t segment_size_ = 0;
  uint64_t base_ = 0;
  std::vector<uint8_t> bytes_;
  // Where each kept piece begins (the first at base_): a segment's fresh
  // bytes, each of the sender's segments in a coalesced one, and splits.
  // Vectors here and in the digest, not deques: libstdc++'s deque
  // allocates over 500 bytes even empty, and every flow has a window.
  std::vector<uint64_t> starts_;
  StreamDigest digest_;
};

}  // namespace dlp
