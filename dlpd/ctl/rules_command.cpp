#include "dlpd/ctl/rules_command.h"

#include <iostream>

#include "rules/compiled_ruleset.h"
#include "rules/rule_check.h"
#include "rules/rule_error.h"

namespace dlp {

int RunRulesCheck(const std::string& path) {
  const std::string shown = path.empty() ? "default rules" : path;
  std::shared_ptr<const CompiledRuleset> rules;
  try {
    rules = LoadCompiledRules(path);
  } catch (const RuleError& e) {
    std::cerr << e.what() << '\n';
    return 1;
  }
  ExampleReport report = RunRuleExamples(rules);
  for (const auto& f : report.failures) std::cerr << f << '\n';
  if (!report.failures.empty()) {
    std::cerr << shown << ": " << report.failures.size() << " example(s) failed\n";
    return 1;
  }
  std::cout << shown << ": " << rules->rule_set().rules.size() << " rules, "
            << rules->patterns().size() << " patterns, " << report.examples_run
            << " examples ok (ruleset " << rules->rule_set().version << ")\n";
  return 0;
}

}  // namespace dlp
