// Reads a policy file (YAML). Throws PolicyError (file:line, statement name)
// on YAML syntax, unknown keys, a bad action, severity, CIDR, port or host
// name, thresholds out of order, duplicate names, and on a statement that
// names a rule the rule set does not have (a typo would silently never match).
#pragma once

#include <string>
#include <vector>

#include "policy/policy.h"
#include "rules/rule.h"

namespace dlp {

struct PolicySource {
  std::string name;
  std::string text;
};

// `known_rules`: ids of the rule set the policy will run with.
Policy ParsePolicy(const PolicySource& source, const std::vector<std::string>& known_rules);
// `path` empty: the shipped default policy (policy/default/policy.yaml, built in).
Policy LoadPolicy(const std::string& path, const std::vector<std::string>& known_rules);

// The built-in policy's source (generated at build time).
std::vector<PolicySource> EmbeddedPolicySources();

// Runs the file's examples; one message per failing example
// ("file:line: example: rule pan to 203.0.113.9:80 gave mask, expected pass").
std::vector<std::string> RunPolicyExamples(const Policy& policy);

// What the policy allows that its author likely did not mean; one message
// per statement ("file:line: statement 'name': warning: ..."). The policy
// is valid all the same: `dlpd --check`, `dlpctl rules check`, start-up and
// reloads show them and go on. Today one kind: a statement that lets values
// through (pass or alert, also from a threshold) on a Host scope with no
// dst, when any client can name any Host to any address.
std::vector<std::string> PolicyWarnings(const Policy& policy);

}  // namespace dlp
