// Turns a rule's pattern into the expression both engines compile: the
// boundary's lead and trail context around a (?P<value>...) group.
//
// Hyperscan has no look-around, so a boundary is matched as real bytes on
// each side of the value. The match therefore spans one or two context bytes
// more than the value; RE2 later re-matches that span to find the value group
// (Hyperscan reports no groups). The trailing context also means a value is
// reported only once the byte after it is seen, or at end of stream.
#pragma once

#include <cstddef>
#include <string>

#include "rules/rule.h"

namespace dlp {

// The full expression for `spec`: its regex, then the context. If the
// pattern has no (?P<value>...) group, the whole pattern is the value.
// Patterns read the text as the application reads it, escapes decoded
// (dlpd/http/stream_normalizer.h): no pattern needs an encoded form.
std::string WrapPattern(const PatternSpec& spec);

// The body of WrapPattern(spec) without its contexts: what follows the lead
// context, which is one byte or none ('^').
std::string BodyOf(const PatternSpec& spec);

// Whether `spec` names its value with a (?P<value>...) group; if not, the
// whole body is the value (WrapPattern wraps it in one).
bool NamesItsValue(const PatternSpec& spec);

// Whether a value that begins at `value` (with the bytes from `text` on
// before it) is the fraction of a decimal number, which Boundary::kNumber
// excludes: a digit and '.' right before it ("12.4111111111111111"). A
// double in JSON prints up to 17 digits after the point; masking them (one
// random double in 200 passes Luhn and a brand's prefix) corrupts the
// number. Checked after a match, not in the lead context, because that is
// one byte (scan_context.cpp tries starts on that promise).
bool FractionOfDecimal(Boundary boundary, const char* text, const char* value);

// The most bytes a trailing context can take: a non-word byte, or a '%'
// and the byte after it.
constexpr size_t kMaxTrailBytes = 2;

}  // namespace dlp
