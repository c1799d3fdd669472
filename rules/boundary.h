// Turns a rule's pattern into the expression both engines compile: the
// boundary's lead and trail context around a (?P<value>...) group.
//
// Hyperscan has no look-around, so a boundary is matched as real bytes on
// each side of the value. The match therefore spans one or two context bytes
// more than the value; RE2 later re-matches that span to find the value group
// (Hyperscan reports no groups). The trailing context also means a value is
// reported only once the byte after it is seen, or at end of stream.
#pragma once

#include <string>

#include "rules/rule.h"

namespace dlp {

// The full expression for `spec`. If the pattern has no (?P<value>...) group,
// the whole pattern is the value.
std::string WrapPattern(const PatternSpec& spec);

}  // namespace dlp
