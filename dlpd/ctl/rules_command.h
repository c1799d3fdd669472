// `dlpctl rules check [PATH]`: compiles every rule and runs its embedded
// examples. Exit 0 when all is well, 1 when a rule is broken (each problem
// on stderr as file:line: rule 'id': message).
#pragma once

#include <string>

namespace dlp {

int RunRulesCheck(const std::string& path);

}  // namespace dlp
