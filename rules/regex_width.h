// The fewest and the most bytes a match of a pattern can span, read from
// the pattern's text: what Hyperscan's hs_expression_info says of it, for
// the engine without Hyperscan (rules/re2_engine.h), which must refuse
// the same unbounded and empty patterns (rules/compiled_ruleset.h).
//
// Byte semantics, as dlpd compiles every pattern: Latin-1, '.' matches any
// byte (DOTALL). The syntax is RE2's (which Hyperscan's accepts too, for the
// patterns dlpd takes): alternation, groups ((?:...), (?P<name>...),
// (?flags) and (?flags:...)), classes, escapes, \Q...\E, anchors and word
// boundaries (no width), and the repeats *, +, ?, {n}, {n,}, {n,m}, lazy or
// not. Hand-written: RE2's parse tree is not in its public headers.
//
// Thread-safety: a pure function.
#pragma once

#include <climits>
#include <optional>
#include <string>
#include <string_view>

namespace dlp {

struct RegexWidth {
  unsigned min = 0;
  unsigned max = 0;  // kUnbounded when a repeat has no upper bound
  static constexpr unsigned kUnbounded = UINT_MAX;
};

// Nullopt (and *error set, if given) when `pattern` does not parse.
std::optional<RegexWidth> WidthOf(std::string_view pattern, std::string* error = nullptr);

}  // namespace dlp
