// The shape of a pattern whose every match is a run of digit groups, read
// from the pattern itself: `\d{13,19}`, `\d{3}[ +-]\d{2}[ +-]\d{4}`,
// `\d{4}(?:[ +-]\d{2,7}){2,4}`. With a number or token boundary around it,
// such a pattern matches exactly the runs of whole groups of digits, one
// separator byte apart, whose widths and separators fit one of its
// layouts: a group cannot begin or end inside a run of digits, since a
// separator or the boundary's context (never a digit) is on each side. So
// the scanner can find its matches by walking the digit runs the gate
// already found (dlpd/inspect/shape_scan.h), and needs neither Hyperscan
// nor RE2 for them.
//
// Only this small grammar is read: `\d` or `[0-9]` with `{n}`, `{n,m}` or
// `?`; one separator byte, as a class (`[ +-]`) or a literal (` `, `\-`);
// non-capturing groups of separators and digits with such a quantifier. A
// pattern that is anything else (a literal digit, an alternation, a value
// group, a class mixing digits and other bytes) has no shape, and runs in
// Hyperscan as before. `dlpctl rules check` holds every shape to its
// pattern's RE2 program on generated text (rules/shape_check.h).
//
// Immutable once built; safe to share between threads.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace dlp {

// A set of bytes, one bit each.
struct ByteSet {
  std::array<uint64_t, 4> bits{};
  void Add(uint8_t b) { bits[b >> 6] |= uint64_t{1} << (b & 63); }
  bool Has(uint8_t b) const { return ((bits[b >> 6] >> (b & 63)) & 1) != 0; }
  bool Empty() const { return (bits[0] | bits[1] | bits[2] | bits[3]) == 0; }
};

// One group of a layout: its width in digits, and the bytes that may
// separate it from the group before (none for the first).
struct ShapeSlot {
  uint8_t min_width = 1;
  uint8_t max_width = 1;
  ByteSet separator;
};

class ValueShape {
 public:
  // The most layouts one pattern may unroll to (each choice of a group's
  // repeat count is one); a pattern with more has no shape.
  static constexpr size_t kMaxLayouts = 32;
  // The most groups a layout may have.
  static constexpr size_t kMaxGroups = 16;

  // The shape of `regex` (a pattern's body as written, without boundary),
  // or none when it is not of the grammar above.
  static std::optional<ValueShape> Of(std::string_view regex);

  // Whether groups of `widths` (n of them), separated by the bytes
  // `separators` (n - 1 of them), fit one of the layouts.
  bool Fits(const uint8_t* widths, const uint8_t* separators, size_t n) const {
    for (const auto& l : layouts_) {
      if (l.size() != n) continue;
      bool ok = true;
      for (size_t k = 0; k < n && ok; ++k) {
        ok = widths[k] >= l[k].min_width && widths[k] <= l[k].max_width &&
             (k == 0 || l[k].separator.Has(separators[k - 1]));
      }
      if (ok) return true;
    }
    return false;
  }

  size_t min_groups() const { return min_groups_; }
  size_t max_groups() const { return max_groups_; }
  unsigned min_digits() const { return min_digits_; }
  unsigned max_digits() const { return max_digits_; }
  // Bytes that may separate some two groups (every layout, every slot).
  const ByteSet& separators() const { return separators_; }
  // The narrowest and widest first group of any layout.
  unsigned first_min_width() const { return first_min_width_; }
  unsigned first_max_width() const { return first_max_width_; }
  const std::vector<std::vector<ShapeSlot>>& layouts() const { return layouts_; }

 private:
  std::vector<std::vector<ShapeSlot>> layouts_;
  size_t min_groups_ = 0;
  size_t max_groups_ = 0;
  unsigned min_digits_ = 0;
  unsigned max_digits_ = 0;
  unsigned first_min_width_ = 255;
  unsigned first_max_width_ = 0;
  ByteSet separators_;
};

}  // namespace dlp
