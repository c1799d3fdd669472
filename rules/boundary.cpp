#include "rules/boundary.h"

#include <string_view>

namespace dlp {
namespace {

struct Context {
  const char* lead;
  const char* trail;
};

// An escape that is not an encoded digit (%30-%39): a separator, like the
// byte it stands for ("%20" a space, "%3D" an equals sign). For kToken an
// encoded dash (%2D) continues the token, as a dash does.
#define DLP_NON_DIGIT_ESCAPE "%(?:[0-24-9A-Fa-f][0-9A-Fa-f]|3[A-Fa-f])"
#define DLP_NON_TOKEN_ESCAPE "%(?:[0-14-9A-Fa-f][0-9A-Fa-f]|2[0-9A-Ca-cE-Fe-f]|3[A-Fa-f])"

Context ContextFor(Boundary b) {
  // A plain '%' may not lead: the value would start inside an escape and
  // read its hex digits as digits. After the value, '%' may follow unless
  // it begins an encoded digit.
  switch (b) {
    case Boundary::kToken:
      // Not part of a longer token of letters, digits or dashes.
      return {"(?:^|[^0-9A-Za-z%-]|" DLP_NON_TOKEN_ESCAPE ")",
              "(?:[^0-9A-Za-z%-]|%(?:[^23]|2[^Dd]|3[^0-9])|%2?$|%3?$|$)"};
    case Boundary::kNumber:
      // Not next to a letter or digit. A space or dash next to the value may
      // be followed by more digits ("4111 1111 1111 1111 12/28"): treating
      // that as one longer number would let a card through unmasked.
      return {"(?:^|[^0-9A-Za-z%]|" DLP_NON_DIGIT_ESCAPE ")",
              "(?:[^0-9A-Za-z%]|%(?:[^3]|3[^0-9])|%3?$|$)"};
    case Boundary::kNone:
      break;
  }
  return {"", ""};
}

#undef DLP_NON_DIGIT_ESCAPE
#undef DLP_NON_TOKEN_ESCAPE

// Copies `regex`, passing each token outside a character class (a
// backslash escape, or one byte) through `replace`. A hand-written walk,
// not a regex library's rewriter: neither Hyperscan nor RE2 exposes one,
// and only escapes and classes need tracking.
template <typename F>
std::string RewriteOutsideClasses(const std::string& regex, F&& replace) {
  std::string out;
  out.reserve(regex.size() * 2);
  bool in_class = false;
  for (size_t i = 0; i < regex.size(); ++i) {
    const char c = regex[i];
    const size_t n = c == '\\' && i + 1 < regex.size() ? 2 : 1;
    const std::string_view token(regex.data() + i, n);
    i += n - 1;
    if (in_class) {
      if (n == 1 && c == ']') in_class = false;
      out += token;
    } else if (n == 1 && c == '[') {
      in_class = true;
      out += c;
      // A ']' first in the class (after an optional '^') is a literal.
      if (i + 1 < regex.size() && regex[i + 1] == '^') out += regex[++i];
      if (i + 1 < regex.size() && regex[i + 1] == ']') out += regex[++i];
    } else {
      out += replace(token);
    }
  }
  return out;
}

bool IsHex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F') || (c >= 'a' && c <= 'f');
}

bool IsQuantifier(std::string_view re, size_t at) {
  return at < re.size() && (re[at] == '?' || re[at] == '*' || re[at] == '+' || re[at] == '{');
}

// Where the group or class opened at `open` closes (one past it), or npos.
size_t CloseOf(std::string_view re, size_t open) {
  int depth = 0;
  bool in_class = false;
  for (size_t i = open; i < re.size(); ++i) {
    const char c = re[i];
    if (c == '\\') {
      ++i;
    } else if (in_class) {
      if (c == ']' && !(i > 0 && (re[i - 1] == '[' || (re[i - 1] == '^' && re[i - 2] == '[')))) {
        in_class = false;
        if (depth == 0) return i + 1;
      }
    } else if (c == '[') {
      in_class = true;
    } else if (c == '(') {
      ++depth;
    } else if (c == ')' && --depth == 0) {
      return i + 1;
    }
  }
  return std::string_view::npos;
}

// Whether the class [..] at re[from, to) holds hex digits only.
bool HexClass(std::string_view re, size_t from, size_t to) {
  std::string_view body = re.substr(from + 1, to - from - 2);
  if (body.empty() || body[0] == '^') return false;
  for (size_t i = 0; i < body.size(); ++i) {
    if (body[i] == '\\') {
      if (i + 1 >= body.size() || body[i + 1] != 'd') return false;
      ++i;
      continue;
    }
    if (!IsHex(body[i])) return false;
    if (i + 2 < body.size() && body[i + 1] == '-') {
      // A range within one block: 0-9, A-F or a-f.
      const char lo = body[i];
      const char hi = body[i + 2];
      const auto block = [](char c) { return c <= '9' ? 0 : c <= 'F' ? 1 : 2; };
      if (!IsHex(hi) || hi < lo || block(lo) != block(hi)) return false;
      i += 2;
    }
  }
  return true;
}

// Whether every match of re[at, ...) begins with `need` hex digits: a
// conservative reading of literals, \d, classes and groups (each of whose
// alternatives must supply all of them), none of them quantified.
bool BeginsWithHex(std::string_view re, size_t at, unsigned need) {
  while (need > 0) {
    if (at >= re.size()) return false;
    size_t next = 0;
    if (re.compare(at, 2, "\\d") == 0) {
      next = at + 2;
    } else if (re[at] == '[') {
      next = CloseOf(re, at);
      if (next == std::string_view::npos || !HexClass(re, at, next)) return false;
    } else if (re[at] == '(') {
      next = CloseOf(re, at);
      if (next == std::string_view::npos || IsQuantifier(re, next)) return false;
      // The alternatives, split at top-level '|'.
      size_t from = at + 1;
      if (re.compare(from, 2, "?:") == 0) {
        from += 2;
      } else if (re.compare(from, 3, "?P<") == 0) {
        from = re.find('>', from);
        if (from == std::string_view::npos || from >= next) return false;
        ++from;
      } else if (re[from] == '?') {
        return false;  // flags or other group kinds: not read
      }
      if (from >= next - 1) return false;  // an empty group supplies nothing
      for (size_t alt = from; alt < next - 1;) {
        size_t end = alt;
        while (end < next - 1 && re[end] != '|') {
          if (re[end] == '\\') {
            end += 2;
          } else if (re[end] == '[' || re[end] == '(') {
            end = CloseOf(re, end);
            if (end == std::string_view::npos) return false;
          } else {
            ++end;
          }
        }
        if (!BeginsWithHex(re.substr(0, end), alt, need)) return false;
        alt = end + 1;
      }
      return true;
    } else if (IsHex(re[at])) {
      next = at + 1;
    } else {
      return false;
    }
    if (IsQuantifier(re, next)) return false;
    at = next;
    --need;
  }
  return true;
}

// Whether every '%' (or "\%") outside a class in `regex` must be followed
// by two hex digits.
bool PercentOnlyInEscapes(const std::string& regex) {
  bool ok = true;
  size_t at = 0;
  RewriteOutsideClasses(regex, [&](std::string_view t) {
    at = static_cast<size_t>(t.data() - regex.data()) + t.size();
    if ((t == "%" || t == "\\%") && !BeginsWithHex(regex, at, 2)) ok = false;
    return t;
  });
  return ok;
}

}  // namespace

std::string WithEscapedDigits(const std::string& regex) {
  return RewriteOutsideClasses(regex, [](std::string_view t) -> std::string_view {
    return t == "\\d" ? "(?:\\d|%3\\d)" : t;
  });
}

std::string PercentFree(const std::string& expression) {
  return RewriteOutsideClasses(expression, [](std::string_view t) -> std::string_view {
    return t == "%" || t == "\\%" ? "[^\\x00-\\xff]" : t;
  });
}

namespace {

struct Parts {
  std::string lead;
  std::string body;
  std::string trail;
};

// WrapPattern(spec) in its three parts.
Parts Wrapped(const PatternSpec& spec) {
  const std::string regex = WithEscapedDigits(spec.regex);
  std::string body = NamesItsValue(spec) ? "(?:" + regex + ")" : "(?P<value>" + regex + ")";
  Context c = ContextFor(spec.boundary);
  return {c.lead, std::move(body), c.trail};
}

}  // namespace

bool NamesItsValue(const PatternSpec& spec) {
  return spec.regex.find("(?P<value>") != std::string::npos;
}

bool FractionOfDecimal(Boundary boundary, const char* text, const char* value) {
  return boundary == Boundary::kNumber && value - text >= 2 && value[-1] == '.' &&
         value[-2] >= '0' && value[-2] <= '9';
}

std::string WrapPattern(const PatternSpec& spec) {
  Parts p = Wrapped(spec);
  return p.lead + p.body + p.trail;
}

PercentFreeTwin TwinOf(const PatternSpec& spec) {
  Parts p = Wrapped(spec);
  return {PercentFree(p.lead + p.body) + p.trail, PercentOnlyInEscapes(p.lead + p.body),
          PercentFree(p.body)};
}

}  // namespace dlp
