// The skeleton the two YAML loaders share (rules/rule_loader.cpp,
// policy/policy_loader.cpp): parse a file's text, the line of a node, a
// map's keys checked against the ones allowed, typed getters, and every
// error as the loader's own exception, leading with "file:line:".
// Configuration time only: it throws, and nothing on the packet path uses it.
// In common/ because rules/ and policy/ both use it.
#pragma once

#include <yaml-cpp/yaml.h>

#include <initializer_list>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace dlp {

// The 1-based line of `n`, 0 when it has none.
int LineOf(const YAML::Node& n);

// The whole file at `path`, or nothing when it cannot be read.
std::optional<std::string> ReadTextFile(const std::string& path);

class YamlReader {
 public:
  // Throws the loader's error for (file, line, who, message); `who` is what
  // the message names (a rule id, a statement name), "" for nothing.
  using Thrower = void (*)(const std::string& file, int line, const std::string& who,
                           const std::string& message);

  // A reader of `file` whose errors are Error(file, line, who, message)
  // (RuleError, PolicyError).
  template <typename Error>
  static YamlReader Throwing(std::string file) {
    return YamlReader(std::move(file),
                      [](const std::string& f, int line, const std::string& who,
                         const std::string& message) { throw Error(f, line, who, message); });
  }

  // Parses `text`; a syntax error fails at its line ("YAML syntax error: ...").
  YAML::Node Parse(const std::string& text) const;

  // Returns parse(); a yaml-cpp exception it did not foresee (a conversion
  // of an odd node) still ends as the loader's error, at its line.
  template <typename F>
  auto Guard(F&& parse) const -> decltype(parse()) {
    try {
      return parse();
    } catch (const YAML::Exception& e) {
      Fail(e.mark.line >= 0 ? e.mark.line + 1 : 0, "", e.msg);
    }
  }

  [[noreturn]] void Fail(const YAML::Node& at, const std::string& who,
                         const std::string& message) const;
  [[noreturn]] void Fail(int line, const std::string& who, const std::string& message) const;

  // Every key of `map` is a scalar ("a key must be a plain word") and one of
  // `allowed` ("unknown key 'k' (expected one of: a, b)").
  void CheckKeys(const YAML::Node& map, std::initializer_list<const char*> allowed,
                 const std::string& who) const;

  // map[key]; fails at the map when it is missing ("missing required key 'key'").
  YAML::Node Required(const YAML::Node& map, const char* key, const std::string& who) const;

  // `n` as text; "<what> must be a string" unless it is a scalar.
  std::string Text(const YAML::Node& n, const std::string& who, const std::string& what) const;

  // map[key] as text ("'key' must be a string"); "" when it is missing and
  // not `required`.
  std::string Scalar(const YAML::Node& map, const char* key, const std::string& who,
                     bool required) const;

  // A scalar or a list of scalars ("each <what> must be a string", "<what>
  // must be a value or a list").
  std::vector<YAML::Node> Items(const YAML::Node& n, const std::string& who,
                                const std::string& what) const;

 private:
  YamlReader(std::string file, Thrower thrower) : file_(std::move(file)), thrower_(thrower) {}

  std::string file_;
  Thrower thrower_;
};

}  // namespace dlp
