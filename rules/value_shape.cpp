#include "rules/value_shape.h"

#include <algorithm>
#include <memory>
#include <string>

#include "rules/value_text.h"

namespace dlp {
namespace {

// Written by hand: the grammar is a dozen tokens, and what it must refuse
// matters as much as what it reads (RE2's parser would hand back a tree
// of every construct, to be refused one by one).

// A piece of a pattern: digits (a width range), one separator byte from a
// set, or a group of pieces repeated.
struct Piece {
  enum class Kind { kDigits, kSeparator, kGroup } kind = Kind::kDigits;
  unsigned lo = 1;
  unsigned hi = 1;
  ByteSet set;
  std::vector<Piece> children;
};

// A layout before its digits are merged: digits and separators in order.
struct Token {
  bool digits = true;
  unsigned lo = 0;
  unsigned hi = 0;
  ByteSet set;
};
using Tokens = std::vector<Token>;

constexpr size_t kMaxTokens = 64;

bool IsAlnum(char c) {
  return IsAsciiDigit(c) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

class Parser {
 public:
  explicit Parser(std::string_view s) : s_(s) {}

  // The whole pattern as a sequence, or false.
  bool Parse(std::vector<Piece>* out) { return Sequence(out) && i_ == s_.size(); }

 private:
  bool Sequence(std::vector<Piece>* out) {
    while (i_ < s_.size() && s_[i_] != ')') {
      Piece p;
      if (!Atom(&p) || !Quantifier(&p)) return false;
      out->push_back(std::move(p));
    }
    return !out->empty();
  }

  bool Atom(Piece* p) {
    const char c = s_[i_];
    if (c == '(') {
      if (s_.substr(i_, 3) != "(?:") return false;
      i_ += 3;
      p->kind = Piece::Kind::kGroup;
      if (!Sequence(&p->children) || i_ == s_.size() || s_[i_] != ')') return false;
      ++i_;
      return true;
    }
    if (c == '[') return Class(p);
    if (c == '\\') {
      if (i_ + 1 == s_.size()) return false;
      const char e = s_[i_ + 1];
      i_ += 2;
      if (e == 'd') {
        p->kind = Piece::Kind::kDigits;
        return true;
      }
      // An escaped punctuation byte stands for itself; other escapes
      // (\s, \w, \b, \x41) are classes or assertions this grammar leaves
      // to the engines.
      if (IsAlnum(e) || static_cast<unsigned char>(e) >= 0x80) return false;
      p->kind = Piece::Kind::kSeparator;
      p->set.Add(static_cast<uint8_t>(e));
      return true;
    }
    // A literal: punctuation or a space, never a digit or letter (a
    // literal digit is a prefix this grammar cannot name), nor a
    // metacharacter.
    if (IsAlnum(c) || static_cast<unsigned char>(c) >= 0x80 ||
        std::string_view(".^$|*+?{}])").find(c) != std::string_view::npos) {
      return false;
    }
    ++i_;
    p->kind = Piece::Kind::kSeparator;
    p->set.Add(static_cast<uint8_t>(c));
    return true;
  }

  // [...]: the ten digits exactly (digits), or bytes none of which is a
  // digit or letter (a separator).
  bool Class(Piece* p) {
    ++i_;
    if (i_ < s_.size() && s_[i_] == '^') return false;
    ByteSet set;
    bool first = true;
    while (i_ < s_.size() && (s_[i_] != ']' || first)) {
      first = false;
      int lo = 0;
      if (!ClassByte(&lo)) return false;
      int hi = lo;
      if (i_ + 1 < s_.size() && s_[i_] == '-' && s_[i_ + 1] != ']') {
        ++i_;
        if (!ClassByte(&hi) || hi < lo) return false;
      }
      for (int b = lo; b <= hi; ++b) set.Add(static_cast<uint8_t>(b));
    }
    if (i_ == s_.size()) return false;
    ++i_;  // ']'
    ByteSet digits;
    for (char d = '0'; d <= '9'; ++d) digits.Add(static_cast<uint8_t>(d));
    if (set.bits == digits.bits) {
      p->kind = Piece::Kind::kDigits;
      return true;
    }
    for (int b = 0; b < 256; ++b) {
      if (set.Has(static_cast<uint8_t>(b)) && (IsAlnum(static_cast<char>(b)) || b >= 0x80)) {
        return false;
      }
    }
    p->kind = Piece::Kind::kSeparator;
    p->set = set;
    return !set.Empty();
  }

  bool ClassByte(int* b) {
    char c = s_[i_];
    if (c == '\\') {
      if (i_ + 1 == s_.size()) return false;
      c = s_[i_ + 1];
      if (IsAlnum(c)) return false;  // \d, \s, \x..: not read here
      i_ += 2;
    } else {
      if (c == '[') return false;  // [:digit:] and the like
      ++i_;
    }
    *b = static_cast<unsigned char>(c);
    return true;
  }

  bool Quantifier(Piece* p) {
    if (i_ == s_.size()) return true;
    if (s_[i_] == '?') {
      ++i_;
      p->lo = 0;
      p->hi = 1;
      return Unrepeated();
    }
    if (s_[i_] != '{') return Unrepeated();
    const size_t close = s_.find('}', i_);
    if (close == std::string_view::npos) return false;
    const std::string_view body = s_.substr(i_ + 1, close - i_ - 1);
    const size_t comma = body.find(',');
    unsigned lo = 0;
    unsigned hi = 0;
    if (!Number(body.substr(0, comma), &lo)) return false;
    if (comma == std::string_view::npos) {
      hi = lo;
    } else if (!Number(body.substr(comma + 1), &hi) || hi < lo) {
      return false;  // {n,} is unbounded
    }
    i_ = close + 1;
    p->lo = lo;
    p->hi = hi;
    return hi > 0 && Unrepeated();
  }

  // No second quantifier (a lazy or possessive one) after the first.
  bool Unrepeated() const {
    return i_ == s_.size() || std::string_view("?*+{").find(s_[i_]) == std::string_view::npos;
  }

  static bool Number(std::string_view d, unsigned* out) {
    if (d.empty() || d.size() > 3) return false;
    unsigned v = 0;
    for (char c : d) {
      if (!IsAsciiDigit(c)) return false;
      v = v * 10 + static_cast<unsigned>(c - '0');
    }
    *out = v;
    return true;
  }

  std::string_view s_;
  size_t i_ = 0;
};

// Every layout of `pieces` appended to each of `prefixes`; false when they
// grow past the bounds.
bool Unroll(const std::vector<Piece>& pieces, std::vector<Tokens>* prefixes) {
  for (const Piece& p : pieces) {
    if (p.kind == Piece::Kind::kDigits) {
      // \d{lo,hi}: one token, its width a range.
      for (Tokens& t : *prefixes) t.push_back({true, p.lo, p.hi, {}});
      continue;
    }
    std::vector<Tokens> out;
    for (unsigned n = p.lo; n <= p.hi; ++n) {
      std::vector<Tokens> grown = *prefixes;
      for (unsigned k = 0; k < n; ++k) {
        if (p.kind == Piece::Kind::kSeparator) {
          for (Tokens& t : grown) t.push_back({false, 0, 0, p.set});
        } else if (!Unroll(p.children, &grown)) {
          return false;
        }
      }
      for (Tokens& t : grown) {
        if (t.size() > kMaxTokens) return false;
        out.push_back(std::move(t));
      }
      if (out.size() > ValueShape::kMaxLayouts) return false;
    }
    *prefixes = std::move(out);
  }
  return true;
}

// Digits, then (separator, digits) pairs: adjacent digits merge, two
// separators in a row or an empty group refuse the shape.
bool ToSlots(const Tokens& tokens, std::vector<ShapeSlot>* slots) {
  unsigned lo = 0;
  unsigned hi = 0;
  bool in_digits = false;
  ByteSet pending;  // the separator before the group being read
  auto close = [&] {
    if (!in_digits || lo == 0 || hi > 254) return false;  // 255: a wider run (shape_scan.cpp)
    slots->push_back({static_cast<uint8_t>(lo), static_cast<uint8_t>(hi), pending});
    in_digits = false;
    lo = hi = 0;
    return true;
  };
  for (const Token& t : tokens) {
    if (t.digits) {
      in_digits = true;
      lo += t.lo;
      hi += t.hi;
      continue;
    }
    if (!close()) return false;
    pending = t.set;
  }
  return close() && slots->size() <= ValueShape::kMaxGroups;
}

bool SameSlots(const std::vector<ShapeSlot>& a, const std::vector<ShapeSlot>& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                    [](const ShapeSlot& x, const ShapeSlot& y) {
                      return x.min_width == y.min_width && x.max_width == y.max_width &&
                             x.separator.bits == y.separator.bits;
                    });
}

}  // namespace

std::optional<ValueShape> ValueShape::Of(std::string_view regex) {
  std::vector<Piece> pieces;
  if (!Parser(regex).Parse(&pieces)) return std::nullopt;
  std::vector<Tokens> unrolled(1);
  if (!Unroll(pieces, &unrolled)) return std::nullopt;
  ValueShape shape;
  for (const Tokens& t : unrolled) {
    std::vector<ShapeSlot> slots;
    if (!ToSlots(t, &slots)) return std::nullopt;
    if (std::none_of(shape.layouts_.begin(), shape.layouts_.end(),
                     [&](const auto& l) { return SameSlots(l, slots); })) {
      shape.layouts_.push_back(std::move(slots));
    }
  }
  shape.min_groups_ = SIZE_MAX;
  shape.min_digits_ = UINT32_MAX;
  for (const auto& l : shape.layouts_) {
    shape.min_groups_ = std::min(shape.min_groups_, l.size());
    shape.max_groups_ = std::max(shape.max_groups_, l.size());
    unsigned lo = 0;
    unsigned hi = 0;
    for (size_t k = 0; k < l.size(); ++k) {
      lo += l[k].min_width;
      hi += l[k].max_width;
      for (size_t w = 0; w < 4; ++w) shape.separators_.bits[w] |= l[k].separator.bits[w];
    }
    shape.first_min_width_ = std::min<unsigned>(shape.first_min_width_, l[0].min_width);
    shape.first_max_width_ = std::max<unsigned>(shape.first_max_width_, l[0].max_width);
    shape.min_digits_ = std::min(shape.min_digits_, lo);
    shape.max_digits_ = std::max(shape.max_digits_, hi);
  }
  return shape;
}

}  // namespace dlp
