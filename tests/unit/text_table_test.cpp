// dlpctl's output cells: bytes from the wire cannot drive a terminal or a
// spreadsheet.
#include "dlpd/ctl/text_table.h"

#include <gtest/gtest.h>

#include <sstream>

namespace dlp {
namespace {

TEST(TextOutput, TerminalEscapesControlAndNonAsciiBytes) {
  EXPECT_EQ(Terminal("/pay?x=1"), "/pay?x=1");
  EXPECT_EQ(Terminal("a\x1b[31mb"), "a\\x1b[31mb");
  EXPECT_EQ(Terminal("\r\n\x7f\xc3\xa9"), "\\x0d\\x0a\\x7f\\xc3\\xa9");
  EXPECT_EQ(Terminal(std::string(100, 'a'), 10), "aaaaaaa...");
}

TEST(TextOutput, CsvQuotesAndDefusesFormulas) {
  EXPECT_EQ(Csv("plain"), "plain");
  EXPECT_EQ(Csv("a,b"), "\"a,b\"");
  EXPECT_EQ(Csv("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(Csv("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
  EXPECT_EQ(Csv("@SUM(1)"), "'@SUM(1)");
  EXPECT_EQ(Csv("line\nbreak"), "\"line\nbreak\"");
}

TEST(TextOutput, TableAlignsColumnsAndRightAlignsNumbers) {
  TextTable t({"RULE", "COUNT"});
  t.Add({"pan", "7"});
  t.Add({"us-ssn", "12"});
  std::ostringstream out;
  t.Print(out);
  EXPECT_EQ(out.str(), "RULE    COUNT\npan         7\nus-ssn     12\n");
}

}  // namespace
}  // namespace dlp
