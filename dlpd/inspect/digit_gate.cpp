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

// How many of the 64 bytes at `data` are ASCII digits.
unsigned Digits64(const uint8_t* data) {
#if defined(__SSE2__)
  const __m128i below = _mm_set1_epi8('0' - 1);
  const __m128i above = _mm_set1_epi8('9' + 1);
  __m128i per_byte = _mm_setzero_si128();  // 0..4 digits per byte lane
  for (int i = 0; i < 4; ++i) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(data + 16 * i));
    // Signed compares: bytes >= 0x80 are negative, hence never digits. A
    // digit compares to -1, so subtracting counts it.
    const __m128i digit = _mm_and_si128(_mm_cmpgt_epi8(v, below), _mm_cmplt_epi8(v, above));
    per_byte = _mm_sub_epi8(per_byte, digit);
  }
  // Sum of absolute differences against zero adds the lanes up (SSE2 has
  // no popcount, and a libgcc call per chunk costs more than this).
  const __m128i sums = _mm_sad_epu8(per_byte, _mm_setzero_si128());
  return static_cast<unsigned>(_mm_cvtsi128_si32(sums) + _mm_extract_epi16(sums, 4));
#else
  unsigned n = 0;
  for (int i = 0; i < 64; ++i) n += static_cast<unsigned>(data[i] - '0') < 10U ? 1 : 0;
  return n;
#endif
}

}  // namespace

DigitGate::DigitGate(unsigned min_digits, unsigned width)
    : min_digits_(std::max(min_digits, 1U)), width_(std::clamp(width, 1U, kMaxWidth)) {}

void DigitGate::Reset() {
  head_ = 0;
  count_ = 0;
  total_ = 0;
  regions_.clear();
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
  Region r{start >= width_ ? start - width_ : 0, end + width_};
  if (!regions_.empty() && r.from <= regions_.back().to + kMergeGap) {
    regions_.back().to = std::max(regions_.back().to, r.to);
  } else {
    regions_.push_back(r);
  }
}

void DigitGate::Feed(const uint8_t* data, size_t len, uint64_t base) {
  size_t i = 0;
  for (; i + 64 <= len; i += 64) {
    const unsigned n = Digits64(data + i);
    if (n != 0) OnChunk(base + i, base + i + 64, n);
  }
  if (i < len) {
    unsigned n = 0;
    for (size_t j = i; j < len; ++j) n += static_cast<unsigned>(data[j] - '0') < 10U ? 1 : 0;
    if (n != 0) OnChunk(base + i, base + len, n);
  }
}

}  // namespace dlp
