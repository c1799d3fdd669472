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

// The full expression for `spec`: its regex WithEscapedDigits, then the
// context. If the pattern has no (?P<value>...) group, the whole pattern is
// the value.
std::string WrapPattern(const PatternSpec& spec);

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

// The most bytes a trailing context can take: a '%', then "3" and a
// non-digit (an escape that is no encoded digit).
constexpr size_t kMaxTrailBytes = 3;

// `expression` as it can match text that holds no '%' byte: every '%'
// outside a character class becomes a class that matches nothing, so the
// escape alternatives (encoded digits, %20, the contexts' escapes) fall
// away and Hyperscan computes the narrower width of what is left. On text
// without '%' both match exactly the same spans.
std::string PercentFree(const std::string& expression);

// The percent-free twin of WrapPattern(spec): PercentFree of its lead
// context and body, with its trailing context as it is (a '%' after a
// value, "100%", is no escape and ends it in both). It matches what the
// full expression matches on text where no '%' begins an escape (two hex
// digits after it), if `escapes_only` says so; else on text without '%'.
struct PercentFreeTwin {
  std::string expression;
  // Every '%' the lead context and body can match must be followed by two
  // hex digits (%20, %3\d, %(?:[0-24-9A-Fa-f][0-9A-Fa-f]|...)): checked on
  // the regex text, conservatively (a construct it cannot read says no).
  bool escapes_only = false;
  // The twin's body alone, without its contexts: what follows the lead
  // context, which in the twin is one byte or none ('^').
  std::string body;
};
PercentFreeTwin TwinOf(const PatternSpec& spec);

// `regex` with every \d outside a character class also matching a
// percent-encoded digit, %30-%39 (a server decodes "%34%31..." to "41...",
// so a value written that way is a value). Inside a class ([\d ]) a \d
// stays one byte.
std::string WithEscapedDigits(const std::string& regex);

}  // namespace dlp
