// dlpctl's output cells: bytes from the wire cannot drive a terminal or a
// spreadsheet.
#include "dlpd/ctl/text_table.h"

#include <gtest/gtest.h>

#include <sstream>

#include "dlpd/ctl/incident_report.h"

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
  // A formula after a ';' (a cell of its own where ';' is the delimiter),
  // a tab or a line break, or behind a leading tab or CR: each defused, and
  // the cell quoted whole.
  EXPECT_EQ(Csv("/a;=cmd|' /C calc'!A0"), "\"/a;'=cmd|' /C calc'!A0\"");
  EXPECT_EQ(Csv("x\t+1"), "\"x\t'+1\"");
  EXPECT_EQ(Csv("\t=1"), "\"'\t'=1\"");
  EXPECT_EQ(Csv("a\n-2+3"), "\"a\n'-2+3\"");
  EXPECT_EQ(Csv("2026-12-05"), "2026-12-05");  // a dash inside a cell is text
}

TEST(TextOutput, TableAlignsColumnsAndRightAlignsNumbers) {
  TextTable t({"RULE", "COUNT"});
  t.Add({"pan", "7"});
  t.Add({"us-ssn", "12"});
  std::ostringstream out;
  t.Print(out);
  EXPECT_EQ(out.str(), "RULE    COUNT\npan         7\nus-ssn     12\n");
}

// A column its caller did not pass through Terminal() (a severity or an
// address read back from a database an insider wrote) is escaped by the
// table itself; an escaped or cut cell is printed as it is.
TEST(TextOutput, TableEscapesEveryCellItself) {
  TextTable t({"SEVERITY", "SOURCE", "REQUEST"});
  t.Add({"high\x1b]0;pwned\x07", "10.0.0.1\r\n", Terminal("/p\xc3\xa9", 5)});
  std::ostringstream out;
  t.Print(out);
  EXPECT_EQ(out.str().find('\x1b'), std::string::npos);
  EXPECT_EQ(out.str().find('\r'), std::string::npos);
  EXPECT_NE(out.str().find("high\\x1b]0;pwned\\x07"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("10.0.0.1\\x0d\\x0a"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("/p..."), std::string::npos) << out.str();
}

}  // namespace
}  // namespace dlp

namespace dlp {
namespace {

// A table cut to a width: the cuttable columns, widest first, no narrower
// than 8 and ending in "..."; the others whole.
TEST(TextTable, CutsItsCuttableColumnsToFitAWidth) {
  TextTable t({"ID", "WHO", "WHERE"});
  t.Add({"1", "192.0.2.10", "a-very-long-host-name.payments.example.com"});
  t.Add({"22", "2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff", "b.example"});
  t.SetCuttable({2, 1});
  std::ostringstream out;
  t.Print(out, 40);
  std::istringstream lines(out.str());
  for (std::string line; std::getline(lines, line);) {
    EXPECT_LE(line.size(), 40u) << line;
  }
  EXPECT_NE(out.str().find("..."), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("22"), std::string::npos);  // not cuttable: whole
  std::ostringstream wide;
  t.Print(wide);  // no width: nothing cut
  EXPECT_NE(wide.str().find("a-very-long-host-name.payments.example.com"), std::string::npos);
  std::ostringstream tiny;
  t.Print(tiny, 10);  // cannot fit: cut to 8 each, no further
  EXPECT_NE(tiny.str().find("192.0..."), std::string::npos) << tiny.str();
}

}  // namespace
}  // namespace dlp

namespace dlp {
namespace {

// The report's bytes from the wire (a Host, as a destination's key) cannot
// become markup in HTML nor end a Markdown table cell.
TEST(IncidentReport, WireBytesStayText) {
  ReportInput in;
  CountRow evil;
  evil.key = "x<script>alert(1)</script>|y\x1b[31m\"'&\\|z";
  evil.incidents = 1;
  evil.matches = 2;
  evil.in_clear = 1;
  in.stats.total = evil;
  in.stats.by_destination = {evil};
  in.stats.by_day = {{"2026-03-01", 1, 2, 1, 1, 1}};
  const std::string html = HtmlReport(in);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find('\x1b'), std::string::npos);
  EXPECT_NE(html.find("x&lt;script&gt;alert(1)&lt;/script&gt;|y\\x1b[31m&quot;&#39;&amp;"),
            std::string::npos)
      << html;
  const std::string md = MarkdownReport(in);
  EXPECT_EQ(md.find("<script"), std::string::npos);
  // Each '|' escaped, and so the backslash before the last one: the row
  // keeps its six cells.
  EXPECT_NE(md.find("x&lt;script&gt;alert(1)&lt;/script&gt;\\|y\\\\x1b\\[31m\"'&\\\\\\|z |"),
            std::string::npos)
      << md;
  EXPECT_EQ(md.find('\x1b'), std::string::npos);
}

}  // namespace
}  // namespace dlp
