// What decides about the traffic: the compiled rules and the policy, loaded
// together so that a policy is always checked against the rules it runs
// with. `dlpd --check`, `dlpctl rules check`, start-up and every reload
// (SIGHUP, `dlpctl reload`) go through here: one code path, one set of
// error messages.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "policy/policy.h"
#include "rules/compiled_ruleset.h"

namespace dlp {

struct Engine {
  std::shared_ptr<const CompiledRuleset> rules;
  std::shared_ptr<const Policy> policy;
};

// Empty paths: the built-in default rules / policy. Throws RuleError or
// PolicyError (file:line, rule id or statement, the compiler's message).
Engine LoadEngine(const std::string& rules_path, const std::string& policy_path);

struct EngineCheck {
  size_t rule_examples = 0;
  size_t policy_examples = 0;
  std::vector<std::string> failures;  // "file:line: ..."
  // What the policy allows that is likely not meant (PolicyWarnings,
  // policy_loader.h): shown, but the check passes all the same.
  std::vector<std::string> warnings;  // "file:line: statement 'x': warning: ..."
};

// Runs every rule's and the policy's embedded examples, and collects the
// policy's warnings.
EngineCheck CheckEngine(const Engine& engine);

// "2 rules, 6 patterns, 48 rule examples and 2 policy examples ok (ruleset
// 43fe6f2fefed, policy 9a0c...)", and ", 1 policy warning" when there are.
std::string DescribeEngine(const Engine& engine, const EngineCheck& check);

}  // namespace dlp
