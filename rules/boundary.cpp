#include "rules/boundary.h"

namespace dlp {
namespace {

struct Context {
  const char* lead;
  const char* trail;
};

Context ContextFor(Boundary b) {
  switch (b) {
    case Boundary::kToken:
      // Not part of a longer token of letters, digits or dashes.
      return {"(?:^|[^0-9A-Za-z-])", "(?:[^0-9A-Za-z-]|$)"};
    case Boundary::kNumber:
      // Not next to a letter or digit. A space or dash next to the value may
      // be followed by more digits ("4111 1111 1111 1111 12/28"): treating
      // that as one longer number would let a card through unmasked.
      return {"(?:^|[^0-9A-Za-z])", "(?:[^0-9A-Za-z]|$)"};
    case Boundary::kNone:
      break;
  }
  return {"", ""};
}

}  // namespace

std::string WrapPattern(const PatternSpec& spec) {
  const bool has_value_group = spec.regex.find("(?P<value>") != std::string::npos;
  std::string body = has_value_group ? "(?:" + spec.regex + ")" : "(?P<value>" + spec.regex + ")";
  Context c = ContextFor(spec.boundary);
  return std::string(c.lead) + body + c.trail;
}

}  // namespace dlp
