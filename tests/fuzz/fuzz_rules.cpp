// libFuzzer: a rule file as a policy author (or a corrupted disk) might
// write it: loader, compiler and example runner. Bad input must end in a
// RuleError, never a crash.
#include <cstdint>
#include <string>

#include "dlpd/config/example_check.h"
#include "rules/compiled_ruleset.h"
#include "rules/rule_error.h"
#include "rules/rule_loader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 4096) return 0;  // Hyperscan compile time grows with the rules; keep runs fast
  try {
    auto rules = dlp::CompiledRuleset::Compile(
        dlp::BuildRuleSet({{"fuzz.yaml", std::string(reinterpret_cast<const char*>(data), size)}}));
    dlp::RunRuleExamples(rules);
  } catch (const dlp::RuleError&) {
  }
  return 0;
}
