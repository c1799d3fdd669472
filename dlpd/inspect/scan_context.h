// Per-worker scanning state for one CompiledRuleset: Hyperscan scratch space
// (one per thread, never shared), the candidate buffer and digit gate reused
// across scans so that the scan path does not allocate in the steady state.
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "dlpd/common/result.h"
#include "dlpd/inspect/digit_gate.h"
#include "dlpd/inspect/finding.h"
#include "dlpd/inspect/keyword_memo.h"
#include "rules/compiled_ruleset.h"
#include "rules/match_engine.h"
#include "rules/validators.h"

namespace dlp {

class ColumnTracker;  // dlpd/inspect/column_tracker.h
class Fingerprinter;  // dlpd/inspect/fingerprint.h

// A Hyperscan match: where it ends, and the earliest it can start (its end
// less the pattern's widest match).
struct Candidate {
  unsigned pattern = 0;
  uint64_t from = 0;
  uint64_t to = 0;
  // Only the match that begins at `from` is tried (one left undecided).
  bool exact = false;
  // The value's place is known (a shaped pattern's walk, dlpd/inspect/
  // shape_scan.h): it is [from + lead, to - trail), no regex re-matches
  // it, and `ends_text` says the match holds only where the text ends
  // there (its trailing context is the end: '$').
  bool known = false;
  uint8_t lead = 0;
  uint8_t trail = 0;
  bool ends_text = false;
  // A known value's verdict from its validator (the walk runs it first),
  // so that the confirmation does not run it again.
  Validation validation{};
};

// What a confirmation knows beyond the bytes it reads.
struct Surroundings {
  // The stream's CSV tables (dlpd/inspect/column_tracker.h); null: none.
  const ColumnTracker* columns = nullptr;
  // Nothing follows the text: a look past a value's end sees the end. When
  // false, a value whose verdict needs bytes past the text's end (does its
  // run of groups go on?) is left undecided.
  bool ends_stream = true;
  // Bytes at or after this stream offset are not the stream's (a
  // sentinel that stands for "any next byte"): a look past a value's end
  // stops there, undecided.
  uint64_t real_until = UINT64_MAX;
  // The worker's keyword answers (ScanContext::keyword_memo); null: each
  // question is judged in full.
  KeywordMemo* keyword_memo = nullptr;
};

enum class ValueVerdict { kNo, kYes, kUndecided };

// What CollectCandidate appends to; `base` is added to Hyperscan's offsets
// (block scans of a region report offsets within the region).
struct CandidateSink {
  std::vector<Candidate>* out;
  const CompiledRuleset* rules;
  uint64_t base = 0;
};

class ScanContext {
 public:
  static Result<std::unique_ptr<ScanContext>> Create(std::shared_ptr<const CompiledRuleset> rules);
  ~ScanContext();
  ScanContext(const ScanContext&) = delete;
  ScanContext& operator=(const ScanContext&) = delete;

  const CompiledRuleset& rules() const { return *rules_; }
  const std::shared_ptr<const CompiledRuleset>& rules_ptr() const { return rules_; }
  hs_scratch_t* scratch() { return scratch_; }
  std::vector<Candidate>& candidates() { return candidates_; }
  // CollectCandidate's context, appending to candidates(), for a scan of
  // bytes that start at stream offset `base`.
  CandidateSink* candidate_sink(uint64_t base = 0) {
    sink_.base = base;
    return &sink_;
  }
  // Reused by the gated scan: the digit gate, and bytes for copies.
  DigitGate& gate() { return gate_; }
  std::vector<uint8_t>& spare() { return spare_; }
  // A stream scanner's history and piece as one text, for the length of
  // one Feed: one buffer per worker rather than one per flow (a flow kept
  // its own, 64 KiB with coalesced packets, for its whole life).
  std::vector<uint8_t>& joined() { return joined_; }
  // A base64 scan's decoded text, for the length of one Feed (the same).
  std::vector<uint8_t>& decoded() { return decoded_; }
  // The spans of a gated scan (the gate's regions clipped to the text).
  std::vector<Region>& spans() { return spans_; }
  // For the rules' ValuePrefixes.
  ValuePrefixes::Scratch& prefix_scratch() { return prefix_scratch_; }
  // A stream scanner's lists for the length of one Feed (StreamScanner::
  // Feed), one set per worker.
  struct FeedLists {
    std::vector<Candidate> now;
    std::vector<Candidate> at_end;
    std::vector<Candidate> waited;
    std::vector<Candidate> undecided;
    Findings found;
  };
  FeedLists& feed_lists() { return feed_lists_; }
  // Keyword answers for this context's rules (Surroundings::keyword_memo).
  KeywordMemo* keyword_memo() { return &keyword_memo_; }
  // With a key, every finding carries its value's fingerprint (incidents).
  void set_fingerprinter(const Fingerprinter* f) { fingerprinter_ = f; }
  const Fingerprinter* fingerprinter() const { return fingerprinter_; }

 private:
  ScanContext() = default;
  std::shared_ptr<const CompiledRuleset> rules_;
  hs_scratch_t* scratch_ = nullptr;
  std::vector<Candidate> candidates_;
  CandidateSink sink_{&candidates_, nullptr};
  DigitGate gate_{1, 1};
  std::vector<uint8_t> spare_;
  std::vector<uint8_t> joined_;
  std::vector<uint8_t> decoded_;
  std::vector<Region> spans_;
  ValuePrefixes::Scratch prefix_scratch_;
  KeywordMemo keyword_memo_;
  FeedLists feed_lists_;
  const Fingerprinter* fingerprinter_ = nullptr;
};

// Hyperscan match callback; `ctx` is a CandidateSink.
int CollectCandidate(unsigned id, unsigned long long from, unsigned long long to, unsigned flags,
                     void* ctx);

// Whether the value group that RE2 matched for pattern `p` at `value` (inside
// `text`, whose first byte is at stream offset `text_base`) is a finding: not
// empty, not the fraction of a decimal number (FractionOfDecimal), valid for
// the rule's validator, not a row of a table of digit groups, printed in one
// of the rule's layouts, and with a keyword where the pattern, the validator
// or the layout needs one (dlpd/inspect/value_context.h). If so, fills `f`
// (rule, offsets, validator detail, display form). The engine and the
// reference scanner both decide with it.
// `validated`: the validator's verdict on `value`, when the caller has it.
ValueVerdict JudgeValue(const CompiledRuleset& rules, const CompiledPattern& p,
                        std::string_view text, std::string_view value, uint64_t text_base,
                        const Surroundings& around, Finding* f,
                        const Validation* validated = nullptr);
inline bool FindingOf(const CompiledRuleset& rules, const CompiledPattern& p, std::string_view text,
                      std::string_view value, uint64_t text_base, Finding* f,
                      const ColumnTracker* columns = nullptr) {
  return JudgeValue(rules, p, text, value, text_base, {columns, true}, f) == ValueVerdict::kYes;
}

// Re-matches each candidate with RE2 inside `window` (the bytes at stream
// offsets [window_base, window_base + window.size())), runs the rule's
// validator on the value group, and appends confirmed, de-duplicated findings
// in order. Candidates must lie inside the window, with the rules'
// lookback() before them when the window does not begin the stream. A
// match JudgeValue leaves undecided goes to `undecided` as an exact
// candidate (null: only when `around.ends_stream`, which decides all).
void ConfirmCandidates(const CompiledRuleset& rules, const std::vector<Candidate>& candidates,
                       const uint8_t* window, size_t window_size, uint64_t window_base,
                       Findings* out, const Fingerprinter* fingerprinter = nullptr,
                       const Surroundings& around = {},
                       std::vector<Candidate>* undecided = nullptr);

}  // namespace dlp
