// `dlpctl rules check [PATH]`: compiles every rule and runs its embedded
// examples, and the policy with its examples. Exit 0 when all is well, 1 when a rule is broken
// (each problem on stderr as file:line: rule 'id': message).
#pragma once

#include <string>

namespace dlp {

// `policy_path` empty: the built-in policy, checked against these rules.
int RunRulesCheck(const std::string& path, const std::string& policy_path = "");

}  // namespace dlp
