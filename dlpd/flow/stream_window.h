// The first copy of a flow direction's most recent stream bytes: as they
// were scanned, then as they were forwarded (masked) once they have left.
// Later copies of those bytes (retransmissions, overlaps, re-segmented
// segments) are rewritten to them before they are masked, so every copy that
// leaves the gateway carries the bytes that were inspected: a receiver that
// keeps the last copy sees what one that keeps the first copy sees, and a
// value cannot be assembled from pieces of later copies.
//
// Bounded: at most `limit` bytes back from the stream's end are kept (older
// bytes cannot be normalized; see Normalize). The buffer may hold up to 1.5x
// `limit` between trims, so that trimming is amortized O(1) per byte.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace dlp {

class StreamWindow {
 public:
  explicit StreamWindow(size_t limit = 0) : limit_(limit) {}

  // [begin(), end()): the stream offsets whose first copy is kept.
  uint64_t begin() const { return base_; }
  uint64_t end() const { return base_ + bytes_.size(); }
  bool empty() const { return bytes_.empty(); }
  // Memory held, for the caller's global budget.
  size_t footprint() const { return bytes_.capacity(); }

  // Appends the bytes at stream offset `off`. Bytes already kept are not
  // replaced (first copy wins); a jump past end() restarts the window.
  void Append(uint64_t off, const uint8_t* data, size_t len);

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

  // Frees the bytes; the window restarts at the next Append.
  void Clear();

 private:
  size_t limit_;
  uint64_t base_ = 0;
  std::vector<uint8_t> bytes_;
};

}  // namespace dlp
