// The Hyperscan path and the RE2-only reference must agree on every finding.
#include <gtest/gtest.h>

#include "dlpd/inspect/reference_scanner.h"
#include "tests/unit/corpus.h"
#include "tests/unit/test_support.h"

namespace dlp {
namespace {

std::string Describe(const Findings& f, const std::string& text) {
  std::string s;
  for (const auto& x : f) {
    s += std::to_string(x.start) + "-" + std::to_string(x.end) + " " +
         test::DefaultRules()->rule(x.rule_index).id + " '" +
         text.substr(x.start > 3 ? x.start - 3 : 0, x.end - x.start + 6) + "'\n";
  }
  return s;
}

void ExpectAgree(const std::string& text) {
  Findings hs = test::Scan(text);
  Findings ref = ReferenceScan(*test::DefaultRules(), text);
  if (hs != ref) {
    ADD_FAILURE() << "hyperscan:\n" << Describe(hs, text) << "re2:\n" << Describe(ref, text);
  }
}

TEST(Differential, GeneratedText) {
  test::CorpusGenerator gen(1234);
  size_t total = 0;
  for (int i = 0; i < 60; ++i) {
    std::string text = gen.Text(8000);
    total += test::Scan(text).size();
    ExpectAgree(text);
  }
  EXPECT_GT(total, 350u);  // the corpus really does hold values
}

TEST(Differential, DenseDigitsAndSeparators) {
  test::CorpusGenerator gen(99);
  for (int i = 0; i < 60; ++i) ExpectAgree(gen.Dense(3000));
}

TEST(Differential, HandPickedEdges) {
  for (const char* s : {"4111 1111 1111 1111 2026", "ssn ssn 536221457", "536-22-1457 536-22-1458",
                        "4111111111111111 4111111111111111", "-536-22-1457", "536 22 1457 22",
                        "3782 822463 10005 0"}) {
    ExpectAgree(s);
  }
  // An empty first line, then a CSV head and a row: the stream's start is a
  // line's start for the digit gate's blank lines too (fuzz_differential).
  ExpectAgree("\nx\",\"ssn\":\"078 id,name,ssn,dob\r\n536221457,Jane");
  ExpectAgree("\r\nid,ssn\r\n1,536221457\r\n");
}

}  // namespace
}  // namespace dlp
