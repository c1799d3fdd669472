#include "dlpd/ctl/rules_command.h"

#include <iostream>

#include "dlpd/config/engine.h"
#include "policy/policy_error.h"
#include "rules/rule_error.h"

namespace dlp {

int RunRulesCheck(const std::string& path, const std::string& policy_path) {
  const std::string shown = path.empty() ? "default rules" : path;
  Engine engine;
  try {
    engine = LoadEngine(path, policy_path);
  } catch (const RuleError& e) {
    std::cerr << e.what() << '\n';
    return 1;
  } catch (const PolicyError& e) {
    std::cerr << e.what() << '\n';
    return 1;
  }
  const EngineCheck check = CheckEngine(engine);
  for (const auto& w : check.warnings) std::cerr << w << '\n';
  for (const auto& f : check.failures) std::cerr << f << '\n';
  if (!check.failures.empty()) {
    std::cerr << shown << ": " << check.failures.size() << " example(s) failed\n";
    return 1;
  }
  std::cout << shown << ": " << DescribeEngine(engine, check) << '\n';
  return 0;
}

}  // namespace dlp
