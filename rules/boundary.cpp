#include "rules/boundary.h"

namespace dlp {
namespace {

struct Context {
  const char* lead;
  const char* trail;
};

Context ContextFor(Boundary b) {
  // The text is as the application reads it (escapes decoded,
  // dlpd/http/stream_normalizer.h): a '%' here is a '%', no escape. After
  // a value, a '%' is taken with the byte after it (or the end): the same
  // values, reported a byte later, and Hyperscan builds a faster database
  // from that shape (measured: bench/scan_bench json 414 -> 527 MB/s, form
  // 338 -> 360; a one-byte trail makes it pick a slower engine).
  switch (b) {
    case Boundary::kToken:
      // Not part of a longer token of letters, digits or dashes.
      return {"(?:^|[^0-9A-Za-z-])", "(?:[^0-9A-Za-z%-]|%(?:.|$)|$)"};
    case Boundary::kNumber:
      // Not next to a letter or digit. A space or dash next to the value may
      // be followed by more digits ("4111 1111 1111 1111 12/28"): treating
      // that as one longer number would let a card through unmasked.
      return {"(?:^|[^0-9A-Za-z])", "(?:[^0-9A-Za-z%]|%(?:.|$)|$)"};
    case Boundary::kNone:
      break;
  }
  return {"", ""};
}

struct Parts {
  std::string lead;
  std::string body;
  std::string trail;
};

// WrapPattern(spec) in its three parts.
Parts Wrapped(const PatternSpec& spec) {
  const std::string& regex = spec.regex;
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

std::string BodyOf(const PatternSpec& spec) {
  return Wrapped(spec).body;
}

}  // namespace dlp
