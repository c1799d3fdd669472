#include "dlpd/inspect/shape_scan.h"

#include <algorithm>
#include <cstring>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "rules/boundary.h"
#include "rules/value_text.h"

namespace dlp {
namespace {

// The boundary's lead context, one byte (rules/boundary.cpp): never a
// letter or digit, and for a token not a dash.
bool LeadOk(Boundary b, uint8_t c) {
  return !IsAsciiAlnum(c) && (b != Boundary::kToken || c != '-');
}
// Its trailing context's first byte: the same, and a '%' only with the
// byte after it (or the end).
bool TrailOk(Boundary b, uint8_t c) {
  return LeadOk(b, c);
}

// Bit i: p[i] is an ASCII digit, for i < n <= 64; `avail` bytes are
// readable at p (a vector load reads 16 at a time when they are).
uint64_t DigitMask(const uint8_t* p, size_t n, size_t avail) {
  uint64_t m = 0;
  size_t i = 0;
#if defined(__SSE2__)
  // Signed compares: bytes >= 0x80 are negative, hence never digits.
  const __m128i below = _mm_set1_epi8('0' - 1);
  const __m128i above = _mm_set1_epi8('9' + 1);
  for (; i < n && i + 16 <= avail; i += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    const __m128i digit = _mm_and_si128(_mm_cmpgt_epi8(v, below), _mm_cmplt_epi8(v, above));
    m |= uint64_t{static_cast<uint16_t>(_mm_movemask_epi8(digit))} << i;
  }
#endif
  for (; i < n; ++i) m |= uint64_t{IsAsciiDigit(p[i])} << i;
  return n == 64 ? m : m & ((uint64_t{1} << n) - 1);
}

// Groups of digits of one run, read a window at a time: where each begins
// and ends (text offsets), its width (capped at 255: no layout slot is
// wider than 254) and the byte before it, and whether it is a single byte
// after the group before (a separator): only such groups may share a value.
struct RunGroups {
  static constexpr size_t kCap = 64;
  uint32_t start[kCap];
  uint32_t end[kCap];
  uint8_t width[kCap];
  uint8_t separator[kCap];
  bool joined[kCap];
  size_t n = 0;
  // With `rules` set before Read: begins[i], the shaped patterns (bit k:
  // CompiledRuleset::shaped()[k]) a match of which group i may begin, by
  // its width and first two digits (shaped_by_first_width and
  // shaped_by_begin); bit i of may_begin, whether there is one. Marked as
  // the groups are read, without a branch per group: in number-dense text
  // which group may is unpredictable, and mispredicted branches cost more
  // than the tests.
  const CompiledRuleset* rules = nullptr;
  uint64_t begins[kCap];
  uint64_t may_begin = 0;

  void Mark(const uint8_t* text, uint32_t s, unsigned w) {
    const unsigned second = w >= 2 ? text[s + 1] - '0' : 0U;
    const unsigned two = (text[s] - '0') * 10U + second;
    const uint64_t may =
        rules->shaped_by_first_width(static_cast<uint8_t>(w)) & rules->shaped_by_begin(two);
    begins[n] = may;
    may_begin |= uint64_t{may != 0} << n;
  }

  // Reads up to kCap groups of [from, to) (both ends digits) in `text`
  // (`size` bytes); returns where reading stopped (`to` when the run is
  // read to its end).
  size_t Read(const uint8_t* text, size_t size, size_t from, size_t to) {
    if (to - from <= 64) {
      // Most runs (a number, a date, a decimal): their groups from a mask
      // of their digits, without a branch per byte.
      const uint64_t m = DigitMask(text + from, to - from, size - from);
      uint64_t starts = m & ~(m << 1);
      uint64_t ends = m & ~(m >> 1);  // each group's last digit
      n = 0;
      may_begin = 0;
      uint32_t last_end = 0;
      while (starts != 0) {
        const auto s = static_cast<uint32_t>(from + static_cast<size_t>(__builtin_ctzll(starts)));
        const auto e = static_cast<uint32_t>(from + static_cast<size_t>(__builtin_ctzll(ends)) + 1);
        starts &= starts - 1;
        ends &= ends - 1;
        start[n] = s;
        end[n] = e;
        width[n] = static_cast<uint8_t>(e - s);
        separator[n] = s > 0 ? text[s - 1] : 0;
        joined[n] = n > 0 && s - last_end == 1;
        if (rules != nullptr) Mark(text, s, e - s);
        last_end = e;
        ++n;
      }
      return to;
    }
    n = 0;
    may_begin = 0;
    size_t i = from;
    bool one_byte_gap = false;
    while (i < to && n < kCap) {
      const size_t s = i;
      while (i < to && IsAsciiDigit(text[i])) ++i;
      start[n] = static_cast<uint32_t>(s);
      end[n] = static_cast<uint32_t>(i);
      width[n] = static_cast<uint8_t>(std::min<size_t>(i - s, 255));
      separator[n] = s > 0 ? text[s - 1] : 0;
      joined[n] = one_byte_gap;
      if (rules != nullptr) Mark(text, start[n], width[n]);
      ++n;
      size_t j = i;
      while (j < to && !IsAsciiDigit(text[j])) ++j;
      one_byte_gap = j - i == 1;
      i = j;
    }
    return i;
  }
};

// Every match of pattern `p` (index `index`) whose first group is g's
// group `i`, in `text` (`size` bytes): f(candidate, last group) with
// offsets in `text`. The group's width fits the first group of one of its
// layouts, and its first digits are ones the pattern's values may begin
// with (walk_begins).
template <typename F>
void WalkFrom(const CompiledPattern& p, unsigned index, const RunGroups& g, size_t i,
              const uint8_t* text, size_t size, bool at_stream_start, F&& f) {
  const ValueShape& shape = *p.shape;
  const uint32_t at = g.start[i];
  uint8_t lead = 1;
  if (at == 0) {
    if (!at_stream_start) return;  // the byte before is not at hand
    lead = 0;                      // '^'
  } else if (!LeadOk(p.boundary, text[at - 1]) ||
             FractionOfDecimal(p.boundary, reinterpret_cast<const char*>(text),
                               reinterpret_cast<const char*>(text + at))) {
    return;  // the fraction of a decimal number is none of it (JudgeValue says so too)
  }
  const ByteSet& separators = shape.separators();
  unsigned digits = 0;
  for (size_t k = 0; k < shape.max_groups() && i + k < g.n; ++k) {
    const size_t j = i + k;
    if (k > 0 && (!g.joined[j] || !separators.Has(g.separator[j]))) break;
    digits += g.end[j] - g.start[j];
    if (digits > p.walk_max_digits) break;
    if (k + 1 < shape.min_groups() || digits < p.walk_min_digits) continue;
    const uint32_t end = g.end[j];
    uint8_t trail = 0;
    bool ends_text = false;
    if (end == size) {
      ends_text = true;  // '$'
    } else if (!TrailOk(p.boundary, text[end])) {
      continue;
    } else if (text[end] == '%') {
      trail = end + 1 < size ? 2 : 1;  // '%' and the byte after it, or '%$'
      ends_text = trail == 1;
    } else {
      trail = 1;
    }
    if (!shape.Fits(g.width + i, g.separator + i + 1, k + 1)) continue;
    Candidate c;
    c.pattern = index;
    c.from = at - lead;
    c.to = end + trail;
    c.exact = true;
    c.known = true;
    c.lead = lead;
    c.trail = trail;
    c.ends_text = ends_text;
    f(c, j);
  }
}

// The digits of g's groups first..last, into `buf` (room for `max`), when
// the separators between them are one byte of one kind, none an escape:
// what a validator reads of the value then. Empty otherwise (the
// validator reads the value itself).
std::string_view GroupDigits(const RunGroups& g, size_t first, size_t last, const uint8_t* text,
                             char* buf, size_t max) {
  size_t n = 0;
  for (size_t k = first; k <= last; ++k) {
    if (k > first && (g.separator[k] != g.separator[first + 1] || g.separator[k] == '%')) return {};
    const size_t w = g.end[k] - g.start[k];
    if (n + w > max) return {};
    std::memcpy(buf + n, text + g.start[k], w);
    n += w;
  }
  return {buf, n};
}

// Walks the run [from, to) of `text` a window of groups at a time: `walk(
// groups, starts)` for the groups whose matches lie whole in the window.
template <typename W>
void ForEachWindow(const uint8_t* text, size_t size, size_t from, size_t to, RunGroups& g,
                   W&& walk) {
  static_assert(RunGroups::kCap > ValueShape::kMaxGroups, "a window holds a whole match");
  for (size_t at = from;;) {
    const size_t stopped = g.Read(text, size, at, to);
    if (stopped >= to) {
      walk(g, g.n);
      return;
    }
    // The last groups may begin matches that go on past the window: they
    // begin the next one.
    const size_t starts = g.n - (ValueShape::kMaxGroups - 1);
    walk(g, starts);
    at = g.start[starts];
  }
}

}  // namespace

void CollectShapedCandidates(ScanContext& ctx, const DigitGate& gate, const uint8_t* text,
                             size_t size, uint64_t base, uint64_t skip_before) {
  const CompiledRuleset& rules = ctx.rules();
  if (rules.shaped().empty()) return;
  RunGroups groups;
  groups.rules = &rules;
  std::vector<Candidate>& out = ctx.candidates();
  const uint64_t end = base + size;
  for (const Region& r : gate.runs()) {
    // A match ends at most a trailing context past its run.
    if (r.to + kMaxTrailBytes < skip_before || r.to <= base || r.from >= end) continue;
    size_t from = static_cast<size_t>(std::max(r.from, base) - base);
    size_t to = static_cast<size_t>(std::min(r.to, end) - base);
    while (to > from && !IsAsciiDigit(text[to - 1])) --to;
    while (from < to && !IsAsciiDigit(text[from])) ++from;
    if (from == to) continue;
    ForEachWindow(text, size, from, to, groups, [&](const RunGroups& g, size_t starts) {
      // The groups that may begin a match: wide enough for a first group,
      // and with first digits a value may begin with (a timestamp begins
      // 17, no card does).
      uint64_t walk = starts >= 64 ? g.may_begin : g.may_begin & ((uint64_t{1} << starts) - 1);
      for (; walk != 0; walk &= walk - 1) {
        const size_t i = static_cast<size_t>(__builtin_ctzll(walk));
        for (uint64_t m = g.begins[i]; m != 0; m &= m - 1) {
          const unsigned index = rules.shaped()[static_cast<size_t>(__builtin_ctzll(m))];
          const CompiledPattern& p = rules.patterns()[index];
          const Validator& valid = rules.validator(p.rule_index);
          WalkFrom(p, index, g, i, text, size, base == 0, [&](Candidate c, size_t last) {
            // From the groups' digits where it can: reading them back out
            // of the value costs a branch per byte.
            char buf[32];
            const std::string_view digits = valid.takes_digits()
                                                ? GroupDigits(g, i, last, text, buf, sizeof buf)
                                                : std::string_view();
            if (!digits.empty()) {
              c.validation = valid.OfDigits(digits);
            } else {
              const std::string_view value(reinterpret_cast<const char*>(text) + c.from + c.lead,
                                           c.to - c.trail - c.from - c.lead);
              c.validation = valid(value);
            }
            if (!c.validation.valid) return;
            c.from += base;
            c.to += base;
            out.push_back(c);
          });
        }
      }
    });
  }
}

void ForEachShapedMatch(const CompiledPattern& p, unsigned pattern_index, std::string_view text,
                        size_t from, size_t to, bool at_stream_start,
                        const std::function<void(const Candidate&)>& f) {
  if (!p.shape) return;
  const auto* bytes = reinterpret_cast<const uint8_t*>(text.data());
  to = std::min(to, text.size());
  while (to > from && !IsAsciiDigit(bytes[to - 1])) --to;
  while (from < to && !IsAsciiDigit(bytes[from])) ++from;
  if (from == to) return;
  RunGroups groups;
  ForEachWindow(bytes, text.size(), from, to, groups, [&](const RunGroups& g, size_t starts) {
    for (size_t i = 0; i < starts; ++i) {
      if (g.width[i] < p.shape->first_min_width() || g.width[i] > p.shape->first_max_width()) {
        continue;
      }
      const uint8_t* first = bytes + g.start[i];
      if (!p.walk_begins[(first[0] - '0') * 10U + (g.width[i] >= 2 ? first[1] - '0' : 0U)]) {
        continue;
      }
      WalkFrom(p, pattern_index, g, i, bytes, text.size(), at_stream_start,
               [&](const Candidate& c, size_t) { f(c); });
    }
  });
}

}  // namespace dlp
