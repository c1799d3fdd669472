// Shapes (rules/value_shape.h): which patterns are read as digit groups,
// the walk (dlpd/inspect/shape_scan.h) against RE2 on generated text, and
// the engine with shapes against the engine without them and against the
// RE2-only reference, block and stream, on number-dense API bodies.
#include <gtest/gtest.h>

#include <random>

#include "dlpd/config/shape_check.h"
#include "dlpd/inspect/block_scanner.h"
#include "dlpd/inspect/reference_scanner.h"
#include "rules/rule_loader.h"
#include "tests/unit/corpus.h"
#include "tests/unit/test_support.h"

namespace dlp {
namespace {

TEST(ValueShape, ReadsDigitGroupPatterns) {
  auto pan = ValueShape::Of(R"(\d{4}(?:[ +-]\d{2,7}){2,4})");
  ASSERT_TRUE(pan);
  EXPECT_EQ(pan->layouts().size(), 3u);
  EXPECT_EQ(pan->min_groups(), 3u);
  EXPECT_EQ(pan->max_groups(), 5u);
  EXPECT_EQ(pan->min_digits(), 8u);
  EXPECT_EQ(pan->max_digits(), 32u);
  EXPECT_TRUE(pan->separators().Has('+'));
  EXPECT_FALSE(pan->separators().Has('.'));
  const uint8_t widths[] = {4, 4, 4, 4};
  const uint8_t seps[] = {' ', ' ', ' '};
  EXPECT_TRUE(pan->Fits(widths, seps, 4));
  const uint8_t mixed[] = {' ', '.', ' '};
  EXPECT_FALSE(pan->Fits(widths, mixed, 4));
  const uint8_t wide[] = {5, 4, 4, 4};
  EXPECT_FALSE(pan->Fits(wide, seps, 4));

  auto ssn = ValueShape::Of(R"(\d{3}[ +-]\d{2}[ +-]\d{4})");
  ASSERT_TRUE(ssn);
  EXPECT_EQ(ssn->layouts().size(), 1u);
  // An optional separator: with it, three groups; without, the digits join.
  auto optional = ValueShape::Of(R"([0-9]{3}-?[0-9]{2}-?[0-9]{4})");
  ASSERT_TRUE(optional);
  EXPECT_EQ(optional->layouts().size(), 4u);  // 3-2-4, 5-4, 3-6, 9
  EXPECT_EQ(optional->min_groups(), 1u);
  EXPECT_TRUE(ValueShape::Of(R"(\d{13,19})"));
  EXPECT_TRUE(ValueShape::Of(R"(\d\d\d\ \d\d)"));
}

TEST(ValueShape, RefusesWhatItCannotReadExactly) {
  for (const char* re : {R"(4\d{15})",
                         R"(\d{3}|\d{9})",
                         R"(\d+)",
                         R"(\d{3,})",
                         R"(\w{9})",
                         R"([0-9a-f]{8})",
                         R"(\d{3}[ -]{1,2}\d{4})",
                         R"((?P<value>\d{9}))",
                         R"(.\d{9})",
                         R"(\d{3}\s\d{4})",
                         R"(\d{2,4}?)",
                         R"([^0-9]\d{4})",
                         R"(\d{4}x\d{4})",
                         R"(-\d{9})",
                         R"(\d{9}-)",
                         R"(\d{0,3}-\d{4})",
                         R"((\d{3})-\d{4})",
                         R"(\d{300})",
                         R"([0-9]{3}[[:space:]]\d{4})",
                         R"((?i)\d{9})",
                         R"(\d{3}(?:-\d{2}){1,40})"}) {
    EXPECT_FALSE(ValueShape::Of(re)) << re;
  }
}

std::shared_ptr<const CompiledRuleset> Rules(const std::string& yaml, CompileOptions o = {}) {
  return CompiledRuleset::Compile(BuildRuleSet({{"t.yaml", yaml}}), o);
}

// A rule file of shaped patterns with no validator: every match counts.
std::string AnyValue(const std::string& boundary, const std::vector<std::string>& patterns,
                     int gap) {
  std::string y = "rules:\n  - id: t\n    validator: none\n    boundary: " + boundary +
                  "\n    min_digits: 4\n    digit_gap: " + std::to_string(gap) +
                  "\n    value_chars: '[0-9 +./-]'\n    patterns:\n";
  for (const auto& p : patterns) y += "      - '" + p + "'\n";
  return y;
}

TEST(ValueShape, TheWalkFindsWhatTheExpressionFinds) {
  const std::vector<std::string> patterns = {R"(\d{13,19})",
                                             R"(\d{4}(?:[ +-]\d{2,7}){2,4})",
                                             R"(\d{3}[ +-]\d{2}[ +-]\d{4})",
                                             R"(\d{9})",
                                             R"([0-9]{3}-?[0-9]{2}-?[0-9]{4})",
                                             R"(\d{4}(?:[ .]\d{4}){3})",
                                             R"(\d{2}(?:/\d{2}){1,2})",
                                             R"(\d{4}(?:\.\d{2})?)"};
  // A wider gap (another rule's) puts runs of two separators in one run.
  for (const int gap : {1, 3}) {
    for (const char* boundary : {"number", "token"}) {
      auto rules = Rules(AnyValue(boundary, patterns, gap));
      ASSERT_EQ(rules->shaped().size(), patterns.size()) << boundary;
      for (unsigned i = 0; i < rules->patterns().size(); ++i) {
        EXPECT_EQ(CheckShape(*rules, i, 7, 300), "") << patterns[i] << " " << boundary << gap;
      }
    }
  }
  // And the default rules, their validators' bounds on what is tried.
  for (const unsigned i : test::DefaultRules()->shaped()) {
    EXPECT_EQ(CheckShape(*test::DefaultRules(), i, 11, 300), "") << i;
  }
}

// The same rules with every gated pattern in Hyperscan (shapes off).
std::shared_ptr<const CompiledRuleset> WithoutShapes() {
  static auto rules = CompiledRuleset::Compile(LoadDefaultRuleSet(), CompileOptions{false});
  return rules;
}

std::string Describe(const Findings& f, const std::string& text) {
  std::string s;
  for (const auto& x : f) {
    s += std::to_string(x.start) + "-" + std::to_string(x.end) + " '" +
         text.substr(x.start > 8 ? x.start - 8 : 0, x.end - x.start + 12) + "'\n";
  }
  return s;
}

// The findings of the shipped rules' shapes, `shaped`, are those of the
// same rules in Hyperscan (`plain`) and of the RE2 reference.
void ExpectHyperscanAndRe2Agree(ScanContext& plain, const std::string& text, const Findings& shaped,
                                int round) {
  Findings hyperscan;
  ASSERT_TRUE(
      ScanBlock(plain, reinterpret_cast<const uint8_t*>(text.data()), text.size(), &hyperscan));
  ASSERT_EQ(shaped, hyperscan) << "round " << round << "\nshapes:\n"
                               << Describe(shaped, text) << "hyperscan:\n"
                               << Describe(hyperscan, text);
  ASSERT_EQ(shaped, ReferenceScan(*test::DefaultRules(), text)) << "round " << round;
}

TEST(ValueShape, DefaultRulesAreAllShaped) {
  EXPECT_EQ(test::DefaultRules()->shaped().size(), test::DefaultRules()->patterns().size());
  EXPECT_EQ(test::DefaultRules()->gated_db(), nullptr);
  EXPECT_TRUE(WithoutShapes()->shaped().empty());
  EXPECT_NE(WithoutShapes()->gated_db(), nullptr);
}

TEST(ValueShape, NumberDenseApiBodiesFindTheSameValuesEveryWay) {
  auto plain_ctx = std::move(ScanContext::Create(WithoutShapes())).value();
  test::CorpusGenerator gen(2112);
  std::mt19937 rng(5);
  size_t total = 0;
  for (int round = 0; round < 40; ++round) {
    const std::string text = gen.Api(6000);
    const Findings shaped = test::Scan(text);
    ASSERT_NO_FATAL_FAILURE(ExpectHyperscanAndRe2Agree(*plain_ctx, text, shaped, round));
    total += shaped.size();
    std::vector<size_t> cuts;
    for (size_t used = 0; used < text.size(); used += cuts.back()) cuts.push_back(1 + rng() % 1460);
    ASSERT_EQ(test::StreamScan(test::DefaultContext(), text, cuts), shaped) << "round " << round;
    // And cut into pieces of a few bytes, where values lie across them.
    cuts.clear();
    for (size_t used = 0; used < text.size(); used += cuts.back()) cuts.push_back(1 + rng() % 9);
    ASSERT_EQ(test::StreamScan(test::DefaultContext(), text, cuts), shaped) << "round " << round;
  }
  EXPECT_GT(total, 400u);  // the bodies do hold values
}

// The walk reads the text 1 KiB at a time and keeps, at each edge, the
// groups a match from the last ones may take: values sparse among binary
// bytes (few groups per KiB, a waiting group among a KiB's last), by the
// edges, and runs of digits longer than 64 bytes and than a KiB.
TEST(ValueShape, ValuesByTheWalksKiBEdgesFindTheSameValuesEveryWay) {
  auto plain_ctx = std::move(ScanContext::Create(WithoutShapes())).value();
  const std::vector<std::string> values = {"4111 1111 1111 1111", "536-22-1457",
                                           "5555555555554444",    "card 4111-1111-1111-1111",
                                           "ssn 536221457",       "378282246310005"};
  std::mt19937 rng(77);
  size_t total = 0;
  for (int round = 0; round < 60; ++round) {
    std::string text;
    const size_t size = 3000 + rng() % 6000;
    while (text.size() < size) {
      const unsigned pick = rng() % 16;
      if (pick == 0) {
        text += values[rng() % values.size()];
      } else if (pick == 1) {
        // A value that ends or begins right at a KiB edge.
        const std::string& v = values[rng() % values.size()];
        const size_t edge = (text.size() / 1024 + 1) * 1024;
        const size_t at = edge - (rng() % 2 == 0 ? v.size() : 0) - rng() % 3;
        while (text.size() < at) text += static_cast<char>(rng() % 256);
        text += v;
      } else if (pick == 2) {
        // Digits and one-byte separators, long.
        const size_t n = 40 + rng() % (rng() % 4 == 0 ? 1500 : 100);
        for (size_t i = 0; i < n; ++i) {
          text += rng() % 5 == 0 ? " -+./"[rng() % 5] : static_cast<char>('0' + rng() % 10);
        }
      } else {
        text += static_cast<char>(rng() % 256);
      }
    }
    const Findings shaped = test::Scan(text);
    ASSERT_NO_FATAL_FAILURE(ExpectHyperscanAndRe2Agree(*plain_ctx, text, shaped, round));
    std::vector<size_t> cuts;
    for (size_t used = 0; used < text.size(); used += cuts.back()) cuts.push_back(1 + rng() % 2900);
    ASSERT_EQ(test::StreamScan(test::DefaultContext(), text, cuts), shaped) << "round " << round;
    total += shaped.size();
  }
  EXPECT_GT(total, 300u);
}

// The gate reads 1 KiB at a time, and takes a KiB dense with digits as one
// span without finding its runs: a value that begins in the sparse KiB
// before one is still walked from its first group (in a text mostly
// sparse, walked span by span).
TEST(ValueShape, AValueRunningIntoADenseKiBIsWalkedFromItsStart) {
  for (const size_t at : {1015u, 1016u, 1019u, 1020u, 1023u, 1005u}) {
    std::string text(at, ' ');
    text += "4111 1111 1111 1111;";
    while (text.size() < 2048) text += "a1b2c3d4e5 ";
    // Sparse again: the spans cover too little of the text for one walk.
    text += std::string(8192, ' ');
    const Findings block = test::Scan(text);
    ASSERT_EQ(block.size(), 1u) << at;
    EXPECT_EQ(block[0].start, at);
    EXPECT_EQ(block, ReferenceScan(*test::DefaultRules(), text)) << at;
    for (const size_t cut : {size_t{512}, size_t{1020}, size_t{1448}}) {
      EXPECT_EQ(test::StreamScan(test::DefaultContext(), text, {cut}), block) << at << " " << cut;
    }
  }
}

// The walk lists only the groups a match may take (a separator joins them
// to another, or they are wide enough to be one alone), choosing them on
// 64-byte masks: each value at every offset across two chunk edges, among
// groups that are (a date, a price) and are not (a separator that joins
// them to another group) listed, is found as the reference finds it.
TEST(ValueShape, ValuesAtEveryChunkOffsetAmongOtherGroups) {
  const std::vector<std::string> values = {
      "536-22-1457",      "4111 1111 1111 1111", "4111+1111+1111+1111", "ssn 536221457",
      "5555555555554444", "3782-822463-10005",   "ssn: 078 05 1120",    "card 4111111111111111"};
  const std::vector<std::string> fillers = {" ",    "x",      "12.5,",     "2026-11-22T10:22:33 ",
                                            "7 8 ", "1-2-3-", "\"id\":7,", "123456789012 "};
  size_t checked = 0;
  for (const std::string& v : values) {
    for (const std::string& filler : fillers) {
      for (size_t at = 0; at < 140; ++at) {
        std::string text;
        while (text.size() < at) text += filler;
        text.resize(at);
        text += (at > 0 ? ";" : "") + v + ";";
        while (text.size() < 260) text += filler;
        const Findings found = test::Scan(text);
        ASSERT_EQ(found, ReferenceScan(*test::DefaultRules(), text))
            << "'" << v << "' at " << at << " among '" << filler << "'";
        checked += found.size();
      }
    }
  }
  EXPECT_GT(checked, 3000u);  // the values are found, not only agreed on
}

// The same for a rule set whose patterns have more separators than the
// masks mark (every byte that is no digit then counts as one), one whose
// group alone must be wider than a chunk, and one whose single digit is a
// value: random digits, separators and other bytes, block against the
// reference.
TEST(ValueShape, GroupFilterHoldsForEveryKindOfRuleSet) {
  const std::vector<std::vector<std::string>> sets = {
      {R"(\d{4}(?:[ .,;:/_+-]\d{4}){3})", R"(\d{9})"},
      {R"(\d{70,80})", R"(\d{3}-\d{2})"},
      {R"(\d{1,2})"},
      {R"(\d{2}(?:/\d{2}){1,2})"}};
  // A value of each set, planted now and then.
  const std::vector<std::string> planted = {" 1234;5678;9012;3456 ", " 123-45 ", " 7 ",
                                            " 12/34/56 "};
  std::mt19937 rng(41);
  for (size_t s = 0; s < sets.size(); ++s) {
    auto rules = Rules(AnyValue("number", sets[s], 1));
    ASSERT_EQ(rules->shaped().size(), sets[s].size()) << s;
    auto ctx = std::move(ScanContext::Create(rules)).value();
    size_t total = 0;
    for (int round = 0; round < 30; ++round) {
      std::string text;
      const size_t size = 200 + rng() % 3000;
      while (text.size() < size) {
        const unsigned pick = rng() % 10;
        if (pick < 5) {
          text += static_cast<char>('0' + rng() % 10);
        } else if (pick < 7) {
          text += " .,;:/_+-"[rng() % 9];
        } else if (pick == 9 && rng() % 4 == 0) {
          text += planted[s];
        } else if (pick == 7 && s == 1) {
          text += std::string(60 + rng() % 30, static_cast<char>('1' + rng() % 9));
        } else {
          text += "ab\n\"="[rng() % 5];
        }
      }
      Findings found;
      ASSERT_TRUE(
          ScanBlock(*ctx, reinterpret_cast<const uint8_t*>(text.data()), text.size(), &found));
      ASSERT_EQ(found, ReferenceScan(*rules, text)) << "set " << s << " round " << round;
      total += found.size();
    }
    EXPECT_GT(total, 20u) << s;
  }
}

}  // namespace
}  // namespace dlp
