// The rule model: what a policy author writes in a rule file (see
// rules/default/*.yaml and doc/policy-author.md, dlpd-rules(5)).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dlpd/common/signature_id.h"
#include "rules/validators.h"

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
  // Its matches count only with one of the rule's keywords where the
  // rule's context says (a bare nine-digit number is an SSN only so).
  bool needs_context = false;
  int line = 0;  // where it stands in its rule file, for error messages
};

struct RuleExample {
  std::string text;
  std::optional<std::string> masked;  // the expected output of masking `text`, when given
  int line = 0;
};

// The most bytes before a value a rule's `context: before` may name.
constexpr unsigned kMaxContextBefore = 128;
// How far before a value its label may begin (a JSON key, a table row's
// header cell, a multipart part's headers); the stream scanner keeps at
// least this much text before every candidate of a rule with context.
constexpr unsigned kLabelReach = 256;
// How far past a grouped value's end its verdict may look (does its run of
// groups go on? are the next two lines rows of the same shape?): two line
// breaks and rows of up to 19 digits in up to 8 groups, and a byte after.
constexpr unsigned kLayoutLookAhead = 64;

// Where a keyword makes a value count that needs one (a pattern with
// `context: required`, or a validator's weak match such as a 13-digit Visa).
// See dlpd/inspect/value_context.h for how each place is read.
struct ContextSpec {
  std::vector<std::string> keywords;  // as written; matched case-insensitively by words
  // The bytes before the value on its own line that may hold a keyword,
  // when the value has no label of its own (free text: "SSN of applicant: ").
  unsigned before = 0;
  // The value's own label decides: a JSON key, a form field's or an
  // <input>'s name, the header cell of its table row, a multipart part's name.
  bool labels = false;
  // A CSV/TSV column whose header holds a keyword: every row's field there.
  bool columns = false;
  // Words that, in the value's own label (and with no keyword there), name
  // another kind of number: "order_id", "gtin", "trace-id". Such a value is
  // no value of the rule, whatever it looks like.
  std::vector<std::string> exclude;
  int line = 0;
};

struct Rule {
  std::string id;
  std::string name;
  std::string description;
  // How a SIEM sees the rule's alerts (EVE's alert object, as Suricata's
  // rules set it). sid 0: dlpd's own id for the rule (signature_id());
  // classtype empty: "Data Leakage" (category()); metadata: the JSON object
  // of key -> [values] its alerts carry, built once by the loader ("" none).
  uint32_t sid = 0;
  uint32_t rev = 1;
  std::string classtype;
  std::string metadata_json;
  uint32_t signature_id() const { return sid != 0 ? sid : DefaultSignatureId(id); }
  std::string_view category() const {
    return classtype.empty() ? kDefaultAlertCategory : std::string_view(classtype);
  }
  Severity severity = Severity::kHigh;
  std::string validator = "none";
  // Set when the rule file describes a checksum instead of naming one.
  std::optional<ChecksumSpec> checksum;
  ContextSpec context;
  // How a value written in groups must be printed (group widths, "4-4-4-4"),
  // unless a keyword stands nearby; empty: any grouping. A value whose run
  // of groups goes on with a group as wide as its own neighbour is a row of
  // a table, not a value.
  std::vector<std::vector<uint8_t>> layouts;
  // Values known to be published examples, not anyone's (078-05-1120):
  // still found and masked, but reported with the detail "example". Digits
  // only, sorted, each once (a finding looks its value up).
  std::vector<std::string> known_examples;
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
