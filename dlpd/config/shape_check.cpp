#include "dlpd/config/shape_check.h"

#include <re2/re2.h>

#include <random>
#include <set>
#include <tuple>
#include <vector>

#include "dlpd/inspect/display_form.h"
#include "dlpd/inspect/shape_scan.h"
#include "rules/boundary.h"

namespace dlp {
namespace {

// A match: its value's first and last byte + 1, and the match's end.
using Match = std::tuple<size_t, size_t, size_t>;

// Text that walks the edges of the shape: groups as wide as a slot allows
// and one digit narrower or wider, its separators and others, and the
// bytes a boundary reads around them.
std::string Generated(const ValueShape& shape, std::mt19937& rng) {
  auto pick = [&](size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng); };
  std::string separators;
  for (int b = 0; b < 256; ++b) {
    if (shape.separators().Has(static_cast<uint8_t>(b))) separators += static_cast<char>(b);
  }
  static const std::string kOther = " -.+/,:%aZ\n=_";
  std::string s;
  for (int piece = 0; piece < 12; ++piece) {
    // One byte to four between pieces: runs of digits long and short.
    for (size_t n = 1 + (pick(2) == 0 ? pick(4) : 0); n > 0; --n) s += kOther[pick(kOther.size())];
    const auto& layout = shape.layouts()[pick(shape.layouts().size())];
    const size_t groups = layout.size() + (pick(4) == 0 ? 1 : 0);
    for (size_t k = 0; k < groups; ++k) {
      const ShapeSlot& slot = layout[std::min(k, layout.size() - 1)];
      if (k > 0) {
        s += pick(5) != 0 && !separators.empty() ? separators[pick(separators.size())]
                                                 : kOther[pick(kOther.size())];
        // Now and then two separators: no group follows another so.
        if (pick(8) == 0) s += separators.empty() ? ' ' : separators[pick(separators.size())];
      }
      const int lo = std::max(1, slot.min_width - 1);
      const int hi = slot.max_width + 1;
      const int width = lo + static_cast<int>(pick(static_cast<size_t>(hi - lo + 1)));
      for (int d = 0; d < width; ++d) s += static_cast<char>('0' + pick(10));
    }
  }
  return s;
}

// What the walk reports for `text`, as the scanner walks it.
std::set<Match> Walked(const CompiledRuleset& rules, unsigned index, const std::string& text) {
  std::set<Match> out;
  ForEachShapedMatch(rules.patterns()[index], index, text, true, [&](const Candidate& c) {
    out.insert({c.from + c.lead, c.to - c.trail, c.to});
  });
  return out;
}

// What RE2 finds: every start and every end (as the reference scanner
// reads), less the values the walk does not try because no verdict would
// take them: too few or too many digits, or a beginning, for its
// validator; the fraction of a decimal number.
std::set<Match> Expected(const CompiledPattern& p, const std::string& text) {
  const re2::StringPiece input(text);
  std::vector<re2::StringPiece> groups(static_cast<size_t>(p.value_group) + 1);
  std::set<Match> out;
  for (size_t pos = 0; pos < text.size() && p.confirm->Match(input, pos, text.size(),
                                                             RE2::UNANCHORED, groups.data(), 1);) {
    const size_t start = static_cast<size_t>(groups[0].data() - text.data());
    for (size_t end = start + 1; end <= std::min(text.size(), start + p.max_width); ++end) {
      if (!p.confirm->Match(input, start, end, RE2::ANCHOR_BOTH, groups.data(),
                            static_cast<int>(groups.size()))) {
        continue;
      }
      const re2::StringPiece v = groups[static_cast<size_t>(p.value_group)];
      // Nor the fraction of a decimal number, which no verdict takes.
      if (v.empty() || FractionOfDecimal(p.boundary, text.data(), v.data())) continue;
      unsigned digits = 0;
      size_t first_width = 0;
      bool in_first = true;
      for (const char c : v) {
        const bool digit = c >= '0' && c <= '9';
        digits += digit;
        in_first = in_first && digit;
        first_width += in_first;
      }
      if (digits < p.walk_min_digits || digits > p.walk_max_digits) continue;
      const unsigned second = first_width >= 2 ? static_cast<unsigned>(v[1] - '0') : 0;
      if (first_width == 0 || !p.walk_begins[static_cast<unsigned>(v[0] - '0') * 10 + second]) {
        continue;
      }
      const auto at = static_cast<size_t>(v.data() - text.data());
      out.insert({at, at + v.size(), end});
    }
    pos = start + 1;
  }
  return out;
}

}  // namespace

std::string CheckShape(const CompiledRuleset& rules, unsigned pattern, uint32_t seed, int texts) {
  const CompiledPattern& p = rules.patterns()[pattern];
  if (!p.shape) return {};
  std::mt19937 rng(seed + pattern);
  for (int t = 0; t < texts; ++t) {
    const std::string text = Generated(*p.shape, rng);
    const std::set<Match> walked = Walked(rules, pattern, text);
    const std::set<Match> expected = Expected(p, text);
    if (walked == expected) continue;
    // The first match one has and the other has not.
    for (const auto* side : {&expected, &walked}) {
      const auto* other = side == &expected ? &walked : &expected;
      for (const Match& m : *side) {
        if (other->count(m) != 0) continue;
        const auto [from, to, end] = m;
        return std::string(side == &expected ? "the expression matches '" : "the walk reports '") +
               DisplayForm(std::string_view(text).substr(from, to - from)) + "' (ending at " +
               std::to_string(end) + ") where the " +
               (side == &expected ? "walk over digit runs does not" : "expression does not");
      }
    }
  }
  return {};
}

}  // namespace dlp
