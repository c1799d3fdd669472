// Runs every rule's embedded examples against a compiled set, through the
// same normalizer, scanners and masking the daemon uses: each `match` example must yield
// a finding of its rule (and the given masked text, when there is one), each
// `no_match` example none; and the stream scanner, fed each example cut at
// every byte, must agree with the block scanner. Shared by `dlpctl rules
// check` and `dlpd --check` (through CheckEngine, engine.h).
//
// Here, above inspect and mask, because it uses both; what is rule-only
// (which examples there are, where each is) stays in rules/rule_examples.h.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "rules/compiled_ruleset.h"

namespace dlp {

struct ExampleReport {
  size_t examples_run = 0;
  std::vector<std::string> failures;  // "file:line: rule 'id': what went wrong"
};

ExampleReport RunRuleExamples(const std::shared_ptr<const CompiledRuleset>& rules);

}  // namespace dlp
