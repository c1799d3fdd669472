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

using ChunkMasks = DigitGate::ChunkMasks;

// Each kernel fills a digit mask per 64-byte chunk, and a mask of the
// bytes equal to one of the kMarks bytes of `mark`: the gate's line breaks
// (for DigitGate::NoteBlankLines; the bytes are in registers), or a shaped
// walk's separators (ReadDigitAndMarkMasks).
template <size_t kMarks>
void ChunksPortable(const uint8_t* data, size_t chunks, const uint8_t* mark, uint64_t* digits,
                    uint64_t* marks) {
  for (size_t c = 0; c < chunks; ++c) {
    uint64_t d = 0;
    uint64_t m = 0;
    for (unsigned i = 0; i < 64; ++i) {
      const uint8_t b = data[64 * c + i];
      d |= uint64_t{static_cast<unsigned>(b - '0') < 10U} << i;
      bool marked = false;
      for (size_t k = 0; k < kMarks; ++k) marked = marked || b == mark[k];
      m |= uint64_t{marked} << i;
    }
    digits[c] = d;
    marks[c] = m;
  }
}

#if defined(DLP_GATE_X86)
// Signed compares: bytes >= 0x80 are negative, hence never digits.
template <size_t kMarks>
__attribute__((target("sse2"))) void ChunksSse2(const uint8_t* data, size_t chunks,
                                                const uint8_t* mark, uint64_t* digits,
                                                uint64_t* marks) {
  const __m128i below = _mm_set1_epi8('0' - 1);
  const __m128i above = _mm_set1_epi8('9' + 1);
  __m128i wanted[kMarks];
#pragma GCC unroll 4
  for (size_t k = 0; k < kMarks; ++k) wanted[k] = _mm_set1_epi8(static_cast<char>(mark[k]));
  for (size_t c = 0; c < chunks; ++c) {
    uint64_t d = 0;
    uint64_t m = 0;
#pragma GCC unroll 4
    for (int i = 0; i < 4; ++i) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(data + 64 * c + 16 * i));
      const __m128i digit = _mm_and_si128(_mm_cmpgt_epi8(v, below), _mm_cmplt_epi8(v, above));
      __m128i marked = _mm_cmpeq_epi8(v, wanted[0]);
      for (size_t k = 1; k < kMarks; ++k)
        marked = _mm_or_si128(marked, _mm_cmpeq_epi8(v, wanted[k]));
      d |= uint64_t{static_cast<uint16_t>(_mm_movemask_epi8(digit))} << (16 * i);
      m |= uint64_t{static_cast<uint16_t>(_mm_movemask_epi8(marked))} << (16 * i);
    }
    digits[c] = d;
    marks[c] = m;
  }
}

template <size_t kMarks>
__attribute__((target("avx2"))) void ChunksAvx2(const uint8_t* data, size_t chunks,
                                                const uint8_t* mark, uint64_t* digits,
                                                uint64_t* marks) {
  const __m256i below = _mm256_set1_epi8('0' - 1);
  const __m256i above = _mm256_set1_epi8('9' + 1);
  __m256i wanted[kMarks];
#pragma GCC unroll 4
  for (size_t k = 0; k < kMarks; ++k) wanted[k] = _mm256_set1_epi8(static_cast<char>(mark[k]));
  for (size_t c = 0; c < chunks; ++c) {
    uint64_t d = 0;
    uint64_t m = 0;
#pragma GCC unroll 2
    for (int i = 0; i < 2; ++i) {
      const __m256i v =
          _mm256_loadu_si256(reinterpret_cast<const __m256i*>(data + 64 * c + 32 * i));
      const __m256i digit =
          _mm256_and_si256(_mm256_cmpgt_epi8(v, below), _mm256_cmpgt_epi8(above, v));
      __m256i marked = _mm256_cmpeq_epi8(v, wanted[0]);
      for (size_t k = 1; k < kMarks; ++k) {
        marked = _mm256_or_si256(marked, _mm256_cmpeq_epi8(v, wanted[k]));
      }
      d |= uint64_t{static_cast<uint32_t>(_mm256_movemask_epi8(digit))} << (32 * i);
      m |= uint64_t{static_cast<uint32_t>(_mm256_movemask_epi8(marked))} << (32 * i);
    }
    digits[c] = d;
    marks[c] = m;
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

using ChunkKernel = void (*)(const uint8_t*, size_t, const uint8_t*, uint64_t*, uint64_t*);

template <size_t kMarks>
ChunkKernel KernelOf(DigitGate::Kernel k) {
  switch (k) {
#if defined(DLP_GATE_X86)
    case DigitGate::Kernel::kAvx2:
      return ChunksAvx2<kMarks>;
    case DigitGate::Kernel::kSse2:
      return ChunksSse2<kMarks>;
#endif
    default:
      return ChunksPortable<kMarks>;
  }
}

// The gate's one marked byte.
constexpr uint8_t kNewline[1] = {'\n'};

#if defined(__x86_64__) && !defined(__POPCNT__)
// Baseline x86-64 has no popcnt instruction, and the builtin becomes a
// libgcc call (2% of a scan of digit-dense text). Every x86-64 CPU since
// 2008 has it: used when this one does (a branch on a constant, always
// predicted), else bits are added in place.
const bool kHasPopcnt = [] {
  __builtin_cpu_init();
  return __builtin_cpu_supports("popcnt") != 0;
}();
#endif

unsigned Popcount(uint64_t v) {
#if defined(__POPCNT__) || !defined(__x86_64__)
  return static_cast<unsigned>(__builtin_popcountll(v));
#else
  if (kHasPopcnt) {
    uint64_t n = 0;
    __asm__("popcnt %1, %0" : "=r"(n) : "r"(v) : "cc");
    return static_cast<unsigned>(n);
  }
  v -= (v >> 1) & 0x5555555555555555ULL;
  v = (v & 0x3333333333333333ULL) + ((v >> 2) & 0x3333333333333333ULL);
  v = (v + (v >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
  return static_cast<unsigned>((v * 0x0101010101010101ULL) >> 56);
#endif
}
unsigned Ctz(uint64_t v) {
  return static_cast<unsigned>(__builtin_ctzll(v));
}

// Spans closer than this are walked as one: a walk's setup costs about as
// much as reading this many bytes.
constexpr uint64_t kSpanMergeGap = 64;

// Appends [from, to) to `regions`, merged with the last if they are at
// most `gap` apart.
void AddRegion(std::vector<Region>& regions, Region r, uint64_t gap = kMergeGap) {
  if (!regions.empty() && r.from <= regions.back().to + gap) {
    regions.back().to = std::max(regions.back().to, r.to);
  } else {
    regions.push_back(r);
  }
}

// The bytes of runs in a chunk of `len` bytes: its digits and the gaps of
// at most `gap` bytes between them (`before`: the digit mask of the 64
// bytes before the chunk).
__attribute__((always_inline)) inline uint64_t RunBits(uint64_t digits, uint64_t before,
                                                       unsigned len, unsigned gap) {
  // A non-digit byte joins the run when a digit lies within `gap` bytes on
  // each side. Every gap of at most that many bytes between two digits is
  // then filled, so the digits a match promises lie in one run of set bits
  // (a few more bytes than the exact runs may join it, never fewer). Bytes
  // after the chunk are not known yet and may be digits.
  uint64_t left = 0;
  uint64_t right = 0;
  for (unsigned k = 1; k <= gap; ++k) {
    left |= (digits << k) | (before >> (64 - k));
    right |= (digits >> k) | (k >= len ? ~0ULL : ~0ULL << (len - k));
  }
  const uint64_t valid = len == 64 ? ~0ULL : (1ULL << len) - 1;
  return (digits | (left & right)) & valid;
}

// Where a run of set bits at least as long as the doubling `steps` make
// begins (runs within the word). After a step of `got`, a bit says `2 * got`
// bits from it are set. Padded with 0 (x >> 0 changes nothing), so that the
// steps are not a loop whose length is known only at run time.
__attribute__((always_inline)) inline uint64_t RunStarts(uint64_t x, const unsigned* steps) {
  x &= x >> steps[0];
  x &= x >> steps[1];
  x &= x >> steps[2];
  x &= x >> steps[3];
  x &= x >> steps[4];
  x &= x >> steps[5];
  return x & (x >> steps[6]);
}

// The run of set bits of `run_bits` that holds bit `seed`: its first bit
// s, the bit e after its last, and the run as a mask.
struct RunSpan {
  unsigned s;
  unsigned e;
  uint64_t mask;
};
__attribute__((always_inline)) inline RunSpan RunAt(uint64_t run_bits, unsigned seed) {
  const uint64_t gaps_below = ~run_bits & ((1ULL << seed) - 1);
  const unsigned s = gaps_below == 0 ? 0 : 64 - static_cast<unsigned>(__builtin_clzll(gaps_below));
  const uint64_t after = ~(run_bits >> s);  // its first bit set: the run's end
  const unsigned e = after == 0 ? 64 : s + Ctz(after);
  return {s, e, (e == 64 ? ~0ULL : (1ULL << e) - 1) & (~0ULL << s)};
}

}  // namespace

void ReadDigitMasks(const uint8_t* data, size_t chunks, uint64_t* digits) {
  static const ChunkKernel kernel = KernelOf<1>(Best());
  uint64_t newlines[16];
  kernel(data, std::min<size_t>(chunks, 16), kNewline, digits, newlines);
}

void ReadDigitAndByteMask(const uint8_t* data, uint8_t byte, uint64_t* digits, uint64_t* marks) {
  static const ChunkKernel kernel = KernelOf<1>(Best());
  kernel(data, 1, &byte, digits, marks);
}

std::array<unsigned, 7> DoublingSteps(unsigned length) {
  std::array<unsigned, 7> steps{};
  const unsigned need = std::min(length, 65U);
  size_t k = 0;
  for (unsigned got = 1; got < need;) {
    const unsigned step = std::min(got, need - got);
    steps[k++] = step;
    got += step;
  }
  return steps;
}

void ReadDigitAndMarkMasks(const uint8_t* data, size_t chunks, const MarkBytes& mark,
                           uint64_t* digits, uint64_t* marks, DigitGate::Kernel k) {
  chunks = std::min<size_t>(chunks, 16);
  if (mark.n == 0) {
    KernelOf<1>(k)(data, chunks, kNewline, digits, marks);
    std::fill(marks, marks + chunks, uint64_t{0});
    return;
  }
  // Four bytes: the last repeated (a byte compared twice marks the same).
  uint8_t four[MarkBytes::kMax];
  for (size_t i = 0; i < MarkBytes::kMax; ++i) {
    four[i] = mark.bytes[std::min(i, std::min(mark.n, MarkBytes::kMax) - 1)];
  }
  KernelOf<MarkBytes::kMax>(k)(data, chunks, four, digits, marks);
}

void ReadDigitAndMarkMasks(const uint8_t* data, size_t chunks, const MarkBytes& mark,
                           uint64_t* digits, uint64_t* marks) {
  static const DigitGate::Kernel best = Best();
  ReadDigitAndMarkMasks(data, chunks, mark, digits, marks, best);
}

DigitGate::DigitGate(unsigned min_digits, unsigned width, unsigned max_gap)
    : min_digits_(std::max(min_digits, 1U)),
      width_(std::clamp(width, 1U, kMaxWidth)),
      max_gap_(max_gap == kAnyGap ? kAnyGap : std::min(max_gap, kMaxGap)),
      kernel_(Best()) {
  run_step_ = DoublingSteps(min_digits_);
  quiet_ok_ = max_gap_ != kAnyGap && min_digits_ <= kMaxQuietDigits;
}

bool DigitGate::UseKernel(Kernel k) {
  if (!Supported(k)) return false;
  kernel_ = k;
  return true;
}

void DigitGate::Reset() {
  nl_before_ = 0;
  cr_before_ = false;
  blank_line_ends_.clear();
  recent_ = 0;
  run_open_ = false;
  run_start_ = 0;
  run_digits_ = 0;
  run_tail_digits_ = 0;
  try_quiet_ = false;
  head_ = 0;
  count_ = 0;
  total_ = 0;
  regions_.clear();
  spans_.clear();
}

__attribute__((always_inline)) inline void DigitGate::KeepLastRun(uint64_t base, unsigned len,
                                                                  uint64_t digits,
                                                                  uint64_t run_bits) {
  // Without a branch on whether the chunk ends in a run (one in eight does
  // on binary data); its digits are counted only if a later chunk joins it.
  const uint64_t valid = len == 64 ? ~0ULL : (1ULL << len) - 1;
  const uint64_t gaps = ~run_bits & valid;
  const unsigned start = gaps == 0 ? 0 : 64 - static_cast<unsigned>(__builtin_clzll(gaps));
  run_open_ = ((run_bits >> (len - 1)) & 1) != 0;
  run_start_ = base + start;
  run_digits_ = 0;
  run_tail_digits_ = start == 64 ? 0 : digits >> start;
}

void DigitGate::SpansIn(uint64_t base, unsigned len, uint64_t digits, uint64_t run_bits,
                        uint64_t long_starts, bool continuing) {
  // As OnRuns, but one span for the chunk, and no region: the digits of
  // the run the chunk goes on with are counted across chunks; a run open
  // at the chunk's end is marked by the next chunk, from run_start_, once
  // it is long enough.
  const uint64_t valid = len == 64 ? ~0ULL : (1ULL << len) - 1;
  const uint64_t gaps = ~run_bits & valid;
  uint64_t from = UINT64_MAX;
  uint64_t to = 0;
  // Each run with a start in RunStarts (counted in bytes, its gaps too)
  // that holds min_digits digits: the span goes from the first to the end
  // of the last. Chunks of number-dense text do not come here
  // (SpansDense); elsewhere few chunks have such a run.
  for (uint64_t seeds = long_starts; seeds != 0;) {
    const RunSpan run = RunAt(run_bits, Ctz(seeds));
    seeds &= ~run.mask;
    if (Popcount(digits & run.mask) < min_digits_) continue;
    from = std::min(from, base + run.s);
    to = base + run.e;
  }
  if (continuing) {
    const unsigned first_end = gaps == 0 ? len : Ctz(gaps);
    const uint64_t first = first_end == 64 ? ~0ULL : (1ULL << first_end) - 1;
    const unsigned n = run_digits_ + Popcount(run_tail_digits_) + Popcount(digits & first);
    if (n >= min_digits_) {
      from = std::min(run_start_, base);
      to = std::max(to, base + first_end);
    }
    if (gaps == 0) {
      // The run goes on through the chunk, perhaps into the next.
      run_open_ = ((run_bits >> (len - 1)) & 1) != 0;
      run_digits_ = std::min(n, min_digits_);
      run_tail_digits_ = 0;
      if (to > 0) AddRegion(spans_, {from, to}, kSpanMergeGap);
      return;
    }
  }
  KeepLastRun(base, len, digits, run_bits);
  if (to > 0) AddRegion(spans_, {from, to}, kSpanMergeGap);
}

// Inlined: it runs for every chunk that holds a digit, most of them in text.
__attribute__((always_inline)) inline void DigitGate::RunsIn(uint64_t base, unsigned len,
                                                             uint64_t digits) {
  const uint64_t run_bits = RunBits(digits, recent_, len, max_gap_);
  recent_ = len == 64 ? digits : (recent_ >> len) | (digits << (64 - len));
  // Most chunks with digits hold only short runs, none of them at an edge
  // of the chunk: nothing to do.
  const bool continuing = run_open_ && (run_bits & 1) != 0;
  const bool open = ((run_bits >> (len - 1)) & 1) != 0;
  const uint64_t long_starts = RunStarts(run_bits, run_step_.data());
  const bool any = long_starts != 0 || continuing || open;
  if (keep_regions_) {
    run_open_ = false;
    if (any) OnRuns(base, len, digits, run_bits, long_starts, continuing);
  } else if (any) {
    SpansIn(base, len, digits, run_bits, long_starts, continuing);
  } else {
    run_open_ = false;
  }
}

namespace {

// See DigitGate::QuietBatch: the OR of every start, the first and last
// chunk's run bits.
struct BatchRuns {
  uint64_t starts = 0;       // every start found, ORed
  uint64_t first_run = 0;    // the run bits of the first chunk
  uint64_t last_run = 0;     // and of the last
  unsigned with_digits = 0;  // chunks that hold a digit
};

BatchRuns BatchStarts(const DigitGate::ChunkMasks* masks, size_t n, uint64_t before,
                      const unsigned* steps, unsigned gap) {
  BatchRuns b;
  uint64_t previous_run = RunBits(masks[0].digits, before, 64, gap);
  b.starts = RunStarts(previous_run, steps);
  b.first_run = previous_run;
  b.with_digits = masks[0].digits != 0;
  for (size_t c = 1; c < n; ++c) {
    const uint64_t run_bits = RunBits(masks[c].digits, masks[c - 1].digits, 64, gap);
    b.starts |=
        RunStarts(run_bits, steps) | RunStarts((previous_run >> 32) | (run_bits << 32), steps);
    b.with_digits += masks[c].digits != 0;
    previous_run = run_bits;
  }
  b.last_run = previous_run;
  return b;
}

#if defined(DLP_GATE_X86)
#define DLP_AVX2 __attribute__((target("avx2"), always_inline)) inline

// RunStarts of four words; min_digits <= 33 takes at most six steps.
DLP_AVX2 __m256i StartsAvx2(__m256i x, const __m128i* shifts) {
  x = _mm256_and_si256(x, _mm256_srl_epi64(x, shifts[0]));
  x = _mm256_and_si256(x, _mm256_srl_epi64(x, shifts[1]));
  x = _mm256_and_si256(x, _mm256_srl_epi64(x, shifts[2]));
  x = _mm256_and_si256(x, _mm256_srl_epi64(x, shifts[3]));
  x = _mm256_and_si256(x, _mm256_srl_epi64(x, shifts[4]));
  return _mm256_and_si256(x, _mm256_srl_epi64(x, shifts[5]));
}

// Lanes [last lane of `carry`, x0, x1, x2]: each chunk's neighbour before it.
DLP_AVX2 __m256i BeforeEachAvx2(__m256i x, __m256i carry) {
  return _mm256_blend_epi32(_mm256_permute4x64_epi64(x, 0x90),
                            _mm256_permute4x64_epi64(carry, 0xff), 0x03);
}

// Bit i: lane i is 0.
DLP_AVX2 unsigned ZeroLanesAvx2(__m256i x) {
  return static_cast<unsigned>(
      _mm256_movemask_pd(_mm256_castsi256_pd(_mm256_cmpeq_epi64(x, _mm256_setzero_si256()))));
}

// BatchStarts four chunks at a time, for any gap. `masks` holds n chunks
// and zeros up to a multiple of four (a chunk without digits has no run).
__attribute__((target("avx2"))) BatchRuns BatchStartsAvx2(const DigitGate::ChunkMasks* masks,
                                                          size_t n, uint64_t before,
                                                          const unsigned* steps, unsigned gap) {
  __m128i shifts[6];
  for (int s = 0; s < 6; ++s) shifts[s] = _mm_cvtsi32_si128(static_cast<int>(steps[s]));
  const __m256i zero = _mm256_setzero_si256();
  __m256i carry_digits = _mm256_set1_epi64x(static_cast<long long>(before));
  __m256i carry_run = zero;  // no word across the edge before the batch
  __m256i starts = zero;
  alignas(32) uint64_t runs[16];
  BatchRuns b;
  for (size_t c = 0; c < n; c += 4) {
    static_assert(sizeof(DigitGate::ChunkMasks) == sizeof(uint64_t), "four masks in a vector");
    const __m256i digits = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(masks + c));
    const __m256i previous = BeforeEachAvx2(digits, carry_digits);
    __m256i left = zero;
    __m256i right = zero;
    for (unsigned k = 1; k <= gap; ++k) {
      const __m128i in = _mm_cvtsi32_si128(static_cast<int>(k));
      const __m128i out = _mm_cvtsi32_si128(static_cast<int>(64 - k));
      left = _mm256_or_si256(
          left, _mm256_or_si256(_mm256_sll_epi64(digits, in), _mm256_srl_epi64(previous, out)));
      right =
          _mm256_or_si256(right, _mm256_or_si256(_mm256_srl_epi64(digits, in),
                                                 _mm256_sll_epi64(_mm256_set1_epi64x(-1), out)));
    }
    const __m256i run = _mm256_or_si256(digits, _mm256_and_si256(left, right));
    const __m256i across = _mm256_or_si256(_mm256_srli_epi64(BeforeEachAvx2(run, carry_run), 32),
                                           _mm256_slli_epi64(run, 32));
    starts = _mm256_or_si256(starts,
                             _mm256_or_si256(StartsAvx2(run, shifts), StartsAvx2(across, shifts)));
    _mm256_store_si256(reinterpret_cast<__m256i*>(runs + c), run);
    // Four lanes minus the empty ones, from a table of 4-bit counts (the
    // popcnt instruction is not part of baseline x86-64).
    b.with_digits +=
        4 - static_cast<unsigned>((0x4332322132212110ULL >> (4 * ZeroLanesAvx2(digits))) & 0xf);
    carry_digits = digits;
    carry_run = run;
  }
  b.starts = _mm256_testz_si256(starts, starts) ? 0 : 1;
  b.first_run = runs[0];
  b.last_run = runs[n - 1];
  return b;
}
#undef DLP_AVX2
#endif

}  // namespace

bool DigitGate::QuietBatch(ChunkMasks* masks, size_t n, uint64_t base) {
  // A region needs a run of min_digits bytes. One inside a chunk has a
  // start in RunStarts. One across the edge of two chunks has at least
  // min(its length, 33) bytes in the 64 bytes around that edge (32 on each
  // side), so with min_digits <= 33 it has a start in the RunStarts of the
  // word made of the chunks' halves. The run open before the batch is left
  // to the chunk by chunk path.
  BatchRuns b;
#if defined(DLP_GATE_X86)
  if (kernel_ == Kernel::kAvx2) {
    for (size_t c = n; c % 4 != 0; ++c) masks[c] = {0};
    b = BatchStartsAvx2(masks, n, recent_, run_step_.data(), max_gap_);
  } else {
    b = BatchStarts(masks, n, recent_, run_step_.data(), max_gap_);
  }
#else
  b = BatchStarts(masks, n, recent_, run_step_.data(), max_gap_);
#endif
  if (b.starts != 0 || (run_open_ && (b.first_run & 1) != 0)) return false;
  recent_ = masks[n - 1].digits;
  KeepLastRun(base + 64 * (n - 1), 64, recent_, b.last_run);
  try_quiet_ = 2 * b.with_digits >= n;
  return true;
}

bool DigitGate::SpansDense(const ChunkMasks* masks, size_t n, uint64_t base) {
  if (!keep_spans_ || keep_regions_ || max_gap_ == kAnyGap) return false;
  // Two chunks first, for documents: with fewer than half the share of
  // digits there, the batch is taken as sparse (a slower way, as exact).
  if ((Popcount(masks[0].digits) + Popcount(masks[n - 1].digits)) * kDenseShare < 64) return false;
  unsigned count = 0;
  for (size_t c = 0; c < n; ++c) count += Popcount(masks[c].digits);
  if (count * kDenseShare < 64 * n) return false;
  // A run open before the batch began at run_start_.
  const bool was_open = run_open_;
  AddRegion(spans_, {was_open ? std::min(run_start_, base) : base, base + 64 * n}, kSpanMergeGap);
  // Whatever run the next chunk goes on with began in this span (or
  // before it): counted as long enough, it marks from there.
  recent_ = masks[n - 1].digits;
  if (!was_open) run_start_ = base;
  run_open_ = true;
  run_digits_ = min_digits_;
  run_tail_digits_ = 0;
  return true;
}

void DigitGate::OnRuns(uint64_t base, unsigned len, uint64_t digits, uint64_t run_bits,
                       uint64_t long_starts, bool continuing) {
  // Only the runs that may matter are visited: those min_digits bytes
  // long or more (a run shorter holds fewer digits), the one the chunk
  // goes on with, and the one that may go on in the next bytes.
  // Number-dense text has many short runs per chunk.
  uint64_t seeds = long_starts;
  if (continuing) seeds |= run_bits & 1;
  seeds |= run_bits & (1ULL << (len - 1));
  while (seeds != 0) {
    const RunSpan r = RunAt(run_bits, Ctz(seeds));
    const unsigned s = r.s;
    const unsigned e = r.e;
    const uint64_t run = r.mask;
    seeds &= ~run;
    const bool joins = s == 0 && continuing;
    const bool open = e == len;  // may go on in the next bytes
    // A run shorter than min_digits bytes holds fewer digits.
    if (!joins && !open && e - s < min_digits_) continue;
    unsigned n = Popcount(digits & run);
    uint64_t start = base + s;
    if (joins) {
      n += run_digits_ + Popcount(run_tail_digits_);
      start = run_start_;
    }
    // The match's digits lie in [start, base + e); it reaches at most
    // width bytes beyond them, and the region keeps one byte more.
    if (n >= min_digits_) {
      AddRegion(regions_, {start >= width_ ? start - width_ : 0, base + e + width_});
      if (keep_spans_) AddRegion(spans_, {start, base + e}, kSpanMergeGap);
    }
    if (open) {
      run_open_ = true;
      run_start_ = start;
      run_digits_ = std::min(n, min_digits_);
      run_tail_digits_ = 0;
    }
  }
}

// Inlined: it runs for every chunk that holds a digit, most of them in text.
__attribute__((always_inline)) inline void DigitGate::Consume(uint64_t base, unsigned len,
                                                              const ChunkMasks& m) {
  if (max_gap_ == kAnyGap) {
    if (m.digits != 0) OnChunk(base, base + len, Popcount(m.digits));
  } else {
    RunsIn(base, len, m.digits);
  }
}

void DigitGate::Feed(const uint8_t* data, size_t len, uint64_t base) {
  const bool digits = keep_regions_ || keep_spans_;
  if (!digits && !track_blank_lines_) return;
  // The stream's start is a line's start: a line break there ends an empty
  // first line, a blank line, as ColumnTracker reads one it finds itself
  // (found by fuzz_differential: "\n" + a CSV head + rows masked in the
  // reference scan and not in the gated one).
  if (base == 0) {
    nl_before_ = 1;
    cr_before_ = false;
  }
  // Masks for a batch of chunks at a time, so that the vector loop runs
  // without a branch per chunk; the chunks without digits (most of a text)
  // are then passed over.
  constexpr size_t kBatch = 16;
  ChunkMasks masks[kBatch];
  uint64_t newlines[kBatch];
  const ChunkKernel kernel = KernelOf<1>(kernel_);
  // A chunk's masks are its digits (as ReadDigitMasks hands them out).
  static_assert(sizeof(ChunkMasks) == sizeof(uint64_t), "a mask is its digits");
  auto read = [&](const uint8_t* from, size_t n) {
    kernel(from, n, kNewline, reinterpret_cast<uint64_t*>(masks), newlines);
  };
  size_t i = 0;
  while (len - i >= 64) {
    const size_t n = std::min(kBatch, (len - i) / 64);
    read(data + i, n);
    if (track_blank_lines_) {
      // Most batches hold no '\n' within two bytes of another (nor one
      // near a chunk's end, where the next chunk may hold it): only the
      // line breaks at the batch's end are noted then.
      uint64_t near = (nl_before_ != 0) ? 1 : 0;
      for (size_t c = 0; c < n; ++c) {
        const uint64_t nl = newlines[c];
        near |= (nl & ((nl << 1) | (nl << 2))) | (nl >> 62);
      }
      if (near != 0) {
        NoteBlankLines(data + i, newlines, n, base + i, 64, len - i);
      } else {
        nl_before_ = 0;  // no '\n' among the batch's last two bytes
        cr_before_ = false;
      }
    }
    if (!digits || (try_quiet_ && QuietBatch(masks, n, base + i))) {
      i += 64 * n;
      continue;
    }
    if (SpansDense(masks, n, base + i)) {
      i += 64 * n;
      try_quiet_ = false;
      continue;
    }
    unsigned with_digits = 0;
    for (size_t c = 0; c < n; ++c, i += 64) {
      const ChunkMasks& m = masks[c];
      with_digits += m.digits != 0;
      // An open run has a digit among the last bytes: recent_ is not 0.
      if ((m.digits | recent_) == 0) continue;
      Consume(base + i, 64, m);
    }
    try_quiet_ = quiet_ok_ && 2 * with_digits >= n;
  }
  if (i < len) {
    // The tail, padded with NULs (no digits) to a chunk.
    const auto tail_len = static_cast<unsigned>(len - i);
    uint8_t tail[64] = {};
    std::memcpy(tail, data + i, tail_len);
    read(tail, 1);
    if (track_blank_lines_) NoteBlankLines(tail, newlines, 1, base + i, tail_len, tail_len);
    if (digits) Consume(base + i, tail_len, masks[0]);
  }
}

void DigitGate::FeedLines(const uint8_t* data, size_t len, uint64_t base) {
  const bool regions = keep_regions_;
  const bool spans = keep_spans_;
  keep_regions_ = false;
  keep_spans_ = false;
  Feed(data, len, base);
  keep_regions_ = regions;
  keep_spans_ = spans;
}

void DigitGate::NoteBlankLines(const uint8_t* data, const uint64_t* newlines, size_t n,
                               uint64_t base, unsigned last_len, size_t avail) {
  for (size_t c = 0; c < n; ++c) {
    const uint64_t nl = newlines[c];
    const uint8_t* chunk = data + 64 * c;
    const uint64_t before = nl_before_;
    // Byte i ends a blank line: '\n' after '\n', or after "\n\r".
    const uint64_t nl1 = (nl << 1) | (before & 1);
    const uint64_t nl2 = (nl << 2) | ((before & 1) << 1) | (before >> 1);
    if ((nl & (nl1 | nl2)) != 0) {
      uint64_t hit = nl & nl1;
      for (uint64_t cand = nl & nl2 & ~nl1; cand != 0; cand &= cand - 1) {
        const unsigned k = static_cast<unsigned>(__builtin_ctzll(cand));
        if (k == 0 ? cr_before_ : chunk[k - 1] == '\r') hit |= uint64_t{1} << k;
      }
      for (; hit != 0; hit &= hit - 1) {
        // A line that begins with markup, an indent or a bracket heads no
        // table (ColumnTracker): HTML and JSON hold many blank lines.
        const unsigned k = static_cast<unsigned>(__builtin_ctzll(hit));
        const size_t next = 64 * c + k + 1;
        if (next < avail) {
          if (HeadsNoTable(static_cast<char>(data[next]))) continue;
        }
        blank_line_ends_.push_back(base + 64 * c + k);
      }
    }
    // The last two bytes of the chunk for the next; a '\r' matters only
    // after a '\n'.
    if (c + 1 < n || last_len == 64) {
      nl_before_ = static_cast<unsigned>((nl >> 63) | (((nl >> 62) & 1) << 1));
      cr_before_ = ((nl >> 62) & 1) != 0 && chunk[63] == '\r';
    } else {
      const unsigned len = last_len;
      const unsigned last = (nl >> (len - 1)) & 1;
      const unsigned before_last = len >= 2 ? (nl >> (len - 2)) & 1 : nl_before_ & 1;
      nl_before_ = last | (before_last << 1);
      cr_before_ = before_last != 0 && chunk[len - 1] == '\r';
    }
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
  const Region r{start >= width_ ? start - width_ : 0, end + width_};
  if (keep_regions_) AddRegion(regions_, r);
  if (keep_spans_) AddRegion(spans_, r, kSpanMergeGap);
}

}  // namespace dlp
