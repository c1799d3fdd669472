// Reads rule files (YAML) into a RuleSet. Throws RuleError with file:line and
// the rule id on anything a policy author could get wrong: YAML syntax,
// unknown keys, missing fields, unknown validator/mask/boundary/severity,
// duplicate ids. Pattern compilation errors come later, from the compiler.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "rules/rule.h"

namespace dlp {

struct RuleSource {
  std::string name;  // path, or "<default>/x.yaml" for the embedded set
  std::string text;
};

// Parses one file's text.
std::vector<Rule> ParseRuleFile(const RuleSource& source);

// Parses several sources into one set and stamps its version.
RuleSet BuildRuleSet(const std::vector<RuleSource>& sources);

// `path` is a rule file or a directory whose *.yaml / *.yml files are read in
// name order.
RuleSet LoadRuleSet(const std::string& path);
// The files LoadRuleSet reads, as they are (the embedded set's for an empty
// path): to build the set elsewhere (a trial compile).
std::vector<RuleSource> ReadRuleSources(const std::string& path);

// The rules shipped in rules/default/, compiled into the binary so that a
// fresh build works with no files installed.
RuleSet LoadDefaultRuleSet();
const std::vector<RuleSource>& DefaultRuleSources();

}  // namespace dlp
