// Holds a pattern's shape (rules/value_shape.h) to its expression: on
// generated text (groups of digits around the widths its layouts allow,
// its separators and others, letters, a '%', line breaks), the matches
// the walk over digit runs reports (dlpd/inspect/shape_scan.h) must be
// those RE2 finds, value for value and end for end. `dlpctl rules check`
// and `dlpd --check` run it for every shaped pattern, so a pattern the
// shape reader misreads fails the check instead of losing values.
#pragma once

#include <cstdint>
#include <string>

#include "rules/compiled_ruleset.h"

namespace dlp {

// Empty when they agree on `texts` generated texts (seeded: the same
// texts every run); else what differs, with the value masked.
std::string CheckShape(const CompiledRuleset& rules, unsigned pattern, uint32_t seed = 1,
                       int texts = 40);

}  // namespace dlp
