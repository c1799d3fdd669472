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
#define DLP_NON_TOKEN_ESCAPE "%(?:[0-13-9A-Fa-f][0-9A-Fa-f]|2[0-9A-Ca-cE-Fe-f]|3[A-Fa-f])"

Context ContextFor(Boundary b) {
  // A plain '%' may not lead: the value would start inside an escape and
  // read its hex digits as digits. After the value, '%' may follow unless
  // it begins an encoded digit.
  switch (b) {
    case Boundary::kToken:
      // Not part of a longer token of letters, digits or dashes.
      return {"(?:^|[^0-9A-Za-z%-]|" DLP_NON_TOKEN_ESCAPE ")",
              "(?:[^0-9A-Za-z%-]|%(?:[013-9A-Fa-f]|2[^Dd]|3[^0-9])|%2?$|%3?$|$)"};
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

std::string WrapPattern(const PatternSpec& spec) {
  const std::string regex = WithEscapedDigits(spec.regex);
  const bool has_value_group = regex.find("(?P<value>") != std::string::npos;
  std::string body = has_value_group ? "(?:" + regex + ")" : "(?P<value>" + regex + ")";
  Context c = ContextFor(spec.boundary);
  return std::string(c.lead) + body + c.trail;
}

}  // namespace dlp
