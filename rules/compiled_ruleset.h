// A RuleSet compiled for scanning: Hyperscan databases that find candidate
// matches, plus, per pattern, an RE2 program that re-matches a candidate
// span to extract its value group.
//
// Patterns of rules with `min_digits` ("gated") that are runs of digit
// groups have a shape (rules/value_shape.h) and are matched by walking the
// digit gate's runs, without either engine (inspect/shape_scan.h); the
// other gated patterns go into block-mode databases that run only where a
// match can be (inspect/gated_scan.h),
// whether the text is a whole buffer or the next piece of a flow plus its
// history. The other patterns go into a block and a stream database that
// see every byte. Each database is null when it has no pattern; the
// default rules are all gated.
//
// Every database reads the text as the application reads it, escapes and
// references decoded (dlpd/http/stream_normalizer.h), so a pattern is
// written for plain text only: no encoded alternatives widen it.
//
// Why two engines: Hyperscan finds every candidate in one pass over the bytes
// (and across packet boundaries in stream mode) but reports only the span of
// a match, never its groups; RE2 gives groups with linear-time guarantees and
// only ever runs over a candidate span (at most max_width() bytes).
//
// Immutable once built and shared between workers; each worker owns its
// scratch (see inspect/scan_context.h).
#pragma once

#include "rules/match_engine.h"

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "rules/keywords.h"
#include "rules/rule.h"
#include "rules/validators.h"
#include "rules/value_prefix.h"
#include "rules/value_shape.h"

// Only pointed to here; the code that runs it includes <re2/re2.h>.
namespace re2 {
class RE2;
}  // namespace re2

namespace dlp {

// The longest match (value plus boundary context) a pattern may have. Stream
// inspection keeps this much history per flow, so it must be bounded.
constexpr unsigned kMaxPatternWidth = 1024;

struct CompiledPattern {
  uint32_t rule_index = 0;
  std::string expression;  // as compiled (boundary applied)
  std::unique_ptr<re2::RE2> confirm;
  int value_group = 0;     // RE2 group index of (?P<value>...)
  unsigned max_width = 0;  // the longest match, in bytes
  Boundary boundary = Boundary::kNone;
  bool gated = false;  // its rule has min_digits
  // The bytes the body can begin with lie in [first_lo, first_hi] (RE2's
  // PossibleMatchRange; 0-255 when it cannot say): a candidate is
  // confirmed only from starts whose body can begin there, which spares
  // most RE2 calls on digit-dense text.
  uint8_t first_lo = 0;
  uint8_t first_hi = 255;
  // The pattern has no (?P<value>...) group: its whole body is the value.
  bool value_is_body = false;
  // Its matches count only with their rule's context (keywords).
  bool needs_context = false;
  // Its matches are runs of digit groups (rules/value_shape.h), found by
  // walking the digit gate's runs instead of by Hyperscan and RE2; null
  // when the pattern has another form, or the rules' gate finds no runs.
  std::shared_ptr<const ValueShape> shape;
  // The digits a match the walk reports may hold: its shape's bounds and
  // its validator's, both.
  unsigned walk_min_digits = 0;
  unsigned walk_max_digits = 0;
  // Whether a match may begin with these two digits (10 * first + second;
  // the first digit alone, ten times over, when a first group may be one
  // digit wide): what the validator's MayBegin allows. Most numbers of an
  // API body (timestamps beginning 17) begin no card.
  std::array<bool, 100> walk_begins{};
};

struct CompileOptions {
  // Walk digit runs for the patterns that have a shape. Off: every gated
  // pattern runs in Hyperscan (the path tests and benchmarks compare).
  bool shapes = true;
};

class CompiledRuleset {
 public:
  // Throws RuleError (file:line, rule id, the engine's message) when a pattern
  // does not compile in either engine or has an unbounded width.
  static std::shared_ptr<const CompiledRuleset> Compile(RuleSet rules,
                                                        const CompileOptions& options = {});

  ~CompiledRuleset();
  CompiledRuleset(const CompiledRuleset&) = delete;
  CompiledRuleset& operator=(const CompiledRuleset&) = delete;

  const RuleSet& rule_set() const { return rules_; }
  const Rule& rule(uint32_t index) const { return rules_.rules[index]; }
  const std::vector<CompiledPattern>& patterns() const { return patterns_; }
  const Validator& validator(uint32_t rule_index) const { return validators_[rule_index]; }
  // The rule's context keywords (empty without `context`).
  const KeywordSet& keywords(uint32_t rule_index) const { return keywords_[rule_index]; }
  // Words whose presence in a value's label says it is no value of the rule.
  const KeywordSet& excluded(uint32_t rule_index) const { return excluded_[rule_index]; }
  // How many bytes before a candidate's earliest start its confirmation
  // may read (a label, a line's keyword): the stream scanner keeps them.
  unsigned lookback() const { return lookback_; }
  // Bytes a stream keeps before its next piece: every match, with the
  // lookback before it, and one byte more (so '^' never matches inside).
  // And a value left undecided at the end of a piece (its run of groups may
  // go on: kLayoutLookAhead) is judged again from it.
  unsigned history_width() const { return max_width_ + lookback_ + lookahead_ + 1; }
  unsigned lookahead() const { return lookahead_; }
  // Some rule reads CSV column headers (context: columns).
  bool columns() const { return columns_; }
  unsigned max_width() const { return max_width_; }
  // True for a byte that some rule's value may contain (union of value_chars).
  bool is_value_byte(uint8_t b) const { return value_bytes_[b]; }
  // Which runs of value bytes at a stream's end may begin a value.
  const ValuePrefixes& prefixes() const { return prefixes_; }
  // Gated patterns without a shape, block mode, for the digit gate's
  // regions; null if none.
  const hs_database_t* gated_db() const { return gated_db_; }
  // The indexes of the patterns with a shape (all gated), at most
  // kMaxShaped of them.
  static constexpr size_t kMaxShaped = 64;
  const std::vector<unsigned>& shaped() const { return shaped_; }
  // Bit k: shaped()[k] has a layout whose first group may be `width`
  // digits wide.
  uint64_t shaped_by_first_width(uint8_t width) const { return shaped_by_first_width_[width]; }
  // Bit k: shaped()[k] has a layout of one group that may be `width`
  // digits wide: a match of it may be that group alone. The others need a
  // next group, after one byte of shaped_separators().
  uint64_t shaped_alone_by_width(uint8_t width) const { return shaped_alone_by_width_[width]; }
  // Of those, the ones whose validator may accept a value of `width`
  // digits that begins with `two` (two < 100, as walk_begins): a 13-digit
  // number that begins 17 is no card. `width` at most kMaxAloneWidth.
  static constexpr unsigned kMaxAloneWidth = 32;
  uint64_t shaped_alone(uint8_t width, unsigned two) const { return shaped_alone_[width][two]; }
  // Bit k: shaped()[k]'s walk_begins[two] (two < 100, as there).
  uint64_t shaped_by_begin(unsigned two) const { return shaped_by_begin_[two]; }
  // The bytes that may separate two groups of some shaped pattern, as a
  // set and in order.
  const ByteSet& shaped_separators() const { return shaped_separators_; }
  const std::vector<uint8_t>& shaped_separator_bytes() const { return shaped_separator_bytes_; }
  // The narrowest group that may be a match alone (shaped_alone_by_width
  // not 0), 256 when none may: a narrower group that no separator joins
  // to another is part of no match.
  unsigned shaped_alone_min_width() const { return shaped_alone_min_width_; }
  // The most groups a match of a shaped pattern takes (1 when none).
  size_t shaped_max_groups() const { return shaped_max_groups_; }
  // Some pattern is gated: the digit gate runs.
  bool gated() const { return gated_db_ != nullptr || !shaped_.empty(); }
  // The gate's parameters: the fewest digits any gated rule promises and the
  // widest gated match.
  unsigned gate_min_digits() const { return gate_min_digits_; }
  unsigned gate_width() const { return gate_width_; }
  // The widest digit_gap of the gated rules, or none when one of them
  // promises none (the gate then counts digits by windows).
  std::optional<unsigned> gate_digit_gap() const { return gate_digit_gap_; }
  // The other patterns, block and stream mode; null if none.
  const hs_database_t* block_db() const { return block_db_; }
  const hs_database_t* stream_db() const { return stream_db_; }
  // Bytes of Hyperscan stream state each open stream needs (0 without a
  // stream database).
  size_t stream_state_size() const;

 private:
  CompiledRuleset() = default;

  RuleSet rules_;
  std::vector<CompiledPattern> patterns_;
  std::vector<Validator> validators_;
  std::vector<KeywordSet> keywords_;
  std::vector<KeywordSet> excluded_;
  unsigned max_width_ = 0;
  unsigned lookback_ = 0;
  unsigned lookahead_ = 0;
  bool columns_ = false;
  std::array<bool, 256> value_bytes_{};
  ValuePrefixes prefixes_;
  unsigned gate_min_digits_ = 0;
  unsigned gate_width_ = 0;
  std::optional<unsigned> gate_digit_gap_;
  hs_database_t* gated_db_ = nullptr;
  std::vector<unsigned> shaped_;
  std::array<uint64_t, 256> shaped_by_first_width_{};
  std::array<uint64_t, 256> shaped_alone_by_width_{};
  std::array<std::array<uint64_t, 100>, kMaxAloneWidth + 1> shaped_alone_{};
  std::array<uint64_t, 100> shaped_by_begin_{};
  ByteSet shaped_separators_;
  std::vector<uint8_t> shaped_separator_bytes_;
  unsigned shaped_alone_min_width_ = 256;
  size_t shaped_max_groups_ = 1;
  hs_database_t* block_db_ = nullptr;
  hs_database_t* stream_db_ = nullptr;
};

// Loads (rule_loader.h) and compiles the rules at `path`, or the embedded
// default rules when `path` is empty. Throws RuleError.
std::shared_ptr<const CompiledRuleset> LoadCompiledRules(const std::string& path);

}  // namespace dlp
