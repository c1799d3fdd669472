#include "dlpd/inspect/digit_gate.h"

#include <algorithm>
#include <cstring>

#if defined(__x86_64__) || defined(__i386__)
#define DLP_GATE_X86 1
#include <immintrin.h>
#endif

namespace dlp {
namespace {

// Regions closer than this are scanned as one: a Hyperscan call costs about
// as much as scanning this many bytes.
constexpr uint64_t kMergeGap = 256;
constexpr unsigned kMaxWidth = 1024;

// Bit i: byte i is an ASCII digit / a '%'. No initializers: a batch of
// them is filled by a kernel, and zeroing it first costs more than a
// short piece's whole scan.
struct ChunkMasks {
  uint64_t digits;
  uint64_t percent;
};

void ChunksPortable(const uint8_t* data, size_t chunks, ChunkMasks* out) {
  for (size_t c = 0; c < chunks; ++c) {
    ChunkMasks m{0, 0};
    for (unsigned i = 0; i < 64; ++i) {
      const uint8_t b = data[64 * c + i];
      m.digits |= uint64_t{static_cast<unsigned>(b - '0') < 10U} << i;
      m.percent |= uint64_t{b == '%'} << i;
    }
    out[c] = m;
  }
}

#if defined(DLP_GATE_X86)
// Signed compares: bytes >= 0x80 are negative, hence never digits.
__attribute__((target("sse2"))) void ChunksSse2(const uint8_t* data, size_t chunks,
                                                ChunkMasks* out) {
  const __m128i below = _mm_set1_epi8('0' - 1);
  const __m128i above = _mm_set1_epi8('9' + 1);
  const __m128i percent = _mm_set1_epi8('%');
  for (size_t c = 0; c < chunks; ++c) {
    ChunkMasks m{0, 0};
    for (int i = 0; i < 4; ++i) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(data + 64 * c + 16 * i));
      const __m128i digit = _mm_and_si128(_mm_cmpgt_epi8(v, below), _mm_cmplt_epi8(v, above));
      m.digits |= uint64_t{static_cast<uint16_t>(_mm_movemask_epi8(digit))} << (16 * i);
      m.percent |= uint64_t{static_cast<uint16_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, percent)))}
                   << (16 * i);
    }
    out[c] = m;
  }
}

__attribute__((target("avx2"))) void ChunksAvx2(const uint8_t* data, size_t chunks,
                                                ChunkMasks* out) {
  const __m256i below = _mm256_set1_epi8('0' - 1);
  const __m256i above = _mm256_set1_epi8('9' + 1);
  const __m256i percent = _mm256_set1_epi8('%');
  for (size_t c = 0; c < chunks; ++c) {
    ChunkMasks m{0, 0};
    for (int i = 0; i < 2; ++i) {
      const __m256i v =
          _mm256_loadu_si256(reinterpret_cast<const __m256i*>(data + 64 * c + 32 * i));
      const __m256i digit =
          _mm256_and_si256(_mm256_cmpgt_epi8(v, below), _mm256_cmpgt_epi8(above, v));
      m.digits |= uint64_t{static_cast<uint32_t>(_mm256_movemask_epi8(digit))} << (32 * i);
      m.percent |=
          uint64_t{static_cast<uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, percent)))}
          << (32 * i);
    }
    out[c] = m;
  }
}
#endif

bool Supported(DigitGate::Kernel k) {
  switch (k) {
    case DigitGate::Kernel::kPortable:
      return true;
#if defined(DLP_GATE_X86)
    case DigitGate::Kernel::kSse2:
      __builtin_cpu_init();
      return __builtin_cpu_supports("sse2");
    case DigitGate::Kernel::kAvx2:
      __builtin_cpu_init();
      return __builtin_cpu_supports("avx2");
#endif
    default:
      return false;
  }
}

DigitGate::Kernel Best() {
  static const DigitGate::Kernel best =
      Supported(DigitGate::Kernel::kAvx2)   ? DigitGate::Kernel::kAvx2
      : Supported(DigitGate::Kernel::kSse2) ? DigitGate::Kernel::kSse2
                                            : DigitGate::Kernel::kPortable;
  return best;
}

unsigned Popcount(uint64_t v) {
#if defined(__POPCNT__) || !(defined(__x86_64__) || defined(__i386__))
  return static_cast<unsigned>(__builtin_popcountll(v));
#else
  // Baseline x86-64 has no popcnt instruction, and the builtin becomes a
  // libgcc call (2% of a scan of digit-dense text): add bits in place.
  v -= (v >> 1) & 0x5555555555555555ULL;
  v = (v & 0x3333333333333333ULL) + ((v >> 2) & 0x3333333333333333ULL);
  v = (v + (v >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
  return static_cast<unsigned>((v * 0x0101010101010101ULL) >> 56);
#endif
}
unsigned Ctz(uint64_t v) {
  return static_cast<unsigned>(__builtin_ctzll(v));
}

bool IsHex(uint8_t c) {
  return static_cast<unsigned>(c - '0') < 10U || static_cast<unsigned>((c | 0x20) - 'a') < 6U;
}

// Whether one of the '%' bits of `percent` begins an escape: two hex digits
// follow, or bytes not fed yet might. '%' is rare in text: a scalar look.
bool AnEscape(uint64_t percent, const uint8_t* bytes, size_t avail) {
  for (; percent != 0; percent &= percent - 1) {
    const size_t at = Ctz(percent);
    if (at + 2 >= avail || (IsHex(bytes[at + 1]) && IsHex(bytes[at + 2]))) return true;
  }
  return false;
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

DigitGate::DigitGate(unsigned min_digits, unsigned width, unsigned percent_reach, unsigned max_gap,
                     PercentTrigger trigger)
    : min_digits_(std::max(min_digits, 1U)),
      width_(std::clamp(width, 1U, kMaxWidth)),
      percent_reach_(std::min(percent_reach, kMaxWidth)),
      max_gap_(max_gap == kAnyGap ? kAnyGap : std::min(max_gap, kMaxGap)),
      trigger_(trigger),
      kernel_(Best()) {
  // Doubling: after a step of `got`, a bit says `2 * got` bytes from it are
  // set; the last step tops up to exactly min_digits. Past 64 no run
  // inside a chunk is long enough, and 65 says so with shifts below 64.
  const unsigned need = std::min(min_digits_, 65U);
  for (unsigned got = 1; got < need;) {
    const unsigned step = std::min(got, need - got);
    whole_step_[whole_steps_++] = step;
    got += step;
  }
}

bool DigitGate::UseKernel(Kernel k) {
  if (!Supported(k)) return false;
  kernel_ = k;
  return true;
}

void DigitGate::Reset() {
  recent_ = 0;
  run_open_ = false;
  run_start_ = 0;
  run_digits_ = 0;
  head_ = 0;
  count_ = 0;
  total_ = 0;
  regions_.clear();
  percent_regions_.clear();
}

// Inlined: it runs for every chunk that holds a digit, most of them in text.
__attribute__((always_inline)) inline void DigitGate::Consume(uint64_t base, unsigned len,
                                                              uint64_t digits, uint64_t percent,
                                                              const uint8_t* bytes, size_t avail) {
  if (percent != 0 &&
      (trigger_ == PercentTrigger::kAnyPercent || AnEscape(percent, bytes, avail))) {
    OnPercent(base, base + len);
  }
  if (max_gap_ == kAnyGap) {
    if (digits != 0) OnChunk(base, base + len, Popcount(digits));
    return;
  }
  // A non-digit byte joins the run when a digit lies within max_gap bytes
  // on each side. Every gap of at most max_gap bytes between two digits is
  // then filled, so the digits a match promises lie in one run of set bits
  // (a few more bytes than the exact runs may join it, never fewer). Bytes
  // after the chunk are not known yet and may be digits.
  const uint64_t valid = len == 64 ? ~0ULL : (1ULL << len) - 1;
  uint64_t left = 0;
  uint64_t right = 0;
  for (unsigned k = 1; k <= max_gap_; ++k) {
    left |= (digits << k) | (recent_ >> (64 - k));
    right |= (digits >> k) | (k >= len ? ~0ULL : ~0ULL << (len - k));
  }
  const uint64_t run_bits = (digits | (left & right)) & valid;
  recent_ = len == 64 ? digits : (recent_ >> len) | (digits << (64 - len));
  // Most chunks with digits hold only short runs, none of them at an edge
  // of the chunk: nothing to do. `whole` marks where a run of min_digits
  // bytes begins inside the chunk.
  uint64_t whole = run_bits;
  for (unsigned i = 0; i < whole_steps_; ++i) whole &= whole >> whole_step_[i];
  const bool continuing = run_open_ && (run_bits & 1) != 0;
  const bool open = ((run_bits >> (len - 1)) & 1) != 0;
  run_open_ = false;
  if (whole != 0 || continuing || open) OnRuns(base, len, digits, run_bits, continuing);
}

void DigitGate::OnRuns(uint64_t base, unsigned len, uint64_t digits, uint64_t run_bits,
                       bool continuing) {
  for (uint64_t m = run_bits; m != 0;) {
    const unsigned s = Ctz(m);
    const uint64_t after = ~(m >> s);  // its first bit set: the run's end
    const unsigned e = after == 0 ? 64 : s + Ctz(after);
    const uint64_t run = (e == 64 ? ~0ULL : (1ULL << e) - 1) & (~0ULL << s);
    m &= ~run;
    const bool joins = s == 0 && continuing;
    const bool open = e == len;  // may go on in the next bytes
    // A run shorter than min_digits bytes holds fewer digits.
    if (!joins && !open && e - s < min_digits_) continue;
    unsigned n = Popcount(digits & run);
    uint64_t start = base + s;
    if (joins) {
      n += run_digits_;
      start = run_start_;
    }
    // The match's digits lie in [start, base + e); it reaches at most
    // width bytes beyond them, and the region keeps one byte more.
    if (n >= min_digits_) {
      AddRegion(regions_, {start >= width_ ? start - width_ : 0, base + e + width_});
    }
    if (open) {
      run_open_ = true;
      run_start_ = start;
      run_digits_ = std::min(n, min_digits_);
    }
  }
}

void DigitGate::Feed(const uint8_t* data, size_t len, uint64_t base) {
  // Masks for a batch of chunks at a time, so that the vector loop runs
  // without a branch per chunk; the chunks without digits or '%' (most of
  // a text) are then passed over.
  constexpr size_t kBatch = 16;
  ChunkMasks masks[kBatch];
  auto read = [&](const uint8_t* from, size_t n) {
    switch (kernel_) {
#if defined(DLP_GATE_X86)
      case Kernel::kAvx2:
        ChunksAvx2(from, n, masks);
        break;
      case Kernel::kSse2:
        ChunksSse2(from, n, masks);
        break;
#endif
      default:
        ChunksPortable(from, n, masks);
    }
  };
  size_t i = 0;
  while (len - i >= 64) {
    const size_t n = std::min(kBatch, (len - i) / 64);
    read(data + i, n);
    for (size_t c = 0; c < n; ++c, i += 64) {
      const ChunkMasks& m = masks[c];
      // An open run has a digit among the last bytes: recent_ is not 0.
      if ((m.digits | m.percent | recent_) == 0) continue;
      Consume(base + i, 64, m.digits, m.percent, data + i, len - i);
    }
  }
  if (i < len) {
    // The tail, padded with NULs (neither digits nor '%') to a chunk.
    uint8_t tail[64] = {};
    std::memcpy(tail, data + i, len - i);
    read(tail, 1);
    Consume(base + i, static_cast<unsigned>(len - i), masks[0].digits, masks[0].percent, data + i,
            len - i);
  }
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

}  // namespace dlp
