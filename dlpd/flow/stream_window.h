// The first copy of a flow direction's most recent stream bytes: as they
// were scanned, then as they were forwarded (masked) once they have left.
// Later copies of those bytes (retransmissions, overlaps, re-segmented
// segments) are rewritten to them before they are masked, so every copy that
// leaves the gateway carries the bytes that were inspected: a receiver that
// keeps the last copy sees what one that keeps the first copy sees, and a
// value cannot be assembled from pieces of later copies.
//
// Bounded: at most `limit` bytes back from the stream's end are kept. The buffer may hold up
// to 1.5x `limit` between trims, so that trimming is amortized O(1) per byte. What is trimmed goes
// into the digest (StreamDigest), segment by segment as it was forwarded, so that older copies can
// still be checked.
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
  // Moves the first `drop` bytes out of the buffer into the digest.
  void Trim(size_t drop, const DigestKey& key);
  // Records [off, off+len) in the digest, in pieces of segment_size_.
  void Record(uint64_t off, const uint8_t* data, size_t len, const DigestKey& key);

  size_t limit_;
  uint32_t segment_size_ = 0;
  uint64_t base_ = 0;
  std::vector<uint8_t> bytes_;
  // Where each kept segment's fresh bytes begin. Vectors here and in the
  // digest, not deques: libstdc++'s deque allocates over 500 bytes even
  // empty, and every flow has a window.
  std::vector<uint64_t> starts_;
  StreamDigest digest_;
};

}  // namespace dlp
