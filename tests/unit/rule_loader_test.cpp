#include "rules/rule_loader.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "dlpd/common/signature_id.h"
#include "dlpd/config/example_check.h"
#include "rules/compiled_ruleset.h"
#include "rules/rule_error.h"

namespace dlp {
namespace {

RuleError LoadError(const std::string& yaml, bool compile = false) {
  try {
    RuleSet set = BuildRuleSet({{"t.yaml", yaml}});
    if (compile) CompiledRuleset::Compile(std::move(set));
  } catch (const RuleError& e) {
    return e;
  }
  ADD_FAILURE() << "no error for:\n" << yaml;
  return RuleError("", 0, "", "");
}

// The examples' check of `rules` names `phrase` in some failure, and no
// failure shows `value` (the full value an example holds).
void ExpectCheckNamesWithoutValue(const std::shared_ptr<const CompiledRuleset>& rules,
                                  const std::string& phrase, const std::string& value) {
  ExampleReport report = RunRuleExamples(rules);
  bool named = false;
  for (const auto& f : report.failures) {
    named = named || f.find(phrase) != std::string::npos;
    EXPECT_EQ(f.find(value), std::string::npos) << f;  // never the value itself
  }
  EXPECT_TRUE(named) << (report.failures.empty() ? "no failure" : report.failures[0]);
}

const char* kGood = R"(rules:
  - id: t
    severity: low
    validator: luhn
    mask: keep-last-4
    boundary: number
    patterns:
      - '\d{8}'
    examples:
      match:
        - text: 'x 12345674 y'
        - text: 'n=12345674 '
          masked: 'n=XXXX5674 '
      no_match: ['12345678']
)";

TEST(RuleLoader, ParsesEveryField) {
  RuleSet set = BuildRuleSet({{"t.yaml", kGood}});
  ASSERT_EQ(set.rules.size(), 1u);
  const Rule& r = set.rules[0];
  EXPECT_EQ(r.id, "t");
  EXPECT_EQ(r.name, "t");
  EXPECT_EQ(r.severity, Severity::kLow);
  EXPECT_EQ(r.validator, "luhn");
  EXPECT_EQ(r.mask, MaskStyle::kKeepLast4);
  ASSERT_EQ(r.patterns.size(), 1u);
  EXPECT_EQ(r.patterns[0].boundary, Boundary::kNumber);
  EXPECT_EQ(r.patterns[0].line, 8);
  ASSERT_EQ(r.match_examples.size(), 2u);
  EXPECT_EQ(r.match_examples[1].masked.value(), "n=XXXX5674 ");
  EXPECT_EQ(r.no_match_examples.size(), 1u);
  EXPECT_EQ(set.version.size(), 12u);
}

TEST(RuleLoader, VersionFollowsContent) {
  RuleSet a = BuildRuleSet({{"a.yaml", kGood}});
  RuleSet b = BuildRuleSet({{"elsewhere.yaml", kGood}});
  RuleSet c = BuildRuleSet({{"a.yaml", std::string(kGood) + "\n"}});
  EXPECT_EQ(a.version, b.version);
  EXPECT_NE(a.version, c.version);
}

TEST(RuleLoader, GoodFileRunsItsExamples) {
  auto rules = CompiledRuleset::Compile(BuildRuleSet({{"t.yaml", kGood}}));
  ExampleReport report = RunRuleExamples(rules);
  EXPECT_EQ(report.examples_run, 3u);
  EXPECT_TRUE(report.failures.empty()) << report.failures[0];
}

TEST(RuleLoader, SyntaxErrorHasLine) {
  RuleError e = LoadError("rules:\n  - id: x\n    patterns: [unclosed\n");
  EXPECT_EQ(e.file(), "t.yaml");
  EXPECT_GT(e.line(), 0);
  EXPECT_NE(std::string(e.what()).find("YAML syntax error"), std::string::npos) << e.what();
}

TEST(RuleLoader, UnknownValidatorNamesRuleAndLine) {
  RuleError e = LoadError("rules:\n  - id: bad\n    validator: crc32\n    patterns: ['\\d{4}']\n");
  EXPECT_EQ(e.rule_id(), "bad");
  EXPECT_EQ(e.line(), 3);
  EXPECT_NE(std::string(e.what()).find("t.yaml:3: rule 'bad': unknown validator 'crc32'"),
            std::string::npos)
      << e.what();
}

TEST(RuleLoader, UnknownKeyIsATypo) {
  RuleError e = LoadError("rules:\n  - id: x\n    patern: ['\\d']\n");
  EXPECT_NE(std::string(e.what()).find("unknown key 'patern'"), std::string::npos) << e.what();
  EXPECT_EQ(e.line(), 3);
}

TEST(RuleLoader, StructuralErrors) {
  EXPECT_NE(std::string(LoadError("- 1\n- 2\n").what()).find("'rules:'"), std::string::npos);
  EXPECT_NE(std::string(LoadError("rules:\n  - id: x\n").what()).find("'patterns'"),
            std::string::npos);
  EXPECT_NE(
      std::string(LoadError("rules:\n  - id: x\n    patterns: []\n").what()).find("non-empty"),
      std::string::npos);
  EXPECT_NE(std::string(LoadError("rules:\n  - id: X Y\n    patterns: ['a']\n").what()).find("id"),
            std::string::npos);
  EXPECT_NE(
      std::string(LoadError("rules:\n  - id: x\n    severity: huge\n    patterns: ['a']\n").what())
          .find("severity"),
      std::string::npos);
  EXPECT_NE(
      std::string(LoadError("rules:\n  - id: x\n    mask: blur\n    patterns: ['a']\n").what())
          .find("mask"),
      std::string::npos);
  EXPECT_NE(std::string(LoadError("rules:\n  - id: x\n    patterns: ['a']\n  - id: x\n    "
                                  "patterns: ['b']\n")
                            .what())
                .find("duplicate rule id"),
            std::string::npos);
  EXPECT_NE(std::string(LoadError("rules:\n  - id: x\n    patterns: ['a']\n    examples:\n      "
                                  "match:\n        - text: abc\n          masked: ab\n")
                            .what())
                .find("same length"),
            std::string::npos);
}

TEST(RuleCompiler, PatternHyperscanRejectsNamesTheLine) {
  // Back-references are beyond Hyperscan.
  RuleError e =
      LoadError("rules:\n  - id: br\n    patterns:\n      - '\\d{3}'\n      - '(\\d)\\1'\n", true);
  EXPECT_EQ(e.line(), 5);
  EXPECT_EQ(e.rule_id(), "br");
  EXPECT_NE(std::string(e.what()).find("rejects pattern"), std::string::npos) << e.what();
}

TEST(RuleCompiler, UnboundedPatternIsRejected) {
  RuleError e = LoadError("rules:\n  - id: ub\n    patterns: ['\\d+']\n", true);
  EXPECT_NE(std::string(e.what()).find("bounded"), std::string::npos) << e.what();
}

TEST(RuleCompiler, EmptyMatchIsRejected) {
  RuleError e = LoadError("rules:\n  - id: em\n    patterns: ['\\d{0,3}']\n", true);
  EXPECT_NE(std::string(e.what()).find("empty"), std::string::npos) << e.what();
}

TEST(RuleCompiler, BrokenSyntaxIsRejected) {
  RuleError e = LoadError("rules:\n  - id: br\n    patterns: ['(\\d{3}']\n", true);
  EXPECT_EQ(e.rule_id(), "br");
  EXPECT_EQ(e.line(), 3);
}

TEST(RuleCheck, FailingExampleIsReportedWithoutTheValue) {
  auto rules = CompiledRuleset::Compile(BuildRuleSet({{"t.yaml", R"(rules:
  - id: t
    validator: luhn
    boundary: number
    patterns: ['\d{8}']
    examples:
      match: ['12345678']
      no_match: ['n=12345674']
)"}}));
  ExampleReport report = RunRuleExamples(rules);
  ASSERT_EQ(report.failures.size(), 2u);
  EXPECT_NE(report.failures[0].find("t.yaml:7: rule 't': match example did not match"),
            std::string::npos)
      << report.failures[0];
  EXPECT_NE(report.failures[1].find("t.yaml:8"), std::string::npos) << report.failures[1];
  EXPECT_NE(report.failures[1].find("XXXX5674"), std::string::npos) << report.failures[1];
  EXPECT_EQ(report.failures[1].find("12345674"), std::string::npos) << report.failures[1];
}

TEST(RuleLoader, MinDigitsMustBeASmallCount) {
  for (const char* bad : {"0", "65", "nine", "-3", "9x", "''"}) {
    RuleError e = LoadError(std::string("rules:\n  - id: x\n    min_digits: ") + bad +
                            "\n    patterns: ['\\d{9}']\n");
    EXPECT_NE(std::string(e.what()).find("min_digits"), std::string::npos)
        << bad << ": " << e.what();
    EXPECT_EQ(e.line(), 3) << bad;
  }
  RuleSet ok = BuildRuleSet({{"t.yaml",
                              "rules:\n  - id: x\n    min_digits: 9\n    patterns: "
                              "['\\d{9}']\n"}});
  EXPECT_EQ(ok.rules[0].min_digits, 9u);
}

// sid, rev, classtype and metadata: what EVE's alert object carries, so a
// SIEM's rules and dashboards can key on them as on Suricata's.
TEST(RuleLoader, SignatureFieldsForSiems) {
  RuleSet ok = BuildRuleSet({{"t.yaml", R"(rules:
  - id: x
    sid: 1000001
    rev: 3
    classtype: pci-data
    metadata: {standard: [pci-dss, gdpr], owner: dlp-team}
    patterns: ['\d{9}']
  - id: y
    patterns: ['\d{8}']
)"}});
  const Rule& x = ok.rules[0];
  EXPECT_EQ(x.sid, 1000001u);
  EXPECT_EQ(x.rev, 3u);
  EXPECT_EQ(x.classtype, "pci-data");
  EXPECT_EQ(x.metadata_json, R"({"owner":["dlp-team"],"standard":["pci-dss","gdpr"]})");
  EXPECT_EQ(x.signature_id(), 1000001u);
  EXPECT_EQ(x.category(), "pci-data");
  EXPECT_EQ(ok.rules[1].sid, 0u);  // dlpd's own, from the id
  EXPECT_EQ(ok.rules[1].signature_id(), DefaultSignatureId("y"));
  EXPECT_EQ(ok.rules[1].category(), "Data Leakage");
  EXPECT_EQ(ok.rules[1].metadata_json, "");
  EXPECT_EQ(ok.rules[1].rev, 1u);
  const std::pair<const char*, const char*> bad[] = {
      {"    sid: 0\n", "sid must be a whole number from 1 to 4294967295"},
      {"    sid: 4294967296\n", "sid must be a whole number"},
      {"    sid: -1\n", "sid must be a whole number"},
      {"    rev: two\n", "rev must be a whole number"},
      {"    classtype: Policy Violation\n", "classtype must be 1-64 lowercase letters"},
      {"    metadata: [a, b]\n", "metadata must be a map"},
      {"    metadata: {Owner: x}\n", "a metadata key must be 1-64 lowercase letters"},
      {"    metadata: {owner: \"a\\x01b\"}\n",
       "a metadata value is 1-256 printable ASCII characters"},
      {"    metadata: {owner: []}\n", "metadata 'owner' has no value"},
      {"    metadata: {owner: \"caf\xc3\xa9\"}\n", "printable ASCII"},
      {"    metadata: {owner: a, owner: b}\n", "given twice"},
  };
  for (const auto& [line, phrase] : bad) {
    RuleError e =
        LoadError(std::string("rules:\n  - id: x\n") + line + "    patterns: ['\\d{9}']\n");
    EXPECT_NE(std::string(e.what()).find(phrase), std::string::npos) << line << ": " << e.what();
  }
  // Two rules with one sid would be one signature to a SIEM.
  RuleError dup = LoadError(
      "rules:\n  - id: a\n    sid: 7\n    patterns: ['\\d{9}']\n"
      "  - id: b\n    sid: 7\n    patterns: ['\\d{8}']\n");
  EXPECT_NE(std::string(dup.what()).find("sid 7 is rule 'a''s too"), std::string::npos)
      << dup.what();
  // A sid set to the one dlpd derives for another rule's id, and two ids
  // whose derived sids meet, are the same collision.
  RuleError taken =
      LoadError("rules:\n  - id: a\n    patterns: ['\\d{9}']\n  - id: b\n    sid: " +
                std::to_string(DefaultSignatureId("a")) + "\n    patterns: ['\\d{8}']\n");
  EXPECT_NE(std::string(taken.what()).find("is rule 'a''s too"), std::string::npos) << taken.what();
  RuleError derived = LoadError(
      "rules:\n  - id: r801\n    patterns: ['\\d{9}']\n  - id: r11300\n    patterns: ['\\d{8}']\n");
  EXPECT_NE(std::string(derived.what()).find("derived from the id: set a sid"), std::string::npos)
      << derived.what();
}

TEST(RuleCheck, MinDigitsAboveWhatThePatternHoldsIsCaught) {
  // '\d{8}' holds 8 digits: the gate, told 9, skips the example's match.
  auto rules = CompiledRuleset::Compile(BuildRuleSet({{"t.yaml", R"(rules:
  - id: t
    validator: luhn
    boundary: number
    min_digits: 9
    patterns: ['\d{8}']
    examples:
      match: ['n=12345674']
)"}}));
  ExpectCheckNamesWithoutValue(rules, "fewer than min_digits (9)", "12345674");
}

TEST(RuleLoader, DigitGapIsASmallCountAndNeedsMinDigits) {
  for (const char* bad : {"9", "-1", "one", "1.5", "''", "01"}) {
    RuleError e = LoadError(std::string("rules:\n  - id: x\n    min_digits: 9\n    digit_gap: ") +
                            bad + "\n    patterns: ['\\d{9}']\n");
    EXPECT_NE(std::string(e.what()).find("digit_gap"), std::string::npos)
        << bad << ": " << e.what();
    EXPECT_EQ(e.line(), 4) << bad;
  }
  RuleError alone = LoadError("rules:\n  - id: x\n    digit_gap: 1\n    patterns: ['\\d{9}']\n");
  EXPECT_NE(std::string(alone.what()).find("digit_gap needs min_digits"), std::string::npos)
      << alone.what();
  RuleSet ok = BuildRuleSet({{"t.yaml",
                              "rules:\n  - id: x\n    min_digits: 9\n    digit_gap: 0\n"
                              "    patterns: ['\\d{9}']\n"}});
  ASSERT_TRUE(ok.rules[0].digit_gap.has_value());
  EXPECT_EQ(*ok.rules[0].digit_gap, 0u);
  // The gate bridges the widest gap of its rules, and counts by windows
  // when one of them promises none.
  auto set = [](const char* second) {
    return CompiledRuleset::Compile(BuildRuleSet(
        {{"t.yaml", std::string("rules:\n  - id: x\n    min_digits: 9\n    digit_gap: 0\n"
                                "    patterns: ['\\d{9}']\n  - id: y\n    min_digits: 9\n") +
                        second + "    patterns: ['\\d{3}-\\d{6}']\n"}}));
  };
  EXPECT_EQ(set("    digit_gap: 1\n")->gate_digit_gap(), std::optional<unsigned>(1));
  EXPECT_EQ(set("")->gate_digit_gap(), std::nullopt);
}

TEST(RuleCheck, DigitGapBelowWhatThePatternHoldsIsCaught) {
  // The groups are two bytes apart (", "): the gate, told 1, skips them.
  auto rules = CompiledRuleset::Compile(BuildRuleSet({{"t.yaml", R"(rules:
  - id: t
    validator: luhn
    boundary: number
    min_digits: 8
    digit_gap: 1
    patterns: ['\d{4}, \d{4}']
    examples:
      match: ['n=1234, 5674']
)"}}));
  EXPECT_EQ(rules->gate_digit_gap(), std::optional<unsigned>(1));
  ExpectCheckNamesWithoutValue(rules, "at most digit_gap (1) bytes apart", "1234, 5674");
}

TEST(RuleLoader, DirectoryLoadsYamlFilesInOrder) {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("dlp_rules_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "b.yaml") << "rules:\n  - id: b\n    patterns: ['b{2}']\n";
  std::ofstream(dir / "a.yml") << "rules:\n  - id: a\n    patterns: ['a{2}']\n";
  std::ofstream(dir / "notes.txt") << "not a rule file";
  RuleSet set = LoadRuleSet(dir.string());
  ASSERT_EQ(set.rules.size(), 2u);
  EXPECT_EQ(set.rules[0].id, "a");
  EXPECT_EQ(set.rules[1].id, "b");
  fs::remove_all(dir);
  EXPECT_THROW(LoadRuleSet(dir.string()), RuleError);
}

TEST(DefaultRules, CompileAndPassTheirExamples) {
  auto rules = LoadCompiledRules("");
  ASSERT_EQ(rules->rule_set().rules.size(), 2u);
  ExampleReport report = RunRuleExamples(rules);
  EXPECT_GT(report.examples_run, 40u);
  for (const auto& f : report.failures) ADD_FAILURE() << f;
}

}  // namespace
}  // namespace dlp

namespace dlp {
namespace {
// Found by fuzz_rules: a key that is a list used to escape as a yaml-cpp exception.
TEST(RuleLoader, NonScalarKeyIsAClearError) {
  try {
    BuildRuleSet(
        {{"t.yaml", "rules:\n  - id: x\n    ? [a, b]\n    : c\n    patterns: ['a{2}']\n"}});
    ADD_FAILURE() << "accepted";
  } catch (const RuleError& e) {
    EXPECT_NE(std::string(e.what()).find("t.yaml:3"), std::string::npos) << e.what();
  }
}
}  // namespace
}  // namespace dlp
