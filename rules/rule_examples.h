// A rule set's embedded examples as rules know them: which there are, in
// which rule, and where each is written. Running them through the scanners
// and masking is above rules (dlpd/config/example_check.h): rules know
// nothing of either.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "rules/rule.h"

namespace dlp {

struct ExampleRef {
  uint32_t rule_index = 0;
  const Rule* rule = nullptr;
  const RuleExample* example = nullptr;
  bool want_match = false;  // from `match:` (true) or `no_match:` (false)
};

// Every example, rule by rule in set order; each rule's `match` examples
// before its `no_match` ones. Points into `set`.
std::vector<ExampleRef> ExamplesOf(const RuleSet& set);

// How a message about an example begins: "file:line: rule 'id': ".
std::string ExampleWhere(const ExampleRef& ex);

}  // namespace dlp
