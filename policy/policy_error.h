// Policy files are configuration: errors throw, with file:line and the
// statement's name, like rule errors.
#pragma once

#include <stdexcept>
#include <string>

namespace dlp {

class PolicyError : public std::runtime_error {
 public:
  PolicyError(const std::string& file, int line, const std::string& statement,
              const std::string& message)
      : std::runtime_error(Format(file, line, statement, message)) {}

 private:
  static std::string Format(const std::string& file, int line, const std::string& statement,
                            const std::string& message) {
    std::string s = file;
    if (line > 0) s += ":" + std::to_string(line);
    s += ": ";
    if (!statement.empty()) s += "statement '" + statement + "': ";
    return s + message;
  }
};

}  // namespace dlp
