// Configuration-time errors: the one place this project throws. The message
// always leads with "file:line:" and names the rule, so an author can jump to it.
#pragma once

#include <stdexcept>
#include <string>

namespace dlp {

class RuleError : public std::runtime_error {
 public:
  RuleError(const std::string& file, int line, const std::string& rule_id,
            const std::string& message)
      : std::runtime_error(Format(file, line, rule_id, message)),
        file_(file),
        line_(line),
        rule_id_(rule_id) {}

  const std::string& file() const { return file_; }
  int line() const { return line_; }
  const std::string& rule_id() const { return rule_id_; }

 private:
  static std::string Format(const std::string& file, int line, const std::string& rule_id,
                            const std::string& message) {
    std::string s = file;
    if (line > 0) s += ":" + std::to_string(line);
    s += ": ";
    if (!rule_id.empty()) s += "rule '" + rule_id + "': ";
    return s + message;
  }

  std::string file_;
  int line_;
  std::string rule_id_;
};

}  // namespace dlp
