// dlpctl's side of the control socket: whatever answers on the socket path
// (a daemon of another version, or any process that took the path) is
// printed escaped or refused with a message; a field of an unexpected type
// is no crash (nlohmann's value() throws on one).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "dlpd/ctl/control_command.h"
#include "dlpd/pipeline/pipeline_counters.h"

namespace dlp {
namespace {

bool HasControlByte(const std::string& s) {
  for (unsigned char c : s) {
    if ((c < 0x20 && c != '\n') || c >= 0x7f) return true;
  }
  return false;
}

TEST(ControlAnswer, FieldsOfAnyTypePrintEscaped) {
  auto j = ParseControlAnswer(R"({"version":5,"engine":["x"],"pid":"1","uptime_s":-7,
      "workers":[{"name":"nfq\u001b]0;pwned\u0007"},3],"counters":{"packets":"many","x\u001b":2},
      "counter_help":{"packets":7},"incidents":[1],"findings_by_rule":{"pan":-1}})");
  ASSERT_TRUE(j.ok()) << j.error().message;
  std::ostringstream out, err;
  EXPECT_EQ(PrintStatus(j.value(), false, out, err), 0);
  EXPECT_FALSE(HasControlByte(out.str())) << out.str();
  EXPECT_NE(out.str().find("dlpd 5 ([\"x\"])"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("nfq\\x1b]0;pwned\\x07"), std::string::npos) << out.str();
  std::ostringstream json;
  EXPECT_EQ(PrintStatus(j.value(), true, json, err), 0);
  EXPECT_FALSE(HasControlByte(json.str())) << json.str();
}

TEST(ControlAnswer, ReloadAnswersOfAnyTypeAreARejection) {
  for (const char* a : {R"({"ok":"yes"})", R"({"ok":true,"message":7})", "[]", "3",
                        R"({"ok":false,"error":"line\u001b[2J"})"}) {
    auto j = ParseControlAnswer(a);
    ASSERT_TRUE(j.ok()) << a;
    std::ostringstream out, err;
    const int rc = PrintReload(j.value(), out, err);
    EXPECT_TRUE(rc == 0 || rc == 1) << a;
    EXPECT_FALSE(HasControlByte(out.str() + err.str())) << a;
  }
  std::ostringstream out, err;
  EXPECT_EQ(PrintStatus(nlohmann::json::array(), false, out, err), 2);
  EXPECT_NE(err.str().find("not a JSON object"), std::string::npos);
}

// Each line of Prometheus' text exposition format (0.0.4): HELP, TYPE, or a
// sample with labels whose values escape '\\', '"' and line breaks.
void ExpectExposition(const std::string& text) {
  static const std::regex kHelp(R"(# HELP [a-zA-Z_:][a-zA-Z0-9_:]* ([^\\\n]|\\\\|\\n)*)");
  static const std::regex kType(R"(# TYPE [a-zA-Z_:][a-zA-Z0-9_:]* (counter|gauge))");
  static const std::regex kSample(
      R"([a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\[\\"n])*")"
      R"((,[a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\[\\"n])*")*\})? [0-9]+)");
  std::istringstream in(text);
  std::set<std::string> families;
  for (std::string line; std::getline(in, line);) {
    EXPECT_TRUE(std::regex_match(line, kHelp) || std::regex_match(line, kType) ||
                std::regex_match(line, kSample))
        << line;
    if (line.rfind("# TYPE ", 0) == 0) {
      EXPECT_TRUE(families.insert(line.substr(7, line.find(' ', 7) - 7)).second) << line;
    }
  }
}

TEST(ControlAnswer, PrometheusExpositionOfTheStatus) {
  auto j = ParseControlAnswer(R"({"version":"1.0","engine":"hyperscan","uptime_s":61,
      "ruleset":"r\"1\\x\nz","policy":"p\u001b","rules":4,"reloads":2,"reload_failures":1,
      "workers":[{"name":"nfq0","packets":7},{"name":"nfq1","packets":9}],
      "counters":{"packets":16,"flows":3,"a-b":1,"a_b":2,"x\u00e9":5},
      "counter_help":{"packets":"packets seen","flows":"flows in the table now",
                      "a-b":"line\nbreak \\ and now"},
      "incidents":{"written":5,"backlog":2},"findings_by_rule":{"pan":5,"s\"sn":1}})");
  ASSERT_TRUE(j.ok()) << j.error().message;
  std::ostringstream out, err;
  ASSERT_EQ(PrintStatusPrometheus(j.value(), out, err), 0);
  const std::string t = out.str();
  ExpectExposition(t);
  EXPECT_FALSE(HasControlByte(t)) << t;
  for (const char* want :
       {"dlpd_up 1\n", "# TYPE dlpd_packets_total counter\n", "dlpd_packets_total 16\n",
        "# TYPE dlpd_flows gauge\n", "dlpd_flows 3\n", "# TYPE dlpd_a_b gauge\n",
        "# HELP dlpd_a_b line\\\\x0abreak \\\\ and now\n", "dlpd_incidents_written_total 5\n",
        "# TYPE dlpd_incidents_backlog gauge\n", "dlpd_incidents_backlog 2\n",
        "dlpd_findings_total{rule=\"pan\"} 5\n", "dlpd_findings_total{rule=\"s\\\"sn\"} 1\n",
        "dlpd_worker_packets_total{worker=\"nfq1\"} 9\n", "dlpd_uptime_seconds 61\n",
        "dlpd_reload_failures_total 1\n", "dlpd_info{version=\"1.0\",engine=\"hyperscan\","}) {
    EXPECT_NE(t.find(want), std::string::npos) << want << " in\n" << t;
  }
  // "a-b" and "a_b" make one name: printed once, the first.
  EXPECT_EQ(t.find("dlpd_a_b 2"), std::string::npos) << t;
  std::ostringstream none;
  EXPECT_EQ(PrintStatusPrometheus(nlohmann::json::array(), none, err), 2);
  EXPECT_TRUE(none.str().empty());
}

// Which of the pipeline's counters are gauges is read from their help
// ("now"): these five, and no other.
TEST(ControlAnswer, PrometheusGaugesAreThePipelinesLevels) {
  nlohmann::json j = {{"counters", nlohmann::json::object()},
                      {"counter_help", nlohmann::json::object()}};
  for (const CounterInfo& c : PipelineCounters::kInfo) {
    j["counters"][std::string(c.name)] = 1;
    j["counter_help"][std::string(c.name)] = std::string(c.help);
  }
  std::ostringstream out, err;
  ASSERT_EQ(PrintStatusPrometheus(j, out, err), 0);
  ExpectExposition(out.str());
  std::set<std::string> gauges;
  std::istringstream in(out.str());
  for (std::string line; std::getline(in, line);) {
    if (line.size() > 13 && line.rfind("# TYPE dlpd_", 0) == 0 &&
        line.compare(line.size() - 6, 6, " gauge") == 0) {
      gauges.insert(line.substr(12, line.size() - 18));
    }
  }
  const std::set<std::string> levels = {
      "up",         "info",  "uptime_seconds",   "rules",       "held_packets",
      "held_bytes", "flows", "flow_state_bytes", "window_bytes"};
  EXPECT_EQ(gauges, levels);
}

TEST(ControlAnswer, NotJsonOrNestedTooDeepIsRefused) {
  EXPECT_FALSE(ParseControlAnswer("status ok").ok());
  // Printing recurses once per level: a deep answer is refused first.
  EXPECT_FALSE(ParseControlAnswer(std::string(100000, '[') + std::string(100000, ']')).ok());
  EXPECT_TRUE(ParseControlAnswer(std::string(20, '[') + std::string(20, ']')).ok());
}

}  // namespace
}  // namespace dlp
