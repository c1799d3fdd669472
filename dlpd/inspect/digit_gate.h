// The digit gate: where in a text a match of a rule with `min_digits` can
// lie at all, so that Hyperscan and RE2 run only there.
//
// Every match of a gated pattern holds at least `min_digits` ASCII digits
// within `width` bytes (its widest match). Most bytes of HTTP are nowhere
// near such a cluster of digits. The gate counts digits 64 bytes at a time
// (vector compares and a popcount) and keeps a running sum over the chunks
// a window of `width` bytes can reach; a chunk whose window holds fewer
// than min_digits digits cannot hold the last of them, and only the
// neighbourhood of the other chunks becomes a region. A regex engine on
// patterns that begin with a digit class spends several cycles per byte.
//
// Contract: a match [s, e) of a gated pattern (e - s <= width, at least
// min_digits digits) lies inside a region, with at least one byte of the
// region before s and one after e (unless the text itself starts or ends
// there). The byte margins let the caller rule out '^' and '$' matching
// at a region's edge that is not an edge of the text.
//
// Written by hand: no library finds runs of a byte class this way, and a
// regex engine is exactly what the gate is there to spare.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace dlp {

// [from, to) in stream offsets.
struct Region {
  uint64_t from = 0;
  uint64_t to = 0;
};

class DigitGate {
 public:
  // min_digits >= 1; width and percent_reach in [1, 1024]
  // (rules/compiled_ruleset.h bounds them).
  DigitGate(unsigned min_digits, unsigned width, unsigned percent_reach = 1);

  // Feeds the next `len` bytes, which start at stream offset `base` (pieces
  // in order, without gaps). Regions found are appended to regions(), in
  // order and merged; a region may reach past the bytes fed so far.
  void Feed(const uint8_t* data, size_t len, uint64_t base);
  const std::vector<Region>& regions() const { return regions_; }
  // The bytes within percent_reach of a '%', with a byte to spare on each
  // side, found in the same pass (whole 64-byte chunks, merged like
  // regions()): where a match may hold a '%' (rules/compiled_ruleset.h).
  const std::vector<Region>& percent_regions() const { return percent_regions_; }
  void Reset();

 private:
  struct Chunk {
    uint64_t end = 0;  // stream offset after its last byte
    unsigned digits = 0;
  };
  void OnChunk(uint64_t start, uint64_t end, unsigned digits);
  void OnPercent(uint64_t start, uint64_t end);

  unsigned min_digits_;
  unsigned width_;
  unsigned percent_reach_;
  // The chunks a window of width bytes ending in the current chunk can
  // reach, a ring, and their digit total.
  static constexpr unsigned kRing = 64;
  Chunk ring_[kRing] = {};
  unsigned head_ = 0;  // oldest
  unsigned count_ = 0;
  unsigned total_ = 0;
  std::vector<Region> regions_;
  std::vector<Region> percent_regions_;
};

}  // namespace dlp
