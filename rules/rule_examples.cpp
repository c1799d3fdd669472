#include "rules/rule_examples.h"

#include "rules/rule_error.h"

namespace dlp {

std::vector<ExampleRef> ExamplesOf(const RuleSet& set) {
  std::vector<ExampleRef> out;
  for (uint32_t ri = 0; ri < set.rules.size(); ++ri) {
    const Rule& rule = set.rules[ri];
    for (const auto& ex : rule.match_examples) out.push_back({ri, &rule, &ex, true});
    for (const auto& ex : rule.no_match_examples) out.push_back({ri, &rule, &ex, false});
  }
  return out;
}

std::string ExampleWhere(const ExampleRef& ex) {
  return RuleError(ex.rule->file, ex.example->line, ex.rule->id, "").what();
}

}  // namespace dlp
