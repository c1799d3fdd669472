#include "dlpd/inspect/shape_scan.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <vector>

#include "dlpd/inspect/digit_gate.h"
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

// Which groups of digits a walk needs. A match is one group at least
// `alone_min_width` digits wide, or groups one separator byte apart: a
// narrower group that no separator joins to the group before or after it
// is part of no match, and is not listed. In web-API bodies most groups
// are such (prices, quantities, the parts of dates and times), and each
// listed group costs a walk its marking and its test.
struct GroupFilter {
  // The separators, found by vector compares; when there are more than
  // MarkBytes::kMax, every byte that is no digit counts as one.
  MarkBytes separators;
  bool any_separator = false;
  unsigned alone_min_width = 256;

  GroupFilter(const std::vector<uint8_t>& separator_bytes, unsigned alone_min) {
    any_separator = separator_bytes.size() > MarkBytes::kMax;
    if (!any_separator) {
      separators.n = separator_bytes.size();
      std::copy(separator_bytes.begin(), separator_bytes.end(), separators.bytes);
    }
    alone_min_width = std::clamp(alone_min, 1U, 256U);
    steps = DoublingSteps(alone_min_width);
  }
  // WideEnough's shifts (DoublingSteps).
  std::array<unsigned, 7> steps{};
};

// Bit b: bits b - width + 1 to b of `d` are all set, the bits below bit 0
// taken as set when `ones_before` (a group that began in an earlier
// chunk: counted as wide, which only lists it). By doubling, in the
// filter's steps (0 after the last).
uint64_t WideEnough(uint64_t d, const GroupFilter& f, bool ones_before) {
  const uint64_t below = ones_before ? ~uint64_t{0} : 0;
  uint64_t x = f.alone_min_width > 64 ? d & below : d;
  for (const unsigned step : f.steps) {
    if (step == 0) break;
    x &= (x << step) | (below >> (64 - step));
  }
  return x;
}

// The groups of digits a walk needs (GroupFilter), in order, read 64 bytes
// at a time from masks of their digits and separators (vector compares),
// a block of up to 16 chunks per Read: where each begins and ends (text
// offsets). The groups are chosen on the masks, a few instructions a chunk
// whatever it holds; only those listed cost more. A group is listed once
// its end is read.
class GroupReader {
 public:
  static constexpr size_t kBlock = 16 * 64;
  // Room for a block's groups (at most one per two bytes) and those kept
  // from the blocks before (Drop forgets the others).
  static constexpr size_t kListAtOnce = 4;
  static constexpr size_t kCap = kBlock / 2 + 2 * ValueShape::kMaxGroups + 2 + kListAtOnce;

  explicit GroupReader(const GroupFilter& filter) : filter_(filter) {}

  // Reads text[at, at + len), len <= kBlock, of a text of `size` bytes;
  // `to` is where the walk's text ends (at + len <= to <= size; text[to],
  // when there is one, is read and taken as no digit of a group). The
  // first Read of a text starts at 0 or after a byte that is no digit.
  void Read(const uint8_t* text, size_t at, size_t len, size_t to, size_t size) {
    uint64_t masks[16];
    uint64_t marks[16];
    const size_t whole = len / 64;
    const auto tail = static_cast<unsigned>(len % 64);
    if (tail != 0 && at + 64 * (whole + 1) <= size) {
      // The text goes on past the tail (a short span): its chunk is read.
      ReadDigitAndMarkMasks(text + at, whole + 1, filter_.separators, masks, marks);
      masks[whole] &= (uint64_t{1} << tail) - 1;
      marks[whole] &= (uint64_t{1} << tail) - 1;
    } else {
      if (whole > 0) ReadDigitAndMarkMasks(text + at, whole, filter_.separators, masks, marks);
      if (tail != 0) {
        // Padded with NULs, which are no digits (nor separators: a NUL
        // separator, were there one, would mark only the padding).
        uint8_t padded[64] = {};
        std::memcpy(padded, text + at + 64 * whole, tail);
        ReadDigitAndMarkMasks(padded, 1, filter_.separators, masks + whole, marks + whole);
        masks[whole] &= (uint64_t{1} << tail) - 1;
        marks[whole] &= (uint64_t{1} << tail) - 1;
      }
    }
    const size_t chunks = whole + (tail != 0 ? 1 : 0);
    for (size_t c = 0; c < chunks; ++c) {
      const uint64_t d = masks[c];
      const unsigned n = c == whole ? tail : 64;
      const uint64_t valid = n == 64 ? ~uint64_t{0} : (uint64_t{1} << n) - 1;
      const size_t o = at + 64 * c;
      // Whether the byte after the chunk is a digit; and whether it is a
      // separator with a digit after it (taken as so at the block's end:
      // listing a group more is safe).
      uint64_t next = 0;
      uint64_t joint_after = 1;
      if (c + 1 < chunks) {
        next = masks[c + 1] & 1;
        const uint64_t sep = filter_.any_separator ? ~masks[c + 1] : marks[c + 1];
        joint_after = sep & ~masks[c + 1] & (masks[c + 1] >> 1) & 1;
      } else if (o + n < to) {
        next = IsAsciiDigit(text[o + n]) ? 1 : 0;
      }
      const uint64_t top = uint64_t{1} << (n - 1);
      const uint64_t after = (d >> 1) | (next != 0 ? top : 0);
      const uint64_t before = (d << 1) | digit_before_;
      // Separators with a digit on each side.
      const uint64_t sep = (filter_.any_separator ? ~d : marks[c]) & valid;
      const uint64_t joints = sep & ~d & before & after;
      const uint64_t starts = d & ~before;
      const uint64_t lasts = d & ~after;  // each group's last digit
      // The seeds: a digit of each group to list.
      uint64_t seeds = (starts & ((joints << 1) | joint_before_)) |
                       (lasts & ((joints >> 1) | (joint_after != 0 ? top : 0))) |
                       WideEnough(d, filter_, digit_before_ != 0);
      // Adding a group's seeds to its digits carries out of its last
      // digit into the byte after it, and only so: that byte is set in
      // the sum for exactly the groups with a seed.
      uint64_t sum = 0;
      const bool carry = __builtin_add_overflow(d, seeds, &sum);
      uint64_t listed_ends = sum & ~d & valid;  // bit e: a listed group ends before e
      const bool top_listed = n == 64 ? carry : ((sum >> n) & 1) != 0;
      // Four listed at once whether there are so many or not (the rest
      // when there are more): a loop that ends where the groups do
      // mispredicts its end about once a chunk.
      size_t count = 0;
      for (size_t k = 0; k < kListAtOnce; ++k) {
        List(d, o, static_cast<unsigned>(__builtin_ctzll(listed_ends | (uint64_t{1} << 63))), k);
        count += listed_ends != 0 ? 1 : 0;
        listed_ends &= listed_ends - 1;
      }
      for (; listed_ends != 0; listed_ends &= listed_ends - 1) {
        List(d, o, static_cast<unsigned>(__builtin_ctzll(listed_ends)), count++);
      }
      n_ += count;
      // The last group, when it ends with the chunk and is listed; else
      // (it goes on in the next chunk, where it is listed: WideEnough
      // counts it wide) where it began. Without branches: whether a chunk
      // ends inside a group is as likely as not.
      const uint32_t top_start = StartOf(d, o, n);
      start_[n_] = top_start;
      end_[n_] = static_cast<uint32_t>(o + n);
      n_ += top_listed && next == 0 ? 1 : 0;
      open_start_ = top_start;
      digit_before_ = (d >> (n - 1)) & 1;
      joint_before_ = (joints >> (n - 1)) & 1;
    }
  }

  // Forgets the first `k` groups (k <= ends()).
  void Drop(size_t k) {
    std::memmove(start_, start_ + k, (n_ - k) * sizeof start_[0]);
    std::memmove(end_, end_ + k, (n_ - k) * sizeof end_[0]);
    n_ -= k;
  }

  size_t ends() const { return n_; }
  // Group i (i < ends()): [start(i), end(i)).
  uint32_t start(size_t i) const { return start_[i]; }
  uint32_t end(size_t i) const { return end_[i]; }
  // Its width, capped at 255 (no layout slot is wider than 254).
  uint8_t width(size_t i) const {
    return static_cast<uint8_t>(std::min<uint32_t>(end_[i] - start_[i], 255));
  }
  // Its first two digits as walk_begins reads them (the first and 0 for a
  // group of one digit), of `text`, the text read.
  unsigned first_two(const uint8_t* text, size_t i) const {
    const uint32_t s = start_[i];
    return (text[s] - '0') * 10U + (end_[i] - s >= 2 ? text[s + 1] - '0' : 0U);
  }
  // Whether it follows the group before after one byte (a separator): only
  // such groups may share a value. (A group between them that is not
  // listed is joined to neither, so listed neighbours in the list that
  // are one byte apart are neighbours in the text.)
  bool joined(size_t i) const { return i > 0 && start_[i] == end_[i - 1] + 1; }

 private:
  // Where the group whose last digit is bit e - 1 of the chunk at text
  // offset o (digit mask d) begins.
  uint32_t StartOf(uint64_t d, size_t o, unsigned e) const {
    const uint64_t gaps = ~d & ((uint64_t{1} << (e - 1)) - 1);
    // The last gap's bit (bit 0 or'ed in: clz needs a bit set).
    const unsigned s = 63 - static_cast<unsigned>(__builtin_clzll(gaps | 1));
    const uint32_t here = static_cast<uint32_t>(o + (gaps == 0 ? 0 : s + 1));
    return gaps == 0 && digit_before_ != 0 ? open_start_ : here;  // begun in a chunk before
  }
  // Writes the group that ends before bit e of the chunk as the k-th
  // after the listed ones (counted by the caller).
  void List(uint64_t d, size_t o, unsigned e, size_t k) {
    start_[n_ + k] = StartOf(d, o, e);
    end_[n_ + k] = static_cast<uint32_t>(o + e);
  }

  const GroupFilter& filter_;
  uint32_t start_[kCap];
  uint32_t end_[kCap];
  size_t n_ = 0;
  uint64_t digit_before_ = 0;
  uint64_t joint_before_ = 0;
  // Where the group open at the last chunk's end began.
  uint32_t open_start_ = 0;
};

// A match the walk found: [from, to) in the text walked, with its lead
// and trailing context bytes, and the last of its groups. Handed over as
// scalars: most are turned down by their validator, and building a
// Candidate for each cost more than the test.
struct WalkMatch {
  uint32_t from;
  uint32_t to;
  uint8_t lead;
  uint8_t trail;
  bool ends_text;
  size_t last;
};

// Every match of pattern `p` whose first group is g's group `i`, in
// `text` (`size` bytes): f(match). Precondition: the group's width fits
// the first group of one of its layouts, its first digits are ones the
// pattern's values may begin with (walk_begins), and g holds the groups
// after it that a match may take (shape.max_groups() - 1 of them, or to
// the text's end).
template <typename F>
void WalkFrom(const CompiledPattern& p, const GroupReader& g, size_t i, const uint8_t* text,
              size_t size, bool at_stream_start, F&& f) {
  const ValueShape& shape = *p.shape;
  const uint32_t at = g.start(i);
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
  uint8_t widths[ValueShape::kMaxGroups];
  uint8_t between[ValueShape::kMaxGroups];  // between[k]: the byte before group k > 0
  unsigned digits = 0;
  for (size_t k = 0; k < shape.max_groups() && i + k < g.ends(); ++k) {
    const size_t j = i + k;
    if (k > 0) {
      if (!g.joined(j)) break;
      between[k] = text[g.start(j) - 1];
      if (!separators.Has(between[k])) break;
    }
    widths[k] = g.width(j);
    digits += g.end(j) - g.start(j);
    if (digits > p.walk_max_digits) break;
    if (k + 1 < shape.min_groups() || digits < p.walk_min_digits) continue;
    const uint32_t end = g.end(j);
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
    if (!shape.Fits(widths, between + 1, k + 1)) continue;
    f(WalkMatch{at - lead, end + trail, lead, trail, ends_text, j});
  }
}

// A candidate of the walk (offsets in the text walked).
Candidate CandidateOf(unsigned pattern, const WalkMatch& m) {
  Candidate c;
  c.pattern = pattern;
  c.from = m.from;
  c.to = m.to;
  c.exact = true;
  c.known = true;
  c.lead = m.lead;
  c.trail = m.trail;
  c.ends_text = m.ends_text;
  return c;
}

// The digits of g's groups first..last, into `buf` (room for `max`), when
// the separators between them are one byte of one kind, none an escape:
// what a validator reads of the value then. Empty otherwise (the
// validator reads the value itself).
std::string_view GroupDigits(const GroupReader& g, size_t first, size_t last, const uint8_t* text,
                             char* buf, size_t max) {
  size_t n = 0;
  const uint8_t separator = last > first ? text[g.start(first + 1) - 1] : 0;
  if (separator == '%') return {};
  for (size_t k = first; k <= last; ++k) {
    if (k > first + 1 && text[g.start(k) - 1] != separator) return {};
    const size_t w = g.end(k) - g.start(k);
    if (n + w > max) return {};
    std::memcpy(buf + n, text + g.start(k), w);
    n += w;
  }
  return {buf, n};
}

// Reads the groups of text[from, to) of a text of `size` bytes (from is 0
// or follows a byte that is no digit; to is `size` or a byte that is
// none). For each group that may begin a match, may(width, first two
// digits) returns a mask of the patterns whose match it may begin (0
// mostly); walk(groups, i, mask) is called for it once the groups a match
// from it may take are read. `reach`: the most groups a match takes.
// Returns the groups listed.
template <typename May, typename Walk>
size_t ForEachBeginning(const uint8_t* text, size_t size, size_t from, size_t to, size_t reach,
                        const GroupFilter& filter, May&& may, Walk&& walk) {
  GroupReader g(filter);
  size_t listed = 0;
  // The groups that may begin a match, waiting for the groups after them.
  // Marked as the groups are read, without a branch per group: in
  // number-dense text which group may is unpredictable, and mispredicted
  // branches cost more than the tests.
  uint64_t begins[GroupReader::kCap];
  uint16_t waiting[GroupReader::kCap];
  size_t n_waiting = 0;
  size_t marked = 0;
  const size_t keep = reach > 0 ? reach - 1 : 0;
  for (size_t at = from; at < to;) {
    const size_t len = std::min(GroupReader::kBlock, to - at);
    g.Read(text, at, len, to, size);
    at += len;
    for (; marked < g.ends(); ++marked) {
      const uint64_t m = may(g.width(marked), g.first_two(text, marked));
      begins[marked] = m;
      waiting[n_waiting] = static_cast<uint16_t>(marked);
      n_waiting += m != 0 ? 1 : 0;
    }
    // Each group waiting whose match's groups are all read.
    const bool last = at >= to;
    const size_t ready = last ? g.ends() : (g.ends() > keep ? g.ends() - keep : 0);
    size_t k = 0;
    for (; k < n_waiting && waiting[k] < ready; ++k) walk(g, waiting[k], begins[waiting[k]]);
    if (last) return listed + g.ends();
    // Keep the groups from the first that may still be walked or be walked
    // over.
    const size_t drop = ready;
    for (size_t w = k; w < n_waiting; ++w) {
      const size_t was = waiting[w];
      begins[was - drop] = begins[was];
      waiting[w - k] = static_cast<uint16_t>(was - drop);
    }
    n_waiting -= k;
    listed += drop;
    g.Drop(drop);
    marked -= drop;
  }
  return listed + g.ends();
}

}  // namespace

ShapedWalk CollectShapedCandidates(ScanContext& ctx, const DigitGate* gate, const uint8_t* text,
                                   size_t size, uint64_t base, uint64_t skip_before) {
  const CompiledRuleset& rules = ctx.rules();
  if (rules.shaped().empty()) return {};
  // A match that ends before skip_before is not wanted; one that begins
  // before `first` does (no match is wider than max_width, trailing context
  // included).
  size_t first = 0;
  const uint64_t margin = uint64_t{rules.max_width()} + kMaxTrailBytes + 1;
  if (skip_before > base + margin) first = std::min<size_t>(size, skip_before - base - margin);
  std::vector<Candidate>& out = ctx.candidates();
  auto may = [&rules](uint8_t width, unsigned two) {
    return rules.shaped_by_first_width(width) & rules.shaped_by_begin(two);
  };
  auto walk = [&](const GroupReader& g, size_t i, uint64_t m) {
    // A group that no next group joins is a match alone or none: most
    // groups of 3 or 4 digits (an SSN's or a card's first) stand alone.
    const bool joins = i + 1 < g.ends() && g.joined(i + 1) &&
                       rules.shaped_separators().Has(text[g.start(i + 1) - 1]);
    if (!joins) {
      // And then only if its validator may take a number of its width
      // that begins so (a 13-digit one that begins 17 is no card).
      const uint8_t w = g.width(i);
      m &= w <= CompiledRuleset::kMaxAloneWidth ? rules.shaped_alone(w, g.first_two(text, i))
                                                : rules.shaped_alone_by_width(w);
    }
    for (; m != 0; m &= m - 1) {
      const unsigned index = rules.shaped()[static_cast<size_t>(__builtin_ctzll(m))];
      const CompiledPattern& p = rules.patterns()[index];
      const Validator& valid = rules.validator(p.rule_index);
      WalkFrom(p, g, i, text, size, base == 0, [&](const WalkMatch& m) {
        // From the groups' digits where it can: reading them back out of
        // the value costs a branch per byte.
        char buf[32];
        const std::string_view digits = valid.takes_digits()
                                            ? GroupDigits(g, i, m.last, text, buf, sizeof buf)
                                            : std::string_view();
        Validation v;
        if (!digits.empty()) {
          v = valid.OfDigits(digits);
        } else {
          const std::string_view value(reinterpret_cast<const char*>(text) + m.from + m.lead,
                                       m.to - m.trail - m.from - m.lead);
          v = valid(value);
        }
        if (!v.valid) return;
        Candidate& c = out.emplace_back(CandidateOf(index, m));
        c.validation = v;
        c.from += base;
        c.to += base;
      });
    }
  };
  const GroupFilter filter(rules.shaped_separator_bytes(), rules.shaped_alone_min_width());
  const uint64_t end = base + size;
  // Where spans cover much of the text (number-dense bodies), one walk over
  // all of it costs less than one per span: it reads the groups between
  // them too, but without a span's setup, and on no second pass.
  uint64_t covered = size;
  if (gate != nullptr) {
    covered = 0;
    for (const Region& r : gate->spans()) {
      if (r.to > base && r.from < end) covered += std::min(r.to, end) - std::max(r.from, base);
    }
  }
  const Region whole{base, end};
  const bool dense = covered * 4 >= size;
  const Region* spans = dense ? &whole : gate->spans().data();
  const size_t n_spans = dense ? 1 : gate->spans().size();
  ShapedWalk seen;
  for (size_t k = 0; k < n_spans; ++k) {
    const Region& r = spans[k];
    if (r.to <= base || r.from >= end) continue;
    size_t from = static_cast<size_t>(std::max(r.from, base) - base);
    size_t to = static_cast<size_t>(std::min(r.to, end) - base);
    if (to <= first) continue;
    from = std::max(from, first);
    // From a byte after no digit, where a group begins, to one that is no
    // digit, where one ends.
    while (from > 0 && IsAsciiDigit(text[from - 1])) --from;
    while (to < size && IsAsciiDigit(text[to])) ++to;
    seen.listed +=
        ForEachBeginning(text, size, from, to, rules.shaped_max_groups(), filter, may, walk);
  }
  seen.dense = gate != nullptr ? dense : seen.listed * ShapedWalk::kDenseBytesPerGroup >= size;
  return seen;
}

void ForEachShapedMatch(const CompiledPattern& p, unsigned pattern_index, std::string_view text,
                        bool at_stream_start, const std::function<void(const Candidate&)>& f) {
  if (!p.shape) return;
  const auto* bytes = reinterpret_cast<const uint8_t*>(text.data());
  const ValueShape& shape = *p.shape;
  auto may = [&](uint8_t width, unsigned two) -> uint64_t {
    return width >= shape.first_min_width() && width <= shape.first_max_width() &&
           p.walk_begins[two];
  };
  std::vector<uint8_t> separators;
  for (int b = 0; b < 256; ++b) {
    const auto byte = static_cast<uint8_t>(b);
    if (shape.separators().Has(byte)) separators.push_back(byte);
  }
  // A group alone is a match only if at least walk_min_digits wide.
  const GroupFilter filter(separators, shape.min_groups() == 1 ? p.walk_min_digits : 256U);
  ForEachBeginning(bytes, text.size(), 0, text.size(), shape.max_groups(), filter, may,
                   [&](const GroupReader& g, size_t i, uint64_t) {
                     WalkFrom(p, g, i, bytes, text.size(), at_stream_start,
                              [&](const WalkMatch& m) { f(CandidateOf(pattern_index, m)); });
                   });
}

}  // namespace dlp
