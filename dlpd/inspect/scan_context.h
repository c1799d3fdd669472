// Per-worker scanning state for one CompiledRuleset: Hyperscan scratch space
// (one per thread, never shared) and the candidate buffer reused across scans
// so that the scan path does not allocate in the steady state.
#pragma once

#include <hs/hs.h>

#include <memory>
#include <vector>

#include "dlpd/common/result.h"
#include "dlpd/inspect/finding.h"
#include "dlpd/mask/fingerprint.h"
#include "rules/compiled_ruleset.h"

namespace dlp {

// A Hyperscan match: where it ends, and the earliest it can start (its end
// less the pattern's widest match).
struct Candidate {
  unsigned pattern = 0;
  uint64_t from = 0;
  uint64_t to = 0;
};

// What CollectCandidate appends to.
struct CandidateSink {
  std::vector<Candidate>* out;
  const CompiledRuleset* rules;
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
  // CollectCandidate's context, appending to candidates().
  CandidateSink* candidate_sink() { return &sink_; }
  // With a key, every finding carries its value's fingerprint (incidents).
  void set_fingerprinter(const Fingerprinter* f) { fingerprinter_ = f; }
  const Fingerprinter* fingerprinter() const { return fingerprinter_; }

 private:
  ScanContext() = default;
  std::shared_ptr<const CompiledRuleset> rules_;
  hs_scratch_t* scratch_ = nullptr;
  std::vector<Candidate> candidates_;
  CandidateSink sink_{&candidates_, nullptr};
  const Fingerprinter* fingerprinter_ = nullptr;
};

// Hyperscan match callback; `ctx` is a CandidateSink.
int CollectCandidate(unsigned id, unsigned long long from, unsigned long long to, unsigned flags,
                     void* ctx);

// Re-matches each candidate with RE2 inside `window` (the bytes at stream
// offsets [window_base, window_base + window.size())), runs the rule's
// validator on the value group, and appends confirmed, de-duplicated findings
// in order. Candidates must lie inside the window.
void ConfirmCandidates(const CompiledRuleset& rules, const std::vector<Candidate>& candidates,
                       const uint8_t* window, size_t window_size, uint64_t window_base,
                       Findings* out, const Fingerprinter* fingerprinter = nullptr);

}  // namespace dlp
