#include "dlpd/config/engine.h"

#include "dlpd/config/example_check.h"
#include "policy/policy_loader.h"

namespace dlp {

Engine LoadEngine(const std::string& rules_path, const std::string& policy_path) {
  Engine e;
  e.rules = LoadCompiledRules(rules_path);
  std::vector<std::string> ids;
  for (const Rule& r : e.rules->rule_set().rules) ids.push_back(r.id);
  e.policy = std::make_shared<const Policy>(LoadPolicy(policy_path, ids));
  return e;
}

EngineCheck CheckEngine(const Engine& engine) {
  EngineCheck c;
  ExampleReport report = RunRuleExamples(engine.rules);
  c.rule_examples = report.examples_run;
  c.failures = std::move(report.failures);
  for (auto& f : RunPolicyExamples(*engine.policy)) c.failures.push_back(std::move(f));
  c.policy_examples = engine.policy->examples.size();
  c.warnings = PolicyWarnings(*engine.policy);
  return c;
}

std::string DescribeEngine(const Engine& engine, const EngineCheck& check) {
  std::string line = std::to_string(engine.rules->rule_set().rules.size()) + " rules, " +
                     std::to_string(engine.rules->patterns().size()) + " patterns, " +
                     std::to_string(engine.policy->statements.size()) + " policy statements; " +
                     std::to_string(check.rule_examples) + " rule examples and " +
                     std::to_string(check.policy_examples) + " policy examples ok (ruleset " +
                     engine.rules->rule_set().version + ", policy " + engine.policy->version + ")";
  if (const size_t n = check.warnings.size(); n > 0) {
    line += ", " + std::to_string(n) + " policy warning" + (n == 1 ? "" : "s");
  }
  return line;
}

}  // namespace dlp
