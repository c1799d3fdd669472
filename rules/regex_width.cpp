#include "rules/regex_width.h"

#include <algorithm>
#include <cctype>

namespace dlp {
namespace {

constexpr unsigned kInf = RegexWidth::kUnbounded;

unsigned Add(unsigned a, unsigned b) {
  return a == kInf || b == kInf || a > kInf - b ? kInf : a + b;
}

unsigned Mul(unsigned a, unsigned n) {
  if (a == 0 || n == 0) return 0;
  if (a == kInf || n == kInf || a > kInf / n) return kInf;
  return a * n;
}

// A recursive-descent reader of one pattern; `error` is set at the first
// thing it cannot read.
class Reader {
 public:
  explicit Reader(std::string_view p) : p_(p) {}

  std::optional<RegexWidth> Whole(std::string* error) {
    RegexWidth w = Alternation();
    if (error_.empty() && i_ < p_.size()) Fail("unmatched ')'");
    if (!error_.empty()) {
      if (error != nullptr) *error = error_;
      return std::nullopt;
    }
    return w;
  }

 private:
  bool done() const { return i_ >= p_.size() || !error_.empty(); }
  void Fail(const std::string& why) {
    if (error_.empty()) error_ = why + " at offset " + std::to_string(i_);
  }

  RegexWidth Alternation() {
    RegexWidth w = Concatenation();
    while (!done() && p_[i_] == '|') {
      ++i_;
      const RegexWidth b = Concatenation();
      w.min = std::min(w.min, b.min);
      w.max = std::max(w.max, b.max);
    }
    return w;
  }

  RegexWidth Concatenation() {
    RegexWidth w;
    while (!done() && p_[i_] != '|' && p_[i_] != ')') {
      const RegexWidth a = Repeated();
      w.min = Add(w.min, a.min);
      w.max = Add(w.max, a.max);
    }
    return w;
  }

  // Reads digits at i_; false (and i_ unchanged) if there are none.
  bool Number(unsigned* n) {
    const size_t from = i_;
    unsigned v = 0;
    while (i_ < p_.size() && std::isdigit(static_cast<unsigned char>(p_[i_])) != 0) {
      v = std::min(v * 10 + static_cast<unsigned>(p_[i_] - '0'), 100000U);
      ++i_;
    }
    *n = v;
    return i_ > from;
  }

  // {n}, {n,}, {n,m} at i_ (just past '{'); false, i_ unchanged, when
  // what follows is no repeat (RE2 then reads '{' as itself).
  bool Braces(unsigned* lo, unsigned* hi) {
    const size_t from = i_;
    if (!Number(lo)) return false;
    *hi = *lo;
    if (i_ < p_.size() && p_[i_] == ',') {
      ++i_;
      if (!Number(hi)) *hi = kInf;
    }
    if (i_ < p_.size() && p_[i_] == '}') {
      ++i_;
      return true;
    }
    i_ = from;
    return false;
  }

  RegexWidth Repeated() {
    RegexWidth w = Atom();
    while (!done()) {
      const char c = p_[i_];
      unsigned lo = 0, hi = 0;
      if (c == '*') {
        lo = 0, hi = kInf, ++i_;
      } else if (c == '+') {
        lo = 1, hi = kInf, ++i_;
      } else if (c == '?') {
        lo = 0, hi = 1, ++i_;
      } else if (c == '{') {
        ++i_;
        if (!Braces(&lo, &hi)) {
          --i_;
          break;
        }
        if (hi != kInf && hi < lo) Fail("bad repetition operator");
      } else {
        break;
      }
      if (i_ < p_.size() && p_[i_] == '?') ++i_;  // lazy
      w.min = Mul(w.min, lo);
      w.max = w.max == 0 ? 0 : Mul(w.max, hi);
    }
    return w;
  }

  RegexWidth One() { return {1, 1}; }

  RegexWidth Atom() {
    const char c = p_[i_];
    switch (c) {
      case '(':
        return Group();
      case '[':
        return Class();
      case '\\':
        return Escape();
      case '^':
      case '$':
        ++i_;
        return {0, 0};
      case '*':
      case '+':
      case '?':
        Fail("missing argument to repetition operator");
        return {};
      default:
        ++i_;
        return One();
    }
  }

  RegexWidth Group() {
    ++i_;  // '('
    if (i_ < p_.size() && p_[i_] == '?') {
      ++i_;
      if (i_ < p_.size() && (p_[i_] == 'P' || p_[i_] == '<')) {
        // (?P<name>...) or (?<name>...)
        if (p_[i_] == 'P') ++i_;
        const size_t close = p_.find('>', i_);
        if (i_ >= p_.size() || p_[i_] != '<' || close == std::string_view::npos) {
          Fail("invalid named capture group");
          return {};
        }
        i_ = close + 1;
      } else {
        // Flags: (?i) alone has no width; (?i:...) is a group.
        while (i_ < p_.size() &&
               (std::isalpha(static_cast<unsigned char>(p_[i_])) != 0 || p_[i_] == '-')) {
          ++i_;
        }
        if (i_ < p_.size() && p_[i_] == ')') {
          ++i_;
          return {0, 0};
        }
        if (i_ >= p_.size() || p_[i_] != ':') {
          Fail("invalid or unsupported group flags");
          return {};
        }
        ++i_;
      }
    }
    RegexWidth w = Alternation();
    if (i_ >= p_.size() || p_[i_] != ')') {
      Fail("missing ')'");
      return {};
    }
    ++i_;
    return w;
  }

  RegexWidth Class() {
    ++i_;  // '['
    if (i_ < p_.size() && p_[i_] == '^') ++i_;
    if (i_ < p_.size() && p_[i_] == ']') ++i_;  // a leading ']' is itself
    while (i_ < p_.size() && p_[i_] != ']') {
      if (p_.compare(i_, 2, "[:") == 0) {
        // A POSIX class up to ":]"; with none, '[' is itself.
        const size_t close = p_.find(":]", i_ + 2);
        i_ = close == std::string_view::npos ? i_ + 1 : close + 2;
      } else if (p_[i_] == '\\') {
        i_ += 2;
        SkipEscapeBody();
      } else {
        ++i_;
      }
    }
    if (i_ >= p_.size()) {
      Fail("missing ']'");
      return {};
    }
    ++i_;
    return One();
  }

  // After "\x" or "\p" and the like: their braces or their one or two
  // characters; after an octal digit, up to two more (\012 is one byte).
  void SkipEscapeBody() {
    const char e = p_[i_ - 1];
    if (e >= '0' && e <= '7') {
      for (int k = 0; k < 2 && i_ < p_.size() && p_[i_] >= '0' && p_[i_] <= '7'; ++k) ++i_;
      return;
    }
    if (e == 'x' || e == 'p' || e == 'P') {
      if (i_ < p_.size() && p_[i_] == '{') {
        const size_t close = p_.find('}', i_);
        i_ = close == std::string_view::npos ? p_.size() : close + 1;
      } else {
        i_ += e == 'x' ? 2 : 1;
      }
    }
  }

  RegexWidth Escape() {
    if (i_ + 1 >= p_.size()) {
      ++i_;
      Fail("trailing \\");
      return {};
    }
    const char e = p_[i_ + 1];
    i_ += 2;
    switch (e) {
      case 'b':
      case 'B':
      case 'A':
      case 'z':
        return {0, 0};
      case 'C':
        Fail("\\C is not supported");
        return {};
      default:
        SkipEscapeBody();
        return One();
    }
  }

  std::string_view p_;
  size_t i_ = 0;
  std::string error_;
};

// `pattern` with each \Q...\E quote written as one escaped character per
// character: a repeat after \E binds to the quote's last character only,
// and after an empty quote to the atom before it, as RE2 reads them.
std::string Unquoted(std::string_view p) {
  std::string out;
  out.reserve(p.size());
  for (size_t i = 0; i < p.size(); ++i) {
    if (p[i] != '\\' || i + 1 >= p.size()) {
      out += p[i];
      continue;
    }
    if (p[i + 1] != 'Q') {
      out.append(p, i, 2);
      ++i;
      continue;
    }
    const size_t end = p.find("\\E", i + 2);
    const size_t stop = end == std::string_view::npos ? p.size() : end;
    for (size_t j = i + 2; j < stop; ++j) {
      if (std::isalnum(static_cast<unsigned char>(p[j])) == 0) out += '\\';
      out += p[j];
    }
    i = end == std::string_view::npos ? p.size() : end + 1;
  }
  return out;
}

}  // namespace

std::optional<RegexWidth> WidthOf(std::string_view pattern, std::string* error) {
  const std::string unquoted = Unquoted(pattern);
  return Reader(unquoted).Whole(error);
}

}  // namespace dlp
