// Policy files are configuration: errors throw, with file:line and the
// statement's name, like rule errors.
#pragma once

#include <stdexcept>
#include <string>

namespace dlp {

// Where a policy message points: "file:line: statement 'name': " (errors
// here, warnings in policy_loader.h).
inline std::string PolicyWhere(const std::string& file, int line, const std::string& statement) {
  std::string s = file;
  if (line > 0) s += ":" + std::to_string(line);
  s += ": ";
  if (!statement.empty()) s += "statement '" + statement + "': ";
  return s;
}

class PolicyError : public std::runtime_error {
 public:
  PolicyError(const std::string& file, int line, const std::string& statement,
              const std::string& message)
      : std::runtime_error(PolicyWhere(file, line, statement) + message) {}
};

}  // namespace dlp
