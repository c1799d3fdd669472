// The rule model: what a policy author writes in a rule file (see
// rules/default/*.yaml and the README's rule authoring guide).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dlp {

enum class Severity { kLow, kMedium, kHigh, kCritical };

// How a confirmed value is overwritten. Every style keeps the length.
enum class MaskStyle {
  kDigits,     // every digit becomes 'X', separators stay: 536-22-1457 -> XXX-XX-XXXX
  kAll,        // every byte becomes 'X'
  kKeepLast4,  // digits become 'X' except the last four digits
};

// What may stand next to a value for it to count as a value of its own,
// rather than a piece of a longer token. The compiler wraps the pattern with
// the matching lead/trail context (see rules/boundary.h).
enum class Boundary {
  kNone,    // the pattern says it all
  kToken,   // not adjacent to a letter, digit or dash (US SSN)
  kNumber,  // not adjacent to a letter or digit (payment cards)
};

struct PatternSpec {
  std::string regex;  // Hyperscan/RE2 common syntax; may mark the value with (?P<value>...)
  Boundary boundary = Boundary::kNone;
  int line = 0;  // where it stands in its rule file, for error messages
};

struct RuleExample {
  std::string text;
  std::optional<std::string> masked;  // the expected output of masking `text`, when given
  int line = 0;
};

struct Rule {
  std::string id;
  std::string name;
  std::string description;
  Severity severity = Severity::kHigh;
  std::string validator = "none";
  MaskStyle mask = MaskStyle::kDigits;
  std::vector<PatternSpec> patterns;
  // The bytes a value can be made of, as a character class. The packet path
  // holds a segment back only while it ends in such bytes (a value may go on
  // in the next segment), so it must cover every byte of every value.
  std::string value_chars = "[0-9 -]";
  int value_chars_line = 0;
  // When > 0, a promise that every match of every pattern holds at least
  // this many ASCII digits: the scanner then runs the rule's patterns only
  // near such clusters of digits (inspect/digit_gate.h). 0: scanned everywhere.
  unsigned min_digits = 0;
  // With min_digits, a further promise: in every match without a '%', those
  // digits follow one another with at most this many other bytes between
  // one and the next (a card's groups: 1). The gate then looks for runs of
  // digits instead of windows, and skips far more text.
  std::optional<unsigned> digit_gap;
  std::vector<RuleExample> match_examples;
  std::vector<RuleExample> no_match_examples;
  std::string file;  // the rule file it came from ("<default>/pan.yaml" for embedded rules)
  int line = 0;
};

struct RuleSet {
  std::vector<Rule> rules;
  std::string version;  // short hash of every rule file's bytes: which set an incident saw
};

const char* ToString(Severity s);
const char* ToString(MaskStyle m);
const char* ToString(Boundary b);
std::optional<Severity> ParseSeverity(const std::string& s);
std::optional<MaskStyle> ParseMaskStyle(const std::string& s);
std::optional<Boundary> ParseBoundary(const std::string& s);

}  // namespace dlp
