#include "dlpd/inspect/digit_gate.h"

#include <algorithm>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace dlp {
namespace {

// Regions closer than this are scanned as one: a Hyperscan call costs about
// as much as scanning this many bytes.
constexpr uint64_t kMergeGap = 256;
constexpr unsigned kMaxWidth = 1024;

struct ChunkCount {
  unsigned digits = 0;
  bool percent = false;
};

ChunkCount CountTail(const uint8_t* data, size_t len) {
  ChunkCount c;
  for (size_t i = 0; i < len; ++i) {
    c.digits += static_cast<unsigned>(data[i] - '0') < 10U ? 1 : 0;
    c.percent = c.percent || data[i] == '%';
  }
  return c;
}

// How many of the 64 bytes at `data` are ASCII digits, and whether one is
// a '%'.
ChunkCount Count64(const uint8_t* data) {
#if defined(__SSE2__)
  const __m128i below = _mm_set1_epi8('0' - 1);
  const __m128i above = _mm_set1_epi8('9' + 1);
  const __m128i percent = _mm_set1_epi8('%');
  __m128i per_byte = _mm_setzero_si128();  // 0..4 digits per byte lane
  __m128i any_percent = _mm_setzero_si128();
  for (int i = 0; i < 4; ++i) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(data + 16 * i));
    // Signed compares: bytes >= 0x80 are negative, hence never digits. A
    // digit compares to -1, so subtracting counts it.
    const __m128i digit = _mm_and_si128(_mm_cmpgt_epi8(v, below), _mm_cmplt_epi8(v, above));
    per_byte = _mm_sub_epi8(per_byte, digit);
    any_percent = _mm_or_si128(any_percent, _mm_cmpeq_epi8(v, percent));
  }
  // Sum of absolute differences against zero adds the lanes up (SSE2 has
  // no popcount, and a libgcc call per chunk costs more than this).
  const __m128i sums = _mm_sad_epu8(per_byte, _mm_setzero_si128());
  return {static_cast<unsigned>(_mm_cvtsi128_si32(sums) + _mm_extract_epi16(sums, 4)),
          _mm_movemask_epi8(any_percent) != 0};
#else
  return CountTail(data, 64);
#endif
}

// Appends [from, to) to `regions`, merged with the last if they are close.
void AddRegion(std::vector<Region>& regions, Region r) {
  if (!regions.empty() && r.from <= regions.back().to + kMergeGap) {
    regions.back().to = std::max(regions.back().to, r.to);
  } else {
    regions.push_back(r);
  }
}

}  // namespace

DigitGate::DigitGate(unsigned min_digits, unsigned width, unsigned percent_reach)
    : min_digits_(std::max(min_digits, 1U)),
      width_(std::clamp(width, 1U, kMaxWidth)),
      percent_reach_(std::min(percent_reach, kMaxWidth)) {}

void DigitGate::Reset() {
  head_ = 0;
  count_ = 0;
  total_ = 0;
  regions_.clear();
  percent_regions_.clear();
}

void DigitGate::OnChunk(uint64_t start, uint64_t end, unsigned digits) {
  // Only chunks with digits are kept (the others add nothing to a window).
  // Forget those that end before a window ending in this chunk can begin
  // (at start - width + 1). The ring holds enough: width <= 1024 is 17
  // full chunks, plus the short ones at the ends of pieces.
  const uint64_t reach = start >= width_ ? start - width_ + 1 : 0;
  while (count_ > 0 && ring_[head_].end <= reach) {
    total_ -= ring_[head_].digits;
    head_ = (head_ + 1) % kRing;
    --count_;
  }
  if (count_ == kRing) {
    // Cannot happen with pieces fed as the scanners do; should it, the two
    // oldest are counted as one that ends with the later, which keeps their
    // digits longer: more regions, never fewer.
    const unsigned second = (head_ + 1) % kRing;
    ring_[second].digits += ring_[head_].digits;
    head_ = second;
    --count_;
  }
  ring_[(head_ + count_) % kRing] = {end, digits};
  ++count_;
  total_ += digits;
  if (total_ < min_digits_) return;
  // The last of min_digits digits lies in this chunk; a match holding them
  // lies within [start - width + 1, end - 1 + width), and the region keeps
  // one byte more on each side.
  AddRegion(regions_, {start >= width_ ? start - width_ : 0, end + width_});
}

void DigitGate::OnPercent(uint64_t start, uint64_t end) {
  const uint64_t reach = percent_reach_ + 1ULL;
  AddRegion(percent_regions_, {start >= reach ? start - reach : 0, end + reach});
}

void DigitGate::Feed(const uint8_t* data, size_t len, uint64_t base) {
  size_t i = 0;
  for (; i + 64 <= len; i += 64) {
    const ChunkCount c = Count64(data + i);
    if (c.digits != 0) OnChunk(base + i, base + i + 64, c.digits);
    if (c.percent) OnPercent(base + i, base + i + 64);
  }
  if (i < len) {
    const ChunkCount c = CountTail(data + i, len - i);
    if (c.digits != 0) OnChunk(base + i, base + len, c.digits);
    if (c.percent) OnPercent(base + i, base + len);
  }
}

}  // namespace dlp
